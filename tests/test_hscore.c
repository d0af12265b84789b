/* test_hscore.c -- H-score and shrinkage H-score against METHODS.md's worked
 * examples (re-checked with numpy) and against tests/ref_scores.py (numpy
 * pinv / np.cov and scikit-learn's LedoitWolf, the TLlib formulas) on random
 * data, plus the edge cases. */
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

/* ---- METHODS.md section 8 worked examples ------------------------------- */

static const double toyF[] = { 1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5 };
static const int toyy[] = { 0, 0, 0, 1, 1, 1 };

static dataset toy(double scale)
{
    dataset ds = ds_new(6, 2, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < 6; i++) {
        ds.y[i] = toyy[i];
        for (size_t j = 0; j < 2; j++)
            ds.F[i * 2 + j] = scale * toyF[i * 2 + j];
    }
    return ds;
}

static void test_worked_examples(void **state)
{
    (void)state;
    dataset one = ds_new(4, 1, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < 4; i++) {
        one.F[i] = (double)(i + 1);
        one.y[i] = i >= 2;
    }
    ckr_result r = run_spec("hscore", &one, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.8, 1e-12);
    /* D = 1: scikit-learn's shrinkage is 0, Sigma_0 = the ddof-0 variance,
     * cov_g keeps ddof 1: H_0 = H * N / (N - 1) */
    r = run_spec("hscore_shrink", &one, NULL);
    assert_close(r.score, 0.8 * 4.0 / 3.0, 1e-12);
    check_vs_numpy("hscore_shrink", "", &one, 1e-12);
    ds_free(&one);

    dataset ds = toy(1.0);
    r = run_spec("hscore", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.683728981, 1e-9);
    r = run_spec("hscore_shrink", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.105277232, 1e-9);
    assert_non_null(strstr(r.info, "shrinkage=0.575104"));
    ds_free(&ds);
}

/* both are invariant to the feature scale, even where the Gram of the raw
 * features would overflow or underflow */
static void test_scale_invariance(void **state)
{
    (void)state;
    const char *specs[] = { "hscore", "hscore_shrink" };
    for (size_t m = 0; m < 2; m++) {
        dataset ds = toy(1.0);
        double base = run_spec(specs[m], &ds, NULL).score;
        ds_free(&ds);
        double scales[] = { 1e-150, 1e-8, 1e8, 1e150 };
        for (size_t s = 0; s < 4; s++) {
            ds = toy(scales[s]);
            ckr_result r = run_spec(specs[m], &ds, NULL);
            assert_string_equal(r.status, "ok");
            assert_close(r.score, base, 1e-10);
            ds_free(&ds);
        }
    }
}

/* ---- against numpy / scikit-learn on random data --------------------------- */

static void both_vs_numpy(const dataset *ds, double tol)
{
    check_vs_numpy("hscore", "", ds, tol);
    check_vs_numpy("hscore_shrink", "", ds, tol);
}

static void test_numpy_gram_path(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 21);
    dataset ds = ds_new(300, 20, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    both_vs_numpy(&ds, 1e-8);
    check_vs_numpy("hscore:rcond=1e-3", "rcond=1e-3", &ds, 1e-8);
    /* 0 <= H <= C - 1 */
    ckr_result r = run_spec("hscore", &ds, NULL);
    assert_true(r.score > 0.0 && r.score <= 4.0);
    double fl = 0;
    run_spec("hscore", &ds, &fl);
    assert_true(fl >= 300.0 * 20 * 21);
    assert_true(fl < 1e9);
    ds_free(&ds);
}

/* N <= D: the kernel path; cov_f is singular (rank N - 1) */
static void test_numpy_kernel_path(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 22);
    size_t shapes[][2] = { { 40, 60 }, { 30, 30 }, { 12, 200 } };
    for (size_t s = 0; s < 3; s++) {
        dataset ds = ds_new(shapes[s][0], shapes[s][1], 4, CKR_MULTICLASS);
        ds_random(&ds, &rng, 1.0);
        both_vs_numpy(&ds, 1e-8);
        ds_free(&ds);
    }
}

static void test_numpy_scales(void **state)
{
    (void)state;
    double scales[] = { 1e8, 1e-8 };
    for (size_t s = 0; s < 2; s++) {
        ckr_rng rng;
        ckr_rng_seed(&rng, 23);
        dataset ds = ds_new(200, 10, 3, CKR_MULTICLASS);
        ds_random(&ds, &rng, scales[s]);
        for (size_t i = 0; i < ds.n * ds.d; i++)
            ds.F[i] += 1e3 * scales[s]; /* a large common offset: centring must be accurate */
        both_vs_numpy(&ds, 1e-8);
        ds_free(&ds);
    }
}

static void test_numpy_absent_and_singleton_class(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 24);
    dataset ds = ds_new(150, 8, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] == 1 || ds.y[i] == 4 ? 0 : ds.y[i];
    ds.y[17] = 4;
    both_vs_numpy(&ds, 1e-8);
    assert_non_null(strstr(run_spec("hscore", &ds, NULL).info, "targets=4"));
    ds_free(&ds);
}

/* multilabel: mean of the per-label binary H-scores; labels positive for no
 * sample or for every sample are left out */
static void test_numpy_multilabel(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 25);
    dataset ds = ds_new(200, 15, 5, CKR_MULTILABEL);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.Y[i * 5 + 2] = 0;
        ds.Y[i * 5 + 4] = 1;
    }
    both_vs_numpy(&ds, 1e-8);
    assert_non_null(strstr(run_spec("hscore", &ds, NULL).info, "targets=3"));
    dataset small = ds_new(10, 30, 3, CKR_MULTILABEL); /* kernel path */
    ds_random(&small, &rng, 1.0);
    small.Y[0] = 1;
    small.Y[3] = 0;
    both_vs_numpy(&small, 1e-8);
    ds_free(&small);
    ds_free(&ds);
}

/* constant, duplicated, zero and linearly dependent columns: singular cov_f */
static void test_numpy_rank_deficient(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 26);
    dataset ds = ds_new(120, 12, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.F[i * 12 + 3] = 2.5;
        ds.F[i * 12 + 7] = ds.F[i * 12 + 1];
        ds.F[i * 12 + 9] = 0.0;
        ds.F[i * 12 + 10] = ds.F[i * 12 + 2] - 2.0 * ds.F[i * 12 + 5];
    }
    both_vs_numpy(&ds, 1e-8);
    ckr_result r = run_spec("hscore", &ds, NULL);
    assert_non_null(strstr(r.info, "kept=8/12"));
    ds_free(&ds);
}

/* ---- failures are statuses, never crashes --------------------------------- */

static void test_edge_statuses(void **state)
{
    (void)state;
    const char *specs[] = { "hscore", "hscore_shrink" };
    for (size_t m = 0; m < 2; m++) {
        dataset ds = toy(1.0);
        for (size_t i = 0; i < 6; i++)
            ds.y[i] = 0;
        assert_string_equal(run_spec(specs[m], &ds, NULL).status, "bad-data");
        ds_free(&ds);

        /* constant features: no variance, nothing to explain: H = 0 */
        ds = toy(1.0);
        for (size_t i = 0; i < 12; i++)
            ds.F[i] = 3.0;
        ckr_result r = run_spec(specs[m], &ds, NULL);
        assert_string_equal(r.status, "ok");
        assert_close(r.score, 0.0, 1e-12);
        ds_free(&ds);

        ds = toy(1.0);
        ds.F[5] = INFINITY;
        assert_string_equal(run_spec(specs[m], &ds, NULL).status, "bad-data");
        ds_free(&ds);

        /* one sample */
        ds = toy(1.0);
        ds.n = 1;
        assert_string_equal(run_spec(specs[m], &ds, NULL).status, "bad-data");
        ds_free(&ds);

        /* multilabel where every label is everywhere or nowhere */
        ds = ds_new(6, 2, 2, CKR_MULTILABEL);
        memcpy(ds.F, toyF, sizeof toyF);
        for (size_t i = 0; i < 6; i++)
            ds.Y[i * 2] = 1;
        assert_string_equal(run_spec(specs[m], &ds, NULL).status, "bad-data");
        ds_free(&ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_examples),
        cmocka_unit_test(test_scale_invariance),
        cmocka_unit_test(test_numpy_gram_path),
        cmocka_unit_test(test_numpy_kernel_path),
        cmocka_unit_test(test_numpy_scales),
        cmocka_unit_test(test_numpy_absent_and_singleton_class),
        cmocka_unit_test(test_numpy_multilabel),
        cmocka_unit_test(test_numpy_rank_deficient),
        cmocka_unit_test(test_edge_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
