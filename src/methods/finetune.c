/* finetune.c -- early-stopped fine-tuning baselines (VTAB recipe), METHODS.md s5.
 *
 * Network: features -> dense(H) -> ReLU -> dense(C) -> softmax (multilabel:
 * C sigmoids with per-label binary cross-entropy), loss = mean cross-entropy
 * (+ (l2/2)||W||^2, default 0: no weight decay).
 * Hidden layer start:
 *   init=auto (default) and the pair has a checkpoint top layer
 *   (top_weights D x H0, top_bias H0) and hidden is 0 or H0: the hidden
 *   layer starts as that layer, so the network is fine-tuned from the
 *   checkpoint (info "init=top").  With standardize=1 the layer is folded
 *   into standardised coordinates (W' = diag(sd) W, b' = b + mu W), so the
 *   starting function of the raw features is exactly relu(x W + b);
 *   otherwise (no top layer, another width, or init=scratch) He-normal
 *   weights from the seeded rng and zero bias (info "init=scratch").
 *   hidden = 0 means H0 when the top layer is used, else 256.
 * The softmax head starts at 0.
 * Training: SGD, momentum 0.9, batch 512 (clipped to n_train), lr 0.01 with
 * the VTAB step decay (x0.1 after 30%, 60%, 90% of the steps; decay=none
 * keeps it constant), seeded shuffling with the last partial batch kept.
 * Length: steps when given (> 0), else epochs * ceil(n_train / batch)
 * (default 5 epochs).
 * Splits / score / heldout as linear.c: train on train, score = top-1
 * accuracy (multilabel: mAP) on val or the seeded stratified 20% hold-out,
 * heldout = the metric on the test split when present.  Sweeps such as
 * finetune:lr=0.001|0.01|0.1,steps=500|1000 are expanded by spec.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "methods/memory.h"
#include "methods/finetune.h"
#include "methods/method.h"
#include "methods/team.h"
#include "methods/trained.h"
#include "methods/trained_team.h"
#include "train/batcher.h"
#include "train/classifier.h"
#include "train/split.h"
#include "train/team_train.h"
#include "linalg/dist.h"
#include "util/flops.h"

#define DEFAULT_HIDDEN 256

CKR_CONFIG_FITS(ckr_finetune_cfg);

#define CFG ckr_finetune_cfg
static const ckr_param_def finetune_params[] = {
    CKR_INT_PARAM(CFG, epochs, "5",
                  "training epochs (steps = epochs * ceil(n_train / batch)) when steps is 0"),
    CKR_INT_PARAM(CFG, steps, "0", "SGD steps; > 0 overrides epochs"),
    CKR_DOUBLE_PARAM(CFG, lr, "0.01", "base learning rate"),
    CKR_INT_PARAM(CFG, batch, "512", "mini-batch size (clipped to n_train)"),
    CKR_DOUBLE_PARAM(CFG, momentum, "0.9", "SGD momentum"),
    CKR_INT_PARAM(CFG, hidden, "0",
                  "hidden width; 0 = that of the checkpoint top layer if present, else 256"),
    CKR_CHOICE_PARAM(CFG, init, "auto", "auto|scratch",
                     "auto: start the hidden layer from the pair's top_weights/top_bias "
                     "when present"),
    CKR_CHOICE_PARAM(CFG, decay, "step", "step|none",
                     "step: lr x0.1 at 30/60/90% of the steps (VTAB); none: constant"),
    CKR_DOUBLE_PARAM(CFG, l2, "0", "L2 penalty (l2/2)||W||^2 (0 = no weight decay)"),
    CKR_CHOICE_PARAM(CFG, standardize, "1", "1|0",
                     "z-score features with train-split mean / std"),
    CKR_PARAMS_END,
};

static int finetune_check(const void *config, ckr_param_fault *fault)
{
    const CFG *c = config;
    if (c->epochs < 0)
        return ckr_param_refuse(fault, offsetof(CFG, epochs), "must be >= 0");
    if (c->steps < 0)
        return ckr_param_refuse(fault, offsetof(CFG, steps), "must be >= 0");
    if (c->epochs == 0 && c->steps == 0)
        return ckr_param_refuse(fault, offsetof(CFG, epochs), "must be >= 1 when steps is 0");
    if (!(c->lr > 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, lr), "must be > 0");
    if (c->batch < 1)
        return ckr_param_refuse(fault, offsetof(CFG, batch), "must be >= 1");
    if (!(c->momentum >= 0.0 && c->momentum < 1.0))
        return ckr_param_refuse(fault, offsetof(CFG, momentum), "must be in [0, 1)");
    if (c->hidden < 0)
        return ckr_param_refuse(fault, offsetof(CFG, hidden), "must be >= 0");
    if (!(c->l2 >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, l2), "must be >= 0");
    return 0;
}
#undef CFG

static double finetune_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    const ckr_finetune_cfg *c = ckr_params_config(p);
    double H = c->hidden > 0 ? (double)c->hidden : DEFAULT_HIDDEN;
    double C = s->num_classes > 0 ? s->num_classes : 1, B = (double)c->batch;
    double n = (double)s->n;
    B = B > n ? n : B;
    double steps = (double)c->steps;
    if (steps <= 0)
        steps = ceil(n / (B > 0 ? B : 1)) * (double)c->epochs;
    double per_row = 4.0 * (double)s->d * H + 6.0 * H * C;
    return steps * B * per_row + 2.0 * (double)s->n_val * ((double)s->d * H + H * C);
}

/* Whether the checkpoint's top layer starts the hidden layer, and H. */
static size_t hidden_width(const ckr_pair *pair, const ckr_finetune_cfg *c, int *from_top)
{
    size_t H0 = pair->top_weights.data ? pair->top_weights.cols : 0;
    *from_top = c->init == CKR_FINETUNE_INIT_AUTO && H0 > 0 && pair->top_weights.rows == pair->train_features.cols &&
                (c->hidden == 0 || (size_t)c->hidden == H0);
    if (*from_top)
        return H0;
    return c->hidden > 0 ? (size_t)c->hidden : DEFAULT_HIDDEN;
}

/* Hidden layer = checkpoint top layer, folded into standardised coordinates. */
static void load_top(ckr_clf *clf, const ckr_pair *pair, const ckr_split *sp)
{
    const ckr_mlp *m = &clf->net;
    size_t D = m->dim[0], H = m->dim[1];
    double *W = clf->theta + m->w_off[0], *b = clf->theta + m->b_off[0];
    const double *W0 = pair->top_weights.data;
    for (size_t h = 0; h < H; h++)
        b[h] = pair->top_bias ? pair->top_bias[h] : 0.0;
    for (size_t d = 0; d < D; d++)
        for (size_t h = 0; h < H; h++) {
            double w = W0[d * H + h];
            if (sp->mu) {
                b[h] += sp->mu[d] * w;
                w /= sp->isd[d];
            }
            W[d * H + h] = w;
        }
    ckr_flops_add((sp->mu ? 3.0 : 0.0) * (double)D * (double)H);
}

static size_t total_steps(const ckr_finetune_cfg *c, size_t n)
{
    if (c->steps > 0)
        return (size_t)c->steps;
    size_t bsz = (size_t)c->batch < n ? (size_t)c->batch : n;
    return ckr_steps_per_epoch(n, bsz) * (size_t)c->epochs;
}

static int finetune_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng,
                          ckr_result *res)
{
    const ckr_finetune_cfg *c = ckr_params_config(p);
    int step_decay = c->decay == CKR_FINETUNE_DECAY_STEP, rc, from_top = 0;
    ckr_split sp;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    memset(&clf, 0, sizeof clf);
    if ((rc = ckr_split_make(pair, c->standardize == CKR_SWITCH_ON, &sp, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t H = hidden_width(pair, c, &from_top);
    size_t dim[3] = { sp.train.D, H, (size_t)sp.train.C }; /* the classes that occur */
    size_t bsz = (size_t)c->batch < sp.train.n ? (size_t)c->batch : sp.train.n;
    ckr_sgd_opts o = { .lr = c->lr, .momentum = c->momentum, .batch = bsz,
                       .steps = total_steps(c, sp.train.n),
                       .sched = step_decay ? CKR_LR_STEP : CKR_LR_CONSTANT };
    ckr_sgd_stats st;
    ckr_clf_eval ev;
    if ((rc = ckr_clf_create(&clf, 2, dim, pair->kind, c->l2, bsz, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    ckr_mlp_init(&clf.net, clf.theta, rng, 1);
    if (from_top)
        load_top(&clf, pair, &sp);
    if ((rc = ckr_clf_train_sgd(&clf, &sp.train, &o, rng, &st, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    if ((rc = ckr_trained_evaluate(&clf, &sp, &ev, res, &err)))
        goto cleanup;
    snprintf(res->info, sizeof res->info,
             "init=%s H=%zu steps=%zu batch=%zu lr=%g decay=%s train_loss=%.4g eval=%s "
             "n_eval=%zu eval_loss=%.4g metric=%s",
             from_top ? "top" : "scratch", H, st.steps, bsz, c->lr, step_decay ? "step" : "none",
             st.last_loss, ckr_split_eval_name(&sp), ev.n, ev.loss,
             pair->kind == CKR_MULTILABEL ? "mAP" : "top1");
    rc = ckr_result_ok(res, ev.metric);
cleanup:
    ckr_clf_destroy(&clf);
    ckr_split_free(&sp);
    return rc;
}

/* The same on a team (method.h's score_team): the split of trained_team.h,
 * SGD with the same global minibatches on every rank and the gradient
 * summed over the team (train/team_train.h). */
static int finetune_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                               ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return finetune_score(local, p, rng, res);
    const ckr_finetune_cfg *c = ckr_params_config(p);
    int step_decay = c->decay == CKR_FINETUNE_DECAY_STEP, rc, from_top = 0;
    ckr_team_split ts;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    memset(&clf, 0, sizeof clf);
    if ((rc = ckr_team_split_make(local, team, c->standardize == CKR_SWITCH_ON, &ts, res)))
        goto cleanup;
    size_t H = hidden_width(local, c, &from_top), n_train = ts.n_train;
    size_t dim[3] = { ts.D, H, ts.C };
    size_t bsz = (size_t)c->batch < n_train ? (size_t)c->batch : n_train;
    ckr_sgd_opts o = { .lr = c->lr, .momentum = c->momentum, .batch = bsz,
                       .steps = total_steps(c, n_train),
                       .sched = step_decay ? CKR_LR_STEP : CKR_LR_CONSTANT };
    ckr_sgd_stats st;
    ckr_clf_eval ev;
    rc = ckr_clf_create(&clf, 2, dim, local->kind, c->l2, bsz, &err);
    if ((rc = ckr_dist_agree(team->comm, rc, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    ckr_mlp_init(&clf.net, clf.theta, rng, 1);
    if (from_top)
        load_top(&clf, local, &ts.sp);
    if ((rc = ckr_clf_train_sgd_team(&clf, &ts.base, team->row0, ts.sp.train.idx, n_train,
                                     team->comm, &o, rng, &st, &err))) {
        rc = ckr_trained_fail(res, rc, &clf, &err);
        goto cleanup;
    }
    if ((rc = ckr_team_trained_evaluate(&clf, &ts, team, &ev, res)))
        goto cleanup;
    snprintf(res->info, sizeof res->info,
             "init=%s H=%zu steps=%zu batch=%zu lr=%g decay=%s train_loss=%.4g eval=%s "
             "n_eval=%zu eval_loss=%.4g metric=%s",
             from_top ? "top" : "scratch", H, st.steps, bsz, c->lr, step_decay ? "step" : "none",
             st.last_loss, ckr_split_eval_name(&ts.sp), ev.n, ev.loss,
             local->kind == CKR_MULTILABEL ? "mAP" : "top1");
    ckr_team_info_suffix(team, res);
    rc = ckr_result_ok(res, ev.metric);
cleanup:
    ckr_clf_destroy(&clf);
    ckr_team_split_free(&ts);
    return rc;
}

const ckr_method ckr_method_finetune = {
    .name = "finetune",
    .summary = "fine-tune a hidden layer (from the checkpoint's top layer when present) + "
               "softmax head with SGD momentum and VTAB step decay; score = val accuracy "
               "(multilabel: mAP)",
    .params = finetune_params,
    .check = finetune_check,
    .cost = finetune_cost,
    .score = finetune_score,
    .score_team = finetune_score_team,
    .gives_accuracy = 1,
    .memory = ckr_memory_trained,
};
