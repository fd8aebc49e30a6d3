/*
 * cmd_hl7.h - the `infusionctl hl7 ...` commands. cmd_hl7.c dispatches to them.
 *
 * Convention: a sub-command gets argc/argv like main(): argv[0] is its own name ("parse"), the
 * flags follow. Its .c file includes this header for the prototype (do not declare them again
 * elsewhere: gcc's -Wredundant-decls is an error here). send/listen are declared in
 * cmd_hl7_net.h instead.
 */
#ifndef CMD_HL7_H
#define CMD_HL7_H

#include <stdbool.h>
#include <stddef.h>

#include "hl7/hl7.h"

/* infusionctl hl7 SUBCOMMAND ... (cmd_hl7.c) */
int ictl_cmd_hl7(int argc, char *const *argv);

int ictl_cmd_hl7_parse(int argc, char *const *argv);    /* cmd_hl7_parse.c */
int ictl_cmd_hl7_validate(int argc, char *const *argv); /* cmd_hl7_validate.c */

/* ---- hl7_input.c: an HL7 file as messages, for parse and validate ------------------------- */

/* The whole file (at most 64 MiB) in a malloc'd buffer; NULL after printing why. */
char *ictl_hl7_read_file(const char *path, size_t *len);

#endif
