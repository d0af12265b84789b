/* flops.h -- the floating-point operation counter.
 *
 * Contract: code that does arithmetic work (BLAS wrappers, loops in methods)
 * adds what it actually performed with ckr_flops_add(), counting one
 * multiply-add as 2 FLOPs. A worker resets the counter before an item and
 * reads it after, so the `gflops` of every result is a measurement by the code
 * that did the work. One counter per process (ranks are single-threaded). */
#ifndef CKR_FLOPS_H
#define CKR_FLOPS_H

void ckr_flops_reset(void);
void ckr_flops_add(double flops);
double ckr_flops_get(void);

/* Monotonic wall clock in seconds. */
double ckr_now(void);

#endif
