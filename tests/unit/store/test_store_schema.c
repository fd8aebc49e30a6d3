/* test_store_schema.c - open creates and migrates, reopen applies nothing, an old schema is
 * brought forward, a newer schema is refused, WAL is on, clinical tables refuse UPDATE/DELETE
 * even from a raw connection. */
#define _POSIX_C_SOURCE 200809L

#include "store_test_util.h"

/* The same catalog question in each dialect. */
#define PG_TABLES "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'"
static const char *dialect(const struct t_db *t, const char *lite, const char *pg)
{
    return t->is_pg ? pg : lite;
}

static void open_creates_and_migrates(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    int known = store__lite_known_version();
    assert_true(known >= 3);
    assert_int_equal(store__pg_known_version(), known); /* one schema, two dialects */
    assert_int_equal(store_schema_version(s), known);
    store_close(s);
    db = t_raw(t);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations"), known);
    assert_int_equal(t_raw_int(db, "SELECT MAX(version) FROM schema_migrations"), known);
    /* Every migration recorded with a time, in order 1..N. */
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations WHERE applied_ms > 0"),
                     known);
    assert_int_equal(t_raw_int(db, "SELECT SUM(version) FROM schema_migrations"),
                     known * (known + 1) / 2);
    assert_int_equal(
        t_raw_int(db, dialect(t,
                              "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
                              " ('pumps','patients','events','orders','order_status','commands',"
                              "'replies','alarm_acks','outbox','audit')",
                              PG_TABLES " AND table_type = 'BASE TABLE' AND table_name IN"
                                        " ('pumps','patients','events','orders','order_status',"
                                        "'commands','replies','alarm_acks','outbox','audit')")),
        10);
    assert_int_equal(
        t_raw_int(db, dialect(t,
                              "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'view' AND"
                              " name IN ('programs','alarms')",
                              PG_TABLES " AND table_type = 'VIEW' AND table_name IN"
                                        " ('programs','alarms')")),
        2);
    t_raw_close(db);
}

static void wal_mode_is_persistent(void **state)
{
    struct t_db *t = *state;
    struct store *s;
    struct t_raw *db;
    char mode[16];
    t_sqlite_only(t);
    s = t_open(t);
    store_close(s);
    db = t_raw(t);
    t_raw_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    assert_string_equal(mode, "wal");
    t_raw_close(db);
}

static void reopen_applies_nothing(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    int64_t before;
    store_close(s);
    db = t_raw(t);
    /* Mark the recorded times: a re-applied migration would add or rewrite rows. */
    assert_int_equal(t_raw_exec(db, "UPDATE schema_migrations SET applied_ms = 7"), T_OK);
    before = t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations");
    t_raw_close(db);
    s = t_open(t);
    assert_int_equal(store_schema_version(s), store__lite_known_version());
    store_close(s);
    db = t_raw(t);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations"), before);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations WHERE applied_ms = 7"),
                     before);
    t_raw_close(db);
}

#define LITE_TRIGGERS "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'trigger'"
#define PG_TRIGGERS   "SELECT COUNT(*) FROM pg_trigger WHERE NOT tgisinternal"

static void old_schema_is_brought_forward(void **state)
{
    struct t_db *t = *state;
    char err[512] = "";
    struct store *s = store__open_max(t->url, 1, err, sizeof err);
    struct t_raw *db;
    assert_non_null(s);
    assert_int_equal(store_schema_version(s), 1);
    store_close(s);
    db = t_raw(t);
    /* Version 1 has the tables but not the triggers of version 2. */
    assert_int_equal(t_raw_int(db, dialect(t, LITE_TRIGGERS, PG_TRIGGERS)), 0);
    t_raw_close(db);
    s = t_open(t);
    assert_int_equal(store_schema_version(s), store__lite_known_version());
    store_close(s);
    db = t_raw(t);
    assert_true(t_raw_int(db, dialect(t, LITE_TRIGGERS, PG_TRIGGERS)) >= 16);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM schema_migrations"),
                     store__lite_known_version());
    t_raw_close(db);
}

static void newer_schema_is_refused(void **state)
{
    struct t_db *t = *state;
    char err[512] = "";
    struct store *s = t_open(t);
    struct t_raw *db;
    char sql[128];
    store_close(s);
    db = t_raw(t);
    (void)snprintf(sql, sizeof sql,
                   "INSERT INTO schema_migrations (version, applied_ms) VALUES (%d, 1)",
                   store__lite_known_version() + 1);
    assert_int_equal(t_raw_exec(db, sql), T_OK);
    t_raw_close(db);
    s = store_open(t->url, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "newer than this build"));
}

static void bad_urls_are_refused(void **state)
{
    struct t_db *t = *state;
    char err[512] = "";
    char url[400];
    assert_null(store_open("", err, sizeof err));
    assert_non_null(strstr(err, "empty"));
    assert_null(store_open("sqlite:", err, sizeof err));
    assert_null(store_open(NULL, err, sizeof err));
    assert_null(store_open("postgresql://127.0.0.1:1/x", err, sizeof err));
    assert_non_null(strstr(err, "PostgreSQL"));
    /* A directory that does not exist: SQLite cannot create the file. */
    (void)snprintf(url, sizeof url, "%s/no/such/dir/x.db", t->dir);
    assert_null(store_open(url, err, sizeof err));
    assert_true(strlen(err) > 0U);
    /* A tiny error buffer is cut, not overrun. */
    err[0] = 'x';
    err[1] = 'y';
    assert_null(store_open("", err, 2));
    assert_int_equal(err[1], '\0');
}

static void plain_path_opens_sqlite(void **state)
{
    struct t_db *t = *state;
    char err[512] = "";
    struct store *s;
    t_sqlite_only(t);
    s = store_open(t->path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(store_schema_version(s), store__lite_known_version());
    store_close(s);
}

/* Fills every clinical table with one row through the API. */
static void fill(struct store *s)
{
    struct store_order o = {"EHR", "MSG1", "PL1", "P1", "MRN1", "HEP^Heparin", "MSH|...", 5};
    int64_t order_id = 0;
    int64_t out_id = 0;
    assert_int_equal(t_add_event(s, "P1", 1, "alarm_raised", 1000, "MRN1"), STORE_OK);
    assert_int_equal(store_patient_seen(s, "MRN1", "Doe", "Jane", 1), STORE_OK);
    assert_int_equal(store_order_add(s, &o, &order_id), STORE_OK);
    assert_int_equal(store_order_status_add(s, order_id, "received", NULL, 6), STORE_OK);
    assert_int_equal(store_command_add(s, "c1", "P1", "program", order_id, "{}", 7), STORE_OK);
    assert_int_equal(store_reply_add(s, "c1", "accepted", "{}", 8), STORE_OK);
    assert_int_equal(store_alarm_ack_add(s, "P1", 1, "nurse1", 9), STORE_OK);
    assert_int_equal(store_audit_add(s, "admin", "login", "", 10), STORE_OK);
    assert_int_equal(store_outbox_add(s, "doc", "OUT1", "pcd10", "MSH|x", 5, 11, &out_id),
                     STORE_OK);
}

static void clinical_tables_refuse_update_and_delete(void **state)
{
    /* each table with a column to rewrite */
    static const char *const tables[][2] = {{"events", "seq"},          {"patients", "family"},
                                            {"orders", "drug"},         {"order_status", "status"},
                                            {"commands", "type"},       {"replies", "result"},
                                            {"alarm_acks", "acked_by"}, {"audit", "detail"}};
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    fill(s);
    db = t_raw(t);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[160];
        (void)snprintf(sql, sizeof sql, "UPDATE %s SET %s = %s", tables[i][0], tables[i][1],
                       tables[i][1]);
        assert_int_equal(t_raw_exec(db, sql), T_REFUSED);
        assert_non_null(strstr(db->err, "append-only"));
        (void)snprintf(sql, sizeof sql, "DELETE FROM %s", tables[i][0]);
        assert_int_equal(t_raw_exec(db, sql), T_REFUSED);
        if (t->is_pg) {
            (void)snprintf(sql, sizeof sql, "TRUNCATE %s CASCADE", tables[i][0]);
            assert_int_equal(t_raw_exec(db, sql), T_REFUSED);
        }
        (void)snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", tables[i][0]);
        assert_int_equal(t_raw_int(db, sql), 1);
    }
    /* The outbox: the message is fixed and rows are kept; delivery state may change. */
    assert_int_equal(t_raw_exec(db, "UPDATE outbox SET message = 'forged'"), T_REFUSED);
    assert_int_equal(t_raw_exec(db, "UPDATE outbox SET dest = 'elsewhere'"), T_REFUSED);
    assert_int_equal(t_raw_exec(db, "DELETE FROM outbox"), T_REFUSED);
    assert_int_equal(t_raw_exec(db, "UPDATE outbox SET attempts = 3"), T_OK);
    /* Pumps are bookkeeping: mutable. */
    assert_int_equal(t_raw_exec(db, "UPDATE pumps SET online = 1"), T_OK);
    t_raw_close(db);
    store_close(s);
}

static void views_show_programs_and_alarms(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    fill(s);
    assert_int_equal(t_add_event(s, "P1", 2, "rate_change", 1001, "MRN1"), STORE_OK);
    db = t_raw(t);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM programs WHERE cmd_id = 'c1'"), 1);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM alarms"), 1);
    assert_int_equal(t_raw_int(db, "SELECT acked_ms FROM alarms WHERE seq = 1"), 9);
    t_raw_close(db);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_creates_and_migrates, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(wal_mode_is_persistent, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(reopen_applies_nothing, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(old_schema_is_brought_forward, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(bad_urls_are_refused, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(plain_path_opens_sqlite, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(clinical_tables_refuse_update_and_delete, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(views_show_programs_and_alarms, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
