/*
 * cmd_hl7_validate.c - infusionctl hl7 validate FILE [--profile P]: IHE PCD conformance problems.
 *
 * A file holds one or more messages, split like `hl7 parse` does (MLLP frames when it contains a
 * VT byte, else a blank line or a line starting with "MSH" begins the next message). Each message
 * is parsed, deep-checked and run through the PCD decoder of its profile (hl7_pcd_validate);
 * every problem is printed as one line:
 *
 *   error   RXG-16     0357=103 PIV=9008  RXG-16 'mg/parsec' is not a ... unit this IOC knows
 *
 * Exit status: 0 no error in any message (warnings may be listed), 1 some message has an error
 * (or does not parse), 2 usage error or unusable input (unreadable, no message, a profile that
 * cannot be guessed from MSH-9).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_hl7.h"
#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "hl7/pcd.h"
#include "infusionctl.h"

static const char validate_usage[] =
    "usage: infusionctl hl7 validate FILE [--profile P]\n"
    "\n"
    "List the IHE PCD conformance problems of every message in FILE (MLLP frames, or messages\n"
    "separated by blank lines or starting with MSH), one per line:\n"
    "  error|warning  LOCATION  0357=<HL7 error code> [PIV=<PIV code>]  sentence\n"
    "  --profile P   pcd-01, pcd-03, pcd-04, pcd-05, pcd-10, ack or rrg-o16\n"
    "                (default: guessed from MSH-9)\n"
    "exit status: 0 no errors (warnings may be listed), 1 some message has errors, 2 usage\n"
    "error or unusable input (unreadable, no message, profile not guessable from MSH-9)\n";

struct validate_ctx {
    hl7_pcd_profile profile;
    struct hl7_segment *segs;
    uint32_t *seps;
    size_t cap_seps;
    struct hl7_pcd_problems *probs;
    size_t n_messages;
    size_t n_invalid;
    size_t n_unusable;
};

static void print_problem(const struct hl7_pcd_problem *p)
{
    char where[32];

    hl7_pcd_problem_where(p, where, sizeof where);
    (void)printf("  %-7s %-10s 0357=%-3u", (p->severity == HL7_PCD_SEV_ERROR) ? "error" : "warning",
                 where, (unsigned)p->hl7_code);
    if (p->piv_code != 0U) {
        (void)printf(" PIV=%u", (unsigned)p->piv_code);
    }
    (void)printf("  %s\n", p->text);
}

static void one_message(struct validate_ctx *ctx, const char *text, size_t len, size_t at)
{
    struct hl7_msg m;
    struct hl7_error err;
    hl7_status st;
    hl7_pcd_status pst;
    hl7_pcd_profile used = HL7_PCD_PROFILE_UNKNOWN;
    size_t i;

    ctx->n_messages++;
    (void)printf("message %zu (byte %zu): ", ctx->n_messages, at);
    hl7_msg_init(&m, ctx->segs, HL7_MAX_SEGMENTS, ctx->seps, ctx->cap_seps);
    memset(&err, 0, sizeof err);
    st = hl7_parse(&m, text, len, &err);
    if (st == HL7_OK) {
        st = hl7_msg_check(&m, &err);
    }
    if (st != HL7_OK) {
        ctx->n_invalid++;
        (void)printf("malformed\n  error   %s%s%u  byte %u: %s\n",
                     (err.segment_id[0] != '\0') ? err.segment_id : "segment ",
                     (err.segment_id[0] != '\0') ? "-" : "", (unsigned)err.field,
                     (unsigned)(at + err.offset),
                     (err.message != NULL) ? err.message : hl7_status_str(st));
        return;
    }
    pst = hl7_pcd_validate(&m, ctx->profile, ctx->probs, &used);
    if ((pst == HL7_PCD_UNUSABLE) && (ctx->profile == HL7_PCD_PROFILE_AUTO)) {
        ctx->n_unusable++;
        (void)printf("not an IHE PCD message\n");
    } else {
        if (pst != HL7_PCD_OK) {
            ctx->n_invalid++;
        }
        (void)printf("%s, %zu error%s, %zu warning%s\n", hl7_pcd_profile_str(used),
                     ctx->probs->n_errors, (ctx->probs->n_errors == 1U) ? "" : "s",
                     ctx->probs->n_warnings, (ctx->probs->n_warnings == 1U) ? "" : "s");
    }
    for (i = 0; i < ctx->probs->n; i++) {
        print_problem(&ctx->probs->items[i]);
    }
    if (ctx->probs->n_dropped > 0U) {
        (void)printf("  (%zu more problems not listed)\n", ctx->probs->n_dropped);
    }
}

/* The frame-too-large report, or one_message. */
static void on_message(void *validate_ctx, const char *text, size_t len, size_t at,
                       hl7_status frame_status)
{
    struct validate_ctx *ctx = validate_ctx;

    if (frame_status == HL7_ERR_TOO_LARGE) {
        ctx->n_messages++;
        ctx->n_invalid++;
        (void)printf("message %zu (byte %zu): malformed\n  error   frame larger than %u bytes\n",
                     ctx->n_messages, at, (unsigned)HL7_MAX_MESSAGE_BYTES);
        return;
    }
    one_message(ctx, text, len, at);
}

int ictl_cmd_hl7_validate(int argc, char *const *argv)
{
    static const struct cli_optdef defs[] = {{"--profile", true}};
    struct cli_parsed a;
    struct validate_ctx ctx;
    char *data;
    char *frame_buf = NULL;
    size_t len = 0;
    int status;

    if (!ictl_args_parse(argc - 1, argv + 1, defs, 1, &a)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(validate_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (a.n_pos != 1U) {
        ictl_error("hl7 validate needs exactly one FILE");
        (void)fputs(validate_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.profile = HL7_PCD_PROFILE_AUTO;
    if (a.seen[0] && (!hl7_pcd_profile_parse(a.value[0], &ctx.profile) ||
                      (ctx.profile == HL7_PCD_PROFILE_AUTO))) {
        ictl_error2("hl7 validate: unknown profile", a.value[0]);
        (void)fputs(validate_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    data = ictl_hl7_read_file(a.pos[0], &len);
    if (data == NULL) {
        return ICTL_EXIT_USAGE;
    }
    if (hl7_is_blank(data, len)) {
        free(data);
        ictl_error2("no HL7 message in", a.pos[0]);
        return ICTL_EXIT_USAGE;
    }
    ctx.cap_seps = ((len < HL7_MAX_MESSAGE_BYTES) ? len : HL7_MAX_MESSAGE_BYTES) + 1U;
    ctx.segs = malloc(HL7_MAX_SEGMENTS * sizeof *ctx.segs);
    ctx.seps = malloc(ctx.cap_seps * sizeof *ctx.seps);
    ctx.probs = malloc(sizeof *ctx.probs);
    if (memchr(data, HL7_MLLP_VT, len) != NULL) {
        frame_buf = malloc(HL7_MAX_MESSAGE_BYTES);
    }
    if ((ctx.segs == NULL) || (ctx.seps == NULL) || (ctx.probs == NULL) ||
        ((frame_buf == NULL) && (memchr(data, HL7_MLLP_VT, len) != NULL))) {
        ictl_error("out of memory");
        status = ICTL_EXIT_USAGE;
    } else {
        if (frame_buf != NULL) {
            hl7_split_mllp(data, len, frame_buf, HL7_MAX_MESSAGE_BYTES, on_message, &ctx);
        } else {
            hl7_split_text(data, len, on_message, &ctx);
        }
        (void)printf("%zu message%s: %zu with errors, %zu not IHE PCD\n", ctx.n_messages,
                     (ctx.n_messages == 1U) ? "" : "s", ctx.n_invalid, ctx.n_unusable);
        if ((ctx.n_messages == 0U) || (ctx.n_unusable > 0U && ctx.n_invalid == 0U)) {
            status = ICTL_EXIT_USAGE;
        } else {
            status = (ctx.n_invalid > 0U) ? ICTL_EXIT_INVALID : ICTL_EXIT_OK;
        }
    }
    free(frame_buf);
    free(ctx.probs);
    free(ctx.seps);
    free(ctx.segs);
    free(data);
    return status;
}
