/* fuzz_druglib.c - libFuzzer target: any bytes as a drug library file.
 * Invariants: never crash or leak; OK means every entry's care area exists and every id is
 * found again at its own index; otherwise at least one problem is reported. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "oi_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_loaded(const struct pump_library *lib)
{
    uint32_t i;
    for (i = 0; i < lib->n_entries; i++) {
        const struct pump_entry *e = &lib->st.entries[i];
        uint32_t idx = UINT32_MAX;
        if (e->area >= lib->n_areas) {
            abort();
        }
        if ((pump_library_find_entry(lib, pump_library_str(lib, e->id), e->id.len, &idx) !=
             PUMP_OK) ||
            (idx != i)) {
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oi_druglib dl;
    struct oi_diag diag = {NULL, 0, 0, 0};
    oi_load_status st = oi_druglib_load_text((const char *)data, size, &dl, &diag);
    if (st == OI_LOAD_OK) {
        check_loaded(&dl.lib);
        oi_druglib_free(&dl);
    } else if ((diag.n + diag.n_dropped) == 0U) {
        abort(); /* a refusal must say why */
    }
    oi_diag_free(&diag);
    return 0;
}
