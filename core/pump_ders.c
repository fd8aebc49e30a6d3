/*
 * pump_ders.c - dose-error reduction (contract: see pump_ders.h; rules: ders-rules.md).
 *
 * Shape of a check: find the care area and entry, check the patient, then one judge_* function
 * per program mode computes the derived figures exactly (pump_num.h) and records every limit
 * crossed. finish() orders the violations by severity, then by the precedence list of
 * ders-rules.md, and picks the outcome: REJECT_INVALID > hard > soft > ACCEPT.
 */
#include "pump/pump_ders.h"

#include "pump_internal.h"

struct ctx {
    const struct pump_library *lib;
    const struct pump_program *p;
    struct pump_ders_result *r;
    const struct pump_care_area *area;
    const struct pump_entry *e;
    bool no_ders; /* an accepted basic infusion reports limit no_ders */
    bool has_entry_idx; /* the entry was already found by id (judge's shortcut) */
    uint32_t entry_idx;
};

static const struct pump_unit unit_none = {0U, 0U, 0U, 0U};
/* pump_q_int(n) for the constants the rules use: the same values, without a call each time. */
static const struct pump_q q_0 = {0, 1};
static const struct pump_q q_1 = {1, 1};
static const struct pump_q q_60 = {60, 1};
static const struct pump_q q_100 = {100, 1};

/* The first reason found is the one reported; later ones would only repeat the verdict. */
static void invalid(struct ctx *c, pump_reason why, pump_input in)
{
    if (c->r->reason == (uint8_t)PUMP_R_NONE) {
        c->r->reason = (uint8_t)why;
        c->r->reason_input = (uint8_t)in;
    }
}

/* Written in place: the violation is built in its slot, not copied there. */
static void add_violation(struct ctx *c, pump_limit lim, pump_outcome o, pump_bound b,
                          pump_value_unit vu, struct pump_unit u, struct pump_q value,
                          struct pump_q bound_value)
{
    struct pump_violation *v;
    if (c->r->n_violations >= (uint32_t)PUMP_DERS_MAX_VIOLATIONS) {
        return;
    }
    v = &c->r->violations[c->r->n_violations];
    c->r->n_violations++;
    v->limit = (uint8_t)lim;
    v->outcome = (uint8_t)o;
    v->bound = (uint8_t)b;
    v->vunit = (uint8_t)vu;
    v->unit = u;
    v->value = value;
    v->bound_value = bound_value;
}

/* Limits: strictly beyond a bound alerts; equal is inside (ders-rules.md, "Boundaries"). Hard
 * bounds are looked at first so each limit yields its most severe violation only: hard min,
 * hard max, soft min, soft max, each only when present (written out: this runs several times
 * per check). */
static inline void check_limits(struct ctx *c, pump_limit lim, const struct pump_limits *l,
                         struct pump_q v, pump_value_unit vu, struct pump_unit u)
{
    unsigned present = l->present;
    pump_bound b;
    pump_outcome o;
    if ((((present >> (unsigned)PUMP_HARD_MIN) & 1U) != 0U) &&
        (pump__q_cmp(v, l->bound[PUMP_HARD_MIN]) < 0)) {
        b = PUMP_HARD_MIN;
        o = PUMP_HARD_LOW;
    } else if ((((present >> (unsigned)PUMP_HARD_MAX) & 1U) != 0U) &&
               (pump__q_cmp(v, l->bound[PUMP_HARD_MAX]) > 0)) {
        b = PUMP_HARD_MAX;
        o = PUMP_HARD_HIGH;
    } else if ((((present >> (unsigned)PUMP_SOFT_MIN) & 1U) != 0U) &&
               (pump__q_cmp(v, l->bound[PUMP_SOFT_MIN]) < 0)) {
        b = PUMP_SOFT_MIN;
        o = PUMP_SOFT_LOW;
    } else if ((((present >> (unsigned)PUMP_SOFT_MAX) & 1U) != 0U) &&
               (pump__q_cmp(v, l->bound[PUMP_SOFT_MAX]) > 0)) {
        b = PUMP_SOFT_MAX;
        o = PUMP_SOFT_HIGH;
    } else {
        return;
    }
    add_violation(c, lim, o, b, vu, u, v, l->bound[b]);
}

/* A value that must be a positive number when given. Returns 1 when given and usable. */
static int usable(struct ctx *c, const struct pump_value *v, pump_input in)
{
    if (v->state == (uint8_t)PUMP_V_ABSENT) {
        return 0;
    }
    if ((v->state != (uint8_t)PUMP_V_GIVEN) || (pump__q_sign(v->q) <= 0)) {
        invalid(c, PUMP_R_NOT_POSITIVE, in);
        return 0;
    }
    return 1;
}

/* As usable(), but the value is needed: absent is invalid too. */
static int required(struct ctx *c, const struct pump_value *v, pump_input in)
{
    if (v->state == (uint8_t)PUMP_V_ABSENT) {
        invalid(c, PUMP_R_MISSING, in);
        return 0;
    }
    return usable(c, v, in);
}

static void not_for_mode(struct ctx *c, const struct pump_value *v, pump_input in)
{
    if (v->state != (uint8_t)PUMP_V_ABSENT) {
        invalid(c, PUMP_R_NOT_FOR_MODE, in);
    }
}

/* Arithmetic that cannot represent its result exactly makes the program invalid: judging a
 * rounded number could flip an outcome (ders-rules.md, "Numbers"). */
static inline int q_mul(struct ctx *c, struct pump_q a, struct pump_q b, struct pump_q *out)
{
    /* The common case inline (pump_internal.h); pump_q_mul decides the rest. */
    if ((pump__q_mul_plain(a, b, out) == 0) && (pump_q_mul(a, b, out) != PUMP_OK)) {
        invalid(c, PUMP_R_TOO_LARGE, PUMP_IN_NONE);
        return 0;
    }
    return 1;
}

static inline int q_div(struct ctx *c, struct pump_q a, struct pump_q b, struct pump_q *out)
{
    /* a / b = a x (1/b) with the sign on the numerator, as pump_q_div does; b == 0 and products
     * that need reducing go to pump_q_div itself. */
    struct pump_q inv;
    if (b.num != 0) {
        inv.num = (b.num < 0) ? -b.den : b.den;
        inv.den = (b.num < 0) ? -b.num : b.num;
        if (pump__q_mul_plain(a, inv, out) != 0) {
            return 1;
        }
    }
    if (pump_q_div(a, b, out) != PUMP_OK) {
        invalid(c, PUMP_R_TOO_LARGE, PUMP_IN_NONE);
        return 0;
    }
    return 1;
}

static int q_add(struct ctx *c, struct pump_q a, struct pump_q b, struct pump_q *out)
{
    if (pump_q_add(a, b, out) != PUMP_OK) {
        invalid(c, PUMP_R_TOO_LARGE, PUMP_IN_NONE);
        return 0;
    }
    return 1;
}

static void check_patient(struct ctx *c)
{
    static const struct pump_unit u = {0U, 0U, 0U, 0U};
    if (usable(c, &c->p->weight_kg, PUMP_IN_WEIGHT) != 0) {
        check_limits(c, PUMP_LIM_WEIGHT, &c->area->weight_kg, c->p->weight_kg.q, PUMP_VU_KG, u);
    }
    if (usable(c, &c->p->bsa_m2, PUMP_IN_BSA) != 0) {
        check_limits(c, PUMP_LIM_BSA, &c->area->bsa_m2, c->p->bsa_m2.q, PUMP_VU_M2, u);
    }
}

/* Weight for a /kg unit, BSA for a /m2 unit, 1 otherwise. Returns 0 when it is missing. */
static int body_factor(struct ctx *c, struct pump_unit u, struct pump_q *out)
{
    *out = q_1;
    if (u.body == (uint8_t)PUMP_PER_KG) {
        if (c->p->weight_kg.state == (uint8_t)PUMP_V_ABSENT) {
            invalid(c, PUMP_R_MISSING, PUMP_IN_WEIGHT);
            return 0;
        }
        if (usable(c, &c->p->weight_kg, PUMP_IN_WEIGHT) == 0) {
            return 0;
        }
        *out = c->p->weight_kg.q;
    } else if (u.body == (uint8_t)PUMP_PER_M2) {
        if (c->p->bsa_m2.state == (uint8_t)PUMP_V_ABSENT) {
            invalid(c, PUMP_R_MISSING, PUMP_IN_BSA);
            return 0;
        }
        if (usable(c, &c->p->bsa_m2, PUMP_IN_BSA) == 0) {
            return 0;
        }
        *out = c->p->bsa_m2.q;
    } else {
        /* per patient: no factor */
    }
    return 1;
}

/* The dose and its unit, which must be exactly the entry's unit for this mode: never converted. */
static int dose_in_unit(struct ctx *c, struct pump_unit want)
{
    int ok = required(c, &c->p->dose, PUMP_IN_DOSE);
    if (!c->p->has_dose_unit) {
        invalid(c, PUMP_R_MISSING, PUMP_IN_DOSE_UNIT);
        return 0;
    }
    if (c->p->dose_unit_bad) {
        invalid(c, PUMP_R_UNIT_UNKNOWN, PUMP_IN_DOSE_UNIT);
        return 0;
    }
    if (pump_unit_equal(c->p->dose_unit, want) == 0) {
        invalid(c, PUMP_R_UNIT_MISMATCH, PUMP_IN_DOSE_UNIT);
        c->r->reason_unit = want;
        return 0;
    }
    return ok;
}

/* The concentration in force: amount of conc->unit per volume_ml. */
struct conc {
    struct pump_q amount;
    struct pump_unit unit;
    struct pump_q volume_ml;
    bool custom;
};

static int custom_concentration(struct ctx *c, struct conc *out)
{
    const struct pump_program *p = c->p;
    struct pump_q factor;
    struct pump_q per_ml;
    int ok;
    if (!p->has_conc) {
        invalid(c, PUMP_R_MISSING, PUMP_IN_CONCENTRATION);
        return 0;
    }
    ok = required(c, &p->conc_amount, PUMP_IN_CONC_AMOUNT);
    ok = required(c, &p->conc_volume_ml, PUMP_IN_CONC_VOLUME) && ok;
    if (p->conc_unit_bad || (p->conc_unit.kind != (uint8_t)PUMP_UNIT_AMOUNT) ||
        (p->conc_unit.body != (uint8_t)PUMP_PER_NONE)) {
        invalid(c, PUMP_R_UNIT_UNKNOWN, PUMP_IN_CONC_UNIT);
        return 0;
    }
    if (pump_amount_factor((pump_amount)p->conc_unit.amount,
                           (pump_amount)c->e->dosing_unit.amount, &factor) != PUMP_OK) {
        invalid(c, PUMP_R_UNIT_FAMILY, PUMP_IN_CONC_UNIT);
        return 0;
    }
    if (ok == 0) {
        return 0;
    }
    out->amount = p->conc_amount.q;
    out->unit = p->conc_unit;
    out->volume_ml = p->conc_volume_ml.q;
    out->custom = true;
    if (c->e->has_conc_limits &&
        (pump_amount_factor((pump_amount)p->conc_unit.amount,
                            (pump_amount)c->e->conc_limits_unit.amount, &factor) == PUMP_OK) &&
        q_mul(c, out->amount, factor, &per_ml) && q_div(c, per_ml, out->volume_ml, &per_ml)) {
        check_limits(c, PUMP_LIM_CONCENTRATION, &c->e->conc_limits, per_ml, PUMP_VU_UNIT,
                     c->e->conc_limits_unit);
    }
    return 1;
}

static int concentration(struct ctx *c, struct conc *out)
{
    if (!c->e->has_conc) {
        return custom_concentration(c, out);
    }
    if (c->p->has_conc) {
        /* A standard concentration is what the pharmacy stocks; a different bag needs its own
         * entry, never a silent override. */
        invalid(c, PUMP_R_CONC_NOT_CUSTOM, PUMP_IN_CONCENTRATION);
    }
    out->amount = c->e->conc_amount;
    out->unit = c->e->conc_amount_unit;
    out->volume_ml = c->e->conc_volume_ml;
    out->custom = false;
    return 1;
}

/* mL that hold `amount` (in unit amt) at concentration k. */
static int volume_for(struct ctx *c, struct pump_q amount, pump_amount amt, const struct conc *k,
                      struct pump_q *out_ml)
{
    struct pump_q factor;
    struct pump_q v;
    if (!k->custom && c->e->has_ml_per_amount && (amt == (pump_amount)c->e->dosing_unit.amount)) {
        return q_mul(c, amount, c->e->ml_per_amount, out_ml); /* derived at load: same value */
    }
    if (pump_amount_factor(amt, (pump_amount)k->unit.amount, &factor) != PUMP_OK) {
        invalid(c, PUMP_R_UNIT_FAMILY, PUMP_IN_DOSE_UNIT); /* DEFENSIVE: the library forbids it */
        return 0;
    }
    return q_mul(c, amount, factor, &v) && q_mul(c, v, k->volume_ml, &v) &&
           q_div(c, v, k->amount, out_ml);
}

/* The pump rate against the care area and the entry (ders-rules.md, "Checks"). */
static void check_rate(struct ctx *c, struct pump_q rate)
{
    c->r->has_rate = true;
    c->r->rate_ml_h = rate;
    if (pump__q_cmp(rate, c->area->rate_min_ml_h) < 0) {
        /* The pump cannot run that slowly: the program is impossible, not merely unsafe. */
        invalid(c, PUMP_R_RATE_BELOW_MIN, PUMP_IN_RATE);
        c->r->reason_value = rate;
        c->r->reason_bound = c->area->rate_min_ml_h;
    }
    if (pump__q_cmp(rate, c->area->rate_max_ml_h) > 0) {
        add_violation(c, PUMP_LIM_RATE, PUMP_HARD_HIGH, PUMP_HARD_MAX, PUMP_VU_ML_H, unit_none,
                      rate, c->area->rate_max_ml_h);
    }
    /* The entry's ceiling is a second violation only when it is a tighter bound: the same
     * number twice would only repeat the first. */
    if ((c->e != NULL) && c->e->has_max_rate && (pump__q_cmp(rate, c->e->max_rate_ml_h) > 0) &&
        (pump__q_cmp(c->e->max_rate_ml_h, c->area->rate_max_ml_h) < 0)) {
        add_violation(c, PUMP_LIM_RATE, PUMP_HARD_HIGH, PUMP_HARD_MAX, PUMP_VU_ML_H, unit_none,
                      rate, c->e->max_rate_ml_h);
    }
}

/* VTBI of a running infusion: the volume, and the time it takes at the rate. */
static void vtbi_figures(struct ctx *c)
{
    struct pump_q minutes;
    if (usable(c, &c->p->vtbi_ml, PUMP_IN_VTBI) == 0) {
        return;
    }
    c->r->has_volume = true;
    c->r->volume_ml = c->p->vtbi_ml.q;
    if (c->r->has_rate && (pump__q_sign(c->r->rate_ml_h) > 0) &&
        q_mul(c, c->p->vtbi_ml.q, q_60, &minutes) &&
        q_div(c, minutes, c->r->rate_ml_h, &minutes)) {
        c->r->has_duration = true;
        c->r->duration_min = minutes;
    }
}

/* A change of a running infusion above current x (1 + pct/100) (continuous and fluid). */
static void check_titration(struct ctx *c, struct pump_q dose, struct pump_unit u)
{
    const struct pump_entry *e = c->e;
    struct pump_q bound;
    int k;
    if (usable(c, &c->p->current_dose, PUMP_IN_CURRENT_DOSE) == 0) {
        return;
    }
    /* Hard first: a change beyond both limits is one hard violation. */
    for (k = 0; k < 2; k++) {
        bool is_hard = (k == 0);
        bool has = is_hard ? e->has_titration_hard : e->has_titration_soft;
        struct pump_q pct = is_hard ? e->titration_hard_pct : e->titration_soft_pct;
        struct pump_q factor = is_hard ? e->titration_hard_factor : e->titration_soft_factor;
        if (!has) {
            continue;
        }
        if (pump__q_sign(factor) > 0) {
            /* (100 + pct) / 100, derived at load */
            if (!q_mul(c, c->p->current_dose.q, factor, &bound)) {
                continue;
            }
        } else if (!q_add(c, pct, q_100, &bound) ||
                   !q_mul(c, c->p->current_dose.q, bound, &bound) ||
                   !q_div(c, bound, q_100, &bound)) {
            continue;
        }
        if (pump__q_cmp(dose, bound) > 0) {
            add_violation(c, PUMP_LIM_TITRATION, is_hard ? PUMP_HARD_HIGH : PUMP_SOFT_HIGH,
                          is_hard ? PUMP_HARD_MAX : PUMP_SOFT_MAX, PUMP_VU_UNIT, u, dose, bound);
            return;
        }
    }
}

static void judge_continuous(struct ctx *c)
{
    const struct pump_entry *e = c->e;
    const struct pump_program *p = c->p;
    struct pump_q body;
    struct pump_q rate;
    struct conc k;
    int ok;
    not_for_mode(c, &p->rate_ml_h, PUMP_IN_RATE);
    not_for_mode(c, &p->duration_min, PUMP_IN_DURATION);
    ok = dose_in_unit(c, e->dosing_unit);
    ok = body_factor(c, e->dosing_unit, &body) && ok;
    ok = concentration(c, &k) && ok;
    if (ok == 0) {
        return;
    }
    check_limits(c, PUMP_LIM_DOSE, &e->dose_limits, p->dose.q, PUMP_VU_UNIT, e->dosing_unit);
    check_titration(c, p->dose.q, e->dosing_unit);
    /* rate = dose x body x (60 when per minute) in mL of concentration k */
    if (q_mul(c, p->dose.q, body, &rate) &&
        ((e->dosing_unit.time != (uint8_t)PUMP_TIME_MIN) || q_mul(c, rate, q_60, &rate)) &&
        volume_for(c, rate, (pump_amount)e->dosing_unit.amount, &k, &rate)) {
        check_rate(c, rate);
        vtbi_figures(c);
    }
}

static void judge_fluid(struct ctx *c)
{
    const struct pump_entry *e = c->e;
    const struct pump_program *p = c->p;
    static const struct pump_unit ml_h = {(uint8_t)PUMP_AMT_ML, (uint8_t)PUMP_PER_NONE,
                                          (uint8_t)PUMP_TIME_H, (uint8_t)PUMP_UNIT_RATE};
    not_for_mode(c, &p->rate_ml_h, PUMP_IN_RATE);
    not_for_mode(c, &p->duration_min, PUMP_IN_DURATION);
    if (p->has_conc) {
        invalid(c, PUMP_R_NOT_FOR_MODE, PUMP_IN_CONCENTRATION);
    }
    if (dose_in_unit(c, e->dosing_unit) == 0) {
        return;
    }
    /* A fluid's dose is its rate: its dose limits are reported as limit rate. */
    check_limits(c, PUMP_LIM_RATE, &e->dose_limits, p->dose.q, PUMP_VU_ML_H, ml_h);
    check_titration(c, p->dose.q, ml_h);
    check_rate(c, p->dose.q);
    vtbi_figures(c);
}

/* Duration of an intermittent or bolus program: given, derived from a given rate, or the
 * bolus default. Sets the result's rate and duration. */
static int timing(struct ctx *c, struct pump_q volume, bool is_bolus)
{
    const struct pump_program *p = c->p;
    bool has_dur = (p->duration_min.state != (uint8_t)PUMP_V_ABSENT);
    bool has_rate = (p->rate_ml_h.state != (uint8_t)PUMP_V_ABSENT);
    struct pump_q t;
    if (has_dur && has_rate) {
        invalid(c, PUMP_R_DURATION_AND_RATE, PUMP_IN_NONE);
        return 0;
    }
    if (has_rate) {
        if ((usable(c, &p->rate_ml_h, PUMP_IN_RATE) == 0) ||
            !q_mul(c, volume, q_60, &t) || !q_div(c, t, p->rate_ml_h.q, &t)) {
            return 0;
        }
        c->r->duration_min = t;
        c->r->has_duration = true;
        check_rate(c, p->rate_ml_h.q);
        return 1;
    }
    if (has_dur) {
        if (usable(c, &p->duration_min, PUMP_IN_DURATION) == 0) {
            return 0;
        }
        t = p->duration_min.q;
    } else if (is_bolus && c->e->has_bolus_default_duration) {
        t = c->e->bolus_default_duration_min;
    } else {
        invalid(c, PUMP_R_NO_DURATION, PUMP_IN_DURATION);
        return 0;
    }
    c->r->duration_min = t;
    c->r->has_duration = true;
    if (q_mul(c, volume, q_60, &t) && q_div(c, t, c->r->duration_min, &t)) {
        check_rate(c, t);
    }
    return 1;
}

/* An intermittent or bolus volume may not exceed the container (entry's, or the program's own
 * bag when it brings its concentration). */
static void check_container(struct ctx *c, struct pump_q volume, const struct conc *k)
{
    const struct pump_q *cap = NULL;
    if (k->custom) {
        cap = &k->volume_ml;
    } else if (c->e->has_container) {
        cap = &c->e->container_ml;
    } else {
        return; /* a per-mL standard concentration has no container */
    }
    if (pump__q_cmp(volume, *cap) > 0) {
        add_violation(c, PUMP_LIM_VOLUME, PUMP_HARD_HIGH, PUMP_HARD_MAX, PUMP_VU_ML, unit_none,
                      volume, *cap);
    }
}

/* Dose rate = total / duration, in dose_rate_unit (per kg or m2 when it says so). */
static void check_dose_rate(struct ctx *c, struct pump_q total)
{
    const struct pump_entry *e = c->e;
    struct pump_q factor;
    struct pump_q body;
    struct pump_q v;
    struct pump_q per = (e->dose_rate_unit.time == (uint8_t)PUMP_TIME_H) ? q_60
                                                                        : q_1;
    if (!e->has_dose_rate || !c->r->has_duration ||
        (pump_amount_factor((pump_amount)e->dosing_unit.amount,
                            (pump_amount)e->dose_rate_unit.amount, &factor) != PUMP_OK) ||
        (body_factor(c, e->dose_rate_unit, &body) == 0)) {
        return;
    }
    if (q_mul(c, total, factor, &v) && q_div(c, v, body, &v) && q_mul(c, v, per, &v) &&
        q_div(c, v, c->r->duration_min, &v)) {
        check_limits(c, PUMP_LIM_DOSE_RATE, &e->dose_rate_limits, v, PUMP_VU_UNIT,
                     e->dose_rate_unit);
    }
}

/* The total amount of a dose in the dose's own amount unit, and the mL it needs. */
static int total_and_volume(struct ctx *c, struct pump_unit u, struct pump_q body,
                            const struct conc *k, struct pump_q *total)
{
    if (!q_mul(c, c->p->dose.q, body, total) ||
        !volume_for(c, *total, (pump_amount)u.amount, k, &c->r->volume_ml)) {
        return 0;
    }
    c->r->has_volume = true;
    return 1;
}

/* What differs between an intermittent dose and a bolus or loading dose: the unit the dose is
 * given in, the limits it and its duration are judged by, and the limit names. */
struct amount_rules {
    struct pump_unit unit;
    const struct pump_limits *dose_limits;
    const struct pump_limits *duration_limits;
    pump_limit dose_limit;
    pump_limit duration_limit;
    bool is_bolus;
};

/* A dose given as an amount over a duration (intermittent, bolus, loading). */
static void judge_amount(struct ctx *c, const struct amount_rules *ar)
{
    struct pump_q body;
    struct pump_q total;
    struct conc k;
    int ok;
    not_for_mode(c, &c->p->vtbi_ml, PUMP_IN_VTBI);
    not_for_mode(c, &c->p->current_dose, PUMP_IN_CURRENT_DOSE);
    ok = dose_in_unit(c, ar->unit);
    ok = body_factor(c, ar->unit, &body) && ok;
    ok = concentration(c, &k) && ok;
    if (ok == 0) {
        return;
    }
    check_limits(c, ar->dose_limit, ar->dose_limits, c->p->dose.q, PUMP_VU_UNIT, ar->unit);
    if (total_and_volume(c, ar->unit, body, &k, &total) == 0) {
        return;
    }
    if (timing(c, c->r->volume_ml, ar->is_bolus) != 0) {
        check_limits(c, ar->duration_limit, ar->duration_limits, c->r->duration_min, PUMP_VU_MIN,
                     unit_none);
        if (!ar->is_bolus) {
            check_dose_rate(c, total);
        }
    }
    check_container(c, c->r->volume_ml, &k);
}

static void judge_intermittent(struct ctx *c)
{
    const struct amount_rules ar = {c->e->dosing_unit,     &c->e->dose_limits,
                                    &c->e->duration_min_limits, PUMP_LIM_DOSE,
                                    PUMP_LIM_DURATION,     false};
    judge_amount(c, &ar);
}

static void judge_bolus(struct ctx *c)
{
    const struct amount_rules ar = {c->e->bolus_unit,
                                    &c->e->bolus_limits,
                                    &c->e->bolus_duration_min_limits,
                                    PUMP_LIM_BOLUS_DOSE,
                                    PUMP_LIM_BOLUS_DURATION,
                                    true};
    judge_amount(c, &ar);
}

static void judge_pca_settings(struct ctx *c)
{
    const struct pump_entry *e = c->e;
    const struct pump_program *p = c->p;
    if (required(c, &p->pca_dose, PUMP_IN_PCA_DOSE) != 0) {
        check_limits(c, PUMP_LIM_PCA_DOSE, &e->pca_dose_limits, p->pca_dose.q, PUMP_VU_UNIT,
                     e->dosing_unit);
    }
    if (required(c, &p->pca_lockout_min, PUMP_IN_PCA_LOCKOUT) != 0) {
        check_limits(c, PUMP_LIM_LOCKOUT, &e->pca_lockout_min_limits, p->pca_lockout_min.q,
                     PUMP_VU_MIN, unit_none);
    }
    /* A basal of 0 means none: allowed, and not held against a basal minimum. */
    if ((p->pca_basal.state == (uint8_t)PUMP_V_GIVEN) && (pump__q_sign(p->pca_basal.q) == 0)) {
        /* no basal */
    } else if (usable(c, &p->pca_basal, PUMP_IN_PCA_BASAL) != 0) {
        check_limits(c, PUMP_LIM_BASAL, &e->pca_basal_limits, p->pca_basal.q,
                     PUMP_VU_UNIT_PER_H, e->dosing_unit);
    } else {
        /* absent, or reported invalid by usable() */
    }
    if (usable(c, &p->pca_four_hour, PUMP_IN_PCA_FOUR_HOUR) != 0) {
        check_limits(c, PUMP_LIM_FOUR_HOUR_LIMIT, &e->pca_four_hour_limits, p->pca_four_hour.q,
                     PUMP_VU_UNIT, e->dosing_unit);
    }
}

static void judge_pca(struct ctx *c)
{
    const struct pump_program *p = c->p;
    struct pump_q body;
    not_for_mode(c, &p->dose, PUMP_IN_DOSE);
    not_for_mode(c, &p->rate_ml_h, PUMP_IN_RATE);
    not_for_mode(c, &p->duration_min, PUMP_IN_DURATION);
    not_for_mode(c, &p->vtbi_ml, PUMP_IN_VTBI);
    not_for_mode(c, &p->current_dose, PUMP_IN_CURRENT_DOSE);
    if (p->has_conc) {
        invalid(c, PUMP_R_CONC_NOT_CUSTOM, PUMP_IN_CONCENTRATION);
    }
    if (p->has_dose_unit && (p->dose_unit_bad || !pump_unit_equal(p->dose_unit, c->e->dosing_unit))) {
        invalid(c, p->dose_unit_bad ? PUMP_R_UNIT_UNKNOWN : PUMP_R_UNIT_MISMATCH,
                PUMP_IN_DOSE_UNIT);
        c->r->reason_unit = c->e->dosing_unit;
    }
    if (!p->has_pca) {
        invalid(c, PUMP_R_MISSING, PUMP_IN_PCA);
        return;
    }
    (void)body_factor(c, c->e->dosing_unit, &body); /* a /kg PCA dose needs the weight */
    judge_pca_settings(c);
}

static void judge_basic(struct ctx *c)
{
    const struct pump_program *p = c->p;
    if (p->entry != NULL) {
        invalid(c, PUMP_R_ENTRY_FOR_BASIC, PUMP_IN_ENTRY);
    }
    not_for_mode(c, &p->dose, PUMP_IN_DOSE);
    not_for_mode(c, &p->duration_min, PUMP_IN_DURATION);
    not_for_mode(c, &p->current_dose, PUMP_IN_CURRENT_DOSE);
    if (p->has_dose_unit) {
        invalid(c, PUMP_R_NOT_FOR_MODE, PUMP_IN_DOSE_UNIT);
    }
    if (p->has_conc) {
        invalid(c, PUMP_R_NOT_FOR_MODE, PUMP_IN_CONCENTRATION);
    }
    if (!c->area->basic_allowed) {
        invalid(c, PUMP_R_BASIC_NOT_ALLOWED, PUMP_IN_MODE);
    }
    if (required(c, &p->rate_ml_h, PUMP_IN_RATE) == 0) {
        return;
    }
    check_rate(c, p->rate_ml_h.q);
    if (c->area->has_basic_max && (pump__q_cmp(p->rate_ml_h.q, c->area->basic_max_rate_ml_h) > 0) &&
        (pump__q_cmp(c->area->basic_max_rate_ml_h, c->area->rate_max_ml_h) < 0)) {
        add_violation(c, PUMP_LIM_RATE, PUMP_HARD_HIGH, PUMP_HARD_MAX, PUMP_VU_ML_H, unit_none,
                      p->rate_ml_h.q, c->area->basic_max_rate_ml_h);
    }
    vtbi_figures(c);
    c->no_ders = true;
}

/* Find the entry and see that the program's mode fits it. Returns 0 when judging cannot go on. */
static int resolve_entry(struct ctx *c)
{
    const struct pump_program *p = c->p;
    uint32_t idx;
    uint8_t need;
    if (p->entry == NULL) {
        invalid(c, PUMP_R_ENTRY_MISSING, PUMP_IN_ENTRY);
        return 0;
    }
    if (c->has_entry_idx) {
        idx = c->entry_idx;
    } else if (pump_library_find_entry(c->lib, p->entry, p->entry_len, &idx) != PUMP_OK) {
        invalid(c, PUMP_R_ENTRY_UNKNOWN, PUMP_IN_ENTRY);
        return 0;
    }
    c->e = &c->lib->st.entries[idx];
    c->r->entry = idx;
    c->r->has_entry = true;
    if (c->e->area != c->r->area) {
        invalid(c, PUMP_R_ENTRY_OTHER_AREA, PUMP_IN_ENTRY);
        return 0;
    }
    if ((p->mode == (uint8_t)PUMP_MODE_BOLUS) || (p->mode == (uint8_t)PUMP_MODE_LOADING)) {
        if (!c->e->has_bolus) {
            invalid(c, PUMP_R_NO_BOLUS, PUMP_IN_MODE);
            return 0;
        }
        return 1;
    }
    switch ((pump_prog_mode)p->mode) {
    case PUMP_MODE_CONTINUOUS:
        need = (uint8_t)PUMP_ENTRY_CONTINUOUS;
        break;
    case PUMP_MODE_INTERMITTENT:
        need = (uint8_t)PUMP_ENTRY_INTERMITTENT;
        break;
    case PUMP_MODE_PCA:
        need = (uint8_t)PUMP_ENTRY_PCA;
        break;
    case PUMP_MODE_FLUID:
        need = (uint8_t)PUMP_ENTRY_FLUID;
        break;
    case PUMP_MODE_BOLUS:
    case PUMP_MODE_LOADING:
    case PUMP_MODE_BASIC:
    case PUMP_MODE_COUNT:
    default:
        need = (uint8_t)PUMP_ENTRY_MODE_COUNT; /* DEFENSIVE: handled by the caller */
        break;
    }
    if (c->e->mode != need) {
        invalid(c, PUMP_R_MODE_MISMATCH, PUMP_IN_MODE);
        return 0;
    }
    return 1;
}

static int severity(uint8_t outcome)
{
    if ((outcome == (uint8_t)PUMP_HARD_LOW) || (outcome == (uint8_t)PUMP_HARD_HIGH)) {
        return 2;
    }
    return ((outcome == (uint8_t)PUMP_SOFT_LOW) || (outcome == (uint8_t)PUMP_SOFT_HIGH)) ? 1 : 0;
}

/* Does violation a come before b: more severe first, then ders-rules.md's order of limits. */
static int before(const struct pump_violation *a, const struct pump_violation *b)
{
    int sa = severity(a->outcome);
    int sb = severity(b->outcome);
    if (sa != sb) {
        return sa > sb;
    }
    return a->limit < b->limit;
}

static void finish(struct ctx *c)
{
    struct pump_ders_result *r = c->r;
    uint32_t i;
    /* Insertion sort: stable, at most PUMP_DERS_MAX_VIOLATIONS items. */
    for (i = 1U; i < r->n_violations; i++) {
        struct pump_violation v = r->violations[i];
        uint32_t j = i;
        while ((j > 0U) && before(&v, &r->violations[j - 1U])) {
            r->violations[j] = r->violations[j - 1U];
            j--;
        }
        r->violations[j] = v;
    }
    if (r->reason != (uint8_t)PUMP_R_NONE) {
        bool is_entry = (r->reason == (uint8_t)PUMP_R_CARE_AREA_UNKNOWN) ||
                        (r->reason == (uint8_t)PUMP_R_ENTRY_UNKNOWN) ||
                        (r->reason == (uint8_t)PUMP_R_ENTRY_OTHER_AREA);
        r->outcome = (uint8_t)PUMP_REJECT_INVALID;
        r->limit = (uint8_t)(is_entry ? PUMP_LIM_ENTRY : PUMP_LIM_INPUT);
    } else if (r->n_violations > 0U) {
        r->outcome = r->violations[0].outcome;
        r->limit = r->violations[0].limit;
    } else {
        r->outcome = (uint8_t)PUMP_ACCEPT;
        r->limit = (uint8_t)(c->no_ders ? PUMP_LIM_NO_DERS : PUMP_LIM_NONE);
    }
}

/* The care area by id. Shortcut for the usual program: when the entry exists and belongs to an
 * area whose id is the program's care area, that is the area (ids are unique), and the second
 * hash lookup is saved; lookups were a third of a check's work. Otherwise the plain lookup
 * decides, so every verdict is the same as without the shortcut. */
static pump_status find_area(struct ctx *c, uint32_t *idx)
{
    const struct pump_program *p = c->p;
    uint32_t e_idx;
    if ((p->mode != (uint8_t)PUMP_MODE_BASIC) && (p->entry != NULL) &&
        (pump_library_find_entry(c->lib, p->entry, p->entry_len, &e_idx) == PUMP_OK)) {
        const struct pump_entry *e = &c->lib->st.entries[e_idx];
        struct pump_str id = c->lib->st.areas[e->area].id;
        c->has_entry_idx = true;
        c->entry_idx = e_idx;
        if (pump__bytes_equal(pump_library_str(c->lib, id), id.len, p->care_area,
                              p->care_area_len) != 0) {
            *idx = e->area;
            return PUMP_OK;
        }
    }
    return pump_library_find_area(c->lib, p->care_area, p->care_area_len, idx);
}

static void judge(struct ctx *c)
{
    uint32_t idx;
    int ok;
    const struct pump_program *p = c->p;
    if ((p->care_area == NULL) || (find_area(c, &idx) != PUMP_OK)) {
        invalid(c, PUMP_R_CARE_AREA_UNKNOWN, PUMP_IN_NONE);
        return;
    }
    c->area = &c->lib->st.areas[idx];
    c->r->area = idx;
    c->r->has_area = true;
    if (p->mode == (uint8_t)PUMP_MODE_BASIC) {
        check_patient(c);
        if (p->has_pca) {
            invalid(c, PUMP_R_NOT_FOR_MODE, PUMP_IN_PCA);
        }
        judge_basic(c);
        return;
    }
    /* The entry first: an unknown entry (limit entry) is the verdict even when a patient value
     * is also unusable; the first reason found is the one reported. */
    ok = resolve_entry(c);
    check_patient(c);
    if (p->has_pca && (p->mode != (uint8_t)PUMP_MODE_PCA)) {
        invalid(c, PUMP_R_NOT_FOR_MODE, PUMP_IN_PCA);
    }
    if (ok == 0) {
        return;
    }
    if ((p->mode == (uint8_t)PUMP_MODE_BOLUS) || (p->mode == (uint8_t)PUMP_MODE_LOADING)) {
        judge_bolus(c);
    } else if (p->mode == (uint8_t)PUMP_MODE_CONTINUOUS) {
        judge_continuous(c);
    } else if (p->mode == (uint8_t)PUMP_MODE_INTERMITTENT) {
        judge_intermittent(c);
    } else if (p->mode == (uint8_t)PUMP_MODE_PCA) {
        judge_pca(c);
    } else {
        judge_fluid(c);
    }
}

pump_status pump_ders_check(const struct pump_library *lib, const struct pump_program *prog,
                            struct pump_ders_result *res)
{
    struct ctx c;
    if ((lib == NULL) || (prog == NULL) || (res == NULL)) {
        return PUMP_ERR_INVAL;
    }
    /* Everything but the violation array, which is valid up to n_violations only: clearing its
     * 1 KiB on every check was a measurable share of the check's time. */
    __builtin_memset(res, 0, offsetof(struct pump_ders_result, violations));
    res->has_rate = false;
    res->has_volume = false;
    res->has_duration = false;
    res->rate_ml_h = q_0;
    res->volume_ml = res->rate_ml_h;
    res->duration_min = res->rate_ml_h;
    c.lib = lib;
    c.p = prog;
    c.r = res;
    c.area = NULL;
    c.e = NULL;
    c.no_ders = false;
    c.has_entry_idx = false;
    c.entry_idx = 0U;
    if (prog->mode >= (uint8_t)PUMP_MODE_COUNT) {
        invalid(&c, PUMP_R_MODE_MISMATCH, PUMP_IN_MODE);
    } else {
        judge(&c);
    }
    finish(&c);
    return PUMP_OK;
}
