/* cmd_synth.c -- `ckptrank synth -o FILE`: a synthetic zoo with known ground truth. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "zoo/zoo.h"

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
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    ckr_synth_opts o;
    ckr_synth_defaults(&o);
    synth_args a = { NULL, o.n_ckpts, o.n_tasks, o.n_classes, (int)o.n_train, (int)o.n_val,
                     (int)o.n_test, (int)o.dim, o.multilabel, !o.logits, o.z_source, o.seed };
    char about[512];
    snprintf(about, sizeof about,
             "Write a synthetic zoo with known transferability: per task, class-structured\n"
             "features whose class separation varies by checkpoint, logits from a noisy\n"
             "source head, and finetune_accuracy derived from the separation.\n"
             "Defaults: %d checkpoints, %d tasks, %d classes, n=%zu, val=%zu, dim=%zu, seed %lu.",
             o.n_ckpts, o.n_tasks, o.n_classes, o.n_train, o.n_val, o.dim, o.seed);
    char *pos[1];
    int npos = 0;
    int prc = cli_cmd_parse(&c, synth_opts, &a, pos, 0, &npos, "ckptrank synth -o FILE [options]", about);
    if (prc == CLI_OK && !a.out)
        prc = cli_usage(&c, "-o FILE is required");
    if (prc == CLI_OK && (a.ckpts < 1 || a.tasks < 1 || a.classes < 2 || a.n < 2 || a.dim < 1 || a.z < 2))
        prc = cli_usage(&c, "need checkpoints >= 1, tasks >= 1, classes >= 2, n >= 2, dim >= 1, source-classes >= 2");
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    const cli_path out[] = { { "-o", a.out } };
    int pst = cli_check_paths(&c, NULL, 0, out, 1);
    if (pst != CKR_EXIT_OK)
        return pst;
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
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
        cli_error(&c, "%s", err.msg);
        return CKR_EXIT_ERROR;
    }
    printf("wrote %s: %d checkpoints x %d tasks\n", a.out, o.n_ckpts, o.n_tasks);
    return CKR_EXIT_OK;
}
