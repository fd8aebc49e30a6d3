/*
 * oi_json.h - the JSON adapter (jansson): drug library files and program objects to the core's
 * compiled form, with every problem reported as a JSON path and a sentence a pharmacist reads.
 *
 * Numbers: jansson hands reals over as doubles. A double parsed from decimal text with at most 15
 * significant digits converts back to that same text as its shortest round-trip form, so the
 * adapter turns each real into that shortest decimal text and the core parses the text into an
 * exact rational (0.7 stays 7/10, never 0.6999999999999999556). See docs/numbers.md.
 */
#ifndef OI_JSON_H
#define OI_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "pump/pump_ders.h"
#include "pump/pump_library.h"

/* Largest library file read (bigger is refused before parsing, unusable input). */
#define OI_DRUGLIB_MAX_BYTES (64u * 1024u * 1024u)

/* One problem: "care_areas[2].entries[5].dose_limits" + "soft_max 40 is above hard_max 30". */
struct oi_problem {
    char path[160];
    char message[256];
};

/* Problems found while loading, in document order. */
struct oi_diag {
    struct oi_problem *items; /* malloc'd; oi_diag_free() */
    size_t n;
    size_t cap;
    size_t n_dropped; /* problems beyond OI_DIAG_MAX, counted but not stored */
};
#define OI_DIAG_MAX 1000

typedef enum {
    OI_LOAD_OK = 0,       /* valid: lib is usable */
    OI_LOAD_INVALID = 1,  /* readable JSON, but the library breaks the format (diag lists all) */
    OI_LOAD_UNUSABLE = 2  /* missing file, unreadable, too large, not JSON (diag has one item,
                             with line and column for JSON syntax errors) */
} oi_load_status;

/* A loaded library: the core's struct over storage this adapter allocated. */
struct oi_druglib {
    struct pump_library lib;
    void *storage; /* one malloc'd block; oi_druglib_free() */
};

/*
 * oi_druglib_load_file / oi_druglib_load_text - read, validate and compile a library.
 * On OI_LOAD_OK, *out is a usable library (free with oi_druglib_free); otherwise *out holds
 * nothing to free and diag says why. diag must be zeroed (or freed) by the caller before reuse.
 */
oi_load_status oi_druglib_load_file(const char *path, struct oi_druglib *out, struct oi_diag *diag);
oi_load_status oi_druglib_load_text(const char *text, size_t len, struct oi_druglib *out,
                                    struct oi_diag *diag);
void oi_druglib_free(struct oi_druglib *dl);
void oi_diag_free(struct oi_diag *diag);

/*
 * oi_program_from_json - a program object (ders-rules.md) to struct pump_program.
 * Strings in *prog borrow from obj: keep obj alive while prog is used.
 * Unknown keys, wrong types (a string where a number belongs), an unknown mode: returns false with
 * a sentence in err (a malformed object). Zero, negative or unusable numbers are NOT errors here:
 * they become PUMP_V_GIVEN / PUMP_V_BAD values for the DERS to reject as REJECT_INVALID (input).
 */
bool oi_program_from_json(const json_t *obj, struct pump_program *prog, char *err, size_t err_cap);

/*
 * oi_json_number_to_q - a JSON number (integer or real) to an exact rational via its shortest
 * decimal text. false when it is not a number or does not fit (PUMP_ERR_RANGE).
 */
bool oi_json_number_to_q(const json_t *num, struct pump_q *out);

/*
 * oi_double_to_decimal - the shortest decimal text that reads back as exactly d ("0.7",
 * "1e-07", "250"). false for NaN or infinity. buf needs 32 bytes.
 */
bool oi_double_to_decimal(double d, char *buf, size_t cap);

/* "an object", "a string", "a number", "true or false", "null": for "must be X, not Y" in every
 * reader of JSON (the adapter's loaders, pumpd's scenarios). */
const char *oi_json_type_name(const json_t *v);

#endif
