/* fileout.h -- files of src/zoo written under a temporary name and renamed
 * into place (internal to src/zoo; util/fsout.h does the same for stdio
 * streams and whole buffers, which synth uses), so that a crash or a full disk never leaves a
 * half-written zoo under the final name: a reader sees the old file or the
 * whole new one.
 *
 * Temporary names are "FINAL.tmp.<pid>" in the directory of FINAL (the
 * rename is atomic on one file system). Every failure removes the temporary
 * file and leaves FINAL untouched; messages name the file and give the
 * cause (strerror). */
#ifndef CKR_ZOO_FILEOUT_H
#define CKR_ZOO_FILEOUT_H

#include <stddef.h>

#include "util/err.h"

/* Copy the existing file path to a new temporary file next to its real
 * location (symlinks resolved, so the rename replaces the file the link
 * points to), with the same permission bits, and reserve `reserve` more
 * bytes of disk after its end (posix_fallocate: the copy is that much
 * longer, zero-filled; HDF5 allocates by its own end-of-address, writes
 * into the reserved blocks without meeting a full disk and cuts the file
 * back at close). On success tmp (capacity cap) holds the temporary name
 * and final (capacity cap) the resolved path to rename it to. Returns 0 or
 * CKR_EIO (a full disk included; nothing left behind). */
int ckr_zoo_copy_to_temp(const char *path, size_t reserve, char *tmp, char *final, size_t cap,
                         ckr_err *err);

/* fsync tmp and rename it over final (then fsync final's directory).
 * Returns 0, or CKR_EIO after removing tmp (final untouched). */
int ckr_zoo_commit_temp(const char *tmp, const char *final, ckr_err *err);

#endif
