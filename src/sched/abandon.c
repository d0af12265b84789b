/* abandon.c -- the ABANDON message: rank 0 sends, workers probe. */
#include "sched/abandon.h"

#include <stdlib.h>
#include <string.h>

#include "sched/mpicheck.h"
#include "sched/signals.h"
#include "util/flops.h"

enum { TAG_ABANDON = 1 };

int ckr_abandon_init(ckr_abandon *a, MPI_Comm comm, ckr_err *err)
{
    memset(a, 0, sizeof *a);
    a->comm = MPI_COMM_NULL;
    int mrc = MPI_Comm_rank(comm, &a->rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_size(comm, &a->size);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_dup(comm, &a->comm);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Comm_set_errhandler(a->comm, MPI_ERRORS_RETURN);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "setting up the run's abandon channel");
    return 0;
}

int ckr_abandon_records(ckr_abandon *a, ckr_err *err)
{
    a->why = calloc((size_t)a->size, sizeof *a->why);
    a->req = malloc((size_t)a->size * sizeof *a->req);
    if (!a->why || !a->req)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the abandon records of %d ranks",
                           a->size);
    for (int r = 0; r < a->size; r++)
        a->req[r] = MPI_REQUEST_NULL;
    return 0;
}

int ckr_abandon_send(ckr_abandon *a, int worker, int why, ckr_err *err)
{
    if (worker <= 0 || worker >= a->size || !a->why || a->why[worker])
        return 0;
    a->why[worker] = why > 0 ? why : CKR_STOP_WHY_GRACE;
    int mrc = MPI_Isend(&a->why[worker], 1, MPI_INT, worker, TAG_ABANDON, a->comm, &a->req[worker]);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "sending ABANDON to rank %d", worker);
}

/* Receive the ABANDON waiting (or coming) for this worker. */
static int receive(ckr_abandon *a)
{
    int why = 0;
    int mrc = MPI_Recv(&why, 1, MPI_INT, 0, TAG_ABANDON, a->comm, MPI_STATUS_IGNORE);
    if (mrc != MPI_SUCCESS)
        return mrc;
    a->got = 1;
    ckr_stop_set_why(why);
    return MPI_SUCCESS;
}

int ckr_abandon_hook(void *ctx)
{
    ckr_abandon *a = ctx;
    if (a->got)
        return 1;
    double now = ckr_now();
    if (now < a->next_probe)
        return 0;
    a->next_probe = now + CKR_ABANDON_PROBE_S;
    int flag = 0;
    if (MPI_Iprobe(0, TAG_ABANDON, a->comm, &flag, MPI_STATUS_IGNORE) != MPI_SUCCESS || !flag)
        return 0;
    return receive(a) == MPI_SUCCESS;
}

int ckr_abandon_finish(ckr_abandon *a, ckr_err *err)
{
    if (a->comm == MPI_COMM_NULL || a->size < 2)
        return 0;
    int sent = 0;
    int mrc = MPI_Scatter(a->why, 1, MPI_INT, &sent, 1, MPI_INT, 0, a->comm);
    if (mrc == MPI_SUCCESS && a->rank > 0 && sent && !a->got)
        mrc = receive(a);
    if (mrc == MPI_SUCCESS && a->rank == 0)
        mrc = MPI_Waitall(a->size, a->req, MPI_STATUSES_IGNORE);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "closing the abandon channel");
}

void ckr_abandon_free(ckr_abandon *a)
{
    if (a->comm != MPI_COMM_NULL)
        MPI_Comm_free(&a->comm);
    free(a->why);
    free(a->req);
    memset(a, 0, sizeof *a);
    a->comm = MPI_COMM_NULL;
}
