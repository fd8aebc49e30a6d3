/*
 * program_json.c - the program object of ders-rules.md to struct pump_program.
 *
 * Contract: see oi_json.h. The split of duties: this file rejects what is not a program object
 * at all (unknown keys, wrong JSON types, an unknown mode); everything that is a well-formed but
 * unacceptable value (zero, negative, too large, an unknown unit) passes through as data so the
 * one DERS implementation judges it and names it in its result.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json_text.h"
#include "oi_json.h"

#if defined(__GNUC__)
#define OI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define OI_PRINTF(f, a)
#endif

/* Longest key quoted back in a message: a hostile key must not fill the error buffer. */
#define KEY_QUOTE_MAX 64

struct prog_parser {
    struct pump_program *prog;
    char *err;
    size_t err_cap;
};

static bool fail(const struct prog_parser *pp, const char *fmt, ...) OI_PRINTF(2, 3);

static bool fail(const struct prog_parser *pp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (pp->err != NULL && pp->err_cap > 0) {
        /* A truncated sentence is still the right sentence: the result is not needed. */
        (void)vsnprintf(pp->err, pp->err_cap, fmt, ap);
    }
    va_end(ap);
    return false;
}

/*
 * A key or mode from the object, fit to quote in err (which may travel in a JSON reply and is
 * printed line by line): jansson guarantees UTF-8, so control characters become '?' and a cut
 * falls on a character boundary, marked "...". out needs KEY_QUOTE_MAX + 4 bytes.
 */
static const char *quotable(const char *s, char *out)
{
    return oi__printable(s, strlen(s), KEY_QUOTE_MAX, out, KEY_QUOTE_MAX + 4U);
}


/* jansson's object iterator takes a non-const object; reading through it changes nothing. */
static json_t *readable(const json_t *v)
{
    return (json_t *)(uintptr_t)v;
}

static bool is_extension_key(const char *key)
{
    return strncmp(key, "x-", 2) == 0;
}

/* A string value without embedded NUL bytes (ids are compared with their length in the core,
 * but a NUL would make every C-string view of them lie). */
static bool get_string(const struct prog_parser *pp, const char *key, const json_t *v,
                       const char **text, size_t *len)
{
    if (!json_is_string(v)) {
        return fail(pp, "\"%s\" must be a string, not %s", key, oi_json_type_name(v));
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s == NULL || strlen(s) != n) {
        return fail(pp, "\"%s\" must not contain a NUL character", key);
    }
    *text = s;
    *len = n;
    return true;
}

/* null = absent; a number = GIVEN with its exact value, or BAD when it has no exact form. */
static bool get_value(const struct prog_parser *pp, const char *key, const json_t *v,
                      struct pump_value *out)
{
    if (json_is_null(v)) {
        out->state = PUMP_V_ABSENT;
        return true;
    }
    if (!json_is_number(v)) {
        return fail(pp, "\"%s\" must be a number, not %s", key, oi_json_type_name(v));
    }
    struct pump_q q = pump_q_int(0);
    if (oi_json_number_to_q(v, &q)) {
        out->state = PUMP_V_GIVEN;
        out->q = q;
    } else {
        out->state = PUMP_V_BAD;
        out->q = pump_q_int(0);
    }
    return true;
}

static bool parse_mode(const struct prog_parser *pp, const json_t *v)
{
    const char *s = NULL;
    size_t n = 0;
    if (!get_string(pp, "mode", v, &s, &n)) {
        return false;
    }
    pump_prog_mode m = PUMP_MODE_CONTINUOUS;
    if (pump_prog_mode_parse(s, n, &m) != PUMP_OK) {
        char q[KEY_QUOTE_MAX + 4];
        return fail(pp,
                    "unknown mode \"%s\" (expected continuous, bolus, loading, intermittent, "
                    "pca, fluid or basic)",
                    quotable(s, q));
    }
    pp->prog->mode = (uint8_t)m;
    return true;
}

static bool parse_entry(const struct prog_parser *pp, const json_t *v)
{
    if (json_is_null(v)) {
        pp->prog->entry = NULL;
        pp->prog->entry_len = 0;
        return true;
    }
    return get_string(pp, "entry", v, &pp->prog->entry, &pp->prog->entry_len);
}

static bool parse_dose_unit(const struct prog_parser *pp, const json_t *v)
{
    struct pump_program *prog = pp->prog;
    if (json_is_null(v)) {
        prog->has_dose_unit = false;
        return true;
    }
    const char *s = NULL;
    size_t n = 0;
    if (!get_string(pp, "dose_unit", v, &s, &n)) {
        return false;
    }
    prog->has_dose_unit = true;
    /* An unknown unit is data for the DERS (REJECT_INVALID naming it), not a malformed object. */
    prog->dose_unit_bad = pump_unit_parse(s, n, &prog->dose_unit) != PUMP_OK;
    return true;
}

static bool parse_conc_key(const struct prog_parser *pp, const char *key, const json_t *v,
                           bool *unit_seen)
{
    struct pump_program *prog = pp->prog;
    if (strcmp(key, "amount") == 0) {
        return get_value(pp, "concentration.amount", v, &prog->conc_amount);
    }
    if (strcmp(key, "volume_ml") == 0) {
        return get_value(pp, "concentration.volume_ml", v, &prog->conc_volume_ml);
    }
    if (strcmp(key, "amount_unit") == 0) {
        if (json_is_null(v)) {
            return true;
        }
        const char *s = NULL;
        size_t n = 0;
        if (!get_string(pp, "concentration.amount_unit", v, &s, &n)) {
            return false;
        }
        *unit_seen = pump_unit_parse(s, n, &prog->conc_unit) == PUMP_OK;
        return true;
    }
    if (is_extension_key(key)) {
        return true;
    }
    char q[KEY_QUOTE_MAX + 4];
    return fail(pp, "unknown key \"%s\" in \"concentration\"", quotable(key, q));
}

static bool parse_concentration(const struct prog_parser *pp, const json_t *v)
{
    if (json_is_null(v)) {
        return true;
    }
    if (!json_is_object(v)) {
        return fail(pp, "\"concentration\" must be an object, not %s", oi_json_type_name(v));
    }
    pp->prog->has_conc = true;
    bool unit_ok = false;
    json_t *o = readable(v);
    for (void *it = json_object_iter(o); it != NULL; it = json_object_iter_next(o, it)) {
        if (!parse_conc_key(pp, json_object_iter_key(it), json_object_iter_value(it), &unit_ok)) {
            return false;
        }
    }
    /* Missing or unknown: the DERS reports it as an unusable concentration unit. */
    pp->prog->conc_unit_bad = !unit_ok;
    return true;
}

static bool parse_pca_key(const struct prog_parser *pp, const char *key, const json_t *v)
{
    struct pump_program *prog = pp->prog;
    if (strcmp(key, "dose") == 0) {
        return get_value(pp, "pca.dose", v, &prog->pca_dose);
    }
    if (strcmp(key, "lockout_min") == 0) {
        return get_value(pp, "pca.lockout_min", v, &prog->pca_lockout_min);
    }
    if (strcmp(key, "basal") == 0) {
        return get_value(pp, "pca.basal", v, &prog->pca_basal);
    }
    if (strcmp(key, "four_hour_limit") == 0) {
        return get_value(pp, "pca.four_hour_limit", v, &prog->pca_four_hour);
    }
    if (is_extension_key(key)) {
        return true;
    }
    char q[KEY_QUOTE_MAX + 4];
    return fail(pp, "unknown key \"%s\" in \"pca\"", quotable(key, q));
}

static bool parse_pca(const struct prog_parser *pp, const json_t *v)
{
    if (json_is_null(v)) {
        return true;
    }
    if (!json_is_object(v)) {
        return fail(pp, "\"pca\" must be an object, not %s", oi_json_type_name(v));
    }
    pp->prog->has_pca = true;
    json_t *o = readable(v);
    for (void *it = json_object_iter(o); it != NULL; it = json_object_iter_next(o, it)) {
        if (!parse_pca_key(pp, json_object_iter_key(it), json_object_iter_value(it))) {
            return false;
        }
    }
    return true;
}

/* The plain number keys of the top level; NULL when key is not one. */
static struct pump_value *number_slot(struct pump_program *prog, const char *key)
{
    const struct {
        const char *key;
        struct pump_value *slot;
    } table[] = {
        {"dose", &prog->dose},
        {"rate_ml_h", &prog->rate_ml_h},
        {"weight_kg", &prog->weight_kg},
        {"bsa_m2", &prog->bsa_m2},
        {"duration_min", &prog->duration_min},
        {"vtbi_ml", &prog->vtbi_ml},
        {"current_dose", &prog->current_dose},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strcmp(table[i].key, key) == 0) {
            return table[i].slot;
        }
    }
    return NULL;
}

static bool parse_key(const struct prog_parser *pp, const char *key, const json_t *v)
{
    struct pump_value *slot = number_slot(pp->prog, key);
    if (slot != NULL) {
        return get_value(pp, key, v, slot);
    }
    if (strcmp(key, "care_area") == 0) {
        return get_string(pp, key, v, &pp->prog->care_area, &pp->prog->care_area_len);
    }
    if (strcmp(key, "entry") == 0) {
        return parse_entry(pp, v);
    }
    if (strcmp(key, "mode") == 0) {
        return parse_mode(pp, v);
    }
    if (strcmp(key, "dose_unit") == 0) {
        return parse_dose_unit(pp, v);
    }
    if (strcmp(key, "concentration") == 0) {
        return parse_concentration(pp, v);
    }
    if (strcmp(key, "pca") == 0) {
        return parse_pca(pp, v);
    }
    if (is_extension_key(key)) {
        return true;
    }
    char q[KEY_QUOTE_MAX + 4];
    return fail(pp, "unknown key \"%s\"", quotable(key, q));
}

bool oi_program_from_json(const json_t *obj, struct pump_program *prog, char *err, size_t err_cap)
{
    struct prog_parser pp = {prog, err, err_cap};
    if (err != NULL && err_cap > 0) {
        err[0] = '\0';
    }
    if (prog == NULL) {
        return fail(&pp, "no program to fill (internal error)");
    }
    memset(prog, 0, sizeof *prog);
    if (obj == NULL || !json_is_object(obj)) {
        return fail(&pp, "a program must be a JSON object, not %s",
                    obj == NULL ? "nothing" : oi_json_type_name(obj));
    }
    json_t *o = readable(obj);
    for (void *it = json_object_iter(o); it != NULL; it = json_object_iter_next(o, it)) {
        if (!parse_key(&pp, json_object_iter_key(it), json_object_iter_value(it))) {
            return false;
        }
    }
    if (json_object_get(obj, "care_area") == NULL) {
        return fail(&pp, "missing required key \"care_area\"");
    }
    if (json_object_get(obj, "mode") == NULL) {
        return fail(&pp, "missing required key \"mode\"");
    }
    return true;
}
