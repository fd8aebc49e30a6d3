/*
 * ders_text.c - a DERS result in words a nurse understands.
 *
 * One sentence per violation and per reason a program is invalid. Values are shown exactly when
 * they have few decimals (ictl_text_qd); the derived figures are rounded half up to 2 decimals.
 */
#include <string.h>

#include "infusionctl.h"

/* ---- lookups ----------------------------------------------------------------------------- */

static const struct pump_entry *result_entry(const struct pump_library *lib,
                                             const struct pump_ders_result *res)
{
    if (!res->has_entry || res->entry >= lib->n_entries) {
        return NULL;
    }
    return &lib->st.entries[res->entry];
}

static const struct pump_care_area *result_area(const struct pump_library *lib,
                                                const struct pump_ders_result *res)
{
    if (!res->has_area || res->area >= lib->n_areas) {
        return NULL;
    }
    return &lib->st.areas[res->area];
}

/* The program's entry by id, whatever the result says (NULL when unknown). */
static const struct pump_entry *program_entry(const struct pump_library *lib,
                                              const struct pump_program *prog)
{
    uint32_t i;

    if (prog->entry == NULL ||
        pump_library_find_entry(lib, prog->entry, prog->entry_len, &i) != PUMP_OK ||
        i >= lib->n_entries) {
        return NULL;
    }
    return &lib->st.entries[i];
}

static const struct pump_care_area *program_area(const struct pump_library *lib,
                                                 const struct pump_program *prog)
{
    uint32_t i;

    if (prog->care_area == NULL ||
        pump_library_find_area(lib, prog->care_area, prog->care_area_len, &i) != PUMP_OK ||
        i >= lib->n_areas) {
        return NULL;
    }
    return &lib->st.areas[i];
}

static const struct pump_entry *any_entry(const struct pump_library *lib,
                                          const struct pump_program *prog,
                                          const struct pump_ders_result *res)
{
    const struct pump_entry *e = result_entry(lib, res);
    return (e != NULL) ? e : program_entry(lib, prog);
}

static const struct pump_care_area *any_area(const struct pump_library *lib,
                                             const struct pump_program *prog,
                                             const struct pump_ders_result *res)
{
    const struct pump_care_area *a = result_area(lib, res);
    return (a != NULL) ? a : program_area(lib, prog);
}

/* ---- words ------------------------------------------------------------------------------- */

static const char *const limit_words[PUMP_LIM_COUNT] = {
    [PUMP_LIM_WEIGHT] = "weight",
    [PUMP_LIM_BSA] = "body surface area",
    [PUMP_LIM_DOSE] = "dose",
    [PUMP_LIM_BOLUS_DOSE] = "bolus dose",
    [PUMP_LIM_BOLUS_DURATION] = "bolus duration",
    [PUMP_LIM_PCA_DOSE] = "PCA dose",
    [PUMP_LIM_LOCKOUT] = "lockout interval",
    [PUMP_LIM_BASAL] = "basal rate",
    [PUMP_LIM_FOUR_HOUR_LIMIT] = "4-hour limit",
    [PUMP_LIM_CONCENTRATION] = "concentration",
    [PUMP_LIM_DOSE_RATE] = "dose rate",
    [PUMP_LIM_DURATION] = "duration",
    [PUMP_LIM_TITRATION] = "dose",
    [PUMP_LIM_RATE] = "rate",
    [PUMP_LIM_VOLUME] = "volume",
    [PUMP_LIM_ENTRY] = "drug entry",
    [PUMP_LIM_INPUT] = "input",
    [PUMP_LIM_NO_DERS] = "basic infusion",
    [PUMP_LIM_NONE] = "program",
};

static const char *const input_words[PUMP_IN_COUNT] = {
    [PUMP_IN_NONE] = "input",
    [PUMP_IN_MODE] = "mode",
    [PUMP_IN_ENTRY] = "drug entry",
    [PUMP_IN_DOSE] = "dose",
    [PUMP_IN_DOSE_UNIT] = "dose unit",
    [PUMP_IN_RATE] = "rate",
    [PUMP_IN_WEIGHT] = "weight",
    [PUMP_IN_BSA] = "body surface area",
    [PUMP_IN_DURATION] = "duration",
    [PUMP_IN_VTBI] = "volume to be infused",
    [PUMP_IN_CURRENT_DOSE] = "current dose",
    [PUMP_IN_CONCENTRATION] = "concentration",
    [PUMP_IN_CONC_AMOUNT] = "concentration amount",
    [PUMP_IN_CONC_UNIT] = "concentration amount unit",
    [PUMP_IN_CONC_VOLUME] = "concentration volume",
    [PUMP_IN_PCA] = "PCA settings",
    [PUMP_IN_PCA_DOSE] = "PCA dose",
    [PUMP_IN_PCA_LOCKOUT] = "PCA lockout",
    [PUMP_IN_PCA_BASAL] = "PCA basal rate",
    [PUMP_IN_PCA_FOUR_HOUR] = "PCA 4-hour limit",
};

static const char *const bound_words[PUMP_BOUND_COUNT] = {
    [PUMP_HARD_MIN] = "hard minimum",
    [PUMP_SOFT_MIN] = "soft minimum",
    [PUMP_SOFT_MAX] = "soft maximum",
    [PUMP_HARD_MAX] = "hard maximum",
};

static const char *limit_word(uint8_t l)
{
    return (l < PUMP_LIM_COUNT && limit_words[l] != NULL) ? limit_words[l] : "value";
}

/* Human name of an input; its JSON key (pump_input_str) when we have no better word. */
static const char *input_word(uint8_t in)
{
    if (in < PUMP_IN_COUNT && input_words[in] != NULL) {
        return input_words[in];
    }
    return pump_input_str((pump_input)in);
}

static const char *mode_word(uint8_t m)
{
    return (m < PUMP_MODE_COUNT) ? pump_prog_mode_str((pump_prog_mode)m) : "?";
}

/* "a continuous", "an intermittent" */
static void add_article(struct ictl_text *t, const char *word)
{
    ictl_text_add(t, (strchr("aeiouAEIOU", word[0]) != NULL && word[0] != '\0') ? "an " : "a ");
    ictl_text_add(t, word);
}

static void add_entry_name(struct ictl_text *t, const struct pump_library *lib,
                           const struct pump_entry *e)
{
    ictl_text_libstr(t, lib, e->display_name);
}

static void add_area_name(struct ictl_text *t, const struct pump_library *lib,
                          const struct pump_care_area *a)
{
    ictl_text_libstr(t, lib, a->name);
}

static void add_quoted(struct ictl_text *t, const char *s, size_t n)
{
    ictl_text_add(t, "\"");
    ictl_text_addn(t, s, n);
    ictl_text_add(t, "\"");
}

void ictl_violation_unit_text(const struct pump_violation *v, struct ictl_text *t)
{
    char u[PUMP_UNIT_TEXT_MAX + 8];
    if (pump_violation_unit_format(v, u, sizeof u) == PUMP_OK) {
        ictl_text_add(t, u);
    } else {
        ictl_text_add(t, "?");
    }
}

/* " 12 mcg/kg/min" */
static void add_amount(struct ictl_text *t, const struct pump_violation *v, struct pump_q q)
{
    struct ictl_text u;

    ictl_text_init(&u);
    ictl_violation_unit_text(v, &u);
    ictl_text_add(t, " ");
    ictl_text_qd(t, q);
    if (u.len > 0) {
        ictl_text_add(t, " ");
        ictl_text_add(t, u.s);
    }
}

/* ---- violations -------------------------------------------------------------------------- */

/* Which maximum a rate hit, when it is not the entry's own dose limit (fluids). */
static const char *rate_max_word(const struct pump_library *lib, const struct pump_program *prog,
                                 const struct pump_ders_result *res, const struct pump_violation *v)
{
    const struct pump_entry *e = any_entry(lib, prog, res);
    const struct pump_care_area *a = any_area(lib, prog, res);

    if (v->bound != PUMP_HARD_MAX) {
        return NULL;
    }
    if (e != NULL && e->mode == PUMP_ENTRY_FLUID &&
        (e->dose_limits.present & (1U << PUMP_HARD_MAX)) != 0U &&
        pump_q_cmp(e->dose_limits.bound[PUMP_HARD_MAX], v->bound_value) == 0) {
        return NULL;
    }
    if (e != NULL && e->has_max_rate && pump_q_cmp(e->max_rate_ml_h, v->bound_value) == 0) {
        if (a != NULL && pump_q_cmp(a->rate_max_ml_h, v->bound_value) == 0) {
            return "drug's and care area's maximum rate";
        }
        return "drug's maximum rate";
    }
    if (a != NULL && prog->mode == PUMP_MODE_BASIC && a->has_basic_max &&
        pump_q_cmp(a->basic_max_rate_ml_h, v->bound_value) == 0) {
        return "basic infusion maximum";
    }
    if (a != NULL && pump_q_cmp(a->rate_max_ml_h, v->bound_value) == 0) {
        return "care area's maximum rate";
    }
    return NULL;
}

static void titration_text(const struct pump_library *lib, const struct pump_program *prog,
                           const struct pump_ders_result *res, const struct pump_violation *v,
                           struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);
    bool hard = (v->bound == PUMP_HARD_MAX);
    bool fluid = (v->vunit == PUMP_VU_ML_H) || (e != NULL && e->mode == PUMP_ENTRY_FLUID);

    ictl_text_add(t, fluid ? "rate" : "dose");
    add_amount(t, v, v->value);
    ictl_text_add(t, " is more than ");
    if (e != NULL && hard && e->has_titration_hard) {
        ictl_text_add(t, "+");
        ictl_text_qd(t, e->titration_hard_pct);
        ictl_text_add(t, "%");
    } else if (e != NULL && !hard && e->has_titration_soft) {
        ictl_text_add(t, "+");
        ictl_text_qd(t, e->titration_soft_pct);
        ictl_text_add(t, "%");
    } else {
        ictl_text_add(t, "the allowed increase");
    }
    ictl_text_add(t, " above the current");
    if (prog->current_dose.state == PUMP_V_GIVEN) {
        add_amount(t, v, prog->current_dose.q);
    } else {
        ictl_text_add(t, " dose");
    }
    ictl_text_add(t, " (limit ");
    ictl_text_qd(t, v->bound_value);
    ictl_text_add(t, ")");
}

void ictl_violation_text(const struct pump_library *lib, const struct pump_program *prog,
                         const struct pump_ders_result *res, const struct pump_violation *v,
                         struct ictl_text *t)
{
    const char *rate_word = NULL;
    bool is_max = (v->bound == PUMP_SOFT_MAX || v->bound == PUMP_HARD_MAX);

    if (v->limit == PUMP_LIM_TITRATION) {
        titration_text(lib, prog, res, v, t);
        return;
    }
    ictl_text_add(t, limit_word(v->limit));
    add_amount(t, v, v->value);
    if (v->limit == PUMP_LIM_VOLUME && is_max) {
        ictl_text_add(t, " is more than the container holds (");
        ictl_text_qd(t, v->bound_value);
        ictl_text_add(t, " mL)");
        return;
    }
    if (v->limit == PUMP_LIM_RATE) {
        rate_word = rate_max_word(lib, prog, res, v);
    }
    ictl_text_add(t, is_max ? " is above the " : " is below the ");
    if (rate_word != NULL) {
        ictl_text_add(t, rate_word);
    } else {
        ictl_text_add(t, (v->bound < PUMP_BOUND_COUNT) ? bound_words[v->bound] : "limit");
    }
    add_amount(t, v, v->bound_value);
}

uint32_t ictl_deciding_violation(const struct pump_ders_result *res)
{
    uint32_t i;
    uint32_t n = res->n_violations;

    if (n > PUMP_DERS_MAX_VIOLATIONS) {
        n = PUMP_DERS_MAX_VIOLATIONS;
    }
    if (res->outcome == PUMP_ACCEPT || res->outcome == PUMP_REJECT_INVALID) {
        return res->n_violations;
    }
    for (i = 0; i < n; i++) {
        if (res->violations[i].limit == res->limit &&
            res->violations[i].outcome == res->outcome) {
            return i;
        }
    }
    return (n > 0) ? 0 : res->n_violations;
}

/* ---- reasons for REJECT_INVALID ---------------------------------------------------------- */

/* The /kg or /m2 unit that made weight or BSA necessary. */
static bool unit_needing(const struct pump_entry *e, const struct pump_program *prog,
                         pump_per_body body, struct pump_unit *u, const char **what)
{
    if (e == NULL) {
        return false;
    }
    if ((prog->mode == PUMP_MODE_BOLUS || prog->mode == PUMP_MODE_LOADING) && e->has_bolus) {
        *u = e->bolus_unit;
        *what = "a bolus dose";
        return e->bolus_unit.body == (uint8_t)body;
    }
    if (e->dosing_unit.body == (uint8_t)body) {
        *u = e->dosing_unit;
        *what = "a dose";
        return true;
    }
    if (e->has_dose_rate && e->dose_rate_unit.body == (uint8_t)body) {
        *u = e->dose_rate_unit;
        *what = "a dose rate";
        return true;
    }
    return false;
}

static void missing_text(const struct pump_library *lib, const struct pump_program *prog,
                         const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);
    uint8_t in = res->reason_input;
    struct pump_unit u;
    const char *what = "";

    if (in == PUMP_IN_WEIGHT || in == PUMP_IN_BSA) {
        ictl_text_add(t, input_word(in));
        ictl_text_add(t, " is required");
        if (unit_needing(e, prog, (in == PUMP_IN_WEIGHT) ? PUMP_PER_KG : PUMP_PER_M2, &u,
                         &what)) {
            ictl_text_add(t, " for ");
            ictl_text_add(t, what);
            ictl_text_add(t, " in ");
            ictl_text_unit(t, u);
        }
    } else if (in == PUMP_IN_CONCENTRATION && e != NULL) {
        ictl_text_add(t, "a concentration is required: ");
        add_entry_name(t, lib, e);
        ictl_text_add(t, " has no standard concentration");
    } else if (in == PUMP_IN_PCA) {
        ictl_text_add(t, "the PCA settings (dose and lockout) are required for a PCA program");
    } else {
        ictl_text_add(t, input_word(in));
        ictl_text_add(t, " is required for ");
        add_article(t, mode_word(prog->mode));
        ictl_text_add(t, " program");
    }
}

const struct pump_value *ictl_input_value(const struct pump_program *prog, uint8_t in)
{
    return pump_program_value(prog, (pump_input)in);
}

static void not_positive_text(const struct pump_program *prog, const struct pump_ders_result *res,
                              struct ictl_text *t)
{
    const struct pump_value *v = ictl_input_value(prog, res->reason_input);
    bool basal = (res->reason_input == PUMP_IN_PCA_BASAL);

    ictl_text_add(t, input_word(res->reason_input));
    if (v != NULL && v->state == PUMP_V_BAD) {
        ictl_text_add(t, " is not a usable number (not a finite decimal number, or too many digits to judge exactly)");
        return;
    }
    ictl_text_add(t, basal ? " must not be negative" : " must be above zero");
    if (v != NULL && v->state == PUMP_V_GIVEN) {
        ictl_text_add(t, " (given: ");
        ictl_text_qd(t, v->q);
        ictl_text_add(t, ")");
    }
}

static void unit_mismatch_text(const struct pump_library *lib, const struct pump_program *prog,
                               const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);

    if (prog->has_dose_unit && !prog->dose_unit_bad) {
        ictl_text_add(t, "dose unit ");
        ictl_text_unit(t, prog->dose_unit);
        ictl_text_add(t, " does not match ");
    } else {
        ictl_text_add(t, "no dose unit given; it must be ");
    }
    ictl_text_unit(t, res->reason_unit);
    if (e != NULL) {
        ictl_text_add(t, ", the unit of ");
        add_entry_name(t, lib, e);
    }
    ictl_text_add(t, " (units are never converted)");
}

static void unit_family_text(const struct pump_library *lib, const struct pump_program *prog,
                             const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);

    ictl_text_add(t, "the concentration is in ");
    ictl_text_add(t, pump_amount_str((pump_amount)prog->conc_unit.amount));
    if (e != NULL) {
        ictl_text_add(t, ", which does not convert to the ");
        ictl_text_unit(t, e->dosing_unit);
        ictl_text_add(t, " of ");
        add_entry_name(t, lib, e);
    } else {
        ictl_text_add(t, ", another kind of amount than the dose");
    }
}

static void entry_text(const struct pump_library *lib, const struct pump_program *prog,
                       const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_care_area *a = program_area(lib, prog);
    const struct pump_entry *e = program_entry(lib, prog);

    if (res->reason == PUMP_R_CARE_AREA_UNKNOWN || a == NULL) {
        ictl_text_add(t, "care area ");
        add_quoted(t, prog->care_area != NULL ? prog->care_area : "", prog->care_area_len);
        ictl_text_add(t, " is not in this drug library");
        return;
    }
    ictl_text_add(t, "drug entry ");
    add_quoted(t, prog->entry != NULL ? prog->entry : "", prog->entry_len);
    if (res->reason == PUMP_R_ENTRY_OTHER_AREA && e != NULL && e->area < lib->n_areas) {
        ictl_text_add(t, " (");
        add_entry_name(t, lib, e);
        ictl_text_add(t, ") belongs to ");
        add_area_name(t, lib, &lib->st.areas[e->area]);
        ictl_text_add(t, ", not to ");
    } else {
        ictl_text_add(t, " is not in this drug library for ");
    }
    add_area_name(t, lib, a);
}

/* "DOPamine 400 mg/250 mL (AICU-DOPA)" */
static void add_entry_ref(struct ictl_text *t, const struct pump_library *lib,
                          const struct pump_program *prog, const struct pump_entry *e)
{
    if (e != NULL) {
        add_entry_name(t, lib, e);
        ictl_text_add(t, " (");
        ictl_text_libstr(t, lib, e->id);
        ictl_text_add(t, ")");
    } else {
        ictl_text_add(t, "drug entry ");
        add_quoted(t, prog->entry != NULL ? prog->entry : "", prog->entry_len);
    }
}

static void mode_reason_text(const struct pump_library *lib, const struct pump_program *prog,
                             const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);

    if (res->reason == PUMP_R_NO_BOLUS) {
        add_entry_ref(t, lib, prog, e);
        ictl_text_add(t, " has no bolus dose: ");
        add_article(t, mode_word(prog->mode));
        ictl_text_add(t, " program is not possible");
        return;
    }
    add_article(t, mode_word(prog->mode));
    ictl_text_add(t, " program does not fit ");
    add_entry_ref(t, lib, prog, e);
    if (e != NULL && e->mode < PUMP_ENTRY_MODE_COUNT) {
        ictl_text_add(t, ", ");
        add_article(t, pump_entry_mode_str((pump_entry_mode)e->mode));
        ictl_text_add(t, " entry");
    }
}

static void rate_below_min_text(const struct pump_library *lib, const struct pump_program *prog,
                                 const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_care_area *a = any_area(lib, prog, res);

    ictl_text_add(t, "the computed rate ");
    ictl_text_qd(t, res->reason_value);
    ictl_text_add(t, " mL/h is below the minimum rate ");
    ictl_text_qd(t, res->reason_bound);
    ictl_text_add(t, " mL/h");
    if (a != NULL) {
        ictl_text_add(t, " of ");
        add_area_name(t, lib, a);
    }
    ictl_text_add(t, " (the pump cannot run that slowly)");
}

static void conc_not_custom_text(const struct pump_library *lib, const struct pump_program *prog,
                                 const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = any_entry(lib, prog, res);

    add_entry_ref(t, lib, prog, e);
    ictl_text_add(t, " has a standard concentration");
    if (e != NULL && e->has_conc) {
        ictl_text_add(t, " (");
        ictl_text_qd(t, e->conc_amount);
        ictl_text_add(t, " ");
        ictl_text_unit(t, e->conc_amount_unit);
        ictl_text_add(t, "/");
        ictl_text_qd(t, e->conc_volume_ml);
        ictl_text_add(t, " mL)");
    }
    ictl_text_add(t, ": a program cannot bring its own concentration");
}

static void basic_reason_text(const struct pump_library *lib, const struct pump_program *prog,
                              const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_care_area *a = any_area(lib, prog, res);

    if (res->reason == PUMP_R_ENTRY_FOR_BASIC) {
        ictl_text_add(t, "a basic infusion cannot name a drug entry (");
        add_quoted(t, prog->entry != NULL ? prog->entry : "", prog->entry_len);
        ictl_text_add(t, "): program the drug in its own mode instead");
        return;
    }
    ictl_text_add(t, "basic infusions (without a drug entry) are not allowed in ");
    if (a != NULL) {
        add_area_name(t, lib, a);
    } else {
        ictl_text_add(t, "this care area");
    }
}

static void simple_reason_text(const struct pump_program *prog, const struct pump_ders_result *res,
                               struct ictl_text *t)
{
    switch ((pump_reason)res->reason) {
    case PUMP_R_ENTRY_MISSING:
        add_article(t, mode_word(prog->mode));
        ictl_text_add(t, " program needs a drug entry (or program a basic infusion)");
        break;
    case PUMP_R_UNIT_UNKNOWN:
        ictl_text_add(t, input_word(res->reason_input));
        ictl_text_add(t, " is not a known unit");
        break;
    case PUMP_R_NOT_FOR_MODE:
        ictl_text_add(t, input_word(res->reason_input));
        ictl_text_add(t, " does not belong to ");
        add_article(t, mode_word(prog->mode));
        ictl_text_add(t, " program");
        break;
    case PUMP_R_DURATION_AND_RATE:
        ictl_text_add(t, "give either a duration or a rate for ");
        add_article(t, mode_word(prog->mode));
        ictl_text_add(t, " program, not both");
        break;
    case PUMP_R_NO_DURATION:
        ictl_text_add(t, "an intermittent program needs a duration or a rate");
        break;
    case PUMP_R_TOO_LARGE:
        ictl_text_add(t, "the numbers are too large to be judged exactly");
        break;
    case PUMP_R_NONE: case PUMP_R_CARE_AREA_UNKNOWN: case PUMP_R_ENTRY_UNKNOWN:
    case PUMP_R_ENTRY_OTHER_AREA: case PUMP_R_ENTRY_FOR_BASIC: case PUMP_R_MODE_MISMATCH:
    case PUMP_R_NO_BOLUS: case PUMP_R_MISSING: case PUMP_R_NOT_POSITIVE:
    case PUMP_R_UNIT_MISMATCH: case PUMP_R_UNIT_FAMILY: case PUMP_R_RATE_BELOW_MIN:
    case PUMP_R_BASIC_NOT_ALLOWED: case PUMP_R_CONC_NOT_CUSTOM: case PUMP_R_COUNT:
    default:
        ictl_text_add(t, "the program is not valid");
        break;
    }
}

void ictl_reason_text(const struct pump_library *lib, const struct pump_program *prog,
                      const struct pump_ders_result *res, struct ictl_text *t)
{
    switch ((pump_reason)res->reason) {
    case PUMP_R_CARE_AREA_UNKNOWN:
    case PUMP_R_ENTRY_UNKNOWN:
    case PUMP_R_ENTRY_OTHER_AREA: entry_text(lib, prog, res, t); break;
    case PUMP_R_MODE_MISMATCH:
    case PUMP_R_NO_BOLUS: mode_reason_text(lib, prog, res, t); break;
    case PUMP_R_MISSING: missing_text(lib, prog, res, t); break;
    case PUMP_R_NOT_POSITIVE: not_positive_text(prog, res, t); break;
    case PUMP_R_UNIT_MISMATCH: unit_mismatch_text(lib, prog, res, t); break;
    case PUMP_R_UNIT_FAMILY: unit_family_text(lib, prog, res, t); break;
    case PUMP_R_RATE_BELOW_MIN: rate_below_min_text(lib, prog, res, t); break;
    case PUMP_R_CONC_NOT_CUSTOM: conc_not_custom_text(lib, prog, res, t); break;
    case PUMP_R_ENTRY_FOR_BASIC:
    case PUMP_R_BASIC_NOT_ALLOWED: basic_reason_text(lib, prog, res, t); break;
    case PUMP_R_NONE: case PUMP_R_ENTRY_MISSING: case PUMP_R_UNIT_UNKNOWN:
    case PUMP_R_NOT_FOR_MODE: case PUMP_R_DURATION_AND_RATE: case PUMP_R_NO_DURATION:
    case PUMP_R_TOO_LARGE: case PUMP_R_COUNT:
    default: simple_reason_text(prog, res, t); break;
    }
}

/* ---- the report -------------------------------------------------------------------------- */

/* " for DOPamine 400 mg/250 mL in Adult ICU" */
static void add_context(const struct pump_library *lib, const struct pump_program *prog,
                        const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = result_entry(lib, res);
    const struct pump_care_area *a = any_area(lib, prog, res);

    if (e != NULL) {
        ictl_text_add(t, " for ");
        add_entry_name(t, lib, e);
    } else if (prog->mode == PUMP_MODE_BASIC) {
        ictl_text_add(t, " for a basic infusion");
    }
    if (a != NULL) {
        ictl_text_add(t, " in ");
        add_area_name(t, lib, a);
    }
}

/* "ACCEPTED: DOPamine 400 mg/250 mL in Adult ICU" */
static void accepted_text(const struct pump_library *lib, const struct pump_program *prog,
                          const struct pump_ders_result *res, struct ictl_text *t)
{
    const struct pump_entry *e = result_entry(lib, res);
    const struct pump_care_area *a = any_area(lib, prog, res);

    ictl_text_add(t, "ACCEPTED: ");
    if (e != NULL) {
        add_entry_name(t, lib, e);
    } else {
        ictl_text_add(t, "program");
    }
    if (a != NULL) {
        ictl_text_add(t, " in ");
        add_area_name(t, lib, a);
    }
}

void ictl_headline_text(const struct pump_library *lib, const struct pump_program *prog,
                        const struct pump_ders_result *res, struct ictl_text *t)
{
    uint32_t d = ictl_deciding_violation(res);
    bool hard = (res->outcome == PUMP_HARD_LOW || res->outcome == PUMP_HARD_HIGH);

    if (res->outcome == PUMP_REJECT_INVALID) {
        ictl_text_add(t, "NOT ACCEPTED (invalid program): ");
        ictl_reason_text(lib, prog, res, t);
        return;
    }
    if (res->outcome == PUMP_ACCEPT) {
        if (res->limit == PUMP_LIM_NO_DERS) {
            ictl_text_add(t, "ACCEPTED without dose limits (basic infusion, no drug library "
                             "protection)");
            return;
        }
        accepted_text(lib, prog, res, t);
        return;
    }
    ictl_text_add(t, hard ? "HARD STOP: " : "SOFT ALERT (confirm with a reason to proceed): ");
    if (d < res->n_violations && d < PUMP_DERS_MAX_VIOLATIONS) {
        ictl_violation_text(lib, prog, res, &res->violations[d], t);
    } else {
        ictl_text_add(t, limit_word(res->limit));
        ictl_text_add(t, " is outside its limits");
    }
    add_context(lib, prog, res, t);
}

static void add_figure(struct ictl_text *t, const char *name, bool has, struct pump_q q,
                       const char *unit)
{
    ictl_text_add(t, name);
    ictl_text_add(t, " ");
    if (!has) {
        ictl_text_add(t, "\u2014");
        return;
    }
    ictl_text_q(t, q, 2);
    ictl_text_add(t, " ");
    ictl_text_add(t, unit);
}

static bool same_violation(const struct pump_violation *a, const struct pump_violation *b)
{
    return a->limit == b->limit && a->outcome == b->outcome && a->bound == b->bound &&
           pump_q_cmp(a->value, b->value) == 0 && pump_q_cmp(a->bound_value, b->bound_value) == 0;
}

/* Whether violation i says what the deciding one or an earlier one already said (the core
 * reports a rate above both the care area's and the drug's maximum twice when they are equal). */
static bool already_said(const struct pump_ders_result *res, uint32_t i, uint32_t d)
{
    uint32_t k;

    if (d < res->n_violations && d < PUMP_DERS_MAX_VIOLATIONS &&
        same_violation(&res->violations[d], &res->violations[i])) {
        return true;
    }
    for (k = 0; k < i; k++) {
        if (same_violation(&res->violations[k], &res->violations[i])) {
            return true;
        }
    }
    return false;
}

static void print_others(FILE *f, const struct pump_library *lib, const struct pump_program *prog,
                         const struct pump_ders_result *res)
{
    uint32_t d = ictl_deciding_violation(res);
    uint32_t n = res->n_violations;
    uint32_t i;

    if (n > PUMP_DERS_MAX_VIOLATIONS) {
        n = PUMP_DERS_MAX_VIOLATIONS;
    }
    for (i = 0; i < n; i++) {
        const struct pump_violation *v = &res->violations[i];
        struct ictl_text t;
        bool hard = (v->outcome == PUMP_HARD_LOW || v->outcome == PUMP_HARD_HIGH);
        if (i == d || already_said(res, i, d)) {
            continue;
        }
        ictl_text_init(&t);
        ictl_text_add(&t, hard ? "also hard stop: " : "also soft alert: ");
        ictl_violation_text(lib, prog, res, v, &t);
        (void)fprintf(f, "%s\n", t.s);
    }
}

void ictl_print_human(FILE *f, const struct pump_library *lib, const struct pump_program *prog,
                      const struct pump_ders_result *res)
{
    struct ictl_text t;
    const struct pump_entry *e = result_entry(lib, res);

    ictl_text_init(&t);
    ictl_headline_text(lib, prog, res, &t);
    (void)fprintf(f, "%s\n", t.s);
    print_others(f, lib, prog, res);
    ictl_text_init(&t);
    add_figure(&t, "rate", res->has_rate, res->rate_ml_h, "mL/h");
    ictl_text_add(&t, ", ");
    add_figure(&t, "volume", res->has_volume, res->volume_ml, "mL");
    ictl_text_add(&t, ", ");
    add_figure(&t, "duration", res->has_duration, res->duration_min, "min");
    (void)fprintf(f, "%s\n", t.s);
    if (e != NULL && e->clinical_advisory.len > 0 && res->outcome != PUMP_REJECT_INVALID) {
        ictl_text_init(&t);
        ictl_text_add(&t, "advisory: ");
        ictl_text_libstr(&t, lib, e->clinical_advisory);
        (void)fprintf(f, "%s\n", t.s);
    }
}
