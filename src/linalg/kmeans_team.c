/* kmeans_team.c -- ordered row-piece sums and k-means on a team (contract
 * in linalg/kmeans_team.h). */
#include "linalg/kmeans_team.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "util/flops.h"
#include "util/stop.h"

/* ---- row pieces and ordered sums ---------------------------------------- */

static size_t pieces_of(size_t row0, size_t n)
{
    if (n == 0)
        return 0;
    size_t b0 = row0 / CKR_ROWSUM_BLOCK, b1 = (row0 + n - 1) / CKR_ROWSUM_BLOCK;
    return b1 - b0 + 1;
}

void ckr_rowsum_free(ckr_rowsum *s)
{
    free(s->rrow0);
    free(s->rn);
    free(s->rpieces);
    memset(s, 0, sizeof *s);
}

int ckr_rowsum_init(ckr_rowsum *s, MPI_Comm comm, size_t row0, size_t n, size_t n_total,
                    ckr_err *err)
{
    memset(s, 0, sizeof *s);
    s->comm = comm;
    if (MPI_Comm_size(comm, &s->P) != MPI_SUCCESS || MPI_Comm_rank(comm, &s->rank) != MPI_SUCCESS)
        return ckr_err_set(err, CKR_EMPI, "team: MPI failed");
    s->row0 = row0;
    s->n = n;
    s->n_total = n_total;
    size_t P = (size_t)s->P;
    unsigned long long mine[2] = { row0, n }, *all = malloc(2 * P * sizeof *all);
    s->rrow0 = malloc(P * sizeof *s->rrow0);
    s->rn = malloc(P * sizeof *s->rn);
    s->rpieces = malloc(P * sizeof *s->rpieces);
    int rc = 0;
    if (!all || !s->rrow0 || !s->rn || !s->rpieces)
        rc = ckr_err_set(err, CKR_ENOMEM, "team: out of memory for %zu ranks", P);
    if ((rc = ckr_dist_agree(comm, rc, err)))
        goto cleanup;
    if (MPI_Allgather(mine, 2, MPI_UNSIGNED_LONG_LONG, all, 2, MPI_UNSIGNED_LONG_LONG, comm) !=
        MPI_SUCCESS) {
        rc = ckr_err_set(err, CKR_EMPI, "team: MPI failed");
        goto cleanup;
    }
    size_t at = 0;
    for (size_t r = 0; r < P; r++) {
        s->rrow0[r] = (size_t)all[2 * r];
        s->rn[r] = (size_t)all[2 * r + 1];
        if (s->rn[r] > 0 && s->rrow0[r] != at)
            rc = CKR_EARG;
        at += s->rn[r];
        s->rpieces[r] = pieces_of(s->rrow0[r], s->rn[r]);
        s->total_pieces += s->rpieces[r];
    }
    if (rc || at != n_total)
        rc = ckr_err_set(err, CKR_EARG, "team: the ranks' rows are not one contiguous run of %zu",
                         n_total);
    s->npieces = s->rpieces[s->rank];
cleanup:
    free(all);
    if (rc)
        ckr_rowsum_free(s);
    return rc;
}

void ckr_rowsum_piece(const ckr_rowsum *s, size_t q, size_t *i0, size_t *len)
{
    size_t g0 = s->row0, first = g0 / CKR_ROWSUM_BLOCK;
    size_t lo = q == 0 ? g0 : (first + q) * CKR_ROWSUM_BLOCK;
    size_t hi = (first + q + 1) * CKR_ROWSUM_BLOCK;
    if (hi > g0 + s->n)
        hi = g0 + s->n;
    *i0 = lo - g0;
    *len = hi - lo;
}

int ckr_rowsum_owner(const ckr_rowsum *s, size_t i)
{
    for (int r = 0; r < s->P; r++)
        if (s->rn[r] > 0 && i >= s->rrow0[r] && i < s->rrow0[r] + s->rn[r])
            return r;
    return 0;
}

/* Elements [seg_lo(k), seg_lo(k+1)) of m form segment k of P. */
static size_t seg_lo(size_t m, int P, int k)
{
    return m / (size_t)P * (size_t)k + (m % (size_t)P) * (size_t)k / (size_t)P;
}

int ckr_rowsum_reduce(const ckr_rowsum *s, const double *part, size_t m, double *out)
{
    int P = s->P, me = s->rank, rc = 0;
    if (m == 0)
        return 0;
    if (P == 1) { /* the pieces in order */
        memcpy(out, part, m * sizeof *out);
        for (size_t q = 1; q < s->npieces; q++)
            for (size_t j = 0; j < m; j++)
                out[j] += part[q * m + j];
        ckr_flops_add((double)m * (double)(s->npieces ? s->npieces - 1 : 0));
        return 0;
    }
    size_t my_lo = seg_lo(m, P, me), my_len = seg_lo(m, P, me + 1) - my_lo;
    int *cnt = calloc(4 * (size_t)P, sizeof *cnt);
    double *send = malloc((s->npieces * m > 0 ? s->npieces * m : 1) * sizeof *send);
    double *recv = malloc((s->total_pieces * my_len > 0 ? s->total_pieces * my_len : 1) *
                          sizeof *recv);
    if (!cnt || !send || !recv)
        rc = CKR_ENOMEM;
    else if (s->npieces * m > 2147483647 || s->total_pieces * my_len > 2147483647)
        rc = CKR_EARG;
    if (rc)
        goto agree;
    int *sc = cnt, *sd = cnt + P, *rcn = cnt + 2 * P, *rd = cnt + 3 * P;
    size_t at = 0; /* segment k of every piece, for rank k */
    for (int k = 0; k < P; k++) {
        size_t lo = seg_lo(m, P, k), len = seg_lo(m, P, k + 1) - lo;
        sd[k] = (int)at;
        for (size_t q = 0; q < s->npieces; q++, at += len)
            memcpy(send + at, part + q * m + lo, len * sizeof *send);
        sc[k] = (int)(at - (size_t)sd[k]);
    }
    at = 0;
    for (int k = 0; k < P; k++) {
        rd[k] = (int)at;
        rcn[k] = (int)(s->rpieces[k] * my_len);
        at += s->rpieces[k] * my_len;
    }
    if (MPI_Alltoallv(send, sc, sd, MPI_DOUBLE, recv, rcn, rd, MPI_DOUBLE, s->comm) !=
        MPI_SUCCESS) {
        rc = CKR_EMPI;
        goto agree;
    }
    /* recv: the pieces in row order (rank order, then each rank's order) */
    for (size_t j = 0; j < my_len; j++) {
        double v = s->total_pieces ? recv[j] : 0.0;
        for (size_t q = 1; q < s->total_pieces; q++)
            v += recv[q * my_len + j];
        out[my_lo + j] = v;
    }
    ckr_flops_add((double)my_len * (double)s->total_pieces);
    for (int k = 0; k < P; k++) {
        rd[k] = (int)seg_lo(m, P, k);
        rcn[k] = (int)(seg_lo(m, P, k + 1) - (size_t)rd[k]);
    }
    if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, out, rcn, rd, MPI_DOUBLE, s->comm) !=
        MPI_SUCCESS)
        rc = CKR_EMPI;
agree:
    free(cnt);
    free(send);
    free(recv);
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, s->comm) != MPI_SUCCESS)
        return CKR_EMPI;
    return worst;
}

int ckr_team_stop_agreed(MPI_Comm comm)
{
    int mine = ckr_stop_requested() ? 1 : 0, any = 1;
    if (MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
        return 1;
    return any;
}

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
    double *xsq, *closest, *dist, *rows, *part, *ptot, *red;
    size_t *cand;
} km_ws;

/* The first global row whose running sum of closest[] exceeds r (the
 * single-rank rule), located through the piece totals ptot (all pieces, row
 * order) and then by the rank holding that piece. */
static int locate(const ckr_rowsum *s, const km_ws *w, double r, size_t *out)
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
    if (owner < 0) { /* r beyond the total (rounding): the last row */
        *out = s->n_total - 1;
        return 0;
    }
    unsigned long long idx = 0;
    if (owner == s->rank) {
        size_t i0, len;
        ckr_rowsum_piece(s, piece_rank_q, &i0, &len);
        size_t i = i0;
        double run = acc;
        for (; i < i0 + len; i++) {
            run += w->closest[i];
            if (run > r)
                break;
        }
        if (i == i0 + len)
            i = i0 + len - 1;
        idx = s->row0 + i;
    }
    if (MPI_Bcast(&idx, 1, MPI_UNSIGNED_LONG_LONG, owner, s->comm) != MPI_SUCCESS)
        return CKR_EMPI;
    *out = (size_t)idx;
    return 0;
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
    piece_sums(s, w->closest, w->part);
    double pot;
    if ((rc = ckr_rowsum_reduce(s, w->part, 1, &pot)))
        return rc;
    for (size_t c = 1; c < k; c++) {
        if (ckr_team_stop_agreed(s->comm))
            return CKR_EINTR;
        /* every piece's total, in row order, on every rank */
        piece_sums(s, w->closest, w->part);
        int *cnt = malloc(2 * (size_t)s->P * sizeof *cnt);
        if (!cnt)
            rc = CKR_ENOMEM;
        if ((rc = ckr_dist_agree(s->comm, rc, NULL))) {
            free(cnt);
            return rc;
        }
        size_t at = 0;
        for (int r = 0; r < s->P; r++) {
            cnt[r] = (int)s->rpieces[r];
            cnt[s->P + r] = (int)at;
            at += s->rpieces[r];
        }
        rc = MPI_Allgatherv(w->part, (int)s->npieces, MPI_DOUBLE, w->ptot, cnt, cnt + s->P,
                            MPI_DOUBLE, s->comm) == MPI_SUCCESS ? 0 : CKR_EMPI;
        free(cnt);
        if (rc)
            return rc;
        for (size_t t = 0; t < trials; t++) {
            double r = ckr_rng_uniform(rng) * pot;
            if ((rc = locate(s, w, r, &w->cand[t])) ||
                (rc = bcast_row(s, X, w->xsq, d, w->cand[t], w->rows + t * (d + 1))))
                return rc;
        }
        /* dist[t][i] = min(closest_i, |x_i - cand_t|^2), expanded form */
        if (n)
            ckr_dgemm(0, 1, trials, n, d, 1.0, w->rows, d + 1, X, d, 0.0, w->dist, n);
        for (size_t t = 0; t < trials; t++) {
            double *row = w->dist + t * n, cs = w->rows[t * (d + 1) + d];
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
        if ((rc = ckr_rowsum_reduce(s, w->part, trials, w->red)))
            return rc;
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
        memcpy(centers + c * d, w->rows + best * (d + 1), d * sizeof *centers);
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
        if (ckr_team_stop_agreed(s->comm)) {
            rc = CKR_EINTR;
            goto cleanup;
        }
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
        if ((rc = ckr_rowsum_reduce(s, part, m, tot)))
            goto cleanup;
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
        int changed = n ? memcmp(labels, old, n * sizeof *labels) != 0 : 0, any = 1;
        if (MPI_Allreduce(&changed, &any, 1, MPI_INT, MPI_MAX, s->comm) != MPI_SUCCESS) {
            rc = CKR_EMPI;
            goto cleanup;
        }
        if (!any) {
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
    rc = ckr_rowsum_reduce(s, part, 1, &st->inertia);
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

int ckr_kmeans_team_fit(const ckr_rowsum *s, const double *X, size_t d, size_t k, int max_iter,
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
    w.rows = calloc(trials * (d + 1), sizeof *w.rows);
    w.part = malloc(np * pw * sizeof *w.part);
    w.ptot = malloc((s->total_pieces ? s->total_pieces : 1) * sizeof *w.ptot);
    w.red = malloc(trials * sizeof *w.red);
    w.cand = malloc(trials * sizeof *w.cand);
    int rc = 0;
    if (!Xc || !mean || !var || !w.xsq || !w.closest || !w.dist || !w.rows || !w.part ||
        !w.ptot || !w.red || !w.cand)
        rc = CKR_ENOMEM;
    if ((rc = ckr_dist_agree(s->comm, rc, NULL)))
        goto cleanup;
    /* centre by the team's column means */
    column_piece_sums(s, X, d, NULL, w.part);
    if ((rc = ckr_rowsum_reduce(s, w.part, d, mean)))
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
        if ((rc = ckr_rowsum_reduce(s, w.part, d, var)))
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
        rc = ckr_rowsum_reduce(s, w.part, d, v2);
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
    free(w.cand);
    if (rc == CKR_ENOMEM)
        return ckr_err_set(err, rc, "k-means: out of memory (n=%zu, k=%zu)", N, k);
    if (rc == CKR_EINTR)
        return ckr_err_set(err, rc, "k-means: stopped (the item is abandoned)");
    if (rc)
        return ckr_err_set(err, rc, "k-means: %s on the team", ckr_err_word(rc));
    return 0;
}
