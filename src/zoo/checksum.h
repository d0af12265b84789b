/* checksum.h -- a checksum of the content of one (checkpoint, task) pair,
 * for telling whether a pair changed since its items were journalled.
 *
 * The checksum is the CRC-64/XZ (util/crc64.h) of a byte stream defined by
 * the data a method can read, as doubles in host byte order (HDF5 converts
 * what is stored):
 *   "ckptrank-pair-checksum-1 kind=K classes=C\n"
 *   then for each part, in this order, when it has at least one value:
 *     train_labels, train_features, train_logits,
 *     val_labels (only with val_features), val_features, val_logits,
 *     test_labels (only with test_features), test_features,
 *     top_weights, top_bias
 *   the line "NAME ROWS COLS\n" and its ROWS x COLS values row-major
 *   (labels: multiclass one column of class indices, multilabel
 *   num_classes columns of 0/1; a label -0.0 counts as 0.0);
 *   then, when the checkpoint has num_params (schema 1.2, the one
 *   checkpoint attribute a method reads), "num_params V\n" with V its value
 *   as %.17g ("nan" when it is invalid: ckr_pair.num_params).
 * Names, ground truth (finetune_accuracy) and the other checkpoint
 * attributes are not part of it. A value 0 is never returned (it means "no checksum").
 *
 * The two functions compute the same value for a pair that reads without a
 * problem: one over a pair in memory (as the executor holds it), the other
 * from the file in bounded row blocks. The file one also covers a pair that
 * does not read (a part that cannot be read adds "NAME unreadable\n"), so a
 * broken pair has a stable checksum too. */
#ifndef CKR_ZOO_CHECKSUM_H
#define CKR_ZOO_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "util/err.h"

/* Default row-block size for ckr_zoo_pair_checksum: 4 MB of doubles. */
#define CKR_CHECKSUM_BLOCK_BYTES (4u << 20)

/* The checksum of a pair as read by ckr_zoo_read_pair (never 0). */
uint64_t ckr_pair_checksum(const ckr_pair *p);

/* The checksum of pair (ckpt, task) of the zoo file at path, read with
 * MPI_COMM_SELF in blocks of about block_bytes (0: the default), so memory
 * stays at one block whatever the pair's size. Returns 0 with *sum set
 * (never 0), or CKR_EIO / CKR_ENOMEM with err naming the file when the file
 * cannot be opened or memory runs out (a part that cannot be read is not an
 * error: it is part of the checksum). */
int ckr_zoo_pair_checksum(const char *path, const char *ckpt, const char *task,
                          size_t block_bytes, uint64_t *sum, ckr_err *err);

#endif
