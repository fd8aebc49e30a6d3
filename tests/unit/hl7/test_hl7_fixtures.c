/*
 * test_hl7_fixtures.c - every fixture in tests/data/hl7/parse/ and every shared sample in
 * ../shared/data/hl7/ parsed and compared with what its .expect file says it must yield.
 *
 * The .expect format is described in tests/data/hl7/gen_fixtures.py (which writes the parse/
 * fixtures); the shared samples' expectations in tests/data/hl7/shared/ are written by hand from
 * the sample texts. A fixture without an .expect file (or the reverse) is a failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7_test_util.h"

static struct t_storage *storage;
static int n_fail;
static int n_checks;

static void failf(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void failf(const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)fprintf(stderr, "FAIL %s: ", file);
    (void)vfprintf(stderr, fmt, ap);
    (void)fputc('\n', stderr);
    va_end(ap);
    n_fail++;
}

static const struct {
    const char *name;
    hl7_status st;
} status_names[] = {
    {"ok", HL7_OK},
    {"INVAL", HL7_ERR_INVAL},
    {"EMPTY", HL7_ERR_EMPTY},
    {"NO_MSH", HL7_ERR_NO_MSH},
    {"ENCODING", HL7_ERR_ENCODING},
    {"SEGMENT_ID", HL7_ERR_SEGMENT_ID},
    {"SECOND_MSH", HL7_ERR_SECOND_MSH},
    {"TOO_LARGE", HL7_ERR_TOO_LARGE},
    {"TOO_MANY_SEGMENTS", HL7_ERR_TOO_MANY_SEGMENTS},
    {"TOO_MANY_FIELDS", HL7_ERR_TOO_MANY_FIELDS},
    {"TOO_MANY_REPETITIONS", HL7_ERR_TOO_MANY_REPETITIONS},
    {"ESCAPE", HL7_ERR_ESCAPE},
};

static int status_of(const char *name, hl7_status *st)
{
    size_t i;
    for (i = 0; i < sizeof status_names / sizeof status_names[0]; i++) {
        if (strcmp(name, status_names[i].name) == 0) {
            *st = status_names[i].st;
            return 1;
        }
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Segment SEG or SEG(occ) -> index, or hl7_segment_count when absent. */
static size_t segment_by_name(const struct hl7_msg *m, const char *spec)
{
    char id[4];
    unsigned occ = 1;
    size_t i;

    memcpy(id, spec, 3);
    id[3] = '\0';
    if (spec[3] == '(') {
        occ = (unsigned)strtoul(spec + 4, NULL, 10);
    }
    i = hl7_find_segment(m, id, 0);
    while (occ > 1U && i < hl7_segment_count(m)) {
        i = hl7_find_segment(m, id, i + 1U);
        occ--;
    }
    return i;
}

static void check_line(const char *file, const struct hl7_msg *m, char *line)
{
    char *sp = strchr(line, ' ');
    char *key = line;
    char *rest;
    struct hl7_view v;
    hl7_status st;

    n_checks++;
    if (sp == NULL) {
        failf(file, "bad expect line '%s'", line);
        return;
    }
    *sp = '\0';
    rest = sp + 1;
    if (strcmp(key, "segments") == 0) {
        size_t want = strtoul(rest, NULL, 10);
        if (hl7_segment_count(m) != want) {
            failf(file, "segments %zu, expected %zu", hl7_segment_count(m), want);
        }
        return;
    }
    if (strcmp(key, "ids") == 0) {
        size_t i = 0;
        char *tok = strtok(rest, " ");
        while (tok != NULL) {
            if (!t_view_is(hl7_segment_id(m, i), tok)) {
                failf(file, "segment %zu is not %s", i + 1U, tok);
            }
            i++;
            tok = strtok(NULL, " ");
        }
        if (i != hl7_segment_count(m)) {
            failf(file, "ids: %zu listed, %zu segments", i, hl7_segment_count(m));
        }
        return;
    }
    if (strcmp(key, "fields") == 0) {
        char *n = strchr(rest, ' ');
        size_t i_seg;
        if (n == NULL) {
            failf(file, "bad fields line");
            return;
        }
        *n = '\0';
        i_seg = segment_by_name(m, rest);
        if (hl7_field_count(m, i_seg) != strtoul(n + 1, NULL, 10) || i_seg >= hl7_segment_count(m)) {
            failf(file, "fields %s: %zu, expected %s", rest, hl7_field_count(m, i_seg), n + 1);
        }
        return;
    }
    /* A path check. */
    st = hl7_get_path(m, key, &v);
    if (st != HL7_OK) {
        failf(file, "%s: hl7_get_path says %s", key, hl7_status_str(st));
        return;
    }
    if (strcmp(rest, "null") == 0) {
        if (!hl7_is_null(v)) {
            failf(file, "%s: not null: '%.*s'", key, (int)v.len, v.ptr ? v.ptr : "");
        }
    } else if (strcmp(rest, "empty") == 0) {
        if (v.len != 0U) {
            failf(file, "%s: not empty: '%.*s'", key, (int)v.len, v.ptr);
        }
    } else if (strncmp(rest, "raw ", 4) == 0) {
        if (!t_view_is(v, rest + 4)) {
            failf(file, "%s: raw '%.*s', expected '%s'", key, (int)v.len, v.ptr ? v.ptr : "",
                  rest + 4);
        }
    } else if (strncmp(rest, "= ", 2) == 0 || strncmp(rest, "hex ", 4) == 0) {
        char want[4096];
        size_t n_want = 0;
        char got[4096];
        size_t n_got = 0;
        if (rest[0] == '=') {
            n_want = strlen(rest + 2);
            memcpy(want, rest + 2, n_want);
        } else {
            const char *h = rest + 4;
            while (h[0] != '\0' && h[1] != '\0') {
                want[n_want++] = (char)(hexval(h[0]) * 16 + hexval(h[1]));
                h += 2;
            }
        }
        st = hl7_unescape(&m->enc, v, HL7_UNESC_KEEP_FORMAT, got, sizeof got, &n_got, NULL);
        if (st != HL7_OK) {
            failf(file, "%s: unescape says %s", key, hl7_status_str(st));
        } else if (n_got != n_want || memcmp(got, want, n_got) != 0) {
            failf(file, "%s: '%.*s', expected '%.*s'", key, (int)n_got, got, (int)n_want, want);
        }
    } else {
        failf(file, "bad expect line '%s %s'", key, rest);
    }
}

/* Parse `data` and compare with the expectations in `expect`. */
static void check_fixture(const char *file, const char *data, size_t len, char *expect)
{
    struct hl7_msg m;
    struct hl7_error err;
    hl7_status st;
    char *line;
    char *save = NULL;
    int saw_status = 0;

    memset(&err, 0, sizeof err);
    st = t_parse(storage, &m, data, len, &err);
    if (st == HL7_OK) {
        st = hl7_msg_check(&m, &err);
    }
    for (line = strtok_r(expect, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        if (strncmp(line, "status ", 7) == 0) {
            char name[64];
            unsigned seg = 0;
            unsigned field = 0;
            unsigned off = 0;
            hl7_status want;
            int n = sscanf(line + 7, "%63s segment %u field %u offset %u", name, &seg, &field, &off);
            saw_status = 1;
            n_checks++;
            if (n < 1 || !status_of(name, &want)) {
                failf(file, "bad status line '%s'", line);
                return;
            }
            if (st != want) {
                failf(file, "status %s (segment %u field %u offset %u: %s), expected %s",
                      hl7_status_str(st), err.segment, err.field, err.offset,
                      err.message ? err.message : "", name);
                return;
            }
            if (want != HL7_OK) {
                if (n != 4 || err.segment != seg || err.field != field || err.offset != off ||
                    err.message == NULL || err.code != want) {
                    failf(file, "error at segment %u field %u offset %u, expected %u %u %u", err.segment,
                          err.field, err.offset, seg, field, off);
                }
                if (hl7_segment_count(&m) != 0U && err.code != HL7_ERR_ESCAPE &&
                    err.code != HL7_ERR_TOO_MANY_REPETITIONS) {
                    failf(file, "a failed parse left segments behind");
                }
                return;
            }
            continue;
        }
        if (!saw_status) {
            failf(file, "the first line must be a status line");
            return;
        }
        check_line(file, &m, line);
    }
    if (!saw_status) {
        failf(file, "no status line");
    }
}

/* out = a + b + c (b truncated to n_b bytes); false when it does not fit. */
static int join3(char *out, size_t cap, const char *a, const char *b, size_t n_b, const char *c)
{
    size_t la = strlen(a);
    size_t lc = strlen(c);
    if (la + n_b + lc + 1U > cap) {
        return 0;
    }
    memcpy(out, a, la);
    memcpy(out + la, b, n_b);
    memcpy(out + la + n_b, c, lc + 1U);
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s);
    size_t b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* For every *.expect in expect_dir: the message is data_dir/<name>.hl7. Returns fixtures seen. */
static int run_dir(const char *expect_dir, const char *data_dir, int require_pairs)
{
    DIR *d = opendir(expect_dir);
    struct dirent *e;
    int n = 0;
    char path[4096];

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char base[1024];
        char *expect;
        char *data;
        size_t len_e = 0;
        size_t len_d = 0;

        if (ends_with(e->d_name, ".hl7") && require_pairs) {
            if (!join3(path, sizeof path, expect_dir, "/", 1U, "") ||
                !join3(base, sizeof base, "", e->d_name, strlen(e->d_name) - 4U, ".expect") ||
                !join3(path + strlen(path), sizeof path - strlen(path), base, "", 0U, "")) {
                failf(e->d_name, "path too long");
                continue;
            }
            expect = t_read_file(path, &len_e);
            if (expect == NULL) {
                failf(e->d_name, "has no .expect file");
            }
            free(expect);
            continue;
        }
        if (!ends_with(e->d_name, ".expect")) {
            continue;
        }
        if (!join3(base, sizeof base, "", e->d_name, strlen(e->d_name) - 7U, "") ||
            !join3(path, sizeof path, expect_dir, "/", 1U, e->d_name)) {
            failf(e->d_name, "path too long");
            continue;
        }
        expect = t_read_file(path, &len_e);
        data = NULL;
        if (join3(path, sizeof path, data_dir, "/", 1U, base) && strlen(path) + 5U < sizeof path) {
            memcpy(path + strlen(path), ".hl7", 5U);
            data = t_read_file(path, &len_d);
        }
        if (expect == NULL || data == NULL) {
            failf(base, "cannot read %s or its .expect", path);
        } else {
            check_fixture(base, data, len_d, expect);
            n++;
        }
        free(expect);
        free(data);
    }
    (void)closedir(d);
    return n;
}

static void test_own_fixtures(void **state)
{
    int n;
    (void)state;
    n_fail = 0;
    n_checks = 0;
    n = run_dir(OI_SOURCE_DIR "/tests/data/hl7/parse", OI_SOURCE_DIR "/tests/data/hl7/parse", 1);
    (void)fprintf(stderr, "%d fixtures, %d checks, %d failed\n", n, n_checks, n_fail);
    assert_true(n >= 40);
    assert_int_equal(n_fail, 0);
}

static void test_shared_samples(void **state)
{
    int n;
    DIR *d = opendir(OI_SHARED_DIR "/data/hl7");
    (void)state;
    if (d == NULL) {
        skip();
    }
    (void)closedir(d);
    n_fail = 0;
    n_checks = 0;
    n = run_dir(OI_SOURCE_DIR "/tests/data/hl7/shared", OI_SHARED_DIR "/data/hl7", 0);
    (void)fprintf(stderr, "%d shared samples, %d checks, %d failed\n", n, n_checks, n_fail);
    assert_true(n >= 7);
    assert_int_equal(n_fail, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_own_fixtures),
        cmocka_unit_test(test_shared_samples),
    };
    int rc;
    storage = t_storage_new();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(storage);
    return rc;
}
