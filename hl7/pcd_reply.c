/*
 * pcd_reply.c - the IOC's answers to a PCD-03 order: ACK^O15 (accept ack, CA/CE/CR) and
 * RRG^O16 (application ack, AA/AE/AR + ERR with PIV codes), built and decoded
 * (contract: see hl7/pcd.h; rules: standards.md §2.6 and §3.2.8).
 */
#include <string.h>

#include "pcd_internal.h"

#define SEV_E HL7_PCD_SEV_ERROR
#define SEV_W HL7_PCD_SEV_WARNING

/* 0357 codes that mean "cannot process this message at all": reject rather than error. */
static bool is_reject_code(unsigned code)
{
    return (code >= 200U) && (code <= 203U);
}

static bool add_err(struct hl7_pcd_reply *r, unsigned hl7_code, char severity, unsigned piv,
                    const char *location, const char *text)
{
    struct hl7_pcd_err *e;

    if (r->n_errs >= HL7_PCD_MAX_ERRS) {
        return false;
    }
    e = &r->errs[r->n_errs++];
    memset(e, 0, sizeof *e);
    e->hl7_code = (uint16_t)hl7_code;
    e->severity = severity;
    e->piv_code = (uint16_t)piv;
    (void)pcd__scpy(e->location, sizeof e->location, location);
    (void)pcd__scpy(e->text, sizeof e->text, text);
    return true;
}

/* ERR-2 as segment^sequence^field (ERL). */
static void problem_location(const struct hl7_pcd_problem *p, char *buf, size_t cap)
{
    char num[11];

    buf[0] = '\0';
    if ((p->segment[0] == '\0') || (p->seg_index == 0U)) {
        return;
    }
    pcd__cat(buf, cap, p->segment);
    pcd__cat(buf, cap, "^");
    pcd__u32_text(p->seg_index, num);
    pcd__cat(buf, cap, num);
    if (p->field != 0U) {
        pcd__u32_text(p->field, num);
        pcd__cat(buf, cap, "^");
        pcd__cat(buf, cap, num);
    }
}

hl7_pcd_status hl7_pcd_reply_prepare(hl7_pcd_reply_kind kind, const struct hl7_pcd_order *order,
                                     const struct hl7_pcd_problems *probs, const char *control_id,
                                     const char *time, struct hl7_pcd_reply *out)
{
    bool reject = false;
    size_t pass;
    size_t i;

    if ((order == NULL) || (control_id == NULL) || (time == NULL) || (out == NULL) ||
        ((kind != HL7_PCD_REPLY_ACK_O15) && (kind != HL7_PCD_REPLY_RRG_O16))) {
        return HL7_PCD_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    out->msh.sending_app = order->msh.receiving_app;
    out->msh.receiving_app = order->msh.sending_app;
    memcpy(out->msh.sending_facility, order->msh.receiving_facility,
           sizeof out->msh.sending_facility);
    memcpy(out->msh.receiving_facility, order->msh.sending_facility,
           sizeof out->msh.receiving_facility);
    memcpy(out->msh.version, order->msh.version, sizeof out->msh.version);
    memcpy(out->msh.processing_id, order->msh.processing_id, sizeof out->msh.processing_id);
    memcpy(out->acked_id, order->msh.control_id, sizeof out->acked_id);
    if (!pcd__scpy(out->msh.control_id, sizeof out->msh.control_id, control_id) ||
        !pcd__scpy(out->msh.time, sizeof out->msh.time, time)) {
        return HL7_PCD_ERR_ARG;
    }
    if (kind == HL7_PCD_REPLY_RRG_O16) {
        memcpy(out->patient_id, order->patient.id, sizeof out->patient_id);
        memcpy(out->placer_id, order->placer_id, sizeof out->placer_id);
    }
    /* RRG^O16 carries PIV codes: those errors go first so the IOP sees them when ERRs run out. */
    for (pass = 0; (probs != NULL) && (pass < 2U); pass++) {
        for (i = 0; i < probs->n; i++) {
            const struct hl7_pcd_problem *p = &probs->items[i];
            char loc[HL7_PCD_CODE_MAX];
            bool first_pass = (kind == HL7_PCD_REPLY_RRG_O16) ? (p->piv_code != 0U) : true;
            if ((p->severity != SEV_E) || (first_pass != (pass == 0U))) {
                continue;
            }
            if (is_reject_code(p->hl7_code)) {
                reject = true;
            }
            problem_location(p, loc, sizeof loc);
            (void)add_err(out, (p->hl7_code != 0U) ? p->hl7_code : 207U, 'E',
                          (kind == HL7_PCD_REPLY_RRG_O16) ? p->piv_code : 0U, loc, p->text);
        }
    }
    if (kind == HL7_PCD_REPLY_ACK_O15) {
        (void)pcd__scpy(out->code, sizeof out->code,
                        (out->n_errs == 0U) ? "CA" : (reject ? "CR" : "CE"));
    } else {
        (void)pcd__scpy(out->code, sizeof out->code,
                        (out->n_errs == 0U) ? "AA" : (reject ? "AR" : "AE"));
    }
    return HL7_PCD_OK;
}

hl7_pcd_status hl7_pcd_reply_add_error(struct hl7_pcd_reply *r, unsigned hl7_code,
                                       unsigned piv_code, const char *text)
{
    const char *t = text;

    if (r == NULL) {
        return HL7_PCD_ERR_ARG;
    }
    if (t == NULL) {
        t = hl7_pcd_piv_text(piv_code);
    }
    if (!add_err(r, hl7_code, 'E', piv_code, "", (t != NULL) ? t : "")) {
        return HL7_PCD_ERR_FULL;
    }
    if (pcd__streq(r->code, "AA")) {
        (void)pcd__scpy(r->code, sizeof r->code, "AE");
    } else if (pcd__streq(r->code, "CA")) {
        (void)pcd__scpy(r->code, sizeof r->code, "CE");
    }
    return HL7_PCD_OK;
}

/* MSA and ERR segments, shared by both replies. */
static void b_msa_err(struct hl7_builder *b, const struct hl7_pcd_reply *r)
{
    size_t i;

    (void)hl7_build_segment(b, "MSA");
    (void)hl7_build_fieldz(b, r->code);
    (void)hl7_build_fieldz(b, r->acked_id);
    for (i = 0; i < r->n_errs; i++) {
        const struct hl7_pcd_err *e = &r->errs[i];
        const char *code_text = hl7_error_code_text(e->hl7_code);
        char num[11];
        char sev[2];
        (void)hl7_build_segment(b, "ERR");
        (void)hl7_build_fieldz(b, ""); /* ERR-1 not used */
        /* ERR-2 error location (ERL): segment^sequence^field. */
        if (e->location[0] != '\0') {
            const char *s = e->location;
            size_t k;
            for (k = 0; k < 3U; k++) {
                const char *sep = strchr(s, '^');
                size_t n = (sep != NULL) ? (size_t)(sep - s) : strlen(s);
                if (k == 0U) {
                    (void)hl7_build_field(b, s, n);
                } else {
                    (void)hl7_build_component(b, s, n);
                }
                if (sep == NULL) {
                    break;
                }
                s = sep + 1;
            }
        } else {
            (void)hl7_build_fieldz(b, "");
        }
        pcd__u32_text(e->hl7_code, num);
        (void)hl7_build_fieldz(b, num);
        (void)hl7_build_componentz(b, (code_text != NULL) ? code_text : "");
        (void)hl7_build_componentz(b, "HL70357");
        sev[0] = (e->severity != '\0') ? e->severity : 'E';
        sev[1] = '\0';
        (void)hl7_build_fieldz(b, sev);
        if (e->piv_code != 0U) {
            const char *piv = hl7_pcd_piv_text(e->piv_code);
            pcd__u32_text(e->piv_code, num);
            (void)hl7_build_fieldz(b, num);
            (void)hl7_build_componentz(b, (piv != NULL) ? piv : "");
        } else {
            (void)hl7_build_fieldz(b, "");
        }
        if (e->text[0] != '\0') {
            (void)hl7_build_empty_fields(b, 2); /* ERR-6, ERR-7 */
            (void)hl7_build_fieldz(b, e->text); /* ERR-8 user message */
        }
    }
}

static bool code_in(const char *code, const char *a, const char *b, const char *c)
{
    return pcd__streq(code, a) || pcd__streq(code, b) || pcd__streq(code, c);
}

static bool reply_ok(const struct hl7_pcd_reply *r)
{
    return (r != NULL) && pcd__hdr_ok(&r->msh) && (r->acked_id[0] != '\0');
}

hl7_pcd_status hl7_pcd_ack_o15_build(const struct hl7_pcd_reply *r, char *out, size_t cap,
                                     size_t *len)
{
    struct hl7_builder b;
    const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;

    if (!reply_ok(r) || (out == NULL) || (len == NULL) || !code_in(r->code, "CA", "CE", "CR")) {
        return HL7_PCD_ERR_ARG;
    }
    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return HL7_PCD_ERR_ARG;
    }
    pcd__b_msh(&b, &r->msh, "ACK", "O15", "ACK",
               (r->msh.version[0] != '\0') ? r->msh.version : "2.6", "", "", NULL, NULL);
    b_msa_err(&b, r);
    return pcd__b_finish(&b, len);
}

hl7_pcd_status hl7_pcd_rrg_o16_build(const struct hl7_pcd_reply *r, char *out, size_t cap,
                                     size_t *len)
{
    struct hl7_builder b;
    const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;

    if (!reply_ok(r) || (out == NULL) || (len == NULL) || !code_in(r->code, "AA", "AE", "AR")) {
        return HL7_PCD_ERR_ARG;
    }
    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return HL7_PCD_ERR_ARG;
    }
    pcd__b_msh(&b, &r->msh, "RRG", "O16", "RRG_O16", "2.6", "AL", "NE", "IHE_PCD_PIV_001",
               PCD__OID_RRG_O16);
    b_msa_err(&b, r);
    if (r->patient_id[0] != '\0') {
        (void)hl7_build_segment(&b, "PID");
        (void)hl7_build_empty_fields(&b, 2);
        (void)hl7_build_fieldz(&b, r->patient_id);
    }
    if (r->placer_id[0] != '\0') {
        (void)hl7_build_segment(&b, "ORC");
        (void)hl7_build_fieldz(&b, "OK"); /* ORC-1: order accepted / acknowledged */
        (void)hl7_build_fieldz(&b, r->placer_id);
    }
    return pcd__b_finish(&b, len);
}

hl7_pcd_status hl7_pcd_reply_decode(const struct hl7_msg *m, struct hl7_pcd_reply *out,
                                    struct hl7_pcd_problems *probs)
{
    struct pcd__ctx c;
    size_t n;
    size_t i;
    size_t i_msa;
    bool rrg;

    if ((m == NULL) || (out == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    if (!pcd__decode_begin(&c, m, probs)) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U, "no MSH segment");
        return HL7_PCD_UNUSABLE;
    }
    rrg = pcd__msh9_is(&c, "RRG", "O16");
    if (!rrg && !hl7_view_eq(pcd__raw(&c, 0, 9, 1, 1, 0), "ACK")) {
        pcd__problem(&c, SEV_E, 0, 9, 0, 200U, 0U, "MSH-9 is neither ACK nor RRG^O16");
        return HL7_PCD_UNUSABLE;
    }
    memset(out, 0, sizeof *out);
    pcd__msh(&c, &out->msh);
    if (rrg) {
        pcd__msh_expect(&c, &out->msh, "AL", NULL, PCD__OID_RRG_O16);
    }
    n = hl7_segment_count(m);
    i_msa = hl7_find_segment(m, "MSA", 1);
    if (i_msa >= n) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U,
                     "no MSA segment (required: the acknowledgement)");
        return HL7_PCD_INVALID;
    }
    if (i_msa != 1U) {
        pcd__problem(&c, SEV_E, i_msa, 0, 0, 100U, 0U, "MSA must directly follow MSH");
    }
    (void)pcd__copy(&c, i_msa, 1, 1, 1, 0, out->code, sizeof out->code);
    if (out->code[0] == '\0') {
        pcd__problem(&c, SEV_E, i_msa, 1, 0, 101U, 0U,
                     "MSA-1 is empty (required: the acknowledgement code)");
    } else if (rrg ? !code_in(out->code, "AA", "AE", "AR")
                   : !code_in(out->code, "CA", "CE", "CR") && !code_in(out->code, "AA", "AE", "AR")) {
        pcd__problem(&c, SEV_E, i_msa, 1, 0, 103U, 0U, "MSA-1 is '%s' (expected %s)", out->code,
                     rrg ? "AA, AE or AR" : "CA, CE, CR, AA, AE or AR");
    }
    (void)pcd__copy(&c, i_msa, 2, 1, 1, 0, out->acked_id, sizeof out->acked_id);
    if (out->acked_id[0] == '\0') {
        pcd__problem(&c, SEV_E, i_msa, 2, 0, 101U, 0U,
                     "MSA-2 is empty (required: the control id being acknowledged)");
    }
    if (pcd__raw(&c, i_msa, 3, 0, 0, 0).len > 0U) {
        pcd__problem(&c, SEV_W, i_msa, 3, 0, 0U, 0U,
                     "MSA-3 is not used by IHE PCD (errors go in ERR)");
    }
    for (i = i_msa + 1U; i < n; i++) {
        if (hl7_segment_is(m, i, "ERR")) {
            struct hl7_pcd_err e;
            char num[HL7_PCD_NUM_MAX];
            char part[3][HL7_PCD_CODE_MAX];
            uint32_t v = 0;
            size_t k;
            memset(&e, 0, sizeof e);
            (void)pcd__copy(&c, i, 3, 1, 1, 0, num, sizeof num);
            /* The TF's example has "207^ Application internal error": codes are trimmed. */
            if (num[0] == '\0') {
                pcd__problem(&c, SEV_E, i, 3, 0, 101U, 0U,
                             "ERR-3 is empty (required: the HL7 error code, table 0357)");
            } else if (!pcd__parse_u32(num, &v) || (hl7_error_code_text(v) == NULL)) {
                pcd__problem(&c, SEV_E, i, 3, 0, 103U, 0U,
                             "ERR-3 '%s' is not an HL7 table 0357 code", num);
            }
            e.hl7_code = (uint16_t)((v <= 65535U) ? v : 0U);
            (void)pcd__copy(&c, i, 4, 1, 1, 0, num, sizeof num);
            if (num[0] == '\0') {
                pcd__problem(&c, SEV_E, i, 4, 0, 101U, 0U,
                             "ERR-4 is empty (required: the severity, table 0516 E W I F)");
            } else if ((num[1] != '\0') || (strchr("EWIF", num[0]) == NULL)) {
                pcd__problem(&c, SEV_E, i, 4, 0, 103U, 0U,
                             "ERR-4 '%s' is not a severity of table 0516 (E W I F)", num);
            } else {
                e.severity = num[0];
            }
            (void)pcd__copy(&c, i, 5, 1, 1, 0, num, sizeof num);
            if (num[0] != '\0') {
                v = 0;
                if (!pcd__parse_u32(num, &v) || (v > 65535U)) {
                    pcd__problem(&c, SEV_W, i, 5, 0, 0U, 0U,
                                 "ERR-5 '%s' is not a numeric application error code", num);
                    v = 0;
                } else if (rrg && (hl7_pcd_piv_text(v) == NULL)) {
                    pcd__problem(&c, SEV_W, i, 5, 0, 0U, 0U,
                                 "ERR-5 %s is not a PIV application error code (9001-9033)", num);
                }
                e.piv_code = (uint16_t)v;
            }
            for (k = 0; k < 3U; k++) {
                (void)pcd__copy(&c, i, 2, 1, k + 1U, 0, part[k], sizeof part[k]);
            }
            if (part[0][0] != '\0') {
                pcd__cat(e.location, sizeof e.location, part[0]);
                for (k = 1; (k < 3U) && (part[k][0] != '\0'); k++) {
                    pcd__cat(e.location, sizeof e.location, "^");
                    pcd__cat(e.location, sizeof e.location, part[k]);
                }
            }
            (void)pcd__copy(&c, i, 8, 1, 1, 0, e.text, sizeof e.text);
            if (out->n_errs < HL7_PCD_MAX_ERRS) {
                out->errs[out->n_errs++] = e;
            }
        } else if (rrg && hl7_segment_is(m, i, "PID")) {
            (void)pcd__copy(&c, i, 3, 1, 1, 0, out->patient_id, sizeof out->patient_id);
        } else if (rrg && hl7_segment_is(m, i, "ORC")) {
            (void)pcd__copy(&c, i, 2, 1, 1, 0, out->placer_id, sizeof out->placer_id);
            if (out->placer_id[0] == '\0') {
                pcd__problem(&c, SEV_E, i, 2, 0, 101U, 0U,
                             "ORC-2 is empty (required when ORC is sent: the placer order number)");
            }
        } else {
            /* other segments of an RRG (RXG, timing) are not used; ignore them */
        }
    }
    if (!hl7_ack_is_success(pcd__streq(out->code, "AA")   ? HL7_ACK_AA
                            : pcd__streq(out->code, "CA") ? HL7_ACK_CA
                                                          : HL7_ACK_AE) &&
        (out->n_errs == 0U) && (out->code[0] != '\0')) {
        pcd__problem(&c, SEV_W, i_msa, 1, 0, 0U, 0U,
                     "MSA-1 is %s but no ERR segment says why", out->code);
    }
    return pcd__decode_status(&c);
}
