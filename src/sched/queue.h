/* queue.h -- handing the items out: the dynamic queue over MPI, or one rank.
 *
 * Rank 0 (the coordinator) keeps every worker (ranks 1..size-1 of comm) two
 * items deep, taking them from the front of the cost order (sched/items.h) as
 * results come back, and records each result (sched/coord.h). A worker
 * pre-posts the receive of its next item before computing, so the
 * coordinator's non-blocking send completes at once. Messages from rank 0
 * to a worker arrive in order: items, then STOP; a worker gets STOP only with
 * no item outstanding, so when every worker has got STOP every result is in.
 *
 * On a stop signal (sched/signals.h) the coordinator hands out no new work,
 * stops the idle workers and waits up to `grace` seconds for the items in
 * flight.
 *
 * MPI failures are returned as CKR_EMPI with err naming the call; the peers
 * of the failed call may then be blocked for good, so the caller cannot hope
 * to agree on an outcome with them. */
#ifndef CKR_SCHED_QUEUE_H
#define CKR_SCHED_QUEUE_H

#include <mpi.h>
#include <stddef.h>

#include "sched/coord.h"
#include "sched/exec.h"
#include "util/err.h"

struct ckr_work_msg;

/* The coordinator's state of the queue. */
typedef struct ckr_queue {
    int size;                   /* ranks of comm; workers are 1..size-1 */
    size_t front, back;         /* workers take order[front++] while front < back */
    int *outstanding;           /* per worker: items sent, results not yet back */
    char *stopped;              /* per worker: STOP sent */
    int n_stopped, busy;        /* workers stopped; items in flight */
    /* non-blocking sends: a standard MPI_Send may wait for the worker to
     * receive (it is busy computing), so each worker has its own buffers */
    struct ckr_work_msg *slot;  /* size x (depth + 1) */
    MPI_Request *sreq;          /* size x (depth + 1) */
    int *next_slot;             /* per worker */
    int abandoned;              /* sends may be pending: keep slot allocated */
} ckr_queue;

/* Allocate the coordinator's queue for a communicator of `size` ranks.
 * Returns 0 or CKR_ENOMEM (err set); q is then safe to ckr_queue_free. Rank 0
 * calls it before any work is handed out, so an out-of-memory can be agreed
 * with the workers like any other setup failure. */
int ckr_queue_init(ckr_queue *q, int size, ckr_err *err);

/* Coordinator (rank 0 of comm, size > 1): serve the workers from c->list's
 * order until every worker got STOP, recording each result with
 * ckr_coord_record. Returns 0 with *in_flight = 0 when every handed-out item
 * came back; 0 with *in_flight > 0 when after a stop signal the grace period
 * ran out with that many items still being computed (their workers are busy
 * in a method and will not take part in anything until they finish); or
 * CKR_EMPI (err set) when an MPI call failed. */
int ckr_queue_serve(MPI_Comm comm, ckr_queue *q, ckr_coord *c, double grace, int *in_flight,
                    ckr_err *err);

/* Free the queue. After an abandoned serve (*in_flight > 0) the send
 * buffers are kept (leaked on purpose): sends to the busy workers may still
 * be pending. */
void ckr_queue_free(ckr_queue *q);

/* Worker (rank > 0 of comm): ask rank 0 for work, execute each item with ex
 * and send its result back, until STOP. Returns 0, or CKR_EMPI (err set)
 * when an MPI call failed. */
int ckr_queue_work(MPI_Comm comm, ckr_executor *ex, ckr_err *err);

/* One rank: execute c->list's order in turn with ex, recording each result,
 * until done or a stop signal. */
void ckr_queue_run_serial(ckr_coord *c, ckr_executor *ex);

#endif
