/* output.c -- results of a run: collect the rows, write the outputs. */
#include "sched/output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/consensus.h"
#include "report/crossnorm.h"
#include "report/json.h"
#include "report/ranking_out.h"
#include "report/results_csv.h"
#include "report/results_h5.h"
#include "report/sweep.h"

void ckr_output_utc_now(char *buf, size_t len)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ckr_output_meta(const ckptrank_run_opts *o, int n_ranks, ckr_results_meta *m)
{
    snprintf(m->command_line, sizeof m->command_line, "%s", o->command_line ? o->command_line : "");
    snprintf(m->version, sizeof m->version, "%s", CKPTRANK_VERSION);
    snprintf(m->zoo, sizeof m->zoo, "%s", o->zoo_path);
    snprintf(m->methods, sizeof m->methods, "%s", o->methods);
    m->seed = (unsigned long long)o->seed;
    m->n_ranks = n_ranks;
}

static void score_row(const ckr_item_list *l, const ckr_item *it, ckr_score_row *row)
{
    const char *ckpt, *task;
    ckr_item_names(l, it, &ckpt, &task);
    snprintf(row->ckpt, sizeof row->ckpt, "%s", ckpt);
    snprintf(row->task, sizeof row->task, "%s", task);
    snprintf(row->method, sizeof row->method, "%s", l->specs[it->spec].text);
    snprintf(row->sweep, sizeof row->sweep, "%s", l->specs[it->spec].sweep);
    if (!it->done) {
        row->score = row->seconds = row->gflops = row->heldout = NAN;
        snprintf(row->status, sizeof row->status, "not-run");
        snprintf(row->message, sizeof row->message, "%.200s; use --resume",
                 strcmp(it->res.status, "not-run") == 0 ? it->res.message /* abandoned */
                                                        : "interrupted before this item ran");
        return;
    }
    row->score = it->res.score;
    snprintf(row->status, sizeof row->status, "%s", it->res.status);
    snprintf(row->message, sizeof row->message, "%s", it->res.message);
    snprintf(row->info, sizeof row->info, "%s", it->res.info);
    row->seconds = it->res.seconds;
    row->gflops = it->res.gflops;
    row->heldout = it->res.heldout;
    const ckr_method *m = l->specs[it->spec].method;
    if (m->n_terms > 0 && it->res.n_terms == m->n_terms)
        ckr_terms_format(m->term_weights, it->res.terms, m->n_terms, row->terms,
                         sizeof row->terms);
}

int ckr_output_collect(const ckr_item_list *l, ckr_results *r, ckr_err *err)
{
    const ckr_zoo *zoo = l->zoo;
    r->scores = calloc(l->n + 1, sizeof *r->scores);
    r->gt = calloc(ckr_zoo_num_pairs(zoo) + 1, sizeof *r->gt);
    if (!r->scores || !r->gt)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for results");
    for (size_t i = 0; i < l->n; i++)
        score_row(l, &l->items[i], &r->scores[r->n_scores++]);
    for (size_t p = 0; p < ckr_zoo_num_pairs(zoo); p++) {
        const ckr_pair_info *pi = ckr_zoo_pair(zoo, p);
        if (!pi->has_gt)
            continue;
        ckr_gt_row *g = &r->gt[r->n_gt++];
        snprintf(g->ckpt, sizeof g->ckpt, "%s", ckr_zoo_ckpt(zoo, pi->ckpt)->name);
        snprintf(g->task, sizeof g->task, "%s", ckr_zoo_task(zoo, pi->task)->name);
        g->accuracy = pi->finetune_accuracy;
    }
    int rc = ckr_crossnorm_apply(r->scores, r->n_scores, err);
    return rc ? rc : ckr_results_add_sweep_best(r, err);
}

int ckr_output_write(const ckptrank_run_opts *o, ckr_results *r, ckr_err *err)
{
    int rc = ckr_results_compute_metrics(r, o->k, o->nk, err);
    if (!rc && o->out_h5)
        rc = ckr_results_write_h5(o->out_h5, r, err);
    if (!rc && o->csv_path)
        rc = ckr_scores_write_csv(o->csv_path, r->scores, r->n_scores, err);
    if (!rc && o->metrics_csv)
        rc = ckr_metrics_write_csv(o->metrics_csv, r->metrics, r->n_metrics, err);
    if (!rc && o->json_path)
        rc = ckr_results_write_json(o->json_path, r, 0, err);
    ckr_ranking rk = { 0 };
    if (!rc && (o->ranking_csv || o->print_table))
        rc = ckr_ranking_compute(r->scores, r->n_scores, &rk, err);
    if (!rc && o->ranking_csv)
        rc = ckr_ranking_write_csv(o->ranking_csv, &rk, err);
    if (!rc && o->print_table && rk.n_rows > 0) {
        ckr_ranking_print(stdout, &rk, o->top > 0 ? o->top : 5);
        putchar('\n');
    }
    ckr_ranking_free(&rk);
    if (!rc && o->print_table) {
        if (r->n_gt > 0)
            ckr_metrics_print(stdout, r->metrics, r->n_metrics);
        else
            printf("(no finetune_accuracy in the zoo: no ranking-quality table)\n");
        fflush(stdout);
    }
    return rc;
}
