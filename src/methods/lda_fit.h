/* lda_fit.h -- the regularised Fisher LDA of SFDA (sfda.c), ETran (etran.c)
 * and NCTI (ncti.c): the first stage of TencentARC/SFDA's SFDA class, with
 * scikit-learn's eigen-solver semantics, by passes over rows held in memory,
 * held by a team, or streamed (internal to src/methods).
 *
 * On the rows x_i (N of them, D features), class index cls[i] in [0, C)
 * (every class present, count[c] > 0), priors pi_c = count[c] / N:
 *   class means m_c; S_w = (1/N) sum_i (x_i - m_{y_i})(x_i - m_{y_i})^T (the
 *   prior-weighted population class covariances); S_t = the population
 *   covariance; shrinkage s (given, or adaptive: lambda = the reference's
 *   power estimate of lambda_max(S_w) (x0 = row sums, `power_iters` rounds of
 *   y = S x / |S x|, x = S y / |S y|, lambda = x^T S y; a zero vector on the
 *   way gives 0), s = min(1, max(exp(-5 lambda), 1e-10)));
 *   B = (1 - s) S_w + s tr(S_w)/D I,  A = (1 - s) S_t + s tr(S_t)/D I - B;
 *   the generalized symmetric eigenproblem A v = w B v (dsygvd, V^T B V = I,
 *   eigenvalues ascending), coef = M V V^T (C x D),
 *   intercept_c = -m_c . coef_c / 2 + log pi_c;
 *   p(c | x) = softmax_c(coef_c . x + intercept_c).
 * With src->nearest_mean set the eigenproblem is skipped and coef = M
 * (ETran's released code: a symmetric eigensolver applied to the
 * non-symmetric inv(B) A returns an orthonormal V, so V V^T = I).
 *
 * A fit is two passes over the rows (class and column sums; the
 * within-class and total scatters by dsyrk per block of rows), the
 * eigenproblem, then a prediction pass. On a team every rank walks its own
 * rows and the sums are added over the team in rank order (ckr_team_sum);
 * the eigenproblem runs on rank 0, which broadcasts the classifier. With the
 * rows in memory in one block and no team, the arithmetic is the
 * single-rank code's, bit for bit. */
#ifndef CKR_METHODS_LDA_FIT_H
#define CKR_METHODS_LDA_FIT_H

#include "methods/method.h"

/* Where the rows come from. Exactly one of X and rows is set. */
typedef struct ckr_lda_src {
    size_t n;               /* rows this rank walks */
    size_t N;               /* rows of the whole pair */
    size_t D, C;
    size_t block;           /* rows per step of a pass (>= 1) */
    const double *X;        /* n x D in memory, or NULL */
    ckr_rowsrc *rows;       /* streamed rows (n == rows->n), or NULL */
    const int *cls;         /* n: class index of each row */
    const size_t *count;    /* C: rows per class over the whole pair */
    /* ConfMix on the fly (NULL: the rows as they are): row i becomes
     * q[i] x_i + (1 - q[i]) outer[cls[i]] */
    const double *q, *outer;
    const ckr_team *team;   /* NULL: one rank */
    int nearest_mean;       /* 1: coef = M, no eigenproblem (see above) */
} ckr_lda_src;

/* Buffers of the engine (ckr_lda_work_alloc / ckr_lda_work_free). */
typedef struct ckr_lda_work {
    size_t D, C, b;
    double *sums;            /* C x D class sums (-> means), then D column sums (-> mu) */
    double *means, *mu;      /* views into sums */
    double *W;               /* b x D centred rows */
    double *buf, *mix;       /* b x D: a read block, a mixed block (NULL when not needed) */
    double *Sw, *A;          /* D x D; after a fit (on rank 0 of a team, and
                                not with nearest_mean) A holds V^T: one
                                eigenvector per row, eigenvalues ascending in w */
    double *w, *vec;         /* D eigenvalues; 3 D power-iteration vectors */
    double *T1, *coef, *ic;  /* C x D, C x D, C */
    double *prob;            /* b x C: after ckr_lda_predict, p(c | x) of the
                                last block's rows (all rows when b >= n) */
} ckr_lda_work;

/* Allocate the buffers for blocks of b rows; stream: 1 for a read buffer,
 * mix: 1 for a mixing buffer. 0 or CKR_ENOMEM. */
int ckr_lda_work_alloc(ckr_lda_work *wk, size_t D, size_t C, size_t b, int stream, int mix);
void ckr_lda_work_free(ckr_lda_work *wk);

/* Fit the regularised LDA on the rows of src: wk->means, wk->coef and
 * wk->ic (the same on every rank of a team). *shrink < 0: choose it
 * adaptively and return it there; *lambda gets the power estimate (NaN
 * when not computed). Returns 0, or a code with res failed ("bad-data",
 * "numerical-error", out of memory, a read failure), agreed on a team. */
int ckr_lda_fit(const ckr_lda_src *src, ckr_lda_work *wk, long power_iters, double *shrink,
                double *lambda, ckr_result *res);

/* Prediction pass: p(c | x_i) by blocks. q (may be NULL) gets, per row, the
 * softened probability of the row's class (ConfMix's weight); *ysum (may
 * be NULL) the sum over this rank's rows of p(y_i | x_i) in row order (not
 * summed over the team). Returns 0, or a read failure with res failed. */
int ckr_lda_predict(const ckr_lda_src *src, ckr_lda_work *wk, double *q, double *ysum,
                    ckr_result *res);

/* Prefix res->message (of a failed fit or prediction) with "what: ". */
void ckr_lda_prefix(ckr_result *res, const char *what);

#endif
