/* validate.c -- the schema checks of hdf5-schemas/zoo-v1.md: the root
 * attributes, the whole-file validation, and the dataset helpers the task
 * and pair checks (validate_task.c, validate_pair.c) share.
 *
 * The checks report through a ckr_zrep: ckr_zoo_validate collects every
 * problem of a file, ckr_zoo_read_pair / ckr_zoo_scan stop at the first.
 * Shape and type problems are CKR_EFORMAT, bad values CKR_EDATA. */
#include "zoo/validate_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Join parent and name into an object path (truncated to cap - 1 chars). */
void ckr_zoo_join_path(char *out, size_t cap, const char *parent, const char *name)
{
    if (strcmp(parent, "/") == 0)
        parent = "";
    ckr_zoo_copy_str(out, cap, parent);
    size_t len = strlen(out);
    if (len + 1 < cap) {
        out[len] = '/';
        ckr_zoo_copy_str(out + len + 1, cap - len - 1, name);
    }
}

/* Open child `name` of loc as a group, reporting why not. Returns -1 on a problem. */
hid_t ckr_zoo_open_group(hid_t loc, const char *name, const char *path,
                         const char *missing, const char *what, ckr_zrep *r)
{
    ckr_h5_kind k = ckr_h5_child_kind(loc, name);
    if (k == CKR_H5_MISSING) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "%s", missing);
        return -1;
    }
    if (k != CKR_H5_GROUP) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "is %s, expected %s", ckr_h5_kind_name(k), what);
        return -1;
    }
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        ckr_zrep_add(r, CKR_EIO, path, "cannot open group");
    return g;
}

/* ---- root ------------------------------------------------------------- */

static void check_format_attr(hid_t file, ckr_zrep *r)
{
    char fmt[64];
    ckr_attr_status st = ckr_h5_attr_string(file, "format", fmt, sizeof fmt);
    if (st == CKR_ATTR_MISSING)
        ckr_zrep_add(r, CKR_EFORMAT, "/",
                     "attribute format is missing (not a ckptrank zoo file? expected "
                     "format = \"%s\")", CKR_ZOO_FORMAT);
    else if (st == CKR_ATTR_NOT_STRING)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format has type %s, expected the string \"%s\"",
                     ckr_h5_attr_class_word(file, "format"), CKR_ZOO_FORMAT);
    else if (st == CKR_ATTR_TOO_LONG || (st == CKR_ATTR_OK && strcmp(fmt, CKR_ZOO_FORMAT) != 0))
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format is \"%.40s%s\", expected \"%s\"",
                     fmt, st == CKR_ATTR_TOO_LONG ? "..." : "", CKR_ZOO_FORMAT);
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format %s", ckr_attr_status_text(st));
}

static void check_version_attr(hid_t file, int *minor, ckr_zrep *r)
{
    long long v = 0;
    ckr_attr_status st = ckr_h5_attr_llong(file, "format_version", &v);
    if (st == CKR_ATTR_MISSING)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format_version is missing (expected %d)",
                     CKR_ZOO_VERSION);
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format_version %s (expected the integer %d)",
                     ckr_attr_status_text(st), CKR_ZOO_VERSION);
    else if (v != CKR_ZOO_VERSION) {
        char text[48];
        ckr_zrep_add(r, CKR_EFORMAT, "/",
                     "format_version is %s, this reader understands version %d only",
                     ckr_h5_attr_number_text(file, "format_version", text, sizeof text),
                     CKR_ZOO_VERSION);
    }

    *minor = 0;
    st = ckr_h5_attr_llong(file, "format_minor", &v);
    if (st == CKR_ATTR_OK && v >= 0 && v <= 1000000)
        *minor = (int)v;
    else if (st == CKR_ATTR_OK) {
        char text[48];
        ckr_zrep_add(r, CKR_EFORMAT, "/", "format_minor is %s, expected a small integer >= 0",
                     ckr_h5_attr_number_text(file, "format_minor", text, sizeof text));
    }
    else if (st != CKR_ATTR_MISSING)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "attribute format_minor %s (expected an integer)",
                     ckr_attr_status_text(st));
}

int ckr_zoo_check_root(hid_t file, int *minor, ckr_zrep *r)
{
    int before = r->count;
    check_format_attr(file, r);
    if (!ckr_zrep_stop(r))
        check_version_attr(file, minor, r);
    return r->count - before;
}

/* ---- datasets, generic ------------------------------------------------ */

/* Open dataset `name` of group g (object path gpath) when present and check
 * it is numeric with the given rank (0: any rank).  Returns 1 (usable: *d
 * open, di filled), 0 (absent: a problem when required) or -1 (a problem
 * was reported). */
int ckr_zoo_open_numeric(hid_t g, const char *gpath, const char *name, int required, int rank,
                         const char *shape, hid_t *d, ckr_h5_dinfo *di, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_zoo_join_path(path, sizeof path, gpath, name);
    *d = -1;
    ckr_h5_kind k = ckr_h5_child_kind(g, name);
    if (k == CKR_H5_MISSING) {
        if (!required)
            return 0;
        ckr_zrep_add(r, CKR_EFORMAT, path, "dataset is missing (required, %s)", shape);
        return -1;
    }
    if (k != CKR_H5_DATASET) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "is %s, expected a dataset (%s)", ckr_h5_kind_name(k),
                     shape);
        return -1;
    }
    *d = H5Dopen2(g, name, H5P_DEFAULT);
    if (*d < 0 || ckr_h5_dset_info(*d, di) != 0) {
        ckr_zrep_add(r, CKR_EIO, path, "cannot open dataset");
        goto fail;
    }
    if (!di->numeric) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "is a %s dataset, expected numbers (%s)",
                     ckr_h5_class_word(di->cls), shape);
        goto fail;
    }
    if (rank && di->rank != rank) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "has rank %d, expected %d (%s)", di->rank, rank, shape);
        goto fail;
    }
    char why[256];
    if (ckr_h5_storage_short(*d, why, sizeof why)) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "%s", why);
        goto fail;
    }
    return 1;
fail:
    if (*d >= 0)
        H5Dclose(*d);
    *d = -1;
    return -1;
}

/* Find the non-finite values of a row-major rows x cols buffer. */
static size_t count_nonfinite(const double *x, size_t rows, size_t cols, size_t *first)
{
    size_t n = 0;
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(x[i]) && n++ == 0)
            *first = i;
    return n;
}

static void report_nonfinite(const char *path, const ckr_h5_dinfo *di, size_t bad, double v,
                             size_t first, size_t cols, ckr_zrep *r)
{
    if (di->rank == 2)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "has %zu non-finite value%s (first: %g at row %zu, column %zu)", bad,
                     bad == 1 ? "" : "s", v, first / cols, first % cols);
    else
        ckr_zrep_add(r, CKR_EDATA, path, "has %zu non-finite value%s (first: %g at %zu)", bad,
                     bad == 1 ? "" : "s", v, first);
}

/* Values per block when only checking (validate): bounded memory. */
#define CHECK_BLOCK_VALUES ((size_t)1 << 20)

int ckr_zoo_check_finite(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_zrep *r)
{
    size_t rows = (size_t)di->dims[0], cols = di->rank == 2 ? (size_t)di->dims[1] : 1;
    if (rows == 0 || cols == 0)
        return 0;
    size_t block = CHECK_BLOCK_VALUES / cols ? CHECK_BLOCK_VALUES / cols : 1;
    if (block > rows)
        block = rows;
    if (block > SIZE_MAX / sizeof(double) / cols) {
        ckr_zrep_add(r, CKR_ENOMEM, path, "rows of %zu values do not fit in memory", cols);
        return -1;
    }
    double *buf = malloc(block * cols * sizeof(double));
    if (!buf) {
        ckr_zrep_add(r, CKR_ENOMEM, path, "cannot allocate %.1f MB for a block of %zu x %zu values",
                     (double)block * (double)cols * 8.0 / 1e6, block, cols);
        return -1;
    }
    size_t bad = 0, first = 0;
    double first_val = 0.0;
    int rc = 0;
    for (size_t row0 = 0; row0 < rows; row0 += block) {
        size_t nr = rows - row0 < block ? rows - row0 : block, at = 0;
        if (ckr_h5_read_rows(d, di, row0, nr, buf) != 0) {
            char h5[256];
            ckr_h5_last_error(h5, sizeof h5);
            ckr_zrep_add(r, CKR_EIO, path, "cannot read data (%s)", h5[0] ? h5 : "HDF5 error");
            rc = -1;
            break;
        }
        size_t nb = count_nonfinite(buf, nr, cols, &at);
        if (nb && bad == 0) {
            first = row0 * cols + at;
            first_val = buf[at];
        }
        bad += nb;
    }
    free(buf);
    if (rc == 0 && bad) {
        report_nonfinite(path, di, bad, first_val, first, cols, r);
        rc = -1;
    }
    return rc;
}

/* Read a whole open numeric rank-1/2 dataset into a new double buffer and
 * check every value is finite.  Returns 0, or -1 after reporting. */
int ckr_zoo_read_finite(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_matrix *m,
                        ckr_zrep *r)
{
    size_t rows = (size_t)di->dims[0], cols = di->rank == 2 ? (size_t)di->dims[1] : 1;
    m->rows = rows;
    m->cols = cols;
    m->data = NULL;
    if (rows == 0 || cols == 0)
        return 0;
    if (rows > SIZE_MAX / sizeof(double) / cols) {
        ckr_zrep_add(r, CKR_ENOMEM, path, "%zu x %zu values do not fit in memory", rows, cols);
        return -1;
    }
    m->data = malloc(rows * cols * sizeof(double));
    if (!m->data) {
        ckr_zrep_add(r, CKR_ENOMEM, path, "cannot allocate %.1f MB for %zu x %zu values",
                     (double)rows * (double)cols * 8.0 / 1e6, rows, cols);
        return -1;
    }
    if (ckr_h5_read_rows(d, di, 0, rows, m->data) != 0) {
        char h5[256];
        ckr_h5_last_error(h5, sizeof h5);
        ckr_zrep_add(r, CKR_EIO, path, "cannot read data (%s)", h5[0] ? h5 : "HDF5 error");
        goto fail;
    }
    size_t first = 0, bad = count_nonfinite(m->data, rows, cols, &first);
    if (bad) {
        report_nonfinite(path, di, bad, m->data[first], first, cols, r);
        goto fail;
    }
    return 0;
fail:
    free(m->data);
    m->data = NULL;
    return -1;
}

/* ---- whole-file validation -------------------------------------------- */

typedef struct {
    int ok;                 /* /tasks could be listed */
    char **names;
    size_t n;
    ckr_zoo_taskdata *td;
} task_table;

static int find_name(char **names, size_t n, const char *name)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(names[mid], name);
        if (c == 0)
            return (int)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static void check_name_length(const char *parent, const char *name, ckr_zrep *r)
{
    size_t len = strlen(name);
    if (len >= CKR_NAME_MAX)
        ckr_zrep_add(r, CKR_EFORMAT, NULL, "%s/%.40s...: name has %zu characters, the limit is %d",
                     parent, name, len, CKR_NAME_MAX - 1);
}

/* Check every task; fills tt (names sorted, one taskdata each). Returns 0
 * when /tasks could be listed. */
static int validate_tasks(hid_t file, task_table *tt, ckr_zrep *r)
{
    hid_t tasks = ckr_zoo_open_group(file, "tasks", "/tasks", "group is missing", "a group", r);
    if (tasks < 0)
        return -1;
    int rc = ckr_h5_list_names(tasks, &tt->names, &tt->n);
    if (rc != 0) {
        ckr_zrep_add(r, rc, "/tasks", "cannot list the group");
        H5Gclose(tasks);
        return -1;
    }
    tt->td = calloc(tt->n ? tt->n : 1, sizeof *tt->td);
    if (!tt->td) {
        ckr_zrep_add(r, CKR_ENOMEM, "/tasks", "out of memory");
        H5Gclose(tasks);
        return -1;
    }
    for (size_t i = 0; i < tt->n; i++) {
        check_name_length("/tasks", tt->names[i], r);
        ckr_zoo_check_task(tasks, tt->names[i], 1, 0, &tt->td[i], r);
    }
    H5Gclose(tasks);
    tt->ok = 1;
    return 0;
}

double ckr_zoo_ckpt_num_params(hid_t cg, const char *cpath, ckr_zrep *r)
{
    double v = 0.0;
    ckr_attr_status st = ckr_h5_attr_double(cg, "num_params", &v);
    if (st == CKR_ATTR_MISSING)
        return 0.0;
    if (st == CKR_ATTR_OK && isfinite(v) && v > 0.0)
        return v;
    if (!r)
        return NAN;
    if (st == CKR_ATTR_NOT_NUMBER)
        ckr_zrep_add(r, CKR_EFORMAT, cpath,
                     "attribute num_params has type %s, expected a number (the parameter count)",
                     ckr_h5_attr_class_word(cg, "num_params"));
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, cpath, "attribute num_params %s (expected a number)",
                     ckr_attr_status_text(st));
    else
        ckr_zrep_add(r, CKR_EDATA, cpath,
                     "attribute num_params is %g, expected a finite number > 0 (the parameter "
                     "count)", v);
    return NAN;
}

static void check_ckpt_attrs(hid_t cg, const char *cpath, ckr_zrep *r)
{
    ckr_zoo_ckpt_num_params(cg, cpath, r);
    static const char *const names[] = {"arch", "source"};
    for (int i = 0; i < 2; i++) {
        char buf[256];
        ckr_attr_status st = ckr_h5_attr_string(cg, names[i], buf, sizeof buf);
        if (st == CKR_ATTR_NOT_STRING)
            ckr_zrep_add(r, CKR_EFORMAT, cpath, "attribute %s has type %s, expected a string",
                         names[i], ckr_h5_attr_class_word(cg, names[i]));
        else if (st != CKR_ATTR_OK && st != CKR_ATTR_MISSING)
            ckr_zrep_add(r, CKR_EFORMAT, cpath, "attribute %s %s (a string of at most %zu chars)",
                         names[i], ckr_attr_status_text(st), sizeof buf - 1);
    }
}

static void validate_checkpoint(hid_t file, hid_t cks, const char *ckpt, const task_table *tt,
                                ckr_zrep *r)
{
    char cpath[CKR_ZOO_OBJ_MAX], ppath[CKR_ZOO_OBJ_MAX];
    ckr_zoo_join_path(cpath, sizeof cpath, "/checkpoints", ckpt);
    check_name_length("/checkpoints", ckpt, r);
    hid_t cg = ckr_zoo_open_group(cks, ckpt, cpath, "no such checkpoint", "a checkpoint group",
                                  r);
    if (cg < 0)
        return;
    check_ckpt_attrs(cg, cpath, r);
    char **kids = NULL;
    size_t nk = 0;
    int rc = ckr_h5_list_names(cg, &kids, &nk);
    H5Gclose(cg);
    if (rc != 0) {
        ckr_zrep_add(r, rc, cpath, "cannot list the group");
        return;
    }
    for (size_t j = 0; j < nk; j++) {
        int t = tt->ok ? find_name(tt->names, tt->n, kids[j]) : -2;
        if (t >= 0) {
            ckr_zoo_check_pair(file, ckpt, kids[j], &tt->td[t], NULL, r);
        } else if (t == -1) {
            ckr_zoo_join_path(ppath, sizeof ppath, cpath, kids[j]);
            ckr_zrep_add(r, CKR_EFORMAT, ppath,
                         "not a task (there is no /tasks/%.200s); pair groups are named after tasks",
                         kids[j]);
        }
        /* t == -2: /tasks unreadable, already reported */
    }
    ckr_h5_free_names(kids, nk);
}

static void validate_checkpoints(hid_t file, const task_table *tt, ckr_zrep *r)
{
    hid_t cks = ckr_zoo_open_group(file, "checkpoints", "/checkpoints", "group is missing",
                                   "a group", r);
    if (cks < 0)
        return;
    char **names = NULL;
    size_t n = 0;
    int rc = ckr_h5_list_names(cks, &names, &n);
    if (rc != 0)
        ckr_zrep_add(r, rc, "/checkpoints", "cannot list the group");
    for (size_t i = 0; i < n; i++)
        validate_checkpoint(file, cks, names[i], tt, r);
    ckr_h5_free_names(names, n);
    H5Gclose(cks);
}

int ckr_zoo_validate(const char *path, MPI_Comm comm, ckr_problem_cb cb, void *ctx)
{
    ckr_zrep r;
    ckr_err err;
    hid_t file = -1;
    ckr_zrep_init(&r, path, cb, ctx, 0);
    ckr_err_clear(&err);
    int rc = ckr_zoo_open_h5(path, comm, &file, &err);
    if (rc != 0) {
        if (cb)
            cb(ctx, err.msg);
        return rc;
    }
    int minor = 0;
    task_table tt = {0, NULL, 0, NULL};
    ckr_zoo_check_root(file, &minor, &r);
    validate_tasks(file, &tt, &r);
    validate_checkpoints(file, &tt, &r);
    ckr_h5_free_names(tt.names, tt.n);
    free(tt.td);
    H5Fclose(file);
    return r.count;
}
