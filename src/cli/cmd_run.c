/* cmd_run.c -- `ckptrank run ZOO [options]`. */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "util/err.h"
#include "util/memsize.h"

typedef struct run_args {
    const char *methods, *out, *csv, *metrics_csv, *json;
    uint64_t seed;
    const char *journal, *shard, *max_memory;
    cli_klist k;
    int quiet, no_progress, resume, grace;
    int team_size;
    const char *team_above;
    const char *ranking_csv;
    int top;
} run_args;

static const cli_opt run_opts[] = {
    { "methods", 'm', OPT_STR, offsetof(run_args, methods), "LIST",
      "methods to run, e.g. nleep,leep or nleep:pca=0.9,ratio=3 (default nleep,leep)" },
    { "output", 'o', OPT_STR, offsetof(run_args, out), "FILE", "results file (HDF5)" },
    { "csv", 0, OPT_STR, offsetof(run_args, csv), "FILE",
      "scores CSV: checkpoint,task,method,score,status,seconds,gflops,terms" },
    { "metrics-csv", 0, OPT_STR, offsetof(run_args, metrics_csv), "FILE", "metrics CSV" },
    { "json", 0, OPT_STR, offsetof(run_args, json), "FILE",
      "provenance, scores, metrics and ground truth as JSON" },
    { "seed", 's', OPT_U64, offsetof(run_args, seed), "N", "base seed of every random choice (default 0)" },
    { "k", 'k', OPT_KLIST, offsetof(run_args, k), "K1,K2", "cut-offs of recall@k and rel@k (default 1,3)" },
    { "quiet", 'q', OPT_FLAG, offsetof(run_args, quiet), NULL, "no metrics table on stdout" },
    { "no-progress", 0, OPT_FLAG, offsetof(run_args, no_progress), NULL, "no progress lines on stderr" },
    { "resume", 0, OPT_FLAG, offsetof(run_args, resume), NULL,
      "skip the items in the journal (same zoo, methods, seed, shard; changed pairs rerun)" },
    { "journal", 0, OPT_STR, offsetof(run_args, journal), "FILE",
      "journal of finished items (default OUTPUT.journal, else CSV.journal; '' = none)" },
    { "shard", 0, OPT_STR, offsetof(run_args, shard), "I/N",
      "run only the I-th of N deterministic slices of the items (0 <= I < N)" },
    { "grace", 0, OPT_INT, offsetof(run_args, grace), "SECONDS",
      "on SIGTERM/SIGINT/SIGUSR1, wait this long for items in flight, then abandon them (default 60)" },
    { "team-size", 0, OPT_INT, offsetof(run_args, team_size), "P",
      "score big pairs on teams of P consecutive ranks (default 1: no teams)" },
    { "team-above", 0, OPT_STR, offsetof(run_args, team_above), "SIZE",
      "a pair goes to a team when its training features take N x D x 8 >= SIZE bytes "
      "(e.g. 16M, 2G; default 1G; 0 = every pair)" },
    { "max-memory", 0, OPT_STR, offsetof(run_args, max_memory), "SIZE",
      "cap on what one rank holds of a pair (16M, 2G): features streamed by row blocks where "
      "the method allows, else the item's status is over-memory" },
    { "ranking-csv", 0, OPT_STR, offsetof(run_args, ranking_csv), "FILE",
      "ranking CSV: task,method,rank,checkpoint,score, with the consensus (score = mean rank)" },
    { "top", 0, OPT_INT, offsetof(run_args, top), "N",
      "checkpoints per task and method in the ranking on stdout (default 5)" },
    { NULL, 0, 0, 0, NULL, NULL },
};

static const char run_about[] =
    "Score every (checkpoint, task) pair of ZOO with each method. Under mpirun, rank 0\n"
    "hands out the items (largest estimated cost first) to the other ranks; alone, it\n"
    "does the work itself. Results do not depend on the number of ranks. A failing\n"
    "item is recorded with its status and the run goes on. Run `ckptrank methods` for\n"
    "the methods and their parameters.\n"
    "\nOn stdout: per task the best --top checkpoints by a consensus of the methods\n"
    "(the mean of each checkpoint's ranks, 1 = best) and by each method, then the\n"
    "ranking-quality table when the zoo has ground truth.\n"
    "\nFinished items go to a journal next to the output; after a crash or a signal,\n"
    "the same command with --resume computes only what is missing. On SIGTERM, SIGINT\n"
    "or SIGUSR1 rank 0 stops handing out work and waits for the items in flight; after\n"
    "--grace seconds, or at a second signal, the items still computing are abandoned\n"
    "(not-run, computed again by --resume). It writes the journal and partial outputs\n"
    "and exits with status 75.\n"
    "\nTeams: with --team-size P the computing ranks form teams of P consecutive ranks\n"
    "(from rank 0, which computes too; ranks left over when P does not divide them\n"
    "stay single). A pair whose training features take N x D x 8 bytes >= --team-above\n"
    "goes to a team: each member reads about N/P of its rows (collective MPI-IO\n"
    "reads of fixed 64-row blocks) and the team scores it together with the methods\n"
    "that have a team form (logme, hscore, hscore_shrink, transrate, gbc, nleep,\n"
    "linear, finetune); the pair's other methods run on single ranks. A member\n"
    "holds N/P x D x 8 bytes of features plus about 3 D^2 doubles. Scores equal\n"
    "single-rank scores to 1e-10 relative; info says team=P.\n"
    "Choose P so that N/P x D x 8 fits a rank's memory, and as small as that allows:\n"
    "a team runs one pair at a time, single ranks run several.\n"
    "\nexit status: 0 done (some items may have failed), 1 input or output error,\n"
    "2 usage error, 3 every item failed, 75 interrupted (requeue and --resume).";

/* --team-above: 0, or a size as --max-memory takes it (util/memsize.h).
 * Returns 0, or -1 when bad. */
static int parse_team_above(const char *s, double *out)
{
    uint64_t v = 0;
    if (strcmp(s, "0") != 0 && ckr_parse_memsize(s, &v, NULL) != 0)
        return -1;
    *out = (double)v;
    return 0;
}

/* Parse the options, the zoo argument and the shard (on every rank). Returns
 * CLI_OK, CLI_HELP or CLI_USAGE (printed on rank 0). */
static int parse_run(const cli_cmd *c, run_args *a, char **zoo, int *shard_i, int *shard_n,
                     double *team_above, uint64_t *max_memory)
{
    memset(a, 0, sizeof *a);
    a->methods = "nleep,leep";
    cli_klist_default(&a->k);
    a->grace = 60;
    a->team_size = 1;
    a->top = 5;
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(c, run_opts, a, pos, 1, &npos, "ckptrank run ZOO [options]", run_about);
    if (prc == CLI_OK && npos != 1)
        prc = cli_usage(c, "expected one zoo file (see --help)");
    if (prc == CLI_OK && a->shard && cli_parse_shard(a->shard, shard_i, shard_n) != 0)
        prc = cli_usage(c, "--shard %s: expected I/N with 0 <= I < N", a->shard);
    if (prc == CLI_OK && a->top < 1)
        prc = cli_usage(c, "--top %d: must be at least 1", a->top);
    if (prc == CLI_OK && a->team_size < 1)
        prc = cli_usage(c, "--team-size %d: must be at least 1", a->team_size);
    if (prc == CLI_OK && a->team_above && parse_team_above(a->team_above, team_above) != 0)
        prc = cli_usage(c, "--team-above %s: expected a size in bytes such as 0, 512M, 16M or 2G",
                        a->team_above);
    ckr_err merr = { 0, "" };
    if (prc == CLI_OK && a->max_memory && ckr_parse_memsize(a->max_memory, max_memory, &merr))
        prc = cli_usage(c, "--max-memory: %s", merr.msg);
    if (prc == CLI_OK)
        *zoo = pos[0];
    return prc;
}

int ckr_cmd_run(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    run_args a;
    char *zoo = NULL;
    int shard_i = 0, shard_n = 0;
    double team_above = 1024.0 * 1024.0 * 1024.0;
    uint64_t max_memory = 0;
    int prc = parse_run(&c, &a, &zoo, &shard_i, &shard_n, &team_above, &max_memory);
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    /* a bad method spec is refused now, before the zoo is opened and before
     * any output or journal exists */
    int status = cli_check_methods(&c, a.methods, NULL, NULL, NULL);
    if (status != CKR_EXIT_OK)
        return status;
    /* no output over the zoo or over another output, before any work */
    char jdefault[4200];
    const char *jbase = a.out ? a.out : a.csv;
    snprintf(jdefault, sizeof jdefault, "%s.journal", jbase ? jbase : "");
    const char *journal = a.journal ? (a.journal[0] ? a.journal : NULL)
                                    : (jbase && jbase[0] ? jdefault : NULL);
    const cli_path in[] = { { "", zoo } };
    const cli_path out[] = { { "-o", a.out }, { "--csv", a.csv }, { "--metrics-csv", a.metrics_csv },
                             { "--json", a.json }, { "journal", journal },
                             { "--ranking-csv", a.ranking_csv } };
    status = cli_check_paths(&c, in, 1, out, sizeof out / sizeof out[0]);
    if (status != CKR_EXIT_OK)
        return status;

    char cmdline[2048];
    cli_join_argv(argc, argv, cmdline, sizeof cmdline);
    char full[2100];
    snprintf(full, sizeof full, "ckptrank %s", cmdline);
    ckptrank_run_opts o;
    ckptrank_run_defaults(&o);
    o.zoo_path = zoo;
    o.methods = a.methods;
    o.out_h5 = a.out;
    o.csv_path = a.csv;
    o.metrics_csv = a.metrics_csv;
    o.json_path = a.json;
    o.seed = a.seed;
    memcpy(o.k, a.k.k, sizeof o.k);
    o.nk = a.k.n;
    o.progress = !a.no_progress;
    o.print_table = !a.quiet;
    o.command_line = full;
    o.journal_path = a.journal;
    o.resume = a.resume;
    o.shard_index = shard_i;
    o.shard_count = shard_n;
    o.grace_seconds = a.grace;
    o.team_size = a.team_size;
    o.team_above = team_above;
    o.max_memory = (double)max_memory;
    o.ranking_csv = a.ranking_csv;
    o.top = a.top;

    ckptrank_run_summary sum;
    ckr_err err = { 0, "" };
    int rc = ckptrank_run(comm, &o, &sum, &err);
    if (rc) {
        cli_error(&c, "%s", err.msg);
        if (rc == CKR_EINTR)
            return CKPTRANK_EXIT_INTERRUPTED;
        return rc == CKR_EARG ? CKR_EXIT_USAGE : CKR_EXIT_ERROR;
    }
    if (c.rank == 0) {
        fprintf(stderr, "ckptrank run: %zu items (%zu from the journal, %zu computed), %zu ok, "
                        "%zu failed, %.1f s, %zu pair reads%s%s\n", sum.n_items, sum.n_resumed,
                sum.n_computed, sum.n_ok, sum.n_failed, sum.seconds, sum.n_pair_reads,
                a.out ? "; results in " : "", a.out ? a.out : "");
    }
    return sum.n_items > 0 && sum.n_ok == 0 ? CKR_EXIT_ALL_FAILED : CKR_EXIT_OK;
}
