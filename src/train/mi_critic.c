#include "train/mi_critic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "train/batcher.h"
#include "train/ibound.h"
#include "train/mlp.h"
#include "train/optim.h"
#include "util/stop.h"

typedef struct critic {
    ckr_mlp g, h, base;
    size_t og, oh, ob, np;   /* offsets of the three parameter blocks, total */
    double *theta, *grad;
    size_t K, E;
    double *xb, *yb, *S, *dS, *db, *dG, *dH, *work;
} critic;

static void critic_free(critic *c)
{
    ckr_mlp_destroy(&c->g);
    ckr_mlp_destroy(&c->h);
    ckr_mlp_destroy(&c->base);
    free(c->theta);
    free(c->grad);
    free(c->xb);
    free(c->yb);
    free(c->S);
    free(c->dS);
    free(c->db);
    free(c->dG);
    free(c->dH);
    free(c->work);
    memset(c, 0, sizeof *c);
}

static int tower(ckr_mlp *m, size_t in, const ckr_mi_opts *o, size_t K, ckr_err *err)
{
    size_t dim[CKR_MLP_MAX_LAYERS + 1];
    int L = o->layers + 1;
    dim[0] = in;
    for (int l = 1; l < L; l++)
        dim[l] = o->hidden;
    dim[L] = o->embed;
    return ckr_mlp_create(m, L, dim, K, err);
}

static int critic_make(critic *c, size_t dx, size_t dy, const ckr_mi_opts *o, size_t K,
                       ckr_rng *rng, ckr_err *err)
{
    memset(c, 0, sizeof *c);
    size_t bdim[2] = { dy, 1 };
    int rc = tower(&c->g, dx, o, K, err);
    if (!rc)
        rc = tower(&c->h, dy, o, K, err);
    if (!rc)
        rc = ckr_mlp_create(&c->base, 1, bdim, K, err);
    if (rc)
        return rc;
    c->K = K;
    c->E = o->embed;
    c->og = 0;
    c->oh = c->g.nparams;
    c->ob = c->oh + c->h.nparams;
    c->np = c->ob + c->base.nparams;
    c->theta = calloc(c->np, sizeof(double));
    c->grad = calloc(c->np, sizeof(double));
    c->xb = malloc(K * dx * sizeof(double));
    c->yb = malloc(K * dy * sizeof(double));
    c->S = malloc(K * K * sizeof(double));
    c->dS = malloc(K * K * sizeof(double));
    c->db = malloc(K * sizeof(double));
    c->dG = malloc(K * c->E * sizeof(double));
    c->dH = malloc(K * c->E * sizeof(double));
    c->work = malloc(ckr_ibound_work_size(K) * sizeof(double));
    if (!c->theta || !c->grad || !c->xb || !c->yb || !c->S || !c->dS || !c->db || !c->dG ||
        !c->dH || !c->work)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the MI critic");
    ckr_mlp_init(&c->g, c->theta + c->og, rng, 0);
    ckr_mlp_init(&c->h, c->theta + c->oh, rng, 0);
    return 0;
}

/* Bound on the K' (<= K) pairs at positions pos; with grad, the gradient
 * of -I (the loss) goes into c->grad. */
static double critic_pass(critic *c, const ckr_ds *x, const ckr_ds *y, const size_t *pos,
                          size_t Kb, double alpha, int grad)
{
    size_t E = c->E;
    ckr_ds_gather(x, pos, 0, Kb, c->xb);
    ckr_ds_gather(y, pos, 0, Kb, c->yb);
    const double *G = ckr_mlp_forward(&c->g, c->theta + c->og, c->xb, Kb);
    const double *H = ckr_mlp_forward(&c->h, c->theta + c->oh, c->yb, Kb);
    const double *b = ckr_mlp_forward(&c->base, c->theta + c->ob, c->yb, Kb);
    ckr_dgemm(0, 1, Kb, Kb, E, 1.0, H, E, G, E, 0.0, c->S, Kb);
    if (!grad)
        return ckr_ibound(Kb, c->S, b, alpha, NULL, NULL, c->work);
    double I = ckr_ibound(Kb, c->S, b, alpha, c->dS, c->db, c->work);
    /* loss = -I: dH = -dS G, dG = -dS^T H, d(base) = -db */
    ckr_dgemm(0, 0, Kb, E, Kb, -1.0, c->dS, Kb, G, E, 0.0, c->dH, E);
    ckr_dgemm(1, 0, Kb, E, Kb, -1.0, c->dS, Kb, H, E, 0.0, c->dG, E);
    for (size_t i = 0; i < Kb; i++)
        c->db[i] = -c->db[i];
    memset(c->grad, 0, c->np * sizeof(double));
    ckr_mlp_backward(&c->g, c->theta + c->og, c->xb, Kb, c->dG, c->grad + c->og);
    ckr_mlp_backward(&c->h, c->theta + c->oh, c->yb, Kb, c->dH, c->grad + c->oh);
    ckr_mlp_backward(&c->base, c->theta + c->ob, c->yb, Kb, c->db, c->grad + c->ob);
    return I;
}

static int check_opts(const ckr_ds *xtr, const ckr_ds *ytr, const ckr_ds *xmon,
                      const ckr_ds *ymon, const ckr_ds *xev, const ckr_ds *yev,
                      const ckr_mi_opts *o, ckr_err *err)
{
    if (!(o->alpha >= 0.0 && o->alpha <= 1.0) || o->batch < 2 || o->hidden < 1 ||
        o->embed < 1 || o->layers < 0 || o->layers > CKR_MLP_MAX_LAYERS - 2 ||
        o->eval_batches < 1 || !(o->lr > 0.0) || o->patience < 0 ||
        (o->patience > 0 && (o->check_every < 1 || o->monitor_batches < 1)))
        return ckr_err_set(err, CKR_EARG, "MI options out of range (alpha in [0,1], batch >= 2, "
                           "hidden/embed >= 1, layers 0..%d, eval_batches >= 1, lr > 0, "
                           "patience >= 0, check_every and monitor_batches >= 1)",
                           CKR_MLP_MAX_LAYERS - 2);
    if (xtr->n != ytr->n || xev->n != yev->n || (!xmon) != (!ymon) ||
        (xmon && xmon->n != ymon->n))
        return ckr_err_set(err, CKR_EARG, "MI views of x and y differ in size");
    if (xtr->n < 2 || xev->n < 2 || (xmon && xmon->n < 2))
        return ckr_err_set(err, CKR_EDATA, "MI needs >= 2 training, monitor and evaluation "
                           "samples (have %zu, %zu, %zu)", xtr->n, xmon ? xmon->n : 0, xev->n);
    return 0;
}

/* Fixed batches of min(K, n) positions of a view: nb seeded draws (1 when
 * a batch is the whole view: the bound does not depend on the order). */
typedef struct fixed_batches {
    size_t nb, Kb;
    size_t *pos;  /* nb x Kb */
} fixed_batches;

static int draw_batches(fixed_batches *f, size_t n, size_t K, size_t nb, ckr_rng *rng,
                        ckr_err *err)
{
    memset(f, 0, sizeof *f);
    f->Kb = K < n ? K : n;
    f->nb = f->Kb == n ? 1 : nb;
    f->pos = malloc(f->nb * f->Kb * sizeof(size_t));
    if (!f->pos)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu batches", f->nb);
    ckr_batcher bat;
    int rc = ckr_batcher_init(&bat, n, f->Kb, 1, rng, err);
    if (rc)
        return rc;
    for (size_t b = 0; b < f->nb; b++) {
        const size_t *p;
        ckr_batcher_next(&bat, &p);
        memcpy(f->pos + b * f->Kb, p, f->Kb * sizeof(size_t));
    }
    ckr_batcher_free(&bat);
    return 0;
}

/* Mean (and sample sd) of the bound over fixed batches of a view. */
static double mean_bound(critic *c, const ckr_ds *x, const ckr_ds *y, const fixed_batches *f,
                         double alpha, double *sd)
{
    double sum = 0.0, sq = 0.0, nb = (double)f->nb;
    for (size_t b = 0; b < f->nb; b++) {
        double I = critic_pass(c, x, y, f->pos + b * f->Kb, f->Kb, alpha, 0);
        sum += I;
        sq += I * I;
    }
    double mean = sum / nb;
    if (sd)
        *sd = nb > 1 ? sqrt(fmax(0.0, (sq - nb * mean * mean) / (nb - 1.0))) : 0.0;
    return mean;
}

typedef struct monitor {
    const ckr_ds *x, *y;
    fixed_batches fb;
    double best;
    double *best_theta;
    int since;
} monitor;

/* One check; returns 1 when training should stop. */
static int monitor_check(critic *c, monitor *m, const ckr_mi_opts *o, size_t step,
                         double train_ema, ckr_mi_result *out)
{
    double v = mean_bound(c, m->x, m->y, &m->fb, o->alpha, NULL);
    if (v > m->best || step == 0) {
        m->best = v;
        m->since = 0;
        memcpy(m->best_theta, c->theta, c->np * sizeof(double));
        out->best_step = step;
        out->monitor_bound = v;
        out->train_bound = train_ema;
        return 0;
    }
    return ++m->since >= o->patience;
}

static int train(critic *c, const ckr_ds *x, const ckr_ds *y, monitor *mon,
                 const ckr_mi_opts *o, ckr_rng *rng, ckr_mi_result *out, ckr_err *err)
{
    ckr_batcher bat;
    ckr_adam adam;
    memset(&adam, 0, sizeof adam);
    int rc = ckr_batcher_init(&bat, x->n, c->K, 1, rng, err);
    if (rc)
        return rc;
    if ((rc = ckr_adam_init(&adam, c->np, o->lr, err)))
        goto cleanup;
    /* training bound: mean over the steps since the last check (monitor) or
     * over the last 10% of the steps */
    size_t tail = o->steps / 10 ? o->steps / 10 : 1, wn = 0;
    double wsum = 0.0;
    if (mon)
        monitor_check(c, mon, o, 0, NAN, out);
    for (size_t t = 0; t < o->steps; t++) {
        if (ckr_stop_requested()) {
            rc = ckr_err_set(err, CKR_EINTR, "critic training stopped at step %zu", t + 1);
            goto cleanup;
        }
        const size_t *pos;
        size_t Kb = ckr_batcher_next(&bat, &pos);
        double I = critic_pass(c, x, y, pos, Kb, o->alpha, 1);
        if (!isfinite(I)) {
            out->diverged = 1;
            rc = ckr_err_set(err, CKR_ENUM, "critic training diverged: bound is not finite at "
                             "step %zu of %zu (lr=%g)", t + 1, o->steps, o->lr);
            goto cleanup;
        }
        ckr_adam_step(&adam, c->theta, c->grad);
        out->steps_run = t + 1;
        if (mon || o->steps - t <= tail) {
            wsum += I;
            wn++;
        }
        if (mon && (t + 1) % o->check_every == 0) {
            int stop = monitor_check(c, mon, o, t + 1, wsum / (double)wn, out);
            wsum = 0.0;
            wn = 0;
            if (stop)
                break;
        }
    }
    if (mon) {
        if (wn)
            monitor_check(c, mon, o, out->steps_run, wsum / (double)wn, out);
        memcpy(c->theta, mon->best_theta, c->np * sizeof(double));
    } else {
        out->best_step = out->steps_run;
        out->train_bound = wn ? wsum / (double)wn : NAN;
    }
cleanup:
    ckr_batcher_free(&bat);
    ckr_adam_free(&adam);
    return rc;
}

int ckr_mi_estimate(const ckr_ds *xtr, const ckr_ds *ytr, const ckr_ds *xmon,
                    const ckr_ds *ymon, const ckr_ds *xev, const ckr_ds *yev,
                    const ckr_mi_opts *o, ckr_rng *rng, ckr_mi_result *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    out->estimate = out->train_bound = out->monitor_bound = NAN;
    int rc = check_opts(xtr, ytr, xmon, ymon, xev, yev, o, err);
    if (rc)
        return rc;
    critic c;
    monitor mon = { .x = xmon, .y = ymon, .best = -INFINITY };
    int use_mon = xmon && o->patience > 0;
    fixed_batches ev = { 0, 0, NULL };
    size_t K = o->batch < xtr->n ? o->batch : xtr->n;
    rc = critic_make(&c, ckr_ds_input_dim(xtr), ckr_ds_input_dim(ytr), o, K, rng, err);
    if (!rc && use_mon) {
        rc = draw_batches(&mon.fb, xmon->n, K, o->monitor_batches, rng, err);
        if (!rc && !(mon.best_theta = malloc(c.np * sizeof(double))))
            rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for the MI critic");
    }
    if (!rc)
        rc = train(&c, xtr, ytr, use_mon ? &mon : NULL, o, rng, out, err);
    if (!rc)
        rc = draw_batches(&ev, xev->n, K, o->eval_batches, rng, err);
    if (!rc) {
        out->estimate = mean_bound(&c, xev, yev, &ev, o->alpha, &out->sd);
        out->K_eval = ev.Kb;
        out->n_eval_batches = ev.nb;
    }
    free(ev.pos);
    free(mon.fb.pos);
    free(mon.best_theta);
    critic_free(&c);
    return rc;
}

double ckr_mi_step_flops(size_t dx, size_t dy, const ckr_mi_opts *o)
{
    double K = (double)o->batch, H = (double)o->hidden, E = (double)o->embed;
    double hh = o->layers > 1 ? (double)(o->layers - 1) * H * H : 0.0;
    double first_x = o->layers ? (double)dx * H : (double)dx * E;
    double first_y = o->layers ? (double)dy * H : (double)dy * E;
    double last = o->layers ? H * E : 0.0;
    double tower_fwd = 2.0 * K * (first_x + first_y + 2.0 * hh + 2.0 * last);
    double params = first_x + first_y + 2.0 * (hh + last) + (double)dy;
    return 3.0 * tower_fwd + 2.0 * K * K * E * 3.0 + 42.0 * K * K + 12.0 * params;
}
