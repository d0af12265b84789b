#include "zoo/gtwrite.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "util/h5attr.h"

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

int ckr_zoo_write_ground_truth(const char *path, const ckr_gt_update *u, size_t n,
                               const char *sweep, const char *protocol, int force, ckr_err *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open for writing (is it read-only or open elsewhere?)",
                           path);
    int rc = check_pairs(f, path, u, n, force, err);
    for (size_t i = 0; !rc && i < n; i++) {
        char obj[600];
        snprintf(obj, sizeof obj, "/checkpoints/%s/%s", u[i].ckpt, u[i].task);
        hid_t g = H5Gopen2(f, obj, H5P_DEFAULT);
        if (g < 0 ||
            ckr_h5_attr_write(g, "finetune_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                              &u[i].accuracy, 0) ||
            ckr_h5_attr_write_str(g, "finetune_selected", u[i].selected) ||
            ckr_h5_attr_write_str(g, "finetune_source", u[i].source))
            rc = ckr_err_set(err, CKR_EIO, "%s: %s: cannot write the ground-truth attributes", path, obj);
        if (g >= 0)
            H5Gclose(g);
    }
    if (!rc && (ckr_h5_attr_write_str(f, "groundtruth_sweep", sweep) ||
                ckr_h5_attr_write_str(f, "groundtruth_protocol", protocol)))
        rc = ckr_err_set(err, CKR_EIO, "%s: /: cannot write the groundtruth_* attributes", path);
    if (H5Fclose(f) < 0 && !rc)
        rc = ckr_err_set(err, CKR_EIO, "%s: closing after writing ground truth failed", path);
    return rc;
}
