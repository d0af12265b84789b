/* validate.c -- the schema checks of hdf5-schemas/zoo-v1.md.
 *
 * The checks report through a ckr_zrep: ckr_zoo_validate collects every
 * problem of a file, ckr_zoo_read_pair / ckr_zoo_scan stop at the first.
 * Shape and type problems are CKR_EFORMAT, bad values CKR_EDATA. */
#include "zoo/h5util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per block when scanning labels (bounded memory for big label sets). */
#define LABEL_BLOCK_VALUES 65536

/* Join parent and name into an object path (truncated to cap - 1 chars). */
static void join_path(char *out, size_t cap, const char *parent, const char *name)
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
    else if (v != CKR_ZOO_VERSION)
        ckr_zrep_add(r, CKR_EFORMAT, "/",
                     "format_version is %lld, this reader understands version %d only", v,
                     CKR_ZOO_VERSION);

    *minor = 0;
    st = ckr_h5_attr_llong(file, "format_minor", &v);
    if (st == CKR_ATTR_OK && v >= 0 && v <= 1000000)
        *minor = (int)v;
    else if (st == CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, "/", "format_minor is %lld, expected a small integer >= 0", v);
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
static int open_numeric(hid_t g, const char *gpath, const char *name, int required, int rank,
                        const char *shape, hid_t *d, ckr_h5_dinfo *di, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    join_path(path, sizeof path, gpath, name);
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

/* Read a whole open numeric rank-1/2 dataset into a new double buffer and
 * check every value is finite.  Returns 0, or -1 after reporting. */
static int read_finite(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_matrix *m,
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
        if (di->rank == 2)
            ckr_zrep_add(r, CKR_EDATA, path,
                         "has %zu non-finite value%s (first: %g at row %zu, column %zu)", bad,
                         bad == 1 ? "" : "s", m->data[first], first / cols, first % cols);
        else
            ckr_zrep_add(r, CKR_EDATA, path, "has %zu non-finite value%s (first: %g at %zu)",
                         bad, bad == 1 ? "" : "s", m->data[first], first);
        goto fail;
    }
    return 0;
fail:
    free(m->data);
    m->data = NULL;
    return -1;
}

/* ---- tasks ------------------------------------------------------------ */

static void read_num_classes(hid_t g, const char *path, ckr_zoo_taskdata *td, ckr_zrep *r)
{
    long long c = 0;
    ckr_attr_status st = ckr_h5_attr_llong(g, "num_classes", &c);
    if (st == CKR_ATTR_MISSING)
        ckr_zrep_add(r, CKR_EFORMAT, path, "attribute num_classes is missing (required integer)");
    else if (st == CKR_ATTR_NOT_NUMBER)
        ckr_zrep_add(r, CKR_EFORMAT, path, "attribute num_classes has type %s, expected an integer",
                     ckr_h5_attr_class_word(g, "num_classes"));
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, path, "attribute num_classes %s (expected an integer)",
                     ckr_attr_status_text(st));
    else if (c < 2)
        ckr_zrep_add(r, CKR_EDATA, path, "num_classes is %lld, a task needs at least 2 classes", c);
    else if (c > CKR_ZOO_MAX_CLASSES)
        ckr_zrep_add(r, CKR_EDATA, path, "num_classes is %lld, more than the limit %d", c,
                     CKR_ZOO_MAX_CLASSES);
    else
        td->num_classes = (int)c;
}

/* Returns 1 when the kind is known. */
static int read_kind(hid_t g, const char *path, ckr_zoo_taskdata *td, ckr_zrep *r)
{
    char kind[32];
    ckr_attr_status st = ckr_h5_attr_string(g, "kind", kind, sizeof kind);
    td->kind = CKR_MULTICLASS;
    if (st == CKR_ATTR_MISSING)
        return 1;
    if (st == CKR_ATTR_OK && strcmp(kind, "multiclass") == 0)
        return 1;
    if (st == CKR_ATTR_OK && strcmp(kind, "multilabel") == 0) {
        td->kind = CKR_MULTILABEL;
        return 1;
    }
    if (st == CKR_ATTR_OK || st == CKR_ATTR_TOO_LONG)
        ckr_zrep_add(r, CKR_EFORMAT, path,
                     "unknown kind \"%s%s\" (expected \"multiclass\" or \"multilabel\")", kind,
                     st == CKR_ATTR_TOO_LONG ? "..." : "");
    else if (st == CKR_ATTR_NOT_STRING)
        ckr_zrep_add(r, CKR_EFORMAT, path, "attribute kind has type %s, expected a string",
                     ckr_h5_attr_class_word(g, "kind"));
    else
        ckr_zrep_add(r, CKR_EFORMAT, path, "attribute kind %s", ckr_attr_status_text(st));
    return 0;
}

/* What a pass over label values found. */
typedef struct {
    size_t n_bad, bad_at;     /* invalid values and the flat index of the first */
    double bad_val;
    size_t first_class;       /* multiclass: the first valid label */
    int have_first, two;      /* two: a second distinct class occurred */
} label_stats;

/* Check count label values starting at flat index at0, storing the valid
 * ones into y (multiclass) or Y (multilabel) when non-NULL. */
static void check_label_values(const double *v, size_t count, size_t at0, int ml, double C,
                               int *y, uint8_t *Y, label_stats *st)
{
    for (size_t i = 0; i < count; i++) {
        size_t at = at0 + i;
        int ok = ml ? (v[i] == 0.0 || v[i] == 1.0)
                    : (isfinite(v[i]) && v[i] == floor(v[i]) && v[i] >= 0.0 && v[i] < C);
        if (!ok) {
            if (st->n_bad++ == 0) {
                st->bad_at = at;
                st->bad_val = v[i];
            }
        } else if (ml) {
            if (Y)
                Y[at] = (uint8_t)v[i];
        } else {
            if (y)
                y[at] = (int)v[i];
            if (!st->have_first) {
                st->first_class = (size_t)v[i];
                st->have_first = 1;
            } else if ((size_t)v[i] != st->first_class) {
                st->two = 1;
            }
        }
    }
}

/* Report what check_label_values found; returns 0 when the labels are fine. */
static int report_label_stats(const label_stats *st, const char *path, int ml, size_t cols,
                              int num_classes, int need_two, ckr_zrep *r)
{
    if (st->n_bad && ml)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "has %zu value%s that %s not 0 or 1 (first: %g at row %zu, column %zu)",
                     st->n_bad, st->n_bad == 1 ? "" : "s", st->n_bad == 1 ? "is" : "are",
                     st->bad_val, st->bad_at / cols, st->bad_at % cols);
    else if (st->n_bad)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "has %zu invalid label%s, expected integers in [0, %d) (first: %g at row %zu)",
                     st->n_bad, st->n_bad == 1 ? "" : "s", num_classes, st->bad_val, st->bad_at);
    else if (need_two && !ml && !st->two)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "task has one class: every label is %zu (need at least 2 distinct classes)",
                     st->first_class);
    else
        return 0;
    return -1;
}

/* Read the labels of an open, well-shaped label dataset block by block and
 * check every value; with out non-NULL keep them.  need_two: a multiclass
 * split that must contain at least two distinct classes. Returns 0 or -1. */
static int scan_labels(hid_t d, const char *path, const ckr_h5_dinfo *di,
                       const ckr_zoo_taskdata *td, int need_two, ckr_labels *out,
                       ckr_zrep *r)
{
    const int ml = td->kind == CKR_MULTILABEL;
    const size_t n = (size_t)di->dims[0], cols = ml ? (size_t)td->num_classes : 1;
    size_t block = LABEL_BLOCK_VALUES / cols ? LABEL_BLOCK_VALUES / cols : 1;
    double *buf = malloc(block * cols * sizeof *buf);
    int *y = NULL;
    uint8_t *Y = NULL;
    int rc = -1;
    label_stats st;
    memset(&st, 0, sizeof st);
    if (!buf || (out && !ml && !(y = malloc(n * sizeof *y))) ||
        (out && ml && (n > SIZE_MAX / cols || !(Y = malloc(n * cols))))) {
        ckr_zrep_add(r, CKR_ENOMEM, path, "cannot allocate memory for %zu labels", n);
        goto cleanup;
    }
    for (size_t row0 = 0; row0 < n; row0 += block) {
        size_t nr = n - row0 < block ? n - row0 : block;
        if (ckr_h5_read_rows(d, di, row0, nr, buf) != 0) {
            ckr_zrep_add(r, CKR_EIO, path, "cannot read labels");
            goto cleanup;
        }
        check_label_values(buf, nr * cols, row0 * cols, ml, td->num_classes, y, Y, &st);
    }
    rc = report_label_stats(&st, path, ml, cols, td->num_classes, need_two, r);
    if (rc == 0 && out) {
        out->n = n;
        out->y = y;
        out->Y = Y;
        y = NULL;
        Y = NULL;
    }
cleanup:
    free(buf);
    free(y);
    free(Y);
    return rc;
}

/* Check one label dataset of a task. *state: 0 absent, 1 usable, -1 bad. */
static void check_labels(hid_t g, const char *tpath, const char *name, int required,
                         int read_data, ckr_zoo_taskdata *td, ckr_labels *out, size_t *n,
                         int *state, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    join_path(path, sizeof path, tpath, name);
    const int ml = td->kind == CKR_MULTILABEL;
    /* rows: N (train), M (val) or T (test, schema 1.1) */
    const char rows = name[0] == 'v' ? 'M' : name[0] == 't' && name[1] == 'e' ? 'T' : 'N';
    char shape[40];
    snprintf(shape, sizeof shape, ml ? "[%c, num_classes] of 0/1" : "[%c] class indices", rows);
    ckr_h5_dinfo di;
    hid_t d;
    *n = 0;
    *state = 0;
    /* without a known kind the expected rank is unknown: check the type only */
    int st = open_numeric(g, tpath, name, required, td->meta_ok ? (ml ? 2 : 1) : 0, shape, &d,
                          &di, r);
    if (st == 0)
        return;
    *state = -1;
    if (st < 0)
        return;
    if (!td->meta_ok) {
        H5Dclose(d); /* the task's attributes were already reported */
        return;
    }
    if (ml && di.dims[1] != (hsize_t)td->num_classes)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, task num_classes is %d",
                     (unsigned long long)di.dims[1], td->num_classes);
    else if (di.dims[0] == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is empty (no samples)");
    else {
        *n = (size_t)di.dims[0];
        if (!read_data || scan_labels(d, path, &di, td, required, out, r) == 0)
            *state = 1;
    }
    H5Dclose(d);
}

int ckr_zoo_check_task(hid_t tasks, const char *task, int read_data, int keep_labels,
                       ckr_zoo_taskdata *td, ckr_zrep *r)
{
    int before = r->count;
    char path[CKR_ZOO_OBJ_MAX];
    join_path(path, sizeof path, "/tasks", task);
    memset(td, 0, sizeof *td);
    ckr_h5_kind k = ckr_h5_child_kind(tasks, task);
    if (k == CKR_H5_MISSING) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "no such task");
        return r->count - before;
    }
    if (k != CKR_H5_GROUP) {
        ckr_zrep_add(r, CKR_EFORMAT, path, "is %s, expected a task group", ckr_h5_kind_name(k));
        return r->count - before;
    }
    hid_t g = H5Gopen2(tasks, task, H5P_DEFAULT);
    if (g < 0) {
        ckr_zrep_add(r, CKR_EIO, path, "cannot open group");
        return r->count - before;
    }
    td->exists = 1;
    read_num_classes(g, path, td, r);
    int kind_ok = read_kind(g, path, td, r);
    td->meta_ok = kind_ok && td->num_classes > 0;
    int train_state = 0, val_state = 0, test_state = 0;
    if (!ckr_zrep_stop(r))
        check_labels(g, path, "train_labels", 1, read_data, td,
                     keep_labels ? &td->train : NULL, &td->n_train, &train_state, r);
    if (!ckr_zrep_stop(r))
        check_labels(g, path, "val_labels", 0, read_data, td, keep_labels ? &td->val : NULL,
                     &td->n_val, &val_state, r);
    /* schema 1.1: the held-out test split, same rules as val */
    if (!ckr_zrep_stop(r))
        check_labels(g, path, "test_labels", 0, read_data, td, keep_labels ? &td->test : NULL,
                     &td->n_test, &test_state, r);
    td->val_state = val_state;
    if (val_state != 1)
        td->n_val = 0;
    td->test_state = test_state;
    if (test_state != 1)
        td->n_test = 0;
    H5Gclose(g);
    if (r->count > before && keep_labels)
        ckr_zoo_taskdata_free(td);
    return r->count - before;
}

void ckr_zoo_taskdata_free(ckr_zoo_taskdata *td)
{
    if (!td)
        return;
    ckr_labels *sets[3] = {&td->train, &td->val, &td->test};
    for (int i = 0; i < 3; i++) {
        free(sets[i]->y);
        free(sets[i]->Y);
        memset(sets[i], 0, sizeof *sets[i]);
    }
}

/* ---- pairs ------------------------------------------------------------ */

/* Dimensions learned so far in a pair group (0 = unknown). */
typedef struct {
    size_t n, d, m, t, z, h;
    /* where n, m and t come from */
    char n_what[CKR_ZOO_OBJ_MAX], m_what[CKR_ZOO_OBJ_MAX], t_what[CKR_ZOO_OBJ_MAX];
    int has_val_features, has_test_features, has_train_logits, has_top_weights;
} pair_dims;

/* An optional split besides train: val (schema 1.0) or test (schema 1.1).
 * Both follow the same rules; only names and the fields they fill differ. */
typedef struct {
    int test;                                /* 0 val, 1 test */
    const char *word;                        /* "val" */
    const char *features, *logits, *labels;  /* dataset names */
    const char *feat_shape, *logit_shape;    /* "[M, D]", "[M, Z]" */
} split_names;

static const split_names VAL_SPLIT = {0, "val", "val_features", "val_logits", "val_labels",
                                      "[M, D]", "[M, Z]"};
static const split_names TEST_SPLIT = {1, "test", "test_features", "test_logits", "test_labels",
                                       "[T, D]", "[T, Z]"};

/* Read a usable dataset into m (or into a scratch buffer freed at once when
 * keep is 0), closing d. */
static void read_and_close(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_matrix *m,
                           int keep, ckr_zrep *r)
{
    if (!ckr_zrep_stop(r) && read_finite(d, path, di, m, r) == 0 && !keep) {
        free(m->data);
        m->data = NULL;
    }
    H5Dclose(d);
}

static void check_train_features(hid_t g, const char *ppath, const char *task,
                                 const ckr_zoo_taskdata *td, pair_dims *pd, ckr_pair *p,
                                 int keep, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    join_path(path, sizeof path, ppath, "train_features");
    ckr_h5_dinfo di;
    hid_t d;
    if (open_numeric(g, ppath, "train_features", 1, 2, "[N, D]", &d, &di, r) != 1)
        return;
    pd->d = (size_t)di.dims[1];
    if (td->n_train && di.dims[0] != td->n_train)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, task /tasks/%s has %zu labels",
                     (unsigned long long)di.dims[0], task, td->n_train);
    /* later row counts are compared with the task when it is known */
    if (td->n_train) {
        pd->n = td->n_train;
        snprintf(pd->n_what, sizeof pd->n_what, "the train labels of /tasks/%s", task);
    } else {
        pd->n = (size_t)di.dims[0];
        snprintf(pd->n_what, sizeof pd->n_what, "the rows of train_features");
    }
    if (pd->d == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
    read_and_close(d, path, &di, &p->train_features, keep, r);
}

/* val_features or test_features: rows = the task's labels of the split,
 * columns = D of train_features. */
static void check_split_features(hid_t g, const char *ppath, const char *task,
                                 const ckr_zoo_taskdata *td, const split_names *sp,
                                 pair_dims *pd, ckr_matrix *out, int keep, ckr_zrep *r)
{
    const int is_test = sp->test;
    const int state = is_test ? td->test_state : td->val_state;
    const size_t nlab = is_test ? td->n_test : td->n_val;
    size_t *rows = is_test ? &pd->t : &pd->m;
    char *what = is_test ? pd->t_what : pd->m_what;
    char path[CKR_ZOO_OBJ_MAX];
    join_path(path, sizeof path, ppath, sp->features);
    ckr_h5_dinfo di;
    hid_t d;
    if (open_numeric(g, ppath, sp->features, 0, 2, sp->feat_shape, &d, &di, r) != 1)
        return;
    if (is_test)
        pd->has_test_features = 1;
    else
        pd->has_val_features = 1;
    if (td->exists && state == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but task /tasks/%s has no %s", task,
                     sp->labels);
    else if (state == 1 && di.dims[0] != nlab)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, task /tasks/%s has %zu %s",
                     (unsigned long long)di.dims[0], task, nlab, sp->labels);
    if (state == 1) {
        *rows = nlab;
        snprintf(what, CKR_ZOO_OBJ_MAX, "the %s labels of /tasks/%s", sp->word, task);
    } else {
        *rows = (size_t)di.dims[0];
        snprintf(what, CKR_ZOO_OBJ_MAX, "the rows of %s", sp->features);
    }
    if (pd->d && di.dims[1] != pd->d)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, train_features has %zu",
                     (unsigned long long)di.dims[1], pd->d);
    read_and_close(d, path, &di, out, keep, r);
}

/* val_logits or test_logits: rows as the split's features, Z as train_logits. */
static void check_split_logits(hid_t g, const char *ppath, const split_names *sp,
                               const pair_dims *pd, ckr_matrix *out, int keep, ckr_zrep *r)
{
    const int is_test = sp->test;
    const int has_feat = is_test ? pd->has_test_features : pd->has_val_features;
    const size_t rows = is_test ? pd->t : pd->m;
    const char *what = is_test ? pd->t_what : pd->m_what;
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    join_path(path, sizeof path, ppath, sp->logits);
    if (open_numeric(g, ppath, sp->logits, 0, 2, sp->logit_shape, &d, &di, r) != 1)
        return;
    if (!has_feat)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but %s is absent", sp->features);
    else if (rows && di.dims[0] != rows)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, expected %zu (%s)",
                     (unsigned long long)di.dims[0], rows, what);
    if (!pd->has_train_logits)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but train_logits is absent");
    else if (pd->z && di.dims[1] != pd->z)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, train_logits has %zu",
                     (unsigned long long)di.dims[1], pd->z);
    read_and_close(d, path, &di, out, keep, r);
}

static void check_logits(hid_t g, const char *ppath, pair_dims *pd, ckr_pair *p, int keep,
                         ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    join_path(path, sizeof path, ppath, "train_logits");
    if (open_numeric(g, ppath, "train_logits", 0, 2, "[N, Z]", &d, &di, r) == 1) {
        pd->has_train_logits = 1;
        pd->z = (size_t)di.dims[1];
        if (pd->n && di.dims[0] != pd->n)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, expected %zu (%s)",
                         (unsigned long long)di.dims[0], pd->n, pd->n_what);
        if (pd->z == 0)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
        read_and_close(d, path, &di, &p->train_logits, keep, r);
    }
    if (!ckr_zrep_stop(r))
        check_split_logits(g, ppath, &VAL_SPLIT, pd, &p->val_logits, keep, r);
    if (!ckr_zrep_stop(r)) {
        /* checked like val_logits, never kept: ckr_pair has no field for it */
        ckr_matrix test_logits = {0, 0, NULL};
        check_split_logits(g, ppath, &TEST_SPLIT, pd, &test_logits, 0, r);
    }
}

static void check_top_layer(hid_t g, const char *ppath, pair_dims *pd, ckr_pair *p, int keep,
                            ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    join_path(path, sizeof path, ppath, "top_weights");
    if (open_numeric(g, ppath, "top_weights", 0, 2, "[D, H]", &d, &di, r) == 1) {
        pd->has_top_weights = 1;
        pd->h = (size_t)di.dims[1];
        if (pd->d && di.dims[0] != pd->d)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, train_features has %zu columns",
                         (unsigned long long)di.dims[0], pd->d);
        if (pd->h == 0)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
        read_and_close(d, path, &di, &p->top_weights, keep, r);
    }
    if (ckr_zrep_stop(r))
        return;
    join_path(path, sizeof path, ppath, "top_bias");
    int st = open_numeric(g, ppath, "top_bias", 0, 1, "[H]", &d, &di, r);
    if (st == 0 && pd->has_top_weights)
        ckr_zrep_add(r, CKR_EFORMAT, path, "dataset is missing (top_weights needs top_bias [H])");
    if (st != 1)
        return;
    if (!pd->has_top_weights)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but top_weights is absent");
    else if (pd->h && di.dims[0] != pd->h)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu values, top_weights has %zu columns",
                     (unsigned long long)di.dims[0], pd->h);
    ckr_matrix bias = {0, 0, NULL};
    read_and_close(d, path, &di, &bias, keep, r);
    p->top_bias = bias.data;
}

static void check_ground_truth(hid_t g, const char *ppath, ckr_pair *p, ckr_zrep *r)
{
    double v = 0;
    ckr_attr_status st = ckr_h5_attr_double(g, "finetune_accuracy", &v);
    if (st == CKR_ATTR_MISSING)
        return;
    if (st == CKR_ATTR_NOT_NUMBER)
        ckr_zrep_add(r, CKR_EFORMAT, ppath, "attribute finetune_accuracy has type %s, expected a number",
                     ckr_h5_attr_class_word(g, "finetune_accuracy"));
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, ppath, "attribute finetune_accuracy %s (expected a number)",
                     ckr_attr_status_text(st));
    else if (!isfinite(v))
        ckr_zrep_add(r, CKR_EDATA, ppath, "attribute finetune_accuracy is %g, expected a finite number",
                     v);
    else {
        p->has_gt = 1;
        p->finetune_accuracy = v;
    }
}

/* Open child `name` of loc as a group, reporting why not. Returns -1 on a problem. */
static hid_t open_group_or_report(hid_t loc, const char *name, const char *path,
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

int ckr_zoo_check_pair(hid_t file, const char *ckpt, const char *task,
                       const ckr_zoo_taskdata *td, ckr_pair *keep, ckr_zrep *r)
{
    int before = r->count;
    char cpath[CKR_ZOO_OBJ_MAX], ppath[CKR_ZOO_OBJ_MAX], missing[CKR_ZOO_OBJ_MAX + 64];
    join_path(cpath, sizeof cpath, "/checkpoints", ckpt);
    join_path(ppath, sizeof ppath, cpath, task);
    hid_t cks = -1, cg = -1, g = -1;
    ckr_pair tmp;
    pair_dims pd;
    memset(&tmp, 0, sizeof tmp);
    memset(&pd, 0, sizeof pd);

    cks = open_group_or_report(file, "checkpoints", "/checkpoints", "group is missing",
                               "a group", r);
    if (cks < 0)
        goto cleanup;
    cg = open_group_or_report(cks, ckpt, cpath, "no such checkpoint", "a checkpoint group", r);
    if (cg < 0)
        goto cleanup;
    snprintf(missing, sizeof missing, "no such pair group (checkpoint %.200s has no data for "
             "task %.200s)", ckpt, task);
    g = open_group_or_report(cg, task, ppath, missing, "a pair group", r);
    if (g < 0)
        goto cleanup;

    const int k = keep != NULL;
    check_train_features(g, ppath, task, td, &pd, &tmp, k, r);
    if (!ckr_zrep_stop(r))
        check_split_features(g, ppath, task, td, &VAL_SPLIT, &pd, &tmp.val_features, k, r);
    if (!ckr_zrep_stop(r))
        check_split_features(g, ppath, task, td, &TEST_SPLIT, &pd, &tmp.test_features, k, r);
    if (!ckr_zrep_stop(r))
        check_logits(g, ppath, &pd, &tmp, k, r);
    if (!ckr_zrep_stop(r))
        check_top_layer(g, ppath, &pd, &tmp, k, r);
    if (!ckr_zrep_stop(r))
        check_ground_truth(g, ppath, &tmp, r);

cleanup:
    if (g >= 0)
        H5Gclose(g);
    if (cg >= 0)
        H5Gclose(cg);
    if (cks >= 0)
        H5Gclose(cks);
    if (keep && r->count == before) {
        keep->train_features = tmp.train_features;
        keep->val_features = tmp.val_features;
        keep->test_features = tmp.test_features;
        keep->train_logits = tmp.train_logits;
        keep->val_logits = tmp.val_logits;
        keep->top_weights = tmp.top_weights;
        keep->top_bias = tmp.top_bias;
        keep->has_gt = tmp.has_gt;
        keep->finetune_accuracy = tmp.finetune_accuracy;
    } else {
        ckr_pair_free(&tmp); /* matrices only: the checks set no labels */
    }
    return r->count - before;
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
    hid_t tasks = open_group_or_report(file, "tasks", "/tasks", "group is missing", "a group", r);
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

static void check_ckpt_attrs(hid_t cg, const char *cpath, ckr_zrep *r)
{
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
    join_path(cpath, sizeof cpath, "/checkpoints", ckpt);
    check_name_length("/checkpoints", ckpt, r);
    hid_t cg = open_group_or_report(cks, ckpt, cpath, "no such checkpoint", "a checkpoint group", r);
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
            join_path(ppath, sizeof ppath, cpath, kids[j]);
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
    hid_t cks = open_group_or_report(file, "checkpoints", "/checkpoints", "group is missing",
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
