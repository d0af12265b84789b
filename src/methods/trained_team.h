/* trained_team.h -- what the trained baselines (`linear`, `finetune`) share
 * on a team of ranks (internal to src/methods; the single-rank side is
 * trained.h, the team contract methods/method.h).
 *
 * The training labels (N ints, or N x C bytes) are gathered on every rank,
 * so every rank builds the single-rank split (train/split.h: the same
 * hold-out rows, the same relabelling) without the features; each rank then
 * views the training and hold-out rows it holds. Standardisation moments
 * are summed over the team (train/team_train.h). The validation and test
 * splits are whole on every rank; a hold-out of train is evaluated where
 * its rows are. Memory per rank beyond its rows: the labels. */
#ifndef CKR_TRAINED_TEAM_H
#define CKR_TRAINED_TEAM_H

#include "methods/method.h"
#include "train/classifier.h"
#include "train/split.h"

typedef struct ckr_team_split {
    ckr_split sp;          /* the single-rank split (its train / hold-out views
                              have no features: use base, train and hold) */
    ckr_ds base;           /* this rank's rows (identity idx) */
    ckr_ds train, hold;    /* this rank's rows of the train view / the hold-out */
    size_t n_train, n_hold;  /* global sizes of the train view / hold-out (0: val) */
    size_t D, C;           /* feature width, classes of the views */
    /* owned */
    int *y;
    uint8_t *Y, *T;        /* T: hold-out targets in view order (multilabel) */
    size_t *tr_rows, *ho_rows;
    double *mu, *isd;      /* sp.mu / sp.isd (owned by sp), NULL unless standardised */
} ckr_team_split;

/* Collective: build the team split of the local pair (ckr_split_make's
 * checks and messages on the whole pair; standardize as there). 0, or an
 * agreed code after ckr_result_fail. Free with ckr_team_split_free (also
 * after a failure). */
int ckr_team_split_make(const ckr_pair *local, const ckr_team *team, int standardize,
                        ckr_team_split *ts, ckr_result *res);
void ckr_team_split_free(ckr_team_split *ts);

/* Collective: ckr_trained_evaluate over the team (eval metric into *ev,
 * res->heldout from the test split). 0, or an agreed code after
 * ckr_result_fail. */
int ckr_team_trained_evaluate(ckr_clf *clf, const ckr_team_split *ts, const ckr_team *team,
                              ckr_clf_eval *ev, ckr_result *res);

#endif
