/* cmd_report.c -- `ckptrank report RESULTS.h5`: the ranking-quality table of a
 * results file, and its CSV, JSON and HTML forms. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "report/crossnorm.h"
#include "report/html.h"
#include "metrics/consensus.h"
#include "report/json.h"
#include "report/ranking_out.h"
#include "report/results.h"
#include "report/results_csv.h"
#include "report/results_h5.h"

typedef struct report_args {
    const char *csv, *scores_csv, *json, *html;
    cli_klist k;
    int quiet;
    const char *ranking_csv;
    int top;
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
    { "ranking-csv", 0, OPT_STR, offsetof(report_args, ranking_csv), "FILE",
      "ranking CSV: task,method,rank,checkpoint,score, with the consensus (score = mean rank)" },
    { "top", 0, OPT_INT, offsetof(report_args, top), "N",
      "checkpoints per task and method in the ranking on stdout (default 5)" },
    { NULL, 0, 0, 0, NULL, NULL },
};

static const char report_about[] =
    "Print the ranking-quality table (per task and the mean over tasks) of a\n"
    "results file written by `ckptrank run -o`, recomputed with the given k, after\n"
    "the ranking: per task the best --top checkpoints by a consensus of the methods\n"
    "(the mean of each checkpoint's ranks, 1 = best) and by each method.\n"
    "--html writes one self-contained page (plots per task and method, the\n"
    "metrics, cost against quality, failed items, provenance).";

int ckr_cmd_report(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    report_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    a.top = 5;
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(&c, report_opts, &a, pos, 1, &npos, "ckptrank report RESULTS.h5 [options]",
                            report_about);
    if (prc == CLI_OK && npos != 1)
        prc = cli_usage(&c, "expected one results file (see --help)");
    if (prc == CLI_OK && a.top < 1)
        prc = cli_usage(&c, "--top %d: must be at least 1", a.top);
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    const cli_path in[] = { { "", pos[0] } };
    const cli_path out[] = { { "--csv", a.csv }, { "--scores-csv", a.scores_csv },
                             { "--json", a.json }, { "--html", a.html },
                             { "--ranking-csv", a.ranking_csv } };
    int pst = cli_check_paths(&c, in, 1, out, sizeof out / sizeof out[0]);
    if (pst != CKR_EXIT_OK)
        return pst;
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    ckr_results r;
    ckr_err err = { 0, "" };
    if (ckr_results_read_h5(pos[0], &r, &err) != 0 ||
        ckr_crossnorm_apply(r.scores, r.n_scores, &err) != 0) { /* from the raw terms */
        cli_error(&c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    if (!a.quiet)
        printf("results %s: zoo %s, methods %s, seed %llu, %d ranks, %s .. %s\n", pos[0], r.meta.zoo,
               r.meta.methods, r.meta.seed, r.meta.n_ranks, r.meta.start_time, r.meta.end_time);
    int status = CKR_EXIT_OK;
    if (a.scores_csv && ckr_scores_write_csv(a.scores_csv, r.scores, r.n_scores, &err) != 0) {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    }
    ckr_ranking rk = { 0 };
    if (status == CKR_EXIT_OK && (a.ranking_csv || !a.quiet) &&
        (ckr_ranking_compute(r.scores, r.n_scores, &rk, &err) != 0 ||
         (a.ranking_csv && ckr_ranking_write_csv(a.ranking_csv, &rk, &err) != 0))) {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    }
    if (status == CKR_EXIT_OK && !a.quiet && rk.n_rows > 0) {
        putchar('\n');
        ckr_ranking_print(stdout, &rk, a.top);
        putchar('\n');
    }
    ckr_ranking_free(&rk);
    if (status == CKR_EXIT_OK)
        status = cli_emit_metrics(&c, &r, &a.k, a.csv, a.quiet);
    if (status == CKR_EXIT_OK && ((a.json && ckr_results_write_json(a.json, &r, 0, &err) != 0) ||
                                  (a.html && ckr_report_write_html(a.html, &r, &err) != 0))) {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    }
    ckr_results_free(&r);
    return status;
}
