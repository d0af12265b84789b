/* gbc.h -- the parameters of the `gbc` score (gbc.c). */
#ifndef CKR_METHOD_GBC_H
#define CKR_METHOD_GBC_H

/* cov, in the order of its choices "spherical|diag" */
enum { CKR_GBC_COV_SPHERICAL, CKR_GBC_COV_DIAG };
/* logdet, in the order of its choices "exact|google" */
enum { CKR_GBC_LOGDET_EXACT, CKR_GBC_LOGDET_GOOGLE };

typedef struct ckr_gbc_cfg {
    long pca;      /* PCA dimensions, >= 0; 0 = the raw features */
    int cov;       /* CKR_GBC_COV_* */
    int logdet;    /* CKR_GBC_LOGDET_* */
    double floor;  /* variance floor, > 0 */
} ckr_gbc_cfg;

#endif
