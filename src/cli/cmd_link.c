/* cmd_link.c -- `ckptrank link OUT.h5 PART.h5 ... [--force]`: a zoo whose
 * pairs are HDF5 external links into part zoos (zoo/link.h). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "zoo/link.h"

typedef struct link_args {
    int force;
} link_args;

static const cli_opt link_opts[] = {
    { "force", 0, OPT_FLAG, offsetof(link_args, force), NULL, "replace OUT when it exists" },
    { NULL, 0, 0, 0, NULL, NULL },
};

static const char link_about[] =
    "Write the zoo OUT whose pairs are HDF5 external links into the part zoos\n"
    "PART... (each a zoo, e.g. one `ckptrank import` per checkpoint): no feature is\n"
    "copied. OUT holds a copy of every task group (labels) and every checkpoint's\n"
    "attributes, and per pair a link /checkpoints/C/T -> PART:/checkpoints/C/T with\n"
    "PART's path relative to OUT's directory (move OUT and its parts together).\n"
    "validate, info, run and groundtruth read OUT as a copied zoo; groundtruth\n"
    "writes each pair's ground truth into its part file (see its --help).\n"
    "Refused, with nothing written: a task whose labels (or classes, kind) differ\n"
    "between parts, a pair defined in two parts, a checkpoint attribute (arch,\n"
    "source, num_params) with two values, a missing or invalid part, and an\n"
    "existing OUT without --force. OUT is written under a temporary name and renamed.\n"
    "\nexit status: 0 written, 1 refused or failed (nothing written), 2 usage error.";

int ckr_cmd_link(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    link_args a;
    memset(&a, 0, sizeof a);
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    cli_path *ins = calloc((size_t)argc + 1, sizeof *ins);
    int npos = 0, status = CKR_EXIT_ERROR;
    if (!pos || !ins) {
        cli_error(&c, "link: out of memory");
        goto cleanup;
    }
    int prc = cli_cmd_parse(&c, link_opts, &a, pos, argc + 1, &npos,
                            "ckptrank link OUT.h5 PART.h5 [PART.h5 ...] [--force]", link_about);
    if (prc == CLI_OK && npos < 2)
        prc = cli_usage(&c, "expected the output zoo and at least one part zoo (see --help)");
    if (prc != CLI_OK) {
        status = cli_parse_status(prc);
        goto cleanup;
    }
    for (int i = 1; i < npos; i++)
        ins[i - 1] = (cli_path){ "", pos[i] };
    const cli_path outs[] = { { "", pos[0] } };
    status = cli_check_paths(&c, ins, (size_t)(npos - 1), outs, 1);
    if (status != CKR_EXIT_OK || c.rank != 0)
        goto cleanup; /* rank 0's work; its status is everyone's */
    ckr_err err = { 0, "" };
    ckr_link_stats st;
    if (ckr_zoo_link(pos[0], (const char *const *)(pos + 1), (size_t)(npos - 1), a.force, &st,
                     &err) == 0) {
        printf("%s: linked %zu pairs (%zu checkpoints, %zu tasks) from %d part files\n", pos[0],
               st.n_pairs, st.n_ckpts, st.n_tasks, npos - 1);
        status = CKR_EXIT_OK;
    } else {
        cli_error(&c, "%s", err.msg);
        status = CKR_EXIT_ERROR;
    }
cleanup:
    free(pos);
    free(ins);
    return status;
}
