/* validate_pair.c -- the schema checks of a pair group
 * /checkpoints/<ckpt>/<task>: features, logits and the top layer of every
 * split against the task's labels and each other, and the ground truth. */
#include "zoo/validate_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pairs ------------------------------------------------------------ */

/* Dimensions learned so far in a pair group (0 = unknown). */
typedef struct {
    size_t n, d, m, t, z, h;
    /* where n, m and t come from */
    char n_what[CKR_ZOO_OBJ_MAX], m_what[CKR_ZOO_OBJ_MAX], t_what[CKR_ZOO_OBJ_MAX];
    int has_val_features, has_test_features, has_train_logits, has_top_weights;
} pair_dims;

/* An optional split besides train: val (schema 1.0) or test (schema 1.1).
 * Both follow the same rules; only names and the fields they fill differ. */
typedef struct {
    int test;                                /* 0 val, 1 test */
    const char *word;                        /* "val" */
    const char *features, *logits, *labels;  /* dataset names */
    const char *feat_shape, *logit_shape;    /* "[M, D]", "[M, Z]" */
} split_names;

static const split_names VAL_SPLIT = {0, "val", "val_features", "val_logits", "val_labels",
                                      "[M, D]", "[M, Z]"};
static const split_names TEST_SPLIT = {1, "test", "test_features", "test_logits", "test_labels",
                                       "[T, D]", "[T, Z]"};

/* Read a usable dataset into m, or when keep is 0 only check it block by
 * block (bounded memory); closing d. */
static void read_and_close(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_matrix *m,
                           int keep, ckr_zrep *r)
{
    if (!ckr_zrep_stop(r)) {
        if (keep)
            ckr_zoo_read_finite(d, path, di, m, r);
        else
            ckr_zoo_check_finite(d, path, di, r);
    }
    H5Dclose(d);
}

static void check_train_features(hid_t g, const char *ppath, const char *task,
                                 const ckr_zoo_taskdata *td, pair_dims *pd, ckr_pair *p,
                                 int keep, ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_zoo_join_path(path, sizeof path, ppath, "train_features");
    ckr_h5_dinfo di;
    hid_t d;
    if (ckr_zoo_open_numeric(g, ppath, "train_features", 1, 2, "[N, D]", &d, &di, r) != 1)
        return;
    pd->d = (size_t)di.dims[1];
    if (td->n_train && di.dims[0] != td->n_train)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, task /tasks/%s has %zu labels",
                     (unsigned long long)di.dims[0], task, td->n_train);
    /* later row counts are compared with the task when it is known */
    if (td->n_train) {
        pd->n = td->n_train;
        snprintf(pd->n_what, sizeof pd->n_what, "the train labels of /tasks/%s", task);
    } else {
        pd->n = (size_t)di.dims[0];
        snprintf(pd->n_what, sizeof pd->n_what, "the rows of train_features");
    }
    if (pd->d == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
    read_and_close(d, path, &di, &p->train_features, keep, r);
}

/* val_features or test_features: rows = the task's labels of the split,
 * columns = D of train_features. */
static void check_split_features(hid_t g, const char *ppath, const char *task,
                                 const ckr_zoo_taskdata *td, const split_names *sp,
                                 pair_dims *pd, ckr_matrix *out, int keep, ckr_zrep *r)
{
    const int is_test = sp->test;
    const int state = is_test ? td->test_state : td->val_state;
    const size_t nlab = is_test ? td->n_test : td->n_val;
    size_t *rows = is_test ? &pd->t : &pd->m;
    char *what = is_test ? pd->t_what : pd->m_what;
    char path[CKR_ZOO_OBJ_MAX];
    ckr_zoo_join_path(path, sizeof path, ppath, sp->features);
    ckr_h5_dinfo di;
    hid_t d;
    if (ckr_zoo_open_numeric(g, ppath, sp->features, 0, 2, sp->feat_shape, &d, &di, r) != 1)
        return;
    if (is_test)
        pd->has_test_features = 1;
    else
        pd->has_val_features = 1;
    if (td->exists && state == 0)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but task /tasks/%s has no %s", task,
                     sp->labels);
    else if (state == 1 && di.dims[0] != nlab)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, task /tasks/%s has %zu %s",
                     (unsigned long long)di.dims[0], task, nlab, sp->labels);
    if (state == 1) {
        *rows = nlab;
        snprintf(what, CKR_ZOO_OBJ_MAX, "the %s labels of /tasks/%s", sp->word, task);
    } else {
        *rows = (size_t)di.dims[0];
        snprintf(what, CKR_ZOO_OBJ_MAX, "the rows of %s", sp->features);
    }
    if (pd->d && di.dims[1] != pd->d)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, train_features has %zu",
                     (unsigned long long)di.dims[1], pd->d);
    read_and_close(d, path, &di, out, keep, r);
}

/* val_logits or test_logits: rows as the split's features, Z as train_logits. */
static void check_split_logits(hid_t g, const char *ppath, const split_names *sp,
                               const pair_dims *pd, ckr_matrix *out, int keep, ckr_zrep *r)
{
    const int is_test = sp->test;
    const int has_feat = is_test ? pd->has_test_features : pd->has_val_features;
    const size_t rows = is_test ? pd->t : pd->m;
    const char *what = is_test ? pd->t_what : pd->m_what;
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    ckr_zoo_join_path(path, sizeof path, ppath, sp->logits);
    if (ckr_zoo_open_numeric(g, ppath, sp->logits, 0, 2, sp->logit_shape, &d, &di, r) != 1)
        return;
    if (!has_feat)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but %s is absent", sp->features);
    else if (rows && di.dims[0] != rows)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, expected %zu (%s)",
                     (unsigned long long)di.dims[0], rows, what);
    if (!pd->has_train_logits)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but train_logits is absent");
    else if (pd->z && di.dims[1] != pd->z)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu columns, train_logits has %zu",
                     (unsigned long long)di.dims[1], pd->z);
    read_and_close(d, path, &di, out, keep, r);
}

static void check_logits(hid_t g, const char *ppath, pair_dims *pd, ckr_pair *p, int keep,
                         ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    ckr_zoo_join_path(path, sizeof path, ppath, "train_logits");
    if (ckr_zoo_open_numeric(g, ppath, "train_logits", 0, 2, "[N, Z]", &d, &di, r) == 1) {
        pd->has_train_logits = 1;
        pd->z = (size_t)di.dims[1];
        if (pd->n && di.dims[0] != pd->n)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, expected %zu (%s)",
                         (unsigned long long)di.dims[0], pd->n, pd->n_what);
        if (pd->z == 0)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
        read_and_close(d, path, &di, &p->train_logits, keep, r);
    }
    if (!ckr_zrep_stop(r))
        check_split_logits(g, ppath, &VAL_SPLIT, pd, &p->val_logits, keep, r);
    if (!ckr_zrep_stop(r)) {
        /* checked like val_logits, never kept: ckr_pair has no field for it */
        ckr_matrix test_logits = {0, 0, NULL};
        check_split_logits(g, ppath, &TEST_SPLIT, pd, &test_logits, 0, r);
    }
}

static void check_top_layer(hid_t g, const char *ppath, pair_dims *pd, ckr_pair *p, int keep,
                            ckr_zrep *r)
{
    char path[CKR_ZOO_OBJ_MAX];
    ckr_h5_dinfo di;
    hid_t d;
    ckr_zoo_join_path(path, sizeof path, ppath, "top_weights");
    if (ckr_zoo_open_numeric(g, ppath, "top_weights", 0, 2, "[D, H]", &d, &di, r) == 1) {
        pd->has_top_weights = 1;
        pd->h = (size_t)di.dims[1];
        if (pd->d && di.dims[0] != pd->d)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu rows, train_features has %zu columns",
                         (unsigned long long)di.dims[0], pd->d);
        if (pd->h == 0)
            ckr_zrep_add(r, CKR_EFORMAT, path, "has 0 columns");
        read_and_close(d, path, &di, &p->top_weights, keep, r);
    }
    if (ckr_zrep_stop(r))
        return;
    ckr_zoo_join_path(path, sizeof path, ppath, "top_bias");
    int st = ckr_zoo_open_numeric(g, ppath, "top_bias", 0, 1, "[H]", &d, &di, r);
    if (st == 0 && pd->has_top_weights)
        ckr_zrep_add(r, CKR_EFORMAT, path, "dataset is missing (top_weights needs top_bias [H])");
    if (st != 1)
        return;
    if (!pd->has_top_weights)
        ckr_zrep_add(r, CKR_EFORMAT, path, "is present but top_weights is absent");
    else if (pd->h && di.dims[0] != pd->h)
        ckr_zrep_add(r, CKR_EFORMAT, path, "has %llu values, top_weights has %zu columns",
                     (unsigned long long)di.dims[0], pd->h);
    ckr_matrix bias = {0, 0, NULL};
    read_and_close(d, path, &di, &bias, keep, r);
    p->top_bias = bias.data;
}

static void check_ground_truth(hid_t g, const char *ppath, ckr_pair *p, ckr_zrep *r)
{
    double v = 0;
    ckr_attr_status st = ckr_h5_attr_double(g, "finetune_accuracy", &v);
    if (st == CKR_ATTR_MISSING)
        return;
    if (st == CKR_ATTR_NOT_NUMBER)
        ckr_zrep_add(r, CKR_EFORMAT, ppath, "attribute finetune_accuracy has type %s, expected a number",
                     ckr_h5_attr_class_word(g, "finetune_accuracy"));
    else if (st != CKR_ATTR_OK)
        ckr_zrep_add(r, CKR_EFORMAT, ppath, "attribute finetune_accuracy %s (expected a number)",
                     ckr_attr_status_text(st));
    else if (!isfinite(v))
        ckr_zrep_add(r, CKR_EDATA, ppath, "attribute finetune_accuracy is %g, expected a finite number",
                     v);
    else {
        p->has_gt = 1;
        p->finetune_accuracy = v;
    }
}

int ckr_zoo_check_pair(hid_t file, const char *ckpt, const char *task,
                       const ckr_zoo_taskdata *td, ckr_pair *keep, ckr_zrep *r)
{
    return ckr_zoo_check_pair_ex(file, ckpt, task, td, keep, 1, r);
}

int ckr_zoo_check_pair_ex(hid_t file, const char *ckpt, const char *task,
                          const ckr_zoo_taskdata *td, ckr_pair *keep, int keep_features,
                          ckr_zrep *r)
{
    int before = r->count;
    char cpath[CKR_ZOO_OBJ_MAX], ppath[CKR_ZOO_OBJ_MAX], missing[CKR_ZOO_OBJ_MAX + 64];
    ckr_zoo_join_path(cpath, sizeof cpath, "/checkpoints", ckpt);
    ckr_zoo_join_path(ppath, sizeof ppath, cpath, task);
    hid_t cks = -1, cg = -1, g = -1;
    ckr_pair tmp;
    pair_dims pd;
    memset(&tmp, 0, sizeof tmp);
    memset(&pd, 0, sizeof pd);

    cks = ckr_zoo_open_group(file, "checkpoints", "/checkpoints", "group is missing", "a group",
                             r);
    if (cks < 0)
        goto cleanup;
    cg = ckr_zoo_open_group(cks, ckpt, cpath, "no such checkpoint", "a checkpoint group", r);
    if (cg < 0)
        goto cleanup;
    snprintf(missing, sizeof missing, "no such pair group (checkpoint %.200s has no data for "
             "task %.200s)", ckpt, task);
    g = ckr_zoo_open_group(cg, task, ppath, missing, "a pair group", r);
    if (g < 0)
        goto cleanup;

    const int k = keep != NULL, kf = k && keep_features;
    check_train_features(g, ppath, task, td, &pd, &tmp, kf, r);
    if (!ckr_zrep_stop(r))
        check_split_features(g, ppath, task, td, &VAL_SPLIT, &pd, &tmp.val_features, kf, r);
    if (!ckr_zrep_stop(r))
        check_split_features(g, ppath, task, td, &TEST_SPLIT, &pd, &tmp.test_features, kf, r);
    if (!ckr_zrep_stop(r))
        check_logits(g, ppath, &pd, &tmp, k, r);
    if (!ckr_zrep_stop(r))
        check_top_layer(g, ppath, &pd, &tmp, k, r);
    if (!ckr_zrep_stop(r))
        check_ground_truth(g, ppath, &tmp, r);

cleanup:
    if (g >= 0)
        H5Gclose(g);
    if (cg >= 0)
        H5Gclose(cg);
    if (cks >= 0)
        H5Gclose(cks);
    if (keep && r->count == before) {
        keep->train_features = tmp.train_features;
        keep->val_features = tmp.val_features;
        keep->test_features = tmp.test_features;
        keep->train_logits = tmp.train_logits;
        keep->val_logits = tmp.val_logits;
        keep->top_weights = tmp.top_weights;
        keep->top_bias = tmp.top_bias;
        keep->has_gt = tmp.has_gt;
        keep->finetune_accuracy = tmp.finetune_accuracy;
    } else {
        ckr_pair_free(&tmp); /* matrices only: the checks set no labels */
    }
    return r->count - before;
}
