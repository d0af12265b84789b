#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

int ckr_err_set(ckr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void ckr_err_clear(ckr_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *ckr_err_word(int code)
{
    switch (code) {
    case CKR_OK: return "ok";
    case CKR_EIO: return "io-error";
    case CKR_EFORMAT: return "bad-format";
    case CKR_EDATA: return "bad-data";
    case CKR_ENUM: return "numerical-error";
    case CKR_EARG: return "bad-argument";
    case CKR_ENOMEM: return "out-of-memory";
    case CKR_EMPI: return "mpi-error";
    case CKR_ENEEDS: return "missing-input";
    case CKR_EINTR: return "interrupted";
    default: return "error";
    }
}
