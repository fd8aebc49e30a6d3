/*
 * store.c - the repository's front: picks the backend from the URL, checks arguments once for
 * every backend, keeps the last error, and computes the audit chain's hash (one definition, so a
 * chain written by one backend verifies in another). Contract: store.h.
 */
#include "store_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

store_status store__fail(struct store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return STORE_ERR;
}

/* msg then detail into err, cut to err_cap - 1 bytes (copied by hand: the capacity is the
 * caller's, so the compiler cannot prove an snprintf fits). */
static void set_err(char *err, size_t err_cap, const char *msg, const char *detail)
{
    size_t used = 0;
    if (err == NULL || err_cap == 0U) {
        return;
    }
    for (const char *p = msg; *p != '\0' && used + 1U < err_cap; p++) {
        err[used++] = *p;
    }
    for (const char *p = detail; *p != '\0' && used + 1U < err_cap; p++) {
        err[used++] = *p;
    }
    err[used] = '\0';
}

struct store *store__open_max(const char *url, int max_version, char *err, size_t err_cap)
{
    struct store *s;
    const char *path = url;
    bool is_pg_url;
    if (url == NULL || url[0] == '\0') {
        set_err(err, err_cap, "store: empty database url", "");
        return NULL;
    }
    is_pg_url = strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
    if (strncmp(url, "sqlite:", 7) == 0) {
        path = url + 7;
    }
    if (path[0] == '\0') {
        set_err(err, err_cap, "store: empty SQLite path in url ", url);
        return NULL;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        set_err(err, err_cap, "store: out of memory", "");
        return NULL;
    }
    s->backend = is_pg_url ? STORE_BACKEND_PG : STORE_BACKEND_SQLITE;
    if ((is_pg_url ? store__pg_open(s, url, max_version)
                   : store__lite_open(s, path, max_version)) != STORE_OK) {
        set_err(err, err_cap, s->err, "");
        store_close(s);
        return NULL;
    }
    return s;
}

struct store *store_open(const char *url, char *err, size_t err_cap)
{
    return store__open_max(url, INT_MAX, err, err_cap);
}

void store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    store__lite_close(s);
    store__pg_close(s);
    free(s);
}

const char *store_errmsg(const struct store *s)
{
    return (s == NULL) ? "store: no store" : s->err;
}

static bool is_pg(const struct store *s)
{
    return s->backend == STORE_BACKEND_PG;
}

int store_schema_version(struct store *s)
{
    return (s == NULL) ? 0 : s->schema_version;
}

/* Required text arguments: NULL is a caller error reported through the store, not a crash. */
static bool missing(struct store *s, const char *what, const char *v)
{
    if (v == NULL) {
        (void)store__fail(s, "store: %s is required", what);
        return true;
    }
    return false;
}

store_status store_begin(struct store *s)
{
    return (s == NULL) ? STORE_ERR
                       : (is_pg(s) ? store__pg_exec_named(s, 0) : store__lite_exec_named(s, 0));
}

store_status store_begin_bookkeeping(struct store *s)
{
    return (s == NULL) ? STORE_ERR
                       : (is_pg(s) ? store__pg_exec_named(s, 3) : store__lite_exec_named(s, 3));
}

store_status store_commit(struct store *s)
{
    return (s == NULL) ? STORE_ERR
                       : (is_pg(s) ? store__pg_exec_named(s, 1) : store__lite_exec_named(s, 1));
}

store_status store_rollback(struct store *s)
{
    return (s == NULL) ? STORE_ERR
                       : (is_pg(s) ? store__pg_exec_named(s, 2) : store__lite_exec_named(s, 2));
}

store_status store_pump_touch(struct store *s, const char *pump_id, int64_t now_ms)
{
    if (s == NULL || missing(s, "pump_id", pump_id)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_pump_touch(s, pump_id, now_ms)
                     : store__lite_pump_touch(s, pump_id, now_ms));
}

store_status store_pump_set_online(struct store *s, const char *pump_id, bool online,
                                   int64_t now_ms)
{
    if (s == NULL || missing(s, "pump_id", pump_id)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_pump_set_online(s, pump_id, online, now_ms)
                     : store__lite_pump_set_online(s, pump_id, online, now_ms));
}

store_status store_pump_set_state(struct store *s, const char *pump_id, const char *state_json,
                                  const char *care_area, const char *patient_id, int64_t now_ms)
{
    if (s == NULL || missing(s, "pump_id", pump_id) || missing(s, "state_json", state_json)) {
        return STORE_ERR;
    }
    return (
        is_pg(s)
            ? store__pg_pump_set_state(s, pump_id, state_json, care_area, patient_id, now_ms)
            : store__lite_pump_set_state(s, pump_id, state_json, care_area, patient_id, now_ms));
}

store_status store_pump_last_seq(struct store *s, const char *pump_id, uint64_t *seq)
{
    if (s == NULL || missing(s, "pump_id", pump_id)) {
        return STORE_ERR;
    }
    if (seq == NULL) {
        return store__fail(s, "store: seq output is required");
    }
    return (is_pg(s) ? store__pg_pump_last_seq(s, pump_id, seq)
                     : store__lite_pump_last_seq(s, pump_id, seq));
}

/*
 * JSON columns are parsed back by the queries, and clinical rows can never be corrected: text
 * that is not a JSON object is refused before it is stored, not discovered when read.
 */
static bool not_json_object(struct store *s, const char *what, const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, 0, &jerr);
    bool bad = !json_is_object(v);
    if (bad) {
        (void)store__fail(s, "store: %s is not a JSON object: %s", what,
                          v == NULL ? jerr.text : "another JSON value");
    }
    json_decref(v);
    return bad;
}

/* SQLite and PostgreSQL integers are signed 64-bit: larger unsigned values cannot be stored. */
static bool too_big(struct store *s, const char *what, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX) {
        (void)store__fail(s, "store: %s %llu is beyond the storable range", what,
                          (unsigned long long)v);
        return true;
    }
    return false;
}

store_status store_event_add(struct store *s, const struct store_event *e)
{
    if (s == NULL) {
        return STORE_ERR;
    }
    if (e == NULL) {
        return store__fail(s, "store: event is required");
    }
    if (missing(s, "event pump_id", e->pump_id) || missing(s, "event type", e->type) ||
        missing(s, "event json", e->json) || too_big(s, "event seq", e->seq) ||
        too_big(s, "event time_ms", e->time_ms)) {
        return STORE_ERR;
    }
    if (e->seq == 0U) {
        return store__fail(s, "store: event seq 0 (seqs start at 1)");
    }
    if (not_json_object(s, "event json", e->json)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_event_add(s, e) : store__lite_event_add(s, e));
}

json_t *store_events_query(struct store *s, const struct store_event_filter *f)
{
    if (s == NULL) {
        return NULL;
    }
    if (f == NULL) {
        (void)store__fail(s, "store: event filter is required");
        return NULL;
    }
    return (is_pg(s) ? store__pg_events_query(s, f) : store__lite_events_query(s, f));
}

store_status store_patient_seen(struct store *s, const char *patient_id, const char *family,
                                const char *given, int64_t now_ms)
{
    if (s == NULL || missing(s, "patient_id", patient_id)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_patient_seen(s, patient_id, family, given, now_ms)
                     : store__lite_patient_seen(s, patient_id, family, given, now_ms));
}

store_status store_order_add(struct store *s, const struct store_order *o, int64_t *order_id)
{
    if (s == NULL) {
        return STORE_ERR;
    }
    if (o == NULL || order_id == NULL) {
        return store__fail(s, "store: order and order_id output are required");
    }
    if (missing(s, "order sender", o->sender) || missing(s, "order control_id", o->control_id) ||
        missing(s, "order placer_id", o->placer_id) || missing(s, "order pump_id", o->pump_id) ||
        missing(s, "order patient_id", o->patient_id) || missing(s, "order drug", o->drug) ||
        missing(s, "order raw", o->raw)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_order_add(s, o, order_id) : store__lite_order_add(s, o, order_id));
}

store_status store_order_status_add(struct store *s, int64_t order_id, const char *status,
                                    const char *detail, int64_t now_ms)
{
    if (s == NULL || missing(s, "status", status)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_order_status_add(s, order_id, status, detail, now_ms)
                     : store__lite_order_status_add(s, order_id, status, detail, now_ms));
}

json_t *store_orders_query(struct store *s, const char *pump_id, size_t limit)
{
    return (s == NULL) ? NULL
                       : (is_pg(s) ? store__pg_orders_query(s, pump_id, limit)
                                   : store__lite_orders_query(s, pump_id, limit));
}

store_status store_command_add(struct store *s, const char *cmd_id, const char *pump_id,
                               const char *type, int64_t order_id, const char *json, int64_t now_ms)
{
    if (s == NULL || missing(s, "cmd_id", cmd_id) || missing(s, "pump_id", pump_id) ||
        missing(s, "command type", type) || missing(s, "command json", json) ||
        not_json_object(s, "command json", json)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_command_add(s, cmd_id, pump_id, type, order_id, json, now_ms)
                     : store__lite_command_add(s, cmd_id, pump_id, type, order_id, json, now_ms));
}

store_status store_reply_add(struct store *s, const char *cmd_id, const char *result,
                             const char *json, int64_t now_ms)
{
    if (s == NULL || missing(s, "cmd_id", cmd_id) || missing(s, "reply result", result) ||
        missing(s, "reply json", json) || not_json_object(s, "reply json", json)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_reply_add(s, cmd_id, result, json, now_ms)
                     : store__lite_reply_add(s, cmd_id, result, json, now_ms));
}

store_status store_command_order(struct store *s, const char *cmd_id, int64_t *order_id,
                                 char *pump_id, size_t pump_id_cap)
{
    if (s == NULL || missing(s, "cmd_id", cmd_id)) {
        return STORE_ERR;
    }
    if (order_id == NULL || (pump_id == NULL && pump_id_cap > 0U)) {
        return store__fail(s, "store: order_id output is required");
    }
    return (is_pg(s) ? store__pg_command_order(s, cmd_id, order_id, pump_id, pump_id_cap)
                     : store__lite_command_order(s, cmd_id, order_id, pump_id, pump_id_cap));
}

json_t *store_commands_open(struct store *s)
{
    return (s == NULL) ? NULL
                       : (is_pg(s) ? store__pg_commands_open(s) : store__lite_commands_open(s));
}

store_status store_alarm_ack_add(struct store *s, const char *pump_id, uint64_t raised_seq,
                                 const char *user, int64_t now_ms)
{
    if (s == NULL || missing(s, "pump_id", pump_id) || missing(s, "user", user) ||
        too_big(s, "raised_seq", raised_seq)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_alarm_ack_add(s, pump_id, raised_seq, user, now_ms)
                     : store__lite_alarm_ack_add(s, pump_id, raised_seq, user, now_ms));
}

store_status store_outbox_add(struct store *s, const char *dest, const char *control_id,
                              const char *kind, const char *message, size_t len, int64_t now_ms,
                              int64_t *id)
{
    struct store_outbox_msg probe;
    if (s == NULL || missing(s, "outbox dest", dest) ||
        missing(s, "outbox control_id", control_id) || missing(s, "outbox kind", kind) ||
        missing(s, "outbox message", message)) {
        return STORE_ERR;
    }
    if (id == NULL) {
        return store__fail(s, "store: outbox id output is required");
    }
    /* store_outbox_head hands these back in fixed fields: refuse what would not fit there. */
    if (strlen(dest) >= sizeof probe.dest || strlen(control_id) >= sizeof probe.control_id ||
        strlen(kind) >= sizeof probe.kind) {
        return store__fail(s, "store: outbox dest/control_id/kind too long (max %zu/%zu/%zu)",
                           sizeof probe.dest - 1U, sizeof probe.control_id - 1U,
                           sizeof probe.kind - 1U);
    }
    if (len > (size_t)INT_MAX) {
        return store__fail(s, "store: outbox message of %zu bytes is too long", len);
    }
    return (is_pg(s) ? store__pg_outbox_add(s, dest, control_id, kind, message, len, now_ms, id)
                     : store__lite_outbox_add(s, dest, control_id, kind, message, len, now_ms, id));
}

store_status store_outbox_head(struct store *s, const char *dest, struct store_outbox_msg *out)
{
    if (s == NULL || missing(s, "outbox dest", dest)) {
        return STORE_ERR;
    }
    if (out == NULL) {
        return store__fail(s, "store: outbox output is required");
    }
    return (is_pg(s) ? store__pg_outbox_head(s, dest, out) : store__lite_outbox_head(s, dest, out));
}

store_status store_outbox_retry(struct store *s, int64_t id, int64_t next_try_ms, const char *why)
{
    return (s == NULL) ? STORE_ERR
                       : (is_pg(s) ? store__pg_outbox_retry(s, id, next_try_ms, why)
                                   : store__lite_outbox_retry(s, id, next_try_ms, why));
}

store_status store_outbox_acked(struct store *s, int64_t id, const char *ack_code,
                                const char *ack_text, int64_t now_ms)
{
    if (s == NULL || missing(s, "ack_code", ack_code)) {
        return STORE_ERR;
    }
    return (is_pg(s) ? store__pg_outbox_acked(s, id, ack_code, ack_text, now_ms)
                     : store__lite_outbox_acked(s, id, ack_code, ack_text, now_ms));
}

json_t *store_outbox_depths(struct store *s)
{
    return (s == NULL) ? NULL
                       : (is_pg(s) ? store__pg_outbox_depths(s) : store__lite_outbox_depths(s));
}

void store_outbox_msg_free(struct store_outbox_msg *m)
{
    if (m != NULL) {
        free(m->message);
        m->message = NULL;
        m->message_len = 0;
    }
}

store_status store_audit_add(struct store *s, const char *actor, const char *action,
                             const char *detail, int64_t now_ms)
{
    if (s == NULL || missing(s, "audit actor", actor) || missing(s, "audit action", action)) {
        return STORE_ERR;
    }
    return (is_pg(s)
                ? store__pg_audit_add(s, actor, action, detail != NULL ? detail : "", now_ms)
                : store__lite_audit_add(s, actor, action, detail != NULL ? detail : "", now_ms));
}

store_status store_audit_verify(struct store *s, uint64_t *rows)
{
    if (s == NULL) {
        return STORE_ERR;
    }
    if (rows == NULL) {
        return store__fail(s, "store: rows output is required");
    }
    return (is_pg(s) ? store__pg_audit_verify(s, rows) : store__lite_audit_verify(s, rows));
}

/* ---- audit hash ---------------------------------------------------------------------------- */

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* Appends "name:LEN:BYTES\n" - length-prefixed, so no field can forge the next one. */
static size_t put_field(unsigned char *buf, size_t at, const char *name, const char *v)
{
    size_t n = strlen(v);
    int k = sprintf((char *)buf + at, "%s:%zu:", name, n);
    at += (size_t)k;
    memcpy(buf + at, v, n);
    at += n;
    buf[at] = (unsigned char)'\n';
    return at + 1U;
}

/*
 * Canonical text (docs/storage.md, "Audit chain"), after the 32 bytes of the previous hash:
 *   oi-audit-v1\n seq:ID\n time_ms:MS\n actor:LEN:TEXT\n action:LEN:TEXT\n detail:LEN:TEXT\n
 * Decimal numbers, LEN in bytes; no spaces. Any language can rebuild it without a JSON library.
 */
store_status store__audit_hash(struct store *s, const char *prev_hex, int64_t id, const char *actor,
                               const char *action, const char *detail, int64_t at_ms,
                               char out_hex[STORE_HASH_HEX_BYTES])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    size_t cap = 32U + 128U + 3U * 48U + strlen(actor) + strlen(action) + strlen(detail);
    unsigned char *buf;
    size_t at = 0;
    int ok;
    if (strlen(prev_hex) != 64U) {
        return store__fail(s, "store: audit previous hash is not 64 hex digits");
    }
    buf = malloc(cap);
    if (buf == NULL) {
        return store__fail(s, "store: out of memory hashing an audit record");
    }
    for (size_t i = 0; i < 32U; i++) {
        int hi = hex_value(prev_hex[2U * i]);
        int lo = hex_value(prev_hex[2U * i + 1U]);
        if (hi < 0 || lo < 0) {
            free(buf);
            return store__fail(s, "store: audit previous hash is not lower-case hex");
        }
        buf[at++] = (unsigned char)((hi << 4) | lo);
    }
    at += (size_t)sprintf((char *)buf + at, "oi-audit-v1\nseq:%lld\ntime_ms:%lld\n", (long long)id,
                          (long long)at_ms);
    at = put_field(buf, at, "actor", actor);
    at = put_field(buf, at, "action", action);
    at = put_field(buf, at, "detail", detail);
    ok = EVP_Digest(buf, at, md, &md_len, EVP_sha256(), NULL);
    free(buf);
    if (ok != 1 || md_len != 32U) {
        return store__fail(s, "store: SHA-256 failed (OpenSSL)");
    }
    for (size_t i = 0; i < 32U; i++) {
        out_hex[2U * i] = digits[md[i] >> 4];
        out_hex[2U * i + 1U] = digits[md[i] & 0x0fU];
    }
    out_hex[64] = '\0';
    return STORE_OK;
}
