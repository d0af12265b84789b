/* linear.c -- the linear-probe baselines ("linear separability"), METHODS.md s4.
 *
 * Model: multinomial logistic regression (softmax over C classes; for
 * multilabel tasks C independent sigmoids with binary cross-entropy) on the
 * frozen train_features, z-scored with training statistics (standardize=1).
 * Objective: mean cross-entropy + (l2 / 2) ||W||^2 (bias not penalised).
 * Weights and bias start at 0 (the problem is convex).
 *
 *   linear                 trained to convergence: full-batch L-BFGS until
 *                          max |gradient| <= tol (1e-6), a relative objective
 *                          decrease <= 1e-13, or maxiter (1000) iterations.
 *                          Equivalent to scikit-learn's
 *                          LogisticRegression(C = 1 / (l2 * n_train)) on the
 *                          standardised features.
 *   linear:epochs=E        E epochs of mini-batch SGD (batch 512, momentum
 *                          0.9, constant lr 0.01, seeded shuffling, last
 *                          partial batch kept): ceil(n_train / batch) * E steps.
 *
 * Splits (train/split.h): train on the train split; score = top-1 accuracy
 * (multilabel: macro mean average precision over the labels with a positive)
 * on the validation split, or, when the pair has none, on a seeded stratified
 * 20% hold-out of train (info says "holdout=20%"), which is then not trained
 * on.  res->heldout = the same metric on the pair's test split when it has
 * one (NaN otherwise).  A non-finite loss gives status "diverged". */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "methods/memory.h"
#include "methods/linear.h"
#include "methods/method.h"
#include "methods/trained.h"
#include "train/batcher.h"
#include "train/classifier.h"
#include "train/split.h"

CKR_CONFIG_FITS(ckr_linear_cfg);

#define CFG ckr_linear_cfg
static const ckr_param_def linear_params[] = {
    CKR_INT_PARAM(CFG, epochs, "0", "SGD epochs; 0 = train to convergence with full-batch L-BFGS"),
    CKR_DOUBLE_PARAM(CFG, lr, "0.01", "SGD learning rate (constant)"),
    CKR_INT_PARAM(CFG, batch, "512", "SGD mini-batch size (clipped to n_train)"),
    CKR_DOUBLE_PARAM(CFG, momentum, "0.9", "SGD momentum"),
    CKR_DOUBLE_PARAM(CFG, l2, "1e-4",
                     "L2 penalty (l2/2)||W||^2 added to the mean cross-entropy "
                     "(bias not penalised)"),
    CKR_DOUBLE_PARAM(CFG, tol, "1e-6", "L-BFGS: stop when max |gradient| <= tol"),
    CKR_INT_PARAM(CFG, maxiter, "1000", "L-BFGS: iteration limit"),
    CKR_CHOICE_PARAM(CFG, standardize, "1", "1|0", "z-score features with train-split mean / std"),
    CKR_PARAMS_END,
};

/* The same ranges whether SGD (epochs > 0) or L-BFGS trains. */
static int linear_check(const void *config, ckr_param_fault *fault)
{
    const CFG *c = config;
    if (c->epochs < 0)
        return ckr_param_refuse(fault, offsetof(CFG, epochs), "must be >= 0");
    if (!(c->lr > 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, lr), "must be > 0");
    if (c->batch < 1)
        return ckr_param_refuse(fault, offsetof(CFG, batch), "must be >= 1");
    if (!(c->momentum >= 0.0 && c->momentum < 1.0))
        return ckr_param_refuse(fault, offsetof(CFG, momentum), "must be in [0, 1)");
    if (!(c->l2 >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, l2), "must be >= 0");
    if (!(c->tol >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, tol), "must be >= 0");
    if (c->maxiter < 1 || c->maxiter > INT_MAX)
        return ckr_param_refuse(fault, offsetof(CFG, maxiter), "must be in [1, 2147483647]");
    return 0;
}
#undef CFG

static double linear_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    double ndc = (double)s->n * (double)s->d * (double)(s->num_classes > 0 ? s->num_classes : 1);
    long epochs = ((const ckr_linear_cfg *)ckr_params_config(p))->epochs;
    double passes = epochs > 0 ? (double)epochs : 100.0; /* L-BFGS: ~100 evaluations */
    return 4.0 * ndc * passes + 2.0 * ndc * 0.25;
}

/* Train by L-BFGS or SGD; writes a summary into info. */
static int train(ckr_clf *clf, const ckr_split *sp, const ckr_linear_cfg *c, ckr_rng *rng,
                 char *info, size_t len, ckr_err *err)
{
    if (c->epochs == 0) {
        ckr_lbfgs_opts o;
        ckr_lbfgs_info li;
        ckr_lbfgs_defaults(&o);
        o.gtol = c->tol;
        o.max_iter = (int)c->maxiter;
        int rc = ckr_clf_train_lbfgs(clf, &sp->train, &o, &li, err);
        if (!rc)
            snprintf(info, len, "opt=lbfgs iters=%d stop=%s gnorm=%.2g train_loss=%.4g",
                     li.iters, li.stop, li.gnorm, li.f);
        return rc;
    }
    ckr_sgd_opts o = { .lr = c->lr, .momentum = c->momentum, .batch = (size_t)c->batch,
                       .sched = CKR_LR_CONSTANT };
    size_t bsz = o.batch < sp->train.n ? o.batch : sp->train.n;
    o.steps = ckr_steps_per_epoch(sp->train.n, bsz) * (size_t)c->epochs;
    ckr_sgd_stats st;
    int rc = ckr_clf_train_sgd(clf, &sp->train, &o, rng, &st, err);
    if (!rc)
        snprintf(info, len, "opt=sgd epochs=%ld steps=%zu batch=%zu train_loss=%.4g",
                 c->epochs, st.steps, bsz, st.last_loss);
    return rc;
}

static int linear_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng,
                        ckr_result *res)
{
    const ckr_linear_cfg *c = ckr_params_config(p);
    int rc;
    ckr_split sp;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    memset(&clf, 0, sizeof clf);
    if ((rc = ckr_split_make(pair, c->standardize == CKR_SWITCH_ON, &sp, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t dim[2] = { sp.train.D, (size_t)sp.train.C }; /* the classes that occur */
    size_t chunk = sp.train.n < 1024 ? sp.train.n : 1024;
    if (c->epochs > 0 && (size_t)c->batch > chunk)
        chunk = (size_t)c->batch < sp.train.n ? (size_t)c->batch : sp.train.n;
    char tinfo[160] = "";
    ckr_clf_eval ev;
    if ((rc = ckr_clf_create(&clf, 1, dim, pair->kind, c->l2, chunk, &err)) ||
        (rc = train(&clf, &sp, c, rng, tinfo, sizeof tinfo, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    if ((rc = ckr_trained_evaluate(&clf, &sp, &ev, res, &err)))
        goto cleanup;
    snprintf(res->info, sizeof res->info, "%s eval=%s n_eval=%zu eval_loss=%.4g metric=%s",
             tinfo, ckr_split_eval_name(&sp), ev.n, ev.loss,
             pair->kind == CKR_MULTILABEL ? "mAP" : "top1");
    rc = ckr_result_ok(res, ev.metric);
cleanup:
    ckr_clf_destroy(&clf);
    ckr_split_free(&sp);
    return rc;
}

const ckr_method ckr_method_linear = {
    .name = "linear",
    .summary = "linear probe: softmax regression on the features (SGD epochs or L-BFGS to "
               "convergence), score = validation top-1 accuracy (multilabel: mAP)",
    .params = linear_params,
    .check = linear_check,
    .cost = linear_cost,
    .score = linear_score,
    .score_team = ckr_linear_score_team, /* linear_team.c */
    .gives_accuracy = 1,
    .memory = ckr_memory_trained,
};
