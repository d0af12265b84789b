/* checksum.c -- the content checksum of a pair, in memory or from the file. */
#include "zoo/checksum.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/crc64.h"
#include "zoo/h5util.h"

/* Values converted per step for labels held as int / uint8 in memory. */
#define LABEL_STEP 4096

static uint64_t put_text(uint64_t crc, const char *fmt_name, size_t rows, size_t cols)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s %zu %zu\n", fmt_name, rows, cols);
    return ckr_crc64_update(crc, line, (size_t)n);
}

static uint64_t start(int kind, int num_classes)
{
    char line[96];
    int n = snprintf(line, sizeof line, "ckptrank-pair-checksum-1 kind=%d classes=%d\n", kind,
                     num_classes);
    return ckr_crc64_update(0, line, (size_t)n);
}

/* The checkpoint's num_params (schema 1.2; what `size` reads), when present. */
static uint64_t put_num_params(uint64_t crc, double v)
{
    if (v == 0.0)
        return crc;
    char line[64];
    int n = isnan(v) ? snprintf(line, sizeof line, "num_params nan\n")
                     : snprintf(line, sizeof line, "num_params %.17g\n", v);
    return ckr_crc64_update(crc, line, (size_t)n);
}

static uint64_t finish(uint64_t crc)
{
    return crc ? crc : 1;
}

/* ---- in memory ---------------------------------------------------------------- */

static uint64_t put_matrix(uint64_t crc, const char *name, const ckr_matrix *m)
{
    if (!m->data || m->rows == 0 || m->cols == 0)
        return crc;
    crc = put_text(crc, name, m->rows, m->cols);
    return ckr_crc64_update(crc, m->data, m->rows * m->cols * sizeof(double));
}

static uint64_t put_labels(uint64_t crc, const char *name, const ckr_labels *l, int ml,
                           int num_classes)
{
    size_t cols = ml ? (size_t)(num_classes > 0 ? num_classes : 0) : 1;
    if (l->n == 0 || cols == 0 || (ml ? !l->Y : !l->y))
        return crc;
    crc = put_text(crc, name, l->n, cols);
    double buf[LABEL_STEP];
    size_t total = l->n * cols;
    for (size_t at = 0; at < total; at += LABEL_STEP) {
        size_t k = total - at < LABEL_STEP ? total - at : LABEL_STEP;
        for (size_t i = 0; i < k; i++)
            buf[i] = ml ? (double)l->Y[at + i] : (double)l->y[at + i];
        crc = ckr_crc64_update(crc, buf, k * sizeof(double));
    }
    return crc;
}

uint64_t ckr_pair_checksum(const ckr_pair *p)
{
    const int ml = p->kind == CKR_MULTILABEL;
    uint64_t crc = start((int)p->kind, p->num_classes);
    crc = put_labels(crc, "train_labels", &p->train, ml, p->num_classes);
    crc = put_matrix(crc, "train_features", &p->train_features);
    crc = put_matrix(crc, "train_logits", &p->train_logits);
    if (p->val_features.data && p->val_features.rows)
        crc = put_labels(crc, "val_labels", &p->val, ml, p->num_classes);
    crc = put_matrix(crc, "val_features", &p->val_features);
    crc = put_matrix(crc, "val_logits", &p->val_logits);
    if (p->test_features.data && p->test_features.rows)
        crc = put_labels(crc, "test_labels", &p->test, ml, p->num_classes);
    crc = put_matrix(crc, "test_features", &p->test_features);
    crc = put_matrix(crc, "top_weights", &p->top_weights);
    if (p->top_bias && p->top_weights.data && p->top_weights.cols) {
        ckr_matrix b = { p->top_weights.cols, 1, p->top_bias };
        crc = put_matrix(crc, "top_bias", &b);
    }
    crc = put_num_params(crc, p->num_params);
    return finish(crc);
}

/* ---- from the file ------------------------------------------------------------ */

typedef struct stream {
    uint64_t crc;
    double *buf;
    size_t cap;           /* doubles in buf */
} stream;

/* 1 when dataset `name` of g exists and holds at least one value. */
static int nonempty(hid_t g, const char *name)
{
    if (g < 0 || ckr_h5_child_kind(g, name) != CKR_H5_DATASET)
        return 0;
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    ckr_h5_dinfo di;
    int ok = ckr_h5_dset_info(d, &di) == 0 && (di.rank == 1 || di.rank == 2) && di.dims[0] > 0 &&
             (di.rank == 1 || di.dims[1] > 0);
    H5Dclose(d);
    return ok;
}

static void put_unreadable(stream *s, const char *name)
{
    char line[96];
    int n = snprintf(line, sizeof line, "%s unreadable\n", name);
    s->crc = ckr_crc64_update(s->crc, line, (size_t)n);
}

/* Stream dataset `name` of g (absent or empty: nothing) block by block. */
static void put_dataset(stream *s, hid_t g, const char *name, int label)
{
    if (g < 0)
        return;
    ckr_h5_kind k = ckr_h5_child_kind(g, name);
    if (k == CKR_H5_MISSING)
        return;
    hid_t d = k == CKR_H5_DATASET ? H5Dopen2(g, name, H5P_DEFAULT) : -1;
    ckr_h5_dinfo di;
    if (d < 0 || ckr_h5_dset_info(d, &di) != 0 || !di.numeric || (di.rank != 1 && di.rank != 2)) {
        put_unreadable(s, name);
        if (d >= 0)
            H5Dclose(d);
        return;
    }
    size_t rows = (size_t)di.dims[0], cols = di.rank == 2 ? (size_t)di.dims[1] : 1;
    if (rows == 0 || cols == 0) {
        H5Dclose(d);
        return;
    }
    char why[160];
    if (ckr_h5_storage_short(d, why, sizeof why)) { /* declared, not stored: never read it */
        put_unreadable(s, name);
        H5Dclose(d);
        return;
    }
    s->crc = put_text(s->crc, name, rows, cols);
    size_t block = s->cap / cols ? s->cap / cols : 1;
    if (block * cols > s->cap) { /* one row is bigger than a block: grow to one row */
        double *nb = realloc(s->buf, cols * sizeof *nb);
        if (!nb) {
            put_unreadable(s, name);
            H5Dclose(d);
            return;
        }
        s->buf = nb;
        s->cap = cols;
    }
    for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t nr = rows - r0 < block ? rows - r0 : block;
        if (ckr_h5_read_rows(d, &di, r0, nr, s->buf) != 0) {
            put_unreadable(s, name);
            break;
        }
        if (label)
            for (size_t i = 0; i < nr * cols; i++)
                if (s->buf[i] == 0.0)
                    s->buf[i] = 0.0; /* -0.0 as the int 0 it becomes in memory */
        s->crc = ckr_crc64_update(s->crc, s->buf, nr * cols * sizeof(double));
    }
    H5Dclose(d);
}

static hid_t open_group(hid_t loc, const char *name)
{
    if (loc < 0 || ckr_h5_child_kind(loc, name) != CKR_H5_GROUP)
        return -1;
    return H5Gopen2(loc, name, H5P_DEFAULT);
}

int ckr_zoo_pair_checksum(const char *path, const char *ckpt, const char *task,
                          size_t block_bytes, uint64_t *sum, ckr_err *err)
{
    *sum = 0;
    hid_t file = -1, tasks = -1, tg = -1, cks = -1, cg = -1, pg = -1;
    stream s = { 0, NULL, 0 };
    int rc = ckr_zoo_open_h5(path, MPI_COMM_SELF, &file, err);
    if (rc)
        return rc;
    s.cap = (block_bytes ? block_bytes : CKR_CHECKSUM_BLOCK_BYTES) / sizeof(double);
    if (s.cap == 0)
        s.cap = 1;
    s.buf = malloc(s.cap * sizeof *s.buf);
    if (!s.buf) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory for a checksum block", path);
        goto cleanup;
    }
    /* kind and num_classes as the reader takes them (metadata only) */
    tasks = open_group(file, "tasks");
    ckr_zoo_taskdata td;
    memset(&td, 0, sizeof td);
    if (tasks >= 0) {
        ckr_zrep r;
        ckr_zrep_init(&r, path, NULL, NULL, 0);
        ckr_zoo_check_task(tasks, task, 0, 0, &td, &r);
    }
    tg = open_group(tasks, task);
    cks = open_group(file, "checkpoints");
    cg = open_group(cks, ckpt);
    pg = open_group(cg, task);
    s.crc = start((int)td.kind, td.num_classes);
    if (tg < 0)
        put_unreadable(&s, "task group");
    if (pg < 0)
        put_unreadable(&s, "pair group");
    put_dataset(&s, tg, "train_labels", 1);
    put_dataset(&s, pg, "train_features", 0);
    put_dataset(&s, pg, "train_logits", 0);
    if (nonempty(pg, "val_features"))
        put_dataset(&s, tg, "val_labels", 1);
    put_dataset(&s, pg, "val_features", 0);
    put_dataset(&s, pg, "val_logits", 0);
    if (nonempty(pg, "test_features"))
        put_dataset(&s, tg, "test_labels", 1);
    put_dataset(&s, pg, "test_features", 0);
    put_dataset(&s, pg, "top_weights", 0);
    put_dataset(&s, pg, "top_bias", 0);
    s.crc = put_num_params(s.crc, cg >= 0 ? ckr_zoo_ckpt_num_params(cg, ckpt, NULL) : 0.0);
    *sum = finish(s.crc);
    rc = 0;
cleanup:
    free(s.buf);
    hid_t groups[] = { pg, cg, cks, tg, tasks };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (groups[i] >= 0)
            H5Gclose(groups[i]);
    if (file >= 0)
        H5Fclose(file);
    return rc;
}
