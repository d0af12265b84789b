/* factor.h -- Cholesky factorisation and triangular-factor operations
 * (LAPACK), FLOP-counting. Conventions (row-major, FLOP counting, error
 * codes, ownership): see linalg/blas.h.
 *
 * With A = L L^T (ckr_dpotrf_lower):
 *   log det A = 2 sum_i log L_ii;
 *   ckr_dtrtri_lower gives L^-1, so |L^-1 (x - mu)|^2 is a Mahalanobis
 *   distance under the covariance A;
 *   ckr_dtrtri_lower then ckr_dlauum_ltl gives the lower triangle of
 *   (L^-1)^T L^-1 = A^-1 (LAPACK's dpotri in two steps). */
#ifndef CKR_FACTOR_H
#define CKR_FACTOR_H

#include <stddef.h>

/* Cholesky factorisation A = L L^T in place, A n x n symmetric positive
 * definite; only its lower triangle is read. On success the lower triangle of
 * A holds L (positive diagonal) and the strict upper triangle is set to 0.
 * Returns 0, or CKR_ENUM when A is not (numerically) positive definite (A is
 * then partly overwritten). FLOPs: n^3 / 3, counted in either case. */
int ckr_dpotrf_lower(size_t n, double *A);

/* Invert the n x n lower-triangular L in place (its lower triangle becomes
 * that of L^-1; the strict upper triangle is neither read nor written).
 * Returns 0, or CKR_ENUM when L is singular (a zero diagonal entry).
 * FLOPs: n^3 / 3. */
int ckr_dtrtri_lower(size_t n, double *L);

/* L lower triangular n x n: the lower triangle of L is replaced by the lower
 * triangle of L^T L (LAPACK dlauum); the strict upper triangle is left as it
 * was. Returns 0 (CKR_ENUM only if LAPACK rejects its arguments).
 * FLOPs: n^3 / 3 (none for n == 0). */
int ckr_dlauum_ltl(size_t n, double *L);

#endif
