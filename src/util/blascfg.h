/* blascfg.h -- make OpenBLAS use the kernels this CPU can run.
 *
 * OpenBLAS picks its kernels from the CPU model at load time. In virtual
 * machines that hide the model (e.g. "Intel Xeon Processor") a DYNAMIC_ARCH
 * build falls back to its oldest x86-64 kernels ("Prescott"), which run the
 * Gram and GEMM work 4-5x slower than the AVX-512/AVX2 kernels the CPU
 * supports. ckr_blas_better_coretype() says which OPENBLAS_CORETYPE to use
 * instead, from the CPU's feature flags; main re-executes itself once with it
 * set (before MPI_Init). A user's own OPENBLAS_CORETYPE always wins. */
#ifndef CKR_BLASCFG_H
#define CKR_BLASCFG_H

/* The core OpenBLAS is using now (e.g. "Prescott", "SkylakeX"). */
const char *ckr_blas_core(void);
/* A better OPENBLAS_CORETYPE for this CPU when OpenBLAS fell back to
 * Prescott and the user set none; NULL when nothing should change. */
const char *ckr_blas_better_coretype(void);

#endif
