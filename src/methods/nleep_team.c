/* nleep_team.c -- NLEEP on a team of ranks (score_team of ckr_method_nleep;
 * the score is described in nleep.c, the team contract in methods/method.h).
 *
 * PCA on the team (linalg/pca_team.h: Gram by local dsyrk and ordered sums,
 * ScaLAPACK eigen-solver), the Gaussian mixture on the team
 * (linalg/gmm_team.h: k-means++ and Lloyd with ordered row-piece sums, EM
 * with local E-steps and summed statistics), then LEEP from the local
 * posteriors: the class x component table and the sum of the log expected
 * empirical predictions are summed over the team. A team of one runs the
 * single-rank score. Memory per rank beyond its rows: its PCA scores and
 * posteriors (n_local x (d + K)), the engine's per-row state, 3 D^2 doubles
 * of the PCA and K (d^2 + d) x 2 of the M-step sums. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"
#include "linalg/gmm_team.h"
#include "linalg/pca_team.h"
#include "methods/method.h"
#include "methods/nleep.h"
#include "methods/team.h"
#include "util/flops.h"

extern const ckr_method ckr_method_nleep;

/* nleep.c's rule: K = ratio * classes, capped at the sample count. */
static size_t mixture_size(long ratio, int num_classes, size_t n, int *capped)
{
    double k = (double)ratio * (double)(num_classes > 0 ? num_classes : 1);
    *capped = k > (double)n;
    return *capped ? n : (size_t)k;
}

/* The checks of nleep_score on the team's totals; *N, *D on success. */
static int check_team(const ckr_pair *local, const ckr_team *t, size_t *N, size_t *D,
                      ckr_result *res)
{
    const ckr_matrix *F = &local->train_features;
    unsigned long long v[4] = { F->rows, local->train.n, F->rows && !F->data, 0 }, s[4];
    unsigned long long w[2] = { F->cols, F->data ? 1 : 0 }, mx[2];
    if (MPI_Allreduce(v, s, 4, MPI_UNSIGNED_LONG_LONG, MPI_SUM, t->comm) != MPI_SUCCESS ||
        MPI_Allreduce(w, mx, 2, MPI_UNSIGNED_LONG_LONG, MPI_MAX, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    *N = (size_t)s[0];
    *D = (size_t)mx[0];
    if (!mx[1] || s[2] || *N == 0 || *D == 0)
        return ckr_result_fail(res, CKR_ENEEDS, ckr_err_word(CKR_ENEEDS),
                               "nleep needs the train features");
    if (s[1] != s[0])
        return ckr_result_fail(res, CKR_EDATA, ckr_err_word(CKR_EDATA),
                               "nleep: %zu feature rows but %zu labels", *N, (size_t)s[1]);
    return 0;
}

/* nleep.c's zero-variance test without PCA: every row equals the first. */
static int all_constant_team(const ckr_pair *local, const ckr_team *t, const ckr_rowsum *rs,
                             size_t D, int *constant)
{
    double *row0 = malloc(D * sizeof *row0);
    int rc = row0 ? 0 : CKR_ENOMEM, same = 1, all = 1;
    if ((rc = ckr_dist_agree(t->comm, rc, NULL)))
        goto done;
    int owner = ckr_rowsum_owner(rs, 0);
    const double *X = local->train_features.data;
    if (t->rank == owner)
        memcpy(row0, X, D * sizeof *row0);
    if (MPI_Bcast(row0, (int)D, MPI_DOUBLE, owner, t->comm) != MPI_SUCCESS) {
        rc = CKR_EMPI;
        goto done;
    }
    for (size_t i = 0; same && i < rs->n; i++)
        for (size_t j = 0; j < D; j++)
            if (X[i * D + j] != row0[j]) {
                same = 0;
                break;
            }
    if (MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, t->comm) != MPI_SUCCESS)
        rc = CKR_EMPI;
    *constant = all;
done:
    free(row0);
    return rc;
}

/* Calls fn(ctx, i, c) for each instance of local row i (leep_core.c's
 * rule: multiclass one per row, multilabel one per positive label). */
typedef struct leep_team_ctx {
    const double *theta;
    size_t z;
    double *joint;    /* C x z, then P(c | z) */
    double log_sum, clamped, inst;
} leep_team_ctx;

static void visit(const ckr_pair *l, leep_team_ctx *x, int pass)
{
    size_t C = (size_t)l->num_classes, n = l->train.n;
    for (size_t i = 0; i < n; i++) {
        const double *t = x->theta + i * x->z;
        for (size_t c = 0; c < C; c++) {
            int on = l->kind == CKR_MULTICLASS ? l->train.y[i] == (int)c : l->train.Y[i * C + c];
            if (!on)
                continue;
            double *row = x->joint + c * x->z;
            if (pass == 0) {
                for (size_t j = 0; j < x->z; j++)
                    row[j] += t[j];
                x->inst += 1.0;
                continue;
            }
            double eep = 0.0;
            for (size_t j = 0; j < x->z; j++)
                eep += row[j] * t[j];
            if (!(eep >= DBL_MIN)) {
                eep = DBL_MIN;
                x->clamped += 1.0;
            }
            x->log_sum += log(eep);
        }
    }
}

/* ckr_leep_from_probs over the team: theta holds the local rows' posteriors. */
static int leep_team(const ckr_pair *l, const ckr_team *t, const double *theta, size_t z,
                     double *score, size_t *clamped, ckr_result *res)
{
    size_t C = (size_t)l->num_classes;
    double *buf = calloc(C * z + 1, sizeof *buf), *pz = calloc(z, sizeof *pz);
    int rc = buf && pz ? 0 : ckr_result_fail(res, CKR_ENOMEM, NULL,
                                             "LEEP: out of memory for a %zu x %zu table", C, z);
    if ((rc = ckr_team_agree_result(t, rc, res)))
        goto done;
    leep_team_ctx x = { theta, z, buf, 0.0, 0.0, 0.0 };
    visit(l, &x, 0);
    buf[C * z] = x.inst;
    if ((rc = ckr_team_sum(t, buf, C * z + 1, "LEEP table", res)))
        goto done;
    double n_inst = buf[C * z];
    if (!(n_inst > 0.0)) {
        rc = ckr_result_fail(res, CKR_EDATA, ckr_err_word(CKR_EDATA), "LEEP: no labelled instances");
        goto done;
    }
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < z; j++)
            pz[j] += buf[c * z + j];
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < z; j++)
            buf[c * z + j] = pz[j] > 0.0 ? buf[c * z + j] / pz[j] : 0.0;
    visit(l, &x, 1);
    ckr_flops_add(4.0 * x.inst * (double)z + 2.0 * (double)C * (double)z);
    double sums[2] = { x.log_sum, x.clamped };
    if ((rc = ckr_team_sum(t, sums, 2, "LEEP log-likelihood", res)))
        goto done;
    *score = sums[0] / n_inst;
    *clamped = (size_t)sums[1];
done:
    free(buf);
    free(pz);
    return rc;
}

int ckr_nleep_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                         ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return ckr_method_nleep.score(local, p, rng, res);
    size_t N = 0, D = 0;
    int rc = check_team(local, team, &N, &D, res);
    if (rc)
        return rc;
    const ckr_nleep_cfg *c = ckr_params_config(p);
    ckr_cov_type cov = c->cov == CKR_NLEEP_COV_DIAG ? CKR_COV_DIAG : CKR_COV_FULL;
    size_t n = local->train_features.rows, d = D;
    int capped;
    size_t K = mixture_size(c->ratio, local->num_classes, N, &capped);
    ckr_err err = { 0, "" };
    ckr_rowsum rs;
    ckr_pca_result pr = { 0 };
    ckr_gmm g = { 0 };
    double *theta = NULL;
    const double *X = local->train_features.data;
    if ((rc = ckr_rowsum_init(&rs, team->comm, team->row0, n, N, &err)))
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    if (c->pca > 0.0) {
        if ((rc = ckr_pca_team_fit_transform(team->comm, X, n, N, D, c->pca, &pr, &err)))
            goto cleanup;
        X = pr.scores;
        d = pr.d;
    } else {
        int constant = 0;
        if ((rc = all_constant_team(local, team, &rs, D, &constant)))
            rc = ckr_err_set(&err, rc, "nleep: %s on the team", ckr_err_word(rc));
        else if (constant)
            rc = ckr_err_set(&err, CKR_ENUM, "nleep: features have zero variance (%zu x %zu)", N,
                             D);
        if (rc)
            goto cleanup;
    }
    rc = ckr_gmm_init(&g, K, d, cov, c->reg, &err);
    if (rc == 0 && !(theta = malloc((n ? n : 1) * K * sizeof *theta)))
        rc = ckr_err_set(&err, CKR_ENOMEM, "nleep: out of memory for %zu x %zu posteriors", n, K);
    if ((rc = ckr_dist_agree(team->comm, rc, &err)))
        goto cleanup;
    ckr_gmm_opts o = ckr_gmm_default_opts();
    o.max_iter = (int)c->iters;
    o.tol = c->tol;
    o.kmeans_iter = (int)c->kmeans_iters;
    o.mixed = c->precision == CKR_NLEEP_PREC_MIXED;
    ckr_gmm_stats st;
    rc = ckr_gmm_team_fit(&g, &rs, X, &o, rng, theta, &st, &err);
    snprintf(res->info, sizeof res->info, "d=%zu K=%zu%s cov=%s iters=%d converged=%d "
             "reg_retries=%d kmeans_iters=%d cand=%.2f",
             d, K, capped ? " (K capped)" : "", cov == CKR_COV_FULL ? "full" : "diag",
             st.iters, st.converged, g.reg_retries, st.kmeans_iters, st.cand_per_point);
    if (rc != 0)
        goto cleanup;
    double score = NAN;
    size_t clamped = 0;
    if ((rc = leep_team(local, team, theta, K, &score, &clamped, res)))
        goto cleanup;
    if (clamped) {
        size_t len = strlen(res->info);
        snprintf(res->info + len, sizeof res->info - len, " eep_clamped=%zu", clamped);
    }
    ckr_team_info_suffix(team, res);
    rc = ckr_result_ok(res, score);
cleanup:
    free(theta);
    ckr_gmm_free(&g);
    ckr_pca_result_free(&pr);
    ckr_rowsum_free(&rs);
    if (rc != 0 && err.code != 0)
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    return rc;
}
