/* cli.h -- the ckptrank command line: subcommands and their option tables.
 *
 * ckr_cli_main dispatches argv[1] to a subcommand and returns the process
 * exit status (main decides what to do with it):
 *   0  success
 *   1  error: input unreadable, output not written, validate found problems
 *   2  usage error (bad option, unknown method or parameter)
 *   3  run: every item failed
 *  75  run: interrupted by a signal (partial outputs; requeue with --resume)
 * MPI must be initialised; `run` uses all ranks of comm, the other
 * subcommands do their work on rank 0 only. */
#ifndef CKR_CLI_H
#define CKR_CLI_H

#include <mpi.h>

enum { CKR_EXIT_OK = 0, CKR_EXIT_ERROR = 1, CKR_EXIT_USAGE = 2, CKR_EXIT_ALL_FAILED = 3 };

int ckr_cli_main(int argc, char **argv, MPI_Comm comm);

/* The subcommands (argv[0] is the subcommand's name). */
int ckr_cmd_run(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_synth(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_report(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_evaluate(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_validate(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_info(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_methods(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_groundtruth(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_merge(int argc, char **argv, MPI_Comm comm);

/* Join argv into one shell-quoted line (for provenance). */
void ckr_cli_join_argv(int argc, char **argv, char *buf, size_t len);

#endif
