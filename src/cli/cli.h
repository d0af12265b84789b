/* cli.h -- the ckptrank command line: subcommands and their option tables.
 *
 * ckr_cli_main dispatches argv[1] to a subcommand and returns the process
 * exit status (main decides what to do with it):
 *   0  success
 *   1  error: input unreadable, output not written, validate found problems
 *   2  usage error (bad option; unknown method or parameter, or a bad value,
 *      refused before any work starts and any output is created)
 *   3  run, groundtruth: every item failed
 *  75  run: interrupted by a signal (partial outputs; requeue with --resume)
 * MPI must be initialised. `run` and `groundtruth` use all ranks of comm; the
 * other subcommands do their work on rank 0 only.
 *
 * One voice: every rank parses the arguments, silently; only rank 0 prints
 * (help, usage errors, results). Every rank returns the same status: rank 0's,
 * broadcast over comm after the subcommand returns, so mpirun and srun report
 * one clear status. Rank 0 has seen the whole outcome: it does the work of the
 * rank-0 commands and coordinates `run` and `groundtruth`, whose library calls
 * give every rank the same result. ckr_cli_main is therefore collective: every
 * rank of comm calls it with the same argv. */
#ifndef CKR_CLI_H
#define CKR_CLI_H

#include <mpi.h>

enum { CKR_EXIT_OK = 0, CKR_EXIT_ERROR = 1, CKR_EXIT_USAGE = 2, CKR_EXIT_ALL_FAILED = 3 };

int ckr_cli_main(int argc, char **argv, MPI_Comm comm);

/* The subcommands, one per cmd_NAME.c (argv[0] is the subcommand's name).
 * Each returns its exit status; on ranks other than 0 the value is not used
 * (ckr_cli_main gives every rank rank 0's). */
int ckr_cmd_run(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_synth(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_report(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_evaluate(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_validate(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_info(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_methods(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_groundtruth(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_merge(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_import(int argc, char **argv, MPI_Comm comm);
int ckr_cmd_link(int argc, char **argv, MPI_Comm comm);

#endif
