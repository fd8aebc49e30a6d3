/*
 * pump_num_text.c - decimal text to and from exact rationals (contract: see pump_num.h).
 * Integer arithmetic only: the core does no floating-point formatting.
 */
#include "pump/pump_num.h"


#include "pump_internal.h"

/* Exponents beyond this are out of range whatever the mantissa; bounding the exponent's digits
 * keeps its accumulation free of overflow. */
#define EXP_LIMIT 400
#define POW10_MAX 18

static const int64_t pow10_tab[POW10_MAX + 1] = {
    1LL,
    10LL,
    100LL,
    1000LL,
    10000LL,
    100000LL,
    1000000LL,
    10000000LL,
    100000000LL,
    1000000000LL,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
};

static int is_digit(char c)
{
    return (c >= '0') && (c <= '9');
}

/* The significant digits of the mantissa: m * 10^exp10. */
struct mantissa {
    uint64_t m;
    int n_sig;          /* significant digits taken into m */
    uint32_t n_pending; /* zeros seen after the last non-zero digit, not yet in m */
    int exp10;
    int too_many;
};

static void take_digit(struct mantissa *mt, char c, int is_fraction)
{
    uint32_t d = (uint32_t)(c - '0');
    if (d == 0U) {
        if (mt->n_sig > 0) {
            mt->n_pending++;
        }
        if (is_fraction != 0) {
            mt->exp10--;
        }
        return;
    }
    /* A non-zero digit: the pending zeros become significant first. */
    while (mt->n_pending > 0U) {
        if (mt->n_sig >= PUMP_Q_MAX_DIGITS) {
            mt->too_many = 1;
            return;
        }
        mt->m *= 10U;
        mt->n_sig++;
        mt->n_pending--;
    }
    if (mt->n_sig >= PUMP_Q_MAX_DIGITS) {
        mt->too_many = 1;
        return;
    }
    mt->m = (mt->m * 10U) + d;
    mt->n_sig++;
    if (is_fraction != 0) {
        mt->exp10--;
    }
}

/* [e[-+]digits] starting at text[*i]; adds to *exp10. */
static pump_status parse_exponent(const char *text, size_t len, size_t *i, int *exp10)
{
    int sign = 1;
    int e = 0;
    size_t start;
    if ((*i >= len) || ((text[*i] != 'e') && (text[*i] != 'E'))) {
        return PUMP_OK;
    }
    (*i)++;
    if ((*i < len) && ((text[*i] == '-') || (text[*i] == '+'))) {
        sign = (text[*i] == '-') ? -1 : 1;
        (*i)++;
    }
    start = *i;
    while ((*i < len) && is_digit(text[*i])) {
        if (e < EXP_LIMIT) {
            e = (e * 10) + (text[*i] - '0');
        }
        (*i)++;
    }
    if (*i == start) {
        return PUMP_ERR_INVAL;
    }
    *exp10 += sign * ((e > EXP_LIMIT) ? EXP_LIMIT : e);
    return PUMP_OK;
}

static pump_status scan_digits(const char *text, size_t len, size_t *i, struct mantissa *mt,
                               int is_fraction, size_t *n_digits)
{
    *n_digits = 0;
    while ((*i < len) && is_digit(text[*i])) {
        take_digit(mt, text[*i], is_fraction);
        (*i)++;
        (*n_digits)++;
    }
    return (mt->too_many != 0) ? PUMP_ERR_RANGE : PUMP_OK;
}

/* m * 10^exp10 with sign, as a reduced fraction. */
static pump_status mantissa_to_q(struct mantissa *mt, int negative, struct pump_q *out)
{
    int64_t num;
    int exp10 = mt->exp10 + (int)mt->n_pending; /* trailing integer zeros */
    if (mt->m == 0U) {
        *out = pump_q_int(0);
        return PUMP_OK;
    }
    while ((exp10 < 0) && ((mt->m % 10U) == 0U)) {
        mt->m /= 10U;
        exp10++;
    }
    num = (int64_t)mt->m; /* < 10^18 < 2^63 */
    if (negative != 0) {
        num = -num;
    }
    if (exp10 >= 0) {
        if ((exp10 > POW10_MAX) || __builtin_mul_overflow(num, pow10_tab[exp10], &num)) {
            return PUMP_ERR_RANGE;
        }
        return pump_q_make(num, 1, out);
    }
    if (-exp10 > POW10_MAX) {
        return PUMP_ERR_RANGE;
    }
    return pump_q_make(num, pow10_tab[-exp10], out);
}

pump_status pump_q_parse(const char *text, size_t len, struct pump_q *out)
{
    struct mantissa mt = {0U, 0, 0U, 0, 0};
    size_t i = 0;
    size_t n_int = 0;
    size_t n_frac = 0;
    int negative = 0;
    pump_status st;
    if ((text == NULL) || (out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    if ((i < len) && ((text[i] == '-') || (text[i] == '+'))) {
        negative = (text[i] == '-') ? 1 : 0;
        i++;
    }
    st = scan_digits(text, len, &i, &mt, 0, &n_int);
    if ((st == PUMP_OK) && (n_int == 0U)) {
        st = PUMP_ERR_INVAL; /* JSON grammar: ".5" needs its leading zero */
    }
    if ((st == PUMP_OK) && (i < len) && (text[i] == '.')) {
        i++;
        st = scan_digits(text, len, &i, &mt, 1, &n_frac);
        if ((st == PUMP_OK) && (n_frac == 0U)) {
            st = PUMP_ERR_INVAL; /* "1." is not a number */
        }
    }
    if (st == PUMP_OK) {
        st = parse_exponent(text, len, &i, &mt.exp10);
    }
    if ((st == PUMP_OK) && (i != len)) {
        st = PUMP_ERR_INVAL; /* trailing characters */
    }
    if (st != PUMP_OK) {
        return st;
    }
    return mantissa_to_q(&mt, negative, out);
}

/* Add one unit in the last place to the digit string s[0..n) (with carry); returns the carry out
 * of the first digit. */
static int increment_digits(char *s, size_t n)
{
    size_t i = n;
    while (i > 0U) {
        i--;
        if (s[i] == '9') {
            s[i] = '0';
        } else {
            s[i] = (char)(s[i] + 1);
            return 0;
        }
    }
    return 1;
}

/* Decimal digits of v into buf (most significant first), returns how many. buf holds 20. */
static size_t u64_digits(uint64_t v, char *buf)
{
    char tmp[20];
    size_t n = 0;
    size_t k;
    do {
        tmp[n] = (char)('0' + (char)(v % 10U));
        n++;
        v /= 10U;
    } while ((v != 0U) && (n < sizeof tmp));
    for (k = 0; k < n; k++) {
        buf[k] = tmp[n - 1U - k];
    }
    return n;
}

/* Fraction digits of rem/den by long division. rem < den < 2^63, so rem * 10 needs 67 bits: it is
 * kept as two 64-bit limbs and reduced by subtraction. (A plain 128-bit loop here is turned into
 * a 128-bit division by clang, which imports __udivti3 and breaks the freestanding link gate.)
 * Returns whether the rest rounds the last digit up (half up). */
static int fraction_digits(uint64_t rem, uint64_t den, unsigned decimals, char *frac)
{
    uint64_t r = rem;
    unsigned k;
    for (k = 0; k < decimals; k++) {
        uint64_t lo8 = r << 3U;
        uint64_t lo = lo8 + (r << 1U);
        uint64_t hi = (r >> 61U) + ((lo < lo8) ? 1U : 0U);
        char d = '0';
        while ((hi != 0U) || (lo >= den)) { /* at most 9 rounds: rem * 10 < 10 * den */
            if (lo < den) {
                hi--;
            }
            lo -= den; /* unsigned: wraps exactly as the borrow above accounts for */
            d++;
        }
        frac[k] = d;
        r = lo;
    }
    return (r >= (den - r)) ? 1 : 0; /* 2r >= den without overflow */
}

pump_status pump_q_format(struct pump_q a, unsigned decimals, char *buf, size_t cap)
{
    char digits[64];
    size_t n_int;
    size_t n_all;
    size_t n_frac = decimals;
    size_t pos = 0;
    size_t k;
    int negative = (a.num < 0) ? 1 : 0;
    uint64_t mag = (a.num < 0) ? (uint64_t)(-a.num) : (uint64_t)a.num;
    uint64_t den = (a.den > 0) ? (uint64_t)a.den : 1U;
    int all_zero = 1;
    if ((buf == NULL) || (cap == 0U) || (decimals > PUMP_Q_MAX_DECIMALS)) {
        return PUMP_ERR_INVAL;
    }
    buf[0] = '\0';
    /* A leading '0' absorbs a carry out of the integer part (9.999 -> 10.00). */
    digits[0] = '0';
    n_int = 1U + u64_digits(mag / den, &digits[1]);
    if (fraction_digits(mag % den, den, decimals, &digits[n_int]) != 0) {
        (void)increment_digits(digits, n_int + n_frac);
    }
    n_all = n_int + n_frac;
    while ((n_frac > 0U) && (digits[n_int + n_frac - 1U] == '0')) {
        n_frac--;
    }
    for (k = 0; k < n_all; k++) {
        all_zero = (digits[k] != '0') ? 0 : all_zero;
    }
    k = (digits[0] == '0') ? 1U : 0U; /* skip the carry slot unless it was used */
    if ((n_int - k + n_frac + 3U) > cap) {
        return PUMP_ERR_FULL;
    }
    if ((negative != 0) && (all_zero == 0)) {
        buf[pos++] = '-';
    }
    for (; k < n_int; k++) {
        buf[pos++] = digits[k];
    }
    if (n_frac > 0U) {
        buf[pos++] = '.';
        for (k = 0; k < n_frac; k++) {
            buf[pos++] = digits[n_int + k];
        }
    }
    buf[pos] = '\0';
    return PUMP_OK;
}

int pump_q_is_exact_at(struct pump_q a, unsigned decimals)
{
    struct pump_q r;
    uint64_t d;
    /* Arithmetic results need not be reduced (30/10 is 3): judge the reduced denominator. */
    if (pump_q_make(a.num, a.den, &r) != PUMP_OK) {
        return 0;
    }
    d = (uint64_t)r.den;
    unsigned twos = 0;
    unsigned fives = 0;
    while (((d % 2U) == 0U) && (twos <= decimals)) {
        d /= 2U;
        twos++;
    }
    while (((d % 5U) == 0U) && (fives <= decimals)) {
        d /= 5U;
        fives++;
    }
    return ((d == 1U) && (twos <= decimals) && (fives <= decimals)) ? 1 : 0;
}
