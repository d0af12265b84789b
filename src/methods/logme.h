/* logme.h -- the parameters of the `logme` score (logme.c). */
#ifndef CKR_METHOD_LOGME_H
#define CKR_METHOD_LOGME_H

/* form: which log-determinant the evidence uses.
 *   CKR_LOGME_EXACT (default): the paper's exact evidence, -1/2 log|A| over all
 *     D eigenvalues of A = alpha I + beta F^T F (those the spectrum does not
 *     keep count as alpha).
 *   CKR_LOGME_THUML: thuml/LogME's code, which sums log(alpha + beta sigma_j)
 *     over the k eigenvalues its SVD keeps but keeps (D/2) log alpha; for
 *     parity with published numbers. Equal to the exact form when k = D.
 * exact_logdet is the older name of the choice: 0 selects the thuml form
 * (as form=thuml), 1 (the default) leaves `form` in charge. */
enum { CKR_LOGME_EXACT = 0, CKR_LOGME_THUML = 1 };

typedef struct ckr_logme_cfg {
    int form;           /* CKR_LOGME_EXACT or CKR_LOGME_THUML */
    long exact_logdet;  /* 0: the thuml form (old name of form=thuml); 0 or 1 */
    long iters;         /* maximum fixed-point passes per target, >= 1 */
    double tol;         /* stop when |t'-t|/t <= tol, >= 0 */
} ckr_logme_cfg;

#endif
