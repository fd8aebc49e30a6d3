/*
 * args.c - command-line flags: "--flag VALUE", "--flag=VALUE", "--switch", positionals, "--".
 *
 * A flag's argument is the next word whatever it looks like, so "--dose -5" gives the DERS a
 * negative dose to reject instead of a usage error.
 */
#include <string.h>

#include "infusionctl.h"

static bool is_help(const char *a)
{
    return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

/* The definition whose name is a[0..n), or n_defs. */
static size_t find_def(const struct ictl_optdef *defs, size_t n_defs, const char *a, size_t n)
{
    size_t i;
    for (i = 0; i < n_defs; i++) {
        if (strlen(defs[i].name) == n && strncmp(defs[i].name, a, n) == 0) {
            return i;
        }
    }
    return n_defs;
}

static bool add_positional(struct ictl_parsed *out, const char *a)
{
    if (out->n_pos >= ICTL_MAX_POS) {
        ictl_error2("too many arguments at", a);
        return false;
    }
    out->pos[out->n_pos] = a;
    out->n_pos++;
    return true;
}

/* One flag at argv[*i]; advances *i past its argument. */
static bool parse_flag(int argc, char *const *argv, int *i, const struct ictl_optdef *defs,
                       size_t n_defs, struct ictl_parsed *out)
{
    const char *a = argv[*i];
    const char *eq = strchr(a, '=');
    size_t n = (eq != NULL) ? (size_t)(eq - a) : strlen(a);
    size_t d = find_def(defs, n_defs, a, n);

    if (d == n_defs) {
        ictl_error2("unknown option", a);
        return false;
    }
    if (out->seen[d]) {
        ictl_error2("option given twice:", defs[d].name);
        return false;
    }
    out->seen[d] = true;
    if (!defs[d].has_value) {
        if (eq != NULL) {
            ictl_error2("option takes no value:", defs[d].name);
            return false;
        }
        return true;
    }
    if (eq != NULL) {
        out->value[d] = eq + 1;
        return true;
    }
    if (*i + 1 >= argc) {
        ictl_error2("option needs an argument:", defs[d].name);
        return false;
    }
    *i += 1;
    out->value[d] = argv[*i];
    return true;
}

bool ictl_args_parse(int argc, char *const *argv, const struct ictl_optdef *defs, size_t n_defs,
                     struct ictl_parsed *out)
{
    int i;
    bool only_pos = false;

    memset(out, 0, sizeof *out);
    if (n_defs > ICTL_MAX_OPTS) {
        ictl_error("internal error: too many option definitions");
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
        } else if (!add_positional(out, a)) {
            return false;
        }
    }
    return true;
}

struct pump_value ictl_value_from_text(const char *text)
{
    struct pump_value v;
    struct pump_q q;

    memset(&v, 0, sizeof v);
    if (pump_q_parse(text, strlen(text), &q) == PUMP_OK) {
        v.state = (uint8_t)PUMP_V_GIVEN;
        v.q = q;
    } else {
        v.state = (uint8_t)PUMP_V_BAD;
        v.q = pump_q_int(0);
    }
    return v;
}
