/*
 * fuzz_server_input.c - infusiond's untrusted inputs through the real code paths: MQTT messages
 * from pumps (pumps_on_message: online/state/event/reply payloads) and MLLP frames on the PCD-03
 * port (orders_on_frame), each followed by the group commit into a real SQLite store, so the
 * decoding, the model updates, the store writes and the order checks all run.
 *
 * Input: byte 0 picks the path (mod 5: online, state, event, reply, MLLP frame), byte 1 the pump
 * id (one of four, so the model stays small); the rest is the payload. Properties checked after
 * every input: the store commits (no failed group), and the model's counts stay sane.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mllp_in.h"
#include "oi_json.h"
#include "orders.h"
#include "pumps.h"
#include "server.h"
#include "log.h"

static struct srv g_srv;
static struct oi_druglib g_lib;

static void setup(void)
{
    static char dir[] = "/tmp/oi-fuzz-srv.XXXXXX";
    char db[128];
    char err[256];
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    (void)snprintf(db, sizeof db, "sqlite:%s/fuzz.db", dir);
    srv_log_setup(false, SRV_LOG_ERROR);
    struct srv *s = &g_srv;
    s->cfg.topic_prefix = strdup("infusion/v1");
    s->cfg.associate_from_order = true;
    s->cfg.order_max_age_s = 0;
    s->cfg.max_frame_kib = 64;
    s->base = event_base_new();
    s->store = store_open(db, err, sizeof err);
    s->model = model_new();
    struct oi_diag diag;
    memset(&diag, 0, sizeof diag);
    if (oi_druglib_load_file(OI_SOURCE_DIR "/examples/general-hospital.json", &g_lib, &diag) ==
        OI_LOAD_OK) {
        s->lib = &g_lib.lib;
    }
    oi_diag_free(&diag);
    if (s->cfg.topic_prefix == NULL || s->base == NULL || s->store == NULL || s->model == NULL ||
        !srv_commit_init(s) || !orders_init(s)) {
        (void)fprintf(stderr, "fuzz setup failed: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const kinds[] = {"online", "state", "event", "reply"};
    static const char *const pumps[] = {"SIM-0001", "SIM-0002", "F.3", "f_4"};
    if (g_srv.base == NULL) {
        setup();
    }
    if (size < 2) {
        return 0;
    }
    struct srv *s = &g_srv;
    unsigned path = data[0] % 5U;
    const char *pump = pumps[data[1] % 4U];
    const char *payload = (const char *)data + 2;
    size_t len = size - 2;
    uint64_t failures = s->metrics.commit_failures;
    if (path < 4) {
        char topic[96];
        (void)snprintf(topic, sizeof topic, "infusion/v1/pump/%s/%s", pump, kinds[path]);
        pumps_on_message(s, topic, payload, len);
    } else {
        struct mllp_conn *c = mllp_conn_detached(s);
        if (c == NULL) {
            return 0;
        }
        orders_on_frame(s, c, payload, len);
        mllp_conn_unref(c);
    }
    pumps_flush_states(s); /* the snapshot save the timer would do, so its store path is fuzzed */
    srv_commit_flush(s);
    if (s->metrics.commit_failures != failures) {
        (void)fprintf(stderr, "a group commit failed: %s\n", store_errmsg(s->store));
        abort();
    }
    if (model_online(s->model) > model_count(s->model) || model_count(s->model) > 4) {
        abort();
    }
    return 0;
}
