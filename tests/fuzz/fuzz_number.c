/* fuzz_number.c - libFuzzer target: bytes as a decimal number and as a unit string.
 * Invariants: a parsed number formatted at 18 decimals and parsed again is the same rational
 * whenever its decimal expansion terminates there; a parsed unit formats to the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pump/pump_num.h"
#include "pump/pump_unit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct pump_q v;
    struct pump_q back;
    struct pump_unit u;
    char buf[PUMP_Q_TEXT_MAX];
    char ubuf[PUMP_UNIT_TEXT_MAX];
    if (pump_q_parse(text, size, &v) == PUMP_OK) {
        if ((v.den <= 0) || (pump_q_format(v, PUMP_Q_MAX_DECIMALS, buf, sizeof buf) != PUMP_OK)) {
            abort();
        }
        if (pump_q_is_exact_at(v, PUMP_Q_MAX_DECIMALS) &&
            ((pump_q_parse(buf, strlen(buf), &back) != PUMP_OK) || (pump_q_cmp(v, back) != 0))) {
            abort();
        }
    }
    if (pump_unit_parse(text, size, &u) == PUMP_OK) {
        if ((pump_unit_format(u, ubuf, sizeof ubuf) != PUMP_OK) || (strlen(ubuf) != size) ||
            (memcmp(ubuf, text, size) != 0)) {
            abort();
        }
    }
    return 0;
}
