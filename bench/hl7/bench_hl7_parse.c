/*
 * bench_hl7_parse.c - HL7 v2 parse throughput against a memchr scan of the same bytes.
 *
 *   bench_hl7_parse [--messages N] [--passes P] [--seed S] [--write-corpus FILE]
 *
 * Generates (deterministically, from the seed) N realistic IHE PCD messages of about 2 KB each -
 * PCD-01 pump reports, PCD-03 orders and PCD-04 alarms in turn, CR terminators - and times, best
 * of P passes, alternating:
 *   parse:  hl7_parse of each message plus reading one OBX-5 value (find the first OBX, hl7_get);
 *   memchr: counting the segment terminators of each message with memchr (the ceiling: it only
 *           looks for one byte and stores nothing).
 * Prints "parse: N messages, B bytes, X messages/s, Y MB/s", the same for memchr, and the ratio.
 * --write-corpus FILE writes the corpus MLLP-framed (VT message FS CR per message) so other
 * parsers can be timed on the same bytes. Exit 0, or 1 when a message fails to parse (the
 * benchmark checks its own work) or the corpus cannot be written, 2 on usage errors.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hl7/hl7.h"

#define MAX_SEGS 256U
#define MAX_SEPS 4096U

struct corpus {
    char *bytes;
    size_t len;
    size_t cap;
    size_t *off; /* message i is bytes[off[i] .. off[i + 1]) */
    size_t n;
};

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* splitmix64: deterministic across platforms */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static void add(struct corpus *c, const char *s)
{
    size_t n = strlen(s);
    if (c->len + n > c->cap) {
        (void)fputs("bench_hl7_parse: corpus buffer too small\n", stderr);
        exit(1);
    }
    memcpy(c->bytes + c->len, s, n);
    c->len += n;
}

static void addf(struct corpus *c, char *tmp, size_t cap, int n)
{
    if (n < 0 || (size_t)n >= cap) {
        (void)fputs("bench_hl7_parse: line too long\n", stderr);
        exit(1);
    }
    add(c, tmp);
}

#define ADDF(c, ...) addf((c), line, sizeof line, snprintf(line, sizeof line, __VA_ARGS__))

static const char *const drugs[] = {"Heparin", "Dopamine", "Norepinephrine", "Insulin Regular",
                                    "Morphine", "Propofol", "Vancomycin", "Normal Saline"};

static void msh(struct corpus *c, const char *type, unsigned id, const char *profile)
{
    char line[512];
    ADDF(c,
         "MSH|^~\\&|PAT_DEVICE_OPENINFUSION^%08X00000001^EUI-64|OPENINFUSION|DOC^ACDE480000000001"
         "^EUI-64|HOSPITAL|2026112%u%02u%02u%02u+0000||%s|OI%010u|P|2.6|||AL|NE||UNICODE UTF-8|"
         "en^English^ISO639||%s^IHE PCD^1.3.6.1.4.1.19376.1.6.1.%s^ISO\r",
         rnd(), rnd() % 9U, rnd() % 24U, rnd() % 60U, rnd() % 60U, type, id,
         profile, (profile[8] == '3') ? "3.1" : (profile[8] == '4') ? "4.1" : "1.1");
}

static void pid_pv1(struct corpus *c)
{
    char line[512];
    ADDF(c, "PID|||%07u^^^HOSPITAL^MR||Doe%u^John^\"\"^^^^L||19%02u0%u1%u|%c\r", rnd() % 10000000U,
         rnd() % 1000U, rnd() % 100U, 1U + rnd() % 9U, rnd() % 10U, (rnd() & 1U) ? 'M' : 'F');
    ADDF(c, "PV1||I|3 West ICU^%u^1\r", 3000U + rnd() % 100U);
}

static void obx_num(struct corpus *c, unsigned *i, const char *code, const char *sub,
                    const char *unit, const char *value)
{
    char line[512];
    ADDF(c, "OBX|%u|NM|%s|%s|%s|%s|||||R|||2026112%u%02u%02u00+0000\r", (*i)++, code, sub, value,
         unit, rnd() % 9U, rnd() % 24U, rnd() % 60U);
}

static void pcd01(struct corpus *c, unsigned id)
{
    char line[512];
    char v[32];
    unsigned i = 1;
    unsigned k;
    const char *drug = drugs[rnd() % (sizeof drugs / sizeof drugs[0])];

    msh(c, "ORU^R01^ORU_R01", id, "IHE_PCD_001");
    pid_pv1(c);
    ADDF(c, "OBR|1|AB%05u^PCD-03|CD%05u^HL7^ACDE48234567ABCD^EUI-64|%u^%s|||2026112%u%02u%02u00+0000\r",
         rnd() % 100000U, rnd() % 100000U, 1000U + rnd() % 9000U, drug, rnd() % 9U, rnd() % 24U,
         rnd() % 60U);
    ADDF(c, "OBX|%u||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|1.0.0.0|||||||X|||||||%08X0000^^%08X^EUI-64\r",
         i, rnd(), rnd());
    i++;
    for (k = 0; k < 2U; k++) {
        ADDF(c, "OBX|%u||69986^MDC_DEV_PUMP_INFUS_VMD^MDC|1.%u.0.0|||||||X\r", i, k + 1U);
        i++;
        ADDF(c, "OBX|%u||126978^MDC_DEV_PUMP_INFUS_CHAN_DELIVERY^MDC|1.%u.1.0|||||||X\r", i, k + 1U);
        i++;
        (void)snprintf(v, sizeof v, "%u.%u", rnd() % 500U, rnd() % 10U);
        obx_num(c, &i, "157784^MDC_FLOW_FLUID_PUMP^MDC", "1.1.1.1",
                "265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM", v);
        (void)snprintf(v, sizeof v, "%u.%u", rnd() % 1000U, rnd() % 10U);
        obx_num(c, &i, "157872^MDC_VOL_FLUID_TBI_REMAIN^MDC", "1.1.1.2",
                "263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM", v);
        (void)snprintf(v, sizeof v, "%u", rnd() % 1440U);
        obx_num(c, &i, "157916^MDC_TIME_PD_REMAIN^MDC", "1.1.1.3",
                "264352^MDC_DIM_MIN^MDC^min^min^UCUM", v);
        (void)snprintf(v, sizeof v, "%u.%u", rnd() % 100U, rnd() % 100U);
        obx_num(c, &i, "157760^MDC_CONC_DRUG^MDC", "1.1.1.4",
                "264306^MDC_DIM_MILLI_G_PER_ML^MDC^mg/mL^mg/mL^UCUM", v);
        (void)snprintf(v, sizeof v, "%u.%u", rnd() % 2000U, rnd() % 10U);
        obx_num(c, &i, "157864^MDC_VOL_FLUID_DELIV^MDC", "1.1.1.5",
                "263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM", v);
        ADDF(c, "OBX|%u|ST|184330^MDC_DRUG_NAME_TYPE^MDC|1.%u.1.6|%s||||||R\r", i, k + 1U, drug);
        i++;
    }
}

static void pcd03(struct corpus *c, unsigned id)
{
    char line[512];
    unsigned k;
    const char *drug = drugs[rnd() % (sizeof drugs / sizeof drugs[0])];

    msh(c, "RGV^O15^RGV_O15", id, "IHE_PCD_PIV_001");
    pid_pv1(c);
    for (k = 0; k < 3U; k++) {
        ADDF(c, "ORC|RE|%05u^IOP|||||||2026112%u%02u%02u00+0000|||%u^Smith^Anna^^^^^^HOSPITAL"
                "||||||||||||N0001\r",
             rnd() % 100000U, rnd() % 9U, rnd() % 24U, rnd() % 60U, rnd() % 100000U);
        ADDF(c, "TQ1|1||||||2026112%u%02u%02u00+0000|||||%u^min&minutes&UCUM\r", rnd() % 9U,
             rnd() % 24U, rnd() % 60U, 30U + rnd() % 600U);
        ADDF(c, "RXG|%u|||%u^%s^RxNorm|%u||263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM||||||||%u.%u|"
                "265266^MDC_DIM_MILLI_L_PER_HR^MDC^mL/h^mL/h^UCUM|||%u|263890^MDC_DIM_MILLI_G^MDC"
                "^mg^mg^UCUM|%u|263762^MDC_DIM_MILLI_L^MDC^mL^mL^UCUM\r",
             k + 1U, 100000U + rnd() % 900000U, drug, 50U + rnd() % 950U, rnd() % 500U,
             rnd() % 10U, rnd() % 1000U, 50U + rnd() % 450U);
        add(c, "RXR|^IV^HL70162|^Right arm\r");
        ADDF(c, "OBX|1|NM|68063^MDC_ATTR_PT_WEIGHT^MDC||%u.%u|263875^MDC_DIM_KILO_G^MDC^kg^kg^UCUM"
                "|||||R\r",
             40U + rnd() % 100U, rnd() % 10U);
        ADDF(c, "OBX|2||69986^MDC_DEV_PUMP_INFUS_VMD^MDC||||||||||||||%08X0000^^%08X^EUI-64\r",
             rnd(), rnd());
    }
}

static void pcd04(struct corpus *c, unsigned id)
{
    char line[512];
    unsigned k;

    msh(c, "ORU^R40^ORU_R40", id, "IHE_PCD_ACM_001");
    pid_pv1(c);
    for (k = 0; k < 2U; k++) {
        ADDF(c, "OBR|%u|%u^PAT_DEVICE^%08X^EUI-64|P%u^PAT_DEVICE^%08X^EUI-64|196616^MDC_EVT_ALARM"
                "^MDC|||2026112%u%02u%02u00+0000||||||||||||||||||||||^E%u&PAT_DEVICE&%08X&EUI-64\r",
             k + 1U, rnd(), rnd(), rnd() % 10000U, rnd(), rnd() % 9U, rnd() % 24U, rnd() % 60U,
             rnd() % 1000U, rnd());
        ADDF(c, "OBX|1|CWE|196616^MDC_EVT_ALARM^MDC|1.0.0.0.1|196940^MDC_EVT_FLUID_LINE_OCCL^MDC^^^^"
                "^^Occlusion|||ST|||F|||||||P%u^^%08X^EUI-64\r",
             rnd() % 10000U, rnd());
        add(c, "OBX|2|CWE|68480^MDC_ATTR_ALERT_SOURCE^MDC|1.0.0.0.2|69985^MDC_DEV_PUMP_INFUS_MDS^"
               "MDC||||||F\r");
        add(c, "OBX|3|ST|68481^MDC_ATTR_EVENT_PHASE^MDC|1.0.0.0.3|start||||||F\r");
        add(c, "OBX|4|ST|68482^MDC_ATTR_ALARM_STATE^MDC|1.0.0.0.4|active||||||F\r");
        add(c, "OBX|5|ST|68483^MDC_ATTR_ALARM_INACTIVATION_STATE^MDC|1.0.0.0.5|enabled||||||F\r");
        add(c, "OBX|6|ST|68484^MDC_ATTR_ALARM_PRIORITY^MDC|1.0.0.0.6|PH||||||F\r");
        add(c, "OBX|7|ST|68485^MDC_ATTR_ALERT_TYPE^MDC|1.0.0.0.7|SP||||||F\r");
        ADDF(c, "OBX|8|NM|157784^MDC_FLOW_FLUID_PUMP^MDC|1.1.1.1|%u.%u|265266^MDC_DIM_MILLI_L_PER_HR"
                "^MDC^mL/h^mL/h^UCUM|||||F\r",
             rnd() % 500U, rnd() % 10U);
    }
}

static void generate(struct corpus *c, size_t n)
{
    size_t i;

    c->cap = n * 4096U + 4096U;
    c->bytes = malloc(c->cap);
    c->off = malloc((n + 1U) * sizeof *c->off);
    if (c->bytes == NULL || c->off == NULL) {
        (void)fputs("bench_hl7_parse: out of memory\n", stderr);
        exit(1);
    }
    c->len = 0;
    for (i = 0; i < n; i++) {
        c->off[i] = c->len;
        switch (i % 3U) {
        case 0:
            pcd01(c, (unsigned)i);
            break;
        case 1:
            pcd03(c, (unsigned)i);
            break;
        default:
            pcd04(c, (unsigned)i);
            break;
        }
    }
    c->off[n] = c->len;
    c->n = n;
}

static double now_s(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One pass of the real work; returns a checksum, or SIZE_MAX when a message failed. */
static size_t pass_parse(const struct corpus *c, struct hl7_msg *m)
{
    size_t sum = 0;
    size_t i;

    for (i = 0; i < c->n; i++) {
        struct hl7_view v;
        size_t i_obx;
        if (hl7_parse(m, c->bytes + c->off[i], c->off[i + 1U] - c->off[i], NULL) != HL7_OK) {
            return SIZE_MAX;
        }
        i_obx = hl7_find_segment(m, "OBX", 0);
        if (hl7_get(m, i_obx, 5, 0, 0, 0, &v) != HL7_OK) {
            return SIZE_MAX;
        }
        sum += v.len;
    }
    return sum;
}

static size_t pass_memchr(const struct corpus *c)
{
    size_t sum = 0;
    size_t i;

    for (i = 0; i < c->n; i++) {
        const char *p = c->bytes + c->off[i];
        const char *end = c->bytes + c->off[i + 1U];
        while (p < end) {
            const char *q = memchr(p, '\r', (size_t)(end - p));
            if (q == NULL) {
                break;
            }
            sum++;
            p = q + 1;
        }
    }
    return sum;
}

static int write_corpus(const struct corpus *c, const char *path)
{
    FILE *f = fopen(path, "wb");
    size_t i;
    int ok = 1;

    if (f == NULL) {
        (void)fprintf(stderr, "bench_hl7_parse: cannot write %s\n", path);
        return 0;
    }
    for (i = 0; i < c->n && ok; i++) {
        size_t n = c->off[i + 1U] - c->off[i];
        ok = fputc(0x0B, f) != EOF && fwrite(c->bytes + c->off[i], 1, n, f) == n &&
             fputc(0x1C, f) != EOF && fputc('\r', f) != EOF;
    }
    if (fclose(f) != 0 || !ok) {
        (void)fprintf(stderr, "bench_hl7_parse: cannot write %s\n", path);
        return 0;
    }
    return 1;
}

static void report(const char *name, size_t n, size_t bytes, double best_s)
{
    (void)printf("%s: %zu messages, %zu bytes, %.0f messages/s, %.1f MB/s\n", name, n, bytes,
                 (double)n / best_s, (double)bytes / best_s / 1e6);
}

int main(int argc, char **argv)
{
    static struct hl7_segment segs[MAX_SEGS];
    static uint32_t seps[MAX_SEPS];
    struct corpus c;
    struct hl7_msg m;
    size_t n = 20000;
    unsigned passes = 5;
    const char *corpus_path = NULL;
    double best_parse = 1e30;
    double best_memchr = 1e30;
    size_t check = 0;
    unsigned p;
    int i;

    rng_state = 20261122U;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--messages") == 0 && i + 1 < argc) {
            n = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
            passes = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            rng_state = strtoull(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--write-corpus") == 0 && i + 1 < argc) {
            corpus_path = argv[++i];
        } else {
            (void)fputs("usage: bench_hl7_parse [--messages N] [--passes P] [--seed S] "
                        "[--write-corpus FILE]\n",
                        stderr);
            return 2;
        }
    }
    if (n == 0U || passes == 0U) {
        (void)fputs("bench_hl7_parse: --messages and --passes must be > 0\n", stderr);
        return 2;
    }
    generate(&c, n);
    (void)printf("corpus: %zu messages (PCD-01, PCD-03, PCD-04 in turn), %zu bytes, %.0f bytes "
                 "per message on average\n",
                 c.n, c.len, (double)c.len / (double)c.n);
    if (corpus_path != NULL && !write_corpus(&c, corpus_path)) {
        return 1;
    }
    hl7_msg_init(&m, segs, MAX_SEGS, seps, MAX_SEPS);
    for (p = 0; p < passes; p++) {
        double t0 = now_s();
        size_t s = pass_parse(&c, &m);
        double t1 = now_s();
        size_t s2 = pass_memchr(&c);
        double t2 = now_s();
        if (s == SIZE_MAX) {
            (void)fputs("bench_hl7_parse: a generated message failed to parse\n", stderr);
            return 1;
        }
        check += s + s2;
        if (t1 - t0 < best_parse) {
            best_parse = t1 - t0;
        }
        if (t2 - t1 < best_memchr) {
            best_memchr = t2 - t1;
        }
    }
    report("parse", c.n, c.len, best_parse);
    report("memchr", c.n, c.len, best_memchr);
    (void)printf("ratio: parse takes %.2f x the memchr time (best of %u passes; checksum %zu)\n",
                 best_parse / best_memchr, passes, check);
    free(c.bytes);
    free(c.off);
    return 0;
}
