#include "zoo/gtwrite.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/h5attr.h"
#include "zoo/fileout.h"
#include "zoo/gtlink.h"

/* Disk space reserved with the copy for the new attributes (a pair's three
 * take well under 1 KB): HDF5 then never meets a full disk while writing. */
#define GT_RESERVE_BASE ((size_t)1 << 16)
#define GT_RESERVE_PAIR ((size_t)4096)

/* First pass: every group exists; none has ground truth unless force. */
static int check_pairs(hid_t f, const char *path, const ckr_gt_update *u, size_t n, int force,
                       ckr_err *err)
{
    for (size_t i = 0; i < n; i++) {
        char obj[600];
        snprintf(obj, sizeof obj, "/checkpoints/%s/%s", u[i].ckpt, u[i].task);
        if (H5Lexists(f, "/checkpoints", H5P_DEFAULT) <= 0 || H5Oexists_by_name(f, obj, H5P_DEFAULT) <= 0)
            return ckr_err_set(err, CKR_EFORMAT, "%s: %s: pair group not found", path, obj);
        hid_t g = H5Gopen2(f, obj, H5P_DEFAULT);
        int has = g >= 0 && H5Aexists(g, "finetune_accuracy") > 0;
        if (g >= 0)
            H5Gclose(g);
        if (has && !force)
            return ckr_err_set(err, CKR_EARG,
                               "%s: %s: already has finetune_accuracy; refusing to overwrite "
                               "ground truth (use --force)", path, obj);
    }
    return 0;
}

/* Write every attribute into the open copy f; returns 0 or CKR_EIO. */
static int write_all(hid_t f, const char *path, const ckr_gt_update *u, size_t n,
                     const unsigned char *linked, const char *sweep, const char *protocol,
                     ckr_err *err)
{
    for (size_t i = 0; i < n; i++) {
        if (linked[i])
            continue; /* written into its part (gtlink.h) */
        char obj[600];
        snprintf(obj, sizeof obj, "/checkpoints/%s/%s", u[i].ckpt, u[i].task);
        hid_t g = H5Gopen2(f, obj, H5P_DEFAULT);
        int bad = g < 0 || ckr_gt_write_pair_attrs(g, &u[i]);
        if (g >= 0 && H5Gclose(g) < 0)
            bad = 1;
        if (bad)
            return ckr_err_set(err, CKR_EIO, "%s: %s: cannot write the ground-truth attributes",
                               path, obj);
    }
    if (ckr_h5_attr_write_str(f, "groundtruth_sweep", sweep) ||
        ckr_h5_attr_write_str(f, "groundtruth_protocol", protocol))
        return ckr_err_set(err, CKR_EIO, "%s: /: cannot write the groundtruth_* attributes", path);
    /* everything to the disk while the file is still open: a failure here
     * (a full disk) can still be undone below */
    if (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot write the ground truth to the disk (%s)",
                           path, errno ? strerror(errno) : "HDF5 error");
    return 0;
}

/* The copy failed while open: free its blocks so that HDF5's last flush at
 * close has room, close and drop it. (HDF5 1.10 cannot close a file whose
 * flush failed once: it stays in the library and crashed MPI_Finalize. The
 * space reserved with the copy is there to make that case unreachable.) */
/* Append "; the zoo is unchanged" to err's message; returns rc. */
static int unchanged(ckr_err *err, int rc)
{
    char m[sizeof err->msg];
    snprintf(m, sizeof m, "%s", err->msg);
    return ckr_err_set(err, rc, "%s; the zoo is unchanged", m);
}

static void discard_copy(hid_t f, const char *tmp)
{
    int *fdp = NULL;
    if (H5Fget_vfd_handle(f, H5P_DEFAULT, (void **)&fdp) >= 0 && fdp && *fdp >= 0 &&
        ftruncate(*fdp, 0) != 0) {
        /* nothing more to free; the close below may still fail */
    }
    H5Fclose(f);
    unlink(tmp);
}

static int write_zoo(const char *path, const ckr_gt_update *u, size_t n,
                     const unsigned char *linked, const char *sweep, const char *protocol,
                     ckr_gt_parts *parts, ckr_err *err);

int ckr_zoo_write_ground_truth(const char *path, const ckr_gt_update *u, size_t n,
                               const char *sweep, const char *protocol, int force, ckr_err *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    /* checks on the zoo itself, read-only */
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open%s%s", path, errno ? ": " : "",
                           errno ? strerror(errno) : "");
    int rc = check_pairs(f, path, u, n, force, err);
    if (H5Fclose(f) < 0 && !rc)
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot close after reading", path);
    if (rc)
        return rc;
    /* pairs of a linked zoo: into copies of their part files */
    ckr_gt_parts parts;
    unsigned char *linked = calloc(n ? n : 1, 1);
    if (!linked)
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
    rc = ckr_gt_write_parts(path, u, n, GT_RESERVE_BASE + GT_RESERVE_PAIR * n, linked, &parts, err);
    if (rc == 0)
        rc = write_zoo(path, u, n, linked, sweep, protocol, &parts, err);
    ckr_gt_discard_parts(&parts);
    free(linked);
    return rc ? unchanged(err, rc) : 0;
}

/* The zoo's own copy: its pairs that are not links, the root attributes;
 * then the parts' copies and its own are renamed into place. */
static int write_zoo(const char *path, const ckr_gt_update *u, size_t n,
                     const unsigned char *linked, const char *sweep, const char *protocol,
                     ckr_gt_parts *parts, ckr_err *err)
{
    hid_t f;
    int rc;
    /* the new values go into a copy that replaces the zoo only when complete */
    char tmp[4200], final[4200];
    if ((rc = ckr_zoo_copy_to_temp(path, GT_RESERVE_BASE + GT_RESERVE_PAIR * n, tmp, final,
                                   sizeof tmp, err)))
        return rc;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
        (f = H5Fopen(tmp, H5F_ACC_RDWR, fapl)) < 0) {
        int e = errno;
        if (fapl >= 0)
            H5Pclose(fapl);
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot open the copy %s for writing%s%s", path, tmp,
                           e ? ": " : "", e ? strerror(e) : "");
    }
    H5Pclose(fapl);
    errno = 0;
    if ((rc = write_all(f, path, u, n, linked, sweep, protocol, err))) {
        discard_copy(f, tmp);
        return rc;
    }
    errno = 0;
    if (H5Fclose(f) < 0) {
        int e = errno;
        unlink(tmp);
        return ckr_err_set(err, CKR_EIO, "%s: cannot close the updated copy %s (%s)", path, tmp,
                           e ? strerror(e) : "HDF5 error");
    }
    if ((rc = ckr_gt_commit_parts(parts, err))) {
        unlink(tmp);
        return rc;
    }
    return ckr_zoo_commit_temp(tmp, final, err);
}
