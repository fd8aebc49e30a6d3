/*
 * test_number_json.c - JSON numbers to exact rationals: shortest round-trip decimal text of a
 * double, and the promise of oi_json.h that decimal text of up to 15 significant digits comes
 * back exactly (0.7 is 7/10, never 0.6999999999999999556).
 */
#define _POSIX_C_SOURCE 200809L

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oi_json.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15U;

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t next_random(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717U;
}

static void assert_decimal(double d, const char *want)
{
    char buf[32];
    assert_true(oi_double_to_decimal(d, buf, sizeof buf));
    assert_string_equal(buf, want);
}

static void assert_real_q(double d, int64_t num, int64_t den)
{
    json_t *j = json_real(d);
    assert_non_null(j);
    struct pump_q q = {0, 1};
    assert_true(oi_json_number_to_q(j, &q));
    assert_int_equal(q.num, num);
    assert_int_equal(q.den, den);
    json_decref(j);
}

static bool real_fits(double d)
{
    json_t *j = json_real(d);
    assert_non_null(j);
    struct pump_q q = {0, 1};
    bool ok = oi_json_number_to_q(j, &q);
    json_decref(j);
    return ok;
}

static bool same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void test_shortest_text(void **state)
{
    (void)state;
    assert_decimal(0.7, "0.7");
    assert_decimal(1.05, "1.05");
    assert_decimal(0.1, "0.1");
    assert_decimal(0.1 + 0.2, "0.30000000000000004");
    assert_decimal(0.7 * 1.5, "1.0499999999999998");
    assert_decimal(1e-7, "1e-07");
    assert_decimal(250.0, "250");
    assert_decimal(0.0, "0");
    assert_decimal(-0.0, "-0");
    assert_decimal(-2.5, "-2.5");
    assert_decimal(123456789012345.0, "123456789012345");
    assert_decimal(1e21, "1e+21");
    assert_decimal(1e16, "10000000000000000");
    assert_decimal(1e17, "1e+17");
    assert_decimal(-1234500.0, "-1234500");
    assert_decimal(120000.5, "120000.5");
    assert_decimal(DBL_MAX, "1.7976931348623157e+308");
    assert_decimal(5e-324, "5e-324");
}

static void test_shortest_text_refusals(void **state)
{
    (void)state;
    char buf[32] = "unchanged";
    assert_false(oi_double_to_decimal((double)NAN, buf, sizeof buf));
    assert_string_equal(buf, "");
    assert_false(oi_double_to_decimal((double)INFINITY, buf, sizeof buf));
    assert_false(oi_double_to_decimal(-(double)INFINITY, buf, sizeof buf));
    /* Too small a buffer: refused with "", never cut to a different number. */
    char small[4] = "xyz";
    assert_false(oi_double_to_decimal(0.125, small, sizeof small));
    assert_string_equal(small, "");
    assert_true(oi_double_to_decimal(0.5, small, sizeof small));
    assert_string_equal(small, "0.5");
    assert_false(oi_double_to_decimal(1.0, NULL, 32));
    assert_false(oi_double_to_decimal(1.0, buf, 0));
}

/* Significant digits of a decimal text: no leading zeros, no trailing zeros of an integer. */
static int significant_digits(const char *text)
{
    char digits[40];
    size_t n = 0;
    for (const char *c = text; *c != '\0' && *c != 'e' && n < sizeof digits; c++) {
        if ((*c >= '1' && *c <= '9') || (*c == '0' && n > 0)) {
            digits[n++] = *c;
        }
    }
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    return (int)n;
}

/* Every finite double: the text reads back as the identical double, and one digit fewer does
 * not (it is the shortest). */
static void test_random_doubles_round_trip(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < 60000; i++) {
        uint64_t bits = next_random();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (i % 3 == 1) {
            /* Integers up to 10^17, where the plain and exponent forms meet. */
            d = (double)(bits % 100000000000000000U);
        } else if (i % 3 == 2) {
            /* Clinical magnitudes: 0 .. 100000 with a random fraction. */
            d = (double)(bits % 10000000000U) / 100000.0;
        }
        if (!isfinite(d)) {
            continue;
        }
        char buf[32];
        assert_true(oi_double_to_decimal(d, buf, sizeof buf));
        assert_true(same_bits(strtod(buf, NULL), d));
        int digits = significant_digits(buf);
        if (digits > 1) {
            char shorter[400];
            (void)snprintf(shorter, sizeof shorter, "%.*g", digits - 1, d);
            assert_false(same_bits(strtod(shorter, NULL), d));
        }
        checked++;
    }
    assert_true(checked > 57000);
}

static void test_reals_to_exact(void **state)
{
    (void)state;
    assert_real_q(0.7, 7, 10);
    assert_real_q(1.05, 21, 20);
    assert_real_q(0.1, 1, 10);
    assert_real_q(0.3, 3, 10);
    assert_real_q(2.675, 107, 40);
    assert_real_q(1e-7, 1, 10000000);
    assert_real_q(-0.5, -1, 2);
    assert_real_q(999.0, 999, 1);
    assert_real_q(1e18, 1000000000000000000, 1);
    assert_real_q(1e-18, 1, 1000000000000000000);
    /* The floating-point sum is not 0.3, and its shortest text has 17 significant digits: more
     * than a double holds, so what was written is unknowable. Refused, never judged rounded. */
    assert_false(real_fits(0.1 + 0.2));
    assert_false(real_fits(0.1234567890123456789));
    assert_false(real_fits(12345678901234567.0));
    /* 15 digits is the most that always survives a double: kept exactly. */
    assert_real_q(0.123456789012341, 123456789012341, 1000000000000000);
    assert_real_q(1e16, 10000000000000000, 1);
    /* Beyond the exact range: refused, never rounded. */
    assert_false(real_fits(1e300));
    assert_false(real_fits(1e19));
    assert_false(real_fits(1e-19));
    assert_false(real_fits(-1e300));
    assert_false(real_fits(5e-324));
}

static void test_integers_to_exact(void **state)
{
    (void)state;
    const json_int_t values[] = {0, 1, -1, 250, 9007199254740993, INT64_MAX, -INT64_MAX};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        json_t *j = json_integer(values[i]);
        struct pump_q q = {0, 0};
        assert_true(oi_json_number_to_q(j, &q));
        assert_int_equal(q.num, values[i]);
        assert_int_equal(q.den, 1);
        json_decref(j);
    }
    /* INT64_MIN has no positive twin in the core's range. */
    json_t *j = json_integer(INT64_MIN);
    struct pump_q q = {0, 1};
    assert_false(oi_json_number_to_q(j, &q));
    json_decref(j);
}

static void test_not_numbers(void **state)
{
    (void)state;
    struct pump_q q = {42, 1};
    json_t *s = json_string("0.7");
    json_t *n = json_null();
    json_t *t = json_true();
    assert_false(oi_json_number_to_q(s, &q));
    assert_false(oi_json_number_to_q(n, &q));
    assert_false(oi_json_number_to_q(t, &q));
    assert_false(oi_json_number_to_q(NULL, &q));
    assert_int_equal(q.num, 42); /* untouched on failure */
    json_decref(s);
    json_t *one = json_integer(1);
    assert_false(oi_json_number_to_q(one, NULL));
    json_decref(one);
}

/* Parsed from text, as the adapter sees them: each equals the exact value of its text. */
static void test_parsed_text_is_exact(void **state)
{
    (void)state;
    const char *texts[] = {"0.7",     "1.05",   "0.1",    "123.456", "1e-7",    "2.5E+3",
                           "0.00001", "99.99",  "1.2e-5", "0.333",   "1000000", "7.000",
                           "-4.25",   "0.0001", "1E2",    "6.02e10", "0.1e1",   "3.14159265358979"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char doc[64];
        int n = snprintf(doc, sizeof doc, "[%s]", texts[i]);
        json_error_t err;
        json_t *arr = json_loadb(doc, (size_t)n, 0, &err);
        assert_non_null(arr);
        struct pump_q got = {0, 1};
        struct pump_q want = {0, 1};
        assert_true(oi_json_number_to_q(json_array_get(arr, 0), &got));
        assert_int_equal(pump_q_parse(texts[i], strlen(texts[i]), &want), PUMP_OK);
        assert_int_equal(pump_q_cmp(got, want), 0);
        json_decref(arr);
    }
}

/* oi_json.h's promise, at random: decimal text of at most 15 significant digits comes back as
 * exactly the rational the text denotes. */
static void test_random_decimal_texts_exact(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < 50000; i++) {
        int digits = 1 + (int)(next_random() % 15);
        int64_t mant = 0;
        for (int k = 0; k < digits; k++) {
            mant = mant * 10 + (int64_t)(next_random() % 10);
        }
        int exp10 = (int)(next_random() % 31) - 20;
        char text[48];
        (void)snprintf(text, sizeof text, "%s%llde%d", (next_random() & 1U) ? "-" : "",
                       (long long)mant, exp10);
        struct pump_q want;
        if (pump_q_parse(text, strlen(text), &want) != PUMP_OK) {
            continue; /* outside the core's range: nothing to compare */
        }
        json_t *j = json_real(strtod(text, NULL));
        struct pump_q got = {0, 1};
        assert_true(oi_json_number_to_q(j, &got));
        if (pump_q_cmp(got, want) != 0) {
            print_error("%s came back as %lld/%lld\n", text, (long long)got.num,
                        (long long)got.den);
        }
        assert_int_equal(pump_q_cmp(got, want), 0);
        json_decref(j);
        checked++;
    }
    assert_true(checked > 25000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shortest_text),
        cmocka_unit_test(test_shortest_text_refusals),
        cmocka_unit_test(test_random_doubles_round_trip),
        cmocka_unit_test(test_reals_to_exact),
        cmocka_unit_test(test_integers_to_exact),
        cmocka_unit_test(test_not_numbers),
        cmocka_unit_test(test_parsed_text_is_exact),
        cmocka_unit_test(test_random_decimal_texts_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
