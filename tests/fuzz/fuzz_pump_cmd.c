/*
 * fuzz_pump_cmd.c - pumpd's command input (the cmd topic of pump protocol v1) through the real
 * handler: JSON decoding, cmd_id cache, program / associate / time_sync / event_ack checks, the
 * core's DERS and state machine. One simulated pump (examples/general-hospital.json, ADULT_ICU,
 * associated with a patient) takes every input in turn, so sequences of commands are explored.
 *
 * Property: no command, however malformed or ordered, drives the core into FAULT (FAULT is for
 * broken invariants, never for bad input), and the cmd_id cache stays within its bound.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "load.h"
#include "mqtt_pump.h"

static struct mqtt_pump g_mp;
static struct pd_loaded g_ld;
static struct event_base *g_base;
static uint64_t g_now;

static void setup(void)
{
    struct mqtt_pump_config mc;
    struct sim_pump_config pc;
    memset(&g_ld, 0, sizeof g_ld);
    if (!pd_load_library_file(OI_SOURCE_DIR "/examples/general-hospital.json", &g_ld) ||
        !mqtt_pump_lib_init()) {
        abort();
    }
    g_base = event_base_new();
    memset(&mc, 0, sizeof mc);
    mc.host = "127.0.0.1"; /* never connected: the fuzzer only calls mqtt_pump_command */
    mc.port = 9;
    mc.topic_prefix = "infusion/v1";
    mc.heartbeat_ms = 5000;
    mc.resend_ms = 10000;
    mc.max_unacked = 4096;
    mc.quiet = true;
    memset(&pc, 0, sizeof pc);
    pc.pump_id = "FUZZ-1";
    hal_sim_config_default(&pc.hw);
    pc.tick_ms = 100;
    pc.idle_tick_ms = 1000;
    pc.lib = &g_ld.dl.lib;
    if (g_base == NULL || !mqtt_pump_init(&g_mp, &mc, &pc, g_base, 0, 1, false)) {
        abort();
    }
    g_mp.assoc.has_area = true;
    (void)snprintf(g_mp.assoc.care_area, sizeof g_mp.assoc.care_area, "ADULT_ICU");
    g_mp.assoc.has_patient = true;
    (void)snprintf(g_mp.assoc.patient_id, sizeof g_mp.assoc.patient_id, "MRN-0001");
    (void)snprintf(g_mp.assoc.weight_kg, sizeof g_mp.assoc.weight_kg, "70");
    g_now = mqtt_pump_mono_ms();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (g_base == NULL) {
        setup();
    }
    /* Time moves a little between commands, as it does between messages. */
    g_now += 250;
    mqtt_pump_command(&g_mp, (const char *)data, size, g_now);
    if (g_mp.pump.ch.state == PUMP_ST_FAULT) {
        (void)fprintf(stderr, "a command drove the channel into FAULT\n");
        abort();
    }
    if (g_mp.n_cmds > MQTT_PUMP_CMD_CACHE) {
        abort();
    }
    return 0;
}
