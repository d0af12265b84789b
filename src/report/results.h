/* results.h -- the results of a run in memory.
 *
 * A ckr_results holds the provenance, one score row per item, the ground
 * truth known for the zoo's pairs, and the metrics table. Its files:
 * results.h5 (report/results_h5.h), the CSV files (report/results_csv.h),
 * the JSON document (report/json.h) and the HTML page (report/html.h); the
 * columns of each table are declared once, in report/columns.h. */
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

/* Free the rows of r (malloc'd arrays) and set them to NULL and their counts
 * to 0; the provenance is left as is. Safe on a zeroed or freed r. */
void ckr_results_free(ckr_results *r);

/* Recompute r->metrics from scores and gt with cut-offs k[0..nk), as
 * ckr_metrics_table (metrics/table.h) does; the old metrics are freed first.
 * The consensus of the methods (metrics/consensus.h) is ranked as a method
 * of its own, "consensus", whose score is minus the mean rank (higher =
 * better); its rows come after the other methods' (only tasks with a
 * consensus, i.e. 2 or more voting methods, have one).
 * Returns 0 or the error of ckr_metrics_table (r->metrics then NULL). */
int ckr_results_compute_metrics(ckr_results *r, const int *k, int nk, ckr_err *err);

/* Print the metrics rows[0..n) to f as a fixed-width table: a header line
 * (task, method, ckpts, excl, recall@K and rel@K for the cut-offs of
 * rows[0], pearson, kendall, w-kendall, mean_s, gflops), then one line per
 * row, with a blank line after each method's `mean` row but the last. Task
 * and method names are cut to 24 and 32 characters; a missing metric is
 * "-". With n == 0 it prints "(no metrics)". */
void ckr_metrics_print(FILE *f, const ckr_metric_row *rows, size_t n);

#endif
