#include "linalg/kmeans.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "linalg/blas.h"
#include "util/flops.h"
#include "util/stop.h"

/* ---- small helpers ---------------------------------------------------- */

/* |a - b|^2 with four independent partial sums (latency-bound otherwise). */
static double sqdist(const double *a, const double *b, size_t d)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t j = 0;
    for (; j + 4 <= d; j += 4) {
        double t0 = a[j] - b[j], t1 = a[j + 1] - b[j + 1];
        double t2 = a[j + 2] - b[j + 2], t3 = a[j + 3] - b[j + 3];
        s0 += t0 * t0;
        s1 += t1 * t1;
        s2 += t2 * t2;
        s3 += t3 * t3;
    }
    for (; j < d; j++) {
        double t = a[j] - b[j];
        s0 += t * t;
    }
    return (s0 + s1) + (s2 + s3);
}

static void row_sqnorms(const double *X, size_t n, size_t d, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        for (size_t j = 0; j < d; j++)
            s += X[i * d + j] * X[i * d + j];
        out[i] = s;
    }
    ckr_flops_add(2.0 * (double)n * (double)d);
}

/* First index i with cum[i] > r (cum non-decreasing), n when none. */
static size_t upper_bound(const double *cum, size_t n, double r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

double ckr_kmeans_tolerance(const double *X, size_t n, size_t d, double tol_rel)
{
    if (n == 0 || d == 0 || tol_rel == 0.0)
        return 0.0;
    double total = 0.0;
    for (size_t j = 0; j < d; j++) {
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += X[i * d + j];
        m /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double t = X[i * d + j] - m;
            v += t * t;
        }
        total += v / (double)n;
    }
    ckr_flops_add(4.0 * (double)n * (double)d);
    return total / (double)d * tol_rel;
}

/* ---- k-means++ -------------------------------------------------------- */

/* Sample one candidate index with probability proportional to closest[]. */
static size_t draw_candidate(const double *cum, size_t n, double pot, ckr_rng *rng)
{
    double r = ckr_rng_uniform(rng) * pot;
    size_t id = upper_bound(cum, n, r);
    return id < n ? id : n - 1;
}

int ckr_kmeans_plusplus(const double *X, size_t n, size_t d, size_t k, ckr_rng *rng,
                        double *centers, size_t *indices, ckr_err *err)
{
    if (k == 0 || k > n)
        return ckr_err_set(err, CKR_EARG, "k-means++: need 1 <= k <= n (k=%zu, n=%zu)", k, n);
    size_t trials = 2 + (size_t)floor(log((double)k));
    double *xsq = malloc(sizeof(double) * n), *closest = malloc(sizeof(double) * n);
    double *cum = malloc(sizeof(double) * n), *rows = malloc(sizeof(double) * trials * d);
    double *dist = malloc(sizeof(double) * trials * n);
    size_t *cand = malloc(sizeof(size_t) * trials);
    int rc = CKR_ENOMEM;
    if (!xsq || !closest || !cum || !rows || !dist || !cand) {
        ckr_err_set(err, rc, "k-means++: out of memory (n=%zu, k=%zu)", n, k);
        goto cleanup;
    }
    row_sqnorms(X, n, d, xsq);
    size_t first = (size_t)ckr_rng_below(rng, n);
    memcpy(centers, X + first * d, sizeof(double) * d);
    if (indices)
        indices[0] = first;
    double pot = 0.0;
    for (size_t i = 0; i < n; i++) {
        closest[i] = i == first ? 0.0 : sqdist(X + i * d, X + first * d, d);
        pot += closest[i];
    }
    ckr_flops_add(3.0 * (double)n * (double)d);
    for (size_t c = 1; c < k; c++) {
        if (ckr_stop_requested()) {
            rc = ckr_err_set(err, CKR_EINTR, "k-means++: stopped at centre %zu", c);
            goto cleanup;
        }
        double run = 0.0;
        for (size_t i = 0; i < n; i++) {
            run += closest[i];
            cum[i] = run;
        }
        for (size_t t = 0; t < trials; t++) {
            cand[t] = draw_candidate(cum, n, pot, rng);
            memcpy(rows + t * d, X + cand[t] * d, sizeof(double) * d);
        }
        /* dist[t][i] = min(closest_i, |x_i - cand_t|^2), expanded form */
        ckr_dgemm(0, 1, trials, n, d, 1.0, rows, d, X, d, 0.0, dist, n);
        size_t best = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++) {
            double *row = dist + t * n, p = 0.0, cs = xsq[cand[t]];
            for (size_t i = 0; i < n; i++) {
                double v = cs + xsq[i] - 2.0 * row[i];
                v = v > 0.0 ? v : 0.0;
                row[i] = v < closest[i] ? v : closest[i];
                p += row[i];
            }
            p -= row[cand[t]]; /* the candidate's own distance is exactly 0 */
            row[cand[t]] = 0.0;
            if (p < best_pot) {
                best_pot = p;
                best = t;
            }
        }
        ckr_flops_add(5.0 * (double)trials * (double)n + 2.0 * (double)n);
        memcpy(closest, dist + best * n, sizeof(double) * n);
        pot = best_pot > 0.0 ? best_pot : 0.0;
        memcpy(centers + c * d, X + cand[best] * d, sizeof(double) * d);
        if (indices)
            indices[c] = cand[best];
    }
    rc = 0;
cleanup:
    free(xsq);
    free(closest);
    free(cum);
    free(rows);
    free(dist);
    free(cand);
    return rc;
}

/* ---- Lloyd with Elkan / Hamerly bounds --------------------------------- */

/* Elkan keeps n x k lower bounds up to this many entries; beyond, Hamerly's
 * single second-nearest bound per point. */
#define ELKAN_MAX_BOUNDS ((size_t)1 << 24)

typedef struct lloyd_ws {
    size_t n, d, k, block;
    double *xsq;     /* n: |x_i|^2 */
    double *csq;     /* k: |c_j|^2 */
    double *upper;   /* n: >= distance to the assigned centre */
    double *lower;   /* n: <= distance to every other centre */
    double *half;    /* k: half the distance to the nearest other centre */
    double *shift;   /* k: how far each centre moved */
    double *sums;    /* k x d */
    double *counts;  /* k */
    double *newc;    /* k x d */
    double *buf;     /* block x d gathered rows */
    double *dots;    /* block x k (also k x k for centre distances) */
    size_t *rows;    /* n: points needing all distances */
    int *old;        /* n: labels of the previous iteration */
    double *lb;      /* n x k Elkan lower bounds stored as l_ij + drift_j (so that
                        moving centres costs O(k), not O(n k)); NULL: Hamerly */
    double *drift;   /* k: cumulative shift of each centre */
    size_t evals;    /* point-centre distances computed */
} lloyd_ws;

static void lloyd_ws_free(lloyd_ws *w)
{
    free(w->xsq);
    free(w->csq);
    free(w->upper);
    free(w->lower);
    free(w->half);
    free(w->shift);
    free(w->sums);
    free(w->counts);
    free(w->newc);
    free(w->buf);
    free(w->dots);
    free(w->rows);
    free(w->old);
    free(w->lb);
    free(w->drift);
}

static int lloyd_ws_alloc(lloyd_ws *w, size_t n, size_t d, size_t k)
{
    memset(w, 0, sizeof *w);
    w->n = n;
    w->d = d;
    w->k = k;
    size_t b = (size_t)1 << 19; /* doubles in the distance block */
    w->block = b / k < 64 ? 64 : b / k;
    if (w->block > n)
        w->block = n;
    size_t dots = w->block * k > k * k ? w->block * k : k * k;
    w->xsq = malloc(sizeof(double) * n);
    w->csq = malloc(sizeof(double) * k);
    w->upper = malloc(sizeof(double) * n);
    w->lower = malloc(sizeof(double) * n);
    w->half = malloc(sizeof(double) * k);
    w->shift = malloc(sizeof(double) * k);
    w->sums = malloc(sizeof(double) * k * d);
    w->counts = malloc(sizeof(double) * k);
    w->newc = malloc(sizeof(double) * k * d);
    w->buf = malloc(sizeof(double) * w->block * (d ? d : 1));
    w->dots = malloc(sizeof(double) * dots);
    w->rows = malloc(sizeof(size_t) * n);
    w->old = malloc(sizeof(int) * n);
    if ((double)n * (double)k <= (double)ELKAN_MAX_BOUNDS)
        w->lb = malloc(sizeof(double) * n * k); /* NULL on failure: Hamerly */
    w->drift = calloc(k, sizeof(double));
    if (!w->xsq || !w->csq || !w->upper || !w->lower || !w->half || !w->shift || !w->sums ||
        !w->counts || !w->newc || !w->buf || !w->dots || !w->rows || !w->old || !w->drift)
        return CKR_ENOMEM;
    return 0;
}

/* All k distances for the listed points: label, upper bound (the exact
 * distance to the nearest centre) and lower bounds (second nearest for
 * Hamerly, every centre for Elkan). The expanded form |x|^2 + |c|^2 - 2 x.c
 * is off by at most ~4 eps (|x|^2 + |c|^2); lower bounds subtract that. */
static void assign_full(lloyd_ws *w, const double *X, const double *C, const size_t *rows,
                        size_t m, int *labels)
{
    size_t d = w->d, k = w->k;
    for (size_t s = 0; s < m; s += w->block) {
        size_t b = m - s < w->block ? m - s : w->block;
        for (size_t r = 0; r < b; r++)
            memcpy(w->buf + r * d, X + rows[s + r] * d, sizeof(double) * d);
        ckr_dgemm(0, 1, b, k, d, 1.0, w->buf, d, C, d, 0.0, w->dots, k);
        for (size_t r = 0; r < b; r++) {
            size_t i = rows[s + r];
            const double *dot = w->dots + r * k;
            double *lb = w->lb ? w->lb + i * k : NULL;
            double b1 = INFINITY, b2 = INFINITY;
            int a = 0;
            for (size_t j = 0; j < k; j++) {
                double v = w->xsq[i] + w->csq[j] - 2.0 * dot[j];
                v -= 8.0 * DBL_EPSILON * (w->xsq[i] + w->csq[j]);
                v = v > 0.0 ? v : 0.0;
                if (lb)
                    lb[j] = sqrt(v) + w->drift[j];
                if (v < b1) {
                    b2 = b1;
                    b1 = v;
                    a = (int)j;
                } else if (v < b2) {
                    b2 = v;
                }
            }
            labels[i] = a;
            w->upper[i] = sqrt(sqdist(X + i * d, C + (size_t)a * d, d));
            w->lower[i] = sqrt(b2);
            if (lb)
                lb[a] = w->upper[i] + w->drift[a];
        }
        ckr_flops_add(6.0 * (double)b * (double)k + 3.0 * (double)b * (double)d);
    }
    w->evals += m * k;
}

/* cc = centre-to-centre distances (k x k, in w->dots) and half[j] = 0.5 *
 * the distance from c_j to its nearest other centre. */
static void centre_gaps(lloyd_ws *w, const double *C)
{
    size_t k = w->k, d = w->d;
    if (k == 1) {
        w->half[0] = INFINITY;
        w->dots[0] = 0.0;
        return;
    }
    ckr_dgemm(0, 1, k, k, d, 1.0, C, d, C, d, 0.0, w->dots, k);
    for (size_t a = 0; a < k; a++)
        for (size_t b = a; b < k; b++) {
            double v = w->csq[a] + w->csq[b] - 2.0 * w->dots[a * k + b];
            v -= 8.0 * DBL_EPSILON * (w->csq[a] + w->csq[b]);
            v = a == b || v <= 0.0 ? 0.0 : sqrt(v);
            w->dots[a * k + b] = v;
            w->dots[b * k + a] = v;
        }
    for (size_t a = 0; a < k; a++) {
        double m = INFINITY;
        for (size_t b = 0; b < k; b++)
            if (b != a && w->dots[a * k + b] < m)
                m = w->dots[a * k + b];
        w->half[a] = 0.5 * m;
    }
    ckr_flops_add(6.0 * (double)k * (double)k);
}

/* Elkan: centre j may be nearer than the assigned one (distance u) unless
 * u <= max(current lower bound, half the centre gap). The scalar test on
 * one centre; returns 1 when j was examined and became the new nearest. */
static int elkan_visit(lloyd_ws *w, const double *X, const double *C, size_t i, size_t j,
                       size_t *a, double *u, int *tight)
{
    size_t d = w->d, k = w->k;
    double *lb = w->lb + i * k;
    const double *drift = w->drift;
    double lj = lb[j] - drift[j], hc = 0.5 * w->dots[*a * k + j];
    double bound = lj > hc ? lj : hc;
    if (*u <= bound || j == *a)
        return 0;
    if (!*tight) {
        *u = sqrt(sqdist(X + i * d, C + *a * d, d));
        lb[*a] = *u + drift[*a];
        *tight = 1;
        w->evals++;
        if (*u <= bound)
            return 0;
    }
    double dj = sqrt(sqdist(X + i * d, C + j * d, d));
    lb[j] = dj + drift[j];
    w->evals++;
    if (dj < *u) {
        *a = j;
        *u = dj;
        return 1;
    }
    return 0;
}

/* Elkan assignment of point i: skip every centre that the bounds rule out
 * (current lower bound of centre j: lb[j] - drift[j]); the common case of
 * "ruled out" is tested two centres at a time. */
static void elkan_point(lloyd_ws *w, const double *X, const double *C, size_t i, int *labels)
{
    size_t k = w->k, a = (size_t)labels[i], j = 0;
    double u = w->upper[i];
    int tight = 0;
    if (u <= w->half[a])
        return;
#ifdef __SSE2__
    const double *lb = w->lb + i * k, *drift = w->drift;
    const __m128d halfv = _mm_set1_pd(0.5);
    __m128d uv = _mm_set1_pd(u);
    for (; j + 2 <= k; j += 2) {
        __m128d l = _mm_sub_pd(_mm_loadu_pd(lb + j), _mm_loadu_pd(drift + j));
        __m128d h = _mm_mul_pd(halfv, _mm_loadu_pd(w->dots + a * k + j));
        if (!_mm_movemask_pd(_mm_cmplt_pd(_mm_max_pd(l, h), uv)))
            continue;
        elkan_visit(w, X, C, i, j, &a, &u, &tight);
        elkan_visit(w, X, C, i, j + 1, &a, &u, &tight);
        uv = _mm_set1_pd(u);
    }
#endif
    for (; j < k; j++)
        elkan_visit(w, X, C, i, j, &a, &u, &tight);
    labels[i] = (int)a;
    w->upper[i] = u;
}

/* Assignment step: exact labels for centres C, skipping with the bounds. */
static void assign_step(lloyd_ws *w, const double *X, const double *C, int *labels, int all)
{
    size_t n = w->n, d = w->d, m = 0;
    row_sqnorms(C, w->k, d, w->csq);
    if (all) {
        for (size_t i = 0; i < n; i++)
            w->rows[i] = i;
        assign_full(w, X, C, w->rows, n, labels);
        return;
    }
    centre_gaps(w, C);
    size_t e0 = w->evals;
    if (w->lb) {
        for (size_t i = 0; i < n; i++)
            elkan_point(w, X, C, i, labels);
        ckr_flops_add(3.0 * (double)(w->evals - e0) * (double)d + 2.0 * (double)n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double bound = w->half[labels[i]] > w->lower[i] ? w->half[labels[i]] : w->lower[i];
        if (w->upper[i] <= bound)
            continue;
        w->upper[i] = sqrt(sqdist(X + i * d, C + (size_t)labels[i] * d, d));
        w->evals++;
        if (w->upper[i] <= bound)
            continue;
        w->rows[m++] = i;
    }
    ckr_flops_add(3.0 * (double)(w->evals - e0) * (double)d + 2.0 * (double)n);
    assign_full(w, X, C, w->rows, m, labels);
}

/* Empty clusters take the points farthest from their (old) centres. */
static void relocate_empty(lloyd_ws *w, const double *X, const double *C, const int *labels)
{
    size_t n = w->n, d = w->d, k = w->k, n_empty = 0;
    for (size_t j = 0; j < k; j++)
        n_empty += w->counts[j] == 0.0;
    if (n_empty == 0)
        return;
    double *dist = malloc(sizeof(double) * n);
    if (!dist)
        return; /* an empty cluster then keeps its old centre */
    for (size_t i = 0; i < n; i++)
        dist[i] = sqdist(X + i * d, C + (size_t)labels[i] * d, d);
    ckr_flops_add(3.0 * (double)n * (double)d);
    for (size_t j = 0; j < k; j++) {
        if (w->counts[j] != 0.0)
            continue;
        size_t far = 0; /* farthest point not yet taken (ties: lowest index) */
        for (size_t i = 1; i < n; i++)
            if (dist[i] > dist[far])
                far = i;
        if (!(dist[far] >= 0.0))
            break;
        dist[far] = -1.0;
        size_t old = (size_t)labels[far];
        for (size_t t = 0; t < d; t++) {
            w->sums[old * d + t] -= X[far * d + t];
            w->sums[j * d + t] = X[far * d + t];
        }
        w->counts[old] -= 1.0;
        w->counts[j] = 1.0;
    }
    free(dist);
}

/* Update step: new centres into w->newc, shifts into w->shift; returns the
 * summed squared shift. */
static double update_step(lloyd_ws *w, const double *X, const double *C, const int *labels)
{
    size_t n = w->n, d = w->d, k = w->k;
    memset(w->sums, 0, sizeof(double) * k * d);
    memset(w->counts, 0, sizeof(double) * k);
    for (size_t i = 0; i < n; i++) {
        size_t a = (size_t)labels[i];
        w->counts[a] += 1.0;
        for (size_t t = 0; t < d; t++)
            w->sums[a * d + t] += X[i * d + t];
    }
    ckr_flops_add((double)n * (double)d);
    relocate_empty(w, X, C, labels);
    double total = 0.0;
    for (size_t j = 0; j < k; j++) {
        double *nc = w->newc + j * d;
        if (w->counts[j] > 0.0)
            for (size_t t = 0; t < d; t++)
                nc[t] = w->sums[j * d + t] / w->counts[j];
        else
            memcpy(nc, C + j * d, sizeof(double) * d);
        double s = sqdist(nc, C + j * d, d);
        w->shift[j] = sqrt(s);
        total += s;
    }
    ckr_flops_add(4.0 * (double)k * (double)d);
    return total;
}

/* Loosen the bounds by how far the centres moved. */
static void move_bounds(lloyd_ws *w, const int *labels)
{
    size_t k = w->k, arg = 0;
    double m1 = 0.0, m2 = 0.0;
    for (size_t j = 0; j < k; j++) {
        if (w->shift[j] > m1) {
            m2 = m1;
            m1 = w->shift[j];
            arg = j;
        } else if (w->shift[j] > m2) {
            m2 = w->shift[j];
        }
    }
    for (size_t i = 0; i < w->n; i++) {
        size_t a = (size_t)labels[i];
        w->upper[i] += w->shift[a];
        w->lower[i] -= a == arg ? m2 : m1;
        if (w->lower[i] < 0.0)
            w->lower[i] = 0.0;
    }
    ckr_flops_add(2.0 * (double)w->n);
    for (size_t j = 0; j < k; j++)
        w->drift[j] += w->shift[j];
}

int ckr_kmeans_lloyd(const double *X, size_t n, size_t d, size_t k, double *centers,
                     int max_iter, double tol, int *labels, ckr_kmeans_stats *st, ckr_err *err)
{
    ckr_kmeans_stats local = { 0 };
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    if (k == 0 || k > n)
        return ckr_err_set(err, CKR_EARG, "k-means: need 1 <= k <= n (k=%zu, n=%zu)", k, n);
    lloyd_ws w;
    int rc = lloyd_ws_alloc(&w, n, d, k);
    if (rc != 0) {
        lloyd_ws_free(&w);
        return ckr_err_set(err, rc, "k-means: out of memory (n=%zu, k=%zu)", n, k);
    }
    row_sqnorms(X, n, d, w.xsq);
    for (size_t i = 0; i < n; i++)
        w.old[i] = -1;
    int strict = 0, it = 0;
    for (it = 0; it < (max_iter > 0 ? max_iter : 1); it++) {
        if (ckr_stop_requested()) {
            lloyd_ws_free(&w);
            return ckr_err_set(err, CKR_EINTR, "k-means: stopped at iteration %d", it + 1);
        }
        assign_step(&w, X, centers, labels, it == 0);
        double shift = update_step(&w, X, centers, labels);
        memcpy(centers, w.newc, sizeof(double) * k * d);
        move_bounds(&w, labels);
        if (memcmp(labels, w.old, sizeof(int) * n) == 0) {
            strict = 1;
            break;
        }
        if (shift <= tol)
            break;
        memcpy(w.old, labels, sizeof(int) * n);
    }
    st->iters = it < max_iter ? it + 1 : max_iter;
    if (max_iter <= 0)
        st->iters = 1;
    if (!strict) /* labels for the final centres */
        assign_step(&w, X, centers, labels, 0);
    st->strict_converged = strict;
    double inertia = 0.0;
    for (size_t i = 0; i < n; i++)
        inertia += sqdist(X + i * d, centers + (size_t)labels[i] * d, d);
    ckr_flops_add(3.0 * (double)n * (double)d);
    st->inertia = inertia;
    st->dist_evals = w.evals;
    lloyd_ws_free(&w);
    return 0;
}

int ckr_kmeans_fit(const double *X, size_t n, size_t d, size_t k, int max_iter, double tol_rel,
                   ckr_rng *rng, double *centers, int *labels, ckr_kmeans_stats *st,
                   ckr_err *err)
{
    if (k == 0 || k > n)
        return ckr_err_set(err, CKR_EARG, "k-means: need 1 <= k <= n (k=%zu, n=%zu)", k, n);
    double *Xc = malloc(sizeof(double) * n * (d ? d : 1));
    double *mean = calloc(d ? d : 1, sizeof(double));
    if (!Xc || !mean) {
        free(Xc);
        free(mean);
        return ckr_err_set(err, CKR_ENOMEM, "k-means: out of memory (n=%zu, d=%zu)", n, d);
    }
    /* centre the data for accurate expanded-form distances (as sklearn does) */
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            mean[t] += X[i * d + t];
    for (size_t t = 0; t < d; t++)
        mean[t] /= (double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            Xc[i * d + t] = X[i * d + t] - mean[t];
    ckr_flops_add(2.0 * (double)n * (double)d);
    double tol = ckr_kmeans_tolerance(Xc, n, d, tol_rel);
    int rc = ckr_kmeans_plusplus(Xc, n, d, k, rng, centers, NULL, err);
    if (rc == 0)
        rc = ckr_kmeans_lloyd(Xc, n, d, k, centers, max_iter, tol, labels, st, err);
    if (rc == 0)
        for (size_t j = 0; j < k; j++)
            for (size_t t = 0; t < d; t++)
                centers[j * d + t] += mean[t];
    free(Xc);
    free(mean);
    return rc;
}
