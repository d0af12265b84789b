/* test_html.c -- the model of the HTML report (report/html_model.h) on a
 * small hand-built ckr_results: ids, the chosen row of each checkpoint, the
 * ground truth of each row, which rows rank, the top-scored and best
 * checkpoints, the failed items; all against values worked out by hand.
 * Then the page (report/html.h) of the same results, with and without
 * ground truth: well-formed (balanced tags; xmllint when installed) and
 * holding as many points, rings and highlighted cells as the hand values
 * say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/html.h"
#include "report/html_model.h"
#include "testutil.h"

#define ALPHA "alpha:x=<1>&y"   /* a method name that needs escaping */
#define CKC "c<&>"              /* so does a checkpoint name */

static void add_score(ckr_results *r, const char *ckpt, const char *task, const char *method,
                      double score, const char *status, int best)
{
    ckr_score_row *s = &r->scores[r->n_scores++];
    memset(s, 0, sizeof *s);
    snprintf(s->ckpt, sizeof s->ckpt, "%s", ckpt);
    snprintf(s->task, sizeof s->task, "%s", task);
    snprintf(s->method, sizeof s->method, "%s", method);
    snprintf(s->status, sizeof s->status, "%s", status);
    snprintf(s->message, sizeof s->message, "%s", strcmp(status, "ok") ? "it <failed> & said so" : "");
    s->score = score;
    s->seconds = 0.5 + (double)r->n_scores;
    s->gflops = 2.0;
    s->heldout = NAN;
    s->best = best;
}

static void add_gt(ckr_results *r, const char *ckpt, const char *task, double acc)
{
    ckr_gt_row *g = &r->gt[r->n_gt++];
    snprintf(g->ckpt, sizeof g->ckpt, "%s", ckpt);
    snprintf(g->task, sizeof g->task, "%s", task);
    g->accuracy = acc;
}

/* Tasks by name: t1 = 0, t2 = 1. Methods by first appearance: zeta = 0,
 * ALPHA = 1. Checkpoints by name: a = 0, b = 1, CKC = 2. */
static void example(ckr_results *r, int with_gt)
{
    memset(r, 0, sizeof *r);
    snprintf(r->meta.zoo, sizeof r->meta.zoo, "z<o>o.h5");
    snprintf(r->meta.command_line, sizeof r->meta.command_line, "ckptrank run 'z<o>o.h5' & more");
    r->scores = calloc(16, sizeof *r->scores);
    add_score(r, CKC, "t2", "zeta", 0.9, "ok", 0);                 /* 0 */
    add_score(r, "a", "t2", "zeta", 0.1, "ok", 0);                 /* 1 */
    add_score(r, "b", "t2", "zeta", NAN, "needs-logits", 0);       /* 2: failed */
    add_score(r, "a", "t1", "zeta", 0.3, "ok", 0);                 /* 3 */
    add_score(r, "b", "t1", "zeta", 0.7, "ok", 0);                 /* 4 */
    add_score(r, CKC, "t1", "zeta", 0.5, "ok", 0);                 /* 5: ground truth NaN */
    add_score(r, "a", "t1", ALPHA, 0.2, "ok", 0);                  /* 6: a sweep point */
    add_score(r, "a", "t1", ALPHA, 0.8, "ok", 1);                  /* 7: its best one */
    add_score(r, "b", "t1", ALPHA, 0.6, "ok", 0);                  /* 8 */
    add_score(r, "a", "t2", ALPHA, INFINITY, "numerical-error", 0); /* 9: failed */
    add_score(r, "b", "t2", ALPHA, NAN, "timeout", 0);             /* 10: failed, first of b */
    add_score(r, CKC, "t2", ALPHA, 0.4, "ok", 0);                  /* 11 */
    add_score(r, "b", "t2", ALPHA, 0.95, "ok", 0);                 /* 12: not chosen */
    r->gt = calloc(8, sizeof *r->gt);
    if (with_gt) {
        add_gt(r, "b", "t1", 0.9);
        add_gt(r, "a", "t1", 0.6);
        add_gt(r, CKC, "t1", NAN);
        add_gt(r, "d", "t1", 0.99);   /* no score row: never the best */
        add_gt(r, "b", "t2", 0.7);    /* tied with a; a is first by name */
        add_gt(r, "a", "t2", 0.7);
        add_gt(r, CKC, "t2", 0.5);
    }
    int k[1] = { 1 };
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_results_compute_metrics(r, k, 1, &err), 0);
}

static void expect_rows(const ckr_html_model *md, size_t t, size_t m, const size_t *want,
                        size_t n_want)
{
    size_t n;
    const size_t *got = ckr_html_chosen(md, t, m, &n);
    assert_int_equal(n, n_want);
    for (size_t j = 0; j < n; j++)
        assert_int_equal(got[j], want[j]);
}

static void test_model(void **state)
{
    (void)state;
    ckr_results r;
    example(&r, 1);
    ckr_html_model md;
    assert_int_equal(ckr_html_model_build(&md, &r), 0);

    assert_int_equal(md.T, 2);
    assert_int_equal(md.M, 2);
    assert_int_equal(md.ckpts.n, 3);
    assert_string_equal(md.tasks.name[0], "t1");
    assert_string_equal(md.tasks.name[1], "t2");
    assert_string_equal(md.methods.name[0], "zeta");
    assert_string_equal(md.methods.name[1], ALPHA);
    assert_string_equal(md.ckpts.name[2], CKC);
    assert_int_equal(ckr_nameset_find(&md.ckpts, "b"), 1);
    assert_int_equal(ckr_nameset_find(&md.methods, ALPHA), 1);
    assert_int_equal(ckr_nameset_find(&md.tasks, "t3"), -1);
    assert_int_equal(md.cid[0], 2);
    assert_int_equal(md.cid[12], 1);

    /* the chosen row per checkpoint: the best one of a sweep, else the first */
    expect_rows(&md, 0, 0, (const size_t[]){ 3, 4, 5 }, 3);
    expect_rows(&md, 0, 1, (const size_t[]){ 7, 8 }, 2);
    expect_rows(&md, 1, 0, (const size_t[]){ 1, 2, 0 }, 3);
    expect_rows(&md, 1, 1, (const size_t[]){ 9, 10, 11 }, 3);

    /* ground truth per row; NaN when missing or not finite */
    static const double acc[13] = { 0.5, 0.7, 0.7, 0.6, 0.9, NAN, 0.6, 0.6, 0.9, 0.7, 0.7, 0.5,
                                    0.7 };
    for (size_t i = 0; i < 13; i++) {
        if (isnan(acc[i]))
            assert_true(isnan(md.acc[i]));
        else
            assert_true(md.acc[i] == acc[i]);
    }

    /* ranked: chosen, ok, with a ground truth: 3 4 | 7 8 | 1 0 | 11 */
    static const int ranked[13] = { 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1 };
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(ckr_html_ranked(&md, i), ranked[i]);
    assert_int_equal(md.n_ranked, 7);
    assert_int_equal(md.n_ok, 10);
    assert_int_equal(md.n_bad, 3);

    /* top-scored among the chosen ok rows (row 12 scores higher but is not chosen) */
    assert_int_equal(ckr_html_top_scored(&md, 0, 0), 4);
    assert_int_equal(ckr_html_top_scored(&md, 0, 1), 7);
    assert_int_equal(ckr_html_top_scored(&md, 1, 0), 0);
    assert_int_equal(ckr_html_top_scored(&md, 1, 1), 11);

    /* best ground truth per task among the scored checkpoints */
    double best;
    size_t tied;
    const char *who = ckr_html_best_gt(&md, 0, &best, &tied);
    assert_string_equal(who, "b");
    assert_true(best == 0.9);
    assert_int_equal(tied, 1);
    who = ckr_html_best_gt(&md, 1, &best, &tied);
    assert_string_equal(who, "a");
    assert_true(best == 0.7);
    assert_int_equal(tied, 2);

    /* failed items per (method, status), sorted by method then status */
    assert_int_equal(md.n_fail, 3);
    assert_string_equal(md.fail[0].method, ALPHA);
    assert_string_equal(md.fail[0].status, "numerical-error");
    assert_string_equal(md.fail[1].method, ALPHA);
    assert_string_equal(md.fail[1].status, "timeout");
    assert_string_equal(md.fail[2].method, "zeta");
    assert_string_equal(md.fail[2].status, "needs-logits");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(md.fail[i].n, 1);

    /* the metrics row of each group and the mean row of each method */
    for (size_t t = 0; t < 2; t++)
        for (size_t m = 0; m < 2; m++) {
            const ckr_metric_row *q = md.met[t * 2 + m];
            assert_non_null(q);
            assert_string_equal(q->task, md.tasks.name[t]);
            assert_string_equal(q->method, md.methods.name[m]);
        }
    assert_int_equal(md.met[0 * 2 + 1]->n_checkpoints, 2);
    assert_int_equal(md.met[1 * 2 + 1]->n_excluded, 2);
    for (size_t m = 0; m < 2; m++) {
        assert_string_equal(md.mean[m]->task, "mean");
        assert_string_equal(md.mean[m]->method, md.methods.name[m]);
    }
    ckr_html_model_free(&md);
    assert_null(md.chosen);

    /* no score rows: an empty model */
    ckr_results empty;
    memset(&empty, 0, sizeof empty);
    assert_int_equal(ckr_html_model_build(&md, &empty), 0);
    assert_int_equal(md.T + md.M + md.ckpts.n + md.n_ranked + md.n_fail, 0);
    ckr_html_model_free(&md);
    ckr_results_free(&r);
}

/* ---- the page --------------------------------------------------------------------- */

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static size_t count(const char *text, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
        n++;
    return n;
}

/* Every start tag has its end tag, properly nested, under one <html>; the
 * text has no raw '<' or '>' outside tags and no '&' that starts no entity. */
static void check_balanced(const char *text)
{
    const char *p = strstr(text, "<html");
    assert_non_null(p);
    char stack[64][32];
    int depth = 0, roots = 0;
    while (*p) {
        if (*p == '>') {
            fail_msg("a raw '>' in the text at offset %ld", (long)(p - text));
        } else if (*p == '&') {
            size_t len = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz#0123456789");
            assert_true(len > 0 && p[1 + len] == ';');
        }
        if (*p != '<') {
            p++;
            continue;
        }
        const char *end = strchr(p, '>');
        assert_non_null(end);
        assert_null(memchr(p + 1, '<', (size_t)(end - p - 1)));
        int closing = p[1] == '/', empty = end[-1] == '/';
        const char *name = p + 1 + closing;
        size_t len = strcspn(name, " \t\n/>");
        assert_true(len > 0 && len < 32);
        if (closing) {
            assert_true(depth > 0);
            depth--;
            assert_int_equal(strlen(stack[depth]), len);
            assert_memory_equal(stack[depth], name, len);
        } else if (!empty) {
            assert_true(depth < 64);
            if (depth == 0)
                roots++;
            memcpy(stack[depth], name, len);
            stack[depth++][len] = '\0';
        }
        for (const char *q = p; q < end; q++)   /* attribute values: no raw '&' either */
            if (*q == '&')
                assert_true(strspn(q + 1, "abcdefghijklmnopqrstuvwxyz#0123456789") > 0);
        p = end + 1;
    }
    assert_int_equal(depth, 0);
    assert_int_equal(roots, 1);
}

static char *write_page(const ckr_results *r, const char *name)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", ckr_test_tmpdir(), name);
    ckr_err err = { 0, "" };
    assert_int_equal(ckr_report_write_html(path, r, &err), 0);
    if (ckr_test_sh("command -v xmllint >/dev/null") == 0) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
        assert_int_equal(ckr_test_sh(cmd), 0);
    }
    char *text = slurp(path);
    check_balanced(text);
    return text;
}

static void test_page(void **state)
{
    (void)state;
    ckr_results r;
    example(&r, 1);
    char *html = write_page(&r, "page.html");
    /* one point per ranked row, one top-scored point and one ring per panel;
     * the consensus is a method of the page: t1 zeta ranks b 1, CKC 2, a 3
     * and alpha (its best row of a) a 1, b 2: mean ranks b 1.5, a 2, CKC 2
     * (one method); t2: CKC (1+1)/2 = 1, a 2 (zeta only); with a ground
     * truth for a and b in t1 and for CKC and a in t2: 4 more points in 2
     * more panels */
    assert_int_equal(count(html, "<circle class=\"pt"), 7 + 4);
    assert_int_equal(count(html, "<circle class=\"pt top\""), 4 + 2);
    assert_int_equal(count(html, "<circle class=\"ring\""), 4 + 2);
    assert_int_equal(count(html, "<figure class=\"panel\">"), 4 + 2);
    /* the agreement of zeta and alpha: t1 over a, b (tau -1: zeta .3 < .7,
     * alpha .8 > .6), t2 over CKC alone (undefined) */
    assert_non_null(strstr(html, "<section id=\"agreement\">"));
    assert_int_equal(count(html, "<span title=\"2 checkpoints\">-1.000</span>"), 2);
    assert_int_equal(count(html, "<span title=\"1 checkpoints\">"), 2);
    /* the failed items: 3 rows in the item table, a count row per (method, status) */
    assert_int_equal(count(html, "<td class=\"msg\">it &lt;failed&gt; &amp; said so</td>"), 3);
    assert_non_null(strstr(html, "<tr><td>alpha:x=&lt;1&gt;&amp;y</td><td class=\"bad\">timeout"
                                 "</td><td class=\"num\">1</td></tr>"));
    assert_non_null(strstr(html, "2 tasks \xC2\xB7 3 checkpoints \xC2\xB7 2 methods \xC2\xB7 "
                                 "13 items, <span class=\"bad\">3 not ok</span>"));
    assert_non_null(strstr(html, "13 rows: 10 ok, 3 not ok; 7 ranked (ok and ground truth)"));
    /* the winners: best ground truth per task */
    assert_non_null(strstr(html, "<tr><td>t1</td><td><b>b</b> (0.9000)</td>"));
    assert_non_null(strstr(html, "<tr><td>t2</td><td><b>a</b> (0.7000, 2 tied)</td>"));
    assert_null(strstr(html, "id=\"scores\""));
    free(html);

    /* without ground truth: the scores are tabulated, the top one per method
     * and task highlighted (rows 4, 7, 0 and 11, and the consensus' first:
     * b in t1, CKC in t2), the rows in consensus order (t1: b, a, CKC) */
    ckr_results_free(&r);
    example(&r, 0);
    html = write_page(&r, "nogt.html");
    assert_non_null(strstr(html, "<section id=\"scores\">"));
    assert_null(strstr(html, "<circle class=\"pt"));
    assert_int_equal(count(html, "<td class=\"num best\">"), 4 + 2);
    const char *t1 = strstr(html, "<h3>task t1</h3>");
    assert_non_null(t1);
    const char *pb = strstr(t1, "<tr><td>b</td>"), *pa = strstr(t1, "<tr><td>a</td>"),
               *pc = strstr(t1, "<tr><td>c&lt;&amp;&gt;</td>");
    assert_true(pb && pa && pc && pb < pa && pa < pc);
    assert_non_null(strstr(pb, "<td class=\"num best\">1.5</td>"));
    assert_null(strstr(html, ">0.95<"));   /* row 12 is not the chosen row of b */
    free(html);
    ckr_results_free(&r);

    /* no rows at all */
    memset(&r, 0, sizeof r);
    html = write_page(&r, "empty.html");
    assert_non_null(strstr(html, "Every one of the 0 items is ok."));
    free(html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model),
        cmocka_unit_test(test_page),
    };
    return cmocka_run_group_tests(tests, NULL, ckr_test_remove_tmpdir);
}
