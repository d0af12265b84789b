/* stop.c -- the stop flag polled by long computations. */
#include "util/stop.h"

#include <stdatomic.h>
#include <stddef.h>

static atomic_int g_stop;
static int (*g_hook)(void *);
static void *g_hook_ctx;

int ckr_stop_requested(void)
{
    if (atomic_load_explicit(&g_stop, memory_order_relaxed))
        return 1;
    if (g_hook && g_hook(g_hook_ctx)) {
        atomic_store(&g_stop, 1);
        return 1;
    }
    return 0;
}

void ckr_stop_raise(void) { atomic_store(&g_stop, 1); }

void ckr_stop_clear(void) { atomic_store(&g_stop, 0); }

void ckr_stop_set_hook(int (*fn)(void *ctx), void *ctx)
{
    g_hook = fn;
    g_hook_ctx = ctx;
}
