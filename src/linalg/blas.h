/* blas.h -- FLOP-counting wrappers over CBLAS (OpenBLAS): general matrix
 * products, symmetric rank-k updates (Gram matrices), triangular products,
 * and two small helpers on arrays.
 *
 * Conventions shared by the dense-algebra headers of src/linalg
 * (blas.h, factor.h, eigen.h):
 *   - matrices are row-major; an `ld*` argument is the row stride in elements
 *     (>= the number of columns); a square n x n matrix without an `ld`
 *     argument has stride n;
 *   - every dimension and stride must fit in an int (the BLAS/LAPACK index
 *     type); the wrappers do not check this unless they say so;
 *   - every wrapper adds the FLOPs it performs to util/flops.h: one
 *     multiply-add = 2 FLOPs, LAPACK routines at their standard leading-order
 *     counts (each function states its count);
 *   - the caller owns every buffer; no wrapper keeps a pointer after it
 *     returns, and none allocates unless it says so;
 *   - the BLAS wrappers cannot fail and return void; the LAPACK wrappers
 *     (factor.h, eigen.h) return 0 or a negative CKR_E* code of util/err.h
 *     (a LAPACK info != 0 becomes CKR_ENUM).
 *
 * Layering inside src/linalg (a file uses only those listed before it):
 *   lapack.h (private Fortran prototypes) -> blas -> factor -> eigen ->
 *   pca, kmeans, gmm*, featstats.
 * A distributed layer (MPI reductions of Gram matrices, ScaLAPACK) belongs
 * in its own pair (e.g. dist.[ch]) beside factor/eigen, above blas. */
#ifndef CKR_BLAS_H
#define CKR_BLAS_H

#include <stddef.h>

/* ---- general products -------------------------------------------------- */

/* C = alpha * op(A) * op(B) + beta * C, op(X) = X^T when t* != 0, else X.
 * op(A) is m x k, op(B) is k x n, C is m x n (strides lda, ldb, ldc).
 * Nothing is done (and nothing counted) when m or n is 0. FLOPs: 2 m n k.
 * C must not overlap A or B. */
void ckr_dgemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
               const double *A, size_t lda, const double *B, size_t ldb,
               double beta, double *C, size_t ldc);
/* The same in single precision (cblas_sgemm). FLOPs: 2 m n k. */
void ckr_sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb,
               float beta, float *C, size_t ldc);

/* ---- symmetric rank-k updates (Gram matrices) -------------------------- */

/* C (n x n) = alpha * A^T A + beta * C, A is k x n (stride lda): k samples of
 * n features. Both triangles of C are filled on return (beta applies to the
 * upper triangle of the old C; its lower triangle is overwritten).
 * Nothing is done when n is 0. FLOPs: n (n + 1) k. */
void ckr_dsyrk_ata(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C);

/* C (n x n) = alpha * A A^T + beta * C, A is n x k (stride lda): n rows of k
 * features (a kernel matrix). Both triangles of C are filled on return (beta
 * applies to the upper triangle of the old C). Nothing is done when n is 0.
 * FLOPs: n (n + 1) k. */
void ckr_dsyrk_aat(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C);

/* Upper triangle only (C[i*n + j], j >= i) of C (n x n) = alpha * A^T A +
 * beta * C, A is k x n (stride lda); the strict lower triangle is not
 * touched. For accumulating a Gram matrix over row blocks (beta = 1 after the
 * first block); call ckr_sym_fill_lower once at the end. Nothing is done
 * when n is 0. FLOPs: n (n + 1) k. */
void ckr_dsyrk_ata_upper(size_t n, size_t k, double alpha, const double *A, size_t lda,
                         double beta, double *C);

/* Copy the upper triangle of the n x n matrix C into its lower triangle
 * (C[i*n + j] = C[j*n + i] for j < i). No FLOPs. */
void ckr_sym_fill_lower(size_t n, double *C);

/* ---- triangular products ----------------------------------------------- */

/* B := B * L^T in place: B is m x n (stride ldb), L is n x n lower triangular
 * (stride n; its strict upper triangle is not read). Row i of the result is
 * L * (row i of B). Nothing is done when m or n is 0. FLOPs: m n (n + 1). */
void ckr_dtrmm_right_lower_trans(size_t m, size_t n, const double *L, double *B, size_t ldb);

/* B := L * B in place: L is n x n lower triangular (stride n; its strict upper
 * triangle is not read), B is n x m (stride ldb). Nothing is done when m or n
 * is 0. FLOPs: m n (n + 1). */
void ckr_dtrmm_left_lower(size_t n, size_t m, const double *L, double *B, size_t ldb);

/* ---- array helpers ----------------------------------------------------- */

/* 1 if all count entries of x are finite (no NaN, no infinity), else 0;
 * 1 for count 0. No FLOPs counted. */
int ckr_all_finite(size_t count, const double *x);

#endif
