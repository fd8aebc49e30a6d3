/* fuzz_pcd05.c - PCD-05 alert status decoder: no crash, consistent problems, bounded lists. */
#include "fuzz_pcd_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hl7_pcd_alert_status r;
    struct hl7_pcd_problems probs;
    struct hl7_msg m;
    hl7_pcd_status st;
    hl7_pcd_profile used;

    if (!fz_parse(&m, data, size)) {
        return 0;
    }
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd05_decode(&m, &r, &probs);
    fz_check_problems(&probs, st);
    if (st != HL7_PCD_UNUSABLE) {
        if ((r.n_recipients > HL7_PCD_MAX_RECIPIENTS) || (r.n_obs > HL7_PCD_MAX_OBS)) {
            abort();
        }
        FZ_TERMINATED(r.status);
        FZ_TERMINATED(r.alert_id);
    }
    /* The validator on any input: same invariants, whatever profile MSH-9 names. */
    st = hl7_pcd_validate(&m, HL7_PCD_PROFILE_AUTO, &probs, &used);
    fz_check_problems(&probs, st);
    return 0;
}
