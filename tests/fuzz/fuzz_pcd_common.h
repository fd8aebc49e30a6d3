/*
 * fuzz_pcd_common.h - shared by the PCD fuzz targets: parse the input as one message with
 * storage for any size, and the invariants every decoder's problem list must keep.
 */
#ifndef FUZZ_PCD_COMMON_H
#define FUZZ_PCD_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hl7/hl7.h"
#include "hl7/pcd.h"

#define FZ_MAX_SEGS 4096U
#define FZ_MAX_BYTES 65536U

static struct hl7_segment fz_segs[FZ_MAX_SEGS];
static uint32_t fz_seps[FZ_MAX_BYTES + 1U];

/* Parse data as a message (false when it is not one: nothing to decode). */
static inline int fz_parse(struct hl7_msg *m, const uint8_t *data, size_t size)
{
    struct hl7_error err;

    if (size > FZ_MAX_BYTES) {
        return 0;
    }
    hl7_msg_init(m, fz_segs, FZ_MAX_SEGS, fz_seps, FZ_MAX_BYTES + 1U);
    return hl7_parse(m, (const char *)data, size, &err) == HL7_OK;
}

/* A string field is NUL-terminated inside its array. */
#define FZ_TERMINATED(arr) \
    do { \
        if (memchr((arr), '\0', sizeof(arr)) == NULL) { \
            abort(); \
        } \
    } while (0)

/* The problem list is consistent with the status the decoder returned. */
static inline void fz_check_problems(const struct hl7_pcd_problems *p, hl7_pcd_status st)
{
    size_t i;

    if ((p->n > HL7_PCD_MAX_PROBLEMS) || (p->n + p->n_dropped != p->n_errors + p->n_warnings)) {
        abort();
    }
    if ((st == HL7_PCD_OK) && (p->n_errors != 0U)) {
        abort();
    }
    if ((st == HL7_PCD_INVALID) && (p->n_errors == 0U)) {
        abort();
    }
    for (i = 0; i < p->n; i++) {
        FZ_TERMINATED(p->items[i].text);
        FZ_TERMINATED(p->items[i].segment);
        if ((p->items[i].severity != HL7_PCD_SEV_ERROR) &&
            (p->items[i].severity != HL7_PCD_SEV_WARNING)) {
            abort();
        }
        if ((p->items[i].piv_code != 0U) && (hl7_pcd_piv_text(p->items[i].piv_code) == NULL)) {
            abort();
        }
    }
}

static inline void fz_same_pump(const struct hl7_pcd_pump *a, const struct hl7_pcd_pump *b)
{
    if ((strcmp(a->eui64, b->eui64) != 0) || (strcmp(a->pump_id, b->pump_id) != 0) ||
        (a->channel != b->channel) || (a->state != b->state) || (a->source != b->source) ||
        (strcmp(a->rate_ml_h, b->rate_ml_h) != 0) || (strcmp(a->dose_rate, b->dose_rate) != 0) ||
        (strcmp(a->dose_rate_unit, b->dose_rate_unit) != 0) ||
        (strcmp(a->vtbi_ml, b->vtbi_ml) != 0) ||
        (strcmp(a->volume_infused_ml, b->volume_infused_ml) != 0) ||
        (strcmp(a->drug_name, b->drug_name) != 0) ||
        (strcmp(a->patient.family, b->patient.family) != 0) ||
        (strcmp(a->placer_id, b->placer_id) != 0) || (strcmp(a->obs_time, b->obs_time) != 0)) {
        abort();
    }
}

/* A header for rebuilding what was decoded. */
static inline void fz_header(struct hl7_pcd_msh *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->control_id, "FUZZ1", 6);
    memcpy(h->time, "20260301102000+0100", 20);
}

/*
 * Build from a decoded pump, decode that, build again, decode again: the two decoded pumps must
 * be equal (decode(build(x)) is a fixed point after one round). event NONE builds PCD-01.
 */
static inline void fz_pump_fixed_point(const struct hl7_pcd_pump *p, hl7_pcd_event event,
                                       bool transitioning)
{
    static char out1[32768];
    static char out2[32768];
    static struct hl7_pcd_device_report r1;
    static struct hl7_pcd_device_report r2;
    static struct hl7_segment segs[512];
    static uint32_t seps[32769];
    struct hl7_pcd_problems probs;
    struct hl7_pcd_msh h;
    struct hl7_msg m;
    struct hl7_error err;
    size_t len = 0;
    hl7_pcd_status st;

    fz_header(&h);
    st = (event == HL7_PCD_EVT_NONE)
             ? hl7_pcd01_build(&h, p, out1, sizeof out1, &len)
             : hl7_pcd10_build(&h, p, event, transitioning, out1, sizeof out1, &len);
    if (st != HL7_PCD_OK) {
        return; /* the decoded pump is not buildable (no EUI-64, bad numbers ...) */
    }
    hl7_msg_init(&m, segs, 512, seps, sizeof seps / sizeof seps[0]);
    if (hl7_parse(&m, out1, len, &err) != HL7_OK) {
        abort(); /* we built something unparseable */
    }
    hl7_pcd_problems_init(&probs);
    st = (event == HL7_PCD_EVT_NONE) ? hl7_pcd01_decode(&m, &r1, &probs)
                                     : hl7_pcd10_decode(&m, &r1, &probs);
    if ((st == HL7_PCD_UNUSABLE) || !r1.has_pump) {
        abort();
    }
    st = (event == HL7_PCD_EVT_NONE)
             ? hl7_pcd01_build(&h, &r1.pump, out2, sizeof out2, &len)
             : hl7_pcd10_build(&h, &r1.pump, event, r1.transitioning, out2, sizeof out2, &len);
    if (st != HL7_PCD_OK) {
        abort();
    }
    hl7_msg_init(&m, segs, 512, seps, sizeof seps / sizeof seps[0]);
    if (hl7_parse(&m, out2, len, &err) != HL7_OK) {
        abort();
    }
    hl7_pcd_problems_init(&probs);
    st = (event == HL7_PCD_EVT_NONE) ? hl7_pcd01_decode(&m, &r2, &probs)
                                     : hl7_pcd10_decode(&m, &r2, &probs);
    if (st == HL7_PCD_UNUSABLE) {
        abort();
    }
    fz_same_pump(&r1.pump, &r2.pump);
}

#endif
