/* gmm.c -- the Gaussian-mixture model (storage, precision factors) and the
 * public entry points: E-step, M-step, the EM fit driver (contracts in
 * linalg/gmm.h). The work is done in gmm_resp.c (sparse responsibilities),
 * gmm_engine.c and gmm_estep.c (the E-step) and gmm_mstep.c (the M-step). */
#include "linalg/gmm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/factor.h"
#include "linalg/gmm_internal.h"
#include "linalg/kmeans.h"
#include "util/flops.h"
#include "util/stop.h"

ckr_gmm_opts ckr_gmm_default_opts(void)
{
    ckr_gmm_opts o = { 100, 1e-3, 300, 1e-4, 0 };
    return o;
}

/* ======================================================================
 * Model storage and precision factors
 * ====================================================================== */

static size_t cov_len(const ckr_gmm *g) { return g->cov == CKR_COV_FULL ? g->d * g->d : g->d; }

void ckr_gmm_free(ckr_gmm *g)
{
    free(g->weights);
    free(g->means);
    free(g->covs);
    free(g->linv);
    free(g->chol);
    free(g->log_det);
    memset(g, 0, sizeof *g);
}

int ckr_gmm_init(ckr_gmm *g, size_t k, size_t d, ckr_cov_type cov, double reg, ckr_err *err)
{
    memset(g, 0, sizeof *g);
    if (k == 0 || d == 0)
        return ckr_err_set(err, CKR_EARG, "GMM: need k >= 1 and d >= 1 (k=%zu, d=%zu)", k, d);
    g->k = k;
    g->d = d;
    g->cov = cov;
    g->reg = reg;
    size_t cl = cov_len(g);
    g->weights = calloc(k, sizeof(double));
    g->means = calloc(k * d, sizeof(double));
    g->covs = calloc(k * cl, sizeof(double));
    g->linv = calloc(k * cl, sizeof(double));
    g->chol = calloc(k * cl, sizeof(double));
    g->log_det = calloc(k, sizeof(double));
    if (!g->weights || !g->means || !g->covs || !g->linv || !g->chol || !g->log_det) {
        ckr_gmm_free(g);
        return ckr_err_set(err, CKR_ENOMEM, "GMM: out of memory for %zu components of %zu dims",
                           k, d);
    }
    return 0;
}

/* Precision factor of component j from g->covs[j]: L^-1 and log det term.
 * Returns 0 or CKR_ENUM when the covariance is not positive definite. */
int ckr_gmm_component_precision(ckr_gmm *g, size_t j)
{
    size_t d = g->d;
    if (g->cov == CKR_COV_DIAG) {
        const double *c = g->covs + j * d;
        double *p = g->linv + j * d, *sq = g->chol + j * d, ld = 0.0;
        for (size_t t = 0; t < d; t++) {
            if (!(c[t] > 0.0) || !isfinite(c[t]))
                return CKR_ENUM;
            sq[t] = sqrt(c[t]);
            p[t] = 1.0 / sq[t];
            ld += log(p[t]);
        }
        ckr_flops_add(3.0 * (double)d);
        g->log_det[j] = ld;
        return 0;
    }
    double *L = g->linv + j * d * d;
    memcpy(L, g->covs + j * d * d, sizeof(double) * d * d);
    if (ckr_dpotrf_lower(d, L) != 0)
        return CKR_ENUM;
    double ld = 0.0;
    for (size_t t = 0; t < d; t++) {
        double v = L[t * d + t];
        if (!(v > 0.0) || !isfinite(v))
            return CKR_ENUM;
        ld -= log(v);
    }
    memcpy(g->chol + j * d * d, L, sizeof(double) * d * d);
    if (ckr_dtrtri_lower(d, L) != 0 || !isfinite(ld))
        return CKR_ENUM;
    g->log_det[j] = ld;
    return 0;
}

int ckr_gmm_set_params(ckr_gmm *g, const double *weights, const double *means,
                       const double *covs, ckr_err *err)
{
    size_t cl = cov_len(g);
    memcpy(g->weights, weights, sizeof(double) * g->k);
    memcpy(g->means, means, sizeof(double) * g->k * g->d);
    memcpy(g->covs, covs, sizeof(double) * g->k * cl);
    for (size_t j = 0; j < g->k; j++) {
        if (!(weights[j] > 0.0))
            return ckr_err_set(err, CKR_EARG, "GMM: weight of component %zu is not > 0", j);
        if (ckr_gmm_component_precision(g, j) != 0)
            return ckr_err_set(err, CKR_ENUM,
                               "GMM: covariance of component %zu is not positive definite", j);
    }
    return 0;
}

/* ======================================================================
 * Public entry points
 * ====================================================================== */

int ckr_gmm_e_step(const ckr_gmm *g, const double *X, size_t n, double *resp,
                   double *mean_loglik, ckr_err *err)
{
    ckr_gmm_engine e;
    ckr_gmm_resp r = { 0 };
    double lb = NAN;
    int rc = ckr_gmm_engine_init(&e, X, n, g->d, g->k, g->cov);
    if (rc == 0)
        rc = ckr_gmm_engine_e_step(&e, g, &r, &lb);
    if (rc == 0 && resp)
        ckr_gmm_resp_to_dense(&r, resp);
    if (mean_loglik)
        *mean_loglik = lb;
    ckr_gmm_resp_free(&r);
    ckr_gmm_engine_free(&e);
    if (rc != 0)
        return ckr_err_set(err, rc, "GMM E-step failed (%s)", ckr_err_word(rc));
    return 0;
}

int ckr_gmm_m_step(ckr_gmm *g, const double *X, size_t n, const double *resp, ckr_err *err)
{
    ckr_gmm_resp r;
    double *gbuf = malloc(sizeof(double) * n * g->d);
    int rc = gbuf ? ckr_gmm_resp_from_dense(&r, resp, n, g->k) : CKR_ENOMEM;
    if (rc == 0)
        rc = ckr_gmm_m_step_sparse(g, X, &r, 0, gbuf, err);
    else
        ckr_err_set(err, rc, "GMM M-step: out of memory");
    if (gbuf)
        ckr_gmm_resp_free(&r);
    free(gbuf);
    return rc;
}

int ckr_gmm_fit_from_labels(ckr_gmm *g, const double *X, size_t n, const int *labels,
                            const ckr_gmm_opts *o, double *post, ckr_gmm_stats *st,
                            ckr_err *err)
{
    ckr_gmm_stats local;
    if (!st)
        st = &local;
    int kmeans_iters = st == &local ? 0 : st->kmeans_iters;
    double sec_kmeans = st == &local ? 0.0 : st->sec_kmeans;
    memset(st, 0, sizeof *st);
    st->kmeans_iters = kmeans_iters;
    st->sec_kmeans = sec_kmeans;
    double t0 = ckr_now(), f0 = ckr_flops_get();
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= g->k)
            return ckr_err_set(err, CKR_EARG, "GMM: label %d of point %zu out of range",
                               labels[i], i);
    ckr_gmm_engine e;
    ckr_gmm_resp r = { 0 };
    int rc = ckr_gmm_engine_init(&e, X, n, g->d, g->k, g->cov);
    e.mixed = o->mixed;
    if (rc == 0)
        rc = ckr_gmm_resp_from_labels(&r, labels, n, g->k);
    if (rc != 0) {
        ckr_err_set(err, rc, "GMM: out of memory (n=%zu, k=%zu, d=%zu)", n, g->k, g->d);
        goto cleanup;
    }
    g->reg_retries = 0;
    rc = ckr_gmm_m_step_sparse(g, X, &r, 1, e.gbuf, err);
    double lb = -INFINITY;
    for (int it = 1; rc == 0 && it <= o->max_iter; it++) {
        if (ckr_stop_requested()) {
            rc = ckr_err_set(err, CKR_EINTR, "GMM: stopped at EM iteration %d", it);
            break;
        }
        double prev = lb;
        rc = ckr_gmm_engine_e_step(&e, g, &r, &lb);
        if (rc != 0) {
            ckr_err_set(err, rc, "GMM: non-finite log-likelihood at EM iteration %d", it);
            break;
        }
        rc = ckr_gmm_m_step_engine(g, &e, &r, 0, err);
        st->iters = it;
        st->lower_bound = lb;
        if (rc == 0 && fabs(lb - prev) < o->tol) {
            st->converged = 1;
            break;
        }
    }
    if (rc == 0) {
        double final_lb;
        rc = ckr_gmm_engine_e_step(&e, g, &r, &final_lb);
        if (rc != 0)
            ckr_err_set(err, rc, "GMM: non-finite log-likelihood in the final E-step");
        else if (post)
            ckr_gmm_resp_to_dense(&r, post);
    }
    st->cand_per_point = e.esteps ? e.cand_sum / e.esteps : 0.0;
    st->full_passes = e.full_passes;
    st->dense_passes = e.dense_passes;
    st->mixed_double = e.mixed_comps > 0 ? e.mixed_double / e.mixed_comps : 0.0;
    st->sec_approx = e.sec_approx;
cleanup:
    st->sec_em = ckr_now() - t0;
    st->flops_em = ckr_flops_get() - f0;
    ckr_gmm_resp_free(&r);
    ckr_gmm_engine_free(&e);
    return rc;
}

int ckr_gmm_fit(ckr_gmm *g, const double *X, size_t n, const ckr_gmm_opts *o, ckr_rng *rng,
                double *post, ckr_gmm_stats *st, ckr_err *err)
{
    ckr_gmm_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (g->k > n)
        return ckr_err_set(err, CKR_EARG, "GMM: %zu components but only %zu points", g->k, n);
    int *labels = malloc(sizeof(int) * n);
    double *centers = malloc(sizeof(double) * g->k * g->d);
    if (!labels || !centers) {
        free(labels);
        free(centers);
        return ckr_err_set(err, CKR_ENOMEM, "GMM: out of memory for the k-means init");
    }
    double t0 = ckr_now();
    ckr_kmeans_stats ks;
    int rc = ckr_kmeans_fit(X, n, g->d, g->k, o->kmeans_iter, o->kmeans_tol, rng, centers,
                            labels, &ks, err);
    st->sec_kmeans = ckr_now() - t0;
    st->kmeans_iters = ks.iters;
    if (rc == 0)
        rc = ckr_gmm_fit_from_labels(g, X, n, labels, o, post, st, err);
    free(labels);
    free(centers);
    return rc;
}
