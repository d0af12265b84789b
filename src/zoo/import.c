/* import.c -- writing an imported pair into a zoo (see import.h): what the
 * existing zoo allows (its task's labels, an existing pair), then the task,
 * checkpoint and pair groups, written into a copy under a temporary name
 * (or a new file under one) that is renamed into place at the end.
 *
 * Concurrent imports into one zoo (a job array) serialise: an import holds
 * an open-file-description write lock on the zoo from its checks to the
 * rename (a waiter whose zoo was replaced meanwhile locks the new file), and
 * a new zoo is put in place with link(), which fails when another import
 * created the zoo first: then the import starts again on that zoo. The lock
 * does not interact with HDF5's own flock() locks. */
#define _GNU_SOURCE /* F_OFD_SETLKW */
#include "zoo/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fsout.h"
#include "zoo/fileout.h"
#include "zoo/h5util.h"

/* deflate level of --compress: on shuffled float32 features level 4 is 3.6x
 * faster than 6 for 1% more bytes (50000 x 512; data/realzoo.h5 has 9) */
#define IMPORT_GZIP_LEVEL 4
/* target bytes of one chunk (a small dataset is one chunk, as in realzoo.h5) */
#define IMPORT_CHUNK_BYTES ((size_t)1 << 20)

typedef struct imp {
    const char *path;
    const ckr_import_spec *s;
    int C;
    hid_t file, gcpl;
    int task_exists, have_stored[3]; /* train, val, test labels stored */
    int pair_exists, params_differ, minor;
    ckr_err *err;
} imp;

static int h5fail(imp *w, const char *obj, const char *what)
{
    char h5[256];
    ckr_h5_last_error(h5, sizeof h5);
    return ckr_err_set(w->err, CKR_EIO, "%s: %s: cannot write %s (%s)", w->path, obj, what,
                       h5[0] ? h5 : "HDF5 error");
}

/* ---- what the existing zoo allows --------------------------------------- */

/* -1 when the stored labels st equal a, else the first row that differs
 * (st->n when the counts or widths differ) */
static long labels_differ(const ckr_labels *st, const ckr_npy *a, int ml, int C)
{
    if (st->n != a->rows || (ml && (int)a->cols != C))
        return (long)st->n;
    for (size_t k = 0; k < a->rows * a->cols; k++) {
        double v = ml ? st->Y[k] : st->y[k];
        if (v != a->data[k])
            return (long)(k / a->cols);
    }
    return -1;
}

static int check_task(imp *w, hid_t file)
{
    const ckr_import_spec *s = w->s;
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "/tasks/%s", s->task);
    hid_t tasks = H5Gopen2(file, "tasks", H5P_DEFAULT);
    if (tasks < 0)
        return ckr_err_set(w->err, CKR_EFORMAT, "%s: /tasks: missing", w->path);
    int rc = 0;
    w->task_exists = ckr_h5_child_kind(tasks, s->task) != CKR_H5_MISSING;
    if (!w->task_exists)
        goto cleanup;
    ckr_zoo_taskdata td;
    memset(&td, 0, sizeof td);
    ckr_zrep rep;
    ckr_zrep_init(&rep, w->path, NULL, NULL, 1);
    if (ckr_zoo_check_task(tasks, s->task, 1, 1, &td, &rep) != 0) {
        rc = ckr_zrep_to_err(&rep, w->err);
        ckr_zoo_taskdata_free(&td);
        goto cleanup;
    }
    int ml = td.kind == CKR_MULTILABEL;
    if (ml != (s->multilabel != 0))
        rc = ckr_err_set(w->err, CKR_EDATA, "%s: %s is %s, the labels given are %s (%s)", w->path,
                         obj, ml ? "multilabel" : "multiclass", ml ? "multiclass" : "multilabel",
                         ml ? "add --multilabel" : "without --multilabel");
    else if (s->num_classes > 0 && s->num_classes != td.num_classes)
        rc = ckr_err_set(w->err, CKR_EDATA, "%s: %s has num_classes %d, --num-classes is %d",
                         w->path, obj, td.num_classes, s->num_classes);
    const ckr_labels *st[3] = {&td.train, &td.val, &td.test};
    const int idx[3] = {CKR_IMP_TRAIN_Y, CKR_IMP_VAL_Y, CKR_IMP_TEST_Y};
    for (int k = 0; k < 3 && rc == 0; k++) {
        w->have_stored[k] = st[k]->n > 0;
        const ckr_npy *a = s->a[idx[k]];
        long row = a && st[k]->n ? labels_differ(st[k], a, ml, td.num_classes) : -1;
        const char *given = s->what[idx[k]] ? s->what[idx[k]] : "the labels given";
        if (row >= 0 && (size_t)row == st[k]->n)
            rc = ckr_err_set(w->err, CKR_EDATA, "%s: %s/%s: differs from %s: shape %zu x %d "
                             "stored, %zu x %zu given; a task has one set of labels for all its "
                             "checkpoints", w->path, obj, ckr_import_dataset_name(idx[k]), given,
                             st[k]->n, ml ? td.num_classes : 1, a->rows, a->cols);
        else if (row >= 0)
            rc = ckr_err_set(w->err, CKR_EDATA, "%s: %s/%s: differs from %s (first at row %ld); "
                             "a task has one set of labels for all its checkpoints", w->path, obj,
                             ckr_import_dataset_name(idx[k]), given, row);
    }
    if (rc == 0)
        w->C = td.num_classes;
    ckr_zoo_taskdata_free(&td);
cleanup:
    H5Gclose(tasks);
    return rc;
}

static int check_existing(imp *w)
{
    hid_t file = H5Fopen(w->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return ckr_err_set(w->err, ckr_h5_has_signature(w->path) == 0 ? CKR_EFORMAT : CKR_EIO,
                           "%s: cannot open as an HDF5 zoo", w->path);
    ckr_zrep rep;
    ckr_zrep_init(&rep, w->path, NULL, NULL, 1);
    int rc = 0;
    if (ckr_zoo_check_root(file, &w->minor, &rep) != 0) {
        rc = ckr_zrep_to_err(&rep, w->err);
        goto cleanup;
    }
    if (ckr_h5_child_kind(file, "checkpoints") != CKR_H5_GROUP) {
        rc = ckr_err_set(w->err, CKR_EFORMAT, "%s: /checkpoints: missing or not a group", w->path);
        goto cleanup;
    }
    if ((rc = check_task(w, file)) != 0)
        goto cleanup;
    hid_t cks = H5Gopen2(file, "checkpoints", H5P_DEFAULT);
    if (cks >= 0 && ckr_h5_child_kind(cks, w->s->ckpt) == CKR_H5_GROUP) {
        hid_t ck = H5Gopen2(cks, w->s->ckpt, H5P_DEFAULT);
        w->pair_exists = ckr_h5_child_kind(ck, w->s->task) != CKR_H5_MISSING;
        unsigned long long p = 0;
        if (w->s->has_num_params &&
            ckr_h5_attr_number(ck, "num_params", H5T_NATIVE_ULLONG, &p) == CKR_ATTR_OK)
            w->params_differ = p != w->s->num_params;
        H5Gclose(ck);
    } else if (cks >= 0 && ckr_h5_child_kind(cks, w->s->ckpt) != CKR_H5_MISSING) {
        rc = ckr_err_set(w->err, CKR_EFORMAT, "%s: /checkpoints/%s: is not a group", w->path,
                         w->s->ckpt);
    }
    if (cks >= 0)
        H5Gclose(cks);
    if (rc == 0 && w->pair_exists && !w->s->force)
        rc = ckr_err_set(w->err, CKR_EARG, "%s: /checkpoints/%s/%s: the pair exists already "
                         "(--force replaces it)", w->path, w->s->ckpt, w->s->task);
    else if (rc == 0 && w->params_differ && !w->s->force)
        rc = ckr_err_set(w->err, CKR_EARG, "%s: /checkpoints/%s: has another num_params than "
                         "--num-params %llu (--force replaces it)", w->path, w->s->ckpt,
                         (unsigned long long)w->s->num_params);
cleanup:
    H5Fclose(file);
    return rc;
}

/* ---- writing ------------------------------------------------------------ */

static int write_dset(imp *w, hid_t loc, const char *locpath, int i)
{
    const ckr_npy *a = w->s->a[i];
    const char *name = ckr_import_dataset_name(i);
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "%s/%s", locpath, name);
    int labels = i == CKR_IMP_TRAIN_Y || i == CKR_IMP_VAL_Y || i == CKR_IMP_TEST_Y;
    hid_t ftype = labels ? (w->s->multilabel ? H5T_STD_U8LE : H5T_STD_I32LE)
                  : (a->kind == 'f' && a->itemsize <= 4) ? H5T_IEEE_F32LE : H5T_IEEE_F64LE;
    int rank = a->ndim == 2 ? 2 : 1;
    hsize_t dims[2] = {a->rows, a->cols}, chunk[2] = {a->rows, a->cols};
    size_t row_bytes = a->cols * H5Tget_size(ftype), rows = IMPORT_CHUNK_BYTES / row_bytes;
    chunk[0] = rows < 1 ? 1 : rows < a->rows ? rows : a->rows;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), space = H5Screate_simple(rank, dims, NULL), d = -1;
    int ok = dcpl >= 0 && space >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0;
    if (ok && w->s->compress)
        ok = H5Pset_chunk(dcpl, rank, chunk) >= 0 && H5Pset_shuffle(dcpl) >= 0 &&
             H5Pset_deflate(dcpl, IMPORT_GZIP_LEVEL) >= 0;
    if (ok)
        d = H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    ok = d >= 0;
    if (ok && labels) {
        size_t n = a->rows * a->cols;
        void *buf = malloc(n ? n * sizeof(int) : 1);
        if (buf && w->s->multilabel)
            for (size_t k = 0; k < n; k++)
                ((unsigned char *)buf)[k] = (unsigned char)a->data[k];
        else if (buf)
            for (size_t k = 0; k < n; k++)
                ((int *)buf)[k] = (int)a->data[k];
        ok = buf && H5Dwrite(d, w->s->multilabel ? H5T_NATIVE_UINT8 : H5T_NATIVE_INT, H5S_ALL,
                             H5S_ALL, H5P_DEFAULT, buf) >= 0;
        free(buf);
    } else if (ok) {
        ok = H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a->data) >= 0;
    }
    if (d >= 0 && H5Dclose(d) < 0)
        ok = 0;
    if (space >= 0)
        H5Sclose(space);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return ok ? 0 : h5fail(w, obj, "the dataset");
}

static hid_t open_or_create(imp *w, hid_t loc, const char *name, const char *obj)
{
    hid_t g = ckr_h5_child_kind(loc, name) == CKR_H5_GROUP
                  ? H5Gopen2(loc, name, H5P_DEFAULT)
                  : H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0)
        h5fail(w, obj, "the group");
    return g;
}

static int write_task(imp *w)
{
    const ckr_import_spec *s = w->s;
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "/tasks/%s", s->task);
    hid_t tasks = open_or_create(w, w->file, "tasks", "/tasks");
    hid_t g = tasks >= 0 ? open_or_create(w, tasks, s->task, obj) : -1;
    int rc = g < 0 ? CKR_EIO : 0;
    if (rc == 0 && !w->task_exists) {
        if (ckr_h5_attr_write(g, "num_classes", H5T_STD_I32LE, H5T_NATIVE_INT, &w->C, 0) != 0 ||
            ckr_h5_attr_write_str(g, "kind", s->multilabel ? "multilabel" : "multiclass") != 0)
            rc = h5fail(w, obj, "num_classes / kind");
    }
    const int idx[3] = {CKR_IMP_TRAIN_Y, CKR_IMP_VAL_Y, CKR_IMP_TEST_Y};
    for (int k = 0; k < 3 && rc == 0; k++)
        if (s->a[idx[k]] && !w->have_stored[k])
            rc = write_dset(w, g, obj, idx[k]);
    if (g >= 0)
        H5Gclose(g);
    if (tasks >= 0)
        H5Gclose(tasks);
    return rc;
}

static int write_pair(imp *w)
{
    const ckr_import_spec *s = w->s;
    char cobj[CKR_ZOO_OBJ_MAX], obj[CKR_ZOO_OBJ_MAX];
    snprintf(cobj, sizeof cobj, "/checkpoints/%s", s->ckpt);
    snprintf(obj, sizeof obj, "/checkpoints/%s/%s", s->ckpt, s->task);
    hid_t cks = open_or_create(w, w->file, "checkpoints", "/checkpoints");
    hid_t ck = cks >= 0 ? open_or_create(w, cks, s->ckpt, cobj) : -1, g = -1;
    int rc = ck < 0 ? CKR_EIO : 0;
    if (rc == 0 && s->has_num_params) {
        unsigned long long p = s->num_params;
        if (ckr_h5_attr_write(ck, "num_params", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &p, 0) != 0)
            rc = h5fail(w, cobj, "num_params");
    }
    if (rc == 0 && w->pair_exists && H5Ldelete(ck, s->task, H5P_DEFAULT) < 0)
        rc = h5fail(w, obj, "(remove the old pair)");
    if (rc == 0) {
        g = H5Gcreate2(ck, s->task, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
        if (g < 0)
            rc = h5fail(w, obj, "the group");
    }
    const int order[] = {CKR_IMP_TRAIN_X, CKR_IMP_VAL_X, CKR_IMP_TEST_X, CKR_IMP_TRAIN_Z,
                         CKR_IMP_VAL_Z};
    for (size_t k = 0; rc == 0 && k < sizeof order / sizeof order[0]; k++)
        if (s->a[order[k]])
            rc = write_dset(w, g, obj, order[k]);
    if (rc == 0 && s->has_accuracy &&
        ckr_h5_attr_write(g, "finetune_accuracy", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                          &s->accuracy, 0) != 0)
        rc = h5fail(w, obj, "finetune_accuracy");
    if (g >= 0)
        H5Gclose(g);
    if (ck >= 0)
        H5Gclose(ck);
    if (cks >= 0)
        H5Gclose(cks);
    return rc;
}

static int write_root(imp *w, int created)
{
    int one = 1, minor = w->minor;
    if (w->s->a[CKR_IMP_TEST_X] || w->s->a[CKR_IMP_TEST_Y])
        minor = minor > 1 ? minor : 1;
    int bad = 0;
    if (created)
        bad = ckr_h5_attr_write_str(w->file, "format", CKR_ZOO_FORMAT) != 0 ||
              ckr_h5_attr_write(w->file, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &one,
                                0) != 0 ||
              ckr_h5_attr_write_str(w->file, "created_by", "ckptrank import") != 0;
    if (!bad && minor != w->minor)
        bad = ckr_h5_attr_write(w->file, "format_minor", H5T_STD_I32LE, H5T_NATIVE_INT, &minor,
                                0) != 0;
    return bad ? h5fail(w, "/", "the root attributes") : 0;
}

static size_t payload_bytes(const ckr_import_spec *s)
{
    size_t b = 1 << 20;
    for (int i = 0; i < CKR_IMP_N; i++)
        if (s->a[i])
            b += s->a[i]->rows * s->a[i]->cols * 8 + 4096;
    return b;
}

/* Lock the zoo at path for writing: *fd gets the locked descriptor, or -1
 * when path does not exist (or cannot be opened for writing: no lock). */
static int lock_zoo(const char *path, int *fd, ckr_err *err)
{
    for (;;) {
        *fd = open(path, O_RDWR | O_CLOEXEC);
        if (*fd < 0)
            return errno == ENOENT || errno == EACCES || errno == EROFS || errno == EISDIR
                       ? 0
                       : ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", path, strerror(errno));
#ifdef F_OFD_SETLKW
        struct flock fl;
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        int r;
        while ((r = fcntl(*fd, F_OFD_SETLKW, &fl)) != 0 && errno == EINTR)
            ;
        if (r != 0 && errno != EINVAL && errno != ENOLCK && errno != EOPNOTSUPP) {
            int e = errno;
            close(*fd);
            *fd = -1;
            return ckr_err_set(err, CKR_EIO, "%s: cannot lock: %s", path, strerror(e));
        }
#endif
        struct stat a, b;
        if (fstat(*fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return 0;
        close(*fd); /* replaced while we waited: lock the new file */
    }
}

/* Put the new zoo tmp in place as final unless final exists by now (*raced
 * set, tmp removed). Returns 0 or CKR_EIO. */
static int commit_new(const char *tmp, const char *final, int *raced, ckr_err *err)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    int ok = fd >= 0 && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (ok && link(tmp, final) == 0) {
        unlink(tmp);
        ckr_fsout_sync_dir(final);
        return 0;
    }
    if (ok && errno == EEXIST) {
        unlink(tmp);
        *raced = 1;
        return 0;
    }
    return ckr_zoo_commit_temp(tmp, final, err); /* no hard links here: rename */
}

static int import_once(const char *path, const ckr_import_spec *s, int *raced, ckr_err *err)
{
    imp w = {path, s, 0, -1, -1, 0, {0, 0, 0}, 0, 0, 0, err};
    int rc = ckr_import_check_arrays(s, &w.C, err), lock = -1;
    if (rc == 0)
        rc = lock_zoo(path, &lock, err);
    if (rc)
        return rc;
    struct stat st;
    int exists = stat(path, &st) == 0;
    char tmp[4200], final[4200];
    if (!exists && errno != ENOENT)
        rc = ckr_err_set(err, CKR_EIO, "%s: %s", path, strerror(errno));
    if (rc == 0 && exists)
        rc = check_existing(&w);
    if (rc == 0 && exists) {
        rc = ckr_zoo_copy_to_temp(path, payload_bytes(s), tmp, final, sizeof tmp, err);
        if (rc == 0)
            w.file = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
    } else if (rc == 0) {
        snprintf(final, sizeof final, "%s", path);
        if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
            rc = ckr_err_set(err, CKR_EARG, "%s: file name too long", path);
        else
            w.file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    }
    if (rc == 0 && w.file < 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot %s the temporary file %s", path,
                         exists ? "open" : "create", tmp);
        unlink(tmp);
    }
    if (rc)
        goto cleanup;
    w.gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (w.gcpl < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0)
        rc = h5fail(&w, "/", "(group properties)");
    if (rc == 0)
        rc = write_root(&w, !exists);
    if (rc == 0)
        rc = write_task(&w);
    if (rc == 0)
        rc = write_pair(&w);
    if (w.gcpl >= 0)
        H5Pclose(w.gcpl);
    if (H5Fclose(w.file) < 0 && rc == 0)
        rc = h5fail(&w, "/", "the file (close)");
    if (rc != 0)
        unlink(tmp);
    else if (exists)
        rc = ckr_zoo_commit_temp(tmp, final, err);
    else
        rc = commit_new(tmp, final, raced, err);
cleanup:
    if (lock >= 0)
        close(lock); /* after the rename: a waiter finds the new zoo */
    return rc;
}

int ckr_zoo_import(const char *path, const ckr_import_spec *s, ckr_err *err)
{
    ckr_h5_quiet();
    for (int attempt = 0;; attempt++) {
        int raced = 0, rc = import_once(path, s, &raced, err);
        if (rc || !raced)
            return rc;
        if (attempt == 10)
            return ckr_err_set(err, CKR_EIO, "%s: created by another process at every attempt",
                               path);
    }
}
