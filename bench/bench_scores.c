/* bench_scores.c -- LogME and H-score of ckptrank against numpy, one core.
 *
 * Generates a seeded multiclass data set (default N = 20000, D = 2048,
 * C = 100; Gaussian features with a class-dependent shift), writes it raw to
 * a temporary file, times ckptrank's `logme` and `hscore` score functions
 * on it, then runs bench/ref_scores_bench.py (numpy, the same semantics) on
 * the same file with OPENBLAS_NUM_THREADS=1 and prints both times (numpy's
 * computation only, not its file load; each the best of BENCH_SCORES_REPEAT
 * = 2 runs, since the machine may be shared), the speed-up, both scores,
 * their relative difference and the FLOPs ckptrank counted (one run).
 *
 * Run from the repository root (bench/run.sh does). Options (environment):
 *   BENCH_SCORES_N, BENCH_SCORES_D, BENCH_SCORES_C   the shape;
 *   BENCH_SCORES_REPEAT      runs per timing (best kept), default 2;
 *   BENCH_SCORES_LITERAL=1   also time the public reference code's own
 *                            formulation (thuml truncated_svd LogME, TLlib
 *                            h_score: slower, adds about a minute).
 * Exit status: 0, or 1 if a score failed or ckptrank and numpy disagree by
 * more than 1e-6 relative (no timing threshold). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "methods/method.h"
#include "util/flops.h"
#include "util/rng.h"

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    long x = v ? strtol(v, NULL, 10) : 0;
    return x > 0 ? (size_t)x : def;
}

typedef struct timing {
    char name[32];
    double sec, score, gflop;
    int have;
} timing;

static int run_ours(const char *spec, const ckr_pair *pair, int repeat, timing *t)
{
    ckr_spec s;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(spec, &s, &err)) {
        fprintf(stderr, "bench_scores: %s\n", err.msg);
        return 1;
    }
    ckr_rng rng;
    ckr_result r;
    int rc = 0;
    t->sec = INFINITY;
    for (int k = 0; k < repeat && rc == 0; k++) {
        ckr_rng_seed(&rng, 1);
        memset(&r, 0, sizeof r);
        ckr_flops_reset();
        double t0 = ckr_now();
        rc = s.method->score(pair, &s.params, &rng, &r);
        t->sec = fmin(t->sec, ckr_now() - t0);
        t->gflop = ckr_flops_get() * 1e-9;
    }
    t->score = r.score;
    t->have = 1;
    snprintf(t->name, sizeof t->name, "%s", spec);
    if (rc) {
        fprintf(stderr, "bench_scores: %s failed: %s %s\n", spec, r.status, r.message);
        return 1;
    }
    fprintf(stderr, "bench_scores: %-8s %.2f s  (%s)\n", spec, t->sec, r.info);
    return 0;
}

int main(void)
{
    size_t N = env_size("BENCH_SCORES_N", 20000), D = env_size("BENCH_SCORES_D", 2048);
    int C = (int)env_size("BENCH_SCORES_C", 100);
    /* also time the public reference code's own formulation (thuml LogME,
     * TLlib h_score) unless BENCH_SCORES_LITERAL=0 */
    int literal = !getenv("BENCH_SCORES_LITERAL") || atoi(getenv("BENCH_SCORES_LITERAL"));
    int repeat = (int)env_size("BENCH_SCORES_REPEAT", 2);
    openblas_set_num_threads(1);
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);

    int status = 0;
    double *F = malloc(N * D * sizeof *F);
    int *y = malloc(N * sizeof *y);
    int32_t *y32 = malloc(N * sizeof *y32);
    char path[256] = "";
    FILE *fp = NULL;
    if (!F || !y || !y32) {
        fprintf(stderr, "bench_scores: out of memory for %zu x %zu\n", N, D);
        status = 1;
        goto cleanup;
    }
    ckr_rng rng;
    ckr_rng_seed(&rng, 20210622);
    for (size_t i = 0; i < N; i++) {
        y[i] = (int)ckr_rng_below(&rng, (uint64_t)C);
        y32[i] = y[i];
        for (size_t j = 0; j < D; j++)
            F[i * D + j] = ckr_rng_normal(&rng) + ((int)(j % (size_t)C) == y[i] ? 1.0 : 0.0);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bench_scores.XXXXXX", tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || !(fp = fdopen(fd, "wb")) || fwrite(F, sizeof *F, N * D, fp) != N * D ||
        fwrite(y32, sizeof *y32, N, fp) != N || fclose(fp) != 0) {
        fprintf(stderr, "bench_scores: cannot write %s\n", path);
        status = 1;
        goto cleanup;
    }

    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.ckpt = "bench";
    pair.task = "bench";
    pair.kind = CKR_MULTICLASS;
    pair.num_classes = C;
    pair.train.n = N;
    pair.train.y = y;
    pair.train_features = (ckr_matrix){ N, D, F };

    timing ours[2], ref[4];
    memset(ours, 0, sizeof ours);
    memset(ref, 0, sizeof ref);
    status |= run_ours("logme", &pair, repeat, &ours[0]);
    status |= run_ours("hscore", &pair, repeat, &ours[1]);

    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 bench/ref_scores_bench.py %s %zu %zu %d --repeat %d%s", path, N,
             D, C, repeat, literal ? " --literal" : "");
    FILE *py = popen(cmd, "r");
    int nref = 0;
    if (py) {
        char line[256];
        while (nref < 4 && fgets(line, sizeof line, py)) {
            if (sscanf(line, "%31s %lf %lf", ref[nref].name, &ref[nref].sec, &ref[nref].score) == 3) {
                ref[nref].have = 1;
                fprintf(stderr, "bench_scores: numpy %-14s %.2f s\n", ref[nref].name, ref[nref].sec);
                nref++;
            }
        }
        if (pclose(py) != 0)
            nref = 0;
    }
    if (nref < 2) {
        fprintf(stderr, "bench_scores: the numpy reference did not run (%s)\n", cmd);
        status = 1;
    }

    printf("bench_scores: N=%zu D=%zu C=%d, one core, best of %d (OpenBLAS %s, core %s)\n", N,
           D, C, repeat, openblas_get_config(), openblas_get_corename());
    printf("%-16s %12s %10s %9s %22s %22s %10s %9s\n", "method", "ckptrank_s", "numpy_s",
           "speedup", "ckptrank_score", "numpy_score", "rel_diff", "GFLOP");
    for (int m = 0; m < 2; m++) {
        for (int k = 0; k < nref; k++) {
            if (strncmp(ref[k].name, ours[m].name, strlen(ours[m].name)) != 0 ||
                (ref[k].name[strlen(ours[m].name)] != '\0' &&
                 ref[k].name[strlen(ours[m].name)] != '_'))
                continue;
            double rel = fabs(ours[m].score - ref[k].score) / fmax(1.0, fabs(ref[k].score));
            printf("%-16s %12.3f %10.3f %8.2fx %22.15g %22.15g %10.2e %9.1f\n", ref[k].name,
                   ours[m].sec, ref[k].sec, ref[k].sec / ours[m].sec, ours[m].score,
                   ref[k].score, rel, ours[m].gflop);
            if (!(rel <= 1e-6)) {
                fprintf(stderr, "bench_scores: %s disagrees with numpy (%.3g relative)\n",
                        ref[k].name, rel);
                status = 1;
            }
        }
    }
cleanup:
    if (path[0])
        remove(path);
    free(F);
    free(y);
    free(y32);
    return status;
}
