/* cmd_zoo.c -- `ckptrank validate`, `info`, `synth` and `methods`. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "methods/method.h"
#include "zoo/zoo.h"

static const cli_opt no_opts[] = { { NULL, 0, 0, 0, NULL, NULL } };

/* Parse a subcommand that takes exactly one positional FILE and no options. */
static int parse_one_file(int argc, char **argv, const char *usage, const char *about,
                          char **file)
{
    char *pos[1];
    int npos = 0, dummy = 0;
    int prc = cli_parse(argc, argv, no_opts, &dummy, pos, 1, &npos);
    if (prc == CLI_HELP) {
        cli_print_help(stdout, usage, about, no_opts);
        return -1;
    }
    if (prc == CLI_OK && npos != 1) {
        fprintf(stderr, "ckptrank %s: expected one file (see --help)\n", argv[0]);
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    *file = pos[0];
    return 0;
}

static void print_problem(void *ctx, const char *msg)
{
    (void)ctx;
    printf("%s\n", msg);
}

int ckr_cmd_validate(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    char *file = NULL;
    int rc = parse_one_file(argc, argv, "ckptrank validate ZOO",
                            "Check ZOO against the zoo schema (hdf5-schemas/zoo-v1.md) and print every\n"
                            "problem, one per line. Exit status 0 if the file is valid, 1 otherwise.",
                            &file);
    if (rc)
        return rc < 0 ? CKR_EXIT_OK : rc;
    int n = ckr_zoo_validate(file, MPI_COMM_SELF, print_problem, NULL);
    if (n == 0) {
        printf("%s: valid\n", file);
        return CKR_EXIT_OK;
    }
    if (n > 0)
        printf("%s: %d problem%s\n", file, n, n == 1 ? "" : "s");
    return CKR_EXIT_ERROR;
}

int ckr_cmd_info(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    char *file = NULL;
    int rc = parse_one_file(argc, argv, "ckptrank info ZOO",
                            "Summarise ZOO: its tasks, checkpoints and pairs with their shapes, and\n"
                            "which pairs have source logits, a validation split and ground truth.",
                            &file);
    if (rc)
        return rc < 0 ? CKR_EXIT_OK : rc;
    ckr_zoo *zoo = NULL;
    ckr_err err = { 0, "" };
    if (ckr_zoo_open(file, MPI_COMM_SELF, &zoo, &err) != 0 || ckr_zoo_scan(zoo, &err) != 0) {
        fprintf(stderr, "ckptrank info: %s\n", err.msg);
        ckr_zoo_close(zoo);
        return CKR_EXIT_ERROR;
    }
    size_t nt = ckr_zoo_num_tasks(zoo), nc = ckr_zoo_num_ckpts(zoo), np = ckr_zoo_num_pairs(zoo);
    printf("%s: %zu tasks, %zu checkpoints, %zu pairs\n\ntasks:\n", file, nt, nc, np);
    printf("  %-20s %-10s %7s %8s %8s\n", "name", "kind", "classes", "n_train", "n_val");
    for (size_t i = 0; i < nt; i++) {
        const ckr_task_info *t = ckr_zoo_task(zoo, i);
        printf("  %-20s %-10s %7d %8zu %8zu%s%s\n", t->name,
               t->kind == CKR_MULTILABEL ? "multilabel" : "multiclass", t->num_classes, t->n_train,
               t->n_val, t->problem[0] ? "  PROBLEM: " : "", t->problem);
    }
    printf("\ncheckpoints:\n");
    for (size_t i = 0; i < nc; i++) {
        const ckr_ckpt_info *c = ckr_zoo_ckpt(zoo, i);
        printf("  %-24s arch=%s source=%s\n", c->name, c->arch[0] ? c->arch : "-",
               c->source[0] ? c->source : "-");
    }
    printf("\npairs:\n  %-24s %-20s %7s %6s %6s %6s %s\n", "checkpoint", "task", "N", "D",
           "logits", "val", "finetune_accuracy");
    for (size_t i = 0; i < np; i++) {
        const ckr_pair_info *p = ckr_zoo_pair(zoo, i);
        char z[16], gt[32];
        snprintf(z, sizeof z, "%zu", p->shape.z);
        snprintf(gt, sizeof gt, "%.4f", p->finetune_accuracy);
        printf("  %-24s %-20s %7zu %6zu %6s %6zu %s\n", ckr_zoo_ckpt(zoo, p->ckpt)->name,
               ckr_zoo_task(zoo, p->task)->name, p->shape.n, p->shape.d, p->shape.z ? z : "-",
               p->shape.n_val, p->has_gt ? gt : "-");
    }
    ckr_zoo_close(zoo);
    return CKR_EXIT_OK;
}

typedef struct synth_args {
    const char *out;
    int ckpts, tasks, classes, n, val, test, dim, multilabel, no_logits, z;
    uint64_t seed;
} synth_args;

static const cli_opt synth_opts[] = {
    { "output", 'o', OPT_STR, offsetof(synth_args, out), "FILE", "zoo file to write (required)" },
    { "checkpoints", 0, OPT_INT, offsetof(synth_args, ckpts), "N", "number of checkpoints" },
    { "tasks", 0, OPT_INT, offsetof(synth_args, tasks), "N", "number of tasks" },
    { "classes", 0, OPT_INT, offsetof(synth_args, classes), "C", "classes of the first task (later tasks have more)" },
    { "n", 'n', OPT_INT, offsetof(synth_args, n), "N", "training samples per task" },
    { "val", 0, OPT_INT, offsetof(synth_args, val), "M", "validation samples per task (0: none)" },
    { "test", 0, OPT_INT, offsetof(synth_args, test), "T", "held-out test samples per task (schema 1.1; 0: none)" },
    { "dim", 'd', OPT_INT, offsetof(synth_args, dim), "D", "base feature dimension (varies per checkpoint)" },
    { "source-classes", 0, OPT_INT, offsetof(synth_args, z), "Z", "classes of the source head (logits)" },
    { "multilabel", 0, OPT_FLAG, offsetof(synth_args, multilabel), NULL, "make the last task multilabel" },
    { "no-logits", 0, OPT_FLAG, offsetof(synth_args, no_logits), NULL, "write no source logits" },
    { "seed", 's', OPT_U64, offsetof(synth_args, seed), "N", "seed (same seed, same file)" },
    { NULL, 0, 0, 0, NULL, NULL },
};

int ckr_cmd_synth(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    ckr_synth_opts o;
    ckr_synth_defaults(&o);
    synth_args a = { NULL, o.n_ckpts, o.n_tasks, o.n_classes, (int)o.n_train, (int)o.n_val,
                     (int)o.n_test, (int)o.dim, o.multilabel, !o.logits, o.z_source, o.seed };
    char *pos[1];
    int npos = 0;
    int prc = cli_parse(argc, argv, synth_opts, &a, pos, 0, &npos);
    if (prc == CLI_HELP) {
        char about[512];
        snprintf(about, sizeof about,
                 "Write a synthetic zoo with known transferability: per task, class-structured\n"
                 "features whose class separation varies by checkpoint, logits from a noisy\n"
                 "source head, and finetune_accuracy derived from the separation.\n"
                 "Defaults: %d checkpoints, %d tasks, %d classes, n=%zu, val=%zu, dim=%zu, seed %lu.",
                 o.n_ckpts, o.n_tasks, o.n_classes, o.n_train, o.n_val, o.dim, o.seed);
        cli_print_help(stdout, "ckptrank synth -o FILE [options]", about, synth_opts);
        return CKR_EXIT_OK;
    }
    if (prc == CLI_OK && !a.out) {
        fprintf(stderr, "ckptrank synth: -o FILE is required\n");
        prc = CLI_USAGE;
    }
    if (prc == CLI_OK && (a.ckpts < 1 || a.tasks < 1 || a.classes < 2 || a.n < 2 || a.dim < 1 || a.z < 2)) {
        fprintf(stderr, "ckptrank synth: need checkpoints >= 1, tasks >= 1, classes >= 2, n >= 2, dim >= 1, source-classes >= 2\n");
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    o.n_ckpts = a.ckpts;
    o.n_tasks = a.tasks;
    o.n_classes = a.classes;
    o.n_train = (size_t)a.n;
    o.n_val = (size_t)a.val;
    o.n_test = (size_t)a.test;
    o.dim = (size_t)a.dim;
    o.multilabel = a.multilabel;
    o.logits = !a.no_logits;
    o.z_source = a.z;
    o.seed = (unsigned long)a.seed;
    ckr_err err = { 0, "" };
    if (ckr_synth_write(a.out, &o, &err) != 0) {
        fprintf(stderr, "ckptrank synth: %s\n", err.msg);
        return CKR_EXIT_ERROR;
    }
    printf("wrote %s: %d checkpoints x %d tasks\n", a.out, o.n_ckpts, o.n_tasks);
    return CKR_EXIT_OK;
}

int ckr_cmd_methods(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rank != 0)
        return CKR_EXIT_OK;
    char *pos[1];
    int npos = 0, dummy = 0;
    int prc = cli_parse(argc, argv, no_opts, &dummy, pos, 0, &npos);
    if (prc == CLI_HELP) {
        cli_print_help(stdout, "ckptrank methods",
                       "List every method with its parameters and defaults. A method spec is\n"
                       "`name` or `name:key=value,key=value`; a value `a|b|c` sweeps it.",
                       no_opts);
        return CKR_EXIT_OK;
    }
    if (prc != CLI_OK)
        return CKR_EXIT_USAGE;
    for (size_t i = 0; i < ckr_method_count(); i++) {
        const ckr_method *m = ckr_method_at(i);
        printf("%s\n    %s\n", m->name, m->summary);
        for (const ckr_param_def *d = m->params; d && d->key; d++)
            printf("    %-10s default %-8s %s%s%s\n", d->key, d->def, d->help,
                   d->choices ? "; one of " : "", d->choices ? d->choices : "");
    }
    return CKR_EXIT_OK;
}
