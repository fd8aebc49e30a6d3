/*
 * doc_msg.c - pump records and snapshots to PCD-10 / PCD-01 / PCD-04 text (doc_msg.h).
 * Contract: see doc_msg.h; the mapping table: docs/infusiond.md.
 */
#include "doc_msg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* What a record asks for, before building. */
struct plan_item {
    uint8_t kind;        /* PLAN_* */
    hl7_pcd_event event; /* PCD-10 */
    bool transitioning;
    uint8_t state;       /* hl7_pcd_pump_state the message reports */
    uint8_t source;      /* hl7_pcd_source */
    int64_t rate_nl_per_h; /* -1: from the snapshot */
    const char *tail;    /* control id suffix */
};

enum { PLAN_PCD10 = 1, PLAN_PCD01 };

static const char *const delivering_states[] = {"running", "bolus", "kvo"};

static bool is_delivering(const char *st)
{
    for (size_t i = 0; i < sizeof delivering_states / sizeof delivering_states[0]; i++) {
        if ((st != NULL) && (strcmp(st, delivering_states[i]) == 0)) {
            return true;
        }
    }
    return false;
}

static bool streq(const char *a, const char *b)
{
    return (a != NULL) && (b != NULL) && (strcmp(a, b) == 0);
}

/* The channel state name of the pump protocol -> the PCD view of it. */
static uint8_t pcd_state_of(const char *st)
{
    if (streq(st, "running") || streq(st, "bolus")) {
        return (uint8_t)HL7_PCD_PUMP_INFUSING;
    }
    if (streq(st, "kvo")) {
        return (uint8_t)HL7_PCD_PUMP_KVO;
    }
    if (streq(st, "paused")) {
        return (uint8_t)HL7_PCD_PUMP_PAUSED;
    }
    /* A fault stops the motor like an alarm does: to the MAR it is an alarm stop. */
    if (streq(st, "alarm_stopped") || streq(st, "fault")) {
        return (uint8_t)HL7_PCD_PUMP_ALARM_STOPPED;
    }
    if (streq(st, "complete")) {
        return (uint8_t)HL7_PCD_PUMP_COMPLETE;
    }
    return (uint8_t)HL7_PCD_PUMP_IDLE;
}

/* ---- numbers and ids ------------------------------------------------------------------------ */

/* out = tmp when it fits (tmp is formatted into a buffer large enough for any value first, so
 * nothing is ever cut). */
static bool put(const char *tmp, int n, char *out, size_t cap)
{
    if ((n <= 0) || ((size_t)n >= cap)) {
        return false;
    }
    memcpy(out, tmp, (size_t)n + 1U);
    return true;
}

bool doc_ml_text(int64_t nl, char *out, size_t cap)
{
    /* The magnitude as unsigned, so INT64_MIN has one too. */
    uint64_t mag = (nl < 0) ? (uint64_t)0 - (uint64_t)nl : (uint64_t)nl;
    uint64_t whole = mag / 1000000U;
    uint64_t frac = mag % 1000000U;
    char digits[8];
    char tmp[48];
    int n;

    if ((out == NULL) || (cap == 0U)) {
        return false;
    }
    if (frac == 0U) {
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64, (nl < 0) ? "-" : "", whole);
    } else {
        size_t k;
        (void)snprintf(digits, sizeof digits, "%06" PRIu64, frac);
        /* Trailing zeros say nothing about precision here: the pump counts whole nL. */
        for (k = 6U; (k > 0U) && (digits[k - 1U] == '0'); k--) {
            digits[k - 1U] = '\0';
        }
        n = snprintf(tmp, sizeof tmp, "%s%" PRIu64 ".%s", (nl < 0) ? "-" : "", whole, digits);
    }
    return put(tmp, n, out, cap);
}

bool doc_min_text(int64_t ms, char *out, size_t cap)
{
    uint64_t tenths;
    char tmp[48];
    int n;

    if ((out == NULL) || (cap == 0U) || (ms < 0)) {
        return false;
    }
    /* 1/10 min = 6000 ms; +3000 rounds half up. Exact integer arithmetic, no floats. */
    tenths = ((uint64_t)ms + 3000U) / 6000U;
    if ((tenths % 10U) == 0U) {
        n = snprintf(tmp, sizeof tmp, "%" PRIu64, tenths / 10U);
    } else {
        n = snprintf(tmp, sizeof tmp, "%" PRIu64 ".%" PRIu64, tenths / 10U, tenths % 10U);
    }
    return put(tmp, n, out, cap);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

void doc_eui64(const char *pump_id, char out[17])
{
    (void)snprintf(out, 17, "%016" PRIX64, fnv1a64(pump_id));
}

void doc_pump_key(const char *pump_id, char out[DOC_KEY_ID_MAX + 1U])
{
    size_t len = strlen(pump_id);
    bool plain = (len > 0U) && (len <= DOC_KEY_ID_MAX);

    for (size_t i = 0; plain && (i < len); i++) {
        char c = pump_id[i];
        plain = ((c >= 'A') && (c <= 'Z')) || ((c >= 'a') && (c <= 'z')) ||
                ((c >= '0') && (c <= '9')) || (c == '-') || (c == '_') || (c == '.');
    }
    if (plain) {
        memcpy(out, pump_id, len + 1U);
    } else {
        (void)snprintf(out, DOC_KEY_ID_MAX + 1U, "H%016" PRIX64, fnv1a64(pump_id));
    }
}

/* DTM with +0000 and milliseconds. */
static bool dtm_text(int64_t ms, char *out, size_t cap)
{
    struct hl7_dtm d;
    size_t len = 0;

    if ((hl7_dtm_from_unix_ms(ms, 0, true, &d) != HL7_OK) ||
        (hl7_dtm_format(&d, out, cap - 1U, &len) != HL7_OK)) {
        return false;
    }
    out[len] = '\0';
    return true;
}

/* Copy when it fits; an optional value too long for its field is left out, never cut. */
static void copy_opt(char *dst, size_t cap, const char *src)
{
    if ((src != NULL) && (strlen(src) < cap)) {
        memcpy(dst, src, strlen(src) + 1U);
    }
}

/* An unsigned decimal that fits an NM field of the builders. */
static bool is_decimal(const char *s)
{
    return hl7_pcd_is_nm(s) && (s[0] != '+') && (s[0] != '-') && (strlen(s) < HL7_PCD_NUM_MAX);
}

/* A drug-library dose unit ("mcg/kg/min", "units/h") in UCUM ("ug/kg/min", "[iU]/h"); false
 * when a part is not one we know (the dose rate is then left out, not sent with a guess). */
static bool ucum_of_dose_unit(const char *unit, char *out, size_t cap)
{
    static const char *const from[] = {"mcg", "units", "mEq", "mg", "g", "ng", "mL", "mmol",
                                       "kg", "m2", "h", "min"};
    static const char *const to[] = {"ug", "[iU]", "meq", "mg", "g", "ng", "mL", "mmol",
                                     "kg", "m2", "h", "min"};
    size_t used = 0;
    const char *p = unit;

    if ((unit == NULL) || (unit[0] == '\0') || (cap == 0U)) {
        return false;
    }
    out[0] = '\0';
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = (slash != NULL) ? (size_t)(slash - p) : strlen(p);
        const char *mapped = NULL;
        for (size_t i = 0; i < sizeof from / sizeof from[0]; i++) {
            if ((strlen(from[i]) == n) && (strncmp(p, from[i], n) == 0)) {
                mapped = to[i];
            }
        }
        if (mapped == NULL) {
            return false;
        }
        size_t m = strlen(mapped);
        if (used + m + 2U > cap) {
            return false;
        }
        if (used > 0U) {
            out[used++] = '/';
        }
        memcpy(out + used, mapped, m + 1U);
        used += m;
        if (slash == NULL) {
            break;
        }
        p = slash + 1;
    }
    return used > 0U;
}

/* json helpers: NULL / false when absent or of another type. */
static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static bool jint(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v)) {
        return false;
    }
    *out = (int64_t)json_integer_value(v);
    return true;
}

static const json_t *channel_of(const json_t *state, uint32_t channel)
{
    size_t i;
    const json_t *c;
    const json_t *chans = json_object_get(state, "channels");

    json_array_foreach(chans, i, c) {
        int64_t n;
        if (jint(c, "channel", &n) && (n == (int64_t)channel)) {
            return c;
        }
    }
    return NULL;
}

static void nl_field(const json_t *o, const char *key, char *dst, size_t cap)
{
    int64_t v;
    if (jint(o, key, &v) && !doc_ml_text(v, dst, cap)) {
        dst[0] = '\0';
    }
}

bool doc_pump_fill(const char *pump_id, const json_t *state, uint32_t channel,
                   int64_t obs_wall_ms, struct hl7_pcd_pump *out)
{
    const json_t *patient = json_object_get(state, "patient");
    const json_t *lib = json_object_get(state, "library");
    const json_t *ch = channel_of(state, channel);
    int64_t v;

    if ((pump_id == NULL) || (out == NULL) || (channel > 98U)) {
        return false;
    }
    memset(out, 0, sizeof *out);
    doc_eui64(pump_id, out->eui64);
    copy_opt(out->pump_id, sizeof out->pump_id, pump_id);
    out->channel = channel + 1U; /* the pump counts from 0, the VMD from 1 */
    if (!dtm_text(obs_wall_ms, out->obs_time, sizeof out->obs_time)) {
        return false;
    }
    out->source = (uint8_t)HL7_PCD_SRC_PRIMARY;
    out->delivery_mode = (uint8_t)HL7_PCD_MODE_CONTINUOUS;
    out->state = (uint8_t)HL7_PCD_PUMP_IDLE;

    if (jstr(patient, "id") != NULL) {
        copy_opt(out->patient.id, sizeof out->patient.id, jstr(patient, "id"));
        out->patient.present = (out->patient.id[0] != '\0');
    }
    if (is_decimal(jstr(patient, "weight_kg"))) {
        copy_opt(out->weight_kg, sizeof out->weight_kg, jstr(patient, "weight_kg"));
    }
    copy_opt(out->care_area, sizeof out->care_area, jstr(state, "care_area"));
    copy_opt(out->library_version, sizeof out->library_version, jstr(lib, "version"));
    if (ch == NULL) {
        return true;
    }

    const char *st = jstr(ch, "state");
    out->state = pcd_state_of(st);
    /* "entry" is the library entry: the drug as the library names it (OBR-4). */
    copy_opt(out->drug_code, sizeof out->drug_code, jstr(ch, "entry"));
    copy_opt(out->drug_name, sizeof out->drug_name, jstr(ch, "drug_name"));
    copy_opt(out->placer_id, sizeof out->placer_id, jstr(ch, "order_id"));
    out->auto_programmed = (jstr(ch, "order_id") != NULL);
    if (streq(jstr(ch, "mode"), "multistep") || streq(jstr(ch, "mode"), "multi_step")) {
        out->delivery_mode = (uint8_t)HL7_PCD_MODE_MULTI_STEP;
    }
    nl_field(ch, "rate_nl_per_h", out->rate_ml_h, sizeof out->rate_ml_h);
    if (is_delivering(st)) {
        memcpy(out->flow_ml_h, out->rate_ml_h, sizeof out->flow_ml_h);
    } else {
        memcpy(out->flow_ml_h, "0", 2U);
    }
    nl_field(ch, "vtbi_nl", out->vtbi_ml, sizeof out->vtbi_ml);
    nl_field(ch, "vtbi_remaining_nl", out->vtbi_remain_ml, sizeof out->vtbi_remain_ml);
    nl_field(ch, "channel_volume_nl", out->volume_infused_ml, sizeof out->volume_infused_ml);
    if (jint(ch, "time_remaining_ms", &v) &&
        !doc_min_text(v, out->time_remain_min, sizeof out->time_remain_min)) {
        out->time_remain_min[0] = '\0';
    }
    if (is_decimal(jstr(ch, "dose")) &&
        ucum_of_dose_unit(jstr(ch, "dose_unit"), out->dose_rate_unit,
                          sizeof out->dose_rate_unit)) {
        copy_opt(out->dose_rate, sizeof out->dose_rate, jstr(ch, "dose"));
    } else {
        out->dose_rate_unit[0] = '\0';
    }
    return true;
}

/* ---- MSH and control ids ---------------------------------------------------------------------- */

static bool msh_fill(struct hl7_pcd_msh *h, const char *facility, const char *receiving_app,
                     int64_t now_ms, const char *control_id)
{
    memset(h, 0, sizeof *h);
    memcpy(h->sending_app.ns, "INFUSIOND", sizeof "INFUSIOND");
    copy_opt(h->sending_facility, sizeof h->sending_facility, facility);
    copy_opt(h->receiving_app.ns, sizeof h->receiving_app.ns, receiving_app);
    copy_opt(h->control_id, sizeof h->control_id, control_id);
    return (h->control_id[0] != '\0') && dtm_text(now_ms, h->time, sizeof h->time);
}

static bool control_id(const char *pump_id, uint64_t seq, const char *tail, char *out,
                       size_t cap)
{
    char key[DOC_KEY_ID_MAX + 1U];
    char tmp[128];
    int n;

    doc_pump_key(pump_id, key);
    n = snprintf(tmp, sizeof tmp, "%s.%" PRIu64 ".%s", key, seq, tail);
    return put(tmp, n, out, cap);
}

/* ---- the record -> message table ---------------------------------------------------------------- */

/* The active source of a bolus kind ("bolus" and "clinician": a clinician bolus). */
static uint8_t source_of_kind(const char *kind)
{
    if (streq(kind, "pca")) {
        return (uint8_t)HL7_PCD_SRC_PCA;
    }
    if (streq(kind, "loading")) {
        return (uint8_t)HL7_PCD_SRC_LOADING;
    }
    return (uint8_t)HL7_PCD_SRC_CLINICIAN;
}

/* The PCD-10/PCD-01 plan of a delivery record; 0 items when it documents nothing. */
static size_t plan_delivery(const json_t *ev, const json_t *ch, struct plan_item *items)
{
    const char *type = jstr(ev, "type");
    size_t n = 0;
    int64_t rate = -1;
    int64_t old_rate = -1;

    (void)jint(ev, "rate_nl_per_h", &rate);
    if (streq(type, "state")) {
        const char *from = jstr(ev, "from");
        const char *to = jstr(ev, "to");
        uint8_t to_state = pcd_state_of(to);
        if ((from == NULL) || (to == NULL)) {
            return 0;
        }
        if (!is_delivering(from) && is_delivering(to)) {
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_START, false, to_state,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e1"};
        } else if (is_delivering(from) && streq(to, "kvo")) {
            /* VTBI reached with KVO on: the segment completes, and a KVO segment starts. */
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_COMP, true,
                                            (uint8_t)HL7_PCD_PUMP_COMPLETE,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e1"};
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_START, false,
                                            (uint8_t)HL7_PCD_PUMP_KVO,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e2"};
        } else if (is_delivering(from) && streq(to, "complete")) {
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_COMP, false, to_state,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e1"};
        } else if (is_delivering(from) && !is_delivering(to)) {
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_STOP, false, to_state,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e1"};
        }
        items[n++] = (struct plan_item){PLAN_PCD01, HL7_PCD_EVT_NONE, false, to_state,
                                        (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "s"};
        return n;
    }
    if (streq(type, "titration")) {
        const char *outcome = jstr(ev, "outcome");
        /* Hard limits and invalid programs are refused by the pump: the rate did not change. */
        if (!streq(outcome, "ACCEPT") && !streq(outcome, "SOFT_LOW") &&
            !streq(outcome, "SOFT_HIGH")) {
            return 0;
        }
        (void)jint(ev, "old_rate_nl_per_h", &old_rate);
        if (is_delivering(jstr(ch, "state"))) {
            /* A rate change is one delivery segment ending and the next starting. */
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_STOP, true,
                                            (uint8_t)HL7_PCD_PUMP_INFUSING,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, old_rate, "e1"};
            items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_START, false,
                                            (uint8_t)HL7_PCD_PUMP_INFUSING,
                                            (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "e2"};
        }
        items[n++] = (struct plan_item){PLAN_PCD01, HL7_PCD_EVT_NONE, false,
                                        pcd_state_of(jstr(ch, "state")),
                                        (uint8_t)HL7_PCD_SRC_PRIMARY, rate, "s"};
        return n;
    }
    if (streq(type, "bolus")) {
        uint8_t src = source_of_kind(jstr(ev, "kind"));
        items[n++] = (struct plan_item){PLAN_PCD10, HL7_PCD_EVT_DELIV_START, false,
                                        (uint8_t)HL7_PCD_PUMP_INFUSING, src, rate, "e1"};
        items[n++] = (struct plan_item){PLAN_PCD01, HL7_PCD_EVT_NONE, false,
                                        (uint8_t)HL7_PCD_PUMP_INFUSING, src, rate, "s"};
        return n;
    }
    if (streq(type, "bolus_end")) {
        /* The bolus source's own segment ends: complete, or stopped early (pause, alarm, stop;
         * the channel's own stop is documented from its state record). */
        const json_t *done = json_object_get(ev, "completed");
        uint8_t after = pcd_state_of(jstr(ch, "state"));
        if ((after == (uint8_t)HL7_PCD_PUMP_INFUSING) || (after == (uint8_t)HL7_PCD_PUMP_KVO)) {
            after = (uint8_t)HL7_PCD_PUMP_IDLE; /* the bolus source is not delivering */
        }
        items[n++] = (struct plan_item){
            PLAN_PCD10, json_is_true(done) ? HL7_PCD_EVT_DELIV_COMP : HL7_PCD_EVT_DELIV_STOP,
            false, json_is_true(done) ? (uint8_t)HL7_PCD_PUMP_COMPLETE : after,
            source_of_kind(jstr(ev, "kind")), -1, "e1"};
        items[n++] = (struct plan_item){PLAN_PCD01, HL7_PCD_EVT_NONE, false,
                                        pcd_state_of(jstr(ch, "state")),
                                        (uint8_t)HL7_PCD_SRC_PRIMARY, -1, "s"};
    }
    return n;
}

static doc_msg_status build_delivery(const struct doc_msg_in *in, uint32_t channel,
                                     uint64_t seq, int64_t wall_ms, struct doc_msg *out,
                                     size_t *n_out)
{
    struct plan_item items[DOC_MSGS_PER_RECORD];
    const json_t *ch = channel_of(in->state, channel);
    size_t n = plan_delivery(in->ev, ch, items);
    struct hl7_pcd_pump pump;
    struct hl7_pcd_msh hdr;
    int64_t vol;

    for (size_t i = 0; i < n; i++) {
        const struct plan_item *it = &items[i];
        struct doc_msg *m = &out[i];
        hl7_pcd_status st;

        if (!doc_pump_fill(in->pump_id, in->state, channel, wall_ms, &pump) ||
            !control_id(in->pump_id, seq, it->tail, m->control_id, sizeof m->control_id) ||
            !msh_fill(&hdr, in->facility, "DOC", in->now_ms, m->control_id)) {
            return DOC_MSG_BAD;
        }
        /* The record says what happened; the snapshot (maybe older or newer) only fills in. */
        pump.state = it->state;
        pump.source = it->source;
        if (it->rate_nl_per_h >= 0) {
            (void)doc_ml_text(it->rate_nl_per_h, pump.rate_ml_h, sizeof pump.rate_ml_h);
        }
        /* A transitioning stop/complete is still infusing: flow and status must agree. */
        if ((it->state == (uint8_t)HL7_PCD_PUMP_INFUSING) ||
            (it->state == (uint8_t)HL7_PCD_PUMP_KVO) || it->transitioning) {
            memcpy(pump.flow_ml_h, pump.rate_ml_h, sizeof pump.flow_ml_h);
        } else {
            memcpy(pump.flow_ml_h, "0", 2U);
        }
        if (jint(in->ev, "channel_volume_nl", &vol)) {
            (void)doc_ml_text(vol, pump.volume_infused_ml, sizeof pump.volume_infused_ml);
        }
        if (pump.volume_infused_ml[0] == '\0') {
            /* Stop and complete must carry a delivered volume; unknown is reported as 0 only
             * when the snapshot has none either. */
            memcpy(pump.volume_infused_ml, "0", 2U);
        }
        if (streq(jstr(in->ev, "type"), "bolus_end") && (it->kind == PLAN_PCD10)) {
            /* What the bolus delivered of what was asked, not the channel's total. */
            int64_t asked = 0;
            int64_t given = 0;
            bool has_asked = jint(in->ev, "requested_nl", &asked);
            pump.vtbi_ml[0] = '\0';
            pump.vtbi_remain_ml[0] = '\0';
            pump.time_remain_min[0] = '\0';
            if (jint(in->ev, "delivered_nl", &given)) {
                (void)doc_ml_text(given, pump.volume_infused_ml, sizeof pump.volume_infused_ml);
            }
            if (has_asked) {
                (void)doc_ml_text(asked, pump.vtbi_ml, sizeof pump.vtbi_ml);
                (void)doc_ml_text(asked > given ? asked - given : 0, pump.vtbi_remain_ml,
                                  sizeof pump.vtbi_remain_ml);
            }
        }
        if (streq(jstr(in->ev, "type"), "bolus")) {
            /* The bolus is its own source: its volume is what it will deliver. */
            pump.vtbi_ml[0] = '\0';
            if (jint(in->ev, "volume_nl", &vol)) {
                (void)doc_ml_text(vol, pump.vtbi_ml, sizeof pump.vtbi_ml);
            }
            pump.vtbi_remain_ml[0] = '\0';
            pump.time_remain_min[0] = '\0';
        }
        if (it->kind == PLAN_PCD10) {
            memcpy(m->kind, "pcd10", sizeof "pcd10");
            st = hl7_pcd10_build(&hdr, &pump, it->event, it->transitioning, m->text,
                                 sizeof m->text, &m->len);
        } else {
            memcpy(m->kind, "pcd01", sizeof "pcd01");
            st = hl7_pcd01_build(&hdr, &pump, m->text, sizeof m->text, &m->len);
        }
        if (st == HL7_PCD_ERR_FULL) {
            return DOC_MSG_FULL;
        }
        if (st != HL7_PCD_OK) {
            return DOC_MSG_BAD;
        }
    }
    *n_out = n;
    return DOC_MSG_OK;
}

/* ---- alarms ------------------------------------------------------------------------------------- */

/* The pump's alarm names (docs/pump.md "Alarms") -> the MDC event and the object it concerns.
 * Rows whose MDC term is not verified are still sent: the builder writes them as 0^REFID^MDC
 * (mdc.h). Conditions with no MDC term at all go out as the generic MDC_EVT_ALARM with the
 * condition in the original text. */
struct alarm_row {
    const char *alarm;
    hl7_mdc_id event;
    hl7_mdc_id source;
    const char *text;
};

static const struct alarm_row alarm_rows[] = {
    {"occlusion_downstream", HL7_MDC_EVT_FLUID_LINE_OCCL, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Downstream occlusion"},
    {"occlusion_upstream", HL7_MDC_EVT_FLUID_LINE_OCCL, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Upstream occlusion"},
    {"air_in_line", HL7_MDC_EVT_FLUID_LINE_AIR, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD, "Air in line"},
    {"air_accumulated", HL7_MDC_EVT_FLUID_LINE_AIR, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Accumulated air in line"},
    {"vtbi_near_end", HL7_MDC_EVT_VOL_INFUS_NEAR_COMP, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "VTBI near end"},
    {"vtbi_complete", HL7_MDC_EVT_VOL_INFUS_COMP, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "VTBI complete"},
    {"container_empty", HL7_MDC_EVT_EMPTY, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD, "Container empty"},
    {"battery_low", HL7_MDC_EVT_BATT_LO, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS, "Battery low"},
    {"battery_depleted", HL7_MDC_EVT_BATT_LO, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS,
     "Battery depleted"},
    {"door_open", HL7_MDC_EVT_DOOR_OR_HANDLE_POSN_PROB, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Door open"},
    {"paused_too_long", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD, "Paused too long"},
    {"secondary_callback", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Secondary infusion done"},
    {"motor_stall", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD, "Motor stall"},
    {"watchdog", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS, "Watchdog"},
    {"log_full", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS, "Event log full"},
    {"restart", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD,
     "Restarted after power loss"},
    {"fault", HL7_MDC_EVT_ALARM, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS, "Pump fault"},
};

static doc_msg_status build_alarm(const struct doc_msg_in *in, uint32_t channel, uint64_t seq,
                                  int64_t wall_ms, struct doc_msg *out, size_t *n_out)
{
    const char *name = jstr(in->ev, "alarm");
    const char *step = jstr(in->ev, "step");
    const char *prio = jstr(in->ev, "priority");
    struct hl7_pcd_alert a;
    struct hl7_pcd_pump pump;
    struct hl7_pcd_msh hdr;
    char key[DOC_KEY_ID_MAX + 1U];
    char tail[16];
    uint64_t alert_seq = (in->alert_seq != 0U) ? in->alert_seq : seq;
    hl7_pcd_status st;

    if ((name == NULL) || (step == NULL)) {
        return DOC_MSG_BAD;
    }
    memset(&a, 0, sizeof a);
    a.event = HL7_MDC_EVT_ALARM;
    a.source = HL7_MDC_DEV_PUMP_INFUS_LVP_MDS;
    copy_opt(a.event_text, sizeof a.event_text, name);
    for (size_t i = 0; i < sizeof alarm_rows / sizeof alarm_rows[0]; i++) {
        if (strcmp(alarm_rows[i].alarm, name) == 0) {
            a.event = alarm_rows[i].event;
            a.source = alarm_rows[i].source;
            memcpy(a.event_text, alarm_rows[i].text, strlen(alarm_rows[i].text) + 1U);
        }
    }
    a.type = (uint8_t)HL7_PCD_ATYPE_ST; /* every pump alarm is about the device (technical) */
    a.priority = streq(prio, "low")      ? (uint8_t)HL7_PCD_PRIO_PL
                 : streq(prio, "medium") ? (uint8_t)HL7_PCD_PRIO_PM
                                         : (uint8_t)HL7_PCD_PRIO_PH; /* high, or unknown */
    a.state = (uint8_t)HL7_PCD_ASTATE_ACTIVE;
    if (streq(step, "raised")) {
        a.phase = (uint8_t)HL7_PCD_PHASE_START;
        a.inactivation = HL7_PCD_INACT_ENABLED;
    } else if (streq(step, "silenced")) {
        a.phase = (uint8_t)HL7_PCD_PHASE_UPDATE;
        a.inactivation = HL7_PCD_INACT_AUDIO_PAUSED;
    } else if (streq(step, "rearmed")) {
        a.phase = (uint8_t)HL7_PCD_PHASE_UPDATE;
        a.inactivation = HL7_PCD_INACT_ENABLED;
    } else if (streq(step, "acknowledged")) {
        a.phase = (uint8_t)HL7_PCD_PHASE_UPDATE;
        a.inactivation = HL7_PCD_INACT_ALERT_ACKNOWLEDGED;
    } else if (streq(step, "cleared")) {
        a.phase = (uint8_t)HL7_PCD_PHASE_END;
        a.state = (uint8_t)HL7_PCD_ASTATE_INACTIVE;
    } else {
        return DOC_MSG_BAD;
    }
    doc_pump_key(in->pump_id, key);
    (void)snprintf(a.indication_id, sizeof a.indication_id, "%s.%" PRIu64, key, seq);
    (void)snprintf(a.alert_id, sizeof a.alert_id, "%s.%" PRIu64, key, alert_seq);
    if (!dtm_text(wall_ms, a.time, sizeof a.time)) {
        return DOC_MSG_BAD;
    }
    (void)snprintf(tail, sizeof tail, "a%u", in->alarm_dest);
    /* OBR-7 of a PCD-04 is when the reporter packaged it; the alarm's own time is OBX-14. */
    if (!doc_pump_fill(in->pump_id, in->state, channel, in->now_ms, &pump) ||
        !control_id(in->pump_id, seq, tail, out->control_id, sizeof out->control_id) ||
        !msh_fill(&hdr, in->facility, "AM", in->now_ms, out->control_id)) {
        return DOC_MSG_BAD;
    }
    memcpy(out->kind, "pcd04", sizeof "pcd04");
    st = hl7_pcd04_build(&hdr, &pump, &a, out->text, sizeof out->text, &out->len);
    if (st == HL7_PCD_ERR_FULL) {
        return DOC_MSG_FULL;
    }
    if (st != HL7_PCD_OK) {
        return DOC_MSG_BAD;
    }
    *n_out = 1;
    return DOC_MSG_OK;
}

doc_msg_status doc_msg_for_record(const struct doc_msg_in *in, struct doc_msg *out, size_t cap,
                                  size_t *n_out)
{
    int64_t seq;
    int64_t wall_ms;
    int64_t channel;
    const char *type;

    if ((in == NULL) || (out == NULL) || (n_out == NULL) || (in->pump_id == NULL)) {
        return DOC_MSG_BAD;
    }
    *n_out = 0;
    if (cap < DOC_MSGS_PER_RECORD) {
        return DOC_MSG_FULL;
    }
    type = jstr(in->ev, "type");
    if ((type == NULL) || !jint(in->ev, "seq", &seq) || (seq < 1) ||
        !jint(in->ev, "wall_ms", &wall_ms) || !jint(in->ev, "channel", &channel) ||
        (channel < 0) || (channel > 98)) {
        return DOC_MSG_BAD;
    }
    if (strcmp(type, "alarm") == 0) {
        if (in->alarm_dest == 0U) {
            return DOC_MSG_OK;
        }
        return build_alarm(in, (uint32_t)channel, (uint64_t)seq, wall_ms, out, n_out);
    }
    if (in->alarm_dest != 0U) {
        return DOC_MSG_OK;
    }
    return build_delivery(in, (uint32_t)channel, (uint64_t)seq, wall_ms, out, n_out);
}

doc_msg_status doc_msg_status_report(const char *pump_id, const json_t *state, uint32_t channel,
                                     const char *facility, int64_t now_ms, int64_t tick_s,
                                     struct doc_msg *out)
{
    struct hl7_pcd_pump pump;
    struct hl7_pcd_msh hdr;
    char key[DOC_KEY_ID_MAX + 1U];
    char tmp[128];
    int64_t wall_ms;
    hl7_pcd_status st;

    if ((pump_id == NULL) || (out == NULL) || (channel_of(state, channel) == NULL) ||
        !jint(state, "wall_ms", &wall_ms)) {
        return DOC_MSG_BAD;
    }
    doc_pump_key(pump_id, key);
    if (!put(tmp, snprintf(tmp, sizeof tmp, "%s.t%" PRId64 ".%" PRIu32, key, tick_s, channel),
             out->control_id, sizeof out->control_id) ||
        !doc_pump_fill(pump_id, state, channel, wall_ms, &pump) ||
        !msh_fill(&hdr, facility, "DOC", now_ms, out->control_id)) {
        return DOC_MSG_BAD;
    }
    memcpy(out->kind, "pcd01", sizeof "pcd01");
    st = hl7_pcd01_build(&hdr, &pump, out->text, sizeof out->text, &out->len);
    if (st == HL7_PCD_ERR_FULL) {
        return DOC_MSG_FULL;
    }
    return (st == HL7_PCD_OK) ? DOC_MSG_OK : DOC_MSG_BAD;
}
