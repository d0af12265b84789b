/* dummy.c -- a method for testing the scheduler and fault tolerance, like
 * IOR's DUMMY backend: it reads the pair like any method, waits `ms`
 * milliseconds and returns a pseudo-random score drawn from the item's seeded
 * RNG, so results are deterministic per (seed, checkpoint, task, spec) and
 * independent of ranks and order. `fail=1` makes every item fail. Not a
 * transferability score. */
#include <stdio.h>
#include <time.h>

#include "methods/method.h"

static const ckr_param_def dummy_params[] = {
    { "ms", CKR_PARAM_INT, "0", NULL, "milliseconds to wait per item" },
    { "fail", CKR_PARAM_INT, "0", NULL, "1: every item fails with status dummy-failure" },
    { NULL, 0, NULL, NULL, NULL },
};

static double dummy_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)s;
    return 1e6 * (double)ckr_param_int(p, "ms");
}

static int dummy_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    long ms = ckr_param_int(p, "ms");
    if (ms > 0) {
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    if (ckr_param_int(p, "fail"))
        return ckr_result_fail(res, CKR_EDATA, "dummy-failure", "dummy:fail=1 on %s / %s",
                               pair->ckpt ? pair->ckpt : "?", pair->task ? pair->task : "?");
    snprintf(res->info, sizeof res->info, "ms=%ld", ms);
    return ckr_result_ok(res, ckr_rng_uniform(rng));
}

const ckr_method ckr_method_dummy = {
    .name = "dummy",
    .summary = "test method: waits ms milliseconds, returns a seeded pseudo-random score (not a transferability score)",
    .params = dummy_params,
    .cost = dummy_cost,
    .score = dummy_score,
};
