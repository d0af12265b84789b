/* ranking_out.h -- the answer to "which checkpoint?" (metrics/consensus.h) on
 * stdout and as the ranking CSV, and the agreement matrix of a task for the
 * JSON and HTML outputs. */
#ifndef CKR_RANKING_OUT_H
#define CKR_RANKING_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "metrics/consensus.h"
#include "util/err.h"

#define CKR_AGREE_MAX 64   /* methods in one agreement matrix */

/* Print, per task, the `top` best checkpoints (top >= 1) by the consensus
 * (first) and by each method, one column each:
 *
 *   task cifar10: the best 3 of 12 checkpoints (consensus: mean rank over 3 methods)
 *   rank  consensus          nleep              logme
 *      1  vit_b16 1.33       vit_b16 -0.4123    resnet50 812.3
 *
 * The consensus cell is the mean rank, followed by "(k/M)" when the
 * checkpoint has scores from only k of the task's M voting methods; a method
 * cell is the score (%.4g). Names are cut to 28 characters. With no rows
 * it prints nothing. */
void ckr_ranking_print(FILE *f, const ckr_ranking *k, int top);

/* Write `task,method,rank,checkpoint,score` for every row of k (consensus
 * rows: the position and the mean rank; method rows: the average rank and
 * the score), numbers %.17g, through util/fsout.h. Returns 0 or CKR_EIO. */
int ckr_ranking_write_csv(const char *path, const ckr_ranking *k, ckr_err *err);

/* The tasks that have agreement rows, in order: call with i = 0, 1, ...
 * until it returns NULL. */
const char *ckr_agree_task(const ckr_ranking *k, size_t i);

/* The agreement matrix of task: its voting methods (names[0..m), pointers
 * into k, at most CKR_AGREE_MAX) and tau[m*m] / n_common[m*m] (row-major,
 * symmetric; the diagonal 1 and the number of checkpoints with both scores
 * left at 0). Returns m (0 when the task has no agreement rows). */
size_t ckr_agree_matrix(const ckr_ranking *k, const char *task, const char **names, double *tau,
                        int *n_common);

#endif
