/* eigen.c -- symmetric eigen-solvers over LAPACK (contracts in linalg/eigen.h). */
#include "linalg/eigen.h"

#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* LAPACK: linalg/lapack.h. A row-major symmetric matrix is the same matrix
 * read column-major; the row-major upper triangle is the column-major lower
 * one (uplo "L"), the row-major lower triangle the column-major upper one
 * (uplo "U"). */

/* ---- full decomposition ------------------------------------------------ */

int ckr_dsygvd(size_t n, double *A, double *B, double *w, int *info)
{
    if (info)
        *info = 0;
    if (n == 0)
        return 0;
    if (1.0 + 6.0 * (double)n + 2.0 * (double)n * (double)n > 2147483647.0)
        return CKR_ENOMEM;
    int nn = (int)n, itype = 1, inf = 0;
    int lwork = 1 + 6 * nn + 2 * nn * nn, liwork = 3 + 5 * nn;
    double *work = malloc(sizeof(double) * (size_t)lwork);
    int *iwork = malloc(sizeof(int) * (size_t)liwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return CKR_ENOMEM;
    }
    /* row-major symmetric = column-major symmetric: uplo "U" either way */
    dsygvd_(&itype, "V", "U", &nn, A, &nn, B, &nn, w, work, &lwork, iwork, &liwork, &inf);
    free(work);
    free(iwork);
    ckr_flops_add(7.0 * (double)n * (double)n * (double)n);
    if (info)
        *info = inf;
    return inf == 0 ? 0 : CKR_ENUM;
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

/* ---- eigenvalues and eigen-coordinates, no eigenvectors ---------------- */

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

/* ---- eigenvalues first, then the top-k eigenvectors -------------------- */

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
