/* cmd_merge.c -- `ckptrank merge a.h5 b.h5 ... -o all.h5`. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "report/json.h"
#include "report/merge.h"
#include "report/results_csv.h"
#include "report/results_h5.h"

typedef struct merge_args {
    const char *out, *csv, *metrics_csv, *json;
    cli_klist k;
    int quiet;
} merge_args;

static const cli_opt merge_opts[] = {
    { "output", 'o', OPT_STR, offsetof(merge_args, out), "FILE", "merged results file (required)" },
    { "csv", 0, OPT_STR, offsetof(merge_args, csv), "FILE", "merged scores CSV" },
    { "metrics-csv", 0, OPT_STR, offsetof(merge_args, metrics_csv), "FILE", "metrics CSV" },
    { "json", 0, OPT_STR, offsetof(merge_args, json), "FILE",
      "provenance, scores, metrics and ground truth as JSON" },
    { "k", 'k', OPT_KLIST, offsetof(merge_args, k), "K1,K2", "cut-offs of recall@k and rel@k (default 1,3)" },
    { "quiet", 'q', OPT_FLAG, offsetof(merge_args, quiet), NULL, "no table on stdout" },
    { NULL, 0, 0, 0, NULL, NULL },
};

#define MAX_INPUTS 4096

int ckr_cmd_merge(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    merge_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    static char *pos[MAX_INPUTS];
    int npos = 0;
    int prc = cli_parse(argc, argv, merge_opts, &a, pos, MAX_INPUTS, &npos);
    if (prc == CLI_HELP) {
        cli_print_help(stdout, "ckptrank merge A.h5 B.h5 ... -o ALL.h5 [options]",
                       "Combine results files (the shards of a job array, or runs of different\n"
                       "methods on one zoo) into one, rebuild the best-of-sweep rows and recompute\n"
                       "the metrics. Rows present in several inputs must agree bit for bit; a\n"
                       "disagreement is refused. A not-run row (interrupted run) yields to a\n"
                       "computed one.",
                       merge_opts);
        return CKR_EXIT_OK;
    }
    if (prc == CLI_OK && (npos < 1 || !a.out)) {
        fprintf(stderr, "ckptrank merge: expected input files and -o OUTPUT (see --help)\n");
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    ckr_results *in = calloc((size_t)npos, sizeof *in), out;
    memset(&out, 0, sizeof out);
    ckr_err err = { 0, "" };
    int status = CKR_EXIT_OK, n_read = 0;
    for (; n_read < npos && status == CKR_EXIT_OK; n_read++)
        if (ckr_results_read_h5(pos[n_read], &in[n_read], &err) != 0)
            status = CKR_EXIT_ERROR;
    if (status == CKR_EXIT_OK && ckr_results_merge(in, (const char *const *)pos, (size_t)npos, &out, &err) != 0)
        status = CKR_EXIT_ERROR;
    if (status == CKR_EXIT_OK) {
        char cmdline[2000];
        ckr_cli_join_argv(argc, argv, cmdline, sizeof cmdline);
        snprintf(out.meta.command_line, sizeof out.meta.command_line, "ckptrank %s", cmdline);
        if (ckr_results_compute_metrics(&out, a.k.k, a.k.n, &err) != 0 ||
            ckr_results_write_h5(a.out, &out, &err) != 0 ||
            (a.csv && ckr_scores_write_csv(a.csv, out.scores, out.n_scores, &err) != 0) ||
            (a.metrics_csv && ckr_metrics_write_csv(a.metrics_csv, out.metrics, out.n_metrics, &err) != 0) ||
            (a.json && ckr_results_write_json(a.json, &out, 0, &err) != 0))
            status = CKR_EXIT_ERROR;
    }
    if (status != CKR_EXIT_OK) {
        fprintf(stderr, "ckptrank merge: %s\n", err.msg);
    } else {
        size_t not_run = 0;
        for (size_t i = 0; i < out.n_scores; i++)
            not_run += strcmp(out.scores[i].status, "not-run") == 0;
        if (!a.quiet && out.n_gt > 0)
            ckr_metrics_print(stdout, out.metrics, out.n_metrics);
        fprintf(stderr, "ckptrank merge: %d files, %zu rows%s -> %s\n", npos, out.n_scores,
                not_run ? " (some not run yet)" : "", a.out);
    }
    for (int i = 0; i < n_read; i++)
        ckr_results_free(&in[i]);
    free(in);
    ckr_results_free(&out);
    return status;
}
