/* import.h -- add one (checkpoint, task) pair from in-memory arrays (read
 * from .npy / .npz files by zoo/npy.h) to a zoo file, creating the zoo when
 * it does not exist (`ckptrank import`).
 *
 * Everything is checked before anything is written, and the zoo is written
 * through a temporary name (zoo/fileout.h): a refused or failed import
 * leaves the zoo as it was (or absent). Messages name the zoo, the HDF5
 * object or the array (its `what`, e.g. "--train-features x.npy") and the
 * problem. */
#ifndef CKR_ZOO_IMPORT_H
#define CKR_ZOO_IMPORT_H

#include <stdint.h>

#include "util/err.h"
#include "zoo/npy.h"

/* The arrays of one pair; the same order as the options of the command. */
enum {
    CKR_IMP_TRAIN_X = 0, /* train_features [N, D], required */
    CKR_IMP_TRAIN_Y,     /* train_labels [N] (multilabel [N, C]), required */
    CKR_IMP_VAL_X,       /* val_features [M, D]; needs val labels */
    CKR_IMP_VAL_Y,       /* val_labels [M] / [M, C] */
    CKR_IMP_TRAIN_Z,     /* train_logits [N, Z] */
    CKR_IMP_VAL_Z,       /* val_logits [M, Z]; needs val features and train logits */
    CKR_IMP_TEST_X,      /* test_features [T, D] (schema 1.1); needs test labels */
    CKR_IMP_TEST_Y,      /* test_labels [T] / [T, C] (schema 1.1) */
    CKR_IMP_N
};

typedef struct ckr_import_spec {
    const char *ckpt, *task;           /* names: 1..255 bytes, no '/' */
    const ckr_npy *a[CKR_IMP_N];       /* NULL = not given */
    const char *what[CKR_IMP_N];       /* how messages name each array */
    int num_classes;                   /* 0: the task's, else max label + 1 (multilabel: columns) */
    int multilabel;                    /* labels are N x C 0/1 matrices */
    int has_accuracy;                  /* write finetune_accuracy */
    double accuracy;
    int has_num_params;                /* write the checkpoint attribute num_params */
    uint64_t num_params;
    int force;                         /* replace an existing pair (and a different num_params) */
    int compress;                      /* chunked + shuffle + deflate datasets */
} ckr_import_spec;

/* Which name the i-th array takes in the pair or task group. */
const char *ckr_import_dataset_name(int i);

/* Check the arrays of s among themselves (shapes, finite features and
 * logits, labels integers in range or 0/1, the split dependencies, at least
 * two training classes) and fix the number of classes: *num_classes gets
 * s->num_classes, or for 0 the largest label + 1 (multilabel: the columns).
 * Nothing is read from a file. Returns 0, CKR_EARG (a missing required
 * array, a bad name or option) or CKR_EDATA / CKR_EFORMAT (bad values or
 * shapes), with err naming the array. */
int ckr_import_check_arrays(const ckr_import_spec *s, int *num_classes, ckr_err *err);

/* Add the pair of s to the zoo at path (created when it does not exist:
 * schema 1, format_minor 1 when a test split is written). On the first
 * pair of a task the task group is written with the labels; later pairs'
 * labels must equal the stored ones (a label set the task lacks is added).
 * An existing pair is refused unless s->force. Returns 0, or CKR_EARG /
 * CKR_EDATA / CKR_EFORMAT (refused: nothing written), CKR_EIO, CKR_ENOMEM,
 * with err set. */
int ckr_zoo_import(const char *path, const ckr_import_spec *s, ckr_err *err);

#endif
