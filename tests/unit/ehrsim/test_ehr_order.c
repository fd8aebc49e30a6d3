/*
 * test_ehr_order.c - ehrsim's RGV^O15 builder: every order generated for a continuous,
 * intermittent or fluid entry of the sample library decodes with hl7_pcd03_decode with no
 * problem at all (no error, no warning), and the decoded values are the generated ones; the dose
 * lies inside the entry's limits (or above its hard maximum for a hard-limit order); plus the
 * builder's refusals and the order-file splitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ehr_order.h"
#include "hl7/hl7.h"
#include "hl7/pcd.h"
#include "oi_json.h"
#include "pump/pump_ders.h"

#define SAMPLE OI_SHARED_DIR "/data/druglib/sample-library.json"
/* The repository's example library: what the infusiond tests and the demo order from. */
#define EXAMPLE OI_SOURCE_DIR "/examples/general-hospital.json"
#define MAX_SEGS 256U
#define MAX_SEPS 8192U

static struct oi_druglib dl;
static bool have_lib;
static struct oi_druglib example;
static bool have_example;
static struct hl7_segment segs[MAX_SEGS];
static uint32_t seps[MAX_SEPS];
static struct hl7_pcd_order decoded;
static struct hl7_pcd_problems probs;

static int setup(void **state)
{
    struct oi_diag diag;
    (void)state;
    memset(&diag, 0, sizeof diag);
    have_lib = oi_druglib_load_file(SAMPLE, &dl, &diag) == OI_LOAD_OK;
    oi_diag_free(&diag);
    memset(&diag, 0, sizeof diag);
    have_example = oi_druglib_load_file(EXAMPLE, &example, &diag) == OI_LOAD_OK;
    oi_diag_free(&diag);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (have_lib) {
        oi_druglib_free(&dl);
    }
    if (have_example) {
        oi_druglib_free(&example);
    }
    return 0;
}

static void identity(struct ehr_order *o, uint32_t n)
{
    (void)snprintf(o->control_id, sizeof o->control_id, "EHRSIM-T-%u", (unsigned)n);
    (void)snprintf(o->placer_id, sizeof o->placer_id, "PLC-T-%u", (unsigned)n);
    (void)snprintf(o->time, sizeof o->time, "20261122101500+0000");
    (void)snprintf(o->request_time, sizeof o->request_time, "20261122101400+0000");
    (void)snprintf(o->patient_id, sizeof o->patient_id, "MRN-%04u", (unsigned)n);
    (void)snprintf(o->pump_id, sizeof o->pump_id, "SIM-%04u", (unsigned)n);
    (void)snprintf(o->nurse_id, sizeof o->nurse_id, "RN-EHRSIM");
}

/* Build, parse, decode; the problems are printed when there are any. */
static hl7_pcd_status round_trip(const struct ehr_order *o, char *buf, size_t cap)
{
    size_t len = 0;
    struct hl7_msg m;
    struct hl7_error err;
    size_t i;
    hl7_pcd_status st;

    assert_int_equal(ehr_order_build(o, buf, cap, &len), EHR_OK);
    hl7_msg_init(&m, segs, MAX_SEGS, seps, MAX_SEPS);
    assert_int_equal(hl7_parse(&m, buf, len, &err), HL7_OK);
    assert_int_equal(hl7_msg_check(&m, &err), HL7_OK);
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd03_decode(&m, &decoded, &probs);
    for (i = 0; i < probs.n; i++) {
        char where[64];
        hl7_pcd_problem_where(&probs.items[i], where, sizeof where);
        printf("  %s %s: %s\n", o->entry_id, where, probs.items[i].text);
    }
    return st;
}

static struct pump_q q_of(const char *text)
{
    struct pump_q q = {0, 1};
    assert_int_equal(pump_q_parse(text, strlen(text), &q), PUMP_OK);
    return q;
}

static bool has_bound(const struct pump_limits *l, pump_bound b)
{
    return (l->present & (1U << (unsigned)b)) != 0U;
}

/* Normal orders: inside [lowest, highest] bound present; hard: above the hard maximum. */
static void check_dose(const struct pump_entry *e, const char *dose, bool is_hard)
{
    struct pump_q v = q_of(dose);
    const struct pump_limits *l = &e->dose_limits;
    unsigned b;

    assert_true(pump_q_sign(v) > 0);
    if (is_hard) {
        assert_true(pump_q_cmp(v, l->bound[PUMP_HARD_MAX]) > 0);
        return;
    }
    for (b = 0; b < (unsigned)PUMP_BOUND_COUNT; b++) {
        if (!has_bound(l, (pump_bound)b)) {
            continue;
        }
        if (b == (unsigned)PUMP_HARD_MIN || b == (unsigned)PUMP_SOFT_MIN) {
            assert_true(pump_q_cmp(v, l->bound[b]) >= 0);
        } else {
            assert_true(pump_q_cmp(v, l->bound[b]) <= 0);
        }
    }
}

static void check_decoded(const struct ehr_order *o, const struct pump_entry *e)
{
    const struct hl7_pcd_step *s = &decoded.steps[0];
    uint8_t want_kind;

    assert_string_equal(decoded.msh.control_id, o->control_id);
    assert_string_equal(decoded.msh.accept_ack, "AL");
    assert_string_equal(decoded.msh.app_ack, "AL");
    assert_string_equal(decoded.msh.profile_oid, "1.3.6.1.4.1.19376.1.6.1.3.1");
    assert_string_equal(decoded.patient.id, o->patient_id);
    assert_int_equal(decoded.control, HL7_PCD_OC_NEW);
    assert_string_equal(decoded.placer_id, o->placer_id);
    assert_string_equal(decoded.request_time, o->request_time);
    assert_string_equal(decoded.nurse.id, o->nurse_id);
    assert_string_equal(decoded.pump_id, o->pump_id);
    assert_false(decoded.pump_id_legacy);
    assert_int_equal(decoded.n_steps, 1);
    assert_string_equal(s->give_code.id, o->entry_id);
    assert_string_equal(s->give_code.text, o->display_name);
    assert_string_equal(s->rate.value, o->dose);
    assert_string_equal(s->rate.unit.ucum, o->dose_ucum);
    /* The unit read back is the entry's own dosing unit: the server can match it exactly. */
    assert_true(s->rate.unit.has_pump_unit);
    assert_true(pump_unit_equal(s->rate.unit.pump_unit, e->dosing_unit));
    if (e->mode == (uint8_t)PUMP_ENTRY_INTERMITTENT) {
        want_kind = HL7_PCD_RATE_DOSE;
    } else if (e->dosing_unit.amount == (uint8_t)PUMP_AMT_ML) {
        want_kind = HL7_PCD_RATE_VOLUME;
    } else {
        want_kind = HL7_PCD_RATE_DOSE_RATE;
    }
    assert_int_equal(s->rate_kind, want_kind);
    assert_int_equal(s->vtbi.present, o->vtbi_ml[0] != '\0');
    if (s->vtbi.present) {
        assert_string_equal(s->vtbi.value, o->vtbi_ml);
        assert_string_equal(s->vtbi.unit.ucum, "mL");
    }
    assert_int_equal(s->strength.present, e->has_conc);
    if (e->has_conc) {
        assert_string_equal(s->strength.value, o->strength);
        assert_true(s->strength.unit.has_pump_unit);
        assert_true(pump_unit_equal(s->strength.unit.pump_unit, e->conc_amount_unit));
        assert_string_equal(s->strength_volume.value, o->strength_volume_ml);
        assert_string_equal(s->strength_volume.unit.ucum, "mL");
        assert_int_equal(pump_q_cmp(q_of(s->strength.value), e->conc_amount), 0);
        assert_int_equal(pump_q_cmp(q_of(s->strength_volume.value), e->conc_volume_ml), 0);
    }
    assert_int_equal(s->has_tq1, e->mode == (uint8_t)PUMP_ENTRY_INTERMITTENT);
    if (s->has_tq1) {
        assert_int_equal(s->n_duration, 1);
        assert_string_equal(s->duration[0].value, o->duration_min);
        assert_string_equal(s->duration[0].unit.ucum, "min");
    }
    assert_string_equal(s->route, "IV");
    assert_string_equal(s->device, "IVP");
    assert_string_equal(decoded.weight.value, o->weight_kg);
    assert_string_equal(decoded.weight.unit.ucum, "kg");
    assert_int_equal(decoded.bsa.present, o->bsa_m2[0] != '\0');
    if (decoded.bsa.present) {
        assert_string_equal(decoded.bsa.value, o->bsa_m2);
    }
}

static void given(struct pump_value *v, const char *text)
{
    if (text[0] != '\0') {
        v->state = PUMP_V_GIVEN;
        v->q = q_of(text);
    }
}

/* What a server would program from the decoded order, judged by the core's DERS. */
static pump_outcome ders_of(const struct pump_library *lib, const struct ehr_order *o,
                            const struct pump_entry *e)
{
    const struct hl7_pcd_step *s = &decoded.steps[0];
    struct pump_program prog;
    static struct pump_ders_result res;

    memset(&prog, 0, sizeof prog);
    prog.care_area = o->care_area;
    prog.care_area_len = strlen(o->care_area);
    prog.entry = s->give_code.id;
    prog.entry_len = strlen(s->give_code.id);
    prog.mode = (e->mode == (uint8_t)PUMP_ENTRY_INTERMITTENT) ? (uint8_t)PUMP_MODE_INTERMITTENT
                : (e->mode == (uint8_t)PUMP_ENTRY_FLUID)      ? (uint8_t)PUMP_MODE_FLUID
                                                              : (uint8_t)PUMP_MODE_CONTINUOUS;
    given(&prog.dose, s->rate.value);
    prog.has_dose_unit = true;
    prog.dose_unit = s->rate.unit.pump_unit;
    given(&prog.weight_kg, decoded.weight.value);
    given(&prog.bsa_m2, decoded.bsa.value);
    given(&prog.vtbi_ml, s->vtbi.value);
    if (s->has_tq1) {
        given(&prog.duration_min, s->duration[0].value);
    }
    assert_int_equal(pump_ders_check(lib, &prog, &res), PUMP_OK);
    return (pump_outcome)res.outcome;
}

/* The orders ehrsim picks (entries with a standard concentration, and fluids) are accepted by
 * the DERS as generated, and the hard-limit ones are stopped by a hard limit: for the shared
 * sample library and the repository's example library. */
static unsigned ders_over(const struct pump_library *lib)
{
    static char buf[8192];
    uint32_t i;
    unsigned n_checked = 0;

    for (i = 0; i < lib->n_entries; i++) {
        const struct pump_entry *e = &lib->st.entries[i];
        struct ehr_order o;
        if (e->mode == (uint8_t)PUMP_ENTRY_PCA ||
            !(e->has_conc || e->mode == (uint8_t)PUMP_ENTRY_FLUID)) {
            continue;
        }
        memset(&o, 0, sizeof o);
        identity(&o, i + 1U);
        assert_int_equal(ehr_order_from_entry(lib, i, false, &o), EHR_OK);
        assert_int_equal(round_trip(&o, buf, sizeof buf), HL7_PCD_OK);
        assert_int_equal(probs.n, 0);
        if (ders_of(lib, &o, e) != PUMP_ACCEPT) {
            printf("  %s: %s dose %s %s not accepted\n", o.care_area, o.entry_id, o.dose,
                   o.dose_ucum);
            fail();
        }
        if (ehr_order_from_entry(lib, i, true, &o) == EHR_OK) {
            assert_int_equal(round_trip(&o, buf, sizeof buf), HL7_PCD_OK);
            assert_int_equal(ders_of(lib, &o, e), PUMP_HARD_HIGH);
        }
        n_checked++;
    }
    return n_checked;
}

static void test_generated_orders_pass_the_ders(void **state)
{
    (void)state;
    if (!have_lib || !have_example) {
        skip();
    }
    assert_true(ders_over(&dl.lib) >= 20U);
    assert_true(ders_over(&example.lib) >= 10U);
}

/* Every continuous / intermittent / fluid entry, normal and (when it has a hard maximum) hard. */
static void test_every_entry_round_trips(void **state)
{
    static char buf[8192];
    uint32_t i;
    unsigned n_tested = 0;
    unsigned n_hard = 0;
    unsigned n_expected = 0;

    (void)state;
    if (!have_lib) {
        skip();
    }
    for (i = 0; i < dl.lib.n_entries; i++) {
        const struct pump_entry *e = &dl.lib.st.entries[i];
        struct ehr_order o;
        int hard;
        if (e->mode == (uint8_t)PUMP_ENTRY_PCA) {
            memset(&o, 0, sizeof o);
            assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_ERR_ENTRY);
            continue;
        }
        n_expected++;
        for (hard = 0; hard < 2; hard++) {
            ehr_status st;
            memset(&o, 0, sizeof o);
            identity(&o, i + 1U);
            st = ehr_order_from_entry(&dl.lib, i, hard != 0, &o);
            if (hard != 0 && !has_bound(&e->dose_limits, PUMP_HARD_MAX)) {
                assert_int_equal(st, EHR_ERR_ENTRY);
                continue;
            }
            assert_int_equal(st, EHR_OK);
            assert_int_equal(o.is_hard, hard != 0);
            assert_int_equal(round_trip(&o, buf, sizeof buf), HL7_PCD_OK);
            assert_int_equal(probs.n, 0); /* not even a warning */
            assert_int_equal(probs.n_warnings, 0);
            check_decoded(&o, e);
            check_dose(e, o.dose, hard != 0);
            if (hard != 0) {
                n_hard++;
            } else {
                n_tested++;
            }
        }
    }
    /* The sample library has 31 such entries; every one was built and checked. */
    assert_true(n_expected >= 20U);
    assert_int_equal(n_tested, n_expected);
    assert_true(n_hard > 0U);
}

/* The mid-range rule on known entries of the sample (druglib-format values, worked by hand). */
static void test_mid_range_values(void **state)
{
    struct ehr_order o;
    uint32_t i = 0;

    (void)state;
    if (!have_lib) {
        skip();
    }
    /* DOPamine: soft 2..20 mcg/kg/min -> 11; bag 400 mg / 250 mL; 70 kg in Adult ICU. */
    assert_int_equal(pump_library_find_entry(&dl.lib, "AICU-DOPA", 9, &i), PUMP_OK);
    memset(&o, 0, sizeof o);
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_OK);
    assert_string_equal(o.dose, "11");
    assert_string_equal(o.dose_ucum, "ug/kg/min");
    assert_string_equal(o.vtbi_ml, "250");
    assert_string_equal(o.strength, "400");
    assert_string_equal(o.strength_ucum, "mg");
    assert_string_equal(o.weight_kg, "70");
    assert_string_equal(o.care_area, "ADULT_ICU");
    /* Hard: 1.5 x hard max 30 = 45. */
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, true, &o), EHR_OK);
    assert_string_equal(o.dose, "45");
    /* NICU: 70 kg is outside 0.5..6 kg soft range -> the middle, 3.25 kg. */
    assert_int_equal(pump_library_find_entry(&dl.lib, "NICU-DOPA", 9, &i), PUMP_OK);
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_OK);
    assert_string_equal(o.weight_kg, "3.25");
    /* Cefazolin: 1..2 g over 30..60 min (soft) -> 1.5 g over 45 min, no VTBI. */
    assert_int_equal(pump_library_find_entry(&dl.lib, "MS-CEFAZ", 8, &i), PUMP_OK);
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_OK);
    assert_string_equal(o.dose, "1.5");
    assert_string_equal(o.dose_ucum, "g");
    assert_string_equal(o.duration_min, "45");
    assert_string_equal(o.vtbi_ml, "");
    /* Cyclophosphamide is per m2: a BSA is sent (oncology soft range 1.1..2.6 -> 1.85). */
    assert_int_equal(pump_library_find_entry(&dl.lib, "ONC-CYCLO", 9, &i), PUMP_OK);
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_OK);
    assert_string_equal(o.bsa_m2, "1.85");
    assert_string_equal(o.dose_ucum, "mg/m2");
    /* Vasopressin: milliunits/kg/min in UCUM. */
    assert_int_equal(pump_library_find_entry(&dl.lib, "PED-VASO", 8, &i), PUMP_OK);
    assert_int_equal(ehr_order_from_entry(&dl.lib, i, false, &o), EHR_OK);
    assert_string_equal(o.dose_ucum, "m[iU]/kg/min");
    assert_string_equal(o.strength_ucum, "[iU]");
}

static void test_unit_ucum(void **state)
{
    struct pump_unit u;
    char buf[32];

    (void)state;
    assert_int_equal(pump_unit_parse("mcg/kg/min", 10, &u), PUMP_OK);
    assert_int_equal(ehr_unit_ucum(u, buf, sizeof buf), EHR_OK);
    assert_string_equal(buf, "ug/kg/min");
    assert_int_equal(pump_unit_parse("units/kg/h", 10, &u), PUMP_OK);
    assert_int_equal(ehr_unit_ucum(u, buf, sizeof buf), EHR_OK);
    assert_string_equal(buf, "[iU]/kg/h");
    assert_int_equal(pump_unit_parse("mEq/h", 5, &u), PUMP_OK);
    assert_int_equal(ehr_unit_ucum(u, buf, sizeof buf), EHR_OK);
    assert_string_equal(buf, "meq/h");
    assert_int_equal(pump_unit_parse("mL/h", 4, &u), PUMP_OK);
    assert_int_equal(ehr_unit_ucum(u, buf, sizeof buf), EHR_OK);
    assert_string_equal(buf, "mL/h");
    assert_int_equal(ehr_unit_ucum(u, buf, 4), EHR_ERR_FULL);
    u.amount = 200;
    assert_int_equal(ehr_unit_ucum(u, buf, sizeof buf), EHR_ERR_ARG);
}

static void test_build_refusals(void **state)
{
    struct ehr_order o;
    char small[64];
    static char buf[8192];
    size_t len = 0;

    (void)state;
    memset(&o, 0, sizeof o);
    identity(&o, 1);
    (void)snprintf(o.entry_id, sizeof o.entry_id, "X-1");
    (void)snprintf(o.display_name, sizeof o.display_name, "Drug ^ with | delimiters");
    (void)snprintf(o.dose, sizeof o.dose, "5");
    (void)snprintf(o.dose_ucum, sizeof o.dose_ucum, "mL/h");
    (void)snprintf(o.vtbi_ml, sizeof o.vtbi_ml, "100");
    assert_int_equal(ehr_order_build(&o, small, sizeof small, &len), EHR_ERR_FULL);
    /* Delimiters in a value are escaped and read back as they were. */
    assert_int_equal(round_trip(&o, buf, sizeof buf), HL7_PCD_OK);
    assert_string_equal(decoded.steps[0].give_code.text, "Drug ^ with | delimiters");
    o.pump_id[0] = '\0';
    assert_int_equal(ehr_order_build(&o, buf, sizeof buf, &len), EHR_ERR_ARG);
    identity(&o, 1);
    o.dose[0] = '\0';
    assert_int_equal(ehr_order_build(&o, buf, sizeof buf, &len), EHR_ERR_ARG);
    assert_int_equal(ehr_order_build(NULL, buf, sizeof buf, &len), EHR_ERR_ARG);
    assert_int_equal(ehr_order_from_entry(NULL, 0, false, &o), EHR_ERR_ARG);
    if (have_lib) {
        assert_int_equal(ehr_order_from_entry(&dl.lib, dl.lib.n_entries, false, &o),
                         EHR_ERR_ARG);
    }
}

/* ---- order files -------------------------------------------------------------------------- */

struct seen {
    char text[8][64];
    size_t at[8];
    size_t n;
};

static void collect(void *ctx, const char *text, size_t len, size_t at)
{
    struct seen *s = ctx;
    assert_true(s->n < 8U);
    assert_true(len < 64U);
    memcpy(s->text[s->n], text, len);
    s->text[s->n][len] = '\0';
    s->at[s->n] = at;
    s->n++;
}

static void test_split_text(void **state)
{
    const char data[] = "\nMSH|1\nPID|a\n\nMSH|2\r\nMSH|3\rORC|x";
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof s);
    assert_int_equal(ehr_split_messages(data, sizeof data - 1U, NULL, 0, collect, &s), 3);
    assert_string_equal(s.text[0], "MSH|1\nPID|a\n");
    assert_int_equal(s.at[0], 1);
    assert_string_equal(s.text[1], "MSH|2\r\n");
    assert_string_equal(s.text[2], "MSH|3\rORC|x");
}

static void test_split_mllp(void **state)
{
    const char data[] = "junk\x0bMSH|1\rPID|a\r\x1c\r\n\x0bMSH|2\x1c\r\x0bMSH|3 unterminated";
    char frame[32];
    struct seen s;

    (void)state;
    memset(&s, 0, sizeof s);
    assert_int_equal(ehr_split_messages(data, sizeof data - 1U, frame, sizeof frame, collect, &s),
                     3);
    assert_string_equal(s.text[0], "MSH|1\rPID|a\r");
    assert_int_equal(s.at[0], 5);
    assert_string_equal(s.text[1], "MSH|2");
    assert_string_equal(s.text[2], "MSH|3 unterminated");
    /* A frame longer than the buffer is skipped, the next one still comes. */
    memset(&s, 0, sizeof s);
    assert_int_equal(ehr_split_messages(data, sizeof data - 1U, frame, 8, collect, &s), 1);
    assert_string_equal(s.text[0], "MSH|2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry_round_trips),
        cmocka_unit_test(test_generated_orders_pass_the_ders),
        cmocka_unit_test(test_mid_range_values),
        cmocka_unit_test(test_unit_ucum),
        cmocka_unit_test(test_build_refusals),
        cmocka_unit_test(test_split_text),
        cmocka_unit_test(test_split_mllp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
