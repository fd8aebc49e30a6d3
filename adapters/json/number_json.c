/*
 * number_json.c - JSON numbers to the core's exact rationals.
 *
 * Contract: see oi_json.h. jansson parses a real into a double, so the decimal text the author
 * wrote is gone; its shortest round-trip form gives it back for every text of at most 15
 * significant digits (DBL_DIG), and the core parses that text exactly.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oi_json.h"

/* 17 significant digits always round-trip a binary64 (DBL_DECIMAL_DIG). */
enum { SHORTEST_MAX_DIGITS = 17 };

/* Bitwise identity: -0.0 differs from 0.0, and -Wfloat-equal forbids ==. (NaN never gets
 * here: it is refused first.) */
static bool same_double(double a, double b)
{
    uint64_t x = 0;
    uint64_t y = 0;
    memcpy(&x, &a, sizeof x);
    memcpy(&y, &b, sizeof y);
    return x == y;
}

/* printf's %g follows LC_NUMERIC: a locale with a decimal comma would give text the core cannot
 * parse. Refusing it is safer than guessing what the locale wrote. */
static bool is_plain_number_text(const char *s)
{
    for (; *s != '\0'; s++) {
        if (strchr("0123456789+-.e", *s) == NULL) {
            return false;
        }
    }
    return true;
}

/* Largest decimal exponent written out as a plain integer: "250", not %g's "2.5e+02", while
 * staying within the core's PUMP_Q_MAX_DIGITS significant digits. */
enum { PLAIN_MAX_EXPONENT = 16 };

/*
 * %g switches to exponent form as soon as the exponent reaches the precision, so the shortest
 * text of 250 is "2.5e+02". Write such integers out: same value, the text people write.
 * text holds "[-]d[.ddd]e+XX"; out receives the plain form when XX <= PLAIN_MAX_EXPONENT.
 */
static void plain_integer(const char *text, char *out, size_t cap)
{
    const char *e = strchr(text, 'e');
    long exp10 = (e != NULL && e[1] == '+') ? strtol(e + 2, NULL, 10) : -1;
    size_t used = 0;
    size_t digits = 0;
    if (exp10 < 0 || exp10 > PLAIN_MAX_EXPONENT || cap < PLAIN_MAX_EXPONENT + 3U) {
        return;
    }
    for (const char *c = text; c < e; c++) {
        if (*c != '.') {
            out[used++] = *c;
            digits += (*c != '-');
        }
    }
    /* %g's mantissa has at most exp10 + 1 digits here: it chose exponent form because the
     * precision did not reach past the decimal point. */
    while (digits < (size_t)exp10 + 1U) {
        out[used++] = '0';
        digits++;
    }
    out[used] = '\0';
}

bool oi_double_to_decimal(double d, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0) {
        return false;
    }
    buf[0] = '\0';
    if (!isfinite(d)) {
        return false;
    }
    for (int p = 1; p <= SHORTEST_MAX_DIGITS; p++) {
        /* At most 24 characters ("-1.2345678901234567e-308"): a fixed buffer cannot truncate. */
        char text[32];
        int n = snprintf(text, sizeof text, "%.*g", p, d);
        if (n < 0 || (size_t)n >= sizeof text) {
            return false;
        }
        char *end = NULL;
        double back = strtod(text, &end);
        if (end == NULL || *end != '\0' || !same_double(back, d)) {
            continue;
        }
        char plain[32] = "";
        plain_integer(text, plain, sizeof plain);
        const char *best = (plain[0] != '\0') ? plain : text;
        size_t len = strlen(best);
        if (len >= cap || !is_plain_number_text(best)) {
            return false;
        }
        memcpy(buf, best, len + 1U);
        return true;
    }
    /* DEFENSIVE: 17 digits always round-trip; reaching here means a broken libc. */
    return false;
}

/* Significant digits of a decimal text's mantissa: from the first to the last non-zero digit
 * ("0.0120" has 2, "2500" has 2, "12345678901234568" has 17). */
static int significant_digits(const char *text)
{
    int n = 0;
    int upto_last_nonzero = 0;
    bool leading = true;
    for (const char *c = text; *c != '\0' && *c != 'e'; c++) {
        if (*c < '0' || *c > '9') {
            continue;
        }
        leading = leading && (*c == '0');
        if (!leading) {
            n++;
            upto_last_nonzero = (*c != '0') ? n : upto_last_nonzero;
        }
    }
    return upto_last_nonzero;
}

bool oi_json_number_to_q(const json_t *num, struct pump_q *out)
{
    if (num == NULL || out == NULL) {
        return false;
    }
    if (json_is_integer(num)) {
        json_int_t v = json_integer_value(num);
        /* The core's range is |n| < 2^63: INT64_MIN has no positive twin. */
        if (v < -(json_int_t)INT64_MAX || v > (json_int_t)INT64_MAX) {
            return false;
        }
        *out = pump_q_int((int64_t)v);
        return true;
    }
    if (json_is_real(num)) {
        char text[32];
        if (!oi_double_to_decimal(json_real_value(num), text, sizeof text)) {
            return false;
        }
        /* A shortest form of 16-17 digits means the author wrote more than a double holds
         * (DBL_DIG = 15): the value we would judge is not the one written. Refuse it rather
         * than judge a rounded number. */
        if (significant_digits(text) > 15) {
            return false;
        }
        struct pump_q q;
        if (pump_q_parse(text, strlen(text), &q) != PUMP_OK) {
            return false;
        }
        *out = q;
        return true;
    }
    return false;
}
