/* kmeans_team.h -- k-means (linalg/kmeans.h semantics) on a matrix whose
 * rows are split over the ranks of a team communicator, and the ordered
 * row-piece sums it reduces with.
 *
 * Rows and pieces. Each rank holds a contiguous run of rows [row0, row0 + n)
 * of n_total rows, the runs in rank order (rank r before rank r + 1; a rank
 * may hold none). The rows are cut into pieces at every multiple of
 * CKR_ROWSUM_BLOCK and at every rank boundary. A statistic is computed per
 * piece (each rank for its own pieces) and the team adds the pieces in row
 * order: ((p_0 + p_1) + p_2) + ... . When every rank boundary is a multiple
 * of CKR_ROWSUM_BLOCK (a team whose row blocks are multiples of it), the
 * pieces do not depend on the team size, and neither do the sums: the same
 * bits on any team. Otherwise they equal up to rounding.
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
#include "util/err.h"
#include "util/rng.h"

/* Rows per piece of the ordered sums. */
#define CKR_ROWSUM_BLOCK 512

/* The row split of a team and its pieces (ckr_rowsum_init). */
typedef struct ckr_rowsum {
    MPI_Comm comm;
    int P, rank;
    size_t row0, n, n_total;   /* this rank's rows, all rows */
    size_t *rrow0, *rn;        /* P: every rank's first row and row count */
    size_t *rpieces;           /* P: every rank's piece count */
    size_t npieces, total_pieces;
} ckr_rowsum;

/* Collective: learn every rank's rows (an allgather). The runs must be
 * contiguous and in rank order, covering [0, n_total): CKR_EARG otherwise.
 * CKR_ENOMEM, CKR_EMPI. Agreed. Free with ckr_rowsum_free. */
int ckr_rowsum_init(ckr_rowsum *s, MPI_Comm comm, size_t row0, size_t n, size_t n_total,
                    ckr_err *err);
void ckr_rowsum_free(ckr_rowsum *s);

/* Local rows [*i0, *i0 + *len) (indices into this rank's rows) of this
 * rank's piece q < s->npieces. */
void ckr_rowsum_piece(const ckr_rowsum *s, size_t q, size_t *i0, size_t *len);

/* Collective: part holds this rank's pieces x m partial sums (row-major, may
 * be NULL when it has no pieces); out (m) receives, on every rank, the sum
 * of all pieces' rows in row order. out may not alias part. CKR_ENOMEM,
 * CKR_EARG (counts beyond MPI's int), CKR_EMPI; agreed. */
int ckr_rowsum_reduce(const ckr_rowsum *s, const double *part, size_t m, double *out);

/* Collective: the team's rank holding global row i (i < n_total). */
int ckr_rowsum_owner(const ckr_rowsum *s, size_t i);

/* Collective: nonzero on every rank when ckr_stop_requested() is nonzero on
 * some rank (a max over the team; CKR_EMPI counts as a stop). */
int ckr_team_stop_agreed(MPI_Comm comm);

/* KMeans(n_clusters=k, n_init=1, max_iter, tol=tol_rel) on the team's rows
 * as ckr_kmeans_fit: X holds this rank's s->n rows (n x d, row-major, may be
 * NULL when n is 0). centers (k x d) receives the final centres on every
 * rank, labels (s->n, may be NULL when n is 0) this rank's rows' labels, st
 * (may be NULL) the statistics (the same on every rank; dist_evals counts
 * the whole team's distances). Draws from rng exactly what ckr_kmeans_fit
 * draws. Returns 0, CKR_EARG (k == 0 or k > n_total), CKR_ENOMEM, CKR_EINTR
 * (stop flag), CKR_EMPI; agreed. */
int ckr_kmeans_team_fit(const ckr_rowsum *s, const double *X, size_t d, size_t k, int max_iter,
                        double tol_rel, ckr_rng *rng, double *centers, int *labels,
                        ckr_kmeans_stats *st, ckr_err *err);

#endif
