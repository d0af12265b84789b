/* cmd_groundtruth.c -- `ckptrank groundtruth ZOO --sweep SPEC`: build ground truth
 * with the tool's own trainers and write it into the zoo. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckptrank/ckptrank.h"
#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "methods/method.h"
#include "report/results_h5.h"
#include "zoo/gtwrite.h"
#include "zoo/zoo.h"

typedef struct gt_args {
    const char *sweep, *out, *csv;
    uint64_t seed;
    int force, no_progress, resume;
} gt_args;

static const cli_opt gt_opts[] = {
    { "sweep", 0, OPT_STR, offsetof(gt_args, sweep), "SPEC",
      "one method spec, usually a sweep, e.g. finetune:lr=0.001|0.01|0.1,steps=500|1000" },
    { "force", 'f', OPT_FLAG, offsetof(gt_args, force), NULL, "overwrite existing finetune_accuracy" },
    { "output", 'o', OPT_STR, offsetof(gt_args, out), "FILE", "also keep the sweep's results file" },
    { "csv", 0, OPT_STR, offsetof(gt_args, csv), "FILE", "also write the sweep's scores CSV" },
    { "seed", 's', OPT_U64, offsetof(gt_args, seed), "N", "base seed (default 0)" },
    { "no-progress", 0, OPT_FLAG, offsetof(gt_args, no_progress), NULL, "no progress lines on stderr" },
    { "resume", 0, OPT_FLAG, offsetof(gt_args, resume), NULL,
      "after an interruption (exit 75): run only the grid points not yet in the journal" },
    { NULL, 0, 0, 0, NULL, NULL },
};

static const char gt_about[] =
    "Fine-tune every (checkpoint, task) pair of ZOO over the grid of SPEC (spread over\n"
    "the MPI ranks like any run), select per pair the grid point with the best\n"
    "validation accuracy (trained on the train split only), and write as the pair's\n"
    "finetune_accuracy that model's accuracy on the pair's held-out test split\n"
    "(schema 1.1 test_features/test_labels) or, when the pair has none, its\n"
    "validation accuracy. Also written: finetune_selected, finetune_source, and the\n"
    "root attributes groundtruth_sweep and groundtruth_protocol. Refuses to\n"
    "overwrite existing ground truth without --force. Only methods that train a\n"
    "model and measure its accuracy (linear, finetune) can build ground truth.\n"
    "\nThe sweep's results go to ZOO.groundtruth.h5 (or -o FILE) with a journal next\n"
    "to it; on SIGTERM/SIGINT/SIGUSR1 the zoo is left unchanged and the command\n"
    "exits 75: the same command with --resume computes only what is missing. The\n"
    "zoo is rewritten through a copy renamed into place, so a failure (a full disk)\n"
    "leaves it as it was. On a linked zoo (ckptrank link) each pair's values go into\n"
    "its part file, through a copy of the part renamed into place the same way.\n"
    "\nexit status: 0 done, 1 input or output error, 2 usage error, 3 no pair\n"
    "produced an accuracy, 75 interrupted (rerun with --resume).";

static const char gt_protocol[] =
    "grid point selected per pair on validation accuracy (trained on train only); "
    "finetune_accuracy = that model's test-split accuracy (finetune_source=test), "
    "or its validation accuracy when the pair has no test split (finetune_source=val)";

/* The sweep must be one spec (all grid points share one sweep text); a bad
 * spec is refused here, before any work and any file. Returns an exit status. */
static int check_one_spec(const cli_cmd *c, const char *spec)
{
    ckr_spec *s = NULL;
    size_t n = 0;
    int status = cli_check_methods(c, spec, NULL, &s, &n);
    if (status != CKR_EXIT_OK)
        return status;
    int ok = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(s[i].sweep, s[0].sweep) != 0 || !s[0].sweep[0])
            ok = 0;
    if (!ok)
        cli_error(c, "--sweep takes one method spec (a sweep or a single spec)");
    else if (!s[0].method->gives_accuracy) {
        cli_error(c, "--sweep %s: method '%s' does not measure an accuracy; ground truth "
                  "comes from a trained model's accuracy (use a method that trains one: "
                  "linear or finetune)", spec, s[0].method->name);
        ok = 0;
    }
    free(s);
    return ok ? CKR_EXIT_OK : CKR_EXIT_USAGE;
}

/* Rows that decide the ground truth: sweep summaries, or the single spec's rows. */
static size_t collect_updates(const ckr_results *r, ckr_gt_update *u, size_t *n_failed)
{
    size_t n = 0;
    *n_failed = 0;
    for (size_t i = 0; i < r->n_scores; i++) {
        const ckr_score_row *s = &r->scores[i];
        int decisive = s->sweep[0] ? strcmp(s->method, s->sweep) == 0 : 1;
        if (!decisive)
            continue;
        if (strcmp(s->status, "ok") != 0) {
            fprintf(stderr, "ckptrank groundtruth: %s / %s: %s: %s (left without ground truth)\n",
                    s->ckpt, s->task, s->status, s->message);
            (*n_failed)++;
            continue;
        }
        ckr_gt_update *g = &u[n++];
        snprintf(g->ckpt, sizeof g->ckpt, "%s", s->ckpt);
        snprintf(g->task, sizeof g->task, "%s", s->task);
        int test = isfinite(s->heldout);
        g->accuracy = test ? s->heldout : s->score;
        snprintf(g->source, sizeof g->source, "%s", test ? "test" : "val");
        const char *sel = strstr(s->info, ": ");
        snprintf(g->selected, sizeof g->selected, "%s", s->sweep[0] && sel ? sel + 2 : s->method);
    }
    return n;
}

/* Rank 0 after the sweep: the ground truth from the sweep's results into the zoo. */
static int write_ground_truth(const cli_cmd *c, const char *zoo, const char *results,
                              const char *sweep, int force)
{
    ckr_results r;
    ckr_err err = { 0, "" };
    if (ckr_results_read_h5(results, &r, &err) != 0) {
        cli_error(c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    ckr_gt_update *u = calloc(r.n_scores + 1, sizeof *u);
    size_t n_failed = 0, n = u ? collect_updates(&r, u, &n_failed) : 0;
    int status = CKR_EXIT_OK;
    if (n == 0) {
        cli_error(c, "no pair produced an accuracy; %s left unchanged", zoo);
        status = CKR_EXIT_ALL_FAILED;
    } else if (ckr_zoo_write_ground_truth(zoo, u, n, sweep, gt_protocol, force, &err) != 0) {
        cli_error(c, "%s", err.msg);
        status = err.code == CKR_EARG ? CKR_EXIT_USAGE : CKR_EXIT_ERROR;
    } else {
        printf("%-24s %-20s %9s %-5s %s\n", "checkpoint", "task", "accuracy", "split", "selected");
        for (size_t i = 0; i < n; i++)
            printf("%-24s %-20s %9.4f %-5s %s\n", u[i].ckpt, u[i].task, u[i].accuracy, u[i].source,
                   u[i].selected);
        printf("wrote finetune_accuracy of %zu pairs into %s (%zu failed)\n", n, zoo, n_failed);
    }
    free(u);
    ckr_results_free(&r);
    return status;
}

/* Refuse before the sweep (not after hours of it) when the zoo already has
 * ground truth and --force is not given. Rank 0 decides; all ranks agree. */
static int refuse_existing(const cli_cmd *c, const char *zoo_path, int force)
{
    int refuse = 0;
    if (c->rank == 0 && !force) {
        ckr_zoo *zoo = NULL;
        ckr_err err = { 0, "" };
        if (ckr_zoo_open(zoo_path, MPI_COMM_SELF, &zoo, &err) == 0 && ckr_zoo_scan(zoo, &err) == 0)
            for (size_t i = 0; i < ckr_zoo_num_pairs(zoo) && !refuse; i++) {
                const ckr_pair_info *p = ckr_zoo_pair(zoo, i);
                if (p->has_gt) {
                    cli_error(c, "%s: /checkpoints/%s/%s already has "
                              "finetune_accuracy; refusing to overwrite ground truth (use --force)",
                              zoo_path, ckr_zoo_ckpt(zoo, p->ckpt)->name, ckr_zoo_task(zoo, p->task)->name);
                    refuse = 1;
                }
            }
        ckr_zoo_close(zoo); /* an unreadable zoo is reported by the run itself */
    }
    MPI_Bcast(&refuse, 1, MPI_INT, 0, c->comm);
    return refuse;
}

int ckr_cmd_groundtruth(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    gt_args a;
    memset(&a, 0, sizeof a);
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(&c, gt_opts, &a, pos, 1, &npos,
                            "ckptrank groundtruth ZOO --sweep SPEC [options]", gt_about);
    if (prc == CLI_OK && (npos != 1 || !a.sweep))
        prc = cli_usage(&c, "expected ZOO and --sweep SPEC (see --help)");
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    int status = check_one_spec(&c, a.sweep);
    if (status != CKR_EXIT_OK)
        return status;
    /* the sweep's results: a stable name derived from the zoo, so that an
     * interrupted sweep can be resumed (its journal is TMP.journal) */
    char tmp[4200], jtmp[4300];
    snprintf(tmp, sizeof tmp, "%s.groundtruth.h5", pos[0]);
    const char *results = a.out ? a.out : tmp;
    snprintf(jtmp, sizeof jtmp, "%s.journal", results);
    const cli_path in[] = { { "", pos[0] } };
    const cli_path out[] = { { "-o", results }, { "--csv", a.csv }, { "journal", jtmp } };
    status = cli_check_paths(&c, in, 1, out, sizeof out / sizeof out[0]);
    if (status != CKR_EXIT_OK)
        return status;
    if (refuse_existing(&c, pos[0], a.force))
        return CKR_EXIT_USAGE;

    char cmdline[2048], full[2100];
    cli_join_argv(argc, argv, cmdline, sizeof cmdline);
    snprintf(full, sizeof full, "ckptrank %s", cmdline);
    ckptrank_run_opts o;
    ckptrank_run_defaults(&o);
    o.zoo_path = pos[0];
    o.methods = a.sweep;
    o.out_h5 = results;
    o.resume = a.resume;
    o.csv_path = a.csv;
    o.seed = a.seed;
    o.progress = !a.no_progress;
    o.print_table = 0;
    o.command_line = full;
    ckptrank_run_summary sum;
    ckr_err err = { 0, "" };
    int rc = ckptrank_run(comm, &o, &sum, &err);
    MPI_Barrier(comm); /* every rank has closed the zoo before rank 0 writes it */
    if (rc == CKR_EINTR) {
        cli_error(&c, "%s (journal %s); %s is unchanged", err.msg, jtmp, pos[0]);
        return CKPTRANK_EXIT_INTERRUPTED;
    }
    if (rc) {
        cli_error(&c, "%s", err.msg);
        return rc == CKR_EARG ? CKR_EXIT_USAGE : CKR_EXIT_ERROR;
    }
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0 writes the zoo; its status is everyone's */
    status = write_ground_truth(&c, pos[0], o.out_h5, a.sweep, a.force);
    if (!a.out)
        unlink(tmp);
    return status;
}
