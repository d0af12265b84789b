/* linear_team.c -- the linear probe on a team of ranks (score_team of
 * ckr_method_linear; the probe is described in linear.c, the team contract
 * in methods/method.h).
 *
 * The split as trained_team.h builds it (labels gathered, the single-rank
 * split, each rank's rows); the L-BFGS objective or the SGD minibatch
 * gradients (the same global minibatches on every rank) are summed over the
 * team (train/team_train.h). A team of one runs the single-rank score.
 * Memory per rank beyond its rows: the labels, the model and its gradient. */
#include <stdio.h>
#include <string.h>

#include "methods/linear.h"
#include "methods/method.h"
#include "methods/team.h"
#include "methods/trained.h"
#include "methods/trained_team.h"
#include "linalg/dist.h"
#include "train/batcher.h"
#include "train/team_train.h"

extern const ckr_method ckr_method_linear;

int ckr_linear_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return ckr_method_linear.score(local, p, rng, res);
    const ckr_linear_cfg *c = ckr_params_config(p);
    ckr_team_split ts;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    memset(&clf, 0, sizeof clf);
    int rc = ckr_team_split_make(local, team, c->standardize == CKR_SWITCH_ON, &ts, res);
    if (rc)
        goto cleanup;
    size_t n_train = ts.n_train, dim[2] = { ts.D, ts.C };
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
        rc = ckr_clf_train_lbfgs_team(&clf, &ts.train, n_train, team->comm, &o, &li, &err);
        if (!rc)
            snprintf(tinfo, sizeof tinfo, "opt=lbfgs iters=%d stop=%s gnorm=%.2g train_loss=%.4g",
                     li.iters, li.stop, li.gnorm, li.f);
    } else {
        ckr_sgd_opts o = { .lr = c->lr, .momentum = c->momentum, .batch = (size_t)c->batch,
                           .sched = CKR_LR_CONSTANT };
        size_t bsz = o.batch < n_train ? o.batch : n_train;
        o.steps = ckr_steps_per_epoch(n_train, bsz) * (size_t)c->epochs;
        ckr_sgd_stats st;
        rc = ckr_clf_train_sgd_team(&clf, &ts.base, team->row0, ts.sp.train.idx, n_train,
                                    team->comm, &o, rng, &st, &err);
        if (!rc)
            snprintf(tinfo, sizeof tinfo, "opt=sgd epochs=%ld steps=%zu batch=%zu train_loss=%.4g",
                     c->epochs, st.steps, bsz, st.last_loss);
    }
    if (rc) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    ckr_clf_eval ev;
    if ((rc = ckr_team_trained_evaluate(&clf, &ts, team, &ev, res)))
        goto cleanup;
    snprintf(res->info, sizeof res->info, "%s eval=%s n_eval=%zu eval_loss=%.4g metric=%s",
             tinfo, ckr_split_eval_name(&ts.sp), ev.n, ev.loss,
             local->kind == CKR_MULTILABEL ? "mAP" : "top1");
    ckr_team_info_suffix(team, res);
    rc = ckr_result_ok(res, ev.metric);
cleanup:
    ckr_clf_destroy(&clf);
    ckr_team_split_free(&ts);
    return rc;
}
