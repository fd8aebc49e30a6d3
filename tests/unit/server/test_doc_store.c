/*
 * test_doc_store.c - doc_event and the periodic PCD-01 against a real (temporary) SQLite store:
 * the rows queued per destination, in order, decodable, never twice for one record; alert ids
 * that follow an alarm from raise to clear, also across a restart (the raise found in the store).
 */
#define _POSIX_C_SOURCE 200809L
#define SERVER_TEST_WITH_SRV

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "doc.h"
#include "server_test_util.h"

static struct hl7_pcd_device_report dev;
static struct hl7_pcd_alert_report alert;

/* struct srv_config holds char *: give it writable strings. */
static char doc_addr[] = "127.0.0.1:1";
static char alarm1_addr[] = "127.0.0.1:2";
static char alarm2_addr[] = "127.0.0.1:3";
static char facility[] = "WARD-7";

static int setup(void **state)
{
    struct t_srv *t = t_srv_new();
    struct model_pump *p;

    if (t == NULL) {
        return -1;
    }
    t->s.cfg.doc = doc_addr;
    t->s.cfg.alarm[0] = alarm1_addr;
    t->s.cfg.alarm[1] = alarm2_addr;
    t->s.cfg.n_alarm = 2;
    t->s.cfg.facility = facility;
    p = model_pump(t->s.model, "P-0001", true);
    if (p == NULL) {
        return -1;
    }
    p->online = true;
    p->state = t_snapshot("P-0001", "running", true);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    t_srv_free(*state);
    return 0;
}

/* doc_event in its own transaction, as the group commit runs it. */
static void feed(struct t_srv *t, const char *pump_id, long long seq, const char *type,
                 const char *extra)
{
    json_t *ev = t_record(pump_id, seq, type, extra);
    struct model_pump *p = model_pump(t->s.model, pump_id, true);

    assert_non_null(ev);
    assert_non_null(p);
    assert_int_equal(store_begin(t->s.store), STORE_OK);
    assert_true(doc_event(&t->s, p, ev, T_WALL_MS + 100000));
    assert_int_equal(store_commit(t->s.store), STORE_OK);
    json_decref(ev);
}

/* Take the head of dest (it must exist), check its control id, decode it into out with the
 * decoder of profile, and acknowledge it. */
static void pop(struct t_srv *t, const char *dest, const char *control_id, hl7_pcd_profile profile,
                void *out)
{
    struct store_outbox_msg m;

    assert_int_equal(store_outbox_head(t->s.store, dest, &m), STORE_OK);
    assert_string_equal(m.control_id, control_id);
    assert_int_equal(t_decode(m.message, m.message_len, profile, out), 0);
    assert_int_equal(store_begin(t->s.store), STORE_OK);
    assert_int_equal(store_outbox_acked(t->s.store, m.id, "CA", "", T_WALL_MS), STORE_OK);
    assert_int_equal(store_commit(t->s.store), STORE_OK);
    store_outbox_msg_free(&m);
}

static void test_delivery_rows_in_order_once(void **state)
{
    struct t_srv *t = *state;
    const char *start = "{\"event\":\"start\",\"from\":\"ready\",\"to\":\"running\","
                        "\"rate_nl_per_h\":12600000,\"channel_volume_nl\":0}";

    feed(t, "P-0001", 42, "state", start);
    feed(t, "P-0001", 43, "titration",
         "{\"outcome\":\"ACCEPT\",\"old_rate_nl_per_h\":12600000,\"rate_nl_per_h\":20000000}");
    assert_int_equal(t_depth(t->s.store, "doc"), 5);
    /* The pump sends a record again (its event_ack was lost): nothing new is queued. */
    feed(t, "P-0001", 42, "state", start);
    assert_int_equal(t_depth(t->s.store, "doc"), 5);
    assert_int_equal(t_depth(t->s.store, "alarm:1"), 0);

    pop(t, "doc", "P-0001.42.e1", HL7_PCD_PROFILE_PCD10, &dev);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_START);
    assert_string_equal(dev.patient.id, "MRN-1001");
    assert_string_equal(dev.pump.rate_ml_h, "12.6");
    assert_string_equal(dev.msh.sending_facility, "WARD-7");
    pop(t, "doc", "P-0001.42.s", HL7_PCD_PROFILE_PCD01, &dev);
    pop(t, "doc", "P-0001.43.e1", HL7_PCD_PROFILE_PCD10, &dev);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_STOP);
    assert_true(dev.transitioning);
    pop(t, "doc", "P-0001.43.e2", HL7_PCD_PROFILE_PCD10, &dev);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_START);
    assert_string_equal(dev.pump.rate_ml_h, "20");
    pop(t, "doc", "P-0001.43.s", HL7_PCD_PROFILE_PCD01, &dev);
    assert_int_equal(t_depth(t->s.store, "doc"), 0);

    /* Acknowledged already: the same record still gives nothing new. */
    feed(t, "P-0001", 42, "state", start);
    assert_int_equal(t_depth(t->s.store, "doc"), 0);
}

static void test_alarm_to_every_manager(void **state)
{
    struct t_srv *t = *state;
    const char *raised = "{\"alarm\":\"occlusion_downstream\",\"step\":\"raised\","
                         "\"priority\":\"high\"}";

    feed(t, "P-0001", 100, "alarm", raised);
    feed(t, "P-0001", 100, "alarm", raised);
    feed(t, "P-0001", 101, "alarm",
         "{\"alarm\":\"occlusion_downstream\",\"step\":\"cleared\",\"priority\":\"high\"}");
    assert_int_equal(t_depth(t->s.store, "doc"), 0);
    assert_int_equal(t_depth(t->s.store, "alarm:1"), 2);
    assert_int_equal(t_depth(t->s.store, "alarm:2"), 2);

    pop(t, "alarm:1", "P-0001.100.a1", HL7_PCD_PROFILE_PCD04, &alert);
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_START);
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
    pop(t, "alarm:1", "P-0001.101.a1", HL7_PCD_PROFILE_PCD04, &alert);
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_END);
    /* The model no longer holds the cleared alarm; the raise was remembered. */
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
    pop(t, "alarm:2", "P-0001.100.a2", HL7_PCD_PROFILE_PCD04, &alert);
    pop(t, "alarm:2", "P-0001.101.a2", HL7_PCD_PROFILE_PCD04, &alert);
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
}

static void test_alert_id_from_store_after_restart(void **state)
{
    struct t_srv *t = *state;
    json_t *raise = t_record("P-0002", 7, "alarm",
                             "{\"alarm\":\"door_open\",\"step\":\"raised\",\"priority\":\"high\"}");
    char *text = json_dumps(raise, JSON_COMPACT);
    struct store_event e = {"P-0002", 7, 70, T_WALL_MS + 3500, T_WALL_MS + 3600, "alarm", 0,
                            NULL, text};
    struct model_pump *p = model_pump(t->s.model, "P-0002", true);

    /* The raise was stored by an earlier run of infusiond: this process never saw it. */
    assert_non_null(p);
    p->state = t_snapshot("P-0002", "alarm_stopped", true);
    assert_int_equal(store_begin(t->s.store), STORE_OK);
    assert_int_equal(store_event_add(t->s.store, &e), STORE_OK);
    assert_int_equal(store_commit(t->s.store), STORE_OK);
    feed(t, "P-0002", 9, "alarm",
         "{\"alarm\":\"door_open\",\"step\":\"acknowledged\",\"priority\":\"high\"}");
    pop(t, "alarm:1", "P-0002.9.a1", HL7_PCD_PROFILE_PCD04, &alert);
    assert_string_equal(alert.alert.alert_id, "P-0002.7");
    assert_string_equal(alert.alert.indication_id, "P-0002.9");
    free(text);
    json_decref(raise);
}

static void test_unconfigured_destinations_get_nothing(void **state)
{
    struct t_srv *t = *state;

    t->s.cfg.doc = NULL;
    t->s.cfg.n_alarm = 0;
    feed(t, "P-0001", 200, "state",
         "{\"from\":\"running\",\"to\":\"paused\",\"rate_nl_per_h\":1,\"channel_volume_nl\":1}");
    feed(t, "P-0001", 201, "alarm",
         "{\"alarm\":\"battery_low\",\"step\":\"raised\",\"priority\":\"medium\"}");
    json_t *d = store_outbox_depths(t->s.store);
    assert_int_equal(json_object_size(d), 0);
    json_decref(d);
}

static void test_periodic_pcd01(void **state)
{
    struct t_srv *t = *state;
    struct model_pump *idle = model_pump(t->s.model, "P-0003", true);
    struct model_pump *gone = model_pump(t->s.model, "P-0004", true);
    int64_t deadline = t_mono_ms() + 10000;

    assert_non_null(idle);
    assert_non_null(gone);
    idle->online = true;
    idle->state = t_snapshot("P-0003", "paused", true);
    gone->online = false; /* last seen running, now offline: not reported as infusing */
    gone->state = t_snapshot("P-0004", "running", true);

    t->s.cfg.pcd01_period_s = 1;
    assert_true(doc_start(&t->s));
    while ((t_depth(t->s.store, "doc") == 0) && (t_mono_ms() < deadline)) {
        (void)event_base_loop(t->s.base, EVLOOP_ONCE);
    }
    doc_stop(&t->s);
    /* One tick: only the online, infusing pump. */
    assert_int_equal(t_depth(t->s.store, "doc"), 1);
    struct store_outbox_msg m;
    assert_int_equal(store_outbox_head(t->s.store, "doc", &m), STORE_OK);
    assert_string_equal(m.kind, "pcd01");
    assert_memory_equal(m.control_id, "P-0001.t", 8);
    assert_int_equal(t_decode(m.message, m.message_len, HL7_PCD_PROFILE_PCD01, &dev), 0);
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_INFUSING);
    assert_string_equal(dev.patient.id, "MRN-1001");
    store_outbox_msg_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivery_rows_in_order_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alarm_to_every_manager, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alert_id_from_store_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unconfigured_destinations_get_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_periodic_pcd01, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
