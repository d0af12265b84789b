#include "methods/leep_core.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/flops.h"

void ckr_softmax_rows(const double *logits, size_t n, size_t z, double *out)
{
    for (size_t i = 0; i < n; i++) {
        const double *l = logits + i * z;
        double *o = out + i * z;
        double mx = -INFINITY;
        for (size_t j = 0; j < z; j++)
            if (l[j] > mx)
                mx = l[j];
        double sum = 0.0;
        for (size_t j = 0; j < z; j++) {
            o[j] = exp(l[j] - mx);
            sum += o[j];
        }
        for (size_t j = 0; j < z; j++)
            o[j] /= sum;
    }
    ckr_flops_add(4.0 * (double)n * (double)z);
}

/* Calls fn(ctx, i, c) for every instance (sample i, class c). */
static size_t for_each_instance(ckr_task_kind kind, const ckr_labels *lab, int C,
                                void (*fn)(void *, size_t, int), void *ctx)
{
    size_t count = 0;
    for (size_t i = 0; i < lab->n; i++) {
        if (kind == CKR_MULTICLASS) {
            if (fn)
                fn(ctx, i, lab->y[i]);
            count++;
        } else {
            for (int c = 0; c < C; c++)
                if (lab->Y[i * (size_t)C + (size_t)c]) {
                    if (fn)
                        fn(ctx, i, c);
                    count++;
                }
        }
    }
    return count;
}

typedef struct leep_ctx {
    const double *theta;
    size_t z;
    double *joint;    /* C x z */
    double log_sum;
    size_t clamped;
} leep_ctx;

static void add_joint(void *p, size_t i, int c)
{
    leep_ctx *x = p;
    const double *t = x->theta + i * x->z;
    double *row = x->joint + (size_t)c * x->z;
    for (size_t j = 0; j < x->z; j++)
        row[j] += t[j];
}

static void add_log_eep(void *p, size_t i, int c)
{
    leep_ctx *x = p;
    const double *t = x->theta + i * x->z;
    const double *cond = x->joint + (size_t)c * x->z;  /* P(c|z) by now */
    double eep = 0.0;
    for (size_t j = 0; j < x->z; j++)
        eep += cond[j] * t[j];
    if (!(eep >= DBL_MIN)) {
        eep = DBL_MIN;
        x->clamped++;
    }
    x->log_sum += log(eep);
}

int ckr_leep_from_probs(const double *theta, size_t n, size_t z, ckr_task_kind kind,
                        const ckr_labels *labels, int num_classes, double *score,
                        size_t *n_clamped, ckr_err *err)
{
    if (labels->n != n)
        return ckr_err_set(err, CKR_EDATA, "LEEP: %zu probability rows but %zu labels",
                           n, labels->n);
    size_t n_inst = for_each_instance(kind, labels, num_classes, NULL, NULL);
    if (n_inst == 0)
        return ckr_err_set(err, CKR_EDATA, "LEEP: no labelled instances");
    size_t C = (size_t)num_classes;
    leep_ctx x = { theta, z, calloc(C * z, sizeof(double)), 0.0, 0 };
    double *pz = calloc(z, sizeof(double));
    if (!x.joint || !pz) {
        free(x.joint);
        free(pz);
        return ckr_err_set(err, CKR_ENOMEM, "LEEP: out of memory for a %zu x %zu table", C, z);
    }
    /* joint (unnormalised: the 1/I cancels in P(c|z)) */
    for_each_instance(kind, labels, num_classes, add_joint, &x);
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < z; j++)
            pz[j] += x.joint[c * z + j];
    for (size_t c = 0; c < C; c++)
        for (size_t j = 0; j < z; j++)
            x.joint[c * z + j] = pz[j] > 0.0 ? x.joint[c * z + j] / pz[j] : 0.0;
    for_each_instance(kind, labels, num_classes, add_log_eep, &x);
    ckr_flops_add(4.0 * (double)n_inst * (double)z + 2.0 * (double)C * (double)z);
    *score = x.log_sum / (double)n_inst;
    if (n_clamped)
        *n_clamped = x.clamped;
    free(x.joint);
    free(pz);
    return 0;
}
