/*
 * cli_args.c - command-line flags shared by pumpd and infusionctl (contract: see cli_args.h).
 */
#include "cli_args.h"

#include <stdio.h>
#include <string.h>

void cli_error(const char *prog, const char *msg)
{
    (void)fprintf(stderr, "%s: %s\n", prog, msg);
}

void cli_error2(const char *prog, const char *msg, const char *detail)
{
    (void)fprintf(stderr, "%s: %s %s\n", prog, msg, detail);
}

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* The definition whose name is a[0..n), or n_defs. */
static size_t find_def(const struct cli_optdef *defs, size_t n_defs, const char *a, size_t n)
{
    size_t i;
    for (i = 0; i < n_defs; i++) {
        if (strlen(defs[i].name) == n && strncmp(defs[i].name, a, n) == 0) {
            return i;
        }
    }
    return n_defs;
}

static bool add_positional(const char *prog, struct cli_parsed *out, const char *a)
{
    if (out->n_pos >= CLI_MAX_POS) {
        cli_error2(prog, "too many arguments at", a);
        return false;
    }
    out->pos[out->n_pos] = a;
    out->n_pos++;
    return true;
}

/* One flag at argv[*i]; advances *i past its argument. */
static bool parse_flag(const char *prog, int argc, char *const *argv, int *i,
                       const struct cli_optdef *defs, size_t n_defs, struct cli_parsed *out)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t n = (eq != NULL) ? (size_t)(eq - a) : strlen(a);
    size_t d = find_def(defs, n_defs, a, n);

    if (d == n_defs) {
        cli_error2(prog, "unknown option", a);
        return false;
    }
    if (out->seen[d]) {
        cli_error2(prog, "option given twice:", defs[d].name);
        return false;
    }
    out->seen[d] = true;
    if (!defs[d].has_value) {
        if (eq != NULL) {
            cli_error2(prog, "option takes no value:", defs[d].name);
            return false;
        }
        return true;
    }
    if (eq != NULL) {
        out->value[d] = eq + 1;
        return true;
    }
    if (*i + 1 >= argc) {
        cli_error2(prog, "option needs an argument:", defs[d].name);
        return false;
    }
    *i += 1;
    out->value[d] = argv[*i];
    return true;
}

bool cli_args_parse(const char *prog, int argc, char *const *argv, const struct cli_optdef *defs,
                    size_t n_defs, struct cli_parsed *out)
{
    int i;
    bool only_pos = false;

    memset(out, 0, sizeof *out);
    if (n_defs > CLI_MAX_OPTS) {
        cli_error(prog, "internal error: too many option definitions");
        return false;
    }
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && is_help(a)) {
            out->help = true;
            return true;
        }
        if (!only_pos && strcmp(a, "--") == 0) {
            only_pos = true;
        } else if (!only_pos && a[0] == '-' && a[1] != '\0') {
            if (!parse_flag(prog, argc, argv, &i, defs, n_defs, out)) {
                return false;
            }
        } else if (!add_positional(prog, out, a)) {
            return false;
        }
    }
    return true;
}
