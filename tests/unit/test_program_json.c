/*
 * test_program_json.c - program objects (ders-rules.md) through the JSON adapter: every program
 * of the shared sample parses (and, judged against the sample library, gives the expected
 * outcome and limit), malformed objects are refused with a sentence, and numbers the DERS must
 * reject (zero, negative, too large) come through as data, not as errors.
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

#define SAMPLE_LIBRARY    OI_SHARED_DIR "/data/druglib/sample-library.json"
#define SAMPLE_PROGRAMS   OI_SHARED_DIR "/data/druglib/sample-programs.jsonl"
#define N_SAMPLE_PROGRAMS 53

/* The sample lines, loaded once. */
static json_t *sample_lines[N_SAMPLE_PROGRAMS];

static int load_samples(void **state)
{
    (void)state;
    FILE *f = fopen(SAMPLE_PROGRAMS, "r");
    if (f == NULL) {
        return -1;
    }
    char line[4096];
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        json_error_t err;
        if (line[0] == '\n' || n >= N_SAMPLE_PROGRAMS) {
            continue;
        }
        sample_lines[n] = json_loads(line, 0, &err);
        if (sample_lines[n] == NULL) {
            (void)fclose(f);
            return -1;
        }
        n++;
    }
    (void)fclose(f);
    return n == N_SAMPLE_PROGRAMS ? 0 : -1;
}

static int free_samples(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_SAMPLE_PROGRAMS; i++) {
        json_decref(sample_lines[i]);
        sample_lines[i] = NULL;
    }
    return 0;
}

/* Program n (1-based, the "n" of the line). */
static const json_t *sample_program(int n)
{
    const json_t *line = sample_lines[n - 1];
    assert_int_equal(json_integer_value(json_object_get(line, "n")), n);
    return json_object_get(line, "program");
}

static void parse_ok(const json_t *obj, struct pump_program *prog)
{
    char err[256] = "unchanged";
    bool ok = oi_program_from_json(obj, prog, err, sizeof err);
    if (!ok) {
        print_error("refused: %s\n", err);
    }
    assert_true(ok);
    assert_string_equal(err, "");
}

static json_t *parse_text(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_ALLOW_NUL, &err);
    if (j == NULL) {
        print_error("test JSON does not parse: %s\n", err.text);
    }
    assert_non_null(j);
    return j;
}

static void assert_given(struct pump_value v, int64_t num, int64_t den)
{
    assert_int_equal(v.state, PUMP_V_GIVEN);
    assert_int_equal(v.q.num, num);
    assert_int_equal(v.q.den, den);
}

static void assert_unit_is(struct pump_unit u, const char *text)
{
    struct pump_unit want;
    assert_int_equal(pump_unit_parse(text, strlen(text), &want), PUMP_OK);
    assert_true(pump_unit_equal(u, want));
}

/* ---- the shared sample -------------------------------------------------------------------- */

static void test_every_sample_program_parses(void **state)
{
    (void)state;
    for (int n = 1; n <= N_SAMPLE_PROGRAMS; n++) {
        struct pump_program prog;
        const json_t *obj = sample_program(n);
        assert_non_null(obj);
        parse_ok(obj, &prog);
        assert_non_null(prog.care_area);
        assert_true(prog.care_area_len > 0);
        assert_false(prog.dose_unit_bad);
    }
}

static void test_sample_program_values(void **state)
{
    (void)state;
    struct pump_program p;
    parse_ok(sample_program(1), &p);
    assert_int_equal(p.care_area_len, 9);
    assert_memory_equal(p.care_area, "ADULT_ICU", 9);
    assert_int_equal(p.entry_len, 9);
    assert_memory_equal(p.entry, "AICU-DOPA", 9);
    assert_int_equal(p.mode, PUMP_MODE_CONTINUOUS);
    assert_given(p.dose, 5, 1);
    assert_true(p.has_dose_unit);
    assert_unit_is(p.dose_unit, "mcg/kg/min");
    assert_given(p.weight_kg, 80, 1);
    assert_int_equal(p.bsa_m2.state, PUMP_V_ABSENT);
    assert_int_equal(p.current_dose.state, PUMP_V_ABSENT);
    assert_false(p.has_conc);
    assert_false(p.has_pca);

    /* The floating-point trap: exactly 7/10 and 21/20. */
    parse_ok(sample_program(31), &p);
    assert_given(p.current_dose, 7, 10);
    assert_given(p.dose, 21, 20);

    /* A basic infusion: entry null. */
    parse_ok(sample_program(17), &p);
    assert_int_equal(p.mode, PUMP_MODE_BASIC);
    assert_null(p.entry);
    assert_int_equal(p.entry_len, 0);
    assert_int_equal(p.rate_ml_h.state, PUMP_V_GIVEN);

    /* PCA settings in their object. */
    parse_ok(sample_program(24), &p);
    assert_int_equal(p.mode, PUMP_MODE_PCA);
    assert_true(p.has_pca);
    assert_int_equal(p.pca_dose.state, PUMP_V_GIVEN);
    assert_int_equal(p.pca_lockout_min.state, PUMP_V_GIVEN);
    assert_int_equal(p.dose.state, PUMP_V_ABSENT);

    /* A PCA program without its object, and a zero dose: data for the DERS, not errors. */
    parse_ok(sample_program(48), &p);
    assert_false(p.has_pca);
    parse_ok(sample_program(38), &p);
    assert_given(p.dose, 0, 1);

    /* A custom concentration. */
    parse_ok(sample_program(23), &p);
    assert_true(p.has_conc);
    assert_false(p.conc_unit_bad);
    assert_given(p.conc_amount, 400, 1);
    assert_unit_is(p.conc_unit, "mg");
    assert_given(p.conc_volume_ml, 100, 1);
}

static const char *expect_limit(const json_t *expect)
{
    const json_t *l = json_object_get(expect, "limit");
    return json_is_string(l) ? json_string_value(l) : "";
}

/* End to end through the core: the adapter hands the DERS values that give the outcome and
 * limit the sample specifies (a wrong number or unit here would show as a wrong outcome). */
static void test_sample_programs_judged(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_file(SAMPLE_LIBRARY, &dl, &diag), OI_LOAD_OK);
    int wrong = 0;
    for (int n = 1; n <= N_SAMPLE_PROGRAMS; n++) {
        struct pump_program prog;
        parse_ok(sample_program(n), &prog);
        struct pump_ders_result *res = calloc(1, sizeof *res);
        assert_non_null(res);
        assert_int_equal(pump_ders_check(&dl.lib, &prog, res), PUMP_OK);
        const json_t *expect = json_object_get(sample_lines[n - 1], "expect");
        const char *outcome = json_string_value(json_object_get(expect, "outcome"));
        const char *got_outcome = pump_outcome_str((pump_outcome)res->outcome);
        const char *got_limit = pump_limit_str((pump_limit)res->limit);
        if (strcmp(outcome, got_outcome) != 0 || strcmp(expect_limit(expect), got_limit) != 0) {
            print_error("program %d: %s (%s), expected %s (%s)\n", n, got_outcome, got_limit,
                        outcome, expect_limit(expect));
            wrong++;
        }
        free(res);
    }
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
    assert_int_equal(wrong, 0);
}

/* ---- malformed objects -------------------------------------------------------------------- */

static void expect_refused(const char *text, const char *message)
{
    json_t *j = parse_text(text);
    struct pump_program prog;
    char err[256] = "";
    assert_false(oi_program_from_json(j, &prog, err, sizeof err));
    if (strcmp(err, message) != 0) {
        print_error("for %s\n  got: %s\n want: %s\n", text, err, message);
    }
    assert_string_equal(err, message);
    json_decref(j);
}

static void test_unknown_keys_refused(void **state)
{
    (void)state;
    expect_refused("{\"care_area\":\"A\",\"mode\":\"basic\",\"dosee\":5}", "unknown key \"dosee\"");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"pca\",\"pca\":{\"dose\":1,\"lockout\":5}}",
                   "unknown key \"lockout\" in \"pca\"");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"continuous\","
                   "\"concentration\":{\"amount\":1,\"unit\":\"mg\"}}",
                   "unknown key \"unit\" in \"concentration\"");
}

static void test_wrong_types_refused(void **state)
{
    (void)state;
    expect_refused("{\"care_area\":\"A\",\"mode\":\"continuous\",\"dose\":\"5\"}",
                   "\"dose\" must be a number, not a string");
    expect_refused("{\"care_area\":7,\"mode\":\"basic\"}",
                   "\"care_area\" must be a string, not a number");
    expect_refused("{\"care_area\":\"A\",\"entry\":false,\"mode\":\"basic\"}",
                   "\"entry\" must be a string, not true or false");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"basic\",\"weight_kg\":[80]}",
                   "\"weight_kg\" must be a number, not an array");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"continuous\",\"dose_unit\":5}",
                   "\"dose_unit\" must be a string, not a number");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"continuous\",\"concentration\":\"4 mg/mL\"}",
                   "\"concentration\" must be an object, not a string");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"continuous\","
                   "\"concentration\":{\"amount_unit\":{}}}",
                   "\"concentration.amount_unit\" must be a string, not an object");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"pca\",\"pca\":{\"basal\":true}}",
                   "\"pca.basal\" must be a number, not true or false");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"pca\",\"pca\":[]}",
                   "\"pca\" must be an object, not an array");
    expect_refused("{\"care_area\":\"A\\u0000B\",\"mode\":\"basic\"}",
                   "\"care_area\" must not contain a NUL character");
    expect_refused("[1]", "a program must be a JSON object, not an array");
}

static void test_mode_and_required_keys(void **state)
{
    (void)state;
    expect_refused("{\"care_area\":\"A\",\"mode\":\"drip\"}",
                   "unknown mode \"drip\" (expected continuous, bolus, loading, intermittent, "
                   "pca, fluid or basic)");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"Continuous\"}",
                   "unknown mode \"Continuous\" (expected continuous, bolus, loading, "
                   "intermittent, pca, fluid or basic)");
    expect_refused("{\"care_area\":\"A\",\"mode\":null}", "\"mode\" must be a string, not null");
    expect_refused("{\"care_area\":\"A\"}", "missing required key \"mode\"");
    expect_refused("{\"mode\":\"basic\"}", "missing required key \"care_area\"");
    expect_refused("{}", "missing required key \"care_area\"");

    const char *modes[] = {"continuous", "bolus", "loading", "intermittent",
                           "pca",        "fluid", "basic"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        char text[96];
        (void)snprintf(text, sizeof text, "{\"care_area\":\"A\",\"mode\":\"%s\"}", modes[i]);
        json_t *j = parse_text(text);
        struct pump_program p;
        parse_ok(j, &p);
        assert_int_equal(p.mode, i);
        json_decref(j);
    }
}

/* ---- values the DERS judges --------------------------------------------------------------- */

static void test_zero_negative_and_bad_numbers_are_data(void **state)
{
    (void)state;
    json_t *j = parse_text("{\"care_area\":\"A\",\"entry\":\"E\",\"mode\":\"intermittent\","
                           "\"dose\":0,\"weight_kg\":-70,\"bsa_m2\":-0.5,\"duration_min\":1e300,"
                           "\"rate_ml_h\":null,\"vtbi_ml\":0.0,\"current_dose\":-9007199254740993,"
                           "\"x-source\":\"EHR\"}");
    struct pump_program p;
    parse_ok(j, &p);
    assert_given(p.dose, 0, 1);
    assert_given(p.weight_kg, -70, 1);
    assert_given(p.bsa_m2, -1, 2);
    assert_int_equal(p.duration_min.state, PUMP_V_BAD);
    assert_int_equal(p.rate_ml_h.state, PUMP_V_ABSENT);
    assert_given(p.vtbi_ml, 0, 1);
    assert_given(p.current_dose, -9007199254740993, 1);
    json_decref(j);

    j = parse_text("{\"care_area\":\"A\",\"entry\":\"E\",\"mode\":\"pca\","
                   "\"pca\":{\"dose\":0.01,\"lockout_min\":0,\"basal\":0,\"four_hour_limit\":-1,"
                   "\"x-note\":1}}");
    parse_ok(j, &p);
    assert_true(p.has_pca);
    assert_given(p.pca_dose, 1, 100);
    assert_given(p.pca_lockout_min, 0, 1);
    assert_given(p.pca_basal, 0, 1);
    assert_given(p.pca_four_hour, -1, 1);
    json_decref(j);
}

static void test_units_are_data(void **state)
{
    (void)state;
    struct pump_program p;
    json_t *j = parse_text("{\"care_area\":\"A\",\"entry\":\"E\",\"mode\":\"continuous\","
                           "\"dose\":5,\"dose_unit\":\"ug/kg/min\"}");
    parse_ok(j, &p);
    assert_true(p.has_dose_unit);
    assert_true(p.dose_unit_bad);
    json_decref(j);

    j = parse_text("{\"care_area\":\"A\",\"mode\":\"continuous\",\"dose_unit\":null}");
    parse_ok(j, &p);
    assert_false(p.has_dose_unit);
    json_decref(j);

    /* Concentration unit missing, unknown, or known. */
    j = parse_text("{\"care_area\":\"A\",\"mode\":\"continuous\","
                   "\"concentration\":{\"amount\":400,\"volume_ml\":100}}");
    parse_ok(j, &p);
    assert_true(p.has_conc);
    assert_true(p.conc_unit_bad);
    json_decref(j);
    j = parse_text("{\"care_area\":\"A\",\"mode\":\"continuous\",\"concentration\":"
                   "{\"amount\":400,\"amount_unit\":\"mgs\",\"volume_ml\":100,\"x-d\":\"NS\"}}");
    parse_ok(j, &p);
    assert_true(p.conc_unit_bad);
    json_decref(j);
    j = parse_text("{\"care_area\":\"A\",\"mode\":\"continuous\",\"concentration\":"
                   "{\"amount\":0.5,\"amount_unit\":\"units\",\"volume_ml\":1}}");
    parse_ok(j, &p);
    assert_false(p.conc_unit_bad);
    assert_unit_is(p.conc_unit, "units");
    assert_given(p.conc_amount, 1, 2);
    json_decref(j);
    j = parse_text("{\"care_area\":\"A\",\"mode\":\"continuous\",\"concentration\":null}");
    parse_ok(j, &p);
    assert_false(p.has_conc);
    json_decref(j);
}

/* The strings borrow from the object, with their length (no copy, no terminator assumed). */
static void test_strings_borrowed(void **state)
{
    (void)state;
    json_t *j = parse_text("{\"care_area\":\"MED_SURG\",\"entry\":\"MS-HEP\",\"mode\":\"bolus\"}");
    struct pump_program p;
    parse_ok(j, &p);
    assert_ptr_equal(p.care_area, json_string_value(json_object_get(j, "care_area")));
    assert_ptr_equal(p.entry, json_string_value(json_object_get(j, "entry")));
    assert_int_equal(p.entry_len, 6);
    json_decref(j);
}

static void test_error_buffer_edges(void **state)
{
    (void)state;
    json_t *j = parse_text("{\"care_area\":\"A\",\"mode\":\"basic\",\"a_rather_long_unknown\":1}");
    struct pump_program p;
    char small[8] = "xxxxxxx";
    assert_false(oi_program_from_json(j, &p, small, sizeof small));
    assert_string_equal(small, "unknown");
    assert_false(oi_program_from_json(j, &p, NULL, 0));
    char one[1] = {'x'};
    assert_false(oi_program_from_json(j, &p, one, 0));
    assert_int_equal(one[0], 'x');
    char err[64];
    assert_false(oi_program_from_json(j, NULL, err, sizeof err));
    assert_true(strlen(err) > 0);
    assert_false(oi_program_from_json(NULL, &p, err, sizeof err));
    assert_string_equal(err, "a program must be a JSON object, not nothing");
    json_decref(j);

    /* A huge unknown key is quoted shortened, not allowed to crowd the buffer. */
    char text[2100];
    char key[2001];
    memset(key, 'k', 2000);
    key[2000] = '\0';
    (void)snprintf(text, sizeof text, "{\"%s\":1}", key);
    j = parse_text(text);
    char msg[256];
    assert_false(oi_program_from_json(j, &p, msg, sizeof msg));
    assert_int_equal(strlen(msg), strlen("unknown key \"...\"") + 64);
    json_decref(j);

    /* Cut on a character boundary (63 ASCII bytes, then a 2-byte character), control
     * characters shown as '?': err stays valid UTF-8 on one line. */
    char mb[160];
    (void)snprintf(mb, sizeof mb, "{\"%.63s\u00e9\u00e9\":1}", key);
    j = parse_text(mb);
    assert_false(oi_program_from_json(j, &p, msg, sizeof msg));
    char want[128];
    (void)snprintf(want, sizeof want, "unknown key \"%.63s...\"", key);
    assert_string_equal(msg, want);
    json_decref(j);
    expect_refused("{\"a\\nb\":1}", "unknown key \"a?b\"");
    expect_refused("{\"care_area\":\"A\",\"mode\":\"bas\\tic\"}",
                   "unknown mode \"bas?ic\" (expected continuous, bolus, loading, intermittent, "
                   "pca, fluid or basic)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sample_program_parses),
        cmocka_unit_test(test_sample_program_values),
        cmocka_unit_test(test_sample_programs_judged),
        cmocka_unit_test(test_unknown_keys_refused),
        cmocka_unit_test(test_wrong_types_refused),
        cmocka_unit_test(test_mode_and_required_keys),
        cmocka_unit_test(test_zero_negative_and_bad_numbers_are_data),
        cmocka_unit_test(test_units_are_data),
        cmocka_unit_test(test_strings_borrowed),
        cmocka_unit_test(test_error_buffer_edges),
    };
    return cmocka_run_group_tests(tests, load_samples, free_samples);
}
