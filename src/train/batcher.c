#include "train/batcher.h"

#include <stdlib.h>
#include <string.h>

size_t ckr_steps_per_epoch(size_t n, size_t batch)
{
    return batch ? (n + batch - 1) / batch : 0;
}

int ckr_batcher_init(ckr_batcher *b, size_t n, size_t batch, int drop_last, ckr_rng *rng,
                     ckr_err *err)
{
    memset(b, 0, sizeof *b);
    if (n == 0 || batch == 0 || (drop_last && batch > n))
        return ckr_err_set(err, CKR_EARG, "cannot cut %zu samples into batches of %zu%s",
                           n, batch, drop_last ? " (full batches only)" : "");
    b->perm = malloc(n * sizeof(size_t));
    if (!b->perm)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for a %zu-sample batch order", n);
    b->n = n;
    b->batch = batch;
    b->drop_last = drop_last;
    b->rng = rng;
    b->pos = n; /* the first call starts an epoch */
    return 0;
}

static void new_epoch(ckr_batcher *b)
{
    for (size_t i = 0; i < b->n; i++)
        b->perm[i] = i;
    ckr_rng_shuffle(b->rng, b->perm, b->n);
    b->pos = 0;
    b->epoch++;
}

size_t ckr_batcher_next(ckr_batcher *b, const size_t **pos)
{
    size_t left = b->n - b->pos;
    if (left == 0 || (b->drop_last && left < b->batch))
        new_epoch(b);
    left = b->n - b->pos;
    size_t B = left < b->batch ? left : b->batch;
    *pos = b->perm + b->pos;
    b->pos += B;
    return B;
}

void ckr_batcher_free(ckr_batcher *b)
{
    free(b->perm);
    memset(b, 0, sizeof *b);
}
