/* pump_ders_names.c - the DERS vocabulary as text (contract: see pump_ders.h). These strings are
 * the machine names of ders-rules.md; the CLI, the pump protocol and the API all print them. */
#include "pump/pump_ders.h"

#include "pump_internal.h"

static const char *const outcome_names[PUMP_OUTCOME_COUNT] = {
    "ACCEPT", "SOFT_LOW", "SOFT_HIGH", "HARD_LOW", "HARD_HIGH", "REJECT_INVALID",
};

static const char *const limit_names[PUMP_LIM_COUNT] = {
    "weight",   "bsa",           "dose",      "bolus_dose", "bolus_duration", "pca_dose",
    "lockout",  "basal",         "four_hour_limit", "concentration", "dose_rate", "duration",
    "titration", "rate",         "volume",    "entry",      "input",          "no_ders",
    "",
};

static const char *const mode_names[PUMP_MODE_COUNT] = {
    "continuous", "bolus", "loading", "intermittent", "pca", "fluid", "basic",
};

static const char *const input_names[PUMP_IN_COUNT] = {
    "",
    "mode",
    "entry",
    "dose",
    "dose_unit",
    "rate_ml_h",
    "weight_kg",
    "bsa_m2",
    "duration_min",
    "vtbi_ml",
    "current_dose",
    "concentration",
    "concentration.amount",
    "concentration.amount_unit",
    "concentration.volume_ml",
    "pca",
    "pca.dose",
    "pca.lockout_min",
    "pca.basal",
    "pca.four_hour_limit",
};

const char *pump_outcome_str(pump_outcome o)
{
    return ((unsigned)o < (unsigned)PUMP_OUTCOME_COUNT) ? outcome_names[o] : "?";
}

const char *pump_limit_str(pump_limit l)
{
    return ((unsigned)l < (unsigned)PUMP_LIM_COUNT) ? limit_names[l] : "?";
}

const char *pump_prog_mode_str(pump_prog_mode m)
{
    return ((unsigned)m < (unsigned)PUMP_MODE_COUNT) ? mode_names[m] : "?";
}

const char *pump_input_str(pump_input in)
{
    return ((unsigned)in < (unsigned)PUMP_IN_COUNT) ? input_names[in] : "?";
}

pump_status pump_prog_mode_parse(const char *text, size_t len, pump_prog_mode *out)
{
    unsigned m;
    if ((text == NULL) || (out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    for (m = 0; m < (unsigned)PUMP_MODE_COUNT; m++) {
        size_t nl = 0;
        while (mode_names[m][nl] != '\0') {
            nl++;
        }
        if (pump__bytes_equal(text, len, mode_names[m], nl) != 0) {
            *out = (pump_prog_mode)m;
            return PUMP_OK;
        }
    }
    return PUMP_ERR_INVAL;
}

/* Where each number input lives in struct pump_program; 0 = not a number input (offset 0 is the
 * care_area pointer, never a value). One table serves the const and the mutable lookup. */
static const size_t value_offsets[PUMP_IN_COUNT] = {
    [PUMP_IN_DOSE] = offsetof(struct pump_program, dose),
    [PUMP_IN_RATE] = offsetof(struct pump_program, rate_ml_h),
    [PUMP_IN_WEIGHT] = offsetof(struct pump_program, weight_kg),
    [PUMP_IN_BSA] = offsetof(struct pump_program, bsa_m2),
    [PUMP_IN_DURATION] = offsetof(struct pump_program, duration_min),
    [PUMP_IN_VTBI] = offsetof(struct pump_program, vtbi_ml),
    [PUMP_IN_CURRENT_DOSE] = offsetof(struct pump_program, current_dose),
    [PUMP_IN_CONC_AMOUNT] = offsetof(struct pump_program, conc_amount),
    [PUMP_IN_CONC_VOLUME] = offsetof(struct pump_program, conc_volume_ml),
    [PUMP_IN_PCA_DOSE] = offsetof(struct pump_program, pca_dose),
    [PUMP_IN_PCA_LOCKOUT] = offsetof(struct pump_program, pca_lockout_min),
    [PUMP_IN_PCA_BASAL] = offsetof(struct pump_program, pca_basal),
    [PUMP_IN_PCA_FOUR_HOUR] = offsetof(struct pump_program, pca_four_hour),
};

struct pump_value *pump_program_value_mut(struct pump_program *prog, pump_input in)
{
    if ((prog == NULL) || ((unsigned)in >= (unsigned)PUMP_IN_COUNT) || (value_offsets[in] == 0U)) {
        return NULL;
    }
    return (struct pump_value *)(void *)((char *)prog + value_offsets[in]);
}

const struct pump_value *pump_program_value(const struct pump_program *prog, pump_input in)
{
    if ((prog == NULL) || ((unsigned)in >= (unsigned)PUMP_IN_COUNT) || (value_offsets[in] == 0U)) {
        return NULL;
    }
    return (const struct pump_value *)(const void *)((const char *)prog + value_offsets[in]);
}

/* Copy text (NUL-terminated) after the first pos bytes of buf. */
static pump_status put_text(char *buf, size_t cap, size_t pos, const char *text)
{
    size_t n = 0;
    while (text[n] != '\0') {
        n++;
    }
    if ((pos + n + 1U) > cap) {
        buf[0] = '\0';
        return PUMP_ERR_FULL;
    }
    __builtin_memcpy(&buf[pos], text, n + 1U);
    return PUMP_OK;
}

pump_status pump_violation_unit_format(const struct pump_violation *v, char *buf, size_t cap)
{
    pump_status st;
    size_t len = 0;
    if ((v == NULL) || (buf == NULL) || (cap == 0U)) {
        return PUMP_ERR_INVAL;
    }
    switch ((pump_value_unit)v->vunit) {
    case PUMP_VU_UNIT:
        return pump_unit_format(v->unit, buf, cap);
    case PUMP_VU_UNIT_PER_H:
        st = pump_unit_format(v->unit, buf, cap);
        if (st != PUMP_OK) {
            return st;
        }
        while (buf[len] != '\0') {
            len++;
        }
        return put_text(buf, cap, len, "/h");
    case PUMP_VU_KG:
        return put_text(buf, cap, 0, "kg");
    case PUMP_VU_M2:
        return put_text(buf, cap, 0, "m2");
    case PUMP_VU_ML_H:
        return put_text(buf, cap, 0, "mL/h");
    case PUMP_VU_MIN:
        return put_text(buf, cap, 0, "min");
    case PUMP_VU_ML:
        return put_text(buf, cap, 0, "mL");
    case PUMP_VU_NONE:
    default:
        buf[0] = '\0';
        return PUMP_OK;
    }
}
