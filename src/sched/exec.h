/* exec.h -- execute one (checkpoint, task, method) item on any rank.
 *
 * An executor reads the item's pair from the zoo (keeping the last pair, so
 * consecutive items on the same pair read it once), seeds the item's random
 * stream from (seed, checkpoint, task, method spec), runs the method and
 * measures its time and FLOPs. It counts the pairs it reads and gives each
 * result the checksum of its pair's content (for the journal). It knows
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
    /* team items (sched/exec_team.c): this rank's team, MPI_COMM_NULL when none */
    MPI_Comm team_comm;
    int team_size, team_rank;
    const char *zoo_path;   /* the zoo file the team opens on team_comm */
    /* the team pair as this rank holds it (its rows of the training split) */
    char tckpt[CKR_NAME_MAX], ttask[CKR_NAME_MAX];
    int tcached, tread_rc;
    ckr_pair tpair;
    size_t trow0, tn_total;
    ckr_err tread_err;
    /* one-pair cache */
    char ckpt[CKR_NAME_MAX], task[CKR_NAME_MAX];
    int cached, read_rc;
    ckr_pair pair;
    ckr_err read_err;
    uint64_t tpair_sum;     /* the team pair's checksum (team leader: read from the file) */
    uint64_t pair_sum;      /* the cached pair's content checksum (zoo/checksum.h):
                             * over the data as read, or from the file when the
                             * pair does not read; 0 when the zoo is not open */
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

/* exec_team.c. Run specs[spec_idx] (its method has score_team) on the pair
 * as a member of ex's team: collective over ex->team_comm, every member
 * calls it with the same item in the same order. The pair is read by the
 * team (zoo/teamread.h: this rank's row blocks, the rest whole; kept for
 * the next items of the same pair; counted in n_reads by the leader only),
 * the item's RNG is seeded as in ckr_executor_run, and every member gets
 * the same res (a read failure becomes every member's status). Never
 * fails; res->seconds and res->gflops are this rank's. */
void ckr_executor_run_team(ckr_executor *ex, const char *ckpt, const char *task, int spec_idx,
                           ckr_result *res);

/* Free the cached pairs, single and team (the zoo and specs stay with their owners). The
 * executor can be used again afterwards. */
void ckr_executor_release(ckr_executor *ex);
/* Free the cached team pair only. */
void ckr_executor_release_team(ckr_executor *ex);

#endif
