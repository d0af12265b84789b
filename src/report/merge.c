#include "report/merge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/crossnorm.h"
#include "report/sweep.h"
#include "util/speclist.h"

typedef struct keyed {
    const ckr_score_row *row;
    size_t file, rank;   /* input index; method order rank */
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->row->ckpt, y->row->ckpt);
    if (!c)
        c = strcmp(x->row->task, y->row->task);
    if (!c && x->rank != y->rank)
        c = x->rank < y->rank ? -1 : 1;
    if (!c)
        c = strcmp(x->row->method, y->row->method);
    if (!c && x->file != y->file)
        c = x->file < y->file ? -1 : 1;
    return c;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

/* Method order: each input's expanded method list in turn, first occurrence wins. */
typedef struct method_order {
    char (*text)[256];
    size_t n, cap;
} method_order;

static void order_add(method_order *o, const char *m)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->text[i], m) == 0)
            return;
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 32;
        void *t = realloc(o->text, cap * sizeof *o->text);
        if (!t)
            return;
        o->text = t;
        o->cap = cap;
    }
    snprintf(o->text[o->n++], 256, "%s", m);
}

static size_t order_rank(const method_order *o, const char *m)
{
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->text[i], m) == 0)
            return i;
    return o->n; /* unknown methods last, then by name */
}

static void build_order(const ckr_results *in, size_t n, method_order *o)
{
    for (size_t f = 0; f < n; f++) {
        ckr_spec_point *points = NULL;
        size_t np = 0;
        ckr_err err = { 0, "" };
        if (ckr_speclist_expand(in[f].meta.methods, &points, &np, &err) == 0) {
            for (size_t i = 0; i < np; i++)
                order_add(o, points[i].text);
            free(points);
        }
        for (size_t i = 0; i < in[f].n_scores; i++) /* methods not in the list */
            order_add(o, in[f].scores[i].method);
    }
}

static int merge_scores(const ckr_results *in, const char *const *names, size_t n, ckr_results *out,
                        ckr_err *err)
{
    size_t total = 0;
    for (size_t f = 0; f < n; f++)
        total += in[f].n_scores;
    keyed *k = calloc(total + 1, sizeof *k);
    out->scores = calloc(total + 1, sizeof *out->scores);
    method_order mo = { NULL, 0, 0 };
    int rc = 0;
    if (!k || !out->scores) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory merging %zu rows", total);
        goto cleanup;
    }
    build_order(in, n, &mo);
    size_t m = 0;
    for (size_t f = 0; f < n; f++)
        for (size_t i = 0; i < in[f].n_scores; i++) {
            const ckr_score_row *r = &in[f].scores[i];
            if (r->sweep[0] && strcmp(r->method, r->sweep) == 0)
                continue; /* summaries are rebuilt */
            k[m++] = (keyed){ r, f, order_rank(&mo, r->method) };
        }
    qsort(k, m, sizeof *k, cmp_keyed);
    for (size_t i = 0; i < m; i++) {
        const ckr_score_row *r = k[i].row;
        if (out->n_scores > 0) {
            ckr_score_row *prev = &out->scores[out->n_scores - 1];
            if (strcmp(prev->ckpt, r->ckpt) == 0 && strcmp(prev->task, r->task) == 0 &&
                strcmp(prev->method, r->method) == 0) {
                /* a "not-run" row of an interrupted run yields to a computed one */
                if (strcmp(r->status, "not-run") == 0)
                    continue;
                if (strcmp(prev->status, "not-run") == 0) {
                    *prev = *r;
                    continue;
                }
                /* a score normalised across checkpoints depends on the input's other
                   rows: its raw terms must agree instead */
                int same = r->terms[0] || prev->terms[0] ? strcmp(prev->terms, r->terms) == 0
                                                         : same_bits(prev->score, r->score);
                if (strcmp(prev->status, r->status) != 0 || !same ||
                    !same_bits(prev->heldout, r->heldout)) {
                    rc = ckr_err_set(err, CKR_EDATA,
                                     "%s and an earlier input disagree on %s / %s / %s "
                                     "(%s %.17g vs %s %.17g): refusing to merge",
                                     names[k[i].file], r->ckpt, r->task, r->method, prev->status,
                                     prev->score, r->status, r->score);
                    goto cleanup;
                }
                continue;
            }
        }
        out->scores[out->n_scores++] = *r;
    }
cleanup:
    free(k);
    free(mo.text);
    return rc;
}

static int merge_gt(const ckr_results *in, const char *const *names, size_t n, ckr_results *out,
                    ckr_err *err)
{
    size_t total = 0;
    for (size_t f = 0; f < n; f++)
        total += in[f].n_gt;
    out->gt = calloc(total + 1, sizeof *out->gt);
    if (!out->gt)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory merging ground truth");
    for (size_t f = 0; f < n; f++)
        for (size_t i = 0; i < in[f].n_gt; i++) {
            const ckr_gt_row *g = &in[f].gt[i];
            size_t j = 0;
            for (; j < out->n_gt; j++)
                if (strcmp(out->gt[j].ckpt, g->ckpt) == 0 && strcmp(out->gt[j].task, g->task) == 0)
                    break;
            if (j == out->n_gt)
                out->gt[out->n_gt++] = *g;
            else if (!same_bits(out->gt[j].accuracy, g->accuracy))
                return ckr_err_set(err, CKR_EDATA,
                                   "%s: ground truth of %s / %s differs from an earlier input "
                                   "(%.17g vs %.17g): refusing to merge",
                                   names[f], g->ckpt, g->task, out->gt[j].accuracy, g->accuracy);
        }
    return 0;
}

int ckr_results_merge(const ckr_results *inputs, const char *const *names, size_t n,
                      ckr_results *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (n == 0)
        return ckr_err_set(err, CKR_EARG, "nothing to merge");
    out->meta = inputs[0].meta;
    for (size_t f = 1; f < n; f++)
        if (strcmp(inputs[f].meta.methods, out->meta.methods) != 0) {
            size_t used = strlen(out->meta.methods);
            snprintf(out->meta.methods + used, sizeof out->meta.methods - used, ",%s",
                     inputs[f].meta.methods);
        }
    int rc = merge_scores(inputs, names, n, out, err);
    if (!rc)
        rc = merge_gt(inputs, names, n, out, err);
    if (!rc)
        rc = ckr_crossnorm_apply(out->scores, out->n_scores, err);
    if (!rc)
        rc = ckr_results_add_sweep_best(out, err);
    if (rc)
        ckr_results_free(out);
    return rc;
}
