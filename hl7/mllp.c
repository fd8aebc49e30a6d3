/*
 * mllp.c - incremental MLLP deframer and framer.
 *
 * Contract: see include/hl7/mllp.h.
 *
 * The deframer never trusts the peer: it copies at most cap bytes per frame, resynchronises on the
 * next VT after junk, a dropped frame or a missing trailer, and every byte it throws away is
 * counted so a connection that sends garbage can be noticed and closed by the caller.
 */
#include <string.h>

#include "hl7/mllp.h"
#include "hl7_internal.h"

enum { ST_WAIT_VT = 0, ST_IN_FRAME = 1, ST_AFTER_FS = 2, ST_OVERSIZE = 3 };

void hl7_mllp_deframer_init(struct hl7_mllp_deframer *d, char *buf, size_t cap)
{
    if (d == NULL) {
        return;
    }
    memset(d, 0, sizeof *d);
    d->buf = buf;
    d->cap = (buf != NULL) ? cap : 0U;
    d->state = ST_WAIT_VT;
}

bool hl7_mllp_in_frame(const struct hl7_mllp_deframer *d)
{
    return d != NULL && (d->state == ST_IN_FRAME || d->state == ST_OVERSIZE);
}

bool hl7_mllp_idle_expired(const struct hl7_mllp_deframer *d, uint64_t now_ms,
                           uint64_t timeout_ms)
{
    return hl7_mllp_in_frame(d) && now_ms >= d->last_byte_ms &&
           now_ms - d->last_byte_ms >= timeout_ms;
}

void hl7_mllp_abort_frame(struct hl7_mllp_deframer *d)
{
    if (!hl7_mllp_in_frame(d)) {
        return;
    }
    d->n_aborted++;
    d->n_discarded += d->len;
    d->len = 0;
    d->state = ST_WAIT_VT;
}

/* First FS or VT in p[0..n), or NULL. FS is looked for first: it is the byte that is there. */
static const char *next_mark(const char *p, size_t n)
{
    const char *fs = memchr(p, HL7_MLLP_FS, n);
    size_t upto = (fs != NULL) ? (size_t)(fs - p) : n;
    const char *vt = memchr(p, HL7_MLLP_VT, upto);
    return (vt != NULL) ? vt : fs;
}

hl7_status hl7_mllp_feed(struct hl7_mllp_deframer *d, const char *data, size_t len,
                         uint64_t now_ms, size_t *consumed, hl7_mllp_event *event,
                         struct hl7_view *frame)
{
    size_t i = 0;

    if (d == NULL || consumed == NULL || event == NULL || frame == NULL ||
        (data == NULL && len > 0U)) {
        return HL7_ERR_INVAL;
    }
    *event = HL7_MLLP_NEED_MORE;
    if (len > 0U) {
        d->last_byte_ms = now_ms;
    }
    while (i < len) {
        const char *p = data + i;
        size_t rest = len - i;
        const char *q;
        size_t run;

        switch (d->state) {
        case ST_AFTER_FS:
            d->state = ST_WAIT_VT;
            if (*p == HL7_MLLP_CR) {
                i++;
            } else {
                d->n_missing_cr++; /* the frame was delivered at its FS; resync on VT */
            }
            break;
        case ST_IN_FRAME:
            q = next_mark(p, rest);
            run = (q != NULL) ? (size_t)(q - p) : rest;
            if (d->cap - d->len < run) {
                d->n_oversize++;
                d->n_discarded += d->len + run;
                d->len = 0;
                d->state = ST_OVERSIZE;
                *consumed = i + run;
                return HL7_ERR_TOO_LARGE;
            }
            if (run > 0U) {
                memcpy(d->buf + d->len, p, run);
                d->len += run;
            }
            i += run;
            if (q == NULL) {
                break;
            }
            i++;
            if (*q == HL7_MLLP_VT) {
                /* A new start block inside a frame: the sender gave up on the old one. */
                d->n_aborted++;
                d->n_discarded += d->len;
                d->len = 0;
                break;
            }
            d->state = ST_AFTER_FS;
            d->n_frames++;
            frame->ptr = d->buf;
            frame->len = d->len;
            d->len = 0;
            *event = HL7_MLLP_FRAME;
            *consumed = i;
            return HL7_OK;
        case ST_OVERSIZE:
            q = next_mark(p, rest);
            run = (q != NULL) ? (size_t)(q - p) : rest;
            d->n_discarded += run;
            i += run;
            if (q != NULL) {
                i++;
                d->state = (*q == HL7_MLLP_VT) ? ST_IN_FRAME : ST_AFTER_FS;
            }
            break;
        default: /* ST_WAIT_VT */
            q = memchr(p, HL7_MLLP_VT, rest);
            run = (q != NULL) ? (size_t)(q - p) : rest;
            d->n_discarded += run;
            i += run;
            if (q != NULL) {
                i++;
                d->len = 0;
                d->state = ST_IN_FRAME;
            }
            break;
        }
    }
    *consumed = i;
    return HL7_OK;
}

hl7_status hl7_mllp_frame(const char *msg, size_t len, char *out, size_t cap, size_t *out_len)
{
    if ((msg == NULL && len > 0U) || out == NULL || out_len == NULL) {
        return HL7_ERR_INVAL;
    }
    if (len > 0U && (memchr(msg, HL7_MLLP_VT, len) != NULL || memchr(msg, HL7_MLLP_FS, len) != NULL)) {
        return HL7_ERR_FRAMING;
    }
    if (cap < HL7_MLLP_OVERHEAD || cap - HL7_MLLP_OVERHEAD < len) {
        return HL7_ERR_FULL;
    }
    out[0] = HL7_MLLP_VT;
    if (len > 0U) {
        memcpy(out + 1, msg, len);
    }
    out[len + 1U] = HL7_MLLP_FS;
    out[len + 2U] = HL7_MLLP_CR;
    *out_len = len + HL7_MLLP_OVERHEAD;
    return HL7_OK;
}
