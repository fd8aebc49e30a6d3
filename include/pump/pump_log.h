/*
 * pump_log.h - the pump's event log: a fixed ring of records in the core that the host drains.
 *
 * One log per pump, shared by its channels. Each record gets the next per-pump sequence number;
 * the host persists pump_log_next_seq() and passes it back to pump_log_init() after a restart,
 * so seq is monotonic across restarts. A record stays in the ring until the host acknowledges it
 * (pump_log_ack: by the server's event_ack later, by the local store now). A stored record is
 * never overwritten:
 *   - below PUMP_LOG_HIGH_WATER unacknowledged records everything is stored;
 *   - at or above it, routine records (VOLUME checkpoints, REFUSED commands) are not stored
 *     (counted in n_lost), the channels raise PUMP_ALM_LOG_FULL (high) and refuse new programs,
 *     starts, titrations and boluses; safety records go on into the reserved slots;
 *   - when the ring is completely full a record cannot be stored: it is counted in n_lost and,
 *     as soon as a slot is free again, a PUMP_REC_LOST record (count, first and last time) is
 *     stored first. Sequence numbers stay dense: a lost record gets none.
 *
 * Contract notes: the log is caller-owned storage (static or in the host's pump struct), not
 * thread-safe (one control loop owns it).
 */
#ifndef PUMP_LOG_H
#define PUMP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pump/pump_config.h"
#include "pump/pump_status.h"

/* Record types; the meaning of the generic fields per type is in the table below and in
 * docs/pump.md ("Event records"). Appended only, never renumbered. */
typedef enum {
    PUMP_REC_STATE = 0, /* from -> to on event; v1 rate_nl_per_h after, v2 channel volume nl */
    PUMP_REC_PROGRAM,   /* DERS verdict of a program: code outcome, detail limit, extra mode,
                           v1 rate_nl_per_h, v2 vtbi_nl (0: none), v3 duration_ms (0: none),
                           text entry id ("" basic), event: which command judged it */
    PUMP_REC_OVERRIDE,  /* soft alert confirmed: code outcome, detail pump_override_reason,
                           extra limit, text the clinician's reason text */
    PUMP_REC_TITRATION, /* applied: v1 old rate_nl_per_h, v2 new rate_nl_per_h, code outcome */
    PUMP_REC_BOLUS,     /* started: extra pump_bolus_kind, v1 volume nl, v2 rate_nl_per_h */
    PUMP_REC_BOLUS_END, /* extra pump_bolus_kind, code 1 completed / 0 cancelled,
                           v1 delivered nl, v2 requested nl */
    PUMP_REC_PCA,       /* demand: code 1 granted / 0 denied, detail pump_pca_denial,
                           v1 dose nl, v2 counted in the 4 h window nl (before this dose),
                           v3 ms since the last granted dose (UINT64_MAX: none) */
    PUMP_REC_SECONDARY, /* code 1 started / 0 ended, v1 vtbi nl, v2 rate_nl_per_h,
                           v3 delivered nl (end) */
    PUMP_REC_ALARM,     /* code pump_alarm_id, detail pump_alarm_step, extra pump_priority,
                           v1 silenced until ms (SILENCED) */
    PUMP_REC_VOLUME,    /* checkpoint: v1 program nl, v2 channel nl, v3 total nl */
    PUMP_REC_LIBRARY,   /* activation: text "id@version" (cut at PUMP_LOG_TEXT_MAX),
                           v1 id length, v2 version length */
    PUMP_REC_REFUSED,   /* a command refused: event, from = state, code pump_status */
    PUMP_REC_FAULT,     /* entered FAULT: code pump_alarm_id (WATCHDOG/FAULT), v1 source line */
    PUMP_REC_POWER,     /* code 0 loss / 1 restore, extra 1 when delivery was interrupted */
    PUMP_REC_LOST,      /* v1 records not stored, v2 time of the first, v3 of the last */
    PUMP_REC_COUNT
} pump_rec_type;

/* One record, decoded. All fields are written for every record (unused ones are 0), so two
 * records compare equal field by field. */
struct pump_log_record {
    uint64_t seq;
    uint64_t time_ms;
    uint8_t type;    /* pump_rec_type */
    uint8_t channel; /* 0 .. PUMP_CHANNELS_MAX-1 */
    uint8_t event;   /* pump_event that caused it */
    uint8_t from;    /* pump_state before */
    uint8_t to;      /* pump_state after */
    uint8_t code;    /* per type */
    uint8_t detail;  /* per type */
    uint8_t extra;   /* per type */
    uint64_t v1;
    uint64_t v2;
    uint64_t v3;
    uint8_t text_len; /* 0 .. PUMP_LOG_TEXT_MAX */
    char text[PUMP_LOG_TEXT_MAX]; /* not NUL-terminated; bytes past text_len are 0 */
};

struct pump_log {
    struct pump_log_record ring[PUMP_LOG_CAPACITY];
    uint32_t head;     /* index of the oldest unacknowledged record */
    uint32_t count;    /* unacknowledged records */
    uint64_t next_seq; /* seq the next stored record gets */
    uint64_t n_lost;   /* records not stored since the last LOST record */
    uint64_t lost_first_ms;
    uint64_t lost_last_ms;
    uint64_t n_lost_total; /* since init, for diagnostics */
    bool seq_exhausted;    /* seq UINT64_MAX was given: next_seq stays there, nothing more is
                              stored (counted in n_lost), pump_log_is_high() is true */
};

/* Empty log whose next record gets next_seq (the host's persisted counter; 1 for a new pump).
 * Cannot fail; a NULL log is ignored. */
void pump_log_init(struct pump_log *log, uint64_t next_seq);

/*
 * pump_log_append - store a record (its seq field is assigned here and written back to *rec).
 * Routine types (VOLUME, REFUSED) are refused at or above the high-water mark.
 * Returns PUMP_OK, PUMP_ERR_FULL (not stored: counted in n_lost, reported by a LOST record
 * later), PUMP_ERR_INVAL (NULL, type or text_len out of range).
 */
pump_status pump_log_append(struct pump_log *log, struct pump_log_record *rec);

/* Unacknowledged records held. */
uint32_t pump_log_count(const struct pump_log *log);
/* Whether the log is at or above its high-water mark (channels then raise LOG_FULL); also true
 * once the sequence numbers are used up: the last seq ever given is UINT64_MAX (next_seq never
 * wraps; seq_exhausted), after it every record is counted as lost. */
bool pump_log_is_high(const struct pump_log *log);
/* Seq the next record will get: persist it with the records. (With seq_exhausted it stays
 * UINT64_MAX, the seq already given last: the pump's counter is used up.) */
uint64_t pump_log_next_seq(const struct pump_log *log);

/*
 * pump_log_peek - copy the i-th oldest unacknowledged record (0 = oldest) to *out.
 * Returns PUMP_OK, PUMP_ERR_NOT_FOUND (i >= count), PUMP_ERR_INVAL (NULL).
 */
pump_status pump_log_peek(const struct pump_log *log, uint32_t i, struct pump_log_record *out);

/*
 * pump_log_ack - free every record with seq <= upto_seq (acknowledged by the store/server).
 * Acknowledging an already freed seq is a no-op (acks may repeat).
 * Returns PUMP_OK, PUMP_ERR_INVAL (NULL, or upto_seq >= next_seq: a seq never issued;
 * with seq_exhausted every seq was issued).
 */
pump_status pump_log_ack(struct pump_log *log, uint64_t upto_seq);

/*
 * pump_log_encode - one record to its fixed PUMP_LOG_RECORD_BYTES little-endian form
 * (docs/pump.md, "Record encoding"), with a CRC-32 over the rest.
 * Returns PUMP_OK, PUMP_ERR_INVAL (NULL, a field out of range, cap too small).
 */
pump_status pump_log_encode(const struct pump_log_record *rec, uint8_t *out, size_t cap);

/*
 * pump_log_decode - the inverse: buf[0..len) must be exactly one encoded record.
 * Checks length, format version, CRC, every enum field's range, text_len, and that padding
 * and text bytes past text_len are zero, so decode(encode(r)) == r and encode(decode(b)) == b.
 * Returns PUMP_OK (out written), PUMP_ERR_INVAL (anything wrong; out untouched).
 */
pump_status pump_log_decode(const uint8_t *buf, size_t len, struct pump_log_record *out);

/* Static name of a record type ("state", "program", ...); "?" when corrupt. */
const char *pump_rec_type_str(pump_rec_type t);

#endif
