/* test_library.c - the compiled library: caller storage, hashed lookup, semantic checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pump/pump_library.h"

#define N_AREAS 7U
#define N_ENTRIES 6000U

struct fixture {
    struct pump_library lib;
    struct pump_library_storage st;
};

static void make_storage(struct pump_library_storage *st, uint32_t n_areas, uint32_t n_entries)
{
    st->cap_areas = n_areas;
    st->areas = calloc(n_areas, sizeof *st->areas);
    st->cap_entries = n_entries;
    st->entries = calloc(n_entries, sizeof *st->entries);
    st->cap_area_slots = pump_library_slots_for(n_areas);
    st->area_slots = calloc(st->cap_area_slots, sizeof *st->area_slots);
    st->cap_entry_slots = pump_library_slots_for(n_entries);
    st->entry_slots = calloc(st->cap_entry_slots, sizeof *st->entry_slots);
    st->cap_strings = 32U * (n_areas + n_entries);
    st->strings = calloc(st->cap_strings, 1);
    assert_non_null(st->areas);
    assert_non_null(st->entries);
    assert_non_null(st->area_slots);
    assert_non_null(st->entry_slots);
    assert_non_null(st->strings);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uint32_t i;
    char id[32];
    if (f == NULL) {
        return -1;
    }
    make_storage(&f->st, N_AREAS, N_ENTRIES);
    assert_int_equal(pump_library_init(&f->lib, &f->st), PUMP_OK);
    for (i = 0; i < N_AREAS; i++) {
        struct pump_care_area a;
        memset(&a, 0, sizeof a);
        (void)snprintf(id, sizeof id, "AREA-%u", (unsigned)i);
        assert_int_equal(pump_library_intern(&f->lib, id, strlen(id), &a.id), PUMP_OK);
        assert_int_equal(pump_library_add_area(&f->lib, &a, NULL), PUMP_OK);
    }
    for (i = 0; i < N_ENTRIES; i++) {
        struct pump_entry e;
        uint32_t idx = 99;
        memset(&e, 0, sizeof e);
        (void)snprintf(id, sizeof id, "E%u", (unsigned)i);
        assert_int_equal(pump_library_intern(&f->lib, id, strlen(id), &e.id), PUMP_OK);
        e.area = i % N_AREAS;
        assert_int_equal(pump_library_add_entry(&f->lib, &e, &idx), PUMP_OK);
        assert_int_equal(idx, i);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->st.areas);
    free(f->st.entries);
    free(f->st.area_slots);
    free(f->st.entry_slots);
    free(f->st.strings);
    free(f);
    return 0;
}

static void test_every_id_is_found_at_its_index(void **state)
{
    struct fixture *f = *state;
    uint32_t i;
    uint32_t idx;
    char id[32];
    for (i = 0; i < N_ENTRIES; i++) {
        (void)snprintf(id, sizeof id, "E%u", (unsigned)i);
        assert_int_equal(pump_library_find_entry(&f->lib, id, strlen(id), &idx), PUMP_OK);
        assert_int_equal(idx, i);
    }
    for (i = 0; i < N_AREAS; i++) {
        (void)snprintf(id, sizeof id, "AREA-%u", (unsigned)i);
        assert_int_equal(pump_library_find_area(&f->lib, id, strlen(id), &idx), PUMP_OK);
        assert_int_equal(idx, i);
        assert_int_equal(f->lib.st.areas[i].n_entries, (N_ENTRIES + N_AREAS - 1U - i) / N_AREAS);
    }
    assert_int_equal(pump_library_find_entry(&f->lib, "E6000", 5, &idx), PUMP_ERR_NOT_FOUND);
    assert_int_equal(pump_library_find_entry(&f->lib, "E1", 1, &idx), PUMP_ERR_NOT_FOUND);
    assert_int_equal(pump_library_find_entry(&f->lib, "", 0, &idx), PUMP_ERR_NOT_FOUND);
    /* an entry id is not a care area id */
    assert_int_equal(pump_library_find_area(&f->lib, "E1", 2, &idx), PUMP_ERR_NOT_FOUND);
}

static void test_duplicates_and_capacity_refused(void **state)
{
    struct fixture *f = *state;
    struct pump_entry e;
    struct pump_care_area a;
    memset(&e, 0, sizeof e);
    memset(&a, 0, sizeof a);
    assert_int_equal(pump_library_intern(&f->lib, "E17", 3, &e.id), PUMP_OK);
    /* the library is full (cap = N_ENTRIES) so FULL wins; make room to see DUPLICATE */
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_ERR_FULL);
    f->lib.st.cap_entries++;
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_ERR_DUPLICATE);
    f->lib.st.cap_entries--;
    e.area = N_AREAS; /* no such care area */
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_ERR_INVAL);
    assert_int_equal(pump_library_intern(&f->lib, "AREA-3", 6, &a.id), PUMP_OK);
    assert_int_equal(pump_library_add_area(&f->lib, &a, NULL), PUMP_ERR_FULL);
    assert_int_equal(f->lib.n_entries, N_ENTRIES);
}

/* Limits whose bounds are out of order would make a verdict depend on the order the bounds are
 * looked at, so the library refuses them even from a caller that skipped the checks. */
static void test_unordered_limits_refused(void **state)
{
    (void)state;
    struct fixture fx;
    struct fixture *f = &fx;
    struct pump_entry e;
    struct pump_care_area a;
    memset(&e, 0, sizeof e);
    memset(&a, 0, sizeof a);
    make_storage(&f->st, 2, 4);
    assert_int_equal(pump_library_init(&f->lib, &f->st), PUMP_OK);
    assert_int_equal(pump_library_intern(&f->lib, "AREA-0", 6, &a.id), PUMP_OK);
    assert_int_equal(pump_library_add_area(&f->lib, &a, NULL), PUMP_OK);
    uint32_t n_entries = f->lib.n_entries;
    assert_int_equal(pump_library_intern(&f->lib, "UNORDERED", 9, &e.id), PUMP_OK);
    e.area = 0;
    e.dose_limits.present = (1U << PUMP_SOFT_MAX) | (1U << PUMP_HARD_MAX);
    e.dose_limits.bound[PUMP_SOFT_MAX] = pump_q_int(40);
    e.dose_limits.bound[PUMP_HARD_MAX] = pump_q_int(30);
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_ERR_INVAL);
    e.dose_limits.present = 0;
    e.pca_lockout_min_limits.present = (1U << PUMP_HARD_MIN) | (1U << PUMP_SOFT_MAX);
    e.pca_lockout_min_limits.bound[PUMP_HARD_MIN] = pump_q_int(10);
    e.pca_lockout_min_limits.bound[PUMP_SOFT_MAX] = pump_q_int(5);
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_ERR_INVAL);
    assert_int_equal(f->lib.n_entries, n_entries);
    /* equal bounds are ordered */
    e.pca_lockout_min_limits.bound[PUMP_SOFT_MAX] = pump_q_int(10);
    assert_int_equal(pump_library_add_entry(&f->lib, &e, NULL), PUMP_OK);
    assert_int_equal(pump_library_intern(&f->lib, "AREA-X", 6, &a.id), PUMP_OK);
    a.weight_kg.present = (1U << PUMP_SOFT_MIN) | (1U << PUMP_SOFT_MAX);
    a.weight_kg.bound[PUMP_SOFT_MIN] = pump_q_int(150);
    a.weight_kg.bound[PUMP_SOFT_MAX] = pump_q_int(3);
    assert_int_equal(pump_library_add_area(&f->lib, &a, NULL), PUMP_ERR_INVAL);
    assert_int_equal(f->lib.n_areas, 1);
    free(f->st.areas);
    free(f->st.entries);
    free(f->st.area_slots);
    free(f->st.entry_slots);
    free(f->st.strings);
}

static void test_init_validates_storage(void **state)
{
    struct pump_library lib;
    struct pump_library_storage st;
    (void)state;
    make_storage(&st, 4, 4);
    st.cap_entry_slots = 4; /* not larger than the entry count */
    assert_int_equal(pump_library_init(&lib, &st), PUMP_ERR_INVAL);
    st.cap_entry_slots = 12; /* not a power of two */
    assert_int_equal(pump_library_init(&lib, &st), PUMP_ERR_INVAL);
    st.cap_entry_slots = 8;
    st.cap_strings = 3;
    assert_int_equal(pump_library_init(&lib, &st), PUMP_OK);
    {
        struct pump_str s;
        assert_int_equal(pump_library_intern(&lib, "abcd", 4, &s), PUMP_ERR_FULL);
        assert_int_equal(pump_library_intern(&lib, "abc", 3, &s), PUMP_OK);
        assert_memory_equal(pump_library_str(&lib, s), "abc", 3);
    }
    assert_int_equal(pump_library_init(NULL, &st), PUMP_ERR_INVAL);
    assert_int_equal(pump_library_slots_for(0), 8);
    assert_int_equal(pump_library_slots_for(5), 16);
    assert_int_equal(pump_library_slots_for(5000), 16384);
    free(st.areas);
    free(st.entries);
    free(st.area_slots);
    free(st.entry_slots);
    free(st.strings);
}

static struct pump_q qv(int64_t n)
{
    return pump_q_int(n);
}

static void set_bound(struct pump_limits *l, pump_bound b, int64_t v)
{
    l->bound[b] = qv(v);
    l->present = (uint8_t)(l->present | (1U << b));
}

static void test_area_check_reports_each_problem(void **state)
{
    struct pump_care_area a;
    struct pump_problem p[PUMP_MAX_PROBLEMS];
    size_t n = 0;
    (void)state;
    memset(&a, 0, sizeof a);
    set_bound(&a.weight_kg, PUMP_SOFT_MAX, 40);
    set_bound(&a.weight_kg, PUMP_HARD_MAX, 30);
    a.rate_min_ml_h = qv(5);
    a.rate_max_ml_h = qv(1);
    assert_int_equal(pump_area_check(&a, p, PUMP_MAX_PROBLEMS, &n), PUMP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].field, PUMP_F_PATIENT_WEIGHT_KG);
    assert_int_equal(p[0].code, PUMP_P_BOUNDS_ORDER);
    assert_int_equal(p[0].a, PUMP_SOFT_MAX);
    assert_int_equal(p[0].b, PUMP_HARD_MAX);
    assert_int_equal(p[0].va.num, 40);
    assert_int_equal(p[0].vb.num, 30);
    assert_int_equal(p[1].field, PUMP_F_RATE_ML_H);
    assert_int_equal(p[1].code, PUMP_P_RATE_ORDER);
    /* more problems than room: all counted, only cap stored */
    assert_int_equal(pump_area_check(&a, p, 1, &n), PUMP_OK);
    assert_int_equal(n, 2);
}

static struct pump_unit unit(const char *text)
{
    struct pump_unit u;
    assert_int_equal(pump_unit_parse(text, strlen(text), &u), PUMP_OK);
    return u;
}

static size_t entry_problems(const struct pump_entry *e, struct pump_problem *p)
{
    size_t n = 0;
    assert_int_equal(pump_entry_check(e, p, PUMP_MAX_PROBLEMS, &n), PUMP_OK);
    return n;
}

static void test_entry_check_mode_rules(void **state)
{
    struct pump_entry e;
    struct pump_problem p[PUMP_MAX_PROBLEMS];
    (void)state;
    memset(&e, 0, sizeof e);
    e.mode = PUMP_ENTRY_CONTINUOUS;
    e.dosing_unit = unit("mcg/kg/min");
    e.has_conc = true;
    e.conc_amount = qv(400);
    e.conc_amount_unit = unit("mg");
    e.conc_volume_ml = qv(250);
    assert_int_equal(entry_problems(&e, p), 0);
    /* a mass unit cannot be a continuous dosing unit */
    e.dosing_unit = unit("mg");
    assert_int_equal(entry_problems(&e, p), 1);
    assert_int_equal(p[0].field, PUMP_F_DOSING_UNIT);
    assert_int_equal(p[0].code, PUMP_P_UNIT_KIND);
    /* families never mix: units/h against a mg concentration */
    e.dosing_unit = unit("units/h");
    assert_int_equal(entry_problems(&e, p), 1);
    assert_int_equal(p[0].field, PUMP_F_CONCENTRATION);
    assert_int_equal(p[0].code, PUMP_P_UNIT_FAMILY);
    /* no concentration at all */
    e.dosing_unit = unit("mg/h");
    e.has_conc = false;
    assert_int_equal(entry_problems(&e, p), 1);
    assert_int_equal(p[0].code, PUMP_P_MISSING);
    /* pca: needs pca and concentration, and no top-level dose_limits */
    e.mode = PUMP_ENTRY_PCA;
    e.dosing_unit = unit("mg");
    set_bound(&e.dose_limits, PUMP_HARD_MAX, 1);
    assert_int_equal(entry_problems(&e, p), 3);
    assert_int_equal(p[0].field, PUMP_F_DOSE_LIMITS);
    assert_int_equal(p[0].code, PUMP_P_NOT_ALLOWED);
    assert_int_equal(p[1].field, PUMP_F_CONCENTRATION);
    assert_int_equal(p[2].field, PUMP_F_PCA);
    /* fluid: exactly mL/h, no concentration */
    memset(&e, 0, sizeof e);
    e.mode = PUMP_ENTRY_FLUID;
    e.dosing_unit = unit("mL/h");
    assert_int_equal(entry_problems(&e, p), 0);
    e.dosing_unit = unit("mL/min");
    assert_int_equal(entry_problems(&e, p), 1);
    e.dosing_unit = unit("mL/h");
    e.has_titration_soft = true;
    e.titration_soft_pct = qv(100);
    e.has_titration_hard = true;
    e.titration_hard_pct = qv(50);
    assert_int_equal(entry_problems(&e, p), 1);
    assert_int_equal(p[0].code, PUMP_P_TITRATION_ORDER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_id_is_found_at_its_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_and_capacity_refused, setup, teardown),
        cmocka_unit_test(test_unordered_limits_refused),
        cmocka_unit_test(test_init_validates_storage),
        cmocka_unit_test(test_area_check_reports_each_problem),
        cmocka_unit_test(test_entry_check_mode_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
