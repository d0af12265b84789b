/* parc.h -- the parameters of the `parc` score (parc.c). */
#ifndef CKR_METHOD_PARC_H
#define CKR_METHOD_PARC_H

typedef struct ckr_parc_cfg {
    long dims;   /* PCA dimensions, >= 2 (clamped to min(N, D)); the reference's 32 */
    long max_n;  /* more samples than this: a seeded stratified subsample; 0 = never */
} ckr_parc_cfg;

#endif
