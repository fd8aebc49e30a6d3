/*
 * pumps.h - the server side of pump protocol v1 (docs/pump-protocol.md): presence, state
 * snapshots, event batches (stored once per (pump_id, seq) in a group commit, then event_ack up to
 * the last seq with no gap before it), replies (handed to orders.c).
 */
#ifndef SRV_PUMPS_H
#define SRV_PUMPS_H

#include <stdbool.h>
#include <stddef.h>

struct srv;

/* One MQTT message (topic under cfg.topic_prefix). Bad input is logged and dropped. */
void pumps_on_message(struct srv *s, const char *topic, const void *payload, size_t len);
/* The broker connection (re)opened. */
void pumps_on_connected(struct srv *s);
/* The batched save of the snapshots (pumps.c, every STATE_FLUSH_MS). pumps_stop queues the
 * snapshots still due for the next group commit, then stops the timer. */
bool pumps_start(struct srv *s);
void pumps_stop(struct srv *s);
/* Queues every snapshot due now (also done by the timer and by pumps_stop). */
void pumps_flush_states(struct srv *s);
/* A pump id as the protocol allows: 1-64 of A-Z a-z 0-9 - _ . */
bool pumps_id_valid(const char *id, size_t len);

#endif
