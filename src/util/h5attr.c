/* h5attr.c -- scalar HDF5 attributes: quiet readers and writers. */
#include "util/h5attr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------- */

/* Open attribute name of obj and check it holds exactly one value. */
static ckr_attr_status open_scalar_attr(hid_t obj, const char *name, hid_t *attr,
                                        hid_t *type)
{
    *attr = *type = -1;
    htri_t ex = H5Aexists(obj, name);
    if (ex < 0)
        return CKR_ATTR_ERROR;
    if (ex == 0)
        return CKR_ATTR_MISSING;
    *attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (*attr < 0)
        return CKR_ATTR_ERROR;
    hid_t space = H5Aget_space(*attr);
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0)
        H5Sclose(space);
    *type = H5Aget_type(*attr);
    if (np < 0 || *type < 0)
        return CKR_ATTR_ERROR;
    if (np != 1)
        return CKR_ATTR_NOT_SCALAR;
    return CKR_ATTR_OK;
}

static void close_attr(hid_t attr, hid_t type)
{
    if (type >= 0)
        H5Tclose(type);
    if (attr >= 0)
        H5Aclose(attr);
}

static ckr_attr_status read_vlen_string(hid_t attr, hid_t type, char *buf, size_t cap)
{
    ckr_attr_status st = CKR_ATTR_ERROR;
    hid_t mt = H5Tcopy(H5T_C_S1);
    char *s = NULL;
    if (mt < 0)
        return CKR_ATTR_ERROR;
    if (H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Tset_cset(mt, H5Tget_cset(type)) >= 0 &&
        H5Aread(attr, mt, &s) >= 0) {
        const char *v = s ? s : "";
        st = strlen(v) < cap ? CKR_ATTR_OK : CKR_ATTR_TOO_LONG;
        if (st == CKR_ATTR_OK)
            memcpy(buf, v, strlen(v) + 1);
        if (s)
            H5free_memory(s);
    }
    H5Tclose(mt);
    return st;
}

static ckr_attr_status read_fixed_string(hid_t attr, hid_t type, char *buf, size_t cap)
{
    size_t sz = H5Tget_size(type);
    if (sz == 0)
        return CKR_ATTR_ERROR;
    char *tmp = calloc(sz + 1, 1);
    if (!tmp)
        return CKR_ATTR_ERROR;
    ckr_attr_status st = CKR_ATTR_ERROR;
    hid_t mt = H5Tcopy(type); /* same size and padding: no conversion */
    if (mt >= 0 && H5Aread(attr, mt, tmp) >= 0) {
        size_t len = strlen(tmp);
        if (H5Tget_strpad(type) == H5T_STR_SPACEPAD)
            while (len > 0 && tmp[len - 1] == ' ')
                tmp[--len] = '\0';
        st = len < cap ? CKR_ATTR_OK : CKR_ATTR_TOO_LONG;
        if (st == CKR_ATTR_OK)
            memcpy(buf, tmp, len + 1);
    }
    if (mt >= 0)
        H5Tclose(mt);
    free(tmp);
    return st;
}

ckr_attr_status ckr_h5_attr_string(hid_t obj, const char *name, char *buf, size_t cap)
{
    hid_t attr, type;
    if (cap == 0)
        return CKR_ATTR_TOO_LONG;
    buf[0] = '\0';
    ckr_attr_status st = open_scalar_attr(obj, name, &attr, &type);
    if (st == CKR_ATTR_OK) {
        if (H5Tget_class(type) != H5T_STRING)
            st = CKR_ATTR_NOT_STRING;
        else if (H5Tis_variable_str(type) > 0)
            st = read_vlen_string(attr, type, buf, cap);
        else
            st = read_fixed_string(attr, type, buf, cap);
    }
    close_attr(attr, type);
    return st;
}

static int is_number_class(H5T_class_t c)
{
    return c == H5T_INTEGER || c == H5T_FLOAT;
}

ckr_attr_status ckr_h5_attr_number(hid_t obj, const char *name, hid_t mtype, void *out)
{
    hid_t attr, type;
    ckr_attr_status st = open_scalar_attr(obj, name, &attr, &type);
    if (st == CKR_ATTR_OK) {
        if (!is_number_class(H5Tget_class(type)))
            st = CKR_ATTR_NOT_NUMBER;
        else if (H5Aread(attr, mtype, out) < 0)
            st = CKR_ATTR_ERROR;
    }
    close_attr(attr, type);
    return st;
}

ckr_attr_status ckr_h5_attr_double(hid_t obj, const char *name, double *v)
{
    return ckr_h5_attr_number(obj, name, H5T_NATIVE_DOUBLE, v);
}

ckr_attr_status ckr_h5_attr_llong(hid_t obj, const char *name, long long *v)
{
    hid_t attr, type;
    ckr_attr_status st = open_scalar_attr(obj, name, &attr, &type);
    if (st == CKR_ATTR_OK) {
        H5T_class_t c = H5Tget_class(type);
        if (c == H5T_INTEGER) {
            if (H5Aread(attr, H5T_NATIVE_LLONG, v) < 0)
                st = CKR_ATTR_ERROR;
        } else if (c == H5T_FLOAT) {
            double d;
            if (H5Aread(attr, H5T_NATIVE_DOUBLE, &d) < 0)
                st = CKR_ATTR_ERROR;
            else if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e15)
                st = CKR_ATTR_NOT_INTEGER;
            else
                *v = (long long)d;
        } else {
            st = CKR_ATTR_NOT_NUMBER;
        }
    }
    close_attr(attr, type);
    return st;
}

const char *ckr_h5_attr_number_text(hid_t obj, const char *name, char *buf, size_t cap)
{
    hid_t attr, type;
    snprintf(buf, cap, "?");
    if (open_scalar_attr(obj, name, &attr, &type) == CKR_ATTR_OK) {
        H5T_class_t c = H5Tget_class(type);
        unsigned long long u;
        long long s;
        double d;
        if (c == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_NONE &&
            H5Aread(attr, H5T_NATIVE_ULLONG, &u) >= 0)
            snprintf(buf, cap, "%llu", u);
        else if (c == H5T_INTEGER && H5Aread(attr, H5T_NATIVE_LLONG, &s) >= 0)
            snprintf(buf, cap, "%lld", s);
        else if (c == H5T_FLOAT && H5Aread(attr, H5T_NATIVE_DOUBLE, &d) >= 0)
            snprintf(buf, cap, "%.17g", d);
    }
    close_attr(attr, type);
    return buf;
}

const char *ckr_attr_status_text(ckr_attr_status st)
{
    switch (st) {
    case CKR_ATTR_OK: return "is fine";
    case CKR_ATTR_MISSING: return "is missing";
    case CKR_ATTR_NOT_STRING: return "is not a string";
    case CKR_ATTR_NOT_NUMBER: return "is not a number";
    case CKR_ATTR_NOT_INTEGER: return "is not an integer";
    case CKR_ATTR_NOT_SCALAR: return "holds more than one value";
    case CKR_ATTR_TOO_LONG: return "is too long";
    case CKR_ATTR_ERROR: return "cannot be read";
    }
    return "is bad";
}

/* ---- writing ---------------------------------------------------------- */

int ckr_h5_attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val,
                      hsize_t n)
{
    if (H5Aexists(loc, name) > 0 && H5Adelete(loc, name) < 0)
        return -1;
    hid_t sp = n == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &n, NULL);
    hid_t a = sp >= 0 ? H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT) : -1;
    herr_t st = a < 0 ? -1 : H5Awrite(a, mtype, val);
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    return st < 0 ? -1 : 0;
}

int ckr_h5_attr_write_str(hid_t loc, const char *name, const char *val)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0)
        return -1;
    int rc = -1;
    if (H5Tset_size(t, strlen(val) + 1) >= 0 && H5Tset_strpad(t, H5T_STR_NULLTERM) >= 0)
        rc = ckr_h5_attr_write(loc, name, t, t, val, 0);
    H5Tclose(t);
    return rc;
}
