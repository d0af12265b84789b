/* html.c -- the HTML report page (see html.h): its sections, drawn from the
 * model of html_model.h, with the charts of html_charts.h. */
#include "report/html.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "metrics/consensus.h"
#include "report/html_charts.h"
#include "report/html_model.h"
#include "report/html_rank.h"
#include "report/svg.h"
#include "util/fsout.h"

#define MAX_STATUS_ROWS 2000
#define DASH CKR_TEXT_DASH
#define MIDDOT CKR_TEXT_MIDDOT

/* ---- small writers ------------------------------------------------------------------ */

static void put(FILE *f, const char *s)
{
    ckr_xml_puts(f, s);
}

/* <td class="num[ best]">text</td> */
static void td_num(FILE *f, const char *text, int best)
{
    fprintf(f, "<td class=\"num%s\">", best ? " best" : "");
    put(f, text);
    fputs("</td>", f);
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "sans-serif;color:#1d2330;background:#fff;margin:0 auto;max-width:1400px;padding:20px 28px 48px}\n"
    "h1{font-size:24px;margin:0 0 2px}\n"
    "h2{font-size:18px;margin:34px 0 10px;padding-bottom:4px;border-bottom:2px solid #dde1e7}\n"
    "h3{font-size:15px;margin:22px 0 8px}\n"
    ".sub{color:#5b6474;margin:0 0 10px}\n"
    "nav{margin:8px 0 4px}nav a{margin-right:16px;color:#2f5fb3;text-decoration:none}\n"
    "table{border-collapse:collapse;font-size:13px}\n"
    "th,td{padding:3px 9px;border-bottom:1px solid #eceff3;text-align:left;vertical-align:top}\n"
    "th{background:#f3f5f8;font-weight:600}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.best{background:#d9f2e0;font-weight:700;color:#0f5a2a}\n"
    "tr.first td{border-top:2px solid #cfd5de}\n"
    "td.group{font-weight:600;background:#fafbfc}\n"
    "table.kv th{background:none;color:#5b6474;font-weight:500;white-space:nowrap}\n"
    "code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f5f8;"
    "padding:1px 4px;border-radius:3px;word-break:break-all}\n"
    ".scroll{overflow-x:auto;max-width:100%}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:10px}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:18px}\n"
    "figure{margin:0;border:1px solid #e1e5eb;border-radius:6px;padding:4px;background:#fff}\n"
    "figcaption{font-size:12px;color:#5b6474;padding:2px 6px 2px;max-width:272px}\n"
    ".charts figcaption{max-width:none}\n"
    "circle.pt:hover,circle.cost-pt:hover{stroke:#111;stroke-width:2}\n"
    "text.ptitle{font-weight:700}\n"
    ".hit{color:#0f5a2a;font-weight:600}.miss{color:#a8321e}\n"
    ".note{background:#fff8e1;border:1px solid #f0dca0;padding:8px 12px;border-radius:6px;"
    "max-width:900px}\n"
    ".ok{color:#0f5a2a}.bad{color:#a8321e;font-weight:600}\n"
    "td.msg{max-width:640px;word-break:break-word}\n"
    "footer{margin-top:40px;color:#8a93a3;font-size:12px}\n";

/* ---- sections --------------------------------------------------------------------- */

static void kv(FILE *f, const char *key, const char *val, int code)
{
    fputs("<tr><th>", f);
    put(f, key);
    fputs("</th><td>", f);
    fputs(code ? "<code>" : "", f);
    put(f, val[0] ? val : DASH);
    fputs(code ? "</code>" : "", f);
    fputs("</td></tr>\n", f);
}

/* The consensus rows, first in md->r->scores (ckr_html_with_consensus). */
static size_t n_consensus(const ckr_html_model *md)
{
    size_t n = 0;
    while (n < md->r->n_scores && strcmp(md->r->scores[n].method, CKR_CONSENSUS_METHOD) == 0)
        n++;
    return n;
}

static void provenance(FILE *f, const ckr_html_model *md)
{
    const ckr_results_meta *m = &md->r->meta;
    char b[128];
    fputs("<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"kv\">\n", f);
    kv(f, "command line", m->command_line, 1);
    kv(f, "version", m->version, 0);
    snprintf(b, sizeof b, "%llu", m->seed);
    kv(f, "seed", b, 0);
    kv(f, "zoo", m->zoo, 1);
    kv(f, "methods", m->methods, 1);
    snprintf(b, sizeof b, "%d", m->n_ranks);
    kv(f, "MPI ranks", b, 0);
    kv(f, "start", m->start_time, 0);
    kv(f, "end", m->end_time, 0);
    snprintf(b, sizeof b, "%.1f s", m->seconds);
    kv(f, "wall time", b, 0);
    size_t nc = n_consensus(md), nc_ranked = 0;
    for (size_t i = 0; i < nc; i++)
        nc_ranked += (size_t)ckr_html_ranked(md, i);
    snprintf(b, sizeof b, "%zu tasks, %zu checkpoints, %zu methods; %zu ground-truth pairs", md->T,
             md->ckpts.n, md->M - (nc > 0), md->r->n_gt);
    kv(f, "contents", b, 0);
    snprintf(b, sizeof b, "%zu rows: %zu ok, %zu not ok; %zu ranked (ok and ground truth)",
             md->r->n_scores - nc, md->n_ok - nc, md->n_bad, md->n_ranked - nc_ranked);
    kv(f, "items", b, 0);
    fputs("</table></section>\n", f);
}

static void winners(FILE *f, const ckr_html_model *md)
{
    const ckr_results *r = md->r;
    fputs("<section id=\"winners\"><h2>Winners per task</h2>\n"
          "<p class=\"sub\">The checkpoint with the best ground truth and, per method, the "
          "top-scored checkpoint (<span class=\"hit\">green</span>: it is a best one; "
          "<span class=\"miss\">red</span>: it is not).</p>\n"
          "<div class=\"scroll\"><table>\n<tr><th>task</th><th>best ground truth</th>", f);
    for (size_t m = 0; m < md->M; m++) {
        fputs("<th>", f);
        ckr_xml_puts_max(f, md->methods.name[m], 40);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t t = 0; t < md->T; t++) {
        double best;
        size_t tied;
        const char *who = ckr_html_best_gt(md, t, &best, &tied);
        char b[64];
        fputs("<tr><td>", f);
        put(f, md->tasks.name[t]);
        fputs("</td><td>", f);
        if (who) {
            fputs("<b>", f);
            put(f, who);
            ckr_fmt_fixed(b, sizeof b, best, 4);
            fprintf(f, "</b> (%s", b);
            if (tied > 1)
                fprintf(f, ", %zu tied", tied);
            fputs(")", f);
        } else {
            fputs(DASH, f);
        }
        fputs("</td>", f);
        for (size_t m = 0; m < md->M; m++) {
            long top = ckr_html_top_scored(md, t, m);
            if (top < 0) {
                fputs("<td>" DASH "</td>", f);
                continue;
            }
            double a = md->acc[top];
            const char *cls = !who ? "" : (isfinite(a) && a == best) ? "hit" : "miss";
            fprintf(f, "<td class=\"%s\">", cls);
            put(f, r->scores[top].ckpt);
            if (isfinite(a)) {
                ckr_fmt_fixed(b, sizeof b, a, 4);
                fprintf(f, " (%s)", b);
            }
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table></div></section>\n", f);
}

/* ---- metrics table ------------------------------------------------------------------ */

enum { COL_MAX = 2 * CKR_MAX_K + 5 };

/* The numeric columns of a metrics row; lower[c] = 1 where lower is better. */
static int metric_cols(const ckr_metric_row *q, double *v, int *lower)
{
    int c = 0;
    for (int j = 0; j < q->nk && j < CKR_MAX_K; j++) {
        lower[c] = 0;
        v[c++] = q->recall[j];
        lower[c] = 0;
        v[c++] = q->rel[j];
    }
    lower[c] = 0;
    v[c++] = q->pearson;
    lower[c] = 0;
    v[c++] = q->kendall;
    lower[c] = 0;
    v[c++] = q->weighted_kendall;
    lower[c] = 1;
    v[c++] = q->mean_seconds;
    lower[c] = 1;
    v[c++] = q->mean_gflops;
    return c;
}

/* Rows q[0..n) of one group (a task or "mean"). */
static void metrics_group(FILE *f, const char *label, const ckr_metric_row *const *q, size_t n)
{
    double best[COL_MAX], worst[COL_MAX], v[COL_MAX];
    int lower[COL_MAX], nc = 0;
    for (int c = 0; c < COL_MAX; c++)
        best[c] = worst[c] = NAN;
    for (size_t i = 0; i < n; i++) {
        if (!q[i] || q[i]->n_checkpoints == 0)
            continue; /* nothing ranked (every item failed): not a contender, even for cost */
        nc = metric_cols(q[i], v, lower);
        for (int c = 0; c < nc; c++) {
            if (!isfinite(v[c]))
                continue;
            if (isnan(best[c]) || (lower[c] ? v[c] < best[c] : v[c] > best[c]))
                best[c] = v[c];
            if (isnan(worst[c]) || (lower[c] ? v[c] > worst[c] : v[c] < worst[c]))
                worst[c] = v[c];
        }
    }
    /* a column where every contender has the same value has no best */
    for (int c = 0; c < COL_MAX; c++)
        if (best[c] == worst[c])
            best[c] = NAN;
    size_t shown = 0;
    for (size_t i = 0; i < n; i++)
        shown += q[i] != NULL;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (!q[i])
            continue;
        fprintf(f, "<tr%s>", first ? " class=\"first\"" : "");
        if (first) {
            fprintf(f, "<td class=\"group\" rowspan=\"%zu\">", shown);
            put(f, label);
            fputs("</td>", f);
        }
        first = 0;
        fputs("<td>", f);
        ckr_xml_puts_max(f, q[i]->method, 60);
        fprintf(f, "</td><td class=\"num\">%d</td><td class=\"num\">%d</td>", q[i]->n_checkpoints,
                q[i]->n_excluded);
        nc = metric_cols(q[i], v, lower);
        for (int c = 0; c < nc; c++) {
            char b[64];
            if (lower[c])
                ckr_fmt_g(b, sizeof b, v[c]);
            else
                ckr_fmt_fixed(b, sizeof b, v[c], 3);
            td_num(f, b, q[i]->n_checkpoints > 0 && isfinite(v[c]) && v[c] == best[c]);
        }
        fputs("</tr>\n", f);
    }
}

static int metrics_section(FILE *f, const ckr_html_model *md)
{
    fputs("<section id=\"metrics\"><h2>Ranking quality</h2>\n", f);
    if (md->n_ranked == 0 || md->r->n_metrics == 0) {
        fputs("<p class=\"note\">No ranking-quality metrics: no checkpoint has both an ok score "
              "and a ground-truth accuracy.</p></section>\n", f);
        return 0;
    }
    const ckr_metric_row *q0 = &md->r->metrics[0];
    fputs("<p class=\"sub\">Per task, over the checkpoints with an ok score and a ground truth "
          "(<i>ranked</i>; <i>excl.</i> = rows left out for a non-ok status), then the mean over "
          "tasks. Highlighted: the best value of each column within a task (highest; lowest for "
          "seconds and GFLOPs per item).</p>\n<div class=\"scroll\"><table>\n"
          "<tr><th>task</th><th>method</th><th>ranked</th><th>excl.</th>", f);
    for (int j = 0; j < q0->nk && j < CKR_MAX_K; j++)
        fprintf(f, "<th>recall@%d</th><th>rel@%d</th>", q0->k[j], q0->k[j]);
    fputs("<th>Pearson</th><th>Kendall</th><th>weighted Kendall</th><th>s / item</th>"
          "<th>GFLOPs / item</th></tr>\n", f);
    const ckr_metric_row **q = malloc((md->M ? md->M : 1) * sizeof *q);
    if (!q)
        return CKR_ENOMEM;
    for (size_t t = 0; t < md->T; t++) {
        for (size_t m = 0; m < md->M; m++)
            q[m] = md->met[t * md->M + m];
        metrics_group(f, md->tasks.name[t], q, md->M);
    }
    metrics_group(f, "mean", md->mean, md->M);
    free(q);
    fputs("</table></div></section>\n", f);
    return 0;
}

/* ---- cost; the scores without ground truth --------------------------------------------- */

static int cost_section(FILE *f, const ckr_html_model *md)
{
    fputs("<section id=\"cost\"><h2>Cost versus quality</h2>\n", f);
    if (md->n_ranked == 0) {
        fputs("<p class=\"note\">No ground truth: no quality axis. Mean cost per item:</p>\n"
              "<table><tr><th>method</th><th>s / item</th><th>GFLOPs / item</th></tr>\n", f);
        for (size_t m = 0; m < md->M; m++) {
            const ckr_metric_row *q = md->mean[m];
            char a[64], b[64];
            if (ckr_html_is_consensus(md, m))
                continue; /* no cost of its own */
            ckr_fmt_g(a, sizeof a, q ? q->mean_seconds : NAN);
            ckr_fmt_g(b, sizeof b, q ? q->mean_gflops : NAN);
            fputs("<tr><td>", f);
            put(f, md->methods.name[m]);
            fputs("</td>", f);
            td_num(f, a, 0);
            td_num(f, b, 0);
            fputs("</tr>\n", f);
        }
        fputs("</table></section>\n", f);
        return 0;
    }
    int rc = ckr_html_cost_charts(f, md);
    fputs("</section>\n", f);
    return rc;
}

/* Checkpoint ids by consensus score (minus the mean rank), descending, then id. */
static const ckr_html_model *sort_md;
static const double *sort_key;
static int cmp_consensus(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    double x = sort_key[a], y = sort_key[b];
    if (x != y && !(isnan(x) && isnan(y)))
        return isnan(x) ? 1 : isnan(y) ? -1 : x > y ? -1 : 1;
    return (a > b) - (a < b);
}

/* order[0..C): the checkpoint ids of task t in consensus order (those
 * without a consensus score after, by id); key is scratch of C doubles. */
static void consensus_order(const ckr_html_model *md, size_t t, size_t *order, double *key)
{
    size_t C = md->ckpts.n;
    for (size_t c = 0; c < C; c++) {
        order[c] = c;
        key[c] = NAN;
    }
    for (size_t m = 0; m < md->M; m++) {
        if (!ckr_html_is_consensus(md, m))
            continue;
        size_t k;
        const size_t *rows = ckr_html_chosen(md, t, m, &k);
        for (size_t j = 0; j < k; j++)
            if (ckr_score_row_is_ok(&md->r->scores[rows[j]]))
                key[md->cid[rows[j]]] = md->r->scores[rows[j]].score;
    }
    sort_md = md;
    sort_key = key;
    qsort(order, C, sizeof *order, cmp_consensus);
}

static int scores_section(FILE *f, const ckr_html_model *md)
{
    const ckr_results *r = md->r;
    size_t C = md->ckpts.n, M = md->M;
    long *cell = malloc((C * M > 0 ? C * M : 1) * sizeof *cell);
    long *top = malloc((M ? M : 1) * sizeof *top);
    size_t *order = malloc((C ? C : 1) * sizeof *order);
    double *key = malloc((C ? C : 1) * sizeof *key);
    if (!cell || !top || !order || !key) {
        free(cell);
        free(top);
        free(order);
        free(key);
        return CKR_ENOMEM;
    }
    fputs("<section id=\"scores\"><h2>Scores</h2>\n<p class=\"note\">This results file has no "
          "ground truth (no <code>finetune_accuracy</code> for any scored pair), so there are no "
          "scatter plots and no ranking-quality metrics: the scores are tabulated instead, the "
          "top score of each method highlighted, the checkpoints in consensus order (the "
          "<code>consensus</code> column is the mean rank over the methods; lower is "
          "better).</p>\n", f);
    for (size_t t = 0; t < md->T; t++) {
        for (size_t i = 0; i < C * M; i++)
            cell[i] = -1;
        for (size_t m = 0; m < M; m++) {
            size_t k;
            const size_t *rows = ckr_html_chosen(md, t, m, &k);
            for (size_t j = 0; j < k; j++)
                cell[md->cid[rows[j]] * M + m] = (long)rows[j];
            top[m] = ckr_html_top_scored(md, t, m);
        }
        fputs("<h3>task ", f);
        put(f, md->tasks.name[t]);
        fputs("</h3>\n<div class=\"scroll\"><table class=\"scores\">\n<tr><th>checkpoint</th>", f);
        for (size_t m = 0; m < M; m++) {
            fputs("<th>", f);
            ckr_xml_puts_max(f, md->methods.name[m], 40);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        consensus_order(md, t, order, key);
        for (size_t oc = 0; oc < C; oc++) {
            size_t c = order[oc];
            int any = 0;
            for (size_t m = 0; m < M; m++)
                any |= cell[c * M + m] >= 0;
            if (!any)
                continue;
            fputs("<tr><td>", f);
            put(f, md->ckpts.name[c]);
            fputs("</td>", f);
            for (size_t m = 0; m < M; m++) {
                long i = cell[c * M + m];
                char b[64];
                if (i < 0) {
                    td_num(f, "", 0);
                } else if (ckr_score_row_is_ok(&r->scores[i])) {
                    /* the consensus: its mean rank */
                    snprintf(b, sizeof b, "%.6g", ckr_html_is_consensus(md, m) ? -r->scores[i].score
                                                                              : r->scores[i].score);
                    td_num(f, b, i == top[m]);
                } else {
                    fputs("<td class=\"bad\">", f);
                    put(f, r->scores[i].status);
                    fputs("</td>", f);
                }
            }
            fputs("</tr>\n", f);
        }
        fputs("</table></div>\n", f);
    }
    fputs("</section>\n", f);
    free(cell);
    free(top);
    free(order);
    free(key);
    return 0;
}

/* ---- failed items --------------------------------------------------------------------- */

static void status_section(FILE *f, const ckr_html_model *md)
{
    const ckr_results *r = md->r;
    fputs("<section id=\"status\"><h2>Failed items</h2>\n", f);
    if (md->n_bad == 0) {
        fprintf(f, "<p class=\"ok\">Every one of the %zu items is ok.</p></section>\n",
                r->n_scores - n_consensus(md));
        return;
    }
    fprintf(f, "<p class=\"sub\">%zu of %zu items are not ok; they are left out of the metrics "
               "and the plots.</p>\n<table>\n<tr><th>method</th><th>status</th><th>items</th></tr>\n",
            md->n_bad, r->n_scores - n_consensus(md));
    for (size_t i = 0; i < md->n_fail; i++) {
        fputs("<tr><td>", f);
        put(f, md->fail[i].method);
        fputs("</td><td class=\"bad\">", f);
        put(f, md->fail[i].status);
        fprintf(f, "</td><td class=\"num\">%zu</td></tr>\n", md->fail[i].n);
    }
    fputs("</table>\n<h3>Items</h3>\n<div class=\"scroll\"><table class=\"failed\">\n"
          "<tr><th>checkpoint</th><th>task</th><th>method</th><th>status</th><th>message</th></tr>\n",
          f);
    size_t shown = 0;
    for (size_t i = 0; i < r->n_scores && shown < MAX_STATUS_ROWS; i++) {
        const ckr_score_row *s = &r->scores[i];
        if (ckr_score_row_is_ok(s))
            continue;
        shown++;
        fputs("<tr><td>", f);
        put(f, s->ckpt);
        fputs("</td><td>", f);
        put(f, s->task);
        fputs("</td><td>", f);
        put(f, s->method);
        fputs("</td><td class=\"bad\">", f);
        put(f, s->status);
        fputs("</td><td class=\"msg\">", f);
        put(f, s->message);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n", f);
    if (shown < md->n_bad)
        fprintf(f, "<p class=\"sub\">%zu more not shown (see <code>--json</code> or "
                   "<code>--scores-csv</code>).</p>\n", md->n_bad - shown);
    fputs("</section>\n", f);
}

/* ---- the page ------------------------------------------------------------------------ */

int ckr_report_write_html(const char *path, const ckr_results *r_in, ckr_err *err)
{
    ckr_ranking rk;
    ckr_results ra;
    int rc = ckr_html_with_consensus(r_in, &rk, &ra, err);
    if (rc) {
        ckr_ranking_free(&rk);
        return rc;
    }
    const ckr_results *r = &ra;
    ckr_html_model md;
    rc = ckr_html_model_build(&md, r);
    if (rc) {
        free(ra.scores);
        ckr_ranking_free(&rk);
        return ckr_err_set(err, rc, "%s: out of memory building the report (%zu rows)", path,
                           r->n_scores);
    }
    size_t n_cons = n_consensus(&md);
    ckr_fsout o;
    rc = ckr_fsout_open(&o, path, err);
    if (rc) {
        ckr_html_model_free(&md);
        free(ra.scores);
        ckr_ranking_free(&rk);
        return rc;
    }
    FILE *f = o.f;
    int has_gt = md.n_ranked > 0;
    fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n"
          "<meta charset=\"utf-8\"/>\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>", f);
    fputs("ckptrank report", f);
    if (r->meta.zoo[0]) {
        fputs(": ", f);
        put(f, r->meta.zoo);
    }
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>ckptrank report</h1>\n"
               "<p class=\"sub\">", css);
    if (r->meta.zoo[0]) {
        fputs("zoo <code>", f);
        put(f, r->meta.zoo);
        fputs("</code> " MIDDOT " ", f);
    }
    fprintf(f, "%zu tasks " MIDDOT " %zu checkpoints " MIDDOT " %zu methods " MIDDOT " %zu items, "
               "<span class=\"%s\">%zu not ok</span></p>\n<nav><a href=\"#provenance\">provenance</a>"
               "<a href=\"#winners\">winners</a><a href=\"#agreement\">agreement</a>"
               "<a href=\"#metrics\">ranking quality</a>"
               "<a href=\"#cost\">cost</a><a href=\"%s\">%s</a>"
               "<a href=\"#status\">failed items</a></nav></header>\n",
            md.T, md.ckpts.n, md.M - (n_cons > 0), r->n_scores - n_cons, md.n_bad ? "bad" : "ok", md.n_bad,
            has_gt ? "#scatter" : "#scores", has_gt ? "scatter plots" : "scores");
    if (!has_gt)
        fputs("<p class=\"note\">No ground truth: this report has no ranking-quality metrics, "
              "cost-versus-quality charts or scatter plots; it tabulates the scores.</p>\n", f);
    provenance(f, &md);
    winners(f, &md);
    rc = ckr_html_agreement_section(f, &rk);
    if (!rc)
        rc = metrics_section(f, &md);
    if (!rc)
        rc = cost_section(f, &md);
    if (!rc)
        rc = has_gt ? ckr_html_scatter_section(f, &md) : scores_section(f, &md);
    if (!rc)
        status_section(f, &md);
    fprintf(f, "<footer>ckptrank %s " MIDDOT " self-contained report: inline CSS and SVG, no "
               "script</footer>\n</body>\n</html>\n", CKPTRANK_VERSION);
    if (rc) {
        ckr_fsout_abort(&o);
        ckr_err_set(err, rc, "%s: out of memory writing the report", path);
    } else {
        rc = ckr_fsout_commit(&o, err);
    }
    ckr_html_model_free(&md);
    free(ra.scores);
    ckr_ranking_free(&rk);
    return rc;
}
