/* hybrid.h -- rank 0 coordinates and computes: the queue is served from a
 * coordinator thread while rank 0's main thread computes items.
 *
 * Needs MPI_THREAD_MULTIPLE: the coordinator thread sends and receives on
 * the run's communicator while the main thread reads pairs through parallel
 * HDF5 (MPI-IO on MPI_COMM_SELF). Only the main thread uses HDF5 while the
 * coordinator serves (the executor's io_lock is held around its reads).
 * After a stop signal, rank 0's computing thread takes no new item; when
 * the grace period is over its item in hand sees the stop flag
 * (util/stop.h) and comes back as not-run, like the remote workers' items
 * (sched/queue.h). */
#ifndef CKR_SCHED_HYBRID_H
#define CKR_SCHED_HYBRID_H

#include <mpi.h>

#include "sched/coord.h"
#include "sched/exec.h"
#include "sched/queue.h"
#include "util/err.h"

/* Whether rank 0 can compute while coordinating: the MPI library provides
 * MPI_THREAD_MULTIPLE (the program asked for it with MPI_Init_thread) and
 * the environment variable CKPTRANK_NO_COORD_THREAD is unset or "0" (set:
 * rank 0 only coordinates, as with a lower thread level). */
int ckr_hybrid_available(void);

/* Rank 0 of comm, size > 1, q->local: start a thread serving q
 * (ckr_queue_serve), compute items of the queue with ex in this thread
 * (ckr_queue_take_local) until none is left for rank 0, then wait for the
 * thread. If the thread cannot be started, rank 0 only
 * coordinates (serving in this thread). Returns 0, or CKR_EMPI (err set)
 * when an MPI call of the coordinator failed. With CKPTRANK_TRACE set,
 * prints the coordinator thread's CPU time on stderr. */
int ckr_hybrid_run(MPI_Comm comm, ckr_queue *q, ckr_coord *c, ckr_executor *ex, double grace,
                   ckr_err *err);

#endif
