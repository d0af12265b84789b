/* nleep_stream.c -- NLEEP with the training features streamed (--max-memory).
 *
 * The PCA of nleep.c (linalg/pca.h, N >= D: the covariance path) is redone
 * over row blocks: column means in row order, the scatter summed by dsyrk
 * over chunks of PCA_CHUNK rows (linalg/pca.c's block, so the sums are the
 * same, in the same order, whenever the row source's block is at least a
 * chunk), the same eigen-solver and component rule, then the scores
 * projected chunk by chunk. Only the reduced N x d scores stay in memory;
 * the mixture and LEEP are nleep.c's own `score` run on them with pca=0 and
 * the same random stream, so the score equals the whole pair's.
 *
 * The reduced width d is known only after the PCA: then the mixture's
 * memory (ckr_nleep_gmm_bytes) is compared with the row source's budget;
 * over it, the item fails "over-memory" (or, when it fits without the
 * E-step's caches, runs without them: the same result up to rounding). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/gmm.h"
#include "methods/memory.h"
#include "methods/nleep.h"
#include "methods/pca_stream.h"
#include "methods/stream.h"

extern const ckr_method ckr_method_nleep;

int ckr_nleep_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                           ckr_rng *rng, ckr_result *res)
{
    if (!rows || rows->n == 0 || rows->d == 0)
        return ckr_result_fail(res, CKR_ENEEDS, ckr_err_word(CKR_ENEEDS),
                               "nleep needs the train features");
    if (meta->train.n != rows->n)
        return ckr_result_fail(res, CKR_EDATA, ckr_err_word(CKR_EDATA),
                               "nleep: %zu feature rows but %zu labels", rows->n, meta->train.n);
    const ckr_nleep_cfg *c = ckr_params_config(p);
    size_t n = rows->n, D = rows->d;
    int rc;
    if (!(c->pca > 0.0) || n < D) { /* no PCA, or its kernel path: the rows whole */
        ckr_pair whole;
        if ((rc = ckr_stream_gather(meta, rows, &whole, res)))
            return rc;
        rc = ckr_method_nleep.score(&whole, p, rng, res);
        free(whole.train_features.data);
        return rc;
    }
    double *P = NULL;
    ckr_err err = { 0, "" };
    ckr_pca_stream ps;
    if ((rc = ckr_pca_stream_fit(rows, c->pca, &ps, NULL, &err))) {
        ckr_pca_stream_free(&ps);
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    }
    size_t d = ps.d;
    /* the mixture's memory (the scores included), now that d is known */
    double K = fmin((double)c->ratio * (double)(meta->num_classes > 0 ? meta->num_classes : 1),
                    (double)n);
    int cov = c->cov;
    double need = ckr_nleep_gmm_bytes((double)n, (double)d, K, cov, 1);
    int lean = 0;
    if (rows->budget > 0.0 && need > rows->budget) {
        double lean_need = ckr_nleep_gmm_bytes((double)n, (double)d, K, cov, 0);
        if (lean_need > rows->budget) {
            ckr_pca_stream_free(&ps);
            return ckr_result_fail(res, CKR_ENOMEM, "over-memory",
                                   "the mixture needs about %.1f MB for N=%zu d=%zu K=%.0f (after "
                                   "the PCA), over the %.1f MB left of --max-memory",
                                   lean_need / 1048576.0, n, d, K, rows->budget / 1048576.0);
        }
        lean = 1;
    }
    rc = ckr_pca_stream_project(&ps, &P, &err);
    ckr_pca_stream_free(&ps);
    if (rc)
        return ckr_result_fail(res, rc, ckr_err_word(rc), "%s", err.msg);
    if (lean)
        ckr_gmm_set_limits(0, 0);
    ckr_pair red = *meta;
    red.train_features.rows = n;
    red.train_features.cols = d;
    red.train_features.data = P;
    ckr_params q = *p;
    ckr_nleep_cfg *qc = (ckr_nleep_cfg *)(void *)q.config.bytes;
    qc->pca = 0.0;
    rc = ckr_method_nleep.score(&red, &q, rng, res);
    if (lean)
        ckr_gmm_set_limits(CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT);
    free(P);
    return rc;
}
