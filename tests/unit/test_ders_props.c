/*
 * test_ders_props.c - properties of the DERS over thousands of generated programs (fixed-seed
 * xorshift64, so every run judges the same programs and a failure is reproducible):
 *   (a) dose -> rate -> dose (and intermittent dose -> volume -> dose, duration <-> rate) round
 *       trips exactly, in rationals;
 *   (b) monotonicity: above soft_max raising a value never lowers the severity, below soft_min
 *       lowering it never does (ACCEPT 0 < SOFT 1 < HARD 2 < REJECT_INVALID 3);
 *   (c) the textual form of a number does not matter ("0.70", "0.7", "7e-1");
 *   (d) random programs never crash and always give a well-formed result.
 * Fixture: tests/data/druglib/ders-fixture.json.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oi_json.h"
#include "pump/pump_ders.h"

#include "ders_fixture.h"

/* ---- PRNG ---------------------------------------------------------------------------------- */

static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
    rng_state = seed != 0U ? seed : 0x9E3779B97F4A7C15ULL;
}

static uint64_t rng_next(void)
{
    uint64_t x = rng_state;
    x ^= x << 13U;
    x ^= x >> 7U;
    x ^= x << 17U;
    rng_state = x;
    return x;
}

/* Uniform-enough in [lo, hi]. */
static int64_t rng_range(int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1U;
    return lo + (int64_t)(rng_next() % span);
}

static struct pump_q qmake(int64_t num, int64_t den)
{
    struct pump_q q = pump_q_int(0);
    assert_int_equal(pump_q_make(num, den, &q), PUMP_OK);
    return q;
}

static int64_t pow10i(unsigned n)
{
    int64_t p = 1;
    for (unsigned i = 0; i < n; i++) {
        p *= 10;
    }
    return p;
}

/* ---- programs ------------------------------------------------------------------------------ */

struct held {
    json_t *obj;
    struct pump_program p;
};

/* tmpl with ' -> " and '@' -> value. */
static void expand(const char *tmpl, const char *value, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *s = tmpl; *s != '\0'; s++) {
        char one[2] = {(*s == '\'') ? '"' : *s, '\0'};
        const char *piece = (*s == '@') ? value : one;
        size_t len = strlen(piece);
        assert_true(n + len < cap);
        memcpy(buf + n, piece, len);
        n += len;
    }
    buf[n] = '\0';
}

/* Parse tmpl with '@' = value; false (with a message) when it is not a program. */
static bool hold(struct held *h, const char *tmpl, const char *value)
{
    char text[2048];
    char err[256];
    json_error_t jerr;
    expand(tmpl, value, text, sizeof text);
    h->obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (h->obj == NULL) {
        print_error("not JSON (%s): %s\n", jerr.text, text);
        return false;
    }
    if (!oi_program_from_json(h->obj, &h->p, err, sizeof err)) {
        print_error("program refused (%s): %s\n", err, text);
        json_decref(h->obj);
        h->obj = NULL;
        return false;
    }
    return true;
}

static void drop(struct held *h)
{
    json_decref(h->obj);
    h->obj = NULL;
}

static void check(const struct pump_program *p, struct pump_ders_result *r)
{
    memset(r, 0x5A, sizeof *r);
    assert_int_equal(pump_ders_check(&fx.lib, p, r), PUMP_OK);
}

static int severity(const struct pump_ders_result *r)
{
    switch ((pump_outcome)r->outcome) {
    case PUMP_ACCEPT:
        return 0;
    case PUMP_SOFT_LOW:
    case PUMP_SOFT_HIGH:
        return 1;
    case PUMP_HARD_LOW:
    case PUMP_HARD_HIGH:
        return 2;
    case PUMP_REJECT_INVALID:
        return 3;
    case PUMP_OUTCOME_COUNT:
    default:
        return 99;
    }
}

static const struct pump_entry *entry_named(const char *id)
{
    uint32_t idx = 0;
    assert_int_equal(pump_library_find_entry(&fx.lib, id, strlen(id), &idx), PUMP_OK);
    return &fx.lib.st.entries[idx];
}

static void qprint(const char *what, struct pump_q q)
{
    char buf[PUMP_Q_TEXT_MAX];
    if (pump_q_format(q, 12, buf, sizeof buf) != PUMP_OK) {
        snprintf(buf, sizeof buf, "?");
    }
    print_error("  %s = %s (%lld/%lld)\n", what, buf, (long long)q.num, (long long)q.den);
}

/* The standard concentration of e per mL, in the amount unit amt. */
static struct pump_q conc_per_ml(const struct pump_entry *e, pump_amount amt)
{
    struct pump_q f = pump_q_int(0);
    struct pump_q k = pump_q_int(0);
    assert_true(e->has_conc);
    assert_int_equal(pump_amount_factor((pump_amount)e->conc_amount_unit.amount, amt, &f), PUMP_OK);
    assert_int_equal(pump_q_mul(e->conc_amount, f, &k), PUMP_OK);
    assert_int_equal(pump_q_div(k, e->conc_volume_ml, &k), PUMP_OK);
    return k;
}

/* ---- (a) round trips ----------------------------------------------------------------------- */

struct cont_case {
    const char *id;
    const char *unit;
};

static void test_round_trip_continuous(void **state)
{
    (void)state;
    static const struct cont_case cases[] = {
        {"CONT-KGMIN", "mcg/kg/min"},        {"CONT-MGH", "mg/h"},     {"CONT-UNITS", "units/kg/h"},
        {"CONT-MILLI", "milliunits/kg/min"}, {"CONT-NG", "ng/kg/min"}, {"CONT-M2", "mg/m2/h"},
        {"CONT-MCGMIN", "mcg/min"},          {"CONT-GCONC", "mg/min"}, {"CONT-G", "g/h"},
        {"CONT-PREC", "mcg/kg/min"},         {"T-RATE", "mg/h"},       {"T-TRAP", "mg/h"},
    };
    const size_t n_cases = sizeof cases / sizeof cases[0];
    rng_seed(0xA11CE5EEDULL);
    unsigned checked = 0;
    for (unsigned iter = 0; iter < 6000U; iter++) {
        const struct cont_case *cc = &cases[iter % n_cases];
        const struct pump_entry *e = entry_named(cc->id);
        char tmpl[512];
        snprintf(tmpl, sizeof tmpl,
                 "{'care_area':'FIX','entry':'%s','mode':'continuous','dose':1,"
                 "'dose_unit':'%s','weight_kg':1,'bsa_m2':1}",
                 cc->id, cc->unit);
        struct held h;
        assert_true(hold(&h, tmpl, ""));
        /* dose m / 10^s, weight 3..150 kg in 0.1 steps, BSA 1..2.5 in 0.01 steps */
        struct pump_q dose = qmake(rng_range(1, 2000000), pow10i((unsigned)rng_range(0, 5)));
        struct pump_q weight = qmake(rng_range(30, 1500), 10);
        struct pump_q bsa = qmake(rng_range(100, 250), 100);
        h.p.dose.q = dose;
        h.p.weight_kg.q = weight;
        h.p.bsa_m2.q = bsa;
        struct pump_ders_result r;
        check(&h.p, &r);
        drop(&h);
        if (!r.has_rate) {
            /* only a result too large to represent may lack its rate */
            assert_int_equal(r.reason, PUMP_R_TOO_LARGE);
            continue;
        }
        /* dose = rate x concentration per mL / body / (60 when per minute) */
        struct pump_q back = pump_q_int(0);
        struct pump_q body = pump_q_int(1);
        if (e->dosing_unit.body == (uint8_t)PUMP_PER_KG) {
            body = weight;
        } else if (e->dosing_unit.body == (uint8_t)PUMP_PER_M2) {
            body = bsa;
        } else {
            /* per patient */
        }
        if (pump_q_mul(r.rate_ml_h, conc_per_ml(e, (pump_amount)e->dosing_unit.amount), &back) !=
                PUMP_OK ||
            pump_q_div(back, body, &back) != PUMP_OK ||
            (e->dosing_unit.time == (uint8_t)PUMP_TIME_MIN &&
             pump_q_div(back, pump_q_int(60), &back) != PUMP_OK)) {
            continue; /* the test's own arithmetic does not fit: nothing to compare */
        }
        if (pump_q_cmp(back, dose) != 0) {
            print_error("round trip %s: case %u\n", cc->id, iter);
            qprint("dose", dose);
            qprint("weight", weight);
            qprint("bsa", bsa);
            qprint("rate", r.rate_ml_h);
            qprint("dose back", back);
            fail();
        }
        checked++;
    }
    print_message("continuous round trips: %u exact\n", checked);
    assert_true(checked >= 5000U);
}

struct int_case {
    const char *id;
    const char *unit;
};

static void test_round_trip_intermittent(void **state)
{
    (void)state;
    static const struct int_case cases[] = {
        {"B-INT", "mg"},    {"INT-G", "g"},       {"INT-MGKG", "mg/kg"}, {"INT-MEQ", "mEq"},
        {"INT-DRKG", "mg"}, {"INT-NOCONT", "mg"}, {"B-DR", "mg"},        {"T-CONT", "mg/kg"},
    };
    const size_t n_cases = sizeof cases / sizeof cases[0];
    rng_seed(0xB0B0CAFEULL);
    unsigned checked = 0;
    for (unsigned iter = 0; iter < 6000U; iter++) {
        const struct int_case ic = cases[iter % n_cases];
        const struct pump_entry *e = entry_named(ic.id);
        bool by_rate = (rng_next() & 1U) != 0U;
        char tmpl[512];
        snprintf(tmpl, sizeof tmpl,
                 "{'care_area':'FIX','entry':'%s','mode':'intermittent','dose':1,"
                 "'dose_unit':'%s','weight_kg':1,'%s':1}",
                 ic.id, ic.unit, by_rate ? "rate_ml_h" : "duration_min");
        struct held h;
        assert_true(hold(&h, tmpl, ""));
        struct pump_q dose = qmake(rng_range(1, 500000), pow10i((unsigned)rng_range(0, 4)));
        struct pump_q weight = qmake(rng_range(30, 1500), 10);
        struct pump_q timing = qmake(rng_range(1, 100000), pow10i((unsigned)rng_range(0, 3)));
        h.p.dose.q = dose;
        h.p.weight_kg.q = weight;
        if (by_rate) {
            h.p.rate_ml_h.q = timing;
        } else {
            h.p.duration_min.q = timing;
        }
        struct pump_ders_result r;
        check(&h.p, &r);
        drop(&h);
        if (!r.has_volume || !r.has_rate || !r.has_duration) {
            assert_int_equal(r.reason, PUMP_R_TOO_LARGE);
            continue;
        }
        /* the given figure comes back unchanged */
        assert_int_equal(pump_q_cmp(by_rate ? r.rate_ml_h : r.duration_min, timing), 0);
        /* dose = volume x concentration / body */
        struct pump_q back = pump_q_int(0);
        struct pump_q body = e->dosing_unit.body == (uint8_t)PUMP_PER_KG ? weight : pump_q_int(1);
        struct pump_q vol = pump_q_int(0);
        if (pump_q_mul(r.volume_ml, conc_per_ml(e, (pump_amount)e->dosing_unit.amount), &back) !=
                PUMP_OK ||
            pump_q_div(back, body, &back) != PUMP_OK ||
            /* volume = rate x duration / 60 */
            pump_q_mul(r.rate_ml_h, r.duration_min, &vol) != PUMP_OK ||
            pump_q_div(vol, pump_q_int(60), &vol) != PUMP_OK) {
            continue;
        }
        if (pump_q_cmp(back, dose) != 0 || pump_q_cmp(vol, r.volume_ml) != 0) {
            print_error("round trip %s (%s): case %u\n", ic.id, by_rate ? "rate" : "duration",
                        iter);
            qprint("dose", dose);
            qprint("weight", weight);
            qprint("timing", timing);
            qprint("volume", r.volume_ml);
            qprint("rate", r.rate_ml_h);
            qprint("duration", r.duration_min);
            qprint("dose back", back);
            qprint("rate x duration / 60", vol);
            fail();
        }
        checked++;
    }
    print_message("intermittent round trips: %u exact\n", checked);
    assert_true(checked >= 5000U);
}

/* ---- (b) monotonicity ---------------------------------------------------------------------- */

static struct pump_value *value_of(struct pump_program *p, pump_input in)
{
    struct pump_value *v = pump_program_value_mut(p, in);
    if (v == NULL) {
        fail_msg("not a number input: %d", (int)in);
    }
    return v;
}

/* A program (valid with every number given) and the number that moves, with the soft bounds of
 * the limit it is judged against, expressed in that number (soft_min "0" = none). */
struct mono_case {
    const char *tmpl;
    pump_input in;
    const char *soft_min;
    const char *soft_max;
};

static const struct mono_case mono_cases[] = {
    {"{'care_area':'FIX','entry':'B-DOSE','mode':'continuous','dose':5,'dose_unit':'mg/h'}",
     PUMP_IN_DOSE, "2", "20"},
    {"{'care_area':'FIX','entry':'CONT-KGMIN','mode':'continuous','dose':5,"
     "'dose_unit':'mcg/kg/min','weight_kg':70,'current_dose':10}",
     PUMP_IN_DOSE, "2", "20"},
    {"{'care_area':'FIX','entry':'CONT-KGMIN','mode':'continuous','dose':5,"
     "'dose_unit':'mcg/kg/min','weight_kg':70}",
     PUMP_IN_WEIGHT, "3", "150"},
    {"{'care_area':'FIX','entry':'CONT-MGH','mode':'continuous','dose':5,'dose_unit':'mg/h',"
     "'bsa_m2':1.5}",
     PUMP_IN_BSA, "1", "2.5"},
    {"{'care_area':'FIX','entry':'CONT-M2','mode':'continuous','dose':5,'dose_unit':'mg/m2/h',"
     "'bsa_m2':1.5}",
     PUMP_IN_BSA, "1", "2.5"},
    {"{'care_area':'FIX','entry':'CONT-MILLI','mode':'continuous','dose':1,"
     "'dose_unit':'milliunits/kg/min','weight_kg':50,'current_dose':1}",
     PUMP_IN_DOSE, "0.3", "2"},
    {"{'care_area':'FIX','entry':'B-FLUID','mode':'fluid','dose':50,'dose_unit':'mL/h',"
     "'current_dose':100}",
     PUMP_IN_DOSE, "5", "200"},
    {"{'care_area':'FIX','entry':'B-BOLUS','mode':'bolus','dose':5,'dose_unit':'mg'}", PUMP_IN_DOSE,
     "2", "20"},
    {"{'care_area':'FIX','entry':'B-BOLUS','mode':'loading','dose':5,'dose_unit':'mg',"
     "'duration_min':10}",
     PUMP_IN_DURATION, "5", "30"},
    {"{'care_area':'FIX','entry':'B-PCA','mode':'pca',"
     "'pca':{'dose':0.5,'lockout_min':10,'basal':0.5,'four_hour_limit':4}}",
     PUMP_IN_PCA_DOSE, "0.2", "1"},
    {"{'care_area':'FIX','entry':'B-PCA','mode':'pca',"
     "'pca':{'dose':0.5,'lockout_min':10,'basal':0.5,'four_hour_limit':4}}",
     PUMP_IN_PCA_LOCKOUT, "6", "20"},
    {"{'care_area':'FIX','entry':'B-PCA','mode':'pca',"
     "'pca':{'dose':0.5,'lockout_min':10,'basal':0.5,'four_hour_limit':4}}",
     PUMP_IN_PCA_BASAL, "0.2", "1"},
    {"{'care_area':'FIX','entry':'B-PCA','mode':'pca',"
     "'pca':{'dose':0.5,'lockout_min':10,'basal':0.5,'four_hour_limit':4}}",
     PUMP_IN_PCA_FOUR_HOUR, "2", "8"},
    {"{'care_area':'FIX','entry':'B-INT','mode':'intermittent','dose':50,'dose_unit':'mg',"
     "'duration_min':30}",
     PUMP_IN_DOSE, "10", "100"},
    {"{'care_area':'FIX','entry':'B-DUR','mode':'intermittent','dose':10,'dose_unit':'mg',"
     "'duration_min':30}",
     PUMP_IN_DURATION, "10", "60"},
    /* dose rate = dose / 10 min: soft 1..10 mg/min */
    {"{'care_area':'FIX','entry':'B-DR','mode':'intermittent','dose':50,'dose_unit':'mg',"
     "'duration_min':10}",
     PUMP_IN_DOSE, "10", "100"},
    /* concentration = amount / 100 mL: soft 1..10 mg/mL */
    {"{'care_area':'FIX','entry':'B-CONC','mode':'intermittent','dose':10,'dose_unit':'mg',"
     "'duration_min':30,'concentration':{'amount':500,'amount_unit':'mg','volume_ml':100}}",
     PUMP_IN_CONC_AMOUNT, "100", "1000"},
    {"{'care_area':'FIX','entry':'INT-CUSTOM','mode':'intermittent','dose':100,'dose_unit':'mg',"
     "'duration_min':30,'concentration':{'amount':500,'amount_unit':'mg','volume_ml':100}}",
     PUMP_IN_DOSE, "10", "500"},
    {"{'care_area':'FIX','entry':'INT-MGKG','mode':'intermittent','dose':2,'dose_unit':'mg/kg',"
     "'duration_min':30,'weight_kg':20}",
     PUMP_IN_WEIGHT, "3", "150"},
};

static int judge_with(struct held *h, pump_input in, struct pump_q v, struct pump_ders_result *r)
{
    struct pump_value *slot = value_of(&h->p, in);
    slot->state = PUMP_V_GIVEN;
    slot->q = v;
    check(&h->p, r);
    return severity(r);
}

static void test_monotonic_severity(void **state)
{
    (void)state;
    const size_t n_cases = sizeof mono_cases / sizeof mono_cases[0];
    rng_seed(0x5EED0001ULL);
    unsigned checked = 0;
    for (unsigned iter = 0; iter < 8000U; iter++) {
        const struct mono_case *mc = &mono_cases[iter % n_cases];
        bool above = (iter / n_cases) % 2U == 0U;
        struct held h;
        assert_true(hold(&h, mc->tmpl, ""));
        struct pump_q bound = pump_q_int(0);
        assert_int_equal(pump_q_parse(above ? mc->soft_max : mc->soft_min,
                                      strlen(above ? mc->soft_max : mc->soft_min), &bound),
                         PUMP_OK);
        struct pump_q v1 = pump_q_int(0);
        struct pump_q v2 = pump_q_int(0);
        if (above) {
            /* v1 = bound x (1 + a/1000), v2 = v1 + bound x b/1000 */
            struct pump_q step = pump_q_int(0);
            assert_int_equal(pump_q_mul(bound, qmake(1000 + rng_range(1, 50000), 1000), &v1),
                             PUMP_OK);
            assert_int_equal(pump_q_mul(bound, qmake(rng_range(1, 20000), 1000), &step), PUMP_OK);
            assert_int_equal(pump_q_add(v1, step, &v2), PUMP_OK);
        } else {
            /* v1 = bound x a/1000, v2 = v1 x b/1000: 0 < v2 < v1 < bound */
            assert_int_equal(pump_q_mul(bound, qmake(rng_range(1, 999), 1000), &v1), PUMP_OK);
            assert_int_equal(pump_q_mul(v1, qmake(rng_range(1, 999), 1000), &v2), PUMP_OK);
        }
        struct pump_ders_result r1;
        struct pump_ders_result r2;
        int s1 = judge_with(&h, mc->in, v1, &r1);
        int s2 = judge_with(&h, mc->in, v2, &r2);
        drop(&h);
        /* strictly beyond a soft bound: at least a soft alert */
        if (s1 < 1 || s2 < s1) {
            print_error("case %u (%s, %s %s): severity %d then %d (%s then %s)\n", iter,
                        pump_input_str(mc->in), above ? "above" : "below",
                        above ? mc->soft_max : mc->soft_min, s1, s2,
                        pump_outcome_str((pump_outcome)r1.outcome),
                        pump_outcome_str((pump_outcome)r2.outcome));
            print_error("%s\n", mc->tmpl);
            qprint("v1", v1);
            qprint("v2", v2);
            fail();
        }
        checked++;
    }
    print_message("monotonicity: %u pairs\n", checked);
    assert_true(checked >= 8000U);
}

/* ---- (c) the textual form does not matter -------------------------------------------------- */

/* Field-by-field: the same judgement (rationals compared by value, not by representation). */
static bool same_result(const struct pump_ders_result *a, const struct pump_ders_result *b)
{
    if (a->outcome != b->outcome || a->limit != b->limit || a->reason != b->reason ||
        a->reason_input != b->reason_input || a->has_area != b->has_area ||
        a->has_entry != b->has_entry || a->n_violations != b->n_violations ||
        a->has_rate != b->has_rate || a->has_volume != b->has_volume ||
        a->has_duration != b->has_duration) {
        return false;
    }
    if ((a->has_area && a->area != b->area) || (a->has_entry && a->entry != b->entry)) {
        return false;
    }
    if (a->reason == (uint8_t)PUMP_R_RATE_BELOW_MIN &&
        (pump_q_cmp(a->reason_value, b->reason_value) != 0 ||
         pump_q_cmp(a->reason_bound, b->reason_bound) != 0)) {
        return false;
    }
    if (a->reason == (uint8_t)PUMP_R_UNIT_MISMATCH &&
        !pump_unit_equal(a->reason_unit, b->reason_unit)) {
        return false;
    }
    if ((a->has_rate && pump_q_cmp(a->rate_ml_h, b->rate_ml_h) != 0) ||
        (a->has_volume && pump_q_cmp(a->volume_ml, b->volume_ml) != 0) ||
        (a->has_duration && pump_q_cmp(a->duration_min, b->duration_min) != 0)) {
        return false;
    }
    for (uint32_t i = 0; i < a->n_violations && i < PUMP_DERS_MAX_VIOLATIONS; i++) {
        const struct pump_violation *va = &a->violations[i];
        const struct pump_violation *vb = &b->violations[i];
        if (va->limit != vb->limit || va->outcome != vb->outcome || va->bound != vb->bound ||
            va->vunit != vb->vunit || !pump_unit_equal(va->unit, vb->unit) ||
            pump_q_cmp(va->value, vb->value) != 0 ||
            pump_q_cmp(va->bound_value, vb->bound_value) != 0) {
            return false;
        }
    }
    return true;
}

/* Programs with '@' at one number, and which number it is. */
struct text_case {
    const char *tmpl;
    pump_input in;
};

static const struct text_case text_cases[] = {
    {"{'care_area':'FIX','entry':'CONT-MILLI','mode':'continuous','dose':@,"
     "'dose_unit':'milliunits/kg/min','weight_kg':50,'current_dose':0.7}",
     PUMP_IN_DOSE},
    {"{'care_area':'FIX','entry':'CONT-MILLI','mode':'continuous','dose':1.05,"
     "'dose_unit':'milliunits/kg/min','weight_kg':50,'current_dose':@}",
     PUMP_IN_CURRENT_DOSE},
    {"{'care_area':'FIX','entry':'CONT-PREC','mode':'continuous','dose':@,"
     "'dose_unit':'mcg/kg/min','weight_kg':70}",
     PUMP_IN_DOSE},
    {"{'care_area':'FIX','entry':'CONT-KGMIN','mode':'continuous','dose':5,"
     "'dose_unit':'mcg/kg/min','weight_kg':@}",
     PUMP_IN_WEIGHT},
    {"{'care_area':'FIX','entry':'T-RATE','mode':'continuous','dose':@,'dose_unit':'mg/h'}",
     PUMP_IN_DOSE},
    {"{'care_area':'FIX','entry':'B-INT','mode':'intermittent','dose':50,'dose_unit':'mg',"
     "'duration_min':@}",
     PUMP_IN_DURATION},
    {"{'care_area':'FIX','entry':'T-DUR','mode':'intermittent','dose':1.1,'dose_unit':'mg',"
     "'rate_ml_h':@}",
     PUMP_IN_RATE},
    {"{'care_area':'FIX','entry':'T-CONT','mode':'intermittent','dose':@,'dose_unit':'mg/kg',"
     "'weight_kg':3,'duration_min':10}",
     PUMP_IN_DOSE},
    {"{'care_area':'FIX','entry':'T-CONC','mode':'intermittent','dose':0.7,'dose_unit':'mg',"
     "'duration_min':10,'concentration':{'amount':@,'amount_unit':'mg','volume_ml':3}}",
     PUMP_IN_CONC_AMOUNT},
    {"{'care_area':'FIX','entry':'B-PCA','mode':'pca','pca':{'dose':@,'lockout_min':10}}",
     PUMP_IN_PCA_DOSE},
    {"{'care_area':'FIX','entry':'B-FLUID','mode':'fluid','dose':@,'dose_unit':'mL/h',"
     "'current_dose':100}",
     PUMP_IN_DOSE},
    {"{'care_area':'FIX','mode':'basic','rate_ml_h':@,'vtbi_ml':100}", PUMP_IN_RATE},
    {"{'care_area':'FIX','entry':'B-BOLUS','mode':'bolus','dose':10,'dose_unit':'mg',"
     "'duration_min':@}",
     PUMP_IN_DURATION},
};

#define N_FORMS 7

/* Append text to buf (cap 64). */
static void put(char *buf, const char *text)
{
    size_t n = strlen(buf);
    size_t len = strlen(text);
    assert_true(n + len < 64U);
    memcpy(buf + n, text, len + 1U);
}

static void put_uint(char *buf, unsigned v)
{
    char num[16];
    snprintf(num, sizeof num, "%u", v);
    put(buf, num);
}

/*
 * Texts of m / 10^s (m > 0) in N_FORMS spellings, all valid JSON numbers:
 * plain ("0.70" for 70, 2), minimal ("0.7"), trailing zeros ("0.70000"), integer mantissa
 * ("70e-2"), normalised ("7.0e-1"), fraction mantissa with E+ ("0.70E+0"), "70e-2" with an
 * exponent of explicit sign and a leading zero digit in the exponent ("70E-02").
 */
static void spellings(int64_t m, unsigned s, char out[N_FORMS][64])
{
    char d[32];
    snprintf(d, sizeof d, "%lld", (long long)m);
    size_t len = strlen(d);
    for (unsigned f = 0; f < N_FORMS; f++) {
        out[f][0] = '\0';
    }
    /* plain */
    if (s == 0U) {
        put(out[0], d);
    } else if (len <= s) {
        put(out[0], "0.");
        for (size_t i = len; i < s; i++) {
            put(out[0], "0");
        }
        put(out[0], d);
    } else {
        char head[32];
        memcpy(head, d, len - s);
        head[len - s] = '\0';
        put(out[0], head);
        put(out[0], ".");
        put(out[0], d + (len - s));
    }
    /* minimal: drop trailing zeros after the point, and the point with them */
    put(out[1], out[0]);
    if (strchr(out[1], '.') != NULL) {
        size_t n = strlen(out[1]);
        while (out[1][n - 1U] == '0') {
            out[1][--n] = '\0';
        }
        if (out[1][n - 1U] == '.') {
            out[1][n - 1U] = '\0';
        }
    }
    /* trailing zeros */
    put(out[2], out[0]);
    put(out[2], strchr(out[0], '.') != NULL ? "00000" : ".00000");
    /* integer mantissa */
    put(out[3], d);
    put(out[3], "e-");
    put_uint(out[3], s);
    /* normalised: d0[.rest] e (len - 1 - s) */
    char lead[2] = {d[0], '\0'};
    put(out[4], lead);
    if (len > 1U) {
        put(out[4], ".");
        put(out[4], d + 1);
    }
    if (len - 1U >= s) {
        put(out[4], "e");
        put_uint(out[4], (unsigned)(len - 1U - s));
    } else {
        put(out[4], "e-");
        put_uint(out[4], (unsigned)(s - (len - 1U)));
    }
    /* 0.digits E+/-(len - s) */
    put(out[5], "0.");
    put(out[5], d);
    if (len >= s) {
        put(out[5], "E+");
        put_uint(out[5], (unsigned)(len - s));
    } else {
        put(out[5], "E-");
        put_uint(out[5], (unsigned)(s - len));
    }
    /* exponent with a leading zero */
    put(out[6], d);
    put(out[6], "E-0");
    put_uint(out[6], s);
}

static void test_textual_form_irrelevant(void **state)
{
    (void)state;
    const size_t n_cases = sizeof text_cases / sizeof text_cases[0];
    rng_seed(0x7E47F0E3ULL);
    unsigned checked = 0;
    for (unsigned iter = 0; iter < 3000U; iter++) {
        const struct text_case *tc = &text_cases[iter % n_cases];
        /* every 7th case a value on a bound or trap of the fixture */
        static const int64_t special[][2] = {{70, 2}, {105, 2}, {3, 1}, {33, 1}, {11, 1},
                                             {21, 1}, {15, 1},  {1, 1}, {3, 0},  {500, 0}};
        int64_t m;
        unsigned sc;
        if (iter % 7U == 0U) {
            size_t k = (size_t)rng_range(0, (int64_t)(sizeof special / sizeof special[0]) - 1);
            m = special[k][0];
            sc = (unsigned)special[k][1];
        } else {
            m = rng_range(1, 9999999);
            sc = (unsigned)rng_range(0, 6);
        }
        char forms[N_FORMS][64];
        spellings(m, sc, forms);
        struct pump_q want = qmake(m, pow10i(sc));
        struct pump_ders_result first;
        struct pump_ders_result r;
        for (unsigned f = 0; f < N_FORMS; f++) {
            /* the text itself reads as the value */
            struct pump_q got = pump_q_int(0);
            if (pump_q_parse(forms[f], strlen(forms[f]), &got) != PUMP_OK ||
                pump_q_cmp(got, want) != 0) {
                print_error("\"%s\" does not read as %lld/10^%u\n", forms[f], (long long)m, sc);
                fail();
            }
            /* through the JSON adapter */
            struct held h;
            if (!hold(&h, tc->tmpl, forms[f])) {
                fail();
            }
            check(&h.p, f == 0U ? &first : &r);
            drop(&h);
            if (f > 0U && !same_result(&first, &r)) {
                print_error("\"%s\" and \"%s\" judge differently in %s\n", forms[0], forms[f],
                            tc->tmpl);
                fail();
            }
        }
        /* and the rational put straight into the program, from each spelling and with a '+' */
        for (unsigned f = 0; f < N_FORMS; f++) {
            char plus[sizeof forms[0] + 1U];
            size_t flen = strnlen(forms[f], sizeof forms[0] - 1U);
            plus[0] = '+';
            memcpy(plus + 1, forms[f], flen);
            plus[flen + 1U] = '\0';
            const char *text = (f % 2U == 0U) ? forms[f] : plus;
            struct held h;
            if (!hold(&h, tc->tmpl, "1")) {
                fail();
            }
            struct pump_value *slot = value_of(&h.p, tc->in);
            slot->state = PUMP_V_GIVEN;
            assert_int_equal(pump_q_parse(text, strlen(text), &slot->q), PUMP_OK);
            check(&h.p, &r);
            drop(&h);
            if (!same_result(&first, &r)) {
                print_error("\"%s\" set directly judges differently from JSON \"%s\" in %s\n", text,
                            forms[0], tc->tmpl);
                fail();
            }
        }
        checked++;
    }
    print_message("textual forms: %u values x %d spellings\n", checked, N_FORMS);
    assert_true(checked >= 3000U);
}

/* ---- (d) random programs ------------------------------------------------------------------- */

static const char *const area_ids[] = {"FIX", "FIX2", "FIX3", "NOPE", "", "FIXX"};
static const char *const unit_texts[] = {
    "mg",         "mcg",     "ng",     "g",       "units",      "milliunits",
    "mEq",        "mmol",    "mL",     "mg/kg",   "mcg/kg",     "units/kg",
    "mg/m2",      "mg/h",    "mg/min", "mcg/min", "mcg/kg/min", "ng/kg/min",
    "units/kg/h", "units/h", "g/h",    "mg/m2/h", "mL/h",       "milliunits/kg/min",
    "mEq/h",      "mg/kg/h", "mg/mL",  "mcg/mL"};

static struct pump_q random_q(void)
{
    switch (rng_next() % 10U) {
    case 0:
        return pump_q_int(0);
    case 1:
        return qmake(-rng_range(1, 100000), pow10i((unsigned)rng_range(0, 4)));
    case 2: /* huge */
        return qmake(rng_range(INT64_MAX / 4, INT64_MAX - 1), 1);
    case 3: /* tiny */
        return qmake(1, pow10i((unsigned)rng_range(10, 18)));
    case 4: /* large numerator and denominator */
        return qmake(rng_range(1, INT64_MAX - 1), rng_range(1, INT64_MAX - 1));
    case 5:
        return pump_q_int(rng_range(1, 1000000000));
    default: /* clinical-looking */
        return qmake(rng_range(1, 5000000), pow10i((unsigned)rng_range(0, 4)));
    }
}

static void random_value(struct pump_value *v)
{
    uint64_t k = rng_next() % 20U;
    if (k < 9U) {
        v->state = PUMP_V_ABSENT;
        v->q = pump_q_int(0);
    } else if (k < 19U) {
        v->state = PUMP_V_GIVEN;
        v->q = random_q();
    } else {
        v->state = PUMP_V_BAD;
        v->q = random_q();
    }
}

static void random_unit(struct pump_unit *u, const struct pump_entry *e)
{
    uint64_t k = rng_next() % 4U;
    if (e != NULL && k == 0U) {
        *u = e->dosing_unit;
    } else if (e != NULL && e->has_bolus && k == 1U) {
        *u = e->bolus_unit;
    } else {
        const char *t = unit_texts[rng_next() % (sizeof unit_texts / sizeof unit_texts[0])];
        assert_int_equal(pump_unit_parse(t, strlen(t), u), PUMP_OK);
    }
}

/* A random program; ids point into the library pool or static strings (with random lengths). */
static void random_program(struct pump_program *p)
{
    memset(p, 0, sizeof *p);
    const struct pump_entry *e = NULL;
    uint64_t k = rng_next() % 10U;
    if (k == 0U) {
        p->care_area = NULL;
    } else {
        const char *a = area_ids[rng_next() % (sizeof area_ids / sizeof area_ids[0])];
        p->care_area = a;
        p->care_area_len = strlen(a);
        if (k == 1U && p->care_area_len > 0U) {
            p->care_area_len = (size_t)rng_range(0, (int64_t)p->care_area_len - 1);
        }
    }
    /* an entry of the library (often of the right area), a prefix of one, or none */
    k = rng_next() % 10U;
    if (k < 7U && fx.lib.n_entries > 0U) {
        e = &fx.lib.st.entries[rng_next() % fx.lib.n_entries];
        p->entry = pump_library_str(&fx.lib, e->id);
        p->entry_len = e->id.len;
        if (k < 4U) {
            const struct pump_care_area *a = &fx.lib.st.areas[e->area];
            p->care_area = pump_library_str(&fx.lib, a->id);
            p->care_area_len = a->id.len;
        }
        if (k == 6U) {
            p->entry_len = (size_t)rng_range(0, (int64_t)e->id.len - 1);
        }
    } else if (k < 8U) {
        p->entry = "NO-SUCH";
        p->entry_len = 7;
    } else {
        p->entry = NULL;
    }
    /* a mode that fits the entry half of the time */
    k = rng_next() % 16U;
    if (k == 0U) {
        p->mode = (uint8_t)rng_range(0, 255);
    } else if (k < 8U && e != NULL) {
        static const uint8_t fit[PUMP_ENTRY_MODE_COUNT] = {
            (uint8_t)PUMP_MODE_CONTINUOUS, (uint8_t)PUMP_MODE_INTERMITTENT, (uint8_t)PUMP_MODE_PCA,
            (uint8_t)PUMP_MODE_FLUID};
        p->mode = fit[e->mode];
        if (e->has_bolus && (rng_next() & 1U) != 0U) {
            p->mode = (uint8_t)((rng_next() & 1U) != 0U ? PUMP_MODE_BOLUS : PUMP_MODE_LOADING);
        }
    } else {
        p->mode = (uint8_t)rng_range(0, (int64_t)PUMP_MODE_COUNT - 1);
    }
    random_value(&p->dose);
    k = rng_next() % 10U;
    p->has_dose_unit = k < 8U;
    p->dose_unit_bad = k == 0U;
    if (p->has_dose_unit && !p->dose_unit_bad) {
        random_unit(&p->dose_unit, e);
    }
    random_value(&p->rate_ml_h);
    random_value(&p->weight_kg);
    random_value(&p->bsa_m2);
    random_value(&p->duration_min);
    random_value(&p->vtbi_ml);
    random_value(&p->current_dose);
    p->has_conc = rng_next() % 3U == 0U;
    if (p->has_conc) {
        random_value(&p->conc_amount);
        random_value(&p->conc_volume_ml);
        p->conc_unit_bad = rng_next() % 8U == 0U;
        random_unit(&p->conc_unit, NULL);
    }
    p->has_pca = rng_next() % 3U == 0U || p->mode == (uint8_t)PUMP_MODE_PCA;
    if (p->has_pca) {
        random_value(&p->pca_dose);
        random_value(&p->pca_lockout_min);
        random_value(&p->pca_basal);
        random_value(&p->pca_four_hour);
    }
}

static struct pump_q clinical_q(void)
{
    return qmake(rng_range(1, 50000), pow10i((unsigned)rng_range(0, 3)));
}

static void give(struct pump_value *v)
{
    v->state = PUMP_V_GIVEN;
    v->q = clinical_q();
}

static void maybe_give(struct pump_value *v)
{
    if ((rng_next() & 1U) != 0U) {
        give(v);
    }
}

/* A program that fits a random entry (or a basic infusion), with plausible positive numbers,
 * then now and then one or two fields replaced by random ones. */
static void plausible_program(struct pump_program *p)
{
    memset(p, 0, sizeof *p);
    maybe_give(&p->weight_kg);
    if (rng_next() % 4U == 0U) {
        give(&p->bsa_m2);
    }
    if (rng_next() % 8U == 0U) {
        const char *a = area_ids[rng_next() % 3U];
        p->care_area = a;
        p->care_area_len = strlen(a);
        p->mode = (uint8_t)PUMP_MODE_BASIC;
        give(&p->rate_ml_h);
        maybe_give(&p->vtbi_ml);
    } else {
        const struct pump_entry *e = &fx.lib.st.entries[rng_next() % fx.lib.n_entries];
        const struct pump_care_area *a = &fx.lib.st.areas[e->area];
        p->care_area = pump_library_str(&fx.lib, a->id);
        p->care_area_len = a->id.len;
        p->entry = pump_library_str(&fx.lib, e->id);
        p->entry_len = e->id.len;
        if (e->dosing_unit.body == (uint8_t)PUMP_PER_KG ||
            (e->has_dose_rate && e->dose_rate_unit.body == (uint8_t)PUMP_PER_KG) ||
            (e->has_bolus && e->bolus_unit.body == (uint8_t)PUMP_PER_KG)) {
            give(&p->weight_kg);
        }
        if (e->dosing_unit.body == (uint8_t)PUMP_PER_M2 ||
            (e->has_dose_rate && e->dose_rate_unit.body == (uint8_t)PUMP_PER_M2)) {
            give(&p->bsa_m2);
        }
        if (!e->has_conc && e->mode != (uint8_t)PUMP_ENTRY_FLUID) {
            p->has_conc = true;
            give(&p->conc_amount);
            give(&p->conc_volume_ml);
            p->conc_unit = e->dosing_unit;
            p->conc_unit.body = (uint8_t)PUMP_PER_NONE;
            p->conc_unit.time = (uint8_t)PUMP_TIME_NONE;
            p->conc_unit.kind = (uint8_t)PUMP_UNIT_AMOUNT;
        }
        bool bolus = e->has_bolus && rng_next() % 3U == 0U;
        p->has_dose_unit = true;
        p->dose_unit = bolus ? e->bolus_unit : e->dosing_unit;
        if (bolus) {
            p->mode = (uint8_t)((rng_next() & 1U) != 0U ? PUMP_MODE_BOLUS : PUMP_MODE_LOADING);
            give(&p->dose);
            if (rng_next() % 3U == 0U) {
                give(&p->duration_min);
            } else if (rng_next() % 2U == 0U || !e->has_bolus_default_duration) {
                give(&p->rate_ml_h);
            } else {
                /* the entry's default duration */
            }
        } else if (e->mode == (uint8_t)PUMP_ENTRY_CONTINUOUS ||
                   e->mode == (uint8_t)PUMP_ENTRY_FLUID) {
            p->mode = (uint8_t)(e->mode == (uint8_t)PUMP_ENTRY_FLUID ? PUMP_MODE_FLUID
                                                                     : PUMP_MODE_CONTINUOUS);
            give(&p->dose);
            maybe_give(&p->current_dose);
            maybe_give(&p->vtbi_ml);
        } else if (e->mode == (uint8_t)PUMP_ENTRY_INTERMITTENT) {
            p->mode = (uint8_t)PUMP_MODE_INTERMITTENT;
            give(&p->dose);
            give((rng_next() & 1U) != 0U ? &p->duration_min : &p->rate_ml_h);
        } else {
            p->mode = (uint8_t)PUMP_MODE_PCA;
            p->has_dose_unit = false;
            p->has_pca = true;
            give(&p->pca_dose);
            give(&p->pca_lockout_min);
            maybe_give(&p->pca_basal);
            maybe_give(&p->pca_four_hour);
        }
    }
    /* now and then, a field replaced by a random one */
    for (uint64_t k = rng_next() % 6U; k < 2U; k++) {
        struct pump_value *fields[] = {&p->dose,         &p->rate_ml_h,       &p->weight_kg,
                                       &p->bsa_m2,       &p->duration_min,    &p->vtbi_ml,
                                       &p->current_dose, &p->conc_amount,     &p->conc_volume_ml,
                                       &p->pca_dose,     &p->pca_lockout_min, &p->pca_basal,
                                       &p->pca_four_hour};
        random_value(fields[rng_next() % (sizeof fields / sizeof fields[0])]);
    }
}

static int violation_severity(uint8_t outcome)
{
    if (outcome == (uint8_t)PUMP_HARD_LOW || outcome == (uint8_t)PUMP_HARD_HIGH) {
        return 2;
    }
    return (outcome == (uint8_t)PUMP_SOFT_LOW || outcome == (uint8_t)PUMP_SOFT_HIGH) ? 1 : 0;
}

/* Every invariant of a result; a sentence for the first broken one, or NULL. */
static const char *broken_invariant(const struct pump_program *p, const struct pump_ders_result *r)
{
    if (r->outcome >= (uint8_t)PUMP_OUTCOME_COUNT || r->limit >= (uint8_t)PUMP_LIM_COUNT ||
        r->reason >= (uint8_t)PUMP_R_COUNT || r->reason_input >= (uint8_t)PUMP_IN_COUNT) {
        return "an enum is out of range";
    }
    if (r->n_violations > (uint32_t)PUMP_DERS_MAX_VIOLATIONS) {
        return "too many violations";
    }
    if ((r->outcome == (uint8_t)PUMP_REJECT_INVALID) != (r->reason != (uint8_t)PUMP_R_NONE)) {
        return "REJECT_INVALID without a reason, or a reason without REJECT_INVALID";
    }
    for (uint32_t i = 0; i < r->n_violations; i++) {
        const struct pump_violation *v = &r->violations[i];
        if (v->limit > (uint8_t)PUMP_LIM_VOLUME || violation_severity(v->outcome) == 0 ||
            v->bound >= (uint8_t)PUMP_BOUND_COUNT || v->vunit > (uint8_t)PUMP_VU_NONE) {
            return "a violation is malformed";
        }
        int cmp = pump_q_cmp(v->value, v->bound_value);
        bool high = v->outcome == (uint8_t)PUMP_SOFT_HIGH || v->outcome == (uint8_t)PUMP_HARD_HIGH;
        if (high ? cmp <= 0 : cmp >= 0) {
            return "a violation's value is not strictly beyond its bound";
        }
        if (i > 0U) {
            const struct pump_violation *u = &r->violations[i - 1U];
            int su = violation_severity(u->outcome);
            int sv = violation_severity(v->outcome);
            if (sv > su || (sv == su && v->limit < u->limit)) {
                return "violations are not most decisive first";
            }
        }
    }
    if (r->outcome == (uint8_t)PUMP_REJECT_INVALID) {
        bool entry = r->reason == (uint8_t)PUMP_R_CARE_AREA_UNKNOWN ||
                     r->reason == (uint8_t)PUMP_R_ENTRY_UNKNOWN ||
                     r->reason == (uint8_t)PUMP_R_ENTRY_OTHER_AREA;
        if (r->limit != (uint8_t)(entry ? PUMP_LIM_ENTRY : PUMP_LIM_INPUT)) {
            return "REJECT_INVALID with a limit other than entry/input";
        }
    } else if (r->n_violations > 0U) {
        if (r->outcome != r->violations[0].outcome || r->limit != r->violations[0].limit) {
            return "the outcome is not the first violation's";
        }
    } else {
        bool basic = p->mode == (uint8_t)PUMP_MODE_BASIC;
        if (r->outcome != (uint8_t)PUMP_ACCEPT ||
            r->limit != (uint8_t)(basic ? PUMP_LIM_NO_DERS : PUMP_LIM_NONE)) {
            return "no violation, no reason, but not ACCEPT (null / no_ders)";
        }
    }
    if (r->outcome != (uint8_t)PUMP_REJECT_INVALID) {
        if (!r->has_area || r->area >= fx.lib.n_areas) {
            return "a judged program without its care area";
        }
        if (p->mode != (uint8_t)PUMP_MODE_BASIC &&
            (!r->has_entry || r->entry >= fx.lib.n_entries)) {
            return "a judged library program without its entry";
        }
        if (p->mode != (uint8_t)PUMP_MODE_PCA && p->mode != (uint8_t)PUMP_MODE_BASIC &&
            !r->has_rate) {
            return "an accepted or alerted program without a rate";
        }
        if (r->has_rate && pump_q_cmp(r->rate_ml_h, fx.lib.st.areas[r->area].rate_min_ml_h) < 0) {
            return "a judged rate below the care area's minimum";
        }
    }
    if (p->mode == (uint8_t)PUMP_MODE_PCA && r->has_rate) {
        return "a PCA program with a rate";
    }
    if ((r->has_rate && pump_q_sign(r->rate_ml_h) <= 0) ||
        (r->has_volume && pump_q_sign(r->volume_ml) <= 0) ||
        (r->has_duration && pump_q_sign(r->duration_min) <= 0)) {
        return "a derived figure that is not positive";
    }
    return NULL;
}

static void test_random_programs(void **state)
{
    (void)state;
    rng_seed(0xD1CE5EED5ULL);
    unsigned counts[PUMP_OUTCOME_COUNT] = {0};
    unsigned n = 0;
    for (unsigned iter = 0; iter < 200000U; iter++) {
        struct pump_program p;
        struct pump_program copy;
        if ((iter & 1U) != 0U) {
            plausible_program(&p);
        } else {
            random_program(&p);
        }
        memcpy(&copy, &p, sizeof p);
        struct pump_ders_result r;
        struct pump_ders_result again;
        check(&p, &r);
        const char *why = broken_invariant(&p, &r);
        if (why == NULL && memcmp(&copy, &p, sizeof p) != 0) {
            why = "the program was modified";
        }
        if (why == NULL) {
            check(&p, &again);
            if (!same_result(&r, &again)) {
                why = "two checks of one program differ";
            }
        }
        if (why != NULL) {
            print_error("random program %u: %s\n", iter, why);
            print_error("  area %.*s entry %.*s mode %u -> %s (%s) reason %u input %s, %u "
                        "violation(s)\n",
                        (int)(p.care_area == NULL ? 0 : p.care_area_len),
                        p.care_area == NULL ? "" : p.care_area,
                        (int)(p.entry == NULL ? 0 : p.entry_len), p.entry == NULL ? "" : p.entry,
                        (unsigned)p.mode, pump_outcome_str((pump_outcome)r.outcome),
                        pump_limit_str((pump_limit)r.limit), (unsigned)r.reason,
                        pump_input_str((pump_input)r.reason_input), (unsigned)r.n_violations);
            fail();
        }
        counts[r.outcome]++;
        n++;
    }
    print_message("random programs: %u (ACCEPT %u, SOFT %u, HARD %u, REJECT_INVALID %u)\n", n,
                  counts[PUMP_ACCEPT], counts[PUMP_SOFT_LOW] + counts[PUMP_SOFT_HIGH],
                  counts[PUMP_HARD_LOW] + counts[PUMP_HARD_HIGH], counts[PUMP_REJECT_INVALID]);
    /* the generator reaches every outcome (otherwise it tests little) */
    for (unsigned o = 0; o < (unsigned)PUMP_OUTCOME_COUNT; o++) {
        assert_true(counts[o] > 0U);
    }
    /* and NULL arguments are refused, not crashed on */
    struct pump_program p;
    struct pump_ders_result r;
    random_program(&p);
    assert_int_equal(pump_ders_check(NULL, &p, &r), PUMP_ERR_INVAL);
    assert_int_equal(pump_ders_check(&fx.lib, NULL, &r), PUMP_ERR_INVAL);
    assert_int_equal(pump_ders_check(&fx.lib, &p, NULL), PUMP_ERR_INVAL);
}

/* The entry figures derived at load (mL per dosing-unit amount, titration factors) are only a
 * shortcut: judging with them and with the long computation gives the same result. The long way
 * may run out of 64 bits where the reduced factor does not: only then may the results differ. */
static void test_derived_factors_change_nothing(void **state)
{
    (void)state;
    uint32_t n_entries = fx.lib.n_entries;
    struct pump_entry *slow_entries = calloc(n_entries, sizeof *slow_entries);
    assert_non_null(slow_entries);
    unsigned n_derived = 0;
    for (uint32_t i = 0; i < n_entries; i++) {
        slow_entries[i] = fx.lib.st.entries[i];
        n_derived += slow_entries[i].has_ml_per_amount ? 1U : 0U;
        slow_entries[i].has_ml_per_amount = false;
        slow_entries[i].titration_soft_factor = pump_q_int(0);
        slow_entries[i].titration_hard_factor = pump_q_int(0);
    }
    assert_true(n_derived > 0U); /* the fixture has standard concentrations to derive from */
    struct pump_library slow = fx.lib;
    slow.st.entries = slow_entries;
    rng_seed(0xFAC7025ULL);
    unsigned n_same = 0;
    unsigned n_only_slow_too_large = 0;
    for (unsigned iter = 0; iter < 100000U; iter++) {
        struct pump_program p;
        if ((iter & 1U) != 0U) {
            plausible_program(&p);
        } else {
            random_program(&p);
        }
        struct pump_ders_result fast_r;
        struct pump_ders_result slow_r;
        assert_int_equal(pump_ders_check(&fx.lib, &p, &fast_r), PUMP_OK);
        assert_int_equal(pump_ders_check(&slow, &p, &slow_r), PUMP_OK);
        if (same_result(&fast_r, &slow_r)) {
            n_same++;
        } else if (slow_r.reason == (uint8_t)PUMP_R_TOO_LARGE ||
                   (slow_r.outcome == (uint8_t)PUMP_REJECT_INVALID &&
                    fast_r.outcome == (uint8_t)PUMP_REJECT_INVALID &&
                    fast_r.reason == slow_r.reason && (!slow_r.has_rate || fast_r.has_rate) &&
                    (!slow_r.has_volume || fast_r.has_volume) &&
                    (!slow_r.has_duration || fast_r.has_duration))) {
            /* The long way ran out of 64 bits (reported, or silent behind an earlier reason):
             * the reduced factor may get further, never to another verdict. */
            n_only_slow_too_large++;
        } else {
            print_error("program %u: %s reason %u rate %d volume %d duration %d, %u violations "
                        "with derived factors; %s reason %u rate %d volume %d duration %d, %u "
                        "violations the long way\n", iter,
                        pump_outcome_str((pump_outcome)fast_r.outcome), (unsigned)fast_r.reason,
                        fast_r.has_rate, fast_r.has_volume, fast_r.has_duration,
                        (unsigned)fast_r.n_violations,
                        pump_outcome_str((pump_outcome)slow_r.outcome), (unsigned)slow_r.reason,
                        slow_r.has_rate, slow_r.has_volume, slow_r.has_duration,
                        (unsigned)slow_r.n_violations);
            free(slow_entries);
            fail();
        }
    }
    print_message("derived factors: %u of 100000 results identical, %u judged only the long way "
                  "too large\n", n_same, n_only_slow_too_large);
    assert_true(n_same > 90000U);
    free(slow_entries);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_continuous),
        cmocka_unit_test(test_round_trip_intermittent),
        cmocka_unit_test(test_monotonic_severity),
        cmocka_unit_test(test_textual_form_irrelevant),
        cmocka_unit_test(test_random_programs),
        cmocka_unit_test(test_derived_factors_change_nothing),
    };
    return cmocka_run_group_tests(tests, load_fixture, free_fixture);
}
