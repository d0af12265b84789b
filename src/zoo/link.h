/* link.h -- a zoo assembled from part zoos by HDF5 external links
 * (`ckptrank link OUT PART...`; schema: hdf5-schemas/zoo-v1.md, "Linked zoos").
 *
 * The linked zoo OUT is a small HDF5 file: its root attributes, a copy of
 * every task group (labels: small next to the features), one checkpoint
 * group per checkpoint with the checkpoint's attributes copied, and in it,
 * per pair, an external link /checkpoints/<c>/<t> -> PART:/checkpoints/<c>/<t>.
 * No feature is copied. Link targets are stored relative to OUT's directory
 * (HDF5 resolves a relative target from the directory of the file holding
 * the link), so a directory holding OUT and its parts can be moved as a
 * whole. External files are opened with the parent's file access property
 * list (HDF5's default), so MPI-IO reads of a linked zoo are MPI-IO reads of
 * the parts. */
#ifndef CKR_ZOO_LINK_H
#define CKR_ZOO_LINK_H

#include <stddef.h>

#include "util/err.h"

typedef struct ckr_link_stats {
    size_t n_tasks, n_ckpts, n_pairs;
} ckr_link_stats;

/* Write the linked zoo `out` from the n part zoos `parts` (n >= 1).
 * Every part must be a readable zoo (format ckptrank-zoo, version 1) whose
 * task groups pass the schema checks. Refused, with nothing written:
 *   - out exists and force is 0 (CKR_EARG);
 *   - a missing or unreadable part (CKR_EIO), not a zoo (CKR_EFORMAT);
 *   - a task whose kind, num_classes or train/val/test labels differ
 *     between two parts (CKR_EDATA; the message names both files, the task
 *     and the first difference);
 *   - a pair defined in two parts (or twice in one list) (CKR_EDATA: both
 *     files named);
 *   - a checkpoint attribute arch, source or num_params that two parts give
 *     different values (CKR_EDATA).
 * out is written under a temporary name and renamed into place (with force,
 * replacing the old file). format_minor of out is the largest of the parts'.
 * Returns 0 with st (may be NULL) filled, or the code above with err set. */
int ckr_zoo_link(const char *out, const char *const *parts, size_t n, int force,
                 ckr_link_stats *st, ckr_err *err);

#endif
