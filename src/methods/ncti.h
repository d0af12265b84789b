/* ncti.h -- the parameters of the `ncti` score (ncti.c). */
#ifndef CKR_METHOD_NCTI_H
#define CKR_METHOD_NCTI_H

typedef struct ckr_ncti_cfg {
    long dims;  /* PCA dimensions, >= 2 (the reference's 64; min(N, D) when smaller) */
} ckr_ncti_cfg;

#endif
