/*
 * main.c - infusionctl: the OpenInfusion command line. Dispatch only.
 *
 *   infusionctl library validate FILE [--json]
 *   infusionctl library show FILE [--care-area ID]
 *   infusionctl ders check --library FILE ...
 *
 * Exit status: 0 done (whatever the DERS outcomes), 1 library validate found an invalid
 * library, 2 usage error or unusable input.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_hl7.h"
#include "infusionctl.h"

#ifndef OI_VERSION
#define OI_VERSION "0.0.0"
#endif

static const char usage_text[] =
    "usage: infusionctl COMMAND ...\n"
    "\n"
    "OpenInfusion command line: drug libraries and dose-error reduction (DERS).\n"
    "\n"
    "commands:\n"
    "  library validate FILE [--json]        check a drug library file (format v1)\n"
    "  library show FILE [--care-area ID]    print care areas and drug entries as tables\n"
    "  ders check --library FILE ...         judge one program, or a batch (--batch FILE)\n"
    "  hl7 parse|validate|send|listen ...    HL7 v2 / IHE PCD messages (infusionctl hl7 --help)\n"
    "\n"
    "options:\n"
    "  -h, --help       this help (also after any command: infusionctl ders check --help)\n"
    "  --version        print the version\n"
    "\n"
    "exit status: 0 done, 1 invalid library (library validate), 2 usage error or unusable "
    "input\n";

void ictl_error(const char *msg)
{
    cli_error("infusionctl", msg);
}

void ictl_error2(const char *msg, const char *detail)
{
    cli_error2("infusionctl", msg, detail);
}

static int usage_error(const char *msg, const char *detail)
{
    ictl_error2(msg, detail);
    (void)fputs(usage_text, stderr);
    return ICTL_EXIT_USAGE;
}

/* Every byte written to stdout must have reached it: a full disk is not a success. */
static int finish(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout) != 0) {
        ictl_error("error writing the output");
        return ICTL_EXIT_USAGE;
    }
    return status;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        (void)fputs(usage_text, stderr);
        return ICTL_EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        (void)fputs(usage_text, stdout);
        return finish(ICTL_EXIT_OK);
    }
    if (strcmp(cmd, "--version") == 0) {
        (void)printf("infusionctl %s (drug library format 1)\n", OI_VERSION);
        return finish(ICTL_EXIT_OK);
    }
    if (strcmp(cmd, "library") == 0) {
        return finish(ictl_cmd_library(argc - 2, argv + 2));
    }
    if (strcmp(cmd, "ders") == 0) {
        return finish(ictl_cmd_ders(argc - 2, argv + 2));
    }
    if (strcmp(cmd, "hl7") == 0) {
        return finish(ictl_cmd_hl7(argc - 2, argv + 2));
    }
    return usage_error("unknown command", cmd);
}
