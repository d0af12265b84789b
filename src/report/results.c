/* results.c -- the results in memory and the fixed-width metrics table
 * (results.h); the files are written by results_h5.c, results_csv.c and
 * json.c. */
#include "report/results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/consensus.h"

void ckr_results_free(ckr_results *r)
{
    free(r->scores);
    free(r->gt);
    free(r->metrics);
    r->scores = NULL;
    r->gt = NULL;
    r->metrics = NULL;
    r->n_scores = r->n_gt = r->n_metrics = 0;
}

int ckr_results_compute_metrics(ckr_results *r, const int *k, int nk, ckr_err *err)
{
    free(r->metrics);
    r->metrics = NULL;
    r->n_metrics = 0;
    /* the consensus is scored like a method: minus its mean rank */
    ckr_ranking rk;
    ckr_score_row *all = NULL;
    size_t n_all = 0;
    int rc = ckr_ranking_compute(r->scores, r->n_scores, &rk, err);
    if (rc)
        return rc;
    rc = ckr_consensus_score_rows(r->scores, r->n_scores, &rk, &all, &n_all, err);
    ckr_ranking_free(&rk);
    if (rc)
        return rc;
    rc = ckr_metrics_table(all, n_all, r->gt, r->n_gt, k, nk, &r->metrics, &r->n_metrics, err);
    free(all);
    return rc;
}

/* ---- the text table ------------------------------------------------------------ */

static void print_num(FILE *f, double x, int width, int prec)
{
    if (isnan(x))
        fprintf(f, " %*s", width, "-");
    else
        fprintf(f, " %*.*f", width, prec, x);
}

void ckr_metrics_print(FILE *f, const ckr_metric_row *rows, size_t n)
{
    if (n == 0) {
        fprintf(f, "(no metrics)\n");
        return;
    }
    int wt = 4, wm = 6;
    for (size_t i = 0; i < n; i++) {
        int lt = (int)strlen(rows[i].task), lm = (int)strlen(rows[i].method);
        wt = lt > wt ? (lt < 24 ? lt : 24) : wt;
        wm = lm > wm ? (lm < 32 ? lm : 32) : wm;
    }
    int nk = rows[0].nk;
    fprintf(f, "%-*s  %-*s %5s %4s", wt, "task", wm, "method", "ckpts", "excl");
    for (int j = 0; j < nk; j++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "recall@%d", rows[0].k[j]);
        snprintf(b, sizeof b, "rel@%d", rows[0].k[j]);
        fprintf(f, " %8s %6s", a, b);
    }
    fprintf(f, " %8s %8s %8s %10s %10s\n", "pearson", "kendall", "w-kendall", "mean_s", "gflops");
    for (size_t i = 0; i < n; i++) {
        const ckr_metric_row *m = &rows[i];
        fprintf(f, "%-*.*s  %-*.*s %5d %4d", wt, wt, m->task, wm, wm, m->method, m->n_checkpoints,
                m->n_excluded);
        for (int j = 0; j < nk; j++) {
            print_num(f, m->recall[j], 8, 3);
            print_num(f, m->rel[j], 6, 3);
        }
        print_num(f, m->pearson, 8, 3);
        print_num(f, m->kendall, 8, 3);
        print_num(f, m->weighted_kendall, 8, 3);
        /* NaN (the consensus has no cost): "-" */
        if (isnan(m->mean_seconds))
            fprintf(f, " %10s", "-");
        else
            fprintf(f, " %10.4g", m->mean_seconds);
        if (isnan(m->mean_gflops))
            fprintf(f, " %10s\n", "-");
        else
            fprintf(f, " %10.4g\n", m->mean_gflops);
        if (strcmp(m->task, CKR_MEAN_TASK) == 0 && i + 1 < n)
            fputc('\n', f);
    }
}
