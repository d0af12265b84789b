/* test_mi.c -- the I_alpha bound (value, gradient, limits) and the `mi`
 * method on Gaussian toys whose mutual information is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/method.h"
#include "pairtest.h" /* run_spec, spec_refused */
#include "testutil.h"
#include "train/ibound.h"
#include "train/mi_critic.h"
#include "util/flops.h"

/* The bound straight from the definition (no log-space tricks). */
static double naive_ibound(size_t K, const double *S, const double *b, double alpha)
{
    double N2 = (double)K * (double)(K - 1), marg = 0.0, joint = 0.0;
    double *a = malloc(K * K * sizeof(double));
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++) {
            double s = 0.0;
            for (size_t l = 0; l < K; l++)
                if (l != j)
                    s += exp(S[i * K + l]);
            double m = s / (double)(K - 1);
            a[i * K + j] = log(alpha * m + (1.0 - alpha) * exp(b[i]));
        }
    for (size_t i = 0; i < K; i++)
        for (size_t j = 0; j < K; j++)
            if (i != j) {
                marg += exp(S[i * K + j] - a[i * K + i]);
                joint += S[i * K + i] - a[i * K + j];
            }
    free(a);
    return 1.0 + joint / N2 - marg / N2;
}

static void random_scores(size_t K, double *S, double *b, double scale, ckr_rng *rng)
{
    for (size_t i = 0; i < K * K; i++)
        S[i] = scale * ckr_rng_normal(rng);
    for (size_t i = 0; i < K; i++) {
        S[i * K + i] += scale; /* informative diagonal */
        b[i] = 0.5 * ckr_rng_normal(rng);
    }
}

static void test_ibound_value_matches_definition(void **state)
{
    (void)state;
    enum { K = 9 };
    double S[K * K], b[K], *work = malloc(ckr_ibound_work_size(K) * sizeof(double));
    ckr_rng rng;
    ckr_rng_seed(&rng, 4);
    const double alphas[5] = { 0.0, 0.01, 0.5, 0.9, 1.0 };
    for (int t = 0; t < 5; t++) {
        random_scores(K, S, b, 2.0, &rng);
        double v = ckr_ibound(K, S, b, alphas[t], NULL, NULL, work);
        assert_close(v, naive_ibound(K, S, b, alphas[t]), 1e-12);
    }
    /* an uninformative critic (S = 0, b = 0) gives exactly 0 */
    memset(S, 0, sizeof S);
    memset(b, 0, sizeof b);
    assert_close(ckr_ibound(K, S, b, 0.3, NULL, NULL, work), 0.0, 1e-15);
    /* huge scores: finite where the naive form overflows; shifting every
     * score and baseline by the same constant leaves the alpha=1 bound alone */
    random_scores(K, S, b, 2.0, &rng);
    double ref = ckr_ibound(K, S, b, 1.0, NULL, NULL, work);
    for (int i = 0; i < K * K; i++)
        S[i] += 2000.0;
    double shifted = ckr_ibound(K, S, b, 1.0, NULL, NULL, work);
    assert_true(isfinite(shifted));
    assert_close(shifted, ref, 1e-9);
    /* alpha = 1 is InfoNCE-like: bounded by 1 + log K whatever the critic */
    for (int i = 0; i < K; i++)
        S[i * K + i] += 1e4;
    double capped = ckr_ibound(K, S, b, 1.0, NULL, NULL, work);
    assert_true(capped <= 1.0 + log((double)K) + 1e-9);
    free(work);
}

static void check_gradient(size_t K, double alpha, double scale, double diag, uint64_t seed)
{
    double *S = malloc(K * K * sizeof(double)), *b = malloc(K * sizeof(double));
    double *dS = malloc(K * K * sizeof(double)), *db = malloc(K * sizeof(double));
    double *work = malloc(ckr_ibound_work_size(K) * sizeof(double));
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    random_scores(K, S, b, scale, &rng);
    for (size_t i = 0; i < K; i++)
        S[i * K + i] += diag;
    double f0 = ckr_ibound(K, S, b, alpha, dS, db, work), gmax = 0.0;
    for (size_t i = 0; i < K * K + K; i++)
        gmax = fmax(gmax, fabs(i < K * K ? dS[i] : db[i - K * K]));
    /* error relative to the largest partial derivative: a central difference
     * cannot resolve entries far below it when |f| is large (floor 1e-3) */
    double worst = 0.0;
    for (size_t i = 0; i < K * K + K; i++) {
        double *x = i < K * K ? &S[i] : &b[i - K * K], g = i < K * K ? dS[i] : db[i - K * K];
        double h = 1e-5 * (1.0 + fabs(*x)), keep = *x;
        *x = keep + h;
        double fp = ckr_ibound(K, S, b, alpha, NULL, NULL, work);
        *x = keep - h;
        double fm = ckr_ibound(K, S, b, alpha, NULL, NULL, work);
        *x = keep;
        double fd = (fp - fm) / (2.0 * h);
        worst = fmax(worst, fabs(fd - g) / fmax(gmax, 1e-3));
    }
    print_message("K=%zu alpha=%g scale=%g: I=%.4g, max |g|=%.3g, max gradient error / max |g| "
                  "%.2e\n", K, alpha, scale, f0, gmax, worst);
    assert_true(worst < 1e-6);
    free(S);
    free(b);
    free(dS);
    free(db);
    free(work);
}

static void test_ibound_gradient(void **state)
{
    (void)state;
    check_gradient(6, 0.01, 1.0, 0.0, 1);
    check_gradient(6, 0.5, 2.0, 0.0, 2);
    check_gradient(7, 0.0, 1.0, 0.0, 3);
    check_gradient(7, 1.0, 1.5, 0.0, 4);
    check_gradient(2, 0.3, 1.0, 0.0, 5);
    check_gradient(8, 0.5, 12.0, 0.0, 6);
    /* a diagonal so dominant that exp(S_ij - S_ii) underflows: the
     * leave-one-out sum without the row maximum must still be right */
    check_gradient(5, 0.5, 1.0, 800.0, 7);
    check_gradient(5, 1.0, 1.0, 800.0, 8);
}

/* ---- critic training on the correlated Gaussian (closed-form MI) ---------- */

/* x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) e: I(X; Y) = -d/2 log(1 - rho^2). */
static void gaussian_pairs(size_t n, size_t d, double rho, ckr_rng *rng, double *X, double *Y)
{
    double s = sqrt(1.0 - rho * rho);
    for (size_t i = 0; i < n * d; i++) {
        X[i] = ckr_rng_normal(rng);
        Y[i] = rho * X[i] + s * ckr_rng_normal(rng);
    }
}

static void test_critic_gaussian_known_mi(void **state)
{
    (void)state;
    enum { NTR = 20000, NEV = 4000, D = 2 };
    double true_mi = 1.0, rho = sqrt(1.0 - exp(-2.0 * true_mi / D));
    double *X = malloc((NTR + NEV) * D * sizeof(double));
    double *Y = malloc((NTR + NEV) * D * sizeof(double));
    ckr_rng rng;
    ckr_rng_seed(&rng, 21);
    gaussian_pairs(NTR + NEV, D, rho, &rng, X, Y);
    ckr_ds xtr = { .X = X, .D = D, .n = NTR }, ytr = { .X = Y, .D = D, .n = NTR };
    ckr_ds xev = { .X = X + NTR * D, .D = D, .n = NEV }, yev = { .X = Y + NTR * D, .D = D,
                                                                   .n = NEV };
    const double alphas[2] = { 0.5, 0.01 };
    for (int t = 0; t < 2; t++) {
        ckr_mi_opts o = { .alpha = alphas[t], .batch = 128, .steps = 2000, .lr = 2e-3,
                          .hidden = 64, .embed = 16, .layers = 2, .eval_batches = 30 };
        ckr_mi_result r;
        ckr_err err = { 0, "" };
        ckr_rng_seed(&rng, 100 + (uint64_t)t);
        assert_int_equal(ckr_mi_estimate(&xtr, &ytr, NULL, NULL, &xev, &yev, &o, &rng, &r, &err),
                         0);
        assert_int_equal(r.steps_run, 2000);
        print_message("alpha=%g: estimate %.4f (sd %.3f, train %.4f), true %.4f\n", alphas[t],
                      r.estimate, r.sd, r.train_bound, true_mi);
        assert_close(r.estimate, true_mi, 0.12);
        assert_int_equal(r.K_eval, 128);
        assert_int_equal(r.n_eval_batches, 30);
    }
    free(X);
    free(Y);
}

/* ---- the `mi` method on labels ------------------------------------------ */

/* C classes, x | y ~ N(sep * e_y, I_D) (e_y the y-th unit vector, y < D).
 * True I(X; Y) = log C + E[log p(y | x)] by Monte Carlo with the exact
 * posterior (uniform classes). */
static double mixture_mi(int C, size_t D, double sep, ckr_rng *rng)
{
    enum { M = 400000 };
    double acc = 0.0, *x = malloc(D * sizeof(double)), *lp = malloc((size_t)C * sizeof(double));
    for (int s = 0; s < M; s++) {
        int y = (int)ckr_rng_below(rng, (uint64_t)C);
        for (size_t d = 0; d < D; d++)
            x[d] = ckr_rng_normal(rng) + ((int)d == y ? sep : 0.0);
        double mx = -INFINITY;
        for (int c = 0; c < C; c++) {
            lp[c] = sep * x[c] - 0.5 * sep * sep; /* log N(x; sep e_c) + const */
            mx = fmax(mx, lp[c]);
        }
        double z = 0.0;
        for (int c = 0; c < C; c++)
            z += exp(lp[c] - mx);
        acc += lp[y] - mx - log(z);
    }
    free(x);
    free(lp);
    return log((double)C) + acc / M;
}

typedef struct mix_pair {
    ckr_pair pair;
    double *X, *Xv;
    int *y, *yv;
} mix_pair;

static void make_mixture(mix_pair *m, int C, size_t D, double sep, size_t n, size_t nv,
                         ckr_rng *rng)
{
    memset(m, 0, sizeof *m);
    m->X = malloc(n * D * sizeof(double));
    m->Xv = malloc((nv ? nv : 1) * D * sizeof(double));
    m->y = malloc(n * sizeof(int));
    m->yv = malloc((nv ? nv : 1) * sizeof(int));
    for (size_t i = 0; i < n + nv; i++) {
        int y = (int)ckr_rng_below(rng, (uint64_t)C);
        double *x = i < n ? m->X + i * D : m->Xv + (i - n) * D;
        for (size_t d = 0; d < D; d++)
            x[d] = ckr_rng_normal(rng) + ((int)d == y ? sep : 0.0);
        if (i < n)
            m->y[i] = y;
        else
            m->yv[i - n] = y;
    }
    m->pair.ckpt = "c";
    m->pair.task = "t";
    m->pair.kind = CKR_MULTICLASS;
    m->pair.num_classes = C;
    m->pair.train = (ckr_labels){ n, m->y, NULL };
    m->pair.train_features = (ckr_matrix){ n, D, m->X };
    if (nv) {
        m->pair.val = (ckr_labels){ nv, m->yv, NULL };
        m->pair.val_features = (ckr_matrix){ nv, D, m->Xv };
    }
}

static void free_mixture(mix_pair *m)
{
    free(m->X);
    free(m->Xv);
    free(m->y);
    free(m->yv);
}

static void test_method_mixture_close_to_true_mi(void **state)
{
    (void)state;
    enum { C = 4, D = 4 };
    ckr_rng rng;
    ckr_rng_seed(&rng, 8);
    double sep = 2.0, truth = mixture_mi(C, D, sep, &rng);
    mix_pair m;
    make_mixture(&m, C, D, sep, 6000, 2000, &rng);
    const char *specs[2] = { "mi:alpha=0.5,steps=1500", "mi:alpha=0.01,steps=1500" };
    for (int t = 0; t < 2; t++) {
        ckr_flops_reset();
        ckr_result r = run_spec(specs[t], &m.pair, 77);
        print_message("%s: %.4f (true %.4f, log C %.4f) [%s]\n", specs[t], r.score, truth,
                      log((double)C), r.info);
        assert_string_equal(r.status, "ok");
        assert_true(r.score < log((double)C));
        assert_close(r.score, truth, 0.1);
        assert_true(isnan(r.heldout)); /* no classifier, no held-out accuracy */
        assert_non_null(strstr(r.info, "eval=val"));
        /* FLOPs measured: at least forward + backward of the x tower per step run */
        unsigned long run = 0, cap = 0;
        const char *st = strstr(r.info, "steps=");
        assert_non_null(st);
        assert_int_equal(sscanf(st, "steps=%lu/%lu", &run, &cap), 2);
        assert_true(run >= 20 && run <= cap && cap == 1500);
        assert_true(ckr_flops_get() > (double)run * 2.0 * 2 * 128 * (D * 128.0 + 128 * 128));
    }
    free_mixture(&m);
}

/* Perfectly separable classes: I = H(Y) = log C; the bound approaches it and
 * stays below it up to its own sampling error (it is a mean over evaluation
 * batches: 3 standard errors of that mean). Without a val split the 20%
 * hold-out is used. */
static void test_method_separable_below_log_c(void **state)
{
    (void)state;
    enum { C = 3, D = 3 };
    ckr_rng rng;
    ckr_rng_seed(&rng, 12);
    mix_pair m;
    make_mixture(&m, C, D, 12.0, 3000, 0, &rng);
    ckr_result r = run_spec("mi:alpha=0.5,steps=800", &m.pair, 5);
    print_message("separable: %.4f (log C %.4f) [%s]\n", r.score, log(3.0), r.info);
    assert_string_equal(r.status, "ok");
    unsigned long nb = 0, kb = 0;
    double sd = NAN;
    const char *bt = strstr(r.info, "batches="), *sdt = strstr(r.info, " sd=");
    assert_non_null(bt);
    assert_non_null(sdt);
    assert_int_equal(sscanf(bt, "batches=%lux%lu", &nb, &kb), 2);
    assert_int_equal(sscanf(sdt, " sd=%lf", &sd), 1);
    assert_true(nb >= 8 && sd >= 0 && sd < 0.05);
    assert_true(r.score < log((double)C) + 3.0 * sd / sqrt((double)nb));
    assert_true(r.score > 0.8 * log((double)C));
    assert_non_null(strstr(r.info, "eval=holdout=20%"));
    /* labels independent of the features: the bound is near 0 */
    for (size_t i = 0; i < m.pair.train.n; i++)
        m.y[i] = (int)ckr_rng_below(&rng, C);
    r = run_spec("mi:alpha=0.5,steps=800", &m.pair, 5);
    print_message("independent: %.4f\n", r.score);
    assert_string_equal(r.status, "ok");
    assert_true(fabs(r.score) < 0.05);
    free_mixture(&m);
}

static void test_method_pca_and_determinism(void **state)
{
    (void)state;
    enum { C = 3, D = 6 };
    ckr_rng rng;
    ckr_rng_seed(&rng, 13);
    mix_pair m;
    make_mixture(&m, C, D, 2.5, 1500, 500, &rng);
    ckr_result a = run_spec("mi:pca=0.5,steps=300", &m.pair, 3);
    ckr_result b = run_spec("mi:pca=0.5,steps=300", &m.pair, 3);
    ckr_result c = run_spec("mi:pca=2,steps=300", &m.pair, 3);
    ckr_result d = run_spec("mi:pca=2,steps=300", &m.pair, 4);
    print_message("pca: %s | %s\n", a.info, c.info);
    assert_string_equal(a.status, "ok");
    assert_memory_equal(&a.score, &b.score, sizeof(double)); /* bit-identical */
    assert_non_null(strstr(c.info, "d=2/6"));
    assert_true(c.score != d.score); /* another seed, another estimate */
    /* bad parameters are refused */
    spec_refused("mi:alpha=1.5", "alpha=1.5 is out of range (must be in [0, 1])");
    spec_refused("mi:batch=1", "batch=1 is out of range (must be >= 2)");
    free_mixture(&m);
}

static void test_mi_cost_positive(void **state)
{
    (void)state;
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("mi:steps=100", &spec, &err), 0);
    ckr_pair_shape s = { .n = 1000, .d = 64, .n_val = 200, .num_classes = 10 };
    double c100 = spec.method->cost(&s, &spec.params);
    assert_int_equal(ckr_spec_parse("mi:steps=1000", &spec, &err), 0);
    double c1000 = spec.method->cost(&s, &spec.params);
    assert_true(c100 > 0 && c1000 > 5 * c100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ibound_value_matches_definition),
        cmocka_unit_test(test_ibound_gradient),
        cmocka_unit_test(test_critic_gaussian_known_mi),
        cmocka_unit_test(test_method_mixture_close_to_true_mi),
        cmocka_unit_test(test_method_separable_below_log_c),
        cmocka_unit_test(test_method_pca_and_determinism),
        cmocka_unit_test(test_mi_cost_positive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
