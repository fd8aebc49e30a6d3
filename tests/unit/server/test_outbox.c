/*
 * test_outbox.c - the outbox senders against an MLLP receiver played by the test on the same
 * event loop (127.0.0.1, a port the kernel picks): messages arrive in order and once each and
 * the ACK marks them; an absent receiver means retries with backoff and, once it listens, the
 * queue drains in order; CE is retried, CR dropped, a wrong MSA-2 or a missing ACK retried on a
 * new connection; a restart resends the message that was in flight, with the same MSH-10.
 */
#define _POSIX_C_SOURCE 200809L
#define SERVER_TEST_WITH_SRV

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "hl7/mllp.h"
#include "outbox.h"
#include "server_test_util.h"

#define MAX_SEEN 64

/* The receiver (an EHR or alarm manager). script[k] answers the k-th frame received:
 * 'A' CA, 'E' CE, 'R' CR, 'M' CA naming another MSH-10, 'S' silence, 'C' close;
 * past the end of the script every frame gets CA. */
struct ehr {
    struct event_base *base;
    struct evconnlistener *lis;
    struct bufferevent *conn;
    int port;
    const char *script;
    struct hl7_mllp_deframer df;
    char buf[65536];
    char seen[MAX_SEEN][64];
    size_t n_seen;
    size_t n_conns;
};

struct fix {
    struct t_srv *t;
    struct ehr ehr;
    char addr[64];
};

static void ehr_reply(struct ehr *e, const char *code, const char *acked_id, const char *err)
{
    char msg[512];
    int n = snprintf(msg, sizeof msg,
                     "\x0bMSH|^~\\&|EHR||INFUSIOND||20261122000000+0000||ACK^R01^ACK|A%zu|P|2.6\r"
                     "MSA|%s|%s\r%s%s%s\x1c\r",
                     e->n_seen, code, acked_id, err != NULL ? "ERR|||207^Application internal error^HL70357|E||||" : "",
                     err != NULL ? err : "", err != NULL ? "\r" : "");
    assert_true((n > 0) && ((size_t)n < sizeof msg));
    assert_int_equal(bufferevent_write(e->conn, msg, (size_t)n), 0);
}

static void ehr_frame(struct ehr *e, struct hl7_view frame)
{
    struct hl7_msg m;
    struct hl7_view id;
    char ctrl[64];
    size_t k = e->n_seen;
    char what = ((e->script != NULL) && (k < strlen(e->script))) ? e->script[k] : 'A';

    hl7_msg_init(&m, t_segs, sizeof t_segs / sizeof t_segs[0], t_seps,
                 sizeof t_seps / sizeof t_seps[0]);
    assert_int_equal(hl7_parse(&m, frame.ptr, frame.len, NULL), HL7_OK);
    id = hl7_field(&m, 0, 10);
    assert_true((id.len > 0U) && (id.len < sizeof ctrl));
    memcpy(ctrl, id.ptr, id.len);
    ctrl[id.len] = '\0';
    assert_true(e->n_seen < MAX_SEEN);
    memcpy(e->seen[e->n_seen++], ctrl, id.len + 1U);
    switch (what) {
    case 'E':
        ehr_reply(e, "CE", ctrl, "database busy");
        break;
    case 'R':
        ehr_reply(e, "CR", ctrl, "unknown patient");
        break;
    case 'M':
        ehr_reply(e, "CA", "SOMETHING-ELSE", NULL);
        break;
    case 'S':
        break;
    case 'C':
        bufferevent_free(e->conn);
        e->conn = NULL;
        break;
    default:
        ehr_reply(e, "CA", ctrl, NULL);
        break;
    }
}

static void ehr_read(struct bufferevent *bev, void *arg)
{
    struct ehr *e = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while ((e->conn == bev) && (evbuffer_get_length(in) > 0U)) {
        size_t avail = evbuffer_get_contiguous_space(in);
        const char *data = (const char *)evbuffer_pullup(in, (ev_ssize_t)avail);
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame = {NULL, 0};

        (void)hl7_mllp_feed(&e->df, data, avail, 0, &used, &ev, &frame);
        if (ev == HL7_MLLP_FRAME) {
            ehr_frame(e, frame);
            if (e->conn != bev) {
                return; /* closed on purpose */
            }
        }
        (void)evbuffer_drain(in, used);
    }
}

static void ehr_event(struct bufferevent *bev, short what, void *arg)
{
    struct ehr *e = arg;
    (void)what;
    if (e->conn == bev) {
        bufferevent_free(bev);
        e->conn = NULL;
    }
}

static void ehr_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
                       int len, void *arg)
{
    struct ehr *e = arg;
    (void)lis;
    (void)sa;
    (void)len;
    if (e->conn != NULL) {
        bufferevent_free(e->conn);
    }
    e->conn = bufferevent_socket_new(e->base, fd, BEV_OPT_CLOSE_ON_FREE);
    assert_non_null(e->conn);
    hl7_mllp_deframer_init(&e->df, e->buf, sizeof e->buf);
    bufferevent_setcb(e->conn, ehr_read, NULL, ehr_event, e);
    assert_int_equal(bufferevent_enable(e->conn, EV_READ | EV_WRITE), 0);
    e->n_conns++;
}

/* Listen on 127.0.0.1:port (0: any free port; the port is kept in e->port). */
static void ehr_listen(struct ehr *e, int port)
{
    struct sockaddr_in sin;
    struct sockaddr_in got;
    socklen_t got_len = sizeof got;

    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons((uint16_t)port);
    e->lis = evconnlistener_new_bind(e->base, ehr_accept, e,
                                     LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
                                     (struct sockaddr *)&sin, (int)sizeof sin);
    assert_non_null(e->lis);
    assert_int_equal(getsockname(evconnlistener_get_fd(e->lis), (struct sockaddr *)&got,
                                 &got_len),
                     0);
    e->port = ntohs(got.sin_port);
}

static void ehr_stop(struct ehr *e)
{
    if (e->conn != NULL) {
        bufferevent_free(e->conn);
        e->conn = NULL;
    }
    if (e->lis != NULL) {
        evconnlistener_free(e->lis);
        e->lis = NULL;
    }
}

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof *f);

    if (f == NULL) {
        return -1;
    }
    f->t = t_srv_new();
    if (f->t == NULL) {
        return -1;
    }
    f->ehr.base = f->t->s.base;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;

    srv_outbox_free(f->t->s.outbox);
    ehr_stop(&f->ehr);
    t_srv_free(f->t);
    free(f);
    return 0;
}

static void queue_msgs(struct fix *f, const char *dest, int from, int to)
{
    assert_int_equal(store_begin(f->t->s.store), STORE_OK);
    for (int i = from; i <= to; i++) {
        char ctrl[32];
        char msg[256];
        int64_t id = 0;
        int n;
        (void)snprintf(ctrl, sizeof ctrl, "m%d", i);
        n = snprintf(msg, sizeof msg,
                     "MSH|^~\\&|INFUSIOND||DOC||20261122000000+0000||ORU^R01^ORU_R01|%s|P|2.6\r"
                     "OBX|1|ST|x||value %d\r",
                     ctrl, i);
        assert_int_equal(store_outbox_add(f->t->s.store, dest, ctrl, "pcd01", msg, (size_t)n,
                                          T_WALL_MS, &id),
                         STORE_OK);
    }
    assert_int_equal(store_commit(f->t->s.store), STORE_OK);
}

/* Start the senders with test timing: 1 s ACK timeout, backoff 20..160 ms, poll 50 ms. */
static void start(struct fix *f, int port)
{
    char err[200];

    (void)snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", port);
    f->t->s.cfg.doc = f->addr;
    f->t->s.outbox = srv_outbox_new(&f->t->s, err, sizeof err);
    assert_non_null(f->t->s.outbox);
    srv_outbox_set_timing(f->t->s.outbox, 1000, 20, 160, 50);
}

/* Run the loop until dest's queue is empty and the sender idle, or 20 s have passed. */
static void run_until_drained(struct fix *f, const char *dest)
{
    int64_t deadline = t_mono_ms() + 20000;
    while (((t_depth(f->t->s.store, dest) > 0) || !srv_outbox_idle(f->t->s.outbox, dest)) &&
           (t_mono_ms() < deadline)) {
        (void)event_base_loop(f->t->s.base, EVLOOP_ONCE);
    }
}

static void run_until_retries(struct fix *f, uint64_t retries)
{
    int64_t deadline = t_mono_ms() + 20000;
    while ((f->t->s.metrics.outbox_retries < retries) && (t_mono_ms() < deadline)) {
        (void)event_base_loop(f->t->s.base, EVLOOP_ONCE);
    }
}

static void expect_seen(const struct ehr *e, const char *const *want, size_t n)
{
    for (size_t i = 0; (i < n) && (i < e->n_seen); i++) {
        if (strcmp(e->seen[i], want[i]) != 0) {
            fprintf(stderr, "  frame %zu: got %s, want %s\n", i, e->seen[i], want[i]);
        }
    }
    assert_int_equal(e->n_seen, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(e->seen[i], want[i]);
    }
}

static void test_in_order_once_on_one_connection(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m2", "m3", "m4", "m5"};

    ehr_listen(&f->ehr, 0);
    queue_msgs(f, "doc", 1, 3);
    start(f, f->ehr.port);
    run_until_drained(f, "doc");
    queue_msgs(f, "doc", 4, 5);
    srv_outbox_kick(&f->t->s, "doc");
    run_until_drained(f, "doc");
    expect_seen(&f->ehr, want, 5);
    assert_int_equal(t_depth(f->t->s.store, "doc"), 0);
    assert_int_equal(f->ehr.n_conns, 1);
    assert_int_equal(f->t->s.metrics.outbox_sent, 5);
    assert_int_equal(f->t->s.metrics.outbox_acked, 5);
    assert_int_equal(f->t->s.metrics.outbox_retries, 0);
}

static void test_receiver_down_then_up_drains_in_order(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m2", "m3", "m4"};
    struct store_outbox_msg head;
    int port;

    /* A port that was free a moment ago and has no listener now. */
    ehr_listen(&f->ehr, 0);
    port = f->ehr.port;
    ehr_stop(&f->ehr);

    queue_msgs(f, "doc", 1, 3);
    start(f, port);
    run_until_retries(f, 4);
    assert_true(f->t->s.metrics.outbox_retries >= 4U);
    assert_int_equal(f->t->s.metrics.outbox_acked, 0);
    assert_int_equal(t_depth(f->t->s.store, "doc"), 3);
    /* Only the head is ever tried: the others wait their turn. */
    assert_int_equal(store_outbox_head(f->t->s.store, "doc", &head), STORE_OK);
    assert_string_equal(head.control_id, "m1");
    assert_true(head.attempts >= 4U);
    store_outbox_msg_free(&head);

    /* More arrive during the outage, then the receiver comes back on the same port. */
    queue_msgs(f, "doc", 4, 4);
    ehr_listen(&f->ehr, port);
    run_until_drained(f, "doc");
    expect_seen(&f->ehr, want, 4);
    assert_int_equal(f->t->s.metrics.outbox_acked, 4);
}

static void test_ce_is_retried(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m1", "m1", "m2"};

    f->ehr.script = "EE";
    ehr_listen(&f->ehr, 0);
    queue_msgs(f, "doc", 1, 2);
    start(f, f->ehr.port);
    run_until_drained(f, "doc");
    expect_seen(&f->ehr, want, 4);
    assert_int_equal(f->t->s.metrics.outbox_retries, 2);
    /* A CE is the receiver failing, not the connection: it stays open. */
    assert_int_equal(f->ehr.n_conns, 1);
}

static void test_cr_is_dropped(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m2", "m3"};

    f->ehr.script = "AR";
    ehr_listen(&f->ehr, 0);
    queue_msgs(f, "doc", 1, 3);
    start(f, f->ehr.port);
    run_until_drained(f, "doc");
    /* m2 was rejected: never sent again, and m3 was not held up by it. */
    expect_seen(&f->ehr, want, 3);
    assert_int_equal(f->t->s.metrics.outbox_retries, 0);
    assert_int_equal(t_depth(f->t->s.store, "doc"), 0);
}

static void test_wrong_msa2_and_silence_are_retried(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m1", "m1", "m1", "m2"};

    /* A wrong MSA-2, a missing ACK and a closed connection: each time the same message again,
     * on a new connection (the old one's late answers must not count for the next message). */
    f->ehr.script = "MSC";
    ehr_listen(&f->ehr, 0);
    queue_msgs(f, "doc", 1, 2);
    start(f, f->ehr.port);
    run_until_drained(f, "doc");
    expect_seen(&f->ehr, want, 5);
    assert_int_equal(f->t->s.metrics.outbox_retries, 3);
    assert_int_equal(f->ehr.n_conns, 4);
}

static void test_restart_resends_in_flight(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m1", "m1", "m2"};
    int64_t deadline = t_mono_ms() + 20000;

    f->ehr.script = "S";
    ehr_listen(&f->ehr, 0);
    queue_msgs(f, "doc", 1, 2);
    start(f, f->ehr.port);
    while ((f->ehr.n_seen == 0U) && (t_mono_ms() < deadline)) {
        (void)event_base_loop(f->t->s.base, EVLOOP_ONCE);
    }
    assert_int_equal(f->ehr.n_seen, 1);
    /* infusiond stops with m1 unanswered; the next run sends it again. */
    srv_outbox_free(f->t->s.outbox);
    f->t->s.outbox = NULL;
    assert_int_equal(t_depth(f->t->s.store, "doc"), 2);
    start(f, f->ehr.port);
    run_until_drained(f, "doc");
    expect_seen(&f->ehr, want, 3);
}

static void test_destinations_are_independent(void **state)
{
    struct fix *f = *state;
    static const char *const want[] = {"m3", "m4"};
    static char alarm_addr[64];
    char err[200];
    int dead_port;

    /* "doc" points at a port nobody listens on, "alarm:1" at the receiver: the alarm manager
     * gets its messages while the EHR is down. */
    ehr_listen(&f->ehr, 0);
    dead_port = f->ehr.port;
    ehr_stop(&f->ehr);
    ehr_listen(&f->ehr, 0);
    (void)snprintf(f->addr, sizeof f->addr, "127.0.0.1:%d", dead_port);
    (void)snprintf(alarm_addr, sizeof alarm_addr, "127.0.0.1:%d", f->ehr.port);
    f->t->s.cfg.doc = f->addr;
    f->t->s.cfg.alarm[0] = alarm_addr;
    f->t->s.cfg.n_alarm = 1;
    queue_msgs(f, "doc", 1, 2);
    queue_msgs(f, "alarm:1", 3, 4);
    f->t->s.outbox = srv_outbox_new(&f->t->s, err, sizeof err);
    assert_non_null(f->t->s.outbox);
    srv_outbox_set_timing(f->t->s.outbox, 1000, 20, 160, 50);
    run_until_drained(f, "alarm:1");
    run_until_retries(f, 3);
    expect_seen(&f->ehr, want, 2);
    assert_int_equal(t_depth(f->t->s.store, "alarm:1"), 0);
    assert_int_equal(t_depth(f->t->s.store, "doc"), 2);
    assert_false(srv_outbox_idle(f->t->s.outbox, "doc"));
}

static void test_bad_address(void **state)
{
    struct fix *f = *state;
    char err[200];
    char bad[] = "no-port-here";

    f->t->s.cfg.doc = bad;
    err[0] = '\0';
    assert_null(srv_outbox_new(&f->t->s, err, sizeof err));
    assert_non_null(strstr(err, "HOST:PORT"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_in_order_once_on_one_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receiver_down_then_up_drains_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ce_is_retried, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cr_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_msa2_and_silence_are_retried, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_restart_resends_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_destinations_are_independent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_address, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
