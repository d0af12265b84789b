/* bench_nleep.c -- NLEEP in ckptrank vs scikit-learn, one core each.
 *
 * For each configuration: generate a seeded, class-structured feature matrix
 * (D = 512, C classes of 3 sub-clusters each, a decaying feature spectrum so
 * that PCA at 80% variance keeps a realistic d, rotated by a few Householder
 * reflections), time ckptrank's `nleep` score function (the whole method:
 * PCA + k-means + EM + LEEP), then run bench/ref_nleep_sklearn.py on the same
 * data: sklearn PCA + KMeans + GaussianMixture (started from the k-means labels
 * ckptrank used, so both run the identical EM trajectory) + LEEP, timing only
 * the computation.  Prints both times, the ratio, both scores, a phase
 * breakdown and the FLOP rate of EM against a plain GEMM of the E-step shape.
 *
 * Environment: CKR_BENCH_QUICK=1 runs the first configuration only;
 * CKR_BENCH_REPS (default 5) ckptrank repetitions (the minimum is reported);
 * CKR_SRC_DIR (default ".") locates bench/ref_nleep_sklearn.py;
 * CKR_BENCH_CONFIG=i runs configuration i only (0: N=5000 D=512 K=100,
 * 1: N=20000 D=256 K=50); CKR_BENCH_NO_SKLEARN=1 skips the reference (for
 * profiling; the run then reports the reference as failed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "linalg/blas.h"
#include "linalg/gmm.h"
#include "linalg/kmeans.h"
#include "linalg/pca.h"
#include "methods/leep_core.h"
#include "methods/method.h"
#include "util/flops.h"
#include "util/rng.h"

extern const ckr_method ckr_method_nleep;
extern char *openblas_get_corename(void);

typedef struct bench_cfg {
    size_t n, D;
    int C;
    int max_iter; /* EM iterations cap, the same on both sides */
    int plain;    /* also time sklearn's own GaussianMixture.fit (its k-means) */
} bench_cfg;

typedef struct phase_times {
    double pca, kmeans, em, approx, leep, flops_em, cand, mixd;
    int iters, kmeans_iters, full_passes, dense_passes;
    size_t d;
} phase_times;

/* ---- data ----------------------------------------------------------------- */

static void make_data(const bench_cfg *c, uint64_t seed, double *X, int *y)
{
    const int sub = 3;
    size_t n = c->n, D = c->D, M = (size_t)c->C * (size_t)sub;
    ckr_rng r;
    ckr_rng_seed(&r, seed);
    double *means = malloc(sizeof(double) * M * D), *v = malloc(sizeof(double) * D);
    double *proj = malloc(sizeof(double) * n);
    for (size_t t = 0; t < M * D; t++)
        means[t] = 0.7 * ckr_rng_normal(&r);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int)ckr_rng_below(&r, (uint64_t)c->C);
        size_t m = (size_t)y[i] * (size_t)sub + (size_t)ckr_rng_below(&r, (uint64_t)sub);
        for (size_t j = 0; j < D; j++)
            X[i * D + j] = (means[m * D + j] + ckr_rng_normal(&r)) * pow(1.0 + (double)j, -0.6);
    }
    for (int h = 0; h < 3; h++) { /* X -= 2 (X v) v^T: rotate away from the axes */
        double s = 0.0;
        for (size_t j = 0; j < D; j++) {
            v[j] = ckr_rng_normal(&r);
            s += v[j] * v[j];
        }
        for (size_t j = 0; j < D; j++)
            v[j] /= sqrt(s);
        for (size_t i = 0; i < n; i++) {
            double p = 0.0;
            for (size_t j = 0; j < D; j++)
                p += X[i * D + j] * v[j];
            proj[i] = p;
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < D; j++)
                X[i * D + j] -= 2.0 * proj[i] * v[j];
    }
    free(means);
    free(v);
    free(proj);
}

static int write_file(const char *path, const void *p, size_t bytes)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, bytes, f);
    return fclose(f) == 0 && w == bytes ? 0 : -1;
}

/* ---- ckptrank side -------------------------------------------------------- */

static ckr_params method_params(int max_iter, int mixed)
{
    char text[80];
    snprintf(text, sizeof text, "nleep:iters=%d,precision=%s", max_iter,
             mixed ? "mixed" : "double");
    ckr_spec s;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(text, &s, &err) != 0) {
        fprintf(stderr, "bench_nleep: %s\n", err.msg);
        exit(1);
    }
    return s.params;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The whole method, reps times with the same seed; returns the fastest wall
 * time, and in *cpu the smallest process CPU time. */
static double time_method(const ckr_pair *pair, int max_iter, int mixed, int reps,
                          uint64_t seed, ckr_result *res, double *gflop, double *cpu)
{
    ckr_params p = method_params(max_iter, mixed);
    double best = INFINITY;
    *cpu = INFINITY;
    for (int r = 0; r < reps; r++) {
        ckr_rng rng;
        ckr_rng_seed(&rng, seed);
        memset(res, 0, sizeof *res);
        ckr_flops_reset();
        double c0 = cpu_now(), t0 = ckr_now();
        ckr_method_nleep.score(pair, &p, &rng, res);
        double t = ckr_now() - t0, c = cpu_now() - c0;
        *gflop = ckr_flops_get() / 1e9;
        best = t < best ? t : best;
        *cpu = c < *cpu ? c : *cpu;
    }
    return best;
}

/* The same steps one by one for a breakdown (EM in double or mixed precision);
 * writes the k-means labels when labels_path is not NULL. */
static int time_phases(const ckr_pair *pair, int max_iter, int mixed, uint64_t seed,
                       const char *labels_path, phase_times *ph)
{
    size_t n = pair->train_features.rows, D = pair->train_features.cols;
    size_t K = (size_t)(5 * pair->num_classes);
    ckr_err err;
    ckr_pca_result pr;
    double t0 = ckr_now();
    if (ckr_pca_fit_transform(pair->train_features.data, n, D, 0.8, &pr, &err) != 0)
        return fprintf(stderr, "PCA: %s\n", err.msg), -1;
    ph->pca = ckr_now() - t0;
    ph->d = pr.d;
    int *lab = malloc(sizeof(int) * n);
    double *cent = malloc(sizeof(double) * K * pr.d), *th = malloc(sizeof(double) * n * K);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    ckr_kmeans_stats ks;
    t0 = ckr_now();
    int rc = ckr_kmeans_fit(pr.scores, n, pr.d, K, 300, 1e-4, &rng, cent, lab, &ks, &err);
    ph->kmeans = ckr_now() - t0;
    ph->kmeans_iters = ks.iters;
    ckr_gmm g;
    ckr_gmm_stats st;
    if (rc == 0)
        rc = ckr_gmm_init(&g, K, pr.d, CKR_COV_FULL, 1e-6, &err);
    if (rc == 0) {
        ckr_gmm_opts o = ckr_gmm_default_opts();
        o.max_iter = max_iter;
        o.mixed = mixed;
        rc = ckr_gmm_fit_from_labels(&g, pr.scores, n, lab, &o, th, &st, &err);
        ph->em = st.sec_em;
        ph->approx = st.sec_approx;
        ph->flops_em = st.flops_em;
        ph->iters = st.iters;
        ph->cand = st.cand_per_point;
        ph->full_passes = st.full_passes;
        ph->dense_passes = st.dense_passes;
        ph->mixd = st.mixed_double;
        ckr_gmm_free(&g);
    }
    if (rc == 0) {
        double sc;
        t0 = ckr_now();
        rc = ckr_leep_from_probs(th, n, K, pair->kind, &pair->train, pair->num_classes, &sc,
                                 NULL, &err);
        ph->leep = ckr_now() - t0;
    }
    if (rc != 0)
        fprintf(stderr, "phases: %s\n", err.msg);
    else if (labels_path)
        rc = write_file(labels_path, lab, sizeof(int) * n);
    free(lab);
    free(cent);
    free(th);
    ckr_pca_result_free(&pr);
    return rc;
}

/* Best-of-3 GFLOP/s of a row-major GEMM m x n x k (B transposed when tb) in
 * double and in single. */
static void gemm_rates(size_t m, size_t n, size_t k, int tb, double *dgf, double *sgf)
{
    double *A = malloc(sizeof(double) * m * k), *B = malloc(sizeof(double) * n * k);
    double *Cd = malloc(sizeof(double) * m * n);
    float *As = malloc(sizeof(float) * m * k), *Bs = malloc(sizeof(float) * n * k);
    float *Cs = malloc(sizeof(float) * m * n);
    for (size_t i = 0; i < m * k; i++)
        As[i] = (float)(A[i] = 1.0 / (double)(1 + i % 97));
    for (size_t i = 0; i < n * k; i++)
        Bs[i] = (float)(B[i] = 1.0 / (double)(1 + i % 89));
    double bd = INFINITY, bs = INFINITY;
    for (int r = 0; r < 3; r++) {
        double t0 = ckr_now();
        ckr_dgemm(0, tb, m, n, k, 1.0, A, k, B, tb ? k : n, 0.0, Cd, n);
        double t1 = ckr_now();
        ckr_sgemm(0, tb, m, n, k, 1.0f, As, k, Bs, tb ? k : n, 0.0f, Cs, n);
        double t2 = ckr_now();
        bd = fmin(bd, t1 - t0);
        bs = fmin(bs, t2 - t1);
    }
    *dgf = 2.0 * m * n * k / bd / 1e9;
    *sgf = 2.0 * m * n * k / bs / 1e9;
    free(A);
    free(B);
    free(Cd);
    free(As);
    free(Bs);
    free(Cs);
}

/* ---- sklearn side --------------------------------------------------------- */

static double kv(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[512];
    double v = NAN;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            v = strtod(line + kl + 1, NULL);
            break;
        }
    fclose(f);
    return v;
}

/* ---- one configuration ----------------------------------------------------- */

static int run_config(const bench_cfg *c, const char *dir, int reps)
{
    size_t n = c->n, D = c->D, K = (size_t)(5 * c->C);
    double *X = malloc(sizeof(double) * n * D);
    int *y = malloc(sizeof(int) * n);
    if (!X || !y)
        return -1;
    make_data(c, 2021 + n, X, y);
    char xp[1024], yp[1024], lp[1024], op[1024], cmd[8192];
    snprintf(xp, sizeof xp, "%s/X.bin", dir);
    snprintf(yp, sizeof yp, "%s/y.bin", dir);
    snprintf(lp, sizeof lp, "%s/labels.bin", dir);
    snprintf(op, sizeof op, "%s/sklearn.txt", dir);
    if (write_file(xp, X, sizeof(double) * n * D) || write_file(yp, y, sizeof(int) * n))
        return fprintf(stderr, "cannot write the data to %s\n", dir), -1;

    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.ckpt = "bench";
    pair.task = "bench";
    pair.kind = CKR_MULTICLASS;
    pair.num_classes = c->C;
    pair.train.n = n;
    pair.train.y = y;
    pair.train_features.rows = n;
    pair.train_features.cols = D;
    pair.train_features.data = X;

    const uint64_t seed = 7;
    /* [0]: precision=double, [1]: precision=mixed (float32 dense E-step GEMM) */
    ckr_result res[2];
    double gflop[2] = { 0.0, 0.0 }, cpu_ckr[2], t_ckr[2];
    phase_times ph[2];
    for (int mx = 0; mx < 2; mx++) {
        t_ckr[mx] = time_method(&pair, c->max_iter, mx, reps, seed, &res[mx], &gflop[mx],
                                &cpu_ckr[mx]);
        memset(&ph[mx], 0, sizeof ph[mx]);
        if (time_phases(&pair, c->max_iter, mx, seed, mx ? NULL : lp, &ph[mx]) != 0)
            return -1;
    }
    size_t d = ph[0].d, m = d * (d + 1) / 2 + d + 1;
    double dgf, sgf, dgf_e, sgf_e;
    gemm_rates(n, K, m, 1, &dgf, &sgf);
    gemm_rates(n, K * d, d + 1, 0, &dgf_e, &sgf_e);

    const char *src = getenv("CKR_SRC_DIR");
    snprintf(cmd, sizeof cmd,
             "OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "
             "%s/bench/ref_nleep_sklearn.py --X %s --y %s --labels %s --n %zu --D %zu --C %d "
             "--iters %d %s > %s",
             src ? src : ".", xp, yp, lp, n, D, c->C, c->max_iter, c->plain ? "--plain" : "", op);
    int py = getenv("CKR_BENCH_NO_SKLEARN") ? -1 : system(cmd);

    printf("\n== N=%zu D=%zu C=%d K=%zu cov=full max_iter=%d: PCA(0.8) keeps d=%zu ==\n", n, D,
           c->C, K, c->max_iter, d);
    static const char *const prec[2] = { "double", "mixed " };
    for (int mx = 0; mx < 2; mx++) {
        const phase_times *p = &ph[mx];
        char kept[64] = "";
        if (mx)
            snprintf(kept, sizeof kept, "; components kept in double %.0f%%", 100.0 * p->mixd);
        printf("ckptrank %s %8.3f s  (fastest of %d; CPU %.3f s)  score %.10f  status %s\n",
               prec[mx], t_ckr[mx], reps, cpu_ckr[mx], res[mx].score, res[mx].status);
        printf("                 %s\n", res[mx].info);
        printf("  phases         PCA %.3f s | k-means %.3f s (%d Lloyd it) | EM %.3f s (%d it, "
               "approx GEMMs %.3f s, %.2f exact comps/point; E-steps: %d full, %d dense, %d "
               "tracked%s) | LEEP %.3f s\n",
               p->pca, p->kmeans, p->kmeans_iters, p->em, p->iters, p->approx, p->cand,
               p->full_passes, p->dense_passes, p->iters + 1 - p->full_passes - p->dense_passes,
               kept, p->leep);
        printf("  FLOPs          %.2f GFLOP counted in total; EM %.2f GFLOP at %.1f GFLOP/s "
               "(sklearn's EM algorithm: ~%.1f GFLOP)\n",
               gflop[mx], p->flops_em / 1e9, p->flops_em / 1e9 / p->em,
               (2.0 * p->iters + 3.0) * 2.0 * n * K * d * d / 1e9);
    }
    printf("  GEMM of the M-step shape %zux%zux%zu: sgemm %.1f GFLOP/s, dgemm %.1f GFLOP/s "
           "(EM reaches %.0f%% (double), %.0f%% (mixed) of the sgemm rate)\n",
           n, K, m, sgf, dgf, 100.0 * ph[0].flops_em / 1e9 / ph[0].em / sgf,
           100.0 * ph[1].flops_em / 1e9 / ph[1].em / sgf);
    printf("  GEMM of the dense E-step shape %zux%zux%zu: sgemm %.1f GFLOP/s, dgemm %.1f "
           "GFLOP/s\n",
           n, K * d, d + 1, sgf_e, dgf_e);
    if (py != 0) {
        printf("sklearn          reference script failed (exit %d); see %s\n", py, op);
        free(X);
        free(y);
        return -1;
    }
    double sk = kv(op, "t_total");
    printf("sklearn          %8.3f s  score %.10f  (PCA %.3f s | KMeans %.3f s | EM from the "
           "same labels %.3f s, %d it; one E-step %.3f s, one M-step %.3f s)\n",
           sk, kv(op, "score"), kv(op, "t_pca"), kv(op, "t_kmeans"), kv(op, "t_em"),
           (int)kv(op, "iters"), kv(op, "t_estep"), kv(op, "t_mstep"));
    if (c->plain)
        printf("sklearn (own init, random_state=0): %.3f s, %d EM it, score %.10f\n",
               kv(op, "t_plain"), (int)kv(op, "plain_iters"), kv(op, "plain_score"));
    double skc = kv(op, "cpu_total");
    for (int mx = 0; mx < 2; mx++)
        printf("SPEEDUP %s   %.1fx wall (sklearn %.3f s / ckptrank %.3f s), %.1fx CPU time "
               "(%.3f s / %.3f s); target >= 10x, goal 20x; score difference %.2e\n",
               prec[mx], sk / t_ckr[mx], sk, t_ckr[mx], skc / cpu_ckr[mx], skc, cpu_ckr[mx],
               fabs(kv(op, "score") - res[mx].score));
    fflush(stdout);
    free(X);
    free(y);
    return 0;
}

/* OpenBLAS 0.3.21 does not recognise every AVX-512 CPU and then falls back to
 * its generic "Prescott" (SSE3) kernels, several times slower, for both
 * ckptrank and numpy. When that happens, run the whole benchmark once more
 * with OPENBLAS_CORETYPE=SkylakeX (both sides again share one BLAS). */
static int rerun_with_avx512_kernels(void)
{
    if (getenv("OPENBLAS_CORETYPE") || getenv("CKR_BENCH_NO_RERUN"))
        return 0;
    if (strcmp(openblas_get_corename(), "Prescott") != 0)
        return 0;
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f"))
        return 0;
    char self[1024];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        return 0;
    self[len] = '\0';
    printf("\n-- OpenBLAS chose its generic Prescott kernels on this AVX-512 CPU; again with "
           "OPENBLAS_CORETYPE=SkylakeX --\n");
    fflush(stdout);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "OPENBLAS_CORETYPE=SkylakeX '%s'", self);
    return system(cmd) == 0 ? 0 : 1;
}

int main(void)
{
    const char *quick = getenv("CKR_BENCH_QUICK"), *r = getenv("CKR_BENCH_REPS");
    int reps = r ? atoi(r) : 5;
    if (reps < 1)
        reps = 1;
    const char *base = getenv("TMPDIR");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/bench_nleep.XXXXXX", base ? base : "/tmp");
    if (!mkdtemp(dir))
        return perror("mkdtemp"), 1;
    const char *thr = getenv("OPENBLAS_NUM_THREADS");
    printf("bench_nleep: NLEEP, ckptrank vs scikit-learn, one core (OpenBLAS core %s, "
           "OPENBLAS_NUM_THREADS=%s)\n",
           openblas_get_corename(), thr ? thr : "(unset)");
    /* the two sizes: N=5000 D=512 K=100 and N=20000 D=256 K=50 */
    bench_cfg cfgs[] = { { 5000, 512, 20, 100, 1 }, { 20000, 256, 10, 100, 0 } };
    size_t ncfg = quick && atoi(quick) ? 1 : sizeof cfgs / sizeof cfgs[0];
    const char *only = getenv("CKR_BENCH_CONFIG");
    int rc = 0;
    for (size_t i = 0; i < ncfg; i++)
        if (!only || atoi(only) == (int)i)
            rc |= run_config(&cfgs[i], dir, reps);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    rc |= rerun_with_avx512_kernels();
    return rc ? 1 : 0;
}
