/*
 * cmd_broker_fleet.c - pumpd fleet --broker: N simulated pumps on an MQTT broker in real time,
 * each with its own connection, all driven by one libevent loop in one thread, with a simulated
 * nurse who confirms (or declines) the programs the server sends, answers alarms and resumes
 * after injected faults. docs/pumpd-broker.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>

#include "load.h"
#include "mqtt_pump.h"
#include "pumpd.h"

static const char broker_usage[] =
    "usage: pumpd fleet --broker HOST:PORT --count N --library FILE --care-areas A[,B...]\n"
    "                   [--pump-prefix SIM-] [--patients MRN-] [--auto-confirm[=RATIO]]\n"
    "                   [--confirm-delay-s S] [--fault-rate F] [--fault-clear-s S]\n"
    "                   [--heartbeat-s S] [--resend-s S] [--seed N] [--duration S]\n"
    "                   [--topic-prefix infusion/v1] [--tick-ms MS] [--stats-s S]\n"
    "                   [--max-unacked N] [--first K]\n"
    "\n"
    "N simulated pumps on an MQTT broker in real time (pump protocol v1): one MQTT 5 connection\n"
    "per pump, programs taken from the server, events, state and replies sent back.\n"
    "\n"
    "  --count N           pumps (1..100000); ids PREFIX0001 ... (--pump-prefix, default SIM-);\n"
    "                      each needs 3 file descriptors (its socket and libmosquitto's pair)\n"
    "  --first K           number of the first pump (default 1): several processes share a\n"
    "                      fleet (--first 5001 --count 5000 continues SIM-5000)\n"
    "  --library FILE      the drug library every pump runs\n"
    "  --care-areas LIST   pump i is in care area i mod the number of areas\n"
    "  --patients PREFIX   pump i starts associated with patient PREFIX0001 ..., 70 kg\n"
    "                      (default: unassociated; the first program's order names the patient)\n"
    "  --auto-confirm[=R]  a simulated nurse confirms a program with probability R (default 1),\n"
    "                      with reason order_verified for a soft alert, and starts it; else\n"
    "                      declines; she stops a finished infusion (default: nobody confirms)\n"
    "  --confirm-delay-s S the nurse takes S seconds to act (default 2)\n"
    "  --fault-rate F      faults per pump-hour while infusing: downstream occlusion or air\n"
    "                      (default 0); cleared after --fault-clear-s (30), then the nurse\n"
    "                      acknowledges the alarm and resumes\n"
    "  --heartbeat-s S     state heartbeat (default 5)\n"
    "  --resend-s S        resend unacknowledged events after S s without an ack (default 10)\n"
    "  --seed N            random seed (default 1)\n"
    "  --duration S        stop cleanly after S seconds (default: at SIGINT or SIGTERM)\n"
    "  --topic-prefix P    default infusion/v1\n"
    "  --tick-ms MS        control loop period (default 100)\n"
    "  --stats-s S         one progress line on stderr every S s (default 5; 0: none)\n"
    "  --max-unacked N     unacknowledged records kept per pump (default 65536; at the bound\n"
    "                      the oldest is dropped)\n"
    "\n"
    "exit status: 0 stopped cleanly, 1 a pump failed, 2 usage error or unusable library\n";

enum {
    B_BROKER,
    B_COUNT,
    B_LIBRARY,
    B_AREAS,
    B_PREFIX,
    B_PATIENTS,
    B_AUTO,
    B_DELAY,
    B_FAULT_RATE,
    B_FAULT_CLEAR,
    B_HEARTBEAT,
    B_RESEND,
    B_SEED,
    B_DURATION,
    B_TOPIC,
    B_TICK,
    B_STATS,
    B_MAX_UNACKED,
    B_FIRST,
    B_N
};

static const struct cli_optdef broker_opts[B_N] = {
    {"--broker", true},        {"--count", true},        {"--library", true},
    {"--care-areas", true},    {"--pump-prefix", true},  {"--patients", true},
    {"--auto-confirm", false}, {"--confirm-delay-s", true}, {"--fault-rate", true},
    {"--fault-clear-s", true}, {"--heartbeat-s", true},  {"--resend-s", true},
    {"--seed", true},          {"--duration", true},     {"--topic-prefix", true},
    {"--tick-ms", true},       {"--stats-s", true},      {"--max-unacked", true},
    {"--first", true},
};

#define AREAS_MAX 64

struct fleet_opts {
    char host[256];
    int port;
    uint64_t count;
    const char *prefix;
    const char *patients;
    bool auto_confirm;
    double confirm_ratio;
    uint64_t confirm_delay_ms;
    double fault_rate; /* per pump-hour while infusing */
    uint64_t fault_clear_ms;
    uint64_t heartbeat_ms;
    uint64_t resend_ms;
    uint64_t seed;
    uint64_t duration_ms; /* 0: until a signal */
    const char *topic_prefix;
    uint64_t tick_ms;
    uint64_t stats_ms;
    uint64_t max_unacked;
    uint64_t first; /* number of the first pump */
    size_t n_areas;
    char *areas[AREAS_MAX];
};

/* One pump with its simulated nurse. */
struct fleet_pump {
    struct mqtt_pump mp;
    struct fleet *fl;
    char id[MQTT_PUMP_ID_MAX + 1];
    uint64_t rng;
    bool decide_pending;
    bool decide_soft;
    uint64_t decide_at_ms;
    bool fault_on;           /* a hardware fault is present */
    uint8_t fault_kind;
    uint64_t fault_clear_at_ms;
    uint64_t alarm_seen_ms;  /* an unacknowledged alarm was first seen (0: none) */
    uint64_t next_resume_ms;
    uint64_t end_seen_ms;    /* the infusion ended (COMPLETE/KVO) (0: not) */
    uint64_t last_ms;
};

struct fleet {
    struct fleet_opts o;
    struct pd_loaded ld;
    struct event_base *base;
    struct fleet_pump *pumps;
    size_t n_started;
    uint64_t t0_ms;
    bool failed;
    uint64_t n_faults;
    uint64_t n_confirmed;
    uint64_t n_declined;
};

/* ---- options -------------------------------------------------------------------------------- */

static bool parse_broker(const char *text, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(text, ':');
    uint64_t p = 0;
    size_t n;
    if (colon == NULL || colon == text) {
        pd_error2("--broker must be HOST:PORT, not", text);
        return false;
    }
    n = (size_t)(colon - text);
    if (n >= cap) {
        pd_error2("--broker: host name too long:", text);
        return false;
    }
    if (!pd_parse_uint("--broker port", colon + 1, 1, 65535, &p)) {
        return false;
    }
    memcpy(host, text, n);
    host[n] = '\0';
    *port = (int)p;
    return true;
}

static bool parse_real(const char *flag, const char *text, double min, double max, double *out)
{
    char *end = NULL;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno != 0 || !(v >= min && v <= max)) {
        char msg[128];
        (void)snprintf(msg, sizeof msg, "%s must be a number from %g to %g, not", flag, min, max);
        pd_error2(msg, text);
        return false;
    }
    *out = v;
    return true;
}

static bool parse_seconds(const char *flag, const char *text, uint64_t min_s, uint64_t max_s,
                          uint64_t *out_ms)
{
    uint64_t s = 0;
    if (!pd_parse_uint(flag, text, min_s, max_s, &s)) {
        return false;
    }
    *out_ms = s * 1000U;
    return true;
}

static bool split_areas(char *list, struct fleet_opts *o)
{
    char *save = NULL;
    char *tok = strtok_r(list, ",", &save);
    while (tok != NULL) {
        if (o->n_areas == AREAS_MAX) {
            pd_error("--care-areas: at most 64 areas");
            return false;
        }
        o->areas[o->n_areas] = tok;
        o->n_areas++;
        tok = strtok_r(NULL, ",", &save);
    }
    if (o->n_areas == 0) {
        pd_error("--care-areas needs at least one care area id");
        return false;
    }
    return true;
}

bool pd_fleet_wants_broker(int argc, char *const *argv)
{
    int i;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            return false;
        }
        if (strcmp(argv[i], "--broker") == 0 || strncmp(argv[i], "--broker=", 9) == 0) {
            return true;
        }
    }
    return false;
}

/* ---- the simulated nurse -------------------------------------------------------------------- */

static double rand01(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static pump_status send_cmd(struct fleet_pump *fp, pump_event ev, uint8_t arg)
{
    struct pump_cmd cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)ev;
    if (ev == PUMP_EV_CONFIRM) {
        cmd.confirm.reason = arg;
    } else if (ev == PUMP_EV_ALARM_ACK) {
        cmd.alarm.alarm = arg;
    } else {
        /* no payload */
    }
    return sim_pump_command(&fp->mp.pump, &cmd);
}

static void on_program(void *arg, struct mqtt_pump *mp, const struct mqtt_pump_program_info *info)
{
    struct fleet_pump *fp = arg;
    struct fleet *fl = fp->fl;
    (void)mp;
    if (!fl->o.auto_confirm) {
        return; /* nobody at the bedside: the program waits */
    }
    fp->decide_pending = true;
    fp->decide_soft = info->is_soft;
    fp->decide_at_ms = mqtt_pump_mono_ms() + fl->o.confirm_delay_ms;
}

static void nurse_decide(struct fleet *fl, struct fleet_pump *fp)
{
    fp->decide_pending = false;
    if (fp->mp.pump.ch.state != (uint8_t)PUMP_ST_PROGRAMMED || !mqtt_pump_has_origin(&fp->mp)) {
        return;
    }
    if (rand01(&fp->rng) < fl->o.confirm_ratio) {
        pump_status st = send_cmd(fp, PUMP_EV_CONFIRM,
                                  (uint8_t)(fp->decide_soft ? PUMP_OVR_ORDER_VERIFIED
                                                            : PUMP_OVR_NONE));
        if (st == PUMP_OK) {
            fl->n_confirmed++;
            (void)send_cmd(fp, PUMP_EV_START, 0);
        }
    } else {
        (void)send_cmd(fp, PUMP_EV_DECLINE, 0);
        fl->n_declined++;
    }
}

static bool infusing(uint8_t st)
{
    return st == (uint8_t)PUMP_ST_RUNNING || st == (uint8_t)PUMP_ST_BOLUS ||
           st == (uint8_t)PUMP_ST_KVO;
}

static void inject_fault(struct fleet *fl, struct fleet_pump *fp, uint64_t now)
{
    struct hal_fault f;
    memset(&f, 0, sizeof f);
    f.kind = (uint8_t)(rand01(&fp->rng) < 0.5 ? HAL_FAULT_OCCLUSION_DOWN : HAL_FAULT_AIR);
    f.count = 1;
    f.bubble_nl = 100000; /* 100 uL: above the 50 uL single-bubble limit */
    if (sim_pump_fault(&fp->mp.pump, &f)) {
        fp->fault_on = true;
        fp->fault_kind = f.kind;
        fp->fault_clear_at_ms = now + fl->o.fault_clear_ms;
        fl->n_faults++;
    }
}

static void answer_alarms(struct fleet_pump *fp)
{
    const struct pump_alarm_set *set = &fp->mp.pump.ch.alarms;
    unsigned i;
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        uint8_t f = set->a[i].flags;
        if ((f & PUMP_ALARM_F_ACTIVE) != 0U && (f & PUMP_ALARM_F_ACKED) == 0U) {
            (void)send_cmd(fp, PUMP_EV_ALARM_ACK, (uint8_t)i);
        }
    }
}

static bool has_unacked_alarm(const struct pump_alarm_set *set)
{
    unsigned i;
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        uint8_t f = set->a[i].flags;
        if ((f & PUMP_ALARM_F_ACTIVE) != 0U && (f & PUMP_ALARM_F_ACKED) == 0U) {
            return true;
        }
    }
    return false;
}

static void nurse_step(struct fleet *fl, struct fleet_pump *fp, uint64_t now)
{
    uint8_t st = fp->mp.pump.ch.state;
    uint64_t dt = now > fp->last_ms ? now - fp->last_ms : 0U;
    fp->last_ms = now;
    if (fp->decide_pending && now >= fp->decide_at_ms) {
        nurse_decide(fl, fp);
        st = fp->mp.pump.ch.state;
    }
    if (fl->o.fault_rate > 0.0 && !fp->fault_on && infusing(st) &&
        rand01(&fp->rng) < fl->o.fault_rate * (double)dt / 3600000.0) {
        inject_fault(fl, fp, now);
    }
    if (fp->fault_on && now >= fp->fault_clear_at_ms) {
        struct hal_fault f;
        memset(&f, 0, sizeof f);
        f.kind = fp->fault_kind;
        f.clear = true;
        (void)sim_pump_fault(&fp->mp.pump, &f);
        fp->fault_on = false;
    }
    /* A nurse answers a sounding alarm after the delay; she resumes once the cause is gone. */
    if (has_unacked_alarm(&fp->mp.pump.ch.alarms)) {
        if (fp->alarm_seen_ms == 0) {
            fp->alarm_seen_ms = now;
        } else if (now >= fp->alarm_seen_ms + fl->o.confirm_delay_ms) {
            answer_alarms(fp);
            fp->alarm_seen_ms = 0;
        } else {
            /* she is on her way */
        }
    } else {
        fp->alarm_seen_ms = 0;
    }
    st = fp->mp.pump.ch.state;
    if (st == (uint8_t)PUMP_ST_ALARM_STOPPED && !fp->fault_on && now >= fp->next_resume_ms &&
        !has_unacked_alarm(&fp->mp.pump.ch.alarms)) {
        fp->next_resume_ms = now + 1000U;
        (void)send_cmd(fp, PUMP_EV_RESUME, 0);
    }
    if (fl->o.auto_confirm && (st == (uint8_t)PUMP_ST_COMPLETE || st == (uint8_t)PUMP_ST_KVO)) {
        if (fp->end_seen_ms == 0) {
            fp->end_seen_ms = now;
        } else if (now >= fp->end_seen_ms + fl->o.confirm_delay_ms) {
            answer_alarms(fp);
            (void)send_cmd(fp, PUMP_EV_STOP, 0);
            fp->end_seen_ms = 0;
        } else {
            /* not yet */
        }
    } else {
        fp->end_seen_ms = 0;
    }
}

/* ---- the loop ------------------------------------------------------------------------------- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct fleet *fl = arg;
    uint64_t now = mqtt_pump_mono_ms();
    size_t i;
    (void)fd;
    (void)what;
    for (i = 0; i < fl->n_started; i++) {
        struct fleet_pump *fp = &fl->pumps[i];
        mqtt_pump_service(&fp->mp, now);
        nurse_step(fl, fp, now);
        mqtt_pump_service(&fp->mp, now);
        if (fp->mp.pump.failed) {
            pd_error2("a pump stopped:", fp->mp.pump.error);
            fl->failed = true;
            (void)event_base_loopbreak(fl->base);
        }
    }
}

static void print_stats(const struct fleet *fl, const char *when)
{
    struct mqtt_pump_stats t;
    uint64_t connected = 0;
    uint64_t inf = 0;
    uint64_t unacked = 0;
    size_t i;
    memset(&t, 0, sizeof t);
    for (i = 0; i < fl->n_started; i++) {
        const struct mqtt_pump *mp = &fl->pumps[i].mp;
        connected += mp->connected ? 1U : 0U;
        inf += infusing(mp->pump.ch.state) ? 1U : 0U;
        unacked += mp->q_count;
        t.n_made += mp->st.n_made;
        t.n_published += mp->st.n_published;
        t.n_acked += mp->st.n_acked;
        t.n_dropped += mp->st.n_dropped;
        t.n_resends += mp->st.n_resends;
        t.n_cmds += mp->st.n_cmds;
        t.n_dup_cmds += mp->st.n_dup_cmds;
        t.n_bad_cmds += mp->st.n_bad_cmds;
    }
    (void)fprintf(stderr,
                  "pumpd fleet%s: %.0f s, %zu pumps, %llu connected, %llu infusing; events "
                  "%llu made, %llu sent, %llu acked, %llu unacked, %llu dropped, %llu resends; "
                  "commands %llu received (%llu repeated, %llu bad); nurse %llu confirmed, "
                  "%llu declined; faults %llu\n",
                  when, (double)(mqtt_pump_mono_ms() - fl->t0_ms) / 1000.0, fl->n_started,
                  (unsigned long long)connected, (unsigned long long)inf,
                  (unsigned long long)t.n_made, (unsigned long long)t.n_published,
                  (unsigned long long)t.n_acked, (unsigned long long)unacked,
                  (unsigned long long)t.n_dropped, (unsigned long long)t.n_resends,
                  (unsigned long long)t.n_cmds, (unsigned long long)t.n_dup_cmds,
                  (unsigned long long)t.n_bad_cmds, (unsigned long long)fl->n_confirmed,
                  (unsigned long long)fl->n_declined, (unsigned long long)fl->n_faults);
}

static void on_stats(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    print_stats(arg, "");
}

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
    struct fleet *fl = arg;
    (void)fd;
    (void)what;
    (void)event_base_loopbreak(fl->base);
}

static struct timeval tv_of(uint64_t ms)
{
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000U);
    tv.tv_usec = (suseconds_t)((ms % 1000U) * 1000U);
    return tv;
}

/* Each pump holds three descriptors: its socket and the socket pair every libmosquitto client
 * opens for itself. The soft limit goes up to the hard one, and beyond it when the process may
 * (CAP_SYS_RESOURCE). */
static bool raise_nofile(uint64_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return true;
    }
    if (rl.rlim_max != RLIM_INFINITY && (uint64_t)rl.rlim_max < need) {
        struct rlimit more;
        more.rlim_cur = (rlim_t)need;
        more.rlim_max = (rlim_t)need;
        (void)setrlimit(RLIMIT_NOFILE, &more);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && (uint64_t)rl.rlim_cur < need) {
        char msg[200];
        (void)snprintf(msg, sizeof msg,
                       "--count needs %llu file descriptors (3 per pump); the limit is %llu "
                       "(raise it with ulimit -n)",
                       (unsigned long long)need, (unsigned long long)rl.rlim_cur);
        pd_error(msg);
        return false;
    }
    return true;
}

static bool start_pumps(struct fleet *fl)
{
    struct mqtt_pump_config mc;
    size_t i;
    uint64_t now = mqtt_pump_mono_ms();
    memset(&mc, 0, sizeof mc);
    mc.host = fl->o.host;
    mc.port = fl->o.port;
    mc.topic_prefix = fl->o.topic_prefix;
    mc.heartbeat_ms = fl->o.heartbeat_ms;
    mc.resend_ms = fl->o.resend_ms;
    mc.max_unacked = (size_t)fl->o.max_unacked;
    mc.on_program = on_program;
    mc.quiet = fl->o.count > 20U;
    for (i = 0; i < (size_t)fl->o.count; i++) {
        struct fleet_pump *fp = &fl->pumps[i];
        struct sim_pump_config pc;
        size_t num = (size_t)fl->o.first + i;
        const char *area = fl->o.areas[(num - 1U) % fl->o.n_areas];
        int n = snprintf(fp->id, sizeof fp->id, "%s%04zu", fl->o.prefix, num);
        if (n < 0 || (size_t)n >= sizeof fp->id) {
            pd_error2("--pump-prefix is too long:", fl->o.prefix);
            return false;
        }
        memset(&pc, 0, sizeof pc);
        pc.pump_id = fp->id;
        hal_sim_config_default(&pc.hw);
        pc.seed = fl->o.seed + (uint64_t)num;
        pc.tick_ms = fl->o.tick_ms;
        pc.idle_tick_ms = fl->o.tick_ms > 1000U ? fl->o.tick_ms : 1000U;
        pc.lib = &fl->ld.dl.lib;
        fp->fl = fl;
        mc.arg = fp;
        fp->rng = (fl->o.seed + (uint64_t)num) * 0x9E3779B97F4A7C15ULL + 7U;
        if (!mqtt_pump_init(&fp->mp, &mc, &pc, fl->base, 0, 1, false)) {
            fl->n_started = i + 1U; /* closed with the others */
            pd_error2(fp->id, fp->mp.error);
            return false;
        }
        fl->n_started = i + 1U;
        fp->mp.assoc.has_area = true;
        (void)snprintf(fp->mp.assoc.care_area, sizeof fp->mp.assoc.care_area, "%s", area);
        if (fl->o.patients != NULL) {
            fp->mp.assoc.has_patient = true;
            (void)snprintf(fp->mp.assoc.patient_id, sizeof fp->mp.assoc.patient_id, "%s%04zu",
                           fl->o.patients, num);
            (void)snprintf(fp->mp.assoc.weight_kg, sizeof fp->mp.assoc.weight_kg, "70");
        }
        /* Spread the first connections: 200 per tick. */
        fp->mp.next_connect_ms = now + (uint64_t)(i / 200U) * fl->o.tick_ms;
        fp->last_ms = now;
    }
    return true;
}

static int run(struct fleet *fl)
{
    struct event *tick = NULL;
    struct event *stats = NULL;
    struct event *stop = NULL;
    struct event *sig_int = NULL;
    struct event *sig_term = NULL;
    struct timeval tv;
    size_t i;
    int status = PD_EXIT_OK;

    fl->pumps = calloc((size_t)fl->o.count, sizeof *fl->pumps);
    fl->base = event_base_new();
    if (fl->pumps == NULL || fl->base == NULL || !mqtt_pump_lib_init()) {
        pd_error("out of memory");
        free(fl->pumps);
        if (fl->base != NULL) {
            event_base_free(fl->base);
        }
        return PD_EXIT_FAILED;
    }
    (void)signal(SIGPIPE, SIG_IGN);
    fl->t0_ms = mqtt_pump_mono_ms();
    if (!start_pumps(fl)) {
        status = PD_EXIT_USAGE;
    } else {
        tick = event_new(fl->base, -1, EV_PERSIST, on_tick, fl);
        sig_int = evsignal_new(fl->base, SIGINT, on_stop, fl);
        sig_term = evsignal_new(fl->base, SIGTERM, on_stop, fl);
        if (fl->o.stats_ms > 0) {
            stats = event_new(fl->base, -1, EV_PERSIST, on_stats, fl);
        }
        if (fl->o.duration_ms > 0) {
            stop = event_new(fl->base, -1, 0, on_stop, fl);
        }
        tv = tv_of(fl->o.tick_ms);
        if (tick == NULL || sig_int == NULL || sig_term == NULL || event_add(tick, &tv) != 0 ||
            event_add(sig_int, NULL) != 0 || event_add(sig_term, NULL) != 0) {
            pd_error("cannot set up the event loop");
            status = PD_EXIT_FAILED;
        } else {
            if (stats != NULL) {
                tv = tv_of(fl->o.stats_ms);
                (void)event_add(stats, &tv);
            }
            if (stop != NULL) {
                tv = tv_of(fl->o.duration_ms);
                (void)event_add(stop, &tv);
            }
            on_tick(-1, 0, fl);
            (void)event_base_dispatch(fl->base);
            print_stats(fl, " (stopping)");
            status = fl->failed ? PD_EXIT_FAILED : PD_EXIT_OK;
        }
    }
    for (i = 0; i < fl->n_started; i++) {
        mqtt_pump_close(&fl->pumps[i].mp, 2000);
    }
    if (tick != NULL) {
        event_free(tick);
    }
    if (stats != NULL) {
        event_free(stats);
    }
    if (stop != NULL) {
        event_free(stop);
    }
    if (sig_int != NULL) {
        event_free(sig_int);
    }
    if (sig_term != NULL) {
        event_free(sig_term);
    }
    event_base_free(fl->base);
    free(fl->pumps);
    mqtt_pump_lib_cleanup();
    return status;
}

/* --auto-confirm[=RATIO] is a switch with an optional value: taken out of argv before the
 * shared parser (which knows switches or valued flags, not both). */
static int strip_auto_confirm(int argc, char *const *argv, char **out, const char **ratio,
                              bool *seen)
{
    int i;
    int n = 0;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            for (; i < argc; i++) {
                out[n++] = argv[i];
            }
            break;
        }
        if (strcmp(argv[i], "--auto-confirm") == 0) {
            *seen = true;
        } else if (strncmp(argv[i], "--auto-confirm=", 15) == 0) {
            *seen = true;
            *ratio = argv[i] + 15;
        } else {
            out[n++] = argv[i];
        }
    }
    return n;
}

static bool check_areas(const struct fleet *fl)
{
    size_t i;
    uint32_t idx = 0;
    for (i = 0; i < fl->o.n_areas; i++) {
        if (pump_library_find_area(&fl->ld.dl.lib, fl->o.areas[i], strlen(fl->o.areas[i]),
                                   &idx) != PUMP_OK) {
            pd_error2("--care-areas: not in the library:", fl->o.areas[i]);
            return false;
        }
    }
    return true;
}

int pd_cmd_fleet_broker(int argc, char *const *argv)
{
    static struct fleet fl;
    struct cli_parsed a;
    char **args = calloc((size_t)argc + 1U, sizeof *args);
    const char *ratio = NULL;
    bool auto_seen = false;
    char *areas_copy = NULL;
    int n;
    int status;
    struct fleet_opts *o = &fl.o;

    if (args == NULL) {
        pd_error("out of memory");
        return PD_EXIT_FAILED;
    }
    memset(&fl, 0, sizeof fl);
    n = strip_auto_confirm(argc, argv, args, &ratio, &auto_seen);
    if (!pd_args_parse(n, args, broker_opts, B_N, &a)) {
        (void)fputs(broker_usage, stderr);
        free(args);
        return PD_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(broker_usage, stdout);
        free(args);
        return PD_EXIT_OK;
    }
    o->prefix = a.seen[B_PREFIX] ? a.value[B_PREFIX] : "SIM-";
    o->patients = a.seen[B_PATIENTS] ? a.value[B_PATIENTS] : NULL;
    o->topic_prefix = a.seen[B_TOPIC] ? a.value[B_TOPIC] : "infusion/v1";
    o->auto_confirm = auto_seen;
    o->confirm_ratio = 1.0;
    o->confirm_delay_ms = 2000;
    o->fault_clear_ms = 30000;
    o->heartbeat_ms = 5000;
    o->resend_ms = 10000;
    o->seed = 1;
    o->tick_ms = 100;
    o->stats_ms = 5000;
    o->max_unacked = MQTT_PUMP_UNACKED_MAX;
    o->first = 1;
    status = PD_EXIT_USAGE;
    if (a.n_pos > 0 || !a.seen[B_BROKER] || !a.seen[B_COUNT] || !a.seen[B_LIBRARY] ||
        !a.seen[B_AREAS]) {
        pd_error(a.n_pos > 0 ? "unexpected argument"
                             : "fleet --broker needs --count, --library and --care-areas");
        (void)fputs(broker_usage, stderr);
    } else if (!parse_broker(a.value[B_BROKER], o->host, sizeof o->host, &o->port) ||
               !pd_parse_uint("--count", a.value[B_COUNT], 1, 100000, &o->count) ||
               (ratio != NULL && !parse_real("--auto-confirm", ratio, 0.0, 1.0,
                                             &o->confirm_ratio)) ||
               (a.seen[B_DELAY] && !parse_seconds("--confirm-delay-s", a.value[B_DELAY], 0,
                                                  86400, &o->confirm_delay_ms)) ||
               (a.seen[B_FAULT_RATE] && !parse_real("--fault-rate", a.value[B_FAULT_RATE], 0.0,
                                                    3600.0, &o->fault_rate)) ||
               (a.seen[B_FAULT_CLEAR] && !parse_seconds("--fault-clear-s", a.value[B_FAULT_CLEAR],
                                                        0, 86400, &o->fault_clear_ms)) ||
               (a.seen[B_HEARTBEAT] && !parse_seconds("--heartbeat-s", a.value[B_HEARTBEAT], 1,
                                                      3600, &o->heartbeat_ms)) ||
               (a.seen[B_RESEND] && !parse_seconds("--resend-s", a.value[B_RESEND], 1, 3600,
                                                   &o->resend_ms)) ||
               (a.seen[B_SEED] && !pd_parse_uint("--seed", a.value[B_SEED], 0, UINT32_MAX,
                                                 &o->seed)) ||
               (a.seen[B_DURATION] && !parse_seconds("--duration", a.value[B_DURATION], 1,
                                                     31536000, &o->duration_ms)) ||
               (a.seen[B_TICK] && !pd_parse_uint("--tick-ms", a.value[B_TICK], 10, 5000,
                                                 &o->tick_ms)) ||
               (a.seen[B_STATS] && !parse_seconds("--stats-s", a.value[B_STATS], 0, 86400,
                                                  &o->stats_ms)) ||
               (a.seen[B_MAX_UNACKED] && !pd_parse_uint("--max-unacked", a.value[B_MAX_UNACKED],
                                                        64, 100000000, &o->max_unacked)) ||
               (a.seen[B_FIRST] && !pd_parse_uint("--first", a.value[B_FIRST], 1, 1000000,
                                                  &o->first))) {
        /* the message is out */
    } else if ((areas_copy = strdup(a.value[B_AREAS])) == NULL || !split_areas(areas_copy, o)) {
        /* the message is out */
    } else if (!pd_load_library_file(a.value[B_LIBRARY], &fl.ld)) {
        /* the message is out */
    } else {
        if (check_areas(&fl) && raise_nofile(o->count * 3U + 64U)) {
            status = run(&fl);
        }
        pd_loaded_free(&fl.ld);
    }
    free(areas_copy);
    free(args);
    return status;
}
