/* test_nleep.c -- the `nleep` method against scikit-learn.
 *
 * References: tests/ref_nleep.py runs sklearn PCA + GaussianMixture + LEEP,
 * (a) with several random_state values (our score must lie in their range,
 * with a small margin), and (b) initialised from the very k-means labels our
 * implementation used (then the EM trajectories are the same computation and
 * the scores must agree to ~1e-9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "linalg/gmm.h"
#include "linalg/kmeans.h"
#include "linalg/pca.h"
#include "methods/leep_core.h"
#include "methods/method.h"
#include "testutil.h"
#include "util/rng.h"

extern const ckr_method ckr_method_nleep;

/* ---- fixtures ----------------------------------------------------------- */

typedef struct dataset {
    size_t n, D;
    int C;
    ckr_task_kind kind;
    double *X;
    int *y;
    uint8_t *Y;
} dataset;

static void dataset_free(dataset *s)
{
    free(s->X);
    free(s->y);
    free(s->Y);
}

/* Class-structured data: each class has `sub` sub-clusters; the feature
 * spectrum decays so PCA keeps a handful of dimensions. sep scales the class
 * means (0: no structure). */
static dataset make_data(size_t n, size_t D, int C, int sub, double sep, uint64_t seed)
{
    dataset s = { n, D, C, CKR_MULTICLASS, NULL, NULL, NULL };
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    s.X = malloc(sizeof(double) * n * D);
    s.y = malloc(sizeof(int) * n);
    double *means = malloc(sizeof(double) * (size_t)(C * sub) * D);
    assert_non_null(s.X);
    assert_non_null(s.y);
    assert_non_null(means);
    for (size_t t = 0; t < (size_t)(C * sub) * D; t++)
        means[t] = sep * ckr_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        s.y[i] = (int)(i % (size_t)C);
        size_t m = (size_t)s.y[i] * (size_t)sub + (size_t)ckr_rng_below(&r, (uint64_t)sub);
        for (size_t j = 0; j < D; j++)
            s.X[i * D + j] = (means[m * D + j] + ckr_rng_normal(&r)) * pow(1.0 + (double)j, -0.7)
                             + 2.0;
    }
    free(means);
    return s;
}

/* Multilabel version: label c is on when feature block c is "high". */
static dataset make_multilabel(size_t n, size_t D, int C, uint64_t seed)
{
    dataset s = make_data(n, D, C, 2, 2.0, seed);
    s.kind = CKR_MULTILABEL;
    s.Y = calloc(n * (size_t)C, 1);
    ckr_rng r;
    ckr_rng_seed(&r, seed + 1);
    for (size_t i = 0; i < n; i++) {
        s.Y[i * (size_t)C + (size_t)s.y[i]] = 1;
        int extra = (int)ckr_rng_below(&r, (uint64_t)C);
        if (ckr_rng_uniform(&r) < 0.4)
            s.Y[i * (size_t)C + (size_t)extra] = 1;
    }
    free(s.y);
    s.y = NULL;
    return s;
}

static ckr_pair make_pair(const dataset *s)
{
    ckr_pair p;
    memset(&p, 0, sizeof p);
    p.ckpt = "ckpt";
    p.task = "task";
    p.kind = s->kind;
    p.num_classes = s->C;
    p.train.n = s->n;
    p.train.y = s->y;
    p.train.Y = s->Y;
    p.train_features.rows = s->n;
    p.train_features.cols = s->D;
    p.train_features.data = s->X;
    return p;
}

/* Parameters of the spec "nleep:<overrides>" (NULL: the defaults). */
static ckr_params make_params(const char *overrides)
{
    char text[256];
    snprintf(text, sizeof text, "nleep%s%s", overrides ? ":" : "", overrides ? overrides : "");
    ckr_spec spec;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(text, &spec, &err) != 0)
        fail_msg("%s: %s", text, err.msg);
    assert_ptr_equal(spec.method, &ckr_method_nleep);
    return spec.params;
}

/* The spec "nleep:<overrides>" is refused with a message containing part. */
static void nleep_refused(const char *overrides, const char *part)
{
    char text[256];
    snprintf(text, sizeof text, "nleep:%s", overrides);
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), CKR_EARG);
    if (!strstr(err.msg, part))
        fail_msg("%s: message '%s' lacks '%s'", text, err.msg, part);
}

static ckr_result run_nleep(const dataset *s, const char *overrides, uint64_t seed)
{
    ckr_pair pair = make_pair(s);
    ckr_params p = make_params(overrides);
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    ckr_result res;
    memset(&res, 0, sizeof res);
    ckr_method_nleep.score(&pair, &p, &r, &res);
    return res;
}

/* ---- the sklearn reference ---------------------------------------------- */

static void write_file(const char *path, const void *x, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(x, 1, bytes, f), bytes);
    fclose(f);
}

/* Value of `key` (first token of a line) in a key-value output file. */
static double out_value(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    double v = NAN;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            v = strtod(line + kl + 1, NULL);
            break;
        }
    fclose(f);
    if (isnan(v))
        print_error("no '%s' in %s\n", key, path);
    assert_false(isnan(v));
    return v;
}

/* Run ref_nleep.py on s; extra = further arguments; returns the output path. */
static const char *sklearn_ref(const dataset *s, const char *tag, const char *extra)
{
    static char out[512];
    char xp[512], yp[512], cmd[4096];
    const char *dir = ckr_test_tmpdir();
    snprintf(xp, sizeof xp, "%s/%s_X.bin", dir, tag);
    snprintf(yp, sizeof yp, "%s/%s_y.bin", dir, tag);
    snprintf(out, sizeof out, "%s/%s_out.txt", dir, tag);
    write_file(xp, s->X, sizeof(double) * s->n * s->D);
    if (s->kind == CKR_MULTILABEL)
        write_file(yp, s->Y, s->n * (size_t)s->C);
    else
        write_file(yp, s->y, sizeof(int) * s->n);
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=1 " CKR_PY " tests/ref_nleep.py --X %s --n %zu --D %zu --%s %s "
             "--C %d %s > %s",
             xp, s->n, s->D, s->kind == CKR_MULTILABEL ? "Y" : "y", yp, s->C, extra, out);
    assert_int_equal(ckr_test_sh(cmd), 0);
    return out;
}

/* The k-means labels the method computes internally for this seed (the
 * method runs PCA, then k-means first thing with the same rng stream). */
static void method_kmeans_labels(const dataset *s, double pca, size_t K, uint64_t seed,
                                 const char *path)
{
    ckr_pca_result pr;
    ckr_err err;
    assert_int_equal(ckr_pca_fit_transform(s->X, s->n, s->D, pca, &pr, &err), 0);
    int *lab = malloc(sizeof(int) * s->n);
    double *cent = malloc(sizeof(double) * K * pr.d);
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    assert_int_equal(ckr_kmeans_fit(pr.scores, s->n, pr.d, K, 300, 1e-4, &r, cent, lab, NULL,
                                    &err),
                     0);
    write_file(path, lab, sizeof(int) * s->n);
    free(lab);
    free(cent);
    ckr_pca_result_free(&pr);
}

/* Our score (seed) vs sklearn: inside the seed range, and equal to sklearn
 * initialised from our k-means labels (to 1e-9 in double precision; with
 * precision=mixed to 1e-6: the float32 E-step product rounds each
 * coordinate to ~2^-24 relative, ~1e-6 nats of log-density at most on these
 * standardised scales) after the same number of EM iterations. */
static void check_against_sklearn_prec(const dataset *s, const char *tag, const char *cov,
                                       uint64_t seed, int mixed)
{
    char ov[64], extra[1024], lp[512];
    snprintf(ov, sizeof ov, "cov=%s%s", cov, mixed ? ",precision=mixed" : "");
    ckr_result res = run_nleep(s, ov, seed);
    assert_string_equal(res.status, "ok");

    const char *out = sklearn_ref(s, tag, cov[0] == 'd' ? "--cov diag --seeds 0,1,2,3,4,5"
                                                        : "--seeds 0,1,2,3,4,5");
    double lo = out_value(out, "min"), hi = out_value(out, "max");
    double margin = 0.25 * (hi - lo) + 0.02;
    if (!(res.score >= lo - margin && res.score <= hi + margin))
        print_error("nleep %.6f outside sklearn [%.6f, %.6f] +- %.4f\n", res.score, lo, hi,
                    margin);
    assert_true(res.score >= lo - margin && res.score <= hi + margin);

    size_t K = (size_t)(5 * s->C) < s->n ? (size_t)(5 * s->C) : s->n;
    snprintf(lp, sizeof lp, "%s/%s_labels.bin", ckr_test_tmpdir(), tag);
    method_kmeans_labels(s, 0.8, K, seed, lp);
    snprintf(extra, sizeof extra, "--cov %s --labels %s", cov, lp);
    out = sklearn_ref(s, tag, extra);
    double fixed = out_value(out, "fixed");
    print_message("%s: nleep %.10f, sklearn seeds [%.6f, %.6f], sklearn from our labels "
                  "%.10f (%s)\n", tag, res.score, lo, hi, fixed, res.info);
    assert_close(res.score, fixed, mixed ? 1e-6 : 1e-9);
    char want[32];
    snprintf(want, sizeof want, "iters=%d ", (int)out_value(out, "fixed_iters"));
    assert_non_null(strstr(res.info, want));
}

static void check_against_sklearn(const dataset *s, const char *tag, const char *cov,
                                  uint64_t seed)
{
    check_against_sklearn_prec(s, tag, cov, seed, 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_vs_sklearn_full(void **state)
{
    (void)state;
    dataset s = make_data(600, 24, 4, 3, 1.5, 1);
    check_against_sklearn(&s, "full", "full", 7);
    dataset t = make_data(400, 40, 6, 2, 0.8, 2); /* weaker structure, more overlap */
    check_against_sklearn(&t, "full2", "full", 8);
    ckr_gmm_set_dense_fraction(0.0); /* the dense E-step and M-step after every full pass */
    check_against_sklearn(&t, "full2d", "full", 8);
    ckr_gmm_set_dense_fraction(CKR_GMM_DENSE_DEFAULT);
    dataset_free(&s);
    dataset_free(&t);
}

/* precision=mixed (float32 dense E-step GEMM): the same windows and EM
 * iteration counts as sklearn, the score within 1e-6. */
static void test_vs_sklearn_mixed(void **state)
{
    (void)state;
    dataset s = make_data(600, 24, 4, 3, 1.5, 1);
    check_against_sklearn_prec(&s, "mfull", "full", 7, 1);
    dataset t = make_data(400, 40, 6, 2, 0.8, 2);
    check_against_sklearn_prec(&t, "mfull2", "full", 8, 1);
    dataset u = make_multilabel(400, 16, 5, 4);
    check_against_sklearn_prec(&u, "mmulti", "full", 10, 1);
    /* diag has no dense GEMM: mixed is the double computation, bit for bit */
    dataset v = make_data(600, 24, 4, 3, 1.5, 3);
    ckr_result a = run_nleep(&v, "cov=diag", 9), b = run_nleep(&v, "cov=diag,precision=mixed", 9);
    assert_string_equal(b.status, "ok");
    assert_true(a.score == b.score);
    dataset_free(&s);
    dataset_free(&t);
    dataset_free(&u);
    dataset_free(&v);
}

static void test_vs_sklearn_diag(void **state)
{
    (void)state;
    dataset s = make_data(600, 24, 4, 3, 1.5, 3);
    check_against_sklearn(&s, "diag", "diag", 9);
    dataset_free(&s);
}

static void test_multilabel_vs_sklearn(void **state)
{
    (void)state;
    dataset s = make_multilabel(400, 16, 5, 4);
    check_against_sklearn(&s, "multi", "full", 10);
    dataset_free(&s);
}

/* The method's score is LEEP (computed here independently) of the posteriors
 * of the mixture it fits. */
static void test_equals_leep_of_posteriors(void **state)
{
    (void)state;
    dataset s = make_data(300, 12, 3, 2, 1.0, 5);
    ckr_result res = run_nleep(&s, NULL, 21);
    assert_string_equal(res.status, "ok");

    ckr_pca_result pr;
    ckr_err err;
    assert_int_equal(ckr_pca_fit_transform(s.X, s.n, s.D, 0.8, &pr, &err), 0);
    size_t K = 15, n = s.n, C = 3;
    ckr_gmm g;
    assert_int_equal(ckr_gmm_init(&g, K, pr.d, CKR_COV_FULL, 1e-6, &err), 0);
    double *th = malloc(sizeof(double) * n * K);
    ckr_gmm_opts o = ckr_gmm_default_opts();
    ckr_rng r;
    ckr_rng_seed(&r, 21);
    assert_int_equal(ckr_gmm_fit(&g, pr.scores, n, &o, &r, th, NULL, &err), 0);
    double joint[3 * 15] = { 0 }, pz[15] = { 0 }, sum = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t z = 0; z < K; z++)
            joint[(size_t)s.y[i] * K + z] += th[i * K + z];
    for (size_t c = 0; c < C; c++)
        for (size_t z = 0; z < K; z++)
            pz[z] += joint[c * K + z];
    for (size_t i = 0; i < n; i++) {
        double eep = 0.0;
        for (size_t z = 0; z < K; z++)
            if (pz[z] > 0)
                eep += joint[(size_t)s.y[i] * K + z] / pz[z] * th[i * K + z];
        sum += log(eep);
    }
    assert_close(res.score, sum / (double)n, 1e-12);
    free(th);
    ckr_gmm_free(&g);
    ckr_pca_result_free(&pr);
    dataset_free(&s);

    /* and the LEEP used is METHODS.md's worked example */
    const double theta[] = { 0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9 };
    int y[] = { 0, 0, 1, 1 };
    ckr_labels lab = { 4, y, NULL };
    double sc;
    assert_int_equal(ckr_leep_from_probs(theta, 4, 2, CKR_MULTICLASS, &lab, 2, &sc, NULL, &err),
                     0);
    assert_close(sc, -0.3426157064, 1e-9);
}

/* Classes far apart: every component holds one class, NLEEP ~ 0. */
static void test_perfect_features_near_zero(void **state)
{
    (void)state;
    dataset s = make_data(400, 10, 4, 1, 200.0, 6);
    for (int ratio = 1; ratio <= 5; ratio += 4) {
        char ov[32];
        snprintf(ov, sizeof ov, "ratio=%d", ratio);
        ckr_result res = run_nleep(&s, ov, 3);
        assert_string_equal(res.status, "ok");
        /* NLEEP <= 0 in exact arithmetic; here it is 0 up to rounding, and
         * some OpenBLAS kernels (SkylakeX) round it slightly above 0. */
        assert_true(res.score <= 1e-12);
        assert_true(res.score > -1e-6);
    }
    dataset_free(&s);
}

/* No class structure: well below 0, not below -log C by much. */
static void test_random_features_negative(void **state)
{
    (void)state;
    dataset s = make_data(400, 10, 4, 1, 0.0, 7);
    ckr_result res = run_nleep(&s, NULL, 3);
    assert_string_equal(res.status, "ok");
    assert_true(res.score < -0.5);
    assert_true(res.score > -log(4.0) - 0.05);
    dataset_free(&s);
}

static void test_deterministic(void **state)
{
    (void)state;
    dataset s = make_data(500, 20, 5, 2, 1.0, 8);
    ckr_result a = run_nleep(&s, NULL, 42), b = run_nleep(&s, NULL, 42);
    ckr_result c = run_nleep(&s, NULL, 43);
    assert_string_equal(a.status, "ok");
    assert_memory_equal(&a.score, &b.score, sizeof(double));
    assert_string_equal(a.info, b.info);
    assert_string_equal(c.status, "ok"); /* another seed: another (valid) score */
    assert_true(isfinite(c.score));
    dataset_free(&s);
}

static void test_parameters(void **state)
{
    (void)state;
    dataset s = make_data(300, 12, 3, 2, 1.0, 9);
    ckr_result r = run_nleep(&s, "pca=3", 1);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.info, "d=3 K=15"));
    r = run_nleep(&s, "pca=0,ratio=2,cov=diag", 1); /* no PCA */
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.info, "d=12 K=6"));
    assert_non_null(strstr(r.info, "cov=diag"));
    r = run_nleep(&s, "iters=1", 1);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.info, "iters=1 "));
    nleep_refused("ratio=0", "ratio=0 is out of range (must be in [1, 1000000])");
    nleep_refused("pca=-1", "pca=-1 is out of range (must be >= 0)");
    /* the cost estimate is positive and grows with n */
    ckr_params p = make_params(NULL);
    ckr_pair_shape sh = { 1000, 512, 0, 0, 20, CKR_MULTICLASS };
    double c1 = ckr_method_nleep.cost(&sh, &p);
    sh.n = 4000;
    assert_true(c1 > 0 && ckr_method_nleep.cost(&sh, &p) > c1);
    assert_string_equal(ckr_method_nleep.name, "nleep");
    dataset_free(&s);
}

static void test_degenerate_inputs(void **state)
{
    (void)state;
    dataset s = make_data(200, 12, 3, 2, 1.0, 10);
    /* zero-variance columns */
    for (size_t i = 0; i < s.n; i++)
        s.X[i * s.D + 3] = s.X[i * s.D + 7] = 1.25;
    ckr_result r = run_nleep(&s, NULL, 1);
    assert_string_equal(r.status, "ok");
    r = run_nleep(&s, "pca=0", 1);
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    /* duplicated columns */
    for (size_t i = 0; i < s.n; i++)
        s.X[i * s.D + 5] = s.X[i * s.D + 4];
    r = run_nleep(&s, NULL, 1);
    assert_string_equal(r.status, "ok");
    assert_true(isfinite(r.score));
    r = run_nleep(&s, "pca=0", 1);
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    /* every feature constant */
    for (size_t t = 0; t < s.n * s.D; t++)
        s.X[t] = 0.1;
    r = run_nleep(&s, NULL, 1);
    assert_string_equal(r.status, "numerical-error");
    assert_non_null(strstr(r.message, "zero variance"));
    assert_true(isnan(r.score));
    r = run_nleep(&s, "pca=0", 1);
    assert_string_equal(r.status, "numerical-error");
    assert_non_null(strstr(r.message, "zero variance"));
    dataset_free(&s);

    /* fewer samples than 5 C components: K capped at N */
    dataset t = make_data(30, 8, 10, 1, 1.0, 11);
    r = run_nleep(&t, NULL, 1);
    print_message("N < K: %s %.6f %s %s\n", r.status, r.score, r.info, r.message);
    assert_non_null(strstr(r.info, "K=30 (K capped)"));
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    if (strcmp(r.status, "ok") == 0)
        assert_true(isfinite(r.score) && r.score <= 1e-12);
    dataset_free(&t);

    /* two samples; duplicated rows */
    dataset u = make_data(2, 4, 2, 1, 1.0, 12);
    r = run_nleep(&u, NULL, 1);
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    dataset_free(&u);
    dataset v = make_data(60, 6, 3, 1, 1.0, 13);
    for (size_t i = 1; i < v.n; i += 2)
        memcpy(v.X + i * v.D, v.X + (i - 1) * v.D, sizeof(double) * v.D);
    r = run_nleep(&v, "ratio=10", 1); /* K = 30 = the number of distinct rows */
    print_message("duplicated rows: %s %.6f %s %s\n", r.status, r.score, r.info, r.message);
    assert_true(strcmp(r.status, "ok") == 0 || strcmp(r.status, "numerical-error") == 0);
    dataset_free(&v);

    /* missing features, label count mismatch */
    dataset w = make_data(50, 4, 2, 1, 1.0, 14);
    ckr_pair pair = make_pair(&w);
    ckr_params p = make_params(NULL);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result res;
    memset(&res, 0, sizeof res);
    pair.train_features.data = NULL;
    assert_int_not_equal(ckr_method_nleep.score(&pair, &p, &rng, &res), 0);
    assert_string_equal(res.status, "missing-input");
    pair = make_pair(&w);
    pair.train.n = 49;
    assert_int_not_equal(ckr_method_nleep.score(&pair, &p, &rng, &res), 0);
    assert_string_equal(res.status, "bad-data");
    dataset_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_sklearn_full),
        cmocka_unit_test(test_vs_sklearn_mixed),
        cmocka_unit_test(test_vs_sklearn_diag),
        cmocka_unit_test(test_multilabel_vs_sklearn),
        cmocka_unit_test(test_equals_leep_of_posteriors),
        cmocka_unit_test(test_perfect_features_near_zero),
        cmocka_unit_test(test_random_features_negative),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_parameters),
        cmocka_unit_test(test_degenerate_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
