/* test_store_outbox.c - the durable outbox: order per destination, retry bookkeeping, ACK takes
 * a message off its queue exactly once, depths, messages kept byte for byte. */
#define _POSIX_C_SOURCE 200809L

#include "store_test_util.h"

static int64_t add(struct store *s, const char *dest, const char *control_id, int64_t now_ms)
{
    char msg[64];
    int64_t id = 0;
    int n = snprintf(msg, sizeof msg, "MSH|^~\\&|OI|%s\rEVN|%s", dest, control_id);
    assert_true(n > 0);
    assert_int_equal(store_outbox_add(s, dest, control_id, "pcd10", msg, (size_t)n, now_ms, &id),
                     STORE_OK);
    return id;
}

static void order_per_destination(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_outbox_msg m;
    int64_t d1 = add(s, "doc", "C1", 10);
    int64_t a1 = add(s, "alarm:1", "C2", 11);
    int64_t d2 = add(s, "doc", "C3", 12);
    int64_t d3 = add(s, "doc", "C4", 13);
    assert_true(d1 < a1 && a1 < d2 && d2 < d3);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK);
    assert_int_equal(m.id, d1);
    assert_string_equal(m.control_id, "C1");
    assert_string_equal(m.dest, "doc");
    assert_string_equal(m.kind, "pcd10");
    assert_string_equal(m.message, "MSH|^~\\&|OI|doc\rEVN|C1");
    assert_int_equal(m.message_len, strlen(m.message));
    assert_int_equal(m.attempts, 0);
    assert_int_equal(m.created_ms, 10);
    assert_int_equal(m.next_try_ms, 10);
    store_outbox_msg_free(&m);
    assert_null(m.message);
    /* The head stays the head until acknowledged, whatever the retries. */
    assert_int_equal(store_outbox_retry(s, d1, 500, "connection refused"), STORE_OK);
    assert_int_equal(store_outbox_retry(s, d1, 900, "timeout"), STORE_OK);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK);
    assert_int_equal(m.id, d1);
    assert_int_equal(m.attempts, 2);
    assert_int_equal(m.next_try_ms, 900);
    store_outbox_msg_free(&m);
    assert_int_equal(store_outbox_acked(s, d1, "AA", "MSA|AA|C1", 1000), STORE_OK);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK);
    assert_int_equal(m.id, d2);
    store_outbox_msg_free(&m);
    /* alarm:1 is its own queue. */
    assert_int_equal(store_outbox_head(s, "alarm:1", &m), STORE_OK);
    assert_int_equal(m.id, a1);
    store_outbox_msg_free(&m);
    assert_int_equal(store_outbox_acked(s, d2, "AE", NULL, 1001), STORE_OK);
    assert_int_equal(store_outbox_acked(s, d3, "AA", NULL, 1002), STORE_OK);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_NOT_FOUND);
    assert_int_equal(store_outbox_head(s, "nowhere", &m), STORE_NOT_FOUND);
    store_close(s);
}

static void ack_once_retry_unknown(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    int64_t id = add(s, "doc", "C1", 10);
    int64_t dup = 0;
    struct t_raw *db;
    assert_int_equal(store_outbox_add(s, "doc", "C1", "pcd10", "x", 1, 11, &dup), STORE_DUPLICATE);
    assert_int_equal(store_outbox_add(s, "iop", "C1", "pcd01", "y", 1, 11, &dup), STORE_DUPLICATE);
    assert_int_equal(store_outbox_acked(s, id, "AA", "MSA|AA", 20), STORE_OK);
    assert_int_equal(store_outbox_acked(s, id, "AA", "MSA|AA", 21), STORE_DUPLICATE);
    assert_int_equal(store_outbox_retry(s, id, 30, "late"), STORE_DUPLICATE);
    assert_int_equal(store_outbox_acked(s, 9999, "AA", NULL, 22), STORE_NOT_FOUND);
    assert_int_equal(store_outbox_retry(s, 9999, 30, NULL), STORE_NOT_FOUND);
    store_close(s);
    db = t_raw(t);
    /* The first ACK is what is kept; the message row itself stays. */
    assert_int_equal(t_raw_int(db, "SELECT acked_ms FROM outbox WHERE ack_code = 'AA' AND"
                                   " ack_text = 'MSA|AA'"),
                     20);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM outbox"), 1);
    t_raw_close(db);
}

static void depths_count_pending(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    json_t *d;
    int64_t first = add(s, "doc", "C1", 1);
    (void)add(s, "doc", "C2", 2);
    (void)add(s, "doc", "C3", 3);
    (void)add(s, "alarm:1", "C4", 4);
    d = store_outbox_depths(s);
    assert_non_null(d);
    assert_int_equal(json_object_size(d), 2);
    assert_int_equal(json_integer_value(json_object_get(d, "doc")), 3);
    assert_int_equal(json_integer_value(json_object_get(d, "alarm:1")), 1);
    json_decref(d);
    assert_int_equal(store_outbox_acked(s, first, "AA", NULL, 5), STORE_OK);
    d = store_outbox_depths(s);
    assert_int_equal(json_integer_value(json_object_get(d, "doc")), 2);
    json_decref(d);
    store_close(s);
}

static void message_bytes_and_limits(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    static const char bin[] = "MSH|a\rPID|\xc3\xa9\r\0tail";
    char long_dest[80];
    struct store_outbox_msg m;
    int64_t id = 0;
    /* An embedded NUL and CRs: the length is the caller's, not strlen. */
    assert_int_equal(store_outbox_add(s, "doc", "B1", "pcd01", bin, sizeof bin - 1U, 1, &id),
                     STORE_OK);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK);
    assert_int_equal(m.message_len, sizeof bin - 1U);
    assert_memory_equal(m.message, bin, sizeof bin - 1U);
    store_outbox_msg_free(&m);
    memset(long_dest, 'd', sizeof long_dest - 1U);
    long_dest[sizeof long_dest - 1U] = '\0';
    assert_int_equal(store_outbox_add(s, long_dest, "B2", "pcd01", "x", 1, 1, &id), STORE_ERR);
    assert_non_null(strstr(store_errmsg(s), "too long"));
    assert_int_equal(store_outbox_add(s, "doc", "B3", "pcd01_but_longer", "x", 1, 1, &id),
                     STORE_ERR);
    store_close(s);
}

static void survives_reopen(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_outbox_msg m;
    int64_t id = add(s, "doc", "C1", 10);
    assert_int_equal(store_outbox_retry(s, id, 77, "down"), STORE_OK);
    store_close(s);
    s = t_open(t);
    assert_int_equal(store_outbox_head(s, "doc", &m), STORE_OK);
    assert_int_equal(m.id, id);
    assert_int_equal(m.attempts, 1);
    assert_int_equal(m.next_try_ms, 77);
    store_outbox_msg_free(&m);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(order_per_destination, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(ack_once_retry_unknown, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(depths_count_pending, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(message_bytes_and_limits, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(survives_reopen, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
