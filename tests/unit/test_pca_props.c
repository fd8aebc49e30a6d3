/*
 * test_pca_props.c - PCA properties over days of simulated time with random (seeded) demand
 * streams, clinician boluses and random gaps:
 *   P1 no demand dose is granted within the lockout of the previous granted dose;
 *   P2 in every window of four hours, the granted doses plus four hours of basal never exceed
 *      the four-hour limit;
 *   P3 every demand is recorded, granted or denied with a reason, and the counters agree;
 *   P4 a demand that would exceed the limit is denied (and recorded as four_hour_limit);
 *   P5 stopping and re-programming the same PCA entry keeps the dose history and the lockout;
 *      a program of another entry in between starts a fresh history.
 * The checks use the records the core wrote (what a server would see), against the program's
 * figures computed here: dose 1 mg at 1 mg/mL = 1 mL, limit 20 mg = 20 mL (P2 is checked
 * directly from the granted list, independently of the core's window bookkeeping).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oi_json.h"

#include "channel_fixture.h"

#define WINDOW_MS (4ULL * 3600000ULL)

/* xorshift64*: deterministic, seeded per run */
static uint64_t rng;
static uint64_t next_rand(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}

struct grant {
    uint64_t t;
    uint64_t nl;
    bool demand;
};

#define MAX_GRANTS 20000
static struct grant grants[MAX_GRANTS];

struct run_stats {
    unsigned demands, granted, lockout, four_hour, busy, clinician;
};

/* One run: program, start, then days of random events. */
static void pca_run(uint64_t seed, const char *program, uint64_t lockout_ms, uint64_t limit_nl,
                    uint64_t basal_nl_h, struct run_stats *out)
{
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    cfg.watchdog_ms = 3600000; /* ticks come with the random events, up to 30 min apart */
    bench_init_cfg(&cfg);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    start_program(PROG(program));
    size_t n_grants = 0;
    size_t seen_from = n_seen;
    memset(out, 0, sizeof *out);
    uint64_t end = bnow + 3ULL * 24 * 3600000; /* three days */
    while (bnow < end) {
        uint64_t r = next_rand();
        uint64_t gap = (r % 2 == 0) ? 1000 + next_rand() % 60000 : 1000 + next_rand() % 900000;
        assert_int_equal(tick(gap), PUMP_OK);
        size_t before = n_seen;
        pump_status st;
        if (r % 50 == 7) {
            bool in_dose = bch.state == PUMP_ST_BOLUS;
            st = send_prog(PUMP_EV_CLINICIAN_BOLUS, PROG(PCA_CLINICIAN), PUMP_OVR_NONE);
            if (in_dose) {
                /* not while a dose runs: refused by the table, recorded as refused */
                assert_int_equal(st, PUMP_ERR_REFUSED);
                assert_int_equal(last_seen(PUMP_REC_REFUSED)->time_ms, bnow);
                continue;
            }
            out->clinician++;
        } else {
            st = send_kind(PUMP_EV_PCA_DEMAND);
            out->demands++;
        }
        assert_true(st == PUMP_OK || st == PUMP_ERR_DENIED);
        /* exactly one PCA record per demand or clinician bolus (P3) */
        unsigned n_pca = 0;
        for (size_t i = before; i < n_seen; i++) {
            const struct pump_log_record *rec = &seen[i % BENCH_KEEP];
            if (rec->type != PUMP_REC_PCA) {
                continue;
            }
            n_pca++;
            if (rec->code == 1) {
                assert_int_equal(st, PUMP_OK);
                assert_true(n_grants < MAX_GRANTS);
                grants[n_grants].t = rec->time_ms;
                grants[n_grants].nl = rec->v1;
                grants[n_grants].demand = rec->event == PUMP_EV_PCA_DEMAND;
                n_grants++;
            } else {
                assert_int_equal(st, PUMP_ERR_DENIED);
                out->lockout += rec->detail == PUMP_PCA_LOCKOUT;
                out->four_hour += rec->detail == PUMP_PCA_FOUR_HOUR;
                out->busy += rec->detail == PUMP_PCA_NOT_DELIVERING;
                assert_true(rec->detail == PUMP_PCA_LOCKOUT || rec->detail == PUMP_PCA_FOUR_HOUR ||
                            rec->detail == PUMP_PCA_NOT_DELIVERING);
            }
        }
        assert_int_equal(n_pca, 1);
    }
    (void)seen_from;
    out->granted = (unsigned)n_grants;
    /* P1: demands respect the lockout from the previous grant (demand or clinician) */
    for (size_t i = 1; i < n_grants; i++) {
        if (grants[i].demand && grants[i].t - grants[i - 1].t < lockout_ms) {
            print_error("seed %llu: demand at %llu only %llu ms after a grant\n",
                        (unsigned long long)seed, (unsigned long long)grants[i].t,
                        (unsigned long long)(grants[i].t - grants[i - 1].t));
            fail();
        }
    }
    /* P2: every 4 h window ending at a grant (those are the maxima) */
    for (size_t i = 0; i < n_grants; i++) {
        uint64_t sum = basal_nl_h * 4;
        for (size_t j = 0; j <= i; j++) {
            if (grants[j].t + WINDOW_MS > grants[i].t) {
                sum += grants[j].nl;
            }
        }
        if (sum > limit_nl) {
            print_error("seed %llu: %llu nL in the 4 h window ending %llu (limit %llu)\n",
                        (unsigned long long)seed, (unsigned long long)sum,
                        (unsigned long long)grants[i].t, (unsigned long long)limit_nl);
            fail();
        }
    }
    /* P3: the channel's counters agree with the records */
    unsigned n_demand_grants = 0;
    for (size_t i = 0; i < n_grants; i++) {
        n_demand_grants += grants[i].demand;
    }
    assert_int_equal(bch.pca_granted, n_demand_grants);
    assert_int_equal(bch.pca_demands, out->demands);
    assert_int_equal(bch.pca_granted + bch.pca_clinician + bch.pca_denied,
                     out->demands + out->clinician);
}

static void test_pca_lockout_and_four_hour_limit_hold(void **state)
{
    (void)state;
    struct run_stats total = {0};
    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct run_stats st;
        pca_run(seed, PCA_MORPHINE, 10 * 60000, 20000000, 0, &st);
        total.demands += st.demands;
        total.granted += st.granted;
        total.lockout += st.lockout;
        total.four_hour += st.four_hour;
        total.busy += st.busy;
        total.clinician += st.clinician;
    }
    print_message("%u demands, %u grants, denied: %u lockout, %u four-hour, %u busy; %u "
                  "clinician\n",
                  total.demands, total.granted, total.lockout, total.four_hour, total.busy,
                  total.clinician);
    /* P4 and the test's power: the streams did reach both limits */
    assert_true(total.lockout > 100);
    assert_true(total.four_hour > 10);
    release_programs();
}

static void test_pca_with_basal_counts_basal(void **state)
{
    (void)state;
    struct run_stats st;
    /* basal 1 mg/h = 1 mL/h: 4 mL of the 20 mL window belong to the basal */
    pca_run(99,
            "{'care_area':'GENERAL_WARD','entry':'GH-WARD-MORPH-PCA','mode':'pca',"
            "'pca':{'dose':1,'lockout_min':6,'basal':1,'four_hour_limit':20}}",
            6 * 60000, 20000000, 1000000, &st);
    assert_true(st.four_hour > 0);
    assert_int_equal(bch.rate_nl_per_h == 1000000 || bch.state == PUMP_ST_BOLUS, 1);
    release_programs();
}

/* A demand in lockout is denied and recorded; after the lockout it is granted. */
static void test_pca_single_lockout(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    assert_false(bch.motor_on); /* no basal */
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_BOLUS);
    assert_int_equal(bch.bolus_target_nl, 1000000);
    run_for(60000, 1000); /* 1 mL at 100 mL/h: 36 s */
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    run_for(8 * 60000, 1000);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    const struct pump_log_record *r = last_seen(PUMP_REC_PCA);
    assert_true(r->code == 0 && r->detail == PUMP_PCA_LOCKOUT && r->v3 == 9 * 60000);
    run_for(60000, 1000);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    release_programs();
}

/* Stop and re-program the same PCA entry (the dose history and the lockout carry over). */
static void stop_and_restart_morphine(void)
{
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    start_program(PROG(PCA_MORPHINE));
}

/* Within the lockout of the previous program's dose, a demand on the new program is denied. */
static void test_pca_reprogram_same_entry_keeps_lockout(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    uint64_t granted_at = bnow;
    run_for(60000, 1000); /* the 1 mL dose is infused */
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    stop_and_restart_morphine();
    assert_true(bch.pca_has_grant);
    assert_int_equal(bch.pca_last_grant_ms, granted_at);
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 1000000);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    const struct pump_log_record *r = last_seen(PUMP_REC_PCA);
    assert_true(r->code == 0 && r->detail == PUMP_PCA_LOCKOUT);
    assert_int_equal(r->v2, 1000000);          /* the previous program's dose is in the window */
    assert_int_equal(r->v3, bnow - granted_at); /* time since that grant */
    /* the counters are the new program's */
    assert_int_equal(bch.pca_demands, 1);
    assert_int_equal(bch.pca_granted, 0);
    assert_int_equal(bch.pca_denied, 1);
    run_for(granted_at + 10 * 60000 - bnow, 1000); /* the lockout ends 10 min after the grant */
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    release_programs();
}

/* Near the four-hour limit, re-programming gives no new allowance: a demand that would exceed
 * the rolling limit is denied, and the old doses leave the window four hours after them. */
static void test_pca_reprogram_same_entry_keeps_four_hour_window(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    uint64_t first = bnow;
    for (unsigned i = 0; i < 10; i++) { /* 10 clinician boluses of 2 mL: the 20 mL limit */
        assert_int_equal(send_prog(PUMP_EV_CLINICIAN_BOLUS, PROG(PCA_CLINICIAN), PUMP_OVR_NONE),
                         PUMP_OK);
        run_for(2 * 60000, 1000); /* 2 mL at 100 mL/h: 72 s */
        assert_int_equal(bch.state, PUMP_ST_RUNNING);
        release_programs();
    }
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 20000000);
    stop_and_restart_morphine();
    run_for(11 * 60000, 1000); /* past the lockout */
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 20000000);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    const struct pump_log_record *r = last_seen(PUMP_REC_PCA);
    assert_true(r->code == 0 && r->detail == PUMP_PCA_FOUR_HOUR && r->v2 == 20000000);
    /* a clinician bolus is held to the same window */
    assert_int_equal(send_prog(PUMP_EV_CLINICIAN_BOLUS, PROG(PCA_CLINICIAN), PUMP_OVR_NONE),
                     PUMP_ERR_DENIED);
    assert_true(last_seen(PUMP_REC_PCA)->detail == PUMP_PCA_FOUR_HOUR);
    /* four hours after the first bolus it has left the window: 18 mL + 1 mL fits */
    run_for(first + WINDOW_MS - bnow, 1000);
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 18000000);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    release_programs();
}

/* A program of another entry in between starts a fresh history: the next PCA program has an
 * empty window and no lockout. */
static void test_pca_other_entry_starts_fresh_history(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    run_for(60000, 1000);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    start_program(PROG(SALINE_100));
    assert_false(bch.pca_has_grant);
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 0);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    start_program(PROG(PCA_MORPHINE));
    assert_false(bch.pca_has_grant);
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 0);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK); /* within 10 min, but fresh */
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_single_lockout),
        cmocka_unit_test(test_pca_lockout_and_four_hour_limit_hold),
        cmocka_unit_test(test_pca_with_basal_counts_basal),
        cmocka_unit_test(test_pca_reprogram_same_entry_keeps_lockout),
        cmocka_unit_test(test_pca_reprogram_same_entry_keeps_four_hour_window),
        cmocka_unit_test(test_pca_other_entry_starts_fresh_history),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
