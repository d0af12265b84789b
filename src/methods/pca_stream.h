/* pca_stream.h -- the PCA of linalg/pca.h (N >= D: the covariance path) over
 * a pair's streamed training rows, for the streamed forms of NLEEP and GBC
 * (internal to src/methods).
 *
 * Three passes over the rows, in chunks of CKR_PCA_CHUNK rows (linalg/pca.c's
 * block; smaller when the source's block is): the column means in row
 * order, the scatter of the centred rows summed by dsyrk chunk by chunk, and
 * the projection. With a source block of at least a chunk the sums are those
 * of ckr_pca_fit_transform, in the same order, so the scores are the same
 * bits; the component rule, the "zero variance" test and the messages are
 * the same too. Memory: a chunk of rows, the D x D scatter and its
 * reduction, then the N x d scores. */
#ifndef CKR_METHODS_PCA_STREAM_H
#define CKR_METHODS_PCA_STREAM_H

#include "linalg/eigen.h"
#include "methods/method.h"

#define CKR_PCA_CHUNK 1024

typedef struct ckr_pca_chunks {
    ckr_rowsrc *rows;
    size_t chunk;
    double *buf;   /* chunk x D */
} ckr_pca_chunks;

/* The state between the fit and the projection; d is the number of
 * components kept (read it after the fit). */
typedef struct ckr_pca_stream {
    ckr_pca_chunks c;
    double *mean, *S;
    ckr_symeig eig;
    size_t d;
} ckr_pca_stream;

/* Passes 1 and 2 (rows->n >= rows->d >= 1, pca > 0: pca.h's rule). With
 * constant non-NULL, *constant = 1 when every row equals the first (byte
 * for byte), and then the fit stops after pass 1 (d = 0, returns 0).
 * Returns 0, or CKR_ENUM ("PCA: features have zero variance", or an
 * eigen-solver failure), CKR_ENOMEM, or a read failure, with err set. Free
 * ps with ckr_pca_stream_free in any case. */
int ckr_pca_stream_fit(ckr_rowsrc *rows, double pca, ckr_pca_stream *ps, int *constant,
                       ckr_err *err);
/* Pass 3: the rows->n x ps->d scores into *scores (malloc'd; the caller
 * frees). Frees the scatter first. */
int ckr_pca_stream_project(ckr_pca_stream *ps, double **scores, ckr_err *err);
void ckr_pca_stream_free(ckr_pca_stream *ps);

#endif
