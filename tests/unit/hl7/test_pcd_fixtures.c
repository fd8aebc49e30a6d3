/*
 * test_pcd_fixtures.c - every PCD fixture (tests/data/hl7/pcd/) and every shared public sample
 * yields what tests/data/hl7/pcd/expect.txt says: ok, invalid with the listed errors, malformed,
 * or unusable. Each rule of standards.md §3 has at least one fixture there.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r, popen */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7/pcd.h"
#include "hl7_test_util.h"

#define PCD_DIR OI_SOURCE_DIR "/tests/data/hl7/pcd"
#define SHARED_DIR OI_SHARED_DIR "/data/hl7"

struct expectation {
    char file[128];
    char profile[16];
    char result[16];
    char wants[8][32]; /* WHERE=CODE */
    size_t n_wants;
};

static struct t_storage *storage;
static struct hl7_pcd_problems probs;

/* Does probs hold an error at `where` (exactly, or a component of it) with PIV or 0357 `code`? */
static bool has_error(const char *where, unsigned code)
{
    size_t i;

    for (i = 0; i < probs.n; i++) {
        const struct hl7_pcd_problem *p = &probs.items[i];
        char at[32];
        size_t wl = strlen(where);
        hl7_pcd_problem_where(p, at, sizeof at);
        if ((p->severity == HL7_PCD_SEV_ERROR) &&
            ((strcmp(at, where) == 0) || ((strncmp(at, where, wl) == 0) && (at[wl] == '.'))) &&
            ((p->piv_code == code) || (p->hl7_code == code))) {
            return true;
        }
    }
    return false;
}

static void print_problems(void)
{
    size_t i;

    for (i = 0; i < probs.n; i++) {
        char at[32];
        hl7_pcd_problem_where(&probs.items[i], at, sizeof at);
        print_message("    %c %s %u/%u %s\n", probs.items[i].severity, at,
                      (unsigned)probs.items[i].hl7_code, (unsigned)probs.items[i].piv_code,
                      probs.items[i].text);
    }
}

/* Run one expectation; returns false (after printing why) when it does not hold. */
static bool check_one(const struct expectation *e)
{
    char path[512];
    char *buf;
    size_t len = 0;
    struct hl7_msg m;
    struct hl7_error err;
    hl7_status st;
    hl7_pcd_profile profile = HL7_PCD_PROFILE_AUTO;
    hl7_pcd_status pst;
    size_t k;
    bool ok = true;

    if (strncmp(e->file, "shared:", 7) == 0) {
        (void)snprintf(path, sizeof path, "%s/%s", SHARED_DIR, e->file + 7);
    } else {
        (void)snprintf(path, sizeof path, "%s/%s", PCD_DIR, e->file);
    }
    buf = t_read_file(path, &len);
    if (buf == NULL) {
        print_message("%s: cannot read\n", path);
        return false;
    }
    st = t_parse(storage, &m, buf, len, &err);
    if (st == HL7_OK) {
        st = hl7_msg_check(&m, &err);
    }
    if (strcmp(e->result, "malformed") == 0) {
        free(buf);
        if (st == HL7_OK) {
            print_message("%s: parsed, expected malformed\n", e->file);
            return false;
        }
        return true;
    }
    if (st != HL7_OK) {
        print_message("%s: does not parse: %s\n", e->file, err.message);
        free(buf);
        return false;
    }
    if (strcmp(e->profile, "auto") != 0) {
        assert_true(hl7_pcd_profile_parse(e->profile, &profile));
    }
    pst = hl7_pcd_validate(&m, profile, &probs, NULL);
    if (strcmp(e->result, "ok") == 0) {
        ok = (pst == HL7_PCD_OK) && (probs.n_errors == 0U);
    } else if (strcmp(e->result, "invalid") == 0) {
        ok = (pst == HL7_PCD_INVALID || (pst == HL7_PCD_UNUSABLE && profile != HL7_PCD_PROFILE_AUTO)) &&
             (probs.n_errors > 0U);
    } else if (strcmp(e->result, "unusable") == 0) {
        ok = (pst == HL7_PCD_UNUSABLE);
    } else {
        fail_msg("expect.txt: unknown result %s", e->result);
    }
    for (k = 0; k < e->n_wants; k++) {
        char where[32];
        const char *eq = strchr(e->wants[k], '=');
        unsigned code;
        assert_non_null(eq);
        memcpy(where, e->wants[k], (size_t)(eq - e->wants[k]));
        where[eq - e->wants[k]] = '\0';
        code = (unsigned)strtoul(eq + 1, NULL, 10);
        if (!has_error(where, code)) {
            print_message("%s: no error %s\n", e->file, e->wants[k]);
            ok = false;
        }
    }
    if (!ok) {
        print_message("%s: expected %s, got %s with %zu errors:\n", e->file, e->result,
                      hl7_pcd_status_str(pst), probs.n_errors);
        print_problems();
    }
    free(buf);
    return ok;
}

static size_t load_expectations(struct expectation *out, size_t cap)
{
    FILE *f = fopen(PCD_DIR "/expect.txt", "r");
    char line[512];
    size_t n = 0;

    assert_non_null(f);
    while (fgets(line, sizeof line, f) != NULL) {
        struct expectation *e;
        char *tok;
        char *save = NULL;
        if ((line[0] == '#') || (line[0] == '\n')) {
            continue;
        }
        assert_true(n < cap);
        e = &out[n++];
        memset(e, 0, sizeof *e);
        tok = strtok_r(line, " \n", &save);
        assert_non_null(tok);
        (void)snprintf(e->file, sizeof e->file, "%s", tok);
        tok = strtok_r(NULL, " \n", &save);
        assert_non_null(tok);
        (void)snprintf(e->profile, sizeof e->profile, "%s", tok);
        tok = strtok_r(NULL, " \n", &save);
        assert_non_null(tok);
        (void)snprintf(e->result, sizeof e->result, "%s", tok);
        while ((tok = strtok_r(NULL, " \n", &save)) != NULL) {
            assert_true(e->n_wants < 8U);
            (void)snprintf(e->wants[e->n_wants++], sizeof e->wants[0], "%s", tok);
        }
    }
    (void)fclose(f);
    return n;
}

static struct expectation expectations[400];
static size_t n_expectations;

static int setup(void **state)
{
    (void)state;
    storage = t_storage_new();
    n_expectations = load_expectations(expectations, 400);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(storage);
    return 0;
}

/* Every fixture of one kind (file name prefix) yields its expectation. */
static void run_prefix(const char *prefix)
{
    size_t i;
    size_t n_run = 0;
    size_t n_bad = 0;

    for (i = 0; i < n_expectations; i++) {
        if (strncmp(expectations[i].file, prefix, strlen(prefix)) == 0) {
            n_run++;
            if (!check_one(&expectations[i])) {
                n_bad++;
            }
        }
    }
    assert_true(n_run > 0U);
    assert_int_equal(n_bad, 0);
}

static void test_pcd03_fixtures(void **state)
{
    (void)state;
    run_prefix("pcd03_");
}

static void test_pcd01_fixtures(void **state)
{
    (void)state;
    run_prefix("pcd01_");
}

static void test_pcd10_fixtures(void **state)
{
    (void)state;
    run_prefix("pcd10_");
}

static void test_pcd04_fixtures(void **state)
{
    (void)state;
    run_prefix("pcd04_");
}

static void test_pcd05_fixtures(void **state)
{
    (void)state;
    run_prefix("pcd05_");
}

static void test_ack_and_rrg_fixtures(void **state)
{
    (void)state;
    run_prefix("ack_");
    run_prefix("rrg_o16_");
}

static void test_shared_public_samples(void **state)
{
    (void)state;
    run_prefix("shared:");
}

/* The manifest is complete: every .hl7 file of the folder is listed (no untested fixture), and
 * the suite would notice a rule regressing into acceptance (invalid fixtures really fail). */
static void test_every_fixture_is_listed(void **state)
{
    FILE *p;
    char name[256];
    size_t n_files = 0;
    (void)state;
    p = popen("ls " PCD_DIR, "r");
    assert_non_null(p);
    while (fgets(name, sizeof name, p) != NULL) {
        size_t i;
        bool listed = false;
        name[strcspn(name, "\n")] = '\0';
        if (strstr(name, ".hl7") == NULL) {
            continue;
        }
        n_files++;
        for (i = 0; i < n_expectations; i++) {
            listed = listed || (strcmp(expectations[i].file, name) == 0);
        }
        if (!listed) {
            print_message("%s is not in expect.txt\n", name);
        }
        assert_true(listed);
    }
    (void)pclose(p);
    assert_true(n_files >= 100U);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcd03_fixtures),
        cmocka_unit_test(test_pcd01_fixtures),
        cmocka_unit_test(test_pcd10_fixtures),
        cmocka_unit_test(test_pcd04_fixtures),
        cmocka_unit_test(test_pcd05_fixtures),
        cmocka_unit_test(test_ack_and_rrg_fixtures),
        cmocka_unit_test(test_shared_public_samples),
        cmocka_unit_test(test_every_fixture_is_listed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
