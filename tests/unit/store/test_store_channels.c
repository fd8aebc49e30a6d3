/*
 * test_store_channels.c - the channels view (migration 4): one row per channel of each pump's
 * last state snapshot, following the snapshot when it changes; pumps without a snapshot have
 * none. Runs on SQLite and, with OI_TEST_PG_URL, on PostgreSQL.
 */
#define _POSIX_C_SOURCE 200809L

#include "store_test_util.h"

static const char snap_two[] =
    "{\"v\":1,\"pump_id\":\"P-1\",\"channels\":["
    "{\"channel\":0,\"state\":\"running\",\"mode\":\"continuous\",\"entry\":\"GH-ICU-HEP\","
    "\"drug_name\":\"heparin\",\"order_id\":\"ORD-1\",\"rate_nl_per_h\":12600000,"
    "\"vtbi_remaining_nl\":1000000,\"channel_volume_nl\":5000},"
    "{\"channel\":1,\"state\":\"idle\",\"entry\":null}]}";
static const char snap_one[] =
    "{\"v\":1,\"pump_id\":\"P-1\",\"channels\":[{\"channel\":0,\"state\":\"paused\"}]}";

static void test_channels_follow_the_snapshot(void **state)
{
    const struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *r;
    char buf[128];

    assert_int_equal(store_pump_touch(s, "P-2", 1000), STORE_OK); /* no snapshot: no channels */
    assert_int_equal(store_pump_set_state(s, "P-1", snap_two, "ADULT_ICU", "MRN-1", 1000),
                     STORE_OK);
    r = t_raw(t);
    assert_int_equal(t_raw_int(r, "SELECT count(*) FROM channels"), 2);
    assert_int_equal(t_raw_int(r, "SELECT count(*) FROM channels WHERE pump_id = 'P-2'"), 0);
    t_raw_text(r, "SELECT state FROM channels WHERE pump_id = 'P-1' AND channel = 0", buf,
               sizeof buf);
    assert_string_equal(buf, "running");
    t_raw_text(r, "SELECT drug_name FROM channels WHERE channel = 0", buf, sizeof buf);
    assert_string_equal(buf, "heparin");
    assert_int_equal(t_raw_int(r, "SELECT rate_nl_per_h FROM channels WHERE channel = 0"),
                     12600000);
    t_raw_text(r, "SELECT patient_id FROM channels WHERE channel = 1", buf, sizeof buf);
    assert_string_equal(buf, "MRN-1");
    t_raw_text(r, "SELECT state FROM channels WHERE channel = 1", buf, sizeof buf);
    assert_string_equal(buf, "idle");

    /* A new snapshot replaces the rows. */
    assert_int_equal(store_pump_set_state(s, "P-1", snap_one, "ADULT_ICU", "MRN-1", 2000),
                     STORE_OK);
    assert_int_equal(t_raw_int(r, "SELECT count(*) FROM channels"), 1);
    t_raw_text(r, "SELECT state FROM channels WHERE pump_id = 'P-1'", buf, sizeof buf);
    assert_string_equal(buf, "paused");
    t_raw_close(r);
    store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_channels_follow_the_snapshot, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
