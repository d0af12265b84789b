/* team_train.h -- data-parallel training and evaluation of a ckr_clf
 * (train/classifier.h) whose training rows are split over the ranks of a
 * team communicator.
 *
 * Every rank holds the same classifier (same theta at every step) and some
 * of the rows of each view. The objective and gradient of a step are the
 * local sums (loss sum, gradient scaled by 1 / the global row count) added
 * over the team with ckr_dist_sum (linalg/dist.h: rank order, the same bits
 * on every rank), plus the L2 term, so every rank takes the same step and
 * the result equals the single-rank trainer's up to rounding.
 *
 * Stop flag: every objective evaluation or SGD step agrees
 * ckr_stop_requested() over the team (an extra element of the gradient sum)
 * and returns CKR_EINTR on every rank.
 *
 * All functions are collective over comm and return the same code on every
 * rank (allocation failures are agreed). */
#ifndef CKR_TRAIN_TEAM_TRAIN_H
#define CKR_TRAIN_TEAM_TRAIN_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "train/classifier.h"

/* ckr_clf_train_lbfgs over the team: tr is this rank's part of the training
 * view (any n, possibly 0), n_train the view's global row count (>= 1). */
int ckr_clf_train_lbfgs_team(ckr_clf *c, const ckr_ds *tr, size_t n_train, MPI_Comm comm,
                             const ckr_lbfgs_opts *o, ckr_lbfgs_info *info, ckr_err *err);

/* ckr_clf_train_sgd over the team with the same global minibatches on every
 * rank (the batcher over n_train positions, drawn from rng identically
 * everywhere). Position p of the training view is global row
 * gidx[p] (identity when gidx is NULL); this rank holds global rows [row0,
 * row0 + base->n) as base (a view of its rows, identity idx). Each rank
 * computes the gradient of the batch rows it holds, scaled by 1 / batch. */
int ckr_clf_train_sgd_team(ckr_clf *c, const ckr_ds *base, size_t row0, const size_t *gidx,
                           size_t n_train, MPI_Comm comm, const ckr_sgd_opts *o, ckr_rng *rng,
                           ckr_sgd_stats *st, ckr_err *err);

/* ckr_clf_evaluate over the team: ev is this rank's part of the evaluated
 * view, in view order (the ranks' parts, in rank order, make the view),
 * n_eval the view's global row count. Multiclass: correct counts and losses
 * summed. Multilabel: the logits are gathered in view order and ranked
 * against T (n_eval x C targets of the whole view, on every rank). */
int ckr_clf_evaluate_team(ckr_clf *c, const ckr_ds *ev, size_t n_eval, MPI_Comm comm,
                          const uint8_t *T, ckr_clf_eval *out, ckr_err *err);

/* Team standardisation of ckr_ds_moments: column means and inverse standard
 * deviations of the team's rows of a view (tr: this rank's part, n_train the
 * global count), the same rule for constant columns. */
int ckr_ds_moments_team(const ckr_ds *tr, size_t n_train, MPI_Comm comm, double *mu,
                        double *isd, ckr_err *err);

#endif
