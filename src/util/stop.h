/* stop.h -- the stop flag that long computations poll.
 *
 * A run may be asked to give up the item it is computing (the grace period
 * after a stop signal ran out, or a second signal came). Code with long
 * loops (EM iterations, k-means, trainer steps, MI steps, waits) calls
 * ckr_stop_requested() once per iteration and, when it returns nonzero,
 * frees what it holds and returns CKR_EINTR; the item is then recorded as
 * not run. Polling is cheap: an atomic load, plus the installed hook (which
 * rate-limits itself) when one is set.
 *
 * Code inside a team (several ranks computing one pair collectively) must
 * not act on its own rank's answer alone: it agrees the flag with the team
 * (e.g. an extra element in the per-iteration allreduce, max over ranks) so
 * that every rank leaves the loop at the same iteration.
 *
 * The scheduler (sched/) raises the flag and may install a hook that looks
 * for an abandon message from the coordinator. Lower layers only poll. */
#ifndef CKR_UTIL_STOP_H
#define CKR_UTIL_STOP_H

/* Nonzero when the item being computed should be abandoned now. Calls the
 * hook (if any) and raises the flag when the hook returns nonzero. Safe from
 * any thread. */
int ckr_stop_requested(void);
/* Raise the flag (async-signal-safe). */
void ckr_stop_raise(void);
/* Lower the flag and stop the grace clock (the scheduler, between runs). */
void ckr_stop_clear(void);
/* Start the grace clock (async-signal-safe): the flag rises by itself
 * once `seconds` (>= 0) have passed on the monotonic clock, seen by the
 * first ckr_stop_requested() after that. A clock already running is kept. */
void ckr_stop_arm(double seconds);
/* Install fn(ctx) as the hook ckr_stop_requested consults (NULL: none).
 * Not async-signal-safe; set it before computing starts. */
void ckr_stop_set_hook(int (*fn)(void *ctx), void *ctx);

#endif
