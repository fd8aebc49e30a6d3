/*
 * mqtt_pump.c - one simulated pump on an MQTT broker. Contract: see mqtt_pump.h and
 * docs/pump-protocol.md.
 */
#define _POSIX_C_SOURCE 200809L

#include "mqtt_pump.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <mosquitto.h>

#include "event_json.h"
#include "oi_json.h"
#include "pump/pump_alarm.h"
#include "pump/pump_ders.h"

#define KEEPALIVE_S 30
#define BACKOFF_MIN_MS 500U
#define BACKOFF_MAX_MS 10000U
#define MISC_PERIOD_MS 1000U
#define CMD_PAYLOAD_MAX 65536

/* PIV codes of the contract (standards.md §3.2.9). */
#define PIV_BUSY 9002
#define PIV_INVALID 9004
#define PIV_NOT_IN_LIBRARY 9010
#define PIV_OTHER 9016
#define PIV_PATIENT_MISMATCH 9012
#define PIV_AREA_MISMATCH 9021
#define PIV_HARD_LIMIT 9024
#define PIV_ALARMING 9033

/* ---- clocks and small helpers --------------------------------------------------------------- */

static uint64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    (void)clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

uint64_t mqtt_pump_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

uint64_t mqtt_pump_real_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

uint64_t mqtt_pump_wall_ms(const struct mqtt_pump *mp)
{
    int64_t w = (int64_t)mqtt_pump_real_ms() + mp->wall_offset_ms;
    return w > 0 ? (uint64_t)w : 0U;
}

uint64_t mqtt_pump_clock_ms(const struct mqtt_pump *mp, uint64_t now_ms)
{
    return mp->start_ms + (now_ms > mp->mono_start_ms ? now_ms - mp->mono_start_ms : 0U);
}

/* The wall clock when the pump clock read t_ms (the pump clock follows the wall clock). */
static uint64_t wall_of(const struct mqtt_pump *mp, uint64_t t_ms)
{
    uint64_t now = mp->pump.now_ms;
    uint64_t wall = mqtt_pump_wall_ms(mp);
    if (t_ms >= now) {
        return wall;
    }
    return (now - t_ms < wall) ? wall - (now - t_ms) : 0U;
}

bool mqtt_pump_has_origin(const struct mqtt_pump *mp)
{
    return mp->has_origin;
}

static uint64_t next_rand(struct mqtt_pump *mp)
{
    /* xorshift64*: jitter only, not for anything that must be unpredictable. */
    mp->rng ^= mp->rng >> 12;
    mp->rng ^= mp->rng << 25;
    mp->rng ^= mp->rng >> 27;
    return mp->rng * 2685821657736338717ULL;
}

static void logf_pump(const struct mqtt_pump *mp, const char *what, const char *detail)
{
    (void)fprintf(stderr, "pumpd: %s: %s%s%s\n", mp->id, what, detail[0] != '\0' ? ": " : "",
                  detail);
}

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) {
        len = cap - 1U;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- publishing ----------------------------------------------------------------------------- */

static void update_write(struct mqtt_pump *mp);

static bool publish_text(struct mqtt_pump *mp, const char *topic, const char *text, bool retain)
{
    size_t len = strlen(text);
    int rc;
    if (!mp->connected || len > (size_t)INT32_MAX) {
        return false;
    }
    rc = mosquitto_publish_v5(mp->mosq, NULL, topic, (int)len, text, 1, retain, NULL);
    return rc == MOSQ_ERR_SUCCESS;
}

/* Publish a JSON object (stolen: decref'd here). */
static bool publish_json(struct mqtt_pump *mp, const char *topic, json_t *o, bool retain)
{
    char *s;
    bool ok;
    if (o == NULL) {
        return false;
    }
    s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL) {
        return false;
    }
    ok = publish_text(mp, topic, s, retain);
    free(s);
    return ok;
}

static json_t *str_or_null(const char *s)
{
    return (s != NULL && s[0] != '\0') ? json_string(s) : json_null();
}

static json_t *uint_json(uint64_t v)
{
    return json_integer((json_int_t)(v > (uint64_t)INT64_MAX ? (uint64_t)INT64_MAX : v));
}

static void publish_online(struct mqtt_pump *mp)
{
    json_t *o = json_object();
    if (o == NULL) {
        return;
    }
    (void)json_object_set_new(o, "v", json_integer(1));
    (void)json_object_set_new(o, "online", json_true());
    (void)json_object_set_new(o, "pump_id", json_string(mp->id));
    (void)json_object_set_new(o, "model", json_string(mp->cfg.model));
    (void)json_object_set_new(o, "channels", json_integer(1));
    (void)json_object_set_new(o, "wall_ms", uint_json(mqtt_pump_wall_ms(mp)));
    (void)publish_json(mp, mp->t_online, o, true);
}

/* ---- the state snapshot --------------------------------------------------------------------- */

static struct mqtt_pump_sig signature(const struct mqtt_pump *mp)
{
    struct mqtt_pump_sig s;
    const struct pump_channel *ch = &mp->pump.ch;
    unsigned i;
    memset(&s, 0, sizeof s);
    s.state = ch->state;
    s.rate_nl_per_h = sim_pump_rate_nl_per_h(&mp->pump);
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT && i < 32U; i++) {
        uint8_t f = ch->alarms.a[i].flags;
        if ((f & PUMP_ALARM_F_ACTIVE) != 0U) {
            s.alarm_active |= 1U << i;
            if ((f & (PUMP_ALARM_F_SILENCED | PUMP_ALARM_F_ACKED)) != 0U) {
                s.alarm_quiet |= 1U << i;
            }
        }
    }
    s.gen = mp->gen;
    return s;
}

static bool sig_equal(const struct mqtt_pump_sig *a, const struct mqtt_pump_sig *b)
{
    return a->state == b->state && a->rate_nl_per_h == b->rate_nl_per_h &&
           a->alarm_active == b->alarm_active && a->alarm_quiet == b->alarm_quiet &&
           a->gen == b->gen;
}

static json_t *libstr_json(const struct pump_library *lib, struct pump_str s)
{
    return json_stringn(pump_library_str(lib, s), s.len);
}

static json_t *alarms_json(const struct mqtt_pump *mp)
{
    const struct pump_channel *ch = &mp->pump.ch;
    json_t *arr = json_array();
    unsigned i;
    for (i = 0; arr != NULL && i < (unsigned)PUMP_ALM_COUNT; i++) {
        const struct pump_alarm *a = &ch->alarms.a[i];
        json_t *o;
        if ((a->flags & PUMP_ALARM_F_ACTIVE) == 0U) {
            continue;
        }
        o = json_object();
        if (o == NULL) {
            break;
        }
        (void)json_object_set_new(o, "alarm", json_string(pump_alarm_str((pump_alarm_id)i)));
        (void)json_object_set_new(
            o, "priority", json_string(pump_priority_str(pump_alarm_priority((pump_alarm_id)i))));
        (void)json_object_set_new(
            o, "silenced",
            json_boolean((a->flags & PUMP_ALARM_F_SILENCED) != 0U &&
                         a->silenced_until_ms > mp->pump.now_ms));
        (void)json_object_set_new(o, "since_wall_ms", uint_json(wall_of(mp, a->raised_ms)));
        (void)json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *channel_json(const struct mqtt_pump *mp)
{
    const struct pump_channel *ch = &mp->pump.ch;
    const struct pump_library *lib = mp->pump.cfg.lib;
    bool has_prog = ch->state != (uint8_t)PUMP_ST_IDLE && ch->state != (uint8_t)PUMP_ST_FAULT;
    const struct pump_rx *rx = (ch->state == (uint8_t)PUMP_ST_PROGRAMMED) ? &ch->pending
                                                                          : &ch->primary;
    const struct pump_entry *e = NULL;
    char buf[PUMP_Q_TEXT_MAX];
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    if (has_prog && rx->has_entry && lib != NULL && rx->entry_index < lib->n_entries) {
        e = &lib->st.entries[rx->entry_index];
    }
    (void)json_object_set_new(o, "channel", json_integer(0));
    (void)json_object_set_new(o, "state", json_string(pump_state_str((pump_state)ch->state)));
    (void)json_object_set_new(o, "mode", has_prog ? json_string(pump_prog_mode_str(
                                                        (pump_prog_mode)rx->mode))
                                                  : json_null());
    (void)json_object_set_new(o, "entry", e != NULL ? json_stringn(rx->entry, rx->entry_len)
                                                    : json_null());
    if (e != NULL) {
        (void)json_object_set_new(o, "drug_name", libstr_json(lib, e->display_name));
    } else {
        (void)json_object_set_new(o, "drug_name",
                                  has_prog && mp->has_origin ? str_or_null(mp->origin_drug)
                                                             : json_null());
    }
    (void)json_object_set_new(o, "order_id", has_prog && mp->has_origin
                                                 ? str_or_null(mp->origin_order_id)
                                                 : json_null());
    (void)json_object_set_new(o, "cmd_id", has_prog && mp->has_origin
                                               ? json_string(mp->origin_cmd_id)
                                               : json_null());
    if (has_prog && rx->has_dose && pump_q_format(rx->dose, 6, buf, sizeof buf) == PUMP_OK) {
        (void)json_object_set_new(o, "dose", json_string(buf));
        if (e != NULL && pump_unit_format(e->dosing_unit, buf, sizeof buf) == PUMP_OK) {
            (void)json_object_set_new(o, "dose_unit", json_string(buf));
        } else {
            (void)json_object_set_new(o, "dose_unit", json_null());
        }
    } else {
        (void)json_object_set_new(o, "dose", json_null());
        (void)json_object_set_new(o, "dose_unit", json_null());
    }
    (void)json_object_set_new(o, "rate_nl_per_h", uint_json(sim_pump_rate_nl_per_h(&mp->pump)));
    if (has_prog && rx->vtbi_nl > 0) {
        (void)json_object_set_new(o, "vtbi_nl", uint_json(rx->vtbi_nl));
        (void)json_object_set_new(o, "vtbi_remaining_nl",
                                  uint_json(rx->vtbi_nl > ch->vol_primary_nl
                                                ? rx->vtbi_nl - ch->vol_primary_nl
                                                : 0U));
    } else {
        (void)json_object_set_new(o, "vtbi_nl", json_null());
        (void)json_object_set_new(o, "vtbi_remaining_nl", json_null());
    }
    (void)json_object_set_new(o, "program_volume_nl",
                              uint_json(pump_channel_program_volume_nl(ch)));
    (void)json_object_set_new(o, "channel_volume_nl", uint_json(sim_pump_volume_nl(&mp->pump)));
    (void)json_object_set_new(o, "time_remaining_ms", ch->has_time_remaining
                                                          ? uint_json(ch->time_remaining_ms)
                                                          : json_null());
    (void)json_object_set_new(o, "alarms", alarms_json(mp));
    return o;
}

static json_t *patient_json(const struct mqtt_pump *mp)
{
    json_t *o;
    if (!mp->assoc.has_patient) {
        return json_null();
    }
    o = json_object();
    if (o == NULL) {
        return NULL;
    }
    (void)json_object_set_new(o, "id", json_string(mp->assoc.patient_id));
    (void)json_object_set_new(o, "weight_kg", str_or_null(mp->assoc.weight_kg));
    (void)json_object_set_new(o, "bsa_m2", str_or_null(mp->assoc.bsa_m2));
    return o;
}

static void publish_state(struct mqtt_pump *mp)
{
    const struct pump_channel *ch = &mp->pump.ch;
    struct hal_sensors s;
    json_t *o = json_object();
    json_t *lib;
    json_t *chans;
    if (o == NULL) {
        return;
    }
    hal_sim_peek(&mp->pump.hw, &s);
    (void)json_object_set_new(o, "v", json_integer(1));
    (void)json_object_set_new(o, "pump_id", json_string(mp->id));
    (void)json_object_set_new(o, "wall_ms", uint_json(mqtt_pump_wall_ms(mp)));
    (void)json_object_set_new(o, "time_ms", uint_json(mp->pump.now_ms));
    (void)json_object_set_new(o, "next_seq", uint_json(pump_log_next_seq(&mp->pump.log)));
    (void)json_object_set_new(o, "battery_pct", json_integer(s.battery_pct > 100U
                                                                 ? 100
                                                                 : (json_int_t)s.battery_pct));
    (void)json_object_set_new(o, "on_mains", json_boolean(s.on_mains));
    if (ch->has_library) {
        lib = json_object();
        if (lib != NULL) {
            (void)json_object_set_new(lib, "id",
                                      json_stringn(ch->library_id, ch->library_id_len));
            (void)json_object_set_new(lib, "version",
                                      json_stringn(ch->library_version, ch->library_version_len));
        }
        (void)json_object_set_new(o, "library", lib);
    } else {
        (void)json_object_set_new(o, "library", json_null());
    }
    (void)json_object_set_new(o, "care_area",
                              mp->assoc.has_area ? json_string(mp->assoc.care_area) : json_null());
    (void)json_object_set_new(o, "patient", patient_json(mp));
    chans = json_array();
    if (chans != NULL) {
        (void)json_array_append_new(chans, channel_json(mp));
    }
    (void)json_object_set_new(o, "channels", chans);
    (void)publish_json(mp, mp->t_state, o, true);
}

/* ---- the unacknowledged queue --------------------------------------------------------------- */

static struct mqtt_rec *q_at(struct mqtt_pump *mp, size_t i)
{
    return &mp->q[mp->q_head + i];
}

static void q_drop_oldest(struct mqtt_pump *mp)
{
    free(q_at(mp, 0)->origin);
    mp->q_head++;
    mp->q_count--;
    if (mp->q_count == 0) {
        mp->q_head = 0;
    }
}

/* Room for one more record at the end; false when memory ran out. */
static bool q_reserve(struct mqtt_pump *mp)
{
    size_t max = mp->cfg.max_unacked != 0 ? mp->cfg.max_unacked : MQTT_PUMP_UNACKED_MAX;
    if (mp->q_count >= max) {
        /* Why drop the oldest: a pump must keep recording what it does now; the server sees
         * the gap in seq. A real pump's log is on flash and far larger. */
        if (!mp->warned_full) {
            logf_pump(mp, "unacknowledged queue full, dropping the oldest records", "");
            mp->warned_full = true;
        }
        q_drop_oldest(mp);
        mp->st.n_dropped++;
    }
    if (mp->q_head + mp->q_count < mp->q_cap) {
        return true;
    }
    if (mp->q_head > 0) {
        memmove(mp->q, mp->q + mp->q_head, mp->q_count * sizeof *mp->q);
        mp->q_head = 0;
        return true;
    }
    {
        size_t cap = mp->q_cap == 0 ? 16U : mp->q_cap * 2U;
        struct mqtt_rec *grown;
        if (cap > max) {
            cap = max;
        }
        grown = realloc(mp->q, cap * sizeof *grown);
        if (grown == NULL) {
            return false;
        }
        mp->q = grown;
        mp->q_cap = cap;
    }
    return true;
}

static void q_push(struct mqtt_pump *mp, const struct pump_log_record *r, uint64_t wall_ms,
                   const char *origin, size_t origin_len)
{
    struct mqtt_rec *slot;
    if (!q_reserve(mp)) {
        mp->st.n_dropped++;
        return;
    }
    if (mp->q_count == 0) {
        mp->last_progress_ms = mqtt_pump_mono_ms();
    }
    slot = q_at(mp, mp->q_count);
    slot->r = *r;
    slot->wall_ms = wall_ms;
    slot->origin = NULL;
    if (origin != NULL) {
        slot->origin = malloc(origin_len);
        if (slot->origin != NULL) {
            memcpy(slot->origin, origin, origin_len);
        }
    }
    mp->q_count++;
    mp->st.n_made++;
}

void mqtt_pump_requeue(struct mqtt_pump *mp, const struct pump_log_record *r, uint64_t wall_ms)
{
    size_t i;
    q_push(mp, r, wall_ms, NULL, 0);
    /* Older records than the ones the pump made since it started: move it into seq order. */
    for (i = mp->q_count; i > 1U && q_at(mp, i - 2U)->r.seq > q_at(mp, i - 1U)->r.seq; i--) {
        struct mqtt_rec t = *q_at(mp, i - 2U);
        *q_at(mp, i - 2U) = *q_at(mp, i - 1U);
        *q_at(mp, i - 1U) = t;
    }
}

static void q_ack(struct mqtt_pump *mp, uint64_t upto_seq, uint64_t now_ms)
{
    size_t n = 0;
    while (mp->q_count > 0 && q_at(mp, 0)->r.seq <= upto_seq) {
        q_drop_oldest(mp);
        n++;
    }
    if (n > 0) {
        mp->st.n_acked += n;
        mp->last_progress_ms = now_ms;
        mp->warned_full = false;
    }
}

static json_t *record_json(const struct mqtt_pump *mp, const struct mqtt_rec *q)
{
    json_t *o = event_json_record(&q->r, mp->id);
    if (o == NULL) {
        return NULL;
    }
    (void)json_object_set_new(o, "wall_ms", uint_json(q->wall_ms));
    if (q->origin != NULL) {
        (void)json_object_set_new(o, "cmd_id", json_string(q->origin));
        (void)json_object_set_new(o, "order_id",
                                  str_or_null(q->origin + strlen(q->origin) + 1U));
    }
    return o;
}

/* Publish the records after sent_upto, inside the window, in batches. */
static void flush_events(struct mqtt_pump *mp)
{
    size_t i = 0;
    size_t end = mp->q_count < MQTT_PUMP_WINDOW ? mp->q_count : MQTT_PUMP_WINDOW;
    if (!mp->connected) {
        return;
    }
    while (i < end && q_at(mp, i)->r.seq <= mp->sent_upto) {
        i++;
    }
    while (i < end) {
        json_t *msg = json_object();
        json_t *arr = json_array();
        size_t k;
        uint64_t last = 0;
        size_t n = 0;
        if (msg == NULL || arr == NULL) {
            json_decref(msg);
            json_decref(arr);
            return;
        }
        (void)json_object_set_new(msg, "v", json_integer(1));
        (void)json_object_set_new(msg, "pump_id", json_string(mp->id));
        for (k = i; k < end && n < MQTT_PUMP_BATCH; k++) {
            (void)json_array_append_new(arr, record_json(mp, q_at(mp, k)));
            last = q_at(mp, k)->r.seq;
            n++;
        }
        (void)json_object_set_new(msg, "events", arr);
        if (!publish_json(mp, mp->t_event, msg, false)) {
            return;
        }
        mp->sent_upto = last;
        mp->st.n_published += n;
        i = k;
    }
}

/* ---- the core's records --------------------------------------------------------------------- */

static void pump_sink(void *arg, const struct pump_log_record *r)
{
    struct mqtt_pump *mp = arg;
    bool with_origin = mp->origin_now != NULL && r->type == (uint8_t)PUMP_REC_PROGRAM;
    q_push(mp, r, wall_of(mp, r->time_ms), with_origin ? mp->origin_now : NULL,
           with_origin ? mp->origin_len : 0U);
    if (r->type == (uint8_t)PUMP_REC_PROGRAM && mp->origin_now == NULL && mp->has_origin &&
        (r->event == (uint8_t)PUMP_EV_PROGRAM)) {
        /* Programmed by hand over a command's program: the channel's program is no longer the
         * server's (one still awaiting the nurse is answered as declined). */
        if (mp->awaiting) {
            mp->saw_leave = true;
        } else {
            mp->has_origin = false;
            mp->gen++;
        }
    }
    if (r->type == (uint8_t)PUMP_REC_STATE && r->from == (uint8_t)PUMP_ST_PROGRAMMED &&
        r->to != (uint8_t)PUMP_ST_PROGRAMMED) {
        if (r->event == (uint8_t)PUMP_EV_CONFIRM) {
            mp->saw_confirm = true;
        } else {
            mp->saw_leave = true;
        }
    }
    if (r->type == (uint8_t)PUMP_REC_OVERRIDE) {
        mp->saw_override = true;
        mp->override_reason = r->detail;
        mp->override_text_len = r->text_len;
        memcpy(mp->override_text, r->text, sizeof mp->override_text);
    }
    if (mp->cfg.next_sink != NULL) {
        mp->cfg.next_sink(mp->cfg.next_arg, r);
    }
}

/* ---- replies and the command cache ---------------------------------------------------------- */

struct reply {
    const char *result;
    const char *outcome;  /* NULL: null */
    const char *limit;    /* NULL or "": null */
    int piv_code;         /* 0: null */
    const char *reason;   /* NULL: null */
    json_t *override_obj; /* stolen; NULL: null */
};

static struct mqtt_cmd_entry *cache_find(struct mqtt_pump *mp, const char *cmd_id)
{
    size_t i;
    for (i = 0; i < mp->n_cmds; i++) {
        if (strcmp(mp->cmds[i].cmd_id, cmd_id) == 0) {
            return &mp->cmds[i];
        }
    }
    return NULL;
}

/* The entry for cmd_id, new (evicting the oldest) when it is not there; NULL when out of
 * memory. */
static struct mqtt_cmd_entry *cache_slot(struct mqtt_pump *mp, const char *cmd_id)
{
    struct mqtt_cmd_entry *e = cache_find(mp, cmd_id);
    if (e != NULL) {
        return e;
    }
    if (mp->cmds == NULL) {
        mp->cmds = calloc(MQTT_PUMP_CMD_CACHE, sizeof *mp->cmds);
        if (mp->cmds == NULL) {
            return NULL;
        }
    }
    if (mp->n_cmds < MQTT_PUMP_CMD_CACHE) {
        e = &mp->cmds[mp->n_cmds];
        mp->n_cmds++;
    } else {
        e = &mp->cmds[mp->i_cmd_next];
        mp->i_cmd_next = (mp->i_cmd_next + 1U) % MQTT_PUMP_CMD_CACHE;
        free(e->reply);
    }
    e->reply = NULL;
    copy_str(e->cmd_id, sizeof e->cmd_id, cmd_id, strlen(cmd_id));
    return e;
}

/* Build, remember (as cmd_id's latest reply) and publish one reply. */
static void send_reply(struct mqtt_pump *mp, const char *cmd_id, const struct reply *r)
{
    json_t *o = json_object();
    struct mqtt_cmd_entry *e;
    char *text;
    if (o == NULL) {
        json_decref(r->override_obj);
        return;
    }
    (void)json_object_set_new(o, "v", json_integer(1));
    (void)json_object_set_new(o, "pump_id", json_string(mp->id));
    (void)json_object_set_new(o, "cmd_id", json_string(cmd_id));
    (void)json_object_set_new(o, "result", json_string(r->result));
    (void)json_object_set_new(o, "outcome", str_or_null(r->outcome));
    (void)json_object_set_new(o, "limit", str_or_null(r->limit));
    (void)json_object_set_new(o, "piv_code",
                              r->piv_code != 0 ? json_integer(r->piv_code) : json_null());
    (void)json_object_set_new(o, "reason", str_or_null(r->reason));
    (void)json_object_set_new(o, "override",
                              r->override_obj != NULL ? r->override_obj : json_null());
    (void)json_object_set_new(o, "wall_ms", uint_json(mqtt_pump_wall_ms(mp)));
    text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (text == NULL) {
        return;
    }
    (void)publish_text(mp, mp->t_reply, text, false);
    e = cache_slot(mp, cmd_id);
    if (e != NULL) {
        free(e->reply);
        e->reply = text;
    } else {
        free(text);
    }
}

static void reject(struct mqtt_pump *mp, const char *cmd_id, int piv, const char *why,
                   const char *outcome, const char *limit)
{
    struct reply r;
    memset(&r, 0, sizeof r);
    r.result = "rejected";
    r.piv_code = piv;
    r.reason = why;
    r.outcome = outcome;
    r.limit = limit;
    send_reply(mp, cmd_id, &r);
}

/* The accepted program left PROGRAMMED: confirmed or declined, answered once. */
static void answer_program(struct mqtt_pump *mp)
{
    struct reply r;
    uint8_t st = mp->pump.ch.state;
    if (!mp->awaiting || st == (uint8_t)PUMP_ST_PROGRAMMED) {
        if (mp->awaiting && mp->saw_leave) {
            /* re-programmed by hand: no longer the command's program */
            memset(&r, 0, sizeof r);
            r.result = "declined";
            r.reason = "replaced at the pump";
            r.outcome = mp->awaiting_outcome;
            r.limit = mp->awaiting_limit;
            send_reply(mp, mp->origin_cmd_id, &r);
            mp->awaiting = false;
            mp->has_origin = false;
            mp->gen++;
        }
        return;
    }
    memset(&r, 0, sizeof r);
    r.outcome = mp->awaiting_outcome;
    r.limit = mp->awaiting_limit;
    if (mp->saw_confirm) {
        r.result = "confirmed";
        if (mp->saw_override && mp->override_reason != (uint8_t)PUMP_OVR_NONE) {
            r.override_obj = json_object();
            if (r.override_obj != NULL) {
                (void)json_object_set_new(
                    r.override_obj, "reason",
                    json_string(pump_override_reason_str(
                        (pump_override_reason)mp->override_reason)));
                (void)json_object_set_new(
                    r.override_obj, "text",
                    mp->override_text_len > 0
                        ? json_stringn(mp->override_text, mp->override_text_len)
                        : json_null());
            }
        }
    } else {
        r.result = "declined";
        mp->has_origin = false;
    }
    send_reply(mp, mp->origin_cmd_id, &r);
    mp->awaiting = false;
    mp->gen++;
}

/* ---- commands ------------------------------------------------------------------------------- */

/* A JSON number (or a decimal string) as decimal text; false when it is neither. */
static bool number_text(const json_t *v, char *buf, size_t cap)
{
    if (json_is_integer(v)) {
        (void)snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return true;
    }
    if (json_is_real(v)) {
        return oi_double_to_decimal(json_real_value(v), buf, cap);
    }
    return false;
}

static json_t *number_of_text(const char *text)
{
    json_error_t jerr;
    return json_loads(text, JSON_DECODE_ANY, &jerr);
}

static const char *get_str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool id_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    return n >= 1 && n <= MQTT_PUMP_ID_MAX;
}

/* Fill care_area / weight_kg / bsa_m2 from the association where the program has none. */
static void fill_from_assoc(const struct mqtt_pump *mp, json_t *prog)
{
    if (json_object_get(prog, "care_area") == NULL && mp->assoc.has_area) {
        (void)json_object_set_new(prog, "care_area", json_string(mp->assoc.care_area));
    }
    if (json_object_get(prog, "weight_kg") == NULL && mp->assoc.weight_kg[0] != '\0') {
        json_t *v = number_of_text(mp->assoc.weight_kg);
        if (v != NULL) {
            (void)json_object_set_new(prog, "weight_kg", v);
        }
    }
    if (json_object_get(prog, "bsa_m2") == NULL && mp->assoc.bsa_m2[0] != '\0') {
        json_t *v = number_of_text(mp->assoc.bsa_m2);
        if (v != NULL) {
            (void)json_object_set_new(prog, "bsa_m2", v);
        }
    }
}

static bool is_hard(uint8_t o)
{
    return o == (uint8_t)PUMP_HARD_LOW || o == (uint8_t)PUMP_HARD_HIGH;
}

static bool is_soft(uint8_t o)
{
    return o == (uint8_t)PUMP_SOFT_LOW || o == (uint8_t)PUMP_SOFT_HIGH;
}

static void cmd_program(struct mqtt_pump *mp, const char *cmd_id, const json_t *cmd)
{
    const json_t *given = json_object_get(cmd, "program");
    const json_t *order = json_object_get(cmd, "order");
    const char *order_id = NULL;
    const char *patient_id = NULL;
    const char *drug = NULL;
    const char *prog_area;
    json_t *prog_obj;
    struct pump_program prog;
    struct pump_ders_result res;
    struct pump_cmd pc;
    char err[256];
    char origin[2U * (MQTT_PUMP_ID_MAX + 1U)];
    size_t id_len = strlen(cmd_id);
    size_t ord_len;
    const char *outcome;
    const char *limit;
    uint8_t state = mp->pump.ch.state;
    pump_status st;
    struct reply r;

    if (!json_is_object(given)) {
        reject(mp, cmd_id, PIV_INVALID, "program: must be an object", NULL, NULL);
        return;
    }
    if (order != NULL && !json_is_null(order)) {
        if (!json_is_object(order)) {
            reject(mp, cmd_id, PIV_INVALID, "order: must be an object", NULL, NULL);
            return;
        }
        order_id = get_str(order, "order_id");
        patient_id = get_str(order, "patient_id");
        drug = get_str(order, "drug_name");
        if ((order_id != NULL && strlen(order_id) > MQTT_PUMP_ID_MAX) ||
            (patient_id != NULL && !id_ok(patient_id))) {
            reject(mp, cmd_id, PIV_INVALID, "order: order_id or patient_id too long", NULL, NULL);
            return;
        }
    }
    if (patient_id != NULL && mp->assoc.has_patient &&
        strcmp(patient_id, mp->assoc.patient_id) != 0) {
        /* Why refuse: the pump is at another patient's bedside. */
        reject(mp, cmd_id, PIV_PATIENT_MISMATCH, "the order is for another patient than the pump's", NULL,
               NULL);
        return;
    }
    prog_area = get_str(given, "care_area");
    if (prog_area != NULL && mp->assoc.has_area && strcmp(prog_area, mp->assoc.care_area) != 0) {
        reject(mp, cmd_id, PIV_AREA_MISMATCH, "the program is for another care area", NULL,
               NULL);
        return;
    }
    prog_obj = json_deep_copy(given);
    if (prog_obj == NULL) {
        reject(mp, cmd_id, PIV_OTHER, "out of memory", NULL, NULL);
        return;
    }
    fill_from_assoc(mp, prog_obj);
    if (!oi_program_from_json(prog_obj, &prog, err, sizeof err)) {
        reject(mp, cmd_id, PIV_INVALID, err, NULL, NULL);
        json_decref(prog_obj);
        return;
    }
    if (pump_ders_check(mp->pump.cfg.lib, &prog, &res) != PUMP_OK) {
        reject(mp, cmd_id, PIV_OTHER, "the program cannot be judged", NULL, NULL);
        json_decref(prog_obj);
        return;
    }
    outcome = pump_outcome_str((pump_outcome)res.outcome);
    limit = pump_limit_str((pump_limit)res.limit);
    if (is_hard(res.outcome)) {
        reject(mp, cmd_id, PIV_HARD_LIMIT, "a hard limit is exceeded", outcome, limit);
    } else if (res.outcome == (uint8_t)PUMP_REJECT_INVALID) {
        bool missing = res.reason == (uint8_t)PUMP_R_ENTRY_UNKNOWN ||
                       res.reason == (uint8_t)PUMP_R_ENTRY_OTHER_AREA ||
                       res.reason == (uint8_t)PUMP_R_CARE_AREA_UNKNOWN;
        reject(mp, cmd_id, missing ? PIV_NOT_IN_LIBRARY : PIV_INVALID,
               missing ? "the entry is not in the pump's library for this care area"
                       : "the program is invalid",
               outcome, limit);
    } else if (mp->pump.ch.alarms.n_active > 0) {
        reject(mp, cmd_id, PIV_ALARMING, "the pump is alarming", outcome, limit);
    } else if (state != (uint8_t)PUMP_ST_IDLE && state != (uint8_t)PUMP_ST_COMPLETE) {
        /* Why not replace a PROGRAMMED/READY program: a nurse may be reading it. */
        reject(mp, cmd_id, PIV_BUSY, "the channel is busy", outcome, limit);
    } else {
        ord_len = order_id != NULL ? strlen(order_id) : 0;
        memcpy(origin, cmd_id, id_len + 1U);
        memcpy(origin + id_len + 1U, order_id != NULL ? order_id : "", ord_len + 1U);
        memset(&pc, 0, sizeof pc);
        pc.kind = (uint8_t)PUMP_EV_PROGRAM;
        pc.program.lib = mp->pump.cfg.lib;
        pc.program.prog = &prog;
        mp->origin_now = origin;
        mp->origin_len = id_len + ord_len + 2U;
        mp->saw_confirm = false;
        mp->saw_leave = false;
        mp->saw_override = false;
        st = sim_pump_command(&mp->pump, &pc);
        mp->origin_now = NULL;
        if (st != PUMP_OK) {
            reject(mp, cmd_id,
                   st == PUMP_ERR_BLOCKED   ? PIV_HARD_LIMIT
                   : st == PUMP_ERR_REFUSED ? PIV_BUSY
                                            : PIV_OTHER,
                   pump_status_str(st), outcome, limit);
        } else {
            struct mqtt_pump_program_info info;
            mp->has_origin = true;
            copy_str(mp->origin_cmd_id, sizeof mp->origin_cmd_id, cmd_id, id_len);
            copy_str(mp->origin_order_id, sizeof mp->origin_order_id, origin + id_len + 1U,
                     ord_len);
            copy_str(mp->origin_drug, sizeof mp->origin_drug, drug != NULL ? drug : "",
                     drug != NULL ? strlen(drug) : 0U);
            copy_str(mp->awaiting_outcome, sizeof mp->awaiting_outcome, outcome,
                     strlen(outcome));
            copy_str(mp->awaiting_limit, sizeof mp->awaiting_limit, limit, strlen(limit));
            mp->awaiting = true;
            if (patient_id != NULL && !mp->assoc.has_patient) {
                /* An unassociated pump takes the patient of its first order. */
                mp->assoc.has_patient = true;
                copy_str(mp->assoc.patient_id, sizeof mp->assoc.patient_id, patient_id,
                         strlen(patient_id));
                if (!number_text(json_object_get(prog_obj, "weight_kg"), mp->assoc.weight_kg,
                                 sizeof mp->assoc.weight_kg)) {
                    mp->assoc.weight_kg[0] = '\0';
                }
            }
            mp->gen++;
            memset(&r, 0, sizeof r);
            r.result = "accepted";
            r.outcome = outcome;
            r.limit = limit;
            send_reply(mp, cmd_id, &r);
            if (mp->cfg.on_program != NULL) {
                info.cmd_id = mp->origin_cmd_id;
                info.order_id = mp->origin_order_id;
                info.drug_name = drug != NULL ? mp->origin_drug : "";
                info.outcome = outcome;
                info.limit = limit;
                info.is_soft = is_soft(res.outcome);
                mp->cfg.on_program(mp->cfg.arg, mp, &info);
            }
        }
    }
    json_decref(prog_obj);
}

static void cmd_associate(struct mqtt_pump *mp, const char *cmd_id, const json_t *cmd)
{
    const json_t *pat = json_object_get(cmd, "patient");
    const json_t *area = json_object_get(cmd, "care_area");
    struct mqtt_pump_assoc a = mp->assoc;
    uint32_t idx = 0;
    uint8_t state = mp->pump.ch.state;
    struct reply r;

    if (pat != NULL && !json_is_null(pat)) {
        const char *id = get_str(pat, "id");
        const json_t *w = json_object_get(pat, "weight_kg");
        const json_t *b = json_object_get(pat, "bsa_m2");
        if (!json_is_object(pat) || !id_ok(id)) {
            reject(mp, cmd_id, PIV_INVALID, "patient: needs an id of 1 to 64 characters", NULL,
                   NULL);
            return;
        }
        a.has_patient = true;
        copy_str(a.patient_id, sizeof a.patient_id, id, strlen(id));
        a.weight_kg[0] = '\0';
        a.bsa_m2[0] = '\0';
        if ((w != NULL && !json_is_null(w) && !number_text(w, a.weight_kg, sizeof a.weight_kg)) ||
            (b != NULL && !json_is_null(b) && !number_text(b, a.bsa_m2, sizeof a.bsa_m2))) {
            reject(mp, cmd_id, PIV_INVALID, "patient: weight_kg and bsa_m2 must be numbers", NULL,
                   NULL);
            return;
        }
    } else if (pat != NULL) {
        a.has_patient = false;
        a.patient_id[0] = '\0';
        a.weight_kg[0] = '\0';
        a.bsa_m2[0] = '\0';
    }
    if (area != NULL && !json_is_null(area)) {
        const char *id = json_string_value(area);
        if (id == NULL || pump_library_find_area(mp->pump.cfg.lib, id, strlen(id), &idx) !=
                              PUMP_OK) {
            reject(mp, cmd_id, PIV_AREA_MISMATCH, "care_area: not in the pump's library", NULL,
                   NULL);
            return;
        }
        a.has_area = true;
        copy_str(a.care_area, sizeof a.care_area, id, strlen(id));
    } else if (area != NULL) {
        a.has_area = false;
        a.care_area[0] = '\0';
    }
    if (pat == NULL && area == NULL) {
        reject(mp, cmd_id, PIV_INVALID, "associate needs patient or care_area", NULL, NULL);
        return;
    }
    if (state != (uint8_t)PUMP_ST_IDLE && state != (uint8_t)PUMP_ST_COMPLETE &&
        (a.has_patient != mp->assoc.has_patient ||
         strcmp(a.patient_id, mp->assoc.patient_id) != 0 || a.has_area != mp->assoc.has_area ||
         strcmp(a.care_area, mp->assoc.care_area) != 0)) {
        /* Why: a program under way belongs to the patient and area it was judged for. */
        reject(mp, cmd_id, PIV_BUSY, "the channel is busy: associate when it is idle", NULL,
               NULL);
        return;
    }
    mp->assoc = a;
    mp->gen++;
    memset(&r, 0, sizeof r);
    r.result = "accepted";
    send_reply(mp, cmd_id, &r);
}

static void cmd_time_sync(struct mqtt_pump *mp, const char *cmd_id, const json_t *cmd)
{
    const json_t *w = json_object_get(cmd, "wall_ms");
    struct reply r;
    if (!json_is_integer(w) || json_integer_value(w) <= 0) {
        reject(mp, cmd_id, PIV_INVALID, "wall_ms: must be a whole number above 0", NULL, NULL);
        return;
    }
    mp->wall_offset_ms = (int64_t)json_integer_value(w) - (int64_t)mqtt_pump_real_ms();
    mp->gen++;
    memset(&r, 0, sizeof r);
    r.result = "accepted";
    send_reply(mp, cmd_id, &r);
}

static void bad_command(struct mqtt_pump *mp, const char *cmd_id, const char *why)
{
    char line[320];
    mp->st.n_bad_cmds++;
    /* A flood of bad commands must not flood the log: the first ten, then every thousandth. */
    if (mp->st.n_bad_cmds <= 10U || mp->st.n_bad_cmds % 1000U == 0U) {
        (void)snprintf(line, sizeof line, "%s%s (bad command %llu of this pump)", why,
                       cmd_id != NULL ? "" : " (no cmd_id: dropped)",
                       (unsigned long long)mp->st.n_bad_cmds);
        logf_pump(mp, "bad command", line);
    }
    if (cmd_id != NULL) {
        reject(mp, cmd_id, PIV_OTHER, why, NULL, NULL);
    }
}

static void handle_command(struct mqtt_pump *mp, const char *payload, size_t len, uint64_t now_ms)
{
    json_error_t jerr;
    json_t *cmd;
    const json_t *v;
    const char *type;
    const char *cmd_id;
    struct mqtt_cmd_entry *cached;
    char why[300];

    mp->st.n_cmds++;
    if (len > CMD_PAYLOAD_MAX) {
        bad_command(mp, NULL, "payload too large");
        return;
    }
    cmd = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
    if (cmd == NULL || !json_is_object(cmd)) {
        (void)snprintf(why, sizeof why, "not a JSON object (%s)",
                       cmd == NULL ? jerr.text : "another JSON value");
        bad_command(mp, NULL, why);
        json_decref(cmd);
        return;
    }
    cmd_id = get_str(cmd, "cmd_id");
    type = get_str(cmd, "type");
    v = json_object_get(cmd, "v");
    if (cmd_id != NULL && !id_ok(cmd_id)) {
        bad_command(mp, NULL, "cmd_id: must be 1 to 64 characters");
    } else if (type != NULL && strcmp(type, "event_ack") == 0 && json_is_integer(v) &&
               json_integer_value(v) == 1) {
        /* No reply: acknowledging again is harmless, so it needs no cmd_id cache. */
        const json_t *upto = json_object_get(cmd, "upto_seq");
        if (!json_is_integer(upto) || json_integer_value(upto) < 0) {
            bad_command(mp, NULL, "event_ack: upto_seq must be a whole number");
        } else {
            uint64_t u = (uint64_t)json_integer_value(upto);
            q_ack(mp, u, now_ms);
            if (mp->cfg.on_ack != NULL) {
                mp->cfg.on_ack(mp->cfg.arg, mp, u);
            }
            if (mp->sent_upto < u) {
                mp->sent_upto = u;
            }
            flush_events(mp); /* the window moved */
        }
    } else if (cmd_id != NULL && (cached = cache_find(mp, cmd_id)) != NULL) {
        mp->st.n_dup_cmds++;
        if (cached->reply != NULL) {
            (void)publish_text(mp, mp->t_reply, cached->reply, false);
        }
    } else if (!json_is_integer(v) || json_integer_value(v) != 1) {
        bad_command(mp, cmd_id, "v: must be 1");
    } else if (cmd_id == NULL) {
        bad_command(mp, NULL, "cmd_id: missing");
    } else if (type == NULL) {
        bad_command(mp, cmd_id, "type: missing");
    } else if (strcmp(type, "program") == 0) {
        cmd_program(mp, cmd_id, cmd);
    } else if (strcmp(type, "associate") == 0) {
        cmd_associate(mp, cmd_id, cmd);
    } else if (strcmp(type, "time_sync") == 0) {
        cmd_time_sync(mp, cmd_id, cmd);
    } else {
        (void)snprintf(why, sizeof why, "unknown command type %.64s", type);
        bad_command(mp, cmd_id, why);
    }
    json_decref(cmd);
}

/* ---- libmosquitto callbacks (inside loop_read/loop_write/loop_misc) ------------------------- */

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    struct mqtt_pump *mp = obj;
    (void)mosq;
    (void)flags;
    (void)props;
    if (rc != 0) {
        if (!mp->cfg.quiet) {
            logf_pump(mp, "the broker refused the connection", mosquitto_reason_string(rc));
        }
        mp->lost = true;
        return;
    }
    mp->connected = true;
    mp->st.n_connects++;
    mp->backoff_ms = 0;
    if (!mp->cfg.quiet) {
        logf_pump(mp, "connected", "");
    }
    (void)mosquitto_subscribe_v5(mp->mosq, NULL, mp->t_cmd, 1, 0, NULL);
    publish_online(mp);
    publish_state(mp);
    mp->last_sig = signature(mp);
    mp->has_sig = true;
    mp->next_heartbeat_ms = mqtt_pump_mono_ms() + mp->cfg.heartbeat_ms;
    /* Everything unacknowledged goes out again on a new connection. */
    mp->sent_upto = 0;
    mp->last_progress_ms = mqtt_pump_mono_ms();
    flush_events(mp);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    struct mqtt_pump *mp = obj;
    (void)mosq;
    (void)rc;
    (void)props;
    mp->lost = true;
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    struct mqtt_pump *mp = obj;
    uint64_t now = mqtt_pump_mono_ms();
    (void)mosq;
    (void)props;
    if (msg->payloadlen < 0 || strcmp(msg->topic, mp->t_cmd) != 0) {
        return;
    }
    /* The command acts at the pump's present: the clock is brought up first. */
    mqtt_pump_command(mp, msg->payload, (size_t)msg->payloadlen, now);
}

void mqtt_pump_command(struct mqtt_pump *mp, const char *payload, size_t len, uint64_t now_ms)
{
    sim_pump_advance_to(&mp->pump, mqtt_pump_clock_ms(mp, now_ms));
    handle_command(mp, payload, len, now_ms);
}

/* ---- the connection ------------------------------------------------------------------------- */

static void drop_events(struct mqtt_pump *mp)
{
    if (mp->ev_read != NULL) {
        event_free(mp->ev_read);
        mp->ev_read = NULL;
    }
    if (mp->ev_write != NULL) {
        event_free(mp->ev_write);
        mp->ev_write = NULL;
    }
    mp->write_added = false;
    mp->sock = -1;
}

static void schedule_reconnect(struct mqtt_pump *mp, uint64_t now_ms)
{
    uint64_t base;
    if (mp->backoff_ms == 0) {
        mp->backoff_ms = BACKOFF_MIN_MS;
    } else {
        mp->backoff_ms = mp->backoff_ms * 2U > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                              : mp->backoff_ms * 2U;
    }
    /* Jitter in [backoff/2, backoff], at least the minimum, so thousands of pumps do not come
     * back in the same millisecond. */
    base = mp->backoff_ms / 2U;
    mp->next_connect_ms = now_ms + base + next_rand(mp) % (mp->backoff_ms - base + 1U);
    if (mp->next_connect_ms < now_ms + BACKOFF_MIN_MS) {
        mp->next_connect_ms = now_ms + BACKOFF_MIN_MS;
    }
}

static void handle_lost(struct mqtt_pump *mp, uint64_t now_ms)
{
    bool was = mp->connected;
    drop_events(mp);
    mp->connected = false;
    mp->lost = false;
    if (was && !mp->cfg.quiet) {
        logf_pump(mp, "connection lost, reconnecting", "");
    }
    schedule_reconnect(mp, now_ms);
}

/* After every call into libmosquitto: did the socket go away? */
static void check_socket(struct mqtt_pump *mp)
{
    if (mp->sock >= 0 && (mp->lost || mosquitto_socket(mp->mosq) != mp->sock)) {
        handle_lost(mp, mqtt_pump_mono_ms());
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct mqtt_pump *mp = arg;
    (void)fd;
    (void)what;
    (void)mosquitto_loop_read(mp->mosq, 1);
    check_socket(mp);
    update_write(mp);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    struct mqtt_pump *mp = arg;
    (void)fd;
    (void)what;
    (void)mosquitto_loop_write(mp->mosq, 1);
    check_socket(mp);
    update_write(mp);
}

static void update_write(struct mqtt_pump *mp)
{
    bool want;
    if (mp->ev_write == NULL) {
        return;
    }
    want = mosquitto_want_write(mp->mosq);
    if (want && !mp->write_added) {
        mp->write_added = event_add(mp->ev_write, NULL) == 0;
    } else if (!want && mp->write_added) {
        (void)event_del(mp->ev_write);
        mp->write_added = false;
    }
}

static void try_connect(struct mqtt_pump *mp, uint64_t now_ms)
{
    int rc;
    int fd;
    /* A non-blocking TCP connect (a blocking one stalls every pump while a busy broker's
     * backlog is full); CONNECT goes out when the socket is writable, CONNACK through the
     * loop. The host name is resolved here, blocking: use an address or a local name. */
    rc = mosquitto_connect_bind_async(mp->mosq, mp->cfg.host, mp->cfg.port, KEEPALIVE_S, NULL);
    fd = mosquitto_socket(mp->mosq);
    if (rc != MOSQ_ERR_SUCCESS || fd < 0) {
        static bool warned; /* one line per process: a fleet of thousands fails alike */
        if (!mp->cfg.quiet || !warned) {
            char why[300];
            (void)snprintf(why, sizeof why, "%s:%d: %s (retrying)", mp->cfg.host, mp->cfg.port,
                           rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            logf_pump(mp, "cannot connect", why);
            warned = true;
        }
        schedule_reconnect(mp, now_ms);
        return;
    }
    mp->sock = fd;
    mp->lost = false;
    mp->ev_read = event_new(mp->base, fd, EV_READ | EV_PERSIST, on_read, mp);
    mp->ev_write = event_new(mp->base, fd, EV_WRITE | EV_PERSIST, on_write, mp);
    if (mp->ev_read == NULL || mp->ev_write == NULL || event_add(mp->ev_read, NULL) != 0) {
        (void)mosquitto_disconnect(mp->mosq);
        drop_events(mp);
        schedule_reconnect(mp, now_ms);
        return;
    }
    mp->next_misc_ms = now_ms + MISC_PERIOD_MS;
    update_write(mp);
}

/* ---- life cycle ----------------------------------------------------------------------------- */

bool mqtt_pump_lib_init(void)
{
    return mosquitto_lib_init() == MOSQ_ERR_SUCCESS;
}

void mqtt_pump_lib_cleanup(void)
{
    (void)mosquitto_lib_cleanup();
}

static bool topic(char *buf, const char *prefix, const char *id, const char *leaf)
{
    int n = snprintf(buf, MQTT_PUMP_TOPIC_MAX, "%s/pump/%s/%s", prefix, id, leaf);
    return n > 0 && (size_t)n < MQTT_PUMP_TOPIC_MAX;
}

static bool pump_id_ok(const char *id)
{
    size_t i;
    size_t n = strlen(id);
    if (n < 1 || n > MQTT_PUMP_ID_MAX) {
        return false;
    }
    for (i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.')) {
            return false;
        }
    }
    return true;
}

bool mqtt_pump_init(struct mqtt_pump *mp, const struct mqtt_pump_config *cfg,
                    const struct sim_pump_config *pc, struct event_base *base, uint64_t start_ms,
                    uint64_t next_seq, bool was_interrupted)
{
    static const char will[] = "{\"v\":1,\"online\":false}";
    struct sim_pump_config spc = *pc;
    memset(mp, 0, sizeof *mp);
    mp->sock = -1;
    mp->cfg = *cfg;
    if (mp->cfg.next_sink == NULL) {
        mp->cfg.next_sink = pc->sink;
        mp->cfg.next_arg = pc->sink_arg;
    }
    if (mp->cfg.model == NULL) {
        mp->cfg.model = "pumpd-sim";
    }
    mp->base = base;
    mp->rng = pc->seed * 0x9E3779B97F4A7C15ULL + 1U;
    if (!pump_id_ok(pc->pump_id)) {
        (void)snprintf(mp->error, sizeof mp->error,
                       "pump id %.80s: 1 to 64 of A-Z a-z 0-9 - _ .", pc->pump_id);
        return false;
    }
    copy_str(mp->id, sizeof mp->id, pc->pump_id, strlen(pc->pump_id));
    if (!topic(mp->t_online, cfg->topic_prefix, mp->id, "online") ||
        !topic(mp->t_state, cfg->topic_prefix, mp->id, "state") ||
        !topic(mp->t_event, cfg->topic_prefix, mp->id, "event") ||
        !topic(mp->t_cmd, cfg->topic_prefix, mp->id, "cmd") ||
        !topic(mp->t_reply, cfg->topic_prefix, mp->id, "reply")) {
        (void)snprintf(mp->error, sizeof mp->error, "the topic prefix is too long");
        return false;
    }
    mp->mono_start_ms = mqtt_pump_mono_ms();
    mp->start_ms = start_ms;
    spc.pump_id = mp->id;
    spc.sink = pump_sink;
    spc.sink_arg = mp;
    if (!sim_pump_init(&mp->pump, &spc, start_ms, next_seq, was_interrupted)) {
        (void)snprintf(mp->error, sizeof mp->error, "%s", mp->pump.error);
        return false;
    }
    /* The client id is the pump id; clean start false (the contract). */
    mp->mosq = mosquitto_new(mp->id, false, mp);
    if (mp->mosq == NULL) {
        (void)snprintf(mp->error, sizeof mp->error, "cannot create the MQTT client: %s",
                       strerror(errno));
        return false;
    }
    if (mosquitto_int_option(mp->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5) !=
            MOSQ_ERR_SUCCESS ||
        mosquitto_will_set_v5(mp->mosq, mp->t_online, (int)(sizeof will - 1U), will, 1, true,
                              NULL) != MOSQ_ERR_SUCCESS) {
        (void)snprintf(mp->error, sizeof mp->error, "cannot set up the MQTT client");
        return false;
    }
    mosquitto_connect_v5_callback_set(mp->mosq, on_connect);
    mosquitto_disconnect_v5_callback_set(mp->mosq, on_disconnect);
    mosquitto_message_v5_callback_set(mp->mosq, on_message);
    return true;
}

void mqtt_pump_service(struct mqtt_pump *mp, uint64_t now_ms)
{
    struct mqtt_pump_sig sig;
    if (mp->mosq == NULL) {
        return;
    }
    sim_pump_advance_to(&mp->pump, mqtt_pump_clock_ms(mp, now_ms));
    if (mp->lost) {
        handle_lost(mp, now_ms);
    }
    if (mp->sock < 0 && now_ms >= mp->next_connect_ms) {
        try_connect(mp, now_ms);
    }
    if (mp->sock >= 0 && now_ms >= mp->next_misc_ms) {
        mp->next_misc_ms = now_ms + MISC_PERIOD_MS;
        (void)mosquitto_loop_misc(mp->mosq);
        check_socket(mp);
    }
    answer_program(mp);
    if (mp->has_origin && !mp->awaiting && mp->pump.ch.state == (uint8_t)PUMP_ST_IDLE) {
        mp->has_origin = false; /* the command's program ended */
        mp->gen++;
    }
    if (mp->connected) {
        sig = signature(mp);
        if (!mp->has_sig || !sig_equal(&sig, &mp->last_sig) || now_ms >= mp->next_heartbeat_ms) {
            publish_state(mp);
            mp->last_sig = sig;
            mp->has_sig = true;
            mp->next_heartbeat_ms = now_ms + mp->cfg.heartbeat_ms;
        }
        if (mp->q_count > 0 && now_ms >= mp->last_progress_ms + mp->cfg.resend_ms) {
            mp->sent_upto = 0;
            mp->last_progress_ms = now_ms;
            mp->st.n_resends++;
        }
        flush_events(mp);
    }
    update_write(mp);
}

void mqtt_pump_close(struct mqtt_pump *mp, uint64_t wait_ms)
{
    static const char offline[] = "{\"v\":1,\"online\":false}";
    size_t i;
    if (mp->mosq != NULL) {
        if (mp->connected) {
            uint64_t end = mqtt_pump_mono_ms() + wait_ms;
            (void)publish_text(mp, mp->t_online, offline, true);
            (void)mosquitto_disconnect_v5(mp->mosq, 0, NULL);
            /* Write what is queued (the offline message, DISCONNECT) before closing. */
            while (mosquitto_socket(mp->mosq) >= 0 && mosquitto_want_write(mp->mosq) &&
                   mqtt_pump_mono_ms() < end) {
                struct pollfd p;
                p.fd = mosquitto_socket(mp->mosq);
                p.events = POLLOUT;
                p.revents = 0;
                if (poll(&p, 1, 100) < 0 && errno != EINTR) {
                    break;
                }
                if (mosquitto_loop_write(mp->mosq, 1) != MOSQ_ERR_SUCCESS) {
                    break;
                }
            }
        }
        drop_events(mp);
        mosquitto_destroy(mp->mosq);
        mp->mosq = NULL;
        mp->connected = false;
    } else {
        drop_events(mp);
    }
    while (mp->q_count > 0) {
        q_drop_oldest(mp);
    }
    free(mp->q);
    mp->q = NULL;
    mp->q_cap = 0;
    if (mp->cmds != NULL) {
        for (i = 0; i < mp->n_cmds; i++) {
            free(mp->cmds[i].reply);
        }
        free(mp->cmds);
        mp->cmds = NULL;
    }
    mp->n_cmds = 0;
}
