/*
 * outbox.h - the senders of the durable outbox: one per configured destination ("iop" RRG^O16,
 * "doc" PCD-01/10, "alarm:1".."alarm:N" PCD-04), each an MLLP client on the event loop that sends
 * the destination's oldest unacknowledged message, waits for the ACK whose MSA-2 is its MSH-10,
 * marks it acknowledged in the store and goes on: in order per destination, one in flight,
 * retried with backoff, resumed after a restart from what the store holds. A message is never
 * rebuilt: a retry sends the same bytes with the same MSH-10.
 */
#ifndef SRV_OUTBOX_H
#define SRV_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>

struct srv;
struct srv_outbox;

/* Reads the destinations from s->cfg and starts a sender for each. NULL with err filled. */
struct srv_outbox *srv_outbox_new(struct srv *s, char *err, size_t err_cap);
/* srv_outbox_kick (server.h): wake dest's sender (NULL: every sender) after a commit. */
/* Stops every sender. A message in flight stays unacknowledged in the store and is sent again
 * (same bytes, same MSH-10) after the restart; the receiver de-duplicates on MSH-10. */
void srv_outbox_free(struct srv_outbox *o);

/* Timing (defaults: ACK and connect timeout 10 s, backoff 0.5 s doubling up to 30 s, store
 * polled every 1 s while idle). For tests; values of 0 (or max < min) leave everything as is. */
void srv_outbox_set_timing(struct srv_outbox *o, unsigned ack_timeout_ms,
                           unsigned backoff_min_ms, unsigned backoff_max_ms, unsigned poll_ms);
/* true when dest's sender (NULL: every sender) has nothing in flight and is not waiting to retry
 * (for tests and shutdown). */
bool srv_outbox_idle(const struct srv_outbox *o, const char *dest);

#endif
