/* mpi_stop.c -- the ABANDON message (sched/abandon.h) under mpirun -n 1, 2,
 * 4: a worker whose stop hook polls sees it and stops with the reason rank 0
 * sent; a worker it was not sent to never stops; a message nobody polled
 * for is received by ckr_abandon_finish, so the run ends clean either way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>
#include <time.h>

#include "sched/abandon.h"
#include "sched/signals.h"
#include "testutil.h"
#include "util/err.h"
#include "util/flops.h"
#include "util/stop.h"

static int nranks, me;

/* Poll the stop flag for up to `seconds`; 1 when it rose. */
static int poll_for(double seconds)
{
    double end = ckr_now() + seconds;
    while (ckr_now() < end) {
        if (ckr_stop_requested())
            return 1;
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* Rank 0 abandons the odd ranks (reason: a second signal); they see it
 * through the hook; the even workers poll 0.2 s and see nothing. */
static void test_hook_sees_abandon(void **state)
{
    (void)state;
    ckr_err err = { 0, "" };
    ckr_abandon a;
    ckr_saved_handlers old;
    ckr_stop_signals_install(&old, 60.0, me == 0); /* clears the flag and the reason */
    assert_int_equal(ckr_abandon_init(&a, MPI_COMM_WORLD, &err), 0);
    if (me == 0) {
        assert_int_equal(ckr_abandon_records(&a, &err), 0);
        for (int r = 1; r < nranks; r += 2) {
            assert_int_equal(ckr_abandon_send(&a, r, CKR_STOP_WHY_SECOND, &err), 0);
            assert_int_equal(ckr_abandon_send(&a, r, CKR_STOP_WHY_GRACE, &err), 0); /* once */
        }
        assert_int_equal(ckr_abandon_send(&a, 0, CKR_STOP_WHY_GRACE, &err), 0); /* not a worker */
    } else {
        ckr_stop_set_hook(ckr_abandon_hook, &a);
        if (me % 2) {
            assert_int_equal(poll_for(30.0), 1);
            assert_int_equal(a.got, 1);
            assert_int_equal(ckr_stop_why_code(), CKR_STOP_WHY_SECOND);
            assert_string_equal(ckr_stop_why(), "stopped by a second signal");
        } else {
            assert_int_equal(poll_for(0.2), 0);
            assert_int_equal(a.got, 0);
        }
        ckr_stop_set_hook(NULL, NULL);
    }
    assert_int_equal(ckr_abandon_finish(&a, &err), 0);
    if (me > 0)
        assert_int_equal(a.got, me % 2);
    ckr_abandon_free(&a);
    ckr_stop_signals_restore(&old);
    ckr_stop_clear();
}

/* Sent to every worker, polled by none: ckr_abandon_finish receives it. */
static void test_finish_receives_unpolled(void **state)
{
    (void)state;
    ckr_err err = { 0, "" };
    ckr_abandon a;
    assert_int_equal(ckr_abandon_init(&a, MPI_COMM_WORLD, &err), 0);
    if (me == 0) {
        assert_int_equal(ckr_abandon_records(&a, &err), 0);
        for (int r = 1; r < nranks; r++)
            assert_int_equal(ckr_abandon_send(&a, r, CKR_STOP_WHY_GRACE, &err), 0);
    }
    assert_int_equal(ckr_abandon_finish(&a, &err), 0);
    if (me > 0) {
        assert_int_equal(a.got, 1);
        int flag = 1; /* nothing left over on the channel */
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, a.comm, &flag, MPI_STATUS_IGNORE);
        assert_int_equal(flag, 0);
    }
    ckr_abandon_free(&a);
    ckr_stop_clear();
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_sees_abandon),
        cmocka_unit_test(test_finish_receives_unpolled),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
