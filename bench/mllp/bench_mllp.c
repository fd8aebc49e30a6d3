/*
 * bench_mllp.c - MLLP load generator: ACKed messages per second and latency.
 *
 *   bench_mllp --port P [--host 127.0.0.1] [--connections N] [--messages M] [--label TEXT]
 *
 * Opens N connections to an MLLP server and sends M realistic messages in all (a ~2 KB PCD-01
 * ORU^R01 observation report, each with its own MSH-10; MDC codes from docs/standards.md, the
 * others local "99OI" codes). Ping-pong, like a real MLLP sender:
 * every connection has one message in flight and sends the next only when the ACK of the last
 * one has come back, so N connections means N messages in flight. Each ACK must be one frame
 * with MSA-1 AA or CA and MSA-2 = the message's MSH-10, or it counts as an error.
 * Latency = from the first byte written to the whole ACK read, per message.
 *
 * Prints one line:
 *   LABEL connections=N messages=M seconds=S acked_per_s=R p50_us=A p99_us=B errors=E
 * Exit 0 when every message was ACKed correctly, 1 otherwise, 2 usage or connection error.
 * Single-threaded (poll); loopback only in our scripts.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 256U
#define ACK_BUF_BYTES 65536U
#define CTRL_DIGITS 12U
#define DEADLINE_S 300U

/* A PCD-01 report of about 2 KB; "@@@@@@@@@@@@" is replaced by each message's number. */
static const char *const template_segments[] = {
    "MSH|^~\\&|OI_PUMP^0012345678ABCDEF^EUI-64|OpenInfusion|EHR|HOSP|20260101120000+0000||"
    "ORU^R01^ORU_R01|B@@@@@@@@@@@@|P|2.6|||AL|NE||UNICODE UTF-8|||"
    "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO",
    "PID|||HO2009001^^^HOSP^PI||Hon^Albert^\"\"^^^^L||19610101|M",
    "PV1||I|ICU^Bed 12^1",
    "OBR|1|AB12345^HOSP|CD12345^OI|182777000^monitoring of patient^SNOMED-CT|||"
    "20260101115959+0000",
    "OBX|1||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|1.0.0.0|||||||X|||||||0012345678ABCDEF^EUI-64",
    "OBX|2||126978^MDC_DEV_PUMP_INFUS_CHAN_DELIVERY^MDC|1.0.1.0|||||||X",
    "OBX|3|ST|STATUS^pump status^99OI|1.0.1.1|pump-status-infusing||||||R|||"
    "20260101115959+0000",
    "OBX|4|NM|157784^MDC_FLOW_FLUID_PUMP^MDC|1.0.1.2|125.0|265266^MDC_DIM_MILLI_L_PER_HR^MDC"
    "|||||R|||20260101115959+0000",
    "OBX|5|NM|157872^MDC_VOL_FLUID_TBI_REMAIN^MDC|1.0.1.3|744.5|263762^MDC_DIM_MILLI_L^MDC"
    "|||||R|||20260101115959+0000",
    "OBX|6|NM|VTBI^volume to be infused^99OI|1.0.1.4|1000|263762^MDC_DIM_MILLI_L^MDC|||||R|||"
    "20260101115959+0000",
    "OBX|7|NM|157864^MDC_VOL_FLUID_DELIV^MDC|1.0.1.5|255.5|263762^MDC_DIM_MILLI_L^MDC|||||R|||"
    "20260101115959+0000",
    "OBX|8|ST|184330^MDC_DRUG_NAME_TYPE^MDC|1.0.1.6|Heparin 25000 units/250 mL||||||R|||"
    "20260101115959+0000",
    "OBX|9|NM|CONC^concentration^99OI|1.0.1.7|100|[iU]/mL^units/mL^UCUM|||||R|||"
    "20260101115959+0000",
    "OBX|10|NM|DOSE_RATE^dose rate^99OI|1.0.1.8|1250|[iU]/h^units/h^UCUM|||||R|||"
    "20260101115959+0000",
    "OBX|11|NM|TIME_LEFT^time remaining^99OI|1.0.1.9|357|264352^MDC_DIM_MIN^MDC|||||R|||"
    "20260101115959+0000",
    "OBX|12|ST|ALARM^alarm state^99OI|1.0.1.10|no-alarm||||||R|||20260101115959+0000",
    "OBX|13|NM|BATTERY^battery charge^99OI|1.0.0.1|87|262688^MDC_DIM_PERCENT^MDC|||||R|||"
    "20260101115959+0000",
    "NTE|1||Auto-documentation from OpenInfusion; program confirmed by RN J. Doe at bedside "
    "after barcode scan of patient, bag and pump; no soft limit overrides in this segment of "
    "delivery; library ICU-2026-01 v14 active.",
};

struct conn {
    int fd;
    char *msg;       /* framed message, its MSH-10 rewritten per send */
    size_t msg_len;
    size_t out_off;  /* < msg_len while a send is in progress */
    char ack[ACK_BUF_BYTES];
    size_t ack_len;
    uint64_t n_to_send; /* messages this connection still has to send */
    uint64_t seq;    /* number in the current message's MSH-10 */
    uint64_t t_send_ns;
    int is_waiting;  /* a message is in flight */
};

struct run {
    struct conn *conns;
    size_t n_conns;
    uint64_t *lat_ns;
    uint64_t n_lat;
    uint64_t n_errors;
    size_t ctrl_off; /* offset of the control-id digits in the framed message */
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* The framed template; *ctrl_off = where the digits go. NULL when out of memory. */
static char *make_message(size_t *len, size_t *ctrl_off)
{
    size_t n = sizeof template_segments / sizeof template_segments[0];
    size_t total = 3;
    size_t i;
    char *buf;
    char *p;
    char *at;

    for (i = 0; i < n; i++) {
        total += strlen(template_segments[i]) + 1U;
    }
    buf = malloc(total);
    if (buf == NULL) {
        return NULL;
    }
    p = buf;
    *p++ = '\x0b';
    for (i = 0; i < n; i++) {
        size_t l = strlen(template_segments[i]);
        memcpy(p, template_segments[i], l);
        p += l;
        *p++ = '\r';
    }
    *p++ = '\x1c';
    *p++ = '\r';
    *len = (size_t)(p - buf);
    at = strstr(buf, "@@@@@@@@@@@@");
    if (at == NULL) {
        free(buf);
        return NULL;
    }
    *ctrl_off = (size_t)(at - buf);
    return buf;
}

static void put_seq(char *at, uint64_t seq)
{
    size_t i;

    for (i = CTRL_DIGITS; i > 0; i--) {
        at[i - 1U] = (char)('0' + seq % 10U);
        seq /= 10U;
    }
}

static int connect_to(const char *host, const char *port)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    int fd = -1;
    int one = 1;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || res == NULL) {
        return -1;
    }
    fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        (void)close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

/* Start sending the connection's next message. */
static void start_send(struct run *r, struct conn *c, uint64_t seq)
{
    c->seq = seq;
    put_seq(c->msg + r->ctrl_off, seq);
    c->out_off = 0;
    c->ack_len = 0;
    c->is_waiting = 1;
    c->t_send_ns = now_ns();
}

/* Is ack[0..len) one frame acknowledging message seq with AA or CA? */
static int ack_ok(const char *ack, size_t len, uint64_t seq)
{
    char want[32];
    const char *msa = NULL;
    size_t i;

    if (len < 3 || ack[0] != '\x0b') {
        return 0;
    }
    for (i = 0; i + 4 <= len; i++) {
        if (memcmp(ack + i, "MSA|", 4) == 0) {
            msa = ack + i;
            break;
        }
    }
    if (msa == NULL || (size_t)(ack + len - msa) < 8 ||
        !(msa[5] == 'A' && (msa[4] == 'A' || msa[4] == 'C')) || msa[6] != '|') {
        return 0;
    }
    (void)snprintf(want, sizeof want, "B%012llu", (unsigned long long)seq);
    return (size_t)(ack + len - (msa + 7)) > strlen(want) &&
           memcmp(msa + 7, want, strlen(want)) == 0 &&
           (msa[7 + strlen(want)] == '\r' || msa[7 + strlen(want)] == '|');
}

/* Read; on a complete ACK record it and send the next message. -1: connection failed. */
static int on_readable(struct run *r, struct conn *c, uint64_t *next_seq)
{
    ssize_t got = recv(c->fd, c->ack + c->ack_len, ACK_BUF_BYTES - c->ack_len, 0);

    if (got <= 0) {
        return (got < 0 && (errno == EAGAIN || errno == EINTR)) ? 0 : -1;
    }
    c->ack_len += (size_t)got;
    if (c->ack_len >= 2 && c->ack[c->ack_len - 2] == '\x1c' && c->ack[c->ack_len - 1] == '\r') {
        uint64_t t = now_ns();
        if (!c->is_waiting || !ack_ok(c->ack, c->ack_len, c->seq)) {
            r->n_errors++;
        }
        r->lat_ns[r->n_lat++] = t - c->t_send_ns;
        c->is_waiting = 0;
        c->ack_len = 0;
        if (c->n_to_send > 0) {
            c->n_to_send--;
            start_send(r, c, (*next_seq)++);
        }
    } else if (c->ack_len == ACK_BUF_BYTES) {
        return -1; /* no frame end in 64 KB: not an ACK */
    }
    return 0;
}

static int on_writable(struct conn *c)
{
    ssize_t put = send(c->fd, c->msg + c->out_off, c->msg_len - c->out_off, MSG_NOSIGNAL);

    if (put < 0) {
        return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    }
    c->out_off += (size_t)put;
    return 0;
}

static int drive(struct run *r, struct pollfd *pf)
{
    uint64_t next_seq = 1;
    uint64_t deadline = now_ns() + (uint64_t)DEADLINE_S * 1000000000U;
    size_t i;

    for (i = 0; i < r->n_conns; i++) {
        struct conn *c = &r->conns[i];
        if (c->n_to_send > 0) {
            c->n_to_send--;
            start_send(r, c, next_seq++);
        }
    }
    for (;;) {
        size_t n_busy = 0;
        for (i = 0; i < r->n_conns; i++) {
            struct conn *c = &r->conns[i];
            pf[i].fd = c->fd;
            pf[i].events = (short)(POLLIN | (c->out_off < c->msg_len && c->is_waiting ? POLLOUT : 0));
            pf[i].revents = 0;
            n_busy += (size_t)(c->is_waiting != 0);
        }
        if (n_busy == 0) {
            return 0;
        }
        if (now_ns() > deadline || poll(pf, (nfds_t)r->n_conns, 10000) <= 0) {
            (void)fprintf(stderr, "bench_mllp: no progress (server stalled?)\n");
            return -1;
        }
        for (i = 0; i < r->n_conns; i++) {
            struct conn *c = &r->conns[i];
            if (((pf[i].revents & POLLOUT) != 0 && on_writable(c) != 0) ||
                ((pf[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
                 on_readable(r, c, &next_seq) != 0)) {
                (void)fprintf(stderr, "bench_mllp: connection %zu failed\n", i + 1U);
                return -1;
            }
        }
    }
}

static const char usage[] =
    "usage: bench_mllp --port P [--host H] [--connections N] [--messages M] [--label TEXT]\n";

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = NULL;
    const char *label = "mllp";
    unsigned long n_conns = 1;
    unsigned long long n_msgs = 10000;
    struct run r;
    struct pollfd *pf;
    char *tmpl;
    size_t tmpl_len = 0;
    uint64_t t0;
    uint64_t t1;
    double secs;
    int rc = 0;
    int i;
    size_t k;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--host") == 0) {
            host = argv[i + 1];
        } else if (strcmp(argv[i], "--port") == 0) {
            port = argv[i + 1];
        } else if (strcmp(argv[i], "--connections") == 0) {
            n_conns = strtoul(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--messages") == 0) {
            n_msgs = strtoull(argv[i + 1], NULL, 10);
        } else if (strcmp(argv[i], "--label") == 0) {
            label = argv[i + 1];
        } else {
            break;
        }
    }
    if (i < argc || port == NULL || n_conns == 0 || n_conns > MAX_CONNECTIONS || n_msgs == 0 ||
        n_msgs < n_conns) {
        (void)fputs(usage, stderr);
        return 2;
    }
    memset(&r, 0, sizeof r);
    r.n_conns = (size_t)n_conns;
    r.conns = calloc(r.n_conns, sizeof *r.conns);
    r.lat_ns = calloc((size_t)n_msgs, sizeof *r.lat_ns);
    pf = calloc(r.n_conns, sizeof *pf);
    tmpl = make_message(&tmpl_len, &r.ctrl_off);
    if (r.conns == NULL || r.lat_ns == NULL || pf == NULL || tmpl == NULL) {
        (void)fputs("bench_mllp: out of memory\n", stderr);
        return 2;
    }
    for (k = 0; k < r.n_conns; k++) {
        struct conn *c = &r.conns[k];
        c->fd = connect_to(host, port);
        c->msg = malloc(tmpl_len);
        if (c->fd < 0 || c->msg == NULL) {
            (void)fprintf(stderr, "bench_mllp: cannot connect to %s port %s\n", host, port);
            return 2;
        }
        memcpy(c->msg, tmpl, tmpl_len);
        c->msg_len = tmpl_len;
        c->n_to_send = (uint64_t)n_msgs / r.n_conns + (k < (uint64_t)n_msgs % r.n_conns ? 1U : 0U);
    }
    t0 = now_ns();
    if (drive(&r, pf) != 0) {
        rc = 1;
    }
    t1 = now_ns();
    secs = (double)(t1 - t0) / 1e9;
    qsort(r.lat_ns, (size_t)r.n_lat, sizeof *r.lat_ns, cmp_u64);
    (void)printf("%s connections=%zu messages=%llu message_bytes=%zu seconds=%.3f acked_per_s=%.0f "
                 "p50_us=%.1f p99_us=%.1f errors=%llu\n",
                 label, r.n_conns, (unsigned long long)r.n_lat, tmpl_len - 3U, secs,
                 secs > 0 ? (double)r.n_lat / secs : 0.0,
                 r.n_lat > 0 ? (double)r.lat_ns[r.n_lat / 2U] / 1e3 : 0.0,
                 r.n_lat > 0 ? (double)r.lat_ns[(r.n_lat * 99U) / 100U] / 1e3 : 0.0,
                 (unsigned long long)r.n_errors);
    if (r.n_errors > 0 || r.n_lat != (uint64_t)n_msgs) {
        rc = 1;
    }
    for (k = 0; k < r.n_conns; k++) {
        (void)close(r.conns[k].fd);
        free(r.conns[k].msg);
    }
    free(r.conns);
    free(r.lat_ns);
    free(pf);
    free(tmpl);
    return rc;
}
