/* output.h -- rank 0 turns a run's items into results and writes them:
 * the results file, the scores and metrics CSVs, the JSON and the metrics
 * table on stdout, as ckptrank_run_opts asks. */
#ifndef CKR_SCHED_OUTPUT_H
#define CKR_SCHED_OUTPUT_H

#include <stddef.h>

#include "ckptrank/ckptrank.h"
#include "report/results.h"
#include "sched/items.h"
#include "util/err.h"

/* The current UTC time as "YYYY-MM-DDTHH:MM:SSZ" into buf. */
void ckr_output_utc_now(char *buf, size_t len);

/* Provenance of a run of o on n_ranks ranks into m (times are left alone). */
void ckr_output_meta(const ckptrank_run_opts *o, int n_ranks, ckr_results_meta *m);

/* Append to r (zeroed or holding only meta): one score row per item of l in
 * canonical order (an item not done is a "not-run" row with NaN numbers and
 * a message saying to --resume), one ground-truth row per pair of the zoo
 * with a finetune_accuracy, and the best grid point of each sweep. Returns 0,
 * or CKR_ENOMEM / the sweep's error with err set. */
int ckr_output_collect(const ckr_item_list *l, ckr_results *r, ckr_err *err);

/* Compute r's metrics (o->k cut-offs), then write each output o names, in
 * the order results file, scores CSV, metrics CSV, JSON, ranking CSV, then on
 * stdout the ranking (the best o->top checkpoints per task by consensus and
 * by method, report/ranking_out.h) and the metrics table;
 * stops at the first failure. Returns 0 or a CKR_E* code with err set. */
int ckr_output_write(const ckptrank_run_opts *o, ckr_results *r, ckr_err *err);

#endif
