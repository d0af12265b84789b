/* cmd_validate.c -- `ckptrank validate ZOO`: every problem of a zoo file. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "zoo/zoo.h"

static void print_problem(void *ctx, const char *msg)
{
    (void)ctx;
    printf("%s\n", msg);
}

int ckr_cmd_validate(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    char *file = NULL;
    int prc = cli_parse_one_file(&c, "ckptrank validate ZOO",
                                 "Check ZOO against the zoo schema (hdf5-schemas/zoo-v1.md) and print every\n"
                                 "problem, one per line. Exit status 0 if the file is valid, 1 otherwise.",
                                 &file);
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    if (c.rank != 0)
        return CKR_EXIT_OK; /* rank 0's work; its status is everyone's */
    int n = ckr_zoo_validate(file, MPI_COMM_SELF, print_problem, NULL);
    if (n == 0) {
        printf("%s: valid\n", file);
        return CKR_EXIT_OK;
    }
    if (n > 0)
        printf("%s: %d problem%s\n", file, n, n == 1 ? "" : "s");
    return CKR_EXIT_ERROR;
}
