/* pca.h -- principal component analysis with scikit-learn's component rule.
 *
 * Semantics of sklearn PCA(n_components=pca, svd_solver='full'):
 *   centre X by its column means, eigen-decompose the D x D covariance
 *   Xc^T Xc / (n - 1) (or, when n < D, the n x n Gram matrix Xc Xc^T, which
 *   has the same non-zero spectrum), keep d components and return the scores
 *   Xc V_d (n x d, not whitened; eigenvector signs are arbitrary).
 * The number of components d:
 *   0 < pca < 1 : the smallest d whose cumulative explained-variance ratio
 *                 is STRICTLY above pca (ratios lambda_j / sum lambda summed in
 *                 order, compared in double: d = 1 + #{j : cumsum_j <= pca});
 *   pca >= 1    : d = floor(pca);
 *   either way capped at min(n, D), and d = 0 when the total variance is 0.
 * Negative eigenvalues (rounding) count as 0. */
#ifndef CKR_PCA_H
#define CKR_PCA_H

#include <stddef.h>

#include "util/err.h"

/* The component-count rule above, applied to the r eigenvalues eig_desc
 * sorted descending (negative ones count as 0). Returns d in [0, r]; 0 when
 * r == 0 or the total is not > 0. Cannot fail; no FLOPs counted. */
size_t ckr_pca_num_components(const double *eig_desc, size_t r, double pca);

typedef struct ckr_pca_result {
    size_t n, d;        /* scores are n x d */
    size_t D;           /* input dimension */
    double *scores;     /* row-major n x d, centred (column means 0), unwhitened */
    double *variance;   /* d explained variances (eigenvalues / (n - 1)), descending */
    double total_var;   /* sum of all explained variances */
    double kept_ratio;  /* sum(variance) / total_var */
} ckr_pca_result;

/* Fit PCA on X (n x D row-major, not modified) and return the projected
 * scores in out, which owns its arrays afterwards (free with
 * ckr_pca_result_free; on an error out holds nothing to free). pca must be
 * > 0. Errors (with a message in err): CKR_EARG (bad pca or empty X),
 * CKR_ENUM ("zero variance": all features constant, or an eigen-solver
 * failure), CKR_ENOMEM. The FLOPs performed (centring, Gram/covariance,
 * eigen-decomposition, projection) are added to util/flops.h. */
int ckr_pca_fit_transform(const double *X, size_t n, size_t D, double pca,
                          ckr_pca_result *out, ckr_err *err);
/* Release the arrays of r and zero it (safe on a zeroed or freed r). */
void ckr_pca_result_free(ckr_pca_result *r);

#endif
