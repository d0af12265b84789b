/* mpi_dist.c -- team linear algebra (linalg/dist.h) under mpirun -n 1, 2, 4:
 * the ordered sum adds in rank order (checked with values where the order
 * changes the rounded result), the ScaLAPACK eigen-solver matches the closed
 * form of the second-difference matrix and LAPACK on one rank, and every
 * rank gets the same bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"
#include "util/err.h"

static int nranks, me;

/* 1 if buf[0..n) has the same bits on every rank of the world. */
/* The solver the syevd tests use (each runs once per solver, set up below). */
static ckr_eig_solver g_solver = CKR_EIG_AUTO;
static int use_leader(void **state) { (void)state; g_solver = CKR_EIG_LEADER; return 0; }
static int use_scalapack(void **state) { (void)state; g_solver = CKR_EIG_SCALAPACK; return 0; }
static int use_auto(void **state) { (void)state; g_solver = CKR_EIG_AUTO; return 0; }

static int same_everywhere(const double *buf, size_t n)
{
    double *root = malloc(n * sizeof *root);
    memcpy(root, buf, n * sizeof *root);
    MPI_Bcast(root, (int)n, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    int same = memcmp(root, buf, n * sizeof *root) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    free(root);
    return all;
}

static void test_grid_shape(void **state)
{
    (void)state;
    int r, c;
    ckr_dist_grid_shape(1, &r, &c);
    assert_true(r == 1 && c == 1);
    ckr_dist_grid_shape(2, &r, &c);
    assert_true(r == 1 && c == 2);
    ckr_dist_grid_shape(4, &r, &c);
    assert_true(r == 2 && c == 2);
    ckr_dist_grid_shape(6, &r, &c);
    assert_true(r == 2 && c == 3);
    ckr_dist_grid_shape(7, &r, &c);
    assert_true(r == 1 && c == 7);
}

/* Rank r contributes k*(r+1) + 0.25 to element k: the sum is exact. */
static void test_sum_exact(void **state)
{
    (void)state;
    size_t sizes[] = { 1, 3, 1000, 4099 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        double *b = malloc(n * sizeof *b);
        for (size_t k = 0; k < n; k++)
            b[k] = (double)k * (me + 1) + 0.25;
        assert_int_equal(ckr_dist_sum(MPI_COMM_WORLD, b, n), 0);
        double tri = nranks * (nranks + 1) / 2.0;
        for (size_t k = 0; k < n; k++)
            assert_true(b[k] == (double)k * tri + 0.25 * nranks);
        assert_true(same_everywhere(b, n));
        free(b);
    }
}

/* Contributions 1e16, 1, -1e16, 1, ... by rank: in double precision the
 * left fold in rank order gives 1e16, 1e16, 0, 1 for 1..4 ranks (1e16 + 1
 * rounds to 1e16), which another order would not. */
static void test_sum_rank_order(void **state)
{
    (void)state;
    const double c[] = { 1e16, 1.0, -1e16, 1.0 };
    const double expect[] = { 1e16, 1e16, 0.0, 1.0 };
    double b[5];
    for (int k = 0; k < 5; k++)
        b[k] = c[me % 4];
    assert_int_equal(ckr_dist_sum(MPI_COMM_WORLD, b, 5), 0);
    if (nranks <= 4)
        for (int k = 0; k < 5; k++)
            assert_true(b[k] == expect[nranks - 1]);
    assert_true(same_everywhere(b, 5));
}

/* The n x n second-difference matrix tridiag(-1, 2, -1) has eigenvalues
 * 2 - 2 cos(k pi / (n+1)) and eigenvectors sin(i k pi / (n+1)). */
static void test_syevd_second_difference(void **state)
{
    (void)state;
    size_t sizes[] = { 1, 2, 5, 37, 130 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        double *A = calloc(n * n, sizeof *A), *w = malloc(n * sizeof *w);
        double *V = malloc(n * n * sizeof *V);
        for (size_t i = 0; i < n; i++) {
            A[i * n + i] = 2;
            if (i + 1 < n)
                A[i * n + i + 1] = A[(i + 1) * n + i] = -1;
        }
        assert_int_equal(ckr_dist_syevd_with(MPI_COMM_WORLD, n, A, w, V, g_solver), 0);
        double h = M_PI / (double)(n + 1);
        for (size_t k = 0; k < n; k++) {
            assert_true(fabs(w[k] - (2 - 2 * cos((double)(k + 1) * h))) < 1e-12);
            /* |<V_k, true unit vector>| = 1 and sum_i (i+1) v_i > 0 */
            double dot = 0, big = 0;
            for (size_t i = 0; i < n; i++) {
                double t = sqrt(2.0 / (double)(n + 1)) * sin((double)((i + 1) * (k + 1)) * h);
                dot += V[k * n + i] * t;
                big += (double)(i + 1) * V[k * n + i];
            }
            assert_true(fabs(fabs(dot) - 1) < 1e-9);
            assert_true(big > 0);
        }
        assert_true(same_everywhere(w, n));
        assert_true(same_everywhere(V, n * n));
        free(A);
        free(w);
        free(V);
    }
}

/* A random symmetric matrix (same on every rank): the team's result equals
 * LAPACK's on MPI_COMM_SELF to rounding, and A V_j = w_j V_j. */
static void test_syevd_matches_lapack(void **state)
{
    (void)state;
    size_t n = 97;
    double *A = malloc(n * n * sizeof *A), *w = malloc(n * sizeof *w);
    double *V = malloc(n * n * sizeof *V), *w1 = malloc(n * sizeof *w1);
    double *V1 = malloc(n * n * sizeof *V1);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j <= i; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            A[i * n + j] = A[j * n + i] = (double)(x >> 11) / 9007199254740992.0 - 0.5;
        }
    assert_int_equal(ckr_dist_syevd_with(MPI_COMM_WORLD, n, A, w, V, g_solver), 0);
    assert_int_equal(ckr_dist_syevd(MPI_COMM_SELF, n, A, w1, V1), 0);
    double scale = fabs(w[0]) > fabs(w[n - 1]) ? fabs(w[0]) : fabs(w[n - 1]);
    for (size_t k = 0; k < n; k++) {
        assert_true(fabs(w[k] - w1[k]) <= 1e-12 * scale);
        double dv = 0;
        for (size_t i = 0; i < n; i++)
            dv = fmax(dv, fabs(V[k * n + i] - V1[k * n + i]));
        assert_true(dv < 1e-9);
        for (size_t i = 0; i < n; i++) {
            double r = -w[k] * V[k * n + i];
            for (size_t j = 0; j < n; j++)
                r += A[i * n + j] * V[k * n + j];
            assert_true(fabs(r) < 1e-11 * scale);
        }
    }
    free(A);
    free(w);
    free(V);
    free(w1);
    free(V1);
}

static void test_syevd_refuses_nan(void **state)
{
    (void)state;
    double A[4] = { 1, NAN, NAN, 1 }, w[2], V[4];
    assert_int_equal(ckr_dist_syevd_with(MPI_COMM_WORLD, 2, A, w, V, g_solver), CKR_ENUM);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid_shape),
        cmocka_unit_test(test_sum_exact),
        cmocka_unit_test(test_sum_rank_order),
        cmocka_unit_test_setup(test_syevd_second_difference, use_leader),
        cmocka_unit_test_setup(test_syevd_matches_lapack, use_leader),
        cmocka_unit_test_setup(test_syevd_refuses_nan, use_leader),
        cmocka_unit_test_setup(test_syevd_second_difference, use_scalapack),
        cmocka_unit_test_setup(test_syevd_matches_lapack, use_scalapack),
        cmocka_unit_test_setup(test_syevd_refuses_nan, use_scalapack),
        cmocka_unit_test_setup(test_syevd_matches_lapack, use_auto),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
