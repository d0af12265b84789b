/* pca_team.c -- PCA over a team of ranks (contract in linalg/pca_team.h). */
#include "linalg/pca_team.h"

#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "util/flops.h"

/* rows centred per block, as pca.c */
#define PCA_TEAM_BLOCK 1024

static void center_rows(const double *X, size_t i0, size_t b, size_t D, const double *mean,
                        double *buf)
{
    for (size_t r = 0; r < b; r++)
        for (size_t j = 0; j < D; j++)
            buf[r * D + j] = X[(i0 + r) * D + j] - mean[j];
    ckr_flops_add((double)b * (double)D);
}

/* pca.c's rule: the scatter's trace is no more than the rounding left by
 * centring constant columns. */
static int is_rounding_noise(const double *S, size_t D, const double *mean, size_t n)
{
    double trace = 0.0, m2 = 0.0;
    for (size_t j = 0; j < D; j++)
        trace += S[j * D + j];
    for (size_t j = 0; j < D; j++)
        m2 += mean[j] * mean[j];
    return !(trace > 1e-26 * (double)n * m2) || !(trace > 0.0);
}

int ckr_pca_team_fit_transform(MPI_Comm comm, const double *X, size_t n_local, size_t n_total,
                               size_t D, double pca, ckr_pca_result *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (!(pca > 0.0))
        return ckr_err_set(err, CKR_EARG, "PCA: pca must be > 0 (got %g)", pca);
    if (n_total == 0 || D == 0)
        return ckr_err_set(err, CKR_EARG, "PCA: empty input (%zu x %zu)", n_total, D);
    size_t nb = n_local < PCA_TEAM_BLOCK ? n_local : PCA_TEAM_BLOCK;
    double *mean = calloc(D, sizeof *mean), *S = malloc(D * D * sizeof *S);
    double *Xc = malloc((nb ? nb : 1) * D * sizeof *Xc), *w = malloc(D * sizeof *w);
    double *V = malloc(D * D * sizeof *V), *wd = malloc(D * sizeof *wd), *Vd = NULL;
    int rc = 0;
    if (!mean || !S || !Xc || !w || !V || !wd)
        rc = ckr_err_set(err, CKR_ENOMEM, "PCA: out of memory for %zu x %zu", n_total, D);
    if ((rc = ckr_dist_agree(comm, rc, err)))
        goto cleanup;
    for (size_t i = 0; i < n_local; i++)
        for (size_t j = 0; j < D; j++)
            mean[j] += X[i * D + j];
    if ((rc = ckr_dist_sum(comm, mean, D))) {
        ckr_err_set(err, rc, "PCA: summing the column means over the team failed");
        goto cleanup;
    }
    for (size_t j = 0; j < D; j++)
        mean[j] /= (double)n_total;
    ckr_flops_add((double)n_local * (double)D);
    if (n_local == 0)
        memset(S, 0, D * D * sizeof *S);
    for (size_t i0 = 0; i0 < n_local; i0 += nb) {
        size_t b = n_local - i0 < nb ? n_local - i0 : nb;
        center_rows(X, i0, b, D, mean, Xc);
        ckr_dsyrk_ata(D, b, 1.0, Xc, D, i0 == 0 ? 0.0 : 1.0, S);
    }
    if ((rc = ckr_dist_sum(comm, S, D * D))) {
        ckr_err_set(err, rc, "PCA: summing the covariance over the team failed");
        goto cleanup;
    }
    if ((rc = ckr_dist_syevd(comm, D, S, w, V))) {
        ckr_err_set(err, rc, "PCA: eigen-decomposition of the %zu x %zu covariance failed", D, D);
        goto cleanup;
    }
    for (size_t j = 0; j < D; j++)
        wd[j] = w[D - 1 - j];
    size_t d = is_rounding_noise(S, D, mean, n_total) ? 0 : ckr_pca_num_components(wd, D, pca);
    if (d == 0) {
        rc = ckr_err_set(err, CKR_ENUM, "PCA: features have zero variance (%zu x %zu)", n_total, D);
        goto cleanup;
    }
    out->n = n_local;
    out->d = d;
    out->D = D;
    out->scores = malloc((n_local ? n_local : 1) * d * sizeof *out->scores);
    out->variance = malloc(d * sizeof *out->variance);
    Vd = malloc(D * d * sizeof *Vd);
    rc = 0;
    if (!out->scores || !out->variance || !Vd)
        rc = ckr_err_set(err, CKR_ENOMEM, "PCA: out of memory for %zu x %zu scores", n_local, d);
    if ((rc = ckr_dist_agree(comm, rc, err)))
        goto cleanup;
    double denom = n_total > 1 ? (double)(n_total - 1) : 1.0, total = 0.0, kept = 0.0;
    for (size_t j = 0; j < D; j++)
        total += wd[j] > 0.0 ? wd[j] / denom : 0.0;
    for (size_t j = 0; j < d; j++) {
        out->variance[j] = wd[j] > 0.0 ? wd[j] / denom : 0.0;
        kept += out->variance[j];
    }
    out->total_var = total;
    out->kept_ratio = total > 0.0 ? kept / total : 0.0;
    for (size_t i = 0; i < D; i++) /* column j: the eigenvector of wd[j] */
        for (size_t j = 0; j < d; j++)
            Vd[i * d + j] = V[(D - 1 - j) * D + i];
    for (size_t i0 = 0; i0 < n_local; i0 += nb) {
        size_t b = n_local - i0 < nb ? n_local - i0 : nb;
        center_rows(X, i0, b, D, mean, Xc);
        ckr_dgemm(0, 0, b, d, D, 1.0, Xc, D, Vd, d, 0.0, out->scores + i0 * d, d);
    }
cleanup:
    if (rc != 0)
        ckr_pca_result_free(out);
    free(mean);
    free(S);
    free(Xc);
    free(w);
    free(V);
    free(wd);
    free(Vd);
    return rc;
}
