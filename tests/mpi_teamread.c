/* mpi_teamread.c -- a team reads a pair's rows collectively (zoo/teamread.h)
 * under mpirun -n 1, 2, 4: the row blocks are dealt as documented, and the
 * rows every rank reads, put together, equal what the one-rank pair reader
 * returns, on the whole world and on split teams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "util/err.h"
#include "zoo/teamread.h"
#include "zoo/zoo.h"

static char zoo_path[512];
static int nranks, me;

static void test_rowblocks(void **state)
{
    (void)state;
    size_t r0, n;
    /* 10 rows in blocks of 3: blocks [0,3) [3,6) [6,9) [9,10) */
    ckr_rowblocks_range(10, 3, 1, 0, &r0, &n);
    assert_true(r0 == 0 && n == 10);
    ckr_rowblocks_range(10, 3, 2, 0, &r0, &n);
    assert_true(r0 == 0 && n == 6);
    ckr_rowblocks_range(10, 3, 2, 1, &r0, &n);
    assert_true(r0 == 6 && n == 4);
    ckr_rowblocks_range(10, 3, 3, 0, &r0, &n);
    assert_true(r0 == 0 && n == 3);
    ckr_rowblocks_range(10, 3, 3, 1, &r0, &n);
    assert_true(r0 == 3 && n == 3);
    ckr_rowblocks_range(10, 3, 3, 2, &r0, &n);
    assert_true(r0 == 6 && n == 4);
    /* fewer blocks than ranks: 2 rows, 4 ranks, blocks of 1 */
    size_t want0[] = { 0, 0, 1, 1 }, wantn[] = { 0, 1, 0, 1 };
    for (int r = 0; r < 4; r++) {
        ckr_rowblocks_range(2, 1, 4, r, &r0, &n);
        assert_true(n == wantn[r]);
        if (n)
            assert_true(r0 == want0[r]);
    }
    ckr_rowblocks_range(0, 8, 3, 1, &r0, &n);
    assert_true(n == 0);
}

/* Read train_features of every pair on comm in blocks of `block` rows and
 * compare the gathered rows with ckr_zoo_read_pair's. */
static void check_team(MPI_Comm comm, size_t block)
{
    int P, r;
    MPI_Comm_size(comm, &P);
    MPI_Comm_rank(comm, &r);
    ckr_err err = { 0, "" };
    ckr_team_file *f = NULL;
    assert_int_equal(ckr_team_file_open(zoo_path, comm, &f, &err), 0);
    ckr_zoo *zoo = NULL;
    assert_int_equal(ckr_zoo_open(zoo_path, MPI_COMM_SELF, &zoo, &err), 0);
    assert_int_equal(ckr_zoo_scan(zoo, &err), 0);
    for (size_t i = 0; i < ckr_zoo_num_pairs(zoo); i++) {
        const ckr_pair_info *pi = ckr_zoo_pair(zoo, i);
        const char *ck = ckr_zoo_ckpt(zoo, pi->ckpt)->name, *tk = ckr_zoo_task(zoo, pi->task)->name;
        size_t rows, cols, row0, nrows;
        assert_int_equal(ckr_team_dataset_shape(f, ck, tk, "train_features", &rows, &cols, &err), 0);
        ckr_rowblocks_range(rows, block, P, r, &row0, &nrows);
        double *mine = malloc((nrows ? nrows : 1) * cols * sizeof *mine);
        assert_int_equal(ckr_team_read_rows(f, ck, tk, "train_features", row0, nrows, mine, &err), 0);
        /* gather in rank order: the ranges are contiguous and increasing */
        int *counts = malloc((size_t)P * sizeof *counts), *displs = malloc((size_t)P * sizeof *displs);
        int c = (int)(nrows * cols);
        MPI_Allgather(&c, 1, MPI_INT, counts, 1, MPI_INT, comm);
        displs[0] = 0;
        for (int k = 1; k < P; k++)
            displs[k] = displs[k - 1] + counts[k - 1];
        double *all = malloc(rows * cols * sizeof *all);
        MPI_Allgatherv(mine, c, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, comm);
        ckr_pair pair;
        memset(&pair, 0, sizeof pair);
        assert_int_equal(ckr_zoo_read_pair(zoo, ck, tk, &pair, &err), 0);
        assert_true(pair.train_features.rows == rows && pair.train_features.cols == cols);
        assert_memory_equal(all, pair.train_features.data, rows * cols * sizeof *all);
        ckr_pair_free(&pair);
        free(mine);
        free(all);
        free(counts);
        free(displs);
    }
    /* bytes read on this rank: float32 features, only its own rows */
    assert_true(ckr_team_file_bytes(f) > 0 || P > 1);
    ckr_zoo_close(zoo);
    ckr_team_file_close(f);
}

static void test_world_team(void **state)
{
    (void)state;
    check_team(MPI_COMM_WORLD, 7);
    check_team(MPI_COMM_WORLD, 1000); /* fewer blocks than ranks */
}

static void test_split_teams(void **state)
{
    (void)state;
    MPI_Comm team;
    MPI_Comm_split(MPI_COMM_WORLD, me % 2, me, &team);
    check_team(team, 5);
    MPI_Comm_free(&team);
}

static void test_errors_agreed(void **state)
{
    (void)state;
    ckr_err err = { 0, "" };
    ckr_team_file *f = NULL;
    assert_int_equal(ckr_team_file_open(zoo_path, MPI_COMM_WORLD, &f, &err), 0);
    size_t rows, cols;
    assert_int_equal(ckr_team_dataset_shape(f, "ckpt00", "task0", "nope", &rows, &cols, &err),
                     CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "/checkpoints/ckpt00/task0/nope"));
    /* only the last rank asks for rows past the end: every rank fails */
    assert_int_equal(ckr_team_dataset_shape(f, "ckpt00", "task0", "train_features", &rows, &cols,
                                            &err), 0);
    double *buf = malloc(cols * 2 * sizeof *buf);
    size_t row0 = me == nranks - 1 ? rows - 1 : 0;
    assert_int_equal(ckr_team_read_rows(f, "ckpt00", "task0", "train_features", row0, 2, buf, &err),
                     CKR_EARG);
    assert_non_null(strstr(err.msg, "train_features"));
    free(buf);
    ckr_team_file_close(f);
    ckr_team_file *g = NULL;
    assert_int_equal(ckr_team_file_open("/nonexistent/zoo.h5", MPI_COMM_WORLD, &g, &err), CKR_EIO);
    assert_null(g);
    assert_non_null(strstr(err.msg, "/nonexistent/zoo.h5"));
}

/* Gather rows x cols values held as contiguous rank-ordered runs on comm. */
static double *gather_rows(MPI_Comm comm, const double *mine, size_t nrows, size_t cols,
                           size_t rows)
{
    int P;
    MPI_Comm_size(comm, &P);
    int *counts = malloc((size_t)P * sizeof *counts), *displs = malloc((size_t)P * sizeof *displs);
    int c = (int)(nrows * cols);
    MPI_Allgather(&c, 1, MPI_INT, counts, 1, MPI_INT, comm);
    displs[0] = 0;
    for (int k = 1; k < P; k++)
        displs[k] = displs[k - 1] + counts[k - 1];
    double *all = malloc((rows ? rows : 1) * cols * sizeof *all), dummy = 0;
    MPI_Allgatherv(mine ? mine : &dummy, c, MPI_DOUBLE, all, counts, displs, MPI_DOUBLE, comm);
    free(counts);
    free(displs);
    return all;
}

/* ckr_team_read_pair on the world, blocks of 4 rows: each rank holds the
 * rows ckr_rowblocks_range gives it; put together, features, logits and
 * labels equal ckr_zoo_read_pair's; the val split is whole everywhere. */
static void test_read_pair(void **state)
{
    (void)state;
    ckr_err err = { 0, "" };
    ckr_team_file *f = NULL;
    assert_int_equal(ckr_team_file_open(zoo_path, MPI_COMM_WORLD, &f, &err), 0);
    ckr_zoo *zoo = NULL;
    assert_int_equal(ckr_zoo_open(zoo_path, MPI_COMM_SELF, &zoo, &err), 0);
    assert_int_equal(ckr_zoo_scan(zoo, &err), 0);
    for (size_t i = 0; i < ckr_zoo_num_pairs(zoo); i++) {
        const ckr_pair_info *pi = ckr_zoo_pair(zoo, i);
        const char *ck = ckr_zoo_ckpt(zoo, pi->ckpt)->name, *tk = ckr_zoo_task(zoo, pi->task)->name;
        ckr_pair whole, local;
        memset(&whole, 0, sizeof whole);
        assert_int_equal(ckr_zoo_read_pair(zoo, ck, tk, &whole, &err), 0);
        size_t row0 = 99, n_total = 0, e0, en;
        assert_int_equal(ckr_team_read_pair(f, ck, tk, 4, &local, &row0, &n_total, &err), 0);
        size_t N = whole.train_features.rows, D = whole.train_features.cols;
        assert_int_equal(n_total, N);
        ckr_rowblocks_range(N, 4, nranks, me, &e0, &en);
        assert_int_equal(row0, e0);
        assert_int_equal(local.train_features.rows, en);
        assert_int_equal(local.train_features.cols, D);
        assert_int_equal(local.train.n, en);
        double *F = gather_rows(MPI_COMM_WORLD, local.train_features.data, en, D, N);
        assert_memory_equal(F, whole.train_features.data, N * D * sizeof *F);
        size_t Z = whole.train_logits.cols;
        assert_true(Z > 0 && local.train_logits.cols == Z);
        double *L = gather_rows(MPI_COMM_WORLD, local.train_logits.data, en, Z, N);
        assert_memory_equal(L, whole.train_logits.data, N * Z * sizeof *L);
        double *y = malloc((en ? en : 1) * sizeof *y);
        for (size_t k = 0; k < en; k++)
            y[k] = local.train.y[k];
        double *Y = gather_rows(MPI_COMM_WORLD, y, en, 1, N);
        for (size_t k = 0; k < N; k++)
            assert_int_equal((int)Y[k], whole.train.y[k]);
        assert_int_equal(local.num_classes, whole.num_classes);
        assert_int_equal(local.kind, whole.kind);
        assert_int_equal(local.val.n, whole.val.n);
        assert_memory_equal(local.val.y, whole.val.y, whole.val.n * sizeof *whole.val.y);
        assert_int_equal(local.val_features.rows, whole.val_features.rows);
        assert_memory_equal(local.val_features.data, whole.val_features.data,
                            whole.val_features.rows * D * sizeof(double));
        assert_memory_equal(local.val_logits.data, whole.val_logits.data,
                            whole.val_logits.rows * Z * sizeof(double));
        free(F);
        free(L);
        free(y);
        free(Y);
        ckr_pair_free(&local);
        ckr_pair_free(&whole);
    }
    ckr_zoo_close(zoo);
    ckr_team_file_close(f);
}

/* A NaN in the last row of a pair's features (held by the last rank that
 * has rows) fails the team read on every rank, as it fails the whole read. */
static void test_read_pair_nan(void **state)
{
    (void)state;
    char bad[600];
    snprintf(bad, sizeof bad, "%s.nan.h5", zoo_path);
    if (me == 0) {
        char cmd[1300];
        snprintf(cmd, sizeof cmd, "cp '%s' '%s'", zoo_path, bad);
        assert_int_equal(system(cmd), 0);
        hid_t file = H5Fopen(bad, H5F_ACC_RDWR, H5P_DEFAULT);
        hid_t d = H5Dopen2(file, "/checkpoints/ckpt00/task0/train_features", H5P_DEFAULT);
        hid_t fs = H5Dget_space(d);
        hsize_t dims[2];
        H5Sget_simple_extent_dims(fs, dims, NULL);
        hsize_t start[2] = { dims[0] - 1, 1 }, count[2] = { 1, 1 };
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
        hid_t ms = H5Screate_simple(2, count, NULL);
        double nan = NAN;
        assert_true(H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, &nan) >= 0);
        H5Sclose(ms);
        H5Sclose(fs);
        H5Dclose(d);
        H5Fclose(file);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    ckr_err err = { 0, "" };
    ckr_team_file *f = NULL;
    assert_int_equal(ckr_team_file_open(bad, MPI_COMM_WORLD, &f, &err), 0);
    ckr_pair local;
    size_t row0, n_total;
    assert_int_equal(ckr_team_read_pair(f, "ckpt00", "task0", 4, &local, &row0, &n_total, &err),
                     CKR_EDATA);
    assert_non_null(strstr(err.msg, "train_features"));
    assert_non_null(strstr(err.msg, "non-finite"));
    assert_null(local.train_features.data);
    /* another pair of the same file reads fine */
    assert_int_equal(ckr_team_read_pair(f, "ckpt01", "task0", 4, &local, &row0, &n_total, &err), 0);
    ckr_pair_free(&local);
    ckr_team_file_close(f);
    MPI_Barrier(MPI_COMM_WORLD);
    if (me == 0)
        remove(bad);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    int ok = 1;
    if (me == 0) {
        snprintf(zoo_path, sizeof zoo_path, "%s/team.h5", ckr_test_tmpdir());
        ckr_synth_opts o;
        ckr_synth_defaults(&o);
        o.n_ckpts = 2;
        o.n_tasks = 2;
        o.n_train = 53; /* not divisible by the blocks or the ranks */
        ckr_err err = { 0, "" };
        ok = ckr_synth_write(zoo_path, &o, &err) == 0;
        if (!ok)
            fprintf(stderr, "synth: %s\n", err.msg);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    MPI_Bcast(zoo_path, sizeof zoo_path, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (!ok) {
        MPI_Finalize();
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rowblocks),
        cmocka_unit_test(test_world_team),
        cmocka_unit_test(test_split_teams),
        cmocka_unit_test(test_errors_agreed),
        cmocka_unit_test(test_read_pair),
        cmocka_unit_test(test_read_pair_nan),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Barrier(MPI_COMM_WORLD);
    if (me == 0)
        ckr_test_remove_tmpdir(NULL);
    MPI_Finalize();
    return rc;
}
