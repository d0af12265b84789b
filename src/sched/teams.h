/* teams.h -- how the ranks of a run form teams (--team-size P).
 *
 * A team is P consecutive computing ranks that score one big pair together
 * (methods/method.h, score_team): the computing ranks are 0..size-1 when
 * rank 0 computes (sched/hybrid.h), else 1..size-1; team k is computing
 * ranks first + kP .. first + kP + P - 1, and the ranks left over when P
 * does not divide their number are in no team (they only run single-rank
 * items). Each team has its own communicator (MPI_Comm_split of the run's),
 * made once at the start; its rank 0, the leader, sends the team's results.
 * P = 1 means no teams. */
#ifndef CKR_SCHED_TEAMS_H
#define CKR_SCHED_TEAMS_H

#include <mpi.h>

#include "util/err.h"

typedef struct ckr_teams {
    int P;         /* ranks per team; 1 = no teams */
    int first;     /* the first computing rank: 0, or 1 when rank 0 only coordinates */
    int n_teams;   /* whole teams (0 when P = 1) */
    double above;  /* a pair goes to a team when N x D x 8 >= above bytes */
} ckr_teams;

/* Collective over comm (the run's communicator, `size` ranks): rank 0's
 * rank0_computes (whether it computes items while coordinating; ignored on
 * the other ranks) is broadcast, the teams of P ranks are laid out as above
 * and each team's communicator is made: *team_comm is this rank's (with
 * MPI_ERRORS_RETURN), MPI_COMM_NULL when it is in no team. P < 1, or P
 * larger than the number of computing ranks, is CKR_EARG with one message
 * (the same on every rank). CKR_EMPI when MPI fails. */
int ckr_teams_setup(MPI_Comm comm, int size, int P, double above, int rank0_computes,
                    ckr_teams *t, MPI_Comm *team_comm, ckr_err *err);

/* The team of rank r of the run, or -1 when it is in none. */
int ckr_teams_of(const ckr_teams *t, int r);

/* The run's rank of member m (0..P-1) of team k. */
int ckr_teams_rank(const ckr_teams *t, int k, int m);

#endif
