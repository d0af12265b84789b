/* test_linear.c -- the linear probe against scikit-learn's LogisticRegression
 * (tests/ref_train.py), its SGD epochs, hold-out, multilabel and held-out
 * test behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "pairtest.h" /* run_spec, spec_refused, info_number */
#include "testutil.h"
#include "train/classifier.h"
#include "train/split.h"
#include "util/flops.h"

/* A pair with Gaussian classes of unequal column scales and offsets (so
 * standardisation matters) and overlapping classes (not separable). */
typedef struct data {
    ckr_pair pair;
    size_t n[3], D;   /* train, val, test rows */
    int C;
    double *X[3];
    int *y[3];
    uint8_t *Y[3];
} data;

static void make_data(data *d, ckr_task_kind kind, size_t n, size_t m, size_t t, size_t D,
                      int C, double sep, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    double *mean = malloc((size_t)C * D * sizeof(double));
    for (size_t i = 0; i < (size_t)C * D; i++)
        mean[i] = sep * ckr_rng_normal(&rng);
    d->n[0] = n;
    d->n[1] = m;
    d->n[2] = t;
    d->D = D;
    d->C = C;
    for (int s = 0; s < 3; s++) {
        size_t rows = d->n[s] ? d->n[s] : 1;
        d->X[s] = malloc(rows * D * sizeof(double));
        d->y[s] = malloc(rows * sizeof(int));
        d->Y[s] = calloc(rows * (size_t)C, 1);
        for (size_t i = 0; i < d->n[s]; i++) {
            int c = (int)ckr_rng_below(&rng, (uint64_t)C);
            d->y[s][i] = c;
            for (size_t j = 0; j < D; j++) {
                double v = ckr_rng_normal(&rng);
                if (kind == CKR_MULTICLASS) {
                    v += mean[c * D + j];
                } else {
                    for (int k = 0; k < C; k++) {
                        if (j == 0)
                            d->Y[s][i * C + k] = ckr_rng_uniform(&rng) < 0.35;
                        if (d->Y[s][i * C + k])
                            v += 0.5 * mean[k * D + j];
                    }
                }
                d->X[s][i * D + j] = (1.0 + (double)j) * v + 3.0 * (double)j;
            }
        }
    }
    free(mean);
    ckr_pair *p = &d->pair;
    p->ckpt = "ck";
    p->task = "tk";
    p->kind = kind;
    p->num_classes = C;
    ckr_labels *lab[3] = { &p->train, &p->val, &p->test };
    ckr_matrix *mat[3] = { &p->train_features, &p->val_features, &p->test_features };
    for (int s = 0; s < 3; s++) {
        if (!d->n[s])
            continue;
        *lab[s] = (ckr_labels){ d->n[s], kind == CKR_MULTICLASS ? d->y[s] : NULL,
                                kind == CKR_MULTILABEL ? d->Y[s] : NULL };
        *mat[s] = (ckr_matrix){ d->n[s], D, d->X[s] };
    }
}

static void free_data(data *d)
{
    for (int s = 0; s < 3; s++) {
        free(d->X[s]);
        free(d->y[s]);
        free(d->Y[s]);
    }
}

static void write_data(const data *d, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int ml = d->pair.kind == CKR_MULTILABEL;
    fprintf(f, "%d %zu %zu %zu %zu %d\n", ml, d->n[0], d->n[1], d->n[2], d->D, d->C);
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < d->n[s]; i++) {
            if (ml)
                for (int k = 0; k < d->C; k++)
                    fprintf(f, "%d ", d->Y[s][i * d->C + k]);
            else
                fprintf(f, "%d ", d->y[s][i]);
            for (size_t j = 0; j < d->D; j++)
                fprintf(f, "%.17g ", d->X[s][i * d->D + j]);
            fprintf(f, "\n");
        }
    fclose(f);
}

/* Run tests/ref_train.py; returns the numbers it printed. */
static int run_ref(const char *args, double *out, int nout)
{
    char cmd[1024], path[300];
    snprintf(path, sizeof path, "%s/ref.out", ckr_test_tmpdir());
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_train.py %s > %s", args, path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int got = 0;
    for (int i = 0; i < nout; i++)
        got += fscanf(f, "%lf", &out[i]) == 1;
    fclose(f);
    return got;
}

/* Our L-BFGS objective minimum on the pair (what `linear` optimises). */
static double our_minimum(const ckr_pair *pair, double l2)
{
    ckr_split sp;
    ckr_clf clf;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_split_make(pair, 1, &sp, &err), 0);
    size_t dim[2] = { sp.train.D, (size_t)pair->num_classes };
    assert_int_equal(ckr_clf_create(&clf, 1, dim, pair->kind, l2, 256, &err), 0);
    ckr_lbfgs_opts o;
    ckr_lbfgs_defaults(&o);
    ckr_lbfgs_info info;
    assert_int_equal(ckr_clf_train_lbfgs(&clf, &sp.train, &o, &info, &err), 0);
    print_message("L-BFGS: %d iterations, %d evaluations, stop %s, max|g| %.2e\n", info.iters,
                  info.evals, info.stop, info.gnorm);
    assert_true(info.converged);
    ckr_clf_destroy(&clf);
    ckr_split_free(&sp);
    return info.f;
}

static void test_converged_matches_sklearn(void **state)
{
    (void)state;
    const double l2s[2] = { 1e-4, 1e-2 };
    data d;
    make_data(&d, CKR_MULTICLASS, 900, 400, 300, 12, 4, 0.45, 1);
    char path[300], args[600];
    snprintf(path, sizeof path, "%s/lin.txt", ckr_test_tmpdir());
    write_data(&d, path);
    for (int t = 0; t < 2; t++) {
        double ref[3];
        snprintf(args, sizeof args, "logreg %s %g", path, l2s[t]);
        assert_int_equal(run_ref(args, ref, 3), 3);
        char spec[64];
        snprintf(spec, sizeof spec, "linear:l2=%g", l2s[t]);
        ckr_result r = run_spec(spec, &d.pair, 3);
        print_message("%s: val %.4f (sklearn %.4f), test %.4f (sklearn %.4f) [%s]\n", spec,
                      r.score, ref[0], r.heldout, ref[2], r.info);
        assert_string_equal(r.status, "ok");
        assert_true(fabs(r.score - ref[0]) <= 0.01);
        assert_true(fabs(r.heldout - ref[2]) <= 0.01);
        assert_true(r.score > 0.5 && r.score < 0.98); /* a problem with room for error */
        double f = our_minimum(&d.pair, l2s[t]);
        print_message("objective minimum %.12f, sklearn %.12f\n", f, ref[1]);
        assert_close(f, ref[1], 1e-7);
        assert_non_null(strstr(r.info, "opt=lbfgs"));
        assert_non_null(strstr(r.info, "eval=val"));
    }
    free_data(&d);
}

static void test_sgd_epochs_and_flops(void **state)
{
    (void)state;
    data d;
    enum { N = 1300, D = 20, C = 5 };
    make_data(&d, CKR_MULTICLASS, N, 300, 0, D, C, 0.5, 2);
    double loss[2];
    const int epochs[2] = { 1, 5 };
    for (int t = 0; t < 2; t++) {
        char spec[64];
        snprintf(spec, sizeof spec, "linear:epochs=%d", epochs[t]);
        ckr_flops_reset();
        ckr_result r = run_spec(spec, &d.pair, 4);
        double fl = ckr_flops_get();
        print_message("%s: %.4f, %.3g FLOPs [%s]\n", spec, r.score, fl, r.info);
        assert_string_equal(r.status, "ok");
        /* ceil(1300 / 512) = 3 steps per epoch */
        assert_int_equal((int)info_number(r.info, "steps="), 3 * epochs[t]);
        assert_true(isnan(r.heldout)); /* no test split */
        /* forward 2NDC + weight gradient 2NDC per epoch, plus evaluation */
        double ndc = (double)N * D * C;
        assert_true(fl >= 4.0 * ndc * epochs[t]);
        assert_true(fl <= 3.0 * 4.0 * ndc * epochs[t] + 1e6);
        loss[t] = info_number(r.info, "train_loss=");
        assert_true(r.score > 1.0 / C);
    }
    assert_true(loss[1] < loss[0]);
    free_data(&d);
}

static void test_holdout_without_val(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTICLASS, 500, 0, 0, 6, 3, 0.8, 3);
    ckr_result a = run_spec("linear", &d.pair, 9), b = run_spec("linear", &d.pair, 9);
    print_message("%.4f [%s]\n", a.score, a.info);
    assert_string_equal(a.status, "ok");
    assert_non_null(strstr(a.info, "eval=holdout=20%"));
    size_t cnt[3] = { 0 }, expect = 0;
    for (size_t i = 0; i < 500; i++)
        cnt[d.y[0][i]]++;
    for (int c = 0; c < 3; c++)
        expect += (size_t)floor(0.2 * (double)cnt[c] + 0.5);
    assert_int_equal((size_t)info_number(a.info, "n_eval="), expect);
    assert_memory_equal(&a.score, &b.score, sizeof(double)); /* seeded */
    free_data(&d);
}

/* The hold-out comes from the pair's split_seed, not the method's stream:
 * every method and grid point of a pair holds out the same rows. */
static void test_holdout_shared_by_methods(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTICLASS, 300, 0, 0, 5, 3, 0.8, 4);
    ckr_split a, b, c;
    ckr_err err = { 0, "" };
    d.pair.split_seed = 77;
    assert_int_equal(ckr_split_make(&d.pair, 1, &a, &err), 0);
    assert_int_equal(ckr_split_make(&d.pair, 0, &b, &err), 0);
    d.pair.split_seed = 78;
    assert_int_equal(ckr_split_make(&d.pair, 1, &c, &err), 0);
    assert_true(a.holdout && b.holdout && c.holdout);
    assert_int_equal(a.eval.n, b.eval.n);
    assert_memory_equal(a.hold_idx, b.hold_idx, a.eval.n * sizeof(size_t));
    assert_int_equal(a.eval.n, c.eval.n);
    assert_memory_not_equal(a.hold_idx, c.hold_idx, a.eval.n * sizeof(size_t));
    ckr_split_free(&a);
    ckr_split_free(&b);
    ckr_split_free(&c);
    free_data(&d);
}

static void test_multilabel_vs_sklearn_ovr(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTILABEL, 700, 300, 200, 8, 4, 0.6, 5);
    char path[300], args[600];
    snprintf(path, sizeof path, "%s/ml.txt", ckr_test_tmpdir());
    write_data(&d, path);
    double ref[2];
    snprintf(args, sizeof args, "ovr %s %g", path, 1e-3);
    assert_int_equal(run_ref(args, ref, 2), 2);
    ckr_result r = run_spec("linear:l2=1e-3", &d.pair, 1);
    print_message("mAP val %.5f (sklearn %.5f), test %.5f (sklearn %.5f) [%s]\n", r.score,
                  ref[0], r.heldout, ref[1], r.info);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.info, "metric=mAP"));
    assert_close(r.score, ref[0], 1e-3);
    assert_close(r.heldout, ref[1], 1e-3);
    ckr_result s = run_spec("linear:epochs=3,l2=1e-3", &d.pair, 1);
    assert_string_equal(s.status, "ok");
    assert_true(s.score > 0.3 && s.score <= 1.0);
    free_data(&d);
}

/* The test split is only used for heldout: with test == val, heldout equals
 * the score exactly. */
static void test_heldout_is_test_metric(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTICLASS, 400, 150, 0, 5, 3, 0.7, 6);
    d.pair.test = d.pair.val;
    d.pair.test_features = d.pair.val_features;
    ckr_result r = run_spec("linear:epochs=2", &d.pair, 2);
    assert_string_equal(r.status, "ok");
    assert_memory_equal(&r.score, &r.heldout, sizeof(double));
    free_data(&d);
}

static void test_errors(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTICLASS, 50, 20, 0, 3, 2, 1.0, 7);
    /* values that would fail every item are refused when the spec is parsed */
    spec_refused("linear:epochs=-1", "epochs=-1 is out of range (must be >= 0)");
    spec_refused("linear:lr=0", "lr=0 is out of range (must be > 0)");
    ckr_pair bad = d.pair;
    bad.train_features.data = NULL;
    ckr_result r = run_spec("linear", &bad, 1);
    assert_string_equal(r.status, ckr_err_word(CKR_EDATA));
    assert_true(isnan(r.score));
    bad = d.pair;
    bad.val_features.cols = 2; /* shape mismatch */
    r = run_spec("linear", &bad, 1);
    assert_string_equal(r.status, ckr_err_word(CKR_EDATA));
    /* a learning rate that blows the weights up is reported as diverged */
    for (size_t i = 0; i < 50 * 3; i++)
        d.X[0][i] *= 1e150;
    r = run_spec("linear:epochs=5,lr=1e200,standardize=0", &d.pair, 1);
    assert_string_equal(r.status, "diverged");
    free_data(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converged_matches_sklearn),
        cmocka_unit_test(test_sgd_epochs_and_flops),
        cmocka_unit_test(test_holdout_without_val),
        cmocka_unit_test(test_holdout_shared_by_methods),
        cmocka_unit_test(test_multilabel_vs_sklearn_ovr),
        cmocka_unit_test(test_heldout_is_test_metric),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
