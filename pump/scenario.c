/*
 * scenario.c - scenario files to an in-memory step list. Contract: see scenario.h; the format is
 * docs/scenario-format.md.
 *
 * Strict like the library loader: unknown keys are errors (a typo in "tolerance_ml" must not
 * silently turn a check off), "x-" keys are free for comments and tools, and the first problem
 * stops the parse with its place named.
 */
#include "scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "oi_json.h"

#if defined(__GNUC__)
#define SCN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SCN_PRINTF(f, a)
#endif

#define NL_PER_UL 1000
#define NL_PER_ML 1000000

static const char *const action_names[SCN_COUNT] = {
    [SCN_PROGRAM] = "program",
    [SCN_CONFIRM] = "confirm",
    [SCN_DECLINE] = "decline",
    [SCN_START] = "start",
    [SCN_TITRATE] = "titrate",
    [SCN_BOLUS] = "bolus",
    [SCN_SECONDARY] = "secondary",
    [SCN_PCA_DEMAND] = "pca_demand",
    [SCN_CLINICIAN_BOLUS] = "clinician_bolus",
    [SCN_PAUSE] = "pause",
    [SCN_RESUME] = "resume",
    [SCN_STOP] = "stop",
    [SCN_ACKNOWLEDGE] = "acknowledge",
    [SCN_SILENCE] = "silence",
    [SCN_FAULT] = "fault",
    [SCN_CLEAR] = "clear",
    [SCN_POWER_LOSS] = "power_loss",
    [SCN_EXPECT] = "expect",
};

/* Keys each action accepts besides "at"/"at_ms"/"after", "do" and "note". */
static const char *const action_keys[SCN_COUNT][16] = {
    [SCN_PROGRAM] = {"program"},
    [SCN_CONFIRM] = {"reason", "reason_text"},
    [SCN_DECLINE] = {NULL},
    [SCN_START] = {NULL},
    [SCN_TITRATE] = {"program", "reason", "reason_text"},
    [SCN_BOLUS] = {"program", "reason", "reason_text"},
    [SCN_SECONDARY] = {"program", "reason", "reason_text"},
    [SCN_PCA_DEMAND] = {NULL},
    [SCN_CLINICIAN_BOLUS] = {"program", "reason", "reason_text"},
    [SCN_PAUSE] = {NULL},
    [SCN_RESUME] = {NULL},
    [SCN_STOP] = {NULL},
    [SCN_ACKNOWLEDGE] = {"alarm"},
    [SCN_SILENCE] = {"alarm"},
    [SCN_FAULT] = {"fault", "bubble_ul", "count", "spacing_ul", "distance_ul", "pct"},
    [SCN_CLEAR] = {"fault"},
    [SCN_POWER_LOSS] = {"restore_after", "restore_after_ms"},
    [SCN_EXPECT] = {"status", "state", "alarms", "alarm", "no_alarm", "rate_ml_h", "rate_tolerance_ml_h",
                    "volume_ml", "tolerance_ml", "unintended_bolus_max_ml", "event", "no_event",
                    "since", "since_ms"},
};

const char *scenario_action_str(scenario_action a)
{
    if ((unsigned)a >= (unsigned)SCN_COUNT) {
        return "?";
    }
    return action_names[a];
}

/* ---- errors ----------------------------------------------------------------------------------- */

struct parser {
    struct scenario *sc;
    struct scenario_error *err;
    const json_t *patient_weight;
    const json_t *patient_bsa;
    char where[96]; /* "steps[3] (at 10s)" or "hardware" */
};

static bool fail(struct parser *p, const char *fmt, ...) SCN_PRINTF(2, 3);

static bool fail(struct parser *p, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    /* A cut sentence is still the right sentence. */
    (void)vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (p->where[0] != '\0') {
        (void)snprintf(p->err->msg, sizeof p->err->msg, "%s: %s", p->where, what);
    } else {
        (void)snprintf(p->err->msg, sizeof p->err->msg, "%s", what);
    }
    return false;
}

/* Text from the file fit to quote in a message: printable ASCII, cut at 40 bytes. */
static const char *quote(const char *s, char *buf, size_t cap)
{
    size_t i;
    size_t n = 0;
    for (i = 0; s[i] != '\0' && n + 4 < cap && i < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[n] = (c >= 0x20 && c < 0x7F && c != '"') ? (char)c : '?';
        n++;
    }
    if (s[i] != '\0') {
        buf[n] = '.';
        buf[n + 1] = '.';
        buf[n + 2] = '.';
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

/* ---- durations -------------------------------------------------------------------------------- */

bool scenario_parse_duration(const char *text, uint64_t *out_ms)
{
    uint64_t total = 0;
    const char *s = text;
    if (*s == '\0') {
        return false;
    }
    while (*s != '\0') {
        uint64_t n = 0;
        uint64_t unit;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            if (n > SCENARIO_MAX_TIME_MS) {
                return false;
            }
            n = n * 10U + (uint64_t)(*s - '0');
            s++;
            digits++;
        }
        if (digits == 0) {
            return false;
        }
        if (s[0] == 'm' && s[1] == 's') {
            unit = 1;
            s += 2;
        } else if (*s == 's') {
            unit = 1000;
            s++;
        } else if (*s == 'm') {
            unit = 60000;
            s++;
        } else if (*s == 'h') {
            unit = 3600000;
            s++;
        } else if (*s == 'd') {
            unit = 86400000;
            s++;
        } else {
            return false;
        }
        if (n > SCENARIO_MAX_TIME_MS / unit || total + n * unit > SCENARIO_MAX_TIME_MS) {
            return false;
        }
        total += n * unit;
    }
    *out_ms = total;
    return true;
}

const char *scenario_time_str(uint64_t ms, char *buf, size_t cap)
{
    uint64_t h = ms / 3600000U;
    uint64_t m = (ms / 60000U) % 60U;
    uint64_t s = (ms / 1000U) % 60U;
    uint64_t r = ms % 1000U;
    size_t n = 0;
    int w;
    buf[0] = '\0';
    if (ms == 0) {
        (void)snprintf(buf, cap, "0s");
        return buf;
    }
    if (h > 0) {
        w = snprintf(buf + n, cap - n, "%lluh", (unsigned long long)h);
        n += (w > 0 && (size_t)w < cap - n) ? (size_t)w : 0;
    }
    if (m > 0) {
        w = snprintf(buf + n, cap - n, "%llum", (unsigned long long)m);
        n += (w > 0 && (size_t)w < cap - n) ? (size_t)w : 0;
    }
    if (s > 0) {
        w = snprintf(buf + n, cap - n, "%llus", (unsigned long long)s);
        n += (w > 0 && (size_t)w < cap - n) ? (size_t)w : 0;
    }
    if (r > 0) {
        (void)snprintf(buf + n, cap - n, "%llums", (unsigned long long)r);
    }
    return buf;
}

/* ---- typed getters ---------------------------------------------------------------------------- */

static bool get_string(struct parser *p, const json_t *obj, const char *key, bool required,
                       const char **out)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL) {
        if (required) {
            return fail(p, "\"%s\" is missing", key);
        }
        return true;
    }
    if (!json_is_string(v)) {
        return fail(p, "\"%s\" must be a string, not %s", key, oi_json_type_name(v));
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        return fail(p, "\"%s\" must not contain a NUL character", key);
    }
    *out = json_string_value(v);
    return true;
}

/* A whole number 0..max. */
static bool get_uint(struct parser *p, const json_t *obj, const char *key, uint64_t max,
                     bool *present, uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    json_int_t n;
    *present = false;
    if (v == NULL) {
        return true;
    }
    if (!json_is_integer(v)) {
        return fail(p, "\"%s\" must be a whole number, not %s", key, oi_json_type_name(v));
    }
    n = json_integer_value(v);
    if (n < 0 || (uint64_t)n > max) {
        return fail(p, "\"%s\" must be between 0 and %llu", key, (unsigned long long)max);
    }
    *present = true;
    *out = (uint64_t)n;
    return true;
}

static bool get_bool(struct parser *p, const json_t *obj, const char *key, bool *present,
                     bool *out)
{
    const json_t *v = json_object_get(obj, key);
    *present = false;
    if (v == NULL) {
        return true;
    }
    if (!json_is_boolean(v)) {
        return fail(p, "\"%s\" must be true or false, not %s", key, oi_json_type_name(v));
    }
    *present = true;
    *out = json_is_true(v);
    return true;
}

/* An exact non-negative number. */
static bool get_q(struct parser *p, const json_t *obj, const char *key, bool *present,
                  struct pump_q *out)
{
    const json_t *v = json_object_get(obj, key);
    *present = false;
    if (v == NULL) {
        return true;
    }
    if (!json_is_number(v)) {
        return fail(p, "\"%s\" must be a number, not %s", key, oi_json_type_name(v));
    }
    if (!oi_json_number_to_q(v, out)) {
        return fail(p, "\"%s\" is too large or too precise", key);
    }
    if (pump_q_sign(*out) < 0) {
        return fail(p, "\"%s\" must not be negative", key);
    }
    *present = true;
    return true;
}

/* q x scale as a whole number (nanolitres from microlitres ...), exactly. */
static bool q_scaled_u64(struct pump_q q, int64_t scale, uint64_t *out)
{
    struct pump_q r;
    if (pump_q_mul(q, pump_q_int(scale), &r) != PUMP_OK || r.den == 0 || r.num % r.den != 0 ||
        r.num < 0) {
        return false;
    }
    *out = (uint64_t)(r.num / r.den);
    return true;
}

static bool get_scaled(struct parser *p, const json_t *obj, const char *key, int64_t scale,
                       const char *unit_name, bool *present, uint64_t *out)
{
    struct pump_q q;
    if (!get_q(p, obj, key, present, &q)) {
        return false;
    }
    if (*present && !q_scaled_u64(q, scale, out)) {
        return fail(p, "\"%s\" must be a whole number of %s", key, unit_name);
    }
    return true;
}

static bool get_duration(struct parser *p, const json_t *obj, const char *key_text,
                         const char *key_ms, bool *present, uint64_t *out)
{
    const char *text = NULL;
    bool has_ms = false;
    uint64_t ms = 0;
    char qb[64];
    *present = false;
    if (!get_string(p, obj, key_text, false, &text) ||
        !get_uint(p, obj, key_ms, SCENARIO_MAX_TIME_MS, &has_ms, &ms)) {
        return false;
    }
    if (text != NULL && has_ms) {
        return fail(p, "give \"%s\" or \"%s\", not both", key_text, key_ms);
    }
    if (text != NULL) {
        if (!scenario_parse_duration(text, &ms)) {
            return fail(p, "\"%s\": \"%s\" is not a duration such as \"90s\", \"2m\", "
                           "\"1h30m\", \"250ms\"", key_text, quote(text, qb, sizeof qb));
        }
        *present = true;
        *out = ms;
        return true;
    }
    if (has_ms) {
        *present = true;
        *out = ms;
    }
    return true;
}

/* Every key of obj is in allowed (NULL-terminated lists, up to two) or starts with "x-". */
static bool only_keys(struct parser *p, const json_t *obj, const char *const *a,
                      const char *const *b, const char *what)
{
    const char *key;
    const json_t *v;
    char qb[64];
    json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
        bool ok = strncmp(key, "x-", 2) == 0;
        size_t i;
        for (i = 0; !ok && a != NULL && a[i] != NULL; i++) {
            ok = strcmp(key, a[i]) == 0;
        }
        for (i = 0; !ok && b != NULL && i < 16 && b[i] != NULL; i++) {
            ok = strcmp(key, b[i]) == 0;
        }
        (void)v;
        if (!ok) {
            return fail(p, "unknown key \"%s\" in %s", quote(key, qb, sizeof qb), what);
        }
    }
    return true;
}

/* ---- steps ------------------------------------------------------------------------------------ */

static bool parse_program(struct parser *p, json_t *step, struct scenario_step *st)
{
    json_t *prog = json_object_get(step, "program");
    char perr[256];
    if (prog == NULL) {
        return fail(p, "\"program\" is missing");
    }
    if (!json_is_object(prog)) {
        return fail(p, "\"program\" must be an object (ders-rules.md), not %s", oi_json_type_name(prog));
    }
    /* The pump knows its care area and the patient: a program that leaves them out gets them, as
     * the nurse would not type them again. */
    if (json_object_get(prog, "care_area") == NULL && p->sc->care_area != NULL &&
        json_object_set_new(prog, "care_area", json_string(p->sc->care_area)) != 0) {
        return fail(p, "out of memory");
    }
    if (json_object_get(prog, "weight_kg") == NULL && p->patient_weight != NULL &&
        json_object_set(prog, "weight_kg", (json_t *)(uintptr_t)p->patient_weight) != 0) {
        return fail(p, "out of memory");
    }
    if (json_object_get(prog, "bsa_m2") == NULL && p->patient_bsa != NULL &&
        json_object_set(prog, "bsa_m2", (json_t *)(uintptr_t)p->patient_bsa) != 0) {
        return fail(p, "out of memory");
    }
    perr[0] = '\0';
    if (!oi_program_from_json(prog, &st->prog, perr, sizeof perr)) {
        return fail(p, "the program does not parse: %s", perr);
    }
    return true;
}

static bool parse_fault(struct parser *p, const json_t *step, struct scenario_step *st)
{
    const char *name = NULL;
    hal_fault_kind kind;
    bool has = false;
    uint64_t v = 0;
    char qb[64];

    if (!get_string(p, step, "fault", true, &name)) {
        return false;
    }
    if (!hal_fault_kind_parse(name, &kind)) {
        return fail(p, "unknown fault \"%s\" (occlusion_downstream, occlusion_upstream, air, "
                       "container_empty, battery, mains_lost, door_open, stall)",
                    quote(name, qb, sizeof qb));
    }
    memset(&st->fault, 0, sizeof st->fault);
    st->fault.kind = (uint8_t)kind;
    st->fault.clear = (st->action == SCN_CLEAR);
    if (st->fault.clear) {
        if (kind == HAL_FAULT_BATTERY) {
            return fail(p, "\"battery\" cannot be cleared: inject it again with another \"pct\"");
        }
        return true;
    }
    if (kind != HAL_FAULT_AIR) {
        const char *const stray[] = {"bubble_ul", "count", "spacing_ul", "distance_ul", NULL};
        size_t i;
        for (i = 0; stray[i] != NULL; i++) {
            if (json_object_get(step, stray[i]) != NULL) {
                return fail(p, "\"%s\" belongs to the fault \"air\" only", stray[i]);
            }
        }
    }
    if (kind != HAL_FAULT_BATTERY && json_object_get(step, "pct") != NULL) {
        return fail(p, "\"pct\" belongs to the fault \"battery\" only");
    }
    if (kind == HAL_FAULT_BATTERY) {
        if (!get_uint(p, step, "pct", 100, &has, &v)) {
            return false;
        }
        if (!has) {
            return fail(p, "the fault \"battery\" needs \"pct\" (the charge left, 0..100)");
        }
        st->fault.pct = (uint32_t)v;
    }
    if (kind == HAL_FAULT_AIR) {
        if (!get_scaled(p, step, "bubble_ul", NL_PER_UL, "nanolitres", &has, &v)) {
            return false;
        }
        if (!has || v == 0 || v > UINT32_MAX) {
            return fail(p, "the fault \"air\" needs \"bubble_ul\" (above 0, at most 4000000)");
        }
        st->fault.bubble_nl = (uint32_t)v;
        st->fault.count = 1;
        if (!get_uint(p, step, "count", HAL_SIM_MAX_BUBBLES, &has, &v)) {
            return false;
        }
        if (has) {
            st->fault.count = (uint32_t)v;
        }
        if (!get_scaled(p, step, "spacing_ul", NL_PER_UL, "nanolitres", &has,
                        &st->fault.spacing_nl) ||
            !get_scaled(p, step, "distance_ul", NL_PER_UL, "nanolitres", &has,
                        &st->fault.distance_nl)) {
            return false;
        }
    }
    return true;
}

static bool parse_alarm_list(struct parser *p, const json_t *arr, struct scenario_expect *ex)
{
    size_t i;
    const json_t *v;
    char qb[64];
    if (!json_is_array(arr)) {
        return fail(p, "\"alarms\" must be an array of alarm names, not %s", oi_json_type_name(arr));
    }
    ex->has_alarms = true;
    ex->n_alarms = json_array_size(arr);
    if (ex->n_alarms == 0) {
        return true;
    }
    ex->alarms = calloc(ex->n_alarms, sizeof *ex->alarms);
    if (ex->alarms == NULL) {
        return fail(p, "out of memory");
    }
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v)) {
            return fail(p, "\"alarms\"[%zu] must be a string, not %s", i, oi_json_type_name(v));
        }
        if (!names_alarm_known(json_string_value(v))) {
            return fail(p, "\"alarms\"[%zu]: unknown alarm \"%s\"", i,
                        quote(json_string_value(v), qb, sizeof qb));
        }
        ex->alarms[i] = json_string_value(v);
    }
    return true;
}

static bool parse_event_match(struct parser *p, const json_t *step, const char *key,
                              const json_t **out)
{
    const json_t *m = json_object_get(step, key);
    const char *k;
    const json_t *v;
    char qb[64];
    if (m == NULL) {
        return true;
    }
    if (!json_is_object(m) || json_object_size(m) == 0) {
        return fail(p, "\"%s\" must be an object of event fields to match, such as "
                       "{\"type\": \"alarm_raised\"}", key);
    }
    json_object_foreach((json_t *)(uintptr_t)m, k, v) {
        if (json_is_object(v) || json_is_array(v)) {
            return fail(p, "\"%s\".\"%s\" must be a string, number, true, false or null", key,
                        quote(k, qb, sizeof qb));
        }
    }
    v = json_object_get(m, "type");
    if (v != NULL && (!json_is_string(v) || !names_event_type_known(json_string_value(v)))) {
        return fail(p, "\"%s\": unknown event type%s%s", key, json_is_string(v) ? " " : "",
                    json_is_string(v) ? quote(json_string_value(v), qb, sizeof qb) : "");
    }
    *out = m;
    return true;
}

static bool parse_expect(struct parser *p, const json_t *step, struct scenario_step *st)
{
    struct scenario_expect *ex = &st->expect;
    const json_t *alarms = json_object_get(step, "alarms");
    char qb[64];
    bool has = false;

    if (!get_string(p, step, "status", false, &ex->status) ||
        !get_string(p, step, "state", false, &ex->state) ||
        !get_string(p, step, "alarm", false, &ex->alarm) ||
        !get_string(p, step, "no_alarm", false, &ex->no_alarm)) {
        return false;
    }
    if (ex->status != NULL && !names_status_known(ex->status)) {
        return fail(p, "unknown status \"%s\" (ok, invalid, refused, blocked, need_reason, "
                       "denied, not_ready, time, internal)", quote(ex->status, qb, sizeof qb));
    }
    if (ex->state != NULL && !names_state_known(ex->state)) {
        return fail(p, "unknown state \"%s\"", quote(ex->state, qb, sizeof qb));
    }
    if (ex->alarm != NULL && !names_alarm_known(ex->alarm)) {
        return fail(p, "unknown alarm \"%s\"", quote(ex->alarm, qb, sizeof qb));
    }
    if (ex->no_alarm != NULL && !names_alarm_known(ex->no_alarm)) {
        return fail(p, "unknown alarm \"%s\"", quote(ex->no_alarm, qb, sizeof qb));
    }
    if (alarms != NULL && !parse_alarm_list(p, alarms, ex)) {
        return false;
    }
    if (!get_q(p, step, "rate_ml_h", &ex->has_rate, &ex->rate_ml_h) ||
        !get_q(p, step, "rate_tolerance_ml_h", &has, &ex->rate_tolerance_ml_h) ||
        !get_q(p, step, "volume_ml", &ex->has_volume, &ex->volume_ml) ||
        !get_q(p, step, "tolerance_ml", &ex->has_tolerance, &ex->tolerance_ml) ||
        !get_q(p, step, "unintended_bolus_max_ml", &ex->has_bolus_max,
               &ex->unintended_bolus_max_ml)) {
        return false;
    }
    if (!has) {
        ex->rate_tolerance_ml_h = pump_q_int(0);
    }
    if (ex->has_tolerance && !ex->has_volume) {
        return fail(p, "\"tolerance_ml\" without \"volume_ml\"");
    }
    if (!parse_event_match(p, step, "event", &ex->event) ||
        !parse_event_match(p, step, "no_event", &ex->no_event) ||
        !get_duration(p, step, "since", "since_ms", &ex->has_since, &ex->since_ms)) {
        return false;
    }
    if (ex->has_since && ex->event == NULL && ex->no_event == NULL) {
        return fail(p, "\"since\" goes with \"event\" or \"no_event\"");
    }
    if (json_object_size(step) <= 2 ||
        (ex->status == NULL && ex->state == NULL && !ex->has_alarms && ex->alarm == NULL && ex->no_alarm == NULL &&
         !ex->has_rate && !ex->has_volume && !ex->has_bolus_max && ex->event == NULL &&
         ex->no_event == NULL)) {
        return fail(p, "an \"expect\" step must check something (status, state, alarms, alarm, "
                       "no_alarm, rate_ml_h, volume_ml, unintended_bolus_max_ml, event, "
                       "no_event)");
    }
    return true;
}

/* An override reason (confirm, and the commands confirmed with themselves). */
static bool parse_reason(struct parser *p, const json_t *step, struct scenario_step *st)
{
    char qb[64];
    if (!get_string(p, step, "reason", false, &st->reason) ||
        !get_string(p, step, "reason_text", false, &st->reason_text)) {
        return false;
    }
    if (st->reason != NULL && !names_reason_known(st->reason)) {
        return fail(p, "unknown override reason \"%s\" (order_verified, patient_condition, "
                       "protocol, titration_order, other)", quote(st->reason, qb, sizeof qb));
    }
    if (st->reason_text != NULL && strlen(st->reason_text) > PUMP_REASON_TEXT_MAX) {
        return fail(p, "\"reason_text\" is longer than %u bytes", PUMP_REASON_TEXT_MAX);
    }
    if (st->reason_text != NULL && st->reason == NULL) {
        return fail(p, "\"reason_text\" needs a \"reason\" (use \"other\")");
    }
    return true;
}

static bool parse_action(struct parser *p, json_t *step, struct scenario_step *st)
{
    char qb[64];
    switch ((scenario_action)st->action) {
    case SCN_PROGRAM:
        return parse_program(p, step, st);
    case SCN_TITRATE:
    case SCN_BOLUS:
    case SCN_SECONDARY:
    case SCN_CLINICIAN_BOLUS:
        return parse_program(p, step, st) && parse_reason(p, step, st);
    case SCN_CONFIRM:
        return parse_reason(p, step, st);
    case SCN_ACKNOWLEDGE:
    case SCN_SILENCE:
        if (!get_string(p, step, "alarm", true, &st->alarm)) {
            return false;
        }
        if (!names_alarm_known(st->alarm)) {
            return fail(p, "unknown alarm \"%s\"", quote(st->alarm, qb, sizeof qb));
        }
        return true;
    case SCN_FAULT:
    case SCN_CLEAR:
        return parse_fault(p, step, st);
    case SCN_POWER_LOSS:
        return get_duration(p, step, "restore_after", "restore_after_ms", &st->has_restore,
                            &st->restore_after_ms);
    case SCN_EXPECT:
        return parse_expect(p, step, st);
    case SCN_DECLINE:
    case SCN_START:
    case SCN_PCA_DEMAND:
    case SCN_PAUSE:
    case SCN_RESUME:
    case SCN_STOP:
        return true;
    case SCN_COUNT:
    default:
        return fail(p, "internal error: action %u", (unsigned)st->action);
    }
}

static bool parse_step(struct parser *p, json_t *step, size_t i, uint64_t *prev_ms)
{
    static const char *const common[] = {"at", "at_ms", "after", "do", "note", NULL};
    struct scenario_step *st = &p->sc->steps[i];
    const char *action = NULL;
    const char *after = NULL;
    bool has_at = false;
    uint64_t at = 0;
    unsigned a;
    char tb[32];
    char tb2[32];
    char qb[64];

    memset(st, 0, sizeof *st);
    st->index = (uint32_t)i;
    (void)snprintf(p->where, sizeof p->where, "steps[%zu]", i);
    if (!json_is_object(step)) {
        return fail(p, "a step must be an object, not %s", oi_json_type_name(step));
    }
    if (!get_string(p, step, "do", true, &action) ||
        !get_duration(p, step, "at", "at_ms", &has_at, &at) ||
        !get_string(p, step, "after", false, &after) ||
        !get_string(p, step, "note", false, &st->note)) {
        return false;
    }
    if (after != NULL) {
        uint64_t d = 0;
        if (has_at) {
            return fail(p, "give \"at\"/\"at_ms\" or \"after\", not both");
        }
        if (!scenario_parse_duration(after, &d) || *prev_ms + d > SCENARIO_MAX_TIME_MS) {
            return fail(p, "\"after\": \"%s\" is not a duration such as \"90s\", \"1h30m\"",
                        quote(after, qb, sizeof qb));
        }
        at = *prev_ms + d;
        has_at = true;
    }
    if (!has_at) {
        return fail(p, "the step has no time: give \"at\" (\"1h30m\"), \"at_ms\" or \"after\"");
    }
    (void)snprintf(p->where, sizeof p->where, "steps[%zu] (at %s)", i,
                   scenario_time_str(at, tb, sizeof tb));
    if (at < *prev_ms) {
        return fail(p, "times out of order: this step is before the previous one (at %s)",
                    scenario_time_str(*prev_ms, tb2, sizeof tb2));
    }
    st->at_ms = at;
    *prev_ms = at;
    for (a = 0; a < (unsigned)SCN_COUNT; a++) {
        if (strcmp(action, action_names[a]) == 0) {
            break;
        }
    }
    if (a == (unsigned)SCN_COUNT) {
        return fail(p, "unknown action \"%s\" (program, confirm, decline, start, titrate, bolus, "
                       "secondary, pca_demand, clinician_bolus, pause, resume, stop, "
                       "acknowledge, silence, fault, clear, power_loss, expect)",
                    quote(action, qb, sizeof qb));
    }
    st->action = (uint8_t)a;
    (void)snprintf(p->where, sizeof p->where, "steps[%zu] (at %s, %s)", i,
                   scenario_time_str(at, tb, sizeof tb), action_names[a]);
    if (!only_keys(p, step, common, action_keys[a], "this step")) {
        return false;
    }
    return parse_action(p, step, st);
}

/* ---- top level -------------------------------------------------------------------------------- */

static bool parse_patient(struct parser *p, const json_t *root)
{
    static const char *const keys[] = {"id", "weight_kg", "bsa_m2", NULL};
    const json_t *pat = json_object_get(root, "patient");
    const json_t *v;
    if (pat == NULL) {
        return true;
    }
    (void)snprintf(p->where, sizeof p->where, "patient");
    if (!json_is_object(pat)) {
        return fail(p, "must be an object, not %s", oi_json_type_name(pat));
    }
    if (!only_keys(p, pat, keys, NULL, "\"patient\"") ||
        !get_string(p, pat, "id", false, &p->sc->patient_id)) {
        return false;
    }
    v = json_object_get(pat, "weight_kg");
    if (v != NULL && !json_is_number(v)) {
        return fail(p, "\"weight_kg\" must be a number, not %s", oi_json_type_name(v));
    }
    p->patient_weight = v;
    v = json_object_get(pat, "bsa_m2");
    if (v != NULL && !json_is_number(v)) {
        return fail(p, "\"bsa_m2\" must be a number, not %s", oi_json_type_name(v));
    }
    p->patient_bsa = v;
    return true;
}

static bool get_u32(struct parser *p, const json_t *obj, const char *key, uint64_t max,
                    uint32_t *out)
{
    bool has = false;
    uint64_t v = 0;
    if (!get_uint(p, obj, key, max, &has, &v)) {
        return false;
    }
    if (has) {
        *out = (uint32_t)v;
    }
    return true;
}

static bool parse_hardware(struct parser *p, const json_t *root)
{
    static const char *const keys[] = {
        "tick_ms", "idle_tick_ms", "step_nl", "max_rate_ml_h", "container_ml", "battery_pct",
        "battery_capacity_mah", "on_mains", "noise_mmhg", "compliance_down_nl_per_mmhg",
        "drain_tau_ms", "base_down_mmhg", NULL};
    struct scenario_hw *hw = &p->sc->hw;
    const json_t *o = json_object_get(root, "hardware");
    bool has = false;
    uint64_t v = 0;

    hal_sim_config_default(&hw->sim);
    hw->tick_ms = 100;
    hw->idle_tick_ms = 1000;
    if (o == NULL) {
        return true;
    }
    (void)snprintf(p->where, sizeof p->where, "hardware");
    if (!json_is_object(o)) {
        return fail(p, "must be an object, not %s", oi_json_type_name(o));
    }
    if (!only_keys(p, o, keys, NULL, "\"hardware\"")) {
        return false;
    }
    if (!get_uint(p, o, "tick_ms", 3600000, &has, &v)) {
        return false;
    }
    if (has) {
        if (v == 0) {
            return fail(p, "\"tick_ms\" must be above 0");
        }
        hw->tick_ms = v;
    }
    if (!get_uint(p, o, "idle_tick_ms", 3600000, &has, &v)) {
        return false;
    }
    if (has) {
        hw->idle_tick_ms = v; /* below tick_ms means tick_ms */
    }
    if (!get_u32(p, o, "step_nl", 1000000, &hw->sim.step_nl)) {
        return false;
    }
    if (hw->sim.step_nl == 0) {
        return fail(p, "\"step_nl\" must be above 0");
    }
    if (!get_scaled(p, o, "max_rate_ml_h", NL_PER_ML, "nanolitres per hour", &has, &v)) {
        return false;
    }
    if (has) {
        if (v == 0 || v > 100000ULL * NL_PER_ML) {
            return fail(p, "\"max_rate_ml_h\" must be above 0 and at most 100000");
        }
        hw->sim.max_rate_nl_per_h = v;
    }
    if (!get_scaled(p, o, "container_ml", NL_PER_ML, "nanolitres", &has, &hw->sim.container_nl) ||
        !get_u32(p, o, "battery_pct", 100, &hw->sim.battery_pct) ||
        !get_uint(p, o, "battery_capacity_mah", 1000000, &has, &v)) {
        return false;
    }
    if (has) {
        if (v == 0) {
            return fail(p, "\"battery_capacity_mah\" must be above 0");
        }
        hw->sim.battery_capacity_uah = v * 1000U;
    }
    if (!get_bool(p, o, "on_mains", &has, &hw->sim.on_mains) ||
        !get_u32(p, o, "noise_mmhg", 100, &hw->sim.noise_mmhg) ||
        !get_u32(p, o, "compliance_down_nl_per_mmhg", 1000000,
                 &hw->sim.compliance_down_nl_per_mmhg) ||
        !get_u32(p, o, "drain_tau_ms", 3600000, &hw->sim.drain_tau_ms) ||
        !get_uint(p, o, "base_down_mmhg", 1000, &has, &v)) {
        return false;
    }
    if (has) {
        hw->sim.base_down_mmhg = (int32_t)v;
    }
    if (hw->sim.compliance_down_nl_per_mmhg == 0) {
        return fail(p, "\"compliance_down_nl_per_mmhg\" must be above 0");
    }
    return true;
}

static bool parse_top(struct parser *p, json_t *root)
{
    static const char *const keys[] = {"format", "format_version", "name", "description",
                                       "library", "pump_id", "seed", "patient", "care_area",
                                       "hardware", "end_at", "end_at_ms", "steps", NULL};
    struct scenario *sc = p->sc;
    const char *format = NULL;
    const json_t *ver;
    const json_t *steps;
    bool has = false;
    uint64_t end = 0;
    uint64_t prev = 0;
    size_t i;

    if (!json_is_object(root)) {
        return fail(p, "a scenario must be a JSON object, not %s", oi_json_type_name(root));
    }
    if (!only_keys(p, root, keys, NULL, "the scenario") ||
        !get_string(p, root, "format", true, &format)) {
        return false;
    }
    if (strcmp(format, "openinfusion-scenario") != 0) {
        return fail(p, "\"format\" must be \"openinfusion-scenario\"");
    }
    ver = json_object_get(root, "format_version");
    if (ver == NULL || !json_is_integer(ver) || json_integer_value(ver) != 1) {
        return fail(p, "\"format_version\" must be 1");
    }
    if (!get_string(p, root, "name", false, &sc->name) ||
        !get_string(p, root, "library", false, &sc->library) ||
        !get_string(p, root, "pump_id", false, &sc->pump_id) ||
        !get_string(p, root, "care_area", true, &sc->care_area) ||
        !get_uint(p, root, "seed", UINT64_MAX >> 1, &has, &sc->seed) ||
        !get_duration(p, root, "end_at", "end_at_ms", &has, &end)) {
        return false;
    }
    if (json_object_get(root, "description") != NULL &&
        !json_is_string(json_object_get(root, "description"))) {
        return fail(p, "\"description\" must be a string");
    }
    if (sc->pump_id == NULL) {
        sc->pump_id = "SIM-0001";
    }
    if (strlen(sc->pump_id) == 0 || strlen(sc->pump_id) > 64) {
        return fail(p, "\"pump_id\" must have 1 to 64 characters");
    }
    if (!parse_patient(p, root) || !parse_hardware(p, root)) {
        return false;
    }
    p->where[0] = '\0';
    steps = json_object_get(root, "steps");
    if (steps == NULL || !json_is_array(steps)) {
        return fail(p, "\"steps\" must be an array of steps");
    }
    sc->n_steps = json_array_size(steps);
    if (sc->n_steps > SCENARIO_MAX_STEPS) {
        return fail(p, "too many steps (at most %u)", SCENARIO_MAX_STEPS);
    }
    if (sc->n_steps > 0) {
        sc->steps = calloc(sc->n_steps, sizeof *sc->steps);
        if (sc->steps == NULL) {
            return fail(p, "out of memory");
        }
    }
    for (i = 0; i < sc->n_steps; i++) {
        if (!parse_step(p, json_array_get(steps, i), i, &prev)) {
            return false;
        }
    }
    for (i = 0; i + 1U < sc->n_steps; i++) {
        if (sc->steps[i].action == (uint8_t)SCN_POWER_LOSS && !sc->steps[i].has_restore) {
            char tb[32];
            (void)snprintf(p->where, sizeof p->where, "steps[%zu] (at %s, power_loss)", i,
                           scenario_time_str(sc->steps[i].at_ms, tb, sizeof tb));
            return fail(p, "a power_loss without \"restore_after\" ends the run: it must be "
                           "the last step");
        }
    }
    sc->end_ms = (end > prev) ? end : prev;
    return true;
}

scenario_status scenario_parse_text(const char *text, size_t len, struct scenario *out,
                                    struct scenario_error *err)
{
    struct parser p;
    json_error_t jerr;
    struct scenario sc;

    memset(&sc, 0, sizeof sc);
    memset(&p, 0, sizeof p);
    memset(out, 0, sizeof *out);
    err->msg[0] = '\0';
    p.sc = &sc;
    p.err = err;
    if (len > SCENARIO_MAX_BYTES) {
        (void)fail(&p, "the scenario is larger than %u bytes", SCENARIO_MAX_BYTES);
        return SCENARIO_INVALID;
    }
    sc.root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (sc.root == NULL) {
        char qb[64];
        (void)fail(&p, "not valid JSON at line %d, column %d: %s", jerr.line, jerr.column,
                   quote(jerr.text, qb, sizeof qb));
        return SCENARIO_INVALID;
    }
    if (!parse_top(&p, sc.root)) {
        scenario_free(&sc);
        return SCENARIO_INVALID;
    }
    *out = sc;
    return SCENARIO_OK;
}

scenario_status scenario_parse_file(const char *path, struct scenario *out,
                                    struct scenario_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    scenario_status st;

    memset(out, 0, sizeof *out);
    if (f == NULL) {
        (void)snprintf(err->msg, sizeof err->msg, "cannot open %s", path);
        return SCENARIO_INVALID;
    }
    buf = malloc(SCENARIO_MAX_BYTES + 1U);
    if (buf == NULL) {
        (void)fclose(f);
        (void)snprintf(err->msg, sizeof err->msg, "out of memory");
        return SCENARIO_INVALID;
    }
    n = fread(buf, 1, SCENARIO_MAX_BYTES + 1U, f);
    if (ferror(f) != 0) {
        (void)snprintf(err->msg, sizeof err->msg, "cannot read %s", path);
        st = SCENARIO_INVALID;
    } else if (n > SCENARIO_MAX_BYTES) {
        (void)snprintf(err->msg, sizeof err->msg, "%s is larger than %u bytes", path,
                       SCENARIO_MAX_BYTES);
        st = SCENARIO_INVALID;
    } else {
        st = scenario_parse_text(buf, n, out, err);
    }
    free(buf);
    (void)fclose(f);
    return st;
}

bool scenario_library_path(const struct scenario *sc, const char *scenario_path, char *buf,
                           size_t cap)
{
    const char *slash = strrchr(scenario_path, '/');
    int w;
    if (sc->library == NULL) {
        return false;
    }
    if (sc->library[0] == '/' || slash == NULL) {
        w = snprintf(buf, cap, "%s", sc->library);
    } else {
        w = snprintf(buf, cap, "%.*s/%s", (int)(slash - scenario_path), scenario_path,
                     sc->library);
    }
    return w >= 0 && (size_t)w < cap;
}

void scenario_free(struct scenario *sc)
{
    size_t i;
    if (sc->steps != NULL) {
        for (i = 0; i < sc->n_steps; i++) {
            free((void *)(uintptr_t)sc->steps[i].expect.alarms);
        }
    }
    free(sc->steps);
    if (sc->root != NULL) {
        json_decref(sc->root);
    }
    memset(sc, 0, sizeof *sc);
}
