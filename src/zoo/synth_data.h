/* synth_data.h -- internal to src/zoo: the data of a synthetic zoo, before
 * synth.c writes it to HDF5.
 *
 * Checkpoint c has a quality q_c in (0.2, 2) (a seeded permutation of an
 * even grid plus jitter, so the values are distinct).  For a pair (c, t) the
 * true separation is q_ct = q_c * exp(0.1 * noise); task t's class means are
 * q_ct * SEP * (random unit vectors over the checkpoint's live columns), a
 * sample is its class mean (multilabel: the sum of its classes' means) plus
 * N(0, 1) noise, then per column scaled, shifted to a non-zero mean and for
 * every fourth live column passed through max(0, .).  Each checkpoint also
 * has dead (all-zero) and duplicated columns.  The source head is a random
 * D x Z matrix scaled so that logits are O(3); logits = features * W + b
 * (W and b are written as the pair's top layer, schema 1.1).
 * finetune_accuracy = chance + (1 - chance) * (1 - exp(-1.5 q_ct)) plus
 * N(0, 0.003^2) noise: apart from the noise a strictly increasing function
 * of the true separation, which a good score must therefore rank.
 *
 * With n_test > 0 each task also gets a held-out test split (test labels,
 * features and logits) drawn from streams of its own, so adding it changes
 * nothing else.
 *
 * Every random stream is ckr_rng_seed_item(seed, checkpoint, task, purpose),
 * so equal options give equal data. The functions returning int return 0 or
 * CKR_ENOMEM (no message: the caller names the object). */
#ifndef CKR_ZOO_SYNTH_DATA_H
#define CKR_ZOO_SYNTH_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "util/rng.h"
#include "zoo/zoo.h"

/* The splits of a task; CKR_SYNTH_TEST exists only when n_test > 0. */
enum { CKR_SYNTH_TRAIN = 0, CKR_SYNTH_VAL = 1, CKR_SYNTH_TEST = 2 };

/* A task: its name, classes and labels of each split. */
typedef struct {
    char name[64];
    int C, ml;                   /* classes; multilabel */
    int *y_tr, *y_va, *y_te;     /* multiclass labels (train, val, test) */
    uint8_t *Y_tr, *Y_va, *Y_te; /* multilabel n x C 0/1 (train, val, test) */
} ckr_synth_task;

/* Per-checkpoint column structure and source head. */
typedef struct {
    char name[64];
    size_t D;
    int Z;              /* source classes, 0 without logits */
    double q;           /* quality q_c */
    int *role;          /* 0 live, 1 dead, 2 duplicate of src[j] */
    size_t *src;
    double *scale, *offset;
    int *relu;
    double *W, *b;      /* D x Z head and Z bias, float32-representable */
} ckr_synth_ckpt;

/* The qualities q[0..n_ckpts) of the checkpoints: distinct, in (0.2, 2). */
int ckr_synth_make_qualities(const ckr_synth_opts *o, double *q);

/* Task t (0-based) of o into st (zeroed first): name, classes, labels of
 * every split. On failure st may hold some buffers: free it anyway. */
int ckr_synth_make_task(const ckr_synth_opts *o, int t, ckr_synth_task *st);
/* Free st's label buffers. */
void ckr_synth_free_task(ckr_synth_task *st);

/* Checkpoint c (0-based) of quality q into k (zeroed first): name, width D,
 * column roles and transforms, source head when o->logits. On failure k may
 * hold some buffers: free it anyway. */
int ckr_synth_make_ckpt(const ckr_synth_opts *o, int c, double q, ckr_synth_ckpt *k);
/* Free k's buffers. */
void ckr_synth_free_ckpt(ckr_synth_ckpt *k);

/* The pair's true separation q_ct = k->q * exp(0.1 * N(0, 1)), the first
 * draw from the pair's stream r. */
double ckr_synth_pair_quality(ckr_rng *r, const ckr_synth_ckpt *k);

/* Class means M (C x D) over k's live columns, each of norm q * SEP. */
void ckr_synth_make_means(ckr_rng *r, const ckr_synth_ckpt *k, int C, double q, double *M);

/* n samples of one split into x (n x D, zeroed by the caller;
 * float32-representable values) for the labels y (multiclass) or Y
 * (multilabel) of task st, class means M. */
void ckr_synth_make_features(ckr_rng *r, const ckr_synth_ckpt *k, const ckr_synth_task *st,
                             const int *y, const uint8_t *Y, size_t n, const double *M,
                             double *x);

/* logits L (n x Z) = x W + b, rounded to float32. */
void ckr_synth_make_logits(const ckr_synth_ckpt *k, const double *x, size_t n, double *L);

/* The pair's finetune_accuracy for separation q, in [0, 1]: chance +
 * (1 - chance) * (1 - exp(-1.5 q)) + N(0, 0.003^2), drawn from r after the
 * train and val features. */
double ckr_synth_finetune_accuracy(ckr_rng *r, const ckr_synth_task *st, double q);

#endif
