/* cmd_evaluate.c -- `ckptrank evaluate --scores S.csv --ground-truth GT.csv`:
 * the ranking quality of scores from any tool. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "report/crossnorm.h"
#include "report/json.h"
#include "report/results.h"
#include "report/results_csv.h"
#include "report/results_h5.h"

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

int ckr_cmd_evaluate(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    eval_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(&c, eval_opts, &a, pos, 0, &npos,
                            "ckptrank evaluate --scores SCORES.csv --ground-truth GT.csv [options]",
                            "Ranking quality of scores computed by any tool: per task and method, the\n"
                            "checkpoints with a score and a ground truth are ranked; then the mean over tasks.");
    if (prc == CLI_OK && (!a.scores || !a.gt))
        prc = cli_usage(&c, "--scores and --ground-truth are required (see --help)");
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    const cli_path in[] = { { "--scores", a.scores }, { "--ground-truth", a.gt } };
    const cli_path out[] = { { "--csv", a.csv }, { "--json", a.json } };
    int pst = cli_check_paths(&c, in, 2, out, 2);
    if (pst != CKR_EXIT_OK)
        return pst;
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    ckr_results r;
    memset(&r, 0, sizeof r);
    ckr_err err = { 0, "" };
    int status = CKR_EXIT_OK;
    if (ckr_scores_read_csv(a.scores, &r.scores, &r.n_scores, &err) != 0 ||
        ckr_crossnorm_apply(r.scores, r.n_scores, &err) != 0 ||
        ckr_gt_read_csv(a.gt, &r.gt, &r.n_gt, &err) != 0) {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    }
    if (status == CKR_EXIT_OK)
        status = cli_emit_metrics(&c, &r, &a.k, a.csv, a.quiet);
    if (status == CKR_EXIT_OK && a.json) {
        char cmdline[2000];
        cli_join_argv(argc, argv, cmdline, sizeof cmdline);
        snprintf(r.meta.command_line, sizeof r.meta.command_line, "ckptrank %s", cmdline);
        if (ckr_results_write_json(a.json, &r, CKR_JSON_FROM_CSV, &err) != 0) {
            cli_error(&c, "%s", err.msg);
            status = CKR_EXIT_ERROR;
        }
    }
    ckr_results_free(&r);
    return status;
}
