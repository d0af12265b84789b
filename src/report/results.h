/* results.h -- the results of a run and their files.
 *
 * A ckr_results holds the provenance, one score row per item, the ground
 * truth known for the zoo's pairs, and the metrics table. It is written by
 * rank 0 (results.h5 schema: hdf5-schemas/results-v1.md) and read back by
 * `ckptrank report`.  CSV files follow RFC 4180 (fields quoted when they
 * contain a comma, quote or newline); numbers are printed with %.17g so they
 * read back exactly. */
#ifndef CKR_RESULTS_H
#define CKR_RESULTS_H

#include <stdio.h>

#include "metrics/table.h"
#include "util/err.h"

typedef struct ckr_results_meta {
    char command_line[2048];
    char version[32];
    char zoo[1024];
    char methods[1024];
    unsigned long long seed;
    int n_ranks;
    char start_time[64], end_time[64];  /* ISO 8601 UTC */
    double seconds;
} ckr_results_meta;

typedef struct ckr_results {
    ckr_results_meta meta;
    ckr_score_row *scores;
    size_t n_scores;
    ckr_gt_row *gt;
    size_t n_gt;
    ckr_metric_row *metrics;
    size_t n_metrics;
} ckr_results;

void ckr_results_free(ckr_results *r);
/* Recompute r->metrics from scores and gt with cut-offs k[0..nk). */
int ckr_results_compute_metrics(ckr_results *r, const int *k, int nk, ckr_err *err);

/* results.h5 (written to path; replaces an existing file). */
int ckr_results_write_h5(const char *path, const ckr_results *r, ckr_err *err);
int ckr_results_read_h5(const char *path, ckr_results *r, ckr_err *err);

/* CSV: scores `checkpoint,task,method,score,status,seconds,gflops`. */
int ckr_scores_write_csv(const char *path, const ckr_score_row *rows, size_t n, ckr_err *err);
/* CSV: metrics `task,method,n_checkpoints,recall@k,rel@k...,pearson,kendall,weighted_kendall`. */
int ckr_metrics_write_csv(const char *path, const ckr_metric_row *rows, size_t n, ckr_err *err);
/* Fixed-width table of the metrics (with mean seconds and GFLOPs). */
void ckr_metrics_print(FILE *f, const ckr_metric_row *rows, size_t n);

/* Read scores from a CSV with at least checkpoint,task,method,score (a
 * `status` column is honoured; an empty score means not ok). */
int ckr_scores_read_csv(const char *path, ckr_score_row **rows, size_t *n, ckr_err *err);
/* Read ground truth from a CSV with checkpoint,task,accuracy. */
int ckr_gt_read_csv(const char *path, ckr_gt_row **rows, size_t *n, ckr_err *err);

#endif
