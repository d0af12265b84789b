/* results_h5.h -- results.h5: a ckr_results as an HDF5 file.
 *
 * Schema: hdf5-schemas/results-v1.md. The root carries the format
 * ("ckptrank-results", version 1) and the provenance as attributes; the
 * groups /scores, /ground_truth and /metrics hold one dataset per column of
 * ckr_score_table, ckr_gt_table and ckr_metric_table (report/columns.h),
 * all of one length per group, and /metrics has the cut-offs as attribute k.
 * Strings are fixed-length, null-padded, as wide as the longest value plus
 * one byte. Rank 0 writes the file; nothing here is collective. */
#ifndef CKR_RESULTS_H5_H
#define CKR_RESULTS_H5_H

#include "report/results.h"

/* Write r to path: the file is built in memory (HDF5 core driver) and
 * written through util/fsout.h ("path.tmp.<pid>", fsync'd, renamed over
 * path), so a reader never sees a half-written file and a full disk leaves
 * nothing under path and no HDF5 file open. Returns 0, or CKR_EIO (the
 * message names path and the strerror) / CKR_EARG (empty path) with err set. */
int ckr_results_write_h5(const char *path, const ckr_results *r, ckr_err *err);

/* Read the provenance, the scores and the ground truth of path into r
 * (which is overwritten; free it with ckr_results_free). The metrics are not
 * read: r->metrics is NULL (recompute them with ckr_results_compute_metrics).
 * Every column read must be a 1-D dataset with as many rows as the group's
 * first column, of string class for a string field and of integer (int
 * fields) or integer/float class (double fields) otherwise; a message or
 * info longer than its field is shortened with ckr_msg_fit (util/msg.h), a
 * longer name or status is refused. Returns 0; CKR_EIO if the file cannot
 * be read or opened; CKR_EFORMAT if it is not HDF5, is not a ckptrank
 * results file, or a group or column is missing, unreadable or of the wrong
 * shape or type (the message names the object, e.g. "/scores/score"; r is
 * then empty); CKR_ENOMEM. */
int ckr_results_read_h5(const char *path, ckr_results *r, ckr_err *err);

#endif
