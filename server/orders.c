/*
 * orders.c - PCD-03 auto-programming (orders.h).
 *
 * Life of an order: frame -> decode -> [group commit: order row + status] -> ACK^O15 on the
 * connection -> checks -> either [commit: status rejected + RRG^O16 AR/AE in the outbox] or
 * [commit: command row + status sent_to_pump] -> `program` command -> pump replies
 * accepted / rejected / confirmed / declined -> [commit: reply + status (+ RRG^O16 when final)].
 * Commands waiting for a final answer live in `pending` (and in the store, so a restart resends
 * them; the pump ignores a cmd_id it has seen, answering again).
 */
#define _POSIX_C_SOURCE 200809L

#include "orders.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl7/hl7.h"
#include "hl7/pcd.h"
#include "log.h"
#include "mllp_in.h"
#include "mqtt_link.h"
#include "oi_json.h"
#include "pump/pump_ders.h"
#include "pump/pump_library.h"
#include "pump/pump_unit.h"
#include "server.h"

#define SEGS_MAX 2000U

struct srv_orders {
    json_t *pending; /* cmd_id -> {"pump_id", "order_id", "cmd", "reply_to"} */
    struct hl7_segment segs[SEGS_MAX];
    bool warned_no_iop;
};

/* ---- small helpers ------------------------------------------------------------------------------ */

static void now_dtm(char *out, size_t cap)
{
    struct hl7_dtm d;
    size_t len = 0;
    out[0] = '\0';
    /* hl7_dtm_format writes len bytes, no NUL. */
    if (hl7_dtm_from_unix_ms(srv_now_ms(), 0, false, &d) == HL7_OK &&
        hl7_dtm_format(&d, out, cap - 1, &len) == HL7_OK) {
        out[len] = '\0';
    }
}

/* An HL7 NM as a JSON number: "+5" -> "5", ".5" -> "0.5", "5." -> "5". */
static bool nm_json(const char *nm, char *out, size_t cap)
{
    const char *p = nm;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    size_t n = strlen(p);
    if (n == 0 || n + 4 > cap) {
        return false;
    }
    size_t o = 0;
    if (neg) {
        out[o++] = '-';
    }
    if (*p == '.') {
        out[o++] = '0';
    }
    memcpy(out + o, p, n);
    o += n;
    if (out[o - 1] == '.') {
        o--;
    }
    out[o] = '\0';
    return true;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen || alen == 0) {
        return false;
    }
    for (size_t i = 0; i < alen; i++) {
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i])) {
            return false;
        }
    }
    return true;
}

/* ---- RRG^O16 ------------------------------------------------------------------------------------ */

static json_t *reply_to_of(const struct hl7_pcd_order *o)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                     "sa_ns", o->msh.sending_app.ns, "sa_uid", o->msh.sending_app.uid, "sa_type",
                     o->msh.sending_app.uid_type, "ra_ns", o->msh.receiving_app.ns, "ra_uid",
                     o->msh.receiving_app.uid, "ra_type", o->msh.receiving_app.uid_type, "sf",
                     o->msh.sending_facility, "rf", o->msh.receiving_facility, "version",
                     o->msh.version, "proc", o->msh.processing_id, "ctrl", o->msh.control_id,
                     "patient", o->patient.id, "placer", o->placer_id, "app_ack",
                     o->msh.app_ack);
}

static void copy_field(char *dst, size_t cap, const json_t *rt, const char *key)
{
    const char *v = json_string_value(json_object_get(rt, key));
    (void)snprintf(dst, cap, "%s", v != NULL ? v : "");
}

/* Whether MSH-16 of the order wants an application ack with this outcome. */
static bool wants_app_ack(const json_t *rt, bool success)
{
    const char *mode = json_string_value(json_object_get(rt, "app_ack"));
    if (mode == NULL || mode[0] == '\0' || strcmp(mode, "AL") == 0) {
        return true;
    }
    if (strcmp(mode, "NE") == 0) {
        return false;
    }
    if (strcmp(mode, "ER") == 0) {
        return !success;
    }
    return strcmp(mode, "SU") == 0 ? success : true;
}

/*
 * Queue the RRG^O16 of an order in the outbox (inside the caller's transaction). code "AA", "AE"
 * or "AR"; piv 0 with AA. The control id is derived from the order row, so the same outcome can
 * never be queued twice.
 */
static bool build_rrg(const json_t *rt, int64_t order_id, const char *code, unsigned piv,
                      const char *text, struct hl7_pcd_order *o, struct hl7_pcd_reply *r,
                      struct hl7_pcd_problems *none, char *buf, size_t cap, size_t *len,
                      char *ctrl, size_t ctrl_cap)
{
    hl7_pcd_problems_init(none);
    copy_field(o->msh.sending_app.ns, sizeof o->msh.sending_app.ns, rt, "sa_ns");
    copy_field(o->msh.sending_app.uid, sizeof o->msh.sending_app.uid, rt, "sa_uid");
    copy_field(o->msh.sending_app.uid_type, sizeof o->msh.sending_app.uid_type, rt, "sa_type");
    copy_field(o->msh.receiving_app.ns, sizeof o->msh.receiving_app.ns, rt, "ra_ns");
    copy_field(o->msh.receiving_app.uid, sizeof o->msh.receiving_app.uid, rt, "ra_uid");
    copy_field(o->msh.receiving_app.uid_type, sizeof o->msh.receiving_app.uid_type, rt,
               "ra_type");
    copy_field(o->msh.sending_facility, sizeof o->msh.sending_facility, rt, "sf");
    copy_field(o->msh.receiving_facility, sizeof o->msh.receiving_facility, rt, "rf");
    copy_field(o->msh.version, sizeof o->msh.version, rt, "version");
    copy_field(o->msh.processing_id, sizeof o->msh.processing_id, rt, "proc");
    copy_field(o->msh.control_id, sizeof o->msh.control_id, rt, "ctrl");
    copy_field(o->patient.id, sizeof o->patient.id, rt, "patient");
    copy_field(o->placer_id, sizeof o->placer_id, rt, "placer");
    if (o->msh.receiving_app.ns[0] == '\0') {
        (void)snprintf(o->msh.receiving_app.ns, sizeof o->msh.receiving_app.ns, "INFUSIOND");
    }
    (void)snprintf(ctrl, ctrl_cap, "RRG%lld", (long long)order_id);
    char when[40];
    now_dtm(when, sizeof when);
    if (hl7_pcd_reply_prepare(HL7_PCD_REPLY_RRG_O16, o, none, ctrl, when, r) != HL7_PCD_OK) {
        return false;
    }
    if (strcmp(code, "AA") != 0) {
        (void)hl7_pcd_reply_add_error(r, 207, piv, text);
        (void)snprintf(r->code, sizeof r->code, "%s", code);
    }
    return hl7_pcd_rrg_o16_build(r, buf, cap, len) == HL7_PCD_OK;
}

/*
 * Queue the RRG^O16 of an order in the outbox (inside the caller's transaction). code "AA", "AE"
 * or "AR"; piv 0 with AA. The control id is derived from the order row, so the same outcome can
 * never be queued twice.
 */
static bool queue_rrg(struct srv *s, const json_t *rt, int64_t order_id, const char *code,
                      unsigned piv, const char *text)
{
    if (!wants_app_ack(rt, strcmp(code, "AA") == 0)) {
        return true;
    }
    if (s->cfg.iop == NULL) {
        if (!s->orders->warned_no_iop) {
            srv_log(SRV_LOG_WARN, "orders", "no --ehr-iop: RRG^O16 application acks are not sent");
            s->orders->warned_no_iop = true;
        }
        return true;
    }
    struct hl7_pcd_order *o = calloc(1, sizeof *o);
    struct hl7_pcd_reply *r = calloc(1, sizeof *r);
    struct hl7_pcd_problems *none = calloc(1, sizeof *none);
    char *buf = malloc(8192);
    char ctrl[48];
    size_t len = 0;
    bool ok = o != NULL && r != NULL && none != NULL && buf != NULL &&
              build_rrg(rt, order_id, code, piv, text, o, r, none, buf, 8192, &len, ctrl,
                        sizeof ctrl);
    if (ok) {
        int64_t id = 0;
        store_status st =
            store_outbox_add(s->store, "iop", ctrl, "rrg_o16", buf, len, srv_now_ms(), &id);
        ok = st == STORE_OK || st == STORE_DUPLICATE;
    }
    if (!ok) {
        srv_log(SRV_LOG_ERROR, "orders", "cannot queue the RRG^O16 of order %lld",
                (long long)order_id);
    }
    free(o);
    free(r);
    free(none);
    free(buf);
    return ok;
}

/* ---- the verdict of the checks ------------------------------------------------------------------- */

struct verdict_work {
    int64_t order_id;
    json_t *reply_to;
    char code[4];
    unsigned piv;
    char text[256];
    char pump_id[MODEL_ID_MAX];
    /* accepted: the command */
    char cmd_id[48];
    json_t *cmd;
};

static bool reject_write(struct srv *s, void *arg)
{
    struct verdict_work *w = arg;
    char detail[300];
    (void)snprintf(detail, sizeof detail, "%s %u %s", w->code, w->piv, w->text);
    return store_order_status_add(s->store, w->order_id, "rejected", detail, srv_now_ms()) ==
               STORE_OK &&
           queue_rrg(s, w->reply_to, w->order_id, w->code, w->piv, w->text);
}

static void verdict_free(struct verdict_work *w)
{
    json_decref(w->reply_to);
    json_decref(w->cmd);
    free(w);
}

static void reject_done(struct srv *s, void *arg, bool ok)
{
    struct verdict_work *w = arg;
    if (ok) {
        s->metrics.orders_rejected++;
        srv_log(SRV_LOG_INFO, "orders", "order %lld refused: %s %u %s", (long long)w->order_id,
                w->code, w->piv, w->text);
    }
    verdict_free(w);
}

static bool send_write(struct srv *s, void *arg)
{
    struct verdict_work *w = arg;
    json_t *stored = json_pack("{s:O, s:O}", "cmd", w->cmd, "reply_to", w->reply_to);
    char *text = stored != NULL ? json_dumps(stored, JSON_COMPACT) : NULL;
    json_decref(stored);
    if (text == NULL) {
        return false;
    }
    int64_t now = srv_now_ms();
    store_status st = store_command_add(s->store, w->cmd_id, w->pump_id, "program", w->order_id,
                                        text, now);
    free(text);
    return st == STORE_OK &&
           store_order_status_add(s->store, w->order_id, "sent_to_pump", w->pump_id, now) ==
               STORE_OK;
}

static void publish_cmd(struct srv *s, const char *pump_id, const json_t *cmd)
{
    char *text = json_dumps(cmd, JSON_COMPACT);
    if (text != NULL && srv_mqtt_publish(s, pump_id, "cmd", text, strlen(text))) {
        s->metrics.commands_sent++;
    }
    free(text);
}

static void send_done(struct srv *s, void *arg, bool ok)
{
    struct verdict_work *w = arg;
    if (ok) {
        json_t *entry = json_pack("{s:s, s:I, s:O, s:O}", "pump_id", w->pump_id, "order_id",
                                  (json_int_t)w->order_id, "cmd", w->cmd, "reply_to",
                                  w->reply_to);
        if (entry != NULL) {
            (void)json_object_set_new(s->orders->pending, w->cmd_id, entry);
        }
        publish_cmd(s, w->pump_id, w->cmd);
        srv_log(SRV_LOG_INFO, "orders", "order %lld sent to pump %s as %s",
                (long long)w->order_id, w->pump_id, w->cmd_id);
    }
    verdict_free(w);
}

static void refuse(struct srv *s, struct verdict_work *w, const char *code, unsigned piv,
                   const char *text)
{
    (void)snprintf(w->code, sizeof w->code, "%s", code);
    w->piv = piv;
    (void)snprintf(w->text, sizeof w->text, "%s",
                   text != NULL ? text : (hl7_pcd_piv_text(piv) != NULL ? hl7_pcd_piv_text(piv)
                                                                        : "refused"));
    struct srv_work work = {reject_write, reject_done, w};
    if (!srv_commit_queue(s, &work)) {
        verdict_free(w);
    }
}

/* ---- the checks ----------------------------------------------------------------------------------- */

/* The entry of area `area` that the order's drug (RXG-4) names: by id, else by drug or display
 * name. piv gets 9010 (no such drug) or 9021 (an entry of another care area). */
static bool map_entry(const struct pump_library *lib, uint32_t area,
                      const struct hl7_pcd_cwe *give, const struct pump_entry **out,
                      unsigned *piv)
{
    uint32_t idx;
    bool elsewhere = false;
    if (give->id[0] != '\0' &&
        pump_library_find_entry(lib, give->id, strlen(give->id), &idx) == PUMP_OK) {
        if (lib->st.entries[idx].area == area) {
            *out = &lib->st.entries[idx];
            return true;
        }
        elsewhere = true;
    }
    for (uint32_t i = 0; i < lib->n_entries; i++) {
        const struct pump_entry *e = &lib->st.entries[i];
        if (e->area != area) {
            continue;
        }
        const char *drug = pump_library_str(lib, e->drug);
        const char *disp = pump_library_str(lib, e->display_name);
        if (ieq(drug, e->drug.len, give->text) || ieq(disp, e->display_name.len, give->text) ||
            ieq(drug, e->drug.len, give->id)) {
            *out = e;
            return true;
        }
    }
    *piv = elsewhere ? 9021U : 9010U;
    return false;
}

/* A decimal text as a JSON number (exactly as written), NULL when it is not one. */
static json_t *num_of(const char *nm)
{
    char num[64];
    if (!nm_json(nm, num, sizeof num)) {
        return NULL;
    }
    return json_loads(num, JSON_DECODE_ANY, NULL);
}

static bool set_num(json_t *obj, const char *key, const char *nm)
{
    json_t *v = num_of(nm);
    if (v == NULL || !json_is_number(v)) {
        json_decref(v);
        return false;
    }
    return json_object_set_new(obj, key, v) == 0;
}

/* The program object (ders-rules.md) for the order's first step. NULL + why when it cannot be made. */
static json_t *make_program(const struct hl7_pcd_order *o, const struct model_pump *p,
                            const struct pump_library *lib, const struct pump_entry *e,
                            unsigned *piv, char *why, size_t why_cap)
{
    const struct hl7_pcd_step *st = &o->steps[0];
    char entry[128];
    if (e != NULL) {
        size_t n = e->id.len < sizeof entry - 1 ? e->id.len : sizeof entry - 1;
        memcpy(entry, pump_library_str(lib, e->id), n);
        entry[n] = '\0';
    } else {
        (void)snprintf(entry, sizeof entry, "%s", st->give_code.id);
    }
    const char *mode = e != NULL ? pump_entry_mode_str((pump_entry_mode)e->mode) : "continuous";
    json_t *prog = json_pack("{s:s, s:s, s:s}", "care_area", p->care_area, "entry", entry, "mode",
                             mode);
    if (prog == NULL) {
        return NULL;
    }
    *piv = 9004;
    switch (st->rate_kind) {
    case HL7_PCD_RATE_VOLUME:
        /* A fluid entry's dose is its rate (ders-rules.md); a drug at mL/h gives the rate. */
        if (e != NULL && e->mode == PUMP_ENTRY_FLUID) {
            if (!set_num(prog, "dose", st->rate.value) ||
                json_object_set_new(prog, "dose_unit", json_string("mL/h")) != 0) {
                (void)snprintf(why, why_cap, "RXG-15 rate is not a number");
                goto fail;
            }
        } else if (!set_num(prog, "rate_ml_h", st->rate.value)) {
            (void)snprintf(why, why_cap, "RXG-15 rate is not a number");
            goto fail;
        }
        break;
    case HL7_PCD_RATE_DOSE_RATE:
    case HL7_PCD_RATE_DOSE: {
        char unit[40];
        if (!st->rate.unit.has_pump_unit ||
            pump_unit_format(st->rate.unit.pump_unit, unit, sizeof unit) != PUMP_OK) {
            *piv = 9008;
            (void)snprintf(why, why_cap, "dose unit %s is not one the pump knows",
                           st->rate.unit.raw);
            goto fail;
        }
        if (!set_num(prog, "dose", st->rate.value) ||
            json_object_set_new(prog, "dose_unit", json_string(unit)) != 0) {
            (void)snprintf(why, why_cap, "RXG-15 dose is not a number");
            goto fail;
        }
        if (st->rate_kind == HL7_PCD_RATE_DOSE) {
            if (st->n_duration != 1 || !st->duration[0].present) {
                *piv = 9003;
                (void)snprintf(why, why_cap, "a dose needs one TQ1-13 duration");
                goto fail;
            }
            const char *u = st->duration[0].unit.ucum;
            if (strcmp(u, "min") == 0) {
                if (!set_num(prog, "duration_min", st->duration[0].value)) {
                    goto fail;
                }
            } else if (strcmp(u, "h") == 0) {
                double d = strtod(st->duration[0].value, NULL) * 60.0;
                (void)json_object_set_new(prog, "duration_min", json_real(d));
            } else {
                *piv = 9008;
                (void)snprintf(why, why_cap, "duration unit %s (min or h expected)",
                               st->duration[0].unit.raw);
                goto fail;
            }
        }
        break;
    }
    case HL7_PCD_RATE_NONE:
    case HL7_PCD_RATE_UNKNOWN:
    default:
        *piv = 9003;
        (void)snprintf(why, why_cap, "no usable rate or dose in RXG-15/16");
        goto fail;
    }
    if (st->vtbi.present) {
        (void)set_num(prog, "vtbi_ml", st->vtbi.value);
    }
    if (o->weight.present) {
        if (strcmp(o->weight.unit.ucum, "kg") == 0) {
            (void)set_num(prog, "weight_kg", o->weight.value);
        } else if (strcmp(o->weight.unit.ucum, "g") == 0) {
            (void)json_object_set_new(prog, "weight_kg",
                                      json_real(strtod(o->weight.value, NULL) / 1000.0));
        } else {
            *piv = 9008;
            (void)snprintf(why, why_cap, "weight unit %s (kg or g expected)", o->weight.unit.raw);
            goto fail;
        }
    }
    if (o->bsa.present) {
        (void)set_num(prog, "bsa_m2", o->bsa.value);
    }
    /* A custom concentration only for an entry without a standard one. */
    if (e != NULL && !e->has_conc && st->strength.present && st->strength_volume.present &&
        st->strength.unit.has_pump_unit) {
        char unit[40];
        json_t *amount = num_of(st->strength.value);
        json_t *vol = num_of(st->strength_volume.value);
        if (amount != NULL && vol != NULL &&
            pump_unit_format(st->strength.unit.pump_unit, unit, sizeof unit) == PUMP_OK) {
            (void)json_object_set_new(prog, "concentration",
                                      json_pack("{s:O, s:s, s:O}", "amount", amount,
                                                "amount_unit", unit, "volume_ml", vol));
        }
        json_decref(amount);
        json_decref(vol);
    }
    return prog;
fail:
    json_decref(prog);
    return NULL;
}

static const char *channel_state(const struct model_pump *p)
{
    const json_t *ch = json_array_get(json_object_get(p->state, "channels"), 0);
    const char *st = json_string_value(json_object_get(ch, "state"));
    return st != NULL ? st : "unknown";
}

/* Everything checked after ACK^O15: send the program or refuse the order. */
static void process(struct srv *s, const struct hl7_pcd_order *o, int64_t order_id)
{
    struct verdict_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return;
    }
    w->order_id = order_id;
    w->reply_to = reply_to_of(o);
    if (w->reply_to == NULL) {
        verdict_free(w);
        return;
    }
    /* Stale: ORC-9 older than allowed. */
    if (o->request_time[0] != '\0' && s->cfg.order_max_age_s > 0) {
        struct hl7_view v = {o->request_time, strlen(o->request_time)};
        struct hl7_dtm d;
        int64_t t = 0;
        if (hl7_dtm_parse(v, &d) == HL7_OK && hl7_dtm_to_unix_ms(&d, &t) == HL7_OK &&
            srv_now_ms() - t > (int64_t)s->cfg.order_max_age_s * 1000) {
            refuse(s, w, "AR", 9022, NULL);
            return;
        }
    }
    struct model_pump *p = o->pump_id[0] != '\0' ? model_pump(s->model, o->pump_id, false) : NULL;
    if (p == NULL || p->state == NULL) {
        refuse(s, w, "AE", 9001, NULL);
        return;
    }
    (void)snprintf(w->pump_id, sizeof w->pump_id, "%s", p->pump_id);
    if (!p->online) {
        refuse(s, w, "AE", 9007, NULL);
        return;
    }
    if (o->patient.id[0] == '\0') {
        refuse(s, w, "AR", 9031, NULL);
        return;
    }
    if (p->patient_id[0] != '\0' && strcmp(p->patient_id, o->patient.id) != 0) {
        refuse(s, w, "AR", 9012, NULL);
        return;
    }
    if (p->patient_id[0] == '\0' && !s->cfg.associate_from_order) {
        refuse(s, w, "AR", 9012, "the pump is not associated with this patient");
        return;
    }
    if (p->care_area[0] == '\0') {
        refuse(s, w, "AE", 9029, NULL);
        return;
    }
    const char *cst = channel_state(p);
    if (p->n_alarms > 0) {
        refuse(s, w, "AE", 9033, NULL);
        return;
    }
    if (strcmp(cst, "idle") != 0 && strcmp(cst, "complete") != 0) {
        refuse(s, w, "AE", 9002, NULL);
        return;
    }
    const struct pump_entry *e = NULL;
    unsigned piv = 0;
    uint32_t area = 0;
    if (s->lib != NULL) {
        if (pump_library_find_area(s->lib, p->care_area, strlen(p->care_area), &area) !=
            PUMP_OK) {
            refuse(s, w, "AE", 9021, "the pump's care area is not in the server's library");
            return;
        }
        if (!map_entry(s->lib, area, &o->steps[0].give_code, &e, &piv)) {
            refuse(s, w, "AE", piv, NULL);
            return;
        }
    }
    char why[200] = "";
    json_t *prog = make_program(o, p, s->lib, e, &piv, why, sizeof why);
    if (prog == NULL) {
        refuse(s, w, "AE", piv, why);
        return;
    }
    if (s->lib != NULL) {
        struct pump_program pp;
        struct pump_ders_result *res = calloc(1, sizeof *res);
        char err[200];
        if (res == NULL) {
            json_decref(prog);
            verdict_free(w);
            return;
        }
        bool parsed = oi_program_from_json(prog, &pp, err, sizeof err);
        if (!parsed) {
            free(res);
            json_decref(prog);
            refuse(s, w, "AE", 9004, err);
            return;
        }
        (void)pump_ders_check(s->lib, &pp, res);
        uint8_t outcome = res->outcome;
        char limit[64];
        if (outcome == PUMP_REJECT_INVALID) {
            (void)snprintf(limit, sizeof limit, "reason %u, %s", (unsigned)res->reason,
                           pump_input_str((pump_input)res->reason_input));
        } else {
            (void)snprintf(limit, sizeof limit, "%s", pump_limit_str((pump_limit)res->limit));
        }
        free(res);
        if (outcome == PUMP_HARD_LOW || outcome == PUMP_HARD_HIGH) {
            json_decref(prog);
            (void)snprintf(why, sizeof why, "drug library hard limit exceeded (%s, %s)", limit,
                           outcome == PUMP_HARD_HIGH ? "above the maximum" : "below the minimum");
            refuse(s, w, "AR", 9024, why);
            return;
        }
        if (outcome == PUMP_REJECT_INVALID) {
            char *text = json_dumps(prog, JSON_COMPACT);
            srv_log(SRV_LOG_INFO, "orders", "order %lld: program %s is invalid (%s)",
                    (long long)order_id, text != NULL ? text : "?", limit);
            free(text);
            json_decref(prog);
            (void)snprintf(why, sizeof why, "the program is invalid for the drug library (%s)",
                           limit);
            refuse(s, w, "AE", 9004, why);
            return;
        }
    }
    (void)snprintf(w->cmd_id, sizeof w->cmd_id, "ord-%lld", (long long)order_id);
    char drug[HL7_PCD_TEXT_MAX + 1];
    (void)snprintf(drug, sizeof drug, "%s",
                   o->steps[0].give_code.text[0] != '\0' ? o->steps[0].give_code.text
                                                         : o->steps[0].give_code.id);
    w->cmd = json_pack("{s:i, s:s, s:s, s:o, s:{s:s, s:s, s:s, s:s}}", "v", 1, "cmd_id",
                       w->cmd_id, "type", "program", "program", prog, "order", "order_id",
                       o->placer_id, "patient_id", o->patient.id, "drug_name", drug,
                       "placer_app", o->msh.sending_app.ns);
    if (w->cmd == NULL) {
        verdict_free(w);
        return;
    }
    struct srv_work work = {send_write, send_done, w};
    if (!srv_commit_queue(s, &work)) {
        verdict_free(w);
    }
}

/* ---- frames ----------------------------------------------------------------------------------- */

struct frame_work {
    struct mllp_conn *conn;
    char *raw;
    size_t len;
    struct hl7_pcd_order *order;
    struct hl7_pcd_problems *probs;
    bool syntax_ok;
    bool duplicate;
    int64_t order_id;
    uint64_t t0_us;
};

static void frame_free(struct frame_work *w)
{
    mllp_conn_unref(w->conn);
    free(w->raw);
    free(w->order);
    free(w->probs);
    free(w);
}

static bool frame_write(struct srv *s, void *arg)
{
    struct frame_work *w = arg;
    const struct hl7_pcd_order *o = w->order;
    char drug[2 * HL7_PCD_TEXT_MAX];
    (void)snprintf(drug, sizeof drug, "%s^%s", o->steps[0].give_code.id,
                   o->steps[0].give_code.text);
    char *raw = malloc(w->len + 1);
    if (raw == NULL) {
        return false;
    }
    memcpy(raw, w->raw, w->len);
    raw[w->len] = '\0';
    int64_t now = srv_now_ms();
    struct store_order so = {
        .sender = o->msh.sending_app.ns[0] != '\0' ? o->msh.sending_app.ns
                                                   : o->msh.sending_app.uid,
        .control_id = o->msh.control_id,
        .placer_id = o->placer_id,
        .pump_id = o->pump_id,
        .patient_id = o->patient.id,
        .drug = drug,
        .raw = raw,
        .received_ms = now,
    };
    store_status st = store_order_add(s->store, &so, &w->order_id);
    free(raw);
    if (st == STORE_DUPLICATE) {
        w->duplicate = true;
        return true;
    }
    if (st != STORE_OK) {
        return false;
    }
    if (o->patient.id[0] != '\0' &&
        store_patient_seen(s->store, o->patient.id, o->patient.family, o->patient.given, now) ==
            STORE_ERR) {
        return false;
    }
    char detail[HL7_PCD_PROBLEM_TEXT_MAX + 16] = "";
    if (!w->syntax_ok && w->probs->n > 0) {
        (void)snprintf(detail, sizeof detail, "%s", w->probs->items[0].text);
    }
    return store_order_status_add(s->store, w->order_id, w->syntax_ok ? "received" : "invalid",
                                  detail, now) == STORE_OK;
}

static void send_ack_o15(struct srv *s, struct frame_work *w, bool committed)
{
    struct hl7_pcd_reply *r = calloc(1, sizeof *r);
    char *buf = malloc(8192);
    char ctrl[48];
    char when[40];
    if (r == NULL || buf == NULL) {
        free(r);
        free(buf);
        return;
    }
    static uint64_t n_acks;
    (void)snprintf(ctrl, sizeof ctrl, "ACK%lld.%llu", (long long)s->started_ms,
                   (unsigned long long)++n_acks);
    now_dtm(when, sizeof when);
    size_t len = 0;
    if (hl7_pcd_reply_prepare(HL7_PCD_REPLY_ACK_O15, w->order, w->probs, ctrl, when, r) ==
        HL7_PCD_OK) {
        if (!committed) {
            (void)hl7_pcd_reply_add_error(r, 207, 0, "the order could not be stored; send again");
        }
        hl7_pcd_status bst = hl7_pcd_ack_o15_build(r, buf, 8192, &len);
        if (bst == HL7_PCD_OK) {
            mllp_conn_send(w->conn, buf, len);
            srv_hist_add(&s->metrics.order_to_ack_us, srv_mono_us() - w->t0_us);
        } else {
            srv_log(SRV_LOG_ERROR, "orders", "cannot build the ACK^O15 of %s (%s)",
                    w->order->msh.control_id, hl7_pcd_status_str(bst));
        }
    }
    free(r);
    free(buf);
}

static void frame_done(struct srv *s, void *arg, bool ok)
{
    struct frame_work *w = arg;
    send_ack_o15(s, w, ok);
    if (ok && w->duplicate) {
        s->metrics.orders_duplicate++;
        srv_log(SRV_LOG_INFO, "orders", "%s: order %s repeated (MSH-10 seen): acknowledged, not "
                "applied again", mllp_conn_peer(w->conn), w->order->msh.control_id);
    } else if (ok && !w->syntax_ok) {
        s->metrics.orders_rejected++;
        srv_log(SRV_LOG_INFO, "orders", "%s: order %s refused: %s", mllp_conn_peer(w->conn),
                w->order->msh.control_id,
                w->probs->n > 0 ? w->probs->items[0].text : "invalid");
    } else if (ok) {
        process(s, w->order, w->order_id);
    }
    frame_free(w);
}

/* Not an RGV^O15 (or not HL7 enough to decode): answer with a generic ACK at once when there is
 * an MSH to answer, else drop with a log line. Nothing is stored. */
static void answer_other(struct srv *s, struct mllp_conn *c, const struct hl7_msg *m,
                         bool parsed, unsigned code, const char *text)
{
    s->metrics.mllp_bad++;
    srv_log(SRV_LOG_WARN, "orders", "%s: message refused: %s", mllp_conn_peer(c), text);
    if (!parsed) {
        return;
    }
    char ctrl[48];
    char when[40];
    static uint64_t n;
    (void)snprintf(ctrl, sizeof ctrl, "NAK%lld.%llu", (long long)s->started_ms,
                   (unsigned long long)++n);
    now_dtm(when, sizeof when);
    struct hl7_ack_params ap = {
        .code = hl7_ack_code_for(hl7_ack_mode_of(m), false, true),
        .control_id = ctrl,
        .timestamp = when,
        .error_code = code,
        .severity = 'E',
        .error_text = text,
    };
    char buf[2048];
    size_t len = 0;
    if (hl7_ack_build(m, &ap, buf, sizeof buf, &len) == HL7_OK) {
        mllp_conn_send(c, buf, len);
    }
}

void orders_on_frame(struct srv *s, struct mllp_conn *c, const char *msg, size_t len)
{
    s->metrics.orders_received++;
    uint64_t t0 = srv_mono_us();
    uint32_t *seps = malloc((len + 1) * sizeof *seps);
    if (seps == NULL) {
        return;
    }
    struct hl7_msg m;
    struct hl7_error e;
    hl7_msg_init(&m, s->orders->segs, SEGS_MAX, seps, len + 1);
    bool parsed = hl7_parse(&m, msg, len, &e) == HL7_OK;
    if (!parsed || hl7_pcd_profile_of(&m) != HL7_PCD_PROFILE_PCD03) {
        answer_other(s, c, &m, parsed, parsed ? 200U : 207U,
                     parsed ? "only RGV^O15 is taken on this port" : "not an HL7 v2 message");
        free(seps);
        return;
    }
    struct frame_work *w = calloc(1, sizeof *w);
    if (w != NULL) {
        w->order = calloc(1, sizeof *w->order);
        w->probs = calloc(1, sizeof *w->probs);
        w->raw = malloc(len);
    }
    if (w == NULL || w->order == NULL || w->probs == NULL || w->raw == NULL) {
        if (w != NULL) {
            free(w->order);
            free(w->probs);
            free(w->raw);
        }
        free(w);
        free(seps);
        return;
    }
    memcpy(w->raw, msg, len);
    w->len = len;
    w->t0_us = t0;
    w->conn = c;
    mllp_conn_ref(c);
    hl7_pcd_problems_init(w->probs);
    hl7_pcd_status st = hl7_pcd03_decode(&m, w->order, w->probs);
    free(seps);
    w->syntax_ok = st == HL7_PCD_OK && w->probs->n_errors == 0;
    if (w->order->msh.control_id[0] == '\0') {
        /* Nothing to key the order on: answer without storing. */
        send_ack_o15(s, w, true);
        s->metrics.orders_rejected++;
        frame_free(w);
        return;
    }
    struct srv_work work = {frame_write, frame_done, w};
    if (!srv_commit_queue(s, &work)) {
        frame_free(w);
    }
}

/* ---- replies ------------------------------------------------------------------------------------ */

struct reply_work {
    char cmd_id[48];
    char result[16];
    char *json;
    int64_t order_id;
    json_t *reply_to;
    bool final;
    bool duplicate;
    char code[4];
    unsigned piv;
    char text[200];
};

static bool reply_write(struct srv *s, void *arg)
{
    struct reply_work *w = arg;
    int64_t now = srv_now_ms();
    store_status st = store_reply_add(s->store, w->cmd_id, w->result, w->json, now);
    if (st == STORE_DUPLICATE) {
        w->duplicate = true;
        return true;
    }
    if (st != STORE_OK) {
        return false;
    }
    char detail[260];
    (void)snprintf(detail, sizeof detail, "%s%s%s", w->code, w->code[0] != '\0' ? " " : "",
                   w->text);
    const char *status = strcmp(w->result, "accepted") == 0   ? "at_pump"
                         : strcmp(w->result, "rejected") == 0 ? "rejected_by_pump"
                                                              : w->result;
    if (store_order_status_add(s->store, w->order_id, status, detail, now) != STORE_OK) {
        return false;
    }
    return !w->final || queue_rrg(s, w->reply_to, w->order_id, w->code, w->piv, w->text);
}

static void reply_done(struct srv *s, void *arg, bool ok)
{
    struct reply_work *w = arg;
    if (ok && w->final) {
        (void)json_object_del(s->orders->pending, w->cmd_id);
        if (!w->duplicate) {
            srv_log(SRV_LOG_INFO, "orders", "order %lld: %s at the pump (%s)",
                    (long long)w->order_id, w->result, w->code);
        }
    }
    json_decref(w->reply_to);
    free(w->json);
    free(w);
}

void orders_on_reply(struct srv *s, struct model_pump *p, const json_t *msg)
{
    const char *cmd_id = json_string_value(json_object_get(msg, "cmd_id"));
    const char *result = json_string_value(json_object_get(msg, "result"));
    if (cmd_id == NULL || result == NULL) {
        s->metrics.mqtt_bad++;
        srv_log(SRV_LOG_WARN, "orders", "pump %s: a reply without cmd_id or result", p->pump_id);
        return;
    }
    json_t *pend = json_object_get(s->orders->pending, cmd_id);
    if (pend == NULL) {
        srv_log(SRV_LOG_DEBUG, "orders", "pump %s: reply to %s, which is not waiting",
                p->pump_id, cmd_id);
        return;
    }
    if (strlen(cmd_id) >= sizeof((struct reply_work *)0)->cmd_id ||
        (strcmp(result, "accepted") != 0 && strcmp(result, "rejected") != 0 &&
         strcmp(result, "confirmed") != 0 && strcmp(result, "declined") != 0)) {
        s->metrics.mqtt_bad++;
        srv_log(SRV_LOG_WARN, "orders", "pump %s: reply with result \"%s\" ignored", p->pump_id,
                result);
        return;
    }
    struct reply_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return;
    }
    (void)snprintf(w->cmd_id, sizeof w->cmd_id, "%s", cmd_id);
    (void)snprintf(w->result, sizeof w->result, "%s", result);
    w->json = json_dumps(msg, JSON_COMPACT);
    w->order_id = json_integer_value(json_object_get(pend, "order_id"));
    w->reply_to = json_incref(json_object_get(pend, "reply_to"));
    w->final = strcmp(result, "accepted") != 0;
    if (strcmp(result, "confirmed") == 0) {
        (void)snprintf(w->code, sizeof w->code, "AA");
    } else if (strcmp(result, "declined") == 0) {
        (void)snprintf(w->code, sizeof w->code, "AR");
        w->piv = 9023;
        (void)snprintf(w->text, sizeof w->text, "%s", hl7_pcd_piv_text(9023));
    } else if (strcmp(result, "rejected") == 0) {
        json_int_t piv = json_integer_value(json_object_get(msg, "piv_code"));
        w->piv = piv >= 9001 && piv <= 9033 ? (unsigned)piv : 9016U;
        const char *reason = json_string_value(json_object_get(msg, "reason"));
        (void)snprintf(w->code, sizeof w->code, "%s", w->piv == 9024 ? "AR" : "AE");
        (void)snprintf(w->text, sizeof w->text, "%s",
                       reason != NULL ? reason : hl7_pcd_piv_text(w->piv));
    }
    struct srv_work work = {reply_write, reply_done, w};
    if (w->json == NULL || !srv_commit_queue(s, &work)) {
        json_decref(w->reply_to);
        free(w->json);
        free(w);
    }
}

void orders_on_online(struct srv *s, struct model_pump *p)
{
    const char *cmd_id;
    json_t *pend;
    json_object_foreach(s->orders->pending, cmd_id, pend) {
        const char *pid = json_string_value(json_object_get(pend, "pump_id"));
        if (pid != NULL && strcmp(pid, p->pump_id) == 0) {
            publish_cmd(s, p->pump_id, json_object_get(pend, "cmd"));
        }
    }
}

bool orders_init(struct srv *s)
{
    s->orders = calloc(1, sizeof *s->orders);
    if (s->orders == NULL) {
        return false;
    }
    s->orders->pending = json_object();
    json_t *open = store_commands_open(s->store);
    if (s->orders->pending == NULL || open == NULL) {
        srv_log(SRV_LOG_ERROR, "orders", "cannot read the commands waiting for pumps: %s",
                store_errmsg(s->store));
        json_decref(open);
        return false;
    }
    size_t i;
    json_t *row;
    json_array_foreach(open, i, row) {
        const char *cmd_id = json_string_value(json_object_get(row, "cmd_id"));
        const char *text = json_string_value(json_object_get(row, "json"));
        json_t *stored = text != NULL ? json_loads(text, 0, NULL) : NULL;
        int64_t order_id = 0;
        char pump_id[MODEL_ID_MAX];
        if (cmd_id != NULL && stored != NULL &&
            store_command_order(s->store, cmd_id, &order_id, pump_id, sizeof pump_id) ==
                STORE_OK) {
            json_t *entry = json_pack("{s:s, s:I, s:O, s:O}", "pump_id", pump_id, "order_id",
                                      (json_int_t)order_id, "cmd",
                                      json_object_get(stored, "cmd"), "reply_to",
                                      json_object_get(stored, "reply_to"));
            if (entry != NULL) {
                (void)json_object_set_new(s->orders->pending, cmd_id, entry);
            }
        }
        json_decref(stored);
    }
    if (json_array_size(open) > 0) {
        srv_log(SRV_LOG_INFO, "orders", "%zu program commands still wait for their pump",
                json_object_size(s->orders->pending));
    }
    json_decref(open);
    return true;
}

void orders_free(struct srv *s)
{
    if (s->orders == NULL) {
        return;
    }
    json_decref(s->orders->pending);
    free(s->orders);
    s->orders = NULL;
}
