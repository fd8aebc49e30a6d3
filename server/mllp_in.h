/*
 * mllp_in.h - the PCD-03 listener: MLLP over TCP on the loop. Each complete frame goes to
 * orders_on_frame(); answers are written back on the same connection in the order the frames came.
 * Bad input (bytes outside frames, oversized frames, idle or half-open connections, a peer that
 * does not read its answers) is logged and dropped without disturbing other connections.
 */
#ifndef SRV_MLLP_IN_H
#define SRV_MLLP_IN_H

#include <stdbool.h>
#include <stddef.h>

struct srv;
struct srv_mllp;
struct mllp_conn;

struct srv_mllp *srv_mllp_new(struct srv *s, char *err, size_t err_cap);
int srv_mllp_port(const struct srv_mllp *m);
void srv_mllp_free(struct srv_mllp *m);

/* A connection stays allocated while referenced (an order in a commit group holds one). */
void mllp_conn_ref(struct mllp_conn *c);
void mllp_conn_unref(struct mllp_conn *c);
/* Frame msg and send it; ignored when the connection has closed meanwhile. */
void mllp_conn_send(struct mllp_conn *c, const char *msg, size_t len);
/* A connection without a socket: frames can be handed to orders_on_frame, answers are dropped.
 * For tests and the fuzz target. Release with mllp_conn_unref. NULL without memory. */
struct mllp_conn *mllp_conn_detached(struct srv *s);
/* The peer as "127.0.0.1:40000" (for logs). */
const char *mllp_conn_peer(const struct mllp_conn *c);

#endif
