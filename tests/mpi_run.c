/* mpi_run.c -- the library entry point on different communicators: the whole
 * world, split sub-communicators, and MPI_COMM_SELF must give identical
 * scores; each pair is read once per run (pair affinity); rank 0 computes
 * too when MPI provides MPI_THREAD_MULTIPLE, and only coordinates without it
 * (run by `make check` under mpirun -n 1, 2 and 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>
#include <stdlib.h>

#include "ckptrank/ckptrank.h"
#include "testutil.h"
#include "util/err.h"
#include "zoo/zoo.h"

static char dir[256];

/* The first five CSV columns (no timing) of a scores file. */
static char *scores_without_timing(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    char *out = calloc(cap, 1), line[2048];
    while (fgets(line, sizeof line, f)) {
        int commas = 0;
        for (char *p = line; *p; p++)
            if (*p == ',' && ++commas == 5) {
                *p = '\0';
                break;
            }
        len += (size_t)snprintf(out + len, cap - len, "%s\n", line);
    }
    fclose(f);
    return out;
}

/* The zoo of these tests: 4 checkpoints x 2 tasks. */
#define N_PAIRS 8

static int run_on(MPI_Comm comm, const char *zoo, const char *csv)
{
    ckptrank_run_opts o;
    ckptrank_run_defaults(&o);
    o.zoo_path = zoo;
    o.methods = "nleep,leep,nleep:cov=diag,ratio=2";
    o.csv_path = csv;
    o.progress = 0;
    o.print_table = 0;
    o.seed = 11;
    ckptrank_run_summary s;
    ckr_err err = { 0, "" };
    int rc = ckptrank_run(comm, &o, &s, &err);
    if (rc)
        fprintf(stderr, "run failed: %s\n", err.msg);
    if (s.n_pair_reads != N_PAIRS)
        fprintf(stderr, "%zu pair reads, expected %d\n", s.n_pair_reads, N_PAIRS);
    return rc == 0 && s.n_failed == 0 && s.n_items == 24 && s.n_pair_reads == N_PAIRS ? 0 : 1;
}

static void test_communicators_agree(void **state)
{
    (void)state;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char zoo[300], a[300], b[2][300], c[300];
    snprintf(zoo, sizeof zoo, "%s/zoo.h5", dir);
    snprintf(a, sizeof a, "%s/world.csv", dir);
    snprintf(b[0], sizeof b[0], "%s/sub0.csv", dir);
    snprintf(b[1], sizeof b[1], "%s/sub1.csv", dir);
    snprintf(c, sizeof c, "%s/self.csv", dir);
    if (rank == 0) {
        ckr_synth_opts o;
        ckr_synth_defaults(&o);
        o.n_ckpts = 4;
        o.n_tasks = 2;
        o.n_train = 200;
        o.dim = 16;
        ckr_err err = { 0, "" };
        assert_int_equal(ckr_synth_write(zoo, &o, &err), 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    assert_int_equal(run_on(MPI_COMM_WORLD, zoo, a), 0);
    MPI_Comm sub;
    int color = rank % 2;
    MPI_Comm_split(MPI_COMM_WORLD, color, rank, &sub);
    assert_int_equal(run_on(sub, zoo, b[color]), 0);
    MPI_Comm_free(&sub);
    if (rank == 0)
        assert_int_equal(run_on(MPI_COMM_SELF, zoo, c), 0);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        char *sa = scores_without_timing(a), *sb = scores_without_timing(b[0]),
             *sc = scores_without_timing(c);
        assert_non_null(sa);
        assert_non_null(sb);
        assert_non_null(sc);
        assert_string_equal(sa, sb);
        assert_string_equal(sa, sc);
        if (size > 1) {
            char *sb1 = scores_without_timing(b[1]);
            assert_non_null(sb1);
            assert_string_equal(sa, sb1);
            free(sb1);
        }
        free(sa);
        free(sb);
        free(sc);
    }
}

/* A zoo that cannot be opened fails the same way on every rank. */
static void test_missing_zoo_fails_everywhere(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/does-not-exist.h5", dir);
    ckptrank_run_opts o;
    ckptrank_run_defaults(&o);
    o.zoo_path = path;
    o.progress = 0;
    o.print_table = 0;
    ckptrank_run_summary s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckptrank_run(MPI_COMM_WORLD, &o, &s, &err), CKR_EIO);
    assert_non_null(strstr(err.msg, "does-not-exist.h5"));
}

/* The run talks on its own communicator: messages of the caller's that are
 * in flight on comm (here with the run's own tags, from every worker to
 * rank 0) are neither taken by the run nor disturbed. */
static void test_caller_messages_untouched(void **state)
{
    (void)state;
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char zoo[300], csv[300];
    snprintf(zoo, sizeof zoo, "%s/zoo.h5", dir);
    snprintf(csv, sizeof csv, "%s/isolated.csv", dir);
    int mine[4] = { 1000 + rank, 2000 + rank, 3000 + rank, 4000 + rank };
    MPI_Request req[2] = { MPI_REQUEST_NULL, MPI_REQUEST_NULL };
    if (rank > 0) {
        MPI_Isend(&mine[0], 2, MPI_INT, 0, 1, MPI_COMM_WORLD, &req[0]);
        MPI_Isend(&mine[2], 2, MPI_INT, 0, 3, MPI_COMM_WORLD, &req[1]);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    assert_int_equal(run_on(MPI_COMM_WORLD, zoo, csv), 0);
    if (rank == 0) {
        for (int from = 1; from < size; from++) {
            int got[2];
            MPI_Recv(got, 2, MPI_INT, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            assert_int_equal(got[0], 1000 + from);
            assert_int_equal(got[1], 2000 + from);
            MPI_Recv(got, 2, MPI_INT, from, 3, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            assert_int_equal(got[0], 3000 + from);
            assert_int_equal(got[1], 4000 + from);
        }
    }
    MPI_Waitall(2, req, MPI_STATUSES_IGNORE);
    MPI_Barrier(MPI_COMM_WORLD);
}

/* A setup failure found by rank 0 alone (a journal of another run, a shard
 * without items) is every rank's: same code, same message. */
static void test_setup_failure_agreed(void **state)
{
    (void)state;
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char zoo[300], out[300];
    snprintf(zoo, sizeof zoo, "%s/zoo.h5", dir);
    snprintf(out, sizeof out, "%s/agreed.csv", dir);
    ckptrank_run_opts o;
    ckptrank_run_defaults(&o);
    o.zoo_path = zoo;
    o.methods = "leep";
    o.csv_path = out;
    o.progress = 0;
    o.print_table = 0;
    ckptrank_run_summary s;
    ckr_err err = { 0, "" };
    if (rank == 0) { /* the journal of another run, in the journal's format */
        char journal[320];
        const char *header = "zoo=x\nmethods=leep\nseed=99\nshard=all\n";
        uint32_t len = (uint32_t)strlen(header);
        snprintf(journal, sizeof journal, "%s.journal", out);
        FILE *f = fopen(journal, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite("CKRJRNL2", 1, 8, f), 8);
        assert_int_equal(fwrite(&len, sizeof len, 1, f), 1);
        assert_int_equal(fwrite(header, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    o.resume = 1;
    assert_int_equal(ckptrank_run(MPI_COMM_WORLD, &o, &s, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "journal belongs to a different run"));
    char first[sizeof err.msg];
    memcpy(first, err.msg, sizeof first);
    MPI_Bcast(first, (int)sizeof first, MPI_CHAR, 0, MPI_COMM_WORLD);
    assert_string_equal(err.msg, first);

    o.resume = 0;
    o.shard_index = 30;
    o.shard_count = 31; /* 8 items: shard 30 of 31 has none */
    ckr_err_clear(&err);
    assert_int_equal(ckptrank_run(MPI_COMM_WORLD, &o, &s, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "shard 30/31 has no items"));
    MPI_Barrier(MPI_COMM_WORLD);
}

/* Several methods and a sweep per pair: every pair is read exactly once per
 * run, summed over the ranks (the items of a pair all go to the rank that
 * read it), and the scores do not depend on who computed them. With
 * MPI_THREAD_MULTIPLE rank 0 computes items too; with
 * CKPTRANK_NO_COORD_THREAD it only coordinates (as with a lower thread
 * level), which gives the same scores and the same reads. */
static void test_one_read_per_pair(void **state)
{
    (void)state;
    int rank, size, provided;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Query_thread(&provided);
    assert_int_equal(provided, MPI_THREAD_MULTIPLE);
    char zoo[300], csv[2][300];
    snprintf(zoo, sizeof zoo, "%s/zoo.h5", dir);
    for (int mode = 0; mode < 2; mode++) {
        snprintf(csv[mode], sizeof csv[mode], "%s/reads%d.csv", dir, mode);
        if (mode == 1)
            setenv("CKPTRANK_NO_COORD_THREAD", "1", 1);
        ckptrank_run_opts o;
        ckptrank_run_defaults(&o);
        o.zoo_path = zoo;
        /* 7 items per pair: 5 methods, one of them a sweep of 3 grid points;
         * dummy items wait, so every rank is asked for work */
        o.methods = "leep,logme,hscore,nce,dummy:ms=4|5|6";
        o.csv_path = csv[mode];
        o.journal_path = "";
        o.progress = 0;
        o.print_table = 0;
        o.seed = 5;
        ckptrank_run_summary s;
        ckr_err err = { 0, "" };
        assert_int_equal(ckptrank_run(MPI_COMM_WORLD, &o, &s, &err), 0);
        unsetenv("CKPTRANK_NO_COORD_THREAD");
        assert_int_equal(s.n_items, 7 * N_PAIRS);
        assert_int_equal(s.n_computed, 7 * N_PAIRS);
        assert_int_equal(s.n_pair_reads, N_PAIRS);
        if (size == 1)
            assert_int_equal(s.n_computed_rank0, 7 * N_PAIRS);
        else if (mode == 0) /* rank 0 computed some, the others the rest */
            assert_true(s.n_computed_rank0 > 0 && s.n_computed_rank0 < 7 * N_PAIRS);
        else
            assert_int_equal(s.n_computed_rank0, 0);
    }
    if (rank == 0) {
        char *a = scores_without_timing(csv[0]), *b = scores_without_timing(csv[1]);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        snprintf(dir, sizeof dir, "%s", ckr_test_tmpdir());
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_communicators_agree),
        cmocka_unit_test(test_missing_zoo_fails_everywhere),
        cmocka_unit_test(test_caller_messages_untouched),
        cmocka_unit_test(test_setup_failure_agreed),
        cmocka_unit_test(test_one_read_per_pair),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
