/* pairin.c -- the caller's arrays to a checked ckr_pair (see pairin.h). */
#include "api/pairin.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zoo/import.h"
#include "zoo/npy.h"

/* The import checker's array index of each array of a ckptrank_pair. */
static const ckptrank_array *array_at(const ckptrank_pair *in, int i)
{
    switch (i) {
    case CKR_IMP_TRAIN_X: return &in->train_features;
    case CKR_IMP_TRAIN_Y: return &in->train_labels;
    case CKR_IMP_VAL_X: return &in->val_features;
    case CKR_IMP_VAL_Y: return &in->val_labels;
    case CKR_IMP_TRAIN_Z: return &in->train_logits;
    case CKR_IMP_VAL_Z: return &in->val_logits;
    case CKR_IMP_TEST_X: return &in->test_features;
    default: return &in->test_labels;
    }
}

static int is_labels(int i)
{
    return i == CKR_IMP_TRAIN_Y || i == CKR_IMP_VAL_Y || i == CKR_IMP_TEST_Y;
}

/* Copy a to doubles in *out (an npy array as the import checks take it):
 * 2-D, except multiclass labels with one column, which are 1-D. */
static int to_npy(const ckptrank_array *a, const char *name, int vector, ckr_npy *out,
                  ckr_err *err)
{
    memset(out, 0, sizeof *out);
    static const struct { char kind; int size; } T[] = {
        [CKPTRANK_F64] = { 'f', 8 }, [CKPTRANK_F32] = { 'f', 4 }, [CKPTRANK_I32] = { 'i', 4 },
        [CKPTRANK_I64] = { 'i', 8 }, [CKPTRANK_U8] = { 'u', 1 },
    };
    if (a->dtype < 0 || a->dtype > CKPTRANK_U8)
        return ckr_err_set(err, CKR_EARG, "%s: unknown dtype code %d", name, a->dtype);
    if (a->cols != 0 && a->rows > CKR_NPY_MAX_VALUES / a->cols)
        return ckr_err_set(err, CKR_EARG, "%s: shape (%zu, %zu) is too large", name, a->rows,
                           a->cols);
    size_t n = a->rows * a->cols;
    out->kind = T[a->dtype].kind;
    out->itemsize = T[a->dtype].size;
    out->ndim = vector && a->cols == 1 ? 1 : 2;
    out->rows = a->rows;
    out->cols = a->cols;
    out->data = malloc((n ? n : 1) * sizeof(double));
    if (!out->data)
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory (%zu values)", name, n);
    for (size_t k = 0; k < n; k++) {
        switch (a->dtype) {
        case CKPTRANK_F64: out->data[k] = ((const double *)a->data)[k]; break;
        case CKPTRANK_F32: out->data[k] = ((const float *)a->data)[k]; break;
        case CKPTRANK_I32: out->data[k] = ((const int32_t *)a->data)[k]; break;
        case CKPTRANK_I64: out->data[k] = (double)((const int64_t *)a->data)[k]; break;
        default: out->data[k] = ((const uint8_t *)a->data)[k]; break;
        }
    }
    return 0;
}

/* Take the npy's values as a matrix (the npy gives them up). */
static void take_matrix(ckr_npy *a, ckr_matrix *m)
{
    m->rows = a->rows;
    m->cols = a->cols;
    m->data = a->data;
    a->data = NULL;
}

/* Labels checked by the import checks (integers in range, or 0/1). */
static int take_labels(const ckr_npy *a, int multilabel, ckr_labels *l, ckr_err *err)
{
    size_t n = a->rows * a->cols;
    l->n = a->rows;
    if (multilabel) {
        l->Y = malloc(n ? n : 1);
        for (size_t k = 0; l->Y && k < n; k++)
            l->Y[k] = (uint8_t)a->data[k];
    } else {
        l->y = malloc((n ? n : 1) * sizeof *l->y);
        for (size_t k = 0; l->y && k < n; k++)
            l->y[k] = (int)a->data[k];
    }
    if (!l->Y && !l->y)
        return ckr_err_set(err, CKR_ENOMEM, "labels: out of memory (%zu values)", n);
    return 0;
}

/* top_weights [D, H] with top_bias [H], finite, both or neither. */
static int take_top(const ckptrank_pair *in, size_t D, ckr_pair *p, ckr_err *err)
{
    const ckptrank_array *w = &in->top_weights, *b = &in->top_bias;
    if (!w->data && !b->data)
        return 0;
    if (!w->data || !b->data)
        return ckr_err_set(err, CKR_EARG, "top_weights and top_bias go together");
    if (w->rows != D || w->cols == 0)
        return ckr_err_set(err, CKR_EFORMAT, "top_weights: shape (%zu, %zu), expected (%zu, H) "
                           "with H >= 1", w->rows, w->cols, D);
    if (b->rows * b->cols != w->cols)
        return ckr_err_set(err, CKR_EFORMAT, "top_bias: has %zu values, top_weights has %zu "
                           "columns", b->rows * b->cols, w->cols);
    ckr_npy wn, bn;
    int rc = to_npy(w, "top_weights", 0, &wn, err);
    if (rc)
        return rc;
    if ((rc = to_npy(b, "top_bias", 0, &bn, err)) != 0) {
        ckr_npy_free(&wn);
        return rc;
    }
    for (size_t k = 0; rc == 0 && k < wn.rows * wn.cols; k++)
        if (!isfinite(wn.data[k]))
            rc = ckr_err_set(err, CKR_EDATA, "top_weights: non-finite value at row %zu",
                             k / wn.cols);
    for (size_t k = 0; rc == 0 && k < w->cols; k++)
        if (!isfinite(bn.data[k]))
            rc = ckr_err_set(err, CKR_EDATA, "top_bias: non-finite value at %zu", k);
    if (rc == 0) {
        take_matrix(&wn, &p->top_weights);
        p->top_bias = bn.data;
        bn.data = NULL;
    }
    ckr_npy_free(&wn);
    ckr_npy_free(&bn);
    return rc;
}

int ckr_api_pair_from(const ckptrank_pair *in, const char *ckpt, const char *task, ckr_pair *out,
                      ckr_err *err)
{
    memset(out, 0, sizeof *out);
    ckr_npy arr[CKR_IMP_N];
    memset(arr, 0, sizeof arr);
    ckr_import_spec s;
    memset(&s, 0, sizeof s);
    s.ckpt = ckpt;
    s.task = task;
    s.multilabel = in->multilabel != 0;
    s.num_classes = in->num_classes;
    int rc = 0, C = 0;
    if (in->num_classes < 0)
        rc = ckr_err_set(err, CKR_EARG, "num_classes %d is negative", in->num_classes);
    if (rc == 0 && !(in->num_params == 0.0 || (isfinite(in->num_params) && in->num_params > 0)))
        rc = ckr_err_set(err, CKR_EARG, "num_params %g is not a finite number > 0 (0: none)",
                         in->num_params);
    for (int i = 0; rc == 0 && i < CKR_IMP_N; i++) {
        const ckptrank_array *a = array_at(in, i);
        if (!a->data)
            continue;
        /* val labels only go with val features (the zoo reader drops them) */
        if (i == CKR_IMP_VAL_Y && !in->val_features.data)
            continue;
        if (i == CKR_IMP_TEST_Y && !in->test_features.data)
            continue;
        s.what[i] = ckr_import_dataset_name(i);
        rc = to_npy(a, s.what[i], is_labels(i) && !s.multilabel, &arr[i], err);
        s.a[i] = &arr[i];
    }
    if (rc == 0)
        rc = ckr_import_check_arrays(&s, &C, err);
    if (rc == 0) {
        out->ckpt = ckpt;
        out->task = task;
        out->kind = s.multilabel ? CKR_MULTILABEL : CKR_MULTICLASS;
        out->num_classes = C;
        out->num_params = in->num_params;
        take_matrix(&arr[CKR_IMP_TRAIN_X], &out->train_features);
        rc = take_labels(&arr[CKR_IMP_TRAIN_Y], s.multilabel, &out->train, err);
    }
    if (rc == 0 && s.a[CKR_IMP_VAL_X]) {
        take_matrix(&arr[CKR_IMP_VAL_X], &out->val_features);
        rc = take_labels(&arr[CKR_IMP_VAL_Y], s.multilabel, &out->val, err);
    }
    if (rc == 0 && s.a[CKR_IMP_TEST_X]) {
        take_matrix(&arr[CKR_IMP_TEST_X], &out->test_features);
        rc = take_labels(&arr[CKR_IMP_TEST_Y], s.multilabel, &out->test, err);
    }
    if (rc == 0 && s.a[CKR_IMP_TRAIN_Z])
        take_matrix(&arr[CKR_IMP_TRAIN_Z], &out->train_logits);
    if (rc == 0 && s.a[CKR_IMP_VAL_Z])
        take_matrix(&arr[CKR_IMP_VAL_Z], &out->val_logits);
    if (rc == 0)
        rc = take_top(in, out->train_features.cols, out, err);
    for (int i = 0; i < CKR_IMP_N; i++)
        ckr_npy_free(&arr[i]);
    if (rc != 0)
        ckr_pair_free(out);
    return rc;
}
