/* test_hscore.c -- H-score and shrinkage H-score against METHODS.md's worked
 * examples (re-checked with numpy) and against tests/ref_scores.py (numpy
 * pinv / np.cov and scikit-learn's LedoitWolf, the TLlib formulas) on random
 * data, plus the edge cases. */
#include "scoretest.h" /* cmocka, the data set, ref_score, run_spec, check_vs_numpy, toy */

/* ---- METHODS.md section 8 worked examples ------------------------------- */

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
