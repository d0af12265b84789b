/* svd.c -- thin SVD by dgesdd (svd.h). */
#include "linalg/svd.h"

#include <stdlib.h>
#include <string.h>

#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

int ckr_svd_thin(size_t m, size_t n, const double *A, double *S, double *Vt)
{
    if (m == 0 || n == 0)
        return 0;
    /* row-major A (m x n) is column-major A^T (n x m) = V S U^T: LAPACK's U
     * (n x k column-major) is V, i.e. Vt as k x n row-major */
    size_t k = m < n ? m : n;
    int M = (int)n, N = (int)m, K = (int)k, info = 0, lwork = -1;
    const char *jobz = Vt ? "S" : "N";
    double *a = malloc(m * n * sizeof *a), q = 0.0, vt1 = 0.0;
    int *iwork = malloc(8 * k * sizeof *iwork);
    double *vtl = Vt ? malloc(k * m * sizeof *vtl) : NULL; /* U^T, unused */
    double *u = Vt ? Vt : &vt1;
    int ldu = Vt ? M : 1, ldvt = Vt ? K : 1, rc = 0;
    double *work = NULL;
    if (!a || !iwork || (Vt && !vtl)) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    memcpy(a, A, m * n * sizeof *a);
    dgesdd_(jobz, &M, &N, a, &M, S, u, &ldu, vtl ? vtl : &vt1, &ldvt, &q, &lwork, iwork, &info);
    lwork = (int)q + 1;
    work = malloc((size_t)lwork * sizeof *work);
    if (!work) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    dgesdd_(jobz, &M, &N, a, &M, S, u, &ldu, vtl ? vtl : &vt1, &ldvt, work, &lwork, iwork,
            &info);
    ckr_flops_add(4.0 * (double)m * (double)n * (double)k + 8.0 * (double)k * (double)k *
                  (double)k);
    if (info != 0)
        rc = CKR_ENUM;
cleanup:
    free(a);
    free(iwork);
    free(vtl);
    free(work);
    return rc;
}

int ckr_nuclear_norm(size_t m, size_t n, const double *A, double *out)
{
    size_t k = m < n ? m : n;
    *out = 0.0;
    if (k == 0)
        return 0;
    double *S = malloc(k * sizeof *S);
    if (!S)
        return CKR_ENOMEM;
    int rc = ckr_svd_thin(m, n, A, S, NULL);
    for (size_t i = 0; !rc && i < k; i++)
        *out += S[i];
    free(S);
    return rc;
}
