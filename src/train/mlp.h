/* mlp.h -- a stack of dense layers with ReLU between them, forward and backward.
 *
 * Layer l (0 <= l < L) maps dim[l] -> dim[l+1]: Z = A W_l + b_l with W_l a
 * dim[l] x dim[l+1] row-major matrix; every layer but the last is followed
 * by ReLU, the last is linear (logits / embeddings).  L = 1 is a linear model.
 *
 * The parameters live outside the struct, in one flat vector theta of
 * nparams doubles: layer by layer, W_l (row-major) then b_l.  The struct only
 * holds the shape and the per-batch workspace (activations for up to
 * max_batch rows), so the same network can be evaluated at any theta (line
 * searches, finite differences).
 *
 * FLOPs: the products go through ckr_dgemm (counted there); bias adds,
 * bias-gradient sums and ReLU / ReLU-mask passes count 1 FLOP per element. */
#ifndef CKR_TRAIN_MLP_H
#define CKR_TRAIN_MLP_H

#include <stddef.h>

#include "util/err.h"
#include "util/rng.h"

#define CKR_MLP_MAX_LAYERS 6

typedef struct ckr_mlp {
    int L;
    size_t dim[CKR_MLP_MAX_LAYERS + 1];
    size_t w_off[CKR_MLP_MAX_LAYERS], b_off[CKR_MLP_MAX_LAYERS];
    size_t nparams;
    size_t max_batch;
    double *act[CKR_MLP_MAX_LAYERS];   /* max_batch x dim[l+1]: layer outputs */
    double *scratch[2];                /* max_batch x max hidden width */
} ckr_mlp;

/* Shape and workspace. dim has L + 1 entries, all >= 1; 1 <= L <= MAX. */
int ckr_mlp_create(ckr_mlp *m, int L, const size_t *dim, size_t max_batch, ckr_err *err);
void ckr_mlp_destroy(ckr_mlp *m);

/* Initialise theta: weights of hidden (ReLU) layers ~ N(0, 2 / fan_in) (He),
 * of the last layer ~ N(0, 1 / fan_in) or exactly 0 when zero_last; biases 0. */
void ckr_mlp_init(const ckr_mlp *m, double *theta, ckr_rng *rng, int zero_last);

/* Forward pass of B <= max_batch rows X (B x dim[0]); returns the output
 * (B x dim[L], inside the workspace, valid until the next forward). */
const double *ckr_mlp_forward(ckr_mlp *m, const double *theta, const double *X, size_t B);

/* Backward pass after ckr_mlp_forward on the same theta and X: given dout =
 * dLoss/dOutput (B x dim[L], used as scratch and destroyed), ADD dLoss/dtheta
 * into grad (nparams).  No gradient with respect to X is formed. */
void ckr_mlp_backward(ckr_mlp *m, const double *theta, const double *X, size_t B,
                      double *dout, double *grad);

/* (lambda / 2) * sum of squared weights (biases excluded); when grad is not
 * NULL adds lambda * W to its weight entries. */
double ckr_mlp_l2(const ckr_mlp *m, const double *theta, double lambda, double *grad);

#endif
