/* fisher.h -- the regularised Fisher LDA shared by SFDA (sfda.c), ETran
 * (etran.c) and NCTI (ncti.c): the first stage of TencentARC/SFDA's SFDA
 * class, with scikit-learn's eigen-solver semantics.
 *
 * On the rows X (N x D), class index cls[i] in [0, C) (every class present,
 * count[c] > 0), priors pi_c = count[c] / N:
 *   class means m_c; S_w = (1/N) sum_i (x_i - m_{y_i})(x_i - m_{y_i})^T (the
 *   prior-weighted population class covariances); S_t = the population
 *   covariance; shrinkage s (given, or adaptive: lambda = the reference's
 *   power estimate of lambda_max(S_w) (ckr_fisher_power), s = min(1,
 *   max(exp(-5 lambda), 1e-10)));
 *   B = (1 - s) S_w + s tr(S_w)/D I,  A = (1 - s) S_t + s tr(S_t)/D I - B;
 *   the generalized symmetric eigenproblem A v = w B v (LAPACK dsygvd,
 *   V^T B V = I, eigenvalues ascending), coef = M V V^T (C x D),
 *   intercept_c = -m_c . coef_c / 2 + log pi_c;
 *   p(c | x) = softmax_c(coef_c . x + intercept_c).
 * With `nearest_mean` set the eigenproblem is skipped and coef = M (ETran's
 * released code: a symmetric eigensolver applied to the non-symmetric
 * inv(B) (A) returns an orthonormal V, so V V^T = I). */
#ifndef CKR_METHOD_FISHER_H
#define CKR_METHOD_FISHER_H

#include <stddef.h>

/* Working memory of fits of one size (N, D, C fixed). */
typedef struct ckr_fisher {
    size_t N, D, C;
    const int *cls;        /* N: class index of each row */
    const size_t *count;   /* C */
    double *W;             /* N x D: centred rows */
    double *Sw, *A;        /* D x D; after a fit, A holds V^T (one eigenvector
                              per row, eigenvalues ascending in w) */
    double *w, *vec;       /* D eigenvalues; 3 D power-iteration vectors */
    double *work;          /* dsygvd */
    int *iwork;
    int lwork, liwork;
    double *means, *T1, *coef; /* C x D */
    double *ic;            /* C intercepts */
} ckr_fisher;

/* Allocate f for N rows of D features in C classes (cls, count are kept by
 * pointer). Returns 0 or CKR_ENOMEM (f then holds nothing to free). */
int ckr_fisher_alloc(ckr_fisher *f, size_t N, size_t D, size_t C, const int *cls,
                     const size_t *count);
/* Release f's arrays (safe on a zeroed or freed f). */
void ckr_fisher_free(ckr_fisher *f);

/* The reference's power estimate of the largest eigenvalue of the symmetric
 * D x D matrix S (iterative_A: x0 = row sums, `iters` rounds of
 * y = S x / |S x|, x = S y / |S y|, lambda = x^T S y); a zero vector on the
 * way gives 0. vec: 3 D doubles of scratch. */
double ckr_fisher_power(const double *S, size_t D, long iters, double *vec);

/* Fit on X and write p(c | x_i) into prob (N x C). *shrink < 0: adaptive
 * (the value chosen is returned there); *lambda gets the power estimate
 * (NaN when not computed). Returns 0, or CKR_EDATA (a within-class scatter
 * that is zero or not finite), CKR_ENUM (dsygvd failed) with a message in
 * msg. FLOPs are counted. */
int ckr_fisher_fit_predict(ckr_fisher *f, const double *X, long power_iters, int nearest_mean,
                           double *shrink, double *lambda, double *prob, char *msg,
                           size_t msglen);

#endif
