/* test_leep.c -- LEEP against hand-worked values and a numpy reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/leep_core.h"
#include "methods/method.h"
#include "testutil.h"

static ckr_params no_params(const ckr_method *m)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(m->name, &spec, &err), 0);
    return spec.params;
}

/* Score a pair whose logits are log(theta): softmax(log theta) == theta. */
static ckr_result leep_on_probs(const double *theta, size_t n, size_t z, int *y, int C)
{
    const ckr_method *m = ckr_method_find("leep");
    double *lg = malloc(n * z * sizeof(double));
    for (size_t i = 0; i < n * z; i++)
        lg[i] = log(theta[i]);
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.kind = CKR_MULTICLASS;
    pair.num_classes = C;
    pair.train.n = n;
    pair.train.y = y;
    pair.train_logits = (ckr_matrix){ n, z, lg };
    ckr_params p = no_params(m);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result res;
    memset(&res, 0, sizeof res);
    m->score(&pair, &p, &rng, &res);
    free(lg);
    return res;
}

/* METHODS.md section 1 worked example: LEEP = -0.3426157064. */
static void test_worked_example(void **state)
{
    (void)state;
    double theta[] = { 0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9 };
    int y[] = { 0, 0, 1, 1 };
    ckr_result r = leep_on_probs(theta, 4, 2, y, 2);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, -0.3426157064, 1e-9);
}

/* Uniform theta => LEEP = sum_c (n_c/N) log(n_c/N) = -H(Y). */
static void test_uniform_gives_minus_entropy(void **state)
{
    (void)state;
    enum { N = 10, Z = 4 };
    double theta[N * Z];
    int y[N] = { 0, 0, 0, 0, 0, 1, 1, 1, 2, 2 };
    for (int i = 0; i < N * Z; i++)
        theta[i] = 1.0 / Z;
    ckr_result r = leep_on_probs(theta, N, Z, y, 3);
    double h = 0.5 * log(0.5) + 0.3 * log(0.3) + 0.2 * log(0.2);
    assert_close(r.score, h, 1e-12);
}

/* One-hot theta with each source class mapping to one target class => 0. */
static void test_perfect_source_gives_zero(void **state)
{
    (void)state;
    /* exp(-800) underflows to 0 in the softmax: a one-hot theta */
    const ckr_method *m = ckr_method_find("leep");
    double lg[] = { 0, -800, -800, 0, 0, -800, -800, 0 };
    int y[] = { 1, 0, 1, 0 };
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.num_classes = 2;
    pair.train.n = 4;
    pair.train.y = y;
    pair.train_logits = (ckr_matrix){ 4, 2, lg };
    ckr_params p = no_params(m);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(m->score(&pair, &p, &rng, &r), 0);
    assert_close(r.score, 0.0, 1e-12);
}

/* A source class that no sample uses (P(z) = 0) is skipped, no NaN. */
static void test_empty_source_class(void **state)
{
    (void)state;
    double lg[] = { 0, -800, -800, -800, 0, -800, -800, 0, -800 };
    int y[] = { 0, 1, 1 };
    const ckr_method *m = ckr_method_find("leep");
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.num_classes = 2;
    pair.train.n = 3;
    pair.train.y = y;
    pair.train_logits = (ckr_matrix){ 3, 3, lg };
    ckr_params p = no_params(m);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result r;
    memset(&r, 0, sizeof r);
    assert_int_equal(m->score(&pair, &p, &rng, &r), 0);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 0.0, 1e-12);
}

static void test_needs_logits(void **state)
{
    (void)state;
    const ckr_method *m = ckr_method_find("leep");
    int y[] = { 0, 1 };
    double f[] = { 1, 2 };
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.num_classes = 2;
    pair.train.n = 2;
    pair.train.y = y;
    pair.train_features = (ckr_matrix){ 2, 1, f };
    ckr_params p = no_params(m);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result r;
    memset(&r, 0, sizeof r);
    assert_int_not_equal(m->score(&pair, &p, &rng, &r), 0);
    assert_string_equal(r.status, "needs-logits");
    assert_true(isnan(r.score));
}

/* Multilabel: one instance per (image, positive label); value from a hand
 * computation (joint over instances, P(c|z), mean log EEP) = -0.65904973938. */
static void test_multilabel_instances(void **state)
{
    (void)state;
    double theta[] = { 0.9, 0.1, 0.2, 0.8, 0.5, 0.5 };
    uint8_t Y[] = { 1, 0, 1, 1, 0, 1 };
    ckr_labels lab = { 3, NULL, Y };
    double score = 0;
    size_t clamped = 99;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_leep_from_probs(theta, 3, 2, CKR_MULTILABEL, &lab, 2, &score, &clamped, &err), 0);
    assert_close(score, -0.6590497393789296, 1e-12);
    assert_int_equal(clamped, 0);
}

/* Random logits (large and small scales) against numpy in double precision. */
static void test_against_numpy(void **state)
{
    (void)state;
    const char *dir = ckr_test_tmpdir();
    char path[300], cmd[2400];
    enum { N = 300, Z = 17, C = 6 };
    static double lg[N * Z];
    static int y[N];
    ckr_rng rng;
    ckr_rng_seed(&rng, 42);
    for (int trial = 0; trial < 3; trial++) {
        double scale = trial == 0 ? 1.0 : trial == 1 ? 30.0 : 0.01;
        snprintf(path, sizeof path, "%s/leep%d.txt", dir, trial);
        FILE *f = fopen(path, "w");
        for (int i = 0; i < N; i++) {
            y[i] = (int)ckr_rng_below(&rng, C);
            fprintf(f, "%d", y[i]);
            for (int j = 0; j < Z; j++) {
                lg[i * Z + j] = scale * (ckr_rng_normal(&rng) + (j % C == y[i] ? 1.0 : 0.0));
                fprintf(f, " %.17g", lg[i * Z + j]);
            }
            fprintf(f, "\n");
        }
        fclose(f);
        snprintf(cmd, sizeof cmd,
                 CKR_PY " -c \"import numpy as np\n"
                 "a=np.loadtxt('%s'); y=a[:,0].astype(int); L=a[:,1:]\n"
                 "L=L-L.max(1,keepdims=True); T=np.exp(L); T/=T.sum(1,keepdims=True)\n"
                 "J=np.zeros((%d,T.shape[1]))\n"
                 "np.add.at(J,y,T); P=J/J.sum(0)\n"
                 "print(repr(np.mean(np.log((P[y]*T).sum(1)))))\" > %s.out",
                 path, C, path);
        assert_int_equal(ckr_test_sh(cmd), 0);
        char out[320];
        snprintf(out, sizeof out, "%s.out", path);
        f = fopen(out, "r");
        double ref = NAN;
        assert_int_equal(fscanf(f, "%lf", &ref), 1);
        fclose(f);
        const ckr_method *m = ckr_method_find("leep");
        ckr_pair pair;
        memset(&pair, 0, sizeof pair);
        pair.num_classes = C;
        pair.train.n = N;
        pair.train.y = y;
        pair.train_logits = (ckr_matrix){ N, Z, lg };
        ckr_params p = no_params(m);
        ckr_result r;
        memset(&r, 0, sizeof r);
        assert_int_equal(m->score(&pair, &p, &rng, &r), 0);
        assert_close(r.score, ref, 1e-10);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_uniform_gives_minus_entropy),
        cmocka_unit_test(test_perfect_source_gives_zero),
        cmocka_unit_test(test_empty_source_class),
        cmocka_unit_test(test_needs_logits),
        cmocka_unit_test(test_multilabel_instances),
        cmocka_unit_test(test_against_numpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
