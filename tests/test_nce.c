/* test_nce.c -- NCE against METHODS.md's worked example, LEEP with a one-hot
 * source posterior, and tests/ref_scores.py (numpy) on random logits, plus
 * the edge cases. */
#include "scoretest.h" /* cmocka, the data set, ref_score, run_spec, check_vs_numpy, toy */

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
