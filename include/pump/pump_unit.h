/*
 * pump_unit.h - the unit strings of the drug library format (druglib-format.md, "Units").
 *
 * Grammar (exact spelling, case-sensitive):
 *   amount        g | mg | mcg | ng | units | milliunits | mEq | mmol | mL
 *   dose amount   amount [ /kg | /m2 ]                       e.g. mg, mg/kg, mg/m2
 *   dose rate     amount [ /kg | /m2 ] ( /min | /h )         e.g. mcg/kg/min, units/h, mL/h
 *   concentration amount /mL                                 e.g. mg/mL (concentration_limits)
 * Amounts convert only within their family: mass (g mg mcg ng), units (units milliunits),
 * mEq, mmol, volume (mL). Families never convert into each other.
 */
#ifndef PUMP_UNIT_H
#define PUMP_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include "pump/pump_num.h"
#include "pump/pump_status.h"

typedef enum {
    PUMP_AMT_G = 0,
    PUMP_AMT_MG,
    PUMP_AMT_MCG,
    PUMP_AMT_NG,
    PUMP_AMT_UNITS,
    PUMP_AMT_MILLIUNITS,
    PUMP_AMT_MEQ,
    PUMP_AMT_MMOL,
    PUMP_AMT_ML,
    PUMP_AMT_COUNT
} pump_amount;

typedef enum {
    PUMP_FAM_MASS = 0,
    PUMP_FAM_UNITS,
    PUMP_FAM_MEQ,
    PUMP_FAM_MMOL,
    PUMP_FAM_VOLUME,
    PUMP_FAM_COUNT
} pump_family;

typedef enum { PUMP_PER_NONE = 0, PUMP_PER_KG, PUMP_PER_M2 } pump_per_body;
typedef enum { PUMP_TIME_NONE = 0, PUMP_TIME_MIN, PUMP_TIME_H } pump_per_time;

typedef enum {
    PUMP_UNIT_AMOUNT = 0, /* amount [/kg|/m2] */
    PUMP_UNIT_RATE,       /* amount [/kg|/m2] /min|/h */
    PUMP_UNIT_CONC        /* amount /mL */
} pump_unit_kind;

struct pump_unit {
    uint8_t amount; /* pump_amount */
    uint8_t body;   /* pump_per_body */
    uint8_t time;   /* pump_per_time */
    uint8_t kind;   /* pump_unit_kind */
};

/* Longest unit text plus NUL ("milliunits/kg/min"). */
#define PUMP_UNIT_TEXT_MAX 24

/*
 * pump_unit_parse - text[0..len) to a unit.
 * Returns PUMP_OK or PUMP_ERR_INVAL (unknown or misspelt unit, e.g. "ug", "mg/kg/m2", "mg/L").
 * out is written only on PUMP_OK.
 */
pump_status pump_unit_parse(const char *text, size_t len, struct pump_unit *out);

/* The canonical text of u into buf (NUL-terminated). PUMP_ERR_INVAL for a corrupt unit,
 * PUMP_ERR_FULL when cap is too small. */
pump_status pump_unit_format(struct pump_unit u, char *buf, size_t cap);

/* 1 when a and b are the same unit. */
int pump_unit_equal(struct pump_unit a, struct pump_unit b);

pump_family pump_amount_family(pump_amount a);
/* The static text of an amount unit ("mcg"); "?" for a corrupt value. */
const char *pump_amount_str(pump_amount a);

/*
 * pump_amount_factor - how many `to` make one `from` (mg -> mcg: 1000; mcg -> mg: 1/1000).
 * Returns PUMP_OK, or PUMP_ERR_INVAL when the families differ (they never convert).
 */
pump_status pump_amount_factor(pump_amount from, pump_amount to, struct pump_q *out);

#endif
