/* ranking.c -- ranking-quality metrics (see ranking.h and METHODS.md 13).
 *
 * recall@k / rel@k walk the k highest scores with an allocation-free
 * selection (O(m k)). Kendall tau-b uses Knight's O(m log m) merge-sort
 * algorithm (the one of scipy.stats.kendalltau); weighted tau uses the
 * O(m log m) weighted merge sort of scipy's _weightedrankedtau. Both fall
 * back to the O(m^2) reference versions below when the O(m) workspace cannot
 * be allocated, so the public functions never fail for lack of memory.
 * Inputs are assumed finite (ckr_metrics_table filters non-finite values). */
#include "metrics/ranking.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* O(m^2) reference implementations, exported for the tests (tests/
 * test_ranking.c declares them); same contracts as the public functions. */

/* ---- helpers -------------------------------------------------------------- */

/* Clip to [-1, 1], keeping NaN. */
static double clip1(double v)
{
    if (v > 1.0)
        return 1.0;
    if (v < -1.0)
        return -1.0;
    return v;
}

static int is_constant(const double *x, size_t m)
{
    for (size_t i = 1; i < m; i++)
        if (x[i] != x[0])
            return 0;
    return 1;
}

/* 1 if checkpoint a ranks before b: higher score first, ties by lower index. */
static int ranks_before(const double *s, size_t a, size_t b)
{
    return s[a] > s[b] || (s[a] == s[b] && a < b);
}

/* Max g over the kk (1 <= kk <= m) highest-scored checkpoints. */
static double topk_max_g(const double *s, const double *g, size_t m, size_t kk)
{
    double best = -INFINITY;
    if (kk >= m) {
        for (size_t i = 0; i < m; i++)
            if (g[i] > best)
                best = g[i];
        return best;
    }
    size_t prev = SIZE_MAX;
    for (size_t r = 0; r < kk; r++) {
        size_t next = SIZE_MAX;
        for (size_t i = 0; i < m; i++) {
            if (prev != SIZE_MAX && !ranks_before(s, prev, i))
                continue;   /* i is at or before the previous pick */
            if (next == SIZE_MAX || ranks_before(s, i, next))
                next = i;
        }
        prev = next;
        if (g[next] > best)
            best = g[next];
    }
    return best;
}

static double max_of(const double *x, size_t m)
{
    double v = -INFINITY;
    for (size_t i = 0; i < m; i++)
        if (x[i] > v)
            v = x[i];
    return v;
}

/* ---- recall@k, rel@k ------------------------------------------------------ */

double ckr_recall_at_k(const double *s, const double *g, size_t m, size_t k)
{
    if (m == 0 || k == 0)
        return NAN;
    /* a best checkpoint is in the top k iff the top k reach the max g */
    return topk_max_g(s, g, m, k) == max_of(g, m) ? 1.0 : 0.0;
}

double ckr_rel_at_k(const double *s, const double *g, size_t m, size_t k)
{
    if (m == 0 || k == 0)
        return NAN;
    double gmax = max_of(g, m);
    if (!(gmax > 0))
        return NAN;
    return topk_max_g(s, g, m, k) / gmax;
}

/* ---- Pearson -------------------------------------------------------------- */

/* Mean with one correction pass (x - mean summed again). */
static double mean_of(const double *x, size_t m)
{
    double sum = 0;
    for (size_t i = 0; i < m; i++)
        sum += x[i];
    double mu = sum / (double)m, corr = 0;
    for (size_t i = 0; i < m; i++)
        corr += x[i] - mu;
    return mu + corr / (double)m;
}

/* ||x - mu||_2, scaled against overflow. */
static double centered_norm(const double *x, size_t m, double mu)
{
    double scale = 0;
    for (size_t i = 0; i < m; i++) {
        double a = fabs(x[i] - mu);
        if (a > scale)
            scale = a;
    }
    if (!(scale > 0))
        return 0;
    double ss = 0;
    for (size_t i = 0; i < m; i++) {
        double t = (x[i] - mu) / scale;
        ss += t * t;
    }
    return scale * sqrt(ss);
}

static double sign_of(double v)
{
    return (v > 0) - (v < 0);
}

double ckr_pearson(const double *s, const double *g, size_t m)
{
    if (m < 2 || is_constant(s, m) || is_constant(g, m))
        return NAN;
    if (m == 2)   /* as scipy: exactly +-1 */
        return sign_of(s[1] - s[0]) * sign_of(g[1] - g[0]);
    double ms = mean_of(s, m), mg = mean_of(g, m);
    double ns = centered_norm(s, m, ms), ng = centered_norm(g, m, mg);
    if (!(ns > 0) || !(ng > 0))
        return NAN;
    double r = 0;
    for (size_t i = 0; i < m; i++)
        r += ((s[i] - ms) / ns) * ((g[i] - mg) / ng);
    return clip1(r);
}

/* ---- stable merge sort of an index array ---------------------------------- */

typedef int (*idx_before_fn)(const double *x, const double *y, size_t a, size_t b);

/* (x, y) lexicographically smaller */
static int lex_less(const double *x, const double *y, size_t a, size_t b)
{
    return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]);
}

/* (x, y) lexicographically greater */
static int lex_greater(const double *x, const double *y, size_t a, size_t b)
{
    return x[a] > x[b] || (x[a] == x[b] && y[a] > y[b]);
}

/* Stable: an element moves before an earlier one only if before() says so. */
static void sort_idx(size_t *idx, size_t *tmp, size_t n, idx_before_fn before,
                     const double *x, const double *y)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_idx(idx, tmp, h, before, x, y);
    sort_idx(idx + h, tmp, n - h, before, x, y);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = before(x, y, idx[j], idx[i]) ? idx[j++] : idx[i++];
    while (i < h)
        tmp[k++] = idx[i++];
    while (j < n)
        tmp[k++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
}

/* ---- Kendall tau-b -------------------------------------------------------- */

/* tau-b from the pair counts, in scipy's order of operations.
 * xtie/ytie: pairs tied in x / in y (joint ties included); ntie: joint ties. */
static double tau_b_from_counts(int64_t tot, int64_t xtie, int64_t ytie, int64_t ntie,
                                int64_t dis)
{
    if (xtie == tot || ytie == tot)
        return NAN;
    int64_t con_minus_dis = tot - xtie - ytie + ntie - 2 * dis;
    double tau = (double)con_minus_dis / sqrt((double)(tot - xtie)) /
                 sqrt((double)(tot - ytie));
    return clip1(tau);
}

double ckr_kendall_tau_b_naive(const double *s, const double *g, size_t m)
{
    if (m < 2)
        return NAN;
    int64_t xtie = 0, ytie = 0, ntie = 0, dis = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = i + 1; j < m; j++) {
            int tx = s[i] == s[j], ty = g[i] == g[j];
            xtie += tx;
            ytie += ty;
            ntie += tx && ty;
            dis += (s[i] < s[j] && g[i] > g[j]) || (s[i] > s[j] && g[i] < g[j]);
        }
    int64_t tot = (int64_t)m * (int64_t)(m - 1) / 2;
    return tau_b_from_counts(tot, xtie, ytie, ntie, dis);
}

/* Sort v ascending; return the number of pairs p < q with v[p] > v[q]. */
static int64_t sort_count_inversions(double *v, double *tmp, size_t n)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    int64_t c = sort_count_inversions(v, tmp, h) + sort_count_inversions(v + h, tmp, n - h);
    if (v[h - 1] <= v[h])
        return c;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (v[i] <= v[j]) {
            tmp[k++] = v[i++];
        } else {
            tmp[k++] = v[j++];
            c += (int64_t)(h - i);
        }
    }
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
    return c;
}

/* Sum of n(n-1)/2 over runs of equal values of v (sorted, so runs are ties). */
static int64_t tied_pairs(const double *v, size_t n)
{
    int64_t t = 0;
    size_t first = 0;
    for (size_t i = 1; i <= n; i++)
        if (i == n || v[i] != v[first]) {
            int64_t c = (int64_t)(i - first);
            t += c * (c - 1) / 2;
            first = i;
        }
    return t;
}

double ckr_kendall_tau_b(const double *s, const double *g, size_t m)
{
    if (m < 2)
        return NAN;
    size_t *idx = malloc(2 * m * sizeof *idx);
    double *v = malloc(3 * m * sizeof *v);
    if (!idx || !v) {
        free(idx);
        free(v);
        return ckr_kendall_tau_b_naive(s, g, m);
    }
    for (size_t i = 0; i < m; i++)
        idx[i] = i;
    sort_idx(idx, idx + m, m, lex_less, s, g);   /* by (s, g) ascending */
    double *sv = v, *gv = v + m, *tmp = v + 2 * m;
    for (size_t p = 0; p < m; p++) {
        sv[p] = s[idx[p]];
        gv[p] = g[idx[p]];
    }
    int64_t xtie = tied_pairs(sv, m), ntie = 0;
    size_t first = 0;
    for (size_t i = 1; i <= m; i++)
        if (i == m || sv[i] != sv[first] || gv[i] != gv[first]) {
            int64_t c = (int64_t)(i - first);
            ntie += c * (c - 1) / 2;
            first = i;
        }
    /* within equal s, g is ascending: every inversion of g is discordant */
    int64_t dis = sort_count_inversions(gv, tmp, m);
    int64_t ytie = tied_pairs(gv, m);
    free(idx);
    free(v);
    int64_t tot = (int64_t)m * (int64_t)(m - 1) / 2;
    return tau_b_from_counts(tot, xtie, ytie, ntie, dis);
}

/* ---- weighted tau --------------------------------------------------------- */

/* tau(x, y) from the weighted pair sums (scipy's formula), NaN if constant. */
static double wtau_from_sums(double tot, double u, double v, double t, double dis)
{
    double tau = ((tot - (v + u - t)) - 2.0 * dis) / sqrt(tot - u) / sqrt(tot - v);
    return clip1(tau);
}

/* One direction, O(m^2) without workspace: a pair's weight w_i + w_j is
 * split into its two endpoints, so each sum is sum_i w_i * (count over j). */
static double wtau_dir_naive(const double *x, const double *y, size_t m)
{
    if (m < 2 || is_constant(x, m) || is_constant(y, m))
        return NAN;
    double tot = 0, u = 0, v = 0, t = 0, dis = 0;
    for (size_t i = 0; i < m; i++) {
        size_t rank = 0, cu = 0, cv = 0, ct = 0, cd = 0;
        for (size_t j = 0; j < m; j++) {
            int tx = x[j] == x[i], ty = y[j] == y[i];
            /* rank = position in decreasing lexicographic (x, y) order,
             * joint ties in index order (their order cancels out) */
            rank += lex_greater(x, y, j, i) || (tx && ty && j < i);
            if (j == i)
                continue;
            cu += tx;
            cv += ty;
            ct += tx && ty;
            cd += (x[i] < x[j] && y[i] > y[j]) || (x[i] > x[j] && y[i] < y[j]);
        }
        double w = 1.0 / ((double)rank + 1.0);
        tot += w * (double)(m - 1);
        u += w * (double)cu;
        v += w * (double)cv;
        t += w * (double)ct;
        dis += w * (double)cd;
    }
    return wtau_from_sums(tot, u, v, t, dis);
}

double ckr_weighted_tau_naive(const double *s, const double *g, size_t m)
{
    return 0.5 * (wtau_dir_naive(s, g, m) + wtau_dir_naive(g, s, m));
}

/* Sum over runs of equal values of key[] (consecutive) of S_run * (len - 1),
 * S_run = the run's weights: the additive weight of the run's tied pairs.
 * key2 (optional) must also be equal. *nruns gets the number of runs. */
static double tied_weight(const double *key, const double *key2, const double *w, size_t n,
                          size_t *nruns)
{
    double total = 0, run = 0;
    size_t first = 0;
    *nruns = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || key[i] != key[first] || (key2 && key2[i] != key2[first])) {
            total += run * (double)(i - first - 1);
            (*nruns)++;
            run = 0;
            first = i;
            if (i == n)
                break;
        }
        run += w[i];
    }
    return total;
}

/* Sort (y, w) into non-increasing y; return the weight sum over pairs p < q
 * with y[p] < y[q] of w[p] + w[q]. */
static double sort_weigh_discordant(double *y, double *w, double *ty, double *tw, size_t n)
{
    if (n < 2)
        return 0;
    size_t h = n / 2;
    double d = sort_weigh_discordant(y, w, ty, tw, h) +
               sort_weigh_discordant(y + h, w + h, ty, tw, n - h);
    if (y[h - 1] >= y[h])
        return d;
    double residual = 0;   /* weight of the left elements not yet merged */
    for (size_t i = 0; i < h; i++)
        residual += w[i];
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        if (y[i] >= y[j]) {
            residual -= w[i];
            ty[k] = y[i];
            tw[k++] = w[i++];
        } else {   /* y[j] beats every remaining left element */
            d += w[j] * (double)(h - i) + residual;
            ty[k] = y[j];
            tw[k++] = w[j++];
        }
    }
    while (i < h) {
        ty[k] = y[i];
        tw[k++] = w[i++];
    }
    while (j < n) {
        ty[k] = y[j];
        tw[k++] = w[j++];
    }
    memcpy(y, ty, n * sizeof *y);
    memcpy(w, tw, n * sizeof *w);
    return d;
}

/* One direction tau(x, y), O(m log m). idx: 2m size_t, dw: 5m doubles. */
static double wtau_dir_fast(const double *x, const double *y, size_t m, size_t *idx,
                            double *dw)
{
    if (m < 2)
        return NAN;
    for (size_t i = 0; i < m; i++)
        idx[i] = i;
    sort_idx(idx, idx + m, m, lex_greater, x, y);   /* rank 0 = largest (x, y) */
    double *xv = dw, *yv = dw + m, *w = dw + 2 * m, *ty = dw + 3 * m, *tw = dw + 4 * m;
    double wsum = 0;
    for (size_t p = 0; p < m; p++) {
        xv[p] = x[idx[p]];
        yv[p] = y[idx[p]];
        w[p] = 1.0 / ((double)p + 1.0);
        wsum += w[p];
    }
    size_t runs;
    double t = tied_weight(xv, yv, w, m, &runs);
    double u = tied_weight(xv, NULL, w, m, &runs);
    if (runs == 1)
        return NAN;   /* x constant */
    /* in (x, y)-decreasing order a pair p < q is discordant iff y[p] < y[q] */
    double dis = sort_weigh_discordant(yv, w, ty, tw, m);
    double v = tied_weight(yv, NULL, w, m, &runs);
    if (runs == 1)
        return NAN;   /* y constant */
    double tot = wsum * (double)(m - 1);
    return wtau_from_sums(tot, u, v, t, dis);
}

double ckr_weighted_tau(const double *s, const double *g, size_t m)
{
    if (m < 2)
        return NAN;
    size_t *idx = malloc(2 * m * sizeof *idx);
    double *dw = malloc(5 * m * sizeof *dw);
    if (!idx || !dw) {
        free(idx);
        free(dw);
        return ckr_weighted_tau_naive(s, g, m);
    }
    double a = wtau_dir_fast(s, g, m, idx, dw);
    double b = wtau_dir_fast(g, s, m, idx, dw);
    free(idx);
    free(dw);
    return 0.5 * (a + b);
}
