/* test_finetune.c -- fine-tuning from the checkpoint's top layer (one SGD step
 * against a numpy reference), learning a non-linear task, step counts,
 * FLOPs, sweeps and multilabel heads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/finetune.h"
#include "methods/method.h"
#include "pairtest.h" /* run_spec, spec_refused, info_number */
#include "testutil.h"
#include "util/flops.h"

typedef struct data {
    ckr_pair pair;
    size_t n, m, D, H;
    int C;
    double *X, *Xv, *W, *b;
    int *y, *yv;
    uint8_t *Y, *Yv;
} data;

/* Classes in blobs; features with offsets and unequal scales.  A top layer
 * W (D x H), b (H) with random weights is attached when H > 0. */
static void make_data(data *d, ckr_task_kind kind, size_t n, size_t m, size_t D, int C,
                      size_t H, uint64_t seed)
{
    memset(d, 0, sizeof *d);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    d->n = n;
    d->m = m;
    d->D = D;
    d->H = H;
    d->C = C;
    d->X = malloc(n * D * sizeof(double));
    d->Xv = malloc(m * D * sizeof(double));
    d->y = malloc(n * sizeof(int));
    d->yv = malloc(m * sizeof(int));
    d->Y = calloc(n * (size_t)C, 1);
    d->Yv = calloc(m * (size_t)C, 1);
    double *mean = malloc((size_t)C * D * sizeof(double));
    for (size_t i = 0; i < (size_t)C * D; i++)
        mean[i] = 0.8 * ckr_rng_normal(&rng);
    for (size_t i = 0; i < n + m; i++) {
        int c = (int)ckr_rng_below(&rng, (uint64_t)C);
        double *x = i < n ? d->X + i * D : d->Xv + (i - n) * D;
        uint8_t *t = i < n ? d->Y + i * C : d->Yv + (i - n) * C;
        for (int k = 0; k < C; k++)
            t[k] = k == c || ckr_rng_uniform(&rng) < 0.2;
        for (size_t j = 0; j < D; j++) {
            double v = ckr_rng_normal(&rng);
            for (int k = 0; k < C; k++)
                if (kind == CKR_MULTICLASS ? k == c : t[k])
                    v += mean[k * D + j];
            x[j] = 2.0 * v + 1.0 + 0.5 * (double)j;
        }
        if (i < n)
            d->y[i] = c;
        else
            d->yv[i - n] = c;
    }
    free(mean);
    ckr_pair *p = &d->pair;
    p->ckpt = "ck";
    p->task = "tk";
    p->kind = kind;
    p->num_classes = C;
    int ml = kind == CKR_MULTILABEL;
    p->train = (ckr_labels){ n, ml ? NULL : d->y, ml ? d->Y : NULL };
    p->val = (ckr_labels){ m, ml ? NULL : d->yv, ml ? d->Yv : NULL };
    p->train_features = (ckr_matrix){ n, D, d->X };
    p->val_features = (ckr_matrix){ m, D, d->Xv };
    if (H) {
        d->W = malloc(D * H * sizeof(double));
        d->b = malloc(H * sizeof(double));
        for (size_t i = 0; i < D * H; i++)
            d->W[i] = 0.3 * ckr_rng_normal(&rng);
        for (size_t i = 0; i < H; i++)
            d->b[i] = ckr_rng_normal(&rng);
        p->top_weights = (ckr_matrix){ D, H, d->W };
        p->top_bias = d->b;
    }
}

static void free_data(data *d)
{
    free(d->X);
    free(d->Xv);
    free(d->y);
    free(d->yv);
    free(d->Y);
    free(d->Yv);
    free(d->W);
    free(d->b);
}

/* After one full-batch step with a tiny lr from a zero head, the logits are
 * lr * (A_val A^T (Y - 1/C) / n + freq - 1/C) with A = relu(X W + b) of the
 * RAW features: numpy computes that accuracy independently.  Equal
 * accuracies mean the checkpoint layer was loaded (and, with standardize=1,
 * folded into standardised coordinates) exactly. */
static void test_one_step_from_top_layer(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTICLASS, 300, 400, 7, 4, 9, 1);
    char path[300], cmd[800], out[320];
    snprintf(path, sizeof path, "%s/ft.txt", ckr_test_tmpdir());
    FILE *f = fopen(path, "w");
    fprintf(f, "0 %zu %zu 0 %zu %d %zu\n", d.n, d.m, d.D, d.C, d.H);
    for (size_t i = 0; i < d.n + d.m; i++) {
        const double *x = i < d.n ? d.X + i * d.D : d.Xv + (i - d.n) * d.D;
        fprintf(f, "%d", i < d.n ? d.y[i] : d.yv[i - d.n]);
        for (size_t j = 0; j < d.D; j++)
            fprintf(f, " %.17g", x[j]);
        fprintf(f, "\n");
    }
    for (size_t j = 0; j < d.D; j++) {
        for (size_t h = 0; h < d.H; h++)
            fprintf(f, "%.17g ", d.W[j * d.H + h]);
        fprintf(f, "\n");
    }
    for (size_t h = 0; h < d.H; h++)
        fprintf(f, "%.17g ", d.b[h]);
    fprintf(f, "\n");
    fclose(f);
    snprintf(out, sizeof out, "%s.out", path);
    snprintf(cmd, sizeof cmd, CKR_PY " tests/ref_train.py onestep %s > %s", path, out);
    assert_int_equal(ckr_test_sh(cmd), 0);
    f = fopen(out, "r");
    double ref = NAN;
    assert_int_equal(fscanf(f, "%lf", &ref), 1);
    fclose(f);
    const char *specs[2] = { "finetune:steps=1,lr=1e-9,batch=300",
                             "finetune:steps=1,lr=1e-9,batch=300,standardize=0" };
    for (int t = 0; t < 2; t++) {
        ckr_result r = run_spec(specs[t], &d.pair, 5);
        print_message("%s: %.4f (numpy %.4f) [%s]\n", specs[t], r.score, ref, r.info);
        assert_string_equal(r.status, "ok");
        assert_non_null(strstr(r.info, "init=top H=9"));
        /* at most one near-tie may flip */
        assert_true(fabs(r.score - ref) <= 1.5 / (double)d.m);
    }
    /* from scratch the same step gives another model */
    ckr_result s = run_spec("finetune:steps=1,lr=1e-9,batch=300,init=scratch", &d.pair, 5);
    assert_non_null(strstr(s.info, "init=scratch H=256"));
    /* a width other than the checkpoint's cannot start from it */
    s = run_spec("finetune:steps=1,hidden=5", &d.pair, 5);
    assert_non_null(strstr(s.info, "init=scratch H=5"));
    free_data(&d);
}

/* XOR of two coordinates: no linear probe can do better than chance, a
 * hidden ReLU layer trained from scratch solves it. */
static void test_learns_nonlinear_task(void **state)
{
    (void)state;
    enum { N = 2000, M = 500, D = 4 };
    data d;
    make_data(&d, CKR_MULTICLASS, N, M, D, 2, 0, 2);
    ckr_rng rng;
    ckr_rng_seed(&rng, 3);
    for (size_t i = 0; i < N + M; i++) {
        double *x = i < N ? d.X + i * D : d.Xv + (i - N) * D;
        for (size_t j = 0; j < D; j++)
            x[j] = 2.0 * ckr_rng_uniform(&rng) - 1.0;
        int c = (x[0] > 0) != (x[1] > 0);
        if (i < N)
            d.y[i] = c;
        else
            d.yv[i - N] = c;
    }
    ckr_result lin = run_spec("linear", &d.pair, 1);
    ckr_result ft = run_spec("finetune:epochs=60,lr=0.1,batch=64,hidden=32", &d.pair, 1);
    print_message("linear %.4f, finetune %.4f [%s]\n", lin.score, ft.score, ft.info);
    assert_string_equal(ft.status, "ok");
    assert_true(lin.score < 0.65);
    assert_true(ft.score > 0.93);
    assert_non_null(strstr(ft.info, "init=scratch H=32"));
    free_data(&d);
}

static void test_steps_epochs_flops(void **state)
{
    (void)state;
    enum { N = 1100, M = 200, D = 16, C = 3, H = 24 };
    data d;
    make_data(&d, CKR_MULTICLASS, N, M, D, C, H, 4);
    ckr_flops_reset();
    ckr_result r = run_spec("finetune:epochs=2", &d.pair, 1);
    double fl = ckr_flops_get();
    print_message("epochs=2: %.4f %.3g FLOPs [%s]\n", r.score, fl, r.info);
    assert_string_equal(r.status, "ok");
    assert_int_equal((int)info_number(r.info, "steps="), 3 * 2); /* ceil(1100/512) = 3 */
    /* per sample: forward 2(DH + HC), backward >= 2DH + 4HC */
    double fwd = 2.0 * N * 2 * (D * H + H * C);
    assert_true(fl >= 2.0 * fwd);
    assert_true(fl <= 4.0 * fwd + 2.0 * M * (D * H + H * C) * 3 + 1e6);
    ckr_result s = run_spec("finetune:epochs=2,steps=7", &d.pair, 1);
    assert_int_equal((int)info_number(s.info, "steps="), 7); /* steps wins */
    ckr_result a = run_spec("finetune:steps=40", &d.pair, 8);
    ckr_result b = run_spec("finetune:steps=40", &d.pair, 8);
    assert_memory_equal(&a.score, &b.score, sizeof(double));
    assert_true(a.score > 1.0 / C);
    /* values that would fail every item are refused when the spec is parsed */
    spec_refused("finetune:epochs=0", "epochs=0 is out of range (must be >= 1 when steps is 0)");
    spec_refused("finetune:momentum=1", "momentum=1 is out of range (must be in [0, 1))");
    free_data(&d);
}

/* finetune:lr=0.001|0.01|0.1,steps=500|1000 is one work item per grid point. */
static void test_sweep_expands(void **state)
{
    (void)state;
    ckr_spec *specs = NULL;
    size_t n = 0;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse_list("finetune:lr=0.001|0.01|0.1,steps=500|1000,hidden=64",
                                         &specs, &n, &err), 0);
    assert_int_equal(n, 6);
    int seen[3][2] = { { 0 } };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(specs[i].method->name, "finetune");
        assert_non_null(strchr(specs[i].sweep, '|'));
        assert_null(strchr(specs[i].text, '|'));
        const ckr_finetune_cfg *c = ckr_params_config(&specs[i].params);
        double lr = c->lr;
        long steps = c->steps;
        assert_int_equal(c->hidden, 64);
        int li = lr == 0.001 ? 0 : lr == 0.01 ? 1 : lr == 0.1 ? 2 : -1;
        int si = steps == 500 ? 0 : steps == 1000 ? 1 : -1;
        assert_true(li >= 0 && si >= 0);
        seen[li][si]++;
    }
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++)
            assert_int_equal(seen[a][b], 1);
    free(specs);
    /* a bad value inside a sweep is refused */
    assert_int_not_equal(ckr_spec_parse_list("finetune:lr=0.1|x", &specs, &n, &err), 0);
    assert_int_equal(ckr_spec_parse_list("finetune:lr=0.1|-1", &specs, &n, &err), CKR_EARG);
    assert_non_null(strstr(err.msg, "lr=-1 is out of range (must be > 0)"));
}

static void test_multilabel_head(void **state)
{
    (void)state;
    data d;
    make_data(&d, CKR_MULTILABEL, 800, 300, 6, 4, 0, 6);
    ckr_result r = run_spec("finetune:epochs=20,lr=0.05,batch=64,hidden=32", &d.pair, 2);
    ckr_result z = run_spec("finetune:steps=1,lr=1e-12,hidden=32", &d.pair, 2);
    print_message("multilabel mAP %.4f (untrained %.4f) [%s]\n", r.score, z.score, r.info);
    assert_string_equal(r.status, "ok");
    assert_non_null(strstr(r.info, "metric=mAP"));
    assert_true(r.score > z.score + 0.05);
    assert_true(r.score <= 1.0);
    /* test split: heldout is the mAP there */
    d.pair.test = d.pair.val;
    d.pair.test_features = d.pair.val_features;
    r = run_spec("finetune:epochs=2,hidden=16", &d.pair, 2);
    assert_memory_equal(&r.score, &r.heldout, sizeof(double));
    free_data(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_step_from_top_layer),
        cmocka_unit_test(test_learns_nonlinear_task),
        cmocka_unit_test(test_steps_epochs_flops),
        cmocka_unit_test(test_sweep_expands),
        cmocka_unit_test(test_multilabel_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
