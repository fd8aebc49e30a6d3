/*
 * mdc_table.c - the MDC term table as data (contract: see hl7/mdc.h).
 *
 * The rows come from HL7_MDC_TERMS in mdc.h; this file only lays them out and looks them up.
 * The table is small (about 130 rows), so a linear scan is fast enough and obviously correct.
 */
#include "hl7/mdc.h"

#include <string.h>

static const struct hl7_mdc_term terms[HL7_MDC_COUNT] = {
#define HL7_MDC_DATA_ROW(id, code_, refid_, part_, status_, ucum_)                                 \
    {(code_), (refid_), (part_), (status_), (ucum_)},
    HL7_MDC_TERMS(HL7_MDC_DATA_ROW)
#undef HL7_MDC_DATA_ROW
};

/* Other spellings of a unit seen in real orders (lower-case "ml", "mcg" for ug, "hr"), and
 * their UCUM form. Matching them is safe: each names one unit without ambiguity. */
struct ucum_alias {
    const char *alias;
    const char *ucum;
};

static const struct ucum_alias ucum_aliases[] = {
    {"ml", "mL"},         {"ml/h", "mL/h"},     {"ml/hr", "mL/h"},    {"mL/hr", "mL/h"},
    {"mcg/kg/min", "ug/kg/min"}, {"mcg/h", "ug/h"}, {"mcg/min", "ug/min"}, {"hr", "h"},
    {"mg/ml", "mg/mL"},   {"sec", "s"},
};

static bool text_eq(const char *a, size_t a_len, const char *b)
{
    size_t b_len = strlen(b);
    return (a_len == b_len) && ((a_len == 0U) || (memcmp(a, b, a_len) == 0));
}

const struct hl7_mdc_term *hl7_mdc_term(hl7_mdc_id id)
{
    if ((unsigned)id >= (unsigned)HL7_MDC_COUNT) {
        return NULL;
    }
    return &terms[id];
}

const struct hl7_mdc_term *hl7_mdc_by_code(uint32_t code)
{
    size_t i;

    if (code == 0U) {
        return NULL;
    }
    for (i = 0; i < (size_t)HL7_MDC_COUNT; i++) {
        if (terms[i].code == code) {
            return &terms[i];
        }
    }
    return NULL;
}

const struct hl7_mdc_term *hl7_mdc_by_refid(const char *refid, size_t len)
{
    size_t i;

    if ((refid == NULL) || (len == 0U)) {
        return NULL;
    }
    for (i = 0; i < (size_t)HL7_MDC_COUNT; i++) {
        if (text_eq(refid, len, terms[i].refid)) {
            return &terms[i];
        }
    }
    /* TF-2 names 264320 MDC_DIM_X_SEC, TF-3 and vendors MDC_DIM_SEC (standards.md §7.8). */
    if (text_eq(refid, len, "MDC_DIM_SEC")) {
        return &terms[HL7_MDC_DIM_X_SEC];
    }
    return NULL;
}

const struct hl7_mdc_term *hl7_mdc_unit_by_ucum(const char *ucum, size_t len)
{
    size_t i;

    if ((ucum == NULL) || (len == 0U)) {
        return NULL;
    }
    for (i = 0; i < (size_t)HL7_MDC_COUNT; i++) {
        if ((terms[i].partition == (uint8_t)HL7_MDC_PART_DIM) &&
            text_eq(ucum, len, terms[i].ucum)) {
            return &terms[i];
        }
    }
    for (i = 0; i < sizeof ucum_aliases / sizeof ucum_aliases[0]; i++) {
        if (text_eq(ucum, len, ucum_aliases[i].alias)) {
            return hl7_mdc_unit_by_ucum(ucum_aliases[i].ucum, strlen(ucum_aliases[i].ucum));
        }
    }
    return NULL;
}

hl7_mdc_id hl7_mdc_id_of(const struct hl7_mdc_term *t)
{
    if ((t == NULL) || (t < &terms[0]) || (t >= &terms[HL7_MDC_COUNT])) {
        return HL7_MDC_COUNT;
    }
    return (hl7_mdc_id)(t - &terms[0]);
}

bool hl7_mdc_emit_code(const struct hl7_mdc_term *t)
{
    return (t != NULL) && (t->code != 0U) &&
           ((t->status == (uint8_t)HL7_MDC_TF) || (t->status == (uint8_t)HL7_MDC_TF16));
}

uint32_t hl7_mdc_wire_code(const struct hl7_mdc_term *t)
{
    return hl7_mdc_emit_code(t) ? t->code : 0U;
}

const char *hl7_mdc_status_str(hl7_mdc_status s)
{
    switch (s) {
    case HL7_MDC_TF:
        return "TF";
    case HL7_MDC_TF16:
        return "TF16";
    case HL7_MDC_SHEET:
        return "sheet";
    case HL7_MDC_CORR:
        return "corroborated";
    case HL7_MDC_PENDING:
        return "pending";
    case HL7_MDC_UNVERIFIED:
        return "unverified";
    default:
        return "?";
    }
}
