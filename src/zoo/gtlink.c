/* gtlink.c -- ground truth of a linked zoo written into copies of its parts
 * (contract in zoo/gtlink.h). */
#include "zoo/gtlink.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/h5attr.h"
#include "zoo/fileout.h"

int ckr_gt_write_pair_attrs(hid_t g, const ckr_gt_update *u)
{
    return ckr_h5_attr_write(g, "finetune_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                             &u->accuracy, 0) ||
           ckr_h5_attr_write_str(g, "finetune_selected", u->selected) ||
           ckr_h5_attr_write_str(g, "finetune_source", u->source);
}

/* The part file and target path of the external link obj of f: 1 with
 * file (resolved against the zoo's directory when relative) and target
 * filled, 0 when obj is not an external link, -1 on an HDF5 failure. */
static int elink_target(hid_t f, const char *path, const char *obj, char *file, size_t fcap,
                        char *target, size_t tcap)
{
    H5L_info_t li;
    if (H5Lget_info(f, obj, &li, H5P_DEFAULT) < 0)
        return -1;
    if (li.type != H5L_TYPE_EXTERNAL)
        return 0;
    char *buf = malloc(li.u.val_size ? li.u.val_size : 1);
    const char *fn = NULL, *op = NULL;
    unsigned flags;
    int rc = -1;
    if (buf && H5Lget_val(f, obj, buf, li.u.val_size, H5P_DEFAULT) >= 0 &&
        H5Lunpack_elink_val(buf, li.u.val_size, &flags, &fn, &op) >= 0) {
        const char *slash = strrchr(path, '/');
        if (fn[0] == '/' || !slash)
            snprintf(file, fcap, "%s", fn);
        else
            snprintf(file, fcap, "%.*s/%s", (int)(slash - path), path, fn);
        snprintf(target, tcap, "%s", op);
        rc = 1;
    }
    free(buf);
    return rc;
}

/* Index in parts of the part whose final name is file, or parts->n. */
static size_t find_part(const ckr_gt_parts *parts, char **files, const char *file)
{
    for (size_t k = 0; k < parts->n; k++)
        if (strcmp(files[k], file) == 0)
            return k;
    return parts->n;
}

static int write_one(const char *tmp, const char *part, const char *target,
                     const ckr_gt_update *u, ckr_err *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1, g = -1;
    if (fapl >= 0)
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    f = H5Fopen(tmp, H5F_ACC_RDWR, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    int bad = f < 0 || (g = H5Gopen2(f, target, H5P_DEFAULT)) < 0 || ckr_gt_write_pair_attrs(g, u);
    if (g >= 0 && H5Gclose(g) < 0)
        bad = 1;
    if (f >= 0 && (H5Fflush(f, H5F_SCOPE_GLOBAL) < 0 || H5Fclose(f) < 0))
        bad = 1;
    if (bad)
        return ckr_err_set(err, CKR_EIO, "%s: %s: cannot write the ground-truth attributes into "
                           "the copy %s", part, target, tmp);
    return 0;
}

int ckr_gt_write_parts(const char *path, const ckr_gt_update *u, size_t n, size_t reserve,
                       unsigned char *linked, ckr_gt_parts *parts, ckr_err *err)
{
    memset(parts, 0, sizeof *parts);
    memset(linked, 0, n);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open", path);
    char **files = calloc(n ? n : 1, sizeof *files);
    parts->tmp = calloc(n ? n : 1, sizeof *parts->tmp);
    parts->final = calloc(n ? n : 1, sizeof *parts->final);
    int rc = files && parts->tmp && parts->final ? 0
             : ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char obj[600], file[PATH_MAX], target[600];
        snprintf(obj, sizeof obj, "/checkpoints/%s/%s", u[i].ckpt, u[i].task);
        int e = elink_target(f, path, obj, file, sizeof file, target, sizeof target);
        if (e < 0)
            rc = ckr_err_set(err, CKR_EIO, "%s: %s: cannot read the link", path, obj);
        if (e <= 0)
            continue;
        linked[i] = 1;
        size_t k = find_part(parts, files, file);
        if (k == parts->n) {
            char tmp[PATH_MAX + 64], fin[PATH_MAX + 64];
            if ((rc = ckr_zoo_copy_to_temp(file, reserve, tmp, fin, sizeof tmp, err)))
                break;
            files[k] = strdup(file);
            parts->tmp[k] = strdup(tmp);
            parts->final[k] = strdup(fin);
            parts->n++;
            if (!files[k] || !parts->tmp[k] || !parts->final[k]) {
                rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
                break;
            }
        }
        rc = write_one(parts->tmp[k], file, target, &u[i], err);
    }
    H5Fclose(f);
    for (size_t k = 0; files && k < parts->n; k++)
        free(files[k]);
    free(files);
    if (rc)
        ckr_gt_discard_parts(parts);
    return rc;
}

int ckr_gt_commit_parts(ckr_gt_parts *parts, ckr_err *err)
{
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < parts->n; k++) {
        rc = ckr_zoo_commit_temp(parts->tmp[k], parts->final[k], err);
        free(parts->tmp[k]);
        parts->tmp[k] = NULL; /* renamed, or removed by the failed commit */
    }
    ckr_gt_discard_parts(parts);
    return rc;
}

void ckr_gt_discard_parts(ckr_gt_parts *parts)
{
    if (!parts)
        return;
    for (size_t k = 0; k < parts->n; k++) {
        if (parts->tmp && parts->tmp[k])
            unlink(parts->tmp[k]);
        if (parts->tmp)
            free(parts->tmp[k]);
        if (parts->final)
            free(parts->final[k]);
    }
    free(parts->tmp);
    free(parts->final);
    memset(parts, 0, sizeof *parts);
}
