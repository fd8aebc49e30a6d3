/*
 * cmd_panel.c - pumpd panel: a nurse programs a simulated pump by hand, one command per line on
 * stdin, answers on stdout (plain text, no terminal control, so a test can drive it).
 *
 * The panel only collects what the nurse types into a program object (the same JSON shape as
 * everywhere, parsed by the JSON adapter) and sends commands to the pump; the core judges every
 * program (DERS) and decides every state change. The DERS verdict shown is the core's own
 * pump_ders_check on the same program.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load.h"
#include "mqtt_pump.h"
#include "names.h"
#include "pumpd.h"
#include "scenario.h"
#include "sim_pump.h"

static const char panel_usage[] =
    "usage: pumpd panel --library FILE [--care-area ID] [--weight-kg KG] [--data-dir DIR]\n"
    "                   [--pump-id ID] [--broker HOST:PORT [--topic-prefix P] [--resend-s S]]\n"
    "\n"
    "Program a simulated pump by hand: one command per line on stdin (type \"help\"), answers\n"
    "on stdout. Simulated time moves only with \"wait\". Without --library, --data-dir must hold\n"
    "an active library.\n"
    "With --broker the pump is on an MQTT broker (pump protocol v1) in real time: it takes\n"
    "programs from the server (\"confirm\"/\"decline\" answer them), \"wait\" lets real time\n"
    "pass while it serves the network.\n"
    "exit status: 0 at \"quit\" or end of input, 2 usage error or unusable library\n";

static const char help_text[] =
    "commands:\n"
    "  areas | area N|ID                 list care areas / select one\n"
    "  entries | entry N|ID|basic        list the area's drug entries / select one\n"
    "  mode MODE                         continuous, intermittent, bolus, loading, pca, fluid, "
    "basic\n"
    "  weight KG | bsa M2 | dose X | rate ML_H | duration MIN | vtbi ML\n"
    "  pca DOSE LOCKOUT_MIN [BASAL [FOUR_HOUR_LIMIT]]\n"
    "  review                            the DERS verdict without programming\n"
    "  program                           send the program to the pump (DERS verdict, alerts)\n"
    "  confirm [REASON [TEXT]] | decline confirm the program (a reason for soft alerts:\n"
    "                                    order_verified, patient_condition, protocol,\n"
    "                                    titration_order, other)\n"
    "  start | pause | resume | stop\n"
    "  titrate DOSE [REASON] | bolus DOSE [DURATION_MIN] [REASON] | demand\n"
    "  ack ALARM | silence ALARM\n"
    "  fault NAME [VALUE] | clear NAME   inject a hardware fault (air: bubble uL, battery: %)\n"
    "  wait DURATION                     let time pass (\"30s\", \"10m\", \"1h\")\n"
    "  status | clear-program | help | quit\n";

enum { O_LIBRARY, O_AREA, O_WEIGHT, O_DATA_DIR, O_PUMP_ID, O_BROKER, O_TOPIC, O_RESEND, O_N };

static const struct cli_optdef panel_opts[O_N] = {
    {"--library", true}, {"--care-area", true}, {"--weight-kg", true}, {"--data-dir", true},
    {"--pump-id", true}, {"--broker", true}, {"--topic-prefix", true}, {"--resend-s", true},
};

#define FIELD_MAX 32

struct panel {
    const struct pump_library *lib;
    struct sim_pump *pump;
    bool has_area;
    uint32_t area;
    bool has_entry;
    uint32_t entry;
    bool basic;
    char mode[FIELD_MAX];
    char weight[FIELD_MAX];
    char bsa[FIELD_MAX];
    char dose[FIELD_MAX];
    char rate[FIELD_MAX];
    char duration[FIELD_MAX];
    char vtbi[FIELD_MAX];
    char pca[4][FIELD_MAX];
    bool quit;
    struct broker_panel *net; /* --broker: the pump is on the network (cmd_broker_panel.c) */
};

/* ---- output helpers --------------------------------------------------------------------------- */

static void print_libstr(const struct pump_library *lib, struct pump_str s)
{
    (void)fwrite(pump_library_str(lib, s), 1, s.len, stdout);
}

static void q_text(struct pump_q q, char *buf, size_t cap)
{
    if (pump_q_format(q, 4, buf, cap) != PUMP_OK) {
        (void)snprintf(buf, cap, "?");
    }
}

static void unit_text(struct pump_unit u, char *buf, size_t cap)
{
    if (pump_unit_format(u, buf, cap) != PUMP_OK) {
        (void)snprintf(buf, cap, "?");
    }
}

static void nl_text(uint64_t nl, char *buf, size_t cap)
{
    struct pump_q q;
    if (pump_q_make((int64_t)nl, 1000000, &q) != PUMP_OK) {
        q = pump_q_int(0);
    }
    q_text(q, buf, cap);
}

/* Human lines for the records the pump writes while the nurse works. */
static void panel_sink(void *arg, const struct pump_log_record *r)
{
    char tb[32];
    (void)arg;
    if (r->type == (uint8_t)PUMP_REC_ALARM) {
        (void)printf("  [%s] ALARM %s %s (%s priority)\n",
                     scenario_time_str(r->time_ms, tb, sizeof tb),
                     pump_alarm_str((pump_alarm_id)r->code),
                     pump_alarm_step_str((pump_alarm_step)r->detail),
                     pump_priority_str((pump_priority)r->extra));
    } else if (r->type == (uint8_t)PUMP_REC_STATE && r->from != r->to) {
        (void)printf("  [%s] %s -> %s (%s)\n", scenario_time_str(r->time_ms, tb, sizeof tb),
                     pump_state_str((pump_state)r->from), pump_state_str((pump_state)r->to),
                     r->event < (uint8_t)PUMP_EV_COUNT ? pump_event_str((pump_event)r->event)
                                                        : "?");
    } else if (r->type == (uint8_t)PUMP_REC_PCA) {
        (void)printf("  [%s] PCA demand %s%s%s\n", scenario_time_str(r->time_ms, tb, sizeof tb),
                     r->code == 1U ? "granted" : "denied", r->code == 1U ? "" : ": ",
                     r->code == 1U ? "" : pump_pca_denial_str((pump_pca_denial)r->detail));
    } else {
        /* other records are in the event log (pumpd log) */
    }
}

static void print_status(const struct panel *pn)
{
    const struct pump_channel *ch = &pn->pump->ch;
    char rate[48];
    char vol[48];
    char tb[32];
    unsigned i;
    int n = 0;
    nl_text(sim_pump_rate_nl_per_h(pn->pump), rate, sizeof rate);
    nl_text(sim_pump_volume_nl(pn->pump), vol, sizeof vol);
    (void)printf("status at %s: %s, rate %s mL/h, volume infused %s mL",
                 scenario_time_str(pn->pump->now_ms, tb, sizeof tb),
                 pump_state_str((pump_state)ch->state), rate, vol);
    if (ch->primary.vtbi_nl > 0 && ch->state != (uint8_t)PUMP_ST_IDLE) {
        nl_text(ch->primary.vtbi_nl, vol, sizeof vol);
        (void)printf(", VTBI %s mL", vol);
    }
    if (ch->has_time_remaining) {
        (void)printf(", %s left", scenario_time_str(ch->time_remaining_ms, tb, sizeof tb));
    }
    (void)printf("\nalarms:");
    for (i = 0; i < (unsigned)PUMP_ALM_COUNT; i++) {
        if (pump_alarm_is_active(&ch->alarms, (pump_alarm_id)i)) {
            (void)printf("%s %s (%s%s)", n > 0 ? "," : "", pump_alarm_str((pump_alarm_id)i),
                         pump_priority_str(pump_alarm_priority((pump_alarm_id)i)),
                         pump_alarm_is_audible(&ch->alarms, (pump_alarm_id)i, pn->pump->now_ms)
                             ? ", sounding"
                             : "");
            n++;
        }
    }
    (void)printf("%s\n", n == 0 ? " none" : "");
}

/* ---- selection -------------------------------------------------------------------------------- */

static void list_areas(const struct panel *pn)
{
    uint32_t i;
    for (i = 0; i < pn->lib->n_areas; i++) {
        const struct pump_care_area *a = &pn->lib->st.areas[i];
        (void)printf("  %u  ", i + 1U);
        print_libstr(pn->lib, a->id);
        (void)printf("  ");
        print_libstr(pn->lib, a->name);
        (void)printf("\n");
    }
}

static bool select_index(const char *arg, uint32_t n, uint32_t *out)
{
    char *end = NULL;
    unsigned long v = strtoul(arg, &end, 10);
    if (arg[0] >= '0' && arg[0] <= '9' && *end == '\0' && v >= 1 && v <= n) {
        *out = (uint32_t)(v - 1U);
        return true;
    }
    return false;
}

static void reset_program(struct panel *pn)
{
    pn->mode[0] = '\0';
    pn->dose[0] = '\0';
    pn->rate[0] = '\0';
    pn->duration[0] = '\0';
    pn->vtbi[0] = '\0';
    memset(pn->pca, 0, sizeof pn->pca);
}

static void cmd_area(struct panel *pn, const char *arg)
{
    uint32_t idx = 0;
    if (arg == NULL) {
        (void)printf("area needs a number or an id (see \"areas\")\n");
        return;
    }
    if (!select_index(arg, pn->lib->n_areas, &idx) &&
        pump_library_find_area(pn->lib, arg, strlen(arg), &idx) != PUMP_OK) {
        (void)printf("no care area %s (see \"areas\")\n", arg);
        return;
    }
    pn->has_area = true;
    pn->area = idx;
    pn->has_entry = false;
    pn->basic = false;
    reset_program(pn);
    (void)printf("care area: ");
    print_libstr(pn->lib, pn->lib->st.areas[idx].id);
    (void)printf(" (");
    print_libstr(pn->lib, pn->lib->st.areas[idx].name);
    (void)printf(")\n");
}

/* Entries of the selected area, in library order; number k is the k-th of this area. */
static bool area_entry(const struct panel *pn, uint32_t k, uint32_t *out)
{
    uint32_t i;
    uint32_t seen = 0;
    for (i = 0; i < pn->lib->n_entries; i++) {
        if (pn->lib->st.entries[i].area == pn->area) {
            if (seen == k) {
                *out = i;
                return true;
            }
            seen++;
        }
    }
    return false;
}

static void list_entries(const struct panel *pn)
{
    uint32_t k = 0;
    uint32_t i = 0;
    char u[PUMP_UNIT_TEXT_MAX];
    if (!pn->has_area) {
        (void)printf("select a care area first (\"areas\", \"area N\")\n");
        return;
    }
    while (area_entry(pn, k, &i)) {
        const struct pump_entry *e = &pn->lib->st.entries[i];
        unit_text(e->dosing_unit, u, sizeof u);
        (void)printf("  %u  ", k + 1U);
        print_libstr(pn->lib, e->id);
        (void)printf("  ");
        print_libstr(pn->lib, e->display_name);
        (void)printf("  %s, %s%s\n", pump_entry_mode_str((pump_entry_mode)e->mode), u,
                     e->high_alert ? ", HIGH ALERT" : "");
        k++;
    }
}

static const char *default_mode(pump_entry_mode m)
{
    switch (m) {
    case PUMP_ENTRY_CONTINUOUS:
        return "continuous";
    case PUMP_ENTRY_INTERMITTENT:
        return "intermittent";
    case PUMP_ENTRY_PCA:
        return "pca";
    case PUMP_ENTRY_FLUID:
        return "fluid";
    case PUMP_ENTRY_MODE_COUNT:
    default:
        return "continuous";
    }
}

static void cmd_entry(struct panel *pn, const char *arg)
{
    uint32_t k = 0;
    uint32_t idx = 0;
    char u[PUMP_UNIT_TEXT_MAX];
    const struct pump_entry *e;
    if (!pn->has_area) {
        (void)printf("select a care area first (\"areas\", \"area N\")\n");
        return;
    }
    if (arg == NULL) {
        (void)printf("entry needs a number, an id or \"basic\" (see \"entries\")\n");
        return;
    }
    reset_program(pn);
    if (strcmp(arg, "basic") == 0) {
        pn->has_entry = false;
        pn->basic = true;
        (void)snprintf(pn->mode, sizeof pn->mode, "basic");
        (void)printf("basic infusion (no drug library entry): set \"rate\" in mL/h\n");
        return;
    }
    if (!(select_index(arg, 100000, &k) && area_entry(pn, k, &idx)) &&
        pump_library_find_entry(pn->lib, arg, strlen(arg), &idx) != PUMP_OK) {
        (void)printf("no entry %s (see \"entries\")\n", arg);
        return;
    }
    e = &pn->lib->st.entries[idx];
    pn->has_entry = true;
    pn->basic = false;
    pn->entry = idx;
    (void)snprintf(pn->mode, sizeof pn->mode, "%s",
                   default_mode((pump_entry_mode)e->mode));
    unit_text(e->dosing_unit, u, sizeof u);
    (void)printf("entry: ");
    print_libstr(pn->lib, e->id);
    (void)printf(" (");
    print_libstr(pn->lib, e->display_name);
    (void)printf("), mode %s, dose in %s\n", pn->mode, u);
    if (e->clinical_advisory.len > 0) {
        (void)printf("advisory: ");
        print_libstr(pn->lib, e->clinical_advisory);
        (void)printf("\n");
    }
}

/* ---- the program object ----------------------------------------------------------------------- */

/* A number as the nurse typed it: JSON number syntax only (the adapter and DERS judge it). */
static json_t *number_of(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (v != NULL && !json_is_number(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

static bool set_number(json_t *o, const char *key, const char *text)
{
    json_t *v;
    if (text[0] == '\0') {
        return true;
    }
    v = number_of(text);
    if (v == NULL) {
        (void)printf("%s: \"%s\" is not a number\n", key, text);
        return false;
    }
    return json_object_set_new(o, key, v) == 0;
}

/* The program object for the current selection; dose_text/mode override the fields (titrate,
 * bolus). NULL after printing why. */
static json_t *build_program(const struct panel *pn, const char *mode, const char *dose_text,
                             const char *duration_text)
{
    json_t *o;
    char u[PUMP_UNIT_TEXT_MAX];
    bool ok = true;
    const struct pump_entry *e = pn->has_entry ? &pn->lib->st.entries[pn->entry] : NULL;

    if (!pn->has_area || (e == NULL && !pn->basic)) {
        (void)printf("select a care area and an entry (or \"entry basic\") first\n");
        return NULL;
    }
    o = json_object();
    if (o == NULL) {
        return NULL;
    }
    ok = json_object_set_new(o, "care_area",
                             json_stringn(pump_library_str(pn->lib, pn->lib->st.areas[pn->area].id),
                                          pn->lib->st.areas[pn->area].id.len)) == 0;
    if (ok && e != NULL) {
        ok = json_object_set_new(o, "entry",
                                 json_stringn(pump_library_str(pn->lib, e->id), e->id.len)) == 0;
    }
    ok = ok && json_object_set_new(o, "mode", json_string(mode)) == 0;
    ok = ok && set_number(o, "weight_kg", pn->weight) && set_number(o, "bsa_m2", pn->bsa);
    if (ok && strcmp(mode, "pca") == 0) {
        json_t *p = json_object();
        static const char *const keys[4] = {"dose", "lockout_min", "basal", "four_hour_limit"};
        int i;
        ok = p != NULL && json_object_set_new(o, "pca", p) == 0;
        for (i = 0; ok && i < 4; i++) {
            ok = set_number(p, keys[i], pn->pca[i]);
        }
    } else if (ok && strcmp(mode, "basic") != 0) {
        if (e != NULL) {
            bool bolus = strcmp(mode, "bolus") == 0 || strcmp(mode, "loading") == 0;
            unit_text(bolus ? e->bolus_unit : e->dosing_unit, u, sizeof u);
            ok = json_object_set_new(o, "dose_unit", json_string(u)) == 0;
        }
        ok = ok && set_number(o, "dose", dose_text);
    }
    ok = ok && set_number(o, "rate_ml_h", pn->rate) &&
         set_number(o, "duration_min", duration_text) &&
         (strcmp(mode, "bolus") == 0 || strcmp(mode, "loading") == 0 ||
          set_number(o, "vtbi_ml", pn->vtbi));
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *reason_text(uint8_t r)
{
    switch ((pump_reason)r) {
    case PUMP_R_CARE_AREA_UNKNOWN:
        return "unknown care area";
    case PUMP_R_ENTRY_UNKNOWN:
        return "unknown entry";
    case PUMP_R_ENTRY_OTHER_AREA:
        return "the entry belongs to another care area";
    case PUMP_R_ENTRY_MISSING:
        return "no entry selected";
    case PUMP_R_ENTRY_FOR_BASIC:
        return "a basic infusion names no entry";
    case PUMP_R_MODE_MISMATCH:
        return "the mode does not fit the entry";
    case PUMP_R_NO_BOLUS:
        return "the entry has no bolus";
    case PUMP_R_MISSING:
        return "a required value is missing";
    case PUMP_R_NOT_POSITIVE:
        return "a value is zero, negative or unusable";
    case PUMP_R_UNIT_UNKNOWN:
        return "unknown unit";
    case PUMP_R_UNIT_MISMATCH:
        return "the dose unit differs from the entry's";
    case PUMP_R_UNIT_FAMILY:
        return "the concentration is in another amount family";
    case PUMP_R_NOT_FOR_MODE:
        return "a value does not belong to this mode";
    case PUMP_R_DURATION_AND_RATE:
        return "give a duration or a rate, not both";
    case PUMP_R_NO_DURATION:
        return "a duration (or a rate) is needed";
    case PUMP_R_RATE_BELOW_MIN:
        return "the rate is below the care area's minimum";
    case PUMP_R_BASIC_NOT_ALLOWED:
        return "basic infusions are not allowed in this care area";
    case PUMP_R_CONC_NOT_CUSTOM:
        return "the entry has a standard concentration";
    case PUMP_R_TOO_LARGE:
        return "numbers too large to judge exactly";
    case PUMP_R_NONE:
    case PUMP_R_COUNT:
    default:
        return "invalid program";
    }
}

static void violation_unit(const struct pump_violation *v, char *buf, size_t cap)
{
    if (pump_violation_unit_format(v, buf, cap) != PUMP_OK) {
        (void)snprintf(buf, cap, "?");
    }
}

static void print_verdict(const struct pump_ders_result *res)
{
    uint32_t i;
    char a[48];
    char b[48];
    char u[PUMP_UNIT_TEXT_MAX + 4];
    const char *lim = pump_limit_str((pump_limit)res->limit);
    (void)printf("DERS: %s%s%s%s\n", pump_outcome_str((pump_outcome)res->outcome),
                 lim[0] != '\0' ? " (" : "", lim, lim[0] != '\0' ? ")" : "");
    if (res->outcome == (uint8_t)PUMP_REJECT_INVALID) {
        (void)printf("  %s%s%s\n", reason_text(res->reason),
                     res->reason_input != (uint8_t)PUMP_IN_NONE ? ": " : "",
                     res->reason_input != (uint8_t)PUMP_IN_NONE
                         ? pump_input_str((pump_input)res->reason_input)
                         : "");
    }
    for (i = 0; i < res->n_violations && i < PUMP_DERS_MAX_VIOLATIONS; i++) {
        const struct pump_violation *v = &res->violations[i];
        bool above = v->bound == (uint8_t)PUMP_SOFT_MAX || v->bound == (uint8_t)PUMP_HARD_MAX;
        q_text(v->value, a, sizeof a);
        q_text(v->bound_value, b, sizeof b);
        violation_unit(v, u, sizeof u);
        (void)printf("  %s: %s %s %s is %s the %s %s\n",
                     pump_outcome_str((pump_outcome)v->outcome),
                     pump_limit_str((pump_limit)v->limit), a, u, above ? "above" : "below",
                     pump_bound_str((pump_bound)v->bound), b);
    }
    if (res->has_rate) {
        q_text(res->rate_ml_h, a, sizeof a);
        (void)printf("  rate %s mL/h", a);
        if (res->has_volume) {
            q_text(res->volume_ml, a, sizeof a);
            (void)printf(", volume %s mL", a);
        }
        if (res->has_duration) {
            q_text(res->duration_min, a, sizeof a);
            (void)printf(", duration %s min", a);
        }
        (void)printf("\n");
    }
}

/* Judge (and with send, program) the current selection. */
static void cmd_program(struct panel *pn, bool send)
{
    json_t *o = build_program(pn, pn->mode, pn->dose, pn->duration);
    struct pump_program prog;
    struct pump_ders_result res;
    struct pump_cmd cmd;
    char err[256];
    pump_status st;
    if (o == NULL) {
        return;
    }
    if (!oi_program_from_json(o, &prog, err, sizeof err)) {
        (void)printf("the program is malformed: %s\n", err);
        json_decref(o);
        return;
    }
    if (pump_ders_check(pn->lib, &prog, &res) == PUMP_OK) {
        print_verdict(&res);
    }
    if (send) {
        memset(&cmd, 0, sizeof cmd);
        cmd.kind = (uint8_t)PUMP_EV_PROGRAM;
        cmd.program.lib = pn->lib;
        cmd.program.prog = &prog;
        st = sim_pump_command(pn->pump, &cmd);
        if (st == PUMP_OK && (res.outcome == (uint8_t)PUMP_SOFT_LOW ||
                              res.outcome == (uint8_t)PUMP_SOFT_HIGH)) {
            (void)printf("soft alert: \"confirm REASON\" to override, \"decline\" to drop it\n");
        } else if (st == PUMP_OK) {
            (void)printf("programmed: \"confirm\" to accept, \"decline\" to drop it\n");
        } else if (st == PUMP_ERR_BLOCKED) {
            (void)printf("HARD STOP: this program cannot run; change it\n");
        } else {
            (void)printf("refused: %s\n", pump_status_str(st));
        }
    }
    json_decref(o);
}

/* titrate / bolus: a program sent with its own confirmation. */
static void cmd_program_change(struct panel *pn, pump_event ev, const char *mode,
                               const char *dose, const char *duration, const char *reason)
{
    json_t *o;
    struct pump_program prog;
    struct pump_ders_result res;
    struct pump_cmd cmd;
    char err[256];
    pump_status st;
    pump_override_reason r = PUMP_OVR_NONE;
    if (dose == NULL) {
        (void)printf("give the new dose\n");
        return;
    }
    if (reason != NULL && !names_reason_parse(reason, &r)) {
        (void)printf("unknown reason %s\n", reason);
        return;
    }
    o = build_program(pn, mode, dose, duration != NULL ? duration : "");
    if (o == NULL) {
        return;
    }
    if (!oi_program_from_json(o, &prog, err, sizeof err)) {
        (void)printf("the program is malformed: %s\n", err);
        json_decref(o);
        return;
    }
    if (pump_ders_check(pn->lib, &prog, &res) == PUMP_OK) {
        print_verdict(&res);
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)ev;
    cmd.program.lib = pn->lib;
    cmd.program.prog = &prog;
    cmd.program.ovr.reason = (uint8_t)r;
    st = sim_pump_command(pn->pump, &cmd);
    (void)printf("%s: %s\n", pump_event_str(ev), st == PUMP_OK ? "done" : pump_status_str(st));
    json_decref(o);
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static void simple(struct panel *pn, pump_event ev)
{
    struct pump_cmd cmd;
    pump_status st;
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)ev;
    st = sim_pump_command(pn->pump, &cmd);
    (void)printf("%s: %s\n", pump_event_str(ev), st == PUMP_OK ? "done" : pump_status_str(st));
}

static void cmd_confirm(struct panel *pn, const char *reason, const char *text)
{
    struct pump_cmd cmd;
    pump_override_reason r = PUMP_OVR_NONE;
    pump_status st;
    if (reason != NULL && !names_reason_parse(reason, &r)) {
        (void)printf("unknown reason %s (order_verified, patient_condition, protocol, "
                     "titration_order, other)\n", reason);
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)PUMP_EV_CONFIRM;
    cmd.confirm.reason = (uint8_t)r;
    if (text != NULL) {
        cmd.confirm.text = text;
        cmd.confirm.text_len = strlen(text);
    }
    st = sim_pump_command(pn->pump, &cmd);
    if (st == PUMP_ERR_NEED_REASON) {
        (void)printf("confirm: a soft alert needs a reason (order_verified, patient_condition, "
                     "protocol, titration_order, other)\n");
    } else {
        (void)printf("confirm: %s\n", st == PUMP_OK ? "done" : pump_status_str(st));
    }
}

static void cmd_alarm(struct panel *pn, pump_event ev, const char *name)
{
    struct pump_cmd cmd;
    pump_alarm_id id;
    pump_status st;
    if (name == NULL || !names_alarm_parse(name, &id)) {
        (void)printf("which alarm? (see \"status\")\n");
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.kind = (uint8_t)ev;
    cmd.alarm.alarm = (uint8_t)id;
    st = sim_pump_command(pn->pump, &cmd);
    (void)printf("%s: %s\n", pump_event_str(ev), st == PUMP_OK ? "done" : pump_status_str(st));
}

static void cmd_fault(struct panel *pn, const char *name, const char *value, bool clear)
{
    struct hal_fault f;
    hal_fault_kind k;
    memset(&f, 0, sizeof f);
    if (name == NULL || !hal_fault_kind_parse(name, &k)) {
        (void)printf("unknown fault (occlusion_downstream, occlusion_upstream, air, "
                     "container_empty, battery, mains_lost, door_open, stall)\n");
        return;
    }
    f.kind = (uint8_t)k;
    f.clear = clear;
    f.count = 1;
    f.bubble_nl = 100000;
    f.pct = 10;
    if (value != NULL) {
        uint32_t v = (uint32_t)strtoul(value, NULL, 10);
        f.bubble_nl = v * 1000U;
        f.pct = v;
    }
    (void)printf("%s %s\n", clear ? "cleared" : "injected",
                 sim_pump_fault(pn->pump, &f) ? name : "nothing (queue full)");
}

static bool set_field(struct panel *pn, const char *cmd, const char *arg)
{
    static const char *const names[] = {"weight", "bsa", "dose", "rate", "duration", "vtbi"};
    char *fields[6];
    size_t i;
    fields[0] = pn->weight;
    fields[1] = pn->bsa;
    fields[2] = pn->dose;
    fields[3] = pn->rate;
    fields[4] = pn->duration;
    fields[5] = pn->vtbi;
    for (i = 0; i < 6; i++) {
        if (strcmp(cmd, names[i]) == 0) {
            (void)snprintf(fields[i], FIELD_MAX, "%s", arg != NULL ? arg : "");
            (void)printf("%s: %s\n", names[i], arg != NULL ? arg : "(cleared)");
            return true;
        }
    }
    if (strcmp(cmd, "mode") == 0) {
        (void)snprintf(pn->mode, sizeof pn->mode, "%s", arg != NULL ? arg : "");
        (void)printf("mode: %s\n", pn->mode);
        return true;
    }
    return false;
}

static void cmd_wait(struct panel *pn, const char *arg)
{
    uint64_t ms = 0;
    if (arg == NULL || !scenario_parse_duration(arg, &ms)) {
        (void)printf("wait needs a duration such as 30s, 10m, 1h\n");
        return;
    }
    if (pn->net != NULL) {
        broker_panel_wait(pn->net, ms); /* real time, serving the network */
        print_status(pn);
        return;
    }
    sim_pump_advance_to(pn->pump, pn->pump->now_ms + ms);
    print_status(pn);
}

static void dispatch(struct panel *pn, char **w, int n)
{
    const char *c = w[0];
    const char *a1 = n > 1 ? w[1] : NULL;
    const char *a2 = n > 2 ? w[2] : NULL;
    const char *a3 = n > 3 ? w[3] : NULL;
    if (strcmp(c, "help") == 0) {
        (void)fputs(help_text, stdout);
    } else if (strcmp(c, "quit") == 0 || strcmp(c, "exit") == 0) {
        pn->quit = true;
    } else if (strcmp(c, "areas") == 0) {
        list_areas(pn);
    } else if (strcmp(c, "area") == 0) {
        cmd_area(pn, a1);
    } else if (strcmp(c, "entries") == 0) {
        list_entries(pn);
    } else if (strcmp(c, "entry") == 0) {
        cmd_entry(pn, a1);
    } else if (set_field(pn, c, a1)) {
        /* done */
    } else if (strcmp(c, "pca") == 0) {
        int i;
        memset(pn->pca, 0, sizeof pn->pca);
        for (i = 1; i < n && i <= 4; i++) {
            (void)snprintf(pn->pca[i - 1], FIELD_MAX, "%s", w[i]);
        }
        (void)printf("pca: dose %s, lockout %s min, basal %s, four-hour limit %s\n",
                     pn->pca[0], pn->pca[1], pn->pca[2][0] != '\0' ? pn->pca[2] : "none",
                     pn->pca[3][0] != '\0' ? pn->pca[3] : "none");
    } else if (strcmp(c, "clear-program") == 0) {
        reset_program(pn);
        (void)printf("program cleared\n");
    } else if (strcmp(c, "review") == 0 || strcmp(c, "program") == 0) {
        cmd_program(pn, strcmp(c, "program") == 0);
    } else if (strcmp(c, "confirm") == 0) {
        cmd_confirm(pn, a1, a2);
    } else if (strcmp(c, "decline") == 0) {
        simple(pn, PUMP_EV_DECLINE);
    } else if (strcmp(c, "start") == 0) {
        simple(pn, PUMP_EV_START);
    } else if (strcmp(c, "pause") == 0) {
        simple(pn, PUMP_EV_PAUSE);
    } else if (strcmp(c, "resume") == 0) {
        simple(pn, PUMP_EV_RESUME);
    } else if (strcmp(c, "stop") == 0) {
        simple(pn, PUMP_EV_STOP);
    } else if (strcmp(c, "demand") == 0) {
        simple(pn, PUMP_EV_PCA_DEMAND);
    } else if (strcmp(c, "titrate") == 0) {
        cmd_program_change(pn, PUMP_EV_TITRATE, pn->mode, a1, NULL, a2);
    } else if (strcmp(c, "bolus") == 0) {
        bool has_dur = a2 != NULL && a2[0] >= '0' && a2[0] <= '9';
        cmd_program_change(pn, PUMP_EV_BOLUS, "bolus", a1, has_dur ? a2 : NULL,
                           has_dur ? a3 : a2);
    } else if (strcmp(c, "ack") == 0) {
        cmd_alarm(pn, PUMP_EV_ALARM_ACK, a1);
    } else if (strcmp(c, "silence") == 0) {
        cmd_alarm(pn, PUMP_EV_ALARM_SILENCE, a1);
    } else if (strcmp(c, "fault") == 0) {
        cmd_fault(pn, a1, a2, false);
    } else if (strcmp(c, "clear") == 0) {
        cmd_fault(pn, a1, NULL, true);
    } else if (strcmp(c, "wait") == 0) {
        cmd_wait(pn, a1);
    } else if (strcmp(c, "status") == 0) {
        print_status(pn);
    } else {
        (void)printf("unknown command %s (type \"help\")\n", c);
    }
}

/* Split line into words (in place); a confirm TEXT may hold spaces: the rest of the line. */
static int split(char *line, char **w, int max)
{
    int n = 0;
    char *p = line;
    while (*p != '\0' && n < max) {
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        w[n] = p;
        n++;
        if (n == 3 && strcmp(w[0], "confirm") == 0) {
            break; /* the text is the rest of the line */
        }
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            p++;
        }
        if (*p != '\0') {
            *p = '\0';
            p++;
        }
    }
    return n;
}

static int panel_loop(struct panel *pn)
{
    char line[512];
    bool tty = isatty(STDIN_FILENO) != 0;
    (void)printf("pumpd panel: pump %s, library ", pn->pump->cfg.pump_id);
    print_libstr(pn->lib, pn->lib->library_id);
    (void)printf(" %.*s. Type \"help\".\n", (int)pn->lib->version.len,
                 pump_library_str(pn->lib, pn->lib->version));
    print_status(pn);
    while (!pn->quit) {
        char *w[8];
        int n;
        size_t len;
        if (tty) {
            (void)printf("pump> ");
        }
        (void)fflush(stdout);
        if (pn->net != NULL ? !broker_panel_read_line(pn->net, line, sizeof line)
                            : fgets(line, sizeof line, stdin) == NULL) {
            break;
        }
        len = strlen(line);
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
            line[--len] = '\0';
        }
        if (!tty && line[0] != '\0' && line[0] != '#') {
            (void)printf("> %s\n", line); /* the transcript reads like the session */
        }
        n = split(line, w, 8);
        if (n == 0 || w[0][0] == '#') {
            continue;
        }
        if (pn->net != NULL) {
            broker_panel_sync(pn->net); /* the pump clock up to now before the command */
        }
        dispatch(pn, w, n);
        if (pn->net != NULL) {
            broker_panel_sync(pn->net); /* publish what the command changed */
        }
        if (pn->pump->failed) {
            pd_error2("the pump stopped:", pn->pump->error);
            return PD_EXIT_FAILED;
        }
    }
    return PD_EXIT_OK;
}

int pd_cmd_panel(int argc, char *const *argv)
{
    struct cli_parsed a;
    struct pd_loaded ld;
    struct datadir dd;
    struct sim_pump_config cfg;
    static struct sim_pump pump;
    static struct panel pn;
    bool has_dd;
    int status;

    if (!pd_args_parse(argc, argv, panel_opts, O_N, &a)) {
        (void)fputs(panel_usage, stderr);
        return PD_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(panel_usage, stdout);
        return PD_EXIT_OK;
    }
    has_dd = a.seen[O_DATA_DIR];
    if (a.n_pos > 0 || (!a.seen[O_LIBRARY] && !has_dd)) {
        pd_error("panel needs --library FILE (or a --data-dir with an active library)");
        (void)fputs(panel_usage, stderr);
        return PD_EXIT_USAGE;
    }
    memset(&ld, 0, sizeof ld);
    if (has_dd && !datadir_open(&dd, a.value[O_DATA_DIR])) {
        pd_error(dd.error);
        return PD_EXIT_USAGE;
    }
    if (a.seen[O_LIBRARY]) {
        if (!pd_load_library_file(a.value[O_LIBRARY], &ld) ||
            (has_dd && !datadir_save_library(&dd, ld.lib_text, ld.lib_len))) {
            pd_loaded_free(&ld);
            if (has_dd) {
                datadir_close(&dd);
            }
            return PD_EXIT_USAGE;
        }
    } else {
        ld.lib_text = datadir_load_library(&dd, &ld.lib_len);
        if (ld.lib_text == NULL || !pd_load_library_text("the data directory's library", &ld)) {
            pd_error("the data directory has no usable active library");
            pd_loaded_free(&ld);
            datadir_close(&dd);
            return PD_EXIT_USAGE;
        }
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.pump_id = a.seen[O_PUMP_ID] ? a.value[O_PUMP_ID] : "SIM-0001";
    hal_sim_config_default(&cfg.hw);
    cfg.seed = 1;
    cfg.tick_ms = 100;
    cfg.idle_tick_ms = 1000;
    cfg.lib = &ld.dl.lib;
    cfg.dd = has_dd ? &dd : NULL;
    cfg.sink = panel_sink;
    memset(&pn, 0, sizeof pn);
    pn.lib = &ld.dl.lib;
    pn.pump = &pump;
    if (a.seen[O_WEIGHT]) {
        (void)snprintf(pn.weight, sizeof pn.weight, "%s", a.value[O_WEIGHT]);
    }
    if (a.seen[O_BROKER]) {
        uint64_t resend_s = 10;
        if (a.seen[O_RESEND] && !pd_parse_uint("--resend-s", a.value[O_RESEND], 1, 3600,
                                               &resend_s)) {
            pn.net = NULL;
        } else {
            pn.net = broker_panel_open(a.value[O_BROKER],
                                       a.seen[O_TOPIC] ? a.value[O_TOPIC] : "infusion/v1",
                                       resend_s * 1000U, a.seen[O_AREA] ? a.value[O_AREA] : NULL,
                                       &cfg, has_dd ? &dd : NULL, has_dd ? dd.last_time_ms : 0,
                                       has_dd ? dd.next_seq : 1,
                                       has_dd && sim_pump_dd_interrupted(&dd));
        }
        if (pn.net != NULL) {
            pn.pump = broker_panel_pump(pn.net);
            if (a.seen[O_AREA]) {
                cmd_area(&pn, a.value[O_AREA]);
            }
            status = panel_loop(&pn);
            broker_panel_close(pn.net);
        } else {
            status = PD_EXIT_USAGE;
        }
    } else if (!sim_pump_init(&pump, &cfg, has_dd ? dd.last_time_ms : 0,
                              has_dd ? dd.next_seq : 1, has_dd && sim_pump_dd_interrupted(&dd))) {
        pd_error(pump.error);
        status = PD_EXIT_USAGE;
    } else {
        if (a.seen[O_AREA]) {
            cmd_area(&pn, a.value[O_AREA]);
        }
        status = panel_loop(&pn);
    }
    if (has_dd) {
        datadir_close(&dd);
    }
    pd_loaded_free(&ld);
    return status;
}
