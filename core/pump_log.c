/*
 * pump_log.c - the event-log ring and the binary record format (contract: see pump_log.h).
 *
 * Encoding of one record (PUMP_LOG_RECORD_BYTES = 80, little-endian):
 *   0 version (1)   1 type   2 channel   3 event   4..11 seq   12..19 time_ms
 *   20 from  21 to  22 code  23 detail  24 extra  25 text_len  26..27 zero
 *   28..35 v1   36..43 v2   44..51 v3   52..75 text (zero past text_len)
 *   76..79 CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF) of bytes 0..75
 */
#include "pump/pump_log.h"

#include "pump/pump_alarm.h"
#include "pump/pump_channel.h"

#include "pump_internal.h"

#define LOG_FORMAT_VERSION 1U
#define OFF_TEXT 52U
#define OFF_CRC (OFF_TEXT + PUMP_LOG_TEXT_MAX)

_Static_assert(OFF_CRC + 4U == PUMP_LOG_RECORD_BYTES, "record layout");

void pump_log_init(struct pump_log *log, uint64_t next_seq)
{
    if (log == NULL) {
        return;
    }
    __builtin_memset(log, 0, sizeof *log);
    log->next_seq = next_seq;
}

uint32_t pump_log_count(const struct pump_log *log)
{
    return (log == NULL) ? 0U : log->count;
}

/* Whether at least n (>= 1) sequence numbers are left. The last one is UINT64_MAX; after it
 * seq_exhausted is set and next_seq stays there: it never wraps (a wrapped seq would not be
 * monotonic, and no ack could free anything again). */
static bool seqs_left(const struct pump_log *log, uint64_t n)
{
    return !log->seq_exhausted && (UINT64_MAX - log->next_seq >= n - 1U);
}

bool pump_log_is_high(const struct pump_log *log)
{
    return (log != NULL) &&
           ((log->count >= PUMP_LOG_HIGH_WATER) || log->seq_exhausted);
}

uint64_t pump_log_next_seq(const struct pump_log *log)
{
    return (log == NULL) ? 0U : log->next_seq;
}

static bool is_routine(uint8_t type)
{
    return (type == (uint8_t)PUMP_REC_VOLUME) || (type == (uint8_t)PUMP_REC_REFUSED);
}

static void store(struct pump_log *log, struct pump_log_record *rec)
{
    uint32_t slot = (log->head + log->count) & (PUMP_LOG_CAPACITY - 1U);
    rec->seq = log->next_seq;
    if (log->next_seq == UINT64_MAX) {
        log->seq_exhausted = true; /* the last seq: nothing more is stored (seqs_left) */
    } else {
        log->next_seq++;
    }
    log->ring[slot] = *rec;
    log->count++;
}

static void count_lost(struct pump_log *log, uint64_t time_ms)
{
    if (log->n_lost == 0U) {
        log->lost_first_ms = time_ms;
    }
    log->n_lost++;
    log->n_lost_total++;
    log->lost_last_ms = time_ms;
}

pump_status pump_log_append(struct pump_log *log, struct pump_log_record *rec)
{
    if ((log == NULL) || (rec == NULL) || (rec->type >= (uint8_t)PUMP_REC_COUNT) ||
        (rec->text_len > PUMP_LOG_TEXT_MAX)) {
        return PUMP_ERR_INVAL;
    }
    if (log->count > PUMP_LOG_CAPACITY) {
        return PUMP_ERR_INVAL; /* DEFENSIVE: corrupt log */
    }
    if (is_routine(rec->type) && pump_log_is_high(log)) {
        count_lost(log, rec->time_ms);
        return PUMP_ERR_FULL;
    }
    /* A LOST record goes first, so the reader sees the gap where it happened. It needs its own
     * slot plus one for this record. */
    if ((log->n_lost != 0U) && (log->count + 2U <= PUMP_LOG_CAPACITY) && seqs_left(log, 2U)) {
        struct pump_log_record lost;
        __builtin_memset(&lost, 0, sizeof lost);
        lost.type = (uint8_t)PUMP_REC_LOST;
        lost.channel = rec->channel;
        lost.event = (uint8_t)PUMP_EV_COUNT;
        lost.time_ms = rec->time_ms;
        lost.v1 = log->n_lost;
        lost.v2 = log->lost_first_ms;
        lost.v3 = log->lost_last_ms;
        store(log, &lost);
        log->n_lost = 0U;
    }
    if ((log->n_lost != 0U) || (log->count >= PUMP_LOG_CAPACITY) || !seqs_left(log, 1U)) {
        count_lost(log, rec->time_ms); /* never overwrite an unacknowledged record */
        return PUMP_ERR_FULL;
    }
    store(log, rec);
    return PUMP_OK;
}

pump_status pump_log_peek(const struct pump_log *log, uint32_t i, struct pump_log_record *out)
{
    if ((log == NULL) || (out == NULL)) {
        return PUMP_ERR_INVAL;
    }
    if ((i >= log->count) || (log->count > PUMP_LOG_CAPACITY)) {
        return PUMP_ERR_NOT_FOUND;
    }
    *out = log->ring[(log->head + i) & (PUMP_LOG_CAPACITY - 1U)];
    return PUMP_OK;
}

pump_status pump_log_ack(struct pump_log *log, uint64_t upto_seq)
{
    if ((log == NULL) || ((upto_seq >= log->next_seq) && !log->seq_exhausted)) {
        return PUMP_ERR_INVAL; /* a seq never issued (all were, up to UINT64_MAX, if exhausted) */
    }
    while ((log->count > 0U) && (log->ring[log->head].seq <= upto_seq)) {
        log->head = (log->head + 1U) & (PUMP_LOG_CAPACITY - 1U);
        log->count--;
    }
    return PUMP_OK;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFU;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (unsigned b = 0; b < 8U; b++) {
            uint32_t mask = 0U - (crc & 1U);
            crc = (crc >> 1U) ^ (0xEDB88320U & mask);
        }
    }
    return crc ^ 0xFFFFFFFFU;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8U; i++) {
        p[i] = (uint8_t)(v >> (8U * i));
    }
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0U;
    for (unsigned i = 0; i < 8U; i++) {
        v |= (uint64_t)p[i] << (8U * i);
    }
    return v;
}

/* Range of every enum-valued field, per type: a decoded record is one the core could write. */
static bool fields_valid(const struct pump_log_record *r)
{
    if ((r->type >= (uint8_t)PUMP_REC_COUNT) || (r->channel >= PUMP_CHANNELS_MAX) ||
        (r->event > (uint8_t)PUMP_EV_COUNT) || (r->from >= (uint8_t)PUMP_ST_COUNT) ||
        (r->to >= (uint8_t)PUMP_ST_COUNT) || (r->text_len > PUMP_LOG_TEXT_MAX)) {
        return false;
    }
    for (unsigned i = r->text_len; i < PUMP_LOG_TEXT_MAX; i++) {
        if (r->text[i] != '\0') {
            return false;
        }
    }
    switch ((pump_rec_type)r->type) {
    case PUMP_REC_PROGRAM:
        return (r->code < (uint8_t)PUMP_OUTCOME_COUNT) && (r->detail < (uint8_t)PUMP_LIM_COUNT) &&
               (r->extra < (uint8_t)PUMP_MODE_COUNT);
    case PUMP_REC_OVERRIDE:
        return (r->code < (uint8_t)PUMP_OUTCOME_COUNT) && (r->detail < (uint8_t)PUMP_OVR_COUNT) &&
               (r->extra < (uint8_t)PUMP_LIM_COUNT);
    case PUMP_REC_TITRATION:
        return r->code < (uint8_t)PUMP_OUTCOME_COUNT;
    case PUMP_REC_BOLUS:
        return r->extra < (uint8_t)PUMP_BOLUS_KIND_COUNT;
    case PUMP_REC_BOLUS_END:
        return (r->extra < (uint8_t)PUMP_BOLUS_KIND_COUNT) && (r->code <= 1U);
    case PUMP_REC_PCA:
        return (r->code <= 1U) && (r->detail < (uint8_t)PUMP_PCA_DENIAL_COUNT);
    case PUMP_REC_SECONDARY:
        return r->code <= 1U;
    case PUMP_REC_ALARM:
        return (r->code < (uint8_t)PUMP_ALM_COUNT) &&
               (r->detail < (uint8_t)PUMP_ALARM_STEP_COUNT) &&
               (r->extra < (uint8_t)PUMP_PRIO_COUNT);
    case PUMP_REC_FAULT:
        return r->code < (uint8_t)PUMP_ALM_COUNT;
    case PUMP_REC_POWER:
        return (r->code <= 1U) && (r->extra <= 1U);
    case PUMP_REC_STATE:
    case PUMP_REC_VOLUME:
    case PUMP_REC_LIBRARY:
    case PUMP_REC_REFUSED:
    case PUMP_REC_LOST:
        return true;
    case PUMP_REC_COUNT:
    default:
        return false;
    }
}

pump_status pump_log_encode(const struct pump_log_record *rec, uint8_t *out, size_t cap)
{
    uint32_t crc;
    if ((rec == NULL) || (out == NULL) || (cap < PUMP_LOG_RECORD_BYTES) || !fields_valid(rec)) {
        return PUMP_ERR_INVAL;
    }
    __builtin_memset(out, 0, PUMP_LOG_RECORD_BYTES);
    out[0] = (uint8_t)LOG_FORMAT_VERSION;
    out[1] = rec->type;
    out[2] = rec->channel;
    out[3] = rec->event;
    put_u64(out + 4, rec->seq);
    put_u64(out + 12, rec->time_ms);
    out[20] = rec->from;
    out[21] = rec->to;
    out[22] = rec->code;
    out[23] = rec->detail;
    out[24] = rec->extra;
    out[25] = rec->text_len;
    put_u64(out + 28, rec->v1);
    put_u64(out + 36, rec->v2);
    put_u64(out + 44, rec->v3);
    __builtin_memcpy(out + OFF_TEXT, rec->text, PUMP_LOG_TEXT_MAX);
    crc = crc32_ieee(out, OFF_CRC);
    for (unsigned i = 0; i < 4U; i++) {
        out[OFF_CRC + i] = (uint8_t)(crc >> (8U * i));
    }
    return PUMP_OK;
}

pump_status pump_log_decode(const uint8_t *buf, size_t len, struct pump_log_record *out)
{
    struct pump_log_record r;
    uint32_t crc = 0U;
    if ((buf == NULL) || (out == NULL) || (len != PUMP_LOG_RECORD_BYTES)) {
        return PUMP_ERR_INVAL;
    }
    for (unsigned i = 0; i < 4U; i++) {
        crc |= (uint32_t)buf[OFF_CRC + i] << (8U * i);
    }
    if ((crc != crc32_ieee(buf, OFF_CRC)) || (buf[0] != LOG_FORMAT_VERSION) || (buf[26] != 0U) ||
        (buf[27] != 0U)) {
        return PUMP_ERR_INVAL;
    }
    __builtin_memset(&r, 0, sizeof r);
    r.type = buf[1];
    r.channel = buf[2];
    r.event = buf[3];
    r.seq = get_u64(buf + 4);
    r.time_ms = get_u64(buf + 12);
    r.from = buf[20];
    r.to = buf[21];
    r.code = buf[22];
    r.detail = buf[23];
    r.extra = buf[24];
    r.text_len = buf[25];
    r.v1 = get_u64(buf + 28);
    r.v2 = get_u64(buf + 36);
    r.v3 = get_u64(buf + 44);
    __builtin_memcpy(r.text, buf + OFF_TEXT, PUMP_LOG_TEXT_MAX);
    if (!fields_valid(&r)) {
        return PUMP_ERR_INVAL;
    }
    *out = r;
    return PUMP_OK;
}
