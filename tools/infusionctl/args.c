/*
 * args.c - command-line flags (the shared rules of cli_args.c) and number-flag values.
 *
 * A flag's argument is the next word whatever it looks like, so "--dose -5" gives the DERS a
 * negative dose to reject instead of a usage error.
 */
#include <string.h>

#include "infusionctl.h"

bool ictl_args_parse(int argc, char *const *argv, const struct cli_optdef *defs, size_t n_defs,
                     struct cli_parsed *out)
{
    return cli_args_parse("infusionctl", argc, argv, defs, n_defs, out);
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
