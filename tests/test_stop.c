/* test_stop.c -- the stop flag (util/stop.h), the stop signals' grace clock
 * (sched/signals.h), and that the long loops poll the flag and return
 * CKR_EINTR (k-means, the GMM's EM).
 *
 * Expected values come from the contracts: the flag is sticky until
 * cleared, a hook's yes raises it, the grace clock raises it once its time
 * has passed (first arm wins), a first signal starts the clock and a second
 * raises the flag, and a rank that does not keep the clock only records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <time.h>

#include "linalg/gmm.h"
#include "linalg/kmeans.h"
#include "sched/signals.h"
#include "testutil.h"
#include "util/err.h"
#include "util/rng.h"
#include "util/stop.h"

static void nap(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* A hook that says yes on its `trip`-th call (0: never), counting calls. */
typedef struct trip_hook {
    int calls, trip;
} trip_hook;

static int trip(void *p)
{
    trip_hook *h = p;
    h->calls++;
    return h->trip > 0 && h->calls >= h->trip;
}

static int teardown(void **state)
{
    (void)state;
    ckr_stop_set_hook(NULL, NULL);
    ckr_stop_clear();
    return 0;
}

static void test_raise_and_clear(void **state)
{
    (void)state;
    ckr_stop_clear();
    assert_int_equal(ckr_stop_requested(), 0);
    ckr_stop_raise();
    assert_int_equal(ckr_stop_requested(), 1);
    assert_int_equal(ckr_stop_requested(), 1); /* sticky */
    ckr_stop_clear();
    assert_int_equal(ckr_stop_requested(), 0);
}

static void test_hook_raises_the_flag(void **state)
{
    (void)state;
    trip_hook h = { 0, 3 };
    ckr_stop_clear();
    ckr_stop_set_hook(trip, &h);
    assert_int_equal(ckr_stop_requested(), 0);
    assert_int_equal(ckr_stop_requested(), 0);
    assert_int_equal(ckr_stop_requested(), 1);
    assert_int_equal(h.calls, 3);
    assert_int_equal(ckr_stop_requested(), 1); /* the flag answers: no more hook calls */
    assert_int_equal(h.calls, 3);
    ckr_stop_set_hook(NULL, NULL);
    assert_int_equal(ckr_stop_requested(), 1);
    ckr_stop_clear();
    assert_int_equal(ckr_stop_requested(), 0);
}

static void test_grace_clock(void **state)
{
    (void)state;
    ckr_stop_clear();
    ckr_stop_arm(0.0);
    assert_int_equal(ckr_stop_requested(), 1); /* no grace: at once */
    ckr_stop_clear();
    ckr_stop_arm(0.3);
    assert_int_equal(ckr_stop_requested(), 0);
    ckr_stop_arm(0.0); /* a running clock is kept */
    assert_int_equal(ckr_stop_requested(), 0);
    nap(0.45);
    assert_int_equal(ckr_stop_requested(), 1);
    ckr_stop_clear(); /* stops the clock too */
    assert_int_equal(ckr_stop_requested(), 0);
}

static void test_first_signal_starts_the_clock_second_stops(void **state)
{
    (void)state;
    ckr_saved_handlers old;
    ckr_stop_signals_install(&old, 30.0, 1);
    assert_int_equal(ckr_stop_signal(), 0);
    assert_int_equal(ckr_stop_why_code(), CKR_STOP_WHY_NONE);
    raise(SIGUSR1);
    assert_int_equal(ckr_stop_signal(), SIGUSR1);
    assert_int_equal(ckr_stop_requested(), 0); /* 30 s of grace */
    assert_int_equal(ckr_stop_why_code(), CKR_STOP_WHY_GRACE);
    assert_string_equal(ckr_stop_why(), "abandoned after the grace period");
    raise(SIGTERM);
    assert_int_equal(ckr_stop_signal(), SIGTERM);
    assert_int_equal(ckr_stop_requested(), 1);
    assert_int_equal(ckr_stop_why_code(), CKR_STOP_WHY_SECOND);
    assert_string_equal(ckr_stop_why(), "stopped by a second signal");
    ckr_stop_signals_restore(&old);

    /* a short grace runs out by itself */
    ckr_stop_signals_install(&old, 0.2, 1);
    assert_int_equal(ckr_stop_requested(), 0); /* install cleared the flag */
    raise(SIGINT);
    assert_int_equal(ckr_stop_requested(), 0);
    nap(0.35);
    assert_int_equal(ckr_stop_requested(), 1);
    ckr_stop_signals_restore(&old);
}

static void test_rank_without_the_clock_only_records(void **state)
{
    (void)state;
    ckr_saved_handlers old;
    ckr_stop_signals_install(&old, 0.0, 0);
    raise(SIGUSR1);
    raise(SIGUSR1);
    assert_int_equal(ckr_stop_signal(), SIGUSR1);
    assert_int_equal(ckr_stop_requested(), 0);
    ckr_stop_set_why(CKR_STOP_WHY_SECOND); /* what rank 0's ABANDON said */
    assert_string_equal(ckr_stop_why(), "stopped by a second signal");
    ckr_stop_signals_restore(&old);
    ckr_stop_signals_install(&old, 0.0, 0); /* install forgets the reason */
    assert_int_equal(ckr_stop_why_code(), CKR_STOP_WHY_NONE);
    ckr_stop_signals_restore(&old);
}

/* 300 points around 5 centres in 4 dimensions. */
static double *blobs(size_t n, size_t d)
{
    double *X = malloc(n * d * sizeof *X);
    ckr_rng r;
    ckr_rng_seed(&r, 7);
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            X[i * d + t] = 4.0 * (double)((i % 5) == t) + ckr_rng_uniform(&r);
    return X;
}

static void test_kmeans_polls_each_iteration(void **state)
{
    (void)state;
    const size_t n = 300, d = 4, k = 5;
    double *X = blobs(n, d), C[5 * 4];
    int labels[300];
    ckr_rng r;
    ckr_err err = { 0, "" };
    /* a clean fit: k-means++ polls once per centre after the first (k - 1),
     * Lloyd once per iteration */
    trip_hook h = { 0, 0 };
    ckr_stop_set_hook(trip, &h);
    ckr_kmeans_stats st;
    ckr_rng_seed(&r, 1);
    assert_int_equal(ckr_kmeans_fit(X, n, d, k, 300, 1e-4, &r, C, labels, &st, &err), 0);
    assert_int_equal(h.calls, (int)(k - 1) + st.iters);
    /* the flag up in the second Lloyd iteration: CKR_EINTR, nothing else */
    trip_hook h2 = { 0, (int)k + 1 };
    ckr_stop_clear();
    ckr_stop_set_hook(trip, &h2);
    ckr_rng_seed(&r, 1);
    assert_int_equal(ckr_kmeans_fit(X, n, d, k, 300, 1e-4, &r, C, labels, NULL, &err), CKR_EINTR);
    assert_int_equal(h2.calls, (int)k + 1);
    assert_non_null(strstr(err.msg, "k-means: stopped at iteration 2"));
    /* in k-means++ */
    trip_hook h3 = { 0, 1 };
    ckr_stop_clear();
    ckr_stop_set_hook(trip, &h3);
    assert_int_equal(ckr_kmeans_fit(X, n, d, k, 300, 1e-4, &r, C, labels, NULL, &err), CKR_EINTR);
    assert_int_equal(h3.calls, 1);
    free(X);
}

static void test_gmm_em_polls_each_iteration(void **state)
{
    (void)state;
    const size_t n = 300, d = 4, k = 5;
    double *X = blobs(n, d);
    ckr_rng r;
    ckr_err err = { 0, "" };
    ckr_gmm_opts o = ckr_gmm_default_opts();
    ckr_gmm_stats st;
    ckr_gmm g;
    trip_hook h = { 0, 0 };
    ckr_stop_set_hook(trip, &h);
    assert_int_equal(ckr_gmm_init(&g, k, d, CKR_COV_FULL, 1e-6, &err), 0);
    ckr_rng_seed(&r, 2);
    assert_int_equal(ckr_gmm_fit(&g, X, n, &o, &r, NULL, &st, &err), 0);
    ckr_gmm_free(&g);
    int clean = h.calls; /* k-means (k - 1 + its iterations) + one per EM iteration */
    assert_int_equal(clean, (int)(k - 1) + st.kmeans_iters + st.iters);
    /* the flag up at the last EM iteration's poll */
    trip_hook h2 = { 0, clean };
    ckr_stop_clear();
    ckr_stop_set_hook(trip, &h2);
    assert_int_equal(ckr_gmm_init(&g, k, d, CKR_COV_FULL, 1e-6, &err), 0);
    ckr_rng_seed(&r, 2);
    assert_int_equal(ckr_gmm_fit(&g, X, n, &o, &r, NULL, &st, &err), CKR_EINTR);
    assert_non_null(strstr(err.msg, "GMM: stopped at EM iteration"));
    ckr_gmm_free(&g);
    free(X);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_raise_and_clear, teardown),
        cmocka_unit_test_teardown(test_hook_raises_the_flag, teardown),
        cmocka_unit_test_teardown(test_grace_clock, teardown),
        cmocka_unit_test_teardown(test_first_signal_starts_the_clock_second_stops, teardown),
        cmocka_unit_test_teardown(test_rank_without_the_clock_only_records, teardown),
        cmocka_unit_test_teardown(test_kmeans_polls_each_iteration, teardown),
        cmocka_unit_test_teardown(test_gmm_em_polls_each_iteration, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
