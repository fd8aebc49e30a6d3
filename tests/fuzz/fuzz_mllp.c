/*
 * fuzz_mllp.c - libFuzzer target for the MLLP deframer and framer.
 *
 * The first two bytes choose a chunking; the rest is the byte stream. Properties (abort on
 * violation): fed at once or in those chunks, the deframer yields the same frames and the same
 * counters; every frame re-framed with hl7_mllp_frame and deframed again is itself; consumed
 * counts are always in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl7/hl7.h"
#include "hl7/mllp.h"

#define CAP 300U
#define LOG_CAP (1U << 16)

struct log {
    char bytes[LOG_CAP];
    size_t len;
    size_t n_frames;
    size_t n_errors;
};

static struct log whole;
static struct log chunked;

static void require(int cond)
{
    if (!cond) {
        abort();
    }
}

static void log_frame(struct log *l, struct hl7_view f)
{
    /* length-prefixed, so "ab" + "c" differs from "a" + "bc" */
    if (l->len + f.len + 8U <= LOG_CAP) {
        memcpy(l->bytes + l->len, &f.len, sizeof f.len);
        l->len += sizeof f.len;
        if (f.len > 0U) {
            memcpy(l->bytes + l->len, f.ptr, f.len);
        }
        l->len += f.len;
    }
    l->n_frames++;
}

static void check_reframe(struct hl7_view f)
{
    static char framed[CAP + 3U];
    static char buf[CAP];
    size_t n;
    size_t used;
    struct hl7_mllp_deframer d;
    hl7_mllp_event ev;
    struct hl7_view back;

    require(hl7_mllp_frame(f.ptr, f.len, framed, sizeof framed, &n) == HL7_OK);
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    require(hl7_mllp_feed(&d, framed, n, 0, &used, &ev, &back) == HL7_OK);
    require(ev == HL7_MLLP_FRAME && back.len == f.len && used == n - 1U);
    require(f.len == 0U || memcmp(back.ptr, f.ptr, f.len) == 0);
}

static void run(const char *data, size_t size, size_t c1, size_t c2, struct log *l,
                struct hl7_mllp_deframer *d)
{
    size_t pos = 0;
    size_t k = 0;

    memset(l, 0, sizeof *l);
    while (pos < size) {
        size_t chunk = (k++ % 2U == 0U) ? c1 : c2;
        size_t end = (chunk > size - pos) ? size : pos + chunk;
        while (pos < end) {
            size_t used = 0;
            hl7_mllp_event ev;
            struct hl7_view f;
            hl7_status st = hl7_mllp_feed(d, data + pos, end - pos, 0, &used, &ev, &f);
            require(used > 0U && used <= end - pos);
            pos += used;
            if (st == HL7_ERR_TOO_LARGE) {
                l->n_errors++;
                continue;
            }
            require(st == HL7_OK);
            if (ev == HL7_MLLP_FRAME) {
                require(f.len <= CAP);
                require(memchr(f.ptr, 0x0b, f.len) == NULL && memchr(f.ptr, 0x1c, f.len) == NULL);
                log_frame(l, f);
                check_reframe(f);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf_a[CAP];
    static char buf_b[CAP];
    struct hl7_mllp_deframer a;
    struct hl7_mllp_deframer b;
    size_t c1;
    size_t c2;

    if (size < 2U) {
        return 0;
    }
    c1 = 1U + data[0] % 64U;
    c2 = 1U + data[1];
    hl7_mllp_deframer_init(&a, buf_a, sizeof buf_a);
    hl7_mllp_deframer_init(&b, buf_b, sizeof buf_b);
    run((const char *)data + 2, size - 2U, size, size, &whole, &a);
    run((const char *)data + 2, size - 2U, c1, c2, &chunked, &b);
    require(whole.n_frames == chunked.n_frames && whole.len == chunked.len &&
            memcmp(whole.bytes, chunked.bytes, whole.len) == 0);
    require(whole.n_errors == chunked.n_errors);
    require(a.n_frames == b.n_frames && a.n_discarded == b.n_discarded &&
            a.n_oversize == b.n_oversize && a.n_missing_cr == b.n_missing_cr &&
            a.n_aborted == b.n_aborted && a.len == b.len && a.state == b.state);
    return 0;
}
