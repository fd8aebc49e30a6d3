/*
 * json_out.c - a tiny JSON writer: objects, arrays, escaped strings, exact numbers.
 *
 * The document is built in a growing buffer and written with one fwrite, so a write error is
 * seen once, and a batch line is either printed whole or not at all. Separators are ", " and
 * ": " (the spacing of Python's json.dumps), so results read well and diff well.
 * Numbers are exact rationals formatted by the core: never through a double.
 */
#include <stdlib.h>
#include <string.h>

#include "infusionctl.h"

void ictl_json_init(struct ictl_json *j)
{
    memset(j, 0, sizeof *j);
    j->first[0] = true;
}

void ictl_json_reset(struct ictl_json *j)
{
    char *buf = j->buf;
    size_t cap = j->cap;

    ictl_json_init(j);
    j->buf = buf;
    j->cap = cap;
}

void ictl_json_free(struct ictl_json *j)
{
    free(j->buf);
    memset(j, 0, sizeof *j);
}

static void put(struct ictl_json *j, const char *s, size_t n)
{
    if (j->failed) {
        return;
    }
    if (n > SIZE_MAX / 2U - j->len) {
        j->failed = true;
        return;
    }
    if (j->len + n + 1U > j->cap) {
        size_t cap = (j->cap == 0) ? 256U : j->cap;
        char *nb;
        while (cap < j->len + n + 1U) {
            cap *= 2U;
        }
        nb = realloc(j->buf, cap);
        if (nb == NULL) {
            j->failed = true;
            return;
        }
        j->buf = nb;
        j->cap = cap;
    }
    memcpy(j->buf + j->len, s, n);
    j->len += n;
    j->buf[j->len] = '\0';
}

static void puts_(struct ictl_json *j, const char *s)
{
    put(j, s, strlen(s));
}

/* Before any value: the comma that separates it from the previous one. */
static void value_prefix(struct ictl_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth]) {
        puts_(j, ", ");
    }
    j->first[j->depth] = false;
}

static void open_(struct ictl_json *j, const char *bracket)
{
    value_prefix(j);
    puts_(j, bracket);
    if (j->depth + 1U >= ICTL_JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    j->depth++;
    j->first[j->depth] = true;
}

static void close_(struct ictl_json *j, const char *bracket)
{
    if (j->depth == 0 || j->after_key) {
        j->failed = true;
        return;
    }
    j->depth--;
    puts_(j, bracket);
}

void ictl_json_object_begin(struct ictl_json *j) { open_(j, "{"); }
void ictl_json_object_end(struct ictl_json *j) { close_(j, "}"); }
void ictl_json_array_begin(struct ictl_json *j) { open_(j, "["); }
void ictl_json_array_end(struct ictl_json *j) { close_(j, "]"); }

size_t ictl_utf8_seq_len(const unsigned char *s, size_t n)
{
    size_t len;
    size_t i;
    uint32_t cp;

    if (s[0] < 0x80U) {
        return 1;
    }
    if (s[0] >= 0xC2U && s[0] <= 0xDFU) {
        len = 2;
        cp = s[0] & 0x1FU;
    } else if (s[0] >= 0xE0U && s[0] <= 0xEFU) {
        len = 3;
        cp = s[0] & 0x0FU;
    } else if (s[0] >= 0xF0U && s[0] <= 0xF4U) {
        len = 4;
        cp = s[0] & 0x07U;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0U) != 0x80U) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3FU);
    }
    /* Overlong forms, surrogates, beyond U+10FFFF. */
    if ((len == 3 && cp < 0x800U) || (len == 4 && cp < 0x10000U) || cp > 0x10FFFFU ||
        (cp >= 0xD800U && cp <= 0xDFFFU)) {
        return 0;
    }
    return len;
}

static void escape_byte(struct ictl_json *j, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char esc[7] = {'\\', 'u', '0', '0', '0', '0', '\0'};

    switch (c) {
    case '"': puts_(j, "\\\""); return;
    case '\\': puts_(j, "\\\\"); return;
    case '\n': puts_(j, "\\n"); return;
    case '\r': puts_(j, "\\r"); return;
    case '\t': puts_(j, "\\t"); return;
    default: break;
    }
    esc[4] = hex[(c >> 4) & 0x0FU];
    esc[5] = hex[c & 0x0FU];
    puts_(j, esc);
}

void ictl_json_string(struct ictl_json *j, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    value_prefix(j);
    puts_(j, "\"");
    while (i < len) {
        size_t n = ictl_utf8_seq_len(u + i, len - i);
        if (n == 0) {
            puts_(j, "\\ufffd");
            i++;
        } else if (n == 1 && (u[i] < 0x20U || u[i] == '"' || u[i] == '\\')) {
            escape_byte(j, u[i]);
            i++;
        } else {
            put(j, s + i, n);
            i += n;
        }
    }
    puts_(j, "\"");
}

void ictl_json_cstring(struct ictl_json *j, const char *s)
{
    ictl_json_string(j, s, strlen(s));
}

void ictl_json_key(struct ictl_json *j, const char *key)
{
    if (j->after_key) {
        j->failed = true;
        return;
    }
    ictl_json_cstring(j, key);
    puts_(j, ": ");
    j->after_key = true;
}

void ictl_json_q(struct ictl_json *j, struct pump_q q)
{
    char buf[PUMP_Q_TEXT_MAX];
    unsigned decimals =
        pump_q_is_exact_at(ictl_q_reduced(q), PUMP_Q_MAX_DECIMALS) ? PUMP_Q_MAX_DECIMALS : 12U;

    value_prefix(j);
    if (pump_q_format(q, decimals, buf, sizeof buf) != PUMP_OK) {
        j->failed = true;
        return;
    }
    puts_(j, buf);
}

void ictl_json_uint(struct ictl_json *j, uint64_t n)
{
    struct ictl_text t;

    ictl_text_init(&t);
    ictl_text_uint(&t, n);
    value_prefix(j);
    puts_(j, t.s);
}

void ictl_json_bool(struct ictl_json *j, bool b)
{
    value_prefix(j);
    puts_(j, b ? "true" : "false");
}

void ictl_json_null(struct ictl_json *j)
{
    value_prefix(j);
    puts_(j, "null");
}

bool ictl_json_emit(const struct ictl_json *j, FILE *f)
{
    if (j->failed || j->depth != 0 || j->buf == NULL) {
        return false;
    }
    if (fwrite(j->buf, 1, j->len, f) != j->len || fputc('\n', f) == EOF) {
        return false;
    }
    return fflush(f) == 0;
}
