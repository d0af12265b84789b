/* h5attr.h -- scalar HDF5 attributes, read and written without printing an
 * HDF5 error stack (shared by src/zoo and src/report).
 *
 * Readers accept any integer or float type for numbers and fixed- or
 * variable-length strings with any padding; they report what is wrong with
 * an attribute as a ckr_attr_status instead of printing.  Writers create a
 * scalar (or rank-1) attribute, replacing one of the same name, and return
 * 0 or -1. */
#ifndef CKR_H5ATTR_H
#define CKR_H5ATTR_H

#include <hdf5.h>
#include <stddef.h>

typedef enum {
    CKR_ATTR_OK = 0,
    CKR_ATTR_MISSING,
    CKR_ATTR_NOT_STRING,    /* a string was expected */
    CKR_ATTR_NOT_NUMBER,    /* a number was expected */
    CKR_ATTR_NOT_INTEGER,   /* a float with a fractional part, or out of range */
    CKR_ATTR_NOT_SCALAR,    /* more than one value */
    CKR_ATTR_TOO_LONG,      /* string longer than the buffer */
    CKR_ATTR_ERROR          /* HDF5 failed to read it */
} ckr_attr_status;

/* Read a scalar string attribute (fixed- or variable-length, any padding). */
ckr_attr_status ckr_h5_attr_string(hid_t obj, const char *name, char *buf, size_t cap);
/* Read a scalar numeric attribute (any integer or float type) converted by
 * HDF5 to the memory type mtype (e.g. H5T_NATIVE_ULLONG) into *out. */
ckr_attr_status ckr_h5_attr_number(hid_t obj, const char *name, hid_t mtype, void *out);
/* ckr_h5_attr_number as a double. */
ckr_attr_status ckr_h5_attr_double(hid_t obj, const char *name, double *v);
/* Read a scalar integer attribute (any integer type, or a float holding an
 * integral value that fits a long long). */
ckr_attr_status ckr_h5_attr_llong(hid_t obj, const char *name, long long *v);
/* The value of a scalar numeric attribute as exact text for a message:
 * unsigned integers with %llu (a uint64 2^64-1 prints as
 * 18446744073709551615, not clamped), signed ones with %lld, floats with
 * %.17g; "?" when it cannot be read. Returns buf. */
const char *ckr_h5_attr_number_text(hid_t obj, const char *name, char *buf, size_t cap);
/* "is not a string", "is missing", ... for a message. */
const char *ckr_attr_status_text(ckr_attr_status st);

/* Write the attribute name of loc with file type ftype from val (memory type
 * mtype): a scalar when n == 0, else a rank-1 attribute of n values. */
int ckr_h5_attr_write(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *val,
                      hsize_t n);
/* Write a scalar fixed-length, NUL-terminated string attribute. */
int ckr_h5_attr_write_str(hid_t loc, const char *name, const char *val);

#endif
