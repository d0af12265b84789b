/* hscore.c -- H-score (Bao et al., ICIP 2019) and the shrinkage H-score
 * (Ibrahim et al., "Newer is not always better", 2022), METHODS.md section 8.
 *
 * hscore:        H   = tr( pinv(cov_f) cov_g )
 * hscore_shrink: H_a = tr( pinv(Sigma_a) (1 - a) cov_g ),
 *                Sigma_a = (1 - a) S + a (tr S / D) I, S = Xc^T Xc / N and a
 *                the Ledoit-Wolf shrinkage of scikit-learn's LedoitWolf
 *                (0 when D = 1, as scikit-learn).
 * cov_f = Xc^T Xc / (N - 1) (Xc = centred features), cov_g the covariance
 * (ddof 1) of g_i = E[f | y_i] = sum_c (n_c / (N - 1)) d_c d_c^T with
 * d_c = mu_c - mu; pinv as numpy.linalg.pinv with cut-off `rcond` (default
 * 1e-15, TLlib) times the largest eigenvalue magnitude, except that the
 * cut-off is never below max(N, D) * DBL_EPSILON (numpy's matrix_rank
 * tolerance): smaller eigenvalues are rounding noise of a singular
 * covariance (duplicated or constant features, N <= D), and inverting them
 * makes the reference's value depend on the eigen-solver's rounding.
 *
 * Computation: one eigen-decomposition of the centred Gram Xc^T Xc (D x D,
 * when N > D) or kernel Xc Xc^T (N x N, otherwise: same non-zero spectrum),
 * and C quadratic forms sum_j (v_j . d_c)^2 / lambda_j from the coordinates
 * of the class vectors in the eigenbasis (no N x D matrix g, no pinv
 * matrix). The features are centred and divided by their largest |value|
 * first (both scores are scale-invariant), so huge or tiny scales neither
 * overflow nor underflow the Gram.
 *
 * Classes: those present (METHODS.md convention 2). Multilabel: the mean over
 * labels of the binary H-score of each label column (positive vs negative
 * samples, g = E[f | y_c]); labels positive for none or for every sample
 * carry no information and are left out (status "bad-data" if none remains).
 * Multiclass needs 2 classes present and N >= 2 ("bad-data" otherwise). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "linalg/eigen.h"
#include "linalg/featstats.h"
#include "methods/hscore.h"
#include "methods/method.h"
#include "methods/memory.h"
#include "methods/pair_check.h"
#include "methods/stream.h"
#include "methods/team.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_hscore_cfg);

static const ckr_param_def hscore_params[] = {
    CKR_DOUBLE_PARAM(ckr_hscore_cfg, rcond, "1e-15",
                     "pinv cut-off relative to the largest eigenvalue (TLlib 1e-15)"),
    CKR_PARAMS_END,
};

static int hscore_check(const void *config, ckr_param_fault *fault)
{
    const ckr_hscore_cfg *c = config;
    if (!(c->rcond >= 0.0))
        return ckr_param_refuse(fault, offsetof(ckr_hscore_cfg, rcond), "must be >= 0");
    return 0;
}

static double hscore_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = (double)(s->num_classes > 0 ? s->num_classes : 1);
    double k = n > d ? d : n;
    double gram = n > d ? n * d * d : n * n * d;
    return gram + 8.0 / 3.0 * k * k * k + 4.0 * k * k * c + 4.0 * n * d;
}

/* Ledoit-Wolf shrinkage from the (scaled) centred Gram (gram != 0, n = D)
 * or kernel (n = N): same trace and Frobenius norm. S = G / N. sum4 =
 * sum_i ||z_i||^4. */
static void hs_ledoit_wolf(const double *A, size_t n, size_t N, size_t D, int gram, double sum4,
                           double *shrinkage_out, double *mu_s_out)
{
    double shrinkage = 0.0, mu_s = 0.0;
    double tr = 0.0, fro2 = 0.0;
    for (size_t i = 0; i < n; i++)
        tr += A[i * n + i];
    mu_s = tr / (double)N / (double)D; /* tr S / D */
    double off = 0.0, diag = 0.0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            double s = A[i * n + j] / (double)N;
            if (i == j) {
                fro2 += s * s;
                if (gram)
                    diag += (s - mu_s) * (s - mu_s);
            } else {
                off += s * s;
            }
        }
    }
    fro2 += off;
    ckr_flops_add(4.0 * (double)n * (double)n);
    /* delta = ||S - mu I||_F^2 / D; on the kernel path the D - rank zero
     * eigenvalues of S are not in K, so expand the square instead */
    double delta = gram ? (off + diag) / (double)D
                        : (fro2 - 2.0 * mu_s * tr / (double)N + (double)D * mu_s * mu_s) /
                              (double)D;
    double bbar = (sum4 / (double)N - fro2) / ((double)N * (double)D);
    double b = bbar < delta ? bbar : delta;
    if (D > 1 && delta > 0.0 && b > 0.0)
        shrinkage = b / delta;
    if (shrinkage > 1.0)
        shrinkage = 1.0;
    *shrinkage_out = shrinkage;
    *mu_s_out = mu_s;
}

/* The score from the spectrum w[0..n) of the centred Gram (gram) or kernel
 * and the eigen-coordinates B (T x n) of the target sums (Gram) or centred
 * indicators (kernel); fills res (score and info). */
static int hs_finish(const double *w, const double *B, size_t n, size_t N, size_t D, int gram,
                     const ckr_targets *tg, double rcond, int shrink, double shrinkage,
                     double mu_s, int ml, ckr_result *res)
{
    size_t T = (size_t)tg->t;
    double *lam = malloc((n ? n : 1) * sizeof *lam);
    if (!lam)
        return ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", n);
    /* eigenvalues of cov_f (or Sigma_a) in the scaled units */
    double lmax = shrink ? shrinkage * mu_s : 0.0;
    for (size_t j = 0; j < n; j++) {
        lam[j] = shrink ? (1.0 - shrinkage) * w[j] / (double)N + shrinkage * mu_s
                        : w[j] / (double)(N - 1);
        if (fabs(lam[j]) > lmax)
            lmax = fabs(lam[j]);
    }
    /* eigenvalues below max(N, D) * eps * lmax are within the rounding error
     * of the eigen-solver (numpy.linalg.matrix_rank's tolerance): never
     * invert them, whatever rcond says */
    double floor_rc = (double)(N > D ? N : D) * DBL_EPSILON;
    double cut = (rcond > floor_rc ? rcond : floor_rc) * lmax;
    size_t kept = 0;
    for (size_t j = 0; j < n; j++)
        kept += fabs(lam[j]) > cut;
    /* quadratic forms: a_cj = v_j . d_c */
    double total = 0.0;
    for (size_t r = 0; r < T; r++) {
        double nc = (double)tg->count[r], q = 0.0;
        const double *b = B + r * n;
        for (size_t j = 0; j < n; j++) {
            if (!(fabs(lam[j]) > cut))
                continue;
            double a = gram ? b[j] / nc : sqrt(fabs(w[j])) * b[j] / nc;
            q += a * a / lam[j];
        }
        double weight = ml ? nc * (double)N / (((double)N - nc) * (double)(N - 1))
                           : nc / (double)(N - 1);
        total += weight * q;
    }
    ckr_flops_add(6.0 * (double)n * (double)T + 4.0 * (double)n);
    if (shrink)
        total *= 1.0 - shrinkage;
    if (ml)
        total /= (double)T;
    int w0 = snprintf(res->info, sizeof res->info, "%s N=%zu D=%zu kept=%zu/%zu targets=%zu",
                      gram ? "gram" : "kernel", N, D, kept, n, T);
    if (shrink && w0 > 0 && (size_t)w0 < sizeof res->info)
        snprintf(res->info + w0, sizeof res->info - (size_t)w0, " shrinkage=%.6g", shrinkage);
    free(lam);
    return ckr_result_ok(res, total);
}

/* "bad-data" unless the targets suffice; 0 when they do. */
static int hs_enough(int ml, const ckr_targets *tg, ckr_result *res)
{
    if (tg->t >= (ml ? 1 : 2))
        return 0;
    return ckr_result_fail(res, CKR_EDATA, "bad-data",
                           ml ? "no label with both positive and negative samples"
                              : "fewer than 2 classes present (%d)",
                           tg->t);
}

/* The tail of hscore_core: shrinkage, the spectrum of the scaled centred
 * Gram or kernel A (n x n; overwritten) and the projections of B (T x n;
 * overwritten), into hs_finish. */
static int hs_solve(double *A, double *B, double *w, size_t n, size_t N, size_t D, int gram,
                    const ckr_targets *tg, double rcond, int shrink, double sum4, int ml,
                    ckr_result *res)
{
    double shrinkage = 0.0, mu_s = 0.0;
    if (shrink)
        hs_ledoit_wolf(A, n, N, D, gram, sum4, &shrinkage, &mu_s);
    if (!ckr_all_finite(n * n, A))
        return ckr_result_fail(res, CKR_ENUM, "numerical-error", "covariance is not finite");
    int rc = ckr_dsyev_project(n, A, w, (size_t)tg->t, B);
    if (rc)
        return ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                               "eigen-decomposition of the %zu x %zu covariance failed", n, n);
    return hs_finish(w, B, n, N, D, gram, tg, rcond, shrink, shrinkage, mu_s, ml, res);
}

static int hscore_core(const ckr_pair *pair, const ckr_params *p, ckr_result *res, int shrink)
{
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    double rcond = ((const ckr_hscore_cfg *)ckr_params_config(p))->rcond;
    const double *F = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    if (N < 2)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", "H-score needs N >= 2 samples");
    int ml = pair->kind == CKR_MULTILABEL;
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, ml, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t T = (size_t)tg.t;
    int gram = N > D;
    size_t n = gram ? D : N;
    double *mu = NULL, *A = NULL, *B = NULL, *w = NULL;
    if ((rc = hs_enough(ml, &tg, res)))
        goto cleanup;
    mu = malloc(D * sizeof *mu);
    A = malloc(n * n * sizeof *A);
    B = malloc(T * n * sizeof *B);
    w = malloc(n * sizeof *w);
    if (!mu || !A || !B || !w) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", n);
        goto cleanup;
    }
    ckr_fs_colmean(F, N, D, mu);
    double amax = ckr_fs_maxabs(F, N, D, mu);
    double scale = amax > 0.0 ? 1.0 / amax : 1.0;
    double sum4 = 0.0;
    if (gram) {
        if ((rc = ckr_fs_gram(F, D, NULL, N, mu, scale, 0, A, shrink ? &sum4 : NULL)))
            goto oom;
        ckr_fs_target_sums(F, D, mu, scale, &tg, B); /* sum of centred rows per target */
    } else {
        if ((rc = ckr_fs_kernel(F, D, NULL, N, mu, scale, 0, A)))
            goto oom;
        for (size_t i = 0; i < N; i++)
            sum4 += A[i * N + i] * A[i * N + i]; /* ||z_i||^4 */
        ckr_flops_add(2.0 * (double)N);
        /* centred indicators e_c - (n_c/N) 1: Xc^T of them = the target sums */
        for (size_t r = 0; r < T; r++) {
            double f0 = -(double)tg.count[r] / (double)N;
            for (size_t i = 0; i < N; i++)
                B[r * N + i] = f0;
        }
        for (size_t i = 0; i < N; i++) {
            if (ml) {
                for (size_t c = 0; c < (size_t)tg.ncols; c++)
                    if (tg.Y[i * (size_t)tg.ncols + c] && tg.map[c] >= 0)
                        B[(size_t)tg.map[c] * N + i] += 1.0;
            } else {
                B[(size_t)tg.map[tg.y[i]] * N + i] += 1.0;
            }
        }
    }
    rc = hs_solve(A, B, w, n, N, D, gram, &tg, rcond, shrink, sum4, ml, res);
    goto cleanup;
oom:
    rc = ckr_result_fail(res, rc, NULL, "out of memory for the Gram/kernel (order %zu)", n);
cleanup:
    free(mu);
    free(A);
    free(B);
    free(w);
    ckr_targets_free(&tg);
    return rc;
}

static int hscore_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res);
static int hscore_shrink_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng,
                               ckr_result *res);

/* A pair with N <= D on a team: its rows are no larger than the D x D Gram
 * of the team path, so every rank gathers them and runs the single-rank
 * kernel path (the same bits as `score`). */
static int small_pair_on_team(const ckr_pair *local, const ckr_team *team, size_t N, size_t D,
                              const ckr_params *p, int shrink, ckr_result *res)
{
    ckr_pair whole;
    int rc = ckr_team_gather_pair(local, team, N, D, &whole, res);
    if (rc)
        return rc;
    rc = (shrink ? hscore_shrink_score : hscore_score)(&whole, p, NULL, res);
    ckr_team_gathered_free(&whole);
    ckr_team_info_suffix(team, res);
    return rc;
}

/* The team path: global mean and largest |value| (exact max) first, then
 * the scaled centred D x D Gram, sum ||z||^4 and the target sums, each a
 * local pass summed over the team in one ckr_dist_sum; ckr_dist_syevd for
 * the spectrum and the eigenvectors the target sums are projected on. (The
 * Gram path is also correct for N <= D, same non-zero spectrum, the cut-off
 * dropping the rest; such pairs take small_pair_on_team, cheaper and exact.) */
static int hscore_core_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                            ckr_result *res, int shrink)
{
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (N <= D) /* the single-rank kernel path on the gathered rows (no more than D x D) */
        return small_pair_on_team(local, team, N, D, p, shrink, res);
    double rcond = ((const ckr_hscore_cfg *)ckr_params_config(p))->rcond;
    const double *F = local->train_features.data;
    size_t nl = local->train_features.rows;
    if (N < 2)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", "H-score needs N >= 2 samples");
    int ml = local->kind == CKR_MULTILABEL;
    ckr_targets tg;
    if ((rc = ckr_targets_init_team(team->comm, local->kind, &local->train, team->row0,
                                    local->num_classes, ml, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t T = (size_t)tg.t;
    double *mu = NULL, *AB = NULL, *w = NULL, *V = NULL, *Bp = NULL;
    if ((rc = hs_enough(ml, &tg, res)))
        goto cleanup;
    mu = calloc(D, sizeof *mu);
    AB = malloc((D * D + T * D + 1) * sizeof *AB); /* Gram, target sums, sum4: one sum */
    w = malloc(D * sizeof *w);
    V = malloc(D * D * sizeof *V);
    Bp = malloc(T * D * sizeof *Bp);
    if (!mu || !AB || !w || !V || !Bp)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", D);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    for (size_t i = 0; i < nl; i++)
        for (size_t j = 0; j < D; j++)
            mu[j] += F[i * D + j];
    ckr_flops_add((double)nl * (double)D + (double)D);
    if ((rc = ckr_team_sum(team, mu, D, "column sums", res)))
        goto cleanup;
    double inv = 1.0 / (double)N;
    for (size_t j = 0; j < D; j++)
        mu[j] *= inv;
    double amax_l = ckr_fs_maxabs(F, nl, D, mu), amax = 0.0;
    if (MPI_Allreduce(&amax_l, &amax, 1, MPI_DOUBLE, MPI_MAX, team->comm) != MPI_SUCCESS) {
        rc = ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
        goto cleanup;
    }
    double scale = amax > 0.0 ? 1.0 / amax : 1.0;
    double *A = AB, *B = AB + D * D;
    double *sum4 = B + T * D;
    rc = ckr_fs_gram(F, D, NULL, nl, mu, scale, 0, A, sum4);
    if (rc)
        rc = ckr_result_fail(res, rc, NULL, "out of memory for the Gram/kernel (order %zu)", D);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    ckr_fs_target_sums(F, D, mu, scale, &tg, B);
    if ((rc = ckr_team_sum(team, AB, D * D + T * D + 1, "Gram", res)))
        goto cleanup;
    double shrinkage = 0.0, mu_s = 0.0;
    if (shrink)
        hs_ledoit_wolf(A, D, N, D, 1, *sum4, &shrinkage, &mu_s);
    if (!ckr_all_finite(D * D, A)) {
        rc = ckr_result_fail(res, CKR_ENUM, "numerical-error", "covariance is not finite");
        goto cleanup;
    }
    if ((rc = ckr_dist_syevd(team->comm, D, A, w, V))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                             "eigen-decomposition of the %zu x %zu covariance failed", D, D);
        goto cleanup;
    }
    ckr_dgemm(0, 1, T, D, D, 1.0, B, D, V, D, 0.0, Bp, D); /* Bp[r][j] = v_j . b_r */
    rc = hs_finish(w, Bp, D, N, D, 1, &tg, rcond, shrink, shrinkage, mu_s, ml, res);
    ckr_team_info_suffix(team, res);
cleanup:
    free(mu);
    free(AB);
    free(w);
    free(V);
    free(Bp);
    ckr_targets_free(&tg);
    return rc;
}

static int hscore_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    return hscore_core(pair, p, res, 0);
}

static int hscore_shrink_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng,
                               ckr_result *res)
{
    (void)rng;
    return hscore_core(pair, p, res, 1);
}

static int hscore_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                             ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return hscore_score(local, p, rng, res);
    return hscore_core_team(local, team, p, res, 0);
}

static int hscore_shrink_score_team(const ckr_pair *local, const ckr_team *team,
                                    const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return hscore_shrink_score(local, p, rng, res);
    return hscore_core_team(local, team, p, res, 1);
}

/* The streamed form (--max-memory): one pass for the column means and the
 * largest |f - mu| (the scale), one for the scaled centred Gram, sum
 * ||z||^4 and the target sums (methods/stream.h), then as hscore_core. A
 * pair with N <= D is gathered whole (no larger than the D x D Gram). */
static int hscore_stream_core(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                              ckr_result *res, int shrink)
{
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    size_t N = rows->n, D = rows->d;
    if (N <= D) {
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = hscore_core(&whole, p, res, shrink);
        free(whole.train_features.data);
        return rc;
    }
    double rcond = ((const ckr_hscore_cfg *)ckr_params_config(p))->rcond;
    int ml = meta->kind == CKR_MULTILABEL;
    ckr_err err = { 0, "" };
    ckr_targets tg;
    if ((rc = ckr_targets_init(meta->kind, &meta->train, meta->num_classes, ml, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t T = (size_t)tg.t;
    double *mu = NULL, *A = NULL, *B = NULL, *w = NULL, amax = 0.0, sum4 = 0.0;
    if ((rc = hs_enough(ml, &tg, res)))
        goto cleanup;
    mu = malloc(D * sizeof *mu);
    A = malloc(D * D * sizeof *A);
    B = malloc(T * D * sizeof *B);
    w = malloc(D * sizeof *w);
    if (!mu || !A || !B || !w) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", D);
        goto cleanup;
    }
    if ((rc = ckr_stream_colstats(rows, mu, &amax, res)))
        goto cleanup;
    double scale = amax > 0.0 ? 1.0 / amax : 1.0;
    if ((rc = ckr_stream_gram(rows, mu, scale, &tg, A, B, shrink ? &sum4 : NULL, res)))
        goto cleanup;
    rc = hs_solve(A, B, w, D, N, D, 1, &tg, rcond, shrink, sum4, ml, res);
cleanup:
    free(mu);
    free(A);
    free(B);
    free(w);
    ckr_targets_free(&tg);
    return rc;
}

static int hscore_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                               ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    return hscore_stream_core(meta, rows, p, res, 0);
}

static int hscore_shrink_score_stream(const ckr_pair *meta, ckr_rowsrc *rows,
                                      const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    return hscore_stream_core(meta, rows, p, res, 1);
}

const ckr_method ckr_method_hscore = {
    .name = "hscore",
    .summary = "H-score tr(pinv(cov_f) cov_g) (Bao et al. 2019); multilabel: mean of per-label "
               "binary H-scores",
    .params = hscore_params,
    .check = hscore_check,
    .cost = hscore_cost,
    .score = hscore_score,
    .score_team = hscore_score_team,
    .memory = ckr_memory_hscore,
    .score_stream = hscore_score_stream,
};

const ckr_method ckr_method_hscore_shrink = {
    .name = "hscore_shrink",
    .summary = "shrinkage H-score with the Ledoit-Wolf covariance (Ibrahim et al. 2022); "
               "multilabel: mean of per-label binary scores",
    .params = hscore_params,
    .check = hscore_check,
    .cost = hscore_cost,
    .score = hscore_shrink_score,
    .score_team = hscore_shrink_score_team,
    .memory = ckr_memory_hscore,
    .score_stream = hscore_shrink_score_stream,
};
