/*
 * test_channel_review.c - tests written by the adversarial safety review of the channel core
 * (docs/pump.md, "Safety requirements trace", rows 19 ff.). Each test names the defect it
 * showed before the fix, so it can be read as a regression test.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "oi_json.h"

#include "channel_fixture.h"

#define BASIC_SECONDARY "{'care_area':'ADULT_ICU','mode':'basic','rate_ml_h':50,'vtbi_ml':10}"
#define MAG_PRIMARY                                                                             \
    "{'care_area':'LABOR_DELIVERY','entry':'GH-LD-MAG','mode':'continuous','dose':1,"          \
    "'dose_unit':'g/h'}"
#define MAG_LOADING                                                                             \
    "{'care_area':'LABOR_DELIVERY','entry':'GH-LD-MAG','mode':'loading','dose':4,"             \
    "'dose_unit':'g'}"

static pump_status tick_delivering(uint64_t dt_ms, uint64_t delivered_nl)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    bnow += dt_ms;
    c.kind = PUMP_EV_TICK;
    normal_sensors(&c.tick);
    c.tick.delivered_nl = delivered_nl;
    return send(&c);
}

/* Defect 1: a bolus asked for while a secondary runs moved the channel to BOLUS with
 * is_secondary still set, which broke an invariant: a host command latched FAULT and stopped
 * the primary infusion. It must be refused instead, with the secondary still running. */
static void test_bolus_during_secondary_is_refused(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(10000, 1000);
    assert_int_equal(send_prog(PUMP_EV_SECONDARY, PROG(BASIC_SECONDARY), PUMP_OVR_NONE), PUMP_OK);
    assert_true(bch.is_secondary);
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE), PUMP_ERR_INVAL);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_true(bch.is_secondary);
    assert_true(bch.motor_on);
    assert_int_equal(bch.n_asserts, 0);
    run_for(10000, 1000);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    release_programs();
}

/* Defect 2: volume the motor failed to deliver (a silent stall, a slipping mechanism) stayed
 * in the runaway allowance for ever, so later the motor could move that much with the channel
 * paused (free flow) without a FAULT. At every segment end the allowance is now what was
 * delivered, both ways. */
static void test_undelivered_volume_is_no_runaway_credit(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    for (int i = 0; i < 60; i++) { /* 60 s at 14.4 mL/h = 240 uL commanded, 0 delivered */
        assert_int_equal(tick_delivering(1000, 0), PUMP_OK);
    }
    assert_int_equal(bch.commanded_nl, 240000);
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_PAUSED);
    /* paused, yet the mechanism moves 100 uL: five times the slack */
    assert_int_equal(tick_delivering(1000, 100000), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_false(bch.motor_on);
    /* commanded_nl keeps its documented meaning: rate x time, exact */
    assert_int_equal(bch.commanded_nl, 240000);
    release_programs();
}

/* ... while overshoot of one step per segment is still absorbed (test_channel_modes covers the
 * PCA case) and a motor that catches up inside its segment is still accepted. */
static void test_lagging_motor_inside_a_segment_is_accepted(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    assert_int_equal(tick_delivering(1000, 0), PUMP_OK);     /* 4 uL commanded */
    assert_int_equal(tick_delivering(1000, 8000), PUMP_OK);  /* catches up */
    assert_int_equal(tick_delivering(1000, 14000), PUMP_OK); /* one 10 uL step ahead */
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    assert_int_equal(tick_delivering(1000, 15000), PUMP_OK); /* run-on inside the slack */
    assert_int_equal(tick_delivering(1000, 6000), PUMP_ERR_INTERNAL);
    release_programs();
}

/* Defect 3: the air of one minute was summed in 32 bits; a saturated sensor reading
 * (0xFFFFFFFF nL) wrapped the bucket to a few nL and no AIR_ACCUM alarm was raised. */
static void test_air_accumulation_does_not_wrap(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    struct pump_sensors s;
    normal_sensors(&s);
    s.air_total_nl = 1000;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    s.air_total_nl = UINT32_MAX;
    s.air_bubble_nl = 0; /* the single-bubble detector saw nothing */
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_AIR_ACCUM));
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    release_programs();
}

/* Defect 4: with now_ms within 15 min of UINT64_MAX, start + window overflowed and the air
 * buckets were cleared on every tick: accumulated air was never detected. */
static void test_air_accumulates_near_the_end_of_time(void **state)
{
    (void)state;
    bench_init();
    bnow = UINT64_MAX - 10U * 60000U;
    start_program(PROG(HEPARIN_18));
    struct pump_sensors s;
    normal_sensors(&s);
    s.air_total_nl = 100000; /* 100 uL a second: 1 mL is passed after 11 s */
    s.air_bubble_nl = 10000;
    for (int i = 0; i < 20 && bch.state == PUMP_ST_RUNNING; i++) {
        assert_int_equal(tick_with(1000, &s), PUMP_OK);
    }
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_AIR_ACCUM));
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    release_programs();
}

/* Defect 5: with now_ms within four hours of UINT64_MAX, time + 4 h overflowed: every granted
 * dose dropped out of the rolling window at once and the four-hour limit was not enforced. */
static void test_pca_window_near_the_end_of_time(void **state)
{
    (void)state;
    bench_init();
    bnow = UINT64_MAX - 2U * 3600000U;
    start_program(PROG(PCA_MORPHINE)); /* 1 mg = 1 mL doses, limit 20 mg = 20 mL */
    uint64_t granted = 0;
    for (int i = 0; i < 12; i++) {
        pump_status st = send_prog(PUMP_EV_CLINICIAN_BOLUS, PROG(PCA_CLINICIAN), PUMP_OVR_NONE);
        if (st == PUMP_OK) {
            granted += 2000000; /* 2 mL */
            assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), granted);
        } else {
            assert_int_equal(st, PUMP_ERR_DENIED);
            const struct pump_log_record *r = last_seen(PUMP_REC_PCA);
            assert_int_equal(r->detail, PUMP_PCA_FOUR_HOUR);
        }
        run_for(2 * 60000, 1000); /* 2 mL at 100 mL/h: 72 s */
        assert_int_equal(bch.state, PUMP_ST_RUNNING);
    }
    assert_int_equal(granted, 20000000); /* ten doses, never more than the limit */
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 20000000);
    release_programs();
}

/* Defect 6: commanded volume over a long gap was integrated in steps of 2^32 ms: a command at
 * now_ms = UINT64_MAX after a running channel looped 4 * 10^9 times (the control loop hangs;
 * Power of Ten rule 2). Now one division; the watchdog faults as before. */
static void test_huge_time_jump_is_constant_time(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(5000, 1000);
    clock_t t0 = clock();
    bnow = UINT64_MAX;
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_ERR_INTERNAL);
    double cpu_s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(cpu_s < 0.5);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_false(bch.motor_on);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_WATCHDOG));
    /* a motor report after the gap: the runaway arithmetic does not wrap */
    assert_int_equal(tick_delivering(0, 1000), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    release_programs();
}

/* The same split of time gives the same commanded volume (the O(1) integration is exact). */
static void test_integration_exact_over_long_gaps(void **state)
{
    (void)state;
    bench_init();
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    cfg.watchdog_ms = UINT32_MAX; /* allow gaps of 49 days */
    bench_init_cfg(&cfg);
    start_program(PROG(HEPARIN_18));
    uint64_t t_start = bnow;
    uint64_t c0 = bch.commanded_nl;
    uint64_t gaps[] = {1, 3599999, 3600001, 4294967295ULL, 7, 1234567891ULL};
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        bnow += gaps[i];
        total += gaps[i];
        struct pump_cmd c;
        memset(&c, 0, sizeof c);
        c.kind = PUMP_EV_TICK;
        normal_sensors(&c.tick);
        assert_int_equal(send(&c), PUMP_OK);
        assert_int_equal(bch.commanded_nl - c0, (14400000ULL * total) / 3600000ULL);
    }
    assert_int_equal(bnow - t_start, total);
    release_programs();
}

/* Defect 7: a log whose next seq was UINT64_MAX stored a record with it and wrapped next_seq to
 * 0: the following record got seq 0 (not monotonic) and nothing could be acknowledged again.
 * Now UINT64_MAX is the last seq given (seq_exhausted); after it the log counts records as
 * lost and reports itself high (LOG_FULL), never wraps; acks still work. */
static void test_log_seq_never_wraps(void **state)
{
    (void)state;
    static struct pump_log lg;
    pump_log_init(&lg, UINT64_MAX - 2U);
    uint64_t last = 0;
    unsigned stored = 0;
    for (int i = 0; i < 4; i++) {
        struct pump_log_record r;
        memset(&r, 0, sizeof r);
        r.type = PUMP_REC_ALARM;
        r.event = PUMP_EV_COUNT;
        r.time_ms = (uint64_t)i;
        if (pump_log_append(&lg, &r) == PUMP_OK) {
            assert_true(stored == 0 || r.seq > last);
            last = r.seq;
            stored++;
        }
    }
    assert_int_equal(stored, 3);
    assert_true(last == UINT64_MAX);
    assert_true(pump_log_next_seq(&lg) >= last);
    assert_int_equal(lg.n_lost, 1);
    assert_true(pump_log_is_high(&lg));
    assert_int_equal(pump_log_ack(&lg, last), PUMP_OK);
    assert_int_equal(pump_log_count(&lg), 0);
    assert_true(pump_log_is_high(&lg)); /* still: no seq left to give */
}

/* Fill the bench log (drain_log off) up to `n` unacknowledged records. */
static void fill_log_to(uint32_t n)
{
    drain_log = false;
    while (pump_log_count(&blog) < n) {
        struct pump_log_record r;
        memset(&r, 0, sizeof r);
        r.type = PUMP_REC_STATE;
        r.time_ms = bnow;
        r.event = PUMP_EV_COUNT;
        assert_int_equal(pump_log_append(&blog, &r), PUMP_OK);
    }
}

/* Missing test (from the author): with the log at its high-water mark START is refused and the
 * refusal is accounted (a routine REFUSED record: not stored, counted, reported by the LOST
 * record once the store catches up); a PCA demand is denied with a PCA record in a reserved
 * slot. Defect 8: before, a START refused by a guard left no trace at all. */
static void test_log_high_refuses_start_and_pca_demand(void **state)
{
    (void)state;
    bench_init();
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(HEPARIN_18), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    fill_log_to(PUMP_LOG_HIGH_WATER);
    uint64_t lost_total = blog.n_lost_total;
    uint32_t at = pump_log_count(&blog);
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_ERR_REFUSED);
    assert_int_equal(bch.state, PUMP_ST_READY);
    assert_false(bch.motor_on);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_LOG_FULL));
    /* the REFUSED record is routine: not stored, counted, and reported at once by a LOST
     * record in a reserved slot, ahead of the LOG_FULL alarm record */
    assert_int_equal(blog.n_lost_total, lost_total + 1U);
    struct pump_log_record r;
    assert_int_equal(pump_log_peek(&blog, at, &r), PUMP_OK);
    assert_int_equal(r.type, PUMP_REC_LOST);
    assert_int_equal(r.v1, 1);
    assert_int_equal(pump_log_peek(&blog, at + 1U, &r), PUMP_OK);
    assert_int_equal(r.type, PUMP_REC_ALARM);
    assert_int_equal(r.code, PUMP_ALM_LOG_FULL);
    assert_int_equal(r.detail, PUMP_ALARM_RAISED);
    /* the store catches up: START is accepted again */
    assert_int_equal(pump_log_ack(&blog, pump_log_next_seq(&blog) - 1U), PUMP_OK);
    drain_log = true;
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);

    /* PCA: denied with its reason, recorded in a reserved slot */
    start_program(PROG(PCA_MORPHINE));
    fill_log_to(PUMP_LOG_HIGH_WATER);
    uint32_t before = pump_log_count(&blog);
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_false(bch.motor_on);
    assert_int_equal(bch.pca_granted, 0);
    assert_int_equal(bch.pca_denied, 1);
    assert_true(pump_log_count(&blog) > before);
    bool found = false;
    for (uint32_t i = before; i < pump_log_count(&blog); i++) {
        assert_int_equal(pump_log_peek(&blog, i, &r), PUMP_OK);
        if (r.type == PUMP_REC_PCA) {
            found = true;
            assert_int_equal(r.code, 0);
            assert_int_equal(r.detail, PUMP_PCA_LOG_FULL);
            assert_int_equal(r.v1, 1000000);
        }
    }
    assert_true(found);
    release_programs();
}

/* Missing test: with the ring completely full (no reserved slot left) START is refused, a PCA
 * demand is denied, nothing is overwritten, and both are reported by the LOST record. */
static void test_log_completely_full_refuses_and_overwrites_nothing(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    fill_log_to(PUMP_LOG_CAPACITY);
    struct pump_log_record first;
    assert_int_equal(pump_log_peek(&blog, 0, &first), PUMP_OK);
    uint64_t next = pump_log_next_seq(&blog);
    uint64_t lost = blog.n_lost;
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.pca_denied, 1);
    assert_true(blog.n_lost > lost);
    assert_int_equal(pump_log_next_seq(&blog), next); /* nothing stored, no seq used */
    assert_int_equal(pump_log_count(&blog), PUMP_LOG_CAPACITY);
    struct pump_log_record again;
    assert_int_equal(pump_log_peek(&blog, 0, &again), PUMP_OK);
    assert_int_equal(again.seq, first.seq); /* the oldest was not overwritten */
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(PCA_MORPHINE), PUMP_OVR_NONE),
                     PUMP_ERR_REFUSED);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    uint64_t lost_now = blog.n_lost;
    assert_int_equal(pump_log_ack(&blog, first.seq), PUMP_OK); /* one slot frees... */
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_SILENCE, PUMP_ALM_LOG_FULL), PUMP_OK);
    assert_int_equal(blog.n_lost, lost_now + 1U); /* ...not enough for LOST + a record */
    assert_int_equal(pump_log_ack(&blog, pump_log_next_seq(&blog) - 1U), PUMP_OK);
    drain_log = true;
    assert_int_equal(tick(1000), PUMP_OK);
    const struct pump_log_record *l = last_seen(PUMP_REC_LOST);
    assert_int_equal(l->type, PUMP_REC_LOST);
    assert_true(l->v1 >= 3U); /* the demand's PCA record, its state effects, the program */
    release_programs();
}

/* Defect 9: a loading dose from READY did not check for a present stop cause (START does): the
 * channel went READY -> BOLUS -> ALARM_STOPPED in one call, writing a bolus that never ran, and
 * RESUME then started the primary without the START guard. Now refused like START. */
static void test_loading_dose_refused_while_occluded(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(MAG_PRIMARY));
    struct pump_sensors s;
    normal_sensors(&s);
    s.pressure_down_mmhg = 700;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    s.pressure_down_mmhg = 300; /* not yet relieved */
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(MAG_PRIMARY), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_ERR_NOT_READY);
    size_t boluses = count_seen(PUMP_REC_BOLUS);
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(MAG_LOADING), PUMP_OVR_NONE),
                     PUMP_ERR_NOT_READY);
    assert_int_equal(bch.state, PUMP_ST_READY);
    assert_false(bch.motor_on);
    assert_int_equal(count_seen(PUMP_REC_BOLUS), boluses);
    const struct pump_log_record *r = last_seen(PUMP_REC_REFUSED);
    assert_int_equal(r->event, PUMP_EV_BOLUS);
    assert_int_equal(r->code, (uint8_t)PUMP_ERR_NOT_READY);
    s.pressure_down_mmhg = 50; /* relieved */
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_ACK, PUMP_ALM_COUNT), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(MAG_LOADING), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_BOLUS);
    release_programs();
}

/* A RESUME refused while the pressure is not relieved is recorded (REFUSED, code NOT_READY). */
static void test_resume_refusal_is_recorded(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    struct pump_sensors s;
    normal_sensors(&s);
    s.pressure_down_mmhg = 700;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_NOT_READY);
    const struct pump_log_record *r = last_seen(PUMP_REC_REFUSED);
    assert_int_equal(r->type, PUMP_REC_REFUSED);
    assert_int_equal(r->event, PUMP_EV_RESUME);
    assert_int_equal(r->code, (uint8_t)PUMP_ERR_NOT_READY);
    assert_int_equal(r->from, PUMP_ST_ALARM_STOPPED);
    release_programs();
}

/* Defect 10: a CONFIRM of a soft alert without a reason was refused (NEED_REASON, documented
 * as "recorded") but left no record: the attempted override without a reason was invisible. */
static void test_confirm_without_reason_is_recorded(void **state)
{
    (void)state;
    bench_init();
    assert_int_equal(send_prog(PUMP_EV_PROGRAM,
                               PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-PROP',"
                                    "'mode':'continuous','dose':3,'dose_unit':'mcg/kg/min',"
                                    "'weight_kg':70}"),
                               PUMP_OVR_NONE),
                     PUMP_OK);
    assert_int_equal(bch.pending.outcome, PUMP_SOFT_LOW);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_ERR_NEED_REASON);
    assert_int_equal(bch.state, PUMP_ST_PROGRAMMED);
    const struct pump_log_record *r = last_seen(PUMP_REC_REFUSED);
    assert_int_equal(r->type, PUMP_REC_REFUSED);
    assert_int_equal(r->event, PUMP_EV_CONFIRM);
    assert_int_equal(r->code, (uint8_t)PUMP_ERR_NEED_REASON);
    assert_int_equal(count_seen(PUMP_REC_OVERRIDE), 0);
    release_programs();
}

/* Review checks that held (kept as regression tests). */

/* FAULT is sticky: every host command but TICK and ALARM_SILENCE is refused, the motor stays
 * off whatever arrives, and a silence lasts at most silence_ms. */
static void test_fault_is_sticky_for_every_command(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(3000, 1000);
    bch.state = 0xEE; /* corrupt */
    assert_int_equal(tick(1000), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    for (unsigned k = 0; k < PUMP_EV_HOST_COUNT; k++) {
        struct pump_cmd c;
        memset(&c, 0, sizeof c);
        c.kind = (uint8_t)k;
        c.program.lib = &fx.lib;
        c.program.prog = PROG(HEPARIN_18);
        if (k == PUMP_EV_TICK) {
            normal_sensors(&c.tick);
        }
        if (k == PUMP_EV_ALARM_ACK || k == PUMP_EV_ALARM_SILENCE) {
            c.alarm.alarm = PUMP_ALM_COUNT;
        }
        if (k == PUMP_EV_LIBRARY_ACTIVATE) {
            c.library.lib = &fx.lib;
        }
        bnow += 1000;
        pump_status st = send(&c);
        if (k == PUMP_EV_TICK || k == PUMP_EV_ALARM_SILENCE) {
            assert_int_equal(st, PUMP_OK);
        } else {
            assert_true(st == PUMP_ERR_REFUSED || st == PUMP_ERR_DENIED);
        }
        assert_int_equal(bch.state, PUMP_ST_FAULT);
        assert_false(bch.motor_on);
        assert_int_equal(bch.rate_nl_per_h, 0);
        assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_FAULT));
    }
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_SILENCE, PUMP_ALM_FAULT), PUMP_OK);
    assert_false(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_FAULT, bnow));
    assert_true(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_FAULT, bnow + PUMP_SILENCE_MAX_MS));
    release_programs();
}

/* A PCA demand during lockout is denied even right after a clinician bolus, and a clinician
 * bolus that would pass the four-hour limit is denied (rolling window, the limit exactly). */
static void test_pca_limit_exact_and_rolling(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(PCA_MORPHINE));
    for (int i = 0; i < 10; i++) { /* 10 x 2 mL = the 20 mL limit exactly */
        assert_int_equal(send_prog(PUMP_EV_CLINICIAN_BOLUS, PROG(PCA_CLINICIAN), PUMP_OVR_NONE),
                         PUMP_OK);
        run_for(2 * 60000, 1000);
    }
    assert_int_equal(pump_channel_pca_window_nl(&bch, bnow), 20000000);
    run_for(20 * 60000, 60000); /* past the lockout */
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_ERR_DENIED);
    assert_int_equal(last_seen(PUMP_REC_PCA)->detail, PUMP_PCA_FOUR_HOUR);
    /* the first dose (at the start) leaves the window exactly 4 h after it was granted */
    run_for(4U * 3600000U - 40U * 60000U, 60000);
    /* now 4 h after the first dose: it has left; 2 mL free, a 1 mL demand fits */
    assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
    assert_true(pump_channel_pca_window_nl(&bch, bnow) <= 20000000);
    release_programs();
}

/* PUMP_ASSERT on the invariants: a rate above the mechanism's limit (here planted in the kept
 * program) is caught at the next transition: FAULT, motor off, the assertion counted, the
 * source line recorded. */
static void test_invariant_assert_latches_fault(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    bch.primary.rate_nl_per_h = bch.cfg.max_rate_nl_per_h + 1U; /* corrupt */
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_false(bch.motor_on);
    assert_int_equal(bch.rate_nl_per_h, 0);
    assert_int_equal(bch.n_asserts, 1);
    const struct pump_log_record *r = last_seen(PUMP_REC_FAULT);
    assert_int_equal(r->code, PUMP_ALM_FAULT);
    assert_true(r->v1 > 0);
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bolus_during_secondary_is_refused),
        cmocka_unit_test(test_undelivered_volume_is_no_runaway_credit),
        cmocka_unit_test(test_lagging_motor_inside_a_segment_is_accepted),
        cmocka_unit_test(test_air_accumulation_does_not_wrap),
        cmocka_unit_test(test_air_accumulates_near_the_end_of_time),
        cmocka_unit_test(test_pca_window_near_the_end_of_time),
        cmocka_unit_test(test_huge_time_jump_is_constant_time),
        cmocka_unit_test(test_integration_exact_over_long_gaps),
        cmocka_unit_test(test_log_seq_never_wraps),
        cmocka_unit_test(test_log_high_refuses_start_and_pca_demand),
        cmocka_unit_test(test_log_completely_full_refuses_and_overwrites_nothing),
        cmocka_unit_test(test_loading_dose_refused_while_occluded),
        cmocka_unit_test(test_resume_refusal_is_recorded),
        cmocka_unit_test(test_confirm_without_reason_is_recorded),
        cmocka_unit_test(test_fault_is_sticky_for_every_command),
        cmocka_unit_test(test_pca_limit_exact_and_rolling),
        cmocka_unit_test(test_invariant_assert_latches_fault),
    };
    int failed = cmocka_run_group_tests(tests, load_library, free_library);
    release_programs();
    return failed;
}
