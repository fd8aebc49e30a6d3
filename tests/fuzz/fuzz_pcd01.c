/* fuzz_pcd01.c - PCD-01 decoder: no crash, consistent problems, and rebuilding what was decoded
 * reaches a fixed point (fuzz_pcd_common.h). */
#include "fuzz_pcd_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hl7_pcd_device_report r;
    struct hl7_pcd_problems probs;
    struct hl7_msg m;
    hl7_pcd_status st;
    size_t i;

    if (!fz_parse(&m, data, size)) {
        return 0;
    }
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd01_decode(&m, &r, &probs);
    fz_check_problems(&probs, st);
    if (st == HL7_PCD_UNUSABLE) {
        return 0;
    }
    if (r.n_obs > HL7_PCD_MAX_OBS) {
        abort();
    }
    for (i = 0; i < r.n_obs; i++) {
        FZ_TERMINATED(r.obs[i].value);
        FZ_TERMINATED(r.obs[i].path);
        if (r.obs[i].n_levels > HL7_PCD_MAX_LEVELS) {
            abort();
        }
    }
    if (r.has_pump) {
        fz_pump_fixed_point(&r.pump, HL7_PCD_EVT_NONE, false);
    }
    return 0;
}
