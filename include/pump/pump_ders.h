/*
 * pump_ders.h - dose-error reduction: judge one program against the library (ders-rules.md).
 *
 * One implementation for the pump, the server and the command line. Pure: no storage but the
 * result the caller passes, no I/O, no clock.
 */
#ifndef PUMP_DERS_H
#define PUMP_DERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_library.h"
#include "pump/pump_num.h"
#include "pump/pump_unit.h"

typedef enum {
    PUMP_MODE_CONTINUOUS = 0,
    PUMP_MODE_BOLUS,
    PUMP_MODE_LOADING,
    PUMP_MODE_INTERMITTENT,
    PUMP_MODE_PCA,
    PUMP_MODE_FLUID,
    PUMP_MODE_BASIC,
    PUMP_MODE_COUNT
} pump_prog_mode;

/* A number field of a program: absent, given, or given but unusable (not a number, not finite,
 * too large for exact arithmetic). The DERS rejects BAD like a zero or negative value. */
typedef enum { PUMP_V_ABSENT = 0, PUMP_V_GIVEN, PUMP_V_BAD } pump_value_state;

struct pump_value {
    uint8_t state; /* pump_value_state */
    struct pump_q q;
};

/* Program inputs a reason can name (pump_input_str gives the JSON key). */
typedef enum {
    PUMP_IN_NONE = 0,
    PUMP_IN_MODE,
    PUMP_IN_ENTRY,
    PUMP_IN_DOSE,
    PUMP_IN_DOSE_UNIT,
    PUMP_IN_RATE,
    PUMP_IN_WEIGHT,
    PUMP_IN_BSA,
    PUMP_IN_DURATION,
    PUMP_IN_VTBI,
    PUMP_IN_CURRENT_DOSE,
    PUMP_IN_CONCENTRATION,
    PUMP_IN_CONC_AMOUNT,
    PUMP_IN_CONC_UNIT,
    PUMP_IN_CONC_VOLUME,
    PUMP_IN_PCA,
    PUMP_IN_PCA_DOSE,
    PUMP_IN_PCA_LOCKOUT,
    PUMP_IN_PCA_BASAL,
    PUMP_IN_PCA_FOUR_HOUR,
    PUMP_IN_COUNT
} pump_input;

/* The program object of ders-rules.md. Ids are borrowed for the call only. A unit that was given
 * but does not parse is has_*_unit = true with *_unit_bad = true. */
struct pump_program {
    const char *care_area;
    size_t care_area_len;
    const char *entry; /* NULL when absent or null */
    size_t entry_len;
    uint8_t mode; /* pump_prog_mode */

    struct pump_value dose;
    bool has_dose_unit;
    bool dose_unit_bad;
    struct pump_unit dose_unit;

    struct pump_value rate_ml_h;
    struct pump_value weight_kg;
    struct pump_value bsa_m2;
    struct pump_value duration_min;
    struct pump_value vtbi_ml;
    struct pump_value current_dose;

    bool has_conc;
    struct pump_value conc_amount;
    bool conc_unit_bad; /* amount_unit given but unknown, or missing */
    struct pump_unit conc_unit;
    struct pump_value conc_volume_ml;

    bool has_pca;
    struct pump_value pca_dose;
    struct pump_value pca_lockout_min;
    struct pump_value pca_basal;
    struct pump_value pca_four_hour;
};

typedef enum {
    PUMP_ACCEPT = 0,
    PUMP_SOFT_LOW,
    PUMP_SOFT_HIGH,
    PUMP_HARD_LOW,
    PUMP_HARD_HIGH,
    PUMP_REJECT_INVALID,
    PUMP_OUTCOME_COUNT
} pump_outcome;

/* In ders-rules.md's precedence order (weight first ... volume last), then the others. */
typedef enum {
    PUMP_LIM_WEIGHT = 0,
    PUMP_LIM_BSA,
    PUMP_LIM_DOSE,
    PUMP_LIM_BOLUS_DOSE,
    PUMP_LIM_BOLUS_DURATION,
    PUMP_LIM_PCA_DOSE,
    PUMP_LIM_LOCKOUT,
    PUMP_LIM_BASAL,
    PUMP_LIM_FOUR_HOUR_LIMIT,
    PUMP_LIM_CONCENTRATION,
    PUMP_LIM_DOSE_RATE,
    PUMP_LIM_DURATION,
    PUMP_LIM_TITRATION,
    PUMP_LIM_RATE,
    PUMP_LIM_VOLUME,
    PUMP_LIM_ENTRY,
    PUMP_LIM_INPUT,
    PUMP_LIM_NO_DERS,
    PUMP_LIM_NONE, /* an accepted library program: no limit decided it */
    PUMP_LIM_COUNT
} pump_limit;

/* Why a program is REJECT_INVALID (one reason: the first found). */
typedef enum {
    PUMP_R_NONE = 0,
    PUMP_R_CARE_AREA_UNKNOWN,  /* limit entry */
    PUMP_R_ENTRY_UNKNOWN,      /* limit entry */
    PUMP_R_ENTRY_OTHER_AREA,   /* limit entry */
    PUMP_R_ENTRY_MISSING,      /* a library mode without an entry id */
    PUMP_R_ENTRY_FOR_BASIC,    /* a basic infusion that names an entry */
    PUMP_R_MODE_MISMATCH,      /* e.g. pca on a continuous entry */
    PUMP_R_NO_BOLUS,           /* bolus/loading on an entry without bolus */
    PUMP_R_MISSING,            /* input .input is required here */
    PUMP_R_NOT_POSITIVE,       /* input .input is zero, negative, not finite or unusable */
    PUMP_R_UNIT_UNKNOWN,       /* input .input names no known unit */
    PUMP_R_UNIT_MISMATCH,      /* dose unit differs from the entry's (value: none) */
    PUMP_R_UNIT_FAMILY,        /* custom concentration in another amount family */
    PUMP_R_NOT_FOR_MODE,       /* input .input does not belong to this mode */
    PUMP_R_DURATION_AND_RATE,  /* both given for intermittent/bolus */
    PUMP_R_NO_DURATION,        /* intermittent with neither duration nor rate */
    PUMP_R_RATE_BELOW_MIN,     /* computed rate below the care area's rate_ml_h.min */
    PUMP_R_BASIC_NOT_ALLOWED,
    PUMP_R_CONC_NOT_CUSTOM,    /* a concentration given for an entry with a standard one */
    PUMP_R_TOO_LARGE,          /* numbers too large to judge exactly (PUMP_ERR_RANGE) */
    PUMP_R_COUNT
} pump_reason;

/* What a violation's value is measured in. */
typedef enum {
    PUMP_VU_UNIT = 0, /* .unit */
    PUMP_VU_KG,
    PUMP_VU_M2,
    PUMP_VU_ML_H,
    PUMP_VU_MIN,
    PUMP_VU_ML,
    PUMP_VU_UNIT_PER_H, /* .unit per hour (PCA basal) */
    PUMP_VU_NONE
} pump_value_unit;

struct pump_violation {
    uint8_t limit;   /* pump_limit */
    uint8_t outcome; /* pump_outcome */
    uint8_t bound;   /* pump_bound that was crossed (for titration: SOFT_MAX/HARD_MAX) */
    uint8_t vunit;   /* pump_value_unit */
    struct pump_unit unit;
    struct pump_q value;
    struct pump_q bound_value;
};

#define PUMP_DERS_MAX_VIOLATIONS 20

struct pump_ders_result {
    uint8_t outcome; /* pump_outcome */
    uint8_t limit;   /* pump_limit that decided it */
    uint8_t reason;  /* pump_reason when REJECT_INVALID */
    uint8_t reason_input; /* pump_input the reason is about */
    uint32_t area;  /* index of the care area (valid unless limit entry / CARE_AREA_UNKNOWN) */
    uint32_t entry; /* index of the entry (valid when has_entry) */
    bool has_area;
    bool has_entry;
    /* For RATE_BELOW_MIN the rate and the minimum; for UNIT_MISMATCH the expected unit. */
    struct pump_q reason_value;
    struct pump_q reason_bound;
    struct pump_unit reason_unit;

    uint32_t n_violations; /* limit violations, most decisive first; entries past n_violations
                              are not written */
    struct pump_violation violations[PUMP_DERS_MAX_VIOLATIONS];

    bool has_rate; /* derived figures, whenever they can be computed */
    struct pump_q rate_ml_h;
    bool has_volume;
    struct pump_q volume_ml;
    bool has_duration;
    struct pump_q duration_min;
};

/*
 * pump_ders_check - judge one program (ders-rules.md): outcome, deciding limit, every violation,
 * derived rate/volume/duration.
 * Returns PUMP_OK (whatever the outcome: an invalid program is a result, not an error) or
 * PUMP_ERR_INVAL (NULL argument). res is fully written on PUMP_OK.
 */
pump_status pump_ders_check(const struct pump_library *lib, const struct pump_program *prog,
                            struct pump_ders_result *res);

/* Static names: "SOFT_HIGH", "dose_rate", "continuous", "weight_kg"; "?" for corrupt values.
 * pump_limit_str(PUMP_LIM_NONE) is "" (JSON null is the caller's business). */
const char *pump_outcome_str(pump_outcome o);
const char *pump_limit_str(pump_limit l);
const char *pump_prog_mode_str(pump_prog_mode m);
const char *pump_input_str(pump_input in);
/* The number field of a program that an input names (PUMP_IN_DOSE -> &prog->dose); NULL for
 * inputs that are not a single number (mode, entry, units, the concentration and pca objects).
 * The _mut form is for callers that fill a program. */
const struct pump_value *pump_program_value(const struct pump_program *prog, pump_input in);
struct pump_value *pump_program_value_mut(struct pump_program *prog, pump_input in);

/* The unit a violation's value and bound are in, as text ("mcg/kg/min", "mL/h", "mg/h" for a
 * per-hour PCA basal, "" for none), NUL-terminated in buf. PUMP_OK, PUMP_ERR_FULL (buf too
 * small; buf is then ""), PUMP_ERR_INVAL (NULL, cap 0 or a corrupt unit). */
pump_status pump_violation_unit_format(const struct pump_violation *v, char *buf, size_t cap);

/* Parse a program mode name ("loading"). PUMP_OK or PUMP_ERR_INVAL. */
pump_status pump_prog_mode_parse(const char *text, size_t len, pump_prog_mode *out);

#endif
