/*
 * ehr_order.c - RGV^O15 orders from drug-library entries, and order files split into messages
 * (contract: see ehr_order.h).
 */
#include "ehr_order.h"

#include <stdio.h>
#include <string.h>

#include "hl7/hl7.h"
#include "hl7/mdc.h"
#include "hl7/mllp.h"
#include "hl7/pcd.h"

/* The PCD-03 profile of standards.md §2.7 (MSH-21). */
#define PCD03_OID "1.3.6.1.4.1.19376.1.6.1.3.1"
/* Decimals kept when a mid-range value is written; library bounds have far fewer. */
#define DOSE_DECIMALS 4U

static bool scpy(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) {
        return false;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

static bool scpyz(char *dst, size_t cap, const char *src)
{
    return scpy(dst, cap, src, strlen(src));
}

ehr_status ehr_unit_ucum(struct pump_unit u, char *buf, size_t cap)
{
    char text[PUMP_UNIT_TEXT_MAX];
    const char *rest;
    const char *amount;
    size_t n_amount;
    size_t n_rest;

    if (buf == NULL || cap == 0U) {
        return EHR_ERR_ARG;
    }
    if (pump_unit_format(u, text, sizeof text) != PUMP_OK) {
        return EHR_ERR_ARG;
    }
    /* The library writes the amount first; only the amount differs between the two spellings. */
    rest = strchr(text, '/');
    if (rest == NULL) {
        rest = "";
    }
    switch ((pump_amount)u.amount) {
    case PUMP_AMT_MCG:
        amount = "ug";
        break;
    case PUMP_AMT_UNITS:
        amount = "[iU]";
        break;
    case PUMP_AMT_MILLIUNITS:
        amount = "m[iU]";
        break;
    case PUMP_AMT_MEQ:
        amount = "meq";
        break;
    case PUMP_AMT_G:
    case PUMP_AMT_MG:
    case PUMP_AMT_NG:
    case PUMP_AMT_MMOL:
    case PUMP_AMT_ML:
        amount = pump_amount_str((pump_amount)u.amount);
        break;
    case PUMP_AMT_COUNT:
    default:
        return EHR_ERR_ARG;
    }
    n_amount = strlen(amount);
    n_rest = strlen(rest);
    if (n_amount + n_rest >= cap) {
        buf[0] = '\0';
        return EHR_ERR_FULL;
    }
    memcpy(buf, amount, n_amount);
    memcpy(buf + n_amount, rest, n_rest + 1U);
    return EHR_OK;
}

static bool has_bound(const struct pump_limits *l, pump_bound b)
{
    return (l->present & (1U << (unsigned)b)) != 0U;
}

/*
 * The middle of a limits object: of the soft range when both soft bounds exist, else of the
 * lowest and highest bounds present; half the maximum when only maxima exist, 1.5 x the minimum
 * when only minima exist, `fallback` when there is no bound at all.
 */
static ehr_status mid_range(const struct pump_limits *l, struct pump_q fallback,
                            struct pump_q *out)
{
    const struct pump_q *lo = NULL;
    const struct pump_q *hi = NULL;
    struct pump_q sum;

    if (has_bound(l, PUMP_SOFT_MIN)) {
        lo = &l->bound[PUMP_SOFT_MIN];
    } else if (has_bound(l, PUMP_HARD_MIN)) {
        lo = &l->bound[PUMP_HARD_MIN];
    }
    if (has_bound(l, PUMP_SOFT_MAX)) {
        hi = &l->bound[PUMP_SOFT_MAX];
    } else if (has_bound(l, PUMP_HARD_MAX)) {
        hi = &l->bound[PUMP_HARD_MAX];
    }
    /* A zero lower bound would make "1.5 x minimum" zero: treat it as absent. */
    if (lo != NULL && pump_q_sign(*lo) <= 0) {
        lo = NULL;
    }
    if (lo != NULL && hi != NULL) {
        if (pump_q_add(*lo, *hi, &sum) != PUMP_OK ||
            pump_q_div(sum, pump_q_int(2), out) != PUMP_OK) {
            return EHR_ERR_RANGE;
        }
        return EHR_OK;
    }
    if (hi != NULL) {
        return (pump_q_div(*hi, pump_q_int(2), out) == PUMP_OK) ? EHR_OK : EHR_ERR_RANGE;
    }
    if (lo != NULL) {
        struct pump_q three_halves;
        if (pump_q_make(3, 2, &three_halves) != PUMP_OK) {
            return EHR_ERR_RANGE;
        }
        return (pump_q_mul(*lo, three_halves, out) == PUMP_OK) ? EHR_OK : EHR_ERR_RANGE;
    }
    *out = fallback;
    return EHR_OK;
}

static ehr_status format_q(struct pump_q q, char *buf, size_t cap)
{
    char text[PUMP_Q_TEXT_MAX];

    if (pump_q_format(q, DOSE_DECIMALS, text, sizeof text) != PUMP_OK) {
        return EHR_ERR_RANGE;
    }
    return scpyz(buf, cap, text) ? EHR_OK : EHR_ERR_FULL;
}

static bool within(const struct pump_limits *l, struct pump_q v)
{
    pump_bound lo = has_bound(l, PUMP_SOFT_MIN) ? PUMP_SOFT_MIN : PUMP_HARD_MIN;
    pump_bound hi = has_bound(l, PUMP_SOFT_MAX) ? PUMP_SOFT_MAX : PUMP_HARD_MAX;

    if (has_bound(l, lo) && pump_q_cmp(v, l->bound[lo]) < 0) {
        return false;
    }
    return !(has_bound(l, hi) && pump_q_cmp(v, l->bound[hi]) > 0);
}

/* The patient: 70 kg (what pumpd fleet --patients associates) unless the care area's weight
 * range excludes it (NICU), then the middle of that range; BSA only for /m2 doses. */
static ehr_status patient_figures(const struct pump_care_area *a, const struct pump_entry *e,
                                  struct ehr_order *o)
{
    struct pump_q w = pump_q_int(70);
    ehr_status st;

    if (!within(&a->weight_kg, w)) {
        st = mid_range(&a->weight_kg, w, &w);
        if (st != EHR_OK) {
            return st;
        }
    }
    st = format_q(w, o->weight_kg, sizeof o->weight_kg);
    if (st != EHR_OK) {
        return st;
    }
    o->bsa_m2[0] = '\0';
    if (e->dosing_unit.body == (uint8_t)PUMP_PER_M2 ||
        (e->has_dose_rate && e->dose_rate_unit.body == (uint8_t)PUMP_PER_M2)) {
        struct pump_q bsa;
        struct pump_q dflt;
        if (pump_q_make(9, 5, &dflt) != PUMP_OK) {
            return EHR_ERR_RANGE;
        }
        st = mid_range(&a->bsa_m2, dflt, &bsa);
        if (st == EHR_OK) {
            st = format_q(bsa, o->bsa_m2, sizeof o->bsa_m2);
        }
    }
    return st;
}

static ehr_status entry_dose(const struct pump_entry *e, bool is_hard, struct ehr_order *o)
{
    struct pump_q dose;
    ehr_status st;

    if (is_hard) {
        struct pump_q three_halves;
        if (!has_bound(&e->dose_limits, PUMP_HARD_MAX)) {
            return EHR_ERR_ENTRY;
        }
        if (pump_q_make(3, 2, &three_halves) != PUMP_OK ||
            pump_q_mul(e->dose_limits.bound[PUMP_HARD_MAX], three_halves, &dose) != PUMP_OK) {
            return EHR_ERR_RANGE;
        }
    } else {
        st = mid_range(&e->dose_limits, pump_q_int(1), &dose);
        if (st != EHR_OK) {
            return st;
        }
    }
    st = format_q(dose, o->dose, sizeof o->dose);
    if (st == EHR_OK) {
        st = ehr_unit_ucum(e->dosing_unit, o->dose_ucum, sizeof o->dose_ucum);
    }
    return st;
}

static ehr_status entry_container(const struct pump_entry *e, struct ehr_order *o)
{
    ehr_status st = EHR_OK;

    o->strength[0] = '\0';
    o->strength_ucum[0] = '\0';
    o->strength_volume_ml[0] = '\0';
    o->vtbi_ml[0] = '\0';
    o->duration_min[0] = '\0';
    if (e->has_conc) {
        st = format_q(e->conc_amount, o->strength, sizeof o->strength);
        if (st == EHR_OK) {
            st = ehr_unit_ucum(e->conc_amount_unit, o->strength_ucum, sizeof o->strength_ucum);
        }
        if (st == EHR_OK) {
            st = format_q(e->conc_volume_ml, o->strength_volume_ml, sizeof o->strength_volume_ml);
        }
    }
    if (st != EHR_OK) {
        return st;
    }
    switch ((pump_entry_mode)e->mode) {
    case PUMP_ENTRY_CONTINUOUS:
        /* The whole bag: what a nurse hangs for a continuous drip. */
        return format_q(e->has_conc ? e->conc_volume_ml : pump_q_int(100), o->vtbi_ml,
                        sizeof o->vtbi_ml);
    case PUMP_ENTRY_FLUID:
        return format_q(pump_q_int(1000), o->vtbi_ml, sizeof o->vtbi_ml);
    case PUMP_ENTRY_INTERMITTENT: {
        /* A dose (not a rate) needs a duration (TQ1-13); the volume follows from the dose. */
        struct pump_q d;
        st = mid_range(&e->duration_min_limits, pump_q_int(30), &d);
        return (st == EHR_OK) ? format_q(d, o->duration_min, sizeof o->duration_min) : st;
    }
    case PUMP_ENTRY_PCA:
    case PUMP_ENTRY_MODE_COUNT:
    default:
        return EHR_ERR_ENTRY;
    }
}

ehr_status ehr_order_from_entry(const struct pump_library *lib, uint32_t i_entry, bool is_hard,
                                struct ehr_order *o)
{
    const struct pump_entry *e;
    const struct pump_care_area *a;
    ehr_status st;

    if (lib == NULL || o == NULL || i_entry >= lib->n_entries) {
        return EHR_ERR_ARG;
    }
    e = &lib->st.entries[i_entry];
    if (e->area >= lib->n_areas) {
        return EHR_ERR_ARG;
    }
    a = &lib->st.areas[e->area];
    if (e->mode != (uint8_t)PUMP_ENTRY_CONTINUOUS && e->mode != (uint8_t)PUMP_ENTRY_INTERMITTENT &&
        e->mode != (uint8_t)PUMP_ENTRY_FLUID) {
        return EHR_ERR_ENTRY;
    }
    if (!scpy(o->entry_id, sizeof o->entry_id, pump_library_str(lib, e->id), e->id.len) ||
        !scpy(o->display_name, sizeof o->display_name, pump_library_str(lib, e->display_name),
              e->display_name.len) ||
        !scpy(o->care_area, sizeof o->care_area, pump_library_str(lib, a->id), a->id.len)) {
        return EHR_ERR_FULL;
    }
    o->mode = e->mode;
    o->is_hard = is_hard;
    st = entry_dose(e, is_hard, o);
    if (st == EHR_OK) {
        st = entry_container(e, o);
    }
    if (st == EHR_OK) {
        st = patient_figures(a, e, o);
    }
    return st;
}

/* ---- the builder ---------------------------------------------------------------------------- */

static void build_mdc(struct hl7_builder *b, hl7_mdc_id id)
{
    const struct hl7_mdc_term *t = hl7_mdc_term(id);
    char num[16];

    (void)snprintf(num, sizeof num, "%u", (t != NULL) ? (unsigned)hl7_mdc_wire_code(t) : 0U);
    (void)hl7_build_fieldz(b, num);
    (void)hl7_build_componentz(b, (t != NULL) ? t->refid : "");
    (void)hl7_build_componentz(b, "MDC");
}

static void build_msh(struct hl7_builder *b, const struct ehr_order *o)
{
    (void)hl7_build_segment(b, "MSH");
    (void)hl7_build_fieldz(b, "EHRSIM");   /* MSH-3 */
    (void)hl7_build_fieldz(b, "HOSP");     /* MSH-4 */
    (void)hl7_build_fieldz(b, "OPENINFUSION"); /* MSH-5 */
    (void)hl7_build_fieldz(b, "HOSP");     /* MSH-6 */
    (void)hl7_build_fieldz(b, o->time);    /* MSH-7 */
    (void)hl7_build_empty_fields(b, 1);    /* MSH-8 */
    (void)hl7_build_fieldz(b, "RGV");      /* MSH-9 */
    (void)hl7_build_componentz(b, "O15");
    (void)hl7_build_componentz(b, "RGV_O15");
    (void)hl7_build_fieldz(b, o->control_id); /* MSH-10 */
    (void)hl7_build_fieldz(b, "P");        /* MSH-11 */
    (void)hl7_build_fieldz(b, "2.6");      /* MSH-12 */
    (void)hl7_build_empty_fields(b, 2);    /* MSH-13, 14 */
    (void)hl7_build_fieldz(b, "AL");       /* MSH-15 */
    (void)hl7_build_fieldz(b, "AL");       /* MSH-16: we want the RRG^O16 */
    (void)hl7_build_empty_fields(b, 1);    /* MSH-17 */
    (void)hl7_build_fieldz(b, "UNICODE UTF-8"); /* MSH-18 */
    (void)hl7_build_fieldz(b, "en");       /* MSH-19 */
    (void)hl7_build_componentz(b, "English");
    (void)hl7_build_componentz(b, "ISO639");
    (void)hl7_build_empty_fields(b, 1);    /* MSH-20 */
    (void)hl7_build_fieldz(b, "IHE_PCD_003"); /* MSH-21 */
    (void)hl7_build_componentz(b, "IHE PCD");
    (void)hl7_build_componentz(b, PCD03_OID);
    (void)hl7_build_componentz(b, "ISO");
}

static void build_orc(struct hl7_builder *b, const struct ehr_order *o)
{
    if (o->patient_id[0] != '\0') {
        (void)hl7_build_segment(b, "PID");
        (void)hl7_build_empty_fields(b, 2);       /* PID-1, 2 */
        (void)hl7_build_fieldz(b, o->patient_id); /* PID-3 CX: id^^^authority^type */
        (void)hl7_build_componentz(b, "");
        (void)hl7_build_componentz(b, "");
        (void)hl7_build_componentz(b, "EHRSIM");
        (void)hl7_build_componentz(b, "MR");
    }
    (void)hl7_build_segment(b, "ORC");
    (void)hl7_build_fieldz(b, "RE");              /* ORC-1: a new container */
    (void)hl7_build_fieldz(b, o->placer_id);      /* ORC-2 */
    (void)hl7_build_empty_fields(b, 6);           /* ORC-3..8 */
    (void)hl7_build_fieldz(b, o->request_time);   /* ORC-9 */
    (void)hl7_build_empty_fields(b, 9);           /* ORC-10..18 */
    (void)hl7_build_fieldz(b, o->nurse_id);       /* ORC-19 XCN: id^family^given */
    (void)hl7_build_componentz(b, "Nurse");
    (void)hl7_build_componentz(b, "Sim");
}

static void build_rxg(struct hl7_builder *b, const struct ehr_order *o)
{
    (void)hl7_build_segment(b, "RXG");
    (void)hl7_build_fieldz(b, "1");               /* RXG-1 */
    (void)hl7_build_empty_fields(b, 2);           /* RXG-2, 3 */
    (void)hl7_build_fieldz(b, o->entry_id);       /* RXG-4: the library entry */
    (void)hl7_build_componentz(b, o->display_name);
    (void)hl7_build_fieldz(b, o->vtbi_ml);        /* RXG-5 */
    (void)hl7_build_empty_fields(b, 1);           /* RXG-6 */
    if (o->vtbi_ml[0] != '\0') {
        hl7_pcd_build_unit(b, "mL");                      /* RXG-7 */
    } else {
        (void)hl7_build_empty_fields(b, 1);
    }
    (void)hl7_build_empty_fields(b, 7);           /* RXG-8..14 */
    (void)hl7_build_fieldz(b, o->dose);           /* RXG-15 */
    hl7_pcd_build_unit(b, o->dose_ucum);                  /* RXG-16 */
    if (o->strength[0] == '\0') {
        return;
    }
    (void)hl7_build_fieldz(b, o->strength);       /* RXG-17 */
    hl7_pcd_build_unit(b, o->strength_ucum);              /* RXG-18 */
    (void)hl7_build_empty_fields(b, 4);           /* RXG-19..22 */
    (void)hl7_build_fieldz(b, o->strength_volume_ml); /* RXG-23 */
    hl7_pcd_build_unit(b, "mL");                          /* RXG-24 */
}

static void build_tq1_rxr(struct hl7_builder *b, const struct ehr_order *o)
{
    if (o->duration_min[0] != '\0') {
        const struct hl7_mdc_term *t = hl7_mdc_term(HL7_MDC_DIM_MIN);
        char num[16];
        (void)snprintf(num, sizeof num, "%u", (t != NULL) ? (unsigned)t->code : 0U);
        (void)hl7_build_segment(b, "TQ1");
        (void)hl7_build_empty_fields(b, 12);      /* TQ1-1..12 */
        (void)hl7_build_fieldz(b, o->duration_min); /* TQ1-13: qty^unit as subcomponents */
        (void)hl7_build_componentz(b, num);
        (void)hl7_build_subcomponent(b, "MDC_DIM_MIN", strlen("MDC_DIM_MIN"));
        (void)hl7_build_subcomponent(b, "MDC", 3);
    }
    (void)hl7_build_segment(b, "RXR");
    (void)hl7_build_fieldz(b, "");                /* RXR-1 ^IV^HL70162 (code in component 2) */
    (void)hl7_build_componentz(b, "IV");
    (void)hl7_build_componentz(b, "HL70162");
    (void)hl7_build_empty_fields(b, 1);           /* RXR-2 */
    (void)hl7_build_fieldz(b, "");                /* RXR-3 ^IVP^HL70164: large-volume pump */
    (void)hl7_build_componentz(b, "IVP");
    (void)hl7_build_componentz(b, "HL70164");
    (void)hl7_build_fieldz(b, "");                /* RXR-4 ^IV^HL70165: primary */
    (void)hl7_build_componentz(b, "IV");
    (void)hl7_build_componentz(b, "HL70165");
}

/* A patient parameter OBX: OBX-2 NM, OBX-3 term, OBX-5 value, OBX-6 unit, OBX-11 R. */
static void build_param(struct hl7_builder *b, unsigned seq, hl7_mdc_id id, const char *value,
                        const char *ucum)
{
    char num[16];

    (void)snprintf(num, sizeof num, "%u", seq);
    (void)hl7_build_segment(b, "OBX");
    (void)hl7_build_fieldz(b, num);
    (void)hl7_build_fieldz(b, "NM");
    build_mdc(b, id);
    (void)hl7_build_empty_fields(b, 1);           /* OBX-4 */
    (void)hl7_build_fieldz(b, value);             /* OBX-5 */
    hl7_pcd_build_unit(b, ucum);                          /* OBX-6 */
    (void)hl7_build_empty_fields(b, 4);           /* OBX-7..10 */
    (void)hl7_build_fieldz(b, "R");               /* OBX-11 */
}

static void build_obx(struct hl7_builder *b, const struct ehr_order *o)
{
    unsigned seq = 1;

    (void)hl7_build_segment(b, "OBX");
    (void)hl7_build_fieldz(b, "1");
    (void)hl7_build_empty_fields(b, 1);           /* OBX-2 empty: device-related */
    build_mdc(b, HL7_MDC_DEV_PUMP_INFUS_VMD);     /* OBX-3 */
    (void)hl7_build_empty_fields(b, 7);           /* OBX-4..10 */
    (void)hl7_build_fieldz(b, "X");               /* OBX-11 */
    (void)hl7_build_empty_fields(b, 6);           /* OBX-12..17 */
    (void)hl7_build_fieldz(b, o->pump_id);        /* OBX-18 EI: id^^manufacturer^type */
    (void)hl7_build_componentz(b, "");
    (void)hl7_build_componentz(b, "OPENINFUSION");
    (void)hl7_build_componentz(b, "L");
    if (o->weight_kg[0] != '\0') {
        seq++;
        build_param(b, seq, HL7_MDC_ATTR_PT_WEIGHT, o->weight_kg, "kg");
    }
    if (o->bsa_m2[0] != '\0') {
        seq++;
        build_param(b, seq, HL7_MDC_AREA_BODY_SURF_ACTUAL, o->bsa_m2, "m2");
    }
}

ehr_status ehr_order_build(const struct ehr_order *o, char *out, size_t cap, size_t *len)
{
    struct hl7_builder b;
    const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;
    hl7_status st;

    if (o == NULL || out == NULL || len == NULL || o->control_id[0] == '\0' ||
        o->time[0] == '\0' || o->request_time[0] == '\0' || o->placer_id[0] == '\0' ||
        o->pump_id[0] == '\0' || o->nurse_id[0] == '\0' || o->entry_id[0] == '\0' ||
        o->display_name[0] == '\0' || o->dose[0] == '\0' || o->dose_ucum[0] == '\0') {
        return EHR_ERR_ARG;
    }
    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return EHR_ERR_ARG;
    }
    build_msh(&b, o);
    build_orc(&b, o);
    build_rxg(&b, o);
    build_tq1_rxr(&b, o);
    build_obx(&b, o);
    st = hl7_build_finish(&b, len);
    if (st == HL7_ERR_FULL) {
        return EHR_ERR_FULL;
    }
    return (st == HL7_OK) ? EHR_OK : EHR_ERR_ARG;
}

/* ---- order files ------------------------------------------------------------------------------ */

/* Blank frames and oversized ones carry no order: only real messages reach the caller. */
struct split_ctx {
    ehr_message_fn fn;
    void *ctx;
    size_t n;
};

static void on_split(void *arg, const char *text, size_t len, size_t at, hl7_status st)
{
    struct split_ctx *sc = arg;
    if (st == HL7_OK && text != NULL && !hl7_is_blank(text, len)) {
        sc->fn(sc->ctx, text, len, at);
        sc->n++;
    }
}

size_t ehr_split_messages(const char *data, size_t len, char *frame_buf, size_t cap,
                          ehr_message_fn fn, void *ctx)
{
    struct split_ctx sc = {fn, ctx, 0};
    if (fn == NULL) {
        return 0;
    }
    (void)hl7_split_messages(data, len, frame_buf, cap, on_split, &sc);
    return sc.n;
}
