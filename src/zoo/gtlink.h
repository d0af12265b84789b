/* gtlink.h -- ground truth of a linked zoo (zoo/link.h) goes into its parts
 * (internal to src/zoo, used by gtwrite.c).
 *
 * A pair group of a linked zoo is an external link into a part file; its
 * ground-truth attributes belong to the part (a reader of the linked zoo
 * sees them through the link). As for a plain zoo, no file is written in
 * place: every part holding updated pairs is copied next to itself
 * (zoo/fileout.h), the attributes are written into the copy at the link's
 * target path, and the copies are renamed over the parts only when every
 * copy and the linked zoo's own copy are complete. */
#ifndef CKR_ZOO_GTLINK_H
#define CKR_ZOO_GTLINK_H

#include <hdf5.h>
#include <stddef.h>

#include "util/err.h"
#include "zoo/gtwrite.h"

typedef struct ckr_gt_parts {
    size_t n;
    char **tmp, **final;   /* the written copies and the parts they replace */
} ckr_gt_parts;

/* Write the three attributes of update u into the open pair group g.
 * Returns 0 or 1 (an HDF5 failure). */
int ckr_gt_write_pair_attrs(hid_t g, const ckr_gt_update *u);

/* For the zoo at path (a linked zoo or not): mark in linked[i] (n entries)
 * the updates whose pair group is an external link, and write those into
 * copies of their part files (parts filled; nothing to do: parts->n == 0).
 * reserve: disk bytes reserved per copy. Returns 0, or CKR_EIO / CKR_ENOMEM
 * with every copy removed and err naming the part and object. */
int ckr_gt_write_parts(const char *path, const ckr_gt_update *u, size_t n, size_t reserve,
                       unsigned char *linked, ckr_gt_parts *parts, ckr_err *err);
/* Rename every copy over its part (after the linked zoo's copy is complete).
 * Returns 0 or CKR_EIO (the copies not yet renamed are removed). */
int ckr_gt_commit_parts(ckr_gt_parts *parts, ckr_err *err);
/* Remove the copies not renamed and free parts (NULL-safe, idempotent). */
void ckr_gt_discard_parts(ckr_gt_parts *parts);

#endif
