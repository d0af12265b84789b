/* mpi_run.c -- the library entry point on different communicators: the whole
 * world, split sub-communicators, and MPI_COMM_SELF must give identical
 * scores (run by `make check` under mpirun -n 1, 2 and 4). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>

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
    return rc == 0 && s.n_failed == 0 && s.n_items == 24 ? 0 : 1;
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

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0)
        snprintf(dir, sizeof dir, "%s", ckr_test_tmpdir());
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_communicators_agree),
        cmocka_unit_test(test_missing_zoo_fails_everywhere),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
