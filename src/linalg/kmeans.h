/* kmeans.h -- k-means with scikit-learn 1.2 KMeans(n_init=1) semantics, used
 * to initialise the Gaussian mixture of NLEEP.
 *
 * Seeding: greedy k-means++ (first centre uniform at random; then for each
 *   next centre draw 2 + floor(ln k) candidates with probability proportional
 *   to the squared distance D^2 to the nearest chosen centre, and keep the one
 *   that minimises the potential sum_i min(D_i^2, d(x_i, cand)^2)).  A
 *   candidate is the first point whose running D^2 sum exceeds u * potential,
 *   so a point that already is a centre (D^2 = 0) is never drawn while some
 *   point has D^2 > 0.
 * Lloyd: repeat { assign every point to its nearest centre; move each centre
 *   to the mean of its points; an empty cluster takes the point farthest from
 *   its assigned centre (that point keeps its label for this iteration) }
 *   and stop when the labels did not change ("strict convergence") or the
 *   summed squared centre shift is <= tol, or after max_iter iterations; when
 *   not strictly converged, the labels are recomputed for the final centres.
 *   The assignment is exact (up to rounding) but skips distance computations
 *   with triangle-inequality bounds (Elkan's n x k lower bounds when n k <=
 *   2^24, else Hamerly's one bound per point).
 * All randomness comes from the ckr_rng; same input + same stream = same bits.
 *
 * Common to all functions: X is n x d row-major and is not modified; centres
 * are k x d row-major; the caller owns every buffer; the FLOPs performed are
 * added to util/flops.h; errors are returned as a negative CKR_E* code with a
 * message in err (may be NULL). */
#ifndef CKR_KMEANS_H
#define CKR_KMEANS_H

#include <stddef.h>

#include "util/err.h"
#include "util/rng.h"

typedef struct ckr_kmeans_stats {
    int iters;             /* Lloyd iterations run */
    int strict_converged;  /* labels stopped changing */
    double inertia;        /* sum of squared distances to the assigned centres */
    size_t dist_evals;     /* point-centre distances computed (n k per full pass) */
} ckr_kmeans_stats;

/* k-means++ seeding (above) of k centres from X into centers (k x d).
 * indices (k, may be NULL) receives the chosen rows. Draws from rng.
 * Polls the stop flag (util/stop.h) once per centre.
 * Returns 0, CKR_EARG (k == 0 or k > n), CKR_ENOMEM or CKR_EINTR (stopped). */
int ckr_kmeans_plusplus(const double *X, size_t n, size_t d, size_t k, ckr_rng *rng,
                        double *centers, size_t *indices, ckr_err *err);

/* Lloyd iterations (above) from centers (k x d, updated in place to the final
 * centres); labels (n) receives each point's nearest final centre in [0, k).
 * tol is absolute (compared to the summed squared centre shift); max_iter <= 0
 * runs one iteration. st (may be NULL) receives the statistics.
 * Polls the stop flag once per iteration.
 * Returns 0, CKR_EARG (k == 0 or k > n), CKR_ENOMEM or CKR_EINTR (stopped). */
int ckr_kmeans_lloyd(const double *X, size_t n, size_t d, size_t k, double *centers,
                     int max_iter, double tol, int *labels, ckr_kmeans_stats *st, ckr_err *err);

/* sklearn's tolerance: tol_rel * mean over features of the (biased) variance
 * of X; 0 when n, d or tol_rel is 0. Cannot fail. FLOPs: 4 n d. */
double ckr_kmeans_tolerance(const double *X, size_t n, size_t d, double tol_rel);

/* KMeans(n_clusters=k, n_init=1, max_iter, tol=tol_rel): k-means++ then Lloyd,
 * computed on internally centred data (a copy of X). centers (k x d) receives
 * the final centres (in X's coordinates), labels (n) the assignment, st (may
 * be NULL) the Lloyd statistics. Draws from rng. Returns 0, CKR_EARG (k == 0
 * or k > n), CKR_ENOMEM or CKR_EINTR (the stop flag rose). */
int ckr_kmeans_fit(const double *X, size_t n, size_t d, size_t k, int max_iter, double tol_rel,
                   ckr_rng *rng, double *centers, int *labels, ckr_kmeans_stats *st,
                   ckr_err *err);

#endif
