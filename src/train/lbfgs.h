/* lbfgs.h -- limited-memory BFGS for smooth unconstrained minimisation.
 *
 * Two-loop recursion with the last m correction pairs (initial Hessian
 * scaled by s'y / y'y), a weak-Wolfe line search by bisection / doubling
 * (Armijo c1 = 1e-4, curvature c2 = 0.9; first trial step 1, or 1/||g||_2
 * on the first iteration and after a memory reset).  A pair with
 * s'y <= 1e-12 * ||s|| ||y|| is not stored.  A non-descent direction or a
 * failed line search resets the memory and retries steepest descent once.
 *
 * Stops when (checked in this order after each iteration):
 *   max |g_i| <= gtol                              stop = "gtol"
 *   (f_old - f_new) <= ftol * max(|f_old|, |f_new|, 1)   "ftol"
 *   iters == max_iter                              "maxiter"
 *   the line search fails even from steepest descent   "linesearch"
 * converged = 1 for gtol and ftol.
 * FLOPs: the vector work (2 per multiply-add) is counted here; the
 * objective counts its own. */
#ifndef CKR_TRAIN_LBFGS_H
#define CKR_TRAIN_LBFGS_H

#include <stddef.h>

#include "util/err.h"

/* f(x) and its gradient g (n); return 0 or a negative CKR_E* code (which
 * aborts the minimisation). A non-finite f is treated as "step too long". */
typedef int (*ckr_lbfgs_fn)(void *ctx, const double *x, double *f, double *g, ckr_err *err);

typedef struct ckr_lbfgs_opts {
    int m;            /* memory (default 10) */
    int max_iter;     /* default 1000 */
    double gtol;      /* default 1e-6 */
    double ftol;      /* default 1e-13 */
    int max_ls;       /* line-search evaluations per iteration (default 40) */
} ckr_lbfgs_opts;

typedef struct ckr_lbfgs_info {
    int iters, evals, converged;
    double f, gnorm;  /* final objective and max |g_i| */
    const char *stop;
} ckr_lbfgs_info;

void ckr_lbfgs_defaults(ckr_lbfgs_opts *o);

/* Minimise from x (n), leaving the final iterate in x. Polls the stop flag
 * (util/stop.h) once per iteration. Returns 0 (whatever the stop reason, see
 * info) or the objective's / CKR_ENOMEM / CKR_ENUM (non-finite objective at
 * the start) / CKR_EINTR (the stop flag rose) error. */
int ckr_lbfgs(size_t n, double *x, ckr_lbfgs_fn fn, void *ctx, const ckr_lbfgs_opts *o,
              ckr_lbfgs_info *info, ckr_err *err);

#endif
