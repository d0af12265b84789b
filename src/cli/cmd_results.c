/* cmd_results.c -- `ckptrank report` and `ckptrank evaluate`. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "report/html.h"
#include "report/json.h"
#include "report/results_csv.h"
#include "report/results_h5.h"

typedef struct report_args {
    const char *csv, *scores_csv, *json, *html;
    cli_klist k;
    int quiet;
} report_args;

static const cli_opt report_opts[] = {
    { "csv", 0, OPT_STR, offsetof(report_args, csv), "FILE",
      "metrics CSV: task,method,n_checkpoints,recall@k,rel@k,...,pearson,kendall,weighted_kendall" },
    { "scores-csv", 0, OPT_STR, offsetof(report_args, scores_csv), "FILE", "also write the scores CSV" },
    { "json", 0, OPT_STR, offsetof(report_args, json), "FILE",
      "provenance, scores, metrics and ground truth as JSON" },
    { "html", 0, OPT_STR, offsetof(report_args, html), "FILE",
      "self-contained HTML report with plots (inline SVG, no script)" },
    { "k", 'k', OPT_KLIST, offsetof(report_args, k), "K1,K2", "cut-offs of recall@k and rel@k (default 1,3)" },
    { "quiet", 'q', OPT_FLAG, offsetof(report_args, quiet), NULL, "no table on stdout" },
    { NULL, 0, 0, 0, NULL, NULL },
};

typedef struct eval_args {
    const char *scores, *gt, *csv, *json;
    cli_klist k;
    int quiet;
} eval_args;

static const cli_opt eval_opts[] = {
    { "scores", 0, OPT_STR, offsetof(eval_args, scores), "FILE",
      "scores CSV with at least checkpoint,task,method,score (status honoured if present)" },
    { "ground-truth", 0, OPT_STR, offsetof(eval_args, gt), "FILE", "ground-truth CSV: checkpoint,task,accuracy" },
    { "csv", 0, OPT_STR, offsetof(eval_args, csv), "FILE", "metrics CSV" },
    { "json", 0, OPT_STR, offsetof(eval_args, json), "FILE", "scores, metrics and ground truth as JSON" },
    { "k", 'k', OPT_KLIST, offsetof(eval_args, k), "K1,K2", "cut-offs of recall@k and rel@k (default 1,3)" },
    { "quiet", 'q', OPT_FLAG, offsetof(eval_args, quiet), NULL, "no table on stdout" },
    { NULL, 0, 0, 0, NULL, NULL },
};

/* Compute, print and write the metrics of r. */
static int emit_metrics(ckr_results *r, const cli_klist *k, const char *csv, int quiet,
                        const char *cmd)
{
    ckr_err err = { 0, "" };
    int rc = ckr_results_compute_metrics(r, k->k, k->n, &err);
    if (!rc && csv)
        rc = ckr_metrics_write_csv(csv, r->metrics, r->n_metrics, &err);
    if (rc) {
        fprintf(stderr, "ckptrank %s: %s\n", cmd, err.msg);
        return CKR_EXIT_ERROR;
    }
    if (!quiet) {
        if (r->n_gt == 0)
            printf("(no ground truth: no ranking-quality table)\n");
        else
            ckr_metrics_print(stdout, r->metrics, r->n_metrics);
    }
    return CKR_EXIT_OK;
}

int ckr_cmd_report(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    report_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    char *pos[1];
    int npos = 0;
    int prc = cli_parse(argc, argv, report_opts, &a, pos, 1, &npos);
    if (prc == CLI_HELP) {
        cli_print_help(stdout, "ckptrank report RESULTS.h5 [options]",
                       "Print the ranking-quality table (per task and the mean over tasks) of a\n"
                       "results file written by `ckptrank run -o`, recomputed with the given k.\n"
                       "--html writes one self-contained page (plots per task and method, the\n"
                       "metrics, cost against quality, failed items, provenance).",
                       report_opts);
        return CKR_EXIT_OK;
    }
    if (prc == CLI_OK && npos != 1) {
        fprintf(stderr, "ckptrank report: expected one results file (see --help)\n");
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    ckr_results r;
    ckr_err err = { 0, "" };
    if (ckr_results_read_h5(pos[0], &r, &err) != 0) {
        fprintf(stderr, "ckptrank report: %s\n", err.msg);
        return CKR_EXIT_ERROR;
    }
    if (!a.quiet)
        printf("results %s: zoo %s, methods %s, seed %llu, %d ranks, %s .. %s\n", pos[0], r.meta.zoo,
               r.meta.methods, r.meta.seed, r.meta.n_ranks, r.meta.start_time, r.meta.end_time);
    int status = CKR_EXIT_OK;
    if (a.scores_csv && ckr_scores_write_csv(a.scores_csv, r.scores, r.n_scores, &err) != 0) {
        fprintf(stderr, "ckptrank report: %s\n", err.msg);
        status = CKR_EXIT_ERROR;
    }
    if (status == CKR_EXIT_OK)
        status = emit_metrics(&r, &a.k, a.csv, a.quiet, "report");
    if (status == CKR_EXIT_OK && ((a.json && ckr_results_write_json(a.json, &r, 0, &err) != 0) ||
                                  (a.html && ckr_report_write_html(a.html, &r, &err) != 0))) {
        fprintf(stderr, "ckptrank report: %s\n", err.msg);
        status = CKR_EXIT_ERROR;
    }
    ckr_results_free(&r);
    return status;
}

int ckr_cmd_evaluate(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    eval_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    char *pos[1];
    int npos = 0;
    int prc = cli_parse(argc, argv, eval_opts, &a, pos, 0, &npos);
    if (prc == CLI_HELP) {
        cli_print_help(stdout, "ckptrank evaluate --scores SCORES.csv --ground-truth GT.csv [options]",
                       "Ranking quality of scores computed by any tool: per task and method, the\n"
                       "checkpoints with a score and a ground truth are ranked; then the mean over tasks.",
                       eval_opts);
        return CKR_EXIT_OK;
    }
    if (prc == CLI_OK && (!a.scores || !a.gt)) {
        fprintf(stderr, "ckptrank evaluate: --scores and --ground-truth are required (see --help)\n");
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    ckr_results r;
    memset(&r, 0, sizeof r);
    ckr_err err = { 0, "" };
    int status = CKR_EXIT_OK;
    if (ckr_scores_read_csv(a.scores, &r.scores, &r.n_scores, &err) != 0 ||
        ckr_gt_read_csv(a.gt, &r.gt, &r.n_gt, &err) != 0) {
        fprintf(stderr, "ckptrank evaluate: %s\n", err.msg);
        status = CKR_EXIT_ERROR;
    }
    if (status == CKR_EXIT_OK)
        status = emit_metrics(&r, &a.k, a.csv, a.quiet, "evaluate");
    if (status == CKR_EXIT_OK && a.json) {
        char cmdline[2000];
        ckr_cli_join_argv(argc, argv, cmdline, sizeof cmdline);
        snprintf(r.meta.command_line, sizeof r.meta.command_line, "ckptrank %s", cmdline);
        if (ckr_results_write_json(a.json, &r, CKR_JSON_FROM_CSV, &err) != 0) {
            fprintf(stderr, "ckptrank evaluate: %s\n", err.msg);
            status = CKR_EXIT_ERROR;
        }
    }
    ckr_results_free(&r);
    return status;
}
