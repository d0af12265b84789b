/* gbc.c -- GBC, Gaussian Bhattacharyya Coefficient (Pándy et al., CVPR 2022),
 * METHODS.md section 10 (google-research stable_transfer gbc.py).
 *
 * 1. PCA of the features to d = min(`pca`, D, N) dimensions (default 64;
 *    scikit-learn PCA(n_components=d, svd_solver='full') semantics through
 *    linalg/pca.h, kept in double precision; `pca=0`: the raw features;
 *    features identical in every row project to 0).
 * 2. Per class: mean and per-dimension population variance (ddof 0),
 *    floored at `floor` = 1e-4; cov=spherical: sigma_c^2 = mean over the d
 *    dimensions of the floored variances (one scalar), cov=diag: the vector.
 * 3. Bhattacharyya distance with s = (s1 + s2) / 2 (per dimension):
 *    D_B = 1/8 sum_j (mu1_j - mu2_j)^2 / s_j + 1/2 [log|S| - 1/2 log|S1| - 1/2 log|S2|],
 *    log|S| = sum_j log s_j; for spherical S = s I in d dimensions,
 *    log|S| = d log s (logdet=exact, default). logdet=google reproduces
 *    the reference code, which takes log s once (drops the factor d).
 * 4. GBC = - sum_{c != c'} exp(-D_B(c, c')) (ordered pairs), in (-C(C-1), 0].
 * Classes: those present (METHODS.md convention 2); "bad-data" for fewer
 * than 2. Multilabel: status "unsupported-multilabel" (class Gaussians need
 * a partition of the samples). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/memory.h"
#include "linalg/featstats.h"
#include "linalg/pca.h"
#include "linalg/pca_team.h"
#include "methods/gbc.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "methods/pca_stream.h"
#include "methods/stream.h"
#include "methods/team.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_gbc_cfg);

static const ckr_param_def gbc_params[] = {
    CKR_INT_PARAM(ckr_gbc_cfg, pca, "64", "PCA dimensions (clamped to min(D, N)); 0 = no PCA"),
    CKR_CHOICE_PARAM(ckr_gbc_cfg, cov, "spherical", "spherical|diag", "class covariance model"),
    CKR_CHOICE_PARAM(ckr_gbc_cfg, logdet, "exact", "exact|google",
                     "spherical log-determinant: d log s (exact) or log s (the reference code)"),
    CKR_DOUBLE_PARAM(ckr_gbc_cfg, floor, "1e-4", "variance floor per dimension"),
    CKR_PARAMS_END,
};

static int gbc_check(const void *config, ckr_param_fault *fault)
{
    const ckr_gbc_cfg *c = config;
    if (c->pca < 0)
        return ckr_param_refuse(fault, offsetof(ckr_gbc_cfg, pca), "must be >= 0");
    if (!(c->floor > 0.0))
        return ckr_param_refuse(fault, offsetof(ckr_gbc_cfg, floor), "must be > 0");
    return 0;
}

static double gbc_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    double n = (double)s->n, dd = (double)s->d, c = (double)(s->num_classes > 0 ? s->num_classes : 1);
    const ckr_gbc_cfg *cfg = ckr_params_config(p);
    double d = (double)cfg->pca;
    if (d <= 0 || d > dd)
        d = dd;
    double k = n > dd ? dd : n;
    double pca = cfg->pca > 0 ? n * k * dd + 4.0 / 3.0 * k * k * k + 2.0 * n * dd * d : 0.0;
    return pca + 5.0 * n * d + 4.0 * c * c * d;
}

/* Add the rows of X (n x d) to their class's row of sums (C x d). */
static void gbc_class_sums(const double *X, size_t n, size_t d, const ckr_targets *tg,
                           double *mean)
{
    for (size_t i = 0; i < n; i++) {
        double *m = mean + (size_t)tg->map[tg->y[i]] * d;
        const double *x = X + i * d;
        for (size_t j = 0; j < d; j++)
            m[j] += x[j];
    }
}

/* Add the squared deviations of the rows of X from their class mean. */
static void gbc_class_squares(const double *X, size_t n, size_t d, const ckr_targets *tg,
                              const double *mean, double *var)
{
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)tg->map[tg->y[i]];
        const double *x = X + i * d, *m = mean + c * d;
        double *v = var + c * d;
        for (size_t j = 0; j < d; j++) {
            double e = x[j] - m[j];
            v[j] += e * e;
        }
    }
}

static void gbc_divide_means(double *mean, size_t C, size_t d, const ckr_targets *tg)
{
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < d; j++)
            mean[c * d + j] /= (double)tg->count[c];
}

/* The score from the class means and summed squared deviations (C x d):
 * floors, covariance model, Bhattacharyya sum; fills res. n_rows only
 * counts FLOPs. */
static int gbc_finish(const ckr_gbc_cfg *cfg, const ckr_targets *tg, size_t C, size_t d,
                      const double *mean, double *var, double *logv, size_t n_rows,
                      ckr_result *res)
{
    int diag = cfg->cov == CKR_GBC_COV_DIAG;
    int google = cfg->logdet == CKR_GBC_LOGDET_GOOGLE;
    double vfloor = cfg->floor;
    for (size_t c = 0; c < C; c++) {
        double s = 0.0, sl = 0.0;
        for (size_t j = 0; j < d; j++) {
            double v = var[c * d + j] / (double)tg->count[c];
            v = v > vfloor ? v : vfloor;
            var[c * d + j] = v;
            s += v;
            sl += log(v);
        }
        if (diag) {
            logv[c] = sl; /* log |S_c| */
        } else {
            var[c * d] = s / (double)d; /* spherical variance in slot 0 */
            logv[c] = (google ? 1.0 : (double)d) * log(var[c * d]);
        }
    }
    ckr_flops_add(5.0 * (double)n_rows * (double)d + 5.0 * (double)C * (double)d);
    double sum = 0.0;
    for (size_t a = 0; a < C; a++) {
        for (size_t b = a + 1; b < C; b++) {
            const double *ma = mean + a * d, *mb = mean + b * d;
            double quad = 0.0, logs = 0.0;
            if (diag) {
                const double *va = var + a * d, *vb = var + b * d;
                for (size_t j = 0; j < d; j++) {
                    double s = 0.5 * (va[j] + vb[j]), e = ma[j] - mb[j];
                    quad += e * e / s;
                    logs += log(s);
                }
            } else {
                double s = 0.5 * (var[a * d] + var[b * d]);
                for (size_t j = 0; j < d; j++) {
                    double e = ma[j] - mb[j];
                    quad += e * e;
                }
                quad /= s;
                logs = (google ? 1.0 : (double)d) * log(s);
            }
            double db = quad / 8.0 + 0.5 * (logs - 0.5 * logv[a] - 0.5 * logv[b]);
            sum += 2.0 * exp(-db);
        }
    }
    ckr_flops_add((double)C * (double)(C - 1) / 2.0 * ((diag ? 6.0 : 3.0) * (double)d + 12.0));
    snprintf(res->info, sizeof res->info, "%s%s d=%zu%s classes=%zu",
             diag ? "diag" : "spherical", !diag && google ? "(google)" : "", d,
             cfg->pca > 0 ? " pca" : " raw", C);
    return ckr_result_ok(res, -sum);
}

/* d = min(pca, D, N), or D without PCA */
static size_t gbc_dims(long pca, size_t N, size_t D)
{
    size_t d = D;
    if (pca > 0) {
        d = (size_t)pca;
        if (d > D)
            d = D;
        if (d > N)
            d = N;
    }
    return d;
}

static int gbc_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "GBC needs a partition of the samples into classes");
    const ckr_gbc_cfg *cfg = ckr_params_config(p);
    long pca = cfg->pca;
    const double *F = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t d = gbc_dims(pca, N, D);
    size_t C = (size_t)tg.t;
    double *mean = NULL, *var = NULL, *logv = NULL, *zeros = NULL;
    ckr_pca_result pr;
    memset(&pr, 0, sizeof pr);
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    mean = calloc(C * d, sizeof *mean);
    var = calloc(C * d, sizeof *var);
    logv = calloc(C, sizeof *logv);
    if (!mean || !var || !logv) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu d=%zu C=%zu)", N, d, C);
        goto cleanup;
    }
    const double *X = F;
    if (pca > 0) {
        /* constant features: every score is 0 (the PCA module refuses zero variance) */
        int constant = 1;
        for (size_t i = 1; i < N && constant; i++)
            constant = memcmp(F, F + i * D, D * sizeof *F) == 0;
        if (constant) {
            zeros = calloc(N * d, sizeof *zeros);
            if (!zeros) {
                rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
                goto cleanup;
            }
            X = zeros;
        } else if ((rc = ckr_pca_fit_transform(F, N, D, (double)d, &pr, &err))) {
            rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error", "%s",
                                 err.msg);
            goto cleanup;
        } else if (pr.d != d) {
            rc = ckr_result_fail(res, CKR_ENUM, "numerical-error",
                                 "PCA returned %zu components, expected %zu", pr.d, d);
            goto cleanup;
        } else {
            X = pr.scores;
        }
    }
    /* class means, then population variances (two passes) */
    gbc_class_sums(X, N, d, &tg, mean);
    gbc_divide_means(mean, C, d, &tg);
    gbc_class_squares(X, N, d, &tg, mean, var);
    rc = gbc_finish(cfg, &tg, C, d, mean, var, logv, N, res);
cleanup:
    ckr_pca_result_free(&pr);
    free(zeros);
    free(mean);
    free(var);
    free(logv);
    ckr_targets_free(&tg);
    return rc;
}

/* The streamed form (--max-memory): the PCA over row blocks
 * (methods/pca_stream.h; the same scores as the whole pair's for blocks of
 * at least 1024 rows), then as gbc_score on the N x d scores. Without PCA,
 * or N <= D, the rows are gathered whole. */
static int gbc_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                            ckr_rng *rng, ckr_result *res)
{
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    if (meta->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "GBC needs a partition of the samples into classes");
    const ckr_gbc_cfg *cfg = ckr_params_config(p);
    size_t N = rows->n, D = rows->d;
    if (cfg->pca <= 0 || N <= D) {
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = gbc_score(&whole, p, rng, res);
        free(whole.train_features.data);
        return rc;
    }
    ckr_err err = { 0, "" };
    ckr_targets tg;
    if ((rc = ckr_targets_init(meta->kind, &meta->train, meta->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t d = gbc_dims(cfg->pca, N, D), C = (size_t)tg.t;
    double *mean = NULL, *var = NULL, *logv = NULL, *X = NULL;
    ckr_pca_stream ps;
    memset(&ps, 0, sizeof ps);
    int constant = 0;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    mean = calloc(C * d, sizeof *mean);
    var = calloc(C * d, sizeof *var);
    logv = calloc(C, sizeof *logv);
    if (!mean || !var || !logv) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu d=%zu C=%zu)", N, d, C);
        goto cleanup;
    }
    rc = ckr_pca_stream_fit(rows, (double)d, &ps, &constant, &err);
    if (!rc && constant) /* every score is 0 */
        rc = (X = calloc(N * d, sizeof *X)) ? 0 : ckr_err_set(&err, CKR_ENOMEM, "out of memory");
    else if (!rc && ps.d != d)
        rc = ckr_err_set(&err, CKR_ENUM, "PCA returned %zu components, expected %zu", ps.d, d);
    else if (!rc)
        rc = ckr_pca_stream_project(&ps, &X, &err);
    ckr_pca_stream_free(&ps);
    if (rc) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error", "%s", err.msg);
        goto cleanup;
    }
    gbc_class_sums(X, N, d, &tg, mean);
    gbc_divide_means(mean, C, d, &tg);
    gbc_class_squares(X, N, d, &tg, mean, var);
    rc = gbc_finish(cfg, &tg, C, d, mean, var, logv, N, res);
cleanup:
    free(X);
    free(mean);
    free(var);
    free(logv);
    ckr_targets_free(&tg);
    return rc;
}

/* 1 on every rank when every row of the pair equals its first row (bytes). */
static int gbc_team_constant(const ckr_team *team, const double *F, size_t nl, size_t D,
                             double *row, int *constant)
{
    int cand = nl > 0 ? team->rank : team->size, root = team->size, mine = 1;
    if (MPI_Allreduce(&cand, &root, 1, MPI_INT, MPI_MIN, team->comm) != MPI_SUCCESS)
        return CKR_EMPI;
    if (root < team->size) {
        if (team->rank == root)
            memcpy(row, F, D * sizeof *row);
        if (MPI_Bcast(row, (int)D, MPI_DOUBLE, root, team->comm) != MPI_SUCCESS)
            return CKR_EMPI;
    }
    for (size_t i = 0; i < nl && mine; i++)
        mine = memcmp(row, F + i * D, D * sizeof *F) == 0;
    if (MPI_Allreduce(&mine, constant, 1, MPI_INT, MPI_LAND, team->comm) != MPI_SUCCESS)
        return CKR_EMPI;
    return 0;
}

/* The team path: PCA over the team (linalg/pca_team.h), each rank projects
 * its rows; class sums and squared deviations are local passes summed over
 * the team. The score does not depend on the components' signs. */
static int gbc_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return gbc_score(local, p, rng, res);
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (local->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "GBC needs a partition of the samples into classes");
    const ckr_gbc_cfg *cfg = ckr_params_config(p);
    long pca = cfg->pca;
    const double *F = local->train_features.data;
    size_t nl = local->train_features.rows;
    ckr_targets tg;
    if ((rc = ckr_targets_init_team(team->comm, local->kind, &local->train, team->row0,
                                    local->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t d = gbc_dims(pca, N, D);
    size_t C = (size_t)tg.t;
    double *mv = NULL, *logv = NULL, *row = NULL, *zeros = NULL;
    ckr_pca_result pr;
    memset(&pr, 0, sizeof pr);
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    mv = calloc(2 * C * d, sizeof *mv); /* means, then squared deviations */
    logv = calloc(C, sizeof *logv);
    row = malloc(D * sizeof *row);
    zeros = calloc((nl ? nl : 1) * d, sizeof *zeros);
    if (!mv || !logv || !row || !zeros)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu d=%zu C=%zu)", N, d, C);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    double *mean = mv, *var = mv + C * d;
    const double *X = F;
    if (pca > 0) {
        int constant = 0;
        if ((rc = gbc_team_constant(team, F, nl, D, row, &constant))) {
            rc = ckr_result_fail(res, rc, NULL, "MPI failed on the team");
            goto cleanup;
        }
        if (constant) {
            X = zeros;
        } else if ((rc = ckr_pca_team_fit_transform(team->comm, F, nl, N, D, (double)d, &pr,
                                                    &err))) {
            rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error", "%s",
                                 err.msg);
            goto cleanup;
        } else if (pr.d != d) {
            rc = ckr_result_fail(res, CKR_ENUM, "numerical-error",
                                 "PCA returned %zu components, expected %zu", pr.d, d);
            goto cleanup;
        } else {
            X = pr.scores;
        }
    }
    gbc_class_sums(X, nl, d, &tg, mean);
    if ((rc = ckr_team_sum(team, mean, C * d, "class sums", res)))
        goto cleanup;
    gbc_divide_means(mean, C, d, &tg);
    gbc_class_squares(X, nl, d, &tg, mean, var);
    if ((rc = ckr_team_sum(team, var, C * d, "class variances", res)))
        goto cleanup;
    rc = gbc_finish(cfg, &tg, C, d, mean, var, logv, nl, res);
    ckr_team_info_suffix(team, res);
cleanup:
    ckr_pca_result_free(&pr);
    free(mv);
    free(logv);
    free(row);
    free(zeros);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_gbc = {
    .name = "gbc",
    .summary = "GBC: Gaussian Bhattacharyya coefficient after PCA to 64 dims (Pandy et al. 2022), "
               "cov=spherical|diag, variance floor 1e-4; multiclass only",
    .params = gbc_params,
    .check = gbc_check,
    .cost = gbc_cost,
    .score = gbc_score,
    .score_team = gbc_score_team,
    .memory = ckr_memory_gbc,
    .score_stream = gbc_score_stream,
};
