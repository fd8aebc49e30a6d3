/*
 * names.c - text to the core's enums by searching the core's own name functions.
 * Contract: see names.h.
 */
#include "names.h"

#include <string.h>

#include "pump/pump_log.h"

bool names_state_parse(const char *name, pump_state *out)
{
    unsigned i;
    for (i = 0; i < (unsigned)PUMP_ST_COUNT; i++) {
        if (strcmp(name, pump_state_str((pump_state)i)) == 0) {
            *out = (pump_state)i;
            return true;
        }
    }
    return false;
}

bool names_alarm_parse(const char *name, pump_alarm_id *out)
{
    unsigned i;
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        if (strcmp(name, pump_alarm_str((pump_alarm_id)i)) == 0) {
            *out = (pump_alarm_id)i;
            return true;
        }
    }
    return false;
}

bool names_reason_parse(const char *name, pump_override_reason *out)
{
    unsigned i;
    /* "none" is not a reason a clinician can give. */
    for (i = 1; i < (unsigned)PUMP_OVR_COUNT; i++) {
        if (strcmp(name, pump_override_reason_str((pump_override_reason)i)) == 0) {
            *out = (pump_override_reason)i;
            return true;
        }
    }
    return false;
}

static const struct {
    pump_status st;
    const char *name;
} status_names[] = {
    {PUMP_OK, "ok"},
    {PUMP_ERR_INVAL, "invalid"},
    {PUMP_ERR_REFUSED, "refused"},
    {PUMP_ERR_BLOCKED, "blocked"},
    {PUMP_ERR_NEED_REASON, "need_reason"},
    {PUMP_ERR_DENIED, "denied"},
    {PUMP_ERR_NOT_READY, "not_ready"},
    {PUMP_ERR_TIME, "time"},
    {PUMP_ERR_INTERNAL, "internal"},
};

const char *names_status_str(pump_status st)
{
    size_t i;
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (status_names[i].st == st) {
            return status_names[i].name;
        }
    }
    return "other";
}

bool names_status_parse(const char *name, pump_status *out)
{
    size_t i;
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (strcmp(name, status_names[i].name) == 0) {
            *out = status_names[i].st;
            return true;
        }
    }
    return false;
}

bool names_status_known(const char *name)
{
    pump_status st;
    return names_status_parse(name, &st);
}

bool names_state_known(const char *name)
{
    pump_state s;
    return names_state_parse(name, &s);
}

bool names_alarm_known(const char *name)
{
    pump_alarm_id a;
    return names_alarm_parse(name, &a);
}

bool names_reason_known(const char *name)
{
    pump_override_reason r;
    return names_reason_parse(name, &r);
}

bool names_event_type_known(const char *name)
{
    unsigned i;
    for (i = 0; i < (unsigned)PUMP_REC_COUNT; i++) {
        if (strcmp(name, pump_rec_type_str((pump_rec_type)i)) == 0) {
            return true;
        }
    }
    return false;
}
