/*
 * channel_fixture.h - a pump channel on a test bench for the channel, alarm, PCA and table
 * tests: the example library (examples/general-hospital.json), one log, one channel, a clock,
 * programs written as JSON (single quotes) and a perfect motor that delivers exactly what the
 * core commands, never more than segment_remaining_nl (the host contract of pump_channel.h).
 * Include after <cmocka.h> and "oi_json.h".
 */
#ifndef OI_TEST_CHANNEL_FIXTURE_H
#define OI_TEST_CHANNEL_FIXTURE_H

#include "pump/pump_channel.h"
#include "pump/pump_log.h"
#include "pump_channel_internal.h"

#define LIBRARY_FILE OI_SOURCE_DIR "/examples/general-hospital.json"

static struct oi_druglib fx;

static inline int load_library(void **state)
{
    (void)state;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(LIBRARY_FILE, &fx, &diag);
    for (size_t i = 0; i < diag.n; i++) {
        print_error("%s: %s: %s\n", LIBRARY_FILE, diag.items[i].path, diag.items[i].message);
    }
    oi_diag_free(&diag);
    return st == OI_LOAD_OK ? 0 : -1;
}

static inline int free_library(void **state)
{
    (void)state;
    oi_druglib_free(&fx);
    return 0;
}

/* The bench. Static: a log is ~20 KiB, a channel ~10 KiB. */
static struct pump_log blog;
static struct pump_channel bch;
static uint64_t bnow;
static uint64_t motor_rem; /* the perfect motor's own sub-nL remainder */
static bool drain_log = true; /* ack every record after each command */

/* Records seen, when drain_log is on (the last BENCH_KEEP). */
#define BENCH_KEEP 4096
static struct pump_log_record seen[BENCH_KEEP];
static size_t n_seen;

static inline void drain(void)
{
    struct pump_log_record r;
    uint32_t n = pump_log_count(&blog);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(pump_log_peek(&blog, i, &r), PUMP_OK);
        seen[n_seen % BENCH_KEEP] = r;
        n_seen++;
    }
    if (n > 0) {
        assert_int_equal(pump_log_ack(&blog, pump_log_next_seq(&blog) - 1U), PUMP_OK);
    }
}

static inline pump_status send(struct pump_cmd *c)
{
    c->now_ms = bnow;
    pump_status st = pump_channel_handle(&bch, c);
    if (drain_log) {
        drain();
    }
    return st;
}

static inline pump_status send_kind(pump_event kind)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = (uint8_t)kind;
    return send(&c);
}

static inline void normal_sensors(struct pump_sensors *s)
{
    memset(s, 0, sizeof *s);
    s->battery_pct = 100;
}

/* A tick after dt_ms with the given sensors; the motor delivers what was commanded (rate in force
 * since the last command, with its own carried remainder), capped at segment_remaining_nl. */
static inline pump_status tick_with(uint64_t dt_ms, struct pump_sensors *s)
{
    struct pump_cmd c;
    uint64_t nl = 0;
    if (bch.motor_on) {
        uint64_t prod = bch.rate_nl_per_h * dt_ms + motor_rem;
        nl = prod / 3600000U;
        motor_rem = prod % 3600000U;
        if (bch.has_segment_limit && nl > bch.segment_remaining_nl) {
            nl = bch.segment_remaining_nl;
        }
    }
    bnow += dt_ms;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_TICK;
    c.tick = *s;
    c.tick.delivered_nl = nl;
    return send(&c);
}

static inline pump_status tick(uint64_t dt_ms)
{
    struct pump_sensors s;
    normal_sensors(&s);
    return tick_with(dt_ms, &s);
}

/* Ticks of step_ms for total_ms (all must be accepted). */
static inline void run_for(uint64_t total_ms, uint64_t step_ms)
{
    while (total_ms > 0) {
        uint64_t d = total_ms < step_ms ? total_ms : step_ms;
        assert_int_equal(tick(d), PUMP_OK);
        total_ms -= d;
    }
}

static inline void bench_init_cfg(const struct pump_channel_config *cfg)
{
    memset(&bch, 0xA5, sizeof bch); /* init must write everything it relies on */
    pump_log_init(&blog, 1);
    bnow = 1000;
    motor_rem = 0;
    n_seen = 0;
    drain_log = true;
    assert_int_equal(pump_channel_init(&bch, cfg, &blog), PUMP_OK);
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_LIBRARY_ACTIVATE;
    c.library.lib = &fx.lib;
    assert_int_equal(send(&c), PUMP_OK);
}

static inline void bench_init(void)
{
    struct pump_channel_config cfg;
    pump_channel_config_default(&cfg);
    bench_init_cfg(&cfg);
}

/* ---- programs ---- */

/* A program object and the JSON its strings borrow from (kept until the next hold in the slot). */
#define N_HELD 8
static json_t *held_json[N_HELD];
static struct pump_program held_prog[N_HELD];
static unsigned held_next;

static inline const struct pump_program *prog_at(const char *tmpl, const char *file, int line)
{
    char text[1024];
    char err[256];
    json_error_t jerr;
    size_t n = strlen(tmpl);
    assert_true(n < sizeof text);
    for (size_t i = 0; i <= n; i++) {
        text[i] = tmpl[i] == '\'' ? '"' : tmpl[i];
    }
    unsigned k = held_next++ % N_HELD;
    json_decref(held_json[k]);
    held_json[k] = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (held_json[k] == NULL) {
        print_error("%s:%d: not JSON (%s): %s\n", file, line, jerr.text, text);
        _fail(file, line);
    }
    if (!oi_program_from_json(held_json[k], &held_prog[k], err, sizeof err)) {
        print_error("%s:%d: program refused (%s): %s\n", file, line, err, text);
        _fail(file, line);
    }
    return &held_prog[k];
}
#define PROG(tmpl) prog_at((tmpl), __FILE__, __LINE__)

static inline void release_programs(void)
{
    for (unsigned k = 0; k < N_HELD; k++) {
        json_decref(held_json[k]);
        held_json[k] = NULL;
    }
}

static inline pump_status send_prog(pump_event kind, const struct pump_program *p, uint8_t reason)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = (uint8_t)kind;
    c.program.lib = &fx.lib;
    c.program.prog = p;
    c.program.ovr.reason = reason;
    return send(&c);
}

static inline pump_status confirm(uint8_t reason)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = PUMP_EV_CONFIRM;
    c.confirm.reason = reason;
    return send(&c);
}

static inline pump_status alarm_cmd(pump_event kind, unsigned alarm)
{
    struct pump_cmd c;
    memset(&c, 0, sizeof c);
    c.kind = (uint8_t)kind;
    c.alarm.alarm = (uint8_t)alarm;
    return send(&c);
}

/* Program, confirm (no reason needed) and start: RUNNING. */
static inline void start_program(const struct pump_program *p)
{
    assert_int_equal(send_prog(PUMP_EV_PROGRAM, p, PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(confirm(PUMP_OVR_NONE), PUMP_OK);
    assert_int_equal(send_kind(PUMP_EV_START), PUMP_OK);
    assert_int_equal(bch.state, PUMP_ST_RUNNING);
}

/* Records of a type seen since the bench started (drain_log on). */
static inline size_t count_seen(pump_rec_type type)
{
    size_t n = 0;
    size_t from = n_seen > BENCH_KEEP ? n_seen - BENCH_KEEP : 0;
    for (size_t i = from; i < n_seen; i++) {
        n += seen[i % BENCH_KEEP].type == (uint8_t)type;
    }
    return n;
}

/* The last record of a type, or an all-zero record of type PUMP_REC_COUNT (never NULL). */
static struct pump_log_record none_seen = {.type = PUMP_REC_COUNT};
static inline const struct pump_log_record *last_seen(pump_rec_type type)
{
    size_t from = n_seen > BENCH_KEEP ? n_seen - BENCH_KEEP : 0;
    for (size_t i = n_seen; i > from; i--) {
        if (seen[(i - 1) % BENCH_KEEP].type == (uint8_t)type) {
            return &seen[(i - 1) % BENCH_KEEP];
        }
    }
    return &none_seen;
}

/* Whether an alarm record (alarm, step) was seen. */
static inline bool alarm_seen(pump_alarm_id id, pump_alarm_step step)
{
    size_t from = n_seen > BENCH_KEEP ? n_seen - BENCH_KEEP : 0;
    for (size_t i = from; i < n_seen; i++) {
        const struct pump_log_record *r = &seen[i % BENCH_KEEP];
        if (r->type == PUMP_REC_ALARM && r->code == (uint8_t)id && r->detail == (uint8_t)step) {
            return true;
        }
    }
    return false;
}

/* Programs used by several tests (examples/general-hospital.json). */
#define HEPARIN_18                                                                              \
    "{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP','mode':'continuous','dose':18,"             \
    "'dose_unit':'units/kg/h','weight_kg':80}"
#define HEPARIN_BOLUS                                                                           \
    "{'care_area':'ADULT_ICU','entry':'GH-ICU-HEP','mode':'bolus','dose':50,"                   \
    "'dose_unit':'units/kg','weight_kg':80}"
#define PCA_MORPHINE                                                                            \
    "{'care_area':'GENERAL_WARD','entry':'GH-WARD-MORPH-PCA','mode':'pca',"                    \
    "'pca':{'dose':1,'lockout_min':10,'basal':0,'four_hour_limit':20}}"
#define PCA_CLINICIAN                                                                           \
    "{'care_area':'GENERAL_WARD','entry':'GH-WARD-MORPH-PCA','mode':'pca',"                    \
    "'pca':{'dose':2,'lockout_min':10,'basal':0,'four_hour_limit':20}}"
#define SALINE_100                                                                              \
    "{'care_area':'GENERAL_WARD','entry':'GH-WARD-NS','mode':'fluid','dose':100,"              \
    "'dose_unit':'mL/h'}"
#define CEFTRIAXONE_1G                                                                          \
    "{'care_area':'GENERAL_WARD','entry':'GH-WARD-CEFTRI','mode':'intermittent','dose':1,"     \
    "'dose_unit':'g','duration_min':30}"

#endif
