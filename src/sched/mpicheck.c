/* mpicheck.c -- a failed MPI call as a CKR_EMPI error. */
#include "sched/mpicheck.h"

#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>

int ckr_mpi_fail(int mrc, ckr_err *err, const char *fmt, ...)
{
    char what[512], text[MPI_MAX_ERROR_STRING];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int len = 0;
    if (MPI_Error_string(mrc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "MPI error %d", mrc);
    return ckr_err_set(err, CKR_EMPI, "%s: %s", what, text);
}
