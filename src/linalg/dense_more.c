#include "linalg/dense_more.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dense.h"
#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* LAPACK: linalg/lapack.h. The upper triangle of a row-major matrix is the
 * lower triangle of the same buffer read as column-major: uplo "L". */

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

int ckr_all_finite(size_t count, const double *x)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

static int upper_finite(size_t n, const double *A)
{
    for (size_t i = 0; i < n; i++)
        if (!ckr_all_finite(n - i, A + i * n + i))
            return 0;
    return 1;
}

int ckr_dsyev_project(size_t n, double *A, double *w, size_t m, double *B)
{
    if (n == 0)
        return 0;
    if (n > (size_t)0x7fffffff || m > (size_t)0x7fffffff / n)
        return CKR_ENOMEM;
    if (!upper_finite(n, A))
        return CKR_ENUM;
    if (n == 1) {
        w[0] = A[0]; /* eigenvector e_1: coordinates unchanged */
        return 0;
    }
    int nn = (int)n, mm = (int)m, info = 0, lwork = -1, liwork = -1, iwq = 0;
    int rc = 0;
    double wq = 0;
    double *e = malloc(n * sizeof(double));
    double *tau = malloc(n * sizeof(double));
    double *Z = malloc(n * n * sizeof(double));
    double *P = m ? malloc(m * n * sizeof(double)) : NULL;
    double *work = NULL;
    int *iwork = NULL;
    if (!e || !tau || !Z || (m && !P)) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    /* one workspace large enough for dsytrd, dormtr and dstedc */
    size_t need = 1;
    dsytrd_("L", &nn, A, &nn, w, e, tau, &wq, &lwork, &info);
    if (info != 0) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    need = (size_t)wq + 1;
    if (m) {
        dormtr_("L", "L", "T", &nn, &mm, A, &nn, tau, B, &nn, &wq, &lwork, &info);
        if (info != 0) {
            rc = CKR_ENUM;
            goto cleanup;
        }
        if ((size_t)wq + 1 > need)
            need = (size_t)wq + 1;
    }
    dstedc_("I", &nn, w, e, Z, &nn, &wq, &lwork, &iwq, &liwork, &info);
    if (info != 0) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    if ((size_t)wq + 1 > need)
        need = (size_t)wq + 1;
    if (need > (size_t)0x7fffffff) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    liwork = iwq > 1 ? iwq : 1;
    lwork = (int)need;
    work = malloc(need * sizeof(double));
    iwork = malloc((size_t)liwork * sizeof(int));
    if (!work || !iwork) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    /* A = Q T Q^T, T tridiagonal (diagonal in w, off-diagonal in e) */
    dsytrd_("L", &nn, A, &nn, w, e, tau, work, &lwork, &info);
    ckr_flops_add(4.0 / 3.0 * (double)n * (double)n * (double)n);
    if (info != 0) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    if (m) {
        /* the rows of B are the columns of a column-major n x m matrix: B := Q^T B */
        dormtr_("L", "L", "T", &nn, &mm, A, &nn, tau, B, &nn, work, &lwork, &info);
        ckr_flops_add(2.0 * (double)n * (double)n * (double)m);
        if (info != 0) {
            rc = CKR_ENUM;
            goto cleanup;
        }
    }
    /* T = Z diag(w) Z^T by divide and conquer. FLOPs: the merge products
     * cost at most 4/3 n^3 (no deflation); counted as that upper estimate. */
    dstedc_("I", &nn, w, e, Z, &nn, work, &lwork, iwork, &liwork, &info);
    ckr_flops_add(4.0 / 3.0 * (double)n * (double)n * (double)n);
    if (info != 0) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    if (m) {
        /* coordinates: (Q Z)^T b = Z^T (Q^T b). Column-major Z read as
         * row-major is Z^T, so row-major P (m x n) = B (Z^T)^T. */
        ckr_dgemm(0, 1, m, n, n, 1.0, B, n, Z, n, 0.0, P, n);
        memcpy(B, P, m * n * sizeof(double));
    }
cleanup:
    free(e);
    free(tau);
    free(Z);
    free(P);
    free(work);
    free(iwork);
    return rc;
}
