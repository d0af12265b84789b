/* pair_check.h -- the check the feature-based scores (LogME, H-score,
 * shrinkage H-score, TransRate, GBC) run on a pair before touching its
 * training data (internal to src/methods). */
#ifndef CKR_PAIR_CHECK_H
#define CKR_PAIR_CHECK_H

#include "core/pair.h"
#include "util/err.h"

/* Check the pair's training data for a feature-based score: features and
 * labels present, as many labels as feature rows, N >= 1, D >= 1,
 * num_classes >= 1, every feature finite.  Returns 0, or CKR_ENEEDS (an
 * input is missing) / CKR_EDATA with a message in err.  (Label values are
 * checked by ckr_targets_init, linalg/featstats.h.) */
int ckr_pair_check_features(const ckr_pair *pair, ckr_err *err);

#endif
