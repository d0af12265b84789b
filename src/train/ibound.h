/* ibound.h -- the interpolated mutual-information lower bound I_alpha of
 * Poole et al. (ICML 2019), as the authors' colab (vbmi_demo) computes it.
 *
 * A batch of K >= 2 pairs (x_k, y_k); S[i][j] = f(x_j, y_i) (rows index y,
 * columns x), b[i] = log q(y_i) a log-baseline, 0 <= alpha <= 1:
 *   m[i][j] = log( 1/(K-1) sum_{l != j} exp S[i][l] )     leave-one-out InfoNCE
 *   a[i][j] = log( alpha exp(m[i][j]) + (1 - alpha) exp(b[i]) )
 *   E_marg  = 1/(K(K-1)) sum_{i != j} exp( S[i][j] - a[i][i] )
 *   E_joint = 1/(K(K-1)) sum_{i != j} ( S[i][i] - a[i][j] )
 *   I_alpha = 1 + E_joint - E_marg.
 * Everything is evaluated in log space (row maxima subtracted; the
 * leave-one-out sum that drops a row's maximum is summed directly, never
 * obtained by cancellation), so large scores do not overflow except where
 * the bound itself does (E_marg = +inf gives I = -inf).
 *
 * The gradient of I_alpha with respect to S and b is exact (derived by hand;
 * tests/test_mi.c checks it against finite differences).
 * FLOPs: 30 per score for the value, +12 for the gradient (transcendentals
 * counted as 1). */
#ifndef CKR_TRAIN_IBOUND_H
#define CKR_TRAIN_IBOUND_H

#include <stddef.h>

/* Doubles of workspace ckr_ibound needs for batch size K. */
size_t ckr_ibound_work_size(size_t K);

/* Value of I_alpha; when dS (K x K) and db (K) are not NULL they receive
 * dI/dS and dI/db. work holds ckr_ibound_work_size(K) doubles. */
double ckr_ibound(size_t K, const double *S, const double *b, double alpha, double *dS,
                  double *db, double *work);

#endif
