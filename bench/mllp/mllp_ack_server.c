/*
 * mllp_ack_server.c - the baseline of the MLLP benchmark: the least work an MLLP server can do.
 *
 *   mllp_ack_server [--port P]      (127.0.0.1; P = 0 picks a free port)
 *
 * Prints "listening on 127.0.0.1:PORT", then for every frame (VT ... FS CR) answers a fixed ACK
 * whose MSA-2 is the frame's MSH-10 (found by counting field separators). No parsing, no
 * checks, no escapes, no limits worth the name: it shows what the loopback and poll() cost, so
 * `infusionctl hl7 listen` can be compared with it in the same run. Runs until SIGTERM/SIGINT.
 * Never use it for anything but this benchmark.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 256U
#define BUF_BYTES (4U * 1024U * 1024U)

struct conn {
    int fd;
    char *buf; /* bytes of the frame being received */
    size_t len;
};

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    g_stop = sig;
}

/* The ACK for one frame body (without VT/FS), written to out (room for 512 bytes). */
static size_t make_ack(const char *body, size_t len, char *out)
{
    static const char head[] =
        "\x0bMSH|^~\\&|ACKSRV|BENCH|||20260101000000+0000||ACK|1|P|2.6\rMSA|AA|";
    size_t n = sizeof head - 1U;
    size_t i = 0;
    size_t field = 0;
    size_t start;

    memcpy(out, head, n);
    /* MSH|^~\&|3|4|5|6|7|8|9|10: MSH-10 follows the 9th '|' */
    while (i < len && field < 9U) {
        if (body[i] == '|') {
            field++;
        }
        i++;
    }
    start = i;
    while (i < len && body[i] != '|' && body[i] != '\r' && i - start < 200U) {
        i++;
    }
    memcpy(out + n, body + start, i - start);
    n += i - start;
    memcpy(out + n, "\r\x1c\r", 3);
    return n + 3U;
}

static int serve(struct conn *c)
{
    char in[65536];
    char ack[600];
    ssize_t got = recv(c->fd, in, sizeof in, 0);
    size_t i;

    if (got <= 0) {
        return (got < 0 && (errno == EAGAIN || errno == EINTR)) ? 0 : -1;
    }
    for (i = 0; i < (size_t)got; i++) {
        char b = in[i];
        if (b == '\x0b') {
            c->len = 0;
        } else if (b == '\x1c') {
            size_t n = make_ack(c->buf, c->len, ack);
            if (send(c->fd, ack, n, MSG_NOSIGNAL) != (ssize_t)n) {
                return -1; /* a baseline: a full socket buffer is a failure, not a wait */
            }
            c->len = 0;
        } else if (c->len < BUF_BYTES) {
            c->buf[c->len++] = b;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sockaddr_in sa;
    socklen_t sa_len = sizeof sa;
    struct pollfd pf[MAX_CONNS + 1U];
    struct conn conns[MAX_CONNS];
    struct sigaction act;
    size_t n_conns = 0;
    int lfd;
    int one = 1;
    long port = 0;

    if (argc == 3 && strcmp(argv[1], "--port") == 0) {
        port = strtol(argv[2], NULL, 10);
    } else if (argc != 1) {
        (void)fputs("usage: mllp_ack_server [--port P]\n", stderr);
        return 2;
    }
    memset(&act, 0, sizeof act);
    act.sa_handler = on_signal;
    (void)sigaction(SIGTERM, &act, NULL);
    (void)sigaction(SIGINT, &act, NULL);
    act.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &act, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(lfd, (struct sockaddr *)(void *)&sa, sizeof sa) != 0 || listen(lfd, 128) != 0 ||
        getsockname(lfd, (struct sockaddr *)(void *)&sa, &sa_len) != 0) {
        perror("mllp_ack_server");
        return 2;
    }
    (void)printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
    (void)fflush(stdout);
    while (g_stop == 0) {
        size_t i;
        pf[0].fd = lfd;
        pf[0].events = POLLIN;
        for (i = 0; i < n_conns; i++) {
            pf[i + 1U].fd = conns[i].fd;
            pf[i + 1U].events = POLLIN;
        }
        if (poll(pf, (nfds_t)(n_conns + 1U), 500) <= 0) {
            continue;
        }
        i = n_conns;
        while (i > 0) {
            i--;
            if (pf[i + 1U].revents != 0 && serve(&conns[i]) != 0) {
                (void)close(conns[i].fd);
                free(conns[i].buf);
                conns[i] = conns[--n_conns];
            }
        }
        if ((pf[0].revents & POLLIN) != 0) {
            int fd = accept(lfd, NULL, NULL);
            char *buf = fd >= 0 && n_conns < MAX_CONNS ? malloc(BUF_BYTES) : NULL;
            if (buf == NULL) {
                if (fd >= 0) {
                    (void)close(fd);
                }
                continue;
            }
            (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns[n_conns].fd = fd;
            conns[n_conns].buf = buf;
            conns[n_conns].len = 0;
            n_conns++;
        }
    }
    while (n_conns > 0) {
        n_conns--;
        (void)close(conns[n_conns].fd);
        free(conns[n_conns].buf);
    }
    (void)close(lfd);
    return 0;
}
