/* test_lda_fit.c -- the Fisher LDA engine (methods/lda_fit.h) on a
 * hand-worked one-feature example, in one block and row by row.
 *
 * Rows x = -1, 3 (class 0) and 3, 7 (class 1): means 1 and 5, mu = 3,
 * S_w = 4 (deviations +-2), S_t = 8, so for any shrinkage (D = 1)
 * B = S_w = 4 and A = S_t - S_w = 4: the eigenvalue w = A / B = 1, the
 * eigenvector v = 1 / sqrt(B) = 1/2 (V^T B V = 1), coef = M v v = M / 4.
 * Eigen form: coef = (0.25, 1.25), intercepts -m_c coef_c / 2 + log(1/2)
 * = (-0.125, -3.125) + log(1/2), p(1 | x) = sigmoid(x - 3): the rows'
 * p(y_i | x_i) are sigmoid(4), 1/2, 1/2, sigmoid(4).
 * Nearest-mean form: coef = M = (1, 5), intercepts (-0.5, -12.5) + log(1/2),
 * p(1 | x) = sigmoid(4 x - 12): sigmoid(16), 1/2, 1/2, sigmoid(16). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "methods/lda_fit.h"

static const double X[4] = { -1.0, 3.0, 3.0, 7.0 };
static const int cls[4] = { 0, 0, 1, 1 };
static const size_t count[2] = { 2, 2 };

static double sigmoid(double t) { return 1.0 / (1.0 + exp(-t)); }

static void fit_predict(int nearest_mean, size_t block, double shrink, ckr_lda_work *wk,
                        double *ysum)
{
    ckr_lda_src src = { .n = 4, .N = 4, .D = 1, .C = 2, .block = block, .X = X, .cls = cls,
                        .count = count, .nearest_mean = nearest_mean };
    ckr_result res;
    memset(&res, 0, sizeof res);
    double lambda = 0.0;
    assert_int_equal(ckr_lda_work_alloc(wk, 1, 2, block, 0, 0), 0);
    assert_int_equal(ckr_lda_fit(&src, wk, 3, &shrink, &lambda, &res), 0);
    assert_int_equal(ckr_lda_predict(&src, wk, NULL, ysum, &res), 0);
}

static void test_eigen(void **state)
{
    (void)state;
    ckr_lda_work wk;
    double ysum = 0.0, s4 = sigmoid(4.0);
    fit_predict(0, 4, 0.3, &wk, &ysum);
    assert_true(fabs(wk.means[0] - 1.0) < 1e-14 && fabs(wk.means[1] - 5.0) < 1e-14);
    assert_true(fabs(wk.coef[0] - 0.25) < 1e-14 && fabs(wk.coef[1] - 1.25) < 1e-14);
    assert_true(fabs(wk.ic[0] - (-0.125 + log(0.5))) < 1e-14);
    assert_true(fabs(wk.ic[1] - (-3.125 + log(0.5))) < 1e-14);
    assert_true(fabs(fabs(wk.A[0]) - 0.5) < 1e-14); /* V^T */
    assert_true(fabs(wk.w[0] - 1.0) < 1e-14);
    /* one block: every row's p(c | x) */
    const double p0[4] = { s4, 0.5, 0.5, 1.0 - s4 };
    for (size_t i = 0; i < 4; i++) {
        assert_true(fabs(wk.prob[2 * i] - p0[i]) < 1e-14);
        assert_true(fabs(wk.prob[2 * i] + wk.prob[2 * i + 1] - 1.0) < 1e-14);
    }
    assert_true(fabs(ysum - (2.0 * s4 + 1.0)) < 1e-14);
    ckr_lda_work_free(&wk);
    /* row by row: the same sum; prob holds the last row */
    fit_predict(0, 1, 0.3, &wk, &ysum);
    assert_true(fabs(ysum - (2.0 * s4 + 1.0)) < 1e-14);
    assert_true(fabs(wk.prob[1] - s4) < 1e-14);
    ckr_lda_work_free(&wk);
}

static void test_nearest_mean(void **state)
{
    (void)state;
    ckr_lda_work wk;
    double ysum = 0.0, s16 = sigmoid(16.0);
    fit_predict(1, 4, -1.0, &wk, &ysum);
    assert_true(fabs(wk.coef[0] - 1.0) < 1e-14 && fabs(wk.coef[1] - 5.0) < 1e-14);
    assert_true(fabs(wk.ic[0] - (-0.5 + log(0.5))) < 1e-14);
    assert_true(fabs(wk.ic[1] - (-12.5 + log(0.5))) < 1e-14);
    assert_true(fabs(wk.prob[0] - s16) < 1e-14 && fabs(wk.prob[7] - s16) < 1e-14);
    assert_true(fabs(ysum - (2.0 * s16 + 1.0)) < 1e-14);
    ckr_lda_work_free(&wk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eigen),
        cmocka_unit_test(test_nearest_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
