/*
 * store.h - infusiond's repository: every durable record of the server behind one interface, so
 * that SQLite (the embedded default, store_sqlite.c) and PostgreSQL (a later store_pg.c) are
 * interchangeable without touching callers.
 *
 * Model:
 *   - The caller groups writes in transactions (store_begin .. store_commit). infusiond commits a
 *     batch of work at a time (group commit) and acts on it (event_ack, ACK^O15, SSE) only after
 *     store_commit returned STORE_OK.
 *   - Clinical records (events, orders, order_status, programs, replies, alarm_acks, audit) are
 *     append-only: there is no update or delete for them. Mutable rows are only bookkeeping: the
 *     pump registry (presence, last snapshot) and the outbox's delivery state.
 *   - Times are UNIX milliseconds (int64). Ids are text. JSON columns hold compact JSON text.
 *   - Every function returns a store_status; on STORE_ERR the store's last error text says why
 *     (store_errmsg). A failing call inside a transaction leaves the transaction open: the
 *     caller rolls it back.
 *   - Not thread-safe: one store per thread.
 */
#ifndef OI_STORE_H
#define OI_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef enum {
    STORE_OK = 0,
    STORE_DUPLICATE, /* the unique key exists already: nothing was written */
    STORE_NOT_FOUND,
    STORE_ERR /* see store_errmsg */
} store_status;

struct store;

/*
 * store_open - url is "sqlite:PATH", a plain PATH (SQLite), or "postgresql://…" / "postgres://…"
 * (libpq connection URI; synchronous_commit on).
 * Opens or creates the database and applies every pending numbered migration (each in its own
 * transaction, recorded in schema_migrations). SQLite: WAL, synchronous=FULL, foreign keys on,
 * busy timeout 5 s. Returns NULL with err filled on failure.
 */
struct store *store_open(const char *url, char *err, size_t err_cap);
void store_close(struct store *s);
const char *store_errmsg(const struct store *s);
/* The schema version after open (number of the last migration applied). */
int store_schema_version(struct store *s);

store_status store_begin(struct store *s);
/* A transaction for bookkeeping only (the outbox's delivery state), ended by store_commit or
 * store_rollback like any other. Its commit does not wait for the disk: it survives a crash of
 * the process, and a power loss can undo it only until the next ordinary commit, which makes it
 * durable too (SQLite: WAL with synchronous=NORMAL for this commit; PostgreSQL: SET LOCAL
 * synchronous_commit = off). An undone delivery mark means one message sent again under the same
 * MSH-10, which its receiver recognizes as a repeat. Never for clinical records. */
store_status store_begin_bookkeeping(struct store *s);
store_status store_commit(struct store *s);
store_status store_rollback(struct store *s);

/* ---- pumps (bookkeeping) --------------------------------------------------------------------- */

/* Registers the pump on first contact (first_seen_ms = now_ms), updates last_seen_ms (never
 * backwards). set_online and set_state also register a pump they do not know. */
store_status store_pump_touch(struct store *s, const char *pump_id, int64_t now_ms);
store_status store_pump_set_online(struct store *s, const char *pump_id, bool online,
                                   int64_t now_ms);
/* The last state snapshot (compact JSON text) with its care area and patient id (NULL: none). */
store_status store_pump_set_state(struct store *s, const char *pump_id, const char *state_json,
                                  const char *care_area, const char *patient_id, int64_t now_ms);
/* The highest seq stored for the pump (0 when none; seqs start at 1). */
store_status store_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq);

/* ---- pump events (clinical, append-only) ------------------------------------------------------
 */

struct store_event {
    const char *pump_id;
    uint64_t seq;
    uint64_t time_ms;    /* the pump's monotonic clock */
    int64_t wall_ms;     /* the pump's wall clock */
    int64_t received_ms; /* the server's clock */
    const char *type;    /* "state", "alarm", … (scenario-format.md) */
    uint32_t channel;
    const char *patient_id; /* the pump's association when received; NULL: none */
    const char *json;       /* the record as received */
};
/* STORE_DUPLICATE when (pump_id, seq) is stored already (nothing written). STORE_ERR when json
 * is not a JSON object or seq is 0 or above INT64_MAX. */
store_status store_event_add(struct store *s, const struct store_event *e);

struct store_event_filter {
    const char *pump_id;    /* NULL: any */
    const char *patient_id; /* NULL: any */
    const char *type;       /* NULL: any */
    int64_t from_wall_ms;   /* inclusive; INT64_MIN: open */
    int64_t to_wall_ms;     /* exclusive; INT64_MAX: open */
    size_t limit;           /* 0: 1000 */
};
/* A new JSON array of the events' JSON objects (received order, oldest first: the oldest
 * `limit` matching events), or NULL. */
json_t *store_events_query(struct store *s, const struct store_event_filter *f);

/* ---- patients (minimal) -----------------------------------------------------------------------
 */

/* Inserts the patient when unknown (id, family, given as first seen); never changes a row:
 * STORE_DUPLICATE when the patient is known already. */
store_status store_patient_seen(struct store *s, const char *patient_id, const char *family,
                                const char *given, int64_t now_ms);

/* ---- orders (clinical, append-only) ------------------------------------------------------------
 */

struct store_order {
    const char *sender;     /* MSH-3 namespace of the ordering system */
    const char *control_id; /* MSH-10: unique per sender */
    const char *placer_id;  /* ORC-2 */
    const char *pump_id;    /* "" when the order named none */
    const char *patient_id; /* "" when none */
    const char *drug;       /* RXG-4 id^text as received */
    const char *raw;        /* the message as received (HL7 text) */
    int64_t received_ms;
};
/* STORE_DUPLICATE when (sender, control_id) exists; *order_id is then the existing row's id. */
store_status store_order_add(struct store *s, const struct store_order *o, int64_t *order_id);
/* The order's life: received, accepted, rejected, sent_to_pump, confirmed, declined … with a
 * detail text (PIV code and sentence). Append-only; the latest row is the current status.
 * STORE_NOT_FOUND when order_id is unknown. */
store_status store_order_status_add(struct store *s, int64_t order_id, const char *status,
                                    const char *detail, int64_t now_ms);
/* JSON array of orders with their latest status, newest first, at most limit (0: 1000); pump_id
 * NULL: every pump. Each {order_id, sender, control_id, placer_id, pump_id, patient_id, drug,
 * received_ms, status, status_detail, status_ms} (status fields null before the first status). */
json_t *store_orders_query(struct store *s, const char *pump_id, size_t limit);

/* ---- commands to pumps and their replies -------------------------------------------------------
 */

/* A command sent to a pump (cmd_id unique; STORE_DUPLICATE otherwise). order_id 0: none;
 * STORE_NOT_FOUND when order_id is not 0 and unknown. json: a JSON object. */
store_status store_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                               const char *type, int64_t order_id, const char *json,
                               int64_t now_ms);
/* A reply (append-only; the same result twice for one cmd_id is STORE_DUPLICATE;
 * STORE_NOT_FOUND when cmd_id is unknown). json: a JSON object. */
store_status store_reply_add(struct store *s, const char *cmd_id, const char *result,
                             const char *json, int64_t now_ms);
/* The order a command was sent for (STORE_NOT_FOUND when the cmd_id is unknown). */
store_status store_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                 char *pump_id, size_t pump_id_cap);
/* Commands not yet finally answered, oldest first, as a JSON array of {cmd_id, pump_id, type,
 * json, created_ms} - resent after a restart. A "program" is finally answered by a confirmed,
 * declined or rejected reply ("accepted" waits for the clinician); any other type by any reply. */
json_t *store_commands_open(struct store *s);

/* ---- alarms at the nurse station --------------------------------------------------------------
 */

/* An acknowledgement at the nurse station of the alarm raised by record (pump_id, raised_seq).
 * STORE_NOT_FOUND when that event is not stored; STORE_DUPLICATE when it is acknowledged already
 * (the first acknowledgement is kept). */
store_status store_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                 const char *user, int64_t now_ms);

/* ---- outbox (EHR-bound HL7, durable) ------------------------------------------------------------
 */

struct store_outbox_msg {
    int64_t id;          /* assigned by store_outbox_add; increasing */
    char dest[64];       /* destination name ("doc", "alarm:1", "iop") */
    char control_id[64]; /* MSH-10 of the message */
    char kind[16];       /* "pcd01", "pcd10", "pcd04", "rrg_o16" */
    char *message;       /* malloc'd HL7 text (store_outbox_msg_free) */
    size_t message_len;
    uint32_t attempts;
    int64_t next_try_ms;
    int64_t created_ms;
};
/* Queue a message (in the caller's transaction). control_id unique: STORE_DUPLICATE. dest,
 * control_id and kind must fit their fields in store_outbox_msg (STORE_ERR otherwise). */
store_status store_outbox_add(struct store *s, const char *dest, const char *control_id,
                              const char *kind, const char *message, size_t len, int64_t now_ms,
                              int64_t *id);
/* The oldest unacknowledged message of dest (STORE_NOT_FOUND when none). */
store_status store_outbox_head(struct store *s, const char *dest, struct store_outbox_msg *out);
/* A failed attempt: attempts+1, the time of the next try and why. For this and
 * store_outbox_acked: STORE_NOT_FOUND for an unknown id, STORE_DUPLICATE when it is acknowledged
 * already (nothing changed). */
store_status store_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms, const char *why);
/* Acknowledged (MSA-1 and the whole ACK kept). The message leaves the queue. */
store_status store_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                const char *ack_text, int64_t now_ms);
/* Unacknowledged messages per destination: JSON object {"dest": count, …}; destinations with
 * nothing pending are absent. */
json_t *store_outbox_depths(struct store *s);
void store_outbox_msg_free(struct store_outbox_msg *m);

/* ---- audit (append-only, hash-chained) --------------------------------------------------------
 */

/* Appends {actor, action, detail, time} with hash = SHA-256(previous hash || this record). */
store_status store_audit_add(struct store *s, const char *actor, const char *action,
                             const char *detail, int64_t now_ms);
/* Recomputes the chain: STORE_OK when intact, STORE_ERR naming the first bad row otherwise. */
store_status store_audit_verify(struct store *s, uint64_t *rows);

#endif
