/*
 * ehrsim.h - the EHR/BCMA simulator's runtime (docs/ehrsim.md): one libevent loop that
 *   - as the ordering system (IOP) sends RGV^O15 orders to the IOC over K MLLP connections, each
 *     with at most W orders waiting for their ACK^O15;
 *   - listens on one MLLP port for everything the server sends back: RRG^O16 (answered with an
 *     ACK^O16 CA), and as documentation / alarm consumer PCD-01, PCD-10 and PCD-04 (answered with
 *     an accept ACK, CA unless --ack-code says otherwise); tells them apart by MSH-9;
 *   - checks every received message with hl7_pcd_validate, counts, logs one JSON line per
 *     received message and prints a summary at the end.
 *
 * Files: ehrsim_main.c (flags), ehr_sim.c (loop, connections, orders), ehr_recv.c (received
 * messages, log, summary), ehr_order.c (the RGV^O15 builder), ehr_stats.c (latencies, id map).
 * Names: ehr_ for everything here.
 */
#ifndef EHRSIM_H
#define EHRSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ehr_order.h"
#include "ehr_stats.h"
#include "hl7/hl7.h"
#include "hl7/pcd.h"
#include "oi_json.h"

#define EHR_MAX_CONNECTIONS 64U
#define EHR_MAX_WINDOW 1024U
#define EHR_MAX_PEERS 64U                      /* listener connections at once */
#define EHR_PEER_FRAME_MAX (1024U * 1024U)      /* largest message accepted by the listener */
#define EHR_ACK_FRAME_MAX (64U * 1024U)         /* largest ACK^O15 accepted from the server */
#define EHR_IDLE_FRAME_MS 30000U               /* a frame that stops arriving is dropped */
#define EHR_MAX_AREAS 32U
#define EHR_PIV_FIRST 9001U
#define EHR_PIV_LAST 9033U
#define EHR_NO_CODE 0xFFU                      /* an order not answered (yet) */

/* What the command line asked for. Strings borrow from argv. */
struct ehr_config {
    bool has_server;
    char server_host[256];
    uint16_t server_port;
    unsigned n_connections;
    unsigned window;

    bool has_listen;
    char listen_host[256];
    uint16_t listen_port;
    const char *port_file;

    const char *orders_file;
    uint64_t n_generate;
    double rate_per_s;                 /* 0: as fast as the windows allow */
    char **pump_ids;                   /* malloc'd list (ehr_config_free) */
    size_t n_pumps;
    char **patient_ids;                /* malloc'd list, n_pumps long, or NULL (no PID) */
    const char *library_file;
    char **care_areas;                 /* malloc'd list, or NULL: every area of the library */
    size_t n_care_areas;
    double hard_ratio;
    uint64_t seed;
    uint64_t resend_dup;               /* re-send every K-th order with its MSH-10; 0: never */

    double duration_s;                 /* 0: no limit */
    double until_idle_s;               /* 0: not asked */
    const char *summary_json;
    const char *log_file;
    bool quiet;
    hl7_ack_code ack_code;             /* for PCD-01/-10/-04 */
    unsigned ack_delay_ms;

    /* --expect-... checks: exit 1 when one fails. */
    bool expect_all_acked;             /* every order got an ACK^O15 CA */
    bool expect_all_answered;          /* every order got an RRG^O16 */
    bool expect_no_invalid;            /* no received message had a validation error */
    bool has_expect_min_events;
    uint64_t expect_min_events;        /* at least this many PCD-10 messages */
};

void ehr_config_free(struct ehr_config *cfg);

/* One order (a re-sent duplicate points at the same record). */
struct ehr_order_rec {
    char control_id[EHR_ID_MAX];
    char placer_id[EHR_ID_MAX];
    uint32_t text_off;                 /* file orders: the message in ehr_sim.file_text */
    uint32_t text_len;
    bool is_hard;
    uint64_t sent_us;                  /* monotonic, first send */
    uint8_t ack_code;                  /* hl7_ack_code of the first ACK^O15, EHR_NO_CODE */
    uint8_t rrg_code;                  /* hl7_ack_code of the first RRG^O16, EHR_NO_CODE */
    uint32_t n_acks;
    uint32_t n_rrgs;
};

struct ehr_conn;
struct ehr_peer;

/* Counters of everything received and sent. */
struct ehr_counts {
    uint64_t orders_sent;              /* distinct orders sent */
    uint64_t dups_sent;                /* re-sends of an earlier MSH-10 */
    uint64_t ack[6];                   /* ACK^O15 by hl7_ack_code (first per order) */
    uint64_t ack_dup;                  /* further ACK^O15 for an order (after re-sends) */
    uint64_t ack_unmatched;            /* MSA-2 names no order we sent */
    uint64_t ack_bad;                  /* an answer on an order connection that is no ACK */
    uint64_t rrg[6];                   /* RRG^O16 by hl7_ack_code (first per MSA-2) */
    uint64_t rrg_dup;                  /* a second RRG^O16 for the same MSA-2 */
    uint64_t rrg_unmatched;            /* first RRG^O16 for an order this run did not send */
    uint64_t piv[EHR_PIV_LAST - EHR_PIV_FIRST + 1U]; /* PIV codes in RRG^O16 ERR-5 */
    uint64_t piv_other;
    uint64_t pcd01;
    uint64_t pcd10;
    uint64_t pcd10_by_event[HL7_PCD_EVT_COUNT];
    uint64_t pcd04;
    uint64_t pcd04_by_phase[HL7_PCD_PHASE_COUNT];
    uint64_t other;                    /* parseable, but none of the above */
    uint64_t received;                 /* frames received on the listener */
    uint64_t invalid;                  /* validation errors, or not HL7 at all */
    uint64_t duplicates;               /* same sender + MSH-10 received again */
    uint64_t acks_sent;
    uint64_t peers_dropped;            /* garbage, oversized or stalled frames */
    uint64_t conn_drops;               /* order connections lost */
    uint64_t orders_skipped;           /* file messages that could not be sent */
};

struct ehr_sim {
    struct ehr_config *cfg;
    struct event_base *base;
    FILE *log;

    /* orders */
    struct oi_druglib lib;
    bool has_lib;
    uint32_t *eligible[EHR_MAX_AREAS];      /* per care area: entries we generate orders for */
    uint32_t n_eligible[EHR_MAX_AREAS];
    uint32_t *eligible_hard[EHR_MAX_AREAS]; /* ... of them with a hard maximum */
    uint32_t n_eligible_hard[EHR_MAX_AREAS];
    uint32_t area_index[EHR_MAX_AREAS];     /* care area i of the run -> library area */
    size_t n_areas;
    char *file_text;                        /* order file, CR line ends (file orders) */
    struct ehr_order_rec *orders;
    size_t n_orders;                        /* records created */
    size_t cap_orders;
    size_t n_total;                         /* orders to send in all */
    size_t next_new;                        /* new orders handed out (sent or skipped) */
    struct ehr_idmap order_ids;             /* MSH-10 -> record */
    struct ehr_idmap rrg_ids;               /* MSA-2 of every RRG^O16 received */
    uint64_t rng;
    char run_id[24];
    long dup_pending;                       /* record to re-send, -1 none */
    char *dup_frame;                        /* its framed bytes */
    size_t dup_len;

    /* connections */
    struct ehr_conn *conns;
    unsigned next_conn;
    struct evconnlistener *listener;
    struct ehr_peer *peers;                 /* doubly linked list */
    size_t n_peers;
    uint64_t next_peer_id;
    struct ehr_idmap received_ids;          /* "MSH-3|MSH-10" of every received message */

    /* shared scratch for parsing (one frame at a time) */
    struct hl7_segment *segs;
    uint32_t *seps;
    size_t cap_seps;
    void *scratch;                          /* decoded message (ehr_recv.c) */

    /* time */
    uint64_t start_us;
    uint64_t last_activity_us;
    struct event *tick;
    struct event *progress;
    struct event *sig_int;
    struct event *sig_term;
    bool stopping;
    const char *stop_reason;

    struct ehr_counts c;
    struct ehr_latency lat_ack;
    struct ehr_latency lat_rrg;
    uint64_t n_acks_built;
};

/* ehr_sim.c */
/* Set up everything the config asks for (library, order file, listener, connections). On false
 * a reason was printed on stderr; ehr_sim_close is still needed. */
bool ehr_sim_open(struct ehr_sim *sim, struct ehr_config *cfg);
/* Run the loop until a stop condition; returns the exit status (0, or 1 for failed expects). */
int ehr_sim_run(struct ehr_sim *sim);
void ehr_sim_close(struct ehr_sim *sim);
/* Monotonic microseconds. */
uint64_t ehr_now_us(void);
/* MSH-7 text of the current time, UTC with +0000. */
void ehr_now_dtm(char *buf, size_t cap);
/* Try to send more orders (after an ACK, a connect, a rate tick). */
void ehr_sim_pump_orders(struct ehr_sim *sim);

/* ehr_recv.c */
bool ehr_recv_init(struct ehr_sim *sim);
void ehr_recv_free(struct ehr_sim *sim);
/*
 * ehr_recv_frame - one frame received by the listener from peer peer_id: validate, count, log,
 * and build the acknowledgement into ack[0..cap) (framed; *ack_len 0 when none is due).
 * Returns false when the frame is not HL7 at all (the caller drops the connection).
 */
bool ehr_recv_frame(struct ehr_sim *sim, uint64_t peer_id, const char *frame, size_t len,
                    char *ack, size_t cap, size_t *ack_len);
/*
 * ehr_recv_order_ack - one frame received on order connection i_conn: the ACK^O15 of an order.
 * *acked gets the order record it acknowledges (-1: none of ours).
 */
void ehr_recv_order_ack(struct ehr_sim *sim, unsigned i_conn, const char *frame, size_t len,
                        long *acked);
/* A JSON log line for an order sent on connection i_conn (o: the generated order, or NULL). */
void ehr_log_order(struct ehr_sim *sim, const struct ehr_order *o, long rec, unsigned i_conn,
                   bool is_dup);
/* A JSON log line for an event that is not a message (dropped connection ...). */
void ehr_log_event(struct ehr_sim *sim, const char *what, uint64_t peer_id, const char *detail);
/* Summary: text on stdout, JSON into cfg->summary_json. Returns the expect result (0 or 1). */
int ehr_summary(struct ehr_sim *sim);
/* One progress line on stderr. */
void ehr_progress(struct ehr_sim *sim);

#endif
