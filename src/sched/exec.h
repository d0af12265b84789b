/* exec.h -- execute one (checkpoint, task, method) item on any rank.
 *
 * An executor reads the item's pair from the zoo (keeping the last pair, so
 * consecutive items on the same pair read it once), seeds the item's random
 * stream from (seed, checkpoint, task, method spec), runs the method and
 * measures its time and FLOPs. It counts the pairs it reads. It knows
 * nothing of MPI, the queue or the outputs. */
#ifndef CKR_SCHED_EXEC_H
#define CKR_SCHED_EXEC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "methods/method.h"
#include "util/err.h"
#include "zoo/rowread.h"
#include "zoo/zoo.h"

typedef struct ckr_executor {
    ckr_zoo *zoo;           /* borrowed; NULL: every item fails with open_rc/open_err */
    const ckr_spec *specs;  /* borrowed; items name a spec by index */
    uint64_t seed;
    int open_rc;            /* why zoo is NULL (a worker that could not open the file) */
    ckr_err open_err;
    pthread_mutex_t *io_lock; /* NULL, or held while reading from the zoo: another
                               * thread of the process may use HDF5 too */
    size_t n_reads;         /* pairs read (attempts, failed ones too) */
    /* one-pair cache */
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
    int cached, read_rc;
    ckr_pair pair;
    ckr_err read_err;
    /* bounded memory (--max-memory; exec.c "bounded memory") */
    double max_memory;      /* bytes an item may hold of a pair; 0 = no cap */
    double bytes_read;      /* bytes read from the zoo: pairs as held in memory,
                             * streamed rows as stored */
    int cached_meta;        /* the cached pair was read without features */
    int extent_ok;          /* extent is that of (ext_ckpt, ext_task) */
    char ext_ckpt[CKR_NAME_MAX], ext_task[CKR_NAME_MAX];
    ckr_pair_extent extent;
} ckr_executor;

/* An executor of specs on zoo (either may be set later), no io_lock, no
 * reads yet. Owns nothing. */
void ckr_executor_init(ckr_executor *ex, ckr_zoo *zoo, const ckr_spec *specs, uint64_t seed);

/* Run spec specs[spec_idx] on the pair (ckpt, task) into res. With
 * max_memory > 0 the item first compares the method's estimate (pair as
 * read + the method's memory hook) with the cap, from the pair's metadata:
 * within it, the whole pair; over it, the method's streamed form (the pair
 * read without features, training rows in the largest block of at most
 * 8192 rows that fits, at least 16) when it has one that fits; else status
 * "over-memory" with the estimate, and nothing is read. Never fails:
 * a pair that cannot be read and a method that fails become res's status
 * and message; res->seconds and res->gflops are measured. */
void ckr_executor_run(ckr_executor *ex, const char *ckpt, const char *task, int spec_idx,
                      ckr_result *res);

/* Free the cached pair (the zoo and specs stay with their owners). The
 * executor can be used again afterwards. */
void ckr_executor_release(ckr_executor *ex);

#endif
