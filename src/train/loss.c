#include "train/loss.h"

#include <math.h>
#include <stdlib.h>

#include "util/flops.h"

double ckr_softmax_xent(const double *Z, size_t B, size_t C, const int *y, double gscale,
                        double *dZ)
{
    double total = 0.0;
    for (size_t i = 0; i < B; i++) {
        const double *z = Z + i * C;
        double mx = z[0];
        for (size_t c = 1; c < C; c++)
            mx = z[c] > mx ? z[c] : mx;
        double s = 0.0;
        for (size_t c = 0; c < C; c++)
            s += exp(z[c] - mx);
        double lse = mx + log(s);
        total += lse - z[y[i]];
        if (!dZ)
            continue;
        double *d = dZ + i * C;
        for (size_t c = 0; c < C; c++)
            d[c] = gscale * exp(z[c] - lse);
        d[y[i]] -= gscale;
    }
    ckr_flops_add((dZ ? 6.0 : 5.0) * (double)B * (double)C);
    return total;
}

double ckr_sigmoid_bce(const double *Z, size_t B, size_t C, const uint8_t *T, double gscale,
                       double *dZ)
{
    double total = 0.0;
    for (size_t i = 0; i < B * C; i++) {
        double z = Z[i], t = T[i] ? 1.0 : 0.0;
        double e = exp(-fabs(z));
        total += (z > 0.0 ? z : 0.0) - z * t + log1p(e);
        if (dZ) {
            /* sigmoid(z) without overflow: e = exp(-|z|) */
            double sig = z >= 0.0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            dZ[i] = gscale * (sig - t);
        }
    }
    ckr_flops_add((dZ ? 9.0 : 6.0) * (double)B * (double)C);
    return total;
}

size_t ckr_count_correct(const double *Z, size_t B, size_t C, const int *y)
{
    size_t ok = 0;
    for (size_t i = 0; i < B; i++) {
        const double *z = Z + i * C;
        size_t best = 0;
        for (size_t c = 1; c < C; c++)
            if (z[c] > z[best])
                best = c;
        ok += (int)best == y[i];
    }
    return ok;
}

/* Sort order[0..n) by s descending (stable merge sort, n log n). */
static void sort_desc(size_t *order, size_t *tmp, size_t n, const double *s, size_t stride)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_desc(order, tmp, h, s, stride);
    sort_desc(order + h, tmp, n - h, s, stride);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = s[order[j] * stride] > s[order[i] * stride] ? order[j++] : order[i++];
    while (i < h)
        tmp[k++] = order[i++];
    while (j < n)
        tmp[k++] = order[j++];
    for (k = 0; k < n; k++)
        order[k] = tmp[k];
}

double ckr_average_precision(const double *s, const uint8_t *t, size_t n, size_t stride,
                             size_t *scratch)
{
    size_t *order = scratch;
    size_t npos = 0;
    for (size_t i = 0; i < n; i++)
        npos += t[i * stride] != 0;
    if (npos == 0)
        return NAN;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    sort_desc(order, order + n, n, s, stride);
    double ap = 0.0, prev_recall = 0.0;
    size_t tp = 0;
    for (size_t k = 0; k < n;) {
        double thr = s[order[k] * stride];
        /* one threshold per distinct score */
        while (k < n && s[order[k] * stride] == thr)
            tp += t[order[k++] * stride] != 0;
        double recall = (double)tp / (double)npos, precision = (double)tp / (double)k;
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
    }
    ckr_flops_add(4.0 * (double)n);
    return ap;
}

double ckr_mean_average_precision(const double *S, const uint8_t *T, size_t n, size_t C,
                                  size_t *n_used)
{
    size_t *order = malloc((n ? 2 * n : 1) * sizeof(size_t)), used = 0;
    double sum = 0.0;
    if (n_used)
        *n_used = 0;
    if (!order)
        return NAN;
    for (size_t c = 0; c < C; c++) {
        double ap = ckr_average_precision(S + c, T + c, n, C, order);
        if (!isnan(ap)) {
            sum += ap;
            used++;
        }
    }
    free(order);
    if (n_used)
        *n_used = used;
    return used ? sum / (double)used : NAN;
}
