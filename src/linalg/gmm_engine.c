/* gmm_engine.c -- the E-step engine's state: data-side standardisation and
 * quadratic features, per-iteration component coefficients, and the
 * approximation GEMM (declarations in linalg/gmm_internal.h; the passes that
 * use them are in gmm_estep.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/factor.h"
#include "linalg/gmm_internal.h"
#include "util/flops.h"

#define LOG_2PI 1.8378770664093454836
/* Reference slots kept between full passes (a full pass every TRACK_HIST E-steps). */
#define TRACK_HIST 32
/* Target size of one block of quadratic features when not cached. */
#define QBLOCK_BYTES ((size_t)16 << 20)

/* Cache the single-precision quadratic features of all points when they fit here. */
static size_t g_qcache_bytes = CKR_GMM_QCACHE_DEFAULT;
/* Memory allowed for the bound tracking between full approximation passes. */
static size_t g_track_bytes = CKR_GMM_TRACK_DEFAULT;

void ckr_gmm_set_limits(size_t qcache_bytes, size_t track_bytes)
{
    g_qcache_bytes = qcache_bytes;
    g_track_bytes = track_bytes;
}

void ckr_gmm_engine_free(ckr_gmm_engine *e)
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
static void standardise_row(const ckr_gmm_engine *e, size_t i, double *z)
{
    const double *x = e->X + i * e->d;
    for (size_t a = 0; a < e->d; a++)
        z[a] = (x[a] - e->shift[a]) / e->scale[a];
}

/* q(z) of row i into a float (full) or double (diag) row; returns |q|. */
static double quad_row_float(const ckr_gmm_engine *e, size_t i, double *z, float *q)
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

static double quad_row_double(const ckr_gmm_engine *e, size_t i, double *z, double *q)
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

int ckr_gmm_engine_init(ckr_gmm_engine *e, const double *X, size_t n, size_t d, size_t k,
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
void ckr_gmm_engine_coefficients(ckr_gmm_engine *e, const ckr_gmm *g)
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
void ckr_gmm_engine_approx_block(ckr_gmm_engine *e, size_t i0, size_t b)
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
