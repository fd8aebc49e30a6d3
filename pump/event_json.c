/*
 * event_json.c - event records to pump-protocol JSON. Contract: see event_json.h.
 */
#include "event_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pump/pump_alarm.h"
#include "pump/pump_channel.h"
#include "pump/pump_ders.h"

static void set_uint(json_t *o, const char *key, uint64_t v)
{
    /* JSON numbers above 2^53 lose precision in most readers; none of ours get near. */
    (void)json_object_set_new(o, key, json_integer((json_int_t)(v > INT64_MAX ? INT64_MAX : v)));
}

static void set_str(json_t *o, const char *key, const char *s)
{
    (void)json_object_set_new(o, key, json_string(s));
}

/* Record text: bytes from a clinician or a library, cut at a fixed length (possibly inside a
 * UTF-8 sequence): anything but printable ASCII becomes '?', so the JSON is always valid. */
static void set_text(json_t *o, const char *key, const char *text, size_t len)
{
    char buf[PUMP_LOG_TEXT_MAX + 1];
    size_t i;
    if (len > PUMP_LOG_TEXT_MAX) {
        len = PUMP_LOG_TEXT_MAX;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        buf[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    buf[len] = '\0';
    (void)json_object_set_new(o, key, json_stringn(buf, len));
}

static void set_limit(json_t *o, uint8_t limit)
{
    const char *s = pump_limit_str((pump_limit)limit);
    (void)json_object_set_new(o, "limit", (s[0] == '\0') ? json_null() : json_string(s));
}

static void fields_state(json_t *o, const struct pump_log_record *r)
{
    set_str(o, "from", pump_state_str((pump_state)r->from));
    set_str(o, "to", pump_state_str((pump_state)r->to));
    set_uint(o, "rate_nl_per_h", r->v1);
    set_uint(o, "channel_volume_nl", r->v2);
}

static void fields_program(json_t *o, const struct pump_log_record *r)
{
    set_str(o, "outcome", pump_outcome_str((pump_outcome)r->code));
    set_limit(o, r->detail);
    set_str(o, "mode", pump_prog_mode_str((pump_prog_mode)r->extra));
    if (r->text_len > 0) {
        set_text(o, "entry", r->text, r->text_len);
    } else {
        (void)json_object_set_new(o, "entry", json_null());
    }
    set_uint(o, "rate_nl_per_h", r->v1);
    if (r->v2 > 0) {
        set_uint(o, "vtbi_nl", r->v2);
    }
    if (r->v3 > 0) {
        set_uint(o, "duration_ms", r->v3);
    }
}

static void fields_override(json_t *o, const struct pump_log_record *r)
{
    set_str(o, "outcome", pump_outcome_str((pump_outcome)r->code));
    set_str(o, "reason", pump_override_reason_str((pump_override_reason)r->detail));
    set_limit(o, r->extra);
    if (r->text_len > 0) {
        set_text(o, "text", r->text, r->text_len);
    }
}

static void fields_pca(json_t *o, const struct pump_log_record *r)
{
    (void)json_object_set_new(o, "granted", json_boolean(r->code == 1U));
    if (r->code != 1U) {
        set_str(o, "denial", pump_pca_denial_str((pump_pca_denial)r->detail));
    }
    set_uint(o, "dose_nl", r->v1);
    set_uint(o, "window_nl", r->v2);
    if (r->v3 == UINT64_MAX) {
        (void)json_object_set_new(o, "since_last_ms", json_null());
    } else {
        set_uint(o, "since_last_ms", r->v3);
    }
}

static void fields_alarm(json_t *o, const struct pump_log_record *r)
{
    set_str(o, "alarm", pump_alarm_str((pump_alarm_id)r->code));
    set_str(o, "step", pump_alarm_step_str((pump_alarm_step)r->detail));
    set_str(o, "priority", pump_priority_str((pump_priority)r->extra));
    if (r->detail == (uint8_t)PUMP_ALARM_SILENCED) {
        set_uint(o, "silenced_until_ms", r->v1);
    }
}

static void fields_library(json_t *o, const struct pump_log_record *r)
{
    size_t id_len = (r->v1 < r->text_len) ? (size_t)r->v1 : r->text_len;
    set_text(o, "library_id", r->text, id_len);
    if (id_len + 1U < r->text_len) {
        set_text(o, "library_version", r->text + id_len + 1U, r->text_len - id_len - 1U);
    }
    set_uint(o, "library_id_len", r->v1);
    set_uint(o, "library_version_len", r->v2);
}

static void fields(json_t *o, const struct pump_log_record *r)
{
    switch ((pump_rec_type)r->type) {
    case PUMP_REC_STATE:
        fields_state(o, r);
        break;
    case PUMP_REC_PROGRAM:
        fields_program(o, r);
        break;
    case PUMP_REC_OVERRIDE:
        fields_override(o, r);
        break;
    case PUMP_REC_TITRATION:
        set_str(o, "outcome", pump_outcome_str((pump_outcome)r->code));
        set_uint(o, "old_rate_nl_per_h", r->v1);
        set_uint(o, "rate_nl_per_h", r->v2);
        break;
    case PUMP_REC_BOLUS:
        set_str(o, "kind", pump_bolus_kind_str((pump_bolus_kind)r->extra));
        set_uint(o, "volume_nl", r->v1);
        set_uint(o, "rate_nl_per_h", r->v2);
        break;
    case PUMP_REC_BOLUS_END:
        set_str(o, "kind", pump_bolus_kind_str((pump_bolus_kind)r->extra));
        (void)json_object_set_new(o, "completed", json_boolean(r->code == 1U));
        set_uint(o, "delivered_nl", r->v1);
        set_uint(o, "requested_nl", r->v2);
        break;
    case PUMP_REC_PCA:
        fields_pca(o, r);
        break;
    case PUMP_REC_SECONDARY:
        (void)json_object_set_new(o, "started", json_boolean(r->code == 1U));
        set_uint(o, "vtbi_nl", r->v1);
        set_uint(o, "rate_nl_per_h", r->v2);
        set_uint(o, "delivered_nl", r->v3);
        break;
    case PUMP_REC_ALARM:
        fields_alarm(o, r);
        break;
    case PUMP_REC_VOLUME:
        set_uint(o, "program_volume_nl", r->v1);
        set_uint(o, "channel_volume_nl", r->v2);
        set_uint(o, "total_volume_nl", r->v3);
        break;
    case PUMP_REC_LIBRARY:
        fields_library(o, r);
        break;
    case PUMP_REC_REFUSED:
        set_str(o, "state", pump_state_str((pump_state)r->from));
        set_str(o, "status", pump_status_str((pump_status)r->code));
        break;
    case PUMP_REC_FAULT:
        set_str(o, "alarm", pump_alarm_str((pump_alarm_id)r->code));
        set_uint(o, "line", r->v1);
        break;
    case PUMP_REC_POWER:
        set_str(o, "power", (r->code == 1U) ? "restore" : "loss");
        (void)json_object_set_new(o, "interrupted", json_boolean(r->extra == 1U));
        break;
    case PUMP_REC_LOST:
        set_uint(o, "count", r->v1);
        set_uint(o, "first_ms", r->v2);
        set_uint(o, "last_ms", r->v3);
        break;
    case PUMP_REC_COUNT:
    default:
        break;
    }
}

json_t *event_json_record(const struct pump_log_record *r, const char *pump_id)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    set_uint(o, "v", 1);
    set_str(o, "pump_id", pump_id);
    set_uint(o, "seq", r->seq);
    set_uint(o, "time_ms", r->time_ms);
    set_str(o, "type", pump_rec_type_str((pump_rec_type)r->type));
    set_uint(o, "channel", r->channel);
    if (r->event < (uint8_t)PUMP_EV_COUNT) {
        set_str(o, "event", pump_event_str((pump_event)r->event));
    }
    fields(o, r);
    return o;
}

char *event_json_line(const json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    size_t n;
    char *line;
    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    line = realloc(s, n + 2U);
    if (line == NULL) {
        free(s);
        return NULL;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    return line;
}
