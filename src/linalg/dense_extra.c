#include "linalg/dense_extra.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* LAPACK: linalg/lapack.h; a row-major symmetric matrix is the same matrix
 * column-major, so any uplo works as long as it is used consistently. */

int ckr_dlauum_ltl(size_t n, double *L)
{
    if (n == 0)
        return 0;
    /* row-major lower L = column-major upper U = L^T; dlauum('U') gives U U^T = L^T L */
    int nn = (int)n, info = 0;
    dlauum_("U", &nn, L, &nn, &info);
    ckr_flops_add((double)n * (double)n * (double)n / 3.0);
    return info == 0 ? 0 : CKR_ENUM;
}

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

void ckr_symeig_free(ckr_symeig *e)
{
    free(e->a);
    free(e->diag);
    free(e->off);
    free(e->tau);
    free(e->w);
    memset(e, 0, sizeof *e);
}

int ckr_symeig_reduce(size_t n, const double *A, ckr_symeig *e)
{
    memset(e, 0, sizeof *e);
    if (n == 0)
        return 0;
    e->n = n;
    e->a = malloc(sizeof(double) * n * n);
    e->diag = malloc(sizeof(double) * n);
    e->off = malloc(sizeof(double) * n);
    e->tau = malloc(sizeof(double) * n);
    e->w = malloc(sizeof(double) * n);
    double *scratch = malloc(sizeof(double) * n);
    double *work = NULL;
    int rc = CKR_ENOMEM;
    if (!e->a || !e->diag || !e->off || !e->tau || !e->w || !scratch)
        goto cleanup;
    memcpy(e->a, A, sizeof(double) * n * n);
    int nn = (int)n, info = 0, lwork = -1;
    double wq = 0.0;
    dsytrd_("L", &nn, e->a, &nn, e->diag, e->off, e->tau, &wq, &lwork, &info);
    lwork = (int)wq > 1 ? (int)wq : 1;
    work = malloc(sizeof(double) * (size_t)lwork);
    if (!work)
        goto cleanup;
    dsytrd_("L", &nn, e->a, &nn, e->diag, e->off, e->tau, work, &lwork, &info);
    ckr_flops_add(4.0 / 3.0 * (double)n * (double)n * (double)n);
    rc = CKR_ENUM;
    if (info != 0)
        goto cleanup;
    /* eigenvalues only, on copies (dsterf destroys its input) */
    memcpy(e->w, e->diag, sizeof(double) * n);
    memcpy(scratch, e->off, sizeof(double) * n);
    dsterf_(&nn, e->w, scratch, &info);
    ckr_flops_add(30.0 * (double)n * (double)n);
    if (info != 0)
        goto cleanup;
    for (size_t i = 0; i < n / 2; i++) { /* ascending -> descending */
        double t = e->w[i];
        e->w[i] = e->w[n - 1 - i];
        e->w[n - 1 - i] = t;
    }
    rc = 0;
cleanup:
    free(work);
    free(scratch);
    if (rc != 0)
        ckr_symeig_free(e);
    return rc;
}

int ckr_symeig_top_vectors(ckr_symeig *e, size_t k, double *V)
{
    size_t n = e->n;
    if (k == 0 || n == 0)
        return 0;
    if (k > n)
        return CKR_EARG;
    int nn = (int)n, kk = (int)k, il = (int)(n - k + 1), iu = (int)n, m = 0, info = 0;
    int tryrac = 1, lwork = -1, liwork = -1, iwq = 0;
    double vl = 0.0, vu = 0.0, wq = 0.0;
    double *d = malloc(sizeof(double) * n), *off = malloc(sizeof(double) * n);
    double *w = malloc(sizeof(double) * n), *Z = malloc(sizeof(double) * n * k);
    int *isuppz = malloc(sizeof(int) * 2 * k);
    double *work = NULL;
    int *iwork = NULL;
    int rc = CKR_ENOMEM;
    if (!d || !off || !w || !Z || !isuppz)
        goto cleanup;
    memcpy(d, e->diag, sizeof(double) * n);
    memcpy(off, e->off, sizeof(double) * n);
    dstemr_("V", "I", &nn, d, off, &vl, &vu, &il, &iu, &m, w, Z, &nn, &kk, isuppz, &tryrac,
            &wq, &lwork, &iwq, &liwork, &info);
    rc = CKR_ENUM;
    if (info != 0)
        goto cleanup;
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    rc = CKR_ENOMEM;
    work = malloc(sizeof(double) * (size_t)lwork);
    iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork)
        goto cleanup;
    dstemr_("V", "I", &nn, d, off, &vl, &vu, &il, &iu, &m, w, Z, &nn, &kk, isuppz, &tryrac,
            work, &lwork, iwork, &liwork, &info);
    ckr_flops_add(60.0 * (double)n * (double)k);
    rc = CKR_ENUM;
    if (info != 0 || m != kk)
        goto cleanup;
    /* back-transform: Z := Q Z */
    free(work);
    work = NULL;
    lwork = -1;
    dormtr_("L", "L", "N", &nn, &kk, e->a, &nn, e->tau, Z, &nn, &wq, &lwork, &info);
    lwork = (int)wq > 1 ? (int)wq : 1;
    rc = CKR_ENOMEM;
    work = malloc(sizeof(double) * (size_t)lwork);
    if (!work)
        goto cleanup;
    dormtr_("L", "L", "N", &nn, &kk, e->a, &nn, e->tau, Z, &nn, work, &lwork, &info);
    ckr_flops_add(2.0 * (double)n * (double)n * (double)k);
    rc = CKR_ENUM;
    if (info != 0)
        goto cleanup;
    /* column-major ascending -> row-major columns, descending */
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            V[i * k + (k - 1 - j)] = Z[j * n + i];
    rc = 0;
cleanup:
    free(d);
    free(off);
    free(w);
    free(Z);
    free(isuppz);
    free(work);
    free(iwork);
    return rc;
}
