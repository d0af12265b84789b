/* dist.c -- team linear algebra: ordered sums, ScaLAPACK eigen-solver (pdsyevr)
 * (contract in linalg/dist.h). */
#include "linalg/dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/lapack.h"
#include "util/err.h"
#include "util/flops.h"

/* ScaLAPACK and BLACS ship no C header: the prototypes used here. */
extern int Csys2blacs_handle(MPI_Comm comm);
extern void Cfree_blacs_system_handle(int handle);
extern void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
extern void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
extern void Cblacs_gridexit(int context);
extern int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc,
                   const int *nprocs);
extern void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb,
                      const int *irsrc, const int *icsrc, const int *ictxt, const int *lld,
                      int *info);
extern void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n,
                     double *a, const int *ia, const int *ja, const int *desca,
                     const double *vl, const double *vu, const int *il, const int *iu, int *m,
                     int *nz, double *w, double *z, const int *iz, const int *jz,
                     const int *descz, double *work, const int *lwork, int *iwork,
                     const int *liwork, int *info);

/* ---- ordered sum ------------------------------------------------------- */

/* Elements [seg_lo(k), seg_lo(k+1)) of a buffer of n form segment k of P. */
static size_t seg_lo(size_t n, int P, int k)
{
    return n / (size_t)P * (size_t)k + (n % (size_t)P) * (size_t)k / (size_t)P;
}

int ckr_dist_sum(MPI_Comm comm, double *buf, size_t n)
{
    int P = 1, me = 0, rc = 0;
    if (MPI_Comm_size(comm, &P) != MPI_SUCCESS || MPI_Comm_rank(comm, &me) != MPI_SUCCESS)
        return CKR_EMPI;
    if (P == 1 || n == 0)
        return 0;
    if (n > (size_t)2147483647)
        return CKR_EARG; /* MPI counts are int; callers sum D x D with D < 46341 */
    int *scount = calloc((size_t)P * 4, sizeof *scount);
    size_t my_lo = seg_lo(n, P, me), my_len = seg_lo(n, P, me + 1) - my_lo;
    double *recv = malloc((my_len ? my_len : 1) * (size_t)P * sizeof *recv);
    if (!scount || !recv) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    int *sdispl = scount + P, *rcount = scount + 2 * P, *rdispl = scount + 3 * P;
    for (int k = 0; k < P; k++) {
        size_t lo = seg_lo(n, P, k);
        scount[k] = (int)(seg_lo(n, P, k + 1) - lo);
        sdispl[k] = (int)lo;
        rcount[k] = (int)my_len;
        rdispl[k] = (int)(my_len * (size_t)k);
    }
    /* segment me of every rank's buffer arrives here, rank k's at k*my_len */
    if (MPI_Alltoallv(buf, scount, sdispl, MPI_DOUBLE, recv, rcount, rdispl, MPI_DOUBLE,
                      comm) != MPI_SUCCESS) {
        rc = CKR_EMPI;
        goto cleanup;
    }
    for (size_t i = 0; i < my_len; i++) {
        double s = recv[i];
        for (int k = 1; k < P; k++)
            s += recv[(size_t)k * my_len + i];
        buf[my_lo + i] = s;
    }
    ckr_flops_add((double)my_len * (P - 1));
    for (int k = 0; k < P; k++) { /* gather: rank k sends its summed segment */
        rcount[k] = scount[k];
        rdispl[k] = sdispl[k];
    }
    if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, rcount, rdispl, MPI_DOUBLE,
                       comm) != MPI_SUCCESS)
        rc = CKR_EMPI;
cleanup:
    free(scount);
    free(recv);
    /* agree: a failure on one rank (allocation) is a failure on all */
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    return worst;
}

int ckr_dist_agree(MPI_Comm comm, int rc, ckr_err *err)
{
    int P = 1, me = 0;
    if (MPI_Comm_size(comm, &P) != MPI_SUCCESS || MPI_Comm_rank(comm, &me) != MPI_SUCCESS)
        return CKR_EMPI;
    int cand = rc ? me : P, root = P;
    if (MPI_Allreduce(&cand, &root, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    if (root == P)
        return 0;
    ckr_err tmp = { rc, "" };
    if (me == root && err)
        tmp = *err;
    tmp.code = rc;
    if (MPI_Bcast(&tmp, (int)sizeof tmp, MPI_BYTE, root, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    if (err)
        *err = tmp;
    return tmp.code;
}

/* ---- eigen-decomposition ------------------------------------------------ */

void ckr_dist_grid_shape(int P, int *rows, int *cols)
{
    if (P < 1)
        P = 1;
    int r = (int)floor(sqrt((double)P));
    while (r > 1 && P % r != 0) /* exact factors: every rank is on the grid */
        r--;
    *rows = r;
    *cols = P / r;
}

/* Fix each eigenvector's sign: s = sum_i (i+1) v_i >= 0; when s is zero up
 * to rounding, the first entry of largest magnitude is positive. */
static void normalise_signs(size_t n, double *V)
{
    for (size_t j = 0; j < n; j++) {
        double *v = V + j * n, s = 0, mag = 0;
        size_t best = 0;
        for (size_t i = 0; i < n; i++) {
            s += (double)(i + 1) * v[i];
            mag += (double)(i + 1) * fabs(v[i]);
            if (fabs(v[i]) > fabs(v[best]))
                best = i;
        }
        int flip = fabs(s) > 1e-8 * mag ? s < 0 : v[best] < 0;
        if (flip)
            for (size_t i = 0; i < n; i++)
                v[i] = -v[i];
    }
}

static int all_finite(size_t count, const double *x)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

/* One rank: LAPACK dsyevd on a copy (row-major symmetric = column-major). */
static int syevd_local(size_t n, const double *A, double *w, double *V)
{
    int N = (int)n, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0;
    memcpy(V, A, n * n * sizeof *V);
    dsyevd_("V", "U", &N, V, &N, w, &wq, &lwork, &iwq, &liwork, &info);
    if (info != 0)
        return CKR_ENUM;
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    int rc = 0;
    if (!work || !iwork)
        rc = CKR_ENOMEM;
    else {
        dsyevd_("V", "U", &N, V, &N, w, work, &lwork, iwork, &liwork, &info);
        if (info != 0)
            rc = CKR_ENUM;
    }
    free(work);
    free(iwork);
    ckr_flops_add(9.0 * (double)n * (double)n * (double)n); /* leading order, with vectors */
    return rc;
}

/* Block size of the block-cyclic layout: 64, smaller for small matrices so
 * every grid row and column holds a block. */
static int block_size(int n, int rows, int cols)
{
    int most = rows > cols ? rows : cols;
    int nb = (n + most - 1) / most;
    if (nb > 64)
        nb = 64;
    return nb < 1 ? 1 : nb;
}

/* The grid part: distribute A, pdsyevr (MRRR; this ScaLAPACK's pdsyevd
 * returned wrong eigenvectors for some block sizes on a 2 x 2 grid and
 * complained about PDORMTR's workspace), scatter Z into the full V (zero
 * elsewhere); w is filled on grid ranks. */
static int syevd_grid(int ctxt, int rows, int cols, int n, const double *A, double *w,
                      double *V)
{
    int myrow, mycol, nprow, npcol, info = 0, zero = 0, one = 1;
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    int nb = block_size(n, rows, cols);
    int mloc = numroc_(&n, &nb, &myrow, &zero, &nprow);
    int nloc = numroc_(&n, &nb, &mycol, &zero, &npcol);
    int lld = mloc > 1 ? mloc : 1;
    int desc[9];
    descinit_(desc, &n, &n, &nb, &nb, &zero, &zero, &ctxt, &lld, &info);
    if (info != 0)
        return CKR_EARG;
    size_t loc = (size_t)lld * (size_t)(nloc > 1 ? nloc : 1);
    double *a = calloc(loc, sizeof *a), *z = calloc(loc, sizeof *z);
    double *work = NULL;
    int *iwork = NULL;
    int rc = 0;
    if (!a || !z) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    /* local (li, lj) holds global (i, j); column-major local storage */
    for (int lj = 0; lj < nloc; lj++) {
        int j = (lj / nb * npcol + mycol) * nb + lj % nb;
        for (int li = 0; li < mloc; li++) {
            int i = (li / nb * nprow + myrow) * nb + li % nb;
            a[(size_t)lj * lld + li] = A[(size_t)i * n + j];
        }
    }
    double wq = 0;
    int lwork = -1, liwork = -1, iwq = 0;
    double vl = 0, vu = 0;
    int m = 0, nz = 0;
    pdsyevr_("V", "A", "U", &n, a, &one, &one, desc, &vl, &vu, &one, &n, &m, &nz, w, z, &one,
             &one, desc, &wq, &lwork, &iwq, &liwork, &info);
    if (info != 0) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    lwork = (int)wq + 1;
    liwork = iwq + 1;
    work = malloc((size_t)lwork * sizeof *work);
    iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
        rc = CKR_ENOMEM;
        goto cleanup;
    }
    pdsyevr_("V", "A", "U", &n, a, &one, &one, desc, &vl, &vu, &one, &n, &m, &nz, w, z, &one,
             &one, desc, work, &lwork, iwork, &liwork, &info);
    if (info != 0 || m != n || nz != n) {
        rc = CKR_ENUM;
        goto cleanup;
    }
    /* global Z(i, j) = component i of eigenvector j -> V[j*n + i] */
    for (int lj = 0; lj < nloc; lj++) {
        int j = (lj / nb * npcol + mycol) * nb + lj % nb;
        for (int li = 0; li < mloc; li++) {
            int i = (li / nb * nprow + myrow) * nb + li % nb;
            V[(size_t)j * n + i] = z[(size_t)lj * lld + li];
        }
    }
    ckr_flops_add(9.0 * (double)n * (double)n * (double)n / (nprow * npcol));
cleanup:
    free(a);
    free(z);
    free(work);
    free(iwork);
    return rc;
}

/* The leader's solve, broadcast: rank 0 runs LAPACK, every rank gets its
 * bits (so the team's eigenvectors are those of one rank exactly). */
static int syevd_leader(MPI_Comm comm, int me, size_t n, const double *A, double *w, double *V)
{
    int rc = 0;
    if (me == 0) {
        rc = syevd_local(n, A, w, V);
        if (rc == 0)
            normalise_signs(n, V);
    }
    if (MPI_Bcast(&rc, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    if (rc)
        return rc;
    if (MPI_Bcast(w, (int)n, MPI_DOUBLE, 0, comm) != MPI_SUCCESS ||
        MPI_Bcast(V, (int)(n * n), MPI_DOUBLE, 0, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    return 0;
}

int ckr_dist_syevd(MPI_Comm comm, size_t n, const double *A, double *w, double *V)
{
    return ckr_dist_syevd_with(comm, n, A, w, V, CKR_EIG_AUTO);
}

int ckr_dist_syevd_with(MPI_Comm comm, size_t n, const double *A, double *w, double *V,
                        ckr_eig_solver solver)
{
    int P = 1, me = 0, rc = 0;
    if (MPI_Comm_size(comm, &P) != MPI_SUCCESS || MPI_Comm_rank(comm, &me) != MPI_SUCCESS)
        return CKR_EMPI;
    if (n == 0)
        return 0;
    if (n > 46340 || !all_finite(n * n, A))
        return n > 46340 ? CKR_EARG : CKR_ENUM; /* A is the same on every rank */
    if (P == 1) {
        rc = syevd_local(n, A, w, V);
        if (rc == 0)
            normalise_signs(n, V);
        return rc;
    }
    if (solver == CKR_EIG_AUTO)
        solver = P >= CKR_EIG_SCALAPACK_MIN_RANKS && n >= CKR_EIG_SCALAPACK_MIN_N
                     ? CKR_EIG_SCALAPACK : CKR_EIG_LEADER;
    if (solver == CKR_EIG_LEADER)
        return syevd_leader(comm, me, n, A, w, V);
    int rows, cols;
    ckr_dist_grid_shape(P, &rows, &cols);
    memset(V, 0, n * n * sizeof *V);
    memset(w, 0, n * sizeof *w);
    int handle = Csys2blacs_handle(comm);
    int ctxt = handle;
    Cblacs_gridinit(&ctxt, "Row", rows, cols); /* ranks beyond the grid get ctxt -1 */
    if (me < rows * cols && ctxt >= 0) {
        rc = syevd_grid(ctxt, rows, cols, (int)n, A, w, V);
        Cblacs_gridexit(ctxt);
    }
    Cfree_blacs_system_handle(handle);
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS)
        return CKR_EMPI;
    if (worst)
        return worst;
    /* every entry of V was written by exactly one grid rank: the sum is exact */
    rc = ckr_dist_sum(comm, V, n * n);
    if (rc == 0 && MPI_Bcast(w, (int)n, MPI_DOUBLE, 0, comm) != MPI_SUCCESS)
        rc = CKR_EMPI;
    if (rc == 0)
        normalise_signs(n, V);
    return rc;
}
