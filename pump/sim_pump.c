/*
 * sim_pump.c - one simulated pump: core + HAL + simulated hardware. Contract: see sim_pump.h.
 */
#include "sim_pump.h"

#include <stdio.h>
#include <string.h>

#define DRAIN_BATCH 64U

static bool state_interrupts(uint8_t to)
{
    /* An infusion that was started and has not ended: a restart must not lose it silently. */
    return to == (uint8_t)PUMP_ST_RUNNING || to == (uint8_t)PUMP_ST_BOLUS ||
           to == (uint8_t)PUMP_ST_KVO || to == (uint8_t)PUMP_ST_PAUSED ||
           to == (uint8_t)PUMP_ST_ALARM_STOPPED;
}

bool sim_pump_dd_interrupted(const struct datadir *dd)
{
    const struct pump_log_record *last;
    if (!dd->has_last_state[0]) {
        return false;
    }
    last = &dd->last_state[0];
    return state_interrupts(last->to);
}

/* Track what a restart needs from one record. */
static void note(struct sim_pump *p, const struct pump_log_record *r)
{
    if (r->type == (uint8_t)PUMP_REC_STATE && r->channel == 0U) {
        p->interrupted = state_interrupts(r->to);
    }
}

/* Hand every unacknowledged record to the sink and the data directory, then acknowledge it. */
static void drain(struct sim_pump *p)
{
    struct pump_log_record batch[DRAIN_BATCH];
    while (pump_log_count(&p->log) > 0) {
        uint32_t n = pump_log_count(&p->log);
        uint32_t i;
        bool sync = false;
        if (n > DRAIN_BATCH) {
            n = DRAIN_BATCH;
        }
        for (i = 0; i < n; i++) {
            if (pump_log_peek(&p->log, i, &batch[i]) != PUMP_OK) {
                n = i;
                break;
            }
            note(p, &batch[i]);
            if (batch[i].type != (uint8_t)PUMP_REC_VOLUME) {
                sync = true;
            }
            if (p->cfg.sink != NULL) {
                p->cfg.sink(p->cfg.sink_arg, &batch[i]);
            }
        }
        if (n == 0) {
            return;
        }
        p->n_records += n;
        if (p->cfg.dd != NULL && !p->failed && !datadir_append(p->cfg.dd, batch, n, sync)) {
            /* Why stop: a pump that cannot keep its records must not go on as if it could. */
            p->failed = true;
            (void)snprintf(p->error, sizeof p->error, "%s", p->cfg.dd->error);
        }
        if (pump_log_ack(&p->log, batch[n - 1U].seq) != PUMP_OK) {
            return;
        }
    }
}

/* Apply the core's outputs to the motor. */
static void apply_outputs(struct sim_pump *p)
{
    const struct pump_channel *ch = &p->ch;
    uint64_t budget = HAL_NO_STEP_LIMIT;
    uint64_t end_nl = UINT64_MAX;
    uint64_t rate = (ch->motor_on && !p->failed) ? ch->rate_nl_per_h : 0;

    if (ch->relieve_pressure) {
        p->hal.ops->motor_relieve(p->hal.ctx);
    }
    if (ch->has_segment_limit) {
        /* Where the segment ends, counted in everything the motor ever delivered: the same
         * number on every tick of one segment. */
        end_nl = ch->delivered_nl + ch->segment_remaining_nl;
    }
    /* The same rate towards the same end is the command the motor already has. */
    if (p->has_cmd && rate == p->cmd_rate_nl_per_h && end_nl == p->cmd_end_nl) {
        return;
    }
    if (ch->has_segment_limit) {
        /* Whole steps only: the last partial step overshoots by less than one step. */
        uint32_t step_nl = p->hal.ops->motor_step_nl(p->hal.ctx);
        budget = ch->segment_remaining_nl / step_nl +
                 ((ch->segment_remaining_nl % step_nl) != 0 ? 1U : 0U);
    }
    p->hal.ops->motor_command(p->hal.ctx, rate, budget);
    p->has_cmd = true;
    p->cmd_rate_nl_per_h = rate;
    p->cmd_end_nl = end_nl;
}

static void tick(struct sim_pump *p)
{
    struct pump_cmd cmd;
    struct hal_sensors s;
    uint64_t steps = p->hal.ops->motor_steps(p->hal.ctx);
    uint32_t step_nl = p->hal.ops->motor_step_nl(p->hal.ctx);

    p->hal.ops->read_sensors(p->hal.ctx, &s);
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_TICK;
    cmd.now_ms = p->now_ms;
    cmd.tick.delivered_nl = (steps - p->last_steps) * step_nl;
    cmd.tick.pressure_down_mmhg = s.pressure_down_mmhg;
    cmd.tick.pressure_up_mmhg = s.pressure_up_mmhg;
    cmd.tick.air_bubble_nl = s.air_bubble_nl;
    cmd.tick.air_total_nl = s.air_nl;
    cmd.tick.battery_pct = (uint8_t)(s.battery_pct > 100U ? 100U : s.battery_pct);
    cmd.tick.is_door_open = s.door_open;
    cmd.tick.is_motor_stalled = s.motor_stalled;
    cmd.tick.is_container_empty = s.container_empty;
    p->last_steps = steps;
    (void)pump_channel_handle(&p->ch, &cmd);
    apply_outputs(p);
    drain(p);
}

void sim_pump_advance_to(struct sim_pump *p, uint64_t t_ms)
{
    while (p->now_ms < t_ms) {
        uint64_t dt = t_ms - p->now_ms;
        /* A pump at rest (motor off, nothing alarming, nothing to relieve) runs its loop at the
         * slower idle period, as pumps do to save power; commands and the end of an advance
         * still get a tick at their exact time. */
        uint64_t period = (p->ch.motor_on || p->ch.alarms.n_active > 0 ||
                           p->ch.relieve_pressure || p->hw.relieving)
                              ? p->cfg.tick_ms
                              : p->cfg.idle_tick_ms;
        if (dt > period) {
            dt = period;
        }
        hal_sim_advance(&p->hw, dt);
        p->now_ms += dt;
        tick(p);
    }
}

pump_status sim_pump_command(struct sim_pump *p, struct pump_cmd *cmd)
{
    /* The core wants the motor's report before any command at a new time. */
    tick(p);
    cmd->now_ms = p->now_ms;
    p->last_status = pump_channel_handle(&p->ch, cmd);
    apply_outputs(p);
    drain(p);
    return p->last_status;
}

bool sim_pump_init(struct sim_pump *p, const struct sim_pump_config *cfg, uint64_t start_ms,
                   uint64_t next_seq, bool was_interrupted)
{
    struct pump_channel_config ccfg;
    struct pump_cmd cmd;
    pump_status st;

    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    if (p->cfg.tick_ms == 0) {
        p->cfg.tick_ms = 100;
    }
    if (p->cfg.idle_tick_ms < p->cfg.tick_ms) {
        p->cfg.idle_tick_ms = p->cfg.tick_ms;
    }
    hal_sim_init(&p->hw, &cfg->hw, cfg->seed);
    p->hal = hal_sim_hal(&p->hw);
    p->now_ms = start_ms;
    pump_log_init(&p->log, next_seq);
    pump_channel_config_default(&ccfg);
    if (ccfg.max_rate_nl_per_h > p->hw.cfg.max_rate_nl_per_h) {
        ccfg.max_rate_nl_per_h = p->hw.cfg.max_rate_nl_per_h;
    }
    st = pump_channel_init(&p->ch, &ccfg, &p->log);
    if (st != PUMP_OK) {
        (void)snprintf(p->error, sizeof p->error, "the channel does not initialise: %s",
                       pump_status_str(st));
        return false;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_POWER_RESTORE;
    cmd.power.was_delivering = was_interrupted;
    st = sim_pump_command(p, &cmd);
    if (st != PUMP_OK) {
        (void)snprintf(p->error, sizeof p->error, "power restore refused: %s",
                       pump_status_str(st));
        return false;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_LIBRARY_ACTIVATE;
    cmd.library.lib = cfg->lib;
    st = sim_pump_command(p, &cmd);
    if (st != PUMP_OK) {
        (void)snprintf(p->error, sizeof p->error, "the library is not activated: %s",
                       pump_status_str(st));
        return false;
    }
    return !p->failed;
}

void sim_pump_power_loss(struct sim_pump *p)
{
    struct pump_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_POWER_LOSS;
    (void)sim_pump_command(p, &cmd);
    p->hal.ops->motor_command(p->hal.ctx, 0, 0);
    p->has_cmd = false;
}

bool sim_pump_fault(struct sim_pump *p, const struct hal_fault *f)
{
    return hal_sim_fault(&p->hw, f);
}

uint64_t sim_pump_volume_nl(const struct sim_pump *p)
{
    return p->volume_base_nl + p->ch.vol_channel_nl;
}

uint64_t sim_pump_rate_nl_per_h(const struct sim_pump *p)
{
    return p->ch.motor_on ? p->ch.rate_nl_per_h : 0;
}
