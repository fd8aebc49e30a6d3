/*
 * runner.c - scenario steps on a simulated pump. Contract: see runner.h.
 */
#include "runner.h"

#include <stdio.h>
#include <string.h>

#include "names.h"

#define NL_PER_ML 1000000

bool runner_start(struct runner_pump *rp, const struct scenario *sc,
                  const struct sim_pump_config *cfg)
{
    uint64_t next_seq = 1;
    bool interrupted = false;

    memset(rp, 0, sizeof *rp);
    rp->sc = sc;
    rp->cfg = *cfg;
    if (cfg->dd != NULL) {
        next_seq = cfg->dd->next_seq;
        rp->base_ms = cfg->dd->last_time_ms;
        interrupted = sim_pump_dd_interrupted(cfg->dd);
    }
    if (!sim_pump_init(&rp->pump, cfg, rp->base_ms, next_seq, interrupted)) {
        (void)snprintf(rp->error, sizeof rp->error, "%s", rp->pump.error);
        return false;
    }
    return true;
}

uint64_t runner_time_ms(const struct runner_pump *rp)
{
    return rp->pump.now_ms - rp->base_ms;
}

bool runner_done(const struct runner_pump *rp)
{
    return rp->ended || rp->next_step >= rp->sc->n_steps;
}

/* ---- expectations ----------------------------------------------------------------------------- */

struct diff {
    char s[1024];
    size_t len;
};

static void diff_add(struct diff *d, const char *text)
{
    int w = snprintf(d->s + d->len, sizeof d->s - d->len, "%s%s", d->len > 0 ? "; " : "", text);
    if (w > 0) {
        d->len += ((size_t)w < sizeof d->s - d->len) ? (size_t)w : sizeof d->s - d->len - 1U;
    }
}

static const char *qtext(struct pump_q q, char *buf, size_t cap)
{
    if (pump_q_format(q, 6, buf, cap) != PUMP_OK) {
        (void)snprintf(buf, cap, "?");
    }
    return buf;
}

/* |actual - expected| <= tol, exactly. */
static bool within(struct pump_q actual, struct pump_q expected, struct pump_q tol)
{
    struct pump_q d;
    if (pump_q_sub(actual, expected, &d) != PUMP_OK) {
        return false;
    }
    if (pump_q_sign(d) < 0) {
        d.num = -d.num;
    }
    return pump_q_cmp(d, tol) <= 0;
}

static struct pump_q nl_to_ml(uint64_t nl)
{
    struct pump_q q;
    if (pump_q_make((int64_t)(nl > INT64_MAX ? INT64_MAX : nl), NL_PER_ML, &q) != PUMP_OK) {
        return pump_q_int(0);
    }
    return q;
}

static void active_alarms(const struct pump_channel *ch, char *buf, size_t cap)
{
    size_t n = 0;
    unsigned i;
    buf[0] = '\0';
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        if (pump_alarm_is_active(&ch->alarms, (pump_alarm_id)i)) {
            int w = snprintf(buf + n, cap - n, "%s%s", n > 0 ? ", " : "",
                             pump_alarm_str((pump_alarm_id)i));
            if (w < 0 || (size_t)w >= cap - n) {
                return;
            }
            n += (size_t)w;
        }
    }
}

static void check_alarms(const struct runner_pump *rp, const struct scenario_expect *ex,
                         struct diff *d)
{
    const struct pump_channel *ch = &rp->pump.ch;
    char act[512];
    char msg[800];
    pump_alarm_id id;
    active_alarms(ch, act, sizeof act);
    if (ex->has_alarms) {
        bool same = true;
        uint32_t n_want = 0;
        size_t i;
        for (i = 0; i < ex->n_alarms; i++) {
            if (names_alarm_parse(ex->alarms[i], &id) && !pump_alarm_is_active(&ch->alarms, id)) {
                same = false;
            }
            n_want++;
        }
        if (same && ch->alarms.n_active != n_want) {
            uint32_t n_act = 0;
            unsigned k;
            for (k = 0; k < (unsigned)PUMP_ALM_COUNT; k++) {
                n_act += pump_alarm_is_active(&ch->alarms, (pump_alarm_id)k) ? 1U : 0U;
            }
            same = (n_act == n_want);
        }
        if (!same) {
            char want[512];
            size_t n = 0;
            want[0] = '\0';
            for (i = 0; i < ex->n_alarms; i++) {
                int w = snprintf(want + n, sizeof want - n, "%s%s", n > 0 ? ", " : "",
                                 ex->alarms[i]);
                if (w < 0 || (size_t)w >= sizeof want - n) {
                    break;
                }
                n += (size_t)w;
            }
            (void)snprintf(msg, sizeof msg, "active alarms are [%s], expected [%s]", act, want);
            diff_add(d, msg);
        }
    }
    if (ex->alarm != NULL && names_alarm_parse(ex->alarm, &id) &&
        !pump_alarm_is_active(&ch->alarms, id)) {
        (void)snprintf(msg, sizeof msg, "alarm %s is not active (active: [%s])", ex->alarm, act);
        diff_add(d, msg);
    }
    if (ex->no_alarm != NULL && names_alarm_parse(ex->no_alarm, &id) &&
        pump_alarm_is_active(&ch->alarms, id)) {
        (void)snprintf(msg, sizeof msg, "alarm %s is active", ex->no_alarm);
        diff_add(d, msg);
    }
}

static void check_amounts(const struct runner_pump *rp, const struct scenario_expect *ex,
                          struct diff *d)
{
    char a[64];
    char b[64];
    char c[64];
    char msg[400];
    if (ex->has_rate) {
        struct pump_q actual = nl_to_ml(sim_pump_rate_nl_per_h(&rp->pump));
        if (!within(actual, ex->rate_ml_h, ex->rate_tolerance_ml_h)) {
            (void)snprintf(msg, sizeof msg, "rate is %s mL/h, expected %s mL/h (+/- %s)",
                           qtext(actual, a, sizeof a), qtext(ex->rate_ml_h, b, sizeof b),
                           qtext(ex->rate_tolerance_ml_h, c, sizeof c));
            diff_add(d, msg);
        }
    }
    if (ex->has_volume) {
        struct pump_q actual = nl_to_ml(sim_pump_volume_nl(&rp->pump));
        struct pump_q tol = ex->has_tolerance ? ex->tolerance_ml
                                              : nl_to_ml(rp->pump.hw.cfg.step_nl);
        if (!within(actual, ex->volume_ml, tol)) {
            (void)snprintf(msg, sizeof msg, "volume infused is %s mL, expected %s mL (+/- %s)",
                           qtext(actual, a, sizeof a), qtext(ex->volume_ml, b, sizeof b),
                           qtext(tol, c, sizeof c));
            diff_add(d, msg);
        }
    }
    if (ex->has_bolus_max) {
        struct pump_q actual = nl_to_ml(rp->pump.hw.bolus_nl);
        if (pump_q_cmp(actual, ex->unintended_bolus_max_ml) > 0) {
            (void)snprintf(msg, sizeof msg,
                           "unintended bolus to the patient is %s mL, expected at most %s mL",
                           qtext(actual, a, sizeof a),
                           qtext(ex->unintended_bolus_max_ml, b, sizeof b));
            diff_add(d, msg);
        }
    }
}

/* Whether ev has every field of match with an equal value. */
static bool event_matches(const json_t *ev, const json_t *match)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)match, k, v) {
        const json_t *have = json_object_get(ev, k);
        if (have == NULL || !json_equal(have, v)) {
            return false;
        }
    }
    return true;
}

static bool find_event(const struct runner_pump *rp, const struct scenario_expect *ex,
                       const json_t *match)
{
    size_t i;
    const json_t *ev;
    uint64_t since = rp->base_ms + (ex->has_since ? ex->since_ms : 0U);
    json_array_foreach(rp->events, i, ev) {
        json_int_t t = json_integer_value(json_object_get(ev, "time_ms"));
        if ((!ex->has_since || (t >= 0 && (uint64_t)t >= since)) && event_matches(ev, match)) {
            return true;
        }
    }
    return false;
}

static void check_events(struct runner_pump *rp, const struct scenario_expect *ex, struct diff *d)
{
    char msg[700];
    char *m;
    if (ex->event == NULL && ex->no_event == NULL) {
        return;
    }
    if (rp->events == NULL) {
        rp->n_skipped++;
        return;
    }
    if (ex->event != NULL && !find_event(rp, ex, ex->event)) {
        m = json_dumps(ex->event, JSON_COMPACT);
        (void)snprintf(msg, sizeof msg, "no event matches %s", m != NULL ? m : "?");
        free(m);
        diff_add(d, msg);
    }
    if (ex->no_event != NULL && find_event(rp, ex, ex->no_event)) {
        m = json_dumps(ex->no_event, JSON_COMPACT);
        (void)snprintf(msg, sizeof msg, "an event matches %s", m != NULL ? m : "?");
        free(m);
        diff_add(d, msg);
    }
}

static void check(struct runner_pump *rp, const struct scenario_step *st)
{
    const struct scenario_expect *ex = &st->expect;
    const struct pump_channel *ch = &rp->pump.ch;
    struct diff d;
    char msg[300];

    memset(&d, 0, sizeof d);
    rp->n_expect++;
    if (ex->status != NULL && strcmp(ex->status, names_status_str(rp->last_status)) != 0) {
        (void)snprintf(msg, sizeof msg, "the last command returned %s (%s), expected %s",
                       names_status_str(rp->last_status), pump_status_str(rp->last_status),
                       ex->status);
        diff_add(&d, msg);
    }
    if (ex->state != NULL && strcmp(ex->state, pump_state_str((pump_state)ch->state)) != 0) {
        (void)snprintf(msg, sizeof msg, "state is %s, expected %s",
                       pump_state_str((pump_state)ch->state), ex->state);
        diff_add(&d, msg);
    }
    check_alarms(rp, ex, &d);
    check_amounts(rp, ex, &d);
    check_events(rp, ex, &d);
    if (d.len > 0) {
        rp->n_failed++;
        if (rp->report != NULL) {
            rp->report(rp->report_arg, st, d.s);
        }
    }
}

/* ---- actions ---------------------------------------------------------------------------------- */

static struct pump_override override_of(const struct scenario_step *st)
{
    struct pump_override o;
    pump_override_reason r = PUMP_OVR_NONE;
    memset(&o, 0, sizeof o);
    if (st->reason != NULL && names_reason_parse(st->reason, &r)) {
        o.reason = (uint8_t)r;
    }
    if (st->reason_text != NULL) {
        o.text = st->reason_text;
        o.text_len = strlen(st->reason_text);
    }
    return o;
}

/* Power comes back after the outage: a new pump (core state lost, as in RAM) on the same
 * hardware, from the data directory when there is one, else from what the pump remembered. */
static bool restore_power(struct runner_pump *rp, uint64_t outage_ms)
{
    struct hal_sim hw = rp->pump.hw;
    uint64_t vol = sim_pump_volume_nl(&rp->pump);
    uint64_t next_seq = pump_log_next_seq(&rp->pump.log);
    bool interrupted = rp->pump.interrupted;
    uint64_t start = rp->pump.now_ms + outage_ms;

    hal_sim_advance(&hw, outage_ms);
    if (rp->cfg.dd != NULL) {
        char path[sizeof rp->cfg.dd->path];
        memcpy(path, rp->cfg.dd->path, sizeof path);
        datadir_abandon(rp->cfg.dd);
        if (!datadir_open(rp->cfg.dd, path)) {
            (void)snprintf(rp->error, sizeof rp->error, "%s", rp->cfg.dd->error);
            return false;
        }
        next_seq = rp->cfg.dd->next_seq;
        interrupted = sim_pump_dd_interrupted(rp->cfg.dd);
    }
    if (!sim_pump_init(&rp->pump, &rp->cfg, start, next_seq, interrupted)) {
        (void)snprintf(rp->error, sizeof rp->error, "%s", rp->pump.error);
        return false;
    }
    /* The hardware kept its state (a clamp stays clamped); the motor is stopped. */
    hw.rate_nl_per_h = 0;
    hw.steps_left = HAL_NO_STEP_LIMIT;
    rp->pump.hw = hw;
    rp->pump.last_steps = hw.steps;
    rp->pump.volume_base_nl = vol;
    rp->n_restarts++;
    return true;
}

static void command(struct runner_pump *rp, pump_event kind, const struct scenario_step *st)
{
    struct pump_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)kind;
    if (st != NULL) {
        cmd.program.lib = rp->cfg.lib;
        cmd.program.prog = &st->prog;
        cmd.program.ovr = override_of(st);
    }
    rp->last_status = sim_pump_command(&rp->pump, &cmd);
}

static bool exec_step(struct runner_pump *rp, const struct scenario_step *st)
{
    struct pump_cmd cmd;
    pump_alarm_id id = PUMP_ALM_COUNT;

    memset(&cmd, 0, sizeof cmd);
    switch ((scenario_action)st->action) {
    case SCN_PROGRAM:
        command(rp, PUMP_EV_PROGRAM, st);
        break;
    case SCN_TITRATE:
        command(rp, PUMP_EV_TITRATE, st);
        break;
    case SCN_BOLUS:
        command(rp, PUMP_EV_BOLUS, st);
        break;
    case SCN_SECONDARY:
        command(rp, PUMP_EV_SECONDARY, st);
        break;
    case SCN_CLINICIAN_BOLUS:
        command(rp, PUMP_EV_CLINICIAN_BOLUS, st);
        break;
    case SCN_CONFIRM:
        cmd.kind = (uint8_t)PUMP_EV_CONFIRM;
        cmd.confirm = override_of(st);
        rp->last_status = sim_pump_command(&rp->pump, &cmd);
        break;
    case SCN_DECLINE:
        command(rp, PUMP_EV_DECLINE, NULL);
        break;
    case SCN_START:
        command(rp, PUMP_EV_START, NULL);
        break;
    case SCN_PCA_DEMAND:
        command(rp, PUMP_EV_PCA_DEMAND, NULL);
        break;
    case SCN_PAUSE:
        command(rp, PUMP_EV_PAUSE, NULL);
        break;
    case SCN_RESUME:
        command(rp, PUMP_EV_RESUME, NULL);
        break;
    case SCN_STOP:
        command(rp, PUMP_EV_STOP, NULL);
        break;
    case SCN_ACKNOWLEDGE:
    case SCN_SILENCE:
        (void)names_alarm_parse(st->alarm, &id);
        cmd.kind = (uint8_t)((st->action == SCN_ACKNOWLEDGE) ? PUMP_EV_ALARM_ACK
                                                              : PUMP_EV_ALARM_SILENCE);
        cmd.alarm.alarm = (uint8_t)id;
        rp->last_status = sim_pump_command(&rp->pump, &cmd);
        break;
    case SCN_FAULT:
    case SCN_CLEAR:
        (void)sim_pump_fault(&rp->pump, &st->fault);
        break;
    case SCN_POWER_LOSS:
        sim_pump_power_loss(&rp->pump);
        if (!st->has_restore) {
            rp->ended = true;
            return true;
        }
        return restore_power(rp, st->restore_after_ms);
    case SCN_EXPECT:
        check(rp, st);
        break;
    case SCN_COUNT:
    default:
        break;
    }
    return true;
}

bool runner_advance(struct runner_pump *rp, uint64_t t_ms)
{
    while (!rp->ended && rp->next_step < rp->sc->n_steps) {
        const struct scenario_step *st = &rp->sc->steps[rp->next_step];
        if (st->at_ms > t_ms) {
            break;
        }
        sim_pump_advance_to(&rp->pump, rp->base_ms + st->at_ms);
        rp->next_step++;
        if (!exec_step(rp, st)) {
            return false;
        }
        if (rp->pump.failed) {
            (void)snprintf(rp->error, sizeof rp->error, "%s", rp->pump.error);
            return false;
        }
    }
    if (!rp->ended) {
        sim_pump_advance_to(&rp->pump, rp->base_ms + t_ms);
    }
    if (rp->pump.failed) {
        (void)snprintf(rp->error, sizeof rp->error, "%s", rp->pump.error);
        return false;
    }
    return true;
}
