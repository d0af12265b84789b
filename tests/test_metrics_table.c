/* test_metrics_table.c -- ckr_metrics_table on a small hand-built example
 * (3 tasks, 2 methods, a failed row, a missing ground truth, duplicate rows),
 * every field checked against hand values and scipy (tests/ref_ranking.py). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "metrics/table.h"
#include "testutil.h"

#define NKS 3
static const int ks[NKS] = {1, 2, 5};

static void add_score(ckr_score_row *rows, size_t *n, const char *ckpt, const char *task,
                      const char *method, double score, const char *status, double sec,
                      double gfl, int best)
{
    ckr_score_row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->ckpt, sizeof r->ckpt, "%s", ckpt);
    snprintf(r->task, sizeof r->task, "%s", task);
    snprintf(r->method, sizeof r->method, "%s", method);
    snprintf(r->status, sizeof r->status, "%s", status);
    r->score = score;
    r->seconds = sec;
    r->gflops = gfl;
    r->best = best;
}

static void add_gt(ckr_gt_row *rows, size_t *n, const char *ckpt, const char *task, double acc)
{
    ckr_gt_row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->ckpt, sizeof r->ckpt, "%s", ckpt);
    snprintf(r->task, sizeof r->task, "%s", task);
    r->accuracy = acc;
}

/* The example. Methods appear nleep first (not alphabetical). Rows are
 * numbered in comments; see the expectations in test_example_table. */
static size_t example_scores(ckr_score_row *s)
{
    size_t n = 0;
    add_score(s, &n, "a", "flowers", "nleep", 2.0, "ok", 1.0, 10, 0);    /* 0 */
    add_score(s, &n, "a", "caltech", "nleep", -1.0, "ok", 2.0, 20, 0);   /* 1 */
    add_score(s, &n, "b", "caltech", "nleep", -2.0, "ok", 3.0, 30, 0);   /* 2 */
    add_score(s, &n, "c", "caltech", "leep", 0.2, "ok", 0.5, 5, 0);      /* 3 */
    add_score(s, &n, "c", "caltech", "nleep", -0.2, "ok", 4.0, 40, 0);   /* 4 */
    add_score(s, &n, "d", "caltech", "nleep", -0.5, "ok", 5.0, 50, 0);   /* 5 */
    /* c before b: the b/c score tie is broken by name, not input order */
    add_score(s, &n, "c", "flowers", "nleep", 3.0, "ok", 6.0, 60, 0);    /* 6 */
    add_score(s, &n, "b", "flowers", "nleep", 3.0, "ok", 7.0, 70, 0);    /* 7 */
    add_score(s, &n, "d", "flowers", "nleep", 5.0, "ok", 8.0, 80, 0);    /* 8: no gt */
    add_score(s, &n, "a", "caltech", "leep", 0.3, "ok", 1.5, 15, 0);     /* 9 */
    add_score(s, &n, "b", "caltech", "leep", NAN, "error", 0.1, NAN, 0); /* 10: failed */
    add_score(s, &n, "d", "caltech", "leep", 0.25, "ok", 2.5, 25, 0);    /* 11 */
    add_score(s, &n, "a", "flowers", "leep", 0.7, "ok", 3.5, 35, 0);     /* 12 */
    add_score(s, &n, "b", "flowers", "leep", 0.1, "ok", 4.5, 45, 0);     /* 13 */
    add_score(s, &n, "b", "flowers", "leep", 0.9, "ok", 5.5, 55, 1);     /* 14: best */
    add_score(s, &n, "c", "flowers", "leep", 0.4, "ok", 6.5, 65, 0);     /* 15: first */
    add_score(s, &n, "c", "flowers", "leep", 0.95, "ok", 7.5, 75, 0);    /* 16 */
    add_score(s, &n, "d", "flowers", "leep", 0.5, "ok", 8.5, 85, 0);     /* 17: no gt */
    add_score(s, &n, "a", "sun", "leep", 0.5, "ok", 9.5, 95, 0);         /* 18 */
    return n;
}

static size_t example_gt(ckr_gt_row *g)
{
    size_t n = 0;
    add_gt(g, &n, "a", "caltech", 0.80);
    add_gt(g, &n, "b", "caltech", 0.70);
    add_gt(g, &n, "c", "caltech", 0.60);
    add_gt(g, &n, "d", "caltech", 0.90);
    add_gt(g, &n, "a", "caltech", 0.80);   /* repeated, same value: fine */
    add_gt(g, &n, "a", "flowers", 0.50);
    add_gt(g, &n, "e", "flowers", 0.99);   /* no score: must not count */
    add_gt(g, &n, "b", "flowers", 0.95);
    add_gt(g, &n, "c", "flowers", 0.85);
    add_gt(g, &n, "a", "sun", 0.40);
    add_gt(g, &n, "b", "sun", 0.30);
    return n;
}

/* scipy's pearson, kendall, weighted tau of the ranked vectors. */
typedef struct { double p, k, w; } corr3;

static const char *ref_script(void)
{
    static char path[1024];
    const char *dir = getenv("CKR_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/ref_ranking.py", dir ? dir : ".");
    return path;
}

static void scipy_corr(const double *const *s, const double *const *g, const size_t *m,
                       size_t ncase, corr3 *out)
{
    const char *dir = ckr_test_tmpdir();
    char in[512], res[512], cmd[4096];
    snprintf(in, sizeof in, "%s/table_in.txt", dir);
    snprintf(res, sizeof res, "%s/table_out.txt", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "%zu\n", ncase);
    for (size_t c = 0; c < ncase; c++) {
        fprintf(f, "%zu 0\n", m[c]);
        for (size_t i = 0; i < m[c]; i++)
            fprintf(f, "%s%.17g", i ? " " : "", s[c][i]);
        fputc('\n', f);
        for (size_t i = 0; i < m[c]; i++)
            fprintf(f, "%s%.17g", i ? " " : "", g[c][i]);
        fputc('\n', f);
    }
    fclose(f);
    if (access(ref_script(), R_OK) != 0) {
        print_error("cannot read %s (run from the repo root or set CKR_SRCDIR)\n",
                    ref_script());
        fail();
    }
    snprintf(cmd, sizeof cmd, "%s %s %s %s", CKR_PY, ref_script(), in, res);
    assert_int_equal(ckr_test_sh(cmd), 0);
    f = fopen(res, "r");
    assert_non_null(f);
    for (size_t c = 0; c < ncase; c++) {
        char a[64], b[64], w[64];
        assert_int_equal(fscanf(f, "%63s %63s %63s", a, b, w), 3);
        out[c] = (corr3){strtod(a, NULL), strtod(b, NULL), strtod(w, NULL)};
        assert_false(isnan(out[c].p) || isnan(out[c].k) || isnan(out[c].w));
    }
    fclose(f);
}

typedef struct {
    const char *task, *method;
    int n, excl;
    double recall[NKS], rel[NKS];
    corr3 c;
    double sec, gfl;
} expect;

static void check_row(const ckr_metric_row *r, const expect *x)
{
    assert_string_equal(r->task, x->task);
    assert_string_equal(r->method, x->method);
    assert_int_equal(r->n_checkpoints, x->n);
    assert_int_equal(r->n_excluded, x->excl);
    assert_int_equal(r->nk, NKS);
    for (int i = 0; i < NKS; i++) {
        assert_int_equal(r->k[i], ks[i]);
        if (isnan(x->recall[i])) {
            assert_true(isnan(r->recall[i]));
            assert_true(isnan(r->rel[i]));
        } else {
            assert_close(r->recall[i], x->recall[i], 1e-12);
            assert_close(r->rel[i], x->rel[i], 1e-12);
        }
    }
    if (isnan(x->c.p)) {
        assert_true(isnan(r->pearson) && isnan(r->kendall) && isnan(r->weighted_kendall));
    } else {
        assert_close(r->pearson, x->c.p, 1e-12);
        assert_close(r->kendall, x->c.k, 1e-12);
        assert_close(r->weighted_kendall, x->c.w, 1e-12);
    }
    assert_close(r->mean_seconds, x->sec, 1e-12);
    assert_close(r->mean_gflops, x->gfl, 1e-12);
}

static void test_example_table(void **state)
{
    (void)state;
    ckr_score_row scores[32];
    ckr_gt_row gt[16];
    size_t ns = example_scores(scores), ng = example_gt(gt);

    /* Ranked vectors, checkpoints in name order (by hand from the rows). */
    const double s0[] = {-1, -2, -0.2, -0.5}, g0[] = {0.8, 0.7, 0.6, 0.9};  /* nleep caltech */
    const double s1[] = {2, 3, 3}, g1[] = {0.5, 0.95, 0.85};               /* nleep flowers */
    const double s2[] = {0.3, 0.2, 0.25}, g2[] = {0.8, 0.6, 0.9};          /* leep caltech: a c d */
    const double s3[] = {0.7, 0.9, 0.4}, g3[] = {0.5, 0.95, 0.85};         /* leep flowers */
    const double *sv[] = {s0, s1, s2, s3}, *gv[] = {g0, g1, g2, g3};
    const size_t mv[] = {4, 3, 3, 3};
    corr3 c[4];
    scipy_corr(sv, gv, mv, 4, c);
    const corr3 nan3 = {NAN, NAN, NAN};
    corr3 mean_n = {(c[0].p + c[1].p) / 2, (c[0].k + c[1].k) / 2, (c[0].w + c[1].w) / 2};
    corr3 mean_l = {(c[2].p + c[3].p) / 2, (c[2].k + c[3].k) / 2, (c[2].w + c[3].w) / 2};

    const expect want[] = {
        /* order by s: c(0.6) d(0.9) a b */
        {"caltech", "nleep", 4, 0, {0, 1, 1}, {0.6 / 0.9, 1, 1}, c[0], 3.5, 35},
        /* b and c tie at 3: b (name order) first, its g 0.95 is the max */
        {"flowers", "nleep", 3, 0, {1, 1, 1}, {1, 1, 1}, c[1], 5.5, 55},
        {"mean", "nleep", 7, 0, {0.5, 1, 1}, {(0.6 / 0.9 + 1) / 2, 1, 1}, mean_n, 4.5, 45},
        /* b failed; order a(0.8) d(0.9) c */
        {"caltech", "leep", 3, 1, {0, 1, 1}, {0.8 / 0.9, 1, 1}, c[2], 4.6 / 4, 15},
        /* b: best row (0.9); c: first row (0.4); order b a c */
        {"flowers", "leep", 3, 0, {1, 1, 1}, {1, 1, 1}, c[3], 6.0, 60},
        /* one ranked checkpoint: metrics NaN */
        {"sun", "leep", 1, 0, {NAN, NAN, NAN}, {NAN, NAN, NAN}, nan3, 9.5, 95},
        {"mean", "leep", 7, 1, {0.5, 1, 1}, {(0.8 / 0.9 + 1) / 2, 1, 1}, mean_l, 50.1 / 11,
         50},
    };
    const size_t nwant = sizeof want / sizeof want[0];

    ckr_metric_row *rows = NULL;
    size_t nrows = 0;
    ckr_err err = {0, ""};
    assert_int_equal(ckr_metrics_table(scores, ns, gt, ng, ks, NKS, &rows, &nrows, &err), 0);
    assert_non_null(rows);
    assert_int_equal(nrows, nwant);
    for (size_t i = 0; i < nwant; i++)
        check_row(&rows[i], &want[i]);
    free(rows);
}

/* A non-finite ok score is excluded; the first of several rows decides even
 * when it failed and a later one is ok; a best row wins over an earlier one;
 * of two best rows the first wins. */
static void test_duplicates_and_nan_scores(void **state)
{
    (void)state;
    ckr_score_row s[8];
    ckr_gt_row g[8];
    size_t ns = 0, ng = 0;
    add_score(s, &ns, "a", "t", "m", NAN, "ok", 1, 1, 0);         /* excluded */
    add_score(s, &ns, "b", "t", "m", NAN, "timeout", 1, 1, 0);    /* first: excluded */
    add_score(s, &ns, "b", "t", "m", 0.5, "ok", 1, 1, 0);
    add_score(s, &ns, "c", "t", "m", NAN, "error", 1, 1, 0);
    add_score(s, &ns, "c", "t", "m", 0.1, "ok", 1, 1, 1);         /* best: ranked */
    add_score(s, &ns, "d", "t", "m", 0.2, "ok", 1, 1, 1);         /* two best: first */
    add_score(s, &ns, "d", "t", "m", -5, "ok", 1, 1, 1);
    add_gt(g, &ng, "a", "t", 0.9);
    add_gt(g, &ng, "b", "t", 0.8);
    add_gt(g, &ng, "c", "t", 0.3);
    add_gt(g, &ng, "d", "t", 0.6);
    ckr_metric_row *rows = NULL;
    size_t nrows = 0;
    ckr_err err = {0, ""};
    const int k1[] = {1};
    assert_int_equal(ckr_metrics_table(s, ns, g, ng, k1, 1, &rows, &nrows, &err), 0);
    assert_int_equal(nrows, 2);
    assert_int_equal(rows[0].n_checkpoints, 2);
    assert_int_equal(rows[0].n_excluded, 2);
    /* ranked c (0.1, g 0.3) and d (0.2, g 0.6): perfectly concordant */
    assert_true(rows[0].recall[0] == 1.0);
    assert_close(rows[0].rel[0], 1.0, 1e-15);
    assert_true(rows[0].pearson == 1.0 && rows[0].kendall == 1.0);
    assert_close(rows[0].weighted_kendall, 1.0, 1e-15);
    assert_string_equal(rows[1].task, "mean");
    assert_int_equal(rows[1].n_checkpoints, 2);
    assert_int_equal(rows[1].n_excluded, 2);
    assert_true(rows[1].kendall == 1.0);
    free(rows);
}

static void test_no_seconds_gives_nan(void **state)
{
    (void)state;
    ckr_score_row s[2];
    size_t ns = 0;
    add_score(s, &ns, "a", "t", "m", 1, "ok", NAN, NAN, 0);
    ckr_metric_row *rows = NULL;
    size_t nrows = 0;
    assert_int_equal(ckr_metrics_table(s, ns, NULL, 0, NULL, 0, &rows, &nrows, NULL), 0);
    assert_int_equal(nrows, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(rows[i].n_checkpoints, 0);
        assert_int_equal(rows[i].nk, 0);
        assert_true(isnan(rows[i].mean_seconds) && isnan(rows[i].mean_gflops));
        assert_true(isnan(rows[i].pearson));
    }
    free(rows);
}

static void test_empty_input(void **state)
{
    (void)state;
    static ckr_metric_row dummy;
    ckr_metric_row *rows = &dummy;   /* must be reset */
    size_t nrows = 99;
    const int k1[] = {1};
    assert_int_equal(ckr_metrics_table(NULL, 0, NULL, 0, k1, 1, &rows, &nrows, NULL), 0);
    assert_null(rows);
    assert_int_equal(nrows, 0);
}

static void test_errors(void **state)
{
    (void)state;
    ckr_score_row s[4];
    ckr_gt_row g[4];
    size_t ns = 0, ng = 0;
    add_score(s, &ns, "a", "t", "m", 1, "ok", 1, 1, 0);
    add_score(s, &ns, "b", "t", "m", 2, "ok", 1, 1, 0);
    add_gt(g, &ng, "a", "t", 0.5);
    add_gt(g, &ng, "b", "t", 0.6);
    add_gt(g, &ng, "a", "t", 0.7);   /* conflicts with the first */
    ckr_metric_row *rows = NULL;
    size_t nrows = 0;
    ckr_err err = {0, ""};
    const int good[] = {1, 3}, zero[] = {1, 0};
    const int many[CKR_MAX_K + 1] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

    assert_int_equal(ckr_metrics_table(s, ns, g, ng, good, 2, &rows, &nrows, &err), CKR_EDATA);
    assert_int_equal(err.code, CKR_EDATA);
    assert_non_null(strstr(err.msg, "'a'"));
    assert_null(rows);

    ckr_err_clear(&err);
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, zero, 2, &rows, &nrows, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "k = 0"));
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, many, CKR_MAX_K + 1, &rows, &nrows, &err),
                     CKR_EARG);
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, good, -1, &rows, &nrows, &err), CKR_EARG);
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, NULL, 2, &rows, &nrows, &err), CKR_EARG);
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, good, 2, NULL, &nrows, &err), CKR_EARG);
    assert_int_equal(ckr_metrics_table(NULL, 2, g, 2, good, 2, &rows, &nrows, &err), CKR_EARG);
    assert_null(rows);

    /* the same input without the conflicting row works */
    assert_int_equal(ckr_metrics_table(s, ns, g, 2, good, 2, &rows, &nrows, &err), 0);
    assert_int_equal(nrows, 2);
    assert_int_equal(rows[0].n_checkpoints, 2);
    free(rows);
}

/* ckr_score_row_is_ok: status exactly "ok" and a finite score. */
static void test_score_row_is_ok(void **state)
{
    (void)state;
    ckr_score_row rows[8];
    size_t n = 0;
    add_score(rows, &n, "a", "t", "m", 0.5, "ok", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", -1e300, "ok", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", NAN, "ok", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", INFINITY, "ok", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", 0.5, "okay", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", 0.5, "", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", 0.5, "timeout", 0, 0, 0);
    add_score(rows, &n, "a", "t", "m", -INFINITY, "ok", 0, 0, 0);
    static const int want[8] = { 1, 1, 0, 0, 0, 0, 0, 0 };
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ckr_score_row_is_ok(&rows[i]), want[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_table),
        cmocka_unit_test(test_duplicates_and_nan_scores),
        cmocka_unit_test(test_no_seconds_gives_nan),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_score_row_is_ok),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
