/* rowsum.c -- ordered row-piece sums over a team (contract in
 * linalg/rowsum.h). */
#include "linalg/rowsum.h"

#include <stdlib.h>
#include <string.h>

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
    free(s->gbuf);
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

int ckr_rowsum_reserve(ckr_rowsum *s, size_t m)
{
    size_t need = 4 * (size_t)s->P + s->total_pieces * m;
    int rc = 0;
    if (s->P > 1 && need <= CKR_ROWSUM_GATHER_MAX && need > s->gcap) {
        double *b = realloc(s->gbuf, need * sizeof *b);
        if (b) {
            s->gbuf = b;
            s->gcap = need;
        } else {
            rc = CKR_ENOMEM;
        }
    }
    return ckr_dist_agree(s->comm, rc, NULL);
}

int ckr_rowsum_reduce_flags(const ckr_rowsum *s, const double *part, size_t m, double *out,
                            int *flags, int nflags)
{
    size_t P = (size_t)s->P, nf = (size_t)nflags;
    if (P == 1 || P * nf + s->total_pieces * m > s->gcap) {
        int rc = ckr_rowsum_reduce(s, part, m, out);
        if (rc == 0 && nf && P > 1 &&
            MPI_Allreduce(MPI_IN_PLACE, flags, nflags, MPI_INT, MPI_MAX, s->comm) != MPI_SUCCESS)
            rc = CKR_EMPI;
        return rc;
    }
    /* one allgather: rank r sends its flags then its pieces */
    int cnt[2 * 64], *c = P <= 64 ? cnt : malloc(2 * P * sizeof *c);
    if (!c)
        return CKR_ENOMEM; /* P > 64 only; the same on every rank */
    size_t at = 0;
    for (size_t r = 0; r < P; r++) {
        c[r] = (int)(nf + s->rpieces[r] * m);
        c[P + r] = (int)at;
        at += (size_t)c[r];
    }
    double *mine = s->gbuf + (size_t)c[P + (size_t)s->rank];
    for (size_t f = 0; f < nf; f++)
        mine[f] = (double)flags[f];
    if (s->npieces * m > 0)
        memcpy(mine + nf, part, s->npieces * m * sizeof *mine);
    int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, s->gbuf, c, c + P, MPI_DOUBLE,
                            s->comm) == MPI_SUCCESS ? 0 : CKR_EMPI;
    if (rc == 0) {
        int first = 1;
        for (size_t f = 0; f < nf; f++)
            flags[f] = 0;
        for (size_t r = 0; r < P; r++) {
            const double *b = s->gbuf + (size_t)c[P + r];
            for (size_t f = 0; f < nf; f++)
                if ((int)b[f] > flags[f])
                    flags[f] = (int)b[f];
            for (size_t q = 0; q < s->rpieces[r]; q++, first = 0) {
                const double *pc = b + nf + q * m;
                if (first)
                    memcpy(out, pc, m * sizeof *out);
                else
                    for (size_t j = 0; j < m; j++)
                        out[j] += pc[j];
            }
        }
        if (first)
            memset(out, 0, m * sizeof *out);
        ckr_flops_add((double)m * (double)s->total_pieces);
    }
    if (c != cnt)
        free(c);
    return rc;
}

int ckr_rowsum_gather(const ckr_rowsum *s, const double *part, size_t m, double *all,
                      int *flags, int nflags)
{
    size_t P = (size_t)s->P, nf = (size_t)nflags;
    if (P == 1) {
        if (s->npieces * m > 0)
            memcpy(all, part, s->npieces * m * sizeof *all);
        return 0;
    }
    int cnt[2 * 64], *c = P <= 64 ? cnt : malloc(2 * P * sizeof *c);
    if (!c)
        return CKR_ENOMEM; /* P > 64 only */
    int rc = 0, one = P * nf + s->total_pieces * m <= s->gcap;
    size_t at = 0, hdr = one ? nf : 0;
    for (size_t r = 0; r < P; r++) {
        c[r] = (int)(hdr + s->rpieces[r] * m);
        c[P + r] = (int)at;
        at += (size_t)c[r];
    }
    double *buf = one ? s->gbuf : all, *mine = buf + c[P + (size_t)s->rank];
    for (size_t f = 0; f < hdr; f++)
        mine[f] = (double)flags[f];
    if (s->npieces * m > 0)
        memmove(mine + hdr, part, s->npieces * m * sizeof *mine);
    if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, c, c + P, MPI_DOUBLE, s->comm) !=
        MPI_SUCCESS)
        rc = CKR_EMPI;
    if (rc == 0 && one) {
        for (size_t f = 0; f < nf; f++)
            flags[f] = 0;
        size_t q = 0;
        for (size_t r = 0; r < P; r++) {
            const double *b = buf + c[P + r];
            for (size_t f = 0; f < nf; f++)
                if ((int)b[f] > flags[f])
                    flags[f] = (int)b[f];
            memcpy(all + q * m, b + nf, s->rpieces[r] * m * sizeof *all);
            q += s->rpieces[r];
        }
    } else if (rc == 0 && nf &&
               MPI_Allreduce(MPI_IN_PLACE, flags, nflags, MPI_INT, MPI_MAX, s->comm) !=
                   MPI_SUCCESS) {
        rc = CKR_EMPI;
    }
    if (c != cnt)
        free(c);
    return rc;
}

int ckr_team_stop_agreed(MPI_Comm comm)
{
    int mine = ckr_stop_requested() ? 1 : 0, any = 1;
    if (MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
        return 1;
    return any;
}
