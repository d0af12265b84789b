/* linear.h -- the parameters of the `linear` probe (linear.c). */
#ifndef CKR_METHOD_LINEAR_H
#define CKR_METHOD_LINEAR_H

typedef struct ckr_linear_cfg {
    long epochs;       /* SGD epochs, >= 0; 0 = L-BFGS to convergence */
    double lr;         /* SGD learning rate, > 0 */
    long batch;        /* SGD mini-batch size, >= 1 */
    double momentum;   /* SGD momentum, in [0, 1) */
    double l2;         /* L2 penalty, >= 0 */
    double tol;        /* L-BFGS gradient tolerance, >= 0 */
    long maxiter;      /* L-BFGS iteration limit, in [1, INT_MAX] */
    int standardize;   /* CKR_SWITCH_ON ("1") or CKR_SWITCH_OFF ("0") */
} ckr_linear_cfg;

/* The linear probe on a team (linear_team.c; the contract of score_team in
 * methods/method.h). */
struct ckr_pair;
struct ckr_team;
struct ckr_params;
struct ckr_rng;
struct ckr_result;
int ckr_linear_score_team(const struct ckr_pair *local, const struct ckr_team *team,
                          const struct ckr_params *p, struct ckr_rng *rng,
                          struct ckr_result *res);

#endif
