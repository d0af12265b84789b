/* transrate.c -- TransRate (Huang et al., ICML 2022), METHODS.md section 9.
 *
 * TrR = R(Z) - sum_c w_c R(Z_c),  R(Z) = 1/2 log det(I + Z^T Z / (n eps2))
 * over the n rows of Z (Z_c: the n_c rows of class c).
 *   variant=canonical (default, the official code Long-Kai/TransRate):
 *     Z = features centred by the global mean, then each row scaled to unit
 *     L2 norm (a row equal to the mean stays zero); class subsets are not
 *     re-centred; w_c = n_c / N.
 *   variant=tllib (thuml/Transfer-Learning-Library tllib/ranking/transrate):
 *     centred only, no row normalisation; w_c = 1 / C (C classes present).
 * eps2 = 1e-4 in both (the official code's eps argument is epsilon^2, TLlib's
 * 1/(n eps) is the same matrix). No rank normalisation, no projection.
 * Each log-determinant comes from a Cholesky factor of I + Z^T Z / (n eps2)
 * (D x D) or, when the set has fewer rows than D, of I + Z Z^T / (n eps2)
 * (n x n, the same determinant by Sylvester's identity); the matrix is SPD
 * with eigenvalues >= 1, so the factorisation cannot fail on finite input.
 *
 * Classes: those present (METHODS.md convention 2); status "bad-data" for
 * fewer than 2. Multilabel: status "unsupported-multilabel" (class-
 * conditional coding rates need a partition of the samples). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/memory.h"
#include "linalg/featstats.h"
#include "methods/method.h"
#include "methods/pair_check.h"
#include "methods/stream.h"
#include "methods/team.h"
#include "methods/transrate.h"
#include "util/flops.h"

CKR_CONFIG_FITS(ckr_transrate_cfg);

static const ckr_param_def transrate_params[] = {
    CKR_CHOICE_PARAM(ckr_transrate_cfg, variant, "canonical", "canonical|tllib",
                     "canonical: centre + unit rows + n_c/N weights; "
                     "tllib: centre only + 1/C weights"),
    CKR_DOUBLE_PARAM(ckr_transrate_cfg, eps2, "1e-4", "epsilon^2 of the coding rate"),
    CKR_PARAMS_END,
};

static int transrate_check(const void *config, ckr_param_fault *fault)
{
    const ckr_transrate_cfg *c = config;
    if (!(c->eps2 > 0.0))
        return ckr_param_refuse(fault, offsetof(ckr_transrate_cfg, eps2), "must be > 0");
    return 0;
}

static double transrate_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    double n = (double)s->n, d = (double)s->d, c = (double)(s->num_classes > 0 ? s->num_classes : 1);
    double nc = n / c, kc = nc < d ? nc : d, k = n < d ? n : d;
    return n * k * d + k * k * k / 3.0 + c * (nc * kc * d + kc * kc * kc / 3.0) + 6.0 * n * d;
}

static int transrate_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng,
                           ckr_result *res)
{
    (void)rng;
    ckr_err err = { 0, "" };
    int rc = ckr_pair_check_features(pair, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (pair->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "TransRate needs a partition of the samples into classes");
    const ckr_transrate_cfg *cfg = ckr_params_config(p);
    int tllib = cfg->variant == CKR_TRANSRATE_TLLIB;
    double eps2 = cfg->eps2;
    const double *F = pair->train_features.data;
    size_t N = pair->train_features.rows, D = pair->train_features.cols;
    ckr_targets tg;
    if ((rc = ckr_targets_init(pair->kind, &pair->train, pair->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    double *mu = NULL;
    size_t *idx = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    mu = malloc(D * sizeof *mu);
    idx = malloc(N * sizeof *idx);
    if (!mu || !idx) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
        goto cleanup;
    }
    ckr_fs_colmean(F, N, D, mu);
    int unit = !tllib;
    double rz = 0.0, rzy = 0.0;
    rc = ckr_fs_coding_rate(F, D, NULL, N, mu, unit, 1.0 / ((double)N * eps2), &rz);
    for (int r = 0; !rc && r < tg.t; r++) {
        size_t nc = tg.count[r];
        double rc_c = 0.0;
        ckr_fs_target_rows(&tg, r, idx);
        rc = ckr_fs_coding_rate(F, D, idx, nc, mu, unit, 1.0 / ((double)nc * eps2), &rc_c);
        rzy += (tllib ? 1.0 / (double)tg.t : (double)nc / (double)N) * rc_c;
    }
    ckr_flops_add(3.0 * (double)tg.t);
    if (rc) {
        rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                             "coding rate: %s",
                             rc == CKR_ENOMEM ? "out of memory"
                                              : "I + Z^T Z/(n eps2) is not finite / not SPD");
        goto cleanup;
    }
    snprintf(res->info, sizeof res->info, "%s N=%zu D=%zu classes=%d R(Z)=%.6g R(Z|Y)=%.6g",
             tllib ? "tllib" : "canonical", N, D, tg.t, rz, rzy);
    rc = ckr_result_ok(res, rz - rzy);
cleanup:
    free(mu);
    free(idx);
    ckr_targets_free(&tg);
    return rc;
}

/* The team path: every coding rate from a D x D Gram of the transformed
 * rows (local pass, summed over the team), whatever the class sizes (the
 * single-rank path takes the smaller of Gram and kernel: the same
 * determinant by Sylvester's identity). One Gram at a time: D x D per rank. */
static int transrate_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                                ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return transrate_score(local, p, rng, res);
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    if (local->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "TransRate needs a partition of the samples into classes");
    const ckr_transrate_cfg *cfg = ckr_params_config(p);
    int tllib = cfg->variant == CKR_TRANSRATE_TLLIB;
    double eps2 = cfg->eps2;
    const double *F = local->train_features.data;
    size_t nl = local->train_features.rows;
    ckr_targets tg;
    if ((rc = ckr_targets_init_team(team->comm, local->kind, &local->train, team->row0,
                                    local->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    double *mu = NULL, *G = NULL;
    size_t *idx = NULL;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    mu = calloc(D, sizeof *mu);
    G = malloc(D * D * sizeof *G);
    idx = malloc((nl ? nl : 1) * sizeof *idx);
    if (!mu || !G || !idx)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
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
    int unit = !tllib;
    double rz = 0.0, rzy = 0.0;
    /* r = -1: all rows, R(Z); then each class */
    for (int r = -1; r < tg.t; r++) {
        size_t m = 0, n_set = r < 0 ? N : tg.count[r];
        if (r >= 0)
            for (size_t i = 0; i < nl; i++)
                if (tg.map[tg.y[i]] == r)
                    idx[m++] = i;
        rc = ckr_fs_gram(F, D, r < 0 ? NULL : idx, r < 0 ? nl : m, mu, 1.0, unit, G, NULL);
        if (rc)
            rc = ckr_result_fail(res, rc, NULL, "coding rate: out of memory");
        if ((rc = ckr_team_agree_result(team, rc, res)) ||
            (rc = ckr_team_sum(team, G, D * D, "Gram", res)))
            goto cleanup;
        double rate = 0.0;
        if ((rc = ckr_fs_rate_of_gram(G, D, 1.0 / ((double)n_set * eps2), &rate))) {
            rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                                 "coding rate: %s",
                                 rc == CKR_ENOMEM ? "out of memory"
                                                  : "I + Z^T Z/(n eps2) is not finite / not SPD");
            goto cleanup;
        }
        if (r < 0)
            rz = rate;
        else
            rzy += (tllib ? 1.0 / (double)tg.t : (double)n_set / (double)N) * rate;
    }
    ckr_flops_add(3.0 * (double)tg.t);
    snprintf(res->info, sizeof res->info, "%s N=%zu D=%zu classes=%d R(Z)=%.6g R(Z|Y)=%.6g",
             tllib ? "tllib" : "canonical", N, D, tg.t, rz, rzy);
    rc = ckr_result_ok(res, rz - rzy);
    ckr_team_info_suffix(team, res);
cleanup:
    free(mu);
    free(G);
    free(idx);
    ckr_targets_free(&tg);
    return rc;
}

/* The streamed form (--max-memory), the team path's algorithm over row
 * blocks: one pass for the mean, then the D x D Grams of the transformed
 * rows of all rows (R(Z)) and of each class, as many Grams per pass as the
 * row source's budget allows (at least one). N <= D: the rows gathered. */
static int transrate_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                                  ckr_rng *rng, ckr_result *res)
{
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    if (meta->kind == CKR_MULTILABEL)
        return ckr_result_fail(res, CKR_EDATA, "unsupported-multilabel",
                               "TransRate needs a partition of the samples into classes");
    size_t N = rows->n, D = rows->d, B = rows->block < N ? rows->block : N;
    if (N <= D) {
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = transrate_score(&whole, p, rng, res);
        free(whole.train_features.data);
        return rc;
    }
    const ckr_transrate_cfg *cfg = ckr_params_config(p);
    int tllib = cfg->variant == CKR_TRANSRATE_TLLIB, unit = !tllib;
    ckr_err err = { 0, "" };
    ckr_targets tg;
    if ((rc = ckr_targets_init(meta->kind, &meta->train, meta->num_classes, 0, &tg, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t T = (size_t)tg.t, sets = T + 1; /* set 0: all rows; set r + 1: class r */
    double *mu = NULL, *G = NULL, *tmp = NULL, *buf = NULL, amax = 0.0, rz = 0.0, rzy = 0.0;
    size_t *idx = NULL, g = 1;
    if (tg.t < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%d)", tg.t);
        goto cleanup;
    }
    double gram = 8.0 * (double)D * (double)D;
    if (rows->budget > 0.0) { /* what ckr_memory_transrate counts for one Gram */
        double room = rows->budget - ckr_memory_transrate(&(ckr_pair_shape){ N, D, 0, 0,
                                                              tg.t, meta->kind }, p, B);
        g += room > gram ? (size_t)(room / gram) : 0;
    } else {
        g = sets;
    }
    g = g < sets ? g : sets;
    mu = malloc(D * sizeof *mu);
    G = malloc(g * D * D * sizeof *G);
    tmp = malloc(D * D * sizeof *tmp);
    buf = malloc(B * D * sizeof *buf);
    idx = malloc(B * sizeof *idx);
    if (!mu || !G || !tmp || !buf || !idx) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory");
        goto cleanup;
    }
    if ((rc = ckr_stream_colstats(rows, mu, &amax, res)))
        goto cleanup;
    for (size_t s0 = 0; s0 < sets; s0 += g) {
        size_t ns = sets - s0 < g ? sets - s0 : g;
        memset(G, 0, ns * D * D * sizeof *G);
        for (size_t r0 = 0; r0 < N; r0 += B) {
            size_t nb = N - r0 < B ? N - r0 : B;
            ckr_err rerr = { 0, "" };
            if ((rc = rows->read(rows->ctx, r0, nb, buf, &rerr))) {
                rc = ckr_result_fail(res, rc, NULL, "%s", rerr.msg);
                goto cleanup;
            }
            for (size_t k = 0; k < ns; k++) {
                size_t m = 0;
                if (s0 + k > 0)
                    for (size_t i = 0; i < nb; i++)
                        if ((size_t)tg.map[tg.y[r0 + i]] == s0 + k - 1)
                            idx[m++] = i;
                if (s0 + k > 0 && m == 0)
                    continue;
                if ((rc = ckr_fs_gram(buf, D, s0 + k > 0 ? idx : NULL, s0 + k > 0 ? m : nb, mu,
                                      1.0, unit, tmp, NULL))) {
                    rc = ckr_result_fail(res, rc, NULL, "coding rate: out of memory");
                    goto cleanup;
                }
                double *Gk = G + k * D * D;
                for (size_t q = 0; q < D * D; q++)
                    Gk[q] += tmp[q];
                ckr_flops_add((double)(D * D));
            }
        }
        for (size_t k = 0; k < ns; k++) {
            size_t set = s0 + k, n_set = set == 0 ? N : tg.count[set - 1];
            double rate = 0.0;
            if ((rc = ckr_fs_rate_of_gram(G + k * D * D, D, 1.0 / ((double)n_set * cfg->eps2),
                                          &rate))) {
                rc = ckr_result_fail(res, rc, rc == CKR_ENOMEM ? NULL : "numerical-error",
                                     "coding rate: %s",
                                     rc == CKR_ENOMEM ? "out of memory"
                                                      : "I + Z^T Z/(n eps2) is not finite / not SPD");
                goto cleanup;
            }
            if (set == 0)
                rz = rate;
            else
                rzy += (tllib ? 1.0 / (double)tg.t : (double)n_set / (double)N) * rate;
        }
    }
    ckr_flops_add(3.0 * (double)tg.t);
    snprintf(res->info, sizeof res->info, "%s N=%zu D=%zu classes=%d R(Z)=%.6g R(Z|Y)=%.6g",
             tllib ? "tllib" : "canonical", N, D, tg.t, rz, rzy);
    rc = ckr_result_ok(res, rz - rzy);
cleanup:
    free(mu);
    free(G);
    free(tmp);
    free(buf);
    free(idx);
    ckr_targets_free(&tg);
    return rc;
}

const ckr_method ckr_method_transrate = {
    .name = "transrate",
    .summary = "TransRate: coding-rate difference (Huang et al. 2022), centred + unit rows, "
               "eps2=1e-4, n_c/N weights (variant=tllib: TLlib's form); multiclass only",
    .params = transrate_params,
    .check = transrate_check,
    .cost = transrate_cost,
    .score = transrate_score,
    .score_team = transrate_score_team,
    .memory = ckr_memory_transrate,
    .score_stream = transrate_score_stream,
};
