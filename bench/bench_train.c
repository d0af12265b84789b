/* bench_train.c -- one training epoch of the linear probe and of the
 * fine-tuning network against scikit-learn, one core.
 *
 * Generates a seeded multiclass data set (default N = 20000, D = 2048,
 * C = 100; Gaussian features with a class-dependent shift), writes it raw to
 * a temporary file and times, on standardised features, one epoch of
 *   linear    softmax regression, mini-batch SGD (batch 512, lr 0.01,
 *             momentum 0.9): ckptrank's trainer (src/train) vs scikit-learn
 *             SGDClassifier(loss="log_loss", max_iter=1) (one-vs-rest,
 *             per-sample SGD: the same epoch of data, another algorithm);
 *   finetune  D -> 256 ReLU -> C softmax, SGD batch 512, lr 0.01, momentum 0.9:
 *             ckptrank's trainer vs MLPClassifier(hidden_layer_sizes=(256,),
 *             solver="sgd", max_iter=1) (the same algorithm);
 * then the whole `linear:epochs=1` and `finetune:epochs=1` methods (split,
 * standardisation, epoch, evaluation on the 20% hold-out) for reference.
 * bench/ref_train_bench.py runs the scikit-learn side on the same file with
 * OPENBLAS_NUM_THREADS=1 (training time only, scaling excluded on both
 * sides; each time the best of BENCH_TRAIN_REPEAT = 2 runs: the first run of
 * a process pays page faults, and the machine may be shared).  Printed: both
 * times, the ratio sklearn / ckptrank, the training accuracy after the epoch
 * on both sides (a sanity check, not a comparison of algorithms) and the
 * FLOPs ckptrank counted.
 *
 * Run from the repository root (bench/run.sh does). Environment:
 *   BENCH_TRAIN_N, BENCH_TRAIN_D, BENCH_TRAIN_C, BENCH_TRAIN_REPEAT.
 * Exit status 0, or 1 if something failed to run (no timing threshold). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "methods/method.h"
#include "train/batcher.h"
#include "train/classifier.h"
#include "util/flops.h"
#include "util/rng.h"

#define HIDDEN 256
#define BATCH 512

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    long x = v ? strtol(v, NULL, 10) : 0;
    return x > 0 ? (size_t)x : def;
}

typedef struct timing {
    double sec, acc, gflop;
} timing;

/* One epoch of the trainer on the standardised view; accuracy on it after. */
static int epoch(const ckr_ds *ds, int L, size_t C, int repeat, timing *t)
{
    size_t dim[3] = { ds->D, L == 1 ? C : HIDDEN, C };
    ckr_err err = { 0, "" };
    t->sec = INFINITY;
    for (int k = 0; k < repeat; k++) {
        ckr_clf clf;
        ckr_rng rng;
        ckr_rng_seed(&rng, 7);
        if (ckr_clf_create(&clf, L, dim, CKR_MULTICLASS, 0.0, BATCH, &err))
            goto fail;
        if (L > 1)
            ckr_mlp_init(&clf.net, clf.theta, &rng, 1);
        ckr_sgd_opts o = { .lr = 0.01, .momentum = 0.9, .batch = BATCH,
                           .steps = ckr_steps_per_epoch(ds->n, BATCH),
                           .sched = CKR_LR_CONSTANT };
        ckr_sgd_stats st;
        ckr_flops_reset();
        double t0 = ckr_now();
        int rc = ckr_clf_train_sgd(&clf, ds, &o, &rng, &st, &err);
        t->sec = fmin(t->sec, ckr_now() - t0);
        t->gflop = ckr_flops_get() * 1e-9;
        ckr_clf_eval ev;
        if (rc || ckr_clf_evaluate(&clf, ds, &ev, &err)) {
            ckr_clf_destroy(&clf);
            goto fail;
        }
        t->acc = ev.metric;
        ckr_clf_destroy(&clf);
    }
    return 0;
fail:
    fprintf(stderr, "bench_train: %s\n", err.msg);
    return 1;
}

static int method(const char *spec, const ckr_pair *pair, timing *t)
{
    ckr_spec s;
    ckr_err err = { 0, "" };
    if (ckr_spec_parse(spec, &s, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        return 1;
    }
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    ckr_result r;
    memset(&r, 0, sizeof r);
    ckr_flops_reset();
    double t0 = ckr_now();
    int rc = s.method->score(pair, &s.params, &rng, &r);
    t->sec = ckr_now() - t0;
    t->gflop = ckr_flops_get() * 1e-9;
    t->acc = r.score;
    if (rc)
        fprintf(stderr, "bench_train: %s failed: %s %s\n", spec, r.status, r.message);
    else
        fprintf(stderr, "bench_train: %-18s %.2f s (%s)\n", spec, t->sec, r.info);
    return rc != 0;
}

/* Run the scikit-learn side; fills ref[0] (linear) and ref[1] (finetune). */
static int run_reference(const char *path, size_t N, size_t D, int C, int repeat, timing *ref)
{
    char cmd[512], line[256], name[32];
    snprintf(cmd, sizeof cmd,
             "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 "
             "bench/ref_train_bench.py %s %zu %zu %d --repeat %d --hidden %d --batch %d",
             path, N, D, C, repeat, HIDDEN, BATCH);
    FILE *py = popen(cmd, "r");
    int got = 0;
    if (!py)
        return 1;
    while (fgets(line, sizeof line, py)) {
        timing t;
        if (sscanf(line, "%31s %lf %lf", name, &t.sec, &t.acc) != 3)
            continue;
        int k = strcmp(name, "linear") == 0 ? 0 : strcmp(name, "finetune") == 0 ? 1 : -1;
        if (k >= 0) {
            ref[k] = t;
            got |= 1 << k;
        }
    }
    if (pclose(py) != 0 || got != 3) {
        fprintf(stderr, "bench_train: the scikit-learn reference did not run (%s)\n", cmd);
        return 1;
    }
    return 0;
}

static void make_data(double *F, int *y, int32_t *y32, size_t N, size_t D, int C)
{
    ckr_rng rng;
    ckr_rng_seed(&rng, 20210622);
    for (size_t i = 0; i < N; i++) {
        y[i] = (int)ckr_rng_below(&rng, (uint64_t)C);
        y32[i] = y[i];
        for (size_t j = 0; j < D; j++)
            F[i * D + j] = ckr_rng_normal(&rng) + ((int)(j % (size_t)C) == y[i] ? 0.5 : 0.0);
    }
}

int main(void)
{
    size_t N = env_size("BENCH_TRAIN_N", 20000), D = env_size("BENCH_TRAIN_D", 2048);
    int C = (int)env_size("BENCH_TRAIN_C", 100), repeat = (int)env_size("BENCH_TRAIN_REPEAT", 2);
    openblas_set_num_threads(1);
    int status = 0;
    double *F = malloc(N * D * sizeof *F), *mu = malloc(D * sizeof *mu);
    double *isd = malloc(D * sizeof *isd);
    int *y = malloc(N * sizeof *y);
    int32_t *y32 = malloc(N * sizeof *y32);
    char path[256] = "";
    FILE *fp = NULL;
    ckr_err err = { 0, "" };
    if (!F || !y || !y32 || !mu || !isd) {
        fprintf(stderr, "bench_train: out of memory for %zu x %zu\n", N, D);
        status = 1;
        goto cleanup;
    }
    make_data(F, y, y32, N, D, C);
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/bench_train.XXXXXX", tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || !(fp = fdopen(fd, "wb")) || fwrite(F, sizeof *F, N * D, fp) != N * D ||
        fwrite(y32, sizeof *y32, N, fp) != N || fclose(fp) != 0) {
        fprintf(stderr, "bench_train: cannot write %s\n", path);
        status = 1;
        goto cleanup;
    }
    ckr_ds ds = { .X = F, .D = D, .n = N, .kind = CKR_MULTICLASS, .C = C, .y = y };
    if (ckr_ds_moments(&ds, mu, isd, &err)) {
        fprintf(stderr, "bench_train: %s\n", err.msg);
        status = 1;
        goto cleanup;
    }
    ds.mu = mu;
    ds.isd = isd;
    timing ours[2], ref[2], full[2];
    memset(ours, 0, sizeof ours);
    memset(ref, 0, sizeof ref);
    memset(full, 0, sizeof full);
    status |= epoch(&ds, 1, (size_t)C, repeat, &ours[0]);
    status |= epoch(&ds, 2, (size_t)C, repeat, &ours[1]);
    ckr_pair pair;
    memset(&pair, 0, sizeof pair);
    pair.ckpt = pair.task = "bench";
    pair.kind = CKR_MULTICLASS;
    pair.num_classes = C;
    pair.train = (ckr_labels){ N, y, NULL };
    pair.train_features = (ckr_matrix){ N, D, F };
    status |= method("linear:epochs=1", &pair, &full[0]);
    status |= method("finetune:epochs=1", &pair, &full[1]);
    status |= run_reference(path, N, D, C, repeat, ref);
    printf("bench_train: N=%zu D=%zu C=%d hidden=%d batch=%d, one epoch, one core, best of %d "
           "(OpenBLAS %s, core %s)\n", N, D, C, HIDDEN, BATCH, repeat, openblas_get_config(),
           openblas_get_corename());
    printf("%-10s %12s %11s %9s %13s %12s %9s %10s\n", "epoch", "ckptrank_s", "sklearn_s",
           "ratio", "ckptrank_acc", "sklearn_acc", "GFLOP", "GFLOP/s");
    const char *names[2] = { "linear", "finetune" };
    const char *what[2] = { "SGDClassifier(log_loss), one-vs-rest per-sample SGD",
                            "MLPClassifier(sgd), same algorithm" };
    for (int k = 0; k < 2; k++)
        printf("%-10s %12.3f %11.3f %8.2fx %13.4f %12.4f %9.1f %10.2f   vs %s\n", names[k],
               ours[k].sec, ref[k].sec, ref[k].sec / ours[k].sec, ours[k].acc, ref[k].acc,
               ours[k].gflop, ours[k].gflop / ours[k].sec, what[k]);
    printf("whole methods (split, standardisation, one epoch, hold-out evaluation):\n");
    for (int k = 0; k < 2; k++)
        printf("  %s:epochs=1  %.3f s  %.1f GFLOP  hold-out accuracy %.4f\n", names[k],
               full[k].sec, full[k].gflop, full[k].acc);
cleanup:
    if (path[0])
        remove(path);
    free(F);
    free(mu);
    free(isd);
    free(y);
    free(y32);
    return status;
}
