/* validate_internal.h -- internal to the schema checks of src/zoo:
 * validate.c (root attributes, whole-file validation and these helpers),
 * validate_task.c (task groups) and validate_pair.c (pair groups).
 *
 * The helpers report through a ckr_zrep (zoo/h5util.h): every problem is one
 * message naming the file, the object path and what is wrong. Shape and type
 * problems are CKR_EFORMAT, bad values CKR_EDATA. */
#ifndef CKR_ZOO_VALIDATE_INTERNAL_H
#define CKR_ZOO_VALIDATE_INTERNAL_H

#include <hdf5.h>
#include <stddef.h>

#include "zoo/h5util.h"

/* Join parent and name into the object path "parent/name" ("/name" when
 * parent is "/"), truncated to cap - 1 chars. */
void ckr_zoo_join_path(char *out, size_t cap, const char *parent, const char *name);

/* Open child `name` of loc (object path `path`) as a group. When it is
 * missing, report `missing`; when it is another kind of object, report that
 * `what` was expected. Returns the open group, or -1 after reporting. */
hid_t ckr_zoo_open_group(hid_t loc, const char *name, const char *path, const char *missing,
                         const char *what, ckr_zrep *r);

/* Open dataset `name` of group g (object path gpath) when present and check
 * it is numeric with the given rank (0: any rank); `shape` (e.g. "[N, D]")
 * goes into the messages. Returns 1 (usable: *d open, di filled), 0 (absent:
 * reported as a problem when required) or -1 (a problem was reported, *d is
 * -1). */
int ckr_zoo_open_numeric(hid_t g, const char *gpath, const char *name, int required, int rank,
                         const char *shape, hid_t *d, ckr_h5_dinfo *di, ckr_zrep *r);

/* Read the whole open numeric rank-1 or rank-2 dataset d (object path `path`,
 * shape di) into m (a new buffer, rows x cols, cols 1 for rank 1; NULL data
 * when empty) and check every value is finite. Returns 0, or -1 after
 * reporting (m->data is then NULL). Does not close d. */
int ckr_zoo_read_finite(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_matrix *m,
                        ckr_zrep *r);

/* The same check without keeping the data: the dataset is read in blocks
 * of about a million values (bounded memory whatever its size). Returns 0,
 * or -1 after reporting (the same messages as ckr_zoo_read_finite). */
int ckr_zoo_check_finite(hid_t d, const char *path, const ckr_h5_dinfo *di, ckr_zrep *r);

#endif
