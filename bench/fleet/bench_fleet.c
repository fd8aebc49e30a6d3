/*
 * bench_fleet - many simulated pumps in one process (issue 3: 10,000 pumps, at least 100 x real
 * time on one core). Each pump is the whole pump: the core's channel and event log, the HAL and
 * the simulated hardware, driven through the scenario mix of tests/data/scenarios with each
 * scenario's own control-loop period (100 ms) unless --tick-ms says otherwise.
 *
 * Reports pump-hours simulated per second of wall time and the real-time factor (simulated time
 * / wall time, the whole fleet at once), and the same per second of CPU time: on a shared machine
 * the CPU figure is the one that says what one core can do.
 * Usage: bench_fleet [--pumps N] [--hours H] [--tick-ms MS] [--mix DIR]
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"

#ifndef OI_SOURCE_DIR
#define OI_SOURCE_DIR "."
#endif

#define MAX_MIX 64

static double cpu_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ((double)ts.tv_nsec / 1e9);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The *.json scenarios directly in dir, loaded (library included). Returns how many. */
static size_t load_mix(const char *dir, struct pd_loaded *mix)
{
    static char names[MAX_MIX][256];
    size_t n = 0;
    size_t i;
    struct dirent *e;
    DIR *d = opendir(dir);
    if (d == NULL) {
        (void)fprintf(stderr, "bench_fleet: cannot open %s\n", dir);
        return 0;
    }
    while ((e = readdir(d)) != NULL && n < MAX_MIX) {
        size_t len = strlen(e->d_name);
        if (len > 5 && len < 200 && strcmp(e->d_name + len - 5, ".json") == 0) {
            (void)snprintf(names[n], sizeof names[n], "%s", e->d_name);
            n++;
        }
    }
    (void)closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (i = 0; i < n; i++) {
        char path[1024];
        (void)snprintf(path, sizeof path, "%.700s/%.250s", dir, names[i]);
        if (!pd_load_scenario(path, NULL, &mix[i])) {
            return 0;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    static struct pd_loaded mix[MAX_MIX];
    struct fleet_config cfg;
    struct fleet_result res;
    const char *dir = OI_SOURCE_DIR "/tests/data/scenarios";
    double hours = 1.0;
    double c0;
    double cpu;
    char err[700];
    size_t n_mix;
    size_t i;
    int a;

    memset(&cfg, 0, sizeof cfg);
    cfg.count = 10000;
    for (a = 1; a + 1 < argc; a += 2) {
        if (strcmp(argv[a], "--pumps") == 0) {
            cfg.count = (size_t)strtoul(argv[a + 1], NULL, 10);
        } else if (strcmp(argv[a], "--hours") == 0) {
            hours = strtod(argv[a + 1], NULL);
        } else if (strcmp(argv[a], "--tick-ms") == 0) {
            cfg.tick_ms = strtoull(argv[a + 1], NULL, 10);
        } else if (strcmp(argv[a], "--mix") == 0) {
            dir = argv[a + 1];
        } else {
            break;
        }
    }
    if (a < argc || cfg.count == 0 || !(hours > 0.0 && hours <= 1000.0)) {
        (void)fprintf(stderr, "usage: bench_fleet [--pumps N] [--hours H] [--tick-ms MS] "
                              "[--mix DIR]\n");
        return 2;
    }
    n_mix = load_mix(dir, mix);
    if (n_mix == 0) {
        return 2;
    }
    cfg.mix = mix;
    cfg.n_mix = n_mix;
    cfg.duration_ms = (uint64_t)(hours * 3600000.0);
    c0 = cpu_s();
    if (!fleet_run(&cfg, &res, err, sizeof err)) {
        (void)fprintf(stderr, "bench_fleet: %s\n", err);
        return 1;
    }
    cpu = cpu_s() - c0;
    (void)printf("fleet: %zu pumps x %.2f h simulated, %zu scenarios, %zu bytes/pump\n",
                 cfg.count, hours, n_mix, res.bytes_per_pump);
    if (cfg.tick_ms != 0) {
        (void)printf("  control loop period: %llu ms for every pump\n",
                     (unsigned long long)cfg.tick_ms);
    } else {
        (void)printf("  control loop period: each scenario's own (100 ms unless it says)\n");
    }
    (void)printf("  wall %.2f s: %.0f pump-hours/s, real-time factor %.0fx\n",
                 (double)res.wall_ns / 1e9, res.pump_hours_per_s, res.realtime_factor);
    if (cpu > 0.0) {
        (void)printf("  cpu  %.2f s: %.0f pump-hours/s, real-time factor %.0fx (one core)\n",
                     cpu, (double)cfg.count * hours / cpu, hours * 3600.0 / cpu);
    }
    (void)printf("  events %llu, expectations %llu checked / %llu failed / %llu skipped\n",
                 (unsigned long long)res.n_events, (unsigned long long)res.n_expect,
                 (unsigned long long)res.n_failed, (unsigned long long)res.n_skipped);
    for (i = 0; i < n_mix; i++) {
        pd_loaded_free(&mix[i]);
    }
    return 0;
}
