/*
 * bench_ders - DERS checks per second and library load time (issue: >= 5 million checks/s on
 * one core over 1 million random programs against a generated library of 5,000 entries).
 *
 * Side by side in one run, each with its baseline:
 *   load:   oi_druglib_load_text (parse + validate + compile) vs jansson's parse alone;
 *   checks: pump_ders_check (exact rationals, every rule) vs a naive double-precision check of
 *           the same programs (dose limits and rate only: the floor that exactness costs over).
 * Usage: bench_ders [--programs N] [--entries M] [--seed S]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "oi_json.h"

#define N_AREAS 10U

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ((double)ts.tv_nsec / 1e9);
}

/* Entry i: continuous mcg/kg/min (even) or intermittent mg/kg with a duration (odd). */
static int append_entry(json_t *entries, unsigned i)
{
    char id[32];
    json_t *e;
    (void)snprintf(id, sizeof id, "E%05u", i);
    if ((i % 2U) == 0U) {
        e = json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:s, s:i}, s:s, s:{s:f, s:i, s:i, s:i},"
                      " s:{s:i, s:i}, s:i}",
                      "id", id, "drug", "drug", "display_name", id, "mode", "continuous",
                      "concentration", "amount", 400 + (int)(i % 7U), "amount_unit", "mg",
                      "volume_ml", 250, "dosing_unit", "mcg/kg/min", "dose_limits", "hard_min",
                      0.5, "soft_min", 2, "soft_max", 20, "hard_max", 30, "titration",
                      "soft_max_increase_pct", 100, "hard_max_increase_pct", 300,
                      "max_rate_ml_h", 500);
    } else {
        e = json_pack("{s:s, s:s, s:s, s:s, s:{s:i, s:s, s:i}, s:s, s:{s:i, s:i}, s:s,"
                      " s:{s:i, s:i}, s:{s:i, s:i}, s:i}",
                      "id", id, "drug", "drug", "display_name", id, "mode", "intermittent",
                      "concentration", "amount", 1000, "amount_unit", "mg", "volume_ml", 100,
                      "dosing_unit", "mg/kg", "dose_limits", "soft_max", 15, "hard_max", 25,
                      "dose_rate_unit", "mg/kg/h", "dose_rate_limits", "soft_max", 30,
                      "hard_max", 60, "duration_min_limits", "soft_min", 15, "hard_min", 10,
                      "container_ml", 100);
    }
    return (e != NULL) ? json_array_append_new(entries, e) : -1;
}

static char *make_library(unsigned n_entries)
{
    json_t *areas = json_array();
    json_t *root;
    char *text;
    unsigned a;
    unsigned i;
    for (a = 0; a < N_AREAS; a++) {
        char id[16];
        json_t *entries = json_array();
        for (i = a; i < n_entries; i += N_AREAS) {
            if (append_entry(entries, i) != 0) {
                return NULL;
            }
        }
        (void)snprintf(id, sizeof id, "AREA%u", a);
        (void)json_array_append_new(
            areas, json_pack("{s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:{s:f, s:i}, s:o}", "id", id,
                             "name", id, "patient_weight_kg", "hard_min", 1, "soft_min", 3,
                             "soft_max", 150, "hard_max", 300, "rate_ml_h", "min", 0.1, "max",
                             999, "entries", entries));
    }
    root = json_pack("{s:s, s:i, s:s, s:s, s:o}", "format", "openinfusion-druglib",
                     "format_version", 1, "library_id", "BENCH", "version", "1", "care_areas",
                     areas);
    text = (root != NULL) ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* One generated program, compact: filled into a struct pump_program per check. */
struct spec {
    uint32_t entry;
    uint32_t area;
    struct pump_q dose;
    struct pump_q weight;
    struct pump_q extra; /* duration (intermittent) or current dose (continuous), or 0 */
};

static struct pump_q rand_decimal(uint32_t lo_hundredths, uint32_t hi_hundredths)
{
    struct pump_q q = {0, 1};
    int64_t m = (int64_t)(lo_hundredths + (uint32_t)(rng() % (hi_hundredths - lo_hundredths + 1U)));
    (void)pump_q_make(m, 100, &q);
    return q;
}

static void make_specs(struct spec *s, size_t n, unsigned n_entries)
{
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t e = (uint32_t)(rng() % n_entries);
        s[i].entry = e;
        /* 2% name the wrong care area (REJECT_INVALID entry) */
        s[i].area = ((rng() % 50U) == 0U) ? ((e + 1U) % N_AREAS) : (e % N_AREAS);
        s[i].weight = rand_decimal(50, 20000);
        if ((e % 2U) == 0U) {
            s[i].dose = rand_decimal(1, 4000);
            s[i].extra = ((rng() % 4U) == 0U) ? rand_decimal(100, 2000) : pump_q_int(0);
        } else {
            s[i].dose = rand_decimal(10, 3000);
            s[i].extra = rand_decimal(500, 12000);
        }
    }
}

static char ids[2][N_AREAS > 16 ? N_AREAS : 16][8];

static struct pump_unit unit_cont;
static struct pump_unit unit_int;

static void fill(struct pump_program *p, const struct spec *s, char (*entry_ids)[12])
{
    bool cont = (s->entry % 2U) == 0U;
    p->care_area = ids[0][s->area];
    p->care_area_len = strlen(ids[0][s->area]);
    p->entry = entry_ids[s->entry];
    p->entry_len = strlen(entry_ids[s->entry]);
    p->mode = (uint8_t)(cont ? PUMP_MODE_CONTINUOUS : PUMP_MODE_INTERMITTENT);
    p->dose.q = s->dose;
    p->dose_unit = cont ? unit_cont : unit_int;
    p->weight_kg.q = s->weight;
    p->current_dose.state = (uint8_t)((cont && (s->extra.num != 0)) ? PUMP_V_GIVEN : PUMP_V_ABSENT);
    p->current_dose.q = s->extra;
    p->duration_min.state = (uint8_t)(cont ? PUMP_V_ABSENT : PUMP_V_GIVEN);
    p->duration_min.q = s->extra;
}

static double qd(struct pump_q q)
{
    return (double)q.num / (double)q.den;
}

/* The baseline: the same programs judged naively in doubles (dose limits, rate ceiling, and for
 * intermittent the dose rate), with the same hashed entry lookup. Returns a severity checksum. */
static unsigned naive_check(const struct pump_library *lib, const struct pump_program *p)
{
    uint32_t idx;
    const struct pump_entry *e;
    double dose = qd(p->dose.q);
    double w = qd(p->weight_kg.q);
    double per_ml;
    double rate;
    if (pump_library_find_entry(lib, p->entry, p->entry_len, &idx) != PUMP_OK) {
        return 5;
    }
    e = &lib->st.entries[idx];
    per_ml = qd(e->conc_amount) / qd(e->conc_volume_ml);
    if (p->mode == (uint8_t)PUMP_MODE_CONTINUOUS) {
        rate = dose * w * 60.0 / (per_ml * 1000.0);
    } else {
        double d = qd(p->duration_min.q);
        rate = (dose * w / per_ml) * 60.0 / d;
        if (dose * w / (d / 60.0) / w > qd(e->dose_rate_limits.bound[PUMP_HARD_MAX])) {
            return 4;
        }
    }
    if ((dose > qd(e->dose_limits.bound[PUMP_HARD_MAX])) || (rate > qd(e->max_rate_ml_h))) {
        return 4;
    }
    return (dose > qd(e->dose_limits.bound[PUMP_SOFT_MAX])) ? 2U : 0U;
}

#define N_PASSES 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

struct options {
    size_t n_programs;
    unsigned n_entries;
};

static int parse_args(int argc, char **argv, struct options *o)
{
    int i;
    o->n_programs = 1000000U;
    o->n_entries = 5000U;
    for (i = 1; i < argc; i++) {
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if ((strcmp(argv[i], "--help") == 0) || (strcmp(argv[i], "-h") == 0)) {
            (void)printf("usage: bench_ders [--programs N] [--entries M] [--seed S]\n"
                         "DERS checks per second and library load time, each beside a "
                         "baseline.\n");
            exit(0);
        }
        if (v == NULL) {
            (void)fprintf(stderr, "bench_ders: %s needs a value\n", argv[i]);
            return -1;
        }
        if (strcmp(argv[i], "--programs") == 0) {
            o->n_programs = (size_t)strtoull(v, NULL, 10);
        } else if (strcmp(argv[i], "--entries") == 0) {
            o->n_entries = (unsigned)strtoul(v, NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0) {
            rng_state = strtoull(v, NULL, 10) | 1U;
        } else {
            (void)fprintf(stderr, "bench_ders: unknown option %s\n", argv[i]);
            return -1;
        }
        i++;
    }
    return ((o->n_programs == 0U) || (o->n_entries < N_AREAS) || (o->n_entries > 99999U)) ? -1 : 0;
}

/* Best of a few runs of the load and of parse-only, in seconds. */
static int bench_load(const char *text, struct oi_druglib *dl, double *load_s, double *parse_s)
{
    int k;
    *load_s = 1e9;
    *parse_s = 1e9;
    for (k = 0; k < 5; k++) {
        struct oi_diag diag = {NULL, 0, 0, 0};
        json_error_t err;
        double t0 = now_s();
        json_t *j = json_loads(text, 0, &err);
        double t1 = now_s();
        double t2;
        oi_load_status st;
        json_decref(j);
        t2 = now_s();
        st = oi_druglib_load_text(text, strlen(text), dl, &diag);
        *load_s = (now_s() - t2 < *load_s) ? now_s() - t2 : *load_s;
        *parse_s = (t1 - t0 < *parse_s) ? t1 - t0 : *parse_s;
        oi_diag_free(&diag);
        if (st != OI_LOAD_OK) {
            (void)fprintf(stderr, "bench_ders: generated library did not load\n");
            return -1;
        }
        if (k < 4) {
            oi_druglib_free(dl);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    struct oi_druglib dl;
    struct pump_program prog;
    struct pump_ders_result res;
    struct spec *specs;
    char (*entry_ids)[12];
    char *text;
    double load_s;
    double parse_s;
    double t0;
    double ders_s[N_PASSES];
    double naive_s[N_PASSES];
    int pass;
    unsigned long counts[PUMP_OUTCOME_COUNT] = {0};
    unsigned long naive_sum = 0;
    size_t i;
    if (parse_args(argc, argv, &o) != 0) {
        return 2;
    }
    text = make_library(o.n_entries);
    specs = calloc(o.n_programs, sizeof *specs);
    entry_ids = calloc(o.n_entries, sizeof *entry_ids);
    if ((text == NULL) || (specs == NULL) || (entry_ids == NULL) ||
        (bench_load(text, &dl, &load_s, &parse_s) != 0)) {
        return 1;
    }
    for (i = 0; i < o.n_entries; i++) {
        (void)snprintf(entry_ids[i], sizeof entry_ids[i], "E%05u", (unsigned)i);
    }
    for (i = 0; i < N_AREAS; i++) {
        (void)snprintf(ids[0][i], sizeof ids[0][i], "AREA%u", (unsigned)i);
    }
    make_specs(specs, o.n_programs, o.n_entries);
    if ((pump_unit_parse("mcg/kg/min", 10, &unit_cont) != PUMP_OK) ||
        (pump_unit_parse("mg/kg", 5, &unit_int) != PUMP_OK)) {
        return 1;
    }
    memset(&prog, 0, sizeof prog);
    prog.has_dose_unit = true;
    prog.dose.state = (uint8_t)PUMP_V_GIVEN;
    prog.weight_kg.state = (uint8_t)PUMP_V_GIVEN;
    /* Passes alternate between the DERS and the baseline so both see the same machine noise;
     * the best pass of each is reported (the least disturbed), and the median beside it. */
    for (pass = 0; pass < N_PASSES; pass++) {
        t0 = now_s();
        for (i = 0; i < o.n_programs; i++) {
            fill(&prog, &specs[i], entry_ids);
            if (pump_ders_check(&dl.lib, &prog, &res) != PUMP_OK) {
                return 1;
            }
            counts[res.outcome] += (pass == 0) ? 1U : 0U;
        }
        ders_s[pass] = now_s() - t0;
        t0 = now_s();
        for (i = 0; i < o.n_programs; i++) {
            fill(&prog, &specs[i], entry_ids);
            naive_sum += naive_check(&dl.lib, &prog);
        }
        naive_s[pass] = now_s() - t0;
    }
    qsort(ders_s, N_PASSES, sizeof ders_s[0], cmp_double);
    qsort(naive_s, N_PASSES, sizeof naive_s[0], cmp_double);
    (void)printf("library: %u entries in %u care areas, %zu bytes of JSON\n", o.n_entries,
                 N_AREAS, strlen(text));
    (void)printf("load (parse+validate+compile): %.1f ms   baseline jansson parse only: %.1f ms"
                 "   ratio %.2f\n", load_s * 1e3, parse_s * 1e3, load_s / parse_s);
    (void)printf("DERS checks (%zu programs, best of %d passes): %.2f million/s (median %.2f)"
                 "   baseline naive doubles: %.2f million/s (median %.2f)   time ratio %.2f\n",
                 o.n_programs, N_PASSES, (double)o.n_programs / ders_s[0] / 1e6,
                 (double)o.n_programs / ders_s[N_PASSES / 2] / 1e6,
                 (double)o.n_programs / naive_s[0] / 1e6,
                 (double)o.n_programs / naive_s[N_PASSES / 2] / 1e6, ders_s[0] / naive_s[0]);
    (void)printf("outcomes:");
    for (i = 0; i < (size_t)PUMP_OUTCOME_COUNT; i++) {
        (void)printf(" %s %lu", pump_outcome_str((pump_outcome)i), counts[i]);
    }
    (void)printf("   (baseline checksum %lu)\n", naive_sum);
    oi_druglib_free(&dl);
    free(text);
    free(specs);
    free(entry_ids);
    return 0;
}
