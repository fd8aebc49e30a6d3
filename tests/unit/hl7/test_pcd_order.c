/*
 * test_pcd_order.c - what a PCD-03 order decodes into: every part the server needs to build a
 * DERS program, as exact text plus units (never a double), from our fixtures and the TF sample.
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
static struct hl7_pcd_order order;
static struct hl7_pcd_problems probs;
static char *buf;

static hl7_pcd_status decode_file(const char *path)
{
    struct hl7_msg m;
    struct hl7_error err;
    size_t len = 0;

    free(buf);
    buf = t_read_file(path, &len);
    assert_non_null(buf);
    assert_int_equal(t_parse(storage, &m, buf, len, &err), HL7_OK);
    hl7_pcd_problems_init(&probs);
    return hl7_pcd03_decode(&m, &order, &probs);
}
#define FIX(name) OI_SOURCE_DIR "/tests/data/hl7/pcd/" name

static void test_dopamine_dose_rate_order(void **state)
{
    const struct hl7_pcd_step *s;
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_dopamine_dose_rate.hl7")), HL7_PCD_OK);
    assert_string_equal(order.msh.control_id, "MSG0001");
    assert_string_equal(order.msh.sending_app.uid, "1234560000000001");
    assert_string_equal(order.patient.id, "MRN4711");
    assert_string_equal(order.patient.id_authority, "HOSP");
    assert_string_equal(order.patient.id_type, "MR");
    assert_string_equal(order.patient.family, "Doe");
    assert_string_equal(order.patient.given, "Jane");
    assert_string_equal(order.patient.location, "ICU^12^1");
    assert_string_equal(order.weight.value, "82.5");
    assert_string_equal(order.weight.unit.ucum, "kg");
    assert_int_equal(order.control, HL7_PCD_OC_NEW);
    assert_string_equal(order.placer_id, "PLC1001");
    assert_string_equal(order.request_time, "20260301101400+0100");
    assert_string_equal(order.nurse.id, "RN42");
    assert_string_equal(order.nurse.family, "Nurse");
    assert_string_equal(order.ordering.id, "DOC7");
    assert_string_equal(order.pump_id, "A0001");
    assert_string_equal(order.pump_vendor, "1.2.840.99.1");
    assert_false(order.pump_id_legacy);
    assert_int_equal(order.n_steps, 1);
    s = &order.steps[0];
    assert_int_equal(s->number, 1);
    assert_string_equal(s->give_code.id, "DOPA800");
    assert_string_equal(s->give_code.text, "Dopamine");
    assert_string_equal(s->vtbi.value, "250");
    assert_string_equal(s->vtbi.unit.ucum, "mL");
    assert_string_equal(s->rate.value, "5");
    assert_int_equal(s->rate_kind, HL7_PCD_RATE_DOSE_RATE);
    assert_int_equal(s->rate.unit.mdc_code, 265619);
    assert_string_equal(s->rate.unit.ucum, "ug/kg/min");
    assert_true(s->rate.unit.has_pump_unit);
    assert_int_equal(s->rate.unit.pump_unit.amount, PUMP_AMT_MCG);
    assert_int_equal(s->rate.unit.pump_unit.body, PUMP_PER_KG);
    assert_int_equal(s->rate.unit.pump_unit.time, PUMP_TIME_MIN);
    assert_int_equal(s->rate.unit.pump_unit.kind, PUMP_UNIT_RATE);
    assert_string_equal(s->strength.value, "800");
    assert_string_equal(s->strength.unit.ucum, "mg");
    assert_string_equal(s->strength_volume.value, "250");
    assert_string_equal(s->route, "IV");
    assert_string_equal(s->device, "IVP");
    assert_string_equal(s->method, "IV");
    assert_int_equal(probs.n, 0);
}

/* The TF's own example 2 (public sample): quirks accepted, values kept exactly. */
static void test_tf_saline_sample_values(void **state)
{
    const struct hl7_pcd_step *s;
    (void)state;
    assert_int_equal(decode_file(OI_SHARED_DIR "/data/hl7/pcd03_ihetf_ex2_saline_rgv_o15.hl7"),
                     HL7_PCD_INVALID); /* ORC-9 is empty in the published example */
    assert_int_equal(probs.n_errors, 1);
    assert_int_equal(probs.items[2].piv_code, 9003);
    assert_string_equal(order.patient.id, "98765");
    assert_string_equal(order.patient.id_type, "PI");
    assert_string_equal(order.patient.family, "Doe");
    assert_string_equal(order.placer_id, "12345");
    assert_string_equal(order.nurse.id, "N0001");
    assert_string_equal(order.pump_id, "A0001");
    assert_string_equal(order.pump_vendor, "PUMPVENDOR");
    assert_true(order.pump_id_legacy);
    s = &order.steps[0];
    assert_string_equal(s->give_code.id, "5678");
    assert_string_equal(s->give_code.text, "Normal Saline");
    assert_string_equal(s->vtbi.value, "500");
    assert_string_equal(s->vtbi.unit.ucum, "mL");
    assert_string_equal(s->rate.value, "13.3");
    assert_string_equal(s->rate.unit.ucum, "mL/h");
    assert_int_equal(s->rate.unit.mdc_code, 265266); /* from the alternate triplet */
    assert_int_equal(s->rate_kind, HL7_PCD_RATE_VOLUME);
    assert_string_equal(s->route, "IV");
    assert_string_equal(s->device, "IVP");
}

static void test_tq1_duration_repetitions(void **state)
{
    const struct hl7_pcd_step *s;
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_tq1_hours_and_minutes.hl7")), HL7_PCD_OK);
    s = &order.steps[0];
    assert_true(s->has_tq1);
    assert_int_equal(s->n_duration, 2);
    assert_string_equal(s->duration[0].value, "2");
    assert_string_equal(s->duration[0].unit.ucum, "h");
    assert_string_equal(s->duration[1].value, "45");
    assert_string_equal(s->duration[1].unit.ucum, "min");
    assert_int_equal(s->rate_kind, HL7_PCD_RATE_DOSE);
    assert_string_equal(s->rate.unit.ucum, "g");
}

static void test_multistep_steps_in_order(void **state)
{
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_multistep.hl7")), HL7_PCD_OK);
    assert_int_equal(order.n_steps, 2);
    assert_int_equal(order.total_steps, 2);
    assert_int_equal(order.steps[0].number, 1);
    assert_string_equal(order.steps[0].step_type, "loading dose");
    assert_string_equal(order.steps[0].rate.value, "10");
    assert_int_equal(order.steps[1].number, 2);
    assert_string_equal(order.steps[1].step_type, "continuous");
    assert_string_equal(order.steps[1].rate.value, "5");
}

static void test_bolus_and_change_orders(void **state)
{
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_bolus_ch.hl7")), HL7_PCD_OK);
    assert_int_equal(order.control, HL7_PCD_OC_BOLUS);
    assert_string_equal(order.placer_id, "PLC1002");
    assert_string_equal(order.parent_id, "PLC1001");
    assert_string_equal(order.steps[0].order_type, "clinician-dose");
    assert_int_equal(decode_file(FIX("pcd03_ok_bolus_dose_with_rate_obx.hl7")), HL7_PCD_OK);
    assert_string_equal(order.steps[0].bolus_rate.value, "100");
    assert_string_equal(order.steps[0].bolus_rate.unit.ucum, "mL/h");
    assert_int_equal(decode_file(FIX("pcd03_ok_xo_rate_change.hl7")), HL7_PCD_OK);
    assert_int_equal(order.control, HL7_PCD_OC_CHANGE);
    assert_false(order.steps[0].vtbi.present);
    assert_string_equal(order.steps[0].rate.value, "7.5");
}

static void test_pca_parameters(void **state)
{
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_pca.hl7")), HL7_PCD_OK);
    assert_string_equal(order.steps[0].device, "PCA");
    assert_int_equal(order.n_params, 3);
    assert_int_equal(order.params[0].mdc, HL7_MDC_DOSE_PCA_PATIENT);
    assert_string_equal(order.params[0].q.value, "1");
    assert_string_equal(order.params[0].q.unit.ucum, "mg");
    assert_int_equal(order.params[1].mdc, HL7_MDC_TIME_PCA_LOCKOUT);
    assert_string_equal(order.params[1].q.unit.ucum, "min");
    assert_int_equal(order.params[2].mdc, HL7_MDC_DOSE_PCA_LIMIT);
}

static void test_escapes_decoded_and_bsa(void **state)
{
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_escaped_drug_name.hl7")), HL7_PCD_OK);
    assert_string_equal(order.steps[0].give_code.text, "Dextrose 5% & Water");
    assert_int_equal(decode_file(FIX("pcd03_ok_bsa_based.hl7")), HL7_PCD_OK);
    assert_string_equal(order.bsa.value, "1.9");
    assert_string_equal(order.bsa.unit.ucum, "m2");
    assert_string_equal(order.height.value, "172");
    assert_string_equal(order.steps[0].rate.unit.ucum, "mg/m2/h");
    assert_int_equal(order.steps[0].rate.unit.pump_unit.body, PUMP_PER_M2);
}

/* Same order with CR, CRLF and LF terminators decodes to the same thing. */
static void test_terminators_do_not_matter(void **state)
{
    static struct hl7_pcd_order a;
    (void)state;
    assert_int_equal(decode_file(FIX("pcd03_ok_dopamine_dose_rate.hl7")), HL7_PCD_OK);
    a = order;
    assert_int_equal(decode_file(FIX("pcd03_ok_dopamine_crlf.hl7")), HL7_PCD_OK);
    assert_memory_equal(&a, &order, sizeof a);
    assert_int_equal(decode_file(FIX("pcd03_ok_dopamine_lf.hl7")), HL7_PCD_OK);
    assert_memory_equal(&a, &order, sizeof a);
}

static void test_piv_texts(void **state)
{
    unsigned c;
    (void)state;
    assert_null(hl7_pcd_piv_text(9000));
    assert_null(hl7_pcd_piv_text(9034));
    for (c = 9001; c <= 9033; c++) {
        assert_non_null(hl7_pcd_piv_text(c));
        assert_true(strlen(hl7_pcd_piv_text(c)) > 8U);
    }
    assert_string_equal(hl7_pcd_piv_text(9010), "Unable to match medication to drug library");
    assert_string_equal(hl7_pcd_piv_text(9024), "Drug library hard limit exceeded");
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
    free(buf);
    free(storage);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dopamine_dose_rate_order),
        cmocka_unit_test(test_tf_saline_sample_values),
        cmocka_unit_test(test_tq1_duration_repetitions),
        cmocka_unit_test(test_multistep_steps_in_order),
        cmocka_unit_test(test_bolus_and_change_orders),
        cmocka_unit_test(test_pca_parameters),
        cmocka_unit_test(test_escapes_decoded_and_bsa),
        cmocka_unit_test(test_terminators_do_not_matter),
        cmocka_unit_test(test_piv_texts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
