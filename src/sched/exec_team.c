/* exec_team.c -- execute one item as a member of a team: the team reads
 * its pair by row blocks (cached), then scores it together. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sched/exec.h"
#include "sched/signals.h"
#include "util/flops.h"
#include "util/rng.h"
#include "util/stop.h"
#include "zoo/checksum.h"
#include "zoo/teamread.h"

void ckr_executor_release_team(ckr_executor *ex)
{
    if (ex->tcached && ex->tread_rc == 0)
        ckr_pair_free(&ex->tpair);
    ex->tcached = 0;
}

/* Read (ckpt, task) on the team (collective); the code is agreed. */
static int team_read(ckr_executor *ex, const char *ckpt, const char *task)
{
    ckr_team_file *f = NULL;
    ckr_err_clear(&ex->tread_err);
    memset(&ex->tpair, 0, sizeof ex->tpair);
    if (ex->io_lock)
        pthread_mutex_lock(ex->io_lock);
    int rc = ckr_team_file_open(ex->zoo_path, ex->team_comm, &f, &ex->tread_err);
    if (rc == 0)
        rc = ckr_team_read_pair(f, ckpt, task, CKR_TEAM_BLOCK, &ex->tpair, &ex->trow0,
                                &ex->tn_total, &ex->tread_err);
    ckr_team_file_close(f);
    if (ex->io_lock)
        pthread_mutex_unlock(ex->io_lock);
    return rc;
}

/* The team pair (ckpt, task), read once for consecutive items on it; NULL
 * when it cannot be read (the same on every member). */
static const ckr_pair *team_pair(ckr_executor *ex, const char *ckpt, const char *task)
{
    if (!ex->tcached || strcmp(ex->tckpt, ckpt) != 0 || strcmp(ex->ttask, task) != 0) {
        ckr_executor_release_team(ex);
        if (ex->cached && ex->read_rc == 0) /* one pair in memory at a time */
            ckr_pair_free(&ex->pair);
        ex->cached = 0;
        ex->tread_rc = team_read(ex, ckpt, task);
        ex->tpair_sum = 0;
        if (ex->team_rank == 0) {
            ex->n_reads++; /* one read per team */
            /* the journal's content checksum (zoo/checksum.h): no member holds
             * the whole pair, so the leader streams it from the file */
            if (ex->io_lock)
                pthread_mutex_lock(ex->io_lock);
            if (ckr_zoo_pair_checksum(ex->zoo_path, ckpt, task, 0, &ex->tpair_sum, NULL) != 0)
                ex->tpair_sum = 0;
            if (ex->io_lock)
                pthread_mutex_unlock(ex->io_lock);
        }
        snprintf(ex->tckpt, sizeof ex->tckpt, "%s", ckpt);
        snprintf(ex->ttask, sizeof ex->ttask, "%s", task);
        ex->tpair.ckpt = ex->tckpt;
        ex->tpair.task = ex->ttask;
        ex->tcached = 1;
    }
    return ex->tread_rc == 0 ? &ex->tpair : NULL;
}

void ckr_executor_run_team(ckr_executor *ex, const char *ckpt, const char *task, int spec_idx,
                           ckr_result *res)
{
    const ckr_spec *spec = &ex->specs[spec_idx];
    memset(res, 0, sizeof *res);
    res->score = res->heldout = NAN;
    /* abandoning (util/stop.h): the members agree, so that all of them or
     * none enter the method's collectives */
    int stop = ckr_stop_requested(), any = stop;
    if (MPI_Allreduce(&stop, &any, 1, MPI_INT, MPI_MAX, ex->team_comm) != MPI_SUCCESS || any) {
        ckr_result_fail(res, CKR_EINTR, "not-run", "%s", ckr_stop_why());
        return;
    }
    const ckr_pair *pair = team_pair(ex, ckpt, task);
    res->pair_sum = ex->tpair_sum;
    if (!pair) {
        ckr_result_fail(res, ex->tread_rc, ckr_err_word(ex->tread_rc), "%s", ex->tread_err.msg);
        return;
    }
    ex->tpair.split_seed = ckr_pair_split_seed(ex->seed, ckpt, task);
    ckr_team team = { ex->team_comm, ex->team_size, ex->team_rank, ex->trow0, ex->tn_total };
    ckr_rng rng;
    ckr_rng_seed_item(&rng, ex->seed, ckpt, task, spec->text);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = spec->method->score_team(pair, &team, &spec->params, &rng, res);
    res->seconds = ckr_now() - t0;
    res->gflops = ckr_flops_get() * 1e-9;
    /* abandoned (agreed by the team): not-run, not journalled */
    ckr_result_settle(res, rc, rc == CKR_EINTR, ckr_stop_why());
}
