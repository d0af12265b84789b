#include "linalg/featstats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "linalg/dist.h"
#include "linalg/factor.h"
#include "util/flops.h"

/* rows per block in the blocked Gram / projection passes: ~8 MB of doubles */
#define CKR_FS_BLOCK_BYTES ((size_t)8 << 20)

void ckr_targets_free(ckr_targets *t)
{
    free(t->map);
    free(t->orig);
    free(t->count);
    t->map = t->orig = NULL;
    t->count = NULL;
}

int ckr_targets_init(ckr_task_kind kind, const ckr_labels *labels, int num_classes,
                     int drop_full, ckr_targets *t, ckr_err *err)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->n = labels->n;
    t->ncols = num_classes;
    t->y = labels->y;
    t->Y = labels->Y;
    size_t nc = (size_t)num_classes;
    size_t *cnt = calloc(nc ? nc : 1, sizeof *cnt);
    t->map = malloc((nc ? nc : 1) * sizeof *t->map);
    t->orig = malloc((nc ? nc : 1) * sizeof *t->orig);
    t->count = malloc((nc ? nc : 1) * sizeof *t->count);
    if (!cnt || !t->map || !t->orig || !t->count) {
        free(cnt);
        ckr_targets_free(t);
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu class counts", nc);
    }
    if (t->kind == CKR_MULTILABEL) {
        for (size_t i = 0; i < t->n; i++)
            for (size_t c = 0; c < nc; c++)
                cnt[c] += t->Y[i * nc + c] != 0;
    } else {
        for (size_t i = 0; i < t->n; i++) {
            int c = t->y[i];
            if (c < 0 || (size_t)c >= nc) {
                free(cnt);
                ckr_targets_free(t);
                return ckr_err_set(err, CKR_EDATA, "label %d of sample %zu not in [0, %zu)", c,
                                   i, nc);
            }
            cnt[c]++;
        }
    }
    for (size_t c = 0; c < nc; c++) {
        t->map[c] = -1;
        if (cnt[c] == 0) {
            t->dropped_empty++;
        } else if (t->kind == CKR_MULTILABEL && drop_full && cnt[c] == t->n) {
            t->dropped_full++;
        } else {
            t->orig[t->t] = (int)c;
            t->count[t->t] = cnt[c];
            t->n_inst += cnt[c];
            t->map[c] = t->t++;
        }
    }
    free(cnt);
    return 0;
}

void ckr_fs_colmean(const double *F, size_t N, size_t D, double *mu)
{
    memset(mu, 0, D * sizeof *mu);
    for (size_t i = 0; i < N; i++) {
        const double *f = F + i * D;
        for (size_t j = 0; j < D; j++)
            mu[j] += f[j];
    }
    double inv = N ? 1.0 / (double)N : 0.0;
    for (size_t j = 0; j < D; j++)
        mu[j] *= inv;
    ckr_flops_add((double)N * (double)D + (double)D);
}

double ckr_fs_maxabs(const double *F, size_t N, size_t D, const double *mu)
{
    double m = 0.0;
    for (size_t i = 0; i < N; i++) {
        const double *f = F + i * D;
        for (size_t j = 0; j < D; j++) {
            double v = fabs(mu ? f[j] - mu[j] : f[j]);
            if (v > m)
                m = v;
        }
    }
    ckr_flops_add((double)N * (double)D * (mu ? 2.0 : 1.0));
    return m;
}

/* z = transformed row f (see the header); returns ||z||^2 after it. */
static double transform_row(const double *f, size_t D, const double *mu, double scale, int unit,
                            double *z)
{
    double flops = 0.0;
    if (mu) {
        for (size_t j = 0; j < D; j++)
            z[j] = scale * (f[j] - mu[j]);
        flops += 2.0 * (double)D;
    } else if (scale != 1.0) {
        for (size_t j = 0; j < D; j++)
            z[j] = scale * f[j];
        flops += (double)D;
    } else if (z != f) {
        memcpy(z, f, D * sizeof *z);
    }
    double ss = 0.0;
    for (size_t j = 0; j < D; j++)
        ss += z[j] * z[j];
    flops += 2.0 * (double)D;
    if (unit) {
        double norm;
        if (ss > 1e-290 && ss < 1e290) {
            norm = sqrt(ss);
        } else { /* under/overflow-safe norm */
            double amax = 0.0, s2 = 0.0;
            for (size_t j = 0; j < D; j++)
                if (fabs(z[j]) > amax)
                    amax = fabs(z[j]);
            if (amax > 0.0) {
                for (size_t j = 0; j < D; j++) {
                    double r = z[j] / amax;
                    s2 += r * r;
                }
            }
            norm = amax * sqrt(s2);
            flops += 4.0 * (double)D;
        }
        if (norm > 0.0 && isfinite(norm)) {
            double inv = 1.0 / norm;
            for (size_t j = 0; j < D; j++)
                z[j] *= inv;
            flops += (double)D;
            ss = 1.0;
        } else { /* a zero row stays zero */
            memset(z, 0, D * sizeof *z);
            ss = 0.0;
        }
    }
    ckr_flops_add(flops);
    return ss;
}

void ckr_fs_target_sums(const double *F, size_t D, const double *mu, double scale,
                        const ckr_targets *t, double *S)
{
    memset(S, 0, (size_t)t->t * D * sizeof *S);
    double *z = NULL;
    if (mu || scale != 1.0) {
        z = malloc(D * sizeof *z);
        if (!z) { /* fall back to transforming on the fly */
            for (size_t i = 0; i < t->n; i++) {
                const double *f = F + i * D;
                for (size_t c = 0; c < (size_t)t->ncols; c++) {
                    int r = t->kind == CKR_MULTILABEL
                                ? (t->Y[i * (size_t)t->ncols + c] ? t->map[c] : -1)
                                : (c == (size_t)t->y[i] ? t->map[c] : -1);
                    if (r < 0)
                        continue;
                    double *s = S + (size_t)r * D;
                    for (size_t j = 0; j < D; j++)
                        s[j] += scale * (mu ? f[j] - mu[j] : f[j]);
                    ckr_flops_add(3.0 * (double)D);
                }
            }
            return;
        }
    }
    double adds = 0.0;
    for (size_t i = 0; i < t->n; i++) {
        const double *f = F + i * D;
        const double *row = f;
        if (z) {
            if (mu)
                for (size_t j = 0; j < D; j++)
                    z[j] = scale * (f[j] - mu[j]);
            else
                for (size_t j = 0; j < D; j++)
                    z[j] = scale * f[j];
            adds += (mu ? 2.0 : 1.0) * (double)D;
            row = z;
        }
        if (t->kind == CKR_MULTILABEL) {
            const uint8_t *yr = t->Y + i * (size_t)t->ncols;
            for (size_t c = 0; c < (size_t)t->ncols; c++) {
                if (!yr[c] || t->map[c] < 0)
                    continue;
                double *s = S + (size_t)t->map[c] * D;
                for (size_t j = 0; j < D; j++)
                    s[j] += row[j];
                adds += (double)D;
            }
        } else {
            int r = t->map[t->y[i]];
            if (r < 0)
                continue;
            double *s = S + (size_t)r * D;
            for (size_t j = 0; j < D; j++)
                s[j] += row[j];
            adds += (double)D;
        }
    }
    ckr_flops_add(adds);
    free(z);
}

void ckr_fs_target_rows(const ckr_targets *t, int r, size_t *idx)
{
    size_t k = 0;
    int c = t->orig[r];
    for (size_t i = 0; i < t->n; i++) {
        int in = t->kind == CKR_MULTILABEL ? t->Y[i * (size_t)t->ncols + (size_t)c] != 0
                                           : t->y[i] == c;
        if (in)
            idx[k++] = i;
    }
}

static size_t block_rows(size_t D, size_t m)
{
    size_t b = CKR_FS_BLOCK_BYTES / (D * sizeof(double));
    if (b < 16)
        b = 16;
    return b < m ? b : (m ? m : 1);
}

int ckr_fs_gram(const double *F, size_t D, const size_t *idx, size_t m, const double *mu,
                double scale, int unit, double *G, double *sum4)
{
    if (m == 0) {
        memset(G, 0, D * D * sizeof *G);
        if (sum4)
            *sum4 = 0.0;
        return 0;
    }
    if (!idx && !mu && scale == 1.0 && !unit && !sum4) {
        ckr_dsyrk_ata(D, m, 1.0, F, D, 0.0, G); /* no copy needed */
        return 0;
    }
    size_t b = block_rows(D, m);
    double *buf = malloc(b * D * sizeof *buf);
    if (!buf)
        return CKR_ENOMEM;
    double s4 = 0.0;
    for (size_t i0 = 0; i0 < m; i0 += b) {
        size_t nb = m - i0 < b ? m - i0 : b;
        for (size_t r = 0; r < nb; r++) {
            size_t i = idx ? idx[i0 + r] : i0 + r;
            double ss = transform_row(F + i * D, D, mu, scale, unit, buf + r * D);
            s4 += ss * ss;
        }
        ckr_dsyrk_ata_upper(D, nb, 1.0, buf, D, i0 == 0 ? 0.0 : 1.0, G);
    }
    ckr_sym_fill_lower(D, G);
    ckr_flops_add(2.0 * (double)m);
    if (sum4)
        *sum4 = s4;
    free(buf);
    return 0;
}

int ckr_fs_kernel(const double *F, size_t D, const size_t *idx, size_t m, const double *mu,
                  double scale, int unit, double *K)
{
    if (m == 0)
        return 0;
    if (!idx && !mu && scale == 1.0 && !unit) {
        ckr_dsyrk_aat(m, D, 1.0, F, D, 0.0, K);
        return 0;
    }
    double *buf = malloc(m * D * sizeof *buf);
    if (!buf)
        return CKR_ENOMEM;
    for (size_t r = 0; r < m; r++)
        transform_row(F + (idx ? idx[r] : r) * D, D, mu, scale, unit, buf + r * D);
    ckr_dsyrk_aat(m, D, 1.0, buf, D, 0.0, K);
    free(buf);
    return 0;
}

int ckr_fs_coding_rate(const double *F, size_t D, const size_t *idx, size_t m,
                       const double *mu, int unit, double c, double *rate)
{
    *rate = 0.0;
    if (m == 0)
        return 0;
    size_t k = D <= m ? D : m;
    double *A = malloc(k * k * sizeof *A);
    if (!A)
        return CKR_ENOMEM;
    int rc = D <= m ? ckr_fs_gram(F, D, idx, m, mu, 1.0, unit, A, NULL)
                    : ckr_fs_kernel(F, D, idx, m, mu, 1.0, unit, A);
    if (rc == 0)
        rc = ckr_fs_rate_of_gram(A, k, c, rate);
    free(A);
    return rc;
}

int ckr_fs_rate_of_gram(double *A, size_t k, double c, double *rate)
{
    *rate = 0.0;
    for (size_t i = 0; i < k * k; i++)
        A[i] *= c;
    for (size_t i = 0; i < k; i++)
        A[i * k + i] += 1.0;
    ckr_flops_add((double)k * (double)k + (double)k);
    if (!ckr_all_finite(k * k, A))
        return CKR_ENUM;
    int rc = ckr_dpotrf_lower(k, A);
    if (rc)
        return rc;
    double s = 0.0;
    for (size_t i = 0; i < k; i++) {
        double l = A[i * k + i];
        if (!(l > 0.0))
            return CKR_ENUM;
        s += log(l);
    }
    ckr_flops_add(2.0 * (double)k);
    *rate = s; /* 0.5 * log det = 0.5 * 2 * sum log L_ii */
    return 0;
}

int ckr_targets_init_team(MPI_Comm comm, ckr_task_kind kind, const ckr_labels *labels,
                          size_t row0, int num_classes, int drop_full, ckr_targets *t,
                          ckr_err *err)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->n = labels->n;
    t->ncols = num_classes;
    t->y = labels->y;
    t->Y = labels->Y;
    size_t nc = (size_t)(num_classes > 0 ? num_classes : 0);
    double *cnt = calloc(nc + 1, sizeof *cnt); /* counts, then the rows of the pair */
    t->map = malloc((nc ? nc : 1) * sizeof *t->map);
    t->orig = malloc((nc ? nc : 1) * sizeof *t->orig);
    t->count = malloc((nc ? nc : 1) * sizeof *t->count);
    int rc = 0;
    if (!cnt || !t->map || !t->orig || !t->count) {
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for %zu class counts", nc);
    } else if (t->kind == CKR_MULTILABEL) {
        for (size_t i = 0; i < t->n; i++)
            for (size_t c = 0; c < nc; c++)
                cnt[c] += t->Y[i * nc + c] != 0;
    } else {
        for (size_t i = 0; i < t->n && !rc; i++) {
            int c = t->y[i];
            if (c < 0 || (size_t)c >= nc)
                rc = ckr_err_set(err, CKR_EDATA, "label %d of sample %zu not in [0, %zu)", c,
                                 row0 + i, nc);
            else
                cnt[c] += 1.0;
        }
    }
    if (!rc)
        cnt[nc] = (double)t->n;
    if ((rc = ckr_dist_agree(comm, rc, err)) == 0 && (rc = ckr_dist_sum(comm, cnt, nc + 1)))
        ckr_err_set(err, rc, "summing class counts over the team failed");
    if (rc) {
        free(cnt);
        ckr_targets_free(t);
        return rc;
    }
    size_t n_total = (size_t)cnt[nc];
    for (size_t c = 0; c < nc; c++) {
        size_t k = (size_t)cnt[c];
        t->map[c] = -1;
        if (k == 0) {
            t->dropped_empty++;
        } else if (t->kind == CKR_MULTILABEL && drop_full && k == n_total) {
            t->dropped_full++;
        } else {
            t->orig[t->t] = (int)c;
            t->count[t->t] = k;
            t->n_inst += k;
            t->map[c] = t->t++;
        }
    }
    free(cnt);
    return 0;
}
