/*
 * scenario.h - a scenario file (docs/scenario-format.md) parsed into an in-memory step list.
 *
 * Parsing reads no file but the scenario text itself: the library path is recorded (relative to
 * the scenario's directory) and loaded by the runner. Every problem is reported with the place it
 * is in ("steps[3] (at 10s): unknown action \"warp\""), and a scenario with any problem is not
 * run at all: programs are parsed into struct pump_program here (a program object that does not
 * parse is a scenario error; one that parses but the DERS rejects is a run-time outcome), times
 * must not go backwards, names of states, alarms, faults and events must exist.
 */
#ifndef PUMPD_SCENARIO_H
#define PUMPD_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hal_sim.h"
#include "pump/pump_ders.h"
#include "pump/pump_num.h"

/* Largest scenario file read. */
#define SCENARIO_MAX_BYTES (4u * 1024u * 1024u)
/* Most steps in one scenario. */
#define SCENARIO_MAX_STEPS 100000u
/* Latest time a step may have: 400 days of simulated time. */
#define SCENARIO_MAX_TIME_MS (400ULL * 24U * 3600000ULL)

typedef enum {
    SCN_PROGRAM = 0,     /* a program object: DERS, then programmed (awaiting confirmation) */
    SCN_CONFIRM,         /* the clinician confirms (reason for a soft-limit override) */
    SCN_DECLINE,         /* the clinician declines the program */
    SCN_START,
    SCN_TITRATE,         /* a new program for the running infusion (through DERS) */
    SCN_BOLUS,           /* a bolus/loading program on top of the running infusion */
    SCN_SECONDARY,       /* a secondary (piggyback) program */
    SCN_PCA_DEMAND,      /* the patient presses the button */
    SCN_CLINICIAN_BOLUS, /* PCA clinician bolus: the PCA program with pca.dose = the bolus */
    SCN_PAUSE,
    SCN_RESUME,
    SCN_STOP,
    SCN_ACKNOWLEDGE,     /* acknowledge an alarm */
    SCN_SILENCE,         /* silence an alarm (at most 2 minutes) */
    SCN_FAULT,           /* inject a hardware fault */
    SCN_CLEAR,           /* end a hardware fault */
    SCN_POWER_LOSS,      /* the pump loses power: the run ends, or restarts from the data
                            directory after restore_after_ms */
    SCN_EXPECT,
    SCN_COUNT
} scenario_action;

/* One expectation; fields not given are not checked. */
struct scenario_expect {
    const char *status; /* result of the last command step (names_status_parse) */
    const char *state;  /* state name */
    bool has_alarms;
    const char **alarms; /* exact set of active alarms (points into the step's JSON) */
    size_t n_alarms;
    const char *alarm; /* this alarm is active (others may be too) */
    const char *no_alarm; /* this alarm is not active */
    bool has_rate;
    struct pump_q rate_ml_h; /* the rate the channel runs at now */
    struct pump_q rate_tolerance_ml_h;
    bool has_volume;
    struct pump_q volume_ml; /* volume infused on the channel since the run began */
    bool has_tolerance;
    struct pump_q tolerance_ml; /* default: one motor step */
    bool has_bolus_max;
    struct pump_q unintended_bolus_max_ml; /* trapped volume that reached the patient when an
                                              occlusion cleared (simulator), at most this */
    const json_t *event;    /* an event with all these fields was emitted, at or before now */
    const json_t *no_event; /* no emitted event has all these fields */
    bool has_since;
    uint64_t since_ms; /* event/no_event: only events at or after since_ms */
};

struct scenario_step {
    uint64_t at_ms;
    uint32_t index; /* position in "steps", 0-based */
    uint8_t action; /* scenario_action */
    /* SCN_PROGRAM, SCN_TITRATE, SCN_BOLUS, SCN_SECONDARY, SCN_CLINICIAN_BOLUS: the parsed program (strings borrow from
     * the scenario's JSON). */
    struct pump_program prog;
    /* SCN_CONFIRM, and SCN_TITRATE/BOLUS/SECONDARY/CLINICIAN_BOLUS (confirmed with the command):
     * override reason name and optional text. */
    const char *reason;
    const char *reason_text;
    const char *note;
    /* SCN_ACKNOWLEDGE, SCN_SILENCE: alarm name. */
    const char *alarm;
    /* SCN_FAULT, SCN_CLEAR. */
    struct hal_fault fault;
    /* SCN_POWER_LOSS. */
    bool has_restore;
    uint64_t restore_after_ms;
    /* SCN_EXPECT. */
    struct scenario_expect expect;
};

/* Hardware and simulation settings ("hardware" object). */
struct scenario_hw {
    struct hal_sim_config sim;
    uint64_t tick_ms;      /* control loop period (default 100 ms) */
    uint64_t idle_tick_ms; /* the period at rest: motor off, no alarm (default 1000 ms) */
};

struct scenario {
    json_t *root; /* owns every string the steps point to */
    const char *name;
    const char *library; /* path as written (NULL: the data directory's active library);
                            resolve with scenario_library_path() */
    const char *pump_id;
    const char *care_area;
    const char *patient_id;
    uint64_t seed;
    uint64_t end_ms; /* the run lasts until here (default: the last step's time) */
    struct scenario_hw hw;
    struct scenario_step *steps; /* malloc'd, n_steps */
    size_t n_steps;
};

struct scenario_error {
    char msg[512];
};

typedef enum {
    SCENARIO_OK = 0,
    SCENARIO_INVALID = 1 /* err->msg says what and where */
} scenario_status;

/*
 * scenario_parse_text - parse a scenario from text[0..len).
 * On SCENARIO_OK *out owns its storage (scenario_free); otherwise *out holds nothing to free.
 */
scenario_status scenario_parse_text(const char *text, size_t len, struct scenario *out,
                                    struct scenario_error *err);

/* Read and parse a file (at most SCENARIO_MAX_BYTES). */
scenario_status scenario_parse_file(const char *path, struct scenario *out,
                                    struct scenario_error *err);

/* The library path resolved against the scenario file's directory into buf (false when it does
 * not fit or the scenario names no library). An absolute library path is used as is. */
bool scenario_library_path(const struct scenario *sc, const char *scenario_path, char *buf,
                           size_t cap);

void scenario_free(struct scenario *sc);

/* "program", "expect" ...; "?" for an unknown value. */
const char *scenario_action_str(scenario_action a);

/* "1h30m", "250ms", "0s": a time for messages. buf needs 32 bytes. */
const char *scenario_time_str(uint64_t ms, char *buf, size_t cap);

/* Parse a duration text: one or more <digits><unit>, unit ms, s, m, h or d ("1h30m", "90s").
 * false on bad syntax or beyond SCENARIO_MAX_TIME_MS. */
bool scenario_parse_duration(const char *text, uint64_t *out_ms);

#endif
