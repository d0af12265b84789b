/* stream.c -- passes over the training rows for the streamed scores. */
#include "methods/stream.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "util/flops.h"

int ckr_stream_check(const ckr_pair *meta, const ckr_rowsrc *rows, ckr_result *res)
{
    size_t n = rows ? rows->n : 0, d = rows ? rows->d : 0;
    if (!rows || !rows->read)
        return ckr_result_fail(res, CKR_ENEEDS, NULL, "pair has no train_features");
    if (n == 0 || d == 0)
        return ckr_result_fail(res, CKR_EDATA, NULL, "train_features is empty (%zu x %zu)", n, d);
    if (meta->train.n != n)
        return ckr_result_fail(res, CKR_EDATA, NULL, "train labels have %zu samples but features %zu",
                               meta->train.n, n);
    if (meta->num_classes < 1)
        return ckr_result_fail(res, CKR_EDATA, NULL, "num_classes is %d", meta->num_classes);
    if (meta->kind == CKR_MULTILABEL ? !meta->train.Y : !meta->train.y)
        return ckr_result_fail(res, CKR_ENEEDS, NULL, "pair has no train labels");
    if (rows->block == 0)
        return ckr_result_fail(res, CKR_EARG, NULL, "row source with a block of 0 rows");
    return 0;
}

static double *block_buffer(const ckr_rowsrc *rows, ckr_result *res)
{
    size_t b = rows->block < rows->n ? rows->block : rows->n;
    double *buf = malloc((b ? b : 1) * rows->d * sizeof *buf);
    if (!buf)
        ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for a block of %zu x %zu features",
                        b, rows->d);
    return buf;
}

static int read_block(ckr_rowsrc *rows, size_t row0, size_t nb, double *buf, ckr_result *res)
{
    ckr_err err = { 0, "" };
    int rc = rows->read(rows->ctx, row0, nb, buf, &err);
    if (rc)
        ckr_result_fail(res, rc, NULL, "%s", err.msg);
    return rc;
}

int ckr_stream_colstats(ckr_rowsrc *rows, double *mu, double *amax, ckr_result *res)
{
    size_t n = rows->n, d = rows->d;
    double *buf = block_buffer(rows, res);
    double *lo = malloc(2 * d * sizeof *lo), *hi = lo ? lo + d : NULL;
    int rc = 0;
    if (!buf || !lo) {
        rc = buf ? ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory") : CKR_ENOMEM;
        goto cleanup;
    }
    memset(mu, 0, d * sizeof *mu);
    for (size_t r0 = 0; r0 < n; r0 += rows->block) {
        size_t nb = n - r0 < rows->block ? n - r0 : rows->block;
        if ((rc = read_block(rows, r0, nb, buf, res)))
            goto cleanup;
        if (r0 == 0) {
            memcpy(lo, buf, d * sizeof *lo);
            memcpy(hi, buf, d * sizeof *hi);
        }
        for (size_t i = 0; i < nb; i++) {
            const double *f = buf + i * d;
            for (size_t j = 0; j < d; j++) {
                mu[j] += f[j];
                lo[j] = f[j] < lo[j] ? f[j] : lo[j];
                hi[j] = f[j] > hi[j] ? f[j] : hi[j];
            }
        }
    }
    double inv = 1.0 / (double)n, m = 0.0;
    for (size_t j = 0; j < d; j++) {
        mu[j] *= inv;
        /* rounding is monotone: the largest |f - mu| is at the column's max or min */
        double a = fabs(hi[j] - mu[j]), b = fabs(lo[j] - mu[j]);
        m = a > m ? a : m;
        m = b > m ? b : m;
    }
    *amax = m;
    ckr_flops_add(3.0 * (double)n * (double)d + 5.0 * (double)d);
cleanup:
    free(buf);
    free(lo);
    return rc;
}

int ckr_stream_gram(ckr_rowsrc *rows, const double *mu, double scale, const ckr_targets *tg,
                    double *G, double *S, double *sum4, ckr_result *res)
{
    size_t n = rows->n, d = rows->d, T = (size_t)tg->t;
    double *buf = block_buffer(rows, res);
    double *Sb = malloc((T ? T : 1) * d * sizeof *Sb);
    int rc = 0;
    if (!buf || !Sb) {
        rc = buf ? ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory") : CKR_ENOMEM;
        goto cleanup;
    }
    memset(S, 0, T * d * sizeof *S);
    double s4 = 0.0;
    for (size_t r0 = 0; r0 < n; r0 += rows->block) {
        size_t nb = n - r0 < rows->block ? n - r0 : rows->block;
        if ((rc = read_block(rows, r0, nb, buf, res)))
            goto cleanup;
        for (size_t i = 0; i < nb; i++) {
            double *z = buf + i * d, ss = 0.0;
            if (mu || scale != 1.0)
                for (size_t j = 0; j < d; j++)
                    z[j] = scale * (mu ? z[j] - mu[j] : z[j]);
            if (sum4) {
                for (size_t j = 0; j < d; j++)
                    ss += z[j] * z[j];
                s4 += ss * ss;
            }
        }
        ckr_flops_add((double)nb * (double)d * ((mu ? 2.0 : scale != 1.0 ? 1.0 : 0.0) +
                                                (sum4 ? 2.0 : 0.0)));
        ckr_dsyrk_ata_upper(d, nb, 1.0, buf, d, r0 == 0 ? 0.0 : 1.0, G);
        /* the block's targets: tg's labels from row r0 on */
        ckr_targets bt = *tg;
        bt.n = nb;
        if (tg->kind == CKR_MULTILABEL)
            bt.Y = tg->Y + r0 * (size_t)tg->ncols;
        else
            bt.y = tg->y + r0;
        ckr_fs_target_sums(buf, d, NULL, 1.0, &bt, Sb);
        for (size_t k = 0; k < T * d; k++)
            S[k] += Sb[k];
        ckr_flops_add((double)(T * d));
    }
    ckr_sym_fill_lower(d, G);
    if (sum4)
        *sum4 = s4;
cleanup:
    free(buf);
    free(Sb);
    return rc;
}

int ckr_stream_gather(const ckr_pair *meta, ckr_rowsrc *rows, ckr_pair *whole, ckr_result *res)
{
    size_t n = rows->n, d = rows->d;
    *whole = *meta;
    whole->train_features.data = NULL;
    double *F = malloc((n ? n : 1) * d * sizeof *F);
    if (!F)
        return ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory for %zu x %zu features", n, d);
    for (size_t r0 = 0; r0 < n; r0 += rows->block) {
        size_t nb = n - r0 < rows->block ? n - r0 : rows->block;
        int rc = read_block(rows, r0, nb, F + r0 * d, res);
        if (rc) {
            free(F);
            return rc;
        }
    }
    whole->train_features.rows = n;
    whole->train_features.cols = d;
    whole->train_features.data = F;
    return 0;
}
