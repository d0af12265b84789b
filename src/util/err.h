/* err.h -- error codes and a message buffer shared by all library code.
 *
 * Contract: library functions return 0 on success or a negative CKR_E* code,
 * and when they fail they fill a caller-provided ckr_err with a message that
 * names the file, the object and the problem.  Library code never exits. */
#ifndef CKR_ERR_H
#define CKR_ERR_H

#include <stddef.h>

enum {
    CKR_OK = 0,
    CKR_EIO = -1,       /* file cannot be opened / read / written */
    CKR_EFORMAT = -2,   /* file is not what the schema says */
    CKR_EDATA = -3,     /* values are invalid (NaN, labels out of range, ...) */
    CKR_ENUM = -4,      /* numerical failure (Cholesky, non-finite result) */
    CKR_EARG = -5,      /* bad user argument (unknown method, parameter) */
    CKR_ENOMEM = -6,    /* allocation failed */
    CKR_EMPI = -7,      /* MPI failure */
    CKR_ENEEDS = -8,    /* the pair lacks an input the method needs */
    CKR_EINTR = -9      /* interrupted by a signal (partial results kept) */
};

typedef struct ckr_err {
    int code;
    char msg[1024];
} ckr_err;

/* Set err (if non-NULL) to code and a printf-style message; returns code. */
int ckr_err_set(ckr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ckr_err_clear(ckr_err *err);
/* Short word for a code, e.g. "io-error". */
const char *ckr_err_word(int code);

#endif
