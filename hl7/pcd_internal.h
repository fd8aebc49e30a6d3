/*
 * pcd_internal.h - helpers shared by the IHE PCD files of the hl7 library (not public).
 *
 * Reading: every value is read through pcd__copy, which unescapes it into a fixed-size field and
 * turns what cannot be copied (bad escape, too long) into a problem instead of a truncation.
 * Writing: on top of struct hl7_builder (hl7.h), which escapes and ends segments with CR.
 */
#ifndef PCD_INTERNAL_H
#define PCD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"
#include "hl7/mdc.h"
#include "hl7/pcd.h"

#if defined(__GNUC__)
#define PCD__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PCD__PRINTF(f, a)
#endif

/* MSH-21 profile OIDs (standards.md §2.7). */
#define PCD__OID_PCD01 "1.3.6.1.4.1.19376.1.6.1.1.1"
#define PCD__OID_PCD03 "1.3.6.1.4.1.19376.1.6.1.3.1"
#define PCD__OID_RRG_O16 "1.3.6.1.4.1.19376.1.6.1.3.2"
#define PCD__OID_PCD04 "1.3.6.1.4.1.19376.1.6.1.4.1"
#define PCD__OID_PCD05 "1.3.6.1.4.1.19376.1.6.1.5.1"
#define PCD__OID_PCD10 "1.3.6.1.4.1.19376.1.6.4.10"

/* A decoder's context: the message and where problems go. */
struct pcd__ctx {
    const struct hl7_msg *m;
    struct hl7_pcd_problems *probs;
    size_t errors_before; /* probs->n_errors when the decode began */
};

/* Start decoding m: problems go to probs. false when m does not begin with an MSH segment. */
bool pcd__decode_begin(struct pcd__ctx *c, const struct hl7_msg *m,
                       struct hl7_pcd_problems *probs);

/* How a decode begun with pcd__decode_begin ends: INVALID when it added an error, else OK. */
hl7_pcd_status pcd__decode_status(const struct pcd__ctx *c);

/* ---- problems -------------------------------------------------------------------------------- */

/* Append a problem about segment i_seg (0-based; SIZE_MAX for the message as a whole). */
void pcd__problem(struct pcd__ctx *c, char sev, size_t i_seg, unsigned field, unsigned comp,
                  unsigned hl7_code, unsigned piv_code, const char *fmt, ...) PCD__PRINTF(8, 9);
#define PCD__NO_SEG ((size_t)-1)

/* ---- reading values ---------------------------------------------------------------------------- */

typedef enum {
    PCD__ABSENT = 0, /* empty: not sent */
    PCD__NULLV,      /* the explicit null "" (buf is "") */
    PCD__VALUE,      /* buf holds the unescaped value */
    PCD__BAD         /* bad escape or too long: a problem was reported, buf is "" */
} pcd__got;

/* Field f / repetition rep / component comp / subcomponent sub (hl7_get numbering) of segment
 * i_seg, unescaped into buf[cap) (NUL-terminated). */
pcd__got pcd__copy(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, size_t comp,
                   size_t sub, char *buf, size_t cap);
/* The raw view (not unescaped); empty when absent. */
struct hl7_view pcd__raw(const struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep,
                         size_t comp, size_t sub);
/* Number of repetitions of a field (0 when empty). */
size_t pcd__reps(const struct pcd__ctx *c, size_t i_seg, size_t f);

/* A CWE (components 1-6 and 9) of field f repetition rep. */
void pcd__cwe(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, struct hl7_pcd_cwe *out);
/* A CWE that is a subcomponent group (TQ1-13.2: id&text&system). */
void pcd__cwe_sub(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, size_t comp,
                  struct hl7_pcd_cwe *out);
/* Resolve a unit from its CWE (MDC and/or UCUM triplets). Reports disagreeing triplets. */
void pcd__unit_from_cwe(struct pcd__ctx *c, size_t i_seg, unsigned field,
                        const struct hl7_pcd_cwe *cwe, struct hl7_pcd_unit *out);
/* Resolve a UCUM (or druglib) spelling: true when understood (fills ucum / pump unit). */
bool pcd__unit_from_ucum(const char *s, struct hl7_pcd_unit *out);
/* The rate kind of a resolved unit. */
hl7_pcd_rate_kind pcd__rate_kind(const struct hl7_pcd_unit *u);

/* True when s is an HL7 NM: [+|-] digits [. digits] (at least one digit). */
bool pcd__is_nm(const char *s);
/* A decimal string that is an unsigned integer 0..UINT32_MAX. */
bool pcd__parse_u32(const char *s, uint32_t *out);
/* Check a DTM text: parseable, and with a UTC offset when need_offset. Reports a problem. */
void pcd__check_dtm(struct pcd__ctx *c, size_t i_seg, unsigned field, const char *text,
                    bool need_offset);

/* MSH into out and the checks every PCD message shares (type/event given, MSH-10, MSH-7 with
 * offset, MSH-15/16 expectations, MSH-21 OID, MSH-12). oid may be NULL (ACKs). */
void pcd__msh(struct pcd__ctx *c, struct hl7_pcd_msh *out);
void pcd__msh_expect(struct pcd__ctx *c, const struct hl7_pcd_msh *msh, const char *accept_ack,
                     const char *app_ack, const char *oid);
/* True when MSH-9.1/9.2 are type/event. */
bool pcd__msh9_is(const struct pcd__ctx *c, const char *type, const char *event);
/* PID (at i_seg) into p; PV1 location when i_pv1 is a PV1. */
void pcd__pid(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_patient *p);
void pcd__pv1(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_patient *p);
/* An XCN person: id (comp 1), family (2.1 / 2), given (3). */
void pcd__person(struct pcd__ctx *c, size_t i_seg, size_t f, struct hl7_pcd_person *out);

/* OBX at i_seg into out (obr = its OBR group). Reports escape/length problems only. */
void pcd__obx(struct pcd__ctx *c, size_t i_seg, uint32_t obr, struct hl7_pcd_obs *out);
/* The MDC term an OBX-3 names: by code when known, else by RefID. NULL when neither. */
const struct hl7_mdc_term *pcd__term(uint32_t code, const char *refid);
/* The MDC term a coded field f ("code^refid^...") of segment i_seg names, as pcd__term; the code
 * (0 when not a number) and the RefID are copied out too. */
const struct hl7_mdc_term *pcd__coded_term(struct pcd__ctx *c, size_t i_seg, size_t f,
                                           uint32_t *code, char *refid, size_t refid_cap);
/* Parse a dotted OBX-4 ("1.1.2.13"); false when not 1..HL7_PCD_MAX_LEVELS numbers. */
bool pcd__parse_path(const char *s, uint32_t *level, size_t *n_levels);
/* Numeric per-level comparison of two paths (<0, 0, >0). */
int pcd__path_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb);

/* Bounded copy: false (dst = "") when src does not fit. */
bool pcd__scpy(char *dst, size_t cap, const char *src);
bool pcd__streq(const char *a, const char *b);
/* Append src to the NUL-terminated dst[cap), truncating (for texts built from bounded parts). */
void pcd__cat(char *dst, size_t cap, const char *src);
/* v in decimal. */
void pcd__u32_text(uint32_t v, char out[11]);

/* ---- writing ----------------------------------------------------------------------------------- */

/* MSH with the encoding |^~\&, MSH-9 type^event^structure, MSH-11 hdr->processing_id or "P",
 * MSH-12 version, MSH-15/16, MSH-18 UNICODE UTF-8, MSH-21 name^IHE PCD^oid^ISO when oid. */
void pcd__b_msh(struct hl7_builder *b, const struct hl7_pcd_msh *hdr, const char *type,
                const char *event, const char *structure, const char *version,
                const char *accept_ack, const char *app_ack, const char *profile_name,
                const char *oid);
/* Validate the header fields every builder needs. */
bool pcd__hdr_ok(const struct hl7_pcd_msh *hdr);
/* True when text is a DTM with a UTC offset. */
bool pcd__dtm_has_offset(const char *text);
/* PID + PV1 of a patient (nothing when !p->present). */
void pcd__b_patient(struct hl7_builder *b, const struct hl7_pcd_patient *p);
/* A component sequence "code^REFID^MDC" starting as a new field. */
void pcd__b_mdc_field(struct hl7_builder *b, hl7_mdc_id id);
/* Units field: MDC code + UCUM when the table has a verified MDC unit for ucum, else UCUM. */
void pcd__b_unit_field(struct hl7_builder *b, const char *ucum);
/* Builder status to ours. */
hl7_pcd_status pcd__b_finish(struct hl7_builder *b, size_t *len);

#endif
