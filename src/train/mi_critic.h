/* mi_critic.h -- train a separable critic for the I_alpha bound and estimate
 * the mutual information I(X; Y) with it.
 *
 * Critic (the colab's "separable" critic): f(x, y) = h(y) . g(x) with g and h
 * MLPs of `layers` hidden ReLU layers of width `hidden` and a linear
 * embedding of width `embed`.  Log-baseline log q(y) = beta . y + beta0, a
 * linear function of the y input (for one-hot labels this is one free value
 * per class, as expressive as any baseline network of y).  Initialisation
 * (from the rng): hidden weights He-normal, embedding weights N(0, 1/fan_in),
 * biases and the baseline 0.
 *
 * Training: up to `steps` Adam steps (lr, b1 0.9, b2 0.999, eps 1e-8)
 * maximising I_alpha (ibound.h) on full batches of K = min(batch, n_train)
 * pairs drawn by a seeded shuffle of the training view (batcher.h,
 * drop_last).
 * Early stopping (when monitor views are given and patience > 0): every
 * `check_every` steps the bound is averaged over `monitor_batches` fixed
 * batches of K_m = min(K, n_monitor) monitor pairs (drawn once, before
 * training); the critic with the best monitor value (the untrained one at
 * step 0 included) is kept, and training stops after `patience` checks
 * without improvement.  A small training set
 * is memorised within a few dozen epochs, after which the bound on unseen
 * pairs collapses (goes far below 0), so this matters.
 * Estimate: the mean of I_alpha over `eval_batches` full batches of
 * K' = min(K, n_eval) pairs drawn the same way from the evaluation view
 * after training (the critic is frozen); when K' = n_eval every batch is the
 * whole evaluation set, so it is evaluated once.
 *
 * Views: x views give the network input of x, y views that of y (features,
 * or with X == NULL one-hot / multi-hot labels, dataset.h); xtr/ytr (and
 * xev/yev) must have the same n and aligned positions.
 * FLOPs: everything is counted (BLAS wrappers, ibound, Adam). */
#ifndef CKR_TRAIN_MI_CRITIC_H
#define CKR_TRAIN_MI_CRITIC_H

#include "train/dataset.h"

typedef struct ckr_mi_opts {
    double alpha;          /* 0 <= alpha <= 1 */
    size_t batch;          /* K >= 2 */
    size_t steps;
    double lr;
    size_t hidden, embed;  /* >= 1 */
    int layers;            /* hidden layers per tower, 0..4 */
    size_t eval_batches;   /* >= 1 */
    size_t check_every;    /* early stopping: steps between monitor checks (>= 1) */
    int patience;          /* checks without improvement before stopping; 0 = off */
    size_t monitor_batches;/* fixed monitor batches (>= 1) */
} ckr_mi_opts;

typedef struct ckr_mi_result {
    double estimate;       /* mean bound over the evaluation batches */
    double sd;             /* standard deviation of the per-batch values */
    size_t K_eval, n_eval_batches;
    double train_bound;    /* mean training-batch bound over the check window of the
                              kept critic (no monitor: over the last 10% of steps) */
    double monitor_bound;  /* best monitor value (NaN without early stopping) */
    size_t steps_run, best_step; /* steps taken; step of the kept critic */
    int diverged;          /* 1 when training produced a non-finite bound */
} ckr_mi_result;

/* xmon / ymon may be NULL (no early stopping: all `steps` are run). Polls
 * the stop flag (util/stop.h) once per training step: CKR_EINTR. */
int ckr_mi_estimate(const ckr_ds *xtr, const ckr_ds *ytr, const ckr_ds *xmon,
                    const ckr_ds *ymon, const ckr_ds *xev, const ckr_ds *yev,
                    const ckr_mi_opts *o, ckr_rng *rng, ckr_mi_result *out, ckr_err *err);

/* FLOPs of one training step (forward + backward + bound + Adam) for
 * inputs of widths dx, dy; used for cost estimates. */
double ckr_mi_step_flops(size_t dx, size_t dy, const ckr_mi_opts *o);

#endif
