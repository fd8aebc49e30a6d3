/*
 * ehr_recv.c - what ehrsim does with a received message: validate it with the hl7 library,
 * decode its essentials, count, log one JSON line, build the acknowledgement; and the summary
 * (contract: see ehrsim.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "ehrsim.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "hl7/mllp.h"

#define MAX_LOGGED_PROBLEMS 16U

/* Decoded forms, one at a time (they are large: keep them off the stack). */
struct ehr_scratch {
    struct hl7_pcd_problems probs;     /* hl7_pcd_validate */
    struct hl7_pcd_problems probs2;    /* the decoder run for the values */
    union {
        struct hl7_pcd_device_report dev;
        struct hl7_pcd_alert_report alert;
        struct hl7_pcd_reply reply;
    } d;
};

bool ehr_recv_init(struct ehr_sim *sim)
{
    sim->scratch = malloc(sizeof(struct ehr_scratch));
    return sim->scratch != NULL;
}

void ehr_recv_free(struct ehr_sim *sim)
{
    free(sim->scratch);
    sim->scratch = NULL;
}

/* ---- JSON helpers ------------------------------------------------------------------------------ */

/* A string value; bytes from the network that are not UTF-8 become '?'; "" is left out. */
static void put_str(json_t *o, const char *key, const char *s, size_t len)
{
    json_t *v;

    if (len == 0U) {
        return;
    }
    v = json_stringn(s, len);
    if (v == NULL) {
        char *copy = malloc(len);
        size_t i;
        if (copy == NULL) {
            return;
        }
        for (i = 0; i < len; i++) {
            copy[i] = ((unsigned char)s[i] < 0x80U && s[i] != '\0') ? s[i] : '?';
        }
        v = json_stringn(copy, len);
        free(copy);
    }
    if (v != NULL) {
        (void)json_object_set_new(o, key, v);
    }
}

static void put_z(json_t *o, const char *key, const char *s)
{
    put_str(o, key, s, strlen(s));
}

static void put_u(json_t *o, const char *key, uint64_t v)
{
    (void)json_object_set_new(o, key, json_integer((json_int_t)v));
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

static void log_line(struct ehr_sim *sim, json_t *o)
{
    if (o == NULL) {
        return;
    }
    if (sim->log != NULL) {
        (void)json_dumpf(o, sim->log, JSON_COMPACT | JSON_PRESERVE_ORDER);
        (void)fputc('\n', sim->log);
        (void)fflush(sim->log);
    }
    json_decref(o);
}

static json_t *log_start(const char *dir, uint64_t conn)
{
    json_t *o = json_object();

    if (o != NULL) {
        put_u(o, "t_ms", wall_ms());
        put_z(o, "dir", dir);
        put_u(o, "conn", conn);
    }
    return o;
}

void ehr_log_event(struct ehr_sim *sim, const char *what, uint64_t peer_id, const char *detail)
{
    json_t *o = log_start("event", peer_id);

    if (o == NULL) {
        return;
    }
    put_z(o, "type", what);
    put_z(o, "detail", detail);
    log_line(sim, o);
}

void ehr_log_order(struct ehr_sim *sim, const struct ehr_order *o, long rec, unsigned i_conn,
                   bool is_dup)
{
    const struct ehr_order_rec *r = &sim->orders[rec];
    json_t *j;

    if (sim->log == NULL) {
        return;
    }
    j = log_start("out", (uint64_t)i_conn + 1U);
    if (j == NULL) {
        return;
    }
    put_z(j, "type", "pcd-03");
    put_z(j, "control_id", r->control_id);
    put_z(j, "placer_id", r->placer_id);
    if (is_dup) {
        (void)json_object_set_new(j, "duplicate", json_true());
    }
    if (o != NULL) {
        put_z(j, "patient_id", o->patient_id);
        put_z(j, "pump_id", o->pump_id);
        put_z(j, "care_area", o->care_area);
        put_z(j, "drug_code", o->entry_id);
        put_z(j, "drug_name", o->display_name);
        put_z(j, "dose", o->dose);
        put_z(j, "dose_unit", o->dose_ucum);
        (void)json_object_set_new(j, "hard", json_boolean(o->is_hard));
    }
    log_line(sim, j);
}

static void log_problems(json_t *o, const struct hl7_pcd_problems *p)
{
    json_t *arr = json_array();
    size_t i;

    if (arr == NULL) {
        return;
    }
    for (i = 0; i < p->n && i < MAX_LOGGED_PROBLEMS; i++) {
        char where[64];
        char line[HL7_PCD_PROBLEM_TEXT_MAX + 96];
        hl7_pcd_problem_where(&p->items[i], where, sizeof where);
        (void)snprintf(line, sizeof line, "%s %s: %s",
                       p->items[i].severity == HL7_PCD_SEV_ERROR ? "error" : "warning", where,
                       p->items[i].text);
        {
            /* Problem texts quote message bytes, which need not be UTF-8. */
            json_t *v = json_string(line);
            (void)json_array_append_new(arr, (v != NULL) ? v : json_string("?"));
        }
    }
    (void)json_object_set_new(o, "problems", arr);
    put_u(o, "n_errors", p->n_errors);
}

/* ---- views ------------------------------------------------------------------------------------ */

static void view_z(const struct hl7_msg *m, size_t seg, size_t field, size_t comp, char *out,
                   size_t cap)
{
    struct hl7_view v = {NULL, 0};

    out[0] = '\0';
    if (hl7_get(m, seg, field, 1, comp, 0, &v) == HL7_OK && v.len < cap && v.len > 0U) {
        memcpy(out, v.ptr, v.len);
        out[v.len] = '\0';
    }
}

static void now_dtm(char *buf, size_t cap)
{
    ehr_now_dtm(buf, cap);
}

/* The acknowledgement of m with `code`, framed into ack. */
static void build_ack(struct ehr_sim *sim, const struct hl7_msg *m, hl7_ack_code code, char *ack,
                      size_t cap, size_t *ack_len)
{
    char ctrl[72];
    char ts[EHR_DTM_MAX];
    char msg[8192];
    size_t len = 0;
    struct hl7_ack_params p;

    *ack_len = 0;
    sim->n_acks_built++;
    (void)snprintf(ctrl, sizeof ctrl, "EHRSIM-A%s-%llu", sim->run_id,
                   (unsigned long long)sim->n_acks_built);
    now_dtm(ts, sizeof ts);
    memset(&p, 0, sizeof p);
    p.code = code;
    p.control_id = ctrl;
    p.timestamp = ts;
    if (hl7_ack_build(m, &p, msg, sizeof msg, &len) == HL7_OK &&
        hl7_mllp_frame(msg, len, ack, cap, ack_len) == HL7_OK) {
        sim->c.acks_sent++;
        return;
    }
    *ack_len = 0;
}

/* ---- per message type ------------------------------------------------------------------------ */

static void piv_count(struct ehr_sim *sim, const struct hl7_pcd_reply *r, json_t *o)
{
    json_t *arr = json_array();
    size_t i;

    for (i = 0; i < r->n_errs; i++) {
        unsigned piv = r->errs[i].piv_code;
        if (piv == 0U) {
            continue;
        }
        if (arr != NULL) {
            (void)json_array_append_new(arr, json_integer((json_int_t)piv));
        }
        if (sim != NULL) {
            if (piv >= EHR_PIV_FIRST && piv <= EHR_PIV_LAST) {
                sim->c.piv[piv - EHR_PIV_FIRST]++;
            } else {
                sim->c.piv_other++;
            }
        }
    }
    if (arr != NULL) {
        (void)json_object_set_new(o, "piv_codes", arr);
    }
}

static bool ack_code_of(const char *text, hl7_ack_code *out)
{
    static const char *const names[6] = {"AA", "AE", "AR", "CA", "CE", "CR"};
    unsigned i;

    for (i = 0; i < 6U; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (hl7_ack_code)i;
            return true;
        }
    }
    return false;
}

static void on_rrg(struct ehr_sim *sim, const struct hl7_msg *m, json_t *o)
{
    struct ehr_scratch *s = sim->scratch;
    struct hl7_pcd_reply *r = &s->d.reply;
    hl7_ack_code code = HL7_ACK_AR;
    uint32_t rec = 0;
    bool is_first = true;
    bool is_ours;

    hl7_pcd_problems_init(&s->probs2);
    if (hl7_pcd_reply_decode(m, r, &s->probs2) == HL7_PCD_UNUSABLE) {
        return;
    }
    put_z(o, "msa_code", r->code);
    put_z(o, "acked_id", r->acked_id);
    put_z(o, "patient_id", r->patient_id);
    put_z(o, "placer_id", r->placer_id);
    if (!ack_code_of(r->code, &code)) {
        code = HL7_ACK_AR;
    }
    /* Counted per order id (MSA-2), whoever sent the order: a listener-only ehrsim still
     * reports the server's application results; a second RRG^O16 for an id is a duplicate. */
    (void)ehr_idmap_put(&sim->rrg_ids, r->acked_id, strlen(r->acked_id), 0U, &is_first, NULL);
    is_ours = ehr_idmap_get(&sim->order_ids, r->acked_id, strlen(r->acked_id), &rec);
    if (!is_first) {
        sim->c.rrg_dup++;
        put_z(o, "match", "duplicate");
        piv_count(NULL, r, o);
        return;
    }
    piv_count(sim, r, o);
    sim->c.rrg[code]++;
    if (!is_ours) {
        sim->c.rrg_unmatched++;
        put_z(o, "match", "unmatched");
        return;
    }
    put_z(o, "match", "order");
    sim->orders[rec].n_rrgs++;
    sim->orders[rec].rrg_code = (uint8_t)code;
    (void)ehr_latency_add(&sim->lat_rrg, ehr_now_us() - sim->orders[rec].sent_us);
}

static void on_device(struct ehr_sim *sim, const struct hl7_msg *m, bool is_pcd10, json_t *o)
{
    struct ehr_scratch *s = sim->scratch;
    struct hl7_pcd_device_report *r = &s->d.dev;
    hl7_pcd_status st;

    hl7_pcd_problems_init(&s->probs2);
    st = is_pcd10 ? hl7_pcd10_decode(m, r, &s->probs2) : hl7_pcd01_decode(m, r, &s->probs2);
    if (is_pcd10) {
        sim->c.pcd10++;
    } else {
        sim->c.pcd01++;
    }
    if (st == HL7_PCD_UNUSABLE) {
        return;
    }
    put_z(o, "patient_id", r->patient.id);
    put_z(o, "pump_id", r->pump.pump_id);
    put_z(o, "eui64", r->pump.eui64);
    put_z(o, "drug_code", r->service.id);
    put_z(o, "drug_name", r->service.text);
    put_z(o, "placer_id", r->placer_id);
    put_z(o, "rate_ml_h", r->pump.rate_ml_h);
    put_z(o, "volume_infused_ml", r->pump.volume_infused_ml);
    if (is_pcd10) {
        uint8_t ev = (r->event < (uint8_t)HL7_PCD_EVT_COUNT) ? r->event : (uint8_t)HL7_PCD_EVT_UNKNOWN;
        sim->c.pcd10_by_event[ev]++;
        put_z(o, "event", hl7_pcd_event_str((hl7_pcd_event)ev));
        if (r->transitioning) {
            (void)json_object_set_new(o, "transitioning", json_true());
        }
    }
}

static void on_alert(struct ehr_sim *sim, const struct hl7_msg *m, json_t *o)
{
    struct ehr_scratch *s = sim->scratch;
    struct hl7_pcd_alert_report *r = &s->d.alert;
    uint8_t phase;

    sim->c.pcd04++;
    hl7_pcd_problems_init(&s->probs2);
    if (hl7_pcd04_decode(m, r, &s->probs2) == HL7_PCD_UNUSABLE) {
        return;
    }
    phase = (r->alert.phase < (uint8_t)HL7_PCD_PHASE_COUNT) ? r->alert.phase : 0U;
    sim->c.pcd04_by_phase[phase]++;
    put_z(o, "patient_id", r->patient.id);
    put_z(o, "eui64", r->equipment);
    put_z(o, "placer_id", r->placer_id);
    put_z(o, "alert_id", r->alert.alert_id);
    put_z(o, "alert_event", r->alert.event_refid);
    put_z(o, "alert_text", r->alert.event_text);
    put_z(o, "alert_phase", hl7_pcd_alert_phase_str((hl7_pcd_alert_phase)phase));
    if (r->alert.state < (uint8_t)HL7_PCD_ASTATE_COUNT) {
        put_z(o, "alert_state", hl7_pcd_alert_state_str((hl7_pcd_alert_state)r->alert.state));
    }
    if (r->alert.priority < (uint8_t)HL7_PCD_PRIO_COUNT) {
        put_z(o, "alert_priority",
              hl7_pcd_alert_priority_str((hl7_pcd_alert_priority)r->alert.priority));
    }
}

bool ehr_recv_frame(struct ehr_sim *sim, uint64_t peer_id, const char *frame, size_t len,
                    char *ack, size_t cap, size_t *ack_len)
{
    struct ehr_scratch *s = sim->scratch;
    struct hl7_msg m;
    struct hl7_error err;
    hl7_pcd_profile used = HL7_PCD_PROFILE_UNKNOWN;
    hl7_pcd_status vst;
    json_t *o = log_start("in", peer_id);
    char msh9[64];
    char ctrl[EHR_ID_MAX];
    char sender[EHR_ID_MAX];
    char key[2U * EHR_ID_MAX + 2U];
    char accept[8];
    bool is_new = true;
    hl7_ack_code code = sim->cfg->ack_code;

    *ack_len = 0;
    sim->c.received++;
    memset(&err, 0, sizeof err);
    hl7_msg_init(&m, sim->segs, HL7_MAX_SEGMENTS, sim->seps, sim->cap_seps);
    if (hl7_parse(&m, frame, len, &err) != HL7_OK) {
        sim->c.invalid++;
        if (o != NULL) {
            put_z(o, "type", "not-hl7");
            put_z(o, "error", err.message != NULL ? err.message : hl7_status_str(err.code));
            log_line(sim, o);
        }
        return false;
    }
    view_z(&m, 0, 9, 0, msh9, sizeof msh9);
    view_z(&m, 0, 10, 0, ctrl, sizeof ctrl);
    view_z(&m, 0, 3, 1, sender, sizeof sender);
    view_z(&m, 0, 15, 0, accept, sizeof accept);
    (void)snprintf(key, sizeof key, "%s|%s", sender, ctrl);
    (void)ehr_idmap_put(&sim->received_ids, key, strlen(key), 0U, &is_new, NULL);
    if (!is_new) {
        sim->c.duplicates++;
    }

    hl7_pcd_problems_init(&s->probs);
    vst = hl7_pcd_validate(&m, HL7_PCD_PROFILE_AUTO, &s->probs, &used);
    if (vst != HL7_PCD_OK || hl7_msg_check(&m, &err) != HL7_OK) {
        sim->c.invalid++;
    }
    if (o != NULL) {
        put_z(o, "type", hl7_pcd_profile_str(used));
        put_z(o, "msh9", msh9);
        put_z(o, "control_id", ctrl);
        (void)json_object_set_new(o, "valid", json_boolean(vst == HL7_PCD_OK));
        if (!is_new) {
            (void)json_object_set_new(o, "duplicate", json_true());
        }
    }
    switch (used) {
    case HL7_PCD_PROFILE_RRG_O16:
        code = HL7_ACK_CA; /* ACK^O16: we took the application ack */
        on_rrg(sim, &m, o);
        break;
    case HL7_PCD_PROFILE_PCD01:
        on_device(sim, &m, false, o);
        break;
    case HL7_PCD_PROFILE_PCD10:
        on_device(sim, &m, true, o);
        break;
    case HL7_PCD_PROFILE_PCD04:
        on_alert(sim, &m, o);
        break;
    case HL7_PCD_PROFILE_AUTO:
    case HL7_PCD_PROFILE_PCD03:
    case HL7_PCD_PROFILE_PCD05:
    case HL7_PCD_PROFILE_ACK:
    case HL7_PCD_PROFILE_UNKNOWN:
    default:
        sim->c.other++;
        break;
    }
    if (o != NULL) {
        log_problems(o, &s->probs);
    }
    /* MSH-15 NE asks for no accept ACK; everything else is answered (a control id is needed). */
    if (strcmp(accept, "NE") != 0 && ctrl[0] != '\0' && used != HL7_PCD_PROFILE_ACK) {
        build_ack(sim, &m, code, ack, cap, ack_len);
        if (o != NULL && *ack_len > 0U) {
            put_z(o, "ack_sent", hl7_ack_code_str(code));
        }
    }
    if (o != NULL) {
        log_line(sim, o);
    }
    return true;
}

void ehr_recv_order_ack(struct ehr_sim *sim, unsigned i_conn, const char *frame, size_t len,
                        long *acked)
{
    struct ehr_scratch *s = sim->scratch;
    struct hl7_pcd_reply *r = &s->d.reply;
    struct hl7_msg m;
    struct hl7_error err;
    json_t *o = log_start("ack", (uint64_t)i_conn + 1U);
    hl7_ack_code code = HL7_ACK_CR;
    uint32_t rec = 0;

    *acked = -1;
    hl7_msg_init(&m, sim->segs, HL7_MAX_SEGMENTS, sim->seps, sim->cap_seps);
    hl7_pcd_problems_init(&s->probs);
    if (hl7_parse(&m, frame, len, &err) != HL7_OK ||
        hl7_pcd_reply_decode(&m, r, &s->probs) == HL7_PCD_UNUSABLE) {
        sim->c.ack_bad++;
        if (o != NULL) {
            put_z(o, "type", "not-an-ack");
            log_line(sim, o);
        }
        return;
    }
    if (o != NULL) {
        char msh9[64];
        view_z(&m, 0, 9, 0, msh9, sizeof msh9);
        put_z(o, "type", "ack");
        put_z(o, "msh9", msh9);
        put_z(o, "control_id", r->msh.control_id);
        put_z(o, "msa_code", r->code);
        put_z(o, "acked_id", r->acked_id);
        (void)json_object_set_new(o, "valid", json_boolean(s->probs.n_errors == 0U));
        piv_count(NULL, r, o);
        log_problems(o, &s->probs);
    }
    if (s->probs.n_errors > 0U) {
        sim->c.invalid++;
    }
    if (!ehr_idmap_get(&sim->order_ids, r->acked_id, strlen(r->acked_id), &rec)) {
        sim->c.ack_unmatched++;
        put_z(o, "match", "unmatched");
        log_line(sim, o);
        return;
    }
    *acked = (long)rec;
    if (!ack_code_of(r->code, &code)) {
        code = HL7_ACK_CR;
    }
    sim->orders[rec].n_acks++;
    if (sim->orders[rec].n_acks > 1U) {
        sim->c.ack_dup++;
        put_z(o, "match", "duplicate");
    } else {
        put_z(o, "match", "order");
        sim->orders[rec].ack_code = (uint8_t)code;
        sim->c.ack[code]++;
        (void)ehr_latency_add(&sim->lat_ack, ehr_now_us() - sim->orders[rec].sent_us);
    }
    log_line(sim, o);
}

/* ---- summary ------------------------------------------------------------------------------- */

static const char *const ack_names[6] = {"AA", "AE", "AR", "CA", "CE", "CR"};

static json_t *pct_json(const struct ehr_pct *p)
{
    json_t *o = json_object();

    put_u(o, "n", p->n);
    (void)json_object_set_new(o, "p50", json_real((double)p->p50_us / 1000.0));
    (void)json_object_set_new(o, "p99", json_real((double)p->p99_us / 1000.0));
    (void)json_object_set_new(o, "max", json_real((double)p->max_us / 1000.0));
    return o;
}

static json_t *codes_json(const uint64_t *counts)
{
    json_t *o = json_object();
    unsigned i;

    for (i = 0; i < 6U; i++) {
        if (counts[i] > 0U) {
            put_u(o, ack_names[i], counts[i]);
        }
    }
    return o;
}

/* Orders without a first ACK^O15 / RRG^O16, and the hard-limit orders. */
static void unanswered(const struct ehr_sim *sim, uint64_t *no_ack, uint64_t *no_rrg,
                       uint64_t *hard)
{
    size_t i;

    *no_ack = 0;
    *no_rrg = 0;
    *hard = 0;
    for (i = 0; i < sim->n_orders; i++) {
        if (sim->orders[i].sent_us == 0U) {
            continue; /* never sent */
        }
        *no_ack += (sim->orders[i].ack_code == EHR_NO_CODE) ? 1U : 0U;
        *no_rrg += (sim->orders[i].rrg_code == EHR_NO_CODE) ? 1U : 0U;
        *hard += sim->orders[i].is_hard ? 1U : 0U;
    }
}

static void print_pct(const char *what, const struct ehr_pct *p)
{
    printf("latency %s: n %zu, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", what, p->n,
           (double)p->p50_us / 1000.0, (double)p->p99_us / 1000.0, (double)p->max_us / 1000.0);
}

/* The --expect-... checks; failures appended to arr and printed. */
static bool check_expects(const struct ehr_sim *sim, uint64_t no_ack, uint64_t no_rrg,
                          json_t *arr)
{
    const struct ehr_config *cfg = sim->cfg;
    bool ok = true;
    char why[160];

    if (cfg->expect_all_acked &&
        (no_ack > 0U || sim->c.ack[HL7_ACK_CA] + sim->c.ack[HL7_ACK_AA] < sim->c.orders_sent)) {
        (void)snprintf(why, sizeof why, "expect-all-acked: %llu of %llu orders without ACK^O15 "
                                        "CA/AA",
                       (unsigned long long)(sim->c.orders_sent - sim->c.ack[HL7_ACK_CA] -
                                            sim->c.ack[HL7_ACK_AA]),
                       (unsigned long long)sim->c.orders_sent);
        (void)json_array_append_new(arr, json_string(why));
        printf("EXPECT FAILED: %s\n", why);
        ok = false;
    }
    if (cfg->expect_all_answered && (no_rrg > 0U || sim->c.orders_sent < sim->n_total)) {
        (void)snprintf(why, sizeof why, "expect-all-answered: %llu orders without RRG^O16",
                       (unsigned long long)(no_rrg + (sim->n_total - sim->c.orders_sent)));
        (void)json_array_append_new(arr, json_string(why));
        printf("EXPECT FAILED: %s\n", why);
        ok = false;
    }
    if (cfg->expect_no_invalid && sim->c.invalid > 0U) {
        (void)snprintf(why, sizeof why, "expect-no-invalid: %llu invalid messages",
                       (unsigned long long)sim->c.invalid);
        (void)json_array_append_new(arr, json_string(why));
        printf("EXPECT FAILED: %s\n", why);
        ok = false;
    }
    if (cfg->has_expect_min_events && sim->c.pcd10 < cfg->expect_min_events) {
        (void)snprintf(why, sizeof why, "expect-min-events: %llu PCD-10, expected at least %llu",
                       (unsigned long long)sim->c.pcd10,
                       (unsigned long long)cfg->expect_min_events);
        (void)json_array_append_new(arr, json_string(why));
        printf("EXPECT FAILED: %s\n", why);
        ok = false;
    }
    return ok;
}

static void print_text(const struct ehr_sim *sim, uint64_t no_ack, uint64_t no_rrg, uint64_t hard,
                       const struct ehr_pct *pa, const struct ehr_pct *pr)
{
    const struct ehr_counts *c = &sim->c;
    unsigned i;

    printf("ehrsim summary (stopped: %s)\n", sim->stop_reason != NULL ? sim->stop_reason : "-");
    printf("orders: sent %llu of %zu (hard-limit %llu, duplicates re-sent %llu, skipped %llu)\n",
           (unsigned long long)c->orders_sent, sim->n_total, (unsigned long long)hard,
           (unsigned long long)c->dups_sent, (unsigned long long)c->orders_skipped);
    printf("ACK^O15: CA %llu, CE %llu, CR %llu, AA %llu, AE %llu, AR %llu; duplicate %llu, "
           "unmatched %llu, not an ACK %llu; orders without ACK^O15 %llu\n",
           (unsigned long long)c->ack[HL7_ACK_CA], (unsigned long long)c->ack[HL7_ACK_CE],
           (unsigned long long)c->ack[HL7_ACK_CR], (unsigned long long)c->ack[HL7_ACK_AA],
           (unsigned long long)c->ack[HL7_ACK_AE], (unsigned long long)c->ack[HL7_ACK_AR],
           (unsigned long long)c->ack_dup, (unsigned long long)c->ack_unmatched,
           (unsigned long long)c->ack_bad, (unsigned long long)no_ack);
    printf("RRG^O16: AA %llu, AE %llu, AR %llu; duplicate %llu, unmatched %llu; orders "
           "unanswered %llu\n",
           (unsigned long long)c->rrg[HL7_ACK_AA], (unsigned long long)c->rrg[HL7_ACK_AE],
           (unsigned long long)c->rrg[HL7_ACK_AR], (unsigned long long)c->rrg_dup,
           (unsigned long long)c->rrg_unmatched, (unsigned long long)no_rrg);
    printf("PIV codes:");
    for (i = 0; i <= EHR_PIV_LAST - EHR_PIV_FIRST; i++) {
        if (c->piv[i] > 0U) {
            printf(" %u x%llu", EHR_PIV_FIRST + i, (unsigned long long)c->piv[i]);
        }
    }
    if (c->piv_other > 0U) {
        printf(" other x%llu", (unsigned long long)c->piv_other);
    }
    printf("\n");
    print_pct("order->ACK^O15", pa);
    print_pct("order->RRG^O16", pr);
    printf("PCD-10 events: %llu (", (unsigned long long)c->pcd10);
    for (i = 0; i < (unsigned)HL7_PCD_EVT_COUNT; i++) {
        if (c->pcd10_by_event[i] > 0U) {
            printf(" %s %llu", hl7_pcd_event_str((hl7_pcd_event)i),
                   (unsigned long long)c->pcd10_by_event[i]);
        }
    }
    printf(" )\nPCD-01: %llu\nPCD-04 alerts: %llu (", (unsigned long long)c->pcd01,
           (unsigned long long)c->pcd04);
    for (i = 0; i < (unsigned)HL7_PCD_PHASE_COUNT; i++) {
        if (c->pcd04_by_phase[i] > 0U) {
            printf(" %s %llu", i == 0U ? "none" : hl7_pcd_alert_phase_str((hl7_pcd_alert_phase)i),
                   (unsigned long long)c->pcd04_by_phase[i]);
        }
    }
    printf(" )\nreceived: %llu, invalid %llu, duplicates %llu, other %llu, ACKs sent %llu, "
           "connections dropped %llu\n",
           (unsigned long long)c->received, (unsigned long long)c->invalid,
           (unsigned long long)c->duplicates, (unsigned long long)c->other,
           (unsigned long long)c->acks_sent, (unsigned long long)c->peers_dropped);
}

static json_t *summary_json(const struct ehr_sim *sim, uint64_t no_ack, uint64_t no_rrg,
                            uint64_t hard, const struct ehr_pct *pa, const struct ehr_pct *pr)
{
    const struct ehr_counts *c = &sim->c;
    json_t *root = json_object();
    json_t *orders = json_object();
    json_t *piv = json_object();
    json_t *lat = json_object();
    json_t *ev = json_object();
    json_t *ph = json_object();
    json_t *rcv = json_object();
    unsigned i;

    put_z(root, "stopped", sim->stop_reason != NULL ? sim->stop_reason : "-");
    put_u(orders, "total", sim->n_total);
    put_u(orders, "sent", c->orders_sent);
    put_u(orders, "hard", hard);
    put_u(orders, "duplicates_sent", c->dups_sent);
    put_u(orders, "skipped", c->orders_skipped);
    (void)json_object_set_new(orders, "ack_o15", codes_json(c->ack));
    put_u(orders, "ack_o15_duplicate", c->ack_dup);
    put_u(orders, "ack_o15_unmatched", c->ack_unmatched);
    put_u(orders, "without_ack_o15", no_ack);
    (void)json_object_set_new(orders, "rrg_o16", codes_json(c->rrg));
    put_u(orders, "rrg_o16_duplicate", c->rrg_dup);
    put_u(orders, "rrg_o16_unmatched", c->rrg_unmatched);
    put_u(orders, "unanswered", no_rrg);
    for (i = 0; i <= EHR_PIV_LAST - EHR_PIV_FIRST; i++) {
        if (c->piv[i] > 0U) {
            char k[8];
            (void)snprintf(k, sizeof k, "%u", EHR_PIV_FIRST + i);
            put_u(piv, k, c->piv[i]);
        }
    }
    if (c->piv_other > 0U) {
        put_u(piv, "other", c->piv_other);
    }
    (void)json_object_set_new(orders, "piv", piv);
    (void)json_object_set_new(root, "orders", orders);
    (void)json_object_set_new(lat, "ack_o15", pct_json(pa));
    (void)json_object_set_new(lat, "rrg_o16", pct_json(pr));
    (void)json_object_set_new(root, "latency_ms", lat);
    put_u(root, "pcd10", c->pcd10);
    for (i = 0; i < (unsigned)HL7_PCD_EVT_COUNT; i++) {
        if (c->pcd10_by_event[i] > 0U) {
            put_u(ev, hl7_pcd_event_str((hl7_pcd_event)i), c->pcd10_by_event[i]);
        }
    }
    (void)json_object_set_new(root, "pcd10_events", ev);
    put_u(root, "pcd01", c->pcd01);
    put_u(root, "pcd04", c->pcd04);
    for (i = 0; i < (unsigned)HL7_PCD_PHASE_COUNT; i++) {
        if (c->pcd04_by_phase[i] > 0U) {
            put_u(ph, i == 0U ? "none" : hl7_pcd_alert_phase_str((hl7_pcd_alert_phase)i),
                  c->pcd04_by_phase[i]);
        }
    }
    (void)json_object_set_new(root, "pcd04_phases", ph);
    put_u(rcv, "total", c->received);
    put_u(rcv, "invalid", c->invalid);
    put_u(rcv, "duplicates", c->duplicates);
    put_u(rcv, "other", c->other);
    put_u(rcv, "acks_sent", c->acks_sent);
    put_u(rcv, "connections_dropped", c->peers_dropped);
    put_u(rcv, "order_connections_lost", c->conn_drops);
    (void)json_object_set_new(root, "received", rcv);
    return root;
}

int ehr_summary(struct ehr_sim *sim)
{
    struct ehr_pct pa;
    struct ehr_pct pr;
    uint64_t no_ack = 0;
    uint64_t no_rrg = 0;
    uint64_t hard = 0;
    json_t *root;
    json_t *failed = json_array();
    bool ok;

    ehr_latency_summary(&sim->lat_ack, &pa);
    ehr_latency_summary(&sim->lat_rrg, &pr);
    unanswered(sim, &no_ack, &no_rrg, &hard);
    print_text(sim, no_ack, no_rrg, hard, &pa, &pr);
    ok = check_expects(sim, no_ack, no_rrg, failed);
    (void)fflush(stdout);
    if (sim->cfg->summary_json != NULL) {
        root = summary_json(sim, no_ack, no_rrg, hard, &pa, &pr);
        (void)json_object_set_new(root, "expect_failed", failed);
        failed = NULL;
        if (json_dump_file(root, sim->cfg->summary_json, JSON_INDENT(2) | JSON_PRESERVE_ORDER) !=
            0) {
            fprintf(stderr, "ehrsim: cannot write %s\n", sim->cfg->summary_json);
        }
        json_decref(root);
    }
    json_decref(failed);
    return ok ? 0 : 1;
}

void ehr_progress(struct ehr_sim *sim)
{
    const struct ehr_counts *c = &sim->c;

    fprintf(stderr,
            "ehrsim: %.1f s: orders sent %llu/%zu, ACK^O15 %llu, RRG^O16 %llu; received %llu "
            "(PCD-01 %llu, PCD-10 %llu, PCD-04 %llu), invalid %llu\n",
            (double)(ehr_now_us() - sim->start_us) / 1e6, (unsigned long long)c->orders_sent,
            sim->n_total,
            (unsigned long long)(c->ack[0] + c->ack[1] + c->ack[2] + c->ack[3] + c->ack[4] +
                                 c->ack[5]),
            (unsigned long long)(c->rrg[0] + c->rrg[1] + c->rrg[2] + c->rrg[3] + c->rrg[4] +
                                 c->rrg[5]),
            (unsigned long long)c->received, (unsigned long long)c->pcd01,
            (unsigned long long)c->pcd10, (unsigned long long)c->pcd04,
            (unsigned long long)c->invalid);
}
