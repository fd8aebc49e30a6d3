/*
 * config.h - infusiond's settings: a config file (`--config FILE`: one "name = value" per line,
 * '#' comments, the names of the flags without "--") read first, then the flags, which win.
 * Every option is both. docs/infusiond.md lists them (and `infusiond --help`).
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "server.h"

/* Fills cfg from defaults, the config file and argv. Returns 0 to run, 1 after --help was printed,
 * 2 after a usage error was printed (nothing started). cfg strings are malloc'd. */
int srv_config_load(struct srv_config *cfg, int argc, char **argv);
void srv_config_free(struct srv_config *cfg);
/* "HOST:PORT" -> host (malloc'd) and port 0..65535; false when malformed. */
bool srv_split_hostport(const char *text, char **host, int *port);

#endif
