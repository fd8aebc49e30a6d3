/*
 * log.h - infusiond's log: one line per record on stderr, as text ("2026-11-22T10:00:00.123Z warn
 * mllp: …") or, with --log-json, as JSON lines ({"ts":…,"level":…,"component":…,"msg":…}).
 */
#ifndef SRV_LOG_H
#define SRV_LOG_H

#include <stdbool.h>

typedef enum { SRV_LOG_DEBUG = 0, SRV_LOG_INFO, SRV_LOG_WARN, SRV_LOG_ERROR } srv_log_level;

void srv_log_setup(bool json, srv_log_level min_level);
/* Records below the minimum level are dropped. */
void srv_log(srv_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "debug" … "error" -> level; false when unknown. */
bool srv_log_level_parse(const char *name, srv_log_level *out);

#endif
