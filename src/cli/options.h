/* options.h -- table-driven command-line options.
 *
 * Each subcommand declares a table of cli_opt (long name, short letter, type,
 * offset into its options struct, help) and cli_parse fills the struct,
 * collecting positional arguments. `--help` prints the table. */
#ifndef CKR_OPTIONS_H
#define CKR_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_U64, OPT_KLIST } cli_opt_type;

typedef struct cli_opt {
    const char *name;     /* long name without "--" */
    char shortc;          /* 0 if none */
    cli_opt_type type;
    size_t offset;        /* into the subcommand's options struct */
    const char *metavar;  /* e.g. "FILE" */
    const char *help;
} cli_opt;

/* OPT_KLIST target: list of k values */
typedef struct cli_klist {
    int k[8];
    int n;
} cli_klist;

/* The default cut-offs of recall@k and rel@k: 1,3. */
void cli_klist_default(cli_klist *k);

enum { CLI_OK = 0, CLI_HELP = 1, CLI_USAGE = 2 };

/* Parse argv[0..argc) (argv[0] is the subcommand name). Positional arguments
 * go to pos[0..*npos) (at most max_pos). Returns CLI_OK, CLI_HELP (--help
 * seen) or CLI_USAGE (message printed to stderr). */
int cli_parse(int argc, char **argv, const cli_opt *opts, void *target, char **pos, int max_pos,
              int *npos);
void cli_print_help(FILE *f, const char *usage, const char *about, const cli_opt *opts);

#endif
