/* dataset.h -- read-only views of a feature matrix for the trainer.
 *
 * A ckr_ds never owns memory.  It points into a base matrix X (rows x D,
 * row-major) and the labels of the same base rows; `idx` selects and orders
 * the rows of the view (NULL = base rows 0..n-1).  "Position" p in [0, n)
 * means row idx[p] of the base.
 *
 * Gathering copies rows of the view into a caller buffer and applies the
 * standardisation (x - mu[d]) * isd[d] on the fly when mu/isd are set, so a
 * standardised training run never copies the whole matrix (2 FLOPs per
 * gathered value are counted).
 *
 * A view with X == NULL is a label-only view: its "network input" is the
 * one-hot (multiclass) or multi-hot (multilabel) label row of width C; the
 * MI critic uses this for its y side. */
#ifndef CKR_TRAIN_DATASET_H
#define CKR_TRAIN_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "util/err.h"
#include "util/err.h"
#include "util/rng.h"

typedef struct ckr_ds {
    const double *X;        /* base rows x D, or NULL (label-only view) */
    size_t D;
    const size_t *idx;      /* base row of each position, NULL = identity */
    size_t n;               /* positions in the view */
    ckr_task_kind kind;
    int C;                  /* classes / labels */
    const int *y;           /* multiclass labels of the base rows (or NULL) */
    const uint8_t *Y;       /* multilabel base rows x C 0/1 (or NULL) */
    const double *mu, *isd; /* standardisation over D columns, NULL = none */
} ckr_ds;

/* Base row of position p. */
static inline size_t ckr_ds_row(const ckr_ds *ds, size_t p)
{
    return ds->idx ? ds->idx[p] : p;
}

/* Width of the network input of the view: D, or C when X == NULL. */
size_t ckr_ds_input_dim(const ckr_ds *ds);

/* Copy B rows of the view into out (B x input_dim): positions pos[0..B) or,
 * when pos is NULL, start..start+B-1.  Features are standardised when
 * mu/isd are set; a label-only view gives one-hot / multi-hot rows. */
void ckr_ds_gather(const ckr_ds *ds, const size_t *pos, size_t start, size_t B, double *out);

/* The labels of the same B rows: yout[B] (multiclass) and/or Yout[B x C]
 * (multilabel); either pointer may be NULL to skip it. */
void ckr_ds_gather_labels(const ckr_ds *ds, const size_t *pos, size_t start, size_t B,
                          int *yout, uint8_t *Yout);

/* Column means mu[D] and inverse standard deviations isd[D] (population
 * std, ddof = 0, as scikit-learn's StandardScaler) of the view's rows.  A
 * column whose std is 0 or below 1e-12 * (1 + |mean|) gets isd = 1 (it
 * becomes all zeros after centring).  CKR_EARG on an empty or label-only view. */
int ckr_ds_moments(const ckr_ds *ds, double *mu, double *isd, ckr_err *err);

/* Seeded hold-out split of n samples into train and hold-out index lists
 * (both sorted ascending; caller frees).  Multiclass (y != NULL): stratified,
 * class c gives floor(frac * n_c + 0.5) samples chosen by a seeded shuffle of
 * its members (classes visited in order 0..C-1).  Multilabel (y == NULL): a
 * seeded shuffle of all samples gives floor(frac * n + 0.5).  Either way, if
 * that leaves the hold-out empty one random sample moves to it, and if it
 * would take every sample one moves back.  n >= 2, 0 < frac < 1. */
int ckr_holdout_split(size_t n, const int *y, int C, double frac, ckr_rng *rng,
                      size_t **train_idx, size_t *n_train, size_t **hold_idx,
                      size_t *n_hold, ckr_err *err);

#endif
