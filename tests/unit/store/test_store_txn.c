/* test_store_txn.c - transactions: a rollback leaves nothing, a commit survives close and
 * reopen, a duplicate inside a group does not spoil the group, and a process that dies in the
 * middle of a transaction (exit or SIGKILL, no close) leaves exactly what it had committed. */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "store_test_util.h"

static size_t count_events(struct store *s, const char *pump_id)
{
    struct store_event_filter f = {pump_id, NULL, NULL, INT64_MIN, INT64_MAX, 100000};
    json_t *rows = store_events_query(s, &f);
    size_t n;
    assert_non_null(rows);
    n = json_array_size(rows);
    json_decref(rows);
    return n;
}

static void rollback_leaves_nothing(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_order o = {"EHR", "M1", "PL", "P1", "MRN1", "D", "MSH", 1};
    int64_t id = 0;
    json_t *d;
    uint64_t rows = 1;
    assert_int_equal(store_begin(s), STORE_OK);
    for (uint64_t i = 1; i <= 20U; i++) {
        assert_int_equal(t_add_event(s, "P1", i, "start", (int64_t)i, NULL), STORE_OK);
    }
    assert_int_equal(store_order_add(s, &o, &id), STORE_OK);
    assert_int_equal(store_outbox_add(s, "doc", "C1", "pcd10", "m", 1, 1, &id), STORE_OK);
    assert_int_equal(store_audit_add(s, "u", "a", "d", 1), STORE_OK);
    assert_int_equal(store_pump_touch(s, "P1", 1), STORE_OK);
    assert_int_equal(count_events(s, "P1"), 20); /* visible inside the transaction */
    assert_int_equal(store_rollback(s), STORE_OK);
    assert_int_equal(count_events(s, "P1"), 0);
    d = store_outbox_depths(s);
    assert_int_equal(json_object_size(d), 0);
    json_decref(d);
    d = store_orders_query(s, NULL, 0);
    assert_int_equal(json_array_size(d), 0);
    json_decref(d);
    assert_int_equal(store_audit_verify(s, &rows), STORE_OK);
    assert_int_equal(rows, 0);
    /* The same keys are free again. */
    assert_int_equal(store_order_add(s, &o, &id), STORE_OK);
    store_close(s);
}

static void commit_survives_reopen(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    uint64_t seq = 0;
    assert_int_equal(store_begin(s), STORE_OK);
    for (uint64_t i = 1; i <= 50U; i++) {
        assert_int_equal(t_add_event(s, "P1", i, "volume", (int64_t)i, "MRN1"), STORE_OK);
    }
    assert_int_equal(store_commit(s), STORE_OK);
    store_close(s);
    s = t_open(t);
    assert_int_equal(count_events(s, "P1"), 50);
    assert_int_equal(store_pump_last_seq(s, "P1", &seq), STORE_OK);
    assert_int_equal(seq, 50);
    store_close(s);
}

static void duplicate_inside_group_keeps_the_group(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    assert_int_equal(t_add_event(s, "P1", 1, "start", 1, NULL), STORE_OK);
    /* A resent batch overlaps what is stored: the new records still commit. */
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(t_add_event(s, "P1", 1, "start", 1, NULL), STORE_DUPLICATE);
    assert_int_equal(t_add_event(s, "P1", 2, "stop", 2, NULL), STORE_OK);
    assert_int_equal(store_commit(s), STORE_OK);
    assert_int_equal(count_events(s, "P1"), 2);
    store_close(s);
}

/* In PostgreSQL a failed statement would abort the whole transaction: a refused reference or a
 * duplicate must not, on either backend. */
static void refusals_inside_group_keep_the_group(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    int64_t id = 0;
    assert_int_equal(store_command_add(s, "c1", "P1", "associate", 0, "{}", 1), STORE_OK);
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(t_add_event(s, "P1", 1, "alarm_raised", 1, NULL), STORE_OK);
    assert_int_equal(store_order_status_add(s, 777, "accepted", NULL, 2), STORE_NOT_FOUND);
    assert_int_equal(store_reply_add(s, "nope", "accepted", "{}", 3), STORE_NOT_FOUND);
    assert_int_equal(store_alarm_ack_add(s, "P1", 2, "nurse", 4), STORE_NOT_FOUND);
    assert_int_equal(store_command_add(s, "c1", "P1", "associate", 0, "{}", 5), STORE_DUPLICATE);
    assert_int_equal(store_command_add(s, "c2", "P1", "program", 777, "{}", 5), STORE_NOT_FOUND);
    assert_int_equal(store_outbox_acked(s, 777, "AA", NULL, 6), STORE_NOT_FOUND);
    assert_int_equal(t_add_event(s, "P1", 2, "stop", 7, NULL), STORE_OK);
    assert_int_equal(store_alarm_ack_add(s, "P1", 1, "nurse", 8), STORE_OK);
    assert_int_equal(store_outbox_add(s, "doc", "C1", "pcd04", "m", 1, 9, &id), STORE_OK);
    assert_int_equal(store_commit(s), STORE_OK);
    assert_int_equal(count_events(s, "P1"), 2);
    assert_int_equal(store_alarm_ack_add(s, "P1", 1, "nurse", 10), STORE_DUPLICATE);
    store_close(s);
}

static void misuse_is_an_error(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    assert_int_equal(store_commit(s), STORE_ERR); /* no transaction */
    assert_true(strlen(store_errmsg(s)) > 0U);
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(store_begin(s), STORE_ERR); /* nested */
    assert_int_equal(store_rollback(s), STORE_OK);
    assert_int_equal(store_begin(NULL), STORE_ERR);
    assert_null(store_events_query(NULL, NULL));
    store_close(NULL);
    store_close(s);
}

enum death { DIE_EXIT, DIE_KILL };

/* Child: commits n_groups groups of 10 events, then dies inside the next group. */
static void child(const struct t_db *t, int n_groups, enum death how)
{
    char err[256];
    struct store *s = store_open(t->url, err, sizeof err);
    uint64_t seq = 1;
    if (s == NULL) {
        _exit(3);
    }
    for (int g = 0; g <= n_groups; g++) {
        if (store_begin(s) != STORE_OK) {
            _exit(4);
        }
        for (int i = 0; i < 10; i++, seq++) {
            if (t_add_event(s, "P1", seq, "volume", (int64_t)seq, NULL) != STORE_OK) {
                _exit(5);
            }
        }
        if (g == n_groups) {
            /* Mid-transaction, no commit, no close. */
            if (how == DIE_KILL) {
                (void)kill(getpid(), SIGKILL);
            }
            _exit(0);
        }
        if (store_commit(s) != STORE_OK) {
            _exit(6);
        }
    }
    _exit(7);
}

static void crash_keeps_exactly_the_committed(enum death how, void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t); /* create and migrate before the child runs */
    int status = 0;
    uint64_t seq = 0;
    pid_t pid;
    store_close(s);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        child(t, 7, how);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (how == DIE_KILL) {
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    } else {
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    s = t_open(t);
    assert_int_equal(count_events(s, "P1"), 70);
    assert_int_equal(store_pump_last_seq(s, "P1", &seq), STORE_OK);
    assert_int_equal(seq, 70);
    /* The database is writable again: the dead writer's lock is gone. */
    assert_int_equal(t_add_event(s, "P1", 71, "volume", 71, NULL), STORE_OK);
    store_close(s);
}

static void crash_by_exit(void **state)
{
    crash_keeps_exactly_the_committed(DIE_EXIT, state);
}

static void crash_by_sigkill(void **state)
{
    crash_keeps_exactly_the_committed(DIE_KILL, state);
}

/* The backend's commit durability setting, as the backend spells it. */
static void sync_is(struct t_db *t, struct store *s, const char *lite, const char *pg)
{
    char v[32] = "";
    assert_int_equal(t->is_pg ? store__pg_sync_setting(s, v, sizeof v)
                              : store__lite_sync_setting(s, v, sizeof v),
                     STORE_OK);
    assert_string_equal(v, t->is_pg ? pg : lite);
}

/* A bookkeeping transaction commits without waiting for the disk, and only it: the setting is
 * back to full durability after its commit or rollback, its changes are committed like any
 * other, and it cannot be opened inside another transaction. */
static void bookkeeping_transaction(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_outbox_msg m;
    int64_t id1 = 0;
    int64_t id2 = 0;
    json_t *d;
    sync_is(t, s, "2", "on");
    assert_int_equal(store_begin(s), STORE_OK);
    assert_int_equal(store_outbox_add(s, "doc", "C1", "pcd10", "m1", 2, 1, &id1), STORE_OK);
    assert_int_equal(store_outbox_add(s, "doc", "C2", "pcd10", "m2", 2, 1, &id2), STORE_OK);
    assert_int_equal(store_begin_bookkeeping(s), STORE_ERR); /* one is open already */
    assert_int_equal(store_commit(s), STORE_OK);

    assert_int_equal(store_begin_bookkeeping(s), STORE_OK);
    sync_is(t, s, "1", "off");
    assert_int_equal(store_outbox_acked(s, id1, "CA", NULL, 2), STORE_OK);
    assert_int_equal(store_commit(s), STORE_OK);
    sync_is(t, s, "2", "on");

    assert_int_equal(store_begin_bookkeeping(s), STORE_OK);
    assert_int_equal(store_outbox_acked(s, id2, "CA", NULL, 3), STORE_OK);
    assert_int_equal(store_rollback(s), STORE_OK);
    sync_is(t, s, "2", "on");

    /* An ordinary transaction after them is fully durable again. */
    assert_int_equal(store_begin(s), STORE_OK);
    sync_is(t, s, "2", "on");
    assert_int_equal(store_commit(s), STORE_OK);
    store_close(s);

    s = t_open(t);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK); /* C1 acked, C2 not */
    assert_string_equal(m.control_id, "C2");
    store_outbox_msg_free(&m);
    d = store_outbox_depths(s);
    assert_int_equal(json_integer_value(json_object_get(d, "doc")), 1);
    json_decref(d);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rollback_leaves_nothing, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(commit_survives_reopen, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(duplicate_inside_group_keeps_the_group, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(refusals_inside_group_keep_the_group, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(misuse_is_an_error, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(bookkeeping_transaction, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(crash_by_exit, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(crash_by_sigkill, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
