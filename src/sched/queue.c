/* queue.c -- the dynamic queue: coordinator and worker message loops, and
 * the one-rank run. */
#include "sched/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/mpicheck.h"
#include "sched/signals.h"
#include "util/flops.h"

enum { TAG_RESULT = 1, TAG_WORK = 2, TAG_STOP = 3 };

/* Items a worker holds at once (one computing, one queued): its next item is
 * already there when it sends a result, so it never waits on rank 0. */
#define WORKER_DEPTH 2
#define SEND_SLOTS (WORKER_DEPTH + 1)

/* What rank 0 sends to a worker. */
typedef struct ckr_work_msg {
    int item, spec;
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
} work_msg;

/* What a worker sends back (item = -1 on the first request). */
typedef struct result_msg {
    int item;
    ckr_result res;
} result_msg;

/* ---- one rank ------------------------------------------------------------------------------ */

void ckr_queue_run_serial(ckr_coord *c, ckr_executor *ex)
{
    ckr_item_list *l = &c->list;
    for (size_t i = 0; i < l->n_todo && !ckr_stop_signal(); i++) {
        const char *ckpt, *task;
        ckr_item_names(l, l->order[i], &ckpt, &task);
        ckr_executor_run(ex, ckpt, task, (int)l->order[i]->spec, &l->order[i]->res);
        ckr_coord_record(c, l->order[i]);
    }
}

/* ---- coordinator ----------------------------------------------------------------------------- */

int ckr_queue_init(ckr_queue *q, int size, ckr_err *err)
{
    memset(q, 0, sizeof *q);
    size_t ns = (size_t)size * SEND_SLOTS;
    q->size = size;
    q->outstanding = calloc((size_t)size, sizeof *q->outstanding);
    q->stopped = calloc((size_t)size, 1);
    q->slot = calloc(ns, sizeof *q->slot);
    q->sreq = malloc(ns * sizeof *q->sreq);
    q->next_slot = calloc((size_t)size, sizeof *q->next_slot);
    if (!q->outstanding || !q->stopped || !q->slot || !q->sreq || !q->next_slot)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the work queue of %d ranks", size);
    for (size_t k = 0; k < ns; k++)
        q->sreq[k] = MPI_REQUEST_NULL;
    return 0;
}

void ckr_queue_free(ckr_queue *q)
{
    free(q->outstanding);
    free(q->stopped);
    if (!q->abandoned) /* else sends may be pending: the buffers must outlive them */
        free(q->slot);
    free(q->sreq);
    free(q->next_slot);
    memset(q, 0, sizeof *q);
}

static void sleep_briefly(double seconds)
{
    struct timespec ts = { 0, (long)(seconds * 1e9) };
    nanosleep(&ts, NULL);
}

static int send_item(MPI_Comm comm, ckr_coord *c, ckr_queue *q, ckr_item *it, int worker,
                     ckr_err *err)
{
    size_t k = (size_t)worker * SEND_SLOTS + (size_t)q->next_slot[worker];
    q->next_slot[worker] = (q->next_slot[worker] + 1) % SEND_SLOTS;
    int mrc = MPI_Wait(&q->sreq[k], MPI_STATUS_IGNORE); /* long done: the worker answered since */
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "completing a send of work to rank %d", worker);
    work_msg *w = &q->slot[k];
    memset(w, 0, sizeof *w);
    const char *ckpt, *task;
    ckr_item_names(&c->list, it, &ckpt, &task);
    w->item = (int)ckr_item_index(&c->list, it);
    w->spec = (int)it->spec;
    snprintf(w->ckpt, sizeof w->ckpt, "%s", ckpt);
    snprintf(w->task, sizeof w->task, "%s", task);
    mrc = MPI_Isend(w, (int)sizeof *w, MPI_BYTE, worker, TAG_WORK, comm, &q->sreq[k]);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "sending work to rank %d", worker);
    return 0;
}

static int queue_empty(const ckr_queue *q) { return q->front >= q->back; }

/* After a message from `worker`: top it up to WORKER_DEPTH, or stop it. */
static int refill(MPI_Comm comm, ckr_coord *c, ckr_queue *q, int worker, ckr_err *err)
{
    while (!ckr_stop_signal() && !queue_empty(q) && q->outstanding[worker] < WORKER_DEPTH) {
        int rc = send_item(comm, c, q, c->list.order[q->front++], worker, err);
        if (rc)
            return rc;
        q->outstanding[worker]++;
        q->busy++;
    }
    if (q->outstanding[worker] == 0 && !q->stopped[worker] && (ckr_stop_signal() || queue_empty(q))) {
        int mrc = MPI_Send(NULL, 0, MPI_BYTE, worker, TAG_STOP, comm);
        if (mrc != MPI_SUCCESS)
            return ckr_mpi_fail(mrc, err, "sending STOP to rank %d", worker);
        q->stopped[worker] = 1;
        q->n_stopped++;
    }
    return 0;
}

/* A message from `worker` has arrived in `in`: record its result. A first
 * request (item -1), or anything not naming an item out at that worker, is
 * only a request for work. */
static void take_result(ckr_coord *c, ckr_queue *q, const result_msg *in, int worker)
{
    if (in->item >= 0 && (size_t)in->item < c->list.n && worker > 0 && worker < q->size &&
        q->outstanding[worker] > 0) {
        c->list.items[in->item].res = in->res;
        ckr_coord_record(c, &c->list.items[in->item]);
        q->outstanding[worker]--;
        q->busy--;
    }
}

/* Withdraw the posted receive req. *got says whether it had matched a
 * message meanwhile (then in and *st hold it). */
static int withdraw_receive(MPI_Request *req, MPI_Status *st, int *got, ckr_err *err)
{
    int cancelled = 0, mrc = MPI_Cancel(req);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Wait(req, st);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Test_cancelled(st, &cancelled);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "withdrawing the receive of results");
    *got = !cancelled;
    return 0;
}

/* After a stop signal: say so, and stop the idle workers at once. */
static int stop_idle_workers(MPI_Comm comm, ckr_coord *c, ckr_queue *q, double grace,
                             ckr_err *err)
{
    fprintf(stderr, "ckptrank: signal %d: no new work; waiting up to %.0f s for %d item(s) in flight\n",
            ckr_stop_signal(), grace, q->busy);
    for (int w = 1; w < q->size; w++)
        if (!q->stopped[w] && q->outstanding[w] == 0) {
            int rc = refill(comm, c, q, w, err);
            if (rc)
                return rc;
        }
    return 0;
}

static int post_receive(MPI_Comm comm, result_msg *in, MPI_Request *req, ckr_err *err)
{
    int mrc = MPI_Irecv(in, (int)sizeof *in, MPI_BYTE, MPI_ANY_SOURCE, TAG_RESULT, comm, req);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "posting the receive of results");
}

static int serve(MPI_Comm comm, ckr_queue *q, ckr_coord *c, double grace, int *in_flight,
                 ckr_err *err)
{
    const int workers = q->size - 1;
    result_msg in;
    MPI_Request req;
    MPI_Status st;
    double stop_at = -1.0, nap = 1e-5;
    int rc = post_receive(comm, &in, &req, err), mrc;
    while (!rc && q->n_stopped < workers) {
        if (ckr_stop_signal() && stop_at < 0) {
            stop_at = ckr_now();
            if ((rc = stop_idle_workers(comm, c, q, grace, err)) != 0)
                return rc;
            if (q->n_stopped == workers) {
                /* no item is out, so only a first request can have matched: drop it */
                int got = 0;
                rc = withdraw_receive(&req, &st, &got, err);
                break;
            }
        }
        int flag = 0;
        if ((mrc = MPI_Test(&req, &flag, &st)) != MPI_SUCCESS)
            return ckr_mpi_fail(mrc, err, "receiving results");
        if (!flag && stop_at >= 0 && ckr_now() - stop_at > grace && q->busy > 0) {
            if ((rc = withdraw_receive(&req, &st, &flag, err)) != 0)
                return rc;
            if (!flag) { /* the grace period is over with items in flight */
                *in_flight = q->busy;
                return 0;
            }
        }
        if (flag) {
            nap = 1e-5;
            take_result(c, q, &in, st.MPI_SOURCE);
            rc = refill(comm, c, q, st.MPI_SOURCE, err);
            if (!rc && q->n_stopped < workers)
                rc = post_receive(comm, &in, &req, err);
            continue;
        }
        /* poll gently so an oversubscribed coordinator does not steal a core */
        sleep_briefly(nap);
        nap = nap < 2e-3 ? nap * 2 : 2e-3;
        ckr_progress_update(&c->pg, c->n_computed, c->n_failed, 0);
    }
    if (rc)
        return rc;
    /* every worker answered every item: the sends are complete */
    if ((mrc = MPI_Waitall(q->size * SEND_SLOTS, q->sreq, MPI_STATUSES_IGNORE)) != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "completing the sends of work");
    return 0;
}

int ckr_queue_serve(MPI_Comm comm, ckr_queue *q, ckr_coord *c, double grace, int *in_flight,
                    ckr_err *err)
{
    q->front = 0;
    q->back = c->list.n_todo;
    *in_flight = 0;
    int rc = serve(comm, q, c, grace, in_flight, err);
    if (rc || *in_flight)
        q->abandoned = 1;
    return rc;
}

/* ---- worker ------------------------------------------------------------------------------------ */

int ckr_queue_work(MPI_Comm comm, ckr_executor *ex, ckr_err *err)
{
    result_msg out;
    memset(&out, 0, sizeof out);
    out.item = -1; /* the first message asks for work */
    /* rank 0's messages arrive in order: items, then STOP. The receive of the
     * next one is posted before computing, so rank 0's send completes at once
     * instead of spinning until this worker is done. */
    work_msg w[2];
    MPI_Request req;
    int cur = 0;
    int mrc = MPI_Irecv(&w[cur], (int)sizeof w[cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Send(&out, (int)sizeof out, MPI_BYTE, 0, TAG_RESULT, comm);
    while (mrc == MPI_SUCCESS) {
        MPI_Status st;
        if ((mrc = MPI_Wait(&req, &st)) != MPI_SUCCESS || st.MPI_TAG == TAG_STOP)
            break;
        mrc = MPI_Irecv(&w[1 - cur], (int)sizeof w[1 - cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
        if (mrc != MPI_SUCCESS)
            break;
        memset(&out, 0, sizeof out);
        out.item = w[cur].item;
        ckr_executor_run(ex, w[cur].ckpt, w[cur].task, w[cur].spec, &out.res);
        mrc = MPI_Send(&out, (int)sizeof out, MPI_BYTE, 0, TAG_RESULT, comm);
        cur = 1 - cur;
    }
    ckr_executor_release(ex);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "worker: exchanging work with rank 0");
}
