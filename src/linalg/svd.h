/* svd.h -- the thin singular value decomposition (LAPACK dgesdd), as
 * numpy.linalg.svd(A, full_matrices=False) / scipy.linalg.svd compute it. */
#ifndef CKR_SVD_H
#define CKR_SVD_H

#include <stddef.h>

/* A is m x n row-major (not modified), k = min(m, n). Writes the k singular
 * values, descending, to S, and, when Vt is not NULL, the right singular
 * vectors as the rows of Vt (k x n row-major: A = U diag(S) Vt; signs are
 * arbitrary). m or n == 0: nothing to do. Returns 0, CKR_ENOMEM, or
 * CKR_ENUM when dgesdd does not converge. FLOPs are counted. */
int ckr_svd_thin(size_t m, size_t n, const double *A, double *S, double *Vt);

/* The nuclear norm (sum of singular values) of the m x n row-major A into
 * *out (0 for an empty A). Returns as ckr_svd_thin. */
int ckr_nuclear_norm(size_t m, size_t n, const double *A, double *out);

#endif
