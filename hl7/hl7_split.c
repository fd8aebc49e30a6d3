/*
 * hl7_split.c - the messages in a file's bytes, one way for every tool (mllp.h).
 */
#include <string.h>

#include "hl7/mllp.h"

bool hl7_is_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
            return false;
        }
    }
    return true;
}

size_t hl7_split_mllp(const char *data, size_t len, char *frame_buf, size_t cap,
                         hl7_message_fn fn, void *ctx)
{
    struct hl7_mllp_deframer d;
    size_t pos = 0;
    size_t n = 0;

    hl7_mllp_deframer_init(&d, frame_buf, cap);
    while (pos < len) {
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame = {NULL, 0};
        hl7_status st = hl7_mllp_feed(&d, data + pos, len - pos, 0, &used, &ev, &frame);
        pos += used;
        if (st == HL7_ERR_TOO_LARGE) {
            fn(ctx, NULL, 0, pos, st);
            n++;
        } else if (st == HL7_OK && ev == HL7_MLLP_FRAME) {
            /* The frame ends at its FS, pos - 1; it started frame.len bytes before. */
            fn(ctx, frame.ptr, frame.len, pos - 1U - frame.len, HL7_OK);
            n++;
        } else if (used == 0U) {
            break; /* DEFENSIVE: the deframer always makes progress */
        }
    }
    if (hl7_mllp_in_frame(&d)) {
        /* A last frame that never ended: reported, not dropped silently. */
        fn(ctx, d.buf, d.len, len - d.len, HL7_OK);
        n++;
    }
    return n;
}

size_t hl7_split_text(const char *data, size_t len, hl7_message_fn fn, void *ctx)
{
    size_t pos = 0;
    size_t start = 0;
    size_t n = 0;
    bool in_msg = false;

    while (pos < len) {
        size_t eol = pos;
        size_t next;
        while (eol < len && data[eol] != '\r' && data[eol] != '\n') {
            eol++;
        }
        next = eol;
        if (next < len && data[next] == '\r' && next + 1U < len && data[next + 1U] == '\n') {
            next += 2U;
        } else if (next < len) {
            next++;
        }
        if (hl7_is_blank(data + pos, eol - pos)) {
            if (in_msg) {
                fn(ctx, data + start, pos - start, start, HL7_OK);
                n++;
                in_msg = false;
            }
        } else if (eol - pos >= 3U && memcmp(data + pos, "MSH", 3) == 0 && in_msg) {
            fn(ctx, data + start, pos - start, start, HL7_OK);
            n++;
            start = pos;
        } else if (!in_msg) {
            in_msg = true;
            start = pos;
        }
        pos = next;
    }
    if (in_msg) {
        fn(ctx, data + start, len - start, start, HL7_OK);
        n++;
    }
    return n;
}

bool hl7_is_mllp_file(const char *data, size_t len)
{
    return data != NULL && memchr(data, HL7_MLLP_VT, len) != NULL;
}

size_t hl7_split_messages(const char *data, size_t len, char *frame_buf, size_t cap,
                          hl7_message_fn fn, void *ctx)
{
    if (data == NULL || fn == NULL) {
        return 0;
    }
    if (hl7_is_mllp_file(data, len)) {
        return frame_buf != NULL ? hl7_split_mllp(data, len, frame_buf, cap, fn, ctx) : 0U;
    }
    return hl7_split_text(data, len, fn, ctx);
}
