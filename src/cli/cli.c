/* cli.c -- subcommand dispatch, top-level help, one exit status for all ranks. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

#include "ckptrank/ckptrank.h"
#include "sched/signals.h"
#include "util/blascfg.h"

typedef struct subcommand {
    const char *name;
    int (*fn)(int, char **, MPI_Comm);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    { "run", ckr_cmd_run, "score every (checkpoint, task) pair of a zoo with the chosen methods (MPI)" },
    { "report", ckr_cmd_report, "ranking-quality table of a results file, per task and mean" },
    { "evaluate", ckr_cmd_evaluate, "ranking quality of scores from any tool against a ground-truth CSV" },
    { "merge", ckr_cmd_merge, "combine results files (shards, separate runs) and recompute the metrics" },
    { "validate", ckr_cmd_validate, "check a zoo file against the schema; every problem, exit 1 if any" },
    { "info", ckr_cmd_info, "tasks, checkpoints, shapes, which pairs have logits / ground truth" },
    { "groundtruth", ckr_cmd_groundtruth, "fine-tune over a sweep and write the best accuracy into the zoo" },
    { "import", ckr_cmd_import, "add one (checkpoint, task) pair to a zoo from NumPy .npy / .npz files" },
    { "link", ckr_cmd_link, "a zoo whose pairs are HDF5 external links into part zoos (no copy)" },
    { "synth", ckr_cmd_synth, "write a synthetic zoo with known ground truth" },
    { "methods", ckr_cmd_methods, "list the methods and their parameters" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: ckptrank <command> [options]   (ckptrank <command> --help for details)\n\n"
               "Rank pretrained checkpoints by predicted transferability.\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexample:\n  ckptrank synth -o zoo.h5\n"
               "  mpirun -n 4 ckptrank run zoo.h5 --methods nleep,leep -o results.h5 --csv scores.csv\n"
               "  ckptrank report results.h5 --csv metrics.csv\n");
}

/* Every rank returns rank 0's status (see cli.h). */
static int agree_status(int status, MPI_Comm comm)
{
    int agreed = status;
    if (MPI_Bcast(&agreed, 1, MPI_INT, 0, comm) != MPI_SUCCESS)
        return status == CKR_EXIT_OK ? CKR_EXIT_ERROR : status; /* MPI failed: say so */
    return agreed;
}

static int dispatch(int argc, char **argv, MPI_Comm comm)
{
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (rank == 0)
            usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CKR_EXIT_USAGE : CKR_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        if (rank == 0)
            printf("ckptrank %s\nblas: OpenBLAS coretype=%s\n", CKPTRANK_VERSION, ckr_blas_core());
        return CKR_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1, comm);
    if (rank == 0) {
        fprintf(stderr, "ckptrank: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
    }
    return CKR_EXIT_USAGE;
}

int ckr_cli_main(int argc, char **argv, MPI_Comm comm)
{
    /* main deferred the stop signals over MPI_Init; `run` and `groundtruth`
     * take them over in ckptrank_run (a pending one stops the run at once),
     * every other command gets the default handling back now */
    if (argc < 2 || (strcmp(argv[1], "run") != 0 && strcmp(argv[1], "groundtruth") != 0))
        ckr_stop_signals_release();
    int status = dispatch(argc, argv, comm);
    ckr_stop_signals_release();
    return agree_status(status, comm);
}
