/*
 * outbox.c - the outbox senders (outbox.h): one MLLP client per destination on the loop.
 * Contract: see outbox.h; behaviour and logs: docs/infusiond.md "Auto-documentation and the
 * outbox".
 *
 * Each sender is a small state machine driven by one timer and its bufferevent:
 *   IDLE       nothing in flight; the timer polls the store every poll_ms (a kick wakes it now)
 *   CONNECTING the connection is being made (timer: ack_timeout_ms)
 *   WAIT_ACK   the head message was written; waiting for the ACK frame (timer: ack_timeout_ms)
 *   BACKOFF    the last attempt failed; the timer fires when the retry is due
 * Only the head of the destination's queue is ever sent, so order holds by construction: a
 * message that fails is retried until it is acknowledged (or rejected), never skipped.
 */
#define _POSIX_C_SOURCE 200809L

#include "outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "hl7/hl7.h"
#include "hl7/mllp.h"
#include "log.h"
#include "server.h"
#include "store.h"

#define OUTBOX_ACK_FRAME_MAX (64U * 1024U) /* an ACK is a few hundred bytes */
#define OUTBOX_ACK_SEGS 64U
#define OUTBOX_ACK_SEPS 4096U

typedef enum { SND_IDLE = 0, SND_CONNECTING, SND_WAIT_ACK, SND_BACKOFF } snd_state;

struct sender {
    struct srv_outbox *o;
    char dest[16];
    char addr[256];              /* HOST:PORT as configured */
    char host[256];
    int port;
    struct bufferevent *bev;     /* NULL while not connected */
    struct event *timer;
    snd_state state;
    bool has_msg;
    struct store_outbox_msg msg; /* the head being sent (valid when has_msg) */
    struct hl7_mllp_deframer df;
    char *frame_buf;
    uint32_t backoff_ms;         /* the next wait after a failure */
    bool is_down;                /* failing since down_since_ms */
    int64_t down_since_ms;
    bool is_draining;            /* up again after an outage: counting until the queue is empty */
    uint64_t n_drained;
    struct hl7_segment segs[OUTBOX_ACK_SEGS];
    uint32_t seps[OUTBOX_ACK_SEPS];
};

struct srv_outbox {
    struct srv *s;
    struct evdns_base *dns;      /* made on first use of a host name that is not an address */
    struct sender *senders;
    size_t n_senders;
    unsigned ack_timeout_ms;
    unsigned backoff_min_ms;
    unsigned backoff_max_ms;
    unsigned poll_ms;
};

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

static void arm(struct sender *d, int64_t ms)
{
    struct timeval tv;

    if (ms < 0) {
        ms = 0;
    }
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    (void)evtimer_add(d->timer, &tv);
}

static void close_conn(struct sender *d)
{
    if (d->bev != NULL) {
        bufferevent_free(d->bev);
        d->bev = NULL;
    }
    hl7_mllp_abort_frame(&d->df);
}

static void drop_msg(struct sender *d)
{
    if (d->has_msg) {
        store_outbox_msg_free(&d->msg);
        d->has_msg = false;
    }
}

/* A failed attempt: recorded in the store, retried after the backoff (0.5 s doubling to 30 s by
 * default). close drops the connection (its state is unknown: a late ACK must not be taken
 * for the next message). */
static void fail(struct sender *d, const char *why, bool close)
{
    struct store *st = d->o->s->store;
    int64_t now = wall_now_ms();

    if (close) {
        close_conn(d);
    }
    if (d->has_msg) {
        if ((store_begin_bookkeeping(st) != STORE_OK) ||
            (store_outbox_retry(st, d->msg.id, now + (int64_t)d->backoff_ms, why) != STORE_OK) ||
            (store_commit(st) != STORE_OK)) {
            srv_log(SRV_LOG_ERROR, "outbox", "%s: cannot record the retry of %s: %s", d->dest,
                    d->msg.control_id, store_errmsg(st));
            (void)store_rollback(st);
        }
        d->o->s->metrics.outbox_retries++;
    }
    if (!d->is_down) {
        d->is_down = true;
        d->is_draining = false;
        d->down_since_ms = now;
        srv_log(SRV_LOG_WARN, "outbox", "%s (%s) down: %s; retrying with backoff", d->dest,
                d->addr, why);
    } else {
        srv_log(SRV_LOG_DEBUG, "outbox", "%s: retry %s in %u ms: %s", d->dest,
                d->has_msg ? d->msg.control_id : "-", d->backoff_ms, why);
    }
    drop_msg(d);
    d->state = SND_BACKOFF;
    arm(d, (int64_t)d->backoff_ms);
    d->backoff_ms = (d->backoff_ms >= d->o->backoff_max_ms / 2U) ? d->o->backoff_max_ms
                                                                  : d->backoff_ms * 2U;
}

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* Start a connection; false when it could not even start (then d->bev is NULL). */
static bool connect_start(struct sender *d)
{
    struct event_base *base = d->o->s->base;
    struct sockaddr_storage ss;
    int ss_len = (int)sizeof ss;
    char numeric[300];
    const char *host = (strcmp(d->host, "localhost") == 0) ? "127.0.0.1" : d->host;
    int rc;

    d->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (d->bev == NULL) {
        return false;
    }
    bufferevent_setcb(d->bev, on_read, NULL, on_event, d);
    (void)bufferevent_enable(d->bev, EV_READ | EV_WRITE);
    (void)snprintf(numeric, sizeof numeric, strchr(host, ':') != NULL ? "[%s]:%d" : "%s:%d",
                   host, d->port);
    if (evutil_parse_sockaddr_port(numeric, (struct sockaddr *)&ss, &ss_len) == 0) {
        rc = bufferevent_socket_connect(d->bev, (struct sockaddr *)&ss, ss_len);
    } else {
        if (d->o->dns == NULL) {
            d->o->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
        }
        rc = (d->o->dns == NULL) ? -1
                                 : bufferevent_socket_connect_hostname(d->bev, d->o->dns,
                                                                       AF_UNSPEC, host, d->port);
    }
    if (rc != 0) {
        bufferevent_free(d->bev);
        d->bev = NULL;
        return false;
    }
    return true;
}

static void send_head(struct sender *d)
{
    char *framed = malloc(d->msg.message_len + HL7_MLLP_OVERHEAD);
    size_t framed_len = 0;

    if ((framed == NULL) || (hl7_mllp_frame(d->msg.message, d->msg.message_len, framed,
                                            d->msg.message_len + HL7_MLLP_OVERHEAD,
                                            &framed_len) != HL7_OK) ||
        (bufferevent_write(d->bev, framed, framed_len) != 0)) {
        free(framed);
        fail(d, "cannot frame or write the message", true);
        return;
    }
    free(framed);
    d->o->s->metrics.outbox_sent++;
    d->state = SND_WAIT_ACK;
    arm(d, (int64_t)d->o->ack_timeout_ms);
}

/* Take the next step when nothing is in flight. */
static void step(struct sender *d)
{
    struct store *st = d->o->s->store;
    store_status rc;
    int64_t now;

    if ((d->state == SND_CONNECTING) || (d->state == SND_WAIT_ACK)) {
        return;
    }
    drop_msg(d);
    rc = store_outbox_head(st, d->dest, &d->msg);
    if (rc == STORE_NOT_FOUND) {
        if (d->is_draining) {
            srv_log(SRV_LOG_INFO, "outbox", "%s: drained %" PRIu64 " message(s) after the outage",
                    d->dest, d->n_drained);
            d->is_draining = false;
        }
        d->state = SND_IDLE;
        arm(d, (int64_t)d->o->poll_ms);
        return;
    }
    if (rc != STORE_OK) {
        srv_log(SRV_LOG_ERROR, "outbox", "%s: cannot read the queue: %s", d->dest,
                store_errmsg(st));
        d->state = SND_IDLE;
        arm(d, (int64_t)d->o->poll_ms);
        return;
    }
    d->has_msg = true;
    now = wall_now_ms();
    if (d->msg.next_try_ms > now) {
        /* A retry time from before a restart, or a timer that fired a little early. */
        int64_t wait = d->msg.next_try_ms - now;
        drop_msg(d);
        d->state = SND_BACKOFF;
        arm(d, wait < (int64_t)d->o->backoff_max_ms ? wait : (int64_t)d->o->backoff_max_ms);
        return;
    }
    if (d->bev == NULL) {
        if (!connect_start(d)) {
            fail(d, "cannot start a connection", false);
            return;
        }
        d->state = SND_CONNECTING;
        arm(d, (int64_t)d->o->ack_timeout_ms);
        return;
    }
    send_head(d);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct sender *d = arg;

    (void)fd;
    (void)what;
    switch (d->state) {
    case SND_CONNECTING:
        fail(d, "connect timed out", true);
        break;
    case SND_WAIT_ACK:
        fail(d, "no ACK in time", true);
        break;
    case SND_IDLE:
    case SND_BACKOFF:
    default:
        step(d);
        break;
    }
}

static void acked(struct sender *d, const char *code, const char *text)
{
    struct store *st = d->o->s->store;

    if ((store_begin_bookkeeping(st) != STORE_OK) ||
        (store_outbox_acked(st, d->msg.id, code, text, wall_now_ms()) != STORE_OK) ||
        (store_commit(st) != STORE_OK)) {
        /* Sent again later with the same MSH-10: the receiver de-duplicates. */
        srv_log(SRV_LOG_ERROR, "outbox", "%s: cannot mark %s acknowledged: %s", d->dest,
                d->msg.control_id, store_errmsg(st));
        (void)store_rollback(st);
        fail(d, "store error marking the ACK", false);
        return;
    }
    d->o->s->metrics.outbox_acked++;
    d->backoff_ms = d->o->backoff_min_ms;
    if (d->is_down) {
        d->is_down = false;
        d->is_draining = true;
        d->n_drained = 0;
        srv_log(SRV_LOG_INFO, "outbox", "%s (%s) up again after %" PRId64 " ms", d->dest,
                d->addr, wall_now_ms() - d->down_since_ms);
    }
    if (d->is_draining) {
        d->n_drained++;
    }
    drop_msg(d);
    d->state = SND_IDLE;
    event_active(d->timer, EV_TIMEOUT, 0); /* the next one, from the loop */
}

/* The text for the log and the store: ERR-8, else ERR-3.2, else "". */
static void ack_text(const struct hl7_msg *m, const struct hl7_ack *a, char *out, size_t cap)
{
    struct hl7_view v = (a->user_message.len > 0U) ? a->user_message : a->err_text;
    size_t len = 0;

    out[0] = '\0';
    if ((v.len > 0U) && (hl7_unescape(&m->enc, v, HL7_UNESC_KEEP_FORMAT, out, cap - 1U, &len,
                                      NULL) == HL7_OK)) {
        out[len] = '\0';
    }
}

static void on_ack(struct sender *d, struct hl7_view frame)
{
    struct hl7_msg m;
    struct hl7_ack a;
    char text[256];
    const char *code;

    hl7_msg_init(&m, d->segs, OUTBOX_ACK_SEGS, d->seps, OUTBOX_ACK_SEPS);
    if ((hl7_parse(&m, frame.ptr, frame.len, NULL) != HL7_OK) || (hl7_ack_decode(&m, &a) != HL7_OK)) {
        fail(d, "unreadable ACK", true);
        return;
    }
    if (!hl7_view_eq(a.control_id, d->msg.control_id)) {
        srv_log(SRV_LOG_WARN, "outbox", "%s: ACK for '%.*s' while waiting for %s", d->dest,
                (int)(a.control_id.len > 64U ? 64U : a.control_id.len),
                a.control_id.len > 0U ? a.control_id.ptr : "", d->msg.control_id);
        fail(d, "MSA-2 does not match MSH-10", true);
        return;
    }
    ack_text(&m, &a, text, sizeof text);
    code = hl7_ack_code_str(a.code);
    switch (a.code) {
    case HL7_ACK_AA:
    case HL7_ACK_CA:
        acked(d, code, text);
        break;
    case HL7_ACK_AR:
    case HL7_ACK_CR: {
        /* A reject will never succeed: keeping it would block every later message. */
        char why[320];
        srv_log(SRV_LOG_ERROR, "outbox", "%s: %s %s rejected (%s): %s; not sent again", d->dest,
                d->msg.kind, d->msg.control_id, code, text);
        (void)snprintf(why, sizeof why, "%s", text);
        acked(d, code, why);
        break;
    }
    case HL7_ACK_AE:
    case HL7_ACK_CE:
    default: {
        char why[300];
        (void)snprintf(why, sizeof why, "%s: %s", code, text);
        fail(d, why, false);
        break;
    }
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct sender *d = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (evbuffer_get_length(in) > 0U) {
        size_t avail = evbuffer_get_contiguous_space(in);
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame = {NULL, 0};

        (void)hl7_mllp_feed(&d->df, data, avail, 0, &used, &ev, &frame);
        if ((ev == HL7_MLLP_FRAME) && (d->state == SND_WAIT_ACK)) {
            on_ack(d, frame);
            /* on_ack may have closed the connection (and freed bev). */
            if (d->bev != bev) {
                return;
            }
        } else if (ev == HL7_MLLP_FRAME) {
            srv_log(SRV_LOG_WARN, "outbox", "%s: unexpected frame ignored", d->dest);
        }
        (void)evbuffer_drain(in, used);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct sender *d = arg;

    (void)bev;
    if ((what & BEV_EVENT_CONNECTED) != 0) {
        srv_log(SRV_LOG_INFO, "outbox", "%s: connected to %s", d->dest, d->addr);
        if ((d->state == SND_CONNECTING) && d->has_msg) {
            send_head(d);
        }
        return;
    }
    if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) {
        char why[128];
        int err = EVUTIL_SOCKET_ERROR();
        (void)snprintf(why, sizeof why, "%s",
                       (what & BEV_EVENT_EOF) != 0 ? "connection closed by the receiver"
                                                   : evutil_socket_error_to_string(err));
        if ((d->state == SND_CONNECTING) || (d->state == SND_WAIT_ACK)) {
            fail(d, why, true);
        } else {
            srv_log(SRV_LOG_DEBUG, "outbox", "%s: connection closed while idle: %s", d->dest,
                    why);
            close_conn(d);
        }
    }
}

/* ---- setup -------------------------------------------------------------------------------- */

static bool sender_init(struct srv_outbox *o, struct sender *d, const char *dest,
                        const char *addr, char *err, size_t err_cap)
{
    const char *colon = strrchr(addr, ':');
    char *end = NULL;
    long port;
    size_t host_len;

    d->o = o;
    (void)snprintf(d->dest, sizeof d->dest, "%s", dest);
    port = (colon != NULL) ? strtol(colon + 1, &end, 10) : 0;
    host_len = (colon != NULL) ? (size_t)(colon - addr) : 0U;
    if ((colon == NULL) || (end == NULL) || (*end != '\0') || (port < 1) || (port > 65535) ||
        (host_len == 0U) || (host_len >= sizeof d->host) || (strlen(addr) >= sizeof d->addr)) {
        (void)snprintf(err, err_cap, "outbox %s: '%s' is not HOST:PORT", dest, addr);
        return false;
    }
    memcpy(d->addr, addr, strlen(addr) + 1U);
    /* [v6]:port */
    if ((addr[0] == '[') && (host_len >= 2U) && (addr[host_len - 1U] == ']')) {
        memcpy(d->host, addr + 1, host_len - 2U);
        d->host[host_len - 2U] = '\0';
    } else {
        memcpy(d->host, addr, host_len);
        d->host[host_len] = '\0';
    }
    d->port = (int)port;
    d->backoff_ms = o->backoff_min_ms;
    d->frame_buf = malloc(OUTBOX_ACK_FRAME_MAX);
    d->timer = evtimer_new(o->s->base, on_timer, d);
    if ((d->frame_buf == NULL) || (d->timer == NULL)) {
        (void)snprintf(err, err_cap, "outbox %s: out of memory", dest);
        return false;
    }
    hl7_mllp_deframer_init(&d->df, d->frame_buf, OUTBOX_ACK_FRAME_MAX);
    d->state = SND_IDLE;
    event_active(d->timer, EV_TIMEOUT, 0); /* resume whatever the store holds */
    srv_log(SRV_LOG_INFO, "outbox", "%s -> %s", dest, addr);
    return true;
}

struct srv_outbox *srv_outbox_new(struct srv *s, char *err, size_t err_cap)
{
    struct srv_outbox *o = calloc(1, sizeof *o);
    size_t n = 0;

    if (o == NULL) {
        (void)snprintf(err, err_cap, "outbox: out of memory");
        return NULL;
    }
    o->s = s;
    o->ack_timeout_ms = 10000;
    o->backoff_min_ms = 500;
    o->backoff_max_ms = 30000;
    o->poll_ms = 1000;
    o->senders = calloc(2U + SRV_MAX_ALARM_DESTS, sizeof *o->senders);
    if (o->senders == NULL) {
        (void)snprintf(err, err_cap, "outbox: out of memory");
        free(o);
        return NULL;
    }
    if ((s->cfg.iop != NULL) &&
        !sender_init(o, &o->senders[n++], "iop", s->cfg.iop, err, err_cap)) {
        o->n_senders = n;
        srv_outbox_free(o);
        return NULL;
    }
    if ((s->cfg.doc != NULL) &&
        !sender_init(o, &o->senders[n++], "doc", s->cfg.doc, err, err_cap)) {
        o->n_senders = n;
        srv_outbox_free(o);
        return NULL;
    }
    for (size_t k = 0; (k < s->cfg.n_alarm) && (k < SRV_MAX_ALARM_DESTS); k++) {
        char dest[16];
        if (s->cfg.alarm[k] == NULL) {
            continue;
        }
        (void)snprintf(dest, sizeof dest, "alarm:%zu", k + 1U);
        if (!sender_init(o, &o->senders[n++], dest, s->cfg.alarm[k], err, err_cap)) {
            o->n_senders = n;
            srv_outbox_free(o);
            return NULL;
        }
    }
    o->n_senders = n;
    return o;
}

void srv_outbox_set_timing(struct srv_outbox *o, unsigned ack_timeout_ms,
                           unsigned backoff_min_ms, unsigned backoff_max_ms, unsigned poll_ms)
{
    if ((o == NULL) || (ack_timeout_ms == 0U) || (backoff_min_ms == 0U) ||
        (backoff_max_ms < backoff_min_ms) || (poll_ms == 0U)) {
        return;
    }
    o->ack_timeout_ms = ack_timeout_ms;
    o->backoff_min_ms = backoff_min_ms;
    o->backoff_max_ms = backoff_max_ms;
    o->poll_ms = poll_ms;
    for (size_t i = 0; i < o->n_senders; i++) {
        o->senders[i].backoff_ms = backoff_min_ms;
    }
}

void srv_outbox_kick(struct srv *s, const char *dest)
{
    struct srv_outbox *o = (s != NULL) ? s->outbox : NULL;

    if (o == NULL) {
        return;
    }
    for (size_t i = 0; i < o->n_senders; i++) {
        struct sender *d = &o->senders[i];
        /* A sender in backoff keeps its wait: a kick must not turn a retry into a hammer. */
        if (((dest == NULL) || (strcmp(dest, d->dest) == 0)) && (d->state == SND_IDLE)) {
            event_active(d->timer, EV_TIMEOUT, 0);
        }
    }
}

bool srv_outbox_idle(const struct srv_outbox *o, const char *dest)
{
    if (o == NULL) {
        return true;
    }
    for (size_t i = 0; i < o->n_senders; i++) {
        const struct sender *d = &o->senders[i];
        if (((dest == NULL) || (strcmp(dest, d->dest) == 0)) && (d->state != SND_IDLE)) {
            return false;
        }
    }
    return true;
}

void srv_outbox_free(struct srv_outbox *o)
{
    if (o == NULL) {
        return;
    }
    for (size_t i = 0; i < o->n_senders; i++) {
        struct sender *d = &o->senders[i];
        if (d->bev != NULL) {
            bufferevent_free(d->bev);
        }
        if (d->timer != NULL) {
            event_free(d->timer);
        }
        drop_msg(d);
        free(d->frame_buf);
    }
    if (o->dns != NULL) {
        evdns_base_free(o->dns, 0);
    }
    free(o->senders);
    free(o);
}
