/*
 * ehr_order.h - the orders ehrsim sends: PCD-03 RGV^O15 built from a drug-library entry, and
 * order files split into messages.
 *
 * There is no RGV^O15 builder in the hl7 library (the server only decodes orders), so this file
 * writes one with the hl7 builder API (hl7.h), following standards.md §3.2: MSH-15 AL, MSH-16 AL,
 * MSH-21 the PCD-03 OID, PID with the patient, ORC RE with the placer id and ORC-9, RXG with the
 * entry id and display name in RXG-4, the dose (rate) in RXG-15/16, VTBI in RXG-5/7, the standard
 * concentration in RXG-17/18 and 23/24, TQ1-13 for a dose given over a duration, RXR, the pump OBX
 * (MDC_DEV_PUMP_INFUS_VMD with the pump id in OBX-18) and the patient's weight (and BSA) OBX.
 *
 * Everything here is pure: no clock, no I/O, no allocation (unit-tested in tests/unit/ehrsim).
 */
#ifndef EHR_ORDER_H
#define EHR_ORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_library.h"

typedef enum {
    EHR_OK = 0,
    EHR_ERR_ARG = 1,     /* NULL, or an input that cannot make a valid order */
    EHR_ERR_FULL = 2,    /* output buffer too small */
    EHR_ERR_ENTRY = 3,   /* the entry cannot be ordered this way (PCA, no limits for "hard") */
    EHR_ERR_RANGE = 4    /* arithmetic on the library's numbers did not fit */
} ehr_status;

#define EHR_ID_MAX 80
#define EHR_TEXT_MAX 128
#define EHR_NUM_MAX 32
#define EHR_UNIT_MAX 32
#define EHR_DTM_MAX 32

/* One order, as text fields ("" = not sent). Numbers are plain decimals; units UCUM. */
struct ehr_order {
    char control_id[EHR_ID_MAX];        /* MSH-10, unique per order */
    char time[EHR_DTM_MAX];             /* MSH-7, with a UTC offset */
    char request_time[EHR_DTM_MAX];     /* ORC-9: when the clinician asked (with offset) */
    char placer_id[EHR_ID_MAX];         /* ORC-2 */
    char patient_id[EHR_ID_MAX];        /* PID-3.1 ("" -> no PID) */
    char pump_id[EHR_ID_MAX];           /* OBX-18 EI-1 of the pump OBX (required) */
    char nurse_id[EHR_ID_MAX];          /* ORC-19.1 (required) */

    char care_area[EHR_ID_MAX];         /* for logs only: not part of PCD-03 */
    char entry_id[EHR_ID_MAX];          /* RXG-4.1 */
    char display_name[EHR_TEXT_MAX];    /* RXG-4.2 */
    uint8_t mode;                       /* pump_entry_mode of the entry */
    bool is_hard;                       /* the dose is above the entry's hard maximum */

    char dose[EHR_NUM_MAX];             /* RXG-15 */
    char dose_ucum[EHR_UNIT_MAX];       /* RXG-16 */
    char vtbi_ml[EHR_NUM_MAX];          /* RXG-5 (mL) */
    char strength[EHR_NUM_MAX];         /* RXG-17 */
    char strength_ucum[EHR_UNIT_MAX];   /* RXG-18 */
    char strength_volume_ml[EHR_NUM_MAX]; /* RXG-23 (mL) */
    char duration_min[EHR_NUM_MAX];     /* TQ1-13 in minutes ("" -> no TQ1) */
    char weight_kg[EHR_NUM_MAX];        /* MDC_ATTR_PT_WEIGHT OBX */
    char bsa_m2[EHR_NUM_MAX];           /* MDC_AREA_BODY_SURF_ACTUAL OBX */
};

/*
 * ehr_unit_ucum - the UCUM spelling of a drug-library unit: mcg -> ug, units -> [iU],
 * milliunits -> m[iU], mEq -> meq; the rest as written ("mg/kg/h", "mL/h").
 * Returns EHR_OK, EHR_ERR_ARG (corrupt unit), EHR_ERR_FULL.
 */
ehr_status ehr_unit_ucum(struct pump_unit u, char *buf, size_t cap);

/*
 * ehr_order_from_entry - fill the clinical part of *o from entry i_entry of lib: RXG-4, the dose
 * in the entry's dosing unit in the middle of its limits (soft range when both soft bounds exist)
 * or, when is_hard, 1.5 x its hard maximum; the standard concentration when the entry has one;
 * for continuous entries the VTBI = the bag (concentration volume, else 100 mL), for fluids
 * 1000 mL; for intermittent entries a TQ1 duration in the middle of the entry's duration limits
 * (30 min when it has none) and no VTBI; the weight (70 kg, or the middle of the care area's
 * weight range when 70 kg is outside it) and, for /m2 units, the BSA (middle of the area's BSA
 * range, else 1.8 m2). Leaves the identity fields (ids, times, patient, pump) alone.
 * Returns EHR_OK; EHR_ERR_ENTRY (PCA entry, or is_hard for an entry without hard maximum);
 * EHR_ERR_ARG; EHR_ERR_RANGE.
 */
ehr_status ehr_order_from_entry(const struct pump_library *lib, uint32_t i_entry, bool is_hard,
                                struct ehr_order *o);

/*
 * ehr_order_build - the RGV^O15 of *o into out[0..cap) (CR segment terminators, not framed).
 * Requires control_id, time, request_time, placer_id, pump_id, nurse_id, entry_id,
 * display_name, dose and dose_ucum. Returns EHR_OK (*len set), EHR_ERR_ARG, EHR_ERR_FULL.
 * 4 KiB is always enough.
 */
ehr_status ehr_order_build(const struct ehr_order *o, char *out, size_t cap, size_t *len);

/* One message of an order file: text[0..len), at byte offset `at` of the file. */
typedef void (*ehr_message_fn)(void *ctx, const char *text, size_t len, size_t at);

/*
 * ehr_split_messages - every message of data[0..len): MLLP frames when the data holds a VT byte
 * (bytes outside frames ignored, a last unterminated frame still reported), else text in which a
 * blank line, or a line starting with "MSH", begins the next message. frame_buf (cap bytes) holds
 * one frame while it is assembled; a frame longer than cap is skipped. Returns the number of
 * messages reported.
 */
size_t ehr_split_messages(const char *data, size_t len, char *frame_buf, size_t cap,
                          ehr_message_fn fn, void *ctx);

#endif
