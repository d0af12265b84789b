/* dummy.h -- the parameters of the `dummy` test method (dummy.c). */
#ifndef CKR_METHOD_DUMMY_H
#define CKR_METHOD_DUMMY_H

typedef struct ckr_dummy_cfg {
    long ms;    /* milliseconds to wait per item, >= 0 */
    long fail;  /* 1: every item fails; 0 or 1 */
} ckr_dummy_cfg;

#endif
