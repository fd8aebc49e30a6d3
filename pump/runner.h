/*
 * runner.h - runs a parsed scenario (scenario.h) on a simulated pump (sim_pump.h): executes each
 * step when the pump clock reaches it, checks the expectations, restarts the pump after a
 * power loss with restore. Shared by `pumpd run` (one pump, events printed and kept for
 * "event"/"no_event" checks) and `pumpd fleet` (thousands, events only counted).
 *
 * Time: the pump clock starts at base_ms (0 for a new pump; the time of the last stored record
 * for a pump restarted from its data directory) and a step at scenario time t runs at pump clock
 * base_ms + t.
 */
#ifndef PUMPD_RUNNER_H
#define PUMPD_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "scenario.h"
#include "sim_pump.h"

/* Called for every failed expectation with a readable difference. */
typedef void (*runner_report)(void *arg, const struct scenario_step *st, const char *diff);

struct runner_pump {
    struct sim_pump pump;
    const struct scenario *sc;
    struct sim_pump_config cfg; /* kept for restarts */
    size_t next_step;
    uint64_t base_ms;
    pump_status last_status;  /* of the last command step */
    bool ended;               /* a power loss without restore ended the run */
    const json_t *events;     /* array of emitted events (NULL: event checks are skipped) */
    runner_report report;
    void *report_arg;
    uint32_t n_expect;
    uint32_t n_failed;
    uint32_t n_skipped;
    uint32_t n_restarts;
    char error[600]; /* why runner_advance stopped early (data directory failure) */
};

/*
 * runner_start - a pump for sc with cfg (lib, hw, seed, tick, data directory, sink). A pump with a
 * data directory continues its seq and clock and reports an interrupted infusion when the
 * directory says one was under way. false with rp->error set.
 */
bool runner_start(struct runner_pump *rp, const struct scenario *sc,
                  const struct sim_pump_config *cfg);

/* Run steps and time until scenario time t_ms (inclusive of steps at t_ms). Returns false when
 * the pump cannot go on (rp->error; a data directory write failed). */
bool runner_advance(struct runner_pump *rp, uint64_t t_ms);

/* Scenario time now. */
uint64_t runner_time_ms(const struct runner_pump *rp);

/* Whether every step has run (or the run ended at a power loss). */
bool runner_done(const struct runner_pump *rp);

#endif
