/* test_results.c -- results.h5 and CSV files: round trips and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>

#include "report/columns.h"
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
        s->heldout = i == 1 ? 0.625 : NAN;
        s->best = i == 1;
        snprintf(s->sweep, sizeof s->sweep, "%s", i == 1 ? "nleep:ratio=1|2" : "");
        snprintf(s->info, sizeof s->info, "%s", i == 0 ? "d=12 K=25" : "");
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
    assert_string_equal(line, "checkpoint,task,method,score,status,seconds,gflops,terms\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "plain,task0,\"nleep:pca=0.9,ratio=1\",-0.033333333333333333,ok,1.0000000000000001e-17,0.14285714285714285,\n");
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
    for (size_t i = 0; i < 3; i++) {   /* every column comes back */
        const ckr_score_row *a = &r.scores[i], *b = &back.scores[i];
        assert_string_equal(b->task, a->task);
        assert_string_equal(b->method, a->method);
        assert_string_equal(b->sweep, a->sweep);
        assert_string_equal(b->status, a->status);
        assert_string_equal(b->info, a->info);
        assert_memory_equal(&b->seconds, &a->seconds, sizeof a->seconds);
        assert_memory_equal(&b->gflops, &a->gflops, sizeof a->gflops);
        assert_true(b->heldout == a->heldout || (isnan(b->heldout) && isnan(a->heldout)));
        assert_int_equal(b->best, a->best);
    }
    assert_null(back.metrics);   /* the metrics are recomputed, not read */
    /* h5py reads the same file: the names and types of hdf5-schemas/results-v1.md */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             CKR_PY " -c \"import h5py,sys\nf=h5py.File('%s','r')\n"
             "assert f.attrs['format']==b'ckptrank-results' or f.attrs['format']=='ckptrank-results'\n"
             "assert set(f.attrs)=={'format','format_version','command_line','version','zoo',"
             "'methods','seed','n_ranks','start_time','end_time','seconds'}, set(f.attrs)\n"
             "assert f.attrs['seed'].dtype.str=='<u8' and f.attrs['n_ranks'].dtype.str=='<i4'\n"
             "assert set(f)=={'scores','ground_truth','metrics'}\n"
             "s=f['scores']\n"
             "assert set(s)=={'checkpoint','task','method','sweep','score','status','message',"
             "'info','seconds','gflops','heldout','best','terms'}, set(s)\n"
             "assert s['best'].dtype.str=='<i4' and list(s['best'][:])==[0,1,0]\n"
             "assert s['score'].dtype.str=='<f8' and s['heldout'][1]==0.625\n"
             "assert s['checkpoint'].dtype.str=='|S13' and s['checkpoint'][1]==b'with,comma'\n"
             "assert s['sweep'][1]==b'nleep:ratio=1|2' and s['sweep'].dtype.str=='|S16'\n"
             "assert abs(s['score'][0]+0.1/3)<1e-17\n"
             "assert set(f['ground_truth'])=={'checkpoint','task','accuracy'}\n"
             "m=f['metrics']\n"
             "assert set(m)=={'task','method','n_checkpoints','n_excluded','recall','rel',"
             "'pearson','kendall','weighted_kendall','mean_seconds','mean_gflops'}, set(m)\n"
             "assert m['recall'].shape==(m['task'].shape[0],2) and m['n_excluded'].dtype.str=='<i4'\n"
             "assert list(m.attrs['k'])==[1,3]\"",
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

/* The metrics CSV: the cut-offs of the first row, recall and rel per
 * cut-off, a NaN as an empty field. */
static void test_metrics_csv(void **state)
{
    (void)state;
    ckr_metric_row m[2];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 2; i++) {
        snprintf(m[i].task, sizeof m[i].task, "%s", i ? "mean" : "t,1");
        snprintf(m[i].method, sizeof m[i].method, "m\"q\"");
        m[i].n_checkpoints = 7 + i;
        m[i].n_excluded = 2;
        m[i].nk = 2;
        m[i].k[0] = 1;
        m[i].k[1] = 5;
        m[i].recall[0] = 1;
        m[i].recall[1] = 0.1;
        m[i].rel[0] = NAN;
        m[i].rel[1] = -0.5;
        m[i].pearson = 1.0 / 3.0;
        m[i].kendall = NAN;
        m[i].weighted_kendall = 0.25;
        m[i].mean_seconds = 9;
    }
    char path[300];
    snprintf(path, sizeof path, "%s/metrics.csv", ckr_test_tmpdir());
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_metrics_write_csv(path, m, 2, &err), 0);
    FILE *f = fopen(path, "r");
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "task,method,n_checkpoints,recall@1,rel@1,recall@5,rel@5,pearson,"
                              "kendall,weighted_kendall\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "\"t,1\",\"m\"\"q\"\"\",7,1,,0.10000000000000001,-0.5,"
                              "0.33333333333333331,,0.25\n");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "mean,\"m\"\"q\"\"\",8,1,,0.10000000000000001,-0.5,"
                              "0.33333333333333331,,0.25\n");
    assert_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(ckr_metrics_write_csv(path, m, 0, &err), 0);   /* no rows: the header */
    f = fopen(path, "r");
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "task,method,n_checkpoints,pearson,kendall,weighted_kendall\n");
    fclose(f);
}

/* Reading scores: the status decides what an empty or present score means. */
static void test_scores_csv_status(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/status.csv", ckr_test_tmpdir());
    write_file(path, "checkpoint,task,method,score,status,seconds,gflops\n"
                     "a,t,m,0.5,ok,1.5,2\n"
                     "b,t,m,,ok,,x\n"
                     "c,t,m,0.25,timeout,3,\n"
                     "\"d,\"\"q\"\"\",t,m,-1e-3,,nan,4\n"
                     "e,t,m,,,1\n"
                     "f,t,m,1,ok\n");
    ckr_score_row *rows = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), 0);
    assert_int_equal(n, 6);
    assert_string_equal(rows[0].status, "ok");
    assert_true(rows[0].score == 0.5 && rows[0].seconds == 1.5 && rows[0].gflops == 2);
    assert_string_equal(rows[1].status, "bad-data");   /* said ok, no score */
    assert_true(isnan(rows[1].score) && rows[1].seconds == 0 && rows[1].gflops == 0);
    assert_string_equal(rows[2].status, "timeout");    /* a failure keeps its status */
    assert_true(isnan(rows[2].score) && rows[2].seconds == 3);
    assert_string_equal(rows[3].ckpt, "d,\"q\"");
    assert_string_equal(rows[3].status, "ok");         /* no status, a score */
    assert_true(rows[3].score == -1e-3 && isnan(rows[3].seconds) && rows[3].gflops == 4);
    assert_string_equal(rows[4].status, "no-score");   /* neither */
    assert_string_equal(rows[5].status, "ok");         /* short row: optional columns absent */
    assert_true(rows[5].score == 1 && rows[5].seconds == 0);
    for (size_t i = 0; i < n; i++)
        assert_true(rows[i].heldout == 0 && rows[i].best == 0 && !rows[i].sweep[0]);
    free(rows);
    write_file(path, "checkpoint,task,method,score\na,t,m,inf\n");
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2: score 'inf' is not a finite number"));
    write_file(path, "checkpoint,task,method,score\na,t\n");
    assert_int_equal(ckr_scores_read_csv(path, &rows, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2: 2 fields, expected at least 3"));
    ckr_gt_row *g = NULL;
    write_file(path, "task,accuracy,checkpoint\nt,0.75,\"a,b\"\n\nu,1e-2,c\n");
    assert_int_equal(ckr_gt_read_csv(path, &g, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(g[0].ckpt, "a,b");
    assert_true(g[0].accuracy == 0.75 && g[1].accuracy == 1e-2);
    assert_string_equal(g[1].task, "u");
    free(g);
    write_file(path, "checkpoint,task\na,t\n");
    assert_int_equal(ckr_gt_read_csv(path, &g, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "no column 'accuracy'"));
}

/* The column tables: every column inside its row struct, the cells of a
 * format in the documented order. */
static void test_column_tables(void **state)
{
    (void)state;
    const ckr_table_desc *tables[4] = { &ckr_score_table, &ckr_gt_table, &ckr_metric_table,
                                        &ckr_meta_table };
    for (size_t t = 0; t < 4; t++)
        for (size_t i = 0; i < tables[t]->n_col; i++) {
            const ckr_column *c = &tables[t]->col[i];
            assert_true(c->offset + c->size <= tables[t]->row_size);
            for (size_t j = 0; j < i; j++)
                assert_string_not_equal(tables[t]->col[j].name, c->name);
        }
    assert_string_equal(ckr_table_status(&ckr_score_table)->name, "status");
    assert_null(ckr_table_status(&ckr_gt_table));
    ckr_cell cells[CKR_MAX_CELLS];
    size_t n = ckr_table_cells(&ckr_metric_table, CKR_COL_JSON, 2, cells);
    static const char *const json[] = { "task", "method", "n_checkpoints", "n_excluded",
                                        "recall@1", "rel@1", "recall@10", "rel@10", "pearson",
                                        "kendall", "weighted_kendall", "mean_seconds",
                                        "mean_gflops" };
    assert_int_equal(n, 13);
    int k[2] = { 1, 10 };
    for (size_t i = 0; i < n; i++) {
        char name[64];
        ckr_cell_name(&cells[i], k, name, sizeof name);
        assert_string_equal(name, json[i]);
    }
    n = ckr_table_cells(&ckr_score_table, CKR_COL_CSV, 0, cells);
    static const char *const csv[] = { "checkpoint", "task", "method", "score", "status",
                                       "seconds", "gflops", "terms" };
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(cells[i].col->name, csv[i]);
    ckr_score_row s;
    memset(&s, 0, sizeof s);
    s.score = 2.5;
    snprintf(s.status, sizeof s.status, "failed");
    assert_int_equal(ckr_col_known(&ckr_score_table, cells[3].col, &s), 0);
    assert_int_equal(ckr_col_known(&ckr_score_table, cells[5].col, &s), 1);
    snprintf(s.status, sizeof s.status, "ok");
    assert_int_equal(ckr_col_known(&ckr_score_table, cells[3].col, &s), 1);
    assert_true(ckr_col_f64(cells[3].col, &s) == 2.5);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores_csv_round_trip),
        cmocka_unit_test(test_h5_round_trip),
        cmocka_unit_test(test_bad_csv),
        cmocka_unit_test(test_metrics_csv),
        cmocka_unit_test(test_scores_csv_status),
        cmocka_unit_test(test_column_tables),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
