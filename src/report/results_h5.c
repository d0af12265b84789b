/* results_h5.c -- results.h5 (see results_h5.h); the columns come from
 * report/columns.h. */
#include "report/results_h5.h"

#include <hdf5.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/columns.h"
#include "util/fsout.h"
#include "util/h5attr.h"

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

static long column_length(hid_t g, const char *name)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[2] = { 0, 0 };
    H5Sget_simple_extent_dims(sp, dims, NULL);
    H5Sclose(sp);
    H5Dclose(d);
    return (long)dims[0];
}

/* Read a string column (fixed or variable length) into the n fields of cap
 * bytes at base + i*stride, cutting longer strings. */
static int read_str_col(hid_t g, const char *name, char *base, size_t stride, size_t cap, size_t n)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hid_t ft = H5Dget_type(d);
    int rc = -1;
    if (n == 0) {
        rc = 0;
    } else if (H5Tis_variable_str(ft) > 0) {
        char **v = calloc(n, sizeof *v);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5T_VARIABLE);
        if (v && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
            for (size_t i = 0; i < n; i++)
                snprintf(base + i * stride, cap, "%s", v[i] ? v[i] : "");
            hid_t sp = H5Dget_space(d);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, v);
            H5Sclose(sp);
            rc = 0;
        }
        H5Tclose(mt);
        free(v);
    } else {
        size_t w = H5Tget_size(ft);
        char *buf = calloc(n, w + 1);
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, w + 1);
        H5Tset_strpad(mt, H5T_STR_NULLTERM);
        if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            for (size_t i = 0; i < n; i++)
                snprintf(base + i * stride, cap, "%s", buf + i * (w + 1));
            rc = 0;
        }
        H5Tclose(mt);
        free(buf);
    }
    H5Tclose(ft);
    H5Dclose(d);
    return rc;
}

/* Read a numeric column (converted by HDF5 to double or int) into the n
 * fields at base + i*stride. */
static int read_num_col(hid_t g, const char *name, char *base, size_t stride, size_t n, int is_int)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    size_t esz = is_int ? sizeof(int) : sizeof(double);
    char *buf = malloc((n ? n : 1) * esz);
    herr_t st = buf ? (n ? H5Dread(d, is_int ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE, H5S_ALL,
                                   H5S_ALL, H5P_DEFAULT, buf) : 0) : -1;
    if (st >= 0)
        for (size_t i = 0; i < n; i++)
            memcpy(base + i * stride, buf + i * esz, esz);
    free(buf);
    H5Dclose(d);
    return st < 0 ? -1 : 0;
}

/* Read the group of table t: *rows (calloc'd, one spare row) and *n. The
 * length is that of the first column; every column flagged CKR_COL_H5 must
 * be there (per-cut-off columns are not read). */
static int read_table(hid_t f, const ckr_table_desc *t, void **rows, size_t *n)
{
    hid_t g = H5Gopen2(f, t->h5_group, H5P_DEFAULT);
    if (g < 0)
        return -1;
    long len = column_length(g, t->col[0].name);
    int bad = len < 0;
    char *v = NULL;
    if (!bad) {
        v = calloc((size_t)len + 1, t->row_size);
        bad = !v;
    }
    for (size_t i = 0; i < t->n_col && !bad; i++) {
        const ckr_column *c = &t->col[i];
        char *base = v + c->offset;
        if (!(c->flags & CKR_COL_H5))
            continue;
        switch (c->type) {
        case CKR_COL_STR:
            bad |= read_str_col(g, c->name, base, t->row_size, c->size, (size_t)len);
            break;
        case CKR_COL_F64:
            bad |= read_num_col(g, c->name, base, t->row_size, (size_t)len, 0);
            break;
        case CKR_COL_I32:
        case CKR_COL_BOOL:
            bad |= read_num_col(g, c->name, base, t->row_size, (size_t)len, 1);
            break;
        case CKR_COL_U64:
        case CKR_COL_F64_K:
            bad = 1;
            break;
        }
    }
    H5Gclose(g);
    *rows = v;
    *n = v ? (size_t)len : 0;
    return bad ? -1 : 0;
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
        return ckr_err_set(err, CKR_EIO, "%s: cannot read the file", path);
    if (H5Fis_hdf5(path) <= 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not an HDF5 file (or truncated)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return ckr_err_set(err, CKR_EIO, "%s: cannot open", path);
    char fmt[64];
    int rc = 0;
    void *scores = NULL, *gt = NULL;
    const char *bad = NULL;
    if (ckr_h5_attr_string(f, "format", fmt, sizeof fmt) != CKR_ATTR_OK ||
        strcmp(fmt, RESULTS_FORMAT) != 0) {
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /: attribute format is not \"%s\" (not a ckptrank results file)",
                         path, RESULTS_FORMAT);
        goto cleanup;
    }
    read_meta(f, &r->meta);
    if (read_table(f, &ckr_score_table, &scores, &r->n_scores) != 0)
        bad = ckr_score_table.h5_group;
    else if (read_table(f, &ckr_gt_table, &gt, &r->n_gt) != 0)
        bad = ckr_gt_table.h5_group;
    r->scores = scores;
    r->gt = gt;
    if (bad)
        rc = ckr_err_set(err, CKR_EFORMAT, "%s: /%s: missing or unreadable", path, bad);
cleanup:
    H5Fclose(f);
    if (rc)
        ckr_results_free(r);
    return rc;
}
