/* rowsum.h -- sums over the rows of a matrix split over the ranks of a team
 * communicator, in an order that does not depend on the team size.
 *
 * Rows and pieces. Each rank holds a contiguous run of rows [row0, row0 + n)
 * of n_total rows, the runs in rank order (rank r before rank r + 1; a rank
 * may hold none). The rows are cut into pieces at every multiple of
 * CKR_ROWSUM_BLOCK and at every rank boundary. A statistic is computed per
 * piece (each rank for its own pieces) and the team adds the pieces in row
 * order: ((p_0 + p_1) + p_2) + ... . When every rank boundary is a multiple
 * of CKR_ROWSUM_BLOCK (a team whose row blocks are multiples of it), the
 * pieces do not depend on the team size, and neither do the sums: the same
 * bits on any team. Otherwise they equal up to rounding.
 *
 * All functions are collective over the rowsum's communicator (except
 * ckr_rowsum_piece and ckr_rowsum_owner, which are local) and return 0 or a
 * negative CKR_E* code agreed over the team. */
#ifndef CKR_ROWSUM_H
#define CKR_ROWSUM_H

#include <mpi.h>
#include <stddef.h>

#include "util/err.h"

/* Rows per piece of the ordered sums. */
#define CKR_ROWSUM_BLOCK 512

/* The row split of a team and its pieces (ckr_rowsum_init). */
typedef struct ckr_rowsum {
    MPI_Comm comm;
    int P, rank;
    size_t row0, n, n_total;   /* this rank's rows, all rows */
    size_t *rrow0, *rn;        /* P: every rank's first row and row count */
    size_t *rpieces;           /* P: every rank's piece count */
    size_t npieces, total_pieces;
    double *gbuf;              /* gather scratch (ckr_rowsum_reserve) */
    size_t gcap;
} ckr_rowsum;

/* Sums of up to this many doubles over all pieces go through one allgather
 * (when reserved); larger ones through an all-to-all of segments. */
#define CKR_ROWSUM_GATHER_MAX ((size_t)1 << 20)

/* Collective: learn every rank's rows (an allgather). The runs must be
 * contiguous and in rank order, covering [0, n_total): CKR_EARG otherwise.
 * CKR_ENOMEM, CKR_EMPI. Agreed. Free with ckr_rowsum_free. */
int ckr_rowsum_init(ckr_rowsum *s, MPI_Comm comm, size_t row0, size_t n, size_t n_total,
                    ckr_err *err);
void ckr_rowsum_free(ckr_rowsum *s);

/* Local rows [*i0, *i0 + *len) (indices into this rank's rows) of this
 * rank's piece q < s->npieces. */
void ckr_rowsum_piece(const ckr_rowsum *s, size_t q, size_t *i0, size_t *len);

/* Collective: part holds this rank's pieces x m partial sums (row-major, may
 * be NULL when it has no pieces); out (m) receives, on every rank, the sum
 * of all pieces' rows in row order. out may not alias part. CKR_ENOMEM,
 * CKR_EARG (counts beyond MPI's int), CKR_EMPI; agreed. */
int ckr_rowsum_reduce(const ckr_rowsum *s, const double *part, size_t m, double *out);

/* Collective: reserve the scratch that lets ckr_rowsum_reduce_flags with
 * up to m values per piece (and 4 flags) work in one allgather, when that
 * is at most CKR_ROWSUM_GATHER_MAX doubles (else nothing is reserved and
 * larger sums take the all-to-all). CKR_ENOMEM, agreed. */
int ckr_rowsum_reserve(ckr_rowsum *s, size_t m);

/* ckr_rowsum_reduce (the same bits) that also takes the max over the ranks
 * of nflags <= 4 non-negative flags (in: this rank's, out: the team's), in
 * one collective call when reserved. */
int ckr_rowsum_reduce_flags(const ckr_rowsum *s, const double *part, size_t m, double *out,
                            int *flags, int nflags);

/* Collective: every piece's partials on every rank: all (total_pieces x m)
 * receives the pieces of all ranks in row order, flags (nflags <= 4,
 * non-negative) the max over the ranks. One allgather when reserved (then
 * also an allreduce for the flags otherwise). Summing all's rows in order
 * gives the bits of ckr_rowsum_reduce. CKR_EMPI. */
int ckr_rowsum_gather(const ckr_rowsum *s, const double *part, size_t m, double *all,
                      int *flags, int nflags);

/* The team's rank holding global row i (i < n_total); local. */
int ckr_rowsum_owner(const ckr_rowsum *s, size_t i);

/* Collective: nonzero on every rank when ckr_stop_requested() is nonzero on
 * some rank (a max over the team; CKR_EMPI counts as a stop). */
int ckr_team_stop_agreed(MPI_Comm comm);

#endif
