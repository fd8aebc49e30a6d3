/*
 * pumps.c - pump presence, snapshots and events into the model and the store (pumps.h).
 */
#include "pumps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "doc.h"
#include "log.h"
#include "mqtt_link.h"
#include "orders.h"
#include "server.h"

#define STATE_SAVE_MS 60000
/* A snapshot is not a clinical record (events are) and the next heartbeat supersedes it, so the
 * snapshots due for the store are written together every STATE_FLUSH_MS: one group commit, not
 * one fsync per snapshot (10,000 pumps would otherwise mean ~170 fsyncs a second on the loop
 * thread). Short enough that a batch stays small (~35 rows at 10,000 pumps), so its commit does
 * not hold up MQTT intake for long. A crash loses at most this much of the last-snapshot table,
 * which the pumps' retained state refills on restart. */
#define STATE_FLUSH_MS 200

/* One infusiond per process: the flush timer and the pumps due live here. */
static struct {
    struct event *timer;
    char (*due)[MODEL_ID_MAX]; /* ids of pumps with state_unsaved set, in arrival order */
    size_t n_due;
    size_t cap_due;
} g_pumps;

bool pumps_id_valid(const char *id, size_t len)
{
    if (len == 0 || len >= MODEL_ID_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static void bad(struct srv *s, const char *pump_id, const char *what)
{
    s->metrics.mqtt_bad++;
    srv_log(SRV_LOG_WARN, "mqtt", "dropped a message from pump %s: %s", pump_id, what);
}

static const char *str_or(const json_t *o, const char *key, const char *dflt)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : dflt;
}

static void copy_id(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= MODEL_ID_MAX) {
        n = MODEL_ID_MAX - 1;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- presence ------------------------------------------------------------------------------ */

struct presence_work {
    char pump_id[MODEL_ID_MAX];
    bool online;
    int64_t now_ms;
};

static bool presence_write(struct srv *s, void *arg)
{
    struct presence_work *w = arg;
    return store_pump_touch(s->store, w->pump_id, w->now_ms) == STORE_OK &&
           store_pump_set_online(s->store, w->pump_id, w->online, w->now_ms) == STORE_OK;
}

static void presence_done(struct srv *s, void *arg, bool ok)
{
    struct presence_work *w = arg;
    struct model_pump *p = model_pump(s->model, w->pump_id, false);
    if (ok && p != NULL) {
        model_changed(s->model, MODEL_CHANGE_PUMP, p, NULL, NULL, 0);
        if (w->online) {
            orders_on_online(s, p);
        }
    }
    free(w);
}

static void on_online(struct srv *s, struct model_pump *p, const json_t *msg)
{
    /* An empty payload (a cleared retained message) means unknown: offline. */
    bool online = msg != NULL && json_is_true(json_object_get(msg, "online"));
    if (p->online == online && p->first_seen_ms != 0) {
        return;
    }
    int64_t now = srv_now_ms();
    if (p->first_seen_ms == 0) {
        p->first_seen_ms = now;
    }
    p->online = online;
    p->last_seen_ms = now;
    srv_log(SRV_LOG_INFO, "pumps", "pump %s %s", p->pump_id, online ? "online" : "offline");
    struct presence_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return;
    }
    copy_id(w->pump_id, p->pump_id);
    w->online = online;
    w->now_ms = now;
    struct srv_work work = {presence_write, presence_done, w};
    if (!srv_commit_queue(s, &work)) {
        free(w);
    }
}

/* ---- state snapshots ------------------------------------------------------------------------- */

struct state_work {
    char pump_id[MODEL_ID_MAX];
    char *json;
    char care_area[MODEL_ID_MAX];
    char patient_id[MODEL_ID_MAX];
    int64_t now_ms;
};

static bool state_write(struct srv *s, void *arg)
{
    struct state_work *w = arg;
    if (store_pump_touch(s->store, w->pump_id, w->now_ms) != STORE_OK) {
        return false;
    }
    if (w->patient_id[0] != '\0' &&
        store_patient_seen(s->store, w->patient_id, NULL, NULL, w->now_ms) == STORE_ERR) {
        return false;
    }
    return store_pump_set_state(s->store, w->pump_id, w->json,
                                w->care_area[0] != '\0' ? w->care_area : NULL,
                                w->patient_id[0] != '\0' ? w->patient_id : NULL,
                                w->now_ms) == STORE_OK;
}

static void state_done(struct srv *s, void *arg, bool ok)
{
    (void)s;
    (void)ok;
    struct state_work *w = arg;
    free(w->json);
    free(w);
}

/* The channel states of a snapshot as one string ("running,idle"): a change is worth saving. */
static void channel_states(const json_t *state, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(state, "channels"), i, ch) {
        int w = snprintf(out + n, cap - n, "%s%s", i > 0 ? "," : "", str_or(ch, "state", "?"));
        if (w < 0 || (size_t)w >= cap - n) {
            break;
        }
        n += (size_t)w;
    }
}

/* Alarms the snapshot shows that no event told us about (raised before a server restart). */
static void reconcile_alarms(struct model_pump *p, const json_t *state)
{
    size_t i;
    const json_t *ch;
    json_array_foreach(json_object_get(state, "channels"), i, ch) {
        json_int_t channel = json_integer_value(json_object_get(ch, "channel"));
        size_t j;
        const json_t *a;
        json_array_foreach(json_object_get(ch, "alarms"), j, a) {
            const char *name = json_string_value(json_object_get(a, "alarm"));
            json_int_t seq = json_integer_value(json_object_get(a, "raised_seq"));
            if (name == NULL || seq <= 0 || channel < 0 ||
                model_alarm_find_name(p, (uint32_t)channel, name) != NULL ||
                p->n_alarms == MODEL_ALARMS_MAX || strlen(name) >= sizeof p->alarms[0].alarm) {
                continue;
            }
            struct model_alarm *m = &p->alarms[p->n_alarms++];
            memset(m, 0, sizeof *m);
            m->raised_seq = (uint64_t)seq;
            m->channel = (uint32_t)channel;
            memcpy(m->alarm, name, strlen(name) + 1);
            (void)snprintf(m->priority, sizeof m->priority, "%s", str_or(a, "priority", "high"));
            m->silenced = json_is_true(json_object_get(a, "silenced"));
            m->raised_wall_ms = json_integer_value(json_object_get(a, "since_wall_ms"));
        }
    }
}

static void on_state(struct srv *s, struct model_pump *p, json_t *msg)
{
    int64_t now = srv_now_ms();
    if (!json_is_array(json_object_get(msg, "channels"))) {
        bad(s, p->pump_id, "state without a channels array");
        return;
    }
    char before[256];
    char after[256];
    channel_states(p->state, before, sizeof before);
    channel_states(msg, after, sizeof after);

    json_decref(p->state);
    p->state = json_incref(msg);
    p->state_wall_ms = json_integer_value(json_object_get(msg, "wall_ms"));
    p->last_seen_ms = now;
    if (p->first_seen_ms == 0) {
        p->first_seen_ms = now;
    }
    const char *area = json_string_value(json_object_get(msg, "care_area"));
    const char *patient = json_string_value(json_object_get(json_object_get(msg, "patient"), "id"));
    copy_id(p->care_area, area != NULL ? area : "");
    copy_id(p->patient_id, patient != NULL ? patient : "");
    reconcile_alarms(p, msg);
    s->metrics.states++;
    model_changed(s->model, MODEL_CHANGE_PUMP, p, NULL, NULL, p->state_wall_ms);

    if (p->state_unsaved ||
        (strcmp(before, after) == 0 && now - p->state_saved_ms < STATE_SAVE_MS)) {
        return;
    }
    if (g_pumps.n_due == g_pumps.cap_due) {
        size_t cap = g_pumps.cap_due == 0 ? 256 : g_pumps.cap_due * 2;
        void *due = realloc(g_pumps.due, cap * sizeof *g_pumps.due);
        if (due == NULL) {
            srv_log(SRV_LOG_ERROR, "store", "out of memory: snapshot of %s not saved", p->pump_id);
            return;
        }
        g_pumps.due = due;
        g_pumps.cap_due = cap;
    }
    copy_id(g_pumps.due[g_pumps.n_due++], p->pump_id);
    p->state_unsaved = true;
    p->state_saved_ms = now;
}

/* Queues the latest snapshot of every pump due; they commit together in the next group. */
void pumps_flush_states(struct srv *s)
{
    int64_t now = srv_now_ms();
    for (size_t i = 0; i < g_pumps.n_due; i++) {
        struct model_pump *p = model_pump(s->model, g_pumps.due[i], false);
        if (p == NULL || !p->state_unsaved || p->state == NULL) {
            continue;
        }
        p->state_unsaved = false;
        struct state_work *w = calloc(1, sizeof *w);
        if (w == NULL) {
            continue;
        }
        w->json = json_dumps(p->state, JSON_COMPACT);
        copy_id(w->pump_id, p->pump_id);
        copy_id(w->care_area, p->care_area);
        copy_id(w->patient_id, p->patient_id);
        w->now_ms = now;
        struct srv_work work = {state_write, state_done, w};
        if (w->json == NULL || !srv_commit_queue(s, &work)) {
            free(w->json);
            free(w);
        }
    }
    g_pumps.n_due = 0;
}

static void on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pumps_flush_states(arg);
}

bool pumps_start(struct srv *s)
{
    struct timeval tv = {STATE_FLUSH_MS / 1000, (STATE_FLUSH_MS % 1000) * 1000};
    pumps_stop(s);
    g_pumps.timer = event_new(s->base, -1, EV_PERSIST, on_flush_timer, s);
    if (g_pumps.timer == NULL || event_add(g_pumps.timer, &tv) != 0) {
        pumps_stop(s);
        return false;
    }
    return true;
}

void pumps_stop(struct srv *s)
{
    if (s->model != NULL && s->commitq != NULL) {
        pumps_flush_states(s);
    }
    if (g_pumps.timer != NULL) {
        event_free(g_pumps.timer);
        g_pumps.timer = NULL;
    }
    free(g_pumps.due);
    g_pumps.due = NULL;
    g_pumps.n_due = 0;
    g_pumps.cap_due = 0;
}

/* ---- events ------------------------------------------------------------------------------------ */

#define ALARM_CHANGES_MAX 64

struct event_work {
    char pump_id[MODEL_ID_MAX];
    json_t *events;       /* the batch's records (owned) */
    int64_t received_ms;
    uint64_t old_last_seq; /* restored when the group fails */
    int64_t newest_wall_ms;
    struct {
        struct model_alarm alarm;
        char step[16];
        int64_t wall_ms;
    } changes[ALARM_CHANGES_MAX];
    size_t n_changes;
};

static void note_change(struct event_work *w, const struct model_alarm *a, const char *step,
                        int64_t wall_ms)
{
    if (w->n_changes == ALARM_CHANGES_MAX) {
        return;
    }
    w->changes[w->n_changes].alarm = *a;
    (void)snprintf(w->changes[w->n_changes].step, sizeof w->changes[0].step, "%s", step);
    w->changes[w->n_changes].wall_ms = wall_ms;
    w->n_changes++;
}

/* The model's alarm list follows the pump's alarm records. */
static void apply_alarm(struct model_pump *p, struct event_work *w, const json_t *ev,
                        uint64_t seq, int64_t wall_ms)
{
    const char *name = json_string_value(json_object_get(ev, "alarm"));
    const char *step = json_string_value(json_object_get(ev, "step"));
    json_int_t channel = json_integer_value(json_object_get(ev, "channel"));
    if (name == NULL || step == NULL || channel < 0 ||
        strlen(name) >= sizeof p->alarms[0].alarm) {
        return;
    }
    struct model_alarm *a = model_alarm_find_name(p, (uint32_t)channel, name);
    if (strcmp(step, "raised") == 0) {
        if (a == NULL && p->n_alarms < MODEL_ALARMS_MAX) {
            a = &p->alarms[p->n_alarms++];
            memset(a, 0, sizeof *a);
            a->raised_seq = seq;
            a->channel = (uint32_t)channel;
            memcpy(a->alarm, name, strlen(name) + 1);
            (void)snprintf(a->priority, sizeof a->priority, "%s",
                           str_or(ev, "priority", "high"));
            a->raised_wall_ms = wall_ms;
        }
    } else if (a != NULL && strcmp(step, "silenced") == 0) {
        a->silenced = true;
    } else if (a != NULL && strcmp(step, "rearmed") == 0) {
        a->silenced = false;
    } else if (a != NULL && strcmp(step, "cleared") == 0) {
        note_change(w, a, step, wall_ms);
        *a = p->alarms[p->n_alarms - 1];
        p->n_alarms--;
        return;
    }
    if (a != NULL) {
        note_change(w, a, step, wall_ms);
    }
}

static bool event_write(struct srv *s, void *arg)
{
    struct event_work *w = arg;
    struct model_pump *p = model_pump(s->model, w->pump_id, true);
    if (p == NULL) {
        return false;
    }
    if (!p->seq_loaded) {
        uint64_t last = 0;
        if (store_pump_last_seq(s->store, p->pump_id, &last) != STORE_OK) {
            return false;
        }
        p->last_seq = last;
        p->seq_loaded = true;
    }
    if (store_pump_touch(s->store, p->pump_id, w->received_ms) != STORE_OK) {
        return false;
    }
    w->old_last_seq = p->last_seq;
    size_t i;
    json_t *ev;
    json_array_foreach(w->events, i, ev) {
        uint64_t seq = (uint64_t)json_integer_value(json_object_get(ev, "seq"));
        int64_t wall_ms = json_integer_value(json_object_get(ev, "wall_ms"));
        const char *type = json_string_value(json_object_get(ev, "type"));
        /* A pump the store has never heard from starts its sequence where it is. */
        if (p->last_seq == 0 && i == 0) {
            p->last_seq = seq - 1;
        }
        char *text = json_dumps(ev, JSON_COMPACT);
        if (text == NULL) {
            return false;
        }
        struct store_event se = {
            .pump_id = p->pump_id,
            .seq = seq,
            .time_ms = (uint64_t)json_integer_value(json_object_get(ev, "time_ms")),
            .wall_ms = wall_ms,
            .received_ms = w->received_ms,
            .type = type,
            .channel = (uint32_t)json_integer_value(json_object_get(ev, "channel")),
            .patient_id = p->patient_id[0] != '\0' ? p->patient_id : NULL,
            .json = text,
        };
        store_status st = store_event_add(s->store, &se);
        free(text);
        if (st == STORE_OK) {
            s->metrics.events_stored++;
            if (strcmp(type, "alarm") == 0) {
                apply_alarm(p, w, ev, seq, wall_ms);
            }
            if (!doc_event(s, p, ev, w->received_ms)) {
                return false;
            }
        } else if (st == STORE_DUPLICATE) {
            s->metrics.events_duplicate++;
        } else {
            return false;
        }
        /* Acknowledge only a prefix with no gap: a record lost on the way is resent. */
        if (seq == p->last_seq + 1) {
            p->last_seq = seq;
        }
        if (wall_ms > w->newest_wall_ms) {
            w->newest_wall_ms = wall_ms;
        }
    }
    return true;
}

static void send_ack(struct srv *s, const struct model_pump *p)
{
    char buf[160];
    int n = snprintf(buf, sizeof buf,
                     "{\"v\":1,\"cmd_id\":\"ack-%llu\",\"type\":\"event_ack\",\"upto_seq\":%llu}",
                     (unsigned long long)p->last_seq, (unsigned long long)p->last_seq);
    if (n > 0 && (size_t)n < sizeof buf) {
        (void)srv_mqtt_publish(s, p->pump_id, "cmd", buf, (size_t)n);
    }
}

static void event_done(struct srv *s, void *arg, bool ok)
{
    struct event_work *w = arg;
    struct model_pump *p = model_pump(s->model, w->pump_id, false);
    if (p != NULL) {
        if (!ok) {
            p->last_seq = w->old_last_seq; /* the pump resends; nothing was kept */
        } else {
            if (p->last_seq > 0) {
                send_ack(s, p);
            }
            for (size_t i = 0; i < w->n_changes; i++) {
                model_changed(s->model, MODEL_CHANGE_ALARM, p, &w->changes[i].alarm,
                              w->changes[i].step, w->changes[i].wall_ms);
            }
            model_changed(s->model, MODEL_CHANGE_PUMP, p, NULL, NULL, w->newest_wall_ms);
        }
    }
    json_decref(w->events);
    free(w);
}

/* Every record must have what the store keys on; a batch with one bad record is dropped whole
 * (the pump's own encoder made it: something is wrong at that pump). */
static const char *check_events(const json_t *events)
{
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > 256) {
        return "events must be an array of 1..256 records";
    }
    size_t i;
    const json_t *ev;
    json_int_t prev = 0;
    json_array_foreach(events, i, ev) {
        json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
        if (!json_is_integer(json_object_get(ev, "seq")) || seq < 1 || seq <= prev) {
            return "a record without an increasing positive seq";
        }
        prev = seq;
        if (!json_is_string(json_object_get(ev, "type"))) {
            return "a record without a type";
        }
        if (!json_is_integer(json_object_get(ev, "time_ms")) ||
            !json_is_integer(json_object_get(ev, "channel"))) {
            return "a record without time_ms or channel";
        }
    }
    return NULL;
}

static void on_events(struct srv *s, struct model_pump *p, json_t *msg)
{
    json_t *events = json_object_get(msg, "events");
    const char *why = check_events(events);
    if (why != NULL) {
        bad(s, p->pump_id, why);
        return;
    }
    struct event_work *w = calloc(1, sizeof *w);
    if (w == NULL) {
        return; /* not acknowledged: the pump sends it again */
    }
    copy_id(w->pump_id, p->pump_id);
    w->events = json_incref(events);
    w->received_ms = srv_now_ms();
    p->last_seen_ms = w->received_ms;
    struct srv_work work = {event_write, event_done, w};
    if (!srv_commit_queue(s, &work)) {
        json_decref(w->events);
        free(w);
    }
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

void pumps_on_message(struct srv *s, const char *topic, const void *payload, size_t len)
{
    /* {prefix}/pump/{id}/{kind} */
    size_t plen = strlen(s->cfg.topic_prefix);
    if (strncmp(topic, s->cfg.topic_prefix, plen) != 0 || strncmp(topic + plen, "/pump/", 6) != 0) {
        bad(s, "?", "topic outside the protocol");
        return;
    }
    const char *id = topic + plen + 6;
    const char *slash = strchr(id, '/');
    if (slash == NULL || !pumps_id_valid(id, (size_t)(slash - id))) {
        bad(s, "?", "bad pump id in the topic");
        return;
    }
    char pump_id[MODEL_ID_MAX];
    memcpy(pump_id, id, (size_t)(slash - id));
    pump_id[slash - id] = '\0';
    const char *kind = slash + 1;

    json_t *msg = NULL;
    if (len > 0) {
        json_error_t jerr;
        msg = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
        if (msg == NULL || !json_is_object(msg)) {
            char why[300];
            (void)snprintf(why, sizeof why, "%s on %s: %s", msg == NULL ? "bad JSON" : "not an object",
                           kind, msg == NULL ? jerr.text : "");
            bad(s, pump_id, why);
            json_decref(msg);
            return;
        }
        if (json_integer_value(json_object_get(msg, "v")) != 1) {
            bad(s, pump_id, "not protocol v1 (\"v\":1 missing)");
            json_decref(msg);
            return;
        }
    }
    struct model_pump *p = model_pump(s->model, pump_id, true);
    if (p == NULL) {
        json_decref(msg);
        return;
    }
    if (strcmp(kind, "online") == 0) {
        on_online(s, p, msg);
    } else if (msg == NULL) {
        /* an empty retained state: nothing to do */
    } else if (strcmp(kind, "state") == 0) {
        on_state(s, p, msg);
    } else if (strcmp(kind, "event") == 0) {
        on_events(s, p, msg);
    } else if (strcmp(kind, "reply") == 0) {
        s->metrics.replies++;
        orders_on_reply(s, p, msg);
    } else if (strcmp(kind, "cmd") != 0) {
        bad(s, pump_id, "unknown topic kind");
    }
    json_decref(msg);
}

void pumps_on_connected(struct srv *s)
{
    (void)s; /* subscriptions bring the retained presence and state of every pump again */
}
