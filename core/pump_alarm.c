/* pump_alarm.c - the alarm table (priority, delivery effect, latching) and read-only queries
 * (contract: see pump_alarm.h). Raising, silencing and acknowledging happen in pump_channel.c,
 * which owns the channel's alarm set and writes each step to the event log. */
#include "pump/pump_alarm.h"

#include "pump_channel_internal.h"
#include "pump_internal.h"

/* One row per alarm. The same table is printed in docs/pump.md ("Alarms"); test_alarm.c checks
 * it against its own copy written from that document. */
struct alarm_row {
    uint8_t priority; /* pump_priority */
    uint8_t effect;   /* pump_alarm_effect */
    uint8_t kind;     /* pump__alarm_kind */
};

static const struct alarm_row alarm_table[PUMP_ALM_COUNT] = {
    [PUMP_ALM_OCCL_DOWN] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_OCCL_UP] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_AIR_BUBBLE] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_EVENT},
    [PUMP_ALM_AIR_ACCUM] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_EVENT},
    [PUMP_ALM_VTBI_NEAR_END] = {PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, PUMP__ALARM_FOLLOWS},
    [PUMP_ALM_VTBI_COMPLETE] = {PUMP_PRIO_MEDIUM, PUMP_EFFECT_KVO, PUMP__ALARM_LATCHING},
    [PUMP_ALM_CONTAINER_EMPTY] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_BATTERY_LOW] = {PUMP_PRIO_MEDIUM, PUMP_EFFECT_CONTINUE, PUMP__ALARM_FOLLOWS},
    [PUMP_ALM_BATTERY_DEPLETED] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_DOOR_OPEN] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_PAUSED_TOO_LONG] = {PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, PUMP__ALARM_FOLLOWS},
    [PUMP_ALM_SECONDARY_CALLBACK] = {PUMP_PRIO_LOW, PUMP_EFFECT_CONTINUE, PUMP__ALARM_EVENT},
    [PUMP_ALM_MOTOR_STALL] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_LATCHING},
    [PUMP_ALM_WATCHDOG] = {PUMP_PRIO_HIGH, PUMP_EFFECT_FAULT, PUMP__ALARM_EVENT},
    [PUMP_ALM_LOG_FULL] = {PUMP_PRIO_HIGH, PUMP_EFFECT_CONTINUE, PUMP__ALARM_FOLLOWS},
    [PUMP_ALM_RESTART] = {PUMP_PRIO_HIGH, PUMP_EFFECT_STOP, PUMP__ALARM_EVENT},
    [PUMP_ALM_FAULT] = {PUMP_PRIO_HIGH, PUMP_EFFECT_FAULT, PUMP__ALARM_EVENT},
};

pump_priority pump_alarm_priority(pump_alarm_id id)
{
    if ((unsigned)id >= (unsigned)PUMP_ALM_COUNT) {
        return PUMP_PRIO_HIGH; /* fail safe: a corrupt id is treated as the worst */
    }
    return (pump_priority)alarm_table[id].priority;
}

pump_alarm_effect pump_alarm_effect_of(pump_alarm_id id)
{
    if ((unsigned)id >= (unsigned)PUMP_ALM_COUNT) {
        return PUMP_EFFECT_FAULT;
    }
    return (pump_alarm_effect)alarm_table[id].effect;
}

pump__alarm_kind pump__alarm_kind_of(pump_alarm_id id)
{
    if ((unsigned)id >= (unsigned)PUMP_ALM_COUNT) {
        return PUMP__ALARM_EVENT;
    }
    return (pump__alarm_kind)alarm_table[id].kind;
}

bool pump_alarm_is_latching(pump_alarm_id id)
{
    return pump__alarm_kind_of(id) != PUMP__ALARM_FOLLOWS;
}

bool pump_alarm_is_active(const struct pump_alarm_set *set, pump_alarm_id id)
{
    if ((set == NULL) || ((unsigned)id >= (unsigned)PUMP_ALM_COUNT)) {
        return false;
    }
    return (set->a[id].flags & PUMP_ALARM_F_ACTIVE) != 0U;
}

bool pump_alarm_is_audible(const struct pump_alarm_set *set, pump_alarm_id id, uint64_t now_ms)
{
    const struct pump_alarm *al;
    if (!pump_alarm_is_active(set, id)) {
        return false;
    }
    al = &set->a[id];
    if ((al->flags & PUMP_ALARM_F_ACKED) != 0U) {
        return false;
    }
    /* Silence ends at silenced_until_ms even before the core has re-armed it on a command. */
    return ((al->flags & PUMP_ALARM_F_SILENCED) == 0U) || (now_ms >= al->silenced_until_ms);
}

int pump_alarm_highest_audible(const struct pump_alarm_set *set, uint64_t now_ms)
{
    int best = -1;
    for (unsigned i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        if (pump_alarm_is_audible(set, (pump_alarm_id)i, now_ms)) {
            pump_priority prio = pump_alarm_priority((pump_alarm_id)i);
            int p = (int)prio;
            best = (p > best) ? p : best;
        }
    }
    return best;
}
