/*
 * test_alarm.c - the alarms of a channel: the priority/effect table against its own copy written
 * from docs/pump.md ("Alarms"), and each alarm raised from its sensor input with its effect on
 * delivery, latching, silence (at most 2 min, then re-armed) and acknowledgement.
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

struct doc_row {
    pump_alarm_id id;
    pump_priority prio;
    pump_alarm_effect effect;
    bool latching;
};

/* docs/pump.md, "Alarms", row by row. */
static const struct doc_row doc[] = {
    {PUMP_ALM_OCCL_DOWN, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_OCCL_UP, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_AIR_BUBBLE, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_AIR_ACCUM, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_VTBI_NEAR_END, PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, false},
    {PUMP_ALM_VTBI_COMPLETE, PUMP_PRIO_MEDIUM, PUMP_EFFECT_KVO, true},
    {PUMP_ALM_CONTAINER_EMPTY, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_BATTERY_LOW, PUMP_PRIO_MEDIUM, PUMP_EFFECT_CONTINUE, false},
    {PUMP_ALM_BATTERY_DEPLETED, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_DOOR_OPEN, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_PAUSED_TOO_LONG, PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, false},
    {PUMP_ALM_SECONDARY_CALLBACK, PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, true},
    {PUMP_ALM_MOTOR_STALL, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_WATCHDOG, PUMP_PRIO_HIGH, PUMP_EFFECT_FAULT, true},
    {PUMP_ALM_LOG_FULL, PUMP_PRIO_HIGH, PUMP_EFFECT_CONTINUE, false},
    {PUMP_ALM_RESTART, PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, true},
    {PUMP_ALM_FAULT, PUMP_PRIO_HIGH, PUMP_EFFECT_FAULT, true},
};

static void test_table_matches_documentation(void **state)
{
    (void)state;
    assert_int_equal(sizeof doc / sizeof doc[0], PUMP_ALM_COUNT);
    for (size_t i = 0; i < sizeof doc / sizeof doc[0]; i++) {
        assert_int_equal(doc[i].id, i);
        assert_int_equal(pump_alarm_priority(doc[i].id), doc[i].prio);
        assert_int_equal(pump_alarm_effect_of(doc[i].id), doc[i].effect);
        assert_int_equal(pump_alarm_is_latching(doc[i].id), doc[i].latching);
        assert_string_not_equal(pump_alarm_str(doc[i].id), "?");
    }
    assert_int_equal(pump_alarm_priority((pump_alarm_id)99), PUMP_PRIO_HIGH);
    assert_int_equal(pump_alarm_effect_of((pump_alarm_id)99), PUMP_EFFECT_FAULT);
}

static void running_heparin(void)
{
    bench_init();
    start_program(PROG(HEPARIN_18));
    run_for(5000, 1000);
}

/* Downstream occlusion stops delivery; resume waits until the pressure is relieved (the host is
 * told to relieve it), so no bolus is pushed when the line clears. */
static void test_occlusion_relief_before_resume(void **state)
{
    (void)state;
    running_heparin();
    struct pump_sensors s;
    normal_sensors(&s);
    s.pressure_down_mmhg = 650;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_false(bch.motor_on);
    assert_true(bch.relieve_pressure);
    assert_int_equal(pump_alarm_highest_audible(&bch.alarms, bnow), PUMP_PRIO_HIGH);
    s.pressure_down_mmhg = 300; /* the line cleared, the pressure is still high */
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_NOT_READY);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_true(bch.relieve_pressure);
    s.pressure_down_mmhg = 100; /* relieved */
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_false(bch.relieve_pressure);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_OCCL_DOWN)); /* latched */
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_OCCL_DOWN));
    assert_true(alarm_seen(PUMP_ALM_OCCL_DOWN, PUMP_ALARM_ACKED));
    assert_true(alarm_seen(PUMP_ALM_OCCL_DOWN, PUMP_ALARM_CLEARED));
    release_programs();
}

static void test_upstream_occlusion(void **state)
{
    (void)state;
    running_heparin();
    struct pump_sensors s;
    normal_sensors(&s);
    s.pressure_up_mmhg = -300;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_OCCL_UP));
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_NOT_READY);
    assert_int_equal(tick(1000), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    release_programs();
}

static void test_air_single_bubble_and_accumulated(void **state)
{
    (void)state;
    running_heparin();
    struct pump_sensors s;
    normal_sensors(&s);
    s.air_bubble_nl = 40000; /* below 50 uL */
    s.air_total_nl = 40000;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
    s.air_bubble_nl = 60000;
    s.air_total_nl = 60000;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_AIR_BUBBLE));
    /* the clinician clears the line and resumes: the event alarm is acknowledged */
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_AIR_BUBBLE));
    /* small bubbles, 40 uL every 30 s: with the 100 uL already seen, 1 mL in 15 min is crossed
     * by the 23rd (1020 uL) */
    s.air_bubble_nl = 40000;
    s.air_total_nl = 40000;
    unsigned n = 0;
    while (bch.state == PUMP_ST_RUNNING && n < 100) {
        for (int k = 0; k < 29; k++) {
            assert_int_equal(tick(1000), PUMP_OK);
        }
        assert_int_equal(tick_with(1000, &s), PUMP_OK);
        n++;
    }
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_AIR_ACCUM));
    assert_int_equal(n, 23);
    release_programs();
}

static void test_container_battery_door_stall(void **state)
{
    (void)state;
    struct {
        pump_alarm_id id;
        bool stops;
    } cases[] = {
        {PUMP_ALM_CONTAINER_EMPTY, true},
        {PUMP_ALM_BATTERY_LOW, false},
        {PUMP_ALM_BATTERY_DEPLETED, true},
        {PUMP_ALM_DOOR_OPEN, true},
        {PUMP_ALM_MOTOR_STALL, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        running_heparin();
        struct pump_sensors s;
        normal_sensors(&s);
        pump_alarm_id id = cases[i].id;
        s.is_container_empty = id == PUMP_ALM_CONTAINER_EMPTY;
        s.battery_pct = id == PUMP_ALM_BATTERY_LOW ? 20 : id == PUMP_ALM_BATTERY_DEPLETED ? 5 : 100;
        s.is_door_open = id == PUMP_ALM_DOOR_OPEN;
        s.is_motor_stalled = id == PUMP_ALM_MOTOR_STALL;
        assert_int_equal(tick_with(1000, &s), PUMP_OK);
        assert_true(pump_alarm_is_active(&bch.alarms, cases[i].id));
        assert_int_equal(bch.state, cases[i].stops ? PUMP_ST_ALARM_STOPPED : PUMP_ST_RUNNING);
        assert_int_equal(bch.motor_on, !cases[i].stops);
        /* while the cause is present, resume is refused */
        if (cases[i].stops) {
            assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_ERR_NOT_READY);
        }
        /* cause gone: a latching alarm stays until acknowledged, a non-latching one clears */
        assert_int_equal(tick(1000), PUMP_OK);
        assert_int_equal(pump_alarm_is_active(&bch.alarms, cases[i].id), cases[i].stops);
        assert_int_equal(alarm_cmd(PUMP_EV_ALARM_ACK, cases[i].id), PUMP_OK);
        assert_false(pump_alarm_is_active(&bch.alarms, cases[i].id));
        if (cases[i].stops) {
            assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
            assert_int_equal(bch.state, PUMP_ST_RUNNING);
        }
    }
    release_programs();
}

/* Silence lasts at most 2 minutes, then the alarm sounds again (and says so in the log). */
static void test_silence_then_rearm_and_ack(void **state)
{
    (void)state;
    running_heparin();
    struct pump_sensors s;
    normal_sensors(&s);
    s.is_door_open = true;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_true(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_DOOR_OPEN, bnow));
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_SILENCE, PUMP_ALM_DOOR_OPEN), PUMP_OK);
    assert_false(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_DOOR_OPEN, bnow));
    assert_int_equal(bch.alarms.a[PUMP_ALM_DOOR_OPEN].silenced_until_ms, bnow + 120000);
    for (int k = 0; k < 119; k++) {
        assert_int_equal(tick_with(1000, &s), PUMP_OK);
    }
    assert_false(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_DOOR_OPEN, bnow));
    assert_false(alarm_seen(PUMP_ALM_DOOR_OPEN, PUMP_ALARM_REARMED));
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_true(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_DOOR_OPEN, bnow));
    assert_true(alarm_seen(PUMP_ALM_DOOR_OPEN, PUMP_ALARM_REARMED));
    /* acknowledged while the door is still open: quiet, still active */
    assert_int_equal(alarm_cmd(PUMP_EV_ALARM_ACK, PUMP_ALM_COUNT), PUMP_OK);
    assert_false(pump_alarm_is_audible(&bch.alarms, PUMP_ALM_DOOR_OPEN, bnow));
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_DOOR_OPEN));
    assert_int_equal(tick(1000), PUMP_OK); /* door closed: cleared */
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_DOOR_OPEN));
    assert_int_equal(bch.alarms.n_active, 0);
    /* the configuration cannot ask for a longer silence */
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    cfg.silence_ms = PUMP_SILENCE_MAX_MS + 1;
    assert_int_equal(pump_channel_init(&bch, &cfg, &blog), PUMP_ERR_INVAL);
    release_programs();
}

static void test_alarm_in_bolus_cancels_bolus(void **state)
{
    (void)state;
    running_heparin();
    assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE), PUMP_OK);
    run_for(3000, 1000);
    struct pump_sensors s;
    normal_sensors(&s);
    s.is_door_open = true;
    assert_int_equal(tick_with(1000, &s), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_ALARM_STOPPED);
    const struct pump_log_record *r = last_seen(PUMP_REC_BOLUS_END);
    assert_true(r->type == PUMP_REC_BOLUS_END && r->code == 0);
    assert_int_equal(tick(1000), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    assert_int_equal(bch.rate_nl_per_h, 14400000); /* back to the primary, not the bolus */
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_documentation),
        cmocka_unit_test(test_occlusion_relief_before_resume),
        cmocka_unit_test(test_upstream_occlusion),
        cmocka_unit_test(test_air_single_bubble_and_accumulated),
        cmocka_unit_test(test_container_battery_door_stall),
        cmocka_unit_test(test_silence_then_rearm_and_ack),
        cmocka_unit_test(test_alarm_in_bolus_cancels_bolus),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
