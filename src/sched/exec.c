/* exec.c -- execute one item: read its pair (cached), run the method. */
#include "sched/exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/flops.h"
#include "util/rng.h"

void ckr_executor_init(ckr_executor *ex, ckr_zoo *zoo, const ckr_spec *specs, uint64_t seed)
{
    memset(ex, 0, sizeof *ex);
    ex->zoo = zoo;
    ex->specs = specs;
    ex->seed = seed;
    ex->team_comm = MPI_COMM_NULL;
}

/* The pair (ckpt, task), read once for consecutive items on it; NULL when it
 * cannot be read (ex->read_rc and ex->read_err say why). */
static const ckr_pair *executor_pair(ckr_executor *ex, const char *ckpt, const char *task)
{
    if (!ex->zoo) {
        ex->read_rc = ex->open_rc ? ex->open_rc : CKR_EIO;
        ex->read_err = ex->open_err;
        return NULL;
    }
    if (!ex->cached || strcmp(ex->ckpt, ckpt) != 0 || strcmp(ex->task, task) != 0) {
        ckr_executor_release_team(ex); /* one pair in memory at a time */
        if (ex->cached && ex->read_rc == 0)
            ckr_pair_free(&ex->pair);
        memset(&ex->pair, 0, sizeof ex->pair);
        ckr_err_clear(&ex->read_err);
        if (ex->io_lock)
            pthread_mutex_lock(ex->io_lock);
        ex->read_rc = ckr_zoo_read_pair(ex->zoo, ckpt, task, &ex->pair, &ex->read_err);
        if (ex->io_lock)
            pthread_mutex_unlock(ex->io_lock);
        ex->n_reads++;
        snprintf(ex->ckpt, sizeof ex->ckpt, "%s", ckpt);
        snprintf(ex->task, sizeof ex->task, "%s", task);
        ex->cached = 1;
    }
    return ex->read_rc == 0 ? &ex->pair : NULL;
}

void ckr_executor_release(ckr_executor *ex)
{
    if (ex->cached && ex->read_rc == 0)
        ckr_pair_free(&ex->pair);
    ex->cached = 0;
    ckr_executor_release_team(ex);
}

void ckr_executor_run(ckr_executor *ex, const char *ckpt, const char *task, int spec_idx,
                      ckr_result *res)
{
    const ckr_spec *spec = &ex->specs[spec_idx];
    memset(res, 0, sizeof *res);
    res->score = res->heldout = NAN;
    const ckr_pair *pair = executor_pair(ex, ckpt, task);
    if (!pair) {
        ckr_result_fail(res, ex->read_rc, ckr_err_word(ex->read_rc), "%s", ex->read_err.msg);
        return;
    }
    ex->pair.split_seed = ckr_hash_str(ckr_hash_str(CKR_FNV_OFFSET ^ ex->seed, ckpt), task);
    ckr_rng rng;
    ckr_rng_seed_item(&rng, ex->seed, ckpt, task, spec->text);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = spec->method->score(pair, &spec->params, &rng, res);
    res->seconds = ckr_now() - t0;
    res->gflops = ckr_flops_get() * 1e-9;
    if (rc == 0 && strcmp(res->status, "ok") != 0)
        ckr_result_ok(res, res->score); /* a method that forgot to set ok */
    if (rc != 0 && (!res->status[0] || strcmp(res->status, "ok") == 0))
        ckr_result_fail(res, rc, NULL, "method failed without a message");
}
