/*
 * infusiond_main.c - start the parts in dependency order, run the loop, and on SIGTERM/SIGINT
 * stop taking new work, commit what is queued, let answers drain, and close everything.
 */
#define _POSIX_C_SOURCE 200809L

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "doc.h"
#include "http.h"
#include "log.h"
#include "mllp_in.h"
#include "mqtt_link.h"
#include "pumps.h"
#include "oi_json.h"
#include "orders.h"
#include "outbox.h"
#include "server.h"

static void on_drained(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    struct srv *s = arg;
    if (s->stopping) {
        srv_log(SRV_LOG_WARN, "main", "second signal: stopping now");
        event_base_loopbreak(s->base);
        return;
    }
    s->stopping = true;
    srv_log(SRV_LOG_INFO, "main", "%s: finishing in-flight work",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* No new orders or requests; what was received is committed and answered. */
    srv_mllp_free(s->mllp);
    s->mllp = NULL;
    pumps_flush_states(s);
    srv_commit_flush(s);
    /* Give the answers (ACK^O15, event_ack) half a second to leave. */
    struct timeval half = {0, 500000};
    (void)event_base_once(s->base, -1, EV_TIMEOUT, on_drained, s->base, &half);
}

static bool write_port_file(const struct srv *s)
{
    if (s->cfg.port_file == NULL) {
        return true;
    }
    char tmp[4096];
    (void)snprintf(tmp, sizeof tmp, "%s.tmp", s->cfg.port_file);
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        return false;
    }
    (void)fprintf(f, "mllp=%d\nhttp=%d\n", srv_mllp_port(s->mllp), srv_http_port(s->http));
    bool ok = fclose(f) == 0;
    return ok && rename(tmp, s->cfg.port_file) == 0;
}

int main(int argc, char **argv)
{
    static struct srv s;
    int rc = srv_config_load(&s.cfg, argc, argv);
    if (rc != 0) {
        srv_config_free(&s.cfg);
        return rc == 1 ? 0 : 2;
    }
    srv_log_level level = SRV_LOG_INFO;
    if (!srv_log_level_parse(s.cfg.log_level, &level)) {
        (void)fprintf(stderr, "infusiond: --log-level: \"%s\" is not debug, info, warn or error\n",
                      s.cfg.log_level);
        srv_config_free(&s.cfg);
        return 2;
    }
    srv_log_setup(s.cfg.log_json, level);
    (void)signal(SIGPIPE, SIG_IGN);
    s.started_ms = srv_now_ms();

    char err[512] = "";
    int exit_code = 1;
    struct oi_druglib dl;
    bool have_lib = false;
    struct event *sigterm = NULL;
    struct event *sigint = NULL;
    memset(&dl, 0, sizeof dl);

    if (s.cfg.library != NULL) {
        struct oi_diag diag;
        memset(&diag, 0, sizeof diag);
        if (oi_druglib_load_file(s.cfg.library, &dl, &diag) != OI_LOAD_OK) {
            srv_log(SRV_LOG_ERROR, "main", "drug library %s is not usable (check it with "
                    "`infusionctl library validate`)", s.cfg.library);
            oi_diag_free(&diag);
            exit_code = 2;
            goto out;
        }
        oi_diag_free(&diag);
        have_lib = true;
        s.lib = &dl.lib;
    }
    s.base = event_base_new();
    if (s.base == NULL) {
        goto out;
    }
    s.store = store_open(s.cfg.db, err, sizeof err);
    if (s.store == NULL) {
        srv_log(SRV_LOG_ERROR, "main", "store %s: %s", s.cfg.db, err);
        goto out;
    }
    s.model = model_new();
    if (s.model == NULL || !srv_commit_init(&s) || !orders_init(&s)) {
        srv_log(SRV_LOG_ERROR, "main", "cannot start: out of memory or store failure");
        goto out;
    }
    if ((s.outbox = srv_outbox_new(&s, err, sizeof err)) == NULL ||
        (s.http = srv_http_new(&s, err, sizeof err)) == NULL ||
        (s.mllp = srv_mllp_new(&s, err, sizeof err)) == NULL ||
        (s.mqtt = srv_mqtt_new(&s, err, sizeof err)) == NULL) {
        srv_log(SRV_LOG_ERROR, "main", "cannot start: %s", err);
        goto out;
    }
    if (!doc_start(&s) || !pumps_start(&s)) {
        srv_log(SRV_LOG_ERROR, "main", "cannot start the PCD-01 or snapshot timer");
        goto out;
    }
    sigterm = evsignal_new(s.base, SIGTERM, on_signal, &s);
    sigint = evsignal_new(s.base, SIGINT, on_signal, &s);
    if (sigterm == NULL || sigint == NULL || event_add(sigterm, NULL) != 0 ||
        event_add(sigint, NULL) != 0) {
        goto out;
    }
    if (!write_port_file(&s)) {
        srv_log(SRV_LOG_ERROR, "main", "cannot write --port-file %s", s.cfg.port_file);
        goto out;
    }
    srv_log(SRV_LOG_INFO, "main",
            "infusiond %s: store %s (schema %d), MLLP %s:%d, HTTP %s:%d, MQTT %s:%d, library %s",
            OI_VERSION, s.cfg.db, store_schema_version(s.store), s.cfg.mllp_bind,
            srv_mllp_port(s.mllp), s.cfg.http_bind, srv_http_port(s.http), s.cfg.mqtt_host,
            s.cfg.mqtt_port, s.cfg.library != NULL ? s.cfg.library : "(none)");
    (void)event_base_dispatch(s.base);
    exit_code = 0;
    srv_log(SRV_LOG_INFO, "main", "stopped: %llu events stored, %llu orders received",
            (unsigned long long)s.metrics.events_stored,
            (unsigned long long)s.metrics.orders_received);
out:
    if (sigterm != NULL) {
        event_free(sigterm);
    }
    if (sigint != NULL) {
        event_free(sigint);
    }
    if (s.base != NULL) {
        doc_stop(&s);
        if (s.store != NULL) {
            pumps_stop(&s); /* the snapshots still due go into the last group commit */
        }
    }
    srv_mllp_free(s.mllp);
    srv_http_free(s.http);
    if (s.commitq != NULL && s.store != NULL) {
        srv_commit_free(&s);
    }
    srv_mqtt_free(s.mqtt);
    srv_outbox_free(s.outbox);
    orders_free(&s);
    model_free(s.model);
    store_close(s.store);
    if (s.base != NULL) {
        event_base_free(s.base);
    }
    if (have_lib) {
        oi_druglib_free(&dl);
    }
    srv_config_free(&s.cfg);
    return exit_code;
}
