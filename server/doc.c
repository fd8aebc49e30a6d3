/*
 * doc.c - auto-documentation queued in the outbox (doc.h): the records of a group go through
 * doc_msg.c inside the group's transaction; the periodic PCD-01 has its own timer and its own
 * transaction per tick.
 * Contract: see doc.h. Mapping: docs/infusiond.md "Auto-documentation and the outbox".
 */
#define _POSIX_C_SOURCE 200809L

#include "doc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "doc_msg.h"
#include "log.h"
#include "server.h"
#include "store.h"

/* The alert a later alarm record belongs to is named by the seq of its "raised" record. The model
 * drops a cleared alarm before doc_event sees the "cleared" record, so the raised seq is also
 * remembered here (newest first, overwriting the oldest), and looked up in the store when the
 * raise happened before a restart. */
#define DOC_MEMO_MAX 256

struct alarm_memo {
    char pump_id[MODEL_ID_MAX];
    uint32_t channel;
    char alarm[40];
    uint64_t raised_seq; /* 0: slot unused */
};

/* One infusiond per process: the timer and the memo live here (struct srv has no doc slot). */
static struct {
    struct event *timer;
    struct alarm_memo memo[DOC_MEMO_MAX];
    size_t memo_next;
} g_doc;

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

static void memo_put(const char *pump_id, uint32_t channel, const char *alarm, uint64_t seq)
{
    struct alarm_memo *m = &g_doc.memo[g_doc.memo_next];

    if ((strlen(pump_id) >= sizeof m->pump_id) || (strlen(alarm) >= sizeof m->alarm)) {
        return;
    }
    memcpy(m->pump_id, pump_id, strlen(pump_id) + 1U);
    memcpy(m->alarm, alarm, strlen(alarm) + 1U);
    m->channel = channel;
    m->raised_seq = seq;
    g_doc.memo_next = (g_doc.memo_next + 1U) % DOC_MEMO_MAX;
}

/* The newest remembered raise of (pump, channel, alarm) before seq; 0 when none. */
static uint64_t memo_get(const char *pump_id, uint32_t channel, const char *alarm, uint64_t seq)
{
    uint64_t best = 0;

    for (size_t i = 0; i < DOC_MEMO_MAX; i++) {
        const struct alarm_memo *m = &g_doc.memo[i];
        if ((m->raised_seq != 0U) && (m->raised_seq < seq) && (m->raised_seq > best) &&
            (m->channel == channel) && (strcmp(m->pump_id, pump_id) == 0) &&
            (strcmp(m->alarm, alarm) == 0)) {
            best = m->raised_seq;
        }
    }
    return best;
}

/* The store's newest "raised" record of the alarm before seq (records of the last 7 days, at
 * most the store's query limit); 0 when none is found. */
static uint64_t stored_raise(struct srv *s, const char *pump_id, uint32_t channel,
                             const char *alarm, uint64_t seq, int64_t wall_ms)
{
    struct store_event_filter f = {pump_id, NULL, "alarm", wall_ms - 7LL * 24 * 3600 * 1000,
                                   INT64_MAX, 0};
    json_t *rows = store_events_query(s->store, &f);
    uint64_t best = 0;
    size_t i;
    json_t *r;

    json_array_foreach(rows, i, r) {
        json_int_t rs = json_integer_value(json_object_get(r, "seq"));
        json_int_t rc = json_integer_value(json_object_get(r, "channel"));
        const char *ra = json_string_value(json_object_get(r, "alarm"));
        const char *step = json_string_value(json_object_get(r, "step"));
        if ((rs > 0) && ((uint64_t)rs < seq) && ((uint64_t)rs > best) && (rc == channel) &&
            (ra != NULL) && (strcmp(ra, alarm) == 0) && (step != NULL) &&
            (strcmp(step, "raised") == 0)) {
            best = (uint64_t)rs;
        }
    }
    json_decref(rows);
    return best;
}

static uint64_t alert_seq_of(struct srv *s, struct model_pump *p, const json_t *ev)
{
    const char *alarm = json_string_value(json_object_get(ev, "alarm"));
    const char *step = json_string_value(json_object_get(ev, "step"));
    json_int_t seq = json_integer_value(json_object_get(ev, "seq"));
    json_int_t ch = json_integer_value(json_object_get(ev, "channel"));
    json_int_t wall = json_integer_value(json_object_get(ev, "wall_ms"));
    const struct model_alarm *a;
    uint64_t found;

    if ((alarm == NULL) || (step == NULL) || (seq < 1) || (ch < 0) || (ch > 98)) {
        return 0; /* doc_msg rejects the record anyway */
    }
    if (strcmp(step, "raised") == 0) {
        memo_put(p->pump_id, (uint32_t)ch, alarm, (uint64_t)seq);
        return (uint64_t)seq;
    }
    a = model_alarm_find_name(p, (uint32_t)ch, alarm);
    if ((a != NULL) && (a->raised_seq < (uint64_t)seq)) {
        return a->raised_seq;
    }
    found = memo_get(p->pump_id, (uint32_t)ch, alarm, (uint64_t)seq);
    if (found == 0U) {
        found = stored_raise(s, p->pump_id, (uint32_t)ch, alarm, (uint64_t)seq, (int64_t)wall);
    }
    if (found == 0U) {
        srv_log(SRV_LOG_WARN, "doc",
                "pump %s seq %" PRId64 ": no raise found for alarm %s; the update starts its "
                "own alert id",
                p->pump_id, (int64_t)seq, alarm);
    }
    return found;
}

/* store_outbox_add for every message; a message queued already is left as it is. */
static bool queue(struct srv *s, const char *dest, const struct doc_msg *msgs, size_t n,
                  int64_t now_ms)
{
    for (size_t i = 0; i < n; i++) {
        int64_t id = 0;
        store_status st = store_outbox_add(s->store, dest, msgs[i].control_id, msgs[i].kind,
                                           msgs[i].text, msgs[i].len, now_ms, &id);
        if ((st != STORE_OK) && (st != STORE_DUPLICATE)) {
            srv_log(SRV_LOG_ERROR, "doc", "outbox %s %s: %s", dest, msgs[i].control_id,
                    store_errmsg(s->store));
            return false;
        }
    }
    return true;
}

/* One destination's messages of the record. false only on a store failure. */
static bool document(struct srv *s, const struct doc_msg_in *in, const char *dest,
                     struct doc_msg *msgs)
{
    size_t n = 0;
    doc_msg_status st = doc_msg_for_record(in, msgs, DOC_MSGS_PER_RECORD, &n);

    if (st != DOC_MSG_OK) {
        /* A record we cannot document must not hold up the pump's event stream: the record
         * itself is stored; the gap is logged. */
        srv_log(st == DOC_MSG_BAD ? SRV_LOG_WARN : SRV_LOG_ERROR, "doc",
                "pump %s seq %" PRId64 " (%s): not documented for %s (%s)", in->pump_id,
                (int64_t)json_integer_value(json_object_get(in->ev, "seq")),
                json_string_value(json_object_get(in->ev, "type")) != NULL
                    ? json_string_value(json_object_get(in->ev, "type"))
                    : "?",
                dest, st == DOC_MSG_BAD ? "incomplete record" : "message too large");
        return true;
    }
    return queue(s, dest, msgs, n, in->now_ms);
}

bool doc_event(struct srv *s, struct model_pump *p, const json_t *ev, int64_t now_ms)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    bool is_alarm = (type != NULL) && (strcmp(type, "alarm") == 0);
    struct doc_msg_in in = {p->pump_id, p->state, ev, s->cfg.facility, now_ms, 0, 0};
    struct doc_msg *msgs;
    bool ok = true;

    if (type == NULL) {
        return true;
    }
    if (is_alarm) {
        if (s->cfg.n_alarm == 0U) {
            return true;
        }
        in.alert_seq = alert_seq_of(s, p, ev);
    } else if (s->cfg.doc == NULL) {
        return true;
    }
    msgs = malloc(DOC_MSGS_PER_RECORD * sizeof *msgs);
    if (msgs == NULL) {
        srv_log(SRV_LOG_ERROR, "doc", "out of memory");
        return false;
    }
    if (!is_alarm) {
        ok = document(s, &in, "doc", msgs);
    }
    for (size_t k = 0; ok && is_alarm && (k < s->cfg.n_alarm); k++) {
        char dest[16];
        if (s->cfg.alarm[k] == NULL) {
            continue;
        }
        (void)snprintf(dest, sizeof dest, "alarm:%zu", k + 1U);
        in.alarm_dest = (unsigned)(k + 1U);
        ok = document(s, &in, dest, msgs);
    }
    free(msgs);
    return ok;
}

/* ---- periodic PCD-01 ------------------------------------------------------------------------ */

struct tick_ctx {
    struct srv *s;
    struct doc_msg *msg;
    int64_t now_ms;
    size_t n_queued;
    bool failed;
};

static bool tick_pump(void *arg, const struct model_pump *p)
{
    struct tick_ctx *t = arg;
    const json_t *chans = json_object_get(p->state, "channels");
    size_t i;
    const json_t *c;

    if (!p->online || (p->state == NULL)) {
        return true;
    }
    json_array_foreach(chans, i, c) {
        const char *st = json_string_value(json_object_get(c, "state"));
        json_int_t ch = json_integer_value(json_object_get(c, "channel"));
        if ((st == NULL) || (ch < 0) || (ch > 98) ||
            ((strcmp(st, "running") != 0) && (strcmp(st, "bolus") != 0) &&
             (strcmp(st, "kvo") != 0))) {
            continue;
        }
        if (doc_msg_status_report(p->pump_id, p->state, (uint32_t)ch, t->s->cfg.facility,
                                  t->now_ms, t->now_ms / 1000, t->msg) != DOC_MSG_OK) {
            srv_log(SRV_LOG_WARN, "doc", "pump %s channel %" PRId64 ": no periodic PCD-01",
                    p->pump_id, (int64_t)ch);
            continue;
        }
        if (!queue(t->s, "doc", t->msg, 1, t->now_ms)) {
            t->failed = true;
            return false;
        }
        t->n_queued++;
    }
    return true;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct srv *s = arg;
    struct tick_ctx t = {s, NULL, wall_now_ms(), 0, false};

    (void)fd;
    (void)what;
    if (s->stopping) {
        return;
    }
    t.msg = malloc(sizeof *t.msg);
    if (t.msg == NULL) {
        srv_log(SRV_LOG_ERROR, "doc", "out of memory");
        return;
    }
    /* Its own transaction: this callback runs outside any group commit. */
    if (store_begin(s->store) != STORE_OK) {
        srv_log(SRV_LOG_ERROR, "doc", "periodic PCD-01: %s", store_errmsg(s->store));
        free(t.msg);
        return;
    }
    model_each(s->model, tick_pump, &t);
    if (t.failed || (store_commit(s->store) != STORE_OK)) {
        srv_log(SRV_LOG_ERROR, "doc", "periodic PCD-01 not queued: %s", store_errmsg(s->store));
        (void)store_rollback(s->store);
    } else if (t.n_queued > 0U) {
        srv_outbox_kick(s, "doc");
    }
    free(t.msg);
}

bool doc_start(struct srv *s)
{
    struct timeval tv;

    doc_stop(s); /* started twice: one timer */
    if ((s->cfg.doc == NULL) || (s->cfg.pcd01_period_s == 0U)) {
        return true;
    }
    g_doc.timer = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    if (g_doc.timer == NULL) {
        return false;
    }
    tv.tv_sec = (time_t)s->cfg.pcd01_period_s;
    tv.tv_usec = 0;
    if (event_add(g_doc.timer, &tv) != 0) {
        event_free(g_doc.timer);
        g_doc.timer = NULL;
        return false;
    }
    srv_log(SRV_LOG_INFO, "doc", "periodic PCD-01 every %u s", s->cfg.pcd01_period_s);
    return true;
}

void doc_stop(struct srv *s)
{
    (void)s;
    if (g_doc.timer != NULL) {
        event_free(g_doc.timer);
        g_doc.timer = NULL;
    }
}
