/*
 * test_hl7_dtm.c - DTM time stamps: precisions, offsets, -0000 versus +0000, malformed forms from
 * public samples, calendar rules, formatting round trips, instants (expected instants computed
 * independently with Python's datetime).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"

static struct hl7_view vz(const char *s)
{
    struct hl7_view v;
    v.ptr = s;
    v.len = strlen(s);
    return v;
}

static void test_precisions(void **state)
{
    static const struct {
        const char *text;
        hl7_dtm_precision precision;
    } cases[] = {
        {"2026", HL7_DTM_YEAR},           {"202611", HL7_DTM_MONTH},
        {"20261122", HL7_DTM_DAY},        {"2026112213", HL7_DTM_HOUR},
        {"202611221314", HL7_DTM_MINUTE}, {"20261122131415", HL7_DTM_SECOND},
        {"20261122131415.1", HL7_DTM_FRACTION}, {"20261122131415.1234", HL7_DTM_FRACTION},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hl7_dtm d;
        assert_int_equal(hl7_dtm_parse(vz(cases[i].text), &d), HL7_OK);
        assert_int_equal(d.precision, cases[i].precision);
        assert_int_equal(d.tz, HL7_TZ_NONE);
        assert_int_equal(d.year, 2026);
    }
}

static void test_fields(void **state)
{
    struct hl7_dtm d;
    (void)state;
    assert_int_equal(hl7_dtm_parse(vz("20080101123456.25-0600"), &d), HL7_OK);
    assert_int_equal(d.year, 2008);
    assert_int_equal(d.month, 1);
    assert_int_equal(d.day, 1);
    assert_int_equal(d.hour, 12);
    assert_int_equal(d.minute, 34);
    assert_int_equal(d.second, 56);
    assert_int_equal(d.frac, 25);
    assert_int_equal(d.frac_digits, 2);
    assert_int_equal(d.tz, HL7_TZ_OFFSET);
    assert_int_equal(d.offset_min, -360);
    assert_int_equal(hl7_dtm_parse(vz("2026+0530"), &d), HL7_OK);
    assert_int_equal(d.precision, HL7_DTM_YEAR);
    assert_int_equal(d.offset_min, 330);
}

static void test_minus_zero_is_not_plus_zero(void **state)
{
    struct hl7_dtm plus;
    struct hl7_dtm minus;
    int64_t ms_plus;
    int64_t ms_minus;
    char out[32];
    size_t n;
    (void)state;
    assert_int_equal(hl7_dtm_parse(vz("20260101120000+0000"), &plus), HL7_OK);
    assert_int_equal(hl7_dtm_parse(vz("20260101120000-0000"), &minus), HL7_OK);
    assert_int_equal(plus.tz, HL7_TZ_OFFSET);
    assert_int_equal(minus.tz, HL7_TZ_UTC_LOCAL_UNKNOWN);
    assert_int_equal(plus.offset_min, 0);
    assert_int_equal(minus.offset_min, 0);
    /* the same instant (the UTC time is known in both) */
    assert_int_equal(hl7_dtm_to_unix_ms(&plus, &ms_plus), HL7_OK);
    assert_int_equal(hl7_dtm_to_unix_ms(&minus, &ms_minus), HL7_OK);
    assert_true(ms_plus == ms_minus);
    /* and each formats back to what it was */
    assert_int_equal(hl7_dtm_format(&minus, out, sizeof out, &n), HL7_OK);
    assert_memory_equal(out, "20260101120000-0000", n);
    assert_int_equal(hl7_dtm_format(&plus, out, sizeof out, &n), HL7_OK);
    assert_memory_equal(out, "20260101120000+0000", n);
}

static void test_malformed(void **state)
{
    static const char *const bad[] = {
        "20080101123456- 0600",   /* space inside the offset (PIV example RRG MSH-7) */
        "1962010100000000000",    /* 19 digits (public sample) */
        "", "202", "20261", "2026112", "202611221", "2026112213141", "202611221314151",
        "20261322", "20260001", "20260230", "20230229", "19000229", "20260431", "20260100",
        "2026010124", "202601012360", "20260101235960",
        "202601011200.5",         /* fraction without seconds */
        "20260101120000.",        /* fraction without digits */
        "20260101120000.12345",   /* five fraction digits */
        "20260101120000+000", "20260101120000+00000", "20260101120000+2400",
        "20260101120000+0060", "20260101120000*0100", "20260101120000Z",
        "20260101120000+01:00", " 20260101", "20260101 ", "2026-01-01", "20260101120000.5+",
        "abcd",
    };
    size_t i;
    struct hl7_dtm d;
    (void)state;
    memset(&d, 0x5A, sizeof d);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hl7_dtm before = d;
        if (hl7_dtm_parse(vz(bad[i]), &d) != HL7_ERR_DTM) {
            fail_msg("accepted '%s'", bad[i]);
        }
        assert_memory_equal(&before, &d, sizeof d); /* untouched on failure */
    }
    assert_int_equal(hl7_dtm_parse(vz("20260101"), NULL), HL7_ERR_DTM);
}

static void test_calendar(void **state)
{
    struct hl7_dtm d;
    (void)state;
    assert_int_equal(hl7_dtm_parse(vz("20240229"), &d), HL7_OK); /* leap year */
    assert_int_equal(hl7_dtm_parse(vz("20000229"), &d), HL7_OK); /* 400-year rule */
    assert_int_equal(hl7_dtm_parse(vz("19000229"), &d), HL7_ERR_DTM); /* 100-year rule */
    assert_int_equal(hl7_dtm_parse(vz("20261231235959.9999+1400"), &d), HL7_OK);
    assert_int_equal(hl7_dtm_parse(vz("00000101"), &d), HL7_OK);
    assert_int_equal(hl7_dtm_parse(vz("99991231"), &d), HL7_OK);
}

static void test_round_trip_text(void **state)
{
    static const char *const texts[] = {
        "2026", "202611", "20261122", "2026112213", "202611221314", "20261122131415",
        "20261122131415.1", "20261122131415.01", "20261122131415.0010", "2026-0000",
        "20261122131415.1234-1159", "20261122+2359", "20080101123456-0600",
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct hl7_dtm d;
        char out[32];
        size_t n;
        assert_int_equal(hl7_dtm_parse(vz(texts[i]), &d), HL7_OK);
        assert_int_equal(hl7_dtm_format(&d, out, sizeof out, &n), HL7_OK);
        assert_int_equal(n, strlen(texts[i]));
        assert_memory_equal(out, texts[i], n);
        /* too small a buffer fails without writing a byte */
        memset(out, '#', sizeof out);
        assert_int_equal(hl7_dtm_format(&d, out, n - 1U, &n), HL7_ERR_FULL);
        assert_int_equal(out[0], '#');
    }
}

static void test_instants(void **state)
{
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"19700101000000+0000", 0},
        {"20080101123456-0600", 1199212496000LL},
        {"20260228235959+0100", 1772319599000LL},
        {"19000301000000+0000", -2203891200000LL},
        {"20000229120000+0530", 951805800000LL},
        {"99991231235959+0000", 253402300799000LL},
        {"00010101000000+0000", -62135596800000LL},
        {"20080101123456.5-0600", 1199212496500LL},
        {"20080101123456.1234-0600", 1199212496123LL},
        {"2008-0600", 1199167200000LL},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hl7_dtm d;
        int64_t ms;
        assert_int_equal(hl7_dtm_parse(vz(cases[i].text), &d), HL7_OK);
        assert_int_equal(hl7_dtm_to_unix_ms(&d, &ms), HL7_OK);
        if (ms != cases[i].ms) {
            fail_msg("%s: %lld, expected %lld", cases[i].text, (long long)ms, (long long)cases[i].ms);
        }
    }
}

static void test_no_zone_has_no_instant(void **state)
{
    struct hl7_dtm d;
    int64_t ms = 42;
    (void)state;
    assert_int_equal(hl7_dtm_parse(vz("20150122182656"), &d), HL7_OK);
    assert_int_equal(hl7_dtm_to_unix_ms(&d, &ms), HL7_ERR_DTM);
    assert_int_equal(ms, 42);
}

static int dtm_same(const struct hl7_dtm *a, const struct hl7_dtm *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day && a->hour == b->hour &&
           a->minute == b->minute && a->second == b->second && a->frac == b->frac &&
           a->frac_digits == b->frac_digits && a->precision == b->precision && a->tz == b->tz &&
           a->offset_min == b->offset_min;
}

static void test_from_unix_round_trip(void **state)
{
    uint64_t x = 99;
    unsigned i;
    (void)state;
    for (i = 0; i < 20000U; i++) {
        struct hl7_dtm d;
        struct hl7_dtm back;
        int64_t ms;
        int64_t ms2;
        int16_t off;
        char text[32];
        size_t n;
        struct hl7_view v;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        ms = (int64_t)((x >> 12) % 253402300799000ULL) - 62135596800000LL / 2;
        off = (int16_t)((int)((x >> 3) % 2879U) - 1439);
        assert_int_equal(hl7_dtm_from_unix_ms(ms, off, true, &d), HL7_OK);
        assert_int_equal(hl7_dtm_to_unix_ms(&d, &ms2), HL7_OK);
        assert_true(ms == ms2);
        assert_int_equal(hl7_dtm_format(&d, text, sizeof text, &n), HL7_OK);
        v.ptr = text;
        v.len = n;
        assert_int_equal(hl7_dtm_parse(v, &back), HL7_OK);
        assert_true(dtm_same(&back, &d));
    }
    assert_int_equal(hl7_dtm_from_unix_ms(0, 1440, false, NULL), HL7_ERR_DTM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precisions),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_minus_zero_is_not_plus_zero),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_calendar),
        cmocka_unit_test(test_round_trip_text),
        cmocka_unit_test(test_instants),
        cmocka_unit_test(test_no_zone_has_no_instant),
        cmocka_unit_test(test_from_unix_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
