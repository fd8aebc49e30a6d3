/* fuzz_pcd04.c - PCD-04 alert decoder: no crash, consistent problems, enumerations in range, and
 * a decoded alert that can be rebuilt decodes back to the same alert. */
#include "fuzz_pcd_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hl7_pcd_alert_report r;
    static struct hl7_pcd_alert_report r2;
    static char out[16384];
    static struct hl7_segment segs[64];
    static uint32_t seps[16385];
    struct hl7_pcd_problems probs;
    struct hl7_pcd_msh h;
    struct hl7_pcd_pump p;
    struct hl7_msg m;
    struct hl7_error err;
    hl7_pcd_status st;
    size_t len = 0;

    if (!fz_parse(&m, data, size)) {
        return 0;
    }
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd04_decode(&m, &r, &probs);
    fz_check_problems(&probs, st);
    if (st == HL7_PCD_UNUSABLE) {
        return 0;
    }
    if ((r.alert.phase >= HL7_PCD_PHASE_COUNT) || (r.alert.state >= HL7_PCD_ASTATE_COUNT) ||
        (r.alert.priority >= HL7_PCD_PRIO_COUNT) || (r.alert.type >= HL7_PCD_ATYPE_COUNT) ||
        (r.alert.inactivation >= 0x40U)) {
        abort();
    }
    FZ_TERMINATED(r.alert.event_text);
    FZ_TERMINATED(r.alert.alert_id);
    /* Rebuild with a fixed pump identity and compare the alert. */
    fz_header(&h);
    memset(&p, 0, sizeof p);
    memcpy(p.eui64, "0012210000000002", 17);
    memcpy(p.obs_time, "20260301102000+0100", 20);
    if (hl7_pcd04_build(&h, &p, &r.alert, out, sizeof out, &len) != HL7_PCD_OK) {
        return 0; /* not buildable: missing priority, unknown event ... */
    }
    hl7_msg_init(&m, segs, 64, seps, sizeof seps / sizeof seps[0]);
    if (hl7_parse(&m, out, len, &err) != HL7_OK) {
        abort();
    }
    hl7_pcd_problems_init(&probs);
    if (hl7_pcd04_decode(&m, &r2, &probs) != HL7_PCD_OK) {
        abort();
    }
    if ((r2.alert.event != r.alert.event) || (r2.alert.phase != r.alert.phase) ||
        (r2.alert.state != r.alert.state) || (r2.alert.priority != r.alert.priority) ||
        (r2.alert.type != r.alert.type) || (r2.alert.inactivation != (r.alert.inactivation ? r.alert.inactivation : 1U)) ||
        (strcmp(r2.alert.indication_id, r.alert.indication_id) != 0) ||
        (strcmp(r2.alert.alert_id, r.alert.alert_id) != 0) ||
        (strcmp(r2.alert.event_text, r.alert.event_text) != 0)) {
        abort();
    }
    return 0;
}
