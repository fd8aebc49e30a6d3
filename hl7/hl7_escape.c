/*
 * hl7_escape.c - escape sequences: decode on demand, encode on write.
 *
 * Contract: see include/hl7/hl7.h.
 *
 * Escapes are decoded only at the primitive level (after splitting), so an escape sequence may
 * never contain a delimiter: "\S|" is an unterminated sequence, not a field boundary.
 */
#include <string.h>

#include "hl7_internal.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static bool all_hex(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (hex_value(p[i]) < 0) {
            return false;
        }
    }
    return true;
}

/* ".sp", ".sp 2", ".in -4": the command, then optionally a space and a signed number. */
static bool format_ok(const char *c, size_t n)
{
    static const char *const plain[] = {".br", ".fi", ".nf", ".ce"};
    static const char *const numbered[] = {".sp", ".in", ".ti", ".sk"};
    size_t i;

    if (n < 3U) {
        return false;
    }
    for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (n == 3U && memcmp(c, plain[i], 3) == 0) {
            return true;
        }
    }
    for (i = 0; i < sizeof numbered / sizeof numbered[0]; i++) {
        if (memcmp(c, numbered[i], 3) == 0) {
            size_t k = 3;
            size_t digits = 0;
            if (k < n && c[k] == ' ') {
                k++;
            }
            if (k < n && (c[k] == '+' || c[k] == '-')) {
                k++;
            }
            while (k < n && c[k] >= '0' && c[k] <= '9') {
                k++;
                digits++;
            }
            /* "\.sp\" alone is fine; a sign or a space must be followed by digits. */
            return k == n && (digits > 0U || n == 3U) && digits <= 4U;
        }
    }
    return false;
}

size_t hl7__escape_len(const struct hl7_encoding *enc, const char *in, size_t len, size_t i)
{
    const char *c;
    size_t n;
    size_t j;

    for (j = i + 1U; j < len; j++) {
        char x = in[j];
        if (x == enc->escape) {
            break;
        }
        if (x == enc->field || x == enc->component || x == enc->repetition ||
            x == enc->subcomponent) {
            return 0U;
        }
    }
    if (j >= len) {
        return 0U; /* unterminated */
    }
    c = in + i + 1U;
    n = j - i - 1U;
    if (n == 0U) {
        return 0U;
    }
    switch (c[0]) {
    case 'F':
    case 'S':
    case 'T':
    case 'R':
    case 'E':
    case 'P':
    case 'H':
    case 'N':
        return (n == 1U) ? n + 2U : 0U;
    case 'X':
        return (n >= 3U && (n - 1U) % 2U == 0U && all_hex(c + 1, n - 1U)) ? n + 2U : 0U;
    case 'Z':
        return (n >= 2U) ? n + 2U : 0U;
    case 'C':
        return (n == 5U && all_hex(c + 1, 4U)) ? n + 2U : 0U;
    case 'M':
        return ((n == 5U || n == 7U) && all_hex(c + 1, n - 1U)) ? n + 2U : 0U;
    case '.':
        return format_ok(c, n) ? n + 2U : 0U;
    default:
        return 0U;
    }
}

struct out_buf {
    char *p;
    size_t cap;
    size_t len;
};

static bool put(struct out_buf *o, char c)
{
    if (o->len >= o->cap) {
        return false;
    }
    o->p[o->len++] = c;
    return true;
}

static bool put_n(struct out_buf *o, const char *s, size_t n)
{
    if (o->cap - o->len < n) {
        return false;
    }
    if (n > 0U) {
        memcpy(o->p + o->len, s, n);
    }
    o->len += n;
    return true;
}

/* \.sp n\ rendered: n newlines (1 when n is absent, 0 when negative, at most 99). */
static bool render_sp(struct out_buf *o, const char *c, size_t n)
{
    size_t k = 3;
    size_t count = 0;
    bool negative = false;
    bool digits = false;

    if (k < n && c[k] == ' ') {
        k++;
    }
    if (k < n && (c[k] == '+' || c[k] == '-')) {
        negative = (c[k] == '-');
        k++;
    }
    while (k < n) {
        count = count * 10U + (size_t)(c[k] - '0');
        digits = true;
        k++;
    }
    if (!digits) {
        count = 1;
    }
    if (negative) {
        count = 0;
    }
    if (count > 99U) {
        count = 99;
    }
    while (count > 0U) {
        if (!put(o, '\n')) {
            return false;
        }
        count--;
    }
    return true;
}

hl7_status hl7_unescape(const struct hl7_encoding *enc, struct hl7_view in, unsigned flags,
                        char *out, size_t cap, size_t *out_len, size_t *err_offset)
{
    struct out_buf o;
    size_t i = 0;
    bool render = (flags & HL7_UNESC_RENDER_FORMAT) != 0U;

    if (enc == NULL || out_len == NULL || (in.ptr == NULL && in.len > 0U) ||
        (out == NULL && cap > 0U)) {
        return HL7_ERR_INVAL;
    }
    o.p = out;
    o.cap = cap;
    o.len = 0;
    while (i < in.len) {
        const char *q = memchr(in.ptr + i, enc->escape, in.len - i);
        size_t run = (q != NULL) ? (size_t)(q - (in.ptr + i)) : in.len - i;
        size_t l;
        const char *c;
        size_t n;
        bool ok = true;

        if (!put_n(&o, in.ptr + i, run)) {
            return HL7_ERR_FULL;
        }
        i += run;
        if (i >= in.len) {
            break;
        }
        l = hl7__escape_len(enc, in.ptr, in.len, i);
        if (l == 0U) {
            if (err_offset != NULL) {
                *err_offset = i;
            }
            return HL7_ERR_ESCAPE;
        }
        c = in.ptr + i + 1U;
        n = l - 2U;
        switch (c[0]) {
        case 'F':
            ok = put(&o, enc->field);
            break;
        case 'S':
            ok = put(&o, enc->component);
            break;
        case 'T':
            ok = put(&o, enc->subcomponent);
            break;
        case 'R':
            ok = put(&o, enc->repetition);
            break;
        case 'E':
            ok = put(&o, enc->escape);
            break;
        case 'P':
            ok = put(&o, (enc->truncation != '\0') ? enc->truncation : '#');
            break;
        case 'X': {
            size_t k;
            for (k = 1; k < n && ok; k += 2U) {
                int hi = hex_value(c[k]);
                int lo = hex_value(c[k + 1U]);
                ok = put(&o, (char)(unsigned char)((unsigned)hi * 16U + (unsigned)lo));
            }
            break;
        }
        case 'H':
        case 'N':
            ok = render ? true : put_n(&o, in.ptr + i, l);
            break;
        case '.':
            if (!render) {
                ok = put_n(&o, in.ptr + i, l);
            } else if (memcmp(c, ".br", 3) == 0) {
                ok = put(&o, '\n');
            } else if (memcmp(c, ".sp", 3) == 0) {
                ok = render_sp(&o, c, n);
            } else {
                ok = true; /* .fi .nf .in .ti .sk .ce: layout only, dropped */
            }
            break;
        default:
            /* \Z..\ local, \C..\ and \M..\ charset switches: kept for the caller. */
            ok = put_n(&o, in.ptr + i, l);
            break;
        }
        if (!ok) {
            return HL7_ERR_FULL;
        }
        i += l;
    }
    *out_len = o.len;
    return HL7_OK;
}

hl7_status hl7_escape(const struct hl7_encoding *enc, const char *in, size_t len, char *out,
                      size_t cap, size_t *out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    struct out_buf o;
    size_t i;

    if (enc == NULL || out_len == NULL || (in == NULL && len > 0U) ||
        (out == NULL && cap > 0U)) {
        return HL7_ERR_INVAL;
    }
    o.p = out;
    o.cap = cap;
    o.len = 0;
    for (i = 0; i < len; i++) {
        char c = in[i];
        char e = '\0';
        bool ok;

        if (c == enc->field) {
            e = 'F';
        } else if (c == enc->component) {
            e = 'S';
        } else if (c == enc->subcomponent) {
            e = 'T';
        } else if (c == enc->repetition) {
            e = 'R';
        } else if (c == enc->escape) {
            e = 'E';
        } else if (enc->truncation != '\0' && c == enc->truncation) {
            e = 'P';
        }
        if (e != '\0') {
            char seq[3];
            seq[0] = enc->escape;
            seq[1] = e;
            seq[2] = enc->escape;
            ok = put_n(&o, seq, 3U);
        } else if (c == '\r' || c == '\n' || c == '\x0b' || c == '\x1c') {
            char seq[5];
            unsigned char u = (unsigned char)c;
            seq[0] = enc->escape;
            seq[1] = 'X';
            seq[2] = hex[u >> 4];
            seq[3] = hex[u & 15U];
            seq[4] = enc->escape;
            ok = put_n(&o, seq, 5U);
        } else {
            ok = put(&o, c);
        }
        if (!ok) {
            return HL7_ERR_FULL;
        }
    }
    *out_len = o.len;
    return HL7_OK;
}
