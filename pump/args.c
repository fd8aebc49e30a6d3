/*
 * args.c - command-line flags for pumpd (the shared rules of cli_args.c, pumpd's name on the
 * messages) and whole-number flag values.
 */
#include <stdio.h>
#include <stdlib.h>

#include "pumpd.h"

void pd_error(const char *msg)
{
    cli_error("pumpd", msg);
}

void pd_error2(const char *msg, const char *detail)
{
    cli_error2("pumpd", msg, detail);
}

bool pd_args_parse(int argc, char *const *argv, const struct cli_optdef *defs, size_t n_defs,
                   struct cli_parsed *out)
{
    return cli_args_parse("pumpd", argc, argv, defs, n_defs, out);
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
