/* linear_team.c -- the linear probe on a team of ranks (score_team of
 * ckr_method_linear; the probe is described in linear.c, the team contract
 * in methods/method.h).
 *
 * The training labels (N ints, or N x C bytes) are gathered on every rank,
 * so every rank builds the single-rank split (train/split.h: the same
 * hold-out rows, the same relabelling) without the features. Each rank then
 * works on the training rows it holds: standardisation moments, the L-BFGS
 * objective or the SGD minibatch gradients (the same global minibatches on
 * every rank) are summed over the team (train/team_train.h). The
 * validation and test splits are whole on every rank and evaluated there;
 * a hold-out of train is evaluated where its rows are (counts summed,
 * multilabel logits gathered). A team of one runs the single-rank score.
 * Memory per rank beyond its rows: the labels, the model and its gradient. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"
#include "methods/linear.h"
#include "methods/method.h"
#include "methods/team.h"
#include "methods/trained.h"
#include "train/batcher.h"
#include "train/split.h"
#include "train/team_train.h"

extern const ckr_method ckr_method_linear;

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

int ckr_linear_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return ckr_method_linear.score(local, p, rng, res);
    const ckr_linear_cfg *c = ckr_params_config(p);
    size_t N = 0, NL = 0, D = 0, n = local->train_features.rows;
    int has_data = 0, *y = NULL, rc;
    uint8_t *Y = NULL;
    if ((rc = gather_labels(local, team, &N, &NL, &D, &has_data, &y, &Y, res)))
        return rc;
    static const double marker = 0.0; /* features exist (never read through it) */
    ckr_pair whole = *local;
    whole.train_features = (ckr_matrix){ N, D, has_data ? (double *)&marker : NULL };
    whole.train.n = NL;
    whole.train.y = y;
    whole.train.Y = Y;
    ckr_split sp;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    memset(&clf, 0, sizeof clf);
    memset(&sp, 0, sizeof sp);
    size_t *tr_rows = NULL, *ho_rows = NULL;
    double *mu = NULL, *isd = NULL;
    uint8_t *T = NULL;
    /* the same inputs on every rank: the same split (or the same failure) */
    if ((rc = ckr_split_make(&whole, 0, &sp, &err))) {
        rc = ckr_result_fail(res, rc, NULL, "%s", err.msg);
        goto cleanup;
    }
    size_t C = (size_t)sp.train.C, n_train = sp.train.n, n_hold = sp.holdout ? sp.eval.n : 0;
    tr_rows = malloc((n ? n : 1) * sizeof *tr_rows);
    ho_rows = malloc((n ? n : 1) * sizeof *ho_rows);
    mu = malloc(D * sizeof *mu);
    isd = malloc(D * sizeof *isd);
    if (sp.holdout && local->kind == CKR_MULTILABEL)
        T = malloc((n_hold ? n_hold : 1) * C);
    rc = tr_rows && ho_rows && mu && isd && (T || !sp.holdout || local->kind != CKR_MULTILABEL)
             ? 0 : ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu rows", n);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    /* views of this rank's rows: base (all), train, hold-out */
    ckr_ds base = sp.train;
    base.X = local->train_features.data;
    base.idx = NULL;
    base.n = n;
    base.y = sp.train.y ? sp.train.y + team->row0 : NULL;
    base.Y = sp.train.Y ? sp.train.Y + team->row0 * C : NULL;
    ckr_ds ltr = base, lho = base;
    ltr.idx = tr_rows;
    ltr.n = local_rows(sp.train.idx, n_train, team->row0, n, tr_rows);
    lho.idx = ho_rows;
    lho.n = sp.holdout ? local_rows(sp.eval.idx, n_hold, team->row0, n, ho_rows) : 0;
    if (c->standardize == CKR_SWITCH_ON) {
        if ((rc = ckr_ds_moments_team(&ltr, n_train, team->comm, mu, isd, &err))) {
            rc = ckr_result_fail(res, rc, NULL, "%s", err.msg);
            goto cleanup;
        }
        base.mu = ltr.mu = lho.mu = sp.eval.mu = sp.test.mu = mu;
        base.isd = ltr.isd = lho.isd = sp.eval.isd = sp.test.isd = isd;
    }
    size_t dim[2] = { D, C };
    size_t chunk = n_train < 1024 ? n_train : 1024;
    if (c->epochs > 0 && (size_t)c->batch > chunk)
        chunk = (size_t)c->batch < n_train ? (size_t)c->batch : n_train;
    rc = ckr_clf_create(&clf, 1, dim, local->kind, c->l2, chunk, &err);
    if ((rc = ckr_dist_agree(team->comm, rc, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    char tinfo[160] = "";
    if (c->epochs == 0) {
        ckr_lbfgs_opts o;
        ckr_lbfgs_info li;
        ckr_lbfgs_defaults(&o);
        o.gtol = c->tol;
        o.max_iter = (int)c->maxiter;
        rc = ckr_clf_train_lbfgs_team(&clf, &ltr, n_train, team->comm, &o, &li, &err);
        if (!rc)
            snprintf(tinfo, sizeof tinfo, "opt=lbfgs iters=%d stop=%s gnorm=%.2g train_loss=%.4g",
                     li.iters, li.stop, li.gnorm, li.f);
    } else {
        ckr_sgd_opts o = { .lr = c->lr, .momentum = c->momentum, .batch = (size_t)c->batch,
                           .sched = CKR_LR_CONSTANT };
        size_t bsz = o.batch < n_train ? o.batch : n_train;
        o.steps = ckr_steps_per_epoch(n_train, bsz) * (size_t)c->epochs;
        ckr_sgd_stats st;
        rc = ckr_clf_train_sgd_team(&clf, &base, team->row0, sp.train.idx, n_train, team->comm,
                                    &o, rng, &st, &err);
        if (!rc)
            snprintf(tinfo, sizeof tinfo, "opt=sgd epochs=%ld steps=%zu batch=%zu train_loss=%.4g",
                     c->epochs, st.steps, bsz, st.last_loss);
    }
    if (rc) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    ckr_clf_eval ev;
    if (!sp.holdout) { /* the validation and test splits are whole on every rank */
        if ((rc = ckr_trained_evaluate(&clf, &sp, &ev, res, &err)))
            goto cleanup;
    } else {
        for (size_t q = 0; T && q < n_hold; q++)
            memcpy(T + q * C, Y + sp.eval.idx[q] * C, C);
        if ((rc = ckr_clf_evaluate_team(&clf, &lho, n_hold, team->comm, T, &ev, &err))) {
            rc = ckr_trained_fail(res, rc, &clf, &err);
            goto cleanup;
        }
        if (isnan(ev.metric)) {
            rc = ckr_result_fail(res, CKR_EDATA, "no-positives",
                                 "the %s split has no positive label to rank",
                                 ckr_split_eval_name(&sp));
            goto cleanup;
        }
        if (sp.test.n > 0) {
            ckr_clf_eval te;
            if ((rc = ckr_clf_evaluate(&clf, &sp.test, &te, &err))) {
                rc = ckr_trained_fail(res, rc, &clf, &err);
                goto cleanup;
            }
            res->heldout = te.metric;
        }
    }
    snprintf(res->info, sizeof res->info, "%s eval=%s n_eval=%zu eval_loss=%.4g metric=%s",
             tinfo, ckr_split_eval_name(&sp), ev.n, ev.loss,
             local->kind == CKR_MULTILABEL ? "mAP" : "top1");
    ckr_team_info_suffix(team, res);
    rc = ckr_result_ok(res, ev.metric);
cleanup:
    ckr_clf_destroy(&clf);
    ckr_split_free(&sp);
    free(y);
    free(Y);
    free(tr_rows);
    free(ho_rows);
    free(mu);
    free(isd);
    free(T);
    return rc;
}
