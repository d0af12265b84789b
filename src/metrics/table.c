/* table.c -- the metrics table (see table.h).
 *
 * Details of the contract beyond table.h:
 *  - One row per (method, task) that has at least one score row (any
 *    status); tasks that appear only in the ground truth get no row.
 *  - Several score rows for the same (ckpt, task, method), e.g. a sweep: the
 *    first one (in input order) with best == 1 is used, else the first one.
 *    The chosen row decides: status != "ok" or a non-finite score -> the
 *    checkpoint counts in n_excluded; ok and a finite ground truth ->
 *    ranked; ok without ground truth (or with a non-finite one) -> silently
 *    not ranked.
 *  - Within a task, ranked checkpoints are indexed in strcmp order of their
 *    names, so score ties in recall@k / rel@k are broken by name, whatever
 *    the order of the input rows.
 *  - Fewer than 2 ranked checkpoints: every metric is NaN.
 *  - mean_seconds / mean_gflops: mean over all of the task's (per-task row)
 *    or the method's (mean row) score rows, ok or not, duplicates included;
 *    NaN values skipped, NaN if none.
 *  - The `mean` row: each metric is the mean over the method's task rows,
 *    NaN skipped (NaN if all are NaN); n_checkpoints and n_excluded are the
 *    sums over those task rows.
 *  - A score row of the task CKR_MEAN_TASK ("mean") is refused (CKR_EDATA):
 *    the name belongs to the mean rows.
 *  - Ground-truth rows repeated for a (ckpt, task) must agree (else
 *    CKR_EDATA); k values must be >= 1 and nk in [0, CKR_MAX_K] (else
 *    CKR_EARG). No score rows: *out = NULL, *n_out = 0. */
#include "metrics/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/ranking.h"

#define NAME_MAX_LEN 256   /* size of the name fields in table.h */

static int name_cmp(const char *a, const char *b)
{
    return strncmp(a, b, NAME_MAX_LEN);
}

static void copy_name(char *dst, const char *src)
{
    size_t n = strnlen(src, NAME_MAX_LEN - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int cmp_size(size_t a, size_t b)
{
    return (a > b) - (a < b);
}

/* ---- sorting score rows --------------------------------------------------- */

typedef struct entry {
    const ckr_score_row *r;
    size_t idx;      /* position in the input */
    size_t method;   /* method id: rank of the method's first appearance */
} entry;

static int cmp_method_name(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = name_cmp(a->r->method, b->r->method);
    return c ? c : cmp_size(a->idx, b->idx);
}

static int cmp_entry(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = cmp_size(a->method, b->method);
    if (!c)
        c = name_cmp(a->r->task, b->r->task);
    if (!c)
        c = name_cmp(a->r->ckpt, b->r->ckpt);
    return c ? c : cmp_size(a->idx, b->idx);
}

typedef struct group {
    size_t start, end, first_idx;
} group;

static int cmp_group_first(const void *pa, const void *pb)
{
    const group *a = pa, *b = pb;
    return cmp_size(a->first_idx, b->first_idx);
}

/* Fill e[i].method with the rank of the method's first appearance; leave e
 * sorted by (method id, task, ckpt, input order). Returns the number of
 * methods, or 0 on allocation failure (n > 0). */
static size_t order_entries(entry *e, size_t n)
{
    qsort(e, n, sizeof *e, cmp_method_name);
    group *gr = malloc(n * sizeof *gr);
    if (!gr)
        return 0;
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || name_cmp(e[i].r->method, e[i - 1].r->method) != 0)
            gr[ng++] = (group){i, i, e[i].idx};
        gr[ng - 1].end = i + 1;
    }
    qsort(gr, ng, sizeof *gr, cmp_group_first);
    for (size_t g = 0; g < ng; g++)
        for (size_t i = gr[g].start; i < gr[g].end; i++)
            e[i].method = g;
    free(gr);
    qsort(e, n, sizeof *e, cmp_entry);
    return ng;
}

/* ---- ground truth lookup -------------------------------------------------- */

typedef struct gt_ref {
    const ckr_gt_row *r;
    size_t idx;
} gt_ref;

static int cmp_gt(const void *pa, const void *pb)
{
    const gt_ref *a = pa, *b = pb;
    int c = name_cmp(a->r->task, b->r->task);
    if (!c)
        c = name_cmp(a->r->ckpt, b->r->ckpt);
    return c ? c : cmp_size(a->idx, b->idx);
}

static int cmp_gt_key(const void *key, const void *elem)
{
    const ckr_score_row *k = key;
    const gt_ref *g = elem;
    int c = name_cmp(k->task, g->r->task);
    return c ? c : name_cmp(k->ckpt, g->r->ckpt);
}

static int same_value(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* Sorted references to gt; CKR_EDATA if a (ckpt, task) repeats with
 * different accuracies. */
static int index_gt(const ckr_gt_row *gt, size_t n, gt_ref **out, ckr_err *err)
{
    *out = NULL;
    if (n == 0)
        return 0;
    gt_ref *ref = malloc(n * sizeof *ref);
    if (!ref)
        return ckr_err_set(err, CKR_ENOMEM, "metrics table: out of memory (%zu ground-truth rows)",
                           n);
    for (size_t i = 0; i < n; i++)
        ref[i] = (gt_ref){&gt[i], i};
    qsort(ref, n, sizeof *ref, cmp_gt);
    for (size_t i = 1; i < n; i++) {
        const ckr_gt_row *a = ref[i - 1].r, *b = ref[i].r;
        if (!name_cmp(a->task, b->task) && !name_cmp(a->ckpt, b->ckpt) &&
            !same_value(a->accuracy, b->accuracy)) {
            int rc = ckr_err_set(err, CKR_EDATA,
                                 "ground truth: checkpoint '%.255s' task '%.255s' has two "
                                 "accuracies (%.17g and %.17g)",
                                 a->ckpt, a->task, a->accuracy, b->accuracy);
            free(ref);
            return rc;
        }
    }
    *out = ref;
    return 0;
}

/* Finite ground truth of the row's (ckpt, task), or NaN. */
static double lookup_gt(const gt_ref *ref, size_t n, const ckr_score_row *row)
{
    if (!ref)
        return NAN;
    const gt_ref *hit = bsearch(row, ref, n, sizeof *ref, cmp_gt_key);
    return hit && isfinite(hit->r->accuracy) ? hit->r->accuracy : NAN;
}

/* ---- one row -------------------------------------------------------------- */

int ckr_score_row_is_ok(const ckr_score_row *s)
{
    return strncmp(s->status, "ok", sizeof s->status) == 0 && isfinite(s->score);
}

/* Running mean that skips NaN. */
typedef struct nanmean {
    double sum;
    size_t n;
} nanmean;

static void nm_add(nanmean *a, double v)
{
    if (!isnan(v)) {
        a->sum += v;
        a->n++;
    }
}

static double nm_get(const nanmean *a)
{
    return a->n ? a->sum / (double)a->n : NAN;
}

static void init_row(ckr_metric_row *row, const char *task, const char *method, const int *k,
                     int nk)
{
    memset(row, 0, sizeof *row);
    copy_name(row->task, task);
    copy_name(row->method, method);
    row->nk = nk;
    for (int i = 0; i < nk; i++) {
        row->k[i] = k[i];
        row->recall[i] = row->rel[i] = NAN;
    }
    row->pearson = row->kendall = row->weighted_kendall = NAN;
    row->mean_seconds = row->mean_gflops = NAN;
}

/* The row of the task block e[0..n) (one method, one task). s, g: n slots. */
static void task_row(const entry *e, size_t n, const gt_ref *gt, size_t n_gt, const int *k,
                     int nk, double *s, double *g, ckr_metric_row *row)
{
    init_row(row, e[0].r->task, e[0].r->method, k, nk);
    nanmean sec = {0, 0}, gfl = {0, 0};
    size_t m = 0;
    for (size_t cb = 0, ce; cb < n; cb = ce) {
        const ckr_score_row *chosen = NULL;
        for (ce = cb; ce < n && !name_cmp(e[ce].r->ckpt, e[cb].r->ckpt); ce++) {
            nm_add(&sec, e[ce].r->seconds);
            nm_add(&gfl, e[ce].r->gflops);
            if (!chosen && e[ce].r->best == 1)
                chosen = e[ce].r;
        }
        if (!chosen)
            chosen = e[cb].r;
        if (!ckr_score_row_is_ok(chosen)) {
            row->n_excluded++;
            continue;
        }
        double acc = lookup_gt(gt, n_gt, chosen);
        if (isnan(acc))
            continue;
        s[m] = chosen->score;
        g[m] = acc;
        m++;
    }
    row->n_checkpoints = (int)m;
    row->mean_seconds = nm_get(&sec);
    row->mean_gflops = nm_get(&gfl);
    if (m < 2)
        return;
    for (int i = 0; i < nk; i++) {
        row->recall[i] = ckr_recall_at_k(s, g, m, (size_t)k[i]);
        row->rel[i] = ckr_rel_at_k(s, g, m, (size_t)k[i]);
    }
    row->pearson = ckr_pearson(s, g, m);
    row->kendall = ckr_kendall_tau_b(s, g, m);
    row->weighted_kendall = ckr_weighted_tau(s, g, m);
}

/* The mean row over the task rows t[0..nt), seconds/GFLOPs over e[0..n). */
static void mean_row(const ckr_metric_row *t, size_t nt, const entry *e, size_t n,
                     const int *k, int nk, ckr_metric_row *row)
{
    init_row(row, CKR_MEAN_TASK, e[0].r->method, k, nk);
    nanmean rec[CKR_MAX_K] = {{0, 0}}, rel[CKR_MAX_K] = {{0, 0}};
    nanmean p = {0, 0}, kt = {0, 0}, wt = {0, 0}, sec = {0, 0}, gfl = {0, 0};
    for (size_t j = 0; j < nt; j++) {
        row->n_checkpoints += t[j].n_checkpoints;
        row->n_excluded += t[j].n_excluded;
        for (int i = 0; i < nk; i++) {
            nm_add(&rec[i], t[j].recall[i]);
            nm_add(&rel[i], t[j].rel[i]);
        }
        nm_add(&p, t[j].pearson);
        nm_add(&kt, t[j].kendall);
        nm_add(&wt, t[j].weighted_kendall);
    }
    for (size_t j = 0; j < n; j++) {
        nm_add(&sec, e[j].r->seconds);
        nm_add(&gfl, e[j].r->gflops);
    }
    for (int i = 0; i < nk; i++) {
        row->recall[i] = nm_get(&rec[i]);
        row->rel[i] = nm_get(&rel[i]);
    }
    row->pearson = nm_get(&p);
    row->kendall = nm_get(&kt);
    row->weighted_kendall = nm_get(&wt);
    row->mean_seconds = nm_get(&sec);
    row->mean_gflops = nm_get(&gfl);
}

/* ---- the table ------------------------------------------------------------ */

static int check_args(const ckr_score_row *scores, size_t n_scores, const ckr_gt_row *gt,
                      size_t n_gt, const int *k, int nk, ckr_metric_row **out, size_t *n_out,
                      ckr_err *err)
{
    if (!out || !n_out)
        return ckr_err_set(err, CKR_EARG, "metrics table: no output pointer");
    if ((n_scores && !scores) || (n_gt && !gt))
        return ckr_err_set(err, CKR_EARG, "metrics table: rows missing");
    if (nk < 0 || nk > CKR_MAX_K)
        return ckr_err_set(err, CKR_EARG, "metrics table: %d cut-offs k (at most %d)", nk,
                           CKR_MAX_K);
    if (nk > 0 && !k)
        return ckr_err_set(err, CKR_EARG, "metrics table: cut-offs k missing");
    for (int i = 0; i < nk; i++)
        if (k[i] < 1)
            return ckr_err_set(err, CKR_EARG, "metrics table: cut-off k = %d (must be >= 1)",
                               k[i]);
    for (size_t i = 0; i < n_scores; i++)
        if (name_cmp(scores[i].task, CKR_MEAN_TASK) == 0)
            return ckr_err_set(err, CKR_EDATA,
                               "metrics table: task name '%s' (checkpoint %s, method %s) is "
                               "reserved for the mean-over-tasks rows (rename the task)",
                               CKR_MEAN_TASK, scores[i].ckpt, scores[i].method);
    return 0;
}

/* Number of output rows: one per (method, task) block plus one per method. */
static size_t count_rows(const entry *e, size_t n)
{
    size_t rows = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || e[i].method != e[i - 1].method)
            rows += 2;
        else if (name_cmp(e[i].r->task, e[i - 1].r->task))
            rows++;
    }
    return rows;
}

int ckr_metrics_table(const ckr_score_row *scores, size_t n_scores,
                      const ckr_gt_row *gt, size_t n_gt, const int *k, int nk,
                      ckr_metric_row **out, size_t *n_out, ckr_err *err)
{
    int rc = check_args(scores, n_scores, gt, n_gt, k, nk, out, n_out, err);
    if (rc)
        return rc;
    *out = NULL;
    *n_out = 0;
    if (n_scores == 0)
        return 0;

    gt_ref *gref = NULL;
    rc = index_gt(gt, n_gt, &gref, err);
    if (rc)
        return rc;
    entry *e = malloc(n_scores * sizeof *e);
    double *s = malloc(2 * n_scores * sizeof *s);
    if (e)
        for (size_t i = 0; i < n_scores; i++)
            e[i] = (entry){&scores[i], i, 0};
    if (!e || !s || order_entries(e, n_scores) == 0) {
        free(gref);
        free(e);
        free(s);
        return ckr_err_set(err, CKR_ENOMEM, "metrics table: out of memory (%zu score rows)",
                           n_scores);
    }
    size_t nrows = count_rows(e, n_scores);
    ckr_metric_row *rows = malloc(nrows * sizeof *rows);
    if (!rows) {
        free(gref);
        free(e);
        free(s);
        return ckr_err_set(err, CKR_ENOMEM, "metrics table: out of memory (%zu rows)", nrows);
    }
    size_t r = 0;
    for (size_t mb = 0, me; mb < n_scores; mb = me) {
        for (me = mb; me < n_scores && e[me].method == e[mb].method; me++)
            ;
        size_t first_row = r;
        for (size_t tb = mb, te; tb < me; tb = te) {
            for (te = tb; te < me && !name_cmp(e[te].r->task, e[tb].r->task); te++)
                ;
            task_row(e + tb, te - tb, gref, n_gt, k, nk, s, s + n_scores, &rows[r++]);
        }
        mean_row(rows + first_row, r - first_row, e + mb, me - mb, k, nk, &rows[r]);
        r++;
    }
    free(gref);
    free(e);
    free(s);
    *out = rows;
    *n_out = r;
    return 0;
}
