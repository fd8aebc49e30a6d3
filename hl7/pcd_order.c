/*
 * pcd_order.c - PCD-03 RGV^O15: the infusion order, decoded and checked (contract: see
 * hl7/pcd.h; rules: standards.md §3.2).
 *
 * The grammar is walked once, segment by segment: MSH [PID [PV1]] ORC { RXG [TQ1] RXR {OBX} }.
 * Every rule that fails becomes a problem with its HL7 0357 code and, when the order's content is
 * at fault, the PIV code the IOC answers with in RRG^O16 (standards.md §3.2.9).
 */
#include <string.h>

#include "pcd_internal.h"

#define SEV_E HL7_PCD_SEV_ERROR
#define SEV_W HL7_PCD_SEV_WARNING

/* ORC-1 values. */
static uint8_t order_control(const char *s)
{
    if (s[0] == '\0') {
        return HL7_PCD_OC_NONE;
    }
    if (pcd__streq(s, "RE")) {
        return HL7_PCD_OC_NEW;
    }
    if (pcd__streq(s, "XO")) {
        return HL7_PCD_OC_CHANGE;
    }
    if (pcd__streq(s, "CH")) {
        return HL7_PCD_OC_BOLUS;
    }
    return HL7_PCD_OC_OTHER;
}

/* value field + units field into q; checks NM and resolves the unit. */
static void qty(struct pcd__ctx *c, size_t i_seg, size_t f_value, size_t f_unit,
                struct hl7_pcd_qty *q)
{
    struct hl7_pcd_cwe u;

    memset(q, 0, sizeof *q);
    if (pcd__copy(c, i_seg, f_value, 1, 1, 0, q->value, sizeof q->value) == PCD__VALUE) {
        q->present = true;
        if (!pcd__is_nm(q->value)) {
            pcd__problem(c, SEV_E, i_seg, (unsigned)f_value, 0, 102U, 9004U,
                         "'%s' is not a number", q->value);
        }
    }
    pcd__cwe(c, i_seg, f_unit, 1, &u);
    pcd__unit_from_cwe(c, i_seg, (unsigned)f_unit, &u, &q->unit);
}

static bool unit_is(const struct hl7_pcd_unit *u, const char *ucum)
{
    return u->known && pcd__streq(u->ucum, ucum);
}

/* A volume that must be in mL (RXG-5/7, RXG-23/24). */
static void check_ml(struct pcd__ctx *c, size_t i_seg, unsigned f_value, unsigned f_unit,
                     const struct hl7_pcd_qty *q, const char *what)
{
    if (!q->present) {
        if (q->unit.present) {
            pcd__problem(c, SEV_W, i_seg, f_unit, 0, 0U, 0U,
                         "RXG-%u has units but RXG-%u (%s) is empty", f_unit, f_value, what);
        }
        return;
    }
    if (!q->unit.present) {
        pcd__problem(c, SEV_E, i_seg, f_unit, 0, 101U, 9004U,
                     "RXG-%u is empty (required: the units of %s, mL)", f_unit, what);
    } else if (!unit_is(&q->unit, "mL")) {
        pcd__problem(c, SEV_E, i_seg, f_unit, 0, 103U, 9004U,
                     "RXG-%u is '%s': %s must be in mL (263762^MDC_DIM_MILLI_L^MDC or mL^mL^UCUM)",
                     f_unit, q->unit.raw, what);
    }
}

static void read_rxg(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_step *s)
{
    char num[HL7_PCD_NUM_MAX];

    if (pcd__copy(c, i_seg, 1, 1, 1, 0, num, sizeof num) != PCD__VALUE) {
        pcd__problem(c, SEV_E, i_seg, 1, 0, 101U, 9003U,
                     "RXG-1 is empty (required: give sub-id counter, the step number)");
    } else if (!pcd__parse_u32(num, &s->number) || (s->number == 0U)) {
        pcd__problem(c, SEV_E, i_seg, 1, 0, 102U, 9004U,
                     "RXG-1 is '%s' (expected a step number 1, 2, ...)", num);
    }
    pcd__cwe(c, i_seg, 4, 1, &s->give_code);
    if (s->give_code.id[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 4, 1, 101U, 9003U,
                     "RXG-4.1 is empty (required: the drug code used to match the drug library)");
    }
    if (s->give_code.text[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 4, 2, 101U, 9003U,
                     "RXG-4.2 is empty (required: the drug's generic name)");
    }
    qty(c, i_seg, 5, 7, &s->vtbi);
    qty(c, i_seg, 15, 16, &s->rate);
    qty(c, i_seg, 17, 18, &s->strength);
    qty(c, i_seg, 23, 24, &s->strength_volume);
}

/* The code of an RXR CWE field: component 2 as the TF text asks, else component 1 as its
 * examples send (RXR|IV||IVP). */
static void rxr_code(struct pcd__ctx *c, size_t i_seg, size_t f, char *out, size_t cap,
                     bool *in_comp1)
{
    *in_comp1 = false;
    if (pcd__copy(c, i_seg, f, 1, 2, 0, out, cap) == PCD__VALUE) {
        return;
    }
    if (pcd__copy(c, i_seg, f, 1, 1, 0, out, cap) == PCD__VALUE) {
        *in_comp1 = true;
    }
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (pcd__streq(s, list[i])) {
            return true;
        }
    }
    return false;
}

static void read_rxr(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_step *s)
{
    static const char *const routes[] = {"IV", "EP", "SC", "NG", "GTT", "IT"};
    static const char *const devices[] = {"IVP", "PCA", "SYR"};
    static const char *const methods[] = {"IV", "IVPB"};
    bool comp1 = false;

    rxr_code(c, i_seg, 1, s->route, sizeof s->route, &comp1);
    if (s->route[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 1, 0, 101U, 9003U,
                     "RXR-1 is empty (required: the route, ^IV^HL70162)");
    } else {
        if (comp1) {
            pcd__problem(c, SEV_W, i_seg, 1, 1, 0U, 0U,
                         "RXR-1 carries the route in component 1 (the TF's examples do; its text "
                         "asks for ^%s^HL70162); accepted", s->route);
        }
        if (!in_list(s->route, routes, sizeof routes / sizeof routes[0])) {
            pcd__problem(c, SEV_E, i_seg, 1, 0, 103U, 9004U,
                         "RXR-1 route '%s' is not one PIV knows (IV, EP, SC, NG, GTT, IT)",
                         s->route);
        }
    }
    rxr_code(c, i_seg, 3, s->device, sizeof s->device, &comp1);
    if ((s->device[0] != '\0') && !in_list(s->device, devices, sizeof devices / sizeof devices[0])) {
        pcd__problem(c, SEV_E, i_seg, 3, 0, 103U, 9004U,
                     "RXR-3 administration device '%s' is not IVP, PCA or SYR", s->device);
    }
    rxr_code(c, i_seg, 4, s->method, sizeof s->method, &comp1);
    if ((s->method[0] != '\0') && !in_list(s->method, methods, sizeof methods / sizeof methods[0])) {
        pcd__problem(c, SEV_E, i_seg, 4, 0, 103U, 9004U,
                     "RXR-4 administration method '%s' is not IV or IVPB", s->method);
    }
}

static void read_tq1(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_step *s)
{
    size_t n = pcd__reps(c, i_seg, 13);
    size_t r;

    s->has_tq1 = true;
    if (n == 0U) {
        pcd__problem(c, SEV_E, i_seg, 13, 0, 101U, 9003U,
                     "TQ1-13 is empty (required in a TQ1: the occurrence duration)");
        return;
    }
    if (n > 3U) {
        pcd__problem(c, SEV_E, i_seg, 13, 0, 102U, 9004U,
                     "TQ1-13 has %u repetitions (at most 3: hours, minutes, seconds)",
                     (unsigned)n);
        n = 3U;
    }
    for (r = 1; r <= n; r++) {
        struct hl7_pcd_qty *q = &s->duration[s->n_duration++];
        struct hl7_pcd_cwe u;
        memset(q, 0, sizeof *q);
        if (pcd__copy(c, i_seg, 13, r, 1, 0, q->value, sizeof q->value) == PCD__VALUE) {
            q->present = true;
        }
        if (!q->present || !pcd__is_nm(q->value)) {
            pcd__problem(c, SEV_E, i_seg, 13, 1, 102U, 9004U,
                         "TQ1-13 repetition %u: '%s' is not a number", (unsigned)r, q->value);
        }
        /* Units are subcomponents (264384&MDC_DIM_HR&MDC); a plain component is tolerated. */
        pcd__cwe_sub(c, i_seg, 13, r, 2, &u);
        pcd__unit_from_cwe(c, i_seg, 13, &u, &q->unit);
        if (!unit_is(&q->unit, "h") && !unit_is(&q->unit, "min") && !unit_is(&q->unit, "s")) {
            pcd__problem(c, SEV_E, i_seg, 13, 2, 103U, 9008U,
                         "TQ1-13 repetition %u: units '%s' are not hours, minutes or seconds",
                         (unsigned)r, q->unit.raw);
        }
    }
}

/* OBX-5 of an enumeration: component 1, else component 2 (CWE with the value in CWE-2). */
static void enum_value(struct pcd__ctx *c, size_t i_seg, char *out, size_t cap)
{
    if (pcd__copy(c, i_seg, 5, 1, 1, 0, out, cap) != PCD__VALUE) {
        (void)pcd__copy(c, i_seg, 5, 1, 2, 0, out, cap);
    }
}

static void read_pump_obx(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_order *o,
                          bool *seen_pump)
{
    char ei1[HL7_PCD_ID_MAX];
    char ei3[HL7_PCD_ID_MAX];
    char ei4[HL7_PCD_ID_MAX];

    if (*seen_pump) {
        pcd__problem(c, SEV_E, i_seg, 3, 0, 205U, 9004U,
                     "a second pump OBX (69986^MDC_DEV_PUMP_INFUS_VMD): exactly one is allowed");
        return;
    }
    *seen_pump = true;
    (void)pcd__copy(c, i_seg, 18, 1, 1, 0, ei1, sizeof ei1);
    (void)pcd__copy(c, i_seg, 18, 1, 3, 0, ei3, sizeof ei3);
    (void)pcd__copy(c, i_seg, 18, 1, 4, 0, ei4, sizeof ei4);
    if (ei1[0] != '\0') {
        (void)pcd__scpy(o->pump_id, sizeof o->pump_id, ei1);
        (void)pcd__scpy(o->pump_vendor, sizeof o->pump_vendor, ei3);
    } else if (ei3[0] != '\0') {
        /* Deprecated form of the TF's examples: ^^A0001^PUMPVENDOR. */
        o->pump_id_legacy = true;
        (void)pcd__scpy(o->pump_id, sizeof o->pump_id, ei3);
        (void)pcd__scpy(o->pump_vendor, sizeof o->pump_vendor, ei4);
        pcd__problem(c, SEV_W, i_seg, 18, 3, 0U, 0U,
                     "OBX-18 uses the deprecated pump id form ^^%s^%s (id in EI-3); accepted",
                     ei3, ei4);
    } else {
        pcd__problem(c, SEV_E, i_seg, 18, 0, 101U, 9001U,
                     "OBX-18 is empty (required: the pump id on the MDC_DEV_PUMP_INFUS_VMD OBX)");
    }
}

static void patient_qty(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_qty *q,
                        const char *what, const char *const *units, size_t n_units)
{
    size_t k;
    bool ok = false;

    qty(c, i_seg, 5, 6, q);
    if (!q->present) {
        pcd__problem(c, SEV_E, i_seg, 5, 0, 101U, 9003U, "OBX-5 is empty (the %s)", what);
        return;
    }
    for (k = 0; k < n_units; k++) {
        ok = ok || unit_is(&q->unit, units[k]);
    }
    if (!ok) {
        pcd__problem(c, SEV_E, i_seg, 6, 0, (q->unit.present ? 103U : 101U), 9008U,
                     "OBX-6 '%s' is not a unit of %s (%s%s%s)", q->unit.raw, what, units[0],
                     (n_units > 1U) ? " or " : "", (n_units > 1U) ? units[1] : "");
    }
}

static void read_obx(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_order *o,
                     struct hl7_pcd_step *s, bool *seen_pump)
{
    static const char *const kg_g[] = {"kg", "g"};
    static const char *const cm[] = {"cm"};
    static const char *const m2[] = {"m2"};
    char code_text[HL7_PCD_ID_MAX];
    char refid[HL7_PCD_REFID_MAX];
    uint32_t code = 0;
    const struct hl7_mdc_term *t;
    hl7_mdc_id id;

    (void)pcd__copy(c, i_seg, 3, 1, 1, 0, code_text, sizeof code_text);
    (void)pcd__copy(c, i_seg, 3, 1, 2, 0, refid, sizeof refid);
    if (!pcd__parse_u32(code_text, &code)) {
        code = 0;
    }
    t = pcd__term(code, refid);
    id = (t != NULL) ? hl7_mdc_id_of(t) : HL7_MDC_COUNT;
    switch ((int)id) { /* an int: most terms are not order parameters */
    case HL7_MDC_DEV_PUMP_INFUS_VMD:
        read_pump_obx(c, i_seg, o, seen_pump);
        return;
    case HL7_MDC_ATTR_PT_WEIGHT:
        patient_qty(c, i_seg, &o->weight, "patient weight", kg_g, 2);
        return;
    case HL7_MDC_ATTR_PT_HEIGHT:
        patient_qty(c, i_seg, &o->height, "patient height", cm, 1);
        return;
    case HL7_MDC_AREA_BODY_SURF_ACTUAL:
        patient_qty(c, i_seg, &o->bsa, "body surface area", m2, 1);
        return;
    case HL7_MDC_X_INFUSION_ORDER_TYPE:
        enum_value(c, i_seg, s->order_type, sizeof s->order_type);
        return;
    case HL7_MDC_X_INFUS_ORDER_STEP_TYPE:
        enum_value(c, i_seg, s->step_type, sizeof s->step_type);
        return;
    case HL7_MDC_X_INFUS_TOTAL_NUM_STEPS: {
        char num[HL7_PCD_NUM_MAX];
        (void)pcd__copy(c, i_seg, 5, 1, 1, 0, num, sizeof num);
        if (!pcd__parse_u32(num, &o->total_steps) || (o->total_steps == 0U)) {
            o->total_steps = 0;
            pcd__problem(c, SEV_E, i_seg, 5, 0, 102U, 9004U,
                         "OBX-5 '%s' is not a number of steps", num);
        }
        return;
    }
    case HL7_MDC_FLOW_FLUID_PUMP:
        qty(c, i_seg, 5, 6, &s->bolus_rate);
        if (s->bolus_rate.present && (pcd__rate_kind(&s->bolus_rate.unit) != HL7_PCD_RATE_VOLUME)) {
            pcd__problem(c, SEV_E, i_seg, 6, 0, 103U, 9008U,
                         "OBX-6 '%s': MDC_FLOW_FLUID_PUMP is a rate in mL/h", s->bolus_rate.unit.raw);
        }
        return;
    case HL7_MDC_DOSE_PCA_LIMIT:
    case HL7_MDC_VOL_PCA_DOSE_LIMIT:
    case HL7_MDC_TIME_PD_PCA_DOSE_LIMIT:
    case HL7_MDC_RATE_PCA_MAX_DOSES_PER_HOUR:
    case HL7_MDC_TIME_PCA_LOCKOUT:
    case HL7_MDC_VOL_FLUID_CONTAINER_START:
    case HL7_MDC_DOSE_PCA_PATIENT:
    case HL7_MDC_DOSE_LOADING:
    case HL7_MDC_DOSE_CLINICIAN: {
        struct hl7_pcd_param *p;
        if (o->n_params >= HL7_PCD_MAX_PARAMS) {
            pcd__problem(c, SEV_E, i_seg, 0, 0, 207U, 9016U,
                         "more than %u programming parameters (this IOC keeps %u)",
                         (unsigned)HL7_PCD_MAX_PARAMS, (unsigned)HL7_PCD_MAX_PARAMS);
            return;
        }
        p = &o->params[o->n_params++];
        memset(p, 0, sizeof *p);
        p->mdc = id;
        p->code = code;
        (void)pcd__scpy(p->refid, sizeof p->refid, refid);
        p->step = s->number;
        qty(c, i_seg, 5, 6, &p->q);
        if (!p->q.present) {
            pcd__problem(c, SEV_E, i_seg, 5, 0, 101U, 9003U, "OBX-5 is empty (the value of %s)",
                         refid);
        }
        return;
    }
    default:
        pcd__problem(c, SEV_W, i_seg, 3, 0, 0U, 0U,
                     "OBX-3 '%s^%s' is not a term PIV orders use; ignored", code_text, refid);
        return;
    }
}

static bool has_param(const struct hl7_pcd_order *o, hl7_mdc_id id)
{
    size_t i;

    for (i = 0; i < o->n_params; i++) {
        if (o->params[i].mdc == id) {
            return true;
        }
    }
    return false;
}

/* Checks of one GIVE group that need all of it (RXG, TQ1, RXR, OBX). */
static void check_step(struct pcd__ctx *c, size_t i_rxg, const struct hl7_pcd_order *o,
                       struct hl7_pcd_step *s)
{
    bool xo = (o->control == (uint8_t)HL7_PCD_OC_CHANGE);
    bool bolus = (o->control == (uint8_t)HL7_PCD_OC_BOLUS);
    bool lvp_or_syringe = pcd__streq(s->device, "IVP") || pcd__streq(s->device, "SYR");

    check_ml(c, i_rxg, 5, 7, &s->vtbi, "the VTBI");
    check_ml(c, i_rxg, 23, 24, &s->strength_volume, "the drug strength volume");
    if (xo && (s->vtbi.present || s->vtbi.unit.present)) {
        pcd__problem(c, SEV_E, i_rxg, 5, 0, 0U, 9004U,
                     "RXG-5/RXG-7 must be empty when ORC-1 is XO (a rate change implies no VTBI)");
    }
    /* Rate, dose rate or dose. */
    if (s->rate.present) {
        if (!s->rate.unit.present) {
            pcd__problem(c, SEV_E, i_rxg, 16, 0, 101U, 9003U,
                         "RXG-16 is empty (required: the units of the rate in RXG-15)");
            s->rate_kind = HL7_PCD_RATE_UNKNOWN;
        } else if (!s->rate.unit.known) {
            pcd__problem(c, SEV_E, i_rxg, 16, 0, 103U, 9008U,
                         "RXG-16 '%s' is not a rate, dose-rate or dose unit this IOC knows",
                         s->rate.unit.raw);
            s->rate_kind = HL7_PCD_RATE_UNKNOWN;
        } else {
            hl7_pcd_rate_kind k = pcd__rate_kind(&s->rate.unit);
            s->rate_kind = (uint8_t)k;
            if (s->rate_kind == (uint8_t)HL7_PCD_RATE_UNKNOWN) {
                pcd__problem(c, SEV_E, i_rxg, 16, 0, 103U, 9008U,
                             "RXG-16 '%s' is neither a rate, a dose rate nor a dose",
                             s->rate.unit.ucum);
            }
        }
    } else {
        s->rate_kind = HL7_PCD_RATE_NONE;
        if (s->rate.unit.present) {
            pcd__problem(c, SEV_E, i_rxg, 15, 0, 101U, 9003U,
                         "RXG-15 is empty but RXG-16 has units (the rate value is missing)");
        } else if (lvp_or_syringe && !bolus) {
            pcd__problem(c, SEV_E, i_rxg, 15, 0, 101U, 9003U,
                         "RXG-15 is empty (required for a %s: the rate or dose rate)",
                         pcd__streq(s->device, "IVP") ? "large-volume pump" : "syringe pump");
        }
    }
    /* A bolus may give its dose with the rate in an MDC_FLOW_FLUID_PUMP OBX instead. */
    if ((s->rate_kind == (uint8_t)HL7_PCD_RATE_DOSE) && !s->has_tq1 &&
        !(bolus && s->bolus_rate.present)) {
        pcd__problem(c, SEV_E, i_rxg, 16, 0, 101U, 9003U,
                     "RXG-15/16 give a dose (%s %s), not a rate: a TQ1 duration is required",
                     s->rate.value, s->rate.unit.ucum);
    }
    if (xo && (s->rate_kind == (uint8_t)HL7_PCD_RATE_DOSE)) {
        pcd__problem(c, SEV_E, i_rxg, 16, 0, 0U, 9004U,
                     "ORC-1 is XO but RXG-15/16 give a dose: a change must be a rate or dose rate");
    }
    if (xo && !s->rate.present) {
        pcd__problem(c, SEV_E, i_rxg, 15, 0, 101U, 9003U,
                     "RXG-15 is empty (required when ORC-1 is XO: the new rate or dose rate)");
    }
    /* A large-volume pump needs a VTBI unless a duration bounds the infusion. */
    if (pcd__streq(s->device, "IVP") && (o->control == (uint8_t)HL7_PCD_OC_NEW) &&
        !s->has_tq1 && !s->vtbi.present) {
        pcd__problem(c, SEV_E, i_rxg, 5, 0, 101U, 9003U,
                     "RXG-5 is empty (required for a large-volume pump without TQ1: the VTBI)");
    }
    /* Concentration: RXG-17/18 over RXG-23/24, all or nothing. */
    if (s->strength.present && !s->strength.unit.present) {
        pcd__problem(c, SEV_E, i_rxg, 18, 0, 101U, 9003U,
                     "RXG-18 is empty (required with RXG-17: the units of the drug amount)");
    } else if (s->strength.present && !s->strength.unit.known) {
        pcd__problem(c, SEV_E, i_rxg, 18, 0, 103U, 9008U, "RXG-18 '%s' is not a unit this IOC knows",
                     s->strength.unit.raw);
    }
    if (s->strength.present != s->strength_volume.present) {
        pcd__problem(c, SEV_E, i_rxg, s->strength.present ? 23U : 17U, 0, 101U, 9003U,
                     "the concentration is incomplete: RXG-17/18 (drug amount) and RXG-23/24 "
                     "(volume) go together");
    }
    /* Weight- and BSA-based doses need the patient parameter. */
    if (s->rate.unit.has_pump_unit) {
        if ((s->rate.unit.pump_unit.body == (uint8_t)PUMP_PER_KG) && !o->weight.present) {
            pcd__problem(c, SEV_E, i_rxg, 16, 0, 101U, 9019U,
                         "RXG-16 '%s' is weight-based but no MDC_ATTR_PT_WEIGHT OBX gives the "
                         "weight", s->rate.unit.ucum);
        }
        if ((s->rate.unit.pump_unit.body == (uint8_t)PUMP_PER_M2) && !o->bsa.present) {
            pcd__problem(c, SEV_E, i_rxg, 16, 0, 101U, 9027U,
                         "RXG-16 '%s' is BSA-based but no MDC_AREA_BODY_SURF_ACTUAL OBX gives the "
                         "body surface area", s->rate.unit.ucum);
        }
    }
    if (bolus) {
        /* CP-PCD-141: dose-or-volume + rate, dose-or-volume + duration, or rate + duration. */
        bool amount = s->vtbi.present || (s->rate_kind == (uint8_t)HL7_PCD_RATE_DOSE);
        bool rate = (s->rate_kind == (uint8_t)HL7_PCD_RATE_VOLUME) ||
                    (s->rate_kind == (uint8_t)HL7_PCD_RATE_DOSE_RATE) || s->bolus_rate.present;
        unsigned given = (amount ? 1U : 0U) + (rate ? 1U : 0U) + (s->has_tq1 ? 1U : 0U);
        if (given < 2U) {
            pcd__problem(c, SEV_E, i_rxg, 15, 0, 101U, 9003U,
                         "a bolus (ORC-1 CH) needs two of: dose or volume, rate, duration (TQ1)");
        }
        if (s->order_type[0] == '\0') {
            pcd__problem(c, SEV_E, i_rxg, 0, 0, 101U, 9003U,
                         "a bolus (ORC-1 CH) needs an MDCX_INFUSION_ORDER_TYPE OBX "
                         "(clinician-dose or loading-dose)");
        }
    }
}

static void read_orc(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_order *o)
{
    (void)pcd__copy(c, i_seg, 1, 1, 1, 0, o->control_text, sizeof o->control_text);
    o->control = order_control(o->control_text);
    if (o->control == (uint8_t)HL7_PCD_OC_NONE) {
        pcd__problem(c, SEV_E, i_seg, 1, 0, 101U, 9003U,
                     "ORC-1 is empty (required: RE new container, XO change, CH bolus)");
    } else if (o->control == (uint8_t)HL7_PCD_OC_OTHER) {
        pcd__problem(c, SEV_E, i_seg, 1, 0, 103U, 9004U,
                     "ORC-1 is '%s' (PIV uses RE new container, XO change, CH bolus)",
                     o->control_text);
    }
    (void)pcd__copy(c, i_seg, 2, 1, 1, 0, o->placer_id, sizeof o->placer_id);
    if (o->placer_id[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 2, 0, 101U, 9003U,
                     "ORC-2 is empty (required: the placer order number)");
    }
    (void)pcd__copy(c, i_seg, 3, 1, 1, 0, o->filler_id, sizeof o->filler_id);
    (void)pcd__copy(c, i_seg, 8, 1, 1, 0, o->parent_id, sizeof o->parent_id);
    if ((o->control == (uint8_t)HL7_PCD_OC_BOLUS) && (o->parent_id[0] == '\0')) {
        pcd__problem(c, SEV_E, i_seg, 8, 0, 101U, 9003U,
                     "ORC-8 is empty (required for a bolus, ORC-1 CH: the running infusion's order)");
    }
    (void)pcd__copy(c, i_seg, 9, 1, 1, 0, o->request_time, sizeof o->request_time);
    if (o->request_time[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 9, 0, 101U, 9003U,
                     "ORC-9 is empty (required: when the clinician initiated the request)");
    } else {
        pcd__check_dtm(c, i_seg, 9, o->request_time, true);
    }
    pcd__person(c, i_seg, 12, &o->ordering);
    pcd__person(c, i_seg, 19, &o->nurse);
    if (o->nurse.id[0] == '\0') {
        pcd__problem(c, SEV_E, i_seg, 19, 1, 101U, 9003U,
                     "ORC-19.1 is empty (required: the id of the caregiver who initiated it)");
    }
}

/* Multistep: same drug and concentration in every step, steps numbered 1..n. */
static void check_steps(struct pcd__ctx *c, const size_t *i_rxg, struct hl7_pcd_order *o)
{
    size_t k;

    for (k = 0; k < o->n_steps; k++) {
        const struct hl7_pcd_step *s = &o->steps[k];
        if ((s->number != 0U) && (s->number != (uint32_t)(k + 1U))) {
            pcd__problem(c, SEV_E, i_rxg[k], 1, 0, 100U, 9004U,
                         "RXG-1 is %u but this is step %u (steps are numbered 1..n in order)",
                         (unsigned)s->number, (unsigned)(k + 1U));
        }
        if (k == 0U) {
            continue;
        }
        if (!pcd__streq(s->give_code.id, o->steps[0].give_code.id)) {
            pcd__problem(c, SEV_E, i_rxg[k], 4, 1, 0U, 9004U,
                         "step %u gives '%s' but step 1 gives '%s': every step of a multistep "
                         "order has the same drug", (unsigned)(k + 1U), s->give_code.id,
                         o->steps[0].give_code.id);
        }
        if (!pcd__streq(s->strength.value, o->steps[0].strength.value) ||
            !pcd__streq(s->strength.unit.ucum, o->steps[0].strength.unit.ucum) ||
            !pcd__streq(s->strength_volume.value, o->steps[0].strength_volume.value)) {
            pcd__problem(c, SEV_E, i_rxg[k], 17, 0, 0U, 9004U,
                         "step %u has another concentration than step 1 (a multistep order keeps "
                         "one concentration)", (unsigned)(k + 1U));
        }
    }
    if ((o->total_steps != 0U) && (o->total_steps != (uint32_t)o->n_steps)) {
        pcd__problem(c, SEV_E, PCD__NO_SEG, 0, 0, 0U, 9004U,
                     "MDCX_INFUS_TOTAL_NUM_STEPS says %u steps but the order has %u",
                     (unsigned)o->total_steps, (unsigned)o->n_steps);
    }
}

static void check_pca(struct pcd__ctx *c, const struct hl7_pcd_order *o)
{
    if (!has_param(o, HL7_MDC_DOSE_PCA_PATIENT)) {
        return;
    }
    if (!has_param(o, HL7_MDC_TIME_PCA_LOCKOUT)) {
        pcd__problem(c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 9025U,
                     "a PCA patient dose is given without MDC_TIME_PCA_LOCKOUT (lockout interval)");
    }
    if (!has_param(o, HL7_MDC_DOSE_PCA_LIMIT) && !has_param(o, HL7_MDC_VOL_PCA_DOSE_LIMIT)) {
        pcd__problem(c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 9026U,
                     "a PCA patient dose is given without a dose limit (MDC_DOSE_PCA_LIMIT or "
                     "MDC_VOL_PCA_DOSE_LIMIT)");
    }
}

hl7_pcd_status hl7_pcd03_decode(const struct hl7_msg *m, struct hl7_pcd_order *out,
                                struct hl7_pcd_problems *probs)
{
    struct pcd__ctx c;
    size_t n;
    size_t i = 1;
    size_t i_orc;
    size_t i_rxg[HL7_PCD_MAX_STEPS];
    size_t n_obx_in_step = 0;
    bool seen_pump = false;
    bool step_has_rxr = false;
    bool in_step = false;
    char structure[HL7_PCD_CODE_MAX];

    if ((m == NULL) || (out == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    if (!pcd__decode_begin(&c, m, probs) || !pcd__msh9_is(&c, "RGV", "O15")) {
        pcd__problem(&c, SEV_E, 0, 9, 0, 200U, 0U, "MSH-9 is not RGV^O15 (not a PCD-03 order)");
        return HL7_PCD_UNUSABLE;
    }
    memset(out, 0, sizeof *out);
    pcd__msh(&c, &out->msh);
    (void)pcd__scpy(structure, sizeof structure, out->msh.structure);
    if ((structure[0] != '\0') && !pcd__streq(structure, "RGV_O15")) {
        pcd__problem(&c, SEV_W, 0, 9, 3, 0U, 0U, "MSH-9.3 is '%s' (expected RGV_O15)", structure);
    }
    pcd__msh_expect(&c, &out->msh, "AL", NULL, PCD__OID_PCD03);
    if (!pcd__streq(out->msh.app_ack, "AL") && !pcd__streq(out->msh.app_ack, "ER") &&
        !pcd__streq(out->msh.app_ack, "NE")) {
        pcd__problem(&c, SEV_E, 0, 16, 0, 103U, 0U,
                     "MSH-16 is '%s' (required: AL, ER or NE: when the IOP wants RRG^O16)",
                     out->msh.app_ack);
    }

    n = hl7_segment_count(m);
    if ((i < n) && hl7_segment_is(m, i, "PID")) {
        pcd__pid(&c, i, &out->patient);
        if (out->patient.id[0] == '\0') {
            pcd__problem(&c, SEV_E, i, 3, 0, 101U, 9031U,
                         "PID-3 is empty (required: the patient identifier)");
        }
        i++;
        if ((i < n) && hl7_segment_is(m, i, "PV1")) {
            pcd__pv1(&c, i, &out->patient);
            i++;
        }
    } else {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 9031U,
                     "no PID segment: the order names no patient the pump could check");
    }
    if ((i >= n) || !hl7_segment_is(m, i, "ORC")) {
        pcd__problem(&c, SEV_E, (i < n) ? i : PCD__NO_SEG, 0, 0, 100U, 9003U,
                     "ORC expected here (the order is missing)");
        return HL7_PCD_INVALID;
    }
    i_orc = i;
    read_orc(&c, i_orc, out);
    for (i = i_orc + 1U; i < n; i++) {
        struct hl7_view id = hl7_segment_id(m, i);
        struct hl7_pcd_step *s = (out->n_steps > 0U) ? &out->steps[out->n_steps - 1U] : NULL;

        if (hl7_segment_is(m, i, "RXG")) {
            if (in_step) {
                if (!step_has_rxr) {
                    pcd__problem(&c, SEV_E, i_rxg[out->n_steps - 1U], 0, 0, 100U, 9003U,
                                 "this RXG group has no RXR (required: the route)");
                }
                if (n_obx_in_step == 0U) {
                    pcd__problem(&c, SEV_E, i_rxg[out->n_steps - 1U], 0, 0, 100U, 9003U,
                                 "this RXG group has no OBX (at least one is required)");
                }
            }
            if (out->n_steps >= HL7_PCD_MAX_STEPS) {
                pcd__problem(&c, SEV_E, i, 0, 0, 207U, 9004U,
                             "more than %u RXG steps (this IOC handles at most %u)",
                             (unsigned)HL7_PCD_MAX_STEPS, (unsigned)HL7_PCD_MAX_STEPS);
                in_step = false;
                continue;
            }
            i_rxg[out->n_steps] = i;
            s = &out->steps[out->n_steps++];
            read_rxg(&c, i, s);
            in_step = true;
            step_has_rxr = false;
            n_obx_in_step = 0;
        } else if (hl7_segment_is(m, i, "TQ1")) {
            if (!in_step || !hl7_segment_is(m, i - 1U, "RXG") || (s == NULL)) {
                pcd__problem(&c, SEV_E, i, 0, 0, 100U, 0U, "TQ1 must follow its RXG directly");
            } else {
                read_tq1(&c, i, s);
            }
        } else if (hl7_segment_is(m, i, "RXR")) {
            if (!in_step || step_has_rxr || (s == NULL)) {
                pcd__problem(&c, SEV_E, i, 0, 0, 100U, 0U,
                             "RXR out of place (one per RXG group, after RXG and TQ1)");
            } else {
                step_has_rxr = true;
                read_rxr(&c, i, s);
            }
        } else if (hl7_segment_is(m, i, "OBX")) {
            if (!in_step || !step_has_rxr || (s == NULL)) {
                pcd__problem(&c, SEV_E, i, 0, 0, 100U, 0U,
                             "OBX out of place (OBX follow the RXG group's RXR)");
            } else {
                n_obx_in_step++;
                read_obx(&c, i, out, s, &seen_pump);
            }
        } else if (hl7_segment_is(m, i, "ORC")) {
            pcd__problem(&c, SEV_E, i, 0, 0, 100U, 9016U,
                         "a second ORC: this IOC accepts one order per RGV^O15");
            break;
        } else if ((id.len == 3U) && (id.ptr[0] == 'Z')) {
            continue; /* local Z-segments are ignored */
        } else {
            pcd__problem(&c, SEV_W, i, 0, 0, 100U, 0U,
                         "segment %.3s is not used in PIV orders; ignored", id.ptr);
        }
    }
    if (out->n_steps == 0U) {
        pcd__problem(&c, SEV_E, i_orc, 0, 0, 100U, 9003U,
                     "the order has no RXG (required: what to give and at which rate)");
    } else {
        size_t k;
        if (in_step && !step_has_rxr) {
            pcd__problem(&c, SEV_E, i_rxg[out->n_steps - 1U], 0, 0, 100U, 9003U,
                         "this RXG group has no RXR (required: the route)");
        }
        if (in_step && (n_obx_in_step == 0U)) {
            pcd__problem(&c, SEV_E, i_rxg[out->n_steps - 1U], 0, 0, 100U, 9003U,
                         "this RXG group has no OBX (at least one is required)");
        }
        for (k = 0; k < out->n_steps; k++) {
            check_step(&c, i_rxg[k], out, &out->steps[k]);
        }
        check_steps(&c, i_rxg, out);
    }
    if (!seen_pump) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 9001U,
                     "no pump id: exactly one OBX 69986^MDC_DEV_PUMP_INFUS_VMD^MDC with the pump "
                     "in OBX-18 is required");
    }
    check_pca(&c, out);
    return pcd__decode_status(&c);
}
