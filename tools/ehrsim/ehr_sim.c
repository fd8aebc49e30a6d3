/*
 * ehr_sim.c - the loop: order connections to the IOC, the listener, timers, signals
 * (contract: see ehrsim.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "ehrsim.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "hl7/mllp.h"

#define ORDER_BUF 8192U        /* one built order, framed */
#define READ_CHUNK 65536U
#define TICK_MS 10
#define PROGRESS_S 5
#define RECONNECT_MS 1000
#define MAX_FILE_BYTES (64U * 1024U * 1024U)
/* Bytes outside frames tolerated per connection (stray line ends between frames). */
#define MAX_STRAY_BYTES 64U

/* One MLLP connection to the IOC, carrying orders and their ACK^O15. */
struct ehr_conn {
    struct ehr_sim *sim;
    unsigned index;
    struct bufferevent *bev;
    bool is_connected;
    bool is_dead;                 /* failed: freed and reconnected by the retry timer */
    struct hl7_mllp_deframer d;
    char *frame_buf;
    uint32_t *inflight;           /* order records waiting for their ACK^O15, oldest first */
    size_t n_inflight;
    struct event *retry;
    struct sockaddr_storage addr;
    int addr_len;
};

/* An ACK held back by --ack-delay-ms. */
struct ehr_delayed {
    struct ehr_peer *peer;
    struct event *ev;
    struct ehr_delayed *next;
    size_t len;
    char data[];
};

/* One connection accepted by the listener. */
struct ehr_peer {
    struct ehr_sim *sim;
    uint64_t id;
    struct bufferevent *bev;
    struct hl7_mllp_deframer d;
    char *frame_buf;
    bool is_closing;
    uint64_t n_stray;
    struct event *close_ev;
    struct ehr_delayed *delayed;
    struct ehr_peer *prev;
    struct ehr_peer *next;
};

uint64_t ehr_now_us(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000U + (uint64_t)ts.tv_nsec / 1000U;
}

void ehr_now_dtm(char *buf, size_t cap)
{
    struct timespec ts;
    struct hl7_dtm d;
    size_t len = 0;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    buf[0] = '\0';
    if (hl7_dtm_from_unix_ms((int64_t)ts.tv_sec * 1000 + (int64_t)(ts.tv_nsec / 1000000), 0,
                             false, &d) == HL7_OK &&
        hl7_dtm_format(&d, buf, cap - 1U, &len) == HL7_OK) {
        buf[len] = '\0';
    }
}

/* xorshift64*: reproducible from --seed. */
static uint64_t rng_next(struct ehr_sim *sim)
{
    uint64_t x = sim->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    sim->rng = x;
    return x * 2685821657736338717ULL;
}

/* Uniform in [0, 1). */
static double rng_unit(struct ehr_sim *sim)
{
    return (double)(rng_next(sim) >> 11) / 9007199254740992.0;
}

static void stop(struct ehr_sim *sim, const char *why)
{
    if (!sim->stopping) {
        sim->stopping = true;
        sim->stop_reason = why;
        (void)event_base_loopbreak(sim->base);
    }
}

/* ---- order records ---------------------------------------------------------------------------- */

static long new_record(struct ehr_sim *sim, const char *control_id, const char *placer_id)
{
    struct ehr_order_rec *r;
    bool is_new = false;

    if (sim->n_orders == sim->cap_orders) {
        size_t cap = (sim->cap_orders == 0U) ? 1024U : sim->cap_orders * 2U;
        struct ehr_order_rec *p = realloc(sim->orders, cap * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        sim->orders = p;
        sim->cap_orders = cap;
    }
    r = &sim->orders[sim->n_orders];
    memset(r, 0, sizeof *r);
    (void)snprintf(r->control_id, sizeof r->control_id, "%s", control_id);
    (void)snprintf(r->placer_id, sizeof r->placer_id, "%s", placer_id);
    r->ack_code = EHR_NO_CODE;
    r->rrg_code = EHR_NO_CODE;
    if (!ehr_idmap_put(&sim->order_ids, control_id, strlen(control_id), (uint32_t)sim->n_orders,
                       &is_new, NULL)) {
        return -1;
    }
    sim->n_orders++;
    return (long)(sim->n_orders - 1U);
}

/* ---- the order file ------------------------------------------------------------------------- */

struct file_ctx {
    struct ehr_sim *sim;
    size_t out;      /* bytes used in sim->file_text */
    size_t n_msg;
};

/* Copy one message with CR segment ends, index it, and make its record. */
static void file_message(void *ctx, const char *text, size_t len, size_t at)
{
    struct file_ctx *fc = ctx;
    struct ehr_sim *sim = fc->sim;
    size_t start = fc->out;
    size_t i;
    struct hl7_msg m;
    struct hl7_error err;
    struct hl7_view ctrl = {NULL, 0};
    struct hl7_view placer = {NULL, 0};
    char ctrl_z[EHR_ID_MAX];
    char placer_z[EHR_ID_MAX];
    long rec;

    memset(&err, 0, sizeof err);
    fc->n_msg++;
    for (i = 0; i < len; i++) {
        char ch = text[i];
        if (ch == '\r' && i + 1U < len && text[i + 1U] == '\n') {
            continue;
        }
        sim->file_text[fc->out++] = (ch == '\n') ? '\r' : ch;
    }
    while (fc->out > start && sim->file_text[fc->out - 1U] == '\r') {
        fc->out--;
    }
    sim->file_text[fc->out++] = '\r';
    hl7_msg_init(&m, sim->segs, HL7_MAX_SEGMENTS, sim->seps, sim->cap_seps);
    if (hl7_parse(&m, sim->file_text + start, fc->out - start, &err) != HL7_OK ||
        hl7_get(&m, 0, 10, 1, 1, 0, &ctrl) != HL7_OK || ctrl.len == 0U ||
        ctrl.len >= sizeof ctrl_z) {
        fprintf(stderr, "ehrsim: %s message %zu (byte %zu): not sent: %s\n",
                sim->cfg->orders_file, fc->n_msg, at,
                (m.n_segs == 0U && err.message != NULL) ? err.message : "no usable MSH-10");
        sim->c.orders_skipped++;
        fc->out = start;
        return;
    }
    memcpy(ctrl_z, ctrl.ptr, ctrl.len);
    ctrl_z[ctrl.len] = '\0';
    placer_z[0] = '\0';
    if (hl7_get_path(&m, "ORC-2.1", &placer) == HL7_OK && placer.len < sizeof placer_z &&
        placer.len > 0U) {
        memcpy(placer_z, placer.ptr, placer.len);
        placer_z[placer.len] = '\0';
    }
    if (ehr_idmap_get(&sim->order_ids, ctrl_z, strlen(ctrl_z), &(uint32_t){0})) {
        fprintf(stderr, "ehrsim: %s message %zu: MSH-10 %s repeats an earlier one: not sent "
                        "(use --resend-dup for duplicates)\n",
                sim->cfg->orders_file, fc->n_msg, ctrl_z);
        sim->c.orders_skipped++;
        fc->out = start;
        return;
    }
    rec = new_record(sim, ctrl_z, placer_z);
    if (rec < 0) {
        fc->out = start;
        return;
    }
    sim->orders[rec].text_off = (uint32_t)start;
    sim->orders[rec].text_len = (uint32_t)(fc->out - start);
}

static bool load_orders_file(struct ehr_sim *sim)
{
    FILE *f = fopen(sim->cfg->orders_file, "rb");
    char *data;
    char *frame_buf;
    size_t n;
    struct file_ctx fc;

    if (f == NULL) {
        fprintf(stderr, "ehrsim: cannot open %s: %s\n", sim->cfg->orders_file, strerror(errno));
        return false;
    }
    data = malloc(MAX_FILE_BYTES + 1U);
    frame_buf = malloc(HL7_MAX_MESSAGE_BYTES);
    if (data == NULL || frame_buf == NULL) {
        (void)fclose(f);
        free(data);
        free(frame_buf);
        fprintf(stderr, "ehrsim: out of memory\n");
        return false;
    }
    n = fread(data, 1, MAX_FILE_BYTES + 1U, f);
    (void)fclose(f);
    if (n > MAX_FILE_BYTES) {
        fprintf(stderr, "ehrsim: %s is larger than 64 MiB\n", sim->cfg->orders_file);
        free(data);
        free(frame_buf);
        return false;
    }
    /* Line ends only shrink, and each message gains at most one CR. */
    sim->file_text = malloc(n + n / 2U + 16U);
    if (sim->file_text == NULL) {
        free(data);
        free(frame_buf);
        return false;
    }
    fc.sim = sim;
    fc.out = 0;
    fc.n_msg = 0;
    (void)ehr_split_messages(data, n, frame_buf, HL7_MAX_MESSAGE_BYTES, file_message, &fc);
    free(data);
    free(frame_buf);
    sim->n_total = sim->n_orders;
    if (sim->n_total == 0U) {
        fprintf(stderr, "ehrsim: %s holds no order that can be sent\n", sim->cfg->orders_file);
        return false;
    }
    return true;
}

/* ---- generated orders ----------------------------------------------------------------------- */

static bool area_eligible(struct ehr_sim *sim, size_t i, uint32_t i_area)
{
    const struct pump_library *lib = &sim->lib.lib;
    uint32_t k;

    sim->eligible[i] = calloc(lib->n_entries + 1U, sizeof(uint32_t));
    sim->eligible_hard[i] = calloc(lib->n_entries + 1U, sizeof(uint32_t));
    if (sim->eligible[i] == NULL || sim->eligible_hard[i] == NULL) {
        return false;
    }
    for (k = 0; k < lib->n_entries; k++) {
        const struct pump_entry *e = &lib->st.entries[k];
        struct ehr_order probe;
        /* Only orders the server can judge: a standard concentration (or a plain fluid). */
        if (e->area != i_area || !(e->has_conc || e->mode == (uint8_t)PUMP_ENTRY_FLUID) ||
            ehr_order_from_entry(lib, k, false, &probe) != EHR_OK) {
            continue;
        }
        sim->eligible[i][sim->n_eligible[i]++] = k;
        if (ehr_order_from_entry(lib, k, true, &probe) == EHR_OK) {
            sim->eligible_hard[i][sim->n_eligible_hard[i]++] = k;
        }
    }
    return true;
}

static bool load_library(struct ehr_sim *sim)
{
    struct oi_diag diag;
    oi_load_status st;
    size_t i;

    memset(&diag, 0, sizeof diag);
    st = oi_druglib_load_file(sim->cfg->library_file, &sim->lib, &diag);
    if (st != OI_LOAD_OK) {
        fprintf(stderr, "ehrsim: drug library %s is not usable%s%s%s%s\n",
                sim->cfg->library_file, diag.n > 0U ? ": " : "",
                diag.n > 0U ? diag.items[0].path : "", diag.n > 0U ? " " : "",
                diag.n > 0U ? diag.items[0].message : "");
        oi_diag_free(&diag);
        return false;
    }
    oi_diag_free(&diag);
    sim->has_lib = true;
    if (sim->cfg->n_care_areas == 0U) {
        sim->n_areas = (sim->lib.lib.n_areas < EHR_MAX_AREAS) ? sim->lib.lib.n_areas
                                                                : EHR_MAX_AREAS;
        for (i = 0; i < sim->n_areas; i++) {
            sim->area_index[i] = (uint32_t)i;
        }
    } else {
        sim->n_areas = sim->cfg->n_care_areas;
        for (i = 0; i < sim->n_areas; i++) {
            const char *id = sim->cfg->care_areas[i];
            if (pump_library_find_area(&sim->lib.lib, id, strlen(id), &sim->area_index[i]) !=
                PUMP_OK) {
                fprintf(stderr, "ehrsim: care area %s is not in %s\n", id,
                        sim->cfg->library_file);
                return false;
            }
        }
    }
    for (i = 0; i < sim->n_areas; i++) {
        if (!area_eligible(sim, i, sim->area_index[i])) {
            fprintf(stderr, "ehrsim: out of memory\n");
            return false;
        }
        if (sim->n_eligible[i] == 0U) {
            fprintf(stderr, "ehrsim: care area %s has no continuous, intermittent or fluid entry "
                            "with a standard concentration to order\n",
                    sim->cfg->care_areas != NULL ? sim->cfg->care_areas[i] : "(library)");
            return false;
        }
    }
    return true;
}

/* Build generated order number n (0-based) into out (framed). */
static bool generate(struct ehr_sim *sim, struct ehr_order *out_order, char *out, size_t cap,
                     size_t *len, long *rec)
{
    size_t n = sim->n_orders;
    size_t i_pump = n % sim->cfg->n_pumps;
    size_t i_area = i_pump % sim->n_areas;
    struct ehr_order o;
    char msg[ORDER_BUF];
    size_t msg_len = 0;
    bool is_hard = (sim->cfg->hard_ratio > 0.0) && (rng_unit(sim) < sim->cfg->hard_ratio) &&
                   (sim->n_eligible_hard[i_area] > 0U);
    uint32_t pick;
    ehr_status st;

    memset(&o, 0, sizeof o);
    if (is_hard) {
        pick = sim->eligible_hard[i_area][rng_next(sim) % sim->n_eligible_hard[i_area]];
    } else {
        pick = sim->eligible[i_area][rng_next(sim) % sim->n_eligible[i_area]];
    }
    (void)snprintf(o.control_id, sizeof o.control_id, "EHRSIM-%s-%zu", sim->run_id, n + 1U);
    (void)snprintf(o.placer_id, sizeof o.placer_id, "PLC-%s-%zu", sim->run_id, n + 1U);
    ehr_now_dtm(o.time, sizeof o.time);
    memcpy(o.request_time, o.time, sizeof o.time);
    (void)snprintf(o.pump_id, sizeof o.pump_id, "%s", sim->cfg->pump_ids[i_pump]);
    if (sim->cfg->patient_ids != NULL) {
        (void)snprintf(o.patient_id, sizeof o.patient_id, "%s", sim->cfg->patient_ids[i_pump]);
    }
    (void)snprintf(o.nurse_id, sizeof o.nurse_id, "RN-EHRSIM");
    st = ehr_order_from_entry(&sim->lib.lib, pick, is_hard, &o);
    if (st == EHR_OK) {
        st = ehr_order_build(&o, msg, sizeof msg, &msg_len);
    }
    if (st != EHR_OK || hl7_mllp_frame(msg, msg_len, out, cap, len) != HL7_OK) {
        fprintf(stderr, "ehrsim: cannot build order %zu (entry %s): status %d\n", n + 1U,
                o.entry_id, (int)st);
        return false;
    }
    *rec = new_record(sim, o.control_id, o.placer_id);
    if (*rec < 0) {
        return false;
    }
    sim->orders[*rec].is_hard = is_hard;
    *out_order = o;
    return true;
}

/* ---- order connections --------------------------------------------------------------------- */

static void conn_connect(struct ehr_conn *c);

static void conn_fail(struct ehr_conn *c, const char *why)
{
    struct ehr_sim *sim = c->sim;
    struct timeval tv = {0, 0};

    if (c->is_dead) {
        return;
    }
    if (c->is_connected) {
        sim->c.conn_drops++;
        fprintf(stderr, "ehrsim: connection %u to the IOC lost (%s); %zu orders left without "
                        "ACK^O15; reconnecting\n",
                c->index + 1U, why, c->n_inflight);
    } else if (sim->c.conn_drops == 0U && !sim->cfg->quiet) {
        fprintf(stderr, "ehrsim: connection %u to the IOC failed (%s); retrying\n",
                c->index + 1U, why);
    }
    c->is_connected = false;
    c->is_dead = true;
    c->n_inflight = 0;
    (void)bufferevent_disable(c->bev, EV_READ | EV_WRITE);
    /* Freed from the timer, not from inside the bufferevent's own callback. */
    (void)evtimer_add(c->retry, &tv);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
    struct ehr_conn *c = arg;
    struct ehr_sim *sim = c->sim;
    char chunk[4096];
    size_t got;

    while (!c->is_dead && (got = bufferevent_read(bev, chunk, sizeof chunk)) > 0U) {
        size_t pos = 0;
        sim->last_activity_us = ehr_now_us();
        while (pos < got && !c->is_dead) {
            size_t used = 0;
            hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
            struct hl7_view frame = {NULL, 0};
            hl7_status st = hl7_mllp_feed(&c->d, chunk + pos, got - pos,
                                          sim->last_activity_us / 1000U, &used, &ev, &frame);
            pos += (used > 0U) ? used : 1U;
            if (st == HL7_ERR_TOO_LARGE) {
                conn_fail(c, "an answer larger than 64 KiB");
            } else if (st == HL7_OK && ev == HL7_MLLP_FRAME) {
                long acked = -1;
                size_t k;
                size_t i_rm = 0;
                ehr_recv_order_ack(sim, c->index, frame.ptr, frame.len, &acked);
                /* MLLP answers in order: take the order it names, else the oldest. */
                for (k = 0; k < c->n_inflight; k++) {
                    if ((long)c->inflight[k] == acked) {
                        i_rm = k;
                        break;
                    }
                }
                if (c->n_inflight > 0U) {
                    memmove(&c->inflight[i_rm], &c->inflight[i_rm + 1U],
                            (c->n_inflight - i_rm - 1U) * sizeof c->inflight[0]);
                    c->n_inflight--;
                }
            }
        }
    }
    ehr_sim_pump_orders(sim);
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
    struct ehr_conn *c = arg;

    (void)bev;
    if ((what & BEV_EVENT_CONNECTED) != 0) {
        c->is_connected = true;
        if (!c->sim->cfg->quiet) {
            fprintf(stderr, "ehrsim: connection %u to the IOC up\n", c->index + 1U);
        }
        ehr_sim_pump_orders(c->sim);
        return;
    }
    if ((what & BEV_EVENT_EOF) != 0) {
        conn_fail(c, "closed by the IOC");
    } else if ((what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) != 0) {
        conn_fail(c, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
}

static void conn_retry(evutil_socket_t fd, short what, void *arg)
{
    struct ehr_conn *c = arg;
    struct timeval tv = {RECONNECT_MS / 1000, (RECONNECT_MS % 1000) * 1000};

    (void)fd;
    (void)what;
    if (c->is_dead) {
        /* Stage 1: free the failed bufferevent, come back later to connect again. */
        bufferevent_free(c->bev);
        c->bev = NULL;
        c->is_dead = false;
        (void)evtimer_add(c->retry, &tv);
        return;
    }
    if (!c->sim->stopping) {
        conn_connect(c);
    }
}

static void conn_connect(struct ehr_conn *c)
{
    struct ehr_sim *sim = c->sim;

    hl7_mllp_deframer_init(&c->d, c->frame_buf, EHR_ACK_FRAME_MAX);
    c->n_inflight = 0;
    c->bev = bufferevent_socket_new(sim->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        stop(sim, "out of memory");
        return;
    }
    bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
    (void)bufferevent_enable(c->bev, EV_READ);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&c->addr, c->addr_len) != 0) {
        c->is_connected = false;
        conn_fail(c, "connect failed");
    }
}

static bool conn_send(struct ehr_sim *sim, struct ehr_conn *c, const char *bytes, size_t len,
                      long rec)
{
    if (bufferevent_write(c->bev, bytes, len) != 0) {
        return false;
    }
    c->inflight[c->n_inflight++] = (uint32_t)rec;
    sim->last_activity_us = ehr_now_us();
    return true;
}

/* The next connection with room in its window, round robin; NULL when all are full. */
static struct ehr_conn *free_conn(struct ehr_sim *sim)
{
    unsigned k;

    for (k = 0; k < sim->cfg->n_connections; k++) {
        struct ehr_conn *c = &sim->conns[(sim->next_conn + k) % sim->cfg->n_connections];
        if (c->is_connected && !c->is_dead && c->n_inflight < sim->cfg->window) {
            sim->next_conn = (sim->next_conn + k + 1U) % sim->cfg->n_connections;
            return c;
        }
    }
    return NULL;
}

static bool rate_allows(struct ehr_sim *sim)
{
    double elapsed_s;

    if (sim->cfg->rate_per_s <= 0.0) {
        return true;
    }
    elapsed_s = (double)(ehr_now_us() - sim->start_us) / 1e6;
    return (double)sim->next_new < floor(elapsed_s * sim->cfg->rate_per_s) + 1.0;
}

void ehr_sim_pump_orders(struct ehr_sim *sim)
{
    static char frame[ORDER_BUF + HL7_MLLP_OVERHEAD];
    static struct ehr_order o;

    while (!sim->stopping && sim->conns != NULL) {
        struct ehr_conn *c;
        size_t len = 0;
        long rec = -1;
        bool is_dup = sim->dup_pending >= 0;

        if (!is_dup && (sim->next_new >= sim->n_total || !rate_allows(sim))) {
            return;
        }
        c = free_conn(sim);
        if (c == NULL) {
            return;
        }
        if (is_dup) {
            if (!conn_send(sim, c, sim->dup_frame, sim->dup_len, sim->dup_pending)) {
                return;
            }
            ehr_log_order(sim, NULL, sim->dup_pending, c->index, true);
            sim->dup_pending = -1;
            sim->c.dups_sent++;
            continue;
        }
        if (sim->cfg->orders_file != NULL) {
            rec = (long)sim->next_new;
            sim->next_new++;
            if (hl7_mllp_frame(sim->file_text + sim->orders[rec].text_off,
                               sim->orders[rec].text_len, frame, sizeof frame, &len) != HL7_OK) {
                fprintf(stderr, "ehrsim: order %s not sent: larger than %u bytes, or holds a VT "
                                "or FS byte\n",
                        sim->orders[rec].control_id, ORDER_BUF);
                sim->c.orders_skipped++;
                continue;
            }
        } else {
            sim->next_new++;
            if (!generate(sim, &o, frame, sizeof frame, &len, &rec)) {
                stop(sim, "an order could not be built");
                return;
            }
        }
        if (!conn_send(sim, c, frame, len, rec)) {
            stop(sim, "out of memory");
            return;
        }
        sim->orders[rec].sent_us = ehr_now_us();
        sim->c.orders_sent++;
        ehr_log_order(sim, (sim->cfg->orders_file == NULL) ? &o : NULL, rec, c->index, false);
        if (sim->cfg->resend_dup > 0U && sim->c.orders_sent % sim->cfg->resend_dup == 0U) {
            memcpy(sim->dup_frame, frame, len);
            sim->dup_len = len;
            sim->dup_pending = rec;
        }
    }
}

/* ---- the listener ------------------------------------------------------------------------- */

static void peer_free(struct ehr_peer *p)
{
    struct ehr_sim *sim = p->sim;

    while (p->delayed != NULL) {
        struct ehr_delayed *d = p->delayed;
        p->delayed = d->next;
        event_free(d->ev);
        free(d);
    }
    if (p->bev != NULL) {
        bufferevent_free(p->bev);
    }
    if (p->close_ev != NULL) {
        event_free(p->close_ev);
    }
    if (p->prev != NULL) {
        p->prev->next = p->next;
    } else {
        sim->peers = p->next;
    }
    if (p->next != NULL) {
        p->next->prev = p->prev;
    }
    sim->n_peers--;
    free(p->frame_buf);
    free(p);
}

static void peer_close_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    peer_free(arg);
}

/* Close from the loop, not from inside the peer's own callback. */
static void peer_close(struct ehr_peer *p, const char *why)
{
    struct timeval tv = {0, 0};

    if (p->is_closing) {
        return;
    }
    p->is_closing = true;
    if (why != NULL) {
        p->sim->c.peers_dropped++;
        ehr_log_event(p->sim, "connection-dropped", p->id, why);
        fprintf(stderr, "ehrsim: listener connection %llu dropped: %s\n",
                (unsigned long long)p->id, why);
    }
    (void)bufferevent_disable(p->bev, EV_READ);
    (void)evtimer_add(p->close_ev, &tv);
}

static void delayed_fire(evutil_socket_t fd, short what, void *arg)
{
    struct ehr_delayed *d = arg;
    struct ehr_peer *p = d->peer;
    struct ehr_delayed **pp = &p->delayed;

    (void)fd;
    (void)what;
    if (!p->is_closing) {
        (void)bufferevent_write(p->bev, d->data, d->len);
    }
    while (*pp != NULL && *pp != d) {
        pp = &(*pp)->next;
    }
    if (*pp == d) {
        *pp = d->next;
    }
    event_free(d->ev);
    free(d);
}

static void peer_send_ack(struct ehr_peer *p, const char *ack, size_t len)
{
    struct ehr_sim *sim = p->sim;
    struct ehr_delayed *d;
    struct timeval tv;

    if (sim->cfg->ack_delay_ms == 0U) {
        (void)bufferevent_write(p->bev, ack, len);
        return;
    }
    d = malloc(sizeof *d + len);
    if (d == NULL) {
        return;
    }
    d->peer = p;
    d->len = len;
    memcpy(d->data, ack, len);
    d->ev = evtimer_new(sim->base, delayed_fire, d);
    if (d->ev == NULL) {
        free(d);
        return;
    }
    d->next = p->delayed;
    p->delayed = d;
    tv.tv_sec = (time_t)(sim->cfg->ack_delay_ms / 1000U);
    tv.tv_usec = (suseconds_t)((sim->cfg->ack_delay_ms % 1000U) * 1000U);
    (void)evtimer_add(d->ev, &tv);
}

/* Bytes before the next VT are outside any frame: a few stray line ends between two frames
 * are tolerated. */
static bool stray_ok(struct ehr_peer *p, const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len && data[i] != HL7_MLLP_VT; i++) {
        if (data[i] != '\r' && data[i] != '\n' && data[i] != ' ' && data[i] != '\t') {
            return false;
        }
        p->n_stray++;
    }
    return p->n_stray <= MAX_STRAY_BYTES;
}

static void peer_read(struct bufferevent *bev, void *arg)
{
    struct ehr_peer *p = arg;
    struct ehr_sim *sim = p->sim;
    static char chunk[READ_CHUNK];
    static char ack[16384];
    size_t got;

    while (!p->is_closing && (got = bufferevent_read(bev, chunk, sizeof chunk)) > 0U) {
        size_t pos = 0;
        sim->last_activity_us = ehr_now_us();
        while (pos < got && !p->is_closing) {
            size_t used = 0;
            hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
            struct hl7_view frame = {NULL, 0};
            hl7_status st;
            if (!hl7_mllp_in_frame(&p->d) && !stray_ok(p, chunk + pos, got - pos)) {
                sim->c.invalid++;
                peer_close(p, "bytes outside an MLLP frame (not MLLP)");
                return;
            }
            st = hl7_mllp_feed(&p->d, chunk + pos, got - pos, sim->last_activity_us / 1000U,
                               &used, &ev, &frame);
            pos += (used > 0U) ? used : 1U;
            if (st == HL7_ERR_TOO_LARGE) {
                sim->c.received++;
                sim->c.invalid++;
                peer_close(p, "frame larger than 1 MiB");
                return;
            }
            if (st == HL7_OK && ev == HL7_MLLP_FRAME) {
                size_t ack_len = 0;
                p->n_stray = 0; /* the limit is per gap between frames, not per connection */
                if (!ehr_recv_frame(sim, p->id, frame.ptr, frame.len, ack, sizeof ack,
                                    &ack_len)) {
                    peer_close(p, "a frame that is not an HL7 message");
                    return;
                }
                if (ack_len > 0U) {
                    peer_send_ack(p, ack, ack_len);
                }
            }
        }
    }
}

static void peer_event(struct bufferevent *bev, short what, void *arg)
{
    struct ehr_peer *p = arg;

    (void)bev;
    if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) {
        if (hl7_mllp_in_frame(&p->d)) {
            p->sim->c.invalid++;
            peer_close(p, "closed in the middle of a frame");
        } else {
            peer_close(p, NULL);
        }
    }
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct ehr_sim *sim = arg;
    struct ehr_peer *p;

    (void)l;
    (void)sa;
    (void)len;
    if (sim->n_peers >= EHR_MAX_PEERS) {
        ehr_log_event(sim, "connection-refused", 0, "too many connections");
        evutil_closesocket(fd);
        return;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        evutil_closesocket(fd);
        return;
    }
    p->sim = sim;
    p->id = ++sim->next_peer_id;
    p->frame_buf = malloc(EHR_PEER_FRAME_MAX);
    p->bev = bufferevent_socket_new(sim->base, fd, BEV_OPT_CLOSE_ON_FREE);
    p->close_ev = evtimer_new(sim->base, peer_close_cb, p);
    p->next = sim->peers;
    if (sim->peers != NULL) {
        sim->peers->prev = p;
    }
    sim->peers = p;
    sim->n_peers++;
    if (p->frame_buf == NULL || p->bev == NULL || p->close_ev == NULL) {
        if (p->bev == NULL) {
            evutil_closesocket(fd);
        }
        peer_free(p);
        return;
    }
    hl7_mllp_deframer_init(&p->d, p->frame_buf, EHR_PEER_FRAME_MAX);
    bufferevent_setcb(p->bev, peer_read, NULL, peer_event, p);
    (void)bufferevent_enable(p->bev, EV_READ | EV_WRITE);
    sim->last_activity_us = ehr_now_us();
}

/* ---- setup ------------------------------------------------------------------------------------ */

static bool resolve(const char *host, uint16_t port, struct sockaddr_storage *out, int *len)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char port_text[8];
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    (void)snprintf(port_text, sizeof port_text, "%u", (unsigned)port);
    rc = getaddrinfo(host, port_text, &hints, &res);
    if (rc != 0 || res == NULL) {
        fprintf(stderr, "ehrsim: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *len = (int)res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static bool open_listener(struct ehr_sim *sim)
{
    struct sockaddr_storage addr;
    struct sockaddr_storage bound;
    socklen_t bound_len = sizeof bound;
    int addr_len = 0;
    unsigned port = 0;

    if (!resolve(sim->cfg->listen_host, sim->cfg->listen_port, &addr, &addr_len)) {
        return false;
    }
    sim->listener = evconnlistener_new_bind(sim->base, on_accept, sim,
                                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                            (struct sockaddr *)&addr, addr_len);
    if (sim->listener == NULL) {
        fprintf(stderr, "ehrsim: cannot listen on %s:%u: %s\n", sim->cfg->listen_host,
                (unsigned)sim->cfg->listen_port,
                evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return false;
    }
    if (getsockname(evconnlistener_get_fd(sim->listener), (struct sockaddr *)&bound,
                    &bound_len) == 0) {
        if (bound.ss_family == AF_INET) {
            port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
        } else if (bound.ss_family == AF_INET6) {
            port = ntohs(((struct sockaddr_in6 *)&bound)->sin6_port);
        }
    }
    printf("listening on %u\n", port);
    (void)fflush(stdout);
    if (sim->cfg->port_file != NULL) {
        char tmp[4096];
        FILE *f;
        (void)snprintf(tmp, sizeof tmp, "%s.tmp", sim->cfg->port_file);
        f = fopen(tmp, "w");
        /* Written whole, then renamed: a reader never sees half a number. */
        if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 ||
            rename(tmp, sim->cfg->port_file) != 0) {
            fprintf(stderr, "ehrsim: cannot write %s\n", sim->cfg->port_file);
            return false;
        }
    }
    return true;
}

static bool open_conns(struct ehr_sim *sim)
{
    unsigned i;
    struct sockaddr_storage addr;
    int addr_len = 0;

    if (!resolve(sim->cfg->server_host, sim->cfg->server_port, &addr, &addr_len)) {
        return false;
    }
    sim->conns = calloc(sim->cfg->n_connections, sizeof *sim->conns);
    if (sim->conns == NULL) {
        return false;
    }
    for (i = 0; i < sim->cfg->n_connections; i++) {
        struct ehr_conn *c = &sim->conns[i];
        c->sim = sim;
        c->index = i;
        c->addr = addr;
        c->addr_len = addr_len;
        c->frame_buf = malloc(EHR_ACK_FRAME_MAX);
        c->inflight = calloc(sim->cfg->window, sizeof *c->inflight);
        c->retry = evtimer_new(sim->base, conn_retry, c);
        if (c->frame_buf == NULL || c->inflight == NULL || c->retry == NULL) {
            return false;
        }
        conn_connect(c);
    }
    return true;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct ehr_sim *sim = arg;
    uint64_t now = ehr_now_us();
    struct ehr_peer *p;
    bool is_quiet = true;
    unsigned i;

    (void)fd;
    (void)what;
    if (sim->cfg->rate_per_s > 0.0) {
        ehr_sim_pump_orders(sim);
    }
    for (p = sim->peers; p != NULL; p = p->next) {
        if (!p->is_closing && hl7_mllp_idle_expired(&p->d, now / 1000U, EHR_IDLE_FRAME_MS)) {
            sim->c.invalid++;
            peer_close(p, "a frame that stopped arriving (30 s)");
        }
    }
    if (sim->cfg->duration_s > 0.0 && (double)(now - sim->start_us) >= sim->cfg->duration_s * 1e6) {
        stop(sim, "duration");
        return;
    }
    if (sim->cfg->until_idle_s <= 0.0) {
        return;
    }
    /* Idle: every order sent and accept-acknowledged, nothing moving for S seconds. */
    if (sim->next_new < sim->n_total || sim->dup_pending >= 0) {
        is_quiet = false;
    }
    for (i = 0; sim->conns != NULL && i < sim->cfg->n_connections; i++) {
        if (sim->conns[i].n_inflight > 0U) {
            is_quiet = false;
        }
    }
    if (is_quiet && (double)(now - sim->last_activity_us) >= sim->cfg->until_idle_s * 1e6) {
        stop(sim, "idle");
    }
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    ehr_progress(arg);
}

static void on_signal(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    stop(arg, (fd == SIGINT) ? "SIGINT" : "SIGTERM");
}

bool ehr_sim_open(struct ehr_sim *sim, struct ehr_config *cfg)
{
    struct timespec ts;

    memset(sim, 0, sizeof *sim);
    sim->cfg = cfg;
    sim->dup_pending = -1;
    ehr_idmap_init(&sim->order_ids);
    ehr_idmap_init(&sim->received_ids);
    ehr_idmap_init(&sim->rrg_ids);
    ehr_latency_init(&sim->lat_ack);
    ehr_latency_init(&sim->lat_rrg);
    sim->rng = (cfg->seed != 0U) ? cfg->seed : 0x9E3779B97F4A7C15ULL;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    /* Control ids unique across runs too: a server de-duplicates on sender + MSH-10. */
    (void)snprintf(sim->run_id, sizeof sim->run_id, "%llx", (unsigned long long)ts.tv_sec);
    sim->start_us = ehr_now_us();
    sim->last_activity_us = sim->start_us;
    (void)signal(SIGPIPE, SIG_IGN);

    sim->cap_seps = HL7_MAX_MESSAGE_BYTES;
    sim->segs = malloc(HL7_MAX_SEGMENTS * sizeof *sim->segs);
    sim->seps = malloc(sim->cap_seps * sizeof *sim->seps);
    sim->dup_frame = malloc(HL7_MAX_MESSAGE_BYTES + HL7_MLLP_OVERHEAD);
    sim->base = event_base_new();
    if (sim->segs == NULL || sim->seps == NULL || sim->dup_frame == NULL || sim->base == NULL ||
        !ehr_recv_init(sim)) {
        fprintf(stderr, "ehrsim: out of memory\n");
        return false;
    }
    if (cfg->log_file != NULL) {
        sim->log = fopen(cfg->log_file, "w");
        if (sim->log == NULL) {
            fprintf(stderr, "ehrsim: cannot write %s: %s\n", cfg->log_file, strerror(errno));
            return false;
        }
    }
    if (cfg->has_listen && !open_listener(sim)) {
        return false;
    }
    if (cfg->orders_file != NULL && !load_orders_file(sim)) {
        return false;
    }
    if (cfg->n_generate > 0U) {
        if (!load_library(sim)) {
            return false;
        }
        sim->n_total = (size_t)cfg->n_generate;
    }
    sim->tick = event_new(sim->base, -1, EV_PERSIST, on_tick, sim);
    sim->progress = event_new(sim->base, -1, EV_PERSIST, on_progress, sim);
    sim->sig_int = evsignal_new(sim->base, SIGINT, on_signal, sim);
    sim->sig_term = evsignal_new(sim->base, SIGTERM, on_signal, sim);
    if (sim->tick == NULL || sim->progress == NULL || sim->sig_int == NULL ||
        sim->sig_term == NULL) {
        return false;
    }
    {
        struct timeval tick = {0, TICK_MS * 1000};
        struct timeval prog = {PROGRESS_S, 0};
        (void)event_add(sim->tick, &tick);
        if (!cfg->quiet) {
            (void)event_add(sim->progress, &prog);
        }
        (void)event_add(sim->sig_int, NULL);
        (void)event_add(sim->sig_term, NULL);
    }
    if (cfg->has_server && sim->n_total > 0U && !open_conns(sim)) {
        fprintf(stderr, "ehrsim: cannot set up the order connections\n");
        return false;
    }
    return true;
}

int ehr_sim_run(struct ehr_sim *sim)
{
    sim->start_us = ehr_now_us();
    sim->last_activity_us = sim->start_us;
    (void)event_base_dispatch(sim->base);
    return ehr_summary(sim);
}

void ehr_sim_close(struct ehr_sim *sim)
{
    size_t i;

    while (sim->peers != NULL) {
        peer_free(sim->peers);
    }
    if (sim->listener != NULL) {
        evconnlistener_free(sim->listener);
    }
    for (i = 0; sim->conns != NULL && i < sim->cfg->n_connections; i++) {
        struct ehr_conn *c = &sim->conns[i];
        if (c->bev != NULL) {
            bufferevent_free(c->bev);
        }
        if (c->retry != NULL) {
            event_free(c->retry);
        }
        free(c->frame_buf);
        free(c->inflight);
    }
    free(sim->conns);
    if (sim->tick != NULL) {
        event_free(sim->tick);
    }
    if (sim->progress != NULL) {
        event_free(sim->progress);
    }
    if (sim->sig_int != NULL) {
        event_free(sim->sig_int);
    }
    if (sim->sig_term != NULL) {
        event_free(sim->sig_term);
    }
    if (sim->base != NULL) {
        event_base_free(sim->base);
    }
    for (i = 0; i < EHR_MAX_AREAS; i++) {
        free(sim->eligible[i]);
        free(sim->eligible_hard[i]);
    }
    if (sim->has_lib) {
        oi_druglib_free(&sim->lib);
    }
    if (sim->log != NULL) {
        (void)fclose(sim->log);
    }
    ehr_recv_free(sim);
    ehr_idmap_free(&sim->order_ids);
    ehr_idmap_free(&sim->received_ids);
    ehr_idmap_free(&sim->rrg_ids);
    ehr_latency_free(&sim->lat_ack);
    ehr_latency_free(&sim->lat_rrg);
    free(sim->orders);
    free(sim->file_text);
    free(sim->segs);
    free(sim->seps);
    free(sim->dup_frame);
}
