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

/* infusionctl hl7 SUBCOMMAND ... (cmd_hl7.c) */
int ictl_cmd_hl7(int argc, char *const *argv);

int ictl_cmd_hl7_parse(int argc, char *const *argv);    /* cmd_hl7_parse.c */
int ictl_cmd_hl7_validate(int argc, char *const *argv); /* cmd_hl7_validate.c */

#endif
