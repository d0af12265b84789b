/* exec.c -- execute one item: read its pair (cached), run the method. */
#include "sched/exec.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sched/signals.h"
#include "util/flops.h"
#include "util/rng.h"
#include "util/stop.h"
#include "zoo/checksum.h"

void ckr_executor_init(ckr_executor *ex, ckr_zoo *zoo, const ckr_spec *specs, uint64_t seed)
{
    memset(ex, 0, sizeof *ex);
    ex->zoo = zoo;
    ex->specs = specs;
    ex->seed = seed;
    ex->team_comm = MPI_COMM_NULL;
}

/* The content checksum of a pair that did not read, from the file (so a
 * broken pair's checksum is stable too; journalled with its results, so
 * --resume can tell a changed pair). Called with the io_lock held. */
static void broken_pair_checksum(ckr_executor *ex, const char *ckpt, const char *task)
{
    if (ckr_zoo_pair_checksum(ckr_zoo_path(ex->zoo), ckpt, task, 0, &ex->pair_sum, NULL) != 0)
        ex->pair_sum = 0;
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
        if (ex->read_rc != 0)
            broken_pair_checksum(ex, ckpt, task);
        if (ex->io_lock)
            pthread_mutex_unlock(ex->io_lock);
        if (ex->read_rc == 0) /* over the data as read (zoo/checksum.h) */
            ex->pair_sum = ckr_pair_checksum(&ex->pair);
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
    if (ckr_stop_requested()) { /* abandoning: the items queued here are not run either */
        ckr_result_fail(res, CKR_EINTR, "not-run", "%s", ckr_stop_why());
        return;
    }
    const ckr_pair *pair = executor_pair(ex, ckpt, task);
    res->pair_sum = ex->zoo ? ex->pair_sum : 0;
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
    if (rc == CKR_EINTR || (rc != 0 && ckr_stop_requested())) /* abandoned: not journalled */
        ckr_result_fail(res, CKR_EINTR, "not-run", "%s", ckr_stop_why());
    else if (rc == 0 && strcmp(res->status, "ok") != 0)
        ckr_result_ok(res, res->score); /* a method that forgot to set ok */
    if (rc != 0 && (!res->status[0] || strcmp(res->status, "ok") == 0))
        ckr_result_fail(res, rc, NULL, "method failed without a message");
}
