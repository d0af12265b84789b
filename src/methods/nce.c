/* nce.c -- NCE, negative conditional entropy (Tran et al., ICCV 2019),
 * METHODS.md section 2.
 *
 * z_i = argmax_z of the source logits of sample i (ties: the lowest index,
 * numpy's convention; the argmax of the logits is that of the softmax).
 * NCE = -H(Y | Z) = sum_{c,z} P(c, z) log P(c | z) with P from counts, terms
 * with P(c, z) = 0 contributing 0 (the thuml code evaluates 0 log 0 = NaN);
 * range [-log C, 0], higher = more transferable.
 *
 * Multilabel: one instance per (sample, positive label), as `leep` does, so
 * NCE = LEEP with a one-hot source posterior in both cases.
 * Status "needs-logits" without train_logits, "bad-data" for non-finite
 * logits, labels out of range or fewer than 2 classes among the instances.
 * Memory O(N + Z): the C x Z joint is never formed (instances are sorted by
 * (z, c) and counted in runs). FLOPs: one per logit comparison, four per
 * non-empty (c, z) cell. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/memory.h"
#include "linalg/blas.h"
#include "methods/method.h"
#include "util/flops.h"

static const ckr_param_def nce_params[] = {
    CKR_PARAMS_END,
};

static double nce_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    return (double)s->n * (double)(s->z ? s->z : 1) + 20.0 * (double)s->n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int nce_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)p;
    (void)rng;
    const ckr_matrix *lg = &pair->train_logits;
    if (!lg->data)
        return ckr_result_fail(res, CKR_ENEEDS, "needs-logits",
                               "pair has no train_logits (NCE needs the source classifier)");
    size_t N = lg->rows, Z = lg->cols, C = pair->num_classes > 0 ? (size_t)pair->num_classes : 0;
    int ml = pair->kind == CKR_MULTILABEL;
    if (N == 0 || Z == 0 || pair->train.n != N || C == 0 || (ml ? !pair->train.Y : !pair->train.y))
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "logits %zu x %zu, %zu labels, %zu classes: nothing to score", N,
                               Z, pair->train.n, C);
    if (!ckr_all_finite(N * Z, lg->data))
        return ckr_result_fail(res, CKR_EDATA, "bad-data", "train_logits contain NaN or Inf");
    size_t n_inst = 0;
    if (ml) {
        for (size_t i = 0; i < N * C; i++)
            n_inst += pair->train.Y[i] != 0;
    } else {
        for (size_t i = 0; i < N; i++)
            if (pair->train.y[i] < 0 || (size_t)pair->train.y[i] >= C)
                return ckr_result_fail(res, CKR_EDATA, "bad-data",
                                       "label %d of sample %zu not in [0, %zu)", pair->train.y[i],
                                       i, C);
        n_inst = N;
    }
    int rc = 0;
    uint64_t *key = malloc((n_inst ? n_inst : 1) * sizeof *key);
    size_t *nz = calloc(Z, sizeof *nz);
    unsigned char *seen = calloc(C, 1);
    if (!key || !nz || !seen) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu instances", n_inst);
        goto cleanup;
    }
    size_t k = 0, n_classes = 0;
    for (size_t i = 0; i < N; i++) {
        const double *row = lg->data + i * Z;
        size_t z = 0;
        for (size_t j = 1; j < Z; j++)
            if (row[j] > row[z])
                z = j;
        if (ml) {
            for (size_t c = 0; c < C; c++)
                if (pair->train.Y[i * C + c]) {
                    key[k++] = (uint64_t)z * C + c;
                    nz[z]++;
                    n_classes += !seen[c];
                    seen[c] = 1;
                }
        } else {
            size_t c = (size_t)pair->train.y[i];
            key[k++] = (uint64_t)z * C + c;
            nz[z]++;
            n_classes += !seen[c];
            seen[c] = 1;
        }
    }
    ckr_flops_add((double)N * (double)(Z - 1));
    if (n_classes < 2) {
        rc = ckr_result_fail(res, CKR_EDATA, "bad-data", "fewer than 2 classes present (%zu)",
                             n_classes);
        goto cleanup;
    }
    qsort(key, n_inst, sizeof *key, cmp_u64);
    double nce = 0.0, inv = 1.0 / (double)n_inst;
    size_t cells = 0, used_z = 0;
    for (size_t a = 0; a < n_inst;) {
        size_t b = a;
        while (b < n_inst && key[b] == key[a])
            b++;
        size_t z = (size_t)(key[a] / C);
        double ncz = (double)(b - a);
        nce += ncz * inv * log(ncz / (double)nz[z]);
        cells++;
        a = b;
    }
    for (size_t z = 0; z < Z; z++)
        used_z += nz[z] > 0;
    ckr_flops_add(4.0 * (double)cells);
    snprintf(res->info, sizeof res->info, "Z=%zu used_z=%zu classes=%zu instances=%zu", Z,
             used_z, n_classes, n_inst);
    rc = ckr_result_ok(res, nce);
cleanup:
    free(key);
    free(nz);
    free(seen);
    return rc;
}

const ckr_method ckr_method_nce = {
    .name = "nce",
    .summary = "NCE: -H(Y|Z) with Z = argmax of the source logits (needs logits); multilabel: "
               "one instance per (sample, positive label) as leep",
    .params = nce_params,
    .cost = nce_cost,
    .score = nce_score,
    .memory = ckr_memory_nce,
    .score_stream = ckr_nce_score_stream,
};
