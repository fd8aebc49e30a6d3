/*
 * hl7_internal.h - declarations shared by the hl7 library's files (not public).
 *
 * Tests and fuzz targets may include it; nothing outside hl7/ and tests/ may.
 */
#ifndef HL7_INTERNAL_H
#define HL7_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"

/* True for the bytes HL7 accepts as a segment-id character (A-Z, 0-9). */
static inline bool hl7__is_id_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* True when id[0..3) is a valid segment id (first a letter). Inline: the parser asks once per
 * segment. */
static inline bool hl7__segment_id_ok(const char *id)
{
    return id[0] >= 'A' && id[0] <= 'Z' && hl7__is_id_char(id[1]) && hl7__is_id_char(id[2]);
}

/*
 * hl7__escape_len - length of the escape sequence starting at in[i] (in[i] is the escape char),
 * including both escape characters, when it is terminated before the end of in and known;
 * 0 otherwise (unterminated, unknown, bad hex). The sequence may not contain any delimiter.
 */
size_t hl7__escape_len(const struct hl7_encoding *enc, const char *in, size_t len, size_t i);

/* Builder: separator sep then v[0..len) unescaped (already HL7 text); sticky errors as usual. */
hl7_status hl7__build_sep_raw(struct hl7_builder *b, char sep, const char *v, size_t len);

/* Fill *err (when err != NULL). */
void hl7__set_error(struct hl7_error *err, hl7_status code, const struct hl7_msg *m,
                    size_t i_seg, uint32_t field, size_t offset, const char *message);

/* The library allocates nothing and prints nothing (docs/hl7.md). */
#pragma GCC poison malloc calloc realloc free printf fprintf puts fopen abort exit

#endif
