/* test_etran.c -- ETran's raw terms (energy, lda) against
 * tests/ref_ncti_etran.py (a numpy re-implementation of mgholamikn/ETran's
 * Energy_Score and LDA_Score: form=released as released, the default with
 * scipy's generalized eigh) at 1e-8 relative: random data, iris, real-like
 * ReLU features with dead units and N < D; the edge cases; the weights. */
#include "scoretest.h" /* cmocka, dataset, run_spec */
#include "refsp.h"     /* refsp_iris, refsp_relu */
#include "refterms.h"

static void test_numpy_random(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 141);
    dataset ds = ds_new(600, 20, 5, CKR_MULTICLASS); /* the lowest 3 energies */
    ds_random(&ds, &rng, 1.0);
    ckr_result r = refterms_check("etran", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "lowest 3 of 600"));
    assert_true(fabs(r.score - (0.15 * r.terms[0] + 0.85 * r.terms[1])) <=
                1e-12 * (fabs(r.terms[0]) + 1.0));
    ckr_result rr = refterms_check("etran:form=released", "form=released", &ds, 1e-8);
    /* the same energy; the LDA term differs (nearest-mean softmax) */
    assert_true(rr.terms[0] == r.terms[0]);
    assert_true(rr.terms[1] != r.terms[1]);
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 0.05; /* lambda_max(S_w) < 1: a real shrinkage */
    refterms_check("etran", "", &ds, 1e-8);
    refterms_check("etran:form=released", "form=released", &ds, 1e-8);
    ds_free(&ds);
}

/* the energy term by hand: rows (0, 0), (ln 3, 0), (1, 1), ... N = 400: the
 * lowest 2 logsumexp values are ln 2 (row 0) and ln 4 (row 1) */
static void test_energy_by_hand(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 142);
    dataset ds = ds_new(400, 2, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < ds.n; i++) {
        ds.y[i] = (int)(i % 2);
        ds.F[2 * i] = 3.0 + ckr_rng_uniform(&rng) + (double)ds.y[i];
        ds.F[2 * i + 1] = 3.0 + ckr_rng_uniform(&rng);
    }
    ds.F[0] = ds.F[1] = 0.0;
    ds.F[2] = log(3.0);
    ds.F[3] = 0.0;
    ckr_result r = run_spec("etran", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_true(fabs(r.terms[0] - 0.5 * (log(2.0) + log(4.0))) <= 1e-15);
    ds_free(&ds);
}

static void test_numpy_iris(void **state)
{
    (void)state;
    dataset ds = refsp_iris(); /* N = 150 < 200: one energy sample by default */
    ckr_result r = refterms_check("etran", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "lowest 1 of 150"));
    assert_true(r.terms[1] > 0.8 && r.terms[1] <= 1.0);
    r = refterms_check("etran:form=released", "form=released", &ds, 1e-8);
    assert_string_equal(r.status, "bad-data");
    assert_non_null(strstr(r.message, "N=150 < 200"));
    ds_free(&ds);
}

static void test_numpy_real_like(void **state)
{
    (void)state;
    dataset ds = refsp_relu(400, 64, 6, 4, 143);
    refterms_check("etran", "", &ds, 1e-8);
    refterms_check("etran:form=released", "form=released", &ds, 1e-8);
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 10.0; /* shrinkage at its 1e-10 floor */
    ckr_result r = refterms_check("etran", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "shrinkage=1e-10"));
    ds_free(&ds);
    /* N < D: rank(S_w) <= N - C */
    ds = refsp_relu(60, 150, 4, 5, 144);
    for (size_t i = 0; i < ds.n * ds.d; i++)
        ds.F[i] *= 0.1;
    refterms_check("etran", "", &ds, 1e-8);
    ds_free(&ds);
}

static void test_edge_cases(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 145);
    /* C = 2 */
    dataset ds = ds_new(80, 6, 2, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    refterms_check("etran", "", &ds, 1e-8);
    ds_free(&ds);
    /* a one-sample class and an absent class (labels 0, 1, 3 of 4) */
    ds = ds_new(250, 6, 4, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] >= 2 ? 1 : ds.y[i];
    ds.y[17] = 3;
    ckr_result r = refterms_check("etran", "", &ds, 1e-8);
    assert_non_null(strstr(r.info, "classes=3"));
    refterms_check("etran:form=released", "form=released", &ds, 1e-8);
    /* a constant column among varying ones */
    for (size_t i = 0; i < ds.n; i++)
        ds.F[i * 6 + 2] = 4.0;
    refterms_check("etran", "", &ds, 1e-8);
    /* all features constant: the within-class scatter is 0 */
    for (size_t i = 0; i < ds.n * 6; i++)
        ds.F[i] = 1.5;
    r = refterms_check("etran", "", &ds, 1e-8);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    assert_int_equal(r.n_terms, 0);
    ds_free(&ds);
    /* every class of one sample: S_w = 0 */
    ds = ds_new(3, 2, 3, CKR_MULTICLASS);
    for (size_t i = 0; i < 3; i++) {
        ds.y[i] = (int)i;
        ds.F[2 * i] = (double)i;
        ds.F[2 * i + 1] = 1.0 / (1.0 + (double)i);
    }
    assert_string_equal(run_spec("etran", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    /* one class; multilabel; NaN */
    ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 1;
    assert_string_equal(run_spec("etran", &ds, NULL).status, "bad-data");
    ds_free(&ds);
    ds = ds_new(6, 2, 2, CKR_MULTILABEL);
    memcpy(ds.F, toyF, sizeof toyF);
    ds.Y[0] = ds.Y[3] = 1;
    assert_string_equal(run_spec("etran", &ds, NULL).status, "unsupported-multilabel");
    ds_free(&ds);
    ds = toy(1.0);
    ds.F[3] = NAN;
    assert_string_equal(run_spec("etran", &ds, NULL).status, "bad-data");
    ds_free(&ds);
}

static void test_method_table(void **state)
{
    (void)state;
    const ckr_method *m = ckr_method_find("etran");
    assert_non_null(m);
    assert_int_equal(m->n_terms, 2);
    assert_true(m->term_weights[0] == 0.15 && m->term_weights[1] == 0.85); /* tw.py */
    assert_null(m->score_team);
    assert_null(m->score_stream);
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("etran:form=paper", &s, &err), CKR_EARG);
    assert_int_equal(ckr_spec_parse("etran:form=released", &s, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_random),
        cmocka_unit_test(test_energy_by_hand),
        cmocka_unit_test(test_numpy_iris),
        cmocka_unit_test(test_numpy_real_like),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_method_table),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
