/* blas.c -- FLOP-counting CBLAS wrappers (contracts in linalg/blas.h). */
#include "linalg/blas.h"

#include <cblas.h>
#include <math.h>

#include "util/flops.h"

/* ---- general products -------------------------------------------------- */

void ckr_dgemm(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
               const double *A, size_t lda, const double *B, size_t ldb,
               double beta, double *C, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    ckr_flops_add(2.0 * (double)m * (double)n * (double)k);
}

void ckr_sgemm(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb,
               float beta, float *C, size_t ldc)
{
    if (m == 0 || n == 0)
        return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, alpha, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
    ckr_flops_add(2.0 * (double)m * (double)n * (double)k);
}

/* ---- symmetric rank-k updates (Gram matrices) ------------------------- */

void ckr_dsyrk_ata(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C)
{
    ckr_dsyrk_ata_upper(n, k, alpha, A, lda, beta, C);
    ckr_sym_fill_lower(n, C);
}

void ckr_dsyrk_aat(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C)
{
    if (n == 0)
        return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)k, alpha, A, (int)lda,
                beta, C, (int)n);
    ckr_sym_fill_lower(n, C);
    ckr_flops_add((double)n * (double)(n + 1) * (double)k);
}

void ckr_dsyrk_ata_upper(size_t n, size_t k, double alpha, const double *A, size_t lda,
                         double beta, double *C)
{
    if (n == 0)
        return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)k, alpha, A, (int)lda,
                beta, C, (int)n);
    ckr_flops_add((double)n * (double)(n + 1) * (double)k);
}

void ckr_sym_fill_lower(size_t n, double *C)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            C[i * n + j] = C[j * n + i];
}

/* ---- triangular products ---------------------------------------------- */

void ckr_dtrmm_right_lower_trans(size_t m, size_t n, const double *L, double *B, size_t ldb)
{
    if (m == 0 || n == 0)
        return;
    cblas_dtrmm(CblasRowMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, (int)m,
                (int)n, 1.0, L, (int)n, B, (int)ldb);
    ckr_flops_add((double)m * (double)n * (double)(n + 1));
}

void ckr_dtrmm_left_lower(size_t n, size_t m, const double *L, double *B, size_t ldb)
{
    if (m == 0 || n == 0)
        return;
    cblas_dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit, (int)n,
                (int)m, 1.0, L, (int)n, B, (int)ldb);
    ckr_flops_add((double)m * (double)n * (double)(n + 1));
}

/* ---- vector helpers ---------------------------------------------------- */

int ckr_all_finite(size_t count, const double *x)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}
