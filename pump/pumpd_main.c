/*
 * pumpd_main.c - pumpd: the software-defined pump. Dispatch only.
 *
 *   pumpd run --scenario FILE ...     one pump through a scenario, simulated time
 *   pumpd fleet --count N ...         many pumps in one process, for load
 *   pumpd panel ...                   a nurse programs a pump by hand (stdin/stdout)
 *   pumpd log --data-dir DIR          the stored event log as JSON lines
 */
#include <stdio.h>
#include <string.h>

#include "pumpd.h"

#ifndef OI_VERSION
#define OI_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "usage: pumpd COMMAND ...\n"
    "\n"
    "OpenInfusion pumpd: the safety core on simulated pump hardware, in simulated time.\n"
    "\n"
    "commands:\n"
    "  run --scenario FILE [--realtime | --speed N] [--events-jsonl OUT] [--data-dir DIR]\n"
    "                               run one pump through a scenario, check its expectations\n"
    "  fleet --count N --scenario-mix DIR [--duration H]\n"
    "                               many pumps in one process; prints pump-hours per second\n"
    "  fleet --broker HOST:PORT --count N --library FILE --care-areas A,B ...\n"
    "                               N pumps on an MQTT broker in real time (pump protocol v1)\n"
    "  panel --library FILE [--data-dir DIR]\n"
    "                               program a pump by hand from the terminal (stdin/stdout)\n"
    "  panel --broker HOST:PORT --library FILE [--pump-id ID]\n"
    "                               the same, the pump on an MQTT broker in real time\n"
    "  log --data-dir DIR           print a data directory's event log as JSON lines\n"
    "\n"
    "options:\n"
    "  -h, --help       this help (also after any command: pumpd run --help)\n"
    "  --version        print the version\n"
    "\n"
    "exit status: 0 done, 1 an expectation (run) or a pump (fleet) failed, 2 usage error or\n"
    "unusable input (nothing was run)\n";

/* Every byte written to stdout must have reached it: a full disk is not a success. */
static int finish(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout) != 0) {
        pd_error("error writing the output");
        return PD_EXIT_USAGE;
    }
    return status;
}

int main(int argc, char **argv)
{
    const char *cmd;
    if (argc < 2) {
        (void)fputs(usage_text, stderr);
        return PD_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        (void)fputs(usage_text, stdout);
        return finish(PD_EXIT_OK);
    }
    if (strcmp(cmd, "--version") == 0) {
        (void)printf("pumpd %s (scenario format 1, pump protocol 1)\n", OI_VERSION);
        return finish(PD_EXIT_OK);
    }
    if (strcmp(cmd, "run") == 0) {
        return finish(pd_cmd_run(argc - 2, argv + 2));
    }
    if (strcmp(cmd, "fleet") == 0) {
        return finish(pd_cmd_fleet(argc - 2, argv + 2));
    }
    if (strcmp(cmd, "panel") == 0) {
        return finish(pd_cmd_panel(argc - 2, argv + 2));
    }
    if (strcmp(cmd, "log") == 0) {
        return finish(pd_cmd_log(argc - 2, argv + 2));
    }
    pd_error2("unknown command", cmd);
    (void)fputs(usage_text, stderr);
    return PD_EXIT_USAGE;
}
