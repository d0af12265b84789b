/* gtwrite.h -- write ground truth (finetune_accuracy) into a zoo file.
 *
 * Used by `ckptrank groundtruth` after a fine-tuning sweep: for every update
 * the pair group /checkpoints/<ckpt>/<task> gets the attributes
 *   finetune_accuracy  (float64) the accuracy,
 *   finetune_selected  (string)  the grid point chosen on validation accuracy,
 *   finetune_source    (string)  "test" (held-out split) or "val",
 * and the root gets `groundtruth_sweep` (the sweep spec) and
 * `groundtruth_protocol` (how it was selected). Nothing is written if any
 * pair already has a finetune_accuracy and `force` is 0 (CKR_EARG, naming
 * the first such pair) or if a pair group is missing (CKR_EFORMAT).
 *
 * A linked zoo (zoo/link.h): a pair that is an external link gets its
 * attributes in its part file, through a copy of the part (zoo/gtlink.h).
 *
 * The zoo is never written in place: the new values go into a copy of it
 * next to its real location (zoo/fileout.h), which is renamed over it only
 * when every write and the close succeeded. Any failure (a full disk)
 * removes the copy and leaves the zoo byte for byte as it was. One process
 * does this, with the default (POSIX) driver; the zoo must not be open
 * elsewhere for writing. */
#ifndef CKR_GTWRITE_H
#define CKR_GTWRITE_H

#include <stddef.h>

#include "util/err.h"

typedef struct ckr_gt_update {
    char ckpt[256], task[256];
    double accuracy;
    char selected[256];
    char source[16];
} ckr_gt_update;

/* Write the n updates u and the root attributes (sweep, protocol) to the
 * zoo at path, as described above. Returns 0, CKR_EARG (ground truth
 * present and not force), CKR_EFORMAT (a pair group missing) or CKR_EIO,
 * with err naming the file and object (and the cause); on any error the
 * zoo is unchanged. */
int ckr_zoo_write_ground_truth(const char *path, const ckr_gt_update *u, size_t n,
                               const char *sweep, const char *protocol, int force, ckr_err *err);

#endif
