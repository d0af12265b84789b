/* gmm_estep.c -- the E-step passes of the Gaussian mixture: a full pass
 * (approximate every pair, keep those near the cut, evaluate them exactly)
 * and a tracked pass (re-evaluate only the pairs the chained distance bounds
 * cannot rule out), and the E-step that chooses between them (declarations in
 * linalg/gmm_internal.h; the scheme is described in linalg/gmm.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "linalg/blas.h"
#include "linalg/gmm_internal.h"
#include "util/flops.h"

/* Pairs this far (nats) below the cut stop being evaluated exactly. */
#define TRACK_SLACK 2.0
/* A tracked E-step whose bounds fail for more than this fraction of all pairs
 * does a full approximation pass instead. */
#define TRACK_MAX_FRACTION 0.25
/* When a full pass keeps more than this fraction of all pairs (heavily
 * overlapping or nearly collapsed components), the next DENSE_PASSES E-steps
 * evaluate every pair exactly, skipping the approximation (full covariance:
 * ckr_gmm_dense_e_step; diag: the gathered exact evaluation). */
static double g_dense_fraction = CKR_GMM_DENSE_DEFAULT;
#define DENSE_PASSES 7

void ckr_gmm_set_dense_fraction(double fraction)
{
    g_dense_fraction = fraction;
}

/* A lower bound v >= 0 stored as a float <= v: v (1 - 2^-22) rounds to a
 * float below v; NaN and negatives become 0, huge values 1e38. */
static float float_down(double v)
{
    if (!(v > 0.0))
        return 0.0f;
    if (!(v < 1e38))
        return 1e38f;
    return (float)(v - v * 0x1p-22);
}

/* Row i of the approximation: a[j] (approximate distance) becomes an upper
 * bound on the log-density, ylo[j] (if not NULL) a lower bound on the
 * distance's square root; returns the best lower bound on a log-density. */
static double bound_row(const ckr_gmm_engine *e, size_t i, double *a, float *ylo)
{
    size_t k = e->k, j = 0;
    double qg = e->gamma * e->qnorm[i], best = -INFINITY;
#ifdef __SSE2__
    const __m128d zero = _mm_setzero_pd(), half = _mm_set1_pd(0.5), qgv = _mm_set1_pd(qg);
    const __m128d shrink = _mm_set1_pd(1.0 - 0x1p-22), cap = _mm_set1_pd(1e38);
    __m128d bestv = _mm_set1_pd(-INFINITY);
    for (; j + 2 <= k; j += 2) {
        __m128d av = _mm_loadu_pd(a + j), cst = _mm_loadu_pd(e->cst + j);
        __m128d delta = _mm_mul_pd(qgv, _mm_loadu_pd(e->wnorm + j));
        __m128d mh = _mm_max_pd(_mm_add_pd(av, delta), zero);
        __m128d ml = _mm_max_pd(_mm_sub_pd(av, delta), zero);
        __m128d lo = _mm_add_pd(_mm_sub_pd(cst, _mm_mul_pd(half, mh)), _mm_loadu_pd(e->pen + j));
        bestv = _mm_max_pd(lo, bestv); /* a NaN lo leaves bestv */
        _mm_storeu_pd(a + j, _mm_sub_pd(cst, _mm_mul_pd(half, ml)));
        if (ylo) {
            __m128d y = _mm_min_pd(_mm_mul_pd(_mm_sqrt_pd(ml), shrink), cap);
            _mm_storel_epi64((__m128i *)(void *)&ylo[j], _mm_castps_si128(_mm_cvtpd_ps(y)));
        }
    }
    double bb[2];
    _mm_storeu_pd(bb, bestv);
    best = bb[0] > bb[1] ? bb[0] : bb[1];
#endif
    for (; j < k; j++) {
        double delta = qg * e->wnorm[j];
        double maha_hi = a[j] + delta, maha_lo = a[j] - delta;
        double lo = e->cst[j] - 0.5 * (maha_hi > 0.0 ? maha_hi : 0.0) + e->pen[j];
        if (lo > best)
            best = lo;
        maha_lo = maha_lo > 0.0 ? maha_lo : 0.0;
        if (ylo)
            ylo[j] = float_down(sqrt(maha_lo));
        a[j] = e->cst[j] - 0.5 * maha_lo;
    }
    return best;
}

/* Candidate components of each row of the block: those whose upper bound on
 * the log-density is within CKR_GMM_MARGIN of the best lower bound. Marks
 * them in r (and in e->ins, with the distance bounds in e->ylo, when
 * tracking). */
static int engine_select_block(ckr_gmm_engine *e, size_t i0, size_t b, ckr_gmm_resp *r)
{
    size_t k = e->k;
    for (size_t rr = 0; rr < b; rr++) {
        size_t i = i0 + rr;
        double *a = e->lo + rr * k; /* approximate distances -> upper bounds */
        float *ylo = e->ylo ? e->ylo + i * k : NULL;
        double best = bound_row(e, i, a, ylo);
        double cut = best - CKR_GMM_MARGIN;
        int rc = ckr_gmm_resp_reserve(r, k);
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < k; j++) {
            int take = e->exact_only[j] || !(a[j] < cut); /* NaN-safe: take when unsure */
            if (take)
                r->comp[r->nnz++] = (uint32_t)j;
            if (e->ins) {
                e->ins[i * k + j] = (unsigned char)take;
                e->refit[i * k + j] = 0;
            }
        }
        r->ptr[i + 1] = r->nnz;
    }
    ckr_flops_add(14.0 * (double)b * (double)k);
    return 0;
}

/* Responsibility structure from the tracked set e->ins. */
static int csr_from_tracked(ckr_gmm_engine *e, ckr_gmm_resp *r)
{
    ckr_gmm_resp_free(r);
    int rc = ckr_gmm_resp_alloc(r, e->n, e->k);
    for (size_t i = 0; rc == 0 && i < e->n; i++) {
        rc = ckr_gmm_resp_reserve(r, e->k);
        const unsigned char *in = e->ins + i * e->k;
        for (size_t j = 0; rc == 0 && j < e->k; j++)
            if (in[j])
                r->comp[r->nnz++] = (uint32_t)j;
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? ckr_gmm_resp_transpose(r) : rc;
}

double ckr_gmm_sum_squares(const double *v, size_t d)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t a = 0;
    for (; a + 4 <= d; a += 4) {
        s0 += v[a] * v[a];
        s1 += v[a + 1] * v[a + 1];
        s2 += v[a + 2] * v[a + 2];
        s3 += v[a + 3] * v[a + 3];
    }
    for (; a < d; a++)
        s0 += v[a] * v[a];
    return (s0 + s1) + (s2 + s3);
}

/* Exact log-densities of the candidate pairs, gathered per component. */
static void engine_exact(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r)
{
    size_t d = e->d;
    for (size_t j = 0; j < e->k; j++) {
        size_t p0 = r->cptr[j], cnt = r->cptr[j + 1] - p0;
        if (cnt == 0)
            continue;
        const double *mu = g->means + j * d;
        double *B = e->gbuf;
        for (size_t c = 0; c < cnt; c++) {
            const double *x = e->X + (size_t)r->crow[p0 + c] * d;
            double *row = B + c * d;
            for (size_t a = 0; a < d; a++)
                row[a] = x[a] - mu[a];
        }
        if (e->cov == CKR_COV_FULL) {
            ckr_dtrmm_right_lower_trans(cnt, d, g->linv + j * d * d, B, d);
        } else {
            const double *p = g->linv + j * d;
            for (size_t c = 0; c < cnt; c++)
                for (size_t a = 0; a < d; a++)
                    B[c * d + a] *= p[a];
            ckr_flops_add((double)cnt * (double)d);
        }
        for (size_t c = 0; c < cnt; c++)
            r->val[r->cpos[p0 + c]] = e->cst[j] - 0.5 * ckr_gmm_sum_squares(B + c * d, d);
        ckr_flops_add(3.0 * (double)cnt * (double)d + 2.0 * (double)cnt);
    }
}

/* Normalise each point's log-densities into responsibilities; those more
 * than CKR_GMM_MARGIN below the point's best become exactly 0. Returns the
 * mean log-likelihood (NaN when some point has a non-finite one). */
static double engine_normalise(ckr_gmm_resp *r)
{
    double total = 0.0;
    for (size_t i = 0; i < r->n; i++) {
        size_t p0 = r->ptr[i], p1 = r->ptr[i + 1];
        double mx = -INFINITY;
        for (size_t p = p0; p < p1; p++)
            if (r->val[p] > mx)
                mx = r->val[p];
        double s = 0.0, cut = mx - CKR_GMM_MARGIN;
        for (size_t p = p0; p < p1; p++)
            if (r->val[p] >= cut)
                s += exp(r->val[p] - mx);
        double l = mx + log(s);
        for (size_t p = p0; p < p1; p++)
            r->val[p] = r->val[p] >= cut ? exp(r->val[p] - l) : 0.0;
        total += l;
    }
    ckr_flops_add(4.0 * (double)r->nnz + 2.0 * (double)r->n);
    return total / (double)r->n;
}

/* A full pass: approximate every pair, select, remember the bounds. */
static int engine_full_pass(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r)
{
    ckr_gmm_resp_free(r);
    int rc = ckr_gmm_resp_alloc(r, e->n, e->k);
    if (rc != 0)
        return rc;
    if (e->dense_left > 0) {
        /* the last approximation kept most pairs anyway: take them all */
        e->dense_left--;
        rc = ckr_gmm_resp_reserve(r, e->n * e->k);
        for (size_t i = 0; rc == 0 && i < e->n; i++) {
            for (size_t j = 0; j < e->k; j++)
                r->comp[r->nnz++] = (uint32_t)j;
            r->ptr[i + 1] = r->nnz;
        }
        if (rc == 0 && e->ins) {
            memset(e->ins, 1, e->n * e->k);
            memset(e->refit, 0, e->n * e->k);
        }
    } else {
        for (size_t i0 = 0; rc == 0 && i0 < e->n; i0 += e->block) {
            size_t b = e->n - i0 < e->block ? e->n - i0 : e->block;
            ckr_gmm_engine_approx_block(e, i0, b);
            rc = engine_select_block(e, i0, b, r);
        }
        if ((double)r->nnz > g_dense_fraction * (double)e->n * (double)e->k)
            e->dense_left = DENSE_PASSES;
    }
    if (rc != 0)
        return rc;
    if (e->ins) { /* slot 0: the parameters of this pass */
        size_t cl = e->cov == CKR_COV_FULL ? e->d * e->d : e->d;
        memcpy(e->plinv, g->linv, sizeof(double) * e->k * cl);
        memcpy(e->pmu, g->means, sizeof(double) * e->k * e->d);
        for (size_t j = 0; j < e->k; j++) {
            e->sshrink[j] = 1.0;
            e->sshift[j] = 0.0;
        }
        e->nhist = 1;
    }
    e->full_passes++;
    return ckr_gmm_resp_transpose(r);
}

/* How far component j moved since the previous E-step (parameters p). With
 * A = L_now^-1 L_p and b = L_now^-1 (mu_p - mu_now), L_now^-1 (x - mu_now) =
 * A y + b where y = L_p^-1 (x - mu_p), so for every x
 *   |L_now^-1 (x - mu_now)| >= sigma_min(A) |y| - |b|,
 * and sigma_min(A) = 1 / |A^-1|_2 >= 1 / (1 + |L_p^-1 L_now - I|_F). */
static void step_motion(ckr_gmm_engine *e, const ckr_gmm *g, size_t j, double *shrink,
                        double *shift)
{
    size_t d = e->d, full = e->cov == CKR_COV_FULL, cl = full ? d * d : d;
    const double *lt = e->plinv + j * cl, *mut = e->pmu + j * d;
    const double *mu = g->means + j * d, *linv = g->linv + j * cl, *ch = g->chol + j * cl;
    double f = 0.0, sh = 0.0;
    if (full) {
        double *T = e->tbuf;
        memcpy(T, ch, sizeof(double) * d * d);
        ckr_dtrmm_left_lower(d, d, lt, T, d); /* T = L_t^-1 L_now, lower */
        for (size_t r = 0; r < d; r++) {
            double b = 0.0;
            for (size_t c = 0; c <= r; c++) {
                double v = T[r * d + c] - (r == c ? 1.0 : 0.0);
                f += v * v;
                b += linv[r * d + c] * (mut[c] - mu[c]);
            }
            sh += b * b;
        }
        ckr_flops_add(4.0 * (double)d * (double)d);
    } else {
        for (size_t a = 0; a < d; a++) {
            double v = lt[a] * ch[a] - 1.0, b = linv[a] * (mut[a] - mu[a]);
            f += v * v;
            sh += b * b;
        }
        ckr_flops_add(8.0 * (double)d);
    }
    /* generous slack for the rounding of these few sums */
    *shrink = (1.0 - 1e-10) / (1.0 + sqrt(f) * (1.0 + 1e-10) + 1e-12);
    *shift = sqrt(sh) * (1.0 + 1e-10) + 1e-12 * (1.0 + sqrt(sh));
    if (e->exact_only[j] || !isfinite(*shrink) || !isfinite(*shift)) {
        *shrink = 0.0;
        *shift = INFINITY;
    }
}

/* A tracked pass. A pair not marked for exact evaluation carries a lower
 * bound ylo on |L^-1 (x - mu)| under the parameters of slot t (the E-step it
 * was last bounded in); under the current ones that norm is >= shrink_t ylo
 * - shift_t (step_motion chained over the steps since), which bounds its
 * log-density from above. Only the marked pairs plus those this
 * bound cannot rule out are evaluated exactly; pairs that end far below the
 * cut are unmarked, their exact distance becoming their new bound. Returns 1
 * when a full pass is due instead, 0 when r holds the exact log-densities, or
 * a negative error. */
static int engine_tracked_pass(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r)
{
    size_t n = e->n, k = e->k, d = e->d, cl = e->cov == CKR_COV_FULL ? d * d : d;
    if (e->nhist <= 0 || e->nhist >= e->hist)
        return 1;
    int h = e->nhist++;
    /* chain the bounds of every slot through this step's motion */
    for (size_t j = 0; j < k; j++) {
        double sj, bj;
        step_motion(e, g, j, &sj, &bj);
        for (int t = 0; t < h; t++) {
            size_t q = (size_t)t * k + j;
            e->sshrink[q] *= sj;
            e->sshift[q] = e->sshift[q] * sj + bj;
        }
        e->sshrink[(size_t)h * k + j] = 1.0;
        e->sshift[(size_t)h * k + j] = 0.0;
    }
    memcpy(e->plinv, g->linv, sizeof(double) * k * cl);
    memcpy(e->pmu, g->means, sizeof(double) * k * d);
    int rc = csr_from_tracked(e, r);
    if (rc != 0)
        return rc;
    engine_exact(e, g, r);
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            mx = r->val[p] > mx ? r->val[p] : mx;
        e->best[i] = mx;
    }
    /* pairs the bounds cannot rule out */
    ckr_gmm_resp x;
    rc = ckr_gmm_resp_alloc(&x, n, k);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        unsigned char *in = e->ins + i * k, *rt = e->refit + i * k;
        const float *yl = e->ylo + i * k;
        double cut = e->best[i] - CKR_GMM_MARGIN - 1e-9 * fabs(e->best[i]);
        rc = ckr_gmm_resp_reserve(&x, k);
        for (size_t j = 0; rc == 0 && j < k; j++) {
            if (in[j])
                continue;
            size_t t = (size_t)rt[j] * k + j;
            double v = e->sshrink[t] * (double)yl[j] - e->sshift[t];
            double up = e->cst[j] - 0.5 * (v > 0.0 ? v * v : 0.0);
            if (!(up < cut)) {
                in[j] = 1;
                x.comp[x.nnz++] = (uint32_t)j;
            }
        }
        x.ptr[i + 1] = x.nnz;
    }
    ckr_flops_add(6.0 * (double)n * (double)k);
    if (rc == 0 && (double)x.nnz > TRACK_MAX_FRACTION * (double)n * (double)k) {
        ckr_gmm_resp_free(&x);
        e->pause = e->backoff; /* the bounds are too loose now: pause tracking */
        e->backoff = e->backoff < 8 ? 2 * e->backoff : 8;
        return 1;
    }
    e->backoff = 1;
    if (rc == 0 && x.nnz > 0) {
        rc = ckr_gmm_resp_transpose(&x);
        if (rc == 0) {
            engine_exact(e, g, &x);
            rc = ckr_gmm_resp_merge(r, &x);
        }
    }
    ckr_gmm_resp_free(&x);
    if (rc != 0)
        return rc;
    /* unmark the pairs far below the cut: their exact distance is their bound */
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            mx = r->val[p] > mx ? r->val[p] : mx;
        double drop = mx - CKR_GMM_MARGIN - TRACK_SLACK;
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            size_t j = r->comp[p];
            if (r->val[p] < drop && !e->exact_only[j]) {
                double maha = 2.0 * (e->cst[j] - r->val[p]);
                maha -= 1e-9 * (fabs(e->cst[j]) + fabs(r->val[p]) + 1.0);
                e->ins[i * k + j] = 0;
                e->ylo[i * k + j] = float_down(sqrt(maha > 0.0 ? maha : 0.0));
                e->refit[i * k + j] = (unsigned char)h;
            }
        }
    }
    return 0;
}

/* E-step into r (reallocated); *lb = mean log-likelihood. */
int ckr_gmm_engine_e_step(ckr_gmm_engine *e, const ckr_gmm *g, ckr_gmm_resp *r, double *lb)
{
    ckr_gmm_engine_coefficients(e, g);
    int rc = 1;
    if (e->cov == CKR_COV_FULL && (e->dense_left > 0 || e->mixed)) {
        /* most pairs matter (or mixed precision, where every E-step takes
         * this path so that a row's log-densities never depend on which
         * rows share its pass): every pair in one GEMM per row block */
        if (e->dense_left > 0)
            e->dense_left--;
        rc = ckr_gmm_dense_e_step(e, g, r);
        if (rc != 0)
            return rc;
        e->nhist = 0; /* the next tracked E-step is a full pass */
        e->dense_passes++;
        goto normalise;
    }
    if (e->ins && e->pause > 0)
        e->pause--;
    else if (e->ins)
        rc = engine_tracked_pass(e, g, r);
    if (rc < 0)
        return rc;
    if (rc == 1) {
        rc = engine_full_pass(e, g, r);
        if (rc != 0)
            return rc;
        engine_exact(e, g, r);
    }
normalise:
    *lb = engine_normalise(r);
    e->cand_sum += (double)r->nnz / (double)r->n;
    e->esteps++;
    return isfinite(*lb) ? 0 : CKR_ENUM;
}
