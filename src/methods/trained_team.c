/* trained_team.c -- the team split and evaluation of the trained baselines
 * (contract in methods/trained_team.h). */
#include "methods/trained_team.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"
#include "methods/team.h"
#include "methods/trained.h"
#include "train/team_train.h"

/* The pair's training labels, whole, on every rank; *N the row count and
 * *D the width (0 when no rank has features). */
static int gather_labels(const ckr_pair *l, const ckr_team *t, size_t *N, size_t *NL,
                         size_t *D, int *has_data, int **y, uint8_t **Y, ckr_result *res)
{
    int P = t->size, ml = l->kind == CKR_MULTILABEL;
    size_t C = (size_t)(l->num_classes > 0 ? l->num_classes : 0);
    unsigned long long v[3] = { l->train_features.rows, l->train.n,
                                l->train_features.data ? 1 : 0 }, s[3], w = l->train_features.cols, mx;
    if (MPI_Allreduce(v, s, 3, MPI_UNSIGNED_LONG_LONG, MPI_SUM, t->comm) != MPI_SUCCESS ||
        MPI_Allreduce(&w, &mx, 1, MPI_UNSIGNED_LONG_LONG, MPI_MAX, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    *N = (size_t)s[0];
    *NL = (size_t)s[1];
    *D = (size_t)mx;
    *has_data = s[2] > 0;
    int present = ml ? l->train.Y != NULL || l->train.n == 0 : l->train.y != NULL || l->train.n == 0;
    int all_present = 0, rc = 0;
    if (MPI_Allreduce(&present, &all_present, 1, MPI_INT, MPI_MIN, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    if (s[1] != s[0] || !all_present || (ml && C == 0)) /* the split's check words it */
        return 0;
    int *cnt = malloc(2 * (size_t)P * sizeof *cnt);
    *y = ml ? NULL : malloc((*N ? *N : 1) * sizeof **y);
    *Y = ml ? malloc((*N ? *N : 1) * C) : NULL;
    if (!cnt || (ml ? !*Y : !*y))
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu labels", *N);
    else if (*N * (ml ? C : 1) > 2147483647)
        rc = ckr_result_fail(res, CKR_EARG, NULL, "%zu labels are too many to gather", *N);
    if ((rc = ckr_team_agree_result(t, rc, res)))
        goto done;
    int mine = (int)(l->train.n * (ml ? C : 1));
    if (MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, t->comm) != MPI_SUCCESS)
        goto mpi;
    for (int r = 0, at = 0; r < P; r++) {
        cnt[P + r] = at;
        at += cnt[r];
    }
    int dummy = 0;
    if (ml ? MPI_Allgatherv(l->train.Y ? (const void *)l->train.Y : &dummy, mine, MPI_UINT8_T,
                            *Y, cnt, cnt + P, MPI_UINT8_T, t->comm) != MPI_SUCCESS
           : MPI_Allgatherv(l->train.y ? l->train.y : &dummy, mine, MPI_INT, *y, cnt, cnt + P,
                            MPI_INT, t->comm) != MPI_SUCCESS)
        goto mpi;
    free(cnt);
    return 0;
mpi:
    rc = ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed gathering the labels on the team");
done:
    free(cnt);
    return rc;
}

/* This rank's positions of a view of global rows (gidx[p], identity when
 * NULL) among its rows [row0, row0 + n), as local row indices. */
static size_t local_rows(const size_t *gidx, size_t nv, size_t row0, size_t n, size_t *out)
{
    size_t m = 0;
    for (size_t p = 0; p < nv; p++) {
        size_t r = gidx ? gidx[p] : p;
        if (r >= row0 && r < row0 + n)
            out[m++] = r - row0;
    }
    return m;
}

void ckr_team_split_free(ckr_team_split *ts)
{
    ckr_split_free(&ts->sp);
    free(ts->y);
    free(ts->Y);
    free(ts->T);
    free(ts->tr_rows);
    free(ts->ho_rows);
    memset(ts, 0, sizeof *ts);
}

int ckr_team_split_make(const ckr_pair *local, const ckr_team *team, int standardize,
                        ckr_team_split *ts, ckr_result *res)
{
    memset(ts, 0, sizeof *ts);
    size_t N = 0, NL = 0, D = 0, n = local->train_features.rows;
    int has_data = 0, rc;
    if ((rc = gather_labels(local, team, &N, &NL, &D, &has_data, &ts->y, &ts->Y, res)))
        return rc;
    static const double marker = 0.0; /* features exist (never read through it) */
    ckr_pair whole = *local;
    whole.train_features = (ckr_matrix){ N, D, has_data ? (double *)&marker : NULL };
    whole.train.n = NL;
    whole.train.y = ts->y;
    whole.train.Y = ts->Y;
    ckr_err err = { 0, "" };
    /* the same inputs on every rank: the same split (or the same failure) */
    if ((rc = ckr_split_make(&whole, 0, &ts->sp, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    ckr_split *sp = &ts->sp;
    size_t C = (size_t)sp->train.C;
    ts->D = D;
    ts->C = C;
    ts->n_train = sp->train.n;
    ts->n_hold = sp->holdout ? sp->eval.n : 0;
    ts->tr_rows = malloc((n ? n : 1) * sizeof *ts->tr_rows);
    ts->ho_rows = malloc((n ? n : 1) * sizeof *ts->ho_rows);
    if (standardize) { /* owned by the split, as ckr_split_standardize leaves them */
        ts->mu = sp->mu = malloc(D * sizeof *ts->mu);
        ts->isd = sp->isd = malloc(D * sizeof *ts->isd);
    }
    int need_T = sp->holdout && local->kind == CKR_MULTILABEL;
    if (need_T)
        ts->T = malloc((ts->n_hold ? ts->n_hold : 1) * C);
    rc = ts->tr_rows && ts->ho_rows && (!standardize || (ts->mu && ts->isd)) && (ts->T || !need_T)
             ? 0 : ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu rows", n);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        return rc;
    for (size_t q = 0; need_T && q < ts->n_hold; q++)
        memcpy(ts->T + q * C, ts->Y + sp->eval.idx[q] * C, C);
    ts->base = sp->train;
    ts->base.X = local->train_features.data;
    ts->base.idx = NULL;
    ts->base.n = n;
    ts->base.y = sp->train.y ? sp->train.y + team->row0 : NULL;
    ts->base.Y = sp->train.Y ? sp->train.Y + team->row0 * C : NULL;
    ts->train = ts->hold = ts->base;
    ts->train.idx = ts->tr_rows;
    ts->train.n = local_rows(sp->train.idx, ts->n_train, team->row0, n, ts->tr_rows);
    ts->hold.idx = ts->ho_rows;
    ts->hold.n = sp->holdout ? local_rows(sp->eval.idx, ts->n_hold, team->row0, n, ts->ho_rows)
                             : 0;
    if (!standardize)
        return 0;
    if ((rc = ckr_ds_moments_team(&ts->train, ts->n_train, team->comm, ts->mu, ts->isd, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    ts->base.mu = ts->train.mu = ts->hold.mu = sp->eval.mu = sp->test.mu = sp->train.mu = ts->mu;
    ts->base.isd = ts->train.isd = ts->hold.isd = sp->eval.isd = sp->test.isd = sp->train.isd =
        ts->isd;
    return 0;
}

int ckr_team_trained_evaluate(ckr_clf *clf, const ckr_team_split *ts, const ckr_team *team,
                              ckr_clf_eval *ev, ckr_result *res)
{
    const ckr_split *sp = &ts->sp;
    ckr_err err = { 0, "" };
    int rc;
    if (!sp->holdout) /* the validation and test splits are whole on every rank */
        return ckr_trained_evaluate(clf, sp, ev, res, &err);
    if ((rc = ckr_clf_evaluate_team(clf, &ts->hold, ts->n_hold, team->comm, ts->T, ev, &err)))
        return ckr_trained_fail(res, rc, clf, &err);
    if (isnan(ev->metric))
        return ckr_result_fail(res, CKR_EDATA, "no-positives",
                               "the %s split has no positive label to rank",
                               ckr_split_eval_name(sp));
    if (sp->test.n > 0) {
        ckr_clf_eval te;
        if ((rc = ckr_clf_evaluate(clf, &sp->test, &te, &err)))
            return ckr_trained_fail(res, rc, clf, &err);
        res->heldout = te.metric;
    }
    return 0;
}
