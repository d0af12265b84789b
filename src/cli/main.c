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
    MPI_Init(&argc, &argv);
    int status = ckr_cli_main(argc, argv, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
