/*
 * ehr_stats.c - latency percentiles and the control id map (contract: see ehr_stats.h).
 */
#include "ehr_stats.h"

#include <stdlib.h>
#include <string.h>

void ehr_latency_init(struct ehr_latency *l)
{
    l->us = NULL;
    l->n = 0;
    l->cap = 0;
}

bool ehr_latency_add(struct ehr_latency *l, uint64_t us)
{
    if (l->n == l->cap) {
        size_t cap = (l->cap == 0U) ? 1024U : l->cap * 2U;
        uint64_t *p = realloc(l->us, cap * sizeof *p);
        if (p == NULL) {
            return false;
        }
        l->us = p;
        l->cap = cap;
    }
    l->us[l->n] = us;
    l->n++;
    return true;
}

void ehr_latency_free(struct ehr_latency *l)
{
    free(l->us);
    ehr_latency_init(l);
}

uint64_t ehr_percentile(const uint64_t *sorted, size_t n, unsigned pct)
{
    size_t rank;

    if (sorted == NULL || n == 0U || pct == 0U || pct > 100U) {
        return 0;
    }
    /* ceil(pct * n / 100) without floating point; n is far below SIZE_MAX / 100 here. */
    rank = ((size_t)pct * n + 99U) / 100U;
    return sorted[rank - 1U];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

void ehr_latency_summary(struct ehr_latency *l, struct ehr_pct *out)
{
    memset(out, 0, sizeof *out);
    out->n = l->n;
    if (l->n == 0U) {
        return;
    }
    qsort(l->us, l->n, sizeof l->us[0], cmp_u64);
    out->p50_us = ehr_percentile(l->us, l->n, 50U);
    out->p99_us = ehr_percentile(l->us, l->n, 99U);
    out->max_us = l->us[l->n - 1U];
}

/* ---- control id map --------------------------------------------------------------------------- */

struct ehr_idmap_slot {
    char *key; /* NULL: free */
    size_t len;
    uint32_t value;
};

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void ehr_idmap_init(struct ehr_idmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

static struct ehr_idmap_slot *find_slot(struct ehr_idmap_slot *slots, size_t cap, const char *key,
                                        size_t len)
{
    size_t i = (size_t)fnv1a(key, len) & (cap - 1U);

    /* The table is never more than half full, so the probe ends at a free slot. */
    while (slots[i].key != NULL &&
           !(slots[i].len == len && memcmp(slots[i].key, key, len) == 0)) {
        i = (i + 1U) & (cap - 1U);
    }
    return &slots[i];
}

static bool grow(struct ehr_idmap *m)
{
    size_t cap = (m->cap == 0U) ? 64U : m->cap * 2U;
    struct ehr_idmap_slot *slots = calloc(cap, sizeof *slots);
    size_t i;

    if (slots == NULL) {
        return false;
    }
    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key != NULL) {
            *find_slot(slots, cap, m->slots[i].key, m->slots[i].len) = m->slots[i];
        }
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

bool ehr_idmap_put(struct ehr_idmap *m, const char *key, size_t len, uint32_t value,
                   bool *is_new, uint32_t *existing)
{
    struct ehr_idmap_slot *s;

    if ((m->n + 1U) * 2U > m->cap && !grow(m)) {
        return false;
    }
    s = find_slot(m->slots, m->cap, key, len);
    if (s->key != NULL) {
        *is_new = false;
        if (existing != NULL) {
            *existing = s->value;
        }
        return true;
    }
    s->key = malloc(len + 1U);
    if (s->key == NULL) {
        return false;
    }
    memcpy(s->key, key, len);
    s->key[len] = '\0';
    s->len = len;
    s->value = value;
    m->n++;
    *is_new = true;
    return true;
}

bool ehr_idmap_get(const struct ehr_idmap *m, const char *key, size_t len, uint32_t *value)
{
    const struct ehr_idmap_slot *s;

    if (m->cap == 0U) {
        return false;
    }
    s = find_slot(m->slots, m->cap, key, len);
    if (s->key == NULL) {
        return false;
    }
    *value = s->value;
    return true;
}

void ehr_idmap_free(struct ehr_idmap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
    }
    free(m->slots);
    ehr_idmap_init(m);
}
