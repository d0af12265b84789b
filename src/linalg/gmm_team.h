/* gmm_team.h -- the Gaussian-mixture fit of linalg/gmm.h (sklearn 1.2
 * GaussianMixture.fit + predict_proba semantics) on a matrix whose rows are
 * split over the ranks of a team (linalg/kmeans_team.h: ckr_rowsum).
 *
 * Init: ckr_kmeans_team_fit labels (the same draws as ckr_gmm_fit), then the
 * one-hot M-step. EM: each rank runs the E-step on its own rows with the
 * single-rank engine (gmm_internal.h: approximation, cut at
 * CKR_GMM_MARGIN, bound tracking, dense passes; those choices are each
 * rank's own and change responsibilities only below e^-CKR_GMM_MARGIN of a
 * point's largest); the M-step's sufficient statistics (n_k and the
 * weighted sums, then the scatters about the new means) and the summed
 * log-likelihood are added over the team with ckr_dist_sum (rank order), so
 * every rank holds the same model, and all ranks stop at the same iteration.
 * The model equals ckr_gmm_fit's on the whole matrix up to rounding and the
 * margin cut; the iterations equal ckr_gmm_fit's unless the lower bound's
 * change falls within rounding of tol.
 *
 * Memory per rank: the engine's for its rows (gmm.h), its posteriors, and
 * k (d^2 + d + 1) doubles of statistics twice (full) for the reductions.
 *
 * Stop flag: every EM iteration agrees ckr_stop_requested() over the team
 * (an extra element of the log-likelihood sum) and returns CKR_EINTR on
 * every rank. */
#ifndef CKR_GMM_TEAM_H
#define CKR_GMM_TEAM_H

#include <stddef.h>

#include "linalg/gmm.h"
#include "linalg/kmeans_team.h"
#include "util/err.h"
#include "util/rng.h"

/* Collective over s->comm. g: ckr_gmm_init'ed the same on every rank. X:
 * this rank's s->n rows (n x g->d, may be NULL when n is 0). On success g
 * holds the fitted model (the same bits on every rank), post (n x k, may be
 * NULL) this rank's rows' posteriors, st (may be NULL) the statistics, the
 * same on every rank (cand_per_point over the whole team; sec_* and
 * flops_em are this rank's). Returns 0, CKR_EARG (more components than
 * points), CKR_ENUM, CKR_ENOMEM, CKR_EINTR, CKR_EMPI; agreed (same code and
 * message everywhere). */
int ckr_gmm_team_fit(ckr_gmm *g, ckr_rowsum *s, const double *X, const ckr_gmm_opts *o,
                     ckr_rng *rng, double *post, ckr_gmm_stats *st, ckr_err *err);

#endif
