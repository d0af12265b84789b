/* cmd_methods.c -- `ckptrank methods`: every method and its parameters. */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/cmdutil.h"
#include "methods/method.h"

static const cli_opt no_opts[] = { { NULL, 0, 0, 0, NULL, NULL } };

int ckr_cmd_methods(int argc, char **argv, MPI_Comm comm)
{
    cli_cmd c;
    cli_cmd_init(&c, argc, argv, comm);
    char *pos[1];
    int npos = 0, dummy = 0;
    int prc = cli_cmd_parse(&c, no_opts, &dummy, pos, 0, &npos, "ckptrank methods",
                            "List every method with its parameters and defaults. A method spec is\n"
                            "`name` or `name:key=value,key=value`; a value `a|b|c` sweeps it.");
    if (prc != CLI_OK)
        return cli_parse_status(prc);
    if (c.rank != 0)
        return CKR_EXIT_OK;
    for (size_t i = 0; i < ckr_method_count(); i++) {
        const ckr_method *m = ckr_method_at(i);
        printf("%s\n    %s\n", m->name, m->summary);
        for (const ckr_param_def *d = m->params; d && d->key; d++)
            printf("    %-10s default %-8s %s%s%s\n", d->key, d->def, d->help,
                   d->choices ? "; one of " : "", d->choices ? d->choices : "");
    }
    return CKR_EXIT_OK;
}
