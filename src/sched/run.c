/* run.c -- ckptrank_run, the library entry point: set up, dispatch, finish.
 *
 * Rank 0 scans the zoo, lists the shard's (checkpoint, task, method) items,
 * drops those already in the journal when resuming and orders the rest by
 * pair, largest estimated cost first (sched/items.h, sched/coord.h); every
 * rank learns the outcome of that setup before any work is handed out. Then
 * rank 0 serves the dynamic queue (sched/queue.h) while the other ranks
 * execute items (sched/exec.h); rank 0 computes items too, in its main thread, while a
 * coordinator thread serves the queue (sched/hybrid.h; when MPI provides
 * less than MPI_THREAD_MULTIPLE rank 0 only coordinates); with one rank,
 * rank 0 runs the items itself. Each pair is read once per run (pair
 * affinity, sched/queue.h); the reads of every rank are counted. On SIGTERM,
 * SIGINT or SIGUSR1 (sched/signals.h) rank 0 stops handing out work and
 * collects what is in flight; when the grace period is over (or at a second
 * signal) the items still computing are abandoned (rank 0's through the
 * stop flag, util/stop.h; the workers' through ABANDON, sched/abandon.h)
 * and come back as not-run. Rank 0 writes every output (sched/output.h);
 * the summary and the return code are agreed on every rank.
 *
 * MPI traffic goes over a duplicate of the caller's communicator with
 * MPI_ERRORS_RETURN, so MPI failures come back as codes; see ckptrank.h for
 * the one case where the run ends the processes instead of returning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "methods/method.h"
#include "sched/abandon.h"
#include "metrics/table.h"
#include "sched/coord.h"
#include "sched/exec.h"
#include "sched/hybrid.h"
#include "sched/mpicheck.h"
#include "sched/output.h"
#include "sched/queue.h"
#include "sched/signals.h"
#include "sched/teams.h"
#include "sched/timeline.h"
#include "util/err.h"
#include "util/flops.h"
#include "util/stop.h"
#include "zoo/zoo.h"

/* Exit status of the processes when MPI itself failed. */
#define EXIT_MPI_FAILED 1

void ckptrank_run_defaults(ckptrank_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->methods = "nleep,leep";
    o->k[0] = 1;
    o->k[1] = 3;
    o->nk = 2;
    o->progress = 1;
    o->print_table = 1;
    o->top = 5;
    o->grace_seconds = 60.0;
    o->team_size = 1;
    o->team_above = 1024.0 * 1024.0 * 1024.0;
}

static int check_opts(const ckptrank_run_opts *o, ckr_err *err)
{
    if (!o->zoo_path)
        return ckr_err_set(err, CKR_EARG, "no zoo file given");
    if (o->shard_count < 0 || (o->shard_count > 0 && (o->shard_index < 0 || o->shard_index >= o->shard_count)))
        return ckr_err_set(err, CKR_EARG, "bad shard %d/%d (want I/N with 0 <= I < N)", o->shard_index,
                           o->shard_count);
    if (!(o->max_memory >= 0.0))
        return ckr_err_set(err, CKR_EARG, "--max-memory must be > 0");
    if (o->nk < 0 || o->nk > 8)
        return ckr_err_set(err, CKR_EARG, "between 0 and 8 values of k");
    return 0;
}

/* Rank and size of comm, and the run's own duplicate of it, whose MPI
 * errors are returned instead of being fatal. */
static int run_comm(MPI_Comm comm, MPI_Comm *lib, int *rank, int *size, ckr_err *err)
{
    int mrc = MPI_Comm_rank(comm, rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_size(comm, size);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_dup(comm, lib);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_set_errhandler(*lib, MPI_ERRORS_RETURN);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "setting up the run's communicator");
}

/* A zoo task named like the mean-over-tasks rows would make the metrics
 * table refuse the whole run at its end: refuse it before any work. */
static int check_reserved_tasks(const ckr_zoo *zoo, ckr_err *err)
{
    for (size_t i = 0; i < ckr_zoo_num_tasks(zoo); i++)
        if (strcmp(ckr_zoo_task(zoo, i)->name, CKR_MEAN_TASK) == 0)
            return ckr_err_set(err, CKR_EFORMAT, "%s: /tasks/%s: the task name '%s' is reserved "
                               "for the mean-over-tasks rows of the outputs; rename the task",
                               ckr_zoo_path(zoo), CKR_MEAN_TASK, CKR_MEAN_TASK);
    return 0;
}

/* Every rank: the teams of the run (sched/teams.h) and this rank's team in
 * the executor. Rank 0 decides whether it computes (sched/hybrid.h). */
static int setup_teams(MPI_Comm lib, int size, const ckptrank_run_opts *o, ckr_teams *teams,
                       ckr_executor *ex, ckr_err *err)
{
    int rank0_computes = size > 1 && ckr_hybrid_available();
    int rc = ckr_teams_setup(lib, size, o->team_size, o->team_above, rank0_computes, teams,
                             &ex->team_comm, err);
    if (rc == 0 && ex->team_comm != MPI_COMM_NULL) {
        int mrc = MPI_Comm_size(ex->team_comm, &ex->team_size);
        if (mrc == MPI_SUCCESS)
            mrc = MPI_Comm_rank(ex->team_comm, &ex->team_rank);
        if (mrc != MPI_SUCCESS)
            rc = ckr_mpi_fail(mrc, err, "asking the team communicator its size");
    }
    ex->zoo_path = o->zoo_path;
    return rc;
}

/* Rank 0: open + scan + list + journal + order, and the queue's memory. */
static int setup_coordinator(const ckptrank_run_opts *o, int size, const ckr_spec *specs,
                             size_t n_specs, const ckr_teams *teams, MPI_Comm lib, ckr_coord *c,
                             ckr_queue *q, ckr_err *err)
{
    ckr_zoo *zoo = NULL;
    int rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, &zoo, err);
    c->list.zoo = zoo;
    if (!rc)
        rc = ckr_zoo_scan(zoo, err);
    if (!rc)
        rc = check_reserved_tasks(zoo, err);
    if (!rc)
        rc = ckr_items_list(&c->list, zoo, specs, n_specs, o->shard_index, o->shard_count, err);
    if (!rc)
        rc = ckr_coord_open_journal(c, o, err);
    if (!rc)
        rc = ckr_items_order(&c->list, err);
    if (!rc && teams->n_teams > 0)
        rc = ckr_items_split_teams(&c->list, teams->above, err);
    if (!rc && size > 1)
        rc = ckr_queue_init(q, size, teams->first == 0, c, err);
    if (!rc && size > 1)
        rc = ckr_queue_set_teams(q, lib, teams, err);
    return rc;
}

/* Make rank 0's outcome (code and message) every rank's; returns it, or
 * CKR_EMPI when the broadcast failed. */
static int agree_on_rank0(MPI_Comm comm, int rc, ckr_err *err)
{
    struct { int rc; char msg[sizeof err->msg]; } s;
    memset(&s, 0, sizeof s);
    s.rc = rc;
    if (err)
        memcpy(s.msg, err->msg, sizeof s.msg);
    int mrc = MPI_Bcast(&s, (int)sizeof s, MPI_BYTE, 0, comm);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "agreeing on the outcome of the run");
    if (s.rc && err) {
        err->code = s.rc;
        memcpy(err->msg, s.msg, sizeof err->msg);
    }
    return s.rc;
}

/* Rank 0 after the queue: outputs, journal close (removed when complete). */
static int finish_coordinator(const ckptrank_run_opts *o, ckr_coord *c, int size, double t0,
                              ckr_results *res, ckr_err *err)
{
    ckr_output_meta(o, size, &res->meta);
    ckr_output_utc_now(res->meta.end_time, sizeof res->meta.end_time);
    res->meta.seconds = ckr_now() - t0;
    int rc = ckr_output_collect(&c->list, res, err);
    if (!rc)
        rc = ckr_output_write(o, res, err);
    int jrc = ckr_coord_close_journal(c, rc == 0, rc ? NULL : err);
    return rc ? rc : jrc;
}

/* Rank 0's counts and the sum of every rank's pair reads, as every rank's
 * summary. rank0_items: the items rank 0 computed itself. */
static int share_summary(MPI_Comm comm, const ckr_coord *c, size_t reads, size_t rank0_items,
                         double t0, ckptrank_run_summary *summary, ckr_err *err)
{
    const ckr_item_list *l = &c->list;
    unsigned long long counts[8] = { l->n, c->n_failed, c->n_resumed, c->n_computed, 0,
                                     (unsigned long long)ckr_stop_signal(), 0, rank0_items };
    for (size_t i = 0; i < l->n; i++) /* failures among resumed items count too */
        if (l->items[i].done == CKR_ITEM_RESUMED && strcmp(l->items[i].res.status, "ok") != 0)
            counts[1]++;
    counts[4] = l->n - c->n_resumed - c->n_computed;
    unsigned long long mine = reads;
    int mrc = MPI_Reduce(&mine, &counts[6], 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, comm);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Bcast(counts, 8, MPI_UNSIGNED_LONG_LONG, 0, comm);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "sharing the summary of the run");
    summary->n_items = counts[0];
    summary->n_failed = counts[1];
    summary->n_resumed = counts[2];
    summary->n_computed = counts[3];
    summary->n_not_run = counts[4];
    summary->n_ok = counts[0] - counts[1] - counts[4];
    summary->interrupted = counts[4] > 0 || (counts[5] != 0 && counts[3] + counts[2] < counts[0]);
    summary->n_pair_reads = counts[6];
    summary->n_computed_rank0 = counts[7];
    summary->seconds = ckr_now() - t0;
    return 0;
}

/* MPI itself failed: the other ranks may be blocked in a call matching the
 * failed one for good, so no outcome can be agreed and returning would
 * leave the job hanging. End it (the journal is already synced). */
static void end_run_mpi_failed(MPI_Comm comm, const ckr_err *err)
{
    fprintf(stderr, "ckptrank: %s; ending the run\n", err ? err->msg : "an MPI call failed");
    MPI_Abort(comm, EXIT_MPI_FAILED);
}

int ckptrank_run(MPI_Comm comm, const ckptrank_run_opts *o, ckptrank_run_summary *summary,
                 ckr_err *err)
{
    int rank = 0, size = 1, rc, in_flight = 0;
    size_t rank0_items = 0;
    MPI_Comm lib = MPI_COMM_NULL;
    memset(summary, 0, sizeof *summary);
    ckr_spec *specs = NULL;
    size_t n_specs = 0;
    ckr_coord c;
    memset(&c, 0, sizeof c);
    ckr_queue q;
    memset(&q, 0, sizeof q);
    ckr_results res;
    memset(&res, 0, sizeof res);
    ckr_executor ex;
    memset(&ex, 0, sizeof ex);
    ckr_abandon ab;
    memset(&ab, 0, sizeof ab);
    ab.comm = MPI_COMM_NULL;
    ckr_teams teams;
    memset(&teams, 0, sizeof teams);
    ckr_saved_handlers old;
    double t0 = ckr_now();
    /* rank 0 keeps the grace clock; the workers are told by ABANDON */
    if (MPI_Comm_rank(comm, &rank) != MPI_SUCCESS)
        rank = 0;
    ckr_stop_signals_install(&old, o->grace_seconds, rank == 0);

    rc = run_comm(comm, &lib, &rank, &size, err);
    ckr_timeline_mark(rank, "run-start size=%d", size);
    if (!rc && size > 1)
        rc = ckr_abandon_init(&ab, lib, err);
    /* every rank checks the options and parses the method list: same outcome */
    if (!rc)
        rc = check_opts(o, err);
    if (!rc)
        rc = ckr_spec_parse_list(o->methods, &specs, &n_specs, err);
    ckr_executor_init(&ex, NULL, specs, o->seed);
    ex.max_memory = o->max_memory;
    if (!rc) /* every rank gets there: collective, same outcome */
        rc = setup_teams(lib, size, o, &teams, &ex, err);
    if (rc)
        goto cleanup;
    if (rank == 0) {
        ckr_output_utc_now(res.meta.start_time, sizeof res.meta.start_time);
        rc = setup_coordinator(o, size, specs, n_specs, &teams, lib, &c, &q, err);
        if (!rc && size > 1)
            rc = ckr_abandon_records(&ab, err);
        q.abandon = &ab;
    } else {
        /* while rank 0 sets up: a worker that cannot open the file still
         * serves the queue (its items fail) */
        ex.open_rc = ckr_zoo_open(o->zoo_path, MPI_COMM_SELF, &ex.zoo, &ex.open_err);
    }
    rc = agree_on_rank0(lib, rc, err);
    ckr_timeline_mark(rank, "setup-done rc=%d", rc);
    if (rc)
        goto cleanup;

    if (rank == 0) {
        ckr_progress_start(&c.pg, c.list.n_todo, o->progress);
        ex.zoo = c.list.zoo;
        if (size == 1)
            ckr_queue_run_serial(&c, &ex);
        else if (q.local)
            rc = ckr_hybrid_run(lib, &q, &c, &ex, o->grace_seconds, err);
        else
            rc = ckr_queue_serve(lib, &q, &c, o->grace_seconds, &in_flight, err);
        rank0_items = size == 1 ? c.n_computed : q.n_local;
        ckr_executor_release(&ex);
        ex.zoo = NULL;
        ckr_timeline_mark(rank, "queue-done rc=%d", rc);
        if (rc)
            goto cleanup;
        rc = finish_coordinator(o, &c, size, t0, &res, err);
        ckr_timeline_mark(rank, "outputs-written rc=%d", rc);
    } else {
        ckr_stop_set_hook(ckr_abandon_hook, &ab); /* long computations look for ABANDON */
        rc = ckr_queue_work(lib, &ex, err);
        ckr_timeline_mark(rank, "queue-done rc=%d", rc);
        ckr_stop_set_hook(NULL, NULL);
        if (rc)
            goto cleanup;
    }
    int src = ckr_abandon_finish(&ab, err);
    if (src) {
        rc = src; /* CKR_EMPI */
        goto cleanup;
    }
    src = share_summary(lib, &c, ex.n_reads, rank0_items, t0, summary, err);
    rc = src ? src : agree_on_rank0(lib, rc, err);
    if (!rc && summary->interrupted)
        rc = ckr_err_set(err, CKR_EINTR, "interrupted by a signal: %zu of %zu items not run; "
                         "partial outputs written; rerun with --resume", summary->n_not_run,
                         summary->n_items);

cleanup:
    ckr_timeline_mark(rank, "run-end rc=%d", rc);
    ckr_timeline_flush(rank);
    ckr_stop_set_hook(NULL, NULL);
    ckr_stop_signals_restore(&old);
    ckr_stop_clear();
    ckr_coord_close_journal(&c, 0, NULL); /* synced, kept for --resume */
    if (rc == CKR_EMPI)
        end_run_mpi_failed(comm, err);
    if (ex.zoo)
        ckr_zoo_close(ex.zoo);
    if (c.list.zoo)
        ckr_zoo_close(c.list.zoo);
    ckr_queue_free(&q);
    ckr_abandon_free(&ab);
    ckr_results_free(&res);
    ckr_items_free(&c.list);
    free(specs);
    if (ex.team_comm != MPI_COMM_NULL)
        MPI_Comm_free(&ex.team_comm);
    if (lib != MPI_COMM_NULL)
        MPI_Comm_free(&lib);
    return rc;
}
