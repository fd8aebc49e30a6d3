/*
 * mqtt_link.c - libmosquitto on the libevent loop (mqtt_link.h).
 *
 * libmosquitto runs without its own thread: the loop watches the client's socket and calls
 * mosquitto_loop_read / mosquitto_loop_write, and a 1 s timer calls mosquitto_loop_misc
 * (keepalive pings, retries). Connecting is a blocking connect(2): immediate on the loopback
 * broker this project runs; a remote broker that does not answer would stall the loop for the
 * TCP connect timeout (noted in docs/infusiond.md).
 */
#include "mqtt_link.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "log.h"
#include "pumps.h"
#include "server.h"

struct srv_mqtt {
    struct srv *s;
    struct mosquitto *mosq;
    struct event *ev_read;
    struct event *ev_write;
    struct event *ev_timer; /* 1 s: loop_misc and reconnects */
    int sock;
    bool socket_up;         /* ev_read/ev_write are attached to sock */
    bool ever_connected;
    unsigned backoff_ms;
    int64_t next_try_ms;
};

static void detach_socket(struct srv_mqtt *m)
{
    if (m->socket_up) {
        event_free(m->ev_read);
        event_free(m->ev_write);
        m->ev_read = NULL;
        m->ev_write = NULL;
        m->socket_up = false;
    }
}

static void want_write(struct srv_mqtt *m)
{
    if (m->socket_up && mosquitto_want_write(m->mosq)) {
        (void)event_add(m->ev_write, NULL);
    }
}

static void lost(struct srv_mqtt *m, int rc)
{
    if (m->s->mqtt_connected || m->socket_up) {
        srv_log(SRV_LOG_WARN, "mqtt", "broker connection lost: %s", mosquitto_strerror(rc));
    }
    m->s->mqtt_connected = false;
    detach_socket(m);
    m->backoff_ms = m->backoff_ms == 0 ? 250 : m->backoff_ms * 2;
    if (m->backoff_ms > 5000) {
        m->backoff_ms = 5000;
    }
    m->next_try_ms = srv_now_ms() + m->backoff_ms;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct srv_mqtt *m = arg;
    int rc = mosquitto_loop_read(m->mosq, 64);
    if (rc != MOSQ_ERR_SUCCESS) {
        lost(m, rc);
        return;
    }
    want_write(m);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct srv_mqtt *m = arg;
    int rc = mosquitto_loop_write(m->mosq, 64);
    if (rc != MOSQ_ERR_SUCCESS) {
        lost(m, rc);
        return;
    }
    want_write(m);
}

static bool attach_socket(struct srv_mqtt *m)
{
    m->sock = mosquitto_socket(m->mosq);
    if (m->sock < 0) {
        return false;
    }
    m->ev_read = event_new(m->s->base, m->sock, EV_READ | EV_PERSIST, on_read, m);
    m->ev_write = event_new(m->s->base, m->sock, EV_WRITE, on_write, m);
    if (m->ev_read == NULL || m->ev_write == NULL || event_add(m->ev_read, NULL) != 0) {
        return false;
    }
    m->socket_up = true;
    want_write(m);
    return true;
}

static void try_connect(struct srv_mqtt *m)
{
    struct srv *s = m->s;
    int rc = m->ever_connected ? mosquitto_reconnect(m->mosq)
                               : mosquitto_connect(m->mosq, s->cfg.mqtt_host, s->cfg.mqtt_port,
                                                   30);
    if (rc == MOSQ_ERR_SUCCESS) {
        m->ever_connected = true;
        if (!attach_socket(m)) {
            lost(m, MOSQ_ERR_NOMEM);
        }
        return;
    }
    if (m->backoff_ms == 0 || m->backoff_ms >= 5000) {
        srv_log(SRV_LOG_WARN, "mqtt", "cannot connect to %s:%d: %s (retrying)", s->cfg.mqtt_host,
                s->cfg.mqtt_port, mosquitto_strerror(rc));
    }
    lost(m, rc);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct srv_mqtt *m = arg;
    if (!m->socket_up) {
        if (!m->s->stopping && srv_now_ms() >= m->next_try_ms) {
            try_connect(m);
        }
        return;
    }
    int rc = mosquitto_loop_misc(m->mosq);
    if (rc != MOSQ_ERR_SUCCESS) {
        lost(m, rc);
        return;
    }
    want_write(m);
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc, int flags,
                       const mosquitto_property *props)
{
    (void)flags;
    (void)props;
    struct srv_mqtt *m = obj;
    struct srv *s = m->s;
    if (rc != 0) {
        srv_log(SRV_LOG_ERROR, "mqtt", "broker refused the connection: %s",
                mosquitto_reason_string(rc));
        return;
    }
    static const char *const kinds[] = {"online", "state", "event", "reply"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char topic[256];
        (void)snprintf(topic, sizeof topic, "%s/pump/+/%s", s->cfg.topic_prefix, kinds[i]);
        int src = mosquitto_subscribe_v5(mosq, NULL, topic, 1, 0, NULL);
        if (src != MOSQ_ERR_SUCCESS) {
            srv_log(SRV_LOG_ERROR, "mqtt", "subscribe %s: %s", topic, mosquitto_strerror(src));
        }
    }
    s->mqtt_connected = true;
    m->backoff_ms = 0;
    srv_log(SRV_LOG_INFO, "mqtt", "connected to %s:%d", s->cfg.mqtt_host, s->cfg.mqtt_port);
    pumps_on_connected(s);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg,
                       const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct srv_mqtt *m = obj;
    m->s->metrics.mqtt_messages++;
    pumps_on_message(m->s, msg->topic, msg->payload, msg->payloadlen < 0 ? 0
                                                                         : (size_t)msg->payloadlen);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc,
                          const mosquitto_property *props)
{
    (void)mosq;
    (void)props;
    struct srv_mqtt *m = obj;
    if (!m->s->stopping) {
        lost(m, rc);
    }
}

struct srv_mqtt *srv_mqtt_new(struct srv *s, char *err, size_t err_cap)
{
    struct srv_mqtt *m = calloc(1, sizeof *m);
    if (m == NULL) {
        (void)snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    m->s = s;
    (void)mosquitto_lib_init();
    m->mosq = mosquitto_new(s->cfg.mqtt_client_id, true, m);
    if (m->mosq == NULL) {
        (void)snprintf(err, err_cap, "cannot create the MQTT client");
        free(m);
        return NULL;
    }
    (void)mosquitto_int_option(m->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
    mosquitto_connect_v5_callback_set(m->mosq, on_connect);
    mosquitto_message_v5_callback_set(m->mosq, on_message);
    mosquitto_disconnect_v5_callback_set(m->mosq, on_disconnect);
    m->ev_timer = event_new(s->base, -1, EV_PERSIST, on_timer, m);
    struct timeval one = {1, 0};
    if (m->ev_timer == NULL || event_add(m->ev_timer, &one) != 0) {
        (void)snprintf(err, err_cap, "cannot start the MQTT timer");
        srv_mqtt_free(m);
        return NULL;
    }
    try_connect(m);
    return m;
}

bool srv_mqtt_publish(struct srv *s, const char *pump_id, const char *kind, const char *payload,
                      size_t len)
{
    struct srv_mqtt *m = s->mqtt;
    if (m == NULL || !m->socket_up || !s->mqtt_connected) {
        return false;
    }
    char topic[256];
    int n = snprintf(topic, sizeof topic, "%s/pump/%s/%s", s->cfg.topic_prefix, pump_id, kind);
    if (n < 0 || (size_t)n >= sizeof topic) {
        return false;
    }
    int rc = mosquitto_publish_v5(m->mosq, NULL, topic, (int)len, payload, 1, false, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        srv_log(SRV_LOG_WARN, "mqtt", "publish to %s: %s", topic, mosquitto_strerror(rc));
        return false;
    }
    want_write(m);
    return true;
}

void srv_mqtt_free(struct srv_mqtt *m)
{
    if (m == NULL) {
        return;
    }
    if (m->socket_up) {
        (void)mosquitto_disconnect_v5(m->mosq, 0, NULL);
        (void)mosquitto_loop_write(m->mosq, 1);
    }
    detach_socket(m);
    if (m->ev_timer != NULL) {
        event_free(m->ev_timer);
    }
    mosquitto_destroy(m->mosq);
    (void)mosquitto_lib_cleanup();
    free(m);
}
