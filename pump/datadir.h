/*
 * datadir.h - a pump's data directory: the persistent event log, the sequence counter and the
 * active drug library.
 *
 *   DIR/events.log    every event record the core produced, in seq order, each in the core's
 *                     fixed binary encoding (pump_log_encode, PUMP_LOG_RECORD_BYTES bytes with a
 *                     CRC-32). Append-only.
 *   DIR/seq           the next sequence number, as decimal text ("1234\n").
 *   DIR/library.json  the active drug library, byte for byte as loaded.
 *
 * Durability (a simulator's, stated plainly): records are written with write(2) as the host
 * drains the core's ring, so a killed process loses nothing it drained; the log is fsync'd when
 * a batch holds a record that matters after a crash (anything but a volume checkpoint) and on
 * close, and the seq file is then replaced atomically (write a temporary, fsync, rename, fsync
 * the directory). The library file is replaced the same way. A machine crash can therefore lose
 * at most the volume checkpoints written since the last fsync.
 *
 * Recovery on open: a torn last record (short, or failing its CRC) is cut off; the next seq is
 * the larger of the seq file and the last record's seq + 1, so seq never goes backwards even if
 * the seq file is older than the log. The last state record of each channel is remembered so the
 * runner can tell that an infusion was running when power was lost (it then comes back stopped
 * with an alarm, never running).
 */
#ifndef PUMPD_DATADIR_H
#define PUMPD_DATADIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_config.h"
#include "pump/pump_log.h"

struct datadir {
    char path[512];
    int log_fd;
    uint64_t next_seq;       /* after the last stored record (1 for a new directory) */
    uint64_t n_records;      /* valid records in events.log */
    uint64_t n_cut_bytes;    /* bytes of a torn tail removed on open */
    bool has_last_state[PUMP_CHANNELS_MAX];
    struct pump_log_record last_state[PUMP_CHANNELS_MAX]; /* last PUMP_REC_STATE per channel */
    bool has_last_record;
    struct pump_log_record last_record;
    uint64_t last_time_ms; /* time of the last stored record */
    char error[600];       /* why the last call failed */
};

/*
 * datadir_open - create DIR (one level) if needed, open and recover events.log, read seq.
 * Returns false with dd->error set. On true, close with datadir_close.
 */
bool datadir_open(struct datadir *dd, const char *path);

/* Append records (in seq order, each above the last stored seq); fsync when sync is true, then
 * rewrite the seq file. false with dd->error on any I/O error or a seq that goes backwards. */
bool datadir_append(struct datadir *dd, const struct pump_log_record *recs, size_t n, bool sync);

/* Replace library.json atomically. */
bool datadir_save_library(struct datadir *dd, const char *text, size_t len);

/* The stored library text (malloc'd, NUL-terminated; free()), or NULL with *len 0 when none is
 * stored. On an I/O error returns NULL with dd->error set and *len = 1. */
char *datadir_load_library(struct datadir *dd, size_t *len);

/*
 * datadir_read_log - call fn for every valid record of events.log in order (for `pumpd log`).
 * Returns false with dd->error on an I/O error.
 */
bool datadir_read_log(struct datadir *dd, void (*fn)(void *arg, const struct pump_log_record *r),
                      void *arg);

/* fsync, save the seq file and close; safe on a half-opened or closed directory. */
void datadir_close(struct datadir *dd);

/* Close without fsync or seq file, as power loss would leave it (the simulator's power loss). */
void datadir_abandon(struct datadir *dd);

#endif
