/* mpi_team_nleep.c -- NLEEP on a team of ranks and its parts (PCA, k-means,
 * the Gaussian mixture), under mpirun -n 1, 2, 4.
 *
 * Each check deals a pair's rows to the ranks of a team in fixed blocks
 * (ckr_rowblocks_range), on MPI_COMM_WORLD and on its two halves, and
 * compares the team's result with the single-rank function on the whole
 * matrix (which test_pca_gmm.c, test_linalg_kmeans.c and test_nleep.c check
 * against scikit-learn): to 1e-10 relative, the same k-means labels, the same
 * EM iterations, the same bits on every rank of a team, and the bits of
 * `score` on a team of one. Cases include N not divisible by P and fewer
 * rows than ranks x block (ranks with no rows). Failures are counted and
 * summed over the world before asserting, so no rank is left waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/gmm.h"
#include "linalg/gmm_team.h"
#include "linalg/kmeans.h"
#include "linalg/kmeans_team.h"
#include "linalg/pca.h"
#include "linalg/pca_team.h"
#include "methods/method.h"
#include "util/rng.h"
#include "util/stop.h"
#include "zoo/teamread.h"

static int nranks, me;

/* n x d rows around C cluster centres (spread g_spread), labels y;
 * multilabel Y (n x C) when Y is not NULL. The same on every rank. */
static double g_spread = 3.0;
static void make_data(size_t n, size_t d, int C, uint64_t seed, double offset, double *X,
                      int *y, uint8_t *Y)
{
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    double *mu = malloc((size_t)C * d * sizeof *mu);
    for (size_t k = 0; k < (size_t)C * d; k++)
        mu[k] = g_spread * ckr_rng_normal(&rng);
    for (size_t i = 0; i < n; i++) {
        int c = i < (size_t)C ? (int)i : (int)ckr_rng_below(&rng, (uint64_t)C);
        y[i] = c;
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = offset + mu[(size_t)c * d + j] + (1.0 + 0.1 * (double)j) *
                           ckr_rng_normal(&rng);
        if (Y) {
            for (int k = 0; k < C; k++)
                Y[i * (size_t)C + (size_t)k] = k == c || ckr_rng_uniform(&rng) < 0.2;
        }
    }
    free(mu);
}

typedef struct team_view {
    MPI_Comm comm;
    int P, r;
    size_t row0, rows;
} team_view;

static team_view view(MPI_Comm comm, size_t n, size_t block)
{
    team_view v = { .comm = comm };
    MPI_Comm_size(comm, &v.P);
    MPI_Comm_rank(comm, &v.r);
    ckr_rowblocks_range(n, block, v.P, v.r, &v.row0, &v.rows);
    return v;
}

/* Gather every rank's rows of an n x w array (local: rows x w) into all. */
static void gather_rows(const team_view *v, const double *local, size_t w, double *all)
{
    int *cnt = malloc(2 * (size_t)v->P * sizeof *cnt);
    unsigned long long mine[2] = { v->row0, v->rows }, *rr = malloc(2 * (size_t)v->P * 8);
    MPI_Allgather(mine, 2, MPI_UNSIGNED_LONG_LONG, rr, 2, MPI_UNSIGNED_LONG_LONG, v->comm);
    for (int k = 0; k < v->P; k++) {
        cnt[k] = (int)(rr[2 * k + 1] * w);
        cnt[v->P + k] = (int)(rr[2 * k] * w);
    }
    double dummy = 0.0;
    MPI_Allgatherv(v->rows ? local : &dummy, (int)(v->rows * w), MPI_DOUBLE, all, cnt,
                   cnt + v->P, MPI_DOUBLE, v->comm);
    free(cnt);
    free(rr);
}

static int same_on_team(MPI_Comm comm, const void *buf, int len)
{
    char *root = malloc((size_t)len);
    memcpy(root, buf, (size_t)len);
    MPI_Bcast(root, len, MPI_BYTE, 0, comm);
    int same = memcmp(root, buf, (size_t)len) == 0, all = 0;
    MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_LAND, comm);
    free(root);
    return all;
}

static double rel(double a, double b)
{
    return fabs(a - b) / (fabs(b) > 1e-300 ? fabs(b) : 1.0);
}

/* Sum the failures over the world and assert there were none. */
static void assert_no_failures(int bad)
{
    int total = 0;
    MPI_Allreduce(&bad, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    assert_int_equal(total, 0);
}

#define FAILIF(cond, ...)                                                              \
    do {                                                                               \
        if (cond) {                                                                    \
            fprintf(stderr, "[%d] ", me);                                              \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
            bad++;                                                                     \
        }                                                                              \
    } while (0)

/* Call fn on the world and on its two halves; returns the summed failures. */
static int on_teams(int (*fn)(MPI_Comm, const void *), const void *arg)
{
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, me < nranks / 2 ? 0 : 1, me, &half);
    int bad = fn(MPI_COMM_WORLD, arg) + fn(half, arg);
    MPI_Comm_free(&half);
    return bad;
}

/* ---- PCA ---------------------------------------------------------------- */

typedef struct pca_case {
    size_t n, D, block;
    double pca, offset;
} pca_case;

static int pca_check(MPI_Comm comm, const void *arg)
{
    const pca_case *c = arg;
    int bad = 0;
    double *X = malloc(c->n * c->D * sizeof *X);
    int *y = malloc(c->n * sizeof *y);
    make_data(c->n, c->D, 3, 11, c->offset, X, y, NULL);
    ckr_pca_result one = { 0 }, tm = { 0 };
    ckr_err err = { 0, "" };
    int rc1 = ckr_pca_fit_transform(X, c->n, c->D, c->pca, &one, &err);
    team_view v = view(comm, c->n, c->block);
    int rc2 = ckr_pca_team_fit_transform(comm, v.rows ? X + v.row0 * c->D : NULL, v.rows, c->n,
                                         c->D, c->pca, &tm, &err);
    FAILIF(rc1 || rc2, "pca n=%zu: rc %d / %d", c->n, rc1, rc2);
    if (!rc1 && !rc2) {
        FAILIF(one.d != tm.d, "pca n=%zu: d %zu vs %zu", c->n, tm.d, one.d);
        size_t d = one.d < tm.d ? one.d : tm.d;
        for (size_t j = 0; j < d; j++)
            FAILIF(rel(tm.variance[j], one.variance[j]) > 1e-10, "pca variance %zu: %.17g vs %.17g",
                   j, tm.variance[j], one.variance[j]);
        FAILIF(rel(tm.total_var, one.total_var) > 1e-10, "pca total variance");
        double *all = malloc(c->n * tm.d * sizeof *all);
        gather_rows(&v, tm.scores, tm.d, all);
        for (size_t j = 0; j < d; j++) { /* components agree up to sign */
            double dot = 0.0, mx = 0.0, worst = 0.0;
            for (size_t i = 0; i < c->n; i++) {
                dot += all[i * tm.d + j] * one.scores[i * one.d + j];
                mx = fmax(mx, fabs(one.scores[i * one.d + j]));
            }
            double sg = dot < 0.0 ? -1.0 : 1.0;
            for (size_t i = 0; i < c->n; i++)
                worst = fmax(worst, fabs(sg * all[i * tm.d + j] - one.scores[i * one.d + j]));
            FAILIF(worst > 1e-10 * mx, "pca n=%zu component %zu: scores differ by %.3g of %.3g",
                   c->n, j, worst, mx);
        }
        free(all);
    }
    ckr_pca_result_free(&one);
    ckr_pca_result_free(&tm);
    free(X);
    free(y);
    return bad;
}

static void test_pca_team(void **state)
{
    (void)state;
    const pca_case cases[] = {
        { 203, 12, 8, 0.8, 3.0 },   /* N not divisible by P */
        { 203, 12, 8, 4.0, 0.0 },   /* a fixed number of components */
        { 15, 40, 4, 0.8, 0.5 },    /* N < D: the single-rank path takes the kernel */
        { 30, 5, 16, 0.9, -2.0 },   /* fewer rows than ranks x block */
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad += on_teams(pca_check, &cases[i]);
    assert_no_failures(bad);
}

/* ---- k-means ------------------------------------------------------------ */

typedef struct km_case {
    size_t n, d, k, block;
    int max_iter;
} km_case;

static int kmeans_check(MPI_Comm comm, const void *arg)
{
    const km_case *c = arg;
    int bad = 0;
    double *X = malloc(c->n * c->d * sizeof *X);
    int *y = malloc(c->n * sizeof *y), *l1 = malloc(c->n * sizeof *l1);
    make_data(c->n, c->d, 5, 21, 1.0, X, y, NULL);
    double *c1 = malloc(c->k * c->d * sizeof *c1), *c2 = malloc(c->k * c->d * sizeof *c2);
    ckr_kmeans_stats s1, s2;
    ckr_rng rng;
    ckr_rng_seed(&rng, 5);
    int rc1 = ckr_kmeans_fit(X, c->n, c->d, c->k, c->max_iter, 1e-4, &rng, c1, l1, &s1, NULL);
    team_view v = view(comm, c->n, c->block);
    ckr_rowsum rs;
    ckr_err err = { 0, "" };
    int rc2 = ckr_rowsum_init(&rs, comm, v.row0, v.rows, c->n, &err);
    int *l2 = malloc((v.rows ? v.rows : 1) * sizeof *l2);
    ckr_rng_seed(&rng, 5);
    if (!rc2)
        rc2 = ckr_kmeans_team_fit(&rs, v.rows ? X + v.row0 * c->d : NULL, c->d, c->k,
                                  c->max_iter, 1e-4, &rng, c2, l2, &s2, &err);
    FAILIF(rc1 || rc2, "kmeans: rc %d / %d (%s)", rc1, rc2, err.msg);
    if (!rc1 && !rc2) {
        FAILIF(s1.iters != s2.iters, "kmeans n=%zu P=%d: iters %d vs %d", c->n, v.P, s2.iters,
               s1.iters);
        FAILIF(rel(s2.inertia, s1.inertia) > 1e-10, "kmeans inertia %.17g vs %.17g", s2.inertia,
               s1.inertia);
        double scale = 0.0, worst = 0.0;
        for (size_t t = 0; t < c->k * c->d; t++) {
            scale = fmax(scale, fabs(c1[t]));
            worst = fmax(worst, fabs(c1[t] - c2[t]));
        }
        FAILIF(worst > 1e-10 * scale, "kmeans centres differ by %.3g", worst);
        for (size_t i = 0; i < v.rows; i++)
            FAILIF(l2[i] != l1[v.row0 + i], "kmeans label of row %zu: %d vs %d", v.row0 + i,
                   l2[i], l1[v.row0 + i]);
        FAILIF(!same_on_team(comm, c2, (int)(c->k * c->d * sizeof *c2)),
               "kmeans centres differ between ranks");
    }
    ckr_rowsum_free(&rs);
    free(X);
    free(y);
    free(l1);
    free(l2);
    free(c1);
    free(c2);
    return bad;
}

static void test_kmeans_team(void **state)
{
    (void)state;
    const km_case cases[] = {
        { 1037, 6, 9, 64, 300 },  /* N not divisible by P */
        { 40, 3, 7, 16, 300 },    /* fewer rows than ranks x block */
        { 603, 4, 25, 8, 3 },     /* stops at max_iter: the final relabelling */
        { 12, 2, 12, 4, 300 },    /* k = n */
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad += on_teams(kmeans_check, &cases[i]);
    assert_no_failures(bad);
}

/* With rank boundaries on multiples of CKR_ROWSUM_BLOCK the team's k-means
 * gives the same bits on every team size (the world, its halves: 1, 2, 4
 * ranks across the mpirun runs; compared with a team of one on each rank). */
static int kmeans_bits(MPI_Comm comm, const void *arg)
{
    (void)arg;
    size_t n = 1700, d = 5, k = 11;
    int bad = 0;
    double *X = malloc(n * d * sizeof *X), c1[11 * 5], c2[11 * 5];
    int *y = malloc(n * sizeof *y), *lab = malloc(n * sizeof *lab);
    make_data(n, d, 6, 31, 0.0, X, y, NULL);
    ckr_kmeans_stats s1, s2;
    ckr_rowsum one, rs;
    ckr_rng rng;
    ckr_rng_seed(&rng, 9);
    ckr_rowsum_init(&one, MPI_COMM_SELF, 0, n, n, NULL);
    ckr_kmeans_team_fit(&one, X, d, k, 300, 1e-4, &rng, c1, lab, &s1, NULL);
    team_view v = view(comm, n, CKR_ROWSUM_BLOCK);
    ckr_rowsum_init(&rs, comm, v.row0, v.rows, n, NULL);
    ckr_rng_seed(&rng, 9);
    ckr_kmeans_team_fit(&rs, v.rows ? X + v.row0 * d : NULL, d, k, 300, 1e-4, &rng, c2, lab, &s2,
                        NULL);
    FAILIF(memcmp(c1, c2, sizeof c1) || s1.iters != s2.iters ||
               memcmp(&s1.inertia, &s2.inertia, sizeof s1.inertia),
           "kmeans on %d ranks: not the bits of one rank", v.P);
    ckr_rowsum_free(&one);
    ckr_rowsum_free(&rs);
    free(X);
    free(y);
    free(lab);
    return bad;
}

static void test_kmeans_team_bits(void **state)
{
    (void)state;
    assert_no_failures(on_teams(kmeans_bits, NULL));
}

/* ---- the Gaussian mixture ------------------------------------------------ */

typedef struct gmm_case {
    size_t n, d, k, block;
    ckr_cov_type cov;
} gmm_case;

static int gmm_check(MPI_Comm comm, const void *arg)
{
    const gmm_case *c = arg;
    int bad = 0;
    double *X = malloc(c->n * c->d * sizeof *X);
    int *y = malloc(c->n * sizeof *y);
    make_data(c->n, c->d, 4, 41, 2.0, X, y, NULL);
    ckr_gmm g1, g2;
    ckr_gmm_stats s1, s2;
    ckr_gmm_opts o = ckr_gmm_default_opts();
    o.tol = 1e-6; /* more iterations than the default */
    double *p1 = malloc(c->n * c->k * sizeof *p1), *p2 = malloc(c->n * c->k * sizeof *p2);
    ckr_rng rng;
    ckr_rng_seed(&rng, 3);
    ckr_gmm_init(&g1, c->k, c->d, c->cov, 1e-6, NULL);
    ckr_gmm_init(&g2, c->k, c->d, c->cov, 1e-6, NULL);
    int rc1 = ckr_gmm_fit(&g1, X, c->n, &o, &rng, p1, &s1, NULL);
    team_view v = view(comm, c->n, c->block);
    ckr_rowsum rs;
    ckr_err err = { 0, "" };
    ckr_rowsum_init(&rs, comm, v.row0, v.rows, c->n, NULL);
    ckr_rng_seed(&rng, 3);
    double *pl = malloc((v.rows ? v.rows : 1) * c->k * sizeof *pl);
    int rc2 = ckr_gmm_team_fit(&g2, &rs, v.rows ? X + v.row0 * c->d : NULL, &o, &rng, pl, &s2,
                               &err);
    FAILIF(rc1 || rc2, "gmm: rc %d / %d (%s)", rc1, rc2, err.msg);
    if (!rc1 && !rc2) {
        gather_rows(&v, pl, c->k, p2);
        FAILIF(s1.iters != s2.iters || s1.kmeans_iters != s2.kmeans_iters,
               "gmm n=%zu P=%d: iters %d/%d vs %d/%d", c->n, v.P, s2.iters, s2.kmeans_iters,
               s1.iters, s1.kmeans_iters);
        FAILIF(rel(s2.lower_bound, s1.lower_bound) > 1e-10, "gmm lower bound %.17g vs %.17g",
               s2.lower_bound, s1.lower_bound);
        double worst = 0.0;
        for (size_t t = 0; t < c->k * c->d; t++)
            worst = fmax(worst, fabs(g1.means[t] - g2.means[t]));
        for (size_t t = 0; t < c->k; t++)
            worst = fmax(worst, fabs(g1.weights[t] - g2.weights[t]));
        for (size_t t = 0; t < c->n * c->k; t++)
            worst = fmax(worst, fabs(p1[t] - p2[t]));
        FAILIF(worst > 1e-9, "gmm n=%zu P=%d: parameters or posteriors differ by %.3g", c->n,
               v.P, worst);
        size_t cl = c->cov == CKR_COV_FULL ? c->d * c->d : c->d;
        FAILIF(!same_on_team(comm, g2.covs, (int)(c->k * cl * sizeof(double))) ||
                   !same_on_team(comm, &s2.lower_bound, sizeof(double)),
               "gmm: ranks disagree");
    }
    ckr_gmm_free(&g1);
    ckr_gmm_free(&g2);
    ckr_rowsum_free(&rs);
    free(X);
    free(y);
    free(p1);
    free(p2);
    free(pl);
    return bad;
}

static void test_gmm_team(void **state)
{
    (void)state;
    const gmm_case cases[] = {
        { 1037, 5, 12, 64, CKR_COV_FULL },
        { 1037, 5, 12, 64, CKR_COV_DIAG },
        { 60, 3, 6, 32, CKR_COV_FULL },  /* fewer rows than ranks x block */
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad += on_teams(gmm_check, &cases[i]);
    assert_no_failures(bad);
}

/* ---- the NLEEP score ------------------------------------------------------ */

typedef struct nleep_case {
    const char *name;
    size_t n, d, block;
    int C;
    ckr_task_kind kind;
    double offset;
    int nan_last;   /* NaN in the last row: one rank sees it */
} nleep_case;

static const char *const nleep_specs[] = {
    "nleep", "nleep:cov=diag", "nleep:pca=0", "nleep:pca=3,ratio=2", "nleep:ratio=1,tol=1e-6",
    /* float32 dense E-step: the rows it rounds and the shift are
     * rank-independent (same bits with SkylakeX kernels; 1e-5 below) */
    "nleep:precision=mixed", "nleep:pca=0,precision=mixed",
    "nleep:ratio=1,tol=1e-6,precision=mixed",
};
#define NSPECS (sizeof nleep_specs / sizeof *nleep_specs)

static int n_compared;

static int nleep_check(MPI_Comm comm, const void *arg)
{
    const nleep_case *c = arg;
    int bad = 0;
    size_t C = (size_t)c->C;
    double *X = malloc(c->n * c->d * sizeof *X);
    int *y = malloc(c->n * sizeof *y);
    uint8_t *Y = c->kind == CKR_MULTILABEL ? malloc(c->n * C) : NULL;
    g_spread = 0.7; /* overlapping classes: scores far from 0 */
    make_data(c->n, c->d, c->C, 51, c->offset, X, y, Y);
    g_spread = 3.0;
    if (c->nan_last)
        X[(c->n - 1) * c->d + 1] = NAN;
    ckr_pair whole;
    memset(&whole, 0, sizeof whole);
    whole.ckpt = "ck";
    whole.task = c->name;
    whole.kind = c->kind;
    whole.num_classes = c->C;
    whole.train_features = (ckr_matrix){ c->n, c->d, X };
    whole.train.n = c->n;
    whole.train.y = Y ? NULL : y;
    whole.train.Y = Y;
    team_view v = view(comm, c->n, c->block);
    ckr_team team = { .comm = comm, .size = v.P, .rank = v.r, .row0 = v.row0, .n_total = c->n };
    ckr_pair local = whole;
    local.train_features = (ckr_matrix){ v.rows, c->d, v.rows ? X + v.row0 * c->d : NULL };
    local.train.n = v.rows;
    local.train.y = Y || !v.rows ? NULL : y + v.row0;
    local.train.Y = Y && v.rows ? Y + v.row0 * C : NULL;
    for (size_t k = 0; k < NSPECS; k++) {
        ckr_spec s;
        if (ckr_spec_parse(nleep_specs[k], &s, NULL) || !s.method->score_team) {
            FAILIF(1, "%s: no team entry point", nleep_specs[k]);
            continue;
        }
        ckr_result one, tr;
        memset(&one, 0, sizeof one);
        memset(&tr, 0, sizeof tr);
        ckr_rng rng;
        ckr_rng_seed(&rng, 7);
        s.method->score(&whole, &s.params, &rng, &one);
        ckr_rng_seed(&rng, 7);
        int rc = s.method->score_team(&local, &team, &s.params, &rng, &tr);
        struct {
            int rc;
            double score;
            char status[32], message[256], info[256];
        } vv;
        memset(&vv, 0, sizeof vv);
        vv.rc = rc;
        vv.score = tr.score;
        memcpy(vv.status, tr.status, sizeof vv.status);
        memcpy(vv.message, tr.message, sizeof vv.message);
        memcpy(vv.info, tr.info, sizeof vv.info);
        FAILIF(!same_on_team(comm, &vv, (int)sizeof vv), "%s %s P=%d: ranks disagree", c->name,
               nleep_specs[k], v.P);
        if (strcmp(one.status, tr.status) || strcmp(one.message, tr.message)) {
            FAILIF(1, "%s %s P=%d: '%s' '%s' vs single '%s' '%s'", c->name, nleep_specs[k], v.P,
                   tr.status, tr.message, one.status, one.message);
            continue;
        }
        if (strcmp(one.status, "ok") != 0) {
            FAILIF(rc == 0 || !isnan(tr.score), "%s %s: failed with rc %d", c->name,
                   nleep_specs[k], rc);
            continue;
        }
        n_compared++;
        const char *it1 = strstr(one.info, " iters="), *it2 = strstr(tr.info, " iters=");
        FAILIF(!it1 || !it2 || atoi(it1 + 7) != atoi(it2 + 7), "%s %s P=%d: '%s' vs '%s'",
               c->name, nleep_specs[k], v.P, tr.info, one.info);
        /* mixed: a row's float32 sgemm bits may depend on the block it sits
         * in (Haswell kernels; SkylakeX's do not): then the team agrees with
         * one rank to the float32 rounding only, observed <= 4e-7 */
        double tol = strstr(nleep_specs[k], "mixed") ? 1e-5 : 1e-10;
        FAILIF(rc != 0 || rel(tr.score, one.score) > tol ||
                   (v.P == 1 && memcmp(&tr.score, &one.score, sizeof tr.score)),
               "%s %s P=%d: %.17g vs single %.17g (rel %.3g) '%s' / '%s'", c->name,
               nleep_specs[k], v.P, tr.score, one.score, rel(tr.score, one.score), tr.info,
               one.info);
        if (getenv("CKR_TEAM_VERBOSE") && v.r == 0)
            printf("    %-6s %-24s P=%d rel %.2e  %s\n", c->name, nleep_specs[k], v.P,
                   rel(tr.score, one.score), tr.info);
    }
    free(X);
    free(y);
    free(Y);
    return bad;
}

static void test_nleep_team(void **state)
{
    (void)state;
    const nleep_case cases[] = {
        { "n203", 203, 12, 8, 4, CKR_MULTICLASS, 3.0, 0 },   /* N not divisible by P */
        { "n40", 40, 6, 16, 3, CKR_MULTICLASS, -1.0, 0 },    /* fewer rows than ranks x block */
        { "n9", 9, 4, 4, 3, CKR_MULTICLASS, 0.0, 0 },        /* K capped at N */
        { "n1100", 1100, 16, 512, 5, CKR_MULTICLASS, 0.5, 0 },
        { "ml", 157, 8, 8, 4, CKR_MULTILABEL, 1.0, 0 },
    };
    int bad = 0;
    n_compared = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        bad += on_teams(nleep_check, &cases[i]);
    assert_no_failures(bad);
    /* every spec gave an ok score on every case (2 teams) */
    assert_int_equal(n_compared, 2 * 5 * (int)NSPECS);
}

static void test_nleep_team_failures(void **state)
{
    (void)state;
    const nleep_case cases[] = {
        { "nan", 41, 5, 4, 3, CKR_MULTICLASS, 0.0, 1 },
    };
    assert_no_failures(on_teams(nleep_check, &cases[0]));
}

/* The stop flag raised on the last rank only: every rank of the team leaves
 * the k-means or EM loop and returns CKR_EINTR. */
static int stop_check(MPI_Comm comm, const void *arg)
{
    (void)arg;
    size_t n = 300, d = 3, k = 6;
    int bad = 0, P, r;
    MPI_Comm_size(comm, &P);
    MPI_Comm_rank(comm, &r);
    double *X = malloc(n * d * sizeof *X), *post = malloc(n * k * sizeof *post);
    int *y = malloc(n * sizeof *y);
    make_data(n, d, 3, 61, 0.0, X, y, NULL);
    team_view v = view(comm, n, 32);
    ckr_rowsum rs;
    ckr_rowsum_init(&rs, comm, v.row0, v.rows, n, NULL);
    ckr_gmm g;
    ckr_gmm_init(&g, k, d, CKR_COV_FULL, 1e-6, NULL);
    ckr_gmm_opts o = ckr_gmm_default_opts();
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    if (r == P - 1)
        ckr_stop_raise();
    ckr_err err = { 0, "" };
    int rc = ckr_gmm_team_fit(&g, &rs, v.rows ? X + v.row0 * d : NULL, &o, &rng, post, NULL, &err);
    ckr_stop_clear();
    FAILIF(rc != CKR_EINTR, "stop on rank %d of %d: rc %d (%s)", P - 1, P, rc, err.msg);
    ckr_gmm_free(&g);
    ckr_rowsum_free(&rs);
    free(X);
    free(y);
    free(post);
    return bad;
}

static void test_stop_flag(void **state)
{
    (void)state;
    assert_no_failures(on_teams(stop_check, NULL));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_size(MPI_COMM_WORLD, &nranks);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pca_team),
        cmocka_unit_test(test_kmeans_team),
        cmocka_unit_test(test_kmeans_team_bits),
        cmocka_unit_test(test_gmm_team),
        cmocka_unit_test(test_nleep_team),
        cmocka_unit_test(test_nleep_team_failures),
        cmocka_unit_test(test_stop_flag),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return rc;
}
