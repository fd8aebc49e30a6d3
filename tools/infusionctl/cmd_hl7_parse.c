/*
 * cmd_hl7_parse.c - infusionctl hl7 parse FILE [--json]: the message tree of every message.
 *
 * A file holds one or more messages: MLLP frames (when it contains a VT byte), or plain text where
 * a blank line, or a line starting with "MSH", begins the next message. Every message is parsed
 * and deep-checked (hl7_parse + hl7_msg_check) and printed: as an indented listing of the values
 * that are present ("PID-5.1: Hon"), or with --json as the full tree
 * segments -> fields -> repetitions -> components -> subcomponents, values unescaped, the explicit
 * null "" as JSON null (an empty value stays "").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_hl7.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "infusionctl.h"

/* Files larger than this are refused as unusable (many messages of the maximum size). */
static const char parse_usage[] =
    "usage: infusionctl hl7 parse FILE [--json]\n"
    "\n"
    "Parse every HL7 v2 message in FILE (MLLP frames, or messages separated by blank lines or\n"
    "starting with MSH) and print the values: \"PID-5.1: Hon\" for each value present, \"\"\n"
    "(null) for the explicit null. Escapes are decoded; formatting escapes (\\.br\\ ...) are\n"
    "kept as written.\n"
    "  --json   {\"messages\": [{\"segments\": [{\"id\", \"fields\": [[[[\"sub\", ...]]]]}]}]}:\n"
    "           field -> repetitions -> components -> subcomponents; null for \"\"\n"
    "exit status: 0 all messages parsed, 1 some message malformed (segment, field and byte\n"
    "offset named), 2 usage error or unusable input (missing, empty, too large, no message)\n";

/* Everything one run needs, allocated once. */
struct parse_ctx {
    struct hl7_segment *segs;
    uint32_t *seps;
    size_t cap_seps;
    char *value; /* unescape buffer, HL7_MAX_MESSAGE_BYTES */
    bool json;
    size_t n_messages;
    size_t n_bad;
    bool first_json_message;
};

/* ---- output helpers --------------------------------------------------------------------------- */

/* A JSON string; control characters escaped, invalid UTF-8 as U+FFFD. */
static void json_string(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    (void)putchar('"');
    while (i < n) {
        unsigned char c = p[i];
        size_t l;
        if (c == '"' || c == '\\') {
            (void)putchar('\\');
            (void)putchar(c);
            i++;
        } else if (c < 0x20U || c == 0x7FU) {
            (void)printf("\\u%04x", (unsigned)c);
            i++;
        } else if ((l = ictl_utf8_seq_len(p + i, n - i)) == 0U) {
            (void)fputs("\\ufffd", stdout);
            i++;
        } else {
            (void)fwrite(p + i, 1, l, stdout);
            i += l;
        }
    }
    (void)putchar('"');
}

/* A value for the text listing: control bytes as \xHH so one value stays on one line. */
static void text_value(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20U || c == 0x7FU) {
            (void)printf("\\x%02X", (unsigned)c);
        } else {
            (void)putchar(c);
        }
    }
}

/* ---- one message ------------------------------------------------------------------------------ */

/* Unescape one primitive into ctx->value; false when the value cannot be decoded. */
static bool decode(struct parse_ctx *ctx, const struct hl7_msg *m, struct hl7_view v,
                   size_t *len)
{
    return hl7_unescape(&m->enc, v, HL7_UNESC_KEEP_FORMAT, ctx->value, HL7_MAX_MESSAGE_BYTES, len,
                        NULL) == HL7_OK;
}

static void json_primitive(struct parse_ctx *ctx, const struct hl7_msg *m, struct hl7_view v,
                           bool atomic)
{
    size_t n;

    if (atomic) {
        json_string(v.ptr, v.len);
    } else if (hl7_is_null(v)) {
        (void)fputs("null", stdout);
    } else if (decode(ctx, m, v, &n)) {
        json_string(ctx->value, n);
    } else {
        json_string(v.ptr, v.len); /* cannot happen after hl7_msg_check; show it raw */
    }
}

static void json_field(struct parse_ctx *ctx, const struct hl7_msg *m, struct hl7_view f,
                       bool atomic)
{
    struct hl7_split reps;
    struct hl7_view rep;
    bool first_rep = true;

    (void)putchar('[');
    if (atomic) {
        (void)fputs("[[", stdout);
        json_primitive(ctx, m, f, true);
        (void)fputs("]]", stdout);
    } else {
        hl7_split_init(&reps, f, m->enc.repetition);
        while (hl7_split_next(&reps, &rep)) {
            struct hl7_split comps;
            struct hl7_view comp;
            bool first_comp = true;
            (void)fputs(first_rep ? "[" : ",[", stdout);
            first_rep = false;
            /* An empty repetition ("a~") still has one empty component. */
            if (rep.len == 0U) {
                (void)fputs("[\"\"]", stdout);
            }
            hl7_split_init(&comps, rep, m->enc.component);
            while (hl7_split_next(&comps, &comp)) {
                struct hl7_split subs;
                struct hl7_view sub;
                bool first_sub = true;
                (void)fputs(first_comp ? "[" : ",[", stdout);
                first_comp = false;
                if (comp.len == 0U) {
                    (void)fputs("\"\"", stdout);
                }
                hl7_split_init(&subs, comp, m->enc.subcomponent);
                while (hl7_split_next(&subs, &sub)) {
                    if (!first_sub) {
                        (void)putchar(',');
                    }
                    first_sub = false;
                    json_primitive(ctx, m, sub, false);
                }
                (void)putchar(']');
            }
            (void)putchar(']');
        }
    }
    (void)putchar(']');
}

static void json_message_ok(struct parse_ctx *ctx, const struct hl7_msg *m)
{
    size_t i_seg;

    (void)fputs("\"ok\":true,\"segments\":[", stdout);
    for (i_seg = 0; i_seg < hl7_segment_count(m); i_seg++) {
        struct hl7_view id = hl7_segment_id(m, i_seg);
        size_t n_fields = hl7_field_count(m, i_seg);
        bool is_msh = hl7_segment_is(m, i_seg, "MSH");
        size_t f;

        (void)fputs((i_seg == 0U) ? "{\"id\":" : ",{\"id\":", stdout);
        json_string(id.ptr, id.len);
        (void)fputs(",\"fields\":[", stdout);
        for (f = 1; f <= n_fields; f++) {
            if (f > 1U) {
                (void)putchar(',');
            }
            json_field(ctx, m, hl7_field(m, i_seg, f), is_msh && f <= 2U);
        }
        (void)fputs("]}", stdout);
    }
    (void)putchar(']');
}

/* "PID-3(2).4.1: value" for one primitive. */
static void text_line(struct parse_ctx *ctx, const struct hl7_msg *m, struct hl7_view id,
                      size_t f, size_t rep, size_t comp, size_t sub, struct hl7_view v,
                      bool atomic)
{
    size_t n;

    (void)printf("  %.3s-%zu", id.ptr, f);
    if (rep > 0U) {
        (void)printf("(%zu)", rep);
    }
    if (comp > 0U) {
        (void)printf(".%zu", comp);
    }
    if (sub > 0U) {
        (void)printf(".%zu", sub);
    }
    (void)fputs(": ", stdout);
    if (atomic) {
        text_value(v.ptr, v.len);
    } else if (hl7_is_null(v)) {
        (void)fputs("\"\" (null)", stdout);
    } else if (decode(ctx, m, v, &n)) {
        text_value(ctx->value, n);
    } else {
        text_value(v.ptr, v.len);
    }
    (void)putchar('\n');
}

static void text_field(struct parse_ctx *ctx, const struct hl7_msg *m, struct hl7_view id,
                       size_t f, struct hl7_view fv, bool atomic)
{
    size_t n_reps;
    size_t r;

    if (fv.len == 0U) {
        return;
    }
    if (atomic) {
        text_line(ctx, m, id, f, 0, 0, 0, fv, true);
        return;
    }
    n_reps = hl7_count(fv, m->enc.repetition);
    for (r = 1; r <= n_reps; r++) {
        struct hl7_view rep = hl7_piece(fv, m->enc.repetition, r);
        size_t n_comps = hl7_count(rep, m->enc.component);
        size_t c;
        for (c = 1; c <= n_comps; c++) {
            struct hl7_view comp = hl7_piece(rep, m->enc.component, c);
            size_t n_subs = hl7_count(comp, m->enc.subcomponent);
            size_t s;
            for (s = 1; s <= n_subs; s++) {
                struct hl7_view sub = hl7_piece(comp, m->enc.subcomponent, s);
                if (sub.len == 0U) {
                    continue;
                }
                text_line(ctx, m, id, f, (n_reps > 1U) ? r : 0U,
                          (n_comps > 1U || n_subs > 1U) ? c : 0U, (n_subs > 1U) ? s : 0U, sub,
                          false);
            }
        }
    }
}

static void text_message_ok(struct parse_ctx *ctx, size_t index, const struct hl7_msg *m)
{
    size_t i_seg;
    struct hl7_view type;
    struct hl7_view control;

    (void)hl7_get(m, 0, 9, 0, 0, 0, &type);
    (void)hl7_get(m, 0, 10, 0, 0, 0, &control);
    (void)printf("message %zu: ", index);
    text_value(type.ptr, type.len);
    (void)fputs(" ", stdout);
    text_value(control.ptr, control.len);
    (void)printf(", %zu segment%s\n", hl7_segment_count(m),
                 (hl7_segment_count(m) == 1U) ? "" : "s");
    for (i_seg = 0; i_seg < hl7_segment_count(m); i_seg++) {
        struct hl7_view id = hl7_segment_id(m, i_seg);
        size_t n_fields = hl7_field_count(m, i_seg);
        bool is_msh = hl7_segment_is(m, i_seg, "MSH");
        size_t f;

        (void)printf("%.3s\n", id.ptr);
        for (f = 1; f <= n_fields; f++) {
            text_field(ctx, m, id, f, hl7_field(m, i_seg, f), is_msh && f <= 2U);
        }
    }
}

/* One message at file offset `at`: parse, check, print. */
static void one_message(void *parse_ctx, const char *text, size_t len, size_t at,
                        hl7_status frame_status)
{
    struct parse_ctx *ctx = parse_ctx;
    struct hl7_msg m;
    struct hl7_error err;
    hl7_status st = frame_status;
    size_t index = ++ctx->n_messages;

    memset(&err, 0, sizeof err);
    hl7_msg_init(&m, ctx->segs, HL7_MAX_SEGMENTS, ctx->seps, ctx->cap_seps);
    if (st == HL7_OK) {
        st = hl7_parse(&m, text, len, &err);
    } else {
        err.code = st;
        err.message = "MLLP frame longer than the message size limit";
    }
    if (st == HL7_OK) {
        st = hl7_msg_check(&m, &err);
    }
    if (ctx->json) {
        (void)fputs(ctx->first_json_message ? "{" : ",{", stdout);
        ctx->first_json_message = false;
        (void)printf("\"index\":%zu,\"offset\":%zu,", index, at);
    }
    if (st == HL7_OK) {
        if (ctx->json) {
            json_message_ok(ctx, &m);
            (void)putchar('}');
        } else {
            text_message_ok(ctx, index, &m);
        }
        return;
    }
    ctx->n_bad++;
    if (ctx->json) {
        (void)fputs("\"ok\":false,\"error\":{\"code\":", stdout);
        json_string(hl7_status_str(st), strlen(hl7_status_str(st)));
        (void)printf(",\"segment\":%u,\"segment_id\":", (unsigned)err.segment);
        json_string(err.segment_id, strlen(err.segment_id));
        (void)printf(",\"field\":%u,\"offset\":%u,\"file_offset\":%zu,\"message\":",
                     (unsigned)err.field, (unsigned)err.offset, at + err.offset);
        json_string(err.message, strlen(err.message));
        (void)fputs("}}", stdout);
        return;
    }
    (void)printf("message %zu: malformed: ", index);
    if (err.segment > 0U) {
        (void)printf("segment %u", (unsigned)err.segment);
        if (err.segment_id[0] != '\0') {
            (void)printf(" (%s)", err.segment_id);
        }
        (void)printf(", field %u, ", (unsigned)err.field);
    }
    (void)printf("byte %u (file byte %zu): %s\n", (unsigned)err.offset, at + err.offset,
                 err.message);
}

/* MLLP framed when a start block is followed by "MSH" (a VT inside a value is only data). */
static bool looks_framed(const char *data, size_t len)
{
    const char *p = data;
    const char *end = data + len;

    while (p < end) {
        const char *vt = memchr(p, HL7_MLLP_VT, (size_t)(end - p));
        if (vt == NULL) {
            return false;
        }
        if (end - vt > 3 && memcmp(vt + 1, "MSH", 3) == 0) {
            return true;
        }
        p = vt + 1;
    }
    return false;
}

/* ---- the command ------------------------------------------------------------------------------ */

static int unusable_json(const char *path, const char *why)
{
    (void)fputs("{\"usable\":false,\"file\":", stdout);
    json_string(path, strlen(path));
    (void)fputs(",\"error\":", stdout);
    json_string(why, strlen(why));
    (void)fputs(",\"messages\":[]}\n", stdout);
    return ICTL_EXIT_USAGE;
}

int ictl_cmd_hl7_parse(int argc, char *const *argv)
{
    static const struct cli_optdef defs[] = {{"--json", false}};
    struct cli_parsed a;
    struct parse_ctx ctx;
    char *data;
    char *frame_buf = NULL;
    size_t len = 0;
    bool is_mllp;
    int status;

    if (!ictl_args_parse(argc - 1, argv + 1, defs, 1, &a)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(parse_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (a.n_pos != 1) {
        ictl_error("hl7 parse needs exactly one FILE");
        (void)fputs(parse_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.json = a.seen[0];
    ctx.first_json_message = true;
    data = ictl_hl7_read_file(a.pos[0], &len);
    if (data == NULL) {
        return ctx.json ? unusable_json(a.pos[0], "cannot read the file") : ICTL_EXIT_USAGE;
    }
    if (hl7_is_blank(data, len)) {
        free(data);
        ictl_error2("no HL7 message in", a.pos[0]);
        return ctx.json ? unusable_json(a.pos[0], "no HL7 message in the file") : ICTL_EXIT_USAGE;
    }
    ctx.cap_seps = (len < HL7_MAX_MESSAGE_BYTES ? len : HL7_MAX_MESSAGE_BYTES) + 1U;
    ctx.segs = malloc(HL7_MAX_SEGMENTS * sizeof *ctx.segs);
    ctx.seps = malloc(ctx.cap_seps * sizeof *ctx.seps);
    ctx.value = malloc(HL7_MAX_MESSAGE_BYTES);
    is_mllp = looks_framed(data, len);
    if (is_mllp) {
        frame_buf = malloc(HL7_MAX_MESSAGE_BYTES);
    }
    if (ctx.segs == NULL || ctx.seps == NULL || ctx.value == NULL ||
        (is_mllp && frame_buf == NULL)) {
        ictl_error("out of memory");
        status = ICTL_EXIT_USAGE;
    } else {
        if (ctx.json) {
            (void)fputs("{\"usable\":true,\"file\":", stdout);
            json_string(a.pos[0], strlen(a.pos[0]));
            (void)fputs(",\"messages\":[", stdout);
        }
        if (is_mllp) {
            hl7_split_mllp(data, len, frame_buf, HL7_MAX_MESSAGE_BYTES, one_message, &ctx);
        } else {
            hl7_split_text(data, len, one_message, &ctx);
        }
        if (ctx.json) {
            (void)printf("],\"parsed\":%zu,\"malformed\":%zu}\n", ctx.n_messages - ctx.n_bad,
                         ctx.n_bad);
        } else if (ctx.n_messages > 0U) {
            (void)printf("%zu message%s, %zu malformed\n", ctx.n_messages,
                         (ctx.n_messages == 1U) ? "" : "s", ctx.n_bad);
        }
        if (ctx.n_messages == 0U) {
            ictl_error2("no HL7 message in", a.pos[0]);
            status = ICTL_EXIT_USAGE;
        } else {
            status = (ctx.n_bad > 0U) ? ICTL_EXIT_INVALID : ICTL_EXIT_OK;
        }
    }
    free(frame_buf);
    free(ctx.value);
    free(ctx.seps);
    free(ctx.segs);
    free(data);
    return status;
}
