/*
 * pump_alarm.h - the alarms of a pump channel: identities, priorities (IEC 60601-1-8 high,
 * medium, low), what each does to delivery, latching, silence and acknowledgement.
 *
 * The channel (pump_channel.h) owns one struct pump_alarm_set and changes it only from
 * pump_channel_handle(); the host reads it to drive the sound and the display. The table of
 * priority and delivery effect per alarm is in pump_alarm.c and docs/pump.md ("Alarms").
 *
 * Lifecycle of one alarm:
 *   raised      - its condition became true: ACTIVE and CONDITION set, audible.
 *   silenced    - audio paused until silenced_until_ms (at most PUMP_SILENCE_MAX_MS), then
 *                 re-armed (audible again) while still active.
 *   acknowledged- the clinician has seen it: no longer audible; it stays ACTIVE while its
 *                 condition holds.
 *   cleared     - ACTIVE ends when the condition is gone AND it was acknowledged (latching:
 *                 an alarm whose cause went away keeps sounding until someone acknowledges it).
 * Every step is written to the event log.
 */
#ifndef PUMP_ALARM_H
#define PUMP_ALARM_H

#include <stdbool.h>
#include <stdint.h>

#include "pump/pump_config.h"

typedef enum {
    PUMP_ALM_OCCL_DOWN = 0,     /* downstream pressure above threshold */
    PUMP_ALM_OCCL_UP,           /* upstream pressure below -threshold */
    PUMP_ALM_AIR_BUBBLE,        /* one bubble above the single-bubble threshold */
    PUMP_ALM_AIR_ACCUM,         /* air accumulated over the window above threshold */
    PUMP_ALM_VTBI_NEAR_END,     /* VTBI reached within near_end_ms */
    PUMP_ALM_VTBI_COMPLETE,     /* VTBI infused (then KVO or stop) */
    PUMP_ALM_CONTAINER_EMPTY,   /* the container sensor reports empty */
    PUMP_ALM_BATTERY_LOW,
    PUMP_ALM_BATTERY_DEPLETED,
    PUMP_ALM_DOOR_OPEN,
    PUMP_ALM_PAUSED_TOO_LONG,   /* reminder: paused longer than paused_reminder_ms */
    PUMP_ALM_SECONDARY_CALLBACK,/* secondary done, primary resumed: check the line */
    PUMP_ALM_MOTOR_STALL,
    PUMP_ALM_WATCHDOG,          /* no tick for watchdog_ms while delivering: FAULT */
    PUMP_ALM_LOG_FULL,          /* event log above its high-water mark */
    PUMP_ALM_RESTART,           /* delivery interrupted by power loss or restart */
    PUMP_ALM_FAULT,             /* internal fault (broken invariant, motor runaway): FAULT */
    PUMP_ALM_COUNT
} pump_alarm_id;

typedef enum { PUMP_PRIO_LOW = 0, PUMP_PRIO_MEDIUM, PUMP_PRIO_HIGH, PUMP_PRIO_COUNT } pump_priority;

/* What an alarm does to delivery when it is raised in a delivering state. */
typedef enum {
    PUMP_EFFECT_CONTINUE = 0, /* delivery goes on (information, reminder) */
    PUMP_EFFECT_STOP,         /* motor off: ALARM_STOPPED */
    PUMP_EFFECT_KVO,          /* the program ends: KVO (or COMPLETE when KVO is off) */
    PUMP_EFFECT_FAULT,        /* motor off, latched FAULT */
    PUMP_EFFECT_COUNT
} pump_alarm_effect;

/* Alarm steps as written to the log (record type PUMP_REC_ALARM, field detail). */
typedef enum {
    PUMP_ALARM_RAISED = 0,
    PUMP_ALARM_SILENCED,
    PUMP_ALARM_REARMED, /* silence period over, audible again */
    PUMP_ALARM_ACKED,
    PUMP_ALARM_CLEARED,
    PUMP_ALARM_STEP_COUNT
} pump_alarm_step;

/* Flags of one alarm (struct pump_alarm.flags). */
#define PUMP_ALARM_F_ACTIVE 0x01U    /* raised and not cleared */
#define PUMP_ALARM_F_CONDITION 0x02U /* the cause is present now */
#define PUMP_ALARM_F_ACKED 0x04U     /* acknowledged since raised */
#define PUMP_ALARM_F_SILENCED 0x08U  /* audio paused until silenced_until_ms */

struct pump_alarm {
    uint8_t flags;
    uint64_t raised_ms;
    uint64_t silenced_until_ms; /* meaningful with PUMP_ALARM_F_SILENCED */
};

/* Read-only for the host. */
struct pump_alarm_set {
    struct pump_alarm a[PUMP_ALM_COUNT];
    uint32_t n_active;
};

/* The documented table: priority and delivery effect of each alarm. Corrupt ids give
 * PUMP_PRIO_HIGH / PUMP_EFFECT_FAULT (fail safe). */
pump_priority pump_alarm_priority(pump_alarm_id id);
pump_alarm_effect pump_alarm_effect_of(pump_alarm_id id);

/* Whether an alarm latches: it stays active after its cause ends until it is acknowledged.
 * Non-latching ones (reminders, battery low, log full) clear when their cause ends. */
bool pump_alarm_is_latching(pump_alarm_id id);

/* Whether alarm id is active / should sound now (active, not acknowledged, not silenced at
 * now_ms). false for corrupt ids or a NULL set. */
bool pump_alarm_is_active(const struct pump_alarm_set *set, pump_alarm_id id);
bool pump_alarm_is_audible(const struct pump_alarm_set *set, pump_alarm_id id, uint64_t now_ms);
/* Highest priority among audible alarms at now_ms; -1 when none sounds. */
int pump_alarm_highest_audible(const struct pump_alarm_set *set, uint64_t now_ms);

/* Static names for JSON: "occlusion_downstream", "high", "stop", "raised"; "?" when corrupt. */
const char *pump_alarm_str(pump_alarm_id id);
const char *pump_priority_str(pump_priority p);
const char *pump_alarm_effect_str(pump_alarm_effect e);
const char *pump_alarm_step_str(pump_alarm_step s);

#endif
