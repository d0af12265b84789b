#include "linalg/gmm.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "linalg/dense.h"
#include "linalg/dense_extra.h"
#include "linalg/kmeans.h"
#include "util/flops.h"

#define LOG_2PI 1.8378770664093454836
/* Cache the single-precision quadratic features of all points when they fit here. */
static size_t g_qcache_bytes = (size_t)512 << 20;
/* Memory allowed for the bound tracking between full approximation passes. */
static size_t g_track_bytes = (size_t)256 << 20;

void ckr_gmm_set_limits(size_t qcache_bytes, size_t track_bytes)
{
    g_qcache_bytes = qcache_bytes;
    g_track_bytes = track_bytes;
}
/* Reference slots kept between full passes (a full pass every TRACK_HIST E-steps). */
#define TRACK_HIST 32
/* Pairs this far (nats) below the cut stop being evaluated exactly. */
#define TRACK_SLACK 2.0
/* A tracked E-step whose bounds fail for more than this fraction of all pairs
 * does a full approximation pass instead. */
#define TRACK_MAX_FRACTION 0.25
/* When a full pass keeps more than this fraction of all pairs, the next
 * DENSE_PASSES full passes evaluate every pair exactly, skipping the GEMM
 * (nearly collapsed components, e.g. 2 points per component). */
#define DENSE_FRACTION 0.5
#define DENSE_PASSES 7
/* Target size of one block of quadratic features when not cached. */
#define QBLOCK_BYTES ((size_t)16 << 20)

ckr_gmm_opts ckr_gmm_default_opts(void)
{
    ckr_gmm_opts o = { 100, 1e-3, 300, 1e-4 };
    return o;
}

/* ======================================================================
 * Model storage and precision factors
 * ====================================================================== */

static size_t cov_len(const ckr_gmm *g) { return g->cov == CKR_COV_FULL ? g->d * g->d : g->d; }

void ckr_gmm_free(ckr_gmm *g)
{
    free(g->weights);
    free(g->means);
    free(g->covs);
    free(g->linv);
    free(g->chol);
    free(g->log_det);
    memset(g, 0, sizeof *g);
}

int ckr_gmm_init(ckr_gmm *g, size_t k, size_t d, ckr_cov_type cov, double reg, ckr_err *err)
{
    memset(g, 0, sizeof *g);
    if (k == 0 || d == 0)
        return ckr_err_set(err, CKR_EARG, "GMM: need k >= 1 and d >= 1 (k=%zu, d=%zu)", k, d);
    g->k = k;
    g->d = d;
    g->cov = cov;
    g->reg = reg;
    size_t cl = cov_len(g);
    g->weights = calloc(k, sizeof(double));
    g->means = calloc(k * d, sizeof(double));
    g->covs = calloc(k * cl, sizeof(double));
    g->linv = calloc(k * cl, sizeof(double));
    g->chol = calloc(k * cl, sizeof(double));
    g->log_det = calloc(k, sizeof(double));
    if (!g->weights || !g->means || !g->covs || !g->linv || !g->chol || !g->log_det) {
        ckr_gmm_free(g);
        return ckr_err_set(err, CKR_ENOMEM, "GMM: out of memory for %zu components of %zu dims",
                           k, d);
    }
    return 0;
}

/* Precision factor of component j from g->covs[j]: L^-1 and log det term.
 * Returns 0 or CKR_ENUM when the covariance is not positive definite. */
static int component_precision(ckr_gmm *g, size_t j)
{
    size_t d = g->d;
    if (g->cov == CKR_COV_DIAG) {
        const double *c = g->covs + j * d;
        double *p = g->linv + j * d, *sq = g->chol + j * d, ld = 0.0;
        for (size_t t = 0; t < d; t++) {
            if (!(c[t] > 0.0) || !isfinite(c[t]))
                return CKR_ENUM;
            sq[t] = sqrt(c[t]);
            p[t] = 1.0 / sq[t];
            ld += log(p[t]);
        }
        ckr_flops_add(3.0 * (double)d);
        g->log_det[j] = ld;
        return 0;
    }
    double *L = g->linv + j * d * d;
    memcpy(L, g->covs + j * d * d, sizeof(double) * d * d);
    if (ckr_dpotrf_lower(d, L) != 0)
        return CKR_ENUM;
    double ld = 0.0;
    for (size_t t = 0; t < d; t++) {
        double v = L[t * d + t];
        if (!(v > 0.0) || !isfinite(v))
            return CKR_ENUM;
        ld -= log(v);
    }
    memcpy(g->chol + j * d * d, L, sizeof(double) * d * d);
    if (ckr_dtrtri_lower(d, L) != 0 || !isfinite(ld))
        return CKR_ENUM;
    g->log_det[j] = ld;
    return 0;
}

int ckr_gmm_set_params(ckr_gmm *g, const double *weights, const double *means,
                       const double *covs, ckr_err *err)
{
    size_t cl = cov_len(g);
    memcpy(g->weights, weights, sizeof(double) * g->k);
    memcpy(g->means, means, sizeof(double) * g->k * g->d);
    memcpy(g->covs, covs, sizeof(double) * g->k * cl);
    for (size_t j = 0; j < g->k; j++) {
        if (!(weights[j] > 0.0))
            return ckr_err_set(err, CKR_EARG, "GMM: weight of component %zu is not > 0", j);
        if (component_precision(g, j) != 0)
            return ckr_err_set(err, CKR_ENUM,
                               "GMM: covariance of component %zu is not positive definite", j);
    }
    return 0;
}

/* ======================================================================
 * Sparse responsibilities: CSR by point (candidate components of each
 * point, in increasing component order) and its transpose by component.
 * ====================================================================== */

typedef struct resp_csr {
    size_t n, k, nnz, cap;
    size_t *ptr;     /* n + 1 */
    uint32_t *comp;  /* nnz */
    double *val;     /* nnz: log-density, then responsibility */
    /* by component */
    size_t *cptr;    /* k + 1 */
    size_t *cpos;    /* nnz: position in the point CSR */
    uint32_t *crow;  /* nnz: point index */
} resp_csr;

static void resp_free(resp_csr *r)
{
    free(r->ptr);
    free(r->comp);
    free(r->val);
    free(r->cptr);
    free(r->cpos);
    free(r->crow);
    memset(r, 0, sizeof *r);
}

static int resp_alloc(resp_csr *r, size_t n, size_t k)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->k = k;
    r->cap = 2 * n + 16;
    r->ptr = malloc(sizeof(size_t) * (n + 1));
    r->comp = malloc(sizeof(uint32_t) * r->cap);
    r->val = malloc(sizeof(double) * r->cap);
    r->cptr = malloc(sizeof(size_t) * (k + 1));
    if (!r->ptr || !r->comp || !r->val || !r->cptr)
        return CKR_ENOMEM;
    r->ptr[0] = 0;
    return 0;
}

static int resp_reserve(resp_csr *r, size_t extra)
{
    if (r->nnz + extra <= r->cap)
        return 0;
    size_t cap = r->cap;
    while (cap < r->nnz + extra)
        cap *= 2;
    uint32_t *c = realloc(r->comp, sizeof(uint32_t) * cap);
    if (!c)
        return CKR_ENOMEM;
    r->comp = c;
    double *v = realloc(r->val, sizeof(double) * cap);
    if (!v)
        return CKR_ENOMEM;
    r->val = v;
    r->cap = cap;
    return 0;
}

/* Build the by-component transpose (entries in increasing point order). */
static int resp_transpose(resp_csr *r)
{
    free(r->cpos);
    free(r->crow);
    r->cpos = malloc(sizeof(size_t) * (r->nnz ? r->nnz : 1));
    r->crow = malloc(sizeof(uint32_t) * (r->nnz ? r->nnz : 1));
    if (!r->cpos || !r->crow)
        return CKR_ENOMEM;
    memset(r->cptr, 0, sizeof(size_t) * (r->k + 1));
    for (size_t p = 0; p < r->nnz; p++)
        r->cptr[r->comp[p] + 1]++;
    for (size_t j = 0; j < r->k; j++)
        r->cptr[j + 1] += r->cptr[j];
    size_t *fill = malloc(sizeof(size_t) * (r->k ? r->k : 1));
    if (!fill)
        return CKR_ENOMEM;
    memcpy(fill, r->cptr, sizeof(size_t) * r->k);
    for (size_t i = 0; i < r->n; i++)
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            size_t q = fill[r->comp[p]]++;
            r->cpos[q] = p;
            r->crow[q] = (uint32_t)i;
        }
    free(fill);
    return 0;
}

/* From dense responsibilities: keep every r > 0. */
static int resp_from_dense(resp_csr *r, const double *resp, size_t n, size_t k)
{
    int rc = resp_alloc(r, n, k);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = resp_reserve(r, k);
        for (size_t j = 0; rc == 0 && j < k; j++)
            if (resp[i * k + j] > 0.0) {
                r->comp[r->nnz] = (uint32_t)j;
                r->val[r->nnz++] = resp[i * k + j];
            }
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? resp_transpose(r) : rc;
}

static int resp_from_labels(resp_csr *r, const int *labels, size_t n, size_t k)
{
    int rc = resp_alloc(r, n, k);
    if (rc == 0)
        rc = resp_reserve(r, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        r->comp[r->nnz] = (uint32_t)labels[i];
        r->val[r->nnz++] = 1.0;
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? resp_transpose(r) : rc;
}

static void resp_to_dense(const resp_csr *r, double *out)
{
    memset(out, 0, sizeof(double) * r->n * r->k);
    for (size_t i = 0; i < r->n; i++)
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            out[i * r->k + r->comp[p]] = r->val[p];
}

/* ======================================================================
 * The E-step engine: data-side state (standardisation, quadratic features)
 * and per-iteration component coefficients.
 * ====================================================================== */

typedef struct engine {
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
} engine;

static void engine_free(engine *e)
{
    free(e->shift);
    free(e->scale);
    free(e->qnorm);
    free(e->qf);
    free(e->qblk);
    free(e->wf);
    free(e->af);
    free(e->qd);
    free(e->wd);
    free(e->wnorm);
    free(e->cst);
    free(e->pen);
    free(e->exact_only);
    free(e->wtmp);
    free(e->gbuf);
    free(e->lo);
    free(e->ins);
    free(e->ylo);
    free(e->refit);
    free(e->plinv);
    free(e->pmu);
    free(e->sshrink);
    free(e->sshift);
    free(e->tbuf);
    free(e->best);
    memset(e, 0, sizeof *e);
}

/* z = (x - shift) / scale for row i. */
static void standardise_row(const engine *e, size_t i, double *z)
{
    const double *x = e->X + i * e->d;
    for (size_t a = 0; a < e->d; a++)
        z[a] = (x[a] - e->shift[a]) / e->scale[a];
}

/* q(z) of row i into a float (full) or double (diag) row; returns |q|. */
static double quad_row_float(const engine *e, size_t i, double *z, float *q)
{
    size_t d = e->d, p = 0;
    double s = 1.0; /* the constant 1 */
    standardise_row(e, i, z);
    for (size_t a = 0; a < d; a++)
        for (size_t b = a; b < d; b++) {
            double v = z[a] * z[b];
            q[p++] = (float)v;
            s += v * v;
        }
    for (size_t a = 0; a < d; a++) {
        q[p++] = (float)z[a];
        s += z[a] * z[a];
    }
    q[p] = 1.0f;
    return sqrt(s);
}

static double quad_row_double(const engine *e, size_t i, double *z, double *q)
{
    size_t d = e->d;
    double s = 1.0;
    standardise_row(e, i, z);
    for (size_t a = 0; a < d; a++) {
        q[a] = z[a] * z[a];
        q[d + a] = z[a];
        s += q[a] * q[a] + z[a] * z[a];
    }
    q[2 * d] = 1.0;
    return sqrt(s);
}

static int engine_init(engine *e, const double *X, size_t n, size_t d, size_t k,
                       ckr_cov_type cov)
{
    memset(e, 0, sizeof *e);
    e->X = X;
    e->n = n;
    e->d = d;
    e->k = k;
    e->cov = cov;
    e->m = cov == CKR_COV_FULL ? d * (d + 1) / 2 + d + 1 : 2 * d + 1;
    size_t m = e->m;
    e->gamma = 1.01 * (double)(m + 3) * (cov == CKR_COV_FULL ? 0x1p-24 : 0x1p-53);
    e->shift = calloc(d, sizeof(double));
    e->scale = calloc(d, sizeof(double));
    e->qnorm = malloc(sizeof(double) * n);
    e->wnorm = malloc(sizeof(double) * k);
    e->cst = malloc(sizeof(double) * k);
    e->pen = malloc(sizeof(double) * k);
    e->exact_only = calloc(k, 1);
    e->wtmp = malloc(sizeof(double) * (m + d * d + 2 * d + 1));
    e->gbuf = malloc(sizeof(double) * n * d);
    if (!e->shift || !e->scale || !e->qnorm || !e->wnorm || !e->cst || !e->pen || !e->exact_only ||
        !e->wtmp || !e->gbuf)
        return CKR_ENOMEM;
    /* bound tracking, when it fits in memory */
    size_t cl = cov == CKR_COV_FULL ? d * d : d;
    e->hist = TRACK_HIST;
    if ((double)n * (double)k * 6.0 + (double)k * (double)(cl + d) * 8.0 <=
        (double)g_track_bytes) {
        e->ins = calloc(n * k, 1);
        e->ylo = malloc(sizeof(float) * n * k);
        e->refit = calloc(n * k, 1);
        e->plinv = malloc(sizeof(double) * k * cl);
        e->pmu = malloc(sizeof(double) * k * d);
        e->sshrink = malloc(sizeof(double) * (size_t)e->hist * k);
        e->sshift = malloc(sizeof(double) * (size_t)e->hist * k);
        e->tbuf = malloc(sizeof(double) * d * d);
        e->best = malloc(sizeof(double) * n);
        e->backoff = 1;
        if (!e->ins || !e->ylo || !e->refit || !e->plinv || !e->pmu || !e->sshrink ||
            !e->sshift || !e->tbuf || !e->best)
            return CKR_ENOMEM;
    }
    /* standardisation: column mean and (biased) standard deviation */
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            e->shift[a] += X[i * d + a];
    for (size_t a = 0; a < d; a++)
        e->shift[a] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++) {
            double t = X[i * d + a] - e->shift[a];
            e->scale[a] += t * t;
        }
    for (size_t a = 0; a < d; a++) {
        double s = sqrt(e->scale[a] / (double)n);
        e->scale[a] = s > 0.0 && isfinite(s) ? s : 1.0;
    }
    ckr_flops_add(4.0 * (double)n * (double)d);
    double *z = e->wtmp;
    if (cov == CKR_COV_DIAG) {
        e->block = n;
        e->qd = malloc(sizeof(double) * n * m);
        e->wd = malloc(sizeof(double) * k * m);
        size_t b = ((size_t)1 << 20) / k;
        e->block = b < 64 ? 64 : b > n ? n : b;
        e->lo = malloc(sizeof(double) * e->block * k);
        if (!e->qd || !e->wd || !e->lo)
            return CKR_ENOMEM;
        for (size_t i = 0; i < n; i++)
            e->qnorm[i] = quad_row_double(e, i, z, e->qd + i * m);
        ckr_flops_add(5.0 * (double)n * (double)d);
        return 0;
    }
    e->wf = malloc(sizeof(float) * k * m);
    if (!e->wf)
        return CKR_ENOMEM;
    if ((double)n * (double)m * sizeof(float) <= (double)g_qcache_bytes) {
        e->qf = malloc(sizeof(float) * n * m);
        if (!e->qf)
            return CKR_ENOMEM;
        size_t b = QBLOCK_BYTES / (sizeof(float) * m);
        e->block = b < 256 ? 256 : b;
    } else {
        size_t b = QBLOCK_BYTES / (sizeof(float) * m);
        e->block = b < 64 ? 64 : b;
    }
    if (e->block > n)
        e->block = n;
    size_t bk = (size_t)1 << 21; /* keep the block x k outputs moderate */
    if (e->block * k > bk && bk / k >= 64)
        e->block = bk / k;
    e->af = malloc(sizeof(float) * e->block * k);
    e->lo = malloc(sizeof(double) * e->block * k);
    if (!e->af || !e->lo)
        return CKR_ENOMEM;
    if (e->qf) {
        for (size_t i = 0; i < n; i++)
            e->qnorm[i] = quad_row_float(e, i, z, e->qf + i * m);
    } else {
        e->qblk = malloc(sizeof(float) * e->block * m);
        if (!e->qblk)
            return CKR_ENOMEM;
        float *dummy = e->qblk; /* norms now, features rebuilt per block */
        for (size_t i = 0; i < n; i++)
            e->qnorm[i] = quad_row_float(e, i, z, dummy);
    }
    ckr_flops_add((double)n * (2.0 * (double)d + 3.0 * (double)m));
    return 0;
}

/* Per-component coefficients w_k of the Mahalanobis distance as a linear
 * function of q(z), their norms, and the constants cst_k. */
static void engine_coefficients(engine *e, const ckr_gmm *g)
{
    size_t d = e->d, m = e->m, k = e->k;
    for (size_t j = 0; j < k; j++) {
        double *w = e->wtmp;
        int ok = 1;
        e->cst[j] = log(g->weights[j]) + g->log_det[j] - 0.5 * (double)d * LOG_2PI;
        const double *mu = g->means + j * d;
        if (e->cov == CKR_COV_DIAG) {
            const double *p = g->linv + j * d;
            double c = 0.0;
            for (size_t a = 0; a < d; a++) {
                double pr = p[a] * p[a] * e->scale[a] * e->scale[a];
                double nu = (mu[a] - e->shift[a]) / e->scale[a];
                w[a] = pr;
                w[d + a] = -2.0 * pr * nu;
                c += pr * nu * nu;
            }
            w[2 * d] = c;
            ckr_flops_add(10.0 * (double)d);
        } else {
            /* M = L^-1 S, b = L^-1 (mu - shift): maha = |M z - b|^2
             * = z^T (M^T M) z - 2 (M^T b)^T z + |b|^2 */
            const double *Li = g->linv + j * d * d;
            double *M = e->wtmp + m, *b = M + d * d, *mtb = b + d;
            for (size_t r = 0; r < d; r++) {
                double s = 0.0;
                for (size_t c = 0; c <= r; c++) {
                    M[r * d + c] = Li[r * d + c] * e->scale[c];
                    s += Li[r * d + c] * (mu[c] - e->shift[c]);
                }
                for (size_t c = r + 1; c < d; c++)
                    M[r * d + c] = 0.0;
                b[r] = s;
            }
            double bb = 0.0;
            for (size_t a = 0; a < d; a++) {
                double s = 0.0;
                for (size_t r = a; r < d; r++)
                    s += M[r * d + a] * b[r];
                mtb[a] = s;
                bb += b[a] * b[a];
            }
            if (ckr_dlauum_ltl(d, M) != 0) /* lower triangle of M := M^T M */
                ok = 0;
            size_t p = 0;
            for (size_t a = 0; a < d; a++)
                for (size_t c = a; c < d; c++)
                    w[p++] = a == c ? M[a * d + a] : 2.0 * M[c * d + a];
            for (size_t a = 0; a < d; a++)
                w[p++] = -2.0 * mtb[a];
            w[p] = bb;
            ckr_flops_add(4.0 * (double)d * (double)d);
        }
        double nrm = 0.0;
        for (size_t t = 0; t < m; t++) {
            nrm += w[t] * w[t];
            if (!(fabs(w[t]) < 1e30))
                ok = 0;
        }
        e->wnorm[j] = sqrt(nrm);
        e->exact_only[j] = !ok || !isfinite(e->wnorm[j]) || !isfinite(e->cst[j]);
        e->pen[j] = e->exact_only[j] ? -INFINITY : 0.0;
        if (e->exact_only[j])
            e->wnorm[j] = 0.0; /* keeps the bound arithmetic finite; never used */
        if (e->cov == CKR_COV_DIAG)
            for (size_t t = 0; t < m; t++)
                e->wd[j * m + t] = e->exact_only[j] ? 0.0 : w[t];
        else
            for (size_t t = 0; t < m; t++)
                e->wf[j * m + t] = e->exact_only[j] ? 0.0f : (float)w[t];
        ckr_flops_add(2.0 * (double)m);
    }
}

/* Approximate Mahalanobis distances of rows [i0, i0 + b) to all components
 * into e->lo (as doubles, row-major b x k). */
static void engine_approx_block(engine *e, size_t i0, size_t b)
{
    size_t m = e->m, k = e->k;
    double t0 = ckr_now();
    if (e->cov == CKR_COV_DIAG) {
        ckr_dgemm(0, 1, b, k, m, 1.0, e->qd + i0 * m, m, e->wd, m, 0.0, e->lo, k);
    } else {
        const float *q;
        if (e->qf) {
            q = e->qf + i0 * m;
        } else {
            for (size_t r = 0; r < b; r++)
                quad_row_float(e, i0 + r, e->wtmp, e->qblk + r * m);
            ckr_flops_add((double)b * (2.0 * (double)e->d + 3.0 * (double)m));
            q = e->qblk;
        }
        ckr_sgemm(0, 1, b, k, m, 1.0f, q, m, e->wf, m, 0.0f, e->af, k);
        for (size_t t = 0; t < b * k; t++)
            e->lo[t] = (double)e->af[t];
    }
    e->sec_approx += ckr_now() - t0;
}

/* A lower bound v >= 0 stored as a float <= v: v (1 - 2^-22) rounds to a
 * float below v; NaN and negatives become 0, huge values 1e38. */
static float float_down(double v)
{
    if (!(v > 0.0))
        return 0.0f;
    if (!(v < 1e38))
        return 1e38f;
    return (float)(v - v * 0x1p-22);
}

/* Row i of the approximation: a[j] (approximate distance) becomes an upper
 * bound on the log-density, ylo[j] (if not NULL) a lower bound on the
 * distance's square root; returns the best lower bound on a log-density. */
static double bound_row(const engine *e, size_t i, double *a, float *ylo)
{
    size_t k = e->k, j = 0;
    double qg = e->gamma * e->qnorm[i], best = -INFINITY;
#ifdef __SSE2__
    const __m128d zero = _mm_setzero_pd(), half = _mm_set1_pd(0.5), qgv = _mm_set1_pd(qg);
    const __m128d shrink = _mm_set1_pd(1.0 - 0x1p-22), cap = _mm_set1_pd(1e38);
    __m128d bestv = _mm_set1_pd(-INFINITY);
    for (; j + 2 <= k; j += 2) {
        __m128d av = _mm_loadu_pd(a + j), cst = _mm_loadu_pd(e->cst + j);
        __m128d delta = _mm_mul_pd(qgv, _mm_loadu_pd(e->wnorm + j));
        __m128d mh = _mm_max_pd(_mm_add_pd(av, delta), zero);
        __m128d ml = _mm_max_pd(_mm_sub_pd(av, delta), zero);
        __m128d lo = _mm_add_pd(_mm_sub_pd(cst, _mm_mul_pd(half, mh)), _mm_loadu_pd(e->pen + j));
        bestv = _mm_max_pd(lo, bestv); /* a NaN lo leaves bestv */
        _mm_storeu_pd(a + j, _mm_sub_pd(cst, _mm_mul_pd(half, ml)));
        if (ylo) {
            __m128d y = _mm_min_pd(_mm_mul_pd(_mm_sqrt_pd(ml), shrink), cap);
            _mm_storel_epi64((__m128i *)(void *)&ylo[j], _mm_castps_si128(_mm_cvtpd_ps(y)));
        }
    }
    double bb[2];
    _mm_storeu_pd(bb, bestv);
    best = bb[0] > bb[1] ? bb[0] : bb[1];
#endif
    for (; j < k; j++) {
        double delta = qg * e->wnorm[j];
        double maha_hi = a[j] + delta, maha_lo = a[j] - delta;
        double lo = e->cst[j] - 0.5 * (maha_hi > 0.0 ? maha_hi : 0.0) + e->pen[j];
        if (lo > best)
            best = lo;
        maha_lo = maha_lo > 0.0 ? maha_lo : 0.0;
        if (ylo)
            ylo[j] = float_down(sqrt(maha_lo));
        a[j] = e->cst[j] - 0.5 * maha_lo;
    }
    return best;
}

/* Candidate components of each row of the block: those whose upper bound on
 * the log-density is within CKR_GMM_MARGIN of the best lower bound. Marks
 * them in r (and in e->ins, with the distance bounds in e->ylo, when
 * tracking). */
static int engine_select_block(engine *e, size_t i0, size_t b, resp_csr *r)
{
    size_t k = e->k;
    for (size_t rr = 0; rr < b; rr++) {
        size_t i = i0 + rr;
        double *a = e->lo + rr * k; /* approximate distances -> upper bounds */
        float *ylo = e->ylo ? e->ylo + i * k : NULL;
        double best = bound_row(e, i, a, ylo);
        double cut = best - CKR_GMM_MARGIN;
        int rc = resp_reserve(r, k);
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < k; j++) {
            int take = e->exact_only[j] || !(a[j] < cut); /* NaN-safe: take when unsure */
            if (take)
                r->comp[r->nnz++] = (uint32_t)j;
            if (e->ins) {
                e->ins[i * k + j] = (unsigned char)take;
                e->refit[i * k + j] = 0;
            }
        }
        r->ptr[i + 1] = r->nnz;
    }
    ckr_flops_add(14.0 * (double)b * (double)k);
    return 0;
}

/* Responsibility structure from the tracked set e->ins. */
static int csr_from_tracked(engine *e, resp_csr *r)
{
    resp_free(r);
    int rc = resp_alloc(r, e->n, e->k);
    for (size_t i = 0; rc == 0 && i < e->n; i++) {
        rc = resp_reserve(r, e->k);
        const unsigned char *in = e->ins + i * e->k;
        for (size_t j = 0; rc == 0 && j < e->k; j++)
            if (in[j])
                r->comp[r->nnz++] = (uint32_t)j;
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? resp_transpose(r) : rc;
}

/* sum_a v_a^2 with four partial sums (the loop is latency-bound otherwise). */
static double sum_squares(const double *v, size_t d)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t a = 0;
    for (; a + 4 <= d; a += 4) {
        s0 += v[a] * v[a];
        s1 += v[a + 1] * v[a + 1];
        s2 += v[a + 2] * v[a + 2];
        s3 += v[a + 3] * v[a + 3];
    }
    for (; a < d; a++)
        s0 += v[a] * v[a];
    return (s0 + s1) + (s2 + s3);
}

/* Exact log-densities of the candidate pairs, gathered per component. */
static void engine_exact(engine *e, const ckr_gmm *g, resp_csr *r)
{
    size_t d = e->d;
    for (size_t j = 0; j < e->k; j++) {
        size_t p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0;
        if (cnt == 0)
            continue;
        const double *mu = g->means + j * d;
        double *B = e->gbuf;
        for (size_t c = 0; c < cnt; c++) {
            const double *x = e->X + (size_t)r->crow[p0 + c] * d;
            double *row = B + c * d;
            for (size_t a = 0; a < d; a++)
                row[a] = x[a] - mu[a];
        }
        if (e->cov == CKR_COV_FULL) {
            ckr_dtrmm_right_lower_trans(cnt, d, g->linv + j * d * d, B, d);
        } else {
            const double *p = g->linv + j * d;
            for (size_t c = 0; c < cnt; c++)
                for (size_t a = 0; a < d; a++)
                    B[c * d + a] *= p[a];
            ckr_flops_add((double)cnt * (double)d);
        }
        for (size_t c = 0; c < cnt; c++)
            r->val[r->cpos[p0 + c]] = e->cst[j] - 0.5 * sum_squares(B + c * d, d);
        ckr_flops_add(3.0 * (double)cnt * (double)d + 2.0 * (double)cnt);
    }
}

/* Normalise each point's log-densities into responsibilities; those more
 * than CKR_GMM_MARGIN below the point's best become exactly 0. Returns the
 * mean log-likelihood (NaN when some point has a non-finite one). */
static double engine_normalise(resp_csr *r)
{
    double total = 0.0;
    for (size_t i = 0; i < r->n; i++) {
        size_t p0 = r->ptr[i], p1 = r->ptr[i + 1];
        double mx = -INFINITY;
        for (size_t p = p0; p < p1; p++)
            if (r->val[p] > mx)
                mx = r->val[p];
        double s = 0.0, cut = mx - CKR_GMM_MARGIN;
        for (size_t p = p0; p < p1; p++)
            if (r->val[p] >= cut)
                s += exp(r->val[p] - mx);
        double l = mx + log(s);
        for (size_t p = p0; p < p1; p++)
            r->val[p] = r->val[p] >= cut ? exp(r->val[p] - l) : 0.0;
        total += l;
    }
    ckr_flops_add(4.0 * (double)r->nnz + 2.0 * (double)r->n);
    return total / (double)r->n;
}

/* A full pass: approximate every pair, select, remember the bounds. */
static int engine_full_pass(engine *e, const ckr_gmm *g, resp_csr *r)
{
    resp_free(r);
    int rc = resp_alloc(r, e->n, e->k);
    if (rc != 0)
        return rc;
    if (e->dense_left > 0) {
        /* the last approximation kept most pairs anyway: take them all */
        e->dense_left--;
        rc = resp_reserve(r, e->n * e->k);
        for (size_t i = 0; rc == 0 && i < e->n; i++) {
            for (size_t j = 0; j < e->k; j++)
                r->comp[r->nnz++] = (uint32_t)j;
            r->ptr[i + 1] = r->nnz;
        }
        if (rc == 0 && e->ins) {
            memset(e->ins, 1, e->n * e->k);
            memset(e->refit, 0, e->n * e->k);
        }
    } else {
        for (size_t i0 = 0; rc == 0 && i0 < e->n; i0 += e->block) {
            size_t b = e->n - i0 < e->block ? e->n - i0 : e->block;
            engine_approx_block(e, i0, b);
            rc = engine_select_block(e, i0, b, r);
        }
        if ((double)r->nnz > DENSE_FRACTION * (double)e->n * (double)e->k)
            e->dense_left = DENSE_PASSES;
    }
    if (rc != 0)
        return rc;
    if (e->ins) { /* slot 0: the parameters of this pass */
        size_t cl = e->cov == CKR_COV_FULL ? e->d * e->d : e->d;
        memcpy(e->plinv, g->linv, sizeof(double) * e->k * cl);
        memcpy(e->pmu, g->means, sizeof(double) * e->k * e->d);
        for (size_t j = 0; j < e->k; j++) {
            e->sshrink[j] = 1.0;
            e->sshift[j] = 0.0;
        }
        e->nhist = 1;
    }
    e->full_passes++;
    return resp_transpose(r);
}

/* Merge the point-sorted entries of x into r (both sorted by component
 * within a point) and rebuild the by-component index. */
static int resp_merge(resp_csr *r, const resp_csr *x)
{
    size_t nnz = r->nnz + x->nnz;
    uint32_t *comp = malloc(sizeof(uint32_t) * (nnz ? nnz : 1));
    double *val = malloc(sizeof(double) * (nnz ? nnz : 1));
    if (!comp || !val) {
        free(comp);
        free(val);
        return CKR_ENOMEM;
    }
    size_t q = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t a = r->ptr[i], a1 = r->ptr[i + 1], b = x->ptr[i], b1 = x->ptr[i + 1];
        r->ptr[i] = q;
        while (a < a1 || b < b1) {
            if (b >= b1 || (a < a1 && r->comp[a] < x->comp[b])) {
                comp[q] = r->comp[a];
                val[q++] = r->val[a++];
            } else {
                comp[q] = x->comp[b];
                val[q++] = x->val[b++];
            }
        }
    }
    r->ptr[r->n] = q;
    free(r->comp);
    free(r->val);
    r->comp = comp;
    r->val = val;
    r->nnz = r->cap = nnz;
    return resp_transpose(r);
}

/* How far component j moved since the previous E-step (parameters p). With
 * A = L_now^-1 L_p and b = L_now^-1 (mu_p - mu_now), L_now^-1 (x - mu_now) =
 * A y + b where y = L_p^-1 (x - mu_p), so for every x
 *   |L_now^-1 (x - mu_now)| >= sigma_min(A) |y| - |b|,
 * and sigma_min(A) = 1 / |A^-1|_2 >= 1 / (1 + |L_p^-1 L_now - I|_F). */
static void step_motion(engine *e, const ckr_gmm *g, size_t j, double *shrink, double *shift)
{
    size_t d = e->d, full = e->cov == CKR_COV_FULL, cl = full ? d * d : d;
    const double *lt = e->plinv + j * cl, *mut = e->pmu + j * d;
    const double *mu = g->means + j * d, *linv = g->linv + j * cl, *ch = g->chol + j * cl;
    double f = 0.0, sh = 0.0;
    if (full) {
        double *T = e->tbuf;
        memcpy(T, ch, sizeof(double) * d * d);
        ckr_dtrmm_left_lower(d, d, lt, T, d); /* T = L_t^-1 L_now, lower */
        for (size_t r = 0; r < d; r++) {
            double b = 0.0;
            for (size_t c = 0; c <= r; c++) {
                double v = T[r * d + c] - (r == c ? 1.0 : 0.0);
                f += v * v;
                b += linv[r * d + c] * (mut[c] - mu[c]);
            }
            sh += b * b;
        }
        ckr_flops_add(4.0 * (double)d * (double)d);
    } else {
        for (size_t a = 0; a < d; a++) {
            double v = lt[a] * ch[a] - 1.0, b = linv[a] * (mut[a] - mu[a]);
            f += v * v;
            sh += b * b;
        }
        ckr_flops_add(8.0 * (double)d);
    }
    /* generous slack for the rounding of these few sums */
    *shrink = (1.0 - 1e-10) / (1.0 + sqrt(f) * (1.0 + 1e-10) + 1e-12);
    *shift = sqrt(sh) * (1.0 + 1e-10) + 1e-12 * (1.0 + sqrt(sh));
    if (e->exact_only[j] || !isfinite(*shrink) || !isfinite(*shift)) {
        *shrink = 0.0;
        *shift = INFINITY;
    }
}

/* A tracked pass. A pair not marked for exact evaluation carries a lower
 * bound ylo on |L^-1 (x - mu)| under the parameters of slot t (the E-step it
 * was last bounded in); under the current ones that norm is >= shrink_t ylo
 * - shift_t (step_motion chained over the steps since), which bounds its
 * log-density from above. Only the marked pairs plus those this
 * bound cannot rule out are evaluated exactly; pairs that end far below the
 * cut are unmarked, their exact distance becoming their new bound. Returns 1
 * when a full pass is due instead, 0 when r holds the exact log-densities, or
 * a negative error. */
static int engine_tracked_pass(engine *e, const ckr_gmm *g, resp_csr *r)
{
    size_t n = e->n, k = e->k, d = e->d, cl = e->cov == CKR_COV_FULL ? d * d : d;
    if (e->nhist <= 0 || e->nhist >= e->hist)
        return 1;
    int h = e->nhist++;
    /* chain the bounds of every slot through this step's motion */
    for (size_t j = 0; j < k; j++) {
        double sj, bj;
        step_motion(e, g, j, &sj, &bj);
        for (int t = 0; t < h; t++) {
            size_t q = (size_t)t * k + j;
            e->sshrink[q] *= sj;
            e->sshift[q] = e->sshift[q] * sj + bj;
        }
        e->sshrink[(size_t)h * k + j] = 1.0;
        e->sshift[(size_t)h * k + j] = 0.0;
    }
    memcpy(e->plinv, g->linv, sizeof(double) * k * cl);
    memcpy(e->pmu, g->means, sizeof(double) * k * d);
    int rc = csr_from_tracked(e, r);
    if (rc != 0)
        return rc;
    engine_exact(e, g, r);
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            mx = r->val[p] > mx ? r->val[p] : mx;
        e->best[i] = mx;
    }
    /* pairs the bounds cannot rule out */
    resp_csr x;
    rc = resp_alloc(&x, n, k);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned char *in = e->ins + i * k, *rt = e->refit + i * k;
        const float *yl = e->ylo + i * k;
        double cut = e->best[i] - CKR_GMM_MARGIN - 1e-9 * fabs(e->best[i]);
        rc = resp_reserve(&x, k);
        for (size_t j = 0; rc == 0 && j < k; j++) {
            if (in[j])
                continue;
            size_t t = (size_t)rt[j] * k + j;
            double v = e->sshrink[t] * (double)yl[j] - e->sshift[t];
            double up = e->cst[j] - 0.5 * (v > 0.0 ? v * v : 0.0);
            if (!(up < cut)) {
                in[j] = 1;
                x.comp[x.nnz++] = (uint32_t)j;
            }
        }
        x.ptr[i + 1] = x.nnz;
    }
    ckr_flops_add(6.0 * (double)n * (double)k);
    if (rc == 0 && (double)x.nnz > TRACK_MAX_FRACTION * (double)n * (double)k) {
        resp_free(&x);
        e->pause = e->backoff; /* the bounds are too loose now: pause tracking */
        e->backoff = e->backoff < 8 ? 2 * e->backoff : 8;
        return 1;
    }
    e->backoff = 1;
    if (rc == 0 && x.nnz > 0) {
        rc = resp_transpose(&x);
        if (rc == 0) {
            engine_exact(e, g, &x);
            rc = resp_merge(r, &x);
        }
    }
    resp_free(&x);
    if (rc != 0)
        return rc;
    /* unmark the pairs far below the cut: their exact distance is their bound */
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            mx = r->val[p] > mx ? r->val[p] : mx;
        double drop = mx - CKR_GMM_MARGIN - TRACK_SLACK;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            size_t j = r->comp[p];
            if (r->val[p] < drop && !e->exact_only[j]) {
                double maha = 2.0 * (e->cst[j] - r->val[p]);
                maha -= 1e-9 * (fabs(e->cst[j]) + fabs(r->val[p]) + 1.0);
                e->ins[i * k + j] = 0;
                e->ylo[i * k + j] = float_down(sqrt(maha > 0.0 ? maha : 0.0));
                e->refit[i * k + j] = (unsigned char)h;
            }
        }
    }
    return 0;
}

/* E-step into r (reallocated); *lb = mean log-likelihood. */
static int engine_e_step(engine *e, const ckr_gmm *g, resp_csr *r, double *lb)
{
    engine_coefficients(e, g);
    int rc = 1;
    if (e->ins && e->pause > 0)
        e->pause--;
    else if (e->ins)
        rc = engine_tracked_pass(e, g, r);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        rc = engine_full_pass(e, g, r);
        if (rc != 0)
            return rc;
        engine_exact(e, g, r);
    }
    *lb = engine_normalise(r);
    e->cand_sum += (double)r->nnz / (double)r->n;
    e->esteps++;
    return isfinite(*lb) ? 0 : CKR_ENUM;
}

/* ======================================================================
 * M-step from sparse responsibilities
 * ====================================================================== */

/* Mean and scatter of component j; returns n_k (with the 10 eps). */
static double component_stats(const ckr_gmm *g, const double *X, const resp_csr *r, size_t j,
                              double *mean, double *scatter, double *gbuf)
{
    size_t d = g->d, p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0;
    double nk = 0.0;
    for (size_t c = 0; c < cnt; c++)
        nk += r->val[r->cpos[p0 + c]];
    nk += 10.0 * DBL_EPSILON;
    memset(mean, 0, sizeof(double) * d);
    for (size_t c = 0; c < cnt; c++) {
        double w = r->val[r->cpos[p0 + c]];
        if (w == 0.0)
            continue;
        const double *x = X + (size_t)r->crow[p0 + c] * d;
        for (size_t a = 0; a < d; a++)
            mean[a] += w * x[a];
    }
    for (size_t a = 0; a < d; a++)
        mean[a] /= nk;
    size_t sl = g->cov == CKR_COV_FULL ? d * d : d;
    memset(scatter, 0, sizeof(double) * sl);
    if (g->cov == CKR_COV_FULL) {
        size_t rows = 0; /* rows of sqrt(r) (x - mean), zero responsibilities skipped */
        for (size_t c = 0; c < cnt; c++) {
            double w = r->val[r->cpos[p0 + c]];
            if (!(w > 0.0))
                continue;
            double sw = sqrt(w);
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++)
                gbuf[rows * d + a] = sw * (x[a] - mean[a]);
            rows++;
        }
        ckr_dsyrk_ata(d, rows, 1.0, gbuf, d, 0.0, scatter);
    } else {
        for (size_t c = 0; c < cnt; c++) {
            double w = r->val[r->cpos[p0 + c]];
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++) {
                double t = x[a] - mean[a];
                scatter[a] += w * t * t;
            }
        }
        ckr_flops_add(4.0 * (double)cnt * (double)d);
    }
    ckr_flops_add(4.0 * (double)cnt * (double)d + (double)cnt + (double)d);
    return nk;
}

/* Covariance of component j = scatter / nk + reg' I, with the Cholesky retry
 * ladder reg, 10 reg, 100 reg, 1000 reg. Returns 0 or CKR_ENUM. */
static int component_covariance(ckr_gmm *g, size_t j, const double *scatter, double nk)
{
    size_t d = g->d;
    double reg = g->reg;
    for (int attempt = 0; attempt <= 3; attempt++, reg *= 10.0) {
        if (attempt > 0)
            g->reg_retries++;
        if (g->cov == CKR_COV_FULL) {
            double *c = g->covs + j * d * d;
            for (size_t t = 0; t < d * d; t++)
                c[t] = scatter[t] / nk;
            for (size_t a = 0; a < d; a++)
                c[a * d + a] += reg;
            ckr_flops_add((double)d * (double)d);
        } else {
            double *c = g->covs + j * d;
            for (size_t a = 0; a < d; a++)
                c[a] = scatter[a] / nk + reg;
            ckr_flops_add(2.0 * (double)d);
        }
        if (component_precision(g, j) == 0)
            return 0;
        if (!(reg > 0.0))
            reg = DBL_MIN; /* reg 0: the ladder starts from a tiny value */
    }
    return CKR_ENUM;
}

/* sklearn's _m_step (init: weights n_k / n instead of n_k / sum n_k). */
static int m_step_sparse(ckr_gmm *g, const double *X, const resp_csr *r, int init,
                         double *gbuf, ckr_err *err)
{
    size_t d = g->d, k = g->k;
    size_t sl = g->cov == CKR_COV_FULL ? d * d : d;
    double *scatter = malloc(sizeof(double) * sl);
    double *nks = malloc(sizeof(double) * k);
    if (!scatter || !nks) {
        free(scatter);
        free(nks);
        return ckr_err_set(err, CKR_ENOMEM, "GMM M-step: out of memory");
    }
    int rc = 0;
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        nks[j] = component_stats(g, X, r, j, g->means + j * d, scatter, gbuf);
        sum += nks[j];
        if (component_covariance(g, j, scatter, nks[j]) != 0) {
            rc = ckr_err_set(err, CKR_ENUM,
                             "GMM: covariance of component %zu (weight %.3g) is not positive "
                             "definite even with reg_covar x1000; decrease the number of "
                             "components or increase reg",
                             j, nks[j]);
            break;
        }
    }
    for (size_t j = 0; rc == 0 && j < k; j++)
        g->weights[j] = nks[j] / (init ? (double)r->n : sum);
    free(scatter);
    free(nks);
    return rc;
}

/* ======================================================================
 * Public entry points
 * ====================================================================== */

int ckr_gmm_e_step(const ckr_gmm *g, const double *X, size_t n, double *resp,
                   double *mean_loglik, ckr_err *err)
{
    engine e;
    resp_csr r = { 0 };
    double lb = NAN;
    int rc = engine_init(&e, X, n, g->d, g->k, g->cov);
    if (rc == 0)
        rc = engine_e_step(&e, g, &r, &lb);
    if (rc == 0 && resp)
        resp_to_dense(&r, resp);
    if (mean_loglik)
        *mean_loglik = lb;
    resp_free(&r);
    engine_free(&e);
    if (rc != 0)
        return ckr_err_set(err, rc, "GMM E-step failed (%s)", ckr_err_word(rc));
    return 0;
}

int ckr_gmm_m_step(ckr_gmm *g, const double *X, size_t n, const double *resp, ckr_err *err)
{
    resp_csr r;
    double *gbuf = malloc(sizeof(double) * n * g->d);
    int rc = gbuf ? resp_from_dense(&r, resp, n, g->k) : CKR_ENOMEM;
    if (rc == 0)
        rc = m_step_sparse(g, X, &r, 0, gbuf, err);
    else
        ckr_err_set(err, rc, "GMM M-step: out of memory");
    if (gbuf)
        resp_free(&r);
    free(gbuf);
    return rc;
}

int ckr_gmm_fit_from_labels(ckr_gmm *g, const double *X, size_t n, const int *labels,
                            const ckr_gmm_opts *o, double *post, ckr_gmm_stats *st,
                            ckr_err *err)
{
    ckr_gmm_stats local;
    if (!st)
        st = &local;
    int kmeans_iters = st == &local ? 0 : st->kmeans_iters;
    double sec_kmeans = st == &local ? 0.0 : st->sec_kmeans;
    memset(st, 0, sizeof *st);
    st->kmeans_iters = kmeans_iters;
    st->sec_kmeans = sec_kmeans;
    double t0 = ckr_now(), f0 = ckr_flops_get();
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= g->k)
            return ckr_err_set(err, CKR_EARG, "GMM: label %d of point %zu out of range",
                               labels[i], i);
    engine e;
    resp_csr r = { 0 };
    int rc = engine_init(&e, X, n, g->d, g->k, g->cov);
    if (rc == 0)
        rc = resp_from_labels(&r, labels, n, g->k);
    if (rc != 0) {
        ckr_err_set(err, rc, "GMM: out of memory (n=%zu, k=%zu, d=%zu)", n, g->k, g->d);
        goto cleanup;
    }
    g->reg_retries = 0;
    rc = m_step_sparse(g, X, &r, 1, e.gbuf, err);
    double lb = -INFINITY;
    for (int it = 1; rc == 0 && it <= o->max_iter; it++) {
        double prev = lb;
        rc = engine_e_step(&e, g, &r, &lb);
        if (rc != 0) {
            ckr_err_set(err, rc, "GMM: non-finite log-likelihood at EM iteration %d", it);
            break;
        }
        rc = m_step_sparse(g, X, &r, 0, e.gbuf, err);
        st->iters = it;
        st->lower_bound = lb;
        if (rc == 0 && fabs(lb - prev) < o->tol) {
            st->converged = 1;
            break;
        }
    }
    if (rc == 0) {
        double final_lb;
        rc = engine_e_step(&e, g, &r, &final_lb);
        if (rc != 0)
            ckr_err_set(err, rc, "GMM: non-finite log-likelihood in the final E-step");
        else if (post)
            resp_to_dense(&r, post);
    }
    st->cand_per_point = e.esteps ? e.cand_sum / e.esteps : 0.0;
    st->full_passes = e.full_passes;
    st->sec_approx = e.sec_approx;
cleanup:
    st->sec_em = ckr_now() - t0;
    st->flops_em = ckr_flops_get() - f0;
    resp_free(&r);
    engine_free(&e);
    return rc;
}

int ckr_gmm_fit(ckr_gmm *g, const double *X, size_t n, const ckr_gmm_opts *o, ckr_rng *rng,
                double *post, ckr_gmm_stats *st, ckr_err *err)
{
    ckr_gmm_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (g->k > n)
        return ckr_err_set(err, CKR_EARG, "GMM: %zu components but only %zu points", g->k, n);
    int *labels = malloc(sizeof(int) * n);
    double *centers = malloc(sizeof(double) * g->k * g->d);
    if (!labels || !centers) {
        free(labels);
        free(centers);
        return ckr_err_set(err, CKR_ENOMEM, "GMM: out of memory for the k-means init");
    }
    double t0 = ckr_now();
    ckr_kmeans_stats ks;
    int rc = ckr_kmeans_fit(X, n, g->d, g->k, o->kmeans_iter, o->kmeans_tol, rng, centers,
                            labels, &ks, err);
    st->sec_kmeans = ckr_now() - t0;
    st->kmeans_iters = ks.iters;
    if (rc == 0)
        rc = ckr_gmm_fit_from_labels(g, X, n, labels, o, post, st, err);
    free(labels);
    free(centers);
    return rc;
}
