/* test_ranking.c -- ranking metrics against METHODS.md 13's worked examples
 * and against scipy (tests/ref_ranking.py) on random data with and without
 * ties, for both the O(m log m) and the O(m^2) tau algorithms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <unistd.h>

#include "metrics/ranking.h"
#include "testutil.h"

/* O(m^2) reference versions exported by src/metrics/ranking.c. */

#define TOL 1e-12
#define NK 6

/* got == want to TOL, or both NaN. */
static void check_val(double got, double want, const char *what, size_t icase)
{
    if (isnan(want) && isnan(got))
        return;
    if (isnan(want) != isnan(got) || !(fabs(got - want) <= TOL * fmax(1.0, fabs(want)))) {
        print_error("case %zu %s: got %.17g, scipy %.17g\n", icase, what, got, want);
        fail();
    }
}

/* ---- worked examples (METHODS.md 13) -------------------------------------- */

static void test_worked_example_distinct(void **state)
{
    (void)state;
    const double g[] = {0.90, 0.85, 0.80, 0.70, 0.60};
    const double s[] = {0.2, 0.9, 0.1, 0.8, 0.7};
    /* predicted order: 1, 3, 4, 0, 2 -- the best (0) comes 4th */
    assert_true(ckr_recall_at_k(s, g, 5, 1) == 0.0);
    assert_true(ckr_recall_at_k(s, g, 5, 3) == 0.0);
    assert_true(ckr_recall_at_k(s, g, 5, 4) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 5, 1), 0.944444444444444, 1e-12);
    assert_close(ckr_rel_at_k(s, g, 5, 3), 0.944444444444444, 1e-12);
    assert_close(ckr_rel_at_k(s, g, 5, 4), 1.0, 1e-15);
    assert_close(ckr_pearson(s, g, 5), -0.421271333, 1e-9);
    assert_close(ckr_kendall_tau_b(s, g, 5), 0.0, 1e-15);
    assert_close(ckr_kendall_tau_b_naive(s, g, 5), 0.0, 1e-15);
    assert_close(ckr_weighted_tau(s, g, 5), 0.027372263, 1e-9);
    assert_close(ckr_weighted_tau_naive(s, g, 5), 0.027372263, 1e-9);
}

static void test_worked_example_ties(void **state)
{
    (void)state;
    const double g[] = {0.9, 0.9, 0.8, 0.7};
    const double s[] = {3, 2, 2, 1};
    assert_close(ckr_pearson(s, g, 4), 0.852802865, 1e-9);
    assert_close(ckr_kendall_tau_b(s, g, 4), 0.8, 1e-14);
    assert_close(ckr_kendall_tau_b_naive(s, g, 4), 0.8, 1e-14);
    assert_close(ckr_weighted_tau(s, g, 4), 0.772153691, 1e-9);
    assert_close(ckr_weighted_tau_naive(s, g, 4), 0.772153691, 1e-9);
    /* two checkpoints share the best g: index 0 has the top score */
    assert_true(ckr_recall_at_k(s, g, 4, 1) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 4, 1), 1.0, 1e-15);
}

/* ---- recall / rel semantics ----------------------------------------------- */

static void test_recall_score_ties_lowest_index(void **state)
{
    (void)state;
    /* s tie between 0 and 1: index 0 goes first, so the best (1) is 2nd */
    const double s[] = {1, 1, 0};
    const double g[] = {0.5, 0.9, 0.1};
    assert_true(ckr_recall_at_k(s, g, 3, 1) == 0.0);
    assert_true(ckr_recall_at_k(s, g, 3, 2) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 3, 1), 0.5 / 0.9, 1e-15);
    assert_close(ckr_rel_at_k(s, g, 3, 2), 1.0, 1e-15);
    /* same vectors, tie reversed by index: now the best goes first */
    const double s2[] = {1, 1, 0};
    const double g2[] = {0.9, 0.5, 0.1};
    assert_true(ckr_recall_at_k(s2, g2, 3, 1) == 1.0);
    /* three-way tie in the middle of the order: 2 (s=5), then 0, 1, 3 */
    const double s3[] = {4, 4, 5, 4};
    const double g3[] = {0.1, 0.2, 0.3, 0.8};
    assert_true(ckr_recall_at_k(s3, g3, 4, 3) == 0.0);
    assert_close(ckr_rel_at_k(s3, g3, 4, 3), 0.3 / 0.8, 1e-15);
    assert_true(ckr_recall_at_k(s3, g3, 4, 4) == 1.0);
}

static void test_recall_any_of_tied_best(void **state)
{
    (void)state;
    /* best g = 0.9 at indices 0 and 2; order by s: 1, 2, 0 */
    const double s[] = {0, 1, 0.5};
    const double g[] = {0.9, 0.5, 0.9};
    assert_true(ckr_recall_at_k(s, g, 3, 1) == 0.0);
    assert_true(ckr_recall_at_k(s, g, 3, 2) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 3, 1), 0.5 / 0.9, 1e-15);
}

static void test_k_edges(void **state)
{
    (void)state;
    const double s[] = {0.1, 0.3, 0.2};
    const double g[] = {0.9, 0.2, 0.4};
    /* k > m: all m checkpoints */
    assert_true(ckr_recall_at_k(s, g, 3, 3) == 1.0);
    assert_true(ckr_recall_at_k(s, g, 3, 10) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 3, 10), 1.0, 1e-15);
    assert_true(ckr_recall_at_k(s, g, 3, 2) == 0.0);
    assert_close(ckr_rel_at_k(s, g, 3, 2), 0.4 / 0.9, 1e-15);
    /* k = 0 or m = 0: undefined */
    assert_true(isnan(ckr_recall_at_k(s, g, 3, 0)));
    assert_true(isnan(ckr_rel_at_k(s, g, 3, 0)));
    assert_true(isnan(ckr_recall_at_k(s, g, 0, 1)));
    assert_true(isnan(ckr_rel_at_k(s, g, 0, 1)));
    /* m = 1: the only checkpoint is the best */
    assert_true(ckr_recall_at_k(s, g, 1, 1) == 1.0);
    assert_close(ckr_rel_at_k(s, g, 1, 1), 1.0, 1e-15);
}

static void test_rel_nonpositive_max(void **state)
{
    (void)state;
    const double s[] = {1, 2, 3};
    const double gneg[] = {-0.5, -0.2, -0.9};
    const double gzero[] = {0, 0, -1};
    assert_true(isnan(ckr_rel_at_k(s, gneg, 3, 1)));
    assert_true(isnan(ckr_rel_at_k(s, gzero, 3, 2)));
    /* recall is still defined */
    assert_true(ckr_recall_at_k(s, gneg, 3, 1) == 0.0);
    assert_true(ckr_recall_at_k(s, gneg, 3, 2) == 1.0);
}

/* ---- correlations: degenerate and exact cases ----------------------------- */

static void test_degenerate(void **state)
{
    (void)state;
    const double a[] = {1, 2, 3, 4};
    const double c[] = {7, 7, 7, 7};
    double (*fn[])(const double *, const double *, size_t) = {
        ckr_pearson, ckr_kendall_tau_b, ckr_kendall_tau_b_naive, ckr_weighted_tau,
        ckr_weighted_tau_naive};
    for (size_t f = 0; f < sizeof fn / sizeof fn[0]; f++) {
        assert_true(isnan(fn[f](a, a, 0)));
        assert_true(isnan(fn[f](a, a, 1)));
        assert_true(isnan(fn[f](a, c, 4)));
        assert_true(isnan(fn[f](c, a, 4)));
        /* m = 2: exactly +-1 */
        const double x2[] = {0.3, 0.1}, y2[] = {0.2, 0.8};
        assert_true(fn[f](x2, y2, 2) == -1.0);
        assert_true(fn[f](x2, x2, 2) == 1.0);
    }
}

static void test_perfect_and_reversed(void **state)
{
    (void)state;
    enum { M = 40 };
    double s[M], g[M], r[M];
    for (int i = 0; i < M; i++) {
        s[i] = (i * 7919) % M;      /* a permutation of 0..M-1 */
        g[i] = 0.5 + 0.01 * s[i];
        r[i] = -s[i] * s[i];        /* strictly decreasing in s (s >= 0) */
    }
    assert_close(ckr_pearson(s, g, M), 1.0, 1e-15);
    assert_true(ckr_pearson(s, g, M) <= 1.0);
    assert_true(ckr_kendall_tau_b(s, g, M) == 1.0);
    assert_true(ckr_kendall_tau_b(s, r, M) == -1.0);
    assert_true(ckr_weighted_tau(s, g, M) <= 1.0);
    assert_close(ckr_weighted_tau(s, g, M), 1.0, 1e-15);
    assert_close(ckr_weighted_tau(s, r, M), -1.0, 1e-15);
    assert_true(ckr_weighted_tau(s, r, M) >= -1.0);
    assert_true(ckr_recall_at_k(s, g, M, 1) == 1.0);
    assert_true(ckr_recall_at_k(s, r, M, M - 1) == 0.0);
}

/* ---- random data against scipy -------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_u64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return (double)(next_u64() >> 11) * 0x1.0p-53;
}

enum { KIND_CONT, KIND_TIES_S, KIND_TIES_G, KIND_TIES_BOTH, KIND_HUGE, KIND_TINY, NKIND };

typedef struct {
    size_t m;
    int kind;
    double *s, *g;
} rcase;

static void fill_case(rcase *c)
{
    size_t m = c->m;
    /* few distinct values -> many ties; levels grows with m half the time */
    size_t levels = (next_u64() & 1) ? 3 : (m / 4 > 3 ? m / 4 : 3);
    for (size_t i = 0; i < m; i++) {
        double s = 10 * unif() - 5, g = unif();
        if (c->kind == KIND_TIES_S || c->kind == KIND_TIES_BOTH)
            s = (double)(next_u64() % levels) - 1;
        if (c->kind == KIND_TIES_G || c->kind == KIND_TIES_BOTH)
            g = (double)(next_u64() % levels + 1);
        if (c->kind == KIND_HUGE)
            s *= 1e200;
        if (c->kind == KIND_TINY)
            s *= 1e-200;
        c->s[i] = s;
        c->g[i] = g;
    }
}

static const size_t ks[NK] = {1, 2, 3, 5, 10, 600};

static void write_vec(FILE *f, const double *x, size_t m)
{
    for (size_t i = 0; i < m; i++)
        fprintf(f, "%s%.17g", i ? " " : "", x[i]);
    fputc('\n', f);
}

static const char *ref_script(void)
{
    static char path[1024];
    const char *dir = getenv("CKR_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/ref_ranking.py", dir ? dir : ".");
    return path;
}

static void test_against_scipy(void **state)
{
    (void)state;
    static const size_t sizes[] = {2, 3, 10, 50, 500, 2000};
    static const int reps[] = {6, 6, 4, 3, 2, 1};
    size_t ncase = 0;
    rcase cases[256];
    for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++)
        for (int kind = 0; kind < NKIND; kind++)
            for (int r = 0; r < reps[z]; r++) {
                rcase *c = &cases[ncase++];
                c->m = sizes[z];
                c->kind = kind;
                c->s = malloc(c->m * sizeof *c->s);
                c->g = malloc(c->m * sizeof *c->g);
                assert_non_null(c->s);
                assert_non_null(c->g);
                fill_case(c);
            }
    assert_true(ncase <= sizeof cases / sizeof cases[0]);

    const char *dir = ckr_test_tmpdir();
    char in[512], out[512], cmd[4096];
    snprintf(in, sizeof in, "%s/ranking_in.txt", dir);
    snprintf(out, sizeof out, "%s/ranking_out.txt", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    fprintf(f, "%zu\n", ncase);
    for (size_t i = 0; i < ncase; i++) {
        fprintf(f, "%zu %d", cases[i].m, NK);
        for (int j = 0; j < NK; j++)
            fprintf(f, " %zu", ks[j]);
        fputc('\n', f);
        write_vec(f, cases[i].s, cases[i].m);
        write_vec(f, cases[i].g, cases[i].m);
    }
    fclose(f);
    if (access(ref_script(), R_OK) != 0) {
        print_error("cannot read %s (run from the repo root or set CKR_SRCDIR)\n",
                    ref_script());
        fail();
    }
    snprintf(cmd, sizeof cmd, "%s %s %s %s", CKR_PY, ref_script(), in, out);
    assert_int_equal(ckr_test_sh(cmd), 0);

    f = fopen(out, "r");
    assert_non_null(f);
    size_t n_nan = 0, n_tau_checked = 0;
    for (size_t i = 0; i < ncase; i++) {
        const rcase *c = &cases[i];
        double want[3 + 2 * NK];
        for (int j = 0; j < 3 + 2 * NK; j++) {
            char tok[64];
            assert_int_equal(fscanf(f, "%63s", tok), 1);
            want[j] = strtod(tok, NULL);
        }
        double p = ckr_pearson(c->s, c->g, c->m);
        double kt = ckr_kendall_tau_b(c->s, c->g, c->m);
        double ktn = ckr_kendall_tau_b_naive(c->s, c->g, c->m);
        double wt = ckr_weighted_tau(c->s, c->g, c->m);
        double wtn = ckr_weighted_tau_naive(c->s, c->g, c->m);
        check_val(p, want[0], "pearson", i);
        check_val(kt, want[1], "kendall (merge sort)", i);
        check_val(ktn, want[1], "kendall (naive)", i);
        check_val(wt, want[2], "weighted tau (merge sort)", i);
        check_val(wtn, want[2], "weighted tau (naive)", i);
        for (int j = 0; j < NK; j++) {
            check_val(ckr_recall_at_k(c->s, c->g, c->m, ks[j]), want[3 + j], "recall", i);
            check_val(ckr_rel_at_k(c->s, c->g, c->m, ks[j]), want[3 + NK + j], "rel", i);
        }
        const double all[] = {p, kt, ktn, wt, wtn};
        for (size_t j = 0; j < 5; j++)
            assert_true(isnan(all[j]) || (all[j] >= -1.0 && all[j] <= 1.0));
        n_nan += isnan(want[1]);
        n_tau_checked += !isnan(want[1]) && !isnan(want[2]);
    }
    fclose(f);
    /* the comparison must not be vacuous: most cases have finite values */
    assert_true(n_tau_checked > ncase * 3 / 4);
    (void)n_nan;
    for (size_t i = 0; i < ncase; i++) {
        free(cases[i].s);
        free(cases[i].g);
    }
}

/* The two tau algorithms agree on a large tie-heavy input (integer counts:
 * Kendall must agree exactly). */
static void test_fast_equals_naive_large(void **state)
{
    (void)state;
    enum { M = 3000 };
    double *s = malloc(M * sizeof *s), *g = malloc(M * sizeof *g);
    assert_non_null(s);
    assert_non_null(g);
    for (size_t i = 0; i < M; i++) {
        s[i] = (double)(next_u64() % 37);
        g[i] = (double)(next_u64() % 11) * 0.05 + 0.002 * s[i];
    }
    assert_true(ckr_kendall_tau_b(s, g, M) == ckr_kendall_tau_b_naive(s, g, M));
    assert_close(ckr_weighted_tau(s, g, M), ckr_weighted_tau_naive(s, g, M), 1e-12);
    assert_true(ckr_kendall_tau_b(s, g, M) > 0.1);
    free(s);
    free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_distinct),
        cmocka_unit_test(test_worked_example_ties),
        cmocka_unit_test(test_recall_score_ties_lowest_index),
        cmocka_unit_test(test_recall_any_of_tied_best),
        cmocka_unit_test(test_k_edges),
        cmocka_unit_test(test_rel_nonpositive_max),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_perfect_and_reversed),
        cmocka_unit_test(test_against_scipy),
        cmocka_unit_test(test_fast_equals_naive_large),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
