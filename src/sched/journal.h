/* journal.h -- the crash-safe record of finished items, for --resume.
 *
 * Rank 0 appends one record per finished item as results arrive. Each record
 * is handed to the OS at once (a killed process loses nothing) and fsync'd
 * in batches (every `batch` records or `interval`
 * seconds) and at close, so a kill -9 loses at most the last unsynced batch.
 * Each record carries its length and a CRC-32; on open, a torn or corrupt
 * tail is detected, reported and cut off, and everything before it is kept.
 *
 * ckptrank_run removes the journal once a run is complete and its outputs are
 * written; an interrupted or killed run leaves it for --resume.
 *
 * The header names what the journal belongs to: the zoo (a fingerprint of its
 * listing), the method list and the seed (and the shard). Opening a journal
 * whose header differs from the run's is refused with a message saying which
 * of them differs. Each record also carries the content checksum of its
 * item's pair (ckr_result.pair_sum, zoo/checksum.h), which the caller
 * compares on --resume (sched/coord.h).
 *
 * A new journal is written under PATH.tmp.PID, its header fsync'd, and then
 * renamed (or, when no file is at PATH, hard-linked) into place, so a crash
 * never leaves a half header under the final name; records are appended.
 *
 * Lock: while a journal is open, its process holds an fcntl write lock on
 * the whole file. Opening a journal another process holds is refused
 * (CKR_EIO: "PATH is in use by process PID (another ckptrank run writing the
 * same outputs)") before anything is read or written. The OS drops the lock
 * when the holder ends, however it ends (kill -9 too), so the journal can
 * then be resumed. fcntl locks belong to the process: a second open in the
 * same process is not refused, and closing any other descriptor of the file
 * in the holder drops its lock (nothing in ckptrank does). A file system
 * without locks (ENOLCK) works unlocked. */
#ifndef CKR_JOURNAL_H
#define CKR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "methods/method.h"
#include "util/err.h"

typedef struct ckr_journal_id {
    char zoo[1024];       /* e.g. "zoo.h5 (listing 0123abcd...)" */
    char methods[1024];
    char seed[32];
    char shard[32];       /* "all" or "I/N" */
} ckr_journal_id;

typedef struct ckr_journal_rec {
    char ckpt[256], task[256], method[256];
    ckr_result res;
} ckr_journal_rec;

typedef struct ckr_journal {
    FILE *f;
    char path[4096];
    size_t unsynced, batch;
    double last_sync, interval;
} ckr_journal;

/* Called once per record found by ckr_journal_open, in file order. */
typedef void (*ckr_journal_cb)(void *ctx, const ckr_journal_rec *rec);

/* Open path for appending, locked (see above: CKR_EIO when another process
 * holds it). If the file exists and `resume` is set, its
 * header must match id (else CKR_EARG naming the difference; CKR_EFORMAT
 * when the file is not a journal or its header is cut short), its intact
 * records are passed to cb (in file order; cb may be NULL) and counted in
 * *n_records, and everything from the first record that is cut short, fails
 * its CRC or does not decode is truncated away (*dropped_bytes says how
 * much). Otherwise (no file, or resume not set) a new journal with id's
 * header is created under a temporary name and put in place, replacing any
 * file (journals of older versions, magic CKRJRNL1, are refused on resume
 * with CKR_EFORMAT; CKRJRNL2 journals, whose records have no raw terms, are
 * resumed with n_terms 0 in each record read and CKRJRNL3 records appended). Returns 0, or a CKR_E* code with err naming the file
 * (j is then closed). */
int ckr_journal_open(ckr_journal *j, const char *path, const ckr_journal_id *id, int resume,
                     ckr_journal_cb cb, void *ctx, size_t *n_records, size_t *dropped_bytes,
                     ckr_err *err);
/* Append one record: handed to the OS at once, fsync'd every j->batch
 * records or j->interval seconds. Returns 0 or CKR_EIO (err set). */
int ckr_journal_append(ckr_journal *j, const ckr_journal_rec *rec, ckr_err *err);
/* Flush and fsync now (a closed journal: nothing to do). Returns 0 or
 * CKR_EIO (err set). */
int ckr_journal_sync(ckr_journal *j, ckr_err *err);
/* Remove the journal (when path still names the file this journal holds:
 * a journal another run made in its place is never removed) and close it,
 * unsynced (its content is not needed). Returns 1 when removed, else 0; a
 * closed journal: 0. */
int ckr_journal_remove(ckr_journal *j);
/* Sync and close; closing a closed journal does nothing. Returns 0 or
 * CKR_EIO (err set, may be NULL); the journal is closed either way. */
int ckr_journal_close(ckr_journal *j, ckr_err *err);

/* CRC-32 (IEEE 802.3, the zlib one) of len bytes of data. */
uint32_t ckr_crc32(const void *data, size_t len);

#endif
