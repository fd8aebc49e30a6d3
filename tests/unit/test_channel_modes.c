/*
 * test_channel_modes.c - the delivery modes of a channel (docs/pump.md "Modes"), DERS on every
 * program and titration, restarts, and the faults of the motor and the control loop.
 * Volumes are checked exactly in nL against figures computed here from the library's numbers.
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

/* heparin 18 units/kg/h x 80 kg = 1440 units/h at 100 units/mL = 14.4 mL/h */
#define HEP_RATE_NL_H 14400000ULL

static void test_continuous_vtbi_then_kvo(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP','mode':'continuous',"
                       "'dose':18,'dose_unit':'units/kg/h','weight_kg':80,'vtbi_ml':2}"));
    assert_int_equal(bch.rate_nl_per_h, HEP_RATE_NL_H);
    assert_true(bch.has_time_remaining);
    assert_int_equal(bch.time_remaining_ms, 500000); /* 2 mL at 14.4 mL/h = 500 s */
    run_for(400000, 1000);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_VTBI_NEAR_END)); /* 100 s left */
    run_for(100000, 1000);
    assert_int_equal(bch.state, PUMP_ST_KVO);
    assert_int_equal(bch.vol_primary_nl, 2000000);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_VTBI_COMPLETE));
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_VTBI_NEAR_END));
    assert_int_equal(pump_alarm_priority(PUMP_ALM_VTBI_COMPLETE), PUMP_PRIO_MEDIUM);
    assert_int_equal(bch.rate_nl_per_h, 1000000); /* the KVO rate, 1 mL/h */
    run_for(3600000, 1000);
    assert_int_equal(bch.vol_kvo_nl, 1000000);
    assert_int_equal(bch.vol_infusion_nl, 3000000);
    /* dose delivered: 3 mL x 100 units/mL = 300 units, exactly */
    struct pump_q dose;
    assert_int_equal(pump_channel_dose_delivered(&bch, &dose), PUMP_OK);
    assert_int_equal(pump_q_cmp(dose, pump_q_int(300)), 0);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    release_programs();
}

static void test_kvo_never_above_running_rate(void **state)
{
    (void)state;
    bench_init();
    /* 0.5 mL/h is below the 1 mL/h KVO rate: KVO runs at 0.5 mL/h */
    start_program(PROG("{'care_area':'ADULT_ICU','mode':'basic','rate_ml_h':0.5,"
                       "'vtbi_ml':0.01}"));
    assert_int_equal(bch.rate_nl_per_h, 500000);
    run_for(80000, 1000);
    assert_int_equal(bch.state, PUMP_ST_KVO);
    assert_int_equal(bch.rate_nl_per_h, 500000);
    release_programs();
}

static void test_vtbi_complete_without_kvo_stops(void **state)
{
    (void)state;
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    cfg.kvo_rate_nl_per_h = 0;
    bench_init_cfg(&cfg);
    start_program(PROG("{'care_area':'GENERAL_WARD','entry':'GH-WARD-NS','mode':'fluid',"
                       "'dose':100,'dose_unit':'mL/h','vtbi_ml':1}"));
    run_for(40000, 1000);
    assert_int_equal(bch.state, PUMP_ST_COMPLETE);
    assert_false(bch.motor_on);
    assert_int_equal(bch.vol_primary_nl, 1000000);
    release_programs();
}

static void test_continuous_without_vtbi_runs_on(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    assert_false(bch.has_time_remaining);
    assert_false(bch.has_segment_limit);
    run_for(4 * 3600000ULL, 5000);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.vol_primary_nl, 4 * HEP_RATE_NL_H);
    assert_true(count_seen(PUMP_REC_VOLUME) >= 47); /* a checkpoint every 5 min */
    release_programs();
}

static void test_intermittent_dose_over_duration(void **state)
{
    (void)state;
    bench_init();
    /* ceftriaxone 1 g at 2 g/50 mL = 25 mL over 30 min = 50 mL/h */
    start_program(PROG(CEFTRIAXONE_1G));
    assert_int_equal(bch.rate_nl_per_h, 50000000);
    assert_int_equal(bch.primary.vtbi_nl, 25000000);
    run_for(30 * 60000, 1000);
    assert_int_equal(bch.vol_primary_nl, 25000000);
    assert_int_equal(bch.state, PUMP_ST_KVO);
    release_programs();
}

static void test_bolus_then_back_to_primary(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(60000, 1000);
    /* 50 units/kg x 80 kg = 4000 units = 40 mL over the default 10 min = 240 mL/h */
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_BOLUS);
    assert_int_equal(bch.bolus_kind, PUMP_BOLUS_KIND_BOLUS);
    assert_int_equal(bch.rate_nl_per_h, 240000000);
    run_for(10 * 60000, 1000);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.vol_bolus_nl, 40000000);
    assert_int_equal(bch.rate_nl_per_h, HEP_RATE_NL_H);
    const struct pump_log_record *r = last_seen(PUMP_REC_BOLUS_END);
    assert_true(r->type != PUMP_REC_COUNT && r->code == 1 && r->v1 == 40000000);
    release_programs();
}

static void test_loading_dose_then_primary(void **state)
{
    (void)state;
    bench_init();
    /* magnesium 1 g/h (25 mL/h at 20 g/500 mL); loading 4 g = 100 mL over 20 min = 300 mL/h */
    assert_int_equal(send_prog(PUMP_EV_PROGRAM,
                               PROG("{'care_area':'LABOR_DELIVERY','entry':'GH-LD-MAG',"
                                    "'mode':'continuous','dose':1,'dose_unit':'g/h'}"),
                               PUMP_OVR_NONE),
                     PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_BOLUS,
                               PROG("{'care_area':'LABOR_DELIVERY','entry':'GH-LD-MAG',"
                                    "'mode':'loading','dose':4,'dose_unit':'g'}"),
                               PUMP_OVR_NONE),
                     PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_BOLUS);
    assert_int_equal(bch.bolus_kind, PUMP_BOLUS_KIND_LOADING);
    assert_int_equal(bch.rate_nl_per_h, 300000000);
    run_for(20 * 60000, 1000);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.rate_nl_per_h, 25000000);
    assert_int_equal(bch.vol_bolus_nl, 100000000);
    release_programs();
}

static void test_secondary_then_callback_and_primary(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(SALINE_100));
    run_for(60000, 1000);
    assert_int_equal(send_prog(PUMP_EV_SECONDARY, PROG(CEFTRIAXONE_1G), PUMP_OVR_NONE), PUMP_OK);
    assert_true(bch.is_secondary);
    assert_int_equal(bch.rate_nl_per_h, 50000000);
    run_for(30 * 60000, 1000);
    assert_false(bch.is_secondary);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.rate_nl_per_h, 100000000);
    assert_int_equal(bch.vol_secondary_nl, 25000000);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_SECONDARY_CALLBACK));
    /* a secondary on an entry that does not allow one is refused */
    assert_int_equal(send_prog(PUMP_EV_SECONDARY,
                               PROG("{'care_area':'PEDIATRICS','entry':'GH-PED-PARA',"
                                    "'mode':'intermittent','dose':10,'dose_unit':'mg/kg',"
                                    "'weight_kg':20,'duration_min':30}"),
                               PUMP_OVR_NONE),
                     PUMP_ERR_INVAL);
    assert_false(bch.is_secondary);
    release_programs();
}

static void test_basic_infusion_recorded_as_such(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG("{'care_area':'ADULT_ICU','mode':'basic','rate_ml_h':42.5}"));
    assert_int_equal(bch.rate_nl_per_h, 42500000);
    assert_false(bch.primary.has_entry);
    const struct pump_log_record *r = last_seen(PUMP_REC_PROGRAM);
    assert_true(r->type != PUMP_REC_COUNT && r->extra == PUMP_MODE_BASIC && r->detail == PUMP_LIM_NO_DERS &&
                r->code == PUMP_ACCEPT && r->text_len == 0);
    /* no basic infusion where the care area forbids it */
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_PROGRAM,
                               PROG("{'care_area':'PEDIATRICS','mode':'basic','rate_ml_h':10}"),
                               PUMP_OVR_NONE),
                     PUMP_ERR_BLOCKED);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    release_programs();
}

static void test_hard_stop_blocks_and_is_recorded(void **state)
{
    (void)state;
    bench_init();
    assert_int_equal(send_prog(PUMP_EV_PROGRAM,
                               PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-PROP',"
                                    "'mode':'continuous','dose':90,'dose_unit':'mcg/kg/min',"
                                    "'weight_kg':70}"),
                               PUMP_OVR_PATIENT_CONDITION),
                     PUMP_ERR_BLOCKED);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    const struct pump_log_record *r = last_seen(PUMP_REC_PROGRAM);
    assert_true(r->type != PUMP_REC_COUNT && r->code == PUMP_HARD_HIGH && r->detail == PUMP_LIM_DOSE);
    assert_int_equal(r->text_len, strlen("GH-ICU-PROP"));
    assert_memory_equal(r->text, "GH-ICU-PROP", r->text_len);
    release_programs();
}

static void test_soft_alert_needs_reason_at_confirm(void **state)
{
    (void)state;
    bench_init();
    assert_int_equal(send_prog(PUMP_EV_PROGRAM,
                               PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-PROP',"
                                    "'mode':'continuous','dose':3,'dose_unit':'mcg/kg/min',"
                                    "'weight_kg':70}"),
                               PUMP_OVR_NONE),
                     PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_PROGRAMMED);
    assert_int_equal(bch.pending.outcome, PUMP_SOFT_LOW);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_ERR_NEED_REASON);
    assert_int_equal(bch.state, PUMP_ST_PROGRAMMED);
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_CONFIRM;
    c.confirm.reason = PUMP_OVR_ORDER_VERIFIED;
    c.confirm.text = "per Dr. Who";
    c.confirm.text_len = strlen("per Dr. Who");
    assert_int_equal(send(&c), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_READY);
    const struct pump_log_record *r = last_seen(PUMP_REC_OVERRIDE);
    assert_true(r->type != PUMP_REC_COUNT && r->code == PUMP_SOFT_LOW && r->detail == PUMP_OVR_ORDER_VERIFIED &&
                r->extra == PUMP_LIM_DOSE);
    assert_memory_equal(r->text, "per Dr. Who", r->text_len);
    release_programs();
}

static void test_titration_judged_against_running_dose(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-NOREPI','mode':'continuous',"
                       "'dose':8,'dose_unit':'mcg/min'}"));
    uint64_t old_rate = bch.rate_nl_per_h;
    /* 8 -> 15 mcg/min is +87.5 %: soft (50 %); the host did not send current_dose */
    const struct pump_program *p =
        PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-NOREPI','mode':'continuous','dose':15,"
             "'dose_unit':'mcg/min'}");
    assert_int_equal(send_prog(PUMP_EV_TITRATE, p, PUMP_OVR_NONE), PUMP_ERR_NEED_REASON);
    assert_int_equal(bch.rate_nl_per_h, old_rate);
    assert_int_equal(send_prog(PUMP_EV_TITRATE, p, PUMP_OVR_TITRATION_ORDER), PUMP_OK);
    assert_int_equal(bch.rate_nl_per_h, 14062500); /* 15 mcg/min x 60 / 64 mcg/mL */
    const struct pump_log_record *r = last_seen(PUMP_REC_TITRATION);
    assert_true(r->type != PUMP_REC_COUNT && r->v1 == old_rate && r->v2 == 14062500 && r->code == PUMP_SOFT_HIGH);
    /* 15 -> 31 mcg/min is +107 %: above the hard +100 % */
    assert_int_equal(send_prog(PUMP_EV_TITRATE,
                               PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-NOREPI',"
                                    "'mode':'continuous','dose':31,'dose_unit':'mcg/min'}"),
                               PUMP_OVR_TITRATION_ORDER),
                     PUMP_ERR_BLOCKED);
    assert_int_equal(bch.rate_nl_per_h, 14062500);
    /* a titration to another drug is malformed */
    assert_int_equal(send_prog(PUMP_EV_TITRATE, PROG(HEPARIN_18), PUMP_OVR_NONE), PUMP_ERR_INVAL);
    release_programs();
}

static void test_program_needs_the_activated_library(void **state)
{
    (void)state;
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    pump_log_init(&blog, 1);
    assert_int_equal(pump_channel_init(&bch, &cfg, &blog), PUMP_OK);
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(HEPARIN_18), PUMP_OVR_NONE), PUMP_ERR_INVAL);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    release_programs();
}

/* Power loss while delivering: stopped with the restart alarm; a new channel after a restart
 * (the host's "was delivering" flag) comes back idle with the alarm and will not start until
 * the clinician acknowledges it. */
static void test_restart_never_resumes_silently(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(10000, 1000);
    assert_int_equal(send_kind(PUMP_EV_POWER_LOSS), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_false(bch.motor_on);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_RESTART));

    bench_init(); /* the restart: a fresh channel, log seq from the host */
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_POWER_RESTORE;
    c.power.was_delivering = true;
    assert_int_equal(send(&c), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_RESTART));
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(HEPARIN_18), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_ERR_NOT_READY);
    assert_int_equal(bch.state, PUMP_ST_READY);
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_ACK, PUMP_ALM_RESTART), PUMP_OK);
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_RESTART));
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_OK);
    release_programs();
}

static void test_runaway_motor_faults(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(10000, 1000);
    struct pump_sensors s;
    normal_sensors(&s);
    bnow += 1000;
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_TICK;
    c.tick = s;
    c.tick.delivered_nl = 4000 + bch.cfg.motor_slack_nl + 1000; /* 4 uL commanded */
    assert_int_equal(send(&c), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_false(bch.motor_on);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_REFUSED);
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_ACK, PUMP_ALM_FAULT), PUMP_ERR_REFUSED);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_FAULT));
    release_programs();
}

static void test_motor_within_slack_is_accepted(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    bnow += 1000; /* 4 uL commanded; the motor's step overshoots by 10 uL, inside the slack */
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_TICK;
    normal_sensors(&c.tick);
    c.tick.delivered_nl = 14000;
    assert_int_equal(send(&c), PUMP_OK);
    assert_int_equal(bch.vol_primary_nl, 14000);
    release_programs();
}

static void test_watchdog_faults_when_ticks_stop(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(5000, 1000);
    bnow += bch.cfg.watchdog_ms + 1;
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_WATCHDOG));
    const struct pump_log_record *r = last_seen(PUMP_REC_FAULT);
    assert_true(r->type != PUMP_REC_COUNT && r->code == PUMP_ALM_WATCHDOG);
    release_programs();
}

static void test_pause_cancels_bolus_and_reminds(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE), PUMP_OK);
    run_for(60000, 1000);
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    const struct pump_log_record *r = last_seen(PUMP_REC_BOLUS_END);
    assert_true(r->type != PUMP_REC_COUNT && r->code == 0 && r->v1 == 4000000); /* 1 min at 240 mL/h */
    run_for(bch.cfg.paused_reminder_ms, 1000);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_PAUSED_TOO_LONG));
    assert_int_equal(pump_alarm_priority(PUMP_ALM_PAUSED_TOO_LONG), PUMP_PRIO_LOW);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_int_equal(bch.rate_nl_per_h, HEP_RATE_NL_H);
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_PAUSED_TOO_LONG));
    release_programs();
}

/* A motor that moves whole steps finishes each segment up to one step past its volume. That is
 * accepted at every segment end and does not add up: 30 boluses each 900 nL over (27 uL in all,
 * more than the 20 uL slack) never fault. */
static void test_step_overshoot_per_segment_never_faults(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    for (int k = 0; k < 30; k++) {
        assert_int_equal(send_prog(PUMP_EV_BOLUS,
                                   PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP',"
                                        "'mode':'bolus','dose':1,'dose_unit':'units/kg',"
                                        "'weight_kg':80,'duration_min':10}"),
                                   PUMP_OVR_NONE),
                         PUMP_OK);
        while (bch.state == PUMP_ST_BOLUS) {
            uint64_t prod = bch.rate_nl_per_h * 1000 + motor_rem;
            uint64_t nl = prod / 3600000U;
            motor_rem = prod % 3600000U;
            if (nl >= bch.segment_remaining_nl) {
                nl = bch.segment_remaining_nl + 900; /* the last step goes past */
            }
            bnow += 1000;
            struct pump_cmd c;
            memset(&c, 0, sizeof c);
            c.kind = PUMP_EV_TICK;
            normal_sensors(&c.tick);
            c.tick.delivered_nl = nl;
            assert_int_equal(send(&c), PUMP_OK);
        }
        assert_int_equal(bch.state, PUMP_ST_RUNNING);
        assert_int_equal(bch.vol_bolus_nl, 800000 + 900); /* 80 units = 0.8 mL, plus the step */
    }
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_continuous_vtbi_then_kvo),
        cmocka_unit_test(test_kvo_never_above_running_rate),
        cmocka_unit_test(test_vtbi_complete_without_kvo_stops),
        cmocka_unit_test(test_continuous_without_vtbi_runs_on),
        cmocka_unit_test(test_intermittent_dose_over_duration),
        cmocka_unit_test(test_bolus_then_back_to_primary),
        cmocka_unit_test(test_loading_dose_then_primary),
        cmocka_unit_test(test_secondary_then_callback_and_primary),
        cmocka_unit_test(test_basic_infusion_recorded_as_such),
        cmocka_unit_test(test_hard_stop_blocks_and_is_recorded),
        cmocka_unit_test(test_soft_alert_needs_reason_at_confirm),
        cmocka_unit_test(test_titration_judged_against_running_dose),
        cmocka_unit_test(test_program_needs_the_activated_library),
        cmocka_unit_test(test_restart_never_resumes_silently),
        cmocka_unit_test(test_runaway_motor_faults),
        cmocka_unit_test(test_motor_within_slack_is_accepted),
        cmocka_unit_test(test_watchdog_faults_when_ticks_stop),
        cmocka_unit_test(test_pause_cancels_bolus_and_reminds),
        cmocka_unit_test(test_step_overshoot_per_segment_never_faults),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
