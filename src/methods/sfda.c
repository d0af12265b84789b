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
 * Step 1 and the refit are methods/fisher.h (shared with ETran and NCTI).
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
#include "methods/fisher.h"
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
    ckr_fisher wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *X2 = NULL, *prob = NULL, *outer = NULL;
    char msg[200] = "";
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    cls = malloc(N * sizeof *cls);
    X2 = malloc(N * D * sizeof *X2);
    outer = malloc(C * D * sizeof *outer);
    prob = malloc(N * C * sizeof *prob);
    if (!cls || !X2 || !outer || !prob || ckr_fisher_alloc(&wk, N, D, C, cls, tg.count)) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
        goto cleanup;
    }
    for (size_t i = 0; i < N; i++)
        cls[i] = tg.map[tg.y[i]];
    double shrink = cfg->shrinkage, lambda = NAN, lambda2;
    if ((rc = ckr_fisher_fit_predict(&wk, X, cfg->power_iters, 0, &shrink, &lambda, prob, msg,
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
    if ((rc = ckr_fisher_fit_predict(&wk, X2, cfg->power_iters, 0, &shrink, &lambda2, prob, msg,
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
    ckr_fisher_free(&wk);
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
