/*
 * hl7_dtm.c - DTM time stamps: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].
 *
 * Contract: see include/hl7/hl7.h.
 *
 * -0000 and +0000 name the same instant but are different statements: +0000 says the local time
 * is UTC, -0000 says only the UTC time is known (RFC 3339). The zone kind is kept so a formatter
 * writes back exactly what was read and a comparison can tell them apart.
 */
#include <string.h>

#include "hl7_internal.h"

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static unsigned two(const char *p)
{
    return (unsigned)(p[0] - '0') * 10U + (unsigned)(p[1] - '0');
}

static bool is_leap(unsigned y)
{
    return (y % 4U == 0U && y % 100U != 0U) || y % 400U == 0U;
}

static unsigned days_in_month(unsigned y, unsigned mo)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (mo == 2U && is_leap(y)) ? 29U : days[mo - 1U];
}

hl7_status hl7_dtm_parse(struct hl7_view v, struct hl7_dtm *out)
{
    struct hl7_dtm d;
    const char *p = v.ptr;
    size_t n_digits = 0;
    size_t i;
    size_t k;

    if (out == NULL || v.len < 4U || p == NULL) {
        return HL7_ERR_DTM;
    }
    while (n_digits < v.len && is_digit(p[n_digits])) {
        n_digits++;
    }
    if (n_digits < 4U || n_digits > 14U || n_digits % 2U != 0U) {
        return HL7_ERR_DTM;
    }
    memset(&d, 0, sizeof d);
    d.year = (uint16_t)(two(p) * 100U + two(p + 2));
    d.month = 1;
    d.day = 1;
    d.precision = (hl7_dtm_precision)(HL7_DTM_YEAR + (int)((n_digits - 4U) / 2U));
    if (n_digits >= 6U) {
        unsigned mo = two(p + 4);
        if (mo < 1U || mo > 12U) {
            return HL7_ERR_DTM;
        }
        d.month = (uint8_t)mo;
    }
    if (n_digits >= 8U) {
        unsigned dd = two(p + 6);
        if (dd < 1U || dd > days_in_month(d.year, d.month)) {
            return HL7_ERR_DTM;
        }
        d.day = (uint8_t)dd;
    }
    if (n_digits >= 10U) {
        unsigned h = two(p + 8);
        if (h > 23U) {
            return HL7_ERR_DTM;
        }
        d.hour = (uint8_t)h;
    }
    if (n_digits >= 12U) {
        unsigned mi = two(p + 10);
        if (mi > 59U) {
            return HL7_ERR_DTM;
        }
        d.minute = (uint8_t)mi;
    }
    if (n_digits >= 14U) {
        unsigned s = two(p + 12);
        if (s > 59U) {
            return HL7_ERR_DTM;
        }
        d.second = (uint8_t)s;
    }
    i = n_digits;
    if (i < v.len && p[i] == '.') {
        unsigned frac = 0;
        if (n_digits != 14U) {
            return HL7_ERR_DTM; /* a fraction only after seconds */
        }
        i++;
        for (k = 0; i < v.len && is_digit(p[i]); k++, i++) {
            if (k >= 4U) {
                return HL7_ERR_DTM;
            }
            frac = frac * 10U + (unsigned)(p[i] - '0');
        }
        if (k == 0U) {
            return HL7_ERR_DTM;
        }
        d.frac = (uint16_t)frac;
        d.frac_digits = (uint8_t)k;
        d.precision = HL7_DTM_FRACTION;
    }
    if (i < v.len) {
        unsigned hh;
        unsigned mm;
        if ((p[i] != '+' && p[i] != '-') || v.len - i != 5U) {
            return HL7_ERR_DTM;
        }
        for (k = 1; k <= 4U; k++) {
            if (!is_digit(p[i + k])) {
                return HL7_ERR_DTM;
            }
        }
        hh = two(p + i + 1U);
        mm = two(p + i + 3U);
        if (hh > 23U || mm > 59U) {
            return HL7_ERR_DTM;
        }
        if (p[i] == '-' && hh == 0U && mm == 0U) {
            d.tz = HL7_TZ_UTC_LOCAL_UNKNOWN;
            d.offset_min = 0;
        } else {
            int off = (int)(hh * 60U + mm);
            d.tz = HL7_TZ_OFFSET;
            d.offset_min = (int16_t)((p[i] == '-') ? -off : off);
        }
    }
    *out = d;
    return HL7_OK;
}

static bool dtm_valid(const struct hl7_dtm *d)
{
    unsigned mo = d->month;
    int off = d->offset_min;

    if (d->year > 9999U || mo < 1U || mo > 12U || d->day < 1U ||
        d->day > days_in_month(d->year, mo) || d->hour > 23U || d->minute > 59U ||
        d->second > 59U || d->precision < HL7_DTM_YEAR || d->precision > HL7_DTM_FRACTION) {
        return false;
    }
    if (d->precision == HL7_DTM_FRACTION &&
        (d->frac_digits < 1U || d->frac_digits > 4U ||
         d->frac >= (d->frac_digits == 1U   ? 10U
                     : d->frac_digits == 2U ? 100U
                     : d->frac_digits == 3U ? 1000U
                                            : 10000U))) {
        return false;
    }
    if (off < 0) {
        off = -off;
    }
    return (d->tz == HL7_TZ_NONE || d->tz == HL7_TZ_OFFSET || d->tz == HL7_TZ_UTC_LOCAL_UNKNOWN) &&
           off / 60 <= 23;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10U);
    p[1] = (char)('0' + v % 10U);
}

hl7_status hl7_dtm_format(const struct hl7_dtm *d, char *out, size_t cap, size_t *len)
{
    char t[32];
    size_t n;

    if (d == NULL || len == NULL || (out == NULL && cap > 0U)) {
        return HL7_ERR_INVAL;
    }
    if (!dtm_valid(d)) {
        return HL7_ERR_DTM;
    }
    put2(t, d->year / 100U);
    put2(t + 2, d->year % 100U);
    n = 4;
    if (d->precision >= HL7_DTM_MONTH) {
        put2(t + n, d->month);
        n += 2U;
    }
    if (d->precision >= HL7_DTM_DAY) {
        put2(t + n, d->day);
        n += 2U;
    }
    if (d->precision >= HL7_DTM_HOUR) {
        put2(t + n, d->hour);
        n += 2U;
    }
    if (d->precision >= HL7_DTM_MINUTE) {
        put2(t + n, d->minute);
        n += 2U;
    }
    if (d->precision >= HL7_DTM_SECOND) {
        put2(t + n, d->second);
        n += 2U;
    }
    if (d->precision == HL7_DTM_FRACTION) {
        unsigned f = d->frac;
        size_t k;
        t[n++] = '.';
        for (k = d->frac_digits; k > 0U; k--) {
            t[n + k - 1U] = (char)('0' + f % 10U);
            f /= 10U;
        }
        n += d->frac_digits;
    }
    if (d->tz != HL7_TZ_NONE) {
        int off = d->offset_min;
        t[n++] = (d->tz == HL7_TZ_UTC_LOCAL_UNKNOWN || off < 0) ? '-' : '+';
        if (off < 0) {
            off = -off;
        }
        if (d->tz == HL7_TZ_UTC_LOCAL_UNKNOWN) {
            off = 0;
        }
        put2(t + n, (unsigned)off / 60U);
        put2(t + n + 2U, (unsigned)off % 60U);
        n += 4U;
    }
    if (cap < n) {
        return HL7_ERR_FULL;
    }
    memcpy(out, t, n);
    *len = n;
    return HL7_OK;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    int64_t yoe;
    int64_t doy;
    int64_t doe;

    y -= (m <= 2U) ? 1 : 0;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (int64_t)(m > 2U ? m - 3U : m + 9U) + 2) / 5 + (int64_t)d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

hl7_status hl7_dtm_to_unix_ms(const struct hl7_dtm *d, int64_t *ms)
{
    int64_t days;
    int64_t t;
    int64_t frac_ms = 0;

    if (d == NULL || ms == NULL || !dtm_valid(d) || d->tz == HL7_TZ_NONE) {
        return HL7_ERR_DTM;
    }
    days = days_from_civil((int64_t)d->year, d->month, d->day);
    t = ((days * 24 + d->hour) * 60 + d->minute) * 60 + d->second;
    if (d->precision == HL7_DTM_FRACTION) {
        /* .S -> x100, .SS -> x10, .SSS -> x1, .SSSS -> /10 (truncated to the millisecond) */
        switch (d->frac_digits) {
        case 1:
            frac_ms = (int64_t)d->frac * 100;
            break;
        case 2:
            frac_ms = (int64_t)d->frac * 10;
            break;
        case 3:
            frac_ms = (int64_t)d->frac;
            break;
        default:
            frac_ms = (int64_t)d->frac / 10;
            break;
        }
    }
    *ms = (t - (int64_t)d->offset_min * 60) * 1000 + frac_ms;
    return HL7_OK;
}

hl7_status hl7_dtm_from_unix_ms(int64_t ms, int16_t offset_min, bool with_ms,
                                struct hl7_dtm *out)
{
    struct hl7_dtm d;
    int64_t local_ms;
    int64_t secs;
    int64_t msec;
    int64_t days;
    int64_t rem;
    int64_t z;
    int64_t era;
    int64_t doe;
    int64_t yoe;
    int64_t y;
    int64_t doy;
    int64_t mp;
    unsigned dd;
    unsigned mm;

    /* Years 0000..9999 only: -62167219200000 .. 253402300799999 ms (plus the offset). */
    if (out == NULL || offset_min < -1439 || offset_min > 1439 || ms < -62167219200000LL + 86400000LL ||
        ms > 253402300799999LL - 86400000LL) {
        return HL7_ERR_DTM;
    }
    local_ms = ms + (int64_t)offset_min * 60000;
    secs = local_ms / 1000;
    msec = local_ms % 1000;
    if (msec < 0) {
        msec += 1000;
        secs -= 1;
    }
    days = secs / 86400;
    rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    /* civil_from_days */
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    y += (mm <= 2U) ? 1 : 0;
    if (y < 0 || y > 9999) {
        return HL7_ERR_DTM;
    }
    memset(&d, 0, sizeof d);
    d.year = (uint16_t)y;
    d.month = (uint8_t)mm;
    d.day = (uint8_t)dd;
    d.hour = (uint8_t)(rem / 3600);
    d.minute = (uint8_t)((rem / 60) % 60);
    d.second = (uint8_t)(rem % 60);
    d.precision = HL7_DTM_SECOND;
    if (with_ms) {
        d.precision = HL7_DTM_FRACTION;
        d.frac = (uint16_t)msec;
        d.frac_digits = 3;
    }
    d.tz = HL7_TZ_OFFSET;
    d.offset_min = offset_min;
    *out = d;
    return HL7_OK;
}
