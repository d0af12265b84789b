/* fsout.h -- write an output file under a temporary name, then rename it
 * into place, so that a crash, a kill or a full disk never leaves a half
 * file under the final name (a reader sees the old file or the whole new
 * one).
 *
 * The temporary file is "PATH.tmp.<pid>" in the same directory as PATH (so
 * the rename is atomic on one file system). On commit the stream is flushed,
 * checked for errors, given the permission bits of the file it replaces
 * (new files: 0666 & ~umask), fsync'd, closed and renamed over PATH (then
 * PATH's directory is fsync'd); on any failure,
 * or on abort, the temporary file is removed and PATH is left untouched.
 * Messages name the final path and the cause (strerror). A PATH that exists
 * and is neither a regular file nor a directory (/dev/stdout, a FIFO) is
 * written directly, without a temporary name.
 *
 * Use:
 *   ckr_fsout o;
 *   if (ckr_fsout_open(&o, path, err)) return err->code;
 *   fprintf(o.f, ...);                      // any stdio writes
 *   return ckr_fsout_commit(&o, err);       // or ckr_fsout_abort(&o)
 *
 * For a file built in memory (e.g. an HDF5 file image) use ckr_fsout_write_file.
 * Not thread-safe with respect to one ckr_fsout; distinct ones are independent. */
#ifndef CKR_FSOUT_H
#define CKR_FSOUT_H

#include <stdio.h>

#include "util/err.h"

typedef struct ckr_fsout {
    FILE *f;            /* write here between open and commit/abort */
    char path[4096];    /* the final name */
    char tmp[4096 + 32];/* the temporary name ("" when direct) */
    int direct;         /* path is a device or pipe: written in place */
} ckr_fsout;

/* Create the temporary file for path (mode "wb"). Returns 0, or CKR_EIO with
 * err set ("PATH: cannot create TMP: <strerror>"); an empty path or one too
 * long is CKR_EARG. o->f is NULL on failure. */
int ckr_fsout_open(ckr_fsout *o, const char *path, ckr_err *err);

/* Flush, check, fsync and close o->f, then rename the temporary file over
 * o->path. Returns 0, or CKR_EIO with err set (naming o->path and the
 * strerror of the failure); the temporary file is then removed. o->f is
 * NULL afterwards in both cases. */
int ckr_fsout_commit(ckr_fsout *o, ckr_err *err);

/* fsync the directory holding path (after a rename into it); errors are
 * ignored (a directory that cannot be synced still holds the file). */
void ckr_fsout_sync_dir(const char *path);

/* Close o->f (if open) and remove the temporary file; o->path is untouched.
 * Safe to call twice or after a failed open. */
void ckr_fsout_abort(ckr_fsout *o);

/* Write buf[0..n) as the whole file path, through a temporary name as above.
 * Returns 0 or CKR_EIO/CKR_EARG with err set. */
int ckr_fsout_write_file(const char *path, const void *buf, size_t n, ckr_err *err);

#endif
