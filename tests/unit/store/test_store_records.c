/* test_store_records.c - every record function: its happy path, its STORE_DUPLICATE and its
 * STORE_NOT_FOUND; the events query against a brute-force filter of what was inserted. */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>

#include "store_test_util.h"

static void pumps_register_update_and_last_seq(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    uint64_t seq = 99;
    assert_int_equal(store_pump_touch(s, "P1", 100), STORE_OK);
    assert_int_equal(store_pump_touch(s, "P1", 200), STORE_OK);
    assert_int_equal(store_pump_touch(s, "P1", 150), STORE_OK); /* late: last_seen stays 200 */
    assert_int_equal(store_pump_set_online(s, "P1", true, 300), STORE_OK);
    assert_int_equal(store_pump_set_state(s, "P1", "{\"v\":1}", "ICU", "MRN1", 400), STORE_OK);
    assert_int_equal(store_pump_set_online(s, "P2", false, 500), STORE_OK); /* first contact */
    assert_int_equal(store_pump_last_seq(s, "P1", &seq), STORE_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(t_add_event(s, "P1", 5, "start", 1, NULL), STORE_OK);
    assert_int_equal(t_add_event(s, "P1", 9, "stop", 2, NULL), STORE_OK);
    assert_int_equal(t_add_event(s, "P2", 30, "stop", 2, NULL), STORE_OK);
    assert_int_equal(store_pump_last_seq(s, "P1", &seq), STORE_OK);
    assert_int_equal(seq, 9);
    assert_int_equal(store_pump_last_seq(s, "NOPE", &seq), STORE_OK);
    assert_int_equal(seq, 0);
    assert_int_equal(store_pump_touch(s, NULL, 1), STORE_ERR);
    assert_non_null(strstr(store_errmsg(s), "pump_id"));
    store_close(s);
    db = t_raw(t);
    assert_int_equal(t_raw_int(db, "SELECT first_seen_ms FROM pumps WHERE pump_id = 'P1'"), 100);
    assert_int_equal(t_raw_int(db, "SELECT last_seen_ms FROM pumps WHERE pump_id = 'P1'"), 400);
    assert_int_equal(t_raw_int(db, "SELECT online FROM pumps WHERE pump_id = 'P1'"), 1);
    assert_int_equal(t_raw_int(db, "SELECT state_ms FROM pumps WHERE pump_id = 'P1' AND"
                                   " care_area = 'ICU' AND patient_id = 'MRN1' AND"
                                   " state_json = '{\"v\":1}'"),
                     400);
    assert_int_equal(t_raw_int(db, "SELECT online_changed_ms FROM pumps WHERE pump_id = 'P2'"
                                   " AND online = 0"),
                     500);
    t_raw_close(db);
}

static void events_add_and_duplicate(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    char buf[256];
    struct store_event e = t_event(buf, sizeof buf, "P1", 1, "start", 1000, "MRN1");
    struct store_event_filter f = {NULL, NULL, NULL, INT64_MIN, INT64_MAX, 0};
    json_t *rows;
    assert_int_equal(store_event_add(s, &e), STORE_OK);
    e.json = "{\"different\":true}";
    assert_int_equal(store_event_add(s, &e), STORE_DUPLICATE);
    /* Same seq from another pump is a different record. */
    e.pump_id = "P2";
    assert_int_equal(store_event_add(s, &e), STORE_OK);
    e.seq = 5;
    e.json = "{\"seq\":5"; /* cut short */
    assert_int_equal(store_event_add(s, &e), STORE_ERR);
    assert_non_null(strstr(store_errmsg(s), "not a JSON object"));
    e.json = "[5]";
    assert_int_equal(store_event_add(s, &e), STORE_ERR);
    assert_int_equal(store_command_add(s, "cx", "P1", "program", 0, "nope", 1), STORE_ERR);
    assert_int_equal(store_command_add(s, "cy", "P1", "program", 0, "{}", 1), STORE_OK);
    assert_int_equal(store_reply_add(s, "cy", "accepted", "{", 1), STORE_ERR);
    e.seq = 0;
    assert_int_equal(store_event_add(s, &e), STORE_ERR);
    e.seq = (uint64_t)INT64_MAX + 1U;
    assert_int_equal(store_event_add(s, &e), STORE_ERR);
    assert_non_null(strstr(store_errmsg(s), "range"));
    rows = store_events_query(s, &f);
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 2);
    /* The first is stored as received, not as the duplicate's text. */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "seq")), 1);
    assert_null(json_object_get(json_array_get(rows, 0), "different"));
    assert_non_null(json_object_get(json_array_get(rows, 1), "different"));
    json_decref(rows);
    store_close(s);
}

struct ev {
    const char *pump;
    uint64_t seq;
    const char *type;
    int64_t wall_ms;
    const char *patient;
};

static bool matches(const struct ev *e, const struct store_event_filter *f)
{
    return (f->pump_id == NULL || strcmp(f->pump_id, e->pump) == 0) &&
           (f->patient_id == NULL ||
            (e->patient != NULL && strcmp(f->patient_id, e->patient) == 0)) &&
           (f->type == NULL || strcmp(f->type, e->type) == 0) && e->wall_ms >= f->from_wall_ms &&
           e->wall_ms < f->to_wall_ms;
}

static void events_query_filters(void **state)
{
    static const char *const pumps[] = {"P1", "P2", "P3"};
    static const char *const types[] = {"start", "stop", "alarm_raised", "volume"};
    static const char *const patients[] = {"MRN1", "MRN2", NULL};
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct ev evs[90];
    uint64_t next_seq[3] = {1, 1, 1};
    uint32_t x = 12345U;
    const struct store_event_filter filters[] = {
        {NULL, NULL, NULL, INT64_MIN, INT64_MAX, 0},
        {"P2", NULL, NULL, INT64_MIN, INT64_MAX, 0},
        {NULL, "MRN1", NULL, INT64_MIN, INT64_MAX, 0},
        {NULL, NULL, "stop", INT64_MIN, INT64_MAX, 0},
        {"P1", "MRN2", NULL, INT64_MIN, INT64_MAX, 0},
        {"P3", NULL, "volume", INT64_MIN, INT64_MAX, 0},
        {NULL, "MRN2", "alarm_raised", INT64_MIN, INT64_MAX, 0},
        {"P1", "MRN1", "start", INT64_MIN, INT64_MAX, 0},
        {NULL, NULL, NULL, 20000, 50000, 0},
        {"P2", NULL, NULL, 30000, INT64_MAX, 0},
        {NULL, NULL, NULL, INT64_MIN, 10000, 0},
        {NULL, NULL, NULL, INT64_MIN, INT64_MAX, 7},
        {"P1", NULL, NULL, 10000, 80000, 3},
        {"NOPE", NULL, NULL, INT64_MIN, INT64_MAX, 0},
    };
    assert_int_equal(store_begin(s), STORE_OK);
    for (size_t i = 0; i < 90U; i++) {
        size_t p;
        x = x * 1103515245U + 12345U;
        p = (x >> 16) % 3U;
        evs[i].pump = pumps[p];
        evs[i].seq = next_seq[p]++;
        evs[i].type = types[(x >> 8) % 4U];
        evs[i].patient = patients[(x >> 20) % 3U];
        /* Wall time mostly rises, with some pumps' clocks behind. */
        evs[i].wall_ms = (int64_t)(i * 1000U) - (int64_t)((x >> 4) % 3000U);
        assert_int_equal(
            t_add_event(s, evs[i].pump, evs[i].seq, evs[i].type, evs[i].wall_ms, evs[i].patient),
            STORE_OK);
    }
    assert_int_equal(store_commit(s), STORE_OK);
    for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++) {
        const struct store_event_filter *f = &filters[k];
        json_t *rows = store_events_query(s, f);
        size_t n = 0;
        size_t limit = (f->limit == 0U) ? 1000U : f->limit;
        assert_non_null(rows);
        for (size_t i = 0; i < 90U && n < limit; i++) {
            json_t *r;
            if (!matches(&evs[i], f)) {
                continue;
            }
            r = json_array_get(rows, n);
            assert_non_null(r);
            assert_string_equal(json_string_value(json_object_get(r, "pump")), evs[i].pump);
            assert_int_equal(json_integer_value(json_object_get(r, "seq")), evs[i].seq);
            n++;
        }
        if (json_array_size(rows) != n) {
            fail_msg("filter %zu: %zu rows, expected %zu", k, json_array_size(rows), n);
        }
        if (k != 13U) {
            assert_true(n > 0U); /* each filter except the last selects something */
        }
        json_decref(rows);
    }
    assert_null(store_events_query(s, NULL));
    store_close(s);
}

static void patients_insert_once(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    assert_int_equal(store_patient_seen(s, "MRN1", "Doe", "Jane", 10), STORE_OK);
    assert_int_equal(store_patient_seen(s, "MRN1", "Other", "Name", 20), STORE_DUPLICATE);
    assert_int_equal(store_patient_seen(s, "MRN2", NULL, NULL, 30), STORE_OK);
    store_close(s);
    db = t_raw(t);
    assert_int_equal(t_raw_int(db, "SELECT first_seen_ms FROM patients WHERE patient_id = 'MRN1'"
                                   " AND family = 'Doe' AND given = 'Jane'"),
                     10);
    assert_int_equal(t_raw_int(db, "SELECT COUNT(*) FROM patients"), 2);
    t_raw_close(db);
}

static struct store_order order(const char *sender, const char *control_id, const char *pump)
{
    struct store_order o = {
        sender, control_id, "PL-1", pump, "MRN1", "HEP^Heparin", "MSH|^~\\&|EHR\rORC|NW", 1000};
    return o;
}

static void orders_add_duplicate_status_query(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_order o1 = order("EHR", "M1", "P1");
    struct store_order o2 = order("EHR", "M2", "P2");
    struct store_order o3 = order("OTHER", "M1", "P1"); /* same MSH-10, other sender */
    int64_t id1 = 0;
    int64_t id2 = 0;
    int64_t id3 = 0;
    int64_t again = 0;
    json_t *rows;
    assert_int_equal(store_order_add(s, &o1, &id1), STORE_OK);
    assert_int_equal(store_order_add(s, &o2, &id2), STORE_OK);
    assert_int_equal(store_order_add(s, &o3, &id3), STORE_OK);
    assert_true(id1 > 0 && id2 > id1 && id3 > id2);
    assert_int_equal(store_order_add(s, &o1, &again), STORE_DUPLICATE);
    assert_int_equal(again, id1);
    assert_int_equal(store_order_status_add(s, id1, "received", NULL, 10), STORE_OK);
    assert_int_equal(store_order_status_add(s, id1, "accepted", "ok", 11), STORE_OK);
    assert_int_equal(store_order_status_add(s, id1, "sent_to_pump", "cmd c1", 12), STORE_OK);
    assert_int_equal(store_order_status_add(s, 424242, "received", NULL, 13), STORE_NOT_FOUND);
    rows = store_orders_query(s, NULL, 0);
    assert_non_null(rows);
    assert_int_equal(json_array_size(rows), 3);
    /* Newest first; the latest status with its detail; none yet for the others. */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0), "order_id")), id3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2), "order_id")), id1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 2), "status")),
                        "sent_to_pump");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rows, 2), "status_detail")), "cmd c1");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 2), "status_ms")), 12);
    assert_true(json_is_null(json_object_get(json_array_get(rows, 0), "status")));
    json_decref(rows);
    rows = store_orders_query(s, "P1", 0);
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "sender")),
                        "OTHER");
    json_decref(rows);
    rows = store_orders_query(s, NULL, 1);
    assert_int_equal(json_array_size(rows), 1);
    json_decref(rows);
    rows = store_orders_query(s, "NOPE", 0);
    assert_int_equal(json_array_size(rows), 0);
    json_decref(rows);
    store_close(s);
}

static void commands_replies_and_open(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct store_order o = order("EHR", "M1", "P1");
    int64_t oid = 0;
    int64_t got = -1;
    char pump[16];
    json_t *open;
    assert_int_equal(store_order_add(s, &o, &oid), STORE_OK);
    assert_int_equal(store_command_add(s, "c1", "P1", "program", oid, "{\"n\":1}", 10), STORE_OK);
    assert_int_equal(store_command_add(s, "c1", "P9", "program", 0, "{}", 11), STORE_DUPLICATE);
    assert_int_equal(store_command_add(s, "c2", "P1", "associate", 0, "{\"n\":2}", 12), STORE_OK);
    assert_int_equal(store_command_add(s, "c3", "P2", "program", 0, "{\"n\":3}", 13), STORE_OK);
    assert_int_equal(store_command_add(s, "c4", "P2", "program", 0, "{\"n\":4}", 14), STORE_OK);
    assert_int_equal(store_command_add(s, "c5", "P2", "program", 999, "{}", 15), STORE_NOT_FOUND);
    assert_int_equal(store_command_order(s, "c1", &got, pump, sizeof pump), STORE_OK);
    assert_int_equal(got, oid);
    assert_string_equal(pump, "P1");
    assert_int_equal(store_command_order(s, "c2", &got, pump, sizeof pump), STORE_OK);
    assert_int_equal(got, 0);
    assert_int_equal(store_command_order(s, "zz", &got, pump, sizeof pump), STORE_NOT_FOUND);
    assert_int_equal(store_command_order(s, "c1", &got, pump, 2), STORE_ERR); /* too small */
    assert_int_equal(store_command_order(s, "c1", &got, NULL, 0), STORE_OK);

    assert_int_equal(store_reply_add(s, "c1", "accepted", "{}", 20), STORE_OK);
    assert_int_equal(store_reply_add(s, "c1", "accepted", "{}", 21), STORE_DUPLICATE);
    assert_int_equal(store_reply_add(s, "nope", "accepted", "{}", 22), STORE_NOT_FOUND);
    assert_int_equal(store_reply_add(s, "c2", "accepted", "{}", 23), STORE_OK);
    assert_int_equal(store_reply_add(s, "c3", "rejected", "{}", 24), STORE_OK);
    /* c1 program accepted only (waits for the clinician): open; c2 associate answered: closed;
     * c3 rejected: closed; c4 no reply: open. */
    open = store_commands_open(s);
    assert_non_null(open);
    assert_int_equal(json_array_size(open), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(open, 0), "cmd_id")),
                        "c1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(open, 1), "cmd_id")),
                        "c4");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(json_array_get(open, 1), "json"), "n")),
        4);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(open, 1), "created_ms")),
                     14);
    json_decref(open);
    assert_int_equal(store_reply_add(s, "c1", "confirmed", "{}", 25), STORE_OK);
    open = store_commands_open(s);
    assert_int_equal(json_array_size(open), 1);
    json_decref(open);
    store_close(s);
}

static void alarm_acks(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    assert_int_equal(t_add_event(s, "P1", 3, "alarm_raised", 100, NULL), STORE_OK);
    assert_int_equal(store_alarm_ack_add(s, "P1", 3, "nurse1", 200), STORE_OK);
    assert_int_equal(store_alarm_ack_add(s, "P1", 3, "nurse2", 201), STORE_DUPLICATE);
    assert_int_equal(store_alarm_ack_add(s, "P1", 4, "nurse1", 202), STORE_NOT_FOUND);
    assert_int_equal(store_alarm_ack_add(s, "P2", 3, "nurse1", 203), STORE_NOT_FOUND);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pumps_register_update_and_last_seq, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(events_add_and_duplicate, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(events_query_filters, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(patients_insert_once, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(orders_add_duplicate_status_query, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(commands_replies_and_open, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(alarm_acks, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
