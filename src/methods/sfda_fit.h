/* sfda_fit.h -- the passes of SFDA's regularised LDA (sfda.c has the
 * algorithm) over rows held in memory, held by a team, or streamed
 * (internal to src/methods).
 *
 * One engine for the three forms of `sfda`: a fit is two passes over the
 * rows (class and column sums; the within-class and total scatters by
 * dsyrk per block of rows), the eigenproblem, then a prediction pass. On a
 * team every rank walks its own rows and the sums are added over the team
 * in rank order (ckr_team_sum); the eigenproblem runs on rank 0, which
 * broadcasts the classifier. With the rows in memory in one block and no
 * team, the arithmetic is the single-rank code's, bit for bit. */
#ifndef CKR_METHODS_SFDA_FIT_H
#define CKR_METHODS_SFDA_FIT_H

#include "methods/method.h"

/* Where the rows come from. Exactly one of X and rows is set. */
typedef struct sfda_src {
    size_t n;               /* rows this rank walks */
    size_t N;               /* rows of the whole pair */
    size_t D, C;
    size_t block;           /* rows per step of a pass (>= 1) */
    const double *X;        /* n x D in memory, or NULL */
    ckr_rowsrc *rows;       /* streamed rows (n == rows->n), or NULL */
    const int *cls;         /* n: class index of each row */
    const size_t *count;    /* C: rows per class over the whole pair */
    /* ConfMix on the fly (NULL: the rows as they are): row i becomes
     * q[i] x_i + (1 - q[i]) outer[cls[i]] */
    const double *q, *outer;
    const ckr_team *team;   /* NULL: one rank */
} sfda_src;

/* Buffers of the engine (sfda_work_alloc / sfda_work_free). */
typedef struct sfda_work {
    size_t D, C, b;
    double *sums;            /* C x D class sums (-> means), then D column sums (-> mu) */
    double *means, *mu;      /* views into sums */
    double *W;               /* b x D centred rows */
    double *buf, *mix;       /* b x D: a read block, a mixed block (NULL when not needed) */
    double *Sw, *A;          /* D x D */
    double *w, *vec;         /* D eigenvalues; 3 D power-iteration vectors */
    double *T1, *coef, *ic;  /* C x D, C x D, C */
    double *prob;            /* b x C */
} sfda_work;

/* Allocate the buffers for blocks of b rows; stream: 1 for a read buffer,
 * mix: 1 for a mixing buffer. 0 or CKR_ENOMEM. */
int sfda_work_alloc(sfda_work *wk, size_t D, size_t C, size_t b, int stream, int mix);
void sfda_work_free(sfda_work *wk);

/* Fit the regularised LDA on the rows of src: wk->means, wk->coef and
 * wk->ic (the same on every rank of a team). *shrink < 0: choose it
 * adaptively and return it there; *lambda gets the power estimate (NaN
 * when not computed). Returns 0, or a code with res failed ("bad-data",
 * "numerical-error", out of memory, a read failure), agreed on a team. */
int sfda_fit(const sfda_src *src, sfda_work *wk, long power_iters, double *shrink,
             double *lambda, ckr_result *res);

/* Prediction pass: p(c | x_i) by blocks. q (may be NULL) gets, per row, the
 * softened probability of the row's class (ConfMix's weight); *ysum (may
 * be NULL) the sum over this rank's rows of p(y_i | x_i) in row order (not
 * summed over the team). Returns 0, or a read failure with res failed. */
int sfda_predict(const sfda_src *src, sfda_work *wk, double *q, double *ysum, ckr_result *res);

#endif
