/*
 * hl7_test_util.h - helpers shared by the hl7 unit tests: read a file, parse with generous
 * storage, compare views.
 */
#ifndef HL7_TEST_UTIL_H
#define HL7_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hl7/hl7.h"

#define T_MAX_SEGS 20000U
#define T_MAX_SEPS (HL7_MAX_MESSAGE_BYTES + 1U)

/* Storage big enough for any message the library accepts. */
struct t_storage {
    struct hl7_segment segs[T_MAX_SEGS];
    uint32_t seps[T_MAX_SEPS];
};

static inline struct t_storage *t_storage_new(void)
{
    struct t_storage *s = malloc(sizeof *s);
    if (s == NULL) {
        abort();
    }
    return s;
}

static inline hl7_status t_parse(struct t_storage *s, struct hl7_msg *m, const char *buf,
                                 size_t len, struct hl7_error *err)
{
    hl7_msg_init(m, s->segs, T_MAX_SEGS, s->seps, T_MAX_SEPS);
    return hl7_parse(m, buf, len, err);
}

/* The whole file, malloc'd; NULL when it cannot be read. */
static inline char *t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        (void)fclose(f);
        return NULL;
    }
    buf = malloc((size_t)n + 1U);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        (void)fclose(f);
        return NULL;
    }
    (void)fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static inline int t_view_is(struct hl7_view v, const char *s)
{
    return hl7_view_eq(v, s);
}

#endif
