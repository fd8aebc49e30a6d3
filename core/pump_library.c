/*
 * pump_library.c - the compiled drug library in caller storage (contract: see pump_library.h).
 *
 * Ids are found through two open-addressing hash tables (FNV-1a, linear probing) whose slots
 * hold index + 1 (0 = empty). The tables are at most half full, so a probe ends quickly, and
 * every probe loop is bounded by the table size.
 */
#include "pump/pump_library.h"

#include "pump_internal.h"

static uint32_t fnv1a(const char *s, size_t len)
{
    uint32_t h = 2166136261U;
    size_t i;
    for (i = 0; i < len; i++) {
        h ^= (uint32_t)(unsigned char)s[i];
        h *= 16777619U;
    }
    /* Fold the high bits down: the table uses the low bits, and FNV's low bits depend only on
     * the low bits of each step, so ids like E00001..E04999 would cluster into long probe runs. */
    h ^= h >> 16U;
    h *= 0x85EBCA6BU;
    h ^= h >> 13U;
    return h;
}

static int is_pow2(uint32_t v)
{
    return (v != 0U) && ((v & (v - 1U)) == 0U);
}

uint32_t pump_library_slots_for(uint32_t n)
{
    uint32_t s = 8U;
    while ((s < (2U * n)) && (s < 0x80000000U)) {
        s *= 2U;
    }
    return s;
}

pump_status pump_library_init(struct pump_library *lib, const struct pump_library_storage *st)
{
    uint32_t i;
    if ((lib == NULL) || (st == NULL) || (st->area_slots == NULL) || (st->entry_slots == NULL) ||
        (st->strings == NULL) || ((st->areas == NULL) && (st->cap_areas != 0U)) ||
        ((st->entries == NULL) && (st->cap_entries != 0U))) {
        return PUMP_ERR_INVAL;
    }
    if ((is_pow2(st->cap_area_slots) == 0) || (is_pow2(st->cap_entry_slots) == 0) ||
        (st->cap_area_slots <= st->cap_areas) || (st->cap_entry_slots <= st->cap_entries)) {
        return PUMP_ERR_INVAL;
    }
    lib->st = *st;
    lib->n_areas = 0U;
    lib->n_entries = 0U;
    lib->n_strings = 0U;
    lib->library_id.off = 0U;
    lib->library_id.len = 0U;
    lib->version = lib->library_id;
    for (i = 0; i < st->cap_area_slots; i++) {
        st->area_slots[i] = 0U;
    }
    for (i = 0; i < st->cap_entry_slots; i++) {
        st->entry_slots[i] = 0U;
    }
    return PUMP_OK;
}

pump_status pump_library_intern(struct pump_library *lib, const char *text, size_t len,
                                struct pump_str *out)
{
    size_t i;
    if ((lib == NULL) || (out == NULL) || ((text == NULL) && (len != 0U))) {
        return PUMP_ERR_INVAL;
    }
    if (len > (size_t)(lib->st.cap_strings - lib->n_strings)) {
        return PUMP_ERR_FULL;
    }
    for (i = 0; i < len; i++) {
        lib->st.strings[lib->n_strings + i] = text[i];
    }
    out->off = lib->n_strings;
    out->len = (uint32_t)len;
    lib->n_strings += (uint32_t)len;
    return PUMP_OK;
}

const char *pump_library_str(const struct pump_library *lib, struct pump_str s)
{
    if ((lib == NULL) || (s.off > lib->n_strings) || (s.len > (lib->n_strings - s.off))) {
        return "";
    }
    return &lib->st.strings[s.off];
}

/* Ids are short: an inline byte loop after the length test costs less than a call to memcmp,
 * and lookups are a third of a DERS check's work. */
static int str_is(const struct pump_library *lib, struct pump_str s, const char *id, size_t len)
{
    const char *p;
    size_t i;
    if ((s.len != len) || (s.len > lib->n_strings) || (s.off > (lib->n_strings - s.len))) {
        /* DEFENSIVE: the second and third tests keep a corrupt id inside the pool */
        return 0;
    }
    p = &lib->st.strings[s.off];
    for (i = 0; i < len; i++) {
        if (p[i] != id[i]) {
            return 0;
        }
    }
    return 1;
}

/* The slot holding id, or the empty slot where it would go. Bounded by the table size. */
static uint32_t probe(const struct pump_library *lib, int entries, const char *id, size_t len,
                      int *found)
{
    const uint32_t *slots = (entries != 0) ? lib->st.entry_slots : lib->st.area_slots;
    uint32_t cap = (entries != 0) ? lib->st.cap_entry_slots : lib->st.cap_area_slots;
    uint32_t mask = cap - 1U;
    uint32_t pos = fnv1a(id, len) & mask;
    uint32_t n;
    *found = 0;
    for (n = 0; n < cap; n++) {
        uint32_t v = slots[pos];
        struct pump_str s;
        if (v == 0U) {
            return pos;
        }
        s = (entries != 0) ? lib->st.entries[v - 1U].id : lib->st.areas[v - 1U].id;
        if (str_is(lib, s, id, len) != 0) {
            *found = 1;
            return pos;
        }
        pos = (pos + 1U) & mask;
    }
    return cap; /* DEFENSIVE: a full table cannot happen while cap > count */
}

static pump_status find(const struct pump_library *lib, int entries, const char *id, size_t len,
                        uint32_t *index_out)
{
    int found;
    uint32_t pos;
    const uint32_t *slots;
    if ((lib == NULL) || (id == NULL) || (index_out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    slots = (entries != 0) ? lib->st.entry_slots : lib->st.area_slots;
    pos = probe(lib, entries, id, len, &found);
    if (found == 0) {
        return PUMP_ERR_NOT_FOUND;
    }
    *index_out = slots[pos] - 1U;
    return PUMP_OK;
}

pump_status pump_library_find_area(const struct pump_library *lib, const char *id, size_t len,
                                   uint32_t *index_out)
{
    return find(lib, 0, id, len, index_out);
}

pump_status pump_library_find_entry(const struct pump_library *lib, const char *id, size_t len,
                                    uint32_t *index_out)
{
    return find(lib, 1, id, len, index_out);
}

/* Present bounds in the order hard_min <= soft_min <= soft_max <= hard_max. Unordered limits
 * would make a verdict depend on which bound is looked at first, so they are refused here even
 * from a caller that skipped pump_entry_check. */
static int limits_ordered(const struct pump_limits *l)
{
    unsigned b;
    unsigned prev = (unsigned)PUMP_BOUND_COUNT;
    for (b = 0; b < (unsigned)PUMP_BOUND_COUNT; b++) {
        if (((l->present >> b) & 1U) == 0U) {
            continue;
        }
        if ((prev < (unsigned)PUMP_BOUND_COUNT) && (pump_q_cmp(l->bound[prev], l->bound[b]) > 0)) {
            return 0;
        }
        prev = b;
    }
    return 1;
}

static int entry_limits_ordered(const struct pump_entry *e)
{
    const struct pump_limits *all[] = {
        &e->dose_limits,         &e->dose_rate_limits,       &e->duration_min_limits,
        &e->conc_limits,         &e->bolus_limits,           &e->bolus_duration_min_limits,
        &e->pca_dose_limits,     &e->pca_lockout_min_limits, &e->pca_basal_limits,
        &e->pca_four_hour_limits};
    size_t i;
    for (i = 0; i < (sizeof all / sizeof all[0]); i++) {
        if (limits_ordered(all[i]) == 0) {
            return 0;
        }
    }
    return 1;
}

pump_status pump_library_add_area(struct pump_library *lib, const struct pump_care_area *a,
                                  uint32_t *index_out)
{
    int found;
    uint32_t pos;
    if ((lib == NULL) || (a == NULL) || (limits_ordered(&a->weight_kg) == 0) ||
        (limits_ordered(&a->bsa_m2) == 0)) {
        return PUMP_ERR_INVAL;
    }
    if (lib->n_areas >= lib->st.cap_areas) {
        return PUMP_ERR_FULL;
    }
    pos = probe(lib, 0, pump_library_str(lib, a->id), a->id.len, &found);
    if (found != 0) {
        return PUMP_ERR_DUPLICATE;
    }
    if (pos >= lib->st.cap_area_slots) {
        return PUMP_ERR_INTERNAL;
    }
    lib->st.areas[lib->n_areas] = *a;
    lib->st.areas[lib->n_areas].n_entries = 0U;
    lib->st.area_slots[pos] = lib->n_areas + 1U;
    if (index_out != NULL) {
        *index_out = lib->n_areas;
    }
    lib->n_areas++;
    return PUMP_OK;
}

/* (100 + pct) / 100, reduced; PUMP_ERR_RANGE when it does not fit. */
static pump_status titration_factor(struct pump_q pct, struct pump_q *out)
{
    struct pump_q f;
    pump_status st = pump_q_add(pct, pump_q_int(100), &f);
    if (st == PUMP_OK) {
        st = pump_q_div(f, pump_q_int(100), &f);
    }
    if (st == PUMP_OK) {
        st = pump_q_make(f.num, f.den, out);
    }
    return st;
}

/* The derived fields of pump_entry. A figure that does not fit is left unset, and the check
 * then computes it the long way (and reports a number too large if it must). */
static void derive(struct pump_entry *e)
{
    struct pump_q f;
    e->has_ml_per_amount = false;
    e->ml_per_amount = pump_q_int(0);
    e->titration_soft_factor = pump_q_int(0);
    e->titration_hard_factor = pump_q_int(0);
    if (e->has_conc && (pump_q_sign(e->conc_amount) > 0) &&
        (pump_amount_factor((pump_amount)e->dosing_unit.amount,
                            (pump_amount)e->conc_amount_unit.amount, &f) == PUMP_OK) &&
        (pump_q_mul(f, e->conc_volume_ml, &f) == PUMP_OK) &&
        (pump_q_div(f, e->conc_amount, &f) == PUMP_OK) &&
        (pump_q_make(f.num, f.den, &e->ml_per_amount) == PUMP_OK)) {
        e->has_ml_per_amount = true;
    }
    if (e->has_titration_soft &&
        (titration_factor(e->titration_soft_pct, &e->titration_soft_factor) != PUMP_OK)) {
        e->titration_soft_factor = pump_q_int(0);
    }
    if (e->has_titration_hard &&
        (titration_factor(e->titration_hard_pct, &e->titration_hard_factor) != PUMP_OK)) {
        e->titration_hard_factor = pump_q_int(0);
    }
}

pump_status pump_library_add_entry(struct pump_library *lib, const struct pump_entry *e,
                                   uint32_t *index_out)
{
    int found;
    uint32_t pos;
    if ((lib == NULL) || (e == NULL) || (e->area >= lib->n_areas) ||
        (e->mode >= (uint8_t)PUMP_ENTRY_MODE_COUNT) || (entry_limits_ordered(e) == 0)) {
        return PUMP_ERR_INVAL;
    }
    if (lib->n_entries >= lib->st.cap_entries) {
        return PUMP_ERR_FULL;
    }
    pos = probe(lib, 1, pump_library_str(lib, e->id), e->id.len, &found);
    if (found != 0) {
        return PUMP_ERR_DUPLICATE;
    }
    if (pos >= lib->st.cap_entry_slots) {
        return PUMP_ERR_INTERNAL;
    }
    lib->st.entries[lib->n_entries] = *e;
    derive(&lib->st.entries[lib->n_entries]);
    lib->st.entry_slots[pos] = lib->n_entries + 1U;
    lib->st.areas[e->area].n_entries++;
    if (index_out != NULL) {
        *index_out = lib->n_entries;
    }
    lib->n_entries++;
    return PUMP_OK;
}
