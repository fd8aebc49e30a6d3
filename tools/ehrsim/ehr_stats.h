/*
 * ehr_stats.h - the bookkeeping behind ehrsim's summary: latency samples and their percentiles,
 * and a map from control ids (MSH-10) to numbers, used to match replies to orders and to spot
 * duplicates. No clock and no I/O here (unit-tested in tests/unit/ehrsim).
 */
#ifndef EHR_STATS_H
#define EHR_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- latencies ------------------------------------------------------------------------------ */

/* Samples in microseconds (growing array; ehr_latency_free). */
struct ehr_latency {
    uint64_t *us;
    size_t n;
    size_t cap;
};

/* Percentiles of a sample set, in microseconds; all 0 when n == 0. */
struct ehr_pct {
    size_t n;
    uint64_t p50_us;
    uint64_t p99_us;
    uint64_t max_us;
};

void ehr_latency_init(struct ehr_latency *l);
/* Append one sample; false when memory runs out (the sample is then not counted). */
bool ehr_latency_add(struct ehr_latency *l, uint64_t us);
void ehr_latency_free(struct ehr_latency *l);

/*
 * ehr_percentile - the nearest-rank percentile pct (1..100) of sorted[0..n): the smallest sample
 * with at least pct % of the samples at or below it, i.e. sorted[ceil(pct * n / 100) - 1].
 * 0 when n == 0 or pct is out of range.
 */
uint64_t ehr_percentile(const uint64_t *sorted, size_t n, unsigned pct);

/* Sort l's samples (in place) and take p50, p99 and the maximum. */
void ehr_latency_summary(struct ehr_latency *l, struct ehr_pct *out);

/* ---- control id map ------------------------------------------------------------------------- */

/* Open addressing (FNV-1a, linear probing), load at most one half; keys copied. */
struct ehr_idmap {
    struct ehr_idmap_slot *slots;
    size_t cap; /* power of two, or 0 before the first insert */
    size_t n;
};

void ehr_idmap_init(struct ehr_idmap *m);

/*
 * ehr_idmap_put - key[0..len) -> value. When the key is already there, nothing changes and
 * *existing receives its value (returns true, *is_new false). Otherwise it is inserted (true,
 * *is_new true). false only when memory runs out. existing may be NULL.
 */
bool ehr_idmap_put(struct ehr_idmap *m, const char *key, size_t len, uint32_t value,
                   bool *is_new, uint32_t *existing);

/* The value of key[0..len): true with *value, false when absent. */
bool ehr_idmap_get(const struct ehr_idmap *m, const char *key, size_t len, uint32_t *value);

void ehr_idmap_free(struct ehr_idmap *m);

#endif
