/* html_rank.c -- the agreement section of the HTML page (see html_rank.h). */
#include "report/html_rank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/ranking_out.h"
#include "report/svg.h"

int ckr_html_agreement_section(FILE *f, const ckr_ranking *k)
{
    const char **names = malloc(CKR_AGREE_MAX * sizeof *names);
    double *tau = malloc(CKR_AGREE_MAX * CKR_AGREE_MAX * sizeof *tau);
    int *nc = malloc(CKR_AGREE_MAX * CKR_AGREE_MAX * sizeof *nc);
    if (!names || !tau || !nc) {
        free(names);
        free(tau);
        free(nc);
        return CKR_ENOMEM;
    }
    fputs("<section id=\"agreement\"><h2>Agreement between methods</h2>\n"
          "<p class=\"sub\">Per task, Kendall's tau-b between two methods' scores over the "
          "checkpoints both scored (1: the same order; 0: unrelated; -1: reversed). "
          "The consensus ranks checkpoints by the mean of their ranks over these methods "
          "(a sweep counts once, through its best grid point).</p>\n", f);
    const char *task = ckr_agree_task(k, 0);
    if (!task)
        fputs("<p class=\"note\">No task has two methods with scores.</p>\n", f);
    for (size_t t = 0; (task = ckr_agree_task(k, t)) != NULL; t++) {
        size_t m = ckr_agree_matrix(k, task, names, tau, nc);
        fputs("<h3>task ", f);
        ckr_xml_puts(f, task);
        fputs("</h3>\n<div class=\"scroll\"><table class=\"agreement\">\n<tr><th></th>", f);
        for (size_t j = 0; j < m; j++) {
            fputs("<th>", f);
            ckr_xml_puts_max(f, names[j], 40);
            fputs("</th>", f);
        }
        fputs("</tr>\n", f);
        for (size_t i = 0; i < m; i++) {
            fputs("<tr><th>", f);
            ckr_xml_puts_max(f, names[i], 40);
            fputs("</th>", f);
            for (size_t j = 0; j < m; j++) {
                char b[64];
                ckr_fmt_fixed(b, sizeof b, tau[i * m + j], 3);
                if (i == j)
                    fprintf(f, "<td class=\"num\">%s</td>", b);
                else
                    fprintf(f, "<td class=\"num\"><span title=\"%d checkpoints\">%s</span></td>",
                            nc[i * m + j], b);
            }
            fputs("</tr>\n", f);
        }
        fputs("</table></div>\n", f);
    }
    fputs("</section>\n", f);
    free(names);
    free(tau);
    free(nc);
    return 0;
}

/* *ra = r with the consensus rows (metrics/consensus.h) first, as a method of
 * its own (score = minus the mean rank); ra->scores malloc'd. */
int ckr_html_with_consensus(const ckr_results *r, ckr_ranking *rk, ckr_results *ra, ckr_err *err)
{
    ckr_score_row *all = NULL, *rot = NULL;
    size_t n_all = 0;
    int rc = ckr_ranking_compute(r->scores, r->n_scores, rk, err);
    if (!rc)
        rc = ckr_consensus_score_rows(r->scores, r->n_scores, rk, &all, &n_all, err);
    if (!rc && !(rot = malloc((n_all + 1) * sizeof *rot)))
        rc = ckr_err_set(err, CKR_ENOMEM, "out of memory for the consensus rows");
    if (!rc) {
        size_t nc = n_all - r->n_scores;
        memcpy(rot, all + r->n_scores, nc * sizeof *rot);
        if (r->n_scores)
            memcpy(rot + nc, all, r->n_scores * sizeof *rot);
        *ra = *r;
        ra->scores = rot;
        ra->n_scores = n_all;
    }
    free(all);
    return rc;
}
