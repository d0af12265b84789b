/* sfda.c -- SFDA, Self-challenging Fisher Discriminant Analysis (Shao et al.,
 * ECCV 2022; the reference code is SFDA_Score in TencentARC/SFDA metrics.py).
 *
 * On the training features X (N x D) and the classes present (C >= 2):
 *  1. Regularised Fisher LDA ("fit"):
 *       class means m_c, priors pi_c = n_c / N;
 *       S_w = sum_c pi_c cov_c (population covariances) = (1/N) sum_i
 *             (x_i - m_{y_i})(x_i - m_{y_i})^T;  S_t = population covariance;
 *       shrinkage s (first fit only, unless `shrinkage` is given):
 *             lambda = the reference's power estimate of the top eigenvalue of
 *             S_w (x0 = row sums of S_w, `power_iters` = 3 rounds of
 *             y = S_w x / |S_w x|, x = S_w y / |S_w y|, lambda = x^T S_w y),
 *             s = min(1, max(exp(-5 lambda), 1e-10));
 *       B = (1 - s) S_w + s tr(S_w)/D I,  A = (1 - s) S_t + s tr(S_t)/D I - B;
 *       the generalized symmetric eigenproblem A v = w B v (LAPACK dsygvd,
 *             V^T B V = I), coef = M V V^T (C x D), intercept_c =
 *             -m_c . coef_c / 2 + log pi_c;
 *       p(c | x) = softmax_c(coef_c . x + intercept_c).
 *  2. Softened probabilities q_i = softmax(p(. | x_i)) (the reference's
 *     second softmax), then ConfMix: x_i <- q_{i,y_i} x_i + (1 - q_{i,y_i})
 *     mbar_{y_i}, mbar_c = the mean of the other classes' means.
 *  3. The LDA refit on the mixed rows with the same s; score = mean over i of
 *     p(y_i | x_i) under the refit (in (0, 1]; the reference drops the log).
 * Classes are those present, relabelled in increasing label order (the
 * reference indexes its probability columns by label value, which equals
 * this when the labels are 0..C-1; otherwise it picks wrong columns).
 * Guards: a zero within-class scatter (constant features, one sample per
 * class) is "bad-data" (the reference divides 0 by 0); a power-iteration
 * vector of norm 0 gives lambda = 0. Multilabel: "unsupported-multilabel"
 * (the reference is multiclass only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/featstats.h"
#include "linalg/lapack.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "methods/sfda.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_sfda_cfg);

static const ckr_param_def sfda_params[] = {
    CKR_DOUBLE_PARAM(ckr_sfda_cfg, shrinkage, "-1",
                     "LDA shrinkage in [0, 1]; -1 = adaptive max(exp(-5 lambda_max(S_w)), 1e-10)"),
    CKR_INT_PARAM(ckr_sfda_cfg, power_iters, "3",
                  "power-iteration rounds for lambda_max(S_w) (the reference's 3)"),
    CKR_PARAMS_END,
};

static int sfda_check(const void *config, ckr_param_fault *fault)
{
    const ckr_sfda_cfg *c = config;
    if (!(c->shrinkage <= 1.0))
        return ckr_param_refuse(fault, offsetof(ckr_sfda_cfg, shrinkage),
                                "must be in [0, 1], or < 0 for adaptive");
    if (c->power_iters < 1 || c->power_iters > 1000)
        return ckr_param_refuse(fault, offsetof(ckr_sfda_cfg, power_iters),
                                "must be in [1, 1000]");
    return 0;
}

/* two fits: two Grams, the eigenproblem (~7 D^3), the products */
static double sfda_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    return 2.0 * (2.0 * n * d * d + 7.0 * d * d * d + 4.0 * c * d * d + 4.0 * n * d * c);
}

/* 8 (2 N D + 4 D^2 + 10 D + N C + 4 C D) + 4 (N + 5 D) + 4 MiB */
static double sfda_memory(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    if (block > 0)
        return -1.0;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    return 8.0 * (2.0 * n * d + 4.0 * d * d + 10.0 * d + n * c + 4.0 * c * d) +
           4.0 * (n + 5.0 * d) + 4194304.0;
}

/* Working memory of one fit (sizes N, D, C fixed for both fits). */
typedef struct sfda_work {
    size_t N, D, C;
    const int *cls;        /* N: class index of each row */
    const size_t *count;   /* C */
    double *W;             /* N x D: centred rows */
    double *Sw, *A;        /* D x D */
    double *w, *vec;       /* D eigenvalues; 3 D power-iteration vectors */
    double *work;          /* dsygvd */
    int *iwork;
    int lwork, liwork;
    double *means, *T1, *coef; /* C x D */
} sfda_work;

/* The reference's power estimate of the largest eigenvalue of the symmetric
 * D x D matrix S (iterative_A); a zero vector on the way gives 0. */
static double sfda_power(const double *S, size_t D, long iters, double *vec)
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
static int sfda_fit_predict(sfda_work *wk, const double *X, long power_iters, double *shrink,
                            double *lambda, double *prob, char *msg, size_t msglen)
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
        *lambda = sfda_power(wk->Sw, D, power_iters, wk->vec);
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
    double *ic = malloc(C * sizeof *ic);
    if (!ic) {
        snprintf(msg, msglen, "out of memory");
        return CKR_ENOMEM;
    }
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
    free(ic);
    return 0;
}

static int sfda_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "SFDA is a discriminant analysis of single-label classes");
    const ckr_sfda_cfg *cfg = ckr_params_config(p);
    const double *X = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    if (D > 30000)
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "D=%zu is too large for the D x D eigenproblem", D);
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t;
    sfda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *X2 = NULL, *prob = NULL, *outer = NULL;
    char msg[200] = "";
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    wk.N = N;
    wk.D = D;
    wk.C = C;
    wk.count = tg.count;
    wk.lwork = 1 + 6 * (int)D + 2 * (int)D * (int)D;
    wk.liwork = 3 + 5 * (int)D;
    cls = malloc(N * sizeof *cls);
    X2 = malloc(N * D * sizeof *X2);
    wk.W = malloc(N * D * sizeof *wk.W);
    wk.Sw = malloc(D * D * sizeof *wk.Sw);
    wk.A = malloc(D * D * sizeof *wk.A);
    wk.w = malloc(D * sizeof *wk.w);
    wk.vec = malloc(3 * D * sizeof *wk.vec);
    wk.work = malloc((size_t)wk.lwork * sizeof *wk.work);
    wk.iwork = malloc((size_t)wk.liwork * sizeof *wk.iwork);
    wk.means = malloc(C * D * sizeof *wk.means);
    wk.T1 = malloc(C * D * sizeof *wk.T1);
    wk.coef = malloc(C * D * sizeof *wk.coef);
    outer = malloc(C * D * sizeof *outer);
    prob = malloc(N * C * sizeof *prob);
    if (!cls || !X2 || !wk.W || !wk.Sw || !wk.A || !wk.w || !wk.vec || !wk.work || !wk.iwork ||
        !wk.means || !wk.T1 || !wk.coef || !outer || !prob) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
        goto cleanup;
    }
    for (size_t i = 0; i < N; i++)
        cls[i] = tg.map[tg.y[i]];
    wk.cls = cls;
    double shrink = cfg->shrinkage, lambda = NAN, lambda2;
    if ((rc = sfda_fit_predict(&wk, X, cfg->power_iters, &shrink, &lambda, prob, msg,
                               sizeof msg))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : rc == CKR_EDATA ? "bad-data"
                                                                                : "numerical-error",
                             "first fit: %s", msg);
        goto cleanup;
    }
    /* outer-class means from the first fit's class means */
    for (size_t j = 0; j < D; j++) {
        double tot = 0.0;
        for (size_t c = 0; c < C; c++)
            tot += wk.means[c * D + j];
        for (size_t c = 0; c < C; c++)
            outer[c * D + j] = (tot - wk.means[c * D + j]) / (double)(C - 1);
    }
    /* soften, then ConfMix */
    for (size_t i = 0; i < N; i++) {
        const double *r = prob + i * C;
        double sum = 0.0;
        for (size_t c = 0; c < C; c++)
            sum += exp(r[c]);
        double q = exp(r[cls[i]]) / sum;
        const double *x = X + i * D, *m = outer + (size_t)cls[i] * D;
        double *o = X2 + i * D;
        for (size_t j = 0; j < D; j++)
            o[j] = q * x[j] + (1.0 - q) * m[j];
    }
    ckr_flops_add(3.0 * (double)N * (double)D + 20.0 * (double)N * (double)C);
    if ((rc = sfda_fit_predict(&wk, X2, cfg->power_iters, &shrink, &lambda2, prob, msg,
                               sizeof msg))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : rc == CKR_EDATA ? "bad-data"
                                                                                : "numerical-error",
                             "refit: %s", msg);
        goto cleanup;
    }
    double sum = 0.0;
    for (size_t i = 0; i < N; i++)
        sum += prob[i * C + (size_t)cls[i]];
    snprintf(res->info, sizeof res->info, "shrinkage=%.4g%s lambda=%.4g classes=%zu", shrink,
             cfg->shrinkage < 0.0 ? "(adaptive)" : "", lambda, C);
    rc = ckr_result_ok(res, sum / (double)N);
cleanup:
    free(cls);
    free(X2);
    free(wk.W);
    free(wk.Sw);
    free(wk.A);
    free(wk.w);
    free(wk.vec);
    free(wk.work);
    free(wk.iwork);
    free(wk.means);
    free(wk.T1);
    free(wk.coef);
    free(outer);
    free(prob);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_sfda = {
    .name = "sfda",
    .summary = "SFDA: self-challenging Fisher discriminant (Shao et al. 2022): shrunk LDA "
               "(shrinkage from lambda_max(S_w), dsygvd), ConfMix, refit; mean p(y|x); "
               "multiclass only",
    .params = sfda_params,
    .check = sfda_check,
    .cost = sfda_cost,
    .score = sfda_score,
    .score_team = NULL,
    .memory = sfda_memory,
    .score_stream = NULL,
};
