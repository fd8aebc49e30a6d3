/*
 * infusionctl.h - private declarations shared by the infusionctl sources.
 *
 * The executable only wires things together (style.md 4.1): the JSON adapter loads libraries and
 * programs, the core judges them, and these files turn the results into text a nurse or a
 * pharmacist reads, or into JSON a script reads.
 */
#ifndef INFUSIONCTL_H
#define INFUSIONCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_args.h"
#include "pump/pump_ders.h"
#include "pump/pump_library.h"
#include "pump/pump_num.h"
#include "pump/pump_unit.h"

/* Exit statuses of every command. */
#define ICTL_EXIT_OK 0
#define ICTL_EXIT_INVALID 1 /* library validate: the library breaks the format */
#define ICTL_EXIT_USAGE 2   /* usage error, unusable input, invalid library for other commands */

/* ---- main.c ------------------------------------------------------------------------------- */

/* Print "infusionctl: <msg>" on stderr. */
void ictl_error(const char *msg);
void ictl_error2(const char *msg, const char *detail);

/* ---- args.c: flags ------------------------------------------------------------------------ */

/*
 * ictl_args_parse - cli_args_parse (cli_args.h: the rules, the usage errors) with infusionctl's
 * name on its messages.
 */
bool ictl_args_parse(int argc, char *const *argv, const struct cli_optdef *defs, size_t n_defs,
                     struct cli_parsed *out);

/* The exact value of a number flag: GIVEN, or BAD when the text is not a number the core can
 * represent ("nan", "inf", "1e999", "abc", ""). Never a usage error: the DERS rejects BAD. */
struct pump_value ictl_value_from_text(const char *text);

/* ---- text.c: bounded text building (truncates, never overflows) --------------------------- */

#define ICTL_TEXT_MAX 1024

struct ictl_text {
    char s[ICTL_TEXT_MAX]; /* always NUL-terminated */
    size_t len;
    bool truncated;
};

/* q as a reduced fraction (core arithmetic may return unreduced ones; pump_q_is_exact_at looks
 * at the denominator only). */
struct pump_q ictl_q_reduced(struct pump_q q);

void ictl_text_init(struct ictl_text *t);
void ictl_text_add(struct ictl_text *t, const char *s);
void ictl_text_addn(struct ictl_text *t, const char *s, size_t n);
/* q rounded half up at `decimals` places. */
void ictl_text_q(struct ictl_text *t, struct pump_q q, unsigned decimals);
/* q for a reader: exact when it terminates within 6 decimals, else rounded at 4 (8 when 4 would
 * show a non-zero value as 0). */
void ictl_text_qd(struct ictl_text *t, struct pump_q q);
void ictl_text_unit(struct ictl_text *t, struct pump_unit u);
void ictl_text_uint(struct ictl_text *t, uint64_t n);
/* A string of the library's pool. */
void ictl_text_libstr(struct ictl_text *t, const struct pump_library *lib, struct pump_str s);
/* Limits as "hard_min / soft_min – soft_max / hard_max", "—" for absent bounds. */
void ictl_text_limits(struct ictl_text *t, const struct pump_limits *l);
/* Number of UTF-8 code points of s (display width for our tables). */
size_t ictl_utf8_width(const char *s);

/* ---- table.c: aligned text tables ---------------------------------------------------------- */

struct ictl_table {
    size_t n_cols;
    size_t n_cells;
    size_t cap_cells;
    char **cells; /* row-major, malloc'd copies */
    bool failed;  /* out of memory: print refuses */
};

void ictl_table_init(struct ictl_table *t, size_t n_cols);
/* Append the next cell (row-major). */
void ictl_table_cell(struct ictl_table *t, const char *s);
/* Print with columns padded to their widest cell, two spaces apart, `indent` spaces first.
 * false when the table could not be built (out of memory). */
bool ictl_table_print(const struct ictl_table *t, FILE *f, size_t indent);
void ictl_table_free(struct ictl_table *t);

/* ---- json_out.c: a tiny JSON writer into a growing buffer ---------------------------------- */

#define ICTL_JSON_MAX_DEPTH 8

struct ictl_json {
    char *buf;
    size_t len;
    size_t cap;
    bool failed; /* out of memory or misuse: emit refuses */
    unsigned depth;
    bool first[ICTL_JSON_MAX_DEPTH];
    bool after_key;
};

void ictl_json_init(struct ictl_json *j);
void ictl_json_reset(struct ictl_json *j); /* empty again, keeps the buffer */
void ictl_json_free(struct ictl_json *j);
void ictl_json_object_begin(struct ictl_json *j);
void ictl_json_object_end(struct ictl_json *j);
void ictl_json_array_begin(struct ictl_json *j);
void ictl_json_array_end(struct ictl_json *j);
void ictl_json_key(struct ictl_json *j, const char *key);
/* A string value, escaped; invalid UTF-8 becomes U+FFFD. */
void ictl_json_string(struct ictl_json *j, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s[0..n) (n >= 1), 0 when it is not one (overlong,
 * surrogate, beyond U+10FFFF, cut short). */
size_t ictl_utf8_seq_len(const unsigned char *s, size_t n);
void ictl_json_cstring(struct ictl_json *j, const char *s);
/* An exact number: every digit when it terminates within 18 decimals, else 12 decimals. */
void ictl_json_q(struct ictl_json *j, struct pump_q q);
void ictl_json_uint(struct ictl_json *j, uint64_t n);
void ictl_json_bool(struct ictl_json *j, bool b);
void ictl_json_null(struct ictl_json *j);
/* Write the document and a newline to f and flush. false on any error. */
bool ictl_json_emit(const struct ictl_json *j, FILE *f);

/* ---- ders_text.c: results in words --------------------------------------------------------- */

/* The reason a REJECT_INVALID program was refused, as one sentence (no final period). */
void ictl_reason_text(const struct pump_library *lib, const struct pump_program *prog,
                      const struct pump_ders_result *res, struct ictl_text *t);
/* One violation as a sentence ("dose 180 units/kg/h is above the hard maximum 50 units/kg/h"). */
void ictl_violation_text(const struct pump_library *lib, const struct pump_program *prog,
                         const struct pump_ders_result *res, const struct pump_violation *v,
                         struct ictl_text *t);
/* The first line of the human output ("HARD STOP: ... for X in Y"). */
void ictl_headline_text(const struct pump_library *lib, const struct pump_program *prog,
                        const struct pump_ders_result *res, struct ictl_text *t);
/* The unit a violation's value is in ("mcg/kg/min", "kg", "mg/h"); nothing for VU_NONE. */
void ictl_violation_unit_text(const struct pump_violation *v, struct ictl_text *t);
/* The index of the violation that decided the outcome, or res->n_violations when none did. */
uint32_t ictl_deciding_violation(const struct pump_ders_result *res);
/* The program's value for an input, NULL when the input is not a number. */
const struct pump_value *ictl_input_value(const struct pump_program *prog, uint8_t in);
/* The whole human report: headline, other violations, derived figures, advisory. */
void ictl_print_human(FILE *f, const struct pump_library *lib, const struct pump_program *prog,
                      const struct pump_ders_result *res);

/* ---- cmd_library.c ------------------------------------------------------------------------ */

struct oi_druglib;
/* Load a library for use; on failure print why on stderr (every problem) and return false. */
bool ictl_load_library(const char *path, struct oi_druglib *dl);

/* ---- commands ------------------------------------------------------------------------------ */

int ictl_cmd_library(int argc, char *const *argv);
int ictl_cmd_ders(int argc, char *const *argv);

#endif
