/* import_check.c -- the in-memory checks of an import (see import.h):
 * names, shapes, finite values, labels, split dependencies, classes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "zoo/import.h"
#include "zoo/zoo.h"

static const char *const DSET[CKR_IMP_N] = {
    "train_features", "train_labels", "val_features", "val_labels",
    "train_logits",   "val_logits",   "test_features", "test_labels",
};

const char *ckr_import_dataset_name(int i)
{
    return i >= 0 && i < CKR_IMP_N ? DSET[i] : "?";
}

static int is_labels(int i)
{
    return i == CKR_IMP_TRAIN_Y || i == CKR_IMP_VAL_Y || i == CKR_IMP_TEST_Y;
}

static const char *what(const ckr_import_spec *s, int i)
{
    return s->what[i] ? s->what[i] : DSET[i];
}

static int check_name(const char *kind, const char *name, ckr_err *err)
{
    if (!name || !*name)
        return ckr_err_set(err, CKR_EARG, "the %s name is empty", kind);
    if (strlen(name) >= CKR_NAME_MAX)
        return ckr_err_set(err, CKR_EARG, "the %s name is %zu bytes long (at most %d)", kind,
                           strlen(name), CKR_NAME_MAX - 1);
    if (strchr(name, '/') || strcmp(name, ".") == 0)
        return ckr_err_set(err, CKR_EARG, "the %s name '%s' contains '/' (or is '.')", kind, name);
    if (strcmp(kind, "task") == 0 && strcmp(name, "mean") == 0)
        return ckr_err_set(err, CKR_EARG, "the task name 'mean' is reserved (it names the "
                           "mean-over-tasks rows of the outputs)");
    return 0;
}

/* features and logits: [rows, cols] >= 1 each, every value finite */
static int check_matrix(const ckr_import_spec *s, int i, ckr_err *err)
{
    const ckr_npy *a = s->a[i];
    if (a->ndim != 2)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has %d dimension%s, expected a 2-D array "
                           "[samples, %s]", what(s, i), a->ndim, a->ndim == 1 ? "" : "s",
                           i == CKR_IMP_TRAIN_Z || i == CKR_IMP_VAL_Z ? "source classes"
                                                                      : "features");
    if (a->rows == 0 || a->cols == 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: shape (%zu, %zu) is empty", what(s, i), a->rows,
                           a->cols);
    size_t bad = 0, first = 0;
    for (size_t k = 0; k < a->rows * a->cols; k++)
        if (!isfinite(a->data[k]) && bad++ == 0)
            first = k;
    if (bad)
        return ckr_err_set(err, CKR_EDATA, "%s: has %zu non-finite value%s (first: %g at row %zu, "
                           "column %zu)", what(s, i), bad, bad == 1 ? "" : "s", a->data[first],
                           first / a->cols, first % a->cols);
    return 0;
}

/* labels: shape, integers >= 0 (multiclass) or 0/1 (multilabel); *maxl the
 * largest multiclass label */
static int check_labels(const ckr_import_spec *s, int i, double *maxl, ckr_err *err)
{
    const ckr_npy *a = s->a[i];
    if (s->multilabel && a->ndim != 2)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has %d dimension%s, expected a 2-D 0/1 matrix "
                           "[samples, classes] (--multilabel)", what(s, i), a->ndim,
                           a->ndim == 1 ? "" : "s");
    if (!s->multilabel && a->ndim != 1)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has %d dimensions, expected a 1-D array of "
                           "class indices (a 0/1 matrix needs --multilabel)", what(s, i), a->ndim);
    if (a->rows == 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has no samples", what(s, i));
    for (size_t k = 0; k < a->rows * a->cols; k++) {
        double v = a->data[k];
        int ok = s->multilabel ? v == 0 || v == 1
                               : isfinite(v) && v >= 0 && v == floor(v) && v < 1e6;
        if (!ok)
            return ckr_err_set(err, CKR_EDATA, "%s: value %g at row %zu is not %s", what(s, i), v,
                               k / a->cols, s->multilabel ? "0 or 1"
                                                          : "a class index in [0, 1000000)");
        if (v > *maxl)
            *maxl = v;
    }
    return 0;
}

static int rows_match(const ckr_import_spec *s, int i, int j, ckr_err *err)
{
    if (s->a[i]->rows != s->a[j]->rows)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has %zu rows, %s has %zu", what(s, i),
                           s->a[i]->rows, what(s, j), s->a[j]->rows);
    return 0;
}

static int cols_match(const ckr_import_spec *s, int i, int j, ckr_err *err)
{
    if (s->a[i]->cols != s->a[j]->cols)
        return ckr_err_set(err, CKR_EFORMAT, "%s: has %zu columns, %s has %zu", what(s, i),
                           s->a[i]->cols, what(s, j), s->a[j]->cols);
    return 0;
}

static int needs(const ckr_import_spec *s, int i, int j, ckr_err *err)
{
    if (s->a[i] && !s->a[j])
        return ckr_err_set(err, CKR_EARG, "%s needs %s as well", what(s, i), DSET[j]);
    return 0;
}

static int check_shapes(const ckr_import_spec *s, ckr_err *err)
{
    const ckr_npy *const *a = s->a;
    int rc = rows_match(s, CKR_IMP_TRAIN_X, CKR_IMP_TRAIN_Y, err);
    if (rc == 0 && a[CKR_IMP_VAL_X])
        rc = rows_match(s, CKR_IMP_VAL_X, CKR_IMP_VAL_Y, err);
    if (rc == 0 && a[CKR_IMP_VAL_X])
        rc = cols_match(s, CKR_IMP_VAL_X, CKR_IMP_TRAIN_X, err);
    if (rc == 0 && a[CKR_IMP_TEST_X])
        rc = rows_match(s, CKR_IMP_TEST_X, CKR_IMP_TEST_Y, err);
    if (rc == 0 && a[CKR_IMP_TEST_X])
        rc = cols_match(s, CKR_IMP_TEST_X, CKR_IMP_TRAIN_X, err);
    if (rc == 0 && a[CKR_IMP_TRAIN_Z])
        rc = rows_match(s, CKR_IMP_TRAIN_Z, CKR_IMP_TRAIN_X, err);
    if (rc == 0 && a[CKR_IMP_VAL_Z])
        rc = rows_match(s, CKR_IMP_VAL_Z, CKR_IMP_VAL_X, err);
    if (rc == 0 && a[CKR_IMP_VAL_Z])
        rc = cols_match(s, CKR_IMP_VAL_Z, CKR_IMP_TRAIN_Z, err);
    for (int i = CKR_IMP_VAL_Y; rc == 0 && s->multilabel && i < CKR_IMP_N; i++)
        if (is_labels(i) && a[i])
            rc = cols_match(s, i, CKR_IMP_TRAIN_Y, err);
    return rc;
}

int ckr_import_check_arrays(const ckr_import_spec *s, int *num_classes, ckr_err *err)
{
    int rc = check_name("checkpoint", s->ckpt, err);
    if (rc == 0)
        rc = check_name("task", s->task, err);
    if (rc)
        return rc;
    if (!s->a[CKR_IMP_TRAIN_X] || !s->a[CKR_IMP_TRAIN_Y])
        return ckr_err_set(err, CKR_EARG, "train features and train labels are required");
    if ((rc = needs(s, CKR_IMP_VAL_X, CKR_IMP_VAL_Y, err)) ||
        (rc = needs(s, CKR_IMP_TEST_X, CKR_IMP_TEST_Y, err)) ||
        (rc = needs(s, CKR_IMP_VAL_Z, CKR_IMP_VAL_X, err)) ||
        (rc = needs(s, CKR_IMP_VAL_Z, CKR_IMP_TRAIN_Z, err)))
        return rc;
    if (s->has_accuracy && !isfinite(s->accuracy))
        return ckr_err_set(err, CKR_EARG, "--finetune-accuracy is not a finite number");
    double maxl = -1;
    for (int i = 0; i < CKR_IMP_N; i++) {
        if (!s->a[i])
            continue;
        rc = is_labels(i) ? check_labels(s, i, &maxl, err) : check_matrix(s, i, err);
        if (rc)
            return rc;
    }
    if ((rc = check_shapes(s, err)) != 0)
        return rc;
    const ckr_npy *y = s->a[CKR_IMP_TRAIN_Y];
    long C = s->multilabel ? (long)y->cols : (long)maxl + 1;
    if (s->num_classes > 0 && s->multilabel && s->num_classes != C)
        return ckr_err_set(err, CKR_EARG, "--num-classes %d, but %s has %ld columns",
                           s->num_classes, what(s, CKR_IMP_TRAIN_Y), C);
    if (s->num_classes > 0 && !s->multilabel && s->num_classes < C)
        return ckr_err_set(err, CKR_EDATA, "--num-classes %d, but the labels go up to %ld",
                           s->num_classes, C - 1);
    if (s->num_classes > 0)
        C = s->num_classes;
    if (C < 2 || C > 1000000)
        return ckr_err_set(err, CKR_EDATA, "%s: %ld classes, need 2 to 1000000",
                           what(s, CKR_IMP_TRAIN_Y), C);
    if (!s->multilabel) {
        size_t k = 1;
        while (k < y->rows && y->data[k] == y->data[0])
            k++;
        if (k == y->rows)
            return ckr_err_set(err, CKR_EDATA, "%s: every label is %g; the train labels need at "
                               "least two classes", what(s, CKR_IMP_TRAIN_Y), y->data[0]);
    }
    *num_classes = (int)C;
    return 0;
}
