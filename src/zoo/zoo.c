/* zoo.c -- open, scan and read a zoo file (schema: hdf5-schemas/zoo-v1.md).
 * The schema checks themselves live in validate.c. */
#include "zoo/zoo.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "zoo/h5util.h"

struct ckr_zoo {
    char *path;
    hid_t file;
    int format_minor;
    ckr_task_info *tasks;
    size_t n_tasks;
    ckr_ckpt_info *ckpts;
    size_t n_ckpts;
    ckr_pair_info *pairs;
    size_t n_pairs;
    /* names handed out through ckr_pair.ckpt/task, valid until close */
    char **interned;
    size_t n_interned, cap_interned;
};

/* ---- open / close ----------------------------------------------------- */

int ckr_zoo_open_h5(const char *path, MPI_Comm comm, hid_t *file, ckr_err *err)
{
    struct stat sb;
    int inited = 0;
    *file = -1;
    ckr_h5_quiet();
    if (!path || !*path)
        return ckr_err_set(err, CKR_EARG, "zoo: empty file name");
    if (MPI_Initialized(&inited) != MPI_SUCCESS || !inited)
        return ckr_err_set(err, CKR_EMPI, "%s: cannot open: MPI is not initialized", path);
    if (stat(path, &sb) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return ckr_err_set(err, CKR_EIO, "%s: cannot open: is a directory", path);

    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return ckr_err_set(err, CKR_EIO, "%s: cannot set up the MPI-IO file driver", path);
    }
    *file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    char h5msg[256];
    ckr_h5_last_error(h5msg, sizeof h5msg); /* before the next HDF5 call clears it */
    H5Pclose(fapl);
    if (*file >= 0)
        return 0;
    int sig = ckr_h5_has_signature(path);
    if (sig < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot read: %s", path, strerror(errno));
    if (sig == 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not an HDF5 file (no HDF5 signature)", path);
    return ckr_err_set(err, CKR_EIO, "%s: cannot open as HDF5, the file is truncated or corrupt (%s)",
                       path, h5msg[0] ? h5msg : "unknown HDF5 error");
}

int ckr_zoo_open(const char *path, MPI_Comm comm, ckr_zoo **out, ckr_err *err)
{
    *out = NULL;
    ckr_zoo *zoo = calloc(1, sizeof *zoo);
    if (!zoo || !(zoo->path = strdup(path ? path : ""))) {
        free(zoo);
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path ? path : "zoo");
    }
    zoo->file = -1;
    int rc = ckr_zoo_open_h5(path, comm, &zoo->file, err);
    if (rc == 0) {
        ckr_zrep r;
        ckr_zrep_init(&r, path, NULL, NULL, 1);
        ckr_zoo_check_root(zoo->file, &zoo->format_minor, &r);
        rc = ckr_zrep_to_err(&r, err);
    }
    if (rc != 0) {
        ckr_zoo_close(zoo);
        return rc;
    }
    *out = zoo;
    return 0;
}

static void free_lists(ckr_zoo *zoo)
{
    free(zoo->tasks);
    free(zoo->ckpts);
    free(zoo->pairs);
    zoo->tasks = NULL;
    zoo->ckpts = NULL;
    zoo->pairs = NULL;
    zoo->n_tasks = zoo->n_ckpts = zoo->n_pairs = 0;
}

void ckr_zoo_close(ckr_zoo *zoo)
{
    if (!zoo)
        return;
    free_lists(zoo);
    for (size_t i = 0; i < zoo->n_interned; i++)
        free(zoo->interned[i]);
    free(zoo->interned);
    if (zoo->file >= 0)
        H5Fclose(zoo->file);
    free(zoo->path);
    free(zoo);
}

const char *ckr_zoo_path(const ckr_zoo *zoo)
{
    return zoo ? zoo->path : NULL;
}

/* ---- scan ------------------------------------------------------------- */

/* Open /<name> (a required group) of the file. */
static int open_root_group(ckr_zoo *zoo, const char *name, hid_t *g, ckr_err *err)
{
    ckr_h5_kind k = ckr_h5_child_kind(zoo->file, name);
    *g = -1;
    if (k == CKR_H5_MISSING)
        return ckr_err_set(err, CKR_EFORMAT, "%s: /%s: group is missing", zoo->path, name);
    if (k != CKR_H5_GROUP)
        return ckr_err_set(err, CKR_EFORMAT, "%s: /%s: is %s, expected a group", zoo->path, name,
                           ckr_h5_kind_name(k));
    *g = H5Gopen2(zoo->file, name, H5P_DEFAULT);
    if (*g < 0)
        return ckr_err_set(err, CKR_EIO, "%s: /%s: cannot open group", zoo->path, name);
    return 0;
}

/* List group g (object path gpath) and check every name fits CKR_NAME_MAX. */
static int list_checked_names(ckr_zoo *zoo, hid_t g, const char *gpath, char ***names,
                              size_t *n, ckr_err *err)
{
    int rc = ckr_h5_list_names(g, names, n);
    if (rc != 0)
        return ckr_err_set(err, rc, "%s: %s: cannot list the group", zoo->path, gpath);
    for (size_t i = 0; i < *n; i++) {
        size_t len = strlen((*names)[i]);
        if (len >= CKR_NAME_MAX) {
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: %s/%.40s...: name has %zu characters, the "
                             "limit is %d", zoo->path, gpath, (*names)[i], len, CKR_NAME_MAX - 1);
            ckr_h5_free_names(*names, *n);
            *names = NULL;
            *n = 0;
            return rc;
        }
    }
    return 0;
}

static int scan_tasks(ckr_zoo *zoo, ckr_err *err)
{
    hid_t tasks;
    char **names = NULL;
    size_t n = 0;
    int rc = open_root_group(zoo, "tasks", &tasks, err);
    if (rc != 0)
        return rc;
    rc = list_checked_names(zoo, tasks, "/tasks", &names, &n, err);
    if (rc != 0)
        goto cleanup;
    zoo->tasks = calloc(n ? n : 1, sizeof *zoo->tasks);
    if (!zoo->tasks) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: /tasks: out of memory", zoo->path);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        ckr_task_info *ti = &zoo->tasks[i];
        ckr_zoo_taskdata td;
        ckr_zrep r;
        ckr_zrep_init(&r, zoo->path, NULL, NULL, 1);
        ckr_zoo_copy_str(ti->name, sizeof ti->name, names[i]);
        ckr_zoo_check_task(tasks, names[i], 0, 0, &td, &r);
        ti->kind = td.kind;
        ti->num_classes = td.num_classes;
        ti->n_train = td.n_train;
        ti->n_val = td.n_val;
        ti->n_test = td.n_test;
        if (r.count)
            ckr_zoo_copy_str(ti->problem, sizeof ti->problem, r.first_msg);
    }
    zoo->n_tasks = n;
cleanup:
    ckr_h5_free_names(names, n);
    H5Gclose(tasks);
    return rc;
}

static int scan_ckpts(ckr_zoo *zoo, ckr_err *err)
{
    hid_t cks;
    char **names = NULL;
    size_t n = 0;
    int rc = open_root_group(zoo, "checkpoints", &cks, err);
    if (rc != 0)
        return rc;
    rc = list_checked_names(zoo, cks, "/checkpoints", &names, &n, err);
    if (rc != 0)
        goto cleanup;
    zoo->ckpts = calloc(n ? n : 1, sizeof *zoo->ckpts);
    if (!zoo->ckpts) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: /checkpoints: out of memory", zoo->path);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        ckr_ckpt_info *ci = &zoo->ckpts[i];
        ckr_h5_kind k = ckr_h5_child_kind(cks, names[i]);
        if (k != CKR_H5_GROUP) {
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: /checkpoints/%s: is %s, expected a "
                             "checkpoint group", zoo->path, names[i], ckr_h5_kind_name(k));
            goto cleanup;
        }
        ckr_zoo_copy_str(ci->name, sizeof ci->name, names[i]);
        hid_t g = H5Gopen2(cks, names[i], H5P_DEFAULT);
        if (g < 0) {
            rc = ckr_err_set(err, CKR_EIO, "%s: /checkpoints/%s: cannot open group", zoo->path,
                             names[i]);
            goto cleanup;
        }
        /* a malformed arch/source reads as "" here; validate reports it */
        if (ckr_h5_attr_string(g, "arch", ci->arch, sizeof ci->arch) != CKR_ATTR_OK)
            ci->arch[0] = '\0';
        if (ckr_h5_attr_string(g, "source", ci->source, sizeof ci->source) != CKR_ATTR_OK)
            ci->source[0] = '\0';
        H5Gclose(g);
    }
    zoo->n_ckpts = n;
cleanup:
    ckr_h5_free_names(names, n);
    H5Gclose(cks);
    return rc;
}

static int cmp_task_name(const void *key, const void *elem)
{
    return strcmp(key, ((const ckr_task_info *)elem)->name);
}

static size_t dset_dim(hid_t g, const char *name, int rank, int which)
{
    if (ckr_h5_child_kind(g, name) != CKR_H5_DATASET)
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

/* Shape and ground truth of pair group task_name in checkpoint group cg,
 * from metadata only; unreadable parts stay 0. */
static void describe_pair(hid_t cg, const char *task_name, const ckr_task_info *ti,
                          ckr_pair_info *pi)
{
    pi->shape.num_classes = ti->num_classes;
    pi->shape.kind = ti->kind;
    if (ckr_h5_child_kind(cg, task_name) != CKR_H5_GROUP)
        return;
    hid_t g = H5Gopen2(cg, task_name, H5P_DEFAULT);
    if (g < 0)
        return;
    pi->shape.n = dset_dim(g, "train_features", 2, 0);
    pi->shape.d = dset_dim(g, "train_features", 2, 1);
    pi->shape.z = dset_dim(g, "train_logits", 2, 1);
    pi->shape.n_val = dset_dim(g, "val_features", 2, 0);
    pi->n_test = dset_dim(g, "test_features", 2, 0);
    double v;
    if (ckr_h5_attr_double(g, "finetune_accuracy", &v) == CKR_ATTR_OK && isfinite(v)) {
        pi->has_gt = 1;
        pi->finetune_accuracy = v;
    }
    H5Gclose(g);
}

static int scan_pairs_of(ckr_zoo *zoo, hid_t cks, size_t c, size_t *cap, ckr_err *err)
{
    const char *cname = zoo->ckpts[c].name;
    hid_t cg = H5Gopen2(cks, cname, H5P_DEFAULT);
    if (cg < 0)
        return ckr_err_set(err, CKR_EIO, "%s: /checkpoints/%s: cannot open group", zoo->path,
                           cname);
    char **kids = NULL;
    size_t nk = 0;
    int rc = ckr_h5_list_names(cg, &kids, &nk);
    if (rc != 0) {
        rc = ckr_err_set(err, rc, "%s: /checkpoints/%s: cannot list the group", zoo->path, cname);
        goto cleanup;
    }
    for (size_t j = 0; j < nk; j++) {
        const ckr_task_info *ti = bsearch(kids[j], zoo->tasks, zoo->n_tasks, sizeof *ti,
                                          cmp_task_name);
        if (!ti)
            continue; /* not a task: validate reports it */
        if (zoo->n_pairs == *cap) {
            size_t nc = *cap ? 2 * *cap : 64;
            ckr_pair_info *p = realloc(zoo->pairs, nc * sizeof *p);
            if (!p) {
                rc = ckr_err_set(err, CKR_ENOMEM, "%s: /checkpoints: out of memory", zoo->path);
                goto cleanup;
            }
            zoo->pairs = p;
            *cap = nc;
        }
        ckr_pair_info *pi = &zoo->pairs[zoo->n_pairs++];
        memset(pi, 0, sizeof *pi);
        pi->ckpt = c;
        pi->task = (size_t)(ti - zoo->tasks);
        describe_pair(cg, kids[j], ti, pi);
    }
cleanup:
    ckr_h5_free_names(kids, nk);
    H5Gclose(cg);
    return rc;
}

static int scan_pairs(ckr_zoo *zoo, ckr_err *err)
{
    hid_t cks;
    size_t cap = 0;
    int rc = open_root_group(zoo, "checkpoints", &cks, err);
    for (size_t c = 0; rc == 0 && c < zoo->n_ckpts; c++)
        rc = scan_pairs_of(zoo, cks, c, &cap, err);
    if (cks >= 0)
        H5Gclose(cks);
    return rc;
}

int ckr_zoo_scan(ckr_zoo *zoo, ckr_err *err)
{
    free_lists(zoo);
    int rc = scan_tasks(zoo, err);
    if (rc == 0)
        rc = scan_ckpts(zoo, err);
    if (rc == 0)
        rc = scan_pairs(zoo, err);
    if (rc != 0)
        free_lists(zoo);
    return rc;
}

size_t ckr_zoo_num_tasks(const ckr_zoo *zoo) { return zoo->n_tasks; }
size_t ckr_zoo_num_ckpts(const ckr_zoo *zoo) { return zoo->n_ckpts; }
size_t ckr_zoo_num_pairs(const ckr_zoo *zoo) { return zoo->n_pairs; }

const ckr_task_info *ckr_zoo_task(const ckr_zoo *zoo, size_t i)
{
    return i < zoo->n_tasks ? &zoo->tasks[i] : NULL;
}

const ckr_ckpt_info *ckr_zoo_ckpt(const ckr_zoo *zoo, size_t i)
{
    return i < zoo->n_ckpts ? &zoo->ckpts[i] : NULL;
}

const ckr_pair_info *ckr_zoo_pair(const ckr_zoo *zoo, size_t i)
{
    return i < zoo->n_pairs ? &zoo->pairs[i] : NULL;
}

/* ---- read one pair ---------------------------------------------------- */

static const char *intern_name(ckr_zoo *zoo, const char *name)
{
    for (size_t i = 0; i < zoo->n_interned; i++)
        if (strcmp(zoo->interned[i], name) == 0)
            return zoo->interned[i];
    if (zoo->n_interned == zoo->cap_interned) {
        size_t nc = zoo->cap_interned ? 2 * zoo->cap_interned : 16;
        char **p = realloc(zoo->interned, nc * sizeof *p);
        if (!p)
            return NULL;
        zoo->interned = p;
        zoo->cap_interned = nc;
    }
    char *s = strdup(name);
    if (s)
        zoo->interned[zoo->n_interned++] = s;
    return s;
}

static int check_name_arg(const ckr_zoo *zoo, const char *what, const char *name, ckr_err *err)
{
    if (!name || !*name)
        return ckr_err_set(err, CKR_EARG, "%s: empty %s name", zoo->path, what);
    if (strlen(name) >= CKR_NAME_MAX)
        return ckr_err_set(err, CKR_EARG, "%s: %s name \"%.40s...\" is longer than %d characters",
                           zoo->path, what, name, CKR_NAME_MAX - 1);
    if (strchr(name, '/'))
        return ckr_err_set(err, CKR_EARG, "%s: %s name \"%s\" contains '/'", zoo->path, what, name);
    return 0;
}

hid_t ckr_zoo_h5file(const ckr_zoo *zoo)
{
    return zoo->file;
}

static int read_pair(ckr_zoo *zoo, const char *ckpt, const char *task, int keep_features,
                     ckr_pair *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_name_arg(zoo, "checkpoint", ckpt, err);
    if (rc == 0)
        rc = check_name_arg(zoo, "task", task, err);
    if (rc != 0)
        return rc;
    hid_t tasks;
    rc = open_root_group(zoo, "tasks", &tasks, err);
    if (rc != 0)
        return rc;

    ckr_zrep r;
    ckr_zoo_taskdata td;
    ckr_zrep_init(&r, zoo->path, NULL, NULL, 1);
    ckr_zoo_check_task(tasks, task, 1, 1, &td, &r);
    H5Gclose(tasks);
    if (r.count == 0)
        ckr_zoo_check_pair_ex(zoo->file, ckpt, task, &td, out, keep_features, &r);
    if (r.count) {
        ckr_zoo_taskdata_free(&td);
        return ckr_zrep_to_err(&r, err);
    }

    char cpath[CKR_NAME_MAX + 16]; /* the checkpoint's parameter count (schema 1.2) */
    snprintf(cpath, sizeof cpath, "/checkpoints/%s", ckpt);
    hid_t cg = H5Gopen2(zoo->file, cpath, H5P_DEFAULT);
    if (cg >= 0) {
        out->num_params = ckr_zoo_ckpt_num_params(cg, cpath, NULL);
        H5Gclose(cg);
    }
    out->ckpt = intern_name(zoo, ckpt);
    out->task = intern_name(zoo, task);
    out->kind = td.kind;
    out->num_classes = td.num_classes;
    out->train = td.train;
    memset(&td.train, 0, sizeof td.train);
    if (!keep_features) /* the shapes of the features left in the file */
        ckr_zoo_feature_dims(zoo->file, ckpt, task, out);
    const int kf = keep_features;
    if (kf ? out->val_features.data != NULL : out->val_features.rows > 0) {
        /* val labels only go with val features */
        out->val = td.val;
        memset(&td.val, 0, sizeof td.val);
    }
    if (kf ? out->test_features.data != NULL : out->test_features.rows > 0) {
        /* so do test labels with test features (1.1) */
        out->test = td.test;
        memset(&td.test, 0, sizeof td.test);
    }
    ckr_zoo_taskdata_free(&td);
    if (!out->ckpt || !out->task) {
        ckr_pair_free(out);
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", zoo->path);
    }
    return 0;
}

int ckr_zoo_read_pair(ckr_zoo *zoo, const char *ckpt, const char *task, ckr_pair *out,
                      ckr_err *err)
{
    return read_pair(zoo, ckpt, task, 1, out, err);
}

int ckr_zoo_read_pair_meta(ckr_zoo *zoo, const char *ckpt, const char *task, ckr_pair *out,
                           ckr_err *err)
{
    return read_pair(zoo, ckpt, task, 0, out, err);
}
