/*
 * test_mllp.c - the MLLP framer and the incremental deframer: split reads at every byte position,
 * several frames per read, junk before VT counted, oversize frames, FS without CR, a VT inside a
 * frame, idle time-outs, and the framer's refusal of framing bytes in data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7/mllp.h"

#define MAX_FRAMES 16

struct result {
    char frames[MAX_FRAMES][256];
    size_t lens[MAX_FRAMES];
    size_t n;
    size_t n_too_large;
};

/* Feed data in pieces of the given sizes (cycled), collecting frames. */
static void feed_chunks(struct hl7_mllp_deframer *d, const char *data, size_t len,
                        const size_t *sizes, size_t n_sizes, struct result *r)
{
    size_t pos = 0;
    size_t k = 0;
    memset(r, 0, sizeof *r);
    while (pos < len) {
        size_t chunk = sizes[k++ % n_sizes];
        size_t end = (chunk > len - pos) ? len : pos + chunk;
        while (pos < end) {
            size_t used = 0;
            hl7_mllp_event ev;
            struct hl7_view f;
            hl7_status st = hl7_mllp_feed(d, data + pos, end - pos, 0, &used, &ev, &f);
            assert_true(used > 0U);
            assert_true(used <= end - pos);
            pos += used;
            if (st == HL7_ERR_TOO_LARGE) {
                r->n_too_large++;
                continue;
            }
            assert_int_equal(st, HL7_OK);
            if (ev == HL7_MLLP_FRAME) {
                assert_true(r->n < MAX_FRAMES && f.len <= 256U);
                if (f.len > 0U) {
                    memcpy(r->frames[r->n], f.ptr, f.len);
                }
                r->lens[r->n] = f.len;
                r->n++;
            }
        }
    }
}

static const char stream[] =
    "junk\r\n" /* 6 bytes before the first VT */
    "\x0bMSH|^~\\&|A|1\rPID|1\r\x1c\r"
    "\x0bMSH|^~\\&|B|2\r\x1c\r"
    "xx" /* 2 more */
    "\x0b\x1c\r" /* an empty frame */
    "\x0bMSH|^~\\&|C|3\x1c\r";
static const char *const want[] = {"MSH|^~\\&|A|1\rPID|1\r", "MSH|^~\\&|B|2\r", "",
                                   "MSH|^~\\&|C|3"};

static void check_result(const struct result *r, const struct hl7_mllp_deframer *d)
{
    size_t i;
    assert_int_equal(r->n, 4);
    for (i = 0; i < 4U; i++) {
        assert_int_equal(r->lens[i], strlen(want[i]));
        assert_memory_equal(r->frames[i], want[i], r->lens[i]);
    }
    assert_int_equal(d->n_frames, 4);
    assert_int_equal(d->n_discarded, 8);
    assert_int_equal(d->n_missing_cr, 0);
    assert_false(hl7_mllp_in_frame(d));
}

static void test_all_at_once(void **state)
{
    char buf[256];
    struct hl7_mllp_deframer d;
    struct result r;
    size_t all = sizeof stream - 1U;
    (void)state;
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    feed_chunks(&d, stream, sizeof stream - 1U, &all, 1, &r);
    check_result(&r, &d);
}

static void test_split_at_every_position(void **state)
{
    size_t cut;
    (void)state;
    for (cut = 1; cut < sizeof stream - 1U; cut++) {
        char buf[256];
        struct hl7_mllp_deframer d;
        struct result r;
        size_t sizes[2];
        sizes[0] = cut;
        sizes[1] = sizeof stream;
        hl7_mllp_deframer_init(&d, buf, sizeof buf);
        feed_chunks(&d, stream, sizeof stream - 1U, sizes, 2, &r);
        check_result(&r, &d);
    }
}

static void test_odd_chunkings(void **state)
{
    static const size_t patterns[][3] = {{1, 1, 1}, {2, 3, 5}, {7, 1, 13}, {17, 4, 1}};
    size_t p;
    (void)state;
    for (p = 0; p < sizeof patterns / sizeof patterns[0]; p++) {
        char buf[256];
        struct hl7_mllp_deframer d;
        struct result r;
        hl7_mllp_deframer_init(&d, buf, sizeof buf);
        feed_chunks(&d, stream, sizeof stream - 1U, patterns[p], 3, &r);
        check_result(&r, &d);
    }
}

static void test_oversize_then_recover(void **state)
{
    static const char s[] = "\x0b" "0123456789ABCDEF" "\x1c\r" "\x0bshort\x1c\r";
    char buf[8];
    struct hl7_mllp_deframer d;
    struct result r;
    size_t cut;
    (void)state;
    for (cut = 1; cut <= sizeof s - 1U; cut++) {
        size_t sizes[2];
        sizes[0] = cut;
        sizes[1] = sizeof s;
        hl7_mllp_deframer_init(&d, buf, sizeof buf);
        feed_chunks(&d, s, sizeof s - 1U, sizes, 2, &r);
        assert_int_equal(r.n_too_large, 1);
        assert_int_equal(d.n_oversize, 1);
        assert_int_equal(d.n_discarded, 16);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.lens[0], 5);
        assert_memory_equal(r.frames[0], "short", 5);
    }
    /* exactly cap bytes fit */
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    {
        static const char exact[] = "\x0b" "12345678" "\x1c\r";
        size_t all = sizeof exact - 1U;
        feed_chunks(&d, exact, sizeof exact - 1U, &all, 1, &r);
        assert_int_equal(r.n, 1);
        assert_int_equal(r.lens[0], 8);
        assert_int_equal(r.n_too_large, 0);
    }
}

static void test_fs_without_cr(void **state)
{
    static const char s[] = "\x0b" "one" "\x1c" "\x0b" "two" "\x1c\r" "\x0b" "three" "\x1c" "z";
    char buf[64];
    struct hl7_mllp_deframer d;
    struct result r;
    size_t all = sizeof s - 1U;
    (void)state;
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    feed_chunks(&d, s, sizeof s - 1U, &all, 1, &r);
    assert_int_equal(r.n, 3);
    assert_memory_equal(r.frames[0], "one", 3);
    assert_memory_equal(r.frames[1], "two", 3);
    assert_memory_equal(r.frames[2], "three", 5);
    assert_int_equal(d.n_missing_cr, 2);
    assert_int_equal(d.n_discarded, 1); /* the 'z' */
}

static void test_vt_inside_frame(void **state)
{
    static const char s[] = "\x0b" "half a mess" "\x0b" "whole" "\x1c\r";
    char buf[64];
    struct hl7_mllp_deframer d;
    struct result r;
    size_t all = sizeof s - 1U;
    (void)state;
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    feed_chunks(&d, s, sizeof s - 1U, &all, 1, &r);
    assert_int_equal(r.n, 1);
    assert_memory_equal(r.frames[0], "whole", 5);
    assert_int_equal(d.n_aborted, 1);
    assert_int_equal(d.n_discarded, 11);
}

static void test_idle_timeout(void **state)
{
    char buf[64];
    struct hl7_mllp_deframer d;
    size_t used;
    hl7_mllp_event ev;
    struct hl7_view f;
    (void)state;
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    assert_false(hl7_mllp_idle_expired(&d, 10000, 100)); /* not in a frame */
    assert_int_equal(hl7_mllp_feed(&d, "\x0bpart", 5, 1000, &used, &ev, &f), HL7_OK);
    assert_int_equal(ev, HL7_MLLP_NEED_MORE);
    assert_true(hl7_mllp_in_frame(&d));
    assert_false(hl7_mllp_idle_expired(&d, 1099, 100));
    assert_true(hl7_mllp_idle_expired(&d, 1100, 100));
    assert_int_equal(hl7_mllp_feed(&d, "ial", 3, 1090, &used, &ev, &f), HL7_OK);
    assert_false(hl7_mllp_idle_expired(&d, 1100, 100));
    hl7_mllp_abort_frame(&d);
    assert_false(hl7_mllp_in_frame(&d));
    assert_int_equal(d.n_aborted, 1);
    assert_int_equal(d.n_discarded, 7);
    /* the rest of the abandoned frame is junk now; the next frame is whole */
    assert_int_equal(hl7_mllp_feed(&d, "rest\x1c\r\x0bnew\x1c\r", 12, 2000, &used, &ev, &f), HL7_OK);
    assert_int_equal(ev, HL7_MLLP_FRAME); /* "rest" FS CR are junk outside a frame */
    assert_int_equal(f.len, 3);
    assert_memory_equal(f.ptr, "new", 3);
    assert_int_equal(used, 11);
    assert_int_equal(d.n_frames, 1);
    assert_int_equal(d.n_discarded, 7 + 6);
}

static void test_framer(void **state)
{
    char out[32];
    size_t n;
    char buf[32];
    struct hl7_mllp_deframer d;
    size_t used;
    hl7_mllp_event ev;
    struct hl7_view f;
    (void)state;
    assert_int_equal(hl7_mllp_frame("MSH|x\r", 6, out, sizeof out, &n), HL7_OK);
    assert_int_equal(n, 9);
    assert_memory_equal(out, "\x0bMSH|x\r\x1c\r", 9);
    hl7_mllp_deframer_init(&d, buf, sizeof buf);
    assert_int_equal(hl7_mllp_feed(&d, out, n, 0, &used, &ev, &f), HL7_OK);
    assert_int_equal(ev, HL7_MLLP_FRAME);
    assert_int_equal(f.len, 6);
    assert_memory_equal(f.ptr, "MSH|x\r", 6);
    assert_int_equal(hl7_mllp_frame("a\x0b", 2, out, sizeof out, &n), HL7_ERR_FRAMING);
    assert_int_equal(hl7_mllp_frame("a\x1c", 2, out, sizeof out, &n), HL7_ERR_FRAMING);
    assert_int_equal(hl7_mllp_frame("abc", 3, out, 5, &n), HL7_ERR_FULL);
    assert_int_equal(hl7_mllp_frame("abc", 3, out, 6, &n), HL7_OK);
    assert_int_equal(hl7_mllp_frame("", 0, out, 2, &n), HL7_ERR_FULL);
    assert_int_equal(hl7_mllp_frame(NULL, 1, out, 6, &n), HL7_ERR_INVAL);
    assert_int_equal(hl7_mllp_feed(NULL, "a", 1, 0, &used, &ev, &f), HL7_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_at_once),
        cmocka_unit_test(test_split_at_every_position),
        cmocka_unit_test(test_odd_chunkings),
        cmocka_unit_test(test_oversize_then_recover),
        cmocka_unit_test(test_fs_without_cr),
        cmocka_unit_test(test_vt_inside_frame),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_framer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
