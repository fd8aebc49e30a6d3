/*
 * hal_sim.c - simulated pump hardware. Contract: see hal_sim.h.
 */
#include "hal_sim.h"

#include <string.h>

#define MS_PER_H 3600000ULL

/* Only to scale a product that may exceed 64 bits before dividing it back down. */
__extension__ typedef unsigned __int128 sim_u128;
#define NL_PER_ML 1000000ULL

static const char *const fault_names[HAL_FAULT_COUNT] = {
    [HAL_FAULT_OCCLUSION_DOWN] = "occlusion_downstream",
    [HAL_FAULT_OCCLUSION_UP] = "occlusion_upstream",
    [HAL_FAULT_AIR] = "air",
    [HAL_FAULT_CONTAINER_EMPTY] = "container_empty",
    [HAL_FAULT_BATTERY] = "battery",
    [HAL_FAULT_MAINS_LOST] = "mains_lost",
    [HAL_FAULT_DOOR_OPEN] = "door_open",
    [HAL_FAULT_STALL] = "stall",
};

const char *hal_fault_kind_str(hal_fault_kind k)
{
    if ((unsigned)k >= (unsigned)HAL_FAULT_COUNT) {
        return NULL;
    }
    return fault_names[k];
}

bool hal_fault_kind_parse(const char *name, hal_fault_kind *out)
{
    unsigned i;
    for (i = 0; i < (unsigned)HAL_FAULT_COUNT; i++) {
        if (strcmp(name, fault_names[i]) == 0) {
            *out = (hal_fault_kind)i;
            return true;
        }
    }
    return false;
}

void hal_sim_config_default(struct hal_sim_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->step_nl = 500;
    cfg->max_rate_nl_per_h = 1200ULL * NL_PER_ML;
    cfg->base_down_mmhg = 5;
    cfg->resistance_mmhg_per_l_h = 20;
    cfg->compliance_down_nl_per_mmhg = 1000;
    cfg->drain_tau_ms = 3000;
    cfg->relief_nl_per_s = 500000;
    cfg->base_up_mmhg = 30;
    cfg->compliance_up_nl_per_mmhg = 200;
    cfg->vacuum_mmhg = -700;
    cfg->noise_mmhg = 1;
    cfg->container_nl = 0;
    cfg->battery_capacity_uah = 2000000;
    cfg->battery_pct = 100;
    cfg->draw_base_ua = 60000;
    cfg->draw_ua_per_ml_h = 100;
    cfg->charge_ua = 500000;
    cfg->on_mains = true;
}

/* splitmix64: tiny, seeded, the same sequence on every machine. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z;
    *state += 0x9E3779B97F4A7C15ULL;
    z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void hal_sim_init(struct hal_sim *s, const struct hal_sim_config *cfg, uint64_t seed)
{
    struct hal_sim_config def;
    memset(s, 0, sizeof *s);
    hal_sim_config_default(&def);
    s->cfg = (cfg != NULL) ? *cfg : def;
    if (s->cfg.step_nl == 0) {
        s->cfg.step_nl = def.step_nl;
    }
    if (s->cfg.max_rate_nl_per_h == 0) {
        s->cfg.max_rate_nl_per_h = def.max_rate_nl_per_h;
    }
    if (s->cfg.compliance_down_nl_per_mmhg == 0) {
        s->cfg.compliance_down_nl_per_mmhg = def.compliance_down_nl_per_mmhg;
    }
    if (s->cfg.compliance_up_nl_per_mmhg == 0) {
        s->cfg.compliance_up_nl_per_mmhg = def.compliance_up_nl_per_mmhg;
    }
    if (s->cfg.battery_capacity_uah == 0) {
        s->cfg.battery_capacity_uah = def.battery_capacity_uah;
    }
    if (s->cfg.battery_pct > 100) {
        s->cfg.battery_pct = 100;
    }
    s->rng = seed;
    s->steps_left = HAL_NO_STEP_LIMIT;
    s->on_mains = s->cfg.on_mains;
    s->battery_uah = s->cfg.battery_capacity_uah * s->cfg.battery_pct / 100U;
}

/* nL*ms/h that make one step. */
static uint64_t step_quantum(const struct hal_sim *s)
{
    return (uint64_t)s->cfg.step_nl * MS_PER_H;
}

uint64_t hal_sim_ms_until_steps(const struct hal_sim *s, uint64_t steps)
{
    uint64_t need;
    if (s->rate_nl_per_h == 0 || s->stall) {
        return UINT64_MAX;
    }
    if (steps == 0) {
        return 0;
    }
    if (steps > UINT64_MAX / step_quantum(s)) {
        return UINT64_MAX;
    }
    need = steps * step_quantum(s);
    if (need <= s->step_acc) {
        return 0;
    }
    need -= s->step_acc;
    return need / s->rate_nl_per_h + ((need % s->rate_nl_per_h) != 0 ? 1U : 0U);
}

/* Fluid moved past the air sensor: bubbles ahead of it pass. */
static void move_bubbles(struct hal_sim *s, uint64_t moved_nl)
{
    uint32_t i = 0;
    uint32_t kept = 0;
    for (i = 0; i < s->n_bubbles; i++) {
        struct hal_sim_bubble b = s->bubbles[i];
        if (b.at_nl <= moved_nl) {
            s->air_pending_nl += b.size_nl;
            s->air_total_nl += b.size_nl;
            if (b.size_nl > s->air_pending_max_nl) {
                s->air_pending_max_nl = b.size_nl;
            }
        } else {
            b.at_nl -= moved_nl;
            s->bubbles[kept] = b;
            kept++;
        }
    }
    s->n_bubbles = kept;
}

/* What the steps of this advance did to the container, the air and the line. */
static void apply_steps(struct hal_sim *s, uint64_t n_steps)
{
    uint64_t moved_nl = n_steps * s->cfg.step_nl;
    uint64_t fluid_nl = moved_nl;
    uint64_t air_nl = 0;

    if (moved_nl == 0) {
        return;
    }
    if (!s->container_empty && s->cfg.container_nl > 0) {
        uint64_t left = s->cfg.container_nl - s->container_used_nl;
        if (moved_nl >= left) {
            s->container_used_nl = s->cfg.container_nl;
            s->container_empty = true;
            fluid_nl = left;
        } else {
            s->container_used_nl += moved_nl;
        }
    } else if (s->container_empty) {
        fluid_nl = 0;
    }
    /* Why: once the container is dry the steps pull air through the sensor. */
    air_nl = moved_nl - fluid_nl;
    s->air_pending_nl += air_nl;
    s->air_total_nl += air_nl;
    /* The air behind an empty container is one column, however many steps it took. */
    if (air_nl > 0) {
        uint64_t col = s->air_pending_max_nl + air_nl;
        s->air_pending_max_nl = (col > UINT32_MAX) ? UINT32_MAX : (uint32_t)col;
    }
    move_bubbles(s, moved_nl);

    if (s->occl_down) {
        s->trapped_nl += fluid_nl;
    } else {
        s->patient_nl += fluid_nl;
    }
    if (s->occl_up) {
        s->drawn_up_nl += moved_nl;
    }
}

static void drain_trapped(struct hal_sim *s, uint64_t dt_ms)
{
    uint64_t d;
    if (s->occl_down || s->trapped_nl == 0) {
        return;
    }
    /* First-order decay: trapped x dt / (tau + dt) per advance, the last few nanolitres at once
     * so it reaches zero. */
    d = (uint64_t)(((sim_u128)s->trapped_nl * dt_ms) / (s->cfg.drain_tau_ms + dt_ms));
    if (d == 0 || s->trapped_nl - d < s->cfg.step_nl) {
        d = s->trapped_nl;
    }
    s->trapped_nl -= d;
    s->patient_nl += d;
    s->bolus_nl += d;
}

static void relieve(struct hal_sim *s, uint64_t dt_ms)
{
    uint64_t r;
    if (!s->relieving) {
        return;
    }
    r = (uint64_t)s->cfg.relief_nl_per_s * dt_ms / 1000U;
    if (r >= s->trapped_nl || s->cfg.relief_nl_per_s == 0) {
        r = s->trapped_nl;
        s->relieving = false;
    }
    s->trapped_nl -= r;
    s->relieved_nl += r;
}

static void run_battery(struct hal_sim *s, uint64_t dt_ms)
{
    uint64_t cap = s->cfg.battery_capacity_uah;
    uint64_t draw_ua;
    uint64_t used;

    if (s->on_mains) {
        uint64_t gain;
        if (s->battery_uah == cap) {
            s->drain_frac = 0;
            return; /* full on mains: nothing to do */
        }
        gain = (uint64_t)s->cfg.charge_ua * dt_ms / MS_PER_H;
        s->battery_uah = (cap - s->battery_uah <= gain) ? cap : s->battery_uah + gain;
        s->drain_frac = 0;
        return;
    }
    draw_ua = s->cfg.draw_base_ua + s->cfg.draw_ua_per_ml_h * (s->rate_nl_per_h / NL_PER_ML);
    s->drain_frac += draw_ua * dt_ms;
    used = s->drain_frac / MS_PER_H;
    s->drain_frac %= MS_PER_H;
    s->battery_uah = (used >= s->battery_uah) ? 0 : s->battery_uah - used;
}

void hal_sim_advance(struct hal_sim *s, uint64_t dt_ms)
{
    uint64_t n_steps = 0;
    if (dt_ms == 0) {
        return;
    }
    if (s->rate_nl_per_h > 0 && !s->stall) {
        uint64_t q = step_quantum(s);
        s->step_acc += s->rate_nl_per_h * dt_ms;
        n_steps = s->step_acc / q;
        s->step_acc %= q;
        if (n_steps >= s->steps_left) {
            /* The controller stops the motor at the end of its budget. */
            n_steps = s->steps_left;
            s->step_acc = 0;
            s->rate_nl_per_h = 0;
        }
        if (s->steps_left != HAL_NO_STEP_LIMIT) {
            s->steps_left -= n_steps;
        }
        s->steps += n_steps;
    }
    /* The flow for the line-resistance term: the commanded rate while steps happen (the exact
     * steps/dt would cost a division per tick for a term of a few mmHg). */
    s->last_flow_nl_per_h = (n_steps == 0) ? 0 : s->rate_nl_per_h;
    apply_steps(s, n_steps);
    relieve(s, dt_ms);
    drain_trapped(s, dt_ms);
    run_battery(s, dt_ms);
    s->now_ms += dt_ms;
}

static int32_t clamp_i64(int64_t v)
{
    if (v > INT32_MAX) {
        return INT32_MAX;
    }
    if (v < INT32_MIN) {
        return INT32_MIN;
    }
    return (int32_t)v;
}

static void readings(const struct hal_sim *s, struct hal_sensors *out)
{
    int64_t down = s->cfg.base_down_mmhg;
    int64_t up = s->cfg.base_up_mmhg;
    uint64_t cap = s->cfg.battery_capacity_uah;

    /* Why the zero tests: a fleet reads every sensor of every pump ten times a second, and the
     * common case (open line, full battery on mains) needs no division at all. */
    if (!s->occl_down && s->last_flow_nl_per_h != 0) {
        down += (int64_t)(s->last_flow_nl_per_h * s->cfg.resistance_mmhg_per_l_h / 1000000000ULL);
    }
    if (s->trapped_nl != 0) {
        down += (int64_t)(s->trapped_nl / s->cfg.compliance_down_nl_per_mmhg);
    }
    if (s->drawn_up_nl != 0) {
        up -= (int64_t)(s->drawn_up_nl / s->cfg.compliance_up_nl_per_mmhg);
        if (up < s->cfg.vacuum_mmhg) {
            up = s->cfg.vacuum_mmhg;
        }
    }
    out->pressure_down_mmhg = clamp_i64(down);
    out->pressure_up_mmhg = clamp_i64(up);
    out->air_nl = (s->air_pending_nl > UINT32_MAX) ? UINT32_MAX : (uint32_t)s->air_pending_nl;
    out->air_bubble_nl = s->air_pending_max_nl;
    if (s->battery_uah == cap) {
        out->battery_pct = 100;
        out->battery_mv = 4200;
    } else {
        out->battery_pct = (uint32_t)(s->battery_uah * 100U / cap);
        out->battery_mv = (uint32_t)(3300U + s->battery_uah * 900U / cap);
    }
    out->on_mains = s->on_mains;
    out->door_open = s->door_open;
    out->motor_stalled = s->stall && s->rate_nl_per_h > 0;
    out->container_empty = s->container_empty;
}

void hal_sim_peek(const struct hal_sim *s, struct hal_sensors *out)
{
    readings(s, out);
}

static int32_t noise(struct hal_sim *s)
{
    uint64_t span = 2ULL * s->cfg.noise_mmhg + 1U;
    if (s->cfg.noise_mmhg == 0) {
        return 0;
    }
    /* Multiply-shift instead of a modulo: uniform enough for noise, and no division. */
    return (int32_t)(((next_random(&s->rng) >> 32) * span) >> 32) - (int32_t)s->cfg.noise_mmhg;
}

bool hal_sim_fault(struct hal_sim *s, const struct hal_fault *f)
{
    bool on = !f->clear;
    switch ((hal_fault_kind)f->kind) {
    case HAL_FAULT_OCCLUSION_DOWN:
        s->occl_down = on;
        return true;
    case HAL_FAULT_OCCLUSION_UP:
        s->occl_up = on;
        if (!on) {
            s->drawn_up_nl = 0; /* the line refills from the container at once */
        }
        return true;
    case HAL_FAULT_AIR: {
        uint32_t i;
        uint64_t at = f->distance_nl;
        if (!on) {
            s->n_bubbles = 0;
            return true;
        }
        for (i = 0; i < f->count; i++) {
            if (s->n_bubbles >= HAL_SIM_MAX_BUBBLES) {
                return false;
            }
            s->bubbles[s->n_bubbles].at_nl = at;
            s->bubbles[s->n_bubbles].size_nl = f->bubble_nl;
            s->n_bubbles++;
            at += f->spacing_nl;
        }
        return true;
    }
    case HAL_FAULT_CONTAINER_EMPTY:
        s->container_empty = on;
        return true;
    case HAL_FAULT_BATTERY:
        s->battery_uah = s->cfg.battery_capacity_uah * (f->pct > 100U ? 100U : f->pct) / 100U;
        return true;
    case HAL_FAULT_MAINS_LOST:
        s->on_mains = !on;
        return true;
    case HAL_FAULT_DOOR_OPEN:
        s->door_open = on;
        return true;
    case HAL_FAULT_STALL:
        s->stall = on;
        return true;
    case HAL_FAULT_COUNT:
    default:
        return false;
    }
}

/* ---- the HAL operations ---------------------------------------------------------------------- */

static void op_motor_command(void *ctx, uint64_t rate_nl_per_h, uint64_t max_steps)
{
    struct hal_sim *s = ctx;
    s->rate_nl_per_h =
        (rate_nl_per_h > s->cfg.max_rate_nl_per_h) ? s->cfg.max_rate_nl_per_h : rate_nl_per_h;
    s->steps_left = max_steps;
    if (max_steps == 0) {
        s->rate_nl_per_h = 0;
    }
}

static void op_motor_relieve(void *ctx)
{
    struct hal_sim *s = ctx;
    s->relieving = s->trapped_nl > 0;
}

static uint64_t op_motor_steps(void *ctx)
{
    const struct hal_sim *s = ctx;
    return s->steps;
}

static uint32_t op_motor_step_nl(void *ctx)
{
    const struct hal_sim *s = ctx;
    return s->cfg.step_nl;
}

static void op_read_sensors(void *ctx, struct hal_sensors *out)
{
    struct hal_sim *s = ctx;
    readings(s, out);
    out->pressure_down_mmhg += noise(s);
    out->pressure_up_mmhg += noise(s);
    s->air_pending_nl = 0;
    s->air_pending_max_nl = 0;
}

static uint64_t op_now_ms(void *ctx)
{
    const struct hal_sim *s = ctx;
    return s->now_ms;
}

static const struct hal_ops sim_ops = {
    op_motor_command, op_motor_relieve, op_motor_steps, op_motor_step_nl, op_read_sensors,
    op_now_ms,
};

struct hal hal_sim_hal(struct hal_sim *s)
{
    struct hal h;
    h.ops = &sim_ops;
    h.ctx = s;
    return h;
}
