/* zoo.h -- the zoo file (schema: hdf5-schemas/zoo-v1.md): open, scan, read, validate.
 *
 * Reading goes through parallel HDF5's MPI-IO driver on a communicator the
 * caller chooses (a worker passes MPI_COMM_SELF, so every read is independent
 * and no collective metadata operation can deadlock a dispatcher).  The file
 * is opened read-only.  Every error message names the file, the HDF5 object
 * path and the problem, e.g.
 *   "zoo.h5: /checkpoints/r50/cifar/train_features: has 99 rows, task has 100 labels".
 */
#ifndef CKR_ZOO_H
#define CKR_ZOO_H

#include <mpi.h>
#include <stddef.h>

#include "core/pair.h"
#include "util/err.h"

#define CKR_ZOO_FORMAT "ckptrank-zoo"
#define CKR_ZOO_VERSION 1
#define CKR_NAME_MAX 256

typedef struct ckr_zoo ckr_zoo;

typedef struct ckr_task_info {
    char name[CKR_NAME_MAX];
    ckr_task_kind kind;
    int num_classes;        /* 0 when unreadable (then `problem` says why) */
    size_t n_train, n_val;  /* label counts; n_val 0 when absent */
    size_t n_test;          /* test_labels count (schema 1.1); 0 when absent */
    char problem[512];      /* "" when the task group is well-formed */
} ckr_task_info;

typedef struct ckr_ckpt_info {
    char name[CKR_NAME_MAX];
    char arch[128], source[256];   /* "" when the attribute is absent */
} ckr_ckpt_info;

/* One (checkpoint, task) group that exists in the file. */
typedef struct ckr_pair_info {
    size_t ckpt, task;      /* indices into the zoo's lists */
    ckr_pair_shape shape;   /* n, d, z (0 = no logits), n_val (0 = no val), C, kind */
    int has_gt;
    double finetune_accuracy;
    size_t n_test;          /* rows of test_features (schema 1.1); 0 when absent */
} ckr_pair_info;

/* Open path read-only with the MPI-IO driver on comm (every rank of comm
 * calls it), check the root attributes. Does not scan the contents. Returns
 * 0 with *out the open zoo (close with ckr_zoo_close), or CKR_EARG (empty
 * name), CKR_EIO (missing, unreadable, truncated), CKR_EFORMAT (not HDF5,
 * not a ckptrank zoo, another format_version), CKR_EMPI (MPI not
 * initialized) or CKR_ENOMEM, with *out NULL and err naming the file. */
int ckr_zoo_open(const char *path, MPI_Comm comm, ckr_zoo **out, ckr_err *err);
/* Close the file and free everything of zoo (pointers into its lists and
 * names become invalid). NULL is allowed. */
void ckr_zoo_close(ckr_zoo *zoo);
/* The path the zoo was opened with (owned by the zoo); NULL for NULL. */
const char *ckr_zoo_path(const ckr_zoo *zoo);

/* List tasks, checkpoints and existing pairs with their shapes (metadata
 * only, no feature data read). Problems with a single task or pair do not
 * fail the scan: they are kept in the task's `problem` and surface when the
 * pair is read. Lists are sorted by name; pairs checkpoint-major, then task.
 * Returns 0, or CKR_EFORMAT / CKR_EIO (no /tasks or /checkpoints group, a
 * group that cannot be listed) or CKR_ENOMEM, with the lists then empty.
 * Scanning again replaces the lists. */
int ckr_zoo_scan(ckr_zoo *zoo, ckr_err *err);
/* Numbers of tasks, checkpoints and pairs found by the last scan (0 before). */
size_t ckr_zoo_num_tasks(const ckr_zoo *zoo);
size_t ckr_zoo_num_ckpts(const ckr_zoo *zoo);
size_t ckr_zoo_num_pairs(const ckr_zoo *zoo);
/* Entry i of the scanned lists (owned by the zoo, valid until the next scan
 * or close); NULL when i is out of range. */
const ckr_task_info *ckr_zoo_task(const ckr_zoo *zoo, size_t i);
const ckr_ckpt_info *ckr_zoo_ckpt(const ckr_zoo *zoo, size_t i);
const ckr_pair_info *ckr_zoo_pair(const ckr_zoo *zoo, size_t i);

/* Read and check everything of one pair (labels of its task included):
 * shapes agree, labels in range, features/logits finite.  Works without a
 * prior scan.  On success out owns its buffers (free with ckr_pair_free);
 * out->ckpt/task point to copies owned by the zoo (valid until
 * ckr_zoo_close; ckr_pair_free does not free them). */
int ckr_zoo_read_pair(ckr_zoo *zoo, const char *ckpt, const char *task,
                      ckr_pair *out, ckr_err *err);
/* The same without any features in memory (for --max-memory): every check
 * is made (features are checked for finiteness block by block, in bounded
 * memory), but train/val/test_features get only rows and cols, data NULL.
 * Streamed scores read the training rows with zoo/rowread.h. */
int ckr_zoo_read_pair_meta(ckr_zoo *zoo, const char *ckpt, const char *task,
                           ckr_pair *out, ckr_err *err);
/* ckr_pair_free: core/pair.h */

/* Check the whole file against the schema and report every problem through
 * cb (one message per problem, naming file, object and problem). Returns the
 * number of problems (0 = valid), or a negative code if the file could not
 * be opened at all (also reported through cb). */
typedef void (*ckr_problem_cb)(void *ctx, const char *msg);
int ckr_zoo_validate(const char *path, MPI_Comm comm, ckr_problem_cb cb, void *ctx);

/* synth.c: a synthetic zoo with known transferability (the model is in
 * zoo/synth_data.h; see also `ckptrank synth --help`). */
typedef struct ckr_synth_opts {
    int n_ckpts, n_tasks, n_classes;
    size_t n_train, n_val, dim;
    int multilabel;        /* make the last task multilabel (1) */
    int logits;            /* write source logits (1) */
    int z_source;          /* source classes */
    unsigned long seed;
    size_t n_test;         /* held-out test samples per task (schema 1.1); 0 = none */
} ckr_synth_opts;
/* Fill o with the defaults: 8 checkpoints, 3 tasks, 5 classes, n 400,
 * val 100, dim 32, logits with 10 source classes, seed 1, no test split. */
void ckr_synth_defaults(ckr_synth_opts *o);
/* Write the zoo of o to path (replacing it). The same options give the same
 * bytes. Returns 0, CKR_EARG (an option out of range, err says which),
 * CKR_ENOMEM or CKR_EIO (err names the file and object). */
int ckr_synth_write(const char *path, const ckr_synth_opts *o, ckr_err *err);

#endif
