/*
 * hl7_ack.c - generic acknowledgements (MSH + MSA [+ ERR]) in original and enhanced mode.
 *
 * Contract: see include/hl7/hl7.h.
 *
 * Field senders disagree on the success code (IPF-style receivers answer PCD-01 with AA, Draeger
 * with CA), so a sender must treat both as success (standards.md 2.6).
 */
#include <string.h>

#include "hl7_internal.h"

static const char *const ack_names[] = {"AA", "AE", "AR", "CA", "CE", "CR"};

bool hl7_ack_is_success(hl7_ack_code code)
{
    return code == HL7_ACK_AA || code == HL7_ACK_CA;
}

const char *hl7_ack_code_str(hl7_ack_code code)
{
    unsigned i = (unsigned)code;
    return (i < sizeof ack_names / sizeof ack_names[0]) ? ack_names[i] : "??";
}

hl7_ack_mode hl7_ack_mode_of(const struct hl7_msg *m)
{
    size_t i = hl7_find_segment(m, "MSH", 0);

    if (i >= hl7_segment_count(m)) {
        return HL7_MODE_ORIGINAL;
    }
    return (hl7_field(m, i, 15).len > 0U || hl7_field(m, i, 16).len > 0U) ? HL7_MODE_ENHANCED
                                                                            : HL7_MODE_ORIGINAL;
}

hl7_ack_code hl7_ack_code_for(hl7_ack_mode mode, bool accepted, bool reject)
{
    if (mode == HL7_MODE_ENHANCED) {
        return accepted ? HL7_ACK_CA : (reject ? HL7_ACK_CR : HL7_ACK_CE);
    }
    return accepted ? HL7_ACK_AA : (reject ? HL7_ACK_AR : HL7_ACK_AE);
}

const char *hl7_error_code_text(unsigned code)
{
    switch (code) {
    case 0:
        return "Message accepted";
    case 100:
        return "Segment sequence error";
    case 101:
        return "Required field missing";
    case 102:
        return "Data type error";
    case 103:
        return "Table value not found";
    case 104:
        return "Value too long";
    case 200:
        return "Unsupported message type";
    case 201:
        return "Unsupported event code";
    case 202:
        return "Unsupported processing id";
    case 203:
        return "Unsupported version id";
    case 204:
        return "Unknown key identifier";
    case 205:
        return "Duplicate key identifier";
    case 206:
        return "Application record locked";
    case 207:
        return "Application internal error";
    default:
        return NULL;
    }
}

/* Copy a field of the original unchanged (it is already HL7 text of the same encoding). */
static void copy_field(struct hl7_builder *b, const struct hl7_msg *m, size_t i_seg, size_t n)
{
    struct hl7_view v = hl7_field(m, i_seg, n);
    (void)hl7_build_field_raw(b, v.ptr, v.len);
}

hl7_status hl7_ack_build(const struct hl7_msg *orig, const struct hl7_ack_params *params,
                         char *out, size_t cap, size_t *len)
{
    struct hl7_builder b;
    struct hl7_view event;
    size_t i_msh;
    hl7_status st;
    char num[8];

    if (orig == NULL || params == NULL || out == NULL || len == NULL ||
        params->control_id == NULL || params->timestamp == NULL ||
        (unsigned)params->code >= sizeof ack_names / sizeof ack_names[0] ||
        params->error_code > 9999U) {
        return HL7_ERR_INVAL;
    }
    i_msh = hl7_find_segment(orig, "MSH", 0);
    if (i_msh >= hl7_segment_count(orig)) {
        return HL7_ERR_NOT_FOUND;
    }
    st = hl7_builder_init(&b, out, cap, &orig->enc);
    if (st != HL7_OK) {
        return st;
    }
    (void)hl7_build_segment(&b, "MSH");
    copy_field(&b, orig, i_msh, 5); /* MSH-3 sending app   <- original receiving app */
    copy_field(&b, orig, i_msh, 6); /* MSH-4 sending fac.  <- original receiving facility */
    copy_field(&b, orig, i_msh, 3); /* MSH-5 receiving app <- original sending app */
    copy_field(&b, orig, i_msh, 4); /* MSH-6 receiving fac. */
    (void)hl7_build_fieldz(&b, params->timestamp); /* MSH-7 */
    (void)hl7_build_field(&b, "", 0);              /* MSH-8 security */
    (void)hl7_build_fieldz(&b, "ACK");             /* MSH-9 ACK^<event>^ACK */
    (void)hl7_get(orig, i_msh, 9, 1, 2, 0, &event);
    (void)hl7__build_sep_raw(&b, orig->enc.component, event.ptr, event.len);
    (void)hl7__build_sep_raw(&b, orig->enc.component, "ACK", 3U);
    (void)hl7_build_fieldz(&b, params->control_id); /* MSH-10 */
    copy_field(&b, orig, i_msh, 11);                  /* MSH-11 processing id */
    copy_field(&b, orig, i_msh, 12);                  /* MSH-12 version */
    (void)hl7_build_empty_fields(&b, 5);              /* MSH-13..17 */
    copy_field(&b, orig, i_msh, 18);                  /* MSH-18 character set */

    (void)hl7_build_segment(&b, "MSA");
    (void)hl7_build_fieldz(&b, ack_names[params->code]);
    copy_field(&b, orig, i_msh, 10); /* MSA-2 = the acknowledged MSH-10 */

    if (params->error_code != 0U || params->error_text != NULL) {
        const char *text = hl7_error_code_text(params->error_code);
        unsigned c = params->error_code;
        size_t n = 0;
        char sev[2];

        (void)hl7_build_segment(&b, "ERR");
        (void)hl7_build_empty_fields(&b, 2); /* ERR-1 not used, ERR-2 location */
        do {
            num[sizeof num - 1U - n] = (char)('0' + c % 10U);
            n++;
            c /= 10U;
        } while (c > 0U);
        (void)hl7_build_field(&b, num + sizeof num - n, n); /* ERR-3 */
        (void)hl7_build_componentz(&b, (text != NULL) ? text : "");
        (void)hl7_build_componentz(&b, "HL70357");
        sev[0] = (params->severity != '\0') ? params->severity : 'E';
        sev[1] = '\0';
        (void)hl7_build_fieldz(&b, sev);                    /* ERR-4 */
        (void)hl7_build_fieldz(&b, params->app_error);      /* ERR-5 */
        (void)hl7_build_empty_fields(&b, 2);                /* ERR-6, ERR-7 */
        (void)hl7_build_fieldz(&b, params->error_text);     /* ERR-8 */
    }
    return hl7_build_finish(&b, len);
}

hl7_status hl7_ack_decode(const struct hl7_msg *m, struct hl7_ack *out)
{
    struct hl7_ack a;
    struct hl7_view code;
    size_t i_msa;
    size_t i_err;
    size_t i_msh;
    unsigned k;
    bool found = false;

    if (m == NULL || out == NULL) {
        return HL7_ERR_INVAL;
    }
    i_msa = hl7_find_segment(m, "MSA", 0);
    if (i_msa >= hl7_segment_count(m)) {
        return HL7_ERR_NOT_FOUND;
    }
    memset(&a, 0, sizeof a);
    code = hl7_field(m, i_msa, 1);
    for (k = 0; k < sizeof ack_names / sizeof ack_names[0]; k++) {
        if (hl7_view_eq(code, ack_names[k])) {
            a.code = (hl7_ack_code)k;
            found = true;
        }
    }
    if (!found) {
        return HL7_ERR_ACK_CODE;
    }
    a.control_id = hl7_field(m, i_msa, 2);
    i_msh = hl7_find_segment(m, "MSH", 0);
    a.message_type = hl7_field(m, i_msh, 9);
    i_err = hl7_find_segment(m, "ERR", 0);
    if (i_err < hl7_segment_count(m)) {
        a.has_err = true;
        (void)hl7_get(m, i_err, 3, 1, 1, 0, &a.err_code);
        (void)hl7_get(m, i_err, 3, 1, 2, 0, &a.err_text);
        (void)hl7_get(m, i_err, 4, 0, 0, 0, &a.severity);
        (void)hl7_get(m, i_err, 5, 1, 1, 0, &a.app_error);
        (void)hl7_get(m, i_err, 8, 0, 0, 0, &a.user_message);
    }
    *out = a;
    return HL7_OK;
}
