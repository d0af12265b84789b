/* signals.h -- the stop signals of a run (SIGTERM, SIGINT, SIGUSR1).
 *
 * While installed, a stop signal records its number and counts; on the
 * rank that keeps the grace clock (rank 0, or the only rank) the first one
 * also starts the grace clock of the stop flag (util/stop.h: the flag rises
 * by itself when the grace period is over) and a second one raises the
 * flag at once. The handler is async-signal-safe and does nothing else; the
 * coordinator polls ckr_stop_signal() and stops handing out work, and long
 * computations poll ckr_stop_requested(). Handlers are installed with
 * SA_RESTART so interrupted system calls resume. */
#ifndef CKR_SCHED_SIGNALS_H
#define CKR_SCHED_SIGNALS_H

#include <signal.h>

/* The handlers that were in place before ckr_stop_signals_install. */
typedef struct ckr_saved_handlers {
    struct sigaction term, intr, usr1;
} ckr_saved_handlers;

/* Why an item was abandoned (ckr_stop_why_code, the ABANDON message). */
enum { CKR_STOP_WHY_NONE = 0, CKR_STOP_WHY_GRACE = 1, CKR_STOP_WHY_SECOND = 2 };

/* Clear the recorded signals, the reason and the stop flag
 * (ckr_stop_clear), and install the recording handler for SIGTERM, SIGINT
 * and SIGUSR1, saving the previous handlers into old; with keep_clock, the
 * first signal starts a grace clock of grace seconds and a second raises
 * the stop flag (without: signals are only recorded; another rank decides).
 * Then release the signals if they were deferred (a pending one is
 * recorded now). */
void ckr_stop_signals_install(ckr_saved_handlers *old, double grace, int keep_clock);
/* Put back the handlers saved by ckr_stop_signals_install. The recorded
 * signal number stays readable. */
void ckr_stop_signals_restore(const ckr_saved_handlers *old);
/* Hold the stop signals back (block them in the calling thread and the
 * threads it creates later, and record one delivered to a thread that does
 * not block them, e.g. a thread a library started before main), so one that
 * arrives before a run has installed its handlers (during MPI_Init, say,
 * under srun) waits instead of killing the process. main calls this before MPI_Init;
 * ckr_stop_signals_install releases them (a pending one is then recorded and
 * stops the run at once), and a command that runs nothing calls
 * ckr_stop_signals_release. */
void ckr_stop_signals_defer(void);
/* Unblock the stop signals in the calling thread. When no run has taken
 * them over since ckr_stop_signals_defer, default handling comes back and a
 * signal recorded meanwhile is raised again (it then has its default
 * effect). Installed run handlers stay. */
void ckr_stop_signals_release(void);
/* The number of the last stop signal received since install, 0 if none. */
int ckr_stop_signal(void);
/* Why the stop flag is up: CKR_STOP_WHY_SECOND after a second signal (or
 * when told so by ckr_stop_set_why), else CKR_STOP_WHY_GRACE when a signal
 * came or a reason was set, else CKR_STOP_WHY_NONE. */
int ckr_stop_why_code(void);
/* Record the reason given by the coordinator (a worker told to abandon). */
void ckr_stop_set_why(int why);
/* The status message of an item abandoned for the current reason:
 * "stopped by a second signal" or "abandoned after the grace period". */
const char *ckr_stop_why(void);

#endif
