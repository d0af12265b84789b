/* crossnorm.h -- scores normalised across the checkpoints of a task (ncti,
 * etran: methods with n_terms > 0, methods/method.h).
 *
 * A worker computes a pair's raw terms t_1..t_K (ckr_result.terms); a score
 * row keeps them, with the method's weights w_k, as text
 * (ckr_score_row.terms: "w_1:t_1 w_2:t_2 ...", each number in the shortest
 * form that reads back bit for bit), so this layer needs no method table
 * and a results file says how its scores were made. The final score of a row needs
 * every checkpoint of its task, so it is filled here, from the terms, by
 * ckr_crossnorm_apply: at the end of a run (rank 0, before any output is
 * written), by `merge` and by `report`. Whole runs, merged --shard runs and
 * --resume'd runs therefore give the same bits: the pass depends only on the
 * set of rows, never on their order or on which rank scored them.
 *
 * For each (task, method spec), over its rows with status "ok" and
 * non-empty terms (the group; K terms each):
 *   min_k, max_k = the extremes of term k over the group;
 *   score = sum_k w_k (t_k - min_k) / (max_k - min_k)   (w: term_weights),
 * summed in term order. A term with max_k == min_k (one checkpoint, or all
 * equal) contributes 0 (the references divide 0 by 0 there). */
#ifndef CKR_CROSSNORM_H
#define CKR_CROSSNORM_H

#include <stddef.h>

#include "metrics/table.h"
#include "util/err.h"

/* Write weights w[0..n) and terms t[0..n) as text "w:t w:t ..." into buf
 * ("" when n <= 0); a buffer of sizeof(ckr_score_row.terms) holds 4 pairs. */
void ckr_terms_format(const double *w, const double *t, int n, char *buf, size_t len);

/* Read the weights and terms of text s into w, t [0..max); returns how many
 * (0 for ""), or -1 when s is not a list of at most max "w:t" pairs of
 * finite numbers. */
int ckr_terms_parse(const char *s, double *w, double *t, int max);

/* Fill the score of every "ok" row with terms in rows[0..n) as above. A row
 * whose terms do not parse gets status "bad-data" (score NaN) and is left
 * out; when the rows of a group differ in the number of terms or in the
 * weights, every row of the group gets "bad-data".
 * Rows without terms (every other method) and sweep summary rows (method ==
 * sweep; they copy their best grid point, report/sweep.h) are untouched. Returns 0 or
 * CKR_ENOMEM (err set). */
int ckr_crossnorm_apply(ckr_score_row *rows, size_t n, ckr_err *err);

#endif
