/*
 * fleet.c - many pumps in one process. Contract: see fleet.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"

#define PUMP_ID_LEN 24

static uint64_t mono_ns(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

static bool start_all(const struct fleet_config *cfg, struct runner_pump *pumps, char *ids,
                      char *err, size_t cap)
{
    size_t i;
    for (i = 0; i < cfg->count; i++) {
        const struct pd_loaded *ld = &cfg->mix[i % cfg->n_mix];
        struct sim_pump_config pc;
        char *id = ids + i * PUMP_ID_LEN;
        (void)snprintf(id, PUMP_ID_LEN, "FLEET-%06zu", i);
        memset(&pc, 0, sizeof pc);
        pc.pump_id = id;
        pc.hw = ld->sc.hw.sim;
        pc.seed = ld->sc.seed + (uint64_t)i;
        pc.tick_ms = (cfg->tick_ms != 0) ? cfg->tick_ms : ld->sc.hw.tick_ms;
        pc.idle_tick_ms = (cfg->tick_ms != 0) ? cfg->tick_ms : ld->sc.hw.idle_tick_ms;
        pc.lib = &ld->dl.lib;
        if (!runner_start(&pumps[i], &ld->sc, &pc)) {
            (void)snprintf(err, cap, "pump %zu (%s) does not start: %s", i,
                           ld->sc.name != NULL ? ld->sc.name : "scenario", pumps[i].error);
            return false;
        }
    }
    return true;
}

bool fleet_run(const struct fleet_config *cfg, struct fleet_result *res, char *err, size_t cap)
{
    struct runner_pump *pumps;
    char *ids;
    uint64_t round = (cfg->round_ms != 0) ? cfg->round_ms : 60000U;
    uint64_t t = 0;
    uint64_t t0;
    size_t i;
    bool ok = true;

    memset(res, 0, sizeof *res);
    if (cfg->count == 0 || cfg->n_mix == 0) {
        (void)snprintf(err, cap, "no pumps or no scenarios");
        return false;
    }
    pumps = calloc(cfg->count, sizeof *pumps);
    ids = calloc(cfg->count, PUMP_ID_LEN);
    if (pumps == NULL || ids == NULL) {
        free(pumps);
        free(ids);
        (void)snprintf(err, cap, "out of memory for %zu pumps", cfg->count);
        return false;
    }
    t0 = mono_ns();
    ok = start_all(cfg, pumps, ids, err, cap);
    while (ok && t < cfg->duration_ms) {
        t = (cfg->duration_ms - t > round) ? t + round : cfg->duration_ms;
        for (i = 0; i < cfg->count && ok; i++) {
            if (!runner_advance(&pumps[i], t)) {
                (void)snprintf(err, cap, "pump %zu stopped: %s", i, pumps[i].error);
                ok = false;
            }
        }
    }
    res->wall_ns = mono_ns() - t0;
    res->pumps = cfg->count;
    res->sim_ms = cfg->duration_ms;
    res->bytes_per_pump = sizeof *pumps;
    for (i = 0; i < cfg->count; i++) {
        res->n_events += pumps[i].pump.n_records;
        res->n_expect += pumps[i].n_expect;
        res->n_failed += pumps[i].n_failed;
        res->n_skipped += pumps[i].n_skipped;
        res->n_power_ended += pumps[i].ended ? 1U : 0U;
    }
    if (res->wall_ns > 0) {
        double wall_s = (double)res->wall_ns / 1e9;
        double sim_h = (double)cfg->duration_ms / 3600000.0;
        res->pump_hours_per_s = (double)cfg->count * sim_h / wall_s;
        res->realtime_factor = ((double)cfg->duration_ms / 1000.0) / wall_s;
    }
    free(pumps);
    free(ids);
    return ok;
}
