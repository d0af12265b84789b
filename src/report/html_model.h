/* html_model.h -- the index of a ckr_results that the HTML page is drawn
 * from (html.c for the page, html_charts.c for its charts).
 *
 * The model names the tasks, methods and checkpoints by small ids, groups
 * the score rows by (task, method), chooses the row of each checkpoint that
 * the metrics rank, looks up each row's ground truth and counts the failed
 * items. It reads r only while it is built and keeps pointers into r (r must
 * outlive it); it does not change after ckr_html_model_build, so the page
 * code takes it const.
 *
 * Ids: tasks and checkpoints in strcmp order of their names, methods in the
 * order of their first score row. Group g = t * M + m holds the score rows
 * of task t and method m. The chosen row of a checkpoint in a group is, as
 * in the metrics table (metrics/table.c), its first row with best == 1, else
 * its first row. A row is ranked when it is ok (ckr_score_row_is_ok) and its
 * (checkpoint, task) has a finite ground truth. */
#ifndef CKR_HTML_MODEL_H
#define CKR_HTML_MODEL_H

#include <stddef.h>

#include "report/results.h"

/* A set of distinct names with ids 0..n-1. */
typedef struct ckr_nameset {
    const char **name;           /* [n]: the name of each id (pointers into the rows) */
    struct ckr_name_id *by_name; /* the ids sorted by name, for ckr_nameset_find */
    size_t n;
} ckr_nameset;

/* Id of name in ns, or -1. */
long ckr_nameset_find(const ckr_nameset *ns, const char *name);

/* Not-ok rows of one method with one status. */
typedef struct ckr_html_failure {
    const char *method, *status;
    size_t n;
} ckr_html_failure;

typedef struct ckr_html_model {
    const ckr_results *r;
    ckr_nameset tasks, methods, ckpts;
    size_t T, M;                     /* tasks.n, methods.n */
    size_t *cid;                     /* [n_scores]: checkpoint id of each score row */
    double *acc;                     /* [n_scores]: ground truth of the row's pair, NaN if none */
    size_t *chosen;                  /* the chosen score rows, by group then checkpoint id */
    size_t *cstart, *cend;           /* [T*M]: group g's chosen rows are chosen[cstart[g]..cend[g]) */
    const ckr_metric_row **met;      /* [T*M]: the metrics row of the group, or NULL */
    const ckr_metric_row **mean;     /* [M]: the method's `mean` metrics row, or NULL */
    ckr_html_failure *fail;          /* [n_fail]: by method then status (strcmp order) */
    size_t n_fail;
    size_t n_ok, n_bad;              /* score rows ok / not ok (all rows, chosen or not) */
    size_t n_ranked;                 /* chosen rows that are ranked, over all groups */
} ckr_html_model;

/* Build the model of r (r->metrics already computed; metrics rows whose task
 * or method has no score row are ignored). Returns 0 or CKR_ENOMEM (md is
 * then empty). */
int ckr_html_model_build(ckr_html_model *md, const ckr_results *r);
/* Free what ckr_html_model_build allocated and zero md. */
void ckr_html_model_free(ckr_html_model *md);

/* The chosen rows (score row indices) of task t and method m, in checkpoint
 * id order; *n of them (0 when the method has no row for the task). */
const size_t *ckr_html_chosen(const ckr_html_model *md, size_t t, size_t m, size_t *n);

/* 1 if method m is the consensus (metrics/consensus.h): it has no cost of
 * its own and its score is minus the mean rank. */
int ckr_html_is_consensus(const ckr_html_model *md, size_t m);

/* 1 if score row i is ranked: ok and with a finite ground truth. */
int ckr_html_ranked(const ckr_html_model *md, size_t i);

/* The best ground truth of task t among the checkpoints that have a score
 * row: *best = the highest finite accuracy, *n_tied = how many checkpoints
 * have it; returns the first of them by name, or NULL (no ground truth;
 * *best NaN, *n_tied 0). */
const char *ckr_html_best_gt(const ckr_html_model *md, size_t t, double *best, size_t *n_tied);

/* The top-scored ok row among the chosen rows of (t, m) (the lowest
 * checkpoint id among equal scores), or -1 if none is ok. */
long ckr_html_top_scored(const ckr_html_model *md, size_t t, size_t m);

#endif
