/* synth.c -- write a synthetic zoo whose transferability is known.
 *
 * Checkpoint c has a quality q_c in (0.2, 2) (a seeded permutation of an
 * even grid plus jitter, so the values are distinct).  For a pair (c, t) the
 * true separation is q_ct = q_c * exp(0.1 * noise); task t's class means are
 * q_ct * SEP * (random unit vectors over the checkpoint's live columns), a
 * sample is its class mean (multilabel: the sum of its classes' means) plus
 * N(0, 1) noise, then per column scaled, shifted to a non-zero mean and for
 * every fourth live column passed through max(0, .).  Each checkpoint also
 * has dead (all-zero) and duplicated columns.  The source head is a random
 * D x Z matrix scaled so that logits are O(3); logits = features * W + b
 * (W and b are written as the pair's top layer, schema 1.1).
 * finetune_accuracy = chance + (1 - chance) * (1 - exp(-1.5 q_ct)) plus
 * N(0, 0.003^2) noise: apart from the noise a strictly increasing function
 * of the true separation, which a good score must therefore rank.
 *
 * With n_test > 0 each task also gets a held-out test split (schema 1.1:
 * test_labels, test_features, test_logits) drawn from streams of its own, so
 * adding it changes nothing else in the file; with n_test == 0 (the default)
 * the output is the same as before the option existed.
 *
 * Every random stream is ckr_rng_seed_item(seed, checkpoint, task, purpose),
 * and HDF5 object timestamps are off, so equal options give equal bytes. */
#include "zoo/zoo.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/rng.h"
#include "zoo/h5util.h"

#define SEP 2.0            /* class-mean norm per unit of quality */
#define LOGIT_SCALE 3.0    /* target RMS of the source logits */
#define GT_NOISE 0.003     /* std of the noise on finetune_accuracy */
#define Q_PAIR_NOISE 0.1   /* log-normal spread of q_ct around q_c */

typedef struct {
    const char *path;
    hid_t file, gcpl, dcpl;
    ckr_err *err;
} writer;

/* ---- options and names ------------------------------------------------ */

void ckr_synth_defaults(ckr_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_ckpts = 8;
    o->n_tasks = 3;
    o->n_classes = 5;
    o->n_train = 400;
    o->n_val = 100;
    o->dim = 32;
    o->multilabel = 0;
    o->logits = 1;
    o->z_source = 10;
    o->seed = 1;
    o->n_test = 0;
}

static int task_classes(const ckr_synth_opts *o, int t) { return o->n_classes + 2 * t; }
static size_t ckpt_dim(const ckr_synth_opts *o, int c) { return o->dim + 8 * (size_t)(c % 3); }

static int check_opts(const char *path, const ckr_synth_opts *o, ckr_err *err)
{
    const size_t big = (size_t)1 << 28;
    if (!path || !*path)
        return ckr_err_set(err, CKR_EARG, "synth: empty output file name");
    if (o->n_ckpts < 1 || o->n_ckpts > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: %d checkpoints, need 1..100000", o->n_ckpts);
    if (o->n_tasks < 1 || o->n_tasks > 10000)
        return ckr_err_set(err, CKR_EARG, "synth: %d tasks, need 1..10000", o->n_tasks);
    if (o->n_classes < 2 || o->n_classes > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: %d classes, need 2..100000", o->n_classes);
    if (o->n_train < 2 || o->n_train > big || o->n_val > big)
        return ckr_err_set(err, CKR_EARG, "synth: %zu train / %zu val samples, need 2..%zu train",
                           o->n_train, o->n_val, big);
    if (o->n_test > big)
        return ckr_err_set(err, CKR_EARG, "synth: %zu test samples, need 0..%zu", o->n_test, big);
    if (o->dim < 1 || o->dim > 100000)
        return ckr_err_set(err, CKR_EARG, "synth: dim %zu, need 1..100000", o->dim);
    if (o->logits && (o->z_source < 2 || o->z_source > 100000))
        return ckr_err_set(err, CKR_EARG, "synth: %d source classes, need 2..100000", o->z_source);
    return 0;
}

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
    int w = digits(o->n_ckpts - 1); /* <= 6 by check_opts */
    w = w < 2 ? 2 : w > 6 ? 6 : w;
    snprintf(buf, cap, "ckpt%0*d", w, c);
}

static void task_name(char *buf, size_t cap, const ckr_synth_opts *o, int t)
{
    int w = digits(o->n_tasks - 1);
    w = w > 6 ? 6 : w;
    snprintf(buf, cap, "task%0*d", w, t);
}

/* ---- HDF5 writing ----------------------------------------------------- */

static int write_fail(writer *w, const char *obj, const char *what)
{
    char h5[256];
    ckr_h5_last_error(h5, sizeof h5);
    return ckr_err_set(w->err, CKR_EIO, "%s: %s: cannot write %s (%s)", w->path, obj, what,
                       h5[0] ? h5 : "HDF5 error");
}

static int attr_write(writer *w, hid_t obj, const char *objpath, const char *name, hid_t ftype,
                      hid_t mtype, const void *val)
{
    return ckr_h5_attr_write(obj, name, ftype, mtype, val, 0) ? write_fail(w, objpath, name) : 0;
}

static int attr_string(writer *w, hid_t obj, const char *objpath, const char *name,
                       const char *val)
{
    return ckr_h5_attr_write_str(obj, name, val) ? write_fail(w, objpath, name) : 0;
}

static int attr_int(writer *w, hid_t obj, const char *objpath, const char *name, int v)
{
    return attr_write(w, obj, objpath, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

static int attr_double(writer *w, hid_t obj, const char *objpath, const char *name, double v)
{
    return attr_write(w, obj, objpath, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

/* Write a rank-1 (cols == 0) or rank-2 dataset. */
static int dset_write(writer *w, hid_t loc, const char *locpath, const char *name, hid_t ftype,
                      hid_t mtype, size_t rows, size_t cols, const void *data)
{
    char obj[CKR_ZOO_OBJ_MAX];
    snprintf(obj, sizeof obj, "%s/%s", locpath, name);
    hsize_t dims[2] = {rows, cols};
    hid_t space = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = space >= 0 ? H5Dcreate2(loc, name, ftype, space, H5P_DEFAULT, w->dcpl, H5P_DEFAULT)
                         : -1;
    int ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    if (d >= 0)
        H5Dclose(d);
    if (space >= 0)
        H5Sclose(space);
    return ok ? 0 : write_fail(w, obj, "dataset");
}

static hid_t group_create(writer *w, hid_t loc, const char *name, const char *objpath)
{
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0)
        write_fail(w, objpath, "group");
    return g;
}

/* ---- random structure ------------------------------------------------- */

/* Distinct qualities in (0.2, 2): a seeded permutation of an even grid, jittered
 * by at most 0.3 of a grid step. */
static int make_qualities(const ckr_synth_opts *o, double *q)
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

/* The splits of a task; SPLIT_TEST exists only when n_test > 0. */
enum { SPLIT_TRAIN = 0, SPLIT_VAL = 1, SPLIT_TEST = 2 };
static const char *const SPLIT_FEATURES[3] = {"train_features", "val_features", "test_features"};
static const char *const SPLIT_LOGITS[3] = {"train_logits", "val_logits", "test_logits"};

typedef struct {
    char name[64];
    int C, ml;
    int *y_tr, *y_va, *y_te;
    uint8_t *Y_tr, *Y_va, *Y_te;
} synth_task;

static void free_task(synth_task *t)
{
    free(t->y_tr);
    free(t->y_va);
    free(t->y_te);
    free(t->Y_tr);
    free(t->Y_va);
    free(t->Y_te);
}

/* Test labels from a stream of their own (the other labels do not change). */
static int make_test_labels(const ckr_synth_opts *o, synth_task *st)
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

static int make_task(const ckr_synth_opts *o, int t, synth_task *st)
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

/* Per-checkpoint column structure and source head. */
typedef struct {
    char name[64];
    size_t D;
    int Z;
    double q;
    int *role;          /* 0 live, 1 dead, 2 duplicate of src[j] */
    size_t *src;
    double *scale, *offset;
    int *relu;
    double *W, *b;      /* D x Z head and Z bias, float32-representable */
} synth_ckpt;

static void free_ckpt(synth_ckpt *k)
{
    free(k->role);
    free(k->src);
    free(k->scale);
    free(k->offset);
    free(k->relu);
    free(k->W);
    free(k->b);
}

static int make_columns(ckr_rng *r, synth_ckpt *k)
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

static void make_head(ckr_rng *r, synth_ckpt *k)
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

static int make_ckpt(const ckr_synth_opts *o, int c, double q, synth_ckpt *k)
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
static void make_means(ckr_rng *r, const synth_ckpt *k, int C, double q, double *M)
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
static void make_features(ckr_rng *r, const synth_ckpt *k, const synth_task *st, const int *y,
                          const uint8_t *Y, size_t n, const double *M, double *x)
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
static void make_logits(const synth_ckpt *k, const double *x, size_t n, double *L)
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

/* ---- writing the zoo -------------------------------------------------- */

static int write_split(writer *w, hid_t g, const char *gpath, const synth_ckpt *k,
                       const synth_task *st, ckr_rng *r, const double *M, int split, size_t n)
{
    const int *y = split == SPLIT_TEST ? st->y_te : split == SPLIT_VAL ? st->y_va : st->y_tr;
    const uint8_t *Y = split == SPLIT_TEST ? st->Y_te : split == SPLIT_VAL ? st->Y_va : st->Y_tr;
    size_t D = k->D, Z = (size_t)k->Z;
    double *x = calloc(n * D, sizeof *x), *L = k->Z ? malloc(n * Z * sizeof *L) : NULL;
    int rc = 0;
    if (!x || (k->Z && !L)) {
        rc = ckr_err_set(w->err, CKR_ENOMEM, "%s: %s: out of memory", w->path, gpath);
        goto cleanup;
    }
    make_features(r, k, st, y, Y, n, M, x);
    rc = dset_write(w, g, gpath, SPLIT_FEATURES[split], H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, n,
                    D, x);
    if (rc == 0 && k->Z) {
        make_logits(k, x, n, L);
        rc = dset_write(w, g, gpath, SPLIT_LOGITS[split], H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, n,
                        Z, L);
    }
cleanup:
    free(x);
    free(L);
    return rc;
}

static int write_pair(writer *w, const ckr_synth_opts *o, hid_t cg, const char *cpath,
                      const synth_ckpt *k, const synth_task *st)
{
    char gpath[CKR_ZOO_OBJ_MAX];
    snprintf(gpath, sizeof gpath, "%s/%s", cpath, st->name);
    ckr_rng r;
    ckr_rng_seed_item(&r, o->seed, k->name, st->name, "synth-features");
    double q = k->q * exp(Q_PAIR_NOISE * ckr_rng_normal(&r));
    double *M = malloc((size_t)st->C * k->D * sizeof *M);
    if (!M)
        return ckr_err_set(w->err, CKR_ENOMEM, "%s: %s: out of memory", w->path, gpath);
    make_means(&r, k, st->C, q, M);
    hid_t g = group_create(w, cg, st->name, gpath);
    int rc = g < 0 ? CKR_EIO : 0;
    if (rc == 0)
        rc = write_split(w, g, gpath, k, st, &r, M, SPLIT_TRAIN, o->n_train);
    if (rc == 0 && o->n_val)
        rc = write_split(w, g, gpath, k, st, &r, M, SPLIT_VAL, o->n_val);
    if (rc == 0 && o->n_test) {
        /* same class means, noise from a stream of its own: r (and with it
         * finetune_accuracy below) is the same with or without a test split */
        ckr_rng rt;
        ckr_rng_seed_item(&rt, o->seed, k->name, st->name, "synth-test-features");
        rc = write_split(w, g, gpath, k, st, &rt, M, SPLIT_TEST, o->n_test);
    }
    if (rc == 0 && k->Z) {
        rc = dset_write(w, g, gpath, "top_weights", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, k->D,
                        (size_t)k->Z, k->W);
        if (rc == 0)
            rc = dset_write(w, g, gpath, "top_bias", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE,
                            (size_t)k->Z, 0, k->b);
    }
    if (rc == 0) {
        double chance = st->ml ? 0.3 : 1.0 / st->C;
        double acc = chance + (1.0 - chance) * (1.0 - exp(-1.5 * q)) +
                     GT_NOISE * ckr_rng_normal(&r);
        acc = acc < 0 ? 0 : acc > 1 ? 1 : acc;
        rc = attr_double(w, g, gpath, "finetune_accuracy", acc);
        if (rc == 0)
            rc = attr_double(w, g, gpath, "synth_quality", q);
    }
    if (g >= 0)
        H5Gclose(g);
    free(M);
    return rc;
}

static int write_task(writer *w, const ckr_synth_opts *o, hid_t tasks, const synth_task *st)
{
    char gpath[CKR_ZOO_OBJ_MAX];
    snprintf(gpath, sizeof gpath, "/tasks/%s", st->name);
    hid_t g = group_create(w, tasks, st->name, gpath);
    if (g < 0)
        return CKR_EIO;
    int rc = attr_int(w, g, gpath, "num_classes", st->C);
    if (rc == 0)
        rc = attr_string(w, g, gpath, "kind", st->ml ? "multilabel" : "multiclass");
    size_t C = (size_t)st->C;
    if (rc == 0 && st->ml) {
        rc = dset_write(w, g, gpath, "train_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, o->n_train,
                        C, st->Y_tr);
        if (rc == 0 && o->n_val)
            rc = dset_write(w, g, gpath, "val_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8, o->n_val,
                            C, st->Y_va);
        if (rc == 0 && o->n_test)
            rc = dset_write(w, g, gpath, "test_labels", H5T_STD_U8LE, H5T_NATIVE_UINT8,
                            o->n_test, C, st->Y_te);
    } else if (rc == 0) {
        rc = dset_write(w, g, gpath, "train_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_train,
                        0, st->y_tr);
        if (rc == 0 && o->n_val)
            rc = dset_write(w, g, gpath, "val_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_val, 0,
                            st->y_va);
        if (rc == 0 && o->n_test)
            rc = dset_write(w, g, gpath, "test_labels", H5T_STD_I32LE, H5T_NATIVE_INT, o->n_test,
                            0, st->y_te);
    }
    H5Gclose(g);
    return rc;
}

static int write_root_attrs(writer *w, const ckr_synth_opts *o)
{
    char desc[256];
    int len = snprintf(desc, sizeof desc,
                       "ckpts=%d tasks=%d classes=%d train=%zu val=%zu dim=%zu multilabel=%d "
                       "logits=%d z=%d seed=%lu", o->n_ckpts, o->n_tasks, o->n_classes,
                       o->n_train, o->n_val, o->dim, o->multilabel, o->logits, o->z_source,
                       o->seed);
    if (o->n_test && len > 0 && (size_t)len < sizeof desc) /* absent when 0: same bytes as before */
        snprintf(desc + len, sizeof desc - (size_t)len, " test=%zu", o->n_test);
    int rc = attr_string(w, w->file, "/", "format", CKR_ZOO_FORMAT);
    if (rc == 0)
        rc = attr_int(w, w->file, "/", "format_version", CKR_ZOO_VERSION);
    if (rc == 0)
        rc = attr_int(w, w->file, "/", "format_minor", 1);
    if (rc == 0)
        rc = attr_string(w, w->file, "/", "created_by", "ckptrank synth");
    if (rc == 0)
        rc = attr_string(w, w->file, "/", "synth_options", desc);
    return rc;
}

static int write_ckpts(writer *w, const ckr_synth_opts *o, const synth_task *tasks,
                       const double *q)
{
    hid_t cks = group_create(w, w->file, "checkpoints", "/checkpoints");
    if (cks < 0)
        return CKR_EIO;
    int rc = 0;
    for (int c = 0; rc == 0 && c < o->n_ckpts; c++) {
        synth_ckpt k;
        char cpath[128], src[64];
        rc = make_ckpt(o, c, q[c], &k);
        if (rc != 0) {
            ckr_err_set(w->err, rc, "%s: /checkpoints: out of memory", w->path);
            free_ckpt(&k);
            break;
        }
        snprintf(cpath, sizeof cpath, "/checkpoints/%s", k.name);
        snprintf(src, sizeof src, "synthetic q=%.4f", q[c]);
        hid_t cg = group_create(w, cks, k.name, cpath);
        rc = cg < 0 ? CKR_EIO : 0;
        if (rc == 0)
            rc = attr_string(w, cg, cpath, "arch", "synth-mlp");
        if (rc == 0)
            rc = attr_string(w, cg, cpath, "source", src);
        for (int t = 0; rc == 0 && t < o->n_tasks; t++)
            rc = write_pair(w, o, cg, cpath, &k, &tasks[t]);
        if (cg >= 0)
            H5Gclose(cg);
        free_ckpt(&k);
    }
    H5Gclose(cks);
    return rc;
}

int ckr_synth_write(const char *path, const ckr_synth_opts *o, ckr_err *err)
{
    int rc = check_opts(path, o, err);
    if (rc != 0)
        return rc;
    ckr_h5_quiet();
    writer w = {path, -1, -1, -1, err};
    synth_task *tasks = calloc((size_t)o->n_tasks, sizeof *tasks);
    double *q = malloc((size_t)o->n_ckpts * sizeof *q);
    hid_t tg = -1;
    if (!tasks || !q) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    if (make_qualities(o, q) != 0) {
        rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory", path);
        goto cleanup;
    }
    for (int t = 0; t < o->n_tasks; t++)
        if (make_task(o, t, &tasks[t]) != 0) {
            rc = ckr_err_set(err, CKR_ENOMEM, "%s: out of memory for labels", path);
            goto cleanup;
        }

    /* no timestamps in object headers: the same options give the same bytes */
    w.gcpl = H5Pcreate(H5P_GROUP_CREATE);
    w.dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (w.gcpl < 0 || w.dcpl < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0 ||
        H5Pset_obj_track_times(w.dcpl, 0) < 0) {
        rc = ckr_err_set(err, CKR_EIO, "%s: cannot set up HDF5 property lists", path);
        goto cleanup;
    }
    w.file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (w.file < 0) {
        rc = write_fail(&w, "/", "the file");
        goto cleanup;
    }
    rc = write_root_attrs(&w, o);
    if (rc == 0) {
        tg = group_create(&w, w.file, "tasks", "/tasks");
        rc = tg < 0 ? CKR_EIO : 0;
    }
    for (int t = 0; rc == 0 && t < o->n_tasks; t++)
        rc = write_task(&w, o, tg, &tasks[t]);
    if (rc == 0)
        rc = write_ckpts(&w, o, tasks, q);

cleanup:
    if (tg >= 0)
        H5Gclose(tg);
    if (w.file >= 0 && H5Fclose(w.file) < 0 && rc == 0)
        rc = write_fail(&w, "/", "the file (close)");
    if (w.gcpl >= 0)
        H5Pclose(w.gcpl);
    if (w.dcpl >= 0)
        H5Pclose(w.dcpl);
    if (tasks)
        for (int t = 0; t < o->n_tasks; t++)
            free_task(&tasks[t]);
    free(tasks);
    free(q);
    return rc;
}
