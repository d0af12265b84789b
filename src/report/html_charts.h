/* html_charts.h -- the charts of the HTML report (html.h describes the page):
 * inline SVG drawn with report/svg.h from the model of report/html_model.h.
 *
 * Both functions write to a FILE the caller owns and checks once at the end
 * (see svg.h); they return 0, or CKR_ENOMEM when a scratch array cannot be
 * allocated (the output then stops inside the element being written). */
#ifndef CKR_HTML_CHARTS_H
#define CKR_HTML_CHARTS_H

#include <stdio.h>

#include "report/html_model.h"

/* The body of the "cost versus quality" section for a model with ranked
 * rows (md->n_ranked > 0): a sentence, then in a <div class="charts"> two
 * <figure>s, mean seconds per item and mean GFLOPs per item (x, log10)
 * against the mean Kendall tau-b (y, within [-1, 1]), one labelled
 * <circle class="cost-pt" data-method=..> per method with a finite mean
 * Kendall, labels placed where they overlap no point or earlier label when
 * one of a few positions allows; then a line naming the methods not plotted
 * (no mean Kendall). The caller writes the <section> around it. */
int ckr_html_cost_charts(FILE *f, const ckr_html_model *md);

/* The section "scores against ground truth" (<section id="scatter">): a
 * legend, then per task an <h3> and a grid of panels, one per method with a
 * row for the task. A panel plots the group's ranked chosen rows, x = score,
 * y = ground truth (one y range per task, fitted to the task's ranked rows):
 * one <circle class="pt" data-ckpt data-method data-task data-score
 * data-acc> with a <title> each, the top-scored one (ckr_html_top_scored's
 * rule among the plotted rows) "pt top" and drawn last, a <circle
 * class="ring"> around each point with the best ground truth of the panel;
 * the title gives Pearson and Kendall of the group's metrics row, the
 * caption the top-scored and best checkpoints and the counts of not-ok rows
 * and of rows without ground truth. */
int ckr_html_scatter_section(FILE *f, const ckr_html_model *md);

#endif
