/* npy.c -- the .npy format: header dict, dtypes, orders, byte orders,
 * conversion to double (see npy.h; .npz archives are npz.c's). */
#include "zoo/npy.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct hdr {
    char descr[32];
    int have_descr, have_order, have_shape;
    int fortran;
    int ndim;
    size_t shape[2];
} hdr;

void ckr_npy_free(ckr_npy *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

double ckr_half_to_double(unsigned h)
{
    int sign = (h >> 15) & 1, ex = (h >> 10) & 0x1f;
    unsigned man = h & 0x3ff;
    double v;
    if (ex == 0)
        v = ldexp((double)man, -24); /* zero and subnormals: man x 2^-24 */
    else if (ex == 31)
        v = man ? NAN : INFINITY;
    else
        v = ldexp((double)(man | 0x400), ex - 25);
    return sign ? -v : v;
}

/* ---- the header dict -------------------------------------------------- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A quoted Python string ('...' or "...", no escapes) into buf. */
static const char *parse_str(const char *p, const char *end, char *buf, size_t cap)
{
    if (p >= end || (*p != '\'' && *p != '"'))
        return NULL;
    char q = *p++;
    size_t n = 0;
    while (p < end && *p != q) {
        if (*p == '\\' || n + 1 >= cap)
            return NULL;
        buf[n++] = *p++;
    }
    if (p >= end)
        return NULL;
    buf[n] = 0;
    return p + 1;
}

static const char *parse_shape(const char *p, const char *end, hdr *h, const char **why)
{
    if (p >= end || *p != '(')
        return *why = "'shape' is not a tuple", NULL;
    p = skip_ws(p + 1, end);
    h->ndim = 0;
    while (p < end && *p != ')') {
        if (*p < '0' || *p > '9')
            return *why = "'shape' holds something other than non-negative integers", NULL;
        unsigned long long v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > CKR_NPY_MAX_VALUES)
                return *why = "'shape' has an extent that is too large", NULL;
            v = v * 10 + (unsigned)(*p++ - '0');
        }
        if (p < end && *p == 'L') /* Python 2 longs */
            p++;
        if (h->ndim >= 2)
            return *why = "the array has more than 2 dimensions (expected 1 or 2)", NULL;
        h->shape[h->ndim++] = (size_t)v;
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        else if (p < end && *p != ')')
            return *why = "'shape' is not a tuple of integers", NULL;
    }
    if (p >= end)
        return *why = "'shape' is not closed", NULL;
    return p + 1;
}

static int parse_header(const char *p, const char *end, hdr *h, const char **why)
{
    memset(h, 0, sizeof *h);
    p = skip_ws(p, end);
    if (p >= end || *p != '{')
        return *why = "the header is not a dict", -1;
    p = skip_ws(p + 1, end);
    while (p < end && *p != '}') {
        char key[32];
        p = parse_str(p, end, key, sizeof key);
        if (!p)
            return *why = "the header has a key that is not a short quoted string", -1;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return *why = "the header dict has no ':' after a key", -1;
        p = skip_ws(p + 1, end);
        if (strcmp(key, "descr") == 0) {
            if (p < end && *p == '[')
                return *why = "structured dtypes are not supported", -1;
            p = parse_str(p, end, h->descr, sizeof h->descr);
            if (!p)
                return *why = "'descr' is not a quoted dtype string", -1;
            h->have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (end - p >= 4 && memcmp(p, "True", 4) == 0)
                h->fortran = 1, p += 4;
            else if (end - p >= 5 && memcmp(p, "False", 5) == 0)
                h->fortran = 0, p += 5;
            else
                return *why = "'fortran_order' is neither True nor False", -1;
            h->have_order = 1;
        } else if (strcmp(key, "shape") == 0) {
            p = parse_shape(p, end, h, why);
            if (!p)
                return -1;
            h->have_shape = 1;
        } else {
            return *why = "the header has a key other than 'descr', 'fortran_order', 'shape'", -1;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p = skip_ws(p + 1, end);
        else if (p < end && *p != '}')
            return *why = "the header dict has no ',' between entries", -1;
    }
    if (p >= end)
        return *why = "the header dict is not closed", -1;
    if (!h->have_descr || !h->have_order || !h->have_shape)
        return *why = "the header lacks 'descr', 'fortran_order' or 'shape'", -1;
    return 0;
}

/* descr -> kind, itemsize, big endian; -1 when not supported */
static int parse_descr(const char *d, char *kind, int *size, int *big)
{
    if (strlen(d) != 3 || !strchr("<>=|", d[0]) || !strchr("fiub", d[1]) ||
        !strchr("1248", d[2]))
        return -1;
    *kind = d[1];
    *size = d[2] - '0';
    *big = d[0] == '>';
    if (*kind == 'f' && *size == 1)
        return -1;
    if (*kind == 'b' && *size != 1)
        return -1;
    return 0;
}

/* ---- values ----------------------------------------------------------- */

static double value_at(const unsigned char *p, char kind, int size, int big)
{
    unsigned char b[8];
    for (int i = 0; i < size; i++) /* to little endian */
        b[i] = big ? p[size - 1 - i] : p[i];
    uint64_t u = 0;
    for (int i = size - 1; i >= 0; i--)
        u = (u << 8) | b[i];
    if (kind == 'f') {
        if (size == 2)
            return ckr_half_to_double((unsigned)u);
        if (size == 4) {
            uint32_t w = (uint32_t)u;
            float f;
            memcpy(&f, &w, 4);
            return f;
        }
        double d;
        memcpy(&d, &u, 8);
        return d;
    }
    if (kind == 'u' || kind == 'b')
        return (double)u;
    int shift = 64 - 8 * size; /* sign-extend */
    int64_t s = (int64_t)(u << shift) >> shift;
    return (double)s;
}

int ckr_npy_parse(const void *buf, size_t len, const char *name, ckr_npy *out, ckr_err *err)
{
    const unsigned char *b = buf;
    memset(out, 0, sizeof *out);
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", name);
    int major = b[6];
    size_t hlen, off;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return ckr_err_set(err, CKR_EFORMAT, "%s: truncated .npy header", name);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        return ckr_err_set(err, CKR_EFORMAT, "%s: .npy format version %d.%d is not supported "
                           "(1, 2 or 3)", name, major, b[7]);
    }
    if (hlen > len - off)
        return ckr_err_set(err, CKR_EFORMAT, "%s: the .npy header says %zu bytes but the file "
                           "has only %zu after the preamble (truncated)", name, hlen, len - off);
    hdr h;
    const char *why = "";
    if (parse_header((const char *)b + off, (const char *)b + off + hlen, &h, &why) != 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: bad .npy header: %s", name, why);
    char kind;
    int size, big;
    if (parse_descr(h.descr, &kind, &size, &big) != 0)
        return ckr_err_set(err, CKR_EFORMAT, "%s: dtype '%s' is not supported (expected float16/32/"
                           "64, int8..int64, uint8..uint64 or bool)", name, h.descr);
    size_t rows = h.ndim >= 1 ? h.shape[0] : 1, cols = h.ndim == 2 ? h.shape[1] : 1;
    if (cols && rows > CKR_NPY_MAX_VALUES / cols)
        return ckr_err_set(err, CKR_EFORMAT, "%s: shape (%zu, %zu) is too large", name, rows, cols);
    size_t n = rows * cols, data = len - off - hlen;
    if (data != n * (size_t)size)
        return ckr_err_set(err, CKR_EFORMAT, "%s: shape and dtype '%s' need %zu bytes of data, the "
                           "file has %zu (%s)", name, h.descr, n * (size_t)size, data,
                           data < n * (size_t)size ? "truncated" : "trailing bytes");
    out->data = malloc((n ? n : 1) * sizeof *out->data);
    if (!out->data)
        return ckr_err_set(err, CKR_ENOMEM, "%s: out of memory for %zu values", name, n);
    const unsigned char *v = b + off + hlen;
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            size_t k = h.fortran ? j * rows + i : i * cols + j;
            out->data[i * cols + j] = value_at(v + k * (size_t)size, kind, size, big);
        }
    out->kind = kind;
    out->itemsize = size;
    out->ndim = h.ndim;
    out->rows = rows;
    out->cols = cols;
    return 0;
}
