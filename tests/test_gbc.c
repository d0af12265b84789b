/* test_gbc.c -- GBC against METHODS.md's worked examples (re-checked with
 * numpy) and tests/ref_scores.py (scikit-learn PCA + the stable_transfer
 * formulas in numpy) on random data, plus the edge cases. */
#include "scoretest.h" /* cmocka, the data set, ref_score, run_spec, check_vs_numpy, toy */

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
    dataset ds = toy(1.0);
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
    dataset ds = toy(1.0);
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

    ds = toy(1.0);
    ds.F[4] = -INFINITY;
    assert_string_equal(run_spec("gbc", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    /* identical classes: every coefficient is 1, GBC = -C(C-1) = -2 */
    ds = toy(1.0);
    for (size_t i = 0; i < 12; i++)
        ds.F[i] = 1.0;
    r = run_spec("gbc", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -2.0, 1e-12);
    ds_free(&ds);

    /* huge features: the PCA Gram overflows -> a status, not a crash */
    ds = toy(1.0);
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
