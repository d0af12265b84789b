/* eigen.h -- eigen-solvers for real symmetric matrices (LAPACK),
 * FLOP-counting. Conventions (row-major, FLOP counting, ownership): see
 * linalg/blas.h.
 *
 * One contract for all entry points:
 *   - input: a real symmetric n x n row-major matrix A (stride n); each entry
 *     point says which triangle it reads (the other is ignored), so a matrix
 *     with both triangles filled works with all of them;
 *   - eigenvalues: all n of them, in the order the entry point states
 *     (ascending for ckr_dsyevd and ckr_dsyev_project, DESCENDING for
 *     ckr_symeig_*);
 *   - eigenvectors: unit length, sign arbitrary; a set of k of them is
 *     returned as the COLUMNS of a row-major n x k matrix V (V[i*k + j] is
 *     component i of eigenvector j), column j belonging to eigenvalue j of
 *     the returned order;
 *   - errors: 0 on success, CKR_ENOMEM when workspace cannot be allocated,
 *     CKR_ENUM when LAPACK reports a failure (or as stated); outputs are then
 *     unspecified;
 *   - n == 0 is a no-op returning 0;
 *   - FLOPs: leading-order counts of the LAPACK stages, given per function.
 *
 * Which one to use:
 *   ckr_dsyevd         all eigenvalues and all eigenvectors (the full
 *                      decomposition, divide and conquer);
 *   ckr_dsyev_project  all eigenvalues plus the coordinates of m given
 *                      vectors in the eigenbasis, without forming the
 *                      eigenvectors: it skips the 2 n^3 back-transformation
 *                      of a full decomposition (the closed-form scores LogME
 *                      and H-score need only these);
 *   ckr_symeig_reduce + ckr_symeig_top_vectors
 *                      all eigenvalues first, then the eigenvectors of the k
 *                      largest only, k chosen after seeing the spectrum (PCA),
 *                      at O(n^2 k) instead of O(n^3) for the vectors. */
#ifndef CKR_EIGEN_H
#define CKR_EIGEN_H

#include <stddef.h>

/* Full decomposition A = V diag(w) V^T. Reads the lower triangle of A.
 * On return A (n x n) holds the eigenvectors as its columns and w (n) the
 * eigenvalues ascending. Workspace is allocated and freed inside.
 * Returns 0, CKR_ENOMEM or CKR_ENUM.
 * FLOPs: 4/3 n^3 (tridiagonal reduction) + 2 n^3 (back-transformation). */
int ckr_dsyevd(size_t n, double *A, double *w);

/* Eigenvalues and eigen-coordinates. Reads the upper triangle of A and
 * destroys A. On return w (n) holds the eigenvalues ascending, and each of
 * the m rows b_r of B (m x n row-major, stride n) is replaced by its
 * coordinates in the eigenbasis: B[r*n + j] = v_j . b_r, with v_j the unit
 * eigenvector of w[j] (its sign arbitrary but the same for every r). m may be
 * 0 (eigenvalues only; B is then not accessed). Returns 0, CKR_ENUM (a
 * non-finite entry in the upper triangle of A, or a LAPACK failure) or
 * CKR_ENOMEM (also when n or m n does not fit in an int).
 * FLOPs (n > 1): 4/3 n^3 (reduction) + 2 n^2 m (Q^T applied to B) + 4/3 n^3
 * (divide and conquer, an upper estimate) + 2 m n^2 (the final product). */
int ckr_dsyev_project(size_t n, double *A, double *w, size_t m, double *B);

/* The state between the two stages of ckr_symeig_reduce/top_vectors. All
 * arrays are allocated by ckr_symeig_reduce and released by ckr_symeig_free;
 * the caller reads n and w and leaves the rest alone. */
typedef struct ckr_symeig {
    size_t n;
    double *a;     /* n x n: the Householder reflectors of the reduction */
    double *diag;  /* n: tridiagonal diagonal */
    double *off;   /* n: tridiagonal off-diagonal (n - 1 used) */
    double *tau;   /* n: reflector scalars */
    double *w;     /* n: all eigenvalues, DESCENDING */
} ckr_symeig;

/* Stage 1: reduce A to tridiagonal form and compute all its eigenvalues into
 * e->w (descending; no eigenvectors). Reads the upper triangle of A, which is
 * copied and not modified. e is overwritten (any previous contents are not
 * freed). Returns 0, CKR_ENOMEM or CKR_ENUM; on failure e holds nothing to
 * free (ckr_symeig_free is still safe). For n == 0, e is zeroed.
 * FLOPs: 4/3 n^3 (reduction) + 30 n^2 (eigenvalues). */
int ckr_symeig_reduce(size_t n, const double *A, ckr_symeig *e);

/* Stage 2: the eigenvectors of the k largest eigenvalues (e->w[0..k)), as the
 * columns of the n x k row-major matrix V (V[i*k + j] = component i of the
 * eigenvector of e->w[j]). e is not modified; the stage may be repeated with
 * another k. k == 0 is a no-op. Returns 0, CKR_EARG (k > n), CKR_ENOMEM or
 * CKR_ENUM. FLOPs: 60 n k (tridiagonal eigenvectors) + 2 n^2 k
 * (back-transformation). */
int ckr_symeig_top_vectors(ckr_symeig *e, size_t k, double *V);

/* Release the arrays of e and zero it (safe on a zeroed or freed e). */
void ckr_symeig_free(ckr_symeig *e);

/* The generalized symmetric-definite eigenproblem A v = w B v (LAPACK
 * dsygvd, itype 1, divide and conquer), A symmetric and B symmetric
 * positive definite, n x n row-major with both triangles filled (the upper
 * triangle is read). On return w (n) holds the eigenvalues ascending and A
 * the B-orthonormal eigenvectors (V^T B V = I) as its ROWS: A[j*n + i] =
 * component i of the eigenvector of w[j] (unlike the column convention
 * above: the rows are what a caller forming V V^T products wants); B is
 * overwritten by its Cholesky factor. Workspace (LAPACK's minimum, 1 + 6 n
 * + 2 n^2 doubles and 3 + 5 n ints) is allocated and freed inside.
 * *info (may be NULL) gets LAPACK's info: > n when B is not positive
 * definite, in 1..n when the solver did not converge. Returns 0, CKR_ENOMEM
 * (also when 2 n^2 does not fit an int) or CKR_ENUM (info != 0).
 * FLOPs: 7 n^3 (Cholesky, reduction, tridiagonal solve, back-transform). */
int ckr_dsygvd(size_t n, double *A, double *B, double *w, int *info);

#endif
