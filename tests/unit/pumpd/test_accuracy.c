/* test_accuracy.c - delivery accuracy of the whole pump (core + HAL + simulated motor): over
 * hours of simulated time at rates from 0.1 to 999 mL/h the volume delivered equals the volume
 * programmed within the motor's step resolution; a VTBI ends within one step above it, never
 * below; the core accounts exactly what the motor did. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "oi_json.h"
#include "sim_pump.h"

#define NL_PER_ML 1000000ULL
#define MS_PER_H 3600000ULL

static struct oi_druglib dl;

static int load(void **state)
{
    struct oi_diag diag;
    (void)state;
    memset(&diag, 0, sizeof diag);
    if (oi_druglib_load_file(OI_SOURCE_DIR "/examples/general-hospital.json", &dl, &diag) !=
        OI_LOAD_OK) {
        oi_diag_free(&diag);
        return -1;
    }
    oi_diag_free(&diag);
    return 0;
}

static int unload(void **state)
{
    (void)state;
    oi_druglib_free(&dl);
    return 0;
}

static struct sim_pump pump; /* large: not on the stack */

static void start_pump(uint64_t tick_ms, uint32_t step_nl)
{
    struct sim_pump_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.pump_id = "ACC";
    hal_sim_config_default(&cfg.hw);
    cfg.hw.step_nl = step_nl;
    cfg.seed = 3;
    cfg.tick_ms = tick_ms;
    cfg.lib = &dl.lib;
    assert_true(sim_pump_init(&pump, &cfg, 0, 1, false));
}

/* Program the pump from a JSON program object, confirm (with a reason), start. */
static void program_and_start(const char *json)
{
    json_error_t jerr;
    json_t *obj = json_loads(json, 0, &jerr);
    struct pump_program prog;
    struct pump_cmd cmd;
    char err[256];
    assert_non_null(obj);
    assert_true(oi_program_from_json(obj, &prog, err, sizeof err));
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_PROGRAM;
    cmd.program.lib = &dl.lib;
    cmd.program.prog = &prog;
    assert_int_equal(sim_pump_command(&pump, &cmd), PUMP_OK);
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_CONFIRM;
    cmd.confirm.reason = (uint8_t)PUMP_OVR_ORDER_VERIFIED;
    assert_int_equal(sim_pump_command(&pump, &cmd), PUMP_OK);
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_START;
    assert_int_equal(sim_pump_command(&pump, &cmd), PUMP_OK);
    json_decref(obj);
}

static const char *const rates[] = {"0.1", "0.5", "1", "7.7", "10", "33.3",
                                    "99.9", "250", "500", "999"};
/* Rates in nL/h for the same list (exact). */
static const uint64_t rates_nl[] = {100000,   500000,    1000000,   7700000,   10000000,
                                    33300000, 99900000, 250000000, 500000000, 999000000};

static void test_continuous_rates_within_one_step(void **state)
{
    static const uint64_t ticks[] = {100, 1000, 250};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        char json[256];
        uint64_t hours = (rates_nl[i] < 10000000U) ? 8U : 3U;
        uint64_t t0;
        uint64_t want;
        uint64_t got;
        start_pump(ticks[i % 3U], 500);
        if (rates_nl[i] <= 500000000U) {
            (void)snprintf(json, sizeof json,
                           "{\"care_area\":\"ADULT_ICU\",\"mode\":\"basic\",\"rate_ml_h\":%s}",
                           rates[i]);
        } else {
            (void)snprintf(json, sizeof json,
                           "{\"care_area\":\"ADULT_ICU\",\"entry\":\"GH-ICU-LR\",\"mode\":"
                           "\"fluid\",\"dose\":%s,\"dose_unit\":\"mL/h\"}", rates[i]);
        }
        program_and_start(json);
        assert_int_equal(pump.ch.state, PUMP_ST_RUNNING);
        assert_int_equal(pump.ch.rate_nl_per_h, rates_nl[i]);
        t0 = pump.now_ms;
        sim_pump_advance_to(&pump, t0 + hours * MS_PER_H + 777U);
        want = rates_nl[i] * hours + rates_nl[i] * 777U / MS_PER_H;
        got = pump.ch.vol_channel_nl;
        /* The core counted exactly what the motor did ... */
        assert_int_equal(got, pump.hw.steps * pump.hw.cfg.step_nl);
        /* ... which is the programmed volume within one step. */
        if (!(got <= want + pump.hw.cfg.step_nl && want <= got + pump.hw.cfg.step_nl)) {
            fail_msg("rate %s mL/h for %llu h: delivered %llu nL, programmed %llu nL", rates[i],
                     (unsigned long long)hours, (unsigned long long)got,
                     (unsigned long long)want);
        }
        assert_int_equal(pump.ch.state, PUMP_ST_RUNNING);
        assert_int_equal(pump.ch.alarms.n_active, 0);
    }
}

static void test_vtbi_ends_within_one_step(void **state)
{
    static const char *const vtbis[] = {"10", "7.7777", "0.3", "123.4567", "1"};
    static const uint64_t vtbis_nl[] = {10000000, 7777700, 300000, 123456700, 1000000};
    static const uint32_t steps_nl[] = {500, 500, 250, 1000, 333};
    size_t i;
    (void)state;
    for (i = 0; i < sizeof vtbis / sizeof vtbis[0]; i++) {
        char json[256];
        size_t r = (i * 3U + 2U) % (sizeof rates / sizeof rates[0] - 1U) + 1U;
        uint64_t hours_needed;
        start_pump(100, steps_nl[i]);
        (void)snprintf(json, sizeof json,
                       "{\"care_area\":\"ADULT_ICU\",\"entry\":\"GH-ICU-LR\",\"mode\":\"fluid\","
                       "\"dose\":%s,\"dose_unit\":\"mL/h\",\"vtbi_ml\":%s}", rates[r], vtbis[i]);
        if (rates_nl[r] < 10000000U) {
            (void)snprintf(json, sizeof json,
                           "{\"care_area\":\"ADULT_ICU\",\"mode\":\"basic\",\"rate_ml_h\":%s,"
                           "\"vtbi_ml\":%s}", rates[r], vtbis[i]);
        }
        program_and_start(json);
        hours_needed = vtbis_nl[i] / rates_nl[r] + 1U;
        sim_pump_advance_to(&pump, pump.now_ms + hours_needed * MS_PER_H);
        assert_int_equal(pump.ch.state, PUMP_ST_KVO);
        if (!(pump.ch.vol_primary_nl >= vtbis_nl[i] &&
              pump.ch.vol_primary_nl < vtbis_nl[i] + steps_nl[i])) {
            fail_msg("VTBI %s mL at %s mL/h, step %u nL: primary volume %llu nL", vtbis[i],
                     rates[r], steps_nl[i], (unsigned long long)pump.ch.vol_primary_nl);
        }
        assert_int_equal(pump.ch.vol_channel_nl, pump.hw.steps * steps_nl[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_continuous_rates_within_one_step),
        cmocka_unit_test(test_vtbi_ends_within_one_step),
    };
    return cmocka_run_group_tests(tests, load, unload);
}
