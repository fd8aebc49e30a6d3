/*
 * cmd_log.c - pumpd log: a data directory's stored event log as JSON lines.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "datadir.h"
#include "event_json.h"
#include "pumpd.h"

static const char log_usage[] =
    "usage: pumpd log --data-dir DIR [--pump-id ID]\n"
    "\n"
    "Print every record of DIR/events.log (decoded from the core's binary encoding) as the same\n"
    "JSON lines pumpd run prints, then a summary line on stderr (records, next seq).\n"
    "exit status: 0 printed, 2 usage error or unreadable directory\n";

enum { O_DIR, O_ID, O_N };

static const struct cli_optdef log_opts[O_N] = {{"--data-dir", true}, {"--pump-id", true}};

struct log_ctx {
    const char *pump_id;
    bool failed;
};

static void print_record(void *arg, const struct pump_log_record *r)
{
    struct log_ctx *c = arg;
    json_t *ev = event_json_record(r, c->pump_id);
    char *line = (ev != NULL) ? event_json_line(ev) : NULL;
    if (line == NULL || fputs(line, stdout) == EOF) {
        c->failed = true;
    }
    free(line);
    json_decref(ev);
}

int pd_cmd_log(int argc, char *const *argv)
{
    struct cli_parsed a;
    struct datadir dd;
    struct log_ctx c;

    if (!pd_args_parse(argc, argv, log_opts, O_N, &a)) {
        (void)fputs(log_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(log_usage, stdout);
        return PD_EXIT_OK;
    }
    if (a.n_pos > 0 || !a.seen[O_DIR]) {
        pd_error("log needs --data-dir DIR");
        (void)fputs(log_usage, stderr);
        return PD_EXIT_USAGE;
    }
    {
        struct stat sb;
        /* Reading must not create the directory a typo names. */
        if (stat(a.value[O_DIR], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            pd_error2("no such data directory:", a.value[O_DIR]);
            return PD_EXIT_USAGE;
        }
    }
    if (!datadir_open(&dd, a.value[O_DIR])) {
        pd_error(dd.error);
        return PD_EXIT_USAGE;
    }
    c.pump_id = a.seen[O_ID] ? a.value[O_ID] : "SIM-0001";
    c.failed = false;
    if (!datadir_read_log(&dd, print_record, &c)) {
        pd_error(dd.error);
        datadir_abandon(&dd);
        return PD_EXIT_USAGE;
    }
    (void)fprintf(stderr, "pumpd: %s: %llu records, next seq %llu%s\n", a.value[O_DIR],
                  (unsigned long long)dd.n_records, (unsigned long long)dd.next_seq,
                  dd.n_cut_bytes > 0 ? " (a torn last record was cut off)" : "");
    datadir_abandon(&dd);
    if (c.failed) {
        pd_error("error writing the output");
        return PD_EXIT_USAGE;
    }
    return PD_EXIT_OK;
}
