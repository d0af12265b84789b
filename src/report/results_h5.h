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

/* Write r to path: first to "path.tmp.<pid>", then renamed over path, so a
 * reader never sees a half-written file (the temporary file is removed on
 * failure). Returns 0, or CKR_EIO with err set. */
int ckr_results_write_h5(const char *path, const ckr_results *r, ckr_err *err);

/* Read the provenance, the scores and the ground truth of path into r
 * (which is overwritten; free it with ckr_results_free). The metrics are not
 * read: r->metrics is NULL (recompute them with ckr_results_compute_metrics).
 * Strings longer than their field are cut. Returns 0; CKR_EIO if the file
 * cannot be read or opened; CKR_EFORMAT if it is not HDF5, is not a ckptrank
 * results file, or a group or column is missing or unreadable (r is then
 * empty). */
int ckr_results_read_h5(const char *path, ckr_results *r, ckr_err *err);

#endif
