/* split.h -- the train / evaluation / test views of one (checkpoint, task) pair.
 *
 * Contract (shared by every trained method):
 *  - train: the pair's train split; eval: its validation split when the pair
 *    has one (val_features and val labels), otherwise a seeded 20% hold-out of
 *    train (stratified by class for multiclass, plain random for multilabel,
 *    see ckr_holdout_split), which is then removed from train;
 *  - test: the pair's optional held-out test split (test.n == 0 when absent);
 *    only used for ckr_result.heldout, never for a score or for training;
 *  - standardize != 0: mu / isd are fitted on the train view only and shared
 *    by all three views (features are z-scored on the fly when gathered);
 *  - multiclass: the views work on the classes that occur in the pair's
 *    labels (train, val or test): when fewer than num_classes occur, the
 *    labels are relabelled to 0..K-1 in increasing class order and the
 *    views' C is K (a task declaring a million classes with 40 samples
 *    trains a model of at most 40 classes). When every class occurs, the
 *    views are the pair's labels unchanged; the hold-out is the same either
 *    way (it is stratified over the classes that occur, in order).
 * The views point into the pair, which must outlive the split. */
#ifndef CKR_TRAIN_SPLIT_H
#define CKR_TRAIN_SPLIT_H

#include "core/pair.h"
#include "util/err.h"
#include "train/dataset.h"

#define CKR_HOLDOUT_FRAC 0.2

typedef struct ckr_split {
    ckr_ds train, eval, test;
    int holdout;          /* 1 when eval is the hold-out of train */
    /* owned */
    size_t *train_idx, *hold_idx;
    double *mu, *isd;
    int *relabelled[3];   /* train, val, test labels when relabelled, else NULL */
} ckr_split;

/* Check the pair (features present, shapes agree, labels present and in
 * range, at least 2 training samples) and build the views. Errors: CKR_EDATA
 * (inconsistent pair), CKR_ENOMEM. */
int ckr_split_make(const ckr_pair *pair, int standardize, ckr_split *out, ckr_err *err);
void ckr_split_free(ckr_split *s);

/* Fit mu / isd on s->train (replacing any previous ones) and attach them to
 * the three views; used when the views are re-pointed to new features. */
int ckr_split_standardize(ckr_split *s, ckr_err *err);

/* "val" or "holdout=20%" for res->info. */
const char *ckr_split_eval_name(const ckr_split *s);

#endif
