#include "linalg/gmm.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dense.h"
#include "linalg/dense_extra.h"
#include "linalg/kmeans.h"
#include "util/flops.h"

#define LOG_2PI 1.8378770664093454836
/* Cache the single-precision quadratic features of all points when they fit here. */
#define QCACHE_BYTES ((size_t)512 << 20)
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
    g->log_det = calloc(k, sizeof(double));
    if (!g->weights || !g->means || !g->covs || !g->linv || !g->log_det) {
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
        double *p = g->linv + j * d, ld = 0.0;
        for (size_t t = 0; t < d; t++) {
            if (!(c[t] > 0.0) || !isfinite(c[t]))
                return CKR_ENUM;
            p[t] = 1.0 / sqrt(c[t]);
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
    double *qd, *wd, *ad;   /* n x m, k x m, block x k */
    size_t block;
    double *wnorm;          /* k: |w_k| */
    double *cst;            /* k: log pi_k + log_det_k - 0.5 d log 2pi */
    unsigned char *exact_only; /* k: coefficients not representable, always exact */
    double *wtmp;           /* m doubles scratch; full also d*d + 2d */
    double *gbuf;           /* n x d gather buffer */
    double *lo;             /* block x k lower bounds */
    double sec_approx;
    double cand_sum;        /* sum over E-steps of nnz / n */
    int esteps;
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
    free(e->ad);
    free(e->wnorm);
    free(e->cst);
    free(e->exact_only);
    free(e->wtmp);
    free(e->gbuf);
    free(e->lo);
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
    e->exact_only = calloc(k, 1);
    e->wtmp = malloc(sizeof(double) * (m + d * d + 2 * d + 1));
    e->gbuf = malloc(sizeof(double) * n * d);
    if (!e->shift || !e->scale || !e->qnorm || !e->wnorm || !e->cst || !e->exact_only ||
        !e->wtmp || !e->gbuf)
        return CKR_ENOMEM;
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
        e->ad = malloc(sizeof(double) * e->block * k);
        e->lo = malloc(sizeof(double) * e->block * k);
        if (!e->qd || !e->wd || !e->ad || !e->lo)
            return CKR_ENOMEM;
        for (size_t i = 0; i < n; i++)
            e->qnorm[i] = quad_row_double(e, i, z, e->qd + i * m);
        ckr_flops_add(5.0 * (double)n * (double)d);
        return 0;
    }
    e->wf = malloc(sizeof(float) * k * m);
    if (!e->wf)
        return CKR_ENOMEM;
    if ((double)n * (double)m * sizeof(float) <= (double)QCACHE_BYTES) {
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
    double *w = e->wtmp;
    for (size_t j = 0; j < k; j++) {
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
            double *M = w + m, *b = M + d * d, *mtb = b + d;
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

/* Candidate components of each row of the block: those whose upper bound on
 * the log-density is within CKR_GMM_MARGIN of the best lower bound. */
static int engine_select_block(engine *e, size_t i0, size_t b, resp_csr *r)
{
    size_t k = e->k;
    for (size_t rr = 0; rr < b; rr++) {
        size_t i = i0 + rr;
        const double *a = e->lo + rr * k;
        double best = -INFINITY;
        for (size_t j = 0; j < k; j++) {
            if (e->exact_only[j])
                continue;
            double delta = e->gamma * e->qnorm[i] * e->wnorm[j];
            double maha_hi = a[j] + delta;
            double lo = e->cst[j] - 0.5 * (maha_hi > 0.0 ? maha_hi : 0.0);
            if (lo > best)
                best = lo;
        }
        double cut = best - CKR_GMM_MARGIN;
        int rc = resp_reserve(r, k);
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < k; j++) {
            int take = e->exact_only[j];
            if (!take) {
                double delta = e->gamma * e->qnorm[i] * e->wnorm[j];
                double maha_lo = a[j] - delta;
                double hi = e->cst[j] - 0.5 * (maha_lo > 0.0 ? maha_lo : 0.0);
                take = !(hi < cut); /* NaN-safe: take when unsure */
            }
            if (take)
                r->comp[r->nnz++] = (uint32_t)j;
        }
        r->ptr[i + 1] = r->nnz;
    }
    ckr_flops_add(12.0 * (double)b * (double)k);
    return 0;
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
        for (size_t c = 0; c < cnt; c++) {
            double s = 0.0;
            for (size_t a = 0; a < d; a++)
                s += B[c * d + a] * B[c * d + a];
            r->val[r->cpos[p0 + c]] = e->cst[j] - 0.5 * s;
        }
        ckr_flops_add(3.0 * (double)cnt * (double)d + 2.0 * (double)cnt);
    }
}

/* Normalise each point's log-densities into responsibilities; returns the
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
        double s = 0.0;
        for (size_t p = p0; p < p1; p++)
            s += exp(r->val[p] - mx);
        double l = mx + log(s);
        for (size_t p = p0; p < p1; p++)
            r->val[p] = exp(r->val[p] - l);
        total += l;
    }
    ckr_flops_add(4.0 * (double)r->nnz + 2.0 * (double)r->n);
    return total / (double)r->n;
}

/* Full E-step into r (reallocated); *lb = mean log-likelihood. */
static int engine_e_step(engine *e, const ckr_gmm *g, resp_csr *r, double *lb)
{
    resp_free(r);
    int rc = resp_alloc(r, e->n, e->k);
    if (rc != 0)
        return rc;
    engine_coefficients(e, g);
    for (size_t i0 = 0; i0 < e->n; i0 += e->block) {
        size_t b = e->n - i0 < e->block ? e->n - i0 : e->block;
        engine_approx_block(e, i0, b);
        rc = engine_select_block(e, i0, b, r);
        if (rc != 0)
            return rc;
    }
    rc = resp_transpose(r);
    if (rc != 0)
        return rc;
    engine_exact(e, g, r);
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
        const double *x = X + (size_t)r->crow[p0 + c] * d;
        for (size_t a = 0; a < d; a++)
            mean[a] += w * x[a];
    }
    for (size_t a = 0; a < d; a++)
        mean[a] /= nk;
    size_t sl = g->cov == CKR_COV_FULL ? d * d : d;
    memset(scatter, 0, sizeof(double) * sl);
    if (g->cov == CKR_COV_FULL) {
        for (size_t c = 0; c < cnt; c++) {
            double sw = sqrt(r->val[r->cpos[p0 + c]]);
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++)
                gbuf[c * d + a] = sw * (x[a] - mean[a]);
        }
        ckr_dsyrk_ata(d, cnt, 1.0, gbuf, d, 0.0, scatter);
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
