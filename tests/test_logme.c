/* test_logme.c -- LogME against METHODS.md's worked examples (re-checked
 * with numpy) and against tests/ref_scores.py (numpy, written from thuml's
 * code; form=exact adds the dropped log alpha terms) on random data and
 * iris, both forms (the default exact evidence and form=thuml), plus the
 * edge cases. */
#include "scoretest.h" /* cmocka, the data set, ref_score, run_spec, check_vs_numpy, toy */

/* ---- METHODS.md section 7 worked example -------------------------------- */

/* the toy data set (scoretest.h) with a copy of column 0 appended */
static dataset toy_dup(double scale)
{
    dataset ds = ds_new(6, 3, 2, CKR_MULTICLASS);
    for (size_t i = 0; i < 6; i++) {
        ds.y[i] = toyy[i];
        for (size_t j = 0; j < 3; j++)
            ds.F[i * 3 + j] = scale * toyF[i * 2 + (j < 2 ? j : 0)];
    }
    return ds;
}

static void test_worked_example(void **state)
{
    (void)state;
    dataset ds = toy(1.0);
    ckr_result r = run_spec("logme", &ds, NULL);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -0.984525168, 1e-9);
    /* full rank: the thuml form (and the old spellings) give the same value */
    const char *same[] = { "logme:form=thuml", "logme:form=exact", "logme:exact_logdet=1",
                           "logme:exact_logdet=0" };
    for (size_t i = 0; i < 4; i++) {
        r = run_spec(same[i], &ds, NULL);
        assert_string_equal(r.status, "ok");
        assert_close(r.score, -0.984525168, 1e-9);
    }
    /* more passes move it toward the converged value (-0.98452492 with the
     * 1e-5 guards, numpy), so the 11-pass cap is really applied */
    r = run_spec("logme:iters=1000,tol=0", &ds, NULL);
    assert_close(r.score, -0.9845249196515604, 1e-9);
    ds_free(&ds);
}

/* the 1e-5 guards make LogME depend slightly on the feature scale */
static void test_worked_example_scaled(void **state)
{
    (void)state;
    dataset ds = toy(10.0);
    assert_close(run_spec("logme", &ds, NULL).score, -0.985360306, 1e-9);
    ds_free(&ds);
    ds = toy(0.1);
    assert_close(run_spec("logme", &ds, NULL).score, -0.984525272, 1e-9);
    ds_free(&ds);
}

/* a copy of column 0 appended: exact evidence -1.001121612 */
static void test_duplicated_column(void **state)
{
    (void)state;
    dataset ds = toy_dup(1.0);
    ckr_result r = run_spec("logme", &ds, NULL); /* the default: exact */
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -1.001121612, 1e-9);
    assert_null(strstr(r.info, "thuml"));
    r = run_spec("logme:exact_logdet=1", &ds, NULL);
    assert_close(r.score, -1.001121612, 1e-9);
    /* the reference behaviour depends on whether the null eigenvalue comes
     * out above 1e-20: then it equals the exact value, else it is
     * -0.635198726 (METHODS.md); either way finite */
    r = run_spec("logme:form=thuml", &ds, NULL);
    assert_non_null(strstr(r.info, "form=thuml"));
    assert_string_equal(r.status, "ok");
    assert_true(fabs(r.score - -1.001121612) < 1e-8 || fabs(r.score - -0.635198726) < 1e-8);
    ds_free(&ds);
}

/* ---- against numpy on random data --------------------------------------- */

static void test_numpy_gram_path(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 11);
    dataset ds = ds_new(300, 20, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    check_vs_numpy("logme", "", &ds, 1e-8);
    check_vs_numpy("logme:exact_logdet=1", "exact_logdet=1", &ds, 1e-8);
    check_vs_numpy("logme:form=thuml", "form=thuml", &ds, 1e-8);
    check_vs_numpy("logme:iters=3,tol=0.1", "iters=3 tol=0.1", &ds, 1e-8);
    check_vs_numpy("logme:form=thuml,iters=3,tol=0.1", "form=thuml iters=3 tol=0.1", &ds, 1e-8);
    /* FLOPs are counted where the work happens: at least the Gram's N D (D+1) */
    double fl = 0;
    run_spec("logme", &ds, &fl);
    assert_true(fl >= 300.0 * 20 * 21);
    assert_true(fl < 1e9);
    ds_free(&ds);
}

static void test_numpy_kernel_path(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 12);
    size_t shapes[][2] = { { 40, 60 }, { 30, 30 }, { 12, 200 } };
    for (size_t s = 0; s < 3; s++) {
        dataset ds = ds_new(shapes[s][0], shapes[s][1], 4, CKR_MULTICLASS);
        ds_random(&ds, &rng, 1.0);
        check_vs_numpy("logme", "", &ds, 1e-8);
        check_vs_numpy("logme:form=thuml", "form=thuml", &ds, 1e-8);
        check_vs_numpy("logme:exact_logdet=0", "exact_logdet=0", &ds, 1e-8);
        /* N < D: the exact evidence counts the D - N null directions */
        if (shapes[s][0] < shapes[s][1])
            assert_true(fabs(run_spec("logme", &ds, NULL).score -
                             run_spec("logme:form=thuml", &ds, NULL).score) > 1e-6);
        ds_free(&ds);
    }
}

/* LogME is not scale-invariant (the 1e-5 guards): at 1e8 and 1e-8 both
 * agree on a finite value; far out the reference itself breaks down (log 0
 * below ~1e-12) and we must then report a numerical-error status */
static void test_numpy_scales(void **state)
{
    (void)state;
    double scales[] = { 1e8, 1e-8, 1e30, 1e-30 };
    for (size_t s = 0; s < 4; s++) {
        ckr_rng rng;
        ckr_rng_seed(&rng, 13);
        dataset ds = ds_new(200, 10, 3, CKR_MULTICLASS);
        ds_random(&ds, &rng, scales[s]);
        if (s < 2) {
            double ref = ref_score("logme", &ds, "", NULL);
            assert_true(isfinite(ref));
            assert_close(run_spec("logme", &ds, NULL).score, ref, 1e-8);
        } else {
            check_vs_numpy("logme", "", &ds, 1e-8);
        }
        ds_free(&ds);
    }
}

/* classes 1 and 4 of 5 absent; one class with a single sample */
static void test_numpy_absent_and_singleton_class(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 14);
    dataset ds = ds_new(150, 8, 5, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.y[i] = ds.y[i] == 1 || ds.y[i] == 4 ? 0 : ds.y[i];
    ds.y[17] = 4;
    check_vs_numpy("logme", "", &ds, 1e-8);
    ckr_result r = run_spec("logme", &ds, NULL);
    assert_non_null(strstr(r.info, "targets=4"));
    ds_free(&ds);
}

/* one target column per label; a label without positives is dropped */
static void test_numpy_multilabel(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 15);
    dataset ds = ds_new(200, 15, 4, CKR_MULTILABEL);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++)
        ds.Y[i * 4 + 2] = 0;
    check_vs_numpy("logme", "", &ds, 1e-8);
    dataset small = ds_new(10, 30, 3, CKR_MULTILABEL); /* kernel path */
    ds_random(&small, &rng, 1.0);
    small.Y[0] = 1;
    check_vs_numpy("logme", "", &small, 1e-8);
    ds_free(&small);
    ds_free(&ds);
}

/* constant, duplicated and zero columns: exact evidence agrees with numpy */
static void test_numpy_rank_deficient(void **state)
{
    (void)state;
    ckr_rng rng;
    ckr_rng_seed(&rng, 16);
    dataset ds = ds_new(120, 12, 3, CKR_MULTICLASS);
    ds_random(&ds, &rng, 1.0);
    for (size_t i = 0; i < ds.n; i++) {
        ds.F[i * 12 + 3] = 2.5;               /* constant */
        ds.F[i * 12 + 7] = ds.F[i * 12 + 1];  /* duplicate */
        ds.F[i * 12 + 9] = 0.0;               /* dead unit */
        ds.F[i * 12 + 10] = ds.F[i * 12 + 2] - 2.0 * ds.F[i * 12 + 5]; /* combination */
    }
    check_vs_numpy("logme:exact_logdet=1", "exact_logdet=1", &ds, 1e-8);
    check_vs_numpy("logme", "", &ds, 1e-8);
    check_vs_numpy("logme:form=thuml", "form=thuml", &ds, 1e-8);
    ckr_result r = run_spec("logme:form=thuml", &ds, NULL);
    assert_string_equal(r.status, "ok");
    /* the dead unit's eigenvalue is exactly 0 and dropped, the reference
     * keeps (D/2) log alpha: the thuml form differs from the exact evidence */
    ckr_result e = run_spec("logme", &ds, NULL);
    assert_true(fabs(r.score - e.score) > 1e-6);
    assert_non_null(strstr(r.info, "k=11"));
    ds_free(&ds);
}

/* iris (scikit-learn's copy: 150 x 4, 3 classes, full rank): the two forms
 * are the same number, and each equals numpy */
static void test_iris_both_forms(void **state)
{
    (void)state;
    char path[400], cmd[1024];
    snprintf(path, sizeof path, "%s/iris.txt", ckr_test_tmpdir());
    snprintf(cmd, sizeof cmd,
             CKR_PY " -c 'from sklearn.datasets import load_iris; b = load_iris(); "
                    "[print(int(t), *map(repr, map(float, x))) for x, t in zip(b.data, b.target)]'"
                    " > %s", path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    dataset ds = ds_new(150, 4, 3, CKR_MULTICLASS);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    for (size_t i = 0; i < 150; i++) {
        assert_int_equal(fscanf(f, "%d", &ds.y[i]), 1);
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(fscanf(f, "%lf", &ds.F[i * 4 + j]), 1);
    }
    fclose(f);
    remove(path);
    check_vs_numpy("logme", "", &ds, 1e-8);
    check_vs_numpy("logme:form=thuml", "form=thuml", &ds, 1e-8);
    ckr_result e = run_spec("logme", &ds, NULL), t = run_spec("logme:form=thuml", &ds, NULL);
    assert_non_null(strstr(e.info, "k=4"));
    assert_true(e.score == t.score);
    ds_free(&ds);
}

/* ---- failures are statuses, never crashes --------------------------------- */

static void test_edge_statuses(void **state)
{
    (void)state;
    dataset ds = toy(1.0);
    for (size_t i = 0; i < 6; i++)
        ds.y[i] = 1;
    ckr_result r = run_spec("logme", &ds, NULL);
    assert_string_equal(r.status, "bad-data");
    assert_true(isnan(r.score));
    ds.y[0] = 2; /* out of range for C = 2 */
    r = run_spec("logme", &ds, NULL);
    assert_string_equal(r.status, "bad-data");
    ds_free(&ds);

    ds = toy(1.0);
    ds.F[3] = NAN;
    assert_string_equal(run_spec("logme", &ds, NULL).status, "bad-data");
    ds_free(&ds);

    /* F^T F overflows double precision */
    ds = toy(1e160);
    r = run_spec("logme", &ds, NULL);
    assert_string_equal(r.status, "numerical-error");
    ds_free(&ds);

    /* all-zero features: no spectrum at all */
    ds = toy(0.0);
    r = run_spec("logme", &ds, NULL);
    assert_true(strcmp(r.status, "ok") != 0 || isfinite(r.score));
    ds_free(&ds);

    /* features underflowing to denormals in the Gram */
    ds = toy(1e-170);
    r = run_spec("logme", &ds, NULL);
    assert_true(strcmp(r.status, "ok") != 0 || isfinite(r.score));
    ds_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_worked_example_scaled),
        cmocka_unit_test(test_duplicated_column),
        cmocka_unit_test(test_numpy_gram_path),
        cmocka_unit_test(test_numpy_kernel_path),
        cmocka_unit_test(test_numpy_scales),
        cmocka_unit_test(test_numpy_absent_and_singleton_class),
        cmocka_unit_test(test_numpy_multilabel),
        cmocka_unit_test(test_numpy_rank_deficient),
        cmocka_unit_test(test_iris_both_forms),
        cmocka_unit_test(test_edge_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
