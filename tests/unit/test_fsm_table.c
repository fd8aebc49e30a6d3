/*
 * test_fsm_table.c - every cell of the channel's state x event table against a list of allowed
 * transitions written here from docs/pump.md ("States and events"), independently of
 * core/pump_fsm.c. For every cell a fresh channel is driven to the state through the public
 * entry point, the event is sent with a payload that passes the guards, and then:
 *   listed      -> PUMP_OK and the listed next state;
 *   not listed  -> refused (PUMP_ERR_REFUSED, a PCA demand PUMP_ERR_DENIED), state unchanged.
 * Events the core raises itself go through pump__fsm_step (tests may use internals).
 * Also: the corrupt-state test (style.md 4.5) and a FAULT that nothing leaves.
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

struct allowed {
    pump_state from;
    pump_event ev;
    pump_state to;
};

#define A(f, e, t) {PUMP_ST_##f, PUMP_EV_##e, PUMP_ST_##t}

/* The requirements, one line each. Every state takes time, alarm handling and power events;
 * FAULT takes only time and silencing. */
static const struct allowed oracle[] = {
    /* idle: a program, a library; nothing runs */
    A(IDLE, PROGRAM, PROGRAMMED), A(IDLE, TICK, IDLE), A(IDLE, ALARM_ACK, IDLE),
    A(IDLE, ALARM_SILENCE, IDLE), A(IDLE, LIBRARY_ACTIVATE, IDLE), A(IDLE, POWER_LOSS, IDLE),
    A(IDLE, POWER_RESTORE, IDLE),
    /* programmed: awaiting confirmation; reprogram, confirm, decline or stop */
    A(PROGRAMMED, PROGRAM, PROGRAMMED), A(PROGRAMMED, CONFIRM, READY),
    A(PROGRAMMED, DECLINE, IDLE), A(PROGRAMMED, STOP, IDLE), A(PROGRAMMED, TICK, PROGRAMMED),
    A(PROGRAMMED, ALARM_ACK, PROGRAMMED), A(PROGRAMMED, ALARM_SILENCE, PROGRAMMED),
    A(PROGRAMMED, POWER_LOSS, IDLE), A(PROGRAMMED, POWER_RESTORE, PROGRAMMED),
    /* ready: confirmed; start, or a loading dose first */
    A(READY, PROGRAM, PROGRAMMED), A(READY, DECLINE, IDLE), A(READY, START, RUNNING),
    A(READY, STOP, IDLE), A(READY, BOLUS, BOLUS), A(READY, TICK, READY),
    A(READY, ALARM_ACK, READY), A(READY, ALARM_SILENCE, READY), A(READY, POWER_LOSS, IDLE),
    A(READY, POWER_RESTORE, READY),
    /* running */
    A(RUNNING, PAUSE, PAUSED), A(RUNNING, STOP, IDLE), A(RUNNING, TITRATE, RUNNING),
    A(RUNNING, BOLUS, BOLUS), A(RUNNING, SECONDARY, RUNNING), A(RUNNING, PCA_DEMAND, BOLUS),
    A(RUNNING, CLINICIAN_BOLUS, BOLUS), A(RUNNING, TICK, RUNNING),
    A(RUNNING, ALARM_ACK, RUNNING), A(RUNNING, ALARM_SILENCE, RUNNING),
    A(RUNNING, POWER_LOSS, ALARM_STOPPED), A(RUNNING, POWER_RESTORE, RUNNING),
    A(RUNNING, ALARM_STOP, ALARM_STOPPED), A(RUNNING, SECONDARY_DONE, RUNNING),
    A(RUNNING, VTBI_DONE_KVO, KVO), A(RUNNING, VTBI_DONE_STOP, COMPLETE),
    /* paused */
    A(PAUSED, RESUME, RUNNING), A(PAUSED, STOP, IDLE), A(PAUSED, TITRATE, PAUSED),
    A(PAUSED, TICK, PAUSED), A(PAUSED, ALARM_ACK, PAUSED), A(PAUSED, ALARM_SILENCE, PAUSED),
    A(PAUSED, POWER_LOSS, ALARM_STOPPED), A(PAUSED, POWER_RESTORE, PAUSED),
    /* bolus (also PCA doses) */
    A(BOLUS, PAUSE, PAUSED), A(BOLUS, STOP, IDLE), A(BOLUS, TICK, BOLUS),
    A(BOLUS, ALARM_ACK, BOLUS), A(BOLUS, ALARM_SILENCE, BOLUS),
    A(BOLUS, POWER_LOSS, ALARM_STOPPED), A(BOLUS, POWER_RESTORE, BOLUS),
    A(BOLUS, ALARM_STOP, ALARM_STOPPED), A(BOLUS, BOLUS_DONE, RUNNING),
    /* KVO */
    A(KVO, PAUSE, PAUSED), A(KVO, STOP, IDLE), A(KVO, TICK, KVO), A(KVO, ALARM_ACK, KVO),
    A(KVO, ALARM_SILENCE, KVO), A(KVO, POWER_LOSS, ALARM_STOPPED),
    A(KVO, POWER_RESTORE, KVO), A(KVO, ALARM_STOP, ALARM_STOPPED),
    /* complete */
    A(COMPLETE, PROGRAM, PROGRAMMED), A(COMPLETE, STOP, IDLE), A(COMPLETE, TICK, COMPLETE),
    A(COMPLETE, ALARM_ACK, COMPLETE), A(COMPLETE, ALARM_SILENCE, COMPLETE),
    A(COMPLETE, LIBRARY_ACTIVATE, COMPLETE), A(COMPLETE, POWER_LOSS, COMPLETE),
    A(COMPLETE, POWER_RESTORE, COMPLETE),
    /* alarm-stopped */
    A(ALARM_STOPPED, RESUME, RUNNING), A(ALARM_STOPPED, STOP, IDLE),
    A(ALARM_STOPPED, TICK, ALARM_STOPPED), A(ALARM_STOPPED, ALARM_ACK, ALARM_STOPPED),
    A(ALARM_STOPPED, ALARM_SILENCE, ALARM_STOPPED),
    A(ALARM_STOPPED, POWER_LOSS, ALARM_STOPPED),
    A(ALARM_STOPPED, POWER_RESTORE, ALARM_STOPPED),
    /* fault: sticky */
    A(FAULT, TICK, FAULT), A(FAULT, ALARM_SILENCE, FAULT),
};

static const struct allowed *find(pump_state s, pump_event e)
{
    for (size_t i = 0; i < sizeof oracle / sizeof oracle[0]; i++) {
        if (oracle[i].from == s && oracle[i].ev == e) {
            return &oracle[i];
        }
    }
    return NULL;
}

/* The primary program that lets event e pass its guards in state s (PCA events need a PCA
 * primary, a secondary needs a fluid primary; elsewhere they are refused by the table anyway). */
static const struct pump_program *primary_for(pump_state s, pump_event e)
{
    if ((e == PUMP_EV_PCA_DEMAND || e == PUMP_EV_CLINICIAN_BOLUS) &&
        (s == PUMP_ST_RUNNING || s == PUMP_ST_BOLUS)) {
        return PROG(PCA_MORPHINE);
    }
    if (e == PUMP_EV_SECONDARY && s == PUMP_ST_RUNNING) {
        return PROG(SALINE_100);
    }
    /* 1 mL at 14.4 mL/h: VTBI after 250 s, for KVO and COMPLETE */
    return PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP','mode':'continuous','dose':18,"
                "'dose_unit':'units/kg/h','weight_kg':80,'vtbi_ml':1}");
}

/* A fresh channel in state s, set up for event e. */
static void drive(pump_state s, pump_event e)
{
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    if (s == PUMP_ST_COMPLETE) {
        cfg.kvo_rate_nl_per_h = 0; /* VTBI complete stops */
    }
    bench_init_cfg(&cfg);
    if (s == PUMP_ST_IDLE) {
        return;
    }
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, primary_for(s, e), PUMP_OVR_NONE), PUMP_OK);
    if (s == PUMP_ST_PROGRAMMED) {
        return;
    }
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    if (s == PUMP_ST_READY) {
        return;
    }
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_OK);
    assert_int_equal(tick(1000), PUMP_OK);
    switch (s) {
    case PUMP_ST_PAUSED:
        assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
        break;
    case PUMP_ST_BOLUS:
        if (bch.primary.mode == PUMP_MODE_PCA) {
            assert_int_equal(send_kind(PUMP_EV_PCA_DEMAND), PUMP_OK);
        } else {
            assert_int_equal(send_prog(PUMP_EV_BOLUS, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE),
                             PUMP_OK);
        }
        break;
    case PUMP_ST_KVO:
    case PUMP_ST_COMPLETE:
        run_for(300000, 1000);
        break;
    case PUMP_ST_ALARM_STOPPED: {
        struct pump_sensors sn;
        normal_sensors(&sn);
        sn.is_door_open = true;
        assert_int_equal(tick_with(1000, &sn), PUMP_OK);
        assert_int_equal(tick(1000), PUMP_OK); /* door closed again: may resume */
        break;
    }
    case PUMP_ST_FAULT: {
        struct pump_sensors sn;
        normal_sensors(&sn);
        sn.delivered_nl = 0;
        bnow += 1000;
        struct pump_cmd c;
        memset(&c, 0, sizeof c);
        c.kind = PUMP_EV_TICK;
        c.tick = sn;
        c.tick.delivered_nl = 5000000; /* 5 mL nobody asked for: runaway */
        assert_int_equal(send(&c), PUMP_ERR_INTERNAL);
        break;
    }
    case PUMP_ST_RUNNING:
    case PUMP_ST_IDLE:
    case PUMP_ST_PROGRAMMED:
    case PUMP_ST_READY:
    case PUMP_ST_COUNT:
    default:
        break;
    }
    assert_int_equal(bch.state, s);
}

/* Send event e with a payload that passes its guards. */
static pump_status fire(pump_event e)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = (uint8_t)e;
    bnow += 10;
    switch (e) {
    case PUMP_EV_PROGRAM:
        return send_prog(e, PROG(HEPARIN_18), PUMP_OVR_NONE);
    case PUMP_EV_TITRATE:
        return send_prog(e, PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP',"
                                 "'mode':'continuous','dose':20,'dose_unit':'units/kg/h',"
                                 "'weight_kg':80}"),
                         PUMP_OVR_NONE);
    case PUMP_EV_BOLUS:
        return send_prog(e, PROG(HEPARIN_BOLUS), PUMP_OVR_NONE);
    case PUMP_EV_SECONDARY:
        return send_prog(e, PROG(CEFTRIAXONE_1G), PUMP_OVR_NONE);
    case PUMP_EV_CLINICIAN_BOLUS:
        return send_prog(e, PROG(PCA_CLINICIAN), PUMP_OVR_NONE);
    case PUMP_EV_TICK:
        normal_sensors(&c.tick);
        return send(&c);
    case PUMP_EV_ALARM_ACK:
    case PUMP_EV_ALARM_SILENCE:
        c.alarm.alarm = PUMP_ALM_COUNT; /* all */
        return send(&c);
    case PUMP_EV_LIBRARY_ACTIVATE:
        c.library.lib = &fx.lib;
        return send(&c);
    case PUMP_EV_CONFIRM:
    case PUMP_EV_DECLINE:
    case PUMP_EV_START:
    case PUMP_EV_PAUSE:
    case PUMP_EV_RESUME:
    case PUMP_EV_STOP:
    case PUMP_EV_PCA_DEMAND:
    case PUMP_EV_POWER_LOSS:
    case PUMP_EV_POWER_RESTORE:
    case PUMP_EV_ALARM_STOP:
    case PUMP_EV_BOLUS_DONE:
    case PUMP_EV_SECONDARY_DONE:
    case PUMP_EV_VTBI_DONE_KVO:
    case PUMP_EV_VTBI_DONE_STOP:
    case PUMP_EV_COUNT:
    default:
        return send(&c);
    }
}

static void test_every_cell_against_the_oracle(void **state)
{
    (void)state;
    unsigned n_allowed = 0;
    unsigned n_refused = 0;
    for (unsigned s = 0; s < PUMP_ST_COUNT; s++) {
        for (unsigned e = 0; e < PUMP_EV_COUNT; e++) {
            const struct allowed *want = find((pump_state)s, (pump_event)e);
            pump_status st;
            drive((pump_state)s, (pump_event)e);
            uint64_t seq_before = pump_log_next_seq(&blog);
            if (e < PUMP_EV_HOST_COUNT) {
                st = fire((pump_event)e);
            } else {
                bnow += 10;
                st = pump__fsm_step(&bch, (pump_event)e, NULL);
            }
            if (want != NULL) {
                if (st != PUMP_OK || bch.state != want->to) {
                    print_error("%s + %s: status %s, state %s; expected ok and %s\n",
                                pump_state_str((pump_state)s), pump_event_str((pump_event)e),
                                pump_status_str(st), pump_state_str((pump_state)bch.state),
                                pump_state_str(want->to));
                    fail();
                }
                n_allowed++;
            } else {
                pump_status refused = e == PUMP_EV_PCA_DEMAND ? PUMP_ERR_DENIED : PUMP_ERR_REFUSED;
                if (st != refused || bch.state != s) {
                    print_error("%s + %s: status %s, state %s; expected refused, unchanged\n",
                                pump_state_str((pump_state)s), pump_event_str((pump_event)e),
                                pump_status_str(st), pump_state_str((pump_state)bch.state));
                    fail();
                }
                /* a refused host command is recorded, never silently dropped */
                if (e < PUMP_EV_HOST_COUNT) {
                    assert_true(pump_log_next_seq(&blog) > seq_before);
                }
                n_refused++;
            }
            /* the table itself says the same */
            pump_state nx;
            pump_action act;
            bool allowed = pump__fsm_allowed((pump_state)s, (pump_event)e, &nx, &act);
            assert_int_equal(allowed, want != NULL);
            if (want != NULL) {
                assert_int_equal(nx, want->to);
            }
        }
    }
    assert_int_equal(n_allowed, sizeof oracle / sizeof oracle[0]);
    assert_int_equal(n_allowed + n_refused, PUMP_ST_COUNT * PUMP_EV_COUNT);
    print_message("%u cells: %u allowed, %u refused\n", n_allowed + n_refused, n_allowed,
                  n_refused);
    release_programs();
}

/* A state-change record for every change, and motor_on only in delivering states. */
static void test_state_records_and_motor(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    assert_true(bch.motor_on);
    const struct pump_log_record *r = last_seen(PUMP_REC_STATE);
    assert_int_equal(r->type, PUMP_REC_STATE);
    assert_int_equal(r->from, PUMP_ST_READY);
    assert_int_equal(r->to, PUMP_ST_RUNNING);
    assert_int_equal(r->event, PUMP_EV_START);
    assert_int_equal(r->v1, bch.rate_nl_per_h);
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    assert_false(bch.motor_on);
    assert_int_equal(bch.rate_nl_per_h, 0);
    release_programs();
}

/* style.md 4.5: an overwritten state word enters FAULT with the motor off. */
static void test_corrupt_state_enters_fault(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    bch.state = 77;
    bnow += 10;
    assert_int_equal(tick(10), PUMP_ERR_INTERNAL);
    assert_int_equal(bch.state, PUMP_ST_FAULT);
    assert_false(bch.motor_on);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_FAULT));
    assert_int_equal(last_seen(PUMP_REC_FAULT)->type, PUMP_REC_FAULT);
    /* nothing leaves FAULT */
    for (unsigned e = 0; e < PUMP_EV_HOST_COUNT; e++) {
        pump_status st = fire((pump_event)e);
        assert_int_equal(bch.state, PUMP_ST_FAULT);
        assert_false(bch.motor_on);
        (void)st;
    }
    /* a corrupt action in a (test-only) cell would also fault: the switch's default */
    release_programs();
}

/* Time may not go back; a command of a core-only kind is malformed. */
static void test_time_and_kind_checks(void **state)
{
    (void)state;
    bench_init();
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_TICK;
    c.now_ms = bnow - 1;
    normal_sensors(&c.tick);
    assert_int_equal(pump_channel_handle(&bch, &c), PUMP_ERR_TIME);
    c.now_ms = bnow;
    c.kind = PUMP_EV_ALARM_STOP;
    assert_int_equal(pump_channel_handle(&bch, &c), PUMP_ERR_INVAL);
    c.kind = 200;
    assert_int_equal(pump_channel_handle(&bch, &c), PUMP_ERR_INVAL);
    assert_int_equal(pump_channel_handle(NULL, &c), PUMP_ERR_INVAL);
    assert_int_equal(pump_channel_handle(&bch, NULL), PUMP_ERR_INVAL);
    assert_int_equal(bch.state, PUMP_ST_IDLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_cell_against_the_oracle),
        cmocka_unit_test(test_state_records_and_motor),
        cmocka_unit_test(test_corrupt_state_enters_fault),
        cmocka_unit_test(test_time_and_kind_checks),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
