/*
 * names.h - the core's names (states, alarms, record types, override reasons) looked up from
 * text, for the scenario parser and the panel. The names themselves are the core's (pump
 * protocol); these only search them.
 */
#ifndef PUMPD_NAMES_H
#define PUMPD_NAMES_H

#include <stdbool.h>

#include "pump/pump_alarm.h"
#include "pump/pump_channel.h"

bool names_state_parse(const char *name, pump_state *out);
bool names_alarm_parse(const char *name, pump_alarm_id *out);
bool names_reason_parse(const char *name, pump_override_reason *out);

/* Short names of the statuses a command can return ("ok", "refused", "blocked", "need_reason",
 * "denied", "not_ready", "invalid", "time", "internal"); "other" for the rest. */
const char *names_status_str(pump_status st);
bool names_status_parse(const char *name, pump_status *out);

bool names_status_known(const char *name);
bool names_state_known(const char *name);
bool names_alarm_known(const char *name);
bool names_reason_known(const char *name);
/* An event "type" of the JSON lines (event_json.h): a record type name. */
bool names_event_type_known(const char *name);

#endif
