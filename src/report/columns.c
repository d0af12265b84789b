/* columns.c -- the column tables of the results (see columns.h). */
#include "report/columns.h"

#include <stdio.h>
#include <string.h>

#include "report/results.h"

#define H5 CKR_COL_H5
#define JSON CKR_COL_JSON
#define CSV CKR_COL_CSV
#define NEEDED (CKR_COL_CSV | CKR_COL_CSV_NEEDED)
#define ALL (H5 | JSON | CSV)
#define COL(st, field, name, type, flags) \
    { name, CKR_COL_##type, offsetof(st, field), sizeof(((st *)0)->field), flags }

static const ckr_column score_cols[] = {
    COL(ckr_score_row, ckpt, "checkpoint", STR, H5 | JSON | NEEDED),
    COL(ckr_score_row, task, "task", STR, H5 | JSON | NEEDED),
    COL(ckr_score_row, method, "method", STR, H5 | JSON | NEEDED),
    COL(ckr_score_row, score, "score", F64, H5 | JSON | NEEDED | CKR_COL_OK_ONLY),
    COL(ckr_score_row, status, "status", STR, ALL),
    COL(ckr_score_row, message, "message", STR, H5 | JSON | CKR_COL_FIT),
    COL(ckr_score_row, info, "info", STR, H5 | JSON | CKR_COL_FIT),
    COL(ckr_score_row, seconds, "seconds", F64, ALL),
    COL(ckr_score_row, gflops, "gflops", F64, ALL),
    COL(ckr_score_row, heldout, "heldout", F64, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_score_row, sweep, "sweep", STR, H5 | JSON),
    COL(ckr_score_row, best, "best", BOOL, H5 | JSON),
    COL(ckr_score_row, terms, "terms", STR, ALL | CKR_COL_H5_OPTIONAL),
};

static const ckr_column gt_cols[] = {
    COL(ckr_gt_row, ckpt, "checkpoint", STR, H5 | JSON | NEEDED),
    COL(ckr_gt_row, task, "task", STR, H5 | JSON | NEEDED),
    COL(ckr_gt_row, accuracy, "accuracy", F64, H5 | JSON | NEEDED),
};

static const ckr_column metric_cols[] = {
    COL(ckr_metric_row, task, "task", STR, ALL),
    COL(ckr_metric_row, method, "method", STR, ALL),
    COL(ckr_metric_row, n_checkpoints, "n_checkpoints", I32, ALL),
    COL(ckr_metric_row, n_excluded, "n_excluded", I32, H5 | JSON),
    COL(ckr_metric_row, recall, "recall", F64_K, ALL),
    COL(ckr_metric_row, rel, "rel", F64_K, ALL),
    COL(ckr_metric_row, pearson, "pearson", F64, ALL),
    COL(ckr_metric_row, kendall, "kendall", F64, ALL),
    COL(ckr_metric_row, weighted_kendall, "weighted_kendall", F64, ALL),
    COL(ckr_metric_row, mean_seconds, "mean_seconds", F64, H5 | JSON),
    COL(ckr_metric_row, mean_gflops, "mean_gflops", F64, H5 | JSON),
};

static const ckr_column meta_cols[] = {
    COL(ckr_results_meta, command_line, "command_line", STR, H5 | JSON),
    COL(ckr_results_meta, version, "version", STR, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, zoo, "zoo", STR, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, methods, "methods", STR, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, seed, "seed", U64, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, n_ranks, "n_ranks", I32, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, start_time, "start_time", STR, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, end_time, "end_time", STR, H5 | JSON | CKR_COL_RUN_ONLY),
    COL(ckr_results_meta, seconds, "seconds", F64, H5 | JSON | CKR_COL_RUN_ONLY),
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const ckr_table_desc ckr_score_table = { "scores", score_cols, N_OF(score_cols),
                                         sizeof(ckr_score_row),
                                         (long)offsetof(ckr_score_row, status) };
const ckr_table_desc ckr_gt_table = { "ground_truth", gt_cols, N_OF(gt_cols), sizeof(ckr_gt_row),
                                      -1 };
const ckr_table_desc ckr_metric_table = { "metrics", metric_cols, N_OF(metric_cols),
                                          sizeof(ckr_metric_row), -1 };
const ckr_table_desc ckr_meta_table = { NULL, meta_cols, N_OF(meta_cols),
                                        sizeof(ckr_results_meta), -1 };

/* ---- field access ----------------------------------------------------------- */

static const void *field(const ckr_column *c, const void *row)
{
    return (const char *)row + c->offset;
}

void *ckr_col_field(const ckr_column *c, void *row)
{
    return (char *)row + c->offset;
}

const char *ckr_col_str(const ckr_column *c, const void *row)
{
    return field(c, row);
}

double ckr_col_f64(const ckr_column *c, const void *row)
{
    double x;
    memcpy(&x, field(c, row), sizeof x);
    return x;
}

double ckr_col_f64_k(const ckr_column *c, const void *row, int j)
{
    double x;
    memcpy(&x, (const char *)field(c, row) + (size_t)j * sizeof x, sizeof x);
    return x;
}

int ckr_col_int(const ckr_column *c, const void *row)
{
    int x;
    memcpy(&x, field(c, row), sizeof x);
    return x;
}

unsigned long long ckr_col_u64(const ckr_column *c, const void *row)
{
    unsigned long long x;
    memcpy(&x, field(c, row), sizeof x);
    return x;
}

const ckr_column *ckr_table_status(const ckr_table_desc *t)
{
    for (size_t i = 0; t->status_offset >= 0 && i < t->n_col; i++)
        if (t->col[i].type == CKR_COL_STR && t->col[i].offset == (size_t)t->status_offset)
            return &t->col[i];
    return NULL;
}

int ckr_col_known(const ckr_table_desc *t, const ckr_column *c, const void *row)
{
    if (!(c->flags & CKR_COL_OK_ONLY) || t->status_offset < 0)
        return 1;
    return strcmp((const char *)row + t->status_offset, "ok") == 0;
}

/* ---- cells ------------------------------------------------------------------- */

size_t ckr_table_cells(const ckr_table_desc *t, unsigned format, int nk, ckr_cell *out)
{
    nk = nk < 0 ? 0 : nk > CKR_MAX_K ? CKR_MAX_K : nk;
    size_t n = 0;
    for (size_t a = 0, b; a < t->n_col; a = b) {
        b = a + 1;
        if (t->col[a].type != CKR_COL_F64_K) {
            if ((t->col[a].flags & format) == format && n < CKR_MAX_CELLS)
                out[n++] = (ckr_cell){ &t->col[a], -1 };
            continue;
        }
        while (b < t->n_col && t->col[b].type == CKR_COL_F64_K)
            b++;
        for (int j = 0; j < nk; j++)
            for (size_t c = a; c < b; c++)
                if ((t->col[c].flags & format) == format && n < CKR_MAX_CELLS)
                    out[n++] = (ckr_cell){ &t->col[c], j };
    }
    return n;
}

void ckr_cell_name(const ckr_cell *c, const int *k, char *buf, size_t len)
{
    if (c->j < 0)
        snprintf(buf, len, "%s", c->col->name);
    else
        snprintf(buf, len, "%s@%d", c->col->name, k[c->j]);
}
