/*
 * cmd_hl7_tls.c - the socket layer of `hl7 send` / `hl7 listen`: plain TCP or OpenSSL TLS on a
 * non-blocking descriptor, so the callers drive everything from poll() and never block on a
 * peer that stops talking.
 *
 * Clients always verify the server (there is no "insecure" switch: an MLLP link carries patient
 * data). TLS 1.2 is the floor.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cmd_hl7_net.h"

struct ictl_tls {
    SSL_CTX *ctx;
};

/* "what: <first OpenSSL error>" into err; clears the OpenSSL error queue. */
static void ssl_reason(char *err, size_t n_err, const char *what)
{
    unsigned long code = ERR_get_error();
    char detail[200];

    if (code != 0) {
        ERR_error_string_n(code, detail, sizeof detail);
    } else {
        (void)snprintf(detail, sizeof detail, "%s", "no detail from OpenSSL");
    }
    ERR_clear_error();
    (void)snprintf(err, n_err, "%s: %s", what, detail);
}

static SSL_CTX *ctx_new(const SSL_METHOD *method, char *err, size_t n_err)
{
    SSL_CTX *ctx = SSL_CTX_new(method);

    if (ctx == NULL) {
        ssl_reason(err, n_err, "cannot create a TLS context");
        return NULL;
    }
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        ssl_reason(err, n_err, "cannot require TLS 1.2");
        SSL_CTX_free(ctx);
        return NULL;
    }
    /* Our writes come from buffers that may move between retries (the caller compacts its
     * output buffer), and partial writes are handled by the caller like with plain TCP. */
    (void)SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

static bool load_identity(SSL_CTX *ctx, const char *cert_path, const char *key_path, char *err,
                          size_t n_err)
{
    char what[512];

    if (SSL_CTX_use_certificate_chain_file(ctx, cert_path) != 1) {
        (void)snprintf(what, sizeof what, "cannot load the certificate %s", cert_path);
        ssl_reason(err, n_err, what);
        return false;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
        (void)snprintf(what, sizeof what, "cannot load the private key %s", key_path);
        ssl_reason(err, n_err, what);
        return false;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        (void)snprintf(what, sizeof what, "the key %s does not match the certificate %s",
                       key_path, cert_path);
        ssl_reason(err, n_err, what);
        return false;
    }
    return true;
}

static bool load_ca(SSL_CTX *ctx, const char *ca_path, char *err, size_t n_err)
{
    char what[512];

    if (SSL_CTX_load_verify_locations(ctx, ca_path, NULL) != 1) {
        (void)snprintf(what, sizeof what, "cannot load the CA certificates %s", ca_path);
        ssl_reason(err, n_err, what);
        return false;
    }
    return true;
}

/* The context set up, wrapped; on failure (freed) NULL with the reason in err. */
static struct ictl_tls *tls_of(SSL_CTX *ctx, char *err, size_t n_err)
{
    struct ictl_tls *tls = malloc(sizeof *tls);

    if (tls == NULL) {
        (void)snprintf(err, n_err, "%s", "out of memory");
        SSL_CTX_free(ctx);
        return NULL;
    }
    tls->ctx = ctx;
    return tls;
}

struct ictl_tls *ictl_tls_server_new(const char *cert_path, const char *key_path,
                                     const char *ca_path, char *err, size_t n_err)
{
    SSL_CTX *ctx = ctx_new(TLS_server_method(), err, n_err);

    if (ctx == NULL) {
        return NULL;
    }
    if (!load_identity(ctx, cert_path, key_path, err, n_err) ||
        (ca_path != NULL && !load_ca(ctx, ca_path, err, n_err))) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (ca_path != NULL) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return tls_of(ctx, err, n_err);
}

struct ictl_tls *ictl_tls_client_new(const char *ca_path, const char *cert_path,
                                     const char *key_path, char *err, size_t n_err)
{
    SSL_CTX *ctx = ctx_new(TLS_client_method(), err, n_err);
    bool is_ok;

    if (ctx == NULL) {
        return NULL;
    }
    if (ca_path != NULL) {
        is_ok = load_ca(ctx, ca_path, err, n_err);
    } else {
        is_ok = SSL_CTX_set_default_verify_paths(ctx) == 1;
        if (!is_ok) {
            ssl_reason(err, n_err, "cannot load the system's trusted CAs");
        }
    }
    if (is_ok && cert_path != NULL && key_path != NULL) {
        is_ok = load_identity(ctx, cert_path, key_path, err, n_err);
    }
    if (!is_ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return tls_of(ctx, err, n_err);
}

void ictl_tls_free(struct ictl_tls *tls)
{
    if (tls != NULL) {
        SSL_CTX_free(tls->ctx);
        free(tls);
    }
}

void ictl_sock_init(struct ictl_sock *s, int fd)
{
    s->fd = fd;
    s->ssl = NULL;
    s->is_handshake_done = true;
    s->err[0] = '\0';
}

/* The name the server certificate must carry: an IP address is matched against the
 * certificate's IP entries, anything else against its DNS names (and sent as SNI). */
static bool set_peer_name(SSL *ssl, const char *host)
{
    unsigned char addr[sizeof(struct in6_addr)];
    char sni[256]; /* the SNI macro takes a non-const pointer */

    if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1) {
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1;
    }
    if (strlen(host) >= sizeof sni) {
        return false;
    }
    (void)snprintf(sni, sizeof sni, "%s", host);
    return SSL_set1_host(ssl, host) == 1 && SSL_set_tlsext_host_name(ssl, sni) == 1;
}

bool ictl_sock_start_tls(struct ictl_sock *s, struct ictl_tls *tls, bool is_server,
                         const char *host)
{
    SSL *ssl = SSL_new(tls->ctx);

    if (ssl == NULL) {
        ssl_reason(s->err, sizeof s->err, "cannot start TLS");
        return false;
    }
    if (SSL_set_fd(ssl, s->fd) != 1 ||
        (!is_server && host != NULL && !set_peer_name(ssl, host))) {
        ssl_reason(s->err, sizeof s->err, "cannot start TLS");
        SSL_free(ssl);
        return false;
    }
    if (is_server) {
        SSL_set_accept_state(ssl);
    } else {
        SSL_set_connect_state(ssl);
    }
    s->ssl = ssl;
    s->is_handshake_done = false;
    return true;
}

/* Map an OpenSSL result (ret of SSL_read/SSL_write/SSL_do_handshake) to ictl_io. */
static ictl_io ssl_io(struct ictl_sock *s, int ret, const char *what)
{
    SSL *ssl = s->ssl;
    int code = SSL_get_error(ssl, ret);
    long verify;

    switch (code) {
    case SSL_ERROR_WANT_READ:
        return ICTL_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return ICTL_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return ICTL_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            /* EOF without close_notify, or a reset: the connection is gone either way. */
            if (errno == 0 || errno == ECONNRESET || errno == EPIPE) {
                (void)snprintf(s->err, sizeof s->err, "%s: connection closed by the peer",
                               what);
                return s->is_handshake_done ? ICTL_IO_CLOSED : ICTL_IO_ERROR;
            }
            (void)snprintf(s->err, sizeof s->err, "%s: %s", what, strerror(errno));
            return ICTL_IO_ERROR;
        }
        ssl_reason(s->err, sizeof s->err, what);
        return ICTL_IO_ERROR;
    default:
        verify = SSL_get_verify_result(ssl);
        if (!s->is_handshake_done && verify != X509_V_OK) {
            ERR_clear_error();
            (void)snprintf(s->err, sizeof s->err, "%s: certificate verification failed: %s",
                           what, X509_verify_cert_error_string(verify));
            return ICTL_IO_ERROR;
        }
        ssl_reason(s->err, sizeof s->err, what);
        return ICTL_IO_ERROR;
    }
}

ictl_io ictl_sock_handshake(struct ictl_sock *s)
{
    int ret;

    if (s->is_handshake_done) {
        return ICTL_IO_OK;
    }
    errno = 0;
    ret = SSL_do_handshake(s->ssl);
    if (ret == 1) {
        s->is_handshake_done = true;
        return ICTL_IO_OK;
    }
    return ssl_io(s, ret, "TLS handshake failed");
}

static ictl_io plain_errno(struct ictl_sock *s, const char *what)
{
    if (errno == EAGAIN || errno == EINTR) { /* EWOULDBLOCK == EAGAIN on Linux */
        return what[0] == 'r' ? ICTL_IO_WANT_READ : ICTL_IO_WANT_WRITE;
    }
    if (errno == ECONNRESET || errno == EPIPE) {
        (void)snprintf(s->err, sizeof s->err, "%s: connection reset by the peer", what);
        return ICTL_IO_CLOSED;
    }
    (void)snprintf(s->err, sizeof s->err, "%s: %s", what, strerror(errno));
    return ICTL_IO_ERROR;
}

/* SSL_read/SSL_write take an int: at most 1 GiB per call (a short transfer, as send/recv may). */
static int ssl_len(size_t n)
{
    return n > (size_t)0x40000000 ? 0x40000000 : (int)n;
}

/* The outcome of SSL_read/SSL_write (ret, called with errno cleared): bytes moved, or why not. */
static ictl_io ssl_done(struct ictl_sock *s, int ret, size_t *n_done, const char *what)
{
    if (ret > 0) {
        *n_done = (size_t)ret;
        return ICTL_IO_OK;
    }
    return ssl_io(s, ret, what);
}

ictl_io ictl_sock_read(struct ictl_sock *s, uint8_t *buf, size_t cap, size_t *n_read)
{
    ssize_t got;

    if (s->ssl == NULL) {
        got = recv(s->fd, buf, cap, 0);
        if (got > 0) {
            *n_read = (size_t)got;
            return ICTL_IO_OK;
        }
        if (got == 0) {
            return ICTL_IO_CLOSED;
        }
        return plain_errno(s, "read");
    }
    errno = 0;
    return ssl_done(s, SSL_read(s->ssl, buf, ssl_len(cap)), n_read, "TLS read failed");
}

ictl_io ictl_sock_write(struct ictl_sock *s, const uint8_t *buf, size_t len, size_t *n_written)
{
    ssize_t put;

    if (s->ssl == NULL) {
        /* MSG_NOSIGNAL: a peer that went away is an error for this connection, not SIGPIPE. */
        put = send(s->fd, buf, len, MSG_NOSIGNAL);
        if (put > 0) {
            *n_written = (size_t)put;
            return ICTL_IO_OK;
        }
        return plain_errno(s, "write");
    }
    errno = 0;
    return ssl_done(s, SSL_write(s->ssl, buf, ssl_len(len)), n_written, "TLS write failed");
}

bool ictl_sock_pending(const struct ictl_sock *s)
{
    return s->ssl != NULL && SSL_pending(s->ssl) > 0;
}

void ictl_sock_close(struct ictl_sock *s)
{
    if (s->ssl != NULL) {
        if (s->is_handshake_done) {
            (void)SSL_shutdown(s->ssl); /* close_notify, without waiting for the peer's */
        }
        SSL_free(s->ssl);
        s->ssl = NULL;
        ERR_clear_error();
    }
    if (s->fd >= 0) {
        (void)close(s->fd);
        s->fd = -1;
    }
}
