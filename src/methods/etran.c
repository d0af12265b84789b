/* etran.c -- ETran, energy-based transferability estimation (Gholami et al.,
 * ICCV 2023; the reference code is mgholamikn/ETran: Energy_Score and
 * LDA_Score in metrics.py, their combination in tw.py).
 *
 * On the training features X (N x D) and the classes present (C >= 2,
 * relabelled in increasing label order; multiclass only), two terms (the
 * order of res->terms):
 *   energy = the mean of the k lowest per-sample energies
 *            e_i = logsumexp_j x_ij (Energy_Score(features, 0.5, 'bot'):
 *            k = floor(5 N / 1000), the lowest 0.5%);
 *   lda    = mean_i p(y_i | x_i) under the shrunk Fisher LDA of
 *            methods/lda_fit.h with the adaptive shrinkage (SFDA's first
 *            stage: power estimate of lambda_max(S_w), 3 rounds).
 * Across the task's checkpoints (report/crossnorm.h): score =
 * 0.15 min-max(energy) + 0.85 min-max(lda), as tw.py combines them.
 *
 * form=intended (default), the method as published:
 *   - k = max(1, floor(5 N / 1000)): at least one sample;
 *   - the LDA solves the generalized symmetric eigenproblem (dsygvd).
 * form=released, the released code's behaviour:
 *   - its LDA calls the symmetric eigensolver numpy.linalg.eigh on the
 *     non-symmetric inv(S_w) S_b; eigh returns an orthonormal V, so
 *     coef = M V V^T = M: a nearest-class-mean softmax (computed so here);
 *   - k = floor(5 N / 1000) is 0 for N < 200 and the mean of no sample is
 *     NaN: such a pair gets status bad-data saying so.
 * Guards: a zero within-class scatter (constant features, one sample per
 * class) is bad-data (the reference divides 0 by 0 or inverts a singular
 * matrix). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/featstats.h"
#include "methods/etran.h"
#include "methods/lda_fit.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_etran_cfg);

static const ckr_param_def etran_params[] = {
    CKR_CHOICE_PARAM(ckr_etran_cfg, form, "intended", "intended|released",
                     "intended: dsygvd LDA, >= 1 energy sample; released: the released "
                     "code (nearest-mean LDA, no energy sample when N < 200)"),
    CKR_PARAMS_END,
};

static const double etran_weights[2] = { 0.15, 0.85 };

/* one fit: two Grams, the eigenproblem, the products; energies and a sort */
static double etran_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    return 2.0 * n * d * d + 7.0 * d * d * d + 4.0 * c * d * d + 4.0 * n * d * c + 3.0 * n * d;
}

/* 8 (N D + 4 D^2 + 10 D + N C + 3 C D + N) + 4 (N + 5 D) + 4 MiB */
static double etran_memory(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    if (block > 0)
        return -1.0;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    return 8.0 * (n * d + 4.0 * d * d + 10.0 * d + n * c + 3.0 * c * d + n) +
           4.0 * (n + 5.0 * d) + 4194304.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The mean of the k lowest logsumexp of the rows of X into *out; e: N doubles */
static void etran_energy(const double *X, size_t N, size_t D, size_t k, double *e, double *out)
{
    for (size_t i = 0; i < N; i++) {
        const double *x = X + i * D;
        double mx = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < D; j++)
            mx = x[j] > mx ? x[j] : mx;
        for (size_t j = 0; j < D; j++)
            sum += exp(x[j] - mx);
        e[i] = mx + log(sum);
    }
    ckr_flops_add(22.0 * (double)N * (double)D);
    qsort(e, N, sizeof *e, cmp_double);
    double s = 0.0;
    for (size_t i = 0; i < k; i++)
        s += e[i];
    *out = s / (double)k;
}

static int etran_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "ETran's LDA term needs single-label classes");
    const ckr_etran_cfg *cfg = ckr_params_config(p);
    int released = cfg->form == CKR_ETRAN_RELEASED;
    const double *X = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    if (D > 30000)
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "D=%zu is too large for the D x D eigenproblem", D);
    size_t k = 5 * N / 1000;
    if (k == 0 && released)
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "N=%zu < 200: the released energy term averages the lowest "
                               "floor(N/200) = 0 energies (NaN); the default form uses at "
                               "least one", N);
    k = k > 0 ? k : 1;
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t;
    ckr_lda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *e = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    cls = malloc(N * sizeof *cls);
    e = malloc(N * sizeof *e);
    if (!cls || !e || ckr_lda_work_alloc(&wk, D, C, N, 0, 0)) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu D=%zu C=%zu)", N, D, C);
        goto cleanup;
    }
    for (size_t i = 0; i < N; i++)
        cls[i] = tg.map[tg.y[i]];
    /* the rows in one block: the single-rank arithmetic */
    ckr_lda_src src = { .n = N, .N = N, .D = D, .C = C, .block = N, .X = X, .cls = cls,
                        .count = tg.count, .nearest_mean = released };
    double shrink = -1.0, lambda = NAN, sum = 0.0, t[2];
    if ((rc = ckr_lda_fit(&src, &wk, 3, &shrink, &lambda, res)) ||
        (rc = ckr_lda_predict(&src, &wk, NULL, &sum, res))) {
        ckr_lda_prefix(res, "LDA");
        goto cleanup;
    }
    t[1] = sum / (double)N;
    etran_energy(X, N, D, k, e, &t[0]);
    snprintf(res->info, sizeof res->info,
             "form=%s energy=%.6g (lowest %zu of %zu) lda=%.6g shrinkage=%.4g classes=%zu",
             released ? "released" : "intended", t[0], k, N, t[1], shrink, C);
    rc = ckr_result_terms(res, t, etran_weights, 2);
cleanup:
    ckr_lda_work_free(&wk);
    free(cls);
    free(e);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_etran = {
    .name = "etran",
    .summary = "ETran: energy-based transferability (Gholami et al. 2023): energy = mean of the "
               "lowest 0.5% per-sample logsumexp of the features (>= 1 sample), lda = mean "
               "p(y|x) of SFDA's shrunk LDA (dsygvd); score = 0.15 min-max(energy) + 0.85 "
               "min-max(lda) across the task's checkpoints; form=released: the released code "
               "(nearest-mean LDA, bad-data when N < 200); multiclass only; one rank (no team "
               "or stream form)",
    .params = etran_params,
    .check = NULL,
    .cost = etran_cost,
    .score = etran_score,
    .score_team = NULL,
    .memory = etran_memory,
    .score_stream = NULL,
    .n_terms = 2,
    .term_weights = etran_weights,
};
