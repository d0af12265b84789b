/* team.h -- what the team entry points of the scores share (internal to
 * src/methods; the team itself is ckr_team in methods/method.h).
 *
 * A team score runs in stages; a stage that can fail on one rank only (an
 * allocation, NaN in its rows) is followed by ckr_team_agree_result before
 * the next collective call, so the team fails together and no rank waits in
 * a collective the others have left. */
#ifndef CKR_METHODS_TEAM_H
#define CKR_METHODS_TEAM_H

#include "methods/method.h"

/* Collective over t->comm. rc is this rank's code (0 = fine; when not 0,
 * res holds its failure). Returns on every rank the code of the lowest
 * rank whose rc is not 0, and copies that rank's score, status, message and
 * info into res everywhere; returns 0 and leaves res alone when every rc is
 * 0. CKR_EMPI (and res failed with it) if MPI fails. */
int ckr_team_agree_result(const ckr_team *t, int rc, ckr_result *res);

/* ckr_dist_sum over the team (linalg/dist.h), agreed; on failure res is
 * failed with a message naming what was summed. */
int ckr_team_sum(const ckr_team *t, double *buf, size_t n, const char *what, ckr_result *res);

/* Gather the training rows of the team's pair (features and train labels;
 * N rows of D columns in all, the totals of ckr_pair_check_features_team)
 * onto every rank: *whole is *local with train_features and train the
 * whole pair's, in buffers it owns (free with ckr_team_gathered_free).
 * For small pairs, N <= D, whose N x D rows are no larger than the D x D
 * Gram every rank holds on the team path. Collective; agreed code, res
 * failed on error (CKR_ENOMEM, CKR_EARG when N x D does not fit an MPI
 * count, CKR_EMPI). */
int ckr_team_gather_pair(const ckr_pair *local, const ckr_team *t, size_t N, size_t D,
                         ckr_pair *whole, ckr_result *res);
void ckr_team_gathered_free(ckr_pair *whole);

/* Append " team=P" to res->info (the team size; the rest of the info is
 * the single-rank format). */
void ckr_team_info_suffix(const ckr_team *t, ckr_result *res);

#endif
