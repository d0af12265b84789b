/* queue.h -- handing the items out: the dynamic queue over MPI, or one rank.
 *
 * Rank 0 (the coordinator) keeps every worker at least two items deep (more
 * while the items are cheap, up to 16), taking them
 * from the cost order of pairs (sched/items.h) as results come back, and
 * records each result (sched/coord.h). Pair affinity: a worker is given a
 * whole pair (every item of one group of the order), item by item, before it
 * gets the next pair, so it reads each of its pairs once; the next pair's
 * first item is sent while the last one of the current pair is computing, so
 * a worker never waits. A worker pre-posts the receive of its next item
 * before computing, so the coordinator's non-blocking send completes at
 * once. Messages from rank 0 to a worker arrive in order: items, then STOP;
 * a worker gets STOP only with no item outstanding and no pair left, so when
 * every worker has got STOP every result is in.
 *
 * The workers are ranks 1..size-1 of comm and, when the queue is `local`,
 * rank 0 itself (worker 0): its main thread takes items with
 * ckr_queue_take_local / ckr_queue_put_local (no MPI message) while another
 * thread runs ckr_queue_serve (sched/hybrid.h). A mutex guards the queue and
 * the coordinator's records; the serving loop polls without blocking and
 * naps 50 us to 0.5 ms when nothing happened, so requests are answered
 * within a millisecond without the coordinator taking a core.
 *
 * On a stop signal (sched/signals.h) the coordinator hands out no new work,
 * stops the idle workers and waits for the items in flight (rank 0's own
 * included). When the grace period is over (the stop flag, util/stop.h, is
 * up: the grace clock ran out or a second signal came) with items still
 * out, it sends ABANDON (sched/abandon.h) to each busy worker and keeps
 * serving until every item is back, finished or not-run.
 *
 * MPI failures are returned as CKR_EMPI with err naming the call; the peers
 * of the failed call may then be blocked for good, so the caller cannot hope
 * to agree on an outcome with them. */
#ifndef CKR_SCHED_QUEUE_H
#define CKR_SCHED_QUEUE_H

#include <mpi.h>
#include <pthread.h>
#include <stddef.h>

#include "sched/coord.h"
#include "sched/exec.h"
#include "sched/teams.h"
#include "util/err.h"

struct ckr_work_msg;

/* The coordinator's state of the queue. */
typedef struct ckr_queue {
    int size;                   /* ranks of comm; remote workers are 1..size-1 */
    int local;                  /* rank 0 is worker 0 (takes items without MPI) */
    size_t next_group;          /* pairs not yet given to a worker: groups[next_group..] */
    size_t *pos, *end;          /* per worker: its pair's items still to send, order[pos..end) */
    int *outstanding;           /* per worker: items given, results not yet back */
    double *out_cost;           /* per worker: their estimated cost */
    char *stopped;              /* per worker: STOP sent (worker 0: it stopped taking) */
    int n_stopped_remote, busy; /* remote workers stopped; items in flight (all workers) */
    int failed;                 /* serving failed: the local worker takes no more */
    size_t n_local;             /* items computed by worker 0 */
    /* non-blocking sends: a standard MPI_Send may wait for the worker to
     * receive (it is busy computing), so each worker has its own buffers */
    struct ckr_work_msg *slot;  /* size x (depth + 1) */
    MPI_Request *sreq;          /* size x (depth + 1) */
    int *next_slot;             /* per worker */
    int abandoned;              /* sends may be pending: keep slot allocated */
    struct ckr_abandon *abandon; /* where ABANDON goes after the grace (NULL: nowhere) */
    /* teams (sched/teams.h; n_teams 0: none) */
    ckr_teams teams;
    MPI_Comm comm;              /* the run's (worker 0 may hand team items to its team) */
    size_t next_tgroup;         /* team pairs not yet given to a team: groups[next_tgroup..] */
    size_t *tpos, *tend;        /* per team: its pair's team items still to send */
    struct ckr_item **lfifo;    /* team items handed to worker 0, not yet taken */
    int lf_head, lf_n;
    int team0_off;              /* rank 0 cannot compute after all: its team takes no team items */
    pthread_mutex_t lock;       /* guards all of the above and the ckr_coord while serving */
    int lock_ok;
} ckr_queue;

/* Allocate the coordinator's queue for a communicator of `size` ranks, rank
 * 0 computing too when `local`, handing out c->list's order from its start
 * (call after ckr_items_order). Returns 0 or CKR_ENOMEM (err set);
 * q is then safe to ckr_queue_free. Rank 0 calls it before any work is
 * handed out, so a failure can be agreed with the workers like any other
 * setup failure. */
int ckr_queue_init(ckr_queue *q, int size, int local, const ckr_coord *c, ckr_err *err);

/* Teams: hand c->list's team groups (ckr_items_split_teams) to the teams
 * of `teams`, over comm (the one ckr_queue_serve gets). Call after
 * ckr_queue_init, before serving. Each item of a team group goes to every
 * member of one team at once (the same items in the same order on every
 * member); a team gets the next item only when every member has room for
 * it, and team members get single-rank items only when no team group is
 * left to start (so no member is ever busy elsewhere while its team waits
 * in a collective). Every member answers each team item; the leader's
 * answer is the result recorded, the others' only say the member is free.
 * The ranks in no team take only ordinary groups. Returns 0 or CKR_ENOMEM. */
int ckr_queue_set_teams(ckr_queue *q, MPI_Comm comm, const ckr_teams *teams, ckr_err *err);

/* Coordinator (rank 0 of comm, size > 1): serve the workers from c->list's
 * order until every worker got STOP (and, when local, worker 0 stopped
 * taking), recording each result with ckr_coord_record. Thread-safe against
 * ckr_queue_take_local / ckr_queue_put_local in another thread (never
 * against a second serve). `grace` is only reported (the stop flag times
 * it). Returns 0 when every handed-out item came back (*in_flight = 0,
 * always: abandoned items come back as not-run), or CKR_EMPI (err set) when
 * an MPI call failed. */
int ckr_queue_serve(MPI_Comm comm, ckr_queue *q, ckr_coord *c, double grace, int *in_flight,
                    ckr_err *err);

/* Worker 0 (rank 0's computing thread, q->local): the next item for it
 * (its current pair's next item, else the next pair's first), counted in
 * flight; or NULL when there is none, a stop signal came or serving failed,
 * and then worker 0 is stopped for good. In a team, it may wait (napping
 * without the lock) for its team's next item; *team is set to 1 for a team
 * item (run it with ckr_executor_run_team), else 0. Team items already
 * handed to it are still returned after a stop signal: its team's other
 * members compute them too. */
ckr_item *ckr_queue_take_local(ckr_queue *q, ckr_coord *c, int *team);

/* Worker 0: its result res for it is in: record it (ckr_coord_record). */
void ckr_queue_put_local(ckr_queue *q, ckr_coord *c, ckr_item *it, const ckr_result *res);

/* Free the queue. After a failed serve the send buffers are kept (leaked
 * on purpose): sends to the workers may still be pending. */
void ckr_queue_free(ckr_queue *q);

/* Worker (rank > 0 of comm): ask rank 0 for work, execute each item with ex
 * (a team item with ckr_executor_run_team) and send its result back, until STOP. Returns 0, or CKR_EMPI (err set)
 * when an MPI call failed. */
int ckr_queue_work(MPI_Comm comm, ckr_executor *ex, ckr_err *err);

/* One rank: execute c->list's order in turn with ex, recording each result,
 * until done or a stop signal. */
void ckr_queue_run_serial(ckr_coord *c, ckr_executor *ex);

#endif
