/* dist.h -- linear algebra on a team of MPI ranks (ScaLAPACK, ordered sums).
 *
 * A "team" is any communicator whose ranks work on one pair together. These
 * helpers take replicated inputs and give replicated outputs, so a caller
 * that holds a D x D Gram matrix on every rank of the team (a local dsyrk
 * then ckr_dist_sum) can ask for its eigen-decomposition without handling
 * block-cyclic layouts itself.
 *
 * Determinism. ckr_dist_sum does not use MPI's reduction trees (whose order
 * depends on the library and the rank count): every element is summed in
 * rank order 0, 1, ..., P-1, so all ranks get the same bits, and a team of
 * one returns its input unchanged. ckr_dist_syevd's result on a team of P
 * ranks equals LAPACK's on one rank up to rounding (ScaLAPACK reduces in
 * another order); eigenvector signs are normalised so both agree.
 *
 * Every function is collective over comm (all ranks call it with the same
 * n), counts its FLOPs on the calling rank (util/flops.h) and returns 0 or a
 * negative CKR_E* code, the same on every rank. */
#ifndef CKR_DIST_H
#define CKR_DIST_H

#include <mpi.h>
#include <stddef.h>

#include "util/err.h"

/* Replace buf[0..n) on every rank by the sum over the ranks of comm, added
 * in rank order. Segment k of the buffer is summed by rank k (an
 * all-to-all), then the segments are gathered everywhere. CKR_ENOMEM, or
 * CKR_EIO if MPI fails. */
int ckr_dist_sum(MPI_Comm comm, double *buf, size_t n);

/* Eigen-decomposition of the symmetric n x n matrix A (row-major, both
 * triangles, identical on every rank; not modified). On return, on every
 * rank: w[0..n) the eigenvalues in ascending order, and V (n x n) the unit
 * eigenvectors as rows: V[j*n + i] = component i of the eigenvector of w[j].
 * Each eigenvector's sign is fixed: sum_i (i+1) v_i > 0 (when that sum is
 * zero up to rounding, the first entry of largest magnitude is positive).
 * One rank: LAPACK dsyevd. More: as ckr_dist_syevd_with chooses with
 * CKR_EIG_AUTO. CKR_ENUM if A is not finite or the solver fails, CKR_ENOMEM,
 * CKR_EARG when n > 46340 (n^2 beyond an MPI count), CKR_EMPI. */
int ckr_dist_syevd(MPI_Comm comm, size_t n, const double *A, double *w, double *V);

/* How a team of P > 1 ranks solves it:
 *   CKR_EIG_LEADER     rank 0 runs LAPACK dsyevd and broadcasts w and V
 *                      (every rank gets one rank's bits);
 *   CKR_EIG_SCALAPACK  ScaLAPACK pdsyevr on a BLACS process grid of all the
 *                      ranks of comm (ckr_dist_grid_shape), each rank
 *                      solving a block of it; V is then summed (exact: each
 *                      entry is written by one rank);
 *   CKR_EIG_AUTO       ScaLAPACK when P >= CKR_EIG_SCALAPACK_MIN_RANKS and
 *                      n >= CKR_EIG_SCALAPACK_MIN_N, else the leader.
 * Measured (bench/README.md; one core per rank): pdsyevr on 2 ranks takes
 * 2.2-2.4x the time of dsyevd on one for n = 512 to 2048, so small teams
 * gain nothing from it; the thresholds are where the D^3 work per rank
 * (n^3 / P) is expected to outweigh pdsyevr's overhead, not tuned on a
 * cluster. */
typedef enum { CKR_EIG_AUTO = 0, CKR_EIG_LEADER = 1, CKR_EIG_SCALAPACK = 2 } ckr_eig_solver;
#define CKR_EIG_SCALAPACK_MIN_RANKS 8
#define CKR_EIG_SCALAPACK_MIN_N 4096
int ckr_dist_syevd_with(MPI_Comm comm, size_t n, const double *A, double *w, double *V,
                        ckr_eig_solver solver);

/* Agree on a failure: rc is this rank's code (0 = fine) and err (may be
 * NULL) its message. Returns, on every rank, the code of the lowest rank
 * whose rc is not 0 (0 when none), and copies that rank's message into err
 * everywhere. CKR_EMPI if MPI fails. */
int ckr_dist_agree(MPI_Comm comm, int rc, ckr_err *err);

/* The process grid ckr_dist_syevd uses for P ranks: rows x cols = P with
 * rows <= cols, as square as exact factors allow (2: 1x2, 4: 2x2, 6: 2x3). */
void ckr_dist_grid_shape(int P, int *rows, int *cols);

#endif
