/* mpi_teams.c -- the team layout of a run (sched/teams.h) under mpirun -n
 * 1, 2, 4: teams of P consecutive computing ranks from rank 0 (or from rank
 * 1 when rank 0 only coordinates), the leftover ranks in no team, each
 * team's communicator holding exactly its members in rank order, and the
 * refusals (P < 1, P above the computing ranks) the same on every rank.
 * The expected layouts are worked out by hand below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sched/teams.h"

static int world_rank, world_size;

/* Set up teams of P on the world; check the communicator against the
 * layout: member m of team k is rank first + kP + m. Returns the code. */
static int check_layout(int P, int rank0_computes, int expect_first, int expect_teams)
{
    ckr_teams t;
    MPI_Comm tc = MPI_COMM_NULL;
    ckr_err err = { 0, "" };
    int rc = ckr_teams_setup(MPI_COMM_WORLD, world_size, P, 0.0, rank0_computes, &t, &tc, &err);
    if (rc)
        return rc;
    assert_int_equal(t.first, expect_first);
    assert_int_equal(t.n_teams, expect_teams);
    int k = ckr_teams_of(&t, world_rank);
    if (k < 0) {
        assert_true(tc == MPI_COMM_NULL);
        /* no team: rank 0 when it only coordinates, or a leftover rank */
        assert_true(world_rank < t.first || world_rank >= t.first + t.n_teams * P ||
                    t.n_teams == 0);
        return 0;
    }
    assert_true(tc != MPI_COMM_NULL);
    int ts = 0, tr = -1;
    MPI_Comm_size(tc, &ts);
    MPI_Comm_rank(tc, &tr);
    assert_int_equal(ts, P);
    assert_int_equal(ckr_teams_rank(&t, k, tr), world_rank);
    /* the members agree on who they are: gather the world ranks */
    int members[8] = { 0 };
    MPI_Allgather(&world_rank, 1, MPI_INT, members, 1, MPI_INT, tc);
    for (int m = 0; m < ts; m++)
        assert_int_equal(members[m], expect_first + k * P + m);
    MPI_Comm_free(&tc);
    return 0;
}

static void test_no_teams(void **state)
{
    (void)state;
    assert_int_equal(check_layout(1, 1, 0, 0), 0);
}

static void test_pairs_of_ranks(void **state)
{
    (void)state;
    if (world_size < 2)
        skip();
    /* 2 ranks: {0,1}; 4 ranks: {0,1} {2,3} */
    assert_int_equal(check_layout(2, 1, 0, world_size / 2), 0);
}

static void test_leftover_rank(void **state)
{
    (void)state;
    if (world_size != 4)
        skip();
    /* 4 ranks, P = 3: {0,1,2}, rank 3 single */
    assert_int_equal(check_layout(3, 1, 0, 1), 0);
}

static void test_rank0_coordinates(void **state)
{
    (void)state;
    if (world_size != 4)
        skip();
    /* rank 0 only coordinates: computing ranks 1..3, P = 2: {1,2}, rank 3 single */
    assert_int_equal(check_layout(2, 0, 1, 1), 0);
    /* P = 3: {1,2,3} */
    assert_int_equal(check_layout(3, 0, 1, 1), 0);
    /* P = 4 > 3 computing ranks */
    assert_int_equal(check_layout(4, 0, 1, 0), CKR_EARG);
}

static void test_refusals(void **state)
{
    (void)state;
    ckr_teams t;
    MPI_Comm tc;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_teams_setup(MPI_COMM_WORLD, world_size, 0, 0.0, 1, &t, &tc, &err),
                     CKR_EARG);
    assert_non_null(strstr(err.msg, "--team-size 0"));
    assert_int_equal(ckr_teams_setup(MPI_COMM_WORLD, world_size, world_size + 1, 0.0, 1, &t,
                                     &tc, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "larger than"));
    assert_true(tc == MPI_COMM_NULL);
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_teams),
        cmocka_unit_test(test_pairs_of_ranks),
        cmocka_unit_test(test_leftover_rank),
        cmocka_unit_test(test_rank0_coordinates),
        cmocka_unit_test(test_refusals),
    };
    int fails = cmocka_run_group_tests(tests, NULL, NULL);
    int any = 0;
    MPI_Allreduce(&fails, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return any ? 1 : 0;
}
