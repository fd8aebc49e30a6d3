/*
 * hl7_input.c - reading an HL7 file and splitting it into messages, the same way for
 * `hl7 parse` and `hl7 validate` (contract: see cmd_hl7.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_hl7.h"
#include "hl7/mllp.h"
#include "infusionctl.h"

#define MAX_FILE_BYTES (64U * 1024U * 1024U)

char *ictl_hl7_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n = 0;

    if (f == NULL) {
        ictl_error2("cannot open", path);
        return NULL;
    }
    buf = malloc(MAX_FILE_BYTES + 1U);
    if (buf == NULL) {
        (void)fclose(f);
        ictl_error("out of memory");
        return NULL;
    }
    n = fread(buf, 1, MAX_FILE_BYTES + 1U, f);
    if (ferror(f) != 0) {
        ictl_error2("cannot read", path);
        (void)fclose(f);
        free(buf);
        return NULL;
    }
    (void)fclose(f);
    if (n > MAX_FILE_BYTES) {
        ictl_error2("file larger than 64 MiB:", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

bool ictl_hl7_is_blank(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n') {
            return false;
        }
    }
    return true;
}

void ictl_hl7_split_mllp(const char *data, size_t len, char *frame_buf,
                         ictl_hl7_message_fn on_message, void *ctx)
{
    struct hl7_mllp_deframer d;
    size_t pos = 0;

    hl7_mllp_deframer_init(&d, frame_buf, HL7_MAX_MESSAGE_BYTES);
    while (pos < len) {
        size_t used = 0;
        hl7_mllp_event ev;
        struct hl7_view frame;
        hl7_status st = hl7_mllp_feed(&d, data + pos, len - pos, 0, &used, &ev, &frame);
        pos += used;
        if (st == HL7_ERR_TOO_LARGE) {
            on_message(ctx, NULL, 0, pos, st);
        } else if (st == HL7_OK && ev == HL7_MLLP_FRAME) {
            /* The frame ends at its FS, pos - 1; it started frame.len bytes before. */
            on_message(ctx, frame.ptr, frame.len, pos - 1U - frame.len, HL7_OK);
        } else if (used == 0U) {
            break; /* DEFENSIVE: the deframer always makes progress */
        }
    }
    if (hl7_mllp_in_frame(&d)) {
        /* A last frame that never ended: report it, do not drop it silently. */
        on_message(ctx, d.buf, d.len, len - d.len, HL7_OK);
    }
}

void ictl_hl7_split_text(const char *data, size_t len, ictl_hl7_message_fn on_message, void *ctx)
{
    size_t pos = 0;
    size_t msg_start = 0;
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
        if (ictl_hl7_is_blank(data + pos, eol - pos)) {
            if (in_msg) {
                on_message(ctx, data + msg_start, pos - msg_start, msg_start, HL7_OK);
                in_msg = false;
            }
        } else if (eol - pos >= 3U && memcmp(data + pos, "MSH", 3) == 0 && in_msg) {
            on_message(ctx, data + msg_start, pos - msg_start, msg_start, HL7_OK);
            msg_start = pos;
        } else if (!in_msg) {
            in_msg = true;
            msg_start = pos;
        }
        pos = next;
    }
    if (in_msg) {
        on_message(ctx, data + msg_start, len - msg_start, msg_start, HL7_OK);
    }
}
