/* validate_task.c -- the schema checks of a task group /tasks/<task>:
 * num_classes, kind, and the train / val / test labels (shape, and with
 * read_data every value). */
#include "zoo/validate_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rows per block when scanning labels (bounded memory for big label sets). */
#define LABEL_BLOCK_VALUES 65536
/* The task name the outputs use for their mean-over-tasks rows (CKR_MEAN_TASK
 * of metrics/table.h, a layer above this one): a zoo task may not have it. */
#define RESERVED_TASK "mean"

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
    else if (c > CKR_ZOO_MAX_CLASSES) {
        char text[48];
        ckr_zrep_add(r, CKR_EDATA, path, "num_classes is %s, more than the limit %d",
                     ckr_h5_attr_number_text(g, "num_classes", text, sizeof text),
                     CKR_ZOO_MAX_CLASSES);
    }
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

/* A label value for a message: an integral value as an integer (2147483647,
 * not 2.14748e+09), anything else with every digit. */
static const char *label_text(double v, char *buf, size_t cap)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 9.2e18)
        snprintf(buf, cap, "%lld", (long long)v);
    else
        snprintf(buf, cap, "%.17g", v);
    return buf;
}

/* Report what check_label_values found; returns 0 when the labels are fine. */
static int report_label_stats(const label_stats *st, const char *path, int ml, size_t cols,
                              int num_classes, int need_two, ckr_zrep *r)
{
    char text[40];
    if (st->n_bad && ml)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "has %zu value%s that %s not 0 or 1 (first: %s at row %zu, column %zu)",
                     st->n_bad, st->n_bad == 1 ? "" : "s", st->n_bad == 1 ? "is" : "are",
                     label_text(st->bad_val, text, sizeof text), st->bad_at / cols,
                     st->bad_at % cols);
    else if (st->n_bad)
        ckr_zrep_add(r, CKR_EDATA, path,
                     "has %zu invalid label%s, expected integers in [0, %d) (first: %s at row %zu)",
                     st->n_bad, st->n_bad == 1 ? "" : "s", num_classes,
                     label_text(st->bad_val, text, sizeof text), st->bad_at);
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
    ckr_zoo_join_path(path, sizeof path, tpath, name);
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
    int st = ckr_zoo_open_numeric(g, tpath, name, required, td->meta_ok ? (ml ? 2 : 1) : 0,
                                  shape, &d, &di, r);
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
    ckr_zoo_join_path(path, sizeof path, "/tasks", task);
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
    if (strcmp(task, RESERVED_TASK) == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "the task name '%s' is reserved for the mean-over-tasks "
                     "rows of the outputs; rename the task", RESERVED_TASK);
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
