/*
 * load.h - what every pumpd command loads before a pump runs: the scenario, its drug library (or
 * the data directory's active one), checked so that nothing runs when anything is wrong.
 */
#ifndef PUMPD_LOAD_H
#define PUMPD_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "datadir.h"
#include "oi_json.h"
#include "scenario.h"

struct pd_loaded {
    struct scenario sc;
    bool has_sc;
    struct oi_druglib dl;
    bool has_dl;
    char *lib_text; /* malloc'd bytes of the library file */
    size_t lib_len;
};

/*
 * pd_load_library_text - read a library file and compile it; on failure print every problem on
 * stderr ("pumpd: FILE is not a valid drug library ...") and return false.
 */
bool pd_load_library_file(const char *path, struct pd_loaded *ld);
bool pd_load_library_text(const char *what, struct pd_loaded *ld);

/*
 * pd_load_scenario - parse the scenario and load its library (or, when it names none, the active
 * library of dd, which may be NULL); check the care area is in it. false after printing why
 * (the caller exits 2: nothing was run).
 */
bool pd_load_scenario(const char *path, struct datadir *dd, struct pd_loaded *ld);

void pd_loaded_free(struct pd_loaded *ld);

#endif
