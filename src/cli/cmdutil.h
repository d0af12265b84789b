/* cmdutil.h -- what the subcommands (cmd_*.c) share; internal to src/cli.
 *
 * One voice: every rank of the communicator runs a subcommand and parses its
 * arguments the same way, silently; only rank 0 prints (help, usage errors,
 * results). A subcommand makes a cli_cmd from its argv and speaks through it.
 * Whatever a subcommand returns on the other ranks, ckr_cli_main gives every
 * rank rank 0's exit status (see cli.h). */
#ifndef CKR_CMDUTIL_H
#define CKR_CMDUTIL_H

#include <mpi.h>
#include <stddef.h>

#include "cli/options.h"
#include "methods/method.h"
#include "report/results.h"

typedef struct cli_cmd {
    const char *name;  /* the subcommand: argv[0] */
    int argc;
    char **argv;
    MPI_Comm comm;
    int rank;          /* in comm; rank 0 speaks */
} cli_cmd;

/* Fill c for the subcommand argv[0..argc) running on comm. */
void cli_cmd_init(cli_cmd *c, int argc, char **argv, MPI_Comm comm);

/* On rank 0, print "ckptrank NAME: MESSAGE\n" to stderr; elsewhere nothing. */
void cli_error(const cli_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_error, then return CLI_USAGE. */
int cli_usage(const cli_cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse c's arguments with cli_parse (options.h) on every rank. On rank 0,
 * print the help (usage line, about, option table) to stdout on CLI_HELP, or
 * the usage message to stderr on CLI_USAGE. Returns cli_parse's code. */
int cli_cmd_parse(const cli_cmd *c, const cli_opt *opts, void *target, char **pos, int max_pos,
                  int *npos, const char *usage, const char *about);

/* For a subcommand with no options and one positional FILE: CLI_OK with
 * *file set, or CLI_HELP / CLI_USAGE (already printed on rank 0). */
int cli_parse_one_file(const cli_cmd *c, const char *usage, const char *about, char **file);

/* The exit status of a parse that did not give CLI_OK: CKR_EXIT_OK after
 * --help, CKR_EXIT_USAGE otherwise. */
int cli_parse_status(int prc);

/* Parse the method spec list `methods` as the scheduler will
 * (ckr_spec_parse_list): unknown methods and keys and bad values are refused.
 * Returns 0, with the parsed list in *specs / *n when specs is non-NULL
 * (free(*specs) after use). Otherwise prints on rank 0 "ckptrank NAME: " +
 * (`where` + ": " when where is non-NULL) + the parser's message, and returns
 * CKR_EXIT_USAGE for a bad spec (CKR_EARG) or CKR_EXIT_ERROR for any other
 * failure. Every rank gets the same outcome. */
int cli_check_methods(const cli_cmd *c, const char *methods, const char *where, ckr_spec **specs,
                      size_t *n);

/* A file named on the command line: the option that named it ("-o",
 * "--csv"; "" for a positional argument) and the path (NULL: not given). */
typedef struct cli_path {
    const char *opt;
    const char *path;
} cli_path;

/* Before any work: refuse (CKR_EXIT_USAGE, message on rank 0 naming both
 * options and paths) an output that is one of the inputs (the same file:
 * same device and inode, so a symlink or hard link to the input counts),
 * two outputs that are the same file (same inode, or for files that do not
 * exist yet the same real directory and name: "out.h5" and "./out.h5"), and
 * an output given as an empty name. Outputs and inputs with a NULL path are
 * skipped. Rank 0 decides (outpaths.c), every rank gets the same status:
 * collective over c->comm. Returns CKR_EXIT_OK when the names are fine. */
int cli_check_paths(const cli_cmd *c, const cli_path *in, size_t nin, const cli_path *out,
                    size_t nout);

/* Parse a shard "I/N" (two decimals, nothing else, 0 <= I < N): 0 with
 * *i and *n set, or -1 (1/2/3, 1/2abc, 2/2, -1/2 are refused). */
int cli_parse_shard(const char *s, int *i, int *n);

/* Join argv[0..argc) into one shell-quoted line in buf[0..len) (cut when
 * longer), for the command line recorded in provenance. */
void cli_join_argv(int argc, char **argv, char *buf, size_t len);

/* Compute r's metrics with cut-offs k, write them to csv (when non-NULL),
 * print the table to stdout unless quiet. Rank 0's job (it prints). Returns
 * CKR_EXIT_OK, or CKR_EXIT_ERROR after printing the reason. */
int cli_emit_metrics(const cli_cmd *c, ckr_results *r, const cli_klist *k, const char *csv,
                     int quiet);

#endif
