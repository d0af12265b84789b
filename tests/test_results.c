/* test_results.c -- results.h5 and CSV files: round trips and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>

#include "report/results_csv.h"
#include "report/results_h5.h"
#include "testutil.h"

static void fill_rows(ckr_results *r)
{
    memset(r, 0, sizeof *r);
    r->n_scores = 3;
    r->scores = calloc(3, sizeof *r->scores);
    const char *names[3] = { "plain", "with,comma", "with \"quote\"" };
    for (int i = 0; i < 3; i++) {
        ckr_score_row *s = &r->scores[i];
        snprintf(s->ckpt, sizeof s->ckpt, "%s", names[i]);
        snprintf(s->task, sizeof s->task, "task%d", i % 2);
        snprintf(s->method, sizeof s->method, "nleep:pca=0.9,ratio=%d", i + 1);
        s->score = i == 2 ? NAN : -0.1 / 3.0 * (i + 1);
        snprintf(s->status, sizeof s->status, "%s", i == 2 ? "needs-logits" : "ok");
        snprintf(s->message, sizeof s->message, "%s", i == 2 ? "no logits" : "");
        s->seconds = 0.125 * i + 1e-17;
        s->gflops = 1.0 / 7.0;
    }
    r->n_gt = 2;
    r->gt = calloc(2, sizeof *r->gt);
    snprintf(r->gt[0].ckpt, 256, "plain");
    snprintf(r->gt[0].task, 256, "task0");
    r->gt[0].accuracy = 0.5;
    snprintf(r->gt[1].ckpt, 256, "with,comma");
    snprintf(r->gt[1].task, 256, "task1");
    r->gt[1].accuracy = 0.25;
    snprintf(r->meta.command_line, sizeof r->meta.command_line, "ckptrank run zoo.h5");
    snprintf(r->meta.version, sizeof r->meta.version, "0.1.0");
    r->meta.seed = 12345678901234ULL;
    r->meta.n_ranks = 4;
}

static void test_scores_csv_round_trip(void **state)
{
    (void)state;
    ckr_results r;
    fill_rows(&r);
    char path[300];
    snprintf(path, sizeof path, "%s/scores.csv", ckr_test_tmpdir());
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_scores_write_csv(path, r.scores, r.n_scores, &err), 0);
    FILE *f = fopen(path, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "checkpoint,task,method,score,status,seconds,gflops\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "plain,task0,\"nleep:pca=0.9,ratio=1\",-0.033333333333333333,ok,1.0000000000000001e-17,0.14285714285714285\n");
    fclose(f);
    ckr_score_row *back = NULL;
    size_t n = 0;
    assert_int_equal(ckr_scores_read_csv(path, &back, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(back[i].ckpt, r.scores[i].ckpt);
        assert_string_equal(back[i].method, r.scores[i].method);
        assert_string_equal(back[i].status, r.scores[i].status);
        if (i < 2)
            assert_true(back[i].score == r.scores[i].score); /* bit-exact via %.17g */
        else
            assert_true(isnan(back[i].score));
        assert_true(back[i].gflops == r.scores[i].gflops);
    }
    free(back);
    ckr_results_free(&r);
}

static void test_h5_round_trip(void **state)
{
    (void)state;
    ckr_results r, back;
    fill_rows(&r);
    int k[2] = { 1, 3 };
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_compute_metrics(&r, k, 2, &err), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/results.h5", ckr_test_tmpdir());
    assert_int_equal(ckr_results_write_h5(path, &r, &err), 0);
    assert_int_equal(ckr_results_read_h5(path, &back, &err), 0);
    assert_int_equal(back.n_scores, 3);
    assert_int_equal(back.n_gt, 2);
    assert_string_equal(back.scores[2].ckpt, "with \"quote\"");
    assert_string_equal(back.scores[2].message, "no logits");
    assert_true(back.scores[0].score == r.scores[0].score);
    assert_true(isnan(back.scores[2].score));
    assert_true(back.gt[1].accuracy == 0.25);
    assert_string_equal(back.meta.command_line, "ckptrank run zoo.h5");
    assert_true(back.meta.seed == 12345678901234ULL);
    assert_int_equal(back.meta.n_ranks, 4);
    /* h5py reads the same file: column names and a value */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             CKR_PY " -c \"import h5py,sys\nf=h5py.File('%s','r')\n"
             "assert f.attrs['format']==b'ckptrank-results' or f.attrs['format']=='ckptrank-results'\n"
             "assert f['scores/checkpoint'][1]==b'with,comma'\n"
             "assert abs(f['scores/score'][0]+0.1/3)<1e-17\n"
             "assert list(f['metrics'].attrs['k'])==[1,3]\"",
             path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    ckr_results_free(&back);
    ckr_results_free(&r);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_bad_csv(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/bad.csv", ckr_test_tmpdir());
    ckr_score_row *rows = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    write_file(path, "checkpoint,task,score\na,b,1\n");
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "no column 'method'"));
    assert_non_null(strstr(err.msg, "bad.csv"));
    write_file(path, "checkpoint,task,method,score\na,b,m,1.5x\n");
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2"));
    ckr_gt_row *g = NULL;
    write_file(path, "checkpoint,task,accuracy\na,b,nan\n");
    assert_int_equal(ckr_gt_read_csv(path, &g, &n, &err), CKR_EFORMAT);
    /* extra columns, any order, empty score => not ok */
    write_file(path, "score,method,extra,task,checkpoint\n0.5,m,x,t,c\n,m,x,t,d\n");
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].ckpt, "c");
    assert_string_equal(rows[0].status, "ok");
    assert_true(rows[0].score == 0.5);
    assert_string_not_equal(rows[1].status, "ok");
    free(rows);
    ckr_results r;
    assert_int_equal(ckr_results_read_h5(path, &r, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "not an HDF5 file"));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_csv_round_trip),
        cmocka_unit_test(test_h5_round_trip),
        cmocka_unit_test(test_bad_csv),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
