/* fuzz_program.c - libFuzzer target: any bytes as a program object, judged against the sample
 * library. Invariants: never crash; the result is well formed (valid enums, REJECT_INVALID iff a
 * reason, violations within bounds and ordered hard before soft; any judged rate positive). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "oi_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct oi_druglib library;
static int library_loaded;

static void load_library(void)
{
    struct oi_diag diag = {NULL, 0, 0, 0};
    const char *path = getenv("OI_FUZZ_LIBRARY");
    if (path == NULL) {
        path = OI_SHARED_DIR "/data/druglib/sample-library.json";
    }
    if (oi_druglib_load_file(path, &library, &diag) != OI_LOAD_OK) {
        abort(); /* the harness needs a valid library to be meaningful */
    }
    oi_diag_free(&diag);
    library_loaded = 1;
}

static int is_hard(uint8_t o)
{
    return (o == (uint8_t)PUMP_HARD_LOW) || (o == (uint8_t)PUMP_HARD_HIGH);
}

static void check_result(const struct pump_ders_result *r)
{
    uint32_t i;
    if ((r->outcome >= (uint8_t)PUMP_OUTCOME_COUNT) || (r->limit >= (uint8_t)PUMP_LIM_COUNT) ||
        (r->n_violations > (uint32_t)PUMP_DERS_MAX_VIOLATIONS) ||
        ((r->outcome == (uint8_t)PUMP_REJECT_INVALID) != (r->reason != (uint8_t)PUMP_R_NONE))) {
        abort();
    }
    for (i = 1; i < r->n_violations; i++) {
        if (!is_hard(r->violations[i - 1].outcome) && is_hard(r->violations[i].outcome)) {
            abort();
        }
    }
    if ((r->outcome != (uint8_t)PUMP_REJECT_INVALID) && r->has_rate &&
        (pump_q_sign(r->rate_ml_h) <= 0)) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *obj;
    struct pump_program prog;
    struct pump_ders_result res;
    char msg[256];
    if (!library_loaded) {
        load_library();
    }
    obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (obj == NULL) {
        return 0;
    }
    if (oi_program_from_json(obj, &prog, msg, sizeof msg)) {
        if (pump_ders_check(&library.lib, &prog, &res) != PUMP_OK) {
            abort();
        }
        check_result(&res);
    }
    json_decref(obj);
    return 0;
}
