/*
 * http_sse.c - GET /api/v1/stream: server-sent events (text/event-stream) of every committed
 * model change (docs/http-api.md "Stream"). One chunked reply per client that never ends; the
 * model listener writes each change to every client, a timer writes a keepalive comment.
 *
 * Memory stays bounded: a client that does not read lets its output buffer grow. Once that holds
 * more than SRV_SSE_MAX_BUFFERED_BYTES (beyond the initial snapshot, which may be larger for a
 * big fleet) for SRV_SSE_SLOW_GRACE_MS, or more than SRV_SSE_MAX_BURST_BYTES on top at any
 * moment, the client is dropped with a log line. The grace keeps a client that reads at full
 * speed through a burst (a big fleet's group commit queues many changes at once). EventSource
 * reconnects by itself and gets a fresh snapshot, so a dropped client loses nothing it cannot
 * recover.
 */
#define _POSIX_C_SOURCE 200809L

#include "http_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include <jansson.h>

#include "log.h"
#include "server.h"

struct sse_client {
    struct sse_client *next;
    struct srv_sse *sse;
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    size_t limit_bytes;     /* unsent output allowed beyond the grace */
    uint64_t over_since_us; /* srv_mono_us when it went over limit_bytes; 0: not over */
};

struct srv_sse {
    struct srv_http *h;
    struct sse_client *clients;
    size_t n_clients;
    struct event *keepalive;
    struct evbuffer *scratch; /* one message, moved into each client's reply */
};

static void update_gauge(struct srv_sse *sse)
{
    sse->h->s->metrics.sse_clients = (uint64_t)sse->n_clients;
}

static void unlink_client(struct srv_sse *sse, struct sse_client *c)
{
    for (struct sse_client **pp = &sse->clients; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            sse->n_clients--;
            break;
        }
    }
    update_gauge(sse);
    free(c);
}

/* evhttp is freeing the connection (the client went away, a write failed or timed out), so
 * forget the client. When the client closed first, evhttp has detached our unfinished request
 * from the connection and left it to us (its connection is NULL): free it, or it leaks. An
 * attached request is freed by evhttp right after this callback. */
static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
    struct sse_client *c = arg;
    (void)evcon;
    if (evhttp_request_get_connection(c->req) == NULL) {
        evhttp_request_free(c->req);
    }
    srv_log(SRV_LOG_DEBUG, "http", "stream client left (%zu remain)", c->sse->n_clients - 1);
    unlink_client(c->sse, c);
}

/* Closes the client's connection from outside evhttp's callbacks (model listener, timer, free). */
static void drop_client(struct srv_sse *sse, struct sse_client *c)
{
    struct evhttp_connection *evcon = c->evcon;
    evhttp_connection_set_closecb(evcon, NULL, NULL);
    unlink_client(sse, c);
    evhttp_connection_free(evcon);
}

static size_t pending_bytes(const struct sse_client *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    return bev != NULL ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

/* Writes text to c; false when c was dropped for not reading. */
static bool write_client(struct srv_sse *sse, struct sse_client *c, const char *text, size_t len)
{
    size_t pending = pending_bytes(c);
    uint64_t now_us = srv_mono_us();
    if (pending <= SRV_SSE_MAX_BUFFERED_BYTES) {
        c->limit_bytes = SRV_SSE_MAX_BUFFERED_BYTES; /* the snapshot has drained */
    }
    if (pending <= c->limit_bytes) {
        c->over_since_us = 0;
    } else if (c->over_since_us == 0) {
        c->over_since_us = now_us;
    }
    bool is_stuck = c->over_since_us != 0 &&
                    now_us - c->over_since_us >= (uint64_t)SRV_SSE_SLOW_GRACE_MS * 1000U;
    if (is_stuck || pending + len > c->limit_bytes + SRV_SSE_MAX_BURST_BYTES) {
        srv_log(SRV_LOG_WARN, "http", "stream client dropped: %zu bytes unsent (not reading)",
                pending);
        drop_client(sse, c);
        return false;
    }
    if (evbuffer_add(sse->scratch, text, len) != 0) {
        return true;
    }
    evhttp_send_reply_chunk(c->req, sse->scratch); /* moves the bytes out of scratch */
    (void)evbuffer_drain(sse->scratch, evbuffer_get_length(sse->scratch));
    return true;
}

/* Writes text to every client; the number written to. */
static size_t broadcast(struct srv_sse *sse, const char *text, size_t len)
{
    size_t n = 0;
    struct sse_client *next;
    for (struct sse_client *c = sse->clients; c != NULL; c = next) {
        next = c->next;
        if (write_client(sse, c, text, len)) {
            n++;
        }
    }
    return n;
}

/* "event: NAME\ndata: JSON\n\n" for data (stolen); NULL without memory. free() the result. */
static char *format_event(const char *name, json_t *data, size_t *len)
{
    char *json = data != NULL ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);
    if (json == NULL) {
        return NULL;
    }
    size_t n = strlen(name) + strlen(json) + 32;
    char *text = malloc(n);
    if (text != NULL) {
        int w = snprintf(text, n, "event: %s\ndata: %s\n\n", name, json);
        *len = w > 0 ? (size_t)w : 0;
    }
    free(json);
    return text;
}

static void on_model_change(void *arg, model_change kind, const struct model_pump *p,
                            const struct model_alarm *alarm, const char *step,
                            int64_t event_wall_ms)
{
    struct srv *s = arg;
    struct srv_sse *sse = s->http != NULL ? s->http->sse : NULL;
    if (sse == NULL || sse->n_clients == 0) {
        return;
    }
    json_t *data = NULL;
    const char *name = "pump";
    if (kind == MODEL_CHANGE_ALARM && alarm != NULL) {
        name = "alarm";
        data = json_pack("{s:s, s:o}", "step", step != NULL ? step : "", "alarm",
                         model_alarm_json(p, alarm));
    } else {
        data = model_pump_json(p);
    }
    size_t len = 0;
    char *text = format_event(name, data, &len);
    if (text == NULL) {
        srv_log(SRV_LOG_ERROR, "http", "stream: out of memory formatting a %s event", name);
        return;
    }
    size_t n = broadcast(sse, text, len);
    free(text);
    s->metrics.sse_sent += n;
    if (n > 0 && event_wall_ms > 0) {
        int64_t age_ms = srv_now_ms() - event_wall_ms;
        srv_hist_add(&s->metrics.event_to_sse_us, age_ms > 0 ? (uint64_t)age_ms * 1000U : 0U);
    }
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    struct srv_sse *sse = arg;
    (void)fd;
    (void)what;
    static const char comment[] = ": keepalive\n\n";
    (void)broadcast(sse, comment, sizeof comment - 1);
}

struct srv_sse *srv_http__sse_new(struct srv_http *h)
{
    struct srv_sse *sse = calloc(1, sizeof *sse);
    if (sse == NULL) {
        return NULL;
    }
    sse->h = h;
    sse->scratch = evbuffer_new();
    sse->keepalive = event_new(h->s->base, -1, EV_PERSIST, on_keepalive, sse);
    struct timeval tv = {.tv_sec = SRV_SSE_KEEPALIVE_S, .tv_usec = 0};
    if (sse->scratch == NULL || sse->keepalive == NULL || event_add(sse->keepalive, &tv) != 0 ||
        !model_listen(h->s->model, on_model_change, h->s)) {
        srv_http__sse_free(sse);
        return NULL;
    }
    return sse;
}

static bool collect_pump(void *arg, const struct model_pump *p)
{
    return json_array_append_new(arg, model_pump_json(p)) == 0;
}

void srv_http__sse_open(struct srv_sse *sse, struct evhttp_request *req)
{
    struct srv *s = sse->h->s;
    json_t *pumps = json_array();
    if (pumps != NULL) {
        model_each(s->model, collect_pump, pumps);
    }
    size_t len = 0;
    char *snapshot = pumps != NULL ? format_event("snapshot",
                                                  json_pack("{s:o, s:I}", "pumps", pumps,
                                                            "server_ms", (json_int_t)srv_now_ms()),
                                                  &len)
                                   : NULL;
    struct sse_client *c = snapshot != NULL ? calloc(1, sizeof *c) : NULL;
    if (c == NULL) {
        free(snapshot);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    (void)evhttp_add_header(out, "Content-Type", "text/event-stream; charset=utf-8");
    (void)evhttp_add_header(out, "Cache-Control", "no-store");
    (void)evhttp_add_header(out, "X-Accel-Buffering", "no");
    evhttp_send_reply_start(req, 200, "OK");
    c->sse = sse;
    c->req = req;
    c->evcon = evhttp_request_get_connection(req);
    c->limit_bytes = SRV_SSE_MAX_BUFFERED_BYTES + len;
    c->next = sse->clients;
    sse->clients = c;
    sse->n_clients++;
    update_gauge(sse);
    evhttp_connection_set_closecb(c->evcon, on_client_close, c);
    /* The idle timeout is for requests: a stream client sends nothing after its request, so only
     * writing may time out (a client that stops reading while data is pending). */
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);
    unsigned idle_s = s->cfg.idle_timeout_s > 0 ? s->cfg.idle_timeout_s : 300;
    struct timeval write_tv = {.tv_sec = (time_t)idle_s, .tv_usec = 0};
    if (bev != NULL) {
        (void)bufferevent_set_timeouts(bev, NULL, &write_tv);
    }
    static const char retry[] = "retry: 2000\n\n";
    if (write_client(sse, c, retry, sizeof retry - 1) && write_client(sse, c, snapshot, len)) {
        s->metrics.sse_sent++;
        srv_log(SRV_LOG_DEBUG, "http", "stream client joined (%zu connected)", sse->n_clients);
    }
    free(snapshot);
}

void srv_http__sse_free(struct srv_sse *sse)
{
    if (sse == NULL) {
        return;
    }
    while (sse->clients != NULL) {
        drop_client(sse, sse->clients);
    }
    if (sse->keepalive != NULL) {
        event_free(sse->keepalive);
    }
    if (sse->scratch != NULL) {
        evbuffer_free(sse->scratch);
    }
    free(sse);
}
