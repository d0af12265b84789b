/* trained.c -- evaluation shared by the trained baselines (linear, finetune). */
#include "methods/trained.h"

#include <math.h>

int ckr_trained_fail(ckr_result *res, int rc, const ckr_clf *clf, const ckr_err *err)
{
    return ckr_result_fail(res, rc, clf->diverged ? "diverged" : NULL, "%s", err->msg);
}

int ckr_trained_evaluate(ckr_clf *clf, const ckr_split *sp, ckr_clf_eval *ev, ckr_result *res,
                         ckr_err *err)
{
    int rc = ckr_clf_evaluate(clf, &sp->eval, ev, err);
    if (rc)
        return ckr_trained_fail(res, rc, clf, err);
    if (isnan(ev->metric))
        return ckr_result_fail(res, CKR_EDATA, "no-positives",
                               "the %s split has no positive label to rank",
                               ckr_split_eval_name(sp));
    if (sp->test.n > 0) {
        ckr_clf_eval te;
        if ((rc = ckr_clf_evaluate(clf, &sp->test, &te, err)))
            return ckr_trained_fail(res, rc, clf, err);
        res->heldout = te.metric;
    }
    return 0;
}
