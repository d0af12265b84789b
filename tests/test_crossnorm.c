/* test_crossnorm.c -- the min-max normalisation across a task's checkpoints
 * (report/crossnorm.h) on hand-worked rows; the terms' text round trip;
 * merge comparing raw terms, not normalised scores. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/crossnorm.h"
#include "report/merge.h"

static ckr_score_row row(const char *ck, const char *task, const char *method, const char *st,
                         const char *terms, double score)
{
    ckr_score_row r;
    memset(&r, 0, sizeof r);
    snprintf(r.ckpt, sizeof r.ckpt, "%s", ck);
    snprintf(r.task, sizeof r.task, "%s", task);
    snprintf(r.method, sizeof r.method, "%s", method);
    snprintf(r.status, sizeof r.status, "%s", st);
    snprintf(r.terms, sizeof r.terms, "%s", terms);
    r.score = score;
    r.heldout = NAN;
    return r;
}

/* the rows: etran on task A (3 ok + 1 failed) and B (one checkpoint), ncti
 * on A, an sfda row, an etran sweep summary, an ncti row without terms (a
 * CSV without the column: left as read), rows with bad terms, tasks D and E
 * whose rows disagree on the weights or the number of terms (all bad) */
static size_t fill(ckr_score_row *r)
{
    size_t n = 0;
    r[n++] = row("a", "A", "etran", "ok", "0.15:1 0.85:0.5", 99.0);
    r[n++] = row("b", "A", "etran", "ok", "0.15:2 0.85:0.90000000000000002", 99.0);
    r[n++] = row("c", "A", "etran", "ok", "0.15:3 0.85:0.7", 99.0);
    r[n++] = row("d", "A", "etran", "failed", "", NAN);
    r[n++] = row("e", "D", "etran", "ok", "0.15:1 0.85:1", 99.0);
    r[n++] = row("f", "D", "etran", "ok", "0.15:1 0.5:0.1", 99.0); /* other weights */
    r[n++] = row("g", "E", "etran", "ok", "0.15:1 0.85:1", 99.0);
    r[n++] = row("h", "E", "etran", "ok", "0.15:1", 99.0); /* one term of two */
    r[n++] = row("a", "B", "etran", "ok", "0.15:5 0.85:0.3", 99.0);
    r[n++] = row("a", "A", "ncti", "ok", "1:10 1:0.9 -1:2", 99.0);
    r[n++] = row("b", "A", "ncti", "ok", "1:20 1:0.8 -1:3", 99.0);
    r[n++] = row("c", "A", "ncti", "ok", "1:15 1:1 -1:2.5", 99.0);
    r[n++] = row("d", "A", "ncti", "ok", "1:15 1:x -1:2.5", 99.0); /* not numbers */
    r[n++] = row("a", "A", "sfda", "ok", "", 0.25);
    r[n] = row("a", "A", "etran:form=intended|released", "ok", "0.15:1 0.85:0.5", 7.0);
    snprintf(r[n].sweep, sizeof r[n].sweep, "%s", r[n].method);
    n++;
    r[n++] = row("a", "C", "ncti", "ok", "", 3.0);
    return n;
}

static void check(const ckr_score_row *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const ckr_score_row *x = &r[i];
        double want = NAN;
        int bad = !strcmp(x->task, "D") || !strcmp(x->task, "E") ||
                  (!strcmp(x->ckpt, "d") && !strcmp(x->method, "ncti"));
        if (bad) {
            assert_string_equal(x->status, "bad-data");
            assert_non_null(strstr(x->message, "cannot normalise"));
        } else if (!strcmp(x->ckpt, "d")) {
            assert_string_equal(x->status, "failed");
        } else if (!strcmp(x->method, "etran") && !strcmp(x->task, "A")) {
            /* energy 1..3 -> 0, .5, 1; lda .5, .9, .7 -> 0, 1, .5 */
            want = !strcmp(x->ckpt, "a") ? 0.0 : !strcmp(x->ckpt, "b") ? 0.15 * 0.5 + 0.85
                                                                       : 0.15 + 0.85 * 0.5;
        } else if (!strcmp(x->method, "etran")) {
            want = 0.0; /* one checkpoint: max == min, every term contributes 0 */
        } else if (!strcmp(x->method, "ncti") && !strcmp(x->task, "A")) {
            /* seli 0, 1, .5; ncc .5, 0, 1; vc 0, 1, .5: seli + ncc - vc */
            want = !strcmp(x->ckpt, "a") ? 0.5 : !strcmp(x->ckpt, "b") ? 0.0 : 1.0;
        } else if (!strcmp(x->method, "ncti")) {
            want = 3.0; /* no terms: as read */
        } else if (!strcmp(x->method, "sfda")) {
            want = 0.25;
        } else {
            want = 7.0; /* a sweep summary: untouched */
        }
        if (isnan(want))
            assert_true(isnan(x->score));
        else if (fabs(x->score - want) > 1e-15)
            fail_msg("%s %s %s: %.17g, want %.17g", x->ckpt, x->task, x->method, x->score, want);
    }
}

static void test_hand_worked(void **state)
{
    (void)state;
    ckr_score_row r[20], p[20];
    ckr_err err = { 0, "" };
    size_t n = fill(r);
    assert_int_equal(ckr_crossnorm_apply(r, n, &err), 0);
    check(r, n);
    assert_string_equal(r[3].status, "failed");
    /* reversed order: the same bits */
    fill(p);
    for (size_t i = 0; i < n / 2; i++) {
        ckr_score_row t = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = t;
    }
    assert_int_equal(ckr_crossnorm_apply(p, n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_memory_equal(&p[n - 1 - i].score, &r[i].score, sizeof(double));
    /* applying twice changes nothing */
    assert_int_equal(ckr_crossnorm_apply(r, n, &err), 0);
    check(r, n);
}

static void test_terms_text(void **state)
{
    (void)state;
    double t[4] = { 0.1 + 0.2, -1e-300, 1.0 / 3.0, 123456789.123456789 }, u[4], v[4];
    double w[4] = { 0.15, 0.85, -1.0, 1e-3 };
    char buf[sizeof(((ckr_score_row *)0)->terms)];
    ckr_terms_format(w, t, 4, buf, sizeof buf);
    assert_int_equal(ckr_terms_parse(buf, v, u, 4), 4);
    assert_memory_equal(t, u, sizeof t);
    assert_memory_equal(w, v, sizeof w);
    assert_non_null(strstr(buf, "0.15:0.30000000000000004 0.85:")); /* shortest exact forms */
    double w2[2] = { 1.0, -1.0 }, t2[2] = { 2.5, 0.25 };
    ckr_terms_format(w2, t2, 2, buf, sizeof buf);
    assert_string_equal(buf, "1:2.5 -1:0.25");
    ckr_terms_format(w, t, 0, buf, sizeof buf);
    assert_string_equal(buf, "");
    assert_int_equal(ckr_terms_parse("", v, u, 4), 0);
    assert_int_equal(ckr_terms_parse("1:2 x", v, u, 4), -1);
    assert_int_equal(ckr_terms_parse("1:nan", v, u, 4), -1);
    assert_int_equal(ckr_terms_parse("1", v, u, 4), -1);
    assert_int_equal(ckr_terms_parse("1:1 1:2 1:3 1:4 1:5", v, u, 4), -1);
    assert_int_equal(ckr_terms_parse("1:2,1:3", v, u, 4), -1);
}

/* shards of one task: each file's normalised scores differ, its raw terms
 * agree; the merge renormalises over all rows */
static void test_merge(void **state)
{
    (void)state;
    ckr_results in[2];
    memset(in, 0, sizeof in);
    ckr_score_row a[3], b[2];
    a[0] = row("a", "A", "etran", "ok", "0.15:1 0.85:0.5", 0.0);
    a[1] = row("b", "A", "etran", "ok", "0.15:2 0.85:0.9", 1.0);
    a[2] = row("c", "A", "etran", "ok", "0.15:3 0.85:0.7", 0.5);
    b[0] = row("c", "A", "etran", "ok", "0.15:3 0.85:0.7", 0.0); /* shard-local score */
    b[1] = row("d", "A", "etran", "ok", "0.15:4 0.85:0.1", 1.0);
    in[0].scores = a;
    in[0].n_scores = 3;
    in[1].scores = b;
    in[1].n_scores = 2;
    const char *names[2] = { "s0.h5", "s1.h5" };
    ckr_results out;
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_merge(in, names, 2, &out, &err), 0);
    assert_int_equal(out.n_scores, 4);
    /* energy 1..4 -> 0, 1/3, 2/3, 1; lda .5 .9 .7 .1 -> .5, 1, .75, 0 */
    double want[4] = { 0.85 * 0.5, 0.15 / 3.0 + 0.85, 0.15 * 2.0 / 3.0 + 0.85 * 0.75, 0.15 };
    for (size_t i = 0; i < 4; i++)
        assert_true(fabs(out.scores[i].score - want[i]) <= 1e-15);
    ckr_results_free(&out);
    b[0] = row("c", "A", "etran", "ok", "0.15:3 0.85:0.75", 0.5); /* different terms: refused */
    assert_int_equal(ckr_results_merge(in, names, 2, &out, &err), CKR_EDATA);
    assert_non_null(strstr(err.msg, "disagree"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_worked),
        cmocka_unit_test(test_terms_text),
        cmocka_unit_test(test_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
