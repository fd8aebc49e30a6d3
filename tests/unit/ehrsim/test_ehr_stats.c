/*
 * test_ehr_stats.c - the arithmetic behind ehrsim's summary: nearest-rank percentiles (known
 * sets, and a property check against the definition on random sets) and the control id map used
 * to match replies to orders and to count duplicates.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ehr_stats.h"

static void test_percentile_known_sets(void **state)
{
    uint64_t v[100];
    size_t i;

    (void)state;
    for (i = 0; i < 100U; i++) {
        v[i] = i + 1U;
    }
    assert_int_equal(ehr_percentile(v, 100, 50), 50);
    assert_int_equal(ehr_percentile(v, 100, 99), 99);
    assert_int_equal(ehr_percentile(v, 100, 100), 100);
    assert_int_equal(ehr_percentile(v, 100, 1), 1);
    /* n = 10: p50 is the 5th value, p99 the 10th (rank ceil(9.9)). */
    assert_int_equal(ehr_percentile(v, 10, 50), 5);
    assert_int_equal(ehr_percentile(v, 10, 99), 10);
    /* n = 1: every percentile is the one sample. */
    assert_int_equal(ehr_percentile(v + 41, 1, 50), 42);
    assert_int_equal(ehr_percentile(v + 41, 1, 99), 42);
    /* Nothing, or a percentile out of range: 0. */
    assert_int_equal(ehr_percentile(v, 0, 50), 0);
    assert_int_equal(ehr_percentile(NULL, 3, 50), 0);
    assert_int_equal(ehr_percentile(v, 3, 0), 0);
    assert_int_equal(ehr_percentile(v, 3, 101), 0);
}

static void test_summary_sorts_and_reports(void **state)
{
    struct ehr_latency l;
    struct ehr_pct p;
    const uint64_t samples[] = {900, 100, 500, 300, 700};
    size_t i;

    (void)state;
    ehr_latency_init(&l);
    ehr_latency_summary(&l, &p);
    assert_int_equal(p.n, 0);
    assert_int_equal(p.max_us, 0);
    for (i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        assert_true(ehr_latency_add(&l, samples[i]));
    }
    ehr_latency_summary(&l, &p);
    assert_int_equal(p.n, 5);
    assert_int_equal(p.p50_us, 500); /* rank ceil(2.5) = 3 of 100 300 500 700 900 */
    assert_int_equal(p.p99_us, 900);
    assert_int_equal(p.max_us, 900);
    ehr_latency_free(&l);
}

/* On random sets, the value returned satisfies the nearest-rank definition: at least pct % of
 * the samples are <= it, and fewer than pct % are < it. */
static void test_percentile_property(void **state)
{
    struct ehr_latency l;
    struct ehr_pct p;
    uint64_t x = 88172645463325252ULL;
    unsigned round;

    (void)state;
    for (round = 0; round < 200U; round++) {
        size_t n = 1U + (size_t)(round * 7U % 300U);
        size_t i;
        unsigned pcts[2] = {50, 99};
        unsigned k;
        ehr_latency_init(&l);
        for (i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            assert_true(ehr_latency_add(&l, x % 1000U)); /* many ties */
        }
        ehr_latency_summary(&l, &p);
        for (k = 0; k < 2U; k++) {
            uint64_t v = ehr_percentile(l.us, l.n, pcts[k]);
            size_t n_le = 0;
            size_t n_lt = 0;
            for (i = 0; i < n; i++) {
                n_le += (l.us[i] <= v) ? 1U : 0U;
                n_lt += (l.us[i] < v) ? 1U : 0U;
            }
            assert_true(n_le * 100U >= (size_t)pcts[k] * n);
            assert_true(n_lt * 100U < (size_t)pcts[k] * n);
        }
        assert_int_equal(p.p50_us, ehr_percentile(l.us, l.n, 50));
        for (i = 0; i < n; i++) {
            assert_true(l.us[i] <= p.max_us);
        }
        ehr_latency_free(&l);
    }
}

static void test_idmap(void **state)
{
    struct ehr_idmap m;
    char key[32];
    uint32_t i;
    uint32_t v = 0;
    bool is_new = false;

    (void)state;
    ehr_idmap_init(&m);
    assert_false(ehr_idmap_get(&m, "x", 1, &v));
    for (i = 0; i < 5000U; i++) {
        (void)snprintf(key, sizeof key, "EHRSIM-%u", (unsigned)i);
        assert_true(ehr_idmap_put(&m, key, strlen(key), i, &is_new, NULL));
        assert_true(is_new);
    }
    assert_int_equal(m.n, 5000);
    for (i = 0; i < 5000U; i++) {
        (void)snprintf(key, sizeof key, "EHRSIM-%u", (unsigned)i);
        assert_true(ehr_idmap_get(&m, key, strlen(key), &v));
        assert_int_equal(v, i);
    }
    /* A second put of a key is a duplicate: the first value stays. */
    assert_true(ehr_idmap_put(&m, "EHRSIM-17", 9, 99, &is_new, &v));
    assert_false(is_new);
    assert_int_equal(v, 17);
    assert_true(ehr_idmap_get(&m, "EHRSIM-17", 9, &v));
    assert_int_equal(v, 17);
    /* Keys are compared by length and bytes: a prefix is another key. */
    assert_false(ehr_idmap_get(&m, "EHRSIM-1", 7, &v));
    assert_false(ehr_idmap_get(&m, "EHRSIM-99999", 12, &v));
    ehr_idmap_free(&m);
    assert_int_equal(m.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percentile_known_sets),
        cmocka_unit_test(test_summary_sorts_and_reports),
        cmocka_unit_test(test_percentile_property),
        cmocka_unit_test(test_idmap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
