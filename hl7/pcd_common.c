/*
 * pcd_common.c - what every PCD message shares: problems, value copies, units, MSH, PID, OBX,
 * and the MSH writer (contract: see hl7/pcd.h; helpers: pcd_internal.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pcd_internal.h"

/* ---- small strings --------------------------------------------------------------------------- */

bool pcd__scpy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    if (cap == 0U) {
        return false;
    }
    if (n >= cap) {
        dst[0] = '\0';
        return false;
    }
    memcpy(dst, src, n + 1U);
    return true;
}

bool pcd__streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

void pcd__cat(char *dst, size_t cap, const char *src)
{
    size_t used = 0;
    size_t n = strlen(src);

    while ((used < cap) && (dst[used] != '\0')) {
        used++;
    }
    if (used >= cap) {
        return;
    }
    if (n > cap - 1U - used) {
        n = cap - 1U - used;
    }
    memcpy(dst + used, src, n);
    dst[used + n] = '\0';
}

void pcd__u32_text(uint32_t v, char out[11])
{
    char tmp[11];
    size_t n = 0;
    size_t i;

    do {
        tmp[n++] = (char)('0' + (int)(v % 10U));
        v /= 10U;
    } while ((v != 0U) && (n < sizeof tmp));
    for (i = 0; i < n; i++) {
        out[i] = tmp[n - 1U - i];
    }
    out[n] = '\0';
}

/* ---- problems -------------------------------------------------------------------------------- */

const char *hl7_pcd_status_str(hl7_pcd_status st)
{
    switch (st) {
    case HL7_PCD_OK:
        return "ok";
    case HL7_PCD_INVALID:
        return "invalid";
    case HL7_PCD_UNUSABLE:
        return "unusable";
    case HL7_PCD_ERR_ARG:
        return "bad argument";
    case HL7_PCD_ERR_FULL:
        return "output buffer too small";
    default:
        return "?";
    }
}

void hl7_pcd_problems_init(struct hl7_pcd_problems *p)
{
    if (p != NULL) {
        memset(p, 0, sizeof *p);
    }
}

void pcd__problem(struct pcd__ctx *c, char sev, size_t i_seg, unsigned field, unsigned comp,
                  unsigned hl7_code, unsigned piv_code, const char *fmt, ...)
{
    struct hl7_pcd_problems *ps = c->probs;
    struct hl7_pcd_problem *p;
    struct hl7_view id;
    va_list ap;

    if (ps == NULL) {
        return;
    }
    if (sev == HL7_PCD_SEV_ERROR) {
        ps->n_errors++;
    } else {
        ps->n_warnings++;
    }
    if (ps->n >= HL7_PCD_MAX_PROBLEMS) {
        ps->n_dropped++;
        return;
    }
    p = &ps->items[ps->n++];
    memset(p, 0, sizeof *p);
    p->severity = sev;
    p->field = (uint16_t)field;
    p->component = (uint16_t)comp;
    p->hl7_code = (uint16_t)hl7_code;
    p->piv_code = (uint16_t)piv_code;
    if (i_seg != PCD__NO_SEG) {
        id = hl7_segment_id(c->m, i_seg);
        if (id.len == 3U) {
            memcpy(p->segment, id.ptr, 3U);
            p->segment[3] = '\0';
            p->seg_index = (uint32_t)(i_seg + 1U);
        }
    }
    va_start(ap, fmt);
    (void)vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
}

void hl7_pcd_problem_where(const struct hl7_pcd_problem *p, char *buf, size_t cap)
{
    if ((buf == NULL) || (cap == 0U)) {
        return;
    }
    char num[11];

    buf[0] = '\0';
    if ((p == NULL) || (p->segment[0] == '\0')) {
        pcd__cat(buf, cap, "message");
        return;
    }
    pcd__cat(buf, cap, p->segment);
    if (p->field != 0U) {
        pcd__u32_text(p->field, num);
        pcd__cat(buf, cap, "-");
        pcd__cat(buf, cap, num);
        if (p->component != 0U) {
            pcd__u32_text(p->component, num);
            pcd__cat(buf, cap, ".");
            pcd__cat(buf, cap, num);
        }
    }
}

static const char *const piv_texts[33] = {
    "Unknown infuser or channel",
    "Infuser/channel is currently infusing",
    "Missing required program parameter(s)",
    "Invalid program parameter(s)",
    "Parameter outside allowable range",
    "Infuser is powered off",
    "Infuser offline / unable to connect",
    "Invalid units for parameter",
    "Dose/rate units do not match drug library",
    "Unable to match medication to drug library",
    "Patient weight mismatch",
    "Patient ID mismatch",
    "Unable to program medication as piggyback",
    "Dose rate or VTBI exceeds maximum",
    "Request timed out",
    "Other error",
    "Infuser cannot accept program",
    "Parameter does not match drug library",
    "Patient weight missing",
    "Patient height missing",
    "Care area or profile mismatch",
    "Requested infusion program is stale",
    "Program rejected by user",
    "Drug library hard limit exceeded",
    "Lockout interval missing",
    "Dose limit missing",
    "Patient BSA missing",
    "Tubing/cassette/syringe not installed",
    "Care area or profile not selected",
    "Current medication cannot be interrupted",
    "Patient ID missing or invalid",
    "Pump is in delayed start",
    "Pump is alarming",
};

const char *hl7_pcd_piv_text(unsigned code)
{
    if ((code < 9001U) || (code > 9033U)) {
        return NULL;
    }
    return piv_texts[code - 9001U];
}

/* ---- reading ----------------------------------------------------------------------------------- */

struct hl7_view pcd__raw(const struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep,
                         size_t comp, size_t sub)
{
    struct hl7_view v = {NULL, 0};

    if (hl7_get(c->m, i_seg, f, rep, comp, sub, &v) != HL7_OK) {
        v.ptr = NULL;
        v.len = 0;
    }
    return v;
}

size_t pcd__reps(const struct pcd__ctx *c, size_t i_seg, size_t f)
{
    struct hl7_view v = hl7_field(c->m, i_seg, f);

    if (hl7_segment_is(c->m, i_seg, "MSH") && (f <= 2U)) {
        return (v.len > 0U) ? 1U : 0U;
    }
    return hl7_count(v, c->m->enc.repetition);
}

pcd__got pcd__copy(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, size_t comp,
                   size_t sub, char *buf, size_t cap)
{
    struct hl7_view v = pcd__raw(c, i_seg, f, rep, comp, sub);
    size_t n = 0;
    hl7_status st;

    buf[0] = '\0';
    if (v.len == 0U) {
        return PCD__ABSENT;
    }
    if (hl7_is_null(v)) {
        return PCD__NULLV;
    }
    st = hl7_unescape(&c->m->enc, v, HL7_UNESC_RENDER_FORMAT, buf, cap - 1U, &n, NULL);
    if (st == HL7_ERR_FULL) {
        buf[0] = '\0';
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, (unsigned)f, (unsigned)comp, 104U, 0U,
                     "value too long (this layer keeps at most %u bytes here)",
                     (unsigned)(cap - 1U));
        return PCD__BAD;
    }
    if (st != HL7_OK) {
        buf[0] = '\0';
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, (unsigned)f, (unsigned)comp, 102U, 0U,
                     "bad escape sequence in the value");
        return PCD__BAD;
    }
    buf[n] = '\0';
    /* A NUL inside data (\X00\ or a raw byte) would cut our C strings short: refuse it. */
    if (memchr(buf, '\0', n) != NULL) {
        buf[0] = '\0';
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, (unsigned)f, (unsigned)comp, 102U, 0U,
                     "value contains a NUL byte");
        return PCD__BAD;
    }
    return PCD__VALUE;
}

void pcd__cwe(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, struct hl7_pcd_cwe *out)
{
    memset(out, 0, sizeof *out);
    (void)pcd__copy(c, i_seg, f, rep, 1, 0, out->id, sizeof out->id);
    (void)pcd__copy(c, i_seg, f, rep, 2, 0, out->text, sizeof out->text);
    (void)pcd__copy(c, i_seg, f, rep, 3, 0, out->system, sizeof out->system);
    (void)pcd__copy(c, i_seg, f, rep, 4, 0, out->alt_id, sizeof out->alt_id);
    (void)pcd__copy(c, i_seg, f, rep, 5, 0, out->alt_text, sizeof out->alt_text);
    (void)pcd__copy(c, i_seg, f, rep, 6, 0, out->alt_system, sizeof out->alt_system);
    (void)pcd__copy(c, i_seg, f, rep, 9, 0, out->original_text, sizeof out->original_text);
}

void pcd__cwe_sub(struct pcd__ctx *c, size_t i_seg, size_t f, size_t rep, size_t comp,
                  struct hl7_pcd_cwe *out)
{
    memset(out, 0, sizeof *out);
    (void)pcd__copy(c, i_seg, f, rep, comp, 1, out->id, sizeof out->id);
    (void)pcd__copy(c, i_seg, f, rep, comp, 2, out->text, sizeof out->text);
    (void)pcd__copy(c, i_seg, f, rep, comp, 3, out->system, sizeof out->system);
}

bool pcd__is_nm(const char *s)
{
    size_t i = 0;
    size_t digits = 0;

    if ((s[0] == '+') || (s[0] == '-')) {
        i = 1;
    }
    while ((s[i] >= '0') && (s[i] <= '9')) {
        i++;
        digits++;
    }
    if (s[i] == '.') {
        i++;
        while ((s[i] >= '0') && (s[i] <= '9')) {
            i++;
            digits++;
        }
    }
    return (digits > 0U) && (s[i] == '\0');
}

bool hl7_pcd_is_nm(const char *s)
{
    return (s != NULL) && pcd__is_nm(s);
}

bool pcd__parse_u32(const char *s, uint32_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s[0] == '\0') {
        return false;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if ((s[i] < '0') || (s[i] > '9') || (i >= 10U)) {
            return false;
        }
        v = v * 10U + (uint64_t)(unsigned char)(s[i] - '0');
    }
    if (v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

void pcd__check_dtm(struct pcd__ctx *c, size_t i_seg, unsigned field, const char *text,
                    bool need_offset)
{
    struct hl7_view v;
    struct hl7_dtm d;

    if (text[0] == '\0') {
        return;
    }
    v.ptr = text;
    v.len = strlen(text);
    if (hl7_dtm_parse(v, &d) != HL7_OK) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, field, 0, 102U, 0U,
                     "'%s' is not a valid time stamp (YYYY[MM[DD[HH[MM[SS[.S]]]]]]+/-ZZZZ)",
                     text);
        return;
    }
    if (need_offset && (d.tz == HL7_TZ_NONE)) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, field, 0, 102U, 0U,
                     "time stamp '%s' has no UTC offset (IHE PCD requires +/-ZZZZ)", text);
    }
}

/* ---- units ------------------------------------------------------------------------------------- */

/* Amount units: UCUM spelling, the drug library's amount (-1: none), other spellings. */
struct amount_unit {
    const char *ucum;
    int pump_amount; /* pump_amount, or -1 */
    const char *alt1;
    const char *alt2;
};

static const struct amount_unit amounts[] = {
    {"g", (int)PUMP_AMT_G, NULL, NULL},
    {"mg", (int)PUMP_AMT_MG, NULL, NULL},
    {"ug", (int)PUMP_AMT_MCG, "mcg", NULL},
    {"ng", (int)PUMP_AMT_NG, NULL, NULL},
    {"[iU]", (int)PUMP_AMT_UNITS, "units", "U"},
    {"m[iU]", (int)PUMP_AMT_MILLIUNITS, "milliunits", "mU"},
    {"meq", (int)PUMP_AMT_MEQ, "mEq", NULL},
    {"mmol", (int)PUMP_AMT_MMOL, NULL, NULL},
    {"mL", (int)PUMP_AMT_ML, "ml", NULL},
    {"L", -1, "l", NULL},
};

static int amount_index(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        const char *names[3] = {amounts[i].ucum, amounts[i].alt1, amounts[i].alt2};
        size_t k;
        for (k = 0; k < 3U; k++) {
            if ((names[k] != NULL) && (strlen(names[k]) == len) &&
                (memcmp(names[k], s, len) == 0)) {
                return (int)i;
            }
        }
    }
    return -1;
}

static bool tok_is(const char *s, size_t len, const char *t)
{
    return (strlen(t) == len) && (memcmp(s, t, len) == 0);
}

/* amount [/kg|/m2] [/h|/min] or amount/mL, in any accepted spelling. */
static bool parse_dose_unit(const char *s, int *amount, int *body, int *time, bool *per_ml)
{
    const char *tok[4];
    size_t tlen[4];
    size_t n = 0;
    size_t i = 0;
    size_t start = 0;
    size_t k = 1;

    for (;;) {
        if ((s[i] == '/') || (s[i] == '\0')) {
            if (n >= 4U) {
                return false;
            }
            tok[n] = s + start;
            tlen[n] = i - start;
            n++;
            if (s[i] == '\0') {
                break;
            }
            start = i + 1U;
        }
        i++;
    }
    *amount = amount_index(tok[0], tlen[0]);
    *body = 0;
    *time = 0;
    *per_ml = false;
    if (*amount < 0) {
        return false;
    }
    if ((k < n) && (tok_is(tok[k], tlen[k], "kg") || tok_is(tok[k], tlen[k], "m2"))) {
        *body = tok_is(tok[k], tlen[k], "kg") ? 1 : 2;
        k++;
    }
    if (k < n) {
        if (tok_is(tok[k], tlen[k], "h") || tok_is(tok[k], tlen[k], "hr")) {
            *time = 1;
            k++;
        } else if (tok_is(tok[k], tlen[k], "min")) {
            *time = 2;
            k++;
        } else if ((*body == 0) && (tok_is(tok[k], tlen[k], "mL") ||
                                    tok_is(tok[k], tlen[k], "ml"))) {
            *per_ml = true;
            k++;
        } else {
            return false;
        }
    }
    return k == n;
}

bool pcd__unit_from_ucum(const char *s, struct hl7_pcd_unit *out)
{
    const struct hl7_mdc_term *t = hl7_mdc_unit_by_ucum(s, strlen(s));
    char canon[HL7_PCD_UNIT_MAX];
    int amount = 0;
    int body = 0;
    int time = 0;
    bool per_ml = false;
    static const char *const bodies[3] = {"", "/kg", "/m2"};
    static const char *const times[3] = {"", "/h", "/min"};
    static const uint8_t pump_bodies[3] = {PUMP_PER_NONE, PUMP_PER_KG, PUMP_PER_M2};
    static const uint8_t pump_times[3] = {PUMP_TIME_NONE, PUMP_TIME_H, PUMP_TIME_MIN};

    out->has_pump_unit = false;
    if (parse_dose_unit(s, &amount, &body, &time, &per_ml)) {
        const struct amount_unit *a = &amounts[amount];
        canon[0] = '\0';
        pcd__cat(canon, sizeof canon, a->ucum);
        pcd__cat(canon, sizeof canon, bodies[body]);
        pcd__cat(canon, sizeof canon, times[time]);
        pcd__cat(canon, sizeof canon, per_ml ? "/mL" : "");
        /* The drug library's form of the same unit (pump_unit.h); only core types are used
         * here, so the hl7 library does not link the core. mL/mL is no concentration. */
        if ((a->pump_amount >= 0) && !(per_ml && (a->pump_amount == (int)PUMP_AMT_ML))) {
            out->has_pump_unit = true;
            out->pump_unit.amount = (uint8_t)a->pump_amount;
            out->pump_unit.body = pump_bodies[body];
            out->pump_unit.time = pump_times[time];
            out->pump_unit.kind = (uint8_t)((time != 0) ? PUMP_UNIT_RATE
                                                        : (per_ml ? PUMP_UNIT_CONC
                                                                  : PUMP_UNIT_AMOUNT));
        }
        (void)pcd__scpy(out->ucum, sizeof out->ucum, canon);
        out->known = true;
        return true;
    }
    if (t != NULL) {
        (void)pcd__scpy(out->ucum, sizeof out->ucum, t->ucum);
        out->known = true;
        return true;
    }
    return false;
}

hl7_pcd_rate_kind pcd__rate_kind(const struct hl7_pcd_unit *u)
{
    int amount = 0;
    int body = 0;
    int time = 0;
    bool per_ml = false;

    if (!u->known || !parse_dose_unit(u->ucum, &amount, &body, &time, &per_ml) || per_ml) {
        return HL7_PCD_RATE_UNKNOWN;
    }
    if (time == 0) {
        return HL7_PCD_RATE_DOSE;
    }
    if ((body == 0) && ((pcd__streq(amounts[amount].ucum, "mL")) ||
                        (pcd__streq(amounts[amount].ucum, "L")))) {
        return HL7_PCD_RATE_VOLUME;
    }
    return HL7_PCD_RATE_DOSE_RATE;
}

/* One triplet of a unit CWE: returns true when it named a unit (kind set into *out). */
static bool unit_triplet(const char *id, const char *text, const char *system,
                         struct hl7_pcd_unit *out, bool *is_mdc, uint32_t *mdc_code)
{
    *is_mdc = false;
    if (pcd__streq(system, "MDC")) {
        uint32_t code = 0;
        const struct hl7_mdc_term *t = NULL;
        *is_mdc = true;
        if (pcd__parse_u32(id, &code) && (code != 0U)) {
            *mdc_code = code;
            t = hl7_mdc_by_code(code);
        }
        if ((t == NULL) && (text[0] != '\0')) {
            t = hl7_mdc_by_refid(text, strlen(text));
        }
        if ((t != NULL) && (t->partition == (uint8_t)HL7_MDC_PART_DIM)) {
            return pcd__unit_from_ucum(t->ucum, out);
        }
        return false;
    }
    /* UCUM, or no system: the code first, then the text (the TF's saline example sends
     * 3122^mL/h^UCUM: the partition-local MDC number where the UCUM code belongs). */
    if ((id[0] != '\0') && pcd__unit_from_ucum(id, out)) {
        return true;
    }
    return (text[0] != '\0') && pcd__unit_from_ucum(text, out);
}

void pcd__unit_from_cwe(struct pcd__ctx *c, size_t i_seg, unsigned field,
                        const struct hl7_pcd_cwe *cwe, struct hl7_pcd_unit *out)
{
    struct hl7_pcd_unit a;
    struct hl7_pcd_unit b;
    bool a_ok;
    bool b_ok;
    bool a_mdc = false;
    bool b_mdc = false;
    uint32_t code = 0;

    memset(out, 0, sizeof *out);
    out->present = (cwe->id[0] != '\0') || (cwe->text[0] != '\0') || (cwe->alt_id[0] != '\0');
    if (!out->present) {
        return;
    }
    (void)pcd__scpy(out->raw, sizeof out->raw, (cwe->id[0] != '\0') ? cwe->id : cwe->text);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a_ok = unit_triplet(cwe->id, cwe->text, cwe->system, &a, &a_mdc, &code);
    b_ok = (cwe->alt_id[0] != '\0' || cwe->alt_text[0] != '\0') &&
           unit_triplet(cwe->alt_id, cwe->alt_text, cwe->alt_system, &b, &b_mdc, &code);
    out->mdc_code = code;
    if (a_ok && b_ok && !pcd__streq(a.ucum, b.ucum)) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, i_seg, field, 0, 103U, 9008U,
                     "the two codes of the unit disagree ('%s' and '%s')", a.ucum, b.ucum);
        return;
    }
    if (a_ok || b_ok) {
        const struct hl7_pcd_unit *r = a_ok ? &a : &b;
        out->known = true;
        memcpy(out->ucum, r->ucum, sizeof out->ucum);
        out->has_pump_unit = r->has_pump_unit;
        out->pump_unit = r->pump_unit;
    }
}

/* ---- MSH, PID, PV1, persons ------------------------------------------------------------------- */

static void hd_copy(struct pcd__ctx *c, size_t f, struct hl7_pcd_hd *hd)
{
    (void)pcd__copy(c, 0, f, 1, 1, 0, hd->ns, sizeof hd->ns);
    (void)pcd__copy(c, 0, f, 1, 2, 0, hd->uid, sizeof hd->uid);
    (void)pcd__copy(c, 0, f, 1, 3, 0, hd->uid_type, sizeof hd->uid_type);
}

bool pcd__decode_begin(struct pcd__ctx *c, const struct hl7_msg *m,
                       struct hl7_pcd_problems *probs)
{
    c->m = m;
    c->probs = probs;
    c->errors_before = probs->n_errors;
    return (hl7_segment_count(m) > 0U) && hl7_segment_is(m, 0, "MSH");
}

hl7_pcd_status pcd__decode_status(const struct pcd__ctx *c)
{
    return (c->probs->n_errors > c->errors_before) ? HL7_PCD_INVALID : HL7_PCD_OK;
}

bool pcd__msh9_is(const struct pcd__ctx *c, const char *type, const char *event)
{
    return hl7_view_eq(pcd__raw(c, 0, 9, 1, 1, 0), type) &&
           hl7_view_eq(pcd__raw(c, 0, 9, 1, 2, 0), event);
}

static void trim_copy(char *s)
{
    size_t n = strlen(s);
    size_t i = 0;

    while ((s[i] == ' ') && (i < n)) {
        i++;
    }
    while ((n > i) && (s[n - 1U] == ' ')) {
        n--;
    }
    memmove(s, s + i, n - i);
    s[n - i] = '\0';
}

void pcd__msh(struct pcd__ctx *c, struct hl7_pcd_msh *out)
{
    memset(out, 0, sizeof *out);
    hd_copy(c, 3, &out->sending_app);
    (void)pcd__copy(c, 0, 4, 1, 1, 0, out->sending_facility, sizeof out->sending_facility);
    hd_copy(c, 5, &out->receiving_app);
    (void)pcd__copy(c, 0, 6, 1, 1, 0, out->receiving_facility, sizeof out->receiving_facility);
    (void)pcd__copy(c, 0, 7, 1, 1, 0, out->time, sizeof out->time);
    (void)pcd__copy(c, 0, 9, 1, 1, 0, out->type, sizeof out->type);
    (void)pcd__copy(c, 0, 9, 1, 2, 0, out->event, sizeof out->event);
    (void)pcd__copy(c, 0, 9, 1, 3, 0, out->structure, sizeof out->structure);
    (void)pcd__copy(c, 0, 10, 1, 0, 0, out->control_id, sizeof out->control_id);
    (void)pcd__copy(c, 0, 11, 1, 1, 0, out->processing_id, sizeof out->processing_id);
    (void)pcd__copy(c, 0, 12, 1, 1, 0, out->version, sizeof out->version);
    (void)pcd__copy(c, 0, 15, 1, 0, 0, out->accept_ack, sizeof out->accept_ack);
    (void)pcd__copy(c, 0, 16, 1, 0, 0, out->app_ack, sizeof out->app_ack);
    (void)pcd__copy(c, 0, 18, 1, 0, 0, out->charset, sizeof out->charset);
    (void)pcd__copy(c, 0, 21, 1, 1, 0, out->profile_name, sizeof out->profile_name);
    (void)pcd__copy(c, 0, 21, 1, 3, 0, out->profile_oid, sizeof out->profile_oid);
    /* The IPEC sample carries " 1.3.6..." (leading space): compare what was meant. */
    trim_copy(out->profile_oid);

    if (out->control_id[0] == '\0') {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 10, 0, 101U, 0U,
                     "MSH-10 is empty (required: the message control id)");
    }
    if (out->time[0] == '\0') {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 7, 0, 101U, 0U,
                     "MSH-7 is empty (required: when the message was created)");
    } else {
        pcd__check_dtm(c, 0, 7, out->time, true);
    }
    if (out->processing_id[0] == '\0') {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 11, 0, 101U, 0U,
                     "MSH-11 is empty (required: P, D or T)");
    } else if (!pcd__streq(out->processing_id, "P") && !pcd__streq(out->processing_id, "D") &&
               !pcd__streq(out->processing_id, "T")) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 11, 0, 202U, 0U,
                     "MSH-11 is '%s' (expected P, D or T)", out->processing_id);
    }
    if (out->version[0] == '\0') {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 12, 0, 101U, 0U,
                     "MSH-12 is empty (required: the HL7 version, 2.6 for IHE PCD)");
    } else if (!pcd__streq(out->version, "2.6")) {
        if (out->version[0] != '2') {
            pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 12, 0, 203U, 0U,
                         "MSH-12 is '%s': not an HL7 v2 version", out->version);
        } else {
            pcd__problem(c, HL7_PCD_SEV_WARNING, 0, 12, 0, 203U, 0U,
                         "MSH-12 is '%s' (IHE PCD is based on 2.6; accepted)", out->version);
        }
    }
}

void pcd__msh_expect(struct pcd__ctx *c, const struct hl7_pcd_msh *msh, const char *accept_ack,
                     const char *app_ack, const char *oid)
{
    if ((accept_ack != NULL) && !pcd__streq(msh->accept_ack, accept_ack)) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 15, 0, 103U, 0U,
                     "MSH-15 is '%s' (required: %s)", msh->accept_ack, accept_ack);
    }
    if ((app_ack != NULL) && !pcd__streq(msh->app_ack, app_ack)) {
        pcd__problem(c, HL7_PCD_SEV_ERROR, 0, 16, 0, 103U, 0U,
                     "MSH-16 is '%s' (required: %s)", msh->app_ack, app_ack);
    }
    if (oid == NULL) {
        return;
    }
    /* The message is identified by MSH-9; MSH-21 is informative (standards.md §2.7), so a
     * missing or different OID is a warning, never a reason to reject. */
    if (msh->profile_oid[0] == '\0') {
        pcd__problem(c, HL7_PCD_SEV_WARNING, 0, 21, 3, 101U, 0U,
                     "MSH-21.3 is empty (expected the profile OID %s)", oid);
    } else if (!pcd__streq(msh->profile_oid, oid)) {
        pcd__problem(c, HL7_PCD_SEV_WARNING, 0, 21, 3, 103U, 0U,
                     "MSH-21.3 is '%s' (the profile OID of this message is %s)",
                     msh->profile_oid, oid);
    }
}

void pcd__person(struct pcd__ctx *c, size_t i_seg, size_t f, struct hl7_pcd_person *out)
{
    memset(out, 0, sizeof *out);
    (void)pcd__copy(c, i_seg, f, 1, 1, 0, out->id, sizeof out->id);
    (void)pcd__copy(c, i_seg, f, 1, 2, 1, out->family, sizeof out->family);
    (void)pcd__copy(c, i_seg, f, 1, 3, 0, out->given, sizeof out->given);
}

void pcd__pid(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_patient *p)
{
    char flag[4];

    p->present = true;
    (void)pcd__copy(c, i_seg, 3, 1, 1, 0, p->id, sizeof p->id);
    (void)pcd__copy(c, i_seg, 3, 1, 4, 1, p->id_authority, sizeof p->id_authority);
    (void)pcd__copy(c, i_seg, 3, 1, 5, 0, p->id_type, sizeof p->id_type);
    (void)pcd__copy(c, i_seg, 5, 1, 1, 1, p->family, sizeof p->family);
    (void)pcd__copy(c, i_seg, 5, 1, 2, 0, p->given, sizeof p->given);
    (void)pcd__copy(c, i_seg, 7, 1, 1, 0, p->birth, sizeof p->birth);
    (void)pcd__copy(c, i_seg, 8, 1, 1, 0, p->sex, sizeof p->sex);
    (void)pcd__copy(c, i_seg, 31, 1, 1, 0, flag, sizeof flag);
    p->identity_unknown = pcd__streq(flag, "Y");
    if (p->birth[0] != '\0') {
        pcd__check_dtm(c, i_seg, 7, p->birth, false);
    }
}

void pcd__pv1(struct pcd__ctx *c, size_t i_seg, struct hl7_pcd_patient *p)
{
    char part[3][HL7_PCD_TEXT_MAX];
    size_t k;

    for (k = 0; k < 3U; k++) {
        (void)pcd__copy(c, i_seg, 3, 1, k + 1U, 0, part[k], sizeof part[k]);
    }
    if ((part[0][0] == '\0') && (part[1][0] == '\0') && (part[2][0] == '\0')) {
        p->location[0] = '\0';
        return;
    }
    p->location[0] = '\0';
    pcd__cat(p->location, sizeof p->location, part[0]);
    pcd__cat(p->location, sizeof p->location, "^");
    pcd__cat(p->location, sizeof p->location, part[1]);
    pcd__cat(p->location, sizeof p->location, "^");
    pcd__cat(p->location, sizeof p->location, part[2]);
}

/* ---- OBX ----------------------------------------------------------------------------------------- */

bool pcd__parse_path(const char *s, uint32_t *level, size_t *n_levels)
{
    size_t n = 0;
    size_t i = 0;

    for (;;) {
        uint64_t v = 0;
        size_t digits = 0;
        while ((s[i] >= '0') && (s[i] <= '9')) {
            v = v * 10U + (uint64_t)(unsigned char)(s[i] - '0');
            if (v > UINT32_MAX) {
                return false;
            }
            i++;
            digits++;
        }
        if ((digits == 0U) || (n >= HL7_PCD_MAX_LEVELS)) {
            return false;
        }
        level[n++] = (uint32_t)v;
        if (s[i] == '\0') {
            break;
        }
        if (s[i] != '.') {
            return false;
        }
        i++;
    }
    *n_levels = n;
    return true;
}

int pcd__path_cmp(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    size_t i;
    size_t n = (na < nb) ? na : nb;

    for (i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return (a[i] < b[i]) ? -1 : 1;
        }
    }
    if (na == nb) {
        return 0;
    }
    return (na < nb) ? -1 : 1;
}

const struct hl7_mdc_term *pcd__term(uint32_t code, const char *refid)
{
    const struct hl7_mdc_term *t = NULL;

    if (code != 0U) {
        t = hl7_mdc_by_code(code);
    }
    if ((t == NULL) && (refid[0] != '\0')) {
        t = hl7_mdc_by_refid(refid, strlen(refid));
        /* A code that contradicts a known RefID is not this term. */
        if ((t != NULL) && (code != 0U) && (t->code != 0U) && (t->code != code)) {
            t = NULL;
        }
    }
    return t;
}

const struct hl7_mdc_term *pcd__coded_term(struct pcd__ctx *c, size_t i_seg, size_t f,
                                           uint32_t *code, char *refid, size_t refid_cap)
{
    char code_text[HL7_PCD_ID_MAX];

    (void)pcd__copy(c, i_seg, f, 1, 1, 0, code_text, sizeof code_text);
    (void)pcd__copy(c, i_seg, f, 1, 2, 0, refid, refid_cap);
    if (!pcd__parse_u32(code_text, code)) {
        *code = 0;
    }
    return pcd__term(*code, refid);
}

void pcd__obx(struct pcd__ctx *c, size_t i_seg, uint32_t obr, struct hl7_pcd_obs *o)
{
    char code[HL7_PCD_ID_MAX];
    struct hl7_pcd_cwe units;
    const struct hl7_mdc_term *t;
    size_t n_flags;
    size_t r;

    memset(o, 0, sizeof *o);
    o->obr = obr;
    (void)pcd__copy(c, i_seg, 4, 1, 0, 0, o->path, sizeof o->path);
    if (!pcd__parse_path(o->path, o->level, &o->n_levels)) {
        o->n_levels = 0;
    }
    (void)pcd__copy(c, i_seg, 2, 1, 1, 0, o->value_type, sizeof o->value_type);
    (void)pcd__copy(c, i_seg, 3, 1, 1, 0, code, sizeof code);
    if (!pcd__parse_u32(code, &o->code)) {
        o->code = 0;
    }
    (void)pcd__copy(c, i_seg, 3, 1, 2, 0, o->refid, sizeof o->refid);
    t = pcd__term(o->code, o->refid);
    o->mdc = (t != NULL) ? hl7_mdc_id_of(t) : HL7_MDC_COUNT;
    (void)pcd__copy(c, i_seg, 5, 1, 1, 0, o->value, sizeof o->value);
    (void)pcd__copy(c, i_seg, 5, 1, 2, 0, o->value2, sizeof o->value2);
    pcd__cwe(c, i_seg, 6, 1, &units);
    pcd__unit_from_cwe(c, i_seg, 6, &units, &o->unit);
    n_flags = pcd__reps(c, i_seg, 8);
    for (r = 1; r <= n_flags; r++) {
        char flag[HL7_PCD_CODE_MAX];
        size_t used = strlen(o->flags);
        (void)pcd__copy(c, i_seg, 8, r, 1, 0, flag, sizeof flag);
        if (used + strlen(flag) + 2U < sizeof o->flags) {
            if (used > 0U) {
                o->flags[used++] = '~';
            }
            memcpy(o->flags + used, flag, strlen(flag) + 1U);
        }
    }
    (void)pcd__copy(c, i_seg, 14, 1, 1, 0, o->time, sizeof o->time);
    (void)pcd__copy(c, i_seg, 16, 1, 1, 0, o->observer, sizeof o->observer);
    (void)pcd__copy(c, i_seg, 17, 1, 1, 0, o->method, sizeof o->method);
    (void)pcd__copy(c, i_seg, 18, 1, 1, 0, o->equipment, sizeof o->equipment);
    (void)pcd__copy(c, i_seg, 18, 1, 4, 0, o->equipment_type, sizeof o->equipment_type);
    if (o->equipment[0] == '\0') {
        /* Legacy form ^^ID^DOMAIN: the id sits in EI-3. */
        (void)pcd__copy(c, i_seg, 18, 1, 3, 0, o->equipment, sizeof o->equipment);
    }
    o->is_device = (o->value[0] == '\0') && (o->value2[0] == '\0') && (o->n_levels >= 4U) &&
                   (o->level[o->n_levels - 1U] == 0U);
}

/* ---- profiles ----------------------------------------------------------------------------------- */

static const char *const profile_names[] = {
    "auto", "pcd-01", "pcd-03", "pcd-04", "pcd-05", "pcd-10", "ack", "rrg-o16", "unknown",
};

const char *hl7_pcd_profile_str(hl7_pcd_profile p)
{
    if ((unsigned)p > (unsigned)HL7_PCD_PROFILE_UNKNOWN) {
        return "?";
    }
    return profile_names[p];
}

bool hl7_pcd_profile_parse(const char *name, hl7_pcd_profile *out)
{
    size_t i;

    if ((name == NULL) || (out == NULL)) {
        return false;
    }
    for (i = 0; i < (size_t)HL7_PCD_PROFILE_UNKNOWN; i++) {
        if (strcmp(name, profile_names[i]) == 0) {
            *out = (hl7_pcd_profile)i;
            return true;
        }
    }
    return false;
}

hl7_pcd_profile hl7_pcd_profile_of(const struct hl7_msg *m)
{
    struct pcd__ctx c;

    if ((m == NULL) || (hl7_segment_count(m) == 0U) || !hl7_segment_is(m, 0, "MSH")) {
        return HL7_PCD_PROFILE_UNKNOWN;
    }
    c.m = m;
    c.probs = NULL;
    if (pcd__msh9_is(&c, "RGV", "O15")) {
        return HL7_PCD_PROFILE_PCD03;
    }
    if (pcd__msh9_is(&c, "ORU", "R01")) {
        return HL7_PCD_PROFILE_PCD01;
    }
    if (pcd__msh9_is(&c, "ORU", "R42")) {
        return HL7_PCD_PROFILE_PCD10;
    }
    if (pcd__msh9_is(&c, "ORU", "R40")) {
        return HL7_PCD_PROFILE_PCD04;
    }
    if (pcd__msh9_is(&c, "ORA", "R41") || pcd__msh9_is(&c, "ORU", "R41")) {
        return HL7_PCD_PROFILE_PCD05;
    }
    if (pcd__msh9_is(&c, "RRG", "O16")) {
        return HL7_PCD_PROFILE_RRG_O16;
    }
    if (hl7_view_eq(pcd__raw(&c, 0, 9, 1, 1, 0), "ACK")) {
        return HL7_PCD_PROFILE_ACK;
    }
    return HL7_PCD_PROFILE_UNKNOWN;
}

/* The decoded message of any profile: validate needs one at a time. */
union pcd_any {
    struct hl7_pcd_order order;
    struct hl7_pcd_reply reply;
    struct hl7_pcd_device_report dev;
    struct hl7_pcd_alert_report alert;
    struct hl7_pcd_alert_status status;
};

hl7_pcd_status hl7_pcd_validate(const struct hl7_msg *m, hl7_pcd_profile profile,
                                struct hl7_pcd_problems *probs, hl7_pcd_profile *used)
{
    union pcd_any any;
    hl7_pcd_profile p = profile;
    hl7_pcd_status st;

    if ((m == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    hl7_pcd_problems_init(probs);
    if (p == HL7_PCD_PROFILE_AUTO) {
        p = hl7_pcd_profile_of(m);
    }
    if (used != NULL) {
        *used = p;
    }
    switch (p) {
    case HL7_PCD_PROFILE_PCD01:
        st = hl7_pcd01_decode(m, &any.dev, probs);
        break;
    case HL7_PCD_PROFILE_PCD03:
        st = hl7_pcd03_decode(m, &any.order, probs);
        break;
    case HL7_PCD_PROFILE_PCD04:
        st = hl7_pcd04_decode(m, &any.alert, probs);
        break;
    case HL7_PCD_PROFILE_PCD05:
        st = hl7_pcd05_decode(m, &any.status, probs);
        break;
    case HL7_PCD_PROFILE_PCD10:
        st = hl7_pcd10_decode(m, &any.dev, probs);
        break;
    case HL7_PCD_PROFILE_ACK:
    case HL7_PCD_PROFILE_RRG_O16:
        st = hl7_pcd_reply_decode(m, &any.reply, probs);
        break;
    case HL7_PCD_PROFILE_AUTO:
    case HL7_PCD_PROFILE_UNKNOWN:
    default: {
        struct pcd__ctx c;
        c.m = m;
        c.probs = probs;
        pcd__problem(&c, HL7_PCD_SEV_ERROR, 0, 9, 0, 200U, 0U,
                     "MSH-9 names no IHE PCD message this tool knows (RGV^O15, ORU^R01, "
                     "ORU^R42, ORU^R40, ORA^R41, RRG^O16, ACK)");
        return HL7_PCD_UNUSABLE;
    }
    }
    return st;
}

/* ---- writing ------------------------------------------------------------------------------------- */

bool pcd__dtm_has_offset(const char *text)
{
    struct hl7_view v;
    struct hl7_dtm d;

    v.ptr = text;
    v.len = strlen(text);
    return (v.len > 0U) && (hl7_dtm_parse(v, &d) == HL7_OK) && (d.tz != HL7_TZ_NONE);
}

bool pcd__hdr_ok(const struct hl7_pcd_msh *hdr)
{
    return (hdr != NULL) && (hdr->control_id[0] != '\0') && pcd__dtm_has_offset(hdr->time);
}

static void b_hd(struct hl7_builder *b, const struct hl7_pcd_hd *hd)
{
    (void)hl7_build_fieldz(b, hd->ns);
    if ((hd->uid[0] != '\0') || (hd->uid_type[0] != '\0')) {
        (void)hl7_build_componentz(b, hd->uid);
        (void)hl7_build_componentz(b, hd->uid_type);
    }
}

void pcd__b_msh(struct hl7_builder *b, const struct hl7_pcd_msh *hdr, const char *type,
                const char *event, const char *structure, const char *version,
                const char *accept_ack, const char *app_ack, const char *profile_name,
                const char *oid)
{
    (void)hl7_build_segment(b, "MSH");
    b_hd(b, &hdr->sending_app);
    (void)hl7_build_fieldz(b, hdr->sending_facility);
    b_hd(b, &hdr->receiving_app);
    (void)hl7_build_fieldz(b, hdr->receiving_facility);
    (void)hl7_build_fieldz(b, hdr->time);
    (void)hl7_build_fieldz(b, "");
    (void)hl7_build_fieldz(b, type);
    (void)hl7_build_componentz(b, event);
    (void)hl7_build_componentz(b, structure);
    (void)hl7_build_fieldz(b, hdr->control_id);
    (void)hl7_build_fieldz(b, (hdr->processing_id[0] != '\0') ? hdr->processing_id : "P");
    (void)hl7_build_fieldz(b, version);
    (void)hl7_build_empty_fields(b, 2); /* MSH-13, MSH-14 */
    (void)hl7_build_fieldz(b, accept_ack);
    (void)hl7_build_fieldz(b, app_ack);
    (void)hl7_build_fieldz(b, "");          /* MSH-17 */
    (void)hl7_build_fieldz(b, "UNICODE UTF-8"); /* MSH-18 */
    if (oid != NULL) {
        (void)hl7_build_fieldz(b, "en");    /* MSH-19 */
        (void)hl7_build_componentz(b, "English");
        (void)hl7_build_componentz(b, "ISO639");
        (void)hl7_build_fieldz(b, "");      /* MSH-20 */
        (void)hl7_build_fieldz(b, profile_name);
        (void)hl7_build_componentz(b, "IHE PCD");
        (void)hl7_build_componentz(b, oid);
        (void)hl7_build_componentz(b, "ISO");
    }
}

void pcd__b_patient(struct hl7_builder *b, const struct hl7_pcd_patient *p)
{
    if (!p->present) {
        return;
    }
    (void)hl7_build_segment(b, "PID");
    (void)hl7_build_empty_fields(b, 2);
    (void)hl7_build_fieldz(b, p->id); /* PID-3 */
    if ((p->id_authority[0] != '\0') || (p->id_type[0] != '\0')) {
        (void)hl7_build_componentz(b, "");
        (void)hl7_build_componentz(b, "");
        (void)hl7_build_componentz(b, p->id_authority);
        (void)hl7_build_componentz(b, p->id_type);
    }
    (void)hl7_build_fieldz(b, "");         /* PID-4 */
    (void)hl7_build_fieldz(b, p->family);  /* PID-5 */
    if (p->given[0] != '\0') {
        (void)hl7_build_componentz(b, p->given);
    }
    (void)hl7_build_fieldz(b, "");         /* PID-6 */
    (void)hl7_build_fieldz(b, p->birth);   /* PID-7 */
    (void)hl7_build_fieldz(b, p->sex);     /* PID-8 */
    if (p->identity_unknown) {
        (void)hl7_build_empty_fields(b, 22); /* PID-9..PID-30 */
        (void)hl7_build_fieldz(b, "Y");      /* PID-31 */
    }
    if (p->location[0] != '\0') {
        /* location holds "unit^room^bed" as decoded; write its components. */
        char part[HL7_PCD_TEXT_MAX];
        const char *s = p->location;
        size_t k;
        (void)hl7_build_segment(b, "PV1");
        (void)hl7_build_empty_fields(b, 1);
        (void)hl7_build_fieldz(b, "I"); /* PV1-2 inpatient */
        for (k = 0; k < 3U; k++) {
            const char *e = strchr(s, '^');
            size_t n = (e != NULL) ? (size_t)(e - s) : strlen(s);
            if (n >= sizeof part) {
                n = sizeof part - 1U;
            }
            memcpy(part, s, n);
            part[n] = '\0';
            if (k == 0U) {
                (void)hl7_build_fieldz(b, part);
            } else {
                (void)hl7_build_componentz(b, part);
            }
            s = (e != NULL) ? e + 1 : s + n;
        }
    }
}

void pcd__b_mdc_field(struct hl7_builder *b, hl7_mdc_id id)
{
    const struct hl7_mdc_term *t = hl7_mdc_term(id);
    char num[11];

    if (t == NULL) {
        (void)hl7_build_fieldz(b, "");
        return;
    }
    pcd__u32_text(hl7_mdc_wire_code(t), num);
    (void)hl7_build_fieldz(b, num);
    (void)hl7_build_componentz(b, t->refid);
    (void)hl7_build_componentz(b, "MDC");
}

void pcd__b_unit_field(struct hl7_builder *b, const char *ucum)
{
    const struct hl7_mdc_term *t = hl7_mdc_unit_by_ucum(ucum, strlen(ucum));

    if ((t != NULL) && hl7_mdc_emit_code(t) && pcd__streq(t->ucum, ucum)) {
        char num[11];
        pcd__u32_text(t->code, num);
        (void)hl7_build_fieldz(b, num);
        (void)hl7_build_componentz(b, t->refid);
        (void)hl7_build_componentz(b, "MDC");
        (void)hl7_build_componentz(b, ucum);
        (void)hl7_build_componentz(b, ucum);
        (void)hl7_build_componentz(b, "UCUM");
        return;
    }
    (void)hl7_build_fieldz(b, ucum);
    (void)hl7_build_componentz(b, ucum);
    (void)hl7_build_componentz(b, "UCUM");
}

void hl7_pcd_build_unit(struct hl7_builder *b, const char *ucum)
{
    if ((b != NULL) && (ucum != NULL)) {
        pcd__b_unit_field(b, ucum);
    }
}

hl7_pcd_status pcd__b_finish(struct hl7_builder *b, size_t *len)
{
    hl7_status st = hl7_build_finish(b, len);

    if (st == HL7_OK) {
        return HL7_PCD_OK;
    }
    return (st == HL7_ERR_FULL) ? HL7_PCD_ERR_FULL : HL7_PCD_ERR_ARG;
}
