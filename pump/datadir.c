/*
 * datadir.c - the pump's data directory. Contract: see datadir.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "datadir.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LIBRARY_BYTES (64u * 1024u * 1024u)

static bool fail_errno(struct datadir *dd, const char *what, const char *file)
{
    (void)snprintf(dd->error, sizeof dd->error, "%s %s/%s: %s", what, dd->path, file,
                   strerror(errno));
    return false;
}

static bool file_path(const struct datadir *dd, const char *name, char *buf, size_t cap)
{
    int w = snprintf(buf, cap, "%s/%s", dd->path, name);
    return w >= 0 && (size_t)w < cap;
}

static bool write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        p += (size_t)w;
        n -= (size_t)w;
    }
    return true;
}

static bool sync_dir(struct datadir *dd)
{
    int fd = open(dd->path, O_RDONLY | O_DIRECTORY);
    bool ok;
    if (fd < 0) {
        return fail_errno(dd, "cannot open", ".");
    }
    ok = fsync(fd) == 0;
    (void)close(fd);
    return ok ? true : fail_errno(dd, "cannot fsync", ".");
}

/* Replace DIR/name with text[0..len) so that a crash leaves either the old or the new file. */
static bool replace_file(struct datadir *dd, const char *name, const char *text, size_t len)
{
    char tmp[600];
    char dst[600];
    int fd;
    char tmpname[64];

    (void)snprintf(tmpname, sizeof tmpname, "%s.tmp", name);
    if (!file_path(dd, tmpname, tmp, sizeof tmp) || !file_path(dd, name, dst, sizeof dst)) {
        (void)snprintf(dd->error, sizeof dd->error, "data directory path too long");
        return false;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail_errno(dd, "cannot create", tmpname);
    }
    if (!write_all(fd, text, len) || fsync(fd) != 0) {
        (void)fail_errno(dd, "cannot write", tmpname);
        (void)close(fd);
        return false;
    }
    if (close(fd) != 0) {
        return fail_errno(dd, "cannot close", tmpname);
    }
    if (rename(tmp, dst) != 0) {
        return fail_errno(dd, "cannot rename to", name);
    }
    return sync_dir(dd);
}

static bool save_seq(struct datadir *dd)
{
    char text[32];
    int w = snprintf(text, sizeof text, "%llu\n", (unsigned long long)dd->next_seq);
    return replace_file(dd, "seq", text, (size_t)w);
}

/* The seq file's value, 0 when absent or unreadable as a number. */
static uint64_t read_seq(const struct datadir *dd)
{
    char p[600];
    char text[40];
    FILE *f;
    size_t n;
    char *end = NULL;
    unsigned long long v;

    if (!file_path(dd, "seq", p, sizeof p)) {
        return 0;
    }
    f = fopen(p, "rb");
    if (f == NULL) {
        return 0;
    }
    n = fread(text, 1, sizeof text - 1U, f);
    (void)fclose(f);
    text[n] = '\0';
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || end == text) {
        return 0;
    }
    return (uint64_t)v;
}

static void note_record(struct datadir *dd, const struct pump_log_record *r)
{
    dd->n_records++;
    dd->has_last_record = true;
    dd->last_record = *r;
    dd->last_time_ms = r->time_ms;
    if (r->seq + 1U > dd->next_seq) {
        dd->next_seq = r->seq + 1U;
    }
    if (r->type == (uint8_t)PUMP_REC_STATE && r->channel < PUMP_CHANNELS_MAX) {
        dd->has_last_state[r->channel] = true;
        dd->last_state[r->channel] = *r;
    }
}

/* Read every whole valid record; cut the file after the last one (a torn or corrupt tail). */
static bool recover_log(struct datadir *dd)
{
    uint8_t buf[PUMP_LOG_RECORD_BYTES];
    off_t good = 0;
    off_t size;
    struct pump_log_record r;

    size = lseek(dd->log_fd, 0, SEEK_END);
    if (size < 0 || lseek(dd->log_fd, 0, SEEK_SET) < 0) {
        return fail_errno(dd, "cannot seek", "events.log");
    }
    for (;;) {
        ssize_t n = read(dd->log_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail_errno(dd, "cannot read", "events.log");
        }
        if ((size_t)n < sizeof buf) {
            break; /* end, or a torn last record */
        }
        if (pump_log_decode(buf, sizeof buf, &r) != PUMP_OK ||
            (dd->has_last_record && r.seq <= dd->last_record.seq)) {
            break;
        }
        note_record(dd, &r);
        good += (off_t)sizeof buf;
    }
    if (good != size) {
        dd->n_cut_bytes = (uint64_t)(size - good);
        if (ftruncate(dd->log_fd, good) != 0 || fsync(dd->log_fd) != 0) {
            return fail_errno(dd, "cannot cut the torn end of", "events.log");
        }
    }
    if (lseek(dd->log_fd, 0, SEEK_END) < 0) {
        return fail_errno(dd, "cannot seek", "events.log");
    }
    return true;
}

bool datadir_open(struct datadir *dd, const char *path)
{
    char p[600];
    uint64_t seq_file;
    int w;

    memset(dd, 0, sizeof *dd);
    dd->log_fd = -1;
    dd->next_seq = 1;
    w = snprintf(dd->path, sizeof dd->path, "%s", path);
    if (w < 0 || (size_t)w >= sizeof dd->path || path[0] == '\0') {
        (void)snprintf(dd->error, sizeof dd->error, "data directory path empty or too long");
        return false;
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        (void)snprintf(dd->error, sizeof dd->error, "cannot create the data directory %s: %s",
                       path, strerror(errno));
        return false;
    }
    if (!file_path(dd, "events.log", p, sizeof p)) {
        (void)snprintf(dd->error, sizeof dd->error, "data directory path too long");
        return false;
    }
    dd->log_fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (dd->log_fd < 0) {
        return fail_errno(dd, "cannot open", "events.log");
    }
    if (!recover_log(dd)) {
        datadir_close(dd);
        return false;
    }
    seq_file = read_seq(dd);
    if (seq_file > dd->next_seq) {
        dd->next_seq = seq_file;
    }
    return true;
}

bool datadir_append(struct datadir *dd, const struct pump_log_record *recs, size_t n, bool sync)
{
    uint8_t buf[PUMP_LOG_RECORD_BYTES * 16U];
    size_t i = 0;

    if (dd->log_fd < 0) {
        (void)snprintf(dd->error, sizeof dd->error, "the data directory is not open");
        return false;
    }
    while (i < n) {
        size_t k = 0;
        while (i < n && k < 16U) {
            if (recs[i].seq < dd->next_seq) {
                (void)snprintf(dd->error, sizeof dd->error,
                               "record seq %llu is not after the stored seq %llu",
                               (unsigned long long)recs[i].seq,
                               (unsigned long long)(dd->next_seq - 1U));
                return false;
            }
            if (pump_log_encode(&recs[i], buf + k * PUMP_LOG_RECORD_BYTES,
                                PUMP_LOG_RECORD_BYTES) != PUMP_OK) {
                (void)snprintf(dd->error, sizeof dd->error, "record seq %llu does not encode",
                               (unsigned long long)recs[i].seq);
                return false;
            }
            note_record(dd, &recs[i]);
            k++;
            i++;
        }
        if (!write_all(dd->log_fd, buf, k * PUMP_LOG_RECORD_BYTES)) {
            return fail_errno(dd, "cannot write", "events.log");
        }
    }
    if (sync) {
        if (fsync(dd->log_fd) != 0) {
            return fail_errno(dd, "cannot fsync", "events.log");
        }
        return save_seq(dd);
    }
    return true;
}

bool datadir_save_library(struct datadir *dd, const char *text, size_t len)
{
    return replace_file(dd, "library.json", text, len);
}

char *datadir_load_library(struct datadir *dd, size_t *len)
{
    char p[600];
    FILE *f;
    char *buf;
    size_t n;

    *len = 0;
    if (!file_path(dd, "library.json", p, sizeof p)) {
        return NULL;
    }
    f = fopen(p, "rb");
    if (f == NULL) {
        if (errno != ENOENT) {
            (void)fail_errno(dd, "cannot open", "library.json");
            *len = 1;
        }
        return NULL;
    }
    buf = malloc(MAX_LIBRARY_BYTES + 1U);
    if (buf == NULL) {
        (void)fclose(f);
        (void)snprintf(dd->error, sizeof dd->error, "out of memory");
        *len = 1;
        return NULL;
    }
    n = fread(buf, 1, MAX_LIBRARY_BYTES, f);
    if (ferror(f) != 0) {
        (void)fail_errno(dd, "cannot read", "library.json");
        (void)fclose(f);
        free(buf);
        *len = 1;
        return NULL;
    }
    (void)fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool datadir_read_log(struct datadir *dd, void (*fn)(void *arg, const struct pump_log_record *r),
                      void *arg)
{
    uint8_t buf[PUMP_LOG_RECORD_BYTES];
    struct pump_log_record r;
    if (lseek(dd->log_fd, 0, SEEK_SET) < 0) {
        return fail_errno(dd, "cannot seek", "events.log");
    }
    for (;;) {
        ssize_t n = read(dd->log_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return fail_errno(dd, "cannot read", "events.log");
        }
        if ((size_t)n < sizeof buf || pump_log_decode(buf, sizeof buf, &r) != PUMP_OK) {
            break;
        }
        fn(arg, &r);
    }
    if (lseek(dd->log_fd, 0, SEEK_END) < 0) {
        return fail_errno(dd, "cannot seek", "events.log");
    }
    return true;
}

void datadir_close(struct datadir *dd)
{
    if (dd->log_fd >= 0) {
        if (fsync(dd->log_fd) == 0) {
            (void)save_seq(dd);
        }
        (void)close(dd->log_fd);
        dd->log_fd = -1;
    }
}

void datadir_abandon(struct datadir *dd)
{
    if (dd->log_fd >= 0) {
        (void)close(dd->log_fd);
        dd->log_fd = -1;
    }
}
