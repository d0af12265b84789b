/* pair_check.h -- the check the feature-based scores (LogME, H-score,
 * shrinkage H-score, TransRate, GBC) run on a pair before touching its
 * training data (internal to src/methods). */
#ifndef CKR_PAIR_CHECK_H
#define CKR_PAIR_CHECK_H

#include <mpi.h>
#include <stddef.h>

#include "core/pair.h"
#include "util/err.h"

/* Check the pair's training data for a feature-based score: features and
 * labels present, as many labels as feature rows, N >= 1, D >= 1,
 * num_classes >= 1, every feature finite.  Returns 0, or CKR_ENEEDS (an
 * input is missing) / CKR_EDATA with a message in err.  (Label values are
 * checked by ckr_targets_init, linalg/featstats.h.) */
int ckr_pair_check_features(const ckr_pair *pair, ckr_err *err);

/* The same check on a team (collective over comm; `local` holds this rank's
 * rows, see ckr_team in methods/method.h): the same tests in the same order
 * on the pair's totals, so the code and message equal those of
 * ckr_pair_check_features on the whole pair, on every rank. A rank with no
 * rows may have data == NULL; features are absent when no rank has data.
 * Ranks holding different widths are CKR_EDATA. On success *N is the
 * pair's row count and *D its width, on every rank. */
int ckr_pair_check_features_team(const ckr_pair *local, MPI_Comm comm, size_t *N, size_t *D,
                                 ckr_err *err);

#endif
