/*
 * test_hl7_ack.c - generic ACKs: mode detection (MSH-15/16), code choice, build -> parse -> decode
 * in original and enhanced mode, ERR contents (escaped), the published ACK with an empty MSA-2,
 * CA and AA both success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hl7/hl7.h"
#include "hl7_test_util.h"

static struct t_storage *st_;
static struct t_storage *st2_;

static const char original[] =
    "MSH|^~\\&|EHR|HOSP|PUMPGW|ICU|20260101120000+0000||ORU^R01^ORU_R01|CTRL-1|P|2.6||||||8859/1\r"
    "PID|||1\r";
static const char enhanced[] =
    "MSH|^~\\&#|DOR^0012211839000001^EUI-64|OI|DOC|HOSP|20260101120000+0000||ORU^R40^ORU_R40|"
    "CTRL-2|P|2.6|||AL|NE||UNICODE UTF-8\r";

static void test_success_codes(void **state)
{
    (void)state;
    assert_true(hl7_ack_is_success(HL7_ACK_AA));
    assert_true(hl7_ack_is_success(HL7_ACK_CA));
    assert_false(hl7_ack_is_success(HL7_ACK_AE));
    assert_false(hl7_ack_is_success(HL7_ACK_AR));
    assert_false(hl7_ack_is_success(HL7_ACK_CE));
    assert_false(hl7_ack_is_success(HL7_ACK_CR));
    assert_string_equal(hl7_ack_code_str(HL7_ACK_CR), "CR");
    assert_string_equal(hl7_ack_code_str((hl7_ack_code)42), "??");
    assert_string_equal(hl7_error_code_text(207), "Application internal error");
    assert_null(hl7_error_code_text(999));
}

static void test_modes(void **state)
{
    struct hl7_msg m;
    (void)state;
    assert_int_equal(t_parse(st_, &m, original, sizeof original - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_ack_mode_of(&m), HL7_MODE_ORIGINAL);
    assert_int_equal(t_parse(st_, &m, enhanced, sizeof enhanced - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_ack_mode_of(&m), HL7_MODE_ENHANCED);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ORIGINAL, true, false), HL7_ACK_AA);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ORIGINAL, false, false), HL7_ACK_AE);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ORIGINAL, false, true), HL7_ACK_AR);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ENHANCED, true, false), HL7_ACK_CA);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ENHANCED, false, false), HL7_ACK_CE);
    assert_int_equal(hl7_ack_code_for(HL7_MODE_ENHANCED, false, true), HL7_ACK_CR);
}

static void test_original_mode_ack(void **state)
{
    struct hl7_msg m;
    struct hl7_msg a;
    struct hl7_ack dec;
    struct hl7_ack_params p;
    struct hl7_view v;
    char out[512];
    size_t len;
    (void)state;
    assert_int_equal(t_parse(st_, &m, original, sizeof original - 1U, NULL), HL7_OK);
    memset(&p, 0, sizeof p);
    p.code = hl7_ack_code_for(hl7_ack_mode_of(&m), true, false);
    p.control_id = "ACK-1";
    p.timestamp = "20260101120001+0000";
    assert_int_equal(hl7_ack_build(&m, &p, out, sizeof out, &len), HL7_OK);
    assert_memory_equal(out,
                        "MSH|^~\\&|PUMPGW|ICU|EHR|HOSP|20260101120001+0000||ACK^R01^ACK|ACK-1|P|2.6"
                        "||||||8859/1\rMSA|AA|CTRL-1\r",
                        len);
    assert_int_equal(t_parse(st2_, &a, out, len, NULL), HL7_OK);
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_OK);
    assert_int_equal(dec.code, HL7_ACK_AA);
    assert_true(hl7_ack_is_success(dec.code));
    assert_true(t_view_is(dec.control_id, "CTRL-1"));
    assert_true(t_view_is(dec.message_type, "ACK^R01^ACK"));
    assert_false(dec.has_err);
    assert_int_equal(hl7_get_path(&a, "MSH-5", &v), HL7_OK);
    assert_true(t_view_is(v, "EHR"));
}

static void test_enhanced_mode_error_ack(void **state)
{
    struct hl7_msg m;
    struct hl7_msg a;
    struct hl7_ack dec;
    struct hl7_ack_params p;
    struct hl7_view v;
    char out[512];
    char text[64];
    size_t n;
    size_t len;
    (void)state;
    assert_int_equal(t_parse(st_, &m, enhanced, sizeof enhanced - 1U, NULL), HL7_OK);
    memset(&p, 0, sizeof p);
    p.code = hl7_ack_code_for(hl7_ack_mode_of(&m), false, false);
    p.control_id = "ACK|2";
    p.timestamp = "20260101120001+0000";
    p.error_code = 207;
    p.app_error = "9001";
    p.error_text = "rate^limit|exceeded & #1";
    assert_int_equal(hl7_ack_build(&m, &p, out, sizeof out, &len), HL7_OK);
    assert_int_equal(t_parse(st2_, &a, out, len, NULL), HL7_OK);
    assert_int_equal(hl7_msg_check(&a, NULL), HL7_OK);
    assert_int_equal(a.enc.truncation, '#'); /* same encoding characters as the original */
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_OK);
    assert_int_equal(dec.code, HL7_ACK_CE);
    assert_false(hl7_ack_is_success(dec.code));
    assert_true(t_view_is(dec.control_id, "CTRL-2"));
    assert_true(t_view_is(dec.message_type, "ACK^R40^ACK"));
    assert_true(dec.has_err);
    assert_true(t_view_is(dec.err_code, "207"));
    assert_true(t_view_is(dec.err_text, "Application internal error"));
    assert_true(t_view_is(dec.severity, "E"));
    assert_true(t_view_is(dec.app_error, "9001"));
    assert_int_equal(hl7_unescape(&a.enc, dec.user_message, 0, text, sizeof text, &n, NULL), HL7_OK);
    assert_int_equal(n, strlen(p.error_text));
    assert_memory_equal(text, p.error_text, n);
    assert_int_equal(hl7_get_path(&a, "MSH-10", &v), HL7_OK);
    assert_true(t_view_is(v, "ACK\\F\\2"));
    assert_int_equal(hl7_get_path(&a, "MSH-3.2", &v), HL7_OK);
    assert_true(t_view_is(v, "")); /* MSH-3 <- DOC: no components */
    assert_int_equal(hl7_get_path(&a, "MSH-5.2", &v), HL7_OK);
    assert_true(t_view_is(v, "0012211839000001"));
    assert_int_equal(hl7_get_path(&a, "ERR-3.3", &v), HL7_OK);
    assert_true(t_view_is(v, "HL70357"));
}

static void test_published_ack_with_empty_msa2(void **state)
{
    char *buf;
    size_t len = 0;
    struct hl7_msg a;
    struct hl7_ack dec;
    (void)state;
    buf = t_read_file(OI_SHARED_DIR "/data/hl7/pcd03_ihetf_ex2_ack_o15_CA_msa2_empty.hl7", &len);
    if (buf == NULL) {
        skip();
    }
    assert_int_equal(t_parse(st_, &a, buf, len, NULL), HL7_OK);
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_OK);
    assert_int_equal(dec.code, HL7_ACK_CA);
    assert_true(hl7_ack_is_success(dec.code));
    assert_int_equal(dec.control_id.len, 0); /* nonconformant, but decoded: the caller decides */
    free(buf);
}

static void test_decode_errors(void **state)
{
    static const char no_msa[] = "MSH|^~\\&|A\rERR|||207\r";
    static const char bad_code[] = "MSH|^~\\&|A\rMSA|XX|1\r";
    static const char lower[] = "MSH|^~\\&|A\rMSA|aa|1\r";
    struct hl7_msg a;
    struct hl7_ack dec;
    (void)state;
    assert_int_equal(t_parse(st_, &a, no_msa, sizeof no_msa - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_ERR_NOT_FOUND);
    assert_int_equal(t_parse(st_, &a, bad_code, sizeof bad_code - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_ERR_ACK_CODE);
    assert_int_equal(t_parse(st_, &a, lower, sizeof lower - 1U, NULL), HL7_OK);
    assert_int_equal(hl7_ack_decode(&a, &dec), HL7_ERR_ACK_CODE);
}

static void test_build_errors(void **state)
{
    struct hl7_msg m;
    struct hl7_ack_params p;
    char out[512];
    size_t len;
    size_t need;
    size_t cap;
    (void)state;
    assert_int_equal(t_parse(st_, &m, original, sizeof original - 1U, NULL), HL7_OK);
    memset(&p, 0, sizeof p);
    p.code = HL7_ACK_AR;
    p.timestamp = "20260101";
    assert_int_equal(hl7_ack_build(&m, &p, out, sizeof out, &len), HL7_ERR_INVAL); /* no id */
    p.control_id = "1";
    p.code = (hl7_ack_code)6;
    assert_int_equal(hl7_ack_build(&m, &p, out, sizeof out, &len), HL7_ERR_INVAL);
    p.code = HL7_ACK_AR;
    p.error_code = 101;
    assert_int_equal(hl7_ack_build(&m, &p, out, sizeof out, &need), HL7_OK);
    for (cap = 0; cap < need; cap++) {
        memset(out, '#', sizeof out);
        assert_int_equal(hl7_ack_build(&m, &p, out, cap, &len), HL7_ERR_FULL);
        assert_int_equal(out[cap], '#');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_codes),
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_original_mode_ack),
        cmocka_unit_test(test_enhanced_mode_error_ack),
        cmocka_unit_test(test_published_ack_with_empty_msa2),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_build_errors),
    };
    int rc;
    st_ = t_storage_new();
    st2_ = t_storage_new();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(st_);
    free(st2_);
    return rc;
}
