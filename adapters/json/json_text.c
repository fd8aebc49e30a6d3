/*
 * json_text.c - text helpers the JSON adapter's loaders share (contract: see json_text.h).
 */
#include "json_text.h"
#include "oi_json.h"

#include <string.h>

/* Length of the UTF-8 sequence a byte starts, 0 when it cannot start one. */
static size_t utf8_length(unsigned char c)
{
    if (c < 0x80U) {
        return 1U;
    }
    if (c >= 0xc2U && c <= 0xdfU) {
        return 2U;
    }
    if (c >= 0xe0U && c <= 0xefU) {
        return 3U;
    }
    return (c >= 0xf0U && c <= 0xf4U) ? 4U : 0U;
}

/* Bytes of the printable character at s[0..n), 0 when it is a control character or broken. */
static size_t printable_char(const unsigned char *s, size_t n)
{
    size_t k = utf8_length(s[0]);
    if (k == 0U || k > n || s[0] < 0x20U || s[0] == 0x7fU) {
        return 0U;
    }
    for (size_t j = 1; j < k; j++) {
        if ((s[j] & 0xc0U) != 0x80U) {
            return 0U;
        }
    }
    return k;
}

/*
 * Text from outside (a key, a unit, a file name, jansson's "near" text) made fit to quote in a
 * message: messages travel as JSON and line by line, so they must be valid UTF-8 without line
 * breaks. Control characters and broken bytes become '?'; the text is cut on a character
 * boundary at max bytes, with "..." when cut. out receives at most cap - 1 bytes.
 */
const char *oi__printable(const char *s, size_t n, size_t max, char *out, size_t cap)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t used = 0;
    size_t i = 0;
    while (i < n) {
        size_t k = printable_char(u + i, n - i);
        size_t w = (k == 0U) ? 1U : k;
        if (used + w > max || used + w + 4U > cap) {
            memcpy(out + used, "...", 3);
            used += 3U;
            break;
        }
        if (k == 0U) {
            out[used] = '?';
        } else {
            memcpy(out + used, s + i, k);
        }
        used += w;
        i += w;
    }
    out[used] = '\0';
    return out;
}

const char *oi_json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "true or false";
    case JSON_NULL:
        return "null";
    default:
        return "an unknown JSON value";
    }
}
