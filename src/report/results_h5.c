/* results_h5.c -- results.h5 (see results_h5.h); the columns come from
 * report/columns.h. */
#include "report/results_h5.h"

#include <errno.h>
#include <hdf5.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/columns.h"
#include "util/fsout.h"
#include "util/h5attr.h"
#include "util/msg.h"

#define RESULTS_FORMAT "ckptrank-results"
#define RESULTS_VERSION 1

/* ---- writing ------------------------------------------------------------------ */

/* Write n strings found at base + i*stride as a fixed-length string column. */
static int write_str_col(hid_t g, const char *name, const char *base, size_t stride, size_t n)
{
    size_t width = 1;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(base + i * stride) + 1;
        if (l > width)
            width = l;
    }
    char *buf = calloc(n ? n : 1, width);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * width, base + i * stride, strlen(base + i * stride));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, width);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL);
    hid_t d = H5Dcreate2(g, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : (n ? H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
    return st < 0 ? -1 : 0;
}

/* Write a numeric column of `cols` values per row gathered from base +
 * i*stride (type double or int); 2-D when cols > 1. */
static int write_num_col(hid_t g, const char *name, const char *base, size_t stride, size_t n,
                         size_t cols, int is_int)
{
    size_t esz = is_int ? sizeof(int) : sizeof(double);
    char *buf = malloc((n ? n : 1) * (cols ? cols : 1) * esz);
    if (!buf)
        return -1;
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * cols * esz, base + i * stride, cols * esz);
    hsize_t dims[2] = { n, cols };
    hid_t sp = H5Screate_simple(cols > 1 ? 2 : 1, dims, NULL);
    hid_t mt = is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE;
    hid_t ft = is_int ? H5T_STD_I32LE : H5T_IEEE_F64LE;
    hid_t d = H5Dcreate2(g, name, ft, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t st = d < 0 ? -1 : (n ? H5Dwrite(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    if (d >= 0)
        H5Dclose(d);
    H5Sclose(sp);
    free(buf);
    return st < 0 ? -1 : 0;
}

/* The dataset of column c of rows[0..n); F64_K columns hold nk values per
 * row and are left out when nk == 0. */
static int write_column(hid_t g, const ckr_table_desc *t, const ckr_column *c, const void *rows,
                        size_t n, int nk)
{
    const char *base = rows ? (const char *)rows + c->offset : NULL;
    switch (c->type) {
    case CKR_COL_STR:
        return write_str_col(g, c->name, base, t->row_size, n);
    case CKR_COL_F64:
        return write_num_col(g, c->name, base, t->row_size, n, 1, 0);
    case CKR_COL_I32:
    case CKR_COL_BOOL:
        return write_num_col(g, c->name, base, t->row_size, n, 1, 1);
    case CKR_COL_F64_K:
        return nk > 0 ? write_num_col(g, c->name, base, t->row_size, n, (size_t)nk, 0) : 0;
    case CKR_COL_U64:
        break;
    }
    return -1;
}

static int table_has_k(const ckr_table_desc *t)
{
    for (size_t i = 0; i < t->n_col; i++)
        if (t->col[i].type == CKR_COL_F64_K)
            return 1;
    return 0;
}

/* The group of table t with a dataset per column of rows[0..n). A table
 * with per-cut-off columns gets the attribute k: the nk_attr values at k (a
 * scalar when nk_attr == 0). */
static int write_table(hid_t f, const ckr_table_desc *t, const void *rows, size_t n,
                       const int *k, int nk, hsize_t nk_attr)
{
    hid_t g = H5Gcreate2(f, t->h5_group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        return -1;
    int bad = 0;
    if (table_has_k(t))
        bad |= ckr_h5_attr_write(g, "k", H5T_NATIVE_INT, H5T_NATIVE_INT, k, nk_attr);
    for (size_t i = 0; i < t->n_col; i++)
        if (t->col[i].flags & CKR_COL_H5)
            bad |= write_column(g, t, &t->col[i], rows, n, nk);
    H5Gclose(g);
    return bad;
}

static int write_meta(hid_t f, const ckr_results_meta *m)
{
    int bad = 0;
    bad |= ckr_h5_attr_write_str(f, "format", RESULTS_FORMAT);
    int v = RESULTS_VERSION;
    bad |= ckr_h5_attr_write(f, "format_version", H5T_NATIVE_INT, H5T_NATIVE_INT, &v, 0);
    const ckr_table_desc *t = &ckr_meta_table;
    for (size_t i = 0; i < t->n_col; i++) {
        const ckr_column *c = &t->col[i];
        const void *val = (const char *)m + c->offset;
        if (!(c->flags & CKR_COL_H5))
            continue;
        switch (c->type) {
        case CKR_COL_STR:
            bad |= ckr_h5_attr_write_str(f, c->name, val);
            break;
        case CKR_COL_U64:
            bad |= ckr_h5_attr_write(f, c->name, H5T_NATIVE_ULLONG, H5T_NATIVE_ULLONG, val, 0);
            break;
        case CKR_COL_I32:
        case CKR_COL_BOOL:
            bad |= ckr_h5_attr_write(f, c->name, H5T_NATIVE_INT, H5T_NATIVE_INT, val, 0);
            break;
        case CKR_COL_F64:
            bad |= ckr_h5_attr_write(f, c->name, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, val, 0);
            break;
        case CKR_COL_F64_K:
            bad = 1;
            break;
        }
    }
    return bad;
}

/* The whole file is built in memory (HDF5's core driver, no backing store)
 * and written through util/fsout: HDF5 never writes to the disk itself, so a
 * full disk cannot leave a half-closed HDF5 file registered in the library
 * (a failed H5Fclose keeps it open until H5close, which then crashed in
 * MPI_Finalize), and the final name only ever holds a complete file. */
int ckr_results_write_h5(const char *path, const ckr_results *r, ckr_err *err)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (!path || !path[0])
        return ckr_err_set(err, CKR_EARG, "empty output file name");
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fapl_core(fapl, 1 << 16, 0) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        if (fapl >= 0)
            H5Pclose(fapl);
        return ckr_err_set(err, CKR_EIO, "%s: cannot set up the HDF5 in-memory file", path);
    }
    char mem_name[4200]; /* the in-memory file's name: only its identity in the library */
    snprintf(mem_name, sizeof mem_name, "%s.tmp.%ld.mem", path, (long)getpid());
    hid_t f = H5Fcreate(mem_name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot create the results file in memory", path);
    int nk = r->n_metrics ? r->metrics[0].nk : 0;
    const int *k = r->n_metrics ? r->metrics[0].k : &nk;
    int bad = write_meta(f, &r->meta);
    bad |= write_table(f, &ckr_score_table, r->scores, r->n_scores, NULL, 0, 0);
    bad |= write_table(f, &ckr_gt_table, r->gt, r->n_gt, NULL, 0, 0);
    bad |= write_table(f, &ckr_metric_table, r->metrics, r->n_metrics, k, nk,
                       r->n_metrics ? (hsize_t)nk : 0);
    void *image = NULL;
    ssize_t size = -1;
    if (!bad && H5Fflush(f, H5F_SCOPE_LOCAL) >= 0)
        size = H5Fget_file_image(f, NULL, 0);
    if (size > 0)
        image = malloc((size_t)size);
    if (!image || H5Fget_file_image(f, image, (size_t)size) != size)
        bad = 1;
    if (H5Fclose(f) < 0)
        bad = 1;
    int rc = bad ? ckr_err_set(err, CKR_EIO, "%s: building the results file failed (HDF5)", path)
                 : ckr_fsout_write_file(path, image, (size_t)size, err);
    free(image);
    return rc;
}

/* ---- reading ------------------------------------------------------------------- */

#define MAX_STR_WIDTH (1u << 20) /* widest fixed-length string column read */

/* Open column `name` of group g (named `group` in messages) and check it is
 * a 1-D dataset of `len` rows (len < 0: any length, then *len_out is set)
 * of the class the column's type needs. Returns the dataset, or -1 with err
 * set naming the object and what is wrong. */
static hid_t open_column(hid_t g, const char *group, const ckr_column *c, long len,
                         long *len_out, const char *path, ckr_err *err)
{
    hid_t d = H5Dopen2(g, c->name, H5P_DEFAULT);
    if (d < 0) {
        ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: missing or unreadable", path, group, c->name);
        return -1;
    }
    hid_t sp = H5Dget_space(d), ft = H5Dget_type(d);
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    hsize_t dims[H5S_MAX_RANK];
    if (rank >= 0 && rank <= H5S_MAX_RANK)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
    size_t width = ft >= 0 ? H5Tget_size(ft) : 0;
    int vlen = ft >= 0 && cls == H5T_STRING ? H5Tis_variable_str(ft) > 0 : 0;
    if (sp >= 0)
        H5Sclose(sp);
    if (ft >= 0)
        H5Tclose(ft);
    const char *bad = NULL;
    char shape[96] = "";
    if (rank != 1) {
        bad = "is not a 1-D column";
        if (rank >= 2)
            snprintf(shape, sizeof shape, " (it has %d dimensions, %llu x %llu%s)", rank,
                     (unsigned long long)dims[0], (unsigned long long)dims[1],
                     rank > 2 ? " x ..." : "");
        else if (rank == 0)
            snprintf(shape, sizeof shape, " (it is a scalar)");
    } else if (dims[0] > (hsize_t)(LONG_MAX / 2)) {
        bad = "declares too many rows";
    } else if (len >= 0 && dims[0] != (hsize_t)len) {
        bad = "has a different number of rows than the group's first column";
        snprintf(shape, sizeof shape, " (%llu, expected %ld)", (unsigned long long)dims[0], len);
    } else if (c->type == CKR_COL_STR && cls != H5T_STRING) {
        bad = "is not a string column";
    } else if (c->type == CKR_COL_STR && !vlen && (width == 0 || width > MAX_STR_WIDTH)) {
        bad = "has an unreasonable string width";
    } else if (c->type != CKR_COL_STR && cls != H5T_INTEGER && cls != H5T_FLOAT) {
        bad = "is not a numeric column";
    } else if ((c->type == CKR_COL_I32 || c->type == CKR_COL_BOOL) && cls != H5T_INTEGER) {
        bad = "is not an integer column";
    }
    if (bad) {
        H5Dclose(d);
        ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: %s%s", path, group, c->name, bad, shape);
        return -1;
    }
    if (len_out)
        *len_out = (long)dims[0];
    return d;
}

/* Store the text s into the string field of column c (cap bytes): free
 * text (CKR_COL_FIT) is fitted by ckr_msg_fit; a longer name is refused. */
static int store_str(const ckr_column *c, char *dst, const char *s, size_t row, const char *group,
                     const char *path, ckr_err *err)
{
    if (strlen(s) < c->size) {
        memcpy(dst, s, strlen(s) + 1);
        return 0;
    }
    if (c->flags & CKR_COL_FIT) {
        ckr_msg_fit(dst, c->size, s);
        return 0;
    }
    return ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: row %zu is longer than %zu bytes", path,
                       group, c->name, row, c->size - 1);
}

/* Read a checked string column (fixed or variable length) d of n rows into
 * the fields at base + i*stride. */
static int read_str_col(hid_t d, const ckr_column *c, char *base, size_t stride, size_t n,
                        const char *group, const char *path, ckr_err *err)
{
    if (n == 0)
        return 0;
    hid_t ft = H5Dget_type(d);
    int rc = ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: unreadable", path, group, c->name);
    if (H5Tis_variable_str(ft) > 0) {
        char **v = calloc(n, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            rc = 0;
            for (size_t i = 0; i < n && !rc; i++)
                rc = store_str(c, base + i * stride, v[i] ? v[i] : "", i, group, path, err);
            hid_t sp = H5Dget_space(d);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
            H5Sclose(sp);
        }
        H5Tclose(mt);
        free(v);
    } else {
        size_t w = H5Tget_size(ft);
        char *buf = calloc(n, w + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, w + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (!buf) {
            rc = ckr_err_set(err, CKR_ENOMEM, "%s: /%s/%s: out of memory", path, group, c->name);
        } else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            rc = 0;
            for (size_t i = 0; i < n && !rc; i++)
                rc = store_str(c, base + i * stride, buf + i * (w + 1), i, group, path, err);
        }
        H5Tclose(mt);
        free(buf);
    }
    H5Tclose(ft);
    return rc;
}

/* Read a checked numeric column d of n rows (converted by HDF5 to double or
 * int) into the fields at base + i*stride. */
static int read_num_col(hid_t d, const ckr_column *c, char *base, size_t stride, size_t n,
                        int is_int, const char *group, const char *path, ckr_err *err)
{
    if (n == 0)
        return 0;
    size_t esz = is_int ? sizeof(int) : sizeof(double);
    char *buf = malloc(n * esz);
    if (!buf)
        return ckr_err_set(err, CKR_ENOMEM, "%s: /%s/%s: out of memory", path, group, c->name);
    herr_t st = H5Dread(d, is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                        H5P_DEFAULT, buf);
    if (st >= 0)
        for (size_t i = 0; i < n; i++)
            memcpy(base + i * stride, buf + i * esz, esz);
    free(buf);
    return st < 0 ? ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: unreadable (values out of range?)",
                                path, group, c->name)
                  : 0;
}

/* Read the group of table t: *rows (calloc'd, one spare row) and *n. The
 * length is that of the first column; every column flagged CKR_COL_H5
 * (per-cut-off columns are not read) must be a 1-D dataset of that length
 * and of a fitting type. On failure *rows is NULL, *n 0 and err names the
 * object. */
static int read_table(hid_t f, const ckr_table_desc *t, void **rows, size_t *n, const char *path,
                      ckr_err *err)
{
    *rows = NULL;
    *n = 0;
    const char *group = t->h5_group;
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: /%s: missing or unreadable", path, group);
    long len = -1;
    int rc = 0;
    char *v = NULL;
    for (size_t i = 0; i < t->n_col && !rc; i++) {
        const ckr_column *c = &t->col[i];
        if (!(c->flags & CKR_COL_H5) || c->type == CKR_COL_F64_K)
            continue;
        if ((c->flags & CKR_COL_H5_OPTIONAL) && len >= 0 && H5Lexists(g, c->name, H5P_DEFAULT) == 0)
            continue; /* an older file: the field stays empty */
        hid_t d = open_column(g, group, c, len, &len, path, err);
        if (d < 0) {
            rc = err ? err->code : CKR_EFORMAT;
            break;
        }
        if (!v) {
            v = calloc((size_t)len + 1, t->row_size);
            if (!v) {
                H5Dclose(d);
                rc = ckr_err_set(err, CKR_ENOMEM, "%s: /%s: out of memory for %ld rows", path,
                                 group, len);
                break;
            }
        }
        char *base = v + c->offset;
        switch (c->type) {
        case CKR_COL_STR:
            rc = read_str_col(d, c, base, t->row_size, (size_t)len, group, path, err);
            break;
        case CKR_COL_F64:
            rc = read_num_col(d, c, base, t->row_size, (size_t)len, 0, group, path, err);
            break;
        case CKR_COL_I32:
        case CKR_COL_BOOL:
            rc = read_num_col(d, c, base, t->row_size, (size_t)len, 1, group, path, err);
            break;
        case CKR_COL_U64:
        case CKR_COL_F64_K:
            rc = ckr_err_set(err, CKR_EFORMAT, "%s: /%s/%s: unsupported column type", path, group,
                             c->name);
            break;
        }
        H5Dclose(d);
    }
    H5Gclose(g);
    if (rc) {
        free(v);
        return rc;
    }
    *rows = v;
    *n = v ? (size_t)len : 0;
    return 0;
}

static void read_meta(hid_t f, ckr_results_meta *m)
{
    const ckr_table_desc *t = &ckr_meta_table;
    for (size_t i = 0; i < t->n_col; i++) {
        const ckr_column *c = &t->col[i];
        void *val = ckr_col_field(c, m);
        if (!(c->flags & CKR_COL_H5))
            continue;
        switch (c->type) {
        case CKR_COL_STR:
            ckr_h5_attr_string(f, c->name, val, c->size);
            break;
        case CKR_COL_U64:
            ckr_h5_attr_number(f, c->name, H5T_NATIVE_ULLONG, val);
            break;
        case CKR_COL_I32:
        case CKR_COL_BOOL:
            ckr_h5_attr_number(f, c->name, H5T_NATIVE_INT, val);
            break;
        case CKR_COL_F64:
            ckr_h5_attr_number(f, c->name, H5T_NATIVE_DOUBLE, val);
            break;
        case CKR_COL_F64_K:
            break;
        }
    }
}

int ckr_results_read_h5(const char *path, ckr_results *r, ckr_err *err)
{
    memset(r, 0, sizeof *r);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot read the file: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not an HDF5 file (or truncated)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open", path);
    char fmt[64];
    int rc = 0;
    void *scores = NULL, *gt = NULL;
    if (ckr_h5_attr_string(f, "format", fmt, sizeof fmt) != CKR_ATTR_OK ||
        strcmp(fmt, RESULTS_FORMAT) != 0) {
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /: attribute format is not \"%s\" (not a ckptrank results file)",
                         path, RESULTS_FORMAT);
        goto cleanup;
    }
    read_meta(f, &r->meta);
    rc = read_table(f, &ckr_score_table, &scores, &r->n_scores, path, err);
    if (!rc)
        rc = read_table(f, &ckr_gt_table, &gt, &r->n_gt, path, err);
    r->scores = scores;
    r->gt = gt;
cleanup:
    H5Fclose(f);
    if (rc)
        ckr_results_free(r);
    return rc;
}
