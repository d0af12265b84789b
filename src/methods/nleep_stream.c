/* nleep_stream.c -- NLEEP with the training features streamed (--max-memory).
 *
 * The PCA of nleep.c (linalg/pca.h, N >= D: the covariance path) is redone
 * over row blocks: column means in row order, the scatter summed by dsyrk
 * over chunks of PCA_CHUNK rows (linalg/pca.c's block, so the sums are the
 * same, in the same order, whenever the row source's block is at least a
 * chunk), the same eigen-solver and component rule, then the scores
 * projected chunk by chunk. Only the reduced N x d scores stay in memory;
 * the mixture and LEEP are nleep.c's own `score` run on them with pca=0 and
 * the same random stream, so the score equals the whole pair's.
 *
 * The reduced width d is known only after the PCA: then the mixture's
 * memory (ckr_nleep_gmm_bytes) is compared with the row source's budget;
 * over it, the item fails "over-memory" (or, when it fits without the
 * E-step's caches, runs without them: the same result up to rounding). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/eigen.h"
#include "linalg/gmm.h"
#include "linalg/pca.h"
#include "methods/memory.h"
#include "methods/nleep.h"
#include "methods/stream.h"
#include "util/flops.h"

extern const ckr_method ckr_method_nleep;

#define PCA_CHUNK 1024

typedef struct {
    ckr_rowsrc *rows;
    size_t chunk;
    double *buf;   /* chunk x D */
} chunks;

static int read_chunk(chunks *c, size_t i0, size_t b, const double *mean, ckr_err *err)
{
    int rc = c->rows->read(c->rows->ctx, i0, b, c->buf, err);
    if (rc || !mean)
        return rc;
    size_t D = c->rows->d;
    for (size_t i = 0; i < b * D; i++)
        c->buf[i] -= mean[i % D];
    ckr_flops_add((double)b * (double)D);
    return 0;
}

/* The PCA state between the fit (means, scatter, spectrum, d) and the
 * projection. */
typedef struct {
    chunks c;
    double *mean, *S;
    ckr_symeig eig;
    size_t d;
} pca_state;

static void pca_free(pca_state *ps)
{
    ckr_symeig_free(&ps->eig);
    free(ps->mean);
    free(ps->S);
    free(ps->c.buf);
    memset(ps, 0, sizeof *ps);
}

/* Passes 1 and 2: the column means, the scatter, its spectrum and d. */
static int pca_fit(ckr_rowsrc *rows, double pca, pca_state *ps, ckr_err *err)
{
    size_t n = rows->n, D = rows->d;
    memset(ps, 0, sizeof *ps);
    ps->c.rows = rows;
    ps->c.chunk = rows->block < PCA_CHUNK ? rows->block : PCA_CHUNK;
    ps->mean = calloc(D, sizeof *ps->mean);
    ps->S = malloc(D * D * sizeof *ps->S);
    ps->c.buf = malloc(ps->c.chunk * D * sizeof *ps->c.buf);
    if (!ps->mean || !ps->S || !ps->c.buf)
        return ckr_err_set(err, CKR_ENOMEM, "PCA: out of memory for %zu x %zu", n, D);
    int rc;
    size_t ch = ps->c.chunk;
    for (size_t i0 = 0; i0 < n; i0 += ch) {
        size_t b = n - i0 < ch ? n - i0 : ch;
        if ((rc = read_chunk(&ps->c, i0, b, NULL, err)))
            return rc;
        for (size_t i = 0; i < b; i++)
            for (size_t j = 0; j < D; j++)
                ps->mean[j] += ps->c.buf[i * D + j];
    }
    for (size_t j = 0; j < D; j++)
        ps->mean[j] /= (double)n;
    ckr_flops_add((double)n * (double)D);
    for (size_t i0 = 0; i0 < n; i0 += ch) {
        size_t b = n - i0 < ch ? n - i0 : ch;
        if ((rc = read_chunk(&ps->c, i0, b, ps->mean, err)))
            return rc;
        ckr_dsyrk_ata(D, b, 1.0, ps->c.buf, D, i0 == 0 ? 0.0 : 1.0, ps->S);
    }
    if ((rc = ckr_symeig_reduce(D, ps->S, &ps->eig)))
        return ckr_err_set(err, rc, "PCA: eigen-decomposition of the %zu x %zu covariance failed",
                           D, D);
    /* no variance beyond what centring constant columns leaves (as pca.c) */
    double trace = 0.0, m2 = 0.0;
    for (size_t j = 0; j < D; j++) {
        trace += ps->S[j * D + j];
        m2 += ps->mean[j] * ps->mean[j];
    }
    int noise = !(trace > 1e-26 * (double)n * m2) || !(trace > 0.0);
    ps->d = noise ? 0 : ckr_pca_num_components(ps->eig.w, D, pca);
    if (ps->d == 0)
        return ckr_err_set(err, CKR_ENUM, "PCA: features have zero variance (%zu x %zu)", n, D);
    return 0;
}

/* Pass 3: the n x d scores (malloc'd into *scores). */
static int pca_project(pca_state *ps, double **scores, ckr_err *err)
{
    ckr_rowsrc *rows = ps->c.rows;
    size_t n = rows->n, D = rows->d, d = ps->d, ch = ps->c.chunk;
    free(ps->S); /* the reduction keeps its own copy */
    ps->S = NULL;
    *scores = malloc(n * d * sizeof **scores);
    double *V = malloc(D * d * sizeof *V);
    int rc = CKR_ENOMEM;
    if (!*scores || !V) {
        ckr_err_set(err, rc, "PCA: out of memory for %zu x %zu scores", n, d);
        goto cleanup;
    }
    if ((rc = ckr_symeig_top_vectors(&ps->eig, d, V))) {
        ckr_err_set(err, rc, "PCA: eigenvectors of the %zu x %zu matrix failed", D, D);
        goto cleanup;
    }
    for (size_t i0 = 0; i0 < n; i0 += ch) {
        size_t b = n - i0 < ch ? n - i0 : ch;
        if ((rc = read_chunk(&ps->c, i0, b, ps->mean, err)))
            goto cleanup;
        ckr_dgemm(0, 0, b, d, D, 1.0, ps->c.buf, D, V, d, 0.0, *scores + i0 * d, d);
    }
    rc = 0;
cleanup:
    if (rc) {
        free(*scores);
        *scores = NULL;
    }
    free(V);
    return rc;
}

int ckr_nleep_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                           ckr_rng *rng, ckr_result *res)
{
    if (!rows || rows->n == 0 || rows->d == 0)
        return ckr_result_fail(res, CKR_ENEEDS, ckr_err_word(CKR_ENEEDS),
                               "nleep needs the train features");
    if (meta->train.n != rows->n)
        return ckr_result_fail(res, CKR_EDATA, ckr_err_word(CKR_EDATA),
                               "nleep: %zu feature rows but %zu labels", rows->n, meta->train.n);
    const ckr_nleep_cfg *c = ckr_params_config(p);
    size_t n = rows->n, D = rows->d;
    int rc;
    if (!(c->pca > 0.0) || n < D) { /* no PCA, or its kernel path: the rows whole */
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = ckr_method_nleep.score(&whole, p, rng, res);
        free(whole.train_features.data);
        return rc;
    }
    double *P = NULL;
    ckr_err err = { 0, "" };
    pca_state ps;
    if ((rc = pca_fit(rows, c->pca, &ps, &err))) {
        pca_free(&ps);
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    }
    size_t d = ps.d;
    /* the mixture's memory (the scores included), now that d is known */
    double K = fmin((double)c->ratio * (double)(meta->num_classes > 0 ? meta->num_classes : 1),
                    (double)n);
    int cov = c->cov;
    double need = ckr_nleep_gmm_bytes((double)n, (double)d, K, cov, 1);
    int lean = 0;
    if (rows->budget > 0.0 && need > rows->budget) {
        double lean_need = ckr_nleep_gmm_bytes((double)n, (double)d, K, cov, 0);
        if (lean_need > rows->budget) {
            pca_free(&ps);
            return ckr_result_fail(res, CKR_ENOMEM, "over-memory",
                                   "the mixture needs about %.1f MB for N=%zu d=%zu K=%.0f (after "
                                   "the PCA), over the %.1f MB left of --max-memory",
                                   lean_need / 1048576.0, n, d, K, rows->budget / 1048576.0);
        }
        lean = 1;
    }
    rc = pca_project(&ps, &P, &err);
    pca_free(&ps);
    if (rc)
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    if (lean)
        ckr_gmm_set_limits(0, 0);
    ckr_pair red = *meta;
    red.train_features.rows = n;
    red.train_features.cols = d;
    red.train_features.data = P;
    ckr_params q = *p;
    ckr_nleep_cfg *qc = (ckr_nleep_cfg *)(void *)q.config.bytes;
    qc->pca = 0.0;
    rc = ckr_method_nleep.score(&red, &q, rng, res);
    if (lean)
        ckr_gmm_set_limits(CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT);
    free(P);
    return rc;
}
