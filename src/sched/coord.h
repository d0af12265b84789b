/* coord.h -- rank 0's bookkeeping of a run: the items, the journal, the
 * counts and the progress line.
 *
 * Rank 0 lists the items (sched/items.h), opens the journal (on --resume the
 * items already in it are marked done with their journalled results), and
 * records every item as it finishes: counts, one journal record (flushed to
 * the OS at once, fsync'd in batches), progress. It does no MPI. */
#ifndef CKR_SCHED_COORD_H
#define CKR_SCHED_COORD_H

#include <stddef.h>

#include "ckptrank/ckptrank.h"
#include "sched/items.h"
#include "sched/journal.h"
#include "sched/progress.h"
#include "util/err.h"

typedef struct ckr_coord {
    ckr_item_list list;
    size_t n_resumed;      /* items taken from the journal */
    size_t n_computed;     /* items finished by this run */
    size_t n_failed;       /* of n_computed, not ok */
    ckr_journal journal;
    int has_journal;       /* journal is open */
    int journal_error;     /* an append failed: the run goes on without the journal */
    ckr_err jerr;          /* why */
    ckr_progress pg;
} ckr_coord;

/* The journal path of a run: o->journal_path ("" = none), else OUT.h5.journal
 * or CSV.journal; NULL when there is none. May format into buf. */
const char *ckr_coord_journal_path(const ckptrank_run_opts *o, char *buf, size_t len);

/* What a run's journal belongs to: a fingerprint of the zoo's listing (names
 * and shapes of its pairs), the method list, the seed and the shard. The
 * content of each pair is not in it: each record carries its pair's
 * checksum, compared on --resume per pair (ckr_coord_open_journal). */
void ckr_coord_journal_id(const ckr_coord *c, const ckptrank_run_opts *o, ckr_journal_id *id);

/* Open the run's journal (none: nothing to do, unless o->resume, which is
 * then CKR_EARG). With o->resume, the records of the existing journal whose
 * (checkpoint, task, method) is one of the listed items mark it
 * CKR_ITEM_RESUMED with the journalled result (counted in n_resumed); records
 * of other items are ignored; a torn tail is dropped. Then the content
 * checksum of every pair with resumed items is computed from the zoo (rank 0,
 * bounded row blocks, zoo/checksum.h) and compared with the one in its
 * records: the items of a pair that changed since they were journalled (or
 * cannot be checked) go back to the work list, with one line on stderr per
 * pair ("pair C/T changed since the journal: its N items are computed
 * again"). A journal of another run is refused (CKR_EARG naming what
 * differs); a journal another process holds is refused (CKR_EIO naming its
 * pid; sched/journal.h). Call after ckr_items_list and before
 * ckr_items_order. Returns 0 or a CKR_E* code with err set. */
int ckr_coord_open_journal(ckr_coord *c, const ckptrank_run_opts *o, ckr_err *err);

/* Record that `it` (its res filled) was computed: counts, a journal record
 * (a failing append is reported on stderr once and the run goes on without
 * the journal), progress. A result with status "not-run" (the item was
 * abandoned after a stop signal) leaves the item not done: nothing is
 * counted or journalled, and its row keeps res's message. */
void ckr_coord_record(ckr_coord *c, ckr_item *it);

/* Close the journal (synced); when the run is complete (every item resumed
 * or computed) and outputs_ok, remove it (when it is still the file this
 * run holds): the outputs hold everything.
 * Returns 0 or CKR_EIO with err set (when closing failed). */
int ckr_coord_close_journal(ckr_coord *c, int outputs_ok, ckr_err *err);

#endif
