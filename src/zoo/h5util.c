/* h5util.c -- problem reporter and quiet HDF5 readers for the zoo module. */
#include "zoo/h5util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- problem reporter ------------------------------------------------- */

void ckr_zrep_init(ckr_zrep *r, const char *file, ckr_problem_cb cb, void *ctx,
                   int stop_at_first)
{
    memset(r, 0, sizeof *r);
    r->file = file ? file : "(null)";
    r->cb = cb;
    r->ctx = ctx;
    r->stop_at_first = stop_at_first;
}

int ckr_zrep_add(ckr_zrep *r, int code, const char *obj, const char *fmt, ...)
{
    char text[768], msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (obj)
        snprintf(msg, sizeof msg, "%s: %s: %s", r->file, obj, text);
    else
        snprintf(msg, sizeof msg, "%s: %s", r->file, text);
    if (r->count == 0) {
        r->first_code = code;
        snprintf(r->first_msg, sizeof r->first_msg, "%s", msg);
    }
    r->count++;
    if (r->cb)
        r->cb(r->ctx, msg);
    return code;
}

int ckr_zrep_stop(const ckr_zrep *r)
{
    return r->stop_at_first && r->count > 0;
}

int ckr_zrep_to_err(const ckr_zrep *r, ckr_err *err)
{
    if (r->count == 0)
        return 0;
    return ckr_err_set(err, r->first_code, "%s", r->first_msg);
}

void ckr_zoo_copy_str(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t len = strlen(src);
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

/* ---- HDF5 basics ------------------------------------------------------ */

void ckr_h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct {
    char *buf;
    size_t cap;
} last_error_ctx;

static herr_t take_innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    last_error_ctx *c = data;
    if (n == 0 && e && e->desc)
        snprintf(c->buf, c->cap, "%s", e->desc);
    return 0;
}

void ckr_h5_last_error(char *buf, size_t cap)
{
    last_error_ctx c = {buf, cap};
    if (cap == 0)
        return;
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_innermost, &c);
}

int ckr_h5_has_signature(const char *path)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    int found = 0;
    /* the superblock sits at 0 or after a user block of 512 * 2^k bytes */
    for (long off = 0; !found; off = off ? off * 2 : 512) {
        unsigned char buf[8];
        if (fseek(f, off, SEEK_SET) != 0 || fread(buf, 1, 8, f) != 8)
            break;
        found = memcmp(buf, sig, 8) == 0;
        if (off > (1L << 40))
            break;
    }
    fclose(f);
    return found;
}

ckr_h5_kind ckr_h5_child_kind(hid_t loc, const char *name)
{
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0)
        return CKR_H5_MISSING;
    hid_t obj = H5Oopen(loc, name, H5P_DEFAULT);
    if (obj < 0)
        return CKR_H5_BROKEN;
    H5I_type_t t = H5Iget_type(obj);
    H5Oclose(obj);
    if (t == H5I_GROUP)
        return CKR_H5_GROUP;
    if (t == H5I_DATASET)
        return CKR_H5_DATASET;
    return CKR_H5_OTHER;
}

const char *ckr_h5_kind_name(ckr_h5_kind k)
{
    switch (k) {
    case CKR_H5_MISSING: return "missing";
    case CKR_H5_GROUP: return "a group";
    case CKR_H5_DATASET: return "a dataset";
    case CKR_H5_OTHER: return "a named datatype";
    case CKR_H5_BROKEN: return "a dangling link";
    }
    return "unknown";
}

typedef struct {
    char **names;
    size_t n, cap;
    int failed;
} name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    name_list *l = data;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->names, cap * sizeof *p);
        if (!p) {
            l->failed = 1;
            return -1;
        }
        l->names = p;
        l->cap = cap;
    }
    l->names[l->n] = strdup(name);
    if (!l->names[l->n]) {
        l->failed = 1;
        return -1;
    }
    l->n++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int ckr_h5_list_names(hid_t group, char ***names, size_t *n)
{
    name_list l = {NULL, 0, 0, 0};
    hsize_t idx = 0;
    herr_t st = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &l);
    if (st < 0) {
        ckr_h5_free_names(l.names, l.n);
        *names = NULL;
        *n = 0;
        return l.failed ? CKR_ENOMEM : CKR_EIO;
    }
    if (l.n > 1)
        qsort(l.names, l.n, sizeof *l.names, cmp_names);
    *names = l.names;
    *n = l.n;
    return 0;
}

void ckr_h5_free_names(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- attributes ------------------------------------------------------- */

const char *ckr_h5_attr_class_word(hid_t obj, const char *name)
{
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0)
        return "unreadable";
    hid_t type = H5Aget_type(attr);
    H5T_class_t c = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    if (type >= 0)
        H5Tclose(type);
    H5Aclose(attr);
    return ckr_h5_class_word(c);
}

/* ---- datasets --------------------------------------------------------- */

const char *ckr_h5_class_word(H5T_class_t cls)
{
    switch (cls) {
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "float";
    case H5T_STRING: return "string";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_COMPOUND: return "compound";
    case H5T_REFERENCE: return "reference";
    case H5T_ENUM: return "enum";
    case H5T_VLEN: return "variable-length";
    case H5T_ARRAY: return "array";
    case H5T_TIME: return "time";
    default: return "unknown";
    }
}

/* Chunks needed to cover dims with chunk shape cdims (0 when not known). */
static double chunks_needed(int rank, const hsize_t *dims, const hsize_t *cdims)
{
    double total = 1.0;
    for (int i = 0; i < rank; i++) {
        if (cdims[i] == 0)
            return 0.0;
        total *= (double)((dims[i] + cdims[i] - 1) / cdims[i]);
    }
    return total;
}

int ckr_h5_storage_short(hid_t dset, char *buf, size_t cap)
{
    hid_t space = H5Dget_space(dset), type = H5Dget_type(dset), dcpl = H5Dget_create_plist(dset);
    int shortfall = 0;
    if (space < 0 || type < 0 || dcpl < 0)
        goto cleanup;
    hssize_t npoints = H5Sget_simple_extent_npoints(space);
    size_t esize = H5Tget_size(type);
    if (npoints <= 0 || esize == 0)
        goto cleanup;
    double declared = (double)npoints * (double)esize;
    double stored = (double)H5Dget_storage_size(dset);
    H5D_layout_t layout = H5Pget_layout(dcpl);
    char chunks[96] = "";
    if (layout == H5D_CONTIGUOUS) {
        shortfall = H5Pget_external_count(dcpl) == 0 && stored < declared;
    } else if (layout == H5D_CHUNKED) {
        int rank = H5Sget_simple_extent_ndims(space);
        hsize_t dims[H5S_MAX_RANK], cdims[H5S_MAX_RANK];
        hsize_t written = 0;
        if (rank < 1 || H5Sget_simple_extent_dims(space, dims, NULL) < 0 ||
            H5Pget_chunk(dcpl, rank, cdims) != rank)
            goto cleanup;
        double needed = chunks_needed(rank, dims, cdims);
        if (H5Dget_num_chunks(dset, space, &written) >= 0 && (double)written < needed) {
            shortfall = 1;
            snprintf(chunks, sizeof chunks, " (%llu of %.0f chunks written)",
                     (unsigned long long)written, needed);
        } else if (H5Pget_nfilters(dcpl) == 0 && stored < declared) {
            shortfall = 1; /* unfiltered chunks hold every byte */
        }
    }
    if (shortfall)
        snprintf(buf, cap, "declares %lld values (%.0f bytes) but stores only %.0f bytes%s: its "
                 "data was not (all) written (a truncated or unfinished file?)",
                 (long long)npoints, declared, stored, chunks);
cleanup:
    if (space >= 0)
        H5Sclose(space);
    if (type >= 0)
        H5Tclose(type);
    if (dcpl >= 0)
        H5Pclose(dcpl);
    return shortfall;
}

int ckr_h5_dset_info(hid_t dset, ckr_h5_dinfo *di)
{
    memset(di, 0, sizeof *di);
    di->cls = H5T_NO_CLASS;
    hid_t type = H5Dget_type(dset);
    hid_t space = H5Dget_space(dset);
    int rc = CKR_EIO;
    if (type < 0 || space < 0)
        goto cleanup;
    di->cls = H5Tget_class(type);
    if (di->cls == H5T_ENUM) {
        hid_t super = H5Tget_super(type);
        di->numeric = super >= 0 && H5Tget_class(super) == H5T_INTEGER;
        if (super >= 0)
            H5Tclose(super);
    } else {
        di->numeric = di->cls == H5T_INTEGER || di->cls == H5T_FLOAT;
    }
    int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0)
        goto cleanup;
    hsize_t dims[H5S_MAX_RANK];
    if (H5Sget_simple_extent_dims(space, dims, NULL) < 0)
        goto cleanup;
    di->rank = rank;
    for (int i = 0; i < rank && i < 2; i++)
        di->dims[i] = dims[i];
    rc = 0;
cleanup:
    if (type >= 0)
        H5Tclose(type);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int ckr_h5_read_rows(hid_t dset, const ckr_h5_dinfo *di, hsize_t row0, hsize_t nrows,
                     double *out)
{
    if (di->rank != 1 && di->rank != 2)
        return CKR_EIO;
    hsize_t start[2] = {row0, 0};
    hsize_t count[2] = {nrows, di->rank == 2 ? di->dims[1] : 1};
    if (count[0] == 0 || count[1] == 0)
        return 0;
    int rc = CKR_EIO;
    hid_t mspace = -1, fspace = H5Dget_space(dset);
    if (fspace < 0)
        goto cleanup;
    if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0)
        goto cleanup;
    mspace = H5Screate_simple(di->rank, count, NULL);
    if (mspace < 0)
        goto cleanup;
    /* the default transfer property list: independent I/O */
    if (H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, out) < 0)
        goto cleanup;
    rc = 0;
cleanup:
    if (mspace >= 0)
        H5Sclose(mspace);
    if (fspace >= 0)
        H5Sclose(fspace);
    return rc;
}
