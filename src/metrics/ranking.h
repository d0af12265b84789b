/* ranking.h -- ranking-quality metrics of a score vector against ground truth.
 *
 * All functions take M >= 0 checkpoints: s[m] the method's score (higher =
 * predicted better), g[m] the ground-truth accuracy. They return NaN where the
 * metric is undefined (M < 2 for correlations, a constant vector, ...).
 * Definitions (and the scipy functions they agree with):
 *   recall@k  1 if a checkpoint with the maximal g is among the k highest s
 *             (score ties broken by lowest index), else 0.
 *   rel@k     max g over the k highest s, divided by max g.
 *   pearson   scipy.stats.pearsonr(s, g).statistic
 *   kendall   scipy.stats.kendalltau(s, g) (tau-b, ties handled)
 *   weighted_kendall  scipy.stats.weightedtau(s, g) defaults (hyperbolic
 *             weigher 1/(r+1), additive, rank=True: mean of both directions).
 * Edge cases: recall/rel are NaN when m = 0 or k = 0, rel is NaN when max g
 * <= 0, k > m uses all m. The taus run in O(m log m) (Knight's merge sort);
 * the _naive O(m^2) versions are the reference the fast ones are tested
 * against (and the fallback when memory is short). */
#ifndef CKR_RANKING_H
#define CKR_RANKING_H

#include <stddef.h>

double ckr_recall_at_k(const double *s, const double *g, size_t m, size_t k);
double ckr_rel_at_k(const double *s, const double *g, size_t m, size_t k);
double ckr_pearson(const double *s, const double *g, size_t m);
double ckr_kendall_tau_b(const double *s, const double *g, size_t m);
double ckr_weighted_tau(const double *s, const double *g, size_t m);
double ckr_kendall_tau_b_naive(const double *s, const double *g, size_t m);
double ckr_weighted_tau_naive(const double *s, const double *g, size_t m);

#endif
