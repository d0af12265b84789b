/* test_nce.c -- NCE against METHODS.md's worked example, LEEP with a one-hot
 * source posterior, and tests/ref_scores.py (numpy) on random logits, plus
 * the edge cases. */
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

/* logits with the given argmax per row (0 there, -800 elsewhere: the
 * softmax is exactly one-hot) */
static dataset onehot(size_t n, size_t z, int C, const int *zi, const int *y)
{
    dataset ds = ds_new(n, 1, C, CKR_MULTICLASS);
    ds.z = z;
    ds.L = malloc(n * z * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        ds.y[i] = y[i];
        for (size_t j = 0; j < z; j++)
            ds.L[i * z + j] = (int)j == zi[i] ? 0.0 : -800.0;
    }
    return ds;
}

static void random_logits(dataset *ds, ckr_rng *rng, size_t z, double scale)
{
    ds->z = z;
    free(ds->L);
    ds->L = malloc(ds->n * z * sizeof(double));
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = 0; j < z; j++)
            ds->L[i * z + j] =
                scale * (ckr_rng_normal(rng) + 2.0 * ((int)(j % (size_t)ds->C) == ds->y[i]));
}

/* METHODS.md section 2: z = [0,0,1,1,1], y = [0,0,0,1,1] => -(0.2 ln 3 + 0.4 ln 1.5) */
static void test_worked_example(void **state)
{
    (void)state;
    int z[] = { 0, 0, 1, 1, 1 }, y[] = { 0, 0, 0, 1, 1 };
    dataset ds = onehot(5, 2, 2, z, y);
    ckr_result r = run_spec("nce", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -0.3819085010, 1e-9);
    assert_close(r.score, -(0.2 * log(3.0) + 0.4 * log(1.5)), 1e-14);
    ds_free(&ds);
}

/* ties go to the lowest index: rows [1, 1] count as z = 0 */
static void test_argmax_ties(void **state)
{
    (void)state;
    dataset ds = ds_new(4, 1, 2, CKR_MULTICLASS);
    ds.z = 2;
    ds.L = malloc(8 * sizeof(double));
    double L[] = { 1, 1, 1, 1, 0, 2, 0, 2 };
    int y[] = { 0, 1, 1, 1 };
    memcpy(ds.L, L, sizeof L);
    memcpy(ds.y, y, sizeof y);
    /* z = [0, 0, 1, 1]: P(0|z0) = P(1|z0) = 1/2, P(1|z1) = 1 => NCE = 0.5 log 0.5 */
    assert_close(run_spec("nce", &ds, NULL).score, 0.5 * log(0.5), 1e-14);
    check_vs_numpy("nce", "", &ds, 1e-12);
    ds_free(&ds);
}

/* NCE is LEEP with a one-hot source posterior (multiclass and multilabel) */
static void test_equals_onehot_leep(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 31);
    for (int ml = 0; ml < 2; ml++) {
        dataset ds = ds_new(200, 1, 4, ml ? CKR_MULTILABEL : CKR_MULTICLASS);
        ds_random(&ds, &rng, 1.0);
        ds.z = 7;
        ds.L = malloc(200 * 7 * sizeof(double));
        for (size_t i = 0; i < 200; i++) {
            size_t zi = ckr_rng_below(&rng, 7);
            for (size_t j = 0; j < 7; j++)
                ds.L[i * 7 + j] = j == zi ? 0.0 : -800.0;
        }
        ckr_result a = run_spec("nce", &ds, NULL), b = run_spec("leep", &ds, NULL);
        assert_string_equal(a.status, "ok");
        assert_string_equal(b.status, "ok");
        assert_close(a.score, b.score, 1e-12);
        ds_free(&ds);
    }
}

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 32);
    double scales[] = { 1.0, 1e-6, 1e6 };
    for (size_t s = 0; s < 3; s++) {
        dataset ds = ds_new(500, 1, 6, CKR_MULTICLASS);
        ds_random(&ds, &rng, 1.0);
        random_logits(&ds, &rng, 30, scales[s]);
        check_vs_numpy("nce", "", &ds, 1e-10);
        ckr_result r = run_spec("nce", &ds, NULL);
        assert_true(r.score <= 0.0 && r.score >= -log(6.0));
        ds_free(&ds);
    }
    /* absent classes, a class with one sample, many unused source classes */
    dataset ds = ds_new(300, 1, 9, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] % 3 == 0 ? 1 : ds.y[i];
    ds.y[5] = 0;
    random_logits(&ds, &rng, 1000, 1.0);
    check_vs_numpy("nce", "", &ds, 1e-10);
    double fl = 0;
    run_spec("nce", &ds, &fl);
    assert_true(fl >= 300.0 * 999);
    ds_free(&ds);
}

/* multilabel: one instance per (sample, positive label) */
static void test_numpy_multilabel(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 33);
    dataset ds = ds_new(250, 1, 5, CKR_MULTILABEL);
    ds_random(&ds, &rng, 1.0);
    random_logits(&ds, &rng, 12, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.Y[i * 5 + 3] = 0;
    check_vs_numpy("nce", "", &ds, 1e-10);
    ds_free(&ds);
}

static void test_edge_statuses(void **state)
{
    (void)state;
    int z[] = { 0, 0, 1, 1, 1 }, y[] = { 0, 0, 0, 1, 1 };
    dataset ds = onehot(5, 2, 2, z, y);
    free(ds.L);
    ds.L = NULL;
    ds.z = 0;
    ckr_result r = run_spec("nce", &ds, NULL);
    assert_string_equal(r.status, "needs-logits");
    assert_true(isnan(r.score));
    ds_free(&ds);

    int y1[] = { 1, 1, 1, 1, 1 };
    ds = onehot(5, 2, 2, z, y1);
    assert_string_equal(run_spec("nce", &ds, NULL).status, "bad-data");
    ds.y[2] = 7;
    assert_string_equal(run_spec("nce", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    ds = onehot(5, 2, 2, z, y);
    ds.L[3] = NAN;
    assert_string_equal(run_spec("nce", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    /* one source class only: Z carries no information, NCE = -H(Y) */
    int z0[] = { 0, 0, 0, 0, 0 };
    ds = onehot(5, 1, 2, z0, y);
    r = run_spec("nce", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.6 * log(0.6) + 0.4 * log(0.4), 1e-14);
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_argmax_ties),
        cmocka_unit_test(test_equals_onehot_leep),
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_numpy_multilabel),
        cmocka_unit_test(test_edge_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
