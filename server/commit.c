/*
 * commit.c - group commit (server.h): work queued during one loop turn is written in one
 * transaction, then each item's done() runs. One fsync serves every item of the group, which is
 * what makes thousands of durable events and orders per second possible with synchronous=FULL.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "server.h"

struct srv_commitq {
    struct srv_work *items;
    size_t n;
    size_t cap;
    struct event *ev; /* fires once per loop turn while items are queued */
};

int64_t srv_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t srv_mono_us(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000U + (uint64_t)ts.tv_nsec / 1000U;
}

static void run_group(struct srv *s)
{
    struct srv_commitq *q = s->commitq;
    if (q->n == 0) {
        return;
    }
    /* Take the group: done() callbacks may queue more work, for the next group. */
    struct srv_work *items = q->items;
    size_t n = q->n;
    q->items = NULL;
    q->n = 0;
    q->cap = 0;

    uint64_t t0 = srv_mono_us();
    bool ok = store_begin(s->store) == STORE_OK;
    for (size_t i = 0; ok && i < n; i++) {
        if (items[i].write != NULL && !items[i].write(s, items[i].arg)) {
            ok = false;
        }
    }
    if (ok && store_commit(s->store) != STORE_OK) {
        ok = false;
    }
    if (!ok) {
        srv_log(SRV_LOG_ERROR, "store", "group of %zu items not committed: %s", n,
                store_errmsg(s->store));
        (void)store_rollback(s->store);
        s->metrics.commit_failures++;
    } else {
        s->metrics.commits++;
        srv_hist_add(&s->metrics.commit_us, srv_mono_us() - t0);
    }
    for (size_t i = 0; i < n; i++) {
        if (items[i].done != NULL) {
            items[i].done(s, items[i].arg, ok);
        }
    }
    free(items);
    if (ok) {
        srv_outbox_kick(s, NULL);
    }
}

static void on_group(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    run_group(arg);
}

bool srv_commit_init(struct srv *s)
{
    s->commitq = calloc(1, sizeof *s->commitq);
    if (s->commitq == NULL) {
        return false;
    }
    s->commitq->ev = event_new(s->base, -1, 0, on_group, s);
    return s->commitq->ev != NULL;
}

void srv_commit_free(struct srv *s)
{
    if (s->commitq == NULL) {
        return;
    }
    srv_commit_flush(s);
    event_free(s->commitq->ev);
    free(s->commitq->items);
    free(s->commitq);
    s->commitq = NULL;
}

bool srv_commit_queue(struct srv *s, const struct srv_work *w)
{
    struct srv_commitq *q = s->commitq;
    if (q->n == q->cap) {
        size_t cap = q->cap == 0 ? 64 : q->cap * 2;
        struct srv_work *items = realloc(q->items, cap * sizeof *items);
        if (items == NULL) {
            return false;
        }
        q->items = items;
        q->cap = cap;
    }
    q->items[q->n++] = *w;
    if (q->n == 1) {
        /* Runs after the callbacks already pending in this loop turn. */
        event_active(q->ev, 0, 0);
    }
    return true;
}

void srv_commit_flush(struct srv *s)
{
    /* done() may queue more (an ACK that leads to an outbox row): drain until quiet. */
    for (int round = 0; round < 16 && s->commitq->n > 0; round++) {
        run_group(s);
    }
}
