/*
 * pump_library_check.c - the semantic rules of druglib-format.md, as problems (contract: see
 * pump_library.h). The loader turns each problem into a JSON path and a sentence; keeping the
 * rules here means a pump can re-check a library it receives with the same code.
 */
#include "pump/pump_library.h"

#include "pump_internal.h"

struct sink {
    struct pump_problem *out;
    size_t cap;
    size_t n;
};

static void report(struct sink *s, pump_field f, pump_problem_code code, const struct pump_q *va,
                   const struct pump_q *vb)
{
    if (s->n < s->cap) {
        struct pump_problem *p = &s->out[s->n];
        p->field = (uint8_t)f;
        p->code = (uint8_t)code;
        p->a = 0U;
        p->b = 0U;
        p->va = (va != NULL) ? *va : pump_q_int(0);
        p->vb = (vb != NULL) ? *vb : pump_q_int(0);
    }
    s->n++;
}

static void report_bounds(struct sink *s, pump_field f, pump_problem_code code, unsigned a,
                          unsigned b, const struct pump_limits *l)
{
    size_t at = s->n;
    report(s, f, code, &l->bound[a], &l->bound[b]);
    if (at < s->cap) {
        s->out[at].a = (uint8_t)a;
        s->out[at].b = (uint8_t)b;
    }
}

static int has_bound(const struct pump_limits *l, unsigned b)
{
    return ((l->present >> b) & 1U) != 0U;
}

/* Every bound non-negative; present bounds in order hard_min <= soft_min <= soft_max <= hard_max.
 * Checking neighbouring present bounds is enough: the order is transitive. */
static void check_limits(struct sink *s, pump_field f, const struct pump_limits *l)
{
    unsigned b;
    unsigned prev = PUMP_BOUND_COUNT;
    for (b = 0; b < (unsigned)PUMP_BOUND_COUNT; b++) {
        if (has_bound(l, b) == 0) {
            continue;
        }
        if (pump_q_sign(l->bound[b]) < 0) {
            report_bounds(s, f, PUMP_P_NEGATIVE, b, b, l);
        }
        if ((prev < (unsigned)PUMP_BOUND_COUNT) && (pump_q_cmp(l->bound[prev], l->bound[b]) > 0)) {
            report_bounds(s, f, PUMP_P_BOUNDS_ORDER, prev, b, l);
        }
        prev = b;
    }
}

static void check_positive(struct sink *s, pump_field f, const struct pump_q *v)
{
    if (pump_q_sign(*v) <= 0) {
        report(s, f, PUMP_P_NOT_POSITIVE, v, NULL);
    }
}

pump_status pump_area_check(const struct pump_care_area *a, struct pump_problem *out,
                            size_t cap, size_t *n_out)
{
    struct sink s;
    if ((a == NULL) || (n_out == NULL) || ((out == NULL) && (cap != 0U))) {
        return PUMP_ERR_INVAL;
    }
    s.out = out;
    s.cap = cap;
    s.n = 0U;
    check_limits(&s, PUMP_F_PATIENT_WEIGHT_KG, &a->weight_kg);
    check_limits(&s, PUMP_F_PATIENT_BSA_M2, &a->bsa_m2);
    if (pump_q_sign(a->rate_min_ml_h) < 0) {
        report(&s, PUMP_F_RATE_ML_H, PUMP_P_NEGATIVE, &a->rate_min_ml_h, NULL);
    }
    check_positive(&s, PUMP_F_RATE_ML_H, &a->rate_max_ml_h);
    if (pump_q_cmp(a->rate_min_ml_h, a->rate_max_ml_h) > 0) {
        report(&s, PUMP_F_RATE_ML_H, PUMP_P_RATE_ORDER, &a->rate_min_ml_h, &a->rate_max_ml_h);
    }
    if (a->has_basic_max) {
        check_positive(&s, PUMP_F_BASIC_INFUSION, &a->basic_max_rate_ml_h);
    }
    *n_out = s.n;
    return PUMP_OK;
}

/* Which optional parts each entry mode may have (druglib-format.md, table of modes). */
struct mode_rules {
    uint8_t dosing_kind;  /* pump_unit_kind the dosing unit must be */
    bool conc;            /* concentration / concentration_limits allowed */
    bool dose_limits;
    bool container;
    bool intermittent;    /* dose_rate_*, duration_min_limits */
    bool bolus;
    bool pca;
    bool titration;
};

static const struct mode_rules rules_by_mode[PUMP_ENTRY_MODE_COUNT] = {
    /* kind                     conc   dose   cont   inter  bolus  pca    titr */
    {(uint8_t)PUMP_UNIT_RATE, true, true, true, false, true, false, true},      /* continuous */
    {(uint8_t)PUMP_UNIT_AMOUNT, true, true, true, true, false, false, false},   /* intermittent */
    {(uint8_t)PUMP_UNIT_AMOUNT, true, false, false, false, false, true, false}, /* pca */
    {(uint8_t)PUMP_UNIT_RATE, false, true, false, false, false, false, true},   /* fluid */
};

static int same_family(struct pump_unit a, struct pump_unit b)
{
    return pump_amount_family((pump_amount)a.amount) == pump_amount_family((pump_amount)b.amount);
}

static void check_dosing_unit(struct sink *s, const struct pump_entry *e,
                              const struct mode_rules *r)
{
    const struct pump_unit u = e->dosing_unit;
    if (u.kind != r->dosing_kind) {
        report(s, PUMP_F_DOSING_UNIT, PUMP_P_UNIT_KIND, NULL, NULL);
    } else if (e->mode == (uint8_t)PUMP_ENTRY_FLUID) {
        /* A fluid's dose is its rate: exactly mL/h. */
        if ((u.amount != (uint8_t)PUMP_AMT_ML) || (u.body != (uint8_t)PUMP_PER_NONE) ||
            (u.time != (uint8_t)PUMP_TIME_H)) {
            report(s, PUMP_F_DOSING_UNIT, PUMP_P_UNIT_KIND, NULL, NULL);
        }
    } else if (u.amount == (uint8_t)PUMP_AMT_ML) {
        /* A drug is dosed by its amount; mL belongs to fluids. */
        report(s, PUMP_F_DOSING_UNIT, PUMP_P_UNIT_KIND, NULL, NULL);
    } else {
        /* fits */
    }
}

static void check_concentration(struct sink *s, const struct pump_entry *e,
                                const struct mode_rules *r)
{
    if (e->has_conc) {
        if (!r->conc) {
            report(s, PUMP_F_CONCENTRATION, PUMP_P_NOT_ALLOWED, NULL, NULL);
        }
        check_positive(s, PUMP_F_CONCENTRATION, &e->conc_amount);
        check_positive(s, PUMP_F_CONCENTRATION, &e->conc_volume_ml);
        if ((e->conc_amount_unit.kind != (uint8_t)PUMP_UNIT_AMOUNT) ||
            (e->conc_amount_unit.body != (uint8_t)PUMP_PER_NONE) ||
            (e->conc_amount_unit.amount == (uint8_t)PUMP_AMT_ML)) {
            report(s, PUMP_F_CONCENTRATION, PUMP_P_UNIT_KIND, NULL, NULL);
        } else if (r->conc && !same_family(e->conc_amount_unit, e->dosing_unit)) {
            report(s, PUMP_F_CONCENTRATION, PUMP_P_UNIT_FAMILY, NULL, NULL);
        } else {
            /* fits */
        }
    }
    if (e->has_conc_limits) {
        /* Limits on a custom concentration mean nothing beside a standard one: the DERS refuses
         * a program's own concentration when the entry has a standard one. */
        if (!r->conc || (e->mode == (uint8_t)PUMP_ENTRY_PCA) || e->has_conc) {
            report(s, PUMP_F_CONCENTRATION_LIMITS, PUMP_P_NOT_ALLOWED, NULL, NULL);
        }
        if (e->conc_limits_unit.kind != (uint8_t)PUMP_UNIT_CONC) {
            report(s, PUMP_F_CONCENTRATION_LIMITS, PUMP_P_UNIT_KIND, NULL, NULL);
        } else if (!same_family(e->conc_limits_unit, e->dosing_unit)) {
            report(s, PUMP_F_CONCENTRATION_LIMITS, PUMP_P_UNIT_FAMILY, NULL, NULL);
        } else {
            /* fits */
        }
        check_limits(s, PUMP_F_CONCENTRATION_LIMITS, &e->conc_limits);
    }
    if (r->conc && !e->has_conc &&
        ((e->mode == (uint8_t)PUMP_ENTRY_PCA) || !e->has_conc_limits)) {
        report(s, PUMP_F_CONCENTRATION, PUMP_P_MISSING, NULL, NULL);
    }
}

static void check_intermittent_parts(struct sink *s, const struct pump_entry *e,
                                     const struct mode_rules *r)
{
    if (e->has_dose_rate) {
        if (!r->intermittent) {
            report(s, PUMP_F_DOSE_RATE_UNIT, PUMP_P_NOT_ALLOWED, NULL, NULL);
        }
        if (e->dose_rate_unit.kind != (uint8_t)PUMP_UNIT_RATE) {
            report(s, PUMP_F_DOSE_RATE_UNIT, PUMP_P_UNIT_KIND, NULL, NULL);
        } else if (!same_family(e->dose_rate_unit, e->dosing_unit)) {
            report(s, PUMP_F_DOSE_RATE_UNIT, PUMP_P_UNIT_FAMILY, NULL, NULL);
        } else {
            /* fits */
        }
        check_limits(s, PUMP_F_DOSE_RATE_LIMITS, &e->dose_rate_limits);
    } else if (e->dose_rate_limits.present != 0U) {
        report(s, PUMP_F_DOSE_RATE_UNIT, PUMP_P_MISSING, NULL, NULL);
    } else {
        /* neither */
    }
    if (e->duration_min_limits.present != 0U) {
        if (!r->intermittent) {
            report(s, PUMP_F_DURATION_MIN_LIMITS, PUMP_P_NOT_ALLOWED, NULL, NULL);
        }
        check_limits(s, PUMP_F_DURATION_MIN_LIMITS, &e->duration_min_limits);
    }
}

/* A default must lie inside every bound of the limits it is judged by: otherwise each program
 * that relies on the default alerts (or stops) by construction. */
static void check_default_inside(struct sink *s, pump_field f, const struct pump_q *v,
                                 const struct pump_limits *l)
{
    unsigned b;
    for (b = 0; b < (unsigned)PUMP_BOUND_COUNT; b++) {
        int cmp;
        if (has_bound(l, b) == 0) {
            continue;
        }
        cmp = pump_q_cmp(*v, l->bound[b]);
        if ((b <= (unsigned)PUMP_SOFT_MIN) ? (cmp < 0) : (cmp > 0)) {
            size_t at = s->n;
            report(s, f, PUMP_P_OUTSIDE_BOUND, v, &l->bound[b]);
            if (at < s->cap) {
                s->out[at].a = (uint8_t)b;
            }
            return;
        }
    }
}

static void check_bolus(struct sink *s, const struct pump_entry *e, const struct mode_rules *r)
{
    if (!e->has_bolus) {
        return;
    }
    if (!r->bolus) {
        report(s, PUMP_F_BOLUS, PUMP_P_NOT_ALLOWED, NULL, NULL);
    }
    if ((e->bolus_unit.kind != (uint8_t)PUMP_UNIT_AMOUNT) ||
        (e->bolus_unit.amount == (uint8_t)PUMP_AMT_ML)) {
        report(s, PUMP_F_BOLUS, PUMP_P_UNIT_KIND, NULL, NULL);
    } else if (!same_family(e->bolus_unit, e->dosing_unit)) {
        report(s, PUMP_F_BOLUS, PUMP_P_UNIT_FAMILY, NULL, NULL);
    } else {
        /* fits */
    }
    check_limits(s, PUMP_F_BOLUS_LIMITS, &e->bolus_limits);
    if (e->has_bolus_default_duration) {
        check_positive(s, PUMP_F_BOLUS_DEFAULT_DURATION, &e->bolus_default_duration_min);
        check_default_inside(s, PUMP_F_BOLUS_DEFAULT_DURATION, &e->bolus_default_duration_min,
                             &e->bolus_duration_min_limits);
    }
    check_limits(s, PUMP_F_BOLUS_DURATION_MIN_LIMITS, &e->bolus_duration_min_limits);
}

static void check_pca(struct sink *s, const struct pump_entry *e, const struct mode_rules *r)
{
    if (!e->has_pca) {
        if (r->pca) {
            report(s, PUMP_F_PCA, PUMP_P_MISSING, NULL, NULL);
        }
        return;
    }
    if (!r->pca) {
        report(s, PUMP_F_PCA, PUMP_P_NOT_ALLOWED, NULL, NULL);
    }
    check_limits(s, PUMP_F_PCA_DOSE_LIMITS, &e->pca_dose_limits);
    check_limits(s, PUMP_F_PCA_LOCKOUT_MIN_LIMITS, &e->pca_lockout_min_limits);
    check_limits(s, PUMP_F_PCA_BASAL_LIMITS, &e->pca_basal_limits);
    check_limits(s, PUMP_F_PCA_FOUR_HOUR_LIMITS, &e->pca_four_hour_limits);
}

static void check_titration(struct sink *s, const struct pump_entry *e,
                            const struct mode_rules *r)
{
    if (!e->has_titration_soft && !e->has_titration_hard) {
        return;
    }
    if (!r->titration) {
        report(s, PUMP_F_TITRATION, PUMP_P_NOT_ALLOWED, NULL, NULL);
    }
    if (e->has_titration_soft && (pump_q_sign(e->titration_soft_pct) < 0)) {
        report(s, PUMP_F_TITRATION, PUMP_P_NEGATIVE, &e->titration_soft_pct, NULL);
    }
    if (e->has_titration_hard && (pump_q_sign(e->titration_hard_pct) < 0)) {
        report(s, PUMP_F_TITRATION, PUMP_P_NEGATIVE, &e->titration_hard_pct, NULL);
    }
    if (e->has_titration_soft && e->has_titration_hard &&
        (pump_q_cmp(e->titration_soft_pct, e->titration_hard_pct) > 0)) {
        report(s, PUMP_F_TITRATION, PUMP_P_TITRATION_ORDER, &e->titration_soft_pct,
               &e->titration_hard_pct);
    }
}

pump_status pump_entry_check(const struct pump_entry *e, struct pump_problem *out, size_t cap,
                             size_t *n_out)
{
    struct sink s;
    const struct mode_rules *r;
    if ((e == NULL) || (n_out == NULL) || ((out == NULL) && (cap != 0U))) {
        return PUMP_ERR_INVAL;
    }
    s.out = out;
    s.cap = cap;
    s.n = 0U;
    if (e->mode >= (uint8_t)PUMP_ENTRY_MODE_COUNT) {
        report(&s, PUMP_F_MODE, PUMP_P_UNIT_KIND, NULL, NULL);
        *n_out = s.n;
        return PUMP_OK;
    }
    r = &rules_by_mode[e->mode];
    check_dosing_unit(&s, e, r);
    if (r->dose_limits) {
        check_limits(&s, PUMP_F_DOSE_LIMITS, &e->dose_limits);
    } else if (e->dose_limits.present != 0U) {
        report(&s, PUMP_F_DOSE_LIMITS, PUMP_P_NOT_ALLOWED, NULL, NULL);
    } else {
        /* none, as it should be */
    }
    check_concentration(&s, e, r);
    if (e->has_container) {
        if (!r->container) {
            report(&s, PUMP_F_CONTAINER_ML, PUMP_P_NOT_ALLOWED, NULL, NULL);
        }
        check_positive(&s, PUMP_F_CONTAINER_ML, &e->container_ml);
    }
    check_intermittent_parts(&s, e, r);
    check_bolus(&s, e, r);
    check_pca(&s, e, r);
    check_titration(&s, e, r);
    if (e->has_max_rate) {
        check_positive(&s, PUMP_F_MAX_RATE_ML_H, &e->max_rate_ml_h);
    }
    *n_out = s.n;
    return PUMP_OK;
}

const char *pump_field_str(pump_field f)
{
    static const char *const names[PUMP_F_COUNT] = {
        "",
        "patient_weight_kg",
        "patient_bsa_m2",
        "rate_ml_h",
        "basic_infusion",
        "mode",
        "dosing_unit",
        "dose_limits",
        "concentration",
        "concentration_limits",
        "container_ml",
        "dose_rate_unit",
        "dose_rate_limits",
        "duration_min_limits",
        "bolus",
        "bolus.limits",
        "bolus.duration_min_limits",
        "bolus.default_duration_min",
        "pca",
        "pca.dose_limits",
        "pca.lockout_min_limits",
        "pca.basal_limits",
        "pca.four_hour_limits",
        "titration",
        "max_rate_ml_h",
    };
    if ((unsigned)f >= (unsigned)PUMP_F_COUNT) {
        return "?";
    }
    return names[f];
}

const char *pump_bound_str(pump_bound b)
{
    static const char *const names[PUMP_BOUND_COUNT] = {"hard_min", "soft_min", "soft_max",
                                                        "hard_max"};
    if ((unsigned)b >= (unsigned)PUMP_BOUND_COUNT) {
        return "?";
    }
    return names[b];
}

static const char *const entry_mode_names[PUMP_ENTRY_MODE_COUNT] = {"continuous", "intermittent",
                                                                   "pca", "fluid"};

const char *pump_entry_mode_str(pump_entry_mode m)
{
    if ((unsigned)m >= (unsigned)PUMP_ENTRY_MODE_COUNT) {
        return "?";
    }
    return entry_mode_names[m];
}

pump_status pump_entry_mode_parse(const char *text, size_t len, pump_entry_mode *out)
{
    unsigned m;
    if ((text == NULL) || (out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    for (m = 0; m < (unsigned)PUMP_ENTRY_MODE_COUNT; m++) {
        const char *n = entry_mode_names[m];
        size_t nl = 0;
        while (n[nl] != '\0') {
            nl++;
        }
        if (pump__bytes_equal(text, len, n, nl) != 0) {
            *out = (pump_entry_mode)m;
            return PUMP_OK;
        }
    }
    return PUMP_ERR_INVAL;
}
