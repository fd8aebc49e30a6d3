/*
 * hl7.h - HL7 v2 messages: zero-copy parser, escapes, DTM time stamps, builder, generic ACK.
 *
 * Model (docs/hl7.md): hl7_parse makes ONE pass over the caller's buffer and indexes only segment
 * and field boundaries into caller-provided arrays; it allocates nothing and copies nothing.
 * Repetitions, components and subcomponents are found lazily on access (hl7_get, hl7_piece,
 * struct hl7_split); escapes are decoded on demand into a caller buffer (hl7_unescape), always
 * after splitting down to the primitive value, never before. Every view points into the parsed
 * buffer, which must outlive the struct hl7_msg; views carry explicit lengths and are not
 * NUL-terminated.
 *
 * Numbering is HL7's: fields, repetitions, components and subcomponents count from 1. In MSH,
 * MSH-1 IS the field separator (the byte after "MSH") and MSH-2 the encoding characters; both are
 * atomic (never split, never unescaped), so MSH-3 is the first field after MSH-2. In every other
 * segment "SEG|a|b" gives SEG-1 = a.
 *
 * Values: an empty view means "not sent"; the two bytes "" (hl7_is_null) mean explicit null
 * (delete the value). They are different things and every API keeps them apart.
 *
 * Error model: fallible functions return hl7_status (HL7_OK == 0) and write their outputs only on
 * HL7_OK. Parse and check errors also fill a struct hl7_error naming the segment (1-based), the
 * field number, the byte offset into the buffer and a static English message.
 *
 * No function here allocates, does I/O or reads a clock; the library needs only <string.h>.
 */
#ifndef HL7_HL7_H
#define HL7_HL7_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- status -------------------------------------------------------------------------------- */

/* Codes are appended, never renumbered. */
typedef enum {
    HL7_OK = 0,
    HL7_ERR_INVAL = 1,        /* an argument is NULL or out of its domain */
    HL7_ERR_EMPTY = 2,        /* no segment at all (empty or blank input) */
    HL7_ERR_NO_MSH = 3,       /* the first segment is not MSH */
    HL7_ERR_ENCODING = 4,     /* MSH-1/MSH-2 unusable: not 4 or 5 distinct non-alphanumeric chars */
    HL7_ERR_SEGMENT_ID = 5,   /* a segment does not start with a 3-character id (A-Z, 0-9) */
    HL7_ERR_SECOND_MSH = 6,   /* a second MSH: several messages in one buffer */
    HL7_ERR_TOO_LARGE = 7,    /* message longer than HL7_MAX_MESSAGE_BYTES (or frame cap) */
    HL7_ERR_TOO_MANY_SEGMENTS = 8, /* > HL7_MAX_SEGMENTS or the caller's segment array */
    HL7_ERR_TOO_MANY_FIELDS = 9,   /* > HL7_MAX_FIELDS in one segment, or the separator array */
    HL7_ERR_TOO_MANY_REPETITIONS = 10, /* > HL7_MAX_REPETITIONS in one field */
    HL7_ERR_ESCAPE = 11,      /* unterminated or unknown escape sequence, bad \X..\ hex */
    HL7_ERR_FULL = 12,        /* the caller's output buffer is too small */
    HL7_ERR_DTM = 13,         /* malformed or impossible DTM time stamp */
    HL7_ERR_NOT_FOUND = 14,   /* a required segment or field is absent */
    HL7_ERR_ACK_CODE = 15,    /* MSA-1 is not one of AA AE AR CA CE CR */
    HL7_ERR_PATH = 16,        /* malformed location path ("PID-5.1") */
    HL7_ERR_FRAMING = 17      /* MLLP: bytes that cannot be framed safely (VT or FS in data) */
} hl7_status;

/* A static, never-NULL English name for a status ("ok", "unterminated escape", ...). */
const char *hl7_status_str(hl7_status st);

/* ---- hard limits (hostile input cannot cost more memory or time than these allow) ----------- */

#define HL7_MAX_MESSAGE_BYTES (4U * 1024U * 1024U) /* one message */
#define HL7_MAX_SEGMENTS 10000U                     /* segments per message */
#define HL7_MAX_FIELDS 1000U                        /* fields per segment */
#define HL7_MAX_REPETITIONS 1000U                   /* repetitions per field */

/* ---- views and encoding characters --------------------------------------------------------- */

struct hl7_view {
    const char *ptr; /* NULL only when len == 0 */
    size_t len;
};

/* True when v is the explicit null "" (two double quotes), false for anything else incl. empty. */
bool hl7_is_null(struct hl7_view v);
/* True when v has exactly the bytes of the NUL-terminated s. */
bool hl7_view_eq(struct hl7_view v, const char *s);

struct hl7_encoding {
    char field;        /* MSH-1, normally '|' */
    char component;    /* MSH-2[0] '^' */
    char repetition;   /* MSH-2[1] '~' */
    char escape;       /* MSH-2[2] '\\' */
    char subcomponent; /* MSH-2[3] '&' */
    char truncation;   /* MSH-2[4] '#' (v2.7+), '\0' when MSH-2 has 4 characters */
};

/* The usual |^~\& (no truncation character). */
#define HL7_ENCODING_DEFAULT {'|', '^', '~', '\\', '&', '\0'}

/*
 * hl7_encoding_check - the rules the parser applies to MSH-1/MSH-2: every character printable
 * ASCII (0x21..0x7E), not a letter or digit, not '"' (the null ""), all distinct. truncation may
 * be '\0'.
 * Returns HL7_OK or HL7_ERR_ENCODING.
 */
hl7_status hl7_encoding_check(const struct hl7_encoding *enc);

/* ---- errors -------------------------------------------------------------------------------- */

struct hl7_error {
    hl7_status code;
    uint32_t segment;    /* 1-based segment number; 0 when not inside a segment */
    uint32_t field;      /* HL7 field number; 0 for the segment id or none */
    uint32_t offset;     /* byte offset into the parsed buffer */
    char segment_id[4];  /* "OBX" (NUL-terminated, "" when unknown) */
    const char *message; /* static English text, never NULL after a failure */
};

/* ---- parser ---------------------------------------------------------------------------------- */

/* One indexed segment (read-only for callers). */
struct hl7_segment {
    uint32_t offset;  /* of the segment id in the buffer */
    uint32_t len;     /* up to, not including, the terminator */
    uint32_t i_sep;   /* index of its first field separator in hl7_msg.seps */
    uint32_t n_seps;  /* field separators in the segment (fields after the id) */
};

/* A parsed message. Set up with hl7_msg_init; fields are read-only for callers. */
struct hl7_msg {
    const char *buf;
    size_t len;
    struct hl7_encoding enc;
    struct hl7_segment *segs; /* caller storage */
    size_t n_segs;
    size_t cap_segs;
    uint32_t *seps; /* caller storage: byte offset of every field separator, in order */
    size_t n_seps;
    size_t cap_seps;
};

/*
 * hl7_msg_init - attach caller storage to m (cannot fail; m is empty afterwards).
 * Sizing: a message needs one hl7_segment per segment and one uint32_t per field separator
 * ('|' outside MSH-2). cap_seps >= message length is always enough; a 2 KB PCD message uses about
 * 30 segments and 400 separators.
 */
void hl7_msg_init(struct hl7_msg *m, struct hl7_segment *segs, size_t cap_segs, uint32_t *seps,
                  size_t cap_seps);

/*
 * hl7_parse - index buf[0..len) as one HL7 v2 message.
 *
 * Reads the encoding characters from MSH-1/MSH-2 (4 or 5 characters). Segments end with CR,
 * CRLF or LF; the last one may lack a terminator; empty lines are skipped. Checks: starts with
 * MSH, valid encoding characters, every segment id 3 characters [A-Z0-9] (first a letter)
 * followed by the field separator or the end of the segment, no second MSH, and the hard limits
 * (HL7_MAX_MESSAGE_BYTES, HL7_MAX_SEGMENTS, HL7_MAX_FIELDS, and the caller's array sizes).
 * Does not look inside fields: escapes and repetitions are checked by hl7_msg_check.
 * Bytes other than the separators and terminators are data (binary bytes included).
 *
 * Returns HL7_OK; otherwise one of the HL7_ERR_* above with *err filled (err may be NULL) and m
 * left empty (n_segs == 0). buf must outlive every view taken from m.
 */
hl7_status hl7_parse(struct hl7_msg *m, const char *buf, size_t len, struct hl7_error *err);

/*
 * hl7_msg_check - the deep checks hl7_parse leaves out, over every field except MSH-1/MSH-2:
 * every escape sequence terminated (before the next delimiter) and known, \X..\ with an even
 * number of hex digits, at most HL7_MAX_REPETITIONS repetitions per field.
 * Returns HL7_OK, HL7_ERR_ESCAPE or HL7_ERR_TOO_MANY_REPETITIONS (the first found, *err filled).
 */
hl7_status hl7_msg_check(const struct hl7_msg *m, struct hl7_error *err);

/* Number of segments. */
size_t hl7_segment_count(const struct hl7_msg *m);
/* The 3-byte id of segment i_seg (0-based), empty when out of range. */
struct hl7_view hl7_segment_id(const struct hl7_msg *m, size_t i_seg);
/* The whole segment text (without terminator), empty when out of range. */
struct hl7_view hl7_segment_text(const struct hl7_msg *m, size_t i_seg);
/* True when segment i_seg has the id `id` (3 characters). */
bool hl7_segment_is(const struct hl7_msg *m, size_t i_seg, const char *id);
/* The first segment with id `id` at index >= from, or hl7_segment_count(m) when none. */
size_t hl7_find_segment(const struct hl7_msg *m, const char *id, size_t from);
/* Highest field number present in segment i_seg (MSH counts MSH-1 and MSH-2). */
size_t hl7_field_count(const struct hl7_msg *m, size_t i_seg);
/* Field n (HL7 numbering) of segment i_seg, raw (not split, not unescaped); empty if absent. */
struct hl7_view hl7_field(const struct hl7_msg *m, size_t i_seg, size_t n);

/*
 * hl7_get - one value by position: field n, repetition rep, component comp, subcomponent sub
 * (all 1-based; 0 for rep/comp/sub means "the whole" of that level). Raw, not unescaped.
 * MSH-1 and MSH-2 are atomic: their repetition/component/subcomponent 1 is the whole field.
 * Absent parts are an empty view with HL7_OK.
 * Returns HL7_OK; HL7_ERR_INVAL (i_seg out of range, n == 0, comp==0 with sub>0);
 * HL7_ERR_TOO_MANY_REPETITIONS (rep > HL7_MAX_REPETITIONS).
 */
hl7_status hl7_get(const struct hl7_msg *m, size_t i_seg, size_t n, size_t rep, size_t comp,
                   size_t sub, struct hl7_view *out);

/*
 * hl7_get_path - hl7_get by a path "SEG[(occ)]-F[(rep)][.C[.S]]", e.g. "PID-5.1", "OBX(3)-5",
 * "PID-3(2).4.1". occ is the occurrence of the segment (1-based, default 1), rep the repetition
 * (default 1 when C is given, else the whole field). Absent segment: HL7_ERR_NOT_FOUND.
 * Returns HL7_OK, HL7_ERR_PATH (syntax), HL7_ERR_NOT_FOUND, or hl7_get's errors.
 */
hl7_status hl7_get_path(const struct hl7_msg *m, const char *path, struct hl7_view *out);

/* Number of pieces of v split on sep: 0 for an empty view, else 1 + occurrences of sep. */
size_t hl7_count(struct hl7_view v, char sep);
/* Piece n (1-based) of v split on sep; empty when absent. Linear in v.len. */
struct hl7_view hl7_piece(struct hl7_view v, char sep, size_t n);

/* Linear walk over the pieces of a view (use for all repetitions/components of a value). */
struct hl7_split {
    const char *p;   /* next piece starts here */
    const char *end;
    char sep;
    bool done;
};
/* An empty view yields no piece; "a^" yields "a" then "". */
void hl7_split_init(struct hl7_split *it, struct hl7_view v, char sep);
/* The next piece into *piece; false (piece untouched) when there is none. */
bool hl7_split_next(struct hl7_split *it, struct hl7_view *piece);

/* ---- escapes --------------------------------------------------------------------------------- */

/* Flags of hl7_unescape. */
#define HL7_UNESC_KEEP_FORMAT 0U /* formatting sequences copied verbatim, e.g. "\.br\" */
#define HL7_UNESC_RENDER_FORMAT 1U /* \.br\ -> "\n", \.sp n\ -> n+0 x "\n" (1 when n absent,
                                    * at most 99), \H\ \N\ \.fi\ \.nf\ \.in\ \.ti\ \.sk\ \.ce\
                                    * dropped */

/*
 * hl7_unescape - decode the escape sequences of one primitive value into out[0..cap).
 * \F\ \S\ \T\ \R\ \E\ become the message's delimiter characters, \P\ the truncation character
 * ('#' when MSH-2 has none), \Xhh..\ the bytes (even number of hex digits, either case).
 * Formatting (\H\ \N\ \.xx..\) per flags; \Zxx\ (local), \Cxxyy\ and \Mxxyy..\ (charset
 * switches) are always copied verbatim. An escape sequence without its closing escape
 * character, an unknown one, or bad hex is HL7_ERR_ESCAPE (*err_offset = offset of the opening
 * escape character in `in`, err_offset may be NULL). The output is never longer than the input
 * except for \.sp n\ in render mode.
 * Returns HL7_OK (*out_len set), HL7_ERR_ESCAPE, HL7_ERR_FULL, HL7_ERR_INVAL.
 * Nothing past out[cap) is ever written, also on failure.
 */
hl7_status hl7_unescape(const struct hl7_encoding *enc, struct hl7_view in, unsigned flags,
                        char *out, size_t cap, size_t *out_len, size_t *err_offset);

/*
 * hl7_escape - encode a value for writing: the field, component, repetition, subcomponent,
 * escape (and truncation, when defined) characters become \F\ \S\ \R\ \T\ \E\ (\P\); CR, LF,
 * VT (0x0B) and FS (0x1C) become \X0D\ \X0A\ \X0B\ \X1C\ so the result can be framed by MLLP.
 * Every other byte is copied. At most 5 output bytes per input byte.
 * Returns HL7_OK (*out_len set), HL7_ERR_FULL, HL7_ERR_INVAL.
 */
hl7_status hl7_escape(const struct hl7_encoding *enc, const char *in, size_t len, char *out,
                      size_t cap, size_t *out_len);

/* ---- DTM time stamps: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] ------------------------ */

typedef enum {
    HL7_DTM_YEAR = 1,
    HL7_DTM_MONTH = 2,
    HL7_DTM_DAY = 3,
    HL7_DTM_HOUR = 4,
    HL7_DTM_MINUTE = 5,
    HL7_DTM_SECOND = 6,
    HL7_DTM_FRACTION = 7 /* seconds with 1..4 decimal digits */
} hl7_dtm_precision;

typedef enum {
    HL7_TZ_NONE = 0,         /* no offset given (allowed by base HL7, not by IHE PCD) */
    HL7_TZ_OFFSET = 1,       /* +hhmm or -hhmm, including +0000 (= UTC, the reference) */
    HL7_TZ_UTC_LOCAL_UNKNOWN = 2 /* -0000: the UTC time is known, the local offset is not */
} hl7_tz_kind;

struct hl7_dtm {
    uint16_t year;          /* 0..9999 */
    uint8_t month;          /* 1..12 (1 when absent) */
    uint8_t day;            /* 1..31, valid for the month (1 when absent) */
    uint8_t hour;           /* 0..23 */
    uint8_t minute;         /* 0..59 */
    uint8_t second;         /* 0..59 */
    uint8_t frac_digits;    /* 0..4 */
    uint16_t frac;          /* the fraction digits as an integer: ".25" -> 25 with 2 digits */
    hl7_dtm_precision precision;
    hl7_tz_kind tz;
    int16_t offset_min;     /* local time minus UTC in minutes (HL7_TZ_OFFSET only; else 0) */
};

/*
 * hl7_dtm_parse - v must be exactly a DTM: no spaces (so "20080101123456- 0600" fails), digit
 * groups of 4 then 2 each, a fraction only after seconds, 1..4 fraction digits, offset exactly
 * sign + 4 digits (hh <= 23, mm <= 59), calendar-valid date (leap years), hour <= 23,
 * minute/second <= 59. A 19-digit string fails.
 * Returns HL7_OK or HL7_ERR_DTM; *out written only on HL7_OK.
 */
hl7_status hl7_dtm_parse(struct hl7_view v, struct hl7_dtm *out);

/*
 * hl7_dtm_format - back to text at d's precision and zone (-0000 stays -0000).
 * Returns HL7_OK (*len set; out not NUL-terminated), HL7_ERR_FULL (cap < needed; 24 always
 * suffices), HL7_ERR_DTM (d out of range).
 */
hl7_status hl7_dtm_format(const struct hl7_dtm *d, char *out, size_t cap, size_t *len);

/*
 * hl7_dtm_to_unix_ms - milliseconds since 1970-01-01T00:00:00Z of the instant d names (fields
 * beyond the precision count as their minimum). Needs a zone: HL7_TZ_OFFSET or
 * HL7_TZ_UTC_LOCAL_UNKNOWN (the UTC time is known); HL7_TZ_NONE is HL7_ERR_DTM.
 */
hl7_status hl7_dtm_to_unix_ms(const struct hl7_dtm *d, int64_t *ms);

/*
 * hl7_dtm_from_unix_ms - the DTM of instant ms at local offset offset_min (HL7_TZ_OFFSET,
 * precision seconds, or HL7_DTM_FRACTION with 3 digits when with_ms). Years 0..9999 only.
 */
hl7_status hl7_dtm_from_unix_ms(int64_t ms, int16_t offset_min, bool with_ms,
                                struct hl7_dtm *out);

/* ---- builder --------------------------------------------------------------------------------- */

/*
 * Writes a message into a caller buffer, escaping every value, always ending segments with CR.
 * Each call appends one separator and one value:
 *   hl7_build_segment(b, "PID")        ends the previous segment with CR, writes "PID"
 *                                      ("MSH" also writes MSH-1 and MSH-2 from the encoding,
 *                                      so the next field is MSH-3)
 *   hl7_build_field(b, v, n)           "|v"   (next field)
 *   hl7_build_repetition(b, v, n)      "~v"   (next repetition of the current field)
 *   hl7_build_component(b, v, n)       "^v"   (next component)
 *   hl7_build_subcomponent(b, v, n)    "&v"   (next subcomponent)
 *   hl7_build_null(b)                  "|\"\""  (a field that is the explicit null)
 *   hl7_build_field_raw(b, v, n)       "|v" without escaping (v must already be HL7 text of
 *                                      this encoding; for copying fields between messages)
 * Errors are sticky: after the first failure every call returns it and writes nothing, and
 * hl7_build_finish reports it. No call ever writes past buf[cap).
 */
struct hl7_builder {
    char *buf;
    size_t cap;
    size_t len;
    struct hl7_encoding enc;
    hl7_status status;  /* sticky: first failure */
    bool in_segment;
};

/* Returns HL7_OK, HL7_ERR_INVAL (NULL buf with cap > 0) or HL7_ERR_ENCODING (bad enc). */
hl7_status hl7_builder_init(struct hl7_builder *b, char *buf, size_t cap,
                            const struct hl7_encoding *enc);
/* id: 3 characters [A-Z0-9], first a letter, else HL7_ERR_SEGMENT_ID. */
hl7_status hl7_build_segment(struct hl7_builder *b, const char *id);
hl7_status hl7_build_field(struct hl7_builder *b, const char *v, size_t len);
hl7_status hl7_build_repetition(struct hl7_builder *b, const char *v, size_t len);
hl7_status hl7_build_component(struct hl7_builder *b, const char *v, size_t len);
hl7_status hl7_build_subcomponent(struct hl7_builder *b, const char *v, size_t len);
hl7_status hl7_build_null(struct hl7_builder *b);
hl7_status hl7_build_field_raw(struct hl7_builder *b, const char *v, size_t len);
/* NUL-terminated conveniences. */
hl7_status hl7_build_fieldz(struct hl7_builder *b, const char *v);
hl7_status hl7_build_componentz(struct hl7_builder *b, const char *v);
/* n empty fields ("||..."), e.g. to skip to a later field. */
hl7_status hl7_build_empty_fields(struct hl7_builder *b, size_t n);
/*
 * hl7_build_finish - end the last segment with CR; *len = message length.
 * Returns HL7_OK or the sticky error (HL7_ERR_FULL, HL7_ERR_INVAL when no segment was built).
 */
hl7_status hl7_build_finish(struct hl7_builder *b, size_t *len);

/* ---- acknowledgements (MSH + MSA [+ ERR]) ---------------------------------------------------- */

typedef enum {
    HL7_ACK_AA = 0, /* application accept (original mode, or enhanced application ack) */
    HL7_ACK_AE = 1, /* application error */
    HL7_ACK_AR = 2, /* application reject */
    HL7_ACK_CA = 3, /* commit accept (enhanced mode accept ack) */
    HL7_ACK_CE = 4, /* commit error */
    HL7_ACK_CR = 5  /* commit reject */
} hl7_ack_code;

typedef enum {
    HL7_MODE_ORIGINAL = 0, /* MSH-15 and MSH-16 both empty */
    HL7_MODE_ENHANCED = 1  /* MSH-15 and/or MSH-16 valued */
} hl7_ack_mode;

/* CA and AA both mean success; everything else is a failure. */
bool hl7_ack_is_success(hl7_ack_code code);
/* "AA", "CE", ... (static). */
const char *hl7_ack_code_str(hl7_ack_code code);
/* The mode the sender of m asks for (MSH-15/MSH-16). */
hl7_ack_mode hl7_ack_mode_of(const struct hl7_msg *m);
/* The code to answer in `mode`: accepted -> AA / CA; rejected -> AR / CR; error -> AE / CE. */
hl7_ack_code hl7_ack_code_for(hl7_ack_mode mode, bool accepted, bool reject);

/* What to put into an ACK besides what comes from the original message. */
struct hl7_ack_params {
    hl7_ack_code code;
    const char *control_id;   /* MSH-10 of the ACK itself (NUL-terminated, required) */
    const char *timestamp;    /* MSH-7 text, e.g. "20260101120000+0000" (required: no clock here) */
    /* ERR segment, written when error_code != 0 or error_text != NULL: */
    unsigned error_code;      /* HL7 table 0357 (101 required field missing, 207 ...); 0 = none */
    char severity;            /* ERR-4, table 0516: 'E', 'W', 'I', 'F' ('\0' -> 'E') */
    const char *app_error;    /* ERR-5.1 application error code, or NULL */
    const char *error_text;   /* ERR-8 user message, or NULL */
};

/*
 * hl7_ack_build - a generic ACK for the message orig (which must have an MSH):
 *   MSH: same encoding characters; MSH-3/4 <-> MSH-5/6 swapped; MSH-7 params->timestamp;
 *        MSH-9 "ACK^<orig MSH-9.2>^ACK"; MSH-10 params->control_id; MSH-11, MSH-12 and MSH-18
 *        copied from orig.
 *   MSA: MSA-1 code, MSA-2 = orig MSH-10.
 *   ERR (optional): ERR-3 "<code>^<table 0357 text>^HL70357", ERR-4 severity, ERR-5, ERR-8.
 * Values are escaped. Returns HL7_OK (*len set), HL7_ERR_INVAL, HL7_ERR_NOT_FOUND (orig has no
 * MSH), HL7_ERR_FULL.
 */
hl7_status hl7_ack_build(const struct hl7_msg *orig, const struct hl7_ack_params *params,
                         char *out, size_t cap, size_t *len);

/* A decoded ACK (views into the parsed buffer, raw). */
struct hl7_ack {
    hl7_ack_code code;            /* MSA-1 */
    struct hl7_view control_id;   /* MSA-2: the acknowledged MSH-10 (may be empty: nonconformant) */
    struct hl7_view message_type; /* MSH-9 of the ACK */
    bool has_err;                 /* an ERR segment is present */
    struct hl7_view err_code;     /* ERR-3.1 (table 0357) */
    struct hl7_view err_text;     /* ERR-3.2 */
    struct hl7_view severity;     /* ERR-4 */
    struct hl7_view app_error;    /* ERR-5.1 */
    struct hl7_view user_message; /* ERR-8 */
};

/*
 * hl7_ack_decode - read MSA (and the first ERR, if any) of a parsed ACK.
 * Returns HL7_OK, HL7_ERR_NOT_FOUND (no MSA segment), HL7_ERR_ACK_CODE (unknown MSA-1).
 */
hl7_status hl7_ack_decode(const struct hl7_msg *m, struct hl7_ack *out);

/* The English text of an HL7 table 0357 error code ("Application internal error"), or NULL. */
const char *hl7_error_code_text(unsigned code);

#endif
