/* team_train.c -- data-parallel classifier training on a team (contract in
 * train/team_train.h). */
#include "train/team_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"
#include "train/batcher.h"
#include "train/loss.h"
#include "util/flops.h"
#include "util/stop.h"

/* Loss sum of B gathered rows at theta, adding gscale * its gradient into g
 * (when not NULL). The rows are in c->xb / c->yb / c->Yb. */
static double rows_pass(ckr_clf *c, const double *theta, size_t B, double gscale, double *g)
{
    const double *Z = ckr_mlp_forward(&c->net, theta, c->xb, B);
    double *d = g ? c->dout : NULL;
    double loss = c->kind == CKR_MULTILABEL ? ckr_sigmoid_bce(Z, B, c->C, c->Yb, gscale, d)
                                            : ckr_softmax_xent(Z, B, c->C, c->yb, gscale, d);
    if (g)
        ckr_mlp_backward(&c->net, theta, c->xb, B, c->dout, g);
    return loss;
}

/* Per-step sums up to this many doubles in all (P x the step's values) go
 * through one allgather; larger ones through ckr_dist_sum (same bits). */
#define STEP_GATHER_MAX ((size_t)1 << 18)

/* Scratch for the one-allgather step sum: P x (np + 2) doubles when that is
 * at most STEP_GATHER_MAX, else NULL. Collective (agreed); CKR_ENOMEM. */
static int step_scratch(MPI_Comm comm, size_t np, double **all, ckr_err *err)
{
    int P = 1, rc = 0;
    MPI_Comm_size(comm, &P);
    *all = NULL;
    if (P > 1 && (size_t)P * (np + 2) <= STEP_GATHER_MAX &&
        !(*all = malloc((size_t)P * (np + 2) * sizeof **all)))
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for the gradient sums");
    return ckr_dist_agree(comm, rc, err);
}

/* buf = [gradient (np), loss sum, stop] summed over the team in rank order
 * (ckr_dist_sum's bits; one allgather into all when it is not NULL). */
static int sum_step(MPI_Comm comm, double *buf, size_t np, double *all, ckr_err *err)
{
    buf[np + 1] = ckr_stop_requested() ? 1.0 : 0.0;
    int rc = 0, P = 1;
    size_t n = np + 2;
    MPI_Comm_size(comm, &P);
    if (!all) {
        rc = ckr_dist_sum(comm, buf, n);
    } else if (MPI_Allgather(buf, (int)n, MPI_DOUBLE, all, (int)n, MPI_DOUBLE, comm) !=
               MPI_SUCCESS) {
        rc = CKR_EMPI;
    } else {
        for (size_t i = 0; i < n; i++) {
            double v = all[i];
            for (size_t r = 1; r < (size_t)P; r++)
                v += all[r * n + i];
            buf[i] = v;
        }
        ckr_flops_add((double)n * (double)(P - 1));
    }
    if (rc)
        return ckr_err_set(err, rc, "summing the gradient over the team failed");
    if (buf[np + 1] > 0.0)
        return ckr_err_set(err, CKR_EINTR, "training stopped (the item is abandoned)");
    return 0;
}

typedef struct team_obj {
    ckr_clf *c;
    const ckr_ds *tr;
    size_t n_train;
    MPI_Comm comm;
    double *buf; /* np + 2 */
    double *all; /* step_scratch */
} team_obj;

static int team_obj_fn(void *ctx, const double *x, double *f, double *g, ckr_err *err)
{
    team_obj *o = ctx;
    ckr_clf *c = o->c;
    size_t np = c->net.nparams;
    double inv = 1.0 / (double)o->n_train, sum = 0.0;
    memset(o->buf, 0, (np + 2) * sizeof *o->buf);
    for (size_t s = 0; s < o->tr->n; s += c->net.max_batch) {
        size_t B = o->tr->n - s < c->net.max_batch ? o->tr->n - s : c->net.max_batch;
        ckr_ds_gather(o->tr, NULL, s, B, c->xb);
        ckr_ds_gather_labels(o->tr, NULL, s, B, c->yb, c->Yb);
        sum += rows_pass(c, x, B, inv, o->buf);
    }
    o->buf[np] = sum;
    int rc = sum_step(o->comm, o->buf, np, o->all, err);
    if (rc)
        return rc;
    if (g)
        memcpy(g, o->buf, np * sizeof *g);
    *f = o->buf[np] * inv + ckr_mlp_l2(&c->net, x, c->l2, g);
    return 0;
}

int ckr_clf_train_lbfgs_team(ckr_clf *c, const ckr_ds *tr, size_t n_train, MPI_Comm comm,
                             const ckr_lbfgs_opts *o, ckr_lbfgs_info *info, ckr_err *err)
{
    team_obj ctx = { c, tr, n_train, comm, malloc((c->net.nparams + 2) * sizeof(double)), NULL };
    int rc = ctx.buf ? 0 : ckr_err_set(err, CKR_ENOMEM, "out of memory for the gradient");
    if ((rc = ckr_dist_agree(comm, rc, err)) ||
        (rc = step_scratch(comm, c->net.nparams, &ctx.all, err)))
        goto done;
    rc = ckr_lbfgs(c->net.nparams, c->theta, team_obj_fn, &ctx, o, info, err);
    if (!rc && !isfinite(info->f)) {
        c->diverged = 1;
        rc = ckr_err_set(err, CKR_ENUM, "L-BFGS objective is not finite");
    }
done:
    free(ctx.buf);
    free(ctx.all);
    return rc;
}

int ckr_clf_train_sgd_team(ckr_clf *c, const ckr_ds *base, size_t row0, const size_t *gidx,
                           size_t n_train, MPI_Comm comm, const ckr_sgd_opts *o, ckr_rng *rng,
                           ckr_sgd_stats *st, ckr_err *err)
{
    memset(st, 0, sizeof *st);
    size_t bsz = o->batch < n_train ? o->batch : n_train, np = c->net.nparams;
    if (bsz > c->net.max_batch)
        bsz = c->net.max_batch;
    ckr_batcher bat;
    ckr_sgd opt;
    memset(&bat, 0, sizeof bat);
    memset(&opt, 0, sizeof opt);
    double *buf = malloc((np + 2) * sizeof *buf), *all = NULL;
    size_t *mine = malloc(bsz * sizeof *mine);
    int rc = buf && mine ? 0 : ckr_err_set(err, CKR_ENOMEM, "out of memory for the gradient");
    if (!rc)
        rc = ckr_batcher_init(&bat, n_train, bsz, 0, rng, err);
    if (!rc)
        rc = ckr_sgd_init(&opt, np, o->lr, o->momentum, o->sched, o->steps, err);
    if ((rc = ckr_dist_agree(comm, rc, err)) || (rc = step_scratch(comm, np, &all, err)))
        goto cleanup;
    size_t window = ckr_steps_per_epoch(n_train, bsz), in_window = 0;
    double wsum = 0.0;
    for (size_t t = 0; t < o->steps; t++) {
        const size_t *pos;
        size_t B = ckr_batcher_next(&bat, &pos), m = 0;
        for (size_t j = 0; j < B; j++) { /* the batch rows this rank holds, in batch order */
            size_t row = gidx ? gidx[pos[j]] : pos[j];
            if (row >= row0 && row < row0 + base->n)
                mine[m++] = row - row0;
        }
        memset(buf, 0, (np + 2) * sizeof *buf);
        if (m) {
            ckr_ds_gather(base, mine, 0, m, c->xb);
            ckr_ds_gather_labels(base, mine, 0, m, c->yb, c->Yb);
            buf[np] = rows_pass(c, c->theta, m, 1.0 / (double)B, buf);
        }
        if ((rc = sum_step(comm, buf, np, all, err)))
            goto cleanup;
        memcpy(c->grad, buf, np * sizeof *buf);
        double loss = buf[np] / (double)B;
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
    free(buf);
    free(all);
    free(mine);
    return rc;
}

int ckr_clf_evaluate_team(ckr_clf *c, const ckr_ds *ev, size_t n_eval, MPI_Comm comm,
                          const uint8_t *T, ckr_clf_eval *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (n_eval == 0)
        return ckr_err_set(err, CKR_EARG, "evaluation split is empty");
    int ml = c->kind == CKR_MULTILABEL, P = 1, rc = 0;
    MPI_Comm_size(comm, &P);
    size_t C = c->C;
    double *S = ml ? malloc((ev->n ? ev->n : 1) * C * sizeof *S) : NULL;
    double *all = ml ? malloc(n_eval * C * sizeof *all) : NULL;
    int *cnt = ml ? malloc(2 * (size_t)P * sizeof *cnt) : NULL;
    if (ml && (!S || !all || !cnt))
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu x %zu scores", n_eval, C);
    if ((rc = ckr_dist_agree(comm, rc, err)))
        goto done;
    double sums[2] = { 0.0, 0.0 }; /* loss, correct */
    for (size_t s = 0; s < ev->n; s += c->net.max_batch) {
        size_t B = ev->n - s < c->net.max_batch ? ev->n - s : c->net.max_batch;
        ckr_ds_gather(ev, NULL, s, B, c->xb);
        ckr_ds_gather_labels(ev, NULL, s, B, c->yb, c->Yb);
        const double *Z = ckr_mlp_forward(&c->net, c->theta, c->xb, B);
        if (ml) {
            sums[0] += ckr_sigmoid_bce(Z, B, C, c->Yb, 0.0, NULL);
            memcpy(S + s * C, Z, B * C * sizeof *S);
        } else {
            sums[0] += ckr_softmax_xent(Z, B, C, c->yb, 0.0, NULL);
            sums[1] += (double)ckr_count_correct(Z, B, C, c->yb);
        }
    }
    if ((rc = ckr_dist_sum(comm, sums, 2))) {
        ckr_err_set(err, rc, "summing the evaluation over the team failed");
        goto done;
    }
    out->n = n_eval;
    out->loss = sums[0] / (double)n_eval;
    out->labels_used = C;
    if (ml) {
        int mine = (int)(ev->n * C);
        if (MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, comm) != MPI_SUCCESS) {
            rc = ckr_err_set(err, CKR_EMPI, "MPI failed on the team");
            goto done;
        }
        for (int r = 0, at = 0; r < P; r++) {
            cnt[P + r] = at;
            at += cnt[r];
        }
        if (MPI_Allgatherv(S, mine, MPI_DOUBLE, all, cnt, cnt + P, MPI_DOUBLE, comm) !=
            MPI_SUCCESS) {
            rc = ckr_err_set(err, CKR_EMPI, "MPI failed on the team");
            goto done;
        }
        out->metric = ckr_mean_average_precision(all, T, n_eval, C, &out->labels_used);
    } else {
        out->metric = sums[1] / (double)n_eval;
    }
    if (!isfinite(out->loss)) {
        c->diverged = 1;
        rc = ckr_err_set(err, CKR_ENUM, "model output is not finite on the evaluated split");
    }
done:
    free(S);
    free(all);
    free(cnt);
    return rc;
}

int ckr_ds_moments_team(const ckr_ds *tr, size_t n_train, MPI_Comm comm, double *mu,
                        double *isd, ckr_err *err)
{
    size_t D = tr->D;
    if (n_train == 0 || D == 0)
        return ckr_err_set(err, CKR_EARG, "standardisation needs a non-empty feature view");
    memset(mu, 0, D * sizeof *mu);
    memset(isd, 0, D * sizeof *isd);
    for (size_t p = 0; p < tr->n; p++) {
        const double *x = tr->X + ckr_ds_row(tr, p) * D;
        for (size_t d = 0; d < D; d++)
            mu[d] += x[d];
    }
    int rc = ckr_dist_sum(comm, mu, D);
    if (rc)
        return ckr_err_set(err, rc, "summing the feature means over the team failed");
    for (size_t d = 0; d < D; d++)
        mu[d] /= (double)n_train;
    for (size_t p = 0; p < tr->n; p++) {
        const double *x = tr->X + ckr_ds_row(tr, p) * D;
        for (size_t d = 0; d < D; d++) {
            double v = x[d] - mu[d];
            isd[d] += v * v;
        }
    }
    if ((rc = ckr_dist_sum(comm, isd, D)))
        return ckr_err_set(err, rc, "summing the feature variances over the team failed");
    for (size_t d = 0; d < D; d++) {
        double sd = sqrt(isd[d] / (double)n_train);
        isd[d] = (sd > 1e-12 * (1.0 + fabs(mu[d]))) ? 1.0 / sd : 1.0;
    }
    ckr_flops_add(4.0 * (double)tr->n * (double)D + 3.0 * (double)D);
    return 0;
}
