#include "linalg/pca.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/eigen.h"
#include "util/flops.h"

size_t ckr_pca_num_components(const double *eig_desc, size_t r, double pca)
{
    double total = 0.0;
    for (size_t j = 0; j < r; j++)
        total += eig_desc[j] > 0.0 ? eig_desc[j] : 0.0;
    if (!(total > 0.0) || r == 0)
        return 0;
    if (pca >= 1.0) {
        double k = floor(pca);
        return k >= (double)r ? r : (size_t)k;
    }
    /* d = 1 + #{j : cumsum_j <= pca}; cumsum is non-decreasing */
    size_t d = 1;
    double cum = 0.0;
    for (size_t j = 0; j < r; j++) {
        cum += (eig_desc[j] > 0.0 ? eig_desc[j] : 0.0) / total;
        if (cum <= pca)
            d = j + 2;
        else
            break;
    }
    return d > r ? r : d;
}

void ckr_pca_result_free(ckr_pca_result *r)
{
    free(r->scores);
    free(r->variance);
    memset(r, 0, sizeof *r);
}

/* Rows centred per block (so the centred data never exists in full). */
#define PCA_BLOCK 1024

static void column_means(const double *X, size_t n, size_t D, double *mean)
{
    memset(mean, 0, sizeof(double) * D);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < D; j++)
            mean[j] += X[i * D + j];
    for (size_t j = 0; j < D; j++)
        mean[j] /= (double)n;
    ckr_flops_add((double)n * (double)D);
}

/* Rows [i0, i0 + b) of X minus the mean into buf (b x D). */
static void center_rows(const double *X, size_t i0, size_t b, size_t D, const double *mean,
                        double *buf)
{
    for (size_t r = 0; r < b; r++)
        for (size_t j = 0; j < D; j++)
            buf[r * D + j] = X[(i0 + r) * D + j] - mean[j];
    ckr_flops_add((double)b * (double)D);
}

/* True when the scatter (trace of S) is no more than what rounding leaves
 * after centring constant columns: |x - mean| is then a few ulps of |mean|, so
 * trace <= n * (1e-13)^2 * |mean|^2 means "no variance". */
static int is_rounding_noise(const double *S, size_t s, const double *mean, size_t D, size_t n)
{
    double trace = 0.0, m2 = 0.0;
    for (size_t j = 0; j < s; j++)
        trace += S[j * s + j];
    for (size_t j = 0; j < D; j++)
        m2 += mean[j] * mean[j];
    return !(trace > 1e-26 * (double)n * m2) || !(trace > 0.0);
}

/* Fill out->variance / total_var / kept_ratio from descending eigenvalues of
 * the scatter matrix (not yet divided by n - 1). */
static void record_variances(const double *w, size_t r, size_t n, ckr_pca_result *out)
{
    double denom = n > 1 ? (double)(n - 1) : 1.0, total = 0.0, kept = 0.0;
    for (size_t j = 0; j < r; j++)
        total += w[j] > 0.0 ? w[j] / denom : 0.0;
    for (size_t j = 0; j < out->d; j++) {
        out->variance[j] = w[j] > 0.0 ? w[j] / denom : 0.0;
        kept += out->variance[j];
    }
    out->total_var = total;
    out->kept_ratio = total > 0.0 ? kept / total : 0.0;
}

int ckr_pca_fit_transform(const double *X, size_t n, size_t D, double pca,
                          ckr_pca_result *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    if (!(pca > 0.0))
        return ckr_err_set(err, CKR_EARG, "PCA: pca must be > 0 (got %g)", pca);
    if (n == 0 || D == 0)
        return ckr_err_set(err, CKR_EARG, "PCA: empty input (%zu x %zu)", n, D);
    int gram = n < D; /* eigen-decompose the smaller of the two scatter matrices */
    size_t s = gram ? n : D, nb = gram ? n : (n < PCA_BLOCK ? n : PCA_BLOCK);
    double *mean = malloc(sizeof(double) * D);
    double *Xc = malloc(sizeof(double) * nb * D); /* all of it (Gram) or one block */
    double *S = malloc(sizeof(double) * s * s);
    double *V = NULL;
    ckr_symeig eig = { 0 };
    int rc = CKR_ENOMEM;
    if (!mean || !Xc || !S) {
        ckr_err_set(err, rc, "PCA: out of memory for %zu x %zu", n, D);
        goto cleanup;
    }
    column_means(X, n, D, mean);
    if (gram) {
        center_rows(X, 0, n, D, mean, Xc);
        ckr_dsyrk_aat(n, D, 1.0, Xc, D, 0.0, S);
    } else {
        for (size_t i0 = 0; i0 < n; i0 += nb) {
            size_t b = n - i0 < nb ? n - i0 : nb;
            center_rows(X, i0, b, D, mean, Xc);
            ckr_dsyrk_ata(D, b, 1.0, Xc, D, i0 == 0 ? 0.0 : 1.0, S);
        }
    }
    rc = ckr_symeig_reduce(s, S, &eig);
    if (rc != 0) {
        ckr_err_set(err, rc, "PCA: eigen-decomposition of the %zu x %zu %s failed", s, s,
                    gram ? "Gram matrix" : "covariance");
        goto cleanup;
    }
    size_t r = s; /* eigenvalues available */
    size_t d = is_rounding_noise(S, s, mean, D, n) ? 0 : ckr_pca_num_components(eig.w, r, pca);
    if (d == 0) {
        rc = ckr_err_set(err, CKR_ENUM, "PCA: features have zero variance (%zu x %zu)", n, D);
        goto cleanup;
    }
    rc = CKR_ENOMEM;
    out->n = n;
    out->d = d;
    out->D = D;
    out->scores = malloc(sizeof(double) * n * d);
    out->variance = malloc(sizeof(double) * d);
    V = malloc(sizeof(double) * s * d);
    if (!out->scores || !out->variance || !V) {
        ckr_err_set(err, rc, "PCA: out of memory for %zu x %zu scores", n, d);
        goto cleanup;
    }
    record_variances(eig.w, r, n, out);
    rc = ckr_symeig_top_vectors(&eig, d, V);
    if (rc != 0) {
        ckr_err_set(err, rc, "PCA: eigenvectors of the %zu x %zu matrix failed", s, s);
        goto cleanup;
    }
    if (gram) {
        /* Xc = U Sigma W^T  =>  scores = Xc W = U Sigma */
        for (size_t j = 0; j < d; j++) {
            double sv = eig.w[j] > 0.0 ? sqrt(eig.w[j]) : 0.0;
            for (size_t i = 0; i < n; i++)
                out->scores[i * d + j] = V[i * d + j] * sv;
        }
        ckr_flops_add((double)n * (double)d);
    } else {
        for (size_t i0 = 0; i0 < n; i0 += nb) {
            size_t b = n - i0 < nb ? n - i0 : nb;
            center_rows(X, i0, b, D, mean, Xc);
            ckr_dgemm(0, 0, b, d, D, 1.0, Xc, D, V, d, 0.0, out->scores + i0 * d, d);
        }
    }
    rc = 0;
cleanup:
    if (rc != 0)
        ckr_pca_result_free(out);
    ckr_symeig_free(&eig);
    free(mean);
    free(Xc);
    free(S);
    free(V);
    return rc;
}
