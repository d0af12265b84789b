/* fisher.c -- the regularised Fisher LDA of SFDA's first stage (fisher.h). */
#include "methods/fisher.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

int ckr_fisher_alloc(ckr_fisher *f, size_t N, size_t D, size_t C, const int *cls,
                     const size_t *count)
{
    memset(f, 0, sizeof *f);
    f->N = N;
    f->D = D;
    f->C = C;
    f->cls = cls;
    f->count = count;
    f->lwork = 1 + 6 * (int)D + 2 * (int)D * (int)D;
    f->liwork = 3 + 5 * (int)D;
    f->W = malloc(N * D * sizeof *f->W);
    f->Sw = malloc(D * D * sizeof *f->Sw);
    f->A = malloc(D * D * sizeof *f->A);
    f->w = malloc(D * sizeof *f->w);
    f->vec = malloc(3 * D * sizeof *f->vec);
    f->work = malloc((size_t)f->lwork * sizeof *f->work);
    f->iwork = malloc((size_t)f->liwork * sizeof *f->iwork);
    f->means = malloc(C * D * sizeof *f->means);
    f->T1 = malloc(C * D * sizeof *f->T1);
    f->coef = malloc(C * D * sizeof *f->coef);
    f->ic = malloc(C * sizeof *f->ic);
    if (!f->W || !f->Sw || !f->A || !f->w || !f->vec || !f->work || !f->iwork || !f->means ||
        !f->T1 || !f->coef || !f->ic) {
        ckr_fisher_free(f);
        return CKR_ENOMEM;
    }
    return 0;
}

void ckr_fisher_free(ckr_fisher *f)
{
    free(f->W);
    free(f->Sw);
    free(f->A);
    free(f->w);
    free(f->vec);
    free(f->work);
    free(f->iwork);
    free(f->means);
    free(f->T1);
    free(f->coef);
    free(f->ic);
    memset(f, 0, sizeof *f);
}

/* The reference's power estimate of the largest eigenvalue of the symmetric
 * D x D matrix S (iterative_A); a zero vector on the way gives 0. */
double ckr_fisher_power(const double *S, size_t D, long iters, double *vec)
{
    double *x = vec, *y = vec + D, *t = vec + 2 * D;
    for (size_t i = 0; i < D; i++) {
        double r = 0.0;
        for (size_t j = 0; j < D; j++)
            r += S[i * D + j];
        x[i] = r;
    }
    for (long it = 0; it < iters; it++) {
        for (int half = 0; half < 2; half++) {
            const double *in = half ? y : x;
            double *out = half ? x : y;
            ckr_dgemm(0, 0, D, 1, D, 1.0, S, D, in, 1, 0.0, t, 1);
            double nn = 0.0;
            for (size_t i = 0; i < D; i++)
                nn += t[i] * t[i];
            nn = sqrt(nn);
            if (!(nn > 0.0) || !isfinite(nn))
                return 0.0;
            for (size_t i = 0; i < D; i++)
                out[i] = t[i] / nn;
        }
    }
    ckr_dgemm(0, 0, D, 1, D, 1.0, S, D, y, 1, 0.0, t, 1);
    double lam = 0.0;
    for (size_t i = 0; i < D; i++)
        lam += x[i] * t[i];
    return lam;
}

/* Fit the regularised LDA on X and write p(c | x_i) into prob (N x C).
 * *shrink < 0: choose it adaptively (and return it there); *lambda gets the
 * power estimate (NaN when not computed). Returns 0 or a CKR_E* code with a
 * message in msg. */
int ckr_fisher_fit_predict(ckr_fisher *wk, const double *X, long power_iters, int nearest_mean,
                           double *shrink, double *lambda, double *prob, char *msg,
                           size_t msglen)
{
    size_t N = wk->N, D = wk->D, C = wk->C;
    double *means = wk->means;
    memset(means, 0, C * D * sizeof *means);
    for (size_t i = 0; i < N; i++) {
        double *m = means + (size_t)wk->cls[i] * D;
        const double *x = X + i * D;
        for (size_t j = 0; j < D; j++)
            m[j] += x[j];
    }
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < D; j++)
            means[c * D + j] /= (double)wk->count[c];
    /* within-class scatter */
    for (size_t i = 0; i < N; i++) {
        const double *m = means + (size_t)wk->cls[i] * D, *x = X + i * D;
        double *r = wk->W + i * D;
        for (size_t j = 0; j < D; j++)
            r[j] = x[j] - m[j];
    }
    ckr_dsyrk_ata(D, N, 1.0 / (double)N, wk->W, D, 0.0, wk->Sw);
    /* total scatter */
    double *mu = wk->vec;
    memset(mu, 0, D * sizeof *mu);
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < D; j++)
            mu[j] += X[i * D + j];
    for (size_t j = 0; j < D; j++)
        mu[j] /= (double)N;
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < D; j++)
            wk->W[i * D + j] = X[i * D + j] - mu[j];
    ckr_dsyrk_ata(D, N, 1.0 / (double)N, wk->W, D, 0.0, wk->A);
    ckr_flops_add(6.0 * (double)N * (double)D);
    double trw = 0.0, trt = 0.0;
    for (size_t j = 0; j < D; j++) {
        trw += wk->Sw[j * D + j];
        trt += wk->A[j * D + j];
    }
    if (!(trw > 0.0) || !isfinite(trw) || !isfinite(trt)) {
        snprintf(msg, msglen, "the within-class scatter is %s (constant features, or one "
                 "sample per class)", isfinite(trw) ? "zero" : "not finite");
        return CKR_EDATA;
    }
    double s = *shrink;
    *lambda = NAN;
    if (s < 0.0) {
        *lambda = ckr_fisher_power(wk->Sw, D, power_iters, wk->vec);
        s = exp(-5.0 * *lambda);
        s = s > 1e-10 ? s : 1e-10;
        s = s < 1.0 ? s : 1.0;
        *shrink = s;
    }
    double muw = trw / (double)D, mut = trt / (double)D;
    for (size_t i = 0; i < D * D; i++) {
        wk->Sw[i] *= 1.0 - s;
        wk->A[i] = (1.0 - s) * wk->A[i] - wk->Sw[i];
    }
    for (size_t j = 0; j < D; j++) {
        wk->Sw[j * D + j] += s * muw;
        wk->A[j * D + j] += s * mut - s * muw;
    }
    if (nearest_mean) {
        memcpy(wk->coef, means, C * D * sizeof *means);
    } else {
        /* A v = w B v; row-major symmetric = column-major, so uplo is either */
        int n = (int)D, itype = 1, info = 0;
        dsygvd_(&itype, "V", "U", &n, wk->A, &n, wk->Sw, &n, wk->w, wk->work, &wk->lwork,
                wk->iwork, &wk->liwork, &info);
        ckr_flops_add(7.0 * (double)D * (double)D * (double)D);
        if (info != 0) {
            snprintf(msg, msglen, "%s (dsygvd info %d, shrinkage %.3g)",
                     info > n ? "the shrunk within-class scatter is not positive definite"
                              : "the generalized eigen-solver did not converge", info, s);
            return CKR_ENUM;
        }
        /* A (row-major) now holds one eigenvector per row: Z = V^T; coef = M V V^T */
        ckr_dgemm(0, 1, C, D, D, 1.0, means, D, wk->A, D, 0.0, wk->T1, D);
        ckr_dgemm(0, 0, C, D, D, 1.0, wk->T1, D, wk->A, D, 0.0, wk->coef, D);
    }
    double *ic = wk->ic;
    for (size_t c = 0; c < C; c++) {
        double d = 0.0;
        for (size_t j = 0; j < D; j++)
            d += means[c * D + j] * wk->coef[c * D + j];
        ic[c] = -0.5 * d + log((double)wk->count[c] / (double)N);
    }
    ckr_dgemm(0, 1, N, C, D, 1.0, X, D, wk->coef, D, 0.0, prob, C);
    for (size_t i = 0; i < N; i++) {
        double *r = prob + i * C, mx = -INFINITY, sum = 0.0;
        for (size_t c = 0; c < C; c++) {
            r[c] += ic[c];
            mx = r[c] > mx ? r[c] : mx;
        }
        for (size_t c = 0; c < C; c++)
            sum += (r[c] = exp(r[c] - mx));
        for (size_t c = 0; c < C; c++)
            r[c] /= sum;
    }
    ckr_flops_add(2.0 * (double)C * (double)D + 25.0 * (double)N * (double)C);
    return 0;
}

