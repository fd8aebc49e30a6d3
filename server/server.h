/*
 * server.h - the infusiond process: one libevent loop, one store, one in-memory model, and the
 * parts that run on the loop (MQTT pump link, MLLP inbound, outbox senders, HTTP API).
 *
 * Single-threaded: every callback runs on the loop, so parts share this struct without locks.
 * Durable work is committed in groups (srv_commit_*): a part queues what it wants written,
 * the group is committed once per loop turn, and each item's "after commit" action (event_ack,
 * ACK^O15, SSE push) runs only once the commit succeeded.
 */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "metrics.h"
#include "model.h"
#include "store.h"

#define SRV_MAX_ALARM_DESTS 4

struct srv_config {
    char *config_file;        /* --config: read before the flags, which win */
    char *db;                 /* --db: store url (sqlite:PATH, PATH, postgresql://…) */
    char *mqtt_host;          /* --mqtt HOST:PORT */
    int mqtt_port;
    char *topic_prefix;       /* --topic-prefix (infusion/v1) */
    char *mqtt_client_id;     /* --mqtt-client-id (infusiond) */
    char *mllp_bind;          /* --mllp HOST:PORT: the PCD-03 listener (IOC) */
    int mllp_port;
    char *http_bind;          /* --http HOST:PORT */
    int http_port;
    char *web_root;           /* --web-root DIR: the static pages */
    char *iop;                /* --ehr-iop HOST:PORT: RRG^O16 destination */
    char *doc;                /* --ehr-doc HOST:PORT: PCD-01/PCD-10 destination */
    char *alarm[SRV_MAX_ALARM_DESTS]; /* --ehr-alarm HOST:PORT (repeatable): PCD-04 */
    size_t n_alarm;
    char *library;            /* --library FILE: the drug library orders are checked against */
    char *facility;           /* --facility (MSH-4 of what we send) */
    unsigned pcd01_period_s;  /* --pcd01-period-s (60) */
    unsigned order_max_age_s; /* --order-max-age-s (600): older ORC-9 is stale (9022) */
    bool associate_from_order; /* --associate-from-order (default on) */
    bool log_json;            /* --log-json */
    char *log_level;          /* --log-level (info) */
    unsigned max_frame_kib;   /* --max-frame-kib (1024) */
    unsigned idle_timeout_s;  /* --idle-timeout-s (300): MLLP/HTTP connections */
    char *port_file;          /* --port-file FILE: write the ports actually bound (tests) */
};

struct srv_mqtt;
struct srv_mllp;
struct srv_outbox;
struct srv_http;
struct srv_orders;
struct srv_commitq;
struct pump_library;

struct srv {
    struct srv_config cfg;
    struct event_base *base;
    struct store *store;
    struct model *model;
    struct srv_metrics metrics;
    const struct pump_library *lib; /* NULL when no --library */
    struct srv_mqtt *mqtt;
    struct srv_mllp *mllp;
    struct srv_outbox *outbox;
    struct srv_http *http;
    struct srv_orders *orders;
    struct srv_commitq *commitq;
    bool mqtt_connected;      /* the broker connection is up */
    bool stopping;            /* SIGTERM/SIGINT seen: finishing in-flight work */
    int64_t started_ms;
};

/* Wall clock, UNIX milliseconds / monotonic microseconds. */
int64_t srv_now_ms(void);
uint64_t srv_mono_us(void);

/* ---- group commit ---------------------------------------------------------------------------- */

/* One unit of durable work: write() runs inside the group's transaction (return false to fail the
 * whole group: nothing of it is kept, and every item's done() gets ok=false); done() runs after
 * the commit (or the failure) and owns freeing arg. */
struct srv_work {
    bool (*write)(struct srv *s, void *arg);
    void (*done)(struct srv *s, void *arg, bool ok);
    void *arg;
};
/* Queue work for the next group commit (this loop turn). false when out of memory (nothing queued;
 * the caller must not expect done()). */
bool srv_commit_queue(struct srv *s, const struct srv_work *w);
/* Commit everything queued now (used at shutdown). */
void srv_commit_flush(struct srv *s);
bool srv_commit_init(struct srv *s);
void srv_commit_free(struct srv *s); /* flushes first */

/* ---- the outbox (outbox.c) -------------------------------------------------------------------- */
/* Wake the sender of dest after a commit queued a message for it. */
void srv_outbox_kick(struct srv *s, const char *dest);

#endif
