/*
 * text.c - bounded text building for messages and table cells.
 *
 * Appends never overflow: past ICTL_TEXT_MAX the text is cut at a UTF-8 character boundary and
 * marked truncated. Numbers go through pump_q_format, so what is shown is the exact rational
 * rounded half up, never a binary floating-point approximation.
 */
#include <string.h>

#include "infusionctl.h"

void ictl_text_init(struct ictl_text *t)
{
    t->s[0] = '\0';
    t->len = 0;
    t->truncated = false;
}

void ictl_text_addn(struct ictl_text *t, const char *s, size_t n)
{
    size_t room = sizeof t->s - 1 - t->len;

    if (t->truncated) {
        return;
    }
    if (n > room) {
        n = room;
        /* Do not cut a multi-byte character in half. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0U) == 0x80U) {
            n--;
        }
        t->truncated = true;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

void ictl_text_add(struct ictl_text *t, const char *s)
{
    ictl_text_addn(t, s, strlen(s));
}

void ictl_text_q(struct ictl_text *t, struct pump_q q, unsigned decimals)
{
    char buf[PUMP_Q_TEXT_MAX];

    if (pump_q_format(q, decimals, buf, sizeof buf) != PUMP_OK) {
        ictl_text_add(t, "?");
        return;
    }
    ictl_text_add(t, buf);
}

struct pump_q ictl_q_reduced(struct pump_q q)
{
    uint64_t a;
    uint64_t b;

    /* |num| < 2^63 and den > 0 by contract; anything else is left alone. */
    if (q.den <= 0 || q.num == INT64_MIN || q.num == 0) {
        return q;
    }
    a = (q.num < 0) ? (uint64_t)(-q.num) : (uint64_t)q.num;
    b = (uint64_t)q.den;
    while (b != 0U) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    q.num /= (int64_t)a;
    q.den /= (int64_t)a;
    return q;
}

void ictl_text_qd(struct ictl_text *t, struct pump_q q)
{
    char buf[PUMP_Q_TEXT_MAX];
    unsigned decimals = pump_q_is_exact_at(ictl_q_reduced(q), 6) ? 6U : 4U;

    if (pump_q_format(q, decimals, buf, sizeof buf) != PUMP_OK) {
        ictl_text_add(t, "?");
        return;
    }
    if (pump_q_sign(q) != 0 && (strcmp(buf, "0") == 0 || strcmp(buf, "-0") == 0)) {
        ictl_text_q(t, q, 8);
        return;
    }
    ictl_text_add(t, buf);
}

void ictl_text_unit(struct ictl_text *t, struct pump_unit u)
{
    char buf[PUMP_UNIT_TEXT_MAX];

    if (pump_unit_format(u, buf, sizeof buf) != PUMP_OK) {
        ictl_text_add(t, "?");
        return;
    }
    ictl_text_add(t, buf);
}

void ictl_text_uint(struct ictl_text *t, uint64_t n)
{
    char buf[24];
    size_t i = sizeof buf - 1;

    buf[i] = '\0';
    do {
        i--;
        buf[i] = (char)('0' + (int)(n % 10U));
        n /= 10U;
    } while (n > 0U && i > 0U);
    ictl_text_add(t, buf + i);
}

void ictl_text_libstr(struct ictl_text *t, const struct pump_library *lib, struct pump_str s)
{
    const char *p = pump_library_str(lib, s);

    if (p == NULL) {
        ictl_text_add(t, "?");
        return;
    }
    ictl_text_addn(t, p, s.len);
}

static void add_bound(struct ictl_text *t, const struct pump_limits *l, pump_bound b)
{
    if ((l->present & (1U << (unsigned)b)) != 0U) {
        ictl_text_qd(t, l->bound[b]);
    } else {
        ictl_text_add(t, "\u2014"); /* em dash: no bound */
    }
}

void ictl_text_limits(struct ictl_text *t, const struct pump_limits *l)
{
    if ((l->present & 0x0FU) == 0U) {
        ictl_text_add(t, "\u2014");
        return;
    }
    add_bound(t, l, PUMP_HARD_MIN);
    ictl_text_add(t, " / ");
    add_bound(t, l, PUMP_SOFT_MIN);
    ictl_text_add(t, " \u2013 "); /* en dash */
    add_bound(t, l, PUMP_SOFT_MAX);
    ictl_text_add(t, " / ");
    add_bound(t, l, PUMP_HARD_MAX);
}

size_t ictl_utf8_width(const char *s)
{
    size_t w = 0;

    for (; *s != '\0'; s++) {
        if (((unsigned char)*s & 0xC0U) != 0x80U) {
            w++;
        }
    }
    return w;
}
