/* rowread.c -- a pair's extent from metadata, and its training features by
 * row blocks (see rowread.h). */
#include "zoo/rowread.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo/h5util.h"

/* The values a feature-less read checks at a time (validate.c's block). */
#define CHECK_BLOCK_VALUES ((size_t)1 << 20)

/* Open /checkpoints/<ckpt>/<task> quietly; -1 when it is not a group. */
static hid_t open_pair_group(hid_t file, const char *ckpt, const char *task)
{
    hid_t cks = -1, cg = -1, g = -1;
    if (ckr_h5_child_kind(file, "checkpoints") != CKR_H5_GROUP)
        return -1;
    cks = H5Gopen2(file, "checkpoints", H5P_DEFAULT);
    if (cks >= 0 && ckr_h5_child_kind(cks, ckpt) == CKR_H5_GROUP)
        cg = H5Gopen2(cks, ckpt, H5P_DEFAULT);
    if (cg >= 0 && ckr_h5_child_kind(cg, task) == CKR_H5_GROUP)
        g = H5Gopen2(cg, task, H5P_DEFAULT);
    if (cg >= 0)
        H5Gclose(cg);
    if (cks >= 0)
        H5Gclose(cks);
    return g;
}

/* Extent `which` (0 rows, 1 columns) of dataset name of g when it has rank
 * `rank`; 0 otherwise. */
static size_t dim_of(hid_t g, const char *name, int rank, int which)
{
    if (g < 0 || ckr_h5_child_kind(g, name) != CKR_H5_DATASET)
        return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    ckr_h5_dinfo di;
    size_t v = 0;
    if (d >= 0 && ckr_h5_dset_info(d, &di) == 0 && di.rank == rank)
        v = (size_t)di.dims[which];
    if (d >= 0)
        H5Dclose(d);
    return v;
}

void ckr_zoo_feature_dims(hid_t file, const char *ckpt, const char *task, ckr_pair *pair)
{
    hid_t g = open_pair_group(file, ckpt, task);
    static const char *names[3] = { "train_features", "val_features", "test_features" };
    ckr_matrix *m[3] = { &pair->train_features, &pair->val_features, &pair->test_features };
    for (int i = 0; i < 3; i++) {
        m[i]->rows = dim_of(g, names[i], 2, 0);
        m[i]->cols = m[i]->rows ? dim_of(g, names[i], 2, 1) : 0;
    }
    if (g >= 0)
        H5Gclose(g);
}

int ckr_zoo_pair_extent(ckr_zoo *zoo, const char *ckpt, const char *task,
                        ckr_pair_extent *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    hid_t file = ckr_zoo_h5file(zoo);
    if (file < 0)
        return ckr_err_set(err, CKR_EIO, "%s: the zoo is not open", ckr_zoo_path(zoo));
    /* the task: kind, classes and label counts (metadata only) */
    if (ckr_h5_child_kind(file, "tasks") == CKR_H5_GROUP) {
        hid_t tasks = H5Gopen2(file, "tasks", H5P_DEFAULT);
        if (tasks >= 0) {
            ckr_zrep r;
            ckr_zoo_taskdata td;
            ckr_zrep_init(&r, ckr_zoo_path(zoo), NULL, NULL, 0);
            ckr_zoo_check_task(tasks, task, 0, 0, &td, &r);
            out->shape.kind = td.kind;
            out->shape.num_classes = td.num_classes;
            ckr_zoo_taskdata_free(&td);
            H5Gclose(tasks);
        }
    }
    hid_t g = open_pair_group(file, ckpt, task);
    ckr_pair_shape *s = &out->shape;
    s->n = dim_of(g, "train_features", 2, 0);
    s->d = dim_of(g, "train_features", 2, 1);
    s->z = dim_of(g, "train_logits", 2, 1);
    s->n_val = dim_of(g, "val_features", 2, 0);
    out->n_test = dim_of(g, "test_features", 2, 0);
    out->h = dim_of(g, "top_weights", 2, 1);
    if (g >= 0)
        H5Gclose(g);
    double n = (double)s->n, m = (double)s->n_val, t = (double)out->n_test, d = (double)s->d;
    double z = (double)s->z, h = (double)out->h, c = (double)(s->num_classes > 0 ? s->num_classes : 0);
    double label = s->kind == CKR_MULTILABEL ? c : 4.0; /* bytes per sample */
    out->bytes_features = 8.0 * (n + m + t) * d;
    out->bytes_meta = 8.0 * (n + m) * z + 8.0 * (d * h + h) + label * (n + m + t);
    double biggest = fmax(n, fmax(m, t)) * d;
    out->bytes_check = 8.0 * fmin(biggest, (double)CHECK_BLOCK_VALUES);
    return 0;
}

struct ckr_zoo_rows {
    const char *path;       /* the zoo's file name (borrowed) */
    char obj[CKR_ZOO_OBJ_MAX];
    hid_t dset;
    ckr_h5_dinfo di;
    size_t elem;            /* bytes per stored value */
    pthread_mutex_t *lock;
    double bytes;
};

int ckr_zoo_rows_open(ckr_zoo *zoo, const char *ckpt, const char *task, pthread_mutex_t *lock,
                      ckr_zoo_rows **out, ckr_err *err)
{
    *out = NULL;
    ckr_zoo_rows *r = calloc(1, sizeof *r);
    if (!r)
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", ckr_zoo_path(zoo));
    r->path = ckr_zoo_path(zoo);
    r->lock = lock;
    r->dset = -1;
    snprintf(r->obj, sizeof r->obj, "/checkpoints/%s/%s/train_features", ckpt, task);
    if (lock)
        pthread_mutex_lock(lock);
    hid_t g = open_pair_group(ckr_zoo_h5file(zoo), ckpt, task);
    if (g >= 0 && ckr_h5_child_kind(g, "train_features") == CKR_H5_DATASET)
        r->dset = H5Dopen2(g, "train_features", H5P_DEFAULT);
    int ok = r->dset >= 0 && ckr_h5_dset_info(r->dset, &r->di) == 0 && r->di.rank == 2 &&
             r->di.numeric;
    if (ok) {
        hid_t ty = H5Dget_type(r->dset);
        r->elem = ty >= 0 ? H5Tget_size(ty) : 8;
        if (ty >= 0)
            H5Tclose(ty);
    }
    if (g >= 0)
        H5Gclose(g);
    if (lock)
        pthread_mutex_unlock(lock);
    if (!ok) {
        int rc = ckr_err_set(err, CKR_EFORMAT, "%s: %s: missing, or not a numeric [N, D] dataset",
                             r->path, r->obj);
        ckr_zoo_rows_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

size_t ckr_zoo_rows_n(const ckr_zoo_rows *r) { return (size_t)r->di.dims[0]; }
size_t ckr_zoo_rows_d(const ckr_zoo_rows *r) { return (size_t)r->di.dims[1]; }
double ckr_zoo_rows_bytes(const ckr_zoo_rows *r) { return r->bytes; }

int ckr_zoo_rows_read(void *ctx, size_t row0, size_t nrows, double *out, ckr_err *err)
{
    ckr_zoo_rows *r = ctx;
    size_t n = ckr_zoo_rows_n(r), d = ckr_zoo_rows_d(r);
    if (row0 > n || nrows > n - row0)
        return ckr_err_set(err, CKR_EARG, "%s: %s: rows %zu..%zu asked of %zu", r->path, r->obj,
                           row0, row0 + nrows, n);
    if (nrows == 0)
        return 0;
    if (r->lock)
        pthread_mutex_lock(r->lock);
    int rc = ckr_h5_read_rows(r->dset, &r->di, (hsize_t)row0, (hsize_t)nrows, out);
    char h5[256] = "";
    if (rc)
        ckr_h5_last_error(h5, sizeof h5);
    if (r->lock)
        pthread_mutex_unlock(r->lock);
    if (rc)
        return ckr_err_set(err, CKR_EIO, "%s: %s: cannot read rows %zu..%zu (%s)", r->path,
                           r->obj, row0, row0 + nrows, h5[0] ? h5 : "HDF5 error");
    r->bytes += (double)nrows * (double)d * (double)r->elem;
    for (size_t i = 0; i < nrows * d; i++)
        if (!isfinite(out[i]))
            return ckr_err_set(err, CKR_EDATA, "%s: %s: value %g at row %zu, column %zu",
                               r->path, r->obj, out[i], row0 + i / d, i % d);
    return 0;
}

void ckr_zoo_rows_close(ckr_zoo_rows *r)
{
    if (!r)
        return;
    if (r->dset >= 0) {
        if (r->lock)
            pthread_mutex_lock(r->lock);
        H5Dclose(r->dset);
        if (r->lock)
            pthread_mutex_unlock(r->lock);
    }
    free(r);
}
