/* size.c -- the model-size baseline: score = log(num_params), the natural
 * log of the checkpoint's parameter count (the checkpoint group's
 * `num_params` attribute, schema 1.2; core/pair.h). It looks at nothing of
 * the task, so every task ranks the checkpoints in the same static order:
 * a sanity baseline to read the other scores against (a static size
 * ordering is hard to beat on the standard benchmarks).
 *
 * Status "needs-num-params" for a checkpoint without the attribute, and
 * "bad-data" when it is present but not a finite number > 0 (`ckptrank
 * validate` names the problem). No parameters, no features read in a
 * streamed run (the score is the same whatever the memory cap). */
#include <math.h>
#include <stdio.h>

#include "methods/memory.h"
#include "methods/method.h"
#include "util/flops.h"

static const ckr_param_def size_params[] = {
    CKR_PARAMS_END,
};

static double size_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)s;
    (void)p;
    return 1.0;
}

static int size_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    (void)p;
    (void)rng;
    const char *ckpt = pair->ckpt ? pair->ckpt : "?";
    double n = pair->num_params;
    if (n == 0.0)
        return ckr_result_fail(res, CKR_EDATA, "needs-num-params",
                               "checkpoint %s has no num_params attribute (zoo schema 1.2)", ckpt);
    if (!(n > 0.0) || !isfinite(n))
        return ckr_result_fail(res, CKR_EDATA, "bad-data",
                               "num_params of checkpoint %s is not a finite number > 0 "
                               "(ckptrank validate says why)", ckpt);
    ckr_flops_add(1.0);
    snprintf(res->info, sizeof res->info, "num_params=%.17g", n);
    return ckr_result_ok(res, log(n));
}

/* The streamed form: the score needs no features, so none are read. */
static int size_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                             ckr_rng *rng, ckr_result *res)
{
    (void)rows;
    return size_score(meta, p, rng, res);
}

const ckr_method ckr_method_size = {
    .name = "size",
    .summary = "model-size baseline: log(num_params) of the checkpoint (zoo schema 1.2), the "
               "same static order on every task; a checkpoint without num_params gets status "
               "needs-num-params",
    .params = size_params,
    .cost = size_cost,
    .score = size_score,
    .memory = ckr_memory_none,
    .score_stream = size_score_stream,
};
