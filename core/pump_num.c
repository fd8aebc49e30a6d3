/*
 * pump_num.c - exact rationals (contract: see pump_num.h).
 *
 * Results are exact but reduced only when that is needed to fit: a plain product that fits is
 * kept as it is (two gcds per multiplication made a DERS check several times slower). When it
 * does not fit, each operand is reduced and then the factors across (Knuth 4.5.1), so an overflow
 * is reported only when the reduced result itself does not fit, whatever the operands' history. Compare with pump_q_cmp, never field by
 * field.
 */
#include "pump/pump_num.h"


#include "pump_internal.h"

/* Binary GCD (Stein): shifts and subtractions only. Hardware division is the slowest integer
 * instruction and Euclid needs several per gcd; this is what keeps a DERS check fast. Bounded:
 * each round clears at least one bit of b, so at most 64 rounds. */
static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
    unsigned shift;
    if ((a == 0U) || (b == 0U)) {
        return a | b;
    }
    shift = (unsigned)__builtin_ctzll(a | b);
    a >>= (unsigned)__builtin_ctzll(a);
    while (b != 0U) {
        b >>= (unsigned)__builtin_ctzll(b);
        if (a > b) {
            uint64_t t = a;
            a = b;
            b = t;
        }
        b -= a;
    }
    return a << shift;
}

static uint64_t abs_u64(int64_t v)
{
    /* Callers never pass INT64_MIN (excluded by the representation). */
    return (v < 0) ? (uint64_t)(-v) : (uint64_t)v;
}

struct pump_q pump_q_int(int64_t n)
{
    struct pump_q q;
    q.num = (n == INT64_MIN) ? (INT64_MIN + 1) : n; /* DEFENSIVE: keep |num| < 2^63 */
    q.den = 1;
    return q;
}

pump_status pump_q_make(int64_t num, int64_t den, struct pump_q *out)
{
    uint64_t g;
    if (out == NULL) {
        return PUMP_ERR_INVAL;
    }
    if (den == 0) {
        return PUMP_ERR_DIV_ZERO;
    }
    if ((num == INT64_MIN) || (den == INT64_MIN)) {
        return PUMP_ERR_RANGE;
    }
    if (den < 0) {
        num = -num;
        den = -den;
    }
    if (num == 0) {
        out->num = 0;
        out->den = 1;
        return PUMP_OK;
    }
    g = gcd_u64(abs_u64(num), (uint64_t)den);
    out->num = num / (int64_t)g;
    out->den = den / (int64_t)g;
    return PUMP_OK;
}

pump_status pump_q_mul(struct pump_q a, struct pump_q b, struct pump_q *out)
{
    int64_t g1;
    int64_t g2;
    int64_t num;
    int64_t den;
    if (out == NULL) {
        return PUMP_ERR_INVAL;
    }
    /* Fast path (pump_internal.h): a zero factor, or plain products that fit, are exact as they
     * are; reducing costs two gcds and is only needed to make room. */
    if (pump__q_mul_plain(a, b, out) != 0) {
        return PUMP_OK;
    }
    /* Inputs may be unreduced results themselves: reduce each, then across, so an overflow is
     * reported only when the reduced product does not fit. */
    g1 = (int64_t)gcd_u64(abs_u64(a.num), (uint64_t)a.den);
    if (g1 != 1) {
        a.num /= g1;
        a.den /= g1;
    }
    g2 = (int64_t)gcd_u64(abs_u64(b.num), (uint64_t)b.den);
    if (g2 != 1) {
        b.num /= g2;
        b.den /= g2;
    }
    g1 = (int64_t)gcd_u64(abs_u64(a.num), (uint64_t)b.den);
    g2 = (int64_t)gcd_u64(abs_u64(b.num), (uint64_t)a.den);
    /* Most factors share nothing: skip the divisions by 1. */
    if (g1 != 1) {
        a.num /= g1;
        b.den /= g1;
    }
    if (g2 != 1) {
        b.num /= g2;
        a.den /= g2;
    }
    if (__builtin_mul_overflow(a.num, b.num, &num) || __builtin_mul_overflow(a.den, b.den, &den) ||
        (num == INT64_MIN) || (den == INT64_MIN)) {
        return PUMP_ERR_RANGE;
    }
    out->num = num;
    out->den = den;
    return PUMP_OK;
}

pump_status pump_q_div(struct pump_q a, struct pump_q b, struct pump_q *out)
{
    struct pump_q inv;
    if (out == NULL) {
        return PUMP_ERR_INVAL;
    }
    if (b.num == 0) {
        return PUMP_ERR_DIV_ZERO;
    }
    inv.num = (b.num < 0) ? -b.den : b.den;
    inv.den = (b.num < 0) ? -b.num : b.num;
    return pump_q_mul(a, inv, out);
}

pump_status pump_q_add(struct pump_q a, struct pump_q b, struct pump_q *out)
{
    int64_t g;
    int64_t t1;
    int64_t t2;
    int64_t sum;
    int64_t den;
    if (out == NULL) {
        return PUMP_ERR_INVAL;
    }
    if (!__builtin_mul_overflow(a.num, b.den, &t1) && !__builtin_mul_overflow(b.num, a.den, &t2) &&
        !__builtin_add_overflow(t1, t2, &sum) && !__builtin_mul_overflow(a.den, b.den, &den) &&
        (sum != INT64_MIN)) {
        out->num = sum; /* fits unreduced: exact (see pump_q_mul) */
        out->den = den;
        return PUMP_OK;
    }
    /* Reduce unreduced inputs first (see pump_q_mul), then add over the least common
     * denominator. */
    (void)pump_q_make(a.num, a.den, &a);
    (void)pump_q_make(b.num, b.den, &b);
    g = (int64_t)gcd_u64((uint64_t)a.den, (uint64_t)b.den);
    if (__builtin_mul_overflow(a.num, b.den / g, &t1) ||
        __builtin_mul_overflow(b.num, a.den / g, &t2) || __builtin_add_overflow(t1, t2, &sum) ||
        __builtin_mul_overflow(a.den, b.den / g, &den)) {
        return PUMP_ERR_RANGE;
    }
    return pump_q_make(sum, den, out);
}

pump_status pump_q_sub(struct pump_q a, struct pump_q b, struct pump_q *out)
{
    struct pump_q nb;
    nb.num = -b.num; /* |num| < 2^63 so negation cannot overflow */
    nb.den = b.den;
    return pump_q_add(a, nb, out);
}

int pump_q_cmp(struct pump_q a, struct pump_q b)
{
    return pump__q_cmp(a, b);
}

int pump_q_sign(struct pump_q a)
{
    return pump__q_sign(a);
}
