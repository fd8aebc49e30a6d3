/*
 * test_mdc_table.c - the MDC table keeps its promises: codes agree with their partition
 * (code = 65536 * partition + term code), no code or RefID twice, unconfirmed rows carry no
 * number, only TF/TF16 codes are emitted, lookups by code, RefID and UCUM find the right row.
 * Spot values are checked against standards.md §4.3, an independent source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/mdc.h"

static void test_codes_match_their_partition(void **state)
{
    unsigned i;
    (void)state;
    for (i = 0; i < HL7_MDC_COUNT; i++) {
        const struct hl7_mdc_term *t = hl7_mdc_term((hl7_mdc_id)i);
        assert_non_null(t);
        assert_non_null(t->refid);
        assert_true(strncmp(t->refid, "MDC", 3) == 0);
        if (t->code != 0U) {
            assert_int_equal(t->code >> 16, t->partition);
        }
        if (t->partition == HL7_MDC_PART_DIM) {
            assert_true(strlen(t->ucum) > 0U);
        } else {
            assert_string_equal(t->ucum, "");
        }
    }
    assert_null(hl7_mdc_term(HL7_MDC_COUNT));
}

static void test_no_duplicates(void **state)
{
    unsigned i;
    unsigned j;
    (void)state;
    for (i = 0; i < HL7_MDC_COUNT; i++) {
        const struct hl7_mdc_term *a = hl7_mdc_term((hl7_mdc_id)i);
        for (j = i + 1U; j < HL7_MDC_COUNT; j++) {
            const struct hl7_mdc_term *b = hl7_mdc_term((hl7_mdc_id)j);
            assert_true(strcmp(a->refid, b->refid) != 0);
            if (a->code != 0U) {
                assert_true(a->code != b->code);
            }
        }
    }
}

static void test_unconfirmed_rows_have_no_number_and_are_never_emitted(void **state)
{
    unsigned i;
    unsigned n_unverified = 0;
    (void)state;
    for (i = 0; i < HL7_MDC_COUNT; i++) {
        const struct hl7_mdc_term *t = hl7_mdc_term((hl7_mdc_id)i);
        bool confirmed = (t->status == HL7_MDC_TF) || (t->status == HL7_MDC_TF16);
        if ((t->status == HL7_MDC_UNVERIFIED) || (t->status == HL7_MDC_PENDING)) {
            assert_int_equal(t->code, 0);
            n_unverified++;
        } else {
            assert_true(t->code != 0U);
        }
        assert_int_equal(hl7_mdc_emit_code(t), confirmed);
        assert_int_equal(hl7_mdc_wire_code(t), confirmed ? t->code : 0U);
        assert_int_equal(hl7_mdc_id_of(t), i);
        assert_true(strcmp(hl7_mdc_status_str((hl7_mdc_status)t->status), "?") != 0);
    }
    assert_true(n_unverified > 0U);
    /* The events and codes standards.md lists as unconfirmed. */
    assert_int_equal(hl7_mdc_term(HL7_MDC_EVT_PUMP_DELIV_STOP)->status, HL7_MDC_UNVERIFIED);
    assert_int_equal(hl7_mdc_term(HL7_MDC_EVT_FLUID_LINE_AIR)->status, HL7_MDC_UNVERIFIED);
    assert_int_equal(hl7_mdc_term(HL7_MDC_DEV_PUMP_NOT_DELIVERING_REASON)->code, 0);
    assert_null(hl7_mdc_by_code(158006)); /* vendor-only value, not taken as a fact */
    assert_null(hl7_mdc_by_code(70053));
    assert_false(hl7_mdc_emit_code(hl7_mdc_term(HL7_MDC_EVT_ACTIVE))); /* corroborated only */
}

static void test_spot_values_from_standards(void **state)
{
    (void)state;
    assert_int_equal(hl7_mdc_term(HL7_MDC_FLOW_FLUID_PUMP)->code, 157784);
    assert_int_equal(hl7_mdc_term(HL7_MDC_DEV_PUMP_INFUS_VMD)->code, 69986);
    assert_int_equal(hl7_mdc_term(HL7_MDC_EVT_FLUID_LINE_OCCL)->code, 196940);
    assert_int_equal(hl7_mdc_term(HL7_MDC_EVT_PUMP_DELIV_START)->code, 197288);
    assert_int_equal(hl7_mdc_term(HL7_MDC_DIM_MILLI_L_PER_HR)->code, 265266);
    assert_int_equal(hl7_mdc_term(HL7_MDC_DIM_MICRO_G_PER_KG_PER_MIN)->code, 265619);
    /* §4.1 arithmetic: micro = +19 from the 4::3456 base, milli = +18 from L 4::1600 */
    assert_int_equal(hl7_mdc_term(HL7_MDC_DIM_MICRO_G_PER_KG_PER_MIN)->code, 4U * 65536U + 3456U + 19U);
    assert_int_equal(hl7_mdc_term(HL7_MDC_DIM_MILLI_L)->code, 4U * 65536U + 1600U + 18U);
}

static void test_lookups(void **state)
{
    const struct hl7_mdc_term *t;
    (void)state;
    t = hl7_mdc_by_code(157784);
    assert_non_null(t);
    assert_string_equal(t->refid, "MDC_FLOW_FLUID_PUMP");
    assert_null(hl7_mdc_by_code(0));
    assert_null(hl7_mdc_by_code(158480)); /* an invented code seen on GitHub */
    t = hl7_mdc_by_refid("MDC_DIM_SEC", 11); /* TF-3's name for MDC_DIM_X_SEC */
    assert_non_null(t);
    assert_int_equal(t->code, 264320);
    assert_null(hl7_mdc_by_refid("MDC_FLOW_FLUID_PUM", 18));
    assert_null(hl7_mdc_by_refid(NULL, 0));
    t = hl7_mdc_unit_by_ucum("mL/h", 4);
    assert_non_null(t);
    assert_int_equal(t->code, 265266);
    t = hl7_mdc_unit_by_ucum("ml/hr", 5);
    assert_non_null(t);
    assert_int_equal(t->code, 265266);
    t = hl7_mdc_unit_by_ucum("mcg/kg/min", 10);
    assert_non_null(t);
    assert_string_equal(t->ucum, "ug/kg/min");
    assert_null(hl7_mdc_unit_by_ucum("mg/kg/h", 7)); /* unverified: UCUM only */
    assert_null(hl7_mdc_unit_by_ucum("MDC_FLOW_FLUID_PUMP", 19));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_match_their_partition),
        cmocka_unit_test(test_no_duplicates),
        cmocka_unit_test(test_unconfirmed_rows_have_no_number_and_are_never_emitted),
        cmocka_unit_test(test_spot_values_from_standards),
        cmocka_unit_test(test_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
