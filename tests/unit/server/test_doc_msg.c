/*
 * test_doc_msg.c - the record -> HL7 mapping of auto-documentation (server/doc_msg.c): every
 * message we build decodes with our own PCD decoders without an error and carries the patient,
 * drug, rate, event, source and alarm phase the record and snapshot say; exact nL -> mL text;
 * deterministic control ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc_msg.h"
#include "server_test_util.h"

static struct doc_msg msgs[DOC_MSGS_PER_RECORD];
static struct hl7_pcd_device_report dev;
static struct hl7_pcd_alert_report alert;

/* ---- numbers ------------------------------------------------------------------------------- */

static void expect_ml(int64_t nl, const char *want)
{
    char buf[32];
    assert_true(doc_ml_text(nl, buf, sizeof buf));
    assert_string_equal(buf, want);
}

static void test_ml_text(void **state)
{
    char small[4];
    (void)state;
    expect_ml(12600000, "12.6");
    expect_ml(0, "0");
    expect_ml(1, "0.000001");
    expect_ml(10, "0.00001");
    expect_ml(999999, "0.999999");
    expect_ml(1000000, "1");
    expect_ml(1000001, "1.000001");
    expect_ml(250000000, "250");
    expect_ml(1500000000000LL, "1500000");
    expect_ml(-2500000, "-2.5");
    expect_ml(INT64_MAX, "9223372036854.775807");
    expect_ml(INT64_MIN, "-9223372036854.775808");
    /* Too small a buffer: refused, never cut. */
    assert_false(doc_ml_text(12600000, small, sizeof small));
    assert_true(doc_ml_text(1000000, small, 2));
    assert_string_equal(small, "1");
    assert_false(doc_ml_text(10000000, small, 2));
}

static void expect_min(int64_t ms, const char *want)
{
    char buf[32];
    assert_true(doc_min_text(ms, buf, sizeof buf));
    assert_string_equal(buf, want);
}

static void test_min_text(void **state)
{
    char buf[8];
    (void)state;
    expect_min(285714, "4.8");
    expect_min(60000, "1");
    expect_min(0, "0");
    expect_min(2999, "0");
    expect_min(3000, "0.1");
    expect_min(89999, "1.5");
    expect_min(3600000, "60");
    assert_false(doc_min_text(-1, buf, sizeof buf));
}

static void test_ids(void **state)
{
    char eui[17];
    char eui2[17];
    char key[DOC_KEY_ID_MAX + 1U];
    const char *long_id = "PUMP-0123456789-0123456789-0123456789-0123456789";
    (void)state;

    doc_eui64("P-0001", eui);
    doc_eui64("P-0001", eui2);
    assert_int_equal(strlen(eui), 16);
    assert_string_equal(eui, eui2);
    for (size_t i = 0; i < 16; i++) {
        assert_non_null(strchr("0123456789ABCDEF", eui[i]));
    }
    doc_eui64("P-0002", eui2);
    assert_string_not_equal(eui, eui2);

    doc_pump_key("P-0001", key);
    assert_string_equal(key, "P-0001");
    doc_pump_key(long_id, key);
    assert_int_equal(strlen(key), 17);
    assert_int_equal(key[0], 'H');
    doc_pump_key("a/b", key); /* not a protocol id: hashed rather than trusted */
    assert_int_equal(key[0], 'H');
}

/* ---- delivery records ------------------------------------------------------------------------- */

struct fixture {
    json_t *snap;
    json_t *ev;
};

/* Build the "doc" messages of ev over a snapshot in state st. */
static size_t build(struct fixture *f, const char *st, long long seq, const char *type,
                    const char *extra)
{
    struct doc_msg_in in;
    size_t n = 99;

    json_decref(f->snap);
    json_decref(f->ev);
    f->snap = t_snapshot("P-0001", st, true);
    f->ev = t_record("P-0001", seq, type, extra);
    assert_non_null(f->snap);
    assert_non_null(f->ev);
    memset(&in, 0, sizeof in);
    in.pump_id = "P-0001";
    in.state = f->snap;
    in.ev = f->ev;
    in.facility = "WARD-7";
    in.now_ms = T_WALL_MS + 100000;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n), DOC_MSG_OK);
    return n;
}

static void release(struct fixture *f)
{
    json_decref(f->snap);
    json_decref(f->ev);
    f->snap = NULL;
    f->ev = NULL;
}

static void expect_pcd10(size_t i, hl7_pcd_event ev, bool transitioning, const char *ctrl)
{
    assert_string_equal(msgs[i].kind, "pcd10");
    assert_string_equal(msgs[i].control_id, ctrl);
    assert_int_equal(t_decode(msgs[i].text, msgs[i].len, HL7_PCD_PROFILE_PCD10, &dev), 0);
    assert_int_equal(dev.event, ev);
    assert_int_equal(dev.transitioning, transitioning);
    assert_string_equal(dev.msh.control_id, ctrl);
    assert_string_equal(dev.msh.sending_app.ns, "INFUSIOND");
    assert_string_equal(dev.msh.sending_facility, "WARD-7");
    assert_string_equal(dev.patient.id, "MRN-1001");
    assert_string_equal(dev.placer_id, "ORD-77");
    assert_string_equal(dev.service.id, "ICU-HEP");
    assert_string_equal(dev.service.text, "Heparin");
    assert_true(dev.has_pump);
    assert_string_equal(dev.pump.pump_id, "P-0001");
    assert_int_equal(dev.pump.channel, 1);
}

static void expect_pcd01(size_t i, const char *ctrl)
{
    assert_string_equal(msgs[i].kind, "pcd01");
    assert_string_equal(msgs[i].control_id, ctrl);
    assert_int_equal(t_decode(msgs[i].text, msgs[i].len, HL7_PCD_PROFILE_PCD01, &dev), 0);
    assert_string_equal(dev.patient.id, "MRN-1001");
    assert_string_equal(dev.service.id, "ICU-HEP");
}

static void test_start(void **state)
{
    struct fixture f = {NULL, NULL};
    (void)state;

    assert_int_equal(build(&f, "running", 42, "state",
                           "{\"event\":\"start\",\"from\":\"ready\",\"to\":\"running\","
                           "\"rate_nl_per_h\":12600000,\"channel_volume_nl\":0}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_START, false, "P-0001.42.e1");
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_INFUSING);
    assert_string_equal(dev.pump.rate_ml_h, "12.6");
    assert_string_equal(dev.pump.flow_ml_h, "12.6");
    assert_string_equal(dev.pump.volume_infused_ml, "0");
    assert_string_equal(dev.pump.vtbi_ml, "250");
    assert_string_equal(dev.pump.vtbi_remain_ml, "1");
    assert_string_equal(dev.pump.time_remain_min, "4.8");
    assert_string_equal(dev.pump.weight_kg, "70");
    assert_string_equal(dev.pump.library_version, "2026.1");
    assert_string_equal(dev.pump.care_area, "ADULT_ICU");
    assert_string_equal(dev.pump.dose_rate, "18");
    assert_string_equal(dev.pump.dose_rate_unit, "[iU]/kg/h");
    assert_int_equal(dev.pump.source, HL7_PCD_SRC_PRIMARY);
    /* The event time is the record's wall clock (T_WALL_MS + 42 * 500 ms), not now. */
    assert_string_equal(dev.obr_time, "20261118110701.000+0000");
    expect_pcd01(1, "P-0001.42.s");
    assert_int_equal(dev.event, HL7_PCD_EVT_NONE);
    release(&f);
}

static void test_stop_pause_and_alarm(void **state)
{
    struct fixture f = {NULL, NULL};
    (void)state;

    assert_int_equal(build(&f, "paused", 50, "state",
                           "{\"event\":\"pause\",\"from\":\"running\",\"to\":\"paused\","
                           "\"rate_nl_per_h\":12600000,\"channel_volume_nl\":3500000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_STOP, false, "P-0001.50.e1");
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_PAUSED);
    assert_string_equal(dev.not_delivering_reason, "pump-stopped-by-clinician");
    assert_string_equal(dev.pump.volume_infused_ml, "3.5");
    assert_string_equal(dev.pump.flow_ml_h, "0");

    assert_int_equal(build(&f, "alarm_stopped", 51, "state",
                           "{\"event\":\"alarm_stop\",\"from\":\"bolus\",\"to\":\"alarm_stopped\","
                           "\"rate_nl_per_h\":12600000,\"channel_volume_nl\":3600000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_STOP, false, "P-0001.51.e1");
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_ALARM_STOPPED);

    /* Resume after the alarm: a new delivery segment. */
    assert_int_equal(build(&f, "running", 52, "state",
                           "{\"event\":\"resume\",\"from\":\"alarm_stopped\",\"to\":\"running\","
                           "\"rate_nl_per_h\":12600000,\"channel_volume_nl\":3600000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_START, false, "P-0001.52.e1");

    /* Between two non-delivering states: no PCD-10, the status report only. */
    assert_int_equal(build(&f, "idle", 53, "state",
                           "{\"event\":\"stop\",\"from\":\"paused\",\"to\":\"idle\","
                           "\"rate_nl_per_h\":0,\"channel_volume_nl\":3600000}"),
                     1);
    expect_pcd01(0, "P-0001.53.s");
    release(&f);
}

static void test_complete_and_kvo(void **state)
{
    struct fixture f = {NULL, NULL};
    (void)state;

    assert_int_equal(build(&f, "kvo", 60, "state",
                           "{\"event\":\"vtbi_done_kvo\",\"from\":\"running\",\"to\":\"kvo\","
                           "\"rate_nl_per_h\":1000000,\"channel_volume_nl\":250000000}"),
                     3);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_COMP, true, "P-0001.60.e1");
    assert_string_equal(dev.pump.volume_infused_ml, "250");
    expect_pcd10(1, HL7_PCD_EVT_DELIV_START, false, "P-0001.60.e2");
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_KVO);
    assert_string_equal(dev.pump.rate_ml_h, "1");
    expect_pcd01(2, "P-0001.60.s");

    assert_int_equal(build(&f, "complete", 61, "state",
                           "{\"event\":\"vtbi_done_stop\",\"from\":\"running\",\"to\":\"complete\","
                           "\"rate_nl_per_h\":0,\"channel_volume_nl\":250000000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_COMP, false, "P-0001.61.e1");
    release(&f);
}

static void test_titration(void **state)
{
    struct fixture f = {NULL, NULL};
    (void)state;

    assert_int_equal(build(&f, "running", 70, "titration",
                           "{\"event\":\"titrate\",\"outcome\":\"ACCEPT\","
                           "\"old_rate_nl_per_h\":12600000,\"rate_nl_per_h\":25250000}"),
                     3);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_STOP, true, "P-0001.70.e1");
    assert_string_equal(dev.pump.rate_ml_h, "12.6");
    expect_pcd10(1, HL7_PCD_EVT_DELIV_START, false, "P-0001.70.e2");
    assert_string_equal(dev.pump.rate_ml_h, "25.25");
    expect_pcd01(2, "P-0001.70.s");

    /* Refused by a hard limit: the rate did not change, nothing to document. */
    assert_int_equal(build(&f, "running", 71, "titration",
                           "{\"event\":\"titrate\",\"outcome\":\"HARD_HIGH\","
                           "\"old_rate_nl_per_h\":12600000,\"rate_nl_per_h\":900000000}"),
                     0);
    /* While paused: the new rate is reported, no delivery segment starts. */
    assert_int_equal(build(&f, "paused", 72, "titration",
                           "{\"event\":\"titrate\",\"outcome\":\"ACCEPT\","
                           "\"old_rate_nl_per_h\":12600000,\"rate_nl_per_h\":10000000}"),
                     1);
    expect_pcd01(0, "P-0001.72.s");
    release(&f);
}

static void test_bolus_sources(void **state)
{
    struct fixture f = {NULL, NULL};
    static const struct {
        const char *kind;
        hl7_pcd_source src;
    } cases[] = {{"pca", HL7_PCD_SRC_PCA},
                 {"loading", HL7_PCD_SRC_LOADING},
                 {"clinician", HL7_PCD_SRC_CLINICIAN},
                 {"bolus", HL7_PCD_SRC_CLINICIAN}};
    (void)state;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[160];
        (void)snprintf(extra, sizeof extra,
                       "{\"event\":\"bolus\",\"kind\":\"%s\",\"volume_nl\":2000000,"
                       "\"rate_nl_per_h\":100000000}",
                       cases[i].kind);
        assert_int_equal(build(&f, "bolus", 80 + (long long)i, "bolus", extra), 2);
        assert_string_equal(msgs[0].kind, "pcd10");
        assert_int_equal(t_decode(msgs[0].text, msgs[0].len, HL7_PCD_PROFILE_PCD10, &dev), 0);
        assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_START);
        assert_int_equal(dev.pump.source, cases[i].src);
        assert_string_equal(dev.pump.rate_ml_h, "100");
        assert_string_equal(dev.pump.vtbi_ml, "2");
    }
    release(&f);
}

static void test_bolus_end(void **state)
{
    struct fixture f = {NULL, NULL};
    (void)state;

    assert_int_equal(build(&f, "running", 85, "bolus_end",
                           "{\"kind\":\"pca\",\"completed\":true,\"delivered_nl\":2000000,"
                           "\"requested_nl\":2000000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_COMP, false, "P-0001.85.e1");
    assert_int_equal(dev.pump.source, HL7_PCD_SRC_PCA);
    assert_string_equal(dev.pump.volume_infused_ml, "2");
    assert_string_equal(dev.pump.vtbi_ml, "2");
    expect_pcd01(1, "P-0001.85.s");
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_INFUSING); /* the primary goes on */

    /* Cut short by a pause: the bolus source stops with what it gave. */
    assert_int_equal(build(&f, "paused", 86, "bolus_end",
                           "{\"kind\":\"clinician\",\"completed\":false,"
                           "\"delivered_nl\":500000,\"requested_nl\":2000000}"),
                     2);
    expect_pcd10(0, HL7_PCD_EVT_DELIV_STOP, false, "P-0001.86.e1");
    assert_int_equal(dev.pump.source, HL7_PCD_SRC_CLINICIAN);
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_PAUSED);
    assert_string_equal(dev.pump.volume_infused_ml, "0.5");
    assert_string_equal(dev.pump.vtbi_remain_ml, "1.5");
    release(&f);
}

static void test_nothing_and_bad(void **state)
{
    struct fixture f = {NULL, NULL};
    struct doc_msg_in in;
    size_t n = 99;
    json_t *ev;
    (void)state;

    assert_int_equal(build(&f, "running", 90, "volume",
                           "{\"program_volume_nl\":1,\"channel_volume_nl\":1,"
                           "\"total_volume_nl\":1}"),
                     0);
    assert_int_equal(build(&f, "running", 91, "program",
                           "{\"outcome\":\"ACCEPT\",\"limit\":null,\"mode\":\"continuous\"}"),
                     0);
    /* No seq: nothing can be identified, nothing is built. */
    ev = json_pack("{s:s, s:i, s:I, s:s, s:s, s:s}", "type", "state", "channel", 0, "wall_ms",
                   (json_int_t)T_WALL_MS, "from", "ready", "to", "running", "pump_id", "P-0001");
    memset(&in, 0, sizeof in);
    in.pump_id = "P-0001";
    in.state = f.snap;
    in.ev = ev;
    in.now_ms = T_WALL_MS;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n), DOC_MSG_BAD);
    assert_int_equal(n, 0);
    /* Too few output slots. */
    json_object_set_new(ev, "seq", json_integer(5));
    assert_int_equal(doc_msg_for_record(&in, msgs, 1, &n), DOC_MSG_FULL);
    /* A channel beyond the VMD numbering. */
    json_object_set_new(ev, "channel", json_integer(99));
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n), DOC_MSG_BAD);
    /* Delivery records give nothing for an alarm destination. */
    json_object_set_new(ev, "channel", json_integer(0));
    in.alarm_dest = 1;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n), DOC_MSG_OK);
    assert_int_equal(n, 0);
    json_decref(ev);
    release(&f);
}

static void test_deterministic_and_no_patient(void **state)
{
    struct doc_msg_in in;
    struct doc_msg *again = malloc(DOC_MSGS_PER_RECORD * sizeof *again);
    json_t *snap = t_snapshot("P-0001", "running", false);
    json_t *ev = t_record("P-0001", 42, "state",
                          "{\"from\":\"ready\",\"to\":\"running\",\"rate_nl_per_h\":5,"
                          "\"channel_volume_nl\":0}");
    size_t n1 = 0;
    size_t n2 = 0;
    (void)state;

    assert_non_null(again);
    memset(&in, 0, sizeof in);
    in.pump_id = "P-0001";
    in.state = snap;
    in.ev = ev;
    in.now_ms = T_WALL_MS + 5;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n1), DOC_MSG_OK);
    assert_int_equal(doc_msg_for_record(&in, again, DOC_MSGS_PER_RECORD, &n2), DOC_MSG_OK);
    assert_int_equal(n1, 2);
    assert_int_equal(n2, 2);
    for (size_t i = 0; i < n1; i++) {
        assert_int_equal(msgs[i].len, again[i].len);
        assert_memory_equal(msgs[i].text, again[i].text, msgs[i].len);
    }
    /* No patient associated: no PID, still a valid report. */
    assert_int_equal(t_decode(msgs[0].text, msgs[0].len, HL7_PCD_PROFILE_PCD10, &dev), 0);
    assert_false(dev.patient.present);
    assert_string_equal(dev.pump.rate_ml_h, "0.000005");
    /* No snapshot yet (the record came first): still documented, drug unknown. */
    in.state = NULL;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n1), DOC_MSG_OK);
    assert_int_equal(n1, 2);
    assert_int_equal(t_decode(msgs[0].text, msgs[0].len, HL7_PCD_PROFILE_PCD10, &dev), 0);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_START);
    assert_string_equal(dev.service.id, "999999");
    assert_string_equal(dev.pump.rate_ml_h, "0.000005");
    free(again);
    json_decref(snap);
    json_decref(ev);
}

/* ---- alarms ------------------------------------------------------------------------------------ */

static void alarm_msg(long long seq, const char *extra, unsigned dest, uint64_t alert_seq,
                      const char *pump_id)
{
    struct doc_msg_in in;
    json_t *snap = t_snapshot(pump_id, "alarm_stopped", true);
    json_t *ev = t_record(pump_id, seq, "alarm", extra);
    size_t n = 0;

    memset(&in, 0, sizeof in);
    in.pump_id = pump_id;
    in.state = snap;
    in.ev = ev;
    in.now_ms = T_WALL_MS + 100000;
    in.alarm_dest = dest;
    in.alert_seq = alert_seq;
    assert_int_equal(doc_msg_for_record(&in, msgs, DOC_MSGS_PER_RECORD, &n), DOC_MSG_OK);
    if (dest == 0U) {
        assert_int_equal(n, 0);
    } else {
        assert_int_equal(n, 1);
        assert_string_equal(msgs[0].kind, "pcd04");
        assert_int_equal(t_decode(msgs[0].text, msgs[0].len, HL7_PCD_PROFILE_PCD04, &alert), 0);
    }
    json_decref(snap);
    json_decref(ev);
}

static void test_alarm_life(void **state)
{
    (void)state;

    alarm_msg(100, "{\"alarm\":\"occlusion_downstream\",\"step\":\"raised\",\"priority\":\"high\"}",
              0, 0, "P-0001");
    alarm_msg(100, "{\"alarm\":\"occlusion_downstream\",\"step\":\"raised\",\"priority\":\"high\"}",
              1, 0, "P-0001");
    assert_string_equal(msgs[0].control_id, "P-0001.100.a1");
    assert_string_equal(alert.msh.control_id, "P-0001.100.a1");
    assert_string_equal(alert.alert.indication_id, "P-0001.100");
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
    assert_true(alert.alert.is_initial);
    assert_int_equal(alert.alert.event, HL7_MDC_EVT_FLUID_LINE_OCCL);
    assert_int_equal(alert.alert.event_code, 196940);
    assert_string_equal(alert.alert.event_text, "Downstream occlusion");
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_START);
    assert_int_equal(alert.alert.state, HL7_PCD_ASTATE_ACTIVE);
    assert_int_equal(alert.alert.priority, HL7_PCD_PRIO_PH);
    assert_int_equal(alert.alert.type, HL7_PCD_ATYPE_ST);
    assert_string_equal(alert.patient.id, "MRN-1001");
    assert_string_equal(alert.alert.time, "20261118110730.000+0000");

    /* The second alarm manager gets its own MSH-10 for the same indication. */
    alarm_msg(100, "{\"alarm\":\"occlusion_downstream\",\"step\":\"raised\",\"priority\":\"high\"}",
              2, 0, "P-0001");
    assert_string_equal(msgs[0].control_id, "P-0001.100.a2");
    assert_string_equal(alert.alert.indication_id, "P-0001.100");

    alarm_msg(101, "{\"alarm\":\"occlusion_downstream\",\"step\":\"silenced\",\"priority\":\"high\","
              "\"silenced_until_ms\":120000}",
              1, 100, "P-0001");
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_UPDATE);
    assert_int_equal(alert.alert.inactivation, HL7_PCD_INACT_AUDIO_PAUSED);
    assert_string_equal(alert.alert.indication_id, "P-0001.101");
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
    assert_false(alert.alert.is_initial);

    alarm_msg(102, "{\"alarm\":\"occlusion_downstream\",\"step\":\"acknowledged\","
              "\"priority\":\"high\"}",
              1, 100, "P-0001");
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_UPDATE);
    assert_int_equal(alert.alert.inactivation, HL7_PCD_INACT_ALERT_ACKNOWLEDGED);
    assert_string_equal(alert.alert.alert_id, "P-0001.100");

    alarm_msg(103, "{\"alarm\":\"occlusion_downstream\",\"step\":\"cleared\",\"priority\":\"high\"}",
              1, 100, "P-0001");
    assert_int_equal(alert.alert.phase, HL7_PCD_PHASE_END);
    assert_int_equal(alert.alert.state, HL7_PCD_ASTATE_INACTIVE);
    assert_string_equal(alert.alert.alert_id, "P-0001.100");
}

static void test_alarm_codes_and_priorities(void **state)
{
    (void)state;

    /* No verified MDC code: sent as 0^REFID^MDC and still recognised by its RefID. */
    alarm_msg(110, "{\"alarm\":\"air_in_line\",\"step\":\"raised\",\"priority\":\"high\"}", 1, 0,
              "P-0001");
    assert_int_equal(alert.alert.event_code, 0);
    assert_string_equal(alert.alert.event_refid, "MDC_EVT_FLUID_LINE_AIR");
    assert_int_equal(alert.alert.event, HL7_MDC_EVT_FLUID_LINE_AIR);

    alarm_msg(111, "{\"alarm\":\"battery_low\",\"step\":\"raised\",\"priority\":\"medium\"}", 1, 0,
              "P-0001");
    assert_int_equal(alert.alert.priority, HL7_PCD_PRIO_PM);
    assert_int_equal(alert.alert.event, HL7_MDC_EVT_BATT_LO);
    assert_int_equal(alert.alert.source, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS);

    /* No MDC term at all: the generic alarm with the condition as text. */
    alarm_msg(112, "{\"alarm\":\"paused_too_long\",\"step\":\"raised\",\"priority\":\"low\"}", 1,
              0, "P-0001");
    assert_int_equal(alert.alert.priority, HL7_PCD_PRIO_PL);
    assert_int_equal(alert.alert.event, HL7_MDC_EVT_ALARM);
    assert_string_equal(alert.alert.event_text, "Paused too long");

    /* An alarm name this server does not know yet still goes out, named. */
    alarm_msg(113, "{\"alarm\":\"new_sensor\",\"step\":\"raised\",\"priority\":\"high\"}", 1, 0,
              "P-0001");
    assert_string_equal(alert.alert.event_text, "new_sensor");
}

static void test_long_pump_id(void **state)
{
    const char *id = "WARD7-BED12-CHANNEL-RACK-0123456789-ABCDEFGHIJ-0123456789-XYZ";
    (void)state;

    assert_true(strlen(id) <= 64U);
    alarm_msg(4000000000LL,
              "{\"alarm\":\"door_open\",\"step\":\"raised\",\"priority\":\"high\"}", 4, 0, id);
    assert_true(strlen(msgs[0].control_id) <= 60U);
    assert_int_equal(msgs[0].control_id[0], 'H');
}

static void test_status_report(void **state)
{
    json_t *snap = t_snapshot("P-0001", "running", true);
    (void)state;

    assert_int_equal(doc_msg_status_report("P-0001", snap, 0, NULL, T_WALL_MS + 60000,
                                           (T_WALL_MS + 60000) / 1000, &msgs[0]),
                     DOC_MSG_OK);
    assert_string_equal(msgs[0].control_id, "P-0001.t1795000060.0");
    assert_int_equal(t_decode(msgs[0].text, msgs[0].len, HL7_PCD_PROFILE_PCD01, &dev), 0);
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_INFUSING);
    assert_string_equal(dev.pump.rate_ml_h, "12.6");
    assert_string_equal(dev.pump.volume_infused_ml, "249");
    assert_string_equal(dev.obr_time, "20261118110640.000+0000");
    /* No such channel. */
    assert_int_equal(doc_msg_status_report("P-0001", snap, 1, NULL, T_WALL_MS, 1, &msgs[0]),
                     DOC_MSG_BAD);
    json_decref(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ml_text),
        cmocka_unit_test(test_min_text),
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_stop_pause_and_alarm),
        cmocka_unit_test(test_complete_and_kvo),
        cmocka_unit_test(test_titration),
        cmocka_unit_test(test_bolus_sources),
        cmocka_unit_test(test_bolus_end),
        cmocka_unit_test(test_nothing_and_bad),
        cmocka_unit_test(test_deterministic_and_no_patient),
        cmocka_unit_test(test_alarm_life),
        cmocka_unit_test(test_alarm_codes_and_priorities),
        cmocka_unit_test(test_long_pump_id),
        cmocka_unit_test(test_status_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
