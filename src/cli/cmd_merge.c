/* cmd_merge.c -- `ckptrank merge a.h5 b.h5 ... -o all.h5`: combine results
 * files and recompute the metrics. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "methods/method.h"
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

static const char merge_about[] =
    "Combine results files (the shards of a job array, or runs of different\n"
    "methods on one zoo) into one, rebuild the best-of-sweep rows and recompute\n"
    "the metrics. Rows present in several inputs must agree bit for bit; a\n"
    "disagreement is refused. A not-run row (interrupted run) yields to a\n"
    "computed one. A row whose method is not a valid method spec is refused\n"
    "(exit 2) before any output is written.";

#define MAX_INPUTS 4096

/* Every method of in's score rows must be a good spec (known method, known
 * keys, good values), as `run` would parse it. Sweep summary rows are skipped:
 * the merge rebuilds them from their grid points. Returns an exit status. */
static int check_row_methods(const cli_cmd *c, const char *file, const ckr_results *in)
{
    for (size_t i = 0; i < in->n_scores; i++) {
        const ckr_score_row *r = &in->scores[i];
        if (r->sweep[0] && strcmp(r->method, r->sweep) == 0)
            continue;
        ckr_spec spec;
        ckr_err err = { 0, "" };
        if (ckr_spec_parse(r->method, &spec, &err) != 0) {
            cli_error(c, "%s: %s", file, err.msg);
            return err.code == CKR_EARG ? CKR_EXIT_USAGE : CKR_EXIT_ERROR;
        }
    }
    return CKR_EXIT_OK;
}

/* Read the inputs, refusing a bad method spec before any output exists.
 * Returns an exit status; in[0..*n_read) are to be freed. */
static int read_inputs(const cli_cmd *c, char **files, int n, ckr_results *in, int *n_read)
{
    ckr_err err = { 0, "" };
    int status = CKR_EXIT_OK;
    for (*n_read = 0; *n_read < n && status == CKR_EXIT_OK; (*n_read)++) {
        if (ckr_results_read_h5(files[*n_read], &in[*n_read], &err) != 0) {
            cli_error(c, "%s", err.msg);
            status = CKR_EXIT_ERROR;
        } else {
            status = check_row_methods(c, files[*n_read], &in[*n_read]);
        }
    }
    return status;
}

/* Merge, then write every output. Returns an exit status. */
static int merge_and_write(const cli_cmd *c, const merge_args *a, ckr_results *in, char **files,
                           int n, ckr_results *out)
{
    ckr_err err = { 0, "" };
    if (ckr_results_merge(in, (const char *const *)files, (size_t)n, out, &err) != 0) {
        cli_error(c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    char cmdline[2000];
    cli_join_argv(c->argc, c->argv, cmdline, sizeof cmdline);
    snprintf(out->meta.command_line, sizeof out->meta.command_line, "ckptrank %s", cmdline);
    if (ckr_results_compute_metrics(out, a->k.k, a->k.n, &err) != 0 ||
        ckr_results_write_h5(a->out, out, &err) != 0 ||
        (a->csv && ckr_scores_write_csv(a->csv, out->scores, out->n_scores, &err) != 0) ||
        (a->metrics_csv && ckr_metrics_write_csv(a->metrics_csv, out->metrics, out->n_metrics, &err) != 0) ||
        (a->json && ckr_results_write_json(a->json, out, 0, &err) != 0)) {
        cli_error(c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    return CKR_EXIT_OK;
}

int ckr_cmd_merge(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    merge_args a;
    memset(&a, 0, sizeof a);
    cli_klist_default(&a.k);
    static char *pos[MAX_INPUTS];
    int npos = 0;
    int prc = cli_cmd_parse(&c, merge_opts, &a, pos, MAX_INPUTS, &npos,
                            "ckptrank merge A.h5 B.h5 ... -o ALL.h5 [options]", merge_about);
    if (prc == CLI_OK && (npos < 1 || !a.out))
        prc = cli_usage(&c, "expected input files and -o OUTPUT (see --help)");
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    static cli_path ins[MAX_INPUTS];
    for (int i = 0; i < npos; i++)
        ins[i] = (cli_path){ "", pos[i] };
    const cli_path outs[] = { { "-o", a.out }, { "--csv", a.csv },
                              { "--metrics-csv", a.metrics_csv }, { "--json", a.json } };
    int pst = cli_check_paths(&c, ins, (size_t)npos, outs, sizeof outs / sizeof outs[0]);
    if (pst != CKR_EXIT_OK)
        return pst;
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    ckr_results *in = calloc((size_t)npos, sizeof *in), out;
    memset(&out, 0, sizeof out);
    int n_read = 0, status = CKR_EXIT_ERROR;
    if (!in)
        cli_error(&c, "out of memory for %d inputs", npos);
    else
        status = read_inputs(&c, pos, npos, in, &n_read);
    if (status == CKR_EXIT_OK)
        status = merge_and_write(&c, &a, in, pos, npos, &out);
    if (status == CKR_EXIT_OK) {
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
