/*
 * hl7_interop_build.c - messages built with OUR builder, for third-party parsers to read.
 *
 *   hl7_interop_build MESSAGES_FILE EXPECT_FILE
 *
 * Writes two MLLP-framed messages built with hl7_build_* (values escaped by our builder) and, for
 * each value put in, one line "MESSAGE<TAB>PATH<TAB>VALUE" (VALUE as written to the builder, i.e.
 * unescaped; PATH like "PID-5(2).1" or "OBX[3]-5", see tests/interop/node/interop.js). The npm
 * libraries must find exactly those values. The expectations come from this table, never from
 * our parser.
 */
#include <stdio.h>
#include <string.h>

#include "hl7/hl7.h"
#include "hl7/mllp.h"

/* What one builder call puts in. */
enum op { SEG, FIELD, REP, COMP, SUB, EMPTY2 };

struct step {
    enum op op;
    const char *value;  /* segment id for SEG */
    const char *path;   /* expectation, or NULL for none */
};

/* A PCD-01-like observation report with values that need every escape. */
static const struct step oru[] = {
    {SEG, "MSH", NULL},
    {FIELD, "OI^PUMP", "MSH-3"}, /* a ^ inside a value: must travel as \S\ */
    {FIELD, "OpenInfusion", "MSH-4"},
    {FIELD, "EHR", "MSH-5"},
    {FIELD, "HOSP", "MSH-6"},
    {FIELD, "20260101120000+0000", "MSH-7"},
    {FIELD, "", NULL},
    {FIELD, "ORU", "MSH-9.1"},
    {COMP, "R01", "MSH-9.2"},
    {COMP, "ORU_R01", "MSH-9.3"},
    {FIELD, "OI-INTEROP-1", "MSH-10"},
    {FIELD, "P", "MSH-11"},
    {FIELD, "2.6", "MSH-12"},
    {FIELD, "", NULL},
    {FIELD, "", NULL},
    {FIELD, "AL", "MSH-15"},
    {FIELD, "NE", "MSH-16"},
    {SEG, "PID", NULL},
    {FIELD, "1", "PID-1"},
    {FIELD, "", NULL},
    {FIELD, "12345", "PID-3(1).1"},
    {COMP, "", NULL},
    {COMP, "", NULL},
    {COMP, "HOSP", "PID-3(1).4.1"},
    {SUB, "1.2.3.4", "PID-3(1).4.2"},
    {SUB, "ISO", "PID-3(1).4.3"},
    {REP, "67890", "PID-3(2).1"},
    {FIELD, "", NULL},
    {FIELD, "O'Brien & Sons", "PID-5(1).1"}, /* & must travel as \T\ */
    {COMP, "Mary|Ann", "PID-5(1).2"},        /* | must travel as \F\ */
    {REP, "Smith~Jones", "PID-5(2).1"},      /* ~ must travel as \R\ */
    {COMP, "C:\\path\\x", "PID-5(2).2"},     /* \ must travel as \E\ */
    {SEG, "PV1", NULL},
    {FIELD, "1", "PV1-1"},
    {FIELD, "I", "PV1-2"},
    {FIELD, "ICU", "PV1-3.1"},
    {COMP, "Bed 4", "PV1-3.2"},
    {SEG, "OBR", NULL},
    {FIELD, "1", "OBR-1"},
    {FIELD, "ORD-77", "OBR-2"},
    {FIELD, "", NULL},
    {FIELD, "182777000", "OBR-4.1"},
    {COMP, "monitoring of patient", "OBR-4.2"},
    {COMP, "SNOMED-CT", "OBR-4.3"},
    {SEG, "OBX", NULL},
    {FIELD, "1", "OBX[1]-1"},
    {FIELD, "NM", "OBX[1]-2"},
    {FIELD, "150456", "OBX[1]-3.1"},
    {COMP, "MDC_PULS_OXIM_SAT_O2", "OBX[1]-3.2"},
    {COMP, "MDC", "OBX[1]-3.3"},
    {FIELD, "1.0.1.1", "OBX[1]-4"},
    {FIELD, "97.5", "OBX[1]-5"},
    {FIELD, "262688", "OBX[1]-6.1"},
    {COMP, "MDC_DIM_PERCENT", "OBX[1]-6.2"},
    {COMP, "MDC", "OBX[1]-6.3"},
    {SEG, "OBX", NULL},
    {FIELD, "2", "OBX[2]-1"},
    {FIELD, "ST", "OBX[2]-2"},
    {FIELD, "0", "OBX[2]-3.1"},
    {COMP, "NOTE", "OBX[2]-3.2"},
    {FIELD, "", NULL},
    {FIELD, "rate 5 mL/h ^ dose 2 mg & bag 1|2 ~ all \\ done", "OBX[2]-5"},
    {SEG, "OBX", NULL},
    {FIELD, "3", "OBX[3]-1"},
    {FIELD, "ST", "OBX[3]-2"},
    {FIELD, "0", "OBX[3]-3.1"},
    {FIELD, "", NULL},
    {FIELD, "first line\rsecond line", "OBX[3]-5"}, /* a CR in data travels as \X0D\ */
};

/* An original-mode ADT with a long value and an explicit null. */
static const struct step adt[] = {
    {SEG, "MSH", NULL},
    {FIELD, "ADMIT", "MSH-3"},
    {FIELD, "HOSP", "MSH-4"},
    {FIELD, "OI", "MSH-5"},
    {FIELD, "OI", "MSH-6"},
    {FIELD, "20260102083000-0500", "MSH-7"},
    {FIELD, "", NULL},
    {FIELD, "ADT", "MSH-9.1"},
    {COMP, "A01", "MSH-9.2"},
    {FIELD, "OI-INTEROP-2", "MSH-10"},
    {FIELD, "P", "MSH-11"},
    {FIELD, "2.6", "MSH-12"},
    {SEG, "PID", NULL},
    {FIELD, "1", "PID-1"},
    {FIELD, "", NULL},
    {FIELD, "A-1", "PID-3.1"},
    {FIELD, "", NULL},
    {FIELD, "Nguyen", "PID-5.1"},
    {COMP, "Thi Anh", "PID-5.2"},
    {FIELD, "", NULL},
    {FIELD, "19800101", "PID-7"},
    {EMPTY2, NULL, NULL}, /* PID-8 = "" (explicit null) */
    {SEG, "NTE", NULL},
    {FIELD, "1", "NTE-1"},
    {FIELD, "", NULL},
    {FIELD, "Allergic to penicillin; weight 70.5 kg (2026-01-02) - see notes #4 & #5",
     "NTE-3"},
};

static hl7_status build(const struct step *steps, size_t n, char *out, size_t cap, size_t *len)
{
    static const struct hl7_encoding enc = HL7_ENCODING_DEFAULT;
    struct hl7_builder b;
    size_t i;

    if (hl7_builder_init(&b, out, cap, &enc) != HL7_OK) {
        return HL7_ERR_INVAL;
    }
    for (i = 0; i < n; i++) {
        const struct step *s = &steps[i];
        switch (s->op) {
        case SEG:
            (void)hl7_build_segment(&b, s->value);
            break;
        case FIELD:
            (void)hl7_build_fieldz(&b, s->value);
            break;
        case REP:
            (void)hl7_build_repetition(&b, s->value, strlen(s->value));
            break;
        case COMP:
            (void)hl7_build_componentz(&b, s->value);
            break;
        case SUB:
            (void)hl7_build_subcomponent(&b, s->value, strlen(s->value));
            break;
        case EMPTY2:
            (void)hl7_build_null(&b);
            break;
        default:
            return HL7_ERR_INVAL;
        }
    }
    return hl7_build_finish(&b, len);
}

/* VALUE as a JSON string (our values are ASCII). */
static void put_json(FILE *f, const char *s)
{
    (void)fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '\r') {
            (void)fputs("\\r", f);
            continue;
        }
        if (*s == '"' || *s == '\\') {
            (void)fputc('\\', f);
        }
        (void)fputc(*s, f);
    }
    (void)fputc('"', f);
}

static int emit(FILE *mf, FILE *ef, unsigned index, const struct step *steps, size_t n)
{
    static char msg[8192];
    static char framed[8192 + HL7_MLLP_OVERHEAD];
    size_t len = 0;
    size_t framed_len = 0;
    size_t i;
    hl7_status st = build(steps, n, msg, sizeof msg, &len);

    if (st == HL7_OK) {
        st = hl7_mllp_frame(msg, len, framed, sizeof framed, &framed_len);
    }
    if (st != HL7_OK) {
        (void)fprintf(stderr, "hl7_interop_build: message %u: %s\n", index, hl7_status_str(st));
        return 1;
    }
    (void)fwrite(framed, 1, framed_len, mf);
    for (i = 0; i < n; i++) {
        if (steps[i].path != NULL) {
            (void)fprintf(ef, "%u\t%s\t", index, steps[i].path);
            put_json(ef, steps[i].value);
            (void)fputc('\n', ef);
        }
    }
    if (index == 2U) {
        (void)fprintf(ef, "2\tPID-8\tnull\n"); /* the explicit null */
    }
    return 0;
}

int main(int argc, char **argv)
{
    FILE *mf;
    FILE *ef;
    int rc;

    if (argc != 3) {
        (void)fputs("usage: hl7_interop_build MESSAGES_FILE EXPECT_FILE\n", stderr);
        return 2;
    }
    mf = fopen(argv[1], "wb");
    ef = fopen(argv[2], "w");
    if (mf == NULL || ef == NULL) {
        (void)fputs("hl7_interop_build: cannot write the output files\n", stderr);
        return 2;
    }
    rc = emit(mf, ef, 1, oru, sizeof oru / sizeof oru[0]) |
         emit(mf, ef, 2, adt, sizeof adt / sizeof adt[0]);
    if (fclose(mf) != 0 || fclose(ef) != 0) {
        rc = 2;
    }
    return rc;
}
