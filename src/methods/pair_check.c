/* pair_check.c -- the input check of the feature-based scores. */
#include "methods/pair_check.h"

#include "linalg/blas.h"

int ckr_pair_check_features(const ckr_pair *pair, ckr_err *err)
{
    const ckr_matrix *F = &pair->train_features;
    if (!F->data)
        return ckr_err_set(err, CKR_ENEEDS, "pair has no train_features");
    if (F->rows == 0 || F->cols == 0)
        return ckr_err_set(err, CKR_EDATA, "train_features is empty (%zu x %zu)", F->rows,
                           F->cols);
    if (pair->train.n != F->rows)
        return ckr_err_set(err, CKR_EDATA, "train labels have %zu samples but features %zu",
                           pair->train.n, F->rows);
    if (pair->num_classes < 1)
        return ckr_err_set(err, CKR_EDATA, "num_classes is %d", pair->num_classes);
    if (pair->kind == CKR_MULTILABEL ? !pair->train.Y : !pair->train.y)
        return ckr_err_set(err, CKR_ENEEDS, "pair has no train labels");
    if (!ckr_all_finite(F->rows * F->cols, F->data))
        return ckr_err_set(err, CKR_EDATA, "train_features contain NaN or Inf");
    return 0;
}
