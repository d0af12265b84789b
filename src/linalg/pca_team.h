/* pca_team.h -- PCA (linalg/pca.h semantics) of a matrix whose rows are
 * split over the ranks of a team communicator.
 *
 * Each rank holds a contiguous run of rows. The column means and the
 * D x D scatter matrix are local passes (centred row blocks, dsyrk) summed
 * over the team with ckr_dist_sum; the eigen-decomposition is
 * ckr_dist_syevd (ScaLAPACK on more than one rank, LAPACK on one); each rank
 * projects its own rows. The D x D covariance is used whatever n is (the
 * single-rank module switches to the n x n Gram when n < D: same non-zero
 * spectrum, same components up to sign). Results equal ckr_pca_fit_transform
 * on the whole matrix up to rounding (and the sign of each component, which
 * is arbitrary in both); every rank gets the same components.
 *
 * Memory per rank: 3 D^2 + (1024 + 2) D doubles plus its scores. */
#ifndef CKR_PCA_TEAM_H
#define CKR_PCA_TEAM_H

#include <mpi.h>
#include <stddef.h>

#include "linalg/pca.h"
#include "util/err.h"

/* Collective over comm. X holds this rank's n_local rows (n_local x D,
 * row-major; may be NULL when n_local is 0) of a matrix of n_total rows.
 * On success out->scores holds this rank's n_local x d scores (out->n =
 * n_local); d, variance, total_var and kept_ratio are those of the whole
 * matrix and the same on every rank. Errors as ckr_pca_fit_transform
 * (CKR_EARG, CKR_ENUM "zero variance", CKR_ENOMEM) plus CKR_EMPI, agreed:
 * the same code and message on every rank. */
int ckr_pca_team_fit_transform(MPI_Comm comm, const double *X, size_t n_local, size_t n_total,
                               size_t D, double pca, ckr_pca_result *out, ckr_err *err);

#endif
