/*
 * cli_args.h - command-line flags shared by pumpd and infusionctl: "--flag VALUE", "--flag=VALUE",
 * "--switch", positionals, "--". One parser so both executables read their words the same way.
 */
#ifndef OI_CLI_ARGS_H
#define OI_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_MAX_OPTS 32
#define CLI_MAX_POS 4

struct cli_optdef {
    const char *name; /* "--dose" */
    bool has_value;   /* takes an argument ("--dose 5" or "--dose=5") */
};

struct cli_parsed {
    const char *value[CLI_MAX_OPTS]; /* argument of a flag that takes one; NULL otherwise */
    bool seen[CLI_MAX_OPTS];
    const char *pos[CLI_MAX_POS]; /* positional arguments in order */
    size_t n_pos;
    bool help; /* -h or --help was given */
};

/* Print "<prog>: <msg>" / "<prog>: <msg> <detail>" on stderr. */
void cli_error(const char *prog, const char *msg);
void cli_error2(const char *prog, const char *msg, const char *detail);

/*
 * cli_args_parse - argv[0..argc) against defs[0..n_defs) (n_defs <= CLI_MAX_OPTS).
 * Returns true, or false after printing a usage message prefixed by prog on stderr: unknown flag,
 * a flag missing its argument, a flag given twice, a value for a flag that takes none, too many
 * positionals. After -h/--help the rest is not looked at (out->help is set, true is returned).
 * A flag's argument is the next word whatever it looks like ("--dose -5").
 */
bool cli_args_parse(const char *prog, int argc, char *const *argv, const struct cli_optdef *defs,
                    size_t n_defs, struct cli_parsed *out);

#endif
