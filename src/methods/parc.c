/* parc.c -- PARC, Pairwise Annotation Representation Comparison (Bolya et
 * al., NeurIPS 2021; dbolya/parc methods.py, and PARC_Score in
 * TencentARC/SFDA metrics.py).
 *
 * On n samples (all N, or the subsample below):
 *  1. PCA of the features to d = min(`dims`, n, D) components (default 32),
 *     exact and deterministic (linalg/pca.h, scikit-learn's full-SVD
 *     semantics; the reference's randomized PCA cannot be reproduced outside
 *     numpy). Each component's sign makes its entry of largest magnitude
 *     positive (the first on ties; scikit-learn <= 1.4's svd_flip), since
 *     the row correlations below depend on the signs.
 *  2. StandardScaler: each component divided by its population standard
 *     deviation. A component whose variance is <= 1e-12 x the largest is
 *     rounding noise (rank < d, e.g. n <= d) and is left out (scikit-learn
 *     would keep the noise unscaled); fewer than 2 components left is
 *     "bad-data".
 *  3. RDM_f = 1 - corrcoef of the rows (each sample's d standardised values),
 *     RDM_y = 1 - corrcoef of the label rows (one-hot for a multiclass task:
 *     0 within a class, C/(C-1) across; a multilabel task's 0/1 rows).
 *  4. PARC = 100 x Spearman correlation (average ranks for ties, as
 *     scipy.stats.spearmanr) of the upper triangles of RDM_f and RDM_y.
 * Ties: every RDM entry is rounded to a multiple of 2^-40 (~1e-12) before
 * ranking, so values equal up to rounding tie, as they do mathematically
 * (one-hot label rows, duplicate images). The reference ranks numpy's
 * rounding noise there (same-class entries 0 or 2e-16 by class): that is
 * not reproducible and not transferability.
 * Cost is O(n^2): with more than `max_n` samples (default 10,000; 0 =
 * never) a subsample, drawn with the item's RNG, is scored: per class
 * floor(max_n n_c / N) samples, at least 1 (the reference's initLabeled;
 * the SFDA copy computes such a subsample and then scores all samples
 * anyway); multilabel: max_n samples uniformly. The info says so.
 * Multilabel: samples whose label row is constant (no positive, or all
 * positive) have no correlation and are left out (counted in the info);
 * the reference would return NaN. Multiclass: classes are those present,
 * at least 2; every class of one sample (no within-class pair) is
 * "bad-data". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/featstats.h"
#include "linalg/pca.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "methods/parc.h"
#include "methods/parc_core.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_parc_cfg);

static const ckr_param_def parc_params[] = {
    CKR_INT_PARAM(ckr_parc_cfg, dims, "32", "PCA dimensions (clamped to min(N, D))"),
    CKR_INT_PARAM(ckr_parc_cfg, max_n, "10000",
                  "above this many samples score a seeded stratified subsample; 0 = never"),
    CKR_PARAMS_END,
};

static int parc_check(const void *config, ckr_param_fault *fault)
{
    const ckr_parc_cfg *c = config;
    if (c->dims < 2 || c->dims > 4096)
        return ckr_param_refuse(fault, offsetof(ckr_parc_cfg, dims), "must be in [2, 4096]");
    if (c->max_n < 0 || c->max_n == 1 || c->max_n > 90000)
        return ckr_param_refuse(fault, offsetof(ckr_parc_cfg, max_n),
                                "must be 0 or in [2, 90000]");
    return 0;
}

/* the samples scored: min(N, max_n) (+ C for the per-class rounding up) */
static double parc_n(const ckr_pair_shape *s, const ckr_parc_cfg *cfg)
{
    double n = (double)s->n;
    if (cfg->max_n > 0 && n > (double)cfg->max_n)
        n = (double)cfg->max_n + (s->num_classes > 0 ? s->num_classes : 0);
    return n;
}

static double parc_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    const ckr_parc_cfg *cfg = ckr_params_config(p);
    double n = parc_n(s, cfg), D = (double)s->d, k = n < D ? n : D, d = (double)cfg->dims;
    double M = n * (n - 1) / 2;
    return n * k * D + 4.0 / 3.0 * k * k * k + 2.0 * n * D * d + 2.0 * M * d +
           20.0 * M * log2(M + 2.0);
}

/* 16 M (multilabel 24 M + ...) for the pair values and glibc's qsort, which
 * merges through a copy of the array it sorts; the sample copy, the PCA
 * (3 k^2 + its block, k = min(n, D)), the components and a block of rows
 * of the pair products, + 4 MiB (OpenBLAS). Streamed (blocks of b rows):
 * the sample is always a copy, plus the block read and the N indices. */
static double parc_memory(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    const ckr_parc_cfg *cfg = ckr_params_config(p);
    double n = parc_n(s, cfg), D = (double)s->d, k = n < D ? n : D, d = (double)cfg->dims;
    double M = n * (n - 1) / 2, C = s->num_classes > 0 ? s->num_classes : 1;
    double pairs = s->kind == CKR_MULTILABEL ? 24.0 * M + n * C : 16.0 * M;
    double copy = (double)s->n > n || s->kind == CKR_MULTILABEL ? 8.0 * n * D : 0.0;
    if (block > 0) {
        double b = (double)block < (double)s->n ? (double)block : (double)s->n;
        copy = 8.0 * n * D + 8.0 * b * D + 8.0 * (double)s->n;
    }
    double pca = 8.0 * (3.0 * k * k + (n <= D ? n * D : 1024.0 * D) + 2.0 * D + k * d);
    return pairs + copy + pca + 8.0 * (3.0 * n * d + 128.0 * n + 4.0 * n) + 4194304.0;
}

/* The scored samples, ascending, into sel (*n of them); for multilabel the
 * rows with a constant label row are skipped first (*dropped). */
static int parc_select(const ckr_pair *pair, const ckr_targets *tg, long max_n, ckr_rng *rng,
                       size_t *sel, size_t *n, size_t *dropped)
{
    size_t N = pair->train.n, L = (size_t)pair->num_classes, m = 0;
    *dropped = 0;
    for (size_t i = 0; i < N; i++) {
        if (pair->kind == CKR_MULTILABEL) {
            size_t k = 0;
            for (size_t c = 0; c < L; c++)
                k += pair->train.Y[i * L + c] != 0;
            if (k == 0 || k == L) {
                (*dropped)++;
                continue;
            }
        }
        sel[m++] = i;
    }
    *n = m;
    if (max_n <= 0 || m <= (size_t)max_n)
        return 0;
    unsigned char *keep = calloc(N, 1);
    size_t *pool = malloc(m * sizeof *pool);
    if (!keep || !pool) {
        free(keep);
        free(pool);
        return CKR_ENOMEM;
    }
    int groups = pair->kind == CKR_MULTILABEL ? 1 : tg->t;
    for (int g = 0; g < groups; g++) {
        size_t np = 0;
        for (size_t t = 0; t < m; t++)
            if (groups == 1 || tg->map[tg->y[sel[t]]] == g)
                pool[np++] = sel[t];
        size_t k = groups == 1 ? (size_t)max_n : (size_t)max_n * np / m;
        k = k < 1 ? 1 : k;
        for (size_t t = 0; t < k; t++) { /* partial Fisher-Yates */
            size_t j = t + (size_t)ckr_rng_below(rng, (uint64_t)(np - t));
            size_t tmp = pool[t];
            pool[t] = pool[j];
            pool[j] = tmp;
            keep[pool[t]] = 1;
        }
    }
    size_t out = 0;
    for (size_t i = 0; i < N; i++)
        if (keep[i])
            sel[out++] = i;
    *n = out;
    free(keep);
    free(pool);
    return 0;
}

/* PCA scores (n x d) -> signs, standardisation, noise components dropped,
 * rows centred and scaled to unit norm, packed into U (n x *du). */
static int parc_rows(const double *S, size_t n, size_t d, double *U, size_t *du, char *msg,
                     size_t msglen)
{
    double *mean = calloc(d, sizeof *mean), *var = calloc(d, sizeof *var);
    double *scale = calloc(d, sizeof *scale);
    size_t *cols = malloc(d * sizeof *cols), k = 0;
    int rc = 0;
    if (!mean || !var || !scale || !cols) {
        snprintf(msg, msglen, "out of memory");
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    double vmax = 0.0;
    for (size_t j = 0; j < d; j++) {
        double big = -1.0, sg = 1.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            mean[j] += S[i * d + j];
        mean[j] /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double x = S[i * d + j], e = x - mean[j];
            v += e * e;
            if (fabs(x) > big) { /* the first entry of largest magnitude */
                big = fabs(x);
                sg = x < 0.0 ? -1.0 : 1.0;
            }
        }
        var[j] = v / (double)n;
        vmax = var[j] > vmax ? var[j] : vmax;
        scale[j] = var[j] > 0.0 ? sg / sqrt(var[j]) : 0.0;
    }
    for (size_t j = 0; j < d; j++)
        if (var[j] > 1e-12 * vmax)
            cols[k++] = j;
    *du = k;
    if (k < 2) {
        snprintf(msg, msglen, "the features span %zu dimension%s after PCA (rows have no "
                 "correlation)", k, k == 1 ? "" : "s");
        rc = CKR_EDATA;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        double *u = U + i * k, rm = 0.0, nn = 0.0;
        for (size_t t = 0; t < k; t++) {
            size_t j = cols[t];
            u[t] = (S[i * d + j] - mean[j]) * scale[j];
            rm += u[t];
        }
        rm /= (double)k;
        for (size_t t = 0; t < k; t++) {
            u[t] -= rm;
            nn += u[t] * u[t];
        }
        nn = sqrt(nn);
        if (!(nn > 0.0)) {
            snprintf(msg, msglen, "sample %zu has equal standardised values in all %zu "
                     "dimensions (its correlation is undefined)", i, k);
            rc = CKR_EDATA;
            goto cleanup;
        }
        for (size_t t = 0; t < k; t++)
            u[t] /= nn;
    }
    ckr_flops_add(10.0 * (double)n * (double)d);
cleanup:
    free(mean);
    free(var);
    free(scale);
    free(cols);
    return rc;
}

static double parc_snap(double r)
{
    return rint(r * 1099511627776.0) / 1099511627776.0; /* 2^40 */
}

static int parc_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Row block [i0, i1) of U U^T into G ((i1 - i0) x n). */
static void parc_block(const double *U, size_t n, size_t k, size_t i0, size_t i1, double *G)
{
    ckr_dgemm(0, 1, i1 - i0, n - i0, k, 1.0, U + i0 * k, k, U + i0 * k, k, 0.0, G, n - i0);
}

#define PARC_BLOCK 128

/* Multiclass: RDM_y takes two values (0 within a class < across), so the
 * Spearman correlation needs the ranks of RDM_f only: the within pairs'
 * values (S) and the across ones (T) sorted apart and merged. */
static int parc_rho_classes(const double *U, size_t n, size_t k, const int *cls, double *rho,
                            char *msg, size_t msglen)
{
    size_t M = n * (n - 1) / 2, ns = 0;
    double *G = malloc(PARC_BLOCK * n * sizeof *G), *S = NULL;
    size_t *cnt = NULL;
    int C = 0;
    for (size_t i = 0; i < n; i++)
        C = cls[i] + 1 > C ? cls[i] + 1 : C;
    cnt = calloc((size_t)C, sizeof *cnt);
    if (G && cnt) {
        for (size_t i = 0; i < n; i++)
            cnt[cls[i]]++;
        for (int c = 0; c < C; c++)
            ns += cnt[c] * (cnt[c] - (cnt[c] > 0)) / 2;
        S = malloc((M > 0 ? M : 1) * sizeof *S);
    }
    if (!G || !cnt || !S) {
        free(G);
        free(cnt);
        free(S);
        snprintf(msg, msglen, "out of memory (n=%zu: %zu pairs)", n, M);
        return CKR_ENOMEM;
    }
    double *T = S + ns; /* within pairs first, across pairs after */
    size_t a = 0, b = 0;
    for (size_t i0 = 0; i0 < n; i0 += PARC_BLOCK) {
        size_t i1 = i0 + PARC_BLOCK < n ? i0 + PARC_BLOCK : n, w = n - i0;
        parc_block(U, n, k, i0, i1, G);
        for (size_t i = i0; i < i1; i++)
            for (size_t j = i + 1; j < n; j++) {
                double r = parc_snap(1.0 - G[(i - i0) * w + (j - i0)]);
                if (cls[i] == cls[j])
                    S[a++] = r;
                else
                    T[b++] = r;
            }
    }
    free(G);
    free(cnt);
    size_t nt = M - ns;
    int rc = 0;
    if (ns == 0 || nt == 0) {
        snprintf(msg, msglen, "%s", ns == 0 ? "no two samples share a class (the label "
                                              "dissimilarities are constant)"
                                            : "one class (the label dissimilarities are "
                                              "constant)");
        free(S);
        return CKR_EDATA;
    }
    qsort(S, ns, sizeof *S, parc_cmp);
    qsort(T, nt, sizeof *T, parc_cmp);
    ckr_flops_add(8.0 * (double)M); /* snaps and the rank sums; dgemm counts the products */
    /* Pearson of (average) ranks; mean rank m = (M + 1) / 2 for both */
    double m = ((double)M + 1.0) / 2.0, ys = ((double)ns + 1.0) / 2.0 - m,
           yt = (double)ns + ((double)nt + 1.0) / 2.0 - m;
    double sxy = 0.0, sxx = 0.0, r0 = 0.0;
    size_t p = 0, q = 0;
    while (p < ns || q < nt) {
        double v = p < ns && (q >= nt || S[p] <= T[q]) ? S[p] : T[q];
        size_t s = 0, t = 0;
        while (p < ns && S[p] == v) {
            p++;
            s++;
        }
        while (q < nt && T[q] == v) {
            q++;
            t++;
        }
        double x = r0 + (double)(s + t + 1) / 2.0 - m;
        sxy += x * ((double)s * ys + (double)t * yt);
        sxx += (double)(s + t) * x * x;
        r0 += (double)(s + t);
    }
    double syy = (double)ns * ys * ys + (double)nt * yt * yt;
    free(S);
    if (!(sxx > 0.0)) {
        snprintf(msg, msglen, "the feature dissimilarities are all equal");
        rc = CKR_EDATA;
    } else {
        *rho = sxy / sqrt(sxx * syy);
    }
    return rc;
}

/* Replace v[0..M) by its average ranks (1-based) through the permutation
 * buffer perm (sorted by v here). */
static const double *parc_sort_base;
static int parc_cmp_idx(const void *a, const void *b)
{
    double x = parc_sort_base[*(const uint32_t *)a], y = parc_sort_base[*(const uint32_t *)b];
    if (x != y)
        return (x > y) - (x < y);
    return (*(const uint32_t *)a > *(const uint32_t *)b) -
           (*(const uint32_t *)a < *(const uint32_t *)b);
}

static void parc_ranks(double *v, uint32_t *perm, size_t M)
{
    for (size_t i = 0; i < M; i++)
        perm[i] = (uint32_t)i;
    parc_sort_base = v;
    qsort(perm, M, sizeof *perm, parc_cmp_idx);
    for (size_t a = 0; a < M;) {
        size_t b = a + 1;
        while (b < M && v[perm[b]] == v[perm[a]])
            b++;
        double r = ((double)a + (double)b + 1.0) / 2.0;
        for (size_t t = a; t < b; t++)
            v[perm[t]] = r;
        a = b;
    }
}

/* Multilabel: RDM_y from the 0/1 label rows (L columns) by the exact
 * integer form 1 - (L o - k1 k2) / sqrt(k1 (L - k1) k2 (L - k2)), both
 * RDMs ranked by sorting. */
static int parc_rho_general(const double *U, size_t n, size_t k, const uint8_t *Y, size_t L,
                            const size_t *sel, double *rho, char *msg, size_t msglen)
{
    size_t M = n * (n - 1) / 2;
    if (M > (size_t)UINT32_MAX) {
        snprintf(msg, msglen, "%zu samples: too many pairs to rank (set max_n <= 90000)", n);
        return CKR_EDATA;
    }
    double *x = malloc(M * sizeof *x), *y = malloc(M * sizeof *y);
    double *G = malloc(PARC_BLOCK * n * sizeof *G), *kk = malloc(n * sizeof *kk);
    uint32_t *perm = malloc(M * sizeof *perm);
    int rc = 0;
    if (!x || !y || !G || !kk || !perm) {
        snprintf(msg, msglen, "out of memory (n=%zu: %zu pairs)", n, M);
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        double c = 0.0;
        for (size_t l = 0; l < L; l++)
            c += Y[sel[i] * L + l] != 0;
        kk[i] = c;
    }
    size_t t = 0;
    for (size_t i0 = 0; i0 < n; i0 += PARC_BLOCK) {
        size_t i1 = i0 + PARC_BLOCK < n ? i0 + PARC_BLOCK : n, w = n - i0;
        parc_block(U, n, k, i0, i1, G);
        for (size_t i = i0; i < i1; i++) {
            const uint8_t *yi = Y + sel[i] * L;
            for (size_t j = i + 1; j < n; j++, t++) {
                const uint8_t *yj = Y + sel[j] * L;
                double o = 0.0, Ld = (double)L;
                for (size_t l = 0; l < L; l++)
                    o += yi[l] && yj[l];
                double num = Ld * o - kk[i] * kk[j];
                double den = sqrt(kk[i] * (Ld - kk[i]) * kk[j] * (Ld - kk[j]));
                x[t] = parc_snap(1.0 - G[(i - i0) * w + (j - i0)]);
                y[t] = parc_snap(1.0 - num / den);
            }
        }
    }
    parc_ranks(x, perm, M);
    parc_ranks(y, perm, M);
    ckr_flops_add(2.0 * (double)M * (double)L + 20.0 * (double)M); /* labels, snaps, sums */
    double m = ((double)M + 1.0) / 2.0, sxy = 0.0, sxx = 0.0, syy = 0.0;
    for (size_t i = 0; i < M; i++) {
        double a = x[i] - m, b = y[i] - m;
        sxy += a * b;
        sxx += a * a;
        syy += b * b;
    }
    if (!(sxx > 0.0) || !(syy > 0.0)) {
        snprintf(msg, msglen, "the %s dissimilarities are all equal",
                 sxx > 0.0 ? "label" : "feature");
        rc = CKR_EDATA;
    } else {
        *rho = sxy / sqrt(sxx * syy);
    }
cleanup:
    free(x);
    free(y);
    free(G);
    free(kk);
    free(perm);
    return rc;
}

int ckr_parc_core(const ckr_pair *lab, const ckr_targets *tg, const size_t *sel, size_t n,
                     size_t dropped, size_t N, const double *Xs, size_t D,
                     const ckr_parc_cfg *cfg, ckr_result *res)
{
    int ml = lab->kind == CKR_MULTILABEL, rc = 0;
    double *U = NULL, rho = NAN;
    int *cls = NULL;
    size_t du = 0;
    ckr_pca_result pr;
    memset(&pr, 0, sizeof pr);
    ckr_err err = { 0, "" };
    char msg[200] = "";
    size_t d = (size_t)cfg->dims;
    d = d < n ? d : n;
    d = d < D ? d : D;
    if (d < 2)
        return ckr_result_fail(res, CKR_EDATA, "bad-data", "D=%zu: PARC needs 2 dimensions", D);
    if ((rc = ckr_pca_fit_transform(Xs, n, D, (double)d, &pr, &err))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "bad-data", "PCA: %s", err.msg);
        goto cleanup;
    }
    U = malloc(n * pr.d * sizeof *U);
    cls = malloc(n * sizeof *cls);
    if (!U || !cls) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (n=%zu d=%zu)", n, pr.d);
        goto cleanup;
    }
    if ((rc = parc_rows(pr.scores, n, pr.d, U, &du, msg, sizeof msg))) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "bad-data", "%s", msg);
        goto cleanup;
    }
    if (ml) {
        rc = parc_rho_general(U, n, du, lab->train.Y, (size_t)lab->num_classes, sel, &rho, msg,
                              sizeof msg);
    } else {
        for (size_t i = 0; i < n; i++)
            cls[i] = tg->map[tg->y[sel[i]]];
        rc = parc_rho_classes(U, n, du, cls, &rho, msg, sizeof msg);
    }
    if (rc) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "bad-data", "%s", msg);
        goto cleanup;
    }
    int len = snprintf(res->info, sizeof res->info, "d=%zu n=%zu", du, n);
    if (n + dropped < N && len > 0 && (size_t)len < sizeof res->info)
        len += snprintf(res->info + len, sizeof res->info - (size_t)len,
                        " sampled %zu of %zu (%s, seeded)", n, N - dropped,
                        ml ? "uniform" : "stratified");
    if (dropped && len > 0 && (size_t)len < sizeof res->info)
        snprintf(res->info + len, sizeof res->info - (size_t)len,
                 " constant-label rows left out=%zu", dropped);
    rc = ckr_result_ok(res, 100.0 * rho);
cleanup:
    ckr_pca_result_free(&pr);
    free(U);
    free(cls);
    return rc;
}

int ckr_parc_prepare(const ckr_pair *lab, const ckr_parc_cfg *cfg, ckr_rng *rng,
                        ckr_targets *tg, size_t **sel, size_t *n, size_t *dropped,
                        ckr_result *res)
{
    ckr_err err = { 0, "" };
    int rc = 0;
    size_t N = lab->train.n;
    memset(tg, 0, sizeof *tg);
    *sel = NULL;
    if (lab->kind != CKR_MULTILABEL &&
        (rc = ckr_targets_init(lab->kind, &lab->train, lab->num_classes, 0, tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    *sel = malloc((N > 0 ? N : 1) * sizeof **sel);
    if (!*sel)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
    else if (lab->kind != CKR_MULTILABEL && tg->t < 2)
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)",
                             tg->t);
    else if (parc_select(lab, tg, cfg->max_n, rng, *sel, n, dropped))
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
    else if (*n < 3)
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "%zu usable samples (%zu with a "
                             "constant label row left out): PARC needs 3", *n, *dropped);
    if (rc) {
        free(*sel);
        *sel = NULL;
        ckr_targets_free(tg);
    }
    return rc;
}

static int parc_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    const ckr_parc_cfg *cfg = ckr_params_config(p);
    const double *F = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols, n = 0, dropped = 0;
    ckr_targets tg;
    size_t *sel;
    if ((rc = ckr_parc_prepare(pair, cfg, rng, &tg, &sel, &n, &dropped, res)))
        return rc;
    double *X = NULL;
    const double *Xs = F;
    if (n < N) {
        X = malloc(n * D * sizeof *X);
        if (!X) {
            rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (n=%zu D=%zu)", n, D);
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++)
            memcpy(X + i * D, F + sel[i] * D, D * sizeof *X);
        Xs = X;
    }
    rc = ckr_parc_core(pair, &tg, sel, n, dropped, N, Xs, D, cfg, res);
cleanup:
    free(sel);
    free(X);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_parc = {
    .name = "parc",
    .summary = "PARC (Bolya et al. 2021): 100 x Spearman between 1 - corrcoef of the "
               "standardised features after exact PCA to 32 dims and that of the labels; "
               "O(N^2), seeded stratified subsample above max_n=10000",
    .params = parc_params,
    .check = parc_check,
    .cost = parc_cost,
    .score = parc_score,
    .score_team = ckr_parc_score_team,
    .memory = parc_memory,
    .score_stream = ckr_parc_score_stream,
};
