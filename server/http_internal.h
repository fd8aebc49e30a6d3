/*
 * http_internal.h - the parts of the HTTP side shared between http.c (server, routing, static
 * files, /healthz, /metrics, the API) and http_sse.c (the server-sent event stream), plus the pure
 * helpers that tests may call directly. Not for other parts of infusiond: use http.h.
 */
#ifndef SRV_HTTP_INTERNAL_H
#define SRV_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

#include "http.h"

struct srv;
struct srv_sse;

/* A stream client whose unsent output stays above this (beyond its initial snapshot) for
 * SRV_SSE_SLOW_GRACE_MS, or goes above it by SRV_SSE_MAX_BURST_BYTES, is not reading: it is
 * dropped with a log line instead of letting the server's memory grow. */
#define SRV_SSE_MAX_BUFFERED_BYTES (1024U * 1024U)
#define SRV_SSE_SLOW_GRACE_MS      5000U
#define SRV_SSE_MAX_BURST_BYTES    (16U * 1024U * 1024U)
/* A comment line on every stream this often, so proxies and clients see the connection alive. */
#define SRV_SSE_KEEPALIVE_S 15

struct srv_http {
    struct srv *s;
    struct evhttp *http;
    struct evhttp_bound_socket *sock;
    int port;
    struct srv_sse *sse;
};

/* ---- the stream (http_sse.c) ----------------------------------------------------------------- */

/* Registers the model listener (its arg is the struct srv: it finds the stream through s->http,
 * so a change after srv_http_free reaches nobody) and the keepalive timer. NULL when out of
 * memory or when the model has no room for another listener. */
struct srv_sse *srv_http__sse_new(struct srv_http *h);
/* Starts a stream on req (GET /api/v1/stream): headers, the snapshot, then every change. */
void srv_http__sse_open(struct srv_sse *sse, struct evhttp_request *req);
/* Closes every stream connection and stops the timer. */
void srv_http__sse_free(struct srv_sse *sse);

/* ---- pure helpers (tests call these directly) ------------------------------------------------ */

/* "1795000000000" (UNIX ms, optionally negative) or ISO-8601 UTC "YYYY-MM-DD",
 * "YYYY-MM-DDTHH:MM:SSZ", "YYYY-MM-DDTHH:MM:SS.fffZ" (1-9 fraction digits, cut to ms), years
 * 1970-9999. false (out untouched) for anything else. */
bool srv_http__parse_time_ms(const char *text, int64_t *out_ms);
/* A decoded request path that may be mapped below the web root: starts with '/', no NUL (len is
 * the decoded length), no backslash, no segment starting with '.' (so no "..", no hidden
 * files), no empty segment except a trailing '/'. */
bool srv_http__static_path_ok(const char *path, size_t len);
/* The Content-Type for a file name by its extension ("application/octet-stream" otherwise). */
const char *srv_http__content_type(const char *path);
/* A pump id as the pump protocol allows: 1-64 of A-Z a-z 0-9 - _ . */
bool srv_http__pump_id_ok(const char *id);
/* Priority rank for sorting: high 3, medium 2, low 1, anything else 0. */
int srv_http__priority_rank(const char *priority);

#endif
