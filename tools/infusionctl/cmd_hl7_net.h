/*
 * cmd_hl7_net.h - private declarations of `infusionctl hl7 send` and `hl7 listen` (MLLP over TCP,
 * optionally TLS). Only cmd_hl7_tls.c includes OpenSSL; the rest sees a socket that reads and
 * writes bytes and says when it would block.
 */
#ifndef CMD_HL7_NET_H
#define CMD_HL7_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The two commands, called by the `hl7` dispatcher (cmd_hl7.c) like main(): argv[0] is "send" /
 * "listen", the flags follow.
 * Exit status: send 0 all ACKed with success and matched, 1 an error ACK, a mismatch or a missing
 * ACK, 2 connection or usage error; listen 0 stopped as asked (signal, --count, --once), 2 usage
 * error or the port could not be opened. */
int ictl_cmd_hl7_send(int argc, char *const *argv);
int ictl_cmd_hl7_listen(int argc, char *const *argv);

/* What one non-blocking socket operation did. */
typedef enum {
    ICTL_IO_OK = 0,     /* done (some bytes moved, or the handshake finished) */
    ICTL_IO_WANT_READ,  /* would block: call again when the socket is readable */
    ICTL_IO_WANT_WRITE, /* would block: call again when the socket is writable */
    ICTL_IO_CLOSED,     /* the peer closed the connection in an orderly way */
    ICTL_IO_ERROR       /* reset, TLS failure, ...: the reason is in the socket's error text */
} ictl_io;

#define ICTL_NET_ERR_MAX 256

/* A connected socket, plain or TLS. fd is non-blocking. */
struct ictl_sock {
    int fd;
    void *ssl; /* SSL *, NULL for plain TCP */
    bool is_handshake_done;
    char err[ICTL_NET_ERR_MAX]; /* the last ICTL_IO_ERROR's reason */
};

/* An OpenSSL context for one side (opaque outside cmd_hl7_tls.c). */
struct ictl_tls;

/*
 * ictl_tls_server_new - a TLS 1.2+ server context with the certificate chain cert_path (PEM) and
 * its private key key_path. With ca_path (PEM, may be NULL) clients must present a certificate
 * signed by it (mutual TLS). NULL on failure, with the reason in err. Free with ictl_tls_free.
 */
struct ictl_tls *ictl_tls_server_new(const char *cert_path, const char *key_path,
                                     const char *ca_path, char *err, size_t n_err);

/*
 * ictl_tls_client_new - a TLS 1.2+ client context that always verifies the server: against
 * ca_path (PEM) when given, else the system's trusted CAs. cert_path/key_path (both or neither)
 * are the client's own certificate for servers that ask for one. NULL on failure, with the reason
 * in err. Free with ictl_tls_free.
 */
struct ictl_tls *ictl_tls_client_new(const char *ca_path, const char *cert_path,
                                     const char *key_path, char *err, size_t n_err);

void ictl_tls_free(struct ictl_tls *tls);

/* The socket fd, not yet TLS (or plain for good). Takes ownership of fd. */
void ictl_sock_init(struct ictl_sock *s, int fd);

/*
 * ictl_sock_start_tls - put TLS on the socket: server side when is_server, else client side that
 * checks the server's certificate names host (an IP address or a DNS name). false on failure
 * (reason in s->err); the socket stays owned by s either way.
 */
bool ictl_sock_start_tls(struct ictl_sock *s, struct ictl_tls *tls, bool is_server,
                         const char *host);

/* Drive the TLS handshake one step; ICTL_IO_OK once done (at once for plain sockets). */
ictl_io ictl_sock_handshake(struct ictl_sock *s);

/* Read up to cap bytes; *n_read > 0 with ICTL_IO_OK. A TLS socket may hold decrypted bytes the
 * kernel no longer reports as readable: call again until it says WANT_READ. */
ictl_io ictl_sock_read(struct ictl_sock *s, uint8_t *buf, size_t cap, size_t *n_read);

/* Write up to len bytes; *n_written > 0 with ICTL_IO_OK (possibly fewer than len). With TLS, a
 * write that returned WANT_* must be retried with the same bytes. */
ictl_io ictl_sock_write(struct ictl_sock *s, const uint8_t *buf, size_t len, size_t *n_written);

/* True when a TLS socket holds decrypted bytes not yet read (poll() cannot see them). */
bool ictl_sock_pending(const struct ictl_sock *s);

/* Close (TLS close_notify best effort) and release everything; safe to call twice. */
void ictl_sock_close(struct ictl_sock *s);

#endif
