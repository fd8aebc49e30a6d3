/*
 * http.h - infusiond's HTTP side (evhttp): /healthz, /metrics, the JSON API under /api/v1, the
 * server-sent event stream /api/v1/stream, and the static web pages (web/). docs/http-api.md
 * documents every route.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct srv;
struct srv_http;

/* Binds s->cfg.http_bind:http_port (port 0: a free port; srv_http_port tells which), registers
 * a model listener for the stream and stores the object in s->http (the listener finds the
 * stream there). NULL with err filled on failure (s->http untouched). */
struct srv_http *srv_http_new(struct srv *s, char *err, size_t err_cap);
int srv_http_port(const struct srv_http *h);
/* Ends every stream (SSE clients get their connection closed), stops listening and sets s->http
 * to NULL. NULL is a no-op. */
void srv_http_free(struct srv_http *h);

#endif
