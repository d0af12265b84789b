/* results_csv.c -- the CSV files (see results_csv.h); the columns come from
 * report/columns.h. */
#include "report/results_csv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/columns.h"
#include "report/csvread.h"
#include "util/fsout.h"
#include "util/msg.h"

/* ---- writing ------------------------------------------------------------------ */

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_number(FILE *f, double x)
{
    if (isnan(x))
        return; /* empty field */
    fprintf(f, "%.17g", x);
}

static void csv_cell(FILE *f, const ckr_table_desc *t, const ckr_cell *cell, const void *row)
{
    const ckr_column *c = cell->col;
    if (!ckr_col_known(t, c, row))
        return; /* empty field */
    switch (c->type) {
    case CKR_COL_STR:
        csv_field(f, ckr_col_str(c, row));
        break;
    case CKR_COL_F64:
        csv_number(f, ckr_col_f64(c, row));
        break;
    case CKR_COL_F64_K:
        csv_number(f, ckr_col_f64_k(c, row, cell->j));
        break;
    case CKR_COL_I32:
    case CKR_COL_BOOL:
        fprintf(f, "%d", ckr_col_int(c, row));
        break;
    case CKR_COL_U64:
        fprintf(f, "%llu", ckr_col_u64(c, row));
        break;
    }
}

/* Write rows[0..n) of table t: its CSV columns, nk cut-offs k. */
static int write_csv(const char *path, const ckr_table_desc *t, const void *rows, size_t n,
                     const int *k, int nk, ckr_err *err)
{
    ckr_fsout o;
    int rc = ckr_fsout_open(&o, path, err);
    if (rc)
        return rc;
    FILE *f = o.f;
    ckr_cell cells[CKR_MAX_CELLS];
    size_t nc = ckr_table_cells(t, CKR_COL_CSV, nk, cells);
    for (size_t j = 0; j < nc; j++) {
        char name[128];
        ckr_cell_name(&cells[j], k, name, sizeof name);
        if (j)
            fputc(',', f);
        csv_field(f, name);
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        const void *row = (const char *)rows + i * t->row_size;
        for (size_t j = 0; j < nc; j++) {
            if (j)
                fputc(',', f);
            csv_cell(f, t, &cells[j], row);
        }
        fputc('\n', f);
    }
    return ckr_fsout_commit(&o, err);
}

int ckr_scores_write_csv(const char *path, const ckr_score_row *rows, size_t n, ckr_err *err)
{
    return write_csv(path, &ckr_score_table, rows, n, NULL, 0, err);
}

int ckr_metrics_write_csv(const char *path, const ckr_metric_row *rows, size_t n, ckr_err *err)
{
    return write_csv(path, &ckr_metric_table, rows, n, n ? rows[0].k : NULL, n ? rows[0].nk : 0,
                     err);
}

/* ---- reading ------------------------------------------------------------------- */

static int find_col(char **hdr, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(hdr[i], name) == 0)
            return i;
    return -1;
}

typedef struct grow {
    void *v;
    size_t n, cap, esz;
    size_t *line;        /* the line each row starts on (cap entries) */
    size_t line_cap;
} grow;

/* Record that the last row pushed starts on line `lineno`. */
static int grow_line(grow *g, size_t lineno)
{
    if (g->line_cap < g->cap) {
        size_t *l = realloc(g->line, g->cap * sizeof *l);
        if (!l)
            return -1;
        g->line = l;
        g->line_cap = g->cap;
    }
    g->line[g->n - 1] = lineno;
    return 0;
}

static void *grow_push(grow *g)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 64;
        void *v = realloc(g->v, cap * g->esz);
        if (!v)
            return NULL;
        g->v = v;
        g->cap = cap;
    }
    void *e = (char *)g->v + g->n++ * g->esz;
    memset(e, 0, g->esz);
    return e;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    if (!*s)
        return -1;
    *out = strtod(s, &end);
    while (*end == ' ')
        end++;
    return *end ? -1 : 0;
}

static int parse_integer(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    if (!*s)
        return -1;
    errno = 0;
    *out = strtoll(s, &end, 10);
    while (*end == ' ')
        end++;
    return *end || errno || *out < lo || *out > hi ? -1 : 0;
}

/* Store text s into the field of column c (not CKR_COL_OK_ONLY) of row. An
 * unparsable number is an error for a needed column and leaves the field 0
 * otherwise. */
static int store_field(const ckr_column *c, void *row, const char *s, size_t lineno,
                       const char *path, ckr_err *err)
{
    void *dst = ckr_col_field(c, row);
    int needed = (c->flags & CKR_COL_CSV_NEEDED) != 0;
    double x;
    long long v;
    switch (c->type) {
    case CKR_COL_STR:
        if (strlen(s) < c->size) {
            memcpy(dst, s, strlen(s) + 1);
            return 0;
        }
        if (c->flags & CKR_COL_FIT) {
            ckr_msg_fit(dst, c->size, s);
            return 0;
        }
        return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: %s is %zu bytes long (at most %zu)",
                           path, lineno, c->name, strlen(s), c->size - 1);
    case CKR_COL_F64:
        if (parse_double(s, &x) == 0 && (!needed || isfinite(x))) {
            memcpy(dst, &x, sizeof x);
            return 0;
        }
        break;
    case CKR_COL_I32:
    case CKR_COL_BOOL:
        if (parse_integer(s, c->type == CKR_COL_BOOL ? 0 : INT_MIN,
                          c->type == CKR_COL_BOOL ? 1 : INT_MAX, &v) == 0) {
            int i = (int)v;
            memcpy(dst, &i, sizeof i);
            return 0;
        }
        break;
    case CKR_COL_U64:
        if (parse_integer(s, 0, LLONG_MAX, &v) == 0) {
            unsigned long long u = (unsigned long long)v;
            memcpy(dst, &u, sizeof u);
            return 0;
        }
        break;
    case CKR_COL_F64_K:
        break;
    }
    if (!needed)
        return 0;
    return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: %s '%s' is not a finite number", path,
                       lineno, c->name, s);
}

/* The status rule of a table with a status and an ok-only column (the
 * score): a status other than "ok" stands and the value is NaN; an empty
 * value means "bad-data" (the row said ok) or "no-score" (it said nothing);
 * else the value must be a finite number and the status becomes "ok". */
static int apply_status(const ckr_table_desc *t, const ckr_column *c, void *row, const char *s,
                        size_t lineno, const char *path, ckr_err *err)
{
    const ckr_column *sc = ckr_table_status(t);
    char *status = ckr_col_field(sc, row);
    size_t cap = sc->size;
    double x = NAN;
    if (status[0] && strcmp(status, "ok") != 0) {
        /* a failed row: keep its status */
    } else if (!s[0]) {
        snprintf(status, cap, "%s", status[0] ? "bad-data" : "no-score");
    } else if (parse_double(s, &x) != 0 || !isfinite(x)) {
        return ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: %s '%s' is not a finite number", path,
                           lineno, c->name, s);
    } else {
        snprintf(status, cap, "ok");
    }
    memcpy(ckr_col_field(c, row), &x, sizeof x);
    return 0;
}

/* ---- duplicate rows -------------------------------------------------------------- */

typedef struct dup_ctx {
    const ckr_table_desc *t;
    const char *rows;
} dup_ctx;

static dup_ctx g_dup; /* qsort has no context argument; reading is single-threaded */

/* The row's key: its needed string columns (checkpoint, task[, method]). */
static int key_cmp(const ckr_table_desc *t, const void *a, const void *b)
{
    for (size_t j = 0; j < t->n_col; j++) {
        const ckr_column *c = &t->col[j];
        if (c->type != CKR_COL_STR || !(c->flags & CKR_COL_CSV_NEEDED))
            continue;
        int d = strcmp(ckr_col_str(c, a), ckr_col_str(c, b));
        if (d)
            return d;
    }
    return 0;
}

static int cmp_idx(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int d = key_cmp(g_dup.t, g_dup.rows + a * g_dup.t->row_size, g_dup.rows + b * g_dup.t->row_size);
    return d ? d : (a > b) - (a < b);
}

/* 1 if rows a and b say the same: the same status (if the table has one) and
 * the same bits in every needed number column (NaN equal to NaN). */
static int same_value(const ckr_table_desc *t, const void *a, const void *b)
{
    const ckr_column *sc = ckr_table_status(t);
    if (sc && strcmp(ckr_col_str(sc, a), ckr_col_str(sc, b)) != 0)
        return 0;
    for (size_t j = 0; j < t->n_col; j++) {
        const ckr_column *c = &t->col[j];
        if (c->type != CKR_COL_F64 || !(c->flags & CKR_COL_CSV_NEEDED))
            continue;
        double x = ckr_col_f64(c, a), y = ckr_col_f64(c, b);
        if (memcmp(&x, &y, sizeof x) != 0 && !(isnan(x) && isnan(y)))
            return 0;
    }
    return 1;
}

/* The key of row as "checkpoint / task[ / method]" into buf. */
static void key_text(const ckr_table_desc *t, const void *row, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < t->n_col && at < len; j++) {
        const ckr_column *c = &t->col[j];
        if (c->type == CKR_COL_STR && (c->flags & CKR_COL_CSV_NEEDED))
            at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? " / " : "",
                                   ckr_col_str(c, row));
    }
}

/* After reading: the task name "mean" is refused (it is the name of the
 * mean-over-tasks rows of the metrics); rows repeating an earlier row's key
 * are dropped when they say the same (status and value) and refused when
 * they disagree, naming both lines. */
static int check_rows(const ckr_table_desc *t, grow *g, const char *path, ckr_err *err)
{
    for (size_t j = 0; j < t->n_col; j++)
        if (strcmp(t->col[j].name, "task") == 0)
            for (size_t i = 0; i < g->n; i++)
                if (strcmp(ckr_col_str(&t->col[j], (char *)g->v + i * t->row_size),
                           CKR_MEAN_TASK) == 0)
                    return ckr_err_set(err, CKR_EFORMAT,
                                       "%s: line %zu: task name '%s' is reserved for the "
                                       "mean-over-tasks rows of the metrics (rename the task)",
                                       path, g->line[i], CKR_MEAN_TASK);
    if (g->n < 2)
        return 0;
    size_t *idx = malloc(g->n * sizeof *idx);
    char *drop = calloc(g->n, 1);
    int rc = 0;
    if (!idx || !drop) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
        goto cleanup;
    }
    for (size_t i = 0; i < g->n; i++)
        idx[i] = i;
    g_dup = (dup_ctx){ t, g->v };
    qsort(idx, g->n, sizeof *idx, cmp_idx);
    for (size_t i = 1, first = 0; i < g->n; i++) {
        const char *a = (char *)g->v + idx[first] * t->row_size;
        const char *b = (char *)g->v + idx[i] * t->row_size;
        if (key_cmp(t, a, b) != 0) {
            first = i;
            continue;
        }
        if (!same_value(t, a, b)) {
            char key[800];
            key_text(t, a, key, sizeof key);
            rc = ckr_err_set(err, CKR_EDATA,
                             "%s: lines %zu and %zu: two different rows for %s (a duplicate "
                             "that disagrees: remove one)",
                             path, g->line[idx[first]], g->line[idx[i]], key);
            goto cleanup;
        }
        drop[idx[i]] = 1;
    }
    size_t m = 0;
    for (size_t i = 0; i < g->n; i++)
        if (!drop[i]) {
            if (m != i)
                memcpy((char *)g->v + m * t->row_size, (char *)g->v + i * t->row_size,
                       t->row_size);
            g->line[m++] = g->line[i];
        }
    g->n = m;
cleanup:
    free(idx);
    free(drop);
    return rc;
}

/* Read a CSV of table t: its header must contain the table's needed CSV
 * columns (others are ignored); one row per non-blank record. */
static int read_csv(const char *path, const ckr_table_desc *t, void **rows, size_t *n_rows,
                    ckr_err *err)
{
    ckr_csv in;
    int rc = ckr_csv_open(&in, path, err);
    if (rc)
        return rc;
    grow g = { NULL, 0, 0, t->row_size, NULL, 0 };
    char *fields[CKR_CSV_MAX_FIELDS], *hdr[CKR_CSV_MAX_FIELDS];
    int cols[CKR_MAX_CELLS], nh = 0, blank = 1;
    size_t lineno = 0;
    while (blank && (rc = ckr_csv_next(&in, hdr, &nh, &lineno, &blank, err)) == 1)
        ;
    if (rc <= 0) {
        if (rc == 0)
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: empty file (expected a CSV header)", path);
        goto cleanup;
    }
    rc = 0;
    for (size_t j = 0; j < t->n_col && j < CKR_MAX_CELLS; j++) {
        const ckr_column *c = &t->col[j];
        cols[j] = (c->flags & CKR_COL_CSV) && c->type != CKR_COL_F64_K ? find_col(hdr, nh, c->name)
                                                                         : -1;
        if (cols[j] < 0 && (c->flags & CKR_COL_CSV_NEEDED)) {
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: line %zu: the header has no column '%s'",
                             path, lineno, c->name);
            goto cleanup;
        }
    }
    int nf;
    while ((rc = ckr_csv_next(&in, fields, &nf, &lineno, &blank, err)) == 1) {
        rc = 0;
        if (blank)
            continue;
        for (size_t j = 0; j < t->n_col; j++)
            if ((t->col[j].flags & CKR_COL_CSV_NEEDED) && cols[j] >= nf) {
                rc = ckr_err_set(err, CKR_EFORMAT,
                                 "%s: line %zu: %d fields, expected at least %d (too few fields "
                                 "for column '%s')",
                                 path, lineno, nf, cols[j] + 1, t->col[j].name);
                goto cleanup;
            }
        void *row = grow_push(&g);
        if (!row) {
            rc = ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
            goto cleanup;
        }
        const ckr_column *ok_only = NULL;
        const char *ok_only_text = "";
        for (size_t j = 0; j < t->n_col && !rc; j++) {
            const ckr_column *c = &t->col[j];
            if (cols[j] < 0 || cols[j] >= nf)
                continue;
            if ((c->flags & CKR_COL_OK_ONLY) && ckr_table_status(t)) {
                ok_only = c;
                ok_only_text = fields[cols[j]];
                continue;
            }
            rc = store_field(c, row, fields[cols[j]], lineno, path, err);
        }
        if (!rc && ok_only)
            rc = apply_status(t, ok_only, row, ok_only_text, lineno, path, err);
        if (rc)
            goto cleanup;
        if (grow_line(&g, lineno) != 0) {
            rc = ckr_err_set(err, CKR_ENOMEM, "out of memory reading %s", path);
            goto cleanup;
        }
    }
    if (rc == 0)
        rc = check_rows(t, &g, path, err);
cleanup:
    ckr_csv_close(&in);
    free(g.line);
    if (rc) {
        free(g.v);
        return rc;
    }
    *rows = g.v;
    *n_rows = g.n;
    return 0;
}

int ckr_scores_read_csv(const char *path, ckr_score_row **rows, size_t *n, ckr_err *err)
{
    void *v = NULL;
    int rc = read_csv(path, &ckr_score_table, &v, n, err);
    if (!rc)
        *rows = v;
    return rc;
}

int ckr_gt_read_csv(const char *path, ckr_gt_row **rows, size_t *n, ckr_err *err)
{
    void *v = NULL;
    int rc = read_csv(path, &ckr_gt_table, &v, n, err);
    if (!rc)
        *rows = v;
    return rc;
}
