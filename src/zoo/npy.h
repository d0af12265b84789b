/* npy.h -- NumPy .npy files and .npz archives read into doubles (for
 * `ckptrank import`).
 *
 * .npy (format versions 1, 2 and 3): the magic "\x93NUMPY", a header that is
 * a Python dict literal with the keys 'descr', 'fortran_order' and 'shape'
 * (in any order), then the raw values. Accepted dtypes: floats '<f2' '<f4'
 * '<f8', signed '<i1'..'<i8', unsigned '<u1'..'<u8', bool '|b1' (and '|u1',
 * '|i1'), with '<' little, '>' big, '=' / '|' native (this machine: little)
 * byte order. Shapes of 0, 1 or 2 dimensions; C or Fortran order. Every
 * value is converted exactly to double (float16 by this reader; int64 and
 * uint64 values beyond 2^53 are rounded, which no label or feature of a zoo
 * needs). Anything else (complex, object, strings, structured dtypes, 3 or
 * more dimensions, a header that does not parse, data shorter or longer than
 * the shape says) is refused with a message naming the file and the problem.
 *
 * .npz: a zip archive (numpy.savez / savez_compressed) whose members are
 * .npy files named "<key>.npy". Members stored (method 0) or deflated
 * (method 8, through zlib) are read, their CRC-32 checked; zip64 sizes and
 * offsets are understood. Files are mapped (mmap), not copied, so a .npy costs
 * its values as doubles in memory plus the page cache. */
#ifndef CKR_ZOO_NPY_H
#define CKR_ZOO_NPY_H

#include <stddef.h>

#include "util/err.h"

/* Largest number of values one array may declare (2^40). */
#define CKR_NPY_MAX_VALUES ((size_t)1 << 40)

typedef struct ckr_npy {
    char kind;          /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int itemsize;       /* bytes per value in the file: 1, 2, 4 or 8 */
    int ndim;           /* 0 (a scalar), 1 or 2 */
    size_t rows, cols;  /* ndim 2: shape; ndim 1: (n, 1); ndim 0: (1, 1) */
    double *data;       /* rows * cols values, row-major (C order), malloc'd */
} ckr_npy;

/* Parse the .npy image buf[0..len); name (a file name, or "a.npz:key")
 * goes into messages. Returns 0 with *out filled (free with ckr_npy_free),
 * or CKR_EFORMAT (bad magic, header, dtype, shape, wrong data length) or
 * CKR_ENOMEM, with *out zeroed and err set ("NAME: <problem>"). */
int ckr_npy_parse(const void *buf, size_t len, const char *name, ckr_npy *out, ckr_err *err);

/* Read path: an .npz archive (recognised by its zip signature, whatever the
 * name) or an .npy file. For an .npz, key names the member ("key" or
 * "key.npy"); key NULL takes the only member of a one-member archive and is
 * refused, listing the members, otherwise. A key given for a .npy file is
 * refused. Returns 0 with *out filled, or CKR_EIO (cannot open or read),
 * CKR_EFORMAT (bad file, no such member, unsupported compression, bad CRC),
 * CKR_EARG (key misuse) or CKR_ENOMEM, with err naming the file. */
int ckr_npy_load(const char *path, const char *key, ckr_npy *out, ckr_err *err);

/* ckr_npy_load with a default key: default_key (NULL allowed) names the
 * member of an .npz when key is NULL, and is ignored for a .npy file. */
int ckr_npy_load_key(const char *path, const char *key, const char *default_key, ckr_npy *out,
                     ckr_err *err);

/* Free out's data and zero it (NULL allowed). */
void ckr_npy_free(ckr_npy *a);

/* The IEEE half-precision value of the 16 bits h, exactly, as a double. */
double ckr_half_to_double(unsigned h);

#endif
