/* test_gbc.c -- GBC against METHODS.md's worked examples (re-checked with
 * numpy) and tests/ref_scores.py (scikit-learn PCA + the stable_transfer
 * formulas in numpy) on random data, plus the edge cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "util/flops.h"
#include "testutil.h"

/* ---- a data set, its text form for ref_scores.py, the two scorers ------ */

typedef struct dataset {
    size_t n, d, z;
    int C, kind;
    double *F, *L;
    int *y;
    uint8_t *Y;
} dataset;

static dataset ds_new(size_t n, size_t d, int C, int kind)
{
    dataset ds = { n, d, 0, C, kind, calloc(n * d, sizeof(double)), NULL,
                   calloc(n, sizeof(int)), calloc(n * (size_t)C, 1) };
    return ds;
}

static void ds_free(dataset *ds)
{
    free(ds->F);
    free(ds->L);
    free(ds->y);
    free(ds->Y);
}

/* class-dependent Gaussian features: f = scale * (N(0,1) + 1.5 * [j % C == y]) */
static void ds_random(dataset *ds, ckr_rng *rng, double scale)
{
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->kind == CKR_MULTILABEL) {
            for (int c = 0; c < ds->C; c++)
                ds->Y[i * (size_t)ds->C + (size_t)c] = ckr_rng_uniform(rng) < 0.3;
            ds->y[i] = (int)ckr_rng_below(rng, (uint64_t)ds->C);
        } else {
            ds->y[i] = (int)ckr_rng_below(rng, (uint64_t)ds->C);
        }
        for (size_t j = 0; j < ds->d; j++) {
            int hot = ds->kind == CKR_MULTILABEL ? ds->Y[i * (size_t)ds->C + j % (size_t)ds->C]
                                                 : (int)(j % (size_t)ds->C) == ds->y[i];
            ds->F[i * ds->d + j] = scale * (ckr_rng_normal(rng) + 1.5 * hot);
        }
    }
}

static void ds_write(const dataset *ds, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "%zu %zu %d %d %zu\n", ds->n, ds->d, ds->C, ds->kind, ds->z);
    for (size_t i = 0; i < ds->n; i++) {
        if (ds->kind == CKR_MULTILABEL)
            for (int c = 0; c < ds->C; c++)
                fprintf(f, "%d ", ds->Y[i * (size_t)ds->C + (size_t)c]);
        else
            fprintf(f, "%d ", ds->y[i]);
        for (size_t j = 0; j < ds->d; j++)
            fprintf(f, " %.17g", ds->F[i * ds->d + j]);
        for (size_t j = 0; j < ds->z; j++)
            fprintf(f, " %.17g", ds->L[i * ds->z + j]);
        fprintf(f, "\n");
    }
    fclose(f);
}

/* numpy reference; returns the value, or NaN with the status word in st */
static double ref_score(const char *method, const dataset *ds, const char *args, char *st)
{
    static int seq;
    char path[400], cmd[2048], line[420];
    snprintf(path, sizeof path, "%s/%s%d.txt", ckr_test_tmpdir(), method, seq++);
    ds_write(ds, path);
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_scores.py %s %s %s > %s.out", method, path,
             args ? args : "", path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    snprintf(line, sizeof line, "%s.out", path);
    FILE *f = fopen(line, "r");
    assert_non_null(f);
    char out[256];
    assert_non_null(fgets(out, sizeof out, f));
    fclose(f);
    remove(line);
    remove(path);
    memcpy(line, out, sizeof out);
    if (st)
        st[0] = '\0';
    if (strncmp(line, "status:", 7) == 0) {
        if (st)
            snprintf(st, 32, "%.*s", (int)strcspn(line + 7, "\n"), line + 7);
        return NAN;
    }
    return strtod(line, NULL);
}

static ckr_result run_spec(const char *spec, const dataset *ds, double *flops)
{
    ckr_spec s;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(spec, &s, &err) != 0)
        fail_msg("spec %s: %s", spec, err.msg);
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.kind = (ckr_task_kind)ds->kind;
    pair.num_classes = ds->C;
    pair.train.n = ds->n;
    pair.train.y = ds->kind == CKR_MULTILABEL ? NULL : ds->y;
    pair.train.Y = ds->kind == CKR_MULTILABEL ? ds->Y : NULL;
    pair.train_features = (ckr_matrix){ ds->n, ds->d, ds->F };
    pair.train_logits = (ckr_matrix){ ds->n, ds->z, ds->L };
    ckr_rng rng;
    ckr_rng_seed(&rng, 7);
    ckr_result r;
    memset(&r, 0, sizeof r);
    ckr_flops_reset();
    int rc = s.method->score(&pair, &s.params, &rng, &r);
    if (flops)
        *flops = ckr_flops_get();
    /* the return code and the status agree */
    if ((rc == 0) != (strcmp(r.status, "ok") == 0))
        fail_msg("%s: rc %d but status %s", spec, rc, r.status);
    if (rc == 0 && !isfinite(r.score))
        fail_msg("%s: ok with a non-finite score", spec);
    return r;
}

/* C against numpy with the same parameters (spec "name:k=v,..." <-> args "k=v ...") */
static void check_vs_numpy(const char *spec, const char *args, const dataset *ds, double tol)
{
    char st[32], method[64];
    snprintf(method, sizeof method, "%.*s", (int)strcspn(spec, ":"), spec);
    double ref = ref_score(method, ds, args, st);
    ckr_result r = run_spec(spec, ds, NULL);
    if (isnan(ref) && st[0]) {
        assert_string_equal(r.status, st);
        return;
    }
    if (!isfinite(ref)) { /* the reference breaks down (log 0): we must say so */
        assert_string_equal(r.status, "numerical-error");
        return;
    }
    if (strcmp(r.status, "ok") != 0)
        fail_msg("%s: status %s (%s), numpy %.17g", spec, r.status, r.message, ref);
    assert_close(r.score, ref, tol);
}

static const double toyF[] = { 1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5 };
static const int toyy[] = { 0, 0, 0, 1, 1, 1 };

static dataset toy(void)
{
    dataset ds = ds_new(6, 2, 2, CKR_MULTICLASS);
    memcpy(ds.F, toyF, sizeof toyF);
    memcpy(ds.y, toyy, sizeof toyy);
    return ds;
}

static void test_worked_examples(void **state)
{
    (void)state;
    /* 1-D classes {1,2} and {3,4}: variances 0.25, D_B = 2, GBC = -2 e^-2 */
    dataset one = ds_new(4, 1, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < 4; i++) {
        one.F[i] = (double)(i + 1);
        one.y[i] = i >= 2;
    }
    const char *specs1[] = { "gbc", "gbc:pca=0", "gbc:cov=diag", "gbc:logdet=google" };
    for (size_t s = 0; s < 4; s++) {
        ckr_result r = run_spec(specs1[s], &one, NULL);
        assert_string_equal(r.status, "ok");
        assert_close(r.score, -2.0 * exp(-2.0), 1e-12);
        assert_close(r.score, -0.270670566, 1e-9);
    }
    ds_free(&one);
    /* toy F, y of section 7 without PCA */
    dataset ds = toy();
    assert_close(run_spec("gbc:pca=0,cov=diag", &ds, NULL).score, -1.406690635, 1e-9);
    assert_close(run_spec("gbc:pca=0,logdet=google", &ds, NULL).score, -1.649619947, 1e-9);
    assert_close(run_spec("gbc:pca=0", &ds, NULL).score, -1.464003776, 1e-9);
    /* spherical GBC is rotation-invariant: a full-rank PCA changes nothing */
    assert_close(run_spec("gbc", &ds, NULL).score, -1.464003776, 1e-9);
    ds_free(&ds);
}

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 51);
    /* N > D: covariance path, PCA to 64 of 100 */
    dataset ds = ds_new(300, 100, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    check_vs_numpy("gbc", "", &ds, 1e-8);
    check_vs_numpy("gbc:cov=diag", "cov=diag", &ds, 1e-8);
    check_vs_numpy("gbc:pca=10,logdet=google", "pca=10 logdet=google", &ds, 1e-8);
    check_vs_numpy("gbc:pca=0,cov=diag", "pca=0 cov=diag", &ds, 1e-8);
    ckr_result r = run_spec("gbc", &ds, NULL);
    assert_true(r.score <= 0.0 && r.score > -20.0);
    assert_non_null(strstr(r.info, "d=64"));
    double fl = 0;
    run_spec("gbc", &ds, &fl);
    assert_true(fl >= 300.0 * 100 * 101);
    ds_free(&ds);
    /* N < D: kernel path, d = min(64, D, N) = 50 */
    ds = ds_new(50, 120, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    check_vs_numpy("gbc", "", &ds, 1e-8);
    check_vs_numpy("gbc:cov=diag,pca=20", "cov=diag pca=20", &ds, 1e-8);
    assert_non_null(strstr(run_spec("gbc", &ds, NULL).info, "d=50"));
    ds_free(&ds);
}

/* the variance floor is absolute: tiny features collapse every class onto
 * the floor (GBC -> -C(C-1)); large ones are fine */
static void test_numpy_scales(void **state)
{
    (void)state;
    double scales[] = { 1e-8, 1e8 };
    for (size_t s = 0; s < 2; s++) {
        ckr_rng rng;
        ckr_rng_seed(&rng, 52);
        dataset ds = ds_new(200, 20, 4, CKR_MULTICLASS);
        ds_random(&ds, &rng, scales[s]);
        check_vs_numpy("gbc", "", &ds, 1e-8);
        check_vs_numpy("gbc:cov=diag", "cov=diag", &ds, 1e-8);
        if (s == 0)
            assert_close(run_spec("gbc", &ds, NULL).score, -12.0, 1e-6);
        ds_free(&ds);
    }
    /* far above the floor GBC is scale-invariant */
    ckr_rng rng;
    ckr_rng_seed(&rng, 54);
    dataset a = ds_new(200, 20, 4, CKR_MULTICLASS), b = ds_new(200, 20, 4, CKR_MULTICLASS);
    ds_random(&a, &rng, 1e3);
    memcpy(b.y, a.y, 200 * sizeof(int));
    for (size_t i = 0; i < 200 * 20; i++)
        b.F[i] = a.F[i] * 1e100;
    for (int diag = 0; diag < 2; diag++) {
        const char *spec = diag ? "gbc:cov=diag,pca=12" : "gbc:pca=12";
        ckr_result ra = run_spec(spec, &a, NULL), rb = run_spec(spec, &b, NULL);
        assert_string_equal(rb.status, "ok");
        assert_close(rb.score, ra.score, 1e-9);
    }
    ds_free(&a);
    ds_free(&b);
}

/* constant, duplicated, zero columns; absent classes; a one-sample class */
static void test_numpy_edge_data(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 53);
    dataset ds = ds_new(150, 12, 6, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.F[i * 12 + 3] = 2.5;
        ds.F[i * 12 + 7] = ds.F[i * 12 + 1];
        ds.F[i * 12 + 9] = 0.0;
        ds.y[i] = ds.y[i] == 2 || ds.y[i] == 5 ? 0 : ds.y[i];
    }
    ds.y[11] = 5;
    check_vs_numpy("gbc:pca=8", "pca=8", &ds, 1e-8);
    check_vs_numpy("gbc:pca=8,cov=diag", "pca=8 cov=diag", &ds, 1e-8);
    check_vs_numpy("gbc:pca=0,cov=diag", "pca=0 cov=diag", &ds, 1e-8);
    check_vs_numpy("gbc:pca=0", "pca=0", &ds, 1e-8);
    assert_non_null(strstr(run_spec("gbc", &ds, NULL).info, "classes=5"));
    ds_free(&ds);
}

static void test_edge_statuses(void **state)
{
    (void)state;
    dataset ds = toy();
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 0;
    ckr_result r = run_spec("gbc", &ds, NULL);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    ds_free(&ds);

    ds = ds_new(6, 2, 2, CKR_MULTILABEL);
    memcpy(ds.F, toyF, sizeof toyF);
    ds.Y[0] = ds.Y[3] = 1;
    assert_string_equal(run_spec("gbc", &ds, NULL).status, "unsupported-multilabel");
    ds_free(&ds);

    ds = toy();
    ds.F[4] = -INFINITY;
    assert_string_equal(run_spec("gbc", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    /* identical classes: every coefficient is 1, GBC = -C(C-1) = -2 */
    ds = toy();
    for (size_t i = 0; i < 12; i++)
        ds.F[i] = 1.0;
    r = run_spec("gbc", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -2.0, 1e-12);
    ds_free(&ds);

    /* huge features: the PCA Gram overflows -> a status, not a crash */
    ds = toy();
    for (size_t i = 0; i < 12; i++)
        ds.F[i] *= 1e200;
    r = run_spec("gbc", &ds, NULL);
    assert_true(strcmp(r.status, "ok") != 0 || isfinite(r.score));
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_examples),
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_numpy_scales),
        cmocka_unit_test(test_numpy_edge_data),
        cmocka_unit_test(test_edge_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
