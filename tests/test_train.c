/* test_train.c -- the small trainer: gradients against finite differences,
 * losses and metrics against hand / scikit-learn values, optimizers reaching
 * known optima, schedules, batching and splits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "train/batcher.h"
#include "train/classifier.h"
#include "train/dataset.h"
#include "train/lbfgs.h"
#include "train/loss.h"
#include "train/mlp.h"
#include "train/optim.h"
#include "util/flops.h"

/* ---- finite-difference gradient checks ---------------------------------- */

typedef struct fd_problem {
    ckr_clf clf;
    ckr_ds ds;
} fd_problem;

static double objective_at(fd_problem *p, const double *theta, double *g)
{
    double f = NAN;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_clf_objective(&p->clf, &p->ds, theta, &f, g, &err), 0);
    return f;
}

/* Central differences on every parameter; max relative error. */
static double fd_check(fd_problem *p)
{
    size_t n = p->clf.net.nparams;
    double *th = malloc(n * sizeof(double)), *g = malloc(n * sizeof(double));
    memcpy(th, p->clf.theta, n * sizeof(double));
    objective_at(p, th, g);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double h = 1e-6 * (1.0 + fabs(th[i])), keep = th[i];
        th[i] = keep + h;
        double fp = objective_at(p, th, NULL);
        th[i] = keep - h;
        double fm = objective_at(p, th, NULL);
        th[i] = keep;
        double fd = (fp - fm) / (2.0 * h);
        double rel = fabs(fd - g[i]) / fmax(1e-4, fabs(fd) + fabs(g[i]));
        worst = fmax(worst, rel);
    }
    free(th);
    free(g);
    return worst;
}

static void random_matrix(double *X, size_t n, double scale, ckr_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        X[i] = scale * ckr_rng_normal(rng);
}

static void gradcheck(int L, const size_t *dim, ckr_task_kind kind, double l2, size_t N,
                      size_t max_batch, int standardize)
{
    ckr_rng rng;
    ckr_rng_seed(&rng, 7 + (uint64_t)L);
    size_t D = dim[0], C = dim[L];
    double *X = malloc(N * D * sizeof(double));
    int *y = malloc(N * sizeof(int));
    uint8_t *Y = malloc(N * C);
    random_matrix(X, N * D, 2.0, &rng);
    for (size_t i = 0; i < N; i++) {
        y[i] = (int)ckr_rng_below(&rng, C);
        for (size_t c = 0; c < C; c++)
            Y[i * C + c] = ckr_rng_uniform(&rng) < 0.4;
    }
    fd_problem p;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_clf_create(&p.clf, L, dim, kind, l2, max_batch, &err), 0);
    ckr_mlp_init(&p.clf.net, p.clf.theta, &rng, 0);
    for (size_t i = 0; i < p.clf.net.nparams; i++) /* non-zero biases too */
        p.clf.theta[i] += 0.1 * ckr_rng_normal(&rng);
    p.ds = (ckr_ds){ .X = X, .D = D, .n = N, .kind = kind, .C = (int)C, .y = y, .Y = Y };
    double mu[16], isd[16];
    if (standardize) {
        assert_int_equal(ckr_ds_moments(&p.ds, mu, isd, &err), 0);
        p.ds.mu = mu;
        p.ds.isd = isd;
    }
    double worst = fd_check(&p);
    print_message("L=%d kind=%d l2=%g: max relative gradient error %.2e\n", L, (int)kind, l2,
                  worst);
    assert_true(worst < 1e-6);
    ckr_clf_destroy(&p.clf);
    free(X);
    free(y);
    free(Y);
}

static void test_grad_linear_softmax(void **state)
{
    (void)state;
    size_t dim[2] = { 5, 4 };
    gradcheck(1, dim, CKR_MULTICLASS, 0.3, 23, 7, 1);
}

static void test_grad_mlp_softmax(void **state)
{
    (void)state;
    size_t dim[4] = { 6, 8, 5, 3 };
    gradcheck(3, dim, CKR_MULTICLASS, 0.05, 19, 8, 0);
}

static void test_grad_mlp_sigmoid(void **state)
{
    (void)state;
    size_t dim[3] = { 4, 7, 5 };
    gradcheck(2, dim, CKR_MULTILABEL, 0.1, 17, 5, 1);
}

/* ---- losses and metrics ------------------------------------------------- */

static void test_softmax_xent_values(void **state)
{
    (void)state;
    /* hand values: logits (0, 0) -> log 2; huge logits must not overflow */
    double Z[6] = { 0.0, 0.0, 1000.0, 0.0, -1000.0, 2.0 }, dZ[6];
    int y[3] = { 1, 1, 0 };
    double tot = ckr_softmax_xent(Z, 3, 2, y, 1.0, dZ);
    double expect = log(2.0) + 1000.0 + (1002.0 + log1p(exp(-1002.0)));
    assert_close(tot, expect, 1e-12);
    assert_close(dZ[0], 0.5, 1e-15);
    assert_close(dZ[1], -0.5, 1e-15);
    assert_close(dZ[2], 1.0, 1e-15);
    assert_close(dZ[3], -1.0, 1e-15);
    assert_close(dZ[4], -1.0, 1e-15);
    assert_close(dZ[5], 1.0, 1e-15);
}

static void test_sigmoid_bce_values(void **state)
{
    (void)state;
    double Z[4] = { 0.0, 800.0, -800.0, 1.5 }, dZ[4];
    uint8_t T[4] = { 1, 0, 0, 1 };
    double tot = ckr_sigmoid_bce(Z, 1, 4, T, 2.0, dZ);
    double expect = log(2.0) + 800.0 + 0.0 + log1p(exp(-1.5));
    assert_close(tot, expect, 1e-12);
    assert_close(dZ[0], 2.0 * (0.5 - 1.0), 1e-15);
    assert_close(dZ[1], 2.0, 1e-15);
    assert_close(dZ[2], 0.0, 1e-15);
    assert_close(dZ[3], 2.0 * (1.0 / (1.0 + exp(-1.5)) - 1.0), 1e-14);
}

static void test_count_correct_first_max(void **state)
{
    (void)state;
    double Z[6] = { 1, 3, 3, 5, 5, 0 };
    int y[2] = { 1, 0 };
    assert_int_equal(ckr_count_correct(Z, 2, 3, y), 2);
    int y2[2] = { 2, 1 };
    assert_int_equal(ckr_count_correct(Z, 2, 3, y2), 0);
}

/* AP with ties against scikit-learn's average_precision_score. */
static void test_average_precision_vs_sklearn(void **state)
{
    (void)state;
    enum { N = 60, C = 3 };
    double S[N * C];
    uint8_t T[N * C];
    ckr_rng rng;
    ckr_rng_seed(&rng, 3);
    const char *dir = ckr_test_tmpdir();
    char path[300], cmd[1200];
    snprintf(path, sizeof path, "%s/ap.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < N; i++) {
        for (int c = 0; c < C; c++) {
            T[i * C + c] = ckr_rng_uniform(&rng) < 0.3 + 0.2 * c;
            /* rounded scores: many ties */
            S[i * C + c] = round(4.0 * (ckr_rng_normal(&rng) + T[i * C + c])) / 4.0;
        }
        for (int c = 0; c < C; c++)
            fprintf(f, "%d ", T[i * C + c]);
        for (int c = 0; c < C; c++)
            fprintf(f, "%.17g ", S[i * C + c]);
        fprintf(f, "\n");
    }
    fclose(f);
    snprintf(cmd, sizeof cmd,
             CKR_PY " -c \"import numpy as np; from sklearn.metrics import average_precision_score"
             " as ap\na=np.loadtxt('%s'); T=a[:,:3]; S=a[:,3:]\n"
             "print(' '.join(repr(ap(T[:,c],S[:,c])) for c in range(3)),"
             " repr(ap(T,S,average='macro')))\" > %s.out",
             path, path);
    assert_int_equal(ckr_test_sh(cmd), 0);
    char out[320];
    snprintf(out, sizeof out, "%s.out", path);
    f = fopen(out, "r");
    double ref[4];
    for (int k = 0; k < 4; k++)
        assert_int_equal(fscanf(f, "%lf", &ref[k]), 1);
    fclose(f);
    size_t scratch[2 * N];
    for (int c = 0; c < C; c++)
        assert_close(ckr_average_precision(S + c, T + c, N, C, scratch), ref[c], 1e-12);
    size_t used = 0;
    assert_close(ckr_mean_average_precision(S, T, N, C, &used), ref[3], 1e-12);
    assert_int_equal(used, C);
    /* a label without positives is skipped */
    uint8_t T0[4] = { 0, 1, 0, 0 };
    double S0[4] = { 0.1, 0.9, 0.2, 0.3 };
    assert_close(ckr_mean_average_precision(S0, T0, 2, 2, &used), 1.0, 1e-15);
    assert_int_equal(used, 1);
}

/* ---- optimizers ---------------------------------------------------------- */

static void test_step_decay_schedule(void **state)
{
    (void)state;
    /* T = 10: boundaries 3, 6, 9; tf piecewise_constant uses t > b */
    double expect[10] = { 1, 1, 1, 1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01 };
    for (size_t t = 0; t < 10; t++)
        assert_close(ckr_lr_at(1.0, CKR_LR_STEP, t, 10), expect[t], 1e-15);
    /* VTAB example: 2500 steps decay after 750, 1500, 2250 */
    assert_close(ckr_lr_at(0.5, CKR_LR_STEP, 750, 2500), 0.5, 1e-15);
    assert_close(ckr_lr_at(0.5, CKR_LR_STEP, 751, 2500), 0.05, 1e-15);
    assert_close(ckr_lr_at(0.5, CKR_LR_STEP, 2251, 2500), 0.0005, 1e-15);
    assert_close(ckr_lr_at(0.5, CKR_LR_CONSTANT, 2400, 2500), 0.5, 1e-15);
}

static void test_sgd_momentum_update(void **state)
{
    (void)state;
    ckr_sgd o;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_sgd_init(&o, 1, 0.1, 0.9, CKR_LR_CONSTANT, 10, &err), 0);
    double th = 1.0, g = 2.0;
    ckr_sgd_step(&o, &th, &g); /* v = 2, th = 1 - 0.2 */
    assert_close(th, 0.8, 1e-15);
    ckr_sgd_step(&o, &th, &g); /* v = 0.9 * 2 + 2 = 3.8, th = 0.8 - 0.38 */
    assert_close(th, 0.42, 1e-15);
    ckr_sgd_free(&o);
}

/* Adam: first step moves each coordinate by lr * sign(g); then minimises a
 * badly scaled quadratic. */
static void test_adam_quadratic(void **state)
{
    (void)state;
    ckr_adam o;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_adam_init(&o, 2, 0.01, &err), 0);
    double th[2] = { 1.0, -2.0 }, g[2];
    g[0] = 100.0 * (th[0] - 0.5);
    g[1] = 0.01 * (th[1] - 0.25);
    ckr_adam_step(&o, th, g);
    assert_close(th[0], 1.0 - 0.01, 1e-9);
    assert_close(th[1], -2.0 + 0.01, 1e-6);
    for (int t = 0; t < 20000; t++) {
        g[0] = 100.0 * (th[0] - 0.5);
        g[1] = 0.01 * (th[1] - 0.25);
        ckr_adam_step(&o, th, g);
    }
    assert_close(th[0], 0.5, 1e-3);
    assert_close(th[1], 0.25, 1e-3);
    ckr_adam_free(&o);
}

static int rosenbrock(void *ctx, const double *x, double *f, double *g, ckr_err *err)
{
    (void)ctx;
    (void)err;
    double a = 1.0 - x[0], b = x[1] - x[0] * x[0];
    *f = a * a + 100.0 * b * b;
    g[0] = -2.0 * a - 400.0 * x[0] * b;
    g[1] = 200.0 * b;
    return 0;
}

static void test_lbfgs_rosenbrock(void **state)
{
    (void)state;
    double x[2] = { -1.2, 1.0 };
    ckr_lbfgs_opts o;
    ckr_lbfgs_defaults(&o);
    o.gtol = 1e-9;
    ckr_lbfgs_info info;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_lbfgs(2, x, rosenbrock, NULL, &o, &info, &err), 0);
    assert_true(info.converged);
    assert_close(x[0], 1.0, 1e-6);
    assert_close(x[1], 1.0, 1e-6);
    assert_true(info.iters < 200);
}

/* ---- the trainer on separable toys with known optima --------------------- */

/* Two points x = +1 (class 1) and x = -1 (class 0), 2-class softmax, L2 on
 * W. By symmetry the optimum is W = (-a, a), b0 = b1, with
 * a = argmin log(1 + exp(-2a)) + l2 a^2, i.e. a (1 + exp(2a)) = 1 / l2. */
static double toy_optimum(double l2)
{
    double lo = 0.0, hi = 50.0;
    for (int i = 0; i < 200; i++) {
        double a = 0.5 * (lo + hi);
        if (a * (1.0 + exp(2.0 * a)) < 1.0 / l2)
            lo = a;
        else
            hi = a;
    }
    return 0.5 * (lo + hi);
}

static void make_toy(ckr_clf *c, ckr_ds *ds, double *X, int *y, double l2)
{
    X[0] = 1.0;
    X[1] = -1.0;
    y[0] = 1;
    y[1] = 0;
    *ds = (ckr_ds){ .X = X, .D = 1, .n = 2, .kind = CKR_MULTICLASS, .C = 2, .y = y };
    size_t dim[2] = { 1, 2 };
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_clf_create(c, 1, dim, CKR_MULTICLASS, l2, 2, &err), 0);
}

static void test_toy_optimum_lbfgs_and_sgd(void **state)
{
    (void)state;
    double l2 = 0.05, a = toy_optimum(l2), X[2];
    int y[2];
    ckr_clf c;
    ckr_ds ds;
    ckr_err err = { 0, "" };
    make_toy(&c, &ds, X, y, l2);
    ckr_lbfgs_opts o;
    ckr_lbfgs_defaults(&o);
    o.gtol = 1e-10;
    ckr_lbfgs_info info;
    assert_int_equal(ckr_clf_train_lbfgs(&c, &ds, &o, &info, &err), 0);
    /* theta = W (1 x 2) then b (2) */
    assert_close(c.theta[0], -a, 1e-8);
    assert_close(c.theta[1], a, 1e-8);
    assert_close(c.theta[2] - c.theta[3], 0.0, 1e-8);
    ckr_clf_destroy(&c);

    make_toy(&c, &ds, X, y, l2);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_sgd_opts so = { .lr = 0.1, .momentum = 0.9, .batch = 2, .steps = 3000,
                        .sched = CKR_LR_CONSTANT };
    ckr_sgd_stats st;
    assert_int_equal(ckr_clf_train_sgd(&c, &ds, &so, &rng, &st, &err), 0);
    assert_int_equal(st.steps, 3000);
    assert_close(c.theta[0], -a, 1e-6);
    assert_close(c.theta[1], a, 1e-6);
    ckr_clf_destroy(&c);
}

/* Linearly separable Gaussian blobs: SGD reaches zero training error and a
 * vanishing loss; evaluation reports accuracy 1 on fresh samples. */
static void test_sgd_separable_blobs(void **state)
{
    (void)state;
    enum { N = 600, D = 6, C = 3 };
    static double X[N * D], Xv[N * D];
    static int y[N], yv[N];
    ckr_rng rng;
    ckr_rng_seed(&rng, 11);
    for (int i = 0; i < N; i++) {
        y[i] = i % C;
        yv[i] = (i + 1) % C;
        for (int d = 0; d < D; d++) {
            X[i * D + d] = 0.3 * ckr_rng_normal(&rng) + (d == y[i] ? 4.0 : 0.0);
            Xv[i * D + d] = 0.3 * ckr_rng_normal(&rng) + (d == yv[i] ? 4.0 : 0.0);
        }
    }
    ckr_ds tr = { .X = X, .D = D, .n = N, .kind = CKR_MULTICLASS, .C = C, .y = y };
    ckr_ds va = { .X = Xv, .D = D, .n = N, .kind = CKR_MULTICLASS, .C = C, .y = yv };
    size_t dim[3] = { D, 16, C };
    ckr_clf c;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_clf_create(&c, 2, dim, CKR_MULTICLASS, 0.0, 64, &err), 0);
    ckr_mlp_init(&c.net, c.theta, &rng, 1);
    ckr_sgd_opts so = { .lr = 0.05, .momentum = 0.9, .batch = 64, .steps = 400,
                        .sched = CKR_LR_STEP };
    ckr_sgd_stats st;
    ckr_flops_reset();
    assert_int_equal(ckr_clf_train_sgd(&c, &tr, &so, &rng, &st, &err), 0);
    /* forward + backward of 400 batches of 64 through 6-16-3 at least */
    double fwd = 2.0 * (D * 16 + 16 * C) * 64.0 * 400.0;
    assert_true(ckr_flops_get() >= 2.5 * fwd);
    assert_int_equal(st.epochs, (400 + 9) / 10);
    assert_true(st.last_loss < 0.01);
    ckr_clf_eval ev;
    assert_int_equal(ckr_clf_evaluate(&c, &va, &ev, &err), 0);
    assert_close(ev.metric, 1.0, 1e-15);
    assert_true(ev.loss < 0.01);
    ckr_clf_destroy(&c);
}

/* A learning rate far too large makes the loss non-finite: reported, not hidden. */
static void test_divergence_detected(void **state)
{
    (void)state;
    double X[4] = { 1e150, -1e150, 3e150, -2e150 };
    int y[4] = { 0, 1, 0, 1 };
    ckr_ds ds = { .X = X, .D = 1, .n = 4, .kind = CKR_MULTICLASS, .C = 2, .y = y };
    size_t dim[2] = { 1, 2 };
    ckr_clf c;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_clf_create(&c, 1, dim, CKR_MULTICLASS, 0.0, 4, &err), 0);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_sgd_opts so = { .lr = 1e200, .momentum = 0.9, .batch = 2, .steps = 50,
                        .sched = CKR_LR_CONSTANT };
    ckr_sgd_stats st;
    assert_int_equal(ckr_clf_train_sgd(&c, &ds, &so, &rng, &st, &err), CKR_ENUM);
    assert_true(c.diverged);
    assert_non_null(strstr(err.msg, "diverged"));
    ckr_clf_destroy(&c);
}

/* ---- batching, splits, standardisation ---------------------------------- */

static void test_batcher_epochs(void **state)
{
    (void)state;
    ckr_rng r1, r2;
    ckr_rng_seed(&r1, 5);
    ckr_rng_seed(&r2, 5);
    ckr_batcher b1, b2;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_batcher_init(&b1, 10, 4, 0, &r1, &err), 0);
    assert_int_equal(ckr_batcher_init(&b2, 10, 4, 0, &r2, &err), 0);
    assert_int_equal(ckr_steps_per_epoch(10, 4), 3);
    size_t sizes[3] = { 4, 4, 2 };
    for (int e = 0; e < 3; e++) {
        int seen[10] = { 0 };
        for (int s = 0; s < 3; s++) {
            const size_t *p1, *p2;
            size_t B1 = ckr_batcher_next(&b1, &p1), B2 = ckr_batcher_next(&b2, &p2);
            assert_int_equal(B1, sizes[s]);
            assert_int_equal(B2, B1);
            for (size_t i = 0; i < B1; i++) {
                assert_int_equal(p1[i], p2[i]); /* same seed, same order */
                seen[p1[i]]++;
            }
        }
        for (int i = 0; i < 10; i++)
            assert_int_equal(seen[i], 1); /* each epoch is a permutation */
    }
    ckr_batcher_free(&b1);
    ckr_batcher_free(&b2);
    /* drop_last: always full batches */
    assert_int_equal(ckr_batcher_init(&b1, 10, 4, 1, &r1, &err), 0);
    for (int s = 0; s < 7; s++) {
        const size_t *p;
        assert_int_equal(ckr_batcher_next(&b1, &p), 4);
    }
    assert_int_equal(b1.epoch, 4);
    ckr_batcher_free(&b1);
    assert_int_equal(ckr_batcher_init(&b1, 3, 4, 1, &r1, &err), CKR_EARG);
}

static void test_stratified_holdout(void **state)
{
    (void)state;
    enum { N = 103 };
    int y[N];
    size_t count[4] = { 0 };
    for (int i = 0; i < N; i++) {
        y[i] = i < 50 ? 0 : i < 80 ? 1 : i < 101 ? 2 : 3; /* 50, 30, 21, 2 */
        count[y[i]]++;
    }
    ckr_rng rng;
    ckr_rng_seed(&rng, 9);
    size_t *tr, *ho, ntr, nho;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_holdout_split(N, y, 4, 0.2, &rng, &tr, &ntr, &ho, &nho, &err), 0);
    /* per class floor(0.2 n + 0.5): 10, 6, 4, 0 */
    size_t per[4] = { 0 };
    for (size_t i = 0; i < nho; i++)
        per[y[ho[i]]]++;
    assert_int_equal(per[0], 10);
    assert_int_equal(per[1], 6);
    assert_int_equal(per[2], 4);
    assert_int_equal(per[3], 0);
    assert_int_equal(ntr + nho, N);
    /* disjoint, sorted, complete */
    int mark[N] = { 0 };
    for (size_t i = 0; i < ntr; i++) {
        mark[tr[i]]++;
        if (i)
            assert_true(tr[i] > tr[i - 1]);
    }
    for (size_t i = 0; i < nho; i++)
        mark[ho[i]]++;
    for (int i = 0; i < N; i++)
        assert_int_equal(mark[i], 1);
    /* same seed => same split; another seed => another split */
    size_t *tr2, *ho2, ntr2, nho2;
    ckr_rng_seed(&rng, 9);
    assert_int_equal(ckr_holdout_split(N, y, 4, 0.2, &rng, &tr2, &ntr2, &ho2, &nho2, &err), 0);
    assert_int_equal(nho2, nho);
    assert_memory_equal(ho, ho2, nho * sizeof(size_t));
    free(tr2);
    free(ho2);
    ckr_rng_seed(&rng, 10);
    assert_int_equal(ckr_holdout_split(N, y, 4, 0.2, &rng, &tr2, &ntr2, &ho2, &nho2, &err), 0);
    assert_true(nho2 != nho || memcmp(ho, ho2, nho * sizeof(size_t)) != 0);
    free(tr);
    free(ho);
    free(tr2);
    free(ho2);
    /* multilabel (no y): plain 20%; tiny sets keep both sides non-empty */
    assert_int_equal(ckr_holdout_split(10, NULL, 3, 0.2, &rng, &tr, &ntr, &ho, &nho, &err), 0);
    assert_int_equal(nho, 2);
    free(tr);
    free(ho);
    int y2[2] = { 0, 1 };
    assert_int_equal(ckr_holdout_split(2, y2, 2, 0.2, &rng, &tr, &ntr, &ho, &nho, &err), 0);
    assert_int_equal(nho, 1);
    assert_int_equal(ntr, 1);
    free(tr);
    free(ho);
    int bad[3] = { 0, 5, 1 };
    assert_int_equal(ckr_holdout_split(3, bad, 2, 0.2, &rng, &tr, &ntr, &ho, &nho, &err),
                     CKR_EDATA);
}

static void test_standardized_gather(void **state)
{
    (void)state;
    enum { N = 50, D = 3 };
    double X[N * D];
    size_t idx[N / 2];
    ckr_rng rng;
    ckr_rng_seed(&rng, 2);
    for (int i = 0; i < N; i++) {
        X[i * D + 0] = 5.0 + 3.0 * ckr_rng_normal(&rng);
        X[i * D + 1] = -2.0;                       /* constant column */
        X[i * D + 2] = 1e6 + ckr_rng_normal(&rng); /* large offset */
    }
    for (int i = 0; i < N / 2; i++)
        idx[i] = (size_t)(2 * i + 1); /* odd rows */
    ckr_ds ds = { .X = X, .D = D, .idx = idx, .n = N / 2 };
    double mu[D], isd[D], out[N / 2 * D];
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_ds_moments(&ds, mu, isd, &err), 0);
    ds.mu = mu;
    ds.isd = isd;
    assert_close(isd[1], 1.0, 0);
    ckr_ds_gather(&ds, NULL, 0, N / 2, out);
    for (int d = 0; d < D; d++) {
        double s = 0, s2 = 0;
        for (int i = 0; i < N / 2; i++) {
            s += out[i * D + d];
            s2 += out[i * D + d] * out[i * D + d];
        }
        assert_close(s / (N / 2), 0.0, 1e-9);
        assert_close(s2 / (N / 2), d == 1 ? 0.0 : 1.0, 1e-9);
    }
    /* label-only views give one-hot rows */
    int y[2] = { 2, 0 };
    ckr_ds lv = { .n = 2, .kind = CKR_MULTICLASS, .C = 3, .y = y };
    double oh[6];
    assert_int_equal(ckr_ds_input_dim(&lv), 3);
    ckr_ds_gather(&lv, NULL, 0, 2, oh);
    double expect[6] = { 0, 0, 1, 1, 0, 0 };
    assert_memory_equal(oh, expect, sizeof oh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grad_linear_softmax),
        cmocka_unit_test(test_grad_mlp_softmax),
        cmocka_unit_test(test_grad_mlp_sigmoid),
        cmocka_unit_test(test_softmax_xent_values),
        cmocka_unit_test(test_sigmoid_bce_values),
        cmocka_unit_test(test_count_correct_first_max),
        cmocka_unit_test(test_average_precision_vs_sklearn),
        cmocka_unit_test(test_step_decay_schedule),
        cmocka_unit_test(test_sgd_momentum_update),
        cmocka_unit_test(test_adam_quadratic),
        cmocka_unit_test(test_lbfgs_rosenbrock),
        cmocka_unit_test(test_toy_optimum_lbfgs_and_sgd),
        cmocka_unit_test(test_sgd_separable_blobs),
        cmocka_unit_test(test_divergence_detected),
        cmocka_unit_test(test_batcher_epochs),
        cmocka_unit_test(test_stratified_holdout),
        cmocka_unit_test(test_standardized_gather),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
