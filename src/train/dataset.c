#include "train/dataset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/flops.h"

size_t ckr_ds_input_dim(const ckr_ds *ds)
{
    return ds->X ? ds->D : (size_t)ds->C;
}

static void gather_label_input(const ckr_ds *ds, size_t r, double *row)
{
    size_t C = (size_t)ds->C;
    memset(row, 0, C * sizeof(double));
    if (ds->kind == CKR_MULTILABEL && ds->Y) {
        for (size_t c = 0; c < C; c++)
            row[c] = ds->Y[r * C + c] ? 1.0 : 0.0;
    } else if (ds->y) {
        row[ds->y[r]] = 1.0;
    }
}

void ckr_ds_gather(const ckr_ds *ds, const size_t *pos, size_t start, size_t B, double *out)
{
    size_t w = ckr_ds_input_dim(ds);
    for (size_t i = 0; i < B; i++) {
        size_t r = ckr_ds_row(ds, pos ? pos[i] : start + i);
        double *dst = out + i * w;
        if (!ds->X) {
            gather_label_input(ds, r, dst);
            continue;
        }
        const double *src = ds->X + r * ds->D;
        if (ds->mu && ds->isd) {
            for (size_t d = 0; d < w; d++)
                dst[d] = (src[d] - ds->mu[d]) * ds->isd[d];
        } else {
            memcpy(dst, src, w * sizeof(double));
        }
    }
    if (ds->X && ds->mu && ds->isd)
        ckr_flops_add(2.0 * (double)B * (double)w);
}

void ckr_ds_gather_labels(const ckr_ds *ds, const size_t *pos, size_t start, size_t B,
                          int *yout, uint8_t *Yout)
{
    size_t C = (size_t)ds->C;
    for (size_t i = 0; i < B; i++) {
        size_t r = ckr_ds_row(ds, pos ? pos[i] : start + i);
        if (yout && ds->y)
            yout[i] = ds->y[r];
        if (Yout && ds->Y)
            memcpy(Yout + i * C, ds->Y + r * C, C);
    }
}

int ckr_ds_moments(const ckr_ds *ds, double *mu, double *isd, ckr_err *err)
{
    if (!ds->X || ds->n == 0 || ds->D == 0)
        return ckr_err_set(err, CKR_EARG, "standardisation needs a non-empty feature view");
    size_t D = ds->D;
    memset(mu, 0, D * sizeof(double));
    memset(isd, 0, D * sizeof(double));
    for (size_t p = 0; p < ds->n; p++) {
        const double *x = ds->X + ckr_ds_row(ds, p) * D;
        for (size_t d = 0; d < D; d++)
            mu[d] += x[d];
    }
    for (size_t d = 0; d < D; d++)
        mu[d] /= (double)ds->n;
    /* second pass on centred values: no cancellation */
    for (size_t p = 0; p < ds->n; p++) {
        const double *x = ds->X + ckr_ds_row(ds, p) * D;
        for (size_t d = 0; d < D; d++) {
            double c = x[d] - mu[d];
            isd[d] += c * c;
        }
    }
    for (size_t d = 0; d < D; d++) {
        double sd = sqrt(isd[d] / (double)ds->n);
        isd[d] = (sd > 1e-12 * (1.0 + fabs(mu[d]))) ? 1.0 / sd : 1.0;
    }
    ckr_flops_add(4.0 * (double)ds->n * (double)D + 3.0 * (double)D);
    return 0;
}

/* Mark `k` entries of the bucket (a shuffled copy) as hold-out. */
static void mark_bucket(size_t *bucket, size_t nb, size_t k, ckr_rng *rng, uint8_t *hold)
{
    ckr_rng_shuffle(rng, bucket, nb);
    for (size_t i = 0; i < k && i < nb; i++)
        hold[bucket[i]] = 1;
}

static size_t take_count(size_t n, double frac)
{
    return (size_t)floor(frac * (double)n + 0.5);
}

static int mark_stratified(size_t n, const int *y, int C, double frac, ckr_rng *rng,
                           uint8_t *hold, ckr_err *err)
{
    size_t *start = calloc((size_t)C + 1, sizeof(size_t));
    size_t *order = malloc(n * sizeof(size_t));
    size_t *fill = calloc((size_t)C, sizeof(size_t));
    int rc = 0;
    if (!start || !order || !fill) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for a %zu-sample split", n);
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= C) {
            rc = ckr_err_set(err, CKR_EDATA, "label %d of sample %zu is outside [0, %d)",
                             y[i], i, C);
            goto cleanup;
        }
        start[y[i] + 1]++;
    }
    for (int c = 0; c < C; c++)
        start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++)
        order[start[y[i]] + fill[y[i]]++] = i;
    for (int c = 0; c < C; c++) {
        size_t nc = start[c + 1] - start[c];
        if (nc)
            mark_bucket(order + start[c], nc, take_count(nc, frac), rng, hold);
    }
cleanup:
    free(start);
    free(order);
    free(fill);
    return rc;
}

static int mark_random(size_t n, double frac, ckr_rng *rng, uint8_t *hold, ckr_err *err)
{
    size_t *order = malloc(n * sizeof(size_t));
    if (!order)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for a %zu-sample split", n);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    mark_bucket(order, n, take_count(n, frac), rng, hold);
    free(order);
    return 0;
}

/* Make sure both sides are non-empty (n >= 2). */
static void fix_empty_side(size_t n, uint8_t *hold, ckr_rng *rng)
{
    size_t nh = 0;
    for (size_t i = 0; i < n; i++)
        nh += hold[i];
    if (nh == 0)
        hold[ckr_rng_below(rng, n)] = 1;
    else if (nh == n)
        hold[ckr_rng_below(rng, n)] = 0;
}

int ckr_holdout_split(size_t n, const int *y, int C, double frac, ckr_rng *rng,
                      size_t **train_idx, size_t *n_train, size_t **hold_idx,
                      size_t *n_hold, ckr_err *err)
{
    *train_idx = *hold_idx = NULL;
    *n_train = *n_hold = 0;
    if (n < 2 || !(frac > 0.0 && frac < 1.0) || (y && C < 1))
        return ckr_err_set(err, CKR_EARG, "hold-out split needs n >= 2 (have %zu) and "
                           "0 < frac < 1 (have %g)", n, frac);
    uint8_t *hold = calloc(n, 1);
    size_t *tr = malloc(n * sizeof(size_t));
    size_t *ho = malloc(n * sizeof(size_t));
    int rc = 0;
    if (!hold || !tr || !ho) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for a %zu-sample split", n);
        goto cleanup;
    }
    rc = y ? mark_stratified(n, y, C, frac, rng, hold, err)
           : mark_random(n, frac, rng, hold, err);
    if (rc)
        goto cleanup;
    fix_empty_side(n, hold, rng);
    for (size_t i = 0; i < n; i++) {
        if (hold[i])
            ho[(*n_hold)++] = i;
        else
            tr[(*n_train)++] = i;
    }
    *train_idx = tr;
    *hold_idx = ho;
    tr = ho = NULL;
cleanup:
    free(hold);
    free(tr);
    free(ho);
    return rc;
}
