/* test_store_audit.c - the hash-chained audit log: the documented canonical form, an intact
 * chain verifies, an altered, removed or re-hashed row is named. */
#define _POSIX_C_SOURCE 200809L

#include <openssl/evp.h>

#include "store_test_util.h"

/* The first record's hash rebuilt here from docs/storage.md, independently of store.c. */
static void first_record_matches_documented_form(void **state)
{
    struct t_db *t = *state;
    struct store *s = t_open(t);
    struct t_raw *db;
    char got[80];
    unsigned char buf[256];
    unsigned char md[32];
    unsigned int md_len = 0;
    char hex[65];
    static const char text[] = "oi-audit-v1\nseq:1\ntime_ms:1795000000000\n"
                               "actor:5:alice\naction:12:library.sign\ndetail:7:v2026.1\n";
    assert_int_equal(store_audit_add(s, "alice", "library.sign", "v2026.1", 1795000000000),
                     STORE_OK);
    store_close(s);
    memset(buf, 0, 32);
    memcpy(buf + 32, text, sizeof text - 1U);
    assert_int_equal(EVP_Digest(buf, 32U + sizeof text - 1U, md, &md_len, EVP_sha256(), NULL), 1);
    for (size_t i = 0; i < 32U; i++) {
        (void)snprintf(hex + 2U * i, 3, "%02x", md[i]);
    }
    db = t_raw(t);
    t_raw_text(db, "SELECT prev_hash FROM audit WHERE id = 1", got, sizeof got);
    assert_string_equal(got, "0000000000000000000000000000000000000000000000000000000000000000");
    t_raw_text(db, "SELECT hash FROM audit WHERE id = 1", got, sizeof got);
    assert_string_equal(got, hex);
    t_raw_close(db);
}

static struct store *chain_of(const struct t_db *t, int n)
{
    struct store *s = t_open(t);
    uint64_t rows = 99;
    assert_int_equal(store_audit_verify(s, &rows), STORE_OK);
    assert_int_equal(rows, 0);
    for (int i = 1; i <= n; i++) {
        char detail[32];
        (void)snprintf(detail, sizeof detail, "detail %d", i);
        /* Half inside a caller's transaction, half on their own. */
        if (i % 2 == 0) {
            assert_int_equal(store_begin(s), STORE_OK);
        }
        assert_int_equal(store_audit_add(s, "user", "action", i == 3 ? NULL : detail, 1000 + i),
                         STORE_OK);
        if (i % 2 == 0) {
            assert_int_equal(store_commit(s), STORE_OK);
        }
    }
    assert_int_equal(store_audit_verify(s, &rows), STORE_OK);
    assert_int_equal(rows, (uint64_t)n);
    return s;
}

static void intact_chain_verifies(void **state)
{
    struct t_db *t = *state;
    struct store *s = chain_of(t, 10);
    uint64_t rows = 0;
    store_close(s);
    s = t_open(t);
    assert_int_equal(store_audit_verify(s, &rows), STORE_OK);
    assert_int_equal(rows, 10);
    assert_int_equal(store_audit_add(s, NULL, "x", "", 1), STORE_ERR);
    store_close(s);
}

/* Applies sql on a raw connection with the audit triggers dropped, as a tamperer would. */
static void tamper(const struct t_db *t, const char *sql)
{
    struct t_raw *db = t_raw(t);
    t_raw_drop_trigger(db, "audit_no_update", "audit");
    t_raw_drop_trigger(db, "audit_no_delete", "audit");
    assert_int_equal(t_raw_exec(db, sql), T_OK);
    assert_int_equal(db->changes, 1);
    t_raw_close(db);
}

static void expect_named(const struct t_db *t, const char *needle)
{
    struct store *s = t_open(t);
    uint64_t rows = 12345;
    assert_int_equal(store_audit_verify(s, &rows), STORE_ERR);
    assert_int_equal(rows, 12345); /* untouched on failure */
    if (strstr(store_errmsg(s), needle) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", needle, store_errmsg(s));
    }
    store_close(s);
}

static void altered_detail_is_named(void **state)
{
    struct t_db *t = *state;
    store_close(chain_of(t, 10));
    tamper(t, "UPDATE audit SET detail = 'nothing happened' WHERE id = 6");
    expect_named(t, "audit row 6: hash mismatch");
}

static void altered_time_is_named(void **state)
{
    struct t_db *t = *state;
    store_close(chain_of(t, 10));
    tamper(t, "UPDATE audit SET at_ms = at_ms + 1 WHERE id = 1");
    expect_named(t, "audit row 1:");
}

static void rehashed_row_breaks_the_next_link(void **state)
{
    struct t_db *t = *state;
    struct store *s;
    char hash[STORE_HASH_HEX_BYTES];
    char prev[STORE_HASH_HEX_BYTES];
    char sql[512];
    struct t_raw *db;
    store_close(chain_of(t, 10));
    /* The tamperer recomputes row 4's own hash after changing it: row 5 no longer chains. */
    db = t_raw(t);
    t_raw_text(db, "SELECT prev_hash FROM audit WHERE id = 4", prev, sizeof prev);
    t_raw_close(db);
    s = t_open(t);
    assert_int_equal(store__audit_hash(s, prev, 4, "user", "action", "forged", 1004, hash),
                     STORE_OK);
    store_close(s);
    (void)snprintf(sql, sizeof sql, "UPDATE audit SET detail = 'forged', hash = '%s' WHERE id = 4",
                   hash);
    tamper(t, sql);
    expect_named(t, "audit row 5: previous hash does not chain");
}

static void removed_row_is_named(void **state)
{
    struct t_db *t = *state;
    store_close(chain_of(t, 10));
    tamper(t, "DELETE FROM audit WHERE id = 7");
    expect_named(t, "audit row 8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(first_record_matches_documented_form, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(intact_chain_verifies, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(altered_detail_is_named, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(altered_time_is_named, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(rehashed_row_breaks_the_next_link, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(removed_row_is_named, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
