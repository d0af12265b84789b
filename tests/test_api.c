/* test_api.c -- the in-memory C API (include/ckptrank/score.h): hand-known
 * scores (METHODS.md's LogME worked example, -0.984525168; `size` = ln of
 * num_params), every dtype giving the same pair, the refusals as statuses
 * with their codes, the method table, and MPI initialised by the library
 * (this program never calls MPI_Init). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <mpi.h>
#include <string.h>

#include "ckptrank/score.h"
#include "testutil.h"

/* METHODS.md's toy data set: 6 x 2, two classes */
static const double F[] = { 1, 0.5, 2, 1, 3, -0.5, 5, 0, 0.5, 2, 1.5, 1.5 };
static const int32_t Y[] = { 0, 0, 0, 1, 1, 1 };

static ckptrank_pair toy_pair(void)
{
    ckptrank_pair p;
    ckptrank_pair_init(&p);
    p.train_features = (ckptrank_array){ F, CKPTRANK_F64, 6, 2 };
    p.train_labels = (ckptrank_array){ Y, CKPTRANK_I32, 6, 1 };
    return p;
}

static void test_worked_example_every_dtype(void **state)
{
    (void)state;
    ckptrank_pair p = toy_pair();
    ckptrank_score_result r;
    assert_int_equal(ckptrank_score(&p, "logme", 0, &r), 0);
    assert_string_equal(r.status, "ok");
    assert_string_equal(r.message, "");
    assert_close(r.score, -0.984525168, 1e-9);
    assert_true(r.seconds >= 0.0 && r.gflops > 0.0);
    double want = r.score;
    float f32[12];
    int64_t y64[6];
    uint8_t y8[6];
    double yf[6];
    for (int i = 0; i < 12; i++)
        f32[i] = (float)F[i]; /* the toy values are exact in float */
    for (int i = 0; i < 6; i++) {
        y64[i] = Y[i];
        y8[i] = (uint8_t)Y[i];
        yf[i] = Y[i];
    }
    const ckptrank_array feats[] = { { F, CKPTRANK_F64, 6, 2 }, { f32, CKPTRANK_F32, 6, 2 } };
    const ckptrank_array labs[] = { { Y, CKPTRANK_I32, 6, 1 }, { y64, CKPTRANK_I64, 6, 1 },
                                    { y8, CKPTRANK_U8, 6, 1 }, { yf, CKPTRANK_F64, 6, 1 } };
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 4; b++) {
            p.train_features = feats[a];
            p.train_labels = labs[b];
            assert_int_equal(ckptrank_score(&p, "logme", 0, &r), 0);
            assert_true(r.score == want); /* bit for bit */
        }
    /* the same pair with a 0/1 multilabel matrix of the two classes runs too */
    uint8_t M[12];
    for (int i = 0; i < 6; i++) {
        M[2 * i] = Y[i] == 0;
        M[2 * i + 1] = Y[i] == 1;
    }
    p.train_labels = (ckptrank_array){ M, CKPTRANK_U8, 6, 2 };
    p.multilabel = 1;
    assert_int_equal(ckptrank_score(&p, "hscore", 0, &r), 0);
    assert_string_equal(r.status, "ok");
}

static void test_size_is_log_num_params(void **state)
{
    (void)state;
    ckptrank_pair p = toy_pair();
    ckptrank_score_result r;
    p.num_params = 25557032.0; /* ResNet-50 */
    assert_int_equal(ckptrank_score(&p, "size", 0, &r), 0);
    assert_string_equal(r.status, "ok");
    assert_close(r.score, 17.056423061795446, 1e-15); /* ln 25557032 (python3 math.log) */
    p.num_params = 0.0;
    assert_int_equal(ckptrank_score(&p, "size", 0, &r), 0);
    assert_string_equal(r.status, "needs-num-params");
    assert_true(isnan(r.score));
}

/* the seeds derive from (seed, checkpoint, task, spec): the same call twice
 * gives the same bits; the defaults are the names "ckpt" and "task" */
static void test_seeded_and_named(void **state)
{
    (void)state;
    ckptrank_pair p = toy_pair();
    ckptrank_score_result a, b;
    assert_int_equal(ckptrank_score(&p, "dummy", 5, &a), 0);
    assert_int_equal(ckptrank_score(&p, "dummy", 5, &b), 0);
    assert_true(a.score == b.score);
    p.checkpoint = "ckpt";
    p.task = "task";
    assert_int_equal(ckptrank_score(&p, "dummy", 5, &b), 0);
    assert_true(a.score == b.score);
    p.checkpoint = "other";
    assert_int_equal(ckptrank_score(&p, "dummy", 5, &b), 0);
    assert_true(a.score != b.score);
}

static void expect(const ckptrank_pair *p, const char *spec, int code, const char *status,
                   const char *text)
{
    ckptrank_score_result r;
    int rc = ckptrank_score(p, spec, 0, &r);
    if (rc != code || strcmp(r.status, status) != 0 || !strstr(r.message, text))
        print_error("%s: got %d %s '%s', want %d %s '%s'\n", spec, rc, r.status, r.message, code,
                    status, text);
    assert_int_equal(rc, code);
    assert_string_equal(r.status, status);
    assert_non_null(strstr(r.message, text));
    assert_true(isnan(r.score));
}

static void test_refusals(void **state)
{
    (void)state;
    ckptrank_pair p = toy_pair();
    ckptrank_score_result r;
    assert_int_equal(ckptrank_score(NULL, "logme", 0, &r), -5);
    assert_int_equal(ckptrank_score(&p, NULL, 0, &r), -5);
    assert_int_equal(ckptrank_score(&p, "logme", 0, NULL), -5);
    expect(&p, "nope", -5, "bad-argument", "unknown method 'nope'");
    expect(&p, "finetune:lr=-1", -5, "bad-argument", "must be > 0");
    expect(&p, "logme:form=exact|thuml", -5, "bad-argument", "");
    expect(&p, "leep", 0, "needs-logits", "train_logits"); /* ran: the method's status */

    ckptrank_pair q = p;
    q.train_features.dtype = 9;
    expect(&q, "logme", -5, "bad-argument", "dtype");
    q = p;
    q.train_labels.data = NULL;
    expect(&q, "logme", -5, "bad-argument", "required");
    q = p;
    q.val_features = p.train_features; /* without val labels */
    expect(&q, "logme", -5, "bad-argument", "val_labels");
    q = p;
    q.task = "mean";
    expect(&q, "logme", -5, "bad-argument", "reserved");
    q = p;
    q.checkpoint = "a/b";
    expect(&q, "logme", -5, "bad-argument", "'/'");
    q = p;
    q.num_params = -1.0;
    expect(&q, "size", -5, "bad-argument", "num_params");
    q = p;
    q.train_labels.rows = 5;
    expect(&q, "logme", -2, "bad-format", "rows");
    double G[12];
    memcpy(G, F, sizeof G);
    G[7] = NAN;
    q = p;
    q.train_features.data = G;
    expect(&q, "logme", -3, "bad-data", "non-finite");
    int32_t one[6] = { 1, 1, 1, 1, 1, 1 };
    q = p;
    q.train_labels.data = one;
    q.num_classes = 2;
    expect(&q, "logme", -3, "bad-data", "two classes");
    q = p;
    q.num_classes = 1; /* below the largest label + 1 */
    expect(&q, "logme", -3, "bad-data", "num-classes");
    double W[4] = { 1, 2, 3, 4 }, bias[2] = { 0, 0 };
    q = p;
    q.top_weights = (ckptrank_array){ W, CKPTRANK_F64, 1, 4 }; /* D = 2 rows needed */
    q.top_bias = (ckptrank_array){ bias, CKPTRANK_F64, 4, 1 };
    expect(&q, "logme", -2, "bad-format", "top_weights");
    q.top_weights = (ckptrank_array){ W, CKPTRANK_F64, 2, 2 };
    q.top_bias = (ckptrank_array){ NULL, CKPTRANK_F64, 0, 0 };
    expect(&q, "logme", -5, "bad-argument", "top_bias");
}

/* ckptrank_normalize on hand-made terms: weights 0.15 and 0.85, term 1 over
 * {0, 1, 3} -> {0, 1/3, 1}, term 2 over {2, 2, 2} (equal: contributes 0);
 * a failed result is left out and untouched, one without terms too. */
static void test_normalize_by_hand(void **state)
{
    (void)state;
    ckptrank_score_result r[5];
    memset(r, 0, sizeof r);
    const char *terms[5] = { "0.15:0 0.85:2", "0.15:1 0.85:2", "0.15:3 0.85:2", "0.15:9 0.85:9", "" };
    const char *status[5] = { "ok", "ok", "ok", "bad-data", "ok" };
    for (int i = 0; i < 5; i++) {
        snprintf(r[i].terms, sizeof r[i].terms, "%s", terms[i]);
        snprintf(r[i].status, sizeof r[i].status, "%s", status[i]);
        r[i].score = 100.0 + i;
    }
    assert_int_equal(ckptrank_normalize(r, 5), 0);
    assert_true(fabs(r[0].score - 0.0) < 1e-15);
    assert_true(fabs(r[1].score - 0.15 / 3.0) < 1e-15);
    assert_true(fabs(r[2].score - 0.15) < 1e-15);
    assert_true(r[3].score == 103.0 && strcmp(r[3].status, "bad-data") == 0);
    assert_true(r[4].score == 104.0 && strcmp(r[4].status, "ok") == 0);
    /* weights that disagree within the group: every row with terms is bad-data */
    snprintf(r[1].terms, sizeof r[1].terms, "0.5:1 0.5:2");
    assert_int_equal(ckptrank_normalize(r, 3), 0);
    for (int i = 0; i < 3; i++)
        assert_string_equal(r[i].status, "bad-data");
    assert_int_equal(ckptrank_normalize(NULL, 0), 0);
    assert_int_not_equal(ckptrank_normalize(NULL, 2), 0);
}

static void test_method_table_and_mpi(void **state)
{
    (void)state;
    size_t n = ckptrank_method_count();
    assert_true(n >= 15);
    assert_string_equal(ckptrank_method_name(0), "nleep");
    assert_null(ckptrank_method_name(n));
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(ckptrank_method_name(i), "logme") != 0)
            continue;
        const char *k, *d, *h, *c;
        assert_int_equal(ckptrank_method_param(i, 0, &k, &d, &h, &c), 0);
        assert_string_equal(k, "form");
        assert_string_equal(d, "exact");
        assert_string_equal(c, "exact|thuml");
        assert_non_null(h);
        assert_int_equal(ckptrank_method_param(i, ckptrank_method_param_count(i), &k, &d, &h, &c),
                         -5);
        assert_null(k);
        found = 1;
    }
    assert_true(found);
    assert_string_equal(ckptrank_version(), "0.1.0");
    int inited = 0;
    MPI_Initialized(&inited);
    assert_true(inited); /* by the first ckptrank_score */
    assert_int_equal(ckptrank_init(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_every_dtype),
        cmocka_unit_test(test_size_is_log_num_params),
        cmocka_unit_test(test_seeded_and_named),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_normalize_by_hand),
        cmocka_unit_test(test_method_table_and_mpi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
