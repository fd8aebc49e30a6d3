/*
 * druglib_json.c - drug library files (druglib-format.md) to the core's compiled library.
 *
 * Contract: see oi_json.h.
 *
 * Two passes over the parsed document. The checking pass reports every problem at once (a
 * pharmacist fixes a library in one round, not one error per upload): the JSON shape here, the
 * semantic rules through the core's pump_area_check / pump_entry_check, so a pump re-checking a
 * library runs the same rules. Only a library with no problem at all reaches the building pass,
 * which sizes one allocation from the counts of the first pass and fills it through the core.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_text.h"
#include "oi_json.h"

#if defined(__GNUC__)
#define OI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define OI_PRINTF(f, a)
#endif

/* Capacity of a JSON path (struct oi_problem.path). */
#define PATH_CAP 160
/* Longest key or unit quoted back in a message: hostile input must not crowd out the sentence. */
#define QUOTE_MAX 64
/* String lengths in bytes (UTF-8). Ids travel in HL7 and MQTT messages and on pump screens. */
#define ID_MAX         64
#define VERSION_MAX    64
#define NAME_MAX_BYTES 200
#define ADVISORY_MAX   2000

_Static_assert(sizeof(((struct oi_problem *)NULL)->path) == PATH_CAP, "path capacity");

/* Growth of the problem list. */
#define DIAG_FIRST_CAP 16

/* What a getter found. */
enum got { GOT_ABSENT = 0, GOT_OK, GOT_BAD };

struct loader {
    struct oi_diag *diag;
    struct pump_library *lib; /* NULL in the checking pass, the library in the building pass */
    json_t *area_ids;         /* checking pass: area id -> index */
    json_t *entry_ids;        /* checking pass: entry id -> (area index << 32) | entry index */
    size_t n_problems;
    size_t n_value_problems; /* all but unknown keys: they make a field's value unusable */
    bool internal;           /* out of memory or a broken invariant: unusable, not invalid */
    uint32_t n_areas;
    uint32_t n_entries;
    size_t string_bytes;
};

/* String rules per kind of string. */
struct str_rule {
    size_t max;
    bool nonempty;
    bool single_line; /* no control characters: shown on one line of a pump screen */
};

static const struct str_rule rule_id = {ID_MAX, true, true};
static const struct str_rule rule_version = {VERSION_MAX, true, true};
static const struct str_rule rule_name = {NAME_MAX_BYTES, true, true};
/* An advisory may run over several lines. */
static const struct str_rule rule_advisory = {ADVISORY_MAX, false, false};


/* ---- problems --------------------------------------------------------------------------- */

static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1U);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The slot for the next problem, or NULL when it can only be counted. */
static struct oi_problem *diag_slot(struct oi_diag *d)
{
    if (d->n >= OI_DIAG_MAX) {
        return NULL;
    }
    if (d->n == d->cap) {
        size_t cap = (d->cap == 0U) ? DIAG_FIRST_CAP : d->cap * 2U;
        if (cap > OI_DIAG_MAX) {
            cap = OI_DIAG_MAX;
        }
        struct oi_problem *items = realloc(d->items, cap * sizeof *items);
        if (items == NULL) {
            return NULL; /* the problem is still counted in n_dropped */
        }
        d->items = items;
        d->cap = cap;
    }
    return &d->items[d->n++];
}

static void vreport(struct loader *ld, const char *path, const char *fmt, va_list ap)
    OI_PRINTF(3, 0);

static void vreport(struct loader *ld, const char *path, const char *fmt, va_list ap)
{
    ld->n_problems++;
    struct oi_problem *p = diag_slot(ld->diag);
    if (p == NULL) {
        ld->diag->n_dropped++;
        return;
    }
    copy_text(p->path, sizeof p->path, path);
    /* A sentence cut at 255 bytes is still the right sentence. */
    if (vsnprintf(p->message, sizeof p->message, fmt, ap) < 0) {
        copy_text(p->message, sizeof p->message, "(message could not be formatted)");
    }
}

/* A problem that makes the value at path unusable (anything but an unknown key). */
static void report(struct loader *ld, const char *path, const char *fmt, ...) OI_PRINTF(3, 4);

static void report(struct loader *ld, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ld->n_value_problems++;
    vreport(ld, path, fmt, ap);
    va_end(ap);
}

/* Unknown keys do not make the known values wrong, so semantic checks still run: they are
 * counted apart from value problems. */
static void report_unknown_key(struct loader *ld, const char *path, const char *key)
{
    ld->n_problems++;
    struct oi_problem *p = diag_slot(ld->diag);
    if (p == NULL) {
        ld->diag->n_dropped++;
        return;
    }
    copy_text(p->path, sizeof p->path, path);
    char quoted[QUOTE_MAX + 4];
    if (snprintf(p->message, sizeof p->message, "unknown key \"%s\"",
                 oi__printable(key, strlen(key), QUOTE_MAX, quoted, sizeof quoted)) < 0) {
        p->message[0] = '\0';
    }
}

/* Shortest exact decimal text of a value (values come from decimal text, so 18 places are
 * exact for every one the core accepted). */
static const char *qtext(struct pump_q q, char *buf, size_t cap)
{
    if (pump_q_format(q, PUMP_Q_MAX_DECIMALS, buf, cap) != PUMP_OK) {
        copy_text(buf, cap, "?");
    }
    return buf;
}

/* ---- paths -------------------------------------------------------------------------------- */

/* Paths are built by bounded copies: a path longer than PATH_CAP is cut, never overflowed (the
 * format's nesting keeps real paths far below it). */
static void path_append(char *dst, size_t *used, const char *s)
{
    size_t n = strlen(s);
    size_t room = PATH_CAP - 1U - *used;
    if (n > room) {
        n = room;
    }
    memcpy(dst + *used, s, n);
    *used += n;
    dst[*used] = '\0';
}

static void path_key(char *dst, const char *parent, const char *key)
{
    size_t used = 0;
    dst[0] = '\0';
    path_append(dst, &used, parent);
    if (parent[0] != '\0') {
        path_append(dst, &used, ".");
    }
    path_append(dst, &used, key);
}

static void path_index(char *dst, const char *parent, const char *key, size_t i)
{
    char index[32];
    if (snprintf(index, sizeof index, "[%zu]", i) < 0) {
        index[0] = '\0';
    }
    path_key(dst, parent, key);
    size_t used = strlen(dst);
    path_append(dst, &used, index);
}

/* ---- JSON shape --------------------------------------------------------------------------- */


static bool key_allowed(const char *key, const char *const *allowed)
{
    if (strncmp(key, "x-", 2) == 0) {
        return true; /* extension keys are kept and ignored (druglib-format.md) */
    }
    for (size_t i = 0; allowed[i] != NULL; i++) {
        if (strcmp(allowed[i], key) == 0) {
            return true;
        }
    }
    return false;
}

/* Unknown keys are errors so that a typo ("soft_mx") cannot silently drop a limit. */
static void check_keys(struct loader *ld, const char *path, const json_t *obj,
                       const char *const *allowed)
{
    /* jansson's iterator takes a non-const object; reading through it changes nothing. */
    json_t *o = (json_t *)(uintptr_t)obj;
    for (void *it = json_object_iter(o); it != NULL; it = json_object_iter_next(o, it)) {
        const char *key = json_object_iter_key(it);
        if (!key_allowed(key, allowed)) {
            report_unknown_key(ld, path, key);
        }
    }
}

static const json_t *member(struct loader *ld, const char *path, const json_t *obj, const char *key,
                            bool required)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL && required) {
        report(ld, path, "missing required key \"%s\"", key);
    }
    return v;
}

/* An object member that must itself be an object; NULL when absent or wrong (reported). */
static const json_t *get_object(struct loader *ld, const char *path, const json_t *obj,
                                const char *key, bool required)
{
    const json_t *v = member(ld, path, obj, key, required);
    if (v != NULL && !json_is_object(v)) {
        char here[PATH_CAP];
        path_key(here, path, key);
        report(ld, here, "must be an object, not %s", oi_json_type_name(v));
        return NULL;
    }
    return v;
}

static bool has_control_char(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20U || c == 0x7fU) {
            return true;
        }
    }
    return false;
}

static enum got check_string(struct loader *ld, const char *here, const json_t *v,
                             const struct str_rule *rule)
{
    if (!json_is_string(v)) {
        report(ld, here, "must be a string, not %s", oi_json_type_name(v));
        return GOT_BAD;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s == NULL || strlen(s) != n) {
        report(ld, here, "must not contain a NUL character (\\u0000)");
        return GOT_BAD;
    }
    if (rule->nonempty && n == 0U) {
        report(ld, here, "must not be empty");
        return GOT_BAD;
    }
    if (n > rule->max) {
        report(ld, here, "is too long: %zu bytes, at most %zu allowed", n, rule->max);
        return GOT_BAD;
    }
    if (rule->single_line && has_control_char(s, n)) {
        report(ld, here, "must not contain control characters (tabs, line breaks)");
        return GOT_BAD;
    }
    return GOT_OK;
}

static enum got get_string(struct loader *ld, const char *path, const json_t *obj, const char *key,
                           const struct str_rule *rule)
{
    const json_t *v = member(ld, path, obj, key, rule->nonempty);
    if (v == NULL) {
        return GOT_ABSENT;
    }
    char here[PATH_CAP];
    path_key(here, path, key);
    return check_string(ld, here, v, rule);
}

static enum got get_bool(struct loader *ld, const char *path, const json_t *obj, const char *key,
                         bool *out)
{
    const json_t *v = member(ld, path, obj, key, false);
    if (v == NULL) {
        return GOT_ABSENT;
    }
    if (!json_is_boolean(v)) {
        char here[PATH_CAP];
        path_key(here, path, key);
        report(ld, here, "must be true or false, not %s", oi_json_type_name(v));
        return GOT_BAD;
    }
    *out = json_is_true(v);
    return GOT_OK;
}

/* Every number of a library is finite (JSON has no other) and non-negative. */
static enum got check_number(struct loader *ld, const char *here, const json_t *v,
                             struct pump_q *out)
{
    if (!json_is_number(v)) {
        report(ld, here, "must be a number, not %s", oi_json_type_name(v));
        return GOT_BAD;
    }
    struct pump_q q;
    if (!oi_json_number_to_q(v, &q)) {
        report(ld, here, "is too large or has too many digits to be used exactly");
        return GOT_BAD;
    }
    if (pump_q_sign(q) < 0) {
        char num[PUMP_Q_TEXT_MAX];
        report(ld, here, "must be zero or more, not %s", qtext(q, num, sizeof num));
        return GOT_BAD;
    }
    *out = q;
    return GOT_OK;
}

static enum got get_number(struct loader *ld, const char *path, const json_t *obj, const char *key,
                           bool required, struct pump_q *out)
{
    const json_t *v = member(ld, path, obj, key, required);
    if (v == NULL) {
        return GOT_ABSENT;
    }
    char here[PATH_CAP];
    path_key(here, path, key);
    return check_number(ld, here, v, out);
}

static enum got get_bool_req(struct loader *ld, const char *path, const json_t *obj,
                             const char *key, bool *out)
{
    enum got g = get_bool(ld, path, obj, key, out);
    if (g == GOT_ABSENT) {
        report(ld, path, "missing required key \"%s\"", key);
        return GOT_BAD;
    }
    return g;
}

/* ---- units -------------------------------------------------------------------------------- */

/* The tokens of the unit grammar (pump_unit.h), to correct case ("MG/KG/H"). */
static const char *const unit_tokens[] = {"g",    "mg", "mcg", "ng", "units", "milliunits", "mEq",
                                          "mmol", "mL", "kg",  "m2", "min",   "h",          NULL};

/* Spellings seen in practice and what the format writes instead (mcg, never ug or µg; units,
 * never U or IU: ISMP's error-prone abbreviations). Only a hint: the unit is still an error.
 * "mU"/"MU" is left out on purpose: milli- or million units is exactly the ambiguity. */
static const struct {
    const char *bad;
    const char *good;
} unit_aliases[] = {
    {"ug", "mcg"},   {"\xc2\xb5g", "mcg"}, {"\xce\xbcg", "mcg"}, {"gm", "g"},
    {"u", "units"},  {"iu", "units"},      {"unit", "units"},    {"milliunit", "milliunits"},
    {"cc", "mL"},    {"hr", "h"},          {"hrs", "h"},         {"hour", "h"},
    {"mins", "min"}, {"minute", "min"},    {"m^2", "m2"},        {"m\xc2\xb2", "m2"},
};

static bool same_ignoring_case(const char *a, size_t alen, const char *b)
{
    if (strlen(b) != alen) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i];
        unsigned char y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}

static const char *correct_token(const char *seg, size_t len)
{
    for (size_t i = 0; unit_tokens[i] != NULL; i++) {
        if (same_ignoring_case(seg, len, unit_tokens[i])) {
            return unit_tokens[i];
        }
    }
    for (size_t i = 0; i < sizeof unit_aliases / sizeof unit_aliases[0]; i++) {
        if (same_ignoring_case(seg, len, unit_aliases[i].bad)) {
            return unit_aliases[i].good;
        }
    }
    return NULL;
}

/* The unit the author probably meant, when correcting each '/' part gives a known unit. */
static bool suggest_unit(const char *text, size_t len, char *out, size_t cap)
{
    size_t used = 0;
    size_t start = 0;
    while (start <= len) {
        const char *slash = memchr(text + start, '/', len - start);
        size_t end = (slash == NULL) ? len : (size_t)(slash - text);
        const char *tok = correct_token(text + start, end - start);
        if (tok == NULL) {
            return false;
        }
        size_t tl = strlen(tok);
        if (used + tl + 2U > cap) {
            return false;
        }
        if (used > 0U) {
            out[used++] = '/';
        }
        memcpy(out + used, tok, tl);
        used += tl;
        start = end + 1U;
    }
    out[used] = '\0';
    struct pump_unit u;
    return pump_unit_parse(out, used, &u) == PUMP_OK &&
           (used != len || memcmp(out, text, len) != 0);
}

static void report_unknown_unit(struct loader *ld, const char *here, const char *text, size_t len)
{
    char hint[2 * PUMP_UNIT_TEXT_MAX];
    char quoted[QUOTE_MAX + 4];
    (void)oi__printable(text, len, QUOTE_MAX, quoted, sizeof quoted);
    if (suggest_unit(text, len, hint, sizeof hint)) {
        report(ld, here, "unknown unit \"%s\" (write %s)", quoted, hint);
    } else {
        report(ld, here,
               "unknown unit \"%s\" (units are written like mg, mcg/kg/min, units/h, mEq/kg or "
               "mg/mL)",
               quoted);
    }
}

static enum got get_unit(struct loader *ld, const char *path, const json_t *obj, const char *key,
                         bool required, struct pump_unit *out)
{
    const json_t *v = member(ld, path, obj, key, required);
    if (v == NULL) {
        return GOT_ABSENT;
    }
    char here[PATH_CAP];
    path_key(here, path, key);
    static const struct str_rule rule_unit = {QUOTE_MAX, true, true};
    if (check_string(ld, here, v, &rule_unit) != GOT_OK) {
        return GOT_BAD;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (pump_unit_parse(s, n, out) != PUMP_OK) {
        report_unknown_unit(ld, here, s, n);
        return GOT_BAD;
    }
    return GOT_OK;
}

/* ---- limits ------------------------------------------------------------------------------- */

static const char *const limit_keys[] = {"hard_min", "soft_min", "soft_max", "hard_max", NULL};
static const char *const conc_limit_keys[] = {"hard_min", "soft_min", "soft_max",
                                              "hard_max", "unit",     NULL};

static void fill_bounds(struct loader *ld, const char *here, const json_t *lim,
                        struct pump_limits *out)
{
    for (unsigned b = 0; b < (unsigned)PUMP_BOUND_COUNT; b++) {
        struct pump_q q = pump_q_int(0);
        if (get_number(ld, here, lim, pump_bound_str((pump_bound)b), false, &q) == GOT_OK) {
            out->bound[b] = q;
            out->present = (uint8_t)(out->present | (1U << b));
        }
    }
}

/* A limits object (any of the four bounds) under key; absent is no limits. */
static void get_limits(struct loader *ld, const char *path, const json_t *obj, const char *key,
                       struct pump_limits *out)
{
    const json_t *lim = get_object(ld, path, obj, key, false);
    if (lim == NULL) {
        return;
    }
    char here[PATH_CAP];
    path_key(here, path, key);
    check_keys(ld, here, lim, limit_keys);
    fill_bounds(ld, here, lim, out);
}

/* ---- which field a problem spoils --------------------------------------------------------- */

/* The bit of a field in a mask of fields. */
static uint32_t field_bit(pump_field f)
{
    return ((unsigned)f < 32U) ? (1U << (unsigned)f) : 0U;
}

/* Bits of pump_field in a mask of spoiled fields, plus one flag: the dosing unit is unusable, so
 * every comparison of another unit's family with it means nothing. */
#define BAD_DOSING_UNIT (1U << 31U)
_Static_assert(PUMP_F_COUNT < 31, "pump_field bits and BAD_DOSING_UNIT must not overlap");

/* Value problems found so far; compared before and after a field to mark it unusable, so the
 * core's checks do not add a second, confusing sentence about a value already reported (a
 * negative bound) or about the defaults standing in for a broken one. */
static size_t mark_start(const struct loader *ld)
{
    return ld->n_value_problems;
}

static void mark_end(const struct loader *ld, size_t start, pump_field f, uint32_t *bad)
{
    if (ld->n_value_problems != start) {
        *bad |= field_bit(f);
    }
}

/* ---- ids ---------------------------------------------------------------------------------- */

static void format_entry_path(char *dst, json_int_t where)
{
    size_t area = (size_t)((uint64_t)where >> 32U);
    size_t entry = (size_t)((uint64_t)where & 0xffffffffU);
    if (snprintf(dst, PATH_CAP, "care_areas[%zu].entries[%zu]", area, entry) < 0) {
        dst[0] = '\0';
    }
}

/* Ids are unique in the whole library (druglib-format.md): entries across all care areas. The
 * checking pass keeps every id seen in a jansson object used as a hash set. */
static void check_unique(struct loader *ld, const char *here, json_t *seen, const json_t *idv,
                         json_int_t where, bool is_entry)
{
    const char *id = json_string_value(idv);
    size_t n = json_string_length(idv);
    const json_t *first = json_object_getn(seen, id, n);
    if (first != NULL) {
        char other[PATH_CAP];
        if (is_entry) {
            format_entry_path(other, json_integer_value(first));
        } else if (snprintf(other, sizeof other, "care_areas[%" JSON_INTEGER_FORMAT "]",
                            json_integer_value(first)) < 0) {
            other[0] = '\0';
        }
        report(ld, here, "id \"%s\" is already used by %s", id, other);
        return;
    }
    if (json_object_setn_new(seen, id, n, json_integer(where)) != 0) {
        ld->internal = true;
    }
}

/* Checking pass: count the bytes the pool will need. Building pass: copy into the pool. */
static void take_string(struct loader *ld, const json_t *obj, const char *key, struct pump_str *out)
{
    const json_t *v = json_object_get(obj, key);
    out->off = 0U;
    out->len = 0U;
    if (v == NULL || !json_is_string(v)) {
        return;
    }
    size_t n = json_string_length(v);
    if (ld->lib == NULL) {
        ld->string_bytes += n;
    } else if (pump_library_intern(ld->lib, json_string_value(v), n, out) != PUMP_OK) {
        ld->internal = true;
    }
}

/* ---- core problems as sentences ----------------------------------------------------------- */

static const char *family_name(struct pump_unit u)
{
    switch (pump_amount_family((pump_amount)u.amount)) {
    case PUMP_FAM_MASS:
        return "mass";
    case PUMP_FAM_UNITS:
        return "units";
    case PUMP_FAM_MEQ:
        return "mEq";
    case PUMP_FAM_MMOL:
        return "mmol";
    case PUMP_FAM_VOLUME:
        return "volume";
    case PUMP_FAM_COUNT:
    default:
        return "?";
    }
}

static const char *utext(struct pump_unit u, char *buf, size_t cap)
{
    if (pump_unit_format(u, buf, cap) != PUMP_OK) {
        copy_text(buf, cap, "?");
    }
    return buf;
}

static bool is_limits_field(pump_field f)
{
    const uint32_t limits =
        field_bit(PUMP_F_PATIENT_WEIGHT_KG) | field_bit(PUMP_F_PATIENT_BSA_M2) |
        field_bit(PUMP_F_DOSE_LIMITS) | field_bit(PUMP_F_CONCENTRATION_LIMITS) |
        field_bit(PUMP_F_DOSE_RATE_LIMITS) | field_bit(PUMP_F_DURATION_MIN_LIMITS) |
        field_bit(PUMP_F_BOLUS_LIMITS) | field_bit(PUMP_F_BOLUS_DURATION_MIN_LIMITS) |
        field_bit(PUMP_F_PCA_DOSE_LIMITS) | field_bit(PUMP_F_PCA_LOCKOUT_MIN_LIMITS) |
        field_bit(PUMP_F_PCA_BASAL_LIMITS) | field_bit(PUMP_F_PCA_FOUR_HOUR_LIMITS);
    return (limits & field_bit(f)) != 0U;
}

/* The unit a UNIT_KIND / UNIT_FAMILY problem is about, and the key that holds it. */
static struct pump_unit problem_unit(const struct pump_entry *e, pump_field f, const char **key)
{
    if (f == PUMP_F_CONCENTRATION) {
        *key = "amount_unit";
        return e->conc_amount_unit;
    }
    if (f == PUMP_F_CONCENTRATION_LIMITS) {
        *key = "unit";
        return e->conc_limits_unit;
    }
    if (f == PUMP_F_DOSE_RATE_UNIT) {
        *key = "dose_rate_unit";
        return e->dose_rate_unit;
    }
    if (f == PUMP_F_BOLUS) {
        *key = "dose_unit";
        return e->bolus_unit;
    }
    *key = "dosing_unit";
    return e->dosing_unit;
}

/* "a continuous", "an intermittent": the mode with its article, for sentences. */
static const char *with_article(pump_entry_mode m)
{
    switch (m) {
    case PUMP_ENTRY_CONTINUOUS:
        return "a continuous";
    case PUMP_ENTRY_INTERMITTENT:
        return "an intermittent";
    case PUMP_ENTRY_PCA:
        return "a pca";
    case PUMP_ENTRY_FLUID:
        return "a fluid";
    case PUMP_ENTRY_MODE_COUNT:
    default:
        return "an unknown";
    }
}

/* Why a dosing unit does not fit its entry's mode, for UNIT_KIND on dosing_unit. */
static int say_dosing_unit_kind(char *msg, size_t cap, const struct pump_entry *e, const char *ut)
{
    pump_entry_mode m = (pump_entry_mode)e->mode;
    if (m == PUMP_ENTRY_FLUID) {
        return snprintf(msg, cap, "\"%s\" does not fit a fluid entry: a fluid is dosed in mL/h",
                        ut);
    }
    if (e->dosing_unit.amount == (uint8_t)PUMP_AMT_ML) {
        return snprintf(msg, cap,
                        "\"%s\" is for fluid entries: a drug is dosed by its amount (mg, units, "
                        "mEq ...)",
                        ut);
    }
    if (m == PUMP_ENTRY_CONTINUOUS) {
        return snprintf(msg, cap,
                        "\"%s\" is not a dose rate: a continuous entry is dosed per minute or "
                        "per hour (e.g. mg/h, mcg/kg/min)",
                        ut);
    }
    return snprintf(msg, cap,
                    "\"%s\" is not a dose amount: %s entry is dosed by an amount (e.g. mg, mg/kg, "
                    "mg/m2)",
                    ut, with_article(m));
}

static void say_unit_kind(char *msg, size_t cap, const struct pump_entry *e, pump_field f)
{
    const char *key = NULL;
    char ut[PUMP_UNIT_TEXT_MAX];
    (void)utext(problem_unit(e, f, &key), ut, sizeof ut);
    int n = 0;
    if (f == PUMP_F_CONCENTRATION) {
        n = snprintf(msg, cap,
                     "amount_unit \"%s\" is not a plain drug amount (e.g. mg, units, "
                     "mmol)",
                     ut);
    } else if (f == PUMP_F_CONCENTRATION_LIMITS) {
        n = snprintf(msg, cap, "unit \"%s\" is not a concentration per mL (e.g. mg/mL)", ut);
    } else if (f == PUMP_F_DOSE_RATE_UNIT) {
        n = snprintf(msg, cap,
                     "\"%s\" is not a rate: dose_rate_unit is per minute or per hour "
                     "(e.g. mg/min, mEq/h)",
                     ut);
    } else if (f == PUMP_F_BOLUS) {
        n = snprintf(msg, cap, "dose_unit \"%s\" is not a drug dose amount (e.g. mg, mcg/kg)", ut);
    } else {
        n = say_dosing_unit_kind(msg, cap, e, ut);
    }
    if (n < 0) {
        msg[0] = '\0';
    }
}

static void say_unit_family(char *msg, size_t cap, const struct pump_entry *e, pump_field f)
{
    const char *key = NULL;
    char ut[PUMP_UNIT_TEXT_MAX];
    char dt[PUMP_UNIT_TEXT_MAX];
    struct pump_unit u = problem_unit(e, f, &key);
    if (snprintf(msg, cap,
                 "%s \"%s\" and dosing_unit \"%s\" are different kinds of amount (%s and %s), "
                 "which never convert",
                 key, utext(u, ut, sizeof ut), utext(e->dosing_unit, dt, sizeof dt), family_name(u),
                 family_name(e->dosing_unit)) < 0) {
        msg[0] = '\0';
    }
}

static void say_missing(char *msg, size_t cap, const struct pump_entry *e, pump_field f)
{
    const char *mode = with_article((pump_entry_mode)e->mode);
    int n = 0;
    if (f == PUMP_F_CONCENTRATION && e->mode == (uint8_t)PUMP_ENTRY_PCA) {
        n = snprintf(msg, cap, "a pca entry needs a standard concentration");
    } else if (f == PUMP_F_CONCENTRATION) {
        n = snprintf(msg, cap, "%s entry needs concentration or concentration_limits", mode);
    } else if (f == PUMP_F_PCA) {
        n = snprintf(msg, cap, "a pca entry needs a pca object with its PCA limits");
    } else if (f == PUMP_F_DOSE_RATE_UNIT) {
        n = snprintf(msg, cap, "dose_rate_limits need a dose_rate_unit");
    } else {
        n = snprintf(msg, cap, "%s entry needs %s", mode, pump_field_str(f));
    }
    if (n < 0) {
        msg[0] = '\0';
    }
}

static void say_not_allowed(char *msg, size_t cap, const struct pump_entry *e, pump_field f)
{
    const char *mode = with_article((pump_entry_mode)e->mode);
    int n = 0;
    if (f == PUMP_F_DOSE_LIMITS && e->mode == (uint8_t)PUMP_ENTRY_PCA) {
        n = snprintf(msg, cap, "a pca entry has no dose_limits: put them in pca.dose_limits");
    } else if (f == PUMP_F_CONCENTRATION_LIMITS && e->has_conc &&
               (e->mode == (uint8_t)PUMP_ENTRY_CONTINUOUS ||
                e->mode == (uint8_t)PUMP_ENTRY_INTERMITTENT)) {
        n = snprintf(msg, cap, "concentration_limits apply only to an entry without a standard "
                               "concentration (custom concentrations); this entry has one");
    } else if (f == PUMP_F_DOSE_RATE_UNIT || f == PUMP_F_DURATION_MIN_LIMITS) {
        n = snprintf(msg, cap, "%s entry cannot have %s (intermittent entries only)", mode,
                     pump_field_str(f));
    } else {
        n = snprintf(msg, cap, "%s entry cannot have %s", mode, pump_field_str(f));
    }
    if (n < 0) {
        msg[0] = '\0';
    }
}

/* NOT_POSITIVE names which value; concentration has two (amount first, as the core checks). */
static const char *positive_what(const struct pump_problem *p, const struct pump_entry *e,
                                 int *conc_seen)
{
    if (p->code != (uint8_t)PUMP_P_NOT_POSITIVE) {
        return NULL;
    }
    if (p->field == (uint8_t)PUMP_F_RATE_ML_H) {
        return "max";
    }
    if (p->field == (uint8_t)PUMP_F_BASIC_INFUSION) {
        return "max_rate_ml_h";
    }
    if (p->field == (uint8_t)PUMP_F_CONCENTRATION) {
        bool amount = (*conc_seen == 0) && e != NULL && pump_q_sign(e->conc_amount) <= 0;
        (*conc_seen)++;
        return amount ? "amount" : "volume_ml";
    }
    return NULL;
}

static int say_values(char *msg, size_t cap, const struct pump_problem *p, const char *what)
{
    char va[PUMP_Q_TEXT_MAX];
    char vb[PUMP_Q_TEXT_MAX];
    pump_field f = (pump_field)p->field;
    (void)qtext(p->va, va, sizeof va);
    (void)qtext(p->vb, vb, sizeof vb);
    switch ((pump_problem_code)p->code) {
    case PUMP_P_BOUNDS_ORDER:
        return snprintf(msg, cap, "%s %s is above %s %s", pump_bound_str((pump_bound)p->a), va,
                        pump_bound_str((pump_bound)p->b), vb);
    case PUMP_P_NEGATIVE:
        if (is_limits_field(f)) {
            return snprintf(msg, cap, "%s %s is negative", pump_bound_str((pump_bound)p->a), va);
        }
        return snprintf(msg, cap, "%s%s%s is negative", f == PUMP_F_RATE_ML_H ? "min" : "",
                        f == PUMP_F_RATE_ML_H ? " " : "", va);
    case PUMP_P_NOT_POSITIVE:
        if (what != NULL) {
            return snprintf(msg, cap, "%s must be above zero, not %s", what, va);
        }
        return snprintf(msg, cap, "must be above zero, not %s", va);
    case PUMP_P_RATE_ORDER:
        return snprintf(msg, cap, "min %s is above max %s", va, vb);
    case PUMP_P_TITRATION_ORDER:
        return snprintf(msg, cap, "soft_max_increase_pct %s is above hard_max_increase_pct %s", va,
                        vb);
    case PUMP_P_OUTSIDE_BOUND:
        return snprintf(msg, cap, "%s is %s bolus.duration_min_limits.%s %s, so every bolus "
                        "given over the default would alert", va,
                        (p->a <= (uint8_t)PUMP_SOFT_MIN) ? "below" : "above",
                        pump_bound_str((pump_bound)p->a), vb);
    case PUMP_P_UNIT_KIND:
    case PUMP_P_UNIT_FAMILY:
    case PUMP_P_MISSING:
    case PUMP_P_NOT_ALLOWED:
    default:
        return snprintf(msg, cap, "breaks a library rule (problem code %u)", (unsigned)p->code);
    }
}

/* One core problem as a sentence. e is NULL for a care area's problems. */
static void describe(char *msg, size_t cap, const struct pump_problem *p,
                     const struct pump_entry *e, int *conc_seen)
{
    pump_field f = (pump_field)p->field;
    pump_problem_code code = (pump_problem_code)p->code;
    int n = 0;
    if (e != NULL && code == PUMP_P_UNIT_KIND) {
        say_unit_kind(msg, cap, e, f);
    } else if (e != NULL && code == PUMP_P_UNIT_FAMILY) {
        say_unit_family(msg, cap, e, f);
    } else if (e != NULL && code == PUMP_P_MISSING) {
        say_missing(msg, cap, e, f);
    } else if (e != NULL && code == PUMP_P_NOT_ALLOWED) {
        say_not_allowed(msg, cap, e, f);
    } else {
        n = say_values(msg, cap, p, positive_what(p, e, conc_seen));
    }
    if (n < 0) {
        msg[0] = '\0';
    }
}

/* The core's problems under the object at path, except those about fields this adapter has
 * already reported (bad): those would repeat or follow from the first report. */
static void report_core_problems(struct loader *ld, const char *path,
                                 const struct pump_problem *probs, size_t n, uint32_t bad,
                                 const struct pump_entry *e)
{
    int conc_seen = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pump_problem *p = &probs[i];
        if ((bad & field_bit((pump_field)p->field)) != 0U) {
            continue;
        }
        if (p->code == (uint8_t)PUMP_P_UNIT_FAMILY && (bad & BAD_DOSING_UNIT) != 0U) {
            continue;
        }
        char where[PATH_CAP];
        if (p->code == (uint8_t)PUMP_P_MISSING || p->field == (uint8_t)PUMP_F_NONE) {
            copy_text(where, sizeof where, path);
        } else {
            path_key(where, path, pump_field_str((pump_field)p->field));
        }
        char msg[sizeof((struct oi_problem *)NULL)->message];
        describe(msg, sizeof msg, p, e, &conc_seen);
        report(ld, where, "%s", msg);
    }
}

/* ---- entries ------------------------------------------------------------------------------ */

static const char *const entry_keys[] = {"id",
                                         "drug",
                                         "display_name",
                                         "high_alert",
                                         "mode",
                                         "concentration",
                                         "concentration_limits",
                                         "container_ml",
                                         "dosing_unit",
                                         "dose_limits",
                                         "dose_rate_unit",
                                         "dose_rate_limits",
                                         "duration_min_limits",
                                         "bolus",
                                         "pca",
                                         "titration",
                                         "max_rate_ml_h",
                                         "secondary_allowed",
                                         "clinical_advisory",
                                         NULL};
static const char *const concentration_keys[] = {"amount", "amount_unit", "volume_ml", NULL};
static const char *const bolus_keys[] = {"dose_unit", "limits", "default_duration_min",
                                         "duration_min_limits", NULL};
static const char *const pca_keys[] = {"dose_limits", "lockout_min_limits", "basal_limits",
                                       "four_hour_limits", NULL};
static const char *const titration_keys[] = {"soft_max_increase_pct", "hard_max_increase_pct",
                                             NULL};

/* Where an entry sits, for paths and for naming the first holder of a duplicate id. */
struct entry_at {
    const char *path;
    uint32_t area;
    size_t index;
};

static void parse_entry_text(struct loader *ld, const struct entry_at *at, const json_t *obj,
                             struct pump_entry *e)
{
    if (get_string(ld, at->path, obj, "id", &rule_id) == GOT_OK && ld->lib == NULL) {
        char here[PATH_CAP];
        path_key(here, at->path, "id");
        json_int_t where = (json_int_t)(((uint64_t)at->area << 32U) | (uint64_t)at->index);
        check_unique(ld, here, ld->entry_ids, json_object_get(obj, "id"), where, true);
    }
    (void)get_string(ld, at->path, obj, "drug", &rule_name);
    (void)get_string(ld, at->path, obj, "display_name", &rule_name);
    (void)get_string(ld, at->path, obj, "clinical_advisory", &rule_advisory);
    (void)get_bool(ld, at->path, obj, "high_alert", &e->high_alert);
    (void)get_bool(ld, at->path, obj, "secondary_allowed", &e->secondary_allowed);
    take_string(ld, obj, "id", &e->id);
    take_string(ld, obj, "drug", &e->drug);
    take_string(ld, obj, "display_name", &e->display_name);
    take_string(ld, obj, "clinical_advisory", &e->clinical_advisory);
}

/* Mode decides every other rule: without it the core is not asked. Without a usable dosing
 * unit it is asked, but its unit comparisons (which would compare against a stand-in unit) are
 * dropped through BAD_DOSING_UNIT. */
static bool parse_entry_mode(struct loader *ld, const char *path, const json_t *obj,
                             struct pump_entry *e, uint32_t *bad)
{
    bool usable = true;
    if (get_string(ld, path, obj, "mode", &rule_id) == GOT_OK) {
        const json_t *v = json_object_get(obj, "mode");
        pump_entry_mode m = PUMP_ENTRY_CONTINUOUS;
        if (pump_entry_mode_parse(json_string_value(v), json_string_length(v), &m) == PUMP_OK) {
            e->mode = (uint8_t)m;
        } else {
            char here[PATH_CAP];
            path_key(here, path, "mode");
            report(ld, here,
                   "unknown mode \"%s\" (expected continuous, intermittent, pca or "
                   "fluid)",
                   json_string_value(v));
            usable = false;
        }
    } else {
        usable = false;
    }
    if (get_unit(ld, path, obj, "dosing_unit", true, &e->dosing_unit) != GOT_OK) {
        *bad |= field_bit(PUMP_F_DOSING_UNIT) | BAD_DOSING_UNIT;
    }
    return usable;
}

static void parse_concentration(struct loader *ld, const char *path, const json_t *obj,
                                struct pump_entry *e, uint32_t *bad)
{
    char here[PATH_CAP];
    size_t mark = mark_start(ld);
    const json_t *c = get_object(ld, path, obj, "concentration", false);
    /* Present in any form: a broken one is reported, not "missing" as well. */
    e->has_conc = json_object_get(obj, "concentration") != NULL;
    if (c != NULL) {
        path_key(here, path, "concentration");
        check_keys(ld, here, c, concentration_keys);
        (void)get_number(ld, here, c, "amount", true, &e->conc_amount);
        (void)get_unit(ld, here, c, "amount_unit", true, &e->conc_amount_unit);
        (void)get_number(ld, here, c, "volume_ml", true, &e->conc_volume_ml);
    }
    mark_end(ld, mark, PUMP_F_CONCENTRATION, bad);

    mark = mark_start(ld);
    const json_t *cl = get_object(ld, path, obj, "concentration_limits", false);
    e->has_conc_limits = json_object_get(obj, "concentration_limits") != NULL;
    if (cl != NULL) {
        path_key(here, path, "concentration_limits");
        check_keys(ld, here, cl, conc_limit_keys);
        fill_bounds(ld, here, cl, &e->conc_limits);
        (void)get_unit(ld, here, cl, "unit", true, &e->conc_limits_unit);
    }
    mark_end(ld, mark, PUMP_F_CONCENTRATION_LIMITS, bad);
}

static void parse_entry_numbers(struct loader *ld, const char *path, const json_t *obj,
                                struct pump_entry *e, uint32_t *bad)
{
    size_t mark = mark_start(ld);
    get_limits(ld, path, obj, "dose_limits", &e->dose_limits);
    mark_end(ld, mark, PUMP_F_DOSE_LIMITS, bad);

    mark = mark_start(ld);
    e->has_container =
        get_number(ld, path, obj, "container_ml", false, &e->container_ml) != GOT_ABSENT;
    mark_end(ld, mark, PUMP_F_CONTAINER_ML, bad);

    mark = mark_start(ld);
    e->has_max_rate =
        get_number(ld, path, obj, "max_rate_ml_h", false, &e->max_rate_ml_h) != GOT_ABSENT;
    mark_end(ld, mark, PUMP_F_MAX_RATE_ML_H, bad);

    mark = mark_start(ld);
    e->has_dose_rate =
        get_unit(ld, path, obj, "dose_rate_unit", false, &e->dose_rate_unit) != GOT_ABSENT;
    mark_end(ld, mark, PUMP_F_DOSE_RATE_UNIT, bad);

    mark = mark_start(ld);
    get_limits(ld, path, obj, "dose_rate_limits", &e->dose_rate_limits);
    mark_end(ld, mark, PUMP_F_DOSE_RATE_LIMITS, bad);

    mark = mark_start(ld);
    get_limits(ld, path, obj, "duration_min_limits", &e->duration_min_limits);
    mark_end(ld, mark, PUMP_F_DURATION_MIN_LIMITS, bad);
}

static void parse_bolus(struct loader *ld, const char *path, const json_t *obj,
                        struct pump_entry *e, uint32_t *bad)
{
    size_t mark = mark_start(ld);
    const json_t *b = get_object(ld, path, obj, "bolus", false);
    e->has_bolus = json_object_get(obj, "bolus") != NULL;
    if (b == NULL) {
        mark_end(ld, mark, PUMP_F_BOLUS, bad);
        return;
    }
    char here[PATH_CAP];
    path_key(here, path, "bolus");
    check_keys(ld, here, b, bolus_keys);
    (void)get_unit(ld, here, b, "dose_unit", true, &e->bolus_unit);
    mark_end(ld, mark, PUMP_F_BOLUS, bad);

    mark = mark_start(ld);
    get_limits(ld, here, b, "limits", &e->bolus_limits);
    mark_end(ld, mark, PUMP_F_BOLUS_LIMITS, bad);

    mark = mark_start(ld);
    e->has_bolus_default_duration = get_number(ld, here, b, "default_duration_min", false,
                                               &e->bolus_default_duration_min) != GOT_ABSENT;
    mark_end(ld, mark, PUMP_F_BOLUS_DEFAULT_DURATION, bad);

    mark = mark_start(ld);
    get_limits(ld, here, b, "duration_min_limits", &e->bolus_duration_min_limits);
    mark_end(ld, mark, PUMP_F_BOLUS_DURATION_MIN_LIMITS, bad);
}

static void parse_pca(struct loader *ld, const char *path, const json_t *obj, struct pump_entry *e,
                      uint32_t *bad)
{
    size_t mark = mark_start(ld);
    const json_t *p = get_object(ld, path, obj, "pca", false);
    e->has_pca = json_object_get(obj, "pca") != NULL;
    mark_end(ld, mark, PUMP_F_PCA, bad);
    if (p == NULL) {
        return;
    }
    char here[PATH_CAP];
    path_key(here, path, "pca");
    check_keys(ld, here, p, pca_keys);
    const struct {
        const char *key;
        pump_field field;
        struct pump_limits *limits;
    } parts[] = {
        {"dose_limits", PUMP_F_PCA_DOSE_LIMITS, &e->pca_dose_limits},
        {"lockout_min_limits", PUMP_F_PCA_LOCKOUT_MIN_LIMITS, &e->pca_lockout_min_limits},
        {"basal_limits", PUMP_F_PCA_BASAL_LIMITS, &e->pca_basal_limits},
        {"four_hour_limits", PUMP_F_PCA_FOUR_HOUR_LIMITS, &e->pca_four_hour_limits},
    };
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        mark = mark_start(ld);
        get_limits(ld, here, p, parts[i].key, parts[i].limits);
        mark_end(ld, mark, parts[i].field, bad);
    }
}

static void parse_titration(struct loader *ld, const char *path, const json_t *obj,
                            struct pump_entry *e, uint32_t *bad)
{
    size_t mark = mark_start(ld);
    const json_t *t = get_object(ld, path, obj, "titration", false);
    if (t != NULL) {
        char here[PATH_CAP];
        path_key(here, path, "titration");
        check_keys(ld, here, t, titration_keys);
        e->has_titration_soft = get_number(ld, here, t, "soft_max_increase_pct", false,
                                           &e->titration_soft_pct) == GOT_OK;
        e->has_titration_hard = get_number(ld, here, t, "hard_max_increase_pct", false,
                                           &e->titration_hard_pct) == GOT_OK;
    }
    mark_end(ld, mark, PUMP_F_TITRATION, bad);
}

static void check_entry_semantics(struct loader *ld, const char *path, const struct pump_entry *e,
                                  uint32_t bad)
{
    struct pump_problem probs[PUMP_MAX_PROBLEMS];
    size_t n = 0;
    if (pump_entry_check(e, probs, PUMP_MAX_PROBLEMS, &n) != PUMP_OK) {
        ld->internal = true;
        return;
    }
    report_core_problems(ld, path, probs, n < PUMP_MAX_PROBLEMS ? n : PUMP_MAX_PROBLEMS, bad, e);
}

static void walk_entry(struct loader *ld, const struct entry_at *at, const json_t *obj)
{
    if (!json_is_object(obj)) {
        report(ld, at->path, "must be an object, not %s", oi_json_type_name(obj));
        return;
    }
    check_keys(ld, at->path, obj, entry_keys);
    struct pump_entry e;
    memset(&e, 0, sizeof e);
    e.area = at->area;
    uint32_t bad = 0;
    parse_entry_text(ld, at, obj, &e);
    bool usable = parse_entry_mode(ld, at->path, obj, &e, &bad);
    parse_concentration(ld, at->path, obj, &e, &bad);
    parse_entry_numbers(ld, at->path, obj, &e, &bad);
    parse_bolus(ld, at->path, obj, &e, &bad);
    parse_pca(ld, at->path, obj, &e, &bad);
    parse_titration(ld, at->path, obj, &e, &bad);
    if (ld->lib == NULL) {
        if (usable) {
            check_entry_semantics(ld, at->path, &e, bad);
        }
        return;
    }
    if (pump_library_add_entry(ld->lib, &e, NULL) != PUMP_OK) {
        ld->internal = true; /* the checking pass let through what the core refuses */
    }
}

/* ---- care areas --------------------------------------------------------------------------- */

static const char *const area_keys[] = {
    "id",        "name",           "patient_weight_kg", "patient_bsa_m2",
    "rate_ml_h", "basic_infusion", "entries",           NULL};
static const char *const rate_keys[] = {"min", "max", NULL};
static const char *const basic_keys[] = {"allowed", "max_rate_ml_h", NULL};

static void parse_area_rates(struct loader *ld, const char *path, const json_t *obj,
                             struct pump_care_area *a, uint32_t *bad)
{
    char here[PATH_CAP];
    size_t mark = mark_start(ld);
    const json_t *r = get_object(ld, path, obj, "rate_ml_h", true);
    if (r != NULL) {
        path_key(here, path, "rate_ml_h");
        check_keys(ld, here, r, rate_keys);
        (void)get_number(ld, here, r, "min", true, &a->rate_min_ml_h);
        (void)get_number(ld, here, r, "max", true, &a->rate_max_ml_h);
    }
    mark_end(ld, mark, PUMP_F_RATE_ML_H, bad);

    /* Omitted: basic infusions allowed, limited by rate_ml_h only (druglib-format.md). */
    a->basic_allowed = true;
    mark = mark_start(ld);
    const json_t *b = get_object(ld, path, obj, "basic_infusion", false);
    if (b != NULL) {
        path_key(here, path, "basic_infusion");
        check_keys(ld, here, b, basic_keys);
        (void)get_bool_req(ld, here, b, "allowed", &a->basic_allowed);
        a->has_basic_max =
            get_number(ld, here, b, "max_rate_ml_h", false, &a->basic_max_rate_ml_h) == GOT_OK;
    }
    mark_end(ld, mark, PUMP_F_BASIC_INFUSION, bad);
}

static void check_area_semantics(struct loader *ld, const char *path,
                                 const struct pump_care_area *a, uint32_t bad)
{
    struct pump_problem probs[PUMP_MAX_PROBLEMS];
    size_t n = 0;
    if (pump_area_check(a, probs, PUMP_MAX_PROBLEMS, &n) != PUMP_OK) {
        ld->internal = true;
        return;
    }
    report_core_problems(ld, path, probs, n < PUMP_MAX_PROBLEMS ? n : PUMP_MAX_PROBLEMS, bad, NULL);
}

/* The area itself; true when it was added (building pass) or checked (checking pass). */
static void parse_area(struct loader *ld, const char *path, const json_t *obj, uint32_t index)
{
    struct pump_care_area a;
    memset(&a, 0, sizeof a);
    uint32_t bad = 0;
    check_keys(ld, path, obj, area_keys);
    if (get_string(ld, path, obj, "id", &rule_id) == GOT_OK && ld->lib == NULL) {
        char here[PATH_CAP];
        path_key(here, path, "id");
        check_unique(ld, here, ld->area_ids, json_object_get(obj, "id"), (json_int_t)index, false);
    }
    (void)get_string(ld, path, obj, "name", &rule_name);
    take_string(ld, obj, "id", &a.id);
    take_string(ld, obj, "name", &a.name);
    size_t mark = mark_start(ld);
    get_limits(ld, path, obj, "patient_weight_kg", &a.weight_kg);
    mark_end(ld, mark, PUMP_F_PATIENT_WEIGHT_KG, &bad);
    mark = mark_start(ld);
    get_limits(ld, path, obj, "patient_bsa_m2", &a.bsa_m2);
    mark_end(ld, mark, PUMP_F_PATIENT_BSA_M2, &bad);
    parse_area_rates(ld, path, obj, &a, &bad);
    if (ld->lib == NULL) {
        check_area_semantics(ld, path, &a, bad);
        return;
    }
    uint32_t added = 0;
    if (pump_library_add_area(ld->lib, &a, &added) != PUMP_OK || added != index) {
        ld->internal = true;
    }
}

static void walk_area(struct loader *ld, const char *path, const json_t *obj, uint32_t index)
{
    if (!json_is_object(obj)) {
        report(ld, path, "must be an object, not %s", oi_json_type_name(obj));
        return;
    }
    parse_area(ld, path, obj, index);
    const json_t *entries = member(ld, path, obj, "entries", false);
    if (entries == NULL) {
        return; /* an area may hold basic infusions only */
    }
    if (!json_is_array(entries)) {
        char here[PATH_CAP];
        path_key(here, path, "entries");
        report(ld, here, "must be an array, not %s", oi_json_type_name(entries));
        return;
    }
    for (size_t i = 0; i < json_array_size(entries) && !ld->internal; i++) {
        char here[PATH_CAP];
        path_index(here, path, "entries", i);
        struct entry_at at = {here, index, i};
        ld->n_entries++;
        walk_entry(ld, &at, json_array_get(entries, i));
    }
}

/* ---- the document ------------------------------------------------------------------------- */

static const char *const top_keys[] = {"format",  "format_version", "library_id",
                                       "version", "care_areas",     NULL};

#define FORMAT_NAME "openinfusion-druglib"

static void check_format(struct loader *ld, const json_t *root)
{
    static const struct str_rule rule_format = {QUOTE_MAX, true, true};
    if (get_string(ld, "", root, "format", &rule_format) == GOT_OK &&
        strcmp(json_string_value(json_object_get(root, "format")), FORMAT_NAME) != 0) {
        report(ld, "format", "must be \"" FORMAT_NAME "\", not \"%s\"",
               json_string_value(json_object_get(root, "format")));
    }
    const json_t *v = member(ld, "", root, "format_version", true);
    struct pump_q q = pump_q_int(0);
    if (v == NULL || check_number(ld, "format_version", v, &q) != GOT_OK) {
        return;
    }
    if (pump_q_cmp(q, pump_q_int(1)) != 0) {
        char num[PUMP_Q_TEXT_MAX];
        report(ld, "format_version", "unsupported version %s: this software reads version 1",
               qtext(q, num, sizeof num));
    }
}

static void walk_library(struct loader *ld, const json_t *root)
{
    if (!json_is_object(root)) {
        report(ld, "", "a drug library must be a JSON object, not %s", oi_json_type_name(root));
        return;
    }
    check_keys(ld, "", root, top_keys);
    check_format(ld, root);
    (void)get_string(ld, "", root, "library_id", &rule_id);
    (void)get_string(ld, "", root, "version", &rule_version);
    if (ld->lib != NULL) {
        take_string(ld, root, "library_id", &ld->lib->library_id);
        take_string(ld, root, "version", &ld->lib->version);
    } else {
        struct pump_str unused;
        take_string(ld, root, "library_id", &unused);
        take_string(ld, root, "version", &unused);
    }
    const json_t *areas = member(ld, "", root, "care_areas", true);
    if (areas == NULL) {
        return;
    }
    if (!json_is_array(areas)) {
        report(ld, "care_areas", "must be an array, not %s", oi_json_type_name(areas));
        return;
    }
    if (json_array_size(areas) == 0U) {
        report(ld, "care_areas", "must list at least one care area");
        return;
    }
    for (size_t i = 0; i < json_array_size(areas) && !ld->internal; i++) {
        char here[PATH_CAP];
        path_index(here, "", "care_areas", i);
        ld->n_areas++;
        walk_area(ld, here, json_array_get(areas, i), (uint32_t)i);
    }
}

/* ---- building ----------------------------------------------------------------------------- */

/* Room for n items of size sz after used bytes, or false on overflow. */
static bool add_size(size_t *used, size_t n, size_t sz)
{
    if (sz != 0U && n > (SIZE_MAX - *used) / sz) {
        return false;
    }
    *used += n * sz;
    return true;
}

/*
 * One block for the whole library: entries, care areas (8-byte aligned structs first), the two
 * slot arrays, then the string pool. Every part's size is a multiple of the next part's
 * alignment, so no padding is needed between them.
 */
static bool alloc_storage(const struct loader *ld, struct pump_library_storage *st, void **block)
{
    uint32_t slots_a = pump_library_slots_for(ld->n_areas);
    uint32_t slots_e = pump_library_slots_for(ld->n_entries);
    size_t strings = ld->string_bytes + 1U; /* never a zero-sized pool */
    size_t off_areas = 0;
    size_t off_slots_a = 0;
    size_t off_slots_e = 0;
    size_t off_strings = 0;
    size_t used = 0;
    bool ok = add_size(&used, ld->n_entries, sizeof(struct pump_entry));
    off_areas = used;
    ok = ok && add_size(&used, ld->n_areas, sizeof(struct pump_care_area));
    off_slots_a = used;
    ok = ok && add_size(&used, slots_a, sizeof(uint32_t));
    off_slots_e = used;
    ok = ok && add_size(&used, slots_e, sizeof(uint32_t));
    off_strings = used;
    ok = ok && add_size(&used, strings, 1U) && strings <= UINT32_MAX;
    void *mem = ok ? malloc(used) : NULL;
    if (mem == NULL) {
        return false;
    }
    unsigned char *base = mem;
    st->entries = mem;
    st->cap_entries = ld->n_entries;
    st->areas = (void *)(base + off_areas);
    st->cap_areas = ld->n_areas;
    st->area_slots = (void *)(base + off_slots_a);
    st->cap_area_slots = slots_a;
    st->entry_slots = (void *)(base + off_slots_e);
    st->cap_entry_slots = slots_e;
    st->strings = (char *)(base + off_strings);
    st->cap_strings = (uint32_t)strings;
    *block = mem;
    return true;
}

/* The building pass over a document the checking pass found clean. */
static bool build(struct loader *ld, const json_t *root, struct oi_druglib *out)
{
    struct pump_library_storage st;
    void *block = NULL;
    if (!alloc_storage(ld, &st, &block)) {
        report(ld, "", "out of memory: the library needs more memory than is available");
        return false;
    }
    if (pump_library_init(&out->lib, &st) != PUMP_OK) {
        free(block);
        report(ld, "", "internal error: the library storage was refused");
        return false;
    }
    ld->lib = &out->lib;
    walk_library(ld, root);
    ld->lib = NULL;
    if (ld->internal || ld->n_problems != 0U || out->lib.n_areas != st.cap_areas ||
        out->lib.n_entries != st.cap_entries) {
        free(block);
        memset(out, 0, sizeof *out);
        report(ld, "", "internal error: the checked library could not be built");
        return false;
    }
    out->storage = block;
    return true;
}

static oi_load_status compile(const json_t *root, struct oi_druglib *out, struct oi_diag *diag)
{
    struct loader ld;
    memset(&ld, 0, sizeof ld);
    ld.diag = diag;
    ld.area_ids = json_object();
    ld.entry_ids = json_object();
    oi_load_status status = OI_LOAD_UNUSABLE;
    size_t diag_start = diag->n;
    size_t dropped_start = diag->n_dropped;
    if (ld.area_ids == NULL || ld.entry_ids == NULL) {
        report(&ld, "", "out of memory while checking the library");
    } else {
        walk_library(&ld, root);
        if (ld.internal) {
            /* Unusable has one reason (oi_json.h): what was found before it is incomplete. */
            diag->n = diag_start;
            diag->n_dropped = dropped_start;
            report(&ld, "", "out of memory or internal error while checking the library");
        } else if (ld.n_problems != 0U) {
            status = OI_LOAD_INVALID;
        } else if (build(&ld, root, out)) {
            status = OI_LOAD_OK;
        } else {
            status = OI_LOAD_UNUSABLE;
        }
    }
    json_decref(ld.area_ids);
    json_decref(ld.entry_ids);
    return status;
}

/* ---- public ------------------------------------------------------------------------------- */

static oi_load_status unusable(struct oi_diag *diag, const char *fmt, ...) OI_PRINTF(2, 3);

static oi_load_status unusable(struct oi_diag *diag, const char *fmt, ...)
{
    struct loader ld;
    memset(&ld, 0, sizeof ld);
    ld.diag = diag;
    va_list ap;
    va_start(ap, fmt);
    vreport(&ld, "", fmt, ap);
    va_end(ap);
    return OI_LOAD_UNUSABLE;
}

/*
 * Most JSON values (objects, arrays, strings, numbers...) a library may hold. jansson spends about
 * 230 bytes on an empty object, so 64 MiB of "{}," would take some 5 GB before a single check
 * runs; this bound keeps the worst case near half a gigabyte. A real library is far below it:
 * the 36-entry sample has about 1,300 values, a 20,000-entry library about 700,000.
 */
#define MAX_JSON_VALUES 2000000U

/* An upper bound of the values jansson would allocate: every container, every string or key
 * and every separator, counted outside strings in one pass over the bytes. */
static bool too_many_values(const char *text, size_t len)
{
    size_t count = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++; /* the escaped character cannot end the string */
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"' || c == '{' || c == '[' || c == ',') {
            in_string = (c == '"');
            if (++count > MAX_JSON_VALUES) {
                return true;
            }
        }
    }
    return false;
}

oi_load_status oi_druglib_load_text(const char *text, size_t len, struct oi_druglib *out,
                                    struct oi_diag *diag)
{
    if (diag == NULL) {
        return OI_LOAD_UNUSABLE;
    }
    if (out == NULL) {
        return unusable(diag, "internal error: no place to put the library");
    }
    memset(out, 0, sizeof *out);
    if (text == NULL && len != 0U) {
        return unusable(diag, "internal error: no text to read");
    }
    if (len > (size_t)OI_DRUGLIB_MAX_BYTES) {
        return unusable(diag, "the library is %zu bytes; the limit is %u bytes", len,
                        OI_DRUGLIB_MAX_BYTES);
    }
    if (too_many_values(text, len)) {
        return unusable(diag,
                        "the library holds more than %u JSON values, far more than any drug "
                        "library needs",
                        MAX_JSON_VALUES);
    }
    json_error_t err;
    /* Duplicate keys are refused: which of two "hard_max" values counts is not a guess to make.
     * NUL is allowed by the parser only so that the check names the field it appears in. */
    json_t *root =
        json_loadb(text != NULL ? text : "", len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
    if (root == NULL) {
        char text_ok[JSON_ERROR_TEXT_LENGTH + 4];
        return unusable(diag, "line %d, column %d: %s", err.line, err.column,
                        oi__printable(err.text, strnlen(err.text, sizeof err.text), sizeof err.text,
                                  text_ok, sizeof text_ok));
    }
    oi_load_status st = compile(root, out, diag);
    json_decref(root);
    return st;
}

/* Thread-safe strerror (the server loads libraries from worker threads). */
static const char *error_text(int err, char *buf, size_t cap)
{
    if (strerror_r(err, buf, cap) != 0) {
        if (snprintf(buf, cap, "error %d", err) < 0) {
            buf[0] = '\0';
        }
    }
    return buf;
}

/* The whole file, of the size fstat reported; false with errno set, or EFBIG when it grew. */
static bool read_all(int fd, char *buf, size_t size)
{
    size_t got = 0;
    while (got <= size) {
        /* One byte more than expected is read on purpose: it detects a file that grew. */
        size_t want = (got < size) ? size - got : 1U;
        char extra = '\0';
        char *dst = (got < size) ? buf + got : &extra;
        ssize_t n = read(fd, dst, want);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    if (got != size) {
        errno = (got > size) ? EFBIG : EIO; /* changed while being read: do not guess */
        return false;
    }
    return true;
}

#define QUOTED_FILE_MAX 150

/* name: the file name made printable, for messages. */
static oi_load_status load_fd(int fd, const char *name, struct oi_druglib *out,
                              struct oi_diag *diag)
{
    char why[128];
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        return unusable(diag, "cannot read \"%s\": %s", name, error_text(errno, why, sizeof why));
    }
    /* A directory, FIFO or device has no trustworthy size and could block or never end. */
    if (!S_ISREG(sb.st_mode)) {
        return unusable(diag, "cannot read \"%s\": not a regular file", name);
    }
    if (sb.st_size < 0 || (uintmax_t)sb.st_size > (uintmax_t)OI_DRUGLIB_MAX_BYTES) {
        return unusable(diag, "\"%s\" is %jd bytes; the limit is %u bytes", name,
                        (intmax_t)sb.st_size, OI_DRUGLIB_MAX_BYTES);
    }
    size_t size = (size_t)sb.st_size;
    char *buf = malloc(size + 1U);
    if (buf == NULL) {
        return unusable(diag, "cannot read \"%s\": out of memory", name);
    }
    if (!read_all(fd, buf, size)) {
        int e = errno;
        free(buf);
        return unusable(diag, "cannot read \"%s\": %s", name,
                        e == EFBIG ? "the file changed while it was read"
                                   : error_text(e, why, sizeof why));
    }
    oi_load_status st = oi_druglib_load_text(buf, size, out, diag);
    free(buf);
    return st;
}

oi_load_status oi_druglib_load_file(const char *path, struct oi_druglib *out, struct oi_diag *diag)
{
    if (diag == NULL) {
        return OI_LOAD_UNUSABLE;
    }
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    if (path == NULL || out == NULL) {
        return unusable(diag, "internal error: no file name or no place to put the library");
    }
    char name[QUOTED_FILE_MAX + 4];
    (void)oi__printable(path, strlen(path), QUOTED_FILE_MAX, name, sizeof name);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused after fstat. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        char why[128];
        return unusable(diag, "cannot open \"%s\": %s", name, error_text(errno, why, sizeof why));
    }
    oi_load_status st = load_fd(fd, name, out, diag);
    /* Read-only descriptor: the content was complete before close, whatever close says. */
    (void)close(fd);
    return st;
}

void oi_druglib_free(struct oi_druglib *dl)
{
    if (dl == NULL) {
        return;
    }
    free(dl->storage);
    memset(dl, 0, sizeof *dl);
}

void oi_diag_free(struct oi_diag *diag)
{
    if (diag == NULL) {
        return;
    }
    free(diag->items);
    memset(diag, 0, sizeof *diag);
}
