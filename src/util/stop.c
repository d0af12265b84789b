/* stop.c -- the stop flag polled by long computations, and its grace clock.
 *
 * Everything a signal handler touches is a lock-free atomic (int, long
 * long) or clock_gettime, both async-signal-safe. */
#include "util/stop.h"

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

static atomic_int g_stop;
/* the grace clock: 0 when not running, else the monotonic time in
 * nanoseconds (+1, so a deadline of 0 ns is not "unset") when it ends */
static atomic_llong g_deadline;
static int (*g_hook)(void *);
static void *g_hook_ctx;

static long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000000000LL + (long long)ts.tv_nsec;
}

int ckr_stop_requested(void)
{
    if (atomic_load_explicit(&g_stop, memory_order_relaxed))
        return 1;
    long long end = atomic_load_explicit(&g_deadline, memory_order_relaxed);
    if ((end != 0 && now_ns() + 1 >= end) || (g_hook && g_hook(g_hook_ctx))) {
        atomic_store(&g_stop, 1);
        return 1;
    }
    return 0;
}

void ckr_stop_raise(void) { atomic_store(&g_stop, 1); }

void ckr_stop_clear(void)
{
    atomic_store(&g_deadline, 0);
    atomic_store(&g_stop, 0);
}

void ckr_stop_arm(double seconds)
{
    if (!(seconds >= 0.0))
        seconds = 0.0;
    if (seconds > 1e9) /* a century or so: no overflow */
        seconds = 1e9;
    long long end = now_ns() + (long long)(seconds * 1e9) + 1, unset = 0;
    atomic_compare_exchange_strong(&g_deadline, &unset, end);
}

void ckr_stop_set_hook(int (*fn)(void *ctx), void *ctx)
{
    g_hook = fn;
    g_hook_ctx = ctx;
}
