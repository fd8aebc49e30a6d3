/*
 * pump_status.h - the one status enum of the safety core.
 *
 * 0 is success; codes are appended, never renumbered (a retired code stays as a placeholder),
 * so a number in a log means the same thing in every version.
 */
#ifndef PUMP_STATUS_H
#define PUMP_STATUS_H

typedef enum {
    PUMP_OK = 0,
    PUMP_ERR_INVAL = 1,     /* an argument is malformed (NULL, bad syntax, out of domain) */
    PUMP_ERR_RANGE = 2,     /* a number does not fit the exact representation: never wrapped */
    PUMP_ERR_FULL = 3,      /* caller-provided storage is full */
    PUMP_ERR_DUPLICATE = 4, /* an id is already present */
    PUMP_ERR_NOT_FOUND = 5, /* no such id */
    PUMP_ERR_DIV_ZERO = 6,  /* division by zero was asked for */
    PUMP_ERR_INTERNAL = 7,  /* an invariant is broken */
    PUMP_ERR_REFUSED = 8,   /* not allowed in the current state (channel state machine) */
    PUMP_ERR_BLOCKED = 9,   /* DERS hard stop or invalid program: cannot run */
    PUMP_ERR_NEED_REASON = 10, /* DERS soft alert: needs a confirmation with a reason */
    PUMP_ERR_DENIED = 11,   /* PCA demand or clinician bolus denied (lockout, 4 h limit) */
    PUMP_ERR_TIME = 12,     /* a time earlier than the previous one */
    PUMP_ERR_NOT_READY = 13 /* a precondition is not met yet (e.g. pressure not relieved) */
} pump_status;

/* A static, never-NULL English name for a status ("ok", "out of range", ...). */
const char *pump_status_str(pump_status st);

#endif
