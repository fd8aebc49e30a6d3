/*
 * mqtt_pump.h - one simulated pump on an MQTT broker: the pump side of pump protocol v1
 * (docs/pump-protocol.md), for `pumpd fleet --broker` and `pumpd panel --broker`
 * (docs/pumpd-broker.md).
 *
 * A struct mqtt_pump owns a sim_pump and one libmosquitto client (MQTT 5, client id = pump id,
 * clean start false, the contract's last will), driven by the caller's libevent loop from ONE
 * thread: the pump watches its socket for reading (and for writing while libmosquitto has
 * something queued); the caller calls mqtt_pump_service() about every tick.
 *
 * What the pump does on the wire:
 *   - online (retained) after every connect; state (retained) after every change of channel
 *     state, rate, alarms, association or program origin, and every heartbeat_ms;
 *   - every core record goes into the unacknowledged queue (it stands for the pump's persistent
 *     log; the simulator keeps it in RAM, at most max_unacked records: at the bound the OLDEST
 *     record is dropped and counted in n_dropped, the server then sees a gap in seq); records are
 *     published in batches of at most MQTT_PUMP_BATCH on connect (all unacknowledged), when new
 *     ones are made, and again from the oldest when resend_ms passes without an event_ack that
 *     frees something; at most MQTT_PUMP_WINDOW records beyond the oldest are out at a time;
 *   - commands (program, associate, time_sync, event_ack) are applied once per cmd_id: the last
 *     MQTT_PUMP_CMD_CACHE cmd_ids are kept with their latest reply, and a repeated cmd_id gets that
 *     reply again, never a second application.
 *
 * Times: pump clock (sim_pump now_ms, the records' time_ms) = start_ms + monotonic ms since
 * mqtt_pump_init; wall clock = CLOCK_REALTIME + the offset of the last time_sync.
 */
#ifndef PUMPD_MQTT_PUMP_H
#define PUMPD_MQTT_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_pump.h"

struct event_base;
struct event;
struct mosquitto;

#define MQTT_PUMP_BATCH 64U       /* records per event message (the contract's maximum) */
#define MQTT_PUMP_WINDOW 1024U    /* records published beyond the oldest unacknowledged one */
#define MQTT_PUMP_CMD_CACHE 256U  /* cmd_ids remembered with their latest reply */
#define MQTT_PUMP_UNACKED_MAX 65536U /* default bound of the unacknowledged queue */
#define MQTT_PUMP_TOPIC_MAX 256U
#define MQTT_PUMP_ID_MAX 64U      /* pump id, cmd_id, order id, patient id */

struct mqtt_pump;

/* What an accepted program command was, for the host's nurse (fleet) or display (panel). */
struct mqtt_pump_program_info {
    const char *cmd_id;
    const char *order_id;    /* "" when the order named none */
    const char *drug_name;   /* the order's, else the library entry's display name; "" none */
    const char *outcome;     /* the pump's DERS verdict: "ACCEPT", "SOFT_HIGH" ... */
    const char *limit;       /* "" when none */
    bool is_soft;            /* SOFT_LOW or SOFT_HIGH: confirming needs a reason */
};

typedef void (*mqtt_pump_program_fn)(void *arg, struct mqtt_pump *mp,
                                     const struct mqtt_pump_program_info *info);
/* The server acknowledged every record up to upto_seq (the host may persist it). */
typedef void (*mqtt_pump_ack_fn)(void *arg, struct mqtt_pump *mp, uint64_t upto_seq);

struct mqtt_pump_config {
    const char *host;         /* broker (borrowed, must outlive the pump) */
    int port;
    const char *topic_prefix; /* "infusion/v1" */
    uint64_t heartbeat_ms;    /* state heartbeat while connected */
    uint64_t resend_ms;       /* resend from the oldest unacknowledged record after this */
    size_t max_unacked;       /* 0: MQTT_PUMP_UNACKED_MAX */
    const char *model;        /* "pumpd-sim" */
    mqtt_pump_program_fn on_program; /* called after a program command was accepted; may be NULL */
    mqtt_pump_ack_fn on_ack;         /* may be NULL */
    void *arg;                       /* of on_program and on_ack */
    sim_pump_sink next_sink;  /* every record is also handed here (the panel prints); may be NULL */
    void *next_arg;
    bool quiet;               /* no stderr line per connect/disconnect (a fleet of thousands) */
};

/* Counters (since init). */
struct mqtt_pump_stats {
    uint64_t n_made;        /* records queued */
    uint64_t n_published;   /* records published, resends included */
    uint64_t n_acked;       /* records freed by event_ack */
    uint64_t n_dropped;     /* records dropped at the queue's bound */
    uint64_t n_resends;     /* times the queue was published again from its oldest record */
    uint64_t n_cmds;        /* command messages received */
    uint64_t n_dup_cmds;    /* of which a repeated cmd_id (answered from the cache) */
    uint64_t n_bad_cmds;    /* of which malformed / unknown / unusable */
    uint64_t n_connects;    /* successful connections */
};

struct mqtt_rec {
    struct pump_log_record r;
    uint64_t wall_ms;
    char *origin; /* program records of a program command: "cmd_id\0order_id" (malloc'd) */
};

struct mqtt_cmd_entry {
    char cmd_id[MQTT_PUMP_ID_MAX + 1];
    char *reply; /* the latest reply (malloc'd JSON text); NULL: the command has none */
};

struct mqtt_pump_assoc {
    bool has_patient;
    char patient_id[MQTT_PUMP_ID_MAX + 1];
    char weight_kg[32]; /* decimal text, "" unknown */
    char bsa_m2[32];
    bool has_area;
    char care_area[PUMP_ID_MAX + 1];
};

/* The signature of what a state snapshot shows, to publish on change only. */
struct mqtt_pump_sig {
    uint8_t state;
    uint64_t rate_nl_per_h;
    uint32_t alarm_active;
    uint32_t alarm_quiet; /* silenced or acknowledged */
    uint32_t gen;         /* association / program origin / time_sync changes */
};

/* Read-only for callers except where noted. */
struct mqtt_pump {
    struct mqtt_pump_config cfg;
    struct sim_pump pump;
    char id[MQTT_PUMP_ID_MAX + 1];
    char t_online[MQTT_PUMP_TOPIC_MAX];
    char t_state[MQTT_PUMP_TOPIC_MAX];
    char t_event[MQTT_PUMP_TOPIC_MAX];
    char t_cmd[MQTT_PUMP_TOPIC_MAX];
    char t_reply[MQTT_PUMP_TOPIC_MAX];

    /* network */
    struct event_base *base;
    struct mosquitto *mosq;
    struct event *ev_read;
    struct event *ev_write;
    bool write_added;
    int sock;               /* the socket the events watch; -1 none */
    bool connected;         /* CONNACK received, not lost since */
    bool lost;              /* the connection went away inside a callback: handled by service */
    uint64_t next_connect_ms;
    uint64_t backoff_ms;
    uint64_t next_misc_ms;
    uint64_t rng;

    /* clocks */
    uint64_t mono_start_ms;
    uint64_t start_ms;
    int64_t wall_offset_ms;

    /* unacknowledged records: q[q_head .. q_head + q_count) in seq order */
    struct mqtt_rec *q;
    size_t q_cap;
    size_t q_head;
    size_t q_count;
    uint64_t sent_upto;      /* highest seq published since the last (re)send from the oldest */
    uint64_t last_progress_ms;
    bool warned_full;
    const char *origin_now;  /* set while a program command runs: its "cmd_id\0order_id" */
    size_t origin_len;

    /* commands */
    struct mqtt_cmd_entry *cmds; /* ring of MQTT_PUMP_CMD_CACHE, allocated on first use */
    size_t n_cmds;
    size_t i_cmd_next;

    /* the program a command put on the channel */
    bool has_origin;
    char origin_cmd_id[MQTT_PUMP_ID_MAX + 1];
    char origin_order_id[MQTT_PUMP_ID_MAX + 1];
    char origin_drug[MQTT_PUMP_ID_MAX + 1];
    bool awaiting;           /* accepted, confirmed/declined not yet replied */
    char awaiting_outcome[24];
    char awaiting_limit[24];
    bool saw_confirm;        /* the channel left PROGRAMMED by CONFIRM (sink) */
    bool saw_leave;          /* ... or any other way */
    bool saw_override;
    uint8_t override_reason;
    uint8_t override_text_len;
    char override_text[PUMP_LOG_TEXT_MAX];

    struct mqtt_pump_assoc assoc; /* may be set by the host before the first service */
    uint32_t gen;                 /* bump (host too) when the snapshot must be republished */
    struct mqtt_pump_sig last_sig;
    bool has_sig;
    uint64_t next_heartbeat_ms;

    struct mqtt_pump_stats st;
    char error[600];
};

/* mosquitto_lib_init / _cleanup, once per process. */
bool mqtt_pump_lib_init(void);
void mqtt_pump_lib_cleanup(void);

/* Milliseconds of CLOCK_MONOTONIC / CLOCK_REALTIME. */
uint64_t mqtt_pump_mono_ms(void);
uint64_t mqtt_pump_real_ms(void);

/*
 * mqtt_pump_init - power the pump on (sim_pump_init with pc, its sink replaced by the pump's own:
 * pc->sink becomes cfg->next_sink if that is NULL) at pump clock start_ms, log continuing at
 * next_seq, and create its MQTT client (not connected yet: the first mqtt_pump_service
 * connects). mp must stay at the same address until mqtt_pump_close. false with mp->error; then
 * mqtt_pump_close is still safe and needed.
 */
bool mqtt_pump_init(struct mqtt_pump *mp, const struct mqtt_pump_config *cfg,
                    const struct sim_pump_config *pc, struct event_base *base, uint64_t start_ms,
                    uint64_t next_seq, bool was_interrupted);

/* Put a record read back from a persistent log into the unacknowledged queue (before the first
 * service; records in seq order). */
void mqtt_pump_requeue(struct mqtt_pump *mp, const struct pump_log_record *r, uint64_t wall_ms);

/*
 * mqtt_pump_service - everything periodic, at monotonic time now_ms: advance the pump clock,
 * (re)connect when due, keepalive, answer confirm/decline of a command's program, publish
 * state on change and heartbeat, publish new records, resend when resend_ms passed. Call it
 * every tick and right after the host sent the pump a command.
 */
void mqtt_pump_service(struct mqtt_pump *mp, uint64_t now_ms);

/* One message of the pump's cmd topic (what the broker delivers), at monotonic time now_ms: the
 * pump clock is advanced, then the command is checked and applied or refused (docs/pumpd-broker.md).
 * Public for the fuzz target; replies go out only when connected. */
void mqtt_pump_command(struct mqtt_pump *mp, const char *payload, size_t len, uint64_t now_ms);

/* The pump's wall clock now (ms since 1970, time_sync applied). */
uint64_t mqtt_pump_wall_ms(const struct mqtt_pump *mp);

/* The pump clock at monotonic time now_ms. */
uint64_t mqtt_pump_clock_ms(const struct mqtt_pump *mp, uint64_t now_ms);

/* Whether the channel's program came from a program command (a server order). */
bool mqtt_pump_has_origin(const struct mqtt_pump *mp);

/*
 * mqtt_pump_close - a clean stop when connected: publish online=false (retained), disconnect
 * (the broker does not send the will), wait up to wait_ms for it to be written; then free
 * everything. Safe on a half-initialised pump and twice.
 */
void mqtt_pump_close(struct mqtt_pump *mp, uint64_t wait_ms);

/* ---- the commands built on it (cmd_broker_fleet.c, cmd_broker_panel.c) --------------------- */

/* pumpd fleet --broker ...: whole command (argv after "fleet"). */
int pd_cmd_fleet_broker(int argc, char *const *argv);
/* Whether argv (after "fleet") asks for broker mode. */
bool pd_fleet_wants_broker(int argc, char *const *argv);

/* pumpd panel --broker: the panel's network side. */
struct broker_panel;

/*
 * broker_panel_open - connect the panel's pump to the broker ("HOST:PORT") under topic_prefix:
 * inits the pump through mqtt_pump_init (pc->sink keeps printing), with dd (or NULL) to requeue
 * the records the server has not acknowledged (DIR/acked_seq keeps the acknowledged seq).
 * NULL after printing why on stderr.
 */
struct broker_panel *broker_panel_open(const char *broker, const char *topic_prefix,
                                       uint64_t resend_ms, const char *care_area,
                                       const struct sim_pump_config *pc, struct datadir *dd,
                                       uint64_t start_ms, uint64_t next_seq, bool interrupted);
/* The pump the panel drives. */
struct sim_pump *broker_panel_pump(struct broker_panel *bp);
/* One line of stdin (without its newline) while the pump serves the network; false at EOF. */
bool broker_panel_read_line(struct broker_panel *bp, char *line, size_t cap);
/* Let ms of real time pass while serving the network. */
void broker_panel_wait(struct broker_panel *bp, uint64_t ms);
/* After a panel command: bring the clock up to now and publish what changed. Call before and
 * after every command. */
void broker_panel_sync(struct broker_panel *bp);
/* A clean stop (online=false) and free. Safe with NULL. */
void broker_panel_close(struct broker_panel *bp);

#endif
