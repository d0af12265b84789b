#include "train/lbfgs.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/flops.h"
#include "util/stop.h"

#define C1 1e-4
#define C2 0.9

void ckr_lbfgs_defaults(ckr_lbfgs_opts *o)
{
    o->m = 10;
    o->max_iter = 1000;
    o->gtol = 1e-6;
    o->ftol = 1e-13;
    o->max_ls = 40;
}

typedef struct state {
    size_t n;
    int m, npairs, head;        /* circular buffer: newest pair at head - 1 */
    double *S, *Y, *rho, *alpha;
    double *d, *xt, *gt, *xa, *ga;
    ckr_lbfgs_fn fn;
    void *ctx;
    int evals;
} state;

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    ckr_flops_add(2.0 * (double)n);
    return s;
}

static void axpy(double a, const double *x, double *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
    ckr_flops_add(2.0 * (double)n);
}

static double max_abs(const double *g, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fabs(g[i]) > m ? fabs(g[i]) : m;
    return m;
}

/* d = -H g by the two-loop recursion. */
static void direction(state *s, const double *g)
{
    size_t n = s->n;
    for (size_t i = 0; i < n; i++)
        s->d[i] = -g[i];
    if (s->npairs == 0)
        return;
    for (int k = 0; k < s->npairs; k++) {
        int j = (s->head - 1 - k + s->m) % s->m;
        s->alpha[j] = s->rho[j] * dot(s->S + (size_t)j * n, s->d, n);
        axpy(-s->alpha[j], s->Y + (size_t)j * n, s->d, n);
    }
    int newest = (s->head - 1 + s->m) % s->m;
    const double *yn = s->Y + (size_t)newest * n;
    double gamma = 1.0 / (s->rho[newest] * dot(yn, yn, n));
    for (size_t i = 0; i < n; i++)
        s->d[i] *= gamma;
    for (int k = s->npairs - 1; k >= 0; k--) {
        int j = (s->head - 1 - k + s->m) % s->m;
        double beta = s->rho[j] * dot(s->Y + (size_t)j * n, s->d, n);
        axpy(s->alpha[j] - beta, s->S + (size_t)j * n, s->d, n);
    }
}

static int eval_at(state *s, const double *x, double t, double *f, ckr_err *err)
{
    for (size_t i = 0; i < s->n; i++)
        s->xt[i] = x[i] + t * s->d[i];
    ckr_flops_add(2.0 * (double)s->n);
    s->evals++;
    return s->fn(s->ctx, s->xt, f, s->gt, err);
}

/* Weak-Wolfe search along d from (x, f, gd). On success xt / gt / *ft hold
 * the accepted point and *ok = 1; else if some step satisfied Armijo it is
 * returned in xt / gt (*ok = 2); else *ok = 0. */
static int line_search(state *s, const double *x, double f, double gd, double t,
                       int max_ls, double *ft, int *ok, ckr_err *err)
{
    double lo = 0.0, hi = INFINITY, fa = f;
    *ok = 0;
    for (int it = 0; it < max_ls; it++) {
        double fv;
        int rc = eval_at(s, x, t, &fv, err);
        if (rc)
            return rc;
        if (!isfinite(fv) || fv > f + C1 * t * gd) {
            hi = t;
        } else if (dot(s->gt, s->d, s->n) < C2 * gd) {
            lo = t;
            fa = fv;
            memcpy(s->xa, s->xt, s->n * sizeof(double));
            memcpy(s->ga, s->gt, s->n * sizeof(double));
            *ok = 2;
        } else {
            *ft = fv;
            *ok = 1;
            return 0;
        }
        t = isinf(hi) ? 2.0 * lo : 0.5 * (lo + hi);
        if (t == lo || t == hi)
            break;
    }
    if (*ok == 2) {
        memcpy(s->xt, s->xa, s->n * sizeof(double));
        memcpy(s->gt, s->ga, s->n * sizeof(double));
        *ft = fa;
    }
    return 0;
}

static void store_pair(state *s, const double *x, const double *g)
{
    size_t n = s->n;
    double *sv = s->S + (size_t)s->head * n, *yv = s->Y + (size_t)s->head * n;
    for (size_t i = 0; i < n; i++) {
        sv[i] = s->xt[i] - x[i];
        yv[i] = s->gt[i] - g[i];
    }
    ckr_flops_add(2.0 * (double)n);
    double sy = dot(sv, yv, n), ss = dot(sv, sv, n), yy = dot(yv, yv, n);
    if (!(sy > 1e-12 * sqrt(ss * yy)))
        return;
    s->rho[s->head] = 1.0 / sy;
    s->head = (s->head + 1) % s->m;
    if (s->npairs < s->m)
        s->npairs++;
}

static int alloc_state(state *s, size_t n, int m)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->m = m;
    s->S = malloc((size_t)m * n * sizeof(double));
    s->Y = malloc((size_t)m * n * sizeof(double));
    s->rho = malloc((size_t)m * sizeof(double));
    s->alpha = malloc((size_t)m * sizeof(double));
    s->d = malloc(n * sizeof(double));
    s->xt = malloc(n * sizeof(double));
    s->gt = malloc(n * sizeof(double));
    s->xa = malloc(n * sizeof(double));
    s->ga = malloc(n * sizeof(double));
    return s->S && s->Y && s->rho && s->alpha && s->d && s->xt && s->gt && s->xa && s->ga;
}

static void free_state(state *s)
{
    free(s->S);
    free(s->Y);
    free(s->rho);
    free(s->alpha);
    free(s->d);
    free(s->xt);
    free(s->gt);
    free(s->xa);
    free(s->ga);
}

/* One iteration: direction, line search (with one steepest-descent retry).
 * *moved = 0 when no acceptable step was found. */
static int iterate(state *s, double *x, double *g, double *f, const ckr_lbfgs_opts *o,
                   int *moved, ckr_err *err)
{
    *moved = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt == 1 && s->npairs == 0)
            break;
        if (attempt == 1)
            s->npairs = 0;
        direction(s, g);
        double gd = dot(g, s->d, s->n);
        if (!(gd < 0.0)) {
            s->npairs = 0;
            direction(s, g);
            gd = dot(g, s->d, s->n);
        }
        double t0 = s->npairs ? 1.0 : 1.0 / sqrt(-gd), ft = *f;
        int ok = 0, rc = line_search(s, x, *f, gd, t0, o->max_ls, &ft, &ok, err);
        if (rc)
            return rc;
        if (!ok)
            continue;
        store_pair(s, x, g);
        memcpy(x, s->xt, s->n * sizeof(double));
        memcpy(g, s->gt, s->n * sizeof(double));
        *f = ft;
        *moved = 1;
        return 0;
    }
    return 0;
}

int ckr_lbfgs(size_t n, double *x, ckr_lbfgs_fn fn, void *ctx, const ckr_lbfgs_opts *o,
              ckr_lbfgs_info *info, ckr_err *err)
{
    state s;
    double *g = malloc((n ? n : 1) * sizeof(double)), f = NAN;
    int rc = 0, m = o->m > 0 ? o->m : 10;
    memset(info, 0, sizeof *info);
    if (!alloc_state(&s, n ? n : 1, m) || !g) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for L-BFGS on %zu parameters", n);
        goto cleanup;
    }
    s.n = n;
    s.fn = fn;
    s.ctx = ctx;
    s.evals = 1;
    if ((rc = fn(ctx, x, &f, g, err)))
        goto cleanup;
    if (!isfinite(f)) {
        rc = ckr_err_set(err, CKR_ENUM, "objective is not finite at the starting point");
        goto cleanup;
    }
    info->stop = "maxiter";
    double gmax = max_abs(g, n);
    if (gmax <= o->gtol) {
        info->stop = "gtol";
        info->converged = 1;
    }
    while (!info->converged && info->iters < o->max_iter) {
        if (ckr_stop_requested()) {
            rc = ckr_err_set(err, CKR_EINTR, "L-BFGS stopped at iteration %d", info->iters + 1);
            goto cleanup;
        }
        double fold = f;
        int moved = 0;
        if ((rc = iterate(&s, x, g, &f, o, &moved, err)))
            goto cleanup;
        if (!moved) {
            info->stop = "linesearch";
            break;
        }
        info->iters++;
        gmax = max_abs(g, n);
        if (gmax <= o->gtol) {
            info->stop = "gtol";
            info->converged = 1;
        } else if (fold - f <= o->ftol * fmax(fmax(fabs(fold), fabs(f)), 1.0)) {
            info->stop = "ftol";
            info->converged = 1;
        }
    }
    info->f = f;
    info->gnorm = gmax;
    info->evals = s.evals;
cleanup:
    free_state(&s);
    free(g);
    return rc;
}
