/* test_datadir.c - the data directory: records survive a reopen, seq continues, a torn tail is
 * cut, an old seq file cannot send seq backwards, the library round-trips. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datadir.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    (void)snprintf(dir, sizeof dir, "%s/oi-datadir-XXXXXX", getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[400];
    (void)state;
    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct pump_log_record rec(uint64_t seq, uint8_t type, uint8_t to)
{
    struct pump_log_record r;
    memset(&r, 0, sizeof r);
    r.seq = seq;
    r.time_ms = seq * 1000U;
    r.type = type;
    r.to = to;
    r.from = 0;
    return r;
}

static void path_of(const char *name, char *buf, size_t cap)
{
    (void)snprintf(buf, cap, "%s/%s", dir, name);
}

static void test_records_survive_reopen(void **state)
{
    struct datadir dd;
    struct pump_log_record r[3];
    (void)state;
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.next_seq, 1);
    assert_false(dd.has_last_record);
    r[0] = rec(1, (uint8_t)PUMP_REC_POWER, 0);
    r[1] = rec(2, (uint8_t)PUMP_REC_STATE, 3);
    r[2] = rec(3, (uint8_t)PUMP_REC_VOLUME, 0);
    assert_true(datadir_append(&dd, r, 3, true));
    assert_int_equal(dd.next_seq, 4);
    datadir_abandon(&dd);

    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.n_records, 3);
    assert_int_equal(dd.next_seq, 4);
    assert_int_equal(dd.last_time_ms, 3000);
    assert_true(dd.has_last_state[0]);
    assert_int_equal(dd.last_state[0].to, 3);
    /* seq must go forward */
    r[0] = rec(3, (uint8_t)PUMP_REC_VOLUME, 0);
    assert_false(datadir_append(&dd, r, 1, false));
    assert_non_null(strstr(dd.error, "not after"));
    datadir_close(&dd);
}

static void test_torn_tail_is_cut(void **state)
{
    struct datadir dd;
    struct pump_log_record r[2];
    char p[400];
    FILE *f;
    (void)state;
    assert_true(datadir_open(&dd, dir));
    r[0] = rec(1, (uint8_t)PUMP_REC_STATE, 3);
    r[1] = rec(2, (uint8_t)PUMP_REC_STATE, 4);
    assert_true(datadir_append(&dd, r, 2, true));
    datadir_close(&dd);
    /* A crash in the middle of writing the third record. */
    path_of("events.log", p, sizeof p);
    f = fopen(p, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite("\x01\x02\x03\x04\x05", 1, 5, f), 5);
    assert_int_equal(fclose(f), 0);
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.n_records, 2);
    assert_int_equal(dd.n_cut_bytes, 5);
    assert_int_equal(dd.last_state[0].to, 4);
    r[0] = rec(3, (uint8_t)PUMP_REC_STATE, 0);
    assert_true(datadir_append(&dd, r, 1, true));
    datadir_close(&dd);
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.n_records, 3);
    assert_int_equal(dd.n_cut_bytes, 0);
    assert_int_equal(dd.next_seq, 4);
    datadir_close(&dd);
}

static void test_corrupt_record_ends_the_log(void **state)
{
    struct datadir dd;
    struct pump_log_record r[3];
    char p[400];
    FILE *f;
    (void)state;
    assert_true(datadir_open(&dd, dir));
    r[0] = rec(1, (uint8_t)PUMP_REC_STATE, 1);
    r[1] = rec(2, (uint8_t)PUMP_REC_STATE, 2);
    r[2] = rec(3, (uint8_t)PUMP_REC_STATE, 3);
    assert_true(datadir_append(&dd, r, 3, true));
    datadir_close(&dd);
    /* Flip a byte of the second record: its CRC fails, the log ends after the first. */
    path_of("events.log", p, sizeof p);
    f = fopen(p, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, (long)PUMP_LOG_RECORD_BYTES + 10L, SEEK_SET), 0);
    assert_int_equal(fputc(0x5A, f), 0x5A);
    assert_int_equal(fclose(f), 0);
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.n_records, 1);
    assert_int_equal(dd.n_cut_bytes, 2U * PUMP_LOG_RECORD_BYTES);
    /* The seq file (written at the last sync, 4) keeps seq from going backwards. */
    assert_int_equal(dd.next_seq, 4);
    datadir_close(&dd);
}

static void test_seq_file_never_sends_seq_backwards(void **state)
{
    struct datadir dd;
    struct pump_log_record r[2];
    char p[400];
    FILE *f;
    (void)state;
    assert_true(datadir_open(&dd, dir));
    r[0] = rec(41, (uint8_t)PUMP_REC_POWER, 0);
    r[1] = rec(42, (uint8_t)PUMP_REC_VOLUME, 0);
    assert_true(datadir_append(&dd, r, 2, false)); /* no sync: the seq file is not written */
    datadir_abandon(&dd);
    path_of("seq", p, sizeof p);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_true(fputs("7\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.next_seq, 43); /* the log is newer than the seq file */
    datadir_close(&dd);
    f = fopen(p, "wb");
    assert_non_null(f);
    assert_true(fputs("1000\n", f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_true(datadir_open(&dd, dir));
    assert_int_equal(dd.next_seq, 1000); /* the seq file is newer than the log */
    datadir_close(&dd);
}

static void test_library_round_trip(void **state)
{
    struct datadir dd;
    size_t len = 99;
    char *text;
    (void)state;
    assert_true(datadir_open(&dd, dir));
    text = datadir_load_library(&dd, &len);
    assert_null(text);
    assert_int_equal(len, 0);
    assert_true(datadir_save_library(&dd, "{\"a\": 1}", 8));
    text = datadir_load_library(&dd, &len);
    assert_non_null(text);
    assert_int_equal(len, 8);
    assert_string_equal(text, "{\"a\": 1}");
    free(text);
    datadir_close(&dd);
}

static void test_open_errors(void **state)
{
    struct datadir dd;
    char p[400];
    (void)state;
    assert_false(datadir_open(&dd, ""));
    path_of("no/such/deep/dir", p, sizeof p);
    assert_false(datadir_open(&dd, p));
    assert_non_null(strstr(dd.error, "cannot create"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_survive_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record_ends_the_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_file_never_sends_seq_backwards, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_library_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
