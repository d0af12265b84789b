/* bench_read.c -- the feature read rate against the raw read rate of the
 * same bytes, one process.
 *
 * Writes a synthetic zoo of one pair (ckr_synth_write; default N = 60000
 * rows of D = 512 float32 features, contiguous and uncompressed, as `ckptrank
 * synth` writes them), then times, each the best of BENCH_READ_REPEAT = 3
 * runs with the file in the page cache:
 *   - raw: pread(2) of the stored bytes of train_features and train_labels
 *     at their file offsets (H5Dget_offset), into one buffer: the ceiling;
 *   - pair: ckr_zoo_read_pair, what a worker does for every pair it scores
 *     (HDF5 through the MPI-IO driver, float32 -> double, labels, and the
 *     finiteness and label checks);
 *   - rows: ckr_team_read_rows of train_features on MPI_COMM_SELF, what a
 *     team member does for its rows (a collective hyperslab read, converted),
 *     into a buffer reused between runs;
 *   - touch: malloc, first touch and free of the N x D doubles a new pair
 *     needs (part of the pair read: each pair is a new allocation).
 * Prints MB/s of stored bytes and each rate as a fraction of the raw rate,
 * as text and as markdown rows ("@@ ", collected by bench/record.sh).
 * Options (environment): BENCH_READ_N, BENCH_READ_D, BENCH_READ_REPEAT,
 * BENCH_READ_DIR (default /tmp). Exit status 0, or 1 when a read fails. */
#include <fcntl.h>
#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pair.h"
#include "util/flops.h"
#include "zoo/teamread.h"
#include "zoo/zoo.h"

static size_t env_size(const char *name, size_t def)
{
    const char *v = getenv(name);
    long x = v ? strtol(v, NULL, 10) : 0;
    return x > 0 ? (size_t)x : def;
}

/* The file offset and stored size of a contiguous dataset; 0 on success. */
static int dataset_extent(hid_t f, const char *path, haddr_t *off, hsize_t *bytes)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        return 1;
    *off = H5Dget_offset(d);
    *bytes = H5Dget_storage_size(d);
    H5Dclose(d);
    return *off == HADDR_UNDEF || *bytes == 0;
}

typedef struct extent {
    haddr_t off;
    hsize_t bytes;
} extent;

static double time_raw(const char *path, const extent *ex, int n_ex, char *buf, int repeat)
{
    double best = INFINITY;
    for (int k = 0; k < repeat; k++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            return NAN;
        double t0 = ckr_now();
        size_t at = 0;
        for (int i = 0; i < n_ex; i++) {
            size_t done = 0;
            while (done < ex[i].bytes) {
                ssize_t r = pread(fd, buf + at + done, ex[i].bytes - done,
                                  (off_t)(ex[i].off + done));
                if (r <= 0) {
                    close(fd);
                    return NAN;
                }
                done += (size_t)r;
            }
            at += ex[i].bytes;
        }
        double t = ckr_now() - t0;
        close(fd);
        if (t < best)
            best = t;
    }
    return best;
}

/* malloc, first touch and free of n doubles: what filling a new pair costs
 * before any byte is read (glibc maps a fresh block for each) */
static double time_touch(size_t n, int repeat)
{
    double best = INFINITY;
    for (int k = 0; k < repeat; k++) {
        double t0 = ckr_now();
        double *b = malloc(n * sizeof *b);
        if (!b)
            return NAN;
        memset(b, 0x3f, n * sizeof *b);
        __asm__ volatile("" : : "r"(b) : "memory");
        free(b);
        double t = ckr_now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

static double time_pair(const char *path, const char *ckpt, const char *task, int repeat)
{
    double best = INFINITY;
    ckr_zoo *zoo = NULL;
    ckr_err err = { 0, "" };
    if (ckr_zoo_open(path, MPI_COMM_SELF, &zoo, &err)) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        return NAN;
    }
    for (int k = 0; k < repeat; k++) {
        ckr_pair p;
        double t0 = ckr_now();
        int rc = ckr_zoo_read_pair(zoo, ckpt, task, &p, &err);
        double t = ckr_now() - t0;
        if (rc) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            ckr_zoo_close(zoo);
            return NAN;
        }
        ckr_pair_free(&p);
        if (t < best)
            best = t;
    }
    ckr_zoo_close(zoo);
    return best;
}

static double time_rows(const char *path, const char *ckpt, const char *task, size_t n,
                        size_t d, int repeat)
{
    double best = INFINITY;
    ckr_team_file *f = NULL;
    ckr_err err = { 0, "" };
    double *out = malloc(n * d * sizeof *out);
    if (!out || ckr_team_file_open(path, MPI_COMM_SELF, &f, &err)) {
        fprintf(stderr, "bench_read: %s\n", out ? err.msg : "out of memory");
        free(out);
        return NAN;
    }
    for (int k = 0; k < repeat; k++) {
        double t0 = ckr_now();
        int rc = ckr_team_read_rows(f, ckpt, task, "train_features", 0, n, out, &err);
        double t = ckr_now() - t0;
        if (rc) {
            fprintf(stderr, "bench_read: %s\n", err.msg);
            best = NAN;
            break;
        }
        if (t < best)
            best = t;
    }
    ckr_team_file_close(f);
    free(out);
    return best;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int status = 1;
    char path[512];
    const char *dir = getenv("BENCH_READ_DIR") ? getenv("BENCH_READ_DIR") : "/tmp";
    snprintf(path, sizeof path, "%s/ckr-bench-read.%ld.h5", dir, (long)getpid());
    int repeat = (int)env_size("BENCH_READ_REPEAT", 3);
    ckr_synth_opts o;
    ckr_synth_defaults(&o);
    o.n_ckpts = 1;
    o.n_tasks = 1;
    o.n_classes = 10;
    o.n_train = env_size("BENCH_READ_N", 60000);
    o.n_val = 0;
    o.dim = env_size("BENCH_READ_D", 512);
    o.logits = 0;
    ckr_err err = { 0, "" };
    char *buf = NULL;
    ckr_zoo *zoo = NULL;
    if (ckr_synth_write(path, &o, &err)) {
        fprintf(stderr, "bench_read: %s\n", err.msg);
        goto cleanup;
    }
    /* the pair's names and shape */
    if (ckr_zoo_open(path, MPI_COMM_SELF, &zoo, &err) || ckr_zoo_scan(zoo, &err) ||
        ckr_zoo_num_pairs(zoo) != 1) {
        fprintf(stderr, "bench_read: %s\n", err.msg[0] ? err.msg : "not one pair");
        goto cleanup;
    }
    const ckr_pair_info *pi = ckr_zoo_pair(zoo, 0);
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
    snprintf(ckpt, sizeof ckpt, "%s", ckr_zoo_ckpt(zoo, pi->ckpt)->name);
    snprintf(task, sizeof task, "%s", ckr_zoo_task(zoo, pi->task)->name);
    size_t n = pi->shape.n, d = pi->shape.d;
    ckr_zoo_close(zoo);
    zoo = NULL;

    extent ex[2];
    char p1[600], p2[600];
    snprintf(p1, sizeof p1, "/checkpoints/%s/%s/train_features", ckpt, task);
    snprintf(p2, sizeof p2, "/tasks/%s/train_labels", task);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0 || dataset_extent(f, p1, &ex[0].off, &ex[0].bytes) ||
        dataset_extent(f, p2, &ex[1].off, &ex[1].bytes)) {
        fprintf(stderr, "bench_read: %s: %s or %s is not a contiguous dataset\n", path, p1, p2);
        if (f >= 0)
            H5Fclose(f);
        goto cleanup;
    }
    H5Fclose(f);
    size_t all = (size_t)(ex[0].bytes + ex[1].bytes);
    if (!(buf = malloc(all)))
        goto cleanup;

    double t_raw_all = time_raw(path, ex, 2, buf, repeat);
    double t_raw_feat = time_raw(path, ex, 1, buf, repeat);
    double t_pair = time_pair(path, ckpt, task, repeat);
    double t_rows = time_rows(path, ckpt, task, n, d, repeat);
    double t_touch = time_touch(n * d, repeat);
    if (isnan(t_touch) || isnan(t_raw_all) || isnan(t_raw_feat) || isnan(t_pair) || isnan(t_rows))
        goto cleanup;
    double mb_all = all / 1e6, mb_feat = ex[0].bytes / 1e6;
    printf("== feature read rate: one pair N=%zu D=%zu float32 (%.1f MB of features, "
           "%.1f MB with labels), page cache warm, best of %d\n", n, d, mb_feat, mb_all, repeat);
    printf("  raw pread, features+labels   %8.4f s  %8.0f MB/s\n", t_raw_all, mb_all / t_raw_all);
    printf("  ckr_zoo_read_pair (checked)  %8.4f s  %8.0f MB/s  ratio %.2f of raw\n", t_pair,
           mb_all / t_pair, t_raw_all / t_pair);
    printf("  of which: a new %.0f MB buffer of doubles (malloc, first touch) %.4f s\n",
           n * d * 8.0 / 1e6, t_touch);
    printf("  raw pread, features          %8.4f s  %8.0f MB/s\n", t_raw_feat, mb_feat / t_raw_feat);
    printf("  ckr_team_read_rows (P=1)     %8.4f s  %8.0f MB/s  ratio %.2f of raw\n", t_rows,
           mb_feat / t_rows, t_raw_feat / t_rows);
    printf("@@ ## Feature read rate\n@@\n");
    printf("@@ One pair, N = %zu rows of D = %zu float32 features (%.1f MB; %.1f MB with the "
           "labels), contiguous and uncompressed as `ckptrank synth` writes them, the file in "
           "the page cache; best of %d. The raw rate is pread(2) of the same stored bytes at "
           "their file offsets: the ceiling for any reader.\n@@\n", n, d, mb_feat, mb_all, repeat);
    printf("@@ | read | bytes | seconds | MB/s | of raw |\n@@ |---|---|---|---|---|\n");
    printf("@@ | raw pread | features + labels | %.4f | %.0f | 1.00 |\n", t_raw_all,
           mb_all / t_raw_all);
    printf("@@ | a worker's pair read (to double, checked finite, labels checked) | features + "
           "labels | %.4f | %.0f | %.2f |\n", t_pair, mb_all / t_pair, t_raw_all / t_pair);
    printf("@@ | of which: a new buffer of %.0f MB of doubles (malloc and first touch, no read) "
           "| - | %.4f | - | - |\n", n * d * 8.0 / 1e6, t_touch);
    printf("@@ | raw pread | features | %.4f | %.0f | 1.00 |\n", t_raw_feat, mb_feat / t_raw_feat);
    printf("@@ | a team member's collective row read, P = 1 (to double) | features | %.4f | %.0f "
           "| %.2f |\n", t_rows, mb_feat / t_rows, t_raw_feat / t_rows);
    status = 0;
cleanup:
    ckr_zoo_close(zoo);
    free(buf);
    unlink(path);
    MPI_Finalize();
    return status;
}
