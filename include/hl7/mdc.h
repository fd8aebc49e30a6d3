/*
 * mdc.h - the ISO/IEEE 11073-10101 (MDC) terms OpenInfusion knows, as one table.
 *
 * The rows live in HL7_MDC_TERMS below (the one place; hl7/mdc_table.c turns them into data and
 * the enum hl7_mdc_id names each row). Source and trust of every code: standards.md §4.3.
 *
 *   HL7_MDC_TF         numeric code printed in an IHE TF / supplement / CP
 *   HL7_MDC_TF16       only partition::code printed; code = 65536 * partition + term code
 *   HL7_MDC_SHEET      an IHE working spreadsheet excerpt only
 *   HL7_MDC_CORR       corroborated by a real-world sample only (never by an IHE text)
 *   HL7_MDC_PENDING    IHE itself sends code 0 ("not yet assigned") with this RefID
 *   HL7_MDC_UNVERIFIED RefID known, code not confirmed: the table holds code 0, never a guess
 *
 * Builders emit the numeric code only for TF and TF16 rows (hl7_mdc_emit_code); every other row
 * is emitted as `0^REFID^MDC`, the convention IHE uses for codes not yet assigned, so no
 * unconfirmed number is ever sent as a fact. Decoders match on the code when it is non-zero and
 * known, else on the RefID (standards.md §4.1).
 */
#ifndef HL7_MDC_H
#define HL7_MDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    HL7_MDC_TF = 0,
    HL7_MDC_TF16,
    HL7_MDC_SHEET,
    HL7_MDC_CORR,
    HL7_MDC_PENDING,
    HL7_MDC_UNVERIFIED
} hl7_mdc_status;

/* Partition of a term (standards.md §4.1). */
typedef enum {
    HL7_MDC_PART_OBJ = 1,   /* devices, attributes */
    HL7_MDC_PART_SCADA = 2, /* metrics */
    HL7_MDC_PART_EVT = 3,   /* events, alerts */
    HL7_MDC_PART_DIM = 4    /* units */
} hl7_mdc_partition;

/*
 * X(ID, code, "RefID", partition, status, "UCUM or empty")
 * code is the decimal 32-bit context-free code (0 for PENDING and UNVERIFIED rows).
 * The UCUM column is filled for units only: the UCUM spelling sent beside the MDC unit.
 */
/* clang-format off */
#define HL7_MDC_TERMS(X) \
    /* devices and containment (partition 1) */ \
    X(DEV_PUMP_INFUS_MDS,             69985, "MDC_DEV_PUMP_INFUS_MDS",             1, HL7_MDC_TF,   "") \
    X(DEV_PUMP_INFUS_VMD,             69986, "MDC_DEV_PUMP_INFUS_VMD",             1, HL7_MDC_TF,   "") \
    X(DEV_PUMP_INFUS_CHAN_SOURCE,    126977, "MDC_DEV_PUMP_INFUS_CHAN_SOURCE",     1, HL7_MDC_TF16, "") \
    X(DEV_PUMP_INFUS_CHAN_DELIVERY,  126978, "MDC_DEV_PUMP_INFUS_CHAN_DELIVERY",   1, HL7_MDC_TF16, "") \
    X(DEV_PUMP_INFUS_LVP_MDS,         70049, "MDC_DEV_PUMP_INFUS_LVP_MDS",         1, HL7_MDC_TF,   "") \
    X(DEV_PUMP_INFUS_LVP_VMD,         70050, "MDC_DEV_PUMP_INFUS_LVP_VMD",         1, HL7_MDC_TF,   "") \
    X(DEV_PUMP_DELIVERY_INFO,         70067, "MDC_DEV_PUMP_DELIVERY_INFO",         1, HL7_MDC_TF,   "") \
    X(DEV_PUMP_INFUSATE_SOURCE_PRIMARY, 70071, "MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY", 1, HL7_MDC_TF, "") \
    X(DEV_PUMP_INFUS_RACK_MDS,        70101, "MDC_DEV_PUMP_INFUS_RACK_MDS",        1, HL7_MDC_SHEET, "") \
    /* vendor output shows 70053 / 70054: not confirmed, so not recorded as codes */ \
    X(DEV_PUMP_INFUS_SYRINGE_MDS,         0, "MDC_DEV_PUMP_INFUS_SYRINGE_MDS",     1, HL7_MDC_UNVERIFIED, "") \
    X(DEV_PUMP_INFUS_SYRINGE_VMD,         0, "MDC_DEV_PUMP_INFUS_SYRINGE_VMD",     1, HL7_MDC_UNVERIFIED, "") \
    /* attributes (partition 1) */ \
    X(ATTR_PT_WEIGHT,                 68063, "MDC_ATTR_PT_WEIGHT",                 1, HL7_MDC_TF,   "") \
    X(ATTR_PT_HEIGHT,                 68060, "MDC_ATTR_PT_HEIGHT",                 1, HL7_MDC_TF,   "") \
    X(ATTR_SYS_TYPE,                  67974, "MDC_ATTR_SYS_TYPE",                  1, HL7_MDC_TF16, "") \
    X(ATTR_ID_MODEL,                  67880, "MDC_ATTR_ID_MODEL",                  1, HL7_MDC_TF16, "") \
    X(ATTR_SYS_ID,                    67972, "MDC_ATTR_SYS_ID",                    1, HL7_MDC_TF16, "") \
    X(ATTR_ID_SOFT,                   67886, "MDC_ATTR_ID_SOFT",                   1, HL7_MDC_TF16, "") \
    X(ATTR_TIME_ABS,                  67975, "MDC_ATTR_TIME_ABS",                  1, HL7_MDC_TF16, "") \
    X(ATTR_VMS_MDS_STAT,              68007, "MDC_ATTR_VMS_MDS_STAT",              1, HL7_MDC_TF16, "") \
    X(ATTR_POWER_STAT,                67925, "MDC_ATTR_POWER_STAT",                1, HL7_MDC_TF16, "") \
    X(ATTR_VAL_BATT_CHARGE,           67996, "MDC_ATTR_VAL_BATT_CHARGE",           1, HL7_MDC_TF16, "") \
    X(TIME_CAP_STATE,                 68219, "MDC_TIME_CAP_STATE",                 1, HL7_MDC_TF,   "") \
    X(TIME_SYNC_PROTOCOL,             68220, "MDC_TIME_SYNC_PROTOCOL",             1, HL7_MDC_TF,   "") \
    X(ATTR_ALERT_SOURCE,              68480, "MDC_ATTR_ALERT_SOURCE",              1, HL7_MDC_TF,   "") \
    X(ATTR_EVENT_PHASE,               68481, "MDC_ATTR_EVENT_PHASE",               1, HL7_MDC_TF,   "") \
    X(ATTR_ALARM_STATE,               68482, "MDC_ATTR_ALARM_STATE",               1, HL7_MDC_TF,   "") \
    X(ATTR_ALARM_INACTIVATION_STATE,  68483, "MDC_ATTR_ALARM_INACTIVATION_STATE",  1, HL7_MDC_TF,   "") \
    X(ATTR_ALARM_PRIORITY,            68484, "MDC_ATTR_ALARM_PRIORITY",            1, HL7_MDC_TF,   "") \
    X(ATTR_ALERT_TYPE,                68485, "MDC_ATTR_ALERT_TYPE",                1, HL7_MDC_TF,   "") \
    X(ATTR_EVT_COND,                  68487, "MDC_ATTR_EVT_COND",                  1, HL7_MDC_TF,   "") \
    X(ATTR_EVT_SOURCE,                68488, "MDC_ATTR_EVT_SOURCE",                1, HL7_MDC_TF,   "") \
    /* metrics (partition 2) */ \
    X(FLOW_FLUID_PUMP,               157784, "MDC_FLOW_FLUID_PUMP",                2, HL7_MDC_TF,   "") \
    X(FLOW_FLUID_PUMP_CURRENT,       158014, "MDC_FLOW_FLUID_PUMP_CURRENT",        2, HL7_MDC_TF,   "") \
    X(RATE_DOSE,                     157924, "MDC_RATE_DOSE",                      2, HL7_MDC_TF,   "") \
    X(FLOW_DRUG_DELIV,               157804, "MDC_FLOW_DRUG_DELIV",                2, HL7_MDC_TF16, "") \
    X(VOL_FLUID_TBI,                 157884, "MDC_VOL_FLUID_TBI",                  2, HL7_MDC_TF,   "") \
    X(VOL_FLUID_TBI_REMAIN,          157872, "MDC_VOL_FLUID_TBI_REMAIN",           2, HL7_MDC_TF,   "") \
    X(VOL_FLUID_DELIV,               157864, "MDC_VOL_FLUID_DELIV",                2, HL7_MDC_TF16, "") \
    X(VOL_FLUID_DELIV_TOTAL,         157993, "MDC_VOL_FLUID_DELIV_TOTAL",          2, HL7_MDC_TF,   "") \
    X(VOL_FLUID_DELIV_SEGMENT,            0, "MDC_VOL_FLUID_DELIV_SEGMENT",        2, HL7_MDC_UNVERIFIED, "") \
    X(VOL_INFUS_ACTUAL_TOTAL,        157948, "MDC_VOL_INFUS_ACTUAL_TOTAL",         2, HL7_MDC_TF16, "") \
    X(TIME_PD_REMAIN,                157916, "MDC_TIME_PD_REMAIN",                 2, HL7_MDC_TF,   "") \
    X(CONC_DRUG,                     157760, "MDC_CONC_DRUG",                      2, HL7_MDC_TF,   "") \
    X(DRUG_NAME_TYPE,                184330, "MDC_DRUG_NAME_TYPE",                 2, HL7_MDC_TF16, "") \
    X(DRUG_NAME_LABEL,               184514, "MDC_DRUG_NAME_LABEL",                2, HL7_MDC_TF,   "") \
    X(PUMP_STAT,                     184508, "MDC_PUMP_STAT",                      2, HL7_MDC_TF16, "") \
    X(PUMP_MODE,                     184504, "MDC_PUMP_MODE",                      2, HL7_MDC_TF16, "") \
    X(PUMP_INFUSING_STATUS,          184519, "MDC_PUMP_INFUSING_STATUS",           2, HL7_MDC_TF,   "") \
    X(PUMP_DRUG_LIBRARY_VERSION,     184517, "MDC_PUMP_DRUG_LIBRARY_VERSION",      2, HL7_MDC_TF,   "") \
    X(PUMP_DRUG_LIBRARY_CARE_AREA,   184516, "MDC_PUMP_DRUG_LIBRARY_CARE_AREA",    2, HL7_MDC_TF,   "") \
    X(RACK_DRUG_LIBRARY_VERSION,     184521, "MDC_RACK_DRUG_LIBRARY_VERSION",      2, HL7_MDC_SHEET, "") \
    X(RACK_DRUG_LIBRARY_NAME,        184522, "MDC_RACK_DRUG_LIBRARY_NAME",         2, HL7_MDC_SHEET, "") \
    X(DEV_PUMP_ACTIVE_SOURCES,       158016, "MDC_DEV_PUMP_ACTIVE_SOURCES",        2, HL7_MDC_TF,   "") \
    X(DEV_PUMP_CURRENT_DELIVERY_STATUS, 158005, "MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS", 2, HL7_MDC_TF, "") \
    X(DEV_PUMP_PROGRAM_DELIVERY_MODE, 158008, "MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE", 2, HL7_MDC_TF,   "") \
    X(DEV_PUMP_SOURCE_CHANNEL_LABEL, 158012, "MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL",  2, HL7_MDC_TF,   "") \
    /* vendor output shows 158006: not confirmed */ \
    X(DEV_PUMP_NOT_DELIVERING_REASON,     0, "MDC_DEV_PUMP_NOT_DELIVERING_REASON", 2, HL7_MDC_UNVERIFIED, "") \
    X(DOSE_PCA_LIMIT,                157985, "MDC_DOSE_PCA_LIMIT",                 2, HL7_MDC_TF,   "") \
    X(VOL_PCA_DOSE_LIMIT,            157986, "MDC_VOL_PCA_DOSE_LIMIT",             2, HL7_MDC_TF,   "") \
    X(TIME_PD_PCA_DOSE_LIMIT,        157987, "MDC_TIME_PD_PCA_DOSE_LIMIT",         2, HL7_MDC_TF,   "") \
    X(RATE_PCA_MAX_DOSES_PER_HOUR,   157988, "MDC_RATE_PCA_MAX_DOSES_PER_HOUR",    2, HL7_MDC_TF,   "") \
    X(TIME_PCA_LOCKOUT,              157989, "MDC_TIME_PCA_LOCKOUT",               2, HL7_MDC_TF,   "") \
    X(VOL_FLUID_CONTAINER_START,     157994, "MDC_VOL_FLUID_CONTAINER_START",      2, HL7_MDC_TF,   "") \
    X(DOSE_PCA_PATIENT,              158017, "MDC_DOSE_PCA_PATIENT",               2, HL7_MDC_TF,   "") \
    X(DOSE_LOADING,                  158018, "MDC_DOSE_LOADING",                   2, HL7_MDC_TF,   "") \
    X(DOSE_CLINICIAN,                158019, "MDC_DOSE_CLINICIAN",                 2, HL7_MDC_TF,   "") \
    X(AREA_BODY_SURF_ACTUAL,         188744, "MDC_AREA_BODY_SURF_ACTUAL",          2, HL7_MDC_TF,   "") \
    /* IHE placeholders: sent by IHE itself as 0^MDCX_...^MDC */ \
    X(X_INFUSION_ORDER_TYPE,              0, "MDCX_INFUSION_ORDER_TYPE",           2, HL7_MDC_PENDING, "") \
    X(X_INFUS_ORDER_STEP_TYPE,            0, "MDCX_INFUS_ORDER_STEP_TYPE",         2, HL7_MDC_PENDING, "") \
    X(X_INFUS_TOTAL_NUM_STEPS,            0, "MDCX_INFUS_TOTAL_NUM_STEPS",         2, HL7_MDC_PENDING, "") \
    X(X_INFUS_ORDER_STEP_NUM,             0, "MDCX_INFUS_ORDER_STEP_NUM",          2, HL7_MDC_PENDING, "") \
    /* events and alerts (partition 3) */ \
    X(EVT_ALARM,                     196616, "MDC_EVT_ALARM",                      3, HL7_MDC_TF,   "") \
    X(EVT_ACTIVE,                    196614, "MDC_EVT_ACTIVE",                     3, HL7_MDC_CORR, "") \
    X(EVT_EMPTY,                     196634, "MDC_EVT_EMPTY",                      3, HL7_MDC_TF16, "") \
    X(EVT_HI,                        196648, "MDC_EVT_HI",                         3, HL7_MDC_TF16, "") \
    X(EVT_LO,                        196670, "MDC_EVT_LO",                         3, HL7_MDC_TF,   "") \
    X(EVT_OCCL,                      196688, "MDC_EVT_OCCL",                       3, HL7_MDC_TF16, "") \
    X(EVT_FLUID_LINE_OCCL,           196940, "MDC_EVT_FLUID_LINE_OCCL",            3, HL7_MDC_TF,   "") \
    X(EVT_FLUID_LINE_PROB,           196860, "MDC_EVT_FLUID_LINE_PROB",            3, HL7_MDC_TF16, "") \
    X(EVT_DOOR_OR_HANDLE_POSN_PROB,  196842, "MDC_EVT_DOOR_OR_HANDLE_POSN_PROB",   3, HL7_MDC_TF16, "") \
    X(EVT_BATT_FAIL,                 196800, "MDC_EVT_BATT_FAIL",                  3, HL7_MDC_TF16, "") \
    X(EVT_BATT_LO,                   196802, "MDC_EVT_BATT_LO",                    3, HL7_MDC_TF16, "") \
    X(EVT_BATT_MALF,                 196804, "MDC_EVT_BATT_MALF",                  3, HL7_MDC_TF16, "") \
    X(EVT_PUMP_FLOW_FREE,            197206, "MDC_EVT_PUMP_FLOW_FREE",             3, HL7_MDC_TF16, "") \
    X(EVT_SENSOR_DISCONN,            196916, "MDC_EVT_SENSOR_DISCONN",             3, HL7_MDC_CORR, "") \
    X(EVT_STAT_DOOR_OPEN,            202828, "MDC_EVT_STAT_DOOR_OPEN",             3, HL7_MDC_TF16, "") \
    X(EVT_STAT_DOOR_CLOS,            202852, "MDC_EVT_STAT_DOOR_CLOS",             3, HL7_MDC_TF16, "") \
    X(EVT_STAT_STANDBY_MODE,         202774, "MDC_EVT_STAT_STANDBY_MODE",          3, HL7_MDC_TF16, "") \
    X(EVT_STAT_AL_SILENCE,           202822, "MDC_EVT_STAT_AL_SILENCE",            3, HL7_MDC_TF16, "") \
    X(EVT_ADVIS_CHK,                 203266, "MDC_EVT_ADVIS_CHK",                  3, HL7_MDC_TF16, "") \
    X(EVT_ADVIS_SETTINGS_CHK,        203276, "MDC_EVT_ADVIS_SETTINGS_CHK",         3, HL7_MDC_TF16, "") \
    X(EVT_ADVIS_BATT_REPLACE,        203286, "MDC_EVT_ADVIS_BATT_REPLACE",         3, HL7_MDC_TF16, "") \
    X(EVT_ADVIS_PUMP_SYRINGE_REPLACE_WARN, 203320, "MDC_EVT_ADVIS_PUMP_SYRINGE_REPLACE_WARN", 3, HL7_MDC_TF16, "") \
    X(EVT_PUMP_DELIV_START,          197288, "MDC_EVT_PUMP_DELIV_START",           3, HL7_MDC_TF,   "") \
    X(EVT_PUMP_DELIV_STOP,                0, "MDC_EVT_PUMP_DELIV_STOP",            3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PUMP_DELIV_COMP,                0, "MDC_EVT_PUMP_DELIV_COMP",            3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_COMM_STATUS_CHANGE,             0, "MDC_EVT_COMM_STATUS_CHANGE",         3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PUMP_PROG_CLEARED,              0, "MDC_EVT_PUMP_PROG_CLEARED",          3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PUMP_AUTO_PROG_CLEARED,         0, "MDC_EVT_PUMP_AUTO_PROG_CLEARED",     3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PATIENT_CHANGE,                 0, "MDC_EVT_PATIENT_CHANGE",             3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PATIENT_ID_CHANGE,              0, "MDC_EVT_PATIENT_ID_CHANGE",          3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PATIENT_PARAMETER_CHANGE,       0, "MDC_EVT_PATIENT_PARAMETER_CHANGE",   3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_PUMP_VOL_COUNTERS_CLEARED,      0, "MDC_EVT_PUMP_VOL_COUNTERS_CLEARED",  3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_DEVICE_TIME_CHANGED,            0, "MDC_EVT_DEVICE_TIME_CHANGED",        3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_FLUID_LINE_AIR,                 0, "MDC_EVT_FLUID_LINE_AIR",             3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_VOL_INFUS_COMP,                 0, "MDC_EVT_VOL_INFUS_COMP",             3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_VOL_INFUS_NEAR_COMP,            0, "MDC_EVT_VOL_INFUS_NEAR_COMP",        3, HL7_MDC_UNVERIFIED, "") \
    X(EVT_FLOW_STOP_OPEN,                 0, "MDC_EVT_FLOW_STOP_OPEN",             3, HL7_MDC_UNVERIFIED, "") \
    /* units (partition 4) */ \
    X(DIM_MILLI_L,                   263762, "MDC_DIM_MILLI_L",                    4, HL7_MDC_TF,   "mL") \
    X(DIM_MILLI_L_PER_HR,            265266, "MDC_DIM_MILLI_L_PER_HR",             4, HL7_MDC_TF,   "mL/h") \
    X(DIM_MICRO_G_PER_KG_PER_MIN,    265619, "MDC_DIM_MICRO_G_PER_KG_PER_MIN",     4, HL7_MDC_TF,   "ug/kg/min") \
    X(DIM_X_G,                       263872, "MDC_DIM_X_G",                        4, HL7_MDC_TF,   "g") \
    X(DIM_KILO_G,                    263875, "MDC_DIM_KILO_G",                     4, HL7_MDC_TF,   "kg") \
    X(DIM_MILLI_G,                   263890, "MDC_DIM_MILLI_G",                    4, HL7_MDC_TF,   "mg") \
    X(DIM_MILLI_G_PER_ML,            264306, "MDC_DIM_MILLI_G_PER_ML",             4, HL7_MDC_TF,   "mg/mL") \
    X(DIM_MILLI_G_PER_HR,            265522, "MDC_DIM_MILLI_G_PER_HR",             4, HL7_MDC_TF16, "mg/h") \
    X(DIM_MILLI_G_PER_MIN,           265490, "MDC_DIM_MILLI_G_PER_MIN",            4, HL7_MDC_TF16, "mg/min") \
    X(DIM_MICRO_G_PER_HR,            265523, "MDC_DIM_MICRO_G_PER_HR",             4, HL7_MDC_TF16, "ug/h") \
    X(DIM_MICRO_G_PER_MIN,           265491, "MDC_DIM_MICRO_G_PER_MIN",            4, HL7_MDC_TF16, "ug/min") \
    X(DIM_X_INTL_UNIT_PER_HR,        267840, "MDC_DIM_X_INTL_UNIT_PER_HR",         4, HL7_MDC_TF16, "[iU]/h") \
    X(DIM_X_L_PER_MIN,               265216, "MDC_DIM_X_L_PER_MIN",                4, HL7_MDC_TF16, "L/min") \
    X(DIM_HR,                        264384, "MDC_DIM_HR",                         4, HL7_MDC_TF,   "h") \
    X(DIM_MIN,                       264352, "MDC_DIM_MIN",                        4, HL7_MDC_TF,   "min") \
    X(DIM_X_SEC,                     264320, "MDC_DIM_X_SEC",                      4, HL7_MDC_TF,   "s") \
    X(DIM_MILLI_SEC,                 264338, "MDC_DIM_MILLI_SEC",                  4, HL7_MDC_TF,   "ms") \
    X(DIM_CENTI_M,                   263441, "MDC_DIM_CENTI_M",                    4, HL7_MDC_TF,   "cm") \
    X(DIM_SQ_X_M,                    263616, "MDC_DIM_SQ_X_M",                     4, HL7_MDC_TF,   "m2") \
    X(DIM_PERCENT,                   262688, "MDC_DIM_PERCENT",                    4, HL7_MDC_TF,   "%") \
    X(DIM_DIMLESS,                   262656, "MDC_DIM_DIMLESS",                    4, HL7_MDC_TF,   "1") \
    X(DIM_MMHG,                      266016, "MDC_DIM_MMHG",                       4, HL7_MDC_TF,   "mm[Hg]") \
    X(DIM_BEAT_PER_MIN,              264864, "MDC_DIM_BEAT_PER_MIN",               4, HL7_MDC_TF,   "/min")
/* clang-format on */

typedef enum {
#define HL7_MDC_ENUM_ROW(id, code, refid, part, status, ucum) HL7_MDC_##id,
    HL7_MDC_TERMS(HL7_MDC_ENUM_ROW)
#undef HL7_MDC_ENUM_ROW
    HL7_MDC_COUNT
} hl7_mdc_id;

struct hl7_mdc_term {
    uint32_t code;      /* decimal context-free code; 0 when not assigned / not confirmed */
    const char *refid;  /* "MDC_FLOW_FLUID_PUMP" */
    uint8_t partition;  /* hl7_mdc_partition */
    uint8_t status;     /* hl7_mdc_status */
    const char *ucum;   /* units: the UCUM spelling; "" otherwise */
};

/* The row of id; NULL for an id outside the table. */
const struct hl7_mdc_term *hl7_mdc_term(hl7_mdc_id id);

/* The row whose code is `code` (non-zero); NULL when the code is not in the table. */
const struct hl7_mdc_term *hl7_mdc_by_code(uint32_t code);

/* The row whose RefID is refid[0..len) (exact, case-sensitive); NULL when absent. The alias
 * MDC_DIM_SEC (TF-3, Draeger samples) finds MDC_DIM_X_SEC (standards.md §7.8). */
const struct hl7_mdc_term *hl7_mdc_by_refid(const char *refid, size_t len);

/* The unit row whose UCUM spelling is ucum[0..len); NULL when none. Also accepts the spellings
 * seen in the field for the same unit: "ml" "ml/h" "mcg/kg/min" "mcg/h" "mcg/min" "hr". */
const struct hl7_mdc_term *hl7_mdc_unit_by_ucum(const char *ucum, size_t len);

/* The id of a row returned by the lookups above. */
hl7_mdc_id hl7_mdc_id_of(const struct hl7_mdc_term *t);

/* true when the numeric code may be sent as a fact (TF and TF16 rows). */
bool hl7_mdc_emit_code(const struct hl7_mdc_term *t);

/* Static names: "TF", "TF16", "sheet", "corroborated", "pending", "unverified". */
const char *hl7_mdc_status_str(hl7_mdc_status s);

/* The code the term carries on the wire: t->code when hl7_mdc_emit_code(t), else 0. */
uint32_t hl7_mdc_wire_code(const struct hl7_mdc_term *t);

#endif
