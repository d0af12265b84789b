/* h5util.h -- internal to src/zoo (not part of the public contract in zoo.h).
 *
 * Three groups of helpers shared by zoo.c (open/scan/read), the schema
 * checks (validate.c, validate_task.c, validate_pair.c) and the synthetic
 * zoo writer (synth.c):
 *   - a problem reporter: every schema problem becomes one message
 *     "<file>: <object path>: <problem>" that is either collected (validate)
 *     or kept as the first error (read);
 *   - small HDF5 readers that never print an HDF5 error stack (dataset
 *     shapes, row blocks converted to double; the attribute readers of any
 *     numeric type or fixed/variable-length strings are util/h5attr.h's,
 *     included here);
 *   - the schema checks of the root, of a task group and of a (checkpoint,
 *     task) pair group, defined in validate.c, validate_task.c and
 *     validate_pair.c and used by ckr_zoo_scan/read_pair too. */
#ifndef CKR_ZOO_H5UTIL_H
#define CKR_ZOO_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>

#include "util/h5attr.h"
#include "zoo/zoo.h"

/* Longest object path we build: /checkpoints/<ckpt>/<task>/<dataset>. */
#define CKR_ZOO_OBJ_MAX (2 * CKR_NAME_MAX + 64)
/* Largest num_classes a task may declare. */
#define CKR_ZOO_MAX_CLASSES 1000000

/* ---- problem reporter ------------------------------------------------- */

typedef struct ckr_zrep {
    const char *file;       /* file name as given by the user */
    ckr_problem_cb cb;      /* called once per problem (may be NULL) */
    void *ctx;
    int stop_at_first;      /* read mode: checks stop after the first problem */
    int count;              /* problems so far */
    int first_code;         /* CKR_E* of the first problem, 0 when none */
    char first_msg[1024];
} ckr_zrep;

/* A reporter for problems of `file` (borrowed), passing each message to cb
 * (with ctx) when cb is non-NULL; stop_at_first: read mode. */
void ckr_zrep_init(ckr_zrep *r, const char *file, ckr_problem_cb cb, void *ctx,
                   int stop_at_first);
/* Record the problem "<file>: <obj>: <text>" (obj NULL: "<file>: <text>");
 * returns code. */
int ckr_zrep_add(ckr_zrep *r, int code, const char *obj, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 1 when a check should stop now (stop_at_first and a problem recorded). */
int ckr_zrep_stop(const ckr_zrep *r);
/* Copy the first problem into err; returns its code (0 when none). */
int ckr_zrep_to_err(const ckr_zrep *r, ckr_err *err);

/* Copy src into dst (capacity cap > 0), truncating; always terminated. */
void ckr_zoo_copy_str(char *dst, size_t cap, const char *src);

/* ---- HDF5 basics ------------------------------------------------------ */

/* Turn off HDF5's automatic error-stack printing (idempotent). */
void ckr_h5_quiet(void);
/* The innermost description on the current HDF5 error stack ("" if none). */
void ckr_h5_last_error(char *buf, size_t cap);
/* 1 if the file carries the HDF5 signature (at 0, 512, 1024, ...), 0 if not,
 * -1 if it cannot be read. */
int ckr_h5_has_signature(const char *path);

typedef enum {
    CKR_H5_MISSING = 0,   /* no link of that name */
    CKR_H5_GROUP,
    CKR_H5_DATASET,
    CKR_H5_OTHER,         /* named datatype or similar */
    CKR_H5_BROKEN         /* the link exists but cannot be opened (dangling) */
} ckr_h5_kind;
/* What the link `name` of loc is (never prints an HDF5 error). */
ckr_h5_kind ckr_h5_child_kind(hid_t loc, const char *name);
/* The kind as words for messages, e.g. "a dataset". */
const char *ckr_h5_kind_name(ckr_h5_kind k);

/* Names of the links in group, sorted by strcmp (H5Literate, name index).
 * *names is a malloc'd array of malloc'd strings; free with ckr_h5_free_names.
 * Returns 0, CKR_EIO or CKR_ENOMEM. */
int ckr_h5_list_names(hid_t group, char ***names, size_t *n);
/* Free a list from ckr_h5_list_names (NULL allowed). */
void ckr_h5_free_names(char **names, size_t n);

/* ---- attributes ------------------------------------------------------- */

/* ckr_attr_status and the readers ckr_h5_attr_string / _double / _llong /
 * _number with ckr_attr_status_text: util/h5attr.h. */

/* The HDF5 type class of an attribute as a word ("string", "integer", ...). */
const char *ckr_h5_attr_class_word(hid_t obj, const char *name);

/* ---- datasets --------------------------------------------------------- */

typedef struct ckr_h5_dinfo {
    int rank;               /* 0 for a scalar dataspace */
    hsize_t dims[2];        /* first two extents (0 beyond rank) */
    H5T_class_t cls;
    int numeric;            /* integer, float, or enum (e.g. h5py bool) */
} ckr_h5_dinfo;

/* Shape and type class of an open dataset. Returns 0 or CKR_EIO. */
int ckr_h5_dset_info(hid_t dset, ckr_h5_dinfo *di);
/* Whether the stored data of an open dataset can hold what its shape
 * declares, from metadata only (nothing is read): contiguous data must be
 * allocated in full, chunked data must have every chunk written (with no
 * filter, also the full byte count stored); compact and external data pass.
 * Returns 0 when it can, or 1 with buf (capacity cap) saying what is
 * missing, e.g. "declares 1000000000000 values (8000000000000 bytes) but
 * stores only 0 bytes (0 of 1000000 chunks written)". A file that declares
 * huge data it does not hold is refused in seconds instead of being read
 * (as fill values) for hours. */
int ckr_h5_storage_short(hid_t dset, char *buf, size_t cap);
/* A type class as a word for messages ("string", "integer", ...). */
const char *ckr_h5_class_word(H5T_class_t cls);
/* Read rows [row0, row0 + nrows) of a numeric rank-1 or rank-2 dataset as
 * double (H5Dread converts), row-major into out (nrows * cols values).
 * Returns 0 or CKR_EIO. */
int ckr_h5_read_rows(hid_t dset, const ckr_h5_dinfo *di, hsize_t row0, hsize_t nrows,
                     double *out);

/* ---- schema checks (validate*.c) ------------------------------------- */

/* What the checks learned about one task. Counts are 0 when unknown. */
typedef struct ckr_zoo_taskdata {
    int exists;             /* the task group could be opened */
    int meta_ok;            /* kind and num_classes are known */
    ckr_task_kind kind;
    int num_classes;
    size_t n_train;         /* train label count, 0 if unusable */
    int val_state;          /* val_labels: 0 absent, 1 usable, -1 present but bad */
    size_t n_val;           /* val label count when val_state == 1 */
    int test_state;         /* test_labels (schema 1.1): as val_state */
    size_t n_test;          /* test label count when test_state == 1 */
    ckr_labels train, val, test;  /* filled only when asked to keep labels */
} ckr_zoo_taskdata;

/* Check the root attributes format / format_version (/format_minor).
 * *minor gets format_minor (0 when absent). Returns problems found. */
int ckr_zoo_check_root(hid_t file, int *minor, ckr_zrep *r);

/* Check /tasks/<task> (tasks is the open /tasks group). With read_data the
 * labels are read and checked too (range, 0/1, at least two classes); with
 * keep_labels as well they stay in td (free with ckr_zoo_taskdata_free).
 * The task name "mean" (reserved for the outputs' mean rows) is a problem.
 * Returns the number of problems found. */
int ckr_zoo_check_task(hid_t tasks, const char *task, int read_data, int keep_labels,
                       ckr_zoo_taskdata *td, ckr_zrep *r);
/* Free the labels kept in td (NULL allowed); the counts stay. */
void ckr_zoo_taskdata_free(ckr_zoo_taskdata *td);

/* Check the pair group /checkpoints/<ckpt>/<task> against the task (td from
 * ckr_zoo_check_task; unknown counts are not compared).  All data is read
 * and checked for finiteness.  With keep non-NULL and no problem, keep's
 * matrices (test_features included), top layer and ground truth are filled
 * (labels are not touched; test_logits is checked but not kept: ckr_pair has
 * no field for it).
 * Returns the number of problems found. */
int ckr_zoo_check_pair(hid_t file, const char *ckpt, const char *task,
                       const ckr_zoo_taskdata *td, ckr_pair *keep, ckr_zrep *r);
/* The same; with keep_features 0 the train/val/test features are checked
 * block by block (bounded memory) but not kept in keep. */
int ckr_zoo_check_pair_ex(hid_t file, const char *ckpt, const char *task,
                          const ckr_zoo_taskdata *td, ckr_pair *keep, int keep_features,
                          ckr_zrep *r);
/* validate.c: the optional num_params attribute (schema 1.2) of the open
 * checkpoint group cg (object path cpath). Returns 0 when it is absent, the
 * count when it is a finite number > 0 (any integer or float type), or NaN
 * after reporting the problem through r (r may be NULL: no report). */
double ckr_zoo_ckpt_num_params(hid_t cg, const char *cpath, ckr_zrep *r);
/* zoo.c: the open HDF5 file of a zoo (owned by it). */
hid_t ckr_zoo_h5file(const ckr_zoo *zoo);
/* rowread.c: set rows and cols of pair's train/val/test features (data
 * untouched) from the datasets of /checkpoints/<ckpt>/<task>; 0 when absent. */
void ckr_zoo_feature_dims(hid_t file, const char *ckpt, const char *task, ckr_pair *pair);

/* zoo.c: open path read-only with the MPI-IO driver on comm (HDF5 only, no
 * schema check); a failure is a clear message without an HDF5 stack. */
int ckr_zoo_open_h5(const char *path, MPI_Comm comm, hid_t *file, ckr_err *err);

#endif
