/*
 * pcd_device.c - PCD-01 ORU^R01 (pump status) and PCD-10 ORU^R42 (infusion events): built from
 * a struct hl7_pcd_pump, decoded back into observations and a pump (contract: see hl7/pcd.h;
 * rules: standards.md §3.1, §3.4, §4.2).
 *
 * Containment we emit (TF-2 Rev 9 App. M model), c = pump->channel:
 *   1.0.0.0  MDS  70049 MDC_DEV_PUMP_INFUS_LVP_MDS   OBX-18 = EUI-64
 *   1.0.0.1       library version; PCD-10: 1.0.0.2 event, 1.0.0.3 event source
 *   1.c.0.0  VMD  70050 MDC_DEV_PUMP_INFUS_LVP_VMD   OBX-18 = pump id (when known)
 *   1.c.1.0  chan 70067 MDC_DEV_PUMP_DELIVERY_INFO   1.c.1.1..3 infusing status, flow, sources
 *   1.c.2.0  chan 70071 MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY  1.c.2.1..14 (table below)
 * Metric numbers are fixed per metric (absent metrics leave gaps, which the TF allows), so a
 * number names the same thing in every message.
 */
#include <string.h>

#include "pcd_internal.h"

#define SEV_E HL7_PCD_SEV_ERROR
#define SEV_W HL7_PCD_SEV_WARNING

/* ---- enumerations ----------------------------------------------------------------------------- */

static const char *const source_names[HL7_PCD_SRC_COUNT] = {
    "pump-source-info-primary", "pump-source-info-secondary", "pump-source-info-pca",
    "pump-source-info-loading", "pump-source-info-clinician", "pump-source-info-intermittent",
};

static const char *const mode_names[HL7_PCD_MODE_COUNT] = {
    "pump-program-delivery-mode-continuous", "pump-program-delivery-mode-multi-step",
    "pump-program-delivery-mode-multi-dosing", "pump-program-delivery-mode-ramp-taper",
};

struct event_row {
    hl7_mdc_id mdc;
    const char *name;
};

static const struct event_row events[HL7_PCD_EVT_COUNT] = {
    {HL7_MDC_COUNT, ""},
    {HL7_MDC_EVT_PUMP_DELIV_START, "delivery-start"},
    {HL7_MDC_EVT_PUMP_DELIV_STOP, "delivery-stop"},
    {HL7_MDC_EVT_PUMP_DELIV_COMP, "delivery-complete"},
    {HL7_MDC_EVT_PUMP_PROG_CLEARED, "program-cleared"},
    {HL7_MDC_EVT_PUMP_AUTO_PROG_CLEARED, "auto-program-cleared"},
    {HL7_MDC_EVT_COMM_STATUS_CHANGE, "comm-status-change"},
    {HL7_MDC_EVT_PATIENT_CHANGE, "patient-change"},
    {HL7_MDC_EVT_PATIENT_ID_CHANGE, "patient-id-change"},
    {HL7_MDC_EVT_PATIENT_PARAMETER_CHANGE, "patient-parameter-change"},
    {HL7_MDC_EVT_PUMP_VOL_COUNTERS_CLEARED, "volume-counters-cleared"},
    {HL7_MDC_EVT_DEVICE_TIME_CHANGED, "device-time-changed"},
    {HL7_MDC_COUNT, "unknown"},
};

const struct hl7_mdc_term *hl7_pcd_event_term(hl7_pcd_event e)
{
    if ((unsigned)e >= (unsigned)HL7_PCD_EVT_COUNT) {
        return NULL;
    }
    return hl7_mdc_term(events[e].mdc);
}

const char *hl7_pcd_event_str(hl7_pcd_event e)
{
    if ((unsigned)e >= (unsigned)HL7_PCD_EVT_COUNT) {
        return "?";
    }
    return events[e].name;
}

static hl7_pcd_event event_of(hl7_mdc_id id)
{
    size_t i;

    for (i = 1; i < (size_t)HL7_PCD_EVT_UNKNOWN; i++) {
        if (events[i].mdc == id) {
            return (hl7_pcd_event)i;
        }
    }
    return HL7_PCD_EVT_UNKNOWN;
}

/* ---- building ------------------------------------------------------------------------------------ */

struct bctx {
    struct hl7_builder *b;
    uint32_t set_id; /* OBX-1 */
    uint32_t chan;   /* c */
};

/* "1.c.x.y" paths. */
static void path_text(char *buf, size_t cap, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    char num[11];
    const uint32_t parts[4] = {a, b, c, d};
    size_t i;

    buf[0] = '\0';
    for (i = 0; i < 4U; i++) {
        pcd__u32_text(parts[i], num);
        if (i > 0U) {
            pcd__cat(buf, cap, ".");
        }
        pcd__cat(buf, cap, num);
    }
}

/* OBX|n|type|code^REFID^MDC|path|value|units||||||status */
static void obx_begin(struct bctx *x, const char *type, hl7_mdc_id id, const char *path)
{
    char num[11];

    x->set_id++;
    pcd__u32_text(x->set_id, num);
    (void)hl7_build_segment(x->b, "OBX");
    (void)hl7_build_fieldz(x->b, num);
    (void)hl7_build_fieldz(x->b, type);
    pcd__b_mdc_field(x->b, id);
    (void)hl7_build_fieldz(x->b, path);
}

/* A device-related OBX (OBX-2 and OBX-5 empty, OBX-11 X), with OBX-16/OBX-18 when given. */
static void obx_device(struct bctx *x, hl7_mdc_id id, const char *path, const char *observer,
                       const char *equip, bool eui)
{
    obx_begin(x, "", id, path);
    (void)hl7_build_empty_fields(x->b, 6); /* OBX-5..OBX-10 */
    (void)hl7_build_fieldz(x->b, "X");     /* OBX-11 */
    if ((observer[0] == '\0') && (equip[0] == '\0')) {
        return;
    }
    (void)hl7_build_empty_fields(x->b, 4);   /* OBX-12..15 */
    (void)hl7_build_fieldz(x->b, observer);  /* OBX-16 */
    (void)hl7_build_fieldz(x->b, "");        /* OBX-17 */
    (void)hl7_build_fieldz(x->b, equip);     /* OBX-18 EI-1 */
    if (eui) {
        (void)hl7_build_componentz(x->b, "");
        (void)hl7_build_componentz(x->b, equip);
        (void)hl7_build_componentz(x->b, "EUI-64");
    }
}

/* A metric OBX: type, value (CWE enumerations go in component 2), units, method. */
static void obx_metric(struct bctx *x, uint32_t ch, uint32_t metric, hl7_mdc_id id,
                       const char *type, const char *value, const char *ucum, const char *method)
{
    char path[HL7_PCD_PATH_MAX];

    if (value[0] == '\0') {
        return;
    }
    path_text(path, sizeof path, 1, x->chan, ch, metric);
    obx_begin(x, type, id, path);
    if (pcd__streq(type, "CWE")) {
        (void)hl7_build_fieldz(x->b, "");
        (void)hl7_build_componentz(x->b, value);
    } else {
        (void)hl7_build_fieldz(x->b, value);
    }
    if (ucum[0] != '\0') {
        pcd__b_unit_field(x->b, ucum);
    } else {
        (void)hl7_build_fieldz(x->b, "");
    }
    (void)hl7_build_empty_fields(x->b, 4);  /* OBX-7..10 */
    (void)hl7_build_fieldz(x->b, "R");      /* OBX-11 */
    if (method[0] != '\0') {
        (void)hl7_build_empty_fields(x->b, 5); /* OBX-12..16 */
        (void)hl7_build_fieldz(x->b, method);  /* OBX-17 */
        (void)hl7_build_componentz(x->b, "");
        (void)hl7_build_componentz(x->b, "MDC");
    }
}

static bool is_hex16(const char *s)
{
    size_t i;

    for (i = 0; i < 16U; i++) {
        char ch = s[i];
        if (!(((ch >= '0') && (ch <= '9')) || ((ch >= 'A') && (ch <= 'F')) ||
              ((ch >= 'a') && (ch <= 'f')))) {
            return false;
        }
    }
    return s[16] == '\0';
}

static bool numbers_ok(const struct hl7_pcd_pump *p)
{
    const char *const nums[] = {p->rate_ml_h, p->flow_ml_h, p->dose_rate, p->vtbi_ml,
                                p->vtbi_remain_ml, p->volume_infused_ml, p->time_remain_min,
                                p->conc, p->weight_kg};
    size_t i;

    for (i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        if ((nums[i][0] != '\0') && !pcd__is_nm(nums[i])) {
            return false;
        }
    }
    /* A dose rate or concentration without its unit cannot be sent as a measured value. */
    return ((p->dose_rate[0] == '\0') || (p->dose_rate_unit[0] != '\0')) &&
           ((p->conc[0] == '\0') || (p->conc_unit[0] != '\0'));
}

static bool pump_ok(const struct hl7_pcd_pump *p)
{
    return (p != NULL) && is_hex16(p->eui64) && (p->channel >= 1U) && (p->channel <= 99U) &&
           (p->state < (uint8_t)HL7_PCD_PUMP_STATE_COUNT) &&
           (p->source < (uint8_t)HL7_PCD_SRC_COUNT) &&
           (p->delivery_mode < (uint8_t)HL7_PCD_MODE_COUNT) && pcd__dtm_has_offset(p->obs_time) &&
           numbers_ok(p);
}

static const char *delivery_status(const struct hl7_pcd_pump *p, bool transitioning)
{
    if (transitioning) {
        return "pump-delivery-status-transitioning";
    }
    switch ((hl7_pcd_pump_state)p->state) {
    case HL7_PCD_PUMP_INFUSING:
        return "pump-delivery-status-delivering";
    case HL7_PCD_PUMP_KVO:
        return "pump-delivery-status-kvo";
    case HL7_PCD_PUMP_IDLE:
    case HL7_PCD_PUMP_PAUSED:
    case HL7_PCD_PUMP_ALARM_STOPPED:
    case HL7_PCD_PUMP_COMPLETE:
    case HL7_PCD_PUMP_STATE_COUNT:
    default:
        return "pump-delivery-status-not-delivering";
    }
}

static const char *not_delivering_reason(const struct hl7_pcd_pump *p)
{
    switch ((hl7_pcd_pump_state)p->state) {
    case HL7_PCD_PUMP_PAUSED:
        return "pump-stopped-by-clinician";
    case HL7_PCD_PUMP_ALARM_STOPPED:
        return "pump-stopped-alarming";
    case HL7_PCD_PUMP_IDLE:
    case HL7_PCD_PUMP_COMPLETE:
        return "pump-stopped-not-specified";
    case HL7_PCD_PUMP_INFUSING:
    case HL7_PCD_PUMP_KVO:
    case HL7_PCD_PUMP_STATE_COUNT:
    default:
        return "";
    }
}

static bool is_infusing(const struct hl7_pcd_pump *p)
{
    return (p->state == (uint8_t)HL7_PCD_PUMP_INFUSING) || (p->state == (uint8_t)HL7_PCD_PUMP_KVO);
}

/* Everything of ORU^R01 / ORU^R42 after MSH. */
static void b_report(struct hl7_builder *b, const struct hl7_pcd_msh *hdr,
                     const struct hl7_pcd_pump *p, hl7_pcd_event event, bool transitioning)
{
    struct bctx x;
    char path[HL7_PCD_PATH_MAX];
    const char *setting = p->auto_programmed ? "ASET" : "MSET";
    bool has_event = (event != HL7_PCD_EVT_NONE);

    x.b = b;
    x.set_id = 0;
    x.chan = p->channel;
    pcd__b_patient(b, &p->patient);

    (void)hl7_build_segment(b, "OBR");
    (void)hl7_build_fieldz(b, "1");
    (void)hl7_build_fieldz(b, p->placer_id); /* OBR-2 */
    (void)hl7_build_fieldz(b, hdr->control_id); /* OBR-3: this report, by the DOR */
    (void)hl7_build_componentz(b, hdr->sending_app.ns);
    (void)hl7_build_componentz(b, hdr->sending_app.uid);
    (void)hl7_build_componentz(b, hdr->sending_app.uid_type);
    if (p->drug_code[0] != '\0') {
        (void)hl7_build_fieldz(b, p->drug_code); /* OBR-4: the substance infused */
        (void)hl7_build_componentz(b, p->drug_name);
    } else {
        (void)hl7_build_fieldz(b, "999999");
        (void)hl7_build_componentz(b, "Medication Unknown");
    }
    (void)hl7_build_empty_fields(b, 2);
    (void)hl7_build_fieldz(b, p->obs_time); /* OBR-7 */
    if (p->parent_id[0] != '\0') {
        (void)hl7_build_empty_fields(b, 21);       /* OBR-8..28 */
        (void)hl7_build_fieldz(b, p->parent_id);   /* OBR-29 parent: placer part, EI-1 */
    }

    obx_device(&x, HL7_MDC_DEV_PUMP_INFUS_LVP_MDS, "1.0.0.0", p->nurse_id, p->eui64, true);
    if (p->library_version[0] != '\0') {
        obx_begin(&x, "ST", HL7_MDC_PUMP_DRUG_LIBRARY_VERSION, "1.0.0.1");
        (void)hl7_build_fieldz(b, p->library_version);
        (void)hl7_build_empty_fields(b, 5);
        (void)hl7_build_fieldz(b, "R");
    }
    if (has_event) {
        const struct hl7_mdc_term *t = hl7_pcd_event_term(event);
        char num[11];
        obx_begin(&x, "CWE", HL7_MDC_ATTR_EVT_COND, "1.0.0.2");
        pcd__u32_text(hl7_mdc_wire_code(t), num);
        (void)hl7_build_fieldz(b, num);
        (void)hl7_build_componentz(b, (t != NULL) ? t->refid : "");
        (void)hl7_build_componentz(b, "MDC");
        (void)hl7_build_empty_fields(b, 5);
        (void)hl7_build_fieldz(b, "R");
        path_text(path, sizeof path, 1, p->channel, 2, 0);
        obx_begin(&x, "ST", HL7_MDC_ATTR_EVT_SOURCE, "1.0.0.3");
        (void)hl7_build_fieldz(b, path);
        (void)hl7_build_empty_fields(b, 5);
        (void)hl7_build_fieldz(b, "R");
    }
    path_text(path, sizeof path, 1, p->channel, 0, 0);
    obx_device(&x, HL7_MDC_DEV_PUMP_INFUS_LVP_VMD, path, "", p->pump_id, false);

    path_text(path, sizeof path, 1, p->channel, 1, 0);
    obx_device(&x, HL7_MDC_DEV_PUMP_DELIVERY_INFO, path, "", "", false);
    obx_metric(&x, 1, 1, HL7_MDC_PUMP_INFUSING_STATUS, "CWE",
               (is_infusing(p) || transitioning) ? "pump-status-infusing"
                                                 : "pump-status-not-infusing", "", "");
    obx_metric(&x, 1, 2, HL7_MDC_FLOW_FLUID_PUMP_CURRENT, "NM", p->flow_ml_h, "mL/h", "AMEAS");
    obx_metric(&x, 1, 3, HL7_MDC_DEV_PUMP_ACTIVE_SOURCES, "CWE", source_names[p->source], "", "");

    path_text(path, sizeof path, 1, p->channel, 2, 0);
    obx_device(&x, HL7_MDC_DEV_PUMP_INFUSATE_SOURCE_PRIMARY, path, "", "", false);
    obx_metric(&x, 2, 1, HL7_MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS, "CWE",
               delivery_status(p, transitioning), "", "");
    obx_metric(&x, 2, 2, HL7_MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE, "CWE",
               mode_names[p->delivery_mode], "", "");
    obx_metric(&x, 2, 3, HL7_MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL, "ST",
               (p->channel_label[0] != '\0') ? p->channel_label : "Primary", "", "");
    obx_metric(&x, 2, 4, HL7_MDC_FLOW_FLUID_PUMP, "NM", p->rate_ml_h, "mL/h", setting);
    obx_metric(&x, 2, 5, HL7_MDC_RATE_DOSE, "NM", p->dose_rate, p->dose_rate_unit, setting);
    obx_metric(&x, 2, 6, HL7_MDC_VOL_FLUID_TBI, "NM", p->vtbi_ml, "mL", setting);
    obx_metric(&x, 2, 7, HL7_MDC_VOL_FLUID_DELIV_TOTAL, "NM", p->volume_infused_ml, "mL",
               "AMEAS");
    obx_metric(&x, 2, 8, HL7_MDC_VOL_FLUID_TBI_REMAIN, "NM", p->vtbi_remain_ml, "mL", "ACALC");
    obx_metric(&x, 2, 9, HL7_MDC_TIME_PD_REMAIN, "NM", p->time_remain_min, "min", "ACALC");
    obx_metric(&x, 2, 10, HL7_MDC_DRUG_NAME_LABEL, "ST", p->drug_name, "", "");
    obx_metric(&x, 2, 11, HL7_MDC_CONC_DRUG, "NM", p->conc, p->conc_unit, setting);
    obx_metric(&x, 2, 12, HL7_MDC_PUMP_DRUG_LIBRARY_CARE_AREA, "ST", p->care_area, "", "");
    obx_metric(&x, 2, 13, HL7_MDC_ATTR_PT_WEIGHT, "NM", p->weight_kg, "kg", setting);
    if (!is_infusing(p) && !transitioning) {
        obx_metric(&x, 2, 14, HL7_MDC_DEV_PUMP_NOT_DELIVERING_REASON, "CWE",
                   not_delivering_reason(p), "", "");
    }
}

static hl7_pcd_status build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                            hl7_pcd_event event, bool transitioning, char *out, size_t cap,
                            size_t *len)
{
    struct hl7_builder b;
    const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;
    bool pcd10 = (event != HL7_PCD_EVT_NONE);

    if (!pcd__hdr_ok(hdr) || !pump_ok(pump) || (out == NULL) || (len == NULL) ||
        ((unsigned)event >= (unsigned)HL7_PCD_EVT_UNKNOWN)) {
        return HL7_PCD_ERR_ARG;
    }
    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return HL7_PCD_ERR_ARG;
    }
    if (pcd10) {
        pcd__b_msh(&b, hdr, "ORU", "R42", "ORU_R01", "2.6", "AL", "NE", "IHE_PCD_010",
                   PCD__OID_PCD10);
    } else {
        pcd__b_msh(&b, hdr, "ORU", "R01", "ORU_R01", "2.6", "AL", "NE", "IHE_PCD_001",
                   PCD__OID_PCD01);
    }
    b_report(&b, hdr, pump, event, transitioning);
    return pcd__b_finish(&b, len);
}

hl7_pcd_status hl7_pcd01_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               char *out, size_t cap, size_t *len)
{
    return build(hdr, pump, HL7_PCD_EVT_NONE, false, out, cap, len);
}

hl7_pcd_status hl7_pcd10_build(const struct hl7_pcd_msh *hdr, const struct hl7_pcd_pump *pump,
                               hl7_pcd_event event, bool transitioning, char *out, size_t cap,
                               size_t *len)
{
    if (event == HL7_PCD_EVT_NONE) {
        return HL7_PCD_ERR_ARG;
    }
    return build(hdr, pump, event, transitioning, out, cap, len);
}

/* ---- decoding ------------------------------------------------------------------------------------- */

static bool is_pump_mds(hl7_mdc_id id)
{
    return (id == HL7_MDC_DEV_PUMP_INFUS_MDS) || (id == HL7_MDC_DEV_PUMP_INFUS_LVP_MDS) ||
           (id == HL7_MDC_DEV_PUMP_INFUS_SYRINGE_MDS) || (id == HL7_MDC_DEV_PUMP_INFUS_RACK_MDS);
}

static bool is_pump_vmd(hl7_mdc_id id)
{
    return (id == HL7_MDC_DEV_PUMP_INFUS_VMD) || (id == HL7_MDC_DEV_PUMP_INFUS_LVP_VMD) ||
           (id == HL7_MDC_DEV_PUMP_INFUS_SYRINGE_VMD);
}

/* Zero-valued decimal ("0", "0.0", "-0.00"). */
static bool is_zero(const char *s)
{
    size_t i = ((s[0] == '+') || (s[0] == '-')) ? 1U : 0U;

    if (!pcd__is_nm(s)) {
        return false;
    }
    for (; s[i] != '\0'; i++) {
        if ((s[i] != '0') && (s[i] != '.')) {
            return false;
        }
    }
    return true;
}

static int index_of(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (pcd__streq(names[i], s)) {
            return (int)i;
        }
    }
    return -1;
}

/* The enumeration value of a CWE OBX: component 2 (the IPEC form), else component 1 (ST). */
static const char *enum_of(const struct hl7_pcd_obs *o)
{
    return (o->value2[0] != '\0') ? o->value2 : o->value;
}

/* Map the first pump channel's observations back into a pump. */
static void map_pump(struct hl7_pcd_device_report *r)
{
    struct hl7_pcd_pump *p = &r->pump;
    const char *infusing = "";
    const char *delivery = "";
    const char *reason = "";
    uint32_t vmd = 0;
    size_t i;

    memset(p, 0, sizeof *p);
    p->patient = r->patient;
    (void)pcd__scpy(p->placer_id, sizeof p->placer_id, r->placer_id);
    (void)pcd__scpy(p->parent_id, sizeof p->parent_id, r->parent_id);
    if (!pcd__streq(r->service.id, "999999")) {
        (void)pcd__scpy(p->drug_code, sizeof p->drug_code, r->service.id);
        (void)pcd__scpy(p->drug_name, sizeof p->drug_name, r->service.text);
    }
    (void)pcd__scpy(p->obs_time, sizeof p->obs_time, r->obr_time);
    for (i = 0; i < r->n_obs; i++) {
        const struct hl7_pcd_obs *o = &r->obs[i];
        bool in_vmd = (vmd != 0U) && (o->n_levels >= 4U) && (o->level[1] == vmd);
        if (o->n_levels < 4U) {
            continue;
        }
        if (is_pump_mds(o->mdc) && !r->has_pump) {
            r->has_pump = true;
            if (pcd__streq(o->equipment_type, "EUI-64") || (strlen(o->equipment) == 16U)) {
                char eui[HL7_PCD_ID_MAX];
                (void)pcd__scpy(eui, sizeof eui, o->equipment);
                if (strlen(eui) == 16U) {
                    memcpy(p->eui64, eui, 17U);
                }
            }
            (void)pcd__scpy(p->nurse_id, sizeof p->nurse_id, o->observer);
            continue;
        }
        if (is_pump_vmd(o->mdc) && (vmd == 0U)) {
            vmd = o->level[1];
            p->channel = vmd;
            (void)pcd__scpy(p->pump_id, sizeof p->pump_id, o->equipment);
            continue;
        }
        if (o->level[0] == 1U && o->level[1] == 0U &&
            o->mdc == HL7_MDC_PUMP_DRUG_LIBRARY_VERSION) {
            (void)pcd__scpy(p->library_version, sizeof p->library_version, o->value);
            continue;
        }
        if (!in_vmd) {
            continue;
        }
        switch ((int)o->mdc) { /* an int: only pump metrics matter here */
        case HL7_MDC_PUMP_INFUSING_STATUS:
            infusing = enum_of(o);
            break;
        case HL7_MDC_FLOW_FLUID_PUMP_CURRENT:
            (void)pcd__scpy(p->flow_ml_h, sizeof p->flow_ml_h, o->value);
            break;
        case HL7_MDC_DEV_PUMP_ACTIVE_SOURCES: {
            int k = index_of(source_names, HL7_PCD_SRC_COUNT, enum_of(o));
            p->source = (uint8_t)((k >= 0) ? k : 0);
            break;
        }
        case HL7_MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS:
            delivery = enum_of(o);
            break;
        case HL7_MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE: {
            int k = index_of(mode_names, HL7_PCD_MODE_COUNT, enum_of(o));
            p->delivery_mode = (uint8_t)((k >= 0) ? k : 0);
            break;
        }
        case HL7_MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL:
            (void)pcd__scpy(p->channel_label, sizeof p->channel_label, o->value);
            break;
        case HL7_MDC_FLOW_FLUID_PUMP:
            (void)pcd__scpy(p->rate_ml_h, sizeof p->rate_ml_h, o->value);
            p->auto_programmed = pcd__streq(o->method, "ASET");
            break;
        case HL7_MDC_RATE_DOSE:
            (void)pcd__scpy(p->dose_rate, sizeof p->dose_rate, o->value);
            (void)pcd__scpy(p->dose_rate_unit, sizeof p->dose_rate_unit, o->unit.ucum);
            break;
        case HL7_MDC_VOL_FLUID_TBI:
            (void)pcd__scpy(p->vtbi_ml, sizeof p->vtbi_ml, o->value);
            break;
        case HL7_MDC_VOL_FLUID_DELIV_TOTAL:
            (void)pcd__scpy(p->volume_infused_ml, sizeof p->volume_infused_ml, o->value);
            break;
        case HL7_MDC_VOL_FLUID_TBI_REMAIN:
            (void)pcd__scpy(p->vtbi_remain_ml, sizeof p->vtbi_remain_ml, o->value);
            break;
        case HL7_MDC_TIME_PD_REMAIN:
            (void)pcd__scpy(p->time_remain_min, sizeof p->time_remain_min, o->value);
            break;
        case HL7_MDC_DRUG_NAME_LABEL:
            if (p->drug_name[0] == '\0') {
                (void)pcd__scpy(p->drug_name, sizeof p->drug_name, o->value);
            }
            break;
        case HL7_MDC_CONC_DRUG:
            (void)pcd__scpy(p->conc, sizeof p->conc, o->value);
            (void)pcd__scpy(p->conc_unit, sizeof p->conc_unit, o->unit.ucum);
            break;
        case HL7_MDC_PUMP_DRUG_LIBRARY_CARE_AREA:
            (void)pcd__scpy(p->care_area, sizeof p->care_area, o->value);
            break;
        case HL7_MDC_ATTR_PT_WEIGHT:
            (void)pcd__scpy(p->weight_kg, sizeof p->weight_kg, o->value);
            break;
        case HL7_MDC_DEV_PUMP_NOT_DELIVERING_REASON:
            reason = enum_of(o);
            break;
        default:
            break;
        }
    }
    r->transitioning = pcd__streq(delivery, "pump-delivery-status-transitioning");
    (void)pcd__scpy(r->not_delivering_reason, sizeof r->not_delivering_reason, reason);
    if (pcd__streq(delivery, "pump-delivery-status-delivering")) {
        p->state = HL7_PCD_PUMP_INFUSING;
    } else if (pcd__streq(delivery, "pump-delivery-status-kvo")) {
        p->state = HL7_PCD_PUMP_KVO;
    } else if (pcd__streq(reason, "pump-stopped-by-clinician")) {
        p->state = HL7_PCD_PUMP_PAUSED;
    } else if (pcd__streq(reason, "pump-stopped-alarming")) {
        p->state = HL7_PCD_PUMP_ALARM_STOPPED;
    } else if (r->transitioning) {
        p->state = pcd__streq(infusing, "pump-status-infusing") ? HL7_PCD_PUMP_INFUSING
                                                                 : HL7_PCD_PUMP_IDLE;
    } else if ((p->vtbi_remain_ml[0] != '\0') && is_zero(p->vtbi_remain_ml)) {
        /* Stopped with nothing left to infuse: the VTBI was reached. */
        p->state = HL7_PCD_PUMP_COMPLETE;
    } else {
        p->state = HL7_PCD_PUMP_IDLE;
    }
}

/* Is `o` (a metric or device) preceded by all of its device ancestors present in the group? */
static void check_containment(struct pcd__ctx *c, const size_t *seg_of,
                              struct hl7_pcd_device_report *r, size_t first, size_t end)
{
    size_t i;
    size_t j;
    bool sorted = true;
    bool devices_first_sorted = true;
    bool seen_metric = false;

    for (i = first; i < end; i++) {
        const struct hl7_pcd_obs *o = &r->obs[i];
        if (o->n_levels == 0U) {
            continue;
        }
        for (j = first; j < end; j++) {
            const struct hl7_pcd_obs *q = &r->obs[j];
            if ((j != i) && (q->n_levels == o->n_levels) &&
                (pcd__path_cmp(q->level, q->n_levels, o->level, o->n_levels) == 0) && (j < i)) {
                pcd__problem(c, SEV_E, seg_of[i], 4, 0, 205U, 0U,
                             "OBX-4 %s appears twice in this OBR group (it must be unique)",
                             o->path);
                break;
            }
        }
        /* A device ancestor (same prefix, trailing zeros) that comes after this OBX. */
        for (j = i + 1U; j < end; j++) {
            const struct hl7_pcd_obs *q = &r->obs[j];
            size_t k;
            size_t depth = 0;
            bool prefix = (q->n_levels == 4U) && (o->n_levels >= 4U) && q->is_device;
            for (k = 0; prefix && (k < 4U); k++) {
                if (q->level[k] == 0U) {
                    break;
                }
                prefix = prefix && (q->level[k] == o->level[k]);
                depth++;
            }
            for (; prefix && (k < 4U); k++) {
                prefix = (q->level[k] == 0U);
            }
            if (prefix && (depth > 0U) &&
                (pcd__path_cmp(q->level, q->n_levels, o->level, o->n_levels) != 0) &&
                ((o->n_levels > 4U) || (o->level[depth] != 0U))) {
                pcd__problem(c, SEV_E, seg_of[i], 4, 0, 100U, 0U,
                             "OBX-4 %s comes before its device OBX %s (device OBX precede their "
                             "metrics)", o->path, q->path);
                break;
            }
        }
    }
    for (i = first + 1U; i < end; i++) {
        const struct hl7_pcd_obs *a = &r->obs[i - 1U];
        const struct hl7_pcd_obs *b = &r->obs[i];
        if ((a->n_levels != 0U) && (b->n_levels != 0U) &&
            (pcd__path_cmp(a->level, a->n_levels, b->level, b->n_levels) > 0)) {
            sorted = false;
        }
    }
    if (!sorted) {
        /* The allowed variant: all device OBX first, then all metrics, each in order. */
        const struct hl7_pcd_obs *prev = NULL;
        for (i = first; i < end; i++) {
            const struct hl7_pcd_obs *o = &r->obs[i];
            if (o->n_levels == 0U) {
                continue;
            }
            if (!o->is_device && !seen_metric) {
                seen_metric = true;
                prev = NULL;
            }
            if ((o->is_device && seen_metric) ||
                ((prev != NULL) &&
                 (pcd__path_cmp(prev->level, prev->n_levels, o->level, o->n_levels) > 0))) {
                devices_first_sorted = false;
            }
            prev = o;
        }
        if (!devices_first_sorted) {
            pcd__problem(c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U,
                         "OBX are not in dictionary (numeric, per level) order of OBX-4");
        }
    }
}

static hl7_pcd_status decode(const struct hl7_msg *m, struct hl7_pcd_device_report *out,
                             struct hl7_pcd_problems *probs, bool pcd10)
{
    struct pcd__ctx c;
    size_t n;
    size_t i;
    size_t seg_of[HL7_PCD_MAX_OBS];
    size_t group_first = 0;
    uint32_t obr = 0;
    uint32_t expect_set_id = 1;
    size_t n_events = 0;
    size_t i_event = 0;
    bool seen_mds = false;

    if ((m == NULL) || (out == NULL) || (probs == NULL)) {
        return HL7_PCD_ERR_ARG;
    }
    if (!pcd__decode_begin(&c, m, probs) || !pcd__msh9_is(&c, "ORU", pcd10 ? "R42" : "R01")) {
        pcd__problem(&c, SEV_E, 0, 9, 0, 200U, 0U, "MSH-9 is not %s",
                     pcd10 ? "ORU^R42 (not a PCD-10 event)" : "ORU^R01 (not a PCD-01 report)");
        return HL7_PCD_UNUSABLE;
    }
    memset(out, 0, sizeof *out);
    pcd__msh(&c, &out->msh);
    pcd__msh_expect(&c, &out->msh, "AL", "NE", pcd10 ? PCD__OID_PCD10 : PCD__OID_PCD01);
    n = hl7_segment_count(m);
    for (i = 1; i < n; i++) {
        if (hl7_segment_is(m, i, "PID")) {
            pcd__pid(&c, i, &out->patient);
            if (out->patient.identity_unknown) {
                pcd__problem(&c, SEV_W, i, 31, 0, 0U, 0U,
                             "PID-31 is Y: the pump has no patient; do not file against one");
            }
        } else if (hl7_segment_is(m, i, "PV1")) {
            pcd__pv1(&c, i, &out->patient);
        } else if (hl7_segment_is(m, i, "OBR")) {
            if (obr > 0U) {
                check_containment(&c, seg_of, out, group_first, out->n_obs);
            }
            obr++;
            group_first = out->n_obs;
            if (obr == 1U) {
                (void)pcd__copy(&c, i, 2, 1, 1, 0, out->placer_id, sizeof out->placer_id);
                (void)pcd__copy(&c, i, 3, 1, 1, 0, out->filler_id, sizeof out->filler_id);
                pcd__cwe(&c, i, 4, 1, &out->service);
                (void)pcd__copy(&c, i, 7, 1, 1, 0, out->obr_time, sizeof out->obr_time);
                if (pcd__copy(&c, i, 29, 1, 1, 1, out->parent_id, sizeof out->parent_id) !=
                    PCD__VALUE) {
                    (void)pcd__copy(&c, i, 29, 1, 2, 1, out->parent_id, sizeof out->parent_id);
                }
            }
            if (pcd__raw(&c, i, 4, 1, 1, 0).len == 0U) {
                pcd__problem(&c, SEV_E, i, 4, 0, 101U, 0U,
                             "OBR-4 is empty (required: what is observed; for a pump the drug, "
                             "or 999999^Medication Unknown)");
            }
            {
                char t[HL7_PCD_DTM_MAX];
                (void)pcd__copy(&c, i, 7, 1, 1, 0, t, sizeof t);
                if (t[0] == '\0') {
                    pcd__problem(&c, SEV_E, i, 7, 0, 101U, 0U,
                                 "OBR-7 is empty (required: the observation time)");
                } else {
                    pcd__check_dtm(&c, i, 7, t, true);
                }
            }
        } else if (hl7_segment_is(m, i, "OBX")) {
            struct hl7_pcd_obs tmp;
            struct hl7_pcd_obs *o = &tmp;
            char set_id[HL7_PCD_NUM_MAX];
            uint32_t sid = 0;
            if (obr == 0U) {
                pcd__problem(&c, SEV_E, i, 0, 0, 100U, 0U, "OBX before any OBR");
            }
            if (out->n_obs < HL7_PCD_MAX_OBS) {
                seg_of[out->n_obs] = i;
                o = &out->obs[out->n_obs++];
            } else {
                out->n_obs_dropped++;
            }
            pcd__obx(&c, i, obr, o);
            (void)pcd__copy(&c, i, 1, 1, 1, 0, set_id, sizeof set_id);
            if (!pcd__parse_u32(set_id, &sid) || (sid != expect_set_id)) {
                pcd__problem(&c, SEV_W, i, 1, 0, 0U, 0U,
                             "OBX-1 is '%s' (expected %u: OBX-1 counts 1, 2, 3 ... across the "
                             "message)", set_id, (unsigned)expect_set_id);
            }
            expect_set_id++;
            if (o->path[0] == '\0') {
                pcd__problem(&c, SEV_E, i, 4, 0, 101U, 0U,
                             "OBX-4 is empty (required: the containment path, e.g. 1.1.1.3)");
            } else if (o->n_levels < 4U) {
                pcd__problem(&c, SEV_E, i, 4, 0, 102U, 0U,
                             "OBX-4 '%s' is not a dotted containment path "
                             "(MDS.VMD.CHAN.METRIC[.FACET])", o->path);
            }
            if (pcd__raw(&c, i, 3, 1, 1, 0).len == 0U) {
                pcd__problem(&c, SEV_E, i, 3, 0, 101U, 0U, "OBX-3 is empty (required: the term)");
            }
            if (pcd__streq(o->value_type, "NM")) {
                if (!pcd__is_nm(o->value)) {
                    pcd__problem(&c, SEV_E, i, 5, 0, 102U, 0U, "OBX-5 '%s' is not a number (OBX-2 NM)",
                                 o->value);
                }
                if (!o->unit.present) {
                    pcd__problem(&c, SEV_E, i, 6, 0, 101U, 0U,
                                 "OBX-6 is empty (required for a numeric value: its units)");
                }
            }
            if (o->time[0] != '\0') {
                pcd__check_dtm(&c, i, 14, o->time, true);
            }
            if (is_pump_mds(o->mdc) || ((o->n_levels == 4U) && o->is_device &&
                                        (o->level[1] == 0U))) {
                if (!seen_mds && (o->equipment[0] == '\0')) {
                    pcd__problem(&c, SEV_E, i, 18, 0, 101U, 0U,
                                 "OBX-18 is empty on the MDS OBX (required: the device identity, "
                                 "EUI-64 preferred)");
                }
                seen_mds = true;
            }
            if (o->mdc == HL7_MDC_ATTR_EVT_COND) {
                n_events++;
                i_event = out->n_obs - 1U;
                if (n_events == 1U) {
                    char code_text[HL7_PCD_ID_MAX];
                    const struct hl7_mdc_term *t;
                    (void)pcd__copy(&c, i, 5, 1, 1, 0, code_text, sizeof code_text);
                    (void)pcd__copy(&c, i, 5, 1, 2, 0, out->event_refid, sizeof out->event_refid);
                    if (!pcd__parse_u32(code_text, &out->event_code)) {
                        out->event_code = 0;
                    }
                    t = pcd__term(out->event_code, out->event_refid);
                    out->event = (uint8_t)((t != NULL) ? event_of(hl7_mdc_id_of(t))
                                                       : HL7_PCD_EVT_UNKNOWN);
                    if (out->event == (uint8_t)HL7_PCD_EVT_UNKNOWN) {
                        pcd__problem(&c, SEV_W, i, 5, 0, 0U, 0U,
                                     "event '%s^%s' is not one this table knows; kept", code_text,
                                     out->event_refid);
                    }
                }
            } else if (o->mdc == HL7_MDC_ATTR_EVT_SOURCE) {
                (void)pcd__scpy(out->event_source, sizeof out->event_source, o->value);
            }
        } else {
            /* NTE, PRT, TQ1, Z-segments: not needed here */
        }
    }
    if (obr == 0U) {
        pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 100U, 0U,
                     "no OBR segment (required: each observation group starts with one)");
    } else {
        check_containment(&c, seg_of, out, group_first, out->n_obs);
    }
    map_pump(out);
    if (pcd10) {
        (void)i_event;
        if (n_events != 1U) {
            pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, (n_events == 0U) ? 101U : 100U, 0U,
                         "a PCD-10 message carries exactly one event (MDC_ATTR_EVT_COND); found "
                         "%u", (unsigned)n_events);
        }
        if (out->event_source[0] == '\0') {
            pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                         "no MDC_ATTR_EVT_SOURCE OBX (required: which source the event concerns)");
        } else {
            bool found = false;
            for (i = 0; i < out->n_obs; i++) {
                found = found || pcd__streq(out->obs[i].path, out->event_source);
            }
            if (!found) {
                pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 204U, 0U,
                             "MDC_ATTR_EVT_SOURCE names %s but no OBX has that OBX-4",
                             out->event_source);
            }
        }
        if ((out->event == (uint8_t)HL7_PCD_EVT_DELIV_START) ||
            (out->event == (uint8_t)HL7_PCD_EVT_DELIV_STOP) ||
            (out->event == (uint8_t)HL7_PCD_EVT_DELIV_COMP)) {
            static const hl7_mdc_id required[] = {
                HL7_MDC_PUMP_INFUSING_STATUS, HL7_MDC_FLOW_FLUID_PUMP_CURRENT,
                HL7_MDC_DEV_PUMP_ACTIVE_SOURCES, HL7_MDC_DEV_PUMP_CURRENT_DELIVERY_STATUS,
                HL7_MDC_DEV_PUMP_PROGRAM_DELIVERY_MODE, HL7_MDC_DEV_PUMP_SOURCE_CHANNEL_LABEL};
            size_t k;
            bool stop = (out->event != (uint8_t)HL7_PCD_EVT_DELIV_START);
            bool has_volume = false;
            for (k = 0; k < sizeof required / sizeof required[0]; k++) {
                bool found = false;
                for (i = 0; i < out->n_obs; i++) {
                    found = found || (out->obs[i].mdc == required[k]);
                }
                if (!found) {
                    pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                                 "%s is required with a delivery %s event",
                                 hl7_mdc_term(required[k])->refid,
                                 stop ? "stop/complete" : "start");
                }
            }
            for (i = 0; i < out->n_obs; i++) {
                has_volume = has_volume || (out->obs[i].mdc == HL7_MDC_VOL_FLUID_DELIV_TOTAL) ||
                             (out->obs[i].mdc == HL7_MDC_VOL_FLUID_DELIV_SEGMENT);
            }
            if (stop && !has_volume) {
                pcd__problem(&c, SEV_E, PCD__NO_SEG, 0, 0, 101U, 0U,
                             "a delivery stop/complete event needs the volume delivered "
                             "(MDC_VOL_FLUID_DELIV_TOTAL or MDC_VOL_FLUID_DELIV_SEGMENT)");
            }
        }
    }
    return pcd__decode_status(&c);
}

hl7_pcd_status hl7_pcd01_decode(const struct hl7_msg *m, struct hl7_pcd_device_report *out,
                                struct hl7_pcd_problems *probs)
{
    return decode(m, out, probs, false);
}

hl7_pcd_status hl7_pcd10_decode(const struct hl7_msg *m, struct hl7_pcd_device_report *out,
                                struct hl7_pcd_problems *probs)
{
    return decode(m, out, probs, true);
}
