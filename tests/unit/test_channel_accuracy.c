/*
 * test_channel_accuracy.c - delivery accounting at the core level: over long runs at many rates
 * (0.1 .. 999 mL/h), with random tick lengths, the volume the core commands equals
 * rate x time exactly in integers: floor(rate_nl_per_h x ms / 3,600,000), computed here in one
 * step from the total time; and the volumes it accounts (primary, infusion, channel) equal what
 * the motor reported. Metamorphic: the same hour in 7 ms, 100 ms and 1000 ms ticks commands the
 * same volume to the nanolitre. (Motor-step accuracy is pumpd's test.)
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

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Start at rate_ml_h (text): a basic infusion up to 500 mL/h, lactated Ringer's above (a soft
 * alert over 500 mL/h, confirmed with a reason). */
static void start_rate(const char *rate_ml_h)
{
    char text[256];
    double r = atof(rate_ml_h);
    if (r <= 500.0) {
        snprintf(text, sizeof text, "{'care_area':'ADULT_ICU','mode':'basic','rate_ml_h':%s}",
                 rate_ml_h);
        start_program(PROG(text));
        return;
    }
    snprintf(text, sizeof text,
             "{'care_area':'ADULT_ICU','entry':'GH-ICU-LR','mode':'fluid','dose':%s,"
             "'dose_unit':'mL/h'}",
             rate_ml_h);
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, PROG(text), PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_PROTOCOL), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_OK);
}

/* rate in nL/h from the decimal text, independently of the core: digits x 10^(6 - decimals) */
static uint64_t nl_per_h(const char *text)
{
    uint64_t v = 0;
    int decimals = -1;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '.') {
            decimals = 0;
            continue;
        }
        v = v * 10 + (uint64_t)(*p - '0');
        if (decimals >= 0) {
            decimals++;
        }
    }
    for (int i = decimals < 0 ? 0 : decimals; i < 6; i++) {
        v *= 10;
    }
    return v;
}

static const char *const rates[] = {
    "0.1", "0.7", "1",   "2.5",   "7.3",   "12.5", "33.3", "50",
    "99.9", "125", "250", "333.3", "499.9", "501",  "750",  "999",
};

static void test_commanded_equals_rate_times_time(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        bench_init();
        start_rate(rates[k]);
        uint64_t rate = nl_per_h(rates[k]);
        assert_int_equal(bch.rate_nl_per_h, rate);
        uint64_t t0 = bnow;
        uint64_t c0 = bch.commanded_nl;
        while (bnow - t0 < 24ULL * 3600000) {
            assert_int_equal(tick(1 + next_rand() % 5000), PUMP_OK);
        }
        uint64_t total_ms = bnow - t0;
        uint64_t want = rate * total_ms / 3600000;
        if (bch.commanded_nl - c0 != want || bch.vol_primary_nl != want ||
            bch.delivered_nl != want || bch.vol_infusion_nl != want ||
            bch.vol_channel_nl != want) {
            print_error("%s mL/h for %llu ms: commanded %llu, primary %llu, expected %llu nL\n",
                        rates[k], (unsigned long long)total_ms,
                        (unsigned long long)(bch.commanded_nl - c0),
                        (unsigned long long)bch.vol_primary_nl, (unsigned long long)want);
            fail();
        }
    }
    release_programs();
}

static uint64_t hour_in_ticks(const char *rate, uint64_t step_ms)
{
    bench_init();
    start_rate(rate);
    run_for(3600000 + 123, step_ms);
    return bch.commanded_nl;
}

static void test_tick_length_does_not_change_volume(void **state)
{
    (void)state;
    const char *const some[] = {"0.1", "33.3", "999"};
    for (size_t k = 0; k < 3; k++) {
        uint64_t a = hour_in_ticks(some[k], 7);
        uint64_t b = hour_in_ticks(some[k], 100);
        uint64_t c = hour_in_ticks(some[k], 1000);
        assert_int_equal(a, b);
        assert_int_equal(b, c);
        assert_int_equal(a, nl_per_h(some[k]) * 3600123 / 3600000);
    }
    release_programs();
}

/* A DERS rate that is not a whole number of nL/h is rounded once, to the nearest nL/h. */
static void test_rate_from_ders_rounded_once(void **state)
{
    (void)state;
    bench_init();
    /* insulin 1.3 units/h at 1 unit/mL: 1.3 mL/h exactly */
    start_program(PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-INS','mode':'continuous',"
                       "'dose':1.3,'dose_unit':'units/h'}"));
    assert_int_equal(bch.rate_nl_per_h, 1300000);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    /* oxytocin 7 milliunits/min at 30 units/500 mL: 7 x 60 / 60 = 7 mL/h */
    start_program(PROG("{'care_area':'LABOR_DELIVERY','entry':'GH-LD-OXY','mode':'continuous',"
                       "'dose':7,'dose_unit':'milliunits/min'}"));
    assert_int_equal(bch.rate_nl_per_h, 7000000);
    assert_int_equal(send_kind(PUMP_EV_STOP), PUMP_OK);
    /* norepinephrine 1.1 mcg/min at 64 mcg/mL: 66/64 mL/h = 1.03125 mL/h */
    start_program(PROG("{'care_area':'ADULT_ICU','entry':'GH-ICU-NOREPI','mode':'continuous',"
                       "'dose':1.1,'dose_unit':'mcg/min'}"));
    assert_int_equal(bch.rate_nl_per_h, 1031250);
    release_programs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commanded_equals_rate_times_time),
        cmocka_unit_test(test_tick_length_does_not_change_volume),
        cmocka_unit_test(test_rate_from_ders_rounded_once),
    };
    return cmocka_run_group_tests(tests, load_library, free_library);
}
