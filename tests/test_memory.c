/* test_memory.c -- bounded memory (--max-memory): the size parser, the
 * streamed scores against the whole-pair scores (blocks that do not divide
 * N, a block of one row, a block larger than N; multiclass, multilabel, the
 * N <= D path), a failing row source, LEEP/NCE on the feature-less pair,
 * and the memory formulas on hand-worked values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "methods/memory.h"
#include "methods/method.h"
#include "util/memsize.h"
#include "util/rng.h"
#include "testutil.h"

/* ---- the size parser ---------------------------------------------------- */

static void test_memsize(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t bytes; } ok[] = {
        { "16M", 16777216ULL }, { "2G", 2147483648ULL }, { "1024K", 1048576ULL },
        { "1", 1 }, { "4096", 4096 }, { "16m", 16777216ULL }, { "512MiB", 536870912ULL },
        { "3GB", 3221225472ULL }, { "1T", 1099511627776ULL }, { "100B", 100 },
        { "4194304T", 4611686018427387904ULL },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t b = 7;
        ckr_err err = { 0, "" };
        if (ckr_parse_memsize(ok[i].text, &b, &err) != 0)
            fail_msg("%s: refused: %s", ok[i].text, err.msg);
        assert_true(b == ok[i].bytes);
    }
    static const struct { const char *text, *part; } bad[] = {
        { "0", "must be > 0" }, { "0M", "must be > 0" }, { "", "not a size" },
        { "abc", "not a size" }, { "16X", "not a size" }, { "-1", "not a size" },
        { "1.5G", "not a size" }, { " 16M", "not a size" }, { "16M ", "not a size" },
        { "M", "not a size" }, { "16MM", "not a size" }, { "4194305T", "too large" },
        { "99999999999999999999999", "too large" }, { "18446744073709551616", "too large" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t b = 7;
        ckr_err err = { 0, "" };
        assert_int_equal(ckr_parse_memsize(bad[i].text, &b, &err), CKR_EARG);
        if (!strstr(err.msg, bad[i].part) || !strstr(err.msg, bad[i].text))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, err.msg, bad[i].part);
    }
    uint64_t b;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_parse_memsize(NULL, &b, &err), CKR_EARG);
}

/* ---- a pair in memory and a row source over it ------------------------- */

typedef struct {
    const ckr_matrix *F;
    size_t reads, max_rows, fail_at; /* fail_at: the read starting at this row fails (0: never) */
} memsrc;

static int memsrc_read(void *ctx, size_t row0, size_t nrows, double *out, ckr_err *err)
{
    memsrc *m = ctx;
    if (m->fail_at && row0 == m->fail_at)
        return ckr_err_set(err, CKR_EIO, "test: cannot read rows %zu..%zu", row0, row0 + nrows);
    assert_true(row0 + nrows <= m->F->rows);
    memcpy(out, m->F->data + row0 * m->F->cols, nrows * m->F->cols * sizeof *out);
    m->reads++;
    if (nrows > m->max_rows)
        m->max_rows = nrows;
    return 0;
}

/* N x D class-structured features (scale, offset), C classes or labels. */
static ckr_pair make_pair(size_t N, size_t D, int C, ckr_task_kind kind, double scale,
                          double offset, uint64_t seed)
{
    ckr_pair p;
    memset(&p, 0, sizeof p);
    ckr_rng rng;
    ckr_rng_seed(&rng, seed);
    p.kind = kind;
    p.num_classes = C;
    p.train.n = N;
    p.train_features.rows = N;
    p.train_features.cols = D;
    p.train_features.data = malloc(N * D * sizeof(double));
    if (kind == CKR_MULTILABEL)
        p.train.Y = calloc(N * (size_t)C, 1);
    else
        p.train.y = malloc(N * sizeof(int));
    for (size_t i = 0; i < N; i++) {
        int hot = (int)ckr_rng_below(&rng, (uint64_t)C);
        if (kind == CKR_MULTILABEL) {
            for (int c = 0; c < C; c++)
                p.train.Y[i * (size_t)C + (size_t)c] = ckr_rng_uniform(&rng) < 0.35;
            p.train.Y[i * (size_t)C + (size_t)hot] = 1;
        } else {
            p.train.y[i] = hot;
        }
        for (size_t j = 0; j < D; j++)
            p.train_features.data[i * D + j] =
                offset + scale * (ckr_rng_normal(&rng) + 1.5 * ((int)(j % (size_t)C) == hot));
    }
    /* logits for LEEP/NCE: noisy one-hot of the class on Z = C + 2 */
    size_t Z = (size_t)C + 2;
    p.train_logits.rows = N;
    p.train_logits.cols = Z;
    p.train_logits.data = malloc(N * Z * sizeof(double));
    for (size_t i = 0; i < N * Z; i++)
        p.train_logits.data[i] = ckr_rng_normal(&rng);
    return p;
}

static double g_budget; /* the row sources' budget (0: none) */

static ckr_result run_whole(const char *text, const ckr_pair *pair)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), 0);
    ckr_rng rng;
    ckr_rng_seed(&rng, 5);
    ckr_result r;
    memset(&r, 0, sizeof r);
    spec.method->score(pair, &spec.params, &rng, &r);
    return r;
}

/* The streamed score of `text` on pair with blocks of `block` rows: the
 * features leave the pair (data NULL) and come from a memsrc. */
static ckr_result run_stream(const char *text, const ckr_pair *pair, size_t block,
                             size_t fail_at, memsrc *used)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), 0);
    assert_non_null(spec.method->score_stream);
    ckr_pair meta = *pair;
    meta.train_features.data = NULL;
    memsrc m = { &pair->train_features, 0, 0, fail_at };
    ckr_rowsrc src = { pair->train_features.rows, pair->train_features.cols, block, memsrc_read,
                       &m, g_budget };
    ckr_rng rng;
    ckr_rng_seed(&rng, 5);
    ckr_result r;
    memset(&r, 0, sizeof r);
    spec.method->score_stream(&meta, &src, &spec.params, &rng, &r);
    if (used)
        *used = m;
    return r;
}

static const char *const closed_form[] = { "logme", "logme:form=thuml", "hscore",
                                           "hscore_shrink", "hscore:rcond=1e-3" };

static void check_stream_equals_whole(const ckr_pair *p, const char *what)
{
    static const size_t blocks[] = { 1, 7, 10, 64, 1000 };
    for (size_t k = 0; k < sizeof closed_form / sizeof closed_form[0]; k++) {
        ckr_result w = run_whole(closed_form[k], p);
        if (strcmp(w.status, "ok") != 0)
            fail_msg("%s %s: whole pair not ok: %s %s", what, closed_form[k], w.status, w.message);
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++) {
            memsrc used;
            ckr_result s = run_stream(closed_form[k], p, blocks[b], 0, &used);
            if (strcmp(s.status, "ok") != 0)
                fail_msg("%s %s block %zu: %s %s", what, closed_form[k], blocks[b], s.status,
                         s.message);
            if (!(fabs(s.score - w.score) <= 1e-10 * fabs(w.score)))
                fail_msg("%s %s block %zu: streamed %.17g, whole %.17g", what, closed_form[k],
                         blocks[b], s.score, w.score);
            /* it held at most a block of rows and read every row */
            assert_true(used.max_rows <= blocks[b]);
            assert_true(used.reads * blocks[b] >= p->train_features.rows);
        }
    }
}

static void free_pair(ckr_pair *p)
{
    free(p->train_features.data);
    free(p->train_logits.data);
    free(p->train.y);
    free(p->train.Y);
}

static void test_stream_multiclass(void **state)
{
    (void)state;
    ckr_pair p = make_pair(103, 7, 3, CKR_MULTICLASS, 1.0, 0.0, 11);
    check_stream_equals_whole(&p, "multiclass");
    free_pair(&p);
    /* large offset and scale: the centring and the 1/max|f - mu| scale */
    p = make_pair(257, 5, 4, CKR_MULTICLASS, 3e5, 1e7, 12);
    check_stream_equals_whole(&p, "offset");
    free_pair(&p);
}

static void test_stream_multilabel(void **state)
{
    (void)state;
    ckr_pair p = make_pair(131, 6, 4, CKR_MULTILABEL, 1.0, 0.5, 13);
    check_stream_equals_whole(&p, "multilabel");
    free_pair(&p);
}

/* N <= D: the kernel path, gathered whole from the blocks */
static void test_stream_small(void **state)
{
    (void)state;
    ckr_pair p = make_pair(6, 9, 2, CKR_MULTICLASS, 1.0, 0.0, 14);
    check_stream_equals_whole(&p, "N<=D");
    free_pair(&p);
}

static void test_stream_read_fails(void **state)
{
    (void)state;
    ckr_pair p = make_pair(50, 4, 3, CKR_MULTICLASS, 1.0, 0.0, 15);
    for (size_t k = 0; k < sizeof closed_form / sizeof closed_form[0]; k++) {
        ckr_result r = run_stream(closed_form[k], &p, 8, 16, NULL);
        assert_string_equal(r.status, ckr_err_word(CKR_EIO));
        assert_non_null(strstr(r.message, "cannot read rows 16..24"));
    }
    /* labels that do not match the rows: the whole pair's check and message */
    p.train.n = 49;
    ckr_result r = run_stream("logme", &p, 8, 0, NULL), w;
    p.train.n = 50;
    assert_non_null(strstr(r.message, "train labels have 49 samples but features 50"));
    /* no row source at all: needs features */
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse("hscore", &spec, &err), 0);
    ckr_pair meta = p;
    meta.train_features.data = NULL;
    memset(&w, 0, sizeof w);
    spec.method->score_stream(&meta, NULL, &spec.params, NULL, &w);
    assert_string_equal(w.status, ckr_err_word(CKR_ENEEDS));
    free_pair(&p);
}

/* LEEP and NCE need no features: the same score on the feature-less pair */
static void test_featureless(void **state)
{
    (void)state;
    ckr_pair p = make_pair(80, 4, 3, CKR_MULTICLASS, 1.0, 0.0, 16);
    const char *m[] = { "leep", "nce" };
    for (int k = 0; k < 2; k++) {
        ckr_result w = run_whole(m[k], &p);
        ckr_result s = run_stream(m[k], &p, 16, 0, NULL);
        assert_string_equal(w.status, "ok");
        assert_string_equal(s.status, "ok");
        assert_true(s.score == w.score);
    }
    free_pair(&p);
}

/* NLEEP: the PCA over row blocks, then nleep's own mixture on the scores */
static void test_nleep_stream(void **state)
{
    (void)state;
    ckr_pair p = make_pair(2100, 6, 3, CKR_MULTICLASS, 1.0, 0.0, 17);
    const char *specs[] = { "nleep", "nleep:pca=0.95,cov=diag", "nleep:pca=2", "nleep:pca=0" };
    for (int k = 0; k < 4; k++) {
        ckr_result w = run_whole(specs[k], &p);
        assert_string_equal(w.status, "ok");
        /* blocks of at least linalg/pca.c's 1024-row chunk: the same sums, the same bits */
        ckr_result s = run_stream(specs[k], &p, 4096, 0, NULL);
        assert_string_equal(s.status, "ok");
        if (s.score != w.score)
            fail_msg("%s: streamed %.17g, whole %.17g", specs[k], s.score, w.score);
        assert_string_equal(s.info, w.info);
        /* smaller blocks: the same up to rounding */
        s = run_stream(specs[k], &p, 100, 0, NULL);
        assert_string_equal(s.status, "ok");
        assert_close(s.score, w.score, 1e-10);
    }
    /* N < D: the rows gathered whole */
    ckr_pair q = make_pair(5, 9, 2, CKR_MULTICLASS, 1.0, 0.0, 18);
    ckr_result w = run_whole("nleep:ratio=1", &q), s = run_stream("nleep:ratio=1", &q, 2, 0, NULL);
    assert_string_equal(w.status, "ok");
    assert_true(s.score == w.score);
    free_pair(&q);
    /* a budget the mixture does not fit: over-memory after the PCA; one it
     * fits only without the E-step's caches: the same score to rounding */
    g_budget = 1e5;
    s = run_stream("nleep", &p, 4096, 0, NULL);
    assert_string_equal(s.status, "over-memory");
    assert_non_null(strstr(s.message, "the mixture needs about"));
    double lean = ckr_nleep_gmm_bytes(2100.0, 6.0, 15.0, 0, 0);
    double full = ckr_nleep_gmm_bytes(2100.0, 6.0, 15.0, 0, 1);
    assert_true(lean < full);
    w = run_whole("nleep:pca=6", &p);
    g_budget = (lean + full) / 2.0;
    s = run_stream("nleep:pca=6", &p, 4096, 0, NULL);
    g_budget = 0.0;
    assert_string_equal(s.status, "ok");
    assert_close(s.score, w.score, 1e-10);
    /* a read failure in the PCA's passes */
    s = run_stream("nleep", &p, 4096, 1024, NULL);
    assert_string_equal(s.status, ckr_err_word(CKR_EIO));
    free_pair(&p);
}

/* GBC: the PCA over row blocks, then the class Gaussians on the scores */
static void test_gbc_stream(void **state)
{
    (void)state;
    ckr_pair p = make_pair(2100, 9, 4, CKR_MULTICLASS, 1.0, 3.0, 19);
    const char *specs[] = { "gbc", "gbc:pca=3", "gbc:pca=4,cov=diag", "gbc:pca=0" };
    for (int k = 0; k < 4; k++) {
        ckr_result w = run_whole(specs[k], &p);
        assert_string_equal(w.status, "ok");
        ckr_result s = run_stream(specs[k], &p, 4096, 0, NULL);
        assert_string_equal(s.status, "ok");
        if (s.score != w.score)
            fail_msg("%s: streamed %.17g, whole %.17g", specs[k], s.score, w.score);
        assert_string_equal(s.info, w.info);
        s = run_stream(specs[k], &p, 7, 0, NULL);
        assert_string_equal(s.status, "ok");
        assert_close(s.score, w.score, 1e-10);
    }
    /* every row the same: every score 0, as the whole pair */
    for (size_t i = 0; i < p.train_features.rows * p.train_features.cols; i++)
        p.train_features.data[i] = 2.5;
    ckr_result w = run_whole("gbc:pca=3", &p), s = run_stream("gbc:pca=3", &p, 500, 0, NULL);
    assert_string_equal(w.status, "ok");
    assert_true(s.score == w.score);
    free_pair(&p);
    /* multilabel: unsupported, as the whole pair, without reading a row */
    ckr_pair ml = make_pair(50, 4, 3, CKR_MULTILABEL, 1.0, 0.0, 21);
    memsrc used;
    w = run_whole("gbc", &ml);
    s = run_stream("gbc", &ml, 8, 0, &used);
    assert_string_equal(w.status, "unsupported-multilabel");
    assert_string_equal(s.status, w.status);
    assert_string_equal(s.message, w.message);
    assert_int_equal(used.reads, 0);
    free_pair(&ml);
    /* N <= D: gathered whole */
    ckr_pair q = make_pair(8, 9, 2, CKR_MULTICLASS, 1.0, 0.0, 20);
    w = run_whole("gbc", &q);
    s = run_stream("gbc", &q, 3, 0, NULL);
    assert_string_equal(s.status, "ok");
    assert_true(s.score == w.score);
    free_pair(&q);
}

/* TransRate: the mean, then the Grams of all rows and of each class by
 * blocks, as many per pass as the budget allows */
static void test_transrate_stream(void **state)
{
    (void)state;
    ckr_pair p = make_pair(403, 6, 4, CKR_MULTICLASS, 1.0, 2.0, 22);
    const char *specs[] = { "transrate", "transrate:variant=tllib", "transrate:eps2=0.01" };
    const double budgets[] = { 0.0, 1.0, 4.5 * 1048576.0 };
    for (int k = 0; k < 3; k++) {
        ckr_result w = run_whole(specs[k], &p);
        assert_string_equal(w.status, "ok");
        for (int b = 0; b < 3; b++) {
            g_budget = budgets[b]; /* none: every Gram in one pass; tiny: one per pass */
            const size_t blocks[] = { 1, 7, 100, 5000 };
            for (int q = 0; q < 4; q++) {
                ckr_result s = run_stream(specs[k], &p, blocks[q], 0, NULL);
                assert_string_equal(s.status, "ok");
                if (!(fabs(s.score - w.score) <= 1e-10 * fabs(w.score)))
                    fail_msg("%s block %zu budget %g: streamed %.17g, whole %.17g", specs[k],
                             blocks[q], budgets[b], s.score, w.score);
            }
        }
        g_budget = 0.0;
    }
    /* a read failure in a later pass */
    ckr_result s = run_stream("transrate", &p, 100, 300, NULL);
    assert_string_equal(s.status, ckr_err_word(CKR_EIO));
    free_pair(&p);
    ckr_pair ml = make_pair(50, 4, 3, CKR_MULTILABEL, 1.0, 0.0, 23);
    s = run_stream("transrate", &ml, 8, 0, NULL);
    assert_string_equal(s.status, "unsupported-multilabel");
    free_pair(&ml);
    ckr_pair q = make_pair(6, 9, 2, CKR_MULTICLASS, 1.0, 0.0, 24);
    ckr_result w = run_whole("transrate", &q);
    s = run_stream("transrate", &q, 4, 0, NULL);
    assert_true(s.score == w.score);
    free_pair(&q);
}

/* SFDA: six passes (sums, scatters, predictions, twice), ConfMix on the fly;
 * PARC: the sample's rows copied from the blocks, then the whole-pair
 * stages (the same bits). */
static void test_sfda_parc_stream(void **state)
{
    (void)state;
    static const size_t blocks[] = { 1, 7, 64, 1000 };
    const char *specs[] = { "sfda", "sfda:shrinkage=0.2", "parc", "parc:max_n=60",
                            "parc:dims=3" };
    ckr_pair pairs[3] = { make_pair(103, 7, 3, CKR_MULTICLASS, 1.0, 0.0, 31),
                          make_pair(257, 5, 4, CKR_MULTICLASS, 3e2, 1e1, 32),
                          make_pair(131, 6, 4, CKR_MULTILABEL, 1.0, 0.5, 33) };
    for (int q = 0; q < 3; q++)
        for (size_t k = 0; k < sizeof specs / sizeof *specs; k++) {
            ckr_result w = run_whole(specs[k], &pairs[q]);
            int ml = q == 2, sf = specs[k][0] == 's';
            assert_string_equal(w.status, ml && sf ? "unsupported-multilabel" : "ok");
            for (size_t b = 0; b < sizeof blocks / sizeof *blocks; b++) {
                memsrc used;
                ckr_result s = run_stream(specs[k], &pairs[q], blocks[b], 0, &used);
                assert_string_equal(s.status, w.status);
                if (ml && sf)
                    continue;
                if (!(fabs(s.score - w.score) <= 1e-10 * fabs(w.score)) ||
                    (!sf && s.score != w.score))
                    fail_msg("%s pair %d block %zu: streamed %.17g, whole %.17g", specs[k], q,
                             blocks[b], s.score, w.score);
                assert_string_equal(s.info, w.info);
                assert_true(used.max_rows <= blocks[b]);
                assert_true(used.reads * blocks[b] >= pairs[q].train_features.rows);
            }
        }
    /* a read failure is the item's failure */
    ckr_result r = run_stream("sfda", &pairs[0], 8, 16, NULL);
    assert_string_equal(r.status, ckr_err_word(CKR_EIO));
    r = run_stream("parc", &pairs[0], 8, 16, NULL);
    assert_string_equal(r.status, ckr_err_word(CKR_EIO));
    for (int q = 0; q < 3; q++)
        free_pair(&pairs[q]);
}

/* ---- the formulas, worked by hand (README "Bounded memory") ------------ */

static double mem(const char *text, size_t N, size_t D, int C, size_t Z, size_t block)
{
    ckr_spec spec;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_spec_parse(text, &spec, &err), 0);
    ckr_pair_shape s = { N, D, Z, 0, C, CKR_MULTICLASS };
    assert_non_null(spec.method->memory);
    return spec.method->memory(&s, &spec.params, block);
}

static void test_formulas(void **state)
{
    (void)state;
    const double MiB = 1048576.0;
    /* logme, N=1000 D=10 C=3: 8 (4*100 + 3*3*10 + 8*10) + 4 MiB */
    assert_true(mem("logme", 1000, 10, 3, 0, 0) == 8.0 * 570.0 + 4.0 * MiB);
    /* streamed with blocks of 100 rows: + 8 (100*10 + 3*10) */
    assert_true(mem("logme", 1000, 10, 3, 0, 100) == 8.0 * (570.0 + 1030.0) + 4.0 * MiB);
    /* N <= D: kernel of order N = 5, and streamed the 5 x 10 rows gathered */
    assert_true(mem("logme", 5, 10, 3, 0, 0) == 8.0 * (100.0 + 45.0 + 40.0) + 4.0 * MiB);
    assert_true(mem("logme", 5, 10, 3, 0, 2) == 8.0 * (50.0 + 185.0) + 4.0 * MiB);
    /* hscore, N=1000 D=10 C=3: logme's + 8 D + the N x D block (80000 B) */
    assert_true(mem("hscore", 1000, 10, 3, 0, 0) == 8.0 * (570.0 + 10.0) + 80000.0 + 4.0 * MiB);
    assert_true(mem("hscore", 1000, 10, 3, 0, 100) == 8.0 * (570.0 + 1000.0 + 30.0 + 30.0) +
                                                          4.0 * MiB);
    /* LEEP: 8 (N Z + 2 Z C + C) + 1 MiB */
    assert_true(mem("leep", 1000, 10, 3, 20, 0) == 8.0 * (20000.0 + 120.0 + 3.0) + MiB);
    /* a larger block never needs less */
    for (size_t b = 1; b < 4096; b *= 2)
        assert_true(mem("hscore", 100000, 256, 10, 0, 2 * b) > mem("hscore", 100000, 256, 10, 0, b));
    /* sfda, N=1000 D=10 C=3: 8 (2*10000 + 400 + 110 + 3000 + 1000 + 120 + 3) + 4 (1000 + 50);
     * streamed, blocks of 100: 3*1000 + 300 in place of 2*10000 + 3000 */
    assert_true(mem("sfda", 1000, 10, 3, 0, 0) == 8.0 * 24633.0 + 4200.0 + 4.0 * MiB);
    assert_true(mem("sfda", 1000, 10, 3, 0, 100) == 8.0 * 4933.0 + 4200.0 + 4.0 * MiB);
    /* parc, N=20000 D=64 C=10, max_n 10000: n = 10010, the sample copied either way;
     * streamed + a block of 8 D and the N indices */
    assert_true(mem("parc", 20000, 64, 10, 0, 100) ==
                mem("parc", 20000, 64, 10, 0, 0) + 8.0 * (100.0 * 64.0 + 20000.0));
    for (size_t b = 1; b < 4096; b *= 2) {
        assert_true(mem("sfda", 100000, 256, 10, 0, 2 * b) > mem("sfda", 100000, 256, 10, 0, b));
        assert_true(mem("sfda", 100000, 256, 10, 0, b) < mem("sfda", 100000, 256, 10, 0, 0));
    }
    /* no streamed form */
    const char *none[] = { "linear", "finetune", "mi" };
    for (int k = 0; k < 3; k++) {
        assert_true(mem(none[k], 1000, 10, 3, 0, 100) < 0.0);
        assert_true(mem(none[k], 1000, 10, 3, 0, 0) > 0.0);
    }
    /* every method has an estimate */
    for (size_t i = 0; i < ckr_method_count(); i++)
        assert_non_null(ckr_method_at(i)->memory);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memsize),
        cmocka_unit_test(test_stream_multiclass),
        cmocka_unit_test(test_stream_multilabel),
        cmocka_unit_test(test_stream_small),
        cmocka_unit_test(test_stream_read_fails),
        cmocka_unit_test(test_featureless),
        cmocka_unit_test(test_nleep_stream),
        cmocka_unit_test(test_gbc_stream),
        cmocka_unit_test(test_transrate_stream),
        cmocka_unit_test(test_sfda_parc_stream),
        cmocka_unit_test(test_formulas),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
