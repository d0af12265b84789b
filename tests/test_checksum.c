/* test_checksum.c -- CRC-64/XZ (util/crc64.h) against its standard check
 * value, and the pair content checksum (zoo/checksum.h), in memory (as the
 * executor computes it) and from the file in row blocks of several sizes
 * (as --resume recomputes it), against a Python reference written from the
 * stream definition in checksum.h (tests/ref_checksum.py): a change of one
 * value changes its pair's checksum and no other; the ground truth is not
 * content; a pair that does not read has a stable checksum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <mpi.h>

#include "testutil.h"
#include "util/crc64.h"
#include "util/err.h"
#include "zoo/checksum.h"
#include "zoo/zoo.h"

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", ckr_test_tmpdir(), name);
    return p;
}

static void test_crc64_check_value(void **state)
{
    (void)state;
    /* the standard check value of CRC-64/XZ */
    assert_true(ckr_crc64_update(0, "123456789", 9) == 0x995dc9bbdf1939faull);
    assert_true(ckr_crc64_update(0, "", 0) == 0);
    assert_true(ckr_crc64_update(0, NULL, 0) == 0);
    /* streaming: any split gives the CRC of the whole */
    const char *text = "the quick brown fox jumps over the lazy dog, twice over";
    size_t n = strlen(text);
    uint64_t whole = ckr_crc64_update(0, text, n);
    for (size_t cut = 0; cut <= n; cut++)
        assert_true(ckr_crc64_update(ckr_crc64_update(0, text, cut), text + cut, n - cut) == whole);
}

#define MAX_PAIRS 16

typedef struct ref_sums {
    size_t n;
    char ckpt[MAX_PAIRS][64], task[MAX_PAIRS][64];
    uint64_t sum[MAX_PAIRS];
} ref_sums;

static void python_sums(const char *zoo, ref_sums *r)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_checksum.py '%s'", zoo);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    memset(r, 0, sizeof *r);
    unsigned long long v;
    while (r->n < MAX_PAIRS &&
           fscanf(p, "%63s %63s %llx", r->ckpt[r->n], r->task[r->n], &v) == 3)
        r->sum[r->n++] = v;
    assert_int_equal(pclose(p), 0);
}

/* Every pair of zoo: the checksum in memory (as read) and from the file
 * (several block sizes) both equal the Python reference. */
static void check_zoo_sums(const char *zoo, const ref_sums *ref)
{
    ckr_zoo *z = NULL;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_zoo_open(zoo, MPI_COMM_SELF, &z, &err), 0);
    assert_int_equal(ckr_zoo_scan(z, &err), 0);
    assert_int_equal(ckr_zoo_num_pairs(z), ref->n);
    for (size_t i = 0; i < ref->n; i++) {
        ckr_pair p;
        assert_int_equal(ckr_zoo_read_pair(z, ref->ckpt[i], ref->task[i], &p, &err), 0);
        assert_true(ckr_pair_checksum(&p) == ref->sum[i]);
        ckr_pair_free(&p);
        const size_t blocks[] = { 8, 200, 4096, 0 }; /* 8: a block smaller than a row */
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            uint64_t sum = 0;
            assert_int_equal(ckr_zoo_pair_checksum(zoo, ref->ckpt[i], ref->task[i], blocks[b], &sum,
                                                   &err), 0);
            assert_true(sum == ref->sum[i]);
        }
    }
    ckr_zoo_close(z);
}

static void test_pair_checksum_against_python(void **state)
{
    (void)state;
    const char *zoo = tmp_path("sums.h5");
    ckr_synth_opts o;
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_tasks = 2;
    o.n_train = 40;
    o.n_val = 10;
    o.n_test = 6;
    o.dim = 4;
    o.multilabel = 1; /* the last task: 0/1 label matrices */
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_synth_write(zoo, &o, &err), 0);
    ref_sums before, after;
    python_sums(zoo, &before);
    assert_int_equal(before.n, 4);
    check_zoo_sums(zoo, &before);
    for (size_t i = 1; i < before.n; i++) /* pairs differ */
        assert_true(before.sum[i] != before.sum[0]);

    /* one feature value of one pair changed in place (same shape): that
     * pair's checksum changes, no other; the ground truth is not content */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, CKR_PY " -c \"import h5py; f = h5py.File('%s', 'r+'); "
             "g = f['checkpoints/%s/%s']; d = g['train_features']; d[3, 1] = d[3, 1] + 0.25; "
             "g.attrs['finetune_accuracy'] = 0.5; f['checkpoints/%s/%s'].attrs['finetune_accuracy'] = 0.25\"",
             zoo, before.ckpt[1], before.task[1], before.ckpt[2], before.task[2]);
    assert_int_equal(ckr_test_sh(cmd), 0);
    python_sums(zoo, &after);
    check_zoo_sums(zoo, &after);
    for (size_t i = 0; i < before.n; i++)
        assert_true((after.sum[i] != before.sum[i]) == (i == 1));
}

/* A pair that does not read (a label out of range, a missing dataset) still
 * has a checksum from the file, stable while the file is unchanged. */
static void test_broken_pair_has_a_stable_checksum(void **state)
{
    (void)state;
    const char *zoo = tmp_path("broken.h5");
    ckr_synth_opts o;
    ckr_synth_defaults(&o);
    o.n_ckpts = 2;
    o.n_tasks = 1;
    o.n_train = 30;
    o.n_val = 0;
    o.dim = 4;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_synth_write(zoo, &o, &err), 0);
    uint64_t good = 0, a = 0, b = 0, c = 0;
    assert_int_equal(ckr_zoo_pair_checksum(zoo, "ckpt00", "task0", 0, &good, &err), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, CKR_PY " -c \"import h5py; f = h5py.File('%s', 'r+'); "
             "del f['checkpoints/ckpt00/task0/train_logits']\"", zoo);
    assert_int_equal(ckr_test_sh(cmd), 0);
    assert_int_equal(ckr_zoo_pair_checksum(zoo, "ckpt00", "task0", 0, &a, &err), 0);
    snprintf(cmd, sizeof cmd, CKR_PY " -c \"import h5py; f = h5py.File('%s', 'r+'); "
             "del f['checkpoints/ckpt00/task0/train_features']\"", zoo);
    assert_int_equal(ckr_test_sh(cmd), 0);
    assert_int_equal(ckr_zoo_pair_checksum(zoo, "ckpt00", "task0", 0, &b, &err), 0);
    assert_int_equal(ckr_zoo_pair_checksum(zoo, "ckpt00", "task0", 64, &c, &err), 0);
    assert_true(good != a && a != b && good != b && b != 0);
    assert_true(b == c);
    /* no pair group at all: a checksum, not an error */
    assert_int_equal(ckr_zoo_pair_checksum(zoo, "ckpt00", "nosuchtask", 0, &a, &err), 0);
    assert_true(a != 0 && a != b);
    /* a file that is not there: an error naming it */
    assert_int_equal(ckr_zoo_pair_checksum(tmp_path("missing.h5"), "c", "t", 0, &a, &err), CKR_EIO);
    assert_non_null(strstr(err.msg, "missing.h5"));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc64_check_value),
        cmocka_unit_test(test_pair_checksum_against_python),
        cmocka_unit_test(test_broken_pair_has_a_stable_checksum),
    };
    int failed = cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
    MPI_Finalize();
    return failed;
}
