/*
 * test_http_util.c - the HTTP side's pure helpers (server/http_internal.h): the time parameters
 * of /api/v1/events (UNIX ms and ISO-8601 UTC, checked against dates computed independently by
 * the C library), the static-path guard against traversal, content types, pump ids, priority
 * ranks. The routes themselves are tested end to end by tests/integration/test_http_api.sh.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "http_internal.h"

/* Seconds since the epoch of a UTC date, the slow way: mktime in UTC is not in C11, so count
 * with gmtime from a guess (independent of the parser's own day arithmetic). */
static int64_t utc_seconds(int y, int mo, int d, int h, int mi, int s)
{
    int64_t guess = ((int64_t)(y - 1970) * 365 + (y - 1970) / 4) * 86400;
    for (int i = 0; i < 5000; i++) {
        time_t t = (time_t)guess;
        struct tm tm;
        assert_non_null(gmtime_r(&t, &tm));
        int64_t have = ((int64_t)(tm.tm_year + 1900) * 400 + tm.tm_mon * 32 + tm.tm_mday);
        int64_t want = ((int64_t)y * 400 + (mo - 1) * 32 + d);
        if (have == want) {
            return guess + h * 3600 + mi * 60 + s;
        }
        guess += have < want ? 86400 : -86400;
    }
    fail_msg("no date %d-%d-%d", y, mo, d);
    return 0;
}

static void test_time_unix_ms(void **state)
{
    (void)state;
    int64_t v = 7;
    assert_true(srv_http__parse_time_ms("1795000000000", &v));
    assert_int_equal(v, 1795000000000LL);
    assert_true(srv_http__parse_time_ms("0", &v));
    assert_int_equal(v, 0);
    assert_true(srv_http__parse_time_ms("-5", &v));
    assert_int_equal(v, -5);
    assert_true(srv_http__parse_time_ms("9223372036854775807", &v));
    assert_int_equal(v, INT64_MAX);
    v = 7;
    assert_false(srv_http__parse_time_ms("9223372036854775808", &v)); /* overflow */
    assert_false(srv_http__parse_time_ms("", &v));
    assert_false(srv_http__parse_time_ms("-", &v));
    assert_false(srv_http__parse_time_ms("12a", &v));
    assert_false(srv_http__parse_time_ms(" 12", &v));
    assert_false(srv_http__parse_time_ms(NULL, &v));
    assert_int_equal(v, 7); /* untouched on failure */
}

static void test_time_iso(void **state)
{
    (void)state;
    static const struct {
        int y, mo, d, h, mi, s;
    } dates[] = {
        {1970, 1, 1, 0, 0, 0},    {1972, 2, 29, 12, 0, 0},  {1999, 12, 31, 23, 59, 59},
        {2000, 2, 29, 0, 0, 1},   {2026, 11, 22, 10, 0, 0}, {2100, 3, 1, 6, 7, 8},
        {2024, 12, 31, 23, 0, 0}, {2038, 1, 19, 3, 14, 8},  {2400, 2, 29, 1, 2, 3},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        char text[96];
        int64_t v = 0;
        (void)snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02dZ", dates[i].y, dates[i].mo,
                       dates[i].d, dates[i].h, dates[i].mi, dates[i].s);
        int64_t want =
            utc_seconds(dates[i].y, dates[i].mo, dates[i].d, dates[i].h, dates[i].mi, dates[i].s) *
            1000;
        assert_true(srv_http__parse_time_ms(text, &v));
        assert_int_equal(v, want);
        (void)snprintf(text, sizeof text, "%04d-%02d-%02d", dates[i].y, dates[i].mo, dates[i].d);
        assert_true(srv_http__parse_time_ms(text, &v));
        assert_int_equal(v, want - (dates[i].h * 3600 + dates[i].mi * 60 + dates[i].s) * 1000);
    }
    int64_t v = 0;
    assert_true(srv_http__parse_time_ms("2026-11-22T10:00:00.5Z", &v));
    assert_int_equal(v % 1000, 500);
    assert_true(srv_http__parse_time_ms("2026-11-22T10:00:00.123456789Z", &v));
    assert_int_equal(v % 1000, 123);
    assert_true(srv_http__parse_time_ms("2026-11-22T10:00:00.07Z", &v));
    assert_int_equal(v % 1000, 70);
}

static void test_time_iso_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2026-13-01",
        "2026-00-10",
        "2026-02-29",
        "2026-04-31",
        "1969-12-31",
        "2026-11-22T24:00:00Z",
        "2026-11-22T10:60:00Z",
        "2026-11-22T10:00:60Z",
        "2026-11-22T10:00:00",
        "2026-11-22T10:00Z",
        "2026-11-22 10:00:00Z",
        "2026-11-22T10:00:00+01:00",
        "2026-11-22T10:00:00.Z",
        "2026-11-22T10:00:00.1234567890Z",
        "2026-1-22",
        "2026-11-22x",
        "2026-11-22T10:00:00Zjunk",
        "yesterday",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 42;
        if (srv_http__parse_time_ms(bad[i], &v)) {
            fail_msg("accepted %s", bad[i]);
        }
        assert_int_equal(v, 42);
    }
}

static bool path_ok(const char *p)
{
    return srv_http__static_path_ok(p, strlen(p));
}

static void test_static_path(void **state)
{
    (void)state;
    assert_true(path_ok("/"));
    assert_true(path_ok("/index.html"));
    assert_true(path_ok("/img/logo.svg"));
    assert_true(path_ok("/dir/"));
    assert_true(path_ok("/a.b.c"));
    assert_false(path_ok(""));
    assert_false(path_ok("index.html"));
    assert_false(path_ok("/../etc/passwd"));
    assert_false(path_ok("/a/../../etc/passwd"));
    assert_false(path_ok("/a/.."));
    assert_false(path_ok("/.hidden"));
    assert_false(path_ok("/a/.git/config"));
    assert_false(path_ok("//etc/passwd"));
    assert_false(path_ok("/a//b"));
    assert_false(path_ok("/a\\..\\b"));
    /* A decoded NUL: the length says more than strlen sees. */
    assert_false(srv_http__static_path_ok("/index.html\0.txt", 16));
}

static void test_content_type(void **state)
{
    (void)state;
    assert_string_equal(srv_http__content_type("web/index.html"), "text/html; charset=utf-8");
    assert_string_equal(srv_http__content_type("web/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(srv_http__content_type("web/style.css"), "text/css; charset=utf-8");
    assert_string_equal(srv_http__content_type("web/favicon.svg"), "image/svg+xml");
    assert_string_equal(srv_http__content_type("web/README"), "application/octet-stream");
    assert_string_equal(srv_http__content_type("web.d/README"), "application/octet-stream");
    assert_string_equal(srv_http__content_type("web/x.HTML"), "application/octet-stream");
}

static void test_pump_id(void **state)
{
    (void)state;
    char id[70];
    assert_true(srv_http__pump_id_ok("P-0001"));
    assert_true(srv_http__pump_id_ok("sim_01.a"));
    assert_false(srv_http__pump_id_ok(""));
    assert_false(srv_http__pump_id_ok("P 1"));
    assert_false(srv_http__pump_id_ok("P/1"));
    assert_false(srv_http__pump_id_ok("P+1"));
    assert_false(srv_http__pump_id_ok("P#1"));
    memset(id, 'a', 64);
    id[64] = '\0';
    assert_true(srv_http__pump_id_ok(id));
    id[64] = 'a';
    id[65] = '\0';
    assert_false(srv_http__pump_id_ok(id));
}

static void test_priority_rank(void **state)
{
    (void)state;
    assert_true(srv_http__priority_rank("high") > srv_http__priority_rank("medium"));
    assert_true(srv_http__priority_rank("medium") > srv_http__priority_rank("low"));
    assert_true(srv_http__priority_rank("low") > srv_http__priority_rank("info"));
    assert_int_equal(srv_http__priority_rank(""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_unix_ms),     cmocka_unit_test(test_time_iso),
        cmocka_unit_test(test_time_iso_refused), cmocka_unit_test(test_static_path),
        cmocka_unit_test(test_content_type),     cmocka_unit_test(test_pump_id),
        cmocka_unit_test(test_priority_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
