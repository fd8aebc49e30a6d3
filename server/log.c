/*
 * log.c - text or JSON-lines records on stderr (log.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>

static bool g_json;
static srv_log_level g_min = SRV_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void srv_log_setup(bool json, srv_log_level min_level)
{
    g_json = json;
    g_min = min_level;
}

bool srv_log_level_parse(const char *name, srv_log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (srv_log_level)i;
            return true;
        }
    }
    return false;
}

void srv_log(srv_log_level level, const char *component, const char *fmt, ...)
{
    if (level < g_min) {
        return;
    }
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    (void)gmtime_r(&ts.tv_sec, &tm);
    char when[96];
    (void)snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                   ts.tv_nsec / 1000000L);
    if (g_json) {
        /* jansson escapes the message (it may quote bad input). */
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "ts", when, "level", level_names[level],
                              "component", component, "msg", msg);
        char *line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
        if (line != NULL) {
            (void)fprintf(stderr, "%s\n", line);
        }
        free(line);
        json_decref(o);
    } else {
        (void)fprintf(stderr, "%s %s %s: %s\n", when, level_names[level], component, msg);
    }
}
