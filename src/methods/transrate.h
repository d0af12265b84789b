/* transrate.h -- the parameters of the `transrate` score (transrate.c). */
#ifndef CKR_METHOD_TRANSRATE_H
#define CKR_METHOD_TRANSRATE_H

/* variant, in the order of its choices "canonical|tllib" */
enum { CKR_TRANSRATE_CANONICAL, CKR_TRANSRATE_TLLIB };

typedef struct ckr_transrate_cfg {
    int variant;  /* CKR_TRANSRATE_* */
    double eps2;  /* epsilon^2 of the coding rate, > 0 */
} ckr_transrate_cfg;

#endif
