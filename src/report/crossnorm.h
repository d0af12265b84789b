/* crossnorm.h -- scores normalised across the checkpoints of a task (ncti,
 * etran: methods with n_terms > 0, methods/method.h).
 *
 * A worker computes a pair's raw terms t_1..t_K (ckr_result.terms); a score
 * row keeps them as text (ckr_score_row.terms: "%.17g" each, separated by
 * one space, so they read back bit for bit). The final score of a row needs
 * every checkpoint of its task, so it is filled here, from the terms, by
 * ckr_crossnorm_apply: at the end of a run (rank 0, before any output is
 * written), by `merge` and by `report`. Whole runs, merged --shard runs and
 * --resume'd runs therefore give the same bits: the pass depends only on the
 * set of rows, never on their order or on which rank scored them.
 *
 * For each (task, method spec) whose method has n_terms = K > 0, over its
 * rows with status "ok" (the group):
 *   min_k, max_k = the extremes of term k over the group;
 *   score = sum_k w_k (t_k - min_k) / (max_k - min_k)   (w: term_weights),
 * summed in term order. A term with max_k == min_k (one checkpoint, or all
 * equal) contributes 0 (the references divide 0 by 0 there). */
#ifndef CKR_CROSSNORM_H
#define CKR_CROSSNORM_H

#include <stddef.h>

#include "metrics/table.h"
#include "util/err.h"

/* Write t[0..n) as text into buf ("" when n <= 0); a buffer of
 * sizeof(ckr_score_row.terms) holds 4 terms. */
void ckr_terms_format(const double *t, int n, char *buf, size_t len);

/* Read the terms of text s into t[0..max); returns how many (0 for ""), or
 * -1 when s is not a list of at most max finite numbers. */
int ckr_terms_parse(const char *s, double *t, int max);

/* Fill the score of every "ok" row of a normalised method in rows[0..n) as
 * above. A row of such a method whose terms are missing or not the method's
 * K finite numbers gets status "bad-data" (score NaN) and is left out of its
 * group. Rows of other methods (and method texts that do not parse, such as
 * sweep summaries) are untouched. Returns 0 or CKR_ENOMEM (err set). */
int ckr_crossnorm_apply(ckr_score_row *rows, size_t n, ckr_err *err);

#endif
