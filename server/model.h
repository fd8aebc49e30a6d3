/*
 * model.h - what infusiond knows now about every pump, in memory: presence, the last state
 * snapshot (the pump protocol's "state" payload, docs/pump-protocol.md), the active alarms with
 * their nurse-station acknowledgement. The store holds the durable records; this is the view the
 * HTTP API, the server-sent events and the order checks read.
 *
 * Writers (the MQTT ingest, the order path, the alarm acknowledgement of the HTTP API) change a
 * pump and then call model_changed(): every listener (the SSE stream) is told, after the change
 * was committed to the store.
 */
#ifndef SRV_MODEL_H
#define SRV_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MODEL_ID_MAX 65
#define MODEL_ALARMS_MAX 32

struct model_alarm {
    uint64_t raised_seq;          /* seq of the record that raised it: the alarm's identity */
    uint32_t channel;
    char alarm[40];               /* "occlusion_downstream" (docs/pump.md) */
    char priority[8];             /* "high", "medium", "low" */
    bool silenced;
    int64_t raised_wall_ms;
    bool acked;                   /* acknowledged at the nurse station */
    char acked_by[MODEL_ID_MAX];
    int64_t acked_ms;
};

struct model_pump {
    char pump_id[MODEL_ID_MAX];
    bool online;
    int64_t first_seen_ms;        /* server clock */
    int64_t last_seen_ms;
    json_t *state;                /* last snapshot as received (owned), NULL before the first */
    int64_t state_wall_ms;        /* the snapshot's wall_ms */
    char care_area[MODEL_ID_MAX]; /* from the snapshot, "" none */
    char patient_id[MODEL_ID_MAX];
    uint64_t last_seq;            /* highest committed event seq */
    struct model_alarm alarms[MODEL_ALARMS_MAX]; /* active (raised, not cleared) */
    size_t n_alarms;
    uint64_t version;             /* bumped by model_changed */
    /* ingest bookkeeping (pumps.c) */
    bool seq_loaded;              /* last_seq was read from the store */
    int64_t state_saved_ms;       /* when the snapshot was last queued for the store */
    bool state_unsaved;           /* due for the store at the next snapshot flush */
};

typedef enum { MODEL_CHANGE_PUMP = 0, MODEL_CHANGE_ALARM } model_change;

/* Called after a committed change. alarm is NULL for MODEL_CHANGE_PUMP; for MODEL_CHANGE_ALARM it
 * is the alarm (still in p->alarms, or a copy of a cleared one with step "cleared"), and step is
 * "raised", "silenced", "acknowledged", "cleared", "acked" (at the nurse station). */
typedef void (*model_listener)(void *arg, model_change kind, const struct model_pump *p,
                               const struct model_alarm *alarm, const char *step,
                               int64_t event_wall_ms);

struct model;

struct model *model_new(void);
void model_free(struct model *m);
/* The pump, created (offline, no state) when create and unknown; NULL when not found / no memory. */
struct model_pump *model_pump(struct model *m, const char *pump_id, bool create);
size_t model_count(const struct model *m);
size_t model_online(const struct model *m);
/* Every pump, in pump id order: fn returns false to stop. */
void model_each(const struct model *m, bool (*fn)(void *arg, const struct model_pump *p),
                void *arg);

/* Alarm bookkeeping from event records (docs/scenario-format.md "alarm"). */
struct model_alarm *model_alarm_find(struct model_pump *p, uint64_t raised_seq);
struct model_alarm *model_alarm_find_name(struct model_pump *p, uint32_t channel,
                                          const char *alarm);

/* Listeners (at most 8). */
bool model_listen(struct model *m, model_listener fn, void *arg);
void model_changed(struct model *m, model_change kind, struct model_pump *p,
                   const struct model_alarm *alarm, const char *step, int64_t event_wall_ms);

/* The pump as the HTTP API shows it: {pump_id, online, first_seen_ms, last_seen_ms, care_area,
 * patient_id, state (the snapshot or null), alarms:[…]} (new reference, NULL without memory). */
json_t *model_pump_json(const struct model_pump *p);
json_t *model_alarm_json(const struct model_pump *p, const struct model_alarm *a);

#endif
