/* gmm.h -- Gaussian mixture EM with scikit-learn 1.2 GaussianMixture
 * semantics (covariance_type 'full' or 'diag', init_params='kmeans',
 * n_init=1), computed with far less work than sklearn.
 *
 * Model: p(x) = sum_k pi_k N(x | mu_k, Sigma_k).  With L_k the lower Cholesky
 * factor of Sigma_k (sklearn's precisions_cholesky_ is L_k^-T):
 *   log N_k(x) = -0.5 (d log 2pi + |L_k^-1 (x - mu_k)|^2) - sum_j log (L_k)_jj.
 * E-step: log r_ik = log pi_k + log N_k(x_i) - l_i, l_i = logsumexp_k(...);
 *   the lower bound is mean_i l_i.
 * M-step: n_k = sum_i r_ik + 10 DBL_EPSILON, mu_k = sum_i r_ik x_i / n_k,
 *   Sigma_k = sum_i r_ik (x_i - mu_k)(x_i - mu_k)^T / n_k + reg I (diag: only
 *   the diagonal), pi_k = n_k / sum_k n_k.
 * Init: KMeans(K, n_init=1) labels -> one-hot responsibilities -> one M-step
 *   with pi_k = n_k / n.
 * Loop (fit): for it = 1..max_iter { lb = E-step; M-step; stop when
 *   |lb - previous lb| < tol }, then the posteriors are one more E-step with
 *   the final parameters (what predict_proba returns).
 * Cholesky failure: the component is retried with reg x10, x100, x1000
 *   (counted in reg_retries); after that the fit fails with CKR_ENUM.
 *
 * How the work is cut (results equal sklearn's up to rounding and the
 * e^-CKR_GMM_MARGIN cut below):
 *   - full covariance: every Mahalanobis distance is first approximated in
 *     one single-precision GEMM of the symmetric quadratic features of the
 *     (standardised) data, q(z) = [z_a z_b (a <= b), z, 1], against each
 *     component's quadratic-form coefficients; a rigorous rounding bound
 *     (|error| <= 1.01 (m+3) 2^-24 |q| |w|) brackets the exact value;
 *   - only (point, component) pairs whose bracket reaches within
 *     CKR_GMM_MARGIN (28) nats of the point's best component are recomputed
 *     exactly in double precision (gathered per component, one triangular
 *     multiply); all other responsibilities are < e^-28 ~ 7e-13 of the
 *     point's largest and are set to exactly 0;
 *   - between full passes, every pair keeps a lower bound on its distance
 *     |L_k^-1 (x_i - mu_k)| under the parameters it was last bounded with;
 *     when component k moves (A = L_k,new^-1 L_k,old, b = L_k,new^-1
 *     (mu_k,old - mu_k,new)) the new distance is >= sigma_min(A) old - |b|
 *     (chained over the E-steps since), so later E-steps evaluate exactly
 *     only the pairs near the cut plus those this bound cannot rule out, and
 *     fall back to a full pass every 32 E-steps or when the bound fails for
 *     more than 1/4 of all pairs (then tracking pauses for 1, 2, 4, 8 E-steps
 *     after consecutive failures);
 *   - the M-step visits only those non-zero responsibilities (one weighted
 *     syrk per component of its own points);
 *   - when most pairs are near the cut anyway (many overlapping components),
 *     skipping saves less than gathering costs: the E-step is then one GEMM
 *     per row block, [x - shift, 1] against the precision factors of all
 *     components side by side ((d+1) x K d), followed by the squared norms
 *     of the d-blocks, and the M-step takes the counts, first and second
 *     moments of all components from one GEMM per row block of the
 *     quadratic features q(z) against the responsibilities (a component whose
 *     scatter loses more than 6 digits to the n_k mu mu^T subtraction is
 *     recomputed from its centred rows); all in double precision;
 *   - diag covariance: the same scheme with a double-precision approximation.
 *
 * Common to all functions: X is n x d row-major and is not modified; the
 * caller owns X, resp/post and the opts/stats structs, the model owns its
 * arrays (ckr_gmm_free); every FLOP performed is added to util/flops.h;
 * errors are returned as a negative CKR_E* code with a message in err (may
 * be NULL). Implementation: gmm.c (model, driver), gmm_resp.c, gmm_engine.c,
 * gmm_estep.c, gmm_mstep.c, sharing the private gmm_internal.h.
 */
#ifndef CKR_GMM_H
#define CKR_GMM_H

#include <stddef.h>

#include "util/err.h"
#include "util/rng.h"

typedef enum { CKR_COV_FULL = 0, CKR_COV_DIAG = 1 } ckr_cov_type;

/* Responsibilities below exp(-CKR_GMM_MARGIN) ~ 7e-13 times the point's
 * largest are treated as exactly 0 (they change no sum by more than ~1e-12
 * relative, far below the EM tolerance). */
#define CKR_GMM_MARGIN 28.0

typedef struct ckr_gmm {
    size_t k, d;
    ckr_cov_type cov;
    double reg;        /* reg_covar added to every covariance diagonal */
    double *weights;   /* k */
    double *means;     /* k x d */
    double *covs;      /* full: k x d x d; diag: k x d (regularisation included) */
    double *linv;      /* full: k x d x d, L_k^-1 (lower); diag: k x d, 1/sqrt(cov) */
    double *chol;      /* full: k x d x d, L_k (lower); diag: k x d, sqrt(cov) */
    double *log_det;   /* k: sum_j log diag(L_k^-1) = -0.5 log det Sigma_k */
    int reg_retries;   /* Cholesky retries with a larger reg, over the fit */
} ckr_gmm;

typedef struct ckr_gmm_opts {
    int max_iter;       /* EM iterations (sklearn max_iter, 100) */
    double tol;         /* on the mean log-likelihood (1e-3) */
    int kmeans_iter;    /* Lloyd iterations of the init (300) */
    double kmeans_tol;  /* relative k-means tolerance (1e-4) */
    int mixed;          /* 1: the dense E-step's GEMM in float32 (CKR_GMM_MIXED), 0: double */
} ckr_gmm_opts;

/* Mixed precision (opts.mixed = 1, full covariance): every E-step is the
 * dense one (no approximation or bound tracking, so that a point's
 * log-densities never depend on the path its neighbours took), with the
 * shift sum_k pi_k mu_k (from the model, not the rows: a team rounds what
 * one rank rounds); [x - shift, 1] and the side-by-side precision factors
 * are rounded to float32 and multiplied in one sgemm per row block, each
 * product coordinate is widened to double, and the squared norms,
 * constants, normalisation, log-likelihood and M-step stay in double. A
 * component whose estimated float32 error on a nearby point's log-density,
 * 2 sqrt(d) 2^-24 |L_k^-1|_F (|mu_k - shift| + sqrt(tr Sigma_k)), exceeds
 * 1e-4 nats (tight and far from the shift) is evaluated in double in a
 * dgemm of its own columns (counted in stats.mixed_double). Diag covariance
 * computes the same in both precisions. */

/* sklearn's defaults: 100, 1e-3, 300, 1e-4, double precision. */
ckr_gmm_opts ckr_gmm_default_opts(void);

typedef struct ckr_gmm_stats {
    int iters;              /* EM iterations run */
    int converged;          /* |lb change| < tol reached */
    int kmeans_iters;       /* Lloyd iterations of the init */
    double lower_bound;     /* last mean log-likelihood */
    double cand_per_point;  /* mean exactly-evaluated components per point per E-step */
    double sec_kmeans, sec_em;    /* wall time of the init k-means, of init M-step + EM */
    double flops_em;        /* FLOPs counted during init M-step + EM + final E-step */
    double sec_approx;      /* wall time inside the approximation GEMMs */
    int full_passes;        /* E-steps that approximated every pair (the others
                               re-evaluated only pairs the bounds could not rule out) */
    int dense_passes;       /* E-steps that evaluated every pair in one GEMM per row block */
    double mixed_double;    /* mixed: fraction of the dense E-steps' components kept in
                               double (too tight for float32), else 0 */
} ckr_gmm_stats;

/* Allocate a k-component model in d dimensions with covariance type cov and
 * reg_covar reg (all parameters zero until set or fitted). g is overwritten.
 * Returns 0, CKR_EARG (k or d is 0) or CKR_ENOMEM (g then holds nothing). */
int ckr_gmm_init(ckr_gmm *g, size_t k, size_t d, ckr_cov_type cov, double reg, ckr_err *err);
/* Release the arrays of g and zero it (safe on a zeroed or freed g). */
void ckr_gmm_free(ckr_gmm *g);

/* Set the parameters (weights k, means k x d, covariances as stored in covs,
 * regularisation already included; all copied) and compute the precision
 * factors chol, linv and log_det (no retry here). Returns 0, CKR_EARG (a
 * weight not > 0) or CKR_ENUM (a covariance not positive definite); the
 * model is then only partly set. */
int ckr_gmm_set_params(ckr_gmm *g, const double *weights, const double *means,
                       const double *covs, ckr_err *err);

/* One E-step on X (n x d) under the current parameters: resp (n x k, may be
 * NULL) receives the responsibilities (those below e^-CKR_GMM_MARGIN of a
 * point's largest are exactly 0) and *mean_loglik (may be NULL) the mean
 * log-likelihood (not finite on failure). Returns 0, CKR_ENUM (a non-finite
 * log-likelihood) or CKR_ENOMEM. */
int ckr_gmm_e_step(const ckr_gmm *g, const double *X, size_t n, double *resp,
                   double *mean_loglik, ckr_err *err);

/* One M-step from dense responsibilities resp (n x k, entries <= 0 ignored):
 * sklearn's _m_step, updating weights, means, covariances and precision
 * factors in g (with the Cholesky retry ladder). Returns 0, CKR_ENUM (a
 * covariance not positive definite even with reg x1000) or CKR_ENOMEM. */
int ckr_gmm_m_step(ckr_gmm *g, const double *X, size_t n, const double *resp, ckr_err *err);

/* Fit from k-means labels (n values in [0, k)): one-hot init M-step, then EM
 * (the loop above, options o). g holds the fitted parameters on return; post
 * (n x k, may be NULL) receives the final posteriors; st (may be NULL)
 * receives the statistics (its kmeans_iters and sec_kmeans are kept).
 * Polls the stop flag (util/stop.h) once per EM iteration.
 * Returns 0, CKR_EARG (a label out of range), CKR_ENUM (see the Cholesky
 * retry above, or a non-finite log-likelihood), CKR_ENOMEM or CKR_EINTR
 * (stopped). */
int ckr_gmm_fit_from_labels(ckr_gmm *g, const double *X, size_t n, const int *labels,
                            const ckr_gmm_opts *o, double *post, ckr_gmm_stats *st,
                            ckr_err *err);

/* The whole GaussianMixture.fit + predict_proba: k-means init
 * (ckr_kmeans_fit with o's k-means options, drawing from rng), then
 * ckr_gmm_fit_from_labels. Returns 0, CKR_EARG (more components than
 * points), CKR_ENUM, CKR_ENOMEM or CKR_EINTR (the stop flag rose). */
int ckr_gmm_fit(ckr_gmm *g, const double *X, size_t n, const ckr_gmm_opts *o, ckr_rng *rng,
                double *post, ckr_gmm_stats *st, ckr_err *err);

/* Memory limits (process-wide tuning/testing knobs; the results do not depend
 * on them beyond rounding): qcache_bytes for caching the single-precision
 * quadratic features of all points across EM iterations (default 512 MiB;
 * above it they are rebuilt per block in every E-step), track_bytes for the
 * bound tracking between full passes (default 256 MiB; 0 = a full pass in
 * every E-step). */
#define CKR_GMM_QCACHE_DEFAULT ((size_t)512 << 20)
#define CKR_GMM_TRACK_DEFAULT ((size_t)256 << 20)
void ckr_gmm_set_limits(size_t qcache_bytes, size_t track_bytes);

/* When a full pass finds more than this fraction of all (point, component)
 * pairs near enough to be evaluated exactly (default 0.3), the next 7
 * E-steps evaluate every pair in one GEMM per row block over all
 * components' precision factors, and the M-steps after them take every
 * component's moments from one GEMM per row block (full covariance; diag
 * evaluates every pair exactly the sparse way). 0 makes that happen after
 * every full pass, > 1 never. Process-wide tuning/testing knob: the results
 * equal either way up to rounding. */
#define CKR_GMM_DENSE_DEFAULT 0.3
void ckr_gmm_set_dense_fraction(double fraction);

#endif
