/* json.c -- the results as JSON (see json.h). */
#include "report/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>

#include "metrics/consensus.h"
#include "report/columns.h"
#include "report/ranking_out.h"
#include "report/svg.h"
#include "util/fsout.h"

static void j_str(FILE *f, const char *s)
{
    fputc('"', f);
    while (*s) {
        unsigned cp;
        int len = ckr_utf8_decode(s, &cp);
        if (cp == 0xFFFD && len == 1 && (unsigned char)*s >= 0x80)
            fputs("\\ufffd", f);
        else if (cp == '"')
            fputs("\\\"", f);
        else if (cp == '\\')
            fputs("\\\\", f);
        else if (cp < 0x20)
            fprintf(f, "\\u%04x", cp);
        else
            fwrite(s, 1, (size_t)len, f);
        s += len;
    }
    fputc('"', f);
}

static void j_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("null", f);
}

/* "key": */
static void j_key(FILE *f, const char *key)
{
    j_str(f, key);
    fputs(": ", f);
}

/* The value of cell c of row (a row of table t); null when it is unknown
 * (an ok-only value of a failed row; a run-only value from CSV files). */
static void j_cell(FILE *f, const ckr_table_desc *t, const ckr_cell *cell, const void *row,
                   unsigned flags)
{
    const ckr_column *c = cell->col;
    if (!ckr_col_known(t, c, row) ||
        ((flags & CKR_JSON_FROM_CSV) && (c->flags & CKR_COL_RUN_ONLY))) {
        fputs("null", f);
        return;
    }
    switch (c->type) {
    case CKR_COL_STR:
        j_str(f, ckr_col_str(c, row));
        break;
    case CKR_COL_F64:
        j_num(f, ckr_col_f64(c, row));
        break;
    case CKR_COL_F64_K:
        j_num(f, ckr_col_f64_k(c, row, cell->j));
        break;
    case CKR_COL_I32:
        fprintf(f, "%d", ckr_col_int(c, row));
        break;
    case CKR_COL_BOOL:
        fputs(ckr_col_int(c, row) ? "true" : "false", f);
        break;
    case CKR_COL_U64:
        fprintf(f, "%llu", ckr_col_u64(c, row));
        break;
    }
}

/* One row of table t as an object {"key": value, ...}, nk cut-offs k. */
static void write_row(FILE *f, const ckr_table_desc *t, const void *row, int nk, const int *k,
                      unsigned flags)
{
    ckr_cell cells[CKR_MAX_CELLS];
    size_t nc = ckr_table_cells(t, CKR_COL_JSON, nk, cells);
    fputc('{', f);
    for (size_t j = 0; j < nc; j++) {
        char key[128];
        ckr_cell_name(&cells[j], k, key, sizeof key);
        if (j)
            fputs(", ", f);
        j_key(f, key);
        j_cell(f, t, &cells[j], row, flags);
    }
    fputc('}', f);
}

/* The provenance object; from CSV files (no run) an empty string is null too. */
static void write_provenance(FILE *f, const ckr_results_meta *m, unsigned flags)
{
    const ckr_table_desc *t = &ckr_meta_table;
    fputs("\"provenance\": {", f);
    for (size_t i = 0, n = 0; i < t->n_col; i++) {
        const ckr_column *c = &t->col[i];
        if (!(c->flags & CKR_COL_JSON))
            continue;
        fputs(n++ ? ", " : "", f);
        j_key(f, c->name);
        if ((flags & CKR_JSON_FROM_CSV) && c->type == CKR_COL_STR && !ckr_col_str(c, m)[0])
            fputs("null", f);
        else
            j_cell(f, t, &(ckr_cell){ c, -1 }, m, flags);
    }
    fputs("},\n", f);
}

/* The rows[0..n) of table t, one per line, with the cut-offs k[0..nk). */
static void write_rows(FILE *f, const ckr_table_desc *t, const void *rows, size_t n, int nk,
                       const int *k, unsigned flags)
{
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ",\n" : "\n", f);
        write_row(f, t, (const char *)rows + i * t->row_size, nk, k, flags);
    }
}

/* "ranking": [...], "agreement": [...] of the ranking k (see json.h). */
static void write_ranking(FILE *f, const ckr_ranking *k, const char **names, double *tau, int *nc)
{
    fputs("\"ranking\": [", f);
    for (size_t i = 0; i < k->n_rows; i++) {
        const ckr_rank_row *q = &k->rows[i];
        fputs(i ? ",\n{" : "\n{", f);
        j_key(f, "task");
        j_str(f, q->task);
        fputs(", ", f);
        j_key(f, "method");
        j_str(f, q->method);
        fputs(", ", f);
        j_key(f, "rank");
        j_num(f, q->rank);
        fputs(", ", f);
        j_key(f, "checkpoint");
        j_str(f, q->ckpt);
        fputs(", ", f);
        j_key(f, "score");
        j_num(f, q->score);
        fprintf(f, ", \"n_methods\": %d}", q->n_methods);
    }
    fputs("],\n\"agreement\": [", f);
    const char *task;
    for (size_t t = 0; (task = ckr_agree_task(k, t)) != NULL; t++) {
        size_t m = ckr_agree_matrix(k, task, names, tau, nc);
        fputs(t ? ",\n{" : "\n{", f);
        j_key(f, "task");
        j_str(f, task);
        fputs(", \"methods\": [", f);
        for (size_t i = 0; i < m; i++) {
            fputs(i ? ", " : "", f);
            j_str(f, names[i]);
        }
        fputs("], \"kendall\": [", f);
        for (size_t i = 0; i < m; i++) {
            fputs(i ? ", [" : "[", f);
            for (size_t j = 0; j < m; j++) {
                fputs(j ? ", " : "", f);
                j_num(f, tau[i * m + j]);
            }
            fputs("]", f);
        }
        fputs("], \"n_common\": [", f);
        for (size_t i = 0; i < m; i++) {
            fputs(i ? ", [" : "[", f);
            for (size_t j = 0; j < m; j++)
                fprintf(f, "%s%d", j ? ", " : "", nc[i * m + j]);
            fputs("]", f);
        }
        fputs("]}", f);
    }
    fputs("]", f);
}

int ckr_results_write_json(const char *path, const ckr_results *r, unsigned flags, ckr_err *err)
{
    ckr_ranking rk;
    int rc = ckr_ranking_compute(r->scores, r->n_scores, &rk, err);
    if (rc)
        return rc;
    const char **names = malloc(CKR_AGREE_MAX * sizeof *names);
    double *tau = malloc(CKR_AGREE_MAX * CKR_AGREE_MAX * sizeof *tau);
    int *nc = malloc(CKR_AGREE_MAX * CKR_AGREE_MAX * sizeof *nc);
    ckr_fsout o;
    if (!names || !tau || !nc)
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for the agreement matrices");
    if (!rc)
        rc = ckr_fsout_open(&o, path, err);
    if (rc) {
        ckr_ranking_free(&rk);
        free(names);
        free(tau);
        free(nc);
        return rc;
    }
    FILE *f = o.f;
    fputs("{\"format\": \"ckptrank-results-json\", \"format_version\": 1,\n", f);
    write_provenance(f, &r->meta, flags);
    /* the cut-offs of the metrics (every row has the same) */
    int nk = r->n_metrics > 0 ? r->metrics[0].nk : 0;
    const int *k = r->n_metrics > 0 ? r->metrics[0].k : NULL;
    nk = nk < CKR_MAX_K ? nk : CKR_MAX_K;
    fputs("\"k\": [", f);
    for (int j = 0; j < nk; j++)
        fprintf(f, "%s%d", j ? ", " : "", k[j]);
    fputs("],\n\"scores\": [", f);
    write_rows(f, &ckr_score_table, r->scores, r->n_scores, 0, NULL, flags);
    fputs("],\n\"metrics\": [", f);
    write_rows(f, &ckr_metric_table, r->metrics, r->n_metrics, nk, k, flags);
    fputs("],\n\"ground_truth\": [", f);
    write_rows(f, &ckr_gt_table, r->gt, r->n_gt, 0, NULL, flags);
    fputs("],\n", f);
    write_ranking(f, &rk, names, tau, nc);
    fputs("}\n", f);
    ckr_ranking_free(&rk);
    free(names);
    free(tau);
    free(nc);
    return ckr_fsout_commit(&o, err);
}
