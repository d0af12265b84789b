/* leep.c -- LEEP (Nguyen et al., ICML 2020) from the source logits. */
#include <stdio.h>
#include <stdlib.h>

#include "methods/memory.h"
#include "methods/leep_core.h"

static const ckr_param_def leep_params[] = {
    CKR_PARAMS_END,
};

static double leep_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)p;
    return 8.0 * (double)s->n * (double)(s->z ? s->z : 1);
}

static int leep_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)p;
    (void)rng;
    const ckr_matrix *lg = &pair->train_logits;
    if (!lg->data)
        return ckr_result_fail(res, CKR_ENEEDS, "needs-logits",
                               "pair has no train_logits (LEEP needs the source classifier)");
    double *theta = malloc(lg->rows * lg->cols * sizeof(double));
    if (!theta)
        return ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu x %zu softmax",
                               lg->rows, lg->cols);
    ckr_softmax_rows(lg->data, lg->rows, lg->cols, theta);
    double score = 0.0;
    size_t clamped = 0;
    ckr_err err = { 0 };
    int rc = ckr_leep_from_probs(theta, lg->rows, lg->cols, pair->kind, &pair->train,
                                 pair->num_classes, &score, &clamped, &err);
    free(theta);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    snprintf(res->info, sizeof res->info, "Z=%zu clamped=%zu", lg->cols, clamped);
    return ckr_result_ok(res, score);
}

const ckr_method ckr_method_leep = {
    .name = "leep",
    .summary = "LEEP: log expected empirical prediction from the source softmax (needs logits)",
    .params = leep_params,
    .cost = leep_cost,
    .score = leep_score,
    .memory = ckr_memory_leep,
    .score_stream = ckr_leep_score_stream,
};
