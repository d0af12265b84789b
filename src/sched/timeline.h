/* timeline.h -- an optional timeline of a run (stderr or a file per rank), for profiling.
 *
 * With CKPTRANK_TIMELINE set (and not "0") every rank prints, at the end of
 * the run (ckr_timeline_flush), lines
 *   ckptrank-timeline: rank R T.TTTTTT EVENT
 * where T is the wall clock (CLOCK_REALTIME, seconds since the epoch, so the
 * lines of all ranks and a shell's `date +%s.%N` share one axis). The run
 * marks its phases (start, setup done, queue done, outputs written, end) and
 * every item's start and end (pair and method), from which the schedule's
 * tail and each rank's idle time follow (bench/timeline.awk sums them).
 * Without the variable nothing is recorded and a mark costs one branch. */
#ifndef CKR_SCHED_TIMELINE_H
#define CKR_SCHED_TIMELINE_H

/* Whether the timeline is on (read once from the environment). */
int ckr_timeline_on(void);
/* Record one event (printf format, cut at about 100 characters) when the
 * timeline is on; rank is the caller's rank in the run's communicator.
 * Events are kept in memory (at most 100,000; later ones are counted as
 * lost) so that the marks do not perturb the run. Thread-safe. */
void ckr_timeline_mark(int rank, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print the recorded events, one line each, and forget them: on stderr
 * when CKPTRANK_TIMELINE is 1, else into the file CKPTRANK_TIMELINE.RANK
 * (the value is a path prefix: mpirun forwards the ranks' stderr in pieces
 * that can cut lines; falls back to stderr when the file cannot be made). */
void ckr_timeline_flush(int rank);

#endif
