/* ckptrank.h -- the public entry points of the ckptrank library.
 *
 * ckptrank ranks pretrained checkpoints by predicted transferability. The
 * library entry point ckptrank_run() takes an MPI communicator (tests run it
 * on MPI_COMM_SELF or a sub-communicator): rank 0 of `comm` coordinates,
 * computes items too and writes the outputs; the other ranks compute. Rank 0
 * computes while coordinating only when MPI was initialised with
 * MPI_THREAD_MULTIPLE (MPI_Init_thread; it coordinates from a thread of its
 * own), else it only coordinates. Every rank of comm must call it with the
 * same options. */
#ifndef CKPTRANK_H
#define CKPTRANK_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#define CKPTRANK_VERSION "0.1.0"

typedef struct ckr_err ckr_err;

typedef struct ckptrank_run_opts {
    const char *zoo_path;      /* the zoo file (required) */
    const char *methods;       /* method spec list, e.g. "nleep,leep" */
    const char *out_h5;        /* results file, or NULL */
    const char *csv_path;      /* per-item scores CSV, or NULL */
    const char *metrics_csv;   /* metrics CSV, or NULL */
    const char *json_path;     /* provenance, scores, metrics, ground truth as JSON, or NULL */
    uint64_t seed;             /* base seed of every random choice */
    int k[8];                  /* recall@k / rel@k cut-offs */
    int nk;
    int progress;              /* progress lines on stderr at rank 0 */
    int print_table;           /* metrics table on stdout at rank 0 */
    const char *command_line;  /* recorded in the results */
    /* fault tolerance */
    const char *journal_path;  /* NULL: OUT.h5.journal (or CSV.journal); "" = none */
    int resume;                /* skip the items already in the journal */
    int shard_index, shard_count; /* run only items i with i % count == index (count 0: all) */
    double grace_seconds;      /* on SIGTERM/SIGINT/SIGUSR1: wait this long for in-flight items */
    /* teams: a big pair is scored by a team of ranks together (see ckptrank_run) */
    int team_size;             /* ranks per team, consecutive computing ranks; 1 = no teams */
    double team_above;         /* a pair whose training features take N x D x 8 >= this many
                                * bytes goes to a team (0: every pair) */
    double max_memory;         /* bytes one rank may hold of a pair (features streamed by row
                                * blocks where the method allows, else the item's status is
                                * over-memory); 0 = no cap */
    const char *ranking_csv;   /* task,method,rank,checkpoint,score per task, or NULL */
    int top;                   /* checkpoints per method in the stdout ranking (< 1: 5) */
} ckptrank_run_opts;

typedef struct ckptrank_run_summary {
    size_t n_items, n_ok, n_failed;
    size_t n_resumed;          /* taken from the journal */
    size_t n_computed;         /* computed by this run */
    size_t n_not_run;          /* left for a later --resume (interrupted) */
    int interrupted;           /* a signal stopped the run: outputs are partial */
    size_t n_pair_reads;       /* pairs read from the zoo, summed over the ranks: each pair
                                * with items to compute is read once (a team's read counts
                                * once; a team pair with single-rank items once more) */
    size_t n_computed_rank0;   /* of n_computed, computed by rank 0 itself */
    double seconds;
} ckptrank_run_summary;

/* Exit status a job script turns into a requeue (EX_TEMPFAIL). */
#define CKPTRANK_EXIT_INTERRUPTED 75

/* Fill o with the defaults: methods "nleep,leep", seed 0, k = {1, 3},
 * progress on, table on, grace 60 s, no outputs, no shard, no resume, no
 * teams (team_size 1, team_above 1 GiB). The
 * caller then sets zoo_path (required) and the outputs. */
void ckptrank_run_defaults(ckptrank_run_opts *o);

/* Run every (checkpoint, task, method) item of the zoo (or of the shard).
 * Every rank of comm must call it with the same options.
 *
 * Scheduling: rank 0 hands out whole pairs (all methods and sweep grid
 * points of a checkpoint x task pair go to the rank that reads it, so each
 * pair is read once), largest estimated cost first, item by item as results
 * come back; rank 0 computes items itself in the calling thread while a
 * coordinator thread answers the other ranks (with MPI_THREAD_MULTIPLE; see
 * above). Results do not depend on the number of ranks or who computed what.
 *
 * Teams (opts->team_size P > 1): the computing ranks form teams of P
 * consecutive ranks (from rank 0 when it computes, else from rank 1; ranks
 * left over are in no team). A pair whose training features take at least
 * opts->team_above bytes (N x D x 8) is a team pair: its items whose method
 * has a team entry point (score_team) go to one team, whose members read
 * the pair's row blocks collectively (each holds about N/P rows) and score
 * them together; its other items run on single ranks. Team scores equal
 * single-rank scores to 1e-10 relative; their info ends in " team=P". A
 * team pair counts one read per team in n_pair_reads (plus one when some
 * of its items run on a single rank). P < 1, or more than the computing
 * ranks, is CKR_EARG before any work.
 *
 * Returns 0 when the run completed (individual items may have failed: see
 * summary), CKR_EINTR when a signal stopped it (partial outputs and the
 * journal are written), CKR_EARG for bad options, a bad method list or a
 * journal of another run, or another negative code when the input could not
 * be read or an output not written (err says why). The summary, the return
 * code and err's message are the same on all ranks. Only rank 0 prints:
 * progress and the resume notice (opts->progress), the metrics table
 * (opts->print_table), and notices of a stop signal or a failing journal.
 *
 * The run communicates over its own duplicate of comm (so it never matches
 * the caller's messages), with MPI errors returned, not fatal. Signal
 * handlers for SIGTERM, SIGINT and SIGUSR1 are installed for the duration of
 * the call and restored afterwards.
 *
 * After a stop signal, when opts->grace_seconds have passed (or at a second
 * signal) the items still being computed are abandoned (long computations
 * poll the stop flag, util/stop.h) and come back as not-run; the call then
 * returns CKR_EINTR with the partial outputs and the journal written.
 *
 * One case ends the processes of comm with MPI_Abort instead of returning,
 * because no return could be agreed on every rank: an MPI call failed (exit
 * status 1; the rank that saw it prints why): its peers may be blocked for
 * good. Memory and input failures are always returned. */
int ckptrank_run(MPI_Comm comm, const ckptrank_run_opts *opts,
                 ckptrank_run_summary *summary, ckr_err *err);

#endif
