#include "train/mlp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/blas.h"
#include "util/flops.h"

int ckr_mlp_create(ckr_mlp *m, int L, const size_t *dim, size_t max_batch, ckr_err *err)
{
    memset(m, 0, sizeof *m);
    if (L < 1 || L > CKR_MLP_MAX_LAYERS || max_batch == 0)
        return ckr_err_set(err, CKR_EARG, "network needs 1..%d layers and a batch >= 1 "
                           "(have %d, %zu)", CKR_MLP_MAX_LAYERS, L, max_batch);
    m->L = L;
    m->max_batch = max_batch;
    size_t widest = 1;
    for (int l = 0; l <= L; l++) {
        if (dim[l] == 0)
            return ckr_err_set(err, CKR_EARG, "network layer width %d is 0", l);
        m->dim[l] = dim[l];
    }
    for (int l = 0; l < L; l++) {
        m->w_off[l] = m->nparams;
        m->b_off[l] = m->w_off[l] + dim[l] * dim[l + 1];
        m->nparams = m->b_off[l] + dim[l + 1];
        if (l > 0 && dim[l] > widest)
            widest = dim[l];
    }
    for (int l = 0; l < L; l++)
        if (!(m->act[l] = malloc(max_batch * dim[l + 1] * sizeof(double))))
            goto nomem;
    for (int s = 0; s < 2; s++)
        if (!(m->scratch[s] = malloc(max_batch * widest * sizeof(double))))
            goto nomem;
    return 0;
nomem:
    ckr_mlp_destroy(m);
    return ckr_err_set(err, CKR_ENOMEM, "out of memory for a network workspace");
}

void ckr_mlp_destroy(ckr_mlp *m)
{
    for (int l = 0; l < CKR_MLP_MAX_LAYERS; l++)
        free(m->act[l]);
    free(m->scratch[0]);
    free(m->scratch[1]);
    memset(m, 0, sizeof *m);
}

void ckr_mlp_init(const ckr_mlp *m, double *theta, ckr_rng *rng, int zero_last)
{
    for (int l = 0; l < m->L; l++) {
        size_t nw = m->dim[l] * m->dim[l + 1];
        double *W = theta + m->w_off[l];
        int last = l == m->L - 1;
        double sd = sqrt((last ? 1.0 : 2.0) / (double)m->dim[l]);
        for (size_t i = 0; i < nw; i++)
            W[i] = (last && zero_last) ? 0.0 : sd * ckr_rng_normal(rng);
        memset(theta + m->b_off[l], 0, m->dim[l + 1] * sizeof(double));
    }
}

const double *ckr_mlp_forward(ckr_mlp *m, const double *theta, const double *X, size_t B)
{
    const double *A = X;
    for (int l = 0; l < m->L; l++) {
        size_t in = m->dim[l], out = m->dim[l + 1];
        double *Z = m->act[l];
        const double *b = theta + m->b_off[l];
        for (size_t i = 0; i < B; i++)
            memcpy(Z + i * out, b, out * sizeof(double));
        ckr_dgemm(0, 0, B, out, in, 1.0, A, in, theta + m->w_off[l], out, 1.0, Z, out);
        ckr_flops_add((double)B * (double)out);
        if (l < m->L - 1) {
            for (size_t i = 0; i < B * out; i++)
                Z[i] = Z[i] > 0.0 ? Z[i] : 0.0;
            ckr_flops_add((double)B * (double)out);
        }
        A = Z;
    }
    return A;
}

static void add_colsum(const double *Z, size_t B, size_t n, double *g)
{
    for (size_t i = 0; i < B; i++)
        for (size_t j = 0; j < n; j++)
            g[j] += Z[i * n + j];
    ckr_flops_add((double)B * (double)n);
}

void ckr_mlp_backward(ckr_mlp *m, const double *theta, const double *X, size_t B,
                      double *dout, double *grad)
{
    double *dZ = dout;
    int s = 0;
    for (int l = m->L - 1; l >= 0; l--) {
        size_t in = m->dim[l], out = m->dim[l + 1];
        const double *A = l ? m->act[l - 1] : X;
        ckr_dgemm(1, 0, in, out, B, 1.0, A, in, dZ, out, 1.0, grad + m->w_off[l], out);
        add_colsum(dZ, B, out, grad + m->b_off[l]);
        if (l == 0)
            break;
        double *dA = m->scratch[s];
        s ^= 1;
        ckr_dgemm(0, 1, B, in, out, 1.0, dZ, out, theta + m->w_off[l], out, 0.0, dA, in);
        for (size_t i = 0; i < B * in; i++)
            if (!(A[i] > 0.0))
                dA[i] = 0.0;
        ckr_flops_add((double)B * (double)in);
        dZ = dA;
    }
}

double ckr_mlp_l2(const ckr_mlp *m, const double *theta, double lambda, double *grad)
{
    if (lambda == 0.0)
        return 0.0;
    double s = 0.0;
    for (int l = 0; l < m->L; l++) {
        size_t nw = m->dim[l] * m->dim[l + 1];
        const double *W = theta + m->w_off[l];
        for (size_t i = 0; i < nw; i++) {
            s += W[i] * W[i];
            if (grad)
                grad[m->w_off[l] + i] += lambda * W[i];
        }
        ckr_flops_add((grad ? 4.0 : 2.0) * (double)nw);
    }
    return 0.5 * lambda * s;
}
