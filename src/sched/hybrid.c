/* hybrid.c -- rank 0's coordinator thread and its own computing loop. */
#include "sched/hybrid.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sched/timeline.h"
#include "util/flops.h"

int ckr_hybrid_available(void)
{
    const char *off = getenv("CKPTRANK_NO_COORD_THREAD");
    if (off && off[0] && strcmp(off, "0") != 0)
        return 0;
    int provided = MPI_THREAD_SINGLE;
    if (MPI_Query_thread(&provided) != MPI_SUCCESS)
        return 0;
    return provided >= MPI_THREAD_MULTIPLE;
}

typedef struct coord_thread {
    MPI_Comm comm;
    ckr_queue *q;
    ckr_coord *c;
    ckr_executor *ex;
    double grace;
    int rc;
    ckr_err err;
    double cpu, wall;  /* the thread's CPU time and lifetime, seconds */
} coord_thread;

static double thread_cpu(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *coordinator_main(void *p)
{
    coord_thread *t = p;
    double w0 = ckr_now(), c0 = thread_cpu();
    int in_flight = 0;
    t->rc = ckr_queue_serve(t->comm, t->q, t->c, t->grace, &in_flight, &t->err);
    t->cpu = thread_cpu() - c0;
    t->wall = ckr_now() - w0;
    return NULL;
}

/* Rank 0's own worker: items of the queue until none is left for it. */
static void compute_local(ckr_queue *q, ckr_coord *c, ckr_executor *ex)
{
    ckr_item *it;
    int team = 0;
    while ((it = ckr_queue_take_local(q, c, &team)) != NULL) {
        const char *ckpt, *task;
        ckr_item_names(&c->list, it, &ckpt, &task); /* scanned metadata: no HDF5 */
        ckr_result res;
        ckr_timeline_mark(0, "item-start %s/%s %s", ckpt, task, c->list.specs[it->spec].text);
        if (team) /* collective with the other members of rank 0's team */
            ckr_executor_run_team(ex, ckpt, task, (int)it->spec, &res);
        else
            ckr_executor_run(ex, ckpt, task, (int)it->spec, &res);
        ckr_timeline_mark(0, "item-end");
        ckr_queue_put_local(q, c, it, &res);
    }
}

int ckr_hybrid_run(MPI_Comm comm, ckr_queue *q, ckr_coord *c, ckr_executor *ex, double grace,
                   ckr_err *err)
{
    coord_thread t;
    memset(&t, 0, sizeof t);
    t.comm = comm;
    t.q = q;
    t.c = c;
    t.ex = ex;
    t.grace = grace;
    pthread_mutex_t io_lock;
    pthread_t tid;
    int have_lock = pthread_mutex_init(&io_lock, NULL) == 0;
    ex->io_lock = have_lock ? &io_lock : NULL;
    if (!have_lock || pthread_create(&tid, NULL, coordinator_main, &t) != 0) {
        /* no thread: rank 0 only coordinates; worker 0 stops before taking anything */
        ex->io_lock = NULL;
        pthread_mutex_lock(&q->lock);
        q->stopped[0] = 1;
        q->team0_off = 1; /* its team's other members run ordinary items only */
        if (q->teams.n_teams == 1) /* no team left: every group is an ordinary one */
            for (size_t g = 0; g < c->list.n_groups; g++)
                c->list.groups[g].team = 0;
        pthread_mutex_unlock(&q->lock);
        coordinator_main(&t);
    } else {
        compute_local(q, c, ex);
        pthread_join(tid, NULL);
    }
    ex->io_lock = NULL;
    if (have_lock)
        pthread_mutex_destroy(&io_lock);
    if (getenv("CKPTRANK_TRACE"))
        fprintf(stderr, "ckptrank-trace: coordinator thread %.3f s CPU over %.3f s (%.1f%%); "
                        "rank 0 computed %zu items\n", t.cpu, t.wall,
                t.wall > 0 ? 100.0 * t.cpu / t.wall : 0.0, q->n_local);
    if (t.rc && err) {
        err->code = t.err.code;
        memcpy(err->msg, t.err.msg, sizeof err->msg);
    }
    return t.rc;
}
