/*
 * test_druglib_json.c - drug library files through the JSON adapter: the shared sample, valid
 * fixtures, the corpus of broken libraries (tests/data/druglib/broken: NAME.json + NAME.expect),
 * hostile inputs (deep nesting, a file over the size limit, missing files) and allocation failure
 * inside jansson.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "oi_json.h"

#define SAMPLE_LIBRARY OI_SHARED_DIR "/data/druglib/sample-library.json"
#define BROKEN_DIR     OI_SOURCE_DIR "/tests/data/druglib/broken"
#define VALID_DIR      OI_SOURCE_DIR "/tests/data/druglib/valid"

/* ---- helpers ------------------------------------------------------------------------------ */

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
        if (n + 1 == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    (void)fclose(f);
    if (buf != NULL) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* "path: message", or the message alone for the document itself (empty path). */
static void problem_line(const struct oi_problem *p, char *buf, size_t cap)
{
    if (p->path[0] == '\0') {
        (void)snprintf(buf, cap, "%s", p->message);
    } else {
        (void)snprintf(buf, cap, "%s: %s", p->path, p->message);
    }
}

static void print_diag(const struct oi_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        char line[512];
        problem_line(&d->items[i], line, sizeof line);
        print_message("    got: %s\n", line);
    }
}

static bool diag_has(const struct oi_diag *d, const char *want)
{
    for (size_t i = 0; i < d->n; i++) {
        char line[512];
        problem_line(&d->items[i], line, sizeof line);
        if (strcmp(line, want) == 0) {
            return true;
        }
    }
    return false;
}

static uint32_t find_entry(const struct oi_druglib *dl, const char *id)
{
    uint32_t idx = UINT32_MAX;
    assert_int_equal(pump_library_find_entry(&dl->lib, id, strlen(id), &idx), PUMP_OK);
    assert_true(idx < dl->lib.n_entries);
    return idx;
}

static uint32_t find_area(const struct oi_druglib *dl, const char *id)
{
    uint32_t idx = UINT32_MAX;
    assert_int_equal(pump_library_find_area(&dl->lib, id, strlen(id), &idx), PUMP_OK);
    assert_true(idx < dl->lib.n_areas);
    return idx;
}

static void assert_str(const struct oi_druglib *dl, struct pump_str s, const char *want)
{
    assert_int_equal(s.len, strlen(want));
    assert_memory_equal(pump_library_str(&dl->lib, s), want, s.len);
}

static void assert_q(struct pump_q q, int64_t num, int64_t den)
{
    assert_int_equal(q.num, num);
    assert_int_equal(q.den, den);
}

static void assert_unit(struct pump_unit u, const char *text)
{
    struct pump_unit want;
    assert_int_equal(pump_unit_parse(text, strlen(text), &want), PUMP_OK);
    assert_true(pump_unit_equal(u, want));
}

static void assert_bound(const struct pump_limits *l, pump_bound b, int64_t num, int64_t den)
{
    assert_true((l->present & (1U << b)) != 0U);
    assert_q(l->bound[b], num, den);
}

/* ---- the shared sample library ------------------------------------------------------------ */

static void test_sample_library_loads(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(SAMPLE_LIBRARY, &dl, &diag);
    print_diag(&diag);
    assert_int_equal(st, OI_LOAD_OK);
    assert_int_equal(diag.n, 0);
    assert_int_equal(diag.n_dropped, 0);
    assert_non_null(dl.storage);
    assert_int_equal(dl.lib.n_areas, 5);
    assert_int_equal(dl.lib.n_entries, 36);
    assert_str(&dl, dl.lib.library_id, "RIVERSIDE-COMMUNITY");
    assert_str(&dl, dl.lib.version, "2026.02-sample");

    uint32_t total = 0;
    const char *areas[] = {"ADULT_ICU", "MED_SURG", "PEDIATRICS", "ONCOLOGY", "NICU"};
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(find_area(&dl, areas[i]), i);
        total += dl.lib.st.areas[i].n_entries;
    }
    assert_int_equal(total, 36);
    uint32_t idx = 0;
    assert_int_equal(pump_library_find_area(&dl.lib, "ICU", 3, &idx), PUMP_ERR_NOT_FOUND);
    assert_int_equal(pump_library_find_entry(&dl.lib, "AICU-EPI", 8, &idx), PUMP_ERR_NOT_FOUND);
    oi_druglib_free(&dl);
    assert_null(dl.storage);
    oi_diag_free(&diag);
}

static void test_sample_library_entry_fields(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_file(SAMPLE_LIBRARY, &dl, &diag), OI_LOAD_OK);

    const struct pump_care_area *icu = &dl.lib.st.areas[find_area(&dl, "ADULT_ICU")];
    assert_str(&dl, icu->name, "Adult ICU");
    assert_bound(&icu->weight_kg, PUMP_HARD_MIN, 30, 1);
    assert_bound(&icu->bsa_m2, PUMP_HARD_MIN, 4, 5); /* 0.8 exactly */
    assert_q(icu->rate_min_ml_h, 1, 10);
    assert_q(icu->rate_max_ml_h, 999, 1);
    assert_true(icu->basic_allowed);
    assert_true(icu->has_basic_max);
    assert_q(icu->basic_max_rate_ml_h, 500, 1);
    assert_false(dl.lib.st.areas[find_area(&dl, "NICU")].basic_allowed);

    const struct pump_entry *e = &dl.lib.st.entries[find_entry(&dl, "AICU-DOPA")];
    assert_int_equal(e->area, find_area(&dl, "ADULT_ICU"));
    assert_str(&dl, e->display_name, "DOPamine 400 mg/250 mL");
    assert_str(&dl, e->drug, "dopamine");
    assert_str(&dl, e->clinical_advisory, "Central line preferred. Extravasation: phentolamine.");
    assert_int_equal(e->mode, PUMP_ENTRY_CONTINUOUS);
    assert_true(e->high_alert);
    assert_unit(e->dosing_unit, "mcg/kg/min");
    assert_true(e->has_conc);
    assert_q(e->conc_amount, 400, 1);
    assert_unit(e->conc_amount_unit, "mg");
    assert_q(e->conc_volume_ml, 250, 1);
    assert_int_equal(e->dose_limits.present,
                     (1U << PUMP_SOFT_MIN) | (1U << PUMP_SOFT_MAX) | (1U << PUMP_HARD_MAX));
    assert_bound(&e->dose_limits, PUMP_SOFT_MAX, 20, 1);
    assert_true(e->has_titration_soft && e->has_titration_hard);
    assert_q(e->titration_hard_pct, 300, 1);
    assert_true(e->has_max_rate);
    assert_q(e->max_rate_ml_h, 200, 1);

    const struct pump_entry *esmo = &dl.lib.st.entries[find_entry(&dl, "AICU-ESMO")];
    assert_true(esmo->has_bolus);
    assert_unit(esmo->bolus_unit, "mcg/kg");
    assert_bound(&esmo->bolus_duration_min_limits, PUMP_HARD_MIN, 1, 2);
    assert_true(esmo->has_bolus_default_duration);
    assert_q(esmo->bolus_default_duration_min, 1, 1);
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
}

/* Every entry of the sample is found by its id and sits in the care area it was written in. */
static void test_sample_library_every_entry_found(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_file(SAMPLE_LIBRARY, &dl, &diag), OI_LOAD_OK);
    json_error_t err;
    json_t *root = json_load_file(SAMPLE_LIBRARY, 0, &err);
    assert_non_null(root);
    json_t *areas = json_object_get(root, "care_areas");
    size_t checked = 0;
    for (size_t a = 0; a < json_array_size(areas); a++) {
        json_t *area = json_array_get(areas, a);
        json_t *entries = json_object_get(area, "entries");
        uint32_t ai = find_area(&dl, json_string_value(json_object_get(area, "id")));
        for (size_t i = 0; i < json_array_size(entries); i++) {
            json_t *ej = json_array_get(entries, i);
            const struct pump_entry *e =
                &dl.lib.st.entries[find_entry(&dl, json_string_value(json_object_get(ej, "id")))];
            assert_int_equal(e->area, ai);
            assert_str(&dl, e->display_name,
                       json_string_value(json_object_get(ej, "display_name")));
            checked++;
        }
    }
    assert_int_equal(checked, 36);
    json_decref(root);
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
}

/* ---- valid fixtures ----------------------------------------------------------------------- */

static void test_valid_all_modes(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(VALID_DIR "/all-modes.json", &dl, &diag);
    print_diag(&diag);
    assert_int_equal(st, OI_LOAD_OK);
    assert_int_equal(dl.lib.n_areas, 2);
    assert_int_equal(dl.lib.n_entries, 5);

    const struct pump_care_area *clinic = &dl.lib.st.areas[find_area(&dl, "CLINIC")];
    assert_int_equal(clinic->n_entries, 0);
    assert_false(clinic->basic_allowed);
    assert_false(clinic->has_basic_max);

    const struct pump_entry *mag = &dl.lib.st.entries[find_entry(&dl, "ICU-MAG")];
    assert_int_equal(mag->mode, PUMP_ENTRY_INTERMITTENT);
    assert_true(mag->secondary_allowed);
    assert_false(mag->high_alert);
    assert_true(mag->has_container);
    assert_q(mag->container_ml, 100, 1);
    assert_true(mag->has_dose_rate);
    assert_unit(mag->dose_rate_unit, "g/h");
    assert_bound(&mag->duration_min_limits, PUMP_SOFT_MIN, 60, 1);
    assert_int_equal(mag->clinical_advisory.len, 0);

    const struct pump_entry *vanc = &dl.lib.st.entries[find_entry(&dl, "ICU-VANC")];
    assert_false(vanc->has_conc);
    assert_true(vanc->has_conc_limits);
    assert_unit(vanc->conc_limits_unit, "mg/mL");
    assert_bound(&vanc->conc_limits, PUMP_HARD_MAX, 10, 1);

    const struct pump_entry *pca = &dl.lib.st.entries[find_entry(&dl, "ICU-HYDRO-PCA")];
    assert_true(pca->has_pca);
    assert_bound(&pca->pca_dose_limits, PUMP_SOFT_MAX, 2, 5);
    assert_bound(&pca->pca_lockout_min_limits, PUMP_HARD_MIN, 6, 1);
    assert_bound(&pca->pca_basal_limits, PUMP_SOFT_MAX, 1, 5);
    assert_bound(&pca->pca_four_hour_limits, PUMP_HARD_MAX, 4, 1);

    const struct pump_entry *ns = &dl.lib.st.entries[find_entry(&dl, "ICU-NS")];
    assert_int_equal(ns->mode, PUMP_ENTRY_FLUID);
    assert_true(ns->has_titration_soft);
    assert_false(ns->has_titration_hard);
    assert_q(ns->titration_soft_pct, 50, 1);
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
}

static void test_valid_extension_keys(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(VALID_DIR "/extensions.json", &dl, &diag);
    print_diag(&diag);
    assert_int_equal(st, OI_LOAD_OK);
    assert_int_equal(dl.lib.n_entries, 1);
    const struct pump_entry *e = &dl.lib.st.entries[find_entry(&dl, "ICU-DOPA")];
    /* concentration_limits beside a standard concentration are refused (they could never
     * apply), so the valid fixture has a standard concentration only */
    assert_true(e->has_conc && !e->has_conc_limits && e->has_bolus);
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
}

/* ---- the broken corpus -------------------------------------------------------------------- */

struct expect {
    oi_load_status status;
    char *lines[64];
    size_t n;
    char *text;
};

/* NAME.expect: '#' comments, "status: invalid|unusable", then the exact problem lines. */
static bool read_expect(const char *path, struct expect *ex)
{
    size_t len = 0;
    memset(ex, 0, sizeof *ex);
    ex->status = OI_LOAD_OK;
    ex->text = read_text(path, &len);
    if (ex->text == NULL) {
        return false;
    }
    bool have_status = false;
    for (char *line = ex->text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        if (line[0] == '#' || line[0] == '\0') {
            /* comment */
        } else if (!have_status && strcmp(line, "status: invalid") == 0) {
            ex->status = OI_LOAD_INVALID;
            have_status = true;
        } else if (!have_status && strcmp(line, "status: unusable") == 0) {
            ex->status = OI_LOAD_UNUSABLE;
            have_status = true;
        } else if (have_status && ex->n < 64) {
            ex->lines[ex->n++] = line;
        } else {
            return false;
        }
        line = (nl != NULL) ? nl + 1 : NULL;
    }
    return have_status && ex->n > 0;
}

/* The diagnostics must be exactly the expected lines (no more: a spurious follow-up problem is
 * a defect too). Returns the number of mismatches, printed. */
static int check_case(const char *name)
{
    char json_path[512];
    char expect_path[512];
    (void)snprintf(json_path, sizeof json_path, "%s/%s.json", BROKEN_DIR, name);
    (void)snprintf(expect_path, sizeof expect_path, "%s/%s.expect", BROKEN_DIR, name);
    struct expect ex;
    if (!read_expect(expect_path, &ex)) {
        print_error("%s: missing or malformed .expect\n", name);
        free(ex.text);
        return 1;
    }
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    oi_load_status st = oi_druglib_load_file(json_path, &dl, &diag);
    int bad = 0;
    if (st != ex.status) {
        print_error("%s: status %d, expected %d\n", name, (int)st, (int)ex.status);
        bad++;
    }
    for (size_t i = 0; i < ex.n; i++) {
        if (!diag_has(&diag, ex.lines[i])) {
            print_error("%s: missing: %s\n", name, ex.lines[i]);
            bad++;
        }
    }
    if (diag.n != ex.n || diag.n_dropped != 0) {
        print_error("%s: %zu problems, expected %zu\n", name, diag.n, ex.n);
        bad++;
    }
    if (bad != 0) {
        print_diag(&diag);
    }
    /* Nothing to free on failure, and freeing is still safe. */
    assert_null(dl.storage);
    oi_druglib_free(&dl);
    oi_diag_free(&diag);
    free(ex.text);
    return bad;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_broken_corpus(void **state)
{
    (void)state;
    DIR *dir = opendir(BROKEN_DIR);
    assert_non_null(dir);
    char *names[512];
    size_t n = 0;
    for (struct dirent *d = readdir(dir); d != NULL; d = readdir(dir)) {
        size_t len = strlen(d->d_name);
        if (len > 5 && strcmp(d->d_name + len - 5, ".json") == 0 && n < 512) {
            names[n] = malloc(len - 4);
            assert_non_null(names[n]);
            memcpy(names[n], d->d_name, len - 5);
            names[n][len - 5] = '\0';
            n++;
        }
    }
    assert_int_equal(closedir(dir), 0);
    qsort(names, n, sizeof names[0], compare_names);
    int failures = 0;
    for (size_t i = 0; i < n; i++) {
        failures += check_case(names[i]);
        free(names[i]);
    }
    print_message("    %zu broken libraries checked\n", n);
    assert_true(n >= 30);
    assert_int_equal(failures, 0);
}

/* ---- hostile input ------------------------------------------------------------------------ */

static void expect_unusable_text(const char *text, size_t len, const char *needle)
{
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text(text, len, &dl, &diag), OI_LOAD_UNUSABLE);
    print_diag(&diag);
    assert_int_equal(diag.n, 1);
    assert_string_equal(diag.items[0].path, "");
    assert_non_null(strstr(diag.items[0].message, needle));
    assert_null(dl.storage);
    oi_diag_free(&diag);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    const size_t depth = 100000;
    char *text = malloc(2 * depth + 1);
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    expect_unusable_text(text, 2 * depth, "maximum parsing depth reached");
    /* Objects nest the same way: {"a":{"a":...}} */
    size_t n = 0;
    char *obj = malloc(6 * depth + 2);
    assert_non_null(obj);
    for (size_t i = 0; i < depth; i++) {
        memcpy(obj + n, "{\"a\":", 5);
        n += 5;
    }
    obj[n++] = '1';
    memset(obj + n, '}', depth);
    n += depth;
    expect_unusable_text(obj, n, "maximum parsing depth reached");
    free(obj);
    free(text);
}

static double seconds_now(void)
{
    struct timespec ts;
    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A file over the limit is refused from its size, before a byte is read: a sparse file makes
 * this cheap, and the time bound shows the content was not read. */
static void test_file_over_size_limit(void **state)
{
    (void)state;
    char dir[] = "/tmp/oi_druglib_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    (void)snprintf(path, sizeof path, "%s/huge.json", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)OI_DRUGLIB_MAX_BYTES + 1), 0);
    assert_int_equal(close(fd), 0);

    struct oi_druglib dl;
    struct oi_diag diag = {0};
    double t0 = seconds_now();
    oi_load_status st = oi_druglib_load_file(path, &dl, &diag);
    double took = seconds_now() - t0;
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
    print_diag(&diag);
    assert_int_equal(st, OI_LOAD_UNUSABLE);
    assert_true(took < 0.5);
    assert_int_equal(diag.n, 1);
    assert_non_null(
        strstr(diag.items[0].message, "is 67108865 bytes; the limit is 67108864 bytes"));
    oi_diag_free(&diag);

    /* load_text applies the same limit from the length alone (the text is never touched). */
    char small[1] = {'{'};
    assert_int_equal(oi_druglib_load_text(small, (size_t)OI_DRUGLIB_MAX_BYTES + 1, &dl, &diag),
                     OI_LOAD_UNUSABLE);
    assert_non_null(strstr(diag.items[0].message, "the limit is 67108864 bytes"));
    oi_diag_free(&diag);
}

/* Millions of tiny values would cost jansson gigabytes before any check: refused up front. */
static void test_too_many_values(void **state)
{
    (void)state;
    const size_t n = 2100000;
    char *text = malloc(3 * n + 2);
    assert_non_null(text);
    size_t used = 0;
    text[used++] = '[';
    for (size_t i = 0; i < n; i++) {
        memcpy(text + used, "{},", 3);
        used += 3;
    }
    text[used - 1] = ']';
    double t0 = seconds_now();
    expect_unusable_text(text, used, "more than 2000000 JSON values");
    assert_true(seconds_now() - t0 < 0.5);
    /* Separators inside strings are text, not values. */
    memset(text, ',', used);
    text[0] = '"';
    text[used - 1] = '"';
    expect_unusable_text(text, used, "'[' or '{' expected");
    free(text);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    const char *path = BROKEN_DIR "/no-such-library.json";
    assert_int_equal(oi_druglib_load_file(path, &dl, &diag), OI_LOAD_UNUSABLE);
    assert_int_equal(diag.n, 1);
    assert_non_null(strstr(diag.items[0].message, "cannot open \""));
    assert_non_null(strstr(diag.items[0].message, "no-such-library.json\": No such file"));
    assert_null(dl.storage);
    oi_diag_free(&diag);

    assert_int_equal(oi_druglib_load_file(BROKEN_DIR, &dl, &diag), OI_LOAD_UNUSABLE);
    assert_non_null(strstr(diag.items[0].message, "not a regular file"));
    oi_diag_free(&diag);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text("{}", 2, &dl, NULL), OI_LOAD_UNUSABLE);
    assert_int_equal(oi_druglib_load_file(SAMPLE_LIBRARY, &dl, NULL), OI_LOAD_UNUSABLE);
    assert_int_equal(oi_druglib_load_text("{}", 2, NULL, &diag), OI_LOAD_UNUSABLE);
    assert_int_equal(diag.n, 1);
    oi_diag_free(&diag);
    assert_int_equal(oi_druglib_load_file(NULL, &dl, &diag), OI_LOAD_UNUSABLE);
    assert_int_equal(diag.n, 1);
    oi_diag_free(&diag);
    /* No text at all is an empty document. */
    expect_unusable_text(NULL, 0, "line 1, column 0: '[' or '{' expected near end of file");
    assert_int_equal(oi_druglib_load_text(NULL, 5, &dl, &diag), OI_LOAD_UNUSABLE);
    oi_diag_free(&diag);
    oi_druglib_free(NULL);
    oi_diag_free(NULL);
}

/* A text need not be NUL-terminated: only len bytes are read. */
static void test_text_length_is_respected(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = read_text(VALID_DIR "/all-modes.json", &len);
    assert_non_null(text);
    char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, text, len); /* no terminator: ASan would catch a read past len */
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text(copy, len, &dl, &diag), OI_LOAD_OK);
    oi_druglib_free(&dl);
    /* Cut short, the same text is a syntax error, not a read of what follows. */
    assert_int_equal(oi_druglib_load_text(copy, len / 2, &dl, &diag), OI_LOAD_UNUSABLE);
    oi_diag_free(&diag);
    free(copy);
    free(text);
}

/* Thousands of problems: the first OI_DIAG_MAX are kept, the rest counted. */
static void test_problem_cap(void **state)
{
    (void)state;
    const size_t n_keys = 1500;
    size_t cap = 200 + n_keys * 16;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)snprintf(text, cap,
                                "{\"format\":\"openinfusion-druglib\",\"format_version\":1,"
                                "\"library_id\":\"L\",\"version\":\"1\",\"care_areas\":[{\"id\":"
                                "\"A\",\"name\":\"A\",\"rate_ml_h\":{\"min\":1,\"max\":2}}]");
    for (size_t i = 0; i < n_keys; i++) {
        n += (size_t)snprintf(text + n, cap - n, ",\"k%zu\":0", i);
    }
    n += (size_t)snprintf(text + n, cap - n, "}");
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text(text, n, &dl, &diag), OI_LOAD_INVALID);
    assert_int_equal(diag.n, OI_DIAG_MAX);
    assert_int_equal(diag.n + diag.n_dropped, n_keys);
    assert_string_equal(diag.items[0].message, "unknown key \"k0\"");
    oi_diag_free(&diag);
    free(text);
}

/* Strings: NUL in a key is refused by the parser; long keys are quoted back shortened. */
static void test_hostile_keys(void **state)
{
    (void)state;
    const char nul_key[] = "{\"a\\u0000b\": 1}";
    expect_unusable_text(nul_key, sizeof nul_key - 1, "NUL byte in object key not supported");

    char text[1200];
    char key[1001];
    memset(key, 'k', 1000);
    key[1000] = '\0';
    int n = snprintf(text, sizeof text, "{\"%s\": 1}", key);
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text(text, (size_t)n, &dl, &diag), OI_LOAD_INVALID);
    assert_true(diag_has(&diag, "unknown key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                                "kkkkkkkkkkkk...\""));
    assert_true(diag_has(&diag, "missing required key \"care_areas\""));
    oi_diag_free(&diag);
}

static size_t utf8_sequence_length(unsigned char c)
{
    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        return 2;
    }
    if (c >= 0xe0 && c <= 0xef) {
        return 3;
    }
    return (c >= 0xf0 && c <= 0xf4) ? 4 : 0;
}

/* Messages travel as JSON and line by line: valid UTF-8, no control characters. */
static bool is_clean_utf8(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u != 0) {
        size_t k = utf8_sequence_length(*u);
        if (k == 0 || *u < 0x20 || *u == 0x7f) {
            return false;
        }
        for (size_t j = 1; j < k; j++) {
            if ((u[j] & 0xc0) != 0x80) {
                return false;
            }
        }
        u += k;
    }
    return true;
}

static void test_messages_are_printable(void **state)
{
    (void)state;
    /* 63 ASCII bytes then 2-byte characters: a cut at 64 bytes would split one. */
    const char *text = "{\"a\\nb\": 1, \"x\\u0007\": 2, "
                       "\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                       "\u00e9\u00e9\u00e9\": 3}";
    struct oi_druglib dl;
    struct oi_diag diag = {0};
    assert_int_equal(oi_druglib_load_text(text, strlen(text), &dl, &diag), OI_LOAD_INVALID);
    assert_true(diag_has(&diag, "unknown key \"a?b\""));
    assert_true(diag_has(&diag, "unknown key \"x?\""));
    assert_true(diag_has(&diag, "unknown key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
                                "kkkkkkkkkkkk...\""));
    for (size_t i = 0; i < diag.n; i++) {
        assert_true(is_clean_utf8(diag.items[i].message));
    }
    oi_diag_free(&diag);

    /* jansson's "near" text quotes the input: a raw line break inside a string. */
    const char raw[] = "{\"format\": \"open\ninfusion\"}";
    assert_int_equal(oi_druglib_load_text(raw, sizeof raw - 1, &dl, &diag), OI_LOAD_UNUSABLE);
    assert_int_equal(diag.n, 1);
    assert_true(is_clean_utf8(diag.items[0].message));
    oi_diag_free(&diag);
    /* Broken UTF-8 in the input never reaches a message. */
    const char bad[] = "{\"format\": \"\xc3\x28\"}";
    assert_int_equal(oi_druglib_load_text(bad, sizeof bad - 1, &dl, &diag), OI_LOAD_UNUSABLE);
    assert_true(is_clean_utf8(diag.items[0].message));
    print_diag(&diag);
    oi_diag_free(&diag);
}

/* ---- allocation failure inside jansson ----------------------------------------------------- */

static long alloc_budget = -1; /* allocations left before failing; -1: never fail */

static void *failing_malloc(size_t n)
{
    if (alloc_budget == 0) {
        return NULL;
    }
    if (alloc_budget > 0) {
        alloc_budget--;
    }
    return malloc(n);
}

/* Fail the Nth allocation for every N until the load succeeds: each failure must be a clean
 * UNUSABLE (never a crash, a leak or a half-built library). */
static void test_jansson_allocation_failures(void **state)
{
    (void)state;
    size_t len = 0;
    char *text = read_text(VALID_DIR "/all-modes.json", &len);
    assert_non_null(text);
    json_set_alloc_funcs(failing_malloc, free);
    long n = 0;
    for (;; n++) {
        struct oi_druglib dl;
        struct oi_diag diag = {0};
        alloc_budget = n;
        oi_load_status st = oi_druglib_load_text(text, len, &dl, &diag);
        alloc_budget = -1;
        if (st == OI_LOAD_OK) {
            assert_int_equal(diag.n, 0);
            assert_int_equal(dl.lib.n_entries, 5);
            oi_druglib_free(&dl);
            oi_diag_free(&diag);
            break;
        }
        assert_int_equal(st, OI_LOAD_UNUSABLE);
        assert_int_equal(diag.n, 1); /* one reason, not a half-checked list */
        assert_null(dl.storage);
        oi_diag_free(&diag);
        assert_true(n < 100000);
    }
    json_set_alloc_funcs(malloc, free);
    print_message("    succeeded once %ld allocations were allowed\n", n);
    assert_true(n > 10);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_library_loads),
        cmocka_unit_test(test_sample_library_entry_fields),
        cmocka_unit_test(test_sample_library_every_entry_found),
        cmocka_unit_test(test_valid_all_modes),
        cmocka_unit_test(test_valid_extension_keys),
        cmocka_unit_test(test_broken_corpus),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_file_over_size_limit),
        cmocka_unit_test(test_too_many_values),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_text_length_is_respected),
        cmocka_unit_test(test_problem_cap),
        cmocka_unit_test(test_hostile_keys),
        cmocka_unit_test(test_messages_are_printable),
        cmocka_unit_test(test_jansson_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
