/* gmm_resp.c -- sparse responsibilities of the Gaussian mixture: a CSR by
 * point (candidate components of each point, in increasing component order)
 * and its transpose by component (declarations in linalg/gmm_internal.h). */
#include <stdlib.h>
#include <string.h>

#include "linalg/gmm_internal.h"

void ckr_gmm_resp_free(ckr_gmm_resp *r)
{
    free(r->ptr);
    free(r->comp);
    free(r->val);
    free(r->cptr);
    free(r->cpos);
    free(r->crow);
    memset(r, 0, sizeof *r);
}

int ckr_gmm_resp_alloc(ckr_gmm_resp *r, size_t n, size_t k)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    r->k = k;
    r->cap = 2 * n + 16;
    r->ptr = malloc(sizeof(size_t) * (n + 1));
    r->comp = malloc(sizeof(uint32_t) * r->cap);
    r->val = malloc(sizeof(double) * r->cap);
    r->cptr = malloc(sizeof(size_t) * (k + 1));
    if (!r->ptr || !r->comp || !r->val || !r->cptr)
        return CKR_ENOMEM;
    r->ptr[0] = 0;
    return 0;
}

int ckr_gmm_resp_reserve(ckr_gmm_resp *r, size_t extra)
{
    if (r->nnz + extra <= r->cap)
        return 0;
    size_t cap = r->cap;
    while (cap < r->nnz + extra)
        cap *= 2;
    uint32_t *c = realloc(r->comp, sizeof(uint32_t) * cap);
    if (!c)
        return CKR_ENOMEM;
    r->comp = c;
    double *v = realloc(r->val, sizeof(double) * cap);
    if (!v)
        return CKR_ENOMEM;
    r->val = v;
    r->cap = cap;
    return 0;
}

/* Build the by-component transpose (entries in increasing point order). */
int ckr_gmm_resp_transpose(ckr_gmm_resp *r)
{
    free(r->cpos);
    free(r->crow);
    r->cpos = malloc(sizeof(size_t) * (r->nnz ? r->nnz : 1));
    r->crow = malloc(sizeof(uint32_t) * (r->nnz ? r->nnz : 1));
    if (!r->cpos || !r->crow)
        return CKR_ENOMEM;
    memset(r->cptr, 0, sizeof(size_t) * (r->k + 1));
    for (size_t p = 0; p < r->nnz; p++)
        r->cptr[r->comp[p] + 1]++;
    for (size_t j = 0; j < r->k; j++)
        r->cptr[j + 1] += r->cptr[j];
    size_t *fill = malloc(sizeof(size_t) * (r->k ? r->k : 1));
    if (!fill)
        return CKR_ENOMEM;
    memcpy(fill, r->cptr, sizeof(size_t) * r->k);
    for (size_t i = 0; i < r->n; i++)
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++) {
            size_t q = fill[r->comp[p]]++;
            r->cpos[q] = p;
            r->crow[q] = (uint32_t)i;
        }
    free(fill);
    return 0;
}

/* From dense responsibilities: keep every r > 0. */
int ckr_gmm_resp_from_dense(ckr_gmm_resp *r, const double *resp, size_t n, size_t k)
{
    int rc = ckr_gmm_resp_alloc(r, n, k);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = ckr_gmm_resp_reserve(r, k);
        for (size_t j = 0; rc == 0 && j < k; j++)
            if (resp[i * k + j] > 0.0) {
                r->comp[r->nnz] = (uint32_t)j;
                r->val[r->nnz++] = resp[i * k + j];
            }
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? ckr_gmm_resp_transpose(r) : rc;
}

int ckr_gmm_resp_from_labels(ckr_gmm_resp *r, const int *labels, size_t n, size_t k)
{
    int rc = ckr_gmm_resp_alloc(r, n, k);
    if (rc == 0)
        rc = ckr_gmm_resp_reserve(r, n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        r->comp[r->nnz] = (uint32_t)labels[i];
        r->val[r->nnz++] = 1.0;
        r->ptr[i + 1] = r->nnz;
    }
    return rc == 0 ? ckr_gmm_resp_transpose(r) : rc;
}

void ckr_gmm_resp_to_dense(const ckr_gmm_resp *r, double *out)
{
    memset(out, 0, sizeof(double) * r->n * r->k);
    for (size_t i = 0; i < r->n; i++)
        for (size_t p = r->ptr[i]; p < r->ptr[i + 1]; p++)
            out[i * r->k + r->comp[p]] = r->val[p];
}

/* Merge the point-sorted entries of x into r (both sorted by component
 * within a point) and rebuild the by-component index. */
int ckr_gmm_resp_merge(ckr_gmm_resp *r, const ckr_gmm_resp *x)
{
    size_t nnz = r->nnz + x->nnz;
    uint32_t *comp = malloc(sizeof(uint32_t) * (nnz ? nnz : 1));
    double *val = malloc(sizeof(double) * (nnz ? nnz : 1));
    if (!comp || !val) {
        free(comp);
        free(val);
        return CKR_ENOMEM;
    }
    size_t q = 0;
    for (size_t i = 0; i < r->n; i++) {
        size_t a = r->ptr[i], a1 = r->ptr[i + 1], b = x->ptr[i], b1 = x->ptr[i + 1];
        r->ptr[i] = q;
        while (a < a1 || b < b1) {
            if (b >= b1 || (a < a1 && r->comp[a] < x->comp[b])) {
                comp[q] = r->comp[a];
                val[q++] = r->val[a++];
            } else {
                comp[q] = x->comp[b];
                val[q++] = x->val[b++];
            }
        }
    }
    r->ptr[r->n] = q;
    free(r->comp);
    free(r->val);
    r->comp = comp;
    r->val = val;
    r->nnz = r->cap = nnz;
    return ckr_gmm_resp_transpose(r);
}
