/* dense_more.h -- more FLOP-counting BLAS/LAPACK wrappers (companion of
 * dense.h, same conventions: row-major, multiply-add = 2 FLOPs, LAPACK with
 * leading-order counts, 0 or a negative CKR_E* code).
 *
 * ckr_dsyev_project exists so the closed-form scores (LogME, H-score) do
 * only the work they need: eigenvalues of a symmetric matrix plus the
 * coordinates of a few vectors in its eigenbasis, without forming the
 * eigenvectors (tridiagonal reduction, Q^T applied to the m vectors,
 * divide-and-conquer on the tridiagonal, one small gemm); it skips the
 * 2 n^3 back-transformation of a full dsyevd. */
#ifndef CKR_DENSE_MORE_H
#define CKR_DENSE_MORE_H

#include <stddef.h>

/* C (n x n) = alpha * A A^T + beta * C, A is n x k row-major (n rows of k
 * features); both triangles of C are filled on return. */
void ckr_dsyrk_aat(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C);

/* Upper triangle only (row-major C[i*n + j], j >= i) of C (n x n) =
 * alpha * A^T A + beta * C, A is k x n row-major. For accumulating a Gram
 * over row blocks; call ckr_sym_fill_lower once at the end. */
void ckr_dsyrk_ata_upper(size_t n, size_t k, double alpha, const double *A, size_t lda,
                         double beta, double *C);

/* Copy the upper triangle of the row-major n x n C into its lower triangle. */
void ckr_sym_fill_lower(size_t n, double *C);

/* 1 if all count entries of x are finite, else 0 (no FLOPs counted). */
int ckr_all_finite(size_t count, const double *x);

/* Eigenvalues and eigen-coordinates of the symmetric n x n matrix A (only
 * its upper triangle, row-major, is read; A is destroyed).
 * On return w holds the eigenvalues in ascending order and each of the m
 * rows of B (m x n row-major, row r = a vector b_r of length n) is replaced
 * by its coordinates in the eigenbasis: B[r*n + j] = v_j . b_r, where v_j is
 * the unit eigenvector of w[j] (sign arbitrary, consistently for all r).
 * m may be 0 (eigenvalues only). CKR_ENUM if A holds a non-finite value or
 * LAPACK fails, CKR_ENOMEM. */
int ckr_dsyev_project(size_t n, double *A, double *w, size_t m, double *B);

#endif
