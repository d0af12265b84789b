/* synth_data.c -- the data of a synthetic zoo (the model: synth_data.h). */
#include "zoo/synth_data.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEP 2.0            /* class-mean norm per unit of quality */
#define LOGIT_SCALE 3.0    /* target RMS of the source logits */
#define GT_NOISE 0.003     /* std of the noise on finetune_accuracy */
#define Q_PAIR_NOISE 0.1   /* log-normal spread of q_ct around q_c */

/* ---- names and sizes ------------------------------------------------------ */

static int task_classes(const ckr_synth_opts *o, int t) { return o->n_classes + 2 * t; }
static size_t ckpt_dim(const ckr_synth_opts *o, int c) { return o->dim + 8 * (size_t)(c % 3); }

static int digits(int n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void ckpt_name(char *buf, size_t cap, const ckr_synth_opts *o, int c)
{
    int w = digits(o->n_ckpts - 1); /* <= 6: synth.c checks n_ckpts */
    w = w < 2 ? 2 : w > 6 ? 6 : w;
    snprintf(buf, cap, "ckpt%0*d", w, c);
}

static void task_name(char *buf, size_t cap, const ckr_synth_opts *o, int t)
{
    int w = digits(o->n_tasks - 1);
    w = w > 6 ? 6 : w;
    snprintf(buf, cap, "task%0*d", w, t);
}

/* ---- random structure ------------------------------------------------- */

/* Distinct qualities in (0.2, 2): a seeded permutation of an even grid, jittered
 * by at most 0.3 of a grid step. */
int ckr_synth_make_qualities(const ckr_synth_opts *o, double *q)
{
    ckr_rng r;
    ckr_rng_seed_item(&r, o->seed, "", "", "synth-quality");
    size_t n = (size_t)o->n_ckpts;
    size_t *perm = malloc(n * sizeof *perm);
    if (!perm)
        return CKR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    ckr_rng_shuffle(&r, perm, n);
    for (size_t c = 0; c < n; c++) {
        double slot = (double)perm[c] + 0.5 + 0.6 * (ckr_rng_uniform(&r) - 0.5);
        q[c] = 0.2 + 1.8 * slot / (double)n;
    }
    free(perm);
    return 0;
}

static void make_multiclass_labels(ckr_rng *r, size_t n, int C, int *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = (int)(i % (size_t)C); /* every class occurs when n >= C */
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)ckr_rng_below(r, i);
        int t = y[i - 1];
        y[i - 1] = y[j];
        y[j] = t;
    }
}

/* 1..3 positives per sample. */
static void make_multilabel_labels(ckr_rng *r, size_t n, int C, uint8_t *Y)
{
    memset(Y, 0, n * (size_t)C);
    int kmax = C < 3 ? C : 3;
    for (size_t i = 0; i < n; i++) {
        int k = 1 + (int)ckr_rng_below(r, (uint64_t)kmax);
        for (int placed = 0; placed < k;) {
            size_t c = (size_t)ckr_rng_below(r, (uint64_t)C);
            if (!Y[i * (size_t)C + c]) {
                Y[i * (size_t)C + c] = 1;
                placed++;
            }
        }
    }
}

void ckr_synth_free_task(ckr_synth_task *st)
{
    free(st->y_tr);
    free(st->y_va);
    free(st->y_te);
    free(st->Y_tr);
    free(st->Y_va);
    free(st->Y_te);
}

/* Test labels from a stream of their own (the other labels do not change). */
static int make_test_labels(const ckr_synth_opts *o, ckr_synth_task *st)
{
    ckr_rng r;
    size_t C = (size_t)st->C;
    ckr_rng_seed_item(&r, o->seed, "", st->name, "synth-test-labels");
    if (st->ml) {
        if (!(st->Y_te = malloc(o->n_test * C)))
            return CKR_ENOMEM;
        make_multilabel_labels(&r, o->n_test, st->C, st->Y_te);
    } else {
        if (!(st->y_te = malloc(o->n_test * sizeof(int))))
            return CKR_ENOMEM;
        make_multiclass_labels(&r, o->n_test, st->C, st->y_te);
    }
    return 0;
}

int ckr_synth_make_task(const ckr_synth_opts *o, int t, ckr_synth_task *st)
{
    ckr_rng r;
    memset(st, 0, sizeof *st);
    task_name(st->name, sizeof st->name, o, t);
    st->C = task_classes(o, t);
    st->ml = o->multilabel && t == o->n_tasks - 1;
    ckr_rng_seed_item(&r, o->seed, "", st->name, "synth-labels");
    size_t C = (size_t)st->C;
    if (st->ml) {
        st->Y_tr = malloc(o->n_train * C);
        st->Y_va = malloc((o->n_val ? o->n_val : 1) * C);
        if (!st->Y_tr || !st->Y_va)
            return CKR_ENOMEM;
        make_multilabel_labels(&r, o->n_train, st->C, st->Y_tr);
        make_multilabel_labels(&r, o->n_val, st->C, st->Y_va);
    } else {
        st->y_tr = malloc(o->n_train * sizeof(int));
        st->y_va = malloc((o->n_val ? o->n_val : 1) * sizeof(int));
        if (!st->y_tr || !st->y_va)
            return CKR_ENOMEM;
        make_multiclass_labels(&r, o->n_train, st->C, st->y_tr);
        make_multiclass_labels(&r, o->n_val, st->C, st->y_va);
    }
    return o->n_test ? make_test_labels(o, st) : 0;
}

void ckr_synth_free_ckpt(ckr_synth_ckpt *k)
{
    free(k->role);
    free(k->src);
    free(k->scale);
    free(k->offset);
    free(k->relu);
    free(k->W);
    free(k->b);
}

static int make_columns(ckr_rng *r, ckr_synth_ckpt *k)
{
    size_t D = k->D, n_dead = D / 16, n_dup = D / 16;
    size_t *idx = malloc(D * sizeof *idx);
    if (!idx)
        return CKR_ENOMEM;
    for (size_t j = 0; j < D; j++) {
        idx[j] = j;
        k->role[j] = 0;
    }
    ckr_rng_shuffle(r, idx, D);
    for (size_t i = 0; i < n_dead; i++)
        k->role[idx[i]] = 1;
    for (size_t i = n_dead; i < n_dead + n_dup; i++)
        k->role[idx[i]] = 2;
    /* a duplicate copies a live column: the live ones are idx[n_dead + n_dup ..] */
    size_t n_live = D - n_dead - n_dup;
    size_t nth_live = 0;
    for (size_t j = 0; j < D; j++) {
        k->src[j] = j;
        if (k->role[j] == 2)
            k->src[j] = idx[n_dead + n_dup + (size_t)ckr_rng_below(r, n_live)];
        k->scale[j] = exp(0.3 * ckr_rng_normal(r));
        k->offset[j] = 0.5 + fabs(ckr_rng_normal(r));
        k->relu[j] = k->role[j] == 0 && (nth_live++ % 4 == 1);
    }
    free(idx);
    return 0;
}

static void make_head(ckr_rng *r, ckr_synth_ckpt *k)
{
    size_t D = k->D, Z = (size_t)k->Z;
    double ms = 0; /* mean over z of the expected squared logit */
    for (size_t j = 0; j < D; j++)
        for (size_t z = 0; z < Z; z++)
            k->W[j * Z + z] = ckr_rng_normal(r) / sqrt((double)D);
    for (size_t z = 0; z < Z; z++)
        for (size_t j = 0; j < D; j++)
            if (k->role[j] != 1)
                ms += (k->scale[j] * k->scale[j] + k->offset[j] * k->offset[j]) *
                      k->W[j * Z + z] * k->W[j * Z + z];
    ms /= (double)Z;
    double a = ms > 0 ? LOGIT_SCALE / sqrt(ms) : 1.0;
    for (size_t i = 0; i < D * Z; i++)
        k->W[i] = (float)(a * k->W[i]);
    for (size_t z = 0; z < Z; z++)
        k->b[z] = (float)(0.5 * ckr_rng_normal(r));
}

int ckr_synth_make_ckpt(const ckr_synth_opts *o, int c, double q, ckr_synth_ckpt *k)
{
    ckr_rng r;
    memset(k, 0, sizeof *k);
    ckpt_name(k->name, sizeof k->name, o, c);
    k->D = ckpt_dim(o, c);
    k->Z = o->logits ? o->z_source : 0;
    k->q = q;
    size_t D = k->D, Z = k->Z ? (size_t)k->Z : 1;
    k->role = malloc(D * sizeof *k->role);
    k->src = malloc(D * sizeof *k->src);
    k->scale = malloc(D * sizeof *k->scale);
    k->offset = malloc(D * sizeof *k->offset);
    k->relu = malloc(D * sizeof *k->relu);
    k->W = malloc(D * Z * sizeof *k->W);
    k->b = malloc(Z * sizeof *k->b);
    if (!k->role || !k->src || !k->scale || !k->offset || !k->relu || !k->W || !k->b)
        return CKR_ENOMEM;
    ckr_rng_seed_item(&r, o->seed, k->name, "", "synth-columns");
    if (make_columns(&r, k) != 0)
        return CKR_ENOMEM;
    if (k->Z) {
        ckr_rng_seed_item(&r, o->seed, k->name, "", "synth-head");
        make_head(&r, k);
    }
    return 0;
}

/* Class means C x D over the live columns, each of norm q * SEP. */
void ckr_synth_make_means(ckr_rng *r, const ckr_synth_ckpt *k, int C, double q, double *M)
{
    size_t D = k->D;
    for (int c = 0; c < C; c++) {
        double *m = M + (size_t)c * D, nn = 0;
        for (size_t j = 0; j < D; j++) {
            m[j] = k->role[j] == 0 ? ckr_rng_normal(r) : 0.0;
            nn += m[j] * m[j];
        }
        double s = nn > 0 ? q * SEP / sqrt(nn) : 0.0;
        for (size_t j = 0; j < D; j++)
            m[j] *= s;
    }
}

/* n samples of one split into x (n x D, float32-representable values). */
void ckr_synth_make_features(ckr_rng *r, const ckr_synth_ckpt *k, const ckr_synth_task *st,
                             const int *y, const uint8_t *Y, size_t n, const double *M,
                             double *x)
{
    size_t D = k->D, C = (size_t)st->C;
    for (size_t i = 0; i < n; i++) {
        double *xi = x + i * D;
        for (size_t j = 0; j < D; j++) {
            if (k->role[j] != 0)
                continue;
            double mu = 0;
            if (st->ml) {
                for (size_t c = 0; c < C; c++)
                    if (Y[i * C + c])
                        mu += M[c * D + j];
            } else {
                mu = M[(size_t)y[i] * D + j];
            }
            double v = k->scale[j] * (mu + ckr_rng_normal(r)) + k->offset[j];
            if (k->relu[j] && v < 0)
                v = 0;
            xi[j] = (float)v;
        }
        for (size_t j = 0; j < D; j++) {
            if (k->role[j] == 1)
                xi[j] = 0.0;
            else if (k->role[j] == 2)
                xi[j] = xi[k->src[j]];
        }
    }
}

/* logits = x W + b, rounded to float32. */
void ckr_synth_make_logits(const ckr_synth_ckpt *k, const double *x, size_t n, double *L)
{
    size_t D = k->D, Z = (size_t)k->Z;
    for (size_t i = 0; i < n; i++)
        for (size_t z = 0; z < Z; z++) {
            double s = k->b[z];
            for (size_t j = 0; j < D; j++)
                s += x[i * D + j] * k->W[j * Z + z];
            L[i * Z + z] = (float)s;
        }
}

/* ---- per pair ------------------------------------------------------------- */

double ckr_synth_pair_quality(ckr_rng *r, const ckr_synth_ckpt *k)
{
    return k->q * exp(Q_PAIR_NOISE * ckr_rng_normal(r));
}

double ckr_synth_finetune_accuracy(ckr_rng *r, const ckr_synth_task *st, double q)
{
    double chance = st->ml ? 0.3 : 1.0 / st->C;
    double acc = chance + (1.0 - chance) * (1.0 - exp(-1.5 * q)) + GT_NOISE * ckr_rng_normal(r);
    return acc < 0 ? 0 : acc > 1 ? 1 : acc;
}
