/*
 * mllp_in.c - the MLLP listener (mllp_in.h).
 */
#include "mllp_in.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "hl7/mllp.h"
#include "log.h"
#include "orders.h"
#include "server.h"

/* A peer that leaves this much of our output unread is dropped (it is not reading its ACKs). */
#define OUTPUT_MAX (1024U * 1024U)

struct srv_mllp {
    struct srv *s;
    struct evconnlistener *lis;
    int port;
    struct mllp_conn *conns; /* open connections, for shutdown */
};

struct mllp_conn {
    struct srv *s;
    struct srv_mllp *owner;
    struct bufferevent *bev; /* NULL once closed */
    struct hl7_mllp_deframer d;
    char *buf;
    int refs;
    char peer[64];
    uint64_t discarded_logged;
    struct mllp_conn *next;
    struct mllp_conn *prev;
};

const char *mllp_conn_peer(const struct mllp_conn *c)
{
    return c->peer;
}

void mllp_conn_ref(struct mllp_conn *c)
{
    c->refs++;
}

void mllp_conn_unref(struct mllp_conn *c)
{
    if (--c->refs == 0) {
        free(c->buf);
        free(c);
    }
}

struct mllp_conn *mllp_conn_detached(struct srv *s)
{
    struct mllp_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->s = s;
    c->refs = 1;
    (void)snprintf(c->peer, sizeof c->peer, "detached");
    return c;
}

static void conn_close(struct mllp_conn *c, const char *why)
{
    if (c->bev == NULL) {
        return;
    }
    if (why != NULL) {
        srv_log(SRV_LOG_INFO, "mllp", "%s: connection closed: %s", c->peer, why);
    }
    bufferevent_free(c->bev);
    c->bev = NULL;
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else if (c->owner != NULL) {
        c->owner->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    c->next = c->prev = NULL;
    c->owner = NULL;
    mllp_conn_unref(c);
}

void mllp_conn_send(struct mllp_conn *c, const char *msg, size_t len)
{
    if (c->bev == NULL) {
        return;
    }
    static const char vt = HL7_MLLP_VT;
    static const char tail[2] = {HL7_MLLP_FS, HL7_MLLP_CR};
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (evbuffer_get_length(out) > OUTPUT_MAX) {
        c->s->metrics.mllp_bad++;
        conn_close(c, "the peer does not read its acknowledgements");
        return;
    }
    (void)evbuffer_add(out, &vt, 1);
    (void)evbuffer_add(out, msg, len);
    (void)evbuffer_add(out, tail, 2);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct mllp_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    mllp_conn_ref(c); /* the connection may close while frames are handled */
    while (c->bev != NULL && evbuffer_get_length(in) > 0) {
        size_t avail = evbuffer_get_contiguous_space(in);
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame;
        hl7_status st = hl7_mllp_feed(&c->d, data, avail, (uint64_t)srv_now_ms(), &used, &ev,
                                      &frame);
        if (st == HL7_ERR_TOO_LARGE) {
            c->s->metrics.mllp_bad++;
            srv_log(SRV_LOG_WARN, "mllp", "%s: frame larger than %u KiB dropped", c->peer,
                    c->s->cfg.max_frame_kib);
        }
        if (ev == HL7_MLLP_FRAME) {
            orders_on_frame(c->s, c, frame.ptr, frame.len);
        }
        (void)evbuffer_drain(in, used);
    }
    if (c->bev != NULL && c->d.n_discarded > c->discarded_logged) {
        c->s->metrics.mllp_bad++;
        srv_log(SRV_LOG_WARN, "mllp", "%s: %llu bytes outside MLLP frames ignored", c->peer,
                (unsigned long long)(c->d.n_discarded - c->discarded_logged));
        c->discarded_logged = c->d.n_discarded;
        if (c->d.n_discarded > 1024U * 1024U && c->d.n_frames == 0) {
            conn_close(c, "only garbage received");
        }
    }
    mllp_conn_unref(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct mllp_conn *c = arg;
    if (what & BEV_EVENT_TIMEOUT) {
        conn_close(c, "idle timeout");
    } else if (what & BEV_EVENT_ERROR) {
        conn_close(c, "socket error");
    } else if (what & BEV_EVENT_EOF) {
        if (hl7_mllp_in_frame(&c->d)) {
            c->s->metrics.mllp_bad++;
            conn_close(c, "closed in the middle of a frame");
        } else {
            conn_close(c, NULL);
        }
    }
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)lis;
    (void)salen;
    struct srv_mllp *m = arg;
    struct mllp_conn *c = calloc(1, sizeof *c);
    size_t cap = (size_t)m->s->cfg.max_frame_kib * 1024U;
    if (c != NULL) {
        c->buf = malloc(cap > 0 ? cap : 1);
    }
    if (c == NULL || c->buf == NULL) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->s = m->s;
    c->owner = m;
    c->refs = 1; /* the open connection itself */
    hl7_mllp_deframer_init(&c->d, c->buf, cap);
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        char ip[INET_ADDRSTRLEN];
        (void)inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        (void)snprintf(c->peer, sizeof c->peer, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
    } else {
        (void)snprintf(c->peer, sizeof c->peer, "peer");
    }
    c->bev = bufferevent_socket_new(m->s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        evutil_closesocket(fd);
        mllp_conn_unref(c);
        return;
    }
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    struct timeval idle = {(time_t)m->s->cfg.idle_timeout_s, 0};
    if (m->s->cfg.idle_timeout_s > 0) {
        bufferevent_set_timeouts(c->bev, &idle, &idle);
    }
    (void)bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->next = m->conns;
    if (m->conns != NULL) {
        m->conns->prev = c;
    }
    m->conns = c;
    srv_log(SRV_LOG_DEBUG, "mllp", "%s: connected", c->peer);
}

struct srv_mllp *srv_mllp_new(struct srv *s, char *err, size_t err_cap)
{
    struct srv_mllp *m = calloc(1, sizeof *m);
    if (m == NULL) {
        (void)snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    m->s = s;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)s->cfg.mllp_port);
    if (inet_pton(AF_INET, s->cfg.mllp_bind, &sin.sin_addr) != 1) {
        (void)snprintf(err, err_cap, "--mllp: %s is not an IPv4 address", s->cfg.mllp_bind);
        free(m);
        return NULL;
    }
    m->lis = evconnlistener_new_bind(s->base, on_accept, m,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
                                     (struct sockaddr *)&sin, sizeof sin);
    if (m->lis == NULL) {
        (void)snprintf(err, err_cap, "cannot listen on %s:%d for MLLP", s->cfg.mllp_bind,
                       s->cfg.mllp_port);
        free(m);
        return NULL;
    }
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    if (getsockname(evconnlistener_get_fd(m->lis), (struct sockaddr *)&bound, &bl) == 0) {
        m->port = ntohs(bound.sin_port);
    }
    return m;
}

int srv_mllp_port(const struct srv_mllp *m)
{
    return m->port;
}

void srv_mllp_free(struct srv_mllp *m)
{
    if (m == NULL) {
        return;
    }
    evconnlistener_free(m->lis);
    while (m->conns != NULL) {
        conn_close(m->conns, NULL);
    }
    free(m);
}
