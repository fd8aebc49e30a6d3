/*
 * table.c - aligned text tables (library show).
 *
 * Cells are copied; widths count UTF-8 code points so "—" and "–" line up like ASCII.
 */
#include <stdlib.h>
#include <string.h>

#include "infusionctl.h"

#define TABLE_MAX_COLS 16

void ictl_table_init(struct ictl_table *t, size_t n_cols)
{
    memset(t, 0, sizeof *t);
    t->n_cols = n_cols;
    if (n_cols == 0 || n_cols > TABLE_MAX_COLS) {
        t->failed = true;
    }
}

static bool grow(struct ictl_table *t)
{
    size_t cap = (t->cap_cells == 0) ? 64U : t->cap_cells * 2U;
    char **cells;

    if (cap > SIZE_MAX / sizeof *cells) {
        return false;
    }
    cells = realloc(t->cells, cap * sizeof *cells);
    if (cells == NULL) {
        return false;
    }
    t->cells = cells;
    t->cap_cells = cap;
    return true;
}

void ictl_table_cell(struct ictl_table *t, const char *s)
{
    size_t n = strlen(s);
    char *copy;

    if (t->failed) {
        return;
    }
    if (t->n_cells == t->cap_cells && !grow(t)) {
        t->failed = true;
        return;
    }
    copy = malloc(n + 1);
    if (copy == NULL) {
        t->failed = true;
        return;
    }
    memcpy(copy, s, n + 1);
    t->cells[t->n_cells] = copy;
    t->n_cells++;
}

static bool pad(FILE *f, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (fputc(' ', f) == EOF) {
            return false;
        }
    }
    return true;
}

static bool print_row(const struct ictl_table *t, FILE *f, size_t row, const size_t *width,
                      size_t indent)
{
    size_t c;
    size_t n = t->n_cols;

    /* Empty cells at the end of a row: no padding for them (no trailing spaces). */
    while (n > 1 && t->cells[row * t->n_cols + n - 1][0] == '\0') {
        n--;
    }
    if (!pad(f, indent)) {
        return false;
    }
    for (c = 0; c < n; c++) {
        const char *cell = t->cells[row * t->n_cols + c];
        bool last = (c + 1 == n);
        if (fputs(cell, f) == EOF) {
            return false;
        }
        if (!last && !pad(f, width[c] - ictl_utf8_width(cell) + 2U)) {
            return false;
        }
    }
    return fputc('\n', f) != EOF;
}

bool ictl_table_print(const struct ictl_table *t, FILE *f, size_t indent)
{
    size_t width[TABLE_MAX_COLS] = {0};
    size_t i;
    size_t n_rows;

    if (t->failed || t->n_cells % t->n_cols != 0) {
        return false;
    }
    for (i = 0; i < t->n_cells; i++) {
        size_t w = ictl_utf8_width(t->cells[i]);
        size_t c = i % t->n_cols;
        if (w > width[c]) {
            width[c] = w;
        }
    }
    n_rows = t->n_cells / t->n_cols;
    for (i = 0; i < n_rows; i++) {
        if (!print_row(t, f, i, width, indent)) {
            return false;
        }
    }
    return true;
}

void ictl_table_free(struct ictl_table *t)
{
    size_t i;

    for (i = 0; i < t->n_cells; i++) {
        free(t->cells[i]);
    }
    free(t->cells);
    memset(t, 0, sizeof *t);
}
