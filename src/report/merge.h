/* merge.h -- combine results files (shards of one run, or runs of different
 * methods on one zoo) into one.
 *
 * Score rows are keyed by (checkpoint, task, method). A key present in
 * several inputs must agree (same status, and bit-identical score, or raw
 * terms for a score normalised across checkpoints, and held-out accuracy),
 * else the merge is refused naming the row and files. The normalised scores
 * are then recomputed over the merged rows (report/crossnorm.h).
 * Ground-truth rows likewise. Sweep summary rows are rebuilt, rows are put
 * in canonical order (checkpoint, task, then the order the methods first
 * appear in the inputs' method lists), and the caller recomputes the
 * metrics. */
#ifndef CKR_MERGE_H
#define CKR_MERGE_H

#include "report/results.h"

/* Merge inputs[0..n) into out (freshly allocated; free with ckr_results_free).
 * names[i] is the file name of inputs[i], for messages. */
int ckr_results_merge(const ckr_results *inputs, const char *const *names, size_t n,
                      ckr_results *out, ckr_err *err);

#endif
