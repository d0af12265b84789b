/* signals.c -- record stop signals; start the grace clock, raise the flag. */
#include "sched/signals.h"

#include <pthread.h>
#include <string.h>

#include "util/stop.h"

static volatile sig_atomic_t g_stop_signal, g_count, g_keep_clock, g_why;
static double g_grace; /* written before the handler is installed */
/* signals that came while deferred, to a thread that did not block them
 * (one started before main, e.g. by a library's constructor) */
static volatile sig_atomic_t g_early_signal, g_early_count;

static void on_early_signal(int sig)
{
    g_early_signal = sig;
    if (g_early_count < 1000)
        g_early_count = g_early_count + 1;
}

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
    /* what came while deferred counts as received now */
    for (int i = 0; i < 2 && i < (int)g_early_count; i++)
        on_stop_signal((int)g_early_signal);
    g_early_count = 0;
    ckr_stop_signals_release();
}

static void stop_set(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGUSR1);
}

static void set_handler(void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

static int is_early(const struct sigaction *sa)
{
    return !(sa->sa_flags & SA_SIGINFO) && sa->sa_handler == on_early_signal;
}

void ckr_stop_signals_defer(void)
{
    sigset_t set;
    stop_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    g_early_count = 0;
    set_handler(on_early_signal);
}

void ckr_stop_signals_release(void)
{
    struct sigaction cur;
    if (sigaction(SIGUSR1, NULL, &cur) == 0 && is_early(&cur)) {
        /* no run took the signals over: default handling again, and one
         * that came meanwhile has its default effect now */
        set_handler(SIG_DFL);
        if (g_early_count > 0) {
            g_early_count = 0;
            raise((int)g_early_signal);
        }
    }
    sigset_t set;
    stop_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void ckr_stop_signals_restore(const ckr_saved_handlers *old)
{
    /* the deferring handler is not put back: after a run, default handling */
    if (is_early(&old->term) || is_early(&old->intr) || is_early(&old->usr1)) {
        set_handler(SIG_DFL);
        return;
    }
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
