/* ncti.c -- NCTI, the Neural Collapse Transferability Index (Wang et al.,
 * ICCV 2023; the reference code is NCTI_Score in BUserName/NCTI metrics.py
 * and the normalisation in its evaluate_metric_group1_cpu.py).
 *
 * On the training features X (N x D) and the classes present (C >= 2,
 * relabelled in increasing label order; multiclass only):
 *  1. Exact PCA to k = min(`dims` = 64, N, D) components (linalg/pca.h: the
 *     reference's PCA(n_components=64) lets scikit-learn pick an unseeded
 *     randomized solver on large inputs, and fails when min(N, D) < 64; here
 *     such a pair gets k = min(N, D), said in the info as "dims=k(<dims)").
 *     Components with variance <= 1e-12 x the largest (rounding noise, e.g.
 *     the N-th component of N < D rows) are left out: the svd solver below
 *     would scale that noise to unit variance and rank it.
 *  2. s = max(exp(-sum of the top min(32, k) explained variances), 1e-10)
 *     (variances with ddof 1, as scikit-learn's explained_variance_).
 *  3. scikit-learn's LinearDiscriminantAnalysis (priors = class frequencies)
 *     fitted on the PCA scores Z:
 *     - s > 1e-10: solver='eigen', shrinkage=s: the shrunk Fisher LDA of
 *       methods/lda_fit.h with the shrinkage given; transform = Z V, V the
 *       eigenvectors of the m = min(C - 1, k) largest eigenvalues;
 *     - s == 1e-10 (the usual case on real features): solver='svd' (tol
 *       1e-4): within-class rows scaled by their population std (0 -> 1) and
 *       by sqrt(1/(N - C)), their SVD, rank = #(S > 1e-4); the class means
 *       scaled the same way, their SVD, rank2 = #(S2 > 1e-4 S2[0]);
 *       scalings (k x rank2), coef and intercept as scikit-learn computes
 *       them; transform = (Z - xbar) scalings[:, :m].
 *     p(c | z) = softmax(coef_c . z + intercept_c).
 *  4. The terms (the order of res->terms):
 *       seli = the nuclear norm of the column-centred transform (N x m);
 *       ncc  = mean_i p(y_i | z_i);
 *       vc   = log sum_c || P_c ||_*, P_c the probability rows (n_c x C) of
 *              class c.
 *  5. Across the task's checkpoints (report/crossnorm.h): score =
 *     norm(seli) + norm(ncc) - norm(vc), each term min-max normalised, as
 *     the reference's evaluate script combines them.
 * Guards: N - C < 1 for the svd solver, a zero within-class scatter (eigen
 * solver) or a rank-0 LDA: status bad-data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/featstats.h"
#include "linalg/pca.h"
#include "linalg/svd.h"
#include "methods/lda_fit.h"
#include "methods/method.h"
#include "methods/ncti.h"
#include "methods/pair_check.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_ncti_cfg);

static const ckr_param_def ncti_params[] = {
    CKR_INT_PARAM(ckr_ncti_cfg, dims, "64", "PCA dimensions (min(N, D) when smaller)"),
    CKR_PARAMS_END,
};

static const double ncti_weights[3] = { 1.0, 1.0, -1.0 };

static int ncti_check(const void *config, ckr_param_fault *fault)
{
    const ckr_ncti_cfg *c = config;
    if (c->dims < 2 || c->dims > 4096)
        return ckr_param_refuse(fault, offsetof(ckr_ncti_cfg, dims), "must be in [2, 4096]");
    return 0;
}

static double ncti_dims(const ckr_pair_shape *s, const ckr_params *p)
{
    const ckr_ncti_cfg *c = ckr_params_config(p);
    double k = (double)c->dims;
    k = k < (double)s->n ? k : (double)s->n;
    return k < (double)s->d ? k : (double)s->d;
}

/* PCA (Gram or covariance and its eigen-decomposition), then the LDA on k dims */
static double ncti_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    double r = n < d ? n : d, k = ncti_dims(s, p);
    return 2.0 * n * d * r + 9.0 * r * r * r + 2.0 * n * d * k + 8.0 * n * k * k +
           4.0 * n * k * c + 7.0 * k * k * k;
}

/* PCA: a centred copy, the r x r Gram or covariance and its vectors; then
 * scores, the LDA's rows, probabilities and small matrices */
static double ncti_memory(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    if (block > 0)
        return -1.0;
    double n = (double)s->n, d = (double)s->d, c = s->num_classes > 0 ? s->num_classes : 1;
    double r = n < d ? n : d, k = ncti_dims(s, p);
    return 8.0 * (n * d + 3.0 * r * r + r * d + 5.0 * n * k + 5.0 * n * c + 6.0 * k * k +
                  6.0 * c * k + 4.0 * k) +
           4.0 * n + 4194304.0;
}

/* scikit-learn's solver='svd' on Z (N x k): probabilities into prob (N x C)
 * and the transform's scalings (k x *m) into scal (k x min(C, k) room),
 * xbar (k). Returns 0 or a CKR_E* code with msg set. */
static int lda_svd(const double *Z, size_t N, size_t k, size_t C, const int *cls,
                   const size_t *count, double *prob, double *scal_out, size_t *m_out,
                   double *xbar, char *msg, size_t msglen)
{
    size_t kk = N < k ? N : k, rank = 0, rank2 = 0, k2;
    double *means = calloc(C * k, sizeof *means), *Xc = malloc(N * k * sizeof *Xc);
    double *stdv = calloc(k, sizeof *stdv), *S = malloc(kk * sizeof *S);
    double *Vt = malloc(kk * k * sizeof *Vt), *sc = NULL, *Xb = NULL, *S2 = NULL, *Vt2 = NULL;
    double *coef0 = NULL, *coef = NULL, *ic = malloc(C * sizeof *ic);
    int rc = 0;
    if (!means || !Xc || !stdv || !S || !Vt || !ic) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    if (N <= C) {
        snprintf(msg, msglen, "N=%zu samples for C=%zu classes: the svd solver needs N > C",
                 N, C);
        rc = CKR_EDATA;
        goto cleanup;
    }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < k; j++)
            means[(size_t)cls[i] * k + j] += Z[i * k + j];
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < k; j++)
            means[c * k + j] /= (double)count[c];
    memset(xbar, 0, k * sizeof *xbar);
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < k; j++)
            xbar[j] += (double)count[c] / (double)N * means[c * k + j];
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < k; j++)
            Xc[i * k + j] = Z[i * k + j] - means[(size_t)cls[i] * k + j];
    for (size_t j = 0; j < k; j++) {
        double a = 0.0, v = 0.0;
        for (size_t i = 0; i < N; i++)
            a += Xc[i * k + j];
        a /= (double)N;
        for (size_t i = 0; i < N; i++)
            v += (Xc[i * k + j] - a) * (Xc[i * k + j] - a);
        stdv[j] = sqrt(v / (double)N);
        if (stdv[j] == 0.0)
            stdv[j] = 1.0;
    }
    double fac = sqrt(1.0 / (double)(N - C));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < k; j++)
            Xc[i * k + j] = fac * (Xc[i * k + j] / stdv[j]);
    ckr_flops_add(8.0 * (double)N * (double)k);
    if ((rc = ckr_svd_thin(N, k, Xc, S, Vt))) {
        snprintf(msg, msglen, "the SVD of the within-class rows failed");
        goto cleanup;
    }
    while (rank < kk && S[rank] > 1e-4)
        rank++;
    if (rank == 0) {
        snprintf(msg, msglen, "the within-class rows have rank 0");
        rc = CKR_EDATA;
        goto cleanup;
    }
    sc = malloc(k * rank * sizeof *sc);
    Xb = malloc(C * rank * sizeof *Xb);
    k2 = C < rank ? C : rank;
    S2 = malloc(k2 * sizeof *S2);
    Vt2 = malloc(k2 * rank * sizeof *Vt2);
    coef0 = malloc(C * k * sizeof *coef0);
    coef = malloc(C * k * sizeof *coef);
    if (!sc || !Xb || !S2 || !Vt2 || !coef0 || !coef) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    for (size_t j = 0; j < k; j++)
        for (size_t r = 0; r < rank; r++)
            sc[j * rank + r] = Vt[r * k + j] / stdv[j] / S[r];
    double fb = C > 1 ? 1.0 / (double)(C - 1) : 1.0;
    for (size_t c = 0; c < C; c++) {
        double w = sqrt((double)N * ((double)count[c] / (double)N) * fb);
        for (size_t r = 0; r < rank; r++) {
            double a = 0.0;
            for (size_t j = 0; j < k; j++)
                a += w * (means[c * k + j] - xbar[j]) * sc[j * rank + r];
            Xb[c * rank + r] = a;
        }
    }
    if ((rc = ckr_svd_thin(C, rank, Xb, S2, Vt2))) {
        snprintf(msg, msglen, "the SVD of the scaled class means failed");
        goto cleanup;
    }
    while (rank2 < k2 && S2[rank2] > 1e-4 * S2[0])
        rank2++;
    if (rank2 == 0) {
        snprintf(msg, msglen, "the class means coincide: the LDA has rank 0");
        rc = CKR_EDATA;
        goto cleanup;
    }
    /* scalings_ = sc Vt2[:rank2]^T (k x rank2) */
    for (size_t j = 0; j < k; j++)
        for (size_t r = 0; r < rank2; r++) {
            double a = 0.0;
            for (size_t q = 0; q < rank; q++)
                a += sc[j * rank + q] * Vt2[r * rank + q];
            scal_out[j * rank2 + r] = a;
        }
    for (size_t c = 0; c < C; c++) {
        double sq = 0.0;
        for (size_t r = 0; r < rank2; r++) {
            double a = 0.0;
            for (size_t j = 0; j < k; j++)
                a += (means[c * k + j] - xbar[j]) * scal_out[j * rank2 + r];
            coef0[c * rank2 + r] = a;
            sq += a * a;
        }
        ic[c] = -0.5 * sq + log((double)count[c] / (double)N);
    }
    for (size_t c = 0; c < C; c++) {
        double dx = 0.0;
        for (size_t j = 0; j < k; j++) {
            double a = 0.0;
            for (size_t r = 0; r < rank2; r++)
                a += coef0[c * rank2 + r] * scal_out[j * rank2 + r];
            coef[c * k + j] = a;
            dx += xbar[j] * a;
        }
        ic[c] -= dx;
    }
    ckr_flops_add(2.0 * (double)k * (double)rank * (double)(C + rank2) +
                  4.0 * (double)C * (double)k * (double)rank2);
    ckr_dgemm(0, 1, N, C, k, 1.0, Z, k, coef, k, 0.0, prob, C);
    for (size_t i = 0; i < N; i++) {
        double *p = prob + i * C, mx = -INFINITY, sum = 0.0;
        for (size_t c = 0; c < C; c++) {
            p[c] += ic[c];
            mx = p[c] > mx ? p[c] : mx;
        }
        for (size_t c = 0; c < C; c++)
            sum += (p[c] = exp(p[c] - mx));
        for (size_t c = 0; c < C; c++)
            p[c] /= sum;
    }
    ckr_flops_add(25.0 * (double)N * (double)C);
    *m_out = rank2;
cleanup:
    free(means);
    free(Xc);
    free(stdv);
    free(S);
    free(Vt);
    free(sc);
    free(Xb);
    free(S2);
    free(Vt2);
    free(coef0);
    free(coef);
    free(ic);
    return rc;
}

/* seli, ncc and vc from the transform low (N x m, centred here) and prob */
static int ncti_terms(double *low, size_t N, size_t m, const double *prob, size_t C,
                      const int *cls, const size_t *count, double *t, char *msg, size_t msglen)
{
    for (size_t r = 0; r < m; r++) {
        double a = 0.0;
        for (size_t i = 0; i < N; i++)
            a += low[i * m + r];
        a /= (double)N;
        for (size_t i = 0; i < N; i++)
            low[i * m + r] -= a;
    }
    int rc = ckr_nuclear_norm(N, m, low, &t[0]);
    double ncc = 0.0, vc = 0.0;
    for (size_t i = 0; i < N; i++)
        ncc += prob[i * C + (size_t)cls[i]];
    t[1] = ncc / (double)N;
    size_t nmax = 0;
    for (size_t c = 0; c < C; c++)
        nmax = count[c] > nmax ? count[c] : nmax;
    double *P = rc ? NULL : malloc(nmax * C * sizeof *P);
    if (!rc && !P)
        rc = CKR_ENOMEM;
    for (size_t c = 0; c < C && !rc; c++) {
        size_t r = 0;
        for (size_t i = 0; i < N; i++)
            if ((size_t)cls[i] == c)
                memcpy(P + (r++) * C, prob + i * C, C * sizeof *P);
        double nuc = 0.0;
        rc = ckr_nuclear_norm(r, C, P, &nuc);
        vc += nuc;
    }
    free(P);
    if (rc) {
        snprintf(msg, msglen, rc == CKR_ENOMEM ? "out of memory" : "an SVD did not converge");
        return rc;
    }
    if (!(vc > 0.0)) {
        snprintf(msg, msglen, "the class probability matrices have nuclear norm %g", vc);
        return CKR_ENUM;
    }
    t[2] = log(vc);
    return 0;
}

static int ncti_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "NCTI's LDA needs single-label classes");
    const ckr_ncti_cfg *cfg = ckr_params_config(p);
    const double *X = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t C = (size_t)tg.t, k = (size_t)cfg->dims;
    k = k < N ? k : N;
    k = k < D ? k : D;
    ckr_pca_result pr;
    memset(&pr, 0, sizeof pr);
    ckr_lda_work wk;
    memset(&wk, 0, sizeof wk);
    int *cls = NULL;
    double *prob = NULL, *scal = NULL, *low = NULL, *xbar = NULL;
    const double *P = NULL; /* N x C: p(c | z_i) */
    char msg[200] = "";
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg.t);
        goto cleanup;
    }
    if ((rc = ckr_pca_fit_transform(X, N, D, (double)k, &pr, &err))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "bad-data", "PCA: %s", err.msg);
        goto cleanup;
    }
    /* components with variance <= 1e-12 x the largest are rounding noise (the
       N-th of N < D centred rows): the svd solver would scale them to unit
       variance, so they are left out */
    size_t kp = pr.d;
    for (k = 0; k < kp && pr.variance[k] > 1e-12 * pr.variance[0];)
        k++;
    if (k < kp) {
        for (size_t i = 0; i < N; i++)
            memmove(pr.scores + i * k, pr.scores + i * kp, k * sizeof *pr.scores);
    }
    const double *Z = pr.scores;
    double top = 0.0;
    for (size_t j = 0; j < k && j < 32; j++)
        top += pr.variance[j];
    double s = exp(-top);
    int svd = !(s > 1e-10);
    s = svd ? 1e-10 : s;
    size_t m = C - 1 < k ? C - 1 : k;
    cls = malloc(N * sizeof *cls);
    prob = svd ? malloc(N * C * sizeof *prob) : NULL;
    scal = malloc(k * (C < k ? C : k) * sizeof *scal);
    low = malloc(N * (m > 0 ? m : 1) * sizeof *low);
    xbar = malloc(k * sizeof *xbar);
    if (!cls || (svd && !prob) || !scal || !low || !xbar) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (N=%zu k=%zu C=%zu)", N, k, C);
        goto cleanup;
    }
    for (size_t i = 0; i < N; i++)
        cls[i] = tg.map[tg.y[i]];
    if (svd) {
        size_t r2 = 0;
        rc = lda_svd(Z, N, k, C, cls, tg.count, prob, scal, &r2, xbar, msg, sizeof msg);
        if (rc)
            goto fail;
        P = prob;
        m = m < r2 ? m : r2;
        for (size_t i = 0; i < N; i++)
            for (size_t r = 0; r < m; r++) {
                double a = 0.0;
                for (size_t j = 0; j < k; j++)
                    a += (Z[i * k + j] - xbar[j]) * scal[j * r2 + r];
                low[i * m + r] = a;
            }
    } else {
        if ((rc = ckr_lda_work_alloc(&wk, k, C, N, 0, 0))) {
            snprintf(msg, sizeof msg, "out of memory");
            goto fail;
        }
        /* the rows in one block: wk.prob gets every row's p(c | z) */
        ckr_lda_src src = { .n = N, .N = N, .D = k, .C = C, .block = N, .X = Z, .cls = cls,
                            .count = tg.count };
        double sh = s, lam;
        if ((rc = ckr_lda_fit(&src, &wk, 1, &sh, &lam, res)) ||
            (rc = ckr_lda_predict(&src, &wk, NULL, NULL, res))) {
            ckr_lda_prefix(res, "LDA");
            goto cleanup;
        }
        P = wk.prob;
        /* wk.A: eigenvectors as rows, eigenvalues ascending: the last m rows */
        for (size_t i = 0; i < N; i++)
            for (size_t r = 0; r < m; r++) {
                const double *v = wk.A + (k - 1 - r) * k;
                double a = 0.0;
                for (size_t j = 0; j < k; j++)
                    a += Z[i * k + j] * v[j];
                low[i * m + r] = a;
            }
    }
    ckr_flops_add(2.0 * (double)N * (double)k * (double)m);
    double t[3];
    if ((rc = ncti_terms(low, N, m, P, C, cls, tg.count, t, msg, sizeof msg)))
        goto fail;
    snprintf(res->info, sizeof res->info,
             "dims=%zu%s solver=%s shrinkage=%.4g lda_dims=%zu classes=%zu seli=%.6g ncc=%.6g "
             "vc=%.6g",
             k, k < (size_t)cfg->dims ? "(<dims)" : "", svd ? "svd" : "eigen", s, m, C, t[0],
             t[1], t[2]);
    rc = ckr_result_terms(res, t, ncti_weights, 3);
    goto cleanup;
fail:
    rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : rc == CKR_EDATA ? "bad-data"
                                                                            : "numerical-error",
                         "LDA: %s", msg);
cleanup:
    ckr_pca_result_free(&pr);
    ckr_lda_work_free(&wk);
    free(cls);
    free(prob);
    free(scal);
    free(low);
    free(xbar);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_ncti = {
    .name = "ncti",
    .summary = "NCTI: neural collapse transferability index (Wang et al. 2023): exact PCA to "
               "dims=64, scikit-learn's LDA (shrinkage exp(-top-32 variances), svd solver at "
               "the 1e-10 floor); terms seli (nuclear norm), ncc (mean p(y|x)), vc (log class "
               "nuclear norms); score = min-max(seli) + min-max(ncc) - min-max(vc) across the "
               "task's checkpoints; multiclass only; one rank (no team or stream form)",
    .params = ncti_params,
    .check = ncti_check,
    .cost = ncti_cost,
    .score = ncti_score,
    .score_team = NULL,
    .memory = ncti_memory,
    .score_stream = NULL,
    .n_terms = 3,
    .term_weights = ncti_weights,
};
