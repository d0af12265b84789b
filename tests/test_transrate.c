/* test_transrate.c -- TransRate against METHODS.md's worked example
 * (re-checked with numpy) and tests/ref_scores.py (numpy slogdet on the
 * D x D matrices) on random data, plus the edge cases. */
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

/* METHODS.md section 9, TLlib semantics: 0.187271096 (numpy agrees); the
 * canonical form (unit rows, n_c/N weights) of the same data: numpy value */
static void test_worked_example(void **state)
{
    (void)state;
    dataset ds = toy(1.0);
    ckr_result r = run_spec("transrate:variant=tllib", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.187271096, 1e-9);
    assert_non_null(strstr(r.info, "R(Z)=9.08636"));
    r = run_spec("transrate", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.1430851336326615, 1e-12);
    check_vs_numpy("transrate", "", &ds, 1e-12);
    ds_free(&ds);
}

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 41);
    /* N > D with unbalanced classes: class sizes on both sides of D, so both
     * the D x D Gram and the n_c x n_c kernel forms are used */
    dataset ds = ds_new(300, 40, 4, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = i < 200 ? 0 : i < 260 ? 1 : i < 290 ? 2 : 3;
    check_vs_numpy("transrate", "", &ds, 1e-8);
    check_vs_numpy("transrate:variant=tllib", "variant=tllib", &ds, 1e-8);
    check_vs_numpy("transrate:eps2=0.01", "eps2=0.01", &ds, 1e-8);
    double fl = 0;
    run_spec("transrate", &ds, &fl);
    assert_true(fl >= 300.0 * 40 * 41);
    ds_free(&ds);
    /* N < D */
    ds = ds_new(30, 50, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    check_vs_numpy("transrate", "", &ds, 1e-8);
    check_vs_numpy("transrate:variant=tllib", "variant=tllib", &ds, 1e-8);
    ds_free(&ds);
}

/* canonical: row normalisation makes it scale-invariant, even where the
 * Gram of the raw features would overflow; tllib at moderate scales */
static void test_scales(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 42);
    dataset ds = ds_new(100, 8, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    double base = run_spec("transrate", &ds, NULL).score;
    double scales[] = { 1e-300, 1e-8, 1e8, 1e300 };
    for (size_t s = 0; s < 4; s++) {
        dataset sc = ds_new(100, 8, 3, CKR_MULTICLASS);
        memcpy(sc.y, ds.y, 100 * sizeof(int));
        for (size_t i = 0; i < 800; i++)
            sc.F[i] = scales[s] * ds.F[i];
        ckr_result r = run_spec("transrate", &sc, NULL);
        assert_string_equal(r.status, "ok");
        assert_close(r.score, base, 1e-10);
        if (s == 1 || s == 2)
            check_vs_numpy("transrate:variant=tllib", "variant=tllib", &sc, 1e-8);
        ds_free(&sc);
    }
    ds_free(&ds);
}

/* constant, duplicated and zero columns; a class with one sample; absent
 * classes; a row equal to the mean (stays a zero row) */
static void test_numpy_edge_data(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 43);
    dataset ds = ds_new(120, 10, 6, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.F[i * 10 + 3] = 2.5;
        ds.F[i * 10 + 7] = ds.F[i * 10 + 1];
        ds.F[i * 10 + 9] = 0.0;
        ds.y[i] = ds.y[i] == 2 || ds.y[i] == 5 ? 0 : ds.y[i];
    }
    ds.y[11] = 5;
    check_vs_numpy("transrate", "", &ds, 1e-8);
    check_vs_numpy("transrate:variant=tllib", "variant=tllib", &ds, 1e-8);
    ds_free(&ds);

    /* rows a, -a, 0 (repeated with labels): the mean is 0, so row 0 is 0 */
    ds = ds_new(9, 3, 3, CKR_MULTICLASS);
    double base[3][3] = { { 1, 2, 0.5 }, { -1, -2, -0.5 }, { 0, 0, 0 } };
    for (size_t i = 0; i < 9; i++) {
        ds.y[i] = (int)(i % 3);
        for (size_t j = 0; j < 3; j++)
            ds.F[i * 3 + j] = base[i / 3][j] * (double)(1 << (i % 3)); /* exact mean 0 */
    }
    check_vs_numpy("transrate", "", &ds, 1e-8);
    ds_free(&ds);
}

static void test_edge_statuses(void **state)
{
    (void)state;
    dataset ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 1;
    ckr_result r = run_spec("transrate", &ds, NULL);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    ds_free(&ds);

    ds = ds_new(6, 2, 2, CKR_MULTILABEL);
    memcpy(ds.F, toyF, sizeof toyF);
    ds.Y[0] = ds.Y[3] = 1;
    assert_string_equal(run_spec("transrate", &ds, NULL).status, "unsupported-multilabel");
    ds_free(&ds);

    ds = toy(1.0);
    ds.F[0] = NAN;
    assert_string_equal(run_spec("transrate", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    /* tllib form without row normalisation: the Gram overflows */
    ds = toy(1e200);
    r = run_spec("transrate:variant=tllib", &ds, NULL);
    assert_string_equal(r.status, "numerical-error");
    ds_free(&ds);

    /* constant features: every coding rate is 0 */
    ds = toy(1.0);
    for (size_t i = 0; i < 12; i++)
        ds.F[i] = 4.0;
    r = run_spec("transrate", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.0, 1e-15);
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_scales),
        cmocka_unit_test(test_numpy_edge_data),
        cmocka_unit_test(test_edge_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
