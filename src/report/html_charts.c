/* html_charts.c -- the charts of the HTML report (see html_charts.h). */
#include "report/html_charts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg.h"

static const char *palette[] = { "#3b6fd4", "#e8710a", "#1a9c4a", "#c2185b", "#7b3fb5",
                                 "#00838f", "#8d6e00", "#d32f2f", "#546e7a", "#6d4c41" };
#define N_PALETTE (sizeof palette / sizeof palette[0])

/* ---- cost versus quality ------------------------------------------------------------------ */

typedef struct box {
    double x0, y0, x1, y1;
} box;

static int overlaps(const box *a, const box *b)
{
    return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* One chart: x = mean seconds (which 0) or GFLOPs (1) per item, log10. */
static int cost_chart(FILE *f, const ckr_html_model *md, int which)
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
        x[m] = q && isfinite(q->kendall) && !ckr_html_is_consensus(md, m)
                   ? (which ? q->mean_gflops : q->mean_seconds) : NAN;
    }
    ckr_axis_fit(&ax, x, M, 1, L, R);
    double *ky = calloc(M ? M : 1, sizeof *ky);
    if (!ky) {
        free(x);
        free(placed);
        return CKR_ENOMEM;
    }
    for (size_t m = 0; m < M; m++)
        ky[m] = md->mean[m] && !ckr_html_is_consensus(md, m) ? md->mean[m]->kendall : NAN;
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
        if (!q || !isfinite(q->kendall) || ckr_html_is_consensus(md, m))
            continue;
        double px = ckr_axis_px(&ax, x[m]), py = ckr_axis_px(&ay, q->kendall);
        const char *col = palette[m % N_PALETTE];
        char sx[64], sg[64], sk[64];
        ckr_fmt_g(sx, sizeof sx, q->mean_seconds);
        ckr_fmt_g(sg, sizeof sg, q->mean_gflops);
        ckr_fmt_fixed(sk, sizeof sk, q->kendall, 3);
        fprintf(f, "<circle class=\"cost-pt\" data-method=\"");
        ckr_xml_puts(f, q->method);
        fprintf(f, "\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"%s\" stroke=\"#fff\" "
                   "stroke-width=\"1.5\"><title>", px, py, col);
        ckr_xml_puts(f, q->method);
        fprintf(f, ": %s s/item, %s GFLOPs/item, Kendall %s%s</title></circle>\n", sx, sg, sk,
                isfinite(x[m]) && x[m] > 0 ? "" : " (not positive: drawn at the axis)");
        placed[np++] = (box){ px - 6, py - 6, px + 6, py + 6 };
    }
    /* labels: the first of a few positions that overlaps no point or label */
    for (size_t m = 0; m < M; m++) {
        const ckr_metric_row *q = md->mean[m];
        if (!q || !isfinite(q->kendall) || ckr_html_is_consensus(md, m))
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

int ckr_html_cost_charts(FILE *f, const ckr_html_model *md)
{
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
        ckr_xml_puts(f, md->methods.name[m]);
        fputs("</code>", f);
    }
    if (!first)
        fputs("</p>\n", f);
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
    ckr_xml_puts(f, s->ckpt);
    fputs("\" data-method=\"", f);
    ckr_xml_puts(f, s->method);
    fputs("\" data-task=\"", f);
    ckr_xml_puts(f, s->task);
    fputc('"', f);
}

/* The panel of task t and method m; ytask: the task's y axis; pts and xs:
 * room for the rows of the group. */
static void panel(FILE *f, const ckr_html_model *md, size_t t, size_t m, const ckr_axis *ytask,
                  size_t *pts, double *xs)
{
    const ckr_results *r = md->r;
    size_t k, np = 0, n_bad = 0, n_nogt = 0;
    const size_t *rows = ckr_html_chosen(md, t, m, &k);
    for (size_t j = 0; j < k; j++) {
        size_t i = rows[j];
        if (!ckr_score_row_is_ok(&r->scores[i]))
            n_bad++;
        else if (!isfinite(md->acc[i]))
            n_nogt++;
        else
            pts[np++] = i;
    }
    const ckr_metric_row *q = md->met[t * md->M + m];
    const char *method = md->methods.name[m];
    long top = -1;
    double best = NAN;
    for (size_t j = 0; j < np; j++) {
        size_t i = pts[j];
        xs[j] = r->scores[i].score;
        if (top < 0 || r->scores[i].score > r->scores[top].score)
            top = (long)i;
        if (isnan(best) || md->acc[i] > best)
            best = md->acc[i];
    }
    ckr_axis ax, ay = *ytask;
    ckr_axis_fit(&ax, xs, np, 0, PL, PR);
    char title[600], pe[32], ke[32];
    ckr_fmt_fixed(pe, sizeof pe, q ? q->pearson : NAN, 3);
    ckr_fmt_fixed(ke, sizeof ke, q ? q->kendall : NAN, 3);
    snprintf(title, sizeof title, "%s on %s: Pearson %s, Kendall %s", method, md->tasks.name[t], pe,
             ke);
    fputs("<figure class=\"panel\">", f);
    ckr_svg_begin(f, PW, PH, "scatter", title);
    ckr_svg_text(f, PW / 2.0, 16, "middle", "ptitle", method, 40);
    snprintf(title, sizeof title, "Pearson %s  " CKR_TEXT_MIDDOT "  Kendall %s", pe, ke);
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
            size_t i = pts[j];
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
            ckr_xml_puts(f, s->ckpt);
            fprintf(f, ": score=%.6g, acc=%.4g%s%s</title></circle>\n", s->score, md->acc[i],
                    is_top ? " (top-scored)" : "", md->acc[i] == best ? " (best ground truth)" : "");
        }
    for (size_t j = 0; j < np; j++) {
        size_t i = pts[j];
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
            if (md->acc[pts[j]] == best) {
                fputs("; best <span class=\"hit\">", f);
                ckr_xml_puts_max(f, r->scores[pts[j]].ckpt, 40);
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

int ckr_html_scatter_section(FILE *f, const ckr_html_model *md)
{
    const ckr_results *r = md->r;
    double *v = malloc(((r->n_gt > r->n_scores ? r->n_gt : r->n_scores) + 1) * sizeof *v);
    size_t *pts = malloc((r->n_scores + 1) * sizeof *pts);
    if (!v || !pts) {
        free(v);
        free(pts);
        return CKR_ENOMEM;
    }
    fputs("<section id=\"scatter\"><h2>Scores against ground truth</h2>\n"
          "<p class=\"sub\">Per task, one panel per method: each ranked checkpoint's score (x) "
          "against its ground-truth fine-tuning accuracy (y); a good score puts the points on a "
          "rising line and the orange point inside the green ring.</p>\n", f);
    legend(f);
    for (size_t t = 0; t < md->T; t++) {
        /* one y range per task: the ground truth of the task's ranked points */
        size_t nv = 0;
        for (size_t m = 0; m < md->M; m++) {
            size_t k;
            const size_t *rows = ckr_html_chosen(md, t, m, &k);
            for (size_t j = 0; j < k; j++)
                if (ckr_html_ranked(md, rows[j]))
                    v[nv++] = md->acc[rows[j]];
        }
        ckr_axis ay;
        ckr_axis_fit(&ay, v, nv, 0, PB, PT);
        fputs("<h3>task ", f);
        ckr_xml_puts(f, md->tasks.name[t]);
        fputs("</h3>\n<div class=\"grid\">\n", f);
        for (size_t m = 0; m < md->M; m++)
            if (md->cend[t * md->M + m] > md->cstart[t * md->M + m])
                panel(f, md, t, m, &ay, pts, v);
        fputs("</div>\n", f);
    }
    fputs("</section>\n", f);
    free(v);
    free(pts);
    return 0;
}
