/* lda_fit.c -- the regularised Fisher LDA of SFDA, ETran and NCTI by passes
 * over row blocks (the algorithm and the contract are in methods/lda_fit.h). */
#include "methods/lda_fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/eigen.h"
#include "methods/team.h"
#include "util/flops.h"

int ckr_lda_work_alloc(ckr_lda_work *wk, size_t D, size_t C, size_t b, int stream, int mix)
{
    memset(wk, 0, sizeof *wk);
    wk->D = D;
    wk->C = C;
    wk->b = b = b ? b : 1;
    wk->sums = malloc((C + 1) * D * sizeof *wk->sums);
    wk->W = malloc(b * D * sizeof *wk->W);
    wk->buf = stream ? malloc(b * D * sizeof *wk->buf) : NULL;
    wk->mix = mix ? malloc(b * D * sizeof *wk->mix) : NULL;
    wk->Sw = malloc(D * D * sizeof *wk->Sw);
    wk->A = malloc(D * D * sizeof *wk->A);
    wk->w = malloc(D * sizeof *wk->w);
    wk->vec = malloc(3 * D * sizeof *wk->vec);
    wk->T1 = malloc(C * D * sizeof *wk->T1);
    wk->coef = malloc(C * D * sizeof *wk->coef);
    wk->ic = malloc(C * sizeof *wk->ic);
    wk->prob = malloc(b * C * sizeof *wk->prob);
    if (!wk->sums || !wk->W || (stream && !wk->buf) || (mix && !wk->mix) || !wk->Sw ||
        !wk->A || !wk->w || !wk->vec || !wk->T1 || !wk->coef || !wk->ic || !wk->prob) {
        ckr_lda_work_free(wk);
        return CKR_ENOMEM;
    }
    wk->means = wk->sums;
    wk->mu = wk->sums + C * D;
    return 0;
}

void ckr_lda_work_free(ckr_lda_work *wk)
{
    free(wk->sums);
    free(wk->W);
    free(wk->buf);
    free(wk->mix);
    free(wk->Sw);
    free(wk->A);
    free(wk->w);
    free(wk->vec);
    free(wk->T1);
    free(wk->coef);
    free(wk->ic);
    free(wk->prob);
    memset(wk, 0, sizeof *wk);
}

/* Rows [r0, r0 + nb) of the source (mixed when src->q is set) into *out. */
static int lda_rows(const ckr_lda_src *src, ckr_lda_work *wk, size_t r0, size_t nb,
                    const double **out, ckr_result *res)
{
    size_t D = src->D;
    const double *x = src->X ? src->X + r0 * D : wk->buf;
    if (!src->X) {
        ckr_err err = { 0, "" };
        int rc = src->rows->read(src->rows->ctx, r0, nb, wk->buf, &err);
        if (rc)
            return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    }
    if (src->q) {
        for (size_t i = 0; i < nb; i++) {
            double q = src->q[r0 + i];
            const double *xi = x + i * D, *m = src->outer + (size_t)src->cls[r0 + i] * D;
            double *o = wk->mix + i * D;
            for (size_t j = 0; j < D; j++)
                o[j] = q * xi[j] + (1.0 - q) * m[j];
        }
        ckr_flops_add(3.0 * (double)nb * (double)D);
        x = wk->mix;
    }
    *out = x;
    return 0;
}

/* The reference's power estimate of the largest eigenvalue of the symmetric
 * D x D matrix S (iterative_A); a zero vector on the way gives 0. */
static double lda_power(const double *S, size_t D, long iters, double *vec)
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

/* Passes 1 and 2: means, mu, S_w and S_t (in wk->A), summed over the team. */
static int lda_scatter(const ckr_lda_src *src, ckr_lda_work *wk, ckr_result *res)
{
    size_t n = src->n, D = src->D, C = src->C, N = src->N;
    int rc = 0;
    memset(wk->sums, 0, (C + 1) * D * sizeof *wk->sums);
    for (size_t r0 = 0; r0 < n; r0 += src->block) {
        size_t nb = n - r0 < src->block ? n - r0 : src->block;
        const double *X;
        if ((rc = lda_rows(src, wk, r0, nb, &X, res)))
            break;
        for (size_t i = 0; i < nb; i++) {
            double *m = wk->means + (size_t)src->cls[r0 + i] * D;
            const double *x = X + i * D;
            for (size_t j = 0; j < D; j++)
                m[j] += x[j];
        }
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < D; j++)
                wk->mu[j] += X[i * D + j];
    }
    if (src->team && ((rc = ckr_team_agree_result(src->team, rc, res)) ||
                      (rc = ckr_team_sum(src->team, wk->sums, (C + 1) * D, "class sums", res))))
        return rc;
    if (rc)
        return rc;
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < D; j++)
            wk->means[c * D + j] /= (double)src->count[c];
    for (size_t j = 0; j < D; j++)
        wk->mu[j] /= (double)N;
    memset(wk->Sw, 0, D * D * sizeof *wk->Sw);
    memset(wk->A, 0, D * D * sizeof *wk->A);
    for (size_t r0 = 0; r0 < n; r0 += src->block) {
        size_t nb = n - r0 < src->block ? n - r0 : src->block;
        const double *X;
        if ((rc = lda_rows(src, wk, r0, nb, &X, res)))
            break;
        for (size_t i = 0; i < nb; i++) {
            const double *m = wk->means + (size_t)src->cls[r0 + i] * D, *x = X + i * D;
            double *r = wk->W + i * D;
            for (size_t j = 0; j < D; j++)
                r[j] = x[j] - m[j];
        }
        ckr_dsyrk_ata(D, nb, 1.0 / (double)N, wk->W, D, 1.0, wk->Sw);
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < D; j++)
                wk->W[i * D + j] = X[i * D + j] - wk->mu[j];
        ckr_dsyrk_ata(D, nb, 1.0 / (double)N, wk->W, D, 1.0, wk->A);
        ckr_flops_add(6.0 * (double)nb * (double)D);
    }
    if (src->team && ((rc = ckr_team_agree_result(src->team, rc, res)) ||
                      (rc = ckr_team_sum(src->team, wk->Sw, D * D, "within-class scatter",
                                         res)) ||
                      (rc = ckr_team_sum(src->team, wk->A, D * D, "total scatter", res))))
        return rc;
    return rc;
}

/* The intercepts from the means and coef. */
static void lda_classifier(const ckr_lda_src *src, ckr_lda_work *wk)
{
    size_t D = src->D, C = src->C, N = src->N;
    for (size_t c = 0; c < C; c++) {
        double d = 0.0;
        for (size_t j = 0; j < D; j++)
            d += wk->means[c * D + j] * wk->coef[c * D + j];
        wk->ic[c] = -0.5 * d + log((double)src->count[c] / (double)N);
    }
    ckr_flops_add(2.0 * (double)C * (double)D);
}

/* The shrinkage, the eigenproblem and the classifier from the scatters. */
static int lda_solve(const ckr_lda_src *src, ckr_lda_work *wk, long power_iters, double *shrink,
                     double *lambda, ckr_result *res)
{
    size_t D = src->D, C = src->C;
    double trw = 0.0, trt = 0.0;
    for (size_t j = 0; j < D; j++) {
        trw += wk->Sw[j * D + j];
        trt += wk->A[j * D + j];
    }
    if (!(trw > 0.0) || !isfinite(trw) || !isfinite(trt))
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "the within-class scatter is %s (constant features, or one "
                               "sample per class)", isfinite(trw) ? "zero" : "not finite");
    double s = *shrink;
    *lambda = NAN;
    if (s < 0.0) {
        *lambda = lda_power(wk->Sw, D, power_iters, wk->vec);
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
    if (src->nearest_mean) {
        memcpy(wk->coef, wk->means, C * D * sizeof *wk->coef);
        lda_classifier(src, wk);
        return 0;
    }
    int info = 0, rc = ckr_dsygvd(D, wk->A, wk->Sw, wk->w, &info);
    if (rc == CKR_ENOMEM)
        return ckr_result_fail(res, rc, NULL, "out of memory for the %zu x %zu eigenproblem",
                               D, D);
    if (rc)
        return ckr_result_fail(res, CKR_ENUM, "numerical-error", "%s (dsygvd info %d, "
                               "shrinkage %.3g)", info > (int)D
                               ? "the shrunk within-class scatter is not positive definite"
                               : "the generalized eigen-solver did not converge", info, s);
    /* A (row-major) now holds one eigenvector per row: Z = V^T; coef = M V V^T */
    ckr_dgemm(0, 1, C, D, D, 1.0, wk->means, D, wk->A, D, 0.0, wk->T1, D);
    ckr_dgemm(0, 0, C, D, D, 1.0, wk->T1, D, wk->A, D, 0.0, wk->coef, D);
    lda_classifier(src, wk);
    return 0;
}

int ckr_lda_fit(const ckr_lda_src *src, ckr_lda_work *wk, long power_iters, double *shrink,
                double *lambda, ckr_result *res)
{
    int rc = lda_scatter(src, wk, res);
    if (rc)
        return rc;
    if (!src->team || src->team->size == 1)
        return lda_solve(src, wk, power_iters, shrink, lambda, res);
    /* on the leader; then coef, ic, shrink and lambda to every rank */
    const ckr_team *t = src->team;
    size_t C = src->C, D = src->D;
    if (t->rank == 0)
        rc = lda_solve(src, wk, power_iters, shrink, lambda, res);
    if ((rc = ckr_team_agree_result(t, rc, res)))
        return rc;
    double sl[2] = { *shrink, *lambda };
    if (MPI_Bcast(wk->coef, (int)(C * D), MPI_DOUBLE, 0, t->comm) != MPI_SUCCESS ||
        MPI_Bcast(wk->ic, (int)C, MPI_DOUBLE, 0, t->comm) != MPI_SUCCESS ||
        MPI_Bcast(sl, 2, MPI_DOUBLE, 0, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    *shrink = sl[0];
    *lambda = sl[1];
    return 0;
}

int ckr_lda_predict(const ckr_lda_src *src, ckr_lda_work *wk, double *q, double *ysum,
                    ckr_result *res)
{
    size_t n = src->n, D = src->D, C = src->C;
    double acc = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += src->block) {
        size_t nb = n - r0 < src->block ? n - r0 : src->block;
        const double *X;
        int rc = lda_rows(src, wk, r0, nb, &X, res);
        if (rc)
            return rc;
        ckr_dgemm(0, 1, nb, C, D, 1.0, X, D, wk->coef, D, 0.0, wk->prob, C);
        for (size_t i = 0; i < nb; i++) {
            double *r = wk->prob + i * C, mx = -INFINITY, sum = 0.0;
            for (size_t c = 0; c < C; c++) {
                r[c] += wk->ic[c];
                mx = r[c] > mx ? r[c] : mx;
            }
            for (size_t c = 0; c < C; c++)
                sum += (r[c] = exp(r[c] - mx));
            for (size_t c = 0; c < C; c++)
                r[c] /= sum;
            size_t y = (size_t)src->cls[r0 + i];
            if (q) { /* the reference's second softmax */
                double s2 = 0.0;
                for (size_t c = 0; c < C; c++)
                    s2 += exp(r[c]);
                q[r0 + i] = exp(r[y]) / s2;
            }
            acc += r[y];
        }
        ckr_flops_add(25.0 * (double)nb * (double)C + (q ? 20.0 * (double)nb * (double)C : 0.0));
    }
    if (ysum)
        *ysum = acc;
    return 0;
}

void ckr_lda_prefix(ckr_result *res, const char *what)
{
    char m[sizeof res->message];
    memcpy(m, res->message, sizeof m);
    snprintf(res->message, sizeof res->message, "%s: %.240s", what, m);
}
