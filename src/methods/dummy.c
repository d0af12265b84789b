/* dummy.c -- a method for testing the scheduler and fault tolerance, like
 * IOR's DUMMY backend: it reads the pair like any method, waits `ms`
 * milliseconds and returns a pseudo-random score drawn from the item's seeded
 * RNG, so results are deterministic per (seed, checkpoint, task, spec) and
 * independent of ranks and order. `fail=1` makes every item fail. Not a
 * transferability score. */
#include <stdio.h>
#include <time.h>

#include "methods/memory.h"
#include "methods/dummy.h"
#include "methods/method.h"
#include "util/flops.h"
#include "util/stop.h"

CKR_CONFIG_FITS(ckr_dummy_cfg);

static const ckr_param_def dummy_params[] = {
    CKR_INT_PARAM(ckr_dummy_cfg, ms, "0", "milliseconds to wait per item"),
    CKR_INT_PARAM(ckr_dummy_cfg, fail, "0", "1: every item fails with status dummy-failure"),
    CKR_PARAMS_END,
};

static int dummy_check(const void *config, ckr_param_fault *fault)
{
    const ckr_dummy_cfg *c = config;
    if (c->ms < 0)
        return ckr_param_refuse(fault, offsetof(ckr_dummy_cfg, ms), "must be >= 0");
    if (c->fail != 0 && c->fail != 1)
        return ckr_param_refuse(fault, offsetof(ckr_dummy_cfg, fail), "must be 0 or 1");
    return 0;
}

static double dummy_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    (void)s;
    const ckr_dummy_cfg *c = ckr_params_config(p);
    return 1e6 * (double)c->ms;
}

static int dummy_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    const ckr_dummy_cfg *c = ckr_params_config(p);
    long ms = c->ms;
    /* wait in slices of at most 10 ms, polling the stop flag */
    for (double end = ckr_now() + 1e-3 * (double)ms, left; (left = end - ckr_now()) > 0;) {
        if (ckr_stop_requested())
            return CKR_EINTR;
        struct timespec ts = { 0, (long)(1e9 * (left < 0.01 ? left : 0.01)) };
        nanosleep(&ts, NULL);
    }
    if (c->fail)
        return ckr_result_fail(res, CKR_EDATA, "dummy-failure", "dummy:fail=1 on %s / %s",
                               pair->ckpt ? pair->ckpt : "?", pair->task ? pair->task : "?");
    snprintf(res->info, sizeof res->info, "ms=%ld", ms);
    return ckr_result_ok(res, ckr_rng_uniform(rng));
}

const ckr_method ckr_method_dummy = {
    .name = "dummy",
    .summary = "test method: waits ms milliseconds, returns a seeded pseudo-random score (not a transferability score)",
    .params = dummy_params,
    .check = dummy_check,
    .cost = dummy_cost,
    .score = dummy_score,
    .memory = ckr_memory_none,
};
