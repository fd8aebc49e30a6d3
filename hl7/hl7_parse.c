/*
 * hl7_parse.c - the one-pass segment/field indexer and the lazy accessors.
 *
 * Contract: see include/hl7/hl7.h.
 *
 * Why only segments and fields are indexed: a receiver reads a handful of fields per message
 * (MSH-9, MSH-10, a few OBX-5) out of hundreds, so splitting every field into repetitions,
 * components and subcomponents up front would cost more than the whole scan. Finding the three
 * bytes that matter at this level (field separator, CR, LF) is done 64 bytes at a time with SSE2
 * compares and bit masks where available, with a byte loop as the portable path.
 */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define HL7_HAVE_SSE2 1
#else
#define HL7_HAVE_SSE2 0
#endif

#include "hl7_internal.h"

static struct hl7_view view_of(const char *p, size_t n)
{
    struct hl7_view v;
    v.ptr = (n > 0) ? p : NULL;
    v.len = n;
    return v;
}

static const struct hl7_view empty_view = {NULL, 0};

void hl7__set_error(struct hl7_error *err, hl7_status code, const struct hl7_msg *m,
                    size_t i_seg, uint32_t field, size_t offset, const char *message)
{
    if (err == NULL) {
        return;
    }
    err->code = code;
    err->segment = (uint32_t)(i_seg + 1U);
    err->field = field;
    err->offset = (uint32_t)offset;
    err->segment_id[0] = '\0';
    if (m != NULL && m->buf != NULL && i_seg < m->n_segs) {
        const struct hl7_segment *s = &m->segs[i_seg];
        if (s->len >= 3U) {
            memcpy(err->segment_id, m->buf + s->offset, 3);
            err->segment_id[3] = '\0';
        }
    }
    err->message = message;
}

/* An error found while scanning: the segment is not stored yet, so name it from the buffer. */
static void scan_error(struct hl7_error *err, hl7_status code, const char *buf, size_t seg_start,
                       size_t seg_len, size_t n_segs, uint32_t field, size_t offset,
                       const char *message)
{
    size_t i;

    if (err == NULL) {
        return;
    }
    err->code = code;
    err->segment = (uint32_t)(n_segs + 1U);
    err->field = field;
    err->offset = (uint32_t)offset;
    err->segment_id[0] = '\0';
    if (seg_len >= 3U) {
        for (i = 0; i < 3U; i++) {
            /* Only printable ids are echoed; a binary id would garble the message. */
            char c = buf[seg_start + i];
            err->segment_id[i] = (c >= 0x21 && c <= 0x7E) ? c : '?';
        }
        err->segment_id[3] = '\0';
    }
    err->message = message;
}

void hl7_msg_init(struct hl7_msg *m, struct hl7_segment *segs, size_t cap_segs, uint32_t *seps,
                  size_t cap_seps)
{
    if (m == NULL) {
        return;
    }
    memset(m, 0, sizeof *m);
    m->segs = segs;
    m->cap_segs = (segs != NULL) ? cap_segs : 0U;
    m->seps = seps;
    m->cap_seps = (seps != NULL) ? cap_seps : 0U;
}

/* ---- the scan -------------------------------------------------------------------------------- */

struct scan {
    struct hl7_msg *m;
    const char *buf;
    size_t seg_start;  /* first byte of the current segment */
    size_t seg_i_sep;  /* n_seps when the current segment began */
    size_t n_seps;
    size_t cap_seps;
    uint32_t *seps;
    struct hl7_error *err;
};

/* The current segment ends at `end` (its terminator or the end of the buffer). */
static hl7_status close_segment(struct scan *sc, size_t end)
{
    struct hl7_msg *m = sc->m;
    size_t start = sc->seg_start;
    size_t len = end - start;
    size_t n_seps = sc->n_seps - sc->seg_i_sep;
    struct hl7_segment *s;

    if (len == 0U) {
        return HL7_OK; /* an empty line (or the LF of a CRLF): skipped */
    }
    if (len < 3U || !hl7__segment_id_ok(sc->buf + start) ||
        (n_seps == 0U ? len != 3U : sc->seps[sc->seg_i_sep] != start + 3U)) {
        /* No id to name: the bytes there are not one. */
        scan_error(sc->err, HL7_ERR_SEGMENT_ID, sc->buf, start, 0U, m->n_segs, 0, start,
                   "segment does not start with a 3-character segment id and a field separator");
        return HL7_ERR_SEGMENT_ID;
    }
    if (m->n_segs > 0U && memcmp(sc->buf + start, "MSH", 3) == 0) {
        scan_error(sc->err, HL7_ERR_SECOND_MSH, sc->buf, start, len, m->n_segs, 0, start,
                   "a second MSH segment: one message expected");
        return HL7_ERR_SECOND_MSH;
    }
    if (n_seps > HL7_MAX_FIELDS) {
        scan_error(sc->err, HL7_ERR_TOO_MANY_FIELDS, sc->buf, start, len, m->n_segs,
                   HL7_MAX_FIELDS + 1U, sc->seps[sc->seg_i_sep + HL7_MAX_FIELDS] + 1U,
                   "more fields in one segment than the limit");
        return HL7_ERR_TOO_MANY_FIELDS;
    }
    if (m->n_segs >= m->cap_segs || m->n_segs >= HL7_MAX_SEGMENTS) {
        scan_error(sc->err, HL7_ERR_TOO_MANY_SEGMENTS, sc->buf, start, len, m->n_segs, 0, start,
                   "more segments than the limit");
        return HL7_ERR_TOO_MANY_SEGMENTS;
    }
    s = &m->segs[m->n_segs];
    s->offset = (uint32_t)start;
    s->len = (uint32_t)len;
    s->i_sep = (uint32_t)sc->seg_i_sep;
    s->n_seps = (uint32_t)n_seps;
    m->n_segs++;
    return HL7_OK;
}

static hl7_status sep_overflow(struct scan *sc, size_t pos)
{
    scan_error(sc->err, HL7_ERR_TOO_MANY_FIELDS, sc->buf, sc->seg_start, pos - sc->seg_start,
               sc->m->n_segs, (uint32_t)(sc->n_seps - sc->seg_i_sep + 1U), pos,
               "more field separators than the caller's storage holds");
    return HL7_ERR_TOO_MANY_FIELDS;
}

/* Store the separators at the set bits of mf (positions base + bit), in order. */
static inline hl7_status put_seps(struct scan *sc, size_t base, uint64_t mf)
{
    if (sc->cap_seps - sc->n_seps >= 64U) {
        /* The common case: room for a whole block, no check per separator. */
        uint32_t *out = sc->seps + sc->n_seps;
        size_t n = 0;
        while (mf != 0U) {
            out[n++] = (uint32_t)(base + (size_t)__builtin_ctzll(mf));
            mf &= mf - 1U;
        }
        sc->n_seps += n;
        return HL7_OK;
    }
    while (mf != 0U) {
        size_t pos = base + (size_t)__builtin_ctzll(mf);
        if (sc->n_seps >= sc->cap_seps) {
            return sep_overflow(sc, pos);
        }
        sc->seps[sc->n_seps++] = (uint32_t)pos;
        mf &= mf - 1U;
    }
    return HL7_OK;
}

/* Handle one block: bit i of mf / mt set when byte base+i is a field separator / terminator.
 * Segment by segment: the separators before each terminator, then the terminator (the same
 * order, so the same first error, as taking the bytes one by one). */
static hl7_status take_block(struct scan *sc, size_t base, uint64_t mf, uint64_t mt)
{
    hl7_status st;

    while (mt != 0U) {
        unsigned b = (unsigned)__builtin_ctzll(mt);
        uint64_t before = mf & ((UINT64_C(1) << b) - 1U);
        size_t pos = base + b;

        st = put_seps(sc, base, before);
        if (st != HL7_OK) {
            return st;
        }
        mf ^= before;
        st = close_segment(sc, pos);
        if (st != HL7_OK) {
            return st;
        }
        sc->seg_start = pos + 1U;
        sc->seg_i_sep = sc->n_seps;
        mt &= mt - 1U;
    }
    return put_seps(sc, base, mf);
}

#if HL7_HAVE_SSE2
static void block_masks(const char *p, char fs, uint64_t *mf, uint64_t *mt)
{
    const __m128i vf = _mm_set1_epi8(fs);
    const __m128i vcr = _mm_set1_epi8('\r');
    const __m128i vlf = _mm_set1_epi8('\n');
    const __m128i x0 = _mm_loadu_si128((const void *)p);
    const __m128i x1 = _mm_loadu_si128((const void *)(p + 16));
    const __m128i x2 = _mm_loadu_si128((const void *)(p + 32));
    const __m128i x3 = _mm_loadu_si128((const void *)(p + 48));

    /* Written out (not a loop over k): the compiler then keeps everything in registers. */
    *mf = (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x0, vf)) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x1, vf)) << 16) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x2, vf)) << 32) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x3, vf)) << 48);
    *mt = (uint64_t)(unsigned)_mm_movemask_epi8(
              _mm_or_si128(_mm_cmpeq_epi8(x0, vcr), _mm_cmpeq_epi8(x0, vlf))) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(
               _mm_or_si128(_mm_cmpeq_epi8(x1, vcr), _mm_cmpeq_epi8(x1, vlf))) << 16) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(
               _mm_or_si128(_mm_cmpeq_epi8(x2, vcr), _mm_cmpeq_epi8(x2, vlf))) << 32) |
          ((uint64_t)(unsigned)_mm_movemask_epi8(
               _mm_or_si128(_mm_cmpeq_epi8(x3, vcr), _mm_cmpeq_epi8(x3, vlf))) << 48);
}
#endif

/* Portable masks for n <= 64 bytes (the tail, or every block without SSE2). */
static void byte_masks(const char *p, size_t n, char fs, uint64_t *mf, uint64_t *mt)
{
    uint64_t f = 0;
    uint64_t t = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char c = p[i];
        f |= (uint64_t)(c == fs) << i;
        t |= (uint64_t)(c == '\r' || c == '\n') << i;
    }
    *mf = f;
    *mt = t;
}

static hl7_status scan_all(struct scan *sc, size_t from, size_t len, char fs)
{
    size_t pos = from;
    uint64_t mf;
    uint64_t mt;
    hl7_status st;

    while (len - pos >= 64U) {
#if HL7_HAVE_SSE2
        block_masks(sc->buf + pos, fs, &mf, &mt);
#else
        byte_masks(sc->buf + pos, 64U, fs, &mf, &mt);
#endif
        st = take_block(sc, pos, mf, mt);
        if (st != HL7_OK) {
            return st;
        }
        pos += 64U;
    }
    if (pos < len) {
        byte_masks(sc->buf + pos, len - pos, fs, &mf, &mt);
        st = take_block(sc, pos, mf, mt);
        if (st != HL7_OK) {
            return st;
        }
    }
    return close_segment(sc, len);
}

hl7_status hl7_encoding_check(const struct hl7_encoding *enc)
{
    char c[6];
    size_t n;
    size_t i;
    size_t j;

    if (enc == NULL) {
        return HL7_ERR_ENCODING;
    }
    c[0] = enc->field;
    c[1] = enc->component;
    c[2] = enc->repetition;
    c[3] = enc->escape;
    c[4] = enc->subcomponent;
    c[5] = enc->truncation;
    n = (enc->truncation == '\0') ? 5U : 6U;
    for (i = 0; i < n; i++) {
        char x = c[i];
        /* '"' is excluded too: "" is the null value and must stay two plain quotes. */
        if (x < 0x21 || x > 0x7E || x == '"' || (x >= '0' && x <= '9') || (x >= 'A' && x <= 'Z') ||
            (x >= 'a' && x <= 'z')) {
            return HL7_ERR_ENCODING;
        }
        for (j = 0; j < i; j++) {
            if (c[j] == x) {
                return HL7_ERR_ENCODING;
            }
        }
    }
    return HL7_OK;
}

static void reset_msg(struct hl7_msg *m)
{
    m->buf = NULL;
    m->len = 0;
    m->n_segs = 0;
    m->n_seps = 0;
}

hl7_status hl7_parse(struct hl7_msg *m, const char *buf, size_t len, struct hl7_error *err)
{
    struct scan sc;
    struct hl7_encoding enc;
    size_t start = 0;
    size_t e;
    hl7_status st;

    if (m == NULL || (buf == NULL && len > 0U)) {
        hl7__set_error(err, HL7_ERR_INVAL, NULL, SIZE_MAX, 0, 0, "invalid argument");
        return HL7_ERR_INVAL;
    }
    reset_msg(m);
    if (len > HL7_MAX_MESSAGE_BYTES) {
        hl7__set_error(err, HL7_ERR_TOO_LARGE, NULL, SIZE_MAX, 0, HL7_MAX_MESSAGE_BYTES,
                       "message longer than the limit");
        return HL7_ERR_TOO_LARGE;
    }
    while (start < len && (buf[start] == '\r' || buf[start] == '\n')) {
        start++;
    }
    if (start == len) {
        hl7__set_error(err, HL7_ERR_EMPTY, NULL, SIZE_MAX, 0, start, "no segment in the input");
        return HL7_ERR_EMPTY;
    }
    if (len - start < 4U || memcmp(buf + start, "MSH", 3) != 0) {
        scan_error(err, HL7_ERR_NO_MSH, buf, start, (len - start >= 3U) ? 3U : 0U, 0, 0, start,
                   "the message does not start with an MSH segment");
        return HL7_ERR_NO_MSH;
    }
    /* MSH-1 is the byte after "MSH"; MSH-2 runs to the next field separator. */
    enc.field = buf[start + 3U];
    e = start + 4U;
    while (e < len && buf[e] != enc.field && buf[e] != '\r' && buf[e] != '\n') {
        e++;
    }
    if (e - (start + 4U) != 4U && e - (start + 4U) != 5U) {
        scan_error(err, HL7_ERR_ENCODING, buf, start, 3U, 0, 2, start + 4U,
                   "MSH-2 must be 4 or 5 encoding characters");
        return HL7_ERR_ENCODING;
    }
    enc.component = buf[start + 4U];
    enc.repetition = buf[start + 5U];
    enc.escape = buf[start + 6U];
    enc.subcomponent = buf[start + 7U];
    enc.truncation = (e - (start + 4U) == 5U) ? buf[start + 8U] : '\0';
    if (hl7_encoding_check(&enc) != HL7_OK) {
        /* Name MSH-1 when the separator itself is unusable, else MSH-2. */
        bool sep_bad = enc.field < 0x21 || enc.field > 0x7E || enc.field == '"' ||
                       (enc.field >= '0' && enc.field <= '9') ||
                       (enc.field >= 'A' && enc.field <= 'Z') || (enc.field >= 'a' && enc.field <= 'z');
        scan_error(err, HL7_ERR_ENCODING, buf, start, 3U, 0, sep_bad ? 1U : 2U,
                   sep_bad ? start + 3U : start + 4U,
                   "MSH-1/MSH-2 encoding characters must be distinct, printable and not letters "
                   "or digits");
        return HL7_ERR_ENCODING;
    }
    m->enc = enc;
    sc.m = m;
    sc.buf = buf;
    sc.seg_start = start;
    sc.seg_i_sep = 0;
    sc.n_seps = 0;
    sc.cap_seps = m->cap_seps;
    sc.seps = m->seps;
    sc.err = err;
    m->buf = buf; /* for error naming; cleared again on failure */
    st = scan_all(&sc, start, len, enc.field);
    if (st != HL7_OK) {
        reset_msg(m);
        return st;
    }
    m->n_seps = sc.n_seps;
    m->len = len;
    return HL7_OK;
}

/* ---- accessors ------------------------------------------------------------------------------- */

size_t hl7_segment_count(const struct hl7_msg *m)
{
    return (m != NULL) ? m->n_segs : 0U;
}

struct hl7_view hl7_segment_id(const struct hl7_msg *m, size_t i_seg)
{
    if (m == NULL || i_seg >= m->n_segs) {
        return empty_view;
    }
    return view_of(m->buf + m->segs[i_seg].offset, 3U);
}

struct hl7_view hl7_segment_text(const struct hl7_msg *m, size_t i_seg)
{
    if (m == NULL || i_seg >= m->n_segs) {
        return empty_view;
    }
    return view_of(m->buf + m->segs[i_seg].offset, m->segs[i_seg].len);
}

bool hl7_segment_is(const struct hl7_msg *m, size_t i_seg, const char *id)
{
    if (m == NULL || id == NULL || i_seg >= m->n_segs) {
        return false;
    }
    return strlen(id) == 3U && memcmp(m->buf + m->segs[i_seg].offset, id, 3) == 0;
}

size_t hl7_find_segment(const struct hl7_msg *m, const char *id, size_t from)
{
    size_t i;

    if (m == NULL || id == NULL || strlen(id) != 3U) {
        return hl7_segment_count(m);
    }
    for (i = from; i < m->n_segs; i++) {
        const char *p = m->buf + m->segs[i].offset;
        if (p[0] == id[0] && p[1] == id[1] && p[2] == id[2]) {
            return i;
        }
    }
    return m->n_segs;
}

static bool seg_is_msh(const struct hl7_msg *m, const struct hl7_segment *s)
{
    const char *p = m->buf + s->offset;
    return p[0] == 'M' && p[1] == 'S' && p[2] == 'H';
}

size_t hl7_field_count(const struct hl7_msg *m, size_t i_seg)
{
    const struct hl7_segment *s;

    if (m == NULL || i_seg >= m->n_segs) {
        return 0U;
    }
    s = &m->segs[i_seg];
    return seg_is_msh(m, s) ? (size_t)s->n_seps + 1U : (size_t)s->n_seps;
}

/* The k-th field after the id (k >= 1): between separator k and separator k+1 (or the end). */
static struct hl7_view raw_field(const struct hl7_msg *m, const struct hl7_segment *s, size_t k)
{
    size_t start;
    size_t end;

    if (k == 0U || k > s->n_seps) {
        return empty_view;
    }
    start = (size_t)m->seps[s->i_sep + k - 1U] + 1U;
    end = (k < s->n_seps) ? (size_t)m->seps[s->i_sep + k] : (size_t)s->offset + s->len;
    return view_of(m->buf + start, end - start);
}

struct hl7_view hl7_field(const struct hl7_msg *m, size_t i_seg, size_t n)
{
    const struct hl7_segment *s;

    if (m == NULL || i_seg >= m->n_segs || n == 0U) {
        return empty_view;
    }
    s = &m->segs[i_seg];
    if (seg_is_msh(m, s)) {
        if (n == 1U) {
            return view_of(m->buf + s->offset + 3U, 1U); /* MSH-1 is the separator itself */
        }
        return raw_field(m, s, n - 1U);
    }
    return raw_field(m, s, n);
}

size_t hl7_count(struct hl7_view v, char sep)
{
    size_t n = 1;
    const char *p;
    const char *end;

    if (v.len == 0U) {
        return 0U; /* (and v.ptr may be NULL: no arithmetic on it) */
    }
    p = v.ptr;
    end = v.ptr + v.len;
    for (;;) {
        const char *q = memchr(p, sep, (size_t)(end - p));
        if (q == NULL) {
            return n;
        }
        n++;
        p = q + 1;
    }
}

struct hl7_view hl7_piece(struct hl7_view v, char sep, size_t n)
{
    const char *p;
    const char *end;
    const char *q;

    if (v.len == 0U || n == 0U) {
        return empty_view;
    }
    p = v.ptr;
    end = v.ptr + v.len;
    while (n > 1U) {
        q = memchr(p, sep, (size_t)(end - p));
        if (q == NULL) {
            return empty_view;
        }
        p = q + 1;
        n--;
    }
    q = memchr(p, sep, (size_t)(end - p));
    return view_of(p, (size_t)(((q != NULL) ? q : end) - p));
}

void hl7_split_init(struct hl7_split *it, struct hl7_view v, char sep)
{
    it->p = v.ptr;
    it->end = (v.len > 0U) ? v.ptr + v.len : v.ptr;
    it->sep = sep;
    it->done = (v.len == 0U);
}

bool hl7_split_next(struct hl7_split *it, struct hl7_view *piece)
{
    const char *q;

    if (it->done) {
        return false;
    }
    q = memchr(it->p, it->sep, (size_t)(it->end - it->p));
    if (q == NULL) {
        *piece = view_of(it->p, (size_t)(it->end - it->p));
        it->done = true;
        return true;
    }
    *piece = view_of(it->p, (size_t)(q - it->p));
    it->p = q + 1;
    return true;
}

bool hl7_is_null(struct hl7_view v)
{
    return v.len == 2U && v.ptr[0] == '"' && v.ptr[1] == '"';
}

bool hl7_view_eq(struct hl7_view v, const char *s)
{
    size_t n;

    if (s == NULL) {
        return false;
    }
    n = strlen(s);
    return n == v.len && (n == 0U || memcmp(v.ptr, s, n) == 0);
}

hl7_status hl7_get(const struct hl7_msg *m, size_t i_seg, size_t n, size_t rep, size_t comp,
                   size_t sub, struct hl7_view *out)
{
    const struct hl7_segment *s;
    struct hl7_view v;

    if (m == NULL || out == NULL || i_seg >= m->n_segs || n == 0U || (comp == 0U && sub > 0U)) {
        return HL7_ERR_INVAL;
    }
    if (rep > HL7_MAX_REPETITIONS) {
        return HL7_ERR_TOO_MANY_REPETITIONS;
    }
    s = &m->segs[i_seg];
    v = hl7_field(m, i_seg, n);
    if (seg_is_msh(m, s) && n <= 2U) {
        /* MSH-1 and MSH-2 are never split. */
        *out = (rep > 1U || comp > 1U || sub > 1U) ? empty_view : v;
        return HL7_OK;
    }
    if (rep == 0U && comp == 0U) {
        *out = v;
        return HL7_OK;
    }
    v = hl7_piece(v, m->enc.repetition, (rep == 0U) ? 1U : rep);
    if (comp > 0U) {
        v = hl7_piece(v, m->enc.component, comp);
        if (sub > 0U) {
            v = hl7_piece(v, m->enc.subcomponent, sub);
        }
    }
    *out = v;
    return HL7_OK;
}

/* A decimal 1..65535 at *p; advances *p. 0 on syntax error. */
static size_t path_number(const char **p)
{
    size_t n = 0;
    const char *s = *p;

    if (*s < '1' || *s > '9') {
        return 0U;
    }
    while (*s >= '0' && *s <= '9') {
        n = n * 10U + (size_t)(*s - '0');
        if (n > 65535U) {
            return 0U;
        }
        s++;
    }
    *p = s;
    return n;
}

hl7_status hl7_get_path(const struct hl7_msg *m, const char *path, struct hl7_view *out)
{
    const char *p = path;
    char id[4];
    size_t occ = 1;
    size_t field;
    size_t rep = 0;
    size_t comp = 0;
    size_t sub = 0;
    size_t i;

    if (m == NULL || path == NULL || out == NULL) {
        return HL7_ERR_INVAL;
    }
    for (i = 0; i < 3U; i++) {
        if (!hl7__is_id_char(p[i])) {
            return HL7_ERR_PATH;
        }
        id[i] = p[i];
    }
    id[3] = '\0';
    p += 3;
    if (*p == '(') {
        p++;
        occ = path_number(&p);
        if (occ == 0U || *p != ')') {
            return HL7_ERR_PATH;
        }
        p++;
    }
    if (*p != '-') {
        return HL7_ERR_PATH;
    }
    p++;
    field = path_number(&p);
    if (field == 0U) {
        return HL7_ERR_PATH;
    }
    if (*p == '(') {
        p++;
        rep = path_number(&p);
        if (rep == 0U || *p != ')') {
            return HL7_ERR_PATH;
        }
        p++;
    }
    if (*p == '.') {
        p++;
        comp = path_number(&p);
        if (comp == 0U) {
            return HL7_ERR_PATH;
        }
        if (*p == '.') {
            p++;
            sub = path_number(&p);
            if (sub == 0U) {
                return HL7_ERR_PATH;
            }
        }
    }
    if (*p != '\0') {
        return HL7_ERR_PATH;
    }
    i = hl7_find_segment(m, id, 0);
    while (i < m->n_segs && occ > 1U) {
        i = hl7_find_segment(m, id, i + 1U);
        occ--;
    }
    if (i >= m->n_segs) {
        return HL7_ERR_NOT_FOUND;
    }
    return hl7_get(m, i, field, rep, comp, sub, out);
}

/* ---- deep check ------------------------------------------------------------------------------- */

/*
 * The deep check looks at two bytes only, the repetition separator and the escape character, and
 * in a typical message neither occurs after MSH-2. So it does not walk field by field: one pass
 * over the whole buffer finds them 64 bytes at a time (SSE2, or a byte loop), and only a byte
 * found is mapped to its segment and field, with cursors that only move forward (the bytes come
 * in buffer order, which is segment and field order). Bytes between segments are CR/LF, segment
 * ids are [A-Z0-9] and the separators differ from both characters, so every byte found lies in a
 * field or in MSH-2; MSH-2 is skipped, as before. Same errors, in the same order, as checking
 * every field from its first byte.
 */
struct check {
    const struct hl7_msg *m;
    struct hl7_error *err;
    size_t i_seg;    /* segment of the cursor */
    size_t seg_end;  /* its end (offset + len) */
    size_t k;        /* field of the cursor: 0 = segment id, k = after separator k */
    size_t f_start;  /* field k's bytes [f_start, f_end) */
    size_t f_end;
    bool is_msh;
    size_t n_reps;   /* repetitions seen so far in field k */
    size_t skip_to;  /* bytes before this were inside an escape sequence already checked */
};

static void check_seg(struct check *ck, size_t i_seg)
{
    const struct hl7_segment *s = &ck->m->segs[i_seg];

    ck->i_seg = i_seg;
    ck->seg_end = (size_t)s->offset + s->len;
    ck->is_msh = seg_is_msh(ck->m, s);
    ck->k = 0;
    ck->f_start = s->offset;
    ck->f_end = (s->n_seps > 0U) ? (size_t)ck->m->seps[s->i_sep] : ck->seg_end;
    ck->n_reps = 1;
}

/* Byte pos is the repetition separator or the escape character. */
static hl7_status check_hit(struct check *ck, size_t pos)
{
    const struct hl7_msg *m = ck->m;
    const struct hl7_segment *s;
    size_t f;

    if (pos < ck->skip_to) {
        return HL7_OK;
    }
    while (pos >= ck->seg_end) {
        check_seg(ck, ck->i_seg + 1U); /* pos < m->len: some later segment holds it */
    }
    s = &m->segs[ck->i_seg];
    if (pos >= ck->f_end) {
        /* Move to the field holding pos: the last separator before it. */
        const uint32_t *seps = m->seps + s->i_sep;
        size_t k = ck->k;
        while (k < s->n_seps && seps[k] < pos) {
            k++;
        }
        ck->k = k;
        ck->f_start = (size_t)seps[k - 1U] + 1U;
        ck->f_end = (k < s->n_seps) ? (size_t)seps[k] : ck->seg_end;
        ck->n_reps = 1;
    }
    if (ck->k == 0U || (ck->is_msh && ck->k == 1U)) {
        return HL7_OK; /* the segment id (cannot hold these bytes) or MSH-2: not checked */
    }
    f = ck->is_msh ? ck->k + 1U : ck->k;
    if (m->buf[pos] == m->enc.repetition) {
        ck->n_reps++;
        if (ck->n_reps > HL7_MAX_REPETITIONS) {
            hl7__set_error(ck->err, HL7_ERR_TOO_MANY_REPETITIONS, m, ck->i_seg, (uint32_t)f, pos,
                           "more repetitions in one field than the limit");
            return HL7_ERR_TOO_MANY_REPETITIONS;
        }
        return HL7_OK;
    }
    {
        size_t l = hl7__escape_len(&m->enc, m->buf + ck->f_start, ck->f_end - ck->f_start,
                                   pos - ck->f_start);
        if (l == 0U) {
            hl7__set_error(ck->err, HL7_ERR_ESCAPE, m, ck->i_seg, (uint32_t)f, pos,
                           "unterminated or unknown escape sequence");
            return HL7_ERR_ESCAPE;
        }
        ck->skip_to = pos + l;
    }
    return HL7_OK;
}

static hl7_status check_mask(struct check *ck, size_t base, uint64_t mask)
{
    while (mask != 0U) {
        hl7_status st = check_hit(ck, base + (size_t)__builtin_ctzll(mask));
        if (st != HL7_OK) {
            return st;
        }
        mask &= mask - 1U;
    }
    return HL7_OK;
}

#if HL7_HAVE_SSE2
/* Bit i set when p[i] is a or b, for 64 bytes. */
static uint64_t block_mask2(const char *p, __m128i va, __m128i vb)
{
    __m128i x0 = _mm_loadu_si128((const void *)p);
    __m128i x1 = _mm_loadu_si128((const void *)(p + 16));
    __m128i x2 = _mm_loadu_si128((const void *)(p + 32));
    __m128i x3 = _mm_loadu_si128((const void *)(p + 48));
    __m128i c0 = _mm_or_si128(_mm_cmpeq_epi8(x0, va), _mm_cmpeq_epi8(x0, vb));
    __m128i c1 = _mm_or_si128(_mm_cmpeq_epi8(x1, va), _mm_cmpeq_epi8(x1, vb));
    __m128i c2 = _mm_or_si128(_mm_cmpeq_epi8(x2, va), _mm_cmpeq_epi8(x2, vb));
    __m128i c3 = _mm_or_si128(_mm_cmpeq_epi8(x3, va), _mm_cmpeq_epi8(x3, vb));

    if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(c0, c1), _mm_or_si128(c2, c3))) == 0) {
        return 0U; /* the usual block */
    }
    return (uint64_t)(unsigned)_mm_movemask_epi8(c0) |
           ((uint64_t)(unsigned)_mm_movemask_epi8(c1) << 16) |
           ((uint64_t)(unsigned)_mm_movemask_epi8(c2) << 32) |
           ((uint64_t)(unsigned)_mm_movemask_epi8(c3) << 48);
}
#endif

/* Bit i set when p[i] is a or b, for n <= 64 bytes. */
static uint64_t byte_mask2(const char *p, size_t n, char a, char b)
{
    uint64_t mask = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        mask |= (uint64_t)(p[i] == a || p[i] == b) << i;
    }
    return mask;
}

hl7_status hl7_msg_check(const struct hl7_msg *m, struct hl7_error *err)
{
    struct check ck;
    const struct hl7_segment *s0;
    const char *buf;
    size_t pos;
    size_t len;
    hl7_status st;

    if (m == NULL || m->n_segs == 0U) {
        hl7__set_error(err, HL7_ERR_INVAL, NULL, SIZE_MAX, 0, 0, "no parsed message");
        return HL7_ERR_INVAL;
    }
    memset(&ck, 0, sizeof ck);
    ck.m = m;
    ck.err = err;
    check_seg(&ck, 0);
    buf = m->buf;
    len = (size_t)m->segs[m->n_segs - 1U].offset + m->segs[m->n_segs - 1U].len;
    s0 = &m->segs[0];
    pos = s0->offset;
    if (ck.is_msh) {
        /* Start at MSH-3: MSH-1 and MSH-2 are not checked. */
        pos = (s0->n_seps >= 2U) ? (size_t)m->seps[s0->i_sep + 1U] : ck.seg_end;
    }
#if HL7_HAVE_SSE2
    {
        const __m128i va = _mm_set1_epi8(m->enc.repetition);
        const __m128i vb = _mm_set1_epi8(m->enc.escape);

        while (len - pos >= 64U) {
            uint64_t mask = block_mask2(buf + pos, va, vb);
            if (mask != 0U) {
                st = check_mask(&ck, pos, mask);
                if (st != HL7_OK) {
                    return st;
                }
            }
            pos += 64U;
        }
        if (pos < len && len >= 64U) {
            /* The tail: the last 64 bytes of the buffer, less those already seen. */
            size_t base = len - 64U;
            uint64_t mask = block_mask2(buf + base, va, vb) >> (pos - base) << (pos - base);
            return check_mask(&ck, base, mask);
        }
    }
#endif
    while (pos < len) {
        size_t n = (len - pos < 64U) ? len - pos : 64U;
        st = check_mask(&ck, pos, byte_mask2(buf + pos, n, m->enc.repetition, m->enc.escape));
        if (st != HL7_OK) {
            return st;
        }
        pos += n;
    }
    return HL7_OK;
}
