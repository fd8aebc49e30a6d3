/*
 * pump_channel.c - what the channel does around its state table: guards (DERS, PCA, pressure
 * relief), the actions the table names, delivery accounting in integers, alarms and records
 * (contract: see pump_channel.h). The state itself changes only in pump_fsm.c.
 *
 * Units: volumes in nL, rates in nL/h, time in ms. 1 mL/h for 1 h is 10^6 nL, so the commanded
 * volume of an interval is rate_nl_per_h x ms / 3,600,000; the remainder is carried to the next
 * interval, so over any split of a run the commanded volume is floor(rate x total_ms / 3.6e6)
 * exactly (test_channel_accuracy.c).
 */
#include "pump/pump_channel.h"

#include "pump_channel_internal.h"
#include "pump_internal.h"

#define MS_PER_H 3600000ULL
#define NL_PER_ML 1000000
#define MS_PER_MIN 60000

typedef enum { ROUND_FLOOR = 0, ROUND_CEIL, ROUND_NEAREST } round_mode;

/* ---- configuration ------------------------------------------------------------------------- */

void pump_channel_config_default(struct pump_channel_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    __builtin_memset(cfg, 0, sizeof *cfg);
    cfg->max_rate_nl_per_h = 1200000000ULL; /* 1200 mL/h */
    cfg->kvo_rate_nl_per_h = 1000000ULL;    /* 1 mL/h */
    cfg->pca_rate_nl_per_h = 100000000ULL;  /* 100 mL/h */
    cfg->occl_down_mmhg = 600;
    cfg->occl_up_mmhg = 250;
    cfg->relief_mmhg = 100;
    cfg->air_bubble_nl = 50000U;   /* 50 uL */
    cfg->air_accum_nl = 1000000U;  /* 1 mL in 15 min */
    cfg->battery_low_pct = 20U;
    cfg->battery_depleted_pct = 5U;
    cfg->near_end_ms = 5U * 60000U;
    cfg->paused_reminder_ms = 2U * 60000U;
    cfg->silence_ms = PUMP_SILENCE_MAX_MS;
    cfg->checkpoint_ms = 5U * 60000U;
    cfg->watchdog_ms = 5000U;
    cfg->motor_slack_nl = 20000U; /* 20 uL */
}

static bool config_valid(const struct pump_channel_config *c)
{
    return (c->channel < PUMP_CHANNELS_MAX) && (c->max_rate_nl_per_h > 0U) &&
           (c->max_rate_nl_per_h <= PUMP_RATE_MAX_NL_PER_H) &&
           (c->kvo_rate_nl_per_h <= c->max_rate_nl_per_h) && (c->pca_rate_nl_per_h > 0U) &&
           (c->pca_rate_nl_per_h <= c->max_rate_nl_per_h) && (c->occl_down_mmhg > 0) &&
           (c->occl_up_mmhg > 0) && (c->relief_mmhg >= 0) &&
           (c->relief_mmhg < c->occl_down_mmhg) && (c->air_bubble_nl > 0U) &&
           (c->air_accum_nl > 0U) && (c->battery_depleted_pct < c->battery_low_pct) &&
           (c->battery_low_pct <= 100U) && (c->silence_ms > 0U) &&
           (c->silence_ms <= PUMP_SILENCE_MAX_MS) && (c->checkpoint_ms > 0U) &&
           (c->watchdog_ms > 0U);
}

pump_status pump_channel_init(struct pump_channel *ch, const struct pump_channel_config *cfg,
                              struct pump_log *log)
{
    if ((ch == NULL) || (cfg == NULL) || (log == NULL) || !config_valid(cfg)) {
        return PUMP_ERR_INVAL;
    }
    __builtin_memset(ch, 0, sizeof *ch);
    ch->cfg = *cfg;
    ch->log = log;
    ch->state = (uint8_t)PUMP_ST_IDLE;
    pump__ch_outputs(ch);
    return PUMP_OK;
}

/* ---- records ------------------------------------------------------------------------------- */

void pump__ch_rec_init(const struct pump_channel *ch, struct pump_log_record *r, pump_rec_type type,
                       pump_event ev)
{
    __builtin_memset(r, 0, sizeof *r);
    r->time_ms = ch->now_ms;
    r->type = (uint8_t)type;
    r->channel = ch->cfg.channel;
    r->event = (uint8_t)ev;
    r->from = ch->state;
    r->to = ch->state;
}

void pump__ch_log(struct pump_channel *ch, struct pump_log_record *r)
{
    /* PUMP_ERR_FULL is accounted inside the log (LOST record, LOG_FULL alarm): nothing to do. */
    (void)pump_log_append(ch->log, r);
}

static void rec_text(struct pump_log_record *r, const char *a, size_t alen, const char *b,
                     size_t blen)
{
    size_t n = 0;
    for (size_t i = 0; (i < alen) && (n < PUMP_LOG_TEXT_MAX); i++) {
        r->text[n++] = a[i];
    }
    if ((b != NULL) && (n < PUMP_LOG_TEXT_MAX)) {
        r->text[n++] = '@';
        for (size_t i = 0; (i < blen) && (n < PUMP_LOG_TEXT_MAX); i++) {
            r->text[n++] = b[i];
        }
    }
    r->text_len = (uint8_t)n;
}

/* ---- alarms -------------------------------------------------------------------------------- */

static void alarm_record(struct pump_channel *ch, pump_alarm_id id, pump_alarm_step step)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_ALARM, PUMP_EV_COUNT);
    r.code = (uint8_t)id;
    r.detail = (uint8_t)step;
    pump_priority prio = pump_alarm_priority(id);
    r.extra = (uint8_t)prio;
    r.v1 = ch->alarms.a[id].silenced_until_ms;
    pump__ch_log(ch, &r);
}

void pump__ch_alarm_raise(struct pump_channel *ch, pump_alarm_id id)
{
    struct pump_alarm *a;
    if (PUMP_NEVER((unsigned)id >= (unsigned)PUMP_ALM_COUNT)) {
        return; /* DEFENSIVE: callers pass constants */
    }
    a = &ch->alarms.a[id];
    if ((a->flags & PUMP_ALARM_F_ACTIVE) == 0U) {
        a->flags = (uint8_t)(PUMP_ALARM_F_ACTIVE | PUMP_ALARM_F_CONDITION);
        a->raised_ms = ch->now_ms;
        a->silenced_until_ms = 0U;
        ch->alarms.n_active++;
        alarm_record(ch, id, PUMP_ALARM_RAISED);
    } else {
        a->flags |= PUMP_ALARM_F_CONDITION;
    }
}

static void alarm_clear(struct pump_channel *ch, pump_alarm_id id)
{
    ch->alarms.a[id].flags = 0U;
    ch->alarms.a[id].silenced_until_ms = 0U;
    ch->alarms.n_active--;
    alarm_record(ch, id, PUMP_ALARM_CLEARED);
}

/* The cause of a condition alarm is present or not. Event alarms ignore "not present": only an
 * acknowledgement ends them. */
static void alarm_condition_change(struct pump_channel *ch, pump_alarm_id id, bool present)
{
    struct pump_alarm *a = &ch->alarms.a[id];
    pump__alarm_kind kind = pump__alarm_kind_of(id);
    if (present) {
        pump__ch_alarm_raise(ch, id);
        return;
    }
    if (((a->flags & PUMP_ALARM_F_ACTIVE) == 0U) || (kind == PUMP__ALARM_EVENT)) {
        return;
    }
    a->flags &= (uint8_t)~PUMP_ALARM_F_CONDITION;
    if ((kind == PUMP__ALARM_FOLLOWS) || ((a->flags & PUMP_ALARM_F_ACKED) != 0U)) {
        alarm_clear(ch, id);
    }
}

/* Fast path, inlined at every call (about a dozen per tick): nothing can change when the cause
 * is present and the alarm is already active with its cause flagged (raising again is a no-op),
 * nor when the cause is absent and the alarm is not active. Only the rest looks the table up. */
static inline void alarm_condition(struct pump_channel *ch, pump_alarm_id id, bool present)
{
    unsigned f = ch->alarms.a[id].flags;
    bool unchanged = present ? ((f & (PUMP_ALARM_F_ACTIVE | PUMP_ALARM_F_CONDITION)) ==
                                (PUMP_ALARM_F_ACTIVE | PUMP_ALARM_F_CONDITION))
                             : ((f & PUMP_ALARM_F_ACTIVE) == 0U);
    if (!unchanged) {
        alarm_condition_change(ch, id, present);
    }
}

static void alarm_ack(struct pump_channel *ch, pump_alarm_id id)
{
    struct pump_alarm *a = &ch->alarms.a[id];
    if (((a->flags & PUMP_ALARM_F_ACTIVE) == 0U) || ((a->flags & PUMP_ALARM_F_ACKED) != 0U)) {
        return;
    }
    a->flags |= PUMP_ALARM_F_ACKED;
    alarm_record(ch, id, PUMP_ALARM_ACKED);
    if ((pump__alarm_kind_of(id) == PUMP__ALARM_EVENT) ||
        ((a->flags & PUMP_ALARM_F_CONDITION) == 0U)) {
        alarm_clear(ch, id);
    }
}

static void alarm_silence(struct pump_channel *ch, pump_alarm_id id)
{
    struct pump_alarm *a = &ch->alarms.a[id];
    if (((a->flags & PUMP_ALARM_F_ACTIVE) == 0U) || ((a->flags & PUMP_ALARM_F_ACKED) != 0U)) {
        return;
    }
    a->flags |= PUMP_ALARM_F_SILENCED;
    a->silenced_until_ms = ch->now_ms + ch->cfg.silence_ms; /* at most 2 min from now */
    alarm_record(ch, id, PUMP_ALARM_SILENCED);
}

static void alarms_rearm(struct pump_channel *ch)
{
    if (ch->alarms.n_active == 0U) {
        return; /* fast path: only an active alarm can be silenced (cleared = all flags 0) */
    }
    for (unsigned i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        struct pump_alarm *a = &ch->alarms.a[i];
        if (((a->flags & PUMP_ALARM_F_SILENCED) != 0U) && (ch->now_ms >= a->silenced_until_ms)) {
            a->flags &= (uint8_t)~PUMP_ALARM_F_SILENCED;
            alarm_record(ch, (pump_alarm_id)i, PUMP_ALARM_REARMED);
        }
    }
}

/* A stop alarm's cause is present. With latching_only, event alarms (air, restart), which the
 * clinician clears by resuming, are not counted. */
static bool stop_cause_present(const struct pump_channel *ch, bool latching_only)
{
    if (ch->alarms.n_active == 0U) {
        return false; /* fast path: a cause is flagged only on an active alarm */
    }
    for (unsigned i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        pump_alarm_id id = (pump_alarm_id)i;
        /* the flag first: the table is looked up only for an alarm whose cause is present */
        if (((ch->alarms.a[i].flags & PUMP_ALARM_F_CONDITION) != 0U) &&
            (pump_alarm_effect_of(id) == PUMP_EFFECT_STOP) &&
            (!latching_only || (pump__alarm_kind_of(id) != PUMP__ALARM_EVENT))) {
            return true;
        }
    }
    return false;
}

/* ---- integer arithmetic -------------------------------------------------------------------- */

/* q x scale rounded to an integer >= 0. PUMP_ERR_RANGE when it does not fit or q < 0. */
static pump_status q_scale(struct pump_q q, int64_t scale, round_mode mode, uint64_t *out)
{
    struct pump_q r;
    uint64_t n;
    uint64_t d;
    uint64_t whole;
    uint64_t rem;
    if ((pump_q_mul(q, pump_q_int(scale), &r) != PUMP_OK) || (r.num < 0) || (r.den <= 0)) {
        return PUMP_ERR_RANGE;
    }
    n = (uint64_t)r.num;
    d = (uint64_t)r.den;
    whole = n / d;
    rem = n % d;
    if (((mode == ROUND_CEIL) && (rem != 0U)) || ((mode == ROUND_NEAREST) && (rem >= d - rem))) {
        whole++;
    }
    *out = whole;
    return PUMP_OK;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return (b > UINT64_MAX - a) ? UINT64_MAX : a + b;
}

/* Commanded volume of dt_ms at rate, with the sub-nanolitre remainder carried. Constant time
 * (a loop over chunks of dt hung the control loop for 4e9 iterations on a jump to UINT64_MAX):
 * rate x dt + rem = rate x q x 3.6e6 + (rate x r + rem) with dt = q x 3.6e6 + r, so
 * floor(.. / 3.6e6) = rate x q + floor((rate x r + rem) / 3.6e6), exactly. */
static void integrate(struct pump_channel *ch, uint64_t rate_nl_per_h, uint64_t dt_ms)
{
    uint64_t q = dt_ms / MS_PER_H;
    /* rate <= PUMP_RATE_MAX_NL_PER_H (2e9, an invariant) and r < 3.6e6: below 2^63. */
    uint64_t part = (rate_nl_per_h * (dt_ms % MS_PER_H)) + ch->commanded_rem;
    uint64_t nl = part / MS_PER_H;
    ch->commanded_rem = part % MS_PER_H;
    if ((q != 0U) && (rate_nl_per_h > (UINT64_MAX - nl) / q)) {
        nl = UINT64_MAX; /* centuries of delivery: the watchdog faulted long before; saturate */
    } else {
        nl += rate_nl_per_h * q;
    }
    ch->commanded_nl = sat_add(ch->commanded_nl, nl);
    ch->allowance_nl = sat_add(ch->allowance_nl, nl);
}

static uint64_t kvo_rate(const struct pump_channel *ch)
{
    return (ch->cfg.kvo_rate_nl_per_h < ch->primary.rate_nl_per_h) ? ch->cfg.kvo_rate_nl_per_h
                                                                     : ch->primary.rate_nl_per_h;
}

static uint64_t remaining(uint64_t target, uint64_t done)
{
    return (done >= target) ? 0U : target - done;
}

/* ---- outputs ------------------------------------------------------------------------------- */

static void segment_outputs(struct pump_channel *ch)
{
    pump_state s = (pump_state)ch->state;
    ch->has_segment_limit = true;
    ch->segment_remaining_nl = 0U;
    ch->has_time_remaining = false;
    ch->time_remaining_ms = 0U;
    if (s == PUMP_ST_BOLUS) {
        ch->segment_remaining_nl = remaining(ch->bolus_target_nl, ch->vol_bolus_nl);
    } else if ((s == PUMP_ST_RUNNING) && ch->is_secondary) {
        ch->segment_remaining_nl = remaining(ch->secondary.vtbi_nl, ch->vol_secondary_nl);
    } else if ((s == PUMP_ST_RUNNING) && (ch->primary.vtbi_nl != 0U)) {
        ch->segment_remaining_nl = remaining(ch->primary.vtbi_nl, ch->vol_primary_nl);
        if (ch->primary.rate_nl_per_h != 0U) {
            /* vtbi <= 1e10 nL, so x 3.6e6 stays below 2^63. */
            uint64_t num = ch->segment_remaining_nl * MS_PER_H;
            ch->has_time_remaining = true;
            ch->time_remaining_ms = (num + ch->primary.rate_nl_per_h - 1U) /
                                    ch->primary.rate_nl_per_h;
        }
    } else if ((s == PUMP_ST_RUNNING) || (s == PUMP_ST_KVO)) {
        ch->has_segment_limit = false; /* runs until stopped */
    } else {
        /* motor off: the host must deliver nothing */
    }
}

void pump__ch_outputs(struct pump_channel *ch)
{
    bool was_on = ch->motor_on;
    uint64_t rate = 0U;
    switch ((pump_state)ch->state) {
    case PUMP_ST_RUNNING:
        rate = ch->is_secondary ? ch->secondary_rate_nl_per_h : ch->primary.rate_nl_per_h;
        break;
    case PUMP_ST_BOLUS:
        rate = ch->bolus_rate_nl_per_h;
        break;
    case PUMP_ST_KVO:
        rate = kvo_rate(ch);
        break;
    case PUMP_ST_IDLE:
    case PUMP_ST_PROGRAMMED:
    case PUMP_ST_READY:
    case PUMP_ST_PAUSED:
    case PUMP_ST_COMPLETE:
    case PUMP_ST_ALARM_STOPPED:
    case PUMP_ST_FAULT:
    case PUMP_ST_COUNT:
    default:
        rate = 0U;
        break;
    }
    ch->rate_nl_per_h = rate;
    ch->motor_on = rate > 0U;
    if (ch->motor_on && !was_on) {
        ch->last_tick_ms = ch->now_ms; /* the watchdog counts from the motor's start */
    }
    ch->relieve_pressure =
        !ch->motor_on && ((ch->alarms.a[PUMP_ALM_OCCL_DOWN].flags & PUMP_ALARM_F_CONDITION) != 0U);
    segment_outputs(ch);
}

/* ---- programs: DERS and conversion to integers --------------------------------------------- */

static bool ids_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    return pump__bytes_equal(a, alen, b, blen) != 0;
}

static bool library_is_active(const struct pump_channel *ch, const struct pump_library *lib)
{
    const char *id = pump_library_str(lib, lib->library_id);
    const char *ver = pump_library_str(lib, lib->version);
    return ch->has_library &&
           ids_equal(ch->library_id, ch->library_id_len, id, lib->library_id.len) &&
           ids_equal(ch->library_version, ch->library_version_len, ver, lib->version.len);
}

/* Amount (in the entry's dosing unit, per kg or m2 as that unit says) to nL of the program's
 * solution: x weight or BSA, converted to the concentration's amount unit, / amount per mL. */
static pump_status amount_to_nl(const struct pump_program *prog, struct pump_unit dosing,
                                const struct pump_rx *rx, struct pump_q amount, round_mode mode,
                                uint64_t *out)
{
    struct pump_q factor = {0, 1};
    struct pump_q ml = {0, 1};
    pump_status st = PUMP_OK;
    if (dosing.body == (uint8_t)PUMP_PER_KG) {
        st = pump_q_mul(amount, prog->weight_kg.q, &amount);
    } else if (dosing.body == (uint8_t)PUMP_PER_M2) {
        st = pump_q_mul(amount, prog->bsa_m2.q, &amount);
    } else {
        /* an amount per patient */
    }
    if (st == PUMP_OK) {
        st = pump_amount_factor((pump_amount)dosing.amount, (pump_amount)rx->amount_unit, &factor);
    }
    if (st == PUMP_OK) {
        st = pump_q_mul(amount, factor, &amount);
    }
    if (st == PUMP_OK) {
        st = pump_q_div(amount, rx->amount_per_ml, &ml);
    }
    if (st == PUMP_OK) {
        st = q_scale(ml, NL_PER_ML, mode, out);
    }
    return (st == PUMP_OK) ? PUMP_OK : PUMP_ERR_RANGE;
}

static pump_status rx_pca(const struct pump_program *prog, const struct pump_entry *e,
                          struct pump_rx *rx)
{
    pump_status st;
    uint64_t lockout_ms = 0U;
    if (PUMP_NEVER(!rx->has_conc)) {
        return PUMP_ERR_INVAL; /* DEFENSIVE: the DERS rejects a PCA program without one */
    }
    st = amount_to_nl(prog, e->dosing_unit, rx, prog->pca_dose.q, ROUND_NEAREST,
                      &rx->pca_dose_nl);
    if ((st == PUMP_OK) && (prog->pca_basal.state == (uint8_t)PUMP_V_GIVEN)) {
        /* the basal is the dosing unit per hour: the same conversion gives nL/h */
        st = amount_to_nl(prog, e->dosing_unit, rx, prog->pca_basal.q, ROUND_NEAREST,
                          &rx->rate_nl_per_h);
    }
    if ((st == PUMP_OK) && (prog->pca_four_hour.state == (uint8_t)PUMP_V_GIVEN)) {
        /* rounded down: the pump may deliver less than the limit, never more */
        st = amount_to_nl(prog, e->dosing_unit, rx, prog->pca_four_hour.q, ROUND_FLOOR,
                          &rx->pca_limit_nl);
        if ((st == PUMP_OK) && (rx->pca_limit_nl == 0U)) {
            st = PUMP_ERR_RANGE;
        }
    }
    if (st == PUMP_OK) {
        st = q_scale(prog->pca_lockout_min.q, MS_PER_MIN, ROUND_CEIL, &lockout_ms);
    }
    rx->pca_lockout_ms = lockout_ms;
    if ((st == PUMP_OK) && (rx->pca_dose_nl == 0U)) {
        st = PUMP_ERR_RANGE;
    }
    return st;
}

static void rx_conc(const struct pump_program *prog, const struct pump_entry *e, struct pump_rx *rx)
{
    struct pump_q per_ml;
    if ((e != NULL) && e->has_conc &&
        (pump_q_div(e->conc_amount, e->conc_volume_ml, &per_ml) == PUMP_OK)) {
        rx->has_conc = true;
        rx->amount_per_ml = per_ml;
        rx->amount_unit = e->conc_amount_unit.amount;
    } else if (prog->has_conc && (prog->conc_amount.state == (uint8_t)PUMP_V_GIVEN) &&
               (pump_q_div(prog->conc_amount.q, prog->conc_volume_ml.q, &per_ml) == PUMP_OK)) {
        rx->has_conc = true;
        rx->amount_per_ml = per_ml;
        rx->amount_unit = prog->conc_unit.amount;
    } else {
        rx->has_conc = false; /* fluid, basic: volume only */
    }
}

static pump_status rx_volumes(const struct pump_channel *ch, const struct pump_program *prog,
                              const struct pump_ders_result *res, struct pump_rx *rx)
{
    pump_prog_mode m = (pump_prog_mode)rx->mode;
    if (res->has_rate) {
        if ((q_scale(res->rate_ml_h, NL_PER_ML, ROUND_NEAREST, &rx->rate_nl_per_h) != PUMP_OK) ||
            (rx->rate_nl_per_h == 0U) || (rx->rate_nl_per_h > ch->cfg.max_rate_nl_per_h)) {
            return PUMP_ERR_BLOCKED; /* beyond what this mechanism can do */
        }
    }
    if ((m == PUMP_MODE_CONTINUOUS) || (m == PUMP_MODE_FLUID) || (m == PUMP_MODE_BASIC)) {
        if ((prog->vtbi_ml.state == (uint8_t)PUMP_V_GIVEN) &&
            (q_scale(prog->vtbi_ml.q, NL_PER_ML, ROUND_NEAREST, &rx->vtbi_nl) != PUMP_OK)) {
            return PUMP_ERR_RANGE;
        }
    } else if (m != PUMP_MODE_PCA) {
        if (!res->has_volume ||
            (q_scale(res->volume_ml, NL_PER_ML, ROUND_NEAREST, &rx->vtbi_nl) != PUMP_OK) ||
            (rx->vtbi_nl == 0U)) {
            return PUMP_ERR_RANGE;
        }
    } else {
        /* PCA: volumes per dose, below */
    }
    if (rx->vtbi_nl > PUMP_VTBI_MAX_NL) {
        return PUMP_ERR_RANGE;
    }
    if (res->has_duration &&
        (q_scale(res->duration_min, MS_PER_MIN, ROUND_NEAREST, &rx->duration_ms) != PUMP_OK)) {
        return PUMP_ERR_RANGE;
    }
    return PUMP_OK;
}

/* The judged program (scratch_prog, scratch_ders) as integers into *rx. */
static pump_status rx_from_result(const struct pump_channel *ch, const struct pump_library *lib,
                                  struct pump_rx *rx)
{
    const struct pump_program *prog = &ch->scratch_prog;
    const struct pump_ders_result *res = &ch->scratch_ders;
    const struct pump_entry *e = NULL;
    pump_status st;
    __builtin_memset(rx, 0, sizeof *rx);
    rx->mode = prog->mode;
    rx->outcome = res->outcome;
    rx->limit = res->limit;
    rx->has_entry = res->has_entry && (prog->entry != NULL);
    if (rx->has_entry) {
        if (PUMP_NEVER(res->entry >= lib->n_entries)) {
            return PUMP_ERR_INVAL; /* DEFENSIVE: the DERS found it in this library */
        }
        e = &lib->st.entries[res->entry];
        rx->entry_index = res->entry;
        rx->entry_len = (uint8_t)prog->entry_len;
        __builtin_memcpy(rx->entry, prog->entry, prog->entry_len);
    }
    rx->area_len = (uint8_t)prog->care_area_len;
    if (prog->care_area_len > 0U) {
        __builtin_memcpy(rx->area, prog->care_area, prog->care_area_len);
    }
    if ((prog->dose.state == (uint8_t)PUMP_V_GIVEN) &&
        ((rx->mode == (uint8_t)PUMP_MODE_CONTINUOUS) || (rx->mode == (uint8_t)PUMP_MODE_FLUID))) {
        rx->has_dose = true;
        rx->dose = prog->dose.q;
    }
    rx_conc(prog, e, rx);
    st = rx_volumes(ch, prog, res, rx);
    if ((st == PUMP_OK) && (rx->mode == (uint8_t)PUMP_MODE_PCA)) {
        st = (e == NULL) ? PUMP_ERR_INVAL : rx_pca(prog, e, rx);
        if ((st == PUMP_OK) && (rx->rate_nl_per_h > ch->cfg.max_rate_nl_per_h)) {
            st = PUMP_ERR_BLOCKED;
        }
    }
    return st;
}

static void record_program(struct pump_channel *ch, pump_event ev)
{
    const struct pump_program *prog = &ch->scratch_prog;
    const struct pump_ders_result *res = &ch->scratch_ders;
    struct pump_log_record r;
    uint64_t v = 0U;
    pump__ch_rec_init(ch, &r, PUMP_REC_PROGRAM, ev);
    r.code = res->outcome;
    r.detail = res->limit;
    r.extra = prog->mode;
    if (res->has_rate && (q_scale(res->rate_ml_h, NL_PER_ML, ROUND_NEAREST, &v) == PUMP_OK)) {
        r.v1 = v;
    }
    if ((prog->vtbi_ml.state == (uint8_t)PUMP_V_GIVEN) &&
        (q_scale(prog->vtbi_ml.q, NL_PER_ML, ROUND_NEAREST, &v) == PUMP_OK)) {
        r.v2 = v;
    } else if (res->has_volume &&
               (q_scale(res->volume_ml, NL_PER_ML, ROUND_NEAREST, &v) == PUMP_OK)) {
        r.v2 = v;
    } else {
        r.v2 = 0U;
    }
    if (res->has_duration && (q_scale(res->duration_min, MS_PER_MIN, ROUND_NEAREST, &v) == PUMP_OK)) {
        r.v3 = v;
    }
    if (prog->entry != NULL) {
        rec_text(&r, prog->entry, prog->entry_len, NULL, 0U);
    }
    pump__ch_log(ch, &r);
}

static void record_override(struct pump_channel *ch, pump_event ev, const struct pump_rx *rx,
                            const struct pump_override *ovr)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_OVERRIDE, ev);
    r.code = rx->outcome;
    r.detail = ovr->reason;
    r.extra = rx->limit;
    if (ovr->text_len > 0U) {
        rec_text(&r, ovr->text, ovr->text_len, NULL, 0U);
    }
    pump__ch_log(ch, &r);
}

static bool override_valid(const struct pump_override *ovr)
{
    return (ovr->reason < (uint8_t)PUMP_OVR_COUNT) && (ovr->text_len <= PUMP_REASON_TEXT_MAX) &&
           ((ovr->text_len == 0U) || (ovr->text != NULL));
}

static bool is_soft(uint8_t outcome)
{
    return (outcome == (uint8_t)PUMP_SOFT_LOW) || (outcome == (uint8_t)PUMP_SOFT_HIGH);
}

/* Which program modes each program-carrying command takes, and whether it must name the running
 * primary's entry. */
static bool mode_fits(const struct pump_channel *ch, pump_event ev, const struct pump_program *p)
{
    pump_prog_mode m = (pump_prog_mode)p->mode;
    pump_prog_mode pm = (pump_prog_mode)ch->primary.mode;
    bool same_entry = (p->entry != NULL) && ch->primary.has_entry &&
                      ids_equal(p->entry, p->entry_len, ch->primary.entry, ch->primary.entry_len);
    switch (ev) {
    case PUMP_EV_PROGRAM:
        return (m != PUMP_MODE_BOLUS) && (m != PUMP_MODE_LOADING);
    case PUMP_EV_TITRATE:
        return (m == pm) && ((m == PUMP_MODE_CONTINUOUS) || (m == PUMP_MODE_FLUID) ||
                             (m == PUMP_MODE_BASIC)) &&
               ((m == PUMP_MODE_BASIC) || same_entry);
    case PUMP_EV_BOLUS:
        /* Not while a secondary runs: the line delivers another drug (and BOLUS would carry
         * is_secondary, an invariant breach: a host command must never latch FAULT). */
        return ((m == PUMP_MODE_BOLUS) || (m == PUMP_MODE_LOADING)) && same_entry &&
               (pm != PUMP_MODE_PCA) && !ch->is_secondary;
    case PUMP_EV_SECONDARY:
        return ((m == PUMP_MODE_CONTINUOUS) || (m == PUMP_MODE_INTERMITTENT) ||
                (m == PUMP_MODE_FLUID) || (m == PUMP_MODE_BASIC)) &&
               (pm != PUMP_MODE_PCA) && !ch->is_secondary;
    case PUMP_EV_CLINICIAN_BOLUS:
        return (m == PUMP_MODE_PCA) && (pm == PUMP_MODE_PCA) && same_entry;
    case PUMP_EV_CONFIRM:
    case PUMP_EV_DECLINE:
    case PUMP_EV_START:
    case PUMP_EV_PAUSE:
    case PUMP_EV_RESUME:
    case PUMP_EV_STOP:
    case PUMP_EV_PCA_DEMAND:
    case PUMP_EV_TICK:
    case PUMP_EV_ALARM_ACK:
    case PUMP_EV_ALARM_SILENCE:
    case PUMP_EV_LIBRARY_ACTIVATE:
    case PUMP_EV_POWER_LOSS:
    case PUMP_EV_POWER_RESTORE:
    case PUMP_EV_ALARM_STOP:
    case PUMP_EV_BOLUS_DONE:
    case PUMP_EV_SECONDARY_DONE:
    case PUMP_EV_VTBI_DONE_KVO:
    case PUMP_EV_VTBI_DONE_STOP:
    case PUMP_EV_COUNT:
    default:
        return false;
    }
}

static bool program_shape_ok(const struct pump_program *p)
{
    return (p->care_area_len <= PUMP_ID_MAX) && (p->entry_len <= PUMP_ID_MAX) &&
           ((p->care_area != NULL) || (p->care_area_len == 0U)) &&
           ((p->entry != NULL) || (p->entry_len == 0U)) &&
           ((unsigned)p->mode < (unsigned)PUMP_MODE_COUNT);
}

/*
 * Guard of every program-carrying command: shape, active library, mode, then the DERS (recorded
 * whatever it says), then the conversion. A soft alert on anything but PROGRAM must come with its
 * override reason (recorded); PROGRAM's soft alerts are confirmed by CONFIRM.
 */
static pump_status judge_program(struct pump_channel *ch, pump_event ev, const struct pump_cmd *cmd)
{
    const struct pump_library *lib = cmd->program.lib;
    const struct pump_program *prog = cmd->program.prog;
    pump_status st;
    if ((lib == NULL) || (prog == NULL) || !program_shape_ok(prog) ||
        !override_valid(&cmd->program.ovr) || !library_is_active(ch, lib) ||
        !mode_fits(ch, ev, prog)) {
        return PUMP_ERR_INVAL;
    }
    if (pump_log_is_high(ch->log)) {
        return PUMP_ERR_REFUSED; /* nothing new starts while records could be lost */
    }
    ch->scratch_prog = *prog;
    if ((ev == PUMP_EV_TITRATE) && ch->primary.has_dose) {
        /* Titration is judged against the dose that is running, whatever the host sent. */
        ch->scratch_prog.current_dose.state = (uint8_t)PUMP_V_GIVEN;
        ch->scratch_prog.current_dose.q = ch->primary.dose;
    }
    if (pump_ders_check(lib, &ch->scratch_prog, &ch->scratch_ders) != PUMP_OK) {
        return PUMP_ERR_INVAL;
    }
    record_program(ch, ev);
    if (ch->scratch_ders.outcome >= (uint8_t)PUMP_HARD_LOW) {
        return PUMP_ERR_BLOCKED; /* hard stop or invalid: never runs */
    }
    st = rx_from_result(ch, lib, &ch->staged);
    if (st != PUMP_OK) {
        return st;
    }
    if ((ev == PUMP_EV_SECONDARY) &&
        ((ch->staged.vtbi_nl == 0U) ||
         (ch->staged.has_entry && !lib->st.entries[ch->staged.entry_index].secondary_allowed))) {
        return PUMP_ERR_INVAL; /* a secondary needs a volume and an entry that allows it */
    }
    if ((ev != PUMP_EV_PROGRAM) && is_soft(ch->staged.outcome)) {
        if (cmd->program.ovr.reason == (uint8_t)PUMP_OVR_NONE) {
            return PUMP_ERR_NEED_REASON;
        }
        record_override(ch, ev, &ch->staged, &cmd->program.ovr);
    }
    return PUMP_OK;
}

/* ---- PCA ----------------------------------------------------------------------------------- */

static void pca_prune(struct pump_channel *ch)
{
    /* now - t, never t + window: that wraps for now_ms near UINT64_MAX and would forget every
     * dose at once. Doses are never later than now_ms (time does not go back). */
    while ((ch->pca_n_hist > 0U) &&
           (ch->now_ms - ch->pca_hist[ch->pca_i_hist].time_ms >= PUMP_PCA_WINDOW_MS)) {
        ch->pca_i_hist = (ch->pca_i_hist + 1U) % PUMP_PCA_HISTORY_MAX;
        ch->pca_n_hist--;
    }
}

uint64_t pump_channel_pca_window_nl(const struct pump_channel *ch, uint64_t now_ms)
{
    uint64_t sum;
    if (ch == NULL) {
        return 0U;
    }
    /* The basal counts as four full hours: conservative, whatever pauses there were. */
    sum = (ch->primary.mode == (uint8_t)PUMP_MODE_PCA) ? ch->primary.rate_nl_per_h * 4U : 0U;
    for (uint32_t k = 0; k < ch->pca_n_hist; k++) {
        const struct pump_pca_dose *d = &ch->pca_hist[(ch->pca_i_hist + k) % PUMP_PCA_HISTORY_MAX];
        if ((d->time_ms <= now_ms) && (now_ms - d->time_ms < PUMP_PCA_WINDOW_MS)) {
            sum += d->nl;
        }
    }
    return sum;
}

static void record_pca(struct pump_channel *ch, pump_event ev, pump_pca_denial why, uint64_t dose_nl,
                       uint64_t window_nl)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_PCA, ev);
    r.code = (why == PUMP_PCA_OK) ? 1U : 0U;
    r.detail = (uint8_t)why;
    r.v1 = dose_nl;
    r.v2 = window_nl;
    r.v3 = ch->pca_has_grant ? ch->now_ms - ch->pca_last_grant_ms : UINT64_MAX;
    pump__ch_log(ch, &r);
    if (why != PUMP_PCA_OK) {
        ch->pca_denied++;
    }
}

/* Lockout (demands only) and the four-hour limit (demands and clinician boluses). */
static pump_status pca_guard(struct pump_channel *ch, pump_event ev, uint64_t dose_nl)
{
    pump_pca_denial why = PUMP_PCA_OK;
    uint64_t window;
    pca_prune(ch);
    window = pump_channel_pca_window_nl(ch, ch->now_ms);
    if (ch->primary.mode != (uint8_t)PUMP_MODE_PCA) {
        why = PUMP_PCA_NOT_PCA;
    } else if (pump_log_is_high(ch->log)) {
        why = PUMP_PCA_LOG_FULL;
    } else if ((ev == PUMP_EV_PCA_DEMAND) && ch->pca_has_grant &&
               (ch->now_ms - ch->pca_last_grant_ms < ch->primary.pca_lockout_ms)) {
        why = PUMP_PCA_LOCKOUT;
    } else if ((ch->primary.pca_limit_nl != 0U) &&
               ((window >= ch->primary.pca_limit_nl) ||
                (dose_nl > ch->primary.pca_limit_nl - window))) {
        why = PUMP_PCA_FOUR_HOUR;
    } else if (ch->pca_n_hist >= PUMP_PCA_HISTORY_MAX) {
        why = PUMP_PCA_HISTORY_FULL;
    } else {
        ch->staged.pca_dose_nl = dose_nl;
    }
    if (ev == PUMP_EV_PCA_DEMAND) {
        ch->pca_demands++;
    }
    record_pca(ch, ev, why, dose_nl, window);
    return (why == PUMP_PCA_OK) ? PUMP_OK : PUMP_ERR_DENIED;
}

/* ---- the tick: accounting and sensors ------------------------------------------------------ */

static void air_advance(struct pump_channel *ch)
{
    /* now - start (start <= now always): start + window wraps near UINT64_MAX. */
    if (ch->now_ms - ch->air_bucket_start_ms >= (PUMP_AIR_BUCKETS * PUMP_AIR_BUCKET_MS)) {
        __builtin_memset(ch->air_bucket, 0, sizeof ch->air_bucket); /* a long gap: all old */
        ch->air_bucket_start_ms = ch->now_ms;
        return;
    }
    while (ch->now_ms - ch->air_bucket_start_ms >= PUMP_AIR_BUCKET_MS) { /* < 15 rounds */
        ch->air_i_bucket = (ch->air_i_bucket + 1U) % PUMP_AIR_BUCKETS;
        ch->air_bucket[ch->air_i_bucket] = 0U;
        ch->air_bucket_start_ms += PUMP_AIR_BUCKET_MS;
    }
}

static void sense_air(struct pump_channel *ch, const struct pump_sensors *s)
{
    uint64_t sum = 0U;
    uint32_t *bucket;
    air_advance(ch);
    if (s->air_bubble_nl > ch->cfg.air_bubble_nl) {
        pump__ch_alarm_raise(ch, PUMP_ALM_AIR_BUBBLE);
    }
    if (s->air_total_nl == 0U) {
        /* Fast path: after every tick the buckets sum to at most air_accum_nl (above it they
         * are emptied), and between ticks they only empty: no new air, no alarm. */
        return;
    }
    bucket = &ch->air_bucket[ch->air_i_bucket];
    /* saturate: a wrapped bucket would hide the air of a saturated sensor reading */
    *bucket = (s->air_total_nl > UINT32_MAX - *bucket) ? UINT32_MAX : *bucket + s->air_total_nl;
    for (unsigned i = 0; i < PUMP_AIR_BUCKETS; i++) {
        sum += ch->air_bucket[i];
    }
    if (sum > ch->cfg.air_accum_nl) {
        pump__ch_alarm_raise(ch, PUMP_ALM_AIR_ACCUM);
        __builtin_memset(ch->air_bucket, 0, sizeof ch->air_bucket); /* counted: start again */
    }
}

static void sense(struct pump_channel *ch, const struct pump_sensors *s)
{
    /* Occlusion is raised only while pushing; it ends only once the pressure is relieved
     * (downstream at or below relief_mmhg), so resuming cannot push the trapped bolus. */
    if (ch->motor_on && (s->pressure_down_mmhg > ch->cfg.occl_down_mmhg)) {
        alarm_condition(ch, PUMP_ALM_OCCL_DOWN, true);
    } else if (s->pressure_down_mmhg <= ch->cfg.relief_mmhg) {
        alarm_condition(ch, PUMP_ALM_OCCL_DOWN, false);
    } else {
        /* between relief and threshold: unchanged (hysteresis) */
    }
    if (ch->motor_on && (s->pressure_up_mmhg < -ch->cfg.occl_up_mmhg)) {
        alarm_condition(ch, PUMP_ALM_OCCL_UP, true);
    } else if (s->pressure_up_mmhg >= -ch->cfg.occl_up_mmhg) {
        alarm_condition(ch, PUMP_ALM_OCCL_UP, false);
    } else {
        /* still below with the motor off: unchanged */
    }
    sense_air(ch, s);
    alarm_condition(ch, PUMP_ALM_CONTAINER_EMPTY, s->is_container_empty);
    alarm_condition(ch, PUMP_ALM_BATTERY_DEPLETED, s->battery_pct <= ch->cfg.battery_depleted_pct);
    alarm_condition(ch, PUMP_ALM_BATTERY_LOW, s->battery_pct <= ch->cfg.battery_low_pct);
    alarm_condition(ch, PUMP_ALM_DOOR_OPEN, s->is_door_open);
    alarm_condition(ch, PUMP_ALM_MOTOR_STALL, s->is_motor_stalled);
}

static pump_status tick(struct pump_channel *ch, const struct pump_sensors *s)
{
    uint64_t nl = s->delivered_nl;
    uint64_t allowed = sat_add(ch->allowance_nl, ch->cfg.motor_slack_nl);
    ch->last_tick_ms = ch->now_ms;
    /* More than was commanded (plus the motor's step slack) is a runaway or free flow: the
     * motor does not obey, so nothing but FAULT is safe. */
    if ((ch->delivered_nl > allowed) || (nl > allowed - ch->delivered_nl)) {
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__);
        return PUMP_ERR_INTERNAL;
    }
    ch->delivered_nl += nl;
    ch->vol_channel_nl += nl;
    ch->vol_infusion_nl += nl;
    switch ((pump_state)ch->state) {
    case PUMP_ST_RUNNING:
        if (ch->is_secondary) {
            ch->vol_secondary_nl += nl;
        } else {
            ch->vol_primary_nl += nl;
            ch->vol_drug_nl += nl;
        }
        break;
    case PUMP_ST_BOLUS:
        ch->vol_bolus_nl += nl;
        ch->vol_drug_nl += nl;
        break;
    case PUMP_ST_KVO:
        ch->vol_kvo_nl += nl;
        ch->vol_drug_nl += nl;
        break;
    case PUMP_ST_IDLE:
    case PUMP_ST_PROGRAMMED:
    case PUMP_ST_READY:
    case PUMP_ST_PAUSED:
    case PUMP_ST_COMPLETE:
    case PUMP_ST_ALARM_STOPPED:
    case PUMP_ST_FAULT:
    case PUMP_ST_COUNT:
    default:
        break; /* within the slack: counted in the channel and infusion totals only */
    }
    sense(ch, s);
    return PUMP_OK;
}

/* ---- actions (called from the table's switch in pump_fsm.c) -------------------------------- */

static void end_bolus(struct pump_channel *ch, pump_event ev, bool completed)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_BOLUS_END, ev);
    r.extra = ch->bolus_kind;
    r.code = completed ? 1U : 0U;
    r.v1 = ch->vol_bolus_nl;
    r.v2 = ch->bolus_target_nl;
    pump__ch_log(ch, &r);
    ch->bolus_target_nl = 0U;
    ch->bolus_rate_nl_per_h = 0U;
}

static void end_secondary(struct pump_channel *ch, pump_event ev)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_SECONDARY, ev);
    r.code = 0U;
    r.v1 = ch->secondary.vtbi_nl;
    r.v2 = ch->secondary_rate_nl_per_h;
    r.v3 = ch->vol_secondary_nl;
    pump__ch_log(ch, &r);
    ch->is_secondary = false;
}

/* Leaving delivery early (pause, stop, alarm, power loss): a bolus does not resume. */
static void interrupt(struct pump_channel *ch, pump_event ev)
{
    if (ch->state == (uint8_t)PUMP_ST_BOLUS) {
        end_bolus(ch, ev, false);
    }
}

static void start_bolus(struct pump_channel *ch, pump_event ev, pump_bolus_kind kind,
                        uint64_t nl, uint64_t rate)
{
    struct pump_log_record r;
    ch->bolus_kind = (uint8_t)kind;
    ch->bolus_target_nl = nl;
    ch->bolus_rate_nl_per_h = rate;
    ch->vol_bolus_nl = 0U;
    pump__ch_rec_init(ch, &r, PUMP_REC_BOLUS, ev);
    r.extra = (uint8_t)kind;
    r.v1 = nl;
    r.v2 = rate;
    pump__ch_log(ch, &r);
}

/* Whether the PCA dose history of the channel's primary carries over to the program being
 * confirmed: both PCA, the same library entry (id) and the same concentration (the history is in
 * nL of it). Otherwise the new program starts a fresh history. */
static bool pca_history_carries(const struct pump_rx *old, const struct pump_rx *next)
{
    return (old->mode == (uint8_t)PUMP_MODE_PCA) && (next->mode == (uint8_t)PUMP_MODE_PCA) &&
           old->has_entry && next->has_entry &&
           ids_equal(old->entry, old->entry_len, next->entry, next->entry_len) &&
           old->has_conc && next->has_conc && (old->amount_unit == next->amount_unit) &&
           (pump_q_cmp(old->amount_per_ml, next->amount_per_ml) == 0);
}

static void act_confirm(struct pump_channel *ch, const struct pump_cmd *cmd)
{
    bool keep_pca = pca_history_carries(&ch->primary, &ch->pending);
    if (is_soft(ch->pending.outcome)) {
        record_override(ch, PUMP_EV_CONFIRM, &ch->pending, &cmd->confirm);
    }
    ch->primary = ch->pending;
    ch->pending_override = cmd->confirm.reason;
    ch->is_secondary = false;
    ch->vol_primary_nl = 0U;
    ch->vol_kvo_nl = 0U;
    ch->vol_drug_nl = 0U;
    ch->vol_infusion_nl = 0U;
    ch->vol_bolus_nl = 0U;
    ch->vol_secondary_nl = 0U;
    ch->pca_demands = 0U;
    ch->pca_granted = 0U;
    ch->pca_denied = 0U;
    ch->pca_clinician = 0U;
    if (!keep_pca) {
        /* Re-programming the same PCA entry keeps the granted doses and the lockout: stopping
         * and re-programming must not give the patient a fresh four-hour allowance. */
        ch->pca_has_grant = false;
        ch->pca_n_hist = 0U;
        ch->pca_i_hist = 0U;
    }
    ch->last_checkpoint_ms = ch->now_ms;
}

static void act_titrate(struct pump_channel *ch, pump_event ev)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_TITRATION, ev);
    r.code = ch->staged.outcome;
    r.v1 = ch->primary.rate_nl_per_h;
    r.v2 = ch->staged.rate_nl_per_h;
    pump__ch_log(ch, &r);
    ch->primary.rate_nl_per_h = ch->staged.rate_nl_per_h;
    ch->primary.has_dose = ch->staged.has_dose;
    ch->primary.dose = ch->staged.dose;
    ch->primary.outcome = ch->staged.outcome;
    ch->primary.limit = ch->staged.limit;
    if (ch->staged.vtbi_nl != 0U) {
        ch->primary.vtbi_nl = ch->staged.vtbi_nl;
    }
}

static void act_secondary(struct pump_channel *ch, pump_event ev)
{
    struct pump_log_record r;
    ch->secondary = ch->staged;
    ch->secondary_rate_nl_per_h = ch->staged.rate_nl_per_h;
    ch->vol_secondary_nl = 0U;
    ch->is_secondary = true;
    pump__ch_rec_init(ch, &r, PUMP_REC_SECONDARY, ev);
    r.code = 1U;
    r.v1 = ch->secondary.vtbi_nl;
    r.v2 = ch->secondary_rate_nl_per_h;
    pump__ch_log(ch, &r);
}

static void act_pca_dose(struct pump_channel *ch, pump_event ev)
{
    uint32_t slot = (ch->pca_i_hist + ch->pca_n_hist) % PUMP_PCA_HISTORY_MAX;
    ch->pca_hist[slot].time_ms = ch->now_ms;
    ch->pca_hist[slot].nl = ch->staged.pca_dose_nl;
    ch->pca_n_hist++;
    ch->pca_has_grant = true;
    ch->pca_last_grant_ms = ch->now_ms; /* a clinician bolus restarts the lockout too */
    if (ev == PUMP_EV_CLINICIAN_BOLUS) {
        ch->pca_clinician++;
    } else {
        ch->pca_granted++;
    }
    start_bolus(ch, ev,
                (ev == PUMP_EV_CLINICIAN_BOLUS) ? PUMP_BOLUS_KIND_CLINICIAN : PUMP_BOLUS_KIND_PCA,
                ch->staged.pca_dose_nl, ch->cfg.pca_rate_nl_per_h);
}

static void act_alarm(struct pump_channel *ch, pump_action act, const struct pump_cmd *cmd)
{
    unsigned first = cmd->alarm.alarm;
    unsigned last = first + 1U;
    if (first == (unsigned)PUMP_ALM_COUNT) { /* all of them */
        first = 0U;
        last = (unsigned)PUMP_ALM_COUNT;
    }
    for (unsigned i = first; i < last; i++) {
        if (act == PUMP_ACT_ALARM_ACK) {
            alarm_ack(ch, (pump_alarm_id)i);
        } else {
            alarm_silence(ch, (pump_alarm_id)i);
        }
    }
}

static void act_library(struct pump_channel *ch, pump_event ev, const struct pump_library *lib)
{
    struct pump_log_record r;
    ch->library_id_len = (uint8_t)lib->library_id.len;
    ch->library_version_len = (uint8_t)lib->version.len;
    __builtin_memcpy(ch->library_id, pump_library_str(lib, lib->library_id), lib->library_id.len);
    __builtin_memcpy(ch->library_version, pump_library_str(lib, lib->version), lib->version.len);
    ch->has_library = true;
    pump__ch_rec_init(ch, &r, PUMP_REC_LIBRARY, ev);
    rec_text(&r, ch->library_id, ch->library_id_len, ch->library_version,
             ch->library_version_len);
    r.v1 = ch->library_id_len;
    r.v2 = ch->library_version_len;
    pump__ch_log(ch, &r);
}

static void act_power(struct pump_channel *ch, pump_action act, pump_event ev, bool interrupted)
{
    struct pump_log_record r;
    pump__ch_rec_init(ch, &r, PUMP_REC_POWER, ev);
    r.code = (act == PUMP_ACT_POWER_RESTORE) ? 1U : 0U;
    r.extra = interrupted ? 1U : 0U;
    pump__ch_log(ch, &r);
    if (interrupted) {
        /* never silently running again: stopped, with an alarm the clinician must clear */
        pump__ch_alarm_raise(ch, PUMP_ALM_RESTART);
    }
}

/* At the end of a segment the runaway allowance becomes what the motor delivered, both ways:
 *  - up: the motor may have finished its last step past the segment's volume (less than
 *    motor_slack_nl, or the tick would have faulted). That excess was accepted, so one step per
 *    segment cannot add up over many segments (PCA doses) into a false runaway;
 *  - down: volume commanded but not delivered (a silent stall, a slipping mechanism, an alarm
 *    that stopped the motor mid-tick) must not stay as credit that a later runaway or free flow
 *    (e.g. while paused) could use unnoticed. Within a segment the slack still bounds the motor.
 * commanded_nl is untouched: it stays rate x time, exact. */
static void end_segment_allowance(struct pump_channel *ch)
{
    ch->allowance_nl = ch->delivered_nl;
}

void pump__ch_action(struct pump_channel *ch, pump_action act, pump_event ev,
                     const struct pump_cmd *cmd)
{
    pump_state s = (pump_state)ch->state;
    if ((act == PUMP_ACT_BOLUS_END) || (act == PUMP_ACT_SECONDARY_END) ||
        (act == PUMP_ACT_VTBI_DONE) || (act == PUMP_ACT_PAUSE) || (act == PUMP_ACT_STOP) ||
        (act == PUMP_ACT_ALARM_STOP) || (act == PUMP_ACT_POWER_LOSS)) {
        end_segment_allowance(ch);
    }
    if (PUMP_NEVER((cmd == NULL) &&
                   ((act == PUMP_ACT_CONFIRM) || (act == PUMP_ACT_ALARM_ACK) ||
                    (act == PUMP_ACT_ALARM_SILENCE) || (act == PUMP_ACT_LIBRARY) ||
                    (act == PUMP_ACT_POWER_RESTORE)))) {
        /* DEFENSIVE: the table gives these actions to host commands only */
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__);
        return;
    }
    switch (act) {
    case PUMP_ACT_PROGRAM:
        ch->pending = ch->staged;
        break;
    case PUMP_ACT_CONFIRM:
        act_confirm(ch, cmd);
        break;
    case PUMP_ACT_DECLINE:
        __builtin_memset(&ch->pending, 0, sizeof ch->pending);
        break;
    case PUMP_ACT_START:
        ch->last_checkpoint_ms = ch->now_ms;
        break;
    case PUMP_ACT_PAUSE:
    case PUMP_ACT_ALARM_STOP:
        interrupt(ch, ev);
        break;
    case PUMP_ACT_RESUME:
        /* The clinician is at the pump: stop alarms whose cause is gone are acknowledged. */
        for (unsigned i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
            if (pump_alarm_effect_of((pump_alarm_id)i) == PUMP_EFFECT_STOP) {
                alarm_ack(ch, (pump_alarm_id)i);
            }
        }
        break;
    case PUMP_ACT_STOP:
        interrupt(ch, ev);
        if (ch->is_secondary) {
            end_secondary(ch, ev);
        }
        break;
    case PUMP_ACT_TITRATE:
        act_titrate(ch, ev);
        break;
    case PUMP_ACT_BOLUS:
        if (s == PUMP_ST_READY) {
            ch->last_checkpoint_ms = ch->now_ms; /* a loading dose starts the infusion */
        }
        start_bolus(ch, ev,
                    (ch->staged.mode == (uint8_t)PUMP_MODE_LOADING) ? PUMP_BOLUS_KIND_LOADING
                                                                      : PUMP_BOLUS_KIND_BOLUS,
                    ch->staged.vtbi_nl, ch->staged.rate_nl_per_h);
        break;
    case PUMP_ACT_SECONDARY:
        act_secondary(ch, ev);
        break;
    case PUMP_ACT_PCA_DOSE:
        act_pca_dose(ch, ev);
        break;
    case PUMP_ACT_ALARM_ACK:
    case PUMP_ACT_ALARM_SILENCE:
        act_alarm(ch, act, cmd);
        break;
    case PUMP_ACT_LIBRARY:
        act_library(ch, ev, cmd->library.lib);
        break;
    case PUMP_ACT_POWER_LOSS:
        interrupt(ch, ev);
        act_power(ch, act, ev, pump__state_delivers(s) || (s == PUMP_ST_PAUSED));
        break;
    case PUMP_ACT_POWER_RESTORE:
        act_power(ch, act, ev, cmd->power.was_delivering);
        break;
    case PUMP_ACT_BOLUS_END:
        end_bolus(ch, ev, true);
        break;
    case PUMP_ACT_SECONDARY_END:
        end_secondary(ch, ev);
        pump__ch_alarm_raise(ch, PUMP_ALM_SECONDARY_CALLBACK);
        break;
    case PUMP_ACT_VTBI_DONE:
        pump__ch_alarm_raise(ch, PUMP_ALM_VTBI_COMPLETE);
        break;
    case PUMP_ACT_NONE:
        break;
    case PUMP_ACT_COUNT:
    default:
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__);
        break;
    }
}

/* ---- the entry point ----------------------------------------------------------------------- */

/* Time passes: commanded volume at the rate in force, watchdog, silences, reminders. */
static void advance_time(struct pump_channel *ch, uint64_t now_ms)
{
    if (ch->motor_on) {
        integrate(ch, ch->rate_nl_per_h, now_ms - ch->now_ms);
    }
    ch->now_ms = now_ms;
    if (ch->motor_on && (now_ms - ch->last_tick_ms > ch->cfg.watchdog_ms)) {
        /* The control loop stopped reporting while the motor ran: nothing is known. */
        pump__fsm_fault(ch, PUMP_ALM_WATCHDOG, (uint32_t)__LINE__);
    }
    alarms_rearm(ch);
}

/* START, and a loading dose from READY, start delivery: nothing new while records could be
 * lost, nor while a stop alarm's cause is present (occlusion not relieved, door open, an
 * unacknowledged restart ...). */
static pump_status start_guard(const struct pump_channel *ch)
{
    if (pump_log_is_high(ch->log)) {
        return PUMP_ERR_REFUSED;
    }
    return stop_cause_present(ch, false) ? PUMP_ERR_NOT_READY : PUMP_OK;
}

/* Guards of the host's commands, after the table allowed the cell. */
static pump_status guard(struct pump_channel *ch, pump_event ev, const struct pump_cmd *cmd)
{
    switch (ev) {
    case PUMP_EV_BOLUS: {
        pump_status st = (ch->state == (uint8_t)PUMP_ST_READY) ? start_guard(ch) : PUMP_OK;
        return (st == PUMP_OK) ? judge_program(ch, ev, cmd) : st;
    }
    case PUMP_EV_PROGRAM:
    case PUMP_EV_TITRATE:
    case PUMP_EV_SECONDARY:
        return judge_program(ch, ev, cmd);
    case PUMP_EV_CLINICIAN_BOLUS: {
        pump_status st = judge_program(ch, ev, cmd);
        return (st == PUMP_OK) ? pca_guard(ch, ev, ch->staged.pca_dose_nl) : st;
    }
    case PUMP_EV_PCA_DEMAND:
        return pca_guard(ch, ev, ch->primary.pca_dose_nl);
    case PUMP_EV_CONFIRM:
        if (!override_valid(&cmd->confirm)) {
            return PUMP_ERR_INVAL;
        }
        return (is_soft(ch->pending.outcome) && (cmd->confirm.reason == (uint8_t)PUMP_OVR_NONE))
                   ? PUMP_ERR_NEED_REASON
                   : PUMP_OK;
    case PUMP_EV_START:
        return start_guard(ch);
    case PUMP_EV_RESUME:
        return stop_cause_present(ch, true) ? PUMP_ERR_NOT_READY : PUMP_OK;
    case PUMP_EV_TICK:
        return tick(ch, &cmd->tick);
    case PUMP_EV_ALARM_ACK:
    case PUMP_EV_ALARM_SILENCE:
        return (cmd->alarm.alarm <= (uint8_t)PUMP_ALM_COUNT) ? PUMP_OK : PUMP_ERR_INVAL;
    case PUMP_EV_LIBRARY_ACTIVATE:
        return ((cmd->library.lib != NULL) && (cmd->library.lib->library_id.len <= PUMP_ID_MAX) &&
                (cmd->library.lib->version.len <= PUMP_ID_MAX))
                   ? PUMP_OK
                   : PUMP_ERR_INVAL;
    case PUMP_EV_DECLINE:
    case PUMP_EV_PAUSE:
    case PUMP_EV_STOP:
    case PUMP_EV_POWER_LOSS:
    case PUMP_EV_POWER_RESTORE:
        return PUMP_OK;
    case PUMP_EV_ALARM_STOP:
    case PUMP_EV_BOLUS_DONE:
    case PUMP_EV_SECONDARY_DONE:
    case PUMP_EV_VTBI_DONE_KVO:
    case PUMP_EV_VTBI_DONE_STOP:
    case PUMP_EV_COUNT:
    default:
        return PUMP_ERR_INVAL;
    }
}

/* The event the core raises next, or PUMP_EV_COUNT when the channel is settled. */
static pump_event next_core_event(const struct pump_channel *ch)
{
    pump_state s = (pump_state)ch->state;
    if (!pump__state_delivers(s)) {
        return PUMP_EV_COUNT;
    }
    if (stop_cause_present(ch, false)) {
        return PUMP_EV_ALARM_STOP;
    }
    if ((s == PUMP_ST_BOLUS) && (ch->vol_bolus_nl >= ch->bolus_target_nl)) {
        return PUMP_EV_BOLUS_DONE;
    }
    if ((s == PUMP_ST_RUNNING) && ch->is_secondary &&
        (ch->vol_secondary_nl >= ch->secondary.vtbi_nl)) {
        return PUMP_EV_SECONDARY_DONE;
    }
    if ((s == PUMP_ST_RUNNING) && !ch->is_secondary && (ch->primary.vtbi_nl != 0U) &&
        (ch->vol_primary_nl >= ch->primary.vtbi_nl)) {
        return (kvo_rate(ch) > 0U) ? PUMP_EV_VTBI_DONE_KVO : PUMP_EV_VTBI_DONE_STOP;
    }
    return PUMP_EV_COUNT;
}

/* Conditions that follow the state and the clock rather than a sensor. */
static void update_conditions(struct pump_channel *ch)
{
    pump_state s = (pump_state)ch->state;
    alarm_condition(ch, PUMP_ALM_PAUSED_TOO_LONG,
                    (s == PUMP_ST_PAUSED) &&
                        (ch->now_ms - ch->paused_since_ms >= ch->cfg.paused_reminder_ms));
    alarm_condition(ch, PUMP_ALM_VTBI_NEAR_END,
                    (s == PUMP_ST_RUNNING) && ch->has_time_remaining &&
                        (ch->time_remaining_ms <= ch->cfg.near_end_ms));
    if ((s == PUMP_ST_IDLE) || (s == PUMP_ST_PROGRAMMED) || (s == PUMP_ST_READY)) {
        alarm_condition(ch, PUMP_ALM_VTBI_COMPLETE, false);
    }
    alarm_condition(ch, PUMP_ALM_LOG_FULL, pump_log_is_high(ch->log));
    if (pump__state_delivers(s) && (ch->now_ms - ch->last_checkpoint_ms >= ch->cfg.checkpoint_ms)) {
        struct pump_log_record r;
        pump__ch_rec_init(ch, &r, PUMP_REC_VOLUME, PUMP_EV_TICK);
        r.v1 = pump_channel_program_volume_nl(ch);
        r.v2 = ch->vol_infusion_nl;
        r.v3 = ch->vol_channel_nl;
        pump__ch_log(ch, &r);
        ch->last_checkpoint_ms = ch->now_ms;
    }
}

/* A command refused (code: the status returned): recorded (a PCA demand the table refuses as
 * a denied demand). Used for the table's refusals and for the guards' REFUSED (log full) and
 * NOT_READY (a stop cause present): a refused START, RESUME or loading dose leaves a trace. */
static void record_refused(struct pump_channel *ch, pump_event ev, pump_status code)
{
    struct pump_log_record r;
    if ((ev == PUMP_EV_PCA_DEMAND) && (ch->primary.mode == (uint8_t)PUMP_MODE_PCA)) {
        ch->pca_demands++;
        record_pca(ch, ev, PUMP_PCA_NOT_DELIVERING, ch->primary.pca_dose_nl,
                   pump_channel_pca_window_nl(ch, ch->now_ms));
        return;
    }
    pump__ch_rec_init(ch, &r, PUMP_REC_REFUSED, ev);
    r.code = (uint8_t)code;
    pump__ch_log(ch, &r);
}

/* A guard's refusal the records must show: a refused START, RESUME or loading dose (log full,
 * stop cause present) and a CONFIRM without the reason a soft alert needs. The others are
 * recorded by the guard itself (program, pca records) or are malformed commands (INVAL). */
static bool refusal_is_recorded(pump_event ev, pump_status st)
{
    return (st == PUMP_ERR_REFUSED) || (st == PUMP_ERR_NOT_READY) ||
           ((ev == PUMP_EV_CONFIRM) && (st == PUMP_ERR_NEED_REASON));
}

/* The host's command: the table, then its guard, then the transition. */
static pump_status apply_command(struct pump_channel *ch, pump_event ev, const struct pump_cmd *cmd)
{
    pump_status st;
    if (!pump__fsm_allowed((pump_state)ch->state, ev, NULL, NULL)) {
        record_refused(ch, ev, PUMP_ERR_REFUSED);
        return (ev == PUMP_EV_PCA_DEMAND) ? PUMP_ERR_DENIED : PUMP_ERR_REFUSED;
    }
    st = guard(ch, ev, cmd);
    if (st == PUMP_OK) {
        st = pump__fsm_step(ch, ev, cmd);
    } else if (refusal_is_recorded(ev, st)) {
        record_refused(ch, ev, st);
    } else {
        /* recorded by the guard, or malformed */
    }
    return st;
}

/* Let the core's own events settle: at most an alarm stop, then an end of segment, then the
 * primary's end (each changes the state, so the list cannot repeat). Returns the number of
 * transitions attempted (0: the channel was already settled, nothing changed). */
static unsigned settle(struct pump_channel *ch)
{
    unsigned n_steps = 0U;
    bool settled = false;
    for (unsigned i = 0; i < 4U; i++) {
        pump_event next = next_core_event(ch);
        if (next == PUMP_EV_COUNT) {
            settled = true; /* nothing has changed since: no need to ask again below */
            break;
        }
        n_steps++;
        if (pump__fsm_step(ch, next, NULL) != PUMP_OK) {
            break;
        }
    }
    if (!settled && PUMP_NEVER(next_core_event(ch) != PUMP_EV_COUNT)) {
        /* DEFENSIVE: unsettled (e.g. a bolus past its target still in BOLUS): fail safe */
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__);
    }
    return n_steps;
}

pump_status pump_channel_handle(struct pump_channel *ch, const struct pump_cmd *cmd)
{
    pump_status st;
    pump_event ev;
    bool was_fault;
    if ((ch == NULL) || (cmd == NULL) || (ch->log == NULL) ||
        (cmd->kind >= (uint8_t)PUMP_EV_HOST_COUNT)) {
        return PUMP_ERR_INVAL;
    }
    if ((unsigned)ch->state >= (unsigned)PUMP_ST_COUNT) {
        pump__fsm_fault(ch, PUMP_ALM_FAULT, (uint32_t)__LINE__); /* corrupt state word */
        return PUMP_ERR_INTERNAL;
    }
    if (cmd->now_ms < ch->now_ms) {
        return PUMP_ERR_TIME;
    }
    ev = (pump_event)cmd->kind;
    was_fault = ch->state == (uint8_t)PUMP_ST_FAULT;
    advance_time(ch, cmd->now_ms);
    st = apply_command(ch, ev, cmd);
    /* PUMP_OK: the command's transition ended in pump__fsm_step's set_state, which computed the
     * outputs; with no core event after it they are current (fast path of every TICK). */
    if ((settle(ch) != 0U) || (st != PUMP_OK)) {
        pump__ch_outputs(ch);
    }
    update_conditions(ch);
    /* update_conditions changes neither the state, the rates, the volumes nor the occlusion
     * alarm: the outputs computed above stand (no second pass). */
    if (!was_fault && (ch->state == (uint8_t)PUMP_ST_FAULT)) {
        return PUMP_ERR_INTERNAL; /* entered FAULT during this command */
    }
    return st;
}

/* ---- queries ------------------------------------------------------------------------------- */

pump_status pump_channel_dose_delivered(const struct pump_channel *ch, struct pump_q *dose_out)
{
    struct pump_q v;
    if ((ch == NULL) || (dose_out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    if (!ch->primary.has_conc) {
        return PUMP_ERR_NOT_FOUND;
    }
    if ((ch->vol_drug_nl > (uint64_t)INT64_MAX) ||
        (pump_q_mul(pump_q_int((int64_t)ch->vol_drug_nl), ch->primary.amount_per_ml, &v) !=
         PUMP_OK) ||
        (pump_q_div(v, pump_q_int(NL_PER_ML), &v) != PUMP_OK)) {
        return PUMP_ERR_RANGE;
    }
    *dose_out = v;
    return PUMP_OK;
}

uint64_t pump_channel_program_volume_nl(const struct pump_channel *ch)
{
    if (ch == NULL) {
        return 0U;
    }
    switch ((pump_state)ch->state) {
    case PUMP_ST_BOLUS:
        return ch->vol_bolus_nl;
    case PUMP_ST_KVO:
        return ch->vol_kvo_nl;
    case PUMP_ST_RUNNING:
    case PUMP_ST_PAUSED:
    case PUMP_ST_ALARM_STOPPED:
        return ch->is_secondary ? ch->vol_secondary_nl : ch->vol_primary_nl;
    case PUMP_ST_IDLE:
    case PUMP_ST_PROGRAMMED:
    case PUMP_ST_READY:
    case PUMP_ST_COMPLETE:
    case PUMP_ST_FAULT:
    case PUMP_ST_COUNT:
    default:
        return ch->vol_primary_nl;
    }
}
