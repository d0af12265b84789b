/* loss.h -- classification losses and metrics on rows of logits.
 *
 * Multiclass: softmax cross-entropy, -log softmax(z)[y], computed with
 * log-sum-exp (max subtracted).  Multilabel: one sigmoid per label and
 * binary cross-entropy summed over the C labels of a row,
 * max(z, 0) - z * t + log1p(exp(-|z|)).
 * Both return the SUM of the per-row losses over the B rows (callers divide
 * by the number of samples they average over) and, when dZ is not NULL,
 * write dZ = gscale * dLoss/dZ (softmax(z) - onehot(y), or sigmoid(z) - t).
 *
 * FLOPs: a transcendental (exp, log, log1p) counts as 1 FLOP; a softmax row
 * counts 5 per logit (max, shift, exp, sum, normalise), +1 per logit for the
 * gradient; a sigmoid-BCE value 6 per logit, +3 for the gradient. */
#ifndef CKR_TRAIN_LOSS_H
#define CKR_TRAIN_LOSS_H

#include <stddef.h>
#include <stdint.h>

double ckr_softmax_xent(const double *Z, size_t B, size_t C, const int *y, double gscale,
                        double *dZ);
double ckr_sigmoid_bce(const double *Z, size_t B, size_t C, const uint8_t *T, double gscale,
                       double *dZ);

/* Number of rows whose first maximal logit is the label. */
size_t ckr_count_correct(const double *Z, size_t B, size_t C, const int *y);

/* Average precision of one label as scikit-learn's average_precision_score:
 * sum over distinct score thresholds (descending) of (R_k - R_{k-1}) P_k,
 * tied scores forming one threshold.  s and t are strided (element i at
 * s[i * stride]).  NaN when the label has no positive.  `scratch` holds
 * 2 n size_t (the sort order and a merge buffer). */
double ckr_average_precision(const double *s, const uint8_t *t, size_t n, size_t stride,
                             size_t *scratch);

/* Macro mean average precision over the C columns of S (n x C) against T
 * (n x C), skipping labels without a positive (NaN if all are skipped);
 * *n_used (may be NULL) receives the number of labels averaged. Returns
 * NaN on allocation failure. */
double ckr_mean_average_precision(const double *S, const uint8_t *T, size_t n, size_t C,
                                  size_t *n_used);

#endif
