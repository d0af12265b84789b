/* featstats.h -- feature statistics shared by the closed-form scores
 * (LogME, H-score, shrinkage H-score, TransRate, GBC; GBC's PCA is
 * linalg/pca.h).
 *
 * Targets. A score is computed over "targets": for a multiclass task the
 * classes that occur in the labels (METHODS.md convention 2: labels are
 * relabelled to the classes present, in increasing label order), for a
 * multilabel task the label columns with at least one positive (and, on
 * request, not positive for every sample). A sample belongs to one target
 * (multiclass) or to every target whose label it carries (multilabel).
 *
 * Rows. Gram/kernel helpers work on transformed rows
 *   z_i = scale * (f_i - mu)            (mu NULL: no centring)
 *   z_i <- z_i / ||z_i||                 (unit != 0; zero rows stay zero)
 * of the samples idx[0..m) (idx NULL: samples 0..m-1), in double precision,
 * a block of rows at a time (no N x D copy).
 *
 * All functions count their FLOPs (util/flops.h) and return 0 or a negative
 * CKR_E* code; none exits. */
#ifndef CKR_FEATSTATS_H
#define CKR_FEATSTATS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pair.h"
#include "util/err.h"

typedef struct ckr_targets {
    ckr_task_kind kind;
    size_t n;            /* samples */
    int ncols;           /* num_classes */
    int t;               /* targets kept */
    const int *y;        /* multiclass labels (borrowed) */
    const uint8_t *Y;    /* multilabel n x ncols 0/1 (borrowed) */
    int *map;            /* ncols: class/label -> target index, or -1 if dropped */
    int *orig;           /* t: target index -> class/label */
    size_t *count;       /* t: samples in each target */
    size_t n_inst;       /* sum of count[] (= n for multiclass) */
    int dropped_empty;   /* classes/labels without a sample */
    int dropped_full;    /* multilabel labels positive everywhere (drop_full) */
} ckr_targets;

/* Targets (see above) of the labels of a task of the given kind with
 * num_classes classes / label columns; t borrows labels->y / labels->Y.
 * drop_full: also drop multilabel labels carried by every sample.
 * Validates multiclass labels (CKR_EDATA for one outside [0, num_classes)). */
int ckr_targets_init(ckr_task_kind kind, const ckr_labels *labels, int num_classes,
                     int drop_full, ckr_targets *t, ckr_err *err);
void ckr_targets_free(ckr_targets *t);

/* The same on a team (collective over comm, linalg/dist.h): labels holds
 * this rank's rows [row0, row0 + labels->n) of the pair. t->n, y and Y are
 * the local rows (so ckr_fs_target_sums / target_rows walk them); count,
 * n_inst, map, orig, t and the dropped counts are those of the whole pair
 * (counts summed over the team), identical on every rank. A label out of
 * range is reported with its pair-wide sample index (the first one in row
 * order), the same code and message on every rank. */
int ckr_targets_init_team(MPI_Comm comm, ckr_task_kind kind, const ckr_labels *labels,
                          size_t row0, int num_classes, int drop_full, ckr_targets *t,
                          ckr_err *err);

/* Column means of the N x D row-major F. */
void ckr_fs_colmean(const double *F, size_t N, size_t D, double *mu);

/* Largest |f_ij - mu_j| over the matrix (mu NULL: |f_ij|). */
double ckr_fs_maxabs(const double *F, size_t N, size_t D, const double *mu);

/* S (t x D): row r = sum over the samples of target r of scale*(f_i - mu)
 * (mu NULL: scale*f_i), by row accumulation. */
void ckr_fs_target_sums(const double *F, size_t D, const double *mu, double scale,
                        const ckr_targets *t, double *S);

/* Rows of target r as sample indices: idx gets count[r] entries. */
void ckr_fs_target_rows(const ckr_targets *t, int r, size_t *idx);

/* G (D x D, both triangles) = sum_i z_i z_i^T over the rows (see above).
 * sum4 (may be NULL) receives sum_i ||z_i||^4. */
int ckr_fs_gram(const double *F, size_t D, const size_t *idx, size_t m, const double *mu,
                double scale, int unit, double *G, double *sum4);

/* K (m x m, both triangles) = Z Z^T over the same rows. */
int ckr_fs_kernel(const double *F, size_t D, const size_t *idx, size_t m, const double *mu,
                  double scale, int unit, double *K);

/* 0.5 * log det(I + c * Z^T Z) for the rows (see above), through whichever of
 * the D x D Gram or the m x m kernel is smaller (Sylvester's identity) and a
 * Cholesky factor (SPD with eigenvalues >= 1 when c >= 0). */
int ckr_fs_coding_rate(const double *F, size_t D, const size_t *idx, size_t m,
                       const double *mu, int unit, double c, double *rate);

/* *rate = 0.5 * log det(I + c * A) for a k x k Gram or kernel A (both
 * triangles; overwritten), through a Cholesky factor: the tail of
 * ckr_fs_coding_rate, for a Gram summed over a team. CKR_ENUM when I + c A
 * is not finite or not SPD. */
int ckr_fs_rate_of_gram(double *A, size_t k, double c, double *rate);

#endif
