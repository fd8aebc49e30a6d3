/*
 * hl7_input.c - reading an HL7 file and splitting it into messages, the same way for
 * `hl7 parse` and `hl7 validate` (contract: see cmd_hl7.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_hl7.h"
#include "hl7/mllp.h"
#include "infusionctl.h"

#define MAX_FILE_BYTES (64U * 1024U * 1024U)

char *ictl_hl7_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n = 0;

    if (f == NULL) {
        ictl_error2("cannot open", path);
        return NULL;
    }
    buf = malloc(MAX_FILE_BYTES + 1U);
    if (buf == NULL) {
        (void)fclose(f);
        ictl_error("out of memory");
        return NULL;
    }
    n = fread(buf, 1, MAX_FILE_BYTES + 1U, f);
    if (ferror(f) != 0) {
        ictl_error2("cannot read", path);
        (void)fclose(f);
        free(buf);
        return NULL;
    }
    (void)fclose(f);
    if (n > MAX_FILE_BYTES) {
        ictl_error2("file larger than 64 MiB:", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}
