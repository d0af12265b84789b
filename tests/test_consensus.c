/* test_consensus.c -- ranks, consensus and agreement (metrics/consensus.h)
 * against hand-worked values and against scipy (tests/ref_consensus.py) on
 * random score tables with ties, missing scores and sweep grid points. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/consensus.h"
#include "report/ranking_out.h"
#include "testutil.h"

static ckr_score_row row(const char *ck, const char *task, const char *m, const char *sweep,
                         double s)
{
    ckr_score_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.ckpt, sizeof r.ckpt, "%s", ck);
    snprintf(r.task, sizeof r.task, "%s", task);
    snprintf(r.method, sizeof r.method, "%s", m);
    snprintf(r.sweep, sizeof r.sweep, "%s", sweep);
    r.score = s;
    snprintf(r.status, sizeof r.status, "%s", isnan(s) ? "failed" : "ok");
    r.seconds = r.gflops = r.heldout = NAN;
    return r;
}

static void test_rank_desc(void **state)
{
    (void)state;
    /* 5 5 5 take positions 1..3 (mean 2), 3 is 4th, 1 is 5th */
    const double s[] = { 5, 1, 5, 3, 5 };
    const double want[] = { 2, 5, 2, 4, 2 };
    double r[5];
    assert_int_equal(ckr_rank_desc(s, 5, r), 0);
    for (int i = 0; i < 5; i++)
        assert_true(r[i] == want[i]);
    /* two pairs of ties: 2 2 | 1 1 -> 1.5 1.5 3.5 3.5 */
    const double s2[] = { 1, 2, 1, 2 };
    const double want2[] = { 3.5, 1.5, 3.5, 1.5 };
    assert_int_equal(ckr_rank_desc(s2, 4, r), 0);
    for (int i = 0; i < 4; i++)
        assert_true(r[i] == want2[i]);
    assert_int_equal(ckr_rank_desc(s, 0, r), 0);
}

/* The worked example of the test file (and README "Which checkpoint?"):
 *   m1: a=3 b=1 c=2 d=2        ranks a 1, c 2.5, d 2.5, b 4
 *   m2: a=.1 b=.9 c=.5 (d failed)  ranks b 1, c 2, a 3
 *   g:  grid point of sweep "g:x=1|2": a=1 b=2 (ranked, does not vote)
 * consensus: a (1+3)/2 = 2, c (2.5+2)/2 = 2.25, b (4+1)/2 = 2.5 and d 2.5/1
 * = 2.5 (tie: b before d by name); tau(m1, m2) over a, b, c: every pair
 * discordant, -1. Task u has one voting method: no consensus. */
static size_t make_example(ckr_score_row *r)
{
    size_t n = 0;
    r[n++] = row("d", "t", "m1", "", 2);
    r[n++] = row("a", "t", "m1", "", 3);
    r[n++] = row("b", "t", "m1", "", 1);
    r[n++] = row("c", "t", "m1", "", 2);
    r[n++] = row("a", "t", "m2", "", 0.1);
    r[n++] = row("b", "t", "m2", "", 0.9);
    r[n++] = row("c", "t", "m2", "", 0.5);
    r[n++] = row("d", "t", "m2", "", NAN);
    r[n++] = row("a", "t", "g:x=1", "g:x=1|2", 1);
    r[n++] = row("b", "t", "g:x=1", "g:x=1|2", 2);
    r[n++] = row("a", "u", "m1", "", 7);
    r[n++] = row("b", "u", "m1", "", 8);
    r[n++] = row("a", "t", "m1", "", -100); /* a duplicate: the first row counts */
    return n;
}

static void check_example(const ckr_ranking *k)
{
    static const struct {
        const char *task, *method, *ckpt;
        double rank, score;
        int n;
    } want[] = {
        { "t", "consensus", "a", 1, 2, 2 },   { "t", "consensus", "c", 2, 2.25, 2 },
        { "t", "consensus", "b", 3, 2.5, 2 }, { "t", "consensus", "d", 4, 2.5, 1 },
        { "t", "m1", "a", 1, 3, 1 },          { "t", "m1", "c", 2.5, 2, 1 },
        { "t", "m1", "d", 2.5, 2, 1 },        { "t", "m1", "b", 4, 1, 1 },
        { "t", "m2", "b", 1, 0.9, 1 },        { "t", "m2", "c", 2, 0.5, 1 },
        { "t", "m2", "a", 3, 0.1, 1 },        { "t", "g:x=1", "b", 1, 2, 1 },
        { "t", "g:x=1", "a", 2, 1, 1 },       { "u", "m1", "b", 1, 8, 1 },
        { "u", "m1", "a", 2, 7, 1 },
    };
    size_t nw = sizeof want / sizeof want[0];
    assert_int_equal(k->n_rows, nw);
    for (size_t i = 0; i < nw; i++) {
        const ckr_rank_row *r = &k->rows[i];
        assert_string_equal(r->task, want[i].task);
        assert_string_equal(r->method, want[i].method);
        assert_string_equal(r->ckpt, want[i].ckpt);
        assert_true(r->rank == want[i].rank);
        assert_true(r->score == want[i].score);
        assert_int_equal(r->n_methods, want[i].n);
        assert_int_equal(r->n_voters, strcmp(r->method, "consensus") ? 1 : 2);
    }
    assert_int_equal(k->n_agree, 1);
    assert_string_equal(k->agree[0].task, "t");
    assert_string_equal(k->agree[0].method_a, "m1");
    assert_string_equal(k->agree[0].method_b, "m2");
    assert_true(k->agree[0].tau == -1.0);
    assert_int_equal(k->agree[0].n_common, 3);
}

static void test_worked_example(void **state)
{
    (void)state;
    ckr_score_row r[16];
    size_t n = make_example(r);
    ckr_ranking k;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_ranking_compute(r, n, &k, &err), 0);
    check_example(&k);
    /* the consensus metrics rows: score = -mean rank */
    ckr_score_row *all = NULL;
    size_t na = 0;
    assert_int_equal(ckr_consensus_score_rows(r, n, &k, &all, &na, &err), 0);
    assert_int_equal(na, n + 4);
    assert_string_equal(all[n].method, "consensus");
    assert_string_equal(all[n].ckpt, "a");
    assert_true(all[n].score == -2.0);
    assert_string_equal(all[n + 3].ckpt, "d");
    assert_true(all[n + 3].score == -2.5);
    free(all);
    ckr_ranking_free(&k);

    /* the order of the rows does not matter, but for the duplicate (kept
     * after its original) and the methods' first appearance (kept) */
    static const size_t perm[] = { 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 12 };
    ckr_score_row rev[16];
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        rev[nr++] = r[perm[i]];
    assert_int_equal(ckr_ranking_compute(rev, nr, &k, &err), 0);
    check_example(&k);
    ckr_ranking_free(&k);

    /* a later duplicate marked best (a sweep's chosen row) replaces the first:
     * m1 a = 0.5 makes a last in m1 (rank 4), b 3, c and d 1.5 */
    r[n] = row("a", "t", "m1", "", 0.5);
    r[n++].best = 1;
    assert_int_equal(ckr_ranking_compute(r, n, &k, &err), 0);
    assert_string_equal(k.rows[4].method, "m1");
    assert_string_equal(k.rows[4].ckpt, "c");
    assert_true(k.rows[4].rank == 1.5);
    assert_string_equal(k.rows[7].ckpt, "a");
    assert_true(k.rows[7].rank == 4);
    ckr_ranking_free(&k);
    n--;

    /* a "consensus" method in the input is ignored */
    r[n++] = row("a", "t", "consensus", "", 99);
    assert_int_equal(ckr_ranking_compute(r, n, &k, &err), 0);
    check_example(&k);
    ckr_ranking_free(&k);

    assert_int_equal(ckr_ranking_compute(NULL, 0, &k, &err), 0);
    assert_int_equal(k.n_rows, 0);
    assert_int_equal(k.n_agree, 0);
    ckr_ranking_free(&k);
}

static char *print_to_string(const ckr_ranking *k, int top)
{
    static char buf[4096];
    FILE *f = tmpfile();
    assert_non_null(f);
    ckr_ranking_print(f, k, top);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The stdout ranking of the worked example, by hand: column widths are the
 * widest cell shown (the last column unpadded). */
static void test_print(void **state)
{
    (void)state;
    ckr_score_row r[16];
    size_t n = make_example(r);
    ckr_ranking k;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_ranking_compute(r, n, &k, &err), 0);
    assert_string_equal(print_to_string(&k, 2),
        "task t: the best 2 of 4 checkpoints (consensus: mean rank over 2 methods, lower = better)\n"
        "rank  consensus  m1   m2     g:x=1\n"
        "   1  a 2.00     a 3  b 0.9  b 2\n"
        "   2  c 2.25     c 2  c 0.5  a 1\n"
        "\n"
        "task u: the best 2 of 2 checkpoints\n"
        "rank  m1\n"
        "   1  b 8\n"
        "   2  a 7\n");
    /* d has a score from 1 of the 2 methods */
    assert_non_null(strstr(print_to_string(&k, 4), "\n   4  d 2.50 (1/2)  b 1  "));
    ckr_ranking_free(&k);
}

/* ---- against scipy ------------------------------------------------------------ */

static uint64_t rng_state = 88172645463325252ull;
static double rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static const char *ref_script(void)
{
    static char path[1024];
    const char *dir = getenv("CKR_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/ref_consensus.py", dir ? dir : ".");
    return path;
}

static void test_against_scipy(void **state)
{
    (void)state;
    const char *methods[] = { "m1", "m2", "m3", "s:x=1", "s:x=2", "s:x=1|2", "m4" };
    const char *sweeps[] = { "", "", "", "s:x=1|2", "s:x=1|2", "s:x=1|2", "" };
    const int nm = 7, nt = 5, nc = 23;
    size_t cap = (size_t)nm * nt * nc, n = 0;
    ckr_score_row *r = malloc(cap * sizeof *r);
    assert_non_null(r);
    for (int t = 0; t < nt; t++)
        for (int m = 0; m < nm; m++) {
            if (t == 4 && m != 0 && m != 3)
                continue; /* task e: one voter and a grid point: no consensus */
            for (int c = 0; c < nc; c++) {
                char ck[16], task[16];
                snprintf(ck, sizeof ck, "ck%02d", (c * 7) % nc);
                snprintf(task, sizeof task, "task%c", 'a' + t);
                double u = rnd();
                if (u < 0.1 && t != 3)
                    continue; /* missing row */
                /* coarse scores give ties; some not ok */
                double s = t == 1 ? floor(rnd() * 4) : rnd();
                if (u > 0.93)
                    s = NAN;
                r[n++] = row(ck, task, methods[m], sweeps[m], s);
            }
        }
    const char *dir = ckr_test_tmpdir();
    char in[512], out[512], cmd[4096];
    snprintf(in, sizeof in, "%s/consensus_in.txt", dir);
    snprintf(out, sizeof out, "%s/consensus_out.txt", dir);
    FILE *f = fopen(in, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %s %s %s %.17g\n", r[i].ckpt, r[i].task, r[i].method,
                r[i].sweep[0] ? r[i].sweep : "-", r[i].score);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s %s %s %s", CKR_PY, ref_script(), in, out);
    assert_int_equal(ckr_test_sh(cmd), 0);

    ckr_ranking k;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_ranking_compute(r, n, &k, &err), 0);
    f = fopen(out, "r");
    assert_non_null(f);
    char line[1024];
    size_t nr = 0, na = 0;
    while (fgets(line, sizeof line, f)) {
        char kind, a[256], b[256], c[256];
        double x, y;
        int cnt;
        if (line[0] == 'R') {
            assert_int_equal(sscanf(line, "%c %255s %255s %255s %lf %lf %d", &kind, a, b, c, &x, &y,
                                    &cnt), 7);
            int found = 0;
            for (size_t i = 0; i < k.n_rows && !found; i++) {
                const ckr_rank_row *q = &k.rows[i];
                if (strcmp(q->task, a) || strcmp(q->method, b) || strcmp(q->ckpt, c))
                    continue;
                found = 1;
                assert_true(q->rank == x);
                assert_true(fabs(q->score - y) <= 1e-12 * fmax(1, fabs(y)));
                assert_int_equal(q->n_methods, cnt);
            }
            assert_true(found);
            nr++;
        } else if (line[0] == 'A') {
            assert_int_equal(sscanf(line, "%c %255s %255s %255s %lf %d", &kind, a, b, c, &x, &cnt), 6);
            int found = 0;
            for (size_t i = 0; i < k.n_agree && !found; i++) {
                const ckr_agree_row *q = &k.agree[i];
                if (strcmp(q->task, a) || strcmp(q->method_a, b) || strcmp(q->method_b, c))
                    continue;
                found = 1;
                assert_true((isnan(x) && isnan(q->tau)) || fabs(q->tau - x) <= 1e-12);
                assert_int_equal(q->n_common, cnt);
            }
            assert_true(found);
            na++;
        }
    }
    fclose(f);
    assert_int_equal(nr, k.n_rows);
    assert_int_equal(na, k.n_agree);
    assert_true(na >= 4 * 10);  /* 5 voters in 4 tasks */
    /* consensus ordering: mean ranks non-decreasing within a task */
    for (size_t i = 1; i < k.n_rows; i++)
        if (!strcmp(k.rows[i].method, "consensus") && !strcmp(k.rows[i - 1].method, "consensus") &&
            !strcmp(k.rows[i].task, k.rows[i - 1].task))
            assert_true(k.rows[i].score >= k.rows[i - 1].score);
    ckr_ranking_free(&k);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_desc),
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_against_scipy),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
