/*
 * model.c - the in-memory pump view (model.h): an open-addressing hash of pump ids, grown by
 * doubling; pumps are allocated one by one so pointers stay valid while the table grows.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_LISTENERS_MAX 8

struct model {
    struct model_pump **slots;
    size_t cap; /* power of two */
    size_t count;
    struct {
        model_listener fn;
        void *arg;
    } listeners[MODEL_LISTENERS_MAX];
    size_t n_listeners;
};

static uint64_t hash_id(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct model *model_new(void)
{
    struct model *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    m->cap = 64;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void model_free(struct model *m)
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] != NULL) {
            json_decref(m->slots[i]->state);
            free(m->slots[i]);
        }
    }
    free(m->slots);
    free(m);
}

static size_t slot_of(struct model_pump *const *slots, size_t cap, const char *id)
{
    size_t i = (size_t)hash_id(id) & (cap - 1);
    while (slots[i] != NULL && strcmp(slots[i]->pump_id, id) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return i;
}

static bool grow(struct model *m)
{
    size_t cap = m->cap * 2;
    struct model_pump **slots = calloc(cap, sizeof *slots);
    if (slots == NULL) {
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] != NULL) {
            slots[slot_of(slots, cap, m->slots[i]->pump_id)] = m->slots[i];
        }
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return true;
}

struct model_pump *model_pump(struct model *m, const char *pump_id, bool create)
{
    size_t len = strlen(pump_id);
    if (len == 0 || len >= MODEL_ID_MAX) {
        return NULL;
    }
    size_t i = slot_of(m->slots, m->cap, pump_id);
    if (m->slots[i] != NULL || !create) {
        return m->slots[i];
    }
    /* Keep the load under one half. */
    if ((m->count + 1) * 2 > m->cap) {
        if (!grow(m)) {
            return NULL;
        }
        i = slot_of(m->slots, m->cap, pump_id);
    }
    struct model_pump *p = calloc(1, sizeof *p);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p->pump_id, pump_id, len + 1);
    m->slots[i] = p;
    m->count++;
    return p;
}

size_t model_count(const struct model *m)
{
    return m->count;
}

size_t model_online(const struct model *m)
{
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] != NULL && m->slots[i]->online) {
            n++;
        }
    }
    return n;
}

static int cmp_pump(const void *a, const void *b)
{
    const struct model_pump *const *pa = a;
    const struct model_pump *const *pb = b;
    return strcmp((*pa)->pump_id, (*pb)->pump_id);
}

void model_each(const struct model *m, bool (*fn)(void *arg, const struct model_pump *p),
                void *arg)
{
    if (m->count == 0) {
        return;
    }
    const struct model_pump **list = malloc(m->count * sizeof *list);
    if (list == NULL) {
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i] != NULL) {
            list[n++] = m->slots[i];
        }
    }
    qsort(list, n, sizeof *list, cmp_pump);
    for (size_t i = 0; i < n; i++) {
        if (!fn(arg, list[i])) {
            break;
        }
    }
    free(list);
}

struct model_alarm *model_alarm_find(struct model_pump *p, uint64_t raised_seq)
{
    for (size_t i = 0; i < p->n_alarms; i++) {
        if (p->alarms[i].raised_seq == raised_seq) {
            return &p->alarms[i];
        }
    }
    return NULL;
}

struct model_alarm *model_alarm_find_name(struct model_pump *p, uint32_t channel,
                                          const char *alarm)
{
    for (size_t i = 0; i < p->n_alarms; i++) {
        if (p->alarms[i].channel == channel && strcmp(p->alarms[i].alarm, alarm) == 0) {
            return &p->alarms[i];
        }
    }
    return NULL;
}

bool model_listen(struct model *m, model_listener fn, void *arg)
{
    if (m->n_listeners == MODEL_LISTENERS_MAX) {
        return false;
    }
    m->listeners[m->n_listeners].fn = fn;
    m->listeners[m->n_listeners].arg = arg;
    m->n_listeners++;
    return true;
}

void model_changed(struct model *m, model_change kind, struct model_pump *p,
                   const struct model_alarm *alarm, const char *step, int64_t event_wall_ms)
{
    p->version++;
    for (size_t i = 0; i < m->n_listeners; i++) {
        m->listeners[i].fn(m->listeners[i].arg, kind, p, alarm, step, event_wall_ms);
    }
}

json_t *model_alarm_json(const struct model_pump *p, const struct model_alarm *a)
{
    char id[MODEL_ID_MAX + 24];
    (void)snprintf(id, sizeof id, "%s/%llu", p->pump_id, (unsigned long long)a->raised_seq);
    return json_pack("{s:s, s:s, s:I, s:i, s:s, s:s, s:b, s:I, s:b, s:o, s:o, s:s, s:s}",
                     "alarm_id", id, "pump_id", p->pump_id, "raised_seq",
                     (json_int_t)a->raised_seq, "channel", (int)a->channel, "alarm", a->alarm,
                     "priority", a->priority, "silenced", a->silenced, "raised_wall_ms",
                     (json_int_t)a->raised_wall_ms, "acked", a->acked, "acked_by",
                     a->acked ? json_string(a->acked_by) : json_null(), "acked_ms",
                     a->acked ? json_integer((json_int_t)a->acked_ms) : json_null(),
                     "patient_id", p->patient_id, "care_area", p->care_area);
}

json_t *model_pump_json(const struct model_pump *p)
{
    json_t *alarms = json_array();
    if (alarms == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < p->n_alarms; i++) {
        if (json_array_append_new(alarms, model_alarm_json(p, &p->alarms[i])) != 0) {
            json_decref(alarms);
            return NULL;
        }
    }
    return json_pack("{s:s, s:b, s:I, s:I, s:s?, s:s?, s:O?, s:I, s:o}", "pump_id", p->pump_id,
                     "online", p->online, "first_seen_ms", (json_int_t)p->first_seen_ms,
                     "last_seen_ms", (json_int_t)p->last_seen_ms, "care_area",
                     p->care_area[0] != '\0' ? p->care_area : NULL, "patient_id",
                     p->patient_id[0] != '\0' ? p->patient_id : NULL, "state", p->state,
                     "last_seq", (json_int_t)p->last_seq, "alarms", alarms);
}
