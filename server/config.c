/*
 * config.c - defaults, config file, flags (config.h). One table describes every option, so the
 * file, the flags and --help cannot disagree.
 */
#define _POSIX_C_SOURCE 200809L

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_STR, OPT_UINT, OPT_BOOL, OPT_ADDR, OPT_LIST } opt_kind;

struct opt {
    const char *name; /* without "--" */
    opt_kind kind;
    size_t off;       /* of the char * / unsigned / bool / char *[] in struct srv_config */
    size_t port_off;  /* OPT_ADDR: of the int port */
    const char *def;  /* default as text, NULL: none */
    const char *help;
};

#define OFF(f) offsetof(struct srv_config, f)

static const struct opt opts[] = {
    {"db", OPT_STR, OFF(db), 0, "infusiond.db",
     "store: sqlite:PATH, PATH (SQLite) or postgresql://... when built"},
    {"mqtt", OPT_ADDR, OFF(mqtt_host), OFF(mqtt_port), "127.0.0.1:1883", "MQTT broker HOST:PORT"},
    {"topic-prefix", OPT_STR, OFF(topic_prefix), 0, "infusion/v1", "pump protocol topic prefix"},
    {"mqtt-client-id", OPT_STR, OFF(mqtt_client_id), 0, "infusiond", "MQTT client id"},
    {"mllp", OPT_ADDR, OFF(mllp_bind), OFF(mllp_port), "127.0.0.1:2575",
     "PCD-03 (RGV^O15) listener HOST:PORT (port 0: any free port)"},
    {"http", OPT_ADDR, OFF(http_bind), OFF(http_port), "127.0.0.1:8080",
     "HTTP API and nurse station HOST:PORT (port 0: any free port)"},
    {"web-root", OPT_STR, OFF(web_root), 0, "web", "directory of the static pages"},
    {"ehr-iop", OPT_STR, OFF(iop), 0, NULL, "RRG^O16 destination HOST:PORT (ordering system)"},
    {"ehr-doc", OPT_STR, OFF(doc), 0, NULL, "PCD-01/PCD-10 destination HOST:PORT"},
    {"ehr-alarm", OPT_LIST, OFF(alarm), 0, NULL,
     "PCD-04 destination HOST:PORT (repeat for up to 4 alarm managers)"},
    {"library", OPT_STR, OFF(library), 0, NULL, "drug library file orders are checked against"},
    {"facility", OPT_STR, OFF(facility), 0, "OPENINFUSION", "MSH-4 of the messages sent"},
    {"pcd01-period-s", OPT_UINT, OFF(pcd01_period_s), 0, "60",
     "PCD-01 period for infusing channels (0: only on change)"},
    {"order-max-age-s", OPT_UINT, OFF(order_max_age_s), 0, "600",
     "an order whose ORC-9 is older is stale (PIV 9022)"},
    {"associate-from-order", OPT_BOOL, OFF(associate_from_order), 0, "true",
     "an order may associate an unassociated pump with its patient"},
    {"log-json", OPT_BOOL, OFF(log_json), 0, "false", "log as JSON lines"},
    {"log-level", OPT_STR, OFF(log_level), 0, "info", "debug, info, warn or error"},
    {"max-frame-kib", OPT_UINT, OFF(max_frame_kib), 0, "1024", "largest MLLP frame accepted"},
    {"idle-timeout-s", OPT_UINT, OFF(idle_timeout_s), 0, "300",
     "close MLLP/HTTP connections idle this long"},
    {"port-file", OPT_STR, OFF(port_file), 0, NULL,
     "write the bound ports (mllp=, http=) to FILE once listening"},
};
#define N_OPTS (sizeof opts / sizeof opts[0])

static const char usage_head[] =
    "usage: infusiond [--config FILE] [--OPTION VALUE ...]\n"
    "\n"
    "The infusion server: pumps over MQTT (pump protocol v1), orders in over MLLP (IHE PCD-03),\n"
    "documentation and alarms out (PCD-01/10/04) through a durable outbox, HTTP API and nurse\n"
    "station. Every option can also be set in the config file as \"name = value\".\n"
    "SIGTERM/SIGINT: finish in-flight work, flush, close.\n"
    "\noptions:\n"
    "  --config FILE                read settings from FILE first (flags win)\n";

static void print_usage(FILE *f)
{
    (void)fputs(usage_head, f);
    for (size_t i = 0; i < N_OPTS; i++) {
        char left[64];
        (void)snprintf(left, sizeof left, "--%s%s", opts[i].name,
                       opts[i].kind == OPT_BOOL ? "[=true|false]" : " V");
        (void)fprintf(f, "  %-28s %s%s%s%s\n", left, opts[i].help,
                      opts[i].def != NULL ? " (" : "", opts[i].def != NULL ? opts[i].def : "",
                      opts[i].def != NULL ? ")" : "");
    }
}

bool srv_split_hostport(const char *text, char **host, int *port)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL || colon == text || colon[1] == '\0') {
        return false;
    }
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || p > 65535UL || colon[1] == '-' || colon[1] == '+') {
        return false;
    }
    size_t hl = (size_t)(colon - text);
    char *h = malloc(hl + 1);
    if (h == NULL) {
        return false;
    }
    memcpy(h, text, hl);
    h[hl] = '\0';
    free(*host);
    *host = h;
    *port = (int)p;
    return true;
}

static char **str_at(struct srv_config *cfg, const struct opt *o)
{
    return (char **)(void *)((char *)cfg + o->off);
}

/* Set one option from text. false after printing why (where says from where). */
static bool set_opt(struct srv_config *cfg, const struct opt *o, const char *val,
                    const char *where)
{
    char *base = (char *)cfg;
    switch (o->kind) {
    case OPT_STR: {
        char *d = strdup(val);
        if (d == NULL) {
            return false;
        }
        free(*str_at(cfg, o));
        *str_at(cfg, o) = d;
        return true;
    }
    case OPT_UINT: {
        char *end = NULL;
        errno = 0;
        unsigned long v = strtoul(val, &end, 10);
        if (errno != 0 || *end != '\0' || val[0] == '\0' || val[0] == '-' || v > 86400000UL) {
            (void)fprintf(stderr, "infusiond: %s: --%s wants a whole number, got \"%s\"\n",
                          where, o->name, val);
            return false;
        }
        *(unsigned *)(void *)(base + o->off) = (unsigned)v;
        return true;
    }
    case OPT_BOOL: {
        bool v;
        if (strcmp(val, "true") == 0 || strcmp(val, "1") == 0 || strcmp(val, "yes") == 0) {
            v = true;
        } else if (strcmp(val, "false") == 0 || strcmp(val, "0") == 0 ||
                   strcmp(val, "no") == 0) {
            v = false;
        } else {
            (void)fprintf(stderr, "infusiond: %s: --%s wants true or false, got \"%s\"\n", where,
                          o->name, val);
            return false;
        }
        *(bool *)(void *)(base + o->off) = v;
        return true;
    }
    case OPT_ADDR:
        if (!srv_split_hostport(val, str_at(cfg, o), (int *)(void *)(base + o->port_off))) {
            (void)fprintf(stderr, "infusiond: %s: --%s wants HOST:PORT, got \"%s\"\n", where,
                          o->name, val);
            return false;
        }
        return true;
    case OPT_LIST: {
        char *host = NULL;
        int port = 0;
        if (!srv_split_hostport(val, &host, &port)) {
            (void)fprintf(stderr, "infusiond: %s: --%s wants HOST:PORT, got \"%s\"\n", where,
                          o->name, val);
            return false;
        }
        free(host);
        if (cfg->n_alarm == SRV_MAX_ALARM_DESTS) {
            (void)fprintf(stderr, "infusiond: %s: at most %d --%s\n", where,
                          SRV_MAX_ALARM_DESTS, o->name);
            return false;
        }
        char *d = strdup(val);
        if (d == NULL) {
            return false;
        }
        cfg->alarm[cfg->n_alarm++] = d;
        return true;
    }
    default:
        return false;
    }
}

static const struct opt *find_opt(const char *name, size_t len)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0) {
            return &opts[i];
        }
    }
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

static bool load_file(struct srv_config *cfg, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        (void)fprintf(stderr, "infusiond: cannot read config file %s: %s\n", path,
                      strerror(errno));
        return false;
    }
    char line[1024];
    unsigned lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        char where[600];
        (void)snprintf(where, sizeof where, "%s:%u", path, lineno);
        if (eq == NULL) {
            (void)fprintf(stderr, "infusiond: %s: expected \"name = value\"\n", where);
            ok = false;
            break;
        }
        *eq = '\0';
        char *name = trim(s);
        char *val = trim(eq + 1);
        const struct opt *o = find_opt(name, strlen(name));
        if (o == NULL) {
            (void)fprintf(stderr, "infusiond: %s: unknown setting \"%s\"\n", where, name);
            ok = false;
            break;
        }
        ok = set_opt(cfg, o, val, where);
    }
    (void)fclose(f);
    return ok;
}

int srv_config_load(struct srv_config *cfg, int argc, char **argv)
{
    memset(cfg, 0, sizeof *cfg);
    for (size_t i = 0; i < N_OPTS; i++) {
        if (opts[i].def != NULL && !set_opt(cfg, &opts[i], opts[i].def, "default")) {
            return 2;
        }
    }
    /* --help and --config first: the file is read before the flags. */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(stdout);
            return 1;
        }
        const char *file = NULL;
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) {
                (void)fprintf(stderr, "infusiond: --config needs a FILE\n");
                return 2;
            }
            file = argv[++i];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            file = argv[i] + 9;
        }
        if (file != NULL) {
            free(cfg->config_file);
            cfg->config_file = strdup(file);
            if (cfg->config_file == NULL || !load_file(cfg, file)) {
                return 2;
            }
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
            continue;
        }
        if (strncmp(a, "--config=", 9) == 0) {
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            (void)fprintf(stderr, "infusiond: unexpected argument \"%s\" (see --help)\n", a);
            return 2;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        const struct opt *o = find_opt(name, len);
        if (o == NULL) {
            (void)fprintf(stderr, "infusiond: unknown option \"%s\" (see --help)\n", a);
            return 2;
        }
        const char *val;
        if (eq != NULL) {
            val = eq + 1;
        } else if (o->kind == OPT_BOOL) {
            val = "true";
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            (void)fprintf(stderr, "infusiond: --%s needs a value\n", o->name);
            return 2;
        }
        if (!set_opt(cfg, o, val, "command line")) {
            return 2;
        }
    }
    return 0;
}

void srv_config_free(struct srv_config *cfg)
{
    for (size_t i = 0; i < N_OPTS; i++) {
        if (opts[i].kind == OPT_STR || opts[i].kind == OPT_ADDR) {
            free(*str_at(cfg, &opts[i]));
        }
    }
    for (size_t i = 0; i < cfg->n_alarm; i++) {
        free(cfg->alarm[i]);
    }
    free(cfg->config_file);
    memset(cfg, 0, sizeof *cfg);
}
