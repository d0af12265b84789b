#include "util/flops.h"

#include <time.h>

static double g_flops;

void ckr_flops_reset(void) { g_flops = 0.0; }
void ckr_flops_add(double flops) { g_flops += flops; }
double ckr_flops_get(void) { return g_flops; }

double ckr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
