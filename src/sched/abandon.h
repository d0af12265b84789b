/* abandon.h -- telling busy workers to give up their items (the ABANDON
 * message).
 *
 * When, after a stop signal, the grace period is over (or a second signal
 * came) with items in flight, rank 0 sends ABANDON (carrying the reason,
 * signals.h CKR_STOP_WHY_*) to every worker with items out. A worker
 * installs ckr_abandon_hook as the stop hook (util/stop.h): a long
 * computation polling ckr_stop_requested() then looks for the message with
 * MPI_Iprobe at most every CKR_ABANDON_PROBE_S seconds, and once it came
 * the stop flag stays up: the item in hand and the ones queued behind it
 * come back as not-run. The messages go over their own duplicate of the
 * run's communicator, so they never match the queue's receives; since a
 * message can cross the worker's STOP, ckr_abandon_finish (collective)
 * tells each worker whether one was sent and receives it.
 *
 * MPI failures are returned as CKR_EMPI with err set; the hook cannot
 * return an error: a failing probe reads as "no message" (the failure
 * shows in the next queue call). */
#ifndef CKR_SCHED_ABANDON_H
#define CKR_SCHED_ABANDON_H

#include <mpi.h>

#include "util/err.h"

#define CKR_ABANDON_PROBE_S 0.01

typedef struct ckr_abandon {
    MPI_Comm comm;      /* duplicate of the run's communicator; MPI_COMM_NULL: none */
    int size, rank;
    /* rank 0 */
    int *why;           /* per rank: the reason sent (0: none), the send buffer */
    MPI_Request *req;   /* per rank */
    /* a worker */
    int got;            /* ABANDON received */
    double next_probe;  /* ckr_now() of the next allowed probe */
} ckr_abandon;

/* Collective over comm: duplicate it (errors returned). Returns 0 or
 * CKR_EMPI (err set); a is then safe to ckr_abandon_free. */
int ckr_abandon_init(ckr_abandon *a, MPI_Comm comm, ckr_err *err);

/* Rank 0, after ckr_abandon_init: allocate its records of what was sent.
 * Returns 0 or CKR_ENOMEM (err set). */
int ckr_abandon_records(ckr_abandon *a, ckr_err *err);

/* Rank 0: send ABANDON with reason `why` to `worker` (> 0) unless already
 * sent. Non-blocking; completed by ckr_abandon_finish. */
int ckr_abandon_send(ckr_abandon *a, int worker, int why, ckr_err *err);

/* The worker's stop hook (ctx: its ckr_abandon). Nonzero once ABANDON has
 * come (then also records its reason with ckr_stop_set_why). */
int ckr_abandon_hook(void *ctx);

/* Collective, after the queue: rank 0 tells every worker whether ABANDON
 * was sent to it; a worker that has not received it yet receives it; rank
 * 0 completes its sends. Returns 0 or CKR_EMPI (err set). */
int ckr_abandon_finish(ckr_abandon *a, ckr_err *err);

/* Free the duplicate and the records. */
void ckr_abandon_free(ckr_abandon *a);

#endif
