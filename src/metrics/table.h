/* table.h -- the metrics table: ranking quality per (task, method) and the
 * mean over tasks, from score rows and ground-truth rows.
 *
 * For each task and method: the checkpoints that have an ok score and a
 * ground truth are ranked (n_checkpoints of them); rows with a non-ok status
 * are left out and counted in n_excluded. Then one `mean` row per method:
 * the arithmetic mean over tasks of each metric (NaN values skipped), and the
 * mean seconds and GFLOPs per item over all of the method's rows. */
#ifndef CKR_TABLE_H
#define CKR_TABLE_H

#include <stddef.h>

#include "util/err.h"

#define CKR_MAX_K 8

/* The task name of the mean-over-tasks rows. It is reserved: score rows of a
 * task of this name are refused (CKR_EDATA), so a metrics row whose task is
 * CKR_MEAN_TASK is always a mean row, in every output format. */
#define CKR_MEAN_TASK "mean"

typedef struct ckr_score_row {
    char ckpt[256], task[256], method[256];
    char sweep[256];         /* the sweep spec this row is a grid point of, or "" */
    double score;            /* NaN unless status is "ok" */
    char status[32], message[256], info[256];
    double seconds, gflops;
    double heldout;          /* trained methods: test-split accuracy, NaN if none */
    int best;                /* 1: the best grid point of its sweep, and the sweep's summary row */
    char terms[224];         /* a score normalised across checkpoints (ncti, etran): the
                                method's weights and the pair's raw terms as text,
                                "w1:t1 w2:t2 ..." (report/crossnorm.h); "" for every
                                other score */
} ckr_score_row;

/* 1 if the row counts as scored: status "ok" and a finite score (the rows the
 * metrics rank, given a ground truth, and the page plots); 0 otherwise. */
int ckr_score_row_is_ok(const ckr_score_row *s);

typedef struct ckr_gt_row {
    char ckpt[256], task[256];
    double accuracy;
} ckr_gt_row;

typedef struct ckr_metric_row {
    char task[256];          /* task name or CKR_MEAN_TASK */
    char method[256];
    int n_checkpoints;       /* ranked (ok score and ground truth) */
    int n_excluded;          /* non-ok rows left out */
    int nk;
    int k[CKR_MAX_K];
    double recall[CKR_MAX_K], rel[CKR_MAX_K];
    double pearson, kendall, weighted_kendall;
    double mean_seconds, mean_gflops;
} ckr_metric_row;

/* Compute the table. Rows are ordered by method (first appearance in
 * scores), then task (sorted by name), then the method's `mean` row.
 * Tasks with fewer than 2 ranked checkpoints still get a row (metrics NaN).
 * A score row whose task is CKR_MEAN_TASK is refused (CKR_EDATA, naming
 * it). *out is malloc'd. */
int ckr_metrics_table(const ckr_score_row *scores, size_t n_scores,
                      const ckr_gt_row *gt, size_t n_gt, const int *k, int nk,
                      ckr_metric_row **out, size_t *n_out, ckr_err *err);

#endif
