/* optim.h -- first-order optimizers on a flat parameter vector (minimisation).
 *
 * SGD with (heavy-ball) momentum, as TensorFlow's MomentumOptimizer and
 * PyTorch's SGD without dampening: v = mu * v + g; theta -= lr_t * v.
 * Learning-rate schedules:
 *   CKR_LR_CONSTANT  lr_t = lr;
 *   CKR_LR_STEP      the VTAB piecewise-constant decay: lr_t = lr * 0.1^k with
 *                    k = #{ boundaries b : t > b }, boundaries floor(0.3 T),
 *                    floor(0.6 T), floor(0.9 T) for T total steps and t the
 *                    0-based step (tf.train.piecewise_constant semantics).
 * Adam (Kingma & Ba) with bias correction: m = b1 m + (1 - b1) g,
 * v = b2 v + (1 - b2) g^2, theta -= lr * mhat / (sqrt(vhat) + eps),
 * defaults b1 = 0.9, b2 = 0.999, eps = 1e-8.
 * FLOPs: SGD 4 per parameter per step, Adam 12 (sqrt counted as 1). */
#ifndef CKR_TRAIN_OPTIM_H
#define CKR_TRAIN_OPTIM_H

#include <stddef.h>

#include "util/err.h"

typedef enum { CKR_LR_CONSTANT = 0, CKR_LR_STEP = 1 } ckr_lr_schedule;

/* Learning rate of 0-based step t out of total steps T. */
double ckr_lr_at(double lr, ckr_lr_schedule sched, size_t t, size_t T);

typedef struct ckr_sgd {
    size_t n;
    double lr, momentum;
    ckr_lr_schedule sched;
    size_t total;        /* T for the schedule */
    size_t t;            /* steps taken */
    double *v;           /* velocity, n */
} ckr_sgd;

int ckr_sgd_init(ckr_sgd *o, size_t n, double lr, double momentum, ckr_lr_schedule sched,
                 size_t total_steps, ckr_err *err);
void ckr_sgd_step(ckr_sgd *o, double *theta, const double *grad);
void ckr_sgd_free(ckr_sgd *o);

typedef struct ckr_adam {
    size_t n;
    double lr, b1, b2, eps;
    size_t t;
    double *m, *v;
} ckr_adam;

int ckr_adam_init(ckr_adam *o, size_t n, double lr, ckr_err *err);
void ckr_adam_step(ckr_adam *o, double *theta, const double *grad);
void ckr_adam_free(ckr_adam *o);

#endif
