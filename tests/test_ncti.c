/* test_ncti.c -- NCTI's raw terms (seli, ncc, vc) against
 * tests/ref_ncti_etran.py (NCTI_Score of BUserName/NCTI run on scikit-learn,
 * exact PCA) at 1e-8 relative: random data through both LDA solvers, iris,
 * real-like ReLU features with dead units and N < D; the edge cases; the
 * weights the cross-checkpoint normalisation uses. */
#include "scoretest.h" /* cmocka, dataset, run_spec */
#include "refsp.h"     /* refsp_iris, refsp_relu */
#include "refterms.h"

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 131);
    /* features of variance ~1 per dim: the top-32 variances sum far above 23,
     * exp(-sum) < 1e-10: the svd solver */
    dataset ds = ds_new(300, 80, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "solver=svd"));
    assert_non_null(strstr(r.info, "dims=64 "));
    assert_non_null(strstr(r.info, "lda_dims=4"));
    /* the raw score before normalisation: seli + ncc - vc */
    assert_true(fabs(r.score - (r.terms[0] + r.terms[1] - r.terms[2])) <=
                1e-12 * fabs(r.terms[0]));
    refterms_check("ncti:dims=16", "dims=16", &ds, 1e-8);
    /* tiny features: sum of the top-32 variances < 23: the eigen solver with
     * shrinkage exp(-sum) */
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 0.05;
    r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "solver=eigen"));
    double fl = 0.0;
    run_spec("ncti", &ds, &fl);
    assert_true(fl >= 2.0 * 300.0 * 80 * 64);
    ds_free(&ds);
}

static void test_numpy_iris(void **state)
{
    (void)state;
    dataset ds = refsp_iris(); /* 150 x 4: PCA to 4 dims (min(N, D) < 64) */
    ckr_result r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "dims=4(<dims)"));
    assert_non_null(strstr(r.info, "solver=eigen")); /* iris's 4 variances sum to ~4.6 */
    /* iris is nearly separable: ncc (mean p(y|x)) near 1 */
    assert_true(r.terms[1] > 0.9 && r.terms[1] <= 1.0);
    ds_free(&ds);
}

static void test_numpy_real_like(void **state)
{
    (void)state;
    dataset ds = refsp_relu(400, 96, 6, 4, 132); /* dead columns */
    refterms_check("ncti", "", &ds, 1e-8);
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 0.1;
    refterms_check("ncti", "", &ds, 1e-8);
    ds_free(&ds);
    /* N < D: PCA to N = 50 dims, the 50th (variance 0: centred rows) left out;
       the svd solver on rank-deficient rows */
    ds = refsp_relu(50, 150, 4, 5, 133);
    ckr_result r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "dims=49(<dims)"));
    ds_free(&ds);
}

static void test_edge_cases(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 134);
    /* C = 2: one LDA direction */
    dataset ds = ds_new(120, 70, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "lda_dims=1"));
    ds_free(&ds);
    /* a one-sample class and an absent class (labels 0, 1, 3 of 4) */
    ds = ds_new(90, 70, 4, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] >= 2 ? 1 : ds.y[i];
    ds.y[17] = 3;
    r = refterms_check("ncti", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "classes=3"));
    /* constant columns among varying ones */
    for (size_t i = 0; i < ds.n; i++)
        ds.F[i * 70 + 2] = ds.F[i * 70 + 9] = 4.0;
    refterms_check("ncti", "", &ds, 1e-8);
    /* all features constant: PCA has no variance */
    for (size_t i = 0; i < ds.n * 70; i++)
        ds.F[i] = 1.5;
    r = run_spec("ncti", &ds, NULL);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    assert_int_equal(r.n_terms, 0);
    ds_free(&ds);
    /* every class of one sample (N == C): the svd solver cannot scale */
    ds = ds_new(3, 40, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 10.0);
    for (size_t i = 0; i < 3; i++)
        ds.y[i] = (int)i;
    r = refterms_check("ncti", "", &ds, 1e-8);
    assert_string_equal(r.status, "bad-data");
    ds_free(&ds);
    /* one class; multilabel; NaN */
    ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 1;
    assert_string_equal(run_spec("ncti", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    ds = ds_new(6, 2, 2, CKR_MULTILABEL);
    memcpy(ds.F, toyF, sizeof toyF);
    ds.Y[0] = ds.Y[3] = 1;
    assert_string_equal(run_spec("ncti", &ds, NULL).status, "unsupported-multilabel");
    ds_free(&ds);
    ds = toy(1.0);
    ds.F[3] = NAN;
    assert_string_equal(run_spec("ncti", &ds, NULL).status, "bad-data");
    ds_free(&ds);
}

static void test_method_table(void **state)
{
    (void)state;
    const ckr_method *m = ckr_method_find("ncti");
    assert_non_null(m);
    assert_int_equal(m->n_terms, 3);
    /* seli + ncc - vc, as the reference's evaluate script combines them */
    assert_true(m->term_weights[0] == 1.0 && m->term_weights[1] == 1.0 &&
                m->term_weights[2] == -1.0);
    assert_null(m->score_team);
    assert_null(m->score_stream);
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("ncti:dims=1", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("ncti:dims=32", &s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_numpy_iris),
        cmocka_unit_test(test_numpy_real_like),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_method_table),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
