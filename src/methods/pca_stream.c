/* pca_stream.c -- linalg/pca.h's PCA over streamed rows (see pca_stream.h). */
#include "methods/pca_stream.h"

#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/pca.h"
#include "util/flops.h"

static int read_chunk(ckr_pca_chunks *c, size_t i0, size_t b, const double *mean, ckr_err *err)
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

void ckr_pca_stream_free(ckr_pca_stream *ps)
{
    ckr_symeig_free(&ps->eig);
    free(ps->mean);
    free(ps->S);
    free(ps->c.buf);
    memset(ps, 0, sizeof *ps);
}

int ckr_pca_stream_fit(ckr_rowsrc *rows, double pca, ckr_pca_stream *ps, int *constant,
                       ckr_err *err)
{
    size_t n = rows->n, D = rows->d;
    memset(ps, 0, sizeof *ps);
    ps->c.rows = rows;
    ps->c.chunk = rows->block < CKR_PCA_CHUNK ? rows->block : CKR_PCA_CHUNK;
    ps->mean = calloc(D, sizeof *ps->mean);
    ps->S = malloc(D * D * sizeof *ps->S);
    ps->c.buf = malloc(ps->c.chunk * D * sizeof *ps->c.buf);
    double *first = constant ? malloc(D * sizeof *first) : NULL;
    if (!ps->mean || !ps->S || !ps->c.buf || (constant && !first)) {
        free(first);
        return ckr_err_set(err, CKR_ENOMEM, "PCA: out of memory for %zu x %zu", n, D);
    }
    int rc, same = 1;
    size_t ch = ps->c.chunk;
    for (size_t i0 = 0; i0 < n; i0 += ch) {
        size_t b = n - i0 < ch ? n - i0 : ch;
        if ((rc = read_chunk(&ps->c, i0, b, NULL, err))) {
            free(first);
            return rc;
        }
        if (first && i0 == 0)
            memcpy(first, ps->c.buf, D * sizeof *first);
        for (size_t i = 0; i < b; i++) {
            for (size_t j = 0; j < D; j++)
                ps->mean[j] += ps->c.buf[i * D + j];
            if (first && same)
                same = memcmp(first, ps->c.buf + i * D, D * sizeof *first) == 0;
        }
    }
    free(first);
    if (constant && (*constant = same))
        return 0; /* every row the same: no PCA */
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

int ckr_pca_stream_project(ckr_pca_stream *ps, double **scores, ckr_err *err)
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
