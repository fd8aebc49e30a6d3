/*
 * store_test_util.h - helpers shared by the store tests: a fresh database per test (SQLite in
 * its own temporary directory, or PostgreSQL), a raw connection to the same database (to play
 * the tamperer and the inspector), event builders.
 */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "store.h"
#include "store_internal.h"

/*
 * Backend: SQLite in a fresh temporary directory; or, when OI_TEST_PG_URL is set
 * (tests/integration/pg_test_server.sh sets it to "postgresql://USER@HOST:PORT/DBNAME"), a fresh
 * PostgreSQL database per test on that server, dropped afterwards.
 */
struct t_db {
    bool is_pg;
    char dir[256];
    char path[300];
    char url[600];
    char pg_admin[512];
    char pg_name[64];
};

/* Runs one statement on a PostgreSQL connection; true when it succeeded. */
static inline bool t_pg_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok) {
        print_error("%s: %s", sql, PQresultErrorMessage(r));
    }
    PQclear(r);
    return ok;
}

static inline int t_setup_pg(struct t_db *t, const char *admin)
{
    static unsigned counter;
    char sql[128];
    const char *slash = strrchr(admin, '/');
    PGconn *c;
    bool ok;
    if (slash == NULL || strlen(admin) >= sizeof t->pg_admin) {
        return -1;
    }
    t->is_pg = true;
    (void)snprintf(t->pg_admin, sizeof t->pg_admin, "%s", admin);
    (void)snprintf(t->pg_name, sizeof t->pg_name, "oi_t_%ld_%u", (long)getpid(), counter++);
    /* The test database replaces the admin URL's database name (after the last '/'). */
    memcpy(t->url, admin, (size_t)(slash - admin) + 1U);
    memcpy(t->url + (slash - admin) + 1, t->pg_name, strlen(t->pg_name) + 1U);
    c = PQconnectdb(admin);
    if (PQstatus(c) != CONNECTION_OK) {
        print_error("%s: %s", admin, PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    (void)snprintf(sql, sizeof sql, "CREATE DATABASE %s", t->pg_name);
    ok = t_pg_ok(c, sql);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* cmocka setup: a new empty database; state gets the struct t_db. */
static inline int t_setup(void **state)
{
    const char *tmp = getenv("TMPDIR");
    const char *pg = getenv("OI_TEST_PG_URL");
    struct t_db *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return -1;
    }
    *state = t;
    if (pg != NULL && pg[0] != '\0') {
        return t_setup_pg(t, pg);
    }
    (void)snprintf(t->dir, sizeof t->dir, "%s/oi-store-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(t->dir) == NULL) {
        return -1;
    }
    (void)snprintf(t->path, sizeof t->path, "%s/store.db", t->dir);
    (void)snprintf(t->url, sizeof t->url, "sqlite:%s", t->path);
    return 0;
}

static inline int t_teardown(void **state)
{
    struct t_db *t = *state;
    char cmd[400];
    int rc = 0;
    if (t->is_pg) {
        PGconn *c = PQconnectdb(t->pg_admin);
        (void)snprintf(cmd, sizeof cmd, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t->pg_name);
        rc = (PQstatus(c) == CONNECTION_OK && t_pg_ok(c, cmd)) ? 0 : -1;
        PQfinish(c);
    } else if (t->dir[0] != '\0') {
        (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
        rc = system(cmd) == 0 ? 0 : -1;
    }
    free(t);
    return rc;
}

/* Tests of SQLite's own mechanics (file, WAL) are skipped on PostgreSQL. */
static inline void t_sqlite_only(const struct t_db *t)
{
    if (t->is_pg) {
        skip();
    }
}

static inline struct store *t_open(const struct t_db *t)
{
    char err[512] = "";
    struct store *s = store_open(t->url, err, sizeof err);
    if (s == NULL) {
        fail_msg("store_open %s: %s", t->url, err);
    }
    return s;
}

/* A second, raw connection to the same database: what a tamperer or an inspector has. */
struct t_raw {
    sqlite3 *lite;
    PGconn *pg;
    int64_t changes;
    char err[256];
};

enum { T_OK = 0, T_REFUSED, T_FAILED };

static inline struct t_raw *t_raw(const struct t_db *t)
{
    struct t_raw *r = calloc(1, sizeof *r);
    assert_non_null(r);
    if (t->is_pg) {
        r->pg = PQconnectdb(t->url);
        assert_int_equal(PQstatus(r->pg), CONNECTION_OK);
        return r;
    }
    assert_int_equal(sqlite3_open_v2(t->path, &r->lite, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_busy_timeout(r->lite, 5000), SQLITE_OK);
    return r;
}

static inline void t_raw_close(struct t_raw *r)
{
    if (r->pg != NULL) {
        PQfinish(r->pg);
    }
    if (r->lite != NULL) {
        (void)sqlite3_close(r->lite);
    }
    free(r);
}

/* The first column of the first row of sql as text into buf ("" when no row or NULL). */
static inline void t_raw_text(struct t_raw *r, const char *sql, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (r->pg != NULL) {
        PGresult *res = PQexec(r->pg, sql);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            fail_msg("%s: %s", sql, PQresultErrorMessage(res));
        }
        if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
            (void)snprintf(buf, cap, "%s", PQgetvalue(res, 0, 0));
        }
        PQclear(res);
        return;
    }
    {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(r->lite, sql, -1, &st, NULL) != SQLITE_OK) {
            fail_msg("%s: %s", sql, sqlite3_errmsg(r->lite));
        }
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL) {
            (void)snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
        }
        (void)sqlite3_finalize(st);
    }
}

/* The first column of the first row of sql as an integer (-1 when no row or NULL). */
static inline int64_t t_raw_int(struct t_raw *r, const char *sql)
{
    char buf[64];
    t_raw_text(r, sql, buf, sizeof buf);
    return buf[0] == '\0' ? -1 : (int64_t)strtoll(buf, NULL, 10);
}

/* T_OK, T_REFUSED (a constraint or trigger said no) or T_FAILED; r->changes, r->err set. */
static inline int t_raw_exec(struct t_raw *r, const char *sql)
{
    r->err[0] = '\0';
    r->changes = 0;
    if (r->pg != NULL) {
        PGresult *res = PQexec(r->pg, sql);
        int rc = T_OK;
        if (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK) {
            r->changes = strtoll(PQcmdTuples(res), NULL, 10);
        } else {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            rc = (state != NULL && strncmp(state, "23", 2) == 0) ? T_REFUSED : T_FAILED;
            (void)snprintf(r->err, sizeof r->err, "%s", PQresultErrorMessage(res));
        }
        PQclear(res);
        return rc;
    }
    {
        int rc = sqlite3_exec(r->lite, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK) {
            r->changes = sqlite3_changes(r->lite);
            return T_OK;
        }
        (void)snprintf(r->err, sizeof r->err, "%s", sqlite3_errmsg(r->lite));
        return (rc == SQLITE_CONSTRAINT) ? T_REFUSED : T_FAILED;
    }
}

/* Drops trigger name on table (the dialects differ). */
static inline void t_raw_drop_trigger(struct t_raw *r, const char *name, const char *table)
{
    char sql[160];
    if (r->pg != NULL) {
        (void)snprintf(sql, sizeof sql, "DROP TRIGGER %s ON %s", name, table);
    } else {
        (void)snprintf(sql, sizeof sql, "DROP TRIGGER %s", name);
    }
    assert_int_equal(t_raw_exec(r, sql), T_OK);
}

/* An event record as a pump sends it; json is written into buf. */
static inline struct store_event t_event(char *buf, size_t cap, const char *pump_id, uint64_t seq,
                                         const char *type, int64_t wall_ms, const char *patient_id)
{
    struct store_event e;
    (void)snprintf(buf, cap,
                   "{\"seq\":%llu,\"time_ms\":%llu,\"type\":\"%s\",\"channel\":0,"
                   "\"wall_ms\":%lld,\"pump\":\"%s\"}",
                   (unsigned long long)seq, (unsigned long long)seq * 10U, type, (long long)wall_ms,
                   pump_id);
    memset(&e, 0, sizeof e);
    e.pump_id = pump_id;
    e.seq = seq;
    e.time_ms = seq * 10U;
    e.wall_ms = wall_ms;
    e.received_ms = wall_ms + 5;
    e.type = type;
    e.channel = 0;
    e.patient_id = patient_id;
    e.json = buf;
    return e;
}

static inline store_status t_add_event(struct store *s, const char *pump_id, uint64_t seq,
                                       const char *type, int64_t wall_ms, const char *patient_id)
{
    char buf[256];
    struct store_event e = t_event(buf, sizeof buf, pump_id, seq, type, wall_ms, patient_id);
    return store_event_add(s, &e);
}

#endif
