/* nleep.c -- NLEEP (Li et al., CVPR 2021): LEEP with the source classifier
 * replaced by a Gaussian mixture fitted on the checkpoint's features.
 *
 * features --PCA(pca)--> scores (n x d) --GMM(K = ratio * C, k-means init,
 * EM)--> posteriors (n x K) --LEEP--> score.  Semantics follow scikit-learn
 * 1.2: PCA(n_components=pca, svd_solver='full') then
 * GaussianMixture(K, covariance_type=cov, tol, reg_covar=reg, max_iter=iters,
 * init_params='kmeans'); see linalg/pca.h and linalg/gmm.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/memory.h"
#include "linalg/gmm.h"
#include "linalg/pca.h"
#include "methods/leep_core.h"
#include "methods/method.h"
#include "methods/nleep.h"

CKR_CONFIG_FITS(ckr_nleep_cfg);

#define CFG ckr_nleep_cfg
static const ckr_param_def nleep_params[] = {
    CKR_DOUBLE_PARAM(CFG, pca, "0.8",
                     "PCA before the mixture: 0<pca<1 keeps the fewest components whose cumulative "
                     "explained variance ratio is > pca; pca>=1 keeps that many; 0 = no PCA"),
    CKR_INT_PARAM(CFG, ratio, "5",
                  "Gaussian components per target class: K = ratio * classes (capped at the "
                  "sample count)"),
    CKR_CHOICE_PARAM(CFG, cov, "full", "full|diag", "covariance type of the mixture"),
    CKR_DOUBLE_PARAM(CFG, reg, "1e-6", "added to every covariance diagonal (reg_covar)"),
    CKR_INT_PARAM(CFG, iters, "100", "maximum EM iterations"),
    CKR_DOUBLE_PARAM(CFG, tol, "1e-3",
                     "EM stops when the mean log-likelihood changes by less than tol"),
    CKR_INT_PARAM(CFG, kmeans_iters, "300",
                  "maximum Lloyd iterations of the k-means initialisation"),
    CKR_CHOICE_PARAM(CFG, precision, "double", "double|mixed",
                     "mixed: the dense E-step GEMM in float32, sums in double (cov=full)"),
    CKR_PARAMS_END,
};

static int nleep_check(const void *config, ckr_param_fault *fault)
{
    const CFG *c = config;
    if (!(c->pca >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, pca), "must be >= 0");
    if (c->ratio < 1 || c->ratio > 1000000)
        return ckr_param_refuse(fault, offsetof(CFG, ratio), "must be in [1, 1000000]");
    if (!(c->reg >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, reg), "must be >= 0");
    if (c->iters < 1 || c->iters > 1000000)
        return ckr_param_refuse(fault, offsetof(CFG, iters), "must be in [1, 1000000]");
    if (!(c->tol >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, tol), "must be >= 0");
    if (c->kmeans_iters < 1 || c->kmeans_iters > 1000000)
        return ckr_param_refuse(fault, offsetof(CFG, kmeans_iters), "must be in [1, 1000000]");
    return 0;
}
#undef CFG

/* Number of components: ratio * classes, capped at the sample count. */
static size_t mixture_size(long ratio, int num_classes, size_t n, int *capped)
{
    double k = (double)ratio * (double)(num_classes > 0 ? num_classes : 1);
    *capped = k > (double)n;
    return *capped ? n : (size_t)k;
}

/* Whether every feature is constant (up to the rounding of its mean). */
static int all_constant(const double *X, size_t n, size_t D)
{
    for (size_t j = 0; j < D; j++)
        for (size_t i = 1; i < n; i++)
            if (X[i * D + j] != X[j])
                return 0;
    return 1;
}

static double nleep_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    double N = (double)s->n, D = (double)s->d;
    const ckr_nleep_cfg *c = ckr_params_config(p);
    double pca = c->pca;
    int full = c->cov == CKR_NLEEP_COV_FULL;
    int capped;
    double K = (double)mixture_size(c->ratio, s->num_classes, s->n, &capped);
    double r = N < D ? N : D, d;
    if (pca >= 1.0)
        d = floor(pca) < r ? floor(pca) : r;
    else if (pca > 0.0)
        d = r < 48.0 ? r : 48.0; /* a typical 80%-variance dimension */
    else
        d = D;
    double flops = pca > 0.0 ? 2.0 * N * D * r + 4.0 * r * r * r + 2.0 * N * D * d : 0.0;
    double m = full ? d * (d + 1) / 2 + d + 1 : 2 * d + 1;
    flops += 20.0 * 2.0 * N * K * d;          /* k-means */
    /* EM: a few full approximation passes, exact work on a few pairs per point */
    flops += 4.0 * 2.0 * N * K * m + 12.0 * 20.0 * N * d * d;
    return flops;
}

static int nleep_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    const ckr_matrix *F = &pair->train_features;
    ckr_err err;
    ckr_err_clear(&err);
    if (!F->data || F->rows == 0 || F->cols == 0)
        return ckr_result_fail(res, CKR_ENEEDS, ckr_err_word(CKR_ENEEDS),
                               "nleep needs the train features");
    if (pair->train.n != F->rows)
        return ckr_result_fail(res, CKR_EDATA, ckr_err_word(CKR_EDATA),
                               "nleep: %zu feature rows but %zu labels", F->rows, pair->train.n);
    const ckr_nleep_cfg *c = ckr_params_config(p);
    ckr_cov_type cov = c->cov == CKR_NLEEP_COV_DIAG ? CKR_COV_DIAG : CKR_COV_FULL;
    size_t n = F->rows, D = F->cols;
    int capped, rc;
    size_t K = mixture_size(c->ratio, pair->num_classes, n, &capped);

    ckr_pca_result pr = { 0 };
    const double *P = F->data;
    size_t d = D;
    ckr_gmm g = { 0 };
    double *theta = NULL;
    if (c->pca > 0.0) {
        rc = ckr_pca_fit_transform(F->data, n, D, c->pca, &pr, &err);
        if (rc != 0)
            goto cleanup;
        P = pr.scores;
        d = pr.d;
    } else if (all_constant(F->data, n, D)) {
        rc = ckr_err_set(&err, CKR_ENUM, "nleep: features have zero variance (%zu x %zu)", n, D);
        goto cleanup;
    }
    rc = ckr_gmm_init(&g, K, d, cov, c->reg, &err);
    if (rc != 0)
        goto cleanup;
    theta = malloc(sizeof(double) * n * K);
    if (!theta) {
        rc = ckr_err_set(&err, CKR_ENOMEM, "nleep: out of memory for %zu x %zu posteriors", n, K);
        goto cleanup;
    }
    ckr_gmm_opts o = ckr_gmm_default_opts();
    o.max_iter = (int)c->iters;
    o.tol = c->tol;
    o.kmeans_iter = (int)c->kmeans_iters;
    o.mixed = c->precision == CKR_NLEEP_PREC_MIXED;
    ckr_gmm_stats st;
    rc = ckr_gmm_fit(&g, P, n, &o, rng, theta, &st, &err);
    snprintf(res->info, sizeof res->info, "d=%zu K=%zu%s cov=%s iters=%d converged=%d "
             "reg_retries=%d kmeans_iters=%d cand=%.2f",
             d, K, capped ? " (K capped)" : "", cov == CKR_COV_FULL ? "full" : "diag",
             st.iters, st.converged, g.reg_retries, st.kmeans_iters, st.cand_per_point);
    if (rc != 0)
        goto cleanup;
    double score;
    size_t clamped = 0;
    rc = ckr_leep_from_probs(theta, n, K, pair->kind, &pair->train, pair->num_classes, &score,
                             &clamped, &err);
    if (rc != 0)
        goto cleanup;
    if (clamped) {
        size_t len = strlen(res->info);
        snprintf(res->info + len, sizeof res->info - len, " eep_clamped=%zu", clamped);
    }
    rc = ckr_result_ok(res, score);
cleanup:
    free(theta);
    ckr_gmm_free(&g);
    ckr_pca_result_free(&pr);
    if (rc != 0 && err.code != 0)
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    return rc;
}

const ckr_method ckr_method_nleep = {
    .name = "nleep",
    .summary = "NLEEP: LEEP over the posteriors of a Gaussian mixture fitted on PCA-reduced "
               "features (K = ratio x classes; Li et al., CVPR 2021)",
    .params = nleep_params,
    .check = nleep_check,
    .cost = nleep_cost,
    .score = nleep_score,
    .score_team = ckr_nleep_score_team, /* nleep_team.c */
    .memory = ckr_memory_nleep,
    .score_stream = ckr_nleep_score_stream,
};
