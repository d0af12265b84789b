/* mpicheck.h -- turn a failed MPI call into a CKR_EMPI error.
 *
 * ckptrank_run works on a duplicate of the caller's communicator whose error
 * handler is MPI_ERRORS_RETURN, so an MPI failure comes back as a return
 * code; every call on it is checked with this. */
#ifndef CKR_SCHED_MPICHECK_H
#define CKR_SCHED_MPICHECK_H

#include "util/err.h"

/* Set err to CKR_EMPI and "<what>: <MPI's text for mrc>" (what formatted
 * printf-style) and return CKR_EMPI. Call only with mrc != MPI_SUCCESS. */
int ckr_mpi_fail(int mrc, ckr_err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
