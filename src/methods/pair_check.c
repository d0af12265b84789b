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

int ckr_pair_check_features_team(const ckr_pair *local, MPI_Comm comm, size_t *N, size_t *D,
                                 ckr_err *err)
{
    const ckr_matrix *F = &local->train_features;
    int ml = local->kind == CKR_MULTILABEL;
    unsigned long long sums[2] = { F->rows, local->train.n }, tot[2] = { 0, 0 };
    /* flags, max over the team: has data, no labels, not finite, -cols, cols */
    int flags[5] = { F->data != NULL,
                     local->train.n > 0 && (ml ? !local->train.Y : !local->train.y),
                     F->data && !ckr_all_finite(F->rows * F->cols, F->data),
                     -(int)F->cols, (int)F->cols },
        all[5];
    if (F->rows == 0 && !F->data) /* a rank without rows need not know the width */
        flags[3] = -2147483647, flags[4] = 0;
    if (MPI_Allreduce(sums, tot, 2, MPI_UNSIGNED_LONG_LONG, MPI_SUM, comm) != MPI_SUCCESS ||
        MPI_Allreduce(flags, all, 5, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
        return ckr_err_set(err, CKR_EMPI, "MPI failed while checking the pair on the team");
    size_t n = (size_t)tot[0], d = (size_t)(all[4] > 0 ? all[4] : 0);
    *N = n;
    *D = d;
    if (!all[0])
        return ckr_err_set(err, CKR_ENEEDS, "pair has no train_features");
    if (-all[3] != all[4] && all[3] != -2147483647)
        return ckr_err_set(err, CKR_EDATA, "train_features have %d columns on one rank, %d on another",
                           -all[3], all[4]);
    if (n == 0 || d == 0)
        return ckr_err_set(err, CKR_EDATA, "train_features is empty (%zu x %zu)", n, d);
    if ((size_t)tot[1] != n)
        return ckr_err_set(err, CKR_EDATA, "train labels have %zu samples but features %zu",
                           (size_t)tot[1], n);
    if (local->num_classes < 1)
        return ckr_err_set(err, CKR_EDATA, "num_classes is %d", local->num_classes);
    if (all[1])
        return ckr_err_set(err, CKR_ENEEDS, "pair has no train labels");
    if (all[2])
        return ckr_err_set(err, CKR_EDATA, "train_features contain NaN or Inf");
    return 0;
}
