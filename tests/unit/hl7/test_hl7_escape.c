/*
 * test_hl7_escape.c - escape sequences: every delimiter escape, \X..\ hex, formatting kept or
 * rendered, local/charset sequences passed through, malformed ones rejected with their offset,
 * output bounds (nothing written past the buffer), and escape -> unescape identity for all bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"

static const struct hl7_encoding std_enc = HL7_ENCODING_DEFAULT;

static struct hl7_view vz(const char *s)
{
    struct hl7_view v;
    v.ptr = s;
    v.len = strlen(s);
    return v;
}

/* Unescape `in` and compare with want[0..n_want). */
static void expect_unescape(const struct hl7_encoding *enc, const char *in, unsigned flags,
                            const char *want, size_t n_want)
{
    char out[256];
    size_t n = 0;
    hl7_status st = hl7_unescape(enc, vz(in), flags, out, sizeof out, &n, NULL);
    if (st != HL7_OK) {
        fail_msg("'%s': %s", in, hl7_status_str(st));
    }
    if (n != n_want || memcmp(out, want, n) != 0) {
        fail_msg("'%s' -> '%.*s', expected '%.*s'", in, (int)n, out, (int)n_want, want);
    }
}

#define EXPECT(in, want) expect_unescape(&std_enc, (in), HL7_UNESC_KEEP_FORMAT, (want), sizeof(want) - 1U)

static void test_delimiter_escapes(void **state)
{
    (void)state;
    EXPECT("", "");
    EXPECT("plain", "plain");
    EXPECT("\\F\\", "|");
    EXPECT("\\S\\", "^");
    EXPECT("\\T\\", "&");
    EXPECT("\\R\\", "~");
    EXPECT("\\E\\", "\\");
    EXPECT("\\P\\", "#"); /* no truncation character in MSH-2: the standard '#' */
    EXPECT("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f", "a|b^c&d~e\\f");
    EXPECT("\\S\\\\S\\\\S\\NONEXISTING", "^^^NONEXISTING");
    EXPECT("\\S\\\\S\\\\S\\\\T\\1.2.3.4\\T\\ISO", "^^^&1.2.3.4&ISO");
    EXPECT("\\E\\\\E\\", "\\\\");
    EXPECT("\\E\\S\\E\\", "\\S\\"); /* no nesting: \E\ then S then \E\ */
}

static void test_custom_encoding(void **state)
{
    static const struct hl7_encoding enc = {'!', '@', '?', '/', '+', '%'};
    (void)state;
    expect_unescape(&enc, "/F//S//T//R//E//P/", 0, "!@+?/%", 6);
    expect_unescape(&enc, "a\\S\\b", 0, "a\\S\\b", 5); /* backslash is data here */
    expect_unescape(&enc, "/X41/", 0, "A", 1);
}

static void test_hex(void **state)
{
    (void)state;
    EXPECT("\\X0D\\", "\r");
    EXPECT("\\X0D0A\\", "\r\n");
    EXPECT("a\\X41424344\\b", "aABCDb");
    EXPECT("\\Xc3a9\\", "\xc3\xa9");
    EXPECT("\\X00\\", "\0");
    EXPECT("\\XFF\\\\X0b\\", "\xff\x0b");
}

static void expect_error(const char *in, size_t at)
{
    char out[64];
    size_t n = 77;
    size_t off = 999;
    hl7_status st = hl7_unescape(&std_enc, vz(in), 0, out, sizeof out, &n, &off);
    if (st != HL7_ERR_ESCAPE) {
        fail_msg("'%s' accepted (%s)", in, hl7_status_str(st));
    }
    if (off != at) {
        fail_msg("'%s': error at %zu, expected %zu", in, off, at);
    }
    assert_int_equal(n, 77); /* out_len untouched on failure */
}

static void test_malformed(void **state)
{
    (void)state;
    expect_error("\\", 0);
    expect_error("abc\\S", 3);
    expect_error("\\S\\ok \\E broken", 6);
    expect_error("\\\\", 0);       /* empty sequence */
    expect_error("\\Q\\", 0);      /* unknown */
    expect_error("\\SS\\", 0);     /* two letters */
    expect_error("\\X\\", 0);      /* no hex digits */
    expect_error("\\X4\\", 0);     /* odd number of digits */
    expect_error("\\X4G\\", 0);
    expect_error("\\X 41\\", 0);
    expect_error("a\\S^b\\", 1);   /* crosses a component separator */
    expect_error("a\\S~b\\", 1);
    expect_error("a\\S&b\\", 1);
    expect_error("a\\S|b\\", 1);
    expect_error("\\.xx\\", 0);
    expect_error("\\.sp x\\", 0);
    expect_error("\\.sp 12345\\", 0);
    expect_error("\\.br2\\", 0);
    expect_error("\\C12\\", 0);
    expect_error("\\C12345\\", 0);
    expect_error("\\M123\\", 0);
    expect_error("\\Z\\", 0);
    expect_error("ok\\F\\then\\", 9);
}

static void test_formatting_kept(void **state)
{
    (void)state;
    EXPECT("\\H\\bold\\N\\", "\\H\\bold\\N\\");
    EXPECT("a\\.br\\b", "a\\.br\\b");
    EXPECT("\\.sp 2\\\\.in +4\\\\.ti -2\\\\.sk 3\\\\.fi\\\\.nf\\\\.ce\\\\.sp\\",
           "\\.sp 2\\\\.in +4\\\\.ti -2\\\\.sk 3\\\\.fi\\\\.nf\\\\.ce\\\\.sp\\");
    EXPECT("\\Zlocal\\", "\\Zlocal\\");
    EXPECT("\\C2842\\x\\M2442\\y\\M244241\\", "\\C2842\\x\\M2442\\y\\M244241\\");
}

static void test_formatting_rendered(void **state)
{
    (void)state;
    expect_unescape(&std_enc, "\\H\\Alert\\N\\: a\\.br\\b", HL7_UNESC_RENDER_FORMAT,
                    "Alert: a\nb", 10);
    expect_unescape(&std_enc, "a\\.sp 3\\b\\.sp\\c\\.sp -1\\d", HL7_UNESC_RENDER_FORMAT,
                    "a\n\n\nb\ncd", 8);
    expect_unescape(&std_enc, "\\.in 4\\\\.ti -2\\\\.sk 1\\\\.fi\\\\.nf\\\\.ce\\x",
                    HL7_UNESC_RENDER_FORMAT, "x", 1);
    expect_unescape(&std_enc, "\\Zlocal\\\\C2842\\", HL7_UNESC_RENDER_FORMAT,
                    "\\Zlocal\\\\C2842\\", 15);
    expect_unescape(&std_enc, "\\F\\\\X41\\", HL7_UNESC_RENDER_FORMAT, "|A", 2);
}

static void test_sp_capped(void **state)
{
    char out[256];
    size_t n;
    (void)state;
    assert_int_equal(hl7_unescape(&std_enc, vz("\\.sp 9999\\"), HL7_UNESC_RENDER_FORMAT, out,
                                  sizeof out, &n, NULL),
                     HL7_OK);
    assert_int_equal(n, 99);
}

/* Every output size below the needed one fails with FULL and writes nothing past cap. */
static void test_output_bounds(void **state)
{
    static const char *const inputs[] = {"plain text", "a\\F\\b\\X414243\\c", "\\.br\\x",
                                         "\\Zabc\\", "\\.sp 5\\"};
    size_t k;
    (void)state;
    for (k = 0; k < sizeof inputs / sizeof inputs[0]; k++) {
        char out[128];
        size_t need;
        size_t cap;
        unsigned flags = (k >= 4U) ? HL7_UNESC_RENDER_FORMAT : 0U;
        assert_int_equal(hl7_unescape(&std_enc, vz(inputs[k]), flags, out, sizeof out, &need, NULL),
                         HL7_OK);
        for (cap = 0; cap <= need; cap++) {
            size_t n = 0;
            hl7_status st;
            memset(out, '#', sizeof out);
            st = hl7_unescape(&std_enc, vz(inputs[k]), flags, out, cap, &n, NULL);
            assert_int_equal(st, (cap == need) ? HL7_OK : HL7_ERR_FULL);
            assert_int_equal(out[cap], '#');
        }
    }
    assert_int_equal(hl7_unescape(NULL, vz("x"), 0, NULL, 0, NULL, NULL), HL7_ERR_INVAL);
}

static void test_escape_round_trip_all_bytes(void **state)
{
    static const struct hl7_encoding encs[] = {HL7_ENCODING_DEFAULT,
                                               {'|', '^', '~', '\\', '&', '#'},
                                               {'!', '@', '?', '/', '+', '\0'}};
    size_t e;
    (void)state;
    for (e = 0; e < sizeof encs / sizeof encs[0]; e++) {
        char in[256];
        char esc[256 * 5];
        char back[256];
        size_t n_esc;
        size_t n_back;
        size_t i;
        struct hl7_view v;
        for (i = 0; i < 256U; i++) {
            in[i] = (char)i;
        }
        assert_int_equal(hl7_escape(&encs[e], in, 256, esc, sizeof esc, &n_esc), HL7_OK);
        /* no delimiter and no framing byte is left bare (only inside escape sequences) */
        for (i = 0; i < n_esc; i++) {
            char c = esc[i];
            assert_true(c != encs[e].field && c != encs[e].component && c != encs[e].repetition &&
                        c != encs[e].subcomponent && c != '\r' && c != '\n' && c != '\x0b' &&
                        c != '\x1c');
            assert_true(encs[e].truncation == '\0' || c != encs[e].truncation);
        }
        v.ptr = esc;
        v.len = n_esc;
        assert_int_equal(hl7_unescape(&encs[e], v, 0, back, sizeof back, &n_back, NULL), HL7_OK);
        assert_int_equal(n_back, 256);
        assert_memory_equal(back, in, 256);
        /* too small: FULL, never past cap */
        for (i = 0; i < n_esc; i += 37U) {
            size_t n;
            esc[i] = 'Q';
            assert_int_equal(hl7_escape(&encs[e], in, 256, esc, i, &n), HL7_ERR_FULL);
            assert_int_equal(esc[i], 'Q');
        }
    }
}

static void test_escape_values(void **state)
{
    char out[64];
    size_t n;
    (void)state;
    assert_int_equal(hl7_escape(&std_enc, "a|b^c&d~e\\f#g\r", 14, out, sizeof out, &n), HL7_OK);
    assert_int_equal(n, strlen("a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f#g\\X0D\\"));
    assert_memory_equal(out, "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f#g\\X0D\\", n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delimiter_escapes),
        cmocka_unit_test(test_custom_encoding),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_formatting_kept),
        cmocka_unit_test(test_formatting_rendered),
        cmocka_unit_test(test_sp_capped),
        cmocka_unit_test(test_output_bounds),
        cmocka_unit_test(test_escape_round_trip_all_bytes),
        cmocka_unit_test(test_escape_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
