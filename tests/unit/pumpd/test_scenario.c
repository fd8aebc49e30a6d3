/* test_scenario.c - the scenario parser: a valid scenario in memory, and every kind of bad input
 * refused with the step named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scenario.h"

#define HEAD                                                                                       \
    "{\"format\": \"openinfusion-scenario\", \"format_version\": 1, \"library\": \"lib.json\", " \
    "\"care_area\": \"ADULT_ICU\", "

static scenario_status parse(const char *text, struct scenario *sc, struct scenario_error *err)
{
    return scenario_parse_text(text, strlen(text), sc, err);
}

/* The scenario HEAD + steps must be refused with a message containing want. */
static void refused(const char *steps, const char *want)
{
    char text[4096];
    struct scenario sc;
    struct scenario_error err;
    (void)snprintf(text, sizeof text, HEAD "\"steps\": [%s]}", steps);
    assert_int_equal(parse(text, &sc, &err), SCENARIO_INVALID);
    if (strstr(err.msg, want) == NULL) {
        fail_msg("message \"%s\" does not contain \"%s\"", err.msg, want);
    }
    assert_null(sc.steps);
    assert_null(sc.root);
}

static void test_valid_scenario_in_memory(void **state)
{
    static const char text[] =
        HEAD "\"seed\": 9, \"pump_id\": \"P-1\", \"patient\": {\"weight_kg\": 80},"
        "\"hardware\": {\"tick_ms\": 250, \"step_nl\": 250, \"container_ml\": 20.5},"
        "\"steps\": ["
        "{\"at\": \"0s\", \"do\": \"program\", \"program\": {\"entry\": \"GH-ICU-HEP\","
        " \"mode\": \"continuous\", \"dose\": 18, \"dose_unit\": \"units/kg/h\"}},"
        "{\"after\": \"5s\", \"do\": \"confirm\", \"reason\": \"order_verified\","
        " \"reason_text\": \"per MD\"},"
        "{\"at_ms\": 10000, \"do\": \"start\", \"note\": \"go\"},"
        "{\"at\": \"1h30m\", \"do\": \"fault\", \"fault\": \"air\", \"bubble_ul\": 0.5,"
        " \"count\": 3, \"spacing_ul\": 100},"
        "{\"at\": \"1h30m\", \"do\": \"expect\", \"state\": \"running\", \"alarms\": [],"
        " \"volume_ml\": 21.6, \"tolerance_ml\": 0.01, \"event\": {\"type\": \"state\"}},"
        "{\"at\": \"2h\", \"do\": \"power_loss\", \"restore_after\": \"10s\"},"
        "{\"at\": \"3h\", \"do\": \"stop\"}"
        "], \"end_at\": \"4h\", \"x-comment\": \"free\"}";
    struct scenario sc;
    struct scenario_error err;
    const struct scenario_step *st;

    (void)state;
    assert_int_equal(parse(text, &sc, &err), SCENARIO_OK);
    assert_int_equal(sc.n_steps, 7);
    assert_string_equal(sc.pump_id, "P-1");
    assert_int_equal(sc.seed, 9);
    assert_int_equal(sc.hw.tick_ms, 250);
    assert_int_equal(sc.hw.sim.step_nl, 250);
    assert_int_equal(sc.hw.sim.container_nl, 20500000);
    assert_int_equal(sc.end_ms, 4U * 3600000U);
    st = &sc.steps[0];
    assert_int_equal(st->action, SCN_PROGRAM);
    /* The pump's care area and the patient's weight were added to the program. */
    assert_int_equal(st->prog.care_area_len, strlen("ADULT_ICU"));
    assert_memory_equal(st->prog.care_area, "ADULT_ICU", st->prog.care_area_len);
    assert_int_equal(st->prog.weight_kg.state, PUMP_V_GIVEN);
    assert_int_equal(sc.steps[1].at_ms, 5000);
    assert_string_equal(sc.steps[1].reason, "order_verified");
    assert_string_equal(sc.steps[1].reason_text, "per MD");
    assert_int_equal(sc.steps[2].at_ms, 10000);
    assert_string_equal(sc.steps[2].note, "go");
    st = &sc.steps[3];
    assert_int_equal(st->at_ms, 5400000);
    assert_int_equal(st->fault.kind, HAL_FAULT_AIR);
    assert_int_equal(st->fault.bubble_nl, 500);
    assert_int_equal(st->fault.count, 3);
    assert_int_equal(st->fault.spacing_nl, 100000);
    st = &sc.steps[4];
    assert_string_equal(st->expect.state, "running");
    assert_true(st->expect.has_alarms);
    assert_int_equal(st->expect.n_alarms, 0);
    assert_true(st->expect.has_volume);
    assert_int_equal(pump_q_cmp(st->expect.volume_ml, (struct pump_q){108, 5}), 0);
    assert_non_null(st->expect.event);
    assert_true(sc.steps[5].has_restore);
    assert_int_equal(sc.steps[5].restore_after_ms, 10000);
    scenario_free(&sc);
}

static void test_bad_steps_name_the_step(void **state)
{
    (void)state;
    refused("{\"at\": \"0s\", \"do\": \"start\"}, {\"at\": \"1s\", \"do\": \"warp\"}",
            "steps[1] (at 1s): unknown action \"warp\"");
    refused("{\"at\": \"10s\", \"do\": \"start\"}, {\"at\": \"5s\", \"do\": \"stop\"}",
            "steps[1] (at 5s): times out of order");
    refused("{\"do\": \"start\"}", "steps[0]: the step has no time");
    refused("{\"at\": \"5 min\", \"do\": \"start\"}", "is not a duration");
    refused("{\"at\": \"1s\", \"at_ms\": 1000, \"do\": \"start\"}", "not both");
    refused("{\"at\": \"0s\", \"do\": \"program\", \"program\": {\"mode\": \"basic\","
            " \"rate_ml_h\": 10, \"dosage\": 1}}",
            "steps[0] (at 0s, program): the program does not parse: unknown key \"dosage\"");
    refused("{\"at\": \"0s\", \"do\": \"program\"}", "\"program\" is missing");
    refused("{\"at\": \"0s\", \"do\": \"program\", \"program\": [1]}", "must be an object");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"alarm\": \"tea\"}", "unknown alarm \"tea\"");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"alarms\": [\"restart\", 3]}",
            "\"alarms\"[1] must be a string");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"state\": \"dancing\"}", "unknown state");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"status\": \"meh\"}", "unknown status");
    refused("{\"at\": \"0s\", \"do\": \"expect\"}", "must check something");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"tolerance_ml\": 1, \"state\": \"idle\"}",
            "\"tolerance_ml\" without \"volume_ml\"");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"volume_ml\": -1}", "must not be negative");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"event\": {\"type\": \"party\"}}",
            "unknown event type");
    refused("{\"at\": \"0s\", \"do\": \"expect\", \"event\": {\"seq\": [1]}}",
            "must be a string, number");
    refused("{\"at\": \"0s\", \"do\": \"start\", \"speed\": 2}",
            "steps[0] (at 0s, start): unknown key \"speed\"");
    refused("{\"at\": \"0s\", \"do\": \"fault\", \"fault\": \"gremlins\"}", "unknown fault");
    refused("{\"at\": \"0s\", \"do\": \"fault\", \"fault\": \"air\"}", "needs \"bubble_ul\"");
    refused("{\"at\": \"0s\", \"do\": \"fault\", \"fault\": \"air\", \"bubble_ul\": 0.0001}",
            "whole number of nanolitres");
    refused("{\"at\": \"0s\", \"do\": \"fault\", \"fault\": \"door_open\", \"pct\": 3}",
            "\"pct\" belongs to the fault \"battery\" only");
    refused("{\"at\": \"0s\", \"do\": \"fault\", \"fault\": \"battery\"}", "needs \"pct\"");
    refused("{\"at\": \"0s\", \"do\": \"clear\", \"fault\": \"battery\"}", "cannot be cleared");
    refused("{\"at\": \"0s\", \"do\": \"confirm\", \"reason\": \"because\"}",
            "unknown override reason");
    refused("{\"at\": \"0s\", \"do\": \"confirm\", \"reason_text\": \"x\"}", "needs a \"reason\"");
    refused("{\"at\": \"0s\", \"do\": \"acknowledge\"}", "\"alarm\" is missing");
    refused("{\"at\": \"0s\", \"do\": \"power_loss\"}, {\"at\": \"1s\", \"do\": \"start\"}",
            "must be the last step");
    refused("3", "a step must be an object");
}

static void test_bad_top_level(void **state)
{
    struct scenario sc;
    struct scenario_error err;
    (void)state;
    assert_int_equal(parse("{", &sc, &err), SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "not valid JSON at line 1"));
    assert_int_equal(parse("[]", &sc, &err), SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "must be a JSON object"));
    assert_int_equal(parse("{\"format\": \"x\", \"format_version\": 1, \"care_area\": \"A\","
                           " \"steps\": []}", &sc, &err), SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "\"format\" must be"));
    assert_int_equal(parse(HEAD "\"steps\": [], \"colour\": 1}", &sc, &err), SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "unknown key \"colour\" in the scenario"));
    assert_int_equal(parse(HEAD "\"steps\": [], \"steps\": []}", &sc, &err), SCENARIO_INVALID);
    assert_int_equal(parse(HEAD "\"hardware\": {\"tick_ms\": 0}, \"steps\": []}", &sc, &err),
                     SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "hardware: \"tick_ms\" must be above 0"));
    assert_int_equal(parse(HEAD "\"hardware\": {\"warp\": 9}, \"steps\": []}", &sc, &err),
                     SCENARIO_INVALID);
    assert_int_equal(parse(HEAD "\"patient\": {\"weight_kg\": \"80\"}, \"steps\": []}", &sc,
                           &err), SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "patient: \"weight_kg\" must be a number"));
    assert_int_equal(parse("{\"format\": \"openinfusion-scenario\", \"format_version\": 2,"
                           " \"care_area\": \"A\", \"steps\": []}", &sc, &err),
                     SCENARIO_INVALID);
    assert_non_null(strstr(err.msg, "format_version"));
}

static void test_durations(void **state)
{
    uint64_t ms = 0;
    char buf[32];
    (void)state;
    assert_true(scenario_parse_duration("0s", &ms));
    assert_int_equal(ms, 0);
    assert_true(scenario_parse_duration("1h30m", &ms));
    assert_int_equal(ms, 5400000);
    assert_true(scenario_parse_duration("2d3h4m5s6ms", &ms));
    assert_int_equal(ms, ((2U * 24U + 3U) * 60U + 4U) * 60000U + 5006U);
    assert_true(scenario_parse_duration("250ms", &ms));
    assert_int_equal(ms, 250);
    assert_false(scenario_parse_duration("", &ms));
    assert_false(scenario_parse_duration("5", &ms));
    assert_false(scenario_parse_duration("h", &ms));
    assert_false(scenario_parse_duration("1 h", &ms));
    assert_false(scenario_parse_duration("-1s", &ms));
    assert_false(scenario_parse_duration("401d", &ms));
    assert_false(scenario_parse_duration("99999999999999999999d", &ms));
    assert_string_equal(scenario_time_str(5400000, buf, sizeof buf), "1h30m");
    assert_string_equal(scenario_time_str(0, buf, sizeof buf), "0s");
    assert_string_equal(scenario_time_str(61250, buf, sizeof buf), "1m1s250ms");
}

static void test_library_path(void **state)
{
    struct scenario sc;
    struct scenario_error err;
    char buf[256];
    (void)state;
    assert_int_equal(parse(HEAD "\"steps\": []}", &sc, &err), SCENARIO_OK);
    assert_true(scenario_library_path(&sc, "a/b/s.json", buf, sizeof buf));
    assert_string_equal(buf, "a/b/lib.json");
    assert_true(scenario_library_path(&sc, "s.json", buf, sizeof buf));
    assert_string_equal(buf, "lib.json");
    assert_false(scenario_library_path(&sc, "a/b/s.json", buf, 5));
    scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_scenario_in_memory),
        cmocka_unit_test(test_bad_steps_name_the_step),
        cmocka_unit_test(test_bad_top_level),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_library_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
