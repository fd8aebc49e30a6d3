/*
 * pcd_alert.c - ACM: PCD-04 ORU^R40 (one alert per message) built and decoded, PCD-05 ORA^R41
 * (alert dissemination status) decoded (contract: see hl7/pcd.h; rules: standards.md §3.3).
 *
 * The decoder is lenient on purpose: an alarm that reaches us must still be forwarded, so only
 * what makes the alert impossible to identify or follow (no OBR-3, two alerts in one message, no
 * phase or state) is an error; deprecated or sloppy forms are warnings.
 */
#include <string.h>

#include "pcd_internal.h"

#define SEV_E HL7_PCD_SEV_ERROR
#define SEV_W HL7_PCD_SEV_WARNING

static const char *const phase_names[HL7_PCD_PHASE_COUNT] = {
    "", "tpoint", "start", "start_only", "continue", "end", "present", "update", "escalate",
    "inactivate", "acknowledged", "deescalate", "reset", "stop",
};
static const char *const state_names[HL7_PCD_ASTATE_COUNT] = {"", "inactive", "active",
                                                               "latched"};
static const char *const prio_names[HL7_PCD_PRIO_COUNT] = {"", "PN", "PL", "PM", "PH"};
static const char *const type_names[HL7_PCD_ATYPE_COUNT] = {"", "SP", "ST", "SA"};
static const char *const inact_names[] = {"enabled",      "audio-paused", "audio-off",
                                          "alarm-paused", "alarm-off",    "alert-acknowledged"};

const char *hl7_pcd_alert_phase_str(hl7_pcd_alert_phase p)
{
    return ((unsigned)p < (unsigned)HL7_PCD_PHASE_COUNT) ? phase_names[p] : "?";
}

const char *hl7_pcd_alert_state_str(hl7_pcd_alert_state s)
{
    return ((unsigned)s < (unsigned)HL7_PCD_ASTATE_COUNT) ? state_names[s] : "?";
}

const char *hl7_pcd_alert_priority_str(hl7_pcd_alert_priority p)
{
    return ((unsigned)p < (unsigned)HL7_PCD_PRIO_COUNT) ? prio_names[p] : "?";
}

const char *hl7_pcd_alert_type_str(hl7_pcd_alert_type t)
{
    return ((unsigned)t < (unsigned)HL7_PCD_ATYPE_COUNT) ? type_names[t] : "?";
}

/* Index of s in names[1..n) (0 = not found). */
static uint8_t name_index(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 1; i < n; i++) {
        if (pcd__streq(names[i], s)) {
            return (uint8_t)i;
        }
    }
    return 0;
}

/* ---- building ------------------------------------------------------------------------------------ */

static void b_obx_head(struct hl7_builder *b, unsigned set_id, const char *type, hl7_mdc_id id,
                       unsigned facet)
{
    char num[11];
    char path[16];

    pcd__u32_text(set_id, num);
    (void)hl7_build_segment(b, "OBX");
    (void)hl7_build_fieldz(b, num);
    (void)hl7_build_fieldz(b, type);
    pcd__b_mdc_field(b, id);
    path[0] = '\0';
    pcd__cat(path, sizeof path, "1.0.0.0.");
    pcd__u32_text(facet, num);
    pcd__cat(path, sizeof path, num);
    (void)hl7_build_fieldz(b, path);
}

/* OBX-5 as "code^REFID^MDC" of a table term. */
static void b_term_value(struct hl7_builder *b, const struct hl7_mdc_term *t)
{
    char num[11];

    pcd__u32_text(hl7_mdc_wire_code(t), num);
    (void)hl7_build_fieldz(b, num);
    (void)hl7_build_componentz(b, t->refid);
    (void)hl7_build_componentz(b, "MDC");
}

/* A facet row with an ST value: |value||||||F */
static void b_st_row(struct hl7_builder *b, unsigned set_id, hl7_mdc_id id, unsigned facet,
                     const char *value)
{
    b_obx_head(b, set_id, "ST", id, facet);
    (void)hl7_build_fieldz(b, value);
    (void)hl7_build_empty_fields(b, 5);
    (void)hl7_build_fieldz(b, "F");
}

static bool alert_ok(const struct hl7_pcd_alert *a)
{
    const struct hl7_mdc_term *ev = hl7_mdc_term(a->event);
    const struct hl7_mdc_term *src = hl7_mdc_term(a->source);

    return (a->indication_id[0] != '\0') && (ev != NULL) &&
           (ev->partition == (uint8_t)HL7_MDC_PART_EVT) && (src != NULL) &&
           (a->phase > 0U) && (a->phase < (uint8_t)HL7_PCD_PHASE_COUNT) && (a->state > 0U) &&
           (a->state < (uint8_t)HL7_PCD_ASTATE_COUNT) && (a->priority > 0U) &&
           (a->priority < (uint8_t)HL7_PCD_PRIO_COUNT) && (a->type > 0U) &&
           (a->type < (uint8_t)HL7_PCD_ATYPE_COUNT) && (a->inactivation < 0x40U) &&
           ((a->time[0] == '\0') || pcd__dtm_has_offset(a->time));
}

hl7_pcd_status hl7_pcd04_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               const struct hl7_pcd_alert *a, char *out, size_t cap, size_t *len)
{
    struct hl7_builder b;
    const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;
    const struct hl7_mdc_term *ev;
    bool physiological;
    bool initial;
    size_t k;
    bool first = true;

    if (!pcd__hdr_ok(hdr) || (pump == NULL) || (a == NULL) || !alert_ok(a) || (out == NULL) ||
        (len == NULL) || (strlen(pump->eui64) != 16U) || !pcd__dtm_has_offset(pump->obs_time)) {
        return HL7_PCD_ERR_ARG;
    }
    ev = hl7_mdc_term(a->event);
    physiological = (a->type == (uint8_t)HL7_PCD_ATYPE_SP);
    initial = (a->alert_id[0] == '\0') || pcd__streq(a->alert_id, a->indication_id);
    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return HL7_PCD_ERR_ARG;
    }
    pcd__b_msh(&b, hdr, "ORU", "R40", "ORU_R40", "2.6", "AL", "NE", "IHE_PCD_ACM_001",
               PCD__OID_PCD04);
    pcd__b_patient(&b, &pump->patient);

    (void)hl7_build_segment(&b, "OBR");
    (void)hl7_build_fieldz(&b, "1");
    (void)hl7_build_fieldz(&b, pump->placer_id);
    (void)hl7_build_fieldz(&b, a->indication_id); /* OBR-3: this indication */
    (void)hl7_build_componentz(&b, hdr->sending_app.ns);
    (void)hl7_build_componentz(&b, hdr->sending_app.uid);
    (void)hl7_build_componentz(&b, hdr->sending_app.uid_type);
    pcd__b_mdc_field(&b, HL7_MDC_EVT_ALARM);       /* OBR-4 */
    (void)hl7_build_empty_fields(&b, 2);
    (void)hl7_build_fieldz(&b, pump->obs_time);    /* OBR-7: when we packaged it */
    if (!initial) {
        /* OBR-29: the alert's identity for its whole life (filler part). */
        (void)hl7_build_empty_fields(&b, 21);
        (void)hl7_build_fieldz(&b, "");
        (void)hl7_build_componentz(&b, a->alert_id);
    }

    /* .1 event identification: technical/advisory alarms say MDC_EVT_ALARM in OBX-3 and the
     * condition in OBX-5; a physiological alarm names the condition in OBX-3. */
    b_obx_head(&b, 1, "CWE", physiological ? a->event : HL7_MDC_EVT_ALARM, 1);
    b_term_value(&b, ev);
    if (a->event_text[0] != '\0') {
        for (k = 0; k < 5U; k++) {
            (void)hl7_build_componentz(&b, "");
        }
        (void)hl7_build_componentz(&b, a->event_text); /* CWE-9 original text */
    }
    (void)hl7_build_empty_fields(&b, 5);           /* OBX-6..10 */
    (void)hl7_build_fieldz(&b, "F");               /* OBX-11 */
    (void)hl7_build_empty_fields(&b, 2);           /* OBX-12, 13 */
    (void)hl7_build_fieldz(&b, a->time);           /* OBX-14 */
    (void)hl7_build_empty_fields(&b, 3);           /* OBX-15..17 */
    (void)hl7_build_fieldz(&b, pump->eui64);       /* OBX-18 */
    (void)hl7_build_componentz(&b, "");
    (void)hl7_build_componentz(&b, pump->eui64);
    (void)hl7_build_componentz(&b, "EUI-64");

    b_obx_head(&b, 2, "CWE", HL7_MDC_ATTR_ALERT_SOURCE, 2);
    b_term_value(&b, hl7_mdc_term(a->source));
    (void)hl7_build_empty_fields(&b, 5);
    (void)hl7_build_fieldz(&b, "F");

    b_st_row(&b, 3, HL7_MDC_ATTR_EVENT_PHASE, 3, phase_names[a->phase]);
    b_st_row(&b, 4, HL7_MDC_ATTR_ALARM_STATE, 4, state_names[a->state]);

    b_obx_head(&b, 5, "ST", HL7_MDC_ATTR_ALARM_INACTIVATION_STATE, 5);
    for (k = 0; k < sizeof inact_names / sizeof inact_names[0]; k++) {
        if ((a->inactivation & (1U << k)) != 0U) {
            if (first) {
                (void)hl7_build_fieldz(&b, inact_names[k]);
                first = false;
            } else {
                (void)hl7_build_repetition(&b, inact_names[k], strlen(inact_names[k]));
            }
        }
    }
    if (first) {
        (void)hl7_build_fieldz(&b, "enabled");
    }
    (void)hl7_build_empty_fields(&b, 5);
    (void)hl7_build_fieldz(&b, "F");

    b_st_row(&b, 6, HL7_MDC_ATTR_ALARM_PRIORITY, 6, prio_names[a->priority]);
    b_st_row(&b, 7, HL7_MDC_ATTR_ALERT_TYPE, 7, type_names[a->type]);
    return pcd__b_finish(&b, len);
}

/* ---- decoding ------------------------------------------------------------------------------------- */

static bool obr_is_alarm(struct pcd__ctx *c, size_t i_seg, bool *legacy)
{
    char id[HL7_PCD_ID_MAX];
    char text[HL7_PCD_REFID_MAX];

    (void)pcd__copy(c, i_seg, 4, 1, 1, 0, id, sizeof id);
    (void)pcd__copy(c, i_seg, 4, 1, 2, 0, text, sizeof text);
    *legacy = pcd__streq(id, "ALARM");
    return pcd__streq(id, "196616") || pcd__streq(text, "MDC_EVT_ALARM") || *legacy;
}

/* OBX-5 of an ST or CWE attribute row: component 1, else 2. */
static void attr_value(struct pcd__ctx *c, size_t i_seg, size_t rep, char *out, size_t cap)
{
    if (pcd__copy(c, i_seg, 5, rep, 1, 0, out, cap) != PCD__VALUE) {
        (void)pcd__copy(c, i_seg, 5, rep, 2, 0, out, cap);
    }
}

/* OBX-5 of segment i as the index of one of names[1..n), or 0 after a problem of severity sev:
 * "<what> '<value>' is not <expected>". */
static uint8_t named_attr(struct pcd__ctx *c, size_t i, const char *const *names, size_t n,
                         char sev, const char *what, const char *expected)
{
    char value[HL7_PCD_TEXT_MAX];
    uint8_t k;

    attr_value(c, i, 1, value, sizeof value);
    k = name_index(names, n, value);
    if (k == 0U) {
        pcd__problem(c, sev, i, 5, 0, 103U, 0U, "%s '%s' is not %s", what, value, expected);
    }
    return k;
}

static hl7_mdc_id term_of_value(struct pcd__ctx *c, size_t i_seg, uint32_t *code, char *refid,
                                size_t cap)
{
    const struct hl7_mdc_term *t = pcd__coded_term(c, i_seg, 5, code, refid, cap);

    return (t != NULL) ? hl7_mdc_id_of(t) : HL7_MDC_COUNT;
}

/* The legacy OBX-8 form on the event OBX: "L~PM~SP", "ST", "PH~ST". */
static void legacy_flags(struct pcd__ctx *c, size_t i_seg, uint8_t *prio, uint8_t *type)
{
    size_t n = pcd__reps(c, i_seg, 8);
    size_t r;

    for (r = 1; r <= n; r++) {
        char f[HL7_PCD_CODE_MAX];
        uint8_t k;
        (void)pcd__copy(c, i_seg, 8, r, 1, 0, f, sizeof f);
        k = name_index(prio_names, HL7_PCD_PRIO_COUNT, f);
        if (k != 0U) {
            *prio = k;
        }
        k = name_index(type_names, HL7_PCD_ATYPE_COUNT, f);
        if (k != 0U) {
            *type = k;
        }
    }
}

static void read_alert_obx(struct pcd__ctx *c, size_t i, struct hl7_pcd_alert_report *out,
                           bool *seen_event, bool *seen_phase, bool *seen_state,
                           uint8_t *legacy_prio, uint8_t *legacy_type, char *src_time,
                           size_t src_time_cap)
{
    struct hl7_pcd_alert *a = &out->alert;
    char refid[HL7_PCD_REFID_MAX];
    char value[HL7_PCD_TEXT_MAX];
    char status[HL7_PCD_CODE_MAX];
    uint32_t code = 0;
    const struct hl7_mdc_term *t;
    hl7_mdc_id id;

    t = pcd__coded_term(c, i, 3, &code, refid, sizeof refid);
    id = (t != NULL) ? hl7_mdc_id_of(t) : HL7_MDC_COUNT;
    (void)pcd__copy(c, i, 11, 1, 1, 0, status, sizeof status);
    if (!pcd__streq(status, "F")) {
        pcd__problem(c, SEV_W, i, 11, 0, 103U, 0U,
                     "OBX-11 is '%s' (always F in PCD-04)", status);
    }
    if ((t != NULL) && (t->partition == (uint8_t)HL7_MDC_PART_EVT) && !*seen_event) {
        /* Event identification (.1). */
        *seen_event = true;
        if (id == HL7_MDC_EVT_ALARM) {
            a->event = term_of_value(c, i, &a->event_code, a->event_refid, sizeof a->event_refid);
        } else {
            a->event = id; /* physiological: the condition is OBX-3 itself */
            a->event_code = code;
            (void)pcd__scpy(a->event_refid, sizeof a->event_refid, refid);
        }
        (void)pcd__copy(c, i, 5, 1, 9, 0, a->event_text, sizeof a->event_text);
        if (a->event == HL7_MDC_COUNT) {
            pcd__problem(c, SEV_W, i, 5, 0, 0U, 0U,
                         "event '%u^%s' is not in the MDC table; forward it with its text",
                         (unsigned)a->event_code, a->event_refid);
        }
        (void)pcd__copy(c, i, 14, 1, 1, 0, a->time, sizeof a->time);
        (void)pcd__copy(c, i, 18, 1, 1, 0, out->equipment, sizeof out->equipment);
        if (out->equipment[0] == '\0') {
            (void)pcd__copy(c, i, 18, 1, 3, 0, out->equipment, sizeof out->equipment);
        }
        legacy_flags(c, i, legacy_prio, legacy_type);
        return;
    }
    switch ((int)id) { /* an int: only the alert attributes matter here */
    case HL7_MDC_ATTR_ALERT_SOURCE: {
        uint32_t scode = 0;
        char srefid[HL7_PCD_REFID_MAX];
        a->source = term_of_value(c, i, &scode, srefid, sizeof srefid);
        (void)pcd__copy(c, i, 14, 1, 1, 0, src_time, src_time_cap);
        break;
    }
    case HL7_MDC_ATTR_EVENT_PHASE:
        *seen_phase = true;
        a->phase = named_attr(c, i, phase_names, HL7_PCD_PHASE_COUNT, SEV_E, "event phase",
                              "one of ACM's");
        break;
    case HL7_MDC_ATTR_ALARM_STATE:
        *seen_state = true;
        a->state = named_attr(c, i, state_names, HL7_PCD_ASTATE_COUNT, SEV_E, "alert state",
                              "inactive, active or latched");
        break;
    case HL7_MDC_ATTR_ALARM_INACTIVATION_STATE: {
        size_t n = pcd__reps(c, i, 5);
        size_t r;
        size_t k;
        for (r = 1; r <= n; r++) {
            bool known = false;
            attr_value(c, i, r, value, sizeof value);
            for (k = 0; k < sizeof inact_names / sizeof inact_names[0]; k++) {
                if (pcd__streq(value, inact_names[k])) {
                    a->inactivation = (uint8_t)(a->inactivation | (1U << k));
                    known = true;
                }
            }
            if (!known) {
                pcd__problem(c, SEV_W, i, 5, 0, 103U, 0U,
                             "inactivation state '%s' is not one of ACM's; ignored", value);
            }
        }
        break;
    }
    case HL7_MDC_ATTR_ALARM_PRIORITY:
        a->priority = named_attr(c, i, prio_names, HL7_PCD_PRIO_COUNT, SEV_W, "priority",
                                 "PN, PL, PM or PH");
        break;
    case HL7_MDC_ATTR_ALERT_TYPE:
        a->type = named_attr(c, i, type_names, HL7_PCD_ATYPE_COUNT, SEV_W, "alert type",
                             "SP, ST or SA");
        break;
    default:
        break; /* evidentiary data, metric values of a physiological alarm */
    }
}

hl7_pcd_status hl7_pcd04_decode(const struct hl7_msg *m, struct hl7_pcd_alert_report *out,
                                struct hl7_pcd_problems *probs)
{
    struct pcd__ctx c;
    struct hl7_pcd_alert *a;
    size_t n;
    size_t i;
    size_t n_alarm_obr = 0;
    bool in_alarm = false;
    bool seen_event = false;
    bool seen_phase = false;
    bool seen_state = false;
    uint8_t legacy_prio = 0;
    uint8_t legacy_type = 0;
    char src_time[HL7_PCD_DTM_MAX] = "";
    char paths[32][HL7_PCD_PATH_MAX];
    size_t n_paths = 0;

    if ((m == NULL) || (out == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    if (!pcd__decode_begin(&c, m, probs) || !pcd__msh9_is(&c, "ORU", "R40")) {
        pcd__problem(&c, SEV_E, 0, 9, 0, 200U, 0U, "MSH-9 is not ORU^R40 (not a PCD-04 alert)");
        return HL7_PCD_UNUSABLE;
    }
    memset(out, 0, sizeof *out);
    a = &out->alert;
    a->event = HL7_MDC_COUNT;
    a->source = HL7_MDC_COUNT;
    pcd__msh(&c, &out->msh);
    pcd__msh_expect(&c, &out->msh, "AL", "NE", PCD__OID_PCD04);
    n = hl7_segment_count(m);
    for (i = 1; i < n; i++) {
        if (hl7_segment_is(m, i, "PID")) {
            pcd__pid(&c, i, &out->patient);
        } else if (hl7_segment_is(m, i, "PV1")) {
            pcd__pv1(&c, i, &out->patient);
        } else if (hl7_segment_is(m, i, "OBR")) {
            bool legacy = false;
            in_alarm = obr_is_alarm(&c, i, &legacy);
            if (!in_alarm) {
                continue; /* evidentiary data (waveforms ...) */
            }
            n_alarm_obr++;
            n_paths = 0;
            if (n_alarm_obr > 1U) {
                pcd__problem(&c, SEV_E, i, 0, 0, 100U, 0U,
                             "a second alert in one message (PCD-04 carries at most one)");
                in_alarm = false;
                continue;
            }
            if (legacy) {
                pcd__problem(&c, SEV_W, i, 4, 0, 0U, 0U,
                             "OBR-4 ALARM^ALARM is deprecated (use 196616^MDC_EVT_ALARM^MDC)");
            }
            (void)pcd__copy(&c, i, 2, 1, 1, 0, out->placer_id, sizeof out->placer_id);
            (void)pcd__copy(&c, i, 3, 1, 1, 0, a->indication_id, sizeof a->indication_id);
            if (a->indication_id[0] == '\0') {
                pcd__problem(&c, SEV_E, i, 3, 0, 101U, 0U,
                             "OBR-3 is empty (required: the unique id of this alert indication)");
            }
            (void)pcd__copy(&c, i, 7, 1, 1, 0, out->obr_time, sizeof out->obr_time);
            pcd__check_dtm(&c, i, 7, out->obr_time, true);
            /* OBR-29 (EIP): the alert id, in the filler part (as the TF examples) or placer. */
            if (pcd__copy(&c, i, 29, 1, 2, 1, a->alert_id, sizeof a->alert_id) != PCD__VALUE) {
                (void)pcd__copy(&c, i, 29, 1, 1, 1, a->alert_id, sizeof a->alert_id);
            }
            a->is_initial = (a->alert_id[0] == '\0');
            if (a->is_initial) {
                (void)pcd__scpy(a->alert_id, sizeof a->alert_id, a->indication_id);
            }
        } else if (hl7_segment_is(m, i, "OBX") && in_alarm) {
            char path[HL7_PCD_PATH_MAX];
            size_t k;
            (void)pcd__copy(&c, i, 4, 1, 1, 0, path, sizeof path);
            for (k = 0; k < n_paths; k++) {
                if ((path[0] != '\0') && pcd__streq(paths[k], path)) {
                    pcd__problem(&c, SEV_E, i, 4, 0, 205U, 0U,
                                 "OBX-4 %s appears twice in this alert (it must be unique)", path);
                    break;
                }
            }
            if (n_paths < sizeof paths / sizeof paths[0]) {
                memcpy(paths[n_paths++], path, sizeof path);
            }
            read_alert_obx(&c, i, out, &seen_event, &seen_phase, &seen_state, &legacy_prio,
                           &legacy_type, src_time, sizeof src_time);
        } else {
            /* ORC, PRT, NTE, SFT: not needed to follow the alert */
        }
    }
    if (n_alarm_obr == 0U) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U,
                     "no alert OBR (OBR-4 196616^MDC_EVT_ALARM^MDC)");
        return HL7_PCD_INVALID;
    }
    if (!seen_event) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                     "no event identification OBX (what the alert is about)");
    }
    if (!seen_phase) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                     "no MDC_ATTR_EVENT_PHASE OBX (required: start, end, update ...)");
    }
    if (!seen_state) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                     "no MDC_ATTR_ALARM_STATE OBX (required: inactive, active or latched)");
    }
    /* Priority and type: the separate OBX rows win over the deprecated OBX-8 form. */
    if ((a->priority == 0U) && (legacy_prio != 0U)) {
        a->priority = legacy_prio;
        a->legacy_obx8 = true;
    }
    if ((a->type == 0U) && (legacy_type != 0U)) {
        a->type = legacy_type;
        a->legacy_obx8 = true;
    }
    if (a->legacy_obx8) {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U,
                     "priority/type taken from OBX-8 of the event OBX (deprecated; send "
                     "MDC_ATTR_ALARM_PRIORITY and MDC_ATTR_ALERT_TYPE rows)");
    }
    if (a->priority == 0U) {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U, "no alert priority (PN, PL, PM, PH)");
    }
    if (a->type == 0U) {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U, "no alert type (SP, ST, SA)");
    }
    if ((a->phase == (uint8_t)HL7_PCD_PHASE_START) && !a->is_initial) {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U,
                     "phase is start but OBR-29 is set (the initial indication leaves OBR-29 "
                     "empty; the TF's own examples fill it)");
    }
    if (a->time[0] == '\0') {
        (void)pcd__scpy(a->time, sizeof a->time, (src_time[0] != '\0') ? src_time : out->obr_time);
    }
    return pcd__decode_status(&c);
}

hl7_pcd_status hl7_pcd05_decode(const struct hl7_msg *m, struct hl7_pcd_alert_status *out,
                                struct hl7_pcd_problems *probs)
{
    static const char *const statuses[] = {"accepted", "rejected", "deliverable", "undeliverable",
                                           "queued"};
    struct pcd__ctx c;
    size_t n;
    size_t i;
    uint32_t obr = 0;
    bool seen_pid = false;

    if ((m == NULL) || (out == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    if (!pcd__decode_begin(&c, m, probs) ||
        (!pcd__msh9_is(&c, "ORA", "R41") && !pcd__msh9_is(&c, "ORU", "R41"))) {
        pcd__problem(&c, SEV_E, 0, 9, 0, 200U, 0U,
                     "MSH-9 is not ORA^R41 (not a PCD-05 alert status)");
        return HL7_PCD_UNUSABLE;
    }
    memset(out, 0, sizeof *out);
    pcd__msh(&c, &out->msh);
    if (pcd__streq(out->msh.type, "ORU")) {
        pcd__problem(&c, SEV_W, 0, 9, 0, 0U, 0U,
                     "MSH-9 is ORU^R41 (TF-2 B.1 spelling; §3.5 and HL7 2.8 say ORA^R41); accepted");
    }
    pcd__msh_expect(&c, &out->msh, "AL", "NE", PCD__OID_PCD05);
    n = hl7_segment_count(m);
    for (i = 1; i < n; i++) {
        if (hl7_segment_is(m, i, "PID")) {
            seen_pid = true;
            pcd__pid(&c, i, &out->patient);
        } else if (hl7_segment_is(m, i, "PV1")) {
            pcd__pv1(&c, i, &out->patient);
        } else if (hl7_segment_is(m, i, "OBR")) {
            obr++;
            if (obr == 1U) {
                (void)pcd__copy(&c, i, 3, 1, 1, 0, out->indication_id, sizeof out->indication_id);
                if (out->indication_id[0] == '\0') {
                    pcd__problem(&c, SEV_E, i, 3, 0, 101U, 0U,
                                 "OBR-3 is empty (required: the alert indication reported on)");
                }
                if (pcd__copy(&c, i, 29, 1, 2, 1, out->alert_id, sizeof out->alert_id) !=
                    PCD__VALUE) {
                    (void)pcd__copy(&c, i, 29, 1, 1, 1, out->alert_id, sizeof out->alert_id);
                }
                if (out->alert_id[0] == '\0') {
                    (void)pcd__scpy(out->alert_id, sizeof out->alert_id, out->indication_id);
                }
            }
        } else if (hl7_segment_is(m, i, "PRT")) {
            if (out->n_recipients < HL7_PCD_MAX_RECIPIENTS) {
                size_t k = out->n_recipients++;
                (void)pcd__copy(&c, i, 4, 1, 1, 0, out->recipients[k].role,
                                sizeof out->recipients[k].role);
                pcd__person(&c, i, 5, &out->recipients[k].person);
                (void)pcd__copy(&c, i, 15, 1, 1, 0, out->recipients[k].telecom,
                                sizeof out->recipients[k].telecom);
            }
        } else if (hl7_segment_is(m, i, "OBX")) {
            struct hl7_pcd_obs tmp;
            struct hl7_pcd_obs *o = &tmp;
            size_t k;
            if (out->n_obs < HL7_PCD_MAX_OBS) {
                o = &out->obs[out->n_obs++];
            } else {
                out->n_obs_dropped++;
            }
            pcd__obx(&c, i, obr, o);
            for (k = 0; (out->status[0] == '\0') && (k < sizeof statuses / sizeof statuses[0]);
                 k++) {
                if (pcd__streq(o->value, statuses[k]) || pcd__streq(o->value2, statuses[k])) {
                    (void)pcd__scpy(out->status, sizeof out->status, statuses[k]);
                }
            }
        } else {
            /* ORC, NTE: not needed */
        }
    }
    if (!seen_pid) {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U,
                     "no PID segment (the PCD-05 grammar has MSH PID PV1 ...)");
    }
    if (obr == 0U) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U,
                     "no OBR segment (required: which alert indication this status is about)");
    }
    if (out->status[0] == '\0') {
        pcd__problem(&c, SEV_W, PCD__NO_SEG, 0, 0, 0U, 0U,
                     "no dissemination status (accepted, rejected, deliverable, undeliverable, "
                     "queued) found in the OBX values");
    }
    return pcd__decode_status(&c);
}
