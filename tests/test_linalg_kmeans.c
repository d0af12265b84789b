/* test_linalg_kmeans.c -- k-means (linalg/kmeans.h): k-means++ seeding, Lloyd
 * on well-separated blobs (the true partition and blob means are known), and
 * the bounded Lloyd against a brute-force Lloyd written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "linalg/kmeans.h"
#include "testutil.h"
#include "util/err.h"
#include "util/rng.h"

/* n x d points around 6 centres that overlap (unit-variance noise around
 * centres drawn with standard deviation 2), so Lloyd needs several
 * iterations and labels move between clusters. */
static double *overlapping_clusters(size_t n, size_t d, uint64_t seed)
{
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    double *X = malloc(sizeof(double) * n * d), centre[6][16];
    assert_non_null(X);
    assert_true(d <= 16);
    for (size_t c = 0; c < 6; c++)
        for (size_t a = 0; a < d; a++)
            centre[c][a] = 2.0 * ckr_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)ckr_rng_below(&r, 6);
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = centre[c][a] + ckr_rng_normal(&r);
    }
    return X;
}

static void test_kmeans_plusplus_distinct(void **state)
{
    (void)state;
    /* 60 points with only 12 distinct values: all 12 must be chosen */
    size_t n = 60, d = 2, k = 12;
    double X[120];
    for (size_t i = 0; i < n; i++) {
        X[i * d] = (double)(i % k);
        X[i * d + 1] = (double)((i % k) * (i % k) % 5);
    }
    double C[24];
    size_t idx[12];
    ckr_err err;
    for (uint64_t seed = 0; seed < 20; seed++) {
        ckr_rng r;
        ckr_rng_seed(&r, seed);
        assert_int_equal(ckr_kmeans_plusplus(X, n, d, k, &r, C, idx, &err), 0);
        for (size_t a = 0; a < k; a++) {
            assert_memory_equal(C + a * d, X + idx[a] * d, sizeof(double) * d);
            for (size_t b = 0; b < a; b++)
                assert_true(C[a * d] != C[b * d] || C[a * d + 1] != C[b * d + 1]);
        }
    }
    ckr_rng r;
    ckr_rng_seed(&r, 1);
    assert_int_equal(ckr_kmeans_plusplus(X, n, d, 61, &r, C, NULL, &err), CKR_EARG);
}

/* Blobs far apart: Lloyd must recover the true partition exactly. */
static void test_kmeans_blobs(void **state)
{
    (void)state;
    size_t n = 400, d = 5, k = 8;
    ckr_rng r;
    ckr_rng_seed(&r, 5);
    double *X = malloc(sizeof(double) * n * d), *C = malloc(sizeof(double) * k * d);
    double *truth = malloc(sizeof(double) * k * d);
    int *lab = malloc(sizeof(int) * n), *owner = malloc(sizeof(int) * n);
    for (size_t j = 0; j < k; j++)
        for (size_t a = 0; a < d; a++)
            truth[j * d + a] = 100.0 * ckr_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        owner[i] = (int)(i % k);
        for (size_t a = 0; a < d; a++)
            X[i * d + a] = truth[(size_t)owner[i] * d + a] + ckr_rng_normal(&r);
    }
    ckr_err err;
    ckr_kmeans_stats st;
    ckr_rng_seed(&r, 17);
    assert_int_equal(ckr_kmeans_fit(X, n, d, k, 300, 1e-4, &r, C, lab, &st, &err), 0);
    assert_true(st.strict_converged);
    /* same partition up to renaming */
    int map[8];
    for (size_t j = 0; j < k; j++)
        map[j] = -1;
    for (size_t i = 0; i < n; i++) {
        if (map[owner[i]] < 0)
            map[owner[i]] = lab[i];
        assert_int_equal(map[owner[i]], lab[i]);
    }
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < a; b++)
            assert_int_not_equal(map[a], map[b]);
    /* the centres are the blob means; inertia is the within scatter */
    double inertia = 0.0;
    for (size_t j = 0; j < k; j++) {
        double m[5] = { 0 };
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++)
            if (owner[i] == (int)j) {
                cnt++;
                for (size_t a = 0; a < d; a++)
                    m[a] += X[i * d + a];
            }
        for (size_t a = 0; a < d; a++)
            assert_close(C[(size_t)map[j] * d + a], m[a] / (double)cnt, 1e-9);
        for (size_t i = 0; i < n; i++)
            if (owner[i] == (int)j)
                for (size_t a = 0; a < d; a++) {
                    double t = X[i * d + a] - m[a] / (double)cnt;
                    inertia += t * t;
                }
    }
    assert_close(st.inertia, inertia, 1e-9);
    free(X);
    free(C);
    free(truth);
    free(lab);
    free(owner);
}

/* Lloyd with bounds gives the labels of brute-force Lloyd. */
static void test_kmeans_lloyd_matches_brute_force(void **state)
{
    (void)state;
    size_t n = 500, d = 4, k = 9;
    double *X = overlapping_clusters(n, d, 21);
    double *C = malloc(sizeof(double) * k * d), *B = malloc(sizeof(double) * k * d);
    int *lab = malloc(sizeof(int) * n), *blab = malloc(sizeof(int) * n);
    ckr_rng r;
    ckr_rng_seed(&r, 3);
    ckr_err err;
    assert_int_equal(ckr_kmeans_plusplus(X, n, d, k, &r, C, NULL, &err), 0);
    memcpy(B, C, sizeof(double) * k * d);
    ckr_kmeans_stats st;
    assert_int_equal(ckr_kmeans_lloyd(X, n, d, k, C, 300, 0.0, lab, &st, &err), 0);
    /* brute force: assign, average, until the labels repeat */
    for (int it = 0; it < 300; it++) {
        int changed = 0;
        for (size_t i = 0; i < n; i++) {
            double best = INFINITY;
            int a = 0;
            for (size_t j = 0; j < k; j++) {
                double s = 0.0;
                for (size_t t = 0; t < d; t++)
                    s += (X[i * d + t] - B[j * d + t]) * (X[i * d + t] - B[j * d + t]);
                if (s < best) {
                    best = s;
                    a = (int)j;
                }
            }
            changed |= it == 0 || blab[i] != a;
            blab[i] = a;
        }
        if (!changed)
            break;
        double cnt[9] = { 0 };
        memset(B, 0, sizeof(double) * k * d);
        for (size_t i = 0; i < n; i++) {
            cnt[blab[i]] += 1;
            for (size_t t = 0; t < d; t++)
                B[(size_t)blab[i] * d + t] += X[i * d + t];
        }
        for (size_t j = 0; j < k; j++)
            for (size_t t = 0; t < d; t++)
                B[j * d + t] /= cnt[j] > 0 ? cnt[j] : 1;
    }
    assert_true(st.strict_converged);
    assert_true(st.iters > 2); /* labels moved over several iterations */
    assert_memory_equal(lab, blab, sizeof(int) * n);
    assert_true(st.dist_evals < (size_t)st.iters * n * k); /* the bounds did skip work */
    free(X);
    free(C);
    free(B);
    free(lab);
    free(blab);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_plusplus_distinct),
        cmocka_unit_test(test_kmeans_blobs),
        cmocka_unit_test(test_kmeans_lloyd_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
