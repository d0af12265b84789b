/* signals.h -- the stop signals of a run (SIGTERM, SIGINT, SIGUSR1).
 *
 * While installed, a stop signal only records its number (the handler is
 * async-signal-safe and does nothing else); the coordinator polls
 * ckr_stop_signal() and stops handing out work. Handlers are installed with
 * SA_RESTART so interrupted system calls resume. */
#ifndef CKR_SCHED_SIGNALS_H
#define CKR_SCHED_SIGNALS_H

#include <signal.h>

/* The handlers that were in place before ckr_stop_signals_install. */
typedef struct ckr_saved_handlers {
    struct sigaction term, intr, usr1;
} ckr_saved_handlers;

/* Clear the recorded signal and install the recording handler for SIGTERM,
 * SIGINT and SIGUSR1, saving the previous handlers into old; then release
 * the signals if they were deferred (a pending one is recorded now). */
void ckr_stop_signals_install(ckr_saved_handlers *old);
/* Put back the handlers saved by ckr_stop_signals_install. The recorded
 * signal number stays readable. */
void ckr_stop_signals_restore(const ckr_saved_handlers *old);
/* Hold the stop signals back (block them in the calling thread and the
 * threads it creates later), so one that arrives before a run has installed
 * its handlers (during MPI_Init, say, under srun) stays pending instead of
 * killing the process. main calls this before MPI_Init;
 * ckr_stop_signals_install releases them (a pending one is then recorded and
 * stops the run at once), and a command that runs nothing calls
 * ckr_stop_signals_release. */
void ckr_stop_signals_defer(void);
/* Unblock the stop signals in the calling thread (default handling again,
 * unless handlers are installed). */
void ckr_stop_signals_release(void);
/* The number of the last stop signal received since install, 0 if none. */
int ckr_stop_signal(void);

#endif
