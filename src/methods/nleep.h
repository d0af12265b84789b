/* nleep.h -- the parameters of the `nleep` score (nleep.c). */
#ifndef CKR_METHOD_NLEEP_H
#define CKR_METHOD_NLEEP_H

/* cov, in the order of its choices "full|diag" */
enum { CKR_NLEEP_COV_FULL, CKR_NLEEP_COV_DIAG };
/* precision, in the order of its choices "double|mixed" */
enum { CKR_NLEEP_PREC_DOUBLE, CKR_NLEEP_PREC_MIXED };

typedef struct ckr_nleep_cfg {
    double pca;          /* >= 0: 0 = no PCA; < 1 variance fraction; >= 1 components */
    long ratio;          /* Gaussian components per class, in [1, 1000000] */
    int cov;             /* CKR_NLEEP_COV_* */
    double reg;          /* added to every covariance diagonal, >= 0 */
    long iters;          /* maximum EM iterations, in [1, 1000000] */
    double tol;          /* EM tolerance, >= 0 */
    long kmeans_iters;   /* maximum Lloyd iterations, in [1, 1000000] */
    int precision;       /* CKR_NLEEP_PREC_*: the dense E-step GEMM in double or float32 */
} ckr_nleep_cfg;

/* NLEEP on a team (nleep_team.c; the contract of score_team in
 * methods/method.h). */
struct ckr_pair;
struct ckr_team;
struct ckr_params;
struct ckr_rng;
struct ckr_result;
int ckr_nleep_score_team(const struct ckr_pair *local, const struct ckr_team *team,
                         const struct ckr_params *p, struct ckr_rng *rng,
                         struct ckr_result *res);

#endif
