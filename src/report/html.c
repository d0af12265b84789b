/* html.c -- the HTML report (see html.h). */
#include "report/html.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "report/svg.h"

#define MAX_STATUS_ROWS 2000
#define DASH "\xE2\x80\x93"   /* U+2013, shown for a missing value */
#define MIDDOT "\xC2\xB7"

/* ---- name sets ------------------------------------------------------------------ */

typedef struct name_id {
    const char *name;
    size_t id;
} name_id;

typedef struct nameset {
    const char **name;   /* by id */
    name_id *by_name;    /* sorted by name, for lookups */
    size_t n;
} nameset;

static int cmp_name_id(const void *pa, const void *pb)
{
    const name_id *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    return c ? c : (a->id > b->id) - (a->id < b->id);
}

static int cmp_id(const void *pa, const void *pb)
{
    const name_id *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

static int cmp_key_name(const void *key, const void *elem)
{
    return strcmp(key, ((const name_id *)elem)->name);
}

static void nameset_free(nameset *ns)
{
    free(ns->name);
    free(ns->by_name);
    memset(ns, 0, sizeof *ns);
}

/* The distinct strings at base + i*stride (i < n): ids in order of first
 * appearance (by_appearance) or of name. */
static int nameset_build(const char *base, size_t stride, size_t n, int by_appearance, nameset *ns)
{
    memset(ns, 0, sizeof *ns);
    name_id *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return CKR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        all[i] = (name_id){ base + i * stride, i };
    qsort(all, n, sizeof *all, cmp_name_id);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(all[i].name, all[m - 1].name) != 0)
            all[m++] = all[i];
    if (by_appearance)
        qsort(all, m, sizeof *all, cmp_id);
    ns->name = malloc((m ? m : 1) * sizeof *ns->name);
    if (!ns->name) {
        free(all);
        return CKR_ENOMEM;
    }
    for (size_t j = 0; j < m; j++) {
        ns->name[j] = all[j].name;
        all[j].id = j;
    }
    qsort(all, m, sizeof *all, cmp_name_id);
    ns->by_name = all;
    ns->n = m;
    return 0;
}

/* id of name, or -1 */
static long nameset_find(const nameset *ns, const char *name)
{
    const name_id *hit = ns->n ? bsearch(name, ns->by_name, ns->n, sizeof *ns->by_name, cmp_key_name)
                               : NULL;
    return hit ? (long)hit->id : -1;
}

/* ---- the model of the page ------------------------------------------------------ */

typedef struct rowkey {
    size_t t, m, c, i;
} rowkey;

static int cmp_rowkey(const void *pa, const void *pb)
{
    const rowkey *a = pa, *b = pb;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    if (a->m != b->m)
        return a->m < b->m ? -1 : 1;
    if (a->c != b->c)
        return a->c < b->c ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

typedef struct gtkey {
    const char *task, *ckpt;
    double acc;
} gtkey;

static int cmp_gtkey(const void *pa, const void *pb)
{
    const gtkey *a = pa, *b = pb;
    int c = strcmp(a->task, b->task);
    return c ? c : strcmp(a->ckpt, b->ckpt);
}

typedef struct model {
    const ckr_results *r;
    nameset tasks, methods, ckpts;   /* tasks and checkpoints by name, methods by appearance */
    size_t T, M;
    size_t *ord;                     /* score rows by task, method, checkpoint, row */
    size_t *gstart, *gend;           /* [t*M + m]: range of ord */
    size_t *cid;                     /* checkpoint id of each score row */
    double *acc;                     /* ground truth of each score row, NaN if none */
    const ckr_metric_row **met;      /* [t*M + m] */
    const ckr_metric_row **mean;     /* [m] */
    size_t *buf;                     /* scratch: chosen rows of one group */
    size_t n_ok, n_bad, n_ranked;
} model;

static int is_ok(const ckr_score_row *s)
{
    return strcmp(s->status, "ok") == 0 && isfinite(s->score);
}

static void model_free(model *md)
{
    nameset_free(&md->tasks);
    nameset_free(&md->methods);
    nameset_free(&md->ckpts);
    free(md->ord);
    free(md->gstart);
    free(md->gend);
    free(md->cid);
    free(md->acc);
    free(md->met);
    free(md->mean);
    free(md->buf);
    memset(md, 0, sizeof *md);
}

/* Chosen row of each checkpoint of group (t, m), as the metrics table
 * chooses it: the first with best == 1, else the first. Into md->buf. */
static size_t group_chosen(const model *md, size_t t, size_t m)
{
    const ckr_score_row *s = md->r->scores;
    size_t g = t * md->M + m, n = 0;
    for (size_t a = md->gstart[g], b; a < md->gend[g]; a = b) {
        size_t pick = md->ord[a];
        int have_best = s[pick].best == 1;
        for (b = a; b < md->gend[g] && md->cid[md->ord[b]] == md->cid[md->ord[a]]; b++)
            if (!have_best && s[md->ord[b]].best == 1) {
                pick = md->ord[b];
                have_best = 1;
            }
        md->buf[n++] = pick;
    }
    return n;
}

static int model_build(model *md, const ckr_results *r)
{
    memset(md, 0, sizeof *md);
    md->r = r;
    size_t n = r->n_scores, stride = sizeof(ckr_score_row);
    rowkey *keys = NULL;
    gtkey *gk = NULL;
    int rc = CKR_ENOMEM;
    const char *base = n ? (const char *)r->scores : "";
    if (nameset_build(base + (n ? offsetof(ckr_score_row, task) : 0), stride, n, 0, &md->tasks) ||
        nameset_build(base + (n ? offsetof(ckr_score_row, method) : 0), stride, n, 1, &md->methods) ||
        nameset_build(base + (n ? offsetof(ckr_score_row, ckpt) : 0), stride, n, 0, &md->ckpts))
        goto cleanup;
    md->T = md->tasks.n;
    md->M = md->methods.n;
    size_t nn = n ? n : 1, ng = md->T * md->M > 0 ? md->T * md->M : 1;
    keys = malloc(nn * sizeof *keys);
    md->ord = malloc(nn * sizeof *md->ord);
    md->cid = malloc(nn * sizeof *md->cid);
    md->acc = malloc(nn * sizeof *md->acc);
    md->buf = malloc(nn * sizeof *md->buf);
    md->gstart = calloc(ng, sizeof *md->gstart);
    md->gend = calloc(ng, sizeof *md->gend);
    md->met = calloc(ng, sizeof *md->met);
    md->mean = calloc(md->M ? md->M : 1, sizeof *md->mean);
    gk = malloc((r->n_gt ? r->n_gt : 1) * sizeof *gk);
    if (!keys || !md->ord || !md->cid || !md->acc || !md->buf || !md->gstart || !md->gend ||
        !md->met || !md->mean || !gk)
        goto cleanup;
    for (size_t i = 0; i < r->n_gt; i++)
        gk[i] = (gtkey){ r->gt[i].task, r->gt[i].ckpt, r->gt[i].accuracy };
    qsort(gk, r->n_gt, sizeof *gk, cmp_gtkey);
    for (size_t i = 0; i < n; i++) {
        const ckr_score_row *s = &r->scores[i];
        keys[i] = (rowkey){ (size_t)nameset_find(&md->tasks, s->task),
                            (size_t)nameset_find(&md->methods, s->method),
                            (size_t)nameset_find(&md->ckpts, s->ckpt), i };
        md->cid[i] = keys[i].c;
        gtkey q = { s->task, s->ckpt, NAN };
        const gtkey *hit = r->n_gt ? bsearch(&q, gk, r->n_gt, sizeof *gk, cmp_gtkey) : NULL;
        md->acc[i] = hit && isfinite(hit->acc) ? hit->acc : NAN;
        if (is_ok(s))
            md->n_ok++;
        else
            md->n_bad++;
    }
    qsort(keys, n, sizeof *keys, cmp_rowkey);
    for (size_t i = 0; i < n; i++) {
        md->ord[i] = keys[i].i;
        size_t g = keys[i].t * md->M + keys[i].m;
        if (i == 0 || g != keys[i - 1].t * md->M + keys[i - 1].m)
            md->gstart[g] = i;
        md->gend[g] = i + 1;
    }
    for (size_t i = 0; i < r->n_metrics; i++) {
        const ckr_metric_row *q = &r->metrics[i];
        long m = nameset_find(&md->methods, q->method);
        if (m < 0)
            continue;
        if (strcmp(q->task, "mean") == 0) {
            md->mean[m] = q;
            continue;
        }
        long t = nameset_find(&md->tasks, q->task);
        if (t >= 0)
            md->met[(size_t)t * md->M + (size_t)m] = q;
    }
    for (size_t t = 0; t < md->T; t++)
        for (size_t m = 0; m < md->M; m++) {
            size_t k = group_chosen(md, t, m);
            for (size_t j = 0; j < k; j++)
                md->n_ranked += is_ok(&r->scores[md->buf[j]]) && isfinite(md->acc[md->buf[j]]);
        }
    rc = 0;
cleanup:
    free(keys);
    free(gk);
    if (rc)
        model_free(md);
    return rc;
}

/* ---- small writers ------------------------------------------------------------------ */

static void put(FILE *f, const char *s)
{
    ckr_xml_puts(f, s);
}

static void fmt_fixed(char *buf, size_t len, double x, int prec)
{
    if (isfinite(x))
        snprintf(buf, len, "%.*f", prec, x);
    else
        snprintf(buf, len, DASH);
}

static void fmt_g(char *buf, size_t len, double x)
{
    if (isfinite(x))
        snprintf(buf, len, "%.3g", x);
    else
        snprintf(buf, len, DASH);
}

/* <td class="num[ best]">text</td> */
static void td_num(FILE *f, const char *text, int best)
{
    fprintf(f, "<td class=\"num%s\">", best ? " best" : "");
    put(f, text);
    fputs("</td>", f);
}

static const char *palette[] = { "#3b6fd4", "#e8710a", "#1a9c4a", "#c2185b", "#7b3fb5",
                                 "#00838f", "#8d6e00", "#d32f2f", "#546e7a", "#6d4c41" };
#define N_PALETTE (sizeof palette / sizeof palette[0])

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

static void provenance(FILE *f, const model *md)
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
    snprintf(b, sizeof b, "%zu tasks, %zu checkpoints, %zu methods; %zu ground-truth pairs", md->T,
             md->ckpts.n, md->M, md->r->n_gt);
    kv(f, "contents", b, 0);
    snprintf(b, sizeof b, "%zu rows: %zu ok, %zu not ok; %zu ranked (ok and ground truth)",
             md->r->n_scores, md->n_ok, md->n_bad, md->n_ranked);
    kv(f, "items", b, 0);
    fputs("</table></section>\n", f);
}

/* Best ground truth of task t: *best = max accuracy, returns the first
 * checkpoint (by name) that has it, or NULL. *n_tied: how many have it. */
static const char *best_gt(const model *md, size_t t, double *best, size_t *n_tied)
{
    const ckr_results *r = md->r;
    const char *who = NULL;
    *best = NAN;
    *n_tied = 0;
    for (size_t i = 0; i < r->n_gt; i++) {
        const ckr_gt_row *g = &r->gt[i];
        if (strcmp(g->task, md->tasks.name[t]) != 0 || !isfinite(g->accuracy) ||
            nameset_find(&md->ckpts, g->ckpt) < 0)
            continue;
        if (isnan(*best) || g->accuracy > *best) {
            *best = g->accuracy;
            who = g->ckpt;
            *n_tied = 1;
        } else if (g->accuracy == *best) {
            (*n_tied)++;
            if (strcmp(g->ckpt, who) < 0)
                who = g->ckpt;
        }
    }
    return who;
}

/* Top-scored ok row among the chosen rows of (t, m) (first by name on
 * ties), or -1. */
static long top_scored(const model *md, size_t t, size_t m)
{
    size_t k = group_chosen(md, t, m);
    long top = -1;
    for (size_t j = 0; j < k; j++) {
        const ckr_score_row *s = &md->r->scores[md->buf[j]];
        if (is_ok(s) && (top < 0 || s->score > md->r->scores[top].score))
            top = (long)md->buf[j];
    }
    return top;
}

static void winners(FILE *f, const model *md)
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
        const char *who = best_gt(md, t, &best, &tied);
        char b[64];
        fputs("<tr><td>", f);
        put(f, md->tasks.name[t]);
        fputs("</td><td>", f);
        if (who) {
            fputs("<b>", f);
            put(f, who);
            fmt_fixed(b, sizeof b, best, 4);
            fprintf(f, "</b> (%s", b);
            if (tied > 1)
                fprintf(f, ", %zu tied", tied);
            fputs(")", f);
        } else {
            fputs(DASH, f);
        }
        fputs("</td>", f);
        for (size_t m = 0; m < md->M; m++) {
            long top = top_scored(md, t, m);
            if (top < 0) {
                fputs("<td>" DASH "</td>", f);
                continue;
            }
            double a = md->acc[top];
            const char *cls = !who ? "" : (isfinite(a) && a == best) ? "hit" : "miss";
            fprintf(f, "<td class=\"%s\">", cls);
            put(f, r->scores[top].ckpt);
            if (isfinite(a)) {
                fmt_fixed(b, sizeof b, a, 4);
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
                fmt_g(b, sizeof b, v[c]);
            else
                fmt_fixed(b, sizeof b, v[c], 3);
            td_num(f, b, q[i]->n_checkpoints > 0 && isfinite(v[c]) && v[c] == best[c]);
        }
        fputs("</tr>\n", f);
    }
}

static int metrics_section(FILE *f, const model *md)
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

/* ---- cost versus quality ------------------------------------------------------------------ */

typedef struct box {
    double x0, y0, x1, y1;
} box;

static int overlaps(const box *a, const box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* One chart: x = mean seconds (which 0) or GFLOPs (1) per item, log10. */
static int cost_chart(FILE *f, const model *md, int which)
{
    const double W = 600, H = 400, L = 70, R = 580, TOP = 20, B = 350;
    size_t M = md->M;
    double *x = calloc(M ? M : 1, sizeof *x);
    box *placed = malloc((2 * M + 1) * sizeof *placed);
    if (!x || !placed) {
        free(x);
        free(placed);
        return CKR_ENOMEM;
    }
    ckr_axis ax, ay;
    size_t np = 0;
    for (size_t m = 0; m < M; m++) {
        const ckr_metric_row *q = md->mean[m];
        x[m] = q && isfinite(q->kendall) ? (which ? q->mean_gflops : q->mean_seconds) : NAN;
    }
    ckr_axis_fit(&ax, x, M, 1, L, R);
    double *ky = calloc(M ? M : 1, sizeof *ky);
    if (!ky) {
        free(x);
        free(placed);
        return CKR_ENOMEM;
    }
    for (size_t m = 0; m < M; m++)
        ky[m] = md->mean[m] ? md->mean[m]->kendall : NAN;
    ckr_axis_fit(&ay, ky, M, 0, B, TOP);
    ckr_axis_limit(&ay, -1, 1);
    const char *what = which ? "GFLOPs" : "seconds";
    char title[128];
    snprintf(title, sizeof title, "Mean Kendall against mean %s per item (log scale)", what);
    ckr_svg_begin(f, W, H, which ? "cost cost-gflops" : "cost cost-seconds", title);
    snprintf(title, sizeof title, "mean %s per item (log10)", what);
    ckr_svg_axes(f, &ax, &ay, title, "mean Kendall tau-b");
    for (size_t m = 0; m < M; m++) {
        const ckr_metric_row *q = md->mean[m];
        if (!q || !isfinite(q->kendall))
            continue;
        double px = ckr_axis_px(&ax, x[m]), py = ckr_axis_px(&ay, q->kendall);
        const char *col = palette[m % N_PALETTE];
        char sx[64], sg[64], sk[64];
        fmt_g(sx, sizeof sx, q->mean_seconds);
        fmt_g(sg, sizeof sg, q->mean_gflops);
        fmt_fixed(sk, sizeof sk, q->kendall, 3);
        fprintf(f, "<circle class=\"cost-pt\" data-method=\"");
        put(f, q->method);
        fprintf(f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" stroke=\"#fff\" "
                   "stroke-width=\"1.5\"><title>", px, py, col);
        put(f, q->method);
        fprintf(f, ": %s s/item, %s GFLOPs/item, Kendall %s%s</title></circle>\n", sx, sg, sk,
                isfinite(x[m]) && x[m] > 0 ? "" : " (not positive: drawn at the axis)");
        placed[np++] = (box){ px - 6, py - 6, px + 6, py + 6 };
    }
    /* labels: the first of a few positions that overlaps no point or label */
    for (size_t m = 0; m < M; m++) {
        const ckr_metric_row *q = md->mean[m];
        if (!q || !isfinite(q->kendall))
            continue;
        double px = ckr_axis_px(&ax, x[m]), py = ckr_axis_px(&ay, q->kendall);
        size_t len = ckr_utf8_len(q->method);
        len = len > 32 ? 32 : len;
        double w = 6.3 * (double)len + 2, h = 13;
        static const double off[][2] = { { 9, 4 }, { -9, 4 }, { 9, -9 }, { -9, -9 }, { 9, 16 },
                                          { -9, 16 }, { 9, -21 }, { -9, -21 }, { 9, 28 }, { -9, 28 } };
        size_t nopt = sizeof off / sizeof off[0], pick = 0;
        box bx = { 0, 0, 0, 0 };
        for (size_t o = 0; o < nopt; o++) {
            double lx = px + off[o][0], ly = py + off[o][1];
            box c = off[o][0] > 0 ? (box){ lx, ly - 10, lx + w, ly + h - 10 }
                                  : (box){ lx - w, ly - 10, lx, ly + h - 10 };
            int bad = c.x0 < L || c.x1 > R || c.y0 < TOP || c.y1 > B;
            for (size_t i = 0; i < np && !bad; i++)
                bad = overlaps(&c, &placed[i]);
            if (!bad || o == 0) {
                pick = o;
                bx = c;
            }
            if (!bad)
                break;
        }
        placed[np++] = bx;
        fprintf(f, "<g fill=\"%s\" font-size=\"11\">", palette[m % N_PALETTE]);
        ckr_svg_text(f, px + off[pick][0], py + off[pick][1], off[pick][0] > 0 ? "start" : "end",
                     "cost-label", q->method, 32);
        fputs("</g>\n", f);
    }
    ckr_svg_end(f);
    free(x);
    free(ky);
    free(placed);
    return 0;
}

static int cost_section(FILE *f, const model *md)
{
    fputs("<section id=\"cost\"><h2>Cost versus quality</h2>\n", f);
    if (md->n_ranked == 0) {
        fputs("<p class=\"note\">No ground truth: no quality axis. Mean cost per item:</p>\n"
              "<table><tr><th>method</th><th>s / item</th><th>GFLOPs / item</th></tr>\n", f);
        for (size_t m = 0; m < md->M; m++) {
            const ckr_metric_row *q = md->mean[m];
            char a[64], b[64];
            fmt_g(a, sizeof a, q ? q->mean_seconds : NAN);
            fmt_g(b, sizeof b, q ? q->mean_gflops : NAN);
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
    fputs("<p class=\"sub\">One point per method: the mean over tasks of Kendall's tau-b against "
          "the mean cost of one (checkpoint, task) item. Up and to the left is better.</p>\n"
          "<div class=\"charts\">\n<figure>", f);
    int rc = cost_chart(f, md, 0);
    fputs("<figcaption>wall time of the method per item (reading the data excluded)</figcaption>"
          "</figure>\n<figure>", f);
    if (!rc)
        rc = cost_chart(f, md, 1);
    fputs("<figcaption>floating-point work per item, counted where it happens "
          "(multiply-add = 2)</figcaption></figure>\n</div>\n", f);
    int first = 1;
    for (size_t m = 0; m < md->M; m++) {
        if (md->mean[m] && isfinite(md->mean[m]->kendall))
            continue;
        fputs(first ? "<p class=\"sub\">Not plotted (no mean Kendall): " : ", ", f);
        first = 0;
        fputs("<code>", f);
        put(f, md->methods.name[m]);
        fputs("</code>", f);
    }
    if (!first)
        fputs("</p>\n", f);
    fputs("</section>\n", f);
    return rc;
}

/* ---- scatter panels ------------------------------------------------------------------- */

enum { PW = 280, PH = 238 };
static const double PL = 52, PR = 262, PT = 42, PB = 200;

static void legend(FILE *f)
{
    ckr_svg_begin(f, 560, 26, "legend", "legend");
    fputs("<g font-size=\"12\" fill=\"#333\">"
          "<circle cx=\"10\" cy=\"13\" r=\"4.5\" fill=\"#3b6fd4\" fill-opacity=\"0.75\"/>", f);
    ckr_svg_text(f, 20, 17, "start", NULL, "checkpoint (hover for name, score, accuracy)", 0);
    fputs("<circle cx=\"300\" cy=\"13\" r=\"4.5\" fill=\"#e8710a\"/>", f);
    ckr_svg_text(f, 310, 17, "start", NULL, "top-scored", 0);
    fputs("<circle cx=\"404\" cy=\"13\" r=\"7.5\" fill=\"none\" stroke=\"#1a9c4a\" "
          "stroke-width=\"2\"/>", f);
    ckr_svg_text(f, 418, 17, "start", NULL, "best ground truth", 0);
    fputs("</g>\n", f);
    ckr_svg_end(f);
}

static void data_attrs(FILE *f, const ckr_score_row *s)
{
    fputs(" data-ckpt=\"", f);
    put(f, s->ckpt);
    fputs("\" data-method=\"", f);
    put(f, s->method);
    fputs("\" data-task=\"", f);
    put(f, s->task);
    fputc('"', f);
}

static void panel(FILE *f, const model *md, size_t t, size_t m, const ckr_axis *ytask, double *xs)
{
    const ckr_results *r = md->r;
    size_t k = group_chosen(md, t, m), np = 0, n_bad = 0, n_nogt = 0;
    for (size_t j = 0; j < k; j++) {
        size_t i = md->buf[j];
        if (!is_ok(&r->scores[i]))
            n_bad++;
        else if (!isfinite(md->acc[i]))
            n_nogt++;
        else
            md->buf[np++] = i;  /* compact in place: np <= j */
    }
    const ckr_metric_row *q = md->met[t * md->M + m];
    const char *method = md->methods.name[m];
    long top = -1;
    double best = NAN;
    for (size_t j = 0; j < np; j++) {
        size_t i = md->buf[j];
        xs[j] = r->scores[i].score;
        if (top < 0 || r->scores[i].score > r->scores[top].score)
            top = (long)i;
        if (isnan(best) || md->acc[i] > best)
            best = md->acc[i];
    }
    ckr_axis ax, ay = *ytask;
    ckr_axis_fit(&ax, xs, np, 0, PL, PR);
    char title[600], pe[32], ke[32];
    fmt_fixed(pe, sizeof pe, q ? q->pearson : NAN, 3);
    fmt_fixed(ke, sizeof ke, q ? q->kendall : NAN, 3);
    snprintf(title, sizeof title, "%s on %s: Pearson %s, Kendall %s", method, md->tasks.name[t], pe,
             ke);
    fputs("<figure class=\"panel\">", f);
    ckr_svg_begin(f, PW, PH, "scatter", title);
    ckr_svg_text(f, PW / 2.0, 16, "middle", "ptitle", method, 40);
    snprintf(title, sizeof title, "Pearson %s  " MIDDOT "  Kendall %s", pe, ke);
    fputs("<g font-size=\"12\" fill=\"#444\">", f);
    ckr_svg_text(f, PW / 2.0, 32, "middle", "pmetrics", title, 0);
    fputs("</g>\n", f);
    ckr_svg_axes(f, &ax, &ay, "score", "ground-truth accuracy");
    if (np == 0) {
        fputs("<g font-size=\"12\" fill=\"#a8321e\">", f);
        ckr_svg_text(f, (PL + PR) / 2, (PT + PB) / 2, "middle", NULL,
                     n_bad ? "no ok score" : "no score with a ground truth", 0);
        fputs("</g>\n", f);
    }
    /* points, the top-scored last so it is on top, then the rings */
    for (int pass = 0; pass < 2; pass++)
        for (size_t j = 0; j < np; j++) {
            size_t i = md->buf[j];
            int is_top = (long)i == top;
            if (is_top != pass)
                continue;
            const ckr_score_row *s = &r->scores[i];
            fprintf(f, "<circle class=\"pt%s\"", is_top ? " top" : "");
            data_attrs(f, s);
            fprintf(f, " data-score=\"%.17g\" data-acc=\"%.17g\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" "
                       "fill=\"%s\" fill-opacity=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"><title>",
                    s->score, md->acc[i], ckr_axis_px(&ax, s->score), ckr_axis_px(&ay, md->acc[i]),
                    is_top ? "#e8710a" : "#3b6fd4", is_top ? "1" : "0.75");
            put(f, s->ckpt);
            fprintf(f, ": score=%.6g, acc=%.4g%s%s</title></circle>\n", s->score, md->acc[i],
                    is_top ? " (top-scored)" : "", md->acc[i] == best ? " (best ground truth)" : "");
        }
    for (size_t j = 0; j < np; j++) {
        size_t i = md->buf[j];
        if (md->acc[i] != best)
            continue;
        fprintf(f, "<circle class=\"ring\" cx=\"%.1f\" cy=\"%.1f\" r=\"8\" fill=\"none\" "
                   "stroke=\"#1a9c4a\" stroke-width=\"2\" pointer-events=\"none\"/>\n",
                ckr_axis_px(&ax, r->scores[i].score), ckr_axis_px(&ay, md->acc[i]));
    }
    ckr_svg_end(f);
    fputs("<figcaption>", f);
    if (top >= 0) {
        int hit = md->acc[top] == best;
        fprintf(f, "top-scored <span class=\"%s\">", hit ? "hit" : "miss");
        ckr_xml_puts_max(f, r->scores[top].ckpt, 40);
        fputs(hit ? "</span> (a best one)" : "</span>", f);
        for (size_t j = 0; j < np && !hit; j++)
            if (md->acc[md->buf[j]] == best) {
                fputs("; best <span class=\"hit\">", f);
                ckr_xml_puts_max(f, r->scores[md->buf[j]].ckpt, 40);
                fputs("</span>", f);
                break;
            }
    }
    if (n_bad)
        fprintf(f, "%s<span class=\"bad\">%zu not ok</span>", top >= 0 ? "; " : "", n_bad);
    if (n_nogt)
        fprintf(f, "%s%zu without ground truth", top >= 0 || n_bad ? "; " : "", n_nogt);
    fputs("</figcaption></figure>\n", f);
}

static int scatter_section(FILE *f, const model *md)
{
    const ckr_results *r = md->r;
    double *v = malloc(((r->n_gt > r->n_scores ? r->n_gt : r->n_scores) + 1) * sizeof *v);
    if (!v)
        return CKR_ENOMEM;
    fputs("<section id=\"scatter\"><h2>Scores against ground truth</h2>\n"
          "<p class=\"sub\">Per task, one panel per method: each ranked checkpoint's score (x) "
          "against its ground-truth fine-tuning accuracy (y); a good score puts the points on a "
          "rising line and the orange point inside the green ring.</p>\n", f);
    legend(f);
    for (size_t t = 0; t < md->T; t++) {
        /* one y range per task: the ground truth of the task's ranked points */
        size_t nv = 0;
        for (size_t m = 0; m < md->M; m++) {
            size_t k = group_chosen(md, t, m);
            for (size_t j = 0; j < k; j++)
                if (is_ok(&r->scores[md->buf[j]]) && isfinite(md->acc[md->buf[j]]))
                    v[nv++] = md->acc[md->buf[j]];
        }
        ckr_axis ay;
        ckr_axis_fit(&ay, v, nv, 0, PB, PT);
        fputs("<h3>task ", f);
        put(f, md->tasks.name[t]);
        fputs("</h3>\n<div class=\"grid\">\n", f);
        for (size_t m = 0; m < md->M; m++)
            if (md->gend[t * md->M + m] > md->gstart[t * md->M + m])
                panel(f, md, t, m, &ay, v);
        fputs("</div>\n", f);
    }
    fputs("</section>\n", f);
    free(v);
    return 0;
}

/* Without ground truth: the scores per task, checkpoint x method. */
static int scores_section(FILE *f, const model *md)
{
    const ckr_results *r = md->r;
    size_t C = md->ckpts.n, M = md->M;
    long *cell = malloc((C * M > 0 ? C * M : 1) * sizeof *cell);
    long *top = malloc((M ? M : 1) * sizeof *top);
    if (!cell || !top) {
        free(cell);
        free(top);
        return CKR_ENOMEM;
    }
    fputs("<section id=\"scores\"><h2>Scores</h2>\n<p class=\"note\">This results file has no "
          "ground truth (no <code>finetune_accuracy</code> for any scored pair), so there are no "
          "scatter plots and no ranking-quality metrics: the scores are tabulated instead, the "
          "top score of each method highlighted.</p>\n", f);
    for (size_t t = 0; t < md->T; t++) {
        for (size_t i = 0; i < C * M; i++)
            cell[i] = -1;
        for (size_t m = 0; m < M; m++) {
            size_t k = group_chosen(md, t, m);
            for (size_t j = 0; j < k; j++)
                cell[md->cid[md->buf[j]] * M + m] = (long)md->buf[j];
            top[m] = top_scored(md, t, m);
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
        for (size_t c = 0; c < C; c++) {
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
                } else if (is_ok(&r->scores[i])) {
                    snprintf(b, sizeof b, "%.6g", r->scores[i].score);
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
    return 0;
}

/* ---- failed items --------------------------------------------------------------------- */

typedef struct stat_count {
    const char *method, *status;
    size_t n;
} stat_count;

static int cmp_stat(const void *pa, const void *pb)
{
    const stat_count *a = pa, *b = pb;
    int c = strcmp(a->method, b->method);
    return c ? c : strcmp(a->status, b->status);
}

static int status_section(FILE *f, const model *md)
{
    const ckr_results *r = md->r;
    fputs("<section id=\"status\"><h2>Failed items</h2>\n", f);
    if (md->n_bad == 0) {
        fprintf(f, "<p class=\"ok\">Every one of the %zu items is ok.</p></section>\n",
                r->n_scores);
        return 0;
    }
    stat_count *sc = malloc(md->n_bad * sizeof *sc);
    if (!sc)
        return CKR_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < r->n_scores; i++)
        if (!is_ok(&r->scores[i]))
            sc[n++] = (stat_count){ r->scores[i].method, r->scores[i].status, 1 };
    qsort(sc, n, sizeof *sc, cmp_stat);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && cmp_stat(&sc[u - 1], &sc[i]) == 0)
            sc[u - 1].n++;
        else
            sc[u++] = sc[i];
    }
    fprintf(f, "<p class=\"sub\">%zu of %zu items are not ok; they are left out of the metrics "
               "and the plots.</p>\n<table>\n<tr><th>method</th><th>status</th><th>items</th></tr>\n",
            md->n_bad, r->n_scores);
    for (size_t i = 0; i < u; i++) {
        fputs("<tr><td>", f);
        put(f, sc[i].method);
        fputs("</td><td class=\"bad\">", f);
        put(f, sc[i].status);
        fprintf(f, "</td><td class=\"num\">%zu</td></tr>\n", sc[i].n);
    }
    fputs("</table>\n<h3>Items</h3>\n<div class=\"scroll\"><table class=\"failed\">\n"
          "<tr><th>checkpoint</th><th>task</th><th>method</th><th>status</th><th>message</th></tr>\n",
          f);
    size_t shown = 0;
    for (size_t i = 0; i < r->n_scores && shown < MAX_STATUS_ROWS; i++) {
        const ckr_score_row *s = &r->scores[i];
        if (is_ok(s))
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
    free(sc);
    return 0;
}

/* ---- the page ------------------------------------------------------------------------ */

int ckr_report_write_html(const char *path, const ckr_results *r, ckr_err *err)
{
    model md;
    int rc = model_build(&md, r);
    if (rc)
        return ckr_err_set(err, rc, "%s: out of memory building the report (%zu rows)", path,
                           r->n_scores);
    FILE *f = fopen(path, "w");
    if (!f) {
        model_free(&md);
        return ckr_err_set(err, CKR_EIO, "%s: cannot create", path);
    }
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
               "<a href=\"#winners\">winners</a><a href=\"#metrics\">ranking quality</a>"
               "<a href=\"#cost\">cost</a><a href=\"%s\">%s</a>"
               "<a href=\"#status\">failed items</a></nav></header>\n",
            md.T, md.ckpts.n, md.M, r->n_scores, md.n_bad ? "bad" : "ok", md.n_bad,
            has_gt ? "#scatter" : "#scores", has_gt ? "scatter plots" : "scores");
    if (!has_gt)
        fputs("<p class=\"note\">No ground truth: this report has no ranking-quality metrics, "
              "cost-versus-quality charts or scatter plots; it tabulates the scores.</p>\n", f);
    provenance(f, &md);
    winners(f, &md);
    rc = metrics_section(f, &md);
    if (!rc)
        rc = cost_section(f, &md);
    if (!rc)
        rc = has_gt ? scatter_section(f, &md) : scores_section(f, &md);
    if (!rc)
        rc = status_section(f, &md);
    fprintf(f, "<footer>ckptrank %s " MIDDOT " self-contained report: inline CSS and SVG, no "
               "script</footer>\n</body>\n</html>\n", CKPTRANK_VERSION);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        if (!rc)
            rc = ckr_err_set(err, CKR_EIO, "%s: write failed", path);
    } else if (rc) {
        ckr_err_set(err, rc, "%s: out of memory writing the report", path);
    }
    model_free(&md);
    return rc;
}
