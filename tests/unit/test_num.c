/* test_num.c - exact rationals: parsing, arithmetic, comparison, formatting, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pump/pump_num.h"

static struct pump_q q(const char *text)
{
    struct pump_q v = {0, 1};
    assert_int_equal(pump_q_parse(text, strlen(text), &v), PUMP_OK);
    return v;
}

static void assert_q(struct pump_q v, int64_t num, int64_t den)
{
    assert_int_equal(v.num, num);
    assert_int_equal(v.den, den);
}

static void assert_fmt(struct pump_q v, unsigned decimals, const char *want)
{
    char buf[PUMP_Q_TEXT_MAX];
    assert_int_equal(pump_q_format(v, decimals, buf, sizeof buf), PUMP_OK);
    assert_string_equal(buf, want);
}

static void test_parse_decimals_are_exact(void **state)
{
    (void)state;
    assert_q(q("0.7"), 7, 10);
    assert_q(q("1.05"), 21, 20);
    assert_q(q("0.1"), 1, 10);
    assert_q(q("-2.50"), -5, 2);
    assert_q(q("250"), 250, 1);
    assert_q(q("0"), 0, 1);
    assert_q(q("-0.0"), 0, 1);
    assert_q(q("+3"), 3, 1);
    assert_q(q("7e-1"), 7, 10);
    assert_q(q("1.5E2"), 150, 1);
    assert_q(q("0.000000001"), 1, 1000000000);
    assert_q(q("1e18"), 1000000000000000000LL, 1);
    /* trailing zeros are not significant digits */
    assert_q(q("0.10000000000000000000000000"), 1, 10);
    assert_q(q("000000000000000000000012"), 12, 1);
}

static void test_parse_rejects_garbage(void **state)
{
    static const char *const bad[] = {"", "-", "+", ".", "1.", ".5", "1e", "1e+", "nan", "NaN",
                                      "inf", "Infinity", "1,5", " 1", "1 ", "0x10", "1..2",
                                      "--1", "1e5x", "e5"};
    struct pump_q v = {42, 1};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(pump_q_parse(bad[i], strlen(bad[i]), &v), PUMP_ERR_INVAL);
    }
    assert_q(v, 42, 1); /* untouched on error */
    assert_int_equal(pump_q_parse(NULL, 0, &v), PUMP_ERR_INVAL);
}

static void test_parse_range_is_reported_not_wrapped(void **state)
{
    struct pump_q v;
    (void)state;
    assert_int_equal(pump_q_parse("1e19", 4, &v), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_parse("1e-19", 5, &v), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_parse("1e999999999999", 14, &v), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_parse("1234567890123456789", 19, &v), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_parse("0.1234567890123456789", 21, &v), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_parse("123456789012345678", 18, &v), PUMP_OK);
}

static void test_arithmetic_exact(void **state)
{
    struct pump_q r;
    (void)state;
    /* 0.7 x 1.5 is 1.05 exactly (ders-rules.md, "Numbers") */
    assert_int_equal(pump_q_mul(q("0.7"), q("1.5"), &r), PUMP_OK);
    assert_int_equal(pump_q_cmp(r, q("1.05")), 0);
    assert_int_equal(pump_q_add(q("0.1"), q("0.2"), &r), PUMP_OK);
    assert_int_equal(pump_q_cmp(r, q("0.3")), 0);
    /* arithmetic results are exact but need not be reduced: compare values */
    assert_int_equal(pump_q_sub(q("0.3"), q("0.1"), &r), PUMP_OK);
    assert_int_equal(pump_q_cmp(r, q("0.2")), 0);
    assert_int_equal(pump_q_div(q("4.5"), q("360"), &r), PUMP_OK);
    assert_int_equal(pump_q_cmp(r, q("0.0125")), 0);
    assert_true(r.den > 0);
    assert_int_equal(pump_q_div(q("1"), q("-3"), &r), PUMP_OK);
    assert_true(r.den > 0);
    assert_int_equal(pump_q_cmp(pump_q_int(-1), (struct pump_q){r.num * 3, r.den}), 0);
    assert_int_equal(pump_q_div(q("1"), q("0"), &r), PUMP_ERR_DIV_ZERO);
    assert_int_equal(pump_q_make(6, -4, &r), PUMP_OK);
    assert_q(r, -3, 2);
    assert_int_equal(pump_q_make(1, 0, &r), PUMP_ERR_DIV_ZERO);
    assert_int_equal(pump_q_make(INT64_MIN, 1, &r), PUMP_ERR_RANGE);
}

static void test_overflow_detected(void **state)
{
    struct pump_q r = {5, 1};
    struct pump_q big = pump_q_int(INT64_MAX);
    (void)state;
    assert_int_equal(pump_q_mul(big, pump_q_int(2), &r), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_add(big, pump_q_int(1), &r), PUMP_ERR_RANGE);
    assert_int_equal(pump_q_sub(pump_q_int(-INT64_MAX), pump_q_int(2), &r), PUMP_ERR_RANGE);
    assert_q(r, 5, 1); /* untouched */
    /* cross-reduction keeps products that fit: (2^62/3) * (3/2^61) = 2 */
    assert_int_equal(pump_q_make(INT64_C(4611686018427387904), 3, &big), PUMP_OK);
    assert_int_equal(pump_q_mul(big, (struct pump_q){3, INT64_C(2305843009213693952)}, &r),
                     PUMP_OK);
    assert_q(r, 2, 1);
    /* and sums that only fit once reduced: (2^62-1)/2^61 + 1/2^61 = 2 */
    assert_int_equal(pump_q_add((struct pump_q){INT64_C(4611686018427387903),
                                                INT64_C(2305843009213693952)},
                                (struct pump_q){1, INT64_C(2305843009213693952)}, &r),
                     PUMP_OK);
    assert_int_equal(pump_q_cmp(r, pump_q_int(2)), 0);
}

/* Arithmetic results are left unreduced; an overflow must still be reported only when the
 * reduced result does not fit, whatever the operands' history. 3/5 written as (3p)/(5p), with
 * p = 2^31 - 1 (prime), times 2^40/7: the unreduced product overflows, the true one fits. */
static void test_unreduced_operands_do_not_overflow(void **state)
{
    (void)state;
    const int64_t p = 2147483647;
    struct pump_q a = {3 * p, 5 * p};
    struct pump_q b = {(int64_t)1 << 40, 7};
    struct pump_q want;
    struct pump_q got;
    assert_int_equal(pump_q_make(3 * ((int64_t)1 << 40), 35, &want), PUMP_OK);
    assert_int_equal(pump_q_mul(a, b, &got), PUMP_OK);
    assert_int_equal(pump_q_cmp(got, want), 0);
    assert_int_equal(pump_q_mul(b, a, &got), PUMP_OK);
    assert_int_equal(pump_q_cmp(got, want), 0);
    /* and division goes through the same path */
    struct pump_q inv_b = {7, (int64_t)1 << 40};
    assert_int_equal(pump_q_div(a, inv_b, &got), PUMP_OK);
    assert_int_equal(pump_q_cmp(got, want), 0);
    /* addition: (3p)/(5p) + 2^58/(7p): the cross products of the unreduced forms overflow, the
     * sum over 35p fits */
    struct pump_q c = {((int64_t)1 << 58), 7 * p};
    struct pump_q sum;
    assert_int_equal(pump_q_add(a, c, &sum), PUMP_OK);
    struct pump_q c_red;
    assert_int_equal(pump_q_make(c.num, c.den, &c_red), PUMP_OK);
    struct pump_q diff;
    assert_int_equal(pump_q_sub(sum, c_red, &diff), PUMP_OK);
    assert_int_equal(pump_q_cmp(diff, (struct pump_q){3, 5}), 0);
}

static void test_compare_is_exact_at_extremes(void **state)
{
    struct pump_q a = {INT64_MAX, INT64_MAX - 1};
    struct pump_q b = {INT64_MAX - 1, INT64_MAX - 2};
    (void)state;
    /* (n)/(n-1) > (n-1)/(n-2) is false: x/(x-1) decreases. Needs 128-bit products. */
    assert_int_equal(pump_q_cmp(a, b), -1);
    assert_int_equal(pump_q_cmp(b, a), 1);
    assert_int_equal(pump_q_cmp(a, a), 0);
    assert_int_equal(pump_q_sign(q("-0.001")), -1);
    assert_int_equal(pump_q_sign(q("0")), 0);
}

static void test_format_half_up(void **state)
{
    struct pump_q v;
    (void)state;
    assert_fmt(q("15"), 2, "15");
    assert_fmt(q("4.2"), 2, "4.2");
    assert_fmt(q("0.094"), 2, "0.09");
    assert_fmt(q("2.675"), 2, "2.68"); /* binary doubles print 2.67 here */
    assert_fmt(q("0.005"), 2, "0.01");
    assert_fmt(q("0.00499"), 2, "0");
    assert_fmt(q("9.995"), 2, "10");
    assert_fmt(q("999.999"), 2, "1000");
    assert_fmt(q("-1.005"), 2, "-1.01");
    assert_fmt(q("-0.001"), 2, "0");
    assert_int_equal(pump_q_make(50, 3, &v), PUMP_OK);
    assert_fmt(v, 2, "16.67");
    assert_fmt(v, 0, "17");
    assert_int_equal(pump_q_make(1, 3, &v), PUMP_OK);
    assert_fmt(v, 12, "0.333333333333");
    assert_fmt(pump_q_int(INT64_MAX), 18, "9223372036854775807");
    assert_int_equal(pump_q_make(1, INT64_MAX, &v), PUMP_OK);
    assert_fmt(v, 18, "0");
    assert_int_equal(pump_q_make(INT64_C(1000000000000000001), INT64_C(1000000000000000000), &v),
                     PUMP_OK);
    assert_fmt(v, 18, "1.000000000000000001");
    assert_fmt(v, 17, "1");
}

static void test_format_errors(void **state)
{
    char small[4];
    char buf[PUMP_Q_TEXT_MAX];
    (void)state;
    assert_int_equal(pump_q_format(q("12345"), 2, small, sizeof small), PUMP_ERR_FULL);
    assert_string_equal(small, "");
    assert_int_equal(pump_q_format(q("1"), PUMP_Q_MAX_DECIMALS + 1U, buf, sizeof buf),
                     PUMP_ERR_INVAL);
    assert_int_equal(pump_q_format(q("1"), 2, NULL, 8), PUMP_ERR_INVAL);
}

static void test_exactness_predicate(void **state)
{
    struct pump_q v;
    (void)state;
    assert_true(pump_q_is_exact_at(q("0.125"), 3));
    assert_false(pump_q_is_exact_at(q("0.125"), 2));
    assert_int_equal(pump_q_make(1, 3, &v), PUMP_OK);
    assert_false(pump_q_is_exact_at(v, 18));
    assert_true(pump_q_is_exact_at(q("7"), 0));
}

/* Every decimal with up to 6 significant digits formats back to itself. */
static void test_parse_format_round_trip(void **state)
{
    uint64_t x = 88172645463325252ULL;
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        char text[32];
        char back[PUMP_Q_TEXT_MAX];
        uint32_t mant;
        unsigned scale;
        int len;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        mant = (uint32_t)(x % 999999U) + 1U;
        scale = (unsigned)((x >> 32) % 7U);
        len = 0;
        {
            /* mant / 10^scale as canonical decimal text */
            char digits[16];
            int n = 0;
            uint32_t m = mant;
            while (m % 10U == 0U && scale > 0U) {
                m /= 10U;
                scale--;
            }
            do {
                digits[n++] = (char)('0' + (m % 10U));
                m /= 10U;
            } while (m != 0U);
            while ((unsigned)n <= scale) {
                digits[n++] = '0';
            }
            while (n > 0) {
                text[len++] = digits[--n];
                if ((unsigned)n == scale && n > 0) {
                    text[len++] = '.';
                }
            }
            text[len] = '\0';
        }
        assert_int_equal(pump_q_format(q(text), 6, back, sizeof back), PUMP_OK);
        assert_string_equal(back, text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_decimals_are_exact),
        cmocka_unit_test(test_parse_rejects_garbage),
        cmocka_unit_test(test_parse_range_is_reported_not_wrapped),
        cmocka_unit_test(test_arithmetic_exact),
        cmocka_unit_test(test_overflow_detected),
        cmocka_unit_test(test_unreduced_operands_do_not_overflow),
        cmocka_unit_test(test_compare_is_exact_at_extremes),
        cmocka_unit_test(test_format_half_up),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_exactness_predicate),
        cmocka_unit_test(test_parse_format_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
