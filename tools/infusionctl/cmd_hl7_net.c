/*
 * cmd_hl7_net.c - `infusionctl hl7 send` (an MLLP client) and `infusionctl hl7 listen` (an MLLP
 * server that ACKs), plain TCP or TLS.
 *
 *   infusionctl hl7 send [--host H] --port P [--tls [--ca F] [--cert F --key F]]
 *                        [--timeout-ms N] FILE...
 *   infusionctl hl7 listen --port P [--bind ADDR] [--tls --cert F --key F [--ca F]]
 *                          [--count N] [--once] [--quiet] [--idle-timeout-ms N]
 *                          [--max-frame-bytes N] [--max-connections N]
 *
 * Both are single-threaded and drive non-blocking sockets from poll(), so no peer can stall
 * them: every wait has a deadline, every frame a size cap, and the listener a connection cap.
 * The CLI is a test and diagnosis tool; infusiond will carry MLLP on its libevent loop.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hl7/hl7.h"
#include "hl7/mllp.h"

#include "cmd_hl7_net.h"
#include "infusionctl.h"

#define EXIT_ACK_FAILED 1 /* send: an error ACK, a mismatch, a missing ACK, an unsendable file */

#define DEFAULT_TIMEOUT_MS 10000U
#define DEFAULT_IDLE_TIMEOUT_MS 30000U
#define DEFAULT_MAX_FRAME_BYTES (1024U * 1024U)
#define DEFAULT_MAX_CONNECTIONS 64U
#define MAX_CONNECTIONS_LIMIT 1000U
#define MAX_FILE_BYTES (64U * 1024U * 1024U)
#define READ_CHUNK_BYTES 65536U
/* A reader that does not read its ACKs stops being read from past this much pending output. */
#define OUT_HIGH_WATER_BYTES (1024U * 1024U)
/* Room for one ACK: it copies a few MSH fields of the message, which are bounded by the frame. */
#define ACK_MAX_BYTES (64U * 1024U)
#define LIST_MAX_SEGMENT_IDS 40U
/* How long the listener keeps flushing ACKs after it was told to stop. */
#define STOP_FLUSH_MS 2000U

static volatile sig_atomic_t g_stop_signal;

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
}

/* SIGINT/SIGTERM interrupt poll() (no SA_RESTART) and set the flag the loops check; SIGPIPE is
 * ignored so a peer that vanished is an error on its connection, not the end of the process. */
static bool install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    (void)sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
        return false;
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL) == 0;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000U + (uint64_t)ts.tv_nsec / 1000000U;
}

/* MSH-7 text for now, UTC ("20260101120000+0000"). No clock in the library: it is ours. */
static void hl7_now_text(char *out, size_t cap)
{
    struct timespec ts;
    struct hl7_dtm d;
    size_t len = 0;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    if (hl7_dtm_from_unix_ms((int64_t)ts.tv_sec * 1000, 0, false, &d) != HL7_OK ||
        hl7_dtm_format(&d, out, cap - 1, &len) != HL7_OK) {
        len = 0;
    }
    out[len] = '\0';
}

/* A number flag in [min, max]; false (with a message) otherwise. */
static bool parse_number(const char *flag, const char *text, uint64_t min, uint64_t max,
                         uint64_t *out)
{
    uint64_t v = 0;
    const char *p = text;

    if (*p == '\0') {
        ictl_error2("not a number for", flag);
        return false;
    }
    for (; *p != '\0'; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9U) / 10U) {
            ictl_error2("not a number for", flag);
            return false;
        }
        v = v * 10U + (uint64_t)(*p - '0');
    }
    if (v < min || v > max) {
        (void)fprintf(stderr, "infusionctl: %s must be between %llu and %llu\n", flag,
                      (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

/* Bytes from the network or a file, printable: control bytes as \xHH, the rest as is. */
static void put_safe(FILE *f, const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20U || c == 0x7fU) {
            (void)fprintf(f, "\\x%02X", (unsigned)c);
        } else {
            (void)fputc((int)c, f);
        }
    }
}

static void put_view(FILE *f, struct hl7_view v)
{
    put_safe(f, v.ptr, v.len);
}

/* The field of the first segment (MSH), or an empty view. */
static struct hl7_view msh_field(const struct hl7_msg *m, size_t n)
{
    return hl7_field(m, 0, n);
}

/* How an enhanced-mode sender asked to be answered (MSH-15, table 0155). */
typedef enum { ACCEPT_ALWAYS, ACCEPT_NEVER, ACCEPT_ON_ERROR, ACCEPT_ON_SUCCESS } accept_rule;

/* mode: hl7_ack_mode_of(m), which the caller already has. */
static accept_rule accept_rule_of(const struct hl7_msg *m, hl7_ack_mode mode)
{
    struct hl7_view v;

    if (mode == HL7_MODE_ORIGINAL) {
        return ACCEPT_ALWAYS;
    }
    v = msh_field(m, 15);
    if (hl7_view_eq(v, "NE")) {
        return ACCEPT_NEVER;
    }
    if (hl7_view_eq(v, "ER")) {
        return ACCEPT_ON_ERROR;
    }
    if (hl7_view_eq(v, "SU")) {
        return ACCEPT_ON_SUCCESS;
    }
    return ACCEPT_ALWAYS; /* AL, or MSH-15 empty with MSH-16 valued */
}

static bool rule_wants_ack(accept_rule rule, bool is_success)
{
    switch (rule) {
    case ACCEPT_ALWAYS:
        return true;
    case ACCEPT_NEVER:
        return false;
    case ACCEPT_ON_ERROR:
        return !is_success;
    case ACCEPT_ON_SUCCESS:
        return is_success;
    default:
        return true;
    }
}

/* Unescaped control ids compare equal (falls back to the raw bytes when one cannot be decoded:
 * then only identical text matches). */
static bool control_ids_match(const struct hl7_encoding *e1, struct hl7_view a,
                              const struct hl7_encoding *e2, struct hl7_view b)
{
    char da[512];
    char db[512];
    size_t la = 0;
    size_t lb = 0;

    if (hl7_unescape(e1, a, HL7_UNESC_KEEP_FORMAT, da, sizeof da, &la, NULL) == HL7_OK &&
        hl7_unescape(e2, b, HL7_UNESC_KEEP_FORMAT, db, sizeof db, &lb, NULL) == HL7_OK) {
        return la == lb && memcmp(da, db, la) == 0;
    }
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ================================ listen ================================================== */

static const char listen_usage[] =
    "usage: infusionctl hl7 listen --port P [options]\n"
    "\n"
    "An MLLP server: prints every message it receives (MSH-9, MSH-10, the segment list) and\n"
    "answers it: MSA-1 AA in original mode, CA in enhanced mode (MSH-15/16 valued; MSH-15 NE,\n"
    "ER, SU are honoured), AR/CR with an ERR segment for a message it cannot parse. No\n"
    "application-level processing: in enhanced mode only the accept ACK is sent.\n"
    "The first line is \"listening on ADDR:PORT\" (with --port 0 the port the system chose).\n"
    "\n"
    "options:\n"
    "  --port P               TCP port, 0 = any free port\n"
    "  --bind ADDR            address to listen on (default 127.0.0.1)\n"
    "  --tls --cert F --key F serve TLS with this certificate chain and key (PEM)\n"
    "  --ca F                 with --tls: require client certificates signed by F\n"
    "  --count N              exit after N messages\n"
    "  --once                 exit when the first connection ends\n"
    "  --quiet                print only the first line and errors\n"
    "  --idle-timeout-ms N    close a connection silent for N ms (default 30000)\n"
    "  --max-frame-bytes N    largest message accepted (default 1048576)\n"
    "  --max-connections N    concurrent connections (default 64)\n"
    "\n"
    "Stops cleanly on SIGINT/SIGTERM. exit status: 0 stopped, 2 usage error or cannot listen\n";

struct lconn {
    struct ictl_sock sock;
    struct hl7_mllp_deframer deframer;
    char *frame_buf;
    char *out; /* framed ACKs waiting for the socket */
    size_t out_len;
    size_t out_off;
    size_t out_cap;
    uint64_t id;
    uint64_t n_msgs;
    uint64_t last_active_ms;
    uint64_t n_discarded_seen;
    bool wants_write;   /* the TLS layer asked for POLLOUT */
    bool is_closing;    /* close once the output is written */
    char peer[64];
};

/* --tls, --cert, --key and --ca as given; send and listen each check them by their own rules. */
struct tls_opts {
    bool tls;
    const char *cert;
    const char *key;
    const char *ca;
};

static struct tls_opts tls_opts_of(const struct cli_parsed *a, size_t o_tls, size_t o_cert,
                                   size_t o_key, size_t o_ca)
{
    struct tls_opts t;

    t.tls = a->seen[o_tls];
    t.cert = a->value[o_cert];
    t.key = a->value[o_key];
    t.ca = a->value[o_ca];
    return t;
}

struct listen_opts {
    const char *bind_addr;
    uint64_t port;
    struct tls_opts t;
    uint64_t count;     /* 0 = no limit */
    bool once;
    bool quiet;
    uint64_t idle_timeout_ms;
    uint64_t max_frame;
    uint64_t max_conns;
};

struct listener {
    struct listen_opts o;
    int lfd;
    struct ictl_tls *tls;
    struct lconn **conns;
    size_t n_conns;
    struct pollfd *pfds;
    struct hl7_segment *segs;
    uint32_t *seps;
    size_t cap_seps;
    char *ack; /* one ACK message, before framing */
    char *rbuf;
    uint64_t n_msgs;
    uint64_t n_conns_total;
    uint64_t ack_seq;
    bool is_stopping;
    bool first_conn_done;
    uint64_t stop_at_ms;
    char ts[32];
    uint64_t ts_at_ms;
};

static void lconn_free(struct lconn *c)
{
    ictl_sock_close(&c->sock);
    free(c->frame_buf);
    free(c->out);
    free(c);
}

/* The listener's output is line-oriented and tests read it while it runs. */
static void lsay_flush(const struct listener *l)
{
    if (!l->o.quiet) {
        (void)fflush(stdout);
    }
}

static void lconn_close(struct listener *l, size_t i, const char *why)
{
    struct lconn *c = l->conns[i];

    if (!l->o.quiet) {
        (void)printf("connection %llu closed: %s (%llu messages", (unsigned long long)c->id, why,
                     (unsigned long long)c->n_msgs);
        if (c->deframer.n_discarded > 0) {
            (void)printf(", %llu bytes outside frames discarded",
                         (unsigned long long)c->deframer.n_discarded);
        }
        (void)printf(")\n");
    }
    lconn_free(c);
    l->conns[i] = l->conns[l->n_conns - 1];
    l->n_conns--;
    if (l->o.once) {
        l->first_conn_done = true;
    }
}

/* Queue bytes for the connection; false when memory runs out (the connection is dropped). */
static bool lconn_queue(struct lconn *c, const char *p, size_t n)
{
    if (c->out_off > 0 && c->out_off == c->out_len) {
        c->out_off = 0;
        c->out_len = 0;
    }
    if (c->out_len + n > c->out_cap) {
        size_t cap = c->out_cap == 0 ? 4096U : c->out_cap;
        char *grown;
        if (c->out_off > 0) { /* compact first: TLS accepts a moved write buffer */
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        while (cap < c->out_len + n) {
            cap *= 2U;
        }
        if (cap > c->out_cap) {
            grown = realloc(c->out, cap);
            if (grown == NULL) {
                return false;
            }
            c->out = grown;
            c->out_cap = cap;
        }
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
    return true;
}

static const char *ack_timestamp(struct listener *l, uint64_t now)
{
    if (l->ts[0] == '\0' || now - l->ts_at_ms >= 1000U) {
        hl7_now_text(l->ts, sizeof l->ts);
        l->ts_at_ms = now;
    }
    return l->ts;
}

/* The next ACK's MSH-10, "ACK<n>" (n = 1, 2, ...), into ctrl (32 bytes); once per message, so
 * without snprintf. */
static void ack_control_id(struct listener *l, char ctrl[32])
{
    char digits[24];
    size_t n = 0;
    size_t i;
    uint64_t v = ++l->ack_seq;

    do {
        digits[n++] = (char)('0' + (int)(v % 10U));
        v /= 10U;
    } while (v != 0U);
    memcpy(ctrl, "ACK", 3);
    for (i = 0; i < n; i++) {
        ctrl[3U + i] = digits[n - 1U - i];
    }
    ctrl[3U + n] = '\0';
}

/* An ACK for a message without a usable MSH: built from scratch, MSA-2 empty. */
static hl7_status reject_without_msh(struct listener *l, const char *ts, const char *ctrl,
                                     const char *text, size_t *len)
{
    static const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;
    struct hl7_builder b;
    char code[32];

    (void)snprintf(code, sizeof code, "%u", 207U);
    (void)hl7_builder_init(&b, l->ack, ACK_MAX_BYTES, &enc);
    (void)hl7_build_segment(&b, "MSH");
    (void)hl7_build_fieldz(&b, "infusionctl");
    (void)hl7_build_empty_fields(&b, 3);
    (void)hl7_build_fieldz(&b, ts);
    (void)hl7_build_empty_fields(&b, 1);
    (void)hl7_build_fieldz(&b, "ACK");
    (void)hl7_build_fieldz(&b, ctrl);
    (void)hl7_build_fieldz(&b, "P");
    (void)hl7_build_fieldz(&b, "2.6");
    (void)hl7_build_segment(&b, "MSA");
    (void)hl7_build_fieldz(&b, "AR");
    (void)hl7_build_empty_fields(&b, 1);
    (void)hl7_build_segment(&b, "ERR");
    (void)hl7_build_empty_fields(&b, 2);
    (void)hl7_build_fieldz(&b, code);
    (void)hl7_build_componentz(&b, hl7_error_code_text(207U));
    (void)hl7_build_componentz(&b, "HL70357");
    (void)hl7_build_fieldz(&b, "E");
    (void)hl7_build_empty_fields(&b, 3);
    (void)hl7_build_fieldz(&b, text);
    return hl7_build_finish(&b, len);
}

/* What one received frame turned out to be. */
struct verdict {
    bool is_parsed;    /* m holds the message (or at least its MSH, see has_msh_only) */
    bool has_msh_only; /* the whole message failed; m holds only its MSH segment */
    bool is_ok;
    unsigned err_code; /* table 0357 */
    char text[200];
};

static void describe_error(const struct hl7_error *e, struct verdict *v)
{
    (void)snprintf(v->text, sizeof v->text, "%s at segment %u%s%s%s field %u, byte offset %u",
                   e->message != NULL ? e->message : hl7_status_str(e->code),
                   (unsigned)e->segment, e->segment_id[0] != '\0' ? " (" : "", e->segment_id,
                   e->segment_id[0] != '\0' ? ")" : "", (unsigned)e->field,
                   (unsigned)e->offset);
}

/* Parse and check a frame into m; on failure keep at least its MSH (for MSA-2 and the mode). */
static void judge_frame(struct listener *l, struct hl7_msg *m, struct hl7_view f,
                        struct verdict *v)
{
    struct hl7_error e;
    hl7_status st;
    size_t msh_len = 0;

    memset(v, 0, sizeof *v);
    hl7_msg_init(m, l->segs, HL7_MAX_SEGMENTS, l->seps, l->cap_seps);
    st = hl7_parse(m, f.ptr, f.len, &e);
    if (st == HL7_OK) {
        v->is_parsed = true;
        st = hl7_msg_check(m, &e);
    }
    if (st != HL7_OK) {
        describe_error(&e, v);
        v->err_code = 207U; /* limits exceeded, no MSH, bad encoding characters */
        if (st == HL7_ERR_ESCAPE) {
            v->err_code = 102U;
        } else if (st == HL7_ERR_SEGMENT_ID || st == HL7_ERR_SECOND_MSH) {
            v->err_code = 100U;
        }
        if (!v->is_parsed) {
            while (msh_len < f.len && f.ptr[msh_len] != '\r' && f.ptr[msh_len] != '\n') {
                msh_len++;
            }
            hl7_msg_init(m, l->segs, HL7_MAX_SEGMENTS, l->seps, l->cap_seps);
            v->has_msh_only = hl7_parse(m, f.ptr, msh_len, NULL) == HL7_OK;
            v->is_parsed = v->has_msh_only;
        }
        return;
    }
    if (msh_field(m, 9).len == 0 || msh_field(m, 10).len == 0) {
        (void)snprintf(v->text, sizeof v->text, "required field MSH-%d is empty",
                       msh_field(m, 9).len == 0 ? 9 : 10);
        v->err_code = 101U;
        return;
    }
    v->is_ok = true;
}

static void print_segments(const struct hl7_msg *m)
{
    size_t n = hl7_segment_count(m);
    size_t i;

    (void)printf(", segments");
    for (i = 0; i < n && i < LIST_MAX_SEGMENT_IDS; i++) {
        (void)putchar(' ');
        put_view(stdout, hl7_segment_id(m, i));
    }
    if (n > LIST_MAX_SEGMENT_IDS) {
        (void)printf(" ... (%zu in all)", n);
    }
}

/* One received frame: judge it, print it, queue its ACK. false: drop the connection. */
static bool handle_frame(struct listener *l, struct lconn *c, struct hl7_view f, uint64_t now)
{
    struct hl7_msg m;
    struct verdict v;
    struct hl7_ack_params p;
    hl7_ack_mode mode = HL7_MODE_ORIGINAL;
    accept_rule rule = ACCEPT_ALWAYS;
    char ctrl[32];
    char framed[ACK_MAX_BYTES + HL7_MLLP_OVERHEAD];
    size_t len = 0;
    size_t framed_len = 0;
    hl7_status st;
    bool wants_ack;

    judge_frame(l, &m, f, &v);
    l->n_msgs++;
    c->n_msgs++;
    if (v.is_parsed) {
        mode = hl7_ack_mode_of(&m);
        rule = accept_rule_of(&m, mode);
    }
    wants_ack = rule_wants_ack(rule, v.is_ok);
    if (!l->o.quiet) {
        (void)printf("message %llu on connection %llu: ", (unsigned long long)l->n_msgs,
                     (unsigned long long)c->id);
        if (v.is_parsed) {
            (void)printf("MSH-9 ");
            put_view(stdout, msh_field(&m, 9));
            (void)printf(", MSH-10 ");
            put_view(stdout, msh_field(&m, 10));
            if (!v.has_msh_only) {
                print_segments(&m);
            }
            (void)printf(", %s mode", mode == HL7_MODE_ENHANCED ? "enhanced" : "original");
        } else {
            (void)printf("%zu bytes", f.len);
        }
        if (!v.is_ok) {
            (void)printf(", rejected: %s", v.text);
        }
    }
    ack_control_id(l, ctrl);
    memset(&p, 0, sizeof p);
    p.code = hl7_ack_code_for(mode, v.is_ok, !v.is_ok);
    p.control_id = ctrl;
    p.timestamp = ack_timestamp(l, now);
    if (!v.is_ok) {
        p.error_code = v.err_code;
        p.severity = 'E';
        p.error_text = v.text;
    }
    if (!wants_ack) {
        if (!l->o.quiet) {
            (void)printf(" -> no ACK (MSH-15 ");
            put_view(stdout, msh_field(&m, 15));
            (void)printf(")\n");
        }
        return true;
    }
    st = v.is_parsed ? hl7_ack_build(&m, &p, l->ack, ACK_MAX_BYTES, &len) : HL7_ERR_NOT_FOUND;
    if (st != HL7_OK) {
        p.code = HL7_ACK_AR;
        st = reject_without_msh(l, p.timestamp, ctrl, v.is_ok ? "cannot build the ACK" : v.text,
                                &len);
    }
    if (st == HL7_OK) {
        st = hl7_mllp_frame(l->ack, len, framed, sizeof framed, &framed_len);
    }
    if (!l->o.quiet) {
        (void)printf(" -> ACK %s\n", st == HL7_OK ? hl7_ack_code_str(p.code) : "not sent");
    }
    if (st != HL7_OK) {
        ictl_error2("cannot build an ACK:", hl7_status_str(st));
        return true;
    }
    return lconn_queue(c, framed, framed_len);
}

/* Oversized frame: reject it and end the connection (its remaining bytes are not worth reading;
 * memory stays bounded by the cap). */
static void handle_oversize(struct listener *l, struct lconn *c, uint64_t now)
{
    char ctrl[32];
    char text[128];
    char framed[ACK_MAX_BYTES + HL7_MLLP_OVERHEAD];
    size_t len = 0;
    size_t framed_len = 0;

    ack_control_id(l, ctrl);
    (void)snprintf(text, sizeof text, "frame larger than %llu bytes",
                   (unsigned long long)l->o.max_frame);
    if (!l->o.quiet) {
        (void)printf("connection %llu: %s: rejected with AR, closing\n", (unsigned long long)c->id,
                     text);
    }
    if (reject_without_msh(l, ack_timestamp(l, now), ctrl, text, &len) == HL7_OK &&
        hl7_mllp_frame(l->ack, len, framed, sizeof framed, &framed_len) == HL7_OK) {
        (void)lconn_queue(c, framed, framed_len);
    }
    c->is_closing = true;
}

/* Feed bytes to the deframer; handle every frame. false: drop the connection now. */
static bool feed(struct listener *l, struct lconn *c, const char *p, size_t n, uint64_t now)
{
    while (n > 0 && !c->is_closing) {
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame = {NULL, 0};
        hl7_status st = hl7_mllp_feed(&c->deframer, p, n, now, &used, &ev, &frame);

        if (st == HL7_ERR_TOO_LARGE) {
            handle_oversize(l, c, now);
            return true;
        }
        if (st != HL7_OK || used == 0) {
            return false;
        }
        p += used;
        n -= used;
        if (ev == HL7_MLLP_FRAME && !handle_frame(l, c, frame, now)) {
            return false;
        }
        if (l->o.count > 0 && l->n_msgs >= l->o.count) {
            c->is_closing = true; /* answer what we have, read no more */
            l->is_stopping = true;
        }
    }
    if (!l->o.quiet && c->deframer.n_discarded > c->n_discarded_seen) {
        (void)printf("connection %llu: %llu bytes outside a frame discarded\n",
                     (unsigned long long)c->id,
                     (unsigned long long)(c->deframer.n_discarded - c->n_discarded_seen));
    }
    c->n_discarded_seen = c->deframer.n_discarded;
    return true;
}

/* Write what is queued. Returns false when the connection failed. */
static bool lconn_flush(struct lconn *c)
{
    c->wants_write = false;
    while (c->out_off < c->out_len) {
        size_t put = 0;
        ictl_io io = ictl_sock_write(&c->sock, (const uint8_t *)c->out + c->out_off,
                                     c->out_len - c->out_off, &put);
        if (io == ICTL_IO_OK) {
            c->out_off += put;
        } else if (io == ICTL_IO_WANT_WRITE || io == ICTL_IO_WANT_READ) {
            c->wants_write = io == ICTL_IO_WANT_WRITE;
            return true;
        } else {
            return false;
        }
    }
    c->out_off = 0;
    c->out_len = 0;
    return true;
}

/* Read everything available (bounded per wake-up so one busy peer cannot starve the others).
 * A plain socket that returned less than asked for is drained: poll() reports the next bytes,
 * so no read is spent on EAGAIN. TLS may hold decrypted bytes poll() cannot see: read it until
 * it says WANT_READ. */
static const char *lconn_read(struct listener *l, struct lconn *c, uint64_t now)
{
    unsigned i;

    for (i = 0; i < 64U && !c->is_closing; i++) {
        size_t got = 0;
        ictl_io io;

        if (c->out_len - c->out_off > OUT_HIGH_WATER_BYTES) {
            return NULL; /* the peer is not reading its ACKs: stop reading until it does */
        }
        io = ictl_sock_read(&c->sock, (uint8_t *)l->rbuf, READ_CHUNK_BYTES, &got);
        if (io == ICTL_IO_WANT_READ) {
            return NULL;
        }
        if (io == ICTL_IO_WANT_WRITE) {
            c->wants_write = true;
            return NULL;
        }
        if (io == ICTL_IO_CLOSED) {
            return hl7_mllp_in_frame(&c->deframer) ? "closed by the peer inside a frame"
                                                   : "closed by the peer";
        }
        if (io != ICTL_IO_OK) {
            return c->sock.err;
        }
        c->last_active_ms = now;
        if (!feed(l, c, l->rbuf, got, now)) {
            return "cannot handle its data (out of memory)";
        }
        if (got < READ_CHUNK_BYTES && c->sock.ssl == NULL) {
            return NULL;
        }
    }
    return NULL;
}

static void peer_text(const struct sockaddr_storage *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;

    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        (void)inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        port = ntohs(in->sin_port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        (void)inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        port = ntohs(in6->sin6_port);
    }
    (void)snprintf(out, cap, "%s:%u", host, port);
}

static bool set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL, 0);

    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

static void set_nodelay(int fd)
{
    int one = 1;

    /* ACKs are small and answer one message each: send them now, not after Nagle's delay. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void accept_one(struct listener *l, uint64_t now)
{
    struct sockaddr_storage sa;
    socklen_t sa_len = sizeof sa;
    struct lconn *c;
    int fd = accept(l->lfd, (struct sockaddr *)(void *)&sa, &sa_len);

    if (fd < 0) {
        return; /* EAGAIN, or the client already went away */
    }
    if (l->n_conns >= l->o.max_conns || l->is_stopping || !set_nonblocking(fd)) {
        if (!l->o.quiet) {
            (void)printf("connection refused: %s\n",
                         l->is_stopping ? "stopping" : "too many connections");
        }
        (void)close(fd);
        return;
    }
    set_nodelay(fd);
    c = calloc(1, sizeof *c);
    if (c != NULL) {
        c->frame_buf = malloc((size_t)l->o.max_frame);
    }
    if (c == NULL || c->frame_buf == NULL) {
        ictl_error("out of memory for a connection");
        free(c);
        (void)close(fd);
        return;
    }
    ictl_sock_init(&c->sock, fd);
    hl7_mllp_deframer_init(&c->deframer, c->frame_buf, (size_t)l->o.max_frame);
    c->id = ++l->n_conns_total;
    c->last_active_ms = now;
    peer_text(&sa, c->peer, sizeof c->peer);
    l->conns[l->n_conns++] = c;
    if (!l->o.quiet) {
        (void)printf("connection %llu from %s%s\n", (unsigned long long)c->id, c->peer,
                     l->tls != NULL ? " (TLS)" : "");
    }
    if (l->tls != NULL && !ictl_sock_start_tls(&c->sock, l->tls, true, NULL)) {
        lconn_close(l, l->n_conns - 1, c->sock.err);
    }
}

/* Handshake, read, write for connection i after poll(); may close it. */
static void service(struct listener *l, size_t i, short revents, uint64_t now)
{
    struct lconn *c = l->conns[i];
    const char *why = NULL;
    bool is_readable = (revents & (POLLIN | POLLHUP | POLLERR)) != 0;

    if (!c->sock.is_handshake_done) {
        ictl_io io = ictl_sock_handshake(&c->sock);
        if (io == ICTL_IO_WANT_READ || io == ICTL_IO_WANT_WRITE) {
            c->wants_write = io == ICTL_IO_WANT_WRITE;
            return;
        }
        if (io != ICTL_IO_OK) {
            lconn_close(l, i, c->sock.err);
            return;
        }
        c->last_active_ms = now;
        is_readable = true; /* the client may have sent its first bytes with its last flight */
    }
    if (is_readable || ictl_sock_pending(&c->sock)) {
        why = lconn_read(l, c, now);
    }
    if (!lconn_flush(c) && why == NULL) {
        why = c->sock.err[0] != '\0' ? c->sock.err : "write failed";
    }
    if (why == NULL && c->is_closing && c->out_off == c->out_len) {
        why = "done";
    }
    if (why != NULL) {
        lconn_close(l, i, why);
    }
}

static void check_idle(struct listener *l, uint64_t now)
{
    size_t i = l->n_conns;

    while (i > 0) {
        struct lconn *c;
        i--;
        c = l->conns[i];
        if (now - c->last_active_ms >= l->o.idle_timeout_ms) {
            lconn_close(l, i, hl7_mllp_in_frame(&c->deframer) ? "idle timeout inside a frame"
                                                              : "idle timeout");
        }
    }
}

static short events_of(const struct lconn *c)
{
    short ev = 0;

    if (!c->sock.is_handshake_done) {
        return c->wants_write ? POLLOUT : POLLIN;
    }
    if (!c->is_closing && c->out_len - c->out_off <= OUT_HIGH_WATER_BYTES) {
        ev = (short)(ev | POLLIN);
    }
    if (c->out_off < c->out_len || c->wants_write) {
        ev = (short)(ev | POLLOUT);
    }
    return ev;
}

static bool loop_done(const struct listener *l, uint64_t now)
{
    size_t i;

    if (g_stop_signal != 0 || l->first_conn_done) {
        return true;
    }
    if (!l->is_stopping) {
        return false;
    }
    if (now >= l->stop_at_ms) {
        return true;
    }
    for (i = 0; i < l->n_conns; i++) {
        if (l->conns[i]->out_off < l->conns[i]->out_len) {
            return false;
        }
    }
    return true;
}

static void listen_loop(struct listener *l)
{
    while (true) {
        uint64_t now = mono_ms();
        size_t i;
        size_t n_conns;
        int timeout = 200;
        int ready;

        if (l->is_stopping && l->stop_at_ms == 0) {
            l->stop_at_ms = now + STOP_FLUSH_MS;
        }
        if (loop_done(l, now)) {
            return;
        }
        n_conns = l->n_conns;
        l->pfds[0].fd = l->lfd;
        l->pfds[0].events = l->is_stopping ? 0 : POLLIN;
        l->pfds[0].revents = 0;
        for (i = 0; i < n_conns; i++) {
            l->pfds[i + 1].fd = l->conns[i]->sock.fd;
            l->pfds[i + 1].events = events_of(l->conns[i]);
            l->pfds[i + 1].revents = 0;
            if (ictl_sock_pending(&l->conns[i]->sock)) {
                timeout = 0;
            }
        }
        ready = poll(l->pfds, (nfds_t)(n_conns + 1), timeout);
        if (ready < 0 && errno != EINTR) {
            ictl_error2("poll failed:", strerror(errno));
            return;
        }
        now = mono_ms();
        /* Back to front: closing connection i moves the last one into slot i. */
        i = n_conns;
        while (ready >= 0 && i > 0) {
            i--;
            if (l->pfds[i + 1].revents != 0 || ictl_sock_pending(&l->conns[i]->sock)) {
                service(l, i, l->pfds[i + 1].revents, now);
            }
        }
        if (ready > 0 && (l->pfds[0].revents & POLLIN) != 0) {
            accept_one(l, now);
        }
        check_idle(l, now);
        lsay_flush(l);
    }
}

static int open_listener(struct listener *l)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct sockaddr_storage sa;
    socklen_t sa_len = sizeof sa;
    char port_text[24];
    char where[80];
    int one = 1;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    (void)snprintf(port_text, sizeof port_text, "%llu", (unsigned long long)l->o.port);
    rc = getaddrinfo(l->o.bind_addr, port_text, &hints, &res);
    if (rc != 0 || res == NULL) {
        (void)fprintf(stderr, "infusionctl: cannot resolve --bind %s: %s\n", l->o.bind_addr,
                      gai_strerror(rc));
        return -1;
    }
    l->lfd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
    if (l->lfd < 0 || setsockopt(l->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(l->lfd, res->ai_addr, res->ai_addrlen) != 0 || listen(l->lfd, 128) != 0 ||
        !set_nonblocking(l->lfd) ||
        getsockname(l->lfd, (struct sockaddr *)(void *)&sa, &sa_len) != 0) {
        (void)fprintf(stderr, "infusionctl: cannot listen on %s port %s: %s\n", l->o.bind_addr,
                      port_text, strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    peer_text(&sa, where, sizeof where);
    (void)printf("listening on %s%s\n", where, l->tls != NULL ? " (TLS)" : "");
    (void)fflush(stdout);
    return 0;
}

static bool listen_args(int argc, char *const *argv, struct listen_opts *o, int *status)
{
    enum { O_PORT, O_BIND, O_TLS, O_CERT, O_KEY, O_CA, O_COUNT, O_ONCE, O_QUIET, O_IDLE,
           O_FRAME, O_CONNS, O_N };
    static const struct cli_optdef defs[O_N] = {
        {"--port", true},  {"--bind", true},  {"--tls", false},   {"--cert", true},
        {"--key", true},   {"--ca", true},    {"--count", true},  {"--once", false},
        {"--quiet", false}, {"--idle-timeout-ms", true}, {"--max-frame-bytes", true},
        {"--max-connections", true}};
    struct cli_parsed a;

    *status = ICTL_EXIT_USAGE;
    if (!ictl_args_parse(argc - 1, argv + 1, defs, O_N, &a)) {
        (void)fputs(listen_usage, stderr);
        return false;
    }
    if (a.help) {
        (void)fputs(listen_usage, stdout);
        *status = ICTL_EXIT_OK;
        return false;
    }
    memset(o, 0, sizeof *o);
    o->bind_addr = a.seen[O_BIND] ? a.value[O_BIND] : "127.0.0.1";
    o->t = tls_opts_of(&a, O_TLS, O_CERT, O_KEY, O_CA);
    o->once = a.seen[O_ONCE];
    o->quiet = a.seen[O_QUIET];
    o->idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
    o->max_frame = DEFAULT_MAX_FRAME_BYTES;
    o->max_conns = DEFAULT_MAX_CONNECTIONS;
    if (a.n_pos != 0 || !a.seen[O_PORT]) {
        ictl_error(a.n_pos != 0 ? "hl7 listen takes no file arguments" : "hl7 listen needs --port");
        (void)fputs(listen_usage, stderr);
        return false;
    }
    if (o->t.tls != (o->t.cert != NULL) || o->t.tls != (o->t.key != NULL) ||
        (!o->t.tls && o->t.ca != NULL)) {
        ictl_error("--tls needs --cert and --key; --cert, --key and --ca need --tls");
        return false;
    }
    return parse_number("--port", a.value[O_PORT], 0, 65535, &o->port) &&
           (!a.seen[O_COUNT] || parse_number("--count", a.value[O_COUNT], 1, UINT32_MAX,
                                             &o->count)) &&
           (!a.seen[O_IDLE] || parse_number("--idle-timeout-ms", a.value[O_IDLE], 1,
                                            86400000U, &o->idle_timeout_ms)) &&
           (!a.seen[O_FRAME] || parse_number("--max-frame-bytes", a.value[O_FRAME], 16,
                                             HL7_MAX_MESSAGE_BYTES, &o->max_frame)) &&
           (!a.seen[O_CONNS] || parse_number("--max-connections", a.value[O_CONNS], 1,
                                             MAX_CONNECTIONS_LIMIT, &o->max_conns));
}

static void listener_free(struct listener *l)
{
    while (l->n_conns > 0) {
        lconn_free(l->conns[l->n_conns - 1]);
        l->n_conns--;
    }
    if (l->lfd >= 0) {
        (void)close(l->lfd);
    }
    ictl_tls_free(l->tls);
    free(l->conns);
    free(l->pfds);
    free(l->segs);
    free(l->seps);
    free(l->ack);
    free(l->rbuf);
}

int ictl_cmd_hl7_listen(int argc, char *const *argv)
{
    struct listener l;
    char err[ICTL_NET_ERR_MAX];
    int status;

    memset(&l, 0, sizeof l);
    l.lfd = -1;
    if (!listen_args(argc, argv, &l.o, &status)) {
        return status;
    }
    if (!install_signals()) {
        ictl_error("cannot install signal handlers");
        return ICTL_EXIT_USAGE;
    }
    /* One set of parse arrays serves every connection: the loop handles one frame at a time.
     * A frame of n bytes has fewer than n field separators. */
    l.cap_seps = (size_t)l.o.max_frame + 1U;
    l.conns = calloc((size_t)l.o.max_conns, sizeof *l.conns);
    l.pfds = calloc((size_t)l.o.max_conns + 1U, sizeof *l.pfds);
    l.segs = calloc(HL7_MAX_SEGMENTS, sizeof *l.segs);
    l.seps = calloc(l.cap_seps, sizeof *l.seps);
    l.ack = malloc(ACK_MAX_BYTES);
    l.rbuf = malloc(READ_CHUNK_BYTES);
    if (l.conns == NULL || l.pfds == NULL || l.segs == NULL || l.seps == NULL || l.ack == NULL ||
        l.rbuf == NULL) {
        ictl_error("out of memory");
        listener_free(&l);
        return ICTL_EXIT_USAGE;
    }
    if (l.o.t.tls) {
        l.tls = ictl_tls_server_new(l.o.t.cert, l.o.t.key, l.o.t.ca, err, sizeof err);
        if (l.tls == NULL) {
            ictl_error(err);
            listener_free(&l);
            return ICTL_EXIT_USAGE;
        }
    }
    if (open_listener(&l) != 0) {
        listener_free(&l);
        return ICTL_EXIT_USAGE;
    }
    listen_loop(&l);
    if (!l.o.quiet || g_stop_signal != 0) {
        (void)printf("stopped%s: %llu messages on %llu connections\n",
                     g_stop_signal != 0 ? " by a signal" : "", (unsigned long long)l.n_msgs,
                     (unsigned long long)l.n_conns_total);
    }
    listener_free(&l);
    return ICTL_EXIT_OK;
}

/* ================================ send ==================================================== */

static const char send_usage[] =
    "usage: infusionctl hl7 send [--host H] --port P [options] FILE...\n"
    "\n"
    "An MLLP client: sends every message of the files (messages separated by blank lines, each\n"
    "starting with MSH, or MLLP-framed) over one connection, one at a time, waits for each ACK,\n"
    "prints it and \"ACK <code> for <MSH-10>: matched|MISMATCH\". AA and CA are success.\n"
    "A message whose MSH-15 is NE is sent without waiting for an ACK.\n"
    "\n"
    "options:\n"
    "  --host H           server name or address (default 127.0.0.1)\n"
    "  --port P           server port\n"
    "  --tls              use TLS; the server's certificate is always verified\n"
    "  --ca F             CA certificates (PEM) to verify the server (default: the system's)\n"
    "  --cert F --key F   client certificate and key, for servers that ask for one\n"
    "  --timeout-ms N     limit for connecting and for each ACK (default 10000)\n"
    "  --max-frame-bytes N largest ACK accepted (default 1048576)\n"
    "\n"
    "exit status: 0 every message ACKed with success and matched, 1 an error ACK, a mismatch,\n"
    "a missing ACK or a message that could not be parsed, 2 usage or connection error\n";

struct send_opts {
    const char *host;
    uint64_t port;
    struct tls_opts t;
    uint64_t timeout_ms;
    uint64_t max_frame;
    const char **files;
    size_t n_files;
};

struct sender {
    struct send_opts o;
    struct ictl_tls *tls;
    struct ictl_sock sock;
    bool is_connected;
    struct hl7_mllp_deframer deframer;
    char *frame_buf;
    char *in;      /* bytes read but not yet fed to the deframer */
    size_t in_len;
    size_t in_off;
    char *out;     /* one framed message */
    char *text;    /* one message assembled from the lines of a file */
    struct hl7_segment *segs; /* index of the message being sent */
    uint32_t *seps;
    uint32_t *ack_seps;       /* index of its ACK */
    size_t cap_seps;
    int status;
    unsigned n_sent;
    unsigned n_ok;
};

/* Wait until fd is ready for `events` or the deadline passes; false on timeout or signal. */
static bool wait_fd(int fd, short events, uint64_t deadline_ms)
{
    while (g_stop_signal == 0) {
        struct pollfd p;
        uint64_t now = mono_ms();
        int rc;

        if (now >= deadline_ms) {
            return false;
        }
        p.fd = fd;
        p.events = events;
        p.revents = 0;
        rc = poll(&p, 1, (int)(deadline_ms - now > 1000U ? 1000U : deadline_ms - now));
        if (rc > 0) {
            return true;
        }
        if (rc < 0 && errno != EINTR) {
            return false;
        }
    }
    return false;
}

static int connect_addr(const struct addrinfo *ai, uint64_t deadline_ms, char *err, size_t n_err)
{
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int so_err = 0;
    socklen_t len = sizeof so_err;

    if (fd < 0 || !set_nonblocking(fd)) {
        (void)snprintf(err, n_err, "socket: %s", strerror(errno));
        if (fd >= 0) {
            (void)close(fd);
        }
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            (void)snprintf(err, n_err, "%s", strerror(errno));
            (void)close(fd);
            return -1;
        }
        if (!wait_fd(fd, POLLOUT, deadline_ms)) {
            (void)snprintf(err, n_err, "%s", "timed out");
            (void)close(fd);
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len) != 0 || so_err != 0) {
            (void)snprintf(err, n_err, "%s", strerror(so_err != 0 ? so_err : errno));
            (void)close(fd);
            return -1;
        }
    }
    set_nodelay(fd);
    return fd;
}

/* Connect (and handshake) within the timeout. false with a message on stderr. */
static bool sender_connect(struct sender *s)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    const struct addrinfo *ai;
    uint64_t deadline = mono_ms() + s->o.timeout_ms;
    char port_text[24];
    char err[ICTL_NET_ERR_MAX] = "no address";
    int fd = -1;
    int rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    (void)snprintf(port_text, sizeof port_text, "%llu", (unsigned long long)s->o.port);
    rc = getaddrinfo(s->o.host, port_text, &hints, &res);
    if (rc != 0) {
        (void)fprintf(stderr, "infusionctl: cannot resolve %s: %s\n", s->o.host,
                      gai_strerror(rc));
        return false;
    }
    for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = connect_addr(ai, deadline, err, sizeof err);
    }
    freeaddrinfo(res);
    if (fd < 0) {
        (void)fprintf(stderr, "infusionctl: cannot connect to %s port %s: %s\n", s->o.host,
                      port_text, err);
        return false;
    }
    ictl_sock_init(&s->sock, fd);
    s->is_connected = true;
    if (s->tls == NULL) {
        return true;
    }
    if (!ictl_sock_start_tls(&s->sock, s->tls, false, s->o.host)) {
        ictl_error(s->sock.err);
        return false;
    }
    while (true) {
        ictl_io io = ictl_sock_handshake(&s->sock);
        if (io == ICTL_IO_OK) {
            return true;
        }
        if ((io != ICTL_IO_WANT_READ && io != ICTL_IO_WANT_WRITE) ||
            !wait_fd(fd, io == ICTL_IO_WANT_READ ? POLLIN : POLLOUT, deadline)) {
            (void)fprintf(stderr, "infusionctl: %s port %s: %s\n", s->o.host, port_text,
                          io == ICTL_IO_WANT_READ || io == ICTL_IO_WANT_WRITE
                              ? "TLS handshake timed out"
                              : s->sock.err);
            return false;
        }
    }
}

static void sender_disconnect(struct sender *s)
{
    if (s->is_connected) {
        ictl_sock_close(&s->sock);
        s->is_connected = false;
    }
    s->in_len = 0;
    s->in_off = 0;
    if (s->frame_buf != NULL) {
        hl7_mllp_deframer_init(&s->deframer, s->frame_buf, (size_t)s->o.max_frame);
    }
}

/* Write all of p[0..n) before the deadline. */
static bool write_all(struct sender *s, const char *p, size_t n, uint64_t deadline)
{
    size_t off = 0;

    while (off < n) {
        size_t put = 0;
        ictl_io io = ictl_sock_write(&s->sock, (const uint8_t *)p + off, n - off, &put);
        if (io == ICTL_IO_OK) {
            off += put;
        } else if (io == ICTL_IO_WANT_READ || io == ICTL_IO_WANT_WRITE) {
            if (!wait_fd(s->sock.fd, io == ICTL_IO_WANT_READ ? POLLIN : POLLOUT, deadline)) {
                (void)snprintf(s->sock.err, sizeof s->sock.err, "%s", "write timed out");
                return false;
            }
        } else {
            if (s->sock.err[0] == '\0') {
                (void)snprintf(s->sock.err, sizeof s->sock.err, "%s",
                               "connection closed by the server");
            }
            return false;
        }
    }
    return true;
}

typedef enum { GOT_FRAME, GOT_TIMEOUT, GOT_CLOSED, GOT_OVERSIZE } got_what;

/* The next frame from the server before the deadline. */
static got_what read_frame(struct sender *s, uint64_t deadline, struct hl7_view *frame)
{
    while (true) {
        while (s->in_off < s->in_len) {
            size_t used = 0;
            hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
            hl7_status st = hl7_mllp_feed(&s->deframer, s->in + s->in_off, s->in_len - s->in_off,
                                          mono_ms(), &used, &ev, frame);
            if (st == HL7_ERR_TOO_LARGE) {
                return GOT_OVERSIZE;
            }
            if (st != HL7_OK || used == 0) {
                return GOT_CLOSED;
            }
            s->in_off += used;
            if (ev == HL7_MLLP_FRAME) {
                return GOT_FRAME;
            }
        }
        s->in_off = 0;
        s->in_len = 0;
        {
            size_t got = 0;
            ictl_io io = ictl_sock_read(&s->sock, (uint8_t *)s->in, READ_CHUNK_BYTES, &got);
            if (io == ICTL_IO_OK) {
                s->in_len = got;
            } else if (io == ICTL_IO_WANT_READ || io == ICTL_IO_WANT_WRITE) {
                if (!ictl_sock_pending(&s->sock) &&
                    !wait_fd(s->sock.fd, io == ICTL_IO_WANT_READ ? POLLIN : POLLOUT, deadline)) {
                    return GOT_TIMEOUT;
                }
            } else {
                return GOT_CLOSED;
            }
        }
    }
}

/* Print the ACK segment by segment (it may hold anything: bytes are made printable). */
static void print_ack_text(struct hl7_view a)
{
    size_t i = 0;

    while (i < a.len) {
        size_t j = i;
        while (j < a.len && a.ptr[j] != '\r' && a.ptr[j] != '\n') {
            j++;
        }
        if (j > i) {
            (void)printf("  ");
            put_safe(stdout, a.ptr + i, j - i);
            (void)putchar('\n');
        }
        i = j + 1;
    }
}

/* Judge the ACK frame for the message msg (whose MSH-10 is ctrl). Sets s->status. */
static void judge_ack(struct sender *s, const struct hl7_msg *msg, struct hl7_view frame)
{
    struct hl7_segment segs[64];
    struct hl7_msg m;
    struct hl7_error e;
    struct hl7_ack ack;
    struct hl7_view ctrl = msh_field(msg, 10);
    hl7_status st;
    bool is_match;

    print_ack_text(frame);
    hl7_msg_init(&m, segs, sizeof segs / sizeof segs[0], s->ack_seps, s->cap_seps);
    st = hl7_parse(&m, frame.ptr, frame.len, &e);
    if (st == HL7_OK) {
        st = hl7_ack_decode(&m, &ack);
        e.message = hl7_status_str(st);
    }
    if (st != HL7_OK) {
        (void)printf("unreadable ACK for ");
        put_view(stdout, ctrl);
        (void)printf(": %s\n", e.message != NULL ? e.message : hl7_status_str(st));
        s->status = EXIT_ACK_FAILED;
        return;
    }
    is_match = control_ids_match(&msg->enc, ctrl, &m.enc, ack.control_id);
    (void)printf("ACK %s for ", hl7_ack_code_str(ack.code));
    put_view(stdout, ctrl);
    if (is_match) {
        (void)printf(": matched\n");
    } else {
        (void)printf(": MISMATCH (MSA-2 is \"");
        put_view(stdout, ack.control_id);
        (void)printf("\")\n");
    }
    if (ack.has_err) {
        (void)printf("  error: ");
        put_view(stdout, ack.err_code);
        (void)putchar(' ');
        put_view(stdout, ack.err_text);
        if (ack.user_message.len > 0) {
            (void)printf(": ");
            put_view(stdout, ack.user_message);
        }
        (void)putchar('\n');
    }
    if (is_match && hl7_ack_is_success(ack.code)) {
        s->n_ok++;
    } else {
        s->status = EXIT_ACK_FAILED;
    }
}

/* Send one parsed message and wait for its ACK. false: the connection is unusable (exit 2). */
static bool send_one(struct sender *s, const struct hl7_msg *msg)
{
    size_t framed_len = 0;
    uint64_t deadline;
    struct hl7_view frame = {NULL, 0};
    accept_rule rule = accept_rule_of(msg, hl7_ack_mode_of(msg));
    got_what got;

    if (!s->is_connected && !sender_connect(s)) {
        return false;
    }
    if (hl7_mllp_frame(msg->buf, msg->len, s->out, (size_t)s->o.max_frame + HL7_MLLP_OVERHEAD,
                       &framed_len) != HL7_OK) {
        (void)printf("not sent: the message contains MLLP framing bytes (VT or FS)\n");
        s->status = EXIT_ACK_FAILED;
        return true;
    }
    deadline = mono_ms() + s->o.timeout_ms;
    if (!write_all(s, s->out, framed_len, deadline)) {
        ictl_error2("send failed:", s->sock.err);
        return false;
    }
    s->n_sent++;
    if (rule == ACCEPT_NEVER) {
        (void)printf("no ACK requested for ");
        put_view(stdout, msh_field(msg, 10));
        (void)printf(" (MSH-15 NE)\n");
        s->n_ok++;
        return true;
    }
    got = read_frame(s, deadline, &frame);
    if (got == GOT_FRAME) {
        judge_ack(s, msg, frame);
        return true;
    }
    if (got == GOT_TIMEOUT && rule == ACCEPT_ON_ERROR) {
        (void)printf("no ACK for ");
        put_view(stdout, msh_field(msg, 10));
        (void)printf(" within %llu ms: accepted (MSH-15 ER)\n", (unsigned long long)s->o.timeout_ms);
        s->n_ok++;
        return true;
    }
    if (got == GOT_TIMEOUT || got == GOT_OVERSIZE) {
        (void)printf("no ACK for ");
        put_view(stdout, msh_field(msg, 10));
        if (got == GOT_TIMEOUT) {
            (void)printf(" within %llu ms\n", (unsigned long long)s->o.timeout_ms);
        } else {
            (void)printf(": the answer is larger than %llu bytes\n",
                         (unsigned long long)s->o.max_frame);
        }
        s->status = EXIT_ACK_FAILED;
        /* A late ACK would be taken for the next message's: start a new connection. */
        sender_disconnect(s);
        return true;
    }
    (void)fprintf(stderr, "infusionctl: connection closed before the ACK for ");
    put_view(stderr, msh_field(msg, 10));
    (void)fprintf(stderr, "%s%s\n", s->sock.err[0] != '\0' ? ": " : "", s->sock.err);
    return false;
}

/* Read a whole file (at most MAX_FILE_BYTES). NULL with a message on failure; free() it. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    size_t cap = 0;

    if (f == NULL) {
        (void)fprintf(stderr, "infusionctl: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    while (true) {
        size_t got;
        if (n == cap) {
            char *grown;
            cap = cap == 0 ? 65536U : cap * 2U;
            if (cap > (size_t)MAX_FILE_BYTES + 1U) {
                (void)fprintf(stderr, "infusionctl: %s is larger than %u bytes\n", path,
                              MAX_FILE_BYTES);
                break;
            }
            grown = realloc(buf, cap);
            if (grown == NULL) {
                ictl_error("out of memory");
                break;
            }
            buf = grown;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f) == 0) {
                (void)fclose(f);
                *len = n;
                return buf;
            }
            (void)fprintf(stderr, "infusionctl: cannot read %s\n", path);
            break;
        }
    }
    (void)fclose(f);
    free(buf);
    return NULL;
}

/* Parse one message text and send it. false: stop (connection error). */
static bool send_text(struct sender *s, const char *path, unsigned i_msg, const char *text,
                      size_t len)
{
    struct hl7_msg m;
    struct hl7_error e;
    hl7_status st;

    if (g_stop_signal != 0) {
        ictl_error("interrupted");
        return false;
    }
    if (len > s->o.max_frame) {
        (void)printf("%s message %u: not sent: larger than %llu bytes\n", path, i_msg,
                     (unsigned long long)s->o.max_frame);
        s->status = EXIT_ACK_FAILED;
        return true;
    }
    hl7_msg_init(&m, s->segs, HL7_MAX_SEGMENTS, s->seps, s->cap_seps);
    st = hl7_parse(&m, text, len, &e);
    if (st != HL7_OK) {
        (void)printf("%s message %u: not sent: %s at segment %u field %u, byte offset %u\n", path,
                     i_msg, e.message != NULL ? e.message : hl7_status_str(st),
                     (unsigned)e.segment, (unsigned)e.field, (unsigned)e.offset);
        s->status = EXIT_ACK_FAILED;
        return true;
    }
    if (!s->is_connected && !sender_connect(s)) {
        return false;
    }
    (void)printf("sent ");
    put_view(stdout, msh_field(&m, 9));
    (void)printf(" ");
    put_view(stdout, msh_field(&m, 10));
    (void)printf(" (%s message %u, %zu bytes)\n", path, i_msg, len);
    (void)fflush(stdout);
    return send_one(s, &m);
}

static bool is_blank_line(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t') {
            return false;
        }
    }
    return true;
}

/* True when the line starts a message: "MSH" and then the field separator. */
static bool starts_message(const char *p, size_t n)
{
    return n >= 4 && memcmp(p, "MSH", 3) == 0 &&
           !((p[3] >= 'A' && p[3] <= 'Z') || (p[3] >= '0' && p[3] <= '9'));
}

/* Plain-text file: lines (CR, LF or CRLF) grouped into messages at blank lines and at every
 * line starting with MSH; each message is sent with CR segment terminators. */
static bool send_text_file(struct sender *s, const char *path, const char *buf, size_t len)
{
    size_t i = 0;
    size_t msg_len = 0;
    unsigned n_msgs = 0;

    while (i <= len) {
        size_t j = i;
        bool is_end;
        while (j < len && buf[j] != '\r' && buf[j] != '\n') {
            j++;
        }
        is_end = j >= len;
        if ((is_blank_line(buf + i, j - i) || starts_message(buf + i, j - i)) && msg_len > 0) {
            if (!send_text(s, path, ++n_msgs, s->text, msg_len)) {
                return false;
            }
            msg_len = 0;
        }
        if (!is_blank_line(buf + i, j - i)) {
            if (msg_len + (j - i) + 1U > (size_t)s->o.max_frame) {
                msg_len = (size_t)s->o.max_frame + 1U; /* reported as too large */
            } else {
                memcpy(s->text + msg_len, buf + i, j - i);
                msg_len += j - i;
                s->text[msg_len++] = '\r';
            }
        }
        if (j + 1U < len && buf[j] == '\r' && buf[j + 1U] == '\n') {
            j++;
        }
        i = j + 1U;
        if (is_end) {
            break;
        }
    }
    if (msg_len > 0 && !send_text(s, path, ++n_msgs, s->text, msg_len)) {
        return false;
    }
    if (n_msgs == 0) {
        (void)printf("%s: no message in the file\n", path);
        s->status = EXIT_ACK_FAILED;
    }
    return true;
}

/* MLLP-framed file: every frame is a message (sent as it is). The message is copied out of the
 * deframer's buffer first, because sending reuses the connection's deframer state only. */
static bool send_framed_file(struct sender *s, const char *path, const char *buf, size_t len)
{
    struct hl7_mllp_deframer d;
    char *fbuf = malloc((size_t)s->o.max_frame);
    char *copy = malloc((size_t)s->o.max_frame);
    size_t off = 0;
    unsigned n_msgs = 0;
    bool is_ok = true;

    if (fbuf == NULL || copy == NULL) {
        free(fbuf);
        free(copy);
        ictl_error("out of memory");
        return false;
    }
    hl7_mllp_deframer_init(&d, fbuf, (size_t)s->o.max_frame);
    while (off < len && is_ok) {
        size_t used = 0;
        hl7_mllp_event ev = HL7_MLLP_NEED_MORE;
        struct hl7_view frame = {NULL, 0};
        hl7_status st = hl7_mllp_feed(&d, buf + off, len - off, 0, &used, &ev, &frame);
        if (st == HL7_ERR_TOO_LARGE) {
            (void)printf("%s message %u: not sent: larger than %llu bytes\n", path, ++n_msgs,
                         (unsigned long long)s->o.max_frame);
            s->status = EXIT_ACK_FAILED;
        } else if (st != HL7_OK || used == 0) {
            break;
        }
        off += used;
        if (ev == HL7_MLLP_FRAME) {
            memcpy(copy, frame.ptr, frame.len);
            is_ok = send_text(s, path, ++n_msgs, copy, frame.len);
        }
    }
    if (is_ok && hl7_mllp_in_frame(&d)) {
        (void)printf("%s: the last frame is not terminated: not sent\n", path);
        s->status = EXIT_ACK_FAILED;
    }
    if (is_ok && n_msgs == 0) {
        (void)printf("%s: no message in the file\n", path);
        s->status = EXIT_ACK_FAILED;
    }
    free(fbuf);
    free(copy);
    return is_ok;
}

static bool send_file(struct sender *s, const char *path)
{
    size_t len = 0;
    char *buf = read_file(path, &len);
    bool is_ok;

    if (buf == NULL) {
        return false;
    }
    if (memchr(buf, HL7_MLLP_VT, len) != NULL) {
        is_ok = send_framed_file(s, path, buf, len);
    } else {
        is_ok = send_text_file(s, path, buf, len);
    }
    free(buf);
    return is_ok;
}

/* Split argv into flags (for ictl_args_parse) and any number of FILE arguments. */
static bool send_args(int argc, char *const *argv, struct send_opts *o, int *status)
{
    enum { O_HOST, O_PORT, O_TLS, O_CA, O_CERT, O_KEY, O_TIMEOUT, O_FRAME, O_N };
    static const struct cli_optdef defs[O_N] = {
        {"--host", true}, {"--port", true}, {"--tls", false},       {"--ca", true},
        {"--cert", true}, {"--key", true},  {"--timeout-ms", true}, {"--max-frame-bytes", true}};
    struct cli_parsed a;
    char **flags = calloc((size_t)argc + 1U, sizeof *flags);
    int n_flags = 0;
    int i;
    bool is_ok;

    *status = ICTL_EXIT_USAGE;
    memset(o, 0, sizeof *o);
    o->files = calloc((size_t)argc + 1U, sizeof *o->files);
    if (flags == NULL || o->files == NULL) {
        free(flags);
        ictl_error("out of memory");
        return false;
    }
    for (i = 1; i < argc; i++) { /* argv[0] is "send" */
        const char *w = argv[i];
        if (w[0] == '-' && w[1] != '\0') {
            size_t d;
            flags[n_flags++] = argv[i];
            for (d = 0; d < O_N; d++) {
                if (defs[d].has_value && strcmp(w, defs[d].name) == 0 && i + 1 < argc) {
                    flags[n_flags++] = argv[++i];
                }
            }
        } else {
            o->files[o->n_files++] = w;
        }
    }
    is_ok = ictl_args_parse(n_flags, flags, defs, O_N, &a);
    free(flags);
    if (!is_ok) {
        (void)fputs(send_usage, stderr);
        return false;
    }
    if (a.help) {
        (void)fputs(send_usage, stdout);
        *status = ICTL_EXIT_OK;
        return false;
    }
    o->host = a.seen[O_HOST] ? a.value[O_HOST] : "127.0.0.1";
    o->t = tls_opts_of(&a, O_TLS, O_CERT, O_KEY, O_CA);
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->max_frame = DEFAULT_MAX_FRAME_BYTES;
    if (!a.seen[O_PORT] || o->n_files == 0) {
        ictl_error(!a.seen[O_PORT] ? "hl7 send needs --port" : "hl7 send needs a FILE");
        (void)fputs(send_usage, stderr);
        return false;
    }
    if ((o->t.cert != NULL) != (o->t.key != NULL) ||
        (!o->t.tls && (o->t.ca != NULL || o->t.cert != NULL))) {
        ictl_error("--cert and --key go together; --ca, --cert and --key need --tls");
        return false;
    }
    return parse_number("--port", a.value[O_PORT], 1, 65535, &o->port) &&
           (!a.seen[O_TIMEOUT] || parse_number("--timeout-ms", a.value[O_TIMEOUT], 1,
                                               3600000U, &o->timeout_ms)) &&
           (!a.seen[O_FRAME] || parse_number("--max-frame-bytes", a.value[O_FRAME], 16,
                                             HL7_MAX_MESSAGE_BYTES, &o->max_frame));
}

int ictl_cmd_hl7_send(int argc, char *const *argv)
{
    struct sender s;
    char err[ICTL_NET_ERR_MAX];
    int status;
    size_t i;

    memset(&s, 0, sizeof s);
    if (!send_args(argc, argv, &s.o, &status)) {
        free(s.o.files);
        return status;
    }
    if (!install_signals()) {
        ictl_error("cannot install signal handlers");
        free(s.o.files);
        return ICTL_EXIT_USAGE;
    }
    s.cap_seps = (size_t)s.o.max_frame + 1U;
    s.frame_buf = malloc((size_t)s.o.max_frame);
    s.in = malloc(READ_CHUNK_BYTES);
    s.out = malloc((size_t)s.o.max_frame + HL7_MLLP_OVERHEAD);
    s.text = malloc((size_t)s.o.max_frame + 1U);
    s.segs = calloc(HL7_MAX_SEGMENTS, sizeof *s.segs);
    s.seps = calloc(s.cap_seps, sizeof *s.seps);
    s.ack_seps = calloc(s.cap_seps, sizeof *s.ack_seps);
    status = ICTL_EXIT_USAGE;
    if (s.frame_buf == NULL || s.in == NULL || s.out == NULL || s.text == NULL ||
        s.segs == NULL || s.seps == NULL || s.ack_seps == NULL) {
        ictl_error("out of memory");
    } else if (s.o.t.tls &&
               (s.tls = ictl_tls_client_new(s.o.t.ca, s.o.t.cert, s.o.t.key, err, sizeof err)) ==
                   NULL) {
        ictl_error(err);
    } else {
        hl7_mllp_deframer_init(&s.deframer, s.frame_buf, (size_t)s.o.max_frame);
        status = ICTL_EXIT_OK;
        for (i = 0; i < s.o.n_files && status != ICTL_EXIT_USAGE; i++) {
            if (!send_file(&s, s.o.files[i])) {
                status = ICTL_EXIT_USAGE;
            }
        }
        if (status == ICTL_EXIT_OK) {
            status = s.status;
        }
        (void)printf("%u sent, %u acknowledged with success\n", s.n_sent, s.n_ok);
    }
    sender_disconnect(&s);
    ictl_tls_free(s.tls);
    free(s.frame_buf);
    free(s.in);
    free(s.out);
    free(s.text);
    free(s.segs);
    free(s.seps);
    free(s.ack_seps);
    free(s.o.files);
    return status;
}
