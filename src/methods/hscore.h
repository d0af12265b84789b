/* hscore.h -- the parameters of the `hscore` and `hscore_shrink` scores
 * (hscore.c). */
#ifndef CKR_METHOD_HSCORE_H
#define CKR_METHOD_HSCORE_H

typedef struct ckr_hscore_cfg {
    double rcond;  /* pinv cut-off relative to the largest eigenvalue, >= 0 */
} ckr_hscore_cfg;

#endif
