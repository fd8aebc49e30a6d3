/*
 * bench_store.c - events stored per second by the SQLite repository (synchronous=FULL, WAL) in
 * group commits of 1, 10 and 100 events per transaction, on the disk that holds --dir.
 *
 *   bench_store [--events N] [--seconds S] [--dir DIR | --url URL]
 *
 * Each group size writes up to N events (default 20000) or for S seconds (default 3), whichever
 * comes first, into a fresh database in a new directory under DIR (default $TMPDIR or /tmp),
 * removed at the end; or into the store at URL (e.g. a PostgreSQL database; the events are
 * appended under a new pump id per run and group, since clinical rows cannot be deleted).
 * Event records are about 230 bytes of JSON, like pumpd's.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *url, const char *pump_id, unsigned group, unsigned long max_events,
               double max_s)
{
    char err[512];
    char json[512];
    struct store *s = store_open(url, err, sizeof err);
    unsigned long n = 0;
    unsigned long commits = 0;
    double t0;
    double dt;
    if (s == NULL) {
        fprintf(stderr, "bench_store: %s\n", err);
        return 1;
    }
    t0 = now_s();
    while (n < max_events && now_s() - t0 < max_s) {
        if (store_begin(s) != STORE_OK) {
            goto fail;
        }
        for (unsigned i = 0; i < group; i++) {
            struct store_event e;
            n++;
            (void)snprintf(json, sizeof json,
                           "{\"seq\":%lu,\"time_ms\":%lu,\"type\":\"volume\",\"channel\":0,"
                           "\"wall_ms\":%lu,\"program_volume_nl\":%lu,"
                           "\"channel_volume_nl\":%lu,\"rate_nl_per_h\":12600000,"
                           "\"entry\":\"ICU-HEP\",\"drug_name\":\"Heparin\"}",
                           n, n * 1000U, 1795000000000UL + n * 1000U, n * 3500U, n * 3500U);
            memset(&e, 0, sizeof e);
            e.pump_id = pump_id;
            e.seq = n;
            e.time_ms = n * 1000U;
            e.wall_ms = (int64_t)(1795000000000LL + (long long)n * 1000LL);
            e.received_ms = e.wall_ms + 20;
            e.type = "volume";
            e.patient_id = "MRN-1001";
            e.json = json;
            if (store_event_add(s, &e) != STORE_OK) {
                goto fail;
            }
        }
        if (store_commit(s) != STORE_OK) {
            goto fail;
        }
        commits++;
    }
    dt = now_s() - t0;
    printf("group %3u: %7lu events in %6.2f s = %9.0f events/s, %7.0f commits/s\n", group, n, dt,
           (double)n / dt, (double)commits / dt);
    store_close(s);
    return 0;
fail:
    fprintf(stderr, "bench_store: %s\n", store_errmsg(s));
    store_close(s);
    return 1;
}

int main(int argc, char **argv)
{
    static const unsigned groups[] = {1U, 10U, 100U};
    const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    const char *url_arg = NULL;
    unsigned long max_events = 20000;
    double max_s = 3.0;
    char dir[256];
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--events") == 0 && i + 1 < argc) {
            max_events = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            max_s = strtod(argv[++i], NULL);
        } else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            url_arg = argv[++i];
        } else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            base = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: bench_store [--events N] [--seconds S] [--dir DIR | --url URL]\n");
            return 2;
        }
    }
    if (url_arg != NULL) {
        printf("store %s\n", url_arg);
        for (size_t g = 0; g < sizeof groups / sizeof groups[0] && rc == 0; g++) {
            char pump_id[64];
            (void)snprintf(pump_id, sizeof pump_id, "P-BENCH-%ld-%lld-%u", (long)getpid(),
                           (long long)time(NULL), groups[g]);
            rc = run(url_arg, pump_id, groups[g], max_events, max_s);
        }
        return rc;
    }
    (void)snprintf(dir, sizeof dir, "%s/oi-bench-store-XXXXXX", base);
    if (mkdtemp(dir) == NULL) {
        perror("bench_store: mkdtemp");
        return 1;
    }
    printf("SQLite store, WAL, synchronous=FULL, in %s\n", dir);
    for (size_t g = 0; g < sizeof groups / sizeof groups[0] && rc == 0; g++) {
        char url[320];
        char files[3][320];
        (void)snprintf(url, sizeof url, "sqlite:%s/g%u.db", dir, groups[g]);
        rc = run(url, "P-BENCH", groups[g], max_events, max_s);
        (void)snprintf(files[0], sizeof files[0], "%s/g%u.db", dir, groups[g]);
        (void)snprintf(files[1], sizeof files[1], "%s/g%u.db-wal", dir, groups[g]);
        (void)snprintf(files[2], sizeof files[2], "%s/g%u.db-shm", dir, groups[g]);
        for (size_t k = 0; k < 3U; k++) {
            (void)unlink(files[k]);
        }
    }
    (void)rmdir(dir);
    return rc;
}
