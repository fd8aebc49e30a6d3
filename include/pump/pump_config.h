/*
 * pump_config.h - sizing constants of the channel, alarm and event-log parts of the safety core.
 *
 * One place for every fixed size (style.md 4.1), each with a compile-time check, so a change that
 * breaks an assumption elsewhere fails the build instead of the pump.
 */
#ifndef PUMP_CONFIG_H
#define PUMP_CONFIG_H

#include <stdint.h>

/* Records in the event-log ring (one ring per pump, shared by its channels). */
#define PUMP_LOG_CAPACITY 256U
/* Slots kept free for safety records once the ring is nearly full: above the high-water mark
 * (capacity - reserved) routine records (volume checkpoints, refused commands) are not stored,
 * the LOG_FULL alarm is raised and new programs are refused; state changes, alarms, PCA
 * decisions and faults still go into the reserved slots. */
#define PUMP_LOG_RESERVED 32U
#define PUMP_LOG_HIGH_WATER (PUMP_LOG_CAPACITY - PUMP_LOG_RESERVED)
/* Bytes of one encoded record (pump_log_encode): fixed, little-endian, CRC-32 at the end. */
#define PUMP_LOG_RECORD_BYTES 80U
/* Text carried by a record: entry id of a program, override reason text, library id. */
#define PUMP_LOG_TEXT_MAX 24U

/* Ids the channel copies out of borrowed programs (longer ids are refused, never truncated). */
#define PUMP_ID_MAX 64U
/* Optional free-text reason a clinician gives with an override. */
#define PUMP_REASON_TEXT_MAX 24U

/* Granted PCA doses remembered for the rolling four-hour window. A demand that would need a
 * 65th remembered dose inside the window is denied (never forgotten): with the library's
 * shortest lockout (5 min) at most 48 demand doses fit in four hours. */
#define PUMP_PCA_HISTORY_MAX 64U
#define PUMP_PCA_WINDOW_MS (4ULL * 60ULL * 60ULL * 1000ULL)

/* Accumulated-air window: buckets of one minute each. */
#define PUMP_AIR_BUCKETS 15U
#define PUMP_AIR_BUCKET_MS 60000ULL

/* An alarm is silenced for at most two minutes, then re-armed (IEC 60601-1-8 audio pause). */
#define PUMP_SILENCE_MAX_MS 120000U

/* Channels a pump may have (the channel number in a record is 0 .. PUMP_CHANNELS_MAX-1). */
#define PUMP_CHANNELS_MAX 4U

_Static_assert(PUMP_LOG_CAPACITY >= 64U, "log ring too small to be useful");
_Static_assert((PUMP_LOG_CAPACITY & (PUMP_LOG_CAPACITY - 1U)) == 0U,
               "log capacity must be a power of two (index masking)");
_Static_assert(PUMP_LOG_RESERVED >= 8U && PUMP_LOG_RESERVED < PUMP_LOG_CAPACITY / 2U,
               "reserved slots must leave room for routine records");
_Static_assert(PUMP_LOG_TEXT_MAX <= 255U, "text length is one byte in the encoding");
_Static_assert(PUMP_LOG_RECORD_BYTES == 56U + PUMP_LOG_TEXT_MAX,
               "record layout: 52 fixed bytes + text + CRC-32 (pump_log.c)");
_Static_assert(PUMP_ID_MAX >= PUMP_LOG_TEXT_MAX, "ids are at least as long as record text");
_Static_assert(PUMP_PCA_HISTORY_MAX >= 48U, "must hold every dose a 5 min lockout allows in 4 h");
_Static_assert(PUMP_AIR_BUCKETS >= 1U && PUMP_AIR_BUCKETS <= 60U, "air window buckets");
_Static_assert(PUMP_CHANNELS_MAX >= 1U && PUMP_CHANNELS_MAX <= 255U, "channel number is a byte");

#endif
