/* test_parc.c -- PARC against tests/ref_sfda_parc.py (scikit-learn's exact
 * PCA and StandardScaler, np.corrcoef, scipy.stats.spearmanr, as in
 * dbolya/parc) at 1e-8 relative: random data, iris, real-like ReLU features
 * with dead units and N < D, multilabel; a hand-worked example; the
 * subsample; the edge cases. */
#include "scoretest.h" /* cmocka, dataset, run_spec */
#include "refsp.h"

/* Hand-worked: 4 classes of 2 identical rows in 4 dims (the 4 distinct
 * points in general position: the PCA keeps 3 components, the 4th is
 * noise). The 4 within pairs have RDM_f = 0 (tied, ranks 1..4, mean 2.5);
 * the 24 across pairs come in 6 groups of 4 tied values (a point against
 * either copy of another), ranks 5-8, ..., 25-28 (means 6.5, ..., 26.5).
 * RDM_y: within ranks 2.5, across 16.5; the mean rank is 14.5. So
 *   sxy = 4 (12^2) + 8 (6.5 + ... + 26.5 - 6 x 14.5) = 576 + 96 = 672,
 *   sxx = 576 + 4 (8^2 + 4^2 + 0 + 4^2 + 8^2 + 12^2) = 1792,
 *   syy = 576 + 24 (2^2) = 672,
 * PARC = 100 sqrt(672 / 1792) = 100 sqrt(3/8) = 61.237..., provided the 6
 * across groups are distinct (checked against numpy too). */
static void test_hand_worked(void **state)
{
    (void)state;
    dataset ds = ds_new(8, 4, 4, CKR_MULTICLASS);
    const double P[4][4] = { { 3, 0, 0, 1 }, { 0, 2, 0, 0 }, { 1, 0, 4, 0 }, { 0, 1, 1, 3 } };
    for (size_t i = 0; i < 8; i++) {
        ds.y[i] = (int)(i % 4);
        memcpy(ds.F + i * 4, P[i % 4], sizeof P[0]);
    }
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "d=3 n=8"));
    assert_close(r.score, 100.0 * sqrt(3.0 / 8.0), 1e-12);
    assert_close(r.score, 61.2372436, 1e-9);
    ds_free(&ds);
}

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 131);
    dataset ds = ds_new(300, 60, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    assert_true(r.score > 0.0 && r.score <= 100.0);
    assert_non_null(strstr(r.info, "d=32 n=300"));
    assert_null(strstr(r.info, "sampled"));
    refsp_check("parc:dims=8", "dims=8", &ds, 1e-8);
    refsp_check("parc:dims=100", "dims=100", &ds, 1e-8); /* clamped to D = 60 */
    double fl = 0.0;
    run_spec("parc", &ds, &fl);
    assert_true(fl >= 300.0 * 299 / 2 * 2 * 32);
    ds_free(&ds);
}

static void test_numpy_iris(void **state)
{
    (void)state;
    dataset ds = refsp_iris(); /* D = 4 < 32: the PCA keeps 4 */
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "d=4 n=150"));
    refsp_check("parc:dims=3", "dims=3", &ds, 1e-8);
    ds_free(&ds);
}

static void test_numpy_real_like(void **state)
{
    (void)state;
    dataset ds = refsp_relu(400, 80, 6, 4, 132);
    refsp_check("parc", "", &ds, 1e-8);
    ds_free(&ds);
    ds = refsp_relu(50, 150, 4, 5, 133); /* N < D: d = 32 of rank 49 */
    refsp_check("parc", "", &ds, 1e-8);
    ds_free(&ds);
    ds = refsp_relu(20, 150, 3, 3, 134); /* N < 32: d = 20, the last one noise */
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "d=19 n=20"));
    ds_free(&ds);
}

static void test_numpy_multilabel(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 135);
    dataset ds = ds_new(200, 40, 5, CKR_MULTILABEL);
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    size_t constant = 0;
    for (size_t i = 0; i < 200; i++) {
        int k = 0;
        for (int c = 0; c < 5; c++)
            k += ds.Y[i * 5 + (size_t)c];
        constant += k == 0 || k == 5;
    }
    assert_true(constant > 0);
    char want[64];
    snprintf(want, sizeof want, "left out=%zu", constant);
    assert_non_null(strstr(r.info, want));
    ds_free(&ds);
}

/* above max_n: a stratified subsample drawn with the item's RNG */
static void test_subsample(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 136);
    dataset ds = ds_new(500, 30, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    size_t cnt[3] = { 0, 0, 0 };
    for (size_t i = 0; i < 500; i++)
        cnt[ds.y[i]]++;
    size_t want = 0;
    for (int c = 0; c < 3; c++)
        want += 200 * cnt[c] / 500;
    ckr_result a = run_spec("parc:max_n=200", &ds, NULL), b = run_spec("parc:max_n=200", &ds, NULL);
    assert_string_equal(a.status, "ok");
    char s[128];
    snprintf(s, sizeof s, "n=%zu sampled %zu of 500 (stratified", want, want);
    assert_non_null(strstr(a.info, s));
    assert_true(a.score == b.score); /* the same seed, the same subsample */
    /* max_n >= N, or 0: no sampling, the same bits as the default */
    ckr_result full = run_spec("parc", &ds, NULL);
    assert_true(run_spec("parc:max_n=500", &ds, NULL).score == full.score);
    assert_true(run_spec("parc:max_n=0", &ds, NULL).score == full.score);
    /* the subsample estimates the full score */
    assert_true(fabs(a.score - full.score) < 10.0);
    ds_free(&ds);
}

static void test_edge_cases(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 137);
    /* C = 2 */
    dataset ds = ds_new(80, 10, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    refsp_check("parc", "", &ds, 1e-8);
    /* a one-sample class, an absent class, constant and duplicated columns */
    ds_free(&ds);
    ds = ds_new(90, 10, 4, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.y[i] = ds.y[i] >= 2 ? 1 : ds.y[i];
        ds.F[i * 10 + 3] = 2.0;
        ds.F[i * 10 + 5] = ds.F[i * 10 + 1];
    }
    ds.y[7] = 3;
    refsp_check("parc", "", &ds, 1e-8);
    /* all features constant */
    for (size_t i = 0; i < ds.n * 10; i++)
        ds.F[i] = 0.5;
    ckr_result r = refsp_check("parc", "", &ds, 1e-8);
    assert_string_equal(r.status, "bad-data");
    ds_free(&ds);
    /* D = 1 */
    ds = ds_new(30, 1, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    assert_string_equal(refsp_check("parc", "", &ds, 1e-8).status, "bad-data");
    ds_free(&ds);
    /* one class; every class of one sample */
    ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 0;
    assert_string_equal(run_spec("parc", &ds, NULL).status, "bad-data");
    for (size_t i = 0; i < 2; i++)
        ds.y[i] = (int)i;
    ds.n = 2;
    assert_string_equal(run_spec("parc", &ds, NULL).status, "bad-data");
    ds.n = 6;
    ds.F[0] = INFINITY;
    assert_string_equal(run_spec("parc", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    /* N < D, tiny */
    ds = ds_new(8, 40, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    ds.y[0] = 0;
    ds.y[1] = 0;
    ds.y[2] = 1;
    ds.y[3] = 1;
    refsp_check("parc", "", &ds, 1e-8);
    ds_free(&ds);
}

static void test_spec_check(void **state)
{
    (void)state;
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("parc:dims=1", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("parc:max_n=-1", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("parc:max_n=0,dims=2", &s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked),   cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_numpy_iris),    cmocka_unit_test(test_numpy_real_like),
        cmocka_unit_test(test_numpy_multilabel), cmocka_unit_test(test_subsample),
        cmocka_unit_test(test_edge_cases),    cmocka_unit_test(test_spec_check),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
