/* test_hal_sim.c - the simulated pump hardware: motor steps, pressure, air, container, battery,
 * door, stall, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hal_sim.h"

#define NL_PER_ML 1000000ULL
#define MS_PER_H 3600000ULL

static void sim_default(struct hal_sim *s)
{
    struct hal_sim_config cfg;
    hal_sim_config_default(&cfg);
    cfg.noise_mmhg = 0;
    hal_sim_init(s, &cfg, 1);
}

/* Run at rate for duration in steps of dt; return the volume the motor moved. */
static uint64_t run_motor(struct hal_sim *s, uint64_t rate_nl_per_h, uint64_t duration_ms,
                          uint64_t dt_ms)
{
    struct hal h = hal_sim_hal(s);
    uint64_t t = 0;
    uint64_t steps0 = h.ops->motor_steps(h.ctx);
    h.ops->motor_command(h.ctx, rate_nl_per_h, HAL_NO_STEP_LIMIT);
    while (t < duration_ms) {
        uint64_t d = (duration_ms - t < dt_ms) ? duration_ms - t : dt_ms;
        hal_sim_advance(s, d);
        t += d;
    }
    return (h.ops->motor_steps(h.ctx) - steps0) * h.ops->motor_step_nl(h.ctx);
}

static void test_motor_volume_is_whole_steps_within_one_step(void **state)
{
    static const uint64_t rates_ml_h_x10[] = {1, 7, 10, 33, 77, 100, 999, 4567, 9990};
    static const uint64_t dts[] = {13, 100, 250, 1000, 3700};
    size_t i;
    size_t k;
    (void)state;
    for (i = 0; i < sizeof rates_ml_h_x10 / sizeof rates_ml_h_x10[0]; i++) {
        for (k = 0; k < sizeof dts / sizeof dts[0]; k++) {
            struct hal_sim s;
            uint64_t rate = rates_ml_h_x10[i] * NL_PER_ML / 10U;
            uint64_t dur = (dts[k] < 100U) ? 600123U : 3U * MS_PER_H + 12345U;
            uint64_t want = rate * dur / MS_PER_H; /* exact (floor) */
            uint64_t got;
            sim_default(&s);
            got = run_motor(&s, rate, dur, dts[k]);
            assert_int_equal(got % s.cfg.step_nl, 0);
            assert_true(got <= want);
            assert_true(want - got < s.cfg.step_nl);
        }
    }
}

static void test_step_budget_stops_the_motor_exactly(void **state)
{
    struct hal_sim s;
    struct hal h;
    (void)state;
    sim_default(&s);
    h = hal_sim_hal(&s);
    h.ops->motor_command(h.ctx, 100U * NL_PER_ML, 7);
    hal_sim_advance(&s, MS_PER_H);
    assert_int_equal(h.ops->motor_steps(h.ctx), 7);
    assert_int_equal(s.rate_nl_per_h, 0);
    /* A zero budget never moves. */
    h.ops->motor_command(h.ctx, 100U * NL_PER_ML, 0);
    hal_sim_advance(&s, MS_PER_H);
    assert_int_equal(h.ops->motor_steps(h.ctx), 7);
}

static void test_rate_is_capped(void **state)
{
    struct hal_sim s;
    (void)state;
    sim_default(&s);
    assert_int_equal(run_motor(&s, 5000U * NL_PER_ML, MS_PER_H, 1000), s.cfg.max_rate_nl_per_h);
}

static void test_ms_until_steps(void **state)
{
    struct hal_sim s;
    struct hal h;
    uint64_t ms;
    (void)state;
    sim_default(&s);
    h = hal_sim_hal(&s);
    assert_int_equal(hal_sim_ms_until_steps(&s, 1), UINT64_MAX);
    h.ops->motor_command(h.ctx, 1U * NL_PER_ML, HAL_NO_STEP_LIMIT); /* 1 mL/h: a step per 1.8 s */
    ms = hal_sim_ms_until_steps(&s, 3);
    assert_int_equal(ms, 5400);
    hal_sim_advance(&s, ms - 1U);
    assert_int_equal(s.steps, 2);
    hal_sim_advance(&s, 1);
    assert_int_equal(s.steps, 3);
}

/* Time until the downstream pressure passes limit_mmhg at rate, ms (0 when never in 2 h). */
static uint64_t time_to_pressure(uint64_t rate_nl_per_h, int32_t limit_mmhg)
{
    struct hal_sim s;
    struct hal h;
    struct hal_fault f;
    uint64_t t = 0;
    sim_default(&s);
    h = hal_sim_hal(&s);
    memset(&f, 0, sizeof f);
    f.kind = HAL_FAULT_OCCLUSION_DOWN;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->motor_command(h.ctx, rate_nl_per_h, HAL_NO_STEP_LIMIT);
    while (t < 2U * MS_PER_H) {
        struct hal_sensors r;
        hal_sim_advance(&s, 100);
        t += 100;
        h.ops->read_sensors(h.ctx, &r);
        if (r.pressure_down_mmhg > limit_mmhg) {
            return t;
        }
    }
    return 0;
}

static void test_occlusion_pressure_rises_with_flow(void **state)
{
    uint64_t at_1 = time_to_pressure(1U * NL_PER_ML, 600);
    uint64_t at_25 = time_to_pressure(25U * NL_PER_ML, 600);
    uint64_t at_100 = time_to_pressure(100U * NL_PER_ML, 600);
    (void)state;
    /* Realistic times to alarm: tens of minutes at 1 mL/h, about a minute at 25 mL/h. */
    assert_true(at_1 > 20U * 60000U && at_1 < 60U * 60000U);
    assert_true(at_25 > 30000U && at_25 < 180000U);
    assert_true(at_100 < at_25 && at_25 < at_1);
}

static void test_relief_prevents_the_bolus(void **state)
{
    int relieve;
    (void)state;
    for (relieve = 0; relieve <= 1; relieve++) {
        struct hal_sim s;
        struct hal h;
        struct hal_fault f;
        struct hal_sensors r;
        uint64_t trapped;
        sim_default(&s);
        h = hal_sim_hal(&s);
        memset(&f, 0, sizeof f);
        f.kind = HAL_FAULT_OCCLUSION_DOWN;
        assert_true(hal_sim_fault(&s, &f));
        h.ops->motor_command(h.ctx, 100U * NL_PER_ML, HAL_NO_STEP_LIMIT);
        hal_sim_advance(&s, 30000);
        h.ops->motor_command(h.ctx, 0, HAL_NO_STEP_LIMIT);
        trapped = s.trapped_nl;
        assert_true(trapped > 0);
        assert_int_equal(s.patient_nl, 0);
        if (relieve) {
            h.ops->motor_relieve(h.ctx);
            hal_sim_advance(&s, 5000);
            h.ops->read_sensors(h.ctx, &r);
            assert_true(r.pressure_down_mmhg <= s.cfg.base_down_mmhg);
        }
        f.clear = true;
        assert_true(hal_sim_fault(&s, &f));
        for (int i = 0; i < 600; i++) {
            hal_sim_advance(&s, 100);
        }
        if (relieve) {
            assert_int_equal(s.bolus_nl, 0);
            assert_int_equal(s.relieved_nl, trapped);
        } else {
            /* Without relief the trapped volume reaches the patient when the line clears. */
            assert_int_equal(s.bolus_nl, trapped);
            assert_int_equal(s.patient_nl, trapped);
        }
    }
}

static void test_upstream_occlusion_draws_a_vacuum(void **state)
{
    struct hal_sim s;
    struct hal h;
    struct hal_fault f;
    struct hal_sensors r;
    (void)state;
    sim_default(&s);
    h = hal_sim_hal(&s);
    memset(&f, 0, sizeof f);
    f.kind = HAL_FAULT_OCCLUSION_UP;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->motor_command(h.ctx, 100U * NL_PER_ML, HAL_NO_STEP_LIMIT);
    hal_sim_advance(&s, 10000);
    h.ops->read_sensors(h.ctx, &r);
    assert_true(r.pressure_up_mmhg < -250);
    assert_true(r.pressure_up_mmhg >= s.cfg.vacuum_mmhg);
    f.clear = true;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.pressure_up_mmhg, s.cfg.base_up_mmhg);
}

static void test_bubbles_pass_when_fluid_moves(void **state)
{
    struct hal_sim s;
    struct hal h;
    struct hal_fault f;
    struct hal_sensors r;
    (void)state;
    sim_default(&s);
    h = hal_sim_hal(&s);
    memset(&f, 0, sizeof f);
    f.kind = HAL_FAULT_AIR;
    f.bubble_nl = 40000;
    f.count = 3;
    f.spacing_nl = 100000;
    f.distance_nl = 50000;
    assert_true(hal_sim_fault(&s, &f));
    hal_sim_advance(&s, 60000); /* motor stopped: nothing passes */
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.air_nl, 0);
    h.ops->motor_command(h.ctx, 0, HAL_NO_STEP_LIMIT);
    h.ops->motor_command(h.ctx, 36U * NL_PER_ML, 100); /* 100 steps = 50 uL */
    hal_sim_advance(&s, 60000);
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.air_nl, 40000);
    assert_int_equal(r.air_bubble_nl, 40000);
    h.ops->read_sensors(h.ctx, &r); /* read once */
    assert_int_equal(r.air_nl, 0);
    h.ops->motor_command(h.ctx, 36U * NL_PER_ML, 400); /* 200 uL more: the other two */
    hal_sim_advance(&s, 60000);
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.air_nl, 80000);
    assert_int_equal(r.air_bubble_nl, 40000);
    assert_int_equal(s.n_bubbles, 0);
}

static void test_container_runs_dry_then_air(void **state)
{
    struct hal_sim s;
    struct hal_sim_config cfg;
    struct hal h;
    struct hal_sensors r;
    (void)state;
    hal_sim_config_default(&cfg);
    cfg.container_nl = 10U * NL_PER_ML;
    hal_sim_init(&s, &cfg, 1);
    h = hal_sim_hal(&s);
    h.ops->motor_command(h.ctx, 60U * NL_PER_ML, HAL_NO_STEP_LIMIT); /* 1 mL/min */
    hal_sim_advance(&s, 9U * 60000U);
    h.ops->read_sensors(h.ctx, &r);
    assert_false(r.container_empty);
    assert_int_equal(r.air_nl, 0);
    hal_sim_advance(&s, 2U * 60000U);
    h.ops->read_sensors(h.ctx, &r);
    assert_true(r.container_empty);
    assert_int_equal(r.air_nl, 1U * NL_PER_ML);
    assert_int_equal(s.patient_nl, 10U * NL_PER_ML);
}

static void test_battery_drains_and_charges(void **state)
{
    struct hal_sim s;
    struct hal_sim_config cfg;
    struct hal h;
    struct hal_sensors r;
    struct hal_fault f;
    (void)state;
    hal_sim_config_default(&cfg);
    cfg.on_mains = false;
    hal_sim_init(&s, &cfg, 1);
    h = hal_sim_hal(&s);
    /* 60 mA base + 100 uA per mL/h x 100 = 70 mA for 2 h = 140 mAh of 2000: 93 % left. */
    h.ops->motor_command(h.ctx, 100U * NL_PER_ML, HAL_NO_STEP_LIMIT);
    hal_sim_advance(&s, 2U * MS_PER_H);
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(s.battery_uah, 2000000U - 140000U);
    assert_int_equal(r.battery_pct, 93);
    assert_false(r.on_mains);
    memset(&f, 0, sizeof f);
    f.kind = HAL_FAULT_MAINS_LOST;
    f.clear = true;
    assert_true(hal_sim_fault(&s, &f));
    hal_sim_advance(&s, MS_PER_H);
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.battery_pct, 100);
    f.kind = HAL_FAULT_BATTERY;
    f.clear = false;
    f.pct = 4;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(r.battery_pct, 4);
    assert_int_equal(r.battery_mv, 3300 + 36);
}

static void test_stall_and_door(void **state)
{
    struct hal_sim s;
    struct hal h;
    struct hal_fault f;
    struct hal_sensors r;
    (void)state;
    sim_default(&s);
    h = hal_sim_hal(&s);
    memset(&f, 0, sizeof f);
    f.kind = HAL_FAULT_STALL;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->motor_command(h.ctx, 100U * NL_PER_ML, HAL_NO_STEP_LIMIT);
    hal_sim_advance(&s, 60000);
    h.ops->read_sensors(h.ctx, &r);
    assert_int_equal(h.ops->motor_steps(h.ctx), 0);
    assert_true(r.motor_stalled);
    h.ops->motor_command(h.ctx, 0, HAL_NO_STEP_LIMIT);
    h.ops->read_sensors(h.ctx, &r);
    assert_false(r.motor_stalled); /* not commanded: nothing to notice */
    f.kind = HAL_FAULT_DOOR_OPEN;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->read_sensors(h.ctx, &r);
    assert_true(r.door_open);
    f.clear = true;
    assert_true(hal_sim_fault(&s, &f));
    h.ops->read_sensors(h.ctx, &r);
    assert_false(r.door_open);
    f.kind = HAL_FAULT_COUNT;
    assert_false(hal_sim_fault(&s, &f));
}

static void test_noise_is_seeded(void **state)
{
    struct hal_sim a;
    struct hal_sim b;
    struct hal_sim c;
    struct hal_sim_config cfg;
    struct hal ha;
    struct hal hb;
    struct hal hc;
    int i;
    int differ = 0;
    (void)state;
    hal_sim_config_default(&cfg);
    cfg.noise_mmhg = 3;
    hal_sim_init(&a, &cfg, 42);
    hal_sim_init(&b, &cfg, 42);
    hal_sim_init(&c, &cfg, 43);
    ha = hal_sim_hal(&a);
    hb = hal_sim_hal(&b);
    hc = hal_sim_hal(&c);
    for (i = 0; i < 100; i++) {
        struct hal_sensors ra;
        struct hal_sensors rb;
        struct hal_sensors rc;
        ha.ops->read_sensors(ha.ctx, &ra);
        hb.ops->read_sensors(hb.ctx, &rb);
        hc.ops->read_sensors(hc.ctx, &rc);
        assert_int_equal(ra.pressure_down_mmhg, rb.pressure_down_mmhg);
        assert_true(ra.pressure_down_mmhg >= cfg.base_down_mmhg - 3 &&
                    ra.pressure_down_mmhg <= cfg.base_down_mmhg + 3);
        differ += (ra.pressure_down_mmhg != rc.pressure_down_mmhg) ? 1 : 0;
    }
    assert_true(differ > 0);
}

static void test_fault_names(void **state)
{
    hal_fault_kind k;
    unsigned i;
    (void)state;
    for (i = 0; i < (unsigned)HAL_FAULT_COUNT; i++) {
        const char *name = hal_fault_kind_str((hal_fault_kind)i);
        assert_non_null(name);
        assert_true(hal_fault_kind_parse(name, &k));
        assert_int_equal(k, i);
    }
    assert_false(hal_fault_kind_parse("gremlins", &k));
    assert_null(hal_fault_kind_str(HAL_FAULT_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motor_volume_is_whole_steps_within_one_step),
        cmocka_unit_test(test_step_budget_stops_the_motor_exactly),
        cmocka_unit_test(test_rate_is_capped),
        cmocka_unit_test(test_ms_until_steps),
        cmocka_unit_test(test_occlusion_pressure_rises_with_flow),
        cmocka_unit_test(test_relief_prevents_the_bolus),
        cmocka_unit_test(test_upstream_occlusion_draws_a_vacuum),
        cmocka_unit_test(test_bubbles_pass_when_fluid_moves),
        cmocka_unit_test(test_container_runs_dry_then_air),
        cmocka_unit_test(test_battery_drains_and_charges),
        cmocka_unit_test(test_stall_and_door),
        cmocka_unit_test(test_noise_is_seeded),
        cmocka_unit_test(test_fault_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
