/* gmm_mstep.c -- the M-step of the Gaussian mixture from sparse
 * responsibilities (declarations in linalg/gmm_internal.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/gmm_internal.h"
#include "util/flops.h"

/* Mean and scatter of component j; returns n_k (with the 10 eps). */
static double component_stats(const ckr_gmm *g, const double *X, const ckr_gmm_resp *r,
                              size_t j, double *mean, double *scatter, double *gbuf)
{
    size_t d = g->d, p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0;
    double nk = 0.0;
    for (size_t c = 0; c < cnt; c++)
        nk += r->val[r->cpos[p0 + c]];
    nk += 10.0 * DBL_EPSILON;
    memset(mean, 0, sizeof(double) * d);
    for (size_t c = 0; c < cnt; c++) {
        double w = r->val[r->cpos[p0 + c]];
        if (w == 0.0)
            continue;
        const double *x = X + (size_t)r->crow[p0 + c] * d;
        for (size_t a = 0; a < d; a++)
            mean[a] += w * x[a];
    }
    for (size_t a = 0; a < d; a++)
        mean[a] /= nk;
    size_t sl = g->cov == CKR_COV_FULL ? d * d : d;
    memset(scatter, 0, sizeof(double) * sl);
    if (g->cov == CKR_COV_FULL) {
        size_t rows = 0; /* rows of sqrt(r) (x - mean), zero responsibilities skipped */
        for (size_t c = 0; c < cnt; c++) {
            double w = r->val[r->cpos[p0 + c]];
            if (!(w > 0.0))
                continue;
            double sw = sqrt(w);
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++)
                gbuf[rows * d + a] = sw * (x[a] - mean[a]);
            rows++;
        }
        ckr_dsyrk_ata(d, rows, 1.0, gbuf, d, 0.0, scatter);
    } else {
        for (size_t c = 0; c < cnt; c++) {
            double w = r->val[r->cpos[p0 + c]];
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++) {
                double t = x[a] - mean[a];
                scatter[a] += w * t * t;
            }
        }
        ckr_flops_add(4.0 * (double)cnt * (double)d);
    }
    ckr_flops_add(4.0 * (double)cnt * (double)d + (double)cnt + (double)d);
    return nk;
}

int ckr_gmm_component_covariance(ckr_gmm *g, size_t j, const double *scatter, double nk)
{
    size_t d = g->d;
    double reg = g->reg;
    for (int attempt = 0; attempt <= 3; attempt++, reg *= 10.0) {
        if (attempt > 0)
            g->reg_retries++;
        if (g->cov == CKR_COV_FULL) {
            double *c = g->covs + j * d * d;
            for (size_t t = 0; t < d * d; t++)
                c[t] = scatter[t] / nk;
            for (size_t a = 0; a < d; a++)
                c[a * d + a] += reg;
            ckr_flops_add((double)d * (double)d);
        } else {
            double *c = g->covs + j * d;
            for (size_t a = 0; a < d; a++)
                c[a] = scatter[a] / nk + reg;
            ckr_flops_add(2.0 * (double)d);
        }
        if (ckr_gmm_component_precision(g, j) == 0)
            return 0;
        if (!(reg > 0.0))
            reg = DBL_MIN; /* reg 0: the ladder starts from a tiny value */
    }
    return CKR_ENUM;
}

/* sklearn's _m_step (init: weights n_k / n instead of n_k / sum n_k); with
 * T (the dense moments of ckr_gmm_dense_moments) the components take their
 * statistics from T unless that loses too many digits. */
static int m_step(ckr_gmm *g, const double *X, const ckr_gmm_resp *r, int init, double *gbuf,
                  const ckr_gmm_engine *e, const double *T, ckr_err *err)
{
    size_t d = g->d, k = g->k;
    size_t sl = g->cov == CKR_COV_FULL ? d * d : d;
    double *scatter = malloc(sizeof(double) * sl);
    double *nks = malloc(sizeof(double) * k);
    if (!scatter || !nks) {
        free(scatter);
        free(nks);
        return ckr_err_set(err, CKR_ENOMEM, "GMM M-step: out of memory");
    }
    int rc = 0;
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (!T || !ckr_gmm_dense_component(e, T, j, g->means + j * d, scatter, &nks[j]))
            nks[j] = component_stats(g, X, r, j, g->means + j * d, scatter, gbuf);
        sum += nks[j];
        if (ckr_gmm_component_covariance(g, j, scatter, nks[j]) != 0) {
            rc = ckr_err_set(err, CKR_ENUM,
                             "GMM: covariance of component %zu (weight %.3g) is not positive "
                             "definite even with reg_covar x1000; decrease the number of "
                             "components or increase reg",
                             j, nks[j]);
            break;
        }
    }
    for (size_t j = 0; rc == 0 && j < k; j++)
        g->weights[j] = nks[j] / (init ? (double)r->n : sum);
    free(scatter);
    free(nks);
    return rc;
}

int ckr_gmm_m_step_sparse(ckr_gmm *g, const double *X, const ckr_gmm_resp *r, int init,
                          double *gbuf, ckr_err *err)
{
    return m_step(g, X, r, init, gbuf, NULL, NULL, err);
}

int ckr_gmm_m_step_engine(ckr_gmm *g, const ckr_gmm_engine *e, const ckr_gmm_resp *r, int init,
                          ckr_err *err)
{
    double *T = NULL;
    if (e->cov == CKR_COV_FULL && r->nnz == r->n * r->k && r->n * r->k > 0) {
        T = malloc(sizeof(double) * e->m * e->k);
        if (T && ckr_gmm_dense_moments(e, r, T) != 0) {
            free(T);
            T = NULL; /* the sparse statistics then */
        }
    }
    int rc = m_step(g, e->X, r, init, e->gbuf, e, T, err);
    free(T);
    return rc;
}
