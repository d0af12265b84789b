#include "train/split.h"

#include <stdlib.h>
#include <string.h>

static int labels_present(const ckr_pair *pair, const ckr_labels *l)
{
    return pair->kind == CKR_MULTILABEL ? l->Y != NULL : l->y != NULL;
}

static int check_labels(const ckr_pair *pair, const ckr_labels *l, const char *what,
                        ckr_err *err)
{
    if (pair->kind == CKR_MULTILABEL || !l->y)
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->y[i] < 0 || l->y[i] >= pair->num_classes)
            return ckr_err_set(err, CKR_EDATA, "%s label %d of sample %zu is outside [0, %d)",
                               what, l->y[i], i, pair->num_classes);
    return 0;
}

static ckr_ds view_of(const ckr_pair *pair, const ckr_matrix *m, const ckr_labels *l)
{
    ckr_ds ds;
    memset(&ds, 0, sizeof ds);
    ds.X = m->data;
    ds.D = m->cols;
    ds.n = m->rows;
    ds.kind = pair->kind;
    ds.C = pair->num_classes;
    ds.y = l->y;
    ds.Y = l->Y;
    return ds;
}

/* A split (val/test) is usable when it has features, labels and agreeing shapes. */
static int split_usable(const ckr_pair *pair, const ckr_matrix *m, const ckr_labels *l,
                        const char *what, int *usable, ckr_err *err)
{
    *usable = 0;
    if (!m->data || l->n == 0 || !labels_present(pair, l))
        return 0;
    if (m->rows != l->n || m->cols != pair->train_features.cols)
        return ckr_err_set(err, CKR_EDATA, "%s features are %zu x %zu, expected %zu x %zu",
                           what, m->rows, m->cols, l->n, pair->train_features.cols);
    *usable = 1;
    return check_labels(pair, l, what, err);
}

static int check_train(const ckr_pair *pair, ckr_err *err)
{
    const ckr_matrix *f = &pair->train_features;
    if (!f->data || f->cols == 0)
        return ckr_err_set(err, CKR_EDATA, "pair has no train_features");
    if (f->rows != pair->train.n || f->rows < 2)
        return ckr_err_set(err, CKR_EDATA, "train features have %zu rows for %zu labels "
                           "(need >= 2)", f->rows, pair->train.n);
    if (pair->num_classes < 1 || !labels_present(pair, &pair->train))
        return ckr_err_set(err, CKR_EDATA, "pair has no train labels / classes");
    return check_labels(pair, &pair->train, "train", err);
}

/* Relabel the multiclass views to the classes that occur in them (see
 * split.h); nothing changes when every class occurs. */
static int compact_classes(const ckr_pair *pair, ckr_split *s, int has_val, int has_test,
                           ckr_err *err)
{
    size_t C = (size_t)pair->num_classes;
    ckr_ds *v[3] = { &s->train, has_val ? &s->eval : NULL, has_test ? &s->test : NULL };
    int *map = calloc(C, sizeof *map);
    if (!map)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu classes", C);
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; v[k] && i < v[k]->n; i++)
            map[v[k]->y[i]] = 1;
    int K = 0;
    for (size_t c = 0; c < C; c++)
        map[c] = map[c] ? K++ : -1;
    int rc = 0;
    for (int k = 0; K < (int)C && k < 3 && !rc; k++) {
        if (!v[k])
            continue;
        int *y = malloc((v[k]->n ? v[k]->n : 1) * sizeof *y);
        if (!y) {
            rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu labels", v[k]->n);
            break;
        }
        for (size_t i = 0; i < v[k]->n; i++)
            y[i] = map[v[k]->y[i]];
        s->relabelled[k] = y;
        v[k]->y = y;
    }
    if (!rc && K < (int)C) {
        s->train.C = s->test.C = K;
        if (has_val)
            s->eval.C = K;
    }
    free(map);
    return rc;
}

int ckr_split_make(const ckr_pair *pair, int standardize, ckr_split *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = check_train(pair, err), has_val = 0, has_test = 0;
    if (!rc)
        rc = split_usable(pair, &pair->val_features, &pair->val, "val", &has_val, err);
    if (!rc)
        rc = split_usable(pair, &pair->test_features, &pair->test, "test", &has_test, err);
    if (rc)
        return rc;
    out->train = view_of(pair, &pair->train_features, &pair->train);
    if (has_test)
        out->test = view_of(pair, &pair->test_features, &pair->test);
    else
        out->test = (ckr_ds){ .D = pair->train_features.cols, .kind = pair->kind,
                              .C = pair->num_classes };
    if (has_val)
        out->eval = view_of(pair, &pair->val_features, &pair->val);
    if (pair->kind == CKR_MULTICLASS && (rc = compact_classes(pair, out, has_val, has_test, err)))
        goto fail;
    if (!has_val) {
        size_t ntr = 0, nho = 0;
        const int *y = pair->kind == CKR_MULTICLASS ? out->train.y : NULL;
        /* from the pair's seed: every method and grid point holds out the same rows */
        ckr_rng hold_rng;
        ckr_rng_seed(&hold_rng, pair->split_seed);
        rc = ckr_holdout_split(pair->train.n, y, out->train.C, CKR_HOLDOUT_FRAC, &hold_rng,
                               &out->train_idx, &ntr, &out->hold_idx, &nho, err);
        if (rc)
            goto fail;
        out->holdout = 1;
        out->eval = out->train;
        out->eval.idx = out->hold_idx;
        out->eval.n = nho;
        out->train.idx = out->train_idx;
        out->train.n = ntr;
    }
    if (standardize && (rc = ckr_split_standardize(out, err)))
        goto fail;
    return 0;
fail:
    ckr_split_free(out);
    return rc;
}

int ckr_split_standardize(ckr_split *s, ckr_err *err)
{
    size_t D = s->train.D;
    free(s->mu);
    free(s->isd);
    s->mu = malloc(D * sizeof(double));
    s->isd = malloc(D * sizeof(double));
    if (!s->mu || !s->isd)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu feature moments", D);
    int rc = ckr_ds_moments(&s->train, s->mu, s->isd, err);
    if (rc)
        return rc;
    ckr_ds *v[3] = { &s->train, &s->eval, &s->test };
    for (int i = 0; i < 3; i++) {
        v[i]->mu = s->mu;
        v[i]->isd = s->isd;
    }
    return 0;
}

void ckr_split_free(ckr_split *s)
{
    free(s->train_idx);
    free(s->hold_idx);
    free(s->mu);
    free(s->isd);
    for (int k = 0; k < 3; k++)
        free(s->relabelled[k]);
    memset(s, 0, sizeof *s);
}

const char *ckr_split_eval_name(const ckr_split *s)
{
    return s->holdout ? "holdout=20%" : "val";
}
