/* etran.h -- the parameters of the `etran` score (etran.c). */
#ifndef CKR_METHOD_ETRAN_H
#define CKR_METHOD_ETRAN_H

enum { CKR_ETRAN_INTENDED = 0, CKR_ETRAN_RELEASED = 1 };

typedef struct ckr_etran_cfg {
    int form;  /* CKR_ETRAN_INTENDED (default) or CKR_ETRAN_RELEASED */
} ckr_etran_cfg;

#endif
