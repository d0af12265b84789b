/* dense.h -- thin, FLOP-counting wrappers over BLAS/LAPACK (OpenBLAS).
 *
 * All matrices are row-major unless a name says otherwise. Every wrapper adds
 * the FLOPs it performs to util/flops.h (multiply-add = 2 FLOPs; LAPACK
 * factorizations with their standard leading-order counts). Wrappers return 0
 * or a negative CKR_E* code (a LAPACK info != 0 becomes CKR_ENUM). */
#ifndef CKR_DENSE_H
#define CKR_DENSE_H

#include <stddef.h>

/* C = alpha * op(A) * op(B) + beta * C, row-major, op = transpose if t* != 0. */
void ckr_dgemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
               const double *A, size_t lda, const double *B, size_t ldb,
               double beta, double *C, size_t ldc);
void ckr_sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb,
               float beta, float *C, size_t ldc);
/* C (n x n, upper and lower filled on return) = alpha * A^T A + beta * C,
 * A is k x n row-major (k samples of n features). */
void ckr_dsyrk_ata(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C);
/* Symmetric eigen-decomposition of the n x n matrix A (overwritten by the
 * eigenvectors, stored as columns of a row-major matrix: A[i*n + j] is
 * component i of eigenvector j), eigenvalues ascending in w. */
int ckr_dsyevd(size_t n, double *A, double *w);
/* Cholesky A = L L^T in place (lower triangle of the row-major A holds L;
 * the strict upper triangle is zeroed). CKR_ENUM if not positive definite. */
int ckr_dpotrf_lower(size_t n, double *A);
/* Invert a lower-triangular n x n matrix in place (row-major). */
int ckr_dtrtri_lower(size_t n, double *L);

#endif
