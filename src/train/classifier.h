/* classifier.h -- train and evaluate an MLP classifier on a dataset view.
 *
 * The model is a ckr_mlp whose last layer gives C logits.  Objective:
 *   multiclass  mean softmax cross-entropy over the samples,
 *   multilabel  mean over samples of the per-label sigmoid binary
 *               cross-entropies summed over the C labels,
 * plus (l2 / 2) * sum of squared weights (biases not penalised).
 * Training:
 *   ckr_clf_train_sgd    mini-batch SGD with momentum (optim.h) over seeded
 *                        shuffled batches (batcher.h, last partial batch of an
 *                        epoch kept), for a given number of steps;
 *   ckr_clf_train_lbfgs  full-batch L-BFGS (lbfgs.h) on the exact objective.
 * Both poll the stop flag (util/stop.h) once per step / iteration and then
 * return CKR_EINTR.
 * Evaluation: multiclass top-1 accuracy (first maximal logit); multilabel
 * macro mean average precision over labels that have a positive in the
 * evaluated split (loss.h).
 * A non-finite training loss or evaluation loss stops with CKR_ENUM and
 * `diverged` set (callers report status "diverged"). */
#ifndef CKR_TRAIN_CLASSIFIER_H
#define CKR_TRAIN_CLASSIFIER_H

#include "train/dataset.h"
#include "train/lbfgs.h"
#include "train/mlp.h"
#include "train/optim.h"

typedef struct ckr_clf {
    ckr_mlp net;
    ckr_task_kind kind;
    size_t C;             /* outputs = net.dim[L] */
    double l2;
    double *theta;        /* net.nparams */
    double *grad;         /* net.nparams */
    double *xb, *dout;    /* max_batch x dim[0], max_batch x C */
    int *yb;
    uint8_t *Yb;
    int diverged;
} ckr_clf;

/* L layers of widths dim[0..L] (dim[L] = number of classes / labels);
 * theta is zeroed.  max_batch bounds every batch / evaluation chunk. */
int ckr_clf_create(ckr_clf *c, int L, const size_t *dim, ckr_task_kind kind, double l2,
                   size_t max_batch, ckr_err *err);
void ckr_clf_destroy(ckr_clf *c);

/* Objective value at theta over the whole view (chunks of max_batch) and,
 * when g is not NULL, its gradient. */
int ckr_clf_objective(ckr_clf *c, const ckr_ds *ds, const double *theta, double *f, double *g,
                      ckr_err *err);

typedef struct ckr_sgd_opts {
    double lr, momentum;
    size_t batch;              /* clipped to the view size */
    size_t steps;
    ckr_lr_schedule sched;
} ckr_sgd_opts;

typedef struct ckr_sgd_stats {
    size_t steps, epochs;      /* steps taken, epochs started */
    double last_loss;          /* mean objective over the last min(steps, ceil(n/B)) batches */
} ckr_sgd_stats;

int ckr_clf_train_sgd(ckr_clf *c, const ckr_ds *tr, const ckr_sgd_opts *o, ckr_rng *rng,
                      ckr_sgd_stats *st, ckr_err *err);
int ckr_clf_train_lbfgs(ckr_clf *c, const ckr_ds *tr, const ckr_lbfgs_opts *o,
                        ckr_lbfgs_info *info, ckr_err *err);

typedef struct ckr_clf_eval {
    double metric;       /* accuracy or mAP */
    double loss;         /* mean loss (no L2 term) */
    size_t n;            /* samples evaluated */
    size_t labels_used;  /* multilabel: labels with a positive (else C) */
} ckr_clf_eval;

int ckr_clf_evaluate(ckr_clf *c, const ckr_ds *ev, ckr_clf_eval *out, ckr_err *err);

#endif
