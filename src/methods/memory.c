/* memory.c -- the memory estimates of the methods (see memory.h and the
 * README table "Bounded memory"), and the feature-less streamed forms. */
#include "methods/memory.h"

#include <math.h>

#include "methods/gbc.h"
#include "methods/mi.h"
#include "methods/nleep.h"

extern const ckr_method ckr_method_leep;
extern const ckr_method ckr_method_nce;

#define W 8.0 /* bytes of a double */
/* bound-tracking history of linalg/gmm_engine.c (sshrink, sshift) */
#define TRACK_HIST 32.0

/* The sizes of s as doubles: N, D, C (>= 1), Z, n = min(N, D). */
typedef struct { double N, D, C, Z, n, M; } dims;

static dims dims_of(const ckr_pair_shape *s)
{
    dims d = { (double)s->n, (double)s->d, s->num_classes > 0 ? (double)s->num_classes : 1.0,
               (double)s->z, 0.0, (double)s->n_val };
    d.n = d.N < d.D ? d.N : d.D;
    return d;
}

#define MIB 1048576.0
/* OpenBLAS's packing buffers, touched by the first large level-3 call. */
#define BLAS_BYTES (4.0 * MIB)

/* The closed-form eigen-solvers: the Gram or kernel, the eigenvectors and
 * LAPACK's tridiagonal reduction and divide-and-conquer workspaces (4 n^2
 * in all), the target sums and their projections (3 C n), O(n) vectors and
 * the BLAS buffers. */
static double eigen_bytes(double n, double C)
{
    return W * (4.0 * n * n + 3.0 * C * n + 8.0 * n) + BLAS_BYTES;
}

double ckr_memory_logme(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    dims d = dims_of(s);
    if (block == 0)
        return eigen_bytes(d.n, d.C);
    if (d.N <= d.D) /* gathered whole */
        return W * d.N * d.D + eigen_bytes(d.n, d.C);
    return eigen_bytes(d.D, d.C) + W * ((double)block * d.D + d.C * d.D);
}

double ckr_memory_hscore(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    dims d = dims_of(s);
    /* ckr_fs_gram's block of transformed rows: at most 8 MB, at most N x D */
    double fsblock = fmin(W * d.N * d.D, 8.0 * MIB + 16.0 * W * d.D);
    if (block == 0)
        return eigen_bytes(d.n, d.C) + W * d.D + fsblock;
    if (d.N <= d.D)
        return W * d.N * d.D + eigen_bytes(d.n, d.C) + W * d.D + fsblock;
    return eigen_bytes(d.D, d.C) + W * ((double)block * d.D + d.C * d.D + 3.0 * d.D);
}

/* LEEP: the softmax of the logits (N x Z), the Z x C joint table and 1 MiB
 * for the small buffers of the reading and the labels. */
double ckr_memory_leep(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    (void)block;
    dims d = dims_of(s);
    return W * (d.N * d.Z + 2.0 * d.Z * d.C + d.C) + MIB;
}

/* NCE: one key per instance and the Z x C counts. */
double ckr_memory_nce(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    (void)block;
    dims d = dims_of(s);
    return W * (d.N * (s->kind == CKR_MULTILABEL ? d.C : 1.0) + d.Z * d.C + d.Z + d.C) + MIB;
}

double ckr_nleep_gmm_bytes(double N, double d, double K, int cov, int caches)
{
    int full = cov != CKR_NLEEP_COV_DIAG;
    double cl = full ? d * d : d;                          /* one covariance */
    double m = full ? d * (d + 1.0) / 2.0 + d + 1.0 : 2.0 * d + 1.0; /* E-step features */
    /* reduced rows and two working copies, posteriors, responsibilities and
     * k-means distances (5 N K), covariances with factors and inverses */
    double base = W * (3.0 * N * d + 5.0 * N * K + 3.0 * K * cl + 2.0 * K * d + 2.0 * N) + 4.0 * N;
    double blocks, qcache = 0.0, track = 0.0;
    if (full) {
        blocks = 12.0 * fmin(N * K, 2097152.0) + fmin(4.0 * N * m, 16.0 * MIB) + 4.0 * K * m;
        if (caches && 4.0 * N * m <= 512.0 * MIB)
            qcache = 4.0 * N * m;
    } else {
        blocks = W * (N * m + K * m) + W * fmin(N * K, 1048576.0 + 64.0 * K);
    }
    if (caches && N * K * 6.0 + K * (cl + d) * 8.0 <= 256.0 * MIB)
        track = 6.0 * N * K + W * (K * (2.0 * cl + d + 2.0 * TRACK_HIST) + N);
    return base + blocks + qcache + track + BLAS_BYTES;
}

/* NLEEP whole: the PCA (a chunk of 1024 centred rows, the D x D covariance
 * with its reduction and eigenvectors) and the mixture on the reduced rows
 * (ckr_nleep_gmm_bytes), the largest over the reduced widths r <= min(N, D)
 * (r = pca when pca >= 1): r is known only after the PCA, so this is an
 * upper bound.
 * Streamed: the PCA part only (its rows read in chunks); the mixture's part
 * is checked by the method once r is known (methods/nleep_stream.c). */
double ckr_memory_nleep(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    const ckr_nleep_cfg *c = ckr_params_config(p);
    dims d = dims_of(s);
    double K = fmin((double)c->ratio * d.C, d.N);
    double r = c->pca >= 1.0 ? fmin(floor(c->pca), d.n) : d.n;
    double pca = c->pca > 0.0 ? W * (1024.0 * d.D + 3.0 * d.D * d.D + 4.0 * d.D) : 0.0;
    /* the largest over the widths the PCA may keep: the E-step caches are
     * only taken when they fit their limits, so a smaller width may need more */
    double gmm = 0.0;
    if (c->pca > 0.0 && c->pca < 1.0)
        for (double w = 1.0; w < r; w += 1.0)
            gmm = fmax(gmm, ckr_nleep_gmm_bytes(d.N, w, K, c->cov, 1));
    gmm = fmax(gmm, ckr_nleep_gmm_bytes(d.N, r, K, c->cov, 1));
    if (block == 0)
        return pca + gmm;
    if (!(c->pca > 0.0) || d.N < d.D) /* gathered whole */
        return W * d.N * d.D + pca + gmm;
    return pca + W * d.N + BLAS_BYTES; /* + the N x r scores, checked after the PCA */
}

/* TransRate: the centred, normalised rows a block at a time (8 MiB), the
 * Gram or kernel of the whole and of each class (one at a time) with their
 * factors, row indices. Streamed (N > D): one D x D Gram summed over the
 * blocks (more when the budget allows), the block's Gram, the block and its
 * transformed copy (ckr_fs_gram's buffer), indices; N <= D: gathered. */
double ckr_memory_transrate(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    dims d = dims_of(s);
    double whole = W * (3.0 * d.n * d.n + 2.0 * d.N + d.D) + fmin(W * d.N * d.D, 8.0 * MIB) +
                   BLAS_BYTES;
    if (block == 0)
        return whole;
    if (d.N <= d.D)
        return W * d.N * d.D + whole;
    double b = (double)block;
    return W * (2.0 * d.D * d.D + 2.0 * b * d.D + b + 3.0 * d.D) + BLAS_BYTES;
}

/* GBC: PCA to d = min(pca, D, N) dims (the centred rows a chunk or a block
 * at a time, the D x D covariance, its reduction and eigenvectors, the N x d
 * scores) and per-class means and variances. Streamed (N > D, pca > 0): the
 * same without the features; otherwise the rows are gathered whole. */
double ckr_memory_gbc(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    const ckr_gbc_cfg *c = ckr_params_config(p);
    dims d = dims_of(s);
    double k = c->pca > 0 ? fmin(fmin((double)c->pca, d.D), d.N) : d.D;
    double pca = c->pca > 0 ? W * (3.0 * d.D * d.D + 2.0 * d.D + d.N * k) : 0.0;
    double whole = pca + W * (2.0 * d.C * k + d.C + d.D) + fmin(W * d.N * d.D, 8.0 * MIB) +
                   BLAS_BYTES;
    if (block == 0)
        return whole;
    if (c->pca <= 0 || d.N <= d.D)
        return W * d.N * d.D + whole;
    return pca + W * (2.0 * d.C * k + d.C + 2.0 * d.D + 1024.0 * d.D) + BLAS_BYTES;
}

/* linear / finetune: the model (D x H + H x C, H = 256 hidden units or C
 * for the linear probe) with its gradients, momentum and best copy, one
 * minibatch of 512 rows (input, activations, gradients), the split's row
 * indices and the standardisation. */
double ckr_memory_trained(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)p;
    if (block > 0)
        return -1.0;
    dims d = dims_of(s);
    double H = 256.0 > d.C ? 256.0 : d.C;
    return W * (4.0 * (d.D * H + H * d.C) + 2.0 * 512.0 * (d.D + 2.0 * H + 2.0 * d.C) +
                2.0 * (d.N + d.M) + 4.0 * d.D) + BLAS_BYTES;
}

/* mi: the critic (D x h, layers x h x h and h x embed weights, with
 * gradients and Adam's two moments: 4 copies, two towers), one batch of B x B
 * scores and the activations, the split's indices; with pca > 0 also a copy
 * of the training and monitor rows, their scores (at most the same size)
 * and the D x D covariance with its eigenvectors. */
double ckr_memory_mi(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    if (block > 0)
        return -1.0;
    const ckr_mi_cfg *c = ckr_params_config(p);
    dims d = dims_of(s);
    double h = (double)c->hidden, B = (double)c->batch, e = (double)c->embed;
    double critic = 8.0 * (d.D * h + (double)c->layers * h * h + h * e);
    double pca = c->pca > 0.0 ? 2.0 * (d.N + d.M) * d.D + 3.0 * d.D * d.D : 0.0;
    return W * (critic + 4.0 * B * B + 4.0 * B * (h + e) + 2.0 * (d.N + d.M) + pca) +
           BLAS_BYTES;
}

double ckr_memory_none(const ckr_pair_shape *s, const ckr_params *p, size_t block)
{
    (void)s;
    (void)p;
    (void)block;
    return 0.0;
}

int ckr_leep_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res)
{
    (void)rows;
    return ckr_method_leep.score(meta, p, rng, res);
}

int ckr_nce_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                         ckr_rng *rng, ckr_result *res)
{
    (void)rows;
    return ckr_method_nce.score(meta, p, rng, res);
}
