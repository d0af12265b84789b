/* dense_extra.h -- more FLOP-counting BLAS/LAPACK wrappers (owner: nleep).
 *
 * Same conventions as linalg/dense.h: row-major storage, every wrapper adds
 * the FLOPs it performs to util/flops.h, LAPACK failures become CKR_ENUM. */
#ifndef CKR_DENSE_EXTRA_H
#define CKR_DENSE_EXTRA_H

#include <stddef.h>

/* B := B * L^T in place, B m x n row-major (ldb), L n x n lower triangular
 * row-major (the strict upper triangle is not referenced). Row i of the result
 * is L * (row i of B). */
void ckr_dtrmm_right_lower_trans(size_t m, size_t n, const double *L, double *B, size_t ldb);

/* B := L * B in place, L n x n lower triangular row-major (strict upper
 * triangle not referenced), B n x m row-major (ldb). */
void ckr_dtrmm_left_lower(size_t n, size_t m, const double *L, double *B, size_t ldb);

/* L lower triangular n x n (row-major): the lower triangle of L is replaced
 * by the lower triangle of L^T L (LAPACK dlauum); the strict upper triangle
 * is left as it was. Returns 0 or CKR_ENUM. */
int ckr_dlauum_ltl(size_t n, double *L);

/* Symmetric eigen-decomposition in two stages, for when the number of wanted
 * eigenvectors depends on the spectrum (PCA): ckr_symeig_reduce computes all
 * eigenvalues (tridiagonal reduction + QR-free root finding, no vectors), then
 * ckr_symeig_top_vectors returns the eigenvectors of the k largest
 * eigenvalues only, at O(n^2 k) extra cost instead of a full O(n^3)
 * back-transformation. */
typedef struct ckr_symeig {
    size_t n;
    double *a;     /* n x n: the Householder reflectors of the reduction */
    double *diag;  /* n: tridiagonal diagonal */
    double *off;   /* n: tridiagonal off-diagonal (n - 1 used) */
    double *tau;   /* n: reflector scalars */
    double *w;     /* n: all eigenvalues, DESCENDING */
} ckr_symeig;

/* Reduce the n x n symmetric matrix A (copied; A is not modified) and compute
 * all its eigenvalues into e->w (descending). Returns 0, CKR_ENOMEM, CKR_ENUM. */
int ckr_symeig_reduce(size_t n, const double *A, ckr_symeig *e);
/* Eigenvectors of the k largest eigenvalues (e->w[0..k)), as the columns of
 * the row-major n x k matrix V (V[i*k + j] = component i of eigenvector j).
 * Returns 0, CKR_ENOMEM or CKR_ENUM. */
int ckr_symeig_top_vectors(ckr_symeig *e, size_t k, double *V);
void ckr_symeig_free(ckr_symeig *e);

#endif
