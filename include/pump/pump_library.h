/*
 * pump_library.h - the compiled drug library (druglib-format.md) in caller-provided storage.
 *
 * The core never allocates: the caller hands pump_library_init() arrays for care areas, entries,
 * two hash indexes and a string pool (sizes from PUMP_LIB_SLOTS_FOR and the counts it knows).
 * A loader (the JSON adapter) fills a struct pump_care_area / struct pump_entry per object, asks
 * pump_area_check() / pump_entry_check() for every semantic problem, and adds them. Lookup by id
 * is an open-addressing hash (FNV-1a, linear probing): O(1), not a scan of thousands of entries.
 *
 * Ownership: strings are copied into the pool (pump_library_intern); nothing is borrowed after a
 * call returns.
 */
#ifndef PUMP_LIBRARY_H
#define PUMP_LIBRARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_num.h"
#include "pump/pump_status.h"
#include "pump/pump_unit.h"

/* A string in the library's pool. */
struct pump_str {
    uint32_t off;
    uint32_t len;
};

/* Bounds of a limits object, in this order everywhere (also the bit in .present). */
typedef enum {
    PUMP_HARD_MIN = 0,
    PUMP_SOFT_MIN = 1,
    PUMP_SOFT_MAX = 2,
    PUMP_HARD_MAX = 3,
    PUMP_BOUND_COUNT = 4
} pump_bound;

struct pump_limits {
    struct pump_q bound[PUMP_BOUND_COUNT];
    uint8_t present; /* bit (1 << pump_bound) set when that bound is given */
};

typedef enum {
    PUMP_ENTRY_CONTINUOUS = 0,
    PUMP_ENTRY_INTERMITTENT,
    PUMP_ENTRY_PCA,
    PUMP_ENTRY_FLUID,
    PUMP_ENTRY_MODE_COUNT
} pump_entry_mode;

struct pump_care_area {
    struct pump_str id;
    struct pump_str name;
    struct pump_limits weight_kg;
    struct pump_limits bsa_m2;
    struct pump_q rate_min_ml_h;
    struct pump_q rate_max_ml_h;
    bool basic_allowed;
    bool has_basic_max;
    struct pump_q basic_max_rate_ml_h;
    uint32_t n_entries; /* maintained by pump_library_add_entry */
};

/* Field order is deliberate: what every check of a continuous or intermittent program reads
 * (identity, unit, dose limits, concentration, titration, ceiling) comes first so it shares a few
 * cache lines; a check touches the rest only for the mode that needs it. */
struct pump_entry {
    struct pump_str id;
    uint32_t area; /* index of its care area */
    uint8_t mode;  /* pump_entry_mode */
    bool high_alert;
    bool secondary_allowed;
    bool has_conc; /* standard concentration: conc_amount per conc_volume_ml */
    struct pump_unit dosing_unit;
    struct pump_unit conc_amount_unit; /* kind AMOUNT, body NONE */
    bool has_max_rate;
    bool has_titration_soft;
    bool has_titration_hard;
    bool has_container;
    struct pump_limits dose_limits; /* continuous, intermittent, fluid (on the rate in mL/h) */
    struct pump_q conc_amount;
    struct pump_q conc_volume_ml;
    struct pump_q max_rate_ml_h;
    struct pump_q titration_soft_pct;
    struct pump_q titration_hard_pct;
    struct pump_q container_ml;

    /* Derived by pump_library_add_entry, never read from a file (whatever the caller put here is
     * overwritten): the standard concentration as mL per one dosing-unit amount, and each
     * titration limit as a factor of the current dose, (100 + pct) / 100. Reduced once at load
     * so a check does one multiplication where it would do four. */
    bool has_ml_per_amount;
    struct pump_q ml_per_amount;
    struct pump_q titration_soft_factor;
    struct pump_q titration_hard_factor;

    bool has_dose_rate; /* intermittent */
    struct pump_unit dose_rate_unit;
    struct pump_limits dose_rate_limits;
    struct pump_limits duration_min_limits; /* intermittent */

    bool has_conc_limits; /* for custom concentrations, in conc_limits_unit (kind CONC) */
    struct pump_unit conc_limits_unit;
    struct pump_limits conc_limits;

    bool has_bolus;
    struct pump_unit bolus_unit;
    bool has_bolus_default_duration;
    struct pump_q bolus_default_duration_min;
    struct pump_limits bolus_limits;
    struct pump_limits bolus_duration_min_limits;

    bool has_pca;
    struct pump_limits pca_dose_limits; /* dosing_unit */
    struct pump_limits pca_lockout_min_limits;
    struct pump_limits pca_basal_limits; /* dosing_unit per hour */
    struct pump_limits pca_four_hour_limits;

    struct pump_str drug;
    struct pump_str display_name;
    struct pump_str clinical_advisory; /* len 0 when absent */
};

/* Storage the caller provides. Slot arrays need a power-of-two length larger than the count
 * they index: PUMP_LIB_SLOTS_FOR(n) is enough. */
struct pump_library_storage {
    struct pump_care_area *areas;
    uint32_t cap_areas;
    struct pump_entry *entries;
    uint32_t cap_entries;
    uint32_t *area_slots;
    uint32_t cap_area_slots;
    uint32_t *entry_slots;
    uint32_t cap_entry_slots;
    char *strings;
    uint32_t cap_strings;
};

/* Smallest power of two >= 2n (and >= 8): a load factor of at most one half. */
#define PUMP_LIB_SLOTS_FOR(n) pump_library_slots_for(n)
uint32_t pump_library_slots_for(uint32_t n);

struct pump_library {
    struct pump_library_storage st;
    uint32_t n_areas;
    uint32_t n_entries;
    uint32_t n_strings; /* bytes used in the pool */
    struct pump_str library_id;
    struct pump_str version;
};

/*
 * pump_library_init - an empty library over caller storage.
 * Returns PUMP_OK, PUMP_ERR_INVAL (NULL pointer, or a slot capacity not a power of two larger than
 * its array's capacity). Clears the slot arrays.
 */
pump_status pump_library_init(struct pump_library *lib, const struct pump_library_storage *st);

/* Copy text[0..len) into the pool. PUMP_ERR_FULL when the pool is full. */
pump_status pump_library_intern(struct pump_library *lib, const char *text, size_t len,
                                struct pump_str *out);
/* The pooled string's first byte (not NUL-terminated: use s.len). */
const char *pump_library_str(const struct pump_library *lib, struct pump_str s);

/*
 * pump_library_add_area / pump_library_add_entry - copy a checked object in.
 * Entries: e->area must name an added care area. The caller should have run the check function
 * first; these only refuse what would corrupt the library or mislead the DERS: a duplicate id,
 * and limits whose present bounds are not ordered hard_min <= soft_min <= soft_max <= hard_max
 * (PUMP_ERR_INVAL).
 * Returns PUMP_OK, PUMP_ERR_DUPLICATE (id already present), PUMP_ERR_FULL, PUMP_ERR_INVAL.
 */
pump_status pump_library_add_area(struct pump_library *lib, const struct pump_care_area *a,
                                  uint32_t *index_out);
pump_status pump_library_add_entry(struct pump_library *lib, const struct pump_entry *e,
                                   uint32_t *index_out);

/* By id. PUMP_OK with *index_out set, or PUMP_ERR_NOT_FOUND. */
pump_status pump_library_find_area(const struct pump_library *lib, const char *id, size_t len,
                                   uint32_t *index_out);
pump_status pump_library_find_entry(const struct pump_library *lib, const char *id, size_t len,
                                    uint32_t *index_out);

/* ---- semantic checks (druglib-format.md), reported as problems, not messages ---------------- */

/* Which part of an object a problem is about. Names match the JSON keys (pump_field_str). */
typedef enum {
    PUMP_F_NONE = 0,
    PUMP_F_PATIENT_WEIGHT_KG,
    PUMP_F_PATIENT_BSA_M2,
    PUMP_F_RATE_ML_H,
    PUMP_F_BASIC_INFUSION,
    PUMP_F_MODE,
    PUMP_F_DOSING_UNIT,
    PUMP_F_DOSE_LIMITS,
    PUMP_F_CONCENTRATION,
    PUMP_F_CONCENTRATION_LIMITS,
    PUMP_F_CONTAINER_ML,
    PUMP_F_DOSE_RATE_UNIT,
    PUMP_F_DOSE_RATE_LIMITS,
    PUMP_F_DURATION_MIN_LIMITS,
    PUMP_F_BOLUS,
    PUMP_F_BOLUS_LIMITS,
    PUMP_F_BOLUS_DURATION_MIN_LIMITS,
    PUMP_F_BOLUS_DEFAULT_DURATION,
    PUMP_F_PCA,
    PUMP_F_PCA_DOSE_LIMITS,
    PUMP_F_PCA_LOCKOUT_MIN_LIMITS,
    PUMP_F_PCA_BASAL_LIMITS,
    PUMP_F_PCA_FOUR_HOUR_LIMITS,
    PUMP_F_TITRATION,
    PUMP_F_MAX_RATE_ML_H,
    PUMP_F_COUNT
} pump_field;

typedef enum {
    PUMP_P_BOUNDS_ORDER = 0, /* bound a is above bound b (a should be <= b) */
    PUMP_P_NEGATIVE,         /* value (bound a) is negative */
    PUMP_P_NOT_POSITIVE,     /* value must be above zero */
    PUMP_P_UNIT_KIND,        /* the unit does not fit this place (a mass where a rate belongs) */
    PUMP_P_UNIT_FAMILY,      /* amount families differ: mg against units */
    PUMP_P_MISSING,          /* the mode needs this field */
    PUMP_P_NOT_ALLOWED,      /* this field does not belong to this mode */
    PUMP_P_RATE_ORDER,       /* rate_ml_h.min is above rate_ml_h.max */
    PUMP_P_TITRATION_ORDER,  /* soft_max_increase_pct is above hard_max_increase_pct */
    PUMP_P_OUTSIDE_BOUND     /* value va is beyond bound a (value vb) of the limits that govern
                                it: a default that would alert every time it is used */
} pump_problem_code;

struct pump_problem {
    uint8_t field; /* pump_field */
    uint8_t code;  /* pump_problem_code */
    uint8_t a;     /* pump_bound, for BOUNDS_ORDER and NEGATIVE */
    uint8_t b;     /* pump_bound, for BOUNDS_ORDER */
    struct pump_q va;
    struct pump_q vb;
};

/* Enough for any one object. */
#define PUMP_MAX_PROBLEMS 48

/*
 * pump_area_check / pump_entry_check - every semantic problem of one object, in field order.
 * out[0..*n_out) receives them (at most cap; *n_out counts all found, so *n_out > cap means some
 * were not stored). Returns PUMP_OK (whatever was found) or PUMP_ERR_INVAL (NULL argument).
 */
pump_status pump_area_check(const struct pump_care_area *a, struct pump_problem *out,
                            size_t cap, size_t *n_out);
pump_status pump_entry_check(const struct pump_entry *e, struct pump_problem *out, size_t cap,
                             size_t *n_out);

/* Static names: the JSON key of a field ("dose_limits"), of a bound ("soft_max"), of an entry
 * mode ("continuous"). "?" for corrupt values. */
const char *pump_field_str(pump_field f);
const char *pump_bound_str(pump_bound b);
const char *pump_entry_mode_str(pump_entry_mode m);
/* Parse an entry mode name. PUMP_OK or PUMP_ERR_INVAL. */
pump_status pump_entry_mode_parse(const char *text, size_t len, pump_entry_mode *out);

#endif
