/*
 * store_internal.h - what store.c (URL dispatch, argument checks, the audit record's hash) shares
 * with the backends (store_sqlite.c; store_pg.c later). Not for callers: include store.h.
 * Tests may include it (migration and audit white-box tests).
 */
#ifndef OI_STORE_INTERNAL_H
#define OI_STORE_INTERNAL_H

#include "store.h"

#include <stdarg.h>

/* Hex SHA-256 digest plus its terminator. */
#define STORE_HASH_HEX_BYTES 65U

enum store_backend { STORE_BACKEND_SQLITE = 1, STORE_BACKEND_PG };

struct store_lite; /* store_sqlite.c */
struct store_pg;   /* store_pg.c */

struct store {
    enum store_backend backend;
    int schema_version;
    struct store_lite *lite;
    struct store_pg *pg;
    char err[512];
};

/* Formats the store's last error (store_errmsg); returns STORE_ERR for `return store__fail(…)`. */
store_status store__fail(struct store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The audit chain's record hash: hex SHA-256 of the 32 bytes that prev_hex spells followed by
 * the canonical text of the record (store__audit_text). prev_hex is 64 hex digits; the first
 * record's prev_hex is 64 zeros. STORE_ERR (message in s) when prev_hex is not 64 hex digits or
 * OpenSSL fails.
 */
store_status store__audit_hash(struct store *s, const char *prev_hex, int64_t id, const char *actor,
                               const char *action, const char *detail, int64_t at_ms,
                               char out_hex[STORE_HASH_HEX_BYTES]);

/* SQLite backend (store_sqlite.c). Arguments were checked by store.c. max_version caps the
 * migrations applied (tests build an old schema with it); INT32_MAX: all of them. */
store_status store__lite_open(struct store *s, const char *path, int max_version);
void store__lite_close(struct store *s);
int store__lite_known_version(void);
/* 0 begin, 1 commit, 2 rollback, 3 begin bookkeeping (store_begin_bookkeeping) */
store_status store__lite_exec_named(struct store *s, int which);
/* The connection's commit durability as the backend names it (SQLite PRAGMA synchronous: "2"
 * FULL, "1" NORMAL; PostgreSQL synchronous_commit: "on", "off"); for tests. */
store_status store__lite_sync_setting(struct store *s, char *out, size_t cap);
store_status store__pg_sync_setting(struct store *s, char *out, size_t cap);
store_status store__lite_pump_touch(struct store *s, const char *pump_id, int64_t now_ms);
store_status store__lite_pump_set_online(struct store *s, const char *pump_id, bool online,
                                         int64_t now_ms);
store_status store__lite_pump_set_state(struct store *s, const char *pump_id,
                                        const char *state_json, const char *care_area,
                                        const char *patient_id, int64_t now_ms);
store_status store__lite_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq);
store_status store__lite_event_add(struct store *s, const struct store_event *e);
json_t *store__lite_events_query(struct store *s, const struct store_event_filter *f);
store_status store__lite_patient_seen(struct store *s, const char *patient_id, const char *family,
                                      const char *given, int64_t now_ms);
store_status store__lite_order_add(struct store *s, const struct store_order *o, int64_t *order_id);
store_status store__lite_order_status_add(struct store *s, int64_t order_id, const char *status,
                                          const char *detail, int64_t now_ms);
json_t *store__lite_orders_query(struct store *s, const char *pump_id, size_t limit);
store_status store__lite_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                                     const char *type, int64_t order_id, const char *json,
                                     int64_t now_ms);
store_status store__lite_reply_add(struct store *s, const char *cmd_id, const char *result,
                                   const char *json, int64_t now_ms);
store_status store__lite_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                       char *pump_id, size_t pump_id_cap);
json_t *store__lite_commands_open(struct store *s);
store_status store__lite_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                       const char *user, int64_t now_ms);
store_status store__lite_outbox_add(struct store *s, const char *dest, const char *control_id,
                                    const char *kind, const char *message, size_t len,
                                    int64_t now_ms, int64_t *id);
store_status store__lite_outbox_head(struct store *s, const char *dest,
                                     struct store_outbox_msg *out);
store_status store__lite_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms,
                                      const char *why);
store_status store__lite_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                      const char *ack_text, int64_t now_ms);
json_t *store__lite_outbox_depths(struct store *s);
store_status store__lite_audit_add(struct store *s, const char *actor, const char *action,
                                   const char *detail, int64_t now_ms);
store_status store__lite_audit_verify(struct store *s, uint64_t *rows);

/* PostgreSQL backend (store_pg.c): the same contract. */
store_status store__pg_open(struct store *s, const char *url, int max_version);
void store__pg_close(struct store *s);
int store__pg_known_version(void);
store_status store__pg_exec_named(struct store *s, int which); /* as store__lite_exec_named */
store_status store__pg_pump_touch(struct store *s, const char *pump_id, int64_t now_ms);
store_status store__pg_pump_set_online(struct store *s, const char *pump_id, bool online,
                                       int64_t now_ms);
store_status store__pg_pump_set_state(struct store *s, const char *pump_id, const char *state_json,
                                      const char *care_area, const char *patient_id,
                                      int64_t now_ms);
store_status store__pg_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq);
store_status store__pg_event_add(struct store *s, const struct store_event *e);
json_t *store__pg_events_query(struct store *s, const struct store_event_filter *f);
store_status store__pg_patient_seen(struct store *s, const char *patient_id, const char *family,
                                    const char *given, int64_t now_ms);
store_status store__pg_order_add(struct store *s, const struct store_order *o, int64_t *order_id);
store_status store__pg_order_status_add(struct store *s, int64_t order_id, const char *status,
                                        const char *detail, int64_t now_ms);
json_t *store__pg_orders_query(struct store *s, const char *pump_id, size_t limit);
store_status store__pg_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                                   const char *type, int64_t order_id, const char *json,
                                   int64_t now_ms);
store_status store__pg_reply_add(struct store *s, const char *cmd_id, const char *result,
                                 const char *json, int64_t now_ms);
store_status store__pg_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                     char *pump_id, size_t pump_id_cap);
json_t *store__pg_commands_open(struct store *s);
store_status store__pg_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                     const char *user, int64_t now_ms);
store_status store__pg_outbox_add(struct store *s, const char *dest, const char *control_id,
                                  const char *kind, const char *message, size_t len, int64_t now_ms,
                                  int64_t *id);
store_status store__pg_outbox_head(struct store *s, const char *dest, struct store_outbox_msg *out);
store_status store__pg_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms,
                                    const char *why);
store_status store__pg_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                    const char *ack_text, int64_t now_ms);
json_t *store__pg_outbox_depths(struct store *s);
store_status store__pg_audit_add(struct store *s, const char *actor, const char *action,
                                 const char *detail, int64_t now_ms);
store_status store__pg_audit_verify(struct store *s, uint64_t *rows);

/* store_open with a cap on the migrations applied (tests only; see store__lite_open). */
struct store *store__open_max(const char *url, int max_version, char *err, size_t err_cap);

#endif
