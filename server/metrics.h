/*
 * metrics.h - counters and latency histograms for /metrics (Prometheus text format) and the
 * benchmarks. Histograms have power-of-two microsecond buckets: exact enough for p50/p99 at
 * a fixed, tiny cost per sample.
 */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stdint.h>

#define SRV_HIST_BUCKETS 40

struct srv_hist {
    uint64_t count;
    uint64_t sum_us;
    uint64_t bucket[SRV_HIST_BUCKETS]; /* bucket i: samples < 2^i us (the last: all the rest) */
};

void srv_hist_add(struct srv_hist *h, uint64_t us);
/* The upper bound in microseconds of the bucket holding quantile q (0..1); 0 when empty. */
uint64_t srv_hist_quantile_us(const struct srv_hist *h, double q);

struct srv_metrics {
    uint64_t mqtt_messages;       /* received from the broker */
    uint64_t mqtt_bad;            /* dropped: bad topic, bad JSON, unknown shape */
    uint64_t events_stored;       /* pump event records committed */
    uint64_t events_duplicate;    /* already stored: acknowledged again, not stored */
    uint64_t states;              /* state snapshots applied */
    uint64_t commands_sent;
    uint64_t replies;
    uint64_t commits;             /* store transactions committed (group commits) */
    uint64_t commit_failures;
    uint64_t orders_received;     /* RGV^O15 */
    uint64_t orders_duplicate;
    uint64_t orders_rejected;     /* CE/CR or RRG AE/AR */
    uint64_t mllp_bad;            /* frames or connections dropped for bad input */
    uint64_t outbox_sent;
    uint64_t outbox_acked;
    uint64_t outbox_retries;
    uint64_t sse_clients;
    uint64_t sse_sent;
    uint64_t http_requests;
    struct srv_hist commit_us;        /* one group commit */
    struct srv_hist event_to_sse_us;  /* pump record wall_ms -> its SSE push */
    struct srv_hist order_to_ack_us;  /* RGV^O15 frame complete -> ACK^O15 written */
};

#endif
