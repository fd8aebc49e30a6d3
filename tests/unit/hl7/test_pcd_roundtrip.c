/*
 * test_pcd_roundtrip.c - build -> parse -> decode gives the same values back, for PCD-01,
 * PCD-10, PCD-04, ACK^O15 and RRG^O16; what we build passes our own validator without a single
 * problem; builders refuse bad input and small buffers cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7/pcd.h"
#include "hl7_test_util.h"

static struct t_storage *storage;
static char out[16384];
static struct hl7_pcd_problems probs;
static struct hl7_pcd_device_report dev;

static void set(char *dst, size_t cap, const char *s)
{
    assert_true(strlen(s) < cap);
    memcpy(dst, s, strlen(s) + 1U);
}
#define SET(dst, s) set((dst), sizeof(dst), (s))

static void header(struct hl7_pcd_msh *h, const char *ctrl)
{
    memset(h, 0, sizeof *h);
    SET(h->sending_app.ns, "OPENINFUSION");
    SET(h->sending_app.uid, "0012210000000001");
    SET(h->sending_app.uid_type, "EUI-64");
    SET(h->sending_facility, "HOSP");
    SET(h->receiving_app.ns, "EHR");
    SET(h->receiving_facility, "HOSP");
    SET(h->control_id, ctrl);
    SET(h->time, "20260301102000+0100");
}

static void pump(struct hl7_pcd_pump *p)
{
    memset(p, 0, sizeof *p);
    SET(p->eui64, "0012210000000002");
    SET(p->pump_id, "A0001");
    p->channel = 2;
    SET(p->channel_label, "Primary");
    p->state = HL7_PCD_PUMP_INFUSING;
    p->source = HL7_PCD_SRC_PRIMARY;
    p->delivery_mode = HL7_PCD_MODE_CONTINUOUS;
    p->auto_programmed = true;
    p->patient.present = true;
    SET(p->patient.id, "MRN4711");
    SET(p->patient.id_authority, "HOSP");
    SET(p->patient.id_type, "MR");
    SET(p->patient.family, "O'Neil|Smith^Jr"); /* needs escapes */
    SET(p->patient.given, "Ann & Bo~b\\");
    SET(p->patient.birth, "19700101");
    SET(p->patient.sex, "F");
    SET(p->patient.location, "ICU^12^1");
    SET(p->placer_id, "PLC1001");
    SET(p->drug_code, "DOPA800");
    SET(p->drug_name, "Dopamine 800 mg/250 mL");
    SET(p->rate_ml_h, "15.4");
    SET(p->flow_ml_h, "15.40");
    SET(p->dose_rate, "5.00");
    SET(p->dose_rate_unit, "ug/kg/min");
    SET(p->vtbi_ml, "250.0");
    SET(p->vtbi_remain_ml, "238.0");
    SET(p->volume_infused_ml, "12.0");
    SET(p->time_remain_min, "927");
    SET(p->conc, "3.2");
    SET(p->conc_unit, "mg/mL");
    SET(p->weight_kg, "82.5");
    SET(p->library_version, "DL-2026.03");
    SET(p->care_area, "Adult ICU");
    SET(p->nurse_id, "RN42");
    SET(p->obs_time, "20260301101958+0100");
}

/* Parse what was built; it must be CR-only and parse cleanly. */
static void parse_built(struct hl7_msg *m, size_t len)
{
    struct hl7_error err;
    assert_null(memchr(out, '\n', len));
    assert_int_equal(out[len - 1U], '\r');
    assert_int_equal(t_parse(storage, m, out, len, &err), HL7_OK);
    assert_int_equal(hl7_msg_check(m, &err), HL7_OK);
}

/* Our own validator finds nothing at all in what we build. */
static void assert_clean(const struct hl7_msg *m, hl7_pcd_profile expect)
{
    hl7_pcd_profile used = HL7_PCD_PROFILE_UNKNOWN;
    hl7_pcd_status st = hl7_pcd_validate(m, HL7_PCD_PROFILE_AUTO, &probs, &used);
    size_t i;
    for (i = 0; i < probs.n; i++) {
        print_message("  %c %s\n", probs.items[i].severity, probs.items[i].text);
    }
    assert_int_equal(used, expect);
    assert_int_equal(st, HL7_PCD_OK);
    assert_int_equal(probs.n_errors + probs.n_warnings, 0);
}

static void assert_same_pump(const struct hl7_pcd_pump *a, const struct hl7_pcd_pump *b)
{
    assert_string_equal(a->eui64, b->eui64);
    assert_string_equal(a->pump_id, b->pump_id);
    assert_int_equal(a->channel, b->channel);
    assert_string_equal(a->channel_label, b->channel_label);
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->delivery_mode, b->delivery_mode);
    assert_int_equal(a->auto_programmed, b->auto_programmed);
    assert_string_equal(a->patient.id, b->patient.id);
    assert_string_equal(a->patient.id_authority, b->patient.id_authority);
    assert_string_equal(a->patient.id_type, b->patient.id_type);
    assert_string_equal(a->patient.family, b->patient.family);
    assert_string_equal(a->patient.given, b->patient.given);
    assert_string_equal(a->patient.birth, b->patient.birth);
    assert_string_equal(a->patient.location, b->patient.location);
    assert_string_equal(a->placer_id, b->placer_id);
    assert_string_equal(a->parent_id, b->parent_id);
    assert_string_equal(a->drug_code, b->drug_code);
    assert_string_equal(a->drug_name, b->drug_name);
    assert_string_equal(a->rate_ml_h, b->rate_ml_h);
    assert_string_equal(a->flow_ml_h, b->flow_ml_h);
    assert_string_equal(a->dose_rate, b->dose_rate);
    assert_string_equal(a->dose_rate_unit, b->dose_rate_unit);
    assert_string_equal(a->vtbi_ml, b->vtbi_ml);
    assert_string_equal(a->vtbi_remain_ml, b->vtbi_remain_ml);
    assert_string_equal(a->volume_infused_ml, b->volume_infused_ml);
    assert_string_equal(a->time_remain_min, b->time_remain_min);
    assert_string_equal(a->conc, b->conc);
    assert_string_equal(a->conc_unit, b->conc_unit);
    assert_string_equal(a->weight_kg, b->weight_kg);
    assert_string_equal(a->library_version, b->library_version);
    assert_string_equal(a->care_area, b->care_area);
    assert_string_equal(a->nurse_id, b->nurse_id);
    assert_string_equal(a->obs_time, b->obs_time);
}

static void test_pcd01_round_trip_every_state(void **state)
{
    static const uint8_t states[] = {HL7_PCD_PUMP_INFUSING, HL7_PCD_PUMP_PAUSED,
                                     HL7_PCD_PUMP_ALARM_STOPPED, HL7_PCD_PUMP_KVO,
                                     HL7_PCD_PUMP_IDLE, HL7_PCD_PUMP_COMPLETE};
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    size_t i;
    (void)state;
    header(&h, "R0001");
    for (i = 0; i < sizeof states; i++) {
        pump(&p);
        p.state = states[i];
        p.source = (uint8_t)(i % HL7_PCD_SRC_COUNT);
        p.delivery_mode = (uint8_t)(i % HL7_PCD_MODE_COUNT);
        p.auto_programmed = (i % 2U) == 0U;
        if (p.state == HL7_PCD_PUMP_COMPLETE) {
            SET(p.vtbi_remain_ml, "0.0");
        }
        assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_OK);
        parse_built(&m, len);
        assert_clean(&m, HL7_PCD_PROFILE_PCD01);
        hl7_pcd_problems_init(&probs);
        assert_int_equal(hl7_pcd01_decode(&m, &dev, &probs), HL7_PCD_OK);
        assert_true(dev.has_pump);
        assert_string_equal(dev.msh.control_id, "R0001");
        assert_string_equal(dev.msh.profile_oid, "1.3.6.1.4.1.19376.1.6.1.1.1");
        assert_string_equal(dev.msh.accept_ack, "AL");
        assert_string_equal(dev.msh.app_ack, "NE");
        assert_same_pump(&p, &dev.pump);
    }
}

static void test_pcd01_without_patient_drug_or_optional_numbers(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    (void)state;
    header(&h, "R0002");
    memset(&p, 0, sizeof p);
    SET(p.eui64, "00122100000000AB");
    p.channel = 1;
    p.state = HL7_PCD_PUMP_IDLE;
    SET(p.obs_time, "20260301101958-0000");
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_OK);
    parse_built(&m, len);
    assert_clean(&m, HL7_PCD_PROFILE_PCD01);
    assert_null(strstr(out, "\rPID|"));
    assert_non_null(strstr(out, "|999999^Medication Unknown|"));
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd01_decode(&m, &dev, &probs), HL7_PCD_OK);
    assert_false(dev.pump.patient.present);
    assert_string_equal(dev.pump.drug_code, "");
    assert_string_equal(dev.pump.rate_ml_h, "");
    assert_string_equal(dev.pump.channel_label, "Primary");
    SET(p.channel_label, "Primary");
    assert_same_pump(&p, &dev.pump);
}

static void test_pcd01_metrics_in_numeric_order_with_methods(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    size_t i;
    (void)state;
    header(&h, "R0003");
    pump(&p);
    p.channel = 11;
    p.auto_programmed = false;
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_OK);
    parse_built(&m, len);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd01_decode(&m, &dev, &probs), HL7_PCD_OK);
    for (i = 1; i < dev.n_obs; i++) {
        const struct hl7_pcd_obs *a = &dev.obs[i - 1U];
        const struct hl7_pcd_obs *b = &dev.obs[i];
        size_t k;
        int cmp = 0;
        for (k = 0; (cmp == 0) && (k < a->n_levels) && (k < b->n_levels); k++) {
            cmp = (a->level[k] < b->level[k]) ? -1 : (a->level[k] > b->level[k]) ? 1 : 0;
        }
        assert_true((cmp < 0) || ((cmp == 0) && (a->n_levels < b->n_levels)));
    }
    for (i = 0; i < dev.n_obs; i++) {
        const struct hl7_pcd_obs *o = &dev.obs[i];
        if (o->mdc == HL7_MDC_FLOW_FLUID_PUMP) {
            assert_string_equal(o->method, "MSET"); /* a setting */
            assert_int_equal(o->unit.mdc_code, 265266);
            assert_string_equal(o->unit.ucum, "mL/h");
            assert_string_equal(o->path, "1.11.2.4");
        }
        if (o->mdc == HL7_MDC_VOL_FLUID_DELIV_TOTAL) {
            assert_string_equal(o->method, "AMEAS"); /* a measurement */
        }
        if (o->mdc == HL7_MDC_DEV_PUMP_INFUS_LVP_MDS) {
            assert_true(o->is_device);
            assert_string_equal(o->equipment, "0012210000000002");
            assert_string_equal(o->equipment_type, "EUI-64");
        }
    }
}

static void test_pcd10_round_trip_every_event(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    unsigned e;
    (void)state;
    header(&h, "E0001");
    for (e = HL7_PCD_EVT_DELIV_START; e < HL7_PCD_EVT_UNKNOWN; e++) {
        const struct hl7_mdc_term *t = hl7_pcd_event_term((hl7_pcd_event)e);
        pump(&p);
        p.state = (e == HL7_PCD_EVT_DELIV_START) ? HL7_PCD_PUMP_INFUSING : HL7_PCD_PUMP_PAUSED;
        assert_int_equal(hl7_pcd10_build(&h, &p, (hl7_pcd_event)e, false, out, sizeof out, &len),
                         HL7_PCD_OK);
        parse_built(&m, len);
        assert_clean(&m, HL7_PCD_PROFILE_PCD10);
        hl7_pcd_problems_init(&probs);
        assert_int_equal(hl7_pcd10_decode(&m, &dev, &probs), HL7_PCD_OK);
        assert_int_equal(dev.event, e);
        assert_string_equal(dev.event_refid, t->refid);
        /* Only confirmed codes go out as numbers; the others as 0 with their RefID. */
        assert_int_equal(dev.event_code, hl7_mdc_emit_code(t) ? t->code : 0U);
        assert_string_equal(dev.event_source, "1.2.2.0");
        assert_false(dev.transitioning);
        assert_same_pump(&p, &dev.pump);
        if (p.state == HL7_PCD_PUMP_PAUSED) {
            assert_string_equal(dev.not_delivering_reason, "pump-stopped-by-clinician");
        }
    }
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_NONE, false, out, sizeof out, &len),
                     HL7_PCD_ERR_ARG);
}

/* A rate change is STOP (transitioning) + START; VTBI reached is COMP (transitioning) + START in
 * KVO. Both halves decode to what was meant. */
static void test_pcd10_rate_change_and_vtbi_complete_sequences(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    (void)state;
    header(&h, "E0002");
    pump(&p);
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_DELIV_STOP, true, out, sizeof out, &len),
                     HL7_PCD_OK);
    parse_built(&m, len);
    assert_clean(&m, HL7_PCD_PROFILE_PCD10);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd10_decode(&m, &dev, &probs), HL7_PCD_OK);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_STOP);
    assert_true(dev.transitioning);
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_INFUSING);

    SET(p.rate_ml_h, "30");
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_DELIV_START, false, out, sizeof out, &len),
                     HL7_PCD_OK);
    parse_built(&m, len);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd10_decode(&m, &dev, &probs), HL7_PCD_OK);
    assert_int_equal(dev.event, HL7_PCD_EVT_DELIV_START);
    assert_string_equal(dev.pump.rate_ml_h, "30");

    p.state = HL7_PCD_PUMP_KVO;
    SET(p.vtbi_ml, "0");
    SET(p.vtbi_remain_ml, "0");
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_DELIV_START, false, out, sizeof out, &len),
                     HL7_PCD_OK);
    parse_built(&m, len);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd10_decode(&m, &dev, &probs), HL7_PCD_OK);
    assert_int_equal(dev.pump.state, HL7_PCD_PUMP_KVO);
}

static void test_pcd10_bolus_keeps_parent_order(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    size_t len = 0;
    (void)state;
    header(&h, "E0003");
    pump(&p);
    p.source = HL7_PCD_SRC_CLINICIAN;
    SET(p.placer_id, "PLC1002");
    SET(p.parent_id, "PLC1001");
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_DELIV_START, false, out, sizeof out, &len),
                     HL7_PCD_OK);
    parse_built(&m, len);
    assert_clean(&m, HL7_PCD_PROFILE_PCD10);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd10_decode(&m, &dev, &probs), HL7_PCD_OK);
    assert_string_equal(dev.placer_id, "PLC1002");
    assert_string_equal(dev.parent_id, "PLC1001");
    assert_same_pump(&p, &dev.pump);
}

static void test_pcd04_round_trip_alert_life(void **state)
{
    static const uint8_t phases[] = {HL7_PCD_PHASE_START, HL7_PCD_PHASE_UPDATE,
                                     HL7_PCD_PHASE_ESCALATE, HL7_PCD_PHASE_END};
    static struct hl7_pcd_alert_report r;
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_pcd_alert a;
    struct hl7_msg m;
    size_t len = 0;
    size_t i;
    (void)state;
    pump(&p);
    for (i = 0; i < sizeof phases; i++) {
        char ind[16];
        (void)snprintf(ind, sizeof ind, "IND%zu", i);
        header(&h, ind);
        memset(&a, 0, sizeof a);
        SET(a.indication_id, ind);
        SET(a.alert_id, (i == 0U) ? "" : "IND0"); /* the first indication's id, for life */
        a.event = (i % 2U == 0U) ? HL7_MDC_EVT_FLUID_LINE_OCCL : HL7_MDC_EVT_FLUID_LINE_AIR;
        SET(a.event_text, "Occlusion ^ downstream & co");
        a.source = HL7_MDC_DEV_PUMP_INFUS_LVP_VMD;
        a.phase = phases[i];
        a.state = (phases[i] == HL7_PCD_PHASE_END) ? HL7_PCD_ASTATE_INACTIVE : HL7_PCD_ASTATE_ACTIVE;
        a.inactivation = (uint8_t)(HL7_PCD_INACT_ENABLED | ((i == 1U) ? HL7_PCD_INACT_AUDIO_PAUSED : 0U) |
                                   ((i == 2U) ? HL7_PCD_INACT_ALERT_ACKNOWLEDGED : 0U));
        a.priority = (i == 2U) ? HL7_PCD_PRIO_PH : HL7_PCD_PRIO_PM;
        a.type = HL7_PCD_ATYPE_ST;
        SET(a.time, "20260301101958+0100");
        assert_int_equal(hl7_pcd04_build(&h, &p, &a, out, sizeof out, &len), HL7_PCD_OK);
        parse_built(&m, len);
        assert_clean(&m, HL7_PCD_PROFILE_PCD04);
        hl7_pcd_problems_init(&probs);
        assert_int_equal(hl7_pcd04_decode(&m, &r, &probs), HL7_PCD_OK);
        assert_string_equal(r.alert.indication_id, ind);
        assert_string_equal(r.alert.alert_id, "IND0"); /* OBR-29, or OBR-3 when initial */
        assert_int_equal(r.alert.is_initial, i == 0U);
        assert_int_equal(r.alert.event, a.event);
        assert_string_equal(r.alert.event_text, a.event_text);
        assert_int_equal(r.alert.source, a.source);
        assert_int_equal(r.alert.phase, a.phase);
        assert_int_equal(r.alert.state, a.state);
        assert_int_equal(r.alert.inactivation, a.inactivation);
        assert_int_equal(r.alert.priority, a.priority);
        assert_int_equal(r.alert.type, a.type);
        assert_false(r.alert.legacy_obx8);
        assert_string_equal(r.alert.time, a.time);
        assert_string_equal(r.equipment, p.eui64);
        assert_string_equal(r.patient.family, p.patient.family);
        assert_string_equal(r.obr_time, p.obs_time);
    }
}

static void test_pcd04_physiological_alarm_names_condition_in_obx3(void **state)
{
    static struct hl7_pcd_alert_report r;
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_pcd_alert a;
    struct hl7_msg m;
    size_t len = 0;
    (void)state;
    header(&h, "IND9");
    pump(&p);
    memset(&a, 0, sizeof a);
    SET(a.indication_id, "IND9");
    a.event = HL7_MDC_EVT_LO;
    a.source = HL7_MDC_DEV_PUMP_INFUS_MDS;
    a.phase = HL7_PCD_PHASE_START;
    a.state = HL7_PCD_ASTATE_ACTIVE;
    a.priority = HL7_PCD_PRIO_PH;
    a.type = HL7_PCD_ATYPE_SP;
    assert_int_equal(hl7_pcd04_build(&h, &p, &a, out, sizeof out, &len), HL7_PCD_OK);
    assert_non_null(strstr(out, "|CWE|196670^MDC_EVT_LO^MDC|1.0.0.0.1|"));
    parse_built(&m, len);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd04_decode(&m, &r, &probs), HL7_PCD_OK);
    assert_int_equal(r.alert.event, HL7_MDC_EVT_LO);
    assert_int_equal(r.alert.inactivation, HL7_PCD_INACT_ENABLED); /* "enabled" when none */
}

/* Decode an order fixture, then answer it both ways and decode the answers. */
static void test_ack_o15_and_rrg_o16_round_trip(void **state)
{
    static struct hl7_pcd_order order;
    static struct hl7_pcd_reply reply;
    static struct hl7_pcd_reply back;
    struct hl7_pcd_problems oprobs;
    struct hl7_msg m;
    char *buf;
    size_t blen = 0;
    size_t len = 0;
    size_t i;
    struct hl7_error err;
    (void)state;

    buf = t_read_file(OI_SOURCE_DIR "/tests/data/hl7/pcd/pcd03_bad_weight_missing.hl7", &blen);
    assert_non_null(buf);
    assert_int_equal(t_parse(storage, &m, buf, blen, &err), HL7_OK);
    hl7_pcd_problems_init(&oprobs);
    assert_int_equal(hl7_pcd03_decode(&m, &order, &oprobs), HL7_PCD_INVALID);

    /* ACK^O15 with CE (a content error, not a reject). */
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_ACK_O15, &order, &oprobs, "A1",
                                           "20260301101501+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "CE");
    assert_int_equal(hl7_pcd_ack_o15_build(&reply, out, sizeof out, &len), HL7_PCD_OK);
    assert_int_equal(hl7_pcd_rrg_o16_build(&reply, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    assert_int_equal(hl7_pcd_ack_o15_build(&reply, out, sizeof out, &len), HL7_PCD_OK);
    parse_built(&m, len);
    assert_clean(&m, HL7_PCD_PROFILE_ACK);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd_reply_decode(&m, &back, &probs), HL7_PCD_OK);
    assert_string_equal(back.msh.type, "ACK");
    assert_string_equal(back.msh.event, "O15");
    assert_string_equal(back.code, "CE");
    assert_string_equal(back.acked_id, "MSG0001");
    assert_string_equal(back.msh.sending_app.ns, "OPENINFUSION"); /* swapped */
    assert_string_equal(back.msh.receiving_app.ns, "BCMA");
    assert_int_equal(back.n_errs, reply.n_errs);
    for (i = 0; i < back.n_errs; i++) {
        assert_int_equal(back.errs[i].hl7_code, reply.errs[i].hl7_code);
        assert_int_equal(back.errs[i].piv_code, 0); /* PIV codes belong to RRG^O16 */
        assert_string_equal(back.errs[i].text, reply.errs[i].text);
        assert_string_equal(back.errs[i].location, reply.errs[i].location);
    }

    /* RRG^O16 AE with 9019, plus an application error the server adds. */
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_RRG_O16, &order, &oprobs, "R1",
                                           "20260301101502+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "AE");
    assert_int_equal(reply.errs[0].piv_code, 9019);
    assert_int_equal(hl7_pcd_reply_add_error(&reply, 207, 9010, NULL), HL7_PCD_OK);
    assert_int_equal(hl7_pcd_rrg_o16_build(&reply, out, sizeof out, &len), HL7_PCD_OK);
    parse_built(&m, len);
    assert_clean(&m, HL7_PCD_PROFILE_RRG_O16);
    hl7_pcd_problems_init(&probs);
    assert_int_equal(hl7_pcd_reply_decode(&m, &back, &probs), HL7_PCD_OK);
    assert_string_equal(back.code, "AE");
    assert_string_equal(back.msh.profile_oid, "1.3.6.1.4.1.19376.1.6.1.3.2");
    assert_string_equal(back.patient_id, "MRN4711");
    assert_string_equal(back.placer_id, "PLC1001");
    assert_int_equal(back.n_errs, reply.n_errs);
    for (i = 0; i < back.n_errs; i++) {
        assert_int_equal(back.errs[i].hl7_code, reply.errs[i].hl7_code);
        assert_int_equal(back.errs[i].piv_code, reply.errs[i].piv_code);
        assert_string_equal(back.errs[i].text, reply.errs[i].text);
    }
    assert_int_equal(back.errs[back.n_errs - 1U].piv_code, 9010);
    assert_string_equal(back.errs[back.n_errs - 1U].text,
                        "Unable to match medication to drug library");
    free(buf);
}

static void test_accepted_order_gets_ca_and_aa(void **state)
{
    static struct hl7_pcd_order order;
    static struct hl7_pcd_reply reply;
    struct hl7_pcd_problems oprobs;
    struct hl7_msg m;
    struct hl7_error err;
    char *buf;
    size_t blen = 0;
    size_t len = 0;
    (void)state;
    buf = t_read_file(OI_SOURCE_DIR "/tests/data/hl7/pcd/pcd03_ok_dopamine_dose_rate.hl7", &blen);
    assert_non_null(buf);
    assert_int_equal(t_parse(storage, &m, buf, blen, &err), HL7_OK);
    hl7_pcd_problems_init(&oprobs);
    assert_int_equal(hl7_pcd03_decode(&m, &order, &oprobs), HL7_PCD_OK);
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_ACK_O15, &order, &oprobs, "A2",
                                           "20260301101501+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "CA");
    assert_int_equal(reply.n_errs, 0);
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_RRG_O16, &order, &oprobs, "R2",
                                           "20260301101501+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "AA");
    /* A message type the IOC cannot process is a reject. */
    hl7_pcd_problems_init(&oprobs);
    oprobs.items[0].severity = HL7_PCD_SEV_ERROR;
    oprobs.items[0].hl7_code = 203;
    oprobs.n = 1;
    oprobs.n_errors = 1;
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_RRG_O16, &order, &oprobs, "R3",
                                           "20260301101501+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "AR");
    assert_int_equal(hl7_pcd_reply_prepare(HL7_PCD_REPLY_ACK_O15, &order, &oprobs, "R3",
                                           "20260301101501+0100", &reply), HL7_PCD_OK);
    assert_string_equal(reply.code, "CR");
    assert_int_equal(hl7_pcd_ack_o15_build(&reply, out, sizeof out, &len), HL7_PCD_OK);
    free(buf);
}

/* Every capacity below the needed size fails cleanly and never writes past it. */
static void test_builders_refuse_small_buffers(void **state)
{
    static char small[16384];
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    size_t need = 0;
    size_t len = 0;
    size_t cap;
    (void)state;
    header(&h, "R0009");
    pump(&p);
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &need), HL7_PCD_OK);
    for (cap = 0; cap < need; cap += 7U) {
        memset(small, 0x5A, sizeof small);
        assert_int_equal(hl7_pcd01_build(&h, &p, small, cap, &len), HL7_PCD_ERR_FULL);
        assert_int_equal((unsigned char)small[cap], 0x5A);
    }
    assert_int_equal(hl7_pcd01_build(&h, &p, small, need, &len), HL7_PCD_OK);
    assert_int_equal(len, need);
    assert_memory_equal(small, out, need);
}

static void test_builders_refuse_bad_input(void **state)
{
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    size_t len = 0;
    (void)state;
    header(&h, "R0010");
    pump(&p);
    SET(h.time, "20260301102000"); /* no offset */
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    header(&h, "");
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    header(&h, "R0010");
    SET(p.eui64, "00122100000000G2");
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    pump(&p);
    SET(p.rate_ml_h, "1e3");
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    pump(&p);
    p.channel = 0;
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
    pump(&p);
    SET(p.obs_time, "2026-03-01");
    assert_int_equal(hl7_pcd10_build(&h, &p, HL7_PCD_EVT_DELIV_START, false, out, sizeof out, &len),
                     HL7_PCD_ERR_ARG);
    pump(&p);
    SET(p.dose_rate_unit, "");
    assert_int_equal(hl7_pcd01_build(&h, &p, out, sizeof out, &len), HL7_PCD_ERR_ARG);
}

static int setup(void **state)
{
    (void)state;
    storage = t_storage_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(storage);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcd01_round_trip_every_state),
        cmocka_unit_test(test_pcd01_without_patient_drug_or_optional_numbers),
        cmocka_unit_test(test_pcd01_metrics_in_numeric_order_with_methods),
        cmocka_unit_test(test_pcd10_round_trip_every_event),
        cmocka_unit_test(test_pcd10_rate_change_and_vtbi_complete_sequences),
        cmocka_unit_test(test_pcd10_bolus_keeps_parent_order),
        cmocka_unit_test(test_pcd04_round_trip_alert_life),
        cmocka_unit_test(test_pcd04_physiological_alarm_names_condition_in_obx3),
        cmocka_unit_test(test_ack_o15_and_rrg_o16_round_trip),
        cmocka_unit_test(test_accepted_order_gets_ca_and_aa),
        cmocka_unit_test(test_builders_refuse_small_buffers),
        cmocka_unit_test(test_builders_refuse_bad_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
