/* test_unit.c - unit strings: every spelling of druglib-format.md, families, conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pump/pump_ders.h"
#include "pump/pump_unit.h"

static struct pump_unit parse_ok(const char *text)
{
    struct pump_unit u;
    char back[PUMP_UNIT_TEXT_MAX];
    assert_int_equal(pump_unit_parse(text, strlen(text), &u), PUMP_OK);
    assert_int_equal(pump_unit_format(u, back, sizeof back), PUMP_OK);
    assert_string_equal(back, text); /* canonical spelling round-trips */
    return u;
}

static void test_every_amount_and_combination_parses(void **state)
{
    static const char *const amounts[] = {"g",          "mg",  "mcg",  "ng", "units",
                                          "milliunits", "mEq", "mmol", "mL"};
    static const char *const bodies[] = {"", "/kg", "/m2"};
    static const char *const times[] = {"", "/min", "/h"};
    size_t a;
    size_t b;
    size_t t;
    (void)state;
    for (a = 0; a < 9; a++) {
        for (b = 0; b < 3; b++) {
            for (t = 0; t < 3; t++) {
                char text[PUMP_UNIT_TEXT_MAX];
                struct pump_unit u;
                (void)strcpy(text, amounts[a]);
                (void)strcat(text, bodies[b]);
                (void)strcat(text, times[t]);
                u = parse_ok(text);
                assert_int_equal(u.amount, a);
                assert_int_equal(u.body, b);
                assert_int_equal(u.time, t);
                assert_int_equal(u.kind, (t == 0) ? PUMP_UNIT_AMOUNT : PUMP_UNIT_RATE);
            }
        }
    }
}

static void test_concentrations(void **state)
{
    struct pump_unit u;
    (void)state;
    u = parse_ok("mg/mL");
    assert_int_equal(u.kind, PUMP_UNIT_CONC);
    assert_int_equal(u.amount, PUMP_AMT_MG);
    u = parse_ok("units/mL");
    assert_int_equal(u.kind, PUMP_UNIT_CONC);
    assert_int_equal(pump_unit_parse("mL/mL", 5, &u), PUMP_ERR_INVAL);
    assert_int_equal(pump_unit_parse("mg/mL/h", 7, &u), PUMP_ERR_INVAL);
    assert_int_equal(pump_unit_parse("mg/kg/mL", 8, &u), PUMP_ERR_INVAL);
}

static void test_misspellings_rejected(void **state)
{
    static const char *const bad[] = {
        "",        "ug",         "µg",     "mcg/",      "/h",     "MG",       "mg/hr",
        "mg/hour", "mg/kg/m2",   "mg/h/kg", "mg/min/h", "mg/L",   "mg/ml",    "ml/h",
        "units/d", "mcg/kg/min ", " mg",   "mg//h",     "mg/kg/", "unit",     "mEq/kg/h/h",
        "mmol/m2/kg", "IU",      "mcg/lb/min",
    };
    size_t i;
    struct pump_unit u = {7, 7, 7, 7};
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pump_unit_parse(bad[i], strlen(bad[i]), &u), PUMP_ERR_INVAL);
    }
    assert_int_equal(u.amount, 7); /* untouched on error */
}

static void test_families_never_convert(void **state)
{
    struct pump_q f;
    (void)state;
    assert_int_equal(pump_amount_factor(PUMP_AMT_G, PUMP_AMT_MCG, &f), PUMP_OK);
    assert_int_equal(f.num, 1000000);
    assert_int_equal(f.den, 1);
    assert_int_equal(pump_amount_factor(PUMP_AMT_NG, PUMP_AMT_MG, &f), PUMP_OK);
    assert_int_equal(f.num, 1);
    assert_int_equal(f.den, 1000000);
    assert_int_equal(pump_amount_factor(PUMP_AMT_UNITS, PUMP_AMT_MILLIUNITS, &f), PUMP_OK);
    assert_int_equal(f.num, 1000);
    assert_int_equal(pump_amount_factor(PUMP_AMT_MG, PUMP_AMT_UNITS, &f), PUMP_ERR_INVAL);
    assert_int_equal(pump_amount_factor(PUMP_AMT_MEQ, PUMP_AMT_MMOL, &f), PUMP_ERR_INVAL);
    assert_int_equal(pump_amount_factor(PUMP_AMT_ML, PUMP_AMT_MG, &f), PUMP_ERR_INVAL);
    assert_int_equal(pump_amount_family(PUMP_AMT_NG), PUMP_FAM_MASS);
    assert_int_equal(pump_amount_family(PUMP_AMT_COUNT), PUMP_FAM_COUNT);
    assert_string_equal(pump_amount_str(PUMP_AMT_MCG), "mcg");
    assert_string_equal(pump_amount_str(PUMP_AMT_COUNT), "?");
}

static void test_format_errors_and_equality(void **state)
{
    struct pump_unit a = parse_ok("mcg/kg/min");
    struct pump_unit b = parse_ok("mcg/kg/min");
    struct pump_unit c = parse_ok("mcg/kg/h");
    struct pump_unit corrupt = {99, 0, 0, 0};
    char small[4];
    (void)state;
    assert_true(pump_unit_equal(a, b));
    assert_false(pump_unit_equal(a, c));
    assert_int_equal(pump_unit_format(a, small, sizeof small), PUMP_ERR_FULL);
    assert_string_equal(small, "");
    assert_int_equal(pump_unit_format(corrupt, small, sizeof small), PUMP_ERR_INVAL);
}

/* The unit a DERS violation is reported in: one mapping, used by infusionctl and pumpd's panel. */
static void test_violation_unit_text(void **state)
{
    (void)state;
    struct pump_violation v;
    char buf[32];
    char tiny[3];
    memset(&v, 0, sizeof v);
    v.unit = parse_ok("mcg/kg/min");
    v.vunit = (uint8_t)PUMP_VU_UNIT;
    assert_int_equal(pump_violation_unit_format(&v, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, "mcg/kg/min");
    v.unit = parse_ok("mg");
    v.vunit = (uint8_t)PUMP_VU_UNIT_PER_H;
    assert_int_equal(pump_violation_unit_format(&v, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, "mg/h");
    v.vunit = (uint8_t)PUMP_VU_ML_H;
    assert_int_equal(pump_violation_unit_format(&v, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, "mL/h");
    v.vunit = (uint8_t)PUMP_VU_KG;
    assert_int_equal(pump_violation_unit_format(&v, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, "kg");
    v.vunit = (uint8_t)PUMP_VU_NONE;
    assert_int_equal(pump_violation_unit_format(&v, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, "");
    v.vunit = (uint8_t)PUMP_VU_ML_H;
    assert_int_equal(pump_violation_unit_format(&v, tiny, sizeof tiny), PUMP_ERR_FULL);
    assert_string_equal(tiny, "");
    assert_int_equal(pump_violation_unit_format(NULL, buf, sizeof buf), PUMP_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_amount_and_combination_parses),
        cmocka_unit_test(test_concentrations),
        cmocka_unit_test(test_misspellings_rejected),
        cmocka_unit_test(test_families_never_convert),
        cmocka_unit_test(test_format_errors_and_equality),
        cmocka_unit_test(test_violation_unit_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
