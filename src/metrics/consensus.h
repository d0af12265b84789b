/* consensus.h -- "which checkpoint?": per task, the checkpoints ranked by each
 * method, by a consensus of the methods, and the agreement between methods.
 *
 * Definitions (no ground truth needed):
 *  - Ranks of one method in one task: over the checkpoints whose score row is
 *    ok (ckr_score_row_is_ok), rank 1 = the highest score; tied scores share
 *    the average of the ranks they span (scipy.stats.rankdata(-s, "average")).
 *    Several rows for the same (checkpoint, task, method): as in the metrics
 *    table, the first one with `best` set counts, else the first one.
 *  - Consensus methods: every method except the grid points of a sweep (rows
 *    whose `sweep` is set and differs from `method`); a sweep counts once,
 *    through its summary row (the best grid point of each pair). Grid points
 *    are still ranked, as methods of their own, but do not vote. Rows whose
 *    method is CKR_CONSENSUS_METHOD are ignored (the name is reserved).
 *  - Consensus of a task: needs at least 2 consensus methods with an ok score
 *    in the task (else the task has no consensus). A checkpoint's consensus
 *    score is the mean of its ranks over the consensus methods for which it
 *    has an ok score (n_methods of them; a checkpoint missing a method is
 *    averaged over the methods it has). Lower is better. The consensus
 *    ordering sorts by mean rank, ties by checkpoint name (strcmp); the
 *    consensus `rank` is the position 1..n in that order.
 *  - Agreement: for every pair of consensus methods of a task (a before b in
 *    order of first appearance), Kendall's tau-b (metrics/ranking.h) between
 *    their scores over the checkpoints that have an ok score for both
 *    (n_common); NaN when n_common < 2 or a score vector is constant. */
#ifndef CKR_CONSENSUS_H
#define CKR_CONSENSUS_H

#include <stddef.h>

#include "metrics/table.h"
#include "util/err.h"

#define CKR_CONSENSUS_METHOD "consensus"

typedef struct ckr_rank_row {
    char task[256], method[256], ckpt[256];
    double rank;     /* method: average rank (1 = best); consensus: position 1..n */
    double score;    /* method: the score; consensus: the mean rank */
    int n_methods;   /* consensus: the methods averaged; method rows: 1 */
    int n_voters;    /* consensus: the task's voting methods with scores; method rows: 1 */
} ckr_rank_row;

typedef struct ckr_agree_row {
    char task[256], method_a[256], method_b[256];
    double tau;      /* Kendall tau-b, NaN if undefined */
    int n_common;    /* checkpoints with an ok score for both */
} ckr_agree_row;

typedef struct ckr_ranking {
    /* Tasks sorted by name; within a task the consensus rows first (if any),
     * then each method in order of first appearance in the score rows; within
     * a method by rank, ties by checkpoint name. */
    ckr_rank_row *rows;
    size_t n_rows;
    /* Tasks sorted by name, pairs in order of first appearance. */
    ckr_agree_row *agree;
    size_t n_agree;
} ckr_ranking;

/* Ranks of s[0..n) in descending order into rank[0..n): 1 = the largest,
 * ties get the average of their ranks. Values must be finite. Returns 0, or
 * CKR_ENOMEM. n = 0 does nothing. */
int ckr_rank_desc(const double *s, size_t n, double *rank);

/* Compute the ranking of the score rows as defined above into *out (zeroed
 * first; free with ckr_ranking_free). Returns 0, or CKR_ENOMEM with err set. */
int ckr_ranking_compute(const ckr_score_row *scores, size_t n, ckr_ranking *out, ckr_err *err);

/* Free out's arrays and zero it. Safe on a zeroed ranking. */
void ckr_ranking_free(ckr_ranking *r);

/* Append to a copy of scores[0..n) one score row per consensus row of r:
 * method CKR_CONSENSUS_METHOD, score = minus the mean rank (so that higher =
 * better, as the metrics table expects), status "ok", seconds, gflops and
 * heldout NaN. *out (malloc'd, *n_out rows). Returns 0 or CKR_ENOMEM. */
int ckr_consensus_score_rows(const ckr_score_row *scores, size_t n, const ckr_ranking *r,
                             ckr_score_row **out, size_t *n_out, ckr_err *err);

#endif
