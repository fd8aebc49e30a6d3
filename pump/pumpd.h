/*
 * pumpd.h - private declarations shared by the pumpd command sources.
 */
#ifndef PUMPD_H
#define PUMPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_args.h"

/* Exit statuses of every command. */
#define PD_EXIT_OK 0
#define PD_EXIT_FAILED 1 /* run: an expectation did not hold; fleet: a pump failed */
#define PD_EXIT_USAGE 2  /* usage error or unusable input (scenario, library, data directory);
                            nothing was run */

/* ---- args.c ------------------------------------------------------------------------------- */

void pd_error(const char *msg);
void pd_error2(const char *msg, const char *detail);

/* argv[0..argc) against defs; false after printing why on stderr. After -h/--help the rest is not
 * looked at (out->help). */
bool pd_args_parse(int argc, char *const *argv, const struct cli_optdef *defs, size_t n_defs,
                   struct cli_parsed *out);

/* A decimal whole number min..max; false after printing why. */
bool pd_parse_uint(const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* ---- commands ----------------------------------------------------------------------------- */

int pd_cmd_run(int argc, char *const *argv);
int pd_cmd_fleet(int argc, char *const *argv);
int pd_cmd_panel(int argc, char *const *argv);
int pd_cmd_log(int argc, char *const *argv);

#endif
