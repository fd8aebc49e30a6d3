/* fuzz_pcd10.c - PCD-10 decoder: no crash, consistent problems, one event at most, and
 * rebuilding the decoded event reaches a fixed point (fuzz_pcd_common.h). */
#include "fuzz_pcd_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hl7_pcd_device_report r;
    struct hl7_pcd_problems probs;
    struct hl7_msg m;
    hl7_pcd_status st;

    if (!fz_parse(&m, data, size)) {
        return 0;
    }
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd10_decode(&m, &r, &probs);
    fz_check_problems(&probs, st);
    if (st == HL7_PCD_UNUSABLE) {
        return 0;
    }
    if (r.event >= (uint8_t)HL7_PCD_EVT_COUNT) {
        abort();
    }
    FZ_TERMINATED(r.event_refid);
    FZ_TERMINATED(r.event_source);
    if (r.has_pump && (r.event != HL7_PCD_EVT_NONE) && (r.event != HL7_PCD_EVT_UNKNOWN)) {
        fz_pump_fixed_point(&r.pump, (hl7_pcd_event)r.event, r.transitioning);
    }
    return 0;
}
