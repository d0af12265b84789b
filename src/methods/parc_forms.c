/* parc_forms.c -- PARC's team and streamed forms (methods/parc_core.h).
 *
 * PARC's work is O(n^2) in the n scored samples (at most max_n + C, 10,000
 * by default) and needs all of them at once; the pair's size matters only
 * through reading its N x D features. Both forms therefore bring the n
 * scored rows (n x D) together and run the single-rank stages on them:
 *  - team: every rank gathers the training labels (N ints, or N x C bytes),
 *    draws the same sample (the same rng), and sends its selected rows to
 *    rank 0 (in row order), which computes PARC and broadcasts the result.
 *    The score is `score`'s bits at any team size; rank 0 holds n x D
 *    more than its own rows, plus PARC's O(n^2) memory.
 *  - streamed: the sample is drawn from the labels, then one pass over the
 *    row blocks copies the selected rows (every block is read, so the
 *    features are checked as a whole-pair read would). The same bits as
 *    `score` too. */
#include <stdlib.h>
#include <string.h>

#include "methods/pair_check.h"
#include "methods/parc_core.h"
#include "methods/stream.h"
#include "methods/team.h"

extern const ckr_method ckr_method_parc;

/* What rank 0 tells the team. */
typedef struct parc_verdict {
    double score;
    int rc;
    char status[sizeof ((ckr_result *)0)->status];
    char message[sizeof ((ckr_result *)0)->message];
    char info[sizeof ((ckr_result *)0)->info];
} parc_verdict;

static int parc_bcast_result(const ckr_team *t, int rc, ckr_result *res)
{
    parc_verdict v;
    memset(&v, 0, sizeof v);
    v.score = res->score;
    v.rc = rc;
    memcpy(v.status, res->status, sizeof v.status);
    memcpy(v.message, res->message, sizeof v.message);
    memcpy(v.info, res->info, sizeof v.info);
    if (MPI_Bcast(&v, (int)sizeof v, MPI_BYTE, 0, t->comm) != MPI_SUCCESS)
        return ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed on the team");
    res->score = v.score;
    memcpy(res->status, v.status, sizeof v.status);
    memcpy(res->message, v.message, sizeof v.message);
    memcpy(res->info, v.info, sizeof v.info);
    return v.rc;
}

/* The team's training labels on every rank: *lab is *local with train
 * holding all N rows' labels (free lab->train.y / Y). Collective, agreed. */
static int parc_gather_labels(const ckr_pair *local, const ckr_team *t, size_t N, ckr_pair *lab,
                              ckr_result *res)
{
    int ml = local->kind == CKR_MULTILABEL, P = t->size, rc = 0;
    size_t per = ml ? (size_t)(local->num_classes > 0 ? local->num_classes : 0) : 1;
    *lab = *local;
    lab->train.y = NULL;
    lab->train.Y = NULL;
    int *cnt = malloc(2 * (size_t)P * sizeof *cnt), *dsp = cnt ? cnt + P : NULL;
    void *all = malloc((N * per > 0 ? N * per : 1) * (ml ? 1 : sizeof(int)));
    if (!cnt || !all)
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory gathering %zu labels", N);
    else if (N * per > 2147483647)
        rc = ckr_result_fail(res, CKR_EARG, NULL, "%zu x %zu labels are too many to gather", N,
                             per);
    if ((rc = ckr_team_agree_result(t, rc, res)))
        goto fail;
    int mine = (int)(local->train_features.rows * per);
    if (MPI_Allgather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, t->comm) != MPI_SUCCESS)
        goto mpi;
    for (int k = 0, at = 0; k < P; k++) {
        dsp[k] = at;
        at += cnt[k];
    }
    int idummy = 0;
    if (ml) {
        const void *ls = local->train.Y ? (const void *)local->train.Y : (const void *)&idummy;
        if (MPI_Allgatherv(ls, mine, MPI_UINT8_T, all, cnt, dsp, MPI_UINT8_T, t->comm) !=
            MPI_SUCCESS)
            goto mpi;
        lab->train.Y = all;
    } else {
        const int *ls = local->train.y ? local->train.y : &idummy;
        if (MPI_Allgatherv(ls, mine, MPI_INT, all, cnt, dsp, MPI_INT, t->comm) != MPI_SUCCESS)
            goto mpi;
        lab->train.y = all;
    }
    lab->train.n = N;
    free(cnt);
    return 0;
mpi:
    rc = ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed gathering the labels on the team");
fail:
    free(cnt);
    free(all);
    return rc;
}

int ckr_parc_score_team(const ckr_pair *local, const ckr_team *team, const ckr_params *p,
                        ckr_rng *rng, ckr_result *res)
{
    if (team->size == 1)
        return ckr_method_parc.score(local, p, rng, res);
    ckr_err err = { 0, "" };
    size_t N = 0, D = 0, n = 0, dropped = 0;
    int rc = ckr_pair_check_features_team(local, team->comm, &N, &D, &err);
    if (rc)
        return ckr_result_fail(res, rc, NULL, "%s", err.msg);
    const ckr_parc_cfg *cfg = ckr_params_config(p);
    ckr_pair lab;
    if ((rc = parc_gather_labels(local, team, N, &lab, res)))
        return rc;
    ckr_targets tg;
    memset(&tg, 0, sizeof tg);
    size_t *sel = NULL, nl = local->train_features.rows, k = 0, t0 = 0;
    double *Xl = NULL, *X = NULL;
    int *cnt = NULL;
    MPI_Datatype row = MPI_DATATYPE_NULL;
    /* the same labels and rng everywhere: the same sample, or the same failure */
    rc = ckr_parc_prepare(&lab, cfg, rng, &tg, &sel, &n, &dropped, res);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    while (t0 < n && sel[t0] < team->row0)
        t0++;
    while (t0 + k < n && sel[t0 + k] < team->row0 + nl)
        k++;
    Xl = malloc((k ? k : 1) * D * sizeof *Xl);
    cnt = malloc(2 * (size_t)team->size * sizeof *cnt);
    if (team->rank == 0)
        X = malloc(n * D * sizeof *X);
    if (!Xl || !cnt || (team->rank == 0 && !X))
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (n=%zu D=%zu)", n, D);
    else if (n > 2147483647 || D > 2147483647)
        rc = ckr_result_fail(res, CKR_EARG, NULL, "%zu x %zu rows are too many to gather", n, D);
    if ((rc = ckr_team_agree_result(team, rc, res)))
        goto cleanup;
    for (size_t i = 0; i < k; i++)
        memcpy(Xl + i * D, local->train_features.data + (sel[t0 + i] - team->row0) * D,
               D * sizeof *Xl);
    int mine = (int)k, *dsp = cnt + team->size;
    if (MPI_Type_contiguous((int)D, MPI_DOUBLE, &row) != MPI_SUCCESS ||
        MPI_Type_commit(&row) != MPI_SUCCESS ||
        MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, team->comm) != MPI_SUCCESS)
        goto mpi;
    if (team->rank == 0)
        for (int r = 0, at = 0; r < team->size; r++) {
            dsp[r] = at;
            at += cnt[r];
        }
    if (MPI_Gatherv(Xl, mine, row, X, cnt, dsp, row, 0, team->comm) != MPI_SUCCESS)
        goto mpi;
    free(Xl);
    Xl = NULL;
    rc = 0;
    if (team->rank == 0)
        rc = ckr_parc_core(&lab, &tg, sel, n, dropped, N, X, D, cfg, res);
    if (!(rc = parc_bcast_result(team, rc, res)))
        ckr_team_info_suffix(team, res);
    goto cleanup;
mpi:
    rc = ckr_result_fail(res, CKR_EMPI, NULL, "MPI failed gathering the sample on the team");
cleanup:
    if (row != MPI_DATATYPE_NULL)
        MPI_Type_free(&row);
    free(Xl);
    free(X);
    free(cnt);
    free(sel);
    ckr_targets_free(&tg);
    free(lab.train.y);
    free(lab.train.Y);
    return rc;
}

int ckr_parc_score_stream(const ckr_pair *meta, ckr_rowsrc *rows, const ckr_params *p,
                          ckr_rng *rng, ckr_result *res)
{
    int rc = ckr_stream_check(meta, rows, res);
    if (rc)
        return rc;
    const ckr_parc_cfg *cfg = ckr_params_config(p);
    size_t N = rows->n, D = rows->d, b = rows->block < N ? rows->block : N, n = 0, dropped = 0;
    ckr_targets tg;
    size_t *sel;
    if ((rc = ckr_parc_prepare(meta, cfg, rng, &tg, &sel, &n, &dropped, res)))
        return rc;
    double *X = malloc(n * D * sizeof *X), *buf = malloc(b * D * sizeof *buf);
    if (!X || !buf) {
        rc = ckr_result_fail(res, CKR_ENOMEM, NULL, "out of memory (n=%zu D=%zu)", n, D);
        goto cleanup;
    }
    size_t t = 0;
    for (size_t r0 = 0; r0 < N; r0 += b) {
        size_t nb = N - r0 < b ? N - r0 : b;
        ckr_err err = { 0, "" };
        if ((rc = rows->read(rows->ctx, r0, nb, buf, &err))) {
            rc = ckr_result_fail(res, rc, NULL, "%s", err.msg);
            goto cleanup;
        }
        for (; t < n && sel[t] < r0 + nb; t++)
            memcpy(X + t * D, buf + (sel[t] - r0) * D, D * sizeof *X);
    }
    rc = ckr_parc_core(meta, &tg, sel, n, dropped, N, X, D, cfg, res);
cleanup:
    free(X);
    free(buf);
    free(sel);
    ckr_targets_free(&tg);
    return rc;
}
