/* kmeans_team.h -- k-means (linalg/kmeans.h semantics) on a matrix whose
 * rows are split over the ranks of a team communicator (linalg/rowsum.h).
 *
 * k-means on a team. The same algorithm as ckr_kmeans_fit: the data centred
 * by the team's column means, sklearn's tolerance, greedy k-means++ and
 * Lloyd, with every sum (means, variances, potentials, cluster counts and
 * sums, inertia) a piece sum. Randomness: every rank draws the same
 * uniforms from the same rng stream, in the order of the single-rank code;
 * a draw is located in the global cumulative D^2 weights through the piece
 * totals (in row order) and then by the rank holding that piece, so the
 * chosen rows are the same global rows on every team size (and those of
 * ckr_kmeans_fit up to rounding of the cumulative sums). Assignment is the
 * exact nearest centre (expanded form, as ckr_kmeans_fit's full passes, no
 * triangle-inequality skipping); empty clusters take the globally farthest
 * point (ties: lowest global row).
 *
 * Stop flag: every k-means++ centre and every Lloyd iteration polls
 * ckr_stop_requested() and agrees it over the team (max), so all ranks
 * leave at the same point and return CKR_EINTR.
 *
 * All functions are collective over the rowsum's communicator and return 0
 * or a negative CKR_E* code agreed over the team (same code and message on
 * every rank). */
#ifndef CKR_KMEANS_TEAM_H
#define CKR_KMEANS_TEAM_H

#include <mpi.h>
#include <stddef.h>

#include "linalg/kmeans.h"
#include "linalg/rowsum.h"
#include "util/err.h"
#include "util/rng.h"

/* KMeans(n_clusters=k, n_init=1, max_iter, tol=tol_rel) on the team's rows
 * as ckr_kmeans_fit (reserving s's gather scratch): X holds this rank's s->n
 * rows (n x d, row-major, may be NULL when n is 0). centers (k x d) receives the final centres on every
 * rank, labels (s->n, may be NULL when n is 0) this rank's rows' labels, st
 * (may be NULL) the statistics (the same on every rank; dist_evals counts
 * the whole team's distances). Draws from rng exactly what ckr_kmeans_fit
 * draws. Returns 0, CKR_EARG (k == 0 or k > n_total), CKR_ENOMEM, CKR_EINTR
 * (stop flag), CKR_EMPI; agreed. */
int ckr_kmeans_team_fit(ckr_rowsum *s, const double *X, size_t d, size_t k, int max_iter,
                        double tol_rel, ckr_rng *rng, double *centers, int *labels,
                        ckr_kmeans_stats *st, ckr_err *err);

#endif
