/*
 * cmd_run.c - pumpd run: one pump through a scenario in simulated time.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event_json.h"
#include "load.h"
#include "pumpd.h"
#include "runner.h"

static const char run_usage[] =
    "usage: pumpd run --scenario FILE [--realtime | --speed N] [--events-jsonl OUT]\n"
    "                 [--data-dir DIR] [--seed N]\n"
    "\n"
    "Run one simulated pump through a scenario (docs/scenario-format.md) in simulated time and\n"
    "check its expectations. Events print as JSON lines (pump protocol v1) on stdout, or to OUT.\n"
    "Failed expectations and the summary go to stderr.\n"
    "\n"
    "  --scenario FILE      the scenario to run\n"
    "  --realtime           pace the simulation against the wall clock (same as --speed 1)\n"
    "  --speed N            pace it at N times real time (1..1000000); default: as fast as it goes\n"
    "  --events-jsonl OUT   write the events to OUT instead of stdout\n"
    "  --data-dir DIR       keep the event log, sequence counter and active library in DIR; a\n"
    "                       pump restarted from DIR continues its seq and clock, and an infusion\n"
    "                       that was under way comes back stopped with the restart alarm\n"
    "  --seed N             override the scenario's seed (sensor noise)\n"
    "\n"
    "exit status: 0 every expectation held, 1 an expectation failed, 2 usage error or unusable\n"
    "input (scenario, library, data directory): nothing was run\n";

enum { O_SCENARIO, O_REALTIME, O_SPEED, O_EVENTS, O_DATA_DIR, O_SEED, O_COUNT };

static const struct cli_optdef run_opts[O_COUNT] = {
    {"--scenario", true}, {"--realtime", false}, {"--speed", true},
    {"--events-jsonl", true}, {"--data-dir", true}, {"--seed", true},
};

struct run_ctx {
    FILE *out;
    const char *out_name;
    json_t *events;
    const char *pump_id;
    bool flush_each;
    bool write_failed;
    bool oom;
    const char *scenario_path;
};

static void sink(void *arg, const struct pump_log_record *r)
{
    struct run_ctx *c = arg;
    json_t *ev = event_json_record(r, c->pump_id);
    char *line;
    if (ev == NULL) {
        c->oom = true;
        return;
    }
    line = event_json_line(ev);
    if (line == NULL || fputs(line, c->out) == EOF) {
        c->write_failed = true;
    }
    free(line);
    if (c->flush_each && fflush(c->out) != 0) {
        c->write_failed = true;
    }
    if (json_array_append_new(c->events, ev) != 0) {
        c->oom = true;
    }
}

static void report(void *arg, const struct scenario_step *st, const char *diff)
{
    const struct run_ctx *c = arg;
    char tb[32];
    (void)fprintf(stderr, "pumpd: FAIL %s: steps[%u] (at %s, expect%s%s): %s\n",
                  c->scenario_path, st->index, scenario_time_str(st->at_ms, tb, sizeof tb),
                  st->note != NULL ? ": " : "", st->note != NULL ? st->note : "", diff);
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000U);
    ts.tv_nsec = (long)((ms % 1000U) * 1000000U);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* Run to the end; with speed > 0, never ahead of the wall clock x speed. */
static bool run_paced(struct runner_pump *rp, uint64_t end_ms, uint64_t speed)
{
    uint64_t t = 0;
    uint64_t start = wall_ms();
    if (speed == 0) {
        return runner_advance(rp, end_ms);
    }
    while (t < end_ms && !rp->ended) {
        uint64_t due;
        uint64_t now;
        t = (end_ms - t > rp->pump.cfg.tick_ms) ? t + rp->pump.cfg.tick_ms : end_ms;
        if (!runner_advance(rp, t)) {
            return false;
        }
        due = start + t / speed;
        now = wall_ms();
        if (due > now) {
            sleep_ms(due - now);
        }
    }
    return runner_advance(rp, end_ms);
}

static bool save_library(struct datadir *dd, const struct pd_loaded *ld)
{
    size_t len = 0;
    char *stored = datadir_load_library(dd, &len);
    bool same = stored != NULL && len == ld->lib_len && memcmp(stored, ld->lib_text, len) == 0;
    free(stored);
    if (same) {
        return true;
    }
    return datadir_save_library(dd, ld->lib_text, ld->lib_len);
}

static int finish(struct run_ctx *c, struct runner_pump *rp, bool ok)
{
    if (c->out != stdout && c->out != NULL && fclose(c->out) != 0) {
        c->write_failed = true;
    }
    if (c->write_failed) {
        pd_error2("error writing the events to", c->out_name);
        return PD_EXIT_USAGE;
    }
    if (c->oom) {
        pd_error("out of memory");
        return PD_EXIT_USAGE;
    }
    if (!ok) {
        pd_error2("the run stopped:", rp->error);
        return PD_EXIT_FAILED;
    }
    if (rp->n_failed > 0) {
        (void)fprintf(stderr, "pumpd: %s: %u expectations, %u failed\n", c->scenario_path,
                      rp->n_expect, rp->n_failed);
        return PD_EXIT_FAILED;
    }
    (void)fprintf(stderr, "pumpd: %s: %u expectations, all held\n", c->scenario_path,
                  rp->n_expect);
    return PD_EXIT_OK;
}

static int run(const struct cli_parsed *a, uint64_t speed)
{
    struct pd_loaded ld;
    struct datadir dd;
    bool has_dd = a->seen[O_DATA_DIR];
    struct sim_pump_config cfg;
    struct run_ctx c;
    static struct runner_pump rp; /* large (the core's log ring): not on the stack */
    uint64_t seed = 0;
    bool ok;
    int status;

    memset(&c, 0, sizeof c);
    c.scenario_path = a->value[O_SCENARIO];
    if (a->seen[O_SEED] && !pd_parse_uint("--seed", a->value[O_SEED], 0, UINT64_MAX >> 1, &seed)) {
        return PD_EXIT_USAGE;
    }
    if (has_dd && !datadir_open(&dd, a->value[O_DATA_DIR])) {
        pd_error(dd.error);
        return PD_EXIT_USAGE;
    }
    if (!pd_load_scenario(c.scenario_path, has_dd ? &dd : NULL, &ld) ||
        (has_dd && ld.sc.library != NULL && !save_library(&dd, &ld))) {
        if (has_dd && dd.error[0] != '\0') {
            pd_error(dd.error);
        }
        pd_loaded_free(&ld);
        if (has_dd) {
            datadir_close(&dd);
        }
        return PD_EXIT_USAGE;
    }
    c.out = stdout;
    c.out_name = "stdout";
    if (a->seen[O_EVENTS]) {
        c.out_name = a->value[O_EVENTS];
        c.out = fopen(c.out_name, "w");
        if (c.out == NULL) {
            pd_error2("cannot create", c.out_name);
            pd_loaded_free(&ld);
            if (has_dd) {
                datadir_close(&dd);
            }
            return PD_EXIT_USAGE;
        }
    }
    c.events = json_array();
    c.pump_id = ld.sc.pump_id;
    c.flush_each = speed > 0;

    memset(&cfg, 0, sizeof cfg);
    cfg.pump_id = ld.sc.pump_id;
    cfg.hw = ld.sc.hw.sim;
    cfg.seed = a->seen[O_SEED] ? seed : ld.sc.seed;
    cfg.tick_ms = ld.sc.hw.tick_ms;
    cfg.idle_tick_ms = ld.sc.hw.idle_tick_ms;
    cfg.lib = &ld.dl.lib;
    cfg.dd = has_dd ? &dd : NULL;
    cfg.sink = sink;
    cfg.sink_arg = &c;

    ok = c.events != NULL && runner_start(&rp, &ld.sc, &cfg);
    if (ok) {
        rp.events = c.events;
        rp.report = report;
        rp.report_arg = &c;
        ok = run_paced(&rp, ld.sc.end_ms, speed);
    } else if (c.events == NULL) {
        c.oom = true;
    }
    if (has_dd) {
        if (rp.ended) {
            datadir_abandon(&dd); /* as the power loss left it */
        } else {
            datadir_close(&dd);
        }
    }
    status = finish(&c, &rp, ok);
    json_decref(c.events);
    pd_loaded_free(&ld);
    return status;
}

int pd_cmd_run(int argc, char *const *argv)
{
    struct cli_parsed a;
    uint64_t speed = 0;

    if (!pd_args_parse(argc, argv, run_opts, O_COUNT, &a)) {
        (void)fputs(run_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(run_usage, stdout);
        return PD_EXIT_OK;
    }
    if (a.n_pos > 0) {
        pd_error2("unexpected argument", a.pos[0]);
        (void)fputs(run_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (!a.seen[O_SCENARIO]) {
        pd_error("run needs --scenario FILE");
        (void)fputs(run_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (a.seen[O_REALTIME] && a.seen[O_SPEED]) {
        pd_error("give --realtime or --speed, not both");
        return PD_EXIT_USAGE;
    }
    if (a.seen[O_REALTIME]) {
        speed = 1;
    }
    if (a.seen[O_SPEED] && !pd_parse_uint("--speed", a.value[O_SPEED], 1, 1000000, &speed)) {
        return PD_EXIT_USAGE;
    }
    return run(&a, speed);
}
