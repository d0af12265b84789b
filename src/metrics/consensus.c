/* consensus.c -- per-method ranks, the consensus and the agreement matrix
 * (see consensus.h).
 *
 * The rows are put in a dense cube score[task][method][checkpoint] (NaN when
 * the row is missing or not ok); tasks and checkpoints are numbered in
 * strcmp order of their names, methods in order of first appearance, so the
 * result does not depend on the order of the input rows beyond that. */
#include "metrics/consensus.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/ranking.h"

#define NAME_LEN 256

/* ---- ranks ------------------------------------------------------------------ */

typedef struct sidx {
    double v;
    size_t i;
} sidx;

static int cmp_desc(const void *pa, const void *pb)
{
    const sidx *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v > b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

int ckr_rank_desc(const double *s, size_t n, double *rank)
{
    if (n == 0)
        return 0;
    sidx *t = malloc(n * sizeof *t);
    if (!t)
        return CKR_ENOMEM;
    for (size_t i = 0; i < n; i++)
        t[i] = (sidx){ s[i], i };
    qsort(t, n, sizeof *t, cmp_desc);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && t[j].v == t[i].v)
            j++;
        /* positions i+1 .. j share their mean */
        double avg = 0.5 * ((double)(i + 1) + (double)j);
        for (size_t q = i; q < j; q++)
            rank[t[q].i] = avg;
        i = j;
    }
    free(t);
    return 0;
}

/* ---- name tables ------------------------------------------------------------- */

typedef struct nref {
    const char *name;
    size_t first;   /* first input index */
    size_t id;
} nref;

static int cmp_nref_name(const void *pa, const void *pb)
{
    const nref *a = pa, *b = pb;
    int c = strncmp(a->name, b->name, NAME_LEN);
    return c ? c : (a->first > b->first) - (a->first < b->first);
}

static int cmp_nref_first(const void *pa, const void *pb)
{
    const nref *a = pa, *b = pb;
    return (a->first > b->first) - (a->first < b->first);
}

/* Unique names of field `off` of the rows in u (sorted by name, *nu of them);
 * ids by name order, or by first appearance when by_first. */
static nref *unique_names(const ckr_score_row *rows, size_t n, size_t off, int by_first, size_t *nu)
{
    nref *u = malloc((n + 1) * sizeof *u);
    if (!u)
        return NULL;
    for (size_t i = 0; i < n; i++)
        u[i] = (nref){ (const char *)&rows[i] + off, i, 0 };
    qsort(u, n, sizeof *u, cmp_nref_name);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || strncmp(u[m - 1].name, u[i].name, NAME_LEN) != 0)
            u[m++] = u[i];
    for (size_t i = 0; i < m; i++)
        u[i].id = i;
    if (by_first) {
        qsort(u, m, sizeof *u, cmp_nref_first);
        for (size_t i = 0; i < m; i++)
            u[i].id = i;
        qsort(u, m, sizeof *u, cmp_nref_name);
    }
    *nu = m;
    return u;
}

static size_t find_id(const nref *u, size_t nu, const char *name)
{
    size_t lo = 0, hi = nu;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(u[mid].name, name, NAME_LEN);
        if (c == 0)
            return u[mid].id;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX; /* not reached: every name is in its table */
}

/* ---- the ranking --------------------------------------------------------------- */

typedef struct work {
    const ckr_score_row *rows;
    size_t n, nt, nm, nc;
    nref *tasks, *methods, *ckpts;
    const char **tname, **mname, **cname;   /* by id */
    int *voter;                             /* per method: counts in the consensus */
    double *cube;                           /* [t][m][c] scores, NaN if none */
    double *rank;                           /* [m][c] ranks of the current task */
    sidx *order;                            /* nc */
    double *va, *vb;                        /* nc */
    int *cnt;                               /* nc: methods per checkpoint */
    ckr_ranking *out;
    size_t cap_rows, cap_agree;
} work;

static void copy_name(char *dst, const char *src)
{
    size_t n = strnlen(src, NAME_LEN - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int push_row(work *w, size_t t, const char *method, size_t c, double rank, double score,
                    int nmeth, int nvote)
{
    ckr_ranking *o = w->out;
    if (o->n_rows == w->cap_rows) {
        size_t cap = w->cap_rows ? 2 * w->cap_rows : 64;
        ckr_rank_row *p = realloc(o->rows, cap * sizeof *p);
        if (!p)
            return CKR_ENOMEM;
        o->rows = p;
        w->cap_rows = cap;
    }
    ckr_rank_row *r = &o->rows[o->n_rows++];
    copy_name(r->task, w->tname[t]);
    copy_name(r->method, method);
    copy_name(r->ckpt, w->cname[c]);
    r->rank = rank;
    r->score = score;
    r->n_methods = nmeth;
    r->n_voters = nvote;
    return 0;
}

static int push_agree(work *w, size_t t, size_t a, size_t b, double tau, int n_common)
{
    ckr_ranking *o = w->out;
    if (o->n_agree == w->cap_agree) {
        size_t cap = w->cap_agree ? 2 * w->cap_agree : 16;
        ckr_agree_row *p = realloc(o->agree, cap * sizeof *p);
        if (!p)
            return CKR_ENOMEM;
        o->agree = p;
        w->cap_agree = cap;
    }
    ckr_agree_row *r = &o->agree[o->n_agree++];
    copy_name(r->task, w->tname[t]);
    copy_name(r->method_a, w->mname[a]);
    copy_name(r->method_b, w->mname[b]);
    r->tau = tau;
    r->n_common = n_common;
    return 0;
}

/* By rank (or mean rank), ties by checkpoint id (name order). */
static int cmp_rank_then_ckpt(const void *pa, const void *pb)
{
    const sidx *a = pa, *b = pb;
    if (a->v != b->v)
        return a->v < b->v ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

static int do_task(work *w, size_t t)
{
    const size_t nm = w->nm, nc = w->nc;
    const double *sc = w->cube + t * nm * nc;
    int rc = 0;
    size_t n_voters = 0;
    /* ranks of every method with an ok score */
    for (size_t m = 0; m < nm; m++) {
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            if (!isnan(sc[m * nc + c])) {
                w->va[k] = sc[m * nc + c];
                w->order[k++].i = c;
            }
        for (size_t c = 0; c < nc; c++)
            w->rank[m * nc + c] = NAN;
        if (k == 0)
            continue;
        if (w->voter[m])
            n_voters++;
        if ((rc = ckr_rank_desc(w->va, k, w->vb)) != 0)
            return rc;
        for (size_t q = 0; q < k; q++)
            w->rank[m * nc + w->order[q].i] = w->vb[q];
    }
    /* the consensus */
    if (n_voters >= 2) {
        size_t k = 0;
        int *cnt = w->cnt;
        for (size_t c = 0; c < nc; c++) {
            double sum = 0.0;
            int n = 0;
            for (size_t m = 0; m < nm; m++)
                if (w->voter[m] && !isnan(w->rank[m * nc + c])) {
                    sum += w->rank[m * nc + c];
                    n++;
                }
            cnt[c] = n;
            if (n > 0)
                w->order[k++] = (sidx){ sum / (double)n, c };
        }
        qsort(w->order, k, sizeof *w->order, cmp_rank_then_ckpt);
        for (size_t q = 0; q < k && !rc; q++)
            rc = push_row(w, t, CKR_CONSENSUS_METHOD, w->order[q].i, (double)(q + 1),
                          w->order[q].v, cnt[w->order[q].i], (int)n_voters);
    }
    /* each method */
    for (size_t m = 0; m < nm && !rc; m++) {
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            if (!isnan(w->rank[m * nc + c]))
                w->order[k++] = (sidx){ w->rank[m * nc + c], c };
        qsort(w->order, k, sizeof *w->order, cmp_rank_then_ckpt);
        for (size_t q = 0; q < k && !rc; q++)
            rc = push_row(w, t, w->mname[m], w->order[q].i, w->order[q].v,
                          sc[m * nc + w->order[q].i], 1, 1);
    }
    /* agreement between voters that have scores here */
    for (size_t a = 0; a < nm && !rc; a++) {
        if (!w->voter[a])
            continue;
        int has_a = 0;
        for (size_t c = 0; c < nc; c++)
            has_a |= !isnan(sc[a * nc + c]);
        if (!has_a)
            continue;
        for (size_t b = a + 1; b < nm && !rc; b++) {
            if (!w->voter[b])
                continue;
            int has_b = 0;
            size_t k = 0;
            for (size_t c = 0; c < nc; c++) {
                has_b |= !isnan(sc[b * nc + c]);
                if (!isnan(sc[a * nc + c]) && !isnan(sc[b * nc + c])) {
                    w->va[k] = sc[a * nc + c];
                    w->vb[k++] = sc[b * nc + c];
                }
            }
            if (has_b)
                rc = push_agree(w, t, a, b, ckr_kendall_tau_b(w->va, w->vb, k), (int)k);
        }
    }
    return rc;
}

void ckr_ranking_free(ckr_ranking *r)
{
    free(r->rows);
    free(r->agree);
    memset(r, 0, sizeof *r);
}

static int counts(const ckr_score_row *s)
{
    return strncmp(s->method, CKR_CONSENSUS_METHOD, NAME_LEN) != 0;
}

int ckr_ranking_compute(const ckr_score_row *scores, size_t n, ckr_ranking *out, ckr_err *err)
{
    memset(out, 0, sizeof *out);
    work w;
    memset(&w, 0, sizeof w);
    w.out = out;
    int rc = CKR_ENOMEM;
    /* the rows that count (method not "consensus") */
    ckr_score_row *rows = malloc((n + 1) * sizeof *rows);
    if (!rows)
        goto cleanup;
    size_t nr = 0;
    for (size_t i = 0; i < n; i++)
        if (counts(&scores[i]))
            rows[nr++] = scores[i];
    w.rows = rows;
    w.n = nr;
    w.tasks = unique_names(rows, nr, offsetof(ckr_score_row, task), 0, &w.nt);
    w.methods = unique_names(rows, nr, offsetof(ckr_score_row, method), 1, &w.nm);
    w.ckpts = unique_names(rows, nr, offsetof(ckr_score_row, ckpt), 0, &w.nc);
    if (!w.tasks || !w.methods || !w.ckpts)
        goto cleanup;
    if (w.nt && w.nm && w.nc && w.nc > SIZE_MAX / 8 / w.nm / w.nt)
        goto cleanup;
    size_t cube = w.nt * w.nm * w.nc;
    w.tname = malloc((w.nt + 1) * sizeof *w.tname);
    w.mname = malloc((w.nm + 1) * sizeof *w.mname);
    w.cname = malloc((w.nc + 1) * sizeof *w.cname);
    w.voter = calloc(w.nm + 1, sizeof *w.voter);
    w.cube = malloc((cube + 1) * sizeof *w.cube);
    w.rank = malloc((w.nm * w.nc + 1) * sizeof *w.rank);
    w.order = malloc((w.nc + 1) * sizeof *w.order);
    w.va = malloc((w.nc + 1) * sizeof *w.va);
    w.vb = malloc((w.nc + 1) * sizeof *w.vb);
    w.cnt = malloc((w.nc + 1) * sizeof *w.cnt);
    if (!w.tname || !w.mname || !w.cname || !w.voter || !w.cube || !w.rank || !w.order || !w.va ||
        !w.vb || !w.cnt)
        goto cleanup;
    for (size_t i = 0; i < w.nt; i++)
        w.tname[w.tasks[i].id] = w.tasks[i].name;
    for (size_t i = 0; i < w.nm; i++)
        w.mname[w.methods[i].id] = w.methods[i].name;
    for (size_t i = 0; i < w.nc; i++)
        w.cname[w.ckpts[i].id] = w.ckpts[i].name;
    for (size_t i = 0; i < cube; i++)
        w.cube[i] = NAN;
    /* the row of each (task, method, ckpt) that counts; seen[] marks it */
    unsigned char *seen = calloc(cube + 1, 1);
    if (!seen)
        goto cleanup;
    for (size_t i = 0; i < nr; i++) {
        const ckr_score_row *s = &rows[i];
        size_t t = find_id(w.tasks, w.nt, s->task), m = find_id(w.methods, w.nm, s->method),
               c = find_id(w.ckpts, w.nc, s->ckpt);
        size_t at = (t * w.nm + m) * w.nc + c;
        /* a grid point of a sweep does not vote */
        if (!(s->sweep[0] && strncmp(s->sweep, s->method, NAME_LEN) != 0))
            w.voter[m] = 1;
        /* as the metrics table: the first row with best set, else the first */
        unsigned char level = s->best ? 2 : 1;
        if (seen[at] >= level || (seen[at] && !s->best))
            continue;
        seen[at] = level;
        w.cube[at] = ckr_score_row_is_ok(s) ? s->score : NAN;
    }
    free(seen);
    rc = 0;
    for (size_t t = 0; t < w.nt && !rc; t++)
        rc = do_task(&w, t);
cleanup:
    free(rows);
    free(w.tasks);
    free(w.methods);
    free(w.ckpts);
    free(w.tname);
    free(w.mname);
    free(w.cname);
    free(w.voter);
    free(w.cube);
    free(w.rank);
    free(w.order);
    free(w.va);
    free(w.vb);
    free(w.cnt);
    if (rc) {
        ckr_ranking_free(out);
        return ckr_err_set(err, rc, "out of memory for the ranking of %zu score rows", n);
    }
    return 0;
}

int ckr_consensus_score_rows(const ckr_score_row *scores, size_t n, const ckr_ranking *r,
                             ckr_score_row **out, size_t *n_out, ckr_err *err)
{
    size_t nc = 0;
    for (size_t i = 0; i < r->n_rows; i++)
        nc += strcmp(r->rows[i].method, CKR_CONSENSUS_METHOD) == 0;
    ckr_score_row *o = malloc((n + nc + 1) * sizeof *o);
    if (!o)
        return ckr_err_set(err, CKR_ENOMEM, "out of memory for the consensus rows");
    if (n)
        memcpy(o, scores, n * sizeof *o);
    size_t k = n;
    for (size_t i = 0; i < r->n_rows; i++) {
        const ckr_rank_row *q = &r->rows[i];
        if (strcmp(q->method, CKR_CONSENSUS_METHOD) != 0)
            continue;
        ckr_score_row *s = &o[k++];
        memset(s, 0, sizeof *s);
        copy_name(s->ckpt, q->ckpt);
        copy_name(s->task, q->task);
        copy_name(s->method, CKR_CONSENSUS_METHOD);
        s->score = -q->score;
        snprintf(s->status, sizeof s->status, "ok");
        s->seconds = s->gflops = s->heldout = NAN;
    }
    *out = o;
    *n_out = k;
    return 0;
}
