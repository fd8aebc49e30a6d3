/*
 * pump_fsm.c - the channel's state table and the one function that changes the state
 * (contract: see pump_channel.h, pump_channel_internal.h; pattern of style.md 4.5).
 *
 * The table is a pure (state, event) relation: data-dependent guards (DERS verdicts, PCA lockout,
 * pressure relief) are checked in pump_channel.c before a cell is applied, so the table can be
 * printed (docs/pump.md) and tested cell by cell (tests/unit/test_fsm_table.c) against a list
 * of allowed transitions written separately from the requirements.
 */
#include "pump/pump_channel.h"

#include "pump_channel_internal.h"
#include "pump_internal.h"

struct transition {
    uint8_t allowed;
    uint8_t next;   /* pump_state */
    uint8_t action; /* pump_action */
};

/* REJECT is all-zero on purpose: a cell left out is zero-filled by C and so fails safe. */
#define T(next_, act_) {1U, (uint8_t)PUMP_ST_##next_, (uint8_t)PUMP_ACT_##act_}
#define R {0U, 0U, (uint8_t)PUMP_ACT_NONE}

/* Columns, in pump_event order:
 *  PROGRAM CONFIRM DECLINE START PAUSE RESUME STOP TITRATE BOLUS SECONDARY PCA_DEMAND
 *  CLINICIAN_BOLUS TICK ALARM_ACK ALARM_SILENCE LIBRARY_ACTIVATE POWER_LOSS POWER_RESTORE |
 *  (core) ALARM_STOP BOLUS_DONE SECONDARY_DONE VTBI_DONE_KVO VTBI_DONE_STOP */
static const struct transition fsm_table[PUMP_ST_COUNT][PUMP_EV_COUNT] = {
    [PUMP_ST_IDLE] = {
        T(PROGRAMMED, PROGRAM), R, R, R, R, R, R, R, R, R, R,
        R, T(IDLE, NONE), T(IDLE, ALARM_ACK), T(IDLE, ALARM_SILENCE), T(IDLE, LIBRARY),
        T(IDLE, POWER_LOSS), T(IDLE, POWER_RESTORE),
        R, R, R, R, R},
    [PUMP_ST_PROGRAMMED] = {
        T(PROGRAMMED, PROGRAM), T(READY, CONFIRM), T(IDLE, DECLINE), R, R, R, T(IDLE, STOP),
        R, R, R, R,
        R, T(PROGRAMMED, NONE), T(PROGRAMMED, ALARM_ACK), T(PROGRAMMED, ALARM_SILENCE), R,
        T(IDLE, POWER_LOSS), T(PROGRAMMED, POWER_RESTORE),
        R, R, R, R, R},
    [PUMP_ST_READY] = {
        T(PROGRAMMED, PROGRAM), R, T(IDLE, DECLINE), T(RUNNING, START), R, R, T(IDLE, STOP),
        R, T(BOLUS, BOLUS), R, R,
        R, T(READY, NONE), T(READY, ALARM_ACK), T(READY, ALARM_SILENCE), R,
        T(IDLE, POWER_LOSS), T(READY, POWER_RESTORE),
        R, R, R, R, R},
    [PUMP_ST_RUNNING] = {
        R, R, R, R, T(PAUSED, PAUSE), R, T(IDLE, STOP),
        T(RUNNING, TITRATE), T(BOLUS, BOLUS), T(RUNNING, SECONDARY), T(BOLUS, PCA_DOSE),
        T(BOLUS, PCA_DOSE), T(RUNNING, NONE), T(RUNNING, ALARM_ACK), T(RUNNING, ALARM_SILENCE),
        R, T(ALARM_STOPPED, POWER_LOSS), T(RUNNING, POWER_RESTORE),
        T(ALARM_STOPPED, ALARM_STOP), R, T(RUNNING, SECONDARY_END), T(KVO, VTBI_DONE),
        T(COMPLETE, VTBI_DONE)},
    [PUMP_ST_PAUSED] = {
        R, R, R, R, R, T(RUNNING, RESUME), T(IDLE, STOP),
        T(PAUSED, TITRATE), R, R, R,
        R, T(PAUSED, NONE), T(PAUSED, ALARM_ACK), T(PAUSED, ALARM_SILENCE), R,
        T(ALARM_STOPPED, POWER_LOSS), T(PAUSED, POWER_RESTORE),
        R, R, R, R, R},
    [PUMP_ST_BOLUS] = {
        R, R, R, R, T(PAUSED, PAUSE), R, T(IDLE, STOP),
        R, R, R, R,
        R, T(BOLUS, NONE), T(BOLUS, ALARM_ACK), T(BOLUS, ALARM_SILENCE), R,
        T(ALARM_STOPPED, POWER_LOSS), T(BOLUS, POWER_RESTORE),
        T(ALARM_STOPPED, ALARM_STOP), T(RUNNING, BOLUS_END), R, R, R},
    [PUMP_ST_KVO] = {
        R, R, R, R, T(PAUSED, PAUSE), R, T(IDLE, STOP),
        R, R, R, R,
        R, T(KVO, NONE), T(KVO, ALARM_ACK), T(KVO, ALARM_SILENCE), R,
        T(ALARM_STOPPED, POWER_LOSS), T(KVO, POWER_RESTORE),
        T(ALARM_STOPPED, ALARM_STOP), R, R, R, R},
    [PUMP_ST_COMPLETE] = {
        T(PROGRAMMED, PROGRAM), R, R, R, R, R, T(IDLE, STOP),
        R, R, R, R,
        R, T(COMPLETE, NONE), T(COMPLETE, ALARM_ACK), T(COMPLETE, ALARM_SILENCE),
        T(COMPLETE, LIBRARY), T(COMPLETE, POWER_LOSS), T(COMPLETE, POWER_RESTORE),
        R, R, R, R, R},
    [PUMP_ST_ALARM_STOPPED] = {
        R, R, R, R, R, T(RUNNING, RESUME), T(IDLE, STOP),
        R, R, R, R,
        R, T(ALARM_STOPPED, NONE), T(ALARM_STOPPED, ALARM_ACK),
        T(ALARM_STOPPED, ALARM_SILENCE), R, T(ALARM_STOPPED, POWER_LOSS),
        T(ALARM_STOPPED, POWER_RESTORE),
        R, R, R, R, R},
    /* Sticky: only time (so volume is still accounted) and silencing the fault alarm. */
    [PUMP_ST_FAULT] = {
        R, R, R, R, R, R, R,
        R, R, R, R,
        R, T(FAULT, NONE), R, T(FAULT, ALARM_SILENCE), R, R, R,
        R, R, R, R, R},
};

#undef T
#undef R

bool pump__state_delivers(pump_state s)
{
    return (s == PUMP_ST_RUNNING) || (s == PUMP_ST_BOLUS) || (s == PUMP_ST_KVO);
}

bool pump__fsm_allowed(pump_state s, pump_event ev, pump_state *next, pump_action *act)
{
    const struct transition *t;
    if (((unsigned)s >= (unsigned)PUMP_ST_COUNT) || ((unsigned)ev >= (unsigned)PUMP_EV_COUNT)) {
        return false;
    }
    t = &fsm_table[s][ev];
    if (t->allowed == 0U) {
        return false;
    }
    if (next != NULL) {
        *next = (pump_state)t->next;
    }
    if (act != NULL) {
        *act = (pump_action)t->action;
    }
    return true;
}

static void write_state_record(struct pump_channel *ch, pump_state from, pump_event ev)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_STATE, ev);
    r.from = (uint8_t)from;
    r.v1 = ch->motor_on ? ch->rate_nl_per_h : 0U;
    r.v2 = ch->vol_infusion_nl;
    pump__ch_log(ch, &r);
}

/* The only assignment to ch->state besides pump__fsm_fault. Refuses to leave FAULT. */
static void set_state(struct pump_channel *ch, pump_state to, pump_event ev)
{
    pump_state from = (pump_state)ch->state;
    if (PUMP_NEVER((from == PUMP_ST_FAULT) && (to != PUMP_ST_FAULT))) {
        return; /* DEFENSIVE: the table has no such cell */
    }
    ch->state = (uint8_t)to;
    if ((to == PUMP_ST_PAUSED) && (from != PUMP_ST_PAUSED)) {
        ch->paused_since_ms = ch->now_ms; /* entry action: the reminder counts from here */
    }
    pump__ch_outputs(ch);
    if (from != to) {
        write_state_record(ch, from, ev);
    }
}

/* Invariants of pump_channel.h's state list. false = broken. */
static bool invariants_hold(const struct pump_channel *ch)
{
    pump_state s = (pump_state)ch->state;
    if ((unsigned)s >= (unsigned)PUMP_ST_COUNT) {
        return false;
    }
    if (ch->motor_on) {
        if (!pump__state_delivers(s) || (ch->rate_nl_per_h == 0U) ||
            (ch->rate_nl_per_h > ch->cfg.max_rate_nl_per_h)) {
            return false;
        }
    }
    if ((s == PUMP_ST_KVO) && (ch->rate_nl_per_h > ch->primary.rate_nl_per_h)) {
        return false; /* KVO never above the running rate */
    }
    if ((s == PUMP_ST_BOLUS) && (ch->bolus_target_nl == 0U)) {
        return false;
    }
    if (ch->is_secondary && (s != PUMP_ST_RUNNING) && (s != PUMP_ST_PAUSED) &&
        (s != PUMP_ST_ALARM_STOPPED)) {
        return false;
    }
    if ((s == PUMP_ST_PROGRAMMED) && ((unsigned)ch->pending.mode >= (unsigned)PUMP_MODE_COUNT)) {
        return false;
    }
    return true;
}

void pump__fsm_fault(struct pump_channel *ch, pump_alarm_id why, uint32_t line)
{
    pump_state from = (pump_state)ch->state;
    struct pump_log_record r;
    if (why == PUMP_ALM_FAULT) {
        ch->n_asserts++;
    }
    if ((unsigned)from >= (unsigned)PUMP_ST_COUNT) {
        from = PUMP_ST_FAULT; /* a corrupt state word: record it as FAULT -> FAULT */
    }
    ch->state = (uint8_t)PUMP_ST_FAULT;
    pump__ch_outputs(ch); /* motor off */
    pump__ch_rec_init(ch, &r, PUMP_REC_FAULT, PUMP_EV_COUNT);
    r.from = (uint8_t)from;
    r.code = (uint8_t)why;
    r.v1 = line;
    pump__ch_log(ch, &r);
    pump__ch_alarm_raise(ch, why);
    if (from != PUMP_ST_FAULT) {
        write_state_record(ch, from, PUMP_EV_COUNT);
    }
}

pump_status pump__fsm_step(struct pump_channel *ch, pump_event ev, const struct pump_cmd *cmd)
{
    pump_state next = PUMP_ST_FAULT;
    pump_action act = PUMP_ACT_NONE;
    PUMP_ASSERT(ch, (unsigned)ch->state < (unsigned)PUMP_ST_COUNT);
    if (!pump__fsm_allowed((pump_state)ch->state, ev, &next, &act)) {
        return PUMP_ERR_REFUSED;
    }
    switch (act) {
    case PUMP_ACT_NONE:
        break;
    case PUMP_ACT_PROGRAM:
    case PUMP_ACT_CONFIRM:
    case PUMP_ACT_DECLINE:
    case PUMP_ACT_START:
    case PUMP_ACT_PAUSE:
    case PUMP_ACT_RESUME:
    case PUMP_ACT_STOP:
    case PUMP_ACT_TITRATE:
    case PUMP_ACT_BOLUS:
    case PUMP_ACT_SECONDARY:
    case PUMP_ACT_PCA_DOSE:
    case PUMP_ACT_ALARM_ACK:
    case PUMP_ACT_ALARM_SILENCE:
    case PUMP_ACT_LIBRARY:
    case PUMP_ACT_POWER_LOSS:
    case PUMP_ACT_POWER_RESTORE:
    case PUMP_ACT_ALARM_STOP:
    case PUMP_ACT_BOLUS_END:
    case PUMP_ACT_SECONDARY_END:
    case PUMP_ACT_VTBI_DONE:
        pump__ch_action(ch, act, ev, cmd);
        break;
    case PUMP_ACT_COUNT:
    default:
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__);
        return PUMP_ERR_INTERNAL;
    }
    if ((ch->state == (uint8_t)PUMP_ST_FAULT) && (next != PUMP_ST_FAULT)) {
        return PUMP_ERR_INTERNAL; /* the action found a broken invariant */
    }
    set_state(ch, next, ev);
    PUMP_ASSERT(ch, invariants_hold(ch));
    return PUMP_OK;
}
