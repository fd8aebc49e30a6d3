/*
 * args.c - command-line flags for pumpd: "--flag VALUE", "--flag=VALUE", "--switch",
 * positionals, "--" (the same rules as infusionctl's).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd.h"

void pd_error(const char *msg)
{
    (void)fprintf(stderr, "pumpd: %s\n", msg);
}

void pd_error2(const char *msg, const char *detail)
{
    (void)fprintf(stderr, "pumpd: %s %s\n", msg, detail);
}

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

static size_t find_def(const struct pd_optdef *defs, size_t n_defs, const char *a, size_t n)
{
    size_t i;
    for (i = 0; i < n_defs; i++) {
        if (strlen(defs[i].name) == n && strncmp(defs[i].name, a, n) == 0) {
            return i;
        }
    }
    return n_defs;
}

static bool parse_flag(int argc, char *const *argv, int *i, const struct pd_optdef *defs,
                       size_t n_defs, struct pd_parsed *out)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t n = (eq != NULL) ? (size_t)(eq - a) : strlen(a);
    size_t d = find_def(defs, n_defs, a, n);

    if (d == n_defs) {
        pd_error2("unknown option", a);
        return false;
    }
    if (out->seen[d]) {
        pd_error2("option given twice:", defs[d].name);
        return false;
    }
    out->seen[d] = true;
    if (!defs[d].has_value) {
        if (eq != NULL) {
            pd_error2("option takes no value:", defs[d].name);
            return false;
        }
        return true;
    }
    if (eq != NULL) {
        out->value[d] = eq + 1;
        return true;
    }
    if (*i + 1 >= argc) {
        pd_error2("option needs an argument:", defs[d].name);
        return false;
    }
    *i += 1;
    out->value[d] = argv[*i];
    return true;
}

bool pd_args_parse(int argc, char *const *argv, const struct pd_optdef *defs, size_t n_defs,
                   struct pd_parsed *out)
{
    int i;
    bool only_pos = false;

    memset(out, 0, sizeof *out);
    if (n_defs > PD_MAX_OPTS) {
        pd_error("internal error: too many option definitions");
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
            if (!parse_flag(argc, argv, &i, defs, n_defs, out)) {
                return false;
            }
        } else {
            if (out->n_pos >= PD_MAX_POS) {
                pd_error2("too many arguments at", a);
                return false;
            }
            out->pos[out->n_pos] = a;
            out->n_pos++;
        }
    }
    return true;
}

bool pd_parse_uint(const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;
    if (text[0] < '0' || text[0] > '9') {
        pd_error2(flag, "needs a whole number");
        return false;
    }
    v = strtoull(text, &end, 10);
    if (*end != '\0' || v < min || v > max) {
        char msg[160];
        (void)snprintf(msg, sizeof msg, "%s must be a whole number from %llu to %llu, not",
                       flag, (unsigned long long)min, (unsigned long long)max);
        pd_error2(msg, text);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}
