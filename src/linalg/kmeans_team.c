/* kmeans_team.c -- k-means on a team (contract in linalg/kmeans_team.h;
 * the sums are linalg/rowsum.h's). */
#include "linalg/kmeans_team.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "util/flops.h"
#include "util/stop.h"

/* ---- small helpers ------------------------------------------------------ */

static double sqdist(const double *a, const double *b, size_t d)
{
    double s = 0.0;
    for (size_t j = 0; j < d; j++) {
        double t = a[j] - b[j];
        s += t * t;
    }
    return s;
}

/* Per-piece sums of v (n values) into part (pieces). */
static void piece_sums(const ckr_rowsum *s, const double *v, double *part)
{
    for (size_t q = 0; q < s->npieces; q++) {
        size_t i0, len;
        ckr_rowsum_piece(s, q, &i0, &len);
        double t = 0.0;
        for (size_t i = i0; i < i0 + len; i++)
            t += v[i];
        part[q] = t;
    }
    ckr_flops_add((double)s->n);
}

/* Broadcast global row i of X (d values, and a trailing extra value) from
 * the rank holding it into row (d + 1). */
static int bcast_row(const ckr_rowsum *s, const double *X, const double *extra, size_t d,
                     size_t i, double *row)
{
    int owner = ckr_rowsum_owner(s, i);
    if (s->rank == owner) {
        memcpy(row, X + (i - s->row0) * d, d * sizeof *row);
        row[d] = extra ? extra[i - s->row0] : 0.0;
    } else {
        memset(row, 0, (d + 1) * sizeof *row);
    }
    return MPI_Bcast(row, (int)d + 1, MPI_DOUBLE, owner, s->comm) == MPI_SUCCESS ? 0 : CKR_EMPI;
}

/* ---- k-means++ on the team -------------------------------------------- */

typedef struct km_ws {
    double *xsq, *closest, *dist, *rows, *part, *ptot, *red, *allp;
    size_t *cand;
} km_ws;

/* The first global row whose running sum of closest[] exceeds r (the
 * single-rank rule), located through the piece totals ptot (all pieces, row
 * order); the rank holding it writes [row index, |x|^2, x] into slot (d + 2
 * values, zero elsewhere). */
static void locate(const ckr_rowsum *s, const km_ws *w, const double *X, size_t d, double r,
                   double *slot)
{
    double acc = 0.0;
    size_t q = 0, piece_rank_q = 0;
    int owner = -1;
    for (int k = 0; k < s->P && owner < 0; k++)
        for (size_t t = 0; t < s->rpieces[k]; t++, q++) {
            if (acc + w->ptot[q] > r) {
                owner = k;
                piece_rank_q = t;
                break;
            }
            acc += w->ptot[q];
        }
    size_t i;
    if (owner < 0) { /* r beyond the total (rounding): the last row */
        if (s->rank != ckr_rowsum_owner(s, s->n_total - 1))
            return;
        i = s->n - 1;
    } else {
        if (owner != s->rank)
            return;
        size_t i0, len;
        ckr_rowsum_piece(s, piece_rank_q, &i0, &len);
        double run = acc;
        for (i = i0; i < i0 + len; i++) {
            run += w->closest[i];
            if (run > r)
                break;
        }
        if (i == i0 + len)
            i = i0 + len - 1;
    }
    slot[0] = (double)(s->row0 + i);
    slot[1] = w->xsq[i];
    memcpy(slot + 2, X + i * d, d * sizeof *slot);
}

static int plusplus_team(const ckr_rowsum *s, const double *X, size_t d, size_t k,
                         ckr_rng *rng, double *centers, km_ws *w)
{
    size_t n = s->n, trials = 2 + (size_t)floor(log((double)k));
    int rc;
    for (size_t i = 0; i < n; i++) {
        double t = 0.0;
        for (size_t j = 0; j < d; j++)
            t += X[i * d + j] * X[i * d + j];
        w->xsq[i] = t;
    }
    ckr_flops_add(2.0 * (double)n * (double)d);
    size_t first = (size_t)ckr_rng_below(rng, s->n_total);
    if ((rc = bcast_row(s, X, w->xsq, d, first, w->rows)))
        return rc;
    memcpy(centers, w->rows, d * sizeof *centers);
    for (size_t i = 0; i < n; i++)
        w->closest[i] = s->row0 + i == first ? 0.0 : sqdist(X + i * d, w->rows, d);
    ckr_flops_add(3.0 * (double)n * (double)d);
    /* every piece's total of closest[] on every rank (row order), and their
     * ordered sum; later rounds get both from the candidates' gather */
    piece_sums(s, w->closest, w->part);
    int stop = ckr_stop_requested() ? 1 : 0;
    if ((rc = ckr_rowsum_gather(s, w->part, 1, w->ptot, &stop, 1)))
        return rc;
    double pot = w->ptot[0];
    for (size_t q = 1; q < s->total_pieces; q++)
        pot += w->ptot[q];
    for (size_t c = 1; c < k; c++) {
        if (stop)
            return CKR_EINTR;
        /* the candidates: every rank draws the same uniforms; the holders of
         * the drawn rows fill their slots; one sum hands them to all */
        size_t sl = d + 2;
        memset(w->rows, 0, trials * sl * sizeof *w->rows);
        for (size_t t = 0; t < trials; t++)
            locate(s, w, X, d, ckr_rng_uniform(rng) * pot, w->rows + t * sl);
        if (s->P > 1 && MPI_Allreduce(MPI_IN_PLACE, w->rows, (int)(trials * sl), MPI_DOUBLE,
                                      MPI_SUM, s->comm) != MPI_SUCCESS)
            return CKR_EMPI;
        for (size_t t = 0; t < trials; t++)
            w->cand[t] = (size_t)w->rows[t * sl];
        /* dist[t][i] = min(closest_i, |x_i - cand_t|^2), expanded form */
        if (n)
            ckr_dgemm(0, 1, trials, n, d, 1.0, w->rows + 2, sl, X, d, 0.0, w->dist, n);
        for (size_t t = 0; t < trials; t++) {
            double *row = w->dist + t * n, cs = w->rows[t * sl + 1];
            for (size_t i = 0; i < n; i++) {
                double v = cs + w->xsq[i] - 2.0 * row[i];
                v = v > 0.0 ? v : 0.0;
                row[i] = v < w->closest[i] ? v : w->closest[i];
            }
            if (w->cand[t] >= s->row0 && w->cand[t] < s->row0 + n)
                row[w->cand[t] - s->row0] = 0.0; /* the candidate's own distance */
            for (size_t q = 0; q < s->npieces; q++) {
                size_t i0, len;
                ckr_rowsum_piece(s, q, &i0, &len);
                double p = 0.0;
                for (size_t i = i0; i < i0 + len; i++)
                    p += row[i];
                w->part[q * trials + t] = p;
            }
        }
        ckr_flops_add(5.0 * (double)trials * (double)n + 2.0 * (double)n);
        stop = ckr_stop_requested() ? 1 : 0;
        if ((rc = ckr_rowsum_gather(s, w->part, trials, w->allp, &stop, 1)))
            return rc;
        for (size_t t = 0; t < trials; t++) { /* the ordered piece sums */
            double v = w->allp[t];
            for (size_t q = 1; q < s->total_pieces; q++)
                v += w->allp[q * trials + t];
            w->red[t] = v;
        }
        size_t best = 0;
        double best_pot = INFINITY;
        for (size_t t = 0; t < trials; t++)
            if (w->red[t] < best_pot) {
                best_pot = w->red[t];
                best = t;
            }
        if (n)
            memcpy(w->closest, w->dist + best * n, n * sizeof *w->closest);
        pot = best_pot > 0.0 ? best_pot : 0.0;
        for (size_t q = 0; q < s->total_pieces; q++) /* the pieces of the new closest[] */
            w->ptot[q] = w->allp[q * trials + best];
        memcpy(centers + c * d, w->rows + best * sl + 2, d * sizeof *centers);
    }
    return 0;
}

/* ---- Lloyd on the team ------------------------------------------------- */

#define ASSIGN_BLOCK 256

/* Nearest centre of every local row (expanded form, as kmeans.c's full
 * pass). dots: ASSIGN_BLOCK x k scratch; csq: k. */
static void assign_all(const ckr_rowsum *s, const double *X, const double *xsq, size_t d,
                       size_t k, const double *C, double *csq, double *dots, int *labels)
{
    for (size_t j = 0; j < k; j++) {
        double t = 0.0;
        for (size_t a = 0; a < d; a++)
            t += C[j * d + a] * C[j * d + a];
        csq[j] = t;
    }
    for (size_t i0 = 0; i0 < s->n; i0 += ASSIGN_BLOCK) {
        size_t b = s->n - i0 < ASSIGN_BLOCK ? s->n - i0 : ASSIGN_BLOCK;
        ckr_dgemm(0, 1, b, k, d, 1.0, X + i0 * d, d, C, d, 0.0, dots, k);
        for (size_t r = 0; r < b; r++) {
            size_t i = i0 + r;
            double best = INFINITY;
            int a = 0;
            for (size_t j = 0; j < k; j++) {
                double v = xsq[i] + csq[j] - 2.0 * dots[r * k + j];
                v -= 8.0 * DBL_EPSILON * (xsq[i] + csq[j]);
                v = v > 0.0 ? v : 0.0;
                if (v < best) {
                    best = v;
                    a = (int)j;
                }
            }
            labels[i] = a;
        }
    }
    ckr_flops_add(6.0 * (double)s->n * (double)k + 2.0 * (double)k * (double)d);
}

/* Empty clusters take the globally farthest points from their old centres
 * (ties: lowest global row). sums (k x d) and counts (k) are the team's. */
static int relocate_empty_team(const ckr_rowsum *s, const double *X, size_t d, size_t k,
                               const double *C, const int *labels, double *sums,
                               double *counts, double *row)
{
    size_t n_empty = 0, n = s->n;
    for (size_t j = 0; j < k; j++)
        n_empty += counts[j] == 0.0;
    if (n_empty == 0)
        return 0;
    double *dist = malloc((n ? n : 1) * sizeof *dist), *all = malloc(2 * (size_t)s->P * sizeof *all);
    int rc = dist && all ? 0 : CKR_ENOMEM;
    if ((rc = ckr_dist_agree(s->comm, rc, NULL)))
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        dist[i] = sqdist(X + i * d, C + (size_t)labels[i] * d, d);
    ckr_flops_add(3.0 * (double)n * (double)d);
    for (size_t j = 0; j < k; j++) {
        if (counts[j] != 0.0)
            continue;
        double mine[2] = { -INFINITY, 0.0 };
        for (size_t i = 0; i < n; i++)
            if (dist[i] > mine[0]) {
                mine[0] = dist[i];
                mine[1] = (double)(s->row0 + i);
            }
        if (MPI_Allgather(mine, 2, MPI_DOUBLE, all, 2, MPI_DOUBLE, s->comm) != MPI_SUCCESS) {
            rc = CKR_EMPI;
            break;
        }
        int win = -1; /* the largest distance; ranks in row order keep the lowest row */
        for (int r = 0; r < s->P; r++)
            if (s->rn[r] > 0 && (win < 0 || all[2 * r] > all[2 * win]))
                win = r;
        if (win < 0 || !(all[2 * win] >= 0.0))
            break;
        size_t far = (size_t)all[2 * win + 1];
        if (s->rank == win) {
            memcpy(row, X + (far - s->row0) * d, d * sizeof *row);
            row[d] = (double)labels[far - s->row0];
            dist[far - s->row0] = -1.0;
        }
        if (MPI_Bcast(row, (int)d + 1, MPI_DOUBLE, win, s->comm) != MPI_SUCCESS) {
            rc = CKR_EMPI;
            break;
        }
        size_t old = (size_t)row[d];
        for (size_t t = 0; t < d; t++) {
            sums[old * d + t] -= row[t];
            sums[j * d + t] = row[t];
        }
        counts[old] -= 1.0;
        counts[j] = 1.0;
    }
cleanup:
    free(dist);
    free(all);
    return rc;
}

/* Lloyd's iterations as ckr_kmeans_lloyd. */
static int lloyd_team(const ckr_rowsum *s, const double *X, size_t d, size_t k, double *C,
                      int max_iter, double tol, int *labels, ckr_kmeans_stats *st, km_ws *w)
{
    size_t n = s->n, m = k + k * d;
    int rc = 0, strict = 0, it;
    int *old = malloc((n ? n : 1) * sizeof *old);
    double *csq = malloc(k * sizeof *csq), *dots = malloc(ASSIGN_BLOCK * k * sizeof *dots);
    double *part = malloc((s->npieces ? s->npieces : 1) * m * sizeof *part);
    double *tot = malloc(m * sizeof *tot), *newc = malloc(k * d * sizeof *newc);
    if (!old || !csq || !dots || !part || !tot || !newc)
        rc = CKR_ENOMEM;
    if ((rc = ckr_dist_agree(s->comm, rc, NULL)))
        goto cleanup;
    for (size_t i = 0; i < n; i++)
        old[i] = -1;
    for (it = 0; it < (max_iter > 0 ? max_iter : 1); it++) {
        assign_all(s, X, w->xsq, d, k, C, csq, dots, labels);
        st->dist_evals += s->n_total * k;
        memset(part, 0, (s->npieces ? s->npieces : 1) * m * sizeof *part);
        for (size_t q = 0; q < s->npieces; q++) {
            size_t i0, len;
            ckr_rowsum_piece(s, q, &i0, &len);
            double *cnt = part + q * m, *sum = cnt + k;
            for (size_t i = i0; i < i0 + len; i++) {
                size_t a = (size_t)labels[i];
                cnt[a] += 1.0;
                for (size_t t = 0; t < d; t++)
                    sum[a * d + t] += X[i * d + t];
            }
        }
        ckr_flops_add((double)n * (double)d);
        /* flags: the stop request, labels changed since the last iteration */
        int flags[2] = { ckr_stop_requested() ? 1 : 0,
                         n ? memcmp(labels, old, n * sizeof *labels) != 0 : 0 };
        if ((rc = ckr_rowsum_reduce_flags(s, part, m, tot, flags, 2)))
            goto cleanup;
        if (flags[0]) {
            rc = CKR_EINTR;
            goto cleanup;
        }
        double *counts = tot, *sums = tot + k;
        if ((rc = relocate_empty_team(s, X, d, k, C, labels, sums, counts, w->rows)))
            goto cleanup;
        double shift = 0.0;
        for (size_t j = 0; j < k; j++) {
            double *nc = newc + j * d;
            if (counts[j] > 0.0)
                for (size_t t = 0; t < d; t++)
                    nc[t] = sums[j * d + t] / counts[j];
            else
                memcpy(nc, C + j * d, d * sizeof *nc);
            shift += sqdist(nc, C + j * d, d);
        }
        ckr_flops_add(4.0 * (double)k * (double)d);
        memcpy(C, newc, k * d * sizeof *C);
        if (!flags[1]) {
            strict = 1;
            break;
        }
        if (shift <= tol)
            break;
        if (n)
            memcpy(old, labels, n * sizeof *old);
    }
    st->iters = it < max_iter ? it + 1 : max_iter;
    if (max_iter <= 0)
        st->iters = 1;
    if (!strict) {
        assign_all(s, X, w->xsq, d, k, C, csq, dots, labels);
        st->dist_evals += s->n_total * k;
    }
    st->strict_converged = strict;
    for (size_t q = 0; q < s->npieces; q++) {
        size_t i0, len;
        ckr_rowsum_piece(s, q, &i0, &len);
        double v = 0.0;
        for (size_t i = i0; i < i0 + len; i++)
            v += sqdist(X + i * d, C + (size_t)labels[i] * d, d);
        part[q] = v;
    }
    ckr_flops_add(3.0 * (double)n * (double)d);
    rc = ckr_rowsum_reduce_flags(s, part, 1, &st->inertia, NULL, 0);
cleanup:
    free(old);
    free(csq);
    free(dots);
    free(part);
    free(tot);
    free(newc);
    return rc;
}

/* ---- the fit ------------------------------------------------------------ */

/* Column sums of the local rows per piece (pieces x d) into part. */
static void column_piece_sums(const ckr_rowsum *s, const double *X, size_t d, const double *sub,
                              double *part)
{
    memset(part, 0, (s->npieces ? s->npieces : 1) * d * sizeof *part);
    for (size_t q = 0; q < s->npieces; q++) {
        size_t i0, len;
        ckr_rowsum_piece(s, q, &i0, &len);
        double *p = part + q * d;
        for (size_t i = i0; i < i0 + len; i++)
            for (size_t t = 0; t < d; t++) {
                double v = X[i * d + t] - (sub ? sub[t] : 0.0);
                p[t] += sub ? v * v : v;
            }
    }
    ckr_flops_add(3.0 * (double)s->n * (double)d);
}

int ckr_kmeans_team_fit(ckr_rowsum *s, const double *X, size_t d, size_t k, int max_iter,
                        double tol_rel, ckr_rng *rng, double *centers, int *labels,
                        ckr_kmeans_stats *st, ckr_err *err)
{
    ckr_kmeans_stats local;
    if (!st)
        st = &local;
    memset(st, 0, sizeof *st);
    size_t N = s->n_total, n = s->n;
    if (k == 0 || k > N)
        return ckr_err_set(err, CKR_EARG, "k-means: need 1 <= k <= n (k=%zu, n=%zu)", k, N);
    size_t trials = 2 + (size_t)floor(log((double)k)), np = s->npieces ? s->npieces : 1;
    size_t pw = d > trials ? d : trials;
    km_ws w = { 0 };
    double *Xc = malloc((n ? n : 1) * (d ? d : 1) * sizeof *Xc);
    double *mean = malloc((d ? d : 1) * sizeof *mean), *var = malloc((d ? d : 1) * sizeof *var);
    w.xsq = calloc(n ? n : 1, sizeof *w.xsq);
    w.closest = malloc((n ? n : 1) * sizeof *w.closest);
    w.dist = malloc((n ? n : 1) * trials * sizeof *w.dist);
    w.rows = calloc(trials * (d + 2), sizeof *w.rows);
    w.part = malloc(np * pw * sizeof *w.part);
    w.ptot = malloc((s->total_pieces ? s->total_pieces : 1) * sizeof *w.ptot);
    w.red = malloc(trials * sizeof *w.red);
    w.allp = malloc((s->total_pieces ? s->total_pieces : 1) * trials * sizeof *w.allp);
    w.cand = malloc(trials * sizeof *w.cand);
    int rc = 0;
    if (!Xc || !mean || !var || !w.xsq || !w.closest || !w.dist || !w.rows || !w.part ||
        !w.ptot || !w.red || !w.cand || !w.allp)
        rc = CKR_ENOMEM;
    if ((rc = ckr_dist_agree(s->comm, rc, NULL)))
        goto cleanup;
    if ((rc = ckr_rowsum_reserve(s, k + k * d > pw ? k + k * d : pw)))
        goto cleanup;
    /* centre by the team's column means */
    column_piece_sums(s, X, d, NULL, w.part);
    if ((rc = ckr_rowsum_reduce_flags(s, w.part, d, mean, NULL, 0)))
        goto cleanup;
    for (size_t t = 0; t < d; t++)
        mean[t] /= (double)N;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            Xc[i * d + t] = X[i * d + t] - mean[t];
    ckr_flops_add(2.0 * (double)n * (double)d);
    /* sklearn's tolerance on the centred data (ckr_kmeans_tolerance) */
    double tol = 0.0;
    if (tol_rel != 0.0 && d > 0) {
        double total = 0.0;
        column_piece_sums(s, Xc, d, NULL, w.part);
        if ((rc = ckr_rowsum_reduce_flags(s, w.part, d, var, NULL, 0)))
            goto cleanup;
        for (size_t t = 0; t < d; t++)
            var[t] /= (double)N; /* the centred data's column means (~0) */
        column_piece_sums(s, Xc, d, var, w.part);
        double *v2 = malloc(d * sizeof *v2);
        rc = v2 ? 0 : CKR_ENOMEM;
        if ((rc = ckr_dist_agree(s->comm, rc, NULL))) {
            free(v2);
            goto cleanup;
        }
        rc = ckr_rowsum_reduce_flags(s, w.part, d, v2, NULL, 0);
        for (size_t t = 0; rc == 0 && t < d; t++)
            total += v2[t] / (double)N;
        free(v2);
        if (rc)
            goto cleanup;
        tol = total / (double)d * tol_rel;
    }
    if ((rc = plusplus_team(s, Xc, d, k, rng, centers, &w)))
        goto cleanup;
    if ((rc = lloyd_team(s, Xc, d, k, centers, max_iter, tol, labels, st, &w)))
        goto cleanup;
    for (size_t j = 0; j < k; j++)
        for (size_t t = 0; t < d; t++)
            centers[j * d + t] += mean[t];
cleanup:
    free(Xc);
    free(mean);
    free(var);
    free(w.xsq);
    free(w.closest);
    free(w.dist);
    free(w.rows);
    free(w.part);
    free(w.ptot);
    free(w.red);
    free(w.allp);
    free(w.cand);
    if (rc == CKR_ENOMEM)
        return ckr_err_set(err, rc, "k-means: out of memory (n=%zu, k=%zu)", N, k);
    if (rc == CKR_EINTR)
        return ckr_err_set(err, rc, "k-means: stopped (the item is abandoned)");
    if (rc)
        return ckr_err_set(err, rc, "k-means: %s on the team", ckr_err_word(rc));
    return 0;
}
