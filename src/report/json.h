/* json.h -- the results as one JSON document (RFC 8259), for pipelines.
 *
 * `--json FILE` on `run`, `report` and `evaluate` writes the same content as
 * the scores and metrics CSVs, plus the provenance and the ground truth:
 *
 *   {"format": "ckptrank-results-json", "format_version": 1,
 *    "provenance": {"command_line", "version", "zoo", "methods", "seed",
 *                   "n_ranks", "start_time", "end_time", "seconds"},
 *    "k": [1, 3],
 *    "scores": [{"checkpoint", "task", "method", "score", "status",
 *                "message", "info", "seconds", "gflops", "heldout",
 *                "sweep", "best"}, ...],
 *    "metrics": [{"task", "method", "n_checkpoints", "n_excluded",
 *                 "recall@K", "rel@K" (for each K of "k"), "pearson",
 *                 "kendall", "weighted_kendall", "mean_seconds",
 *                 "mean_gflops"}, ...],
 *    "ground_truth": [{"checkpoint", "task", "accuracy"}, ...],
 *    "ranking": [{"task", "method", "rank", "checkpoint", "score",
 *                 "n_methods"}, ...],
 *    "agreement": [{"task", "methods": [M names], "kendall": M x M,
 *                   "n_common": M x M}, ...]}
 *
 * "ranking" holds the rows of metrics/consensus.h (as the ranking CSV, plus
 * n_methods: the methods a consensus mean is over); "agreement" per task
 * the Kendall tau-b between every two voting methods' scores (diagonal 1,
 * null when undefined) and the checkpoints they have in common (diagonal 0).
 * The metrics include the "consensus" method's rows (report/results.h).
 *
 * The keys of the score, metric and ground-truth objects and of the
 * provenance are the columns of report/columns.h flagged CKR_COL_JSON, in
 * table order; every metrics object has recall@K and rel@K for each K of
 * "k" (the cut-offs of the first metrics row, which all rows share).
 * Rows are in the order of the ckr_results arrays (the CSVs' order). Numbers
 * are printed with %.17g (they read back exactly); NaN and infinities are
 * null; "score" is null unless status is "ok" (as the CSV's empty field);
 * "best" is true/false. Strings are escaped per RFC 8259: \" \\ and every
 * control character as \u00XX; invalid UTF-8 bytes become \ufffd.
 *
 * CKR_JSON_FROM_CSV (evaluate: the rows came from CSV files): the provenance
 * values are null (there was no run) except "command_line" when
 * r->meta.command_line is set, and "heldout" is null. */
#ifndef CKR_JSON_H
#define CKR_JSON_H

#include "report/results.h"

enum { CKR_JSON_FROM_CSV = 1 };

/* Write r (metrics already computed) to path, replacing it; flags: 0 or
 * CKR_JSON_FROM_CSV. Returns 0, or CKR_EIO with err set. */
int ckr_results_write_json(const char *path, const ckr_results *r, unsigned flags, ckr_err *err);

#endif
