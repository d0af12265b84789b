/* teamread.c -- collective row-block reads of a pair over a team
 * (contract in zoo/teamread.h). */
#include "zoo/teamread.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zoo/h5util.h"

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
