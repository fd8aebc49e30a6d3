/*
 * load.c - scenario and library loading for the pumpd commands. Contract: see load.h.
 */
#include "load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd.h"

#define MAX_LIBRARY_BYTES (64u * 1024u * 1024u)

static void print_problems(const char *what, oi_load_status st, const struct oi_diag *diag)
{
    size_t i;
    if (st == OI_LOAD_INVALID) {
        size_t n = diag->n + diag->n_dropped;
        (void)fprintf(stderr, "pumpd: %s is not a valid drug library (%zu problem%s):\n", what,
                      n, n == 1 ? "" : "s");
    }
    for (i = 0; i < diag->n; i++) {
        const struct oi_problem *p = &diag->items[i];
        if (st == OI_LOAD_INVALID && p->path[0] != '\0') {
            (void)fprintf(stderr, "  %s: %s\n", p->path, p->message);
        } else {
            (void)fprintf(stderr, "pumpd: %s: %s\n", what, p->message);
        }
    }
    if (diag->n == 0) {
        (void)fprintf(stderr, "pumpd: %s: cannot be used\n", what);
    }
}

bool pd_load_library_text(const char *what, struct pd_loaded *ld)
{
    struct oi_diag diag;
    oi_load_status st;
    memset(&diag, 0, sizeof diag);
    st = oi_druglib_load_text(ld->lib_text, ld->lib_len, &ld->dl, &diag);
    if (st != OI_LOAD_OK) {
        print_problems(what, st, &diag);
        oi_diag_free(&diag);
        return false;
    }
    oi_diag_free(&diag);
    ld->has_dl = true;
    return true;
}

bool pd_load_library_file(const char *path, struct pd_loaded *ld)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL) {
        (void)fprintf(stderr, "pumpd: cannot open the drug library %s\n", path);
        return false;
    }
    ld->lib_text = malloc(MAX_LIBRARY_BYTES + 1U);
    if (ld->lib_text == NULL) {
        (void)fclose(f);
        pd_error("out of memory");
        return false;
    }
    n = fread(ld->lib_text, 1, MAX_LIBRARY_BYTES + 1U, f);
    if (ferror(f) != 0 || n > MAX_LIBRARY_BYTES) {
        (void)fclose(f);
        (void)fprintf(stderr, "pumpd: cannot read the drug library %s (or it is too large)\n",
                      path);
        return false;
    }
    (void)fclose(f);
    ld->lib_len = n;
    return pd_load_library_text(path, ld);
}

bool pd_load_scenario(const char *path, struct datadir *dd, struct pd_loaded *ld)
{
    struct scenario_error err;
    char lib_path[1024];
    uint32_t area = 0;

    memset(ld, 0, sizeof *ld);
    if (scenario_parse_file(path, &ld->sc, &err) != SCENARIO_OK) {
        (void)fprintf(stderr, "pumpd: %s: %s\n", path, err.msg);
        (void)fprintf(stderr, "pumpd: the scenario was not run\n");
        return false;
    }
    ld->has_sc = true;
    if (ld->sc.library != NULL) {
        if (!scenario_library_path(&ld->sc, path, lib_path, sizeof lib_path)) {
            (void)fprintf(stderr, "pumpd: %s: \"library\": path too long\n", path);
            return false;
        }
        if (!pd_load_library_file(lib_path, ld)) {
            (void)fprintf(stderr, "pumpd: %s: the scenario was not run\n", path);
            return false;
        }
    } else {
        if (dd == NULL) {
            (void)fprintf(stderr, "pumpd: %s: \"library\" is missing (only a pump with a data "
                                  "directory has an active library to fall back on)\n", path);
            return false;
        }
        ld->lib_text = datadir_load_library(dd, &ld->lib_len);
        if (ld->lib_text == NULL) {
            (void)fprintf(stderr, "pumpd: %s: \"library\" is missing and the data directory %s "
                                  "has no active library%s%s\n", path, dd->path,
                          ld->lib_len != 0 ? ": " : "", ld->lib_len != 0 ? dd->error : "");
            return false;
        }
        if (!pd_load_library_text("the data directory's library.json", ld)) {
            return false;
        }
    }
    if (pump_library_find_area(&ld->dl.lib, ld->sc.care_area, strlen(ld->sc.care_area),
                               &area) != PUMP_OK) {
        (void)fprintf(stderr, "pumpd: %s: \"care_area\": %s is not a care area of the library\n",
                      path, ld->sc.care_area);
        (void)fprintf(stderr, "pumpd: the scenario was not run\n");
        return false;
    }
    return true;
}

void pd_loaded_free(struct pd_loaded *ld)
{
    if (ld->has_sc) {
        scenario_free(&ld->sc);
    }
    if (ld->has_dl) {
        oi_druglib_free(&ld->dl);
    }
    free(ld->lib_text);
    memset(ld, 0, sizeof *ld);
}
