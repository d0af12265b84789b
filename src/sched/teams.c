/* teams.c -- the layout of the teams of a run (contract in sched/teams.h). */
#include "sched/teams.h"

#include <string.h>

#include "sched/mpicheck.h"

int ckr_teams_of(const ckr_teams *t, int r)
{
    if (t->n_teams <= 0 || r < t->first)
        return -1;
    int k = (r - t->first) / t->P;
    return k < t->n_teams ? k : -1;
}

int ckr_teams_rank(const ckr_teams *t, int k, int m)
{
    return t->first + k * t->P + m;
}

int ckr_teams_setup(MPI_Comm comm, int size, int P, double above, int rank0_computes,
                    ckr_teams *t, MPI_Comm *team_comm, ckr_err *err)
{
    memset(t, 0, sizeof *t);
    *team_comm = MPI_COMM_NULL;
    int rank = 0, flag = rank0_computes || size == 1;
    int mrc = MPI_Comm_rank(comm, &rank);
    if (mrc == MPI_SUCCESS)
        mrc = MPI_Bcast(&flag, 1, MPI_INT, 0, comm);
    if (mrc != MPI_SUCCESS)
        return ckr_mpi_fail(mrc, err, "agreeing on the teams");
    t->P = P;
    t->first = flag ? 0 : 1;
    t->above = above;
    int computing = size - t->first;
    if (P < 1)
        return ckr_err_set(err, CKR_EARG, "--team-size %d: must be at least 1", P);
    if (P > computing)
        return ckr_err_set(err, CKR_EARG, "--team-size %d: larger than the %d computing rank%s "
                           "of the run%s", P, computing, computing == 1 ? "" : "s",
                           t->first ? " (rank 0 only coordinates)" : "");
    t->n_teams = P > 1 ? computing / P : 0;
    if (t->n_teams == 0)
        return 0;
    int k = ckr_teams_of(t, rank);
    mrc = MPI_Comm_split(comm, k >= 0 ? k : MPI_UNDEFINED, rank, team_comm);
    if (mrc == MPI_SUCCESS && *team_comm != MPI_COMM_NULL)
        mrc = MPI_Comm_set_errhandler(*team_comm, MPI_ERRORS_RETURN);
    return mrc == MPI_SUCCESS ? 0 : ckr_mpi_fail(mrc, err, "making the team communicators");
}
