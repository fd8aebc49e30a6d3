/*
 * doc_msg.h - the HL7 text of auto-documentation, without a store or a loop: which messages a
 * pump event record causes (PCD-10 / PCD-01 for "doc", PCD-04 for "alarm:N"), built from the
 * record and the pump's last state snapshot (docs/pump-protocol.md). doc.c queues what this
 * builds; the unit tests check it directly. The mapping is documented in docs/infusiond.md,
 * "Auto-documentation and the outbox".
 *
 * Determinism: a message depends only on its inputs (record, snapshot, facility, now_ms), and its
 * MSH-10 only on (pump id, record seq, message slot, destination), so one record can never be
 * queued as two different messages: a second attempt meets STORE_DUPLICATE.
 */
#ifndef SRV_DOC_MSG_H
#define SRV_DOC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "hl7/pcd.h"

/* Builders never need more than 16 KiB (pcd.h). */
#define DOC_MSG_TEXT_MAX 16384U
/* MSH-10 is ST: our control ids stay within 60 characters (pump ids longer than
 * DOC_KEY_ID_MAX are replaced by "H" + 16 hex digits of their FNV-1a 64 hash). */
#define DOC_CONTROL_ID_MAX 61U
#define DOC_KEY_ID_MAX 32U
/* A record causes at most: COMP + START + PCD-01 ("doc"), or one PCD-04 per alarm destination. */
#define DOC_MSGS_PER_RECORD 3U

typedef enum {
    DOC_MSG_OK = 0,   /* *n_out messages built (0: the record documents nothing) */
    DOC_MSG_BAD,      /* the record or snapshot lacks what the message needs: nothing built */
    DOC_MSG_FULL      /* out has fewer than DOC_MSGS_PER_RECORD slots, or a builder overflowed */
} doc_msg_status;

struct doc_msg {
    char kind[16];                          /* store kind: "pcd10", "pcd01", "pcd04" */
    char control_id[DOC_CONTROL_ID_MAX];    /* MSH-10 */
    size_t len;
    char text[DOC_MSG_TEXT_MAX];            /* the message, segments ended by CR, no NUL */
};

struct doc_msg_in {
    const char *pump_id;    /* 1..64 characters (pump-protocol.md) */
    const json_t *state;    /* the pump's last state snapshot, NULL when none */
    const json_t *ev;       /* the event record (scenario-format.md "Events" + wall_ms) */
    const char *facility;   /* MSH-4, NULL or "" for none */
    int64_t now_ms;         /* MSH-7 (and OBR-7 of a PCD-04: when it was packaged) */
    unsigned alarm_dest;    /* 0: the "doc" messages; k >= 1: the PCD-04 for "alarm:k" */
    uint64_t alert_seq;     /* alarm records: seq of the record that raised the alarm, which
                               names the alert for its life (0: unknown, this record's seq) */
};

/*
 * doc_msg_for_record - the messages record in->ev causes for one destination, in the order they
 * must be sent. Records that document nothing (program, volume, pca, …) give DOC_MSG_OK with
 * *n_out = 0; so do alarm records for alarm_dest 0 and delivery records for alarm_dest >= 1.
 * Returns DOC_MSG_OK, DOC_MSG_BAD (missing seq / wall_ms / channel, channel > 98, …),
 * DOC_MSG_FULL (cap < DOC_MSGS_PER_RECORD).
 */
doc_msg_status doc_msg_for_record(const struct doc_msg_in *in, struct doc_msg *out, size_t cap,
                                  size_t *n_out);

/*
 * doc_msg_status_report - the periodic PCD-01 of one channel (0-based, as the pump protocol
 * numbers it) from the snapshot, observed at the snapshot's wall_ms, with MSH-10
 * "<key>.t<tick_s>.<channel>". Returns DOC_MSG_OK, DOC_MSG_BAD (no such channel in state).
 */
doc_msg_status doc_msg_status_report(const char *pump_id, const json_t *state, uint32_t channel,
                                     const char *facility, int64_t now_ms, int64_t tick_s,
                                     struct doc_msg *out);

/* ---- pieces (exported for the unit tests) ------------------------------------------------ */

/* Exact decimal millilitres of nl nanolitres (also mL/h of nL/h): 12600000 -> "12.6",
 * 0 -> "0", 1 -> "0.000001", -2500000 -> "-2.5". false when it does not fit in cap. */
bool doc_ml_text(int64_t nl, char *out, size_t cap);
/* Minutes of ms, to one decimal rounded half up: 285714 -> "4.8", 60000 -> "1". false when
 * ms < 0 or it does not fit. */
bool doc_min_text(int64_t ms, char *out, size_t cap);
/* The EUI-64 we give a pump: FNV-1a 64 of its id, 16 upper-case hex digits. */
void doc_eui64(const char *pump_id, char out[17]);
/* The pump's part of our control ids: the id itself when it is at most DOC_KEY_ID_MAX
 * characters of [A-Za-z0-9._-], else "H" + its 16-digit FNV-1a 64 hash. */
void doc_pump_key(const char *pump_id, char out[DOC_KEY_ID_MAX + 1U]);
/* The hl7_pcd_pump of channel (0-based) from the snapshot (NULL: only ids and time), observed
 * at obs_wall_ms. false when the channel or a time stamp cannot be represented. */
bool doc_pump_fill(const char *pump_id, const json_t *state, uint32_t channel,
                   int64_t obs_wall_ms, struct hl7_pcd_pump *out);

#endif
