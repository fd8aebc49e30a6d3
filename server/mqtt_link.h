/*
 * mqtt_link.h - infusiond's side of pump protocol v1 (docs/pump-protocol.md): one libmosquitto
 * client (MQTT 5) driven by the event loop, subscribed to every pump's online/state/event/reply.
 * Messages go to pumps.c; commands are published here.
 */
#ifndef SRV_MQTT_LINK_H
#define SRV_MQTT_LINK_H

#include <stdbool.h>
#include <stddef.h>

struct srv;
struct srv_mqtt;

/* Connects (retrying in the background when the broker is not there yet). NULL + err on a
 * setup failure (bad settings, out of memory). */
struct srv_mqtt *srv_mqtt_new(struct srv *s, char *err, size_t err_cap);
/* Publishes payload to {prefix}/pump/{pump_id}/{kind}, QoS 1, not retained. false when not
 * connected or refused (the caller keeps the work to retry). */
bool srv_mqtt_publish(struct srv *s, const char *pump_id, const char *kind, const char *payload,
                      size_t len);
/* Disconnects cleanly and frees. */
void srv_mqtt_free(struct srv_mqtt *m);

#endif
