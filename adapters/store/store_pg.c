/*
 * store_pg.c - the repository on PostgreSQL through libpq (contract: store.h; schema and rules:
 * docs/storage.md). The same tables, keys, triggers and answers as store_sqlite.c in
 * PostgreSQL's dialect. Statements are prepared once per connection, on first use.
 *
 * One difference shapes this file: a failed statement aborts a PostgreSQL transaction, where
 * SQLite only undoes the statement. A group commit must survive a duplicate or an unknown
 * reference, so writes never fail on their keys: inserts are "ON CONFLICT DO NOTHING" and
 * guarded by "WHERE EXISTS (referenced row)", and a write that changed no row is then told apart
 * (duplicate or not found) by a read.
 */
#include "store_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

/* ---- migrations ---------------------------------------------------------------------------- */

static const char *const m1_tables[] = {
    "CREATE TABLE pumps ("
    " pump_id TEXT PRIMARY KEY,"
    " first_seen_ms BIGINT NOT NULL,"
    " last_seen_ms BIGINT NOT NULL,"
    " online INTEGER NOT NULL DEFAULT 0 CHECK (online IN (0, 1)),"
    " online_changed_ms BIGINT,"
    " state_json TEXT,"
    " care_area TEXT,"
    " patient_id TEXT,"
    " state_ms BIGINT)",
    "CREATE TABLE patients ("
    " patient_id TEXT PRIMARY KEY,"
    " family TEXT,"
    " given TEXT,"
    " first_seen_ms BIGINT NOT NULL)",
    "CREATE TABLE events ("
    " id BIGSERIAL PRIMARY KEY,"
    " pump_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL CHECK (seq > 0),"
    " time_ms BIGINT NOT NULL,"
    " wall_ms BIGINT NOT NULL,"
    " received_ms BIGINT NOT NULL,"
    " type TEXT NOT NULL,"
    " channel BIGINT NOT NULL,"
    " patient_id TEXT,"
    " json TEXT NOT NULL,"
    " UNIQUE (pump_id, seq))",
    "CREATE TABLE orders ("
    " id BIGSERIAL PRIMARY KEY,"
    " sender TEXT NOT NULL,"
    " control_id TEXT NOT NULL,"
    " placer_id TEXT NOT NULL,"
    " pump_id TEXT NOT NULL,"
    " patient_id TEXT NOT NULL,"
    " drug TEXT NOT NULL,"
    " raw TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL,"
    " UNIQUE (sender, control_id))",
    "CREATE TABLE order_status ("
    " id BIGSERIAL PRIMARY KEY,"
    " order_id BIGINT NOT NULL REFERENCES orders (id),"
    " status TEXT NOT NULL,"
    " detail TEXT,"
    " at_ms BIGINT NOT NULL)",
    "CREATE TABLE commands ("
    " id BIGSERIAL PRIMARY KEY,"
    " cmd_id TEXT NOT NULL UNIQUE,"
    " pump_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " order_id BIGINT REFERENCES orders (id),"
    " json TEXT NOT NULL,"
    " created_ms BIGINT NOT NULL)",
    "CREATE TABLE replies ("
    " id BIGSERIAL PRIMARY KEY,"
    " cmd_id TEXT NOT NULL REFERENCES commands (cmd_id),"
    " result TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " received_ms BIGINT NOT NULL,"
    " UNIQUE (cmd_id, result))",
    "CREATE TABLE alarm_acks ("
    " id BIGSERIAL PRIMARY KEY,"
    " pump_id TEXT NOT NULL,"
    " raised_seq BIGINT NOT NULL,"
    " acked_by TEXT NOT NULL,"
    " acked_ms BIGINT NOT NULL,"
    " UNIQUE (pump_id, raised_seq),"
    " FOREIGN KEY (pump_id, raised_seq) REFERENCES events (pump_id, seq))",
    /* bytea: an HL7 message is kept byte for byte, whatever its character set. */
    "CREATE TABLE outbox ("
    " id BIGSERIAL PRIMARY KEY,"
    " dest TEXT NOT NULL,"
    " control_id TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL,"
    " message BYTEA NOT NULL,"
    " created_ms BIGINT NOT NULL,"
    " attempts BIGINT NOT NULL DEFAULT 0,"
    " next_try_ms BIGINT NOT NULL,"
    " last_error TEXT,"
    " acked_ms BIGINT,"
    " ack_code TEXT,"
    " ack_text TEXT)",
    "CREATE TABLE audit ("
    " id BIGINT PRIMARY KEY,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " at_ms BIGINT NOT NULL,"
    " prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL)",
    "CREATE VIEW programs AS"
    " SELECT cmd_id, pump_id, order_id, json, created_ms FROM commands WHERE type = 'program'",
    "CREATE VIEW alarms AS"
    " SELECT e.id, e.pump_id, e.seq, e.wall_ms, e.type, e.channel, e.patient_id, e.json,"
    " a.acked_by, a.acked_ms"
    " FROM events e LEFT JOIN alarm_acks a ON a.pump_id = e.pump_id AND a.raised_seq = e.seq"
    " WHERE e.type LIKE 'alarm%'",
    NULL};

#define APPEND_ONLY(t)                                                                             \
    "CREATE TRIGGER " t "_no_update BEFORE UPDATE ON " t                                           \
    " FOR EACH ROW EXECUTE FUNCTION oi_append_only()",                                             \
        "CREATE TRIGGER " t "_no_delete BEFORE DELETE ON " t                                       \
        " FOR EACH ROW EXECUTE FUNCTION oi_append_only()",                                         \
        "CREATE TRIGGER " t "_no_truncate BEFORE TRUNCATE ON " t                                   \
        " FOR EACH STATEMENT EXECUTE FUNCTION oi_append_only()"

static const char *const m2_append_only[] = {
    "CREATE FUNCTION oi_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME"
    " USING ERRCODE = 'integrity_constraint_violation'; END$$",
    "CREATE FUNCTION oi_outbox_fixed() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'an outbox message is fixed and outbox rows are kept'"
    " USING ERRCODE = 'integrity_constraint_violation'; END$$",
    APPEND_ONLY("events"),
    APPEND_ONLY("patients"),
    APPEND_ONLY("orders"),
    APPEND_ONLY("order_status"),
    APPEND_ONLY("commands"),
    APPEND_ONLY("replies"),
    APPEND_ONLY("alarm_acks"),
    APPEND_ONLY("audit"),
    "CREATE TRIGGER outbox_fixed BEFORE UPDATE OF id, dest, control_id, kind, message,"
    " created_ms ON outbox FOR EACH ROW EXECUTE FUNCTION oi_outbox_fixed()",
    "CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox"
    " FOR EACH ROW EXECUTE FUNCTION oi_outbox_fixed()",
    "CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON outbox"
    " FOR EACH STATEMENT EXECUTE FUNCTION oi_outbox_fixed()",
    NULL};

static const char *const m3_indexes[] = {
    "CREATE INDEX events_patient_wall ON events (patient_id, wall_ms)"
    " WHERE patient_id IS NOT NULL",
    "CREATE INDEX events_wall ON events (wall_ms)",
    "CREATE INDEX order_status_order ON order_status (order_id, id)",
    "CREATE INDEX orders_pump ON orders (pump_id, id)",
    "CREATE INDEX commands_created ON commands (created_ms)",
    "CREATE INDEX outbox_pending ON outbox (dest, id) WHERE acked_ms IS NULL",
    NULL};

/* Channels as the last snapshot of each pump lists them (as in store_sqlite.c). */
static const char *const m4_channels[] = {
    "CREATE VIEW channels AS"
    " SELECT p.pump_id,"
    " (c ->> 'channel')::integer AS channel,"
    " c ->> 'state' AS state,"
    " c ->> 'mode' AS mode,"
    " c ->> 'entry' AS entry,"
    " c ->> 'drug_name' AS drug_name,"
    " c ->> 'order_id' AS order_id,"
    " (c ->> 'rate_nl_per_h')::bigint AS rate_nl_per_h,"
    " (c ->> 'vtbi_remaining_nl')::bigint AS vtbi_remaining_nl,"
    " (c ->> 'channel_volume_nl')::bigint AS channel_volume_nl,"
    " p.patient_id, p.care_area, p.state_ms"
    " FROM pumps p CROSS JOIN LATERAL jsonb_array_elements("
    "   CASE WHEN jsonb_typeof(p.state_json::jsonb -> 'channels') = 'array'"
    "   THEN p.state_json::jsonb -> 'channels' ELSE '[]'::jsonb END) AS c"
    " WHERE p.state_json IS NOT NULL",
    NULL};

static const char *const *const migrations[] = {m1_tables, m2_append_only, m3_indexes,
                                                m4_channels};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

/* ---- statements ---------------------------------------------------------------------------- */

enum pg_stmt {
    PS_PUMP_TOUCH,
    PS_PUMP_ONLINE,
    PS_PUMP_STATE,
    PS_PUMP_LAST_SEQ,
    PS_EVENT_ADD,
    PS_PATIENT_SEEN,
    PS_ORDER_ADD,
    PS_ORDER_FIND,
    PS_ORDER_STATUS_ADD,
    PS_ORDERS_ALL,
    PS_ORDERS_PUMP,
    PS_COMMAND_ADD,
    PS_COMMAND_EXISTS,
    PS_REPLY_ADD,
    PS_REPLY_EXISTS,
    PS_COMMAND_ORDER,
    PS_COMMANDS_OPEN,
    PS_ALARM_ACK_ADD,
    PS_ALARM_ACK_EXISTS,
    PS_OUTBOX_ADD,
    PS_OUTBOX_HEAD,
    PS_OUTBOX_RETRY,
    PS_OUTBOX_ACKED,
    PS_OUTBOX_STATE,
    PS_OUTBOX_DEPTHS,
    PS_AUDIT_LAST,
    PS_AUDIT_ADD,
    PS_AUDIT_ALL,
    PS_EVENTS_Q0, /* + combination of the pump (1) / patient (2) / type (4) filters */
    PS_COUNT = PS_EVENTS_Q0 + 8
};

#define ORDER_COLS                                                                                 \
    "SELECT o.id, o.sender, o.control_id, o.placer_id, o.pump_id, o.patient_id, o.drug,"           \
    " o.received_ms, s.status, s.detail, s.at_ms FROM orders o"                                    \
    " LEFT JOIN order_status s ON s.id ="                                                          \
    " (SELECT MAX(id) FROM order_status WHERE order_id = o.id)"

static const char *const pg_sql[PS_EVENTS_Q0] = {
    [PS_PUMP_TOUCH] = "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms) VALUES ($1, $2, $2)"
                      " ON CONFLICT (pump_id) DO UPDATE SET"
                      " last_seen_ms = GREATEST(pumps.last_seen_ms, EXCLUDED.last_seen_ms)",
    [PS_PUMP_ONLINE] =
        "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms, online, online_changed_ms)"
        " VALUES ($1, $2, $2, $3, $2) ON CONFLICT (pump_id) DO UPDATE SET"
        " last_seen_ms = GREATEST(pumps.last_seen_ms, EXCLUDED.last_seen_ms),"
        " online = EXCLUDED.online, online_changed_ms = EXCLUDED.online_changed_ms",
    [PS_PUMP_STATE] =
        "INSERT INTO pumps (pump_id, first_seen_ms, last_seen_ms, state_json, care_area,"
        " patient_id, state_ms) VALUES ($1, $2, $2, $3, $4, $5, $2)"
        " ON CONFLICT (pump_id) DO UPDATE SET"
        " last_seen_ms = GREATEST(pumps.last_seen_ms, EXCLUDED.last_seen_ms),"
        " state_json = EXCLUDED.state_json, care_area = EXCLUDED.care_area,"
        " patient_id = EXCLUDED.patient_id, state_ms = EXCLUDED.state_ms",
    [PS_PUMP_LAST_SEQ] = "SELECT COALESCE(MAX(seq), 0) FROM events WHERE pump_id = $1",
    [PS_EVENT_ADD] =
        "INSERT INTO events (pump_id, seq, time_ms, wall_ms, received_ms, type, channel,"
        " patient_id, json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (pump_id, seq) DO NOTHING",
    [PS_PATIENT_SEEN] = "INSERT INTO patients (patient_id, family, given, first_seen_ms)"
                        " VALUES ($1, $2, $3, $4) ON CONFLICT (patient_id) DO NOTHING",
    [PS_ORDER_ADD] =
        "INSERT INTO orders (sender, control_id, placer_id, pump_id, patient_id, drug, raw,"
        " received_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (sender, control_id) DO NOTHING RETURNING id",
    [PS_ORDER_FIND] = "SELECT id FROM orders WHERE sender = $1 AND control_id = $2",
    [PS_ORDER_STATUS_ADD] = "INSERT INTO order_status (order_id, status, detail, at_ms)"
                            " SELECT $1::bigint, $2::text, $3::text, $4::bigint"
                            " WHERE EXISTS (SELECT 1 FROM orders WHERE id = $1::bigint)",
    [PS_ORDERS_ALL] = ORDER_COLS " ORDER BY o.id DESC LIMIT $1",
    [PS_ORDERS_PUMP] = ORDER_COLS " WHERE o.pump_id = $2 ORDER BY o.id DESC LIMIT $1",
    [PS_COMMAND_ADD] =
        "INSERT INTO commands (cmd_id, pump_id, type, order_id, json, created_ms)"
        " SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::bigint"
        " WHERE $4::bigint IS NULL OR EXISTS (SELECT 1 FROM orders WHERE id = $4::bigint)"
        " ON CONFLICT (cmd_id) DO NOTHING",
    [PS_COMMAND_EXISTS] = "SELECT 1 FROM commands WHERE cmd_id = $1",
    [PS_REPLY_ADD] = "INSERT INTO replies (cmd_id, result, json, received_ms)"
                     " SELECT $1::text, $2::text, $3::text, $4::bigint"
                     " WHERE EXISTS (SELECT 1 FROM commands WHERE cmd_id = $1::text)"
                     " ON CONFLICT (cmd_id, result) DO NOTHING",
    [PS_REPLY_EXISTS] = "SELECT 1 FROM replies WHERE cmd_id = $1 AND result = $2",
    [PS_COMMAND_ORDER] = "SELECT order_id, pump_id FROM commands WHERE cmd_id = $1",
    [PS_COMMANDS_OPEN] =
        "SELECT c.cmd_id, c.pump_id, c.type, c.json, c.created_ms FROM commands c"
        " WHERE NOT EXISTS (SELECT 1 FROM replies r WHERE r.cmd_id = c.cmd_id AND"
        " (c.type <> 'program' OR r.result IN ('confirmed', 'declined', 'rejected')))"
        " ORDER BY c.created_ms, c.id",
    [PS_ALARM_ACK_ADD] =
        "INSERT INTO alarm_acks (pump_id, raised_seq, acked_by, acked_ms)"
        " SELECT $1::text, $2::bigint, $3::text, $4::bigint"
        " WHERE EXISTS (SELECT 1 FROM events WHERE pump_id = $1::text AND seq = $2::bigint)"
        " ON CONFLICT (pump_id, raised_seq) DO NOTHING",
    [PS_ALARM_ACK_EXISTS] = "SELECT 1 FROM alarm_acks WHERE pump_id = $1 AND raised_seq = $2",
    [PS_OUTBOX_ADD] =
        "INSERT INTO outbox (dest, control_id, kind, message, created_ms, next_try_ms)"
        " VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (control_id) DO NOTHING RETURNING id",
    [PS_OUTBOX_HEAD] =
        "SELECT id, dest, control_id, kind, message, attempts, next_try_ms, created_ms"
        " FROM outbox WHERE dest = $1 AND acked_ms IS NULL ORDER BY id LIMIT 1",
    [PS_OUTBOX_RETRY] =
        "UPDATE outbox SET attempts = attempts + 1, next_try_ms = $2, last_error = $3"
        " WHERE id = $1 AND acked_ms IS NULL",
    [PS_OUTBOX_ACKED] = "UPDATE outbox SET acked_ms = $2, ack_code = $3, ack_text = $4"
                        " WHERE id = $1 AND acked_ms IS NULL",
    [PS_OUTBOX_STATE] = "SELECT acked_ms IS NOT NULL FROM outbox WHERE id = $1",
    [PS_OUTBOX_DEPTHS] =
        "SELECT dest, COUNT(*) FROM outbox WHERE acked_ms IS NULL GROUP BY dest ORDER BY dest",
    [PS_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [PS_AUDIT_ADD] = "INSERT INTO audit (id, actor, action, detail, at_ms, prev_hash, hash)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7)",
    [PS_AUDIT_ALL] =
        "SELECT id, actor, action, detail, at_ms, prev_hash, hash FROM audit ORDER BY id",
};

struct store_pg {
    PGconn *conn;
    bool prepared[PS_COUNT];
};

/* Parameters as text (libpq's text format): numbers formatted here, strings borrowed. */
#define MAX_PARAMS 10
struct params {
    const char *v[MAX_PARAMS];
    char num[MAX_PARAMS][24];
    int n;
};

static void p_text(struct params *p, const char *v)
{
    p->v[p->n++] = v;
}

static void p_i64(struct params *p, int64_t v)
{
    (void)snprintf(p->num[p->n], sizeof p->num[p->n], "%lld", (long long)v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

static void trim_newline(char *msg)
{
    size_t n = strlen(msg);
    while (n > 0U && (msg[n - 1U] == '\n' || msg[n - 1U] == '\r')) {
        msg[--n] = '\0';
    }
}

static store_status pg_conn_fail(struct store *s, const char *what)
{
    store_status rc = store__fail(s, "store: %s: %s", what, PQerrorMessage(s->pg->conn));
    trim_newline(s->err);
    return rc;
}

/* The status of a result (r is not cleared here); the error is recorded unless STORE_OK. A
 * foreign-key violation is STORE_NOT_FOUND. */
static store_status pg_result(struct store *s, PGresult *r, const char *what)
{
    ExecStatusType st;
    const char *state;
    store_status rc;
    if (r == NULL) {
        return pg_conn_fail(s, what);
    }
    st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return STORE_OK;
    }
    state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    rc = (state != NULL && strcmp(state, "23503") == 0) ? STORE_NOT_FOUND : STORE_ERR;
    (void)store__fail(s, "store: %s: %s (SQLSTATE %s)", what, PQresultErrorMessage(r),
                      state != NULL ? state : "?");
    trim_newline(s->err);
    return rc;
}

static void events_query_sql(unsigned combo, char *buf, size_t cap)
{
    (void)snprintf(buf, cap,
                   "SELECT json FROM events WHERE wall_ms >= $4 AND wall_ms < $5%s%s%s"
                   " ORDER BY id LIMIT $6",
                   (combo & 1U) != 0U ? " AND pump_id = $1" : "",
                   (combo & 2U) != 0U ? " AND patient_id = $2" : "",
                   (combo & 4U) != 0U ? " AND type = $3" : "");
}

/*
 * Runs prepared statement id with p (preparing it on first use). Returns the result on success
 * (caller PQclears), NULL with the error recorded (and *rc set) otherwise.
 */
static PGresult *pg_exec(struct store *s, enum pg_stmt id, const struct params *p, store_status *rc,
                         const char *what)
{
    /* text, text, text, int8, int8, int8: the events query names only the parameters its
     * filters use, so the types of the others cannot be inferred. */
    static const Oid evq_types[6] = {25, 25, 25, 20, 20, 20};
    struct store_pg *g = s->pg;
    char name[16];
    PGresult *r;
    (void)snprintf(name, sizeof name, "oi%d", (int)id);
    if (!g->prepared[id]) {
        char buf[256];
        const char *sql = pg_sql[id < PS_EVENTS_Q0 ? id : 0];
        bool is_q = id >= PS_EVENTS_Q0;
        if (is_q) {
            events_query_sql((unsigned)(id - PS_EVENTS_Q0), buf, sizeof buf);
            sql = buf;
        }
        r = PQprepare(g->conn, name, sql, is_q ? 6 : 0, is_q ? evq_types : NULL);
        *rc = pg_result(s, r, "prepare");
        PQclear(r);
        if (*rc != STORE_OK) {
            *rc = STORE_ERR;
            return NULL;
        }
        g->prepared[id] = true;
    }
    r = PQexecPrepared(g->conn, name, p->n, p->v, NULL, NULL, 0);
    *rc = pg_result(s, r, what);
    if (*rc != STORE_OK) {
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Runs a write; STORE_DUPLICATE when it changed no row. */
static store_status pg_write(struct store *s, enum pg_stmt id, const struct params *p,
                             const char *what)
{
    store_status rc;
    PGresult *r = pg_exec(s, id, p, &rc, what);
    if (r == NULL) {
        return rc;
    }
    rc = (strcmp(PQcmdTuples(r), "0") == 0) ? STORE_DUPLICATE : STORE_OK;
    PQclear(r);
    return rc;
}

/* STORE_OK when the query returns a row, STORE_NOT_FOUND when none. */
static store_status pg_exists(struct store *s, enum pg_stmt id, const struct params *p,
                              const char *what)
{
    store_status rc;
    PGresult *r = pg_exec(s, id, p, &rc, what);
    if (r == NULL) {
        return rc;
    }
    rc = (PQntuples(r) > 0) ? STORE_OK : STORE_NOT_FOUND;
    PQclear(r);
    return rc;
}

static store_status exec_sql(struct store *s, const char *sql)
{
    PGresult *r = PQexec(s->pg->conn, sql);
    store_status rc = pg_result(s, r, sql);
    PQclear(r);
    return (rc == STORE_OK) ? STORE_OK : STORE_ERR;
}

static int64_t wall_now_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}

static int64_t col_i64(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : (int64_t)strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- open, migrate, close -------------------------------------------------------------------- */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("relation exists") are not errors; errors come back as results */
}

static store_status schema_version(struct store *s, int *version)
{
    PGresult *r = PQexec(s->pg->conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    store_status rc = pg_result(s, r, "reading the schema version");
    if (rc == STORE_OK) {
        int64_t v = col_i64(r, 0, 0);
        *version = (v > INT_MAX || v < 0) ? INT_MAX : (int)v;
    }
    PQclear(r);
    return (rc == STORE_OK) ? STORE_OK : STORE_ERR;
}

static store_status apply_migration(struct store *s, int version)
{
    const char *const *sql = migrations[version - 1];
    char rec[128];
    if (exec_sql(s, "BEGIN") != STORE_OK) {
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

/* Several infusiond instances may open one database at once: migrate under a session lock. */
#define MIGRATION_LOCK "7013001"

static store_status migrate(struct store *s, int max_version)
{
    int have = 0;
    int want = (max_version < N_MIGRATIONS) ? max_version : N_MIGRATIONS;
    store_status rc = STORE_OK;
    if (exec_sql(s, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")") != STORE_OK) {
        return STORE_ERR;
    }
    if (exec_sql(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, applied_ms BIGINT NOT NULL)") != STORE_OK ||
        schema_version(s, &have) != STORE_OK) {
        rc = STORE_ERR;
    } else if (have > N_MIGRATIONS) {
        rc = store__fail(s,
                         "store: database schema version %d is newer than this build knows "
                         "(%d): upgrade infusiond, do not open it with this one",
                         have, N_MIGRATIONS);
    }
    for (int v = have + 1; rc == STORE_OK && v <= want; v++) {
        rc = apply_migration(s, v);
    }
    if (rc == STORE_OK) {
        s->schema_version = (have > want) ? have : want;
    }
    if (PQstatus(s->pg->conn) == CONNECTION_OK) {
        char keep[sizeof s->err];
        (void)snprintf(keep, sizeof keep, "%s", s->err);
        (void)exec_sql(s, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")");
        (void)snprintf(s->err, sizeof s->err, "%s", keep);
    }
    return rc;
}

store_status store__pg_open(struct store *s, const char *url, int max_version)
{
    s->pg = calloc(1, sizeof *s->pg);
    if (s->pg == NULL) {
        return store__fail(s, "store: out of memory");
    }
    s->pg->conn = PQconnectdb(url);
    if (s->pg->conn == NULL) {
        return store__fail(s, "store: out of memory connecting to PostgreSQL");
    }
    if (PQstatus(s->pg->conn) != CONNECTION_OK) {
        return pg_conn_fail(s, "connecting to PostgreSQL");
    }
    (void)PQsetNoticeProcessor(s->pg->conn, quiet_notices, NULL);
    /* Durability: every commit waits for the WAL flush on the server. */
    /* bytea_output: outbox messages are decoded from the hex form. */
    if (exec_sql(s, "SET synchronous_commit = on") != STORE_OK ||
        exec_sql(s, "SET bytea_output = 'hex'") != STORE_OK) {
        return STORE_ERR;
    }
    return migrate(s, max_version);
}

void store__pg_close(struct store *s)
{
    if (s->pg == NULL) {
        return;
    }
    PQfinish(s->pg->conn); /* NULL-safe; an open transaction is rolled back by the server */
    free(s->pg);
    s->pg = NULL;
}

int store__pg_known_version(void)
{
    return N_MIGRATIONS;
}

/* PostgreSQL only warns on BEGIN inside a transaction or COMMIT outside one; SQLite fails, and
 * callers rely on that, so the state is checked here. */
store_status store__pg_exec_named(struct store *s, int which)
{
    PGTransactionStatusType ts = PQtransactionStatus(s->pg->conn);
    bool in_txn = ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR;
    switch (which) {
    case 0:
        if (in_txn) {
            return store__fail(s, "store: begin: a transaction is open already");
        }
        return exec_sql(s, "BEGIN");
    case 3:
        if (in_txn) {
            return store__fail(s, "store: begin: a transaction is open already");
        }
        if (exec_sql(s, "BEGIN") != STORE_OK) {
            return STORE_ERR;
        }
        /* LOCAL: back to on when this transaction ends, however it ends. */
        if (exec_sql(s, "SET LOCAL synchronous_commit = off") != STORE_OK) {
            (void)exec_sql(s, "ROLLBACK");
            return STORE_ERR;
        }
        return STORE_OK;
    case 1:
        if (!in_txn) {
            return store__fail(s, "store: commit: no transaction is open");
        }
        if (ts == PQTRANS_INERROR) {
            (void)exec_sql(s, "ROLLBACK");
            return store__fail(s, "store: commit: the transaction failed and was rolled back");
        }
        return exec_sql(s, "COMMIT");
    case 2:
        if (!in_txn) {
            return store__fail(s, "store: rollback: no transaction is open");
        }
        return exec_sql(s, "ROLLBACK");
    default:
        return store__fail(s, "store: bad transaction verb");
    }
}

store_status store__pg_sync_setting(struct store *s, char *out, size_t cap)
{
    PGresult *r = PQexec(s->pg->conn, "SHOW synchronous_commit");
    store_status rc = STORE_ERR;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
        strlen(PQgetvalue(r, 0, 0)) < cap) {
        memcpy(out, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)) + 1U);
        rc = STORE_OK;
    } else {
        (void)store__fail(s, "store: SHOW synchronous_commit: %s", PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

/* ---- pumps, events ------------------------------------------------------------------------------
 */

store_status store__pg_pump_touch(struct store *s, const char *pump_id, int64_t now_ms)
{
    struct params p = {.n = 0};
    p_text(&p, pump_id);
    p_i64(&p, now_ms);
    store_status rc = pg_write(s, PS_PUMP_TOUCH, &p, "pump touch");
    return (rc == STORE_DUPLICATE) ? STORE_OK : rc;
}

store_status store__pg_pump_set_online(struct store *s, const char *pump_id, bool online,
                                       int64_t now_ms)
{
    struct params p = {.n = 0};
    p_text(&p, pump_id);
    p_i64(&p, now_ms);
    p_text(&p, online ? "1" : "0");
    store_status rc = pg_write(s, PS_PUMP_ONLINE, &p, "pump online");
    return (rc == STORE_DUPLICATE) ? STORE_OK : rc;
}

store_status store__pg_pump_set_state(struct store *s, const char *pump_id, const char *state_json,
                                      const char *care_area, const char *patient_id, int64_t now_ms)
{
    struct params p = {.n = 0};
    p_text(&p, pump_id);
    p_i64(&p, now_ms);
    p_text(&p, state_json);
    p_text(&p, care_area);
    p_text(&p, patient_id);
    store_status rc = pg_write(s, PS_PUMP_STATE, &p, "pump state");
    return (rc == STORE_DUPLICATE) ? STORE_OK : rc;
}

store_status store__pg_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    p_text(&p, pump_id);
    r = pg_exec(s, PS_PUMP_LAST_SEQ, &p, &rc, "pump last seq");
    if (r == NULL) {
        return rc;
    }
    *seq = (uint64_t)col_i64(r, 0, 0);
    PQclear(r);
    return STORE_OK;
}

store_status store__pg_event_add(struct store *s, const struct store_event *e)
{
    struct params p = {.n = 0};
    p_text(&p, e->pump_id);
    p_i64(&p, (int64_t)e->seq);
    p_i64(&p, (int64_t)e->time_ms);
    p_i64(&p, e->wall_ms);
    p_i64(&p, e->received_ms);
    p_text(&p, e->type);
    p_i64(&p, (int64_t)e->channel);
    p_text(&p, e->patient_id);
    p_text(&p, e->json);
    return pg_write(s, PS_EVENT_ADD, &p, "event add");
}

static int64_t row_limit(size_t limit)
{
    if (limit == 0U) {
        return 1000;
    }
    return (limit > (size_t)INT64_MAX) ? INT64_MAX : (int64_t)limit;
}

/* Column col of every row parsed as JSON, in a new array. */
static json_t *json_column_rows(struct store *s, PGresult *r, int col, const char *what)
{
    json_t *arr = json_array();
    int n = PQntuples(r);
    if (arr == NULL) {
        (void)store__fail(s, "store: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        json_error_t jerr;
        json_t *v = json_loads(PQgetvalue(r, i, col), JSON_DECODE_ANY, &jerr);
        if (v == NULL || json_array_append_new(arr, v) != 0) {
            (void)store__fail(s, "store: %s: stored JSON does not parse: %s", what,
                              v == NULL ? jerr.text : "out of memory");
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *store__pg_events_query(struct store *s, const struct store_event_filter *f)
{
    unsigned combo = (f->pump_id != NULL ? 1U : 0U) | (f->patient_id != NULL ? 2U : 0U) |
                     (f->type != NULL ? 4U : 0U);
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    json_t *arr;
    p_text(&p, f->pump_id);
    p_text(&p, f->patient_id);
    p_text(&p, f->type);
    p_i64(&p, f->from_wall_ms);
    p_i64(&p, f->to_wall_ms);
    p_i64(&p, row_limit(f->limit));
    r = pg_exec(s, (enum pg_stmt)(PS_EVENTS_Q0 + (int)combo), &p, &rc, "events query");
    if (r == NULL) {
        return NULL;
    }
    arr = json_column_rows(s, r, 0, "events query");
    PQclear(r);
    return arr;
}

/* ---- patients, orders ------------------------------------------------------------------------ */

store_status store__pg_patient_seen(struct store *s, const char *patient_id, const char *family,
                                    const char *given, int64_t now_ms)
{
    struct params p = {.n = 0};
    p_text(&p, patient_id);
    p_text(&p, family);
    p_text(&p, given);
    p_i64(&p, now_ms);
    return pg_write(s, PS_PATIENT_SEEN, &p, "patient");
}

store_status store__pg_order_add(struct store *s, const struct store_order *o, int64_t *order_id)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    p_text(&p, o->sender);
    p_text(&p, o->control_id);
    p_text(&p, o->placer_id);
    p_text(&p, o->pump_id);
    p_text(&p, o->patient_id);
    p_text(&p, o->drug);
    p_text(&p, o->raw);
    p_i64(&p, o->received_ms);
    r = pg_exec(s, PS_ORDER_ADD, &p, &rc, "order add");
    if (r == NULL) {
        return rc;
    }
    if (PQntuples(r) == 1) {
        *order_id = col_i64(r, 0, 0);
        PQclear(r);
        return STORE_OK;
    }
    PQclear(r);
    p.n = 0;
    p_text(&p, o->sender);
    p_text(&p, o->control_id);
    r = pg_exec(s, PS_ORDER_FIND, &p, &rc, "order lookup");
    if (r == NULL) {
        return rc;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return store__fail(s, "store: order %s/%s vanished", o->sender, o->control_id);
    }
    *order_id = col_i64(r, 0, 0);
    PQclear(r);
    return STORE_DUPLICATE;
}

store_status store__pg_order_status_add(struct store *s, int64_t order_id, const char *status,
                                        const char *detail, int64_t now_ms)
{
    struct params p = {.n = 0};
    store_status rc;
    p_i64(&p, order_id);
    p_text(&p, status);
    p_text(&p, detail);
    p_i64(&p, now_ms);
    rc = pg_write(s, PS_ORDER_STATUS_ADD, &p, "order status");
    if (rc == STORE_DUPLICATE) {
        (void)store__fail(s, "store: no order %lld", (long long)order_id);
        return STORE_NOT_FOUND;
    }
    return rc;
}

/* key: text of (row, col), null when NULL. */
static bool put_text(json_t *obj, const char *key, PGresult *r, int row, int col)
{
    json_t *v = PQgetisnull(r, row, col) ? json_null() : json_string(PQgetvalue(r, row, col));
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static bool put_int(json_t *obj, const char *key, PGresult *r, int row, int col)
{
    json_t *v =
        PQgetisnull(r, row, col) ? json_null() : json_integer((json_int_t)col_i64(r, row, col));
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

static json_t *order_row(PGresult *r, int i)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    if (put_int(o, "order_id", r, i, 0) && put_text(o, "sender", r, i, 1) &&
        put_text(o, "control_id", r, i, 2) && put_text(o, "placer_id", r, i, 3) &&
        put_text(o, "pump_id", r, i, 4) && put_text(o, "patient_id", r, i, 5) &&
        put_text(o, "drug", r, i, 6) && put_int(o, "received_ms", r, i, 7) &&
        put_text(o, "status", r, i, 8) && put_text(o, "status_detail", r, i, 9) &&
        put_int(o, "status_ms", r, i, 10)) {
        return o;
    }
    json_decref(o);
    return NULL;
}

static json_t *command_row(PGresult *r, int i)
{
    json_t *o = json_object();
    json_t *body;
    if (o == NULL) {
        return NULL;
    }
    body = json_loads(PQgetvalue(r, i, 3), JSON_DECODE_ANY, NULL);
    if (body != NULL && put_text(o, "cmd_id", r, i, 0) && put_text(o, "pump_id", r, i, 1) &&
        put_text(o, "type", r, i, 2) && json_object_set_new(o, "json", body) == 0 &&
        put_int(o, "created_ms", r, i, 4)) {
        return o;
    }
    json_decref(o);
    return NULL;
}

enum row_kind { ROW_ORDER, ROW_COMMAND };

static json_t *object_rows(struct store *s, PGresult *r, enum row_kind kind, const char *what)
{
    json_t *arr = json_array();
    int n = PQntuples(r);
    if (arr == NULL) {
        (void)store__fail(s, "store: out of memory");
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        json_t *row = (kind == ROW_ORDER) ? order_row(r, i) : command_row(r, i);
        if (row == NULL || json_array_append_new(arr, row) != 0) {
            (void)store__fail(s, "store: %s: out of memory or stored JSON does not parse", what);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *store__pg_orders_query(struct store *s, const char *pump_id, size_t limit)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    json_t *arr;
    p_i64(&p, row_limit(limit));
    if (pump_id != NULL) {
        p_text(&p, pump_id);
    }
    r = pg_exec(s, pump_id != NULL ? PS_ORDERS_PUMP : PS_ORDERS_ALL, &p, &rc, "orders query");
    if (r == NULL) {
        return NULL;
    }
    arr = object_rows(s, r, ROW_ORDER, "orders query");
    PQclear(r);
    return arr;
}

/* ---- commands, replies, alarm acknowledgements ------------------------------------------- */

/* A guarded insert changed nothing: the row exists (duplicate) or its reference does not. */
static store_status dup_or_missing(struct store *s, enum pg_stmt exists, const struct params *p,
                                   const char *what)
{
    store_status rc = pg_exists(s, exists, p, what);
    if (rc == STORE_OK) {
        return STORE_DUPLICATE;
    }
    if (rc == STORE_NOT_FOUND) {
        (void)store__fail(s, "store: %s: the record it refers to does not exist", what);
    }
    return rc;
}

store_status store__pg_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                                   const char *type, int64_t order_id, const char *json,
                                   int64_t now_ms)
{
    struct params p = {.n = 0};
    store_status rc;
    p_text(&p, cmd_id);
    p_text(&p, pump_id);
    p_text(&p, type);
    if (order_id == 0) {
        p_text(&p, NULL);
    } else {
        p_i64(&p, order_id);
    }
    p_text(&p, json);
    p_i64(&p, now_ms);
    rc = pg_write(s, PS_COMMAND_ADD, &p, "command add");
    if (rc == STORE_DUPLICATE) {
        p.n = 1; /* cmd_id */
        return dup_or_missing(s, PS_COMMAND_EXISTS, &p, "command add");
    }
    return rc;
}

store_status store__pg_reply_add(struct store *s, const char *cmd_id, const char *result,
                                 const char *json, int64_t now_ms)
{
    struct params p = {.n = 0};
    store_status rc;
    p_text(&p, cmd_id);
    p_text(&p, result);
    p_text(&p, json);
    p_i64(&p, now_ms);
    rc = pg_write(s, PS_REPLY_ADD, &p, "reply add");
    if (rc == STORE_DUPLICATE) {
        p.n = 2; /* cmd_id, result */
        return dup_or_missing(s, PS_REPLY_EXISTS, &p, "reply add");
    }
    return rc;
}

store_status store__pg_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                     char *pump_id, size_t pump_id_cap)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    p_text(&p, cmd_id);
    r = pg_exec(s, PS_COMMAND_ORDER, &p, &rc, "command order");
    if (r == NULL) {
        return rc;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        (void)store__fail(s, "store: no command %s", cmd_id);
        return STORE_NOT_FOUND;
    }
    if (pump_id != NULL && pump_id_cap > 0U) {
        const char *v = PQgetvalue(r, 0, 1);
        size_t n = strlen(v);
        if (n >= pump_id_cap) {
            PQclear(r);
            return store__fail(s, "store: pump id of command %s needs %zu bytes", cmd_id, n + 1U);
        }
        memcpy(pump_id, v, n + 1U);
    }
    *order_id = col_i64(r, 0, 0); /* NULL reads as 0: no order */
    PQclear(r);
    return STORE_OK;
}

json_t *store__pg_commands_open(struct store *s)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r = pg_exec(s, PS_COMMANDS_OPEN, &p, &rc, "open commands");
    json_t *arr;
    if (r == NULL) {
        return NULL;
    }
    arr = object_rows(s, r, ROW_COMMAND, "open commands");
    PQclear(r);
    return arr;
}

store_status store__pg_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                     const char *user, int64_t now_ms)
{
    struct params p = {.n = 0};
    store_status rc;
    p_text(&p, pump_id);
    p_i64(&p, (int64_t)raised_seq);
    p_text(&p, user);
    p_i64(&p, now_ms);
    rc = pg_write(s, PS_ALARM_ACK_ADD, &p, "alarm ack");
    if (rc == STORE_DUPLICATE) {
        p.n = 2; /* pump_id, raised_seq */
        return dup_or_missing(s, PS_ALARM_ACK_EXISTS, &p, "alarm ack");
    }
    return rc;
}

/* ---- outbox ------------------------------------------------------------------------------------
 */

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

store_status store__pg_outbox_add(struct store *s, const char *dest, const char *control_id,
                                  const char *kind, const char *message, size_t len, int64_t now_ms,
                                  int64_t *id)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r;
    /* bytea in its text form "\x" + hex: any bytes pass, NUL included. */
    char *hex = malloc(2U * len + 3U);
    if (hex == NULL) {
        return store__fail(s, "store: out of memory");
    }
    hex[0] = '\\';
    hex[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)message[i];
        hex[2U + 2U * i] = hex_digits[c >> 4];
        hex[3U + 2U * i] = hex_digits[c & 0x0fU];
    }
    hex[2U + 2U * len] = '\0';
    p_text(&p, dest);
    p_text(&p, control_id);
    p_text(&p, kind);
    p_text(&p, hex);
    p_i64(&p, now_ms);
    r = pg_exec(s, PS_OUTBOX_ADD, &p, &rc, "outbox add");
    free(hex);
    if (r == NULL) {
        return rc;
    }
    rc = (PQntuples(r) == 1) ? STORE_OK : STORE_DUPLICATE;
    if (rc == STORE_OK) {
        *id = col_i64(r, 0, 0);
    }
    PQclear(r);
    return rc;
}

static void copy_value(char *dst, size_t cap, PGresult *r, int col)
{
    (void)snprintf(dst, cap, "%s", PQgetvalue(r, 0, col));
}

store_status store__pg_outbox_head(struct store *s, const char *dest, struct store_outbox_msg *out)
{
    struct params p = {.n = 0};
    struct store_outbox_msg m;
    store_status rc;
    PGresult *r;
    const char *hex;
    size_t hex_len;
    p_text(&p, dest);
    r = pg_exec(s, PS_OUTBOX_HEAD, &p, &rc, "outbox head");
    if (r == NULL) {
        return rc;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        (void)store__fail(s, "store: outbox %s is empty", dest);
        return STORE_NOT_FOUND;
    }
    memset(&m, 0, sizeof m);
    m.id = col_i64(r, 0, 0);
    copy_value(m.dest, sizeof m.dest, r, 1);
    copy_value(m.control_id, sizeof m.control_id, r, 2);
    copy_value(m.kind, sizeof m.kind, r, 3);
    hex = PQgetvalue(r, 0, 4);
    hex_len = strlen(hex);
    if (hex_len < 2U || hex[0] != '\\' || hex[1] != 'x' || hex_len % 2U != 0U) {
        PQclear(r);
        return store__fail(s, "store: outbox message is not in bytea hex form "
                              "(bytea_output must be 'hex')");
    }
    m.message_len = (hex_len - 2U) / 2U;
    m.message = malloc(m.message_len + 1U);
    if (m.message == NULL) {
        PQclear(r);
        return store__fail(s, "store: out of memory reading outbox message");
    }
    for (size_t i = 0; i < m.message_len; i++) {
        int hi = hex_value(hex[2U + 2U * i]);
        int lo = hex_value(hex[3U + 2U * i]);
        if (hi < 0 || lo < 0) {
            free(m.message);
            PQclear(r);
            return store__fail(s, "store: outbox message hex is broken");
        }
        m.message[i] = (char)((hi << 4) | lo);
    }
    m.message[m.message_len] = '\0';
    m.attempts = (uint32_t)col_i64(r, 0, 5);
    m.next_try_ms = col_i64(r, 0, 6);
    m.created_ms = col_i64(r, 0, 7);
    PQclear(r);
    *out = m;
    return STORE_OK;
}

static store_status outbox_unchanged(struct store *s, int64_t id)
{
    struct params p = {.n = 0};
    store_status rc;
    p_i64(&p, id);
    rc = pg_exists(s, PS_OUTBOX_STATE, &p, "outbox lookup");
    if (rc == STORE_OK) {
        (void)store__fail(s, "store: outbox message %lld is acknowledged already", (long long)id);
        return STORE_DUPLICATE;
    }
    if (rc == STORE_NOT_FOUND) {
        (void)store__fail(s, "store: no outbox message %lld", (long long)id);
    }
    return rc;
}

store_status store__pg_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms,
                                    const char *why)
{
    struct params p = {.n = 0};
    store_status rc;
    p_i64(&p, id);
    p_i64(&p, next_try_ms);
    p_text(&p, why);
    rc = pg_write(s, PS_OUTBOX_RETRY, &p, "outbox retry");
    return (rc == STORE_DUPLICATE) ? outbox_unchanged(s, id) : rc;
}

store_status store__pg_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                    const char *ack_text, int64_t now_ms)
{
    struct params p = {.n = 0};
    store_status rc;
    p_i64(&p, id);
    p_i64(&p, now_ms);
    p_text(&p, ack_code);
    p_text(&p, ack_text);
    rc = pg_write(s, PS_OUTBOX_ACKED, &p, "outbox acked");
    return (rc == STORE_DUPLICATE) ? outbox_unchanged(s, id) : rc;
}

json_t *store__pg_outbox_depths(struct store *s)
{
    struct params p = {.n = 0};
    store_status rc;
    PGresult *r = pg_exec(s, PS_OUTBOX_DEPTHS, &p, &rc, "outbox depths");
    json_t *obj;
    if (r == NULL) {
        return NULL;
    }
    obj = json_object();
    for (int i = 0; obj != NULL && i < PQntuples(r); i++) {
        json_t *n = json_integer((json_int_t)col_i64(r, i, 1));
        if (n == NULL || json_object_set_new(obj, PQgetvalue(r, i, 0), n) != 0) {
            json_decref(obj);
            obj = NULL;
        }
    }
    PQclear(r);
    if (obj == NULL) {
        (void)store__fail(s, "store: outbox depths: out of memory");
    }
    return obj;
}

/* ---- audit -------------------------------------------------------------------------------------
 */

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

store_status store__pg_audit_add(struct store *s, const char *actor, const char *action,
                                 const char *detail, int64_t now_ms)
{
    bool own = PQtransactionStatus(s->pg->conn) == PQTRANS_IDLE;
    char prev[STORE_HASH_HEX_BYTES];
    char hash[STORE_HASH_HEX_BYTES];
    struct params p = {.n = 0};
    int64_t last_id = 0;
    store_status rc;
    PGresult *r;
    if (own && store__pg_exec_named(s, 0) != STORE_OK) {
        return STORE_ERR;
    }
    /* Other infusiond instances append too: one writer at a time reads the tail and appends;
     * readers are not blocked (EXCLUSIVE allows ACCESS SHARE). */
    rc = exec_sql(s, "LOCK TABLE audit IN EXCLUSIVE MODE");
    if (rc == STORE_OK) {
        r = pg_exec(s, PS_AUDIT_LAST, &p, &rc, "audit tail");
        if (r != NULL) {
            if (PQntuples(r) == 1) {
                last_id = col_i64(r, 0, 0);
                copy_value(prev, sizeof prev, r, 1);
            } else {
                memcpy(prev, zero_hash, sizeof zero_hash);
            }
            PQclear(r);
        }
    }
    if (rc == STORE_OK) {
        rc = store__audit_hash(s, prev, last_id + 1, actor, action, detail, now_ms, hash);
    }
    if (rc == STORE_OK) {
        p_i64(&p, last_id + 1);
        p_text(&p, actor);
        p_text(&p, action);
        p_text(&p, detail);
        p_i64(&p, now_ms);
        p_text(&p, prev);
        p_text(&p, hash);
        rc = pg_write(s, PS_AUDIT_ADD, &p, "audit add");
    }
    if (own) {
        if (rc == STORE_OK) {
            rc = store__pg_exec_named(s, 1);
        } else {
            char why[sizeof s->err];
            (void)snprintf(why, sizeof why, "%s", s->err);
            (void)store__pg_exec_named(s, 2);
            (void)store__fail(s, "%s", why);
        }
    }
    return (rc == STORE_OK) ? STORE_OK : STORE_ERR;
}

store_status store__pg_audit_verify(struct store *s, uint64_t *rows)
{
    struct params p = {.n = 0};
    char expect_prev[STORE_HASH_HEX_BYTES];
    store_status rc;
    PGresult *r = pg_exec(s, PS_AUDIT_ALL, &p, &rc, "audit verify");
    int n;
    if (r == NULL) {
        return STORE_ERR;
    }
    memcpy(expect_prev, zero_hash, sizeof zero_hash);
    n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        char hash[STORE_HASH_HEX_BYTES];
        int64_t id = col_i64(r, i, 0);
        const char *prev = PQgetvalue(r, i, 5);
        if (id != (int64_t)i + 1) {
            PQclear(r);
            return store__fail(s, "store: audit row %lld: expected row %d (a row is missing)",
                               (long long)id, i + 1);
        }
        if (strcmp(prev, expect_prev) != 0) {
            PQclear(r);
            return store__fail(s, "store: audit row %lld: previous hash does not chain",
                               (long long)id);
        }
        if (store__audit_hash(s, prev, id, PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                              PQgetvalue(r, i, 3), col_i64(r, i, 4), hash) != STORE_OK) {
            PQclear(r);
            return STORE_ERR;
        }
        if (strcmp(hash, PQgetvalue(r, i, 6)) != 0) {
            PQclear(r);
            return store__fail(s, "store: audit row %lld: hash mismatch (record altered)",
                               (long long)id);
        }
        memcpy(expect_prev, hash, sizeof hash);
    }
    PQclear(r);
    *rows = (uint64_t)n;
    return STORE_OK;
}
