/* html_rank.h -- the "which checkpoint?" parts of the HTML page: the
 * agreement between methods (metrics/consensus.h) as one matrix per task. */
#ifndef CKR_HTML_RANK_H
#define CKR_HTML_RANK_H

#include <stdio.h>

#include "metrics/consensus.h"
#include "report/results.h"
#include "util/err.h"

/* Write <section id="agreement">: per task with 2 or more voting methods, a
 * table of the Kendall tau-b between every two methods' scores (cells
 * titled with the number of checkpoints both scored; "-" when undefined;
 * the diagonal 1). Says so when no task has one. Returns 0 or CKR_ENOMEM. */
int ckr_html_agreement_section(FILE *f, const ckr_ranking *k);

/* Compute the ranking of r into *rk and make *ra a copy of r (sharing all but
 * the scores) whose scores are the consensus rows of rk first
 * (ckr_consensus_score_rows: method "consensus", score = minus the mean
 * rank), then r's rows; the page shows the consensus as its first method.
 * ra->scores is malloc'd: free it and ckr_ranking_free(rk). Returns 0, or
 * CKR_ENOMEM with err set (then only rk is to be freed; ra is untouched). */
int ckr_html_with_consensus(const ckr_results *r, ckr_ranking *rk, ckr_results *ra, ckr_err *err);

#endif
