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
 * (the reference is multiclass only).
 * Forms: `score` (the rows in memory), the team form (sums over the team in
 * rank order, the eigenproblem on rank 0) and the streamed form (six passes
 * over row blocks, the refit's rows mixed block by block from the first
 * fit's per-row weights), all through the passes of methods/lda_fit.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/featstats.h"
#include "methods/lda_fit.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "methods/sfda.h"
#include "methods/stream.h"
#include "methods/team.h"
#include "util/flops.h"

#define SFDA_MULTILABEL "SFDA is a discriminant analysis of single-label classes"
#define SFDA_MAX_D 30000
#define SFDA_TOO_WIDE "D=%zu is too large for the D x D eigenproblem"

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

/* Whole: 8 (2 N D + 4 D^2 + 11 D + N C + N + 4 C D + C) + 4 (N + 5 D) + 4 MiB
 * (the mixed rows and the centred copy, the two scatters and dsygvd's
 * 2 D^2 + 6 D workspace, the class sums, means, classifier and outer means,
 * the probabilities, ConfMix's weights, the class indices, LAPACK's ints,
 * OpenBLAS's buffers). Streamed with blocks of b rows: the N x D matrices
 * become three b x D blocks (read, mixed, centred) and N C becomes b C. */
static double sfda_memory(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    double b = (double)block < n ? (double)block : n;
    double rows = block > 0 ? 3.0 * b * d + b * c : 2.0 * n * d + n * c;
    return 8.0 * (rows + 4.0 * d * d + 11.0 * d + n + 4.0 * c * d + c) + 4.0 * (n + 5.0 * d) +
           4194304.0;
}

/* The labels' classes: tg over all the rows (whole pair, or a team's
 * targets with the pair's counts), cls the class index of each of the n
 * rows this rank holds. */
static int sfda_classes(const ckr_targets *tg, size_t n, int **cls, ckr_result *res)
{
    *cls = malloc((n ? n : 1) * sizeof **cls);
    if (!*cls)
        return ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < n; i++)
        (*cls)[i] = tg->map[tg->y[i]];
    return 0;
}

/* The outer-class means (C x D): for each class the mean of the others'. */
static void sfda_outer(const double *means, size_t C, size_t D, double *outer)
{
    for (size_t j = 0; j < D; j++) {
        double tot = 0.0;
        for (size_t c = 0; c < C; c++)
            tot += means[c * D + j];
        for (size_t c = 0; c < C; c++)
            outer[c * D + j] = (tot - means[c * D + j]) / (double)(C - 1);
    }
}

/* Both fits and the score on src (src->q and outer NULL on entry). X2 non
 * NULL (rows in memory, n x D): the mixed rows are formed there once;
 * NULL: they are mixed on the fly in every pass. */
static int sfda_run(ckr_lda_src *src, ckr_lda_work *wk, const ckr_sfda_cfg *cfg, double *q,
                    double *outer, double *X2, ckr_result *res)
{
    double shrink = cfg->shrinkage, lambda = NAN, lambda2, ysum = 0.0;
    int rc = ckr_lda_fit(src, wk, cfg->power_iters, &shrink, &lambda, res);
    if (!rc)
        rc = ckr_lda_predict(src, wk, q, NULL, res);
    if (rc) {
        ckr_lda_prefix(res, "first fit");
        return rc;
    }
    size_t n = src->n, D = src->D, C = src->C;
    sfda_outer(wk->means, C, D, outer);
    if (X2) {
        for (size_t i = 0; i < n; i++) {
            const double *x = src->X + i * D, *m = outer + (size_t)src->cls[i] * D;
            double *o = X2 + i * D;
            for (size_t j = 0; j < D; j++)
                o[j] = q[i] * x[j] + (1.0 - q[i]) * m[j];
        }
        ckr_flops_add(3.0 * (double)n * (double)D);
        src->X = X2;
    } else {
        src->q = q;
        src->outer = outer;
    }
    rc = ckr_lda_fit(src, wk, cfg->power_iters, &shrink, &lambda2, res);
    if (!rc)
        rc = ckr_lda_predict(src, wk, NULL, &ysum, res);
    if (rc) {
        ckr_lda_prefix(res, "refit");
        return rc;
    }
    if (src->team && (rc = ckr_team_sum(src->team, &ysum, 1, "probabilities", res)))
        return rc;
    snprintf(res->info, sizeof res->info, "shrinkage=%.4g%s lambda=%.4g classes=%zu", shrink,
             cfg->shrinkage < 0.0 ? "(adaptive)" : "", lambda, C);
    return ckr_result_ok(res, ysum / (double)src->N);
}

static int sfda_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel", SFDA_MULTILABEL);
    const ckr_sfda_cfg *cfg = ckr_params_config(p);
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    if (D > SFDA_MAX_D)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", SFDA_TOO_WIDE, D);
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t;
    ckr_lda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *X2 = NULL, *q = NULL, *outer = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    if ((rc = sfda_classes(&tg, N, &cls, res)))
        goto cleanup;
    X2 = malloc(N * D * sizeof *X2);
    q = malloc(N * sizeof *q);
    outer = malloc(C * D * sizeof *outer);
    if (!X2 || !q || !outer || ckr_lda_work_alloc(&wk, D, C, N, 0, 0)) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
        goto cleanup;
    }
    ckr_lda_src src = { .n = N, .N = N, .D = D, .C = C, .block = N,
                     .X = pair->train_features.data, .cls = cls, .count = tg.count };
    rc = sfda_run(&src, &wk, cfg, q, outer, X2, res);
cleanup:
    ckr_lda_work_free(&wk);
    free(cls);
    free(X2);
    free(q);
    free(outer);
    ckr_targets_free(&tg);
    return rc;
}

/* Rows per step of the team's passes (the centred copy is this x D). */
#define SFDA_TEAM_BLOCK 4096

/* The team form: the class and column sums and the two scatters summed over
 * the team in rank order, the eigenproblem on rank 0 (broadcast), the
 * predictions and ConfMix on each rank's rows (mixed on the fly), the
 * score's sum added over the team. A team of one is `score`. */
static int sfda_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                           ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return sfda_score(local, p, rng, res);
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (local->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel", SFDA_MULTILABEL);
    if (D > SFDA_MAX_D)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", SFDA_TOO_WIDE, D);
    const ckr_sfda_cfg *cfg = ckr_params_config(p);
    size_t nl = local->train_features.rows;
    ckr_targets tg;
    if ((rc = ckr_targets_init_team(team->comm, local->kind, &local->train, team->row0,
                                    local->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t, b = nl < SFDA_TEAM_BLOCK ? nl : SFDA_TEAM_BLOCK;
    ckr_lda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *q = NULL, *outer = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    q = malloc((nl ? nl : 1) * sizeof *q);
    outer = malloc(C * D * sizeof *outer);
    if (!(rc = sfda_classes(&tg, nl, &cls, res)) &&
        (!q || !outer || ckr_lda_work_alloc(&wk, D, C, b, 0, 1)))
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    ckr_lda_src src = { .n = nl, .N = N, .D = D, .C = C, .block = b ? b : 1,
                     .X = local->train_features.data, .cls = cls, .count = tg.count,
                     .team = team };
    if (!(rc = sfda_run(&src, &wk, cfg, q, outer, NULL, res)))
        ckr_team_info_suffix(team, res);
cleanup:
    ckr_lda_work_free(&wk);
    free(cls);
    free(q);
    free(outer);
    ckr_targets_free(&tg);
    return rc;
}

/* The streamed form: six passes over the rows (two per fit, one per
 * prediction), the mixed rows formed block by block from the first fit's
 * per-row weights (N doubles). */
static int sfda_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                             ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    if (meta->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel", SFDA_MULTILABEL);
    size_t N = rows->n, D = rows->d, b = rows->block < N ? rows->block : N;
    if (D > SFDA_MAX_D)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", SFDA_TOO_WIDE, D);
    const ckr_sfda_cfg *cfg = ckr_params_config(p);
    ckr_err err = { 0, "" };
    ckr_targets tg;
    if ((rc = ckr_targets_init(meta->kind, &meta->train, meta->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t;
    ckr_lda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *q = NULL, *outer = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    if ((rc = sfda_classes(&tg, N, &cls, res)))
        goto cleanup;
    q = malloc(N * sizeof *q);
    outer = malloc(C * D * sizeof *outer);
    if (!q || !outer || ckr_lda_work_alloc(&wk, D, C, b, 1, 1)) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
        goto cleanup;
    }
    ckr_lda_src src = { .n = N, .N = N, .D = D, .C = C, .block = b, .rows = rows, .cls = cls,
                     .count = tg.count };
    rc = sfda_run(&src, &wk, cfg, q, outer, NULL, res);
cleanup:
    ckr_lda_work_free(&wk);
    free(cls);
    free(q);
    free(outer);
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
    .score_team = sfda_score_team,
    .memory = sfda_memory,
    .score_stream = sfda_score_stream,
};
