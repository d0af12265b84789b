/* mi.h -- the parameters of the `mi` estimate (mi.c). */
#ifndef CKR_METHOD_MI_H
#define CKR_METHOD_MI_H

typedef struct ckr_mi_cfg {
    double alpha;        /* interpolation of the bound, in [0, 1] */
    double pca;          /* >= 0: 0 = raw features; < 1 variance fraction; >= 1 components */
    long steps;          /* at most this many Adam steps, >= 0 */
    long batch;          /* pairs per batch K, >= 2 */
    double lr;           /* Adam learning rate, > 0 */
    long hidden;         /* width of the critic's hidden layers, >= 1 */
    long layers;         /* hidden ReLU layers per tower, in [0, 4] */
    long embed;          /* critic embedding dimension, >= 1 */
    long eval_batches;   /* evaluation batches, >= 1 */
    int standardize;     /* CKR_SWITCH_ON ("1") or CKR_SWITCH_OFF ("0") */
    long patience;       /* early-stopping checks without improvement, in [0, INT_MAX]; 0 = off */
    long check_every;    /* steps between early-stopping checks, >= 1 */
} ckr_mi_cfg;

#endif
