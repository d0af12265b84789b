/* logme.h -- the parameters of the `logme` score (logme.c). */
#ifndef CKR_METHOD_LOGME_H
#define CKR_METHOD_LOGME_H

typedef struct ckr_logme_cfg {
    long exact_logdet;  /* 1: exact log-determinant; 0 or 1 */
    long iters;         /* maximum fixed-point passes per target, >= 1 */
    double tol;         /* stop when |t'-t|/t <= tol, >= 0 */
} ckr_logme_cfg;

#endif
