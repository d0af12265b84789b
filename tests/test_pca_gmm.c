/* test_pca_gmm.c -- PCA and Gaussian-mixture EM (the numerics of NLEEP; k-means is
 * tested in test_linalg_kmeans.c).
 *
 * Independent values: the hand examples of METHODS.md 3.6, scikit-learn's PCA
 * (tests/ref_nleep.py --mode pca), and a plain textbook E-step written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <float.h>
#include <math.h>

#include "linalg/gmm.h"
#include "linalg/gmm_internal.h"
#include "linalg/pca.h"
#include "testutil.h"
#include "util/rng.h"

/* ---- helpers ---------------------------------------------------------- */

static void write_doubles(const char *path, const double *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(x, sizeof(double), n, f), n);
    fclose(f);
}

static void read_doubles(const char *path, double *x, size_t n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(x, sizeof(double), n, f), n);
    fclose(f);
}

/* n x D data with a decaying spectrum and correlated columns. */
static double *random_data(size_t n, size_t D, uint64_t seed)
{
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    double *X = malloc(sizeof(double) * n * D);
    double *mix = malloc(sizeof(double) * D * D);
    assert_non_null(X);
    assert_non_null(mix);
    for (size_t i = 0; i < D * D; i++)
        mix[i] = ckr_rng_normal(&r) / sqrt((double)D);
    for (size_t i = 0; i < n; i++) {
        double z[256];
        for (size_t j = 0; j < D; j++)
            z[j] = ckr_rng_normal(&r) * pow(1.0 + (double)j, -0.8);
        for (size_t j = 0; j < D; j++) {
            double s = 3.0 + 0.5 * (double)j; /* a non-zero mean */
            for (size_t t = 0; t < D; t++)
                s += z[t] * mix[t * D + j];
            X[i * D + j] = s;
        }
    }
    free(mix);
    return X;
}

/* ---- PCA -------------------------------------------------------------- */

static void test_pca_component_rule(void **state)
{
    (void)state;
    const double e1[] = { 5, 2, 2, 1 }; /* cumulative 0.5 0.7 0.9 1.0 */
    assert_int_equal(ckr_pca_num_components(e1, 4, 0.8), 3);
    assert_int_equal(ckr_pca_num_components(e1, 4, 0.5), 2); /* 0.5 is not > 0.5 */
    assert_int_equal(ckr_pca_num_components(e1, 4, 0.49), 1);
    assert_int_equal(ckr_pca_num_components(e1, 4, 0.95), 4);
    assert_int_equal(ckr_pca_num_components(e1, 4, 0.999999), 4); /* capped at r */
    /* exact boundary: cumulative (0.4, 0.8, 1.0) hits 0.8 exactly in double */
    const double e2[] = { 4, 4, 2 };
    assert_true(4.0 / 10.0 + 4.0 / 10.0 == 0.8);
    assert_int_equal(ckr_pca_num_components(e2, 3, 0.8), 3);
    assert_int_equal(ckr_pca_num_components(e2, 3, 0.79), 2);
    /* integer counts, capped */
    assert_int_equal(ckr_pca_num_components(e1, 4, 2.0), 2);
    assert_int_equal(ckr_pca_num_components(e1, 4, 2.7), 2);
    assert_int_equal(ckr_pca_num_components(e1, 4, 10.0), 4);
    /* negative rounding noise counts as zero; no variance gives 0 */
    const double e3[] = { 3, 1, -1e-17 };
    assert_int_equal(ckr_pca_num_components(e3, 3, 0.74), 1);
    assert_int_equal(ckr_pca_num_components(e3, 3, 0.76), 2);
    const double e4[] = { 0, 0, -1e-18 };
    assert_int_equal(ckr_pca_num_components(e4, 3, 0.8), 0);
}

/* Our scores vs sklearn's PCA(svd_solver='full') on the same data: same d,
 * same columns up to sign. */
static void check_pca_vs_sklearn(size_t n, size_t D, double pca, uint64_t seed)
{
    double *X = random_data(n, D, seed);
    char xpath[512], ppath[512], opath[512], cmd[2048];
    snprintf(xpath, sizeof xpath, "%s/pca_X_%zu_%zu.bin", ckr_test_tmpdir(), n, D);
    snprintf(ppath, sizeof ppath, "%s/pca_P_%zu_%zu.bin", ckr_test_tmpdir(), n, D);
    snprintf(opath, sizeof opath, "%s/pca_out_%zu_%zu.txt", ckr_test_tmpdir(), n, D);
    write_doubles(xpath, X, n * D);
    snprintf(cmd, sizeof cmd,
             CKR_PY " tests/ref_nleep.py --mode pca --X %s --n %zu --D %zu --pca %.17g "
                    "--out %s > %s",
             xpath, n, D, pca, ppath, opath);
    assert_int_equal(ckr_test_sh(cmd), 0);
    FILE *f = fopen(opath, "r");
    assert_non_null(f);
    size_t dref = 0;
    assert_int_equal(fscanf(f, "d %zu", &dref), 1);
    fclose(f);

    ckr_pca_result pr;
    ckr_err err;
    assert_int_equal(ckr_pca_fit_transform(X, n, D, pca, &pr, &err), 0);
    assert_int_equal(pr.d, dref);
    assert_int_equal(pr.n, n);
    double *P = malloc(sizeof(double) * n * dref);
    assert_non_null(P);
    read_doubles(ppath, P, n * dref);
    for (size_t j = 0; j < dref; j++) {
        double dot = 0.0, scale = 0.0;
        for (size_t i = 0; i < n; i++) {
            dot += P[i * dref + j] * pr.scores[i * dref + j];
            scale = fmax(scale, fabs(P[i * dref + j]));
        }
        double sign = dot >= 0 ? 1.0 : -1.0;
        for (size_t i = 0; i < n; i++)
            assert_close(sign * pr.scores[i * dref + j], P[i * dref + j], 1e-7 * scale);
        /* the scores have mean 0 and variance = the explained variance */
        double m = 0.0, v = 0.0;
        for (size_t i = 0; i < n; i++)
            m += pr.scores[i * dref + j];
        for (size_t i = 0; i < n; i++)
            v += pr.scores[i * dref + j] * pr.scores[i * dref + j];
        assert_close(m / (double)n, 0.0, 1e-10 * scale);
        assert_close(v / (double)(n - 1), pr.variance[j], 1e-9);
    }
    assert_true(pr.kept_ratio > (pca < 1 ? pca : 0.0));
    ckr_pca_result_free(&pr);
    free(P);
    free(X);
}

static void test_pca_vs_sklearn_covariance(void **state)
{
    (void)state;
    check_pca_vs_sklearn(300, 40, 0.8, 11);
}

static void test_pca_vs_sklearn_gram(void **state)
{
    (void)state;
    check_pca_vs_sklearn(25, 60, 0.8, 12); /* n < D: the Gram path */
}

static void test_pca_vs_sklearn_integer(void **state)
{
    (void)state;
    check_pca_vs_sklearn(200, 30, 5.0, 13);
}

static void test_pca_zero_variance(void **state)
{
    (void)state;
    double X[6 * 3];
    for (size_t i = 0; i < 6; i++) {
        X[i * 3 + 0] = 0.1; /* a mean with rounding error */
        X[i * 3 + 1] = -7.3;
        X[i * 3 + 2] = 1e6 / 3.0;
    }
    ckr_pca_result pr;
    ckr_err err;
    assert_int_equal(ckr_pca_fit_transform(X, 6, 3, 0.8, &pr, &err), CKR_ENUM);
    assert_non_null(strstr(err.msg, "zero variance"));
    assert_int_equal(ckr_pca_fit_transform(X, 6, 3, 0.0, &pr, &err), CKR_EARG);
}

/* ---- one EM step by hand (METHODS.md 3.6) ---------------------------- */

static void check_em_step_by_hand(ckr_cov_type cov)
{
    const double x[] = { -2, -1.5, 1, 2.5 };
    const double w[] = { 0.5, 0.5 }, mu[] = { -1, 1 }, var[] = { 1, 1 };
    ckr_gmm g;
    ckr_err err;
    assert_int_equal(ckr_gmm_init(&g, 2, 1, cov, 1e-6, &err), 0);
    assert_int_equal(ckr_gmm_set_params(&g, w, mu, var, &err), 0);
    double resp[8], lb;
    assert_int_equal(ckr_gmm_e_step(&g, x, 4, resp, &lb, &err), 0);
    const double r0[] = { 0.982013790, 0.952574127, 0.119202922, 0.006692851 };
    for (int i = 0; i < 4; i++) {
        assert_close(resp[i * 2 + 0], r0[i], 1e-9);
        assert_close(resp[i * 2 + 1], 1.0 - r0[i], 1e-9);
    }
    assert_close(lb, -1.999490554, 1e-9);
    assert_int_equal(ckr_gmm_m_step(&g, x, 4, resp, &err), 0);
    assert_close(g.weights[0], 0.515120922, 1e-9);
    assert_close(g.weights[1], 0.484879078, 1e-9);
    assert_close(g.means[0], -1.580674352, 1e-9);
    assert_close(g.means[1], 1.679260805, 1e-9);
    assert_close(g.covs[0], 0.526186662, 1e-9);
    assert_close(g.covs[1], 0.927214180, 1e-9);
    ckr_gmm_free(&g);
}

static void test_em_step_by_hand_full(void **state)
{
    (void)state;
    check_em_step_by_hand(CKR_COV_FULL);
}

static void test_em_step_by_hand_diag(void **state)
{
    (void)state;
    check_em_step_by_hand(CKR_COV_DIAG);
}

/* ---- the fast E-step against a textbook one --------------------------- */

/* Plain E-step: Cholesky of each covariance, forward substitution, logsumexp. */
static double textbook_e_step(const ckr_gmm *g, const double *X, size_t n, double *resp)
{
    size_t d = g->d, k = g->k;
    double *L = malloc(sizeof(double) * d * d), *y = malloc(sizeof(double) * d);
    double *lp = malloc(sizeof(double) * n * k);
    for (size_t j = 0; j < k; j++) {
        memset(L, 0, sizeof(double) * d * d);
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                int full = g->cov == CKR_COV_FULL;
                double c = full ? g->covs[j * d * d + a * d + b] : (a == b ? g->covs[j * d + a] : 0.0);
                L[a * d + b] = c;
            }
        for (size_t a = 0; a < d; a++) { /* in-place Cholesky, lower */
            for (size_t b = 0; b <= a; b++) {
                double s = L[a * d + b];
                for (size_t t = 0; t < b; t++)
                    s -= L[a * d + t] * L[b * d + t];
                L[a * d + b] = a == b ? sqrt(s) : s / L[b * d + b];
            }
        }
        double logdet = 0.0;
        for (size_t a = 0; a < d; a++)
            logdet += 2.0 * log(L[a * d + a]);
        for (size_t i = 0; i < n; i++) {
            double m = 0.0;
            for (size_t a = 0; a < d; a++) {
                double s = X[i * d + a] - g->means[j * d + a];
                for (size_t t = 0; t < a; t++)
                    s -= L[a * d + t] * y[t];
                y[a] = s / L[a * d + a];
                m += y[a] * y[a];
            }
            lp[i * k + j] = log(g->weights[j]) - 0.5 * ((double)d * log(2 * M_PI) + logdet + m);
        }
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < k; j++)
            mx = fmax(mx, lp[i * k + j]);
        for (size_t j = 0; j < k; j++)
            s += exp(lp[i * k + j] - mx);
        double l = mx + log(s);
        total += l;
        for (size_t j = 0; j < k; j++)
            resp[i * k + j] = exp(lp[i * k + j] - l);
    }
    free(L);
    free(y);
    free(lp);
    return total / (double)n;
}

/* Random model: means spread by `spread`, random SPD covariances. */
static void random_model(ckr_gmm *g, size_t k, size_t d, ckr_cov_type cov, double spread,
                         ckr_rng *r)
{
    ckr_err err;
    assert_int_equal(ckr_gmm_init(g, k, d, cov, 1e-6, &err), 0);
    double *w = malloc(sizeof(double) * k), *mu = malloc(sizeof(double) * k * d);
    double *C = calloc(k * d * d, sizeof(double)), *A = malloc(sizeof(double) * d * d);
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) {
        w[j] = 0.2 + ckr_rng_uniform(r);
        sum += w[j];
        for (size_t a = 0; a < d; a++)
            mu[j * d + a] = spread * ckr_rng_normal(r) + 5.0;
        for (size_t t = 0; t < d * d; t++)
            A[t] = ckr_rng_normal(r) * (0.3 + (double)(t % d) / (double)d);
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b < d; b++) {
                double s = a == b ? 0.05 : 0.0;
                for (size_t t = 0; t < d; t++)
                    s += A[a * d + t] * A[b * d + t];
                if (cov == CKR_COV_FULL)
                    C[j * d * d + a * d + b] = s;
                else if (a == b)
                    C[j * d + a] = s;
            }
    }
    for (size_t j = 0; j < k; j++)
        w[j] /= sum;
    assert_int_equal(ckr_gmm_set_params(g, w, mu, C, &err), 0);
    free(w);
    free(mu);
    free(C);
    free(A);
}

static void check_e_step_exact(ckr_cov_type cov, double spread, int uncached)
{
    ckr_rng r;
    ckr_rng_seed(&r, 99 + (uint64_t)(spread * 10) + (uint64_t)cov);
    size_t n = 400, d = 6, k = 7;
    ckr_gmm g;
    random_model(&g, k, d, cov, spread, &r);
    double *X = malloc(sizeof(double) * n * d);
    for (size_t i = 0; i < n; i++) { /* points near the components and between them */
        size_t j = i % k;
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = g.means[j * d + a] + (i % 3 == 0 ? 4.0 : 1.0) * ckr_rng_normal(&r);
    }
    double *fast = malloc(sizeof(double) * n * k), *ref = malloc(sizeof(double) * n * k);
    double lb_fast, lb_ref = textbook_e_step(&g, X, n, ref);
    ckr_err err;
    if (uncached)
        ckr_gmm_set_limits(0, CKR_GMM_TRACK_DEFAULT);
    assert_int_equal(ckr_gmm_e_step(&g, X, n, fast, &lb_fast, &err), 0);
    ckr_gmm_set_limits(CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT);
    assert_close(lb_fast, lb_ref, 1e-11);
    size_t zeros = 0;
    for (size_t t = 0; t < n * k; t++) {
        /* pruned entries are exactly 0 and truly negligible */
        if (fast[t] == 0.0) {
            assert_true(ref[t] < exp(-CKR_GMM_MARGIN + 1e-9));
            zeros++;
        } else {
            assert_close(fast[t], ref[t], 1e-10);
        }
    }
    if (spread > 10)
        assert_true(zeros > n); /* the far case did prune */
    free(X);
    free(fast);
    free(ref);
    ckr_gmm_free(&g);
}

static void test_e_step_matches_textbook_full(void **state)
{
    (void)state;
    check_e_step_exact(CKR_COV_FULL, 1.0, 0);  /* overlapping: dense responsibilities */
    check_e_step_exact(CKR_COV_FULL, 30.0, 0); /* far apart: most pairs pruned */
    check_e_step_exact(CKR_COV_FULL, 30.0, 1); /* features rebuilt per block */
}

static void test_e_step_matches_textbook_diag(void **state)
{
    (void)state;
    check_e_step_exact(CKR_COV_DIAG, 1.0, 0);
    check_e_step_exact(CKR_COV_DIAG, 30.0, 0);
}

/* ---- the dense (one GEMM over all components) E-step and M-step --------- */

/* The mixed-precision dense E-step (float32 GEMM, double sums) against the
 * textbook E-step ref (responsibilities) and lb_ref: every float32 rounding
 * is ~6e-8 relative, so on these O(1)-scaled data the log-likelihood and the
 * responsibilities agree to ~1e-6 (checked at 1e-5); and rows [n/3, n) on
 * their own give the same bits as inside all n rows (what a team relies on:
 * the shift comes from the model, not from the rows). */
static void check_dense_mixed(const ckr_gmm *g0, const double *X, size_t n, const double *ref,
                              double lb_ref)
{
    size_t k = g0->k, d = g0->d, i0 = n / 3;
    ckr_gmm_engine e, f;
    ckr_gmm_resp r = { 0 }, q = { 0 };
    assert_int_equal(ckr_gmm_engine_init(&e, X, n, d, k, CKR_COV_FULL), 0);
    assert_int_equal(ckr_gmm_engine_init(&f, X + i0 * d, n - i0, d, k, CKR_COV_FULL), 0);
    e.mixed = f.mixed = 1;
    ckr_gmm_engine_coefficients(&e, g0);
    ckr_gmm_engine_coefficients(&f, g0);
    assert_int_equal(ckr_gmm_dense_e_step(&e, g0, &r), 0);
    assert_int_equal(ckr_gmm_dense_e_step(&f, g0, &q), 0);
    double total = 0.0;
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        const double *v = r.val + i * k;
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < k; j++)
            mx = fmax(mx, v[j]);
        for (size_t j = 0; j < k; j++)
            s += exp(v[j] - mx);
        total += mx + log(s);
        for (size_t j = 0; j < k; j++) {
            assert_true(fabs(exp(v[j] - mx - log(s)) - ref[i * k + j]) <= 1e-5);
            if (i >= i0 && q.val[(i - i0) * k + j] != v[j])
                differ++;
        }
    }
    assert_close(total / (double)n, lb_ref, 1e-5);
    assert_int_equal(differ, 0);
    ckr_gmm_resp_free(&r);
    ckr_gmm_resp_free(&q);
    ckr_gmm_engine_free(&e);
    ckr_gmm_engine_free(&f);
}

/* The dense E-step's log-densities, normalised, against the textbook E-step;
 * then the dense-moment M-step from the textbook responsibilities against
 * the sparse M-step (checked by hand above) from the same ones. */
static void check_dense_steps(const ckr_gmm *g0, const double *X, size_t n)
{
    size_t k = g0->k, d = g0->d;
    double *ref = malloc(sizeof(double) * n * k);
    double lb_ref = textbook_e_step(g0, X, n, ref);
    ckr_gmm_engine e;
    ckr_gmm_resp r = { 0 };
    assert_int_equal(ckr_gmm_engine_init(&e, X, n, d, k, CKR_COV_FULL), 0);
    ckr_gmm_engine_coefficients(&e, g0);
    assert_int_equal(ckr_gmm_dense_e_step(&e, g0, &r), 0);
    assert_int_equal(r.nnz, n * k);
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *v = r.val + i * k;
        double mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < k; j++)
            mx = fmax(mx, v[j]);
        for (size_t j = 0; j < k; j++)
            s += exp(v[j] - mx);
        total += mx + log(s);
        for (size_t j = 0; j < k; j++)
            assert_close(exp(v[j] - mx - log(s)), ref[i * k + j], 1e-10);
    }
    assert_close(total / (double)n, lb_ref, 1e-11);
    check_dense_mixed(g0, X, n, ref, lb_ref);
    ckr_gmm ga, gb;
    ckr_err err;
    memcpy(r.val, ref, sizeof(double) * n * k);
    assert_int_equal(ckr_gmm_init(&ga, k, d, CKR_COV_FULL, 1e-6, &err), 0);
    assert_int_equal(ckr_gmm_init(&gb, k, d, CKR_COV_FULL, 1e-6, &err), 0);
    assert_int_equal(ckr_gmm_m_step(&ga, X, n, ref, &err), 0);
    assert_int_equal(ckr_gmm_m_step_engine(&gb, &e, &r, 0, &err), 0);
    for (size_t j = 0; j < k; j++) {
        assert_close(gb.weights[j], ga.weights[j], 1e-12);
        for (size_t a = 0; a < d; a++)
            assert_close(gb.means[j * d + a], ga.means[j * d + a], 1e-10);
        double scale = 0.0; /* covariance entries relative to the diagonal */
        for (size_t a = 0; a < d; a++)
            scale = fmax(scale, ga.covs[j * d * d + a * d + a]);
        /* the dense M-step forms E[x x^T] - mu mu^T and recomputes a
         * component from centred rows only when more than 6 of 16 digits
         * cancel: up to ~1e-10 relative error is by design, and kernels
         * that round differently (Prescott) reach it */
        for (size_t t = 0; t < d * d; t++)
            assert_true(fabs(gb.covs[j * d * d + t] - ga.covs[j * d * d + t]) <= 1e-9 * scale);
    }
    ckr_gmm_free(&ga);
    ckr_gmm_free(&gb);
    ckr_gmm_resp_free(&r);
    ckr_gmm_engine_free(&e);
    free(ref);
}

static void test_dense_steps_match_textbook(void **state)
{
    (void)state;
    ckr_rng r;
    size_t n = 400, d = 6, k = 7;
    const double spreads[] = { 1.0, 30.0 };
    for (int v = 0; v < 2; v++) {
        ckr_rng_seed(&r, 77 + (uint64_t)v);
        ckr_gmm g;
        random_model(&g, k, d, CKR_COV_FULL, spreads[v], &r);
        double *X = malloc(sizeof(double) * n * d);
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < d; a++)
                X[i * d + a] = g.means[(i % k) * d + a] + (i % 3 == 0 ? 4.0 : 1.0) * ckr_rng_normal(&r);
        check_dense_steps(&g, X, n);
        free(X);
        ckr_gmm_free(&g);
    }
    /* a tight component far from the data's mean: its second moment about
     * the origin of the standardised data cancels almost entirely, so its
     * scatter must come from the centred rows */
    n = 300;
    d = 2;
    double *X = malloc(sizeof(double) * n * d);
    ckr_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = i < 150 ? ckr_rng_normal(&r) : 1000.0 + 1e-4 * ckr_rng_normal(&r);
    const double w[] = { 0.5, 0.5 }, mu[] = { 0, 0, 1000, 1000 };
    const double C[] = { 1, 0, 0, 1, 1e-8, 0, 0, 1e-8 };
    ckr_gmm g;
    ckr_err err;
    assert_int_equal(ckr_gmm_init(&g, 2, d, CKR_COV_FULL, 1e-12, &err), 0);
    assert_int_equal(ckr_gmm_set_params(&g, w, mu, C, &err), 0);
    check_dense_steps(&g, X, n);
    ckr_gmm_free(&g);
    free(X);
}

/* Whole fits with bound tracking (the default), without it, and without the
 * feature cache: the same EM, up to rounding. */
static void check_fit_tracking_equivalent(ckr_cov_type cov)
{
    size_t n = 900, d = 5, k = 12;
    ckr_rng r;
    ckr_rng_seed(&r, 31);
    double *X = malloc(sizeof(double) * n * d);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = 10.0 * (double)((i % 12) == a) - 10.0 * (double)((i % 12) == a + 6) + ckr_rng_normal(&r) * (1.0 + 0.2 * a);
    int *lab = malloc(sizeof(int) * n);
    for (size_t i = 0; i < n; i++)
        lab[i] = (int)((i * 7) % k);
    double *post[4];
    double lb[4];
    int iters[4], full[4], dense = 0;
    /* the fourth: the dense E-step and M-step after every full pass */
    const size_t limits[4][2] = { { CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT },
                                  { CKR_GMM_QCACHE_DEFAULT, 0 },
                                  { 0, CKR_GMM_TRACK_DEFAULT },
                                  { CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT } };
    for (int v = 0; v < 4; v++) {
        ckr_gmm g;
        ckr_err err;
        ckr_gmm_stats st;
        ckr_gmm_opts o = ckr_gmm_default_opts();
        o.tol = 1e-6;
        post[v] = malloc(sizeof(double) * n * k);
        ckr_gmm_set_limits(limits[v][0], limits[v][1]);
        ckr_gmm_set_dense_fraction(v == 3 ? 0.0 : CKR_GMM_DENSE_DEFAULT);
        assert_int_equal(ckr_gmm_init(&g, k, d, cov, 1e-6, &err), 0);
        assert_int_equal(ckr_gmm_fit_from_labels(&g, X, n, lab, &o, post[v], &st, &err), 0);
        if (v == 3)
            dense = st.dense_passes;
        lb[v] = st.lower_bound;
        iters[v] = st.iters;
        full[v] = st.full_passes;
        ckr_gmm_free(&g);
    }
    ckr_gmm_set_limits(CKR_GMM_QCACHE_DEFAULT, CKR_GMM_TRACK_DEFAULT);
    ckr_gmm_set_dense_fraction(CKR_GMM_DENSE_DEFAULT);
    if (cov == CKR_COV_FULL)
        assert_true(dense > iters[3] / 2);
    print_message("tracking: %d iterations, %d full passes (%d, %d)\n", iters[0], full[0], full[1], full[2]);
    assert_true(iters[0] > 20);
    assert_true(full[0] < iters[0]);      /* tracking skipped full passes */
    assert_int_equal(full[1], iters[1] + 1); /* without it: every E-step */
    for (int v = 1; v < 4; v++) {
        assert_int_equal(iters[v], iters[0]);
        assert_close(lb[v], lb[0], 1e-12);
        for (size_t t = 0; t < n * k; t++)
            assert_close(post[v][t], post[0][t], 1e-9);
    }
    for (int v = 0; v < 4; v++)
        free(post[v]);
    free(X);
    free(lab);
}

static void test_fit_tracking_equivalent(void **state)
{
    (void)state;
    check_fit_tracking_equivalent(CKR_COV_FULL);
    check_fit_tracking_equivalent(CKR_COV_DIAG);
}

/* ---- GMM fits ----------------------------------------------------------- */

static void test_gmm_blobs_recover_means(void **state)
{
    (void)state;
    size_t n = 600, d = 3, k = 3;
    const double truth[3][3] = { { 0, 0, 0 }, { 40, -5, 3 }, { -20, 30, 10 } };
    const double sd[3] = { 1.0, 2.0, 0.5 };
    ckr_rng r;
    ckr_rng_seed(&r, 8);
    double *X = malloc(sizeof(double) * n * d);
    for (size_t i = 0; i < n; i++)
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = truth[i % k][a] + sd[i % k] * ckr_rng_normal(&r) * (1.0 + 0.3 * a);
    for (int cov = 0; cov < 2; cov++) {
        ckr_gmm g;
        ckr_err err;
        assert_int_equal(ckr_gmm_init(&g, k, d, (ckr_cov_type)cov, 1e-6, &err), 0);
        ckr_gmm_opts o = ckr_gmm_default_opts();
        ckr_gmm_stats st;
        double *post = malloc(sizeof(double) * n * k);
        ckr_rng_seed(&r, 4);
        assert_int_equal(ckr_gmm_fit(&g, X, n, &o, &r, post, &st, &err), 0);
        assert_true(st.converged);
        for (size_t t = 0; t < k; t++) {
            size_t j = 0; /* the component nearest to true mean t */
            double best = INFINITY;
            for (size_t c = 0; c < k; c++) {
                double s = 0.0;
                for (size_t a = 0; a < d; a++)
                    s += pow(g.means[c * d + a] - truth[t][a], 2);
                if (s < best) {
                    best = s;
                    j = c;
                }
            }
            assert_true(sqrt(best) < 0.5);
            assert_close(g.weights[j], 1.0 / 3.0, 1e-6);
            /* variance along axis a ~ (sd (1 + 0.3 a))^2 */
            double v0 = g.cov == CKR_COV_FULL ? g.covs[j * d * d] : g.covs[j * d];
            assert_true(fabs(v0 / (sd[t] * sd[t]) - 1.0) < 0.3);
            for (size_t i = t; i < n; i += k) /* posteriors one-hot on the right one */
                assert_true(post[i * k + j] > 1.0 - 1e-9);
        }
        free(post);
        ckr_gmm_free(&g);
    }
    free(X);
}

/* Points on a line: the covariance is singular and only reg keeps it
 * positive definite, until the scale makes reg vanish in the rounding. The
 * coordinates are (t, t) 2^s with integer t, so the scatter is exact. */
static int fit_line(double scale, int *retries, ckr_err *err)
{
    size_t n = 50;
    double X[100];
    int lab[50] = { 0 };
    for (size_t i = 0; i < n; i++)
        X[2 * i] = X[2 * i + 1] = scale * ((double)i - 25.0);
    ckr_gmm g;
    ckr_gmm_opts o = ckr_gmm_default_opts();
    o.max_iter = 2;
    assert_int_equal(ckr_gmm_init(&g, 1, 2, CKR_COV_FULL, 1e-6, err), 0);
    int rc = ckr_gmm_fit_from_labels(&g, X, n, lab, &o, NULL, NULL, err);
    *retries = g.reg_retries;
    ckr_gmm_free(&g);
    return rc;
}

static void test_gmm_cholesky_retry(void **state)
{
    (void)state;
    ckr_err err;
    int retries, rescued = 0;
    for (int s = 8; s <= 22; s++) {
        int rc = fit_line(ldexp(1.0, s), &retries, &err);
        if (rc == 0)
            rescued += retries > 0;
        else
            assert_int_equal(rc, CKR_ENUM);
    }
    assert_true(rescued > 0); /* some scale needed (and got) a larger reg */
    /* far beyond what reg x1000 can fix: a clean CKR_ENUM after 3 retries */
    assert_int_equal(fit_line(ldexp(1.0, 40), &retries, &err), CKR_ENUM);
    assert_non_null(strstr(err.msg, "positive definite"));
    assert_int_equal(retries, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_component_rule),
        cmocka_unit_test(test_pca_vs_sklearn_covariance),
        cmocka_unit_test(test_pca_vs_sklearn_gram),
        cmocka_unit_test(test_pca_vs_sklearn_integer),
        cmocka_unit_test(test_pca_zero_variance),
        cmocka_unit_test(test_em_step_by_hand_full),
        cmocka_unit_test(test_em_step_by_hand_diag),
        cmocka_unit_test(test_e_step_matches_textbook_full),
        cmocka_unit_test(test_e_step_matches_textbook_diag),
        cmocka_unit_test(test_dense_steps_match_textbook),
        cmocka_unit_test(test_fit_tracking_equivalent),
        cmocka_unit_test(test_gmm_blobs_recover_means),
        cmocka_unit_test(test_gmm_cholesky_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
