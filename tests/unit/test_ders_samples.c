/*
 * test_ders_samples.c - the 53 sample programs of the shared data set, judged against the sample
 * library, give the expected outcome, deciding limit and (when given) rate.
 *
 * Every line is checked before the test fails, so one run lists every mismatch. Rates are
 * compared exactly with rationals: |rate - expected| <= 1/200 (the expected rate is rounded to
 * 2 decimals, half up).
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
#include "pump/pump_ders.h"

#define SAMPLE_LIBRARY    OI_SHARED_DIR "/data/druglib/sample-library.json"
#define SAMPLE_PROGRAMS   OI_SHARED_DIR "/data/druglib/sample-programs.jsonl"
#define N_SAMPLE_PROGRAMS 53

static struct oi_druglib sample_lib;

static int load_library(void **state)
{
    (void)state;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(SAMPLE_LIBRARY, &sample_lib, &diag);
    for (size_t i = 0; i < diag.n; i++) {
        print_error("%s: %s: %s\n", SAMPLE_LIBRARY, diag.items[i].path, diag.items[i].message);
    }
    oi_diag_free(&diag);
    return st == OI_LOAD_OK ? 0 : -1;
}

static int free_library(void **state)
{
    (void)state;
    oi_druglib_free(&sample_lib);
    return 0;
}

/* The text of a limit as the sample file names it: NULL for PUMP_LIM_NONE (JSON null). */
static const char *limit_text(uint8_t limit)
{
    if (limit == (uint8_t)PUMP_LIM_NONE) {
        return NULL;
    }
    return pump_limit_str((pump_limit)limit);
}

static bool same_text(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strcmp(a, b) == 0;
}

/* The rate check of one line: true when fine. got/want are written for the report. */
static bool rate_matches(const struct pump_ders_result *res, const json_t *want_rate, char *got,
                         size_t got_cap, char *want, size_t want_cap)
{
    struct pump_q expected = pump_q_int(0);
    struct pump_q diff = pump_q_int(0);
    struct pump_q tolerance = pump_q_int(0);
    snprintf(want, want_cap, "?");
    snprintf(got, got_cap, "none");
    if (!oi_json_number_to_q(want_rate, &expected)) {
        return false;
    }
    (void)pump_q_format(expected, 6, want, want_cap);
    if (!res->has_rate) {
        return false;
    }
    (void)pump_q_format(res->rate_ml_h, 6, got, got_cap);
    if (pump_q_make(1, 200, &tolerance) != PUMP_OK ||
        pump_q_sub(res->rate_ml_h, expected, &diff) != PUMP_OK) {
        return false;
    }
    if (pump_q_sign(diff) < 0 && pump_q_sub(pump_q_int(0), diff, &diff) != PUMP_OK) {
        return false;
    }
    return pump_q_cmp(diff, tolerance) <= 0;
}

/* Judge one line. Returns the number of failures found on it (0 or 1), printing them. */
static int check_line(const json_t *line, int *n_out)
{
    const json_t *n_json = json_object_get(line, "n");
    const json_t *program = json_object_get(line, "program");
    const json_t *expect = json_object_get(line, "expect");
    int n = json_is_integer(n_json) ? (int)json_integer_value(n_json) : -1;
    *n_out = n;
    if (program == NULL || !json_is_object(expect)) {
        print_error("line n=%d: no program or expect object\n", n);
        return 1;
    }
    struct pump_program prog;
    char err[256];
    if (!oi_program_from_json(program, &prog, err, sizeof err)) {
        print_error("line n=%d: program refused by the adapter: %s\n", n, err);
        return 1;
    }
    struct pump_ders_result res;
    if (pump_ders_check(&sample_lib.lib, &prog, &res) != PUMP_OK) {
        print_error("line n=%d: pump_ders_check did not return PUMP_OK\n", n);
        return 1;
    }
    int failures = 0;

    const char *want_outcome = json_string_value(json_object_get(expect, "outcome"));
    const char *got_outcome = pump_outcome_str((pump_outcome)res.outcome);
    if (!same_text(want_outcome, got_outcome) || want_outcome == NULL) {
        print_error("line n=%d: outcome %s, expected %s\n", n, got_outcome,
                    want_outcome == NULL ? "(missing)" : want_outcome);
        failures = 1;
    }

    const json_t *want_limit_json = json_object_get(expect, "limit");
    const char *want_limit =
        json_is_null(want_limit_json) ? NULL : json_string_value(want_limit_json);
    const char *got_limit = limit_text(res.limit);
    if (want_limit_json == NULL || (!json_is_null(want_limit_json) && want_limit == NULL) ||
        !same_text(want_limit, got_limit)) {
        print_error("line n=%d: limit %s, expected %s\n", n, got_limit == NULL ? "null" : got_limit,
                    want_limit == NULL ? "null" : want_limit);
        failures = 1;
    }

    const json_t *want_rate = json_object_get(expect, "rate_ml_h");
    if (want_rate == NULL) {
        print_error("line n=%d: expect.rate_ml_h missing\n", n);
        failures = 1;
    } else if (!json_is_null(want_rate)) {
        char got[PUMP_Q_TEXT_MAX];
        char want[PUMP_Q_TEXT_MAX];
        if (!rate_matches(&res, want_rate, got, sizeof got, want, sizeof want)) {
            print_error("line n=%d: rate_ml_h %s, expected %s (+-0.005)\n", n, got, want);
            failures = 1;
        }
    } else {
        /* null: not checked */
    }
    return failures;
}

static void test_sample_programs(void **state)
{
    (void)state;
    FILE *f = fopen(SAMPLE_PROGRAMS, "r");
    assert_non_null(f);
    char line[8192];
    int checked = 0;
    int failures = 0;
    int expected_n = 1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '\n' || line[0] == '\0') {
            continue;
        }
        json_error_t jerr;
        json_t *obj = json_loads(line, 0, &jerr);
        if (obj == NULL) {
            print_error("line %d: not JSON: %s\n", checked + 1, jerr.text);
            failures++;
            continue;
        }
        int n = 0;
        failures += check_line(obj, &n);
        if (n != expected_n) {
            print_error("line %d has n=%d, expected n=%d\n", checked + 1, n, expected_n);
            failures++;
        }
        expected_n++;
        checked++;
        json_decref(obj);
    }
    (void)fclose(f);
    print_message("%d sample programs checked, %d failing\n", checked, failures);
    assert_int_equal(failures, 0);
    assert_true(checked >= N_SAMPLE_PROGRAMS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_programs),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
