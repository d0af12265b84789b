/* gmm_internal.h -- private to src/linalg/gmm*.c (the public contract is
 * linalg/gmm.h, which also describes the scheme).
 *
 * How the Gaussian-mixture code is cut:
 *   gmm.c         model storage, precision factors, public entry points and
 *                 the EM fit driver;
 *   gmm_resp.c    sparse responsibilities (ckr_gmm_resp);
 *   gmm_engine.c  the E-step engine's state: standardisation, quadratic
 *                 features, per-component coefficients, approximation GEMM;
 *   gmm_estep.c   the E-step: full and bound-tracked passes, exact
 *                 log-densities, normalisation;
 *   gmm_mstep.c   the M-step from sparse responsibilities.
 * Everything here returns 0 or a negative CKR_E* code (no ckr_err message:
 * the public entry points in gmm.c word the errors), except
 * ckr_gmm_m_step_sparse, which also sets err. */
#ifndef CKR_GMM_INTERNAL_H
#define CKR_GMM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "linalg/gmm.h"

/* ---- model (gmm.c) ----------------------------------------------------- */

/* Precision factors of component j from g->covs[j]: g->chol (L_j, or the
 * square roots of the diagonal), g->linv (L_j^-1, or their inverses) and
 * g->log_det[j] (= -0.5 log det Sigma_j). Returns 0, or CKR_ENUM when the
 * covariance is not positive definite (or a factor is not finite). FLOPs:
 * those of the Cholesky factorisation and inversion (full), 3 d (diag). */
int ckr_gmm_component_precision(ckr_gmm *g, size_t j);
/* gmm_estep.c. sum_a v_a^2 over d values, with four partial sums (the loop
 * is latency-bound otherwise); the E-steps use it for |x|^2 terms. */
double ckr_gmm_sum_squares(const double *v, size_t d);
/* gmm_mstep.c. Covariance of component j = scatter / nk + reg' I (full: the
 * d x d scatter; diag: d values), with the Cholesky retry ladder reg, 10 reg,
 * 100 reg, 1000 reg (counted in g->reg_retries; reg 0 starts from DBL_MIN);
 * then its precision (ckr_gmm_component_precision). Returns 0 or CKR_ENUM. */
int ckr_gmm_component_covariance(ckr_gmm *g, size_t j, const double *scatter, double nk);

/* ---- sparse responsibilities (gmm_resp.c) ------------------------------ */

/* CSR by point: the entries of point i are [ptr[i], ptr[i+1]), each a
 * component comp[p] (increasing within a point) and a value val[p]; plus the
 * transpose by component (built by ckr_gmm_resp_transpose): the entries of
 * component j are [cptr[j], cptr[j+1]), in increasing point order, each the
 * position cpos[q] of the entry in the point CSR and its point crow[q].
 * Owns all its arrays (ckr_gmm_resp_free). */
typedef struct ckr_gmm_resp {
    size_t n, k, nnz, cap;
    size_t *ptr;     /* n + 1 */
    uint32_t *comp;  /* nnz */
    double *val;     /* nnz: log-density, then responsibility */
    /* by component */
    size_t *cptr;    /* k + 1 */
    size_t *cpos;    /* nnz: position in the point CSR */
    uint32_t *crow;  /* nnz: point index */
} ckr_gmm_resp;

/* Release all arrays and zero r (safe on a zeroed r). */
void ckr_gmm_resp_free(ckr_gmm_resp *r);
/* Empty structure for n points and k components (ptr[0] = 0, room for
 * 2 n + 16 entries; cptr allocated, cpos/crow not yet). r is overwritten
 * without being freed. Returns 0 or CKR_ENOMEM (r then partly allocated:
 * call ckr_gmm_resp_free). */
int ckr_gmm_resp_alloc(ckr_gmm_resp *r, size_t n, size_t k);
/* Make room for `extra` more entries in comp/val (doubling). 0 or CKR_ENOMEM. */
int ckr_gmm_resp_reserve(ckr_gmm_resp *r, size_t extra);
/* (Re)build the by-component transpose from the point CSR. 0 or CKR_ENOMEM. */
int ckr_gmm_resp_transpose(ckr_gmm_resp *r);
/* From dense n x k responsibilities: keep every entry > 0 (with transpose).
 * 0 or CKR_ENOMEM (call ckr_gmm_resp_free in either case). */
int ckr_gmm_resp_from_dense(ckr_gmm_resp *r, const double *resp, size_t n, size_t k);
/* One-hot responsibilities from n labels in [0, k) (unchecked), with
 * transpose. 0 or CKR_ENOMEM (call ckr_gmm_resp_free in either case). */
int ckr_gmm_resp_from_labels(ckr_gmm_resp *r, const int *labels, size_t n, size_t k);
/* Write r as a dense n x k matrix (zeros where r has no entry). */
void ckr_gmm_resp_to_dense(const ckr_gmm_resp *r, double *out);
/* Merge the entries of x (same n, no (point, component) in both) into r,
 * keeping components increasing within a point, and rebuild the transpose.
 * 0 or CKR_ENOMEM. */
int ckr_gmm_resp_merge(ckr_gmm_resp *r, const ckr_gmm_resp *x);

/* ---- the E-step engine (gmm_engine.c, gmm_estep.c) --------------------- */

/* State of the E-steps of one fit on one data set X (n x d, not copied: X
 * must outlive the engine). Owns all its arrays (ckr_gmm_engine_free). */
typedef struct ckr_gmm_engine {
    const double *X;
    size_t n, d, k, m;   /* m: length of the feature vector q(z) */
    ckr_cov_type cov;
    double *shift, *scale;  /* d: z = (x - shift) / scale */
    double *qnorm;          /* n: |q(z_i)| */
    double gamma;           /* rounding-bound factor of the approximation */
    /* full: single-precision features and coefficients */
    float *qf;              /* cached n x m, or NULL */
    float *qblk;            /* block x m when not cached */
    float *wf;              /* k x m */
    float *af;              /* block x k */
    /* diag: double features and coefficients */
    double *qd, *wd;        /* n x m, k x m */
    size_t block;
    double *wnorm;          /* k: |w_k| */
    double *cst;            /* k: log pi_k + log_det_k - 0.5 d log 2pi */
    double *pen;            /* k: -inf for exact_only components, else 0 */
    unsigned char *exact_only; /* k: coefficients not representable, always exact */
    double *wtmp;           /* m doubles scratch; full also d*d + 2d */
    double *gbuf;           /* n x d gather buffer */
    double *lo;             /* block x k lower bounds */
    /* bound tracking between full approximation passes (NULL: disabled) */
    unsigned char *ins;     /* n x k: pair evaluated exactly in every E-step */
    float *ylo;             /* n x k: else a lower bound on |L^-1 (x_i - mu)| ... */
    unsigned char *refit;   /* n x k: ... under the parameters of slot refit */
    double *plinv, *pmu;    /* k x cov_len, k x d: L^-1 and means of the previous E-step */
    double *sshrink;        /* hist x k: |L_now^-1 (x - mu_now)| >= sshrink |L_t^-1 (x - mu_t)| */
    double *sshift;         /* hist x k:                           - sshift, t = slot */
    double *tbuf;           /* d x d scratch */
    double *best;           /* n: best exact log-density */
    int hist, nhist;        /* slots available / in use (0: a full pass is due) */
    int pause, backoff;     /* full passes still to do before tracking again; next pause */
    int dense_left;         /* full passes still to do without the approximation */
    double sec_approx;
    double cand_sum;        /* sum over E-steps of nnz / n */
    int esteps, full_passes;
    int dense_passes;       /* E-steps done by ckr_gmm_dense_e_step */
    int mixed;              /* dense E-step GEMM in float32 (set after init; 0 = double) */
    double mixed_double;    /* over the dense E-steps: components evaluated in double ... */
    double mixed_comps;     /* ... out of this many */
} ckr_gmm_engine;

/* Set up the engine for X (n x d) and a k-component model of covariance type
 * cov: standardisation, quadratic features (cached when they fit in the
 * qcache limit of ckr_gmm_set_limits), bound tracking (when it fits in the
 * track limit). e is overwritten. Returns 0 or CKR_ENOMEM (call
 * ckr_gmm_engine_free in either case). FLOPs: the standardisation and the
 * features. */
int ckr_gmm_engine_init(ckr_gmm_engine *e, const double *X, size_t n, size_t d, size_t k,
                        ckr_cov_type cov);
/* Release all arrays and zero e (safe on a zeroed e). */
void ckr_gmm_engine_free(ckr_gmm_engine *e);
/* Per-component coefficients of the Mahalanobis distance as a linear
 * function of the quadratic features, their norms and the constants cst
 * (log pi_k + log_det_k - 0.5 d log 2pi) for the parameters in g. */
void ckr_gmm_engine_coefficients(ckr_gmm_engine *e, const ckr_gmm *g);
/* Approximate Mahalanobis distances of rows [i0, i0 + b) to all components
 * into e->lo (b x k, row-major); b <= e->block. */
void ckr_gmm_engine_approx_block(ckr_gmm_engine *e, size_t i0, size_t b);
/* One E-step under the parameters in g: r is reallocated to hold the
 * responsibilities (entries more than CKR_GMM_MARGIN below a point's best are
 * exactly 0 or absent) and *lb the mean log-likelihood. Returns 0, CKR_ENUM
 * (non-finite log-likelihood) or CKR_ENOMEM. */
int ckr_gmm_engine_e_step(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r, double *lb);

/* ---- the M-step (gmm_mstep.c) ------------------------------------------ */

/* sklearn's _m_step from the sparse responsibilities r (with transpose):
 * means, covariances (Cholesky retry ladder reg x10, x100, x1000, counted in
 * g->reg_retries), precision factors and weights (n_k / n when init, else
 * n_k / sum n_k). gbuf is scratch of n x d doubles. Returns 0, CKR_ENUM (a
 * covariance not positive definite even after the retries) or CKR_ENOMEM,
 * with a message in err. */
int ckr_gmm_m_step_sparse(ckr_gmm *g, const double *X, const ckr_gmm_resp *r, int init,
                          double *gbuf, ckr_err *err);

/* The same from the engine's data, choosing the statistics: when r holds
 * every pair (nnz = n k, as after ckr_gmm_dense_e_step) and the covariance is
 * full, the moments of all components come from ckr_gmm_dense_moments (each
 * component falling back to its centred rows when the moment form loses
 * digits), else from the sparse entries. Same returns. */
int ckr_gmm_m_step_engine(ckr_gmm *g, const ckr_gmm_engine *e, const ckr_gmm_resp *r, int init,
                          ckr_err *err);

/* ---- the dense E-step and M-step statistics (gmm_dense.c) --------------- */

/* E-step log-densities of every pair (full covariance only): r is
 * reallocated to hold all n k entries (point-major, components increasing,
 * so r->val is the dense n x k matrix), each the exact log-density
 * log pi_j + log N_j(x_i), with transpose; needs the constants e->cst of
 * ckr_gmm_engine_coefficients. One GEMM per row block of [X_b - shift, 1]
 * against the precision factors side by side (dgemm, or with e->mixed an
 * sgemm of the float32-rounded operands, the squared norms summed in double).
 * Returns 0, CKR_EARG (diag covariance) or CKR_ENOMEM. */
int ckr_gmm_dense_e_step(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r);
/* Moments of every component from dense responsibilities (r->nnz = n k,
 * full covariance): T (m x k, row-major) = sum_i q(z_i) r_i^T with q the
 * engine's quadratic features [z_a z_b (a <= b), z, 1], z the standardised
 * rows. Returns 0, CKR_EARG or CKR_ENOMEM. */
int ckr_gmm_dense_moments(const ckr_gmm_engine *e, const ckr_gmm_resp *r, double *T);
/* Component j's statistics from T: *nk = sum_i r_ij + 10 DBL_EPSILON, mean
 * (d) and scatter (d x d, both triangles) sum_i r_ij (x_i - mean)(x_i -
 * mean)^T in x coordinates. Returns 1, or 0 when the subtraction of n_k
 * mean mean^T left too few digits on a diagonal entry (the outputs are then
 * to be recomputed from the centred rows). */
int ckr_gmm_dense_component(const ckr_gmm_engine *e, const double *T, size_t j, double *mean,
                            double *scatter, double *nk);

#endif
