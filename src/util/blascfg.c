#include "util/blascfg.h"

#include <stdlib.h>
#include <string.h>

extern char *openblas_get_corename(void);

const char *ckr_blas_core(void)
{
    const char *c = openblas_get_corename();
    return c ? c : "unknown";
}

const char *ckr_blas_better_coretype(void)
{
    if (getenv("OPENBLAS_CORETYPE"))
        return NULL;
    if (strcmp(ckr_blas_core(), "Prescott") != 0)
        return NULL;
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512cd"))
        return "SkylakeX";
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return "Haswell";
    if (__builtin_cpu_supports("avx"))
        return "SandyBridge";
#endif
    return NULL;
}
