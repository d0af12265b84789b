/* test_transrate.c -- TransRate against METHODS.md's worked example
 * (re-checked with numpy) and tests/ref_scores.py (numpy slogdet on the
 * D x D matrices) on random data, plus the edge cases. */
#include "scoretest.h" /* cmocka, the data set, ref_score, run_spec, check_vs_numpy, toy */

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
