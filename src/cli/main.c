/* main.c -- thin: pick usable BLAS kernels, initialise MPI, hand argv to the
 * CLI, finalise. */
#include <mpi.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sched/signals.h"
#include "util/blascfg.h"

int main(int argc, char **argv)
{
    /* a stop signal during start-up (the exec below, MPI_Init) waits for the
     * run instead of killing the process; the blocked mask survives execv */
    ckr_stop_signals_defer();
    const char *core = ckr_blas_better_coretype();
    if (core && !getenv("CKPTRANK_NO_BLAS_FIX")) {
        /* OpenBLAS reads OPENBLAS_CORETYPE when it loads: start again with it */
        setenv("OPENBLAS_CORETYPE", core, 1);
        execv("/proc/self/exe", argv);
        /* exec failed: carry on with the slow kernels */
    }
    /* threads: rank 0 computes while a thread of its own coordinates
     * (ckptrank_run checks the level provided and copes with less) */
    int provided = MPI_THREAD_SINGLE;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    int status = ckr_cli_main(argc, argv, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
