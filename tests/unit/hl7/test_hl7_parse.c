/*
 * test_hl7_parse.c - the parser's API: limits, caller storage, error positions, accessors, and a
 * property test against a naive reference splitter (the SIMD scan must find exactly the same
 * segments and fields at every length and alignment).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7_test_util.h"

static struct t_storage *st_;

static const char base[] = "MSH|^~\\&|A|B|C|D|20260101+0000||ORU^R01|X1|P|2.6\r";

/* ---- limits ------------------------------------------------------------------------------------ */

static void test_message_too_large(void **state)
{
    size_t len = HL7_MAX_MESSAGE_BYTES + 1U;
    char *buf = malloc(len);
    struct hl7_msg m;
    struct hl7_error err;
    (void)state;
    assert_non_null(buf);
    memset(buf, 'A', len);
    memcpy(buf, base, sizeof base - 1U);
    assert_int_equal(t_parse(st_, &m, buf, len, &err), HL7_ERR_TOO_LARGE);
    assert_int_equal(err.code, HL7_ERR_TOO_LARGE);
    assert_int_equal(hl7_segment_count(&m), 0);
    /* exactly at the limit: not too large (it fails later, on the segment id) */
    assert_int_equal(t_parse(st_, &m, buf, len - 1U, &err), HL7_ERR_SEGMENT_ID);
    free(buf);
}

static char *many_segments(size_t n_extra, size_t *len)
{
    size_t cap = sizeof base + n_extra * 4U;
    char *buf = malloc(cap);
    size_t i;
    assert_non_null(buf);
    memcpy(buf, base, sizeof base - 1U);
    *len = sizeof base - 1U;
    for (i = 0; i < n_extra; i++) {
        memcpy(buf + *len, "PV1\r", 4);
        *len += 4U;
    }
    return buf;
}

static void test_segment_limit(void **state)
{
    size_t len;
    char *buf = many_segments(HL7_MAX_SEGMENTS - 1U, &len);
    struct hl7_msg m;
    struct hl7_error err;
    (void)state;
    assert_int_equal(t_parse(st_, &m, buf, len, &err), HL7_OK);
    assert_int_equal(hl7_segment_count(&m), HL7_MAX_SEGMENTS);
    free(buf);
    buf = many_segments(HL7_MAX_SEGMENTS, &len);
    assert_int_equal(t_parse(st_, &m, buf, len, &err), HL7_ERR_TOO_MANY_SEGMENTS);
    assert_int_equal(err.segment, HL7_MAX_SEGMENTS + 1U);
    assert_int_equal(err.offset, len - 4U);
    assert_string_equal(err.segment_id, "PV1");
    free(buf);
}

static void test_caller_storage_limits(void **state)
{
    struct hl7_segment segs[3];
    uint32_t seps[64];
    struct hl7_msg m;
    struct hl7_error err;
    const char msg[] = "MSH|^~\\&|A\rPID|1|2\rPV1|x\rOBX|1\r";
    size_t need_seps = 2 + 2 + 1 + 1;
    (void)state;

    hl7_msg_init(&m, segs, 3, seps, 64);
    assert_int_equal(hl7_parse(&m, msg, sizeof msg - 1U, &err), HL7_ERR_TOO_MANY_SEGMENTS);
    assert_int_equal(err.segment, 4);
    assert_int_equal(hl7_segment_count(&m), 0);

    hl7_msg_init(&m, st_->segs, 10, seps, need_seps);
    assert_int_equal(hl7_parse(&m, msg, sizeof msg - 1U, &err), HL7_OK);
    hl7_msg_init(&m, st_->segs, 10, seps, need_seps - 1U);
    assert_int_equal(hl7_parse(&m, msg, sizeof msg - 1U, &err), HL7_ERR_TOO_MANY_FIELDS);
    assert_int_equal(err.segment, 4);
    assert_int_equal(err.offset, (uint32_t)(strrchr(msg, '|') - msg));
    hl7_msg_init(&m, NULL, 10, NULL, 10);
    assert_int_equal(hl7_parse(&m, msg, sizeof msg - 1U, &err), HL7_ERR_TOO_MANY_FIELDS);
}

/* The separator array fills inside the 64-byte fast path too. */
static void test_storage_limit_in_long_block(void **state)
{
    char msg[512];
    size_t len;
    size_t need;
    size_t cap;
    struct hl7_msg m;
    uint32_t seps[400];
    (void)state;
    memcpy(msg, "MSH|^~\\&", 8);
    len = 8;
    while (len < 400U) {
        msg[len++] = '|';
    }
    need = len - 3U - 4U; /* every '|' from offset 3 except MSH-2's 4 bytes */
    for (cap = need - 70U; cap <= need; cap++) {
        hl7_msg_init(&m, st_->segs, 10, seps, cap);
        assert_int_equal(hl7_parse(&m, msg, len, NULL), (cap == need) ? HL7_OK : HL7_ERR_TOO_MANY_FIELDS);
    }
}

static void test_hostile_repetitions_and_fields(void **state)
{
    size_t len = HL7_MAX_MESSAGE_BYTES;
    char *buf = malloc(len);
    struct hl7_msg m;
    struct hl7_error err;
    struct hl7_view v;
    (void)state;
    assert_non_null(buf);
    /* 4 MiB of repetition separators in one field: parsed, then rejected by the check */
    memset(buf, '~', len);
    memcpy(buf, "MSH|^~\\&|", 9);
    assert_int_equal(t_parse(st_, &m, buf, len, &err), HL7_OK);
    assert_int_equal(hl7_msg_check(&m, &err), HL7_ERR_TOO_MANY_REPETITIONS);
    assert_int_equal(err.field, 3);
    assert_int_equal(err.offset, 9U + HL7_MAX_REPETITIONS - 1U);
    assert_int_equal(hl7_get(&m, 0, 3, HL7_MAX_REPETITIONS + 1U, 1, 0, &v),
                     HL7_ERR_TOO_MANY_REPETITIONS);
    assert_int_equal(hl7_get(&m, 0, 3, HL7_MAX_REPETITIONS, 1, 0, &v), HL7_OK);
    /* 4 MiB of field separators: too many fields */
    memset(buf, '|', len);
    memcpy(buf, "MSH|^~\\&|", 9);
    assert_int_equal(t_parse(st_, &m, buf, len, &err), HL7_ERR_TOO_MANY_FIELDS);
    assert_int_equal(err.field, HL7_MAX_FIELDS + 1U);
    free(buf);
}

/* ---- accessors ------------------------------------------------------------------------------- */

static void test_msh_numbering_and_atomic(void **state)
{
    static const char msg[] = "MSH|^~\\&|APP|FAC\rPID|a~b|c^d&e\r";
    struct hl7_msg m;
    struct hl7_view v;
    (void)state;
    assert_int_equal(t_parse(st_, &m, msg, sizeof msg - 1U, NULL), HL7_OK);
    assert_true(t_view_is(hl7_field(&m, 0, 1), "|"));
    assert_true(t_view_is(hl7_field(&m, 0, 2), "^~\\&"));
    assert_true(t_view_is(hl7_field(&m, 0, 3), "APP"));
    assert_int_equal(hl7_field_count(&m, 0), 4);
    /* MSH-2 is never split: its component 1 is the whole, component 2 is absent */
    assert_int_equal(hl7_get(&m, 0, 2, 1, 1, 1, &v), HL7_OK);
    assert_true(t_view_is(v, "^~\\&"));
    assert_int_equal(hl7_get(&m, 0, 2, 1, 2, 0, &v), HL7_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(hl7_get(&m, 0, 2, 2, 0, 0, &v), HL7_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(hl7_get(&m, 0, 1, 0, 0, 0, &v), HL7_OK);
    assert_true(t_view_is(v, "|"));
    /* MSH-2 contains the escape character; the deep check must not read it as an escape */
    assert_int_equal(hl7_msg_check(&m, NULL), HL7_OK);
    /* other segments: SEG-1 is the first field after the id */
    assert_true(t_view_is(hl7_field(&m, 1, 1), "a~b"));
    assert_int_equal(hl7_get(&m, 1, 1, 2, 0, 0, &v), HL7_OK);
    assert_true(t_view_is(v, "b"));
    assert_int_equal(hl7_get(&m, 1, 2, 0, 2, 2, &v), HL7_OK);
    assert_true(t_view_is(v, "e"));
    assert_int_equal(hl7_get(&m, 1, 0, 0, 0, 0, &v), HL7_ERR_INVAL);
    assert_int_equal(hl7_get(&m, 2, 1, 0, 0, 0, &v), HL7_ERR_INVAL);
    assert_int_equal(hl7_get(&m, 1, 1, 1, 0, 1, &v), HL7_ERR_INVAL);
    assert_int_equal(hl7_field(&m, 1, 3).len, 0);
    assert_int_equal(hl7_field(&m, 9, 1).len, 0);
    assert_int_equal(hl7_segment_id(&m, 9).len, 0);
    assert_true(t_view_is(hl7_segment_text(&m, 1), "PID|a~b|c^d&e"));
    assert_true(hl7_segment_is(&m, 1, "PID"));
    assert_false(hl7_segment_is(&m, 1, "PI"));
    assert_false(hl7_segment_is(&m, 1, "PIDX"));
    assert_int_equal(hl7_find_segment(&m, "PID", 0), 1);
    assert_int_equal(hl7_find_segment(&m, "PID", 2), 2);
    assert_int_equal(hl7_find_segment(&m, "OBX", 0), 2);
}

static void test_paths(void **state)
{
    static const char msg[] = "MSH|^~\\&|APP\rOBX|1|a\rOBX|2|b~c^d&e\r";
    struct hl7_msg m;
    struct hl7_view v;
    static const char *const bad[] = {"OBX", "OBX-", "OBX-0", "obx-1", "OBX-1.", "OBX-1(0)",
                                      "OBX(0)-1", "OBX-1.1.", "OBX-1x", "OBX-2(1", "OB-1",
                                      "OBX-99999", "OBX-1.0", "OBX-1.1.0", ""};
    size_t i;
    (void)state;
    assert_int_equal(t_parse(st_, &m, msg, sizeof msg - 1U, NULL), HL7_OK);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hl7_get_path(&m, bad[i], &v), HL7_ERR_PATH);
    }
    assert_int_equal(hl7_get_path(&m, "PID-1", &v), HL7_ERR_NOT_FOUND);
    assert_int_equal(hl7_get_path(&m, "OBX(3)-1", &v), HL7_ERR_NOT_FOUND);
    assert_int_equal(hl7_get_path(&m, "OBX(2)-2(2).2.2", &v), HL7_OK);
    assert_true(t_view_is(v, "e"));
    assert_int_equal(hl7_get_path(&m, "OBX(2)-2", &v), HL7_OK);
    assert_true(t_view_is(v, "b~c^d&e"));
    assert_int_equal(hl7_get_path(&m, "OBX(2)-2.1", &v), HL7_OK);
    assert_true(t_view_is(v, "b"));
    assert_int_equal(hl7_get_path(&m, "OBX-2", &v), HL7_OK);
    assert_true(t_view_is(v, "a"));
    assert_int_equal(hl7_get_path(&m, "MSH-3", &v), HL7_OK);
    assert_true(t_view_is(v, "APP"));
}

static void test_split_count_piece(void **state)
{
    struct hl7_split it;
    struct hl7_view v = {"a^^b^", 5};
    struct hl7_view p;
    struct hl7_view empty = {NULL, 0};
    const char *want[] = {"a", "", "b", ""};
    size_t n = 0;
    (void)state;
    hl7_split_init(&it, v, '^');
    while (hl7_split_next(&it, &p)) {
        assert_true(n < 4U);
        assert_true(t_view_is(p, want[n]));
        n++;
    }
    assert_int_equal(n, 4);
    assert_false(hl7_split_next(&it, &p));
    hl7_split_init(&it, empty, '^');
    assert_false(hl7_split_next(&it, &p));
    assert_int_equal(hl7_count(v, '^'), 4);
    assert_int_equal(hl7_count(empty, '^'), 0);
    assert_true(t_view_is(hl7_piece(v, '^', 3), "b"));
    assert_int_equal(hl7_piece(v, '^', 5).len, 0);
    assert_int_equal(hl7_piece(v, '^', 0).len, 0);
    assert_true(hl7_is_null((struct hl7_view){"\"\"", 2}));
    assert_false(hl7_is_null((struct hl7_view){"\"\"\"", 3}));
    assert_false(hl7_is_null(empty));
}

static void test_failure_leaves_message_empty(void **state)
{
    static const char good[] = "MSH|^~\\&|A\rPID|1\r";
    static const char bad[] = "MSH|^~\\&|A\rPID|1\rP|x\r";
    struct hl7_msg m;
    struct hl7_error err;
    (void)state;
    assert_int_equal(t_parse(st_, &m, good, sizeof good - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_segment_count(&m), 2);
    assert_int_equal(hl7_parse(&m, bad, sizeof bad - 1U, &err), HL7_ERR_SEGMENT_ID);
    assert_int_equal(hl7_segment_count(&m), 0);
    assert_int_equal(hl7_field(&m, 0, 1).len, 0);
    assert_int_equal(err.segment, 3);
    assert_int_equal(err.offset, 17);
    assert_string_equal(err.segment_id, "");
    assert_int_equal(hl7_parse(NULL, good, 3, &err), HL7_ERR_INVAL);
    assert_int_equal(hl7_parse(&m, NULL, 3, &err), HL7_ERR_INVAL);
    assert_int_equal(hl7_parse(&m, NULL, 0, &err), HL7_ERR_EMPTY);
    assert_int_equal(hl7_msg_check(&m, &err), HL7_ERR_INVAL);
}

static void test_status_strings(void **state)
{
    int s;
    (void)state;
    for (s = 0; s <= (int)HL7_ERR_FRAMING; s++) {
        const char *t = hl7_status_str((hl7_status)s);
        assert_non_null(t);
        assert_string_not_equal(t, "unknown status");
    }
    assert_string_equal(hl7_status_str((hl7_status)99), "unknown status");
}

/* ---- property: the indexer against a naive splitter ------------------------------------------ */

static uint64_t rng = 12345;
static unsigned rnd(unsigned n)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng >> 33) % n);
}

static void test_against_reference(void **state)
{
    static const char alphabet[] = "|||^~&\\\r\n\r\nAB1\x00\xff\x0b\x1c ";
    char buf[700];
    unsigned iter;
    (void)state;
    for (iter = 0; iter < 20000U; iter++) {
        size_t len = 0;
        size_t n_body = rnd(600);
        size_t i;
        size_t pos;
        size_t i_seg = 0;
        struct hl7_msg m;
        hl7_status st;

        memcpy(buf, "MSH|^~\\&|", 9);
        len = 9;
        /* a body of segments "XYZ|..." (or a bare "XYZ") with random content and terminators */
        while (len < 9U + n_body) {
            char c = alphabet[rnd(sizeof alphabet - 1U)];
            if ((c == '\r' || c == '\n') && len + 10U < sizeof buf) {
                buf[len++] = c;
                memcpy(buf + len, (rnd(4) == 0) ? "OBX" : "PID", 3);
                len += 3U;
                if (rnd(8) == 0) {
                    /* a segment that is only its id, then one more */
                    memcpy(buf + len, (rnd(2) == 0) ? "\rPV1" : "\nPV1", 4);
                    len += 4U;
                }
                buf[len++] = '|';
            } else {
                buf[len++] = c;
            }
        }
        st = t_parse(st_, &m, buf, len, NULL);
        assert_int_equal(st, HL7_OK);
        /* walk the lines naively and compare every segment and field */
        pos = 0;
        while (pos <= len) {
            size_t end = pos;
            size_t f;
            size_t fstart;
            size_t fnum;
            int is_msh;
            while (end < len && buf[end] != '\r' && buf[end] != '\n') {
                end++;
            }
            if (end > pos) {
                struct hl7_view id = hl7_segment_id(&m, i_seg);
                assert_true(i_seg < hl7_segment_count(&m));
                assert_true(id.ptr == buf + pos);
                is_msh = (i_seg == 0U);
                fnum = is_msh ? 2U : 1U;
                fstart = pos + 4U; /* after "MSH|" MSH-2 starts; after "PID|" PID-1 */
                if (end - pos == 3U) {
                    assert_int_equal(hl7_field_count(&m, i_seg), 0);
                } else {
                    for (f = fstart; f <= end; f++) {
                        if (f == end || buf[f] == '|') {
                            struct hl7_view v = hl7_field(&m, i_seg, fnum);
                            assert_int_equal(v.len, f - fstart);
                            if (v.len > 0U) {
                                assert_true(v.ptr == buf + fstart);
                            }
                            fnum++;
                            fstart = f + 1U;
                        }
                    }
                    assert_int_equal(hl7_field_count(&m, i_seg), fnum - 1U);
                }
                i_seg++;
            }
            pos = end + 1U;
        }
        assert_int_equal(i_seg, hl7_segment_count(&m));
        for (i = 0; i < i_seg; i++) {
            assert_true(hl7_segment_text(&m, i).len >= 3U);
        }
    }
}

/* ---- hl7_msg_check against the field-by-field reference ------------------------------------ */

/* The library's escape-sequence validator (hl7/hl7_internal.h, not included here: it poisons
 * malloc/free, which the tests use). */
size_t hl7__escape_len(const struct hl7_encoding *enc, const char *in, size_t len, size_t i);

/* The deep check as it was first written: every field from its first byte to its last. The
 * one-pass scan of hl7_msg_check must give the same status and the same error, field and offset. */
static hl7_status ref_msg_check(const struct hl7_msg *m, struct hl7_error *err)
{
    size_t i_seg;

    for (i_seg = 0; i_seg < hl7_segment_count(m); i_seg++) {
        size_t n_fields = hl7_field_count(m, i_seg);
        size_t first = hl7_segment_is(m, i_seg, "MSH") ? 3U : 1U;
        size_t f;

        for (f = first; f <= n_fields; f++) {
            struct hl7_view v = hl7_field(m, i_seg, f);
            size_t n_reps = 1;
            size_t i = 0;

            while (i < v.len) {
                char c = v.ptr[i];
                if (c == m->enc.repetition) {
                    if (++n_reps > HL7_MAX_REPETITIONS) {
                        err->code = HL7_ERR_TOO_MANY_REPETITIONS;
                        err->segment = (uint32_t)(i_seg + 1U);
                        err->field = (uint32_t)f;
                        err->offset = (uint32_t)(v.ptr - m->buf + (ptrdiff_t)i);
                        return err->code;
                    }
                    i++;
                } else if (c == m->enc.escape) {
                    size_t l = hl7__escape_len(&m->enc, v.ptr, v.len, i);
                    if (l == 0U) {
                        err->code = HL7_ERR_ESCAPE;
                        err->segment = (uint32_t)(i_seg + 1U);
                        err->field = (uint32_t)f;
                        err->offset = (uint32_t)(v.ptr - m->buf + (ptrdiff_t)i);
                        return err->code;
                    }
                    i += l;
                } else {
                    i++;
                }
            }
        }
    }
    return HL7_OK;
}

static void check_same_as_reference(const struct hl7_msg *m)
{
    struct hl7_error got;
    struct hl7_error want;
    hl7_status st_got;
    hl7_status st_want;

    memset(&got, 0, sizeof got);
    memset(&want, 0, sizeof want);
    st_got = hl7_msg_check(m, &got);
    st_want = ref_msg_check(m, &want);
    assert_int_equal(st_got, st_want);
    if (st_want != HL7_OK) {
        struct hl7_view id = hl7_segment_id(m, want.segment - 1U);
        assert_int_equal(got.code, want.code);
        assert_int_equal(got.segment, want.segment);
        assert_int_equal(got.field, want.field);
        assert_int_equal(got.offset, want.offset);
        assert_int_equal(strlen(got.segment_id), 3);
        assert_memory_equal(got.segment_id, id.ptr, 3);
        assert_non_null(got.message);
    }
}

/* Random messages full of repetition separators, escape sequences good and bad (at field and
 * segment ends too), other delimiters, empty lines, at every length around the 64-byte blocks,
 * with the default and with unusual encoding characters. */
static void test_msg_check_against_reference(void **state)
{
    static const char *const pieces[] = {
        "~", "~", "~~", "\\", "\\F\\", "\\S\\", "\\T\\", "\\R\\", "\\E\\", "\\P\\", "\\H\\",
        "\\N\\", "\\X0D0A\\", "\\X0\\", "\\Xzz\\", "\\Zab\\", "\\Z\\", "\\C2842\\",
        "\\M1234\\", "\\.br\\", "\\.sp3\\", "\\Q\\", "\\\\", "\\F", "\\X", "|", "|", "^", "&",
        "\r", "\n", "\r\n", "abc", "12", " ", "\x01", "\xff", "x", "yz",
    };
    static const char *const encs[] = {"|^~\\&", "|^~\\&#", "#!$%@", "*:;/+"};
    char buf[1400];
    unsigned iter;
    size_t k;
    (void)state;

    for (iter = 0; iter < 40000U; iter++) {
        const char *e = encs[rnd(sizeof encs / sizeof encs[0])];
        size_t n_enc = strlen(e);
        size_t target = (iter % 3U == 0U) ? rnd(140) : rnd(1200);
        size_t len = 0;
        struct hl7_msg m;

        if (rnd(6) == 0) {
            buf[len++] = (rnd(2) == 0) ? '\r' : '\n';
        }
        memcpy(buf + len, "MSH", 3);
        len += 3U;
        memcpy(buf + len, e, n_enc);
        len += n_enc;
        if (rnd(5) != 0) {
            buf[len++] = e[0];
        }
        while (len < target) {
            const char *p = pieces[rnd(sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            size_t j;
            if (len + n + 4U >= sizeof buf) {
                break;
            }
            for (j = 0; j < n; j++) {
                /* the pieces are written with the default characters: map them */
                char c = p[j];
                c = (c == '|') ? e[0] : (c == '^') ? e[1] : (c == '~') ? e[2]
                    : (c == '\\') ? e[3] : (c == '&') ? e[4] : c;
                buf[len++] = c;
                if ((c == '\r' || c == '\n') && len + 4U < sizeof buf) {
                    memcpy(buf + len, (rnd(3) == 0) ? "OBX" : "PID", 3);
                    len += 3U;
                    if (rnd(6) != 0) {
                        buf[len++] = e[0];
                    }
                }
            }
        }
        if (rnd(4) == 0) {
            buf[len++] = '\r';
        }
        if (t_parse(st_, &m, buf, len, NULL) != HL7_OK) {
            continue; /* e.g. "PID" + "12" made an id of digits: nothing to check */
        }
        check_same_as_reference(&m);
    }
    /* The repetition limit, with an escape error after or before the 1001st repetition. */
    for (k = 0; k < 4U; k++) {
        static const char head[] = "MSH|^~\\&|A|B\rPID|1|";
        size_t len = sizeof head - 1U;
        size_t n_reps = (k < 2U) ? HL7_MAX_REPETITIONS : HL7_MAX_REPETITIONS - 1U;
        size_t j;
        struct hl7_msg m;
        char *big = malloc(len + 2U * HL7_MAX_REPETITIONS + 64U);
        assert_non_null(big);
        memcpy(big, head, len);
        if (k == 3U) {
            memcpy(big + len, "\\X1\\", 4); /* a bad escape first */
            len += 4U;
        }
        for (j = 0; j < n_reps; j++) {
            big[len++] = (j % 2U == 0U) ? 'a' : 'b';
            big[len++] = '~';
        }
        if (k == 1U || k == 2U) {
            memcpy(big + len, "\\Q\\", 3); /* a bad escape after the repetitions */
            len += 3U;
        }
        memcpy(big + len, "|x\r", 3);
        len += 3U;
        assert_int_equal(t_parse(st_, &m, big, len, NULL), HL7_OK);
        check_same_as_reference(&m);
        free(big);
    }
    /* MSH alone, MSH with only MSH-2, a bad escape in the last byte of the buffer. */
    {
        static const char *const small[] = {"MSH|^~\\&", "MSH|^~\\&|", "MSH|^~\\&|\\",
                                            "MSH|^~\\&|a\rPID|\\", "MSH|^~\\&|a\rPID|\\F",
                                            "MSH|^~\\&|a\rPID|\\F\\\r\rZZ1|~\\"};
        struct hl7_msg m;
        for (k = 0; k < sizeof small / sizeof small[0]; k++) {
            assert_int_equal(t_parse(st_, &m, small[k], strlen(small[k]), NULL), HL7_OK);
            check_same_as_reference(&m);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_too_large),
        cmocka_unit_test(test_segment_limit),
        cmocka_unit_test(test_caller_storage_limits),
        cmocka_unit_test(test_storage_limit_in_long_block),
        cmocka_unit_test(test_hostile_repetitions_and_fields),
        cmocka_unit_test(test_msh_numbering_and_atomic),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_split_count_piece),
        cmocka_unit_test(test_failure_leaves_message_empty),
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_msg_check_against_reference),
    };
    int rc;
    st_ = t_storage_new();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(st_);
    return rc;
}
