/* test_linalg.c -- the dense-algebra wrappers (linalg/blas.h, factor.h,
 * eigen.h) against values computed by hand.
 *
 * The matrices:
 *   A = [1 2; 3 4], B = [5 6; 7 8]: A B = [19 22; 43 50],
 *     A^T B = [26 30; 38 44], A B^T = [17 23; 39 53].
 *   G = [1 2; 3 4; 5 6] (3 x 2): G^T G = [35 44; 44 56],
 *     G G^T = [5 11 17; 11 25 39; 17 39 61].
 *   S = L L^T with L = [2 0 0; 1 3 0; 1 1 2]: S = [4 2 2; 2 10 4; 2 4 6],
 *     det S = (2 * 3 * 2)^2 = 144, L^-1 = [1/2 0 0; -1/6 1/3 0; -1/6 -1/6 1/2],
 *     S^-1 = [44 -4 -12; -4 20 -12; -12 -12 36] / 144 (adjugate / det).
 *   T = [2 1 0; 1 2 1; 0 1 2] (tridiagonal Toeplitz): eigenvalues
 *     2 + 2 cos(j pi / 4), j = 3, 2, 1 = 2 - sqrt2, 2, 2 + sqrt2, with unit
 *     eigenvectors (1/2, -sqrt2/2, 1/2), (1, 0, -1)/sqrt2, (1/2, sqrt2/2, 1/2).
 * Every wrapper is also checked for the FLOPs its header promises and for
 * reading only the triangle its header names (NaN in the other one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "linalg/blas.h"
#include "linalg/eigen.h"
#include "linalg/factor.h"
#include "testutil.h"
#include "util/err.h"
#include "util/flops.h"

#define TOL 1e-14
#define SQRT2 1.4142135623730950488

static const double S3[9] = { 4, 2, 2, 2, 10, 4, 2, 4, 6 };
static const double L3[9] = { 2, 0, 0, 1, 3, 0, 1, 1, 2 };
static const double T3[9] = { 2, 1, 0, 1, 2, 1, 0, 1, 2 };
/* eigenpairs of T3, ascending */
static const double T3_W[3] = { 2.0 - SQRT2, 2.0, 2.0 + SQRT2 };
static const double T3_V[3][3] = { { 0.5, -SQRT2 / 2, 0.5 },
                                   { 1 / SQRT2, 0.0, -1 / SQRT2 },
                                   { 0.5, SQRT2 / 2, 0.5 } };

static void assert_matrix(const double *got, const double *want, size_t count, double tol)
{
    for (size_t i = 0; i < count; i++)
        assert_close(got[i], want[i], tol);
}

/* NaN in the strict upper (upper = 1) or lower (upper = 0) triangle. */
static void poison_triangle(double *A, size_t n, int upper)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (upper ? j > i : j < i)
                A[i * n + j] = NAN;
}

/* |v . u| == 1 for unit u: v is +-u. stride: distance between v's entries. */
static void assert_same_direction(const double *v, size_t stride, const double *u, size_t n)
{
    double dot = 0.0, vv = 0.0;
    for (size_t i = 0; i < n; i++) {
        dot += v[i * stride] * u[i];
        vv += v[i * stride] * v[i * stride];
    }
    assert_close(vv, 1.0, 1e-13);
    assert_close(fabs(dot), 1.0, 1e-13);
}

/* ---- blas.h ------------------------------------------------------------ */

static void test_dgemm_2x2(void **state)
{
    (void)state;
    const double A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 };
    double C[4];
    ckr_flops_reset();
    ckr_dgemm(0, 0, 2, 2, 2, 1.0, A, 2, B, 2, 0.0, C, 2);
    assert_close(ckr_flops_get(), 16.0, 0.0); /* 2 m n k */
    assert_matrix(C, (const double[]){ 19, 22, 43, 50 }, 4, 0.0);
    ckr_dgemm(1, 0, 2, 2, 2, 1.0, A, 2, B, 2, 0.0, C, 2);
    assert_matrix(C, (const double[]){ 26, 30, 38, 44 }, 4, 0.0);
    ckr_dgemm(0, 1, 2, 2, 2, 1.0, A, 2, B, 2, 0.0, C, 2);
    assert_matrix(C, (const double[]){ 17, 23, 39, 53 }, 4, 0.0);
    /* alpha, beta: C = 2 A B + C (C holds A B^T) */
    ckr_dgemm(0, 0, 2, 2, 2, 2.0, A, 2, B, 2, 1.0, C, 2);
    assert_matrix(C, (const double[]){ 55, 67, 125, 153 }, 4, 0.0);
    /* strides: A and B as the left 2 x 2 blocks of 2 x 3 buffers, C in a 2 x 4 */
    const double Aw[6] = { 1, 2, -1, 3, 4, -1 }, Bw[6] = { 5, 6, -1, 7, 8, -1 };
    double Cw[8] = { -7, -7, -7, -7, -7, -7, -7, -7 };
    ckr_dgemm(0, 0, 2, 2, 2, 1.0, Aw, 3, Bw, 3, 0.0, Cw, 4);
    assert_matrix(Cw, (const double[]){ 19, 22, -7, -7, 43, 50, -7, -7 }, 8, 0.0);
    /* m == 0: nothing done, nothing counted */
    ckr_flops_reset();
    ckr_dgemm(0, 0, 0, 2, 2, 1.0, A, 2, B, 2, 0.0, C, 2);
    assert_true(ckr_flops_get() == 0.0);
}

static void test_sgemm_2x2(void **state)
{
    (void)state;
    const float A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 };
    float C[4];
    ckr_flops_reset();
    ckr_sgemm(0, 1, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    assert_close(ckr_flops_get(), 16.0, 0.0);
    const float want[4] = { 17, 23, 39, 53 };
    for (int i = 0; i < 4; i++)
        assert_true(C[i] == want[i]);
}

static void test_syrk_gram_and_kernel(void **state)
{
    (void)state;
    const double G[6] = { 1, 2, 3, 4, 5, 6 };
    double C[4] = { NAN, NAN, NAN, NAN };
    ckr_flops_reset();
    ckr_dsyrk_ata(2, 3, 1.0, G, 2, 0.0, C);
    assert_close(ckr_flops_get(), 18.0, 0.0); /* n (n + 1) k */
    assert_matrix(C, (const double[]){ 35, 44, 44, 56 }, 4, 0.0);
    double K[9];
    ckr_dsyrk_aat(3, 2, 1.0, G, 2, 0.0, K);
    assert_matrix(K, (const double[]){ 5, 11, 17, 11, 25, 39, 17, 39, 61 }, 9, 0.0);
    /* G^T G accumulated over the row blocks {0, 1} and {2}, upper only */
    double U[4] = { 0, 0, -3, 0 };
    ckr_dsyrk_ata_upper(2, 2, 1.0, G, 2, 0.0, U);
    ckr_dsyrk_ata_upper(2, 1, 1.0, G + 4, 2, 1.0, U);
    assert_matrix(U, (const double[]){ 35, 44, -3, 56 }, 4, 0.0); /* lower untouched */
    ckr_sym_fill_lower(2, U);
    assert_matrix(U, (const double[]){ 35, 44, 44, 56 }, 4, 0.0);
    /* alpha and beta: 0.5 G^T G + 2 (G^T G) = 2.5 G^T G */
    ckr_dsyrk_ata(2, 3, 0.5, G, 2, 2.0, C);
    assert_matrix(C, (const double[]){ 87.5, 110, 110, 140 }, 4, 0.0);
}

static void test_trmm(void **state)
{
    (void)state;
    const double L[4] = { 2, NAN, 1, 3 }; /* [2 0; 1 3], strict upper not read */
    double B[4] = { 1, 1, 1, -1 };        /* rows (1, 1) and (1, -1) */
    ckr_flops_reset();
    ckr_dtrmm_right_lower_trans(2, 2, L, B, 2); /* row i := L row_i */
    assert_close(ckr_flops_get(), 12.0, 0.0); /* m n (n + 1) */
    assert_matrix(B, (const double[]){ 2, 4, 2, -2 }, 4, 0.0);
    double C[6] = { 1, 0, -5, 1, 2, -5 }; /* [1 0; 1 2] in a stride-3 buffer */
    ckr_dtrmm_left_lower(2, 2, L, C, 3);   /* L C = [2 0; 4 6] */
    assert_matrix(C, (const double[]){ 2, 0, -5, 4, 6, -5 }, 6, 0.0);
}

static void test_all_finite(void **state)
{
    (void)state;
    double x[3] = { 1, -1e308, 0 };
    assert_int_equal(ckr_all_finite(3, x), 1);
    assert_int_equal(ckr_all_finite(0, NULL), 1);
    x[2] = INFINITY;
    assert_int_equal(ckr_all_finite(3, x), 0);
    assert_int_equal(ckr_all_finite(2, x), 1);
    x[0] = NAN;
    assert_int_equal(ckr_all_finite(1, x), 0);
}

/* ---- factor.h ---------------------------------------------------------- */

static void test_cholesky_logdet_inverse(void **state)
{
    (void)state;
    double A[9];
    memcpy(A, S3, sizeof A);
    poison_triangle(A, 3, 1); /* only the lower triangle is read */
    ckr_flops_reset();
    assert_int_equal(ckr_dpotrf_lower(3, A), 0);
    assert_close(ckr_flops_get(), 9.0, 1e-15); /* n^3 / 3 */
    assert_matrix(A, L3, 9, TOL); /* strict upper zeroed */
    double logdet = 0.0;
    for (int i = 0; i < 3; i++)
        logdet += 2.0 * log(A[i * 3 + i]);
    assert_close(logdet, log(144.0), TOL);

    assert_int_equal(ckr_dtrtri_lower(3, A), 0);
    const double Linv[9] = { 0.5, 0, 0, -1.0 / 6, 1.0 / 3, 0, -1.0 / 6, -1.0 / 6, 0.5 };
    assert_matrix(A, Linv, 9, TOL);

    A[1] = A[2] = A[5] = -9.0;
    assert_int_equal(ckr_dlauum_ltl(3, A), 0);
    /* lower triangle of (L^-1)^T L^-1 = S^-1; the strict upper left as it was */
    const double Sinv[9] = { 44, -4, -12, -4, 20, -12, -12, -12, 36 };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            if (j <= i)
                assert_close(A[i * 3 + j], Sinv[i * 3 + j] / 144.0, TOL);
            else
                assert_true(A[i * 3 + j] == -9.0);
        }
    /* and the computed triangle, completed, is the inverse: S X = I */
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            A[i * 3 + j] = A[j * 3 + i];
    double I[9];
    ckr_dgemm(0, 0, 3, 3, 3, 1.0, S3, 3, A, 3, 0.0, I, 3);
    assert_matrix(I, (const double[]){ 1, 0, 0, 0, 1, 0, 0, 0, 1 }, 9, TOL);
}

static void test_cholesky_not_positive_definite(void **state)
{
    (void)state;
    double A[4] = { 1, 2, 2, 1 }; /* eigenvalues 3 and -1 */
    assert_int_equal(ckr_dpotrf_lower(2, A), CKR_ENUM);
    double Z[4] = { 1, 0, 0, 0 }; /* singular */
    assert_int_equal(ckr_dpotrf_lower(2, Z), CKR_ENUM);
    double L[4] = { 1, 0, 5, 0 }; /* zero diagonal: no inverse */
    assert_int_equal(ckr_dtrtri_lower(2, L), CKR_ENUM);
}

/* ---- eigen.h ----------------------------------------------------------- */

static void test_dsyevd_tridiagonal(void **state)
{
    (void)state;
    double A[9], w[3];
    memcpy(A, T3, sizeof A);
    poison_triangle(A, 3, 1); /* reads the lower triangle */
    ckr_flops_reset();
    assert_int_equal(ckr_dsyevd(3, A, w), 0);
    assert_close(ckr_flops_get(), (4.0 / 3.0 + 2.0) * 27.0, 1e-15);
    for (int j = 0; j < 3; j++) {
        assert_close(w[j], T3_W[j], TOL);
        assert_same_direction(A + j, 3, T3_V[j], 3); /* column j */
    }
    assert_int_equal(ckr_dsyevd(0, A, w), 0);
}

static void test_dsyev_project_tridiagonal(void **state)
{
    (void)state;
    double A[9], w[3];
    memcpy(A, T3, sizeof A);
    poison_triangle(A, 3, 0); /* reads the upper triangle */
    /* b0 = e1, b1 = (1, 1, 1) */
    double B[6] = { 1, 0, 0, 1, 1, 1 };
    assert_int_equal(ckr_dsyev_project(3, A, w, 2, B), 0);
    for (int j = 0; j < 3; j++) {
        assert_close(w[j], T3_W[j], TOL);
        double c0 = T3_V[j][0], c1 = T3_V[j][0] + T3_V[j][1] + T3_V[j][2];
        assert_close(fabs(B[j]), fabs(c0), TOL);
        assert_close(fabs(B[3 + j]), fabs(c1), TOL);
        assert_close(B[j] * B[3 + j], c0 * c1, TOL); /* one sign per eigenvector */
    }
    /* eigenvalues only */
    memcpy(A, T3, sizeof A);
    assert_int_equal(ckr_dsyev_project(3, A, w, 0, NULL), 0);
    for (int j = 0; j < 3; j++)
        assert_close(w[j], T3_W[j], TOL);
    /* 1 x 1, and a non-finite entry in the triangle that is read */
    double one = 7.0, b = 3.0;
    assert_int_equal(ckr_dsyev_project(1, &one, w, 1, &b), 0);
    assert_true(w[0] == 7.0 && b == 3.0);
    memcpy(A, T3, sizeof A);
    A[2] = INFINITY;
    assert_int_equal(ckr_dsyev_project(3, A, w, 0, NULL), CKR_ENUM);
}

static void test_symeig_top_vectors(void **state)
{
    (void)state;
    double A[9];
    memcpy(A, T3, sizeof A);
    poison_triangle(A, 3, 0); /* reads the upper triangle, does not modify A */
    double keep[9];
    memcpy(keep, A, sizeof A);
    ckr_symeig e;
    assert_int_equal(ckr_symeig_reduce(3, A, &e), 0);
    assert_memory_equal(A, keep, sizeof A);
    assert_int_equal(e.n, 3);
    for (int j = 0; j < 3; j++)
        assert_close(e.w[j], T3_W[2 - j], TOL); /* descending */
    double V[6];
    assert_int_equal(ckr_symeig_top_vectors(&e, 2, V), 0);
    assert_same_direction(V + 0, 2, T3_V[2], 3); /* eigenvalue 2 + sqrt2 */
    assert_same_direction(V + 1, 2, T3_V[1], 3); /* eigenvalue 2 */
    double V1[3];
    assert_int_equal(ckr_symeig_top_vectors(&e, 1, V1), 0); /* again, another k */
    assert_same_direction(V1, 1, T3_V[2], 3);
    assert_int_equal(ckr_symeig_top_vectors(&e, 4, V), CKR_EARG);
    ckr_symeig_free(&e);
    assert_null(e.w);
    ckr_symeig_free(&e); /* safe twice */
}

/* A v = w B v by hand: A = [[2, 1], [1, 2]], B = diag(1, 4). det(A - w B) =
 * (2 - w)(2 - 4 w) - 1 = 4 w^2 - 10 w + 3 = 0: w = (5 -+ sqrt(13)) / 4.
 * Each eigenvector satisfies A v = w B v and v^T B v = 1; a B that is not
 * positive definite gives info > n. */
static void test_dsygvd_by_hand(void **state)
{
    (void)state;
    double A[4] = { 2, 1, 1, 2 }, B[4] = { 1, 0, 0, 4 }, w[2];
    int info = -1;
    assert_int_equal(ckr_dsygvd(2, A, B, w, &info), 0);
    assert_int_equal(info, 0);
    assert_true(fabs(w[0] - (5.0 - sqrt(13.0)) / 4.0) < 1e-14);
    assert_true(fabs(w[1] - (5.0 + sqrt(13.0)) / 4.0) < 1e-14);
    const double b[2] = { 1, 4 };
    for (int j = 0; j < 2; j++) {
        const double *v = A + 2 * j; /* eigenvector j is row j */
        assert_true(fabs(2 * v[0] + v[1] - w[j] * b[0] * v[0]) < 1e-14);
        assert_true(fabs(v[0] + 2 * v[1] - w[j] * b[1] * v[1]) < 1e-14);
        assert_true(fabs(b[0] * v[0] * v[0] + b[1] * v[1] * v[1] - 1.0) < 1e-14);
    }
    /* B-orthogonal: v_0^T B v_1 = 0 */
    assert_true(fabs(A[0] * A[2] + 4.0 * A[1] * A[3]) < 1e-14);
    double A2[4] = { 1, 0, 0, 1 }, B2[4] = { 1, 0, 0, -1 };
    assert_int_equal(ckr_dsygvd(2, A2, B2, w, &info), CKR_ENUM);
    assert_true(info > 2);
    assert_int_equal(ckr_dsygvd(0, NULL, NULL, NULL, &info), 0);
    assert_int_equal(info, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dgemm_2x2),
        cmocka_unit_test(test_sgemm_2x2),
        cmocka_unit_test(test_syrk_gram_and_kernel),
        cmocka_unit_test(test_trmm),
        cmocka_unit_test(test_all_finite),
        cmocka_unit_test(test_cholesky_logdet_inverse),
        cmocka_unit_test(test_cholesky_not_positive_definite),
        cmocka_unit_test(test_dsyevd_tridiagonal),
        cmocka_unit_test(test_dsyev_project_tridiagonal),
        cmocka_unit_test(test_symeig_top_vectors),
        cmocka_unit_test(test_dsygvd_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
