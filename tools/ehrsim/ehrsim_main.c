/*
 * ehrsim_main.c - the command line of ehrsim (docs/ehrsim.md): flags into struct ehr_config,
 * then the loop of ehr_sim.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "ehrsim.h"

#define PROG "ehrsim"
#define MAX_PUMPS 1000000U

static const char usage[] =
    "usage: ehrsim [--server HOST:PORT [--connections K] [--window W]\n"
    "               (--orders FILE | --generate N [--rate R] --library FILE [--care-areas A,B]\n"
    "                (--pumps ID,ID | --pump-prefix P --pump-count N) [--patients PREFIX|ID,ID]\n"
    "                [--hard-ratio X] [--seed S]) [--resend-dup K]]\n"
    "              [--listen [HOST:]PORT [--port-file F] [--ack-code CODE] [--ack-delay-ms MS]]\n"
    "              [--duration S] [--until-idle S] [--summary-json F] [--log F] [--quiet]\n"
    "              [--expect-all-acked] [--expect-all-answered] [--expect-no-invalid]\n"
    "              [--expect-min-events N]\n"
    "\n"
    "An EHR/BCMA simulator. As the ordering system it sends PCD-03 RGV^O15 orders to the\n"
    "infusion server and counts the ACK^O15 on the same connection; on its listener it takes the\n"
    "RRG^O16 (answered ACK^O16 CA) and, as documentation and alarm consumer, PCD-01, PCD-10 and\n"
    "PCD-04 (answered with an accept ACK), checks every message with the hl7 library and prints a\n"
    "summary at the end.\n"
    "\n"
    "orders:\n"
    "  --server HOST:PORT   the IOC (infusiond's MLLP port)\n"
    "  --connections K      MLLP connections used round robin (1..64, default 1)\n"
    "  --window W           orders in flight per connection, waiting for ACK^O15 (1..1024, 1)\n"
    "  --orders FILE        RGV^O15 messages: MLLP frames, or text split at blank lines / MSH\n"
    "  --generate N         N generated orders (standards.md 3.2) for the pumps below\n"
    "  --rate R             orders per second (decimal; 0 = as fast as the windows allow)\n"
    "  --pumps A,B          pump ids; or --pump-prefix P --pump-count N for P0001 .. (as pumpd)\n"
    "  --patients P|A,B     patient of pump i: PREFIX0001 .. (as pumpd fleet), or a list\n"
    "  --library FILE       drug library (JSON); orders use its entries in the pump's care area\n"
    "  --care-areas A,B     pump i is in area i mod k (default: every area of the library)\n"
    "  --hard-ratio X       fraction of orders with a dose 1.5 x the hard maximum (default 0)\n"
    "  --seed S             random seed (entry choice, hard orders)\n"
    "  --resend-dup K       re-send every K-th order with the same MSH-10\n"
    "listener:\n"
    "  --listen [HOST:]PORT where RRG^O16 and PCD-01/10/04 arrive (host default 127.0.0.1);\n"
    "                       0 picks a free port and prints 'listening on PORT' first\n"
    "  --port-file F        also write that port into F\n"
    "  --ack-code CODE      accept ACK for PCD-01/10/04: CA (default) CE CR AA AE AR\n"
    "  --ack-delay-ms MS    wait this long before each ACK\n"
    "run:\n"
    "  --duration S         stop after S seconds\n"
    "  --until-idle S       stop S seconds after the last message once every order is sent and\n"
    "                       accept-acknowledged\n"
    "  --summary-json F     the summary as JSON too\n"
    "  --log F              one JSON line per received message\n"
    "  --quiet              no progress lines on stderr\n"
    "  --expect-all-acked   exit 1 unless every order got ACK^O15 CA (or AA)\n"
    "  --expect-all-answered  exit 1 unless every order got an RRG^O16\n"
    "  --expect-no-invalid  exit 1 when a received message had a validation error\n"
    "  --expect-min-events N  exit 1 with fewer than N PCD-10 messages\n"
    "\n"
    "SIGINT/SIGTERM stop it too. Exit status: 0 done, 1 an --expect check failed, 2 usage error\n"
    "or a setup failure (unusable library or order file, port in use).\n";

enum {
    O_SERVER, O_CONNECTIONS, O_WINDOW, O_LISTEN, O_PORT_FILE, O_ORDERS, O_GENERATE, O_RATE,
    O_PUMPS, O_PUMP_PREFIX, O_PUMP_COUNT, O_PATIENTS, O_LIBRARY, O_CARE_AREAS, O_HARD_RATIO,
    O_SEED, O_RESEND_DUP, O_DURATION, O_UNTIL_IDLE, O_SUMMARY_JSON, O_LOG, O_QUIET, O_ACK_CODE,
    O_ACK_DELAY, O_EXP_ACKED, O_EXP_ANSWERED, O_EXP_NO_INVALID, O_EXP_MIN_EVENTS, O_COUNT
};

static const struct cli_optdef opts[O_COUNT] = {
    {"--server", true},        {"--connections", true},  {"--window", true},
    {"--listen", true},        {"--port-file", true},    {"--orders", true},
    {"--generate", true},      {"--rate", true},         {"--pumps", true},
    {"--pump-prefix", true},   {"--pump-count", true},   {"--patients", true},
    {"--library", true},       {"--care-areas", true},   {"--hard-ratio", true},
    {"--seed", true},          {"--resend-dup", true},   {"--duration", true},
    {"--until-idle", true},    {"--summary-json", true}, {"--log", true},
    {"--quiet", false},        {"--ack-code", true},     {"--ack-delay-ms", true},
    {"--expect-all-acked", false}, {"--expect-all-answered", false},
    {"--expect-no-invalid", false}, {"--expect-min-events", true},
};

static bool bad(const char *flag, const char *value, const char *want)
{
    fprintf(stderr, "%s: %s %s: %s\n%s", PROG, flag, value, want,
            "try 'ehrsim --help'\n");
    return false;
}

static bool parse_u64(const char *flag, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (s[0] < '0' || s[0] > '9') {
        return bad(flag, s, "not a whole number");
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        char want[96];
        (void)snprintf(want, sizeof want, "must be a whole number from %llu to %llu",
                       (unsigned long long)lo, (unsigned long long)hi);
        return bad(flag, s, want);
    }
    *out = (uint64_t)v;
    return true;
}

static bool parse_dec(const char *flag, const char *s, double hi, double *out)
{
    char *end = NULL;
    double v;

    if ((s[0] < '0' || s[0] > '9') && s[0] != '.') {
        return bad(flag, s, "not a decimal number of 0 or more");
    }
    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0.0 || v > hi) {
        char want[80];
        (void)snprintf(want, sizeof want, "must be a decimal number from 0 to %g", hi);
        return bad(flag, s, want);
    }
    *out = v;
    return true;
}

/* "HOST:PORT" (need_host) or "[HOST:]PORT"; the port 0..65535 (1.. when !allow_zero). */
static bool parse_hostport(const char *flag, const char *s, bool need_host, bool allow_zero,
                           char *host, size_t cap, uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    const char *port_text = (colon != NULL) ? colon + 1 : s;
    uint64_t p = 0;

    if (colon == NULL && need_host) {
        return bad(flag, s, "must be HOST:PORT");
    }
    if (colon != NULL) {
        size_t n = (size_t)(colon - s);
        /* [::1]:PORT: the brackets are not part of the address. */
        if (n >= 2U && s[0] == '[' && s[n - 1U] == ']') {
            s++;
            n -= 2U;
        }
        if (n == 0U || n >= cap) {
            return bad(flag, s, "the host is empty or too long");
        }
        memcpy(host, s, n);
        host[n] = '\0';
    } else {
        (void)snprintf(host, cap, "127.0.0.1");
    }
    if (!parse_u64(flag, port_text, allow_zero ? 0U : 1U, 65535U, &p)) {
        return false;
    }
    *port = (uint16_t)p;
    return true;
}

static void free_list(char **list, size_t n)
{
    size_t i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < n; i++) {
        free(list[i]);
    }
    free(list);
}

void ehr_config_free(struct ehr_config *cfg)
{
    free_list(cfg->pump_ids, cfg->n_pumps);
    free_list(cfg->patient_ids, cfg->n_pumps);
    free_list(cfg->care_areas, cfg->n_care_areas);
    cfg->pump_ids = NULL;
    cfg->patient_ids = NULL;
    cfg->care_areas = NULL;
}

/* "a,b,c" into a malloc'd list of copies; empty items are refused. */
static bool split_list(const char *flag, const char *s, char ***out, size_t *n_out)
{
    size_t n = 1;
    size_t i = 0;
    const char *p;
    char **list;

    for (p = s; *p != '\0'; p++) {
        n += (*p == ',') ? 1U : 0U;
    }
    list = calloc(n, sizeof *list);
    if (list == NULL) {
        return false;
    }
    p = s;
    while (i < n) {
        const char *end = strchr(p, ',');
        size_t len = (end != NULL) ? (size_t)(end - p) : strlen(p);
        if (len == 0U || len >= EHR_ID_MAX) {
            free_list(list, i);
            return bad(flag, s, "every item must be 1 to 79 characters, no empty items");
        }
        list[i] = malloc(len + 1U);
        if (list[i] == NULL) {
            free_list(list, i);
            return false;
        }
        memcpy(list[i], p, len);
        list[i][len] = '\0';
        i++;
        p = (end != NULL) ? end + 1 : p + len;
    }
    *out = list;
    *n_out = n;
    return true;
}

/* PREFIX0001 ... PREFIXn, as pumpd fleet numbers its pumps and patients. */
static bool numbered(const char *flag, const char *prefix, size_t n, char ***out)
{
    char **list;
    size_t i;

    if (strlen(prefix) + 8U >= EHR_ID_MAX) {
        return bad(flag, prefix, "the prefix is too long");
    }
    list = calloc(n, sizeof *list);
    if (list == NULL) {
        return false;
    }
    for (i = 0; i < n; i++) {
        list[i] = malloc(EHR_ID_MAX);
        if (list[i] == NULL) {
            free_list(list, i);
            return false;
        }
        (void)snprintf(list[i], EHR_ID_MAX, "%s%04zu", prefix, i + 1U);
    }
    *out = list;
    return true;
}

static bool parse_pumps(const struct cli_parsed *a, struct ehr_config *cfg)
{
    uint64_t count = 0;

    if (a->seen[O_PUMPS] && (a->seen[O_PUMP_PREFIX] || a->seen[O_PUMP_COUNT])) {
        fprintf(stderr, "%s: --pumps and --pump-prefix/--pump-count exclude each other\n", PROG);
        return false;
    }
    if (a->seen[O_PUMPS]) {
        if (!split_list("--pumps", a->value[O_PUMPS], &cfg->pump_ids, &cfg->n_pumps)) {
            return false;
        }
    } else if (a->seen[O_PUMP_PREFIX] && a->seen[O_PUMP_COUNT]) {
        if (!parse_u64("--pump-count", a->value[O_PUMP_COUNT], 1, MAX_PUMPS, &count) ||
            !numbered("--pump-prefix", a->value[O_PUMP_PREFIX], (size_t)count, &cfg->pump_ids)) {
            return false;
        }
        cfg->n_pumps = (size_t)count;
    } else {
        fprintf(stderr, "%s: --generate needs the pumps: --pumps A,B or --pump-prefix P "
                        "--pump-count N\n", PROG);
        return false;
    }
    if (a->seen[O_PATIENTS]) {
        const char *v = a->value[O_PATIENTS];
        size_t n = 0;
        if (strchr(v, ',') == NULL) {
            return numbered("--patients", v, cfg->n_pumps, &cfg->patient_ids);
        }
        if (!split_list("--patients", v, &cfg->patient_ids, &n)) {
            return false;
        }
        if (n != cfg->n_pumps) {
            fprintf(stderr, "%s: --patients lists %zu patients for %zu pumps\n", PROG, n,
                    cfg->n_pumps);
            free_list(cfg->patient_ids, n);
            cfg->patient_ids = NULL;
            return false;
        }
    }
    return true;
}

static bool parse_orders(const struct cli_parsed *a, struct ehr_config *cfg)
{
    uint64_t v = 0;

    if (a->seen[O_ORDERS] && a->seen[O_GENERATE]) {
        fprintf(stderr, "%s: --orders and --generate exclude each other\n", PROG);
        return false;
    }
    cfg->orders_file = a->value[O_ORDERS];
    if (a->seen[O_GENERATE]) {
        if (!parse_u64("--generate", a->value[O_GENERATE], 1, 100000000U, &cfg->n_generate)) {
            return false;
        }
        if (!a->seen[O_LIBRARY]) {
            fprintf(stderr, "%s: --generate needs --library FILE\n", PROG);
            return false;
        }
        cfg->library_file = a->value[O_LIBRARY];
        if (a->seen[O_CARE_AREAS] &&
            !split_list("--care-areas", a->value[O_CARE_AREAS], &cfg->care_areas,
                        &cfg->n_care_areas)) {
            return false;
        }
        if (cfg->n_care_areas > EHR_MAX_AREAS) {
            fprintf(stderr, "%s: at most %u care areas\n", PROG, EHR_MAX_AREAS);
            return false;
        }
        if (!parse_pumps(a, cfg)) {
            return false;
        }
    } else if (a->seen[O_PUMPS] || a->seen[O_PUMP_PREFIX] || a->seen[O_PUMP_COUNT] ||
               a->seen[O_PATIENTS] || a->seen[O_LIBRARY] || a->seen[O_CARE_AREAS] ||
               a->seen[O_HARD_RATIO] || a->seen[O_RATE]) {
        fprintf(stderr, "%s: pumps, patients, library, care areas, --rate and --hard-ratio go "
                        "with --generate\n", PROG);
        return false;
    }
    if (a->seen[O_RATE] && !parse_dec("--rate", a->value[O_RATE], 1e6, &cfg->rate_per_s)) {
        return false;
    }
    if (a->seen[O_HARD_RATIO] &&
        !parse_dec("--hard-ratio", a->value[O_HARD_RATIO], 1.0, &cfg->hard_ratio)) {
        return false;
    }
    if (a->seen[O_SEED] && !parse_u64("--seed", a->value[O_SEED], 0, UINT64_MAX, &cfg->seed)) {
        return false;
    }
    if (a->seen[O_RESEND_DUP] &&
        !parse_u64("--resend-dup", a->value[O_RESEND_DUP], 1, UINT32_MAX, &cfg->resend_dup)) {
        return false;
    }
    if (a->seen[O_CONNECTIONS]) {
        if (!parse_u64("--connections", a->value[O_CONNECTIONS], 1, EHR_MAX_CONNECTIONS, &v)) {
            return false;
        }
        cfg->n_connections = (unsigned)v;
    }
    if (a->seen[O_WINDOW]) {
        if (!parse_u64("--window", a->value[O_WINDOW], 1, EHR_MAX_WINDOW, &v)) {
            return false;
        }
        cfg->window = (unsigned)v;
    }
    return true;
}

static bool parse_listen_and_run(const struct cli_parsed *a, struct ehr_config *cfg)
{
    uint64_t v = 0;

    if (a->seen[O_LISTEN]) {
        cfg->has_listen = true;
        if (!parse_hostport("--listen", a->value[O_LISTEN], false, true, cfg->listen_host,
                            sizeof cfg->listen_host, &cfg->listen_port)) {
            return false;
        }
    } else if (a->seen[O_PORT_FILE] || a->seen[O_ACK_CODE] || a->seen[O_ACK_DELAY]) {
        fprintf(stderr, "%s: --port-file, --ack-code and --ack-delay-ms go with --listen\n", PROG);
        return false;
    }
    cfg->port_file = a->value[O_PORT_FILE];
    if (a->seen[O_ACK_CODE]) {
        static const char *const names[6] = {"AA", "AE", "AR", "CA", "CE", "CR"};
        unsigned i;
        for (i = 0; i < 6U && strcmp(a->value[O_ACK_CODE], names[i]) != 0; i++) {
        }
        if (i == 6U) {
            return bad("--ack-code", a->value[O_ACK_CODE], "must be CA, CE, CR, AA, AE or AR");
        }
        cfg->ack_code = (hl7_ack_code)i;
    }
    if (a->seen[O_ACK_DELAY]) {
        if (!parse_u64("--ack-delay-ms", a->value[O_ACK_DELAY], 0, 600000U, &v)) {
            return false;
        }
        cfg->ack_delay_ms = (unsigned)v;
    }
    if ((a->seen[O_DURATION] &&
         !parse_dec("--duration", a->value[O_DURATION], 1e7, &cfg->duration_s)) ||
        (a->seen[O_UNTIL_IDLE] &&
         !parse_dec("--until-idle", a->value[O_UNTIL_IDLE], 1e7, &cfg->until_idle_s))) {
        return false;
    }
    cfg->summary_json = a->value[O_SUMMARY_JSON];
    cfg->log_file = a->value[O_LOG];
    cfg->quiet = a->seen[O_QUIET];
    cfg->expect_all_acked = a->seen[O_EXP_ACKED];
    cfg->expect_all_answered = a->seen[O_EXP_ANSWERED];
    cfg->expect_no_invalid = a->seen[O_EXP_NO_INVALID];
    if (a->seen[O_EXP_MIN_EVENTS]) {
        cfg->has_expect_min_events = true;
        if (!parse_u64("--expect-min-events", a->value[O_EXP_MIN_EVENTS], 0, UINT64_MAX,
                       &cfg->expect_min_events)) {
            return false;
        }
    }
    return true;
}

static bool parse_config(const struct cli_parsed *a, struct ehr_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->n_connections = 1;
    cfg->window = 1;
    cfg->ack_code = HL7_ACK_CA;
    if (a->n_pos > 0U) {
        fprintf(stderr, "%s: unexpected argument %s\n", PROG, a->pos[0]);
        return false;
    }
    if (!a->seen[O_SERVER] && !a->seen[O_LISTEN]) {
        fprintf(stderr, "%s: nothing to do: give --server HOST:PORT with orders, and/or "
                        "--listen [HOST:]PORT\n", PROG);
        return false;
    }
    if (a->seen[O_SERVER]) {
        cfg->has_server = true;
        if (!parse_hostport("--server", a->value[O_SERVER], true, false, cfg->server_host,
                            sizeof cfg->server_host, &cfg->server_port)) {
            return false;
        }
        if (!a->seen[O_ORDERS] && !a->seen[O_GENERATE]) {
            fprintf(stderr, "%s: --server needs orders: --orders FILE or --generate N\n", PROG);
            return false;
        }
    } else if (a->seen[O_ORDERS] || a->seen[O_GENERATE] || a->seen[O_CONNECTIONS] ||
               a->seen[O_WINDOW] || a->seen[O_RESEND_DUP]) {
        fprintf(stderr, "%s: orders, --connections, --window and --resend-dup need --server\n",
                PROG);
        return false;
    }
    return parse_orders(a, cfg) && parse_listen_and_run(a, cfg);
}

int main(int argc, char **argv)
{
    struct cli_parsed a;
    struct ehr_config cfg;
    struct ehr_sim sim;
    int rc;

    if (!cli_args_parse(PROG, argc - 1, argv + 1, opts, O_COUNT, &a)) {
        fprintf(stderr, "try 'ehrsim --help'\n");
        return 2;
    }
    if (a.help) {
        fputs(usage, stdout);
        return 0;
    }
    if (!parse_config(&a, &cfg)) {
        ehr_config_free(&cfg);
        return 2;
    }
    if (!ehr_sim_open(&sim, &cfg)) {
        ehr_sim_close(&sim);
        ehr_config_free(&cfg);
        return 2;
    }
    rc = ehr_sim_run(&sim);
    ehr_sim_close(&sim);
    ehr_config_free(&cfg);
    return rc;
}
