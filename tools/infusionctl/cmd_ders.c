/*
 * cmd_ders.c - infusionctl ders check: one program from flags, or a batch of JSON lines.
 *
 * Numbers from flags are parsed exactly by the core (pump_q_parse); text that is not a usable
 * number ("nan", "inf", "1e999", "abc") becomes PUMP_V_BAD, which the DERS rejects as an invalid
 * program: a judged program, exit 0. Only the shape of the command line is a usage error.
 */
#define _POSIX_C_SOURCE 200809L /* getline */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <jansson.h>

#include "infusionctl.h"
#include "oi_json.h"

static const char ders_usage[] =
    "usage: infusionctl ders check --library FILE ...   (infusionctl ders check --help)\n"
    "\n"
    "  check   judge a program against a drug library (dose-error reduction, ders-rules.md)\n";

static const char check_usage[] =
    "usage: infusionctl ders check --library FILE --care-area ID [--entry ID] --mode MODE\n"
    "           [--dose X --dose-unit U] [--rate-ml-h R] [--weight-kg W] [--bsa-m2 B]\n"
    "           [--duration-min D] [--vtbi-ml V] [--current-dose X]\n"
    "           [--conc-amount A --conc-unit U --conc-volume-ml V]\n"
    "           [--pca-dose X --lockout-min L --basal B --four-hour-limit F] [--json]\n"
    "       infusionctl ders check --library FILE --batch FILE.jsonl   (- reads stdin)\n"
    "\n"
    "Judge one program and print the outcome in words (or one JSON object with --json):\n"
    "ACCEPTED, SOFT ALERT (confirm with a reason), HARD STOP, or NOT ACCEPTED (invalid).\n"
    "MODE: continuous, bolus, loading, intermittent, pca, fluid, basic (no --entry).\n"
    "Numbers are read exactly; one that is not a usable number makes the program invalid.\n"
    "\n"
    "--batch: one program object per line, bare or as {\"program\": {...}} (other keys are\n"
    "ignored); one JSON result per line, in order; a malformed line gives {\"error\": ...}.\n"
    "\n"
    "exit status: 0 judged (whatever the outcome), 2 usage error or unusable/invalid library\n";

enum {
    O_LIBRARY, O_CARE_AREA, O_ENTRY, O_MODE, O_DOSE, O_DOSE_UNIT, O_RATE, O_WEIGHT, O_BSA,
    O_DURATION, O_VTBI, O_CURRENT, O_CONC_AMOUNT, O_CONC_UNIT, O_CONC_VOLUME, O_PCA_DOSE,
    O_LOCKOUT, O_BASAL, O_FOUR_HOUR, O_JSON, O_BATCH, O_COUNT
};

static const struct cli_optdef check_defs[O_COUNT] = {
    [O_LIBRARY] = {"--library", true},         [O_CARE_AREA] = {"--care-area", true},
    [O_ENTRY] = {"--entry", true},             [O_MODE] = {"--mode", true},
    [O_DOSE] = {"--dose", true},               [O_DOSE_UNIT] = {"--dose-unit", true},
    [O_RATE] = {"--rate-ml-h", true},          [O_WEIGHT] = {"--weight-kg", true},
    [O_BSA] = {"--bsa-m2", true},              [O_DURATION] = {"--duration-min", true},
    [O_VTBI] = {"--vtbi-ml", true},            [O_CURRENT] = {"--current-dose", true},
    [O_CONC_AMOUNT] = {"--conc-amount", true}, [O_CONC_UNIT] = {"--conc-unit", true},
    [O_CONC_VOLUME] = {"--conc-volume-ml", true}, [O_PCA_DOSE] = {"--pca-dose", true},
    [O_LOCKOUT] = {"--lockout-min", true},     [O_BASAL] = {"--basal", true},
    [O_FOUR_HOUR] = {"--four-hour-limit", true}, [O_JSON] = {"--json", false},
    [O_BATCH] = {"--batch", true},
};

/* ---- program from flags ------------------------------------------------------------------ */

static void set_value(struct pump_value *v, const struct cli_parsed *a, int o)
{
    if (a->seen[o]) {
        *v = ictl_value_from_text(a->value[o]);
    }
}

static void set_units(struct pump_program *p, const struct cli_parsed *a)
{
    const char *u;

    if (a->seen[O_DOSE_UNIT]) {
        u = a->value[O_DOSE_UNIT];
        p->has_dose_unit = true;
        p->dose_unit_bad = (pump_unit_parse(u, strlen(u), &p->dose_unit) != PUMP_OK);
    }
    if (a->seen[O_CONC_AMOUNT] || a->seen[O_CONC_UNIT] || a->seen[O_CONC_VOLUME]) {
        p->has_conc = true;
        set_value(&p->conc_amount, a, O_CONC_AMOUNT);
        set_value(&p->conc_volume_ml, a, O_CONC_VOLUME);
        u = a->value[O_CONC_UNIT];
        p->conc_unit_bad =
            (u == NULL || pump_unit_parse(u, strlen(u), &p->conc_unit) != PUMP_OK);
    }
}

/* false (after a message) when the command line cannot describe a program. */
static bool program_from_flags(const struct cli_parsed *a, struct pump_program *p)
{
    pump_prog_mode mode;

    memset(p, 0, sizeof *p);
    if (!a->seen[O_CARE_AREA] || !a->seen[O_MODE]) {
        ictl_error("ders check needs --care-area and --mode (or --batch FILE)");
        return false;
    }
    if (pump_prog_mode_parse(a->value[O_MODE], strlen(a->value[O_MODE]), &mode) != PUMP_OK) {
        ictl_error2("unknown --mode (use continuous, bolus, loading, intermittent, pca, "
                    "fluid or basic):", a->value[O_MODE]);
        return false;
    }
    p->mode = (uint8_t)mode;
    p->care_area = a->value[O_CARE_AREA];
    p->care_area_len = strlen(p->care_area);
    if (a->seen[O_ENTRY]) {
        p->entry = a->value[O_ENTRY];
        p->entry_len = strlen(p->entry);
    }
    set_value(&p->dose, a, O_DOSE);
    set_value(&p->rate_ml_h, a, O_RATE);
    set_value(&p->weight_kg, a, O_WEIGHT);
    set_value(&p->bsa_m2, a, O_BSA);
    set_value(&p->duration_min, a, O_DURATION);
    set_value(&p->vtbi_ml, a, O_VTBI);
    set_value(&p->current_dose, a, O_CURRENT);
    set_units(p, a);
    if (a->seen[O_PCA_DOSE] || a->seen[O_LOCKOUT] || a->seen[O_BASAL] || a->seen[O_FOUR_HOUR]) {
        p->has_pca = true;
        set_value(&p->pca_dose, a, O_PCA_DOSE);
        set_value(&p->pca_lockout_min, a, O_LOCKOUT);
        set_value(&p->pca_basal, a, O_BASAL);
        set_value(&p->pca_four_hour, a, O_FOUR_HOUR);
    }
    return true;
}

/* ---- result as JSON ---------------------------------------------------------------------- */

static void json_q_or_null(struct ictl_json *j, bool has, struct pump_q q)
{
    if (has) {
        ictl_json_q(j, q);
    } else {
        ictl_json_null(j);
    }
}

static void json_text_or_null(struct ictl_json *j, const struct ictl_text *t)
{
    if (t->len > 0) {
        ictl_json_string(j, t->s, t->len);
    } else {
        ictl_json_null(j);
    }
}

static void violation_json(struct ictl_json *j, const struct pump_violation *v)
{
    struct ictl_text u;

    ictl_text_init(&u);
    ictl_violation_unit_text(v, &u);
    ictl_json_object_begin(j);
    ictl_json_key(j, "limit");
    ictl_json_cstring(j, pump_limit_str((pump_limit)v->limit));
    ictl_json_key(j, "outcome");
    ictl_json_cstring(j, pump_outcome_str((pump_outcome)v->outcome));
    ictl_json_key(j, "value");
    ictl_json_q(j, v->value);
    ictl_json_key(j, "bound");
    ictl_json_q(j, v->bound_value);
    ictl_json_key(j, "unit");
    json_text_or_null(j, &u);
    ictl_json_object_end(j);
}

/* The unit of a number input, when it has a fixed or given one. */
static void input_unit(const struct pump_program *p, uint8_t in, struct ictl_text *t)
{
    switch ((pump_input)in) {
    case PUMP_IN_DOSE:
    case PUMP_IN_CURRENT_DOSE:
        if (p->has_dose_unit && !p->dose_unit_bad) {
            ictl_text_unit(t, p->dose_unit);
        }
        break;
    case PUMP_IN_RATE: ictl_text_add(t, "mL/h"); break;
    case PUMP_IN_WEIGHT: ictl_text_add(t, "kg"); break;
    case PUMP_IN_BSA: ictl_text_add(t, "m2"); break;
    case PUMP_IN_DURATION:
    case PUMP_IN_PCA_LOCKOUT: ictl_text_add(t, "min"); break;
    case PUMP_IN_VTBI:
    case PUMP_IN_CONC_VOLUME: ictl_text_add(t, "mL"); break;
    case PUMP_IN_CONC_AMOUNT:
        if (!p->conc_unit_bad) {
            ictl_text_unit(t, p->conc_unit);
        }
        break;
    case PUMP_IN_NONE: case PUMP_IN_MODE: case PUMP_IN_ENTRY: case PUMP_IN_DOSE_UNIT:
    case PUMP_IN_CONCENTRATION: case PUMP_IN_CONC_UNIT: case PUMP_IN_PCA:
    case PUMP_IN_PCA_DOSE: case PUMP_IN_PCA_BASAL: case PUMP_IN_PCA_FOUR_HOUR:
    case PUMP_IN_COUNT:
    default: break;
    }
}

/* The invalid reason as the first element of "violations". */
static void reason_json(struct ictl_json *j, const struct pump_program *p,
                        const struct pump_ders_result *res)
{
    struct ictl_text u;
    const struct pump_value *v = ictl_input_value(p, res->reason_input);
    bool rate = (res->reason == PUMP_R_RATE_BELOW_MIN);

    ictl_text_init(&u);
    if (rate) {
        ictl_text_add(&u, "mL/h");
    } else if (res->reason == PUMP_R_UNIT_MISMATCH) {
        ictl_text_unit(&u, res->reason_unit);
    } else if (res->reason == PUMP_R_NOT_POSITIVE) {
        input_unit(p, res->reason_input, &u);
    }
    ictl_json_object_begin(j);
    ictl_json_key(j, "limit");
    ictl_json_cstring(j, pump_limit_str((pump_limit)res->limit));
    ictl_json_key(j, "outcome");
    ictl_json_cstring(j, pump_outcome_str(PUMP_REJECT_INVALID));
    ictl_json_key(j, "value");
    if (rate) {
        ictl_json_q(j, res->reason_value);
    } else {
        json_q_or_null(j, res->reason == PUMP_R_NOT_POSITIVE && v != NULL &&
                              v->state == PUMP_V_GIVEN, (v != NULL) ? v->q : pump_q_int(0));
    }
    ictl_json_key(j, "bound");
    json_q_or_null(j, rate, res->reason_bound);
    ictl_json_key(j, "unit");
    json_text_or_null(j, &u);
    ictl_json_object_end(j);
}

static void head_json(struct ictl_json *j, const struct pump_library *lib,
                      const struct pump_program *p, const struct pump_ders_result *res)
{
    struct ictl_text t;

    ictl_json_key(j, "outcome");
    ictl_json_cstring(j, pump_outcome_str((pump_outcome)res->outcome));
    ictl_json_key(j, "limit");
    if (res->limit == PUMP_LIM_NONE) {
        ictl_json_null(j);
    } else {
        ictl_json_cstring(j, pump_limit_str((pump_limit)res->limit));
    }
    if (res->outcome == PUMP_REJECT_INVALID) {
        ictl_text_init(&t);
        ictl_reason_text(lib, p, res, &t);
        ictl_json_key(j, "reason");
        ictl_json_string(j, t.s, t.len);
        ictl_json_key(j, "input");
        if (res->reason_input == PUMP_IN_NONE || res->reason_input >= PUMP_IN_COUNT) {
            ictl_json_null(j);
        } else {
            ictl_json_cstring(j, pump_input_str((pump_input)res->reason_input));
        }
    }
}

static void result_json(struct ictl_json *j, const struct pump_library *lib,
                        const struct pump_program *p, const struct pump_ders_result *res)
{
    uint32_t i;
    uint32_t n = (res->n_violations > PUMP_DERS_MAX_VIOLATIONS) ? PUMP_DERS_MAX_VIOLATIONS
                                                               : res->n_violations;

    ictl_json_object_begin(j);
    head_json(j, lib, p, res);
    ictl_json_key(j, "violations");
    ictl_json_array_begin(j);
    if (res->outcome == PUMP_REJECT_INVALID) {
        reason_json(j, p, res);
    }
    for (i = 0; i < n; i++) {
        violation_json(j, &res->violations[i]);
    }
    ictl_json_array_end(j);
    ictl_json_key(j, "rate_ml_h");
    json_q_or_null(j, res->has_rate, res->rate_ml_h);
    ictl_json_key(j, "volume_ml");
    json_q_or_null(j, res->has_volume, res->volume_ml);
    ictl_json_key(j, "duration_min");
    json_q_or_null(j, res->has_duration, res->duration_min);
    ictl_json_object_end(j);
}

/* ---- batch ------------------------------------------------------------------------------- */

static bool is_blank(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
            return false;
        }
    }
    return true;
}

static void error_json(struct ictl_json *j, unsigned long lineno, const char *what,
                       const char *detail)
{
    struct ictl_text t;

    ictl_text_init(&t);
    ictl_text_add(&t, "line ");
    ictl_text_uint(&t, lineno);
    ictl_text_add(&t, ": ");
    ictl_text_add(&t, what);
    ictl_text_add(&t, detail);
    ictl_json_reset(j);
    ictl_json_object_begin(j);
    ictl_json_key(j, "error");
    ictl_json_string(j, t.s, t.len);
    ictl_json_object_end(j);
}

static void syntax_error_json(struct ictl_json *j, unsigned long lineno, const json_error_t *e)
{
    struct ictl_text t;

    ictl_text_init(&t);
    ictl_text_add(&t, "not JSON (column ");
    ictl_text_uint(&t, (e->column > 0) ? (uint64_t)e->column : 0U);
    ictl_text_add(&t, "): ");
    error_json(j, lineno, t.s, e->text);
}

/* The program object of a line: the "program" member when there is one, else the line. */
static const json_t *line_program(const json_t *root)
{
    const json_t *p = json_is_object(root) ? json_object_get(root, "program") : NULL;
    return (p != NULL) ? p : root;
}

static void batch_line(const struct pump_library *lib, const char *line, size_t len,
                       unsigned long lineno, struct ictl_json *j)
{
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    const json_t *obj;
    struct pump_program prog;
    struct pump_ders_result res;
    char err[256];

    if (root == NULL) {
        syntax_error_json(j, lineno, &jerr);
        return;
    }
    obj = line_program(root);
    err[0] = '\0';
    if (!json_is_object(obj)) {
        error_json(j, lineno, "not a program object", "");
    } else if (!oi_program_from_json(obj, &prog, err, sizeof err)) {
        err[sizeof err - 1] = '\0';
        error_json(j, lineno, "malformed program: ", err);
    } else if (pump_ders_check(lib, &prog, &res) != PUMP_OK) {
        error_json(j, lineno, "the DERS could not judge this program", "");
    } else {
        result_json(j, lib, &prog, &res);
    }
    json_decref(root);
}

static FILE *open_batch(const char *path)
{
    FILE *in;

    if (strcmp(path, "-") == 0) {
        return stdin;
    }
    in = fopen(path, "r");
    if (in == NULL) {
        (void)fprintf(stderr, "infusionctl: cannot open %s: %s\n", path, strerror(errno));
    }
    return in;
}

static int run_batch(const struct pump_library *lib, const char *path)
{
    FILE *in = open_batch(path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    struct ictl_json j;
    int status = ICTL_EXIT_OK;

    if (in == NULL) {
        return ICTL_EXIT_USAGE;
    }
    ictl_json_init(&j);
    while ((n = getline(&line, &cap, in)) != -1) {
        lineno++;
        if (is_blank(line, (size_t)n)) {
            continue;
        }
        ictl_json_reset(&j);
        batch_line(lib, line, (size_t)n, lineno, &j);
        if (!ictl_json_emit(&j, stdout)) {
            ictl_error("could not write a result");
            status = ICTL_EXIT_USAGE;
            break;
        }
    }
    if (status == ICTL_EXIT_OK && ferror(in) != 0) {
        ictl_error2("error reading", path);
        status = ICTL_EXIT_USAGE;
    }
    free(line);
    ictl_json_free(&j);
    if (in != stdin && fclose(in) != 0) {
        status = ICTL_EXIT_USAGE;
    }
    return status;
}

/* ---- check ------------------------------------------------------------------------------- */

static int check_one(const struct pump_library *lib, const struct pump_program *prog, bool json)
{
    struct pump_ders_result res;
    struct ictl_json j;
    bool ok = true;

    if (pump_ders_check(lib, prog, &res) != PUMP_OK) {
        ictl_error("the DERS could not judge this program");
        return ICTL_EXIT_USAGE;
    }
    if (json) {
        ictl_json_init(&j);
        result_json(&j, lib, prog, &res);
        ok = ictl_json_emit(&j, stdout);
        ictl_json_free(&j);
    } else {
        ictl_print_human(stdout, lib, prog, &res);
    }
    if (!ok) {
        ictl_error("could not write the result");
        return ICTL_EXIT_USAGE;
    }
    return ICTL_EXIT_OK;
}

/* Flags that describe a single program (everything but --library, --json, --batch). */
static bool has_program_flags(const struct cli_parsed *a)
{
    int o;
    for (o = O_CARE_AREA; o <= O_FOUR_HOUR; o++) {
        if (a->seen[o]) {
            return true;
        }
    }
    return false;
}

static int check_usage_error(const char *msg)
{
    ictl_error(msg);
    (void)fputs(check_usage, stderr);
    return ICTL_EXIT_USAGE;
}

static int cmd_check(int argc, char *const *argv)
{
    struct cli_parsed a;
    struct pump_program prog;
    struct oi_druglib dl;
    int status;

    if (!ictl_args_parse(argc, argv, check_defs, O_COUNT, &a)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(check_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (a.n_pos != 0) {
        return check_usage_error("ders check takes no positional arguments");
    }
    if (!a.seen[O_LIBRARY]) {
        return check_usage_error("ders check needs --library FILE");
    }
    if (a.seen[O_BATCH] && has_program_flags(&a)) {
        return check_usage_error("--batch reads programs from a file: no program flags with it");
    }
    if (!a.seen[O_BATCH] && !program_from_flags(&a, &prog)) {
        (void)fputs(check_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    memset(&dl, 0, sizeof dl);
    if (!ictl_load_library(a.value[O_LIBRARY], &dl)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.seen[O_BATCH]) {
        status = run_batch(&dl.lib, a.value[O_BATCH]);
    } else {
        status = check_one(&dl.lib, &prog, a.seen[O_JSON]);
    }
    oi_druglib_free(&dl);
    return status;
}

int ictl_cmd_ders(int argc, char *const *argv)
{
    if (argc < 1) {
        ictl_error("ders needs a subcommand");
        (void)fputs(ders_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "help") == 0) {
        (void)fputs(ders_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (strcmp(argv[0], "check") == 0) {
        return cmd_check(argc - 1, argv + 1);
    }
    ictl_error2("unknown ders subcommand", argv[0]);
    (void)fputs(ders_usage, stderr);
    return ICTL_EXIT_USAGE;
}
