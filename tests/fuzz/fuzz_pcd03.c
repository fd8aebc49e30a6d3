/* fuzz_pcd03.c - PCD-03 order decoder: no crash, consistent problems, deterministic, and both
 * replies (ACK^O15, RRG^O16) to whatever was decoded build and decode back without errors. */
#include "fuzz_pcd_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct hl7_pcd_order o1;
    static struct hl7_pcd_order o2;
    static struct hl7_pcd_reply reply;
    static struct hl7_pcd_reply back;
    static char out[16384];
    static struct hl7_segment segs[64];
    static uint32_t seps[16385];
    struct hl7_pcd_problems probs;
    struct hl7_pcd_problems probs2;
    struct hl7_msg m;
    struct hl7_msg rm;
    struct hl7_error err;
    hl7_pcd_status st;
    size_t k;
    int kind;

    if (!fz_parse(&m, data, size)) {
        return 0;
    }
    hl7_pcd_problems_init(&probs);
    st = hl7_pcd03_decode(&m, &o1, &probs);
    fz_check_problems(&probs, st);
    if (st == HL7_PCD_UNUSABLE) {
        return 0;
    }
    hl7_pcd_problems_init(&probs2);
    if ((hl7_pcd03_decode(&m, &o2, &probs2) != st) || (memcmp(&o1, &o2, sizeof o1) != 0) ||
        (probs2.n != probs.n)) {
        abort();
    }
    if (o1.n_steps > HL7_PCD_MAX_STEPS || o1.n_params > HL7_PCD_MAX_PARAMS) {
        abort();
    }
    for (k = 0; k < o1.n_steps; k++) {
        FZ_TERMINATED(o1.steps[k].rate.value);
        FZ_TERMINATED(o1.steps[k].give_code.text);
        if (o1.steps[k].n_duration > 3U) {
            abort();
        }
    }
    for (kind = 0; kind < 2; kind++) {
        size_t len = 0;
        hl7_pcd_reply_kind rk = (kind == 0) ? HL7_PCD_REPLY_ACK_O15 : HL7_PCD_REPLY_RRG_O16;
        if (hl7_pcd_reply_prepare(rk, &o1, &probs, "FZ1", "20260301101501+0100", &reply) !=
            HL7_PCD_OK) {
            abort();
        }
        if (reply.acked_id[0] == '\0') {
            continue; /* no MSH-10 to acknowledge: the builders refuse, rightly */
        }
        st = (kind == 0) ? hl7_pcd_ack_o15_build(&reply, out, sizeof out, &len)
                         : hl7_pcd_rrg_o16_build(&reply, out, sizeof out, &len);
        if (st != HL7_PCD_OK) {
            abort();
        }
        hl7_msg_init(&rm, segs, 64, seps, sizeof seps / sizeof seps[0]);
        if ((hl7_parse(&rm, out, len, &err) != HL7_OK) || (hl7_msg_check(&rm, &err) != HL7_OK)) {
            abort();
        }
        hl7_pcd_problems_init(&probs2);
        if (hl7_pcd_reply_decode(&rm, &back, &probs2) == HL7_PCD_UNUSABLE) {
            abort();
        }
        if ((strcmp(back.code, reply.code) != 0) || (strcmp(back.acked_id, reply.acked_id) != 0) ||
            (back.n_errs != reply.n_errs)) {
            abort();
        }
        for (k = 0; k < back.n_errs; k++) {
            if ((back.errs[k].hl7_code != reply.errs[k].hl7_code) ||
                (back.errs[k].piv_code != reply.errs[k].piv_code) ||
                (strcmp(back.errs[k].text, reply.errs[k].text) != 0)) {
                abort();
            }
        }
    }
    return 0;
}
