/* html.h -- `ckptrank report RESULTS.h5 --html FILE`: one self-contained HTML
 * page of a run, with inline SVG plots made by report/svg.h.
 *
 * The page needs nothing else: no script, no external URL, no web font
 * (inline CSS, system font stack). It is well-formed XML (XHTML namespace,
 * void elements self-closed, every text escaped by ckr_xml_puts), so
 * `xmllint --noout` accepts it, and every <svg> is a standalone SVG document
 * (it carries its xmlns and presentation attributes). Its sections:
 *
 *  - provenance: command line, version, seed, zoo, methods, MPI ranks, start
 *    and end times, wall time, and counts of rows/ok/failed;
 *  - winners: per task, the checkpoint with the best ground truth and each
 *    method's top-scored checkpoint (marked when it is a best one);
 *  - ranking quality: the metrics table grouped by task, then the `mean`
 *    rows; in each group the best value of each column is highlighted (the
 *    highest for every metric, the lowest for seconds and GFLOPs per item;
 *    among the methods that ranked a checkpoint; none where all are equal);
 *  - cost versus quality: two charts, mean seconds per item (log10) and mean
 *    GFLOPs per item (log10) against mean Kendall, one labelled point per
 *    method (<circle class="cost-pt" data-method=..>); methods without a
 *    mean Kendall are listed under the charts;
 *  - scores against ground truth: per task a grid of scatter plots, one per
 *    method, x = score, y = ground-truth accuracy (one y range per task),
 *    one <circle class="pt" data-ckpt data-method data-task data-score
 *    data-acc> per checkpoint that the metrics rank (the row the metrics
 *    table chooses: ok score and a ground truth), each with a
 *    <title>CKPT: score=.., acc=..</title>; the top-scored point has class
 *    "pt top" (orange), the best ground truth gets a green ring
 *    (<circle class="ring">); the panel title gives Pearson and Kendall and
 *    the caption the top-scored and best checkpoints and the non-ok count;
 *  - failed items: counts per method and status, then every non-ok row with
 *    its message (the first 2000 rows; the JSON has them all).
 * Without any ground truth the page says so and, instead of the metrics,
 * charts and scatters, tabulates the scores per task (checkpoint x method,
 * the top score per method highlighted).
 *
 * The page depends only on r (no clock), so the same results give the same
 * bytes. It is drawn by html.c from the index of report/html_model.h (what
 * ranks, the chosen rows, winners, failures); the charts are html_charts.c. */
#ifndef CKR_HTML_H
#define CKR_HTML_H

#include "report/results.h"

/* Write the report of r (r->metrics already computed) to path, replacing it.
 * Returns 0; CKR_EIO if path cannot be created or written; CKR_ENOMEM (the
 * page may then be cut short). */
int ckr_report_write_html(const char *path, const ckr_results *r, ckr_err *err);

#endif
