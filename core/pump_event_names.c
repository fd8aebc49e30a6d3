/* pump_event_names.c - static names of states, events, alarms and record fields, for the host's
 * JSON (contract: see pump_channel.h, pump_alarm.h, pump_log.h). The names are part of the pump
 * protocol: append, never rename. */
#include "pump/pump_alarm.h"
#include "pump/pump_channel.h"
#include "pump/pump_log.h"

#include "pump_internal.h"

static const char *const state_names[PUMP_ST_COUNT] = {
    "idle",   "programmed", "ready",    "running",       "paused",
    "bolus",  "kvo",        "complete", "alarm_stopped", "fault",
};

static const char *const event_names[PUMP_EV_COUNT] = {
    "program",        "confirm",       "decline",          "start",
    "pause",          "resume",        "stop",             "titrate",
    "bolus",          "secondary",     "pca_demand",       "clinician_bolus",
    "tick",           "alarm_ack",     "alarm_silence",    "library_activate",
    "power_loss",     "power_restore", "alarm_stop",       "bolus_done",
    "secondary_done", "vtbi_done_kvo", "vtbi_done_stop",
};

static const char *const alarm_names[PUMP_ALM_COUNT] = {
    "occlusion_downstream", "occlusion_upstream", "air_in_line",      "air_accumulated",
    "vtbi_near_end",        "vtbi_complete",      "container_empty",  "battery_low",
    "battery_depleted",     "door_open",          "paused_too_long",  "secondary_callback",
    "motor_stall",          "watchdog",           "log_full",         "restart",
    "fault",
};

static const char *const priority_names[PUMP_PRIO_COUNT] = {"low", "medium", "high"};
static const char *const effect_names[PUMP_EFFECT_COUNT] = {"continue", "stop", "kvo", "fault"};
static const char *const step_names[PUMP_ALARM_STEP_COUNT] = {
    "raised", "silenced", "rearmed", "acknowledged", "cleared",
};

static const char *const rec_names[PUMP_REC_COUNT] = {
    "state",  "program", "override", "titration", "bolus",  "bolus_end", "pca",  "secondary",
    "alarm",  "volume",  "library",  "refused",   "fault",  "power",     "lost",
};

static const char *const override_names[PUMP_OVR_COUNT] = {
    "none", "order_verified", "patient_condition", "protocol", "titration_order", "other",
};

static const char *const bolus_names[PUMP_BOLUS_KIND_COUNT] = {
    "bolus", "loading", "pca", "clinician",
};

static const char *const denial_names[PUMP_PCA_DENIAL_COUNT] = {
    "granted", "lockout", "four_hour_limit", "not_delivering", "not_pca", "log_full",
    "history_full",
};

const char *pump_state_str(pump_state s)
{
    return ((unsigned)s < (unsigned)PUMP_ST_COUNT) ? state_names[s] : "?";
}

const char *pump_event_str(pump_event e)
{
    return ((unsigned)e < (unsigned)PUMP_EV_COUNT) ? event_names[e] : "?";
}

const char *pump_alarm_str(pump_alarm_id id)
{
    return ((unsigned)id < (unsigned)PUMP_ALM_COUNT) ? alarm_names[id] : "?";
}

const char *pump_priority_str(pump_priority p)
{
    return ((unsigned)p < (unsigned)PUMP_PRIO_COUNT) ? priority_names[p] : "?";
}

const char *pump_alarm_effect_str(pump_alarm_effect e)
{
    return ((unsigned)e < (unsigned)PUMP_EFFECT_COUNT) ? effect_names[e] : "?";
}

const char *pump_alarm_step_str(pump_alarm_step s)
{
    return ((unsigned)s < (unsigned)PUMP_ALARM_STEP_COUNT) ? step_names[s] : "?";
}

const char *pump_rec_type_str(pump_rec_type t)
{
    return ((unsigned)t < (unsigned)PUMP_REC_COUNT) ? rec_names[t] : "?";
}

const char *pump_override_reason_str(pump_override_reason r)
{
    return ((unsigned)r < (unsigned)PUMP_OVR_COUNT) ? override_names[r] : "?";
}

const char *pump_bolus_kind_str(pump_bolus_kind k)
{
    return ((unsigned)k < (unsigned)PUMP_BOLUS_KIND_COUNT) ? bolus_names[k] : "?";
}

const char *pump_pca_denial_str(pump_pca_denial d)
{
    return ((unsigned)d < (unsigned)PUMP_PCA_DENIAL_COUNT) ? denial_names[d] : "?";
}
