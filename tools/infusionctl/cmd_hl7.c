/*
 * cmd_hl7.c - infusionctl hl7 SUBCOMMAND: dispatch only.
 *
 * One row per sub-command. A command whose source is not built yet has NULL as its function;
 * `infusionctl hl7 --help` then says it is not available. Adding one is a one-line edit of its row
 * (plus, for send/listen, the include of cmd_hl7_net.h below the others).
 */
#include <stdio.h>
#include <string.h>

#include "cmd_hl7.h"
#include "infusionctl.h"
#include "cmd_hl7_net.h"

struct hl7_subcommand {
    const char *name;
    int (*run)(int argc, char *const *argv);
    const char *synopsis; /* after "infusionctl hl7 " */
    const char *summary;
};

static const struct hl7_subcommand subcommands[] = {
    {"parse", ictl_cmd_hl7_parse, "parse FILE [--json]",
     "print the message tree of every message in FILE"},
    {"validate", ictl_cmd_hl7_validate, "validate FILE [--profile P]",
     "list IHE PCD conformance problems"},
    {"send", ictl_cmd_hl7_send, "send --host H --port P FILE...",
     "send messages over MLLP and check the ACKs"},
    {"listen", ictl_cmd_hl7_listen, "listen --port P [options]",
     "receive messages over MLLP and acknowledge them"},
};

#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void usage(FILE *f)
{
    size_t i;

    (void)fputs("usage: infusionctl hl7 COMMAND ...\n\nHL7 v2 and IHE PCD messages.\n\ncommands:\n",
                f);
    for (i = 0; i < N_SUBCOMMANDS; i++) {
        (void)fprintf(f, "  %-34s %s%s\n", subcommands[i].synopsis, subcommands[i].summary,
                      (subcommands[i].run == NULL) ? " (not yet available)" : "");
    }
    (void)fputs("\nhelp on one command: infusionctl hl7 COMMAND --help\n", f);
}

int ictl_cmd_hl7(int argc, char *const *argv)
{
    size_t i;

    if (argc < 1) {
        usage(stderr);
        return ICTL_EXIT_USAGE;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "help") == 0) {
        usage(stdout);
        return ICTL_EXIT_OK;
    }
    for (i = 0; i < N_SUBCOMMANDS; i++) {
        if (strcmp(argv[0], subcommands[i].name) == 0) {
            if (subcommands[i].run == NULL) {
                ictl_error2("hl7: this command is not available in this build:", argv[0]);
                return ICTL_EXIT_USAGE;
            }
            return subcommands[i].run(argc, argv); /* argv[0] is the sub-command's name */
        }
    }
    ictl_error2("hl7: unknown command", argv[0]);
    usage(stderr);
    return ICTL_EXIT_USAGE;
}
