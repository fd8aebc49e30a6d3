/*
 * pump_unit.c - unit strings of the drug library format (contract: see pump_unit.h).
 * Spelling is exact: "mcg" only (never "ug" or a micro sign), "mL" only.
 */
#include "pump/pump_unit.h"

#include "pump_internal.h"

static const char *const amount_names[PUMP_AMT_COUNT] = {
    "g", "mg", "mcg", "ng", "units", "milliunits", "mEq", "mmol", "mL",
};

static const uint8_t amount_families[PUMP_AMT_COUNT] = {
    PUMP_FAM_MASS,  PUMP_FAM_MASS,       PUMP_FAM_MASS, PUMP_FAM_MASS,   PUMP_FAM_UNITS,
    PUMP_FAM_UNITS, PUMP_FAM_MEQ,        PUMP_FAM_MMOL, PUMP_FAM_VOLUME,
};

/* Each amount in the smallest unit of its family (ng, milliunits; the others are alone), as a
 * power of ten: a factor is then a table look-up, not a 64-bit division on the DERS hot path. */
static const uint8_t amount_exp10[PUMP_AMT_COUNT] = {
    9U, 6U, 3U, 0U, 3U, 0U, 0U, 0U, 0U,
};
static const int64_t powers_of_ten[10] = {
    1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL, 100000000LL, 1000000000LL,
};

pump_family pump_amount_family(pump_amount a)
{
    if ((unsigned)a >= (unsigned)PUMP_AMT_COUNT) {
        return PUMP_FAM_COUNT;
    }
    return (pump_family)amount_families[a];
}

const char *pump_amount_str(pump_amount a)
{
    if ((unsigned)a >= (unsigned)PUMP_AMT_COUNT) {
        return "?";
    }
    return amount_names[a];
}

pump_status pump_amount_factor(pump_amount from, pump_amount to, struct pump_q *out)
{
    if ((out == NULL) || ((unsigned)from >= (unsigned)PUMP_AMT_COUNT) ||
        ((unsigned)to >= (unsigned)PUMP_AMT_COUNT) ||
        (amount_families[from] != amount_families[to])) {
        return PUMP_ERR_INVAL;
    }
    if (amount_exp10[from] >= amount_exp10[to]) {
        out->num = powers_of_ten[amount_exp10[from] - amount_exp10[to]];
        out->den = 1;
    } else {
        out->num = 1;
        out->den = powers_of_ten[amount_exp10[to] - amount_exp10[from]];
    }
    return PUMP_OK;
}

static size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n] != '\0') {
        n++;
    }
    return n;
}

/* Whether text[*pos..) starts with "/" + word ending the segment; advances past it. */
static int take_segment(const char *text, size_t len, size_t *pos, const char *word)
{
    size_t wl = cstr_len(word);
    size_t p = *pos;
    size_t end;
    if ((p >= len) || (text[p] != '/')) {
        return 0;
    }
    p++;
    end = p;
    while ((end < len) && (text[end] != '/')) {
        end++;
    }
    if (pump__bytes_equal(&text[p], end - p, word, wl) == 0) {
        return 0;
    }
    *pos = end;
    return 1;
}

static pump_status parse_amount(const char *text, size_t len, size_t *pos, pump_amount *out)
{
    size_t end = 0;
    unsigned a;
    while ((end < len) && (text[end] != '/')) {
        end++;
    }
    for (a = 0; a < (unsigned)PUMP_AMT_COUNT; a++) {
        if (pump__bytes_equal(text, end, amount_names[a], cstr_len(amount_names[a])) != 0) {
            *out = (pump_amount)a;
            *pos = end;
            return PUMP_OK;
        }
    }
    return PUMP_ERR_INVAL;
}

pump_status pump_unit_parse(const char *text, size_t len, struct pump_unit *out)
{
    struct pump_unit u = {0U, (uint8_t)PUMP_PER_NONE, (uint8_t)PUMP_TIME_NONE,
                          (uint8_t)PUMP_UNIT_AMOUNT};
    pump_amount amt = PUMP_AMT_G;
    size_t pos = 0;
    if ((text == NULL) || (out == NULL) || (parse_amount(text, len, &pos, &amt) != PUMP_OK)) {
        return PUMP_ERR_INVAL;
    }
    u.amount = (uint8_t)amt;
    if (take_segment(text, len, &pos, "mL") != 0) {
        /* A concentration: amount per mL, nothing after; mL per mL is no concentration. */
        if ((pos != len) || (amt == PUMP_AMT_ML)) {
            return PUMP_ERR_INVAL;
        }
        u.kind = (uint8_t)PUMP_UNIT_CONC;
        *out = u;
        return PUMP_OK;
    }
    if (take_segment(text, len, &pos, "kg") != 0) {
        u.body = (uint8_t)PUMP_PER_KG;
    } else if (take_segment(text, len, &pos, "m2") != 0) {
        u.body = (uint8_t)PUMP_PER_M2;
    } else {
        /* no per-body part */
    }
    if (take_segment(text, len, &pos, "min") != 0) {
        u.time = (uint8_t)PUMP_TIME_MIN;
        u.kind = (uint8_t)PUMP_UNIT_RATE;
    } else if (take_segment(text, len, &pos, "h") != 0) {
        u.time = (uint8_t)PUMP_TIME_H;
        u.kind = (uint8_t)PUMP_UNIT_RATE;
    } else {
        /* an amount */
    }
    if (pos != len) {
        return PUMP_ERR_INVAL;
    }
    *out = u;
    return PUMP_OK;
}

static int append(char *buf, size_t cap, size_t *pos, const char *s)
{
    size_t n = cstr_len(s);
    size_t k;
    if ((*pos + n + 1U) > cap) {
        return 0;
    }
    for (k = 0; k < n; k++) {
        buf[*pos + k] = s[k];
    }
    *pos += n;
    buf[*pos] = '\0';
    return 1;
}

static int unit_is_sane(struct pump_unit u)
{
    return (u.amount < (uint8_t)PUMP_AMT_COUNT) && (u.body <= (uint8_t)PUMP_PER_M2) &&
           (u.time <= (uint8_t)PUMP_TIME_H) && (u.kind <= (uint8_t)PUMP_UNIT_CONC);
}

pump_status pump_unit_format(struct pump_unit u, char *buf, size_t cap)
{
    static const char *const body_txt[3] = {"", "/kg", "/m2"};
    static const char *const time_txt[3] = {"", "/min", "/h"};
    size_t pos = 0;
    int ok;
    if ((buf == NULL) || (cap == 0U)) {
        return PUMP_ERR_INVAL;
    }
    buf[0] = '\0';
    if (unit_is_sane(u) == 0) {
        return PUMP_ERR_INVAL;
    }
    ok = append(buf, cap, &pos, amount_names[u.amount]);
    if (u.kind == (uint8_t)PUMP_UNIT_CONC) {
        ok = ok && append(buf, cap, &pos, "/mL");
    } else {
        ok = ok && append(buf, cap, &pos, body_txt[u.body]);
        ok = ok && append(buf, cap, &pos, time_txt[u.time]);
    }
    if (ok == 0) {
        buf[0] = '\0';
        return PUMP_ERR_FULL;
    }
    return PUMP_OK;
}

int pump_unit_equal(struct pump_unit a, struct pump_unit b)
{
    return (a.amount == b.amount) && (a.body == b.body) && (a.time == b.time) &&
           (a.kind == b.kind);
}
