/* progress.h -- progress lines on stderr: items done/total, rate, ETA.
 * Prints at most every `interval` seconds, plus a final line. */
#ifndef CKR_PROGRESS_H
#define CKR_PROGRESS_H

#include <stddef.h>

typedef struct ckr_progress {
    int enabled;
    size_t total;
    double t0, last, interval;
} ckr_progress;

/* Start counting towards `total` items from now; prints nothing unless
 * enabled. */
void ckr_progress_start(ckr_progress *p, size_t total, int enabled);
/* Report `done` items finished, `failed` of them not ok; force: print now. */
void ckr_progress_update(ckr_progress *p, size_t done, size_t failed, int force);

#endif
