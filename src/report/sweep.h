/* sweep.h -- the best grid point of each sweep, per pair.
 *
 * A sweep spec such as `finetune:lr=0.01|0.1,steps=500|1000` runs one item
 * per grid point; each of those rows carries the sweep spec in `sweep`. For
 * every (checkpoint, task, sweep) this adds a summary row right after the
 * grid points: method = sweep = the sweep spec, score/heldout of the grid
 * point with the highest score (the first one on ties), seconds and gflops
 * summed over the grid, info naming the chosen grid point, best = 1; the
 * chosen grid point row gets best = 1 as well. Existing summary rows are
 * dropped and rebuilt, so calling it again (after a merge) is safe. */
#ifndef CKR_SWEEP_H
#define CKR_SWEEP_H

#include "report/results.h"

int ckr_results_add_sweep_best(ckr_results *r, ckr_err *err);

#endif
