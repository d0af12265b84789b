/* logme.c -- LogME (You et al., ICML 2021), the fixed-point algorithm of the
 * reference code (thuml/LogME `_fit_fixed_point`, METHODS.md section 7).
 *
 * Per target column y (0/1: one per class present, or one per label with a
 * positive for a multilabel task, as LogME does with regression targets):
 * the evidence of y = F w + noise, w ~ N(0, 1/alpha), noise ~ N(0, 1/beta),
 * maximised by the fixed-point updates from alpha = beta = 1 (at most
 * `iters` = 11 passes, stop when |t' - t| / t <= `tol` = 1e-3, t = alpha/beta,
 * the reference's 1e-5 guards in both denominators); score = mean over the
 * targets of evidence / N. Features are not centred.
 *
 * Spectrum, exactly as the reference: N > D -> eigenvalues sigma_j = |lambda_j|
 * of the D x D Gram F^T F, keeping the k with sqrt(sigma_j) > 1e-10, and
 * x_j = v_j . (F^T y) / sqrt(sigma_j); N <= D -> the N x N kernel F F^T,
 * all k = N eigenvalues kept (the thin SVD of the reference), x_j = u_j . y.
 * One Gram (dsyrk), one eigen-decomposition and the class sums F^T y (row
 * accumulation) serve every target: F^T y is projected on the eigenbasis
 * without forming the eigenvectors (linalg/dense_more.h).
 *
 * Log-determinant (`form`, logme.h). The default `form=exact` is the paper's
 * exact evidence: -1/2 log|alpha I + beta F^T F| over all D eigenvalues, the
 * D - k the spectrum does not keep (exact zeros, rounding noise below the
 * cut, the D - N null directions when N < D) each contributing log alpha.
 * `form=thuml` is the reference code: it sums only the k kept eigenvalues but
 * keeps (D/2) log alpha, which biases rank-deficient features (dead units,
 * duplicated columns, N < D) by (D - k)/(2N) log alpha, so its value moves
 * with how many rounding-noise eigenvalues survive (thuml/LogME issue #23);
 * on full-rank features (k = D) both forms are the same number. The old
 * switch `exact_logdet=0` still selects the thuml form. The team and
 * streamed forms below share logme_finish, hence the same form. Labels are
 * relabelled to the classes present (METHODS.md convention 2; the reference
 * loops over 0..max(y)). Status
 * "bad-data" for fewer than 2 classes (multiclass) or no label with a
 * positive (multilabel); "numerical-error" when alpha, beta or the evidence
 * stop being finite and positive where a log needs it.
 * FLOPs: log/sqrt/division count as one FLOP each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "linalg/eigen.h"
#include "linalg/featstats.h"
#include "methods/logme.h"
#include "methods/method.h"
#include "methods/memory.h"
#include "methods/pair_check.h"
#include "methods/stream.h"
#include "methods/team.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_logme_cfg);

static const ckr_param_def logme_params[] = {
    CKR_CHOICE_PARAM(ckr_logme_cfg, form, "exact", "exact|thuml",
                     "exact: the paper's evidence over all D eigenvalues; thuml: thuml/LogME's "
                     "code (sums only the kept ones; biased on rank-deficient features)"),
    CKR_INT_PARAM(ckr_logme_cfg, exact_logdet, "1",
                  "old switch: 0 selects form=thuml, 1 leaves form in charge"),
    CKR_INT_PARAM(ckr_logme_cfg, iters, "11", "maximum fixed-point passes per target"),
    CKR_DOUBLE_PARAM(ckr_logme_cfg, tol, "1e-3", "stop when |t'-t|/t <= tol, t = alpha/beta"),
    CKR_PARAMS_END,
};

static int logme_check(const void *config, ckr_param_fault *fault)
{
    const ckr_logme_cfg *c = config;
    if (c->exact_logdet != 0 && c->exact_logdet != 1)
        return ckr_param_refuse(fault, offsetof(ckr_logme_cfg, exact_logdet), "must be 0 or 1");
    if (c->iters < 1)
        return ckr_param_refuse(fault, offsetof(ckr_logme_cfg, iters), "must be >= 1");
    if (!(c->tol >= 0.0))
        return ckr_param_refuse(fault, offsetof(ckr_logme_cfg, tol), "must be >= 0");
    return 0;
}

static double logme_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = (double)(s->num_classes > 0 ? s->num_classes : 1);
    double k = n > d ? d : n;
    double gram = n > d ? n * d * d : n * n * d;
    return gram + 8.0 / 3.0 * k * k * k + 4.0 * k * k * c + n * d + 12.0 * 11.0 * k * c;
}

#define LOG_2PI 1.8378770664093454836

/* 1 for the exact evidence, 0 for the thuml form (form=thuml or the old
 * exact_logdet=0). */
static int logme_exact(const ckr_logme_cfg *o)
{
    return o->form == CKR_LOGME_EXACT && o->exact_logdet != 0;
}


/* Evidence / N of one target; returns 0, or CKR_ENUM with *why set. */
static int evidence_one(const double *sigma, const double *x2, size_t k, double r0, double N,
                        double D, const ckr_logme_cfg *o, double *out, int *iters_used,
                        const char **why)
{
    double alpha = 1.0, beta = 1.0, m2 = 0.0, res2 = 0.0;
    long it = 0;
    double flops = 0.0;
    while (it < o->iters) {
        double t = alpha / beta;
        if (!(t > 0.0) || !isfinite(t)) {
            *why = "alpha/beta is not a positive finite number";
            ckr_flops_add(flops);
            return CKR_ENUM;
        }
        double gamma = 0.0;
        m2 = 0.0;
        res2 = 0.0;
        for (size_t j = 0; j < k; j++) {
            double s = sigma[j], ts = t + s, q = 1.0 + s / t;
            gamma += s / (s + t);
            m2 += s * x2[j] / (ts * ts);
            res2 += x2[j] / (q * q);
        }
        res2 += r0;
        alpha = gamma / (m2 + 1e-5);
        beta = (N - gamma) / (res2 + 1e-5);
        flops += 13.0 * (double)k + 8.0;
        it++;
        double t2 = alpha / beta;
        if (fabs(t2 - t) / t <= o->tol)
            break;
    }
    *iters_used = (int)it;
    if (!(alpha > 0.0) || !(beta > 0.0) || !isfinite(alpha) || !isfinite(beta)) {
        *why = "alpha or beta is not a positive finite number";
        ckr_flops_add(flops);
        return CKR_ENUM;
    }
    double logdet = 0.0;
    for (size_t j = 0; j < k; j++)
        logdet += log(alpha + beta * sigma[j]);
    double la = log(alpha);
    if (logme_exact(o) && D > (double)k)
        logdet += (D - (double)k) * la;
    flops += 4.0 * (double)k + 16.0;
    ckr_flops_add(flops);
    double ev = D / 2.0 * la + N / 2.0 * log(beta) - 0.5 * logdet - beta / 2.0 * res2 -
                alpha / 2.0 * m2 - N / 2.0 * LOG_2PI;
    *out = ev / N;
    if (!isfinite(*out)) {
        *why = "evidence is not finite";
        return CKR_ENUM;
    }
    return 0;
}

/* The evidence of every target from the spectrum w[0..n) (ascending) and
 * the eigen-coordinates B (T x n) of the target vectors. Eigenvalues
 * considered: indices [first, n); cut: keep only sqrt|w| > 1e-10 (the Gram
 * rule); scaled: B holds v_j . (F^T y), divided by sqrt|w_j| (the Gram
 * path; 0 for w_j = 0), else B holds u_j . y (the kernel path). `form` and
 * the rest fill the info string. */
static int logme_finish(const ckr_logme_cfg *o, const ckr_targets *tg, ckr_task_kind kind,
                        size_t N, size_t D, const double *w, const double *B, size_t n,
                        size_t first, int cut, int scaled, const char *form, ckr_result *res)
{
    size_t T = (size_t)tg->t;
    double *sigma = malloc(n * sizeof *sigma), *x2 = malloc(n * sizeof *x2);
    size_t *keep = malloc(n * sizeof *keep);
    int rc = 0;
    if (!sigma || !x2 || !keep) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", n);
        goto cleanup;
    }
    /* kept spectrum; the coordinates of column j are scaled by 1/sqrt(sigma) on the Gram path */
    size_t k = 0;
    for (size_t j = first; j < n; j++) {
        double s = fabs(w[j]);
        if (cut && !(sqrt(s) > 1e-10))
            continue;
        keep[k] = j;
        sigma[k++] = s;
    }
    ckr_flops_add(2.0 * (double)n);
    double total = 0.0;
    int max_it = 0, capped = 0;
    for (size_t r = 0; r < T; r++) {
        const double *b = B + r * n;
        double sx = 0.0;
        for (size_t q = 0; q < k; q++) {
            size_t j = keep[q];
            double x = !scaled ? b[j] : sigma[q] > 0.0 ? b[j] / sqrt(sigma[q]) : 0.0;
            x2[q] = x * x;
            sx += x2[q];
        }
        ckr_flops_add(4.0 * (double)k);
        double r0 = (double)tg->count[r] - sx; /* ||y||^2 - sum x^2 */
        double ev = 0.0;
        int used = 0;
        const char *why = "";
        if ((rc = evidence_one(sigma, x2, k, r0, (double)N, (double)D, o, &ev, &used, &why))) {
            rc = ckr_result_fail(res, rc, "numerical-error", "%s %d: %s",
                                 kind == CKR_MULTILABEL ? "label" : "class", tg->orig[r], why);
            goto cleanup;
        }
        total += ev;
        if (used > max_it)
            max_it = used;
        capped += used >= o->iters;
    }
    snprintf(res->info, sizeof res->info, "%s N=%zu D=%zu k=%zu targets=%zu iters<=%d capped=%d%s",
             form, N, D, k, T, max_it, capped, logme_exact(o) ? "" : " form=thuml");
    rc = ckr_result_ok(res, total / (double)T);
cleanup:
    free(sigma);
    free(x2);
    free(keep);
    return rc;
}

/* Status "bad-data" unless the targets suffice; 0 when they do. */
static int logme_enough_targets(ckr_task_kind kind, const ckr_targets *tg, ckr_result *res)
{
    if (tg->t >= (kind == CKR_MULTILABEL ? 1 : 2))
        return 0;
    return ckr_result_fail(res, CKR_EDATA, "bad-data",
                           kind == CKR_MULTILABEL ? "no label has a positive sample"
                                                  : "fewer than 2 classes present (%d)",
                           tg->t);
}

/* The tail of logme_score: the n x n Gram (N > D) or kernel A (n = min(N,
 * D); overwritten), the target sums or columns B (T x n; overwritten), w
 * (n) for the spectrum. */
static int logme_solve(const ckr_logme_cfg *o, const ckr_targets *tg, ckr_task_kind kind,
                       size_t N, size_t D, double *A, double *B, double *w, ckr_result *res)
{
    size_t n = N > D ? D : N, T = (size_t)tg->t;
    if (!ckr_all_finite(n * n, A))
        return ckr_result_fail(res, CKR_ENUM, "numerical-error",
                               "Gram matrix overflows (features too large for double precision)");
    int rc = ckr_dsyev_project(n, A, w, T, B);
    if (rc)
        return ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                               "eigen-decomposition of the %zu x %zu %s failed", n, n,
                               N > D ? "Gram" : "kernel");
    return logme_finish(o, tg, kind, N, D, w, B, n, 0, N > D, N > D, N > D ? "gram" : "kernel",
                        res);
}

static int logme_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    const ckr_logme_cfg *o = ckr_params_config(p);
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    const double *F = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols, T = (size_t)tg.t;
    size_t n = N > D ? D : N; /* order of the eigenproblem */
    double *A = NULL, *B = NULL, *w = NULL;
    if ((rc = logme_enough_targets(pair->kind, &tg, res)))
        goto cleanup;
    A = malloc(n * n * sizeof *A);
    B = malloc(T * (N > D ? D : N) * sizeof *B);
    w = malloc(n * sizeof *w);
    if (!A || !B || !w) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", n);
        goto cleanup;
    }
    if (N > D) {
        /* Gram F^T F (one dsyrk on F itself) and target sums F^T y */
        if ((rc = ckr_fs_gram(F, D, NULL, N, NULL, 1.0, 0, A, NULL))) {
            rc = ckr_result_fail(res, rc, NULL, "out of memory for the %zu x %zu Gram", D, D);
            goto cleanup;
        }
        ckr_fs_target_sums(F, D, NULL, 1.0, &tg, B);
    } else {
        /* kernel F F^T and the 0/1 target columns themselves */
        if ((rc = ckr_fs_kernel(F, D, NULL, N, NULL, 1.0, 0, A))) {
            rc = ckr_result_fail(res, rc, NULL, "out of memory for the %zu x %zu kernel", N, N);
            goto cleanup;
        }
        memset(B, 0, T * N * sizeof *B);
        for (size_t i = 0; i < N; i++) {
            if (pair->kind == CKR_MULTILABEL) {
                for (size_t c = 0; c < (size_t)tg.ncols; c++)
                    if (tg.Y[i * (size_t)tg.ncols + c] && tg.map[c] >= 0)
                        B[(size_t)tg.map[c] * N + i] = 1.0;
            } else {
                B[(size_t)tg.map[tg.y[i]] * N + i] = 1.0;
            }
        }
    }
    rc = logme_solve(o, &tg, pair->kind, N, D, A, B, w, res);
cleanup:
    free(A);
    free(B);
    free(w);
    ckr_targets_free(&tg);
    return rc;
}

/* A pair with N <= D on a team: its rows are no larger than the D x D Gram
 * of the team path, so every rank gathers them and runs the single-rank
 * kernel path (the same bits as `score`). */
static int small_pair_on_team(const ckr_pair *local, const ckr_team *team, size_t N, size_t D,
                              const ckr_params *p, int unused, ckr_result *res)
{
    (void)unused;
    ckr_pair whole;
    int rc = ckr_team_gather_pair(local, team, N, D, &whole, res);
    if (rc)
        return rc;
    rc = logme_score(&whole, p, NULL, res);
    ckr_team_gathered_free(&whole);
    ckr_team_info_suffix(team, res);
    return rc;
}

/* The team path: the D x D Gram and the target sums F^T y summed over the
 * team (local dsyrk, ckr_dist_sum), the eigenvectors from ckr_dist_syevd
 * (ScaLAPACK) and F^T y projected on them. (Also correct for N <= D, where
 * the top N eigenvalues of the Gram are those of the kernel, k = N; such
 * pairs take small_pair_on_team, which is cheaper and exact.) */
static int logme_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                            ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return logme_score(local, p, rng, res);
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (N <= D) /* the single-rank kernel path on the gathered rows (no more than D x D) */
        return small_pair_on_team(local, team, N, D, p, 0, res);
    const ckr_logme_cfg *o = ckr_params_config(p);
    ckr_targets tg;
    if ((rc = ckr_targets_init_team(team->comm, local->kind, &local->train, team->row0,
                                    local->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    const double *F = local->train_features.data;
    size_t nl = local->train_features.rows, T = (size_t)tg.t;
    double *AB = NULL, *w = NULL, *V = NULL, *Bp = NULL;
    if ((rc = logme_enough_targets(local->kind, &tg, res)))
        goto cleanup;
    AB = malloc((D * D + T * D) * sizeof *AB); /* the Gram, then F^T y: one sum */
    w = malloc(D * sizeof *w);
    V = malloc(D * D * sizeof *V);
    Bp = malloc(T * D * sizeof *Bp);
    if (!AB || !w || !V || !Bp)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", D);
    else if ((rc = ckr_fs_gram(F, D, NULL, nl, NULL, 1.0, 0, AB, NULL)))
        rc = ckr_result_fail(res, rc, NULL, "out of memory for the %zu x %zu Gram", D, D);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    double *A = AB, *B = AB + D * D;
    ckr_fs_target_sums(F, D, NULL, 1.0, &tg, B);
    if ((rc = ckr_team_sum(team, AB, D * D + T * D, "Gram", res)))
        goto cleanup;
    if (!ckr_all_finite(D * D, A)) {
        rc = ckr_result_fail(res, CKR_ENUM, "numerical-error",
                             "Gram matrix overflows (features too large for double precision)");
        goto cleanup;
    }
    if ((rc = ckr_dist_syevd(team->comm, D, A, w, V))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                             "eigen-decomposition of the %zu x %zu %s failed", D, D, "Gram");
        goto cleanup;
    }
    ckr_dgemm(0, 1, T, D, D, 1.0, B, D, V, D, 0.0, Bp, D); /* Bp[r][j] = v_j . b_r */
    rc = logme_finish(o, &tg, local->kind, N, D, w, Bp, D, N > D ? 0 : D - N, N > D, 1,
                      N > D ? "gram" : "kernel", res);
    ckr_team_info_suffix(team, res);
cleanup:
    free(AB);
    free(w);
    free(V);
    free(Bp);
    ckr_targets_free(&tg);
    return rc;
}

/* The streamed form (--max-memory): the Gram F^T F and the target sums F^T y
 * accumulated over row blocks (methods/stream.h), then as logme_score. A
 * pair with N <= D (the kernel path) is gathered whole: its N x D rows are
 * no larger than the D x D Gram. */
static int logme_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                              ckr_rng *rng, ckr_result *res)
{
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    size_t N = rows->n, D = rows->d;
    if (N <= D) {
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = logme_score(&whole, p, rng, res);
        free(whole.train_features.data);
        return rc;
    }
    const ckr_logme_cfg *o = ckr_params_config(p);
    ckr_err err = { 0, "" };
    ckr_targets tg;
    if ((rc = ckr_targets_init(meta->kind, &meta->train, meta->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t T = (size_t)tg.t;
    double *A = NULL, *B = NULL, *w = NULL;
    if ((rc = logme_enough_targets(meta->kind, &tg, res)))
        goto cleanup;
    A = malloc(D * D * sizeof *A);
    B = malloc(T * D * sizeof *B);
    w = malloc(D * sizeof *w);
    if (!A || !B || !w)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (eigenproblem of order %zu)", D);
    else if (!(rc = ckr_stream_gram(rows, NULL, 1.0, &tg, A, B, NULL, res)))
        rc = logme_solve(o, &tg, meta->kind, N, D, A, B, w, res);
cleanup:
    free(A);
    free(B);
    free(w);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_logme = {
    .name = "logme",
    .summary = "LogME (You et al. 2021), fixed-point evidence; form=exact (default): the "
               "paper's exact evidence over all D eigenvalues; form=thuml: thuml/LogME's code, "
               "for parity with published numbers, biased on rank-deficient features (dead "
               "units, N < D); both agree on full-rank features; multilabel: one 0/1 target "
               "per label",
    .params = logme_params,
    .check = logme_check,
    .cost = logme_cost,
    .score = logme_score,
    .score_team = logme_score_team,
    .memory = ckr_memory_logme,
    .score_stream = logme_score_stream,
};
