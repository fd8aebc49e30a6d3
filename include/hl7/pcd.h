/*
 * pcd.h - IHE PCD messages on top of the HL7 v2 parser and builder (hl7.h).
 *
 *   PCD-03  RGV^O15^RGV_O15   order in (decode)            hl7_pcd03_decode
 *           ACK^O15^ACK       accept ack (build, decode)   hl7_pcd_ack_o15_build
 *           RRG^O16^RRG_O16   application ack (build, decode) hl7_pcd_rrg_o16_build
 *   PCD-01  ORU^R01^ORU_R01   pump status (build, decode)  hl7_pcd01_build / hl7_pcd01_decode
 *   PCD-10  ORU^R42^ORU_R01   infusion event (build, decode) hl7_pcd10_build / hl7_pcd10_decode
 *   PCD-04  ORU^R40^ORU_R40   alert (build, decode)        hl7_pcd04_build / hl7_pcd04_decode
 *   PCD-05  ORA^R41^ORA_R41   alert status (decode)        hl7_pcd05_decode
 *   any of them: conformance problems                      hl7_pcd_validate
 *
 * Rules implemented: docs/standards.md §2.6-2.7 and §3; what this layer decides where the
 * standard leaves room: docs/hl7.md, "PCD messages".
 *
 * Storage: every decoded value is copied, unescaped, into fixed-size fields of caller-owned
 * structs (no allocation anywhere). Numbers stay exact: the NM text as written ("5.00", "13.3")
 * plus its unit, never a double. A value longer than its field is not truncated silently: it is
 * a problem (HL7 0357 code 104, value too long) and the field is left empty.
 *
 * Decoders take a message already parsed by hl7_parse (the caller checks MSH-9 once and picks the
 * decoder; hl7_pcd_profile_of helps). They fill *out as far as the message allows and append
 * every problem found to *probs (hl7_pcd_problems_init it first; the returned status counts only
 * the errors this call added); out is meaningful unless HL7_PCD_UNUSABLE is returned.
 *
 * Builders write into caller buffers, escape every value, end segments with CR only, put the
 * MSH-21 profile OID of standards.md §2.7 and MSH-15/16 of its table, and refuse time stamps
 * without a UTC offset. They return HL7_PCD_ERR_FULL (nothing usable in out) when cap is too
 * small; 16 KiB is always enough for the messages built here.
 */
#ifndef HL7_PCD_H
#define HL7_PCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"
#include "hl7/mdc.h"
#include "pump/pump_unit.h"

/* ---- sizes of the copied fields (each includes the NUL) ------------------------------------ */

#define HL7_PCD_ID_MAX 80       /* identifiers: control ids, placer ids, patient and pump ids */
#define HL7_PCD_TEXT_MAX 128    /* names and free text */
#define HL7_PCD_NUM_MAX 32      /* an NM value as written */
#define HL7_PCD_DTM_MAX 32      /* a DTM as written */
#define HL7_PCD_CODE_MAX 24     /* short codes: ORC-1, route, MSA-1, coding system names */
#define HL7_PCD_UNIT_MAX 32     /* a unit code as written, or its UCUM form */
#define HL7_PCD_REFID_MAX 64    /* an MDC RefID */
#define HL7_PCD_PATH_MAX 40     /* an OBX-4 dotted path */
#define HL7_PCD_PROBLEM_TEXT_MAX 200

#define HL7_PCD_MAX_PROBLEMS 64 /* more are counted in n_dropped */
#define HL7_PCD_MAX_STEPS 8     /* multistep orders (RXG groups) */
#define HL7_PCD_MAX_PARAMS 16   /* programming parameters of an order (PCA limits, ...) */
#define HL7_PCD_MAX_OBS 96      /* OBX kept by the PCD-01/-10/-05 decoders */
#define HL7_PCD_MAX_ERRS 8      /* ERR segments of a reply */
#define HL7_PCD_MAX_RECIPIENTS 8 /* PRT segments of a PCD-05 */
#define HL7_PCD_MAX_LEVELS 6     /* MDS.VMD.CHAN.METRIC.FACET.SUBFACET */

/* ---- status and problems --------------------------------------------------------------------- */

typedef enum {
    HL7_PCD_OK = 0,        /* decoded (or valid); problems may still hold warnings */
    HL7_PCD_INVALID = 1,   /* decoded as far as possible; problems hold at least one error */
    HL7_PCD_UNUSABLE = 2,  /* not this kind of message (MSH-9), or no MSH: nothing decoded */
    HL7_PCD_ERR_ARG = 3,   /* NULL argument, or builder input that cannot make a valid message */
    HL7_PCD_ERR_FULL = 4   /* builder: the output buffer is too small */
} hl7_pcd_status;

/* A static English name ("ok", "invalid", ...). */
const char *hl7_pcd_status_str(hl7_pcd_status st);

/* Severity of a problem: an error breaks the profile (the message is rejected or flagged); a
 * warning is a deviation this layer accepts (deprecated forms, MSH-12 other than 2.6, ...). */
#define HL7_PCD_SEV_ERROR 'E'
#define HL7_PCD_SEV_WARNING 'W'

struct hl7_pcd_problem {
    char segment[4];     /* "MSA"; "" for the message as a whole */
    uint32_t seg_index;  /* 1-based segment number in the message; 0 when none */
    uint16_t field;      /* HL7 field number; 0 for the segment itself */
    uint16_t component;  /* 0 for the whole field */
    uint16_t hl7_code;   /* HL7 table 0357 (101 required field missing, 103, ...) */
    uint16_t piv_code;   /* PIV application error 9001..9033 (PCD-03), 0 when none applies */
    char severity;       /* HL7_PCD_SEV_ERROR or HL7_PCD_SEV_WARNING */
    char text[HL7_PCD_PROBLEM_TEXT_MAX]; /* "MSA-2 is empty (required: ...)" */
};

struct hl7_pcd_problems {
    struct hl7_pcd_problem items[HL7_PCD_MAX_PROBLEMS];
    size_t n;
    size_t n_errors;   /* including dropped ones */
    size_t n_warnings; /* including dropped ones */
    size_t n_dropped;
};

/* Empty the list (cannot fail). */
void hl7_pcd_problems_init(struct hl7_pcd_problems *p);

/* The location of a problem as text: "MSA-2", "RXG-16.1", "OBX" (segment only), "message". */
void hl7_pcd_problem_where(const struct hl7_pcd_problem *p, char *buf, size_t cap);

/* The sentence of a PIV application error code (standards.md §3.2.9), NULL outside 9001..9033. */
const char *hl7_pcd_piv_text(unsigned code);

/* ---- pieces shared by several messages -------------------------------------------------------- */

/* HD: namespace^universal id^universal id type (MSH-3/5). */
struct hl7_pcd_hd {
    char ns[HL7_PCD_ID_MAX];
    char uid[HL7_PCD_ID_MAX];      /* EUI-64 as 16 hex digits, preferred by IHE */
    char uid_type[HL7_PCD_CODE_MAX]; /* "EUI-64" */
};

/*
 * The MSH fields PCD cares about. Decoders fill all of them. Builders read only sending_app,
 * sending_facility, receiving_app, receiving_facility, control_id (required), time (required,
 * with offset) and processing_id ("" means "P"); they set type, version, ack modes and profile.
 */
struct hl7_pcd_msh {
    struct hl7_pcd_hd sending_app;                /* MSH-3 */
    char sending_facility[HL7_PCD_ID_MAX];        /* MSH-4.1 */
    struct hl7_pcd_hd receiving_app;              /* MSH-5 */
    char receiving_facility[HL7_PCD_ID_MAX];      /* MSH-6.1 */
    char time[HL7_PCD_DTM_MAX];                   /* MSH-7 */
    char type[HL7_PCD_CODE_MAX];                  /* MSH-9.1 "ORU" */
    char event[HL7_PCD_CODE_MAX];                 /* MSH-9.2 "R01" */
    char structure[HL7_PCD_CODE_MAX];             /* MSH-9.3 "ORU_R01" */
    char control_id[HL7_PCD_ID_MAX];              /* MSH-10 */
    char processing_id[HL7_PCD_CODE_MAX];         /* MSH-11 */
    char version[HL7_PCD_CODE_MAX];               /* MSH-12 */
    char accept_ack[HL7_PCD_CODE_MAX];            /* MSH-15 */
    char app_ack[HL7_PCD_CODE_MAX];               /* MSH-16 */
    char charset[HL7_PCD_CODE_MAX];               /* MSH-18 (first repetition) */
    char profile_name[HL7_PCD_ID_MAX];            /* MSH-21.1 (for humans) */
    char profile_oid[HL7_PCD_ID_MAX];             /* MSH-21.3 (what identifies the profile) */
};

/* A CWE / CE: primary triplet, alternate triplet, original text (component 9). */
struct hl7_pcd_cwe {
    char id[HL7_PCD_ID_MAX];
    char text[HL7_PCD_TEXT_MAX];
    char system[HL7_PCD_CODE_MAX];
    char alt_id[HL7_PCD_ID_MAX];
    char alt_text[HL7_PCD_TEXT_MAX];
    char alt_system[HL7_PCD_CODE_MAX];
    char original_text[HL7_PCD_TEXT_MAX];
};

/*
 * A unit as sent (MDC and/or UCUM, either triplet of the CWE) and what it resolves to.
 * ucum is the canonical UCUM spelling when the unit is understood ("mL/h", "ug/kg/min", "[iU]/h");
 * pump_unit is the drug-library form of the same unit (mcg, units, mEq ...) when it has one.
 */
struct hl7_pcd_unit {
    bool present;                      /* the units field was sent */
    bool known;                        /* resolved (ucum is set) */
    char raw[HL7_PCD_UNIT_MAX];        /* the first non-empty code as sent (CWE-1, else CWE-2) */
    char ucum[HL7_PCD_UNIT_MAX];       /* canonical UCUM, "" when not understood */
    uint32_t mdc_code;                 /* the MDC unit code sent, 0 when none */
    bool has_pump_unit;
    struct pump_unit pump_unit;        /* valid when has_pump_unit */
};

/* A number with its unit. value is the NM text exactly as sent (validated as a decimal). */
struct hl7_pcd_qty {
    bool present;
    char value[HL7_PCD_NUM_MAX];
    struct hl7_pcd_unit unit;
};

/* A person (XCN): id, family name, given name. */
struct hl7_pcd_person {
    char id[HL7_PCD_ID_MAX];
    char family[HL7_PCD_TEXT_MAX];
    char given[HL7_PCD_TEXT_MAX];
};

struct hl7_pcd_patient {
    bool present;                         /* a PID segment was there */
    char id[HL7_PCD_ID_MAX];              /* PID-3.1 (first repetition) */
    char id_authority[HL7_PCD_ID_MAX];    /* PID-3.4.1 */
    char id_type[HL7_PCD_CODE_MAX];       /* PID-3.5 ("PI", "MR") */
    char family[HL7_PCD_TEXT_MAX];        /* PID-5.1 */
    char given[HL7_PCD_TEXT_MAX];         /* PID-5.2 */
    char birth[HL7_PCD_DTM_MAX];          /* PID-7 */
    char sex[HL7_PCD_CODE_MAX];           /* PID-8 */
    bool identity_unknown;                /* PID-31 = Y: do not file against a patient */
    char location[HL7_PCD_TEXT_MAX];      /* PV1-3 as "unit^room^bed" (unescaped components) */
};

/* Everywhere: a string "" means "not sent"; builders never write an empty optional part. */

/* ---- pieces for builders outside hl7/ (ehrsim's orders, infusiond's documentation) ---------- */

/* Whether s is an NM value as the PCD builders and decoders take it: an optional sign, digits, an
 * optional fraction, at least one digit (s may be NULL: false). */
bool hl7_pcd_is_nm(const char *s);
/* Writes a units field as every PCD builder does: "code^RefID^MDC^ucum^ucum^UCUM" when the MDC
 * table has an emittable unit for ucum, else "ucum^ucum^UCUM". */
void hl7_pcd_build_unit(struct hl7_builder *b, const char *ucum);

/* ---- profile identification ----------------------------------------------------------------- */

typedef enum {
    HL7_PCD_PROFILE_AUTO = 0, /* guess from MSH-9 */
    HL7_PCD_PROFILE_PCD01,
    HL7_PCD_PROFILE_PCD03,
    HL7_PCD_PROFILE_PCD04,
    HL7_PCD_PROFILE_PCD05,
    HL7_PCD_PROFILE_PCD10,
    HL7_PCD_PROFILE_ACK,      /* an accept or application ACK (ACK^O15, ACK^R01, ACK^O16 ...) */
    HL7_PCD_PROFILE_RRG_O16,
    HL7_PCD_PROFILE_UNKNOWN
} hl7_pcd_profile;

/* The profile MSH-9 names: RGV^O15 -> PCD03, ORU^R01 -> PCD01, ORU^R42 -> PCD10, ORU^R40 -> PCD04,
 * ORA^R41 (and ORU^R41, the TF's other spelling) -> PCD05, RRG^O16, ACK^* -> ACK; else UNKNOWN. */
hl7_pcd_profile hl7_pcd_profile_of(const struct hl7_msg *m);
/* "pcd-01" ... "ack", "rrg-o16"; parse accepts the same names. */
const char *hl7_pcd_profile_str(hl7_pcd_profile p);
bool hl7_pcd_profile_parse(const char *name, hl7_pcd_profile *out);

/*
 * hl7_pcd_validate - every conformance problem of m against profile (AUTO: from MSH-9), by running
 * the matching decoder. *used gets the profile applied (may be NULL).
 * Returns HL7_PCD_OK (no error), HL7_PCD_INVALID (errors listed), HL7_PCD_UNUSABLE (profile
 * unknown or MSH-9 of another message; one problem says why).
 * Uses about 80 KiB of stack for the decoded message.
 */
hl7_pcd_status hl7_pcd_validate(const struct hl7_msg *m, hl7_pcd_profile profile,
                                struct hl7_pcd_problems *probs, hl7_pcd_profile *used);

/* ---- PCD-03 order ----------------------------------------------------------------------------- */

typedef enum {
    HL7_PCD_OC_NONE = 0, /* ORC-1 missing */
    HL7_PCD_OC_NEW,      /* RE: start of a new bag / container */
    HL7_PCD_OC_CHANGE,   /* XO: change of rate or dose of the running infusion */
    HL7_PCD_OC_BOLUS,    /* CH: bolus from the running infusion (ORC-8 = parent) */
    HL7_PCD_OC_OTHER     /* any other value (an error) */
} hl7_pcd_order_control;

/* What RXG-15/16 hold, from the unit. */
typedef enum {
    HL7_PCD_RATE_NONE = 0,  /* RXG-15 empty */
    HL7_PCD_RATE_VOLUME,    /* volume per time: mL/h */
    HL7_PCD_RATE_DOSE_RATE, /* amount [per kg|m2] per time: ug/kg/min, [iU]/h */
    HL7_PCD_RATE_DOSE,      /* amount [per kg|m2]: a dose (needs a TQ1 duration) */
    HL7_PCD_RATE_UNKNOWN    /* unit not understood */
} hl7_pcd_rate_kind;

/* One RXG group (one step of a multistep order; a plain order has one). */
struct hl7_pcd_step {
    uint32_t number;                    /* RXG-1 */
    struct hl7_pcd_cwe give_code;       /* RXG-4: drug id + name (drug-library match) */
    struct hl7_pcd_qty vtbi;            /* RXG-5 + RXG-7 (mL) */
    struct hl7_pcd_qty rate;            /* RXG-15 + RXG-16 */
    uint8_t rate_kind;                  /* hl7_pcd_rate_kind */
    struct hl7_pcd_qty strength;        /* RXG-17 + RXG-18: drug amount in the container */
    struct hl7_pcd_qty strength_volume; /* RXG-23 + RXG-24 (mL): diluent volume */
    struct hl7_pcd_qty duration[3];     /* TQ1-13 repetitions: 2 h + 45 min */
    size_t n_duration;
    bool has_tq1;
    char route[HL7_PCD_CODE_MAX];       /* RXR-1 code ("IV"), from component 2 or 1 */
    char device[HL7_PCD_CODE_MAX];      /* RXR-3 code: IVP, PCA, SYR */
    char method[HL7_PCD_CODE_MAX];      /* RXR-4 code: IV (primary), IVPB (piggyback) */
    char order_type[HL7_PCD_TEXT_MAX];  /* MDCX_INFUSION_ORDER_TYPE: clinician-dose, ... */
    char step_type[HL7_PCD_TEXT_MAX];   /* MDCX_INFUS_ORDER_STEP_TYPE */
    struct hl7_pcd_qty bolus_rate;      /* MDC_FLOW_FLUID_PUMP OBX (bolus given as a dose) */
};

/* A programming parameter OBX of the order (PCA limits, container volume, clinician dose ...). */
struct hl7_pcd_param {
    hl7_mdc_id mdc;                     /* HL7_MDC_COUNT when not in the table */
    uint32_t code;                      /* as sent */
    char refid[HL7_PCD_REFID_MAX];      /* as sent */
    struct hl7_pcd_qty q;
    uint32_t step;                      /* RXG group it came with (1-based) */
};

struct hl7_pcd_order {
    struct hl7_pcd_msh msh;
    struct hl7_pcd_patient patient;
    struct hl7_pcd_qty weight;          /* MDC_ATTR_PT_WEIGHT (kg or g) */
    struct hl7_pcd_qty height;          /* MDC_ATTR_PT_HEIGHT (cm) */
    struct hl7_pcd_qty bsa;             /* MDC_AREA_BODY_SURF_ACTUAL (m2) */

    char control_text[HL7_PCD_CODE_MAX]; /* ORC-1 as sent */
    uint8_t control;                     /* hl7_pcd_order_control */
    char placer_id[HL7_PCD_ID_MAX];      /* ORC-2.1 */
    char filler_id[HL7_PCD_ID_MAX];      /* ORC-3.1 (not used by PIV; kept when sent) */
    char parent_id[HL7_PCD_ID_MAX];      /* ORC-8.1 (bolus: the running infusion's order) */
    char request_time[HL7_PCD_DTM_MAX];  /* ORC-9: when the clinician asked (staleness, 9022) */
    struct hl7_pcd_person ordering;      /* ORC-12 */
    struct hl7_pcd_person nurse;         /* ORC-19: who initiated the request */

    char pump_id[HL7_PCD_ID_MAX];        /* OBX-18 of the MDC_DEV_PUMP_INFUS_VMD OBX */
    char pump_vendor[HL7_PCD_ID_MAX];    /* current form EI-3 (+ EI-4), legacy form EI-4 */
    bool pump_id_legacy;                 /* the deprecated ^^ID^VENDOR form was used */

    struct hl7_pcd_step steps[HL7_PCD_MAX_STEPS];
    size_t n_steps;
    uint32_t total_steps;                /* MDCX_INFUS_TOTAL_NUM_STEPS, 0 when not sent */

    struct hl7_pcd_param params[HL7_PCD_MAX_PARAMS];
    size_t n_params;
};

/*
 * hl7_pcd03_decode - an RGV^O15 into *out, checking every rule of standards.md §3.2 (problems
 * carry the HL7 0357 code and, for the order's content, the PIV code 9001..9033).
 * Returns HL7_PCD_OK, HL7_PCD_INVALID, HL7_PCD_UNUSABLE (MSH-9 is not RGV^O15), HL7_PCD_ERR_ARG.
 */
hl7_pcd_status hl7_pcd03_decode(const struct hl7_msg *m, struct hl7_pcd_order *out,
                                struct hl7_pcd_problems *probs);

/* ---- ACK^O15 and RRG^O16 ---------------------------------------------------------------------- */

/* One ERR segment. */
struct hl7_pcd_err {
    uint16_t hl7_code;                  /* ERR-3.1, table 0357 (required) */
    char severity;                      /* ERR-4, table 0516: E W I F (required) */
    uint16_t piv_code;                  /* ERR-5.1, 0 when none */
    char location[HL7_PCD_CODE_MAX];    /* ERR-2 as "RXG^1^16" (segment^seq^field), "" none */
    char text[HL7_PCD_PROBLEM_TEXT_MAX]; /* ERR-8: the sentence for the user */
};

typedef enum {
    HL7_PCD_REPLY_ACK_O15 = 0, /* accept ack: CA / CE / CR */
    HL7_PCD_REPLY_RRG_O16      /* application ack: AA / AE / AR */
} hl7_pcd_reply_kind;

struct hl7_pcd_reply {
    struct hl7_pcd_msh msh;              /* of the reply itself */
    char code[HL7_PCD_CODE_MAX];         /* MSA-1 */
    char acked_id[HL7_PCD_ID_MAX];       /* MSA-2: MSH-10 of the order */
    struct hl7_pcd_err errs[HL7_PCD_MAX_ERRS];
    size_t n_errs;
    /* RRG^O16 only (optional there): */
    char patient_id[HL7_PCD_ID_MAX];     /* PID-3.1 */
    char placer_id[HL7_PCD_ID_MAX];      /* ORC-2.1 */
};

/*
 * hl7_pcd_reply_prepare - the reply of `kind` to an order decoded with the problems probs:
 * MSH apps/facilities swapped, MSH-12 echoed, MSA-2 = the order's MSH-10, and one ERR per error
 * problem (at most HL7_PCD_MAX_ERRS; problems with PIV codes first for RRG^O16).
 * ACK^O15: CA without errors; CR when MSH-9/MSH-11/MSH-12 cannot be processed (0357 codes
 * 200-203); CE otherwise. RRG^O16: AA without errors, AR for 200-203, AE otherwise.
 * control_id and time are the reply's own MSH-10 and MSH-7 (copied; time must carry an offset).
 * Returns HL7_PCD_OK or HL7_PCD_ERR_ARG (NULL, or a string that does not fit).
 */
hl7_pcd_status hl7_pcd_reply_prepare(hl7_pcd_reply_kind kind, const struct hl7_pcd_order *order,
                                     const struct hl7_pcd_problems *probs, const char *control_id,
                                     const char *time, struct hl7_pcd_reply *out);

/*
 * hl7_pcd_reply_add_error - append an ERR (application errors found after decoding: drug not in
 * the library 9010, pump busy 9002 ...). Switches AA/CA to AE/CE. text may be NULL (the PIV
 * sentence is used). Returns HL7_PCD_OK or HL7_PCD_ERR_FULL (HL7_PCD_MAX_ERRS reached).
 */
hl7_pcd_status hl7_pcd_reply_add_error(struct hl7_pcd_reply *r, unsigned hl7_code,
                                       unsigned piv_code, const char *text);

/* Build ACK^O15^ACK (no MSH-21, as for every ACK) / RRG^O16^RRG_O16 (MSH-15 AL, MSH-16 NE,
 * MSH-21 1.3.6.1.4.1.19376.1.6.1.3.2; PID when patient_id is set, ORC when placer_id is set).
 * Returns HL7_PCD_OK (*len set), HL7_PCD_ERR_ARG (missing control id, time, MSA-2; bad code for
 * the kind; time without offset), HL7_PCD_ERR_FULL. */
hl7_pcd_status hl7_pcd_ack_o15_build(const struct hl7_pcd_reply *r, char *out, size_t cap,
                                     size_t *len);
hl7_pcd_status hl7_pcd_rrg_o16_build(const struct hl7_pcd_reply *r, char *out, size_t cap,
                                     size_t *len);

/*
 * hl7_pcd_reply_decode - an ACK (any event) or an RRG^O16 into *out, with its problems (MSA-2
 * empty, unknown MSA-1, ERR without ERR-3 or ERR-4, ...). hl7_ack_is_success tells success.
 * Returns HL7_PCD_OK, HL7_PCD_INVALID, HL7_PCD_UNUSABLE (not ACK/RRG), HL7_PCD_ERR_ARG.
 */
hl7_pcd_status hl7_pcd_reply_decode(const struct hl7_msg *m, struct hl7_pcd_reply *out,
                                    struct hl7_pcd_problems *probs);

/* ---- pump status (input of PCD-01/-10/-04 builders, output of their decoders) ---------------- */

typedef enum {
    HL7_PCD_PUMP_IDLE = 0,      /* programmed or not, not delivering, nothing wrong */
    HL7_PCD_PUMP_INFUSING,
    HL7_PCD_PUMP_PAUSED,        /* stopped by the clinician */
    HL7_PCD_PUMP_ALARM_STOPPED, /* stopped by an alarm */
    HL7_PCD_PUMP_KVO,           /* keep vein open after the VTBI was reached */
    HL7_PCD_PUMP_COMPLETE,      /* VTBI reached, stopped */
    HL7_PCD_PUMP_STATE_COUNT
} hl7_pcd_pump_state;

/* The active source (MDC_DEV_PUMP_ACTIVE_SOURCES, pump-source-info-*). */
typedef enum {
    HL7_PCD_SRC_PRIMARY = 0,
    HL7_PCD_SRC_SECONDARY,
    HL7_PCD_SRC_PCA,
    HL7_PCD_SRC_LOADING,
    HL7_PCD_SRC_CLINICIAN, /* a clinician bolus */
    HL7_PCD_SRC_INTERMITTENT,
    HL7_PCD_SRC_COUNT
} hl7_pcd_source;

/* MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE (pump-program-delivery-mode-*). */
typedef enum {
    HL7_PCD_MODE_CONTINUOUS = 0,
    HL7_PCD_MODE_MULTI_STEP,
    HL7_PCD_MODE_MULTI_DOSING,
    HL7_PCD_MODE_RAMP_TAPER,
    HL7_PCD_MODE_COUNT
} hl7_pcd_delivery_mode;

/*
 * One pump channel as the server knows it. Numbers are exact decimal text ("" = not reported);
 * every unit is named: rate and flow in mL/h, volumes in mL, time in min, weight in kg; the dose
 * rate and the concentration carry their own UCUM unit text.
 */
struct hl7_pcd_pump {
    char eui64[17];                          /* 16 hex digits: MDS OBX-18 and OBR-3 */
    char pump_id[HL7_PCD_ID_MAX];            /* the id PCD-03 uses (VMD OBX-18), may be "" */
    uint32_t channel;                        /* VMD number 1..99 */
    char channel_label[HL7_PCD_TEXT_MAX];    /* "Primary" */
    uint8_t state;                           /* hl7_pcd_pump_state */
    uint8_t source;                          /* hl7_pcd_source */
    uint8_t delivery_mode;                   /* hl7_pcd_delivery_mode */
    bool auto_programmed;                    /* settings came from PCD-03: OBX-17 ASET, else MSET */

    struct hl7_pcd_patient patient;          /* present == false: no PID/PV1 is sent */
    char placer_id[HL7_PCD_ID_MAX];          /* OBR-2: the PCD-03 order (or bolus order) */
    char parent_id[HL7_PCD_ID_MAX];          /* OBR-29: the parent order of a bolus */
    char drug_code[HL7_PCD_ID_MAX];          /* OBR-4.1; "" -> 999999^Medication Unknown */
    char drug_name[HL7_PCD_TEXT_MAX];        /* OBR-4.2 and MDC_DRUG_NAME_LABEL */

    char rate_ml_h[HL7_PCD_NUM_MAX];         /* programmed rate, MDC_FLOW_FLUID_PUMP */
    char flow_ml_h[HL7_PCD_NUM_MAX];         /* current flow, MDC_FLOW_FLUID_PUMP_CURRENT */
    char dose_rate[HL7_PCD_NUM_MAX];         /* MDC_RATE_DOSE */
    char dose_rate_unit[HL7_PCD_UNIT_MAX];   /* its UCUM unit ("ug/kg/min") */
    char vtbi_ml[HL7_PCD_NUM_MAX];           /* MDC_VOL_FLUID_TBI */
    char vtbi_remain_ml[HL7_PCD_NUM_MAX];    /* MDC_VOL_FLUID_TBI_REMAIN */
    char volume_infused_ml[HL7_PCD_NUM_MAX]; /* MDC_VOL_FLUID_DELIV_TOTAL */
    char time_remain_min[HL7_PCD_NUM_MAX];   /* MDC_TIME_PD_REMAIN */
    char conc[HL7_PCD_NUM_MAX];              /* MDC_CONC_DRUG */
    char conc_unit[HL7_PCD_UNIT_MAX];        /* its UCUM unit ("mg/mL") */
    char weight_kg[HL7_PCD_NUM_MAX];         /* MDC_ATTR_PT_WEIGHT */
    char library_version[HL7_PCD_ID_MAX];    /* MDC_PUMP_DRUG_LIBRARY_VERSION */
    char care_area[HL7_PCD_TEXT_MAX];        /* MDC_PUMP_DRUG_LIBRARY_CARE_AREA */
    char nurse_id[HL7_PCD_ID_MAX];           /* OBX-16 of the MDS: responsible observer */
    char obs_time[HL7_PCD_DTM_MAX];          /* OBR-7: when these values held (with offset) */
};

/* One OBX as decoded by the PCD-01/-10/-05 decoders. */
struct hl7_pcd_obs {
    uint32_t obr;                         /* OBR group, 1-based */
    char path[HL7_PCD_PATH_MAX];          /* OBX-4 as sent */
    uint32_t level[HL7_PCD_MAX_LEVELS];   /* OBX-4 parsed */
    size_t n_levels;
    bool is_device;                       /* device-related (trailing zeros, no value) */
    char value_type[HL7_PCD_CODE_MAX];    /* OBX-2 */
    uint32_t code;                        /* OBX-3.1 */
    char refid[HL7_PCD_REFID_MAX];        /* OBX-3.2 */
    hl7_mdc_id mdc;                       /* HL7_MDC_COUNT when not in the table */
    char value[HL7_PCD_TEXT_MAX];         /* OBX-5.1 (first repetition) */
    char value2[HL7_PCD_TEXT_MAX];        /* OBX-5.2: CWE text / enumerations */
    struct hl7_pcd_unit unit;             /* OBX-6 */
    char flags[HL7_PCD_CODE_MAX];         /* OBX-8, repetitions joined by '~' */
    char method[HL7_PCD_CODE_MAX];        /* OBX-17.1 */
    char time[HL7_PCD_DTM_MAX];           /* OBX-14 */
    char observer[HL7_PCD_ID_MAX];        /* OBX-16.1 */
    char equipment[HL7_PCD_ID_MAX];       /* OBX-18 EI-1 (EI-3 in the legacy ^^ID form) */
    char equipment_type[HL7_PCD_CODE_MAX]; /* OBX-18 EI-4 */
};

/* PCD-10 events (MDC_ATTR_EVT_COND). */
typedef enum {
    HL7_PCD_EVT_NONE = 0,
    HL7_PCD_EVT_DELIV_START,
    HL7_PCD_EVT_DELIV_STOP,
    HL7_PCD_EVT_DELIV_COMP,
    HL7_PCD_EVT_PROG_CLEARED,
    HL7_PCD_EVT_AUTO_PROG_CLEARED,
    HL7_PCD_EVT_COMM_STATUS_CHANGE,
    HL7_PCD_EVT_PATIENT_CHANGE,
    HL7_PCD_EVT_PATIENT_ID_CHANGE,
    HL7_PCD_EVT_PATIENT_PARAMETER_CHANGE,
    HL7_PCD_EVT_VOL_COUNTERS_CLEARED,
    HL7_PCD_EVT_DEVICE_TIME_CHANGED,
    HL7_PCD_EVT_UNKNOWN, /* an event code this table does not know (kept in event_code/refid) */
    HL7_PCD_EVT_COUNT
} hl7_pcd_event;

/* The MDC term of an event (NULL for NONE/UNKNOWN) and a static name ("delivery-start"). */
const struct hl7_mdc_term *hl7_pcd_event_term(hl7_pcd_event e);
const char *hl7_pcd_event_str(hl7_pcd_event e);

/* A decoded PCD-01 or PCD-10. */
struct hl7_pcd_device_report {
    struct hl7_pcd_msh msh;
    struct hl7_pcd_patient patient;
    char placer_id[HL7_PCD_ID_MAX];        /* OBR-2.1 of the first OBR */
    char filler_id[HL7_PCD_ID_MAX];        /* OBR-3.1 */
    struct hl7_pcd_cwe service;            /* OBR-4: the drug being infused */
    char obr_time[HL7_PCD_DTM_MAX];        /* OBR-7 */
    char parent_id[HL7_PCD_ID_MAX];        /* OBR-29 EI-1 */
    struct hl7_pcd_obs obs[HL7_PCD_MAX_OBS];
    size_t n_obs;                          /* kept; more are counted in n_obs_dropped */
    size_t n_obs_dropped;
    /* PCD-10 only: */
    uint8_t event;                         /* hl7_pcd_event */
    uint32_t event_code;                   /* as sent (0 with a RefID when not assigned) */
    char event_refid[HL7_PCD_REFID_MAX];
    char event_source[HL7_PCD_PATH_MAX];   /* MDC_ATTR_EVT_SOURCE: OBX-4 of the source */
    bool transitioning;                    /* delivery status pump-delivery-status-transitioning */
    char not_delivering_reason[HL7_PCD_TEXT_MAX]; /* pump-stopped-by-clinician, alarming, ... */
    /* The first infusion pump channel found, mapped back (fields stay "" when not reported). */
    bool has_pump;
    struct hl7_pcd_pump pump;
};

/*
 * hl7_pcd01_build - ORU^R01 periodic status of one channel: MDS (OBX-18 EUI-64) / VMD / delivery
 * channel / source channel and their metrics, dotted OBX-4 in numeric order, OBX-17 MSET or ASET
 * for settings and AMEAS for measurements, units as MDC + UCUM (UCUM only when the table has no
 * verified MDC unit). Required in pump: eui64 (16 hex digits), channel 1..99, obs_time.
 * Returns HL7_PCD_OK (*len set), HL7_PCD_ERR_ARG, HL7_PCD_ERR_FULL.
 */
hl7_pcd_status hl7_pcd01_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               char *out, size_t cap, size_t *len);

/*
 * hl7_pcd10_build - ORU^R42 with one event (MDC_ATTR_EVT_COND / MDC_ATTR_EVT_SOURCE at the MDS)
 * plus the channel's content, as in TF-2 Rev 9 App. M. pump->obs_time is the event time (when
 * it happened, not when sent). transitioning marks a stop/complete that is part of a change
 * (rate change = STOP transitioning + START; VTBI reached = COMP transitioning + START in KVO).
 * Events whose MDC code is not confirmed are sent as 0^REFID^MDC (mdc.h).
 */
hl7_pcd_status hl7_pcd10_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               hl7_pcd_event event, bool transitioning, char *out, size_t cap,
                               size_t *len);

/*
 * hl7_pcd01_decode / hl7_pcd10_decode - the observations, the containment checks of
 * standards.md §3.1 (OBX-4 unique per OBR group, numeric order, device before metric, OBX-6 on
 * numbers, timestamps with offset, OBX-18 at the MDS ...), and the first pump channel mapped
 * back into out->pump. pcd10 also requires exactly one event.
 */
hl7_pcd_status hl7_pcd01_decode(const struct hl7_msg *m, struct hl7_pcd_device_report *out,
                                struct hl7_pcd_problems *probs);
hl7_pcd_status hl7_pcd10_decode(const struct hl7_msg *m, struct hl7_pcd_device_report *out,
                                struct hl7_pcd_problems *probs);

/* ---- PCD-04 alerts and PCD-05 alert status ---------------------------------------------------- */

typedef enum {
    HL7_PCD_PHASE_NONE = 0, HL7_PCD_PHASE_TPOINT, HL7_PCD_PHASE_START, HL7_PCD_PHASE_START_ONLY,
    HL7_PCD_PHASE_CONTINUE, HL7_PCD_PHASE_END, HL7_PCD_PHASE_PRESENT, HL7_PCD_PHASE_UPDATE,
    HL7_PCD_PHASE_ESCALATE, HL7_PCD_PHASE_INACTIVATE, HL7_PCD_PHASE_ACKNOWLEDGED,
    HL7_PCD_PHASE_DEESCALATE, HL7_PCD_PHASE_RESET, HL7_PCD_PHASE_STOP, HL7_PCD_PHASE_COUNT
} hl7_pcd_alert_phase;

typedef enum {
    HL7_PCD_ASTATE_NONE = 0, HL7_PCD_ASTATE_INACTIVE, HL7_PCD_ASTATE_ACTIVE,
    HL7_PCD_ASTATE_LATCHED, HL7_PCD_ASTATE_COUNT
} hl7_pcd_alert_state;

/* Inactivation states (MDC_ATTR_ALARM_INACTIVATION_STATE, repeatable): a bit set. */
#define HL7_PCD_INACT_ENABLED 0x01U
#define HL7_PCD_INACT_AUDIO_PAUSED 0x02U
#define HL7_PCD_INACT_AUDIO_OFF 0x04U
#define HL7_PCD_INACT_ALARM_PAUSED 0x08U
#define HL7_PCD_INACT_ALARM_OFF 0x10U
#define HL7_PCD_INACT_ALERT_ACKNOWLEDGED 0x20U

typedef enum {
    HL7_PCD_PRIO_NONE = 0, /* not sent */
    HL7_PCD_PRIO_PN, HL7_PCD_PRIO_PL, HL7_PCD_PRIO_PM, HL7_PCD_PRIO_PH, HL7_PCD_PRIO_COUNT
} hl7_pcd_alert_priority;

typedef enum {
    HL7_PCD_ATYPE_NONE = 0, /* not sent */
    HL7_PCD_ATYPE_SP,       /* physiological alarm */
    HL7_PCD_ATYPE_ST,       /* technical alarm */
    HL7_PCD_ATYPE_SA,       /* advisory */
    HL7_PCD_ATYPE_COUNT
} hl7_pcd_alert_type;

/* Static wire names: "start", "active", "PH", "ST" ("" for NONE). */
const char *hl7_pcd_alert_phase_str(hl7_pcd_alert_phase p);
const char *hl7_pcd_alert_state_str(hl7_pcd_alert_state s);
const char *hl7_pcd_alert_priority_str(hl7_pcd_alert_priority p);
const char *hl7_pcd_alert_type_str(hl7_pcd_alert_type t);

struct hl7_pcd_alert {
    /* Identity: indication_id is new for every message about the alert (OBR-3); alert_id is the
     * indication_id of the alert's first message and is kept in OBR-29 for the alert's whole
     * life. Builders leave OBR-29 empty when alert_id is "" or equal to indication_id (the
     * initial indication). Decoders set alert_id to OBR-29, or to indication_id when empty. */
    char indication_id[HL7_PCD_ID_MAX];
    char alert_id[HL7_PCD_ID_MAX];
    bool is_initial;                         /* decode: OBR-29 was empty */
    hl7_mdc_id event;                        /* MDC_EVT_* of the condition (HL7_MDC_COUNT: unknown) */
    uint32_t event_code;                     /* as sent */
    char event_refid[HL7_PCD_REFID_MAX];     /* as sent */
    char event_text[HL7_PCD_TEXT_MAX];       /* CWE-9 original text ("Occlusion") */
    hl7_mdc_id source;                       /* the device it concerns (MDS, VMD ...) */
    uint8_t phase;                           /* hl7_pcd_alert_phase */
    uint8_t state;                           /* hl7_pcd_alert_state */
    uint8_t inactivation;                    /* HL7_PCD_INACT_* bits */
    uint8_t priority;                        /* hl7_pcd_alert_priority */
    uint8_t type;                            /* hl7_pcd_alert_type */
    bool legacy_obx8;                        /* decode: priority/type came from OBX-8 only */
    char time[HL7_PCD_DTM_MAX];              /* when the alert condition happened */
};

/* A decoded PCD-04. */
struct hl7_pcd_alert_report {
    struct hl7_pcd_msh msh;
    struct hl7_pcd_patient patient;
    char placer_id[HL7_PCD_ID_MAX];          /* OBR-2.1 */
    char obr_time[HL7_PCD_DTM_MAX];          /* OBR-7: when the AR packaged it */
    char equipment[HL7_PCD_ID_MAX];          /* OBX-18 of the event OBX (EUI-64) */
    struct hl7_pcd_alert alert;
};

/*
 * hl7_pcd04_build - ORU^R40 with exactly one alert: OBR-3 indication id, OBR-4 MDC_EVT_ALARM,
 * OBR-29 the alert id (not on the initial indication), and the facet OBX rows 1.0.0.0.1..7:
 * event identification, source, phase, state, inactivation state, and the separate priority and
 * type rows (never the deprecated OBX-8 form). pump gives the patient, location, eui64 and time
 * (OBR-7 = pump->obs_time); a->time is the alert's own time (OBX-14).
 * Required: indication_id, event in the table, phase, state, priority, type.
 */
hl7_pcd_status hl7_pcd04_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               const struct hl7_pcd_alert *a, char *out, size_t cap, size_t *len);

/* hl7_pcd04_decode - one alert; the deprecated OBX-8 priority/type form is accepted (warning),
 * the separate OBX rows win when both are sent; two alerts in one message is an error. */
hl7_pcd_status hl7_pcd04_decode(const struct hl7_msg *m, struct hl7_pcd_alert_report *out,
                                struct hl7_pcd_problems *probs);

/* A decoded PCD-05 (Alert Manager -> Alert Reporter: dissemination status). */
struct hl7_pcd_alert_status {
    struct hl7_pcd_msh msh;
    struct hl7_pcd_patient patient;
    char indication_id[HL7_PCD_ID_MAX];      /* OBR-3.1: the indication it reports on */
    char alert_id[HL7_PCD_ID_MAX];           /* OBR-29.1, else OBR-3.1 */
    char status[HL7_PCD_TEXT_MAX];           /* accepted / rejected / deliverable / undeliverable /
                                                queued (the first OBX-5 that is one), "" none */
    struct {
        char role[HL7_PCD_CODE_MAX];         /* PRT-4.1 ("AAP" = received/acknowledged) */
        struct hl7_pcd_person person;        /* PRT-5 */
        char telecom[HL7_PCD_TEXT_MAX];      /* PRT-15.1 */
    } recipients[HL7_PCD_MAX_RECIPIENTS];
    size_t n_recipients;
    struct hl7_pcd_obs obs[HL7_PCD_MAX_OBS];
    size_t n_obs;
    size_t n_obs_dropped;
};

hl7_pcd_status hl7_pcd05_decode(const struct hl7_msg *m, struct hl7_pcd_alert_status *out,
                                struct hl7_pcd_problems *probs);

#endif
