/* fuzz_scenario.c - the scenario parser (pump/scenario.c) on arbitrary bytes: it must accept or
 * refuse with a message, never crash, leak or read out of bounds; an accepted scenario has its
 * steps in time order. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scenario sc;
    struct scenario_error err;
    if (scenario_parse_text((const char *)data, size, &sc, &err) == SCENARIO_OK) {
        size_t i;
        for (i = 1; i < sc.n_steps; i++) {
            if (sc.steps[i].at_ms < sc.steps[i - 1U].at_ms) {
                __builtin_trap();
            }
        }
        if (sc.end_ms > SCENARIO_MAX_TIME_MS || sc.hw.tick_ms == 0) {
            __builtin_trap();
        }
        scenario_free(&sc);
    } else if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL) {
        __builtin_trap(); /* a refusal always says why, on one line */
    }
    return 0;
}
