/* signals.c -- record stop signals; start the grace clock, raise the flag. */
#include "sched/signals.h"

#include <pthread.h>
#include <string.h>

#include "util/stop.h"

static volatile sig_atomic_t g_stop_signal, g_count, g_keep_clock, g_why;
static double g_grace; /* written before the handler is installed */

static void on_stop_signal(int sig)
{
    g_stop_signal = sig;
    if (g_count < 1000)
        g_count = g_count + 1;
    if (!g_keep_clock)
        return;
    if (g_count == 1)
        ckr_stop_arm(g_grace);
    else
        ckr_stop_raise();
}

void ckr_stop_signals_install(ckr_saved_handlers *old, double grace, int keep_clock)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_stop_signal = 0;
    g_count = 0;
    g_why = CKR_STOP_WHY_NONE;
    g_grace = grace;
    g_keep_clock = keep_clock != 0;
    ckr_stop_clear();
    sigaction(SIGTERM, &sa, &old->term);
    sigaction(SIGINT, &sa, &old->intr);
    sigaction(SIGUSR1, &sa, &old->usr1);
    ckr_stop_signals_release();
}

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGUSR1);
}

void ckr_stop_signals_defer(void)
{
    sigset_t set;
    stop_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void ckr_stop_signals_release(void)
{
    sigset_t set;
    stop_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void ckr_stop_signals_restore(const ckr_saved_handlers *old)
{
    sigaction(SIGTERM, &old->term, NULL);
    sigaction(SIGINT, &old->intr, NULL);
    sigaction(SIGUSR1, &old->usr1, NULL);
}

int ckr_stop_signal(void) { return (int)g_stop_signal; }

int ckr_stop_why_code(void)
{
    if (g_count >= 2 || g_why == CKR_STOP_WHY_SECOND)
        return CKR_STOP_WHY_SECOND;
    if (g_count >= 1 || g_why != CKR_STOP_WHY_NONE)
        return CKR_STOP_WHY_GRACE;
    return CKR_STOP_WHY_NONE;
}

void ckr_stop_set_why(int why) { g_why = why; }

const char *ckr_stop_why(void)
{
    return ckr_stop_why_code() == CKR_STOP_WHY_SECOND ? "stopped by a second signal"
                                                       : "abandoned after the grace period";
}
