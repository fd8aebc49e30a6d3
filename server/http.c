/*
 * http.c - infusiond's HTTP side on libevent's evhttp (http.h): one generic handler routes by
 * path to /healthz, /metrics, the JSON API under /api/v1, the stream (http_sse.c) and the static
 * pages. docs/http-api.md is the contract; keep it in step with the routes here.
 *
 * Bad input: evhttp itself answers oversized headers (431/400) and bodies (413) and closes
 * connections idle for --idle-timeout-s (slow or half-open clients); everything the handlers
 * refuse gets a JSON {"error": …} with a 4xx code. Nothing a request sends changes state except
 * the alarm acknowledgement, which is validated completely before it is written.
 */
#define _POSIX_C_SOURCE 200809L

#include "http_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include <jansson.h>

#include "log.h"
#include "server.h"

#define HTTP_MAX_BODY_BYTES    (64 * 1024)
#define HTTP_MAX_HEADERS_BYTES (16 * 1024)
#define HTTP_USER_MAX          64
#define HTTP_QUERY_LIMIT_MAX   1000
#define HTTP_TYPE_MAX          32

/* ---- pure helpers ---------------------------------------------------------------------------- */

static bool parse_uint(const char *p, size_t n_digits, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n_digits; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Leap years in [1, y]. */
static int64_t leaps_upto(int y)
{
    return (int64_t)(y / 4 - y / 100 + y / 400);
}

/* Days from 1970-01-01 to y-m-d (valid date, y >= 1970). */
static int64_t days_since_epoch(int y, int m, int d)
{
    int64_t days = (int64_t)(y - 1970) * 365 + leaps_upto(y - 1) - leaps_upto(1969);
    for (int i = 1; i < m; i++) {
        days += days_in_month(y, i);
    }
    return days + d - 1;
}

static bool parse_unix_ms(const char *text, int64_t *out_ms)
{
    const char *p = text;
    bool negative = false;
    if (*p == '-') {
        negative = true;
        p++;
    }
    if (*p == '\0') {
        return false;
    }
    int64_t v = 0;
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        int digit = *p - '0';
        if (v > (INT64_MAX - digit) / 10) {
            return false;
        }
        v = v * 10 + digit;
    }
    *out_ms = negative ? -v : v;
    return true;
}

bool srv_http__parse_time_ms(const char *text, int64_t *out_ms)
{
    if (text == NULL || *text == '\0') {
        return false;
    }
    size_t len = strlen(text);
    if (len < 10 || text[4] != '-') {
        return parse_unix_ms(text, out_ms);
    }
    int y = 0;
    int mo = 0;
    int d = 0;
    if (!parse_uint(text, 4, &y) || !parse_uint(text + 5, 2, &mo) || text[7] != '-' ||
        !parse_uint(text + 8, 2, &d)) {
        return false;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return false;
    }
    int hh = 0;
    int mm = 0;
    int ss = 0;
    int64_t frac_ms = 0;
    if (len > 10) {
        const char *t = text + 10;
        if (len < 20 || t[0] != 'T' || !parse_uint(t + 1, 2, &hh) || t[3] != ':' ||
            !parse_uint(t + 4, 2, &mm) || t[6] != ':' || !parse_uint(t + 7, 2, &ss)) {
            return false;
        }
        if (hh > 23 || mm > 59 || ss > 59) {
            return false;
        }
        const char *p = t + 9;
        if (*p == '.') {
            p++;
            size_t n_digits = 0;
            int64_t scale = 100;
            for (; *p >= '0' && *p <= '9'; p++, n_digits++) {
                if (n_digits < 3) {
                    frac_ms += (*p - '0') * scale;
                    scale /= 10;
                }
            }
            if (n_digits == 0 || n_digits > 9) {
                return false;
            }
        }
        if (strcmp(p, "Z") != 0) {
            return false;
        }
    }
    int64_t seconds = days_since_epoch(y, mo, d) * 86400 + (int64_t)hh * 3600 + mm * 60 + ss;
    *out_ms = seconds * 1000 + frac_ms;
    return true;
}

bool srv_http__static_path_ok(const char *path, size_t len)
{
    if (len == 0 || path[0] != '/' || strlen(path) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (path[i] == '\\') {
            return false;
        }
        if (path[i] == '/' && i + 1 < len && (path[i + 1] == '/' || path[i + 1] == '.')) {
            return false;
        }
    }
    return true;
}

const char *srv_http__content_type(const char *path)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot != NULL && (slash == NULL || dot > slash)) {
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
            if (strcmp(dot, types[i].ext) == 0) {
                return types[i].type;
            }
        }
    }
    return "application/octet-stream";
}

bool srv_http__pump_id_ok(const char *id)
{
    size_t n = 0;
    for (; id[n] != '\0'; n++) {
        char c = id[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok || n >= 64) {
            return false;
        }
    }
    return n > 0;
}

int srv_http__priority_rank(const char *priority)
{
    if (strcmp(priority, "high") == 0) {
        return 3;
    }
    if (strcmp(priority, "medium") == 0) {
        return 2;
    }
    if (strcmp(priority, "low") == 0) {
        return 1;
    }
    return 0;
}

/* ---- replies --------------------------------------------------------------------------------- */

static void send_text(struct evhttp_request *req, int code, const char *type, const char *body,
                      size_t len)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    (void)evhttp_add_header(out, "Content-Type", type);
    (void)evhttp_add_header(out, "Cache-Control", "no-store");
    (void)evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    struct evbuffer *buf = evbuffer_new();
    if (buf == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (evbuffer_add(buf, body, len) != 0) {
        evbuffer_free(buf);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    evhttp_send_reply(req, code, NULL, buf);
    evbuffer_free(buf);
}

/* Sends body (a reference that this steals; NULL means out of memory: 500). */
static void send_json(struct evhttp_request *req, int code, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        send_text(req, 500, "application/json", "{\"error\":\"out of memory\"}\n", 26);
        return;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps' terminator becomes the line end; len + 1 bytes sent */
    send_text(req, code, "application/json", text, len + 1);
    free(text);
}

static void send_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_json(req, code, json_pack("{s:s}", "error", msg));
}

static void send_method_not_allowed(struct evhttp_request *req, const char *allow)
{
    (void)evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
    send_error(req, 405, "method not allowed (allowed: %s)", allow);
}

static bool is_get(enum evhttp_cmd_type cmd)
{
    return cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
}

/* ---- query parameters ------------------------------------------------------------------------ */

struct query {
    struct evkeyvalq kv;
    bool parsed;
};

/* Parses the request's query and refuses names not in allowed (NULL-terminated): a typo in a
 * filter must not silently widen a clinical query. false: a 400 was sent. */
static bool query_parse(struct evhttp_request *req, struct query *q, const char *const *allowed)
{
    memset(q, 0, sizeof *q); /* evhttp_parse_query_str initialises the list */
    q->parsed = false;
    const char *raw = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    if (raw == NULL || *raw == '\0') {
        return true;
    }
    if (evhttp_parse_query_str(raw, &q->kv) != 0) {
        evhttp_clear_headers(&q->kv);
        send_error(req, 400, "malformed query string");
        return false;
    }
    q->parsed = true;
    for (struct evkeyval *e = q->kv.tqh_first; e != NULL; e = e->next.tqe_next) {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL; i++) {
            if (strcmp(e->key, allowed[i]) == 0) {
                known = true;
            }
        }
        if (!known) {
            send_error(req, 400, "unknown query parameter '%.64s'", e->key);
            evhttp_clear_headers(&q->kv);
            q->parsed = false;
            return false;
        }
    }
    return true;
}

static const char *query_get(struct query *q, const char *name)
{
    return q->parsed ? evhttp_find_header(&q->kv, name) : NULL;
}

static void query_free(struct query *q)
{
    if (q->parsed) {
        evhttp_clear_headers(&q->kv);
        q->parsed = false;
    }
}

/* limit=1..HTTP_QUERY_LIMIT_MAX; absent: 0 (the store's default). false: a 400 was sent. */
static bool query_limit(struct evhttp_request *req, struct query *q, size_t *out)
{
    const char *text = query_get(q, "limit");
    *out = 0;
    if (text == NULL) {
        return true;
    }
    int64_t v = 0;
    if (text[0] == '-' || !parse_unix_ms(text, &v) || v < 1 || v > HTTP_QUERY_LIMIT_MAX) {
        send_error(req, 400, "limit must be 1..%d", HTTP_QUERY_LIMIT_MAX);
        return false;
    }
    *out = (size_t)v;
    return true;
}

/* An optional id parameter (pump_id, patient_id): 1..64 characters without control
 * characters. false: a 400 was sent. */
static bool query_id(struct evhttp_request *req, struct query *q, const char *name,
                     const char **out)
{
    const char *v = query_get(q, name);
    *out = NULL;
    if (v == NULL) {
        return true;
    }
    size_t n = strlen(v);
    bool ok = n >= 1 && n < MODEL_ID_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
            ok = false;
        }
    }
    if (!ok) {
        send_error(req, 400, "%s must be 1..%d characters", name, MODEL_ID_MAX - 1);
        return false;
    }
    *out = v;
    return true;
}

/* ---- /healthz and /metrics ------------------------------------------------------------------- */

static void route_healthz(struct srv_http *h, struct evhttp_request *req)
{
    struct srv *s = h->s;
    bool store_ok = s->store != NULL && store_schema_version(s->store) > 0;
    json_t *body = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "status", store_ok ? "ok" : "error",
                             "store", store_ok ? "ok" : "error", "mqtt",
                             s->mqtt_connected ? "connected" : "disconnected", "pumps_known",
                             (json_int_t)model_count(s->model), "pumps_online",
                             (json_int_t)model_online(s->model), "uptime_s",
                             (json_int_t)((srv_now_ms() - s->started_ms) / 1000));
    send_json(req, store_ok ? 200 : 503, body);
}

static void metric(struct evbuffer *b, const char *name, const char *type, const char *help,
                   uint64_t value)
{
    (void)evbuffer_add_printf(
        b, "# HELP infusiond_%s %s\n# TYPE infusiond_%s %s\ninfusiond_%s %" PRIu64 "\n", name, help,
        name, type, name, value);
}

static void metric_summary(struct evbuffer *b, const char *name, const char *help,
                           const struct srv_hist *hist)
{
    (void)evbuffer_add_printf(b, "# HELP infusiond_%s %s\n# TYPE infusiond_%s summary\n", name,
                              help, name);
    (void)evbuffer_add_printf(b, "infusiond_%s{quantile=\"0.5\"} %" PRIu64 "\n", name,
                              srv_hist_quantile_us(hist, 0.5));
    (void)evbuffer_add_printf(b, "infusiond_%s{quantile=\"0.99\"} %" PRIu64 "\n", name,
                              srv_hist_quantile_us(hist, 0.99));
    (void)evbuffer_add_printf(b, "infusiond_%s_sum %" PRIu64 "\ninfusiond_%s_count %" PRIu64 "\n",
                              name, hist->sum_us, name, hist->count);
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void label_value(struct evbuffer *b, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            (void)evbuffer_add_printf(b, "\\%c", *v);
        } else if (*v == '\n') {
            (void)evbuffer_add(b, "\\n", 2);
        } else {
            (void)evbuffer_add(b, v, 1);
        }
    }
}

static void route_metrics(struct srv_http *h, struct evhttp_request *req)
{
    struct srv *s = h->s;
    const struct srv_metrics *m = &s->metrics;
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        evhttp_send_error(req, 500, NULL);
        return;
    }
    metric(b, "mqtt_messages_total", "counter", "MQTT messages received.", m->mqtt_messages);
    metric(b, "mqtt_bad_total", "counter", "MQTT messages dropped as bad input.", m->mqtt_bad);
    metric(b, "events_stored_total", "counter", "Pump event records committed.", m->events_stored);
    metric(b, "events_duplicate_total", "counter", "Pump event records received again.",
           m->events_duplicate);
    metric(b, "states_total", "counter", "State snapshots applied.", m->states);
    metric(b, "commands_sent_total", "counter", "Commands sent to pumps.", m->commands_sent);
    metric(b, "replies_total", "counter", "Replies received from pumps.", m->replies);
    metric(b, "commits_total", "counter", "Group commits.", m->commits);
    metric(b, "commit_failures_total", "counter", "Failed group commits.", m->commit_failures);
    metric(b, "orders_received_total", "counter", "Orders (RGV^O15) received.", m->orders_received);
    metric(b, "orders_duplicate_total", "counter", "Orders received again.", m->orders_duplicate);
    metric(b, "orders_rejected_total", "counter", "Orders rejected.", m->orders_rejected);
    metric(b, "mllp_bad_total", "counter", "MLLP frames or connections dropped as bad input.",
           m->mllp_bad);
    metric(b, "outbox_sent_total", "counter", "Outbox messages sent.", m->outbox_sent);
    metric(b, "outbox_acked_total", "counter", "Outbox messages acknowledged.", m->outbox_acked);
    metric(b, "outbox_retries_total", "counter", "Outbox send retries.", m->outbox_retries);
    metric(b, "sse_clients", "gauge", "Connected event-stream clients.", m->sse_clients);
    metric(b, "sse_sent_total", "counter", "Events written to stream clients.", m->sse_sent);
    metric(b, "http_requests_total", "counter", "HTTP requests.", m->http_requests);
    metric(b, "pumps_known", "gauge", "Pumps the server knows.", (uint64_t)model_count(s->model));
    metric(b, "pumps_online", "gauge", "Pumps online.", (uint64_t)model_online(s->model));
    metric_summary(b, "commit_us", "One group commit, microseconds (bucket upper bound).",
                   &m->commit_us);
    metric_summary(b, "event_to_sse_us",
                   "Pump record wall clock to its stream push, microseconds (bucket upper bound).",
                   &m->event_to_sse_us);
    metric_summary(b, "order_to_ack_us",
                   "Order frame complete to ACK^O15 written, microseconds (bucket upper bound).",
                   &m->order_to_ack_us);
    json_t *depths = s->store != NULL ? store_outbox_depths(s->store) : NULL;
    (void)evbuffer_add_printf(b, "# HELP infusiond_outbox_depth Unacknowledged outbox messages.\n"
                                 "# TYPE infusiond_outbox_depth gauge\n");
    if (json_is_object(depths)) {
        const char *dest;
        json_t *v;
        json_object_foreach(depths, dest, v)
        {
            (void)evbuffer_add_printf(b, "infusiond_outbox_depth{dest=\"");
            label_value(b, dest);
            (void)evbuffer_add_printf(b, "\"} %" JSON_INTEGER_FORMAT "\n", json_integer_value(v));
        }
    } else if (s->store != NULL) {
        srv_log(SRV_LOG_WARN, "http", "metrics: outbox depths unavailable: %s",
                store_errmsg(s->store));
    }
    json_decref(depths);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    (void)evhttp_add_header(out, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    (void)evhttp_add_header(out, "Cache-Control", "no-store");
    evhttp_send_reply(req, 200, NULL, b);
    evbuffer_free(b);
}

/* ---- /api/v1/pumps --------------------------------------------------------------------------- */

static bool collect_pump(void *arg, const struct model_pump *p)
{
    json_t *list = arg;
    return json_array_append_new(list, model_pump_json(p)) == 0;
}

static void route_pumps(struct srv_http *h, struct evhttp_request *req)
{
    struct query q;
    static const char *const allowed[] = {NULL};
    if (!query_parse(req, &q, allowed)) {
        return;
    }
    query_free(&q);
    json_t *list = json_array();
    if (list != NULL) {
        model_each(h->s->model, collect_pump, list);
        if (json_array_size(list) != model_count(h->s->model)) {
            json_decref(list);
            list = NULL;
        }
    }
    send_json(req, 200, list);
}

/* rest: "ID" or "ID/channels" (decoded). */
static void route_pump(struct srv_http *h, struct evhttp_request *req, const char *rest)
{
    char id[MODEL_ID_MAX];
    const char *slash = strchr(rest, '/');
    size_t n = slash != NULL ? (size_t)(slash - rest) : strlen(rest);
    if (slash != NULL && strcmp(slash, "/channels") != 0) {
        send_error(req, 404, "no such resource");
        return;
    }
    if (n == 0 || n >= sizeof id) {
        send_error(req, 404, "unknown pump");
        return;
    }
    memcpy(id, rest, n);
    id[n] = '\0';
    struct model_pump *p = srv_http__pump_id_ok(id) ? model_pump(h->s->model, id, false) : NULL;
    if (p == NULL) {
        send_error(req, 404, "unknown pump '%s'", id);
        return;
    }
    if (slash == NULL) {
        send_json(req, 200, model_pump_json(p));
        return;
    }
    json_t *channels = json_object_get(p->state, "channels");
    send_json(req, 200, json_is_array(channels) ? json_incref(channels) : json_array());
}

/* ---- /api/v1/alarms -------------------------------------------------------------------------- */

struct alarm_ref {
    const struct model_pump *p;
    const struct model_alarm *a;
};

struct alarm_list {
    struct alarm_ref *items;
    size_t n;
    size_t cap;
    const char *pump_id; /* filter, NULL: every pump */
    bool failed;
};

static bool collect_alarms(void *arg, const struct model_pump *p)
{
    struct alarm_list *l = arg;
    if (l->pump_id != NULL && strcmp(l->pump_id, p->pump_id) != 0) {
        return true;
    }
    for (size_t i = 0; i < p->n_alarms; i++) {
        if (l->n == l->cap) {
            size_t cap = l->cap == 0 ? 64 : l->cap * 2;
            struct alarm_ref *items = realloc(l->items, cap * sizeof *items);
            if (items == NULL) {
                l->failed = true;
                return false;
            }
            l->items = items;
            l->cap = cap;
        }
        l->items[l->n].p = p;
        l->items[l->n].a = &p->alarms[i];
        l->n++;
    }
    return true;
}

/* Priority high -> low, then raised oldest first, then pump id and seq so the order is total. */
static int cmp_alarm(const void *x, const void *y)
{
    const struct alarm_ref *a = x;
    const struct alarm_ref *b = y;
    int ra = srv_http__priority_rank(a->a->priority);
    int rb = srv_http__priority_rank(b->a->priority);
    if (ra != rb) {
        return ra > rb ? -1 : 1;
    }
    if (a->a->raised_wall_ms != b->a->raised_wall_ms) {
        return a->a->raised_wall_ms < b->a->raised_wall_ms ? -1 : 1;
    }
    int c = strcmp(a->p->pump_id, b->p->pump_id);
    if (c != 0) {
        return c;
    }
    if (a->a->raised_seq != b->a->raised_seq) {
        return a->a->raised_seq < b->a->raised_seq ? -1 : 1;
    }
    return 0;
}

static void route_alarms(struct srv_http *h, struct evhttp_request *req)
{
    struct query q;
    static const char *const allowed[] = {"pump_id", NULL};
    struct alarm_list l = {0};
    if (!query_parse(req, &q, allowed)) {
        return;
    }
    if (!query_id(req, &q, "pump_id", &l.pump_id)) {
        query_free(&q);
        return;
    }
    model_each(h->s->model, collect_alarms, &l);
    json_t *list = l.failed ? NULL : json_array();
    if (list != NULL && l.n > 0) {
        qsort(l.items, l.n, sizeof *l.items, cmp_alarm);
    }
    for (size_t i = 0; list != NULL && i < l.n; i++) {
        if (json_array_append_new(list, model_alarm_json(l.items[i].p, l.items[i].a)) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    free(l.items);
    query_free(&q);
    send_json(req, 200, list);
}

/* The acknowledgement's audit detail: compact JSON text (free()), NULL without memory. */
static char *ack_detail(const struct model_pump *p, const struct model_alarm *a, const char *user)
{
    json_t *d = json_pack("{s:s, s:I, s:i, s:s, s:s, s:s}", "pump_id", p->pump_id, "raised_seq",
                          (json_int_t)a->raised_seq, "channel", (int)a->channel, "alarm", a->alarm,
                          "priority", a->priority, "user", user);
    char *text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    return text;
}

/* The body {"user": "…"} -> user (1..64 characters, no control characters). false: 400 sent. */
static bool ack_user(struct evhttp_request *req, char user[HTTP_USER_MAX + 1])
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const unsigned char *data = len > 0 ? evbuffer_pullup(in, (ev_ssize_t)len) : NULL;
    if (data == NULL) {
        send_error(req, 400, "body must be a JSON object {\"user\": \"…\"}");
        return false;
    }
    json_error_t jerr;
    json_t *body = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (body == NULL) {
        send_error(req, 400, "bad JSON at line %d column %d: %s", jerr.line, jerr.column,
                   jerr.text);
        return false;
    }
    json_t *u = json_object_get(body, "user");
    const char *text = json_string_value(u);
    size_t n = text != NULL ? json_string_length(u) : 0;
    bool ok =
        json_is_object(body) && text != NULL && n >= 1 && n <= HTTP_USER_MAX && strlen(text) == n;
    for (size_t i = 0; ok && i < n; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            ok = false;
        }
    }
    if (ok) {
        memcpy(user, text, n + 1);
    }
    json_decref(body);
    if (!ok) {
        send_error(req, 400, "\"user\" must be a string of 1..%d characters", HTTP_USER_MAX);
    }
    return ok;
}

/* rest: "PUMP/SEQ/ack" (decoded). */
static void route_alarm_ack(struct srv_http *h, struct evhttp_request *req, const char *rest)
{
    struct srv *s = h->s;
    char id[MODEL_ID_MAX];
    const char *slash = strchr(rest, '/');
    if (slash == NULL || (size_t)(slash - rest) >= sizeof id) {
        send_error(req, 404, "no such resource");
        return;
    }
    size_t n = (size_t)(slash - rest);
    memcpy(id, rest, n);
    id[n] = '\0';
    const char *seq_text = slash + 1;
    const char *tail = strchr(seq_text, '/');
    if (tail == NULL || strcmp(tail, "/ack") != 0) {
        send_error(req, 404, "no such resource");
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
        send_method_not_allowed(req, "POST");
        return;
    }
    uint64_t seq = 0;
    bool seq_ok = tail > seq_text && tail - seq_text <= 19;
    for (const char *c = seq_text; seq_ok && c < tail; c++) {
        seq_ok = *c >= '0' && *c <= '9';
        seq = seq * 10 + (uint64_t)(*c - '0');
    }
    struct model_pump *p = srv_http__pump_id_ok(id) ? model_pump(s->model, id, false) : NULL;
    if (p == NULL) {
        send_error(req, 404, "unknown pump '%s'", id);
        return;
    }
    struct model_alarm *a = seq_ok ? model_alarm_find(p, seq) : NULL;
    if (a == NULL) {
        send_error(req, 404, "no active alarm %s/%.*s", id, (int)(tail - seq_text), seq_text);
        return;
    }
    char user[HTTP_USER_MAX + 1];
    if (!ack_user(req, user)) {
        return;
    }
    if (a->acked) {
        send_error(req, 409, "alarm %s/%" PRIu64 " already acknowledged by %s", id, seq,
                   a->acked_by);
        return;
    }
    int64_t now_ms = srv_now_ms();
    char *detail = ack_detail(p, a, user);
    if (detail == NULL) {
        send_error(req, 500, "out of memory");
        return;
    }
    store_status st = store_begin(s->store);
    if (st == STORE_OK) {
        st = store_alarm_ack_add(s->store, p->pump_id, seq, user, now_ms);
    }
    if (st == STORE_OK) {
        st = store_audit_add(s->store, "nurse-station", "alarm_ack", detail, now_ms);
    }
    if (st == STORE_OK) {
        st = store_commit(s->store);
    }
    free(detail);
    if (st != STORE_OK) {
        srv_log(SRV_LOG_ERROR, "http", "alarm ack %s/%" PRIu64 " not stored: %s", id, seq,
                store_errmsg(s->store));
        (void)store_rollback(s->store);
        if (st == STORE_DUPLICATE) {
            send_error(req, 409, "alarm %s/%" PRIu64 " already acknowledged", id, seq);
        } else {
            send_error(req, 503, "the acknowledgement could not be stored");
        }
        return;
    }
    a->acked = true;
    (void)snprintf(a->acked_by, sizeof a->acked_by, "%s", user);
    a->acked_ms = now_ms;
    srv_log(SRV_LOG_INFO, "http", "alarm %s/%" PRIu64 " (%s) acknowledged by %s", id, seq, a->alarm,
            user);
    /* model_changed runs the listeners (the stream), which read a; the reply reads it after. */
    model_changed(s->model, MODEL_CHANGE_ALARM, p, a, "acked", now_ms);
    send_json(req, 200, model_alarm_json(p, a));
}

/* ---- /api/v1/events and /api/v1/orders ------------------------------------------------------- */

static bool query_time(struct evhttp_request *req, struct query *q, const char *name, int64_t *out)
{
    const char *text = query_get(q, name);
    if (text == NULL) {
        return true;
    }
    if (!srv_http__parse_time_ms(text, out)) {
        send_error(req, 400,
                   "%s must be UNIX milliseconds or ISO-8601 UTC "
                   "(2026-11-22T10:00:00Z)",
                   name);
        return false;
    }
    return true;
}

static void route_events(struct srv_http *h, struct evhttp_request *req)
{
    struct query q;
    static const char *const allowed[] = {"pump_id", "patient_id", "type", "from",
                                          "to",      "limit",      NULL};
    struct store_event_filter f = {.from_wall_ms = INT64_MIN, .to_wall_ms = INT64_MAX};
    if (!query_parse(req, &q, allowed)) {
        return;
    }
    bool ok = query_id(req, &q, "pump_id", &f.pump_id) &&
              query_id(req, &q, "patient_id", &f.patient_id) &&
              query_time(req, &q, "from", &f.from_wall_ms) &&
              query_time(req, &q, "to", &f.to_wall_ms) && query_limit(req, &q, &f.limit);
    if (ok) {
        f.type = query_get(&q, "type");
        size_t n = f.type != NULL ? strlen(f.type) : 1;
        for (size_t i = 0; f.type != NULL && i < n && ok; i++) {
            ok = (f.type[i] >= 'a' && f.type[i] <= 'z') || f.type[i] == '_';
        }
        if (!ok || n == 0 || n > HTTP_TYPE_MAX) {
            send_error(req, 400, "type must be 1..%d of a-z and _", HTTP_TYPE_MAX);
            ok = false;
        }
    }
    if (ok) {
        json_t *events = store_events_query(h->s->store, &f);
        if (events == NULL) {
            srv_log(SRV_LOG_ERROR, "http", "events query failed: %s", store_errmsg(h->s->store));
            send_error(req, 503, "the events could not be read");
        } else {
            send_json(req, 200, events);
        }
    }
    query_free(&q);
}

static void route_orders(struct srv_http *h, struct evhttp_request *req)
{
    struct query q;
    static const char *const allowed[] = {"pump_id", "limit", NULL};
    const char *pump_id = NULL;
    size_t limit = 0;
    if (!query_parse(req, &q, allowed)) {
        return;
    }
    if (query_id(req, &q, "pump_id", &pump_id) && query_limit(req, &q, &limit)) {
        json_t *orders = store_orders_query(h->s->store, pump_id, limit);
        if (orders == NULL) {
            srv_log(SRV_LOG_ERROR, "http", "orders query failed: %s", store_errmsg(h->s->store));
            send_error(req, 503, "the orders could not be read");
        } else {
            send_json(req, 200, orders);
        }
    }
    query_free(&q);
}

/* ---- static files ---------------------------------------------------------------------------- */

static void route_static(struct srv_http *h, struct evhttp_request *req, const char *path,
                         size_t len)
{
    if (!srv_http__static_path_ok(path, len)) {
        srv_log(SRV_LOG_WARN, "http", "refused static path (traversal, hidden or malformed)");
        send_error(req, 404, "not found");
        return;
    }
    const char *root = h->s->cfg.web_root != NULL ? h->s->cfg.web_root : "web";
    char file[PATH_MAX];
    int n =
        snprintf(file, sizeof file, "%s%s%s", root, path, path[len - 1] == '/' ? "index.html" : "");
    if (n < 0 || (size_t)n >= sizeof file) {
        send_error(req, 404, "not found");
        return;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            (void)close(fd);
        }
        send_error(req, 404, "not found");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        (void)close(fd);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    /* evbuffer_add_file owns fd from here, on success and on failure. */
    if (st.st_size > 0 && evbuffer_add_file(b, fd, 0, (ev_off_t)st.st_size) != 0) {
        evbuffer_free(b);
        evhttp_send_error(req, 500, NULL);
        return;
    }
    if (st.st_size == 0) {
        (void)close(fd);
    }
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    (void)evhttp_add_header(out, "Content-Type", srv_http__content_type(file));
    (void)evhttp_add_header(out, "Cache-Control", "no-cache");
    (void)evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
    /* The pages load nothing from elsewhere: say so, so a browser refuses if one ever tried. */
    (void)evhttp_add_header(out, "Content-Security-Policy",
                            "default-src 'self'; object-src 'none'; frame-ancestors 'none'");
    evhttp_send_reply(req, 200, NULL, b);
    evbuffer_free(b);
}

/* ---- routing --------------------------------------------------------------------------------- */

static void route_api(struct srv_http *h, struct evhttp_request *req, const char *rest)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (strncmp(rest, "alarms/", 7) == 0) {
        route_alarm_ack(h, req, rest + 7);
        return;
    }
    static const char *const get_routes[] = {"pumps", "alarms", "events", "orders", "stream"};
    bool is_get_route = strncmp(rest, "pumps/", 6) == 0;
    for (size_t i = 0; i < sizeof get_routes / sizeof get_routes[0]; i++) {
        if (strcmp(rest, get_routes[i]) == 0) {
            is_get_route = true;
        }
    }
    if (!is_get_route) {
        send_error(req, 404, "no such resource");
        return;
    }
    bool is_stream = strcmp(rest, "stream") == 0;
    if (is_stream ? cmd != EVHTTP_REQ_GET : !is_get(cmd)) {
        send_method_not_allowed(req, is_stream ? "GET" : "GET, HEAD");
        return;
    }
    if (strcmp(rest, "pumps") == 0) {
        route_pumps(h, req);
    } else if (strncmp(rest, "pumps/", 6) == 0) {
        route_pump(h, req, rest + 6);
    } else if (strcmp(rest, "alarms") == 0) {
        route_alarms(h, req);
    } else if (strcmp(rest, "events") == 0) {
        route_events(h, req);
    } else if (strcmp(rest, "orders") == 0) {
        route_orders(h, req);
    } else {
        srv_http__sse_open(h->sse, req);
    }
}

/* evhttp leaves Nagle on: a reply's last partial segment then waits for the client's delayed
 * ACK (measured: 40 ms per 70 KB /api/v1/pumps on loopback), and stream events wait the same. */
static void set_nodelay(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
    evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
    int one = 1;
    if (fd >= 0) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct srv_http *h = arg;
    h->s->metrics.http_requests++;
    set_nodelay(req);
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *raw = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    if (raw == NULL || raw[0] != '/') {
        send_error(req, 400, "bad request target");
        return;
    }
    size_t len = 0;
    char *path = evhttp_uridecode(raw, 0, &len);
    if (path == NULL) {
        send_error(req, 500, "out of memory");
        return;
    }
    if (strlen(path) != len) {
        srv_log(SRV_LOG_WARN, "http", "refused a path with an encoded NUL");
        send_error(req, 400, "bad request target");
        free(path);
        return;
    }
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0) {
        if (!is_get(cmd)) {
            send_method_not_allowed(req, "GET, HEAD");
        } else if (path[1] == 'h') {
            route_healthz(h, req);
        } else {
            route_metrics(h, req);
        }
    } else if (strncmp(path, "/api/v1/", 8) == 0) {
        route_api(h, req, path + 8);
    } else if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0) {
        send_error(req, 404, "no such resource");
    } else if (!is_get(cmd)) {
        send_method_not_allowed(req, "GET, HEAD");
    } else {
        route_static(h, req, path, len);
    }
    free(path);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static int bound_port(struct evhttp_bound_socket *sock)
{
    struct sockaddr_storage ss;
    socklen_t n = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&ss, &n) != 0) {
        return -1;
    }
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
        return ntohs(sin->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
        return ntohs(sin6->sin6_port);
    }
    return -1;
}

struct srv_http *srv_http_new(struct srv *s, char *err, size_t err_cap)
{
    const char *host = s->cfg.http_bind != NULL ? s->cfg.http_bind : "127.0.0.1";
    if (s->cfg.http_port < 0 || s->cfg.http_port > 65535) {
        (void)snprintf(err, err_cap, "http: port %d out of range", s->cfg.http_port);
        return NULL;
    }
    struct srv_http *h = calloc(1, sizeof *h);
    if (h == NULL) {
        (void)snprintf(err, err_cap, "http: out of memory");
        return NULL;
    }
    h->s = s;
    h->http = evhttp_new(s->base);
    if (h->http == NULL) {
        (void)snprintf(err, err_cap, "http: evhttp_new failed");
        free(h);
        return NULL;
    }
    evhttp_set_max_body_size(h->http, HTTP_MAX_BODY_BYTES);
    evhttp_set_max_headers_size(h->http, HTTP_MAX_HEADERS_BYTES);
    evhttp_set_timeout(h->http, s->cfg.idle_timeout_s > 0 && s->cfg.idle_timeout_s < INT_MAX
                                    ? (int)s->cfg.idle_timeout_s
                                    : 300);
    evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(h->http, on_request, h);
    h->sock = evhttp_bind_socket_with_handle(h->http, host, (ev_uint16_t)s->cfg.http_port);
    if (h->sock == NULL) {
        (void)snprintf(err, err_cap, "http: cannot listen on %s:%d: %s", host, s->cfg.http_port,
                       strerror(errno));
        evhttp_free(h->http);
        free(h);
        return NULL;
    }
    h->port = bound_port(h->sock);
    h->sse = srv_http__sse_new(h);
    if (h->sse == NULL || h->port < 0) {
        (void)snprintf(err, err_cap, "http: %s",
                       h->port < 0 ? "cannot read the bound port" : "cannot set up the stream");
        srv_http__sse_free(h->sse);
        evhttp_free(h->http);
        free(h);
        return NULL;
    }
    s->http = h;
    srv_log(SRV_LOG_INFO, "http", "listening on %s:%d (web root %s)", host, h->port,
            s->cfg.web_root != NULL ? s->cfg.web_root : "web");
    return h;
}

int srv_http_port(const struct srv_http *h)
{
    return h->port;
}

void srv_http_free(struct srv_http *h)
{
    if (h == NULL) {
        return;
    }
    if (h->s->http == h) {
        h->s->http = NULL;
    }
    srv_http__sse_free(h->sse);
    evhttp_free(h->http);
    free(h);
}
