/* batcher.h -- seeded mini-batch order over n positions.
 *
 * Epoch e visits a fresh Fisher-Yates permutation of 0..n-1 drawn from the
 * rng at the start of the epoch, cut into consecutive batches of `batch`
 * positions.  Without drop_last the last batch of an epoch holds the
 * n mod batch leftovers (an epoch is ceil(n / batch) steps); with drop_last
 * the leftovers are skipped and every batch is full (needs batch <= n).
 * The sequence depends only on the rng state, n, batch and drop_last. */
#ifndef CKR_TRAIN_BATCHER_H
#define CKR_TRAIN_BATCHER_H

#include <stddef.h>

#include "util/err.h"
#include "util/rng.h"

typedef struct ckr_batcher {
    size_t n, batch, pos, epoch;
    int drop_last;
    size_t *perm;
    ckr_rng *rng;
} ckr_batcher;

/* 1 <= batch; with drop_last batch <= n. The rng must outlive the batcher. */
int ckr_batcher_init(ckr_batcher *b, size_t n, size_t batch, int drop_last, ckr_rng *rng,
                     ckr_err *err);
/* Next batch: *pos points at its positions (valid until the next call);
 * returns its size (>= 1). */
size_t ckr_batcher_next(ckr_batcher *b, const size_t **pos);
void ckr_batcher_free(ckr_batcher *b);

/* ceil(n / batch): steps in one epoch without drop_last. */
size_t ckr_steps_per_epoch(size_t n, size_t batch);

#endif
