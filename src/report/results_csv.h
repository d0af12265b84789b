/* results_csv.h -- the scores and metrics as CSV files, and the CSV input of
 * `ckptrank evaluate`.
 *
 * The columns are those of ckr_score_table, ckr_metric_table and
 * ckr_gt_table (report/columns.h) flagged CKR_COL_CSV, in table order.
 * Files follow RFC 4180: a field is quoted when it contains a comma, quote
 * or line break (quotes doubled); lines end with "\n". Files are written
 * through util/fsout.h (a temporary name, then renamed into place). Numbers are printed
 * with %.17g, so they read back exactly; a NaN is an empty field. */
#ifndef CKR_RESULTS_CSV_H
#define CKR_RESULTS_CSV_H

#include <stddef.h>

#include "metrics/table.h"
#include "util/err.h"

/* Write scores `checkpoint,task,method,score,status,seconds,gflops,terms`
 * to path (replacing it). The score is empty unless the status is "ok"; terms
 * are the raw terms of a score normalised across checkpoints (ncti, etran;
 * report/crossnorm.h), else empty. Returns 0,
 * or CKR_EIO with err set. */
int ckr_scores_write_csv(const char *path, const ckr_score_row *rows, size_t n, ckr_err *err);

/* Write metrics `task,method,n_checkpoints,recall@K,rel@K,...,pearson,
 * kendall,weighted_kendall` to path (replacing it); the cut-offs K are those
 * of rows[0]. Returns 0, or CKR_EIO with err set. */
int ckr_metrics_write_csv(const char *path, const ckr_metric_row *rows, size_t n, ckr_err *err);

/* Read scores from a CSV whose header has at least checkpoint, task, method
 * and score, in any order, other columns ignored (status, seconds and gflops
 * are read when present). The file is read as RFC 4180 (report/csvread.h:
 * UTF-8 byte-order mark, CRLF / LF / CR line ends, quoted fields with
 * commas, quotes and line breaks; blank lines skipped). The status decides:
 * a status other than "ok" keeps that status and a NaN score; else an empty
 * score gives status "bad-data" (the row said ok) or "no-score" (no
 * status); else the score must be a finite number (else CKR_EFORMAT) and
 * the status is "ok". seconds and gflops are 0 when absent or not numbers.
 * A checkpoint, task, method or status longer than its field (255 or 31
 * bytes) is refused; the task name "mean" (CKR_MEAN_TASK) is refused.
 * Rows with the key (checkpoint, task, method) of an earlier row: dropped
 * when they have the same status and score bits (identical duplicates),
 * refused with CKR_EDATA naming both lines when they differ (as conflicting
 * ground-truth rows are). *rows (malloc'd, n rows) on success. Returns 0;
 * CKR_EIO, CKR_EFORMAT, CKR_EDATA (naming the file, line and cause) or
 * CKR_ENOMEM. */
int ckr_scores_read_csv(const char *path, ckr_score_row **rows, size_t *n, ckr_err *err);

/* Read ground truth from a CSV with the columns checkpoint, task and
 * accuracy (any order, others ignored); every accuracy must be a finite
 * number. Read and checked as ckr_scores_read_csv, the key being
 * (checkpoint, task) and the value the accuracy. */
int ckr_gt_read_csv(const char *path, ckr_gt_row **rows, size_t *n, ckr_err *err);

#endif
