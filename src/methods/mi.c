/* mi.c -- mutual information between features and labels, estimated with the
 * interpolated lower bound I_alpha of Poole et al. (ICML 2019), METHODS.md s6.
 *
 * Pipeline:
 *  1. splits as the other trained methods (train/split.h): the critic is
 *     trained on the train split and the bound is evaluated on the val split,
 *     or on a seeded stratified 20% hold-out of train when there is none
 *     (info "eval=holdout=20%"); evaluating on data the critic never saw
 *     keeps the estimate a lower bound rather than a memorisation score;
 *  2. pca > 0: features replaced by their PCA scores (linalg/pca.h:
 *     0 < pca < 1 keeps the fewest components whose cumulative explained
 *     variance is strictly above pca, pca >= 1 keeps floor(pca) components),
 *     fitted on the train and evaluation rows together (unsupervised, labels
 *     unused);
 *  3. standardize=1: z-scored with train statistics;
 *  4. y = one-hot label (multilabel: the multi-hot label row);
 *  5. separable critic f(x, y) = h(y) . g(x), towers of `layers` x `hidden`
 *     ReLU layers and an `embed`-wide linear embedding, linear log-baseline
 *     of y (train/mi_critic.h), trained with Adam (lr 5e-4) on batches of
 *     K = 128 for at most `steps` steps;
 *  6. early stopping (patience > 0 and >= 10 training samples): a seeded
 *     20% of the critic's training samples (stratified by class) is set
 *     aside as a monitor set; every `check_every` steps the bound is averaged
 *     over 4 fixed monitor batches, the best critic (step 0 included) is kept
 *     and training stops after `patience` checks without improvement.  A
 *     critic trained to the end on a few hundred samples memorises them and
 *     its bound on unseen pairs collapses far below 0;
 *  7. score = mean of I_alpha (nats) over `eval_batches` batches of
 *     min(K, n_eval) evaluation pairs (one batch when that is all of them).
 * Defaults: the colab's critic shape at half width (2 x 128 hidden, embed
 * 32), Adam 5e-4, K = 128, at most 2000 steps, checks every 20 steps,
 * patience 5; a small pair (400 x 40, 7 classes) takes well under a second.
 * For discrete labels the true MI is at most H(Y) <= log C; alpha > 0 also
 * caps the bound near 1 + log(K/alpha).
 * No classifier is trained, so res->heldout stays NaN. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/memory.h"
#include "linalg/pca.h"
#include "methods/method.h"
#include "methods/mi.h"
#include "train/mi_critic.h"
#include "train/split.h"

#define MONITOR_BATCHES 4
#define MONITOR_MIN_TRAIN 10

CKR_CONFIG_FITS(ckr_mi_cfg);

#define CFG ckr_mi_cfg
static const ckr_param_def mi_params[] = {
    CKR_DOUBLE_PARAM(CFG, alpha, "0.01",
                     "interpolation: 0 = NWJ/TUBA-like, 1 = InfoNCE-like (paper: 0.01 and 0.5)"),
    CKR_DOUBLE_PARAM(CFG, pca, "0",
                     "0 = raw features; 0<pca<1 = PCA keeping that variance fraction; "
                     ">=1 = components"),
    CKR_INT_PARAM(CFG, steps, "2000", "at most this many Adam steps of critic training"),
    CKR_INT_PARAM(CFG, batch, "128", "pairs per batch K (bound uses K x K scores)"),
    CKR_DOUBLE_PARAM(CFG, lr, "5e-4", "Adam learning rate"),
    CKR_INT_PARAM(CFG, hidden, "128", "width of the critic's hidden layers"),
    CKR_INT_PARAM(CFG, layers, "2", "hidden ReLU layers per critic tower (0..4)"),
    CKR_INT_PARAM(CFG, embed, "32", "critic embedding dimension"),
    CKR_INT_PARAM(CFG, eval_batches, "16", "evaluation batches averaged for the score"),
    CKR_CHOICE_PARAM(CFG, standardize, "1", "1|0",
                     "z-score features (after PCA) with train-split mean / std"),
    CKR_INT_PARAM(CFG, patience, "5",
                  "early stopping on a 20% monitor split: checks without improvement; 0 = off"),
    CKR_INT_PARAM(CFG, check_every, "20", "steps between early-stopping checks"),
    CKR_PARAMS_END,
};

static int mi_check(const void *config, ckr_param_fault *fault)
{
    const CFG *c = config;
    if (!(c->alpha >= 0.0 && c->alpha <= 1.0))
        return ckr_param_refuse(fault, offsetof(CFG, alpha), "must be in [0, 1]");
    if (!(c->pca >= 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, pca), "must be >= 0");
    if (c->steps < 0)
        return ckr_param_refuse(fault, offsetof(CFG, steps), "must be >= 0");
    if (c->batch < 2)
        return ckr_param_refuse(fault, offsetof(CFG, batch), "must be >= 2");
    if (!(c->lr > 0.0))
        return ckr_param_refuse(fault, offsetof(CFG, lr), "must be > 0");
    if (c->hidden < 1)
        return ckr_param_refuse(fault, offsetof(CFG, hidden), "must be >= 1");
    if (c->layers < 0 || c->layers > 4)
        return ckr_param_refuse(fault, offsetof(CFG, layers), "must be in [0, 4]");
    if (c->embed < 1)
        return ckr_param_refuse(fault, offsetof(CFG, embed), "must be >= 1");
    if (c->eval_batches < 1)
        return ckr_param_refuse(fault, offsetof(CFG, eval_batches), "must be >= 1");
    if (c->patience < 0 || c->patience > INT_MAX)
        return ckr_param_refuse(fault, offsetof(CFG, patience), "must be in [0, 2147483647]");
    if (c->check_every < 1)
        return ckr_param_refuse(fault, offsetof(CFG, check_every), "must be >= 1");
    return 0;
}
#undef CFG

/* The critic options of a checked config. */
static ckr_mi_opts critic_opts(const ckr_mi_cfg *c)
{
    ckr_mi_opts o;
    memset(&o, 0, sizeof o);
    o.alpha = c->alpha;
    o.lr = c->lr;
    o.steps = (size_t)c->steps;
    o.batch = (size_t)c->batch;
    o.hidden = (size_t)c->hidden;
    o.layers = (int)c->layers;
    o.embed = (size_t)c->embed;
    o.eval_batches = (size_t)c->eval_batches;
    o.patience = (int)c->patience;
    o.check_every = (size_t)c->check_every;
    o.monitor_batches = MONITOR_BATCHES;
    return o;
}

static double mi_cost(const ckr_pair_shape *s, const ckr_params *p)
{
    const ckr_mi_cfg *c = ckr_params_config(p);
    ckr_mi_opts o = critic_opts(c);
    double pca = c->pca;
    size_t d = s->d, C = s->num_classes > 0 ? (size_t)s->num_classes : 1;
    double pca_cost = pca > 0.0 ? 2.0 * (double)(s->n + s->n_val) * (double)d * (double)d : 0.0;
    if (pca > 0.0 && pca < 1.0)
        d = d / 2 ? d / 2 : 1;
    else if (pca >= 1.0 && (size_t)pca < d)
        d = (size_t)pca;
    return pca_cost + (double)(o.steps + o.eval_batches) * ckr_mi_step_flops(d, C, &o);
}

/* Labels of the view's rows copied in view order (for re-based views). */
static int copy_labels(const ckr_ds *v, int **y, uint8_t **Y, ckr_err *err)
{
    size_t C = (size_t)v->C, n = v->n ? v->n : 1;
    *y = v->y ? malloc(n * sizeof(int)) : NULL;
    *Y = v->Y ? malloc(n * C) : NULL;
    if ((v->y && !*y) || (v->Y && !*Y))
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu labels", v->n);
    ckr_ds_gather_labels(v, NULL, 0, v->n, *y, *Y);
    return 0;
}

typedef struct pca_data {
    ckr_pca_result pr;
    int *ytr, *yev;
    uint8_t *Ytr, *Yev;
} pca_data;

static void pca_data_free(pca_data *d)
{
    ckr_pca_result_free(&d->pr);
    free(d->ytr);
    free(d->yev);
    free(d->Ytr);
    free(d->Yev);
}

/* Replace the train / eval views by PCA scores of their rows. */
static int apply_pca(ckr_split *sp, double pca, pca_data *pd, ckr_err *err)
{
    size_t ntr = sp->train.n, nev = sp->eval.n, D = sp->train.D;
    double *X = malloc((ntr + nev) * D * sizeof(double));
    if (!X)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu x %zu PCA input",
                           ntr + nev, D);
    ckr_ds_gather(&sp->train, NULL, 0, ntr, X);
    ckr_ds_gather(&sp->eval, NULL, 0, nev, X + ntr * D);
    int rc = ckr_pca_fit_transform(X, ntr + nev, D, pca, &pd->pr, err);
    free(X);
    if (!rc && pd->pr.d == 0)
        rc = ckr_err_set(err, CKR_ENUM, "PCA kept no component (zero variance)");
    if (!rc)
        rc = copy_labels(&sp->train, &pd->ytr, &pd->Ytr, err);
    if (!rc)
        rc = copy_labels(&sp->eval, &pd->yev, &pd->Yev, err);
    if (rc)
        return rc;
    size_t d = pd->pr.d;
    sp->train = (ckr_ds){ .X = pd->pr.scores, .D = d, .n = ntr, .kind = sp->train.kind,
                          .C = sp->train.C, .y = pd->ytr, .Y = pd->Ytr };
    sp->eval = (ckr_ds){ .X = pd->pr.scores + ntr * d, .D = d, .n = nev, .kind = sp->eval.kind,
                         .C = sp->eval.C, .y = pd->yev, .Y = pd->Yev };
    sp->test.n = 0;
    sp->test.D = d;
    return 0;
}

/* The critic's fit / monitor views: a seeded 20% of the training view
 * (stratified for multiclass) becomes the monitor set. */
typedef struct monitor_split {
    ckr_ds fit, mon;
    size_t *fit_idx, *mon_idx;
} monitor_split;

static void monitor_split_free(monitor_split *m)
{
    free(m->fit_idx);
    free(m->mon_idx);
}

static int make_monitor(const ckr_ds *tr, ckr_rng *rng, monitor_split *m, ckr_err *err)
{
    size_t n = tr->n, nf = 0, nm = 0, *fp = NULL, *mp = NULL;
    int *y = NULL, rc = 0;
    if (tr->kind == CKR_MULTICLASS && tr->y) {
        if (!(y = malloc(n * sizeof(int))))
            return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu labels", n);
        ckr_ds_gather_labels(tr, NULL, 0, n, y, NULL);
    }
    rc = ckr_holdout_split(n, y, tr->C, CKR_HOLDOUT_FRAC, rng, &fp, &nf, &mp, &nm, err);
    free(y);
    if (rc)
        return rc;
    for (size_t k = 0; k < nf; k++) /* positions -> base rows, in place */
        fp[k] = ckr_ds_row(tr, fp[k]);
    for (size_t k = 0; k < nm; k++)
        mp[k] = ckr_ds_row(tr, mp[k]);
    m->fit_idx = fp;
    m->mon_idx = mp;
    m->fit = *tr;
    m->fit.idx = fp;
    m->fit.n = nf;
    m->mon = *tr;
    m->mon.idx = mp;
    m->mon.n = nm;
    return 0;
}

static ckr_ds label_view(const ckr_ds *x)
{
    ckr_ds y = *x;
    y.X = NULL;
    y.mu = y.isd = NULL;
    return y;
}

static int mi_score(const ckr_pair *pair, const ckr_params *p, ckr_rng *rng, ckr_result *res)
{
    const ckr_mi_cfg *c = ckr_params_config(p);
    ckr_mi_opts o = critic_opts(c);
    double pca = c->pca;
    int standardize = c->standardize == CKR_SWITCH_ON, rc;
    ckr_split sp;
    pca_data pd;
    memset(&pd, 0, sizeof pd);
    ckr_err err = { 0, "" };
    ckr_mi_result mr;
    memset(&mr, 0, sizeof mr);
    monitor_split ms;
    memset(&ms, 0, sizeof ms);
    if ((rc = ckr_split_make(pair, standardize && pca == 0.0, &sp, &err)))
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    size_t D = sp.train.D;
    if (pca > 0.0 && (rc = apply_pca(&sp, pca, &pd, &err)))
        goto fail;
    if (pca > 0.0 && standardize && (rc = ckr_split_standardize(&sp, &err)))
        goto fail;
    int early = o.patience > 0 && sp.train.n >= MONITOR_MIN_TRAIN;
    if (early && (rc = make_monitor(&sp.train, rng, &ms, &err)))
        goto fail;
    const ckr_ds *xfit = early ? &ms.fit : &sp.train;
    ckr_ds yfit = label_view(xfit), ymon = label_view(&ms.mon), yev = label_view(&sp.eval);
    if ((rc = ckr_mi_estimate(xfit, &yfit, early ? &ms.mon : NULL, early ? &ymon : NULL,
                              &sp.eval, &yev, &o, rng, &mr, &err)))
        goto fail;
    snprintf(res->info, sizeof res->info,
             "alpha=%g d=%zu/%zu K=%zu steps=%zu/%zu kept=%zu monitor=%.4g eval=%s "
             "batches=%zux%zu sd=%.3g train_bound=%.4g logC=%.4g",
             o.alpha, sp.train.D, D, o.batch < xfit->n ? o.batch : xfit->n, mr.steps_run,
             o.steps, mr.best_step, mr.monitor_bound, ckr_split_eval_name(&sp),
             mr.n_eval_batches, mr.K_eval, mr.sd, mr.train_bound,
             log((double)pair->num_classes));
    rc = ckr_result_ok(res, mr.estimate);
    goto cleanup;
fail:
    rc = ckr_result_fail(res, rc, mr.diverged ? "diverged" : NULL, "%s", err.msg);
cleanup:
    monitor_split_free(&ms);
    pca_data_free(&pd);
    ckr_split_free(&sp);
    return rc;
}

const ckr_method ckr_method_mi = {
    .name = "mi",
    .summary = "mutual information I(features; label) by the I_alpha lower bound (Poole et "
               "al.) with a separable critic trained by Adam; score = bound on val, nats",
    .params = mi_params,
    .check = mi_check,
    .cost = mi_cost,
    .score = mi_score,
    .memory = ckr_memory_mi,
};
