/*
 * server_test_util.h - helpers of the infusiond unit tests: a pump snapshot and event records as
 * pumpd sends them (docs/pump-protocol.md), and parse + decode of the HL7 we queue, failing the
 * test on any decoder error (and printing every problem so a failure says why).
 */
#ifndef SERVER_TEST_UTIL_H
#define SERVER_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "hl7/hl7.h"
#include "hl7/pcd.h"

#define T_WALL_MS 1795000000000LL /* 2026-11-18T11:06:40Z */

static struct hl7_segment t_segs[1024];
static uint32_t t_seps[32768];
static struct hl7_pcd_problems t_probs;

/* A one-channel snapshot; state is the channel state name. */
static inline json_t *t_snapshot(const char *pump_id, const char *state, bool with_patient)
{
    json_error_t e;
    json_t *s = json_pack_ex(
        &e, 0,
        "{s:i, s:s, s:I, s:I, s:I, s:{s:s, s:s}, s:s, s:o, s:[{s:i, s:s, s:s, s:s, s:s, s:s,"
        " s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:[]}]}",
        "v", 1, "pump_id", pump_id, "wall_ms", (json_int_t)T_WALL_MS, "time_ms", (json_int_t)1000,
        "next_seq", (json_int_t)43, "library", "id", "SAMPLE-LIB", "version", "2026.1",
        "care_area", "ADULT_ICU", "patient",
        with_patient ? json_pack("{s:s, s:s}", "id", "MRN-1001", "weight_kg", "70") : json_null(),
        "channels", "channel", 0, "state", state, "mode", "continuous", "entry", "ICU-HEP",
        "drug_name", "Heparin", "order_id", "ORD-77", "cmd_id", "c-1", "dose", "18", "dose_unit",
        "units/kg/h", "rate_nl_per_h", (json_int_t)12600000, "vtbi_nl", (json_int_t)250000000,
        "vtbi_remaining_nl", (json_int_t)1000000, "program_volume_nl", (json_int_t)249000000,
        "channel_volume_nl", (json_int_t)249000000, "time_remaining_ms", (json_int_t)285714,
        "alarms");
    if (s == NULL) {
        fprintf(stderr, "t_snapshot: %s\n", e.text);
    }
    return s;
}

/* An event record: {"v":1, "pump_id", "seq", "time_ms", "type", "channel":0, "wall_ms"} plus
 * the members of extra (a JSON object text, may be NULL). */
static inline json_t *t_record(const char *pump_id, long long seq, const char *type,
                               const char *extra)
{
    json_t *r = json_pack("{s:i, s:s, s:I, s:I, s:s, s:i, s:I}", "v", 1, "pump_id", pump_id,
                          "seq", (json_int_t)seq, "time_ms", (json_int_t)(seq * 10), "type",
                          type, "channel", 0, "wall_ms", (json_int_t)(T_WALL_MS + seq * 500));
    if ((r != NULL) && (extra != NULL)) {
        json_t *x = json_loads(extra, 0, NULL);
        if (x == NULL) {
            fprintf(stderr, "t_record: bad extra JSON %s\n", extra);
            json_decref(r);
            return NULL;
        }
        (void)json_object_update(r, x);
        json_decref(x);
    }
    return r;
}

static inline void t_print_problems(const char *what)
{
    for (size_t i = 0; i < t_probs.n; i++) {
        char where[32];
        hl7_pcd_problem_where(&t_probs.items[i], where, sizeof where);
        fprintf(stderr, "  %s: %c %s %u %s\n", what, t_probs.items[i].severity, where,
                (unsigned)t_probs.items[i].hl7_code, t_probs.items[i].text);
    }
}

/* Parse text and decode it with the decoder of profile; the number of decoder errors. */
static inline size_t t_decode(const char *text, size_t len, hl7_pcd_profile profile,
                              void *out)
{
    struct hl7_msg m;
    struct hl7_error err;

    hl7_msg_init(&m, t_segs, sizeof t_segs / sizeof t_segs[0], t_seps,
                 sizeof t_seps / sizeof t_seps[0]);
    if (hl7_parse(&m, text, len, &err) != HL7_OK) {
        fprintf(stderr, "  parse: %s\n", err.message);
        return 1000;
    }
    hl7_pcd_problems_init(&t_probs);
    switch (profile) {
    case HL7_PCD_PROFILE_PCD01:
        (void)hl7_pcd01_decode(&m, out, &t_probs);
        break;
    case HL7_PCD_PROFILE_PCD10:
        (void)hl7_pcd10_decode(&m, out, &t_probs);
        break;
    case HL7_PCD_PROFILE_PCD04:
        (void)hl7_pcd04_decode(&m, out, &t_probs);
        break;
    case HL7_PCD_PROFILE_AUTO:
    case HL7_PCD_PROFILE_PCD03:
    case HL7_PCD_PROFILE_PCD05:
    case HL7_PCD_PROFILE_ACK:
    case HL7_PCD_PROFILE_RRG_O16:
    case HL7_PCD_PROFILE_UNKNOWN:
    default:
        return 1000;
    }
    if ((t_probs.n_errors > 0U) || (getenv("T_VERBOSE") != NULL)) {
        t_print_problems(hl7_pcd_profile_str(profile));
    }
    return t_probs.n_errors;
}

/* ---- a struct srv by hand: loop, temporary SQLite store, model ------------------------------- */

#ifdef SERVER_TEST_WITH_SRV
#include <unistd.h>

#include <event2/event.h>

#include "model.h"
#include "server.h"
#include "store.h"

struct t_srv {
    struct srv s;
    char dir[256];
};

static inline struct t_srv *t_srv_new(void)
{
    const char *tmp = getenv("TMPDIR");
    struct t_srv *t = calloc(1, sizeof *t);
    char url[320];
    char err[256];

    if (t == NULL) {
        return NULL;
    }
    (void)snprintf(t->dir, sizeof t->dir, "%s/oi-srv-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return NULL;
    }
    (void)snprintf(url, sizeof url, "sqlite:%s/store.db", t->dir);
    t->s.store = store_open(url, err, sizeof err);
    t->s.base = event_base_new();
    t->s.model = model_new();
    if ((t->s.store == NULL) || (t->s.base == NULL) || (t->s.model == NULL)) {
        fprintf(stderr, "t_srv_new: %s\n", t->s.store == NULL ? err : "no memory");
        return NULL;
    }
    t->s.cfg.pcd01_period_s = 0;
    return t;
}

static inline void t_srv_free(struct t_srv *t)
{
    char cmd[300];

    if (t == NULL) {
        return;
    }
    store_close(t->s.store);
    model_free(t->s.model);
    event_base_free(t->s.base);
    (void)snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", t->dir);
    }
    free(t);
}

/* Unacknowledged rows of dest. */
static inline long long t_depth(struct store *st, const char *dest)
{
    json_t *d = store_outbox_depths(st);
    long long n = (long long)json_integer_value(json_object_get(d, dest));
    json_decref(d);
    return n;
}

/* Monotonic milliseconds, for the deadlines that keep a broken test from hanging. */
static inline int64_t t_mono_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000);
}
#endif

#endif
