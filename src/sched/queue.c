/* queue.c -- the dynamic queue: pair affinity, the coordinator's and the
 * workers' message loops, rank 0's own worker, and the one-rank run. */
#include "sched/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/abandon.h"
#include "sched/mpicheck.h"
#include "sched/signals.h"
#include "sched/timeline.h"
#include "util/flops.h"
#include "util/stop.h"

enum { TAG_RESULT = 1, TAG_WORK = 2, TAG_STOP = 3 };

/* Items a remote worker holds at once: at least WORKER_DEPTH (one computing,
 * one queued: its next item is already there when it sends a result), and
 * more, up to WORKER_DEPTH_MAX, while their estimated cost (about FLOPs) is
 * below DEPTH_COST, about 20-50 ms of work: cheap items (LEEP, NCE: well
 * under a millisecond) would otherwise each wait for the coordinator's
 * answer, which a loaded machine can delay by milliseconds. The deeper
 * queue never opens a new pair (refill). */
#define WORKER_DEPTH 2
#define WORKER_DEPTH_MAX 16
#define DEPTH_COST 5e7
#define SEND_SLOTS (WORKER_DEPTH_MAX + 1)

/* What rank 0 sends to a worker. */
typedef struct ckr_work_msg {
    int item, spec;
    int team;                   /* 1: a team item (every member of the team gets it) */
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
} work_msg;

/* What a worker sends back (item = -1 on the first request). */
typedef struct result_msg {
    int item;
    int ack;                    /* a team member other than the leader: no result, only free */
    ckr_result res;
} result_msg;

/* ---- one rank ------------------------------------------------------------------------------ */

void ckr_queue_run_serial(ckr_coord *c, ckr_executor *ex)
{
    ckr_item_list *l = &c->list;
    for (size_t i = 0; i < l->n_todo && !ckr_stop_signal(); i++) {
        const char *ckpt, *task;
        ckr_item_names(l, l->order[i], &ckpt, &task);
        ckr_timeline_mark(0, "item-start %s/%s %s", ckpt, task, l->specs[l->order[i]->spec].text);
        ckr_executor_run(ex, ckpt, task, (int)l->order[i]->spec, &l->order[i]->res);
        ckr_timeline_mark(0, "item-end");
        ckr_coord_record(c, l->order[i]);
    }
}

/* ---- coordinator ----------------------------------------------------------------------------- */

int ckr_queue_init(ckr_queue *q, int size, int local, const ckr_coord *c, ckr_err *err)
{
    (void)c; /* the order is read as it is handed out; nothing to copy */
    memset(q, 0, sizeof *q);
    size_t ns = (size_t)size * SEND_SLOTS;
    q->size = size;
    q->local = local;
    q->pos = calloc((size_t)size, sizeof *q->pos);
    q->end = calloc((size_t)size, sizeof *q->end);
    q->outstanding = calloc((size_t)size, sizeof *q->outstanding);
    q->out_cost = calloc((size_t)size, sizeof *q->out_cost);
    q->stopped = calloc((size_t)size, 1);
    q->slot = calloc(ns, sizeof *q->slot);
    q->sreq = malloc(ns * sizeof *q->sreq);
    q->next_slot = calloc((size_t)size, sizeof *q->next_slot);
    if (!q->pos || !q->end || !q->outstanding || !q->out_cost || !q->stopped || !q->slot || !q->sreq || !q->next_slot)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the work queue of %d ranks", size);
    for (size_t k = 0; k < ns; k++)
        q->sreq[k] = MPI_REQUEST_NULL;
    if (!local)
        q->stopped[0] = 1; /* rank 0 only coordinates */
    q->comm = MPI_COMM_NULL;
    if (pthread_mutex_init(&q->lock, NULL) != 0)
        return ckr_err_set(err, CKR_ENOMEM, "cannot create the lock of the work queue");
    q->lock_ok = 1;
    return 0;
}

void ckr_queue_free(ckr_queue *q)
{
    free(q->pos);
    free(q->end);
    free(q->outstanding);
    free(q->out_cost);
    free(q->stopped);
    if (!q->abandoned) /* else sends may be pending: the buffers must outlive them */
        free(q->slot);
    free(q->sreq);
    free(q->next_slot);
    free(q->tpos);
    free(q->tend);
    free(q->lfifo);
    if (q->lock_ok)
        pthread_mutex_destroy(&q->lock);
    memset(q, 0, sizeof *q);
}

static void lock(ckr_queue *q) { pthread_mutex_lock(&q->lock); }
static void unlock(ckr_queue *q) { pthread_mutex_unlock(&q->lock); }

/* ---- pair affinity: what a worker gets next -------------------------------------------------- */

/* Whether an ordinary (single-rank) group is left to give out; skips the
 * team groups, which only teams take. */
static int singles_left(const ckr_coord *c, ckr_queue *q)
{
    while (q->next_group < c->list.n_groups && c->list.groups[q->next_group].team)
        q->next_group++;
    return q->next_group < c->list.n_groups;
}

/* Worker w's next item: the next of its pair, else the first of the next
 * pair not yet given out (which becomes its pair); NULL when neither. */
static ckr_item *next_item(ckr_coord *c, ckr_queue *q, int worker)
{
    if (q->pos[worker] == q->end[worker]) {
        if (!singles_left(c, q))
            return NULL;
        const ckr_item_group *g = &c->list.groups[q->next_group++];
        q->pos[worker] = g->first;
        q->end[worker] = g->first + g->count;
    }
    return c->list.order[q->pos[worker]++];
}

/* Worker w's team, or -1 (none, or rank 0's team when rank 0 cannot compute). */
static int team_of(const ckr_queue *q, int w)
{
    int k = ckr_teams_of(&q->teams, w);
    return k == 0 && q->team0_off ? -1 : k;
}

/* Whether a team group is left to start (skipping the ordinary groups). */
static int team_groups_left(const ckr_coord *c, ckr_queue *q)
{
    while (q->next_tgroup < c->list.n_groups && !c->list.groups[q->next_tgroup].team)
        q->next_tgroup++;
    return q->next_tgroup < c->list.n_groups;
}

/* Team k has items to send now or later. */
static int team_work_left(const ckr_coord *c, ckr_queue *q, int k)
{
    return k >= 0 && (q->tpos[k] < q->tend[k] || team_groups_left(c, q));
}

/* Nothing is left for worker w, now or later (pairs are never taken back). */
static int no_work_for(const ckr_coord *c, ckr_queue *q, int worker)
{
    if (worker == 0 && q->lf_n > 0)
        return 0;
    return q->pos[worker] == q->end[worker] &&
           !team_work_left(c, q, team_of(q, worker)) && !singles_left(c, q);
}

static void sleep_briefly(double seconds)
{
    struct timespec ts = { 0, (long)(seconds * 1e9) };
    nanosleep(&ts, NULL);
}

static int send_item(MPI_Comm comm, ckr_coord *c, ckr_queue *q, ckr_item *it, int worker,
                     int team, ckr_err *err)
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
    w->team = team;
    snprintf(w->ckpt, sizeof w->ckpt, "%s", ckpt);
    snprintf(w->task, sizeof w->task, "%s", task);
    mrc = MPI_Isend(w, (int)sizeof *w, MPI_BYTE, worker, TAG_WORK, comm, &q->sreq[k]);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "sending work to rank %d", worker);
    return 0;
}

/* Worker w can take one more item. */
static int has_room(const ckr_queue *q, int w)
{
    return q->outstanding[w] < WORKER_DEPTH ||
           (q->outstanding[w] < WORKER_DEPTH_MAX && q->out_cost[w] < DEPTH_COST);
}

/* Hand team k its next items while every member has room: each to every
 * member (worker 0 through its fifo), all or none. */
static int refill_team(MPI_Comm comm, ckr_coord *c, ckr_queue *q, int k, ckr_err *err)
{
    const ckr_teams *T = &q->teams;
    while (!ckr_stop_signal()) {
        if (q->tpos[k] == q->tend[k]) {
            if (!team_groups_left(c, q))
                return 0;
            const ckr_item_group *g = &c->list.groups[q->next_tgroup++];
            q->tpos[k] = g->first;
            q->tend[k] = g->first + g->count;
        }
        for (int m = 0; m < T->P; m++)
            if (!has_room(q, ckr_teams_rank(T, k, m)))
                return 0;
        ckr_item *it = c->list.order[q->tpos[k]++];
        for (int m = 0; m < T->P; m++) {
            int w = ckr_teams_rank(T, k, m);
            if (w == 0) {
                q->lfifo[(q->lf_head + q->lf_n++) % WORKER_DEPTH_MAX] = it;
            } else {
                int rc = send_item(comm, c, q, it, w, 1, err);
                if (rc)
                    return rc;
            }
            q->out_cost[w] += it->cost;
            q->outstanding[w]++;
            q->busy++;
        }
    }
    return 0;
}

/* After a message from `worker`: top it up to WORKER_DEPTH, or stop it. A
 * team member gets its team's items while its team has any (refill_team),
 * and ordinary items only after. */
static int refill(MPI_Comm comm, ckr_coord *c, ckr_queue *q, int worker, ckr_err *err)
{
    int k = team_of(q, worker);
    if (k >= 0) {
        int rc = refill_team(comm, c, q, k, err);
        if (rc)
            return rc;
    }
    while (!ckr_stop_signal() && !no_work_for(c, q, worker) && !team_work_left(c, q, k) &&
           has_room(q, worker)) {
        /* a new pair only for the minimal depth: the deeper queue of cheap
         * items stays within the worker's pair, so a worker does not claim
         * a pair (which no other rank may then run) while it still has
         * tens of milliseconds of work queued -- at the end of the run that
         * work would be the tail, with the other ranks idle */
        if (q->pos[worker] == q->end[worker] && q->outstanding[worker] >= WORKER_DEPTH)
            break;
        ckr_item *it = next_item(c, q, worker);
        int rc = send_item(comm, c, q, it, worker, 0, err);
        if (rc)
            return rc;
        q->out_cost[worker] += it->cost;
        q->outstanding[worker]++;
        q->busy++;
    }
    if (q->outstanding[worker] == 0 && !q->stopped[worker] &&
        (ckr_stop_signal() || no_work_for(c, q, worker))) {
        int mrc = MPI_Send(NULL, 0, MPI_BYTE, worker, TAG_STOP, comm);
        if (mrc != MPI_SUCCESS)
            return ckr_mpi_fail(mrc, err, "sending STOP to rank %d", worker);
        q->stopped[worker] = 1;
        q->n_stopped_remote++;
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
        if (!in->ack) { /* an ack only says a team member is free */
            c->list.items[in->item].res = in->res;
            ckr_coord_record(c, &c->list.items[in->item]);
        }
        q->out_cost[worker] -= c->list.items[in->item].cost;
        if (--q->outstanding[worker] == 0)
            q->out_cost[worker] = 0.0; /* no drift */
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

/* The grace period is over (or a second signal came) with items in
 * flight: tell every busy remote worker to abandon its items (they come back
 * as not-run); worker 0, rank 0's own computing thread, sees the stop flag
 * itself. Serving goes on until every item is back. */
static int abandon_busy_workers(ckr_queue *q, ckr_err *err)
{
    int why = ckr_stop_why_code();
    fprintf(stderr, "ckptrank: %s: abandoning the %d item(s) in flight\n",
            why == CKR_STOP_WHY_SECOND ? "second signal" : "grace period over", q->busy);
    for (int w = 1; w < q->size && q->abandon; w++)
        if (q->outstanding[w] > 0) {
            int rc = ckr_abandon_send(q->abandon, w, why, err);
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

/* Nap lengths of the serving loop when nothing happened: short after
 * traffic, growing to the longest, which bounds the answer time. */
#define NAP_MIN 5e-5
#define NAP_MAX 5e-4

static int all_stopped(const ckr_queue *q)
{
    return q->n_stopped_remote == q->size - 1 && q->stopped[0];
}

/* The loop of ckr_queue_serve; called and returning with q->lock held. */
static int serve(MPI_Comm comm, ckr_queue *q, ckr_coord *c, double grace, ckr_err *err)
{
    const int remote = q->size - 1;
    result_msg in;
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Status st;
    double stop_at = -1.0, nap = NAP_MIN;
    int rc = post_receive(comm, &in, &req, err), mrc, posted = rc == 0, abandoning = 0;
    while (!rc && !all_stopped(q)) {
        if (ckr_stop_signal() && stop_at < 0) {
            stop_at = ckr_now();
            if ((rc = stop_idle_workers(comm, c, q, grace, err)) != 0)
                return rc;
            if (posted && q->n_stopped_remote == remote) {
                /* no item is out at a remote worker, so only a first request
                 * can have matched: drop it */
                int got = 0;
                posted = 0;
                if ((rc = withdraw_receive(&req, &st, &got, err)) != 0)
                    return rc;
                continue;
            }
        }
        int flag = 0;
        if (posted && (mrc = MPI_Test(&req, &flag, &st)) != MPI_SUCCESS)
            return ckr_mpi_fail(mrc, err, "receiving results");
        if (!flag && stop_at >= 0 && !abandoning && q->busy > 0 && ckr_stop_requested()) {
            abandoning = 1; /* the grace clock (sched/signals.h) ran out, or a second signal */
            if ((rc = abandon_busy_workers(q, err)) != 0)
                return rc;
        }
        if (flag) {
            nap = NAP_MIN;
            posted = 0;
            take_result(c, q, &in, st.MPI_SOURCE);
            rc = refill(comm, c, q, st.MPI_SOURCE, err);
            if (!rc && q->n_stopped_remote < remote) {
                rc = post_receive(comm, &in, &req, err);
                posted = rc == 0;
            }
            continue;
        }
        /* nap (without the lock: worker 0 may record meanwhile) so the
         * coordinator does not steal a core from the computing ranks */
        ckr_progress_update(&c->pg, c->n_computed, c->n_failed, 0);
        unlock(q);
        sleep_briefly(nap);
        nap = nap < NAP_MAX ? nap * 2 : NAP_MAX;
        lock(q);
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
    *in_flight = 0;
    lock(q);
    int rc = serve(comm, q, c, grace, err);
    if (rc)
        q->abandoned = 1;
    if (rc)
        q->failed = 1;
    unlock(q);
    return rc;
}

/* Worker 0's next item, under the lock: a team item handed to it, else
 * (its team having nothing left) an ordinary one; *wait set when its team
 * has items for it later. */
static ckr_item *take_local_locked(ckr_queue *q, ckr_coord *c, int *team, int *wait)
{
    int k = team_of(q, 0);
    *wait = 0;
    if (q->failed)
        return NULL;
    if (q->lf_n == 0 && k >= 0 && !ckr_stop_signal()) {
        ckr_err err = { 0, "" };
        if (refill_team(q->comm, c, q, k, &err) != 0) {
            fprintf(stderr, "ckptrank: %s\n", err.msg);
            q->failed = 1;
            return NULL;
        }
    }
    if (q->lf_n > 0) { /* counted in flight when handed over */
        ckr_item *it = q->lfifo[q->lf_head];
        q->lf_head = (q->lf_head + 1) % WORKER_DEPTH_MAX;
        q->lf_n--;
        *team = 1;
        return it;
    }
    if (ckr_stop_signal())
        return NULL;
    if (team_work_left(c, q, k)) {
        *wait = 1;
        return NULL;
    }
    ckr_item *it = next_item(c, q, 0);
    if (it) {
        q->outstanding[0]++;
        q->busy++;
    }
    return it;
}

ckr_item *ckr_queue_take_local(ckr_queue *q, ckr_coord *c, int *team)
{
    ckr_item *it = NULL;
    int wait = 0;
    double nap = NAP_MIN;
    *team = 0;
    lock(q);
    while ((it = take_local_locked(q, c, team, &wait)) == NULL && wait) {
        unlock(q); /* the other members are still busy: their answers refill the team */
        sleep_briefly(nap);
        nap = nap < NAP_MAX ? nap * 2 : NAP_MAX;
        lock(q);
    }
    if (!it)
        q->stopped[0] = 1;
    unlock(q);
    return it;
}

int ckr_queue_set_teams(ckr_queue *q, MPI_Comm comm, const ckr_teams *teams, ckr_err *err)
{
    q->teams = *teams;
    q->comm = comm;
    size_t nt = teams->n_teams > 0 ? (size_t)teams->n_teams : 0;
    q->tpos = calloc(nt + 1, sizeof *q->tpos);
    q->tend = calloc(nt + 1, sizeof *q->tend);
    q->lfifo = calloc(WORKER_DEPTH_MAX, sizeof *q->lfifo);
    if (!q->tpos || !q->tend || !q->lfifo)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the queue of %zu teams", nt);
    return 0;
}

void ckr_queue_put_local(ckr_queue *q, ckr_coord *c, ckr_item *it, const ckr_result *res)
{
    lock(q);
    it->res = *res;
    ckr_coord_record(c, it);
    q->outstanding[0]--;
    q->busy--;
    q->n_local++;
    unlock(q);
}

/* ---- worker ------------------------------------------------------------------------------------ */

int ckr_queue_work(MPI_Comm comm, ckr_executor *ex, ckr_err *err)
{
    /* results go back without blocking (two buffers: the send of one result
     * completes while the next item computes) */
    result_msg out[2];
    MPI_Request sreq[2] = { MPI_REQUEST_NULL, MPI_REQUEST_NULL };
    int ocur = 0;
    memset(out, 0, sizeof out);
    out[0].item = -1; /* the first message asks for work */
    /* rank 0's messages arrive in order: items, then STOP. The receive of the
     * next one is posted before computing, so rank 0's send completes at once
     * instead of spinning until this worker is done. */
    work_msg w[2];
    MPI_Request req;
    int cur = 0, me = -1;
    MPI_Comm_rank(comm, &me);
    int mrc = MPI_Irecv(&w[cur], (int)sizeof w[cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Isend(&out[ocur], (int)sizeof out[ocur], MPI_BYTE, 0, TAG_RESULT, comm,
                        &sreq[ocur]);
    while (mrc == MPI_SUCCESS) {
        MPI_Status st;
        if ((mrc = MPI_Wait(&req, &st)) != MPI_SUCCESS || st.MPI_TAG == TAG_STOP)
            break;
        mrc = MPI_Irecv(&w[1 - cur], (int)sizeof w[1 - cur], MPI_BYTE, 0, MPI_ANY_TAG, comm, &req);
        ocur = 1 - ocur;
        if (mrc == MPI_SUCCESS) /* the send from this buffer two items ago */
            mrc = MPI_Wait(&sreq[ocur], MPI_STATUS_IGNORE);
        if (mrc != MPI_SUCCESS)
            break;
        result_msg *o = &out[ocur];
        memset(o, 0, sizeof *o);
        o->item = w[cur].item;
        ckr_timeline_mark(me, "item-start %s/%s %s", w[cur].ckpt, w[cur].task,
                          ex->specs[w[cur].spec].text);
        if (w[cur].team && ex->team_comm != MPI_COMM_NULL) {
            ckr_executor_run_team(ex, w[cur].ckpt, w[cur].task, w[cur].spec, &o->res);
            o->ack = ex->team_rank != 0;
        } else {
            ckr_executor_run(ex, w[cur].ckpt, w[cur].task, w[cur].spec, &o->res);
        }
        ckr_timeline_mark(me, "item-end");
        mrc = MPI_Isend(o, (int)sizeof *o, MPI_BYTE, 0, TAG_RESULT, comm, &sreq[ocur]);
        cur = 1 - cur;
    }
    /* rank 0 sends STOP only when every result is in: these sends are done */
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Waitall(2, sreq, MPI_STATUSES_IGNORE);
    ckr_executor_release(ex);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "worker: exchanging work with rank 0");
}
