/*
 * cmd_fleet.c - pumpd fleet: many pumps in one process, for load.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "mqtt_pump.h"
#include "pumpd.h"

static const char fleet_usage[] =
    "usage: pumpd fleet --count N --scenario-mix DIR [--duration H] [--tick-ms MS]\n"
    "\n"
    "Run N simulated pumps in one process, each through one scenario of DIR (every *.json file\n"
    "directly in DIR, sorted by name; pump i runs scenario i mod the number of files), for H\n"
    "hours of simulated time each, as fast as one core goes. Prints the pump-hours simulated per\n"
    "second of wall time and the real-time factor. Expectations are checked (event checks are\n"
    "skipped: they need pumpd run).\n"
    "\n"
    "  --count N         pumps (1..1000000)\n"
    "  --scenario-mix DIR  the scenarios\n"
    "  --duration H      simulated hours per pump (decimal, default 1)\n"
    "  --tick-ms MS      control loop period of every pump (default: each scenario's own)\n"
    "\n"
    "exit status: 0 done, 1 an expectation failed or a pump stopped, 2 usage error or unusable\n"
    "scenario\n"
    "\n"
    "With --broker HOST:PORT the pumps run in real time on an MQTT broker instead (pumpd fleet\n"
    "--broker H:P --help).\n";

enum { O_COUNT_, O_MIX, O_DURATION, O_TICK, O_N };

static const struct cli_optdef fleet_opts[O_N] = {
    {"--count", true}, {"--scenario-mix", true}, {"--duration", true}, {"--tick-ms", true},
};

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The *.json names of dir, sorted; NULL after printing why. */
static char **list_scenarios(const char *dir, size_t *n_out)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    size_t cap = 0;
    *n_out = 0;
    if (d == NULL) {
        pd_error2("cannot open the scenario directory", dir);
        return NULL;
    }
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            char **grown = realloc(names, (cap + 16U) * sizeof *names);
            if (grown == NULL) {
                break;
            }
            names = grown;
            cap += 16U;
        }
        names[n] = strdup(e->d_name);
        if (names[n] == NULL) {
            break;
        }
        n++;
    }
    (void)closedir(d);
    if (n == 0) {
        pd_error2("no *.json scenarios in", dir);
        free(names);
        return NULL;
    }
    qsort(names, n, sizeof *names, cmp_names);
    *n_out = n;
    return names;
}

/* Decimal hours ("0.5", "24") to ms. */
static bool parse_hours(const char *text, uint64_t *out_ms)
{
    struct pump_q q;
    struct pump_q ms;
    if (pump_q_parse(text, strlen(text), &q) != PUMP_OK || pump_q_sign(q) <= 0 ||
        pump_q_mul(q, pump_q_int(3600000), &ms) != PUMP_OK || ms.num / ms.den < 1 ||
        ms.num / ms.den > (int64_t)(10000ULL * 3600000ULL)) {
        pd_error2("--duration must be hours above 0 and at most 10000, not", text);
        return false;
    }
    *out_ms = (uint64_t)(ms.num / ms.den);
    return true;
}

static void print_result(const struct fleet_result *r, size_t n_mix)
{
    double wall_s = (double)r->wall_ns / 1e9;
    (void)printf("pumps: %llu, scenarios: %zu, simulated: %.3f h each (%.1f pump-hours)\n",
                 (unsigned long long)r->pumps, n_mix, (double)r->sim_ms / 3600000.0,
                 (double)r->pumps * (double)r->sim_ms / 3600000.0);
    (void)printf("wall time: %.3f s, pump-hours per second: %.1f, real-time factor: %.1fx\n",
                 wall_s, r->pump_hours_per_s, r->realtime_factor);
    (void)printf("events: %llu, expectations: %llu checked, %llu failed, %llu skipped, "
                 "memory: %zu bytes per pump\n",
                 (unsigned long long)r->n_events, (unsigned long long)r->n_expect,
                 (unsigned long long)r->n_failed, (unsigned long long)r->n_skipped,
                 r->bytes_per_pump);
}

static int run_fleet(const struct cli_parsed *a, uint64_t count, uint64_t duration_ms,
                     uint64_t tick_ms)
{
    size_t n = 0;
    size_t i;
    char **names = list_scenarios(a->value[O_MIX], &n);
    struct pd_loaded *mix;
    struct fleet_config cfg;
    struct fleet_result res;
    char err[700];
    int status = PD_EXIT_OK;

    if (names == NULL) {
        return PD_EXIT_USAGE;
    }
    mix = calloc(n, sizeof *mix);
    for (i = 0; mix != NULL && i < n; i++) {
        char path[1024];
        (void)snprintf(path, sizeof path, "%s/%s", a->value[O_MIX], names[i]);
        if (!pd_load_scenario(path, NULL, &mix[i])) {
            status = PD_EXIT_USAGE;
            break;
        }
    }
    if (mix == NULL) {
        pd_error("out of memory");
        status = PD_EXIT_USAGE;
    }
    if (status == PD_EXIT_OK) {
        memset(&cfg, 0, sizeof cfg);
        cfg.count = (size_t)count;
        cfg.mix = mix;
        cfg.n_mix = n;
        cfg.duration_ms = duration_ms;
        cfg.tick_ms = tick_ms;
        if (!fleet_run(&cfg, &res, err, sizeof err)) {
            pd_error(err);
            status = PD_EXIT_FAILED;
        } else {
            print_result(&res, n);
            status = (res.n_failed > 0) ? PD_EXIT_FAILED : PD_EXIT_OK;
        }
    }
    for (i = 0; i < n; i++) {
        if (mix != NULL) {
            pd_loaded_free(&mix[i]);
        }
        free(names[i]);
    }
    free(mix);
    free(names);
    return status;
}

int pd_cmd_fleet(int argc, char *const *argv)
{
    struct cli_parsed a;
    uint64_t count = 0;
    uint64_t duration_ms = 3600000;
    uint64_t tick_ms = 0;

    if (pd_fleet_wants_broker(argc, argv)) {
        return pd_cmd_fleet_broker(argc, argv); /* real time on a broker: cmd_broker_fleet.c */
    }
    if (!pd_args_parse(argc, argv, fleet_opts, O_N, &a)) {
        (void)fputs(fleet_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(fleet_usage, stdout);
        return PD_EXIT_OK;
    }
    if (a.n_pos > 0 || !a.seen[O_COUNT_] || !a.seen[O_MIX]) {
        pd_error(a.n_pos > 0 ? "unexpected argument" : "fleet needs --count and --scenario-mix");
        (void)fputs(fleet_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (!pd_parse_uint("--count", a.value[O_COUNT_], 1, 1000000, &count) ||
        (a.seen[O_DURATION] && !parse_hours(a.value[O_DURATION], &duration_ms)) ||
        (a.seen[O_TICK] && !pd_parse_uint("--tick-ms", a.value[O_TICK], 1, 5000, &tick_ms))) {
        return PD_EXIT_USAGE;
    }
    return run_fleet(&a, count, duration_ms, tick_ms);
}
