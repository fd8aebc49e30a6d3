/*
 * pump_channel.h - one infusion channel of a pump: the table-driven state machine, delivery
 * modes, PCA, titration, delivery accounting and alarms (docs/pump.md).
 *
 * Freestanding like the rest of the core: no heap, no I/O, no clock. The host owns the storage
 * (struct pump_channel, struct pump_log), sends every input as a struct pump_cmd through ONE entry
 * point, pump_channel_handle(), and reads the outputs from the struct afterwards (motor_on,
 * rate_nl_per_h, state, alarms, volumes). Time is an input: every command carries now_ms
 * (monotonic, never decreasing). Sensor readings and what the motor actually did arrive with the
 * TICK command; the core accounts volume from what the motor reports, not from what it asked.
 *
 * Host contract (so volume goes to the segment that delivered it):
 *   - send a TICK (with the motor's delivered volume since the previous tick) before any other
 *     command, at the same now_ms; send TICKs at least every watchdog_ms while the motor is on;
 *   - after every call apply motor_on / rate_nl_per_h, and never let the motor deliver more than
 *     segment_remaining_nl (when has_segment_limit) before the next call;
 *   - while relieve_pressure is set, release the downstream pressure (back off the plunger)
 *     instead of delivering.
 * Every program, titration and bolus goes through pump_ders_check() against the library the host
 * activated (PUMP_EV_LIBRARY_ACTIVATE); the core only borrows the library for the call.
 */
#ifndef PUMP_CHANNEL_H
#define PUMP_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_alarm.h"
#include "pump/pump_config.h"
#include "pump/pump_ders.h"
#include "pump/pump_library.h"
#include "pump/pump_log.h"
#include "pump/pump_num.h"
#include "pump/pump_status.h"

/*
 * States and their invariants (checked after every transition; a broken one enters FAULT):
 *   IDLE          no program; motor off.
 *   PROGRAMMED    a judged program (ACCEPT or SOFT_*) awaits the clinician's confirmation;
 *                 motor off.
 *   READY         confirmed, not started; motor off.
 *   RUNNING       the primary (or a secondary, is_secondary) delivers at rate_nl_per_h; motor
 *                 on unless the rate is 0 (a PCA program without basal).
 *   PAUSED        stopped by the clinician; motor off.
 *   BOLUS         a bolus, loading dose or PCA dose delivers; then back to RUNNING.
 *   KVO           primary VTBI infused; keep-vein-open rate <= the primary's rate; motor on.
 *   COMPLETE      VTBI infused and KVO is off; motor off.
 *   ALARM_STOPPED a stop alarm (or a power loss) stopped delivery; motor off.
 *   FAULT         impossible condition; motor off; latched: nothing leaves it but re-init.
 */
typedef enum {
    PUMP_ST_IDLE = 0,
    PUMP_ST_PROGRAMMED,
    PUMP_ST_READY,
    PUMP_ST_RUNNING,
    PUMP_ST_PAUSED,
    PUMP_ST_BOLUS,
    PUMP_ST_KVO,
    PUMP_ST_COMPLETE,
    PUMP_ST_ALARM_STOPPED,
    PUMP_ST_FAULT,
    PUMP_ST_COUNT
} pump_state;

/* Events: the first PUMP_EV_HOST_COUNT are commands the host sends; the rest are raised by the
 * core itself while handling a command (a host sending one gets PUMP_ERR_INVAL). */
typedef enum {
    PUMP_EV_PROGRAM = 0,      /* program: new primary program, judged by DERS */
    PUMP_EV_CONFIRM,          /* confirm: the clinician accepts the judged program */
    PUMP_EV_DECLINE,          /* confirm: ... or declines it */
    PUMP_EV_START,
    PUMP_EV_PAUSE,
    PUMP_EV_RESUME,
    PUMP_EV_STOP,             /* end the infusion: back to IDLE */
    PUMP_EV_TITRATE,          /* program: new dose/rate of the running primary */
    PUMP_EV_BOLUS,            /* program: bolus or loading dose from the entry */
    PUMP_EV_SECONDARY,        /* program: secondary/piggyback, then back to the primary */
    PUMP_EV_PCA_DEMAND,       /* the patient pressed the button */
    PUMP_EV_CLINICIAN_BOLUS,  /* program: the PCA program with pca.dose = the bolus */
    PUMP_EV_TICK,             /* tick: elapsed time, sensors, delivered volume */
    PUMP_EV_ALARM_ACK,        /* alarm */
    PUMP_EV_ALARM_SILENCE,    /* alarm */
    PUMP_EV_LIBRARY_ACTIVATE, /* library */
    PUMP_EV_POWER_LOSS,
    PUMP_EV_POWER_RESTORE,    /* power */
    PUMP_EV_HOST_COUNT,
    /* raised by the core */
    PUMP_EV_ALARM_STOP = PUMP_EV_HOST_COUNT, /* an alarm whose effect is STOP was raised */
    PUMP_EV_BOLUS_DONE,       /* the bolus volume is infused */
    PUMP_EV_SECONDARY_DONE,   /* the secondary VTBI is infused */
    PUMP_EV_VTBI_DONE_KVO,    /* the primary VTBI is infused and KVO is on */
    PUMP_EV_VTBI_DONE_STOP,   /* ... and KVO is off */
    PUMP_EV_COUNT
} pump_event;

/* Override reasons a clinician picks when confirming a soft alert. */
typedef enum {
    PUMP_OVR_NONE = 0,
    PUMP_OVR_ORDER_VERIFIED,     /* the prescriber's order was checked */
    PUMP_OVR_PATIENT_CONDITION,  /* the patient's condition requires it */
    PUMP_OVR_PROTOCOL,           /* an approved protocol */
    PUMP_OVR_TITRATION_ORDER,    /* titration ordered */
    PUMP_OVR_OTHER,              /* see the text */
    PUMP_OVR_COUNT
} pump_override_reason;

typedef enum {
    PUMP_BOLUS_KIND_BOLUS = 0,   /* bolus from the entry during a running infusion */
    PUMP_BOLUS_KIND_LOADING,     /* loading dose (also before the primary starts) */
    PUMP_BOLUS_KIND_PCA,         /* patient demand dose */
    PUMP_BOLUS_KIND_CLINICIAN,   /* clinician bolus of a PCA program */
    PUMP_BOLUS_KIND_COUNT
} pump_bolus_kind;

/* Why a PCA demand or clinician bolus was denied (record PUMP_REC_PCA, detail). */
typedef enum {
    PUMP_PCA_OK = 0,
    PUMP_PCA_LOCKOUT,       /* within lockout of the last granted dose */
    PUMP_PCA_FOUR_HOUR,     /* would exceed the four-hour limit */
    PUMP_PCA_NOT_DELIVERING,/* channel not RUNNING (paused, dose in progress, stopped ...) */
    PUMP_PCA_NOT_PCA,       /* the primary program is not PCA */
    PUMP_PCA_LOG_FULL,      /* the event log is above its high-water mark */
    PUMP_PCA_HISTORY_FULL,  /* PUMP_PCA_HISTORY_MAX doses inside the window already */
    PUMP_PCA_DENIAL_COUNT
} pump_pca_denial;

/* A clinician's confirmation of soft alerts. text is borrowed for the call; at most
 * PUMP_REASON_TEXT_MAX bytes are kept (longer is refused with PUMP_ERR_INVAL). */
struct pump_override {
    uint8_t reason; /* pump_override_reason; NONE = no confirmation given */
    const char *text;
    size_t text_len;
};

/* Sensor readings and motor report of one tick. */
struct pump_sensors {
    uint64_t delivered_nl;      /* counted motor steps since the previous tick, in nL */
    int32_t pressure_down_mmhg; /* downstream line pressure, gauge */
    int32_t pressure_up_mmhg;   /* upstream, gauge (negative: suction, upstream occlusion) */
    uint32_t air_bubble_nl;     /* largest single bubble seen since the previous tick */
    uint32_t air_total_nl;      /* all air seen since the previous tick */
    uint8_t battery_pct;        /* 0..100 */
    bool is_door_open;
    bool is_motor_stalled;
    bool is_container_empty;
};

/* One input. Pointers are borrowed for the call only. */
struct pump_cmd {
    uint8_t kind;    /* pump_event, < PUMP_EV_HOST_COUNT */
    uint64_t now_ms; /* monotonic; a decrease is refused with PUMP_ERR_TIME */
    union {
        /* PROGRAM, TITRATE, BOLUS, SECONDARY, CLINICIAN_BOLUS. ovr: for TITRATE, BOLUS,
         * SECONDARY and CLINICIAN_BOLUS a soft alert is confirmed with the command itself
         * (the host asks the clinician first); PROGRAM is confirmed by a later CONFIRM. */
        struct {
            const struct pump_library *lib; /* must be the activated library */
            const struct pump_program *prog;
            struct pump_override ovr;
        } program;
        struct pump_override confirm; /* CONFIRM */
        struct pump_sensors tick;     /* TICK */
        struct {
            uint8_t alarm; /* pump_alarm_id: ALARM_ACK, ALARM_SILENCE */
        } alarm;
        struct {
            const struct pump_library *lib; /* LIBRARY_ACTIVATE: id and version are copied */
        } library;
        struct {
            bool was_delivering; /* POWER_RESTORE after a restart: the host's persisted flag */
        } power;
    };
};

/* Per-channel settings (pump_channel_config_default gives documented defaults). */
struct pump_channel_config {
    uint8_t channel;                 /* number in records, < PUMP_CHANNELS_MAX */
    uint64_t max_rate_nl_per_h;      /* mechanism limit; 1 .. PUMP_RATE_MAX_NL_PER_H */
    uint64_t kvo_rate_nl_per_h;      /* 0 = no KVO (VTBI complete stops) */
    uint64_t pca_rate_nl_per_h;      /* rate of PCA demand and clinician doses */
    int32_t occl_down_mmhg;          /* downstream occlusion above this */
    int32_t occl_up_mmhg;            /* upstream occlusion below minus this */
    int32_t relief_mmhg;             /* resume only at or below this downstream pressure */
    uint32_t air_bubble_nl;          /* single bubble above this */
    uint32_t air_accum_nl;           /* air over PUMP_AIR_BUCKETS minutes above this */
    uint8_t battery_low_pct;         /* at or below: BATTERY_LOW */
    uint8_t battery_depleted_pct;    /* at or below: BATTERY_DEPLETED */
    uint32_t near_end_ms;            /* VTBI_NEAR_END this long before the end */
    uint32_t paused_reminder_ms;     /* PAUSED_TOO_LONG after this */
    uint32_t silence_ms;             /* audio pause, 1 .. PUMP_SILENCE_MAX_MS */
    uint32_t checkpoint_ms;          /* VOLUME record period while delivering */
    uint32_t watchdog_ms;            /* longest gap between ticks while the motor is on */
    uint64_t motor_slack_nl;         /* delivered may exceed commanded by this before FAULT */
};

/* The fastest rate the core accepts (2 L/h): keeps rate x time inside 64 bits. */
#define PUMP_RATE_MAX_NL_PER_H 2000000000ULL
/* Largest VTBI (10 L). */
#define PUMP_VTBI_MAX_NL 10000000000ULL

/* A program the channel keeps: everything copied out of the borrowed struct pump_program and
 * the DERS result, converted to integers. Read-only for the host. */
struct pump_rx {
    uint8_t mode;    /* pump_prog_mode */
    uint8_t outcome; /* pump_outcome of its DERS check */
    uint8_t limit;   /* pump_limit that decided it */
    bool has_entry;  /* false: basic infusion */
    uint8_t entry_len;
    uint8_t area_len;
    char entry[PUMP_ID_MAX];
    char area[PUMP_ID_MAX];
    uint32_t entry_index; /* in the activated library */
    uint64_t rate_nl_per_h;   /* PCA: the basal */
    uint64_t vtbi_nl;         /* 0: no VTBI (runs until stopped) */
    uint64_t duration_ms;     /* intermittent/bolus: as judged; 0 when none */
    bool has_dose;            /* continuous/fluid: the dose, for titration's current_dose */
    struct pump_q dose;
    bool has_conc;            /* amount per mL known: dose delivered can be computed */
    struct pump_q amount_per_ml;
    uint8_t amount_unit;      /* pump_amount of amount_per_ml */
    /* PCA, converted to volumes */
    uint64_t pca_dose_nl;
    uint64_t pca_lockout_ms;
    uint64_t pca_limit_nl;    /* four-hour limit; 0 = none */
};

struct pump_pca_dose {
    uint64_t time_ms;
    uint64_t nl;
};

struct pump_channel {
    /* ---- outputs (read-only for the host) ---- */
    uint8_t state;             /* pump_state; written only by pump_fsm.c */
    bool motor_on;
    uint64_t rate_nl_per_h;    /* commanded rate while motor_on */
    bool relieve_pressure;     /* release downstream pressure before anything else */
    bool has_segment_limit;
    uint64_t segment_remaining_nl; /* the motor may deliver at most this before the next call */
    bool has_time_remaining;
    uint64_t time_remaining_ms;    /* until the primary VTBI, at the current rate */
    bool is_secondary;         /* RUNNING delivers the secondary */
    uint8_t bolus_kind;        /* pump_bolus_kind, in BOLUS */
    struct pump_alarm_set alarms;

    /* volumes, all in nL (1 uL = 1000 nL) */
    uint64_t vol_primary_nl;   /* the primary program at its rate (counts toward its VTBI) */
    uint64_t vol_secondary_nl; /* the current/last secondary program */
    uint64_t vol_bolus_nl;     /* the current/last bolus */
    uint64_t vol_kvo_nl;       /* at the KVO rate after the primary's VTBI */
    uint64_t vol_drug_nl;      /* the primary's drug: primary + boluses + KVO (dose delivered) */
    uint64_t vol_infusion_nl;  /* everything since the primary started ("volume infused") */
    uint64_t vol_channel_nl;   /* everything since init, never reset */
    uint64_t commanded_nl;     /* rate x time the core asked for since init (exact, integer) */
    uint64_t delivered_nl;     /* what the motor reported since init */

    /* PCA counters (current program) */
    uint32_t pca_demands;
    uint32_t pca_granted;
    uint32_t pca_denied;
    uint32_t pca_clinician;
    /* The last granted dose (demand or clinician bolus) of the channel's PCA dose history, which
     * the lockout counts from. The history (these two and the doses in the four-hour window) is
     * kept across programs of the same library entry and concentration (stop, program, confirm
     * the same PCA entry again); a program of another entry (or not PCA) starts a fresh one. */
    uint64_t pca_last_grant_ms;
    bool pca_has_grant;

    /* programs */
    struct pump_rx primary;
    struct pump_rx pending;    /* PROGRAMMED: awaiting confirmation */
    struct pump_rx secondary;
    uint64_t bolus_target_nl;
    uint64_t bolus_rate_nl_per_h;
    uint64_t secondary_rate_nl_per_h;

    /* activated library */
    bool has_library;
    uint8_t library_id_len;
    uint8_t library_version_len;
    char library_id[PUMP_ID_MAX];
    char library_version[PUMP_ID_MAX];

    /* ---- private: the core's bookkeeping ---- */
    struct pump_channel_config cfg;
    struct pump_log *log;
    uint64_t now_ms;
    uint64_t last_tick_ms;
    uint64_t commanded_rem;     /* rate x ms not yet a whole nL (x 3,600,000) */
    uint64_t allowance_nl;      /* what the motor may have delivered in all (runaway check,
                                 * + motor_slack_nl): grows like commanded_nl, and at every
                                 * segment end is set to delivered_nl, both ways, so volume the
                                 * motor failed to deliver is no credit for a later runaway */
    uint64_t last_checkpoint_ms;
    uint64_t paused_since_ms;
    uint8_t pending_override;   /* override reason given at CONFIRM */
    bool pending_power_alarm;
    uint32_t pca_n_hist;
    uint32_t pca_i_hist;
    struct pump_pca_dose pca_hist[PUMP_PCA_HISTORY_MAX];
    uint32_t air_bucket[PUMP_AIR_BUCKETS];
    uint64_t air_bucket_start_ms;
    uint32_t air_i_bucket;
    uint32_t n_asserts;         /* PUMP_ASSERT failures (test builds read it) */
    struct pump_rx staged;      /* a judged program between its guard and its action */
    /* Scratch for pump_ders_check: too large for the stack budget of the core. */
    struct pump_program scratch_prog;
    struct pump_ders_result scratch_ders;
};

/* Documented defaults: max 1200 mL/h, KVO 1 mL/h, PCA doses at 100 mL/h, occlusion 600 mmHg
 * downstream / -250 mmHg upstream, relief 100 mmHg, air 50 uL single / 1 mL per 15 min,
 * battery low 20 % / depleted 5 %, near end 5 min, paused reminder 2 min, silence 2 min,
 * checkpoint 5 min, watchdog 5 s, motor slack 20 uL. */
void pump_channel_config_default(struct pump_channel_config *cfg);

/*
 * pump_channel_init - an IDLE channel over caller storage, writing to log (shared by a pump's
 * channels; must outlive the channel). cfg is copied.
 * Returns PUMP_OK, PUMP_ERR_INVAL (NULL, or cfg out of range: see pump_channel_config).
 */
pump_status pump_channel_init(struct pump_channel *ch, const struct pump_channel_config *cfg,
                              struct pump_log *log);

/*
 * pump_channel_handle - the one entry point: apply one command.
 * Context: the host's control loop only; not reentrant.
 * Returns:
 *   PUMP_OK               applied (the state may or may not have changed);
 *   PUMP_ERR_INVAL        malformed command (NULL, unknown or core-only kind, bad payload,
 *                         program for another entry than the running one, library not active,
 *                         a bolus while a secondary runs);
 *   PUMP_ERR_TIME         now_ms is earlier than the previous command's;
 *   PUMP_ERR_REFUSED      the event is not allowed in this state (state unchanged, recorded),
 *                         or the log is full and the command would start delivery (a guard's
 *                         refusal is recorded too: a REFUSED record, code = the status);
 *   PUMP_ERR_BLOCKED      DERS hard stop or invalid program (recorded; nothing changed);
 *   PUMP_ERR_NEED_REASON  soft alert not confirmed with a reason (recorded; nothing changed);
 *   PUMP_ERR_DENIED       PCA demand or clinician bolus denied (recorded);
 *   PUMP_ERR_NOT_READY    START, RESUME or a loading dose from READY while a stop alarm's cause
 *                         is present (e.g. pressure not yet relieved; recorded: REFUSED);
 *   PUMP_ERR_INTERNAL     an invariant broke: the channel is now FAULT (motor off, latched).
 */
pump_status pump_channel_handle(struct pump_channel *ch, const struct pump_cmd *cmd);

/*
 * pump_channel_dose_delivered - the primary drug's dose delivered so far, exactly:
 * vol_drug_nl x amount_per_ml / 10^6, in primary.amount_unit (a pump_amount).
 * Returns PUMP_OK, PUMP_ERR_NOT_FOUND (no concentration: fluid, basic), PUMP_ERR_RANGE,
 * PUMP_ERR_INVAL.
 */
pump_status pump_channel_dose_delivered(const struct pump_channel *ch, struct pump_q *dose_out);

/* The volume of the program now delivering (primary, secondary, bolus or KVO) in nL. */
uint64_t pump_channel_program_volume_nl(const struct pump_channel *ch);

/* Nanolitres of PCA doses counted in the four-hour window ending at now_ms (granted doses of the
 * channel's PCA dose history, including those of earlier programs of the same entry, plus four
 * hours of the current basal). */
uint64_t pump_channel_pca_window_nl(const struct pump_channel *ch, uint64_t now_ms);

/* Static names for JSON ("running", "pca_demand", "order_verified", "loading", "lockout");
 * "?" when corrupt. */
const char *pump_state_str(pump_state s);
const char *pump_event_str(pump_event e);
const char *pump_override_reason_str(pump_override_reason r);
const char *pump_bolus_kind_str(pump_bolus_kind k);
const char *pump_pca_denial_str(pump_pca_denial d);

#endif
