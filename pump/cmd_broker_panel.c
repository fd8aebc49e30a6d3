/*
 * cmd_broker_panel.c - pumpd panel --broker: the panel's pump on an MQTT broker. The panel
 * (cmd_panel.c) keeps reading one command per line; while it waits for a line, or during
 * "wait", the pump serves the network in real time. A program command from the server is
 * printed, and the panel's own confirm/decline answer it (mqtt_pump.c sees the channel leave
 * PROGRAMMED). docs/pumpd-broker.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "mqtt_pump.h"
#include "pumpd.h"

#define INBUF_MAX 8192U
#define PANEL_TICK_MS 100U

struct broker_panel {
    struct mqtt_pump mp; /* first: the pump's address never changes */
    struct event_base *base;
    struct event *ev_stdin;
    struct event *ev_tick;
    bool stdin_added;
    bool stdin_is_file; /* epoll cannot watch a regular file: it is always readable */
    int stdin_flags;    /* restored at close; -1: not changed */
    bool eof;
    char inbuf[INBUF_MAX];
    size_t in_len;
    char host[256];
    struct datadir *dd;
    bool lib_ready;
};

/* Records of the data directory's log the server has not acknowledged (read before the pump
 * starts, put in its queue after). */
struct old_records {
    struct pump_log_record *r;
    size_t n;
    size_t cap;
    uint64_t acked;
    bool oom;
};

static void collect(void *arg, const struct pump_log_record *r)
{
    struct old_records *o = arg;
    if (r->seq <= o->acked || o->oom) {
        return;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap == 0 ? 64U : o->cap * 2U;
        struct pump_log_record *grown = realloc(o->r, cap * sizeof *grown);
        if (grown == NULL) {
            o->oom = true;
            return;
        }
        o->r = grown;
        o->cap = cap;
    }
    o->r[o->n] = *r;
    o->n++;
}

static void acked_path(const struct datadir *dd, char *buf, size_t cap, const char *suffix)
{
    (void)snprintf(buf, cap, "%s/acked_seq%s", dd->path, suffix);
}

static uint64_t read_acked(const struct datadir *dd)
{
    char path[600];
    char text[32];
    FILE *f;
    uint64_t v = 0;
    acked_path(dd, path, sizeof path, "");
    f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    if (fgets(text, sizeof text, f) != NULL) {
        v = strtoull(text, NULL, 10);
    }
    (void)fclose(f);
    return v;
}

/* DIR/acked_seq replaced atomically: the server's acknowledgement survives a restart. */
static void on_ack(void *arg, struct mqtt_pump *mp, uint64_t upto_seq)
{
    struct broker_panel *bp = arg;
    char path[600];
    char tmp[600];
    char text[32];
    int fd;
    int n;
    (void)mp;
    if (bp->dd == NULL) {
        return;
    }
    acked_path(bp->dd, path, sizeof path, "");
    acked_path(bp->dd, tmp, sizeof tmp, ".tmp");
    n = snprintf(text, sizeof text, "%llu\n", (unsigned long long)upto_seq);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return;
    }
    if (n > 0 && write(fd, text, (size_t)n) == (ssize_t)n && fsync(fd) == 0) {
        (void)close(fd);
        (void)rename(tmp, path);
    } else {
        (void)close(fd);
    }
}

static void on_program(void *arg, struct mqtt_pump *mp, const struct mqtt_pump_program_info *info)
{
    (void)arg;
    (void)mp;
    (void)printf("program from server: order %s, %s, verdict %s%s%s; type \"confirm%s\" or "
                 "\"decline\"\n",
                 info->order_id[0] != '\0' ? info->order_id : "(none)",
                 info->drug_name[0] != '\0' ? info->drug_name : "(no drug name)", info->outcome,
                 info->limit[0] != '\0' ? " " : "", info->limit,
                 info->is_soft ? " REASON" : "");
    (void)fflush(stdout);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct broker_panel *bp = arg;
    (void)fd;
    (void)what;
    mqtt_pump_service(&bp->mp, mqtt_pump_mono_ms());
    (void)fflush(stdout);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    struct broker_panel *bp = arg;
    ssize_t n;
    (void)what;
    n = read(fd, bp->inbuf + bp->in_len, sizeof bp->inbuf - bp->in_len);
    if (n > 0) {
        bp->in_len += (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        bp->eof = true;
    } else {
        return;
    }
    if ((bp->eof || bp->in_len == sizeof bp->inbuf) && bp->stdin_added) {
        (void)event_del(bp->ev_stdin);
        bp->stdin_added = false;
    }
}

struct sim_pump *broker_panel_pump(struct broker_panel *bp)
{
    return &bp->mp.pump;
}

bool broker_panel_read_line(struct broker_panel *bp, char *line, size_t cap)
{
    for (;;) {
        char *nl = memchr(bp->inbuf, '\n', bp->in_len);
        size_t take;
        if (nl != NULL || (bp->in_len > 0 && (bp->eof || bp->in_len == sizeof bp->inbuf))) {
            size_t len = nl != NULL ? (size_t)(nl - bp->inbuf) : bp->in_len;
            take = nl != NULL ? len + 1U : len;
            if (len >= cap) {
                len = cap - 1U;
            }
            memcpy(line, bp->inbuf, len);
            line[len] = '\0';
            memmove(bp->inbuf, bp->inbuf + take, bp->in_len - take);
            bp->in_len -= take;
            return true;
        }
        if (bp->eof) {
            return false;
        }
        if (bp->stdin_is_file) {
            on_stdin(STDIN_FILENO, EV_READ, bp);
            (void)event_base_loop(bp->base, EVLOOP_NONBLOCK);
            continue;
        }
        if (!bp->stdin_added) {
            bp->stdin_added = event_add(bp->ev_stdin, NULL) == 0;
        }
        (void)fflush(stdout);
        (void)event_base_loop(bp->base, EVLOOP_ONCE);
    }
}

void broker_panel_wait(struct broker_panel *bp, uint64_t ms)
{
    uint64_t end = mqtt_pump_mono_ms() + ms;
    (void)fflush(stdout);
    while (mqtt_pump_mono_ms() < end) {
        (void)event_base_loop(bp->base, EVLOOP_ONCE);
    }
    broker_panel_sync(bp);
}

void broker_panel_sync(struct broker_panel *bp)
{
    mqtt_pump_service(&bp->mp, mqtt_pump_mono_ms());
}

void broker_panel_close(struct broker_panel *bp)
{
    if (bp == NULL) {
        return;
    }
    mqtt_pump_close(&bp->mp, 2000);
    if (bp->ev_stdin != NULL) {
        event_free(bp->ev_stdin);
    }
    if (bp->stdin_flags >= 0) {
        (void)fcntl(STDIN_FILENO, F_SETFL, bp->stdin_flags);
    }
    if (bp->ev_tick != NULL) {
        event_free(bp->ev_tick);
    }
    if (bp->base != NULL) {
        event_base_free(bp->base);
    }
    if (bp->lib_ready) {
        mqtt_pump_lib_cleanup();
    }
    free(bp);
}

struct broker_panel *broker_panel_open(const char *broker, const char *topic_prefix,
                                       uint64_t resend_ms, const char *care_area,
                                       const struct sim_pump_config *pc, struct datadir *dd,
                                       uint64_t start_ms, uint64_t next_seq, bool interrupted)
{
    struct broker_panel *bp = calloc(1, sizeof *bp);
    struct mqtt_pump_config mc;
    struct old_records old;
    const char *colon = strrchr(broker, ':');
    uint64_t port = 0;
    size_t i;
    uint32_t area_idx = 0;
    struct stat sb;
    struct timeval tv;
    int flags;

    memset(&old, 0, sizeof old);
    if (bp == NULL) {
        pd_error("out of memory");
        return NULL;
    }
    if (colon == NULL || colon == broker || (size_t)(colon - broker) >= sizeof bp->host ||
        !pd_parse_uint("--broker port", colon + 1, 1, 65535, &port)) {
        pd_error2("--broker must be HOST:PORT, not", broker);
        free(bp);
        return NULL;
    }
    memcpy(bp->host, broker, (size_t)(colon - broker));
    bp->stdin_flags = -1;
    bp->dd = dd;
    if (dd != NULL) {
        old.acked = read_acked(dd);
        if (!datadir_read_log(dd, collect, &old) || old.oom) {
            pd_error2("cannot read the data directory's log:", dd->error);
        }
    }
    bp->lib_ready = mqtt_pump_lib_init();
    bp->base = event_base_new();
    if (!bp->lib_ready || bp->base == NULL) {
        pd_error("cannot set up the network");
        free(old.r);
        broker_panel_close(bp);
        return NULL;
    }
    memset(&mc, 0, sizeof mc);
    mc.host = bp->host;
    mc.port = (int)port;
    mc.topic_prefix = topic_prefix;
    mc.heartbeat_ms = 5000;
    mc.resend_ms = resend_ms;
    mc.on_program = on_program;
    mc.on_ack = on_ack;
    mc.arg = bp;
    if (!mqtt_pump_init(&bp->mp, &mc, pc, bp->base, start_ms, next_seq, interrupted)) {
        pd_error(bp->mp.error);
        free(old.r);
        broker_panel_close(bp);
        return NULL;
    }
    for (i = 0; i < old.n; i++) {
        uint64_t back = bp->mp.pump.now_ms > old.r[i].time_ms
                            ? bp->mp.pump.now_ms - old.r[i].time_ms
                            : 0U;
        uint64_t wall = mqtt_pump_wall_ms(&bp->mp);
        mqtt_pump_requeue(&bp->mp, &old.r[i], wall > back ? wall - back : 0U);
    }
    free(old.r);
    if (care_area != NULL &&
        pump_library_find_area(pc->lib, care_area, strlen(care_area), &area_idx) == PUMP_OK) {
        bp->mp.assoc.has_area = true;
        (void)snprintf(bp->mp.assoc.care_area, sizeof bp->mp.assoc.care_area, "%s", care_area);
    }
    flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags >= 0 && fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK) == 0) {
        bp->stdin_flags = flags;
    }
    (void)signal(SIGPIPE, SIG_IGN);
    bp->ev_stdin = event_new(bp->base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin, bp);
    bp->ev_tick = event_new(bp->base, -1, EV_PERSIST, on_tick, bp);
    tv.tv_sec = 0;
    tv.tv_usec = (suseconds_t)PANEL_TICK_MS * 1000;
    if (bp->ev_stdin == NULL || bp->ev_tick == NULL || event_add(bp->ev_tick, &tv) != 0) {
        pd_error("cannot set up the event loop");
        broker_panel_close(bp);
        return NULL;
    }
    /* epoll refuses regular files (and libevent would warn): a file is always readable. */
    bp->stdin_is_file = fstat(STDIN_FILENO, &sb) == 0 && S_ISREG(sb.st_mode);
    if (!bp->stdin_is_file) {
        bp->stdin_added = event_add(bp->ev_stdin, NULL) == 0;
        bp->stdin_is_file = !bp->stdin_added;
    }
    broker_panel_sync(bp);
    return bp;
}
