/*
 * fleet.h - many simulated pumps in one process, for load (`pumpd fleet`, bench/fleet).
 *
 * Each pump runs one scenario of the mix (pump i gets scenario i mod n), with its own seed (the
 * scenario's seed + i) and no data directory; events are counted, not printed, and "event" /
 * "no_event" expectations are skipped (they need the event list pumpd run keeps). The fleet is
 * advanced in rounds of round_ms simulated time, every pump one round at a time, so all pumps
 * stay within one round of each other.
 */
#ifndef PUMPD_FLEET_H
#define PUMPD_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "load.h"

struct fleet_config {
    size_t count;                  /* pumps */
    const struct pd_loaded *mix;   /* scenarios with their libraries */
    size_t n_mix;
    uint64_t duration_ms;          /* simulated time per pump */
    uint64_t tick_ms;              /* control loop period; 0: each scenario's own */
    uint64_t round_ms;             /* 0: 60 s */
};

struct fleet_result {
    uint64_t pumps;
    uint64_t sim_ms;      /* per pump */
    uint64_t wall_ns;
    uint64_t n_events;
    uint64_t n_expect;
    uint64_t n_failed;
    uint64_t n_skipped;
    uint64_t n_power_ended; /* pumps whose scenario ended with a power loss */
    double pump_hours_per_s;
    double realtime_factor; /* simulated time / wall time, the whole fleet at once */
    size_t bytes_per_pump;
};

/* Run the fleet. false with err set (out of memory, a pump that does not start). */
bool fleet_run(const struct fleet_config *cfg, struct fleet_result *res, char *err, size_t cap);

#endif
