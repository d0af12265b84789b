/* leep_core.h -- the LEEP computation shared by `leep` (source softmax) and
 * `nleep` (Gaussian-mixture posteriors).
 *
 * theta: n x z row-major probabilities (rows sum to 1).  Instances: for a
 * multiclass task one per sample (i, y_i); for a multilabel task one per
 * (sample, positive label).  Then, over instances:
 *   P(c, z) = (1/I) sum_{inst of class c} theta_iz,  P(z) = sum_c P(c, z),
 *   P(c | z) = P(c, z) / P(z)  (z with P(z) == 0 skipped),
 *   LEEP = (1/I) sum_inst log sum_z P(c_inst | z) theta_iz.
 * All in double precision; an EEP that underflows to 0 is clamped at DBL_MIN
 * and counted in *n_clamped. Returns 0, CKR_EDATA (no instances) or CKR_ENOMEM. */
#ifndef CKR_LEEP_CORE_H
#define CKR_LEEP_CORE_H

#include "methods/method.h"

int ckr_leep_from_probs(const double *theta, size_t n, size_t z, ckr_task_kind kind,
                        const ckr_labels *labels, int num_classes, double *score,
                        size_t *n_clamped, ckr_err *err);

/* Row-wise stable softmax of an n x z matrix of logits into out (may alias). */
void ckr_softmax_rows(const double *logits, size_t n, size_t z, double *out);

#endif
