/* options.h -- table-driven command-line options.
 *
 * Each subcommand declares a table of cli_opt (long name, short letter, type,
 * offset into its options struct, help) and cli_parse fills the struct,
 * collecting positional arguments. cli_parse never prints: on a usage error it
 * hands the message back and the caller decides who says it (under MPI, rank 0
 * only). cli_print_help prints the table. */
#ifndef CKR_OPTIONS_H
#define CKR_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

/* OPT_FLAG: int set to 1 (a value given as --flag=x is ignored).
 * OPT_STR: const char * pointing into argv.
 * OPT_INT: int, a decimal in [0, 1e9].
 * OPT_U64: uint64_t, a non-negative decimal.
 * OPT_KLIST: cli_klist, 1 to 8 distinct comma-separated integers in [1, 1e6]. */
typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_U64, OPT_KLIST } cli_opt_type;

typedef struct cli_opt {
    const char *name;     /* long name without "--"; NULL ends the table */
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

/* Parse argv[1..argc) (argv[0] is the subcommand name) against opts into
 * target. An option is `--name=value`, `--name value` or `-c value` (a flag
 * takes no value). Other arguments are positional and go to pos[0..*npos), at
 * most max_pos of them. A field whose option is absent keeps its value.
 * Returns CLI_OK; CLI_HELP when `--help` or `-h` is met (parsing stops there);
 * or CLI_USAGE when an option is unknown, lacks its value or has a bad value,
 * or there are more than max_pos positional arguments. On CLI_USAGE, msg (if
 * non-NULL) gets the reason without a prefix, e.g. "unknown option '--x'
 * (see --help)"; otherwise msg is set to "". Nothing is printed. */
int cli_parse(int argc, char **argv, const cli_opt *opts, void *target, char **pos, int max_pos,
              int *npos, char *msg, size_t msglen);

/* Print "usage: USAGE", ABOUT and the option table (with -h, --help) to f. */
void cli_print_help(FILE *f, const char *usage, const char *about, const cli_opt *opts);

#endif
