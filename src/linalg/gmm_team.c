/* gmm_team.c -- the Gaussian-mixture EM on a team of ranks (contract in
 * linalg/gmm_team.h; the single-rank scheme is in linalg/gmm.h). */
#include "linalg/gmm_team.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "linalg/gmm_internal.h"
#include "util/flops.h"
#include "util/stop.h"

static size_t cov_len(const ckr_gmm *g) { return g->cov == CKR_COV_FULL ? g->d * g->d : g->d; }

/* Buffers of the team M-step. */
typedef struct mstep_ws {
    double *s1;    /* k + k d + 4: n_k, the weighted sums, then the E-step's
                      [log-likelihood sum, stop, out of memory, other failure] */
    double *s2;    /* k * cov_len: the scatters */
    double *gbuf;  /* n x d rows of one component (NULL when n is 0) */
    double *all;   /* P x (k * cov_len) gather scratch, or NULL */
    size_t cap;
} mstep_ws;

/* buf[0..n) summed over the team in rank order on every rank: the bits of
 * ckr_dist_sum, in one allgather when the scratch holds P x n doubles. */
static int team_sum(const ckr_rowsum *s, mstep_ws *w, double *buf, size_t n)
{
    size_t P = (size_t)s->P;
    if (P == 1 || n == 0)
        return 0;
    if (!w->all || P * n > w->cap)
        return ckr_dist_sum(s->comm, buf, n);
    if (MPI_Allgather(buf, (int)n, MPI_DOUBLE, w->all, (int)n, MPI_DOUBLE, s->comm) !=
        MPI_SUCCESS)
        return CKR_EMPI;
    for (size_t i = 0; i < n; i++) {
        double v = w->all[i];
        for (size_t r = 1; r < P; r++)
            v += w->all[r * n + i];
        buf[i] = v;
    }
    ckr_flops_add((double)n * (double)(P - 1));
    return 0;
}

/* The E-step's part of the first M-step sum (s1's last 4 values): this
 * rank's log-likelihood sum, stop request and failure (rc). */
static void e_step_flags(double *x, double loglik_sum, int rc)
{
    x[0] = rc ? 0.0 : loglik_sum;
    x[1] = ckr_stop_requested() ? 1.0 : 0.0;
    x[2] = rc == CKR_ENOMEM ? 1.0 : 0.0;
    x[3] = rc && rc != CKR_ENOMEM ? 1.0 : 0.0;
}

/* The team's verdict on the summed flags x: 0, CKR_ENOMEM, CKR_ENUM (a
 * failure or a non-finite log-likelihood) or CKR_EINTR; *lb the mean
 * log-likelihood. */
static int e_step_verdict(const double *x, size_t N, double *lb)
{
    *lb = x[0] / (double)N;
    if (x[2] > 0.0)
        return CKR_ENOMEM;
    if (x[3] > 0.0 || !isfinite(*lb))
        return CKR_ENUM;
    return x[1] > 0.0 ? CKR_EINTR : 0;
}

/* sklearn's _m_step with the statistics summed over the team: r holds this
 * rank's responsibilities (NULL when it has no rows or its E-step failed).
 * The first sum also carries the E-step's flags (w->s1 + k + k d, filled
 * by the caller; e_step_verdict reads them after the sum): when they say
 * the E-step failed or a stop was asked, *ev is that code and nothing is
 * updated. */
static int team_m_step(ckr_gmm *g, const ckr_rowsum *s, const double *X, const ckr_gmm_resp *r,
                       int init, mstep_ws *w, double *lb, int *ev, ckr_err *err)
{
    size_t d = g->d, k = g->k, sl = cov_len(g);
    double *nk = w->s1, *mu = w->s1 + k;
    memset(w->s1, 0, (k + k * d) * sizeof *w->s1);
    memset(w->s2, 0, k * sl * sizeof *w->s2);
    for (size_t j = 0; r && j < k; j++) {
        size_t p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0;
        double t = 0.0;
        for (size_t c = 0; c < cnt; c++)
            t += r->val[r->cpos[p0 + c]];
        nk[j] = t;
        double *m = mu + j * d;
        for (size_t c = 0; c < cnt; c++) {
            double v = r->val[r->cpos[p0 + c]];
            if (v == 0.0)
                continue;
            const double *x = X + (size_t)r->crow[p0 + c] * d;
            for (size_t a = 0; a < d; a++)
                m[a] += v * x[a];
        }
        ckr_flops_add(2.0 * (double)cnt * (double)d + (double)cnt);
    }
    int rc = team_sum(s, w, w->s1, k + k * d + 4);
    if (rc)
        return ckr_err_set(err, rc, "GMM M-step: summing the statistics over the team failed");
    if ((*ev = e_step_verdict(w->s1 + k + k * d, s->n_total, lb)))
        return 0;
    for (size_t j = 0; j < k; j++) {
        nk[j] += 10.0 * DBL_EPSILON;
        for (size_t a = 0; a < d; a++)
            mu[j * d + a] /= nk[j];
    }
    double *gb = w->gbuf;
    for (size_t j = 0; r && j < k; j++) {
        size_t p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0, rows = 0;
        const double *m = mu + j * d, *val = r->val;
        const size_t *cpos = r->cpos + p0;
        const uint32_t *crow = r->crow + p0;
        double *sc = w->s2 + j * sl;
        for (size_t c = 0; c < cnt; c++) {
            double v = val[cpos[c]];
            const double *x = X + (size_t)crow[c] * d;
            if (g->cov == CKR_COV_DIAG) {
                for (size_t a = 0; a < d; a++) {
                    double t = x[a] - m[a];
                    sc[a] += v * t * t;
                }
                continue;
            }
            if (!(v > 0.0))
                continue;
            double sv = sqrt(v), *row = gb + rows * d;
            for (size_t a = 0; a < d; a++)
                row[a] = sv * (x[a] - m[a]);
            rows++;
        }
        if (rows)
            ckr_dsyrk_ata(d, rows, 1.0, gb, d, 0.0, sc);
        ckr_flops_add(4.0 * (double)cnt * (double)d);
    }
    if ((rc = team_sum(s, w, w->s2, k * sl)))
        return ckr_err_set(err, rc, "GMM M-step: summing the scatters over the team failed");
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        memcpy(g->means + j * d, mu + j * d, d * sizeof *mu);
        sum += nk[j];
        if (ckr_gmm_component_covariance(g, j, w->s2 + j * sl, nk[j]) != 0)
            return ckr_err_set(err, CKR_ENUM,
                               "GMM: covariance of component %zu (weight %.3g) is not positive "
                               "definite even with reg_covar x1000; decrease the number of "
                               "components or increase reg",
                               j, nk[j]);
    }
    for (size_t j = 0; j < k; j++)
        g->weights[j] = nk[j] / (init ? (double)s->n_total : sum);
    return 0;
}

/* This rank's E-step (nothing when it has no rows); *lb the team's mean
 * log-likelihood and *stop the agreed stop flag, with the failures agreed,
 * in one sum: [log-likelihood, stop, out of memory, other failure]. */
static int team_e_step(ckr_gmm_engine *e, const ckr_gmm *g, const ckr_rowsum *s, mstep_ws *w,
                       ckr_gmm_resp *r, double *lb, int *stop)
{
    double mine = 0.0;
    int rc = 0;
    if (s->n > 0) {
        rc = ckr_gmm_engine_e_step(e, g, r, &mine);
        mine *= (double)s->n;
    }
    double buf[4] = { rc ? 0.0 : mine, ckr_stop_requested() ? 1.0 : 0.0,
                      rc == CKR_ENOMEM ? 1.0 : 0.0, rc && rc != CKR_ENOMEM ? 1.0 : 0.0 };
    if ((rc = team_sum(s, w, buf, 4)))
        return rc;
    if (buf[2] > 0.0)
        return CKR_ENOMEM;
    *lb = buf[0] / (double)s->n_total;
    *stop = buf[1] > 0.0;
    return buf[3] == 0.0 && isfinite(*lb) ? 0 : CKR_ENUM;
}

int ckr_gmm_team_fit(ckr_gmm *g, ckr_rowsum *s, const double *X, const ckr_gmm_opts *o,
                     ckr_rng *rng, double *post, ckr_gmm_stats *st, ckr_err *err)
{
    ckr_gmm_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    size_t n = s->n, N = s->n_total, k = g->k, d = g->d;
    if (k > N)
        return ckr_err_set(err, CKR_EARG, "GMM: %zu components but only %zu points", k, N);
    ckr_gmm_engine e;
    memset(&e, 0, sizeof e);
    ckr_gmm_resp r = { 0 };
    mstep_ws w = { 0 };
    int *labels = malloc((n ? n : 1) * sizeof *labels);
    double *centers = malloc(k * d * sizeof *centers);
    w.s1 = malloc((k + k * d + 4) * sizeof *w.s1);
    w.s2 = malloc(k * cov_len(g) * sizeof *w.s2);
    size_t big = k * cov_len(g) > k + k * d + 4 ? k * cov_len(g) : k + k * d + 4;
    w.cap = (size_t)s->P * (big > 4 ? big : 4);
    if (s->P > 1 && w.cap <= CKR_ROWSUM_GATHER_MAX * 4)
        w.all = malloc(w.cap * sizeof *w.all); /* else ckr_dist_sum */
    int rc = labels && centers && w.s1 && w.s2 && (w.all || s->P == 1 ||
                                                   w.cap > CKR_ROWSUM_GATHER_MAX * 4)
                 ? 0 : CKR_ENOMEM;
    if (rc)
        ckr_err_set(err, rc, "GMM: out of memory for the k-means init");
    if ((rc = ckr_dist_agree(s->comm, rc, err)))
        goto cleanup;
    double t0 = ckr_now();
    ckr_kmeans_stats ks;
    rc = ckr_kmeans_team_fit(s, X, d, k, o->kmeans_iter, o->kmeans_tol, rng, centers, labels,
                             &ks, err);
    st->sec_kmeans = ckr_now() - t0;
    st->kmeans_iters = ks.iters;
    if (rc)
        goto cleanup;
    t0 = ckr_now();
    double f0 = ckr_flops_get();
    if (n > 0) {
        rc = ckr_gmm_engine_init(&e, X, n, d, k, g->cov);
        e.mixed = o->mixed;
        if (rc == 0)
            rc = ckr_gmm_resp_from_labels(&r, labels, n, k);
        w.gbuf = e.gbuf;
    }
    if (rc)
        ckr_err_set(err, rc, "GMM: out of memory (n=%zu, k=%zu, d=%zu)", N, k, d);
    if ((rc = ckr_dist_agree(s->comm, rc, err)))
        goto cleanup;
    g->reg_retries = 0;
    double lb = -INFINITY;
    int ev = 0;
    e_step_flags(w.s1 + k + k * d, 0.0, 0);
    rc = team_m_step(g, s, X, n ? &r : NULL, 1, &w, &lb, &ev, err);
    if (rc == 0 && ev == CKR_EINTR)
        rc = ckr_err_set(err, CKR_EINTR, "GMM: stopped before EM");
    lb = -INFINITY;
    for (int it = 1; rc == 0 && it <= o->max_iter; it++) {
        double prev = lb, mine = 0.0;
        int erc = 0;
        ev = 0;
        if (n > 0) { /* this rank's E-step; its flags travel with the M-step's first sum */
            erc = ckr_gmm_engine_e_step(&e, g, &r, &mine);
            mine *= (double)n;
        }
        e_step_flags(w.s1 + k + k * d, mine, erc);
        rc = team_m_step(g, s, X, n && !erc ? &r : NULL, 0, &w, &lb, &ev, err);
        if (rc == 0 && ev == CKR_EINTR)
            rc = ckr_err_set(err, CKR_EINTR, "GMM: stopped at EM iteration %d", it);
        else if (rc == 0 && ev)
            rc = ckr_err_set(err, ev, "GMM: non-finite log-likelihood at EM iteration %d", it);
        if (!ev) { /* the M-step ran (as gmm.c counts it, even when it failed) */
            st->iters = it;
            st->lower_bound = lb;
        }
        if (rc)
            break;
        if (fabs(lb - prev) < o->tol) {
            st->converged = 1;
            break;
        }
    }
    if (rc == 0) {
        double final_lb;
        int stop = 0;
        rc = team_e_step(&e, g, s, &w, &r, &final_lb, &stop);
        if (rc)
            ckr_err_set(err, rc, "GMM: non-finite log-likelihood in the final E-step");
        else if (post && n > 0)
            ckr_gmm_resp_to_dense(&r, post);
    }
    /* every rank ran the same E-steps (st->iters + 1 after a fit) */
    double cand = e.cand_sum * (double)n;
    int crc = team_sum(s, &w, &cand, 1), esteps = st->iters + (rc == 0);
    st->cand_per_point = crc == 0 && esteps ? cand / (double)N / (double)esteps : 0.0;
    if (rc == 0 && crc)
        rc = ckr_err_set(err, crc, "GMM: MPI failed on the team");
    st->full_passes = e.full_passes;
    st->dense_passes = e.dense_passes;
    st->mixed_double = e.mixed_comps > 0 ? e.mixed_double / e.mixed_comps : 0.0;
    st->sec_approx = e.sec_approx;
    st->sec_em = ckr_now() - t0;
    st->flops_em = ckr_flops_get() - f0;
cleanup:
    ckr_gmm_resp_free(&r);
    ckr_gmm_engine_free(&e);
    free(labels);
    free(centers);
    free(w.s1);
    free(w.s2);
    free(w.all);
    return rc;
}
