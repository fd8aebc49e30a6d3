/*
 * event_json.h - one core event record as the JSON object of the pump protocol's event topic
 * (infusion/v1/pump/{pump_id}/event, DESIGN.md): {"v":1,"pump_id":…,"seq":…,"time_ms":…,
 * "type":…,"channel":…, then the fields of that type}. Field names carry their units
 * (rate_nl_per_h, volume_nl, time_ms). docs/scenario-format.md lists every type's fields.
 */
#ifndef PUMPD_EVENT_JSON_H
#define PUMPD_EVENT_JSON_H

#include <jansson.h>

#include "pump/pump_log.h"

/* A new object (json_decref it), or NULL when out of memory. */
json_t *event_json_record(const struct pump_log_record *r, const char *pump_id);

/* The object as one compact line with its newline, into a malloc'd string (free()); NULL when
 * out of memory. */
char *event_json_line(const json_t *ev);

#endif
