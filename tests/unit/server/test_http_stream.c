/*
 * test_http_stream.c - the event stream's memory bound (server/http_sse.c), in process: infusiond's
 * HTTP side on a real event loop and 127.0.0.1, two stream clients on plain sockets. One reads
 * everything, the other never reads. Many model changes later the reader has every event, in
 * order, while the one that does not read was dropped once its unsent output stayed over the
 * limit for the grace time; a burst bigger than the limit drops nobody who reads.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <jansson.h>

#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "server.h"

#define PAD_BYTES 8000 /* each pump event carries about this much */

struct client {
    int fd;
    char *data; /* everything received */
    size_t len;
    size_t cap;
    bool eof;
};

static int connect_stream(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0) {
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    }
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    static const char req[] = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    assert_int_equal(write(fd, req, sizeof req - 1), (ssize_t)(sizeof req - 1));
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    return fd;
}

/* Reads whatever is there without blocking. */
static void drain(struct client *c)
{
    for (;;) {
        if (c->cap - c->len < 65536) {
            c->cap = c->cap * 2 + 65536;
            c->data = realloc(c->data, c->cap + 1);
            assert_non_null(c->data);
        }
        ssize_t n = read(c->fd, c->data + c->len, c->cap - c->len);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0 || errno != EAGAIN) { /* EWOULDBLOCK is EAGAIN on Linux */
            c->eof = true;
        }
        break;
    }
    c->data[c->len] = '\0';
}

static size_t count(const struct client *c, const char *needle)
{
    size_t n = 0;
    for (const char *p = c->data; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

/* A few loop turns with a short pause: the sockets get their chance to move bytes. */
static void spin(struct srv *s, int turns)
{
    for (int i = 0; i < turns; i++) {
        (void)event_base_loop(s->base, EVLOOP_NONBLOCK);
        struct timespec ts = {0, 1000000};
        (void)nanosleep(&ts, NULL);
    }
}

struct fixture {
    struct srv s;
    struct model_pump *p;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    srv_log_setup(false, SRV_LOG_WARN);
    f->s.base = event_base_new();
    f->s.model = model_new();
    static char loopback[] = "127.0.0.1";
    f->s.cfg.http_bind = loopback;
    f->s.cfg.http_port = 0;
    f->s.cfg.idle_timeout_s = 300;
    assert_non_null(f->s.base);
    assert_non_null(f->s.model);
    char err[256];
    struct srv_http *h = srv_http_new(&f->s, err, sizeof err);
    if (h == NULL) {
        fail_msg("srv_http_new: %s", err);
    }
    assert_ptr_equal(f->s.http, h);
    f->p = model_pump(f->s.model, "P-1", true);
    assert_non_null(f->p);
    f->p->online = true;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    srv_http_free(f->s.http);
    assert_null(f->s.http);
    model_free(f->s.model);
    event_base_free(f->s.base);
    free(f);
    return 0;
}

/* One pump change of about PAD_BYTES, numbered so the order can be checked. */
static void change(struct fixture *f, int i)
{
    static char pad[PAD_BYTES + 1];
    memset(pad, 'x', PAD_BYTES);
    json_decref(f->p->state);
    f->p->state = json_pack("{s:i, s:s}", "n", i, "pad", pad);
    assert_non_null(f->p->state);
    model_changed(f->s.model, MODEL_CHANGE_PUMP, f->p, NULL, NULL, srv_now_ms());
}

static void wait_clients(struct fixture *f, uint64_t n)
{
    for (int i = 0; i < 2000 && f->s.metrics.sse_clients != n; i++) {
        spin(&f->s, 1);
    }
    assert_int_equal(f->s.metrics.sse_clients, n);
}

static void test_slow_client_dropped_reader_kept(void **state)
{
    struct fixture *f = *state;
    int port = srv_http_port(f->s.http);
    struct client fast = {.fd = connect_stream(port, 0)};
    struct client slow = {.fd = connect_stream(port, 4096)};
    wait_clients(f, 2);

    /* 600 changes of ~8 KB, 10 per loop turn: ~4.8 MB in all, far over the 1 MiB limit (plus
     * what the kernel buffers) for a client that reads nothing, ~80 KB per turn for one that
     * does. Then, past the grace time, one more change finds the slow one still over. */
    int n_changes = 600;
    for (int i = 0; i < n_changes - 1; i++) {
        change(f, i);
        if (i % 10 == 9) {
            spin(&f->s, 2);
            drain(&fast);
        }
    }
    assert_int_equal(f->s.metrics.sse_clients, 2); /* within the grace: nobody dropped yet */
    uint64_t t0 = srv_mono_us();
    while (srv_mono_us() - t0 < (uint64_t)(SRV_SSE_SLOW_GRACE_MS + 200) * 1000U) {
        spin(&f->s, 10);
        drain(&fast);
    }
    change(f, n_changes - 1);
    for (int i = 0; i < 200 && count(&fast, "event: pump\n") < (size_t)n_changes; i++) {
        spin(&f->s, 1);
        drain(&fast);
    }
    assert_int_equal(f->s.metrics.sse_clients, 1);
    assert_false(fast.eof);
    assert_int_equal(count(&fast, "event: snapshot\n"), 1);
    assert_int_equal(count(&fast, "event: pump\n"), (size_t)n_changes);
    /* In order: the last change is the last event. */
    char last[32];
    (void)snprintf(last, sizeof last, "\"n\":%d,", n_changes - 1);
    assert_non_null(strstr(fast.data, last));
    assert_null(strstr(strstr(fast.data, last) + 1, "event: pump\n"));

    /* The one that did not read: what the kernel buffered, then the end. */
    for (int i = 0; i < 200 && !slow.eof; i++) {
        drain(&slow);
        spin(&f->s, 1);
    }
    assert_true(slow.eof);
    assert_true(count(&slow, "event: pump\n") < (size_t)n_changes);
    free(fast.data);
    free(slow.data);
    (void)close(fast.fd);
    (void)close(slow.fd);
    wait_clients(f, 0);
}

static void test_burst_in_one_turn_drops_nobody(void **state)
{
    struct fixture *f = *state;
    struct client c = {.fd = connect_stream(srv_http_port(f->s.http), 0)};
    wait_clients(f, 1);
    spin(&f->s, 5);
    drain(&c);
    /* 300 changes in one turn: ~2.4 MB queued at once, more than the 1 MiB limit. */
    for (int i = 0; i < 300; i++) {
        change(f, i);
    }
    for (int i = 0; i < 500 && count(&c, "event: pump\n") < 300; i++) {
        spin(&f->s, 1);
        drain(&c);
        change(f, 1000 + i); /* later turns write too: the check runs on them */
    }
    assert_int_equal(f->s.metrics.sse_clients, 1);
    assert_false(c.eof);
    assert_true(count(&c, "event: pump\n") >= 300);
    free(c.data);
    (void)close(c.fd);
    wait_clients(f, 0);
}

static void test_free_with_clients_connected(void **state)
{
    struct fixture *f = *state;
    struct client c = {.fd = connect_stream(srv_http_port(f->s.http), 0)};
    wait_clients(f, 1);
    change(f, 1);
    spin(&f->s, 3);
    /* teardown frees the HTTP side with this client still connected: it must see the end and
     * nothing may leak (the sanitizer build checks). */
    srv_http_free(f->s.http);
    assert_null(f->s.http);
    model_changed(f->s.model, MODEL_CHANGE_PUMP, f->p, NULL, NULL, 0); /* reaches nobody */
    for (int i = 0; i < 100 && !c.eof; i++) {
        struct timespec ts = {0, 2000000};
        (void)nanosleep(&ts, NULL);
        drain(&c);
    }
    assert_true(c.eof);
    free(c.data);
    (void)close(c.fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slow_client_dropped_reader_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_in_one_turn_drops_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_with_clients_connected, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
