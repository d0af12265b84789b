/* pair.h -- the data model: one (checkpoint, task) pair in memory.
 *
 * Below every layer that handles data (zoo, linalg, train, methods, sched):
 * a row-major matrix, the labels of one split (multiclass or multilabel),
 * a pair with its splits, and the shape of a pair known before reading it.
 * This header depends on nothing but the C library.
 *
 * Ownership: a pair filled by the zoo reader (zoo/zoo.h) owns its buffers;
 * ckr_pair_free releases them. ckpt/task are borrowed names. */
#ifndef CKR_CORE_PAIR_H
#define CKR_CORE_PAIR_H

#include <stddef.h>
#include <stdint.h>

typedef enum { CKR_MULTICLASS = 0, CKR_MULTILABEL = 1 } ckr_task_kind;

/* Row-major matrix; data == NULL means "absent in the file". */
typedef struct ckr_matrix {
    size_t rows, cols;
    double *data;
} ckr_matrix;

typedef struct ckr_labels {
    size_t n;        /* number of samples; 0 = absent */
    int *y;          /* multiclass: n labels in [0, num_classes) */
    uint8_t *Y;      /* multilabel: n x num_classes 0/1, row-major */
} ckr_labels;

typedef struct ckr_pair {
    const char *ckpt, *task;
    ckr_task_kind kind;
    int num_classes;
    ckr_labels train, val;
    ckr_labels test;                           /* optional held-out split (schema 1.1) */
    ckr_matrix train_features, val_features;   /* N x D, M x D */
    ckr_matrix test_features;                  /* T x D, optional (schema 1.1): only
                                                  ground truth may look at it */
    ckr_matrix train_logits, val_logits;       /* N x Z, M x Z (source logits) */
    ckr_matrix top_weights;                    /* optional D x H (schema 1.1) */
    double *top_bias;                          /* optional H */
    int has_gt;
    double finetune_accuracy;
    /* The checkpoint's parameter count (its group's num_params attribute,
     * schema 1.2): 0 when absent, NaN when present but not a finite number
     * > 0 (`validate` says why), else the count. */
    double num_params;
    /* Seeded from (--seed, checkpoint, task) only, not the method: for random
     * choices every method of a pair must share, e.g. a hold-out split, so
     * the grid points of a sweep are compared on the same data. */
    uint64_t split_seed;
} ckr_pair;

/* What the coordinator knows of a pair before reading it (for cost estimates). */
typedef struct ckr_pair_shape {
    size_t n, d, z, n_val;
    int num_classes;
    ckr_task_kind kind;
} ckr_pair_shape;

/* Free every buffer of the pair (not ckpt/task, which are borrowed) and zero
 * it. NULL is allowed. */
void ckr_pair_free(ckr_pair *pair);

#endif
