/* test_size.c -- the `size` baseline (score = ln num_params) and the
 * checkpoint attribute num_params of zoo schema 1.2: hand values, the
 * needs-num-params status, the reader, validate on files written by h5py
 * (tests/make_size_zoos.py), the pair checksum's num_params line (against
 * tests/ref_checksum.py) and the synthetic zoo's num_params. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "methods/method.h"
#include "testutil.h"
#include "zoo/checksum.h"
#include "zoo/zoo.h"

static char g_dir[512]; /* make_size_zoos.py's files */

static ckr_result score_with(const ckr_pair *pair, int streamed)
{
    ckr_spec s;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("size", &s, &err), 0);
    ckr_result r;
    memset(&r, 0, sizeof r);
    ckr_rng rng;
    ckr_rng_seed(&rng, 1);
    int rc = streamed ? s.method->score_stream(pair, NULL, &s.params, &rng, &r)
                      : s.method->score(pair, &s.params, &rng, &r);
    assert_int_equal(rc == 0, strcmp(r.status, "ok") == 0);
    return r;
}

/* ln of known counts: 2^20 -> 20 ln 2; 1 -> 0; 10^6 -> 6 ln 10 */
static void test_hand_values(void **state)
{
    (void)state;
    ckr_pair p;
    memset(&p, 0, sizeof p);
    p.ckpt = "c";
    const double counts[] = { 1048576.0, 1.0, 1e6 };
    const double logs[] = { 20.0 * 0.69314718055994531, 0.0, 6.0 * 2.3025850929940457 };
    for (int i = 0; i < 3; i++) {
        p.num_params = counts[i];
        for (int streamed = 0; streamed < 2; streamed++) {
            ckr_result r = score_with(&p, streamed);
            assert_string_equal(r.status, "ok");
            assert_close(r.score, logs[i], 1e-15);
        }
    }
    ckr_result r = score_with(&p, 0);
    assert_string_equal(r.info, "num_params=1000000");
}

static void test_statuses(void **state)
{
    (void)state;
    ckr_pair p;
    memset(&p, 0, sizeof p); /* a pair the reader filled from a file without the attribute */
    p.ckpt = "vit";
    ckr_result r = score_with(&p, 0);
    assert_string_equal(r.status, "needs-num-params");
    assert_true(isnan(r.score));
    assert_non_null(strstr(r.message, "vit"));
    assert_non_null(strstr(r.message, "num_params"));
    p.num_params = NAN; /* present but invalid */
    r = score_with(&p, 1);
    assert_string_equal(r.status, "bad-data");
    assert_non_null(strstr(r.message, "num_params"));
}

typedef struct {
    int count;
    char text[8192];
} problems;

static void collect(void *ctx, const char *msg)
{
    problems *p = ctx;
    p->count++;
    size_t len = strlen(p->text);
    snprintf(p->text + len, sizeof p->text - len, "%s\n", msg);
}

static problems validate(const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s.h5", g_dir, name);
    problems pr;
    memset(&pr, 0, sizeof pr);
    int n = ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr);
    assert_int_equal(n, pr.count);
    return pr;
}

static double read_num_params(const char *name, const char *ckpt)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s.h5", g_dir, name);
    ckr_zoo *z = NULL;
    ckr_err e;
    assert_int_equal(ckr_zoo_open(path, MPI_COMM_SELF, &z, &e), 0);
    ckr_pair p;
    int rc = ckr_zoo_read_pair(z, ckpt, "t", &p, &e);
    if (rc)
        print_error("%s: %s\n", path, e.msg);
    assert_int_equal(rc, 0);
    double v = p.num_params;
    ckr_pair_free(&p);
    /* the streamed read (no features) carries it too */
    assert_int_equal(ckr_zoo_read_pair_meta(z, ckpt, "t", &p, &e), 0);
    assert_true(p.num_params == v || (isnan(v) && isnan(p.num_params)));
    ckr_pair_free(&p);
    ckr_zoo_close(z);
    return v;
}

static void test_reader(void **state)
{
    (void)state;
    assert_true(read_num_params("ok", "a") == 25557032.0);
    assert_true(read_num_params("ok", "b") == 1048576.0);
    assert_true(read_num_params("ok", "c") == 1.0);
    assert_true(read_num_params("ok", "d") == 0.0);
    assert_true(read_num_params("minor2_without", "a") == 0.0);
    /* invalid values do not stop the pair from being read: size says bad-data */
    assert_true(isnan(read_num_params("zero", "a")));
    assert_true(isnan(read_num_params("string", "a")));
    assert_true(read_num_params("zero", "b") == 1048576.0);
    ckr_pair p;
    memset(&p, 0, sizeof p);
    p.num_params = read_num_params("ok", "a");
    assert_close(score_with(&p, 0).score, 17.056423061795446, 1e-15); /* Python math.log */
}

static void test_validate(void **state)
{
    (void)state;
    problems pr = validate("ok");
    if (pr.count)
        print_error("%s", pr.text);
    assert_int_equal(pr.count, 0);
    assert_int_equal(validate("minor2_without").count, 0);
    static const struct {
        const char *file, *needle;
    } bad[] = {
        { "zero", "attribute num_params is 0, expected a finite number > 0" },
        { "negative", "attribute num_params is -5, expected a finite number > 0" },
        { "nan", "attribute num_params is nan, expected a finite number > 0" },
        { "inf", "attribute num_params is inf, expected a finite number > 0" },
        { "string", "attribute num_params has type string, expected a number" },
        { "vector", "attribute num_params" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pr = validate(bad[i].file);
        if (pr.count != 1 || !strstr(pr.text, bad[i].needle) ||
            !strstr(pr.text, "/checkpoints/a"))
            fail_msg("%s.h5: expected one problem with \"%s\", got %d:\n%s", bad[i].file,
                     bad[i].needle, pr.count, pr.text);
    }
}

/* The journal's pair checksum covers num_params: in memory and from the
 * file it equals the Python reference (absent, valid of three types, and
 * invalid), and a changed count changes it. */
static void test_checksum(void **state)
{
    (void)state;
    const char *files[] = { "ok", "minor2_without", "string", "zero" };
    uint64_t ok_a = 0, without_a = 0, zero_a = 0;
    for (size_t f = 0; f < 4; f++) {
        char path[700], cmd[1024], ck[64], task[64];
        snprintf(path, sizeof path, "%s/%s.h5", g_dir, files[f]);
        snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_checksum.py '%s'", path);
        FILE *py = popen(cmd, "r");
        assert_non_null(py);
        ckr_zoo *z = NULL;
        ckr_err e;
        assert_int_equal(ckr_zoo_open(path, MPI_COMM_SELF, &z, &e), 0);
        unsigned long long ref;
        int n = 0;
        while (fscanf(py, "%63s %63s %llx", ck, task, &ref) == 3) {
            ckr_pair p;
            assert_int_equal(ckr_zoo_read_pair(z, ck, task, &p, &e), 0);
            assert_true(ckr_pair_checksum(&p) == ref);
            ckr_pair_free(&p);
            uint64_t sum = 0;
            assert_int_equal(ckr_zoo_pair_checksum(path, ck, task, 0, &sum, &e), 0);
            assert_true(sum == ref);
            if (!strcmp(ck, "a"))
                *(f == 0 ? &ok_a : f == 1 ? &without_a : f == 3 ? &zero_a : &sum) = sum;
            n++;
        }
        assert_int_equal(pclose(py), 0);
        assert_int_equal(n, 4);
        ckr_zoo_close(z);
    }
    assert_true(ok_a != without_a && ok_a != zero_a && without_a != zero_a);
}

/* ckptrank synth writes num_params (format_minor 2): a positive integer per
 * checkpoint, larger on the whole for better checkpoints */
static void test_synth(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/synth.h5", g_dir);
    ckr_synth_opts o;
    ckr_err e;
    ckr_synth_defaults(&o);
    o.n_ckpts = 12;
    assert_int_equal(ckr_synth_write(path, &o, &e), 0);
    problems pr;
    memset(&pr, 0, sizeof pr);
    assert_int_equal(ckr_zoo_validate(path, MPI_COMM_SELF, collect, &pr), 0);
    ckr_zoo *z = NULL;
    assert_int_equal(ckr_zoo_open(path, MPI_COMM_SELF, &z, &e), 0);
    assert_int_equal(ckr_zoo_scan(z, &e), 0);
    size_t n = ckr_zoo_num_ckpts(z);
    assert_int_equal(n, 12);
    double q[12], np[12];
    for (size_t c = 0; c < n; c++) {
        const ckr_ckpt_info *ci = ckr_zoo_ckpt(z, c);
        assert_int_equal(sscanf(ci->source, "synthetic q=%lf", &q[c]), 1);
        ckr_pair p;
        assert_int_equal(ckr_zoo_read_pair_meta(z, ci->name, "task0", &p, &e), 0);
        np[c] = p.num_params;
        ckr_pair_free(&p);
        assert_true(np[c] >= 1.0 && np[c] == floor(np[c]));
    }
    ckr_zoo_close(z);
    size_t good = 0, all = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++, all++)
            good += (q[i] - q[j]) * (np[i] - np[j]) > 0;
    assert_true(good > all / 2 && good < all); /* correlated, not the same order */
    remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "%s/size", ckr_test_tmpdir());
    char cmd[1024];
    snprintf(cmd, sizeof cmd, CKR_PY " tests/make_size_zoos.py '%s'", g_dir);
    return ckr_test_sh(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_values), cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_reader),      cmocka_unit_test(test_validate),
        cmocka_unit_test(test_checksum),    cmocka_unit_test(test_synth),
    };
    int failed = cmocka_run_group_tests(tests, setup, ckr_test_remove_tmpdir);
    MPI_Finalize();
    return failed ? 1 : 0;
}
