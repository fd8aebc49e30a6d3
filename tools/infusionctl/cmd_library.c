/*
 * cmd_library.c - infusionctl library validate | show.
 */
#include <stdio.h>
#include <string.h>

#include "infusionctl.h"
#include "oi_json.h"

static const char library_usage[] =
    "usage: infusionctl library validate FILE [--json]\n"
    "       infusionctl library show FILE [--care-area ID]\n"
    "\n"
    "  validate   check a drug library file against the format (docs: druglib-format.md).\n"
    "             exit 0 valid, 1 invalid (every problem listed), 2 unusable file\n"
    "  show       print the care areas and drug entries of a valid library as tables\n";

static const char validate_usage[] =
    "usage: infusionctl library validate FILE [--json]\n"
    "\n"
    "Check a drug library file. Prints \"valid: ...\" or every problem as \"path: message\".\n"
    "  --json   one JSON object: {\"valid\": bool, \"problems\": [{\"path\", \"message\"}], ...}\n"
    "exit status: 0 valid, 1 invalid, 2 unusable input (missing file, not JSON, too large)\n";

static const char show_usage[] =
    "usage: infusionctl library show FILE [--care-area ID]\n"
    "\n"
    "Print the care areas (weight/BSA limits, rate range, basic infusion) and the drug entries\n"
    "(mode, dosing unit, dose limits, maximum rate, concentration, high-alert flag).\n"
    "Limits read hard_min / soft_min \u2013 soft_max / hard_max; \u2014 is an absent bound.\n"
    "  --care-area ID   only this care area\n"
    "exit status: 0 shown, 2 usage error, unknown care area, unusable or invalid library\n";

/* ---- loading ----------------------------------------------------------------------------- */

static void print_problems(FILE *f, const char *path, const struct oi_diag *diag)
{
    size_t i;

    for (i = 0; i < diag->n; i++) {
        const struct oi_problem *p = &diag->items[i];
        if (p->path[0] != '\0') {
            (void)fprintf(f, "%s: %s\n", p->path, p->message);
        } else {
            (void)fprintf(f, "%s: %s\n", path, p->message);
        }
    }
}

/* Why a file cannot be used at all: "infusionctl: FILE: line 2, column 22: invalid token". */
static void print_unusable(const char *path, const struct oi_diag *diag)
{
    size_t i;

    for (i = 0; i < diag->n; i++) {
        (void)fprintf(stderr, "infusionctl: %s: %s\n", path, diag->items[i].message);
    }
    if (diag->n == 0) {
        (void)fprintf(stderr, "infusionctl: %s: cannot be used\n", path);
    }
}

static size_t problem_count(const struct oi_diag *diag)
{
    return diag->n + diag->n_dropped;
}

bool ictl_load_library(const char *path, struct oi_druglib *dl)
{
    struct oi_diag diag;
    oi_load_status st;

    memset(&diag, 0, sizeof diag);
    st = oi_druglib_load_file(path, dl, &diag);
    if (st == OI_LOAD_OK) {
        oi_diag_free(&diag);
        return true;
    }
    if (st == OI_LOAD_INVALID) {
        (void)fprintf(stderr, "infusionctl: %s is not a valid drug library (%zu problems):\n",
                      path, problem_count(&diag));
        print_problems(stderr, path, &diag);
    } else {
        print_unusable(path, &diag);
    }
    oi_diag_free(&diag);
    return false;
}

/* ---- validate ---------------------------------------------------------------------------- */

static void summary_text(const struct pump_library *lib, struct ictl_text *t)
{
    ictl_text_libstr(t, lib, lib->library_id);
    ictl_text_add(t, " version ");
    ictl_text_libstr(t, lib, lib->version);
    ictl_text_add(t, ": ");
    ictl_text_uint(t, lib->n_areas);
    ictl_text_add(t, (lib->n_areas == 1) ? " care area, " : " care areas, ");
    ictl_text_uint(t, lib->n_entries);
    ictl_text_add(t, (lib->n_entries == 1) ? " entry" : " entries");
}

static void validate_text(const char *path, oi_load_status st, const struct oi_druglib *dl,
                          const struct oi_diag *diag)
{
    struct ictl_text t;

    ictl_text_init(&t);
    if (st == OI_LOAD_OK) {
        summary_text(&dl->lib, &t);
        (void)printf("valid: %s\n", t.s);
    } else if (st == OI_LOAD_INVALID) {
        print_problems(stdout, path, diag);
        (void)printf("invalid: %zu problem%s", problem_count(diag),
                     (problem_count(diag) == 1) ? "" : "s");
        if (diag->n_dropped > 0) {
            (void)printf(" (%zu not listed)", diag->n_dropped);
        }
        (void)printf(" in %s\n", path);
    } else {
        print_unusable(path, diag);
    }
}

static void json_libstr(struct ictl_json *j, const struct pump_library *lib, struct pump_str s)
{
    const char *p = pump_library_str(lib, s);

    if (p == NULL) {
        ictl_json_null(j);
    } else {
        ictl_json_string(j, p, s.len);
    }
}

static bool validate_json(const char *path, oi_load_status st, const struct oi_druglib *dl,
                          const struct oi_diag *diag)
{
    struct ictl_json j;
    size_t i;
    bool ok;

    ictl_json_init(&j);
    ictl_json_object_begin(&j);
    ictl_json_key(&j, "valid");
    ictl_json_bool(&j, st == OI_LOAD_OK);
    ictl_json_key(&j, "problems");
    ictl_json_array_begin(&j);
    for (i = 0; i < diag->n; i++) {
        ictl_json_object_begin(&j);
        ictl_json_key(&j, "path");
        ictl_json_cstring(&j, diag->items[i].path);
        ictl_json_key(&j, "message");
        ictl_json_cstring(&j, diag->items[i].message);
        ictl_json_object_end(&j);
    }
    ictl_json_array_end(&j);
    ictl_json_key(&j, "problem_count");
    ictl_json_uint(&j, problem_count(diag));
    ictl_json_key(&j, "usable");
    ictl_json_bool(&j, st != OI_LOAD_UNUSABLE);
    ictl_json_key(&j, "file");
    ictl_json_cstring(&j, path);
    if (st == OI_LOAD_OK) {
        ictl_json_key(&j, "library_id");
        json_libstr(&j, &dl->lib, dl->lib.library_id);
        ictl_json_key(&j, "version");
        json_libstr(&j, &dl->lib, dl->lib.version);
        ictl_json_key(&j, "care_areas");
        ictl_json_uint(&j, dl->lib.n_areas);
        ictl_json_key(&j, "entries");
        ictl_json_uint(&j, dl->lib.n_entries);
    }
    ictl_json_object_end(&j);
    ok = ictl_json_emit(&j, stdout);
    ictl_json_free(&j);
    return ok;
}

static int cmd_validate(int argc, char *const *argv)
{
    static const struct cli_optdef defs[] = {{"--json", false}};
    struct cli_parsed a;
    struct oi_druglib dl;
    struct oi_diag diag;
    oi_load_status st;
    int status;

    if (!ictl_args_parse(argc, argv, defs, 1, &a)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(validate_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (a.n_pos != 1) {
        ictl_error("library validate needs exactly one FILE");
        (void)fputs(validate_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    memset(&diag, 0, sizeof diag);
    memset(&dl, 0, sizeof dl);
    st = oi_druglib_load_file(a.pos[0], &dl, &diag);
    status = (st == OI_LOAD_OK) ? ICTL_EXIT_OK
             : (st == OI_LOAD_INVALID) ? ICTL_EXIT_INVALID : ICTL_EXIT_USAGE;
    if (a.seen[0]) {
        if (!validate_json(a.pos[0], st, &dl, &diag)) {
            ictl_error("could not write the JSON output");
            status = ICTL_EXIT_USAGE;
        }
    } else {
        validate_text(a.pos[0], st, &dl, &diag);
    }
    if (st == OI_LOAD_OK) {
        oi_druglib_free(&dl);
    }
    oi_diag_free(&diag);
    return status;
}

/* ---- show -------------------------------------------------------------------------------- */

static void cell_text(struct ictl_table *t, const struct ictl_text *x)
{
    ictl_table_cell(t, x->s);
}

static void area_row(struct ictl_table *t, const struct pump_library *lib,
                     const struct pump_care_area *a)
{
    struct ictl_text x;

    ictl_text_init(&x);
    ictl_text_libstr(&x, lib, a->id);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_libstr(&x, lib, a->name);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_limits(&x, &a->weight_kg);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_limits(&x, &a->bsa_m2);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_qd(&x, a->rate_min_ml_h);
    ictl_text_add(&x, " \u2013 ");
    ictl_text_qd(&x, a->rate_max_ml_h);
    cell_text(t, &x);
    ictl_text_init(&x);
    if (!a->basic_allowed) {
        ictl_text_add(&x, "not allowed");
    } else if (a->has_basic_max) {
        ictl_text_add(&x, "allowed, max ");
        ictl_text_qd(&x, a->basic_max_rate_ml_h);
        ictl_text_add(&x, " mL/h");
    } else {
        ictl_text_add(&x, "allowed, area range");
    }
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_uint(&x, a->n_entries);
    cell_text(t, &x);
}

static bool print_areas(const struct pump_library *lib, uint32_t only, bool has_only)
{
    static const char *const head[] = {"CARE AREA", "NAME", "WEIGHT (kg)", "BSA (m2)",
                                       "RATE (mL/h)", "BASIC INFUSION", "ENTRIES"};
    struct ictl_table t;
    size_t c;
    uint32_t i;
    bool ok;

    ictl_table_init(&t, sizeof head / sizeof head[0]);
    for (c = 0; c < sizeof head / sizeof head[0]; c++) {
        ictl_table_cell(&t, head[c]);
    }
    for (i = 0; i < lib->n_areas; i++) {
        if (!has_only || i == only) {
            area_row(&t, lib, &lib->st.areas[i]);
        }
    }
    (void)printf("Care areas\n");
    ok = ictl_table_print(&t, stdout, 2);
    ictl_table_free(&t);
    return ok;
}

static void conc_cell(struct ictl_text *x, const struct pump_entry *e)
{
    if (e->has_conc) {
        ictl_text_qd(x, e->conc_amount);
        ictl_text_add(x, " ");
        ictl_text_unit(x, e->conc_amount_unit);
        ictl_text_add(x, "/");
        ictl_text_qd(x, e->conc_volume_ml);
        ictl_text_add(x, " mL");
    } else if (e->has_conc_limits) {
        ictl_text_add(x, "custom, ");
        ictl_text_limits(x, &e->conc_limits);
        ictl_text_add(x, " ");
        ictl_text_unit(x, e->conc_limits_unit);
    } else {
        ictl_text_add(x, "\u2014");
    }
}

static void mode_cell(struct ictl_text *x, const struct pump_entry *e)
{
    ictl_text_add(x, (e->mode < PUMP_ENTRY_MODE_COUNT)
                         ? pump_entry_mode_str((pump_entry_mode)e->mode)
                         : "?");
    if (e->has_bolus) {
        ictl_text_add(x, " + bolus ");
        ictl_text_unit(x, e->bolus_unit);
    }
}

static void entry_row(struct ictl_table *t, const struct pump_library *lib,
                      const struct pump_entry *e)
{
    struct ictl_text x;

    ictl_text_init(&x);
    ictl_text_libstr(&x, lib, e->id);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_libstr(&x, lib, e->display_name);
    cell_text(t, &x);
    ictl_text_init(&x);
    mode_cell(&x, e);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_unit(&x, e->dosing_unit);
    cell_text(t, &x);
    ictl_text_init(&x);
    ictl_text_limits(&x, e->has_pca ? &e->pca_dose_limits : &e->dose_limits);
    cell_text(t, &x);
    ictl_text_init(&x);
    if (e->has_max_rate) {
        ictl_text_qd(&x, e->max_rate_ml_h);
    } else {
        ictl_text_add(&x, "\u2014");
    }
    cell_text(t, &x);
    ictl_text_init(&x);
    conc_cell(&x, e);
    cell_text(t, &x);
    ictl_table_cell(t, e->high_alert ? "HIGH ALERT" : "");
}

static bool print_entries(const struct pump_library *lib, uint32_t area)
{
    static const char *const head[] = {"ENTRY", "DISPLAY NAME", "MODE", "DOSING UNIT",
                                       "DOSE LIMITS", "MAX RATE (mL/h)", "CONCENTRATION",
                                       "HIGH ALERT"};
    const struct pump_care_area *a = &lib->st.areas[area];
    struct ictl_table t;
    struct ictl_text x;
    size_t c;
    uint32_t i;
    bool ok;

    ictl_text_init(&x);
    ictl_text_add(&x, "Entries in ");
    ictl_text_libstr(&x, lib, a->name);
    ictl_text_add(&x, " (");
    ictl_text_libstr(&x, lib, a->id);
    ictl_text_add(&x, ")");
    (void)printf("\n%s\n", x.s);
    if (a->n_entries == 0) {
        (void)printf("  (no entries)\n");
        return true;
    }
    ictl_table_init(&t, sizeof head / sizeof head[0]);
    for (c = 0; c < sizeof head / sizeof head[0]; c++) {
        ictl_table_cell(&t, head[c]);
    }
    for (i = 0; i < lib->n_entries; i++) {
        if (lib->st.entries[i].area == area) {
            entry_row(&t, lib, &lib->st.entries[i]);
        }
    }
    ok = ictl_table_print(&t, stdout, 2);
    ictl_table_free(&t);
    return ok;
}

static bool show_library(const struct pump_library *lib, uint32_t only, bool has_only)
{
    struct ictl_text x;
    uint32_t i;

    ictl_text_init(&x);
    summary_text(lib, &x);
    (void)printf("Drug library %s\n", x.s);
    (void)printf("Limits read hard_min / soft_min \u2013 soft_max / hard_max; "
                 "\u2014 means no bound.\n\n");
    if (!print_areas(lib, only, has_only)) {
        return false;
    }
    for (i = 0; i < lib->n_areas; i++) {
        if ((!has_only || i == only) && !print_entries(lib, i)) {
            return false;
        }
    }
    return true;
}

static void list_areas(const struct pump_library *lib)
{
    uint32_t i;
    struct ictl_text x;

    ictl_text_init(&x);
    for (i = 0; i < lib->n_areas; i++) {
        if (i > 0) {
            ictl_text_add(&x, ", ");
        }
        ictl_text_libstr(&x, lib, lib->st.areas[i].id);
    }
    (void)fprintf(stderr, "infusionctl: care areas of this library: %s\n", x.s);
}

static int cmd_show(int argc, char *const *argv)
{
    static const struct cli_optdef defs[] = {{"--care-area", true}};
    struct cli_parsed a;
    struct oi_druglib dl;
    uint32_t only = 0;
    int status = ICTL_EXIT_OK;

    if (!ictl_args_parse(argc, argv, defs, 1, &a)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.help) {
        (void)fputs(show_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (a.n_pos != 1) {
        ictl_error("library show needs exactly one FILE");
        (void)fputs(show_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    memset(&dl, 0, sizeof dl);
    if (!ictl_load_library(a.pos[0], &dl)) {
        return ICTL_EXIT_USAGE;
    }
    if (a.seen[0] && pump_library_find_area(&dl.lib, a.value[0], strlen(a.value[0]), &only) !=
                         PUMP_OK) {
        ictl_error2("no such care area in this library:", a.value[0]);
        list_areas(&dl.lib);
        status = ICTL_EXIT_USAGE;
    } else if (!show_library(&dl.lib, only, a.seen[0])) {
        ictl_error("could not print the tables");
        status = ICTL_EXIT_USAGE;
    }
    oi_druglib_free(&dl);
    return status;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

int ictl_cmd_library(int argc, char *const *argv)
{
    if (argc < 1) {
        ictl_error("library needs a subcommand");
        (void)fputs(library_usage, stderr);
        return ICTL_EXIT_USAGE;
    }
    if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "help") == 0) {
        (void)fputs(library_usage, stdout);
        return ICTL_EXIT_OK;
    }
    if (strcmp(argv[0], "validate") == 0) {
        return cmd_validate(argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "show") == 0) {
        return cmd_show(argc - 1, argv + 1);
    }
    ictl_error2("unknown library subcommand", argv[0]);
    (void)fputs(library_usage, stderr);
    return ICTL_EXIT_USAGE;
}
