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
 * sparse path and of scikit-learn), except the E-step with e->mixed: its
 * GEMM in float32 (sgemm) for the components whose estimated rounding error
 * is small, the shift from the model, sums in double (linalg/gmm.h). */
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

/* Mixed precision: the largest estimated rounding error (nats) of a
 * typical point's log-density that a component may take in float32; a
 * component above it (tight and far from the shift, so that float32 loses
 * the digits of x - mu) is evaluated in double. */
#define MIXED_MAX_ERR 1e-4

/* Mixed precision: which components are evaluated in double (isd[j] = 1).
 * The estimate for component j: a point near it has |x - shift| <= |mu_j -
 * shift| + sqrt(tr Sigma_j); the float32 product then errs by about
 * 2^-24 |L_j^-1|_F times that in each coordinate of y (|y| ~ sqrt(d)), so
 * its log-density by 2 sqrt(d) 2^-24 |L_j^-1|_F (|mu_j - shift| +
 * sqrt(tr Sigma_j)). A function of the model only (team-consistent). */
static void mixed_doubles(const ckr_gmm *g, const double *sh, unsigned char *isd)
{
    size_t d = g->d, k = g->k;
    for (size_t j = 0; j < k; j++) {
        const double *Li = g->linv + j * d * d, *C = g->covs + j * d * d;
        const double *mu = g->means + j * d;
        double lf = 0.0, tr = 0.0, dm = 0.0;
        for (size_t t = 0; t < d * d; t++)
            lf += Li[t] * Li[t];
        for (size_t a = 0; a < d; a++) {
            tr += C[a * d + a];
            dm += (mu[a] - sh[a]) * (mu[a] - sh[a]);
        }
        double err = 2.0 * sqrt((double)d) * 0x1p-24 * sqrt(lf) * (sqrt(dm) + sqrt(tr));
        isd[j] = !(err <= MIXED_MAX_ERR);
    }
    ckr_flops_add((double)k * (double)d * (2.0 * (double)d + 4.0));
}

int ckr_gmm_dense_e_step(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r)
{
    size_t n = e->n, d = e->d, k = e->k, kd = k * d, d1 = d + 1;
    int mixed = e->mixed != 0;
    if (e->cov != CKR_COV_FULL)
        return CKR_EARG;
    size_t b = DENSE_E_BYTES / (sizeof(double) * (kd + d1));
    b = b < 16 ? 16 : b > n ? n : b;
    /* components evaluated in double (nd of them, columns Wd) and in
     * float32 (nf, columns Wf); slot[j]: j's place in its group */
    size_t nd = 0, nf = 0;
    double *W = malloc(sizeof(double) * d1 * kd), *Wd = NULL, *A = NULL, *Y = NULL;
    float *Wf = NULL, *Af = NULL, *Yf = NULL;
    double *tmu = malloc(sizeof(double) * d), *sh = malloc(sizeof(double) * d);
    unsigned char *isd = malloc(k ? k : 1);
    size_t *slot = malloc(sizeof(size_t) * (k ? k : 1));
    ckr_gmm_resp_free(r);
    int rc = ckr_gmm_resp_alloc(r, n, k);
    if (rc == 0)
        rc = ckr_gmm_resp_reserve(r, n * k);
    if (rc == 0 && (!W || !tmu || !sh || !isd || !slot))
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
        mixed_doubles(g, sh, isd);
    } else {
        memcpy(sh, e->shift, sizeof(double) * d);
        memset(isd, 1, k);
    }
    for (size_t j = 0; j < k; j++)
        slot[j] = isd[j] ? nd++ : nf++;
    if (nd) {
        Wd = malloc(sizeof(double) * d1 * nd * d);
        A = malloc(sizeof(double) * b * d1);
        Y = malloc(sizeof(double) * b * nd * d);
    }
    if (nf) {
        Wf = malloc(sizeof(float) * d1 * nf * d);
        Af = malloc(sizeof(float) * b * d1);
        Yf = malloc(sizeof(float) * b * nf * d);
    }
    if ((nd && (!Wd || !A || !Y)) || (nf && (!Wf || !Af || !Yf))) {
        rc = CKR_ENOMEM;
        goto cleanup;
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
    /* the columns of each group, side by side */
    for (size_t a = 0; a < d1; a++)
        for (size_t j = 0; j < k; j++)
            for (size_t c = 0; c < d; c++) {
                double w = W[a * kd + j * d + c];
                if (isd[j])
                    Wd[a * nd * d + slot[j] * d + c] = w;
                else
                    Wf[a * nf * d + slot[j] * d + c] = (float)w;
            }
    ckr_flops_add((double)k * (double)d * (double)(d + 2));
    for (size_t i0 = 0; i0 < n; i0 += b) {
        size_t bb = n - i0 < b ? n - i0 : b;
        for (size_t t = 0; t < bb; t++) {
            const double *x = e->X + (i0 + t) * d;
            for (size_t a = 0; a < d; a++) {
                double v = x[a] - sh[a];
                if (nd)
                    A[t * d1 + a] = v;
                if (nf)
                    Af[t * d1 + a] = (float)v;
            }
            if (nd)
                A[t * d1 + d] = 1.0;
            if (nf)
                Af[t * d1 + d] = 1.0f;
        }
        if (nf)
            ckr_sgemm(0, 0, bb, nf * d, d1, 1.0f, Af, d1, Wf, nf * d, 0.0f, Yf, nf * d);
        if (nd)
            ckr_dgemm(0, 0, bb, nd * d, d1, 1.0, A, d1, Wd, nd * d, 0.0, Y, nd * d);
        for (size_t t = 0; t < bb; t++) {
            size_t i = i0 + t;
            double *val = r->val + i * k;
            uint32_t *comp = r->comp + i * k;
            for (size_t j = 0; j < k; j++) {
                double ss = isd[j] ? ckr_gmm_sum_squares(Y + (t * nd + slot[j]) * d, d)
                                   : sum_squares_float(Yf + (t * nf + slot[j]) * d, d);
                comp[j] = (uint32_t)j;
                val[j] = e->cst[j] - 0.5 * ss;
            }
            r->ptr[i + 1] = (i + 1) * k;
        }
    }
    r->nnz = n * k;
    e->mixed_double += nd;
    e->mixed_comps += k;
    ckr_flops_add((double)n * (double)d + 2.0 * (double)n * (double)kd + 2.0 * (double)n *
                  (double)k);
    rc = ckr_gmm_resp_transpose(r);
cleanup:
    free(W);
    free(Wd);
    free(A);
    free(Y);
    free(Wf);
    free(Af);
    free(Yf);
    free(tmu);
    free(sh);
    free(isd);
    free(slot);
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
