/* teamread.c -- collective row-block reads of a pair over a team
 * (contract in zoo/teamread.h). */
#include "zoo/teamread.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo/h5util.h"
#include "zoo/validate_internal.h"

struct ckr_team_file {
    MPI_Comm comm;
    hid_t file;
    hid_t dxpl;       /* collective MPI-IO transfers */
    double bytes;     /* read by this rank */
    char path[1024];
};

void ckr_rowblocks_range(size_t n, size_t block, int P, int r, size_t *row0, size_t *nrows)
{
    if (block == 0)
        block = 1;
    if (P < 1)
        P = 1;
    size_t nb = (n + block - 1) / block;
    size_t b0 = nb * (size_t)r / (size_t)P, b1 = nb * (size_t)(r + 1) / (size_t)P;
    size_t lo = b0 * block, hi = b1 * block;
    if (lo > n)
        lo = n;
    if (hi > n)
        hi = n;
    *row0 = lo;
    *nrows = hi - lo;
}

/* All ranks agree on rc (the most negative one); on disagreement the
 * message of a failing rank is broadcast, so every rank can report it. */
static int agree(MPI_Comm comm, int rc, ckr_err *err)
{
    int me = 0, worst = rc;
    MPI_Comm_rank(comm, &me);
    struct { int rc, rank; } in = { rc, me }, out = { rc, me };
    if (MPI_Allreduce(&in, &out, 1, MPI_2INT, MPI_MINLOC, comm) != MPI_SUCCESS)
        return ckr_err_set(err, CKR_EMPI, "team read: MPI_Allreduce failed");
    worst = out.rc;
    if (worst == 0)
        return 0;
    char msg[sizeof err->msg];
    if (me == out.rank)
        snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
    if (MPI_Bcast(msg, (int)sizeof msg, MPI_CHAR, out.rank, comm) != MPI_SUCCESS)
        return ckr_err_set(err, CKR_EMPI, "team read: MPI_Bcast failed");
    return ckr_err_set(err, worst, "%s", msg);
}

int ckr_team_file_open(const char *path, MPI_Comm comm, ckr_team_file **out, ckr_err *err)
{
    *out = NULL;
    ckr_team_file *f = calloc(1, sizeof *f);
    int rc = 0;
    if (!f) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
    } else {
        f->comm = comm;
        f->file = -1;
        f->dxpl = -1;
        snprintf(f->path, sizeof f->path, "%s", path);
        rc = ckr_zoo_open_h5(path, comm, &f->file, err);
        if (rc == 0) {
            f->dxpl = H5Pcreate(H5P_DATASET_XFER);
            if (f->dxpl < 0 || H5Pset_dxpl_mpio(f->dxpl, H5FD_MPIO_COLLECTIVE) < 0)
                rc = ckr_err_set(err, CKR_EIO, "%s: cannot set up collective transfers", path);
        }
    }
    rc = agree(comm, rc, err);
    if (rc) {
        ckr_team_file_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

void ckr_team_file_close(ckr_team_file *f)
{
    if (!f)
        return;
    if (f->dxpl >= 0)
        H5Pclose(f->dxpl);
    if (f->file >= 0)
        H5Fclose(f->file);
    free(f);
}

double ckr_team_file_bytes(const ckr_team_file *f) { return f ? f->bytes : 0; }

/* Open the dataset and learn its shape; rank-local (metadata only). */
static int open_dset(ckr_team_file *f, const char *ckpt, const char *task, const char *name,
                     hid_t *dset, ckr_h5_dinfo *di, char *obj, size_t objcap, ckr_err *err)
{
    snprintf(obj, objcap, "/checkpoints/%s/%s/%s", ckpt, task, name);
    *dset = H5Dopen2(f->file, obj, H5P_DEFAULT);
    if (*dset < 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: %s: no such dataset", f->path, obj);
    if (ckr_h5_dset_info(*dset, di) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: %s: cannot read its shape", f->path, obj);
    if ((di->rank != 1 && di->rank != 2) || !di->numeric)
        return ckr_err_set(err, CKR_EFORMAT, "%s: %s: expected a numeric matrix, found a %s of rank %d",
                           f->path, obj, ckr_h5_class_word(di->cls), di->rank);
    return 0;
}

int ckr_team_dataset_shape(ckr_team_file *f, const char *ckpt, const char *task,
                           const char *name, size_t *rows, size_t *cols, ckr_err *err)
{
    char obj[CKR_ZOO_OBJ_MAX];
    hid_t dset = -1;
    ckr_h5_dinfo di;
    memset(&di, 0, sizeof di);
    int rc = open_dset(f, ckpt, task, name, &dset, &di, obj, sizeof obj, err);
    if (dset >= 0)
        H5Dclose(dset);
    *rows = rc ? 0 : (size_t)di.dims[0];
    *cols = rc ? 0 : (di.rank == 2 ? (size_t)di.dims[1] : 1);
    return agree(f->comm, rc, err);
}

int ckr_team_read_rows(ckr_team_file *f, const char *ckpt, const char *task, const char *name,
                       size_t row0, size_t nrows, double *out, ckr_err *err)
{
    char obj[CKR_ZOO_OBJ_MAX];
    hid_t dset = -1, fspace = -1, mspace = -1, ftype = -1;
    ckr_h5_dinfo di;
    memset(&di, 0, sizeof di);
    int rc = open_dset(f, ckpt, task, name, &dset, &di, obj, sizeof obj, err);
    if (rc == 0 && row0 + nrows > (size_t)di.dims[0])
        rc = ckr_err_set(err, CKR_EARG, "%s: %s: rows %zu..%zu asked of %zu", f->path, obj, row0,
                         row0 + nrows, (size_t)di.dims[0]);
    /* every rank takes part in the collective read, with an empty selection
     * when it has no rows or has failed (the error is agreed afterwards) */
    hsize_t start[2] = { row0, 0 };
    hsize_t count[2] = { rc ? 0 : nrows, di.rank == 2 ? di.dims[1] : 1 };
    if (dset >= 0) {
        fspace = H5Dget_space(dset);
        mspace = H5Screate_simple(di.rank == 2 ? 2 : 1, count, NULL);
        if (fspace < 0 || mspace < 0)
            rc = rc ? rc : ckr_err_set(err, CKR_EIO, "%s: %s: cannot select rows", f->path, obj);
        else if (count[0] == 0 || count[1] == 0) {
            H5Sselect_none(fspace);
            H5Sselect_none(mspace);
        } else if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0) {
            rc = rc ? rc : ckr_err_set(err, CKR_EIO, "%s: %s: cannot select rows", f->path, obj);
            H5Sselect_none(fspace);
            H5Sselect_none(mspace);
        }
        if (fspace >= 0 && mspace >= 0) {
            double dummy = 0;
            herr_t st = H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, f->dxpl,
                                count[0] ? (void *)out : (void *)&dummy);
            if (st < 0 && rc == 0) {
                char h5msg[256];
                ckr_h5_last_error(h5msg, sizeof h5msg);
                rc = ckr_err_set(err, CKR_EIO, "%s: %s: read failed (%s)", f->path, obj, h5msg);
            }
            ftype = H5Dget_type(dset);
            if (rc == 0 && ftype >= 0)
                f->bytes += (double)count[0] * (double)count[1] * (double)H5Tget_size(ftype);
        }
    }
    if (ftype >= 0)
        H5Tclose(ftype);
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    if (dset >= 0)
        H5Dclose(dset);
    return agree(f->comm, rc, err);
}

/* ---- a whole pair: training rows by blocks, the rest whole ---------------------------- */

/* What the first, rank-local stage learns of the training datasets. */
typedef struct train_dims {
    size_t n, d, z;    /* rows (the task's labels), features' width, logits' width */
    int has_logits;
} train_dims;

/* Open an optional whole dataset of the pair group, check its shape against
 * (rows, cols) (0 = not compared) and read it, finite. */
static void read_whole(hid_t g, const char *ppath, const char *name, const char *shape,
                       size_t rows, const char *rows_what, size_t cols, const char *cols_what,
                       ckr_matrix *m, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    if (ckr_zrep_stop(r) || ckr_zoo_open_numeric(g, ppath, name, 0, 2, shape, &d, &di, r) != 1)
        return;
    ckr_zoo_join_path(path, sizeof path, ppath, name);
    if (rows && di.dims[0] != rows)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, expected %zu (%s)",
                     (unsigned long long)di.dims[0], rows, rows_what);
    else if (cols && di.dims[1] != cols)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, %s has %zu",
                     (unsigned long long)di.dims[1], cols_what, cols);
    else
        ckr_zoo_read_finite(d, path, &di, m, r);
    H5Dclose(d);
}

/* Shape of a training dataset (not read here: the team reads its rows). */
static int train_shape(hid_t g, const char *ppath, const char *name, int required,
                       const char *shape, size_t n, size_t *cols, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    int st = ckr_zoo_open_numeric(g, ppath, name, required, 2, shape, &d, &di, r);
    if (st != 1)
        return st;
    ckr_zoo_join_path(path, sizeof path, ppath, name);
    *cols = (size_t)di.dims[1];
    if (di.dims[0] != n)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, the task has %zu train labels",
                     (unsigned long long)di.dims[0], n);
    else if (*cols == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
    H5Dclose(d);
    return r->count ? -1 : 1;
}

/* Stage 1, rank-local: the task (labels whole, checked) and the pair's
 * shapes; the val and test splits and the top layer read whole. */
static void read_local_parts(hid_t file, const char *ckpt, const char *task,
                             ckr_zoo_taskdata *td, train_dims *td2, ckr_pair *out, ckr_zrep *r)
{
    hid_t tasks = H5Gopen2(file, "/tasks", H5P_DEFAULT);
    if (tasks < 0) {
        ckr_zrep_add(r, CKR_EFORMAT, "/tasks", "cannot open the group");
        return;
    }
    ckr_zoo_check_task(tasks, task, 1, 1, td, r);
    H5Gclose(tasks);
    if (r->count)
        return;
    char ppath[CKR_ZOO_OBJ_MAX];
    snprintf(ppath, sizeof ppath, "/checkpoints/%s/%s", ckpt, task);
    hid_t g = H5Gopen2(file, ppath, H5P_DEFAULT);
    if (g < 0) {
        ckr_zrep_add(r, CKR_EFORMAT, ppath, "no such pair group");
        return;
    }
    td2->n = td->n_train;
    train_shape(g, ppath, "train_features", 1, "[N, D]", td2->n, &td2->d, r);
    if (!r->count)
        td2->has_logits =
            train_shape(g, ppath, "train_logits", 0, "[N, Z]", td2->n, &td2->z, r) == 1;
    if (td->val_state == 1)
        read_whole(g, ppath, "val_features", "[M, D]", td->n_val, "the val labels", td2->d,
                   "train_features", &out->val_features, r);
    if (out->val_features.data && td2->has_logits)
        read_whole(g, ppath, "val_logits", "[M, Z]", td->n_val, "the val labels", td2->z,
                   "train_logits", &out->val_logits, r);
    if (td->test_state == 1)
        read_whole(g, ppath, "test_features", "[T, D]", td->n_test, "the test labels", td2->d,
                   "train_features", &out->test_features, r);
    read_whole(g, ppath, "top_weights", "[D, H]", td2->d, "the columns of train_features", 0,
               NULL, &out->top_weights, r);
    if (out->top_weights.data && !ckr_zrep_stop(r)) {
        ckr_matrix bias = { 0, 0, NULL };
        char path[CKR_ZOO_OBJ_MAX];
        ckr_h5_dinfo di;
        hid_t d;
        ckr_zoo_join_path(path, sizeof path, ppath, "top_bias");
        int st = ckr_zoo_open_numeric(g, ppath, "top_bias", 1, 1, "[H]", &d, &di, r);
        if (st == 1) {
            if (di.dims[0] != out->top_weights.cols)
                ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu values, top_weights has %zu columns",
                             (unsigned long long)di.dims[0], out->top_weights.cols);
            else
                ckr_zoo_read_finite(d, path, &di, &bias, r);
            H5Dclose(d);
        }
        out->top_bias = bias.data;
    }
    H5Gclose(g);
}

/* This rank's rows of a training dataset: a collective read, then finite. */
static int read_train_rows(ckr_team_file *f, const char *ckpt, const char *task,
                           const char *name, size_t row0, size_t n, size_t cols, ckr_matrix *m,
                           ckr_err *err)
{
    int rc = 0;
    m->rows = n;
    m->cols = cols;
    m->data = n ? malloc(n * cols * sizeof *m->data) : NULL;
    if (n && !m->data)
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: /checkpoints/%s/%s/%s: out of memory for %zu rows",
                         f->path, ckpt, task, name, n);
    rc = agree(f->comm, rc, err);
    if (!rc)
        rc = ckr_team_read_rows(f, ckpt, task, name, row0, n, m->data, err);
    size_t bad = 0, first = 0;
    for (size_t i = 0; !rc && i < n * cols; i++)
        if (!isfinite(m->data[i]) && bad++ == 0)
            first = i;
    if (bad)
        rc = ckr_err_set(err, CKR_EDATA, "%s: /checkpoints/%s/%s/%s: has non-finite values "
                         "(first: %g at row %zu, column %zu)", f->path, ckpt, task,
                         name, m->data[first], row0 + first / cols, first % cols);
    return agree(f->comm, rc, err);
}

/* This rank's rows of the training labels (kept whole by the task check). */
static int slice_labels(ckr_zoo_taskdata *td, size_t row0, size_t n, ckr_pair *out)
{
    size_t C = (size_t)td->num_classes;
    out->train.n = n;
    if (td->kind == CKR_MULTILABEL) {
        out->train.Y = malloc(n && C ? n * C : 1);
        if (!out->train.Y)
            return CKR_ENOMEM;
        if (n)
            memcpy(out->train.Y, td->train.Y + row0 * C, n * C);
    } else {
        out->train.y = malloc((n ? n : 1) * sizeof *out->train.y);
        if (!out->train.y)
            return CKR_ENOMEM;
        if (n)
            memcpy(out->train.y, td->train.y + row0, n * sizeof *out->train.y);
    }
    return 0;
}

int ckr_team_read_pair(ckr_team_file *f, const char *ckpt, const char *task, size_t block,
                       ckr_pair *out, size_t *row0, size_t *n_total, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    *row0 = *n_total = 0;
    int P = 1, me = 0;
    MPI_Comm_size(f->comm, &P);
    MPI_Comm_rank(f->comm, &me);
    ckr_zoo_taskdata td;
    memset(&td, 0, sizeof td);
    train_dims dims = { 0, 0, 0, 0 };
    ckr_zrep r;
    ckr_zrep_init(&r, f->path, NULL, NULL, 1);
    read_local_parts(f->file, ckpt, task, &td, &dims, out, &r);
    int rc = agree(f->comm, r.count ? ckr_zrep_to_err(&r, err) : 0, err);
    size_t n = 0;
    if (!rc) {
        ckr_rowblocks_range(dims.n, block, P, me, row0, &n);
        *n_total = dims.n;
        rc = read_train_rows(f, ckpt, task, "train_features", *row0, n, dims.d,
                             &out->train_features, err);
    }
    if (!rc && dims.has_logits)
        rc = read_train_rows(f, ckpt, task, "train_logits", *row0, n, dims.z,
                             &out->train_logits, err);
    if (!rc) {
        int lrc = slice_labels(&td, *row0, n, out);
        if (lrc)
            ckr_err_set(err, lrc, "%s: out of memory for the labels of %zu rows",
                        f->path, n);
        rc = agree(f->comm, lrc, err);
    }
    if (!rc) {
        out->kind = td.kind;
        out->num_classes = td.num_classes;
        if (out->val_features.data) {
            out->val = td.val;
            memset(&td.val, 0, sizeof td.val);
        }
        if (out->test_features.data) {
            out->test = td.test;
            memset(&td.test, 0, sizeof td.test);
        }
    }
    ckr_zoo_taskdata_free(&td);
    if (rc)
        ckr_pair_free(out);
    return rc;
}
