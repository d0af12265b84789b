/* signals.c -- record stop signals for the coordinator to poll. */
#include "sched/signals.h"

#include <pthread.h>
#include <string.h>

static volatile sig_atomic_t g_stop_signal;

static void on_stop_signal(int sig) { g_stop_signal = sig; }

void ckr_stop_signals_install(ckr_saved_handlers *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    g_stop_signal = 0;
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
