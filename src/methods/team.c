/* team.c -- failure agreement and sums for the team scores (contract in
 * methods/team.h). */
#include "methods/team.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/dist.h"

/* What one rank's failure tells the others. */
typedef struct team_verdict {
    double score;
    int rc;
    char status[sizeof ((ckr_result *)0)->status];
    char message[sizeof ((ckr_result *)0)->message];
    char info[sizeof ((ckr_result *)0)->info];
} team_verdict;

int ckr_team_agree_result(const ckr_team *t, int rc, ckr_result *res)
{
    int cand = rc ? t->rank : t->size, root = t->size;
    if (MPI_Allreduce(&cand, &root, 1, MPI_INT, MPI_MIN, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    if (root == t->size)
        return 0;
    team_verdict v;
    memset(&v, 0, sizeof v);
    if (t->rank == root) {
        v.score = res->score;
        v.rc = rc;
        memcpy(v.status, res->status, sizeof v.status);
        memcpy(v.message, res->message, sizeof v.message);
        memcpy(v.info, res->info, sizeof v.info);
    }
    if (MPI_Bcast(&v, (int)sizeof v, MPI_BYTE, root, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    res->score = v.score;
    memcpy(res->status, v.status, sizeof v.status);
    memcpy(res->message, v.message, sizeof v.message);
    memcpy(res->info, v.info, sizeof v.info);
    return v.rc;
}

int ckr_team_sum(const ckr_team *t, double *buf, size_t n, const char *what, ckr_result *res)
{
    int rc = ckr_dist_sum(t->comm, buf, n); /* agreed inside */
    if (rc)
        ckr_result_fail(res, rc, NULL, "summing the %s over the team failed", what);
    return rc;
}

void ckr_team_info_suffix(const ckr_team *t, ckr_result *res)
{
    size_t used = strnlen(res->info, sizeof res->info);
    if (used + 1 < sizeof res->info)
        snprintf(res->info + used, sizeof res->info - used, " team=%d", t->size);
}

int ckr_team_gather_pair(const ckr_pair *local, const ckr_team *t, size_t N, size_t D,
                         ckr_pair *whole, ckr_result *res)
{
    *whole = *local;
    whole->train_features.data = NULL;
    whole->train.y = NULL;
    whole->train.Y = NULL;
    int ml = local->kind == CKR_MULTILABEL, P = t->size, rc = 0;
    size_t C = (size_t)(local->num_classes > 0 ? local->num_classes : 0);
    unsigned long long mine = local->train_features.rows;
    unsigned long long *rows = malloc((size_t)P * sizeof *rows);
    int *cnt = malloc(4 * (size_t)P * sizeof *cnt);
    double *F = malloc((N && D ? N * D : 1) * sizeof *F);
    int *y = ml ? NULL : malloc((N ? N : 1) * sizeof *y);
    uint8_t *Y = ml ? malloc((N && C ? N * C : 1)) : NULL;
    if (!rows || !cnt || !F || (ml ? !Y : !y))
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory gathering %zu x %zu rows", N, D);
    else if (N * D > 2147483647 || N * C > 2147483647)
        rc = ckr_result_fail(res, CKR_EARG, NULL, "%zu x %zu rows are too many to gather", N, D);
    if ((rc = ckr_team_agree_result(t, rc, res)))
        goto fail;
    if (MPI_Allgather(&mine, 1, MPI_UNSIGNED_LONG_LONG, rows, 1, MPI_UNSIGNED_LONG_LONG,
                      t->comm) != MPI_SUCCESS)
        goto mpi;
    int *fc = cnt, *fd = cnt + P, *lc = cnt + 2 * P, *ld = cnt + 3 * P;
    size_t at = 0, per = ml ? C : 1;
    for (int k = 0; k < P; k++) {
        fc[k] = (int)(rows[k] * D);
        fd[k] = (int)(at * D);
        lc[k] = (int)(rows[k] * per);
        ld[k] = (int)(at * per);
        at += (size_t)rows[k];
    }
    double dummy = 0.0;
    const double *fsend = local->train_features.data ? local->train_features.data : &dummy;
    if (MPI_Allgatherv(fsend, (int)(mine * D), MPI_DOUBLE, F, fc, fd, MPI_DOUBLE, t->comm) !=
        MPI_SUCCESS)
        goto mpi;
    int idummy = 0;
    if (ml) {
        const void *ls = local->train.Y ? (const void *)local->train.Y : (const void *)&idummy;
        if (MPI_Allgatherv(ls, (int)(mine * C), MPI_UINT8_T, Y, lc, ld, MPI_UINT8_T, t->comm) !=
            MPI_SUCCESS)
            goto mpi;
    } else {
        const int *ls = local->train.y ? local->train.y : &idummy;
        if (MPI_Allgatherv(ls, (int)mine, MPI_INT, y, lc, ld, MPI_INT, t->comm) != MPI_SUCCESS)
            goto mpi;
    }
    free(rows);
    free(cnt);
    whole->train_features = (ckr_matrix){ N, D, F };
    whole->train.n = N;
    whole->train.y = y;
    whole->train.Y = Y;
    return 0;
mpi:
    rc = ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed gathering the pair on the team");
fail:
    free(rows);
    free(cnt);
    free(F);
    free(y);
    free(Y);
    return rc;
}

void ckr_team_gathered_free(ckr_pair *whole)
{
    free(whole->train_features.data);
    free(whole->train.y);
    free(whole->train.Y);
    whole->train_features.data = NULL;
    whole->train.y = NULL;
    whole->train.Y = NULL;
}
