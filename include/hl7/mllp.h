/*
 * mllp.h - MLLP (minimal lower layer protocol) framing for HL7 v2 over TCP.
 *
 * Frame = VT (0x0B) + message + FS (0x1C) + CR (0x0D). No length, no checksum.
 *
 * The deframer is incremental and owns no memory: the caller gives it a buffer whose size is the
 * maximum frame size. Feed it whatever read() returned, in any chunking; it returns at most one
 * complete frame per call and says how many input bytes it consumed, so the caller loops until
 * the chunk is used up. Bytes outside frames (before a VT) are discarded and counted.
 *
 * It has no clock: pass now_ms (any monotonic milliseconds; 0 if unused) to hl7_mllp_feed and ask
 * hl7_mllp_idle_expired(d, now_ms, timeout_ms) from the caller's timer; hl7_mllp_abort_frame
 * drops a frame that never ends.
 */
#ifndef HL7_MLLP_H
#define HL7_MLLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hl7/hl7.h"

#define HL7_MLLP_VT '\x0b' /* start block */
#define HL7_MLLP_FS '\x1c' /* end block */
#define HL7_MLLP_CR '\r'   /* trailer, must follow FS */
/* Framing bytes added around a message: VT before, FS CR after. */
#define HL7_MLLP_OVERHEAD 3U

typedef enum {
    HL7_MLLP_NEED_MORE = 0, /* all given bytes consumed, no frame completed */
    HL7_MLLP_FRAME = 1      /* *frame is a complete message; more input may remain */
} hl7_mllp_event;

/* Deframer state (fields read-only for callers; counters are cumulative). */
struct hl7_mllp_deframer {
    char *buf;           /* caller storage: the frame being assembled */
    size_t cap;          /* = maximum frame size (message bytes between VT and FS) */
    size_t len;
    int state;           /* private */
    uint64_t last_byte_ms;      /* now_ms of the last feed that consumed bytes */
    uint64_t n_frames;          /* complete frames returned */
    uint64_t n_discarded;       /* bytes thrown away: before a VT, in dropped frames */
    uint64_t n_oversize;        /* frames dropped for exceeding cap */
    uint64_t n_missing_cr;      /* frames whose FS was not followed by CR (accepted anyway) */
    uint64_t n_aborted;         /* partial frames dropped: a new VT, or hl7_mllp_abort_frame */
};

/* Attach a buffer of cap bytes (the maximum frame size). Cannot fail; cap 0 drops every frame. */
void hl7_mllp_deframer_init(struct hl7_mllp_deframer *d, char *buf, size_t cap);

/*
 * hl7_mllp_feed - consume bytes from data[0..len).
 *
 * *consumed: how many bytes were used (always > 0 when len > 0). *event: HL7_MLLP_FRAME when a
 * frame completed (at its FS); *frame then views the message (valid until the next feed/abort).
 * Rules: bytes before a VT are discarded (n_discarded); a VT inside a frame starts a new frame and
 * drops the partial one (n_aborted); the CR after FS is expected and consumed — when another byte
 * follows FS instead, the frame has already been returned and n_missing_cr counts it; a frame
 * longer than cap is dropped up to its FS (n_oversize) and HL7_ERR_TOO_LARGE is returned once,
 * when the frame exceeds the cap (continue feeding after it).
 * Returns HL7_OK, HL7_ERR_TOO_LARGE, HL7_ERR_INVAL (NULL argument).
 */
hl7_status hl7_mllp_feed(struct hl7_mllp_deframer *d, const char *data, size_t len,
                         uint64_t now_ms, size_t *consumed, hl7_mllp_event *event,
                         struct hl7_view *frame);

/* True while a frame has started (VT seen) and has not ended. */
bool hl7_mllp_in_frame(const struct hl7_mllp_deframer *d);
/* True when a frame is in progress and no byte came for timeout_ms (now_ms - last_byte_ms). */
bool hl7_mllp_idle_expired(const struct hl7_mllp_deframer *d, uint64_t now_ms,
                           uint64_t timeout_ms);
/* Drop a partial frame (counted in n_aborted and n_discarded); back to waiting for VT. */
void hl7_mllp_abort_frame(struct hl7_mllp_deframer *d);

/*
 * hl7_mllp_frame - out = VT + msg + FS + CR.
 * Returns HL7_OK (*out_len = len + 3), HL7_ERR_FULL, HL7_ERR_INVAL, HL7_ERR_FRAMING (msg contains
 * a VT or FS byte, which would break the frame: escape it with \X0B\ / \X1C\).
 */
hl7_status hl7_mllp_frame(const char *msg, size_t len, char *out, size_t cap, size_t *out_len);

/* ---- messages in a file ------------------------------------------------------------------ */

/* Nothing but spaces, tabs and line ends in p[0..n). */
bool hl7_is_blank(const char *p, size_t n);
/* Whether data holds a VT byte: a file of MLLP frames rather than text. */
bool hl7_is_mllp_file(const char *data, size_t len);

/* One message found at byte offset `at`. st is HL7_ERR_TOO_LARGE (text NULL) for an MLLP frame
 * longer than the frame buffer, else HL7_OK; text may be blank (the caller decides). */
typedef void (*hl7_message_fn)(void *ctx, const char *text, size_t len, size_t at, hl7_status st);

/*
 * hl7_split_messages - every message of data[0..len), as infusionctl and ehrsim read files: MLLP
 * frames when the data holds a VT (bytes outside frames ignored; a last frame that never ended is
 * still reported; frame_buf of cap bytes assembles one frame), else text in which a blank line or
 * a line starting with "MSH" begins the next message. Returns the number of calls made.
 */
size_t hl7_split_messages(const char *data, size_t len, char *frame_buf, size_t cap,
                          hl7_message_fn fn, void *ctx);
/* The two halves, for a caller that decides the form itself. */
size_t hl7_split_mllp(const char *data, size_t len, char *frame_buf, size_t cap,
                      hl7_message_fn fn, void *ctx);
size_t hl7_split_text(const char *data, size_t len, hl7_message_fn fn, void *ctx);

#endif
