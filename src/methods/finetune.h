/* finetune.h -- the parameters of the `finetune` baseline (finetune.c). */
#ifndef CKR_METHOD_FINETUNE_H
#define CKR_METHOD_FINETUNE_H

/* init, in the order of its choices "auto|scratch" */
enum { CKR_FINETUNE_INIT_AUTO, CKR_FINETUNE_INIT_SCRATCH };
/* decay, in the order of its choices "step|none" */
enum { CKR_FINETUNE_DECAY_STEP, CKR_FINETUNE_DECAY_NONE };

typedef struct ckr_finetune_cfg {
    long epochs;       /* >= 0; used when steps is 0, then >= 1 */
    long steps;        /* >= 0; > 0 overrides epochs */
    double lr;         /* > 0 */
    long batch;        /* >= 1 */
    double momentum;   /* in [0, 1) */
    long hidden;       /* >= 0; 0 = the checkpoint top layer's width, else 256 */
    int init;          /* CKR_FINETUNE_INIT_* */
    int decay;         /* CKR_FINETUNE_DECAY_* */
    double l2;         /* >= 0 */
    int standardize;   /* CKR_SWITCH_ON ("1") or CKR_SWITCH_OFF ("0") */
} ckr_finetune_cfg;

#endif
