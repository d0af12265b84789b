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

#include "linalg/gmm.h"
#include "linalg/pca.h"
#include "methods/leep_core.h"
#include "methods/method.h"

static const ckr_param_def nleep_params[] = {
    { "pca", CKR_PARAM_DOUBLE, "0.8", NULL,
      "PCA before the mixture: 0<pca<1 keeps the fewest components whose cumulative explained "
      "variance ratio is > pca; pca>=1 keeps that many; 0 = no PCA" },
    { "ratio", CKR_PARAM_INT, "5", NULL,
      "Gaussian components per target class: K = ratio * classes (capped at the sample count)" },
    { "cov", CKR_PARAM_CHOICE, "full", "full|diag", "covariance type of the mixture" },
    { "reg", CKR_PARAM_DOUBLE, "1e-6", NULL, "added to every covariance diagonal (reg_covar)" },
    { "iters", CKR_PARAM_INT, "100", NULL, "maximum EM iterations" },
    { "tol", CKR_PARAM_DOUBLE, "1e-3", NULL,
      "EM stops when the mean log-likelihood changes by less than tol" },
    { "kmeans_iters", CKR_PARAM_INT, "300", NULL,
      "maximum Lloyd iterations of the k-means initialisation" },
    { NULL, 0, NULL, NULL, NULL }
};

typedef struct nleep_cfg {
    double pca, reg, tol;
    long ratio, iters, kmeans_iters;
    ckr_cov_type cov;
} nleep_cfg;

static int read_cfg(const ckr_params *p, nleep_cfg *c, ckr_err *err)
{
    c->pca = ckr_param_double(p, "pca");
    c->ratio = ckr_param_int(p, "ratio");
    c->cov = strcmp(ckr_param_str(p, "cov"), "diag") == 0 ? CKR_COV_DIAG : CKR_COV_FULL;
    c->reg = ckr_param_double(p, "reg");
    c->iters = ckr_param_int(p, "iters");
    c->tol = ckr_param_double(p, "tol");
    c->kmeans_iters = ckr_param_int(p, "kmeans_iters");
    if (!(c->pca >= 0.0) || !isfinite(c->pca))
        return ckr_err_set(err, CKR_EARG, "nleep: pca must be >= 0 (got %g)", c->pca);
    if (c->ratio < 1 || c->ratio > 1000000)
        return ckr_err_set(err, CKR_EARG, "nleep: ratio must be >= 1 (got %ld)", c->ratio);
    if (!(c->reg >= 0.0) || !isfinite(c->reg))
        return ckr_err_set(err, CKR_EARG, "nleep: reg must be >= 0 (got %g)", c->reg);
    if (c->iters < 1 || c->iters > 1000000)
        return ckr_err_set(err, CKR_EARG, "nleep: iters must be >= 1 (got %ld)", c->iters);
    if (!(c->tol >= 0.0))
        return ckr_err_set(err, CKR_EARG, "nleep: tol must be >= 0 (got %g)", c->tol);
    if (c->kmeans_iters < 1 || c->kmeans_iters > 1000000)
        return ckr_err_set(err, CKR_EARG, "nleep: kmeans_iters must be >= 1 (got %ld)",
                           c->kmeans_iters);
    return 0;
}

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
    double pca = ckr_param_double(p, "pca");
    long ratio = ckr_param_int(p, "ratio");
    int full = strcmp(ckr_param_str(p, "cov"), "diag") != 0;
    int capped;
    double K = (double)mixture_size(ratio > 0 ? ratio : 1, s->num_classes, s->n, &capped);
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
    nleep_cfg c;
    int rc = read_cfg(p, &c, &err);
    if (rc != 0)
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    size_t n = F->rows, D = F->cols;
    int capped;
    size_t K = mixture_size(c.ratio, pair->num_classes, n, &capped);

    ckr_pca_result pr = { 0 };
    const double *P = F->data;
    size_t d = D;
    ckr_gmm g = { 0 };
    double *theta = NULL;
    if (c.pca > 0.0) {
        rc = ckr_pca_fit_transform(F->data, n, D, c.pca, &pr, &err);
        if (rc != 0)
            goto cleanup;
        P = pr.scores;
        d = pr.d;
    } else if (all_constant(F->data, n, D)) {
        rc = ckr_err_set(&err, CKR_ENUM, "nleep: features have zero variance (%zu x %zu)", n, D);
        goto cleanup;
    }
    rc = ckr_gmm_init(&g, K, d, c.cov, c.reg, &err);
    if (rc != 0)
        goto cleanup;
    theta = malloc(sizeof(double) * n * K);
    if (!theta) {
        rc = ckr_err_set(&err, CKR_ENOMEM, "nleep: out of memory for %zu x %zu posteriors", n, K);
        goto cleanup;
    }
    ckr_gmm_opts o = ckr_gmm_default_opts();
    o.max_iter = (int)c.iters;
    o.tol = c.tol;
    o.kmeans_iter = (int)c.kmeans_iters;
    ckr_gmm_stats st;
    rc = ckr_gmm_fit(&g, P, n, &o, rng, theta, &st, &err);
    snprintf(res->info, sizeof res->info, "d=%zu K=%zu%s cov=%s iters=%d converged=%d "
             "reg_retries=%d kmeans_iters=%d cand=%.2f",
             d, K, capped ? " (K capped)" : "", c.cov == CKR_COV_FULL ? "full" : "diag",
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
    .cost = nleep_cost,
    .score = nleep_score,
};
