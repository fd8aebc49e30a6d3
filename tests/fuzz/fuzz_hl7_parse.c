/*
 * fuzz_hl7_parse.c - libFuzzer target for the HL7 v2 parser, escapes and builder.
 *
 * Besides "no crash": for every input that parses and passes the deep check,
 *   1. rebuilding it from its unescaped values with the builder and parsing the result gives the
 *      same tree (segments, fields, repetitions, components, subcomponents, values, nulls);
 *   2. hl7_unescape never writes past the capacity it is given (canary byte after it);
 *   3. hl7_get agrees with walking the tree by hand.
 * Any violation aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl7/hl7.h"

#define MAX_SEGS 4096U
#define MAX_SEPS 8192U
#define OUT_CAP (1U << 17)

static struct hl7_segment segs_a[MAX_SEGS];
static uint32_t seps_a[MAX_SEPS];
static struct hl7_segment segs_b[MAX_SEGS];
static uint32_t seps_b[MAX_SEPS];
static char rebuilt[OUT_CAP];
static char val_a[OUT_CAP];
static char val_b[OUT_CAP];

static void require(int cond)
{
    if (!cond) {
        abort();
    }
}

static size_t unescape_or_die(const struct hl7_msg *m, struct hl7_view v, char *out)
{
    size_t n = 0;
    require(hl7_unescape(&m->enc, v, HL7_UNESC_KEEP_FORMAT, out, OUT_CAP, &n, NULL) == HL7_OK);
    return n;
}

/* Rebuild every field of m from its unescaped primitives. */
static hl7_status rebuild(const struct hl7_msg *m, size_t *len)
{
    struct hl7_builder b;
    size_t i_seg;

    require(hl7_builder_init(&b, rebuilt, OUT_CAP, &m->enc) == HL7_OK);
    for (i_seg = 0; i_seg < hl7_segment_count(m); i_seg++) {
        struct hl7_view id = hl7_segment_id(m, i_seg);
        char id_z[4];
        size_t f;
        size_t first = (i_seg == 0U) ? 3U : 1U;
        memcpy(id_z, id.ptr, 3);
        id_z[3] = '\0';
        (void)hl7_build_segment(&b, id_z);
        if (i_seg == 0U && hl7_field_count(m, 0) < 2U) {
            continue;
        }
        for (f = first; f <= hl7_field_count(m, i_seg); f++) {
            struct hl7_view fv = hl7_field(m, i_seg, f);
            size_t r;
            size_t n_r = hl7_count(fv, m->enc.repetition);
            if (n_r == 0U) {
                (void)hl7_build_field(&b, "", 0);
            }
            for (r = 1; r <= n_r; r++) {
                struct hl7_view rv = hl7_piece(fv, m->enc.repetition, r);
                size_t n_c = hl7_count(rv, m->enc.component);
                size_t c;
                if (n_c == 0U) {
                    (void)((r == 1U) ? hl7_build_field(&b, "", 0) : hl7_build_repetition(&b, "", 0));
                }
                for (c = 1; c <= n_c; c++) {
                    struct hl7_view cv = hl7_piece(rv, m->enc.component, c);
                    size_t n_s = hl7_count(cv, m->enc.subcomponent);
                    size_t s;
                    if (n_s == 0U) {
                        if (c == 1U) {
                            (void)((r == 1U) ? hl7_build_field(&b, "", 0)
                                             : hl7_build_repetition(&b, "", 0));
                        } else {
                            (void)hl7_build_component(&b, "", 0);
                        }
                    }
                    for (s = 1; s <= n_s; s++) {
                        struct hl7_view sv = hl7_piece(cv, m->enc.subcomponent, s);
                        size_t n = unescape_or_die(m, sv, val_a);
                        if (s > 1U) {
                            (void)hl7_build_subcomponent(&b, val_a, n);
                        } else if (c > 1U) {
                            (void)hl7_build_component(&b, val_a, n);
                        } else if (r > 1U) {
                            (void)hl7_build_repetition(&b, val_a, n);
                        } else {
                            (void)hl7_build_field(&b, val_a, n);
                        }
                    }
                }
            }
        }
    }
    return hl7_build_finish(&b, len);
}

/* The same tree, value by value. */
static void compare(const struct hl7_msg *a, const struct hl7_msg *b)
{
    size_t i_seg;

    require(hl7_segment_count(a) == hl7_segment_count(b));
    for (i_seg = 0; i_seg < hl7_segment_count(a); i_seg++) {
        size_t f;
        size_t first = (i_seg == 0U) ? 3U : 1U;
        size_t n_f = hl7_field_count(a, i_seg);
        require(memcmp(hl7_segment_id(a, i_seg).ptr, hl7_segment_id(b, i_seg).ptr, 3) == 0);
        for (f = first; f <= n_f || f <= hl7_field_count(b, i_seg); f++) {
            struct hl7_split ra;
            struct hl7_split rb;
            struct hl7_view pa;
            struct hl7_view pb;
            hl7_split_init(&ra, hl7_field(a, i_seg, f), a->enc.repetition);
            hl7_split_init(&rb, hl7_field(b, i_seg, f), b->enc.repetition);
            /* an empty field and a missing one are the same thing */
            while (hl7_split_next(&ra, &pa)) {
                size_t c;
                size_t n_c;
                require(hl7_split_next(&rb, &pb));
                n_c = hl7_count(pa, a->enc.component);
                require(n_c == hl7_count(pb, b->enc.component));
                for (c = 1; c <= n_c; c++) {
                    struct hl7_view ca = hl7_piece(pa, a->enc.component, c);
                    struct hl7_view cb = hl7_piece(pb, b->enc.component, c);
                    size_t s;
                    size_t n_s = hl7_count(ca, a->enc.subcomponent);
                    require(n_s == hl7_count(cb, b->enc.subcomponent));
                    for (s = 1; s <= n_s; s++) {
                        struct hl7_view sa = hl7_piece(ca, a->enc.subcomponent, s);
                        struct hl7_view sb = hl7_piece(cb, b->enc.subcomponent, s);
                        size_t na = unescape_or_die(a, sa, val_a);
                        size_t nb = unescape_or_die(b, sb, val_b);
                        require(na == nb && memcmp(val_a, val_b, na) == 0);
                        require(hl7_is_null(sa) == hl7_is_null(sb));
                    }
                }
            }
            require(!hl7_split_next(&rb, &pb));
        }
    }
}

/* Unescape into every capacity up to the needed one: no write past cap. */
static void check_bounds(const struct hl7_msg *m, struct hl7_view v)
{
    static char out[512];
    size_t need;
    size_t cap;
    if (hl7_unescape(&m->enc, v, HL7_UNESC_RENDER_FORMAT, out, sizeof out - 1U, &need, NULL) !=
        HL7_OK) {
        return;
    }
    for (cap = 0; cap <= need && cap < 64U; cap++) {
        size_t n;
        out[cap] = '\x5a';
        (void)hl7_unescape(&m->enc, v, HL7_UNESC_RENDER_FORMAT, out, cap, &n, NULL);
        require(out[cap] == '\x5a');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct hl7_msg a;
    struct hl7_msg b;
    struct hl7_error err;
    const char *buf = (const char *)data;
    size_t len = 0;
    size_t i_seg;

    hl7_msg_init(&a, segs_a, MAX_SEGS, seps_a, MAX_SEPS);
    if (hl7_parse(&a, buf, size, &err) != HL7_OK) {
        require(hl7_segment_count(&a) == 0U && err.message != NULL && err.offset <= size);
        return 0;
    }
    /* every field, raw: bounds of the escape decoder, also on fields the check would reject */
    for (i_seg = 0; i_seg < hl7_segment_count(&a); i_seg++) {
        size_t f;
        for (f = 1; f <= hl7_field_count(&a, i_seg); f++) {
            struct hl7_view v = hl7_field(&a, i_seg, f);
            struct hl7_view g;
            require(v.len == 0U || (v.ptr >= buf && v.ptr + v.len <= buf + size));
            require(hl7_get(&a, i_seg, f, 0, 0, 0, &g) == HL7_OK && g.ptr == v.ptr && g.len == v.len);
            check_bounds(&a, v);
        }
    }
    if (hl7_msg_check(&a, &err) != HL7_OK) {
        require(err.offset < size);
        return 0;
    }
    if (rebuild(&a, &len) != HL7_OK) {
        return 0; /* more than OUT_CAP after escaping */
    }
    hl7_msg_init(&b, segs_b, MAX_SEGS, seps_b, MAX_SEPS);
    require(hl7_parse(&b, rebuilt, len, &err) == HL7_OK);
    require(hl7_msg_check(&b, &err) == HL7_OK);
    compare(&a, &b);
    return 0;
}
