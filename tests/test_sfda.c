/* test_sfda.c -- SFDA against tests/ref_sfda_parc.py (a numpy/scipy
 * re-implementation of TencentARC/SFDA's SFDA_Score, scipy.linalg.eigh for
 * the generalized eigenproblem) at 1e-8 relative: random data, iris,
 * real-like ReLU features with dead units and N < D; and the edge cases. */
#include "scoretest.h" /* cmocka, dataset, run_spec */
#include "refsp.h"

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 121);
    dataset ds = ds_new(300, 20, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refsp_check("sfda", "", &ds, 1e-8);
    assert_true(r.score > 0.0 && r.score <= 1.0);
    assert_non_null(strstr(r.info, "(adaptive)"));
    assert_non_null(strstr(r.info, "classes=5"));
    refsp_check("sfda:shrinkage=0.1", "shrinkage=0.1", &ds, 1e-8);
    refsp_check("sfda:shrinkage=0", "shrinkage=0", &ds, 1e-8);
    refsp_check("sfda:power_iters=7", "power_iters=7", &ds, 1e-8);
    /* small features: lambda_max(S_w) < 1, the shrinkage is far above 1e-10 */
    for (size_t i = 0; i < 300 * 20; i++)
        ds.F[i] *= 0.05;
    r = refsp_check("sfda", "", &ds, 1e-8);
    assert_null(strstr(r.info, "shrinkage=1e-10"));
    double fl = 0.0;
    run_spec("sfda", &ds, &fl);
    assert_true(fl >= 2.0 * 300.0 * 20 * 20);
    ds_free(&ds);
}

static void test_numpy_iris(void **state)
{
    (void)state;
    dataset ds = refsp_iris();
    ckr_result r = refsp_check("sfda", "", &ds, 1e-8);
    /* iris is nearly separable by LDA */
    assert_true(r.score > 0.8 && r.score <= 1.0);
    refsp_check("sfda:shrinkage=0.5", "shrinkage=0.5", &ds, 1e-8);
    ds_free(&ds);
}

/* ReLU features with dead units: S_w is singular, only the shrinkage makes
 * the generalized eigenproblem definite */
static void test_numpy_real_like(void **state)
{
    (void)state;
    dataset ds = refsp_relu(400, 64, 6, 4, 122);
    refsp_check("sfda", "", &ds, 1e-8);
    refsp_check("sfda:shrinkage=0.01", "shrinkage=0.01", &ds, 1e-8);
    /* larger activations: lambda_max(S_w) >> 1, the shrinkage at its 1e-10 floor */
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 10.0;
    ckr_result r0 = refsp_check("sfda", "", &ds, 1e-8);
    assert_non_null(strstr(r0.info, "shrinkage=1e-10(adaptive)"));
    ds_free(&ds);
    /* N < D: rank(S_w) <= N - C */
    ds = refsp_relu(60, 150, 4, 5, 123);
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 0.1; /* lambda_max < 1: a shrinkage the problem can bear */
    ckr_result r = refsp_check("sfda", "", &ds, 1e-8);
    assert_true(r.score > 0.0 && r.score <= 1.0);
    refsp_check("sfda:shrinkage=0.2", "shrinkage=0.2", &ds, 1e-8);
    ds_free(&ds);
}

static void test_edge_cases(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 124);
    /* C = 2 */
    dataset ds = ds_new(80, 6, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    refsp_check("sfda", "", &ds, 1e-8);
    /* a one-sample class and an absent class (labels 0, 1, 3 of 4) */
    ds_free(&ds);
    ds = ds_new(90, 6, 4, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] >= 2 ? 1 : ds.y[i];
    ds.y[17] = 3;
    ckr_result r = refsp_check("sfda", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "classes=3"));
    /* a constant column among varying ones */
    for (size_t i = 0; i < ds.n; i++)
        ds.F[i * 6 + 2] = 4.0;
    refsp_check("sfda", "", &ds, 1e-8);
    /* all features constant: the within-class scatter is 0 */
    for (size_t i = 0; i < ds.n * 6; i++)
        ds.F[i] = 1.5;
    r = refsp_check("sfda", "", &ds, 1e-8);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    ds_free(&ds);
    /* one class */
    ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 1;
    assert_string_equal(run_spec("sfda", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    /* every class of one sample: S_w = 0 */
    ds = ds_new(3, 2, 3, CKR_MULTICLASS);
    for (size_t i = 0; i < 3; i++) {
        ds.y[i] = (int)i;
        ds.F[2 * i] = (double)i;
        ds.F[2 * i + 1] = 1.0 / (1.0 + (double)i);
    }
    assert_string_equal(run_spec("sfda", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    /* N < D with a two-sample class */
    ds = ds_new(5, 12, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 0.2);
    ds.y[0] = 0;
    ds.y[1] = 1;
    r = refsp_check("sfda", "", &ds, 1e-8);
    ds_free(&ds);
    /* multilabel, NaN */
    ds = ds_new(6, 2, 2, CKR_MULTILABEL);
    memcpy(ds.F, toyF, sizeof toyF);
    ds.Y[0] = ds.Y[3] = 1;
    assert_string_equal(run_spec("sfda", &ds, NULL).status, "unsupported-multilabel");
    ds_free(&ds);
    ds = toy(1.0);
    ds.F[3] = NAN;
    assert_string_equal(run_spec("sfda", &ds, NULL).status, "bad-data");
    ds_free(&ds);
}

static void test_spec_check(void **state)
{
    (void)state;
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("sfda:shrinkage=1.5", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("sfda:power_iters=0", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("sfda:shrinkage=1", &s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_numpy_iris),
        cmocka_unit_test(test_numpy_real_like),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_spec_check),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
