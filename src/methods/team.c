/* team.c -- failure agreement and sums for the team scores (contract in
 * methods/team.h). */
#include "methods/team.h"

#include <stdio.h>
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
