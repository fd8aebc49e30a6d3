/*
 * pump_num.h - exact rational numbers for dose arithmetic.
 *
 * Why rationals: DERS must judge a value that lies exactly on a bound as inside it (ders-rules.md,
 * "Numbers"). Decimal inputs such as 0.7 or 1.05 have no exact binary floating-point form, and
 * products and quotients of them (rates, volumes, durations) need not terminate in decimal either
 * (4.5 g over 360 min). A reduced fraction of two 64-bit integers represents every such value
 * exactly, and comparisons cross-multiply into 128 bits, so no outcome can flip on rounding.
 *
 * Range: numerator |n| < 2^63, denominator 1 .. 2^63-1. pump_q_make and pump_q_parse return
 * reduced fractions; arithmetic returns exact fractions that are reduced only when needed to fit,
 * so compare values with pump_q_cmp, never field by field.
 * Every operation checks for overflow and returns PUMP_ERR_RANGE rather than wrapping; the DERS
 * turns that into REJECT_INVALID ("numbers too large to judge exactly"). Rounding happens only in
 * pump_q_format(), for display: half up (away from zero), at a caller-chosen number of decimals.
 * See docs/numbers.md.
 */
#ifndef PUMP_NUM_H
#define PUMP_NUM_H

#include <stddef.h>
#include <stdint.h>

#include "pump/pump_status.h"

struct pump_q {
    int64_t num; /* sign lives here; |num| < 2^63 */
    int64_t den; /* > 0 */
};

/* Most significant digits accepted by pump_q_parse (more is PUMP_ERR_RANGE, never truncated). */
#define PUMP_Q_MAX_DIGITS 18
/* Longest text pump_q_format writes, including the terminating NUL (sign, 19 integer digits,
 * point, up to PUMP_Q_MAX_DECIMALS decimals). */
#define PUMP_Q_MAX_DECIMALS 18
#define PUMP_Q_TEXT_MAX 48

/* n/1. */
struct pump_q pump_q_int(int64_t n);

/*
 * pump_q_make - the reduced fraction num/den.
 * Returns PUMP_OK, PUMP_ERR_DIV_ZERO (den == 0), PUMP_ERR_RANGE (INT64_MIN involved).
 */
pump_status pump_q_make(int64_t num, int64_t den, struct pump_q *out);

/*
 * pump_q_parse - decimal text to an exact rational.
 * Syntax (JSON's number grammar, plus an optional leading '+'): [-+]digits[.digits][e[-+]digits].
 * The whole of text[0..len) must be the number: no spaces, no trailing characters.
 * Returns PUMP_OK; PUMP_ERR_INVAL (syntax, including "nan", "inf", empty); PUMP_ERR_RANGE (more
 * than PUMP_Q_MAX_DIGITS significant digits, or a value that does not fit).
 * out is written only on PUMP_OK.
 */
pump_status pump_q_parse(const char *text, size_t len, struct pump_q *out);

/* a*b, a/b, a+b, a-b: exact. PUMP_ERR_RANGE when even the reduced result does not fit, PUMP_ERR_DIV_ZERO for b == 0.
 * out is written only on PUMP_OK and may alias an input. */
pump_status pump_q_mul(struct pump_q a, struct pump_q b, struct pump_q *out);
pump_status pump_q_div(struct pump_q a, struct pump_q b, struct pump_q *out);
pump_status pump_q_add(struct pump_q a, struct pump_q b, struct pump_q *out);
pump_status pump_q_sub(struct pump_q a, struct pump_q b, struct pump_q *out);

/* -1, 0, 1 as a <, ==, > b. Exact (128-bit cross products); cannot fail. */
int pump_q_cmp(struct pump_q a, struct pump_q b);
/* -1, 0, 1 as the sign of a. */
int pump_q_sign(struct pump_q a);

/*
 * pump_q_format - decimal text, rounded half up (away from zero) at `decimals` places
 * (0..PUMP_Q_MAX_DECIMALS). Trailing zeros after the point are removed, and the point with
 * them ("15", "4.2", "16.67", "0.333333333").
 * buf receives a NUL-terminated string; cap must be at least PUMP_Q_TEXT_MAX to be sure to fit.
 * Returns PUMP_OK, PUMP_ERR_INVAL (NULL buf, decimals out of range), PUMP_ERR_FULL (cap too
 * small; buf then holds "").
 */
pump_status pump_q_format(struct pump_q a, unsigned decimals, char *buf, size_t cap);

/* Whether a's decimal expansion terminates within `decimals` places (so pump_q_format at that
 * many places is exact). */
int pump_q_is_exact_at(struct pump_q a, unsigned decimals);

#endif
