/* test_report_robust.c -- hostile inputs and failing outputs of the report
 * layer (issue 14): message fitting (util/msg), temporary-name outputs
 * (util/fsout), the RFC 4180 reader of `evaluate`, duplicate score rows, the
 * reserved task name "mean", and results.h5 columns of the wrong shape. The
 * expected values are worked out by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <hdf5.h>
#include <mpi.h>

#include "metrics/table.h"
#include "report/results_csv.h"
#include "report/results_h5.h"
#include "util/fsout.h"
#include "util/msg.h"
#include "testutil.h"

/* 1 if s is valid UTF-8 (no cut character). */
static int valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
                                : (*p & 0xF8) == 0xF0 ? 3 : -1;
        if (n < 0)
            return 0;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80)
                return 0;
    }
    return 1;
}

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
}
#define WRITE(path, lit) write_file(path, lit, sizeof(lit) - 1)

static void test_msg_fit(void **state)
{
    (void)state;
    char out[32];
    /* short: unchanged, not shortened */
    assert_int_equal(ckr_msg_fit(out, sizeof out, "a: b"), 0);
    assert_string_equal(out, "a: b");
    /* 31 bytes fit exactly in 32 */
    assert_int_equal(ckr_msg_fit(out, sizeof out, "0123456789012345678901234567890"), 0);
    /* "PATH: problem": the path (41 bytes) is the longest part; 53 bytes must
     * become 31, so 22 + 3 ("...") bytes leave the path: it keeps 16, the
     * first 16/3 = 5 and the last 11, and the problem stays whole. */
    const char *m = "/aaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/z.h5: labels bad";
    assert_int_equal((int)strlen(m), 53);
    assert_int_equal(ckr_msg_fit(out, sizeof out, m), 1);
    assert_string_equal(out, "/aaaa...bbbbbb/z.h5: labels bad");
    assert_int_equal((int)strlen(out), 31);
    /* two-byte characters: every cut on a boundary, at most 31 bytes */
    char src[400] = "/";
    for (int i = 0; i < 100; i++)
        strcat(src, "\xc3\xa9"); /* é */
    strcat(src, "/zoo.h5: /checkpoints/c/t: NaN");
    for (size_t cap = 8; cap <= 64; cap++) {
        char o[64];
        ckr_msg_fit(o, cap, src);
        assert_true(strlen(o) < cap);
        assert_true(valid_utf8(o));
        if (cap >= 48) /* the problem is kept whenever it fits with room to spare */
            assert_non_null(strstr(o, ": /checkpoints/c/t: NaN"));
    }
    /* no separators: head and tail of the whole text */
    char big[100];
    memset(big, 'x', 99);
    big[99] = '\0';
    big[0] = 'A';
    big[98] = 'Z';
    ckr_msg_fit(out, sizeof out, big);
    assert_int_equal((int)strlen(out), 31);
    assert_true(out[0] == 'A' && out[30] == 'Z' && strstr(out, "...") != NULL);
    /* the printf form, and a cut on a boundary */
    ckr_msg_fitf(out, 6, "%s", "ab\xc3\xa9\xc3\xa9"); /* 6 bytes into 6: too long */
    assert_true(valid_utf8(out) && strlen(out) <= 5);
    assert_int_equal((int)ckr_utf8_cut("ab\xc3\xa9", 3), 2);
    assert_int_equal((int)ckr_utf8_cut("ab\xc3\xa9", 4), 4);
    assert_int_equal((int)ckr_utf8_cut("ab", 9), 2);
}

/* Number of entries of dir (not . and ..). */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d)
        closedir(d);
    return n;
}

static void test_fsout(void **state)
{
    (void)state;
    char dir[300], path[400], cmd[400];
    snprintf(dir, sizeof dir, "%s/fsout", ckr_test_tmpdir());
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(ckr_test_sh(cmd), 0);
    snprintf(path, sizeof path, "%s/out.txt", dir);
    ckr_err err = { 0, "" };
    WRITE(path, "old");
    /* an aborted write leaves the old file and no temporary file */
    ckr_fsout o;
    assert_int_equal(ckr_fsout_open(&o, path, &err), 0);
    fputs("half", o.f);
    ckr_fsout_abort(&o);
    assert_int_equal(count_entries(dir), 1);
    FILE *f = fopen(path, "r");
    char buf[16] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "old");
    /* a committed one replaces it */
    assert_int_equal(ckr_fsout_write_file(path, "new!", 4, &err), 0);
    f = fopen(path, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "new!");
    assert_int_equal(count_entries(dir), 1);
    /* a directory that does not exist: the reason, nothing created */
    snprintf(path, sizeof path, "%s/no/such/dir/x.csv", dir);
    assert_int_equal(ckr_fsout_write_file(path, "x", 1, &err), CKR_EIO);
    assert_non_null(strstr(err.msg, "No such file or directory"));
    assert_int_equal(ckr_fsout_write_file("", "x", 1, &err), CKR_EARG);
    /* the writers go through it: a JSON-less CSV into a missing dir */
    assert_int_equal(ckr_scores_write_csv(path, NULL, 0, &err), CKR_EIO);
    assert_non_null(strstr(err.msg, "No such file or directory"));
}

/* Read scores from text; returns the reader's code. */
static int read_scores(const char *text, size_t len, ckr_score_row **rows, size_t *n,
                       ckr_err *err)
{
    char path[300];
    snprintf(path, sizeof path, "%s/in.csv", ckr_test_tmpdir());
    write_file(path, text, len);
    *rows = NULL;
    *n = 0;
    return ckr_scores_read_csv(path, rows, n, err);
}
#define READ(lit, rows, n, err) read_scores(lit, sizeof(lit) - 1, rows, n, err)

static void test_csv_rfc4180(void **state)
{
    (void)state;
    ckr_score_row *r;
    size_t n;
    ckr_err err = { 0, "" };
    /* BOM + CRLF (Excel) */
    assert_int_equal(READ("\xef\xbb\xbf" "checkpoint,task,method,score\r\na,t,m,1.5\r\nb,t,m,2\r\n",
                          &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ckpt, "a");
    assert_true(r[0].score == 1.5 && r[1].score == 2);
    free(r);
    /* CR only (old Mac), no final line end */
    assert_int_equal(READ("checkpoint,task,method,score\ra,t,m,1\rb,t,m,2", &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[1].method, "m");
    free(r);
    /* quoted fields with a comma, doubled quotes and a line break, as ckptrank writes them */
    assert_int_equal(READ("checkpoint,task,method,score\n\"a,\"\"x\"\"\ny\",t,m,1\n\nb,t,m,2\n",
                          &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ckpt, "a,\"x\"\ny");
    free(r);
    /* errors: the line and the cause */
    assert_int_equal(READ("checkpoint,task,method,score\na,t,m,1\n\"b,t,m,2\nc,t,m,3\n", &r, &n,
                          &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "unterminated quoted field"));
    assert_non_null(strstr(err.msg, "opened on line 3"));
    assert_int_equal(READ("checkpoint,task,method,score\n\"a\"x,t,m,1\n", &r, &n, &err),
                     CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2: 'x' after the closing quote"));
    assert_int_equal(READ("checkpoint,task,method,score\r\na,t,m,1\r\n\r\nb,t\r\n", &r, &n, &err),
                     CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 4: 2 fields, expected at least 3"));
    assert_int_equal(READ("checkpoint,task,method,score\na,t\0x,m,1\n", &r, &n, &err),
                     CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2: a NUL byte"));
    /* a 200 KB line: the field that is too long, not a field count */
    size_t big = 200000;
    char *text = malloc(big + 100);
    int at = snprintf(text, 100, "checkpoint,task,method,score\n");
    memset(text + at, 'c', big);
    at += (int)big;
    at += snprintf(text + at, 100, ",t,m,1\n");
    assert_int_equal(read_scores(text, (size_t)at, &r, &n, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 2: checkpoint is 200000 bytes long (at most 255)"));
    free(text);
    /* a round trip of names with every special character */
    char path[300];
    snprintf(path, sizeof path, "%s/rt.csv", ckr_test_tmpdir());
    ckr_score_row w[2];
    memset(w, 0, sizeof w);
    snprintf(w[0].ckpt, 256, "c\r\n,\"q\"\rz");
    snprintf(w[1].ckpt, 256, "\xc3\xa9t\xc3\xa9");
    for (int i = 0; i < 2; i++) {
        snprintf(w[i].task, 256, "t");
        snprintf(w[i].method, 256, "m");
        snprintf(w[i].status, 32, "ok");
        w[i].score = 0.1 * (i + 1);
    }
    assert_int_equal(ckr_scores_write_csv(path, w, 2, &err), 0);
    assert_int_equal(ckr_scores_read_csv(path, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ckpt, w[0].ckpt);
    assert_string_equal(r[1].ckpt, w[1].ckpt);
    assert_true(r[0].score == 0.1 && r[1].score == 0.2);
    free(r);
}

static void test_csv_duplicates_and_mean(void **state)
{
    (void)state;
    ckr_score_row *r;
    size_t n;
    ckr_err err = { 0, "" };
    /* conflicting duplicates (lines 2 and 4): refused like ground truth */
    assert_int_equal(READ("checkpoint,task,method,score\na,t,m,1\nb,t,m,2\na,t,m,3\n", &r, &n,
                          &err), CKR_EDATA);
    assert_non_null(strstr(err.msg, "lines 2 and 4"));
    assert_non_null(strstr(err.msg, "a / t / m"));
    /* a duplicate status that disagrees is a conflict too */
    assert_int_equal(READ("checkpoint,task,method,score,status\na,t,m,,timeout\na,t,m,,failed\n",
                          &r, &n, &err), CKR_EDATA);
    /* identical duplicates: the later one is dropped */
    assert_int_equal(READ("checkpoint,task,method,score\na,t,m,1\nb,t,m,2\na,t,m,1.0\n", &r, &n,
                          &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(r[0].ckpt, "a");
    assert_string_equal(r[1].ckpt, "b");
    free(r);
    /* the same checkpoint and task with another method is no duplicate */
    assert_int_equal(READ("checkpoint,task,method,score\na,t,m,1\na,t,n,1\n", &r, &n, &err), 0);
    assert_int_equal(n, 2);
    free(r);
    /* the task name of the mean rows is reserved */
    assert_int_equal(READ("checkpoint,task,method,score\na,t,m,1\na,mean,m,1\n", &r, &n, &err),
                     CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "line 3: task name 'mean' is reserved"));
    /* ... and refused by the metrics table whatever the source */
    ckr_score_row s[2];
    memset(s, 0, sizeof s);
    for (int i = 0; i < 2; i++) {
        snprintf(s[i].ckpt, 256, "c%d", i);
        snprintf(s[i].task, 256, CKR_MEAN_TASK);
        snprintf(s[i].method, 256, "m");
        snprintf(s[i].status, 32, "ok");
        s[i].score = i;
    }
    ckr_metric_row *mt = NULL;
    size_t nm = 0;
    int k[1] = { 1 };
    assert_int_equal(ckr_metrics_table(s, 2, NULL, 0, k, 1, &mt, &nm, &err), CKR_EDATA);
    assert_non_null(strstr(err.msg, "reserved"));
    assert_null(mt);
}

/* results.h5 whose /scores/score is replaced by a dataset of rank `rank`
 * and `rows` rows (2 columns when rank 2). */
static void make_bad_h5(const char *path, int rank, hsize_t rows, int as_string)
{
    ckr_results r;
    memset(&r, 0, sizeof r);
    r.n_scores = 3;
    r.scores = calloc(3, sizeof *r.scores);
    for (int i = 0; i < 3; i++) {
        snprintf(r.scores[i].ckpt, 256, "c%d", i);
        snprintf(r.scores[i].task, 256, "t");
        snprintf(r.scores[i].method, 256, "m");
        snprintf(r.scores[i].status, 32, "ok");
        r.scores[i].score = i;
    }
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_write_h5(path, &r, &err), 0);
    free(r.scores);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_true(H5Ldelete(f, "scores/score", H5P_DEFAULT) >= 0);
    hsize_t dims[2] = { rows, 2 };
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t t = as_string ? H5Tcopy(H5T_C_S1) : H5Tcopy(H5T_IEEE_F64LE);
    if (as_string)
        H5Tset_size(t, 4);
    hid_t d = H5Dcreate2(f, "scores/score", t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(d >= 0);
    H5Dclose(d);
    H5Tclose(t);
    H5Sclose(sp);
    assert_true(H5Fclose(f) >= 0);
}

static void test_h5_bad_columns(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/bad.h5", ckr_test_tmpdir());
    ckr_results r;
    ckr_err err = { 0, "" };
    /* (R, 2): the heap overflow of the issue */
    make_bad_h5(path, 2, 3, 0);
    assert_int_equal(ckr_results_read_h5(path, &r, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "/scores/score: is not a 1-D column"));
    assert_null(r.scores);
    /* one row short: the uninitialised last score */
    make_bad_h5(path, 1, 2, 0);
    assert_int_equal(ckr_results_read_h5(path, &r, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "/scores/score: has a different number of rows"));
    assert_non_null(strstr(err.msg, "(2, expected 3)"));
    /* one row too many */
    make_bad_h5(path, 1, 4, 0);
    assert_int_equal(ckr_results_read_h5(path, &r, &err), CKR_EFORMAT);
    /* strings where numbers belong */
    make_bad_h5(path, 1, 3, 1);
    assert_int_equal(ckr_results_read_h5(path, &r, &err), CKR_EFORMAT);
    assert_non_null(strstr(err.msg, "/scores/score: is not a numeric column"));
    /* the right shape reads */
    make_bad_h5(path, 1, 3, 0);
    assert_int_equal(ckr_results_read_h5(path, &r, &err), 0);
    assert_int_equal(r.n_scores, 3);
    ckr_results_free(&r);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_fit),
        cmocka_unit_test(test_fsout),
        cmocka_unit_test(test_csv_rfc4180),
        cmocka_unit_test(test_csv_duplicates_and_mean),
        cmocka_unit_test(test_h5_bad_columns),
    };
    int rc = cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
    MPI_Finalize();
    return rc;
}
