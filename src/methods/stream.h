/* stream.h -- passes over a pair's training rows for the streamed scores
 * (internal to src/methods; the row source is ckr_rowsrc in methods/method.h,
 * the memory formulas are methods/memory.h).
 *
 * Every pass reads the rows in order, rows->block at a time, into a buffer
 * the pass allocates (block x d doubles) and frees, and accumulates in row
 * order in double precision. A failed read fails the pass with its code and
 * message in res. */
#ifndef CKR_METHODS_STREAM_H
#define CKR_METHODS_STREAM_H

#include "linalg/featstats.h"
#include "methods/method.h"

/* The check ckr_pair_check_features makes, for a feature-less pair and its
 * row source (finiteness is checked by the source as it reads). 0, or a
 * code with res failed. */
int ckr_stream_check(const ckr_pair *meta, const ckr_rowsrc *rows, ckr_result *res);

/* Column means mu (d) of the rows, summed in row order, and the largest
 * |f_ij - mu_j| (*amax); both bitwise those of ckr_fs_colmean and
 * ckr_fs_maxabs on the whole matrix. */
int ckr_stream_colstats(ckr_rowsrc *rows, double *mu, double *amax, ckr_result *res);

/* G (d x d, both triangles) = sum_i z_i z_i^T with z_i = scale * (f_i - mu)
 * (mu NULL: scale * f_i), S (tg->t x d) the sums of z_i per target of tg
 * (tg over all the rows), *sum4 (may be NULL) = sum_i ||z_i||^4. */
int ckr_stream_gram(ckr_rowsrc *rows, const double *mu, double scale, const ckr_targets *tg,
                    double *G, double *S, double *sum4, ckr_result *res);

/* All rows into a new n x d matrix (for pairs small enough to score whole:
 * n <= d). *whole is *meta with train_features those rows; free
 * whole->train_features.data with free(). */
int ckr_stream_gather(const ckr_pair *meta, ckr_rowsrc *rows, ckr_pair *whole, ckr_result *res);

#endif
