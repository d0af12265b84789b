/* trained.h -- the part the trained baselines `linear` (linear.c) and
 * `finetune` (finetune.c) share once their classifier is trained (internal
 * to src/methods).
 *
 * Score = the classifier's metric (top-1 accuracy; multilabel: mAP) on the
 * split's eval part (the validation split or the hold-out of train);
 * res->heldout = the same metric on the pair's test split when it has one.
 * A classifier error fails the result with status "diverged" when training
 * diverged. */
#ifndef CKR_TRAINED_H
#define CKR_TRAINED_H

#include "methods/method.h"
#include "train/classifier.h"
#include "train/split.h"

/* Fail res from a classifier error (code rc, message err); returns rc. */
int ckr_trained_fail(ckr_result *res, int rc, const ckr_clf *clf, const ckr_err *err);

/* Evaluate the trained clf on sp->eval into *ev and set res->heldout from
 * sp->test when it has rows.  An eval metric that is NaN (no positive label
 * to rank) fails res with "no-positives".  Returns 0, or an error code after
 * ckr_result_fail. */
int ckr_trained_evaluate(ckr_clf *clf, const ckr_split *sp, ckr_clf_eval *ev, ckr_result *res,
                         ckr_err *err);

#endif
