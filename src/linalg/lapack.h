/* lapack.h -- the Fortran LAPACK routines the wrappers in factor.c and
 * eigen.c call (private to src/linalg; callers use linalg/factor.h and
 * linalg/eigen.h).
 *
 * Column-major, arguments by reference.  A row-major symmetric matrix is the
 * same matrix read column-major, and a row-major "lower" triangle is a
 * column-major "upper" one: each wrapper says which uplo it passes. */
#ifndef CKR_LAPACK_H
#define CKR_LAPACK_H

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
                    const int *lda, double *w, double *work, const int *lwork,
                    int *iwork, const int *liwork, int *info);
extern void dsygvd_(const int *itype, const char *jobz, const char *uplo, const int *n,
                    double *a, const int *lda, double *b, const int *ldb, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info);
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt,
                    double *work, const int *lwork, int *iwork, int *info);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dtrtri_(const char *uplo, const char *diag, const int *n, double *a,
                    const int *lda, int *info);
extern void dlauum_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d,
                    double *e, double *tau, double *work, const int *lwork, int *info);
extern void dormtr_(const char *side, const char *uplo, const char *trans, const int *m,
                    const int *n, const double *a, const int *lda, const double *tau,
                    double *c, const int *ldc, double *work, const int *lwork, int *info);
extern void dsterf_(const int *n, double *d, double *e, int *info);
extern void dstedc_(const char *compz, const int *n, double *d, double *e, double *z,
                    const int *ldz, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info);
extern void dstemr_(const char *jobz, const char *range, const int *n, double *d, double *e,
                    const double *vl, const double *vu, const int *il, const int *iu, int *m,
                    double *w, double *z, const int *ldz, const int *nzc, int *isuppz,
                    int *tryrac, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

#endif
