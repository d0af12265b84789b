/* gmm_dense.c -- the dense E-step and M-step of the Gaussian mixture, used
 * when most (point, component) pairs are near enough to matter anyway, so
 * that skipping pairs saves less than the gathers cost (declarations in
 * linalg/gmm_internal.h):
 *   - E-step (full covariance): one GEMM per row block over all components,
 *     [X_b - shift, 1] (b x (d+1)) times the precision factors side by side,
 *     W = [L_1^-T ... L_K^-T; -(L_k^-1 (mu_k - shift))^T] ((d+1) x K d), then
 *     the squared norm of each d-block of the product is the Mahalanobis
 *     distance of that pair;
 *   - M-step (full covariance): the moments of all components in one GEMM
 *     per row block, Q_b^T R_b, Q_b = the quadratic features [z_a z_b (a <=
 *     b), z, 1] of the standardised rows z = (x - shift) / scale, R_b the
 *     responsibilities: counts, first and second moments of every component;
 *     the scatter is the second moment minus n_k mu mu^T, and a component
 *     whose diagonal loses more than LOST_DIGITS (6) of its ~16 decimal
 *     digits to that subtraction is recomputed from its centred rows.
 * Both run in double precision (results at the rounding level of the
 * sparse path and of scikit-learn). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/gmm_internal.h"
#include "util/flops.h"

/* Rows per block: the E-step product is block x K d doubles. */
#define DENSE_E_BYTES ((size_t)4 << 20)
#define DENSE_M_BYTES ((size_t)8 << 20)
/* Recompute a component's scatter from centred rows when the subtraction of
 * n_k mean^2 cancels more than LOST_DIGITS decimal digits of a diagonal
 * entry of the second moment (the result then keeps >= ~10 digits). */
#define LOST_DIGITS 6.0

/* sum_a v_a^2 over d floats, accumulated in double (four partial sums). */
static double sum_squares_float(const float *v, size_t d)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t a = 0;
    for (; a + 4 <= d; a += 4) {
        double v0 = v[a], v1 = v[a + 1], v2 = v[a + 2], v3 = v[a + 3];
        s0 += v0 * v0;
        s1 += v1 * v1;
        s2 += v2 * v2;
        s3 += v3 * v3;
    }
    for (; a < d; a++) {
        double t = v[a];
        s0 += t * t;
    }
    return (s0 + s1) + (s2 + s3);
}

int ckr_gmm_dense_e_step(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r)
{
    size_t n = e->n, d = e->d, k = e->k, kd = k * d, d1 = d + 1;
    int mixed = e->mixed != 0;
    if (e->cov != CKR_COV_FULL)
        return CKR_EARG;
    size_t b = DENSE_E_BYTES / (sizeof(double) * (kd + d1));
    b = b < 16 ? 16 : b > n ? n : b;
    double *W = malloc(sizeof(double) * d1 * kd);
    double *A = mixed ? NULL : malloc(sizeof(double) * b * d1);
    double *Y = mixed ? NULL : malloc(sizeof(double) * b * kd);
    float *Wf = mixed ? malloc(sizeof(float) * d1 * kd) : NULL;
    float *Af = mixed ? malloc(sizeof(float) * b * d1) : NULL;
    float *Yf = mixed ? malloc(sizeof(float) * b * kd) : NULL;
    double *tmu = malloc(sizeof(double) * d), *sh = malloc(sizeof(double) * d);
    ckr_gmm_resp_free(r);
    int rc = ckr_gmm_resp_alloc(r, n, k);
    if (rc == 0)
        rc = ckr_gmm_resp_reserve(r, n * k);
    if (rc == 0 && (!W || !tmu || (mixed ? !Wf || !Af || !Yf : !A || !Y)))
        rc = CKR_ENOMEM;
    if (rc != 0)
        goto cleanup;
    /* the shift: the data's (engine's) in double; mixed: the mixture's mean
     * sum_j pi_j mu_j, a function of the model only, so that on a team every
     * rank rounds the same [x - shift, 1] rows as one rank would */
    if (mixed) {
        memset(sh, 0, sizeof(double) * d);
        for (size_t j = 0; j < k; j++)
            for (size_t a = 0; a < d; a++)
                sh[a] += g->weights[j] * g->means[j * d + a];
        ckr_flops_add(2.0 * (double)k * (double)d);
    } else {
        memcpy(sh, e->shift, sizeof(double) * d);
    }
    /* W[a, j d + c] = (L_j^-1)[c, a]; last row -(L_j^-1 (mu_j - shift))_c */
    for (size_t j = 0; j < k; j++) {
        const double *Li = g->linv + j * d * d, *mu = g->means + j * d;
        for (size_t a = 0; a < d; a++)
            tmu[a] = mu[a] - sh[a];
        for (size_t c = 0; c < d; c++) {
            double s = 0.0;
            for (size_t a = 0; a <= c; a++) {
                W[a * kd + j * d + c] = Li[c * d + a];
                s += Li[c * d + a] * tmu[a];
            }
            for (size_t a = c + 1; a < d; a++)
                W[a * kd + j * d + c] = 0.0;
            W[d * kd + j * d + c] = -s;
        }
    }
    if (mixed)
        for (size_t t = 0; t < d1 * kd; t++)
            Wf[t] = (float)W[t];
    ckr_flops_add((double)k * (double)d * (double)(d + 2));
    for (size_t i0 = 0; i0 < n; i0 += b) {
        size_t bb = n - i0 < b ? n - i0 : b;
        for (size_t t = 0; t < bb; t++) {
            const double *x = e->X + (i0 + t) * d;
            if (mixed) {
                float *row = Af + t * d1;
                for (size_t a = 0; a < d; a++)
                    row[a] = (float)(x[a] - sh[a]);
                row[d] = 1.0f;
            } else {
                double *row = A + t * d1;
                for (size_t a = 0; a < d; a++)
                    row[a] = x[a] - sh[a];
                row[d] = 1.0;
            }
        }
        if (mixed)
            ckr_sgemm(0, 0, bb, kd, d1, 1.0f, Af, d1, Wf, kd, 0.0f, Yf, kd);
        else
            ckr_dgemm(0, 0, bb, kd, d1, 1.0, A, d1, W, kd, 0.0, Y, kd);
        for (size_t t = 0; t < bb; t++) {
            size_t i = i0 + t;
            double *val = r->val + i * k;
            uint32_t *comp = r->comp + i * k;
            for (size_t j = 0; j < k; j++) {
                double ss = mixed ? sum_squares_float(Yf + t * kd + j * d, d)
                                  : ckr_gmm_sum_squares(Y + t * kd + j * d, d);
                comp[j] = (uint32_t)j;
                val[j] = e->cst[j] - 0.5 * ss;
            }
            r->ptr[i + 1] = (i + 1) * k;
        }
    }
    r->nnz = n * k;
    ckr_flops_add((double)n * (double)d + 2.0 * (double)n * (double)kd + 2.0 * (double)n *
                  (double)k);
    rc = ckr_gmm_resp_transpose(r);
cleanup:
    free(W);
    free(A);
    free(Y);
    free(Wf);
    free(Af);
    free(Yf);
    free(tmu);
    free(sh);
    return rc;
}

/* Index of z_a z_b (a <= b) in the quadratic features. */
static size_t quad_index(size_t d, size_t a, size_t b)
{
    return a * d - a * (a - 1) / 2 + (b - a);
}

int ckr_gmm_dense_moments(const ckr_gmm_engine *e, const ckr_gmm_resp *r, double *T)
{
    size_t n = e->n, d = e->d, k = e->k, m = e->m;
    if (e->cov != CKR_COV_FULL || r->nnz != n * k)
        return CKR_EARG;
    size_t b = DENSE_M_BYTES / (sizeof(double) * m);
    b = b < 16 ? 16 : b > n ? n : b;
    double *Q = malloc(sizeof(double) * b * m), *z = malloc(sizeof(double) * d);
    if (!Q || !z) {
        free(Q);
        free(z);
        return CKR_ENOMEM;
    }
    for (size_t i0 = 0; i0 < n; i0 += b) {
        size_t bb = n - i0 < b ? n - i0 : b;
        for (size_t t = 0; t < bb; t++) {
            const double *x = e->X + (i0 + t) * d;
            double *q = Q + t * m;
            size_t p = 0;
            for (size_t a = 0; a < d; a++)
                z[a] = (x[a] - e->shift[a]) / e->scale[a];
            for (size_t a = 0; a < d; a++)
                for (size_t c = a; c < d; c++)
                    q[p++] = z[a] * z[c];
            for (size_t a = 0; a < d; a++)
                q[p++] = z[a];
            q[p] = 1.0;
        }
        ckr_flops_add((double)bb * (2.0 * (double)d + (double)m));
        ckr_dgemm(1, 0, m, k, bb, 1.0, Q, m, r->val + i0 * k, k, i0 ? 1.0 : 0.0, T, k);
    }
    free(Q);
    free(z);
    return 0;
}

int ckr_gmm_dense_component(const ckr_gmm_engine *e, const double *T, size_t j, double *mean,
                            double *scatter, double *nk)
{
    size_t d = e->d, k = e->k, m = e->m;
    double cnt = T[(m - 1) * k + j];
    double n_k = cnt + 10.0 * DBL_EPSILON;
    *nk = n_k;
    /* means in z, then x coordinates */
    for (size_t a = 0; a < d; a++)
        mean[a] = T[(m - 1 - d + a) * k + j] / n_k;
    int ok = 1;
    for (size_t a = 0; a < d; a++)
        for (size_t c = a; c < d; c++) {
            double m2 = T[quad_index(d, a, c) * k + j];
            /* sum_i r (z_a - mean_a)(z_c - mean_c) = m2 - 2 cnt ma mc + n_k ma mc... with
             * the sums of r exactly cnt: m2 - cnt ma mc (up to 10 eps) */
            double s = m2 - mean[a] * T[(m - 1 - d + c) * k + j];
            if (a == c && !(s > m2 * pow(10.0, -LOST_DIGITS)))
                ok = 0;
            scatter[a * d + c] = s * e->scale[a] * e->scale[c];
            scatter[c * d + a] = scatter[a * d + c];
        }
    for (size_t a = 0; a < d; a++)
        mean[a] = e->shift[a] + e->scale[a] * mean[a];
    ckr_flops_add(4.0 * (double)d * (double)d + 4.0 * (double)d);
    return ok;
}
