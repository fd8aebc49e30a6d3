/*
 * hl7_build.c - the message builder: escapes on write, CR after every segment.
 *
 * Contract: see include/hl7/hl7.h.
 */
#include <string.h>

#include "hl7_internal.h"

hl7_status hl7_builder_init(struct hl7_builder *b, char *buf, size_t cap,
                            const struct hl7_encoding *enc)
{
    if (b == NULL || (buf == NULL && cap > 0U)) {
        return HL7_ERR_INVAL;
    }
    memset(b, 0, sizeof *b);
    if (enc == NULL || hl7_encoding_check(enc) != HL7_OK) {
        b->status = HL7_ERR_ENCODING;
        return HL7_ERR_ENCODING;
    }
    b->buf = buf;
    b->cap = cap;
    b->enc = *enc;
    b->status = HL7_OK;
    return HL7_OK;
}

static hl7_status fail(struct hl7_builder *b, hl7_status st)
{
    if (b->status == HL7_OK) {
        b->status = st;
    }
    return b->status;
}

static hl7_status raw(struct hl7_builder *b, const char *s, size_t n)
{
    if (b->cap - b->len < n) {
        return fail(b, HL7_ERR_FULL);
    }
    if (n > 0U) {
        memcpy(b->buf + b->len, s, n);
    }
    b->len += n;
    return HL7_OK;
}

/* Separator sep, then v escaped: written entirely or not at all. */
static hl7_status sep_value(struct hl7_builder *b, char sep, const char *v, size_t n, bool escape)
{
    size_t written;
    size_t mark;
    hl7_status st;

    if (b == NULL) {
        return HL7_ERR_INVAL;
    }
    if (b->status != HL7_OK) {
        return b->status;
    }
    if (!b->in_segment || (v == NULL && n > 0U)) {
        return fail(b, HL7_ERR_INVAL);
    }
    mark = b->len;
    st = raw(b, &sep, 1U);
    if (st != HL7_OK) {
        return st;
    }
    if (!escape) {
        st = raw(b, v, n);
        if (st != HL7_OK) {
            b->len = mark;
        }
        return st;
    }
    st = hl7_escape(&b->enc, v, n, b->buf + b->len, b->cap - b->len, &written);
    if (st != HL7_OK) {
        b->len = mark;
        return fail(b, st);
    }
    b->len += written;
    return HL7_OK;
}

hl7_status hl7_build_segment(struct hl7_builder *b, const char *id)
{
    size_t mark;

    if (b == NULL) {
        return HL7_ERR_INVAL;
    }
    if (b->status != HL7_OK) {
        return b->status;
    }
    if (id == NULL || strlen(id) != 3U || !hl7__segment_id_ok(id)) {
        return fail(b, HL7_ERR_SEGMENT_ID);
    }
    mark = b->len;
    if (b->in_segment && raw(b, "\r", 1U) != HL7_OK) {
        return b->status;
    }
    if (raw(b, id, 3U) != HL7_OK) {
        b->len = mark;
        return b->status;
    }
    if (memcmp(id, "MSH", 3) == 0) {
        char enc[6];
        size_t n = 5;
        enc[0] = b->enc.field;
        enc[1] = b->enc.component;
        enc[2] = b->enc.repetition;
        enc[3] = b->enc.escape;
        enc[4] = b->enc.subcomponent;
        if (b->enc.truncation != '\0') {
            enc[5] = b->enc.truncation;
            n = 6;
        }
        if (raw(b, enc, n) != HL7_OK) {
            b->len = mark;
            return b->status;
        }
    }
    b->in_segment = true;
    return HL7_OK;
}

hl7_status hl7_build_field(struct hl7_builder *b, const char *v, size_t len)
{
    return sep_value(b, (b != NULL) ? b->enc.field : '\0', v, len, true);
}

hl7_status hl7_build_repetition(struct hl7_builder *b, const char *v, size_t len)
{
    return sep_value(b, (b != NULL) ? b->enc.repetition : '\0', v, len, true);
}

hl7_status hl7_build_component(struct hl7_builder *b, const char *v, size_t len)
{
    return sep_value(b, (b != NULL) ? b->enc.component : '\0', v, len, true);
}

hl7_status hl7_build_subcomponent(struct hl7_builder *b, const char *v, size_t len)
{
    return sep_value(b, (b != NULL) ? b->enc.subcomponent : '\0', v, len, true);
}

hl7_status hl7_build_null(struct hl7_builder *b)
{
    return sep_value(b, (b != NULL) ? b->enc.field : '\0', "\"\"", 2U, false);
}

hl7_status hl7_build_field_raw(struct hl7_builder *b, const char *v, size_t len)
{
    return sep_value(b, (b != NULL) ? b->enc.field : '\0', v, len, false);
}

hl7_status hl7__build_sep_raw(struct hl7_builder *b, char sep, const char *v, size_t len)
{
    return sep_value(b, sep, v, len, false);
}

hl7_status hl7_build_fieldz(struct hl7_builder *b, const char *v)
{
    return hl7_build_field(b, v, (v != NULL) ? strlen(v) : 0U);
}

hl7_status hl7_build_componentz(struct hl7_builder *b, const char *v)
{
    return hl7_build_component(b, v, (v != NULL) ? strlen(v) : 0U);
}

hl7_status hl7_build_empty_fields(struct hl7_builder *b, size_t n)
{
    size_t i;

    if (b == NULL) {
        return HL7_ERR_INVAL;
    }
    if (b->status != HL7_OK) {
        return b->status;
    }
    if (!b->in_segment) {
        return fail(b, HL7_ERR_INVAL);
    }
    if (b->cap - b->len < n) {
        return fail(b, HL7_ERR_FULL);
    }
    for (i = 0; i < n; i++) {
        b->buf[b->len++] = b->enc.field;
    }
    return HL7_OK;
}

hl7_status hl7_build_finish(struct hl7_builder *b, size_t *len)
{
    if (b == NULL || len == NULL) {
        return HL7_ERR_INVAL;
    }
    if (b->status != HL7_OK) {
        return b->status;
    }
    if (!b->in_segment) {
        return fail(b, HL7_ERR_INVAL);
    }
    if (raw(b, "\r", 1U) != HL7_OK) {
        return b->status;
    }
    b->in_segment = false;
    *len = b->len;
    return HL7_OK;
}
