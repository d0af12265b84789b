#include "sched/progress.h"

#include <stdio.h>

#include "util/flops.h"

void ckr_progress_start(ckr_progress *p, size_t total, int enabled)
{
    p->enabled = enabled;
    p->total = total;
    p->t0 = p->last = ckr_now();
    p->interval = 2.0;
}

static void format_duration(double s, char *buf, size_t len)
{
    if (s < 0 || s != s)
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else if (s < 3600)
        snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, len, "%dh%02dm", (int)(s / 3600), ((int)s % 3600) / 60);
}

void ckr_progress_update(ckr_progress *p, size_t done, size_t failed, int force)
{
    if (!p->enabled)
        return;
    double now = ckr_now();
    if (!force && now - p->last < p->interval)
        return;
    p->last = now;
    double el = now - p->t0;
    double rate = el > 0 ? (double)done / el : 0.0;
    char eta[32], elapsed[32];
    format_duration(rate > 0 ? (double)(p->total - done) / rate : -1, eta, sizeof eta);
    format_duration(el, elapsed, sizeof elapsed);
    fprintf(stderr, "ckptrank: %zu/%zu items (%.0f%%), %zu failed, %.2f items/s, elapsed %s, ETA %s\n",
            done, p->total, p->total ? 100.0 * (double)done / (double)p->total : 100.0, failed,
            rate, elapsed, done == p->total ? "0s" : eta);
    fflush(stderr);
}
