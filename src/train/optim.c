#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/flops.h"

double ckr_lr_at(double lr, ckr_lr_schedule sched, size_t t, size_t T)
{
    if (sched != CKR_LR_STEP)
        return lr;
    static const double frac[3] = { 0.3, 0.6, 0.9 };
    for (int k = 0; k < 3; k++) {
        size_t b = (size_t)floor(frac[k] * (double)T);
        if (t > b)
            lr *= 0.1;
    }
    return lr;
}

int ckr_sgd_init(ckr_sgd *o, size_t n, double lr, double momentum, ckr_lr_schedule sched,
                 size_t total_steps, ckr_err *err)
{
    memset(o, 0, sizeof *o);
    o->v = calloc(n ? n : 1, sizeof(double));
    if (!o->v)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu SGD velocities", n);
    o->n = n;
    o->lr = lr;
    o->momentum = momentum;
    o->sched = sched;
    o->total = total_steps;
    return 0;
}

void ckr_sgd_step(ckr_sgd *o, double *theta, const double *grad)
{
    double lr = ckr_lr_at(o->lr, o->sched, o->t, o->total), mu = o->momentum;
    for (size_t i = 0; i < o->n; i++) {
        o->v[i] = mu * o->v[i] + grad[i];
        theta[i] -= lr * o->v[i];
    }
    o->t++;
    ckr_flops_add(4.0 * (double)o->n);
}

void ckr_sgd_free(ckr_sgd *o)
{
    free(o->v);
    memset(o, 0, sizeof *o);
}

int ckr_adam_init(ckr_adam *o, size_t n, double lr, ckr_err *err)
{
    memset(o, 0, sizeof *o);
    o->m = calloc(n ? n : 1, sizeof(double));
    o->v = calloc(n ? n : 1, sizeof(double));
    if (!o->m || !o->v) {
        ckr_adam_free(o);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu Adam moments", n);
    }
    o->n = n;
    o->lr = lr;
    o->b1 = 0.9;
    o->b2 = 0.999;
    o->eps = 1e-8;
    return 0;
}

void ckr_adam_step(ckr_adam *o, double *theta, const double *grad)
{
    o->t++;
    double c1 = 1.0 - pow(o->b1, (double)o->t), c2 = 1.0 - pow(o->b2, (double)o->t);
    for (size_t i = 0; i < o->n; i++) {
        double g = grad[i];
        o->m[i] = o->b1 * o->m[i] + (1.0 - o->b1) * g;
        o->v[i] = o->b2 * o->v[i] + (1.0 - o->b2) * g * g;
        theta[i] -= o->lr * (o->m[i] / c1) / (sqrt(o->v[i] / c2) + o->eps);
    }
    ckr_flops_add(12.0 * (double)o->n);
}

void ckr_adam_free(ckr_adam *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}
