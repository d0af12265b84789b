/* teamread.h -- a team of ranks reads one pair's rows in parallel.
 *
 * A big pair is split by rows over the ranks of a team communicator: the
 * rows form fixed blocks of `block` rows, and each rank holds a contiguous
 * run of whole blocks (ckr_rowblocks_range). Because the blocks do not
 * depend on the team size, a computation that reduces per-block partial
 * results in block order gives the same answer on any team.
 *
 * The file is opened with parallel HDF5's MPI-IO driver on the team's
 * communicator, and every rank reads its rows of a dataset with one
 * collective hyperslab read (H5FD_MPIO_COLLECTIVE), so MPI-IO can merge the
 * requests. Values are converted to double by HDF5. Every read names the
 * file, the object and the problem in err on failure.
 *
 * Every function taking a ckr_team_file is collective over its
 * communicator: all ranks call it, in the same order, with the same
 * checkpoint, task and dataset names (row ranges differ). Return codes are
 * agreed: all ranks return the same code. */
#ifndef CKR_ZOO_TEAMREAD_H
#define CKR_ZOO_TEAMREAD_H

#include <mpi.h>
#include <stddef.h>

#include "core/pair.h"
#include "util/err.h"

/* Rows [*row0, *row0 + *nrows) of n rows that rank r of P holds when the rows
 * form blocks of `block` rows (the last one shorter) and the blocks are dealt
 * in contiguous runs: rank r gets blocks [nb*r/P, nb*(r+1)/P) of the
 * nb = ceil(n / block) blocks. A rank may get no rows (n small). */
void ckr_rowblocks_range(size_t n, size_t block, int P, int r, size_t *row0, size_t *nrows);

typedef struct ckr_team_file ckr_team_file;

/* Open path read-only on comm (collective). CKR_EIO with a message when the
 * file cannot be opened on some rank. */
int ckr_team_file_open(const char *path, MPI_Comm comm, ckr_team_file **out, ckr_err *err);
/* Close (collective); NULL allowed. */
void ckr_team_file_close(ckr_team_file *f);

/* Rows and columns (1 for a rank-1 dataset) of
 * /checkpoints/<ckpt>/<task>/<name>. CKR_EFORMAT when it is missing, not
 * numeric, or of rank other than 1 or 2. */
int ckr_team_dataset_shape(ckr_team_file *f, const char *ckpt, const char *task,
                           const char *name, size_t *rows, size_t *cols, ckr_err *err);

/* Collective read of rows [row0, row0 + nrows) of that dataset into out
 * (nrows x cols doubles, row-major); nrows may be 0 on some ranks. Rows
 * beyond the dataset are CKR_EARG. Counts the bytes it read (ckr_team_file_bytes). */
int ckr_team_read_rows(ckr_team_file *f, const char *ckpt, const char *task, const char *name,
                       size_t row0, size_t nrows, double *out, ckr_err *err);

/* Bytes this rank has read through f (as stored, before conversion). */
double ckr_team_file_bytes(const ckr_team_file *f);

/* Rows per block of the team reads of a run (ckr_team_read_pair): fixed,
 * independent of the team size. */
#define CKR_TEAM_BLOCK 64

/* Read pair (ckpt, task) for a team (collective over f's communicator):
 * out is the pair as this rank holds it (methods/method.h, ckr_team):
 * train_features, train_logits (when the pair has them) and the train
 * labels are this rank's rows [*row0, *row0 + n) of the *n_total rows, with
 * the row blocks of `block` rows dealt by ckr_rowblocks_range (one
 * collective hyperslab read per dataset); the task (kind, num_classes, the
 * labels of val and test), val_features, val_logits, test_features and the
 * top layer are read whole on every rank. The checks are those of
 * ckr_zoo_read_pair (shapes against the task's labels, labels in range and
 * at least two classes, every value finite: a non-finite value in any
 * rank's rows fails the pair on every rank). On success out owns its
 * buffers (ckr_pair_free); out->ckpt/task are left NULL for the caller.
 * Agreed code: 0, CKR_EFORMAT, CKR_EDATA, CKR_EIO, CKR_ENOMEM, CKR_EMPI
 * (err names the file and object). */
int ckr_team_read_pair(ckr_team_file *f, const char *ckpt, const char *task, size_t block,
                       ckr_pair *out, size_t *row0, size_t *n_total, ckr_err *err);

#endif
