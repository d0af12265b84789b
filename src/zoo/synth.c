/* synth.c -- write a synthetic zoo whose transferability is known: the
 * options, and the HDF5 writing of the data synth_data.c generates (the
 * model is described in synth_data.h).
 *
 * Task groups carry num_classes, kind and the labels; checkpoint groups
 * arch, source and num_params (schema 1.2: round(1e6 exp(q_c + 0.5 z)),
 * z ~ N(0, 1) from the stream (seed, checkpoint, "", "synth-num-params"):
 * larger for better checkpoints, but not in the same order, so the `size`
 * baseline ranks them only roughly); pair groups the
 * features and logits of every split, the top layer (schema 1.1),
 * finetune_accuracy and synth_quality. With n_test == 0 (the default) the
 * output is the same as before the test split existed. HDF5 object
 * timestamps are off, so equal options give equal bytes.
 *
 * The file is built in memory (HDF5's core driver, no backing store) and
 * then written under a temporary name and renamed into place (fileout.h):
 * HDF5 never writes to the disk itself, so a full disk neither leaves a
 * broken zoo behind nor a half-closed file in the library (a failed
 * H5Fclose used to crash MPI_Finalize). */
#include "zoo/zoo.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fsout.h"
#include "zoo/fileout.h"
#include "zoo/h5util.h"
#include "zoo/synth_data.h"

typedef struct {
    const char *path;
    hid_t file, gcpl, dcpl, fapl;
    ckr_err *err;
} writer;

static const char *const SPLIT_FEATURES[3] = {"train_features", "val_features", "test_features"};
static const char *const SPLIT_LOGITS[3] = {"train_logits", "val_logits", "test_logits"};

/* ---- options ------------------------------------------------------------ */

void ckr_synth_defaults(ckr_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_ckpts = 8;
    o->n_tasks = 3;
    o->n_classes = 5;
    o->n_train = 400;
    o->n_val = 100;
    o->dim = 32;
    o->multilabel = 0;
    o->logits = 1;
    o->z_source = 10;
    o->seed = 1;
    o->n_test = 0;
}


static int check_opts(const char *path, const ckr_synth_opts *o, ckr_err *err)
{
    const size_t big = (size_t)1 << 28;
    if (!path || !*path)
        return ckr_err_set(err, CKR_EARG, "synth: empty output file name");
    if (o->n_ckpts < 1 || o->n_ckpts > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: %d checkpoints, need 1..100000", o->n_ckpts);
    if (o->n_tasks < 1 || o->n_tasks > 10000)
        return ckr_err_set(err, CKR_EARG, "synth: %d tasks, need 1..10000", o->n_tasks);
    if (o->n_classes < 2 || o->n_classes > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: %d classes, need 2..100000", o->n_classes);
    if (o->n_train < 2 || o->n_train > big || o->n_val > big)
        return ckr_err_set(err, CKR_EARG, "synth: %zu train / %zu val samples, need 2..%zu train",
                           o->n_train, o->n_val, big);
    if (o->n_test > big)
        return ckr_err_set(err, CKR_EARG, "synth: %zu test samples, need 0..%zu", o->n_test, big);
    if (o->dim < 1 || o->dim > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: dim %zu, need 1..100000", o->dim);
    if (o->logits && (o->z_source < 2 || o->z_source > 100000))
        return ckr_err_set(err, CKR_EARG, "synth: %d source classes, need 2..100000", o->z_source);
    return 0;
}

/* ---- HDF5 writing ----------------------------------------------------- */

static int write_fail(writer *w, const char *obj, const char *what)
{
    char h5[256];
    ckr_h5_last_error(h5, sizeof h5);
    return ckr_err_set(w->err, CKR_EIO, "%s: %s: cannot write %s (%s)", w->path, obj, what,
                       h5[0] ? h5 : "HDF5 error");
}

static int attr_write(writer *w, hid_t obj, const char *objpath, const char *name, hid_t ftype,
                      hid_t mtype, const void *val)
{
    return ckr_h5_attr_write(obj, name, ftype, mtype, val, 0) ? write_fail(w, objpath, name) : 0;
}

static int attr_string(writer *w, hid_t obj, const char *objpath, const char *name,
                       const char *val)
{
    return ckr_h5_attr_write_str(obj, name, val) ? write_fail(w, objpath, name) : 0;
}

static int attr_int(writer *w, hid_t obj, const char *objpath, const char *name, int v)
{
    return attr_write(w, obj, objpath, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

static int attr_double(writer *w, hid_t obj, const char *objpath, const char *name, double v)
{
    return attr_write(w, obj, objpath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* Write a rank-1 (cols == 0) or rank-2 dataset. */
static int dset_write(writer *w, hid_t loc, const char *locpath, const char *name, hid_t ftype,
                      hid_t mtype, size_t rows, size_t cols, const void *data)
{
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "%s/%s", locpath, name);
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = space >= 0 ? H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, w->dcpl, H5P_DEFAULT)
                         : -1;
    int ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return ok ? 0 : write_fail(w, obj, "dataset");
}

static hid_t group_create(writer *w, hid_t loc, const char *name, const char *objpath)
{
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0)
        write_fail(w, objpath, "group");
    return g;
}

/* ---- writing the zoo -------------------------------------------------- */

static int write_split(writer *w, hid_t g, const char *gpath, const ckr_synth_ckpt *k,
                       const ckr_synth_task *st, ckr_rng *r, const double *M, int split, size_t n)
{
    const int *y = split == CKR_SYNTH_TEST ? st->y_te : split == CKR_SYNTH_VAL ? st->y_va : st->y_tr;
    const uint8_t *Y = split == CKR_SYNTH_TEST ? st->Y_te : split == CKR_SYNTH_VAL ? st->Y_va : st->Y_tr;
    size_t D = k->D, Z = (size_t)k->Z;
    double *x = calloc(n * D, sizeof *x), *L = k->Z ? malloc(n * Z * sizeof *L) : NULL;
    int rc = 0;
    if (!x || (k->Z && !L)) {
        rc = ckr_err_set(w->err, CKR_ENOMEM, "%s: %s: out of memory", w->path, gpath);
        goto cleanup;
    }
    ckr_synth_make_features(r, k, st, y, Y, n, M, x);
    rc = dset_write(w, g, gpath, SPLIT_FEATURES[split], H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, n,
                    D, x);
    if (rc == 0 && k->Z) {
        ckr_synth_make_logits(k, x, n, L);
        rc = dset_write(w, g, gpath, SPLIT_LOGITS[split], H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, n,
                        Z, L);
    }
cleanup:
    free(x);
    free(L);
    return rc;
}

static int write_pair(writer *w, const ckr_synth_opts *o, hid_t cg, const char *cpath,
                      const ckr_synth_ckpt *k, const ckr_synth_task *st)
{
    char gpath[CKR_ZOO_OBJ_MAX];
    snprintf(gpath, sizeof gpath, "%s/%s", cpath, st->name);
    ckr_rng r;
    ckr_rng_seed_item(&r, o->seed, k->name, st->name, "synth-features");
    double q = ckr_synth_pair_quality(&r, k);
    double *M = malloc((size_t)st->C * k->D * sizeof *M);
    if (!M)
        return ckr_err_set(w->err, CKR_ENOMEM, "%s: %s: out of memory", w->path, gpath);
    ckr_synth_make_means(&r, k, st->C, q, M);
    hid_t g = group_create(w, cg, st->name, gpath);
    int rc = g < 0 ? CKR_EIO : 0;
    if (rc == 0)
        rc = write_split(w, g, gpath, k, st, &r, M, CKR_SYNTH_TRAIN, o->n_train);
    if (rc == 0 && o->n_val)
        rc = write_split(w, g, gpath, k, st, &r, M, CKR_SYNTH_VAL, o->n_val);
    if (rc == 0 && o->n_test) {
        /* same class means, noise from a stream of its own: r (and with it
         * finetune_accuracy below) is the same with or without a test split */
        ckr_rng rt;
        ckr_rng_seed_item(&rt, o->seed, k->name, st->name, "synth-test-features");
        rc = write_split(w, g, gpath, k, st, &rt, M, CKR_SYNTH_TEST, o->n_test);
    }
    if (rc == 0 && k->Z) {
        rc = dset_write(w, g, gpath, "top_weights", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, k->D,
                        (size_t)k->Z, k->W);
        if (rc == 0)
            rc = dset_write(w, g, gpath, "top_bias", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE,
                            (size_t)k->Z, 0, k->b);
    }
    if (rc == 0) {
        double acc = ckr_synth_finetune_accuracy(&r, st, q);
        rc = attr_double(w, g, gpath, "finetune_accuracy", acc);
        if (rc == 0)
            rc = attr_double(w, g, gpath, "synth_quality", q);
    }
    if (g >= 0)
        H5Gclose(g);
    free(M);
    return rc;
}

static int write_task(writer *w, const ckr_synth_opts *o, hid_t tasks, const ckr_synth_task *st)
{
    char gpath[CKR_ZOO_OBJ_MAX];
    snprintf(gpath, sizeof gpath, "/tasks/%s", st->name);
    hid_t g = group_create(w, tasks, st->name, gpath);
    if (g < 0)
        return CKR_EIO;
    int rc = attr_int(w, g, gpath, "num_classes", st->C);
    if (rc == 0)
        rc = attr_string(w, g, gpath, "kind", st->ml ? "multilabel" : "multiclass");
    size_t C = (size_t)st->C;
    if (rc == 0 && st->ml) {
        rc = dset_write(w, g, gpath, "train_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, o->n_train,
                        C, st->Y_tr);
        if (rc == 0 && o->n_val)
            rc = dset_write(w, g, gpath, "val_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, o->n_val,
                            C, st->Y_va);
        if (rc == 0 && o->n_test)
            rc = dset_write(w, g, gpath, "test_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8,
                            o->n_test, C, st->Y_te);
    } else if (rc == 0) {
        rc = dset_write(w, g, gpath, "train_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_train,
                        0, st->y_tr);
        if (rc == 0 && o->n_val)
            rc = dset_write(w, g, gpath, "val_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_val, 0,
                            st->y_va);
        if (rc == 0 && o->n_test)
            rc = dset_write(w, g, gpath, "test_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_test,
                            0, st->y_te);
    }
    H5Gclose(g);
    return rc;
}

static int write_root_attrs(writer *w, const ckr_synth_opts *o)
{
    char desc[256];
    int len = snprintf(desc, sizeof desc,
                       "ckpts=%d tasks=%d classes=%d train=%zu val=%zu dim=%zu multilabel=%d "
                       "logits=%d z=%d seed=%lu", o->n_ckpts, o->n_tasks, o->n_classes,
                       o->n_train, o->n_val, o->dim, o->multilabel, o->logits, o->z_source,
                       o->seed);
    if (o->n_test && len > 0 && (size_t)len < sizeof desc) /* absent when 0: same bytes as before */
        snprintf(desc + len, sizeof desc - (size_t)len, " test=%zu", o->n_test);
    int rc = attr_string(w, w->file, "/", "format", CKR_ZOO_FORMAT);
    if (rc == 0)
        rc = attr_int(w, w->file, "/", "format_version", CKR_ZOO_VERSION);
    if (rc == 0)
        rc = attr_int(w, w->file, "/", "format_minor", 2);
    if (rc == 0)
        rc = attr_string(w, w->file, "/", "created_by", "ckptrank synth");
    if (rc == 0)
        rc = attr_string(w, w->file, "/", "synth_options", desc);
    return rc;
}

static int write_ckpts(writer *w, const ckr_synth_opts *o, const ckr_synth_task *tasks,
                       const double *q)
{
    hid_t cks = group_create(w, w->file, "checkpoints", "/checkpoints");
    if (cks < 0)
        return CKR_EIO;
    int rc = 0;
    for (int c = 0; rc == 0 && c < o->n_ckpts; c++) {
        ckr_synth_ckpt k;
        char cpath[128], src[64];
        rc = ckr_synth_make_ckpt(o, c, q[c], &k);
        if (rc != 0) {
            ckr_err_set(w->err, rc, "%s: /checkpoints: out of memory", w->path);
            ckr_synth_free_ckpt(&k);
            break;
        }
        snprintf(cpath, sizeof cpath, "/checkpoints/%s", k.name);
        snprintf(src, sizeof src, "synthetic q=%.4f", q[c]);
        hid_t cg = group_create(w, cks, k.name, cpath);
        rc = cg < 0 ? CKR_EIO : 0;
        if (rc == 0)
            rc = attr_string(w, cg, cpath, "arch", "synth-mlp");
        if (rc == 0)
            rc = attr_string(w, cg, cpath, "source", src);
        if (rc == 0) {
            ckr_rng r;
            ckr_rng_seed_item(&r, o->seed, k.name, "", "synth-num-params");
            double np = round(1e6 * exp(q[c] + 0.5 * ckr_rng_normal(&r)));
            rc = attr_double(w, cg, cpath, "num_params", np);
        }
        for (int t = 0; rc == 0 && t < o->n_tasks; t++)
            rc = write_pair(w, o, cg, cpath, &k, &tasks[t]);
        if (cg >= 0)
            H5Gclose(cg);
        ckr_synth_free_ckpt(&k);
    }
    H5Gclose(cks);
    return rc;
}

/* The finished in-memory file as bytes (*image malloc'd). */
static int take_image(writer *w, void **image, size_t *size)
{
    ssize_t n = H5Fflush(w->file, H5F_SCOPE_LOCAL) < 0 ? -1 : H5Fget_file_image(w->file, NULL, 0);
    if (n <= 0)
        return write_fail(w, "/", "the file image");
    *image = malloc((size_t)n);
    if (!*image)
        return ckr_err_set(w->err, CKR_ENOMEM, "%s: out of memory for a %zd-byte file", w->path,
                           n);
    if (H5Fget_file_image(w->file, *image, (size_t)n) != n)
        return write_fail(w, "/", "the file image");
    *size = (size_t)n;
    return 0;
}

int ckr_synth_write(const char *path, const ckr_synth_opts *o, ckr_err *err)
{
    int rc = check_opts(path, o, err);
    if (rc != 0)
        return rc;
    ckr_h5_quiet();
    writer w = {path, -1, -1, -1, -1, err};
    void *image = NULL;
    size_t size = 0;
    ckr_synth_task *tasks = calloc((size_t)o->n_tasks, sizeof *tasks);
    double *q = malloc((size_t)o->n_ckpts * sizeof *q);
    hid_t tg = -1;
    if (!tasks || !q) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    if (ckr_synth_make_qualities(o, q) != 0) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    for (int t = 0; t < o->n_tasks; t++)
        if (ckr_synth_make_task(o, t, &tasks[t]) != 0) {
            rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory for labels", path);
            goto cleanup;
        }

    /* no timestamps in object headers: the same options give the same bytes */
    w.gcpl = H5Pcreate(H5P_GROUP_CREATE);
    w.dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (w.gcpl < 0 || w.dcpl < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0 ||
        H5Pset_obj_track_times(w.dcpl, 0) < 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot set up HDF5 property lists", path);
        goto cleanup;
    }
    w.fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (w.fapl < 0 || H5Pset_fapl_core(w.fapl, (size_t)1 << 20, 0) < 0 ||
        H5Pset_fclose_degree(w.fapl, H5F_CLOSE_STRONG) < 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot set up the HDF5 in-memory file", path);
        goto cleanup;
    }
    w.file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, w.fapl);
    if (w.file < 0) {
        rc = write_fail(&w, "/", "the file (in memory)");
        goto cleanup;
    }
    rc = write_root_attrs(&w, o);
    if (rc == 0) {
        tg = group_create(&w, w.file, "tasks", "/tasks");
        rc = tg < 0 ? CKR_EIO : 0;
    }
    for (int t = 0; rc == 0 && t < o->n_tasks; t++)
        rc = write_task(&w, o, tg, &tasks[t]);
    if (rc == 0)
        rc = write_ckpts(&w, o, tasks, q);
    if (tg >= 0)
        H5Gclose(tg);
    tg = -1;
    if (rc == 0)
        rc = take_image(&w, &image, &size);

cleanup:
    if (tg >= 0)
        H5Gclose(tg);
    if (w.file >= 0 && H5Fclose(w.file) < 0 && rc == 0)
        rc = write_fail(&w, "/", "the file (close)");
    if (rc == 0)
        rc = ckr_fsout_write_file(path, image, size, err);
    free(image);
    if (w.fapl >= 0)
        H5Pclose(w.fapl);
    if (w.gcpl >= 0)
        H5Pclose(w.gcpl);
    if (w.dcpl >= 0)
        H5Pclose(w.dcpl);
    if (tasks)
        for (int t = 0; t < o->n_tasks; t++)
            ckr_synth_free_task(&tasks[t]);
    free(tasks);
    free(q);
    return rc;
}
