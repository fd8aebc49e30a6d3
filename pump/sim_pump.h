/*
 * sim_pump.h - one simulated pump: the core's channel and event log wired to the simulated
 * hardware through the HAL, in simulated time. `pumpd run`, `pumpd fleet` and `pumpd panel` all
 * drive pumps through this.
 *
 * The control loop (sim_pump_advance_to) moves the hardware forward one tick at a time
 * (tick_ms, or idle_tick_ms while the pump is at rest: motor off and no alarm active; the last
 * tick before a target time is shorter), and after each tick gives the core a
 * TICK with what the motor actually did (steps x step volume) and the sensor readings, then
 * applies the core's outputs to the motor: rate, the step budget that ends a VTBI or bolus on the
 * right step (ceil(segment_remaining_nl / step_nl): the last partial step overshoots by less than
 * one step), pressure relief. Commands (sim_pump_command) are preceded by a TICK at the same time,
 * as pump_channel.h asks.
 *
 * After every call the core's event ring is drained: each record goes to the sink (JSON lines,
 * counters), then to the data directory when there is one, and is then acknowledged. Without a
 * data directory the pump still remembers what a restart needs (next seq, whether an infusion
 * was under way) in memory, so power_loss with restore works in both cases.
 */
#ifndef PUMPD_SIM_PUMP_H
#define PUMPD_SIM_PUMP_H

#include <stdbool.h>
#include <stdint.h>

#include "datadir.h"
#include "hal.h"
#include "hal_sim.h"
#include "pump/pump_channel.h"
#include "pump/pump_library.h"
#include "pump/pump_log.h"

typedef void (*sim_pump_sink)(void *arg, const struct pump_log_record *r);

struct sim_pump_config {
    const char *pump_id; /* borrowed; must outlive the pump */
    struct hal_sim_config hw;
    uint64_t seed;
    uint64_t tick_ms;      /* control loop period while the motor runs or an alarm is active */
    uint64_t idle_tick_ms; /* period at rest (motor off, no alarm); below tick_ms: tick_ms */
    const struct pump_library *lib; /* the active library (borrowed) */
    struct datadir *dd;             /* NULL: no persistence */
    sim_pump_sink sink;             /* NULL: records are only counted */
    void *sink_arg;
};

struct sim_pump {
    struct sim_pump_config cfg;
    struct hal_sim hw;
    struct hal hal;
    struct pump_log log;
    struct pump_channel ch;
    uint64_t now_ms;        /* pump clock */
    uint64_t last_steps;    /* motor step count at the previous tick */
    bool has_cmd;           /* the motor command below was sent */
    uint64_t cmd_rate_nl_per_h;
    uint64_t cmd_end_nl;    /* channel delivered_nl at which the budget ends (UINT64_MAX: none) */
    uint64_t n_records;     /* drained since init */
    uint64_t volume_base_nl; /* channel volume of pumps before a restart in this run */
    pump_status last_status; /* of the last command */
    bool failed;            /* the data directory could not be written: the pump stops */
    char error[600];
    /* What a restart needs, kept whether or not there is a data directory. */
    bool interrupted; /* an infusion was started and has not ended */
};

/*
 * sim_pump_init - a pump powered on at start_ms whose log continues at next_seq; activates
 * cfg->lib; when was_interrupted, reports a power restore that interrupted an infusion (the
 * channel comes back stopped with an alarm, never delivering). false with p->error on failure.
 */
bool sim_pump_init(struct sim_pump *p, const struct sim_pump_config *cfg, uint64_t start_ms,
                   uint64_t next_seq, bool was_interrupted);

/* Run the control loop until the pump clock reads t_ms (no-op when already there). */
void sim_pump_advance_to(struct sim_pump *p, uint64_t t_ms);

/* Send one command (kind and payload in *cmd; now_ms is set here). Returns the core's status. */
pump_status sim_pump_command(struct sim_pump *p, struct pump_cmd *cmd);

/* Power loss: the core records it, the records are stored; after this the pump must not be used
 * (re-init it from the data directory or from restart_* below to restore power). */
void sim_pump_power_loss(struct sim_pump *p);

/* Whether a pump restarted from this data directory must report an interrupted infusion. */
bool sim_pump_dd_interrupted(const struct datadir *dd);

/* Fault injection into the hardware (now). */
bool sim_pump_fault(struct sim_pump *p, const struct hal_fault *f);

/* Volume infused on the channel since the run began (across restarts), nL. */
uint64_t sim_pump_volume_nl(const struct sim_pump *p);

/* The rate the channel runs at now (0 when the motor is off), nL/h. */
uint64_t sim_pump_rate_nl_per_h(const struct sim_pump *p);

#endif
