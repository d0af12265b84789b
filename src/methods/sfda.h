/* sfda.h -- the parameters of the `sfda` score (sfda.c). */
#ifndef CKR_METHOD_SFDA_H
#define CKR_METHOD_SFDA_H

typedef struct ckr_sfda_cfg {
    double shrinkage;  /* <= 1; in [0, 1] fixed, < 0 adaptive: max(exp(-5 lambda_max(S_w)), 1e-10) */
    long power_iters;  /* power-iteration rounds for lambda_max(S_w), >= 1 (reference: 3) */
} ckr_sfda_cfg;

#endif
