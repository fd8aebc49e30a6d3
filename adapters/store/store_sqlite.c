/*
 * store_sqlite.c - the repository on SQLite (contract: store.h; schema and rules:
 * docs/storage.md). Statements are prepared once per store, on first use, and reset after each
 * call: infusiond writes thousands of events a second and must not re-parse SQL for each.
 */
#include "store_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

/* ---- migrations ---------------------------------------------------------------------------- */

/*
 * Numbered migrations, applied in order, each in its own transaction and recorded in
 * schema_migrations. A released migration is never edited: a change is a new migration.
 */
struct migration {
    const char *const *sql; /* NULL-terminated */
};

static const char *const m1_tables[] = {
    /* Bookkeeping (mutable): the pump registry, presence and last snapshot. */
    "CREATE TABLE pumps ("
    " pump_id TEXT PRIMARY KEY,"
    " first_seen_ms INTEGER NOT NULL,"
    " last_seen_ms INTEGER NOT NULL,"
    " online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),"
    " online_changed_ms INTEGER,"
    " state_json TEXT,"
    " care_area TEXT,"
    " patient_id TEXT,"
    " state_ms INTEGER)",
    "CREATE TABLE patients ("
    " patient_id TEXT PRIMARY KEY,"
    " family TEXT,"
    " given TEXT,"
    " first_seen_ms INTEGER NOT NULL)",
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " pump_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL CHECK (seq > 0),"
    " time_ms INTEGER NOT NULL,"
    " wall_ms INTEGER NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " type TEXT NOT NULL,"
    " channel INTEGER NOT NULL,"
    " patient_id TEXT,"
    " json TEXT NOT NULL,"
    " UNIQUE (pump_id, seq))",
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY,"
    " sender TEXT NOT NULL,"
    " control_id TEXT NOT NULL,"
    " placer_id TEXT NOT NULL,"
    " pump_id TEXT NOT NULL,"
    " patient_id TEXT NOT NULL,"
    " drug TEXT NOT NULL,"
    " raw TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " UNIQUE (sender, control_id))",
    "CREATE TABLE order_status ("
    " id INTEGER PRIMARY KEY,"
    " order_id INTEGER NOT NULL REFERENCES orders (id),"
    " status TEXT NOT NULL,"
    " detail TEXT,"
    " at_ms INTEGER NOT NULL)",
    "CREATE TABLE commands ("
    " id INTEGER PRIMARY KEY,"
    " cmd_id TEXT NOT NULL UNIQUE,"
    " pump_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " order_id INTEGER REFERENCES orders (id),"
    " json TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL)",
    "CREATE TABLE replies ("
    " id INTEGER PRIMARY KEY,"
    " cmd_id TEXT NOT NULL REFERENCES commands (cmd_id),"
    " result TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " received_ms INTEGER NOT NULL,"
    " UNIQUE (cmd_id, result))",
    "CREATE TABLE alarm_acks ("
    " id INTEGER PRIMARY KEY,"
    " pump_id TEXT NOT NULL,"
    " raised_seq INTEGER NOT NULL,"
    " acked_by TEXT NOT NULL,"
    " acked_ms INTEGER NOT NULL,"
    " UNIQUE (pump_id, raised_seq),"
    " FOREIGN KEY (pump_id, raised_seq) REFERENCES events (pump_id, seq))",
    /* The message and its identity are fixed; attempts, next try and the ACK are delivery state. */
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY,"
    " dest TEXT NOT NULL,"
    " control_id TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL,"
    " message TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_try_ms INTEGER NOT NULL,"
    " last_error TEXT,"
    " acked_ms INTEGER,"
    " ack_code TEXT,"
    " ack_text TEXT)",
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL,"
    " prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL)",
    /* Read-only views named as the issue names the records. */
    "CREATE VIEW programs AS"
    " SELECT cmd_id, pump_id, order_id, json, created_ms FROM commands WHERE type = 'program'",
    "CREATE VIEW alarms AS"
    " SELECT e.id, e.pump_id, e.seq, e.wall_ms, e.type, e.channel, e.patient_id, e.json,"
    " a.acked_by, a.acked_ms"
    " FROM events e LEFT JOIN alarm_acks a ON a.pump_id = e.pump_id AND a.raised_seq = e.seq"
    " WHERE e.type LIKE 'alarm%'",
    NULL};

/* Clinical records are append-only in the database too, whatever program writes to it. */
#define APPEND_ONLY(t)                                                                             \
    "CREATE TRIGGER " t "_no_update BEFORE UPDATE ON " t " BEGIN SELECT RAISE(ABORT, '" t          \
    " is append-only'); END",                                                                      \
        "CREATE TRIGGER " t "_no_delete BEFORE DELETE ON " t " BEGIN SELECT RAISE(ABORT, '" t      \
        " is append-only'); END"

static const char *const m2_append_only[] = {
    APPEND_ONLY("events"),
    APPEND_ONLY("patients"),
    APPEND_ONLY("orders"),
    APPEND_ONLY("order_status"),
    APPEND_ONLY("commands"),
    APPEND_ONLY("replies"),
    APPEND_ONLY("alarm_acks"),
    APPEND_ONLY("audit"),
    "CREATE TRIGGER outbox_fixed BEFORE UPDATE OF id, dest, control_id, kind, message,"
    " created_ms ON outbox BEGIN SELECT RAISE(ABORT, 'an outbox message is fixed'); END",
    "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox"
    " BEGIN SELECT RAISE(ABORT, 'outbox rows are kept'); END",
    NULL};

static const char *const m3_indexes[] = {
    /* events by pump use UNIQUE (pump_id, seq); by patient and by wall time: */
    "CREATE INDEX events_patient_wall ON events (patient_id, wall_ms)"
    " WHERE patient_id IS NOT NULL",
    "CREATE INDEX events_wall ON events (wall_ms)",
    "CREATE INDEX order_status_order ON order_status (order_id, id)",
    "CREATE INDEX orders_pump ON orders (pump_id, id)",
    "CREATE INDEX commands_created ON commands (created_ms)",
    "CREATE INDEX outbox_pending ON outbox (dest, id) WHERE acked_ms IS NULL",
    NULL};

/* Channels as the last snapshot of each pump lists them (pump protocol "state"): a view, so the
 * table can never disagree with the snapshot it comes from. */
static const char *const m4_channels[] = {
    "CREATE VIEW channels AS"
    " SELECT p.pump_id,"
    " CAST(json_extract(c.value, '$.channel') AS INTEGER) AS channel,"
    " json_extract(c.value, '$.state') AS state,"
    " json_extract(c.value, '$.mode') AS mode,"
    " json_extract(c.value, '$.entry') AS entry,"
    " json_extract(c.value, '$.drug_name') AS drug_name,"
    " json_extract(c.value, '$.order_id') AS order_id,"
    " json_extract(c.value, '$.rate_nl_per_h') AS rate_nl_per_h,"
    " json_extract(c.value, '$.vtbi_remaining_nl') AS vtbi_remaining_nl,"
    " json_extract(c.value, '$.channel_volume_nl') AS channel_volume_nl,"
    " p.patient_id, p.care_area, p.state_ms"
    " FROM pumps p, json_each(p.state_json, '$.channels') c"
    " WHERE p.state_json IS NOT NULL",
    NULL};

static const struct migration migrations[] = {
    {m1_tables},
    {m2_append_only},
    {m3_indexes},
    {m4_channels},
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

int store__lite_known_version(void)
{
    return N_MIGRATIONS;
}

/* ---- statements ---------------------------------------------------------------------------- */

enum lite_stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_PUMP_TOUCH,
    ST_PUMP_ONLINE,
    ST_PUMP_STATE,
    ST_PUMP_LAST_SEQ,
    ST_EVENT_ADD,
    ST_PATIENT_SEEN,
    ST_ORDER_ADD,
    ST_ORDER_FIND,
    ST_ORDER_STATUS_ADD,
    ST_ORDERS_ALL,
    ST_ORDERS_PUMP,
    ST_COMMAND_ADD,
    ST_REPLY_ADD,
    ST_COMMAND_ORDER,
    ST_COMMANDS_OPEN,
    ST_ALARM_ACK_ADD,
    ST_OUTBOX_ADD,
    ST_OUTBOX_HEAD,
    ST_OUTBOX_RETRY,
    ST_OUTBOX_ACKED,
    ST_OUTBOX_STATE,
    ST_OUTBOX_DEPTHS,
    ST_AUDIT_LAST,
    ST_AUDIT_ADD,
    ST_AUDIT_ALL,
    /* events query: one statement per combination of the pump/patient/type filters (bit 0
     * pump, bit 1 patient, bit 2 type), so each can use its index. */
    ST_EVENTS_Q0,
    ST_COUNT = ST_EVENTS_Q0 + 8
};

#define ORDER_COLS                                                                                 \
    "SELECT o.id, o.sender, o.control_id, o.placer_id, o.pump_id, o.patient_id, o.drug,"           \
    " o.received_ms, s.status, s.detail, s.at_ms FROM orders o"                                    \
    " LEFT JOIN order_status s ON s.id ="                                                          \
    " (SELECT MAX(id) FROM order_status WHERE order_id = o.id)"

static const char *const lite_sql[ST_EVENTS_Q0] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_PUMP_TOUCH] = "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?2)"
                      " ON CONFLICT (pump_id) DO UPDATE SET last_seen_ms = MAX(last_seen_ms, ?2)",
    [ST_PUMP_ONLINE] =
        "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms, online, online_changed_ms)"
        " VALUES (?1, ?2, ?2, ?3, ?2) ON CONFLICT (pump_id) DO UPDATE SET"
        " last_seen_ms = MAX(last_seen_ms, ?2), online = ?3, online_changed_ms = ?2",
    [ST_PUMP_STATE] =
        "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms, state_json, care_area,"
        " patient_id, state_ms) VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?2)"
        " ON CONFLICT (pump_id) DO UPDATE SET last_seen_ms = MAX(last_seen_ms, ?2),"
        " state_json = ?3, care_area = ?4, patient_id = ?5, state_ms = ?2",
    [ST_PUMP_LAST_SEQ] = "SELECT MAX(seq) FROM events WHERE pump_id = ?1",
    [ST_EVENT_ADD] =
        "INSERT INTO events (pump_id, seq, time_ms, wall_ms, received_ms, type, channel,"
        " patient_id, json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        " ON CONFLICT (pump_id, seq) DO NOTHING",
    [ST_PATIENT_SEEN] = "INSERT INTO patients (patient_id, family, given, first_seen_ms)"
                        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (patient_id) DO NOTHING",
    [ST_ORDER_ADD] =
        "INSERT INTO orders (sender, control_id, placer_id, pump_id, patient_id, drug, raw,"
        " received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        " ON CONFLICT (sender, control_id) DO NOTHING",
    [ST_ORDER_FIND] = "SELECT id FROM orders WHERE sender = ?1 AND control_id = ?2",
    [ST_ORDER_STATUS_ADD] =
        "INSERT INTO order_status (order_id, status, detail, at_ms) VALUES (?1, ?2, ?3, ?4)",
    [ST_ORDERS_ALL] = ORDER_COLS " ORDER BY o.id DESC LIMIT ?1",
    [ST_ORDERS_PUMP] = ORDER_COLS " WHERE o.pump_id = ?2 ORDER BY o.id DESC LIMIT ?1",
    [ST_COMMAND_ADD] = "INSERT INTO commands (cmd_id, pump_id, type, order_id, json, created_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (cmd_id) DO NOTHING",
    [ST_REPLY_ADD] =
        "INSERT INTO replies (cmd_id, result, json, received_ms) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (cmd_id, result) DO NOTHING",
    [ST_COMMAND_ORDER] = "SELECT order_id, pump_id FROM commands WHERE cmd_id = ?1",
    /* A program is finally answered by confirmed/declined/rejected ("accepted" only means it
     * waits for the clinician); any other command by its first reply. */
    [ST_COMMANDS_OPEN] =
        "SELECT c.cmd_id, c.pump_id, c.type, c.json, c.created_ms FROM commands c"
        " WHERE NOT EXISTS (SELECT 1 FROM replies r WHERE r.cmd_id = c.cmd_id AND"
        " (c.type <> 'program' OR r.result IN ('confirmed', 'declined', 'rejected')))"
        " ORDER BY c.created_ms, c.id",
    [ST_ALARM_ACK_ADD] =
        "INSERT INTO alarm_acks (pump_id, raised_seq, acked_by, acked_ms) VALUES (?1, ?2, ?3, ?4)"
        " ON CONFLICT (pump_id, raised_seq) DO NOTHING",
    [ST_OUTBOX_ADD] =
        "INSERT INTO outbox (dest, control_id, kind, message, created_ms, next_try_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (control_id) DO NOTHING",
    [ST_OUTBOX_HEAD] =
        "SELECT id, dest, control_id, kind, message, attempts, next_try_ms, created_ms"
        " FROM outbox WHERE dest = ?1 AND acked_ms IS NULL ORDER BY id LIMIT 1",
    [ST_OUTBOX_RETRY] =
        "UPDATE outbox SET attempts = attempts + 1, next_try_ms = ?2, last_error = ?3"
        " WHERE id = ?1 AND acked_ms IS NULL",
    [ST_OUTBOX_ACKED] = "UPDATE outbox SET acked_ms = ?2, ack_code = ?3, ack_text = ?4"
                        " WHERE id = ?1 AND acked_ms IS NULL",
    [ST_OUTBOX_STATE] = "SELECT acked_ms IS NOT NULL FROM outbox WHERE id = ?1",
    [ST_OUTBOX_DEPTHS] =
        "SELECT dest, COUNT(*) FROM outbox WHERE acked_ms IS NULL GROUP BY dest ORDER BY dest",
    [ST_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [ST_AUDIT_ADD] = "INSERT INTO audit (id, actor, action, detail, at_ms, prev_hash, hash)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_AUDIT_ALL] =
        "SELECT id, actor, action, detail, at_ms, prev_hash, hash FROM audit ORDER BY id",
};

struct store_lite {
    sqlite3 *db;
    sqlite3_stmt *stmts[ST_COUNT];
    bool bookkeeping; /* the open transaction commits with synchronous=NORMAL */
};

/* Records the SQLite error of the last call (code and text) as the store's error. */
static store_status lite_fail(struct store *s, const char *what)
{
    sqlite3 *db = s->lite->db;
    return store__fail(s, "store: %s: %s (SQLite %d)", what, sqlite3_errmsg(db),
                       sqlite3_extended_errcode(db));
}

static void events_query_sql(unsigned combo, char *buf, size_t cap)
{
    (void)snprintf(buf, cap,
                   "SELECT json FROM events WHERE wall_ms >= ?4 AND wall_ms < ?5%s%s%s"
                   " ORDER BY id LIMIT ?6",
                   (combo & 1U) != 0U ? " AND pump_id = ?1" : "",
                   (combo & 2U) != 0U ? " AND patient_id = ?2" : "",
                   (combo & 4U) != 0U ? " AND type = ?3" : "");
}

/* The cached statement, prepared on first use; NULL with the error recorded when that fails. */
static sqlite3_stmt *stmt(struct store *s, enum lite_stmt id)
{
    struct store_lite *l = s->lite;
    char buf[256];
    const char *sql;
    if (l->stmts[id] != NULL) {
        return l->stmts[id];
    }
    if (id >= ST_EVENTS_Q0) {
        events_query_sql((unsigned)(id - ST_EVENTS_Q0), buf, sizeof buf);
        sql = buf;
    } else {
        sql = lite_sql[id];
    }
    if (sqlite3_prepare_v3(l->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &l->stmts[id], NULL) !=
        SQLITE_OK) {
        (void)lite_fail(s, "prepare");
        l->stmts[id] = NULL;
        return NULL;
    }
    return l->stmts[id];
}

/* Ready for the next call; the statement's own error, if any, was already reported by step. */
static void done(sqlite3_stmt *st)
{
    (void)sqlite3_reset(st);
    (void)sqlite3_clear_bindings(st);
}

/* Binders: SQLITE_TRANSIENT copies, because the caller's strings are only borrowed. */
static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return (v == NULL) ? sqlite3_bind_null(st, i)
                       : sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

static int bind_i64(sqlite3_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

/*
 * Runs a write statement to completion. STORE_DUPLICATE when it changed no row (every insert
 * here is "ON CONFLICT DO NOTHING"), STORE_NOT_FOUND on a broken reference (foreign key).
 */
static store_status run_write(struct store *s, sqlite3_stmt *st, int bind_rc, const char *what)
{
    int rc;
    if (bind_rc != SQLITE_OK) {
        done(st);
        return lite_fail(s, what);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        int changed = sqlite3_changes(s->lite->db);
        done(st);
        return (changed == 0) ? STORE_DUPLICATE : STORE_OK;
    }
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        (void)lite_fail(s, what);
        done(st);
        return STORE_NOT_FOUND;
    }
    (void)lite_fail(s, what);
    done(st);
    return STORE_ERR;
}

/* Runs a one-off SQL text (migrations, pragmas). */
static store_status exec_sql(struct store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->lite->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        (void)store__fail(s, "store: %s: %s", sql, msg != NULL ? msg : "?");
        sqlite3_free(msg);
        return STORE_ERR;
    }
    return STORE_OK;
}

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

/* ---- open, migrate, close -------------------------------------------------------------------- */

static store_status schema_version(struct store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(s->lite->db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                           -1, &st, NULL) != SQLITE_OK) {
        return lite_fail(s, "reading the schema version");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlite3_int64 v = sqlite3_column_int64(st, 0);
        *version = (v > INT_MAX || v < 0) ? INT_MAX : (int)v;
    }
    (void)sqlite3_finalize(st);
    return (rc == SQLITE_ROW) ? STORE_OK : lite_fail(s, "reading the schema version");
}

static store_status apply_migration(struct store *s, int version)
{
    const char *const *sql = migrations[version - 1].sql;
    char rec[128];
    if (exec_sql(s, "BEGIN IMMEDIATE") != STORE_OK) {
        return STORE_ERR;
    }
    for (size_t i = 0; sql[i] != NULL; i++) {
        if (exec_sql(s, sql[i]) != STORE_OK) {
            char why[sizeof s->err];
            (void)snprintf(why, sizeof why, "%s", s->err);
            (void)exec_sql(s, "ROLLBACK");
            return store__fail(s, "store: migration %d failed: %s", version, why);
        }
    }
    (void)snprintf(rec, sizeof rec,
                   "INSERT INTO schema_migrations (version, applied_ms) VALUES (%d, %lld)", version,
                   (long long)wall_now_ms());
    if (exec_sql(s, rec) != STORE_OK || exec_sql(s, "COMMIT") != STORE_OK) {
        (void)exec_sql(s, "ROLLBACK");
        return STORE_ERR;
    }
    return STORE_OK;
}

static store_status migrate(struct store *s, int max_version)
{
    int have = 0;
    int want = (max_version < N_MIGRATIONS) ? max_version : N_MIGRATIONS;
    if (exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)") != STORE_OK ||
        schema_version(s, &have) != STORE_OK) {
        return STORE_ERR;
    }
    if (have > N_MIGRATIONS) {
        return store__fail(s,
                           "store: database schema version %d is newer than this build knows "
                           "(%d): upgrade infusiond, do not open it with this one",
                           have, N_MIGRATIONS);
    }
    for (int v = have + 1; v <= want; v++) {
        if (apply_migration(s, v) != STORE_OK) {
            return STORE_ERR;
        }
    }
    s->schema_version = (have > want) ? have : want;
    return STORE_OK;
}

/* Durability and integrity settings; PRAGMA journal_mode answers with the mode it got. */
static store_status configure(struct store *s, const char *path)
{
    sqlite3_stmt *st = NULL;
    bool is_wal = false;
    (void)sqlite3_extended_result_codes(s->lite->db, 1);
    if (sqlite3_busy_timeout(s->lite->db, 5000) != SQLITE_OK) {
        return lite_fail(s, "busy timeout");
    }
    if (sqlite3_prepare_v2(s->lite->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK) {
        return lite_fail(s, "journal_mode");
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        is_wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
    }
    (void)sqlite3_finalize(st);
    if (!is_wal && strcmp(path, ":memory:") != 0) {
        return store__fail(s, "store: %s: SQLite refused WAL journal mode", path);
    }
    return (exec_sql(s, "PRAGMA synchronous=FULL") == STORE_OK &&
            exec_sql(s, "PRAGMA foreign_keys=ON") == STORE_OK)
               ? STORE_OK
               : STORE_ERR;
}

store_status store__lite_open(struct store *s, const char *path, int max_version)
{
    int rc;
    s->lite = calloc(1, sizeof *s->lite);
    if (s->lite == NULL) {
        return store__fail(s, "store: out of memory");
    }
    rc = sqlite3_open_v2(path, &s->lite->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        if (s->lite->db == NULL) {
            return store__fail(s, "store: %s: out of memory opening SQLite", path);
        }
        return store__fail(s, "store: %s: %s", path, sqlite3_errmsg(s->lite->db));
    }
    if (configure(s, path) != STORE_OK || migrate(s, max_version) != STORE_OK) {
        return STORE_ERR;
    }
    return STORE_OK;
}

void store__lite_close(struct store *s)
{
    struct store_lite *l = s->lite;
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < (size_t)ST_COUNT; i++) {
        (void)sqlite3_finalize(l->stmts[i]);
    }
    /* An open transaction is rolled back by the close, as after a crash. */
    (void)sqlite3_close(l->db);
    free(l);
    s->lite = NULL;
}

store_status store__lite_exec_named(struct store *s, int which)
{
    static const enum lite_stmt ids[] = {ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN};
    static const char *const names[] = {"begin", "commit", "rollback", "begin"};
    sqlite3_stmt *st;
    store_status rc;
    if (which < 0 || which > 3) {
        return store__fail(s, "store: bad transaction verb");
    }
    st = stmt(s, ids[which]);
    if (st == NULL) {
        return STORE_ERR;
    }
    /* synchronous cannot change inside a transaction: set before BEGIN, restored after the end. */
    if (which == 3 && (sqlite3_get_autocommit(s->lite->db) == 0 ||
                       exec_sql(s, "PRAGMA synchronous=NORMAL") != STORE_OK)) {
        return sqlite3_get_autocommit(s->lite->db) == 0
                   ? store__fail(s, "store: begin: a transaction is open already")
                   : STORE_ERR;
    }
    rc = run_write(s, st, SQLITE_OK, names[which]);
    rc = (rc == STORE_DUPLICATE) ? STORE_OK : rc; /* these change no rows */
    if (which == 3) {
        s->lite->bookkeeping = rc == STORE_OK;
        if (rc != STORE_OK) {
            (void)exec_sql(s, "PRAGMA synchronous=FULL");
        }
    } else if ((which == 1 || which == 2) && s->lite->bookkeeping &&
               sqlite3_get_autocommit(s->lite->db) != 0) {
        s->lite->bookkeeping = false;
        if (exec_sql(s, "PRAGMA synchronous=FULL") != STORE_OK) {
            return STORE_ERR;
        }
    }
    return rc;
}

store_status store__lite_sync_setting(struct store *s, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    store_status rc = STORE_ERR;
    if (sqlite3_prepare_v2(s->lite->db, "PRAGMA synchronous", -1, &st, NULL) != SQLITE_OK) {
        return lite_fail(s, "PRAGMA synchronous");
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        char v[16];
        int n = snprintf(v, sizeof v, "%d", sqlite3_column_int(st, 0));
        if (n > 0 && (size_t)n < cap) {
            memcpy(out, v, (size_t)n + 1U);
            rc = STORE_OK;
        }
    }
    (void)sqlite3_finalize(st);
    return rc;
}

/* ---- pumps ----------------------------------------------------------------------------------- */

store_status store__lite_pump_touch(struct store *s, const char *pump_id, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_PUMP_TOUCH);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st, bind_text(st, 1, pump_id) | bind_i64(st, 2, now_ms), "pump touch");
}

store_status store__lite_pump_set_online(struct store *s, const char *pump_id, bool online,
                                         int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_PUMP_ONLINE);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, pump_id) | bind_i64(st, 2, now_ms) |
                         sqlite3_bind_int(st, 3, online ? 1 : 0),
                     "pump online");
}

store_status store__lite_pump_set_state(struct store *s, const char *pump_id,
                                        const char *state_json, const char *care_area,
                                        const char *patient_id, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_PUMP_STATE);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, pump_id) | bind_i64(st, 2, now_ms) |
                         bind_text(st, 3, state_json) | bind_text(st, 4, care_area) |
                         bind_text(st, 5, patient_id),
                     "pump state");
}

store_status store__lite_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq)
{
    sqlite3_stmt *st = stmt(s, ST_PUMP_LAST_SEQ);
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    if (bind_text(st, 1, pump_id) != SQLITE_OK) {
        done(st);
        return lite_fail(s, "pump last seq");
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        (void)lite_fail(s, "pump last seq");
        done(st);
        return STORE_ERR;
    }
    /* MAX over no rows is NULL, read as 0; seqs are CHECKed positive. */
    *seq = (uint64_t)sqlite3_column_int64(st, 0);
    done(st);
    return STORE_OK;
}

/* ---- events ---------------------------------------------------------------------------------- */

store_status store__lite_event_add(struct store *s, const struct store_event *e)
{
    sqlite3_stmt *st = stmt(s, ST_EVENT_ADD);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, e->pump_id) | bind_i64(st, 2, (int64_t)e->seq) |
                         bind_i64(st, 3, (int64_t)e->time_ms) | bind_i64(st, 4, e->wall_ms) |
                         bind_i64(st, 5, e->received_ms) | bind_text(st, 6, e->type) |
                         bind_i64(st, 7, (int64_t)e->channel) | bind_text(st, 8, e->patient_id) |
                         bind_text(st, 9, e->json),
                     "event add");
}

/*
 * Steps a query whose column col holds JSON text and appends each parsed value to a new array.
 * NULL (error recorded) when a row's text is not JSON: it was written by someone else.
 */
static json_t *json_column_rows(struct store *s, sqlite3_stmt *st, int col, const char *what)
{
    json_t *arr = json_array();
    int rc;
    if (arr == NULL) {
        (void)store__fail(s, "store: out of memory");
        done(st);
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_error_t jerr;
        const char *text = (const char *)sqlite3_column_text(st, col);
        json_t *v = json_loads(text != NULL ? text : "", JSON_DECODE_ANY, &jerr);
        if (v == NULL) {
            (void)store__fail(s, "store: %s: stored JSON does not parse: %s", what, jerr.text);
            json_decref(arr);
            done(st);
            return NULL;
        }
        if (json_array_append_new(arr, v) != 0) {
            (void)store__fail(s, "store: out of memory");
            json_decref(arr);
            done(st);
            return NULL;
        }
    }
    if (rc != SQLITE_DONE) {
        (void)lite_fail(s, what);
        json_decref(arr);
        done(st);
        return NULL;
    }
    done(st);
    return arr;
}

static int64_t row_limit(size_t limit)
{
    if (limit == 0U) {
        return 1000;
    }
    return (limit > (size_t)INT64_MAX) ? INT64_MAX : (int64_t)limit;
}

json_t *store__lite_events_query(struct store *s, const struct store_event_filter *f)
{
    unsigned combo = (f->pump_id != NULL ? 1U : 0U) | (f->patient_id != NULL ? 2U : 0U) |
                     (f->type != NULL ? 4U : 0U);
    sqlite3_stmt *st = stmt(s, (enum lite_stmt)(ST_EVENTS_Q0 + (int)combo));
    int brc;
    if (st == NULL) {
        return NULL;
    }
    brc = bind_i64(st, 4, f->from_wall_ms) | bind_i64(st, 5, f->to_wall_ms) |
          bind_i64(st, 6, row_limit(f->limit));
    if ((combo & 1U) != 0U) {
        brc |= bind_text(st, 1, f->pump_id);
    }
    if ((combo & 2U) != 0U) {
        brc |= bind_text(st, 2, f->patient_id);
    }
    if ((combo & 4U) != 0U) {
        brc |= bind_text(st, 3, f->type);
    }
    if (brc != SQLITE_OK) {
        (void)lite_fail(s, "events query");
        done(st);
        return NULL;
    }
    return json_column_rows(s, st, 0, "events query");
}

/* ---- patients, orders ------------------------------------------------------------------------ */

store_status store__lite_patient_seen(struct store *s, const char *patient_id, const char *family,
                                      const char *given, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_PATIENT_SEEN);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, patient_id) | bind_text(st, 2, family) |
                         bind_text(st, 3, given) | bind_i64(st, 4, now_ms),
                     "patient");
}

static store_status find_order(struct store *s, const struct store_order *o, int64_t *order_id)
{
    sqlite3_stmt *st = stmt(s, ST_ORDER_FIND);
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    if ((bind_text(st, 1, o->sender) | bind_text(st, 2, o->control_id)) != SQLITE_OK) {
        done(st);
        return lite_fail(s, "order lookup");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *order_id = (int64_t)sqlite3_column_int64(st, 0);
        done(st);
        return STORE_OK;
    }
    if (rc == SQLITE_DONE) {
        done(st);
        return store__fail(s, "store: order %s/%s vanished", o->sender, o->control_id);
    }
    (void)lite_fail(s, "order lookup");
    done(st);
    return STORE_ERR;
}

store_status store__lite_order_add(struct store *s, const struct store_order *o, int64_t *order_id)
{
    sqlite3_stmt *st = stmt(s, ST_ORDER_ADD);
    store_status rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    rc = run_write(s, st,
                   bind_text(st, 1, o->sender) | bind_text(st, 2, o->control_id) |
                       bind_text(st, 3, o->placer_id) | bind_text(st, 4, o->pump_id) |
                       bind_text(st, 5, o->patient_id) | bind_text(st, 6, o->drug) |
                       bind_text(st, 7, o->raw) | bind_i64(st, 8, o->received_ms),
                   "order add");
    if (rc == STORE_OK) {
        *order_id = (int64_t)sqlite3_last_insert_rowid(s->lite->db);
        return STORE_OK;
    }
    if (rc == STORE_DUPLICATE) {
        store_status f = find_order(s, o, order_id);
        return (f == STORE_OK) ? STORE_DUPLICATE : f;
    }
    return rc;
}

store_status store__lite_order_status_add(struct store *s, int64_t order_id, const char *status,
                                          const char *detail, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_ORDER_STATUS_ADD);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_i64(st, 1, order_id) | bind_text(st, 2, status) |
                         bind_text(st, 3, detail) | bind_i64(st, 4, now_ms),
                     "order status");
}

/* Adds key: column text (null when NULL) to obj; false on out of memory. */
static bool put_text(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    json_t *v = (t == NULL) ? json_null() : json_string((const char *)t);
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static bool put_int(json_t *obj, const char *key, sqlite3_stmt *st, int col)
{
    json_t *v = (sqlite3_column_type(st, col) == SQLITE_NULL)
                    ? json_null()
                    : json_integer((json_int_t)sqlite3_column_int64(st, col));
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static json_t *order_row(sqlite3_stmt *st)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    if (put_int(o, "order_id", st, 0) && put_text(o, "sender", st, 1) &&
        put_text(o, "control_id", st, 2) && put_text(o, "placer_id", st, 3) &&
        put_text(o, "pump_id", st, 4) && put_text(o, "patient_id", st, 5) &&
        put_text(o, "drug", st, 6) && put_int(o, "received_ms", st, 7) &&
        put_text(o, "status", st, 8) && put_text(o, "status_detail", st, 9) &&
        put_int(o, "status_ms", st, 10)) {
        return o;
    }
    json_decref(o);
    return NULL;
}

static json_t *command_row(sqlite3_stmt *st)
{
    json_t *o = json_object();
    json_t *body;
    const char *text = (const char *)sqlite3_column_text(st, 3);
    if (o == NULL) {
        return NULL;
    }
    body = json_loads(text != NULL ? text : "", JSON_DECODE_ANY, NULL);
    if (body != NULL && put_text(o, "cmd_id", st, 0) && put_text(o, "pump_id", st, 1) &&
        put_text(o, "type", st, 2) && json_object_set_new(o, "json", body) == 0 &&
        put_int(o, "created_ms", st, 4)) {
        return o;
    }
    json_decref(o);
    return NULL;
}

enum row_kind { ROW_ORDER, ROW_COMMAND };

/* Steps a query into a JSON array of objects, one per row. */
static json_t *object_rows(struct store *s, sqlite3_stmt *st, enum row_kind kind, const char *what)
{
    json_t *arr = json_array();
    int rc;
    if (arr == NULL) {
        done(st);
        (void)store__fail(s, "store: out of memory");
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = (kind == ROW_ORDER) ? order_row(st) : command_row(st);
        if (row == NULL || json_array_append_new(arr, row) != 0) {
            (void)store__fail(s, "store: %s: out of memory or stored JSON does not parse", what);
            json_decref(arr);
            done(st);
            return NULL;
        }
    }
    if (rc != SQLITE_DONE) {
        (void)lite_fail(s, what);
        json_decref(arr);
        done(st);
        return NULL;
    }
    done(st);
    return arr;
}

json_t *store__lite_orders_query(struct store *s, const char *pump_id, size_t limit)
{
    sqlite3_stmt *st = stmt(s, pump_id != NULL ? ST_ORDERS_PUMP : ST_ORDERS_ALL);
    int brc;
    if (st == NULL) {
        return NULL;
    }
    brc = bind_i64(st, 1, row_limit(limit));
    if (pump_id != NULL) {
        brc |= bind_text(st, 2, pump_id);
    }
    if (brc != SQLITE_OK) {
        (void)lite_fail(s, "orders query");
        done(st);
        return NULL;
    }
    return object_rows(s, st, ROW_ORDER, "orders query");
}

/* ---- commands, replies, alarm acknowledgements --------------------------------------------- */

store_status store__lite_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                                     const char *type, int64_t order_id, const char *json,
                                     int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_COMMAND_ADD);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, cmd_id) | bind_text(st, 2, pump_id) | bind_text(st, 3, type) |
                         (order_id == 0 ? sqlite3_bind_null(st, 4) : bind_i64(st, 4, order_id)) |
                         bind_text(st, 5, json) | bind_i64(st, 6, now_ms),
                     "command add");
}

store_status store__lite_reply_add(struct store *s, const char *cmd_id, const char *result,
                                   const char *json, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_REPLY_ADD);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, cmd_id) | bind_text(st, 2, result) | bind_text(st, 3, json) |
                         bind_i64(st, 4, now_ms),
                     "reply add");
}

store_status store__lite_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                       char *pump_id, size_t pump_id_cap)
{
    sqlite3_stmt *st = stmt(s, ST_COMMAND_ORDER);
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    if (bind_text(st, 1, cmd_id) != SQLITE_OK) {
        done(st);
        return lite_fail(s, "command order");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        (void)store__fail(s, "store: no command %s", cmd_id);
        return STORE_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        (void)lite_fail(s, "command order");
        done(st);
        return STORE_ERR;
    }
    if (pump_id != NULL && pump_id_cap > 0U) {
        const char *p = (const char *)sqlite3_column_text(st, 1);
        size_t n = (p == NULL) ? 0U : strlen(p);
        if (n >= pump_id_cap) {
            done(st);
            return store__fail(s, "store: pump id of command %s needs %zu bytes", cmd_id, n + 1U);
        }
        memcpy(pump_id, p != NULL ? p : "", n);
        pump_id[n] = '\0';
    }
    *order_id = (int64_t)sqlite3_column_int64(st, 0); /* NULL reads as 0: no order */
    done(st);
    return STORE_OK;
}

json_t *store__lite_commands_open(struct store *s)
{
    sqlite3_stmt *st = stmt(s, ST_COMMANDS_OPEN);
    return (st == NULL) ? NULL : object_rows(s, st, ROW_COMMAND, "open commands");
}

store_status store__lite_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                       const char *user, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_ALARM_ACK_ADD);
    if (st == NULL) {
        return STORE_ERR;
    }
    return run_write(s, st,
                     bind_text(st, 1, pump_id) | bind_i64(st, 2, (int64_t)raised_seq) |
                         bind_text(st, 3, user) | bind_i64(st, 4, now_ms),
                     "alarm ack");
}

/* ---- outbox ------------------------------------------------------------------------------------
 */

store_status store__lite_outbox_add(struct store *s, const char *dest, const char *control_id,
                                    const char *kind, const char *message, size_t len,
                                    int64_t now_ms, int64_t *id)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_ADD);
    store_status rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    rc = run_write(s, st,
                   bind_text(st, 1, dest) | bind_text(st, 2, control_id) | bind_text(st, 3, kind) |
                       sqlite3_bind_text(st, 4, message, (int)len, SQLITE_TRANSIENT) |
                       bind_i64(st, 5, now_ms),
                   "outbox add");
    if (rc == STORE_OK) {
        *id = (int64_t)sqlite3_last_insert_rowid(s->lite->db);
    }
    return rc;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    (void)snprintf(dst, cap, "%s", t != NULL ? t : "");
}

store_status store__lite_outbox_head(struct store *s, const char *dest,
                                     struct store_outbox_msg *out)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_HEAD);
    struct store_outbox_msg m;
    const void *text;
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    if (bind_text(st, 1, dest) != SQLITE_OK) {
        done(st);
        return lite_fail(s, "outbox head");
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        done(st);
        (void)store__fail(s, "store: outbox %s is empty", dest);
        return STORE_NOT_FOUND;
    }
    if (rc != SQLITE_ROW) {
        (void)lite_fail(s, "outbox head");
        done(st);
        return STORE_ERR;
    }
    memset(&m, 0, sizeof m);
    m.id = (int64_t)sqlite3_column_int64(st, 0);
    copy_col(m.dest, sizeof m.dest, st, 1);
    copy_col(m.control_id, sizeof m.control_id, st, 2);
    copy_col(m.kind, sizeof m.kind, st, 3);
    text = sqlite3_column_text(st, 4);
    m.message_len = (size_t)sqlite3_column_bytes(st, 4);
    m.message = malloc(m.message_len + 1U);
    if (m.message == NULL || (text == NULL && m.message_len > 0U)) {
        free(m.message);
        done(st);
        return store__fail(s, "store: out of memory reading outbox message");
    }
    if (m.message_len > 0U) {
        memcpy(m.message, text, m.message_len);
    }
    m.message[m.message_len] = '\0';
    m.attempts = (uint32_t)sqlite3_column_int64(st, 5);
    m.next_try_ms = (int64_t)sqlite3_column_int64(st, 6);
    m.created_ms = (int64_t)sqlite3_column_int64(st, 7);
    done(st);
    *out = m;
    return STORE_OK;
}

/* Why an outbox update changed nothing: no such message, or it is acknowledged already. */
static store_status outbox_unchanged(struct store *s, int64_t id)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_STATE);
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    if (bind_i64(st, 1, id) != SQLITE_OK) {
        done(st);
        return lite_fail(s, "outbox lookup");
    }
    rc = sqlite3_step(st);
    done(st);
    if (rc == SQLITE_ROW) {
        (void)store__fail(s, "store: outbox message %lld is acknowledged already", (long long)id);
        return STORE_DUPLICATE;
    }
    if (rc == SQLITE_DONE) {
        (void)store__fail(s, "store: no outbox message %lld", (long long)id);
        return STORE_NOT_FOUND;
    }
    return lite_fail(s, "outbox lookup");
}

store_status store__lite_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms,
                                      const char *why)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_RETRY);
    store_status rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    rc =
        run_write(s, st, bind_i64(st, 1, id) | bind_i64(st, 2, next_try_ms) | bind_text(st, 3, why),
                  "outbox retry");
    return (rc == STORE_DUPLICATE) ? outbox_unchanged(s, id) : rc;
}

store_status store__lite_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                      const char *ack_text, int64_t now_ms)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_ACKED);
    store_status rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    rc = run_write(s, st,
                   bind_i64(st, 1, id) | bind_i64(st, 2, now_ms) | bind_text(st, 3, ack_code) |
                       bind_text(st, 4, ack_text),
                   "outbox acked");
    return (rc == STORE_DUPLICATE) ? outbox_unchanged(s, id) : rc;
}

json_t *store__lite_outbox_depths(struct store *s)
{
    sqlite3_stmt *st = stmt(s, ST_OUTBOX_DEPTHS);
    json_t *obj;
    int rc;
    if (st == NULL) {
        return NULL;
    }
    obj = json_object();
    if (obj == NULL) {
        done(st);
        (void)store__fail(s, "store: out of memory");
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *dest = (const char *)sqlite3_column_text(st, 0);
        json_t *n = json_integer((json_int_t)sqlite3_column_int64(st, 1));
        if (dest == NULL || n == NULL || json_object_set_new(obj, dest, n) != 0) {
            (void)store__fail(s, "store: outbox depths: out of memory");
            json_decref(obj);
            done(st);
            return NULL;
        }
    }
    if (rc != SQLITE_DONE) {
        (void)lite_fail(s, "outbox depths");
        json_decref(obj);
        done(st);
        return NULL;
    }
    done(st);
    return obj;
}

/* ---- audit -------------------------------------------------------------------------------------
 */

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

/* The last row's id and hash (0 and the zero hash when the chain is empty). */
static store_status audit_tail(struct store *s, int64_t *id, char hash[STORE_HASH_HEX_BYTES])
{
    sqlite3_stmt *st = stmt(s, ST_AUDIT_LAST);
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        *id = 0;
        memcpy(hash, zero_hash, sizeof zero_hash);
        done(st);
        return STORE_OK;
    }
    if (rc != SQLITE_ROW) {
        (void)lite_fail(s, "audit tail");
        done(st);
        return STORE_ERR;
    }
    *id = (int64_t)sqlite3_column_int64(st, 0);
    copy_col(hash, STORE_HASH_HEX_BYTES, st, 1);
    done(st);
    return STORE_OK;
}

store_status store__lite_audit_add(struct store *s, const char *actor, const char *action,
                                   const char *detail, int64_t now_ms)
{
    /* Reading the tail and appending must be one transaction, or two writers could chain
     * to the same predecessor: take the write lock now when the caller has not. */
    bool own = sqlite3_get_autocommit(s->lite->db) != 0;
    char prev[STORE_HASH_HEX_BYTES];
    char hash[STORE_HASH_HEX_BYTES];
    int64_t last_id = 0;
    sqlite3_stmt *st;
    store_status rc;
    if (own && store__lite_exec_named(s, 0) != STORE_OK) {
        return STORE_ERR;
    }
    rc = audit_tail(s, &last_id, prev);
    if (rc == STORE_OK) {
        rc = store__audit_hash(s, prev, last_id + 1, actor, action, detail, now_ms, hash);
    }
    if (rc == STORE_OK) {
        st = stmt(s, ST_AUDIT_ADD);
        rc = (st == NULL) ? STORE_ERR
                          : run_write(s, st,
                                      bind_i64(st, 1, last_id + 1) | bind_text(st, 2, actor) |
                                          bind_text(st, 3, action) | bind_text(st, 4, detail) |
                                          bind_i64(st, 5, now_ms) | bind_text(st, 6, prev) |
                                          bind_text(st, 7, hash),
                                      "audit add");
    }
    if (own) {
        if (rc == STORE_OK) {
            rc = store__lite_exec_named(s, 1);
        }
        if (rc != STORE_OK) {
            char why[sizeof s->err];
            (void)snprintf(why, sizeof why, "%s", s->err);
            (void)store__lite_exec_named(s, 2);
            (void)store__fail(s, "%s", why);
        }
    }
    return (rc == STORE_OK) ? STORE_OK : STORE_ERR;
}

store_status store__lite_audit_verify(struct store *s, uint64_t *rows)
{
    sqlite3_stmt *st = stmt(s, ST_AUDIT_ALL);
    char expect_prev[STORE_HASH_HEX_BYTES];
    uint64_t n = 0;
    int rc;
    if (st == NULL) {
        return STORE_ERR;
    }
    memcpy(expect_prev, zero_hash, sizeof zero_hash);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char hash[STORE_HASH_HEX_BYTES];
        int64_t id = (int64_t)sqlite3_column_int64(st, 0);
        const char *actor = (const char *)sqlite3_column_text(st, 1);
        const char *action = (const char *)sqlite3_column_text(st, 2);
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        int64_t at_ms = (int64_t)sqlite3_column_int64(st, 4);
        const char *prev = (const char *)sqlite3_column_text(st, 5);
        const char *stored = (const char *)sqlite3_column_text(st, 6);
        n++;
        if (id != (int64_t)n) {
            done(st);
            return store__fail(s, "store: audit row %lld: expected row %llu (a row is missing)",
                               (long long)id, (unsigned long long)n);
        }
        if (actor == NULL || action == NULL || detail == NULL || prev == NULL || stored == NULL ||
            strcmp(prev, expect_prev) != 0) {
            done(st);
            return store__fail(s, "store: audit row %lld: previous hash does not chain",
                               (long long)id);
        }
        if (store__audit_hash(s, prev, id, actor, action, detail, at_ms, hash) != STORE_OK) {
            done(st);
            return STORE_ERR;
        }
        if (strcmp(hash, stored) != 0) {
            done(st);
            return store__fail(s, "store: audit row %lld: hash mismatch (record altered)",
                               (long long)id);
        }
        memcpy(expect_prev, hash, sizeof hash);
    }
    if (rc != SQLITE_DONE) {
        (void)lite_fail(s, "audit verify");
        done(st);
        return STORE_ERR;
    }
    done(st);
    *rows = n;
    return STORE_OK;
}
