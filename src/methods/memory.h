/* memory.h -- how many bytes each method allocates for one pair beyond the
 * pair's own data (the `memory` hook of ckr_method, methods/method.h; the
 * README's table "Bounded memory"), and the streamed forms that live
 * outside their method's file: NLEEP's (nleep_stream.c) and those of the
 * scores that need no features (LEEP, NCE: the pair read without them).
 *
 * Notation: N training rows, D features, C classes (targets), Z source
 * classes, K mixture components, b the rows of a streamed block, n =
 * min(N, D). Each estimate is the largest simultaneous allocation of the
 * method's code (buffers, LAPACK workspaces) rounded up, an upper bound
 * checked against the peak RSS of runs (README, "Bounded memory"); `block`
 * 0 is the whole-pair form, > 0 the streamed form with that block, and a
 * negative result says there is no streamed form. */
#ifndef CKR_METHODS_MEMORY_H
#define CKR_METHODS_MEMORY_H

#include <stddef.h>

#include "methods/method.h"

double ckr_memory_logme(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_hscore(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_leep(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_nce(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_nleep(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_transrate(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_gbc(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_trained(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_mi(const ckr_pair_shape *s, const ckr_params *p, size_t block);
double ckr_memory_none(const ckr_pair_shape *s, const ckr_params *p, size_t block);

/* NLEEP's mixture on N x d reduced rows with K components (cov: the
 * CKR_NLEEP_COV_* of its config), the reduced rows included; caches 0: with
 * the E-step's caches off (ckr_gmm_set_limits(0, 0)). */
double ckr_nleep_gmm_bytes(double N, double d, double K, int cov, int caches);
/* score_stream of NLEEP (nleep_stream.c). */
int ckr_nleep_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                           ckr_rng *rng, ckr_result *res);

/* score_stream of LEEP and NCE: their `score` on the feature-less pair. */
int ckr_leep_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res);
int ckr_nce_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                         ckr_rng *rng, ckr_result *res);

#endif
