#include "linalg/dense.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dense_more.h"
#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* LAPACK: linalg/lapack.h. A row-major symmetric matrix is its own transpose,
 * so passing it as column-major is the same matrix; a row-major "lower"
 * triangle is a column-major "upper" triangle. */

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

void ckr_dsyrk_ata(size_t n, size_t k, double alpha, const double *A, size_t lda,
                   double beta, double *C)
{
    ckr_dsyrk_ata_upper(n, k, alpha, A, lda, beta, C);
    ckr_sym_fill_lower(n, C);
}

int ckr_dsyevd(size_t n, double *A, double *w)
{
    if (n == 0)
        return 0;
    int nn = (int)n, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0;
    dsyevd_("V", "U", &nn, A, &nn, w, &wq, &lwork, &iwq, &liwork, &info);
    if (info != 0)
        return CKR_ENUM;
    lwork = (int)wq + 1;
    liwork = iwq;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return CKR_ENOMEM;
    }
    dsyevd_("V", "U", &nn, A, &nn, w, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    /* LAPACK returned eigenvectors as columns of a column-major matrix, i.e.
     * as rows of our row-major buffer: transpose to put them in columns. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double t = A[i * n + j];
            A[i * n + j] = A[j * n + i];
            A[j * n + i] = t;
        }
    /* tridiagonal reduction 4/3 n^3 + back-transformation 2 n^3 (+ D&C) */
    ckr_flops_add(4.0 / 3.0 * (double)n * n * n + 2.0 * (double)n * n * n);
    return info == 0 ? 0 : CKR_ENUM;
}

int ckr_dpotrf_lower(size_t n, double *A)
{
    int nn = (int)n, info = 0;
    dpotrf_("U", &nn, A, &nn, &info); /* column-major upper == row-major lower */
    ckr_flops_add((double)n * n * n / 3.0);
    if (info != 0)
        return CKR_ENUM;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            A[i * n + j] = 0.0;
    return 0;
}

int ckr_dtrtri_lower(size_t n, double *L)
{
    int nn = (int)n, info = 0;
    dtrtri_("U", "N", &nn, L, &nn, &info);
    ckr_flops_add((double)n * n * n / 3.0);
    return info == 0 ? 0 : CKR_ENUM;
}
