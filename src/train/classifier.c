#include "train/classifier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/batcher.h"
#include "train/loss.h"
#include "util/stop.h"

int ckr_clf_create(ckr_clf *c, int L, const size_t *dim, ckr_task_kind kind, double l2,
                   size_t max_batch, ckr_err *err)
{
    memset(c, 0, sizeof *c);
    int rc = ckr_mlp_create(&c->net, L, dim, max_batch, err);
    if (rc)
        return rc;
    c->kind = kind;
    c->C = dim[L];
    c->l2 = l2;
    c->theta = calloc(c->net.nparams, sizeof(double));
    c->grad = calloc(c->net.nparams, sizeof(double));
    c->xb = malloc(max_batch * dim[0] * sizeof(double));
    c->dout = malloc(max_batch * c->C * sizeof(double));
    c->yb = malloc(max_batch * sizeof(int));
    c->Yb = malloc(max_batch * c->C);
    if (!c->theta || !c->grad || !c->xb || !c->dout || !c->yb || !c->Yb) {
        size_t np = c->net.nparams;
        ckr_clf_destroy(c);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for a %zu-parameter classifier",
                           np);
    }
    return 0;
}

void ckr_clf_destroy(ckr_clf *c)
{
    ckr_mlp_destroy(&c->net);
    free(c->theta);
    free(c->grad);
    free(c->xb);
    free(c->dout);
    free(c->yb);
    free(c->Yb);
    memset(c, 0, sizeof *c);
}

/* Gather B rows of ds into the batch buffers. */
static void gather(ckr_clf *c, const ckr_ds *ds, const size_t *pos, size_t start, size_t B)
{
    ckr_ds_gather(ds, pos, start, B, c->xb);
    ckr_ds_gather_labels(ds, pos, start, B, c->yb, c->Yb);
}

/* Loss SUM of logits Z (B rows); dout = gscale * dLoss/dZ when want_grad. */
static double head_loss(ckr_clf *c, const double *Z, size_t B, double gscale, int want_grad)
{
    double *d = want_grad ? c->dout : NULL;
    return c->kind == CKR_MULTILABEL ? ckr_sigmoid_bce(Z, B, c->C, c->Yb, gscale, d)
                                     : ckr_softmax_xent(Z, B, c->C, c->yb, gscale, d);
}

/* Forward + loss (+ backward adding gscale-weighted gradient into g). */
static double batch_pass(ckr_clf *c, const double *theta, size_t B, double gscale, double *g)
{
    const double *Z = ckr_mlp_forward(&c->net, theta, c->xb, B);
    double loss = head_loss(c, Z, B, gscale, g != NULL);
    if (g)
        ckr_mlp_backward(&c->net, theta, c->xb, B, c->dout, g);
    return loss;
}

int ckr_clf_objective(ckr_clf *c, const ckr_ds *ds, const double *theta, double *f, double *g,
                      ckr_err *err)
{
    if (ds->n == 0)
        return ckr_err_set(err, CKR_EARG, "objective over an empty split");
    if (g)
        memset(g, 0, c->net.nparams * sizeof(double));
    double sum = 0.0, inv = 1.0 / (double)ds->n;
    for (size_t s = 0; s < ds->n; s += c->net.max_batch) {
        size_t B = ds->n - s < c->net.max_batch ? ds->n - s : c->net.max_batch;
        gather(c, ds, NULL, s, B);
        sum += batch_pass(c, theta, B, inv, g);
    }
    *f = sum * inv + ckr_mlp_l2(&c->net, theta, c->l2, g);
    return 0;
}

int ckr_clf_train_sgd(ckr_clf *c, const ckr_ds *tr, const ckr_sgd_opts *o, ckr_rng *rng,
                      ckr_sgd_stats *st, ckr_err *err)
{
    memset(st, 0, sizeof *st);
    size_t bsz = o->batch < tr->n ? o->batch : tr->n;
    if (bsz > c->net.max_batch)
        bsz = c->net.max_batch;
    ckr_batcher bat;
    ckr_sgd opt;
    memset(&opt, 0, sizeof opt);
    int rc = ckr_batcher_init(&bat, tr->n, bsz, 0, rng, err);
    if (rc)
        return rc;
    if ((rc = ckr_sgd_init(&opt, c->net.nparams, o->lr, o->momentum, o->sched, o->steps, err)))
        goto cleanup;
    size_t window = ckr_steps_per_epoch(tr->n, bsz), in_window = 0;
    double wsum = 0.0;
    for (size_t t = 0; t < o->steps; t++) {
        if (ckr_stop_requested()) {
            rc = ckr_err_set(err, CKR_EINTR, "training stopped at step %zu", t + 1);
            goto cleanup;
        }
        const size_t *pos;
        size_t B = ckr_batcher_next(&bat, &pos);
        gather(c, tr, pos, 0, B);
        memset(c->grad, 0, c->net.nparams * sizeof(double));
        double loss = batch_pass(c, c->theta, B, 1.0 / (double)B, c->grad) / (double)B;
        loss += ckr_mlp_l2(&c->net, c->theta, c->l2, c->grad);
        if (!isfinite(loss)) {
            c->diverged = 1;
            rc = ckr_err_set(err, CKR_ENUM, "training diverged: loss is not finite at step "
                             "%zu of %zu (lr=%g)", t + 1, o->steps, o->lr);
            goto cleanup;
        }
        ckr_sgd_step(&opt, c->theta, c->grad);
        if (o->steps - t <= window) {
            wsum += loss;
            in_window++;
        }
        st->steps = t + 1;
    }
    st->epochs = bat.epoch;
    st->last_loss = in_window ? wsum / (double)in_window : NAN;
cleanup:
    ckr_batcher_free(&bat);
    ckr_sgd_free(&opt);
    return rc;
}

typedef struct lbfgs_ctx {
    ckr_clf *c;
    const ckr_ds *ds;
} lbfgs_ctx;

static int lbfgs_fn(void *ctx, const double *x, double *f, double *g, ckr_err *err)
{
    lbfgs_ctx *l = ctx;
    return ckr_clf_objective(l->c, l->ds, x, f, g, err);
}

int ckr_clf_train_lbfgs(ckr_clf *c, const ckr_ds *tr, const ckr_lbfgs_opts *o,
                        ckr_lbfgs_info *info, ckr_err *err)
{
    lbfgs_ctx ctx = { c, tr };
    int rc = ckr_lbfgs(c->net.nparams, c->theta, lbfgs_fn, &ctx, o, info, err);
    if (!rc && !isfinite(info->f)) {
        c->diverged = 1;
        rc = ckr_err_set(err, CKR_ENUM, "L-BFGS objective is not finite");
    }
    return rc;
}

int ckr_clf_evaluate(ckr_clf *c, const ckr_ds *ev, ckr_clf_eval *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (ev->n == 0)
        return ckr_err_set(err, CKR_EARG, "evaluation split is empty");
    int ml = c->kind == CKR_MULTILABEL;
    double *S = ml ? malloc(ev->n * c->C * sizeof(double)) : NULL;
    uint8_t *T = ml ? malloc(ev->n * c->C) : NULL;
    if (ml && (!S || !T)) {
        free(S);
        free(T);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu x %zu scores", ev->n, c->C);
    }
    double loss = 0.0;
    size_t correct = 0;
    for (size_t s = 0; s < ev->n; s += c->net.max_batch) {
        size_t B = ev->n - s < c->net.max_batch ? ev->n - s : c->net.max_batch;
        gather(c, ev, NULL, s, B);
        const double *Z = ckr_mlp_forward(&c->net, c->theta, c->xb, B);
        loss += head_loss(c, Z, B, 0.0, 0);
        if (ml) {
            memcpy(S + s * c->C, Z, B * c->C * sizeof(double));
            memcpy(T + s * c->C, c->Yb, B * c->C);
        } else {
            correct += ckr_count_correct(Z, B, c->C, c->yb);
        }
    }
    out->n = ev->n;
    out->loss = loss / (double)ev->n;
    out->labels_used = c->C;
    out->metric = ml ? ckr_mean_average_precision(S, T, ev->n, c->C, &out->labels_used)
                     : (double)correct / (double)ev->n;
    free(S);
    free(T);
    if (!isfinite(out->loss)) {
        c->diverged = 1;
        return ckr_err_set(err, CKR_ENUM, "model output is not finite on the evaluated split");
    }
    return 0;
}
