/*
 * test_log.c - the event log: sequence numbers across restarts, acknowledgement, what happens
 * when it fills (never a silent overwrite), the binary encoding (against records encoded by a
 * separate Python encoder: tests/fuzz/corpus/event_decode/), and the channel's log-full policy.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oi_json.h"

#include "channel_fixture.h"

static struct pump_log lg;

static struct pump_log_record make(pump_rec_type type, uint64_t t)
{
    struct pump_log_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint8_t)type;
    r.time_ms = t;
    r.event = PUMP_EV_TICK;
    r.v1 = t * 3;
    return r;
}

static void test_seq_monotonic_across_restart(void **state)
{
    (void)state;
    pump_log_init(&lg, 1);
    for (uint64_t i = 0; i < 10; i++) {
        struct pump_log_record r = make(PUMP_REC_STATE, i);
        assert_int_equal(pump_log_append(&lg, &r), PUMP_OK);
        assert_int_equal(r.seq, i + 1);
    }
    uint64_t persisted = pump_log_next_seq(&lg);
    assert_int_equal(persisted, 11);
    pump_log_init(&lg, persisted); /* restart: the host passes the persisted counter */
    struct pump_log_record r = make(PUMP_REC_ALARM, 99);
    assert_int_equal(pump_log_append(&lg, &r), PUMP_OK);
    assert_int_equal(r.seq, 11);
}

static void test_peek_and_ack(void **state)
{
    (void)state;
    pump_log_init(&lg, 100);
    for (uint64_t i = 0; i < 5; i++) {
        struct pump_log_record r = make(PUMP_REC_STATE, i);
        assert_int_equal(pump_log_append(&lg, &r), PUMP_OK);
    }
    struct pump_log_record out;
    assert_int_equal(pump_log_count(&lg), 5);
    assert_int_equal(pump_log_peek(&lg, 0, &out), PUMP_OK);
    assert_int_equal(out.seq, 100);
    assert_int_equal(pump_log_peek(&lg, 4, &out), PUMP_OK);
    assert_int_equal(out.seq, 104);
    assert_int_equal(pump_log_peek(&lg, 5, &out), PUMP_ERR_NOT_FOUND);
    assert_int_equal(pump_log_ack(&lg, 102), PUMP_OK);
    assert_int_equal(pump_log_count(&lg), 2);
    assert_int_equal(pump_log_peek(&lg, 0, &out), PUMP_OK);
    assert_int_equal(out.seq, 103);
    assert_int_equal(pump_log_ack(&lg, 101), PUMP_OK); /* repeated ack: no-op */
    assert_int_equal(pump_log_count(&lg), 2);
    assert_int_equal(pump_log_ack(&lg, 105), PUMP_ERR_INVAL); /* never issued */
    assert_int_equal(pump_log_count(&lg), 2);
}

/* Above the high-water mark routine records are not stored; safety records go on into the
 * reserved slots; a full ring refuses (counts) and never overwrites; after an ack a LOST record
 * reports what was not stored, first. */
static void test_full_ring_never_overwrites(void **state)
{
    (void)state;
    pump_log_init(&lg, 1);
    uint64_t t = 0;
    for (uint32_t i = 0; i < PUMP_LOG_HIGH_WATER; i++) {
        struct pump_log_record r = make(PUMP_REC_VOLUME, t++);
        assert_int_equal(pump_log_append(&lg, &r), PUMP_OK);
    }
    assert_true(pump_log_is_high(&lg));
    struct pump_log_record v = make(PUMP_REC_VOLUME, t++);
    assert_int_equal(pump_log_append(&lg, &v), PUMP_ERR_FULL);
    uint32_t stored = 0;
    pump_status st = PUMP_OK;
    while (st == PUMP_OK) {
        struct pump_log_record r = make(PUMP_REC_ALARM, t++);
        st = pump_log_append(&lg, &r);
        stored += st == PUMP_OK;
    }
    assert_int_equal(st, PUMP_ERR_FULL);
    assert_int_equal(pump_log_count(&lg), PUMP_LOG_CAPACITY);
    /* every stored record is intact: seqs dense from 1, the first still there; the volume
     * record that was not stored is reported by a LOST record just before the first alarm */
    struct pump_log_record out;
    for (uint32_t i = 0; i < PUMP_LOG_CAPACITY; i++) {
        assert_int_equal(pump_log_peek(&lg, i, &out), PUMP_OK);
        assert_int_equal(out.seq, i + 1);
        if (i == PUMP_LOG_HIGH_WATER) {
            assert_int_equal(out.type, PUMP_REC_LOST);
            assert_int_equal(out.v1, 1);
            assert_int_equal(out.v2, v.time_ms);
        } else {
            assert_int_equal(out.v1, out.time_ms * 3);
        }
    }
    assert_int_equal(stored, PUMP_LOG_RESERVED - 1);
    uint64_t lost_before = lg.n_lost;
    assert_int_equal(lost_before, 1); /* the alarm that did not fit */
    assert_int_equal(pump_log_ack(&lg, 10), PUMP_OK);
    struct pump_log_record r = make(PUMP_REC_ALARM, t);
    assert_int_equal(pump_log_append(&lg, &r), PUMP_OK);
    assert_int_equal(pump_log_peek(&lg, PUMP_LOG_CAPACITY - 10, &out), PUMP_OK);
    assert_int_equal(out.type, PUMP_REC_LOST);
    assert_int_equal(out.v1, lost_before);
    assert_int_equal(out.seq, PUMP_LOG_CAPACITY + 1);
    assert_int_equal(r.seq, PUMP_LOG_CAPACITY + 2);
    assert_int_equal(lg.n_lost, 0);
}

static void test_encode_decode_round_trip(void **state)
{
    (void)state;
    uint64_t x = 12345;
    for (int i = 0; i < 2000; i++) {
        struct pump_log_record r;
        memset(&r, 0, sizeof r);
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        r.seq = x;
        r.time_ms = x >> 3;
        r.type = (uint8_t)((i % 3 == 0) ? PUMP_REC_STATE : (i % 3 == 1) ? PUMP_REC_VOLUME
                                                                        : PUMP_REC_LIBRARY);
        r.channel = (uint8_t)((unsigned)i % PUMP_CHANNELS_MAX);
        r.event = (uint8_t)((unsigned)i % (PUMP_EV_COUNT + 1U));
        r.from = (uint8_t)(i % PUMP_ST_COUNT);
        r.to = (uint8_t)((i / 7) % PUMP_ST_COUNT);
        r.code = (uint8_t)(x >> 40);
        r.v1 = x ^ 0xDEADBEEF;
        r.v2 = ~x;
        r.v3 = (uint64_t)i;
        r.text_len = (uint8_t)((unsigned)i % (PUMP_LOG_TEXT_MAX + 1U));
        for (unsigned k = 0; k < r.text_len; k++) {
            r.text[k] = (char)('a' + (k + (unsigned)i) % 26);
        }
        uint8_t buf[PUMP_LOG_RECORD_BYTES];
        struct pump_log_record back;
        assert_int_equal(pump_log_encode(&r, buf, sizeof buf), PUMP_OK);
        assert_int_equal(pump_log_decode(buf, sizeof buf, &back), PUMP_OK);
        assert_memory_equal(&back.seq, &r.seq, sizeof r.seq);
        assert_true(back.time_ms == r.time_ms && back.type == r.type && back.channel == r.channel &&
                    back.event == r.event && back.from == r.from && back.to == r.to &&
                    back.code == r.code && back.v1 == r.v1 && back.v2 == r.v2 &&
                    back.v3 == r.v3 && back.text_len == r.text_len);
        assert_memory_equal(back.text, r.text, PUMP_LOG_TEXT_MAX);
        /* any single bit flipped is refused (CRC-32 detects every 1-bit error) */
        unsigned bit = (unsigned)(x % (PUMP_LOG_RECORD_BYTES * 8));
        buf[bit / 8] ^= (uint8_t)(1U << (bit % 8));
        assert_int_equal(pump_log_decode(buf, sizeof buf, &back), PUMP_ERR_INVAL);
    }
}

static void test_decode_refuses_bad_fields(void **state)
{
    (void)state;
    struct pump_log_record r = make(PUMP_REC_ALARM, 5);
    r.code = PUMP_ALM_COUNT; /* no such alarm */
    uint8_t buf[PUMP_LOG_RECORD_BYTES];
    assert_int_equal(pump_log_encode(&r, buf, sizeof buf), PUMP_ERR_INVAL);
    r.code = PUMP_ALM_DOOR_OPEN;
    r.text_len = 2;
    r.text[5] = 'x'; /* garbage past text_len */
    assert_int_equal(pump_log_encode(&r, buf, sizeof buf), PUMP_ERR_INVAL);
    r.text[5] = 0;
    assert_int_equal(pump_log_encode(&r, buf, sizeof buf - 1), PUMP_ERR_INVAL);
    assert_int_equal(pump_log_encode(&r, buf, sizeof buf), PUMP_OK);
    struct pump_log_record back;
    assert_int_equal(pump_log_decode(buf, sizeof buf - 1, &back), PUMP_ERR_INVAL);
    assert_int_equal(pump_log_decode(NULL, sizeof buf, &back), PUMP_ERR_INVAL);
}

static size_t read_seed(const char *name, uint8_t *buf, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/event_decode/%s", OI_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

/* Records written by an independent encoder (Python struct + zlib.crc32) decode to the fields
 * it wrote, and re-encode to the same bytes. */
static void test_decode_independent_encoding(void **state)
{
    (void)state;
    uint8_t buf[128];
    uint8_t again[PUMP_LOG_RECORD_BYTES];
    struct pump_log_record r;
    size_t n = read_seed("program_heparin", buf, sizeof buf);
    assert_int_equal(pump_log_decode(buf, n, &r), PUMP_OK);
    assert_true(r.type == PUMP_REC_PROGRAM && r.seq == 2 && r.time_ms == 1000 &&
                r.code == PUMP_ACCEPT && r.detail == PUMP_LIM_NONE && r.v1 == 14400000 &&
                r.text_len == 10);
    assert_memory_equal(r.text, "GH-ICU-HEP", 10);
    assert_int_equal(pump_log_encode(&r, again, sizeof again), PUMP_OK);
    assert_memory_equal(again, buf, PUMP_LOG_RECORD_BYTES);
    n = read_seed("pca_denied", buf, sizeof buf);
    assert_int_equal(pump_log_decode(buf, n, &r), PUMP_OK);
    assert_true(r.type == PUMP_REC_PCA && r.channel == 2 && r.event == PUMP_EV_PCA_DEMAND &&
                r.code == 0 && r.detail == PUMP_PCA_LOCKOUT && r.v3 == 540000);
    n = read_seed("volume_max", buf, sizeof buf);
    assert_int_equal(pump_log_decode(buf, n, &r), PUMP_OK);
    assert_true(r.seq == UINT64_MAX && r.v1 == UINT64_MAX && r.v2 == (1ULL << 63));
    n = read_seed("bad_crc", buf, sizeof buf);
    assert_int_equal(pump_log_decode(buf, n, &r), PUMP_ERR_INVAL);
    n = read_seed("short", buf, sizeof buf);
    assert_int_equal(pump_log_decode(buf, n, &r), PUMP_ERR_INVAL);
}

/* The channel's policy: at the high-water mark LOG_FULL (high) is raised, programs, starts and
 * PCA demands are refused, delivery goes on and safety records still get stored. */
static void test_channel_log_full_policy(void **state)
{
    (void)state;
    bench_init();
    start_program(PROG(HEPARIN_18));
    drain_log = false; /* nobody acknowledges any more */
    while (!pump_log_is_high(&blog)) {
        struct pump_log_record r = make(PUMP_REC_STATE, bnow);
        assert_int_equal(pump_log_append(&blog, &r), PUMP_OK);
    }
    assert_int_equal(tick(1000), PUMP_OK);
    assert_true(pump_alarm_is_active(&bch.alarms, PUMP_ALM_LOG_FULL));
    assert_int_equal(pump_alarm_priority(PUMP_ALM_LOG_FULL), PUMP_PRIO_HIGH);
    assert_int_equal(bch.state, PUMP_ST_RUNNING); /* delivery goes on */
    assert_true(bch.motor_on);
    assert_int_equal(send_prog(PUMP_EV_TITRATE, PROG(HEPARIN_18), PUMP_OVR_NONE),
                     PUMP_ERR_REFUSED);
    uint32_t before = pump_log_count(&blog);
    assert_int_equal(send_kind(PUMP_EV_PAUSE), PUMP_OK);
    assert_true(pump_log_count(&blog) > before); /* the state change is in a reserved slot */
    assert_int_equal(send_kind(PUMP_EV_RESUME), PUMP_OK);
    /* acknowledged by the store: the alarm clears by itself (non-latching) */
    assert_int_equal(pump_log_ack(&blog, pump_log_next_seq(&blog) - 1), PUMP_OK);
    assert_int_equal(tick(1000), PUMP_OK);
    assert_false(pump_alarm_is_active(&bch.alarms, PUMP_ALM_LOG_FULL));
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_monotonic_across_restart),
        cmocka_unit_test(test_peek_and_ack),
        cmocka_unit_test(test_full_ring_never_overwrites),
        cmocka_unit_test(test_encode_decode_round_trip),
        cmocka_unit_test(test_decode_refuses_bad_fields),
        cmocka_unit_test(test_decode_independent_encoding),
        cmocka_unit_test(test_channel_log_full_policy),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
