/* factor.c -- Cholesky and triangular-factor LAPACK wrappers (contracts in
 * linalg/factor.h). */
#include "linalg/factor.h"

#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* LAPACK: linalg/lapack.h. The lower triangle of a row-major matrix is the
 * upper triangle of the same buffer read column-major: uplo "U" below. */

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
