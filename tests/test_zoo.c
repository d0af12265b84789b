/* test_zoo.c -- the zoo file module: synth writer, scan, read_pair, validate,
 * files written by h5py, and one broken file per kind of defect
 * (tests/make_bad_zoos.py writes those). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <hdf5.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zoo/gtwrite.h"
#include "zoo/h5util.h"
#include "zoo/zoo.h"

static char g_script[4096];   /* tests/make_bad_zoos.py */
static char g_bad[512];       /* directory with its files */
static char g_synth[512];     /* default synth zoo, last task multilabel */

/* ---- helpers ---------------------------------------------------------- */

static int find_script(const char *argv0)
{
    char cand[4][4096];
    const char *env = getenv("CKR_SRCDIR");
    int n = 0;
    if (env)
        snprintf(cand[n++], sizeof cand[0], "%s/tests/make_bad_zoos.py", env);
    snprintf(cand[n++], sizeof cand[0], "tests/make_bad_zoos.py");
    const char *slash = strrchr(__FILE__, '/');
    if (slash)
        snprintf(cand[n++], sizeof cand[0], "%.*s/make_bad_zoos.py", (int)(slash - __FILE__),
                 __FILE__);
    slash = strrchr(argv0, '/');
    if (slash) /* <build>/tests/test_zoo -> <build>/../tests */
        snprintf(cand[n++], sizeof cand[0], "%.*s/../../tests/make_bad_zoos.py",
                 (int)(slash - argv0), argv0);
    for (int i = 0; i < n; i++)
        if (access(cand[i], R_OK) == 0) {
            memcpy(g_script, cand[i], sizeof g_script); /* same size */
            return 0;
        }
    return -1;
}

static void bad_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s.h5", g_bad, name);
}

static int has(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

#define assert_has(hay, needle)                                                          \
    do {                                                                                 \
        if (!has((hay), (needle))) {                                                     \
            print_error("%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,   \
                        (hay), (needle));                                                \
            fail();                                                                      \
        }                                                                                \
    } while (0)

typedef struct {
    int count;
    char text[16384];
} problems;

static void collect(void *ctx, const char *msg)
{
    problems *p = ctx;
    p->count++;
    size_t len = strlen(p->text);
    snprintf(p->text + len, sizeof p->text - len, "%s\n", msg);
}

/* Count lines of p->text containing needle. */
static int lines_with(const problems *p, const char *needle)
{
    int n = 0;
    const char *s = p->text;
    while (*s) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        char line[2048];
        snprintf(line, sizeof line, "%.*s", (int)len, s);
        n += has(line, needle);
        s += len + (e ? 1 : 0);
    }
    return n;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(len > 0 ? (size_t)len : 1);
    *n = buf ? fread(buf, 1, (size_t)len, f) : 0;
    fclose(f);
    return buf;
}

static ckr_zoo *open_scanned(const char *path)
{
    ckr_zoo *z = NULL;
    ckr_err e;
    int rc = ckr_zoo_open(path, MPI_COMM_SELF, &z, &e);
    if (rc != 0)
        print_error("open %s: %s\n", path, e.msg);
    assert_int_equal(rc, 0);
    rc = ckr_zoo_scan(z, &e);
    if (rc != 0)
        print_error("scan %s: %s\n", path, e.msg);
    assert_int_equal(rc, 0);
    return z;
}

static const ckr_pair_info *find_pair(const ckr_zoo *z, const char *ckpt, const char *task)
{
    for (size_t i = 0; i < ckr_zoo_num_pairs(z); i++) {
        const ckr_pair_info *p = ckr_zoo_pair(z, i);
        if (!strcmp(ckr_zoo_ckpt(z, p->ckpt)->name, ckpt) &&
            !strcmp(ckr_zoo_task(z, p->task)->name, task))
            return p;
    }
    return NULL;
}

static void read_ok(ckr_zoo *z, const char *ckpt, const char *task, ckr_pair *p)
{
    ckr_err e;
    int rc = ckr_zoo_read_pair(z, ckpt, task, p, &e);
    if (rc != 0)
        print_error("read %s/%s: %s\n", ckpt, task, e.msg);
    assert_int_equal(rc, 0);
}

/* Fraction of concordant pairs between x and y (ties count as discordant). */
static double concordance(const double *x, const double *y, size_t n)
{
    size_t good = 0, all = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, all++)
            good += (x[i] - x[j]) * (y[i] - y[j]) > 0;
    return all ? (double)good / (double)all : 0.0;
}

/* ---- setup ------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    const char *dir = ckr_test_tmpdir();
    char cmd[8192];
    snprintf(g_bad, sizeof g_bad, "%s/bad", dir);
    snprintf(cmd, sizeof cmd, "%s '%s' '%s'", CKR_PY, g_script, g_bad);
    if (ckr_test_sh(cmd) != 0) {
        fprintf(stderr, "test_zoo: `%s` failed\n", cmd);
        return -1;
    }
    ckr_synth_opts o;
    ckr_err e;
    ckr_synth_defaults(&o);
    o.multilabel = 1;
    snprintf(g_synth, sizeof g_synth, "%s/synth.h5", dir);
    if (ckr_synth_write(g_synth, &o, &e) != 0) {
        fprintf(stderr, "test_zoo: synth: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ckr_test_tmpdir());
    ckr_test_sh(cmd);
    return 0;
}

/* ---- synth ------------------------------------------------------------ */

static void test_synth_scan(void **state)
{
    (void)state;
    ckr_zoo *z = open_scanned(g_synth);
    assert_int_equal(ckr_zoo_num_tasks(z), 3);
    assert_int_equal(ckr_zoo_num_ckpts(z), 8);
    assert_int_equal(ckr_zoo_num_pairs(z), 24);
    for (size_t t = 0; t < 3; t++) {
        const ckr_task_info *ti = ckr_zoo_task(z, t);
        char name[16];
        snprintf(name, sizeof name, "task%zu", t);
        assert_string_equal(ti->name, name);
        assert_int_equal(ti->num_classes, 5 + 2 * (int)t);
        assert_int_equal(ti->kind, t == 2 ? CKR_MULTILABEL : CKR_MULTICLASS);
        assert_int_equal(ti->n_train, 400);
        assert_int_equal(ti->n_val, 100);
        assert_int_equal(ti->n_test, 0); /* n_test defaults to 0: no test split */
        assert_string_equal(ti->problem, "");
    }
    for (size_t c = 0; c < 8; c++) {
        const ckr_ckpt_info *ci = ckr_zoo_ckpt(z, c);
        char name[16];
        snprintf(name, sizeof name, "ckpt%02zu", c);
        assert_string_equal(ci->name, name);
        assert_string_equal(ci->arch, "synth-mlp");
        assert_has(ci->source, "synthetic q=");
        double q = atof(ci->source + strlen("synthetic q="));
        assert_true(q > 0.2 && q < 2.0);
    }
    for (size_t i = 0; i < 24; i++) {
        const ckr_pair_info *p = ckr_zoo_pair(z, i);
        assert_int_equal(p->ckpt, i / 3); /* sorted by checkpoint, then task */
        assert_int_equal(p->task, i % 3);
        assert_int_equal(p->shape.n, 400);
        assert_int_equal(p->shape.n_val, 100);
        assert_int_equal(p->shape.d, 32 + 8 * (p->ckpt % 3));
        assert_int_equal(p->shape.z, 10);
        assert_int_equal(p->shape.num_classes, 5 + 2 * (int)p->task);
        assert_int_equal(p->shape.kind, p->task == 2 ? CKR_MULTILABEL : CKR_MULTICLASS);
        assert_true(p->has_gt);
        assert_true(p->finetune_accuracy > 0.0 && p->finetune_accuracy < 1.0);
        assert_int_equal(p->n_test, 0);
    }
    ckr_zoo_close(z);
}

static void test_synth_read_pair(void **state)
{
    (void)state;
    ckr_zoo *z = open_scanned(g_synth);
    ckr_pair p;
    read_ok(z, "ckpt01", "task1", &p);
    assert_string_equal(p.ckpt, "ckpt01");
    assert_string_equal(p.task, "task1");
    assert_int_equal(p.kind, CKR_MULTICLASS);
    assert_int_equal(p.num_classes, 7);
    const size_t N = 400, D = 40, Z = 10, M = 100;
    assert_int_equal(p.train.n, N);
    assert_int_equal(p.val.n, M);
    assert_non_null(p.train.y);
    assert_null(p.train.Y);
    assert_int_equal(p.train_features.rows, N);
    assert_int_equal(p.train_features.cols, D);
    assert_int_equal(p.val_features.rows, M);
    assert_int_equal(p.val_features.cols, D);
    assert_int_equal(p.train_logits.rows, N);
    assert_int_equal(p.train_logits.cols, Z);
    assert_int_equal(p.val_logits.rows, M);
    assert_int_equal(p.top_weights.rows, D);
    assert_int_equal(p.top_weights.cols, Z);
    assert_non_null(p.top_bias);
    assert_true(p.has_gt);
    assert_int_equal(p.test.n, 0); /* no test split by default */
    assert_null(p.test.y);
    assert_null(p.test_features.data);

    int seen[7] = {0};
    for (size_t i = 0; i < N; i++) {
        assert_true(p.train.y[i] >= 0 && p.train.y[i] < 7);
        seen[p.train.y[i]] = 1;
    }
    for (int c = 0; c < 7; c++)
        assert_true(seen[c]);

    /* dead (all-zero) and duplicated columns are there to exercise numerics */
    const double *X = p.train_features.data;
    int dead = 0, dup = 0;
    for (size_t j = 0; j < D; j++) {
        int zero = 1;
        for (size_t i = 0; i < N && zero; i++)
            zero = X[i * D + j] == 0.0;
        dead += zero;
        for (size_t k = 0; k < j && !zero; k++) {
            int same = 1;
            for (size_t i = 0; i < N && same; i++)
                same = X[i * D + j] == X[i * D + k];
            dup += same;
        }
    }
    assert_true(dead >= 1);
    assert_true(dup >= 1);
    /* non-zero mean and float32 values */
    double mean = 0;
    for (size_t i = 0; i < N * D; i++) {
        mean += X[i];
        assert_true(X[i] == (double)(float)X[i]);
    }
    assert_true(mean / (double)(N * D) > 0.2);

    /* logits = features * top_weights + top_bias (up to float32 rounding),
     * and not degenerate */
    double lmax = 0, lvar = 0, lmean = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < Z; k++) {
            double s = p.top_bias[k];
            for (size_t j = 0; j < D; j++)
                s += X[i * D + j] * p.top_weights.data[j * Z + k];
            double l = p.train_logits.data[i * Z + k];
            assert_close(l, s, 1e-5);
            lmax = fmax(lmax, fabs(l));
            lmean += l;
            lvar += l * l;
        }
    lmean /= (double)(N * Z);
    lvar = lvar / (double)(N * Z) - lmean * lmean;
    assert_true(lmax < 50.0);
    assert_true(lvar > 0.5);
    ckr_pair_free(&p);
    assert_null(p.train_features.data);

    read_ok(z, "ckpt02", "task2", &p);
    assert_int_equal(p.kind, CKR_MULTILABEL);
    assert_int_equal(p.num_classes, 9);
    assert_null(p.train.y);
    assert_non_null(p.train.Y);
    assert_non_null(p.val.Y);
    assert_int_equal(p.train_features.cols, 48);
    for (size_t i = 0; i < N; i++) {
        int pos = 0;
        for (size_t c = 0; c < 9; c++) {
            assert_true(p.train.Y[i * 9 + c] <= 1);
            pos += p.train.Y[i * 9 + c];
        }
        assert_true(pos >= 1 && pos <= 3);
    }
    ckr_pair_free(&p);
    ckr_zoo_close(z);
}

static void test_synth_deterministic(void **state)
{
    (void)state;
    char a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/det_a.h5", ckr_test_tmpdir());
    snprintf(b, sizeof b, "%s/det_b.h5", ckr_test_tmpdir());
    snprintf(c, sizeof c, "%s/det_c.h5", ckr_test_tmpdir());
    ckr_synth_opts o;
    ckr_err e;
    ckr_synth_defaults(&o);
    o.n_ckpts = 4;
    o.n_train = 120;
    o.n_val = 30;
    o.seed = 7;
    assert_int_equal(ckr_synth_write(a, &o, &e), 0);
    assert_int_equal(ckr_synth_write(b, &o, &e), 0);
    o.seed = 8;
    assert_int_equal(ckr_synth_write(c, &o, &e), 0);
    size_t na, nb, nc;
    unsigned char *fa = slurp(a, &na), *fb = slurp(b, &nb), *fc = slurp(c, &nc);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_non_null(fc);
    assert_int_equal(na, nb);
    assert_true(memcmp(fa, fb, na) == 0); /* byte-identical */
    assert_true(na != nc || memcmp(fa, fc, na) != 0);
    free(fa);
    free(fb);
    free(fc);

    /* the same content through the reader, a different seed differs */
    ckr_zoo *za = open_scanned(a), *zc = open_scanned(c);
    ckr_pair pa, pc;
    read_ok(za, "ckpt03", "task0", &pa);
    read_ok(zc, "ckpt03", "task0", &pc);
    assert_int_equal(pa.train_features.cols, pc.train_features.cols);
    assert_true(memcmp(pa.train_features.data, pc.train_features.data,
                       pa.train_features.rows * pa.train_features.cols * sizeof(double)) != 0);
    ckr_pair_free(&pa);
    ckr_pair_free(&pc);
    ckr_zoo_close(za);
    ckr_zoo_close(zc);
}

/* Between-class over within-class scatter of the train features. */
static double fisher_ratio(const ckr_pair *p)
{
    size_t N = p->train_features.rows, D = p->train_features.cols, C = (size_t)p->num_classes;
    double *mu = calloc(C * D, sizeof *mu), *all = calloc(D, sizeof *all);
    size_t *cnt = calloc(C, sizeof *cnt);
    const double *X = p->train_features.data;
    for (size_t i = 0; i < N; i++) {
        cnt[p->train.y[i]]++;
        for (size_t j = 0; j < D; j++) {
            mu[(size_t)p->train.y[i] * D + j] += X[i * D + j];
            all[j] += X[i * D + j] / (double)N;
        }
    }
    double between = 0, within = 0;
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < D; j++) {
            mu[c * D + j] /= (double)cnt[c];
            double d = mu[c * D + j] - all[j];
            between += (double)cnt[c] * d * d;
        }
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < D; j++) {
            double d = X[i * D + j] - mu[(size_t)p->train.y[i] * D + j];
            within += d * d;
        }
    free(mu);
    free(all);
    free(cnt);
    return between / within;
}

/* The ground truth follows the checkpoint quality, and the separation in
 * the features follows the ground truth, so a good score can rank. */
static void test_synth_known_transferability(void **state)
{
    (void)state;
    ckr_zoo *z = open_scanned(g_synth);
    double q[8], gt[8], fr[8];
    for (size_t c = 0; c < 8; c++)
        q[c] = atof(ckr_zoo_ckpt(z, c)->source + strlen("synthetic q="));
    assert_true(concordance(q, q, 8) == 1.0); /* distinct qualities */
    for (size_t t = 0; t < 2; t++) {
        for (size_t c = 0; c < 8; c++) {
            const ckr_pair_info *pi = ckr_zoo_pair(z, c * 3 + t);
            ckr_pair p;
            read_ok(z, ckr_zoo_ckpt(z, c)->name, ckr_zoo_task(z, t)->name, &p);
            gt[c] = pi->finetune_accuracy;
            fr[c] = fisher_ratio(&p);
            ckr_pair_free(&p);
        }
        print_message("task%zu: concordance gt~q %.2f, fisher~gt %.2f\n", t,
                      concordance(gt, q, 8), concordance(fr, gt, 8));
        assert_true(concordance(gt, q, 8) >= 0.75);
        assert_true(concordance(fr, gt, 8) >= 0.75);
    }
    ckr_zoo_close(z);

    /* per pair, finetune_accuracy is an increasing function of the true
     * separation (synth_quality) apart from noise of std 0.003 */
    hid_t f = H5Fopen(g_synth, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    for (int t = 0; t < 3; t++) {
        double sq[8];
        for (int c = 0; c < 8; c++) {
            char path[64];
            snprintf(path, sizeof path, "/checkpoints/ckpt%02d/task%d", c, t);
            hid_t g = H5Gopen2(f, path, H5P_DEFAULT);
            hid_t a1 = H5Aopen(g, "synth_quality", H5P_DEFAULT);
            hid_t a2 = H5Aopen(g, "finetune_accuracy", H5P_DEFAULT);
            assert_true(g >= 0 && a1 >= 0 && a2 >= 0);
            H5Aread(a1, H5T_NATIVE_DOUBLE, &sq[c]);
            H5Aread(a2, H5T_NATIVE_DOUBLE, &gt[c]);
            H5Aclose(a1);
            H5Aclose(a2);
            H5Gclose(g);
        }
        for (int i = 0; i < 8; i++)
            for (int j = 0; j < 8; j++)
                if (sq[i] > sq[j] * 1.1)
                    assert_true(gt[i] > gt[j]);
    }
    H5Fclose(f);
}

static void test_synth_bad_options(void **state)
{
    (void)state;
    ckr_synth_opts o;
    ckr_err e;
    char path[600];
    snprintf(path, sizeof path, "%s/never.h5", ckr_test_tmpdir());
    ckr_synth_defaults(&o);
    o.n_classes = 1;
    assert_int_equal(ckr_synth_write(path, &o, &e), CKR_EARG);
    assert_has(e.msg, "classes");
    ckr_synth_defaults(&o);
    o.n_train = 1;
    assert_int_equal(ckr_synth_write(path, &o, &e), CKR_EARG);
    ckr_synth_defaults(&o);
    snprintf(path, sizeof path, "%s/no/such/dir/z.h5", ckr_test_tmpdir());
    assert_int_equal(ckr_synth_write(path, &o, &e), CKR_EIO);
    assert_has(e.msg, path);

    /* small dims, one checkpoint, no logits, no val: still a valid zoo */
    ckr_synth_defaults(&o);
    o.n_ckpts = 1;
    o.n_tasks = 1;
    o.n_classes = 2;
    o.n_train = 2;
    o.n_val = 0;
    o.dim = 1;
    o.logits = 0;
    snprintf(path, sizeof path, "%s/tiny.h5", ckr_test_tmpdir());
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    problems pr;
    memset(&pr, 0, sizeof pr);
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr), 0);
    ckr_zoo *z = open_scanned(path);
    assert_int_equal(ckr_zoo_num_pairs(z), 1);
    assert_int_equal(ckr_zoo_pair(z, 0)->shape.z, 0);
    assert_int_equal(ckr_zoo_pair(z, 0)->shape.n_val, 0);
    ckr_pair p;
    read_ok(z, "ckpt00", "task0", &p);
    assert_null(p.train_logits.data);
    assert_null(p.val_features.data);
    assert_int_equal(p.val.n, 0);
    assert_null(p.top_weights.data);
    ckr_pair_free(&p);
    ckr_zoo_close(z);
}

static void test_synth_validates(void **state)
{
    (void)state;
    problems pr;
    memset(&pr, 0, sizeof pr);
    int n = ckr_zoo_validate(g_synth, MPI_COMM_SELF, collect, &pr);
    if (n != 0)
        print_error("%s", pr.text);
    assert_int_equal(n, 0);
    assert_int_equal(pr.count, 0);
}

/* ---- a file written by h5py ------------------------------------------- */

static void test_h5py_scan(void **state)
{
    (void)state;
    char path[600];
    bad_path(path, sizeof path, "good");
    problems pr;
    memset(&pr, 0, sizeof pr);
    int n = ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr);
    if (n != 0)
        print_error("%s", pr.text);
    assert_int_equal(n, 0);

    ckr_zoo *z = open_scanned(path);
    assert_string_equal(ckr_zoo_path(z), path);
    assert_int_equal(ckr_zoo_num_tasks(z), 2);
    assert_int_equal(ckr_zoo_num_ckpts(z), 2);
    assert_int_equal(ckr_zoo_num_pairs(z), 3);
    const ckr_task_info *cls = ckr_zoo_task(z, 0), *ml = ckr_zoo_task(z, 1);
    assert_string_equal(cls->name, "cls");
    assert_int_equal(cls->kind, CKR_MULTICLASS);
    assert_int_equal(cls->num_classes, 3);
    assert_int_equal(cls->n_train, 20);
    assert_int_equal(cls->n_val, 10);
    assert_int_equal(cls->n_test, 8);
    assert_string_equal(ml->name, "ml");
    assert_int_equal(ml->kind, CKR_MULTILABEL); /* variable-length UTF-8 attribute */
    assert_int_equal(ml->num_classes, 4);
    assert_int_equal(ml->n_train, 20);
    assert_int_equal(ml->n_val, 0);
    assert_int_equal(ml->n_test, 8);
    assert_string_equal(ckr_zoo_ckpt(z, 0)->name, "a");
    assert_string_equal(ckr_zoo_ckpt(z, 0)->arch, "resnet-50");
    assert_string_equal(ckr_zoo_ckpt(z, 0)->source, "h5py test");
    assert_string_equal(ckr_zoo_ckpt(z, 1)->name, "b");
    assert_string_equal(ckr_zoo_ckpt(z, 1)->arch, "vgg"); /* fixed-length string */
    assert_string_equal(ckr_zoo_ckpt(z, 1)->source, "");

    const ckr_pair_info *p = find_pair(z, "a", "cls");
    assert_non_null(p);
    assert_int_equal(p->shape.n, 20);
    assert_int_equal(p->shape.d, 6);
    assert_int_equal(p->shape.z, 4);
    assert_int_equal(p->shape.n_val, 10);
    assert_int_equal(p->n_test, 8);
    assert_true(p->has_gt);
    assert_close(p->finetune_accuracy, 0.75, 1e-12);
    p = find_pair(z, "a", "ml");
    assert_non_null(p);
    assert_int_equal(p->shape.z, 0);
    assert_int_equal(p->shape.n_val, 0);
    assert_int_equal(p->n_test, 8);
    assert_int_equal(p->shape.kind, CKR_MULTILABEL);
    p = find_pair(z, "b", "cls");
    assert_non_null(p);
    assert_int_equal(p->shape.d, 5);
    assert_int_equal(p->n_test, 0); /* the task has test labels, the pair no test features */
    assert_close(p->finetune_accuracy, 0.7, 1e-6); /* float32 attribute */
    assert_null(find_pair(z, "b", "ml")); /* missing group: not a work item */
    ckr_zoo_close(z);
}

static void test_h5py_read(void **state)
{
    (void)state;
    char path[600];
    bad_path(path, sizeof path, "good");
    ckr_zoo *z = NULL;
    ckr_err e;
    /* read_pair works without a scan, and on MPI_COMM_WORLD too */
    assert_int_equal(ckr_zoo_open(path, MPI_COMM_WORLD, &z, &e), 0);
    ckr_pair p;
    read_ok(z, "a", "cls", &p);
    assert_int_equal(p.kind, CKR_MULTICLASS);
    assert_int_equal(p.num_classes, 3);
    assert_int_equal(p.train.n, 20);
    assert_int_equal(p.val.n, 10);
    for (int i = 0; i < 20; i++)
        assert_int_equal(p.train.y[i], i % 3); /* int64 labels */
    for (int i = 0; i < 10; i++)
        assert_int_equal(p.val.y[i], (i + 1) % 3);
    assert_int_equal(p.train_features.rows, 20);
    assert_int_equal(p.train_features.cols, 6);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 6; j++)
            assert_close(p.train_features.data[i * 6 + j], 0.5 * i - 0.25 * j + 1.0, 1e-15);
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 6; j++)
            assert_close(p.val_features.data[i * 6 + j], 0.1 * i + j, 1e-15);
    for (int i = 0; i < 20; i++)
        for (int k = 0; k < 4; k++)
            assert_close(p.train_logits.data[i * 4 + k],
                         (double)(float)(2.0 * (i % 4 == k) - 1 + 0.01 * i), 1e-15);
    for (int i = 0; i < 10; i++)
        for (int k = 0; k < 4; k++)
            assert_close(p.val_logits.data[i * 4 + k], 1.0 * (i % 4 == k) - 0.5, 1e-15);
    assert_int_equal(p.top_weights.rows, 6);
    assert_int_equal(p.top_weights.cols, 4);
    for (int j = 0; j < 6; j++)
        for (int k = 0; k < 4; k++)
            assert_close(p.top_weights.data[j * 4 + k], 0.01 * (4 * j + k), 1e-15);
    for (int k = 0; k < 4; k++)
        assert_close(p.top_bias[k], 0.1 * (k + 1), 1e-15);
    assert_true(p.has_gt);
    assert_close(p.finetune_accuracy, 0.75, 1e-15);
    /* the held-out test split (schema 1.1): int32 labels, float32 features;
     * test_logits is checked but not handed out */
    assert_int_equal(p.test.n, 8);
    assert_non_null(p.test.y);
    assert_null(p.test.Y);
    for (int i = 0; i < 8; i++)
        assert_int_equal(p.test.y[i], (i + 2) % 3);
    assert_int_equal(p.test_features.rows, 8);
    assert_int_equal(p.test_features.cols, 6);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 6; j++)
            assert_close(p.test_features.data[i * 6 + j],
                         (double)(float)(0.2 * i + 0.5 * j - 1.0), 0);
    ckr_pair_free(&p);
    assert_int_equal(p.test.n, 0);
    assert_null(p.test.y);
    assert_null(p.test_features.data);

    read_ok(z, "a", "ml", &p); /* uint8 multilabel labels, float32 features */
    assert_int_equal(p.kind, CKR_MULTILABEL);
    assert_int_equal(p.train.n, 20);
    assert_null(p.train.y);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 4; j++)
            assert_int_equal(p.train.Y[i * 4 + j], (i + j) % 3 == 0);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 6; j++)
            assert_close(p.train_features.data[i * 6 + j], i - j, 0);
    assert_null(p.train_logits.data);
    assert_int_equal(p.val.n, 0);
    assert_int_equal(p.test.n, 8); /* multilabel test labels, int16 test features */
    assert_null(p.test.y);
    assert_non_null(p.test.Y);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 4; j++)
            assert_int_equal(p.test.Y[i * 4 + j], (i + j) % 2 == 0);
    assert_int_equal(p.test_features.rows, 8);
    assert_int_equal(p.test_features.cols, 6);
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 6; j++)
            assert_close(p.test_features.data[i * 6 + j], i + j, 0);
    ckr_pair_free(&p);

    read_ok(z, "b", "cls", &p); /* int32 features */
    assert_int_equal(p.train_features.cols, 5);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 5; j++)
            assert_close(p.train_features.data[i * 5 + j], i * 10 + j, 0);
    assert_int_equal(p.val.n, 0); /* the task has val labels, the pair no val features */
    assert_null(p.val_features.data);
    assert_int_equal(p.test.n, 0); /* likewise for the test split */
    assert_null(p.test.y);
    assert_null(p.test_features.data);
    ckr_pair_free(&p);
    ckr_pair_free(&p); /* freeing twice is harmless */
    ckr_zoo_close(z);

    /* h5py bool labels (an HDF5 enum) and a one-element array attribute */
    bad_path(path, sizeof path, "bool_labels");
    assert_int_equal(ckr_zoo_open(path, MPI_COMM_SELF, &z, &e), 0);
    read_ok(z, "a", "ml", &p);
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < 4; j++)
            assert_int_equal(p.train.Y[i * 4 + j], (i + j) % 3 == 0);
    assert_true(p.has_gt);
    assert_close(p.finetune_accuracy, 0.5, 0);
    ckr_pair_free(&p);
    ckr_zoo_close(z);
}

static void test_read_arguments(void **state)
{
    (void)state;
    char path[600], lng[400];
    ckr_err e;
    ckr_pair p;
    bad_path(path, sizeof path, "good");
    ckr_zoo *z = open_scanned(path);
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    assert_int_equal(ckr_zoo_read_pair(z, lng, "cls", &p, &e), CKR_EARG);
    assert_int_equal(ckr_zoo_read_pair(z, "a", "c/s", &p, &e), CKR_EARG);
    assert_int_equal(ckr_zoo_read_pair(z, "", "cls", &p, &e), CKR_EARG);
    assert_int_equal(ckr_zoo_read_pair(z, "zz", "cls", &p, &e), CKR_EFORMAT);
    assert_has(e.msg, "/checkpoints/zz: no such checkpoint");
    assert_int_equal(ckr_zoo_read_pair(z, "a", "zz", &p, &e), CKR_EFORMAT);
    assert_has(e.msg, "/tasks/zz: no such task");
    ckr_zoo_close(z);

    ckr_zoo_close(NULL);
    assert_int_equal(ckr_zoo_open(ckr_test_tmpdir(), MPI_COMM_SELF, &z, &e), CKR_EIO);
    assert_null(z);
    assert_has(e.msg, "directory");
}

/* ---- broken files ----------------------------------------------------- */

enum { OP_OPEN, OP_SCAN, OP_READ };

typedef struct {
    const char *file;     /* tests/make_bad_zoos.py name */
    int op;               /* where the problem shows up */
    const char *ckpt, *task;
    int code;             /* expected return of op (0: op succeeds) */
    const char *needle;   /* in the error message (or task problem / validate output) */
    int n_validate;       /* expected ckr_zoo_validate result */
} bad_case;

static const bad_case BAD[] = {
    {"not_hdf5", OP_OPEN, 0, 0, CKR_EFORMAT, "not an HDF5 file", CKR_EFORMAT},
    {"empty", OP_OPEN, 0, 0, CKR_EFORMAT, "not an HDF5 file", CKR_EFORMAT},
    {"truncated", OP_OPEN, 0, 0, CKR_EIO, "truncated", CKR_EIO},
    {"no_such_file", OP_OPEN, 0, 0, CKR_EIO, "No such file", CKR_EIO},
    {"wrong_format", OP_OPEN, 0, 0, CKR_EFORMAT, ": /: attribute format is \"something-else\"", 1},
    {"no_format", OP_OPEN, 0, 0, CKR_EFORMAT, ": /: attribute format is missing", 1},
    {"format_int", OP_OPEN, 0, 0, CKR_EFORMAT, ": /: attribute format has type integer", 1},
    {"version2", OP_OPEN, 0, 0, CKR_EFORMAT, ": /: format_version is 2", 1},
    {"no_tasks", OP_SCAN, 0, 0, CKR_EFORMAT, ": /tasks: group is missing", 1},
    {"long_name", OP_SCAN, 0, 0, CKR_EFORMAT, ": /checkpoints/xxxxxxxx", 1},
    {"ckpt_dataset", OP_SCAN, 0, 0, CKR_EFORMAT, ": /checkpoints/c: is a dataset", 1},
    {"task_dataset", OP_SCAN, 0, 0, 0, ": /tasks/extra: is a dataset", 1},
    {"missing_train_features", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/train_features: dataset is missing", 1},
    {"string_features", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/train_features: is a string dataset", 1},
    {"features_1d", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/train_features: has rank 1, expected 2", 1},
    {"rows_mismatch", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/train_features: has 19 rows, task /tasks/cls has 20 labels", 1},
    {"val_rows", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/val_features: has 9 rows, task /tasks/cls has 10 val_labels", 1},
    {"val_no_labels", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/val_features: is present but task /tasks/cls has no val_labels", 1},
    {"val_dim", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/val_features: has 5 columns, train_features has 6", 1},
    {"logits_z", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/val_logits: has 3 columns, train_logits has 4", 1},
    {"logits_rows", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/train_logits: has 19 rows, expected 20", 1},
    {"label_range", OP_READ, "b", "cls", CKR_EDATA,
     ": /tasks/cls/train_labels: has 1 invalid label, expected integers in [0, 3) (first: 3 at "
     "row 3)", 1},
    {"label_negative", OP_READ, "a", "cls", CKR_EDATA, ": /tasks/cls/val_labels: has 1 invalid",
     1},
    {"label_float", OP_READ, "a", "cls", CKR_EDATA, ": /tasks/cls/train_labels: has 1 invalid",
     1},
    {"ml_not01", OP_READ, "a", "ml", CKR_EDATA,
     ": /tasks/ml/train_labels: has 1 value that is not 0 or 1 (first: 2 at row 1, column 2)", 1},
    {"ml_cols", OP_READ, "a", "ml", CKR_EFORMAT,
     ": /tasks/ml/train_labels: has 3 columns, task num_classes is 4", 1},
    {"labels_2d", OP_READ, "a", "cls", CKR_EFORMAT, ": /tasks/cls/train_labels: has rank 2", 1},
    {"nan_features", OP_READ, "a", "cls", CKR_EDATA,
     ": /checkpoints/a/cls/train_features: has 1 non-finite value (first: nan at row 2, column 3)",
     1},
    {"inf_logits", OP_READ, "a", "cls", CKR_EDATA,
     ": /checkpoints/a/cls/val_logits: has 1 non-finite value (first: inf", 1},
    {"top_rows", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/top_weights: has 5 rows, train_features has 6 columns", 1},
    {"top_bias_len", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/top_bias: has 3 values, top_weights has 4 columns", 1},
    {"num_classes_1", OP_READ, "b", "cls", CKR_EDATA,
     ": /tasks/cls: num_classes is 1, a task needs at least 2 classes", 1},
    {"one_class", OP_READ, "a", "cls", CKR_EDATA,
     ": /tasks/cls/train_labels: task has one class", 1},
    {"no_num_classes", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /tasks/cls: attribute num_classes is missing", 1},
    {"num_classes_str", OP_READ, "b", "cls", CKR_EFORMAT,
     ": /tasks/cls: attribute num_classes has type string", 1},
    {"bad_kind", OP_READ, "a", "ml", CKR_EFORMAT, ": /tasks/ml: unknown kind \"multi-label\"", 1},
    {"gt_nan", OP_READ, "a", "cls", CKR_EDATA,
     ": /checkpoints/a/cls: attribute finetune_accuracy is nan", 1},
    {"gt_string", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls: attribute finetune_accuracy has type string", 1},
    {"pair_dataset", OP_READ, "b", "ml", CKR_EFORMAT, ": /checkpoints/b/ml: is a dataset", 1},
    {"not_a_task", OP_READ, "a", "cls", 0, ": /checkpoints/a/bogus: not a task", 1},
    /* the held-out test split (schema 1.1) */
    {"test_rows", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_features: has 7 rows, task /tasks/cls has 8 test_labels", 1},
    {"test_no_labels", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_features: is present but task /tasks/cls has no test_labels", 1},
    {"test_dim", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_features: has 5 columns, train_features has 6", 1},
    {"test_features_1d", OP_READ, "a", "ml", CKR_EFORMAT,
     ": /checkpoints/a/ml/test_features: has rank 1, expected 2", 1},
    {"test_label_range", OP_READ, "b", "cls", CKR_EDATA,
     ": /tasks/cls/test_labels: has 1 invalid label, expected integers in [0, 3) (first: 3 at "
     "row 2)", 1},
    {"test_label_float", OP_READ, "a", "cls", CKR_EDATA,
     ": /tasks/cls/test_labels: has 1 invalid label, expected integers in [0, 3) (first: 0.5 at "
     "row 4)", 1},
    {"test_labels_2d", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /tasks/cls/test_labels: has rank 2, expected 1", 1},
    {"test_labels_empty", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /tasks/cls/test_labels: is empty (no samples)", 1},
    {"test_ml_not01", OP_READ, "a", "ml", CKR_EDATA,
     ": /tasks/ml/test_labels: has 1 value that is not 0 or 1 (first: 7 at row 3, column 1)", 1},
    {"test_ml_cols", OP_READ, "a", "ml", CKR_EFORMAT,
     ": /tasks/ml/test_labels: has 5 columns, task num_classes is 4", 1},
    {"test_nan", OP_READ, "a", "cls", CKR_EDATA,
     ": /checkpoints/a/cls/test_features: has 1 non-finite value (first: nan at row 1, column 4)",
     1},
    {"test_logits_inf", OP_READ, "a", "cls", CKR_EDATA,
     ": /checkpoints/a/cls/test_logits: has 1 non-finite value (first: -inf at row 5, column 2)",
     1},
    {"test_logits_z", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_logits: has 3 columns, train_logits has 4", 1},
    {"test_logits_rows", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_logits: has 9 rows, expected 8 (the test labels of /tasks/cls)",
     1},
    {"test_logits_no_features", OP_READ, "a", "cls", CKR_EFORMAT,
     ": /checkpoints/a/cls/test_logits: is present but test_features is absent", 1},
    {"test_logits_no_train", OP_READ, "a", "ml", CKR_EFORMAT,
     ": /checkpoints/a/ml/test_logits: is present but train_logits is absent", 1},
    {"good", OP_READ, "b", "ml", CKR_EFORMAT, ": /checkpoints/b/ml: no such pair group", 0},
    {"bool_labels", OP_READ, "a", "ml", 0, NULL, 0}, /* valid: h5py bool labels */
    {"no_test", OP_READ, "a", "cls", 0, NULL, 0},    /* valid: schema 1.0, no test split */
};

/* Run the case's operation; returns its code and leaves the message in msg. */
static int run_op(const bad_case *bc, const char *path, char *msg, size_t cap)
{
    ckr_zoo *z = NULL;
    ckr_err e;
    ckr_err_clear(&e);
    int rc = ckr_zoo_open(path, MPI_COMM_SELF, &z, &e);
    if (rc != 0 || bc->op == OP_OPEN)
        goto done;
    rc = ckr_zoo_scan(z, &e);
    if (bc->op == OP_SCAN && rc == 0) {
        /* a broken task does not fail the scan: it keeps its problem */
        for (size_t t = 0; t < ckr_zoo_num_tasks(z); t++)
            if (ckr_zoo_task(z, t)->problem[0])
                snprintf(e.msg, sizeof e.msg, "%s", ckr_zoo_task(z, t)->problem);
    }
    if (rc != 0 || bc->op == OP_SCAN)
        goto done;
    ckr_pair p;
    rc = ckr_zoo_read_pair(z, bc->ckpt, bc->task, &p, &e);
    if (rc == 0)
        ckr_pair_free(&p);
done:
    snprintf(msg, cap, "%s", e.msg);
    ckr_zoo_close(z);
    return rc;
}

static void test_bad_files(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        const bad_case *bc = &BAD[i];
        char path[600], msg[1024];
        bad_path(path, sizeof path, bc->file);
        int rc = run_op(bc, path, msg, sizeof msg);
        int ok = rc == bc->code;
        if (bc->code != 0 || bc->op == OP_SCAN) /* the message names file and object */
            ok = ok && has(msg, path) && has(msg, bc->needle);
        if (!ok) {
            print_error("%s: op returned %d (want %d): %s\n   want \"%s\"\n", bc->file, rc,
                        bc->code, msg, bc->needle);
            failures++;
        }

        problems pr;
        memset(&pr, 0, sizeof pr);
        int nv = ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr);
        int reported = nv < 0 ? 1 : nv;
        ok = nv == bc->n_validate && pr.count == reported * (bc->n_validate != 0) &&
             lines_with(&pr, path) == pr.count &&
             (bc->n_validate == 0 || lines_with(&pr, bc->needle) >= 1);
        if (!ok) {
            print_error("%s: validate returned %d (want %d), %d messages:\n%s   want \"%s\"\n",
                        bc->file, nv, bc->n_validate, pr.count, pr.text, bc->needle);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* Every path through open/scan/read/validate/synth closes what it opens:
 * a group, dataset or attribute left open would keep its file open. */
static void test_no_open_hdf5_objects(void **state)
{
    (void)state;
    char path[600], msg[1024];
    assert_int_equal(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        bad_path(path, sizeof path, BAD[i].file);
        run_op(&BAD[i], path, msg, sizeof msg);
        ckr_zoo_validate(path, MPI_COMM_SELF, NULL, NULL);
    }
    bad_path(path, sizeof path, "several");
    ckr_zoo_validate(path, MPI_COMM_SELF, NULL, NULL);
    ckr_synth_opts o;
    ckr_err e;
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_train = 50;
    o.multilabel = 1;
    snprintf(path, sizeof path, "%s/ids.h5", ckr_test_tmpdir());
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    ckr_zoo *z = open_scanned(path);
    for (size_t k = 0; k < ckr_zoo_num_pairs(z); k++) {
        const ckr_pair_info *pi = ckr_zoo_pair(z, k);
        ckr_pair p;
        read_ok(z, ckr_zoo_ckpt(z, pi->ckpt)->name, ckr_zoo_task(z, pi->task)->name, &p);
        ckr_pair_free(&p);
    }
    ckr_zoo_close(z);
    assert_int_equal(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void test_validate_several(void **state)
{
    (void)state;
    char path[600];
    bad_path(path, sizeof path, "several");
    problems pr;
    memset(&pr, 0, sizeof pr);
    int n = ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr);
    print_message("%s", pr.text);
    assert_int_equal(n, 7);
    assert_int_equal(pr.count, 7);
    assert_int_equal(lines_with(&pr, path), 7);
    static const char *const expect[] = {
        ": /: format_version is 2",
        ": /tasks/cls/train_labels: has 1 invalid label",
        ": /tasks/ml: unknown kind",
        ": /checkpoints/a/bogus: not a task",
        ": /checkpoints/a/cls/train_features: has 1 non-finite value",
        ": /checkpoints/a/cls/top_bias: has 3 values",
        ": /checkpoints/b/cls: attribute finetune_accuracy is inf",
    };
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(lines_with(&pr, expect[i]), 1);
    /* no callback: still counts */
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, NULL, NULL), 7);
}

static void test_scan_keeps_task_problem(void **state)
{
    (void)state;
    char path[600];
    bad_path(path, sizeof path, "bad_kind");
    ckr_zoo *z = open_scanned(path);
    assert_int_equal(ckr_zoo_num_tasks(z), 2);
    assert_int_equal(ckr_zoo_num_pairs(z), 3);
    assert_string_equal(ckr_zoo_task(z, 0)->problem, "");
    assert_has(ckr_zoo_task(z, 1)->problem, "/tasks/ml: unknown kind");
    assert_has(ckr_zoo_task(z, 1)->problem, path);
    assert_int_equal(ckr_zoo_task(z, 1)->num_classes, 4);
    ckr_pair p;
    read_ok(z, "a", "cls", &p); /* the other task is fine */
    ckr_pair_free(&p);
    ckr_zoo_close(z);

    bad_path(path, sizeof path, "no_num_classes");
    z = open_scanned(path);
    assert_int_equal(ckr_zoo_task(z, 0)->num_classes, 0);
    assert_has(ckr_zoo_task(z, 0)->problem, "num_classes is missing");
    ckr_zoo_close(z);
}

/* ---- the held-out test split (schema 1.1) ----------------------------- */

/* Root attribute synth_options of a synth file ("" when unreadable). */
static void synth_options_attr(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = f >= 0 ? H5Aopen(f, "synth_options", H5P_DEFAULT) : -1;
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    if (t >= 0 && H5Tget_size(t) < cap && H5Aread(a, t, buf) >= 0)
        buf[H5Tget_size(t)] = '\0';
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    if (f >= 0)
        H5Fclose(f);
}

/* Read dataset `obj` of a file into a new double buffer of *n values. */
static double *read_dset(const char *path, const char *obj, size_t *n)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, obj, H5P_DEFAULT) : -1;
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    double *x = NULL;
    *n = 0;
    if (sp >= 0) {
        hssize_t np = H5Sget_simple_extent_npoints(sp);
        x = malloc((size_t)(np > 0 ? np : 1) * sizeof *x);
        if (x && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0)
            *n = (size_t)np;
        H5Sclose(sp);
    }
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    return x;
}

/* Accuracy on the test split of the nearest train class mean. */
static double nearest_mean_test_accuracy(const ckr_pair *p)
{
    size_t N = p->train_features.rows, D = p->train_features.cols, C = (size_t)p->num_classes;
    size_t T = p->test_features.rows, right = 0;
    double *mu = calloc(C * D, sizeof *mu);
    size_t *cnt = calloc(C, sizeof *cnt);
    for (size_t i = 0; i < N; i++) {
        cnt[p->train.y[i]]++;
        for (size_t j = 0; j < D; j++)
            mu[(size_t)p->train.y[i] * D + j] += p->train_features.data[i * D + j];
    }
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < D; j++)
            mu[c * D + j] /= (double)(cnt[c] ? cnt[c] : 1);
    for (size_t i = 0; i < T; i++) {
        size_t best = 0;
        double bd = INFINITY;
        for (size_t c = 0; c < C; c++) {
            double dd = 0;
            for (size_t j = 0; j < D; j++) {
                double e = p->test_features.data[i * D + j] - mu[c * D + j];
                dd += e * e;
            }
            if (dd < bd) {
                bd = dd;
                best = c;
            }
        }
        right += (int)best == p->test.y[i];
    }
    free(mu);
    free(cnt);
    return T ? (double)right / (double)T : 0.0;
}

/* ckr_synth_opts.n_test > 0 writes test_labels / test_features / test_logits;
 * nothing else in the file changes, and the split follows the task's class
 * structure (so ground truth can be built from it). */
static void test_synth_test_split(void **state)
{
    (void)state;
    char path[600], path2[600], opts[256];
    snprintf(path, sizeof path, "%s/with_test.h5", ckr_test_tmpdir());
    snprintf(path2, sizeof path2, "%s/with_test2.h5", ckr_test_tmpdir());
    ckr_synth_opts o;
    ckr_err e;
    ckr_synth_defaults(&o);
    assert_int_equal(o.n_test, 0);
    o.multilabel = 1; /* as g_synth, plus the test split */
    o.n_test = 150;
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    assert_int_equal(ckr_synth_write(path2, &o, &e), 0);
    size_t na, nb;
    unsigned char *fa = slurp(path, &na), *fb = slurp(path2, &nb);
    assert_non_null(fa);
    assert_non_null(fb);
    assert_int_equal(na, nb);
    assert_true(memcmp(fa, fb, na) == 0); /* still byte-identical for equal options */
    free(fa);
    free(fb);
    synth_options_attr(path, opts, sizeof opts);
    assert_has(opts, " test=150");
    synth_options_attr(g_synth, opts, sizeof opts);
    assert_has(opts, "seed=1");
    assert_false(has(opts, "test=")); /* n_test 0: the attribute is as before */

    problems pr;
    memset(&pr, 0, sizeof pr);
    int nv = ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr);
    if (nv != 0)
        print_error("%s", pr.text);
    assert_int_equal(nv, 0);

    ckr_zoo *z = open_scanned(path), *z0 = open_scanned(g_synth);
    assert_int_equal(ckr_zoo_num_pairs(z), 24);
    for (size_t t = 0; t < 3; t++) {
        assert_int_equal(ckr_zoo_task(z, t)->n_test, 150);
        assert_int_equal(ckr_zoo_task(z, t)->n_val, 100);
    }
    double gt[8], nm[8];
    for (size_t i = 0; i < 24; i++) {
        const ckr_pair_info *pi = ckr_zoo_pair(z, i), *p0i = ckr_zoo_pair(z0, i);
        assert_int_equal(pi->n_test, 150);
        assert_int_equal(pi->shape.n, p0i->shape.n);
        assert_int_equal(pi->shape.d, p0i->shape.d);
        const char *cn = ckr_zoo_ckpt(z, pi->ckpt)->name, *tn = ckr_zoo_task(z, pi->task)->name;
        ckr_pair p, p0;
        read_ok(z, cn, tn, &p);
        read_ok(z0, cn, tn, &p0);
        size_t D = p.train_features.cols;
        /* everything but the test split is what the file without one holds */
        assert_true(p.finetune_accuracy == p0.finetune_accuracy);
        assert_true(memcmp(p.train_features.data, p0.train_features.data,
                           p.train_features.rows * D * sizeof(double)) == 0);
        assert_true(memcmp(p.val_features.data, p0.val_features.data,
                           p.val_features.rows * D * sizeof(double)) == 0);
        assert_true(memcmp(p.train_logits.data, p0.train_logits.data,
                           p.train_logits.rows * p.train_logits.cols * sizeof(double)) == 0);
        assert_int_equal(p0.test.n, 0);
        assert_null(p0.test_features.data);

        assert_int_equal(p.test.n, 150);
        assert_int_equal(p.test_features.rows, 150);
        assert_int_equal(p.test_features.cols, D);
        if (p.kind == CKR_MULTILABEL) {
            assert_null(p.test.y);
            assert_non_null(p.test.Y);
            for (size_t s = 0; s < 150; s++) {
                int pos = 0;
                for (int c = 0; c < p.num_classes; c++)
                    pos += p.test.Y[s * (size_t)p.num_classes + (size_t)c];
                assert_true(pos >= 1 && pos <= 3);
            }
        } else {
            assert_null(p.test.Y);
            int seen[16] = {0};
            for (size_t s = 0; s < 150; s++) {
                assert_true(p.test.y[s] >= 0 && p.test.y[s] < p.num_classes);
                seen[p.test.y[s]] = 1;
            }
            for (int c = 0; c < p.num_classes; c++)
                assert_true(seen[c]); /* 150 >= C: every class occurs */
        }
        /* the same column structure as train: dead columns stay zero, and
         * the values are float32 */
        for (size_t j = 0; j < D; j++) {
            int dead = 1;
            for (size_t s = 0; s < p.train_features.rows && dead; s++)
                dead = p.train_features.data[s * D + j] == 0.0;
            for (size_t s = 0; s < 150; s++) {
                double v = p.test_features.data[s * D + j];
                assert_true(v == (double)(float)v);
                if (dead)
                    assert_true(v == 0.0);
            }
        }
        /* test features differ from train's (their own noise) */
        assert_true(memcmp(p.test_features.data, p.train_features.data,
                           100 * D * sizeof(double)) != 0);
        if (pi->task == 1) {
            gt[pi->ckpt] = p.finetune_accuracy;
            nm[pi->ckpt] = nearest_mean_test_accuracy(&p);
            assert_true(nm[pi->ckpt] > 1.0 / p.num_classes); /* better than chance */
        }
        if (i == 4) { /* ckpt01/task1: test_logits = test_features x W + b */
            size_t nl, Z = p.top_weights.cols;
            double *L = read_dset(path, "/checkpoints/ckpt01/task1/test_logits", &nl);
            assert_non_null(L);
            assert_int_equal(nl, 150 * Z);
            for (size_t s = 0; s < 150; s++)
                for (size_t k = 0; k < Z; k++) {
                    double v = p.top_bias[k];
                    for (size_t j = 0; j < D; j++)
                        v += p.test_features.data[s * D + j] * p.top_weights.data[j * Z + k];
                    assert_close(L[s * Z + k], v, 1e-5);
                }
            free(L);
        }
        ckr_pair_free(&p);
        ckr_pair_free(&p0);
    }
    print_message("task1: concordance of nearest-mean test accuracy with gt %.2f\n",
                  concordance(nm, gt, 8));
    assert_true(concordance(nm, gt, 8) >= 0.75);
    ckr_zoo_close(z);
    ckr_zoo_close(z0);

    /* without logits no test_logits; with val 0 the test split still works */
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_tasks = 1;
    o.n_train = 30;
    o.n_val = 0;
    o.n_test = 3; /* fewer samples than classes is fine for a test split */
    o.logits = 0;
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    memset(&pr, 0, sizeof pr);
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr), 0);
    size_t nl;
    double *L = read_dset(path, "/checkpoints/ckpt00/task0/test_logits", &nl);
    assert_int_equal(nl, 0);
    free(L);
    z = open_scanned(path);
    ckr_pair p;
    read_ok(z, "ckpt01", "task0", &p);
    assert_int_equal(p.val.n, 0);
    assert_int_equal(p.test.n, 3);
    assert_int_equal(p.test_features.rows, 3);
    assert_null(p.train_logits.data);
    ckr_pair_free(&p);
    ckr_zoo_close(z);

    ckr_synth_defaults(&o);
    o.n_test = (size_t)1 << 40;
    assert_int_equal(ckr_synth_write(path, &o, &e), CKR_EARG);
    assert_has(e.msg, "test samples");
}

/* A schema 1.0 file (no test_* objects) stays valid and reads as before. */
static void test_schema10_without_test_split(void **state)
{
    (void)state;
    char path[600];
    bad_path(path, sizeof path, "no_test");
    problems pr;
    memset(&pr, 0, sizeof pr);
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr), 0);
    ckr_zoo *z = open_scanned(path);
    for (size_t t = 0; t < ckr_zoo_num_tasks(z); t++)
        assert_int_equal(ckr_zoo_task(z, t)->n_test, 0);
    for (size_t i = 0; i < ckr_zoo_num_pairs(z); i++)
        assert_int_equal(ckr_zoo_pair(z, i)->n_test, 0);
    ckr_pair p;
    read_ok(z, "a", "cls", &p);
    assert_int_equal(p.train.n, 20);
    assert_int_equal(p.val.n, 10);
    assert_int_equal(p.val_logits.rows, 10);
    assert_int_equal(p.test.n, 0);
    assert_null(p.test.y);
    assert_null(p.test.Y);
    assert_null(p.test_features.data);
    assert_int_equal(p.test_features.rows, 0);
    ckr_pair_free(&p);
    read_ok(z, "a", "ml", &p);
    assert_int_equal(p.test.n, 0);
    assert_null(p.test.Y);
    ckr_pair_free(&p);
    ckr_zoo_close(z);
}

/* ---- issue 14: declared vs stored size, files through a temporary name ---- */

/* Create dataset name in f: rank-1 int64 of n values, chunked by chunk (0:
 * contiguous), with gzip when gz; write the first `written` values (0..). */
static void make_dset(hid_t f, const char *name, hsize_t n, hsize_t chunk, int gz, hsize_t written)
{
    hid_t sp = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (chunk) {
        assert_true(H5Pset_chunk(dcpl, 1, &chunk) >= 0);
        if (gz)
            assert_true(H5Pset_deflate(dcpl, 9) >= 0);
    }
    hid_t d = H5Dcreate2(f, name, H5T_STD_I64LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    assert_true(d >= 0);
    if (written) {
        long long *v = calloc(written, sizeof *v);
        hsize_t start = 0;
        hid_t fs = H5Dget_space(d), ms = H5Screate_simple(1, &written, NULL);
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, &start, NULL, &written, NULL);
        assert_true(H5Dwrite(d, H5T_NATIVE_LLONG, ms, fs, H5P_DEFAULT, v) >= 0);
        H5Sclose(fs);
        H5Sclose(ms);
        free(v);
    }
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

static int storage_short(hid_t f, const char *name, char *why, size_t cap)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    assert_true(d >= 0);
    why[0] = '\0';
    int s = ckr_h5_storage_short(d, why, cap);
    H5Dclose(d);
    return s;
}

static void test_storage_declared_vs_stored(void **state)
{
    (void)state;
    char path[600], why[256];
    snprintf(path, sizeof path, "%s/storage.h5", ckr_test_tmpdir());
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    assert_true(f >= 0);
    make_dset(f, "huge_chunked", 1000000000000ULL, 1000000, 0, 0); /* 8 TB declared, none */
    make_dset(f, "contig_unwritten", 1000, 0, 0, 0);
    make_dset(f, "contig_written", 1000, 0, 0, 1000);
    make_dset(f, "gzip_zeros", 100000, 10000, 1, 100000); /* stores far less, all chunks */
    make_dset(f, "one_of_four", 400, 100, 0, 100);
    make_dset(f, "empty", 0, 0, 0, 0);
    H5Fclose(f);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    assert_int_equal(storage_short(f, "huge_chunked", why, sizeof why), 1);
    assert_true(has(why, "declares 1000000000000 values (8000000000000 bytes) but stores only 0 bytes"));
    assert_int_equal(storage_short(f, "contig_unwritten", why, sizeof why), 1);
    assert_true(has(why, "declares 1000 values (8000 bytes) but stores only 0 bytes"));
    assert_int_equal(storage_short(f, "contig_written", why, sizeof why), 0);
    assert_int_equal(storage_short(f, "gzip_zeros", why, sizeof why), 0);
    assert_int_equal(storage_short(f, "one_of_four", why, sizeof why), 1);
    assert_true(has(why, "stores only 800 bytes (1 of 4 chunks written)"));
    assert_int_equal(storage_short(f, "empty", why, sizeof why), 0);
    H5Fclose(f);
    assert_int_equal(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

/* Names in dir that contain ".tmp." (a temporary file left behind). */
static int count_temp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".tmp.") != NULL;
    if (d)
        closedir(d);
    return n;
}

static int same_bytes(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb, ca, cb;
    while (same && ((ca = fgetc(fa)) != EOF) | ((cb = fgetc(fb)) != EOF))
        same = ca == cb;
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static void copy_file(const char *from, const char *to)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "cp '%.2000s' '%.2000s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static void test_synth_through_temp_name(void **state)
{
    (void)state;
    char dir[600], path[800];
    snprintf(dir, sizeof dir, "%s/synthtmp", ckr_test_tmpdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/z.h5", dir);
    ckr_synth_opts o;
    ckr_err e = { 0, "" };
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_train = 40;
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    assert_int_equal(count_temp_files(dir), 0);
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, NULL, NULL), 0);
    snprintf(path, sizeof path, "%s/no/such/dir/z.h5", dir);
    assert_int_equal(ckr_synth_write(path, &o, &e), CKR_EIO);
    assert_true(has(e.msg, "No such file or directory"));
    assert_int_equal(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

static void test_ground_truth_write_is_atomic(void **state)
{
    (void)state;
    char dir[600], zoo[700], orig[700], link[700];
    snprintf(dir, sizeof dir, "%s/gtwrite", ckr_test_tmpdir());
    mkdir(dir, 0755);
    snprintf(zoo, sizeof zoo, "%s/z.h5", dir);
    snprintf(orig, sizeof orig, "%s/z.orig", dir);
    snprintf(link, sizeof link, "%s/zlink.h5", dir);
    ckr_synth_opts o;
    ckr_err e = { 0, "" };
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_tasks = 1;
    o.n_train = 40;
    assert_int_equal(ckr_synth_write(zoo, &o, &e), 0);
    assert_int_equal(chmod(zoo, 0640), 0);
    copy_file(zoo, orig);
    ckr_gt_update u[2];
    memset(u, 0, sizeof u);
    snprintf(u[0].ckpt, sizeof u[0].ckpt, "ckpt00");
    snprintf(u[0].task, sizeof u[0].task, "task0");
    u[0].accuracy = 0.625;
    snprintf(u[0].selected, sizeof u[0].selected, "finetune:lr=0.1");
    snprintf(u[0].source, sizeof u[0].source, "test");
    u[1] = u[0];
    snprintf(u[1].ckpt, sizeof u[1].ckpt, "nosuch");
    /* refusals leave the file byte for byte as it was, and no copy behind */
    assert_int_equal(ckr_zoo_write_ground_truth(zoo, u, 2, "s", "p", 1, &e), CKR_EFORMAT);
    assert_true(has(e.msg, "/checkpoints/nosuch/task0: pair group not found"));
    assert_int_equal(ckr_zoo_write_ground_truth(zoo, u, 1, "s", "p", 0, &e), CKR_EARG);
    assert_true(has(e.msg, "use --force"));
    assert_true(same_bytes(zoo, orig));
    assert_int_equal(count_temp_files(dir), 0);
    /* through a symlink: the link stays, its target gets the values, mode kept */
    assert_int_equal(symlink("z.h5", link), 0);
    assert_int_equal(ckr_zoo_write_ground_truth(link, u, 1, "sweep-spec", "proto", 1, &e), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_int_equal(stat(zoo, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(count_temp_files(dir), 0);
    hid_t f = H5Fopen(zoo, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(f >= 0);
    hid_t g = H5Gopen2(f, "/checkpoints/ckpt00/task0", H5P_DEFAULT);
    double acc = 0;
    char buf[64];
    assert_int_equal(ckr_h5_attr_double(g, "finetune_accuracy", &acc), CKR_ATTR_OK);
    assert_true(acc == 0.625);
    assert_int_equal(ckr_h5_attr_string(g, "finetune_source", buf, sizeof buf), CKR_ATTR_OK);
    assert_string_equal(buf, "test");
    assert_int_equal(ckr_h5_attr_string(f, "groundtruth_sweep", buf, sizeof buf), CKR_ATTR_OK);
    assert_string_equal(buf, "sweep-spec");
    H5Gclose(g);
    H5Fclose(f);
    assert_int_equal(ckr_zoo_validate(zoo, MPI_COMM_SELF, NULL, NULL), 0);
    assert_int_equal(H5Fget_obj_count((hid_t)H5F_OBJ_ALL, H5F_OBJ_ALL), 0);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (find_script(argv[0]) != 0) {
        fprintf(stderr, "test_zoo: cannot find tests/make_bad_zoos.py (set CKR_SRCDIR)\n");
        MPI_Finalize();
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synth_scan),
        cmocka_unit_test(test_synth_read_pair),
        cmocka_unit_test(test_synth_deterministic),
        cmocka_unit_test(test_synth_known_transferability),
        cmocka_unit_test(test_synth_bad_options),
        cmocka_unit_test(test_synth_validates),
        cmocka_unit_test(test_h5py_scan),
        cmocka_unit_test(test_h5py_read),
        cmocka_unit_test(test_read_arguments),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_validate_several),
        cmocka_unit_test(test_scan_keeps_task_problem),
        cmocka_unit_test(test_synth_test_split),
        cmocka_unit_test(test_schema10_without_test_split),
        cmocka_unit_test(test_no_open_hdf5_objects),
        cmocka_unit_test(test_storage_declared_vs_stored),
        cmocka_unit_test(test_synth_through_temp_name),
        cmocka_unit_test(test_ground_truth_write_is_atomic),
    };
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    MPI_Finalize();
    return failed ? 1 : 0;
}
