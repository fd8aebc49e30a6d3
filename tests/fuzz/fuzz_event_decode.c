/*
 * fuzz_event_decode.c - libFuzzer target for the event-record decoder (pump_log_decode), which
 * reads what the host's persistent store gives back. Any input either is refused or decodes to
 * a record that re-encodes to exactly the same bytes (decode is the inverse of encode), and the
 * decoded record passes the log's own append checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pump/pump_log.h"

static struct pump_log fuzz_log;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pump_log_record r;
    uint8_t again[PUMP_LOG_RECORD_BYTES];
    memset(&r, 0x5A, sizeof r);
    if (pump_log_decode(data, size, &r) != PUMP_OK) {
        return 0;
    }
    if (size != PUMP_LOG_RECORD_BYTES || pump_log_encode(&r, again, sizeof again) != PUMP_OK ||
        memcmp(again, data, size) != 0) {
        abort();
    }
    pump_log_init(&fuzz_log, r.seq);
    if (pump_log_append(&fuzz_log, &r) != PUMP_OK || pump_log_count(&fuzz_log) != 1U) {
        abort();
    }
    return 0;
}
