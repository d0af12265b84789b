/* rowread.h -- one pair's size before reading it, and its training features
 * read a block of rows at a time (serial: the zoo's own file handle), for
 * --max-memory.
 *
 * ckr_zoo_pair_extent reads metadata only (dataset shapes, the task's kind
 * and class count) and gives the bytes the pair takes in memory once read
 * (everything as double, labels as int or one byte per label), with and
 * without its features. ckr_zoo_rows reads rows [row0, row0 + nrows) of
 * train_features converted to double, counting the bytes it read as stored;
 * with a lock it holds the lock around each HDF5 call (another thread of the
 * process may use HDF5). Errors name the file, the object and the problem. */
#ifndef CKR_ZOO_ROWREAD_H
#define CKR_ZOO_ROWREAD_H

#include <pthread.h>
#include <stddef.h>

#include "core/pair.h"
#include "util/err.h"
#include "zoo/zoo.h"

typedef struct ckr_pair_extent {
    ckr_pair_shape shape;   /* n, d, z, n_val (rows of val_features), C, kind */
    size_t n_test;          /* rows of test_features, 0 when absent */
    size_t h;               /* columns of top_weights, 0 when absent */
    double bytes_features;  /* train + val + test features as double */
    double bytes_meta;      /* everything else a read keeps: logits, labels, top layer */
    double bytes_check;     /* the block buffer a feature-less read checks features with */
} ckr_pair_extent;

/* The extent of (ckpt, task) from metadata only. A pair whose datasets are
 * missing or malformed still gets an extent (unknown parts 0): reading it
 * reports the problem. Returns 0, or CKR_EIO when the file cannot be
 * consulted at all. */
int ckr_zoo_pair_extent(ckr_zoo *zoo, const char *ckpt, const char *task,
                        ckr_pair_extent *out, ckr_err *err);

typedef struct ckr_zoo_rows ckr_zoo_rows;

/* Open /checkpoints/<ckpt>/<task>/train_features of zoo for reading rows
 * (lock may be NULL). CKR_EFORMAT when it is missing or not a numeric
 * rank-2 dataset, CKR_ENOMEM. Close with ckr_zoo_rows_close. */
int ckr_zoo_rows_open(ckr_zoo *zoo, const char *ckpt, const char *task,
                      pthread_mutex_t *lock, ckr_zoo_rows **out, ckr_err *err);
/* Rows and columns of the dataset. */
size_t ckr_zoo_rows_n(const ckr_zoo_rows *r);
size_t ckr_zoo_rows_d(const ckr_zoo_rows *r);
/* Read rows [row0, row0 + nrows) as double into out (nrows x d, row-major);
 * ctx is the ckr_zoo_rows (this is a ckr_rowsrc read function). CKR_EARG
 * for rows beyond the dataset, CKR_EIO for a failed read, CKR_EDATA for a
 * value that is not finite (the file changed since it was checked). */
int ckr_zoo_rows_read(void *ctx, size_t row0, size_t nrows, double *out, ckr_err *err);
/* Bytes read so far through r, as stored in the file. */
double ckr_zoo_rows_bytes(const ckr_zoo_rows *r);
/* NULL allowed. */
void ckr_zoo_rows_close(ckr_zoo_rows *r);

#endif
