/* parc_core.h -- the stages of PARC (parc.c) its three forms share: the
 * whole-pair `score` (parc.c), the team and the streamed forms
 * (parc_forms.c). Internal to src/methods. */
#ifndef CKR_METHODS_PARC_CORE_H
#define CKR_METHODS_PARC_CORE_H

#include "linalg/featstats.h"
#include "methods/method.h"
#include "methods/parc.h"

/* Before the features: the targets tg of the labels of lab (multiclass;
 * zeroed for multilabel) and the scored samples *sel (lab->train.n entries
 * allocated, *n used, ascending), drawn with rng when there are more than
 * cfg->max_n; *dropped multilabel rows with a constant label row. Only the
 * labels, kind and num_classes of lab are read. Returns 0, or a code with
 * res failed (then nothing to free); on success free *sel and tg. */
int ckr_parc_prepare(const ckr_pair *lab, const ckr_parc_cfg *cfg, ckr_rng *rng,
                     ckr_targets *tg, size_t **sel, size_t *n, size_t *dropped,
                     ckr_result *res);

/* PARC on the n selected samples Xs (n x D; row t is sample sel[t] of the N
 * whose labels lab holds) with ckr_parc_prepare's tg, sel and dropped.
 * Fills res (ok, or failed) and returns its code. */
int ckr_parc_core(const ckr_pair *lab, const ckr_targets *tg, const size_t *sel, size_t n,
                  size_t dropped, size_t N, const double *Xs, size_t D,
                  const ckr_parc_cfg *cfg, ckr_result *res);

/* parc_forms.c: score_team and score_stream of the method (methods/method.h). */
int ckr_parc_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                        ckr_rng *rng, ckr_result *res);
int ckr_parc_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res);

#endif
