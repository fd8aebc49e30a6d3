/*
 * pump_internal.h - private declarations of the safety core. Include it last in every core file:
 * it ends with the poison pragma, so heap, stdio and process-ending calls cannot appear below.
 */
#ifndef PUMP_INTERNAL_H
#define PUMP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pump/pump_num.h"

/* The compiler's 128-bit integer: only for exact cross products (multiplication and comparison
 * inline; never division, which would import a libgcc helper and fail the link gate). */
__extension__ typedef __int128 pump__i128;

/* Hot-path pieces of pump_num.c, inline so a DERS check does not pay a call for each bound
 * comparison and each product that fits. pump_q_cmp and pump_q_mul are built from these very
 * functions, so there is one implementation of each. */

/* -1, 0, 1 as a <, ==, > b: 128-bit cross products (|num|, den < 2^63: each fits in 127 bits). */
static inline int pump__q_cmp(struct pump_q a, struct pump_q b)
{
    pump__i128 l = (pump__i128)a.num * (pump__i128)b.den;
    pump__i128 r = (pump__i128)b.num * (pump__i128)a.den;
    if (l < r) {
        return -1;
    }
    return (l > r) ? 1 : 0;
}

/* -1, 0, 1 as the sign of a. */
static inline int pump__q_sign(struct pump_q a)
{
    if (a.num < 0) {
        return -1;
    }
    return (a.num > 0) ? 1 : 0;
}

/* a*b when it needs no reduction: a zero factor (0/1), or plain products that fit. Returns 1
 * with *out written, or 0 (out untouched) when pump_q_mul must reduce first. */
static inline int pump__q_mul_plain(struct pump_q a, struct pump_q b, struct pump_q *out)
{
    int64_t num;
    int64_t den;
    if ((a.num == 0) || (b.num == 0)) {
        out->num = 0;
        out->den = 1;
        return 1;
    }
    if (!__builtin_mul_overflow(a.num, b.num, &num) && !__builtin_mul_overflow(a.den, b.den, &den) &&
        (num != INT64_MIN)) {
        out->num = num;
        out->den = den;
        return 1;
    }
    return 0;
}

/* Length of a NUL-free byte run compared for equality (ids). */
int pump__bytes_equal(const char *a, size_t alen, const char *b, size_t blen);

#pragma GCC poison malloc calloc realloc free printf fprintf sprintf snprintf puts fopen abort exit
#pragma GCC poison rand strtod atof

#endif
