/* main.c -- thin: initialise MPI, hand argv to the CLI, finalise. */
#include <mpi.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int status = ckr_cli_main(argc, argv, MPI_COMM_WORLD);
    MPI_Finalize();
    return status;
}
